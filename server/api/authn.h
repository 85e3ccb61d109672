/*
 * authn.h: who is calling. Every route that is not public starts with
 * auth_then(), which authenticates the request's bearer credential with one
 * database round trip and hands the principal to the route's next step.
 *
 * Credentials (all random, shown once, stored only as the lowercase hex
 * SHA-256 of the exact token string):
 *   - a session token from POST /api/v1/auth/login (token login) or
 *     POST /api/v1/auth/reviewer-login (reviewer password login);
 *   - an organization API key (its own systems create and send contracts).
 *
 * Threading: loop thread only.
 */
#ifndef SP_SERVER_AUTH_H
#define SP_SERVER_AUTH_H

#include <stdint.h>

#include "server.h"

enum principal_kind {
	PRINCIPAL_MEMBER = 1 << 0,  /* a person of an organization, logged in with a token */
	PRINCIPAL_API_KEY = 1 << 1, /* an organization's system, with an API key */
	PRINCIPAL_REVIEWER = 1 << 2 /* platform staff reviewing seal applications */
};

#define PRINCIPAL_ORG (PRINCIPAL_MEMBER | PRINCIPAL_API_KEY)

struct principal {
	enum principal_kind kind;
	int64_t user_id;         /* members and reviewers; for API keys the key's creator */
	int64_t organization_id; /* 0 for reviewers */
	int64_t credential_id;   /* sessions.id or api_keys.id */
	int64_t certificate_id;  /* members: the certificate they logged in with, else 0 */
	char credit_code[19];    /* the organization's code, "" for reviewers */
};

/*
 * The next step of a route once the caller is known. who is valid only during
 * the call (copy what you keep). The step must answer r exactly once, as any
 * handler.
 */
typedef void (*auth_next_fn)(struct request *r, const struct principal *who);

/*
 * Authenticate r: no or a malformed Authorization header, an unknown,
 * expired or revoked credential -> 401 problem (code "unauthorized", with
 * WWW-Authenticate: Bearer); a valid credential whose kind is not in kinds
 * -> 403 (code "forbidden"); database trouble -> the error's problem (503
 * database_unavailable when it cannot be reached). Otherwise next(r, who)
 * runs on the loop thread. In every case r has been or will be answered by
 * the time the chain ends; the caller returns right after this call.
 */
void auth_then(struct request *r, unsigned kinds, auth_next_fn next);

/*
 * One trip in (issue 14): a route whose first statement authenticates too
 * (db_signing_prepare_load_auth, db_signing_session_claim_auth).
 *
 * auth_member_hash: the hash of r's bearer credential (lowercase hex
 * SHA-256, what the database stores) when it may be a member's session
 * token; SP_ERR_UNAUTHORIZED when there is none, it is malformed, or it is an
 * API key: then the route calls auth_then() instead, which answers as
 * always (API keys are looked up apart: their lookup records their use).
 */
int auth_member_hash(const struct request *r, char hash[65]) SP_WUR;

struct db_credential;
struct sp_errinfo;

/* The principal of a member credential the database checked. */
void auth_principal_fill(const struct db_credential *c, struct principal *who);

/*
 * When err is the credential check of such a statement that failed with an
 * unknown, expired or revoked credential, answer r exactly as auth_then()
 * would (401 with WWW-Authenticate) and return 1; otherwise 0 and r is not
 * answered (a live credential that is not a member's comes back as 403
 * "forbidden" with auth_then()'s detail: request_reply_error() answers it).
 */
int auth_reply_credential(struct request *r, const struct sp_errinfo *err);

struct db_actor;

/*
 * Who acts in r, for a state change's audit event (db.h, struct db_actor):
 * who's organization and user (zeros when who is NULL, e.g. a login), the
 * peer's address and the User-Agent header. The strings are owned by r, so
 * out is used before r is answered (the db/ calls copy them).
 */
void auth_actor(const struct request *r, const struct principal *who, struct db_actor *out);

#endif /* SP_SERVER_AUTH_H */
