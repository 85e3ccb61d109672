/*
 * verify_json.c: the verification report as JSON (the API's body and
 * `sealpact verify --json`), verdict names and the CLI's exit status.
 *
 * {"verdict": "valid"|"valid_with_allowed_changes"|"indeterminate"|"invalid"|
 *             "no_signature",
 *  "size": bytes, "revisions": n, "last_revision_signed": bool,
 *  "trailing_data": bool, "reason": "unsigned_trailing_update"|null, "message": ...,
 *  "signatures": [{"field", "object", "subfilter", "doc_timestamp", "certifying",
 *     "verdict", "reasons": [...], "message", "byte_range": [4], "revision",
 *     "checks": {"structure","digest","signature","chain","timestamp","changes"}
 *               (true, false or null when not reached),
 *     "digest_algorithm", "signature_algorithm",
 *     "signer": {"subject","issuer","serial","sha256","not_before","not_after"}|null,
 *     "timestamp": {"time","tsa"}|null, "checked_at",
 *     "changes": {"allowed": n, "disallowed": n,
 *                 "objects": [{"revision","object","generation","allowed","what"}]}}]}
 * Times are RFC 3339 UTC.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "verify_int.h"

const char *crypto_verdict_name(enum crypto_verdict v)
{
	switch (v) {
	case CRYPTO_VERDICT_VALID:
		return "valid";
	case CRYPTO_VERDICT_VALID_ALLOWED_CHANGES:
		return "valid_with_allowed_changes";
	case CRYPTO_VERDICT_INDETERMINATE:
		return "indeterminate";
	case CRYPTO_VERDICT_INVALID:
		return "invalid";
	}
	return "invalid";
}

int crypto_verify_exit_code(const struct crypto_verify_report *r)
{
	if (!r || r->nsigs == 0)
		return 3;
	switch (r->verdict) {
	case CRYPTO_VERDICT_VALID:
	case CRYPTO_VERDICT_VALID_ALLOWED_CHANGES:
		return r->last_revision_signed ? 0 : 2;
	case CRYPTO_VERDICT_INDETERMINATE:
		return 2;
	default:
		return 1;
	}
}

/* A JSON string: escapes quotes, backslashes and control bytes; other bytes pass. */
static int str(struct sp_buf *b, const char *s)
{
	const unsigned char *p;
	int r = sp_buf_add(b, "\"", 1);

	for (p = (const unsigned char *)s; r == SP_OK && *p; p++) {
		if (*p == '"' || *p == '\\')
			r = sp_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			r = sp_buf_printf(b, "\\u%04x", *p);
		else
			r = sp_buf_add(b, p, 1);
	}
	return r == SP_OK ? sp_buf_add(b, "\"", 1) : r;
}

static int tm3339(struct sp_buf *b, time_t t)
{
	struct tm tm;
	char s[32];

	if (t <= 0 || !gmtime_r(&t, &tm) || !strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return sp_buf_addstr(b, "null");
	return str(b, s);
}

static const char *tri(int v)
{
	return v < 0 ? "null" : v ? "true" : "false";
}

static int sig_json(const struct crypto_sig_report *s, struct sp_buf *b)
{
	size_t i;
	int r = SP_OK;

#define T(x)                                                                                       \
	do {                                                                                       \
		if ((r = (x)) != SP_OK)                                                            \
			return r;                                                                  \
	} while (0)
	T(sp_buf_addstr(b, "{\"field\":"));
	T(str(b, s->field));
	T(sp_buf_printf(b, ",\"object\":%d,\"subfilter\":", s->sig_obj));
	T(str(b, s->subfilter[0] == '/' ? s->subfilter + 1 : s->subfilter));
	T(sp_buf_printf(b, ",\"doc_timestamp\":%s,\"certifying\":%d,\"verdict\":\"%s\",\"reasons\":[",
			s->doc_timestamp ? "true" : "false", s->certifying,
			crypto_verdict_name(s->verdict)));
	for (i = 0; i < s->nreasons; i++) {
		T(sp_buf_addstr(b, i ? "," : ""));
		T(str(b, s->reasons[i]));
	}
	T(sp_buf_addstr(b, "],\"message\":"));
	T(str(b, s->message));
	T(sp_buf_printf(b,
			",\"byte_range\":[%lld,%lld,%lld,%lld],\"revision\":%zu,\"checks\":{"
			"\"structure\":%s,\"digest\":%s,\"signature\":%s,\"chain\":%s,"
			"\"timestamp\":%s,\"changes\":%s},\"digest_algorithm\":",
			s->byte_range[0], s->byte_range[1], s->byte_range[2], s->byte_range[3],
			s->revision, tri(s->structure_ok), tri(s->digest_ok), tri(s->signature_ok),
			tri(s->chain_ok), tri(s->timestamp_ok), tri(s->changes_ok)));
	T(str(b, s->digest_alg));
	T(sp_buf_addstr(b, ",\"signature_algorithm\":"));
	T(str(b, s->sig_alg));
	T(sp_buf_addstr(b, ",\"signer\":"));
	if (s->has_signer) {
		T(sp_buf_addstr(b, "{\"subject\":"));
		T(str(b, s->signer.subject));
		T(sp_buf_addstr(b, ",\"issuer\":"));
		T(str(b, s->signer.issuer));
		T(sp_buf_addstr(b, ",\"serial\":"));
		T(str(b, s->signer.serial_hex));
		T(sp_buf_addstr(b, ",\"sha256\":"));
		T(str(b, s->signer.sha256_hex));
		T(sp_buf_addstr(b, ",\"not_before\":"));
		T(tm3339(b, s->signer.not_before));
		T(sp_buf_addstr(b, ",\"not_after\":"));
		T(tm3339(b, s->signer.not_after));
		T(sp_buf_addstr(b, "}"));
	} else {
		T(sp_buf_addstr(b, "null"));
	}
	T(sp_buf_addstr(b, ",\"timestamp\":"));
	if (s->has_timestamp) {
		T(sp_buf_addstr(b, "{\"time\":"));
		T(tm3339(b, s->ts_time));
		T(sp_buf_addstr(b, ",\"tsa\":"));
		T(str(b, s->tsa));
		T(sp_buf_addstr(b, "}"));
	} else {
		T(sp_buf_addstr(b, "null"));
	}
	T(sp_buf_addstr(b, ",\"checked_at\":"));
	T(tm3339(b, s->checked_at));
	T(sp_buf_printf(b, ",\"changes\":{\"allowed\":%zu,\"disallowed\":%zu,\"objects\":[",
			s->nallowed, s->ndisallowed));
	for (i = 0; i < s->nchanges; i++) {
		T(sp_buf_printf(b,
				"%s{\"revision\":%zu,\"object\":%d,\"generation\":%d,\"allowed\":%s,"
				"\"what\":",
				i ? "," : "", s->changes[i].revision, s->changes[i].obj,
				s->changes[i].gen, s->changes[i].allowed ? "true" : "false"));
		T(str(b, s->changes[i].what));
		T(sp_buf_addstr(b, "}"));
	}
	T(sp_buf_addstr(b, "]}}"));
	return r;
}

int crypto_verify_report_json(const struct crypto_verify_report *rep, struct sp_buf *b)
{
	size_t i;
	int r = SP_OK;

	T(sp_buf_printf(b, "{\"verdict\":\"%s\",\"size\":%zu,\"revisions\":%zu,"
			   "\"last_revision_signed\":%s,\"trailing_data\":%s,\"reason\":",
			rep->nsigs ? crypto_verdict_name(rep->verdict) : "no_signature", rep->size,
			rep->nrevisions, rep->last_revision_signed ? "true" : "false",
			rep->trailing_data ? "true" : "false"));
	if (rep->reason[0])
		T(str(b, rep->reason));
	else
		T(sp_buf_addstr(b, "null"));
	T(sp_buf_addstr(b, ",\"message\":"));
	T(str(b, rep->nsigs ? rep->message : "no verifiable signature"));
	T(sp_buf_addstr(b, ",\"signatures\":["));
	for (i = 0; i < rep->nsigs; i++) {
		T(sp_buf_addstr(b, i ? "," : ""));
		T(sig_json(&rep->sigs[i], b));
	}
	T(sp_buf_addstr(b, "]}"));
	return r;
#undef T
}
