/*
 * xref_merged.c: a file's chain of cross-reference tables as the one table
 * qpdf makes of it, for pdf_doc_open_known_merged(). qpdf reads every
 * section and trailer of a chain at each open (some 80,000 instructions a
 * section, half of them the trailer's tokens), and cannot be given a table
 * it made before nor extend a parse: a contract's k-th completion read k + 1
 * of them to open the revision it had just written. The bytes are left as
 * they are; qpdf is shown them followed by this table, whose entries are
 * exactly those qpdf's reading of the chain keeps (the newest listing of
 * each number) and whose trailer is the newest one without /Prev, so that
 * its parse is the parse of the file: the same objects at the same offsets,
 * the same trailer dictionary to every key but /Prev (which no reader takes
 * from qpdf: sig_scan.c reads it from the bytes).
 *
 * The table is written as a cross-reference stream (ISO 32000 §7.5.8,
 * unfiltered, 7 bytes an entry), not as a classic table: qpdf reads a
 * table's entries line by line (some 2,700 instructions each, every object
 * of the file at each open), a stream's in a loop over bytes (some 500).
 * Its dictionary is then qpdf's trailer: the newest trailer's keys without
 * /Prev, and the stream's own (/Type, /W, /Index, /Length), which no
 * reader takes from the trailer (xref.c writes only /Size, /Root, /Info,
 * /ID and /Encrypt; a trailer with any of them is not merged). Its object
 * number is past PDF_DOC_MAX_OBJECTS and no entry lists it: no number an
 * update may use reads as it in a parse that was handed on.
 *
 * Only the plain case is merged: every section a table written as ISO 32000
 * §7.5.4 shows it (20-byte entries), no xref stream, no hybrid /XRefStm, no
 * linearized file, no free entry but object 0's, no number listed with two
 * generations, the newest trailer ending with its /Prev as sign.c writes
 * it. Anything else is SP_ERR_UNSUPPORTED and the caller lets qpdf read the
 * chain, which then tells what it finds (a repair marks the document
 * damaged). The sections are the revisions pdf_revisions_find() accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* the table's object number: past any a file may use (PDF_DOC_MAX_OBJECTS), so that no
   update's object is ever taken for it in a parse that cached it */
#define XREF_OBJ (PDF_DOC_MAX_OBJECTS + 1)

/* an xref stream's own keys, which its dictionary has beside the trailer's */
static const char *const xref_keys[] = { "/Type",   "/W",           "/Index",   "/Length",
					 "/Filter", "/DecodeParms", "/XRefStm", NULL };

/* 1 when name (with its slash) is in d[0..n) as a whole name: not the start of a longer one
   (/W of /Widths); 0 when nowhere */
static int
has_name(const unsigned char *d, size_t n, const char *name)
{
	size_t l = strlen(name);
	const unsigned char *p = d, *e = d + n, *f;

	while (p < e && (f = memmem(p, (size_t)(e - p), name, l)) != NULL) {
		if (f + l == e || strchr(" \t\r\n\f/<>[]()%{}", f[l]) != NULL || f[l] == 0)
			return 1;
		p = f + 1;
	}
	return 0;
}

struct mentry {
	long long off; /* in use at off; -1 free (object 0 only); 0 not listed */
	int gen;
};

static int
digits(const unsigned char *p, size_t n, long long *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

/* A number of 1..10 digits at d[*p], then one space or an end of line as after a
   subsection's count. */
static int
number(const unsigned char *d, size_t len, size_t *p, long long *v)
{
	size_t s = *p;

	while (*p < len && *p - s < 11 && d[*p] >= '0' && d[*p] <= '9')
		(*p)++;
	if (*p == s || *p - s > 10 || digits(d + s, *p - s, v) < 0)
		return -1;
	return 0;
}

static int
eol(const unsigned char *d, size_t len, size_t *p)
{
	if (*p < len && d[*p] == '\r')
		(*p)++;
	else if (*p < len && d[*p] == '\n') {
		(*p)++;
		return 0;
	} else
		return -1;
	if (*p < len && d[*p] == '\n')
		(*p)++;
	return 0;
}

/*
 * The table at d[p] into m[0..max) (newest first: a number listed already
 * keeps its entry); *trailer is where its "trailer" keyword starts.
 */
static int
section(const unsigned char *d, size_t len, size_t p, struct mentry *m, size_t max, size_t *trailer)
{
	long long first, count, off, gen, i;
	const unsigned char *e;

	if (p + 4 > len || memcmp(d + p, "xref", 4) != 0)
		return -1;
	p += 4;
	if (eol(d, len, &p) < 0)
		return -1;
	while (p < len && d[p] != 't') {
		if (number(d, len, &p, &first) < 0 || p >= len || d[p++] != ' ' ||
		    number(d, len, &p, &count) < 0 || eol(d, len, &p) < 0 || count < 1 ||
		    first + count > (long long)max)
			return -1;
		for (i = first; i < first + count; i++, p += 20) {
			if (p + 20 > len)
				return -1;
			e = d + p;
			/* "oooooooooo ggggg n" and a two-byte end of line */
			if (digits(e, 10, &off) < 0 || e[10] != ' ' ||
			    digits(e + 11, 5, &gen) < 0 || e[16] != ' ' ||
			    (e[17] != 'n' && e[17] != 'f') ||
			    !((e[18] == ' ' && (e[19] == '\n' || e[19] == '\r')) ||
			      (e[18] == '\r' && e[19] == '\n')))
				return -1;
			if (e[17] == 'f') {
				/* object 0's head of the free list, as every table lists it */
				if (i != 0 || gen != 65535 || (m[0].off != 0 && m[0].off != -1))
					return -1;
				m[0].off = -1;
				continue;
			}
			if (i == 0 || off <= 0 || (size_t)off >= len)
				return -1;
			/* qpdf keeps the newest entry of a number and generation; another
			   generation of it would be a second object */
			if (m[i].off == 0) {
				m[i].off = off;
				m[i].gen = (int)gen;
			} else if (m[i].off < 0 || m[i].gen != (int)gen)
				return -1;
		}
	}
	if (p + 7 > len || memcmp(d + p, "trailer", 7) != 0)
		return -1;
	*trailer = p;
	return 0;
}

/*
 * The newest trailer's dictionary without its /Prev: "<<" body " /Prev N>>"
 * as sign.c writes it (white space before ">>" too), N the section before's
 * offset; [*a, *b) the body.
 */
static int
newest_trailer(const unsigned char *d, size_t len, size_t t, long long prev, size_t *a, size_t *b)
{
	const unsigned char *sx, *pv;
	size_t p = t + 7, q;
	long long v;

	while (p < len && (d[p] == ' ' || d[p] == '\r' || d[p] == '\n'))
		p++;
	if (p + 2 > len || d[p] != '<' || d[p + 1] != '<')
		return -1;
	*a = p + 2;
	/* its end, before startxref; /Prev its last key, named once */
	if ((sx = memmem(d + *a, len - *a, "startxref", 9)) == NULL)
		return -1;
	q = (size_t)(sx - d);
	while (q > *a && (d[q - 1] == ' ' || d[q - 1] == '\r' || d[q - 1] == '\n'))
		q--;
	if (q < *a + 2 || d[q - 1] != '>' || d[q - 2] != '>')
		return -1;
	q -= 2;
	if ((pv = memmem(d + *a, q - *a, " /Prev ", 7)) == NULL ||
	    memmem(pv + 7, q - (size_t)(pv + 7 - d), "/Prev", 5) != NULL ||
	    memmem(d + *a, (size_t)(pv - d) - *a, "/Prev", 5) != NULL ||
	    memmem(d + *a, q - *a, "/XRefStm", 8) != NULL)
		return -1;
	p = (size_t)(pv - d) + 7;
	if (number(d, q, &p, &v) < 0 || v != prev)
		return -1;
	while (p < q && (d[p] == ' ' || d[p] == '\r' || d[p] == '\n'))
		p++;
	if (p != q)
		return -1;
	*b = (size_t)(pv - d);
	return 0;
}

/*
 * The older chain's merged entries k[0..nk) (an earlier call's, on the very
 * bytes the newest section follows) into m[0..max), which holds the newest
 * section's: each as section() would have taken it reading those sections
 * after the newest, with the same checks between them and it (those between
 * the older sections were made when k was). -1 where section() fails.
 */
static int
merge_known(struct mentry *m, size_t max, const struct mentry *k, size_t nk)
{
	size_t i;

	for (i = 0; i < nk; i++) {
		if (k[i].off == 0)
			continue;
		if (i >= max)
			return -1; /* an older subsection past the newest /Size */
		if (k[i].off < 0) {
			/* object 0's head of the free list (only it is ever free in k) */
			if (i != 0 || (m[0].off != 0 && m[0].off != -1))
				return -1;
			m[0].off = -1;
		} else if (m[i].off == 0)
			m[i] = k[i];
		else if (m[i].off < 0 || m[i].gen != k[i].gen)
			return -1;
	}
	return 0;
}

int
pdf_xref_merged(const unsigned char *data, size_t len, const struct pdf_revision *revs,
		size_t nrevs, unsigned char **out, size_t *out_len, struct sp_errinfo *ei)
{
	return pdf_xref_merged_ex(data, len, revs, nrevs, NULL, 0, 0, out, out_len, NULL, NULL, ei);
}

int
pdf_xref_merged_ex(const unsigned char *data, size_t len, const struct pdf_revision *revs,
		   size_t nrevs, const void *known, size_t known_len, size_t known_end,
		   unsigned char **out, size_t *out_len, void **entries, size_t *entries_len,
		   struct sp_errinfo *ei)
{
	struct mentry *m = NULL;
	struct sp_buf b, idx;
	unsigned char *ent = NULL, *w;
	size_t max = 0, i, j, t = 0, ta = 0, tb = 0, nt;
	long long size = 0;
	int r = SP_ERR_UNSUPPORTED;

	*out = NULL;
	*out_len = 0;
	if (entries != NULL) {
		*entries = NULL;
		*entries_len = 0;
	}
	sp_buf_init(&b, (size_t)64 << 20);
	sp_buf_init(&idx, (size_t)64 << 20);
	if (nrevs < 2)
		goto out;
	for (i = 0; i < nrevs; i++)
		if (revs[i].xref_stream || revs[i].xrefstm != 0 || revs[i].linearized_main != 0 ||
		    revs[i].xref <= 0 || (size_t)revs[i].xref >= len)
			goto out;
	if (revs[nrevs - 1].trailing_garbage || revs[nrevs - 1].end != len)
		goto out;
	/* the newest trailer's /Size (its first key, as sign.c writes it) bounds every
	   number qpdf keeps without a warning */
	{
		const unsigned char *s;
		size_t p;

		if ((s = memmem(data + revs[nrevs - 1].xref, len - (size_t)revs[nrevs - 1].xref,
				"trailer", 7)) == NULL ||
		    newest_trailer(data, len, (size_t)(s - data), revs[nrevs - 2].xref, &ta, &tb) <
			    0)
			goto out;
		for (p = ta; p < tb && (data[p] == ' ' || data[p] == '\r' || data[p] == '\n');)
			p++;
		if (tb - p < 6 || memcmp(data + p, "/Size ", 6) != 0)
			goto out;
		p += 6;
		if (number(data, tb, &p, &size) < 0 || size < 1 || size > PDF_DOC_MAX_OBJECTS)
			goto out;
		max = (size_t)size;
	}
	if ((m = calloc(max, sizeof(*m))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the newest section first, then the older ones: read, or as an earlier call on
	   the bytes before the newest section merged them (known: the same entries) */
	if (known != NULL && known_len > 0 && known_len % sizeof(*m) == 0 &&
	    known_end == revs[nrevs - 2].end) {
		if (section(data, len, (size_t)revs[nrevs - 1].xref, m, max, &t) < 0 ||
		    merge_known(m, max, known, known_len / sizeof(*m)) < 0)
			goto out;
	} else {
		for (i = nrevs; i-- > 0;)
			if (section(data, len, (size_t)revs[i].xref, m, max, &t) < 0)
				goto out;
	}
	/* a number past /Size-1 or none at /Size-1: qpdf warns, the chain is read */
	if (m[max - 1].off <= 0 && max > 1)
		goto out;
	/* its keys go into the stream's dictionary beside the stream's own: none of those
	   may be among them (a trailer has none of them; anything else, the chain is read) */
	for (i = 0; xref_keys[i] != NULL; i++)
		if (has_name(data + ta, tb - ta, xref_keys[i]))
			goto out;
	/* the Index pairs and the entries (1 + 4 + 2 bytes each), then the object */
	if ((w = ent = malloc(max * 7)) == NULL)
		goto nomem;
	for (i = 0; i < max;) {
		if (m[i].off == 0) {
			i++;
			continue;
		}
		for (j = i + 1; j < max && m[j].off != 0; j++)
			;
		if (sp_buf_printf(&idx, "%s%zu %zu", idx.len ? " " : "", i, j - i) < 0)
			goto nomem;
		for (; i < j; i++, w += 7) {
			if (m[i].off > 0xffffffffLL)
				goto out;
			w[0] = m[i].off < 0 ? 0 : 1;
			sp_store_be32(w + 1, m[i].off < 0 ? 0 : (uint32_t)m[i].off);
			w[5] = (unsigned char)((m[i].off < 0 ? 65535 : m[i].gen) >> 8);
			w[6] = (unsigned char)(m[i].off < 0 ? 65535 : m[i].gen);
		}
	}
	nt = tb - ta;
	if (sp_buf_printf(&b, "%d 0 obj\n<<", XREF_OBJ) < 0 || sp_buf_add(&b, data + ta, nt) < 0 ||
	    sp_buf_addstr(&b, " /Type /XRef /W [1 4 2] /Index [") < 0 ||
	    sp_buf_add(&b, idx.data, idx.len) < 0 ||
	    sp_buf_printf(&b, "] /Length %zu>>\nstream\n", (size_t)(w - ent)) < 0 ||
	    sp_buf_add(&b, ent, (size_t)(w - ent)) < 0 ||
	    sp_buf_printf(&b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", len) < 0)
		goto nomem;
	*out = sp_buf_take(&b, out_len);
	r = *out != NULL ? SP_OK : sp_err(ei, SP_ERR_NOMEM, "out of memory");
	/* the entries, for a call on these bytes with an update after them */
	if (r == SP_OK && entries != NULL) {
		*entries = m;
		*entries_len = max * sizeof(*m);
		m = NULL;
	}
	goto out;
nomem:
	r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
out:
	if (r == SP_ERR_UNSUPPORTED)
		r = sp_err(ei, r, "the cross-reference chain is not one plain table per revision");
	free(m);
	free(ent);
	sp_buf_cleanup(&b);
	sp_buf_cleanup(&idx);
	return r;
}

int
pdf_xref_merged_place(const void *entries, size_t len, int num, int gen, size_t *off)
{
	const struct mentry *m = entries;

	*off = 0;
	if (m == NULL || len % sizeof(*m) != 0 || num <= 0 || (size_t)num >= len / sizeof(*m) ||
	    m[num].off <= 0 || m[num].gen != gen)
		return 0;
	*off = (size_t)m[num].off;
	return 1;
}

size_t
pdf_xref_merged_count(size_t len)
{
	return len % sizeof(struct mentry) == 0 ? len / sizeof(struct mentry) : 0;
}
