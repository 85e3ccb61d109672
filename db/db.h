/*
 * db.h: PostgreSQL for sealpact.
 *
 * 1. An asynchronous connection pool on a libevent loop (DESIGN.md §8 "Async
 *    libpq"): non-blocking connect, a bounded pool and a bounded wait queue,
 *    per-query timeouts, reconnect with backoff after the server restarts.
 *    Every function of the pool must be called on the loop's thread.
 * 2. The migrations runner, which is blocking and meant for the CLI
 *    (`sealpactd migrate`) and for tests; never call it on the loop.
 * 3. Typed calls, one file per aggregate (contracts.c, lists.c, audit.c,
 *    auth.c, webhooks.c, signing.c): the only place that holds SQL text or
 *    decodes rows. See "typed calls" below; their declarations are in the
 *    headers this one includes at its end (db_contracts.h, db_auth.h,
 *    db_jobs.h, db_signing.h, db_seals.h).
 */
#ifndef SP_DB_H
#define SP_DB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sp.h"

struct event_base;
struct db_pool;

struct db_pool_opts {
	const char *conninfo;   /* libpq conninfo or URI; copied */
	int size;               /* connections, >= 1 */
	int queue_max;          /* queries waiting for a free connection; more fail SP_ERR_BUSY */
	int query_timeout_ms;   /* default deadline of a query, from send to result */
	int connect_timeout_ms; /* deadline of one connection attempt */
};

/*
 * Create a pool on base and start connecting in the background; this never
 * blocks and succeeds even while the database is down (queries then fail
 * with SP_ERR_UNAVAILABLE until it is back). *out is freed with db_pool_free.
 */
int db_pool_new(struct event_base *base, const struct db_pool_opts *opts, struct db_pool **out,
		struct sp_errinfo *ei) SP_WUR;

/*
 * Close every connection. Callbacks of queries still pending fire with
 * SP_ERR_UNAVAILABLE before this returns. NULL is fine.
 */
void db_pool_free(struct db_pool *pool);

struct db_pool_stats {
	int size;                    /* configured connections */
	int connected;               /* connections currently established */
	int in_use;                  /* connections running a query */
	int waiting;                 /* queries queued for a connection */
	unsigned long long queries;  /* completed since start */
	unsigned long long failures; /* failed since start */
};

void db_pool_stats_get(const struct db_pool *pool, struct db_pool_stats *out);

/*
 * Whose queries are sent from now on (sec35): key (SP_TURN_KEY bytes,
 * copied) names the caller they serve (an organization, a reviewer, a
 * client address); NULL: nobody's (the server's own). A free connection
 * takes the oldest waiting query of the owner with the fewest running and,
 * of those, the one served longest ago (sp_turns), so one caller's burst of
 * queries delays another's by about one query per connection, not by the
 * whole burst; queries of nobody's rank as a fresh owner's. A query's
 * callback runs with its query's owner set, so the queries it sends are the
 * same caller's; it is unset again after. The server sets it where a
 * request's code runs (its handler, a job's done()). Loop thread.
 */
void db_pool_owner_set(struct db_pool *pool, const unsigned char *key);

/*
 * Readiness: run "SELECT 1" within timeout_ms (<= 0: the pool's default).
 * cb (the shape of db_status_fn below) fires exactly once, on the loop
 * thread, never from inside this call, with SP_OK, or with SP_ERR_UNAVAILABLE
 * and reason "database_unavailable" for every failure: unreachable, too slow,
 * or the wait queue full. Returns SP_OK when accepted, SP_ERR_INVALID or
 * SP_ERR_NOMEM (or SP_ERR_UNAVAILABLE while the pool is being freed), and
 * then cb will not fire. Loop thread.
 */
int db_ping(struct db_pool *pool, int timeout_ms,
	    void (*cb)(void *arg, const struct sp_errinfo *err), void *arg) SP_WUR;

/*
 * Apply every migrations/NNN_name.sql of dir not yet recorded, in order, each
 * in its own transaction under a transaction-scoped advisory lock (so it
 * also runs through PgBouncer in transaction mode), recording version,
 * name and SHA-256 checksum in schema_migrations. Refuses (SP_ERR_CONFLICT)
 * when an applied migration's file has changed or is missing. *applied (may be
 * NULL) receives how many were applied now. Blocking: CLI and tests only.
 */
int db_migrate(const char *conninfo, const char *dir, int *applied, struct sp_errinfo *ei) SP_WUR;

/* ---- typed calls ----------------------------------------------------------------------
 *
 * A typed call takes C values, sends one statement (a state change is one SQL
 * function of migrations/, so it is atomic and needs one round trip), and
 * delivers a decoded result to its callback exactly once, on the loop thread,
 * never from inside the call. It returns SP_OK when the query was accepted, or
 * SP_ERR_BUSY / SP_ERR_INVALID, and then the callback will not fire.
 *
 * On failure err->code is the class and err->reason the stable problem code,
 * both from the one SQLSTATE table (errors.c, db_sqlstate_map()), e.g.
 * SP_ERR_CONFLICT "out_of_turn"; err->msg is safe to show the caller. A
 * server passes err on unchanged (request_reply_error()).
 */

/*
 * A document-shaped result: the statement built the JSON the API returns.
 * doc is a new reference the callback owns (json_decref), NULL when err->code
 * is not SP_OK. A call that finds no row fails with SP_ERR_NOT_FOUND.
 */
typedef void (*db_json_fn)(void *arg, json_t *doc, const struct sp_errinfo *err);

/*
 * A document-shaped result handed over as the text the statement built, for
 * a reply that passes it on unchanged (no parse, no second serialization;
 * json or jsonb output alike). text is valid JSON, NUL-terminated, len bytes,
 * owned by db/ and valid only during the call (copy what must outlive it);
 * NULL and 0 when err->code is not SP_OK. A call that finds no row fails
 * with SP_ERR_NOT_FOUND.
 */
typedef void (*db_text_fn)(void *arg, const char *text, size_t len, const struct sp_errinfo *err);

/* A result with nothing to decode (a state change, a ping). */
typedef void (*db_status_fn)(void *arg, const struct sp_errinfo *err);

/*
 * Who acts, for state changes and their audit events: the organization (0
 * for a reviewer), the user (0 when none, e.g. an API key without a creator),
 * and where the request came from. ip and user_agent may be NULL or "";
 * they are copied by the call. The audit event keeps ip only when it is an
 * IPv4 or IPv6 address, and at most DB_USER_AGENT_MAX bytes of user_agent,
 * cut at a UTF-8 character boundary, with bytes that are not UTF-8 as '?'.
 */
#define DB_USER_AGENT_MAX 256
struct db_actor {
	int64_t org_id;
	int64_t user_id;
	const char *ip;
	const char *user_agent;
};

/* The typed calls, one header per aggregate. */
#include "db_contracts.h"
#include "db_auth.h"
#include "db_jobs.h"
#include "db_signing.h"
#include "db_seals.h"

#endif /* SP_DB_H */
