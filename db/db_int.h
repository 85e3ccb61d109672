/*
 * db_int.h: declarations shared by the files of db/ (not part of the API).
 */
#ifndef SP_DB_INT_H
#define SP_DB_INT_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <sys/queue.h>

#include "db.h"
#include "sp.h"

/*
 * ---- the raw query API: the typed calls of the aggregate files are built on
 * it; nothing above db/ sends SQL text. ------------------------------------------------- */

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
int db_query_send(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
		  int binary_result, int timeout_ms, db_done_fn cb, void *arg) SP_WUR;

/*
 * db_query_send() for a statement whose text is one of a fixed set (the
 * typed calls' own: a function call, a lookup by key): each connection
 * prepares it once (a protocol-level named statement, named by the SHA-256
 * of its text) and afterwards only binds and executes it, so PostgreSQL does
 * not parse, analyze and plan it again at every call. The same outcome as
 * db_query_send(). Never for text built from varying filters (lists): a
 * prepared statement may run a generic plan, and each text is kept on every
 * connection (at most DB_STMT_MAX; beyond that, statements go unnamed).
 * A statement the server lost (DISCARD ALL, a pooler that moved the session:
 * SQLSTATE 26000) is prepared again, and a pool whose statements vanish right
 * after being prepared (a transaction-mode pooler such as PgBouncer)
 * stops preparing; a reconnect starts afresh.
 */
int db_query_send_prepared(struct db_pool *pool, const char *sql, int nparams,
			   const struct db_param *params, int binary_result, int timeout_ms,
			   db_done_fn cb, void *arg) SP_WUR;

/* ---- the pool's structures (pool.c: queries and API, conn.c: connections) */

#define DB_BACKOFF_MIN_MS 100
/*
 * The longest wait between connection attempts while the database is away.
 * After a failover it is also the longest a node waits, once the new primary
 * is up, before it notices (a multi-host conninfo has no pooler to notice for
 * it): short, since an attempt at an unreachable or read-only host is cheap.
 */
#define DB_BACKOFF_MAX_MS 2000

enum conn_state {
	CONN_DOWN,       /* no socket; ev_timer schedules the next attempt */
	CONN_CONNECTING, /* PQconnectPoll in progress; ev_timer is the deadline */
	CONN_IDLE,       /* ready for a query; read watched to notice a close */
	CONN_BUSY,       /* running q */
	CONN_RESETTING   /* rolling back a transaction a query left open */
};

enum query_where { Q_NEW, Q_QUEUED, Q_RUNNING, Q_DONE };

struct db_conn;

struct db_query {
	TAILQ_ENTRY(db_query) link; /* queue or done list */
	struct db_pool *pool;
	struct db_conn *conn; /* while Q_RUNNING */
	enum query_where where;
	struct event *ev_timeout;
	int timeout_ms;
	const char *sql; /* all of these point into the same allocation */
	int nparams;
	const char **values;
	int *lengths;
	int *formats;
	int binary_result;
	int prepare;   /* db_query_send_prepared(): run as the connection's named statement */
	int retried;   /* times the statement was sent again (lost by the server) */
	PGresult *res; /* the result handed to cb on success */
	struct sp_errinfo err;
	db_done_fn cb;
	void *arg;
	struct sp_turn *turn;           /* its owner's turns while queued or running; NULL: none */
	unsigned char key[SP_TURN_KEY]; /* its owner (db_pool_owner_set), zeros: nobody's */
};

TAILQ_HEAD(query_list, db_query);

/* The statements a connection prepared (db_query_send_prepared). */
#define DB_STMT_MAX 256
enum stmt_mode {
	STMT_NEW,    /* to prepare before the next use */
	STMT_READY,  /* prepared on this connection */
	STMT_UNNAMED /* its result type changed under it: sent unnamed from now on */
};
struct db_stmt {
	uint64_t hash; /* FNV-1a of sql, to find it */
	char *sql;     /* a copy */
	char name[36]; /* "sp_" + 32 hex of the text's SHA-256 */
	enum stmt_mode mode;
};

/* Where a prepared query is (struct db_conn.phase). */
enum stmt_phase {
	PH_UNNAMED, /* sent with PQsendQueryParams */
	PH_PREPARE, /* PQsendPrepare in flight; the execution follows */
	PH_EXEC     /* PQsendQueryPrepared in flight */
};

struct db_conn {
	struct db_pool *pool;
	PGconn *pg;
	enum conn_state state;
	evutil_socket_t fd; /* the socket ev_rd/ev_wr were made for */
	struct event *ev_rd;
	struct event *ev_wr;
	struct event *ev_timer;
	int backoff_ms;
	int flushing; /* PQflush() returned 1: output pending */
	struct db_query *q;
	struct db_stmt *stmts; /* prepared statements, forgotten when the connection closes */
	int nstmts;
	enum stmt_phase phase;
	int stmt;          /* index in stmts of the running query's statement */
	int just_prepared; /* the execution follows this query's own PQsendPrepare */
	int resend;        /* the statement was lost: send the query again when it finishes */
};

struct db_pool {
	struct event_base *base;
	char *conninfo;
	int size;
	int queue_max;
	int query_timeout_ms;
	int connect_timeout_ms;
	struct db_conn *conns;
	struct query_list queue; /* in arrival order; taken by turns (db_queue_take) */
	int nqueued;
	struct sp_turns turns;          /* the owners of queued and running queries */
	unsigned char key[SP_TURN_KEY]; /* whose queries are sent now (db_pool_owner_set) */
	struct query_list done;
	int ndone;
	struct event *ev_done;
	int connected;
	int in_use;
	int last_failed; /* the most recent connection attempt failed */
	char last_error[256];
	unsigned long long queries;
	unsigned long long failures;
	unsigned long long prepares; /* statements prepared, all connections */
	int no_prepare;              /* statements vanished right after being prepared: a pooler */
	int closing;
	int *freed; /* set when db_pool_free runs inside on_done */
};

/* pool.c: finishing queries. The callback runs later, from the done event. */
void db_query_complete(struct db_query *q); /* outcome in q->err */
void db_query_fail(struct db_query *q, int code, const char *msg);
void db_queue_fail_all(struct db_pool *pool, int code, const char *msg);
void db_pool_unavailable_msg(const struct db_pool *pool, char *buf, size_t n);
/* The query a free connection takes next (removed from the queue), NULL when none. */
struct db_query *db_queue_take(struct db_pool *pool);

/* conn.c: the connection state machine. */
int db_conn_init(struct db_conn *c, struct db_pool *pool);    /* DOWN, timer made; -1: no memory */
void db_conn_cleanup(struct db_conn *c);                      /* closes; frees the timer */
void db_conn_close(struct db_conn *c);                        /* to DOWN; c->q is the caller's */
void db_conn_retry_in(struct db_conn *c, int ms);             /* next connection attempt */
void db_conn_lost(struct db_conn *c, const char *why);        /* fail c->q, close, reconnect */
void db_conn_dispatch(struct db_conn *c, struct db_query *q); /* c is IDLE */
void db_timer_arm(struct event *ev, int ms);

/* stmt.c: a connection's prepared statements. */
int db_stmt_lookup(struct db_conn *c, const char *sql); /* index, added as NEW; -1: unnamed */
void db_stmts_forget(struct db_conn *c); /* the connection closed: none is prepared */

/*
 * Fill ei from a failed PGresult: SP_ERR_UNAVAILABLE when the failure is the
 * connection's (class 08, operator intervention 57P, or no SQLSTATE while the
 * connection is bad); else the class and reason of db_sqlstate_map(), with
 * the table's fixed detail or the primary message. The SQLSTATE is kept for
 * logs. Returns the code recorded. conn may be NULL.
 */
int db_result_err(struct sp_errinfo *ei, const PGconn *conn, const PGresult *res);

/*
 * The one SQLSTATE table (errors.c): the sp_err class of a SQLSTATE raised by
 * migrations/ or PostgreSQL, its stable reason (the API's problem code) and a
 * fixed detail when the raised message is not for the caller (may be NULL).
 * SP_ERR_DB with NULLs for an unexpected SQLSTATE.
 */
int db_sqlstate_map(const char *state, const char **reason, const char **detail);

/* Copy a libpq error message into ei without its trailing newline. */
int db_conn_err(struct sp_errinfo *ei, int code, const char *what, const PGconn *conn);

/* ---- call.c: the plumbing of the typed calls ------------------------------------------ */

/* Row 0's binary integer column c of exactly size bytes (2, 4 or 8); -1 when NULL or misfit. */
int db_col_uint(const PGresult *res, int c, int size, uint64_t *out);
/* Row 0's bytea column c into a malloc'd copy (at least 1 byte); -1 when NULL or no memory. */
int db_col_bytes(const PGresult *res, int c, uint8_t **out, size_t *len);

/* A text parameter (value NULL is SQL NULL). */
void db_param_text(struct db_param *p, const char *value);

/* v in decimal into buf (at least 24 bytes); returns buf. */
const char *db_i64_text(char *buf, size_t n, int64_t v);

/* The int64 of a decimal column, 0 for SQL NULL. */
int64_t db_col_i64(const PGresult *res, int row, int col);

/* A text column, NULL for SQL NULL; owned by res. */
const char *db_col_text(const PGresult *res, int row, int col);

/*
 * A typed call whose statement returns one row with JSON text in its first
 * column: cb gets the parsed document (db_json_fn). No row, or SQL NULL,
 * fails with SP_ERR_NOT_FOUND, reason "not_found" and not_found as the
 * message (a static string; NULL: "not found"). Returns as db_query_send().
 */
int db_json_call(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
		 const char *not_found, db_json_fn cb, void *arg) SP_WUR;

/*
 * db_json_call's shape for a document the API passes on unchanged: cb gets
 * the statement's text and its length (db_text_fn), not parsed. The same
 * not-found rule.
 */
int db_text_call(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
		 const char *not_found, db_text_fn cb, void *arg) SP_WUR;

/*
 * A typed call whose statement returns one boolean, whether it found what it
 * changes: true is SP_OK, false (or no row) SP_ERR_NOT_FOUND with not_found
 * as the message; with not_found NULL any successful result is SP_OK.
 */
int db_status_call(struct db_pool *pool, const char *sql, int nparams,
		   const struct db_param *params, const char *not_found, db_status_fn cb,
		   void *arg) SP_WUR;

/* A typed call whose statement returns one integer (0 for no row or NULL). */
int db_count_call(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
		  db_count_fn cb, void *arg) SP_WUR;

/*
 * auth.c: the credential in columns col .. col + DB_CREDENTIAL_COLS - 1 of
 * row 0 (kind, credential_id, user_id, organization_id, certificate_id,
 * credit_code: auth_credential_lookup's and auth_member's columns, text or
 * binary; later rows, as in a document sent in parts, are not read). -1 when
 * they do not decode or there is no row.
 */
#define DB_CREDENTIAL_COLS 6
int db_credential_decode(const PGresult *res, int col, struct db_credential *c);

/* Record "unexpected result" (SP_ERR_DB) in ei, for a result of the wrong shape. */
int db_shape_err(struct sp_errinfo *ei, const char *what);

/*
 * audit.c: a struct db_actor as the text parameters of a state-changing SQL
 * function: org (NULL when 0), user (NULL when 0), ip (NULL unless an IPv4
 * or IPv6 address) and ua (NULL when empty; at most DB_USER_AGENT_MAX bytes,
 * cut at a UTF-8 boundary, invalid bytes replaced by '?', since a header may
 * carry any bytes and a text parameter must be UTF-8). The pointers point
 * into t; db_query_send() copies them.
 */
struct db_actor_text {
	char org_buf[24], user_buf[24], ip_buf[64], ua_buf[DB_USER_AGENT_MAX + 1];
	const char *org, *user, *ip, *ua;
};
void db_actor_text_fill(struct db_actor_text *t, const struct db_actor *who);

/*
 * contracts.c: the one visibility check of reads of one contract. Fills
 * v->sql with "SELECT <cols> FROM contracts c <join> WHERE c.number = $1 AND
 * <organization $2 may see c> <and>" and v->p[0..1] with number and org;
 * the caller may set v->p[2..] ($3..) and v->n. An organization sees a
 * contract it initiated, and one it is a party of once it was sent, so a
 * contract it may not see gives no row, like one that does not exist.
 * SP_ERR_INVALID when the statement does not fit.
 */
#define DB_VISIBLE_PARAMS_MAX 5
struct db_visible {
	char sql[1024];
	char number[24], org[24];
	struct db_param p[DB_VISIBLE_PARAMS_MAX];
	int n;
};
int db_contract_visible(struct db_visible *v, int64_t number, int64_t org, const char *cols,
			const char *join, const char *and) SP_WUR;

#endif /* SP_DB_INT_H */
