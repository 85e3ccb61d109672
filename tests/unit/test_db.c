/*
 * test_db.c: the asynchronous PostgreSQL pool (db/db.h) against a real
 * PostgreSQL: the suite's throwaway cluster ($SEALPACT_TEST_PGDIR/url), in a
 * database of each test's own, and for the restart test a private cluster
 * this test starts, stops and starts again. The signing statements on that
 * pool: test_db_signing.c.
 */
#include "test_db.h"

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
