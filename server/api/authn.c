/*
 * authn.c: auth_then() (api/authn.h) and the small helpers the identity
 * routes share: bearer parsing, token generation and hashing.
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

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth_int.h"
#include "db.h"

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
	while (header[n] != '\0' && n <= AUTH_BEARER_MAX) {
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
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
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

void
auth_reply_unauthorized(struct request *r, const char *detail)
{
	request_header_add(r, "WWW-Authenticate", "Bearer realm=\"sealpact\"");
	request_problem(r, P_UNAUTHORIZED, detail);
}

/* ---- auth_then ------------------------------------------------------------ */

struct auth_wait {
	struct request *r;
	auth_next_fn next;
	unsigned kinds;
};

#define LOOKUP_SQL \
	"SELECT kind, credential_id, user_id, organization_id, certificate_id, credit_code " \
	"FROM auth_credential_lookup($1, $2)"

static int64_t
col_i64(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? 0 : strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

static void
on_lookup(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct auth_wait *w = arg;
	struct request *r = w->r;
	auth_next_fn next = w->next;
	unsigned kinds = w->kinds;
	struct principal who;
	const char *kind;

	free(w);
	if (err->code != SP_OK || res == NULL) {
		request_problem(r, P_DATABASE_UNAVAILABLE,
				      "The credential cannot be checked right now.");
		return;
	}
	if (PQntuples(res) != 1) {
		auth_reply_unauthorized(r, "The credential is unknown, expired or revoked.");
		return;
	}
	memset(&who, 0, sizeof(who));
	kind = PQgetvalue(res, 0, 0);
	if (strcmp(kind, "member") == 0)
		who.kind = PRINCIPAL_MEMBER;
	else if (strcmp(kind, "api_key") == 0)
		who.kind = PRINCIPAL_API_KEY;
	else if (strcmp(kind, "reviewer") == 0)
		who.kind = PRINCIPAL_REVIEWER;
	else {
		request_problem(r, P_INTERNAL, NULL);
		return;
	}
	who.credential_id = col_i64(res, 1);
	who.user_id = col_i64(res, 2);
	who.organization_id = col_i64(res, 3);
	who.certificate_id = col_i64(res, 4);
	if (!PQgetisnull(res, 0, 5))
		snprintf(who.credit_code, sizeof(who.credit_code), "%s", PQgetvalue(res, 0, 5));
	if (((unsigned)who.kind & kinds) == 0) {
		request_problem(r, P_FORBIDDEN,
				      "This credential may not use this operation.");
		return;
	}
	next(r, &who);
}

void
auth_then(struct request *r, unsigned kinds, auth_next_fn next)
{
	char tok[AUTH_BEARER_MAX + 1], hash[65];
	struct db_param p[2];
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
	memset(p, 0, sizeof(p));
	p[0].value = hash;
	p[1].value = api ? "true" : "false";
	rc = db_query_send(request_db(r), LOOKUP_SQL, 2, p, 0, 0, on_lookup, w);
	if (rc != SP_OK) {
		free(w);
		request_problem(r, P_DATABASE_UNAVAILABLE,
				      "The credential cannot be checked right now.");
	}
}
