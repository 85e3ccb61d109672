/*
 * auth_int.h: private declarations of sealpactd's identity code (api/authn.c,
 * api/auth.c, api/reviewers.c, api/api_keys.c, admin.c),
 * shared with their unit tests. Route modules use authn.h only.
 */
#ifndef SP_SERVER_AUTH_INT_H
#define SP_SERVER_AUTH_INT_H

#include <stddef.h>

#include "authn.h"
#include "crypto.h"

struct config;

/* Session tokens: 32 random bytes, base64url without padding (43 chars). */
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_LEN 43
/* A bearer credential longer than this is refused before any lookup. */
#define AUTH_BEARER_MAX 128
/* API keys: "spk_" + 8-char lowercase prefix + 43-char secret. */
#define AUTH_APIKEY_PREFIX "spk_"
#define AUTH_APIKEY_PREFIX_LEN 8
#define AUTH_APIKEY_LEN (4 + AUTH_APIKEY_PREFIX_LEN + AUTH_TOKEN_LEN)

/*
 * The credential of an Authorization header value: "Bearer" (any case), one
 * or more spaces, then 1..AUTH_BEARER_MAX characters of base64url ("-_" and
 * alphanumerics), nothing after. Copies it into out (AUTH_BEARER_MAX + 1
 * bytes). Returns SP_OK or SP_ERR_UNAUTHORIZED (NULL or malformed). Any thread.
 */
int auth_bearer_parse(const char *header, char *out) SP_WUR;

/* Lowercase hex SHA-256 of the string s (what the database stores). Any thread. */
int auth_token_hash(const char *s, char out[65]) SP_WUR;

/*
 * A new random token (AUTH_TOKEN_LEN base64url characters + NUL) in out.
 * Wipe it with sp_wipe once sent. Any thread.
 */
int auth_token_new(char out[AUTH_TOKEN_LEN + 1]) SP_WUR;

/* Answer r 401 unauthorized with WWW-Authenticate: Bearer (and detail). */
void auth_reply_unauthorized(struct request *r, const char *detail);

/*
 * crypto_cert_check() for a caller of the API (a login, a signature): the
 * same outcome, but when the revocation status is unknown the message, which
 * names the responder's URL and the address it failed to reach (perhaps the
 * operator's internal trust.ocsp_url), is logged and the caller gets a fixed
 * one. Worker threads (it may wait for OCSP).
 */
int auth_cert_check(struct crypto_trust *t, X509 *leaf, STACK_OF(X509) * extra,
		    struct crypto_cert_result *res, struct sp_errinfo *ei) SP_WUR;

/* ---- admin.c: reviewer passwords ---------------------------------------- */

#define AUTH_PASSWORD_MAX 1024

/*
 * Hash password with scrypt (N=2^15, r=8, p=1) and a fresh 16-byte salt into
 * "scrypt$N$r$p$salt$hash" (base64 parts), malloc'd in *out. Any thread; takes
 * ~50 ms and 32 MiB, so the server runs it on the worker pool.
 */
int auth_password_hash(const char *password, char **out, struct sp_errinfo *ei) SP_WUR;

/*
 * Check password against a stored "scrypt$..." string in constant time.
 * Returns SP_OK on a match, SP_ERR_UNAUTHORIZED on a mismatch,
 * SP_ERR_INVALID for a malformed or out-of-bounds stored string. Any thread.
 */
int auth_password_verify(const char *password, const char *stored, struct sp_errinfo *ei) SP_WUR;

/*
 * `sealpactd [-c FILE] admin ARGS...`: argv[0] is "admin". Returns the
 * process exit status (0, 64 usage, 78 configuration, 1 failure). Main thread.
 */
int admin_main(const struct config *cfg, int argc, char **argv);

/* ---- route modules --------------------------------------------------------- */

#endif /* SP_SERVER_AUTH_INT_H */
