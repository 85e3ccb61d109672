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
 * Answer r from a db_query_send() result of a workflow SQL function: the
 * first column of the first row is JSON text, sent with status ok_status;
 * an error with SQLSTATE SP400/SP403/SP404/SP409/SP419/SP422 is the
 * matching 4xx problem with the function's message; anything else 5xx.
 * db_done_fn shape with r as arg.
 */
void wf_reply_json(void *arg, const PGresult *res, const struct sp_errinfo *err);
void wf_reply_json_created(void *arg, const PGresult *res, const struct sp_errinfo *err);
/* 1 and answered when err is a workflow problem or failure; 0 when err is OK. */
int wf_reply_failed(struct request *r, const struct sp_errinfo *err);

/* jobs/expiry.c: the deadline sweep on a timer (loop thread). */
int expiry_start(struct event_base *base, struct db_pool *db, struct sp_errinfo *ei) SP_WUR;
void expiry_stop(void);

/* The caller's ids as text parameters, and the {number} path parameter. */
struct wf_ids {
	char org[24], user[24], number[24];
	const char *user_or_null;  /* NULL for an API key without a creator */
};
void wf_ids_fill(struct wf_ids *ids, const struct principal *who, int64_t number);
/* 1 with *out set, or 0 after answering 404 for a malformed number. */
int wf_path_number(struct request *r, int64_t *out);

/*
 * Run sql for the contract named by the {number} path parameter with $1 =
 * that number and $2 = the caller's organization (sql restricts itself with
 * VISIBLE), binary_result as db_query_send, cb answering r. A malformed
 * number is answered 404 and a refused query 503 here.
 */
void wf_contract_query(struct request *r, const struct principal *who, const char *sql,
		       int binary_result, db_done_fn cb);

/* Visible to organization $2: the initiator, or a party once it was sent. */
#define VISIBLE "(c.initiator_org_id = $2 OR (c.status <> 'draft' AND EXISTS (SELECT 1 " \
		"FROM parties vp WHERE vp.contract_number = c.number AND vp.organization_id = $2)))"

/* The route modules of the workflow. */
int routes_documents_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;
int routes_lists_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;
int routes_webhooks_register(struct router *rt, struct sp_errinfo *ei) SP_WUR;

#endif /* SP_SERVER_CONTRACTS_INT_H */
