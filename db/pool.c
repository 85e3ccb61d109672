/*
 * pool.c: the asynchronous PostgreSQL pool on a libevent loop.
 *
 * Every connection is a small state machine driven by read/write events on
 * its socket (DESIGN.md §8 "Async libpq"):
 *
 *   DOWN --timer--> CONNECTING --PQconnectPoll OK--> IDLE <--> BUSY
 *     ^                 | failed / timed out          |  ^       | failed or
 *     +-- backoff ------+                             |  +-RESET-+ open transaction
 *     +-- lost / query timed out ---------------------+
 *
 * Queries wait in one bounded FIFO until a connection is IDLE. Results are
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
 *
 * Known libpq limit: PQconnectStart() resolves host names synchronously; use
 * an IP address (hostaddr) in production conninfo if DNS may be slow.
 */
#include "db.h"
#include "db_int.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define POOL_SIZE_MAX 1000
#define PARAMS_MAX 65535                          /* the protocol's limit */
#define QUERY_BYTES_MAX ((size_t)512 * 1024 * 1024) /* SQL + parameters of one query */

enum conn_state {
	CONN_DOWN,        /* no socket; ev_timer schedules the next attempt */
	CONN_CONNECTING,  /* PQconnectPoll in progress; ev_timer is the deadline */
	CONN_IDLE,        /* ready for a query; read watched to notice a close */
	CONN_BUSY,        /* running q */
	CONN_RESETTING    /* rolling back a transaction a query left open */
};

enum query_where { Q_NEW, Q_QUEUED, Q_RUNNING, Q_DONE };

struct db_conn;

struct db_query {
	TAILQ_ENTRY(db_query) link;   /* queue or done list */
	struct db_pool *pool;
	struct db_conn *conn;         /* while Q_RUNNING */
	enum query_where where;
	struct event *ev_timeout;
	int timeout_ms;
	const char *sql;              /* all of these point into the same allocation */
	int nparams;
	const char **values;
	int *lengths;
	int *formats;
	int binary_result;
	PGresult *res;                /* the result handed to cb on success */
	struct sp_errinfo err;
	db_done_fn cb;
	void *arg;
};

TAILQ_HEAD(query_list, db_query);

struct db_conn {
	struct db_pool *pool;
	PGconn *pg;
	enum conn_state state;
	evutil_socket_t fd;           /* the socket ev_rd/ev_wr were made for */
	struct event *ev_rd;
	struct event *ev_wr;
	struct event *ev_timer;
	int backoff_ms;
	int flushing;                 /* PQflush() returned 1: output pending */
	struct db_query *q;
};

struct db_pool {
	struct event_base *base;
	char *conninfo;
	int size;
	int queue_max;
	int query_timeout_ms;
	int connect_timeout_ms;
	struct db_conn *conns;
	struct query_list queue;
	int nqueued;
	struct query_list done;
	int ndone;
	struct event *ev_done;
	int connected;
	int in_use;
	int last_failed;              /* the most recent connection attempt failed */
	char last_error[256];
	unsigned long long queries;
	unsigned long long failures;
	int closing;
	int *freed;                   /* set when db_pool_free runs inside on_done */
};

static void conn_start(struct db_conn *c);
static void conn_take_next(struct db_conn *c);
static void on_conn_io(evutil_socket_t fd, short what, void *arg);

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
static void
query_complete(struct db_query *q)
{
	struct db_pool *pool = q->pool;

	if (q->where == Q_QUEUED) {
		TAILQ_REMOVE(&pool->queue, q, link);
		pool->nqueued--;
	} else if (q->where == Q_RUNNING) {
		q->conn->q = NULL;
		q->conn = NULL;
	}
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

static void
query_fail(struct db_query *q, int code, const char *msg)
{
	sp_err(&q->err, code, "%s", msg);
	query_complete(q);
}

static void
queue_fail_all(struct db_pool *pool, int code, const char *msg)
{
	while (!TAILQ_EMPTY(&pool->queue))
		query_fail(TAILQ_FIRST(&pool->queue), code, msg);
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
		q->cb(q->arg, q->res, &q->err);
		query_free(q);
		if (freed)
			return; /* the callback freed the pool */
	}
	pool->freed = NULL;
	if (!TAILQ_EMPTY(&pool->done))
		event_active(pool->ev_done, 0, 0);
}

static void
pool_unavailable_msg(const struct db_pool *pool, char *buf, size_t n)
{
	snprintf(buf, n, "database unavailable: %s",
		 pool->last_error[0] != '\0' ? pool->last_error : "no connection");
}

/* ---- connection plumbing ---------------------------------------------- */

static void
conn_unwatch(struct db_conn *c)
{
	if (c->ev_rd != NULL)
		event_free(c->ev_rd);
	if (c->ev_wr != NULL)
		event_free(c->ev_wr);
	c->ev_rd = c->ev_wr = NULL;
	c->fd = -1;
}

/* Watch the socket for exactly the events in what (EV_READ, EV_WRITE). */
static int
conn_watch(struct db_conn *c, short what)
{
	evutil_socket_t fd = PQsocket(c->pg);
	int r = 0;

	if (fd < 0)
		return -1;
	if (fd != c->fd || c->ev_rd == NULL) {
		/* libpq may open a new socket while trying the next address. */
		conn_unwatch(c);
		c->ev_rd = event_new(c->pool->base, fd, EV_READ | EV_PERSIST, on_conn_io, c);
		c->ev_wr = event_new(c->pool->base, fd, EV_WRITE | EV_PERSIST, on_conn_io, c);
		if (c->ev_rd == NULL || c->ev_wr == NULL) {
			conn_unwatch(c);
			return -1;
		}
		c->fd = fd;
	}
	r |= (what & EV_READ) ? event_add(c->ev_rd, NULL) : event_del(c->ev_rd);
	r |= (what & EV_WRITE) ? event_add(c->ev_wr, NULL) : event_del(c->ev_wr);
	return r == 0 ? 0 : -1;
}

static void
timer_arm(struct event *ev, int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Close the socket and forget the connection; the query, if any, is the caller's. */
static void
conn_close(struct db_conn *c)
{
	struct db_pool *pool = c->pool;

	conn_unwatch(c);
	if (c->ev_timer != NULL)
		evtimer_del(c->ev_timer);
	if (c->state == CONN_IDLE || c->state == CONN_BUSY || c->state == CONN_RESETTING)
		pool->connected--;
	if (c->state == CONN_BUSY || c->state == CONN_RESETTING)
		pool->in_use--;
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	c->flushing = 0;
	c->state = CONN_DOWN;
}

static void
conn_retry_in(struct db_conn *c, int ms)
{
	c->state = CONN_DOWN;
	if (c->pool->closing)
		return;
	timer_arm(c->ev_timer, ms);
}

/*
 * The server went away under an established connection (or libpq says the
 * connection is unusable): fail its query, close it, and reconnect. The next
 * attempt tells whether the database is really down.
 */
static void
conn_lost(struct db_conn *c, const char *why)
{
	char msg[400];

	if (c->q != NULL) {
		snprintf(msg, sizeof(msg), "database unavailable: %s", why);
		query_fail(c->q, SP_ERR_UNAVAILABLE, msg);
	}
	conn_close(c);
	conn_retry_in(c, BACKOFF_MIN_MS);
}

static void
conn_lost_pq(struct db_conn *c)
{
	char why[300];
	const char *m = c->pg != NULL ? PQerrorMessage(c->pg) : "";

	snprintf(why, sizeof(why), "%.*s", (int)strcspn(m, "\n"), *m ? m : "connection lost");
	conn_lost(c, why);
}

static void
conn_attempt_failed(struct db_conn *c, const char *why)
{
	struct db_pool *pool = c->pool;
	char msg[400];

	snprintf(pool->last_error, sizeof(pool->last_error), "%.*s",
		 (int)strcspn(why, "\n"), why);
	conn_close(c);
	pool->last_failed = 1;
	if (pool->connected == 0) {
		/* Nothing can serve the queue now: do not let it wait for deadlines. */
		pool_unavailable_msg(pool, msg, sizeof(msg));
		queue_fail_all(pool, SP_ERR_UNAVAILABLE, msg);
	}
	conn_retry_in(c, c->backoff_ms);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void
conn_attempt_failed_pq(struct db_conn *c)
{
	const char *m = c->pg != NULL ? PQerrorMessage(c->pg) : NULL;

	conn_attempt_failed(c, m != NULL && *m ? m : "could not connect");
}

static void
conn_connected(struct db_conn *c)
{
	struct db_pool *pool = c->pool;

	if (PQsetnonblocking(c->pg, 1) != 0) {
		conn_attempt_failed_pq(c);
		return;
	}
	evtimer_del(c->ev_timer);
	c->state = CONN_IDLE;
	c->backoff_ms = BACKOFF_MIN_MS;
	pool->connected++;
	pool->last_failed = 0;
	/* An idle connection watches reads so that a server shutdown is noticed now. */
	if (conn_watch(c, EV_READ) != 0) {
		conn_lost(c, "cannot watch the connection's socket");
		return;
	}
	conn_take_next(c);
}

static void
conn_connect_poll(struct db_conn *c)
{
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		if (conn_watch(c, EV_READ) != 0)
			conn_attempt_failed(c, "cannot watch the connection's socket");
		break;
	case PGRES_POLLING_WRITING:
		if (conn_watch(c, EV_WRITE) != 0)
			conn_attempt_failed(c, "cannot watch the connection's socket");
		break;
	case PGRES_POLLING_OK:
		conn_connected(c);
		break;
	default:
		conn_attempt_failed_pq(c);
		break;
	}
}

/* Server notices would go to stderr by default, outside the JSON log. */
static void
quiet_notices(void *arg, const char *message)
{
}

static void
conn_start(struct db_conn *c)
{
	c->pg = PQconnectStart(c->pool->conninfo);
	if (c->pg == NULL) {
		conn_attempt_failed(c, "out of memory");
		return;
	}
	PQsetNoticeProcessor(c->pg, quiet_notices, NULL);
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		conn_attempt_failed_pq(c);
		return;
	}
	c->state = CONN_CONNECTING;
	timer_arm(c->ev_timer, c->pool->connect_timeout_ms);
	/* Before the first PQconnectPoll, libpq says: act as if it asked for write. */
	if (conn_watch(c, EV_WRITE) != 0)
		conn_attempt_failed(c, "cannot watch the connection's socket");
}

static void
on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	switch (c->state) {
	case CONN_DOWN:
		conn_start(c);
		break;
	case CONN_CONNECTING:
		conn_attempt_failed(c, "connection attempt timed out");
		break;
	case CONN_RESETTING:
		conn_lost(c, "rollback of an abandoned transaction timed out");
		break;
	default:
		break;
	}
}

/* ---- running queries -------------------------------------------------- */

/* Returns -1 when the connection was lost (c is then DOWN). */
static int
conn_flush(struct db_conn *c)
{
	int r = PQflush(c->pg);

	if (r < 0) {
		conn_lost_pq(c);
		return -1;
	}
	c->flushing = r == 1;
	if (conn_watch(c, c->flushing ? EV_READ | EV_WRITE : EV_READ) != 0) {
		conn_lost(c, "cannot watch the connection's socket");
		return -1;
	}
	return 0;
}

static void
conn_dispatch(struct db_conn *c, struct db_query *q)
{
	struct db_pool *pool = c->pool;

	c->state = CONN_BUSY;
	pool->in_use++;
	c->q = q;
	q->conn = c;
	q->where = Q_RUNNING;
	if (!PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, q->values, q->lengths,
			       q->formats, q->binary_result ? 1 : 0)) {
		/* Arguments were checked on entry, so this is the connection failing. */
		conn_lost_pq(c);
		return;
	}
	(void)conn_flush(c);
}

/*
 * The last result of the statement arrived. Put the connection back in
 * shape before anyone reuses it, then complete the query.
 */
static void
conn_query_finished(struct db_conn *c)
{
	struct db_pool *pool = c->pool;
	struct db_query *q = c->q;
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);

	if (q != NULL) {
		if (q->err.code == SP_OK && q->res == NULL)
			sp_err(&q->err, SP_ERR_DB, "the statement returned no result");
		query_complete(q);
	}
	if (c->state == CONN_BUSY && (ts == PQTRANS_INERROR || ts == PQTRANS_INTRANS)) {
		/* The statement opened a transaction (BEGIN) or left it aborted. */
		c->state = CONN_RESETTING;
		timer_arm(c->ev_timer, pool->query_timeout_ms);
		if (!PQsendQuery(c->pg, "ROLLBACK")) {
			conn_lost_pq(c);
			return;
		}
		(void)conn_flush(c);
		return;
	}
	if (ts != PQTRANS_IDLE || PQstatus(c->pg) != CONNECTION_OK) {
		conn_lost(c, "connection left in an unusable state");
		return;
	}
	evtimer_del(c->ev_timer);
	c->state = CONN_IDLE;
	pool->in_use--;
	conn_take_next(c);
}

static void
conn_result(struct db_conn *c, PGresult *res)
{
	struct db_query *q = c->q;
	ExecStatusType st = PQresultStatus(res);

	if (q == NULL) { /* the ROLLBACK of CONN_RESETTING */
		PQclear(res);
		return;
	}
	switch (st) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		if (q->err.code == SP_OK) {
			PQclear(q->res);
			q->res = res;
			res = NULL; /* transferred */
		}
		break;
	case PGRES_EMPTY_QUERY:
		sp_err(&q->err, SP_ERR_INVALID, "empty query");
		break;
	default:
		db_result_err(&q->err, c->pg, res);
		break;
	}
	PQclear(res);
}

static void
conn_read(struct db_conn *c)
{
	PGresult *res;
	ExecStatusType st;

	if (!PQconsumeInput(c->pg)) {
		conn_lost_pq(c);
		return;
	}
	if (c->flushing && conn_flush(c) != 0)
		return;
	while (!PQisBusy(c->pg)) {
		res = PQgetResult(c->pg);
		if (res == NULL) {
			conn_query_finished(c);
			return;
		}
		st = PQresultStatus(res);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
			/* The pool has no COPY data path; the connection is stuck in it. */
			PQclear(res);
			if (c->q != NULL) {
				sp_err(&c->q->err, SP_ERR_UNSUPPORTED, "COPY is not supported by the pool");
				query_complete(c->q);
			}
			conn_lost(c, "COPY in progress");
			return;
		}
		conn_result(c, res);
	}
	if (PQstatus(c->pg) == CONNECTION_BAD)
		conn_lost_pq(c);
}

static void
conn_idle_read(struct db_conn *c)
{
	PGnotify *n;

	/* Usually EOF or the server's "terminating connection" notice. */
	if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK) {
		conn_lost_pq(c);
		return;
	}
	while ((n = PQnotifies(c->pg)) != NULL)
		PQfreemem(n);
}

static void
on_conn_io(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	switch (c->state) {
	case CONN_CONNECTING:
		conn_connect_poll(c);
		break;
	case CONN_IDLE:
		conn_idle_read(c);
		break;
	case CONN_BUSY:
	case CONN_RESETTING:
		if ((what & EV_WRITE) && conn_flush(c) != 0)
			return;
		if (what & EV_READ)
			conn_read(c);
		break;
	default:
		break;
	}
}

/* An IDLE connection takes the oldest waiting query, if any. */
static void
conn_take_next(struct db_conn *c)
{
	struct db_pool *pool = c->pool;
	struct db_query *q;

	if (c->state != CONN_IDLE || (q = TAILQ_FIRST(&pool->queue)) == NULL)
		return;
	TAILQ_REMOVE(&pool->queue, q, link);
	pool->nqueued--;
	conn_dispatch(c, q);
}

/* A connection that is IDLE and still sound; a broken one is recycled. */
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
		conn_lost(c, "connection found in a bad state");
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
	query_fail(q, SP_ERR_TIMEOUT, msg);
	if (c != NULL) {
		/*
		 * PQcancel() blocks, so the connection is dropped instead (the
		 * server aborts the statement when it notices) and replaced.
		 */
		conn_close(c);
		conn_retry_in(c, 0);
	}
}

/* ---- public API ------------------------------------------------------- */

int
db_pool_new(struct event_base *base, const struct db_pool_opts *opts,
	    struct db_pool **out, struct sp_errinfo *ei)
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
		struct db_conn *c = &pool->conns[i];

		c->pool = pool;
		c->fd = -1;
		c->state = CONN_DOWN;
		c->backoff_ms = BACKOFF_MIN_MS;
		if ((c->ev_timer = evtimer_new(base, on_conn_timer, c)) == NULL) {
			r = sp_err(ei, SP_ERR_NOMEM, "database pool: cannot create a timer");
			goto out;
		}
	}
	/* First attempts start on the loop, so that creating the pool never blocks. */
	for (i = 0; i < pool->size; i++)
		conn_retry_in(&pool->conns[i], 0);
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
			query_fail(c->q, SP_ERR_UNAVAILABLE, "database pool closed");
		conn_close(c);
		if (c->ev_timer != NULL)
			event_free(c->ev_timer);
	}
	queue_fail_all(pool, SP_ERR_UNAVAILABLE, "database pool closed");
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

int
db_query_send(struct db_pool *pool, const char *sql, int nparams,
	      const struct db_param *params, int binary_result, int timeout_ms,
	      db_done_fn cb, void *arg)
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
	q->cb = cb;
	q->arg = arg;
	q->timeout_ms = timeout_ms > 0 ? timeout_ms : pool->query_timeout_ms;
	if (pool->connected == 0 && pool->last_failed) {
		/* Known down: fail fast, through the done event (never from here). */
		pool_unavailable_msg(pool, msg, sizeof(msg));
		query_fail(q, SP_ERR_UNAVAILABLE, msg);
		q = NULL; /* transferred */
		r = SP_OK;
		goto out;
	}
	c = pool_idle_conn(pool);
	if (c == NULL && pool->nqueued >= pool->queue_max) {
		r = SP_ERR_BUSY;
		goto out;
	}
	if ((q->ev_timeout = evtimer_new(pool->base, on_query_timeout, q)) == NULL) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	timer_arm(q->ev_timeout, q->timeout_ms);
	if (c != NULL) {
		conn_dispatch(c, q);
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
