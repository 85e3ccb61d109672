/*
 * authn.c: auth_then() and auth_actor() (api/authn.h) and the small helpers
 * the identity routes share: bearer parsing, token generation and hashing.
 *
 * A credential is looked up by the SHA-256 of its exact string, so the
 * comparison happens inside a unique index and no constant-time compare is
 * needed here. One database round trip per authenticated request.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "auth_int.h"
#include "crypto.h"
#include "db.h"
#include "http_int.h"

static int
is_b64url(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

int
auth_bearer_parse(const char *header, char *out)
{
	size_t n = 0;

	out[0] = '\0';
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return SP_ERR_UNAUTHORIZED;
	header += 7;
	while (*header == ' ')
		header++;
	while (n <= AUTH_BEARER_MAX && header[n] != '\0') {
		if (!is_b64url((unsigned char)header[n]))
			return SP_ERR_UNAUTHORIZED;
		n++;
	}
	if (n == 0 || n > AUTH_BEARER_MAX)
		return SP_ERR_UNAUTHORIZED;
	memcpy(out, header, n);
	out[n] = '\0';
	return SP_OK;
}

int
auth_token_hash(const char *s, char out[65])
{
	uint8_t md[CRYPTO_DIGEST_MAX];
	size_t mdlen = 0;
	struct sp_errinfo ei;

	out[0] = '\0';
	sp_errinfo_init(&ei);
	if (crypto_digest(CRYPTO_DIGEST_SHA256, s, strlen(s), md, &mdlen, &ei) != SP_OK ||
	    mdlen != 32)
		return SP_ERR_CRYPTO;
	sp_hex(md, 32, out);
	return SP_OK;
}

int
auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char raw[AUTH_TOKEN_BYTES];

	out[0] = '\0';
	if (RAND_bytes(raw, AUTH_TOKEN_BYTES) != 1)
		return SP_ERR_CRYPTO;
	sp_b64_encode_to(raw, sizeof(raw), SP_B64_URL, out);
	sp_wipe(raw, sizeof(raw));
	return SP_OK;
}

int
auth_cert_check(struct crypto_trust *t, X509 *leaf, STACK_OF(X509) * extra,
		struct crypto_cert_result *res, struct sp_errinfo *ei)
{
	struct sp_errinfo e2;
	int r;

	sp_errinfo_init(&e2);
	if ((r = crypto_cert_check(t, leaf, extra, 0, res, &e2)) != SP_OK &&
	    strcmp(e2.reason, CRYPTO_REASON_REVOCATION_UNKNOWN) == 0) {
		log_event(LOG_WARN, NULL, "revocation status unknown", "{s:s}", "detail", e2.msg);
		snprintf(e2.msg, sizeof(e2.msg), "%s",
			 "the certificate's revocation status cannot be checked right now; "
			 "retry later");
	}
	if (r != SP_OK && ei != NULL && ei->code == SP_OK)
		*ei = e2;
	return r;
}

void
auth_reply_unauthorized(struct request *r, const char *detail)
{
	request_header_add(r, "WWW-Authenticate", "Bearer realm=\"sealpact\"");
	request_problem(r, P_UNAUTHORIZED, detail);
}

/* ---- auth_actor, auth_then ---------------------------------------------------- */

void
auth_actor(const struct request *r, const struct principal *who, struct db_actor *out)
{
	memset(out, 0, sizeof(*out));
	if (who != NULL) {
		out->org_id = who->organization_id;
		out->user_id = who->user_id;
	}
	out->ip = request_remote(r);
	out->user_agent = request_header(r, "User-Agent");
}

struct auth_wait {
	struct request *r;
	auth_next_fn next;
	unsigned kinds;
};

void
auth_principal_fill(const struct db_credential *c, struct principal *who)
{
	memset(who, 0, sizeof(*who));
	who->kind = c->kind == DB_CREDENTIAL_MEMBER    ? PRINCIPAL_MEMBER
		    : c->kind == DB_CREDENTIAL_API_KEY ? PRINCIPAL_API_KEY
						       : PRINCIPAL_REVIEWER;
	who->credential_id = c->credential_id;
	who->user_id = c->user_id;
	who->organization_id = c->organization_id;
	who->certificate_id = c->certificate_id;
	memcpy(who->credit_code, c->credit_code, sizeof(who->credit_code));
}

static const char unknown_credential[] = "The credential is unknown, expired or revoked.";
static const char wrong_kind[] = "This credential may not use this operation.";

static void
on_lookup(void *arg, const struct db_credential *c, const struct sp_errinfo *err)
{
	struct auth_wait *w = arg;
	struct request *r = w->r;
	auth_next_fn next = w->next;
	unsigned kinds = w->kinds;
	struct principal who;

	free(w);
	if (err->code == SP_ERR_NOT_FOUND) {
		auth_reply_unauthorized(r, unknown_credential);
		return;
	}
	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	auth_principal_fill(c, &who);
	request_caller_set(r, who.organization_id, who.user_id);
	if (((unsigned)who.kind & kinds) == 0) {
		request_problem(r, P_FORBIDDEN, wrong_kind);
		return;
	}
	next(r, &who);
}

int
auth_member_hash(const struct request *r, char hash[65])
{
	char tok[AUTH_BEARER_MAX + 1];
	int rc;

	hash[0] = '\0';
	if (auth_bearer_parse(request_header(r, "Authorization"), tok) != SP_OK)
		return SP_ERR_UNAUTHORIZED;
	if (strncmp(tok, AUTH_APIKEY_PREFIX, strlen(AUTH_APIKEY_PREFIX)) == 0) {
		sp_wipe(tok, sizeof(tok));
		return SP_ERR_UNAUTHORIZED;
	}
	rc = auth_token_hash(tok, hash);
	sp_wipe(tok, sizeof(tok));
	return rc == SP_OK ? SP_OK : SP_ERR_UNAUTHORIZED;
}

/*
 * SA020 comes back as SP_ERR_UNAUTHORIZED "unauthorized" (no step of the
 * signing statements raises that otherwise) and needs the WWW-Authenticate
 * header; SA021 is SP_ERR_FORBIDDEN "forbidden" with wrong_kind as its
 * detail (db/errors.c), which request_reply_error() answers exactly as
 * on_lookup() does.
 */
int
auth_reply_credential(struct request *r, const struct sp_errinfo *err)
{
	if (err->code == SP_ERR_UNAUTHORIZED && strcmp(err->reason, "unauthorized") == 0) {
		auth_reply_unauthorized(r, unknown_credential);
		return 1;
	}
	return 0;
}

void
auth_then(struct request *r, unsigned kinds, auth_next_fn next)
{
	char tok[AUTH_BEARER_MAX + 1], hash[65];
	struct auth_wait *w;
	int api, rc;

	if (auth_bearer_parse(request_header(r, "Authorization"), tok) != SP_OK) {
		auth_reply_unauthorized(r, "A bearer credential is required.");
		return;
	}
	api = strncmp(tok, AUTH_APIKEY_PREFIX, strlen(AUTH_APIKEY_PREFIX)) == 0;
	rc = auth_token_hash(tok, hash);
	sp_wipe(tok, sizeof(tok));
	if (rc != SP_OK) {
		request_problem(r, P_INTERNAL, NULL);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	w->r = r;
	w->next = next;
	w->kinds = kinds;
	if ((rc = db_auth_credential_lookup(request_db(r), hash, api, on_lookup, w)) != SP_OK) {
		free(w);
		request_reply_error(r, rc, NULL);
	}
}
