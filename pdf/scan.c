/*
 * scan.c: what qpdf would build from untrusted bytes, bounded before it reads
 * them (sec31). qpdf parses an array or dictionary whole into objects of a
 * few hundred bytes each, and it inflates a cross-reference or object stream
 * whole into memory, with no cap of its own: a 16 MB file of references made
 * the verifier take 540 MB, a 2 MB deflated xref stream took 6 GB. One pass
 * over the bytes counts what the parse would make and refuses, as pdf_limit,
 * a file beyond the caps below; stream data is skipped, but xref and object
 * streams are inflated (into a small window, never kept) and an object
 * stream's objects are counted as the file's.
 *
 * A file qpdf cannot read through its cross-references (damaged: no
 * startxref, a broken /Prev) it reconstructs by reading every line that
 * starts "N G obj", stream data included, the last of a number winning. So
 * an object whose header starts a line inside a stream's data is lexed as
 * well (hidden_objects), with the file's counts: hidden in an image, a page
 * tree of 5M kids (30 MB) took 399 MB and 2.3 s before.
 *
 * An encrypted file's object streams cannot be inflated before they are
 * decrypted: when the file opens with the empty user password, qpdf reads
 * its trailer and /Encrypt (its xref streams, never encrypted, are counted
 * by then), crypt.c derives the key, and a second pass counts again with
 * each object stream decrypted first. A file that needs a password is left
 * to qpdf, which reads nothing of it without one.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <zlib.h>

#include "pdf_int.h"

/* pdf_int.h's classes: ISO 32000-2 §7.2.3's white space (and VT, which qpdf skips
   too), its delimiters, the digits, and the hexadecimal digits (§7.3.4.3) */
#define CH_DIGITS(x) \
	['0'] = (x), ['1'] = (x), ['2'] = (x), ['3'] = (x), ['4'] = (x), ['5'] = (x), ['6'] = (x), \
	['7'] = (x), ['8'] = (x), ['9'] = (x)
const unsigned char pdf_char_class[256] = {
	[0] = PDF_CH_SPACE,    ['\t'] = PDF_CH_SPACE, ['\n'] = PDF_CH_SPACE,
	['\v'] = PDF_CH_SPACE, ['\f'] = PDF_CH_SPACE, ['\r'] = PDF_CH_SPACE,
	[' '] = PDF_CH_SPACE,  ['('] = PDF_CH_DELIM,  [')'] = PDF_CH_DELIM,
	['<'] = PDF_CH_DELIM,  ['>'] = PDF_CH_DELIM,  ['['] = PDF_CH_DELIM,
	[']'] = PDF_CH_DELIM,  ['{'] = PDF_CH_DELIM,  ['}'] = PDF_CH_DELIM,
	['/'] = PDF_CH_DELIM,  ['%'] = PDF_CH_DELIM,  CH_DIGITS(PDF_CH_DIGIT | PDF_CH_HEX),
	['A'] = PDF_CH_HEX,    ['B'] = PDF_CH_HEX,    ['C'] = PDF_CH_HEX,
	['D'] = PDF_CH_HEX,    ['E'] = PDF_CH_HEX,    ['F'] = PDF_CH_HEX,
	['a'] = PDF_CH_HEX,    ['b'] = PDF_CH_HEX,    ['c'] = PDF_CH_HEX,
	['d'] = PDF_CH_HEX,    ['e'] = PDF_CH_HEX,    ['f'] = PDF_CH_HEX,
};

#define SCAN_WINDOW (64 * 1024) /* inflate output window */
#define SCAN_DEPTH 64           /* array nesting tracked (qpdf refuses 500) */

enum lstate { L_WS, L_TOKEN, L_COMMENT, L_STRING, L_HEX };

struct lex {
	enum lstate st;
	int lt;       /* a '<' seen, not yet known as "<<" or a hex string */
	int gt;       /* a '>' seen outside a hex string */
	int paren;    /* literal string nesting */
	int esc;      /* a backslash in a literal string */
	size_t tlen;  /* bytes of the current token */
	char tok[10]; /* its first bytes (a name's with its '/'): obj, endobj, stream */
	int depth;    /* array nesting */
	int ddepth;   /* dictionary nesting */
	int in_obj;   /* between "obj" and "endobj" */
	/* the last token closed an object's outer dictionary: only there is "stream"
	   the keyword qpdf reads stream data after (elsewhere it reads it as a word) */
	int after_dict, tok_after_dict;
	size_t items[SCAN_DEPTH];
};

/* what lex_feed stopped at (the file, not an object stream) */
enum lstop { STOP_END, STOP_STREAM, STOP_XREF };

struct scan {
	size_t tokens, inflated;
	size_t xref;      /* cross-reference entries, every section's */
	const char *what; /* the cap exceeded, NULL while none is */
	int encrypt;      /* the name /Encrypt was met (outside object streams) */
};

/* One more object: in the file's count and in the array it is an item of. */
static void
item(struct lex *lx, struct scan *s)
{
	lx->after_dict = 0;
	if (++s->tokens > PDF_SCAN_MAX_TOKENS)
		s->what = "objects";
	if (lx->depth > 0 && lx->depth <= SCAN_DEPTH &&
	    ++lx->items[lx->depth - 1] > PDF_SCAN_MAX_ARRAY)
		s->what = "array items";
}

/* The token that ends here: a stream's data or an xref table follows, or neither. */
static enum lstop
token_end(struct lex *lx)
{
	enum lstop stop = STOP_END;

#define TOK_IS(w) (lx->tlen == sizeof(w) - 1 && memcmp(lx->tok, w, sizeof(w) - 1) == 0)
	if (TOK_IS("obj"))
		lx->in_obj = 1;
	else if (TOK_IS("endobj"))
		lx->in_obj = 0;
	else if (TOK_IS("stream") && lx->tok_after_dict)
		stop = STOP_STREAM;
	else if (TOK_IS("xref") && !lx->in_obj && lx->depth == 0 && lx->ddepth == 0)
		stop = STOP_XREF;
#undef TOK_IS
	lx->st = L_WS;
	lx->tlen = 0;
	return stop;
}

/*
 * Feed p[0..len); with obj (the file, not an object stream) it stops after
 * the "stream" keyword of a stream or the "xref" of a table (*stop; returns
 * the offset after it, the end-of-line not consumed) and sets *obj to the
 * offset after each "obj" keyword met. Returns len at the end.
 */
static size_t
lex_feed(struct lex *lx, struct scan *s, const unsigned char *p, size_t len, size_t *obj,
	 enum lstop *stop)
{
	size_t i;
	enum lstop st;

	for (i = 0; i < len && s->what == NULL; i++) {
		unsigned char c = p[i];

		switch (lx->st) {
		case L_COMMENT:
			if (c == '\n' || c == '\r')
				lx->st = L_WS;
			continue;
		case L_STRING:
			if (lx->esc)
				lx->esc = 0;
			else if (c == '\\')
				lx->esc = 1;
			else if (c == '(')
				lx->paren++;
			else if (c == ')' && --lx->paren == 0)
				lx->st = L_WS;
			continue;
		case L_HEX:
			if (c == '>')
				lx->st = L_WS;
			continue;
		case L_TOKEN:
			if (!pdf_space(c) && !pdf_delim(c)) {
				if (lx->tlen < sizeof(lx->tok))
					lx->tok[lx->tlen] = (char)c;
				lx->tlen++;
				continue;
			}
			if (lx->tlen == 3 && memcmp(lx->tok, "obj", 3) == 0 && obj != NULL)
				*obj = i;
			if (lx->tlen == 8 && memcmp(lx->tok, "/Encrypt", 8) == 0 && obj != NULL)
				s->encrypt = 1;
			if ((st = token_end(lx)) != STOP_END && obj != NULL) {
				*stop = st;
				return i;
			}
			break;
		case L_WS:
			break;
		}
		/* between tokens: c starts the next one, or is a delimiter */
		if (lx->lt) {
			lx->lt = 0;
			if (c == '<') {
				item(lx, s); /* a dictionary */
				lx->ddepth++;
				continue;
			}
			item(lx, s); /* a hex string */
			lx->st = L_HEX;
			if (c == '>')
				lx->st = L_WS;
			continue;
		}
		if (lx->gt) {
			lx->gt = 0;
			if (c == '>') {
				if (lx->ddepth > 0)
					lx->ddepth--;
				lx->after_dict = lx->in_obj && lx->ddepth == 0 && lx->depth == 0;
				continue;
			}
		}
		if (pdf_space(c))
			continue;
		switch (c) {
		case '%':
			lx->st = L_COMMENT;
			break;
		case '(':
			item(lx, s);
			lx->st = L_STRING;
			lx->paren = 1;
			break;
		case '<':
			lx->lt = 1;
			break;
		case '>':
			lx->gt = 1;
			break;
		case '[':
			item(lx, s);
			if (++lx->depth <= SCAN_DEPTH)
				lx->items[lx->depth - 1] = 0;
			break;
		case ']':
			if (lx->depth > 0)
				lx->depth--;
			lx->after_dict = 0;
			break;
		case '{':
		case '}':
		case ')':
			break;
		default: /* a name ('/', kept: "/stream" is no keyword), a number, a keyword, R */
			lx->tok_after_dict = lx->after_dict;
			item(lx, s);
			lx->st = L_TOKEN;
			lx->tok[0] = (char)c;
			lx->tlen = 1;
			break;
		}
	}
	/* a token that ends with the input ("... endobj" at the end of an object stream) */
	if (lx->st == L_TOKEN && obj == NULL)
		(void)token_end(lx);
	*stop = STOP_END;
	return len;
}

static void xref_entries(struct scan *s, size_t n);

/* Digits at *pos (after whitespace): 1 and *pos past them, or 0. */
static int
digits(const unsigned char *d, size_t len, size_t *pos, size_t *v)
{
	size_t p = *pos, n = 0;

	while (p < len && pdf_space(d[p]))
		p++;
	if (p >= len || d[p] < '0' || d[p] > '9')
		return 0;
	for (*v = 0; p < len && d[p] >= '0' && d[p] <= '9'; p++, n++)
		if (*v < 1000000000000ULL)
			*v = *v * 10 + (size_t)(d[p] - '0');
	*pos = p;
	return n > 0;
}

/*
 * A classic xref table from pos (after "xref"): its subsections' well-formed
 * entries are counted, not lexed as objects; returns where they end (the
 * lexer goes on from there, so nothing that is not an entry is skipped).
 */
static size_t
xref_table(struct scan *s, const unsigned char *d, size_t len, size_t pos)
{
	size_t first, count, off, gen, k, p;

	for (;;) {
		p = pos;
		if (!digits(d, len, &p, &first) || !digits(d, len, &p, &count))
			return pos;
		for (k = 0; k < count; k++) {
			size_t q = p;
			if (!digits(d, len, &q, &off) || !digits(d, len, &q, &gen))
				break;
			while (q < len && pdf_space(d[q]))
				q++;
			if (q >= len || (d[q] != 'n' && d[q] != 'f'))
				break;
			p = q + 1;
			xref_entries(s, 1);
			if (s->what != NULL)
				return p;
		}
		pos = p;
		if (k < count)
			return pos;
	}
}

/* The name key (e.g. "/XRef") in d as a whole name, not a prefix of a longer one. */
static int
has_name(const unsigned char *d, size_t n, const char *name)
{
	size_t k = strlen(name);
	const unsigned char *p = d, *e = d + n;

	while (p < e && (p = memmem(p, (size_t)(e - p), name, k)) != NULL) {
		if (p + k >= e || pdf_space(p[k]) || pdf_delim(p[k]))
			return 1;
		p += k;
	}
	return 0;
}

/*
 * The filter of a stream dictionary d: 0 none, 1 FlateDecode alone (a name
 * or a one-element array), -1 anything else.
 */
static int
filter_of(const unsigned char *d, size_t n)
{
	const unsigned char *p = memmem(d, n, "/Filter", 7), *e = d + n;
	int arr = 0;

	if (p == NULL)
		return 0;
	for (p += 7; p < e && pdf_space(*p); p++)
		;
	if (p < e && *p == '[') {
		arr = 1;
		for (p++; p < e && pdf_space(*p); p++)
			;
	}
	if ((size_t)(e - p) >= 12 && memcmp(p, "/FlateDecode", 12) == 0)
		p += 12;
	else if ((size_t)(e - p) >= 3 && memcmp(p, "/Fl", 3) == 0 &&
		 ((size_t)(e - p) == 3 || pdf_space(p[3]) || pdf_delim(p[3])))
		p += 3;
	else
		return -1;
	if (p < e && !pdf_space(*p) && !pdf_delim(*p))
		return -1;
	if (arr) {
		for (; p < e && pdf_space(*p); p++)
			;
		if (p >= e || *p != ']')
			return -1;
	}
	return 1;
}

/* Entries of an xref section: each costs qpdf a table entry, in use or free. */
static void
xref_entries(struct scan *s, size_t n)
{
	if ((s->xref += n) > PDF_SCAN_MAX_XREF)
		s->what = "cross-reference entries";
}

/* The row width of an xref stream (the sum of its /W), 0 when it has none readable. */
static size_t
row_width(const unsigned char *d, size_t n)
{
	const unsigned char *p = d, *e = d + n;
	size_t w = 0, k;

	while (p < e && (p = memmem(p, (size_t)(e - p), "/W", 2)) != NULL) {
		p += 2;
		if (p < e && !pdf_space(*p) && !pdf_delim(*p))
			continue; /* a longer name */
		while (p < e && pdf_space(*p))
			p++;
		if (p >= e || *p != '[')
			return 0;
		for (p++, k = 0; k < 3; k++) {
			size_t v = 0;
			while (p < e && pdf_space(*p))
				p++;
			if (p >= e || *p < '0' || *p > '9')
				return 0;
			for (; p < e && *p >= '0' && *p <= '9' && v < 1000; p++)
				v = v * 10 + (size_t)(*p - '0');
			w += v;
		}
		return w;
	}
	return 0;
}

/*
 * The direct /Length of a stream dictionary d: its value, or -1 when it has
 * none or it is not a plain number (a reference "N G R" included).
 */
static long long
direct_length(const unsigned char *d, size_t n)
{
	const unsigned char *p = d, *e = d + n;
	long long v = 0;
	size_t k;

	while (p < e && (p = memmem(p, (size_t)(e - p), "/Length", 7)) != NULL) {
		p += 7;
		if (p < e && !pdf_space(*p) && !pdf_delim(*p))
			continue; /* /Length1 and the like */
		while (p < e && pdf_space(*p))
			p++;
		for (k = 0; p < e && *p >= '0' && *p <= '9' && k < 12; p++, k++)
			v = v * 10 + (*p - '0');
		if (k == 0 || k == 12)
			return -1;
		/* "N G R": a reference, not the length */
		for (k = 0; p + k < e && pdf_space(p[k]); k++)
			;
		if (k > 0 && p + k < e && p[k] >= '0' && p[k] <= '9') {
			while (p + k < e && p[k] >= '0' && p[k] <= '9')
				k++;
			while (p + k < e && pdf_space(p[k]))
				k++;
			if (p + k < e && p[k] == 'R')
				return -1;
		}
		return v;
	}
	return -1;
}

/*
 * A stream inflated into a window as its data comes, its bytes counted into
 * s (and, for an object stream, its objects: objstm != 0; for an xref
 * stream, its rows of row bytes).
 */
struct inflater {
	z_stream z;
	struct lex lx;
	size_t before; /* s->inflated at the start */
	int objstm;
	size_t row;
};

static int
inflater_init(struct scan *s, struct inflater *f, int objstm, size_t row)
{
	memset(f, 0, sizeof(*f));
	f->before = s->inflated;
	f->objstm = objstm;
	f->row = row;
	return inflateInit(&f->z) == Z_OK ? 0 : -1;
}

/*
 * p[0..avail) more of the data: 1 when the stream has ended (its end, data
 * that is not zlib, a cap exceeded), 0 when it wants more. Data that is not
 * zlib stops it: qpdf fails on it as well.
 */
static int
inflater_feed(struct scan *s, struct inflater *f, const unsigned char *p, size_t avail,
	      unsigned char *win)
{
	enum lstop stop;
	int zr;

	f->z.next_in = (unsigned char *)(uintptr_t)p;
	f->z.avail_in = avail > UINT_MAX ? UINT_MAX : (unsigned)avail;
	do {
		size_t got;
		f->z.next_out = win;
		f->z.avail_out = SCAN_WINDOW;
		zr = inflate(&f->z, Z_NO_FLUSH);
		got = SCAN_WINDOW - f->z.avail_out;
		if ((s->inflated += got) > PDF_SCAN_MAX_INFLATE)
			s->what = "decompressed cross-reference and object stream bytes";
		else if (f->objstm)
			(void)lex_feed(&f->lx, s, win, got, NULL, &stop);
	} while (zr == Z_OK && s->what == NULL && (f->z.avail_in > 0 || f->z.avail_out == 0));
	return zr != Z_OK || s->what != NULL;
}

/* The end of f: the compressed bytes it consumed. */
static size_t
inflater_end(struct scan *s, struct inflater *f)
{
	size_t used = f->z.total_in;

	inflateEnd(&f->z);
	if (f->row > 0 && s->what == NULL)
		xref_entries(s, (s->inflated - f->before) / f->row);
	return used;
}

/* The stream at p[0..avail) inflated and counted (see inflater): the bytes consumed. */
static size_t
inflate_count(struct scan *s, const unsigned char *p, size_t avail, int objstm, size_t row,
	      unsigned char *win)
{
	struct inflater f;

	if (inflater_init(s, &f, objstm, row) < 0)
		return 0;
	(void)inflater_feed(s, &f, p, avail, win);
	return inflater_end(s, &f);
}

/*
 * The offset of the first object header "N G obj" (after blanks) that
 * starts a line at or after from, its "obj" before to: what qpdf's
 * reconstruction takes for an object; to when none. Found from the "obj"
 * back, so that data without the word costs one memchr.
 */
static size_t
next_header(const unsigned char *d, size_t from, size_t to)
{
	const unsigned char *o;
	size_t k = from, at, j, e;
	int n;

	/* memchr for the 'o' (SIMD in glibc); memmem for a short needle is 5x slower */
	while (k + 3 <= to && (o = memchr(d + k, 'o', to - k - 2)) != NULL) {
		at = (size_t)(o - d);
		k = at + 1;
		if (o[1] != 'b' || o[2] != 'j' ||
		    (at + 3 < to && !pdf_space(d[at + 3]) && !pdf_delim(d[at + 3])))
			continue;
		for (j = at, n = 0; n < 2; n++) {
			for (e = j; j > 0 && pdf_space(d[j - 1]); j--)
				;
			if (j == e)
				break;
			for (e = j; j > 0 && d[j - 1] >= '0' && d[j - 1] <= '9'; j--)
				;
			if (j == e)
				break;
		}
		if (n < 2)
			continue;
		while (j > 0 && (d[j - 1] == ' ' || d[j - 1] == '\t'))
			j--;
		if (j >= from && (j == 0 || d[j - 1] == '\n' || d[j - 1] == '\r'))
			return j;
	}
	return to;
}

/*
 * The objects whose headers start lines in the stream data d[from..to)
 * (see the top of the file): each is lexed from its header to the next
 * header of the file, or to its "stream" keyword. An object stream there is
 * refused: its objects would come from data nobody counted.
 */
static int
hidden_objects(struct scan *s, const unsigned char *d, size_t len, size_t from, size_t to,
	       struct sp_errinfo *ei)
{
	size_t h = next_header(d, from, to), nx, at, rel;
	struct lex lx;
	enum lstop stop;

	while (h < to && s->what == NULL) {
		nx = next_header(d, h + 1, len);
		memset(&lx, 0, sizeof(lx));
		stop = STOP_END;
		rel = SIZE_MAX;
		at = h + lex_feed(&lx, s, d + h, nx - h, &rel, &stop);
		if (stop == STOP_STREAM && rel != SIZE_MAX && has_name(d + h, at - h, "/ObjStm"))
			return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					     "an object stream begins inside another stream's "
					     "data; "
					     "not read");
		h = next_header(d, h + 1, to);
	}
	return SP_OK;
}

/* "N G obj" ends at d[at] (after "obj"): N and G into *num, *gen; 0, or -1 when not so. */
static int
obj_id_before(const unsigned char *d, size_t at, int *num, int *gen)
{
	long long v[2] = { 0, 0 }, m;
	size_t p = at, k;
	int i;

	if (p < 3 || memcmp(d + p - 3, "obj", 3) != 0)
		return -1;
	p -= 3;
	for (i = 1; i >= 0; i--) {
		for (k = 0; p > 0 && pdf_space(d[p - 1]); p--, k++)
			;
		if (k == 0)
			return -1;
		for (k = 0, m = 1; p > 0 && d[p - 1] >= '0' && d[p - 1] <= '9' && k < 10; p--, k++)
			v[i] += (d[p - 1] - '0') * m, m *= 10;
		if (k == 0 || k == 10 || v[i] > 0x7fffffff)
			return -1;
	}
	*num = (int)v[0];
	*gen = (int)v[1];
	return 0;
}

/*
 * An encrypted object stream's data, from data + pos, decrypted with its
 * object's key as it is inflated and counted, until its zlib stream ends,
 * as a plain one is: not to the first "endstream", which anyone with the
 * file can place in the ciphertext ahead of the data qpdf reads (to
 * /Length). Its number is read before "obj" (where qpdf finds it, through
 * the xref): one that cannot be read is refused, as pdf_limit, rather than
 * left uncounted.
 */
static int
objstm_decrypted(struct scan *s, const unsigned char *data, size_t len, size_t pos, size_t obj,
		 const struct pdf_crypt *crypt, unsigned char *win, struct sp_errinfo *ei)
{
	/* pieces from 2 KB, doubling to 64 KB: past its end at most what was read */
	enum { PIECE0 = 2048, PIECE = 64 * 1024 };
	struct pdf_okey k;
	struct pdf_crypt_dec *dec = NULL;
	struct inflater f;
	unsigned char *plain = NULL;
	size_t pn, n, piece = PIECE0;
	int num, gen, r = SP_OK, started = 0;

	if (obj_id_before(data, obj, &num, &gen) < 0)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "an encrypted object stream whose object number cannot be "
				     "read ahead; not read");
	pdf_crypt_objkey(crypt, num, gen, &k);
	if ((r = pdf_crypt_dec_new(&k, &dec)) == SP_ERR_NOMEM ||
	    (r == SP_OK && !(plain = malloc(PIECE + 16)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* (a key the stream cannot be decrypted with: qpdf fails on it as well) */
	r = SP_OK;
	if (dec == NULL || inflater_init(s, &f, 1, 0) < 0)
		goto out;
	started = 1;
	for (; pos < len; pos += n, piece = piece < PIECE ? piece * 2 : PIECE) {
		n = len - pos < piece ? len - pos : piece;
		if (pdf_crypt_dec_update(dec, data + pos, n, plain, &pn) != SP_OK ||
		    (pn > 0 && inflater_feed(s, &f, plain, pn, win)))
			break;
	}
out:
	if (started)
		(void)inflater_end(s, &f);
	pdf_crypt_dec_free(dec);
	OPENSSL_cleanse(&k, sizeof(k));
	free(plain);
	return r;
}

/*
 * An unfiltered xref or object stream at data + pos: qpdf reads /Length
 * bytes of it, whatever "endstream" they hold, so they are counted over
 * /Length (to the file's end at most), an object stream's as the file's
 * objects (decrypted first when crypt is given, with the key of its object
 * number read before "obj", as objstm_decrypted does), an xref stream's as
 * rows. Without a direct /Length it is not read.
 */
static int
raw_count(struct scan *s, const unsigned char *data, size_t len, size_t pos, size_t obj,
	  const unsigned char *d, size_t dn, int objstm, const struct pdf_crypt *crypt,
	  unsigned char *win, struct sp_errinfo *ei)
{
	long long n = direct_length(d, dn);
	size_t row = objstm ? 0 : row_width(d, dn), m, at, k, pn;
	struct pdf_crypt_dec *dec = NULL;
	struct pdf_okey key;
	struct lex lx;
	enum lstop stop;
	int num, gen, r = SP_OK;

	if (n < 0)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "an unfiltered cross-reference or object stream whose "
				     "/Length is not a direct number; not read");
	m = (unsigned long long)n < len - pos ? (size_t)n : len - pos;
	if (!objstm) {
		if (row > 0)
			xref_entries(s, m / row);
		return SP_OK;
	}
	memset(&lx, 0, sizeof(lx));
	if (crypt == NULL) {
		(void)lex_feed(&lx, s, data + pos, m, NULL, &stop);
		return SP_OK;
	}
	if (obj_id_before(data, obj, &num, &gen) < 0)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "an encrypted object stream whose object number cannot be "
				     "read ahead; not read");
	pdf_crypt_objkey(crypt, num, gen, &key);
	/* a key the stream cannot be decrypted with: qpdf fails on it as well */
	if (pdf_crypt_dec_new(&key, &dec) == SP_OK) {
		/* win holds SCAN_WINDOW bytes: pieces of 16 less, update writes n + 16 */
		for (at = 0; at < m && s->what == NULL; at += k) {
			k = m - at < SCAN_WINDOW - 32 ? m - at : SCAN_WINDOW - 32;
			if (pdf_crypt_dec_update(dec, data + pos + at, k, win, &pn) != SP_OK)
				break;
			(void)lex_feed(&lx, s, win, pn, NULL, &stop);
		}
	}
	pdf_crypt_dec_free(dec);
	OPENSSL_cleanse(&key, sizeof(key));
	return r;
}

int
pdf_bytes_scan(const unsigned char *data, size_t len, const struct pdf_crypt *crypt, int *encrypt,
	       struct sp_errinfo *ei)
{
	struct scan s = { 0, 0, 0, NULL, 0 };
	struct lex lx;
	unsigned char *win = NULL;
	size_t pos = 0, obj = 0, at;
	int r = SP_ERR_INTERNAL;

	memset(&lx, 0, sizeof(lx));
	while (pos < len && s.what == NULL) {
		const unsigned char *d, *end;
		size_t dn, rel = SIZE_MAX;
		enum lstop stop = STOP_END;
		int f, xref, objstm;

		/* once per stream: a job nobody waits for stops here (sp.h) */
		if ((r = sp_cancel_check(ei)) != SP_OK)
			goto out;
		at = pos + lex_feed(&lx, &s, data + pos, len - pos, &rel, &stop);
		if (rel != SIZE_MAX)
			obj = pos + rel;
		if (at >= len || s.what != NULL || stop == STOP_END)
			break;
		if (stop == STOP_XREF) {
			/* a classic xref table: its entries, not objects */
			pos = xref_table(&s, data, len, at);
			continue;
		}
		/* "stream": its dictionary is what follows the last "obj" */
		d = data + (obj <= at ? obj : at);
		dn = (size_t)(data + at - d);
		pos = at;
		if (pos < len && data[pos] == '\r')
			pos++;
		if (pos < len && data[pos] == '\n')
			pos++;
		xref = has_name(d, dn, "/XRef");
		objstm = has_name(d, dn, "/ObjStm");
		f = filter_of(d, dn);
		if ((xref || objstm) && f < 0) {
			r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					  "a cross-reference or object stream uses a filter other "
					  "than FlateDecode alone; not read");
			goto out;
		}
		if ((xref || objstm) && f == 0) {
			if (win == NULL && (win = malloc(SCAN_WINDOW)) == NULL) {
				r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
			if ((r = raw_count(&s, data, len, pos, obj <= at ? obj : at, d, dn, objstm,
					   crypt, win, ei)) != SP_OK)
				goto out;
			if (s.what != NULL)
				break;
		}
		if ((xref || objstm) && f == 1) {
			if (win == NULL && (win = malloc(SCAN_WINDOW)) == NULL) {
				r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
			if (objstm && crypt != NULL) {
				if ((r = objstm_decrypted(&s, data, len, pos, obj <= at ? obj : at,
							  crypt, win, ei)) != SP_OK)
					goto out;
			} else {
				pos += inflate_count(&s, data + pos, len - pos, objstm,
						     xref ? row_width(d, dn) : 0, win);
			}
			if (s.what != NULL)
				break;
		}
		/* the data ends at the first endstream (an earlier one in binary data
		   only has more of the file counted, never less) */
		end = memmem(data + pos, len - pos, "endstream", 9);
		at = end != NULL ? (size_t)(end - data) : len;
		if ((r = hidden_objects(&s, data, len, pos, at, ei)) != SP_OK)
			goto out;
		if (s.what != NULL)
			break;
		pos = end != NULL ? at + 9 : len;
		memset(&lx, 0, sizeof(lx));
		lx.in_obj = 1; /* "endobj" follows */
		obj = pos;
	}
	if (s.what != NULL) {
		r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				  "the PDF holds more %s than the parser's caps allow (%d objects, "
				  "%d items in one array, %d cross-reference entries, %d MiB of "
				  "cross-reference and object streams)",
				  s.what, PDF_SCAN_MAX_TOKENS, PDF_SCAN_MAX_ARRAY,
				  PDF_SCAN_MAX_XREF, (int)(PDF_SCAN_MAX_INFLATE >> 20));
		goto out;
	}
	r = SP_OK;
out:
	*encrypt = s.encrypt;
	free(win);
	return r;
}

int
pdf_bytes_check(const unsigned char *data, size_t len, struct sp_errinfo *ei)
{
	struct pdf_crypt *crypt = NULL;
	struct sp_errinfo ign;
	qpdf_data q = NULL;
	int r, encrypt = 0;

	if ((r = pdf_bytes_scan(data, len, NULL, &encrypt, ei)) != SP_OK || !encrypt)
		return r;
	/* qpdf reads the xref (counted above) and the trailer, resolving no object but
	   /Encrypt; a file it cannot open, or whose key is not at hand, is refused by the
	   reader after this anyway */
	sp_errinfo_init(&ign);
	if ((q = qpdf_init()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "qpdf_init failed");
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, 1);
	if (!(qpdf_read_memory(q, "scan.pdf", (const char *)data, len, "") & QPDF_ERRORS) &&
	    pdf_crypt_open(q, &crypt, &ign) == SP_OK && crypt != NULL)
		r = pdf_bytes_scan(data, len, crypt, &encrypt, ei);
	pdf_crypt_free(crypt);
	qpdf_cleanup(&q);
	return r;
}
