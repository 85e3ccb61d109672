/*
 * test_db_signing_held.c: the one-trip prepare, claim and completion of
 * db/signing.c (migration 036) against a real PostgreSQL: each checks what
 * the statement before it checked (a stale revision, a used session), a
 * claim racing the completion is told the session was used. Each test in a
 * database of its own (test_db.h); the document in parts: test_db_signing.c.
 */
#include "test_db.h"
#include "support_suite.h"

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
	Suite *s = suite_create("db_signing_held");
	TCase *tc = test_tcase(s, "held", db_setup, db_teardown, 1, 120);

	tcase_add_test(tc, signing_create_held_checks_what_the_load_checks);
	tcase_add_test(tc, claim_racing_the_completion_says_session_used);
	tcase_add_test(tc, complete_held_checks_what_the_claim_checks);
	return test_suite_run(s);
}
