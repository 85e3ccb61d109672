/*
 * revisions.c: the revisions of a PDF (one per xref section, found through
 * startxref and the /Prev chain, each ending at its %%EOF) and the
 * signature fields of a document, read for verification.
 *
 * A revision's bytes are the prefix of the file up to its end, so each can
 * be opened on its own with pdf_doc_open() and compared with the next
 * (diff.c). Everything here reads attacker-controlled input: every loop is
 * bounded and anything that does not parse is an error, never a guess.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

static const unsigned char *
find(const unsigned char *d, size_t from, size_t to, const char *s)
{
	size_t n = strlen(s);

	if (to <= from || to - from < n)
		return NULL;
	return memmem(d + from, to - from, s, n);
}

/* Where a revision that ends its "%%EOF" at eof_end ends: past one end-of-line
   (CR, LF or CR LF) if one follows. */
static size_t
revision_end(const unsigned char *d, size_t len, size_t eof_end)
{
	size_t end = eof_end;

	if (end < len && d[end] == '\r')
		end++;
	if (end < len && d[end] == '\n')
		end++;
	return end;
}

/* A non-negative decimal after optional white space; -1 when there is none. */
static long long
read_num(const unsigned char *d, size_t len, size_t *p)
{
	long long v = 0;
	int digits = 0;

	while (*p < len && pdf_space(d[*p]))
		(*p)++;
	while (*p < len && isdigit(d[*p]) && digits < 15) {
		v = v * 10 + (d[*p] - '0');
		(*p)++;
		digits++;
	}
	return digits ? v : -1;
}

/*
 * Where the file's header "%PDF-" starts, as qpdf finds it: the first one
 * within the first 1024 bytes that a version follows ("1.7"; ISO 32000-1
 * Annex H.3 lets bytes come before it); 0 when there is none.
 */
size_t
pdf_header_offset(const unsigned char *d, size_t len)
{
	size_t i, n = len < 1024 ? len : 1024, p;

	for (i = 0; i + 5 <= n; i++) {
		if (memcmp(d + i, "%PDF-", 5) != 0)
			continue;
		for (p = i + 5; p < len && isdigit(d[p]); p++)
			;
		if (p > i + 5 && p + 1 < len && d[p] == '.' && isdigit(d[p + 1]))
			return i;
	}
	return 0;
}

/* An offset the file gives (v > 0), as a position in its bytes: it counts from the
   header, h bytes in (0 and -1, none and absent, stay what they are) */
static long long
at_header(long long v, size_t h)
{
	return v > 0 ? v + (long long)h : v;
}

/* The last "startxref N" before `to`, N a position in d (the header h bytes in);
   -1 when absent. */
static long long
last_startxref(const unsigned char *d, size_t to, size_t h)
{
	size_t i, p;

	for (i = to >= 9 ? to - 9 + 1 : 0; i-- > 0;) {
		if (memcmp(d + i, "startxref", 9) == 0) {
			p = i + 9;
			return at_header(read_num(d, to, &p), h);
		}
	}
	return -1;
}

/* The first non-space byte at or after x: writers may point startxref at the
   end-of-line before "xref", and readers (qpdf, Acrobat) accept it. */
static size_t
skip_space(const unsigned char *d, size_t len, size_t x)
{
	while (x < len && pdf_space(d[x]))
		x++;
	return x;
}

/* A PDF delimiter (ISO 32000-2 7.2.3) */
static int
delim(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
	       c == '}' || c == '/' || c == '%';
}

static int
hexval(unsigned char c)
{
	return isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);
}

/* Past white space and comments from p. */
static size_t
skip_blank(const unsigned char *d, size_t len, size_t p)
{
	while (p < len && (pdf_space(d[p]) || d[p] == '%')) {
		if (d[p] == '%')
			while (p < len && d[p] != '\r' && d[p] != '\n')
				p++;
		else
			p++;
	}
	return p;
}

/*
 * The integers of keys[0..n) in the dictionary that starts at p (after white
 * space and comments), read as a PDF reader tokenizes it: literal and hex
 * strings, comments and nested dictionaries and arrays are skipped whole, so
 * that a key spelled inside a string (/Foo (/XRefStm 0)) or a nested
 * dictionary is not taken for one of this dictionary's. (Taking the first
 * "/XRefStm" in the bytes let such a trailer hide a hybrid file's cross-
 * reference stream, whose objects the update then redefined unlisted.)
 * vals[i] is 0 when keys[i] is absent. -1 when the dictionary does not parse
 * or runs past len, a key comes twice, or its value is not a non-negative
 * integer; else the offset just past the dictionary. index (NULL: not read)
 * is the sum of the counts of an /Index array (an xref stream's subsections,
 * capped at PDF_DOC_MAX_OBJECTS), -1 when the key is absent.
 */
static long long
dict_ints_index(const unsigned char *d, size_t len, size_t p, const char *const *keys, size_t n,
		long long *vals, long long *index)
{
	int depth = 0, seen[4] = { 0 };
	unsigned char name[64];
	size_t i, kl, nest;

	if (n > 4)
		return -1;
	for (i = 0; i < n; i++)
		vals[i] = 0;
	if (index != NULL)
		*index = -1;
	p = skip_blank(d, len, p);
	if (p + 2 > len || d[p] != '<' || d[p + 1] != '<')
		return -1;
	while ((p = skip_blank(d, len, p)) < len) {
		unsigned char c = d[p];

		if (c == '(') { /* a literal string: balanced parentheses, backslash escapes */
			for (nest = 1, p++; p < len && nest > 0; p++) {
				if (d[p] == '\\')
					p++;
				else if (d[p] == '(')
					nest++;
				else if (d[p] == ')')
					nest--;
			}
			if (nest > 0)
				return -1;
		} else if (c == '<' && p + 1 < len && d[p + 1] == '<') {
			depth++;
			p += 2;
		} else if (c == '<') { /* a hex string */
			while (p < len && d[p] != '>')
				p++;
			if (p++ >= len)
				return -1;
		} else if (c == '>' && p + 1 < len && d[p + 1] == '>') {
			p += 2;
			if (--depth == 0)
				return (long long)p;
		} else if (c == '[') {
			depth++;
			p++;
		} else if (c == ']') {
			if (--depth < 1)
				return -1;
			p++;
		} else if (c == '/') {
			/* the name as a reader decodes it: #xx is the byte xx (/XRef#53tm is /XRefStm) */
			for (kl = 0, name[kl++] = '/', p++;
			     p < len && !delim(d[p]) && !pdf_space(d[p]); p++) {
				unsigned char b = d[p];

				if (b == '#' && p + 2 < len && isxdigit(d[p + 1]) &&
				    isxdigit(d[p + 2])) {
					b = (unsigned char)(hexval(d[p + 1]) * 16 +
							    hexval(d[p + 2]));
					p += 2;
				}
				if (kl < sizeof(name))
					name[kl++] = b;
			}
			/* an xref stream's /Index [first count ...]: the sum of its counts */
			if (index != NULL && depth == 1 && kl == 6 &&
			    memcmp(name, "/Index", 6) == 0 && (p = skip_blank(d, len, p)) < len &&
			    d[p] == '[') {
				long long v, pair = 0;

				if (*index >= 0)
					return -1; /* twice */
				for (*index = 0, p++;
				     (p = skip_blank(d, len, p)) < len && d[p] != ']';
				     pair = !pair) {
					if ((v = read_num(d, len, &p)) < 0)
						return -1;
					if (pair && (*index += v) > PDF_DOC_MAX_OBJECTS)
						*index = PDF_DOC_MAX_OBJECTS;
				}
				if (p++ >= len)
					return -1;
				continue;
			}
			/* a key of this dictionary is a name at depth 1 followed by its value; a
			   name that is a value is followed by the next key, never by a number */
			for (i = 0; depth == 1 && i < n; i++) {
				size_t q = skip_blank(d, len, p);

				if (kl != strlen(keys[i]) || memcmp(name, keys[i], kl) != 0 ||
				    q >= len ||
				    !(isdigit(d[q]) || d[q] == '-' || d[q] == '+' || d[q] == '.'))
					continue;
				if (seen[i]++ || (vals[i] = read_num(d, len, &q)) < 0)
					return -1;
				p = q;
			}
		} else if (c == ')' || c == '>' || c == '{' || c == '}') {
			return -1;
		} else { /* a number or a keyword (R, true, null): to the next delimiter */
			while (p < len && !delim(d[p]) && !pdf_space(d[p]))
				p++;
		}
	}
	return -1;
}

/* dict_ints_index() without /Index */
static long long
dict_ints(const unsigned char *d, size_t len, size_t p, const char *const *keys, size_t n,
	  long long *vals)
{
	return dict_ints_index(d, len, p, keys, n, vals, NULL);
}

/*
 * The xref section at x: /Prev (0 when none, -1 when x is not an xref
 * section) and, for a table, /XRefStm (0 when none) of a hybrid-reference
 * file, as positions in d (the header h bytes in). *body is where the
 * section really starts (after any white space).
 */
static long long
prev_of(const unsigned char *d, size_t len, size_t h, size_t x, size_t *body, int *is_stream,
	long long *xrefstm)
{
	static const char *const tkeys[] = { "/Prev", "/XRefStm" };
	const unsigned char *t;
	long long v[2], dend;
	size_t p;

	*is_stream = 0;
	*xrefstm = 0;
	x = skip_space(d, len, x);
	*body = x;
	p = x;
	if (len - x >= 4 && memcmp(d + x, "xref", 4) == 0) {
		/* a table holds digits, 'n' and 'f': its first "trailer" is the keyword */
		if (!(t = find(d, x, len, "trailer")) ||
		    (dend = dict_ints(d, len, (size_t)(t - d) + 7, tkeys, 2, v)) < 0 ||
		    !find(d, (size_t)dend, len, "startxref"))
			return -1;
		*xrefstm = at_header(v[1], h);
	} else {
		if (read_num(d, len, &p) < 0 || read_num(d, len, &p) < 0)
			return -1;
		while (p < len && pdf_space(d[p]))
			p++;
		if (len - p < 3 || memcmp(d + p, "obj", 3) != 0 ||
		    (dend = dict_ints(d, len, p + 3, tkeys, 1, v)) < 0 ||
		    !find(d, p, (size_t)dend, "/XRef"))
			return -1;
		p = skip_blank(d, len, (size_t)dend);
		if (len - p < 6 || memcmp(d + p, "stream", 6) != 0)
			return -1;
		*is_stream = 1;
	}
	return at_header(v[0], h);
}

/*
 * 1 when the file is linearized: its first object, within the first 1024
 * bytes, is the linearization parameter dictionary (ISO 32000-2 Annex F).
 */
static int
linearized(const unsigned char *d, size_t len, size_t h)
{
	size_t to = len - h < 1024 ? len : h + 1024;
	const unsigned char *o = find(d, h, to, " obj"), *e;

	if (!o)
		return 0;
	e = find(d, (size_t)(o - d), to, "endobj");
	return e && find(d, (size_t)(o - d), (size_t)(e - d), "/Linearized") != NULL;
}

int
pdf_revisions_find(const unsigned char *data, size_t len, struct pdf_revision *revs, size_t max,
		   size_t *n, struct sp_errinfo *ei)
{
	long long x, chain[PDF_REVISIONS_MAX], stm[PDF_REVISIONS_MAX];
	size_t body[PDF_REVISIONS_MAX], nchain = 0, i, j, lin_main = 0, from;
	int streams[PDF_REVISIONS_MAX], lin = -1;
	const unsigned char *eof;
	size_t h;

	*n = 0;
	if (!data || len < 16 || max == 0)
		return sp_err_reason(ei, SP_ERR_PDF, "revision_structure", "not a PDF file");
	/*
	 * Bytes before the header (a mail gateway's or web server's): the offsets
	 * the file gives count from the header (ISO 32000-2 §7.5.2; qpdf and
	 * poppler read them so), each revision still ends where its %%EOF is in
	 * the file, where a signature's /ByteRange, which counts from the file's
	 * first byte as pdfsig reads it, must reach.
	 */
	h = pdf_header_offset(data, len);
	x = last_startxref(data, len, h);
	while (x > 0) {
		if ((size_t)x >= len || nchain == PDF_REVISIONS_MAX || nchain == max + 1)
			return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
					     "the xref chain is broken or longer than %zu sections",
					     max < PDF_REVISIONS_MAX ? max
								     : (size_t)PDF_REVISIONS_MAX);
		/*
		 * Each /Prev must point back: no loops, no forward references. The
		 * one exception is a linearized file's first-page section, which
		 * names the main section after it; the two are one revision, and
		 * the main section ends the chain.
		 */
		if (nchain > 0 && x >= chain[nchain - 1]) {
			if (lin < 0)
				lin = linearized(data, len, h);
			if (!lin || lin_main || (nchain > 1 && x >= chain[nchain - 2]))
				return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
						     "xref section at %lld is not before the one "
						     "at %lld",
						     x, chain[nchain - 1]);
			lin_main = nchain;
		}
		chain[nchain] = x;
		x = prev_of(data, len, h, (size_t)x, &body[nchain], &streams[nchain], &stm[nchain]);
		if (x < 0 || stm[nchain] < 0 || (size_t)stm[nchain] >= len)
			return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
					     "no xref section at offset %lld", chain[nchain]);
		if (lin_main && x != 0)
			return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
					     "the main xref section of a linearized file at %lld "
					     "has a /Prev",
					     chain[nchain]);
		nchain++;
	}
	if (nchain == 0)
		return sp_err_reason(ei, SP_ERR_PDF, "revision_structure", "no startxref");
	if (lin_main) {
		/* the first-page section stands for the revision; the main one sets its end */
		if (lin_main != nchain - 1 || body[lin_main] <= body[lin_main - 1])
			return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
					     "the linearized sections are out of order");
		nchain--;
	}
	if (nchain > max)
		return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
				     "the xref chain is longer than %zu sections", max);
	/* oldest first */
	for (i = 0; i < nchain; i++) {
		j = nchain - 1 - i;
		memset(&revs[i], 0, sizeof(revs[i]));
		revs[i].xref = (long long)body[j];
		revs[i].xref_stream = streams[j];
		revs[i].xrefstm = stm[j];
		from = body[j];
		if (lin_main && i == 0) {
			revs[i].linearized_main = (long long)body[lin_main];
			from = body[lin_main];
		}
		if (!(eof = find(data, from, len, "%%EOF")))
			return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
					     "no %%%%EOF after the xref section at %lld", chain[j]);
		revs[i].eof_end = (size_t)(eof - data) + 5;
		revs[i].end = revision_end(data, len, revs[i].eof_end);
		/* the revision's own startxref must name its own section; an update's
		   hybrid /XRefStm stream must lie inside the update */
		if (last_startxref(data, revs[i].eof_end, h) != chain[j] ||
		    (i > 0 && revs[i].eof_end <= revs[i - 1].end) ||
		    (i > 0 && stm[j] > 0 &&
		     ((size_t)stm[j] < revs[i - 1].end || (size_t)stm[j] >= revs[i].eof_end)))
			return sp_err_reason(ei, SP_ERR_PDF, "revision_structure",
					     "revision %zu does not end with its own startxref", i);
	}
	for (i = revs[nchain - 1].end; i < len; i++)
		if (!pdf_space(data[i]))
			break;
	revs[nchain - 1].trailing_garbage = i < len;
	*n = nchain;
	return SP_OK;
}

/* the most sections an update may add for pdf_revisions_extend() (else found whole) */
#define EXTEND_MAX 8

int
pdf_revisions_extend(const unsigned char *data, size_t len, const struct pdf_revision *known,
		     size_t nknown, size_t known_len, struct pdf_revision *revs, size_t max,
		     size_t *n)
{
	long long x, stop, chain[EXTEND_MAX], stm[EXTEND_MAX];
	size_t body[EXTEND_MAX], nnew = 0, i, j,
				 cap = max < PDF_REVISIONS_MAX ? max : PDF_REVISIONS_MAX;
	int streams[EXTEND_MAX];
	const unsigned char *eof;
	size_t h;

	*n = 0;
	/* a linearized file's sections are not the simple chain walked here */
	if (data == NULL || known == NULL || nknown == 0 || known_len > len || nknown >= cap ||
	    known[nknown - 1].end > known_len)
		return 0;
	for (i = 0; i < nknown; i++)
		if (known[i].linearized_main != 0)
			return 0;
	/* the known revisions' newest section, which pdf_revisions_find() of the known
	   bytes started from (it checked that its revision ends with its startxref) */
	h = pdf_header_offset(data, len);
	if ((stop = last_startxref(data, known[nknown - 1].eof_end, h)) <= 0)
		return 0;
	/* the sections after it, newest first, each /Prev before the one that names it,
	   the last naming the known one: the walk pdf_revisions_find() begins with */
	x = last_startxref(data, len, h);
	while (x != stop) {
		if (x <= 0 || (size_t)x >= len || nnew == EXTEND_MAX || nknown + nnew >= cap ||
		    (nnew > 0 && x >= chain[nnew - 1]))
			return 0;
		chain[nnew] = x;
		x = prev_of(data, len, h, (size_t)x, &body[nnew], &streams[nnew], &stm[nnew]);
		if (x < 0 || stm[nnew] < 0 || (size_t)stm[nnew] >= len)
			return 0;
		nnew++;
	}
	if (nnew == 0 || stop >= chain[nnew - 1])
		return 0;
	/*
	 * From there pdf_revisions_find() of data walks the known chain as it
	 * did in the known bytes (each section there read within them, so the
	 * same whatever follows), and each known revision ends where it did;
	 * only the newest known one's end-of-line may now run into what
	 * follows, and trailing bytes are the newest revision's.
	 */
	memcpy(revs, known, nknown * sizeof(*revs));
	i = nknown - 1;
	revs[i].end = revision_end(data, len, revs[i].eof_end);
	revs[i].trailing_garbage = 0;
	/* the new ones, oldest first, as pdf_revisions_find() checks each */
	for (i = nknown; i < nknown + nnew; i++) {
		j = nknown + nnew - 1 - i;
		memset(&revs[i], 0, sizeof(revs[i]));
		revs[i].xref = (long long)body[j];
		revs[i].xref_stream = streams[j];
		revs[i].xrefstm = stm[j];
		if (!(eof = find(data, body[j], len, "%%EOF")))
			return 0;
		revs[i].eof_end = (size_t)(eof - data) + 5;
		revs[i].end = revision_end(data, len, revs[i].eof_end);
		if (last_startxref(data, revs[i].eof_end, h) != chain[j] ||
		    revs[i].eof_end <= revs[i - 1].end ||
		    (stm[j] > 0 &&
		     ((size_t)stm[j] < revs[i - 1].end || (size_t)stm[j] >= revs[i].eof_end)))
			return 0;
	}
	for (j = revs[i - 1].end; j < len; j++)
		if (!pdf_space(data[j]))
			break;
	revs[i - 1].trailing_garbage = j < len;
	*n = nknown + nnew;
	return 1;
}

/* ---- what opening a revision reads ---- */

/* The entries of a classic table's subsections from p (after "xref"), as a
   reader takes them: each header's count of entries, while they are entries. */
static size_t
table_entries(const unsigned char *d, size_t len, size_t p)
{
	long long count, k;
	size_t n = 0;

	for (;;) {
		if (read_num(d, len, &p) < 0 || (count = read_num(d, len, &p)) < 0)
			return n;
		for (k = 0; k < count; k++, n++) {
			if (read_num(d, len, &p) < 0 || read_num(d, len, &p) < 0)
				return n;
			while (p < len && pdf_space(d[p]))
				p++;
			if (p >= len || (d[p] != 'n' && d[p] != 'f'))
				return n;
			p++;
		}
	}
}

/*
 * The entries of the xref section at x: a table's, or a stream's /Index (else
 * /Size). A stream holds at most PDF_SCAN_MAX_XREF rows (pdf_bytes_check), as
 * one whose dictionary does not read here (a key twice) is counted.
 */
static size_t
section_entries(const unsigned char *d, size_t len, long long x)
{
	static const char *const skeys[] = { "/Size" };
	long long size, index;
	size_t p;

	if (x <= 0 || (size_t)x >= len)
		return 0;
	p = skip_space(d, len, (size_t)x);
	if (len - p >= 4 && memcmp(d + p, "xref", 4) == 0)
		return table_entries(d, len, p + 4);
	if (read_num(d, len, &p) < 0 || read_num(d, len, &p) < 0)
		return 0;
	while (p < len && pdf_space(d[p]))
		p++;
	if (len - p < 3 || memcmp(d + p, "obj", 3) != 0 ||
	    dict_ints_index(d, len, p + 3, skeys, 1, &size, &index) < 0)
		return PDF_SCAN_MAX_XREF;
	if (index < 0)
		index = size;
	return index < PDF_SCAN_MAX_XREF ? (size_t)index : PDF_SCAN_MAX_XREF;
}

size_t
pdf_revision_xref_entries(const unsigned char *data, size_t len, const struct pdf_revision *rev)
{
	size_t n = section_entries(data, len, rev->xref);

	if (rev->xrefstm > 0)
		n += section_entries(data, len, rev->xrefstm);
	if (rev->linearized_main > 0)
		n += section_entries(data, len, rev->linearized_main);
	return n;
}

/* The reads of opening each of revs[0..n) on its own (*reads) and the last one's
   chain (*chain): every section up to it. */
static void
revisions_reads(const unsigned char *data, size_t len, const struct pdf_revision *revs, size_t n,
		unsigned long long *reads, unsigned long long *chain)
{
	size_t k;

	*reads = *chain = 0;
	for (k = 0; k < n; k++) {
		*chain += pdf_revision_xref_entries(data, len, &revs[k]);
		*reads += *chain;
	}
}

int
pdf_revisions_reads_check(const unsigned char *data, size_t len, const struct pdf_revision *revs,
			  size_t n, struct sp_errinfo *ei)
{
	unsigned long long chain, reads;

	revisions_reads(data, len, revs, n, &reads, &chain);
	if (reads > PDF_REVISIONS_MAX_READS)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "verifying the PDF's %zu revisions would read more than "
				     "%d cross-reference entries (each revision is read with "
				     "every section before it)",
				     n, PDF_REVISIONS_MAX_READS);
	return SP_OK;
}

int
pdf_revisions_room_check(const unsigned char *data, size_t len, const unsigned char *update,
			 size_t ulen, unsigned ltv, struct sp_errinfo *ei)
{
	struct pdf_revision *revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs));
	unsigned long long chain, reads;
	struct sp_errinfo ign;
	size_t n = 0, h, add, k;
	long long x;
	int r = SP_OK;

	if (revs == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	/* a chain that does not read was refused when it was stored: nothing to count */
	sp_errinfo_init(&ign);
	if (pdf_revisions_find(data, len, revs, PDF_REVISIONS_MAX, &n, &ign) != SP_OK || n == 0)
		goto out;
	/* every stored revision is opened once one is appended, and each appended
	   one but the last (the file itself) with every section before it */
	revisions_reads(data, len, revs, n, &reads, &chain);
	add = update != NULL ? 1 + ltv : ltv;
	for (k = 0; k + 1 < add; k++) {
		if (k == 0 && update != NULL) {
			/* its startxref counts from the file's header, as the file's do */
			h = pdf_header_offset(data, len);
			x = last_startxref(update, ulen, 0);
			chain += x > 0 && (size_t)x + h >= len
					 ? section_entries(update, ulen,
							   x + (long long)h - (long long)len)
					 : PDF_SCAN_MAX_XREF;
		} else {
			chain += PDF_LTV_UPDATE_ENTRIES;
		}
		reads += chain;
	}
	if (reads > PDF_REVISIONS_MAX_READS)
		r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				  "the PDF would no longer be verifiable: verifying its %zu "
				  "revisions and the %zu this appends would read more than %d "
				  "cross-reference entries (each revision is read with every "
				  "section before it)",
				  n, add, PDF_REVISIONS_MAX_READS);
out:
	free(revs);
	return r;
}

/* ---- signature fields ---- */

static enum pdf_sig_key
key_state(qpdf_data q, qpdf_oh d, const char *key, int want_string)
{
	qpdf_oh v;
	enum pdf_sig_key s = PDF_SIG_KEY_OK;

	if (!qpdf_oh_has_key(q, d, key))
		return PDF_SIG_KEY_MISSING;
	v = qpdf_oh_get_key_if_dict(q, d, key);
	if (qpdf_oh_is_indirect(q, v))
		s = PDF_SIG_KEY_INDIRECT;
	else if (qpdf_oh_is_null(q, v))
		s = PDF_SIG_KEY_NULL;
	else if (want_string ? !qpdf_oh_is_string(q, v) : !qpdf_oh_is_array(q, v))
		s = PDF_SIG_KEY_MALFORMED;
	qpdf_oh_release(q, v);
	return s;
}

/*
 * qpdf reads a key whose value is null as absent; the reason code should
 * still say which it was. Looks at the last definition "N G obj" in the
 * file's text (an object in an object stream reads as missing: only the
 * reason's wording depends on this, never the verdict).
 */
static int
raw_key_null(const struct pdf_doc *doc, int obj, int gen, const char *key)
{
	char head[48];
	const unsigned char *d = doc->data, *p = NULL, *q, *end;
	size_t hl, kl = strlen(key), i;

	hl = (size_t)snprintf(head, sizeof(head), "%d %d obj", obj, gen);
	for (i = doc->len >= hl ? doc->len - hl + 1 : 0; i-- > 0;)
		if (memcmp(d + i, head, hl) == 0 && (i == 0 || pdf_space(d[i - 1]))) {
			p = d + i + hl;
			break;
		}
	if (!p || !(end = memmem(p, doc->len - (size_t)(p - d), "endobj", 6)))
		return 0;
	for (q = p; (q = memmem(q, (size_t)(end - q), key, kl)) != NULL; q += kl) {
		const unsigned char *v = q + kl;
		while (v < end && pdf_space(*v))
			v++;
		if (end - v >= 4 && memcmp(v, "null", 4) == 0)
			return 1;
	}
	return 0;
}

/*
 * In an encrypted file a signature dictionary's /Contents is written plain
 * (ISO 32000-2 §7.6.2), but qpdf leaves it undecrypted only in a dictionary
 * of /Type /Sig: a document timestamp's (/Type /DocTimeStamp) it decrypts
 * into noise. Its value is read here from the object's last definition in
 * the file's text, as raw_key_null looks, the first "/Contents" there and
 * the hex string after it: *out malloc'd. 0, or -1 when there is no such
 * definition or string (an object in an object stream: its strings are not
 * encrypted, and qpdf's value stands). The gap check then compares the
 * signature's gap with what this found, as with any signature.
 */
static int
raw_contents(const struct pdf_doc *doc, int obj, int gen, unsigned char **out, size_t *outlen)
{
	char head[48];
	const unsigned char *d = doc->data, *p = NULL, *q, *end, *h;
	size_t hl, i, n;

	*out = NULL;
	*outlen = 0;
	hl = (size_t)snprintf(head, sizeof(head), "%d %d obj", obj, gen);
	for (i = doc->len >= hl ? doc->len - hl + 1 : 0; i-- > 0;)
		if (memcmp(d + i, head, hl) == 0 && (i == 0 || pdf_space(d[i - 1]))) {
			p = d + i + hl;
			break;
		}
	if (!p || !(end = memmem(p, doc->len - (size_t)(p - d), "endobj", 6)) ||
	    !(q = memmem(p, (size_t)(end - p), "/Contents", 9)))
		return -1;
	for (q += 9; q < end && pdf_space(*q); q++)
		;
	if (q == end || *q != '<')
		return -1;
	for (h = ++q; h < end && isxdigit(*h); h++)
		;
	n = (size_t)(h - q);
	if (h == end || *h != '>' || n == 0 || n % 2 || n / 2 > PDF_SIG_CONTENTS_MAX ||
	    !(*out = malloc(n / 2)))
		return -1;
	if (sp_hex_decode((const char *)q, n, *out, n / 2, outlen) != SP_OK) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* 1 when d's key is absent or a direct object (reading it consults no other object). */
static int
key_direct(qpdf_data q, qpdf_oh d, const char *key)
{
	qpdf_oh v = qpdf_oh_get_key_if_dict(q, d, key);
	int direct = !qpdf_oh_is_indirect(q, v);

	qpdf_oh_release(q, v);
	return direct;
}

static void
copy_name(qpdf_data q, qpdf_oh d, const char *key, char *out, size_t cap)
{
	qpdf_oh v = qpdf_oh_get_key_if_dict(q, d, key);

	out[0] = 0;
	if (qpdf_oh_is_name(q, v))
		snprintf(out, cap, "%s", qpdf_oh_get_name(q, v));
	qpdf_oh_release(q, v);
}

/* DocMDP permissions of a certifying signature (/Reference), 0 when none. */
static int
docmdp_p(qpdf_data q, qpdf_oh sig)
{
	qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference"), ref, tp, p;
	int i, n, res = 0;

	n = qpdf_oh_is_array(q, refs) ? qpdf_oh_get_array_n_items(q, refs) : 0;
	for (i = 0; i < n && i < 16 && res == 0; i++) {
		ref = qpdf_oh_get_array_item(q, refs, i);
		if (qpdf_oh_is_name_and_equals(q,
					       qpdf_oh_get_key_if_dict(q, ref, "/TransformMethod"),
					       "/DocMDP")) {
			tp = qpdf_oh_get_key_if_dict(q, ref, "/TransformParams");
			p = qpdf_oh_get_key_if_dict(q, tp, "/P");
			res = 2; /* the default */
			if (qpdf_oh_is_integer(q, p)) {
				long long v = qpdf_oh_get_int_value(q, p);
				res = v >= 1 && v <= 3 ? (int)v
						       : 1; /* an unknown value: strictest */
			}
		}
		qpdf_oh_release(q, ref);
	}
	qpdf_oh_release(q, refs);
	return res;
}

int
pdf_docmdp_visible_check(struct pdf_doc *doc, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh perms = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/Perms");
	char field[96];

	if (docmdp_p(q, qpdf_oh_get_key_if_dict(q, perms, "/DocMDP")) != 2)
		return SP_OK;
	/* an empty signature field the certifier left is where a seal may go */
	if (!pdf_sig_slot_first_empty(doc, field, sizeof(field)))
		field[0] = '\0';
	return sp_err_reason(ei, SP_ERR_INVALID, "docmdp_no_visible",
			     "the document is certified with DocMDP permissions P=2 (filling in "
			     "forms and signing): a new visible signature would be a change the "
			     "certification does not permit; sign it without placements (an "
			     "invisible signature)%s%s%s",
			     field[0] ? ", or into its empty signature field \"" : "", field,
			     field[0] ? "\" (placement mode field)" : "");
}

/* A FieldMDP parameters dictionary (/Action /Fields) into s's lock. */
static void
lock_read(qpdf_data q, qpdf_oh params, struct pdf_sig_field *s)
{
	qpdf_oh act = qpdf_oh_get_key_if_dict(q, params, "/Action"),
		f = qpdf_oh_get_key_if_dict(q, params, "/Fields"),
		p = qpdf_oh_get_key_if_dict(q, params, "/P"), it;
	size_t at = 0, l;
	int i, n;
	long long pv;

	s->lock_p = 0;
	if (qpdf_oh_is_integer(q, p)) {
		pv = qpdf_oh_get_int_value(q, p);
		s->lock_p = pv >= 1 && pv <= 3 ? (int)pv : 1; /* unknown: strictest */
	}

	/* an unknown action locks everything: fail closed */
	s->lock = qpdf_oh_is_name_and_equals(q, act, "/Include")   ? PDF_LOCK_INCLUDE
		  : qpdf_oh_is_name_and_equals(q, act, "/Exclude") ? PDF_LOCK_EXCLUDE
								   : PDF_LOCK_ALL;
	memset(s->lock_fields, 0, sizeof(s->lock_fields));
	if (s->lock == PDF_LOCK_ALL)
		return;
	n = qpdf_oh_is_array(q, f) ? qpdf_oh_get_array_n_items(q, f) : 0;
	for (i = 0; i < n; i++) {
		it = qpdf_oh_get_array_item(q, f, i);
		if (!qpdf_oh_is_string(q, it))
			continue;
		l = strlen(qpdf_oh_get_utf8_value(q, it));
		if (l == 0)
			continue;
		if (at + l + 2 > sizeof(s->lock_fields)) {
			/* an Include list cut short would unlock fields: lock all instead; an
			   Exclude list cut short only locks more */
			if (s->lock == PDF_LOCK_INCLUDE)
				s->lock = PDF_LOCK_ALL;
			return;
		}
		memcpy(s->lock_fields + at, qpdf_oh_get_utf8_value(q, it), l + 1);
		at += l + 1;
	}
}

/*
 * The FieldMDP lock a signature carries: its /Reference's, which replaces
 * the field's /Lock that pdf_sig_field_lock() read (the field and its signature
 * value may be read from different revisions).
 */
static void
ref_lock(qpdf_data q, qpdf_oh sig, struct pdf_sig_field *s)
{
	qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference"), ref;
	int i, n;

	n = qpdf_oh_is_array(q, refs) ? qpdf_oh_get_array_n_items(q, refs) : 0;
	for (i = 0; i < n && i < 16; i++) {
		ref = qpdf_oh_get_array_item(q, refs, i);
		if (qpdf_oh_is_name_and_equals(q,
					       qpdf_oh_get_key_if_dict(q, ref, "/TransformMethod"),
					       "/FieldMDP")) {
			lock_read(q, qpdf_oh_get_key_if_dict(q, ref, "/TransformParams"), s);
			return;
		}
	}
}

void
pdf_sig_field_lock(qpdf_data q, qpdf_oh field, struct pdf_sig_field *s)
{
	qpdf_oh lk = qpdf_oh_get_key_if_dict(q, field, "/Lock");

	s->lock = PDF_LOCK_NONE;
	s->lock_p = 0;
	memset(s->lock_fields, 0, sizeof(s->lock_fields));
	if (qpdf_oh_is_dictionary(q, lk))
		lock_read(q, lk, s);
}

/* name is field or one of its ancestors ("a.b" covers "a.b" and "a.b.c"). */
static int
covers(const char *name, const char *field)
{
	size_t l = strlen(name);

	return strncmp(name, field, l) == 0 && (field[l] == 0 || field[l] == '.');
}

int
pdf_sig_field_locks(const struct pdf_sig_field *s, const char *field)
{
	const char *p;

	if (s->lock == PDF_LOCK_NONE)
		return 0;
	if (s->lock == PDF_LOCK_ALL)
		return 1;
	for (p = s->lock_fields; *p; p += strlen(p) + 1)
		if (covers(p, field))
			return s->lock == PDF_LOCK_INCLUDE;
	return s->lock == PDF_LOCK_EXCLUDE;
}

/* s's signature dictionary v (in doc): its keys into s, field name and lock kept. */
static int
sig_read(struct pdf_doc *doc, qpdf_oh v, struct pdf_sig_field *s, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh c, br, it;
	const char *bin;
	size_t blen;
	int i;

	free(s->contents);
	s->contents = NULL;
	s->contents_len = 0;
	s->unread = 0;
	s->self_contained = 0;
	s->gap_ok = 0; /* these bytes' gap was not compared with this read */
	s->type[0] = s->filter[0] = s->subfilter[0] = 0;
	s->docmdp_p = s->has_m = 0;
	memset(s->byterange, 0, sizeof(s->byterange));
	if (!qpdf_oh_is_dictionary(q, v)) {
		s->contents_state = s->byterange_state = PDF_SIG_KEY_MALFORMED;
		return SP_OK;
	}
	copy_name(q, v, "/Type", s->type, sizeof(s->type));
	copy_name(q, v, "/Filter", s->filter, sizeof(s->filter));
	copy_name(q, v, "/SubFilter", s->subfilter, sizeof(s->subfilter));
	s->docmdp_p = docmdp_p(q, v);
	s->has_m = qpdf_oh_has_key(q, v, "/M");
	ref_lock(q, v, s);
	s->contents_state = key_state(q, v, "/Contents", 1);
	s->byterange_state = key_state(q, v, "/ByteRange", 0);
	if (s->contents_state == PDF_SIG_KEY_MISSING && s->sig_obj > 0 &&
	    raw_key_null(doc, s->sig_obj, s->sig_gen, "/Contents"))
		s->contents_state = PDF_SIG_KEY_NULL;
	if (s->byterange_state == PDF_SIG_KEY_MISSING && s->sig_obj > 0 &&
	    raw_key_null(doc, s->sig_obj, s->sig_gen, "/ByteRange"))
		s->byterange_state = PDF_SIG_KEY_NULL;
	if (s->contents_state == PDF_SIG_KEY_OK) {
		c = qpdf_oh_get_key_if_dict(q, v, "/Contents");
		bin = qpdf_oh_get_binary_string_value(q, c, &blen);
		if (!bin || blen == 0 || blen > PDF_SIG_CONTENTS_MAX) {
			s->contents_state = PDF_SIG_KEY_MALFORMED;
		} else if (qpdf_is_encrypted(q) && strcmp(s->type, "/Sig") != 0 &&
			   raw_contents(doc, s->sig_obj, s->sig_gen, &s->contents,
					&s->contents_len) == 0) {
			/* not decrypted: see raw_contents */
		} else if (!(s->contents = malloc(blen))) {
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		} else {
			memcpy(s->contents, bin, blen);
			s->contents_len = blen;
		}
		qpdf_oh_release(q, c);
	}
	if (s->byterange_state == PDF_SIG_KEY_OK) {
		br = qpdf_oh_get_key_if_dict(q, v, "/ByteRange");
		if (qpdf_oh_get_array_n_items(q, br) != 4)
			s->byterange_state = PDF_SIG_KEY_MALFORMED;
		for (i = 0; i < 4 && s->byterange_state == PDF_SIG_KEY_OK; i++) {
			it = qpdf_oh_get_array_item(q, br, i);
			if (!qpdf_oh_is_integer(q, it) || qpdf_oh_is_indirect(q, it) ||
			    qpdf_oh_get_int_value(q, it) < 0)
				s->byterange_state = PDF_SIG_KEY_MALFORMED;
			else
				s->byterange[i] = qpdf_oh_get_int_value(q, it);
			qpdf_oh_release(q, it);
		}
		qpdf_oh_release(q, br);
	}
	s->self_contained = s->sig_obj > 0 && qpdf_oh_is_indirect(q, v) &&
			    !qpdf_oh_is_stream(q, v) && !qpdf_oh_has_key(q, v, "/Reference") &&
			    key_direct(q, v, "/Type") && key_direct(q, v, "/Filter") &&
			    key_direct(q, v, "/SubFilter") && s->contents_state == PDF_SIG_KEY_OK &&
			    s->byterange_state == PDF_SIG_KEY_OK;
	return SP_OK;
}

int
pdf_sig_read_value(struct pdf_doc *doc, qpdf_oh v, struct pdf_sig_field *s, struct sp_errinfo *ei)
{
	return sig_read(doc, v, s, ei);
}

int
pdf_sig_field_read(struct pdf_doc *doc, struct pdf_sig_field *s, struct sp_errinfo *ei)
{
	qpdf_oh v;

	if (s->sig_obj <= 0)
		return sp_err(ei, SP_ERR_NOT_FOUND, "no signature object");
	v = qpdf_get_object_by_id(doc->q, s->sig_obj, s->sig_gen);
	if (qpdf_oh_is_null(doc->q, v))
		return sp_err(ei, SP_ERR_NOT_FOUND, "object %d is not in this revision",
			      s->sig_obj);
	return sig_read(doc, v, s, ei);
}

static int
sig_add(struct pdf_doc *doc, qpdf_oh field, qpdf_oh v, const char *name, int lazy,
	struct pdf_sig_field **arr, size_t *n, size_t *cap, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	struct pdf_sig_field *s;

	if (*n == SIG_FIELDS_MAX)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit", "more than %d signatures",
				     SIG_FIELDS_MAX);
	if (*n == *cap) {
		void *nv = realloc(*arr, (*cap ? 2 * *cap : 8) * sizeof(**arr));
		if (!nv)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		*arr = nv;
		*cap = *cap ? 2 * *cap : 8;
	}
	s = &(*arr)[(*n)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->field_obj = qpdf_oh_get_object_id(q, field);
	pdf_sig_field_lock(q, field, s);
	if (qpdf_oh_is_indirect(q, v)) {
		s->sig_obj = qpdf_oh_get_object_id(q, v);
		s->sig_gen = qpdf_oh_get_generation(q, v);
		if (lazy) {
			s->unread = 1;
			return SP_OK;
		}
	}
	return sig_read(doc, v, s, ei);
}

static int
known(const int *skip, size_t nskip, int id)
{
	size_t i;

	for (i = 0; i < nskip; i++)
		if (skip[i] == id)
			return 1;
	return 0;
}

static int list(struct pdf_doc *doc, const int *skip, size_t nskip, int lazy,
		const struct pdf_sig_field *kn, size_t nkn, struct pdf_sig_field **out,
		size_t *nout, struct sp_errinfo *ei);

int
pdf_sig_fields_list(struct pdf_doc *doc, struct pdf_sig_field **out, size_t *nout,
		    struct sp_errinfo *ei)
{
	return list(doc, NULL, 0, 0, NULL, 0, out, nout, ei);
}

int
pdf_sig_fields_list_lazy(struct pdf_doc *doc, struct pdf_sig_field **out, size_t *nout,
			 struct sp_errinfo *ei)
{
	return list(doc, NULL, 0, 1, NULL, 0, out, nout, ei);
}

int
pdf_sig_fields_list_known(struct pdf_doc *doc, const struct pdf_sig_field *known, size_t nknown,
			  struct pdf_sig_field **out, size_t *nout, struct sp_errinfo *ei)
{
	return list(doc, NULL, 0, 1, known, nknown, out, nout, ei);
}

int
pdf_sig_fields_list_new(struct pdf_doc *doc, const int *skip, size_t nskip,
			struct pdf_sig_field **out, size_t *nout, struct sp_errinfo *ei)
{
	return list(doc, skip, nskip, 0, NULL, 0, out, nout, ei);
}

/* 1 when v (indirect) is the object of one of kn[0..nkn): known to be a dictionary. */
static int
known_dict(qpdf_data q, qpdf_oh v, const struct pdf_sig_field *kn, size_t nkn)
{
	int id = qpdf_oh_get_object_id(q, v), gen = qpdf_oh_get_generation(q, v);
	size_t i;

	for (i = 0; i < nkn; i++)
		if (kn[i].self_contained && kn[i].sig_obj == id && kn[i].sig_gen == gen)
			return 1;
	return 0;
}

/*
 * pdf_sig_fields_list_new() from the form's kept facts (doc->kept): the
 * lazy listing they answer as the walk would (form_kept_list), each field
 * whose value skip names dropped (the walk goes no further there), every
 * other value read as the walk's sig_add() reads it, one that is no object
 * dropped (the walk adds no such field; the facts list a field with kids
 * only with its value read, and answer not when that value is none, which
 * the walk would go down the kids of). So the same fields, in the same
 * order, read the same; 1 when the facts do not answer (the caller walks).
 * The walk resolved every field dictionary of the revision: k of them in
 * each revision between the given and the final one at a contract's k-th
 * signing with long-term data (engine_sigs_hidden).
 */
static int
list_new_kept(struct pdf_doc *doc, const int *skip, size_t nskip, struct pdf_sig_field **out,
	      size_t *nout, struct sp_errinfo *ei)
{
	struct pdf_sig_field *arr = NULL;
	size_t n = 0, i, k = 0;
	qpdf_oh v;
	int r;

	if ((r = form_kept_list(doc, NULL, 0, skip, nskip, &arr, &n, ei)) != SP_OK)
		return r;
	for (i = 0; i < n; i++) {
		if (known(skip, nskip, arr[i].sig_obj)) {
			free(arr[i].contents);
			continue;
		}
		if (arr[i].unread) {
			v = qpdf_get_object_by_id(doc->q, arr[i].sig_obj, arr[i].sig_gen);
			if (qpdf_oh_is_null(doc->q, v))
				continue; /* unread: no kids (nothing allocated yet) */
			if ((r = pdf_sig_read_value(doc, v, &arr[i], ei)) < 0)
				goto fail;
		}
		arr[k++] = arr[i];
	}
	if (qpdf_has_error(doc->q)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				  "the form fields cannot be read");
		goto fail;
	}
	if (k == 0) {
		free(arr);
		arr = NULL;
	}
	*out = arr;
	*nout = k;
	return SP_OK;
fail:
	/* kept [0..k), not yet looked at [i..n): the others were moved or freed */
	for (; i < n; i++)
		free(arr[i].contents);
	pdf_sig_fields_free(arr, k);
	return r;
}

static int
list(struct pdf_doc *doc, const int *skip, size_t nskip, int lazy, const struct pdf_sig_field *kn,
     size_t nkn, struct pdf_sig_field **out, size_t *nout, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	struct node {
		qpdf_oh oh;
		int depth, is_sig;
		char name[128];
	} *st = NULL;
	size_t sp = 0, cap = 64, nodes = 0, n = 0, scap = 0;
	struct pdf_sig_field *arr = NULL;
	qpdf_oh af, fields, kids, ft, t, v;
	int r = SP_ERR_INTERNAL, i, cnt, lz;

	*out = NULL;
	*nout = 0;
	/* the lazy listing from the form's kept facts (form_kept.c), when they answer */
	if (lazy && nskip == 0 && doc->kept != NULL &&
	    (r = form_kept_list(doc, kn, nkn, NULL, 0, out, nout, ei)) != 1)
		return r;
	if (!lazy && nskip > 0 && doc->kept != NULL &&
	    (r = list_new_kept(doc, skip, nskip, out, nout, ei)) != 1)
		return r;
	if (!(st = malloc(cap * sizeof(*st))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	af = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/AcroForm");
	fields = qpdf_oh_get_key_if_dict(q, af, "/Fields");
	cnt = qpdf_oh_is_array(q, fields) ? qpdf_oh_get_array_n_items(q, fields) : 0;
	for (i = cnt; i-- > 0;) {
		if (sp == cap) {
			r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit", "too many form fields");
			goto out;
		}
		st[sp].oh = qpdf_oh_get_array_item(q, fields, i);
		st[sp].depth = 0;
		st[sp].is_sig = 0;
		st[sp++].name[0] = 0;
		if (sp == cap) {
			void *nv =
				cap < FIELD_NODES_MAX ? realloc(st, 2 * cap * sizeof(*st)) : NULL;
			if (!nv) {
				r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
						  "too many form fields");
				goto out;
			}
			st = nv;
			cap *= 2;
		}
	}
	while (sp > 0) {
		struct node cur = st[--sp];
		char full[128];
		if (++nodes > FIELD_NODES_MAX || cur.depth > PDF_MAX_DEPTH) {
			r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					  "the field tree is too large");
			goto out;
		}
		if (!qpdf_oh_is_dictionary(q, cur.oh))
			continue;
		ft = qpdf_oh_get_key_if_dict(q, cur.oh, "/FT");
		if (qpdf_oh_is_name(q, ft))
			cur.is_sig = qpdf_oh_is_name_and_equals(q, ft, "/Sig");
		t = qpdf_oh_get_key_if_dict(q, cur.oh, "/T");
		/* names are for people: a very long one is cut, never overflowed */
		snprintf(full, sizeof(full), "%.60s%s%.60s", cur.name, cur.name[0] ? "." : "",
			 qpdf_oh_is_string(q, t) ? qpdf_oh_get_utf8_value(q, t) : "");
		v = qpdf_oh_get_key_if_dict(q, cur.oh, "/V");
		kids = qpdf_oh_get_key_if_dict(q, cur.oh, "/Kids");
		/* a signature already known is not read again (its /Contents is large) */
		if (cur.is_sig && nskip > 0 && qpdf_oh_is_indirect(q, v) &&
		    known(skip, nskip, qpdf_oh_get_object_id(q, v)))
			continue;
		/* lazy: an indirect value is not resolved (parsed) here, unless the field also
		   has kids, which a value that is no object would leave to be walked */
		lz = lazy && qpdf_oh_is_indirect(q, v) &&
		     (!qpdf_oh_is_array(q, kids) || (nkn > 0 && known_dict(q, v, kn, nkn)));
		if (cur.is_sig && (lz || !qpdf_oh_is_null(q, v))) {
			if ((r = sig_add(doc, cur.oh, v, full, lz, &arr, &n, &scap, ei)) < 0)
				goto out;
		} else if (qpdf_oh_is_array(q, kids)) {
			cnt = qpdf_oh_get_array_n_items(q, kids);
			for (i = cnt; i-- > 0;) {
				if (sp + 1 >= cap) {
					void *nv = cap < FIELD_NODES_MAX
							   ? realloc(st, 2 * cap * sizeof(*st))
							   : NULL;
					if (!nv) {
						r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
								  "too many form fields");
						goto out;
					}
					st = nv;
					cap *= 2;
				}
				st[sp].oh = qpdf_oh_get_array_item(q, kids, i);
				st[sp].depth = cur.depth + 1;
				st[sp].is_sig = cur.is_sig;
				snprintf(st[sp++].name, sizeof(st[0].name), "%s", full);
			}
		}
	}
	if (qpdf_has_error(q)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				  "the form fields cannot be read");
		goto out;
	}
	*out = arr;
	*nout = n;
	arr = NULL; /* transferred */
	r = SP_OK;
out:
	pdf_sig_fields_free(arr, n);
	free(st);
	return r;
}

void
pdf_sig_fields_free(struct pdf_sig_field *s, size_t n)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < n; i++)
		free(s[i].contents);
	free(s);
}

/* One packed read: the entry (its pointer cleared) and then its /Contents. */
int
pdf_sig_reads_pack(const struct pdf_sig_field *s, size_t n, uint8_t **out, size_t *len,
		   struct sp_errinfo *ei)
{
	struct pdf_sig_field e;
	size_t i, total = 0;
	uint8_t *b, *w;

	*out = NULL;
	*len = 0;
	for (i = 0; i < n; i++)
		if (s[i].self_contained && s[i].contents_len <= PDF_SIG_CONTENTS_MAX)
			total += sizeof(e) + s[i].contents_len;
	if (total == 0)
		return SP_OK;
	if (!(b = malloc(total)))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (w = b, i = 0; i < n; i++) {
		if (!s[i].self_contained || s[i].contents_len > PDF_SIG_CONTENTS_MAX)
			continue;
		e = s[i];
		e.contents = NULL;
		memcpy(w, &e, sizeof(e));
		w += sizeof(e);
		if (e.contents_len > 0)
			memcpy(w, s[i].contents, e.contents_len);
		w += e.contents_len;
	}
	*out = b;
	*len = total;
	return SP_OK;
}

int
pdf_sig_reads_unpack(const uint8_t *b, size_t len, struct pdf_sig_field **out, size_t *n,
		     struct sp_errinfo *ei)
{
	struct pdf_sig_field *arr = NULL, e;
	size_t cnt = 0, cap = 0, off = 0;
	void *nv;

	*out = NULL;
	*n = 0;
	while (off < len) {
		if (len - off < sizeof(e))
			goto bad;
		memcpy(&e, b + off, sizeof(e));
		off += sizeof(e);
		if (!e.self_contained || e.contents_len > PDF_SIG_CONTENTS_MAX ||
		    e.contents_len > len - off || e.sig_obj <= 0 || cnt == SIG_FIELDS_MAX)
			goto bad;
		if (cnt == cap) {
			if (!(nv = realloc(arr, (cap ? 2 * cap : 8) * sizeof(*arr)))) {
				pdf_sig_fields_free(arr, cnt);
				return sp_err(ei, SP_ERR_NOMEM, "out of memory");
			}
			arr = nv;
			cap = cap ? 2 * cap : 8;
		}
		e.name[sizeof(e.name) - 1] = 0;
		e.contents = NULL;
		if (e.contents_len > 0 && !(e.contents = malloc(e.contents_len))) {
			pdf_sig_fields_free(arr, cnt);
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		}
		if (e.contents_len > 0)
			memcpy(e.contents, b + off, e.contents_len);
		off += e.contents_len;
		arr[cnt++] = e;
	}
	*out = arr;
	*n = cnt;
	return SP_OK;
bad:
	pdf_sig_fields_free(arr, cnt);
	return sp_err(ei, SP_ERR_INVALID, "not packed signature reads");
}

int
pdf_sig_field_same(struct pdf_doc *doc, const struct pdf_sig_field *s)
{
	qpdf_data q = doc->q;
	qpdf_oh v, c, br, it;
	const char *bin;
	unsigned char *raw = NULL;
	char type[32];
	size_t blen;
	int i, same = 0;

	if (s->sig_obj <= 0)
		return 0;
	v = qpdf_get_object_by_id(q, s->sig_obj, s->sig_gen);
	if (!qpdf_oh_is_dictionary(q, v))
		goto out;
	c = qpdf_oh_get_key_if_dict(q, v, "/Contents");
	br = qpdf_oh_get_key_if_dict(q, v, "/ByteRange");
	copy_name(q, v, "/Type", type, sizeof(type)); /* before bin: qpdf's one string buffer */
	bin = qpdf_oh_is_string(q, c) ? qpdf_oh_get_binary_string_value(q, c, &blen) : NULL;
	if (bin && qpdf_is_encrypted(q) && strcmp(type, "/Sig") != 0 &&
	    raw_contents(doc, s->sig_obj, s->sig_gen, &raw, &blen) == 0)
		bin = (const char *)raw; /* not decrypted: see raw_contents */
	if (!bin || blen != s->contents_len || memcmp(bin, s->contents, blen) != 0 ||
	    !qpdf_oh_is_array(q, br) || qpdf_oh_get_array_n_items(q, br) != 4)
		goto out;
	for (i = 0; i < 4; i++) {
		it = qpdf_oh_get_array_item(q, br, i);
		if (!qpdf_oh_is_integer(q, it) || qpdf_oh_get_int_value(q, it) != s->byterange[i])
			goto out;
	}
	same = 1;
out:
	free(raw);
	return same;
}

/* The DocMDP permissions s sets for what follows it: its certification's, lowered by its lock's. */
static int
own_p(const struct pdf_sig_field *s)
{
	return s->lock_p > 0 && (s->docmdp_p == 0 || s->lock_p < s->docmdp_p) ? s->lock_p
									      : s->docmdp_p;
}

/*
 * SP_ERR_INVALID when one of s[0..n) forbids any change (docmdp_no_changes),
 * or what prep adds (NULL: nothing known yet) as the verifier judges it
 * after them (crypto/verify.c changes_after, permitted): new visible widgets
 * after P=2 (docmdp_no_visible), an empty field filled that a lock covers
 * (field_locked).
 */
static int
refuse(struct pdf_doc *doc, const struct pdf_sig_field *s, size_t n,
       const struct pdf_sig_prepared *prep, struct sp_errinfo *ei)
{
	char field[96];
	size_t i;

	for (i = 0; i < n && s[i].docmdp_p != 1 && s[i].lock_p != 1; i++)
		;
	if (i < n)
		return sp_err_reason(ei, SP_ERR_INVALID, "docmdp_no_changes",
				     "the document is %s by signature \"%.60s\" with DocMDP "
				     "permissions P=1 (no changes allowed): another signature "
				     "would invalidate %s",
				     s[i].docmdp_p == 1 ? "certified" : "locked", s[i].name,
				     s[i].docmdp_p == 1 ? "the certification" : "it");
	for (i = 0; prep != NULL && prep->visible_new > 0 && i < n; i++) {
		if (own_p(&s[i]) != 2)
			continue;
		if (!pdf_sig_slot_first_empty(doc, field, sizeof(field)))
			field[0] = '\0';
		return sp_err_reason(
			ei, SP_ERR_INVALID, "docmdp_no_visible",
			"the document is %s by signature \"%.60s\" with DocMDP permissions P=2 "
			"(filling in forms and signing): a new visible signature would be a "
			"change %s does not permit; sign it without placements (an invisible "
			"signature)%s%s%s",
			s[i].docmdp_p == 2 ? "certified" : "locked", s[i].name,
			s[i].docmdp_p == 2 ? "the certification" : "the lock",
			field[0] ? ", or into its empty signature field \"" : "", field,
			field[0] ? "\" (placement mode field)" : "");
	}
	for (i = 0; prep != NULL && prep->filled && i < n; i++)
		if (pdf_sig_field_locks(&s[i], prep->field))
			return sp_err_reason(ei, SP_ERR_INVALID, "field_locked",
					     "the signature field \"%.60s\" is locked by signature "
					     "\"%.60s\" (FieldMDP): signing it would invalidate "
					     "that "
					     "signature; sign without the field placement",
					     prep->field, s[i].name);
	return SP_OK;
}

int
pdf_docmdp_check_signable(struct pdf_doc *doc, const struct pdf_sig_prepared *prep,
			  struct sp_errinfo *ei)
{
	struct pdf_sig_field *s = NULL;
	size_t n = 0;
	int r;

	if ((r = pdf_sig_fields_list(doc, &s, &n, ei)) < 0)
		return r;
	r = refuse(doc, s, n, prep, ei);
	pdf_sig_fields_free(s, n);
	return r;
}

/* the read of kn[0..nkn) that is sig's object, or NULL */
static const struct pdf_sig_field *
known_read(const struct pdf_sig_field *kn, size_t nkn, const struct pdf_sig_field *sig)
{
	size_t i;

	for (i = 0; i < nkn; i++)
		if (kn[i].self_contained && kn[i].sig_obj == sig->sig_obj &&
		    kn[i].sig_gen == sig->sig_gen)
			return &kn[i];
	return NULL;
}

int
pdf_docmdp_check_signable_known(struct pdf_doc *doc, const struct pdf_sig_prepared *prep,
				const uint8_t *reads, size_t reads_len, struct sp_errinfo *ei)
{
	struct pdf_sig_field *kn = NULL, *s = NULL;
	const struct pdf_sig_field *k;
	struct sp_errinfo ign;
	size_t nkn = 0, n = 0, i;
	int r;

	sp_errinfo_init(&ign);
	if (reads == NULL || pdf_sig_reads_unpack(reads, reads_len, &kn, &nkn, &ign) != SP_OK ||
	    nkn == 0) {
		pdf_sig_fields_free(kn, nkn);
		return pdf_docmdp_check_signable(doc, prep, ei);
	}
	/* the fields as the full list finds them, values left unread (only a field's
	   own /Lock is read with it) */
	if ((r = pdf_sig_fields_list_known(doc, kn, nkn, &s, &n, ei)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (!s[i].unread)
			continue;
		/*
		 * A known read is self-contained: a dictionary without /Reference,
		 * so it carries no DocMDP and no FieldMDP of its own (docmdp_p 0,
		 * the field's lock as just read), what reading it again would give.
		 */
		if ((k = known_read(kn, nkn, &s[i])) != NULL) {
			s[i].docmdp_p = k->docmdp_p;
			continue;
		}
		/* any other value is read as the full list reads it; a reference to no
		   object is no signature there either (its field's /Lock binds nothing) */
		sp_errinfo_init(&ign);
		if ((r = pdf_sig_field_read(doc, &s[i], &ign)) == SP_ERR_NOT_FOUND) {
			s[i].docmdp_p = s[i].lock_p = 0;
			continue;
		}
		if (r < 0) {
			*ei = ign;
			goto out;
		}
	}
	r = refuse(doc, s, n, prep, ei);
out:
	pdf_sig_fields_free(s, n);
	pdf_sig_fields_free(kn, nkn);
	return r;
}
