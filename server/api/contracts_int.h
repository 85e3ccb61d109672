/*
 * contracts_int.h: private declarations of the contract workflow modules
 * (api/contracts.c, api/documents.c, api/lists.c, api/webhooks.c,
 * jobs/webhook_*.c) and their unit tests. Contract numbers are in state.h.
 */
#ifndef SP_SERVER_CONTRACTS_INT_H
#define SP_SERVER_CONTRACTS_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "server.h"
#include "authn.h"
#include "state.h"

/* ---- jobs/webhook_sign.c: the signature header of a delivery --------------------------- */

/*
 * "t=<timestamp>,v1=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>"
 * into out (at least WEBHOOK_SIG_MAX bytes). secret is the hex string the
 * organization was shown, used as the key bytes as is. Any thread.
 */
#define WEBHOOK_SIG_MAX 96
int webhook_signature(const char *secret, long long timestamp, const char *body, size_t len,
		      char *out, size_t outlen, struct sp_errinfo *ei) SP_WUR;

/* ---- shared by the route modules -------------------------------------------------------- */

/*
 * Answer r (the arg) from a typed call of db/ that delivers a JSON document
 * as text: the text as PostgreSQL built it with status 200 (wf_reply_doc) or
 * 201 (wf_reply_doc_created), or the error as db/ classified it. db_text_fn
 * shape; loop thread.
 */
void wf_reply_doc(void *arg, const char *text, size_t len, const struct sp_errinfo *err);
void wf_reply_doc_created(void *arg, const char *text, size_t len, const struct sp_errinfo *err);
/* 1 and answered when err is a workflow problem or failure; 0 when err is OK. */
int wf_reply_failed(struct request *r, const struct sp_errinfo *err);

/*
 * who acting through r, for a state change and its audit event: the
 * principal's organization and user, the peer's address and the
 * User-Agent header (db/ bounds it). The strings are owned by r.
 */
void wf_actor_fill(struct db_actor *a, const struct request *r, const struct principal *who);

/* 1 with *out set, or 0 after answering 404 for a malformed {number} path parameter. */
int wf_path_number(struct request *r, int64_t *out);

/* The furthest a contract deadline may lie ahead, in years. */
#define WF_DEADLINE_MAX_YEARS 10

/* The raw-row forms of the route modules whose SQL has not moved to db/ yet. */

/* The route modules of the workflow. */

#endif /* SP_SERVER_CONTRACTS_INT_H */
