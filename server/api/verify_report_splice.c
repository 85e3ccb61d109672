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
 * in the shape: verify_report_scan.c), and the merge copies it with those
 * few values replaced.
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

/* ---- the merge -------------------------------------------------------------------------- */

/* A listed change as put_change() wrote it into the output: the text at [at, at + len),
   and whether verify_report_scan_change() read it back whole. */
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
	return verify_report_scan_integer(&s, &x) && x == v && s.p == s.end;
}

/* o's text from at on is one listed change as verify_report_scan_change() reads it, whole */
static int
wrote_change(const struct out *o, size_t at)
{
	struct scan s;

	if (o->bad)
		return 0;
	s.p = o->buf + at;
	s.end = o->buf + o->len;
	return verify_report_scan_change(&s) && s.p == s.end;
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
 * offsets in o and its values as verify_report_scan_sig() would find them there; 0 when
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
	/* B-LT or B-LTA stays one of them while the /VRI entry is there (prior_json); a
	   valid base signature (the merge's condition) keeps no reasons and gets a valid
	   verdict */
	at.ltv_level = bs->ltv_level && s->ltv_dss;
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
	verify_report_base_parse(b);
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
	if (!verify_report_scan_head(&s, &h) || (size_t)(s.p - text) != head_end)
		return 0;
	for (i = 0; i < rep->nsigs; i++) {
		if (match[i] >= 0 && rep->sigs[i].prior)
			continue;
		to = k->sigs[i].end;
		s.p = text + k->sigs[i].start;
		s.end = text + to;
		if (!verify_report_scan_sig(&s, text, &k->sigs[i]) || s.p != s.end)
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
