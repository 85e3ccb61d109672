/*
 * verify_report_splice.c: completion's merge of the new signature into the
 * stored report (verify_report.h, verify_report_base) without parsing the
 * stored text. A contract's k-th completion built on a report of k - 1
 * signatures (~2.8 KB each) by json_loads(), a deep copy of each, and
 * json_dumps() of them all: ~56 KB parsed and written at k = 20, the one
 * part of completion left that grew with k (issue 14).
 *
 * The merge changes little in an earlier signature's text: its level (the
 * new revisions' long-term data), its verdict (allowed changes), its
 * changes check, the two change counts, and the changes it lists (appended
 * while fewer than CRYPTO_VERIFY_CHANGES_MAX). So the stored text is
 * scanned once, strictly, against the exact shape verify_report.c writes
 * (every member in its order, compact, integers and strings as jansson
 * writes them: a text jansson would read and write back differently is not
 * in the shape), and the merge copies it with those few values replaced.
 * What comes from the engine's report (the document's head, a new
 * signature, a signature verified again, a listed change that is not plain
 * ASCII) is rendered by verify_report.c's own functions. Any other text,
 * and any case the splice does not cover, goes the jansson way
 * (verify_report_merge_json), so the result is the same bytes whichever way
 * it was made: tests/unit/test_verify_report.c and the fuzz target
 * fuzz_report_merge compare the two.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify_report.h"
#include "verify_report_int.h"

/* One signature of the base: offsets into its text. */
struct base_sig {
	size_t start, end; /* the object */
	long long br[4];
	int valid;           /* verdict "valid" or "valid_with_allowed_changes", no reasons */
	int allowed_changes; /* verdict "valid_with_allowed_changes" */
	int ltv_level;       /* level "pades_b_t", "pades_b_lt" or "pades_b_lta" */
	size_t level_at, level_end, verdict_at, verdict_end;
	size_t check_at, check_end; /* "checks": {... "changes": the value} */
	size_t changes_at;          /* "changes": {"allowed": ...} */
	size_t allowed_at, allowed_end, disallowed_at, disallowed_end;
	long long allowed, disallowed;
	size_t objs_end; /* the objects array's ']' */
	size_t nobjs;
};

struct verify_report_base {
	const char *text; /* borrowed; NULL: none */
	size_t len;
	int indexed; /* the exact shape: sigs below; else json */
	long long size, revisions;
	int last_signed, trailing;
	struct base_sig *sigs;
	size_t nsigs;
	int sigs_lent; /* sigs point into a kept index (verify_report_base_open_indexed) */
	json_t *json;  /* parsed (not indexed, or a merge the splice leaves to jansson) */
	int parsed;    /* json is the parse (NULL: the text did not parse) */
};

/* ---- the scan: the exact shape, or nothing ---------------------------------------------- */

struct scan {
	const char *p, *end;
};

/* inlined: each literal's length is a constant there, so the compare is a few loads, not a
   call to memcmp (the scan meets ~85 literals per signature) */
static inline __attribute__((always_inline)) int
lit_n(struct scan *s, const char *l, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, l, n) != 0)
		return 0;
	s->p += n;
	return 1;
}
#define LIT(s, l) lit_n((s), (l), sizeof(l) - 1)

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* An uppercase hex digit's value (jansson writes \u%04X), or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A string as jansson writes it: UTF-8 as is, escapes only for the quote,
 * the backslash and the control characters (\b \f \n \r \t, the others
 * \u00XX), never \u0000 (which jansson does not read by default).
 */
static int
str(struct scan *s)
{
	const unsigned char *p = (const unsigned char *)s->p, *e = (const unsigned char *)s->end;
	size_t k;
	int hi, lo, c;

	if (p == e || *p != '"')
		return 0;
	for (p++; p < e;) {
		/*
		 * Eight plain bytes at a time (printable ASCII, no quote, no
		 * backslash), the bulk of a report's text: the same bytes the
		 * one-at-a-time test below passes, told by exact tests (a byte
		 * below 0x20, equal to '"' or '\\', or with its top bit set makes
		 * the word fail, and that word goes byte by byte), so the scan
		 * accepts exactly what it did.
		 */
		while (e - p >= 8) {
			uint64_t w, q, bs;

			memcpy(&w, p, 8);
			q = w ^ (ONES * '"');
			bs = w ^ (ONES * '\\');
			if (((w - ONES * 0x20) | (q - ONES) | (bs - ONES) | w) & HIGHS)
				break;
			p += 8;
		}
		if (p == e)
			break;
		if (*p == '"') {
			s->p = (const char *)p + 1;
			return 1;
		}
		if (*p >= 0x20 && *p < 0x80 && *p != '\\') {
			p++;
			continue;
		}
		if (*p == '\\') {
			if (e - p < 2)
				return 0;
			switch (p[1]) {
			case '"':
			case '\\':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				continue;
			case 'u':
				if (e - p < 6 || p[2] != '0' || p[3] != '0' ||
				    (hi = hexval((char)p[4])) < 0 || hi > 1 ||
				    (lo = hexval((char)p[5])) < 0)
					return 0;
				c = hi * 16 + lo;
				if (c == 0 || c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
				    c == '\t')
					return 0;
				p += 6;
				continue;
			default:
				return 0;
			}
		}
		if (*p < 0x20 || (k = verify_report_utf8_seq(p, (size_t)(e - p))) == 0)
			return 0;
		p += k;
	}
	return 0;
}

static int
str_or_null(struct scan *s)
{
	return LIT(s, "null") || str(s);
}

/* An integer as jansson writes it (%lld: no "-0", no leading zeros), 18 digits at most. */
static int
integer(struct scan *s, long long *v)
{
	const char *p = s->p;
	long long x = 0;
	int neg = 0, n = 0;

	if (p < s->end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p == s->end || *p < '0' || *p > '9' || (*p == '0' && neg))
		return 0;
	if (*p == '0')
		p++;
	else
		for (; p < s->end && *p >= '0' && *p <= '9'; p++) {
			if (++n > 18)
				return 0;
			x = x * 10 + (*p - '0');
		}
	*v = neg ? -x : x;
	s->p = p;
	return 1;
}

static int
boolean(struct scan *s, int *v)
{
	if (LIT(s, "true")) {
		*v = 1;
		return 1;
	}
	*v = 0;
	return LIT(s, "false");
}

static int
tri(struct scan *s)
{
	int b;

	return LIT(s, "null") || boolean(s, &b);
}

/* the text between at and the scan's position equals l */
#define SPAN_IS(text, at, s, l) \
	((size_t)((s)->p - (text)) - (at) == sizeof(l) - 1 && \
	 memcmp((text) + (at), (l), sizeof(l) - 1) == 0)

/* One listed change: {"revision","object","generation","allowed","what"}. */
static int
change_scan(struct scan *s)
{
	long long x;
	int b;

	return LIT(s, "{\"revision\":") && integer(s, &x) && LIT(s, ",\"object\":") &&
	       integer(s, &x) && LIT(s, ",\"generation\":") && integer(s, &x) &&
	       LIT(s, ",\"allowed\":") && boolean(s, &b) && LIT(s, ",\"what\":") && str(s) &&
	       LIT(s, "}");
}

/* The signer: null or {"subject","issuer","serial","sha256","not_before","not_after"}. */
static int
signer_scan(struct scan *s)
{
	return LIT(s, "null") ||
	       (LIT(s, "{\"subject\":") && str(s) && LIT(s, ",\"issuer\":") && str(s) &&
		LIT(s, ",\"serial\":") && str(s) && LIT(s, ",\"sha256\":") && str(s) &&
		LIT(s, ",\"not_before\":") && str_or_null(s) && LIT(s, ",\"not_after\":") &&
		str_or_null(s) && LIT(s, "}"));
}

/* One signature, as verify_report_sig_json() writes it; offsets into text in *b. */
static int
sig_scan(struct scan *s, const char *text, struct base_sig *b)
{
	long long x;
	size_t nreasons = 0;
	int v, i;

#define AT() ((size_t)(s->p - text))
	memset(b, 0, sizeof(*b));
	b->start = AT();
	if (!LIT(s, "{\"field\":") || !str(s) || !LIT(s, ",\"object\":") || !integer(s, &x) ||
	    !LIT(s, ",\"subfilter\":") || !str(s) || !LIT(s, ",\"doc_timestamp\":") ||
	    !boolean(s, &v) || !LIT(s, ",\"level\":"))
		return 0;
	b->level_at = AT();
	if (!str_or_null(s))
		return 0;
	b->level_end = AT();
	b->ltv_level = SPAN_IS(text, b->level_at, s, "\"pades_b_t\"") ||
		       SPAN_IS(text, b->level_at, s, "\"pades_b_lt\"") ||
		       SPAN_IS(text, b->level_at, s, "\"pades_b_lta\"");
	if (!LIT(s, ",\"revocation_embedded\":") || !boolean(s, &v) ||
	    !LIT(s, ",\"certifying\":") || !integer(s, &x) || !LIT(s, ",\"verdict\":"))
		return 0;
	b->verdict_at = AT();
	if (!str(s))
		return 0;
	b->verdict_end = AT();
	b->allowed_changes = SPAN_IS(text, b->verdict_at, s, "\"valid_with_allowed_changes\"");
	b->valid = b->allowed_changes || SPAN_IS(text, b->verdict_at, s, "\"valid\"");
	if (!LIT(s, ",\"reasons\":["))
		return 0;
	if (!LIT(s, "]")) {
		do {
			if (!str(s))
				return 0;
			nreasons++;
		} while (LIT(s, ","));
		if (!LIT(s, "]"))
			return 0;
	}
	b->valid = b->valid && nreasons == 0;
	if (!LIT(s, ",\"message\":") || !str(s) || !LIT(s, ",\"byte_range\":["))
		return 0;
	for (i = 0; i < 4; i++)
		if ((i > 0 && !LIT(s, ",")) || !integer(s, &b->br[i]))
			return 0;
	if (!LIT(s, "],\"revision\":") || !integer(s, &x) ||
	    !LIT(s, ",\"checks\":{\"structure\":") || !tri(s) || !LIT(s, ",\"digest\":") ||
	    !tri(s) || !LIT(s, ",\"signature\":") || !tri(s) || !LIT(s, ",\"chain\":") || !tri(s) ||
	    !LIT(s, ",\"timestamp\":") || !tri(s) || !LIT(s, ",\"changes\":"))
		return 0;
	b->check_at = AT();
	if (!tri(s))
		return 0;
	b->check_end = AT();
	if (!LIT(s, "},\"digest_algorithm\":") || !str(s) || !LIT(s, ",\"signature_algorithm\":") ||
	    !str(s) || !LIT(s, ",\"signer\":") || !signer_scan(s) || !LIT(s, ",\"timestamp\":") ||
	    !(LIT(s, "null") || (LIT(s, "{\"time\":") && str_or_null(s) && LIT(s, ",\"tsa\":") &&
				 str(s) && LIT(s, "}"))) ||
	    !LIT(s, ",\"checked_at\":") || !str_or_null(s) || !LIT(s, ",\"changes\":"))
		return 0;
	b->changes_at = AT();
	if (!LIT(s, "{\"allowed\":"))
		return 0;
	b->allowed_at = AT();
	if (!integer(s, &b->allowed))
		return 0;
	b->allowed_end = AT();
	if (!LIT(s, ",\"disallowed\":"))
		return 0;
	b->disallowed_at = AT();
	if (!integer(s, &b->disallowed))
		return 0;
	b->disallowed_end = AT();
	if (!LIT(s, ",\"objects\":["))
		return 0;
	if (!(s->p < s->end && *s->p == ']')) {
		do {
			if (!change_scan(s))
				return 0;
			b->nobjs++;
		} while (LIT(s, ","));
	}
	b->objs_end = AT();
	if (!LIT(s, "]}}"))
		return 0;
	b->end = AT();
#undef AT
	return 1;
}

/* The document's members up to the signatures' '[', into b's fields. */
static int
head_scan(struct scan *s, struct verify_report_base *b)
{
	return LIT(s, "{\"verdict\":") && str(s) && LIT(s, ",\"size\":") && integer(s, &b->size) &&
	       LIT(s, ",\"revisions\":") && integer(s, &b->revisions) &&
	       LIT(s, ",\"last_revision_signed\":") && boolean(s, &b->last_signed) &&
	       LIT(s, ",\"trailing_data\":") && boolean(s, &b->trailing) &&
	       LIT(s, ",\"reason\":") && str_or_null(s) && LIT(s, ",\"message\":") && str(s) &&
	       LIT(s, ",\"signatures\":[");
}

/* The whole text as verify_report_json() writes it, its signatures into b->sigs. */
static int
report_scan(struct verify_report_base *b)
{
	struct scan s = { b->text, b->text + b->len };
	struct base_sig *more;
	size_t cap = 0;

	if (!head_scan(&s, b))
		return 0;
	if (!(s.p < s.end && *s.p == ']')) {
		do {
			if (b->nsigs == cap) {
				cap = cap ? 2 * cap : 32;
				if ((more = realloc(b->sigs, cap * sizeof(*more))) == NULL)
					return 0; /* parsed instead: jansson says what no memory means */
				b->sigs = more;
			}
			if (!sig_scan(&s, b->text, &b->sigs[b->nsigs]))
				return 0;
			b->nsigs++;
		} while (LIT(&s, ","));
	}
	return LIT(&s, "]}") && s.p == s.end;
}

/* ---- the base --------------------------------------------------------------------------- */

static void
parse(struct verify_report_base *b)
{
	if (!b->parsed && b->text != NULL)
		b->json = json_loads(b->text, 0, NULL);
	b->parsed = 1;
}

int
verify_report_base_open(const char *text, struct verify_report_base **out)
{
	struct verify_report_base *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (b == NULL)
		return SP_ERR_NOMEM;
	b->text = text;
	if (text != NULL) {
		b->len = strlen(text);
		b->indexed = report_scan(b);
	}
	if (!b->indexed) {
		free(b->sigs);
		b->sigs = NULL;
		b->nsigs = 0;
		parse(b);
	}
	*out = b;
	return SP_OK;
}

/*
 * A merge's index of its result (verify_report_base_merge's *index): what
 * report_scan() finds in that text, found while writing it. Kept with the
 * text (doc_cache), it stands for the scan of the next completion's base,
 * whose ~57 KB at a 20th signing cost some 300,000 instructions to scan.
 */
struct kept_index {
	size_t len; /* the text's length (strlen) */
	long long size, revisions;
	int last_signed, trailing;
	size_t nsigs;
	struct base_sig sigs[];
};

int
verify_report_base_open_indexed(const char *text, size_t len, const void *index, size_t index_len,
				struct verify_report_base **out)
{
	const struct kept_index *k = index;
	struct verify_report_base *b;

	/* not this text's (or none): scanned */
	if (text == NULL || k == NULL || index_len < sizeof(*k) || k->len != len ||
	    k->nsigs > (index_len - sizeof(*k)) / sizeof(k->sigs[0]) ||
	    index_len != sizeof(*k) + k->nsigs * sizeof(k->sigs[0]))
		return verify_report_base_open(text, out);
	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return SP_ERR_NOMEM;
	b->text = text;
	b->len = len;
	b->indexed = 1;
	b->size = k->size;
	b->revisions = k->revisions;
	b->last_signed = k->last_signed;
	b->trailing = k->trailing;
	/* read only by the merge: lent, not copied */
	b->sigs = (struct base_sig *)k->sigs;
	b->nsigs = k->nsigs;
	b->sigs_lent = 1;
	*out = b;
	return SP_OK;
}

void
verify_report_base_free(struct verify_report_base *b)
{
	if (b == NULL)
		return;
	if (!b->sigs_lent)
		free(b->sigs);
	json_decref(b->json);
	free(b);
}

int
verify_report_base_spliced(const struct verify_report_base *b)
{
	return b != NULL && b->indexed;
}

int
verify_report_base_covers(const struct verify_report_base *b, size_t len)
{
	if (b == NULL)
		return 0;
	if (b->indexed)
		return b->size == (long long)len;
	/* completion's rule on the parsed report, as before */
	return json_is_object(b->json) &&
	       json_integer_value(json_object_get(b->json, "size")) == (json_int_t)len;
}

/* ---- the merge -------------------------------------------------------------------------- */

/* A listed change as put_change() wrote it into the output: the text at [at, at + len),
   and whether change_scan() read it back whole. */
struct rendered {
	const struct crypto_change *c; /* NULL: none yet */
	size_t at, len;
	int ok;
};

struct out {
	char *buf;
	size_t len, cap;
	int bad; /* out of memory */
	/*
	 * The i-th change appended to the previous prior signature, as written:
	 * a new update's changes are listed after every earlier signature, the
	 * same ones (the same revision, objects and words) in each, so each is
	 * rendered and scanned back once, then copied (k - 1 times at a
	 * contract's k-th signing).
	 */
	struct rendered memo[CRYPTO_VERIFY_CHANGES_MAX];
};

/* Room for n more bytes and a NUL after them: 1, or 0 (o->bad) when there is none. */
static int
room(struct out *o, size_t n)
{
	size_t cap;
	char *more;

	if (o->bad)
		return 0;
	if (n >= o->cap - o->len) {
		cap = o->cap ? o->cap : 4096;
		while (n >= cap - o->len)
			cap *= 2;
		if ((more = realloc(o->buf, cap)) == NULL) {
			o->bad = 1;
			return 0;
		}
		o->buf = more;
		o->cap = cap;
	}
	return 1;
}

static void
put(struct out *o, const void *p, size_t n)
{
	if (n == 0 || !room(o, n))
		return;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}
#define PUT_LIT(o, l) put((o), (l), sizeof(l) - 1)

/* o's own text [at, at + n), written before o->len, again at its end */
static void
put_again(struct out *o, size_t at, size_t n)
{
	/* by offset: room() may move the buffer */
	if (n == 0 || !room(o, n))
		return;
	/* the source ends at or before o->len: no overlap */
	memcpy(o->buf + o->len, o->buf + at, n);
	o->len += n;
}

/* text[from, to) of the base */
static void
put_span(struct out *o, const struct verify_report_base *b, size_t from, size_t to)
{
	put(o, b->text + from, to - from);
}

/* v as %lld writes it (and jansson, for an integer), without snprintf's cost: each
   listed change has three of them, written again into every earlier signature */
static void
put_int(struct out *o, long long v)
{
	char t[24];
	size_t n = sizeof(t);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		t[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		t[--n] = '-';
	put(o, t + n, sizeof(t) - n);
}

/* v as jansson writes it (compact); v is released. */
static void
put_json(struct out *o, json_t *v, int bad)
{
	char *t = bad || v == NULL ? NULL : json_dumps(v, JSON_COMPACT);

	if (t == NULL)
		o->bad = 1;
	else
		put(o, t, strlen(t));
	free(t);
	json_decref(v);
}

/* printable ASCII without a quote or backslash: jansson writes it as it is */
static int
plain(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

/* One listed change, as verify_report_change_json() renders it. */
static void
put_change(struct out *o, const struct crypto_change *c)
{
	int bad = 0;

	if (!plain(c->what)) {
		put_json(o, verify_report_change_json(c, &bad), bad);
		return;
	}
	PUT_LIT(o, "{\"revision\":");
	put_int(o, (long long)c->revision);
	PUT_LIT(o, ",\"object\":");
	put_int(o, c->obj);
	PUT_LIT(o, ",\"generation\":");
	put_int(o, c->gen);
	if (c->allowed)
		PUT_LIT(o, ",\"allowed\":true,\"what\":\"");
	else
		PUT_LIT(o, ",\"allowed\":false,\"what\":\"");
	put(o, c->what, strlen(c->what));
	PUT_LIT(o, "\"}");
}

/* o's text from at on is an integer the scan reads as v, whole (o written in full) */
static int
wrote_integer(const struct out *o, size_t at, long long v)
{
	struct scan s;
	long long x;

	if (o->bad)
		return 0;
	s.p = o->buf + at;
	s.end = o->buf + o->len;
	return integer(&s, &x) && x == v && s.p == s.end;
}

/* o's text from at on is one listed change as change_scan() reads it, whole */
static int
wrote_change(const struct out *o, size_t at)
{
	struct scan s;

	if (o->bad)
		return 0;
	s.p = o->buf + at;
	s.end = o->buf + o->len;
	return change_scan(&s) && s.p == s.end;
}

static int
change_same(const struct crypto_change *a, const struct crypto_change *b)
{
	return a->revision == b->revision && a->obj == b->obj && a->gen == b->gen &&
	       a->allowed == b->allowed && strcmp(a->what, b->what) == 0;
}

/*
 * The i-th change c of a signature's list, as put_change() writes it: copied
 * from where the same change was written as the i-th before (o->memo), else
 * rendered and scanned back (wrote_change). Whether the text is in the
 * scan's shape.
 */
static int
put_change_once(struct out *o, size_t i, const struct crypto_change *c)
{
	struct rendered *m = &o->memo[i];
	size_t at = o->len;

	if (m->c != NULL && change_same(m->c, c)) {
		put_again(o, m->at, m->len);
		return m->ok && !o->bad;
	}
	put_change(o, c);
	m->ok = wrote_change(o, at);
	m->c = o->bad ? NULL : c;
	m->at = at;
	m->len = o->len - at;
	return m->ok;
}

/*
 * From the base's "allowed" count to the end of signature bs: the counts
 * with s's added, the base's listed changes, then s's while fewer than
 * CRYPTO_VERIFY_CHANGES_MAX are listed (prior_json's rule). With nb, its
 * offsets in o and its values as sig_scan() would find them there; 0 when
 * what was written is not in the scan's shape (no index then).
 */
static int
put_changes(struct out *o, const struct verify_report_base *b, const struct base_sig *bs,
	    const struct crypto_sig_report *s, struct base_sig *nb)
{
	size_t n = bs->nobjs, i, at;
	int ok = nb != NULL;

	at = o->len;
	put_int(o, bs->allowed + (long long)s->nallowed);
	if (nb != NULL) {
		nb->allowed_at = at;
		nb->allowed = bs->allowed + (long long)s->nallowed;
		ok = ok && wrote_integer(o, at, nb->allowed);
		nb->allowed_end = o->len;
	}
	put_span(o, b, bs->allowed_end, bs->disallowed_at);
	at = o->len;
	put_int(o, bs->disallowed + (long long)s->ndisallowed);
	if (nb != NULL) {
		nb->disallowed_at = at;
		nb->disallowed = bs->disallowed + (long long)s->ndisallowed;
		ok = ok && wrote_integer(o, at, nb->disallowed);
		nb->disallowed_end = o->len;
	}
	put_span(o, b, bs->disallowed_end, bs->objs_end);
	for (i = 0; i < s->nchanges && n < CRYPTO_VERIFY_CHANGES_MAX; i++, n++) {
		if (n > 0)
			PUT_LIT(o, ",");
		ok = put_change_once(o, i, &s->changes[i]) && ok;
	}
	if (nb != NULL) {
		nb->objs_end = o->len;
		nb->nobjs = n;
	}
	put_span(o, b, bs->objs_end, bs->end);
	if (nb != NULL)
		nb->end = o->len;
	return ok;
}

/*
 * A prior signature (s->prior): the base's text with the news (prior_json's
 * changes). With nb, as put_changes(): the spans copied from the base were
 * in the scan's shape, the values put in are written as it reads them.
 */
static int
put_prior(struct out *o, const struct verify_report_base *b, const struct base_sig *bs,
	  const struct crypto_sig_report *s, struct base_sig *nb)
{
	struct base_sig at;

	memset(&at, 0, sizeof(at));
	at.start = o->len;
	put_span(o, b, bs->start, bs->level_at);
	at.level_at = o->len;
	if (!bs->ltv_level)
		put_span(o, b, bs->level_at, bs->level_end);
	else if (!s->ltv_dss)
		PUT_LIT(o, "\"pades_b_t\"");
	else if (s->ltv_archived)
		PUT_LIT(o, "\"pades_b_lta\"");
	else
		PUT_LIT(o, "\"pades_b_lt\"");
	at.level_end = o->len;
	put_span(o, b, bs->level_end, bs->verdict_at);
	at.verdict_at = o->len;
	at.allowed_changes =
		s->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES || bs->allowed_changes;
	if (at.allowed_changes)
		PUT_LIT(o, "\"valid_with_allowed_changes\"");
	else
		PUT_LIT(o, "\"valid\"");
	at.verdict_end = o->len;
	put_span(o, b, bs->verdict_end, bs->check_at);
	at.check_at = o->len;
	if (s->changes_ok < 0)
		PUT_LIT(o, "null");
	else if (s->changes_ok)
		PUT_LIT(o, "true");
	else
		PUT_LIT(o, "false");
	at.check_end = o->len;
	put_span(o, b, bs->check_end, bs->allowed_at);
	at.changes_at = at.check_end + (bs->changes_at - bs->check_end);
	if (nb == NULL)
		return put_changes(o, b, bs, s, NULL);
	/* a level among the three stays one of them; a valid base signature (the merge's
	   condition) keeps no reasons and gets a valid verdict */
	at.ltv_level = bs->ltv_level;
	at.valid = 1;
	memcpy(at.br, bs->br, sizeof(at.br));
	*nb = at;
	return put_changes(o, b, bs, s, nb);
}

/*
 * A base signature the engine verified again (a new DSS brought its
 * revocation evidence): the engine's report of it, whose verdict and
 * changes check prior_json keeps, with the base's changes before its own.
 */
static void
put_reverified(struct out *o, const struct verify_report_base *b, const struct base_sig *bs,
	       const struct crypto_sig_report *s)
{
	int bad = 0;
	json_t *v = verify_report_sig_json(s, &bad);
	char *t = NULL;
	size_t n;

	/* "changes" is its last member: the rest, then the merged one */
	if (bad || v == NULL || json_object_del(v, "changes") != 0 ||
	    (t = json_dumps(v, JSON_COMPACT)) == NULL || (n = strlen(t)) < 2) {
		o->bad = 1;
	} else {
		put(o, t, n - 1);
		PUT_LIT(o, ",\"changes\":");
		put_span(o, b, bs->changes_at, bs->allowed_at);
		(void)put_changes(o, b, bs, s, NULL); /* scanned for an index (index_finish) */
	}
	free(t);
	json_decref(v);
}

static int
sig_valid(const struct crypto_sig_report *s)
{
	return (s->verdict == CRYPTO_VERDICT_VALID ||
		s->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES) &&
	       s->nreasons == 0;
}

/* The first base signature over byte range br (base_sig's rule), or -1. */
static long
base_find(const struct verify_report_base *b, const long long br[4])
{
	size_t i;

	for (i = 0; i < b->nsigs; i++)
		if (b->sigs[i].br[0] == br[0] && b->sigs[i].br[1] == br[1] &&
		    b->sigs[i].br[2] == br[2] && b->sigs[i].br[3] == br[3])
			return (long)i;
	return -1;
}

/* the counts' sums overflow a long long: left to jansson (whose sum is its own) */
static int
sums_fit(const struct base_sig *bs, const struct crypto_sig_report *s)
{
	return s->nallowed <= (size_t)LLONG_MAX && s->ndisallowed <= (size_t)LLONG_MAX &&
	       (bs->allowed < 0 || bs->allowed <= LLONG_MAX - (long long)s->nallowed) &&
	       (bs->disallowed < 0 || bs->disallowed <= LLONG_MAX - (long long)s->ndisallowed);
}

static int
jansson_merge(struct verify_report_base *b, const struct crypto_verify_report *rep, size_t max,
	      char **out, size_t *outlen)
{
	parse(b);
	return verify_report_merge_json(b->json, rep, max, out, outlen);
}

/*
 * The index of o's text (the merge's result, len bytes) into k, whose
 * sigs[i] are prior signatures' (put_prior) or, where match[i] says the
 * engine's report rendered it, the span [start, end) it was written to:
 * those are scanned, and the head. 0 when any is not in the shape.
 */
static int
index_finish(struct kept_index *k, const char *text, size_t len, size_t head_end, const long *match,
	     const struct crypto_verify_report *rep)
{
	struct scan s = { text, text + len };
	struct verify_report_base h;
	size_t i, to;

	memset(&h, 0, sizeof(h));
	if (!head_scan(&s, &h) || (size_t)(s.p - text) != head_end)
		return 0;
	for (i = 0; i < rep->nsigs; i++) {
		if (match[i] >= 0 && rep->sigs[i].prior)
			continue;
		to = k->sigs[i].end;
		s.p = text + k->sigs[i].start;
		s.end = text + to;
		if (!sig_scan(&s, text, &k->sigs[i]) || s.p != s.end)
			return 0;
	}
	k->len = len;
	k->size = h.size;
	k->revisions = h.revisions;
	k->last_signed = h.last_signed;
	k->trailing = h.trailing;
	k->nsigs = rep->nsigs;
	return 1;
}

int
verify_report_base_merge(struct verify_report_base *b, const struct crypto_verify_report *rep,
			 size_t max, char **out, size_t *outlen, void **index, size_t *index_len)
{
	struct out o;
	struct kept_index *k = NULL;
	long *match = NULL;
	size_t i, nprior = 0, head_end, start;
	int r = SP_OK, bad = 0, indexed = index != NULL;

	*out = NULL;
	*outlen = 0;
	if (index != NULL) {
		*index = NULL;
		*index_len = 0;
	}
	memset(&o, 0, sizeof(o));
	if (b == NULL)
		return SP_OK;
	if (!b->indexed)
		return jansson_merge(b, rep, max, out, outlen);
	/* verify_report_merge_json's conditions, in its order: else no report (SP_OK) */
	if (!b->last_signed || b->trailing || b->revisions >= (long long)rep->nrevisions)
		return SP_OK;
	for (i = 0; i < b->nsigs; i++)
		if (!b->sigs[i].valid)
			return SP_OK;
	if (rep->nsigs > 0 && (match = calloc(rep->nsigs, sizeof(*match))) == NULL)
		return SP_ERR_NOMEM;
	for (i = 0; i < rep->nsigs; i++) {
		if (!sig_valid(&rep->sigs[i]))
			goto out;
		match[i] = base_find(b, rep->sigs[i].byte_range);
		if (match[i] < 0 && !rep->sigs[i].prior)
			continue; /* a new signature: the engine's report is whole */
		if (match[i] < 0)
			goto out;
		if (!sums_fit(&b->sigs[match[i]], &rep->sigs[i])) {
			free(match);
			return jansson_merge(b, rep, max, out, outlen);
		}
		nprior++;
	}
	if (nprior != b->nsigs)
		goto out;
	/* the result's index, made as it is written (none when it cannot be had) */
	if (indexed && (k = calloc(1, sizeof(*k) + rep->nsigs * sizeof(k->sigs[0]))) == NULL)
		indexed = 0;
	/* about the base's size and the new signature's: one allocation, usually */
	o.cap = b->len + 16384;
	if ((o.buf = malloc(o.cap)) == NULL) {
		free(match);
		free(k);
		return SP_ERR_NOMEM;
	}
	/* the head as the engine's report has it, then the signatures in its order */
	put_json(&o, verify_report_head_json(rep, &bad), bad);
	if (!o.bad && o.len > 0)
		o.len--; /* its closing brace */
	PUT_LIT(&o, ",\"signatures\":[");
	head_end = o.len;
	for (i = 0; i < rep->nsigs; i++) {
		if (i > 0)
			PUT_LIT(&o, ",");
		start = o.len;
		if (match[i] < 0) {
			bad = 0;
			put_json(&o, verify_report_sig_json(&rep->sigs[i], &bad), bad);
		} else if (rep->sigs[i].prior) {
			if (!put_prior(&o, b, &b->sigs[match[i]], &rep->sigs[i],
				       indexed ? &k->sigs[i] : NULL))
				indexed = 0;
			continue;
		} else
			put_reverified(&o, b, &b->sigs[match[i]], &rep->sigs[i]);
		/* scanned when the text is whole (index_finish) */
		if (indexed) {
			k->sigs[i].start = start;
			k->sigs[i].end = o.len;
		}
	}
	PUT_LIT(&o, "]}");
	put(&o, "", 1); /* the NUL */
	if (o.bad) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	if (o.len - 1 > max) {
		r = SP_ERR_TOO_LARGE;
		goto out;
	}
	if (indexed && index_finish(k, o.buf, o.len - 1, head_end, match, rep)) {
		*index = k;
		*index_len = sizeof(*k) + rep->nsigs * sizeof(k->sigs[0]);
		k = NULL; /* transferred */
	}
	*outlen = o.len - 1;
	*out = o.buf;
	o.buf = NULL; /* transferred */
out:
	free(o.buf);
	free(match);
	free(k);
	return r;
}

/* field by field: a struct's padding is no part of what the scan found */
static int
sig_same(const struct base_sig *a, const struct base_sig *b)
{
	return a->start == b->start && a->end == b->end && a->br[0] == b->br[0] &&
	       a->br[1] == b->br[1] && a->br[2] == b->br[2] && a->br[3] == b->br[3] &&
	       a->valid == b->valid && a->allowed_changes == b->allowed_changes &&
	       a->ltv_level == b->ltv_level && a->level_at == b->level_at &&
	       a->level_end == b->level_end && a->verdict_at == b->verdict_at &&
	       a->verdict_end == b->verdict_end && a->check_at == b->check_at &&
	       a->check_end == b->check_end && a->changes_at == b->changes_at &&
	       a->allowed_at == b->allowed_at && a->allowed_end == b->allowed_end &&
	       a->disallowed_at == b->disallowed_at && a->disallowed_end == b->disallowed_end &&
	       a->allowed == b->allowed && a->disallowed == b->disallowed &&
	       a->objs_end == b->objs_end && a->nobjs == b->nobjs;
}

int
verify_report_index_matches(const char *text, const void *index, size_t index_len)
{
	const struct kept_index *k = index;
	struct verify_report_base *b = NULL;
	size_t i;
	int same;

	if (text == NULL || k == NULL || index_len < sizeof(*k) ||
	    index_len != sizeof(*k) + k->nsigs * sizeof(k->sigs[0]) ||
	    verify_report_base_open(text, &b) != SP_OK)
		return 0;
	same = b->indexed && k->len == b->len && k->size == b->size &&
	       k->revisions == b->revisions && k->last_signed == b->last_signed &&
	       k->trailing == b->trailing && k->nsigs == b->nsigs;
	for (i = 0; same && i < k->nsigs; i++)
		same = sig_same(&k->sigs[i], &b->sigs[i]);
	verify_report_base_free(b);
	return same;
}
