/*
 * test_db.c: the asynchronous PostgreSQL pool (db/db.h) against a real
 * PostgreSQL: the suite's throwaway cluster ($SEALPACT_TEST_PGDIR/url), in a
 * database of each test's own, and for the restart test a private cluster
 * this test starts, stops and starts again.
 */
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_int.h"
#include "support_ports.h"

/* ---- helpers ---------------------------------------------------------- */

static char admin_url[1024];
static char db_name[64];
static char db_url[1100];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
admin_exec(const char *url, const char *sql)
{
	PGconn *pg = PQconnectdb(url);
	PGresult *res;

	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "connect %s: %s", url, PQerrorMessage(pg));
	res = PQexec(pg, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK ||
			      PQresultStatus(res) == PGRES_TUPLES_OK,
		      "%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(pg);
}

/* Replace the database of a postgresql:// URL (its last path component). */
static void
url_with_db(const char *url, const char *db, char *out, size_t n)
{
	const char *slash = strrchr(url, '/');

	ck_assert_ptr_nonnull(slash);
	snprintf(out, n, "%.*s/%s", (int)(slash - url), url, db);
}

/* Each test gets a database of its own in the throwaway cluster. */
static void
db_setup(void)
{
	const char *dir = getenv("SEALPACT_TEST_PGDIR");
	char path[1024], sql[128];
	FILE *f;

	ck_assert_msg(dir != NULL, "SEALPACT_TEST_PGDIR is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/url", dir);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_ptr_nonnull(fgets(admin_url, sizeof(admin_url), f));
	fclose(f);
	admin_url[strcspn(admin_url, "\r\n")] = '\0';
	snprintf(db_name, sizeof(db_name), "sp_test_db_%ld_%ld", (long)getpid(), (long)time(NULL));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db_name);
	admin_exec(admin_url, sql);
	url_with_db(admin_url, db_name, db_url, sizeof(db_url));
}

static void
db_teardown(void)
{
	char sql[128];

	if (db_name[0] == '\0')
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
	admin_exec(admin_url, sql);
	db_name[0] = '\0';
}

/* What one callback saw. */
struct outcome {
	int calls;
	int code;
	char sqlstate[6];
	char msg[512];
	int ntuples;
	char *value; /* first column of the first row, copied */
	int vlen;
	double at;
	int *counter; /* incremented on every call */
	struct event_base *base;
	int stop_at; /* loopbreak when *counter reaches it */
};

static void
on_result(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct outcome *o = arg;

	o->calls++;
	o->code = err->code;
	o->at = now_s();
	snprintf(o->sqlstate, sizeof(o->sqlstate), "%s", err->sqlstate);
	snprintf(o->msg, sizeof(o->msg), "%s", err->msg);
	if (err->code == SP_OK) {
		ck_assert_ptr_nonnull(res);
		o->ntuples = PQntuples(res);
		if (o->ntuples > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
			o->vlen = PQgetlength(res, 0, 0);
			o->value = malloc((size_t)o->vlen + 1);
			ck_assert_ptr_nonnull(o->value);
			memcpy(o->value, PQgetvalue(res, 0, 0), (size_t)o->vlen);
			o->value[o->vlen] = '\0';
		}
	} else {
		ck_assert_ptr_null(res);
	}
	if (o->counter != NULL && ++*o->counter == o->stop_at)
		event_base_loopbreak(o->base);
}

static void
on_guard(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

/* Run the loop until *counter reaches target or seconds pass. */
static void
run_until(struct event_base *base, int *counter, int target, double seconds)
{
	int expired = 0;
	struct event *guard = evtimer_new(base, on_guard, &expired);
	struct timeval tv = { (long)seconds, (long)((seconds - (long)seconds) * 1e6) };

	ck_assert_ptr_nonnull(guard);
	evtimer_add(guard, &tv);
	while (*counter < target && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
}

static void
outcome_init(struct outcome *o, struct event_base *base, int *counter, int stop_at)
{
	memset(o, 0, sizeof(*o));
	o->base = base;
	o->counter = counter;
	o->stop_at = stop_at;
}

static void
outcome_cleanup(struct outcome *o)
{
	free(o->value);
	o->value = NULL;
}

static struct db_pool *
pool_open(struct event_base *base, const char *url, int size, int queue_max, int timeout_ms)
{
	struct db_pool_opts opts = { url, size, queue_max, timeout_ms, 2000 };
	struct db_pool *pool = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(db_pool_new(base, &opts, &pool, &ei) == SP_OK, "db_pool_new: %s", ei.msg);
	return pool;
}

/* Run one statement to completion; the outcome is the caller's to clean up. */
static void
run_one(struct event_base *base, struct db_pool *pool, const char *sql, int nparams,
	const struct db_param *params, int binary, int timeout_ms, struct outcome *o)
{
	int n = 0;

	outcome_init(o, base, &n, 1);
	ck_assert_int_eq(db_query_send(pool, sql, nparams, params, binary, timeout_ms, on_result,
				       o),
			 SP_OK);
	ck_assert_int_eq(o->calls, 0); /* never from inside db_query_send */
	run_until(base, &n, 1, 30);
	ck_assert_int_eq(o->calls, 1);
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(text_params)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool = pool_open(base, db_url, 2, 10, 5000);
	struct db_param p[3] = { { "40", 0, 0 }, { "2", 0, 0 }, { "h\xc3\xa9llo", 0, 0 } };
	struct db_param pn[1] = { { NULL, 0, 0 } };
	struct outcome o;

	run_one(base, pool, "SELECT ($1::int + $2::int)::text || ' ' || $3::text", 3, p, 0, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_int_eq(o.ntuples, 1);
	ck_assert_str_eq(o.value, "42 h\xc3\xa9llo");
	outcome_cleanup(&o);

	/* A NULL value is SQL NULL, and a parameter never becomes SQL text. */
	run_one(base, pool, "SELECT $1::text IS NULL", 1, pn, 0, 0, &o);
	ck_assert_str_eq(o.value, "t");
	outcome_cleanup(&o);
	p[0].value = "1; DROP TABLE x";
	run_one(base, pool, "SELECT $1::text", 1, p, 0, 0, &o);
	ck_assert_str_eq(o.value, "1; DROP TABLE x");
	outcome_cleanup(&o);

	/* Bad arguments are refused synchronously and never call back. */
	ck_assert_int_eq(db_query_send(pool, "SELECT 1", -1, NULL, 0, 0, on_result, &o),
			 SP_ERR_INVALID);
	ck_assert_int_eq(db_query_send(pool, "SELECT $1", 1, NULL, 0, 0, on_result, &o),
			 SP_ERR_INVALID);
	ck_assert_int_eq(db_query_send(pool, NULL, 0, NULL, 0, 0, on_result, &o), SP_ERR_INVALID);
	ck_assert_int_eq(db_query_send(pool, "SELECT 1", 0, NULL, 0, 0, NULL, &o), SP_ERR_INVALID);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/* db_text_call's callback: a copy of the text, its length, the outcome. */
struct text_outcome {
	int calls, code, n;
	char reason[64], msg[512];
	char *text;
	size_t len;
};

static void
on_text(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct text_outcome *o = arg;

	o->calls++;
	o->n++;
	o->code = err->code;
	snprintf(o->reason, sizeof(o->reason), "%s", err->reason);
	snprintf(o->msg, sizeof(o->msg), "%s", err->msg);
	if (err->code == SP_OK) {
		ck_assert_ptr_nonnull(text);
		ck_assert_uint_eq(strlen(text), len); /* NUL-terminated at len */
		o->text = strdup(text);
		o->len = len;
	} else {
		ck_assert_ptr_null(text);
		ck_assert_uint_eq(len, 0);
	}
}

static void
text_one(struct event_base *base, struct db_pool *pool, const char *sql, int nparams,
	 const struct db_param *p, const char *not_found, struct text_outcome *o)
{
	memset(o, 0, sizeof(*o));
	ck_assert_int_eq(db_text_call(pool, sql, nparams, p, not_found, on_text, o), SP_OK);
	ck_assert_int_eq(o->calls, 0);
	run_until(base, &o->n, 1, 30);
	ck_assert_int_eq(o->calls, 1);
}

/*
 * A document the API passes on is handed over byte for byte as PostgreSQL
 * printed it, jsonb or json alike (no parse, no re-serialization: key order,
 * spacing and escapes are the database's); no row or SQL NULL is not_found
 * with the call's message, an SQL error keeps its class.
 */
START_TEST(text_call_passes_text_through)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool = pool_open(base, db_url, 2, 10, 5000);
	struct db_param p[1] = { { "h\xc3\xa9 \"q\"\n", 0, 0 } };
	struct text_outcome o;

	text_one(base, pool,
		 "SELECT jsonb_build_object('name', $1::text, 'n', 1.50, 'a', '[]'::jsonb)::text",
		 1, p, NULL, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_str_eq(o.text, "{\"a\": [], \"n\": 1.50, \"name\": \"h\xc3\xa9 \\\"q\\\"\\n\"}");
	free(o.text);

	text_one(base, pool, "SELECT json_build_object('z', 1, 'a', $1::text)::text", 1, p, NULL,
		 &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_str_eq(o.text, "{\"z\" : 1, \"a\" : \"h\xc3\xa9 \\\"q\\\"\\n\"}");
	free(o.text);

	text_one(base, pool, "SELECT NULL::text", 0, NULL, "no such thing", &o);
	ck_assert_int_eq(o.code, SP_ERR_NOT_FOUND);
	ck_assert_str_eq(o.reason, "not_found");
	ck_assert_str_eq(o.msg, "no such thing");
	text_one(base, pool, "SELECT 'x'::text WHERE false", 0, NULL, NULL, &o);
	ck_assert_int_eq(o.code, SP_ERR_NOT_FOUND);

	text_one(base, pool, "SELECT 1/0", 0, NULL, NULL, &o);
	ck_assert_int_ne(o.code, SP_OK);
	ck_assert_int_ne(o.code, SP_ERR_NOT_FOUND);

	ck_assert_int_eq(db_text_call(pool, "SELECT 1", 0, NULL, NULL, NULL, &o), SP_ERR_INVALID);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

START_TEST(bytea_binary_roundtrip)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool = pool_open(base, db_url, 1, 10, 10000);
	size_t n = 3 * 1024 * 1024 + 7, i;
	char *blob = malloc(n);
	struct db_param p[1];
	struct outcome o;
	unsigned char md[32];
	char hex[65], want[128];

	ck_assert_ptr_nonnull(blob);
	for (i = 0; i < n; i++)
		blob[i] = (char)(i * 131 + (i >> 9)); /* every byte value, NULs included */
	p[0].value = blob;
	p[0].len = (int)n;
	p[0].binary = 1;
	run_one(base, pool, "SELECT $1::bytea", 1, p, 1, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_int_eq(o.vlen, (int)n);
	ck_assert(memcmp(o.value, blob, n) == 0);
	outcome_cleanup(&o);

	/* The server saw the same bytes: its digest and length match ours. */
	ck_assert(EVP_Digest(blob, n, md, NULL, EVP_sha256(), NULL));
	sp_hex(md, sizeof(md), hex);
	snprintf(want, sizeof(want), "%zu:%s", n, hex);
	run_one(base, pool, "SELECT length($1::bytea)::text || ':' || encode(sha256($1), 'hex')", 1,
		p, 0, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_str_eq(o.value, want);
	outcome_cleanup(&o);
	free(blob);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/* The one SQLSTATE table: class, reason and fixed detail. */
START_TEST(sqlstate_table)
{
	const char *reason, *detail;

	ck_assert_int_eq(db_sqlstate_map("SP419", &reason, &detail), SP_ERR_CONFLICT);
	ck_assert_str_eq(reason, "out_of_turn");
	ck_assert_ptr_null(detail);
	ck_assert_int_eq(db_sqlstate_map("SPS10", &reason, &detail), SP_ERR_EXPIRED);
	ck_assert_str_eq(reason, "session_expired");
	/* 035: a check of the claim did not hold where a completion in one trip stores */
	ck_assert_int_eq(db_sqlstate_map("SPS35", &reason, &detail), SP_ERR_CONFLICT);
	ck_assert_str_eq(reason, "claim_needed");
	ck_assert_int_eq(db_sqlstate_map("SA003", &reason, &detail), SP_ERR_UNAUTHORIZED);
	ck_assert_str_eq(reason, "challenge_expired");
	ck_assert_ptr_nonnull(detail);
	ck_assert_int_eq(db_sqlstate_map("22P02", &reason, &detail), SP_ERR_INVALID);
	ck_assert_int_eq(db_sqlstate_map("40P01", &reason, &detail), SP_ERR_BUSY);
	ck_assert_str_eq(reason, "retry");
	/* A class prefix matches only a full five-character SQLSTATE. */
	ck_assert_int_eq(db_sqlstate_map("22", &reason, &detail), SP_ERR_DB);
	ck_assert_int_eq(db_sqlstate_map("42P01", &reason, &detail), SP_ERR_DB);
	ck_assert_ptr_null(reason);
	ck_assert_int_eq(db_sqlstate_map(NULL, &reason, &detail), SP_ERR_DB);
}
END_TEST

START_TEST(sql_error_then_reusable)
{
	struct event_base *base = event_base_new();
	/* One connection, so every statement below runs on the same one. */
	struct db_pool *pool = pool_open(base, db_url, 1, 10, 5000);
	struct db_pool_stats st;
	struct outcome o;

	/* Class 22 (a data exception) is a bad value: the caller's to fix. */
	run_one(base, pool, "SELECT 1/0", 0, NULL, 0, 0, &o);
	ck_assert_int_eq(o.code, SP_ERR_INVALID);
	ck_assert_str_eq(o.sqlstate, "22012");
	ck_assert_msg(strstr(o.msg, "division by zero") != NULL, "%s", o.msg);
	run_one(base, pool, "SELECT 'still here'", 0, NULL, 0, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_str_eq(o.value, "still here");
	outcome_cleanup(&o);

	/*
	 * A statement that leaves a transaction open (or aborted) must not leak it
	 * into the next query: without a rollback the 1/0 would abort the open
	 * transaction and 'SELECT 2' would fail with 25P02.
	 */
	run_one(base, pool, "BEGIN", 0, NULL, 0, 0, &o);
	ck_assert_int_eq(o.code, SP_OK);
	run_one(base, pool, "SELECT 1/0", 0, NULL, 0, 0, &o);
	ck_assert_str_eq(o.sqlstate, "22012");
	run_one(base, pool, "SELECT 2", 0, NULL, 0, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s (%s)", o.msg, o.sqlstate);
	outcome_cleanup(&o);

	/* An unknown table: a server error with its SQLSTATE, nothing else. */
	run_one(base, pool, "SELECT * FROM no_such_table", 0, NULL, 0, 0, &o);
	ck_assert_int_eq(o.code, SP_ERR_DB);
	ck_assert_str_eq(o.sqlstate, "42P01");
	db_pool_stats_get(pool, &st);
	ck_assert_int_eq(st.size, 1);
	ck_assert_int_eq(st.connected, 1);
	ck_assert_int_eq(st.in_use, 0);
	ck_assert_uint_eq(st.queries, 6);
	ck_assert_uint_eq(st.failures, 3);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/* run_one() through db_query_send_prepared(). */
static void
run_prepared(struct event_base *base, struct db_pool *pool, const char *sql, int nparams,
	     const struct db_param *params, struct outcome *o)
{
	int n = 0;

	outcome_init(o, base, &n, 1);
	ck_assert_int_eq(db_query_send_prepared(pool, sql, nparams, params, 0, 0, on_result, o),
			 SP_OK);
	ck_assert_int_eq(o->calls, 0);
	run_until(base, &n, 1, 30);
	ck_assert_int_eq(o->calls, 1);
}

/* How many statements the pool's connection holds prepared under the text sql. */
static int
prepared_count(struct event_base *base, struct db_pool *pool, const char *sql)
{
	struct db_param p[1] = { { sql, 0, 0 } };
	struct outcome o;
	int n;

	run_one(base, pool,
		"SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'sp\\_%' "
		"AND statement = $1",
		1, p, 0, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	n = atoi(o.value);
	outcome_cleanup(&o);
	return n;
}

/*
 * A fixed statement is prepared once per connection and then only executed;
 * an error (of a value, of the text) leaves the connection and the statement
 * usable; a statement the session lost (DISCARD ALL), one whose result type
 * changed under it, and a reconnect are recovered without the caller seeing
 * anything but the answer.
 */
START_TEST(prepared_statements)
{
	static const char add[] = "SELECT ($1::int + 1)::text";
	static const char div[] = "SELECT (10 / $1::int)::text";
	struct event_base *base = event_base_new();
	/* One connection, so that every statement below runs on the same one. */
	struct db_pool *pool = pool_open(base, db_url, 1, 10, 5000);
	struct db_param p[1] = { { "41", 0, 0 } };
	struct db_pool_stats st;
	struct outcome o;
	int i;

	for (i = 0; i < 3; i++) {
		run_prepared(base, pool, add, 1, p, &o);
		ck_assert_msg(o.code == SP_OK, "%s", o.msg);
		ck_assert_str_eq(o.value, "42");
		outcome_cleanup(&o);
	}
	ck_assert_int_eq(prepared_count(base, pool, add), 1);
	ck_assert_uint_eq(pool->prepares, 1);

	/* A value the statement fails on: the error, then the same statement works. */
	p[0].value = "0";
	run_prepared(base, pool, div, 1, p, &o);
	ck_assert_str_eq(o.sqlstate, "22012");
	ck_assert_int_eq(o.code, SP_ERR_INVALID);
	p[0].value = "5";
	run_prepared(base, pool, div, 1, p, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_str_eq(o.value, "2");
	outcome_cleanup(&o);
	ck_assert_int_eq(prepared_count(base, pool, div), 1);

	/* A text that does not prepare fails as it would unnamed; the connection goes on. */
	run_prepared(base, pool, "SELEC 1", 0, NULL, &o);
	ck_assert_str_eq(o.sqlstate, "42601");
	run_prepared(base, pool, "SELECT * FROM no_such_table", 0, NULL, &o);
	ck_assert_str_eq(o.sqlstate, "42P01");
	p[0].value = "1";
	run_prepared(base, pool, add, 1, p, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_str_eq(o.value, "2");
	outcome_cleanup(&o);

	/* The session forgets its statements: they are prepared again. */
	run_one(base, pool, "DISCARD ALL", 0, NULL, 0, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_int_eq(prepared_count(base, pool, add), 0);
	run_prepared(base, pool, add, 1, p, &o);
	ck_assert_msg(o.code == SP_OK, "%s (%s)", o.msg, o.sqlstate);
	ck_assert_str_eq(o.value, "2");
	outcome_cleanup(&o);
	ck_assert_int_eq(prepared_count(base, pool, add), 1);
	ck_assert_int_eq(pool->no_prepare, 0); /* not a pooler: it stays prepared */

	/* What the statement returns changes under it (a migration): still answered. */
	admin_exec(db_url, "CREATE TABLE prep_t (a int); INSERT INTO prep_t VALUES (7)");
	run_prepared(base, pool, "SELECT * FROM prep_t", 0, NULL, &o);
	ck_assert_str_eq(o.value, "7");
	outcome_cleanup(&o);
	admin_exec(db_url, "ALTER TABLE prep_t ADD COLUMN b int");
	run_prepared(base, pool, "SELECT * FROM prep_t", 0, NULL, &o);
	ck_assert_msg(o.code == SP_OK, "%s (%s)", o.msg, o.sqlstate);
	ck_assert_str_eq(o.value, "7");
	outcome_cleanup(&o);

	/* A new session (the server ended the old one) prepares afresh. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
			 "WHERE datname = '%s' AND pid <> pg_backend_pid()",
			 db_name);
		PGconn *pg = PQconnectdb(db_url);
		PGresult *res = PQexec(pg, sql);

		ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
		PQclear(res);
		PQfinish(pg);
	}
	for (i = 0; i < 100; i++) {
		run_until(base, &(int){ 0 }, 1, 0.05);
		db_pool_stats_get(pool, &st);
		if (st.connected == 1 && pool->conns[0].nstmts == 0)
			break;
	}
	ck_assert_int_eq(pool->conns[0].nstmts, 0);
	for (i = 0; i < 100; i++) {
		run_prepared(base, pool, add, 1, p, &o);
		if (o.code == SP_OK)
			break;
		ck_assert_int_eq(o.code, SP_ERR_UNAVAILABLE); /* only while reconnecting */
		run_until(base, &(int){ 0 }, 1, 0.05);
	}
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_str_eq(o.value, "2");
	outcome_cleanup(&o);
	ck_assert_int_eq(prepared_count(base, pool, add), 1);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

#define CONC_N 200

START_TEST(concurrency_exactly_once)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool = pool_open(base, db_url, 4, CONC_N, 20000);
	struct outcome *o = calloc(CONC_N, sizeof(*o));
	char vals[CONC_N][16];
	struct db_param p[CONC_N][1];
	struct db_pool_stats st;
	int i, n = 0, peak = 0, prev;

	ck_assert_ptr_nonnull(o);
	/* All four connections up first, so that the queries really spread. */
	for (i = 0; i < 100; i++) {
		db_pool_stats_get(pool, &st);
		if (st.connected == 4)
			break;
		run_until(base, &(int){ 0 }, 1, 0.1);
	}
	ck_assert_int_eq(st.connected, 4);
	for (i = 0; i < CONC_N; i++) {
		outcome_init(&o[i], base, &n, CONC_N);
		snprintf(vals[i], sizeof(vals[i]), "%d", i);
		p[i][0].value = vals[i];
		p[i][0].binary = 0;
		ck_assert_int_eq(db_query_send(pool, "SELECT $1::int * 3 FROM pg_sleep(0.002)", 1,
					       p[i], 0, 0, on_result, &o[i]),
				 SP_OK);
	}
	db_pool_stats_get(pool, &st);
	ck_assert_int_le(st.in_use, 4);
	/* Watch the pool while it drains: never more than 4 busy connections. */
	while (n < CONC_N) {
		prev = n;
		run_until(base, &n, n + 1, 30);
		if (n == prev)
			break; /* no progress: the checks below report it */
		db_pool_stats_get(pool, &st);
		ck_assert_int_le(st.in_use, 4);
		if (st.in_use > peak)
			peak = st.in_use;
	}
	run_until(base, &n, CONC_N, 30);
	ck_assert_int_eq(n, CONC_N);
	for (i = 0; i < CONC_N; i++) {
		ck_assert_int_eq(o[i].calls, 1);
		ck_assert_msg(o[i].code == SP_OK, "query %d: %s", i, o[i].msg);
		ck_assert_int_eq(atoi(o[i].value), i * 3);
		outcome_cleanup(&o[i]);
	}
	/* Nothing more arrives later (exactly once). */
	run_until(base, &n, CONC_N + 1, 0.3);
	ck_assert_int_eq(n, CONC_N);
	db_pool_stats_get(pool, &st);
	ck_assert_int_eq(st.waiting, 0);
	ck_assert_int_eq(st.in_use, 0);
	ck_assert_int_eq(st.connected, 4);
	ck_assert_uint_eq(st.queries, CONC_N);
	ck_assert_uint_eq(st.failures, 0);
	ck_assert_int_eq(peak, 4);
	free(o);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

START_TEST(queue_full_is_busy)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool = pool_open(base, db_url, 1, 2, 10000);
	struct outcome o[4], warm;
	struct db_pool_stats st;
	int i, n = 0;

	/* Wait for the connection, so the first query runs and two wait. */
	run_one(base, pool, "SELECT 1", 0, NULL, 0, 0, &warm);
	outcome_cleanup(&warm);
	for (i = 0; i < 3; i++) {
		outcome_init(&o[i], base, &n, 3);
		ck_assert_int_eq(db_query_send(pool, "SELECT pg_sleep(0.1)", 0, NULL, 0, 0,
					       on_result, &o[i]),
				 SP_OK);
	}
	db_pool_stats_get(pool, &st);
	ck_assert_int_eq(st.in_use, 1);
	ck_assert_int_eq(st.waiting, 2);
	outcome_init(&o[3], base, &n, 3);
	ck_assert_int_eq(db_query_send(pool, "SELECT 1", 0, NULL, 0, 0, on_result, &o[3]),
			 SP_ERR_BUSY);
	run_until(base, &n, 3, 10);
	run_until(base, &n, 4, 0.3);
	ck_assert_int_eq(n, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(o[i].calls, 1);
		ck_assert_msg(o[i].code == SP_OK, "%s", o[i].msg);
		outcome_cleanup(&o[i]);
	}
	ck_assert_int_eq(o[3].calls, 0); /* refused: no callback */
	/* FIFO: a queued query does not overtake an earlier one. */
	ck_assert(o[0].at <= o[1].at && o[1].at <= o[2].at);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/*
 * sec35: owners take turns. One connection; the attacker's query runs and
 * three more of it wait, then one of the victim's: the victim's runs next,
 * before the attacker's queued ones (which keep their order). A query
 * sent with no owner set is nobody's.
 */
START_TEST(owners_take_turns_in_the_queue)
{
	static const unsigned char a[SP_TURN_KEY] = "o-attacker", v[SP_TURN_KEY] = "o-victim";
	struct event_base *base = event_base_new();
	struct db_pool *pool = pool_open(base, db_url, 1, 16, 10000);
	struct outcome o[5], warm;
	int i, n = 0;

	run_one(base, pool, "SELECT 1", 0, NULL, 0, 0, &warm);
	outcome_cleanup(&warm);
	db_pool_owner_set(pool, a);
	for (i = 0; i < 4; i++) {
		outcome_init(&o[i], base, &n, 5);
		ck_assert_int_eq(db_query_send(pool, "SELECT pg_sleep(0.05)", 0, NULL, 0, 0,
					       on_result, &o[i]),
				 SP_OK);
	}
	db_pool_owner_set(pool, v);
	outcome_init(&o[4], base, &n, 5);
	ck_assert_int_eq(db_query_send(pool, "SELECT 1", 0, NULL, 0, 0, on_result, &o[4]), SP_OK);
	db_pool_owner_set(pool, NULL);
	run_until(base, &n, 5, 10);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(o[i].calls, 1);
		ck_assert_msg(o[i].code == SP_OK, "%s", o[i].msg);
		outcome_cleanup(&o[i]);
	}
	ck_assert(o[0].at <= o[4].at && o[4].at <= o[1].at);
	ck_assert(o[1].at <= o[2].at && o[2].at <= o[3].at);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

START_TEST(timeout_then_pool_works)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool = pool_open(base, db_url, 1, 10, 10000);
	struct outcome o;
	double t0, took;

	run_one(base, pool, "SELECT 1", 0, NULL, 0, 0, &o);
	outcome_cleanup(&o);
	t0 = now_s();
	run_one(base, pool, "SELECT pg_sleep(5)", 0, NULL, 0, 300, &o);
	took = o.at - t0;
	ck_assert_msg(o.code == SP_ERR_TIMEOUT, "%d %s", o.code, o.msg);
	/* at its 0.3 s, not at the statement's 5 s end nor ten times late (a loaded
	   machine's seconds are what the rest of the bound is for) */
	ck_assert_msg(took >= 0.25 && took < 3.0, "timeout after %.3f s", took);
	/* The only connection was dropped; the pool reconnects by itself. */
	run_one(base, pool, "SELECT 'again'", 0, NULL, 0, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_str_eq(o.value, "again");
	outcome_cleanup(&o);
	/* A queued query's deadline counts from the send, too. */
	{
		struct outcome a, b;
		int n = 0;

		outcome_init(&a, base, &n, 2);
		outcome_init(&b, base, &n, 2);
		ck_assert_int_eq(db_query_send(pool, "SELECT pg_sleep(1)", 0, NULL, 0, 0, on_result,
					       &a),
				 SP_OK);
		ck_assert_int_eq(db_query_send(pool, "SELECT 1", 0, NULL, 0, 200, on_result, &b),
				 SP_OK);
		run_until(base, &n, 2, 10);
		ck_assert_int_eq(b.code, SP_ERR_TIMEOUT);
		ck_assert_int_eq(a.code, SP_OK);
		ck_assert(b.at < a.at);
		outcome_cleanup(&a);
		outcome_cleanup(&b);
	}
	db_pool_free(pool);

	/* The server's own statement_timeout is a timeout too, with its SQLSTATE. */
	{
		char url[1300];

		snprintf(url, sizeof(url), "%s?options=-c%%20statement_timeout%%3D100", db_url);
		pool = pool_open(base, url, 1, 10, 10000);
		run_one(base, pool, "SELECT pg_sleep(2)", 0, NULL, 0, 0, &o);
		ck_assert_msg(o.code == SP_ERR_TIMEOUT, "%d %s", o.code, o.msg);
		ck_assert_str_eq(o.sqlstate, "57014");
		run_one(base, pool, "SELECT 'fine'", 0, NULL, 0, 0, &o);
		ck_assert_msg(o.code == SP_OK, "%s", o.msg);
		outcome_cleanup(&o);
		db_pool_free(pool);
	}
	event_base_free(base);
}
END_TEST

static int free_calls;

static void
on_free_result(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	ck_assert_int_eq(err->code, SP_ERR_UNAVAILABLE);
	free_calls++;
}

START_TEST(free_fails_pending)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool = pool_open(base, db_url, 1, 10, 10000);
	struct outcome o;

	run_one(base, pool, "SELECT 1", 0, NULL, 0, 0, &o);
	outcome_cleanup(&o);
	free_calls = 0;
	ck_assert_int_eq(db_query_send(pool, "SELECT pg_sleep(5)", 0, NULL, 0, 0, on_free_result,
				       NULL),
			 SP_OK);
	ck_assert_int_eq(db_query_send(pool, "SELECT 1", 0, NULL, 0, 0, on_free_result, NULL),
			 SP_OK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	db_pool_free(pool);
	ck_assert_int_eq(free_calls, 2);
	db_pool_free(NULL);
	event_base_free(base);
}
END_TEST

START_TEST(down_from_the_start_fails_fast)
{
	struct event_base *base = event_base_new();
	char url[128];
	struct db_pool *pool;
	struct db_pool_opts bad = { "host=127.0.0.1 port=notaport", 1, 1, 1000, 1000 };
	struct sp_errinfo ei;
	struct outcome o;
	double t0;
	int i, nobody;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_pool_new(base, &bad, &pool, &ei), SP_OK); /* parsed later by libpq */
	db_pool_free(pool);
	bad.conninfo = "host=127.0.0.1 nonsense_keyword=1";
	ck_assert_int_eq(db_pool_new(base, &bad, &pool, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(pool);
	bad.conninfo = "host=127.0.0.1";
	bad.size = 0;
	ck_assert_int_eq(db_pool_new(base, &bad, &pool, NULL), SP_ERR_INVALID);

	/* Nothing listens there: queries fail with UNAVAILABLE, not after a deadline. */
	snprintf(url, sizeof(url), "postgresql://sealpact@127.0.0.1:%d/postgres",
		 test_port_refused(&nobody));
	pool = pool_open(base, url, 2, 10, 30000);
	for (i = 0; i < 3; i++) {
		t0 = now_s();
		run_one(base, pool, "SELECT 1", 0, NULL, 0, 0, &o);
		ck_assert_int_eq(o.code, SP_ERR_UNAVAILABLE);
		/* at once, not at the 30 s deadline (the rest is a loaded machine's) */
		ck_assert_msg(o.at - t0 < 10.0, "took %.3f s", o.at - t0);
		ck_assert_msg(strstr(o.msg, "unavailable") != NULL, "%s", o.msg);
	}
	db_pool_free(pool);
	event_base_free(base);
	close(nobody);
}
END_TEST

/* libpq moves to the next host on a new socket mid-handshake; the pool follows. */
START_TEST(next_host_after_refusal)
{
	struct event_base *base = event_base_new();
	const char *at = strchr(db_url, '@');
	char url[1300];
	struct db_pool *pool;
	struct outcome o;
	int nobody;

	ck_assert_ptr_nonnull(at);
	snprintf(url, sizeof(url), "%.*s127.0.0.1:%d,%s", (int)(at - db_url + 1), db_url,
		 test_port_refused(&nobody), at + 1);
	pool = pool_open(base, url, 2, 10, 5000);
	run_one(base, pool, "SELECT 'second host'", 0, NULL, 0, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s: %s", url, o.msg);
	ck_assert_str_eq(o.value, "second host");
	outcome_cleanup(&o);
	db_pool_free(pool);
	event_base_free(base);
	close(nobody);
}
END_TEST

/* ---- restart of a private cluster --------------------------------------- */

static char cluster_dir[256];

static void
cluster(const char *cmd, int port)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char line[1024];

	ck_assert_ptr_nonnull(src);
	if (port > 0)
		snprintf(line, sizeof(line), "bash %s/deploy/pgcluster.sh %s %s/data %d --fast",
			 src, cmd, cluster_dir, port);
	else
		snprintf(line, sizeof(line), "bash %s/deploy/pgcluster.sh %s %s/data", src, cmd,
			 cluster_dir);
	ck_assert_msg(system(line) == 0, "%s failed", line);
}

static void
cluster_teardown(void)
{
	char line[512];

	if (cluster_dir[0] == '\0')
		return;
	snprintf(line, sizeof(line), "bash %s/deploy/pgcluster.sh stop %s/data",
		 getenv("SEALPACT_SOURCE_DIR") ? getenv("SEALPACT_SOURCE_DIR") : ".", cluster_dir);
	if (system(line) != 0)
		fprintf(stderr, "could not stop the cluster in %s\n", cluster_dir);
	snprintf(line, sizeof(line), "rm -rf '%s'", cluster_dir);
	if (system(line) != 0)
		fprintf(stderr, "could not remove %s\n", cluster_dir);
	cluster_dir[0] = '\0';
}

/*
 * The private cluster's directory is made and removed by the parent process,
 * so that it is stopped and removed even when the (forked) test fails.
 */
static void
cluster_dir_make(void)
{
	snprintf(cluster_dir, sizeof(cluster_dir), "/tmp/sp-dbtest.XXXXXX");
	if (mkdtemp(cluster_dir) == NULL || chmod(cluster_dir, 0755) != 0) {
		perror("cluster directory");
		cluster_dir[0] = '\0';
	}
}

START_TEST(restart_recovers_same_pool)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool;
	struct db_pool_stats st;
	struct outcome o[5], slow;
	int slow_n = 0;
	char url[256];
	int port = test_port_free(), i, n, ok = 0;
	double t0, worst = 0, t_up;

	ck_assert_msg(cluster_dir[0] != '\0', "no cluster directory");
	cluster("start", port);
	snprintf(url, sizeof(url), "postgresql://sealpact@127.0.0.1:%d/postgres", port);
	pool = pool_open(base, url, 3, 50, 10000);
	run_one(base, pool, "SELECT 'up'", 0, NULL, 0, 0, &o[0]);
	ck_assert_msg(o[0].code == SP_OK, "%s", o[0].msg);
	outcome_cleanup(&o[0]);
	run_until(base, &(int){ 0 }, 1, 0.3); /* let the other connections come up */

	/* A statement running when the server stops fails, and not at its deadline. */
	outcome_init(&slow, base, &slow_n, 1);
	ck_assert_int_eq(db_query_send(pool, "SELECT pg_sleep(30)", 0, NULL, 0, 0, on_result,
				       &slow),
			 SP_OK);
	run_until(base, &(int){ 0 }, 1, 0.2);
	cluster("stop", 0);
	t0 = now_s();
	run_until(base, &slow_n, 1, 10);
	ck_assert_int_eq(slow.calls, 1);
	ck_assert_msg(slow.code == SP_ERR_UNAVAILABLE, "%d %s", slow.code, slow.msg);
	/* not at the pool's 10 s deadline (the statement sleeps 30 s) */
	ck_assert_msg(slow.at - t0 < 5.0, "in-flight query failed after %.3f s", slow.at - t0);
	/* In-flight, queued and new queries all fail promptly. */
	n = 0;
	t0 = now_s();
	for (i = 0; i < 5; i++) {
		outcome_init(&o[i], base, &n, 5);
		ck_assert_int_eq(db_query_send(pool, "SELECT 1", 0, NULL, 0, 0, on_result, &o[i]),
				 SP_OK);
	}
	run_until(base, &n, 5, 10);
	ck_assert_int_eq(n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_msg(o[i].code == SP_ERR_UNAVAILABLE, "query %d: %d %s", i, o[i].code,
			      o[i].msg);
		if (o[i].at - t0 > worst)
			worst = o[i].at - t0;
	}
	ck_assert_msg(worst < 5.0, "failing took %.3f s", worst);
	for (i = 0; i < 3; i++) {
		t0 = now_s();
		run_one(base, pool, "SELECT 1", 0, NULL, 0, 0, &o[0]);
		ck_assert_int_eq(o[0].code, SP_ERR_UNAVAILABLE);
		ck_assert_msg(o[0].at - t0 < 5.0, "failing took %.3f s", o[0].at - t0);
		run_until(base, &(int){ 0 }, 1, 0.2);
	}
	db_pool_stats_get(pool, &st);
	ck_assert_int_eq(st.connected, 0);
	/* Stay down a while, so that the reconnect backoff has grown. */
	run_until(base, &(int){ 0 }, 1, 3.0);
	db_pool_stats_get(pool, &st);
	ck_assert_int_eq(st.connected, 0);
	ck_assert_int_eq(st.waiting, 0);

	cluster("start", port);
	t_up = now_s();
	while (now_s() - t_up < 15 && !ok) {
		run_one(base, pool, "SELECT 'back'", 0, NULL, 0, 0, &o[0]);
		if (o[0].code == SP_OK) {
			ck_assert_str_eq(o[0].value, "back");
			ok = 1;
		} else {
			ck_assert_int_eq(o[0].code, SP_ERR_UNAVAILABLE);
			run_until(base, &(int){ 0 }, 1, 0.2);
		}
		outcome_cleanup(&o[0]);
	}
	ck_assert_msg(ok, "no recovery 15 s after PostgreSQL came back");
	ck_assert_msg(now_s() - t_up < 7.0, "recovery took %.3f s", now_s() - t_up);
	fprintf(stderr,
		"restart: queries failed within %.3f s of the stop, "
		"succeeded %.3f s after the start\n",
		worst, now_s() - t_up);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/* ---- a signing's document in parts (db/signing.c, migration 017) ----- */

struct loaded {
	int calls;
	struct db_revision_doc *doc;
	struct db_signing_session *s;
	struct sp_errinfo err;
};

static void
on_doc(void *arg, struct db_revision_doc *doc, const struct sp_errinfo *err)
{
	struct loaded *l = arg;

	l->calls++;
	l->doc = doc;
	l->err = *err;
}

static void
on_session(void *arg, struct db_signing_session *s, const struct sp_errinfo *err)
{
	struct loaded *l = arg;

	l->calls++;
	l->s = s;
	l->err = *err;
}

/* The text of the first column of one statement's first row (binary: bytes). */
static char *
query_value(struct event_base *base, struct db_pool *pool, const char *sql, int binary, int *len)
{
	struct outcome o;
	char *v;

	run_one(base, pool, sql, 0, NULL, binary, 0, &o);
	ck_assert_msg(o.code == SP_OK, "%s: %s", sql, o.msg);
	ck_assert_ptr_nonnull(o.value);
	v = o.value;
	if (len != NULL)
		*len = o.vlen;
	return v; /* transferred */
}

#define PARTS_N "1000000000000000007"
/* the signer's member session, as auth_member looks it up (any 64 hex digits) */
#define PARTS_TOKEN_HASH "c1dd1a5bbc0b7ba3b1e56f8b1ffaa8a2af4f1283fa7bd8b7f5e0c3ac5d6a5e01"
/* revision S: 36,000 bytes of every value (NULs included), signed by B (S a string
   literal: the seq's digits, or a printf conversion) */
#define PARTS_REVISION_SQL(S) \
	"INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, " \
	"certificate_id, verification) SELECT " PARTS_N ", " S ", d, (SELECT length FROM " \
	"revisions WHERE contract_number = " PARTS_N " AND seq = " S " - 1) + length(d), " \
	"repeat('0', 64), (SELECT id FROM parties WHERE organization_id = 2), " \
	"(SELECT id FROM certificates WHERE organization_id = 2), '{\"seq\":" S "}' FROM " \
	"(SELECT string_agg(int4send(i * " S "), ''::bytea) d FROM generate_series(1, 9000) i) x;"
#define PARTS_REVISION(S) PARTS_REVISION_SQL(#S)

#define ZEROS64 "0000000000000000000000000000000000000000000000000000000000000000"
#define ONES64 "1111111111111111111111111111111111111111111111111111111111111111"

/*
 * The parts contract, in a migrated database: an initiator (organization 1), a
 * signer (organization 2) with a member session, a certificate each, the
 * contract sent and received by the signer, revision 0 the upload alone.
 */
static void
parts_contract(void)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	struct sp_errinfo ei;
	char path[1024];
	int applied = 0;

	ck_assert_ptr_nonnull(src);
	snprintf(path, sizeof(path), "%s/migrations", src);
	sp_errinfo_init(&ei);
	ck_assert_msg(db_migrate(db_url, path, &applied, &ei) == SP_OK, "migrate: %s", ei.msg);
	admin_exec(
		db_url,
		"INSERT INTO organizations (name, credit_code) VALUES "
		"('A', '911100000000000011'), ('B', '911100000000000022');"
		"INSERT INTO users (kind, organization_id, name) "
		"SELECT 'member', id, name FROM organizations;"
		"INSERT INTO certificates (organization_id, user_id, fingerprint, subject, issuer, "
		"serial, not_before, not_after, der) SELECT u.organization_id, u.id, "
		"encode(sha256(int8send(u.id)), 'hex'), 'CN=' || u.name, 'CN=CA', to_hex(u.id), "
		"now() - interval '1 day', now() + interval '1 year', int8send(u.id) FROM users u;"
		"INSERT INTO sessions (token_hash, user_id, organization_id, kind, certificate_id, "
		"expires_at) SELECT '" PARTS_TOKEN_HASH
		"', u.id, u.organization_id, 'member', c.id, "
		"now() + interval '1 hour' FROM users u JOIN certificates c ON c.user_id = u.id "
		"WHERE u.name = 'B';"
		"SELECT contract_create(" PARTS_N ", 1, 1, 'Parts', NULL, NULL, "
		"'[{\"credit_code\": \"911100000000000022\", \"role\": \"signer\", "
		"\"routing_order\": 1}]', d, "
		"encode(sha256(d), 'hex'), 1, NULL, NULL) FROM (SELECT convert_to("
		"'%PDF-1.4 ' || repeat('x', 70000), 'UTF8') d) x;"
		"SELECT contract_send(" PARTS_N ", 1, 1, NULL);"
		"SELECT contract_receive(" PARTS_N ", 2, 2, NULL);");
}

/* Prepare's load of the parts contract, holding revision seq (len bytes, sha): its reply. */
static struct loaded
load_held(struct event_base *base, struct db_pool *pool, int seq, size_t len, const char *sha)
{
	struct db_doc_held h = { seq, len, sha, 0, NULL, 0 };
	struct loaded l;
	int n = 0;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, &h, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.calls, 1);
	return l;
}

/* The contract's verification load of the parts contract, as organization 2, holding seq. */
static struct loaded
verification_held(struct event_base *base, struct db_pool *pool, int seq, size_t len,
		  const char *sha)
{
	struct db_doc_held h = { seq, len, sha, 0, NULL, 0 };
	struct loaded l;
	int n = 0;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_verification_document_load(pool, 1000000000000000007LL, 2,
						       seq >= 0 ? &h : NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.calls, 1);
	return l;
}

/* The claim of session sid, holding what h says: its reply. */
static struct loaded
claim_with(struct event_base *base, struct db_pool *pool, const char *sid,
	   const struct db_doc_held *h)
{
	struct loaded l;
	int n = 0;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_signing_session_claim_auth(pool, PARTS_TOKEN_HASH, sid, h, on_session,
						       &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.calls, 1);
	return l;
}

/* The claim of session sid, holding revision seq (and a report of report bytes). */
static struct loaded
claim_held(struct event_base *base, struct db_pool *pool, const char *sid, int seq, size_t len,
	   const char *sha, size_t report)
{
	struct db_doc_held h = { seq, len, sha, report, NULL, 0 };

	return claim_with(base, pool, sid, &h);
}

/* The claim of session sid holding revision seq (-1: none) and the session's update upd. */
static struct loaded
claim_update_held(struct event_base *base, struct db_pool *pool, const char *sid, int seq,
		  size_t len, const char *sha, const char *upd, size_t ulen)
{
	struct db_doc_held h = { seq, len, sha, 0, (const uint8_t *)upd, ulen };

	return claim_with(base, pool, sid, &h);
}

/*
 * Prepare's load and completion's claim read the stored updates as rows and
 * put them end to end: the document is byte for byte revision_document's
 * (and, for the claim, the session's update after it), and parts that do not
 * make the stored length are refused.
 */
START_TEST(signing_document_in_parts)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool;
	struct loaded l;
	char *want, *sid;
	int wlen, n;

	parts_contract();
	admin_exec(db_url, PARTS_REVISION(1) PARTS_REVISION(2));
	pool = pool_open(base, db_url, 1, 10, 10000);
	want = query_value(base, pool, "SELECT revision_document(" PARTS_N ", 2)", 1, &wlen);
	ck_assert_int_eq(wlen, 70009 + 2 * 36000);

	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_msg(l.err.code == SP_OK, "prepare load: %s", l.err.msg);
	ck_assert_int_eq(l.doc->seq, 2);
	ck_assert_int_eq((int)l.doc->len, wlen);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	ck_assert_int_eq((int)l.doc->cred.organization_id, 2);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->length, wlen);
	ck_assert_str_eq(l.doc->sha256, ZEROS64);
	db_revision_doc_free(l.doc);

	/* Holding revision 1 as stored: only revision 2's update comes, and with the held
	   bytes before it the document is the same. */
	l = load_held(base, pool, 1, 70009 + 36000, ZEROS64);
	ck_assert_msg(l.err.code == SP_OK, "held load: %s", l.err.msg);
	ck_assert_int_eq(l.doc->seq, 2);
	ck_assert_int_eq(l.doc->from_seq, 1);
	ck_assert_int_eq((int)l.doc->held_len, 70009 + 36000);
	ck_assert_str_eq(l.doc->held_sha256, ZEROS64);
	ck_assert_int_eq((int)l.doc->len, 36000);
	ck_assert(memcmp(l.doc->data, want + 70009 + 36000, 36000) == 0);
	ck_assert_int_eq(db_revision_doc_join(l.doc, (const uint8_t *)want, 70009 + 35999),
			 SP_ERR_INVALID);
	ck_assert_int_eq(db_revision_doc_join(l.doc, (const uint8_t *)want, 70009 + 36000), SP_OK);
	ck_assert_int_eq((int)l.doc->len, wlen);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	ck_assert_int_eq(l.doc->from_seq, -1);
	db_revision_doc_free(l.doc);
	/* Holding the latest: no update at all, the other columns still come. */
	l = load_held(base, pool, 2, (size_t)wlen, ZEROS64);
	ck_assert_msg(l.err.code == SP_OK, "latest held: %s", l.err.msg);
	ck_assert_int_eq(l.doc->from_seq, 2);
	ck_assert_int_eq((int)l.doc->len, 0);
	ck_assert_int_eq((int)l.doc->held_len, wlen);
	ck_assert_int_eq((int)l.doc->cred.organization_id, 2);
	db_revision_doc_free(l.doc);
	/* What is held is not what is stored (digest, length, a revision not there): the
	   whole document comes, as without. */
	l = load_held(base, pool, 2, (size_t)wlen, ONES64);
	ck_assert_msg(l.err.code == SP_OK, "mismatched digest: %s", l.err.msg);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	db_revision_doc_free(l.doc);
	l = load_held(base, pool, 1, 70009 + 36001, ZEROS64);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	db_revision_doc_free(l.doc);
	l = load_held(base, pool, 3, (size_t)wlen + 10, ZEROS64);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	db_revision_doc_free(l.doc);
	/* the contract's verification: the same three ways */
	l = verification_held(base, pool, -1, 0, NULL);
	ck_assert_msg(l.err.code == SP_OK, "verification load: %s", l.err.msg);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	db_revision_doc_free(l.doc);
	l = verification_held(base, pool, 1, 70009 + 36000, ZEROS64);
	ck_assert_msg(l.err.code == SP_OK, "verification holding 1: %s", l.err.msg);
	ck_assert_int_eq(l.doc->from_seq, 1);
	ck_assert_int_eq((int)l.doc->len, 36000);
	ck_assert_int_eq(db_revision_doc_join(l.doc, (const uint8_t *)want, 70009 + 36000), SP_OK);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	db_revision_doc_free(l.doc);
	l = verification_held(base, pool, 2, (size_t)wlen, ZEROS64);
	ck_assert_int_eq(l.doc->from_seq, 2);
	ck_assert_int_eq((int)l.doc->len, 0);
	db_revision_doc_free(l.doc);
	l = verification_held(base, pool, 2, (size_t)wlen, ONES64);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	db_revision_doc_free(l.doc);

	sid = query_value(base, pool,
			  "SELECT signing_session_create(" PARTS_N
			  ", 2, 2, 2, '\\x0102030405'::bytea, "
			  "142010, 3, '\\x31'::bytea, 'sha256WithRSAEncryption', ''::bytea, '[]', "
			  "600, "
			  "int8send(2::bigint), 'CN=B', 'CN=CA', '2', now() - interval '1 day', "
			  "now() + interval '1 year', NULL)->>'session'",
			  0, NULL);
	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_session_claim_auth(pool, PARTS_TOKEN_HASH, sid, NULL,
						       on_session, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_msg(l.err.code == SP_OK, "claim: %s", l.err.msg);
	ck_assert_int_eq(l.s->base_seq, 2);
	ck_assert_int_eq((int)l.s->orig_len, wlen);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	ck_assert(memcmp(l.s->document + wlen, "\x01\x02\x03\x04\x05", 5) == 0);
	ck_assert_int_eq((int)l.s->signed_attrs_len, 1);
	ck_assert_int_eq((int)l.s->cert_len, 8);
	ck_assert_int_eq(l.s->from_seq, -1);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	db_signing_session_free(l.s);
	/* The claim holding the base: the session's update alone comes; holding revision 1:
	   revision 2's update too; a mismatch: everything. */
	l = claim_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, 0);
	ck_assert_msg(l.err.code == SP_OK, "held claim: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, 2);
	ck_assert_int_eq((int)l.s->held_len, wlen);
	ck_assert_int_eq((int)l.s->document_len, 5);
	ck_assert_int_eq((int)l.s->orig_len, wlen);
	ck_assert_int_eq((int)l.s->signed_attrs_len, 1);
	ck_assert_int_eq((int)l.s->cert_len, 8);
	ck_assert_int_eq(db_signing_session_join(l.s, (const uint8_t *)want, (size_t)wlen, 0),
			 SP_OK);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	ck_assert(memcmp(l.s->document + wlen, "\x01\x02\x03\x04\x05", 5) == 0);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	db_signing_session_free(l.s);
	/* holding the base with its report (9 bytes): the report is not sent, all else is
	   the same; a report of another length is not the one stored: it is sent */
	l = claim_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, 9);
	ck_assert_msg(l.err.code == SP_OK, "held claim with the report: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, 2);
	ck_assert_int_eq((int)l.s->document_len, 5);
	ck_assert_int_eq((int)l.s->signed_attrs_len, 1);
	ck_assert_ptr_null(l.s->base_verification);
	ck_assert_int_eq(l.s->base_verification_held, 1);
	db_signing_session_free(l.s);
	l = claim_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, 8);
	ck_assert_msg(l.err.code == SP_OK, "held claim, another report: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, 2);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	db_signing_session_free(l.s);
	/* holding an older revision's report: the base's is sent */
	l = claim_held(base, pool, sid, 1, 70009 + 36000, ZEROS64, 9);
	ck_assert_msg(l.err.code == SP_OK, "claim holding 1: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, 1);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	ck_assert_int_eq((int)l.s->document_len, 36000 + 5);
	ck_assert_int_eq(db_signing_session_join(l.s, (const uint8_t *)want, 70009 + 36000, 0),
			 SP_OK);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	db_signing_session_free(l.s);
	l = claim_held(base, pool, sid, 2, (size_t)wlen, ONES64, 9);
	ck_assert_msg(l.err.code == SP_OK, "mismatched claim: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, -1);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	db_signing_session_free(l.s);
	/* Holding the session's update as prepare stored it (5 bytes): PostgreSQL leaves it
	   out and the document is the same, with the base held or without; an update of
	   another length is not the one stored: it is sent, as it is by a process that
	   holds none (the claims above). */
	l = claim_update_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, "\x01\x02\x03\x04\x05", 5);
	ck_assert_msg(l.err.code == SP_OK, "claim holding the update: %s", l.err.msg);
	ck_assert_int_eq(l.s->update_held, 1);
	ck_assert_int_eq(l.s->from_seq, 2);
	ck_assert_int_eq((int)l.s->document_len, 5);
	ck_assert_int_eq((int)l.s->orig_len, wlen);
	ck_assert_int_eq((int)l.s->contents_off, 142010);
	ck_assert_int_eq((int)l.s->signed_attrs_len, 1);
	ck_assert_int_eq(db_signing_session_join(l.s, (const uint8_t *)want, (size_t)wlen, 0),
			 SP_OK);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	ck_assert(memcmp(l.s->document + wlen, "\x01\x02\x03\x04\x05", 5) == 0);
	db_signing_session_free(l.s);
	l = claim_update_held(base, pool, sid, -1, 0, NULL, "\x01\x02\x03\x04\x05", 5);
	ck_assert_msg(l.err.code == SP_OK, "claim holding the update alone: %s", l.err.msg);
	ck_assert_int_eq(l.s->update_held, 1);
	ck_assert_int_eq(l.s->from_seq, -1);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	ck_assert(memcmp(l.s->document + wlen, "\x01\x02\x03\x04\x05", 5) == 0);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	db_signing_session_free(l.s);
	l = claim_update_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, "\x01\x02\x03\x04", 4);
	ck_assert_msg(l.err.code == SP_OK, "claim holding another update: %s", l.err.msg);
	ck_assert_int_eq(l.s->update_held, 0);
	ck_assert_int_eq((int)l.s->document_len, 5);
	ck_assert(memcmp(l.s->document, "\x01\x02\x03\x04\x05", 5) == 0);
	db_signing_session_free(l.s);

	/* A stored length the parts do not make (a superuser's edit): both refuse. */
	admin_exec(db_url,
		   "ALTER TABLE revisions DISABLE TRIGGER revisions_immutable;"
		   "UPDATE revisions SET length = length + 1 WHERE contract_number = " PARTS_N
		   " AND seq = 2;"
		   "ALTER TABLE revisions ENABLE TRIGGER revisions_immutable");
	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.err.code, SP_ERR_INTERNAL);
	ck_assert_ptr_null(l.doc);
	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_session_claim_auth(pool, PARTS_TOKEN_HASH, sid, NULL,
						       on_session, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.err.code, SP_ERR_INTERNAL);
	ck_assert_ptr_null(l.s);
	/* holding revision 1, the parts after it do not make the edited length either */
	l = load_held(base, pool, 1, 70009 + 36000, ZEROS64);
	ck_assert_int_eq(l.err.code, SP_ERR_INTERNAL);
	ck_assert_ptr_null(l.doc);
	l = verification_held(base, pool, 1, 70009 + 36000, ZEROS64);
	ck_assert_int_eq(l.err.code, SP_ERR_INTERNAL);
	ck_assert_ptr_null(l.doc);
	free(sid);
	free(want);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/* One statement on a connection of its own (a transaction left open stays open). */
static PGresult *
raw_exec(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);

	ck_assert_ptr_nonnull(res);
	return res;
}

/*
 * Prepare's check (signing_prepare_check, 024) reads the contract and the
 * signer's party without locking them: a prepare is answered while another
 * transaction holds them locked (as a completion of the contract does), with
 * the same refusal as before once that one has signed; prepare's write
 * (signing_session_open, through wf_party_turn's rule) and the completion
 * still lock.
 */
START_TEST(signing_check_takes_no_lock)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool;
	struct sp_errinfo ei;
	struct loaded l;
	PGconn *holder, *writer;
	PGresult *res;
	char path[1024];
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	int applied = 0, n = 0;

	ck_assert_ptr_nonnull(src);
	snprintf(path, sizeof(path), "%s/migrations", src);
	sp_errinfo_init(&ei);
	ck_assert_msg(db_migrate(db_url, path, &applied, &ei) == SP_OK, "migrate: %s", ei.msg);
	holder = PQconnectdb(db_url);
	ck_assert_int_eq(PQstatus(holder), CONNECTION_OK);
	res = raw_exec(
		holder,
		"INSERT INTO organizations (name, credit_code) VALUES "
		"('A', '911100000000000011'), ('B', '911100000000000022');"
		"INSERT INTO users (kind, organization_id, name) "
		"SELECT 'member', id, name FROM organizations;"
		"INSERT INTO certificates (organization_id, user_id, fingerprint, subject, "
		"issuer, serial, not_before, not_after, der) SELECT u.organization_id, u.id, "
		"encode(sha256(int8send(u.id)), 'hex'), 'CN=' || u.name, 'CN=CA', to_hex(u.id), "
		"now() - interval '1 day', now() + interval '1 year', int8send(u.id) FROM users "
		"u;"
		"INSERT INTO sessions (token_hash, user_id, organization_id, kind, "
		"certificate_id, expires_at) SELECT '" PARTS_TOKEN_HASH
		"', u.id, u.organization_id, 'member', c.id, now() + interval '1 hour' "
		"FROM users u JOIN certificates c ON c.user_id = u.id WHERE u.name = 'B';"
		"SELECT contract_create(" PARTS_N ", 1, 1, 'Locks', NULL, NULL, "
		"'[{\"credit_code\": \"911100000000000022\", \"role\": \"signer\", "
		"\"routing_order\": 1}]', d, encode(sha256(d), 'hex'), 1, NULL, NULL) "
		"FROM (SELECT convert_to('%PDF-1.4 ' || repeat('x', 1000), 'UTF8') d) x;"
		"SELECT contract_send(" PARTS_N ", 1, 1, NULL);"
		"SELECT contract_receive(" PARTS_N ", 2, 2, NULL);");
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "set-up: %s",
		      PQresultErrorMessage(res));
	PQclear(res);
	/* another transaction holds the contract and the signer's party locked */
	res = raw_exec(holder, "BEGIN; SELECT 1 FROM contracts WHERE number = " PARTS_N
			       " FOR UPDATE; SELECT 1 FROM parties WHERE contract_number = " PARTS_N
			       " AND organization_id = 2 FOR UPDATE");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	/* a pool whose statements give up after 3 s: a check that waited would fail */
	pool = pool_open(base, db_url, 1, 10, 3000);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_msg(l.err.code == SP_OK, "prepare's check under the lock: %s", l.err.msg);
	ck_assert_int_eq(l.doc->seq, 0);
	ck_assert_int_eq((int)l.doc->len, 1009);
	db_revision_doc_free(l.doc);
	/* prepare's write and the completion still wait for the lock */
	writer = PQconnectdb(db_url);
	ck_assert_int_eq(PQstatus(writer), CONNECTION_OK);
	PQclear(raw_exec(writer, "SET lock_timeout = '200ms'"));
	res = raw_exec(writer, "SELECT wf_party_turn(" PARTS_N ", 2, 'sign')");
	ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "55P03");
	PQclear(res);
	/* once the holder has signed, the check refuses as it did */
	res = raw_exec(holder,
		       "UPDATE parties SET status = 'signed' WHERE contract_number = " PARTS_N
		       " AND organization_id = 2; COMMIT");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.err.code, SP_ERR_CONFLICT);
	ck_assert_str_eq(l.err.sqlstate, "SP409");
	ck_assert_str_eq(l.err.msg, "your party is signed");
	ck_assert_ptr_null(l.doc);
	PQfinish(writer);
	PQfinish(holder);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/* ---- the one-trip prepare (migration 036) ------------------------------------------------- */

struct texted {
	int calls;
	char *text;
	struct sp_errinfo err;
};

static void
on_held_text(void *arg, const char *text, size_t len, int last_signer, const struct sp_errinfo *err)
{
	struct texted *t = arg;

	(void)last_signer;

	t->calls++;
	t->err = *err;
	t->text = err->code == SP_OK ? strndup(text, len) : NULL;
}

/* db_signing_session_create_held of the parts contract's signer (organization 2, user 2). */
static struct texted
create_held(struct event_base *base, struct db_pool *pool, const struct db_prepare_held *h,
	    const char *cert, int64_t user)
{
	static const uint8_t delta[] = "an update";
	static const uint8_t attrs[] = "attributes";
	struct db_signing_new s;
	struct db_actor who;
	struct texted t;
	int n = 0;

	memset(&s, 0, sizeof(s));
	s.contract_number = 1000000000000000007LL;
	s.base_seq = 0;
	s.delta = delta;
	s.delta_len = sizeof(delta) - 1;
	s.contents_off = 70010;
	s.contents_len = 4;
	s.signed_attrs = attrs;
	s.signed_attrs_len = sizeof(attrs) - 1;
	s.algorithm = "sha256WithRSAEncryption";
	s.rects_json = "[]";
	s.ttl_s = 600;
	s.cert_der = (const uint8_t *)cert;
	s.cert_len = 8;
	s.cert_subject = "CN=B";
	s.cert_issuer = "CN=CA";
	s.cert_serial_hex = "2";
	s.cert_not_before = 1700000000;
	s.cert_not_after = 1900000000;
	memset(&who, 0, sizeof(who));
	who.org_id = 2;
	who.user_id = user;
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(db_signing_session_create_held(pool, &who, h, &s, on_held_text, &t),
			 SP_OK);
	while (t.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(t.calls, 1);
	return t;
}

static void
assert_stale(struct texted t)
{
	ck_assert_int_eq(t.err.code, SP_ERR_CONFLICT);
	ck_assert_str_eq(t.err.reason, "prepare_held_stale");
	ck_assert_str_eq(t.err.sqlstate, "SPH01");
	ck_assert_ptr_null(t.text);
}

/*
 * The load's checks and the create in one statement: stored when every
 * check passes and reads what the caller holds; a check that fails fails as
 * the load's does; SPH01 with nothing stored when one reads something else
 * than the caller holds; the create's own errors as the create gives them.
 */
START_TEST(signing_create_held_checks_what_the_load_checks)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool;
	struct db_prepare_held h;
	struct texted t;
	char sha[65], *v;
	/* int8send(2) and int8send(1): organization 2's certificate, and organization 1's */
	static const char mine[8] = { 0, 0, 0, 0, 0, 0, 0, 2 },
			  theirs[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };

	parts_contract();
	pool = pool_open(base, db_url, 1, 10, 10000);
	v = query_value(base, pool,
			"SELECT sha256 FROM revisions WHERE contract_number = " PARTS_N
			" AND seq = 0",
			0, NULL);
	snprintf(sha, sizeof(sha), "%s", v);
	free(v);
	memset(&h, 0, sizeof(h));
	h.token_hash = PARTS_TOKEN_HASH;
	h.credit_code = "911100000000000022";
	h.base_len = 70009;
	h.base_sha256_hex = sha;

	/* what the process holds is what is stored: the session, as the create answers */
	t = create_held(base, pool, &h, mine, 2);
	ck_assert_msg(t.err.code == SP_OK, "held create: %s", t.err.msg);
	ck_assert_ptr_nonnull(strstr(t.text, "\"session\""));
	ck_assert_ptr_nonnull(strstr(t.text, "\"base_seq\": 0"));
	free(t.text);
	v = query_value(base, pool,
			"SELECT count(*) || ' ' || (SELECT count(*) FROM audit_events WHERE "
			"action = 'signing.prepared') FROM signing_sessions",
			0, NULL);
	ck_assert_str_eq(v, "1 1");
	free(v);

	/* anything else: SPH01, nothing stored */
	h.base_sha256_hex = ONES64; /* another revision's digest */
	assert_stale(create_held(base, pool, &h, mine, 2));
	h.base_sha256_hex = sha;
	h.base_len = 70008;
	assert_stale(create_held(base, pool, &h, mine, 2));
	h.base_len = 70009;
	h.credit_code = "911100000000000011";
	assert_stale(create_held(base, pool, &h, mine, 2));
	h.credit_code = "911100000000000022";
	assert_stale(create_held(base, pool, &h, mine, 1)); /* another user */
	/* a check of the load that fails: the load's error, nothing stored */
	h.token_hash = ZEROS64; /* no such member session */
	t = create_held(base, pool, &h, mine, 2);
	ck_assert_int_eq(t.err.code, SP_ERR_UNAUTHORIZED);
	ck_assert_str_eq(t.err.reason, "unauthorized");
	h.token_hash = PARTS_TOKEN_HASH;
	/* the create's own refusal, after the checks passed: as the create gives it */
	t = create_held(base, pool, &h, theirs, 2);
	ck_assert_int_eq(t.err.code, SP_ERR_FORBIDDEN);
	ck_assert_str_eq(t.err.msg, "this certificate belongs to another organization");
	/* a revision landed: the held one is no longer the latest */
	admin_exec(db_url, PARTS_REVISION(1));
	assert_stale(create_held(base, pool, &h, mine, 2));
	/* the party signed meanwhile: the load's SP409, before the revision's difference */
	admin_exec(db_url, "UPDATE parties SET status = 'signed' WHERE organization_id = 2");
	t = create_held(base, pool, &h, mine, 2);
	ck_assert_int_eq(t.err.code, SP_ERR_CONFLICT);
	ck_assert_str_eq(t.err.sqlstate, "SP409");
	ck_assert_str_eq(t.err.msg, "your party is signed");
	v = query_value(base, pool,
			"SELECT count(*) || ' ' || (SELECT count(*) FROM audit_events WHERE "
			"action = 'signing.prepared') FROM signing_sessions",
			0, NULL);
	ck_assert_str_eq(v, "1 1");
	free(v);
	/* a seal's picture without a seal named: refused before sending */
	h.seal_sha256 = (const uint8_t *)"0123456789abcdef0123456789abcdef";
	h.seal_info = "{}";
	{
		struct db_signing_new s;
		struct db_actor who;

		memset(&s, 0, sizeof(s));
		memset(&who, 0, sizeof(who));
		s.delta = (const uint8_t *)"x";
		s.delta_len = 1;
		s.cert_serial_hex = "1";
		ck_assert_int_eq(db_signing_session_create_held(pool, &who, &h, &s, on_held_text,
								&t),
				 SP_ERR_INVALID);
	}
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/* A claimant: one connection claiming session sid until the claim fails. */
struct claimant {
	char sid[40];
	volatile int claims;
	char sqlstate[6];
	char msg[256];
};

static void *
claim_until_refused(void *arg)
{
	struct claimant *c = arg;
	const char *params[1] = { c->sid };
	PGconn *pg = PQconnectdb(db_url);
	PGresult *res;

	while (PQstatus(pg) == CONNECTION_OK) {
		res = PQexecParams(pg,
				   "SELECT contract_number FROM "
				   "signing_session_claim_head($1::uuid, 2)",
				   1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st != NULL ? st : "?");
			snprintf(c->msg, sizeof(c->msg), "%s", PQresultErrorMessage(res));
			PQclear(res);
			break;
		}
		PQclear(res);
		c->claims++;
	}
	PQfinish(pg);
	return NULL;
}

/*
 * Two completes of one session: the loser's claim may run while the winner
 * commits its revision and the session's end. The claim reads the session
 * and then the latest revision, each statement with its own snapshot; when
 * the commit falls between the two it saw the session open and a revision
 * after its base. Its answer must be what happened — this session was used
 * (SPS11, 409 session_used) — not that another signer's revision landed
 * (SPS09, stale_revision). One claimant loops on the claim while the winner
 * commits at a varying moment; over the rounds the commit lands inside the
 * claim's window often (before 025 this failed within a few rounds).
 */
START_TEST(claim_racing_the_completion_says_session_used)
{
	PGconn *pg;
	PGresult *res;
	int round;

	parts_contract();
	pg = PQconnectdb(db_url);
	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "%s", PQerrorMessage(pg));
	for (round = 1; round <= 60; round++) {
		struct claimant c;
		pthread_t t;
		char sql[1024];

		memset(&c, 0, sizeof(c));
		snprintf(sql, sizeof(sql),
			 "SELECT signing_session_create(" PARTS_N ", 2, 2, %d, '\\x01'::bytea, "
			 "10, 3, '\\x31'::bytea, 'sha256WithRSAEncryption', ''::bytea, '[]', 600, "
			 "int8send(2::bigint), 'CN=B', 'CN=CA', '2', now() - interval '1 day', "
			 "now() + interval '1 year', NULL)->>'session'",
			 round - 1);
		res = PQexec(pg, sql);
		ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "round %d: %s", round,
			      PQresultErrorMessage(res));
		snprintf(c.sid, sizeof(c.sid), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		ck_assert_int_eq(pthread_create(&t, NULL, claim_until_refused, &c), 0);
		while (c.claims < 2 && c.sqlstate[0] == '\0')
			usleep(200);
		usleep((useconds_t)(37 * round % 400));
		/* the winner: its revision and the session's end in one transaction */
		snprintf(sql, sizeof(sql),
			 "BEGIN; " PARTS_REVISION_SQL(
				 "%d") "UPDATE signing_sessions SET state = 'completed', "
				       "finished_at = now() WHERE id = '%s'; COMMIT",
			 round, round, round, round, c.sid);
		res = PQexec(pg, sql);
		ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "round %d: %s", round,
			      PQresultErrorMessage(res));
		PQclear(res);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_msg(strcmp(c.sqlstate, "SPS11") == 0, "round %d after %d claims: %s %s",
			      round, c.claims, c.sqlstate, c.msg);
	}
	PQfinish(pg);
}
END_TEST

/* One row of the parts contract's database, as text (the caller's, free()). */
static char *
scalar(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	char *v;

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1, "%s: %s", sql,
		      PQresultErrorMessage(res));
	v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/* A session of the parts contract's signer on revision 0 (its id into sid). */
static void
parts_session(PGconn *pg, char sid[37])
{
	char *v =
		scalar(pg, "SELECT signing_session_create(" PARTS_N
			   ", 2, 2, 0, '\\x01'::bytea, 10, 3, '\\x31'::bytea, "
			   "'sha256WithRSAEncryption', ''::bytea, '[]', 600, int8send(2::bigint), "
			   "'CN=B', 'CN=CA', '2', now() - interval '1 day', "
			   "now() + interval '1 year', NULL)->>'session'");

	snprintf(sid, 37, "%s", v);
	free(v);
}

/* db_signing_session_complete_held of session sid as who (org, user), holding h. */
static void
held_one(struct event_base *base, struct db_pool *pool, const char *sid,
	 const struct db_session_held *h, int64_t org, int64_t user, struct text_outcome *o)
{
	static const char delta[] = "the signed update";
	struct db_signed_revision rev;
	struct db_actor who;

	memset(&who, 0, sizeof(who));
	who.org_id = org;
	who.user_id = user;
	memset(&rev, 0, sizeof(rev));
	rev.delta = (const uint8_t *)delta;
	rev.delta_len = sizeof(delta) - 1;
	rev.length = h->base_len + rev.delta_len;
	rev.sha256_hex = ONES64;
	rev.tsa_time = time(NULL);
	memset(o, 0, sizeof(*o));
	ck_assert_int_eq(db_signing_session_complete_held(pool, sid, h, &who, &rev, 0, on_text, o),
			 SP_OK);
	run_until(base, &o->n, 1, 30);
	ck_assert_int_eq(o->calls, 1);
}

struct serials_outcome {
	int n;
	uint64_t v[8];
	size_t len;
};

static void
on_serials(void *arg, const uint64_t *serials, size_t n, const struct sp_errinfo *err)
{
	struct serials_outcome *o = arg;

	ck_assert_int_eq(err->code, SP_OK);
	ck_assert_uint_le(n, 8);
	memcpy(o->v, serials, n * sizeof(*serials));
	o->len = n;
	o->n++;
}

/*
 * The completion in one trip (035) stores only when everything the claim
 * checks holds, as the claim would find it now, and the base is the one
 * held: each mismatch fails with claim_needed (SPS35) and changes nothing,
 * so that the server takes the claim's path, which answers. The TSA
 * serials it uses are the sequence's, reserved in one statement.
 */
START_TEST(complete_held_checks_what_the_claim_checks)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool;
	struct db_session_held h, bad;
	struct serials_outcome so;
	struct text_outcome o;
	char sid[37], sql[512], *len, *sha;
	PGconn *pg;
	size_t i;
	int k;

	parts_contract();
	pool = pool_open(base, db_url, 2, 10, 5000);
	pg = PQconnectdb(db_url);
	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "%s", PQerrorMessage(pg));
	parts_session(pg, sid);
	len = scalar(pg, "SELECT length FROM revisions WHERE contract_number = " PARTS_N
			 " AND seq = 0");
	sha = scalar(pg, "SELECT sha256 FROM revisions WHERE contract_number = " PARTS_N
			 " AND seq = 0");
	memset(&h, 0, sizeof(h));
	h.token_hash = PARTS_TOKEN_HASH;
	h.contract_number = 1000000000000000007LL;
	h.base_seq = 0;
	h.base_len = (size_t)strtoull(len, NULL, 10);
	h.base_sha256_hex = sha;
	h.last_signer = 1; /* the only signer */
	for (k = 0; k < 8; k++) {
		int64_t org = 2, user = 2;

		bad = h;
		switch (k) {
		case 0: /* another credential */
			bad.token_hash = ZEROS64;
			break;
		case 1: /* another organization's caller */
			org = user = 1;
			break;
		case 2: /* another member of the organization than the credential's */
			user = 1;
			break;
		case 3: /* other base bytes held */
			bad.base_len++;
			break;
		case 4:
			bad.base_sha256_hex = ZEROS64;
			break;
		case 5: /* not this session's base or contract */
			bad.base_seq = 1;
			break;
		case 6:
			bad.contract_number++;
			break;
		case 7: /* the work assumed another signer was left */
			bad.last_signer = 0;
			break;
		}
		held_one(base, pool, sid, &bad, org, user, &o);
		ck_assert_msg(o.code == SP_ERR_CONFLICT && strcmp(o.reason, "claim_needed") == 0,
			      "case %d: %d %s %s", k, o.code, o.reason, o.msg);
	}
	/* expired, then aborted: the same */
	snprintf(sql, sizeof(sql),
		 "UPDATE signing_sessions SET created_at = now() - interval '2 hours', expires_at "
		 "= now() - interval '1 hour' WHERE id = '%s'",
		 sid);
	PQclear(PQexec(pg, sql));
	held_one(base, pool, sid, &h, 2, 2, &o);
	ck_assert_str_eq(o.reason, "claim_needed");
	parts_session(pg, sid);
	snprintf(sql, sizeof(sql),
		 "UPDATE signing_sessions SET state = 'aborted', finished_at = now() WHERE id = "
		 "'%s'",
		 sid);
	PQclear(PQexec(pg, sql));
	held_one(base, pool, sid, &h, 2, 2, &o);
	ck_assert_str_eq(o.reason, "claim_needed");
	free(scalar(pg,
		    "SELECT 1 WHERE (SELECT count(*) FROM revisions WHERE contract_number "
		    "= " PARTS_N ") = 1 AND NOT EXISTS (SELECT 1 FROM audit_events WHERE action = "
		    "'signing.completed')"));
	/* all holds: stored, as signing_session_complete_verified stores */
	parts_session(pg, sid);
	held_one(base, pool, sid, &h, 2, 2, &o);
	ck_assert_msg(o.code == SP_OK, "%s", o.msg);
	ck_assert_ptr_nonnull(strstr(o.text, "\"seq\" : 1"));
	free(o.text);
	free(scalar(pg,
		    "SELECT 1 WHERE (SELECT count(*) FROM revisions WHERE contract_number "
		    "= " PARTS_N ") = 2 AND (SELECT count(*) FROM audit_events WHERE action = "
		    "'signing.completed') = 1 AND (SELECT valid FROM audit_chain_verify(" PARTS_N
		    "))"));
	/* once: used now (and revision 1 is the latest) */
	held_one(base, pool, sid, &h, 2, 2, &o);
	ck_assert_str_eq(o.reason, "claim_needed");
	/* serials: distinct values of the sequence, in one statement */
	memset(&so, 0, sizeof(so));
	ck_assert_int_eq(db_tsa_serials_reserve(pool, 0, on_serials, &so), SP_ERR_INVALID);
	ck_assert_int_eq(db_tsa_serials_reserve(pool, 5, on_serials, &so), SP_OK);
	run_until(base, &so.n, 1, 30);
	ck_assert_uint_eq(so.len, 5);
	for (i = 1; i < so.len; i++)
		ck_assert_uint_gt(so.v[i], so.v[i - 1]);
	free(len);
	free(sha);
	PQfinish(pg);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("pool");
	TCase *tr = tcase_create("restart");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_add_test(tc, text_params);
	tcase_add_test(tc, text_call_passes_text_through);
	tcase_add_test(tc, bytea_binary_roundtrip);
	tcase_add_test(tc, sqlstate_table);
	tcase_add_test(tc, sql_error_then_reusable);
	tcase_add_test(tc, prepared_statements);
	tcase_add_test(tc, concurrency_exactly_once);
	tcase_add_test(tc, queue_full_is_busy);
	tcase_add_test(tc, owners_take_turns_in_the_queue);
	tcase_add_test(tc, timeout_then_pool_works);
	tcase_add_test(tc, free_fails_pending);
	tcase_add_test(tc, down_from_the_start_fails_fast);
	tcase_add_test(tc, next_host_after_refusal);
	tcase_add_test(tc, signing_document_in_parts);
	tcase_add_test(tc, signing_check_takes_no_lock);
	tcase_add_test(tc, signing_create_held_checks_what_the_load_checks);
	tcase_add_test(tc, claim_racing_the_completion_says_session_used);
	tcase_add_test(tc, complete_held_checks_what_the_claim_checks);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tr, 180);
	tcase_add_test(tr, restart_recovers_same_pool);
	suite_add_tcase(s, tr);
	cluster_dir_make();
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	cluster_teardown();
	return failed ? 1 : 0;
}
