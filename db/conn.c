/*
 * conn.c: one pooled PostgreSQL connection, a state machine driven by
 * read/write events on its socket (DESIGN.md §8 "Async libpq"):
 *
 *   DOWN --timer--> CONNECTING --PQconnectPoll OK--> IDLE <--> BUSY
 *     ^                 | failed / timed out          |  ^       | failed or
 *     +-- backoff ------+                             |  +-RESET-+ open transaction
 *     +-- lost / query timed out ---------------------+
 *
 * Known libpq limit: PQconnectStart() resolves host names synchronously; use
 * an IP address (hostaddr) in production conninfo if DNS may be slow.
 */
#include "db_int.h"

#include <stdio.h>
#include <string.h>

static void conn_start(struct db_conn *c);
static void conn_take_next(struct db_conn *c);
static void on_conn_io(evutil_socket_t fd, short what, void *arg);

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

void
db_timer_arm(struct event *ev, int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Close the socket and forget the connection; the query, if any, is the caller's. */
void
db_conn_close(struct db_conn *c)
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
	/* A new session has none of this one's prepared statements. */
	db_stmts_forget(c);
}

void
db_conn_retry_in(struct db_conn *c, int ms)
{
	c->state = CONN_DOWN;
	if (c->pool->closing)
		return;
	db_timer_arm(c->ev_timer, ms);
}

/*
 * The server went away under an established connection (or libpq says the
 * connection is unusable): fail its query, close it, and reconnect. The next
 * attempt tells whether the database is really down.
 */
void
db_conn_lost(struct db_conn *c, const char *why)
{
	char msg[400];

	if (c->q != NULL) {
		snprintf(msg, sizeof(msg), "database unavailable: %s", why);
		db_query_fail(c->q, SP_ERR_UNAVAILABLE, msg);
	}
	db_conn_close(c);
	db_conn_retry_in(c, DB_BACKOFF_MIN_MS);
}

static void
conn_lost_pq(struct db_conn *c)
{
	char why[300];
	const char *m = c->pg != NULL ? PQerrorMessage(c->pg) : "";

	snprintf(why, sizeof(why), "%.*s", (int)strcspn(m, "\n"), *m ? m : "connection lost");
	db_conn_lost(c, why);
}

static void
conn_attempt_failed(struct db_conn *c, const char *why)
{
	struct db_pool *pool = c->pool;
	char msg[400];

	snprintf(pool->last_error, sizeof(pool->last_error), "%.*s", (int)strcspn(why, "\n"), why);
	db_conn_close(c);
	pool->last_failed = 1;
	if (pool->connected == 0) {
		/* Nothing can serve the queue now: do not let it wait for deadlines. */
		db_pool_unavailable_msg(pool, msg, sizeof(msg));
		db_queue_fail_all(pool, SP_ERR_UNAVAILABLE, msg);
	}
	db_conn_retry_in(c, c->backoff_ms);
	c->backoff_ms =
		c->backoff_ms * 2 > DB_BACKOFF_MAX_MS ? DB_BACKOFF_MAX_MS : c->backoff_ms * 2;
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
	c->backoff_ms = DB_BACKOFF_MIN_MS;
	pool->connected++;
	pool->last_failed = 0;
	/* An idle connection watches reads so that a server shutdown is noticed now. */
	if (conn_watch(c, EV_READ) != 0) {
		db_conn_lost(c, "cannot watch the connection's socket");
		return;
	}
	conn_take_next(c);
}

static void
conn_connect_poll(struct db_conn *c)
{
	PostgresPollingStatusType st = PQconnectPoll(c->pg);

	/*
	 * libpq may have closed the socket and opened another with the same
	 * number (SSL or GSS fallback, next host): epoll forgot the old one, so
	 * register afresh at every step of the handshake.
	 */
	conn_unwatch(c);
	switch (st) {
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
	db_timer_arm(c->ev_timer, c->pool->connect_timeout_ms);
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
		db_conn_lost(c, "rollback of an abandoned transaction timed out");
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
		db_conn_lost(c, "cannot watch the connection's socket");
		return -1;
	}
	return 0;
}

/*
 * Send q on c: as the connection's prepared statement when q asks for one
 * (preparing it first when this connection has not yet: the execution
 * follows from conn_query_finished), else unnamed. -1: the connection was
 * lost (q failed, c is DOWN).
 */
static int
conn_send(struct db_conn *c, struct db_query *q)
{
	struct db_stmt *st = NULL;
	int ok, i = -1;

	if (q->prepare && !c->pool->no_prepare && (i = db_stmt_lookup(c, q->sql)) >= 0 &&
	    c->stmts[i].mode != STMT_UNNAMED)
		st = &c->stmts[i];
	c->stmt = i;
	if (st != NULL && st->mode == STMT_NEW) {
		c->phase = PH_PREPARE;
		ok = PQsendPrepare(c->pg, st->name, q->sql, q->nparams, NULL);
	} else if (st != NULL) {
		c->phase = PH_EXEC;
		ok = PQsendQueryPrepared(c->pg, st->name, q->nparams, q->values, q->lengths,
					 q->formats, q->binary_result ? 1 : 0);
	} else {
		c->phase = PH_UNNAMED;
		ok = PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, q->values, q->lengths,
				       q->formats, q->binary_result ? 1 : 0);
	}
	if (!ok) {
		/* Arguments were checked on entry, so this is the connection failing. */
		conn_lost_pq(c);
		return -1;
	}
	return conn_flush(c);
}

void
db_conn_dispatch(struct db_conn *c, struct db_query *q)
{
	struct db_pool *pool = c->pool;

	c->state = CONN_BUSY;
	pool->in_use++;
	sp_turns_start(&pool->turns, q->turn);
	c->q = q;
	q->conn = c;
	q->where = Q_RUNNING;
	c->just_prepared = 0;
	c->resend = 0;
	(void)conn_send(c, q);
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

	if (q != NULL && c->state == CONN_BUSY && q->err.code == SP_OK && ts == PQTRANS_IDLE &&
	    PQstatus(c->pg) == CONNECTION_OK) {
		if (c->resend) {
			/* The server lost the statement before running it: again, once more. */
			c->resend = 0;
			c->just_prepared = 0;
			q->retried++;
			(void)conn_send(c, q);
			return;
		}
		if (c->phase == PH_PREPARE) {
			/* Prepared: now the execution, on the same connection. */
			c->just_prepared = 1;
			(void)conn_send(c, q);
			return;
		}
	}
	c->resend = 0;
	if (q != NULL) {
		if (q->err.code == SP_OK && q->res == NULL)
			sp_err(&q->err, SP_ERR_DB, "the statement returned no result");
		db_query_complete(q);
	}
	if (c->state == CONN_BUSY && (ts == PQTRANS_INERROR || ts == PQTRANS_INTRANS)) {
		/* The statement opened a transaction (BEGIN) or left it aborted. */
		c->state = CONN_RESETTING;
		db_timer_arm(c->ev_timer, pool->query_timeout_ms);
		if (!PQsendQuery(c->pg, "ROLLBACK")) {
			conn_lost_pq(c);
			return;
		}
		(void)conn_flush(c);
		return;
	}
	if (ts != PQTRANS_IDLE || PQstatus(c->pg) != CONNECTION_OK) {
		db_conn_lost(c, "connection left in an unusable state");
		return;
	}
	evtimer_del(c->ev_timer);
	c->state = CONN_IDLE;
	pool->in_use--;
	conn_take_next(c);
}

/* The result of PQsendPrepare (conn_send). */
static void
stmt_prepared(struct db_conn *c, struct db_query *q, PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	/*
	 * 42P05: this server session has a statement of that name already (a
	 * pooler's session that another client prepared it on): the name is the
	 * hash of the text, so it is this statement.
	 */
	if (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    (state != NULL && strcmp(state, "42P05") == 0)) {
		c->stmts[c->stmt].mode = STMT_READY;
		c->pool->prepares++;
	} else if (q->err.code == SP_OK) {
		db_result_err(&q->err, c->pg, res); /* the text itself is wrong: as unnamed */
	}
	PQclear(res);
}

/*
 * Whether a prepared statement failed because of the statement, before it
 * ran (so it can be sent again): 26000, the server does not have it (DISCARD
 * ALL, or a pooler that put this client on another server session; right
 * after we prepared it, the latter: the pool stops preparing), or "cached
 * plan must not change result type" (a migration changed what it returns:
 * this connection sends it unnamed from now on).
 */
static int
stmt_lost(struct db_conn *c, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *fn = PQresultErrorField(res, PG_DIAG_SOURCE_FUNCTION);

	if (state == NULL || c->stmt < 0)
		return 0;
	if (strcmp(state, "26000") == 0) {
		c->stmts[c->stmt].mode = STMT_NEW;
		if (c->just_prepared)
			c->pool->no_prepare = 1;
	} else if (strcmp(state, "0A000") == 0 && fn != NULL &&
		   strcmp(fn, "RevalidateCachedQuery") == 0) {
		/* the function that raises it, whatever the server's language */
		c->stmts[c->stmt].mode = STMT_UNNAMED;
	} else {
		return 0;
	}
	c->resend = 1;
	return 1;
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
	if (c->phase == PH_PREPARE) {
		stmt_prepared(c, q, res);
		return;
	}
	if (c->phase == PH_EXEC && st == PGRES_FATAL_ERROR && q->err.code == SP_OK &&
	    q->retried < 2 && stmt_lost(c, res)) {
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
				sp_err(&c->q->err, SP_ERR_UNSUPPORTED,
				       "COPY is not supported by the pool");
				db_query_complete(c->q);
			}
			db_conn_lost(c, "COPY in progress");
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

/* An IDLE connection takes the next waiting query by turns (db_queue_take), if any. */
static void
conn_take_next(struct db_conn *c)
{
	struct db_query *q;

	if (c->state != CONN_IDLE || (q = db_queue_take(c->pool)) == NULL)
		return;
	db_conn_dispatch(c, q);
}

int
db_conn_init(struct db_conn *c, struct db_pool *pool)
{
	c->pool = pool;
	c->fd = -1;
	c->state = CONN_DOWN;
	c->backoff_ms = DB_BACKOFF_MIN_MS;
	c->ev_timer = evtimer_new(pool->base, on_conn_timer, c);
	return c->ev_timer != NULL ? 0 : -1;
}

void
db_conn_cleanup(struct db_conn *c)
{
	db_conn_close(c);
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	c->ev_timer = NULL;
}
