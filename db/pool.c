/*
 * pool.c: the asynchronous PostgreSQL pool on a libevent loop: the public
 * API, the bounded wait queue and the delivery of results. The connections'
 * state machine is in conn.c.
 *
 * Queries wait in one bounded queue until a connection is IDLE, which takes
 * them by their owners' turns (db_pool_owner_set, sp_turns). Results are
 * never delivered directly: a finished query moves to the done list and a
 * single "done" event runs the callbacks on the next loop turn. So no
 * callback ever runs inside db_query_send() or while a connection is half
 * way through a state change, and a callback may freely send new queries.
 *
 * Availability: while no connection is up and the last connection attempt
 * failed, the pool is "down": queued queries fail and new ones fail at once
 * (through the done event) with SP_ERR_UNAVAILABLE, so that callers (e.g.
 * /readyz) answer quickly instead of waiting for deadlines. Connections keep
 * retrying in the background with exponential backoff.
 */
#include "db.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_SIZE_MAX 1000
#define PARAMS_MAX 65535                            /* the protocol's limit */
#define QUERY_BYTES_MAX ((size_t)512 * 1024 * 1024) /* SQL + parameters of one query */

/* ---- queries ---------------------------------------------------------- */

static void
query_free(struct db_query *q)
{
	if (q == NULL)
		return;
	if (q->ev_timeout != NULL)
		event_free(q->ev_timeout);
	PQclear(q->res);
	free(q);
}

/*
 * Move a query to the done list with its outcome in q->err. The callback runs
 * from on_done; nothing here can re-enter the caller.
 */
void
db_query_complete(struct db_query *q)
{
	struct db_pool *pool = q->pool;

	if (q->where == Q_QUEUED) {
		TAILQ_REMOVE(&pool->queue, q, link);
		pool->nqueued--;
		if (q->turn != NULL)
			q->turn->queued--;
	} else if (q->where == Q_RUNNING) {
		q->conn->q = NULL;
		q->conn = NULL;
		sp_turns_end(q->turn);
	}
	sp_turns_put(&pool->turns, q->turn);
	q->turn = NULL;
	if (q->ev_timeout != NULL) {
		event_free(q->ev_timeout);
		q->ev_timeout = NULL;
	}
	if (q->err.code != SP_OK) {
		PQclear(q->res);
		q->res = NULL;
		pool->failures++;
	}
	pool->queries++;
	q->where = Q_DONE;
	TAILQ_INSERT_TAIL(&pool->done, q, link);
	pool->ndone++;
	event_active(pool->ev_done, 0, 0);
}

void
db_query_fail(struct db_query *q, int code, const char *msg)
{
	/* The API answers database_unavailable, not a generic 503. */
	if (code == SP_ERR_UNAVAILABLE)
		sp_err_reason(&q->err, code, "database_unavailable", "%s", msg);
	else
		sp_err(&q->err, code, "%s", msg);
	db_query_complete(q);
}

void
db_queue_fail_all(struct db_pool *pool, int code, const char *msg)
{
	while (!TAILQ_EMPTY(&pool->queue))
		db_query_fail(TAILQ_FIRST(&pool->queue), code, msg);
}

/* Run the callbacks of finished queries, at most those present on entry. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;
	struct db_query *q;
	int n = pool->ndone, freed = 0;

	pool->freed = &freed;
	while (n-- > 0 && (q = TAILQ_FIRST(&pool->done)) != NULL) {
		TAILQ_REMOVE(&pool->done, q, link);
		pool->ndone--;
		/* what the callback sends is its query's owner's */
		memcpy(pool->key, q->key, SP_TURN_KEY);
		q->cb(q->arg, q->res, &q->err);
		query_free(q);
		if (freed)
			return; /* the callback freed the pool */
		memset(pool->key, 0, SP_TURN_KEY);
	}
	pool->freed = NULL;
	if (!TAILQ_EMPTY(&pool->done))
		event_active(pool->ev_done, 0, 0);
}

void
db_pool_unavailable_msg(const struct db_pool *pool, char *buf, size_t n)
{
	snprintf(buf, n, "database unavailable: %s",
		 pool->last_error[0] != '\0' ? pool->last_error : "no connection");
}

/*
 * The oldest waiting query of the owner with the fewest running and, of
 * those, the one served longest ago (sp_turns). The walk is bounded by
 * queue_max and stops at the first query nothing can go before.
 */
struct db_query *
db_queue_take(struct db_pool *pool)
{
	struct db_query *q, *best = NULL;

	TAILQ_FOREACH(q, &pool->queue, link)
	if (best == NULL || sp_turns_before(q->turn, best->turn)) {
		best = q;
		if (sp_turns_fresh(q->turn))
			break;
	}
	if (best != NULL) {
		TAILQ_REMOVE(&pool->queue, best, link);
		pool->nqueued--;
	}
	return best;
}

void
db_pool_owner_set(struct db_pool *pool, const unsigned char *key)
{
	if (key != NULL)
		memcpy(pool->key, key, SP_TURN_KEY);
	else
		memset(pool->key, 0, SP_TURN_KEY);
}

static struct db_conn *
pool_idle_conn(struct db_pool *pool)
{
	struct db_conn *c;
	int i;

	for (i = 0; i < pool->size; i++) {
		c = &pool->conns[i];
		if (c->state != CONN_IDLE)
			continue;
		if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE)
			return c;
		db_conn_lost(c, "connection found in a bad state");
	}
	return NULL;
}

static void
on_query_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct db_query *q = arg;
	struct db_conn *c = q->conn;
	char msg[128];

	snprintf(msg, sizeof(msg), "query exceeded its deadline of %d ms", q->timeout_ms);
	db_query_fail(q, SP_ERR_TIMEOUT, msg);
	if (c != NULL) {
		/*
		 * PQcancel() blocks, so the connection is dropped instead (the
		 * server aborts the statement when it notices) and replaced.
		 */
		db_conn_close(c);
		db_conn_retry_in(c, 0);
	}
}

/* ---- public API ------------------------------------------------------- */

int
db_pool_new(struct event_base *base, const struct db_pool_opts *opts, struct db_pool **out,
	    struct sp_errinfo *ei)
{
	struct db_pool *pool = NULL;
	PQconninfoOption *parsed = NULL;
	char *perr = NULL;
	int i, r = SP_ERR_INTERNAL;

	if (out != NULL)
		*out = NULL;
	if (base == NULL || opts == NULL || out == NULL || opts->conninfo == NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "db_pool_new: missing argument");
		goto out;
	}
	if (opts->size < 1 || opts->size > POOL_SIZE_MAX || opts->queue_max < 0 ||
	    opts->query_timeout_ms < 1 || opts->connect_timeout_ms < 1) {
		r = sp_err(ei, SP_ERR_INVALID,
			   "database pool: size must be 1..%d, queue_max >= 0, timeouts >= 1 ms",
			   POOL_SIZE_MAX);
		goto out;
	}
	if ((parsed = PQconninfoParse(opts->conninfo, &perr)) == NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "database conninfo: %.*s",
			   perr != NULL ? (int)strcspn(perr, "\n") : 13,
			   perr != NULL ? perr : "out of memory");
		goto out;
	}
	if ((pool = calloc(1, sizeof(*pool))) == NULL ||
	    (pool->conns = calloc((size_t)opts->size, sizeof(*pool->conns))) == NULL ||
	    (pool->conninfo = strdup(opts->conninfo)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "database pool: out of memory");
		goto out;
	}
	pool->base = base;
	pool->size = opts->size;
	pool->queue_max = opts->queue_max;
	pool->query_timeout_ms = opts->query_timeout_ms;
	pool->connect_timeout_ms = opts->connect_timeout_ms;
	TAILQ_INIT(&pool->queue);
	TAILQ_INIT(&pool->done);
	if ((pool->ev_done = event_new(base, -1, 0, on_done, pool)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "database pool: cannot create an event");
		goto out;
	}
	for (i = 0; i < pool->size; i++) {
		if (db_conn_init(&pool->conns[i], pool) != 0) {
			r = sp_err(ei, SP_ERR_NOMEM, "database pool: cannot create a timer");
			goto out;
		}
	}
	/* First attempts start on the loop, so that creating the pool never blocks. */
	for (i = 0; i < pool->size; i++)
		db_conn_retry_in(&pool->conns[i], 0);
	*out = pool;
	pool = NULL; /* transferred */
	r = SP_OK;
out:
	PQconninfoFree(parsed);
	PQfreemem(perr);
	db_pool_free(pool);
	return r;
}

void
db_pool_free(struct db_pool *pool)
{
	struct db_query *q;
	int i;

	if (pool == NULL)
		return;
	pool->closing = 1;
	for (i = 0; pool->conns != NULL && i < pool->size; i++) {
		struct db_conn *c = &pool->conns[i];

		if (c->pool == NULL)
			break; /* db_pool_new failed before setting this one up */
		if (c->q != NULL)
			db_query_fail(c->q, SP_ERR_UNAVAILABLE, "database pool closed");
		db_conn_cleanup(c);
	}
	db_queue_fail_all(pool, SP_ERR_UNAVAILABLE, "database pool closed");
	sp_turns_clear(&pool->turns);
	/* Callbacks fire before we return; new sends are refused while closing. */
	while ((q = TAILQ_FIRST(&pool->done)) != NULL) {
		TAILQ_REMOVE(&pool->done, q, link);
		pool->ndone--;
		q->cb(q->arg, q->res, &q->err);
		query_free(q);
	}
	if (pool->freed != NULL)
		*pool->freed = 1;
	if (pool->ev_done != NULL)
		event_free(pool->ev_done);
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
}

/* Copy the statement and its parameters into one allocation the query owns. */
static int
query_new(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	  struct db_query **out)
{
	struct db_query *q;
	size_t sqllen = strlen(sql), total, data = 0, hdr;
	char *p;
	int i;

	*out = NULL;
	for (i = 0; i < nparams; i++) {
		if (params[i].value == NULL)
			continue;
		if (params[i].binary && params[i].len < 0)
			return SP_ERR_INVALID;
		data += params[i].binary ? (size_t)params[i].len : strlen(params[i].value) + 1;
		if (data > QUERY_BYTES_MAX)
			return SP_ERR_TOO_LARGE;
	}
	if (sqllen + data > QUERY_BYTES_MAX)
		return SP_ERR_TOO_LARGE;
	hdr = sizeof(*q) + (size_t)nparams * (sizeof(char *) + 2 * sizeof(int));
	total = hdr + sqllen + 1 + data;
	if ((q = calloc(1, total)) == NULL)
		return SP_ERR_NOMEM;
	q->pool = pool;
	q->nparams = nparams;
	q->values = (const char **)(q + 1);
	q->lengths = (int *)(q->values + nparams);
	q->formats = q->lengths + nparams;
	p = (char *)q + hdr;
	memcpy(p, sql, sqllen + 1);
	q->sql = p;
	p += sqllen + 1;
	for (i = 0; i < nparams; i++) {
		size_t n;

		q->formats[i] = params[i].binary ? 1 : 0;
		if (params[i].value == NULL)
			continue;
		n = params[i].binary ? (size_t)params[i].len : strlen(params[i].value) + 1;
		memcpy(p, params[i].value, n);
		q->values[i] = p;
		q->lengths[i] = params[i].binary ? params[i].len : 0;
		p += n;
	}
	*out = q;
	return SP_OK;
}

/*
 * db_query_send(), and db_ping() with full_fails = 1: a full wait queue then
 * fails the query through the done event like an unreachable database.
 */
static int
query_send(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	   int binary_result, int timeout_ms, db_done_fn cb, void *arg, int full_fails, int prepare)
{
	struct db_query *q = NULL;
	struct db_conn *c;
	char msg[400];
	int r = SP_ERR_INTERNAL;

	if (pool == NULL || sql == NULL || cb == NULL || nparams < 0 || nparams > PARAMS_MAX ||
	    (nparams > 0 && params == NULL)) {
		r = SP_ERR_INVALID;
		goto out;
	}
	if (pool->closing) {
		r = SP_ERR_UNAVAILABLE;
		goto out;
	}
	if ((r = query_new(pool, sql, nparams, params, &q)) != SP_OK) {
		if (r == SP_ERR_TOO_LARGE)
			r = SP_ERR_INVALID;
		goto out;
	}
	q->binary_result = binary_result;
	q->prepare = prepare;
	q->cb = cb;
	q->arg = arg;
	q->timeout_ms = timeout_ms > 0 ? timeout_ms : pool->query_timeout_ms;
	memcpy(q->key, pool->key, SP_TURN_KEY);
	if (pool->connected == 0 && pool->last_failed) {
		/* Known down: fail fast, through the done event (never from here). */
		db_pool_unavailable_msg(pool, msg, sizeof(msg));
		db_query_fail(q, SP_ERR_UNAVAILABLE, msg);
		q = NULL; /* transferred */
		r = SP_OK;
		goto out;
	}
	c = pool_idle_conn(pool);
	if (c == NULL && pool->nqueued >= pool->queue_max) {
		if (full_fails) {
			db_query_fail(q, SP_ERR_UNAVAILABLE, "the database queue is full");
			q = NULL; /* transferred */
			r = SP_OK;
			goto out;
		}
		r = SP_ERR_BUSY;
		goto out;
	}
	if ((q->ev_timeout = evtimer_new(pool->base, on_query_timeout, q)) == NULL) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	db_timer_arm(q->ev_timeout, q->timeout_ms);
	/* an owner's turns (no memory for them: a query of nobody's) */
	if (q->key[0] != 0 && (q->turn = sp_turns_get(&pool->turns, q->key)) != NULL)
		q->turn->queued++;
	if (c != NULL) {
		db_conn_dispatch(c, q);
	} else {
		TAILQ_INSERT_TAIL(&pool->queue, q, link);
		pool->nqueued++;
		q->where = Q_QUEUED;
	}
	q = NULL; /* transferred */
	r = SP_OK;
out:
	query_free(q);
	return r;
}

int
db_query_send(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	      int binary_result, int timeout_ms, db_done_fn cb, void *arg)
{
	return query_send(pool, sql, nparams, params, binary_result, timeout_ms, cb, arg, 0, 0);
}

int
db_query_send_prepared(struct db_pool *pool, const char *sql, int nparams,
		       const struct db_param *params, int binary_result, int timeout_ms,
		       db_done_fn cb, void *arg)
{
	return query_send(pool, sql, nparams, params, binary_result, timeout_ms, cb, arg, 0, 1);
}

struct ping {
	db_status_fn cb;
	void *arg;
};

/* Any failure of a ping means "not reachable now", whatever its class. */
static void
ping_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct ping *p = arg;
	struct sp_errinfo ei;

	(void)res;
	sp_errinfo_init(&ei);
	if (err->code == SP_ERR_UNAVAILABLE)
		ei = *err;
	else if (err->code != SP_OK)
		sp_err_reason(&ei, SP_ERR_UNAVAILABLE, "database_unavailable", "%s", err->msg);
	p->cb(p->arg, &ei);
	free(p);
}

int
db_ping(struct db_pool *pool, int timeout_ms, db_status_fn cb, void *arg)
{
	struct ping *p;
	int r;

	if (cb == NULL)
		return SP_ERR_INVALID;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SP_ERR_NOMEM;
	p->cb = cb;
	p->arg = arg;
	r = query_send(pool, "SELECT 1", 0, NULL, 0, timeout_ms, ping_done, p, 1, 0);
	if (r != SP_OK)
		free(p);
	return r;
}

void
db_pool_stats_get(const struct db_pool *pool, struct db_pool_stats *out)
{
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (pool == NULL)
		return;
	out->size = pool->size;
	out->connected = pool->connected;
	out->in_use = pool->in_use;
	out->waiting = pool->nqueued;
	out->queries = pool->queries;
	out->failures = pool->failures;
}
