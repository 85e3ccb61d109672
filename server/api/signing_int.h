/*
 * signing_int.h: private declarations of the signing modules of sealpactd
 * (api/signing.c: prepare; api/signing_complete.c: complete and abort;
 * api/tsa.c: POST /tsa). The timestamp source is in state.h.
 */
#ifndef SP_SERVER_SIGNING_INT_H
#define SP_SERVER_SIGNING_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "authn.h"
#include "db.h"
#include "server.h"
#include "state.h"

struct config;
struct crypto_tsa;

/* The signing routes (prepare, complete, abort) and POST /tsa. Start-up only. */
int routes_signing_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;
int routes_tsa_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;

/* signing_complete.c: the handlers of POST .../complete and DELETE .../{id}. */
void signing_complete_step(struct request *r, const struct principal *who);
void signing_abort_step(struct request *r, const struct principal *who);

/*
 * Answer r for a failed signing SQL call: the SPS09/SPS10/SPS11 states of
 * migrations/004_signing.sql (409 stale_revision, 410 session_expired, 409
 * session_used), else as the workflow (wf_reply_failed). 1 when answered
 * (err is a failure), 0 when err is OK. Loop thread.
 */
int signing_reply_failed(struct request *r, const struct sp_errinfo *err);

/* Answer r with the JSON text in column 0 of res, status ok_status. Loop thread. */
void signing_reply_json(struct request *r, const PGresult *res, int ok_status);

#endif /* SP_SERVER_SIGNING_INT_H */
