/*
 * verify_report_scan.c: the stored report as completion's merge reads it
 * (verify_report_splice.c): the text scanned once, strictly, against the
 * exact shape verify_report.c writes (every member in its order, compact,
 * integers and strings as jansson writes them: a text jansson would read
 * and write back differently is not in the shape), into the offsets of
 * what a merge replaces (verify_report_int.h, struct base_sig); or the
 * index a merge made of its result, kept with the text, taken for that
 * scan. A text not in the shape is parsed by jansson instead.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify_report.h"
#include "verify_report_int.h"

/* ---- the scan: the exact shape, or nothing ---------------------------------------------- */

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
int
verify_report_scan_integer(struct scan *s, long long *v)
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
int
verify_report_scan_change(struct scan *s)
{
	long long x;
	int b;

	return LIT(s, "{\"revision\":") && verify_report_scan_integer(s, &x) &&
	       LIT(s, ",\"object\":") && verify_report_scan_integer(s, &x) &&
	       LIT(s, ",\"generation\":") && verify_report_scan_integer(s, &x) &&
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
int
verify_report_scan_sig(struct scan *s, const char *text, struct base_sig *b)
{
	long long x;
	size_t nreasons = 0;
	int v, i;

#define AT() ((size_t)(s->p - text))
	memset(b, 0, sizeof(*b));
	b->start = AT();
	if (!LIT(s, "{\"field\":") || !str(s) || !LIT(s, ",\"object\":") ||
	    !verify_report_scan_integer(s, &x) || !LIT(s, ",\"subfilter\":") || !str(s) ||
	    !LIT(s, ",\"doc_timestamp\":") || !boolean(s, &v) || !LIT(s, ",\"level\":"))
		return 0;
	b->level_at = AT();
	if (!str_or_null(s))
		return 0;
	b->level_end = AT();
	b->ltv_level = SPAN_IS(text, b->level_at, s, "\"pades_b_lt\"") ||
		       SPAN_IS(text, b->level_at, s, "\"pades_b_lta\"");
	if (!LIT(s, ",\"revocation_embedded\":") || !boolean(s, &v) ||
	    !LIT(s, ",\"certifying\":") || !verify_report_scan_integer(s, &x) ||
	    !LIT(s, ",\"verdict\":"))
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
		if ((i > 0 && !LIT(s, ",")) || !verify_report_scan_integer(s, &b->br[i]))
			return 0;
	if (!LIT(s, "],\"revision\":") || !verify_report_scan_integer(s, &x) ||
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
	if (!verify_report_scan_integer(s, &b->allowed))
		return 0;
	b->allowed_end = AT();
	if (!LIT(s, ",\"disallowed\":"))
		return 0;
	b->disallowed_at = AT();
	if (!verify_report_scan_integer(s, &b->disallowed))
		return 0;
	b->disallowed_end = AT();
	if (!LIT(s, ",\"objects\":["))
		return 0;
	if (!(s->p < s->end && *s->p == ']')) {
		do {
			if (!verify_report_scan_change(s))
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
int
verify_report_scan_head(struct scan *s, struct verify_report_base *b)
{
	return LIT(s, "{\"verdict\":") && str(s) && LIT(s, ",\"size\":") &&
	       verify_report_scan_integer(s, &b->size) && LIT(s, ",\"revisions\":") &&
	       verify_report_scan_integer(s, &b->revisions) &&
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

	if (!verify_report_scan_head(&s, b))
		return 0;
	if (!(s.p < s.end && *s.p == ']')) {
		do {
			if (b->nsigs == cap) {
				cap = cap ? 2 * cap : 32;
				if ((more = realloc(b->sigs, cap * sizeof(*more))) == NULL)
					return 0; /* parsed instead: jansson says what no memory means */
				b->sigs = more;
			}
			if (!verify_report_scan_sig(&s, b->text, &b->sigs[b->nsigs]))
				return 0;
			b->nsigs++;
		} while (LIT(&s, ","));
	}
	return LIT(&s, "]}") && s.p == s.end;
}

/* ---- the base --------------------------------------------------------------------------- */

void
verify_report_base_parse(struct verify_report_base *b)
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
		verify_report_base_parse(b);
	}
	*out = b;
	return SP_OK;
}

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
