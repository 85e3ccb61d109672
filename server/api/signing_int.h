/*
 * signing_int.h: private declarations of the signing modules of sealpactd
 * (api/signing.c: prepare; api/signing_complete.c: complete and abort;
 * state/tsa_provider.c: the process's timestamp source; api/tsa.c: POST /tsa).
 */
#ifndef SP_SERVER_SIGNING_INT_H
#define SP_SERVER_SIGNING_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "authn.h"
#include "db.h"
#include "server.h"

struct config;
struct crypto_tsa;

/* The signing routes (prepare, complete, abort) and POST /tsa. Start-up only. */
int routes_signing_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;
int routes_tsa_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;

/* signing_complete.c: the handlers of POST .../complete and DELETE .../{id}. */
void signing_complete_step(struct request *r, const struct principal *who);
void signing_abort_step(struct request *r, const struct principal *who);

/*
 * Who acts in a signing state change (its audit event): org_id and user_id
 * (0: none), and r's peer address and User-Agent, which a points into: a is
 * valid while r is. Loop thread.
 */
void signing_actor_fill(struct db_actor *a, const struct request *r, int64_t org_id,
			int64_t user_id);

/*
 * The built-in TSA built from cfg->tsa on first use (any thread; shared,
 * read-only once made; freed at exit). SP_ERR_CONFIG with reason
 * tsa_not_configured when tsa.cert/tsa.key are unset.
 */
int tsa_provider_builtin(const struct config *cfg, struct crypto_tsa **out,
			 struct sp_errinfo *ei) SP_WUR;

/*
 * The store timestamp tokens must chain to: tsa.trust, else trust.roots[0]
 * (built on first use; shared, read-only; freed at exit). Any thread.
 */
int tsa_provider_trust(const struct config *cfg, X509_STORE **out, struct sp_errinfo *ei) SP_WUR;

/*
 * A checked RFC 3161 token over sig (PAdES B-T: the hash of the signature
 * value): from the built-in TSA with serial (a value of the tsa_serial
 * sequence) when tsa.mode is builtin, else from tsa.url with libcurl (hard
 * timeout tsa.timeout_ms, optional basic auth). Every response is checked by
 * crypto_ts_response_check against tsa.trust (else trust.roots[0]). On SP_OK
 * *token (malloc'd ContentInfo DER) and *gen_time are set. Any failure is
 * an error with reason (tsa_unavailable, tsa_not_configured, ts_*): a
 * signature is never stored without a timestamp. Worker threads only
 * (it may block on the network).
 */
int tsa_provider_timestamp(const struct config *cfg, const uint8_t *sig, size_t siglen,
			   uint64_t serial, uint8_t **token, size_t *tokenlen, time_t *gen_time,
			   struct sp_errinfo *ei) SP_WUR;

#endif /* SP_SERVER_SIGNING_INT_H */
