/*
 * sig_scan.c: signature dictionaries handed to qpdf as it would parse them,
 * read from the file's bytes.
 *
 * qpdf reads a string token a character at a time (some 90 instructions
 * each), and resolves every indirect value of a dictionary whose keys are
 * listed (to leave out the null ones): the field and widgets of a new
 * signature, whose /V all point at its dictionary, have it parsed at the
 * first walk of them, and its /Contents of 7 KB of hex cost a completion
 * about a million instructions, a tenth of all its work. So a signature
 * dictionary that the newest xref table locates (or the one before it, for
 * an object the newest does not list: the signature under the long-term
 * data's update), written plainly (what
 * sign.c writes: names, integers, strings, an array of integers), is read
 * here and put in qpdf's object cache, the very values qpdf's parser would
 * have made of those bytes (qpdf_replace_object, as qpdf's resolve stores a
 * parsed object): every reader, check and reason then goes through qpdf as
 * before. Anything else is left to qpdf: a stream, a reference, a nested
 * dictionary or an array of anything but integers, a comment, a name with
 * # escapes or other than printable ASCII, a literal string with an escape,
 * a parenthesis or a carriage return, a hex string with white space or an
 * odd number of digits, a real, a boolean, null, a duplicate key, and an
 * xref section qpdf might read otherwise (a stream, a hybrid file's
 * /XRefStm, an entry not of 20 bytes, an object listed twice or freed, a
 * repaired file). What it accepts
 * qpdf parses without a warning into the same objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

#define SCAN_KEYS_MAX 32

/* white space as qpdf reads it, or a delimiter (ISO 32000-2 §7.2.3) */
static int
ends_token(unsigned char c)
{
	return pdf_space(c) || pdf_delim(c);
}

struct cur {
	const unsigned char *d;
	size_t len, p;
};

static void
skip_ws(struct cur *c)
{
	while (c->p < c->len && pdf_space(c->d[c->p]))
		c->p++;
}

/* Decimal digits (at most 18) ending a token; -1 when not so. */
static long long
integer(struct cur *c)
{
	long long v = 0;
	size_t n = 0;

	while (c->p < c->len && c->d[c->p] >= '0' && c->d[c->p] <= '9' && n < 18) {
		v = v * 10 + (c->d[c->p++] - '0');
		n++;
	}
	if (n == 0 || c->p >= c->len || !ends_token(c->d[c->p]))
		return -1;
	return v;
}

/* A name of plain characters (no # escape) at '/': its span, '/' included. */
static int
name(struct cur *c, size_t *at, size_t *n)
{
	size_t s = c->p;

	if (c->p >= c->len || c->d[c->p] != '/')
		return -1;
	for (c->p++; c->p < c->len && !ends_token(c->d[c->p]); c->p++)
		if (c->d[c->p] == '#' || c->d[c->p] < 0x21 || c->d[c->p] > 0x7e)
			return -1;
	if (c->p - s < 2 || c->p >= c->len)
		return -1;
	*at = s;
	*n = c->p - s;
	return 0;
}

enum vkind { V_NAME, V_INT, V_HEX, V_LIT, V_INTS };

struct val {
	enum vkind kind;
	size_t at, n;   /* V_NAME: the name; V_HEX / V_LIT: inside the delimiters */
	long long i[8]; /* V_INT: i[0]; V_INTS: the items */
	size_t nints;   /* V_INTS: how many */
};

static int
value(struct cur *c, struct val *v)
{
	const unsigned char *d = c->d, *e;
	long long x;

	/* every field set (at is 0 for numbers): make() forms doc->data + at for any kind */
	memset(v, 0, sizeof(*v));
	if (c->p >= c->len)
		return -1;
	switch (d[c->p]) {
	case '/':
		v->kind = V_NAME;
		return name(c, &v->at, &v->n);
	case '<':
		/* its digits are checked as they are decoded (make): white space or an odd
		   count leave the object to qpdf */
		v->kind = V_HEX;
		v->at = ++c->p;
		if (c->p >= c->len || d[c->p] == '<' || !(e = memchr(d + c->p, '>', c->len - c->p)))
			return -1; /* a dictionary */
		c->p = (size_t)(e - d);
		v->n = c->p++ - v->at;
		return 0;
	case '(':
		v->kind = V_LIT;
		v->at = ++c->p;
		while (c->p < c->len && d[c->p] != ')') {
			if (d[c->p] == '\\' || d[c->p] == '(' || d[c->p] == '\r')
				return -1;
			c->p++;
		}
		if (c->p >= c->len)
			return -1;
		v->n = c->p++ - v->at;
		return 0;
	case '[':
		v->kind = V_INTS;
		v->nints = 0;
		c->p++;
		for (;;) {
			skip_ws(c);
			if (c->p < c->len && d[c->p] == ']') {
				c->p++;
				return 0;
			}
			if ((x = integer(c)) < 0 || v->nints == 8)
				return -1; /* anything but integers (a reference has its R) */
			v->i[v->nints++] = x;
		}
	default:
		v->kind = V_INT;
		if ((x = integer(c)) < 0)
			return -1;
		v->i[0] = x;
		/* the next token must be a key or the end: "N G R" is a reference */
		skip_ws(c);
		return c->p < c->len && (d[c->p] == '/' || d[c->p] == '>') ? 0 : -1;
	}
}

static int
key_is(const struct cur *c, size_t at, size_t n, const char *k)
{
	return strlen(k) == n && memcmp(c->d + at, k, n) == 0;
}

#define ENTRIES_MAX 64

struct ent {
	int num, gen, sec, use; /* sec 0 the newest section, 1 the one its /Prev names */
	size_t off;
};

/*
 * The entries of the xref table at p ("xref" there, every entry of 20
 * bytes: nothing qpdf reads otherwise) appended to e[] as section sec;
 * where its "trailer" is into *tr. 0, or -1 when not so or past cap
 * entries in all.
 */
static int
table(const struct pdf_doc *doc, size_t p, int sec, struct ent *e, int *n, int cap, size_t *tr)
{
	const unsigned char *d = doc->data, *x;
	struct cur c = { doc->data, doc->len, p }, f;
	long long start, count, i, o, g;

	if (c.len - c.p < 5 || memcmp(d + c.p, "xref", 4) != 0)
		return -1;
	c.p += 4;
	for (;;) {
		skip_ws(&c);
		if (c.len - c.p >= 7 && memcmp(d + c.p, "trailer", 7) == 0) {
			*tr = c.p;
			return 0;
		}
		if ((start = integer(&c)) < 0 || c.p >= c.len || d[c.p] != ' ')
			return -1;
		c.p++;
		if ((count = integer(&c)) < 0 || count > cap || start > INT32_MAX - count)
			return -1;
		skip_ws(&c);
		if ((c.len - c.p) / 20 < (size_t)count)
			return -1;
		for (i = 0; i < count; i++, c.p += 20) {
			/* "oooooooooo ggggg n" and a two-byte end of line: nothing to guess */
			x = d + c.p;
			if (x[10] != ' ' || x[16] != ' ' || (x[17] != 'n' && x[17] != 'f') ||
			    !((x[18] == '\r' && x[19] == '\n') ||
			      (x[18] == ' ' && (x[19] == '\n' || x[19] == '\r'))))
				return -1;
			f.d = x;
			f.len = 17;
			f.p = 0;
			if ((o = integer(&f)) < 0 || f.p != 10)
				return -1;
			f.p = 11;
			if ((g = integer(&f)) < 0 || f.p != 16 || *n == cap)
				return -1;
			e[*n].num = (int)(start + i);
			e[*n].gen = (int)g;
			e[*n].sec = sec;
			e[*n].use = x[17] == 'n' && o > 0 && (size_t)o < doc->len;
			e[(*n)++].off = (size_t)o;
		}
	}
}

/*
 * 1 when doc's newest section is a table qpdf reads as written (no bytes
 * before the header, from which its offsets would count; no hybrid's
 * /XRefStm), with *pv the /Prev of its trailer as qpdf reads it (0: none;
 * a merged table's trailer leaves it out: the section's own).
 */
static int
newest_table(struct pdf_doc *doc, long long *pv)
{
	qpdf_oh tr = qpdf_get_trailer(doc->q), prev;

	*pv = 0;
	if (doc->info.xref_kind != PDF_XREF_TABLE || doc->info.header > 0 ||
	    doc->info.startxref <= 0 || (size_t)doc->info.startxref >= doc->len ||
	    qpdf_oh_has_key(doc->q, tr, "/XRefStm"))
		return 0;
	prev = qpdf_oh_get_key(doc->q, tr, "/Prev");
	if (qpdf_oh_is_integer(doc->q, prev))
		*pv = qpdf_oh_get_int_value(doc->q, prev);
	else if (doc->merged_prev > 0 && qpdf_oh_is_null(doc->q, prev))
		*pv = doc->merged_prev;
	qpdf_oh_release(doc->q, prev);
	return 1;
}

/*
 * The objects qpdf locates through the newest xref section, or (sections
 * 2) through the one before it (the newest trailer's /Prev) when the newest
 * does not list them: both tables as written, neither trailer with /XRefStm
 * (a hybrid file's stream lists more). Into e[]: how many, an entry to use
 * only when .use (a freed object is not) and newest_only() says it decides. -1
 * when the newest section is not such a table.
 */
static int
entries(struct pdf_doc *doc, int sections, struct ent *e)
{
	struct cur c = { doc->data, doc->len, 0 };
	size_t t = 0, end;
	long long pv;
	int n = 0, n0;

	if (!newest_table(doc, &pv))
		return -1;
	c.p = (size_t)doc->info.startxref;
	skip_ws(&c);
	if (table(doc, c.p, 0, e, &n, ENTRIES_MAX, &t) < 0)
		return -1;
	n0 = n;
	/* the section before: its trailer, up to its startxref, without /XRefStm */
	if (sections > 1 && pv > 0 && (size_t)pv < doc->len &&
	    table(doc, (size_t)pv, 1, e, &n, ENTRIES_MAX, &t) == 0) {
		const unsigned char *sx = memmem(doc->data + t, doc->len - t, "startxref", 9);
		end = sx ? (size_t)(sx - doc->data) : doc->len;
		if (memmem(doc->data + t, end - t, "/XRefStm", 8) != NULL)
			n = n0;
	} else {
		n = n0;
	}
	return n;
}

/* by number, the newest section first */
static int
cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->num != y->num)
		return (x->num > y->num) - (x->num < y->num);
	return (x->sec > y->sec) - (x->sec < y->sec);
}

/*
 * e[0..n) sorted (cmp_ent), each entry's .use cleared but for the newest
 * listing of its number, which decides: a second listing in the same
 * section leaves the object to qpdf (neither is used).
 */
static void
newest_only(struct ent *e, int n)
{
	int i, j;

	qsort(e, (size_t)n, sizeof(*e), cmp_ent);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && e[j].num == e[i].num; j++)
			e[j].use = 0;
		if (j > i + 1 && e[i + 1].sec == e[i].sec)
			e[i].use = 0;
	}
}

struct item {
	size_t kat, kn;
	struct val v;
};

/*
 * Object num gen at off, "num gen obj << ... >> endobj" with the keys and
 * values above, /Contents a hex string and /ByteRange an array: its items
 * into it[] (at most SCAN_KEYS_MAX); how many, or -1 when not so.
 */
static int
sig_dict(const struct pdf_doc *doc, int num, int gen, size_t off, struct item *it)
{
	struct cur c = { doc->data, doc->len, off };
	size_t at, n;
	int nk = 0, i, have_c = 0, have_br = 0;

	if (integer(&c) != num || c.p >= c.len || c.d[c.p] != ' ')
		return -1;
	c.p++;
	if (integer(&c) != gen || c.p >= c.len || c.d[c.p] != ' ')
		return -1;
	c.p++;
	if (c.len - c.p < 6 || memcmp(c.d + c.p, "obj", 3) != 0 || !pdf_space(c.d[c.p + 3]))
		return -1;
	c.p += 3;
	skip_ws(&c);
	if (c.len - c.p < 2 || memcmp(c.d + c.p, "<<", 2) != 0)
		return -1;
	c.p += 2;
	for (;;) {
		skip_ws(&c);
		if (c.len - c.p >= 2 && memcmp(c.d + c.p, ">>", 2) == 0)
			break;
		if (nk == SCAN_KEYS_MAX || name(&c, &at, &n) < 0 || n > 127)
			return -1;
		for (i = 0; i < nk; i++)
			if (it[i].kn == n && memcmp(c.d + it[i].kat, c.d + at, n) == 0)
				return -1; /* a duplicate key: which one qpdf keeps is its own */
		it[nk].kat = at;
		it[nk].kn = n;
		skip_ws(&c);
		if (value(&c, &it[nk].v) < 0 || (it[nk].v.kind == V_NAME && it[nk].v.n > 127))
			return -1;
		if (key_is(&c, at, n, "/Contents"))
			have_c = it[nk].v.kind == V_HEX;
		if (key_is(&c, at, n, "/ByteRange"))
			have_br = it[nk].v.kind == V_INTS;
		nk++;
	}
	c.p += 2;
	skip_ws(&c);
	if (!have_c || !have_br || c.len - c.p < 6 || memcmp(c.d + c.p, "endobj", 6) != 0 ||
	    (c.len - c.p > 6 && !ends_token(c.d[c.p + 6])))
		return -1;
	return nk;
}

/* it's value as a new qpdf object (qpdf's parse of it); 0 when out of memory */
static qpdf_oh
make(struct pdf_doc *doc, const struct val *v, char *tmp)
{
	qpdf_data q = doc->q;
	const unsigned char *d = doc->data + v->at;
	qpdf_oh h, x;
	unsigned char *bin;
	size_t i;

	switch (v->kind) {
	case V_NAME:
		memcpy(tmp, d, v->n);
		tmp[v->n] = 0;
		return qpdf_oh_new_name(q, tmp);
	case V_INT:
		return qpdf_oh_new_integer(q, v->i[0]);
	case V_LIT:
		return qpdf_oh_new_binary_string(q, (const char *)d, v->n);
	case V_HEX:
		if (!(bin = malloc(v->n / 2 + 1)) ||
		    sp_hex_decode((const char *)d, v->n, bin, v->n / 2, &i) != SP_OK) {
			free(bin);
			return 0;
		}
		h = qpdf_oh_new_binary_string(q, (const char *)bin, i);
		free(bin);
		return h;
	case V_INTS:
		h = qpdf_oh_new_array(q);
		for (i = 0; i < v->nints; i++) {
			x = qpdf_oh_new_integer(q, v->i[i]);
			qpdf_oh_append_item(q, h, x);
			qpdf_oh_release(q, x);
		}
		return h;
	}
	return 0;
}

/*
 * 1 when e[i] is the newest listing of its number, which decides: a newer
 * one, or a second in the same section, leaves the object to qpdf. Asked of
 * one entry (pdf_doc_newest_place), not of every pair of entries.
 */
static int
newest(const struct ent *e, int n, int i)
{
	int k;

	for (k = 0; k < n; k++)
		if (k != i && e[k].num == e[i].num && e[k].sec <= e[i].sec)
			return 0;
	return 1;
}

/* the newest two sections' entries (entries(doc, 2, ...)), kept with the document */
struct pdf_newest {
	struct ent e[ENTRIES_MAX];
	int n;
};

void
pdf_doc_newest_free(struct pdf_doc *doc)
{
	free(doc->newest);
	doc->newest = NULL;
}

/* the newest two sections' entries (entries(doc, 2, ...)), read once per document (NULL:
   the newest is not such a table): a completion asks them of the new signature's
   dictionary and of each array of the update's objects (pdf_doc_key_refs), a prepare at
   B-LT of the page and the form the signature's update wrote before the DSS's */
static const struct pdf_newest *
newest_of(struct pdf_doc *doc)
{
	struct pdf_newest *nw;

	if (!doc->newest_read) {
		doc->newest_read = 1;
		if ((nw = malloc(sizeof(*nw))) != NULL && (nw->n = entries(doc, 2, nw->e)) > 0)
			doc->newest = nw;
		else
			free(nw);
	}
	return doc->newest;
}

int
pdf_doc_newest_place(struct pdf_doc *doc, int num, int gen, size_t *off)
{
	const struct pdf_newest *nw;
	int i;

	*off = 0;
	if (num <= 0 || pdf_doc_damaged(doc) || num >= doc->info.size ||
	    (nw = newest_of(doc)) == NULL)
		return 0;
	for (i = 0; i < nw->n; i++)
		if (nw->e[i].num == num) {
			if (!nw->e[i].use || nw->e[i].gen != gen || !newest(nw->e, nw->n, i))
				return 0;
			*off = nw->e[i].off;
			return 1;
		}
	return 0;
}

/* the last DICT_MEMO objects pdf_doc_dict_bytes read, in turn */
#define DICT_MEMO 4
struct pdf_dict_memo {
	struct {
		int num, gen, ok;
		struct pdf_obj_dict dict;
	} e[DICT_MEMO];
	int n, next;
};

void
pdf_doc_dict_memo_free(struct pdf_doc *doc)
{
	free(doc->dmemo);
	doc->dmemo = NULL;
}

int
pdf_doc_dict_bytes(struct pdf_doc *doc, int num, int gen, struct pdf_obj_dict *dict)
{
	struct pdf_dict_memo *m;
	size_t off;
	int i;

	if (doc->dmemo == NULL && !(doc->dmemo = calloc(1, sizeof(*doc->dmemo))))
		return 0;
	m = doc->dmemo;
	for (i = 0; i < m->n; i++)
		if (m->e[i].num == num && m->e[i].gen == gen) {
			if (m->e[i].ok && dict != NULL)
				*dict = m->e[i].dict;
			return m->e[i].ok;
		}
	i = m->next;
	m->next = (m->next + 1) % DICT_MEMO;
	if (m->n < DICT_MEMO)
		m->n++;
	m->e[i].num = num;
	m->e[i].gen = gen;
	m->e[i].ok = pdf_doc_newest_place(doc, num, gen, &off) &&
		     pdf_obj_dict_bytes(doc->data, doc->len, off, num, gen, &m->e[i].dict);
	if (m->e[i].ok && dict != NULL)
		*dict = m->e[i].dict;
	return m->e[i].ok;
}

/* The signature dictionaries among e[0..n) (entries() or entries_revs()) into doc's qpdf:
   how many. */
static int
preload(struct pdf_doc *doc, struct ent *e, int n)
{
	qpdf_data q = doc->q;
	int i, j, nk, done = 0;
	struct item it[SCAN_KEYS_MAX];
	char key[128], tmp[128];
	qpdf_oh dict, x;

	/* first which listing decides: each object's bytes are then read once */
	newest_only(e, n);
	for (i = 0; i < n; i++) {
		/* past the trailer's /Size a reader may take an object for none: left to qpdf */
		if (!e[i].use || e[i].num <= 0 || e[i].num >= doc->info.size ||
		    (nk = sig_dict(doc, e[i].num, e[i].gen, e[i].off, it)) < 0)
			continue;
		dict = qpdf_oh_new_dictionary(q);
		for (j = 0; j < nk; j++) {
			if (!(x = make(doc, &it[j].v, tmp)))
				break;
			memcpy(key, doc->data + it[j].kat, it[j].kn);
			key[it[j].kn] = 0;
			qpdf_oh_replace_key(q, dict, key, x);
			qpdf_oh_release(q, x);
		}
		/* as qpdf's resolve stores what it parsed at the xref's offset */
		if (j == nk) {
			qpdf_replace_object(q, e[i].num, e[i].gen, dict);
			done++;
		}
		qpdf_oh_release(q, dict);
	}
	return done;
}

int
pdf_doc_sigs_preload(struct pdf_doc *doc, int sections)
{
	const struct pdf_newest *nw;
	struct ent e[ENTRIES_MAX];
	int n = 0, i;

	/* an encrypted file's strings are not what its bytes say (qpdf decrypts them) */
	if (pdf_doc_damaged(doc) || qpdf_is_encrypted(doc->q) || (nw = newest_of(doc)) == NULL)
		return 0;
	/* the sections asked for, of the newest two the document keeps read (preload
	   sorts its own copy) */
	for (i = 0; i < nw->n; i++)
		if (nw->e[i].sec < sections)
			e[n++] = nw->e[i];
	return n > 0 ? preload(doc, e, n) : 0;
}

/* Entries pdf_doc_sigs_preload_revs() reads in all (24 bytes each) */
#define REVS_ENTRIES_MAX 16384

/*
 * As entries(), through the sections of revs[0..nrevs) (pdf_revisions_find()
 * of doc's bytes, doc's own the newest, last), newest first (sec 0), for as
 * long as each is a plain table (no stream, no hybrid's /XRefStm, no
 * linearized file's first-page section) that fits: the newest where
 * startxref says, the one before it where qpdf's trailer's /Prev says, each
 * older one where pdf_revisions_find() followed the /Prev chain. -1 when the
 * newest is not so.
 */
static int
entries_revs(struct pdf_doc *doc, const struct pdf_revision *revs, size_t nrevs, struct ent *e,
	     int cap)
{
	struct cur c = { doc->data, doc->len, 0 };
	size_t t = 0, i;
	long long pv;
	int n = 0, before, sec;

	if (nrevs == 0 || revs[nrevs - 1].xref != doc->info.startxref || !newest_table(doc, &pv))
		return -1;
	for (i = nrevs, sec = 0; i-- > 0; sec++) {
		const struct pdf_revision *r = &revs[i];

		if (r->xref_stream || r->xrefstm != 0 || r->linearized_main != 0 || r->xref <= 0 ||
		    (size_t)r->xref >= doc->len || (sec == 1 && r->xref != pv))
			break;
		c.p = (size_t)r->xref;
		skip_ws(&c);
		before = n;
		if (table(doc, c.p, sec, e, &n, cap, &t) < 0) {
			n = before; /* this one and those before it are left to qpdf */
			break;
		}
	}
	return n > 0 ? n : -1;
}

int
pdf_doc_sigs_preload_revs(struct pdf_doc *doc, const struct pdf_revision *revs, size_t nrevs)
{
	struct ent *e;
	int n, done = 0;

	if (pdf_doc_damaged(doc) || qpdf_is_encrypted(doc->q) ||
	    !(e = malloc(REVS_ENTRIES_MAX * sizeof(*e))))
		return 0;
	if ((n = entries_revs(doc, revs, nrevs, e, REVS_ENTRIES_MAX)) > 0)
		done = preload(doc, e, n);
	free(e);
	return done;
}
