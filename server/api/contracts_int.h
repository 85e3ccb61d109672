/*
 * contracts_int.h: private declarations of the contract workflow modules
 * (api/contracts.c, api/documents.c, api/lists.c, api/webhooks.c,
 * state/snowflake.c, jobs/webhook_*.c, jobs/expiry.c) and their unit tests.
 */
#ifndef SP_SERVER_CONTRACTS_INT_H
#define SP_SERVER_CONTRACTS_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "server.h"
#include "authn.h"

/* ---- state/snowflake.c: 19-digit, time-ordered contract numbers ---------------------- */

/*
 * number = 10^18 + (ms since 2024-01-01T00:00:00Z << 22 | node << 12 | seq).
 * The offset makes every number 19 digits; the 41-bit time part keeps the sum
 * below 2^63 - 1 until 2086. Monotonic per generator even if the clock steps
 * back (it keeps the last time) or 4096 numbers are asked in one millisecond
 * (it borrows the next millisecond). Distinct node ids never collide.
 */
#define SNOWFLAKE_EPOCH_MS 1704067200000LL
#define SNOWFLAKE_OFFSET 1000000000000000000LL
#define SNOWFLAKE_MAX_NODE 1023

struct snowflake {
	pthread_mutex_t mu;
	int64_t node;
	int64_t last_ms;   /* ms since the epoch of the last number */
	int64_t seq;
};

/* node 0..1023; SP_ERR_INVALID otherwise. Pair with snowflake_cleanup(). */
int snowflake_init(struct snowflake *sf, int node, struct sp_errinfo *ei) SP_WUR;
void snowflake_cleanup(struct snowflake *sf);

/*
 * The next number from the clock now_ms (ms since the Unix epoch; pass
 * snowflake_now_ms()). SP_ERR_LIMIT past 2086 or before 2024. Any thread.
 */
int snowflake_next(struct snowflake *sf, int64_t now_ms, int64_t *out) SP_WUR;
int64_t snowflake_now_ms(void);

/* Parse exactly 19 ASCII digits >= 10^18 into *out; SP_ERR_INVALID otherwise. */
int snowflake_parse(const char *s, int64_t *out) SP_WUR;

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
 * Answer r (the arg) from a typed call of db/ that delivers a JSON document:
 * the document with status 200 (wf_reply_doc) or 201 (wf_reply_doc_created),
 * or the error as db/ classified it. db_json_fn shape; loop thread.
 */
void wf_reply_doc(void *arg, json_t *doc, const struct sp_errinfo *err);
void wf_reply_doc_created(void *arg, json_t *doc, const struct sp_errinfo *err);
/* 1 and answered when err is a workflow problem or failure; 0 when err is OK. */
int wf_reply_failed(struct request *r, const struct sp_errinfo *err);

/*
 * who acting through r, for a state change and its audit event: the
 * principal's organization and user, the peer's address and the
 * User-Agent header (db/ bounds it). The strings are owned by r.
 */
void wf_actor_fill(struct db_actor *a, const struct request *r, const struct principal *who);

/* jobs/expiry.c: the deadline sweep on a timer (loop thread). */
int expiry_start(struct event_base *base, struct db_pool *db, struct sp_errinfo *ei) SP_WUR;
void expiry_stop(void);

/* 1 with *out set, or 0 after answering 404 for a malformed {number} path parameter. */
int wf_path_number(struct request *r, int64_t *out);

/* The raw-row forms of the route modules whose SQL has not moved to db/ yet. */
#include "wf_rows.h"

/* The route modules of the workflow. */
int routes_documents_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;
int routes_lists_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;
int routes_webhooks_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;

#endif /* SP_SERVER_CONTRACTS_INT_H */
