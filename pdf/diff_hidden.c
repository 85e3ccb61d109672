/*
 * diff_hidden.c: whether an update's objects name, in their bytes, an object
 * the newer revision lacks (struct pdf_refs' no_hidden).
 *
 * qpdf reads a reference to a missing object as null and lists no
 * dictionary key whose value is null, so no walk through qpdf sees such a
 * reference; a later update that defines the object changes what the
 * older objects read as (/XObject << /X1 99 0 R >>, object 99 drawn once
 * it exists). Telling whether a revision hides one takes a walk of the
 * whole revision (orphans_named), some 5 M instructions at a 10-page
 * contract's completion, more with each signature. A file qpdf rewrote
 * hides none; an update whose objects name none in their bytes keeps it
 * so, and its bytes are few (a signature's: its dictionary, widget and
 * appearances). So each update's objects are read here, as qpdf's
 * tokenizer reads them: comments, strings and names skipped, a reference
 * being two integers and R.
 *
 * A file from outside (POST /api/v1/verify, `sealpact verify`, an upload
 * kept signed) or a revision whose references were not handed on (another
 * process's completion) was not rewritten here: its references are walked
 * (pdf_refs_init), and then every object its cross-reference sections list
 * is read the same way (diff_doc_names_missing). One that names no object
 * the revision lacks hides none either: a 10-page contract's 5 M
 * instructions of walk saved at each later update, for some 0.1 M once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

/* the bytes read of one update's objects: past them, not known */
#define HIDDEN_READ_MAX ((size_t)16 * 1024 * 1024)

/*
 * 1 when a reference to num (generation gen) may be one no walk sees: newer
 * has no such object, so the reference reads as null. A number some walk
 * saw referred to (refs) is not asked: an update that defines it later is
 * told to fill a reference (classify), whatever refers to it; so the
 * signature's update (its widget naming the page, the form, its own new
 * objects) has qpdf parse nothing here.
 */
static int
missing(struct pdf_doc *newer, const struct pdf_refs *refs, long long num, long long gen)
{
	qpdf_oh h;
	int m;

	if (num <= 0 || num > PDF_DOC_MAX_OBJECTS || gen < 0 || gen > 65535)
		return 1;
	if ((size_t)num < refs->n && REF_HAS(refs, num))
		return 0;
	h = qpdf_get_object_by_id(newer->q, (int)num, (int)gen);
	m = qpdf_oh_is_null(newer->q, h);
	qpdf_oh_release(newer->q, h);
	return m;
}

/*
 * Where the run of hex digits and white space from d[p] ends (at most len):
 * a hex string's body, which qpdf's tokenizer reads to '>' and ends early at
 * any other byte. A signature's /Contents is some 16,000 of them at every
 * update: eight bytes are told at once while they are all hex digits (each
 * byte below 0x80, then in '0'..'9', or in 'a'..'f' once bit 5 is set,
 * which only 'A'..'F' and 'a'..'f' map there), the rest one by one.
 */
static size_t
hex_run(const unsigned char *d, size_t p, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t w, l, dg, al;

	while (len - p >= 8) {
		memcpy(&w, d + p, 8);
		l = w | 0x2020202020202020ULL;
		dg = (w + (0x80 - '0') * ones) & ~(w + (0x80 - '9' - 1) * ones);
		al = (l + (0x80 - 'a') * ones) & ~(l + (0x80 - 'f' - 1) * ones);
		if ((w & high) != 0 || ((dg | al) & high) != high)
			break;
		p += 8;
	}
	while (p < len && (pdf_char_class[d[p]] & (PDF_CH_HEX | PDF_CH_SPACE)))
		p++;
	return p;
}

/*
 * The regular token at d[p] (a number, a keyword, R), read once: returns
 * where it ends, and *isint 1 with its value in *v when it is an integer
 * as qpdf reads one (an optional sign, then 1 to 12 digits), else 0.
 */
static size_t
regular_token(const unsigned char *d, size_t p, size_t len, long long *v, int *isint)
{
	size_t first = p + (d[p] == '+' || d[p] == '-');
	long long n = 0;
	int ok = 1, neg = d[p] == '-';

	for (p = first; p < len && pdf_regular(d[p]); p++) {
		if (!(pdf_char_class[d[p]] & PDF_CH_DIGIT) || p - first >= 12)
			ok = 0;
		else
			n = n * 10 + (d[p] - '0');
	}
	*isint = ok && p > first;
	*v = neg ? -n : n;
	return p;
}

/*
 * The object of entry x, "N G obj" at its offset up to its endobj or its
 * stream's data: 1 when it names an object newer lacks, or when that cannot
 * be told (its header is not x's, the bytes end first, *budget spent); 0
 * when it names none.
 */
static int
object_names_missing(struct pdf_doc *newer, const struct pdf_refs *refs, const struct diff_xent *x,
		     size_t *budget)
{
	const unsigned char *d = newer->data;
	size_t len = newer->len, p = (size_t)x->off, s, start = p;
	long long v, hist[2] = { 0, 0 }, hdr[2] = { 0, 0 };
	int nint = 0, tokens = 0, depth, isint, nest = 0;

	if (x->off >= len)
		return 1;
	while (p < len) {
		if (pdf_space(d[p])) {
			p++;
			continue;
		}
		if ((size_t)(p - start) > *budget)
			return 1;
		if (d[p] == '%') { /* a comment, which qpdf skips between a reference's parts */
			while (p < len && d[p] != '\n' && d[p] != '\r')
				p++;
			continue;
		}
		tokens++;
		if (d[p] == '(') { /* a literal string: balanced parentheses, backslash escapes */
			for (depth = 0; p < len; p++) {
				if (d[p] == '\\')
					p++;
				else if (d[p] == '(')
					depth++;
				else if (d[p] == ')' && --depth == 0)
					break;
			}
			if (p >= len)
				return 1;
			p++;
			nint = 0;
			continue;
		}
		if (d[p] == '<' && p + 1 < len && d[p + 1] != '<') {
			/* a hex string: hex digits and white space to its '>'; at any other
			   byte qpdf's token ends and it reads on from there (what follows
			   may be a reference): not told */
			p = hex_run(d, p + 1, len);
			if (p >= len || d[p] != '>')
				return 1;
			p++;
			nint = 0;
			continue;
		}
		if (pdf_delim(d[p])) {
			s = p++;
			if (d[s] == '/') /* a name: its regular characters */
				while (p < len && pdf_regular(d[p]))
					p++;
			else if ((d[s] == '<' || d[s] == '>') && p < len && d[p] == d[s])
				nest += d[p++] == '<' ? 1 : -1;
			else if (d[s] == '[' || d[s] == ']')
				nest += d[s] == '[' ? 1 : -1;
			if (nest < 0)
				return 1;
			nint = 0;
			continue;
		}
		s = p;
		p = regular_token(d, p, len, &v, &isint);
		if (tokens <= 3) { /* the header: "N G obj", x's number and generation */
			if (tokens < 3 && isint)
				hdr[tokens - 1] = v;
			else if (tokens < 3 || p - s != 3 || memcmp(d + s, "obj", 3) != 0 ||
				 hdr[0] != x->num || hdr[1] != x->gen)
				return 1;
			continue;
		}
		if (isint) {
			hist[0] = hist[1];
			hist[1] = v;
			nint = nint < 2 ? nint + 1 : 2;
			continue;
		}
		if (p - s == 1 && d[s] == 'R') {
			if (nint < 2 || missing(newer, refs, hist[0], hist[1]))
				return 1;
		} else if ((p - s == 6 && memcmp(d + s, "endobj", 6) == 0) ||
			   (p - s == 6 && memcmp(d + s, "stream", 6) == 0)) {
			/* the object's end only outside its dictionaries and arrays: inside,
			   qpdf reads the word as a string and reads on */
			if (nest != 0)
				return 1;
			*budget -= p - start;
			return 0;
		}
		nint = 0;
	}
	return 1;
}

/*
 * The entries x[0..nx) of one section (self: its xref stream's number, or
 * -1): 1 when an object they place names an object newer lacks, or when
 * that cannot be told; 0 when none does. *budget: the bytes left to read.
 */
static int
entries_name_missing(struct pdf_doc *newer, const struct pdf_refs *refs, const struct diff_xent *x,
		     size_t nx, int self, size_t *budget)
{
	size_t i;

	/* an xref stream's dictionary, and objects in object streams, are not read here */
	if (self > 0)
		return 1;
	for (i = 0; i < nx; i++) {
		if (x[i].num <= 0 || x[i].type == 0)
			continue;
		if (x[i].type != 1 || object_names_missing(newer, refs, &x[i], budget))
			return 1;
	}
	return 0;
}

int
diff_doc_names_missing(struct pdf_doc *doc, const struct pdf_refs *refs)
{
	struct pdf_revision *revs = NULL;
	struct diff_xent *x = NULL;
	struct sp_errinfo ign;
	size_t nrev = 0, nx, k, budget = HIDDEN_READ_MAX;
	int self, r = 1;

	/*
	 * Every section of the chain, not only the newest listing of each
	 * number: what qpdf reads of a number is one of them, so none naming a
	 * missing object is more than needed. A repaired file's objects come
	 * from wherever qpdf found them, a linearized file's from a second
	 * section its first names: neither is read here.
	 */
	sp_errinfo_init(&ign);
	if (pdf_doc_damaged(doc) || !(revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs))) ||
	    pdf_revisions_find(doc->data, doc->len, revs, PDF_REVISIONS_MAX, &nrev, &ign) !=
		    SP_OK ||
	    nrev == 0)
		goto out;
	for (k = 0; k < nrev; k++) {
		if (revs[k].linearized_main != 0 ||
		    diff_xref_entries(doc, &revs[k], &self, &x, &nx) < 0 ||
		    entries_name_missing(doc, refs, x, nx, self, &budget))
			goto out;
		free(x);
		x = NULL;
	}
	r = 0;
out:
	free(x);
	free(revs);
	return r;
}

int
diff_update_names_missing(struct pdf_doc *newer, const struct pdf_refs *refs,
			  const struct diff_xent *x, size_t nx, int self)
{
	size_t budget = HIDDEN_READ_MAX;

	return entries_name_missing(newer, refs, x, nx, self, &budget);
}
