/*
 * verify_report.c: the verification report as JSON with jansson (the
 * document is described in verify_report.h). Pure: no server state, so the
 * CLI links the same code.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verify_report.h"
#include "verify_report_int.h"

size_t
verify_report_utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string of s; bytes that are not UTF-8 become U+FFFD. */
static json_t *
text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k, o = 0;
	json_t *v;
	char *fixed;

	if ((v = json_stringn(s, n)) != NULL)
		return v; /* the usual case: already valid */
	/* each bad byte grows to the 3 bytes of U+FFFD at most */
	if (n > SIZE_MAX / 3 || (fixed = malloc(3 * n + 1)) == NULL)
		return NULL;
	while (i < n) {
		if ((k = verify_report_utf8_seq(p + i, n - i)) == 0) {
			/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): U+FFFD in the middle of fixed */
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(fixed + o, p + i, k);
			o += k;
			i += k;
		}
	}
	v = json_stringn(fixed, o);
	free(fixed);
	return v;
}

static json_t *
rfc3339(time_t t)
{
	struct tm tm;
	char s[32];

	if (t <= 0 || !gmtime_r(&t, &tm) || !strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(s);
}

/* A check's outcome: true, false, or null when it was not reached (< 0). */
static json_t *
tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

/*
 * json_object_set_new() and json_array_append_new() take the value even when
 * they fail, and fail on a NULL container or value (out of memory), so one
 * flag catches every allocation that failed along the way.
 */
static void
set(json_t *o, const char *k, json_t *v, int *bad)
{
	if (json_object_set_new(o, k, v) != 0)
		*bad = 1;
}

static void
push(json_t *a, json_t *v, int *bad)
{
	if (json_array_append_new(a, v) != 0)
		*bad = 1;
}

static json_t *
signer_json(const struct crypto_cert_info *c, int *bad)
{
	json_t *o = json_object();

	set(o, "subject", text(c->subject), bad);
	set(o, "issuer", text(c->issuer), bad);
	set(o, "serial", text(c->serial_hex), bad);
	set(o, "sha256", text(c->sha256_hex), bad);
	set(o, "not_before", rfc3339(c->not_before), bad);
	set(o, "not_after", rfc3339(c->not_after), bad);
	return o;
}

json_t *
verify_report_change_json(const struct crypto_change *ch, int *bad)
{
	json_t *c = json_object();

	set(c, "revision", json_integer((json_int_t)ch->revision), bad);
	set(c, "object", json_integer(ch->obj), bad);
	set(c, "generation", json_integer(ch->gen), bad);
	set(c, "allowed", json_boolean(ch->allowed), bad);
	set(c, "what", text(ch->what), bad);
	return c;
}

static json_t *
changes_json(const struct crypto_sig_report *s, int *bad)
{
	json_t *o = json_object(), *objs = json_array();
	size_t i;

	set(o, "allowed", json_integer((json_int_t)s->nallowed), bad);
	set(o, "disallowed", json_integer((json_int_t)s->ndisallowed), bad);
	for (i = 0; i < s->nchanges; i++)
		push(objs, verify_report_change_json(&s->changes[i], bad), bad);
	set(o, "objects", objs, bad);
	return o;
}

json_t *
verify_report_sig_json(const struct crypto_sig_report *s, int *bad)
{
	json_t *o = json_object(), *a, *checks, *ts;
	size_t i;

	set(o, "field", text(s->field), bad);
	set(o, "object", json_integer(s->sig_obj), bad);
	set(o, "subfilter", text(s->subfilter[0] == '/' ? s->subfilter + 1 : s->subfilter), bad);
	set(o, "doc_timestamp", json_boolean(s->doc_timestamp), bad);
	set(o, "level", s->level[0] ? text(s->level) : json_null(), bad);
	set(o, "revocation_embedded", json_boolean(s->rev_dss), bad);
	set(o, "certifying", json_integer(s->certifying), bad);
	set(o, "verdict", json_string(crypto_verdict_name(s->verdict)), bad);
	a = json_array();
	for (i = 0; i < s->nreasons; i++)
		push(a, text(s->reasons[i]), bad);
	set(o, "reasons", a, bad);
	set(o, "message", text(s->message), bad);
	a = json_array();
	for (i = 0; i < 4; i++)
		push(a, json_integer(s->byte_range[i]), bad);
	set(o, "byte_range", a, bad);
	set(o, "revision", json_integer((json_int_t)s->revision), bad);
	checks = json_object();
	set(checks, "structure", tri(s->structure_ok), bad);
	set(checks, "digest", tri(s->digest_ok), bad);
	set(checks, "signature", tri(s->signature_ok), bad);
	set(checks, "chain", tri(s->chain_ok), bad);
	set(checks, "timestamp", tri(s->timestamp_ok), bad);
	set(checks, "changes", tri(s->changes_ok), bad);
	set(o, "checks", checks, bad);
	set(o, "digest_algorithm", text(s->digest_alg), bad);
	set(o, "signature_algorithm", text(s->sig_alg), bad);
	set(o, "signer", s->has_signer ? signer_json(&s->signer, bad) : json_null(), bad);
	ts = json_null();
	if (s->has_timestamp) {
		ts = json_object();
		set(ts, "time", rfc3339(s->ts_time), bad);
		set(ts, "tsa", text(s->tsa), bad);
	}
	set(o, "timestamp", ts, bad);
	set(o, "checked_at", rfc3339(s->checked_at), bad);
	set(o, "changes", changes_json(s, bad), bad);
	return o;
}

json_t *
verify_report_head_json(const struct crypto_verify_report *rep, int *bad)
{
	json_t *o = json_object();

	set(o, "verdict",
	    json_string(rep->nsigs ? crypto_verdict_name(rep->verdict) : "no_signature"), bad);
	set(o, "size", json_integer((json_int_t)rep->size), bad);
	set(o, "revisions", json_integer((json_int_t)rep->nrevisions), bad);
	set(o, "last_revision_signed", json_boolean(rep->last_revision_signed), bad);
	set(o, "trailing_data", json_boolean(rep->trailing_data), bad);
	set(o, "reason", rep->reason[0] ? text(rep->reason) : json_null(), bad);
	set(o, "message", text(rep->nsigs ? rep->message : "no verifiable signature"), bad);
	return o;
}

json_t *
verify_report_json(const struct crypto_verify_report *rep)
{
	int bad = 0;
	json_t *o = verify_report_head_json(rep, &bad), *sigs = json_array();
	size_t i;

	for (i = 0; i < rep->nsigs; i++)
		push(sigs, verify_report_sig_json(&rep->sigs[i], &bad), &bad);
	set(o, "signatures", sigs, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
verify_report_text(const struct crypto_verify_report *rep, size_t max, char **out, size_t *outlen)
{
	json_t *doc = NULL;
	char *s = NULL;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((doc = verify_report_json(rep)) == NULL ||
	    (s = json_dumps(doc, JSON_COMPACT)) == NULL) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	if (strlen(s) > max) {
		r = SP_ERR_TOO_LARGE;
		goto out;
	}
	*outlen = strlen(s);
	*out = s;
	s = NULL; /* transferred */
	r = SP_OK;
out:
	free(s);
	json_decref(doc);
	return r;
}

/* "valid" or "valid_with_allowed_changes" with no reason given: nothing to merge but changes. */
static int
json_sig_valid(json_t *sig)
{
	const char *v = json_string_value(json_object_get(sig, "verdict"));

	return v != NULL && (!strcmp(v, "valid") || !strcmp(v, "valid_with_allowed_changes")) &&
	       json_array_size(json_object_get(sig, "reasons")) == 0;
}

static int
sig_valid(const struct crypto_sig_report *s)
{
	return (s->verdict == CRYPTO_VERDICT_VALID ||
		s->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES) &&
	       s->nreasons == 0;
}

/* The base's report of the signature with byte range br, or NULL. */
static json_t *
base_sig(json_t *sigs, const long long br[4])
{
	json_t *sig, *a;
	size_t i, k;

	json_array_foreach(sigs, i, sig)
	{
		a = json_object_get(sig, "byte_range");
		if (json_array_size(a) != 4)
			continue;
		for (k = 0; k < 4 && json_integer_value(json_array_get(a, k)) == br[k]; k++)
			;
		if (k == 4)
			return sig;
	}
	return NULL;
}

/*
 * A prior signature: base's report of it with the new revisions' changes
 * added and its level as the new revisions make it (a DSS with its /VRI
 * entry: B-LT; a document timestamp over that: B-LTA). reverified: s was
 * verified again (new revocation evidence): s's report with base's changes
 * before its own.
 *
 * A prior signature's /VRI entry was there when base was verified (else it
 * is verified again), and base's level says what the entry answered: at
 * B-T (another tool's entry without the revocation data, say) it stays B-T,
 * where the entry alone would have made it B-LT.
 */
static json_t *
prior_json(json_t *b, const struct crypto_sig_report *s, json_t *reverified, int *bad)
{
	json_t *o = json_deep_copy(reverified ? reverified : b), *ch, *objs, *fresh;
	const char *lv;
	size_t i;
	int allowed_changes;

	if (o == NULL) {
		*bad = 1;
		return NULL;
	}
	if (reverified) {
		/* the changes as base has them; the engine's (the new revisions') follow */
		if (json_object_set(o, "changes", json_object_get(b, "changes")) != 0)
			*bad = 1;
	} else if ((lv = json_string_value(json_object_get(o, "level"))) != NULL &&
		   (!strcmp(lv, "pades_b_lt") || !strcmp(lv, "pades_b_lta"))) {
		/* the engine's rule (ltv_levels) over its B-T level and the evidence now */
		set(o, "level",
		    json_string(!s->ltv_dss       ? "pades_b_t"
				: s->ltv_archived ? "pades_b_lta"
						  : "pades_b_lt"),
		    bad);
	}
	if ((ch = json_object_get(o, "changes")) != NULL && json_is_object(ch) &&
	    (ch = json_deep_copy(ch)) != NULL && json_object_set_new(o, "changes", ch) != 0)
		*bad = 1;
	allowed_changes = s->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES ||
			  !strcmp(json_string_value(json_object_get(o, "verdict")),
				  "valid_with_allowed_changes");
	set(o, "verdict",
	    json_string(crypto_verdict_name(allowed_changes ? CRYPTO_VERDICT_VALID_ALLOWED_CHANGES
							    : CRYPTO_VERDICT_VALID)),
	    bad);
	set(json_object_get(o, "checks"), "changes", tri(s->changes_ok), bad);
	ch = json_object_get(o, "changes");
	objs = json_object_get(ch, "objects");
	if (!json_is_object(ch) || !json_is_array(objs)) {
		*bad = 1;
		return o;
	}
	set(ch, "allowed",
	    json_integer(json_integer_value(json_object_get(ch, "allowed")) +
			 (json_int_t)s->nallowed),
	    bad);
	set(ch, "disallowed",
	    json_integer(json_integer_value(json_object_get(ch, "disallowed")) +
			 (json_int_t)s->ndisallowed),
	    bad);
	/* the engine lists the first CRYPTO_VERIFY_CHANGES_MAX in revision order */
	if ((fresh = changes_json(s, bad)) != NULL) {
		for (i = 0; i < json_array_size(json_object_get(fresh, "objects")) &&
			    json_array_size(objs) < CRYPTO_VERIFY_CHANGES_MAX;
		     i++)
			if (json_array_append(objs,
					      json_array_get(json_object_get(fresh, "objects"),
							     i)) != 0)
				*bad = 1;
	}
	json_decref(fresh);
	return o;
}

int
verify_report_merge(const char *base, const struct crypto_verify_report *rep, size_t max,
		    char **out, size_t *outlen)
{
	struct verify_report_base *b = NULL;
	int r;

	*out = NULL;
	*outlen = 0;
	if ((r = verify_report_base_open(base, &b)) != SP_OK)
		return r;
	r = verify_report_base_merge(b, rep, max, out, outlen, NULL, NULL);
	verify_report_base_free(b);
	return r;
}

int
verify_report_merge_json(json_t *b, const struct crypto_verify_report *rep, size_t max, char **out,
			 size_t *outlen)
{
	json_t *doc = NULL, *sigs, *bs, *bsig;
	char *s = NULL;
	size_t i, nprior = 0;
	int r = SP_ERR_INTERNAL, bad = 0;

	*out = NULL;
	*outlen = 0;
	if (b == NULL || !json_is_object(b) ||
	    json_is_true(json_object_get(b, "last_revision_signed")) == 0 ||
	    json_is_true(json_object_get(b, "trailing_data")) ||
	    json_integer_value(json_object_get(b, "revisions")) >= (json_int_t)rep->nrevisions ||
	    !json_is_array(bs = json_object_get(b, "signatures"))) {
		r = SP_OK; /* not a base to build on: none */
		goto out;
	}
	for (i = 0; i < json_array_size(bs); i++)
		if (!json_sig_valid(json_array_get(bs, i))) {
			r = SP_OK;
			goto out;
		}
	if ((doc = verify_report_json(rep)) == NULL) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	sigs = json_object_get(doc, "signatures");
	for (i = 0; i < rep->nsigs; i++) {
		if (!sig_valid(&rep->sigs[i])) {
			r = SP_OK;
			goto out;
		}
		bsig = base_sig(bs, rep->sigs[i].byte_range);
		if (!rep->sigs[i].prior && bsig == NULL)
			continue; /* a new signature: the engine's report is whole */
		if (bsig == NULL) {
			r = SP_OK;
			goto out;
		}
		nprior++;
		/* verified again (new revocation evidence): the engine's report, base's changes */
		if (json_array_set_new(sigs, i,
				       prior_json(bsig, &rep->sigs[i],
						  rep->sigs[i].prior ? NULL
								     : json_array_get(sigs, i),
						  &bad)) != 0)
			bad = 1;
	}
	if (nprior != json_array_size(bs)) {
		r = SP_OK;
		goto out;
	}
	if (bad || (s = json_dumps(doc, JSON_COMPACT)) == NULL) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	if (strlen(s) > max) {
		r = SP_ERR_TOO_LARGE;
		goto out;
	}
	*outlen = strlen(s);
	*out = s;
	s = NULL; /* transferred */
	r = SP_OK;
out:
	free(s);
	json_decref(doc);
	return r;
}
