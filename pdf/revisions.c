/*
 * revisions.c: the revisions of a PDF (one per xref section, found through
 * startxref and the /Prev chain, each ending at its %%EOF), read for
 * verification, and what opening them reads (the verifier's budget). The
 * signature fields are sig_fields.c's.
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

/*
 * A non-negative decimal after optional white space; -1 when there is none,
 * or when it has more than 15 digits after its leading zeros (no offset or
 * count: taking the first 15 digits of "/Prev 0000000000000001234", as this
 * did, read 1 where qpdf reads 1234).
 */
static long long
read_num(const unsigned char *d, size_t len, size_t *p)
{
	long long v = 0;
	int digits = 0, seen = 0;

	while (*p < len && pdf_space(d[*p]))
		(*p)++;
	for (; *p < len && isdigit(d[*p]); (*p)++, seen = 1) {
		if (v == 0 && d[*p] == '0')
			continue;
		if (++digits > 15)
			return -1;
		v = v * 10 + (d[*p] - '0');
	}
	return seen ? v : -1;
}

/*
 * read_num() of an integer token, as qpdf's tokenizer reads one: its digits
 * end at white space, a delimiter or the end of the bytes. "123abc" is a
 * word to qpdf, "12.5" a real: no integer (-1), where read_num() reads 123
 * and 12.
 */
static long long
read_int(const unsigned char *d, size_t len, size_t *p)
{
	long long v = read_num(d, len, p);

	return v >= 0 && *p < len && !pdf_space(d[*p]) && !pdf_delim(d[*p]) ? -1 : v;
}

long long
pdf_startxref_at(const unsigned char *d, size_t len, size_t at)
{
	size_t p = at + 9;

	/* "startxref" a word of its own, then an integer (qpdf's findStartxref) */
	if (len < 9 || at > len - 9 || memcmp(d + at, "startxref", 9) != 0 ||
	    (p < len && !pdf_space(d[p]) && !pdf_delim(d[p])))
		return -1;
	return read_int(d, len, &p);
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
   -1 when absent, or when the last "startxref" is not a word followed by an
   integer (qpdf would go back to an earlier one, or repair the file). */
static long long
last_startxref(const unsigned char *d, size_t to, size_t h)
{
	size_t i;

	for (i = to >= 9 ? to - 9 + 1 : 0; i-- > 0;)
		if (memcmp(d + i, "startxref", 9) == 0)
			return at_header(pdf_startxref_at(d, to, i), h);
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

/* 1 when "G R" follows p: the integer before p was a reference's object number. */
static int
ref_follows(const unsigned char *d, size_t len, size_t p)
{
	if (read_int(d, len, &p) < 0)
		return 0;
	p = skip_blank(d, len, p);
	return p < len && d[p] == 'R' &&
	       (p + 1 == len || pdf_space(d[p + 1]) || pdf_delim(d[p + 1]));
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
		} else if (c == '<') { /* a hex string: hex digits and white space alone (what
					  else readers skip or end the string at, each its way) */
			for (p++; p < len && d[p] != '>'; p++)
				if (!isxdigit(d[p]) && !pdf_space(d[p]))
					return -1;
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
			     p < len && !pdf_delim(d[p]) && !pdf_space(d[p]); p++) {
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
					if ((v = read_int(d, len, &p)) < 0)
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
				if (seen[i]++ || (vals[i] = read_int(d, len, &q)) < 0)
					return -1;
				/* "/Prev 12 0 R" is a reference, which qpdf refuses for one */
				if (ref_follows(d, len, q))
					return -1;
				p = q;
			}
		} else if (c == ')' || c == '>' || c == '{' || c == '}') {
			return -1;
		} else { /* a number or a keyword (R, true, null): to the next delimiter */
			while (p < len && !pdf_delim(d[p]) && !pdf_space(d[p]))
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
		/* NOLINTNEXTLINE(misc-redundant-expression): each read moves p on */
		if (read_int(d, len, &p) < 0 || read_int(d, len, &p) < 0)
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
			/* NOLINTNEXTLINE(misc-redundant-expression): each read moves p on */
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
	/* NOLINTNEXTLINE(misc-redundant-expression): each read moves p on */
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

void
pdf_reads_count_of(const unsigned char *data, size_t len, const struct pdf_revision *revs, size_t n,
		   struct pdf_reads_count *c)
{
	revisions_reads(data, len, revs, n, &c->reads, &c->chain);
	c->nrevs = n;
}

int
pdf_reads_count_extend(const unsigned char *data, size_t len, const struct pdf_revision *revs,
		       size_t n, struct pdf_reads_count *c)
{
	size_t k;

	if (c->nrevs == 0 || c->nrevs > n)
		return -1;
	for (k = (size_t)c->nrevs; k < n; k++) {
		c->chain += pdf_revision_xref_entries(data, len, &revs[k]);
		c->reads += c->chain;
	}
	c->nrevs = n;
	return 0;
}

int
pdf_revisions_room_check_known(const struct pdf_reads_count *c, size_t len, size_t header,
			       const unsigned char *update, size_t ulen, unsigned ltv,
			       struct sp_errinfo *ei)
{
	unsigned long long chain = c->chain, reads = c->reads;
	size_t add, k;
	long long x;

	/* every stored revision is opened once one is appended, and each appended
	   one but the last (the file itself) with every section before it */
	add = update != NULL ? 1 + ltv : ltv;
	for (k = 0; k + 1 < add; k++) {
		if (k == 0 && update != NULL) {
			/* its startxref counts from the file's header, as the file's do */
			x = last_startxref(update, ulen, 0);
			chain += x > 0 && (size_t)x + header >= len
					 ? section_entries(update, ulen,
							   x + (long long)header - (long long)len)
					 : PDF_SCAN_MAX_XREF;
		} else {
			chain += PDF_LTV_UPDATE_ENTRIES;
		}
		reads += chain;
	}
	if (reads > PDF_REVISIONS_MAX_READS)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "the PDF would no longer be verifiable: verifying its %llu "
				     "revisions and the %zu this appends would read more than %d "
				     "cross-reference entries (each revision is read with every "
				     "section before it)",
				     c->nrevs, add, PDF_REVISIONS_MAX_READS);
	return SP_OK;
}

int
pdf_reads_count_find(const unsigned char *data, size_t len, struct pdf_reads_count *c)
{
	struct pdf_revision *revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs));
	struct sp_errinfo ign;
	size_t n = 0;
	int r = SP_ERR_NOT_FOUND;

	if (revs == NULL)
		return SP_ERR_NOMEM;
	sp_errinfo_init(&ign);
	if (pdf_revisions_find(data, len, revs, PDF_REVISIONS_MAX, &n, &ign) == SP_OK && n > 0) {
		pdf_reads_count_of(data, len, revs, n, c);
		r = SP_OK;
	}
	free(revs);
	return r;
}

int
pdf_revisions_room_check(const unsigned char *data, size_t len, const unsigned char *update,
			 size_t ulen, unsigned ltv, struct sp_errinfo *ei)
{
	struct pdf_reads_count c;
	int r = pdf_reads_count_find(data, len, &c);

	if (r == SP_ERR_NOMEM)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	/* a chain that does not read was refused when it was stored: nothing to count */
	return r != SP_OK ? SP_OK
			  : pdf_revisions_room_check_known(&c, len, pdf_header_offset(data, len),
							   update, ulen, ltv, ei);
}
