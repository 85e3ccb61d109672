/*
 * test_db.h: the fixture and helpers of test_db.c (the asynchronous
 * PostgreSQL pool, db/db.h) and test_db_signing.c (the signing statements
 * of db/signing.c): a database of each test's own in the suite's throwaway
 * cluster ($SEALPACT_TEST_PGDIR/url), a pool on an event loop run until the
 * callbacks came, what each callback saw. Header-only (static), as
 * test_verify_ltv.h, because each test is its own executable.
 */
#ifndef TEST_DB_H
#define TEST_DB_H

#define DB_FN static __attribute__((unused))

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
#include "support_pg.h"
#include "support_ports.h"

/* ---- helpers ---------------------------------------------------------- */

static char db_name[64];
static char db_url[1100];

DB_FN double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

DB_FN void
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

/* Each test gets a database of its own in the throwaway cluster. */
DB_FN void
db_setup(void)
{
	test_pg_db_new("sp_test_db", db_name, sizeof(db_name), db_url, sizeof(db_url));
}

DB_FN void
db_teardown(void)
{
	test_pg_db_drop(db_name);
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

DB_FN void
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

DB_FN void
on_guard(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

/* Run the loop until *counter reaches target or seconds pass. */
DB_FN void
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

DB_FN void
outcome_init(struct outcome *o, struct event_base *base, int *counter, int stop_at)
{
	memset(o, 0, sizeof(*o));
	o->base = base;
	o->counter = counter;
	o->stop_at = stop_at;
}

DB_FN void
outcome_cleanup(struct outcome *o)
{
	free(o->value);
	o->value = NULL;
}

DB_FN struct db_pool *
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
DB_FN void
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
/* db_text_call's callback: a copy of the text, its length, the outcome. */
struct text_outcome {
	int calls, code, n;
	char reason[64], msg[512];
	char *text;
	size_t len;
};

DB_FN void
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

DB_FN void
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

/* ---- the signing tests' contract (test_db_signing*.c) --------------- */

/* The text of the first column of one statement's first row (binary: bytes). */
DB_FN char *
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
DB_FN void
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

#endif
