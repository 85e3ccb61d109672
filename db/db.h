/*
 * db.h: PostgreSQL for sealpact.
 *
 * 1. An asynchronous connection pool on a libevent loop (DESIGN.md §8 "Async
 *    libpq"): non-blocking connect, a bounded pool and a bounded wait queue,
 *    per-query timeouts, reconnect with backoff after the server restarts.
 *    Every function of the pool must be called on the loop's thread.
 * 2. The migrations runner, which is blocking and meant for the CLI
 *    (`sealpactd migrate`) and for tests; never call it on the loop.
 */
#ifndef SP_DB_H
#define SP_DB_H

#include <libpq-fe.h>
#include <stddef.h>

#include "sp.h"

struct event_base;
struct db_pool;

struct db_pool_opts {
	const char *conninfo;      /* libpq conninfo or URI; copied */
	int size;                  /* connections, >= 1 */
	int queue_max;             /* queries waiting for a free connection; more fail SP_ERR_BUSY */
	int query_timeout_ms;      /* default deadline of a query, from send to result */
	int connect_timeout_ms;    /* deadline of one connection attempt */
};

/*
 * One bound parameter. Text parameters have binary = 0 and len ignored
 * (value is NUL-terminated); bytea parameters have binary = 1 and len bytes.
 * value NULL is SQL NULL.
 */
struct db_param {
	const char *value;
	int len;
	int binary;
};

/*
 * The result callback. It fires exactly once for every query that
 * db_query_send() accepted, on the loop thread. On success res is the
 * command's result (PGRES_TUPLES_OK or PGRES_COMMAND_OK) and err->code is
 * SP_OK; on failure res is NULL and err says why: SP_ERR_DB with the SQLSTATE
 * for a server error, SP_ERR_UNAVAILABLE when the database cannot be reached,
 * SP_ERR_TIMEOUT when the deadline passed. res and err belong to the pool and
 * are valid only during the call.
 */
typedef void (*db_done_fn)(void *arg, const PGresult *res, const struct sp_errinfo *err);

/*
 * Create a pool on base and start connecting in the background; this never
 * blocks and succeeds even while the database is down (queries then fail
 * with SP_ERR_UNAVAILABLE until it is back). *out is freed with db_pool_free.
 */
int db_pool_new(struct event_base *base, const struct db_pool_opts *opts,
		struct db_pool **out, struct sp_errinfo *ei) SP_WUR;

/*
 * Close every connection. Callbacks of queries still pending fire with
 * SP_ERR_UNAVAILABLE before this returns. NULL is fine.
 */
void db_pool_free(struct db_pool *pool);

/*
 * Send one statement with bound parameters ($1..$n). Results come in text
 * format except that binary_result = 1 asks for binary (for bytea columns).
 * A state change must be one statement or one SQL function call: the pool
 * never keeps a transaction open across calls.
 *
 * timeout_ms <= 0 uses the pool's default. Returns SP_OK when the query was
 * accepted (cb will fire exactly once, never from inside this call), or
 * SP_ERR_BUSY when the wait queue is full, SP_ERR_INVALID for bad arguments;
 * then cb will not fire.
 */
int db_query_send(struct db_pool *pool, const char *sql, int nparams,
		  const struct db_param *params, int binary_result, int timeout_ms,
		  db_done_fn cb, void *arg) SP_WUR;

struct db_pool_stats {
	int size;          /* configured connections */
	int connected;     /* connections currently established */
	int in_use;        /* connections running a query */
	int waiting;       /* queries queued for a connection */
	unsigned long long queries;   /* completed since start */
	unsigned long long failures;  /* failed since start */
};

void db_pool_stats_get(const struct db_pool *pool, struct db_pool_stats *out);

/*
 * Apply every migrations/NNN_name.sql of dir not yet recorded, in order, each
 * in its own transaction, under a session advisory lock, recording version,
 * name and SHA-256 checksum in schema_migrations. Refuses (SP_ERR_CONFLICT)
 * when an applied migration's file has changed or is missing. *applied (may be
 * NULL) receives how many were applied now. Blocking: CLI and tests only.
 */
int db_migrate(const char *conninfo, const char *dir, int *applied,
	       struct sp_errinfo *ei) SP_WUR;

#endif /* SP_DB_H */
