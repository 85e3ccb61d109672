/* test_auth.c: identity building blocks: bearer parsing, tokens, scrypt
 * passwords, and the SQL functions of migrations/002_identity.sql and
 * 006_identity_audit.sql and 007_hardening.sql (nonce single use and expiry with their SQLSTATEs,
 * all-or-nothing login, lockout, the audited trail of each organization). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "auth_int.h"
#include "db.h"
#include "support_pg.h"

/* ---- bearer ------------------------------------------------------------------ */

START_TEST(bearer_parse)
{
	char out[AUTH_BEARER_MAX + 1], big[300];

	ck_assert_int_eq(auth_bearer_parse("Bearer abc-_09XY", out), SP_OK);
	ck_assert_str_eq(out, "abc-_09XY");
	ck_assert_int_eq(auth_bearer_parse("bearer   tok", out), SP_OK);
	ck_assert_str_eq(out, "tok");
	ck_assert_int_eq(auth_bearer_parse(NULL, out), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_bearer_parse("", out), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_bearer_parse("Bearer", out), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_bearer_parse("Bearer ", out), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_bearer_parse("Basic YWJj", out), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_bearer_parse("Bearer a b", out), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_bearer_parse("Bearer a+b", out), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_bearer_parse("Bearer abc ", out), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_bearer_parse("Bearerabc", out), SP_ERR_UNAUTHORIZED);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', AUTH_BEARER_MAX);
	big[7 + AUTH_BEARER_MAX] = '\0';
	ck_assert_int_eq(auth_bearer_parse(big, out), SP_OK);
	ck_assert_uint_eq(strlen(out), AUTH_BEARER_MAX);
	big[7 + AUTH_BEARER_MAX] = 'a';
	big[8 + AUTH_BEARER_MAX] = '\0';
	ck_assert_int_eq(auth_bearer_parse(big, out), SP_ERR_UNAUTHORIZED);
}
END_TEST

START_TEST(tokens_and_hashes)
{
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1], h[65];
	size_t i;

	ck_assert_int_eq(auth_token_new(a), SP_OK);
	ck_assert_int_eq(auth_token_new(b), SP_OK);
	ck_assert_uint_eq(strlen(a), AUTH_TOKEN_LEN);
	ck_assert_str_ne(a, b);
	for (i = 0; i < AUTH_TOKEN_LEN; i++)
		ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				 a[i]) != NULL);
	ck_assert_int_eq(auth_token_hash("abc", h), SP_OK);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(passwords)
{
	struct sp_errinfo ei;
	char *h1 = NULL, *h2 = NULL;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(auth_password_hash("correct horse", &h1, &ei), SP_OK);
	ck_assert_int_eq(auth_password_hash("correct horse", &h2, &ei), SP_OK);
	ck_assert(strncmp(h1, "scrypt$32768$8$1$", 17) == 0);
	/* A fresh salt each time. */
	ck_assert_str_ne(h1, h2);
	ck_assert_int_eq(auth_password_verify("correct horse", h1, &ei), SP_OK);
	ck_assert_int_eq(auth_password_verify("correct horse", h2, &ei), SP_OK);
	ck_assert_int_eq(auth_password_verify("correct horsE", h1, NULL), SP_ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_password_verify("", h1, NULL), SP_ERR_UNAUTHORIZED);
	/* Malformed or hostile stored strings are refused without running scrypt. */
	ck_assert_int_eq(auth_password_verify("x", "bcrypt$1$2$3$a$b", NULL), SP_ERR_INVALID);
	ck_assert_int_eq(auth_password_verify("x", "scrypt$1000$8$1$YWJj$YWJj", NULL),
			 SP_ERR_INVALID);
	ck_assert_int_eq(auth_password_verify(
				 "x",
				 "scrypt$4194304$8$1$YWJjZGVmZ2g=$YWJjZGVmZ2hpamtsbW5vcA==", NULL),
			 SP_ERR_INVALID);
	ck_assert_int_eq(auth_password_verify("x", "scrypt$1024$8$1$YWJj$YWJj", NULL),
			 SP_ERR_INVALID);
	ck_assert_int_eq(auth_password_verify("x", "scrypt$1024$8$1$!!!!$YWJjZGVmZ2hpamtsbW5vcA==",
					      NULL),
			 SP_ERR_INVALID);
	ck_assert_int_eq(auth_password_verify("x", "scrypt$1024$0$1$YWJj$YWJjZGVmZ2hpamtsbW5vcA==",
					      NULL),
			 SP_ERR_INVALID);
	ck_assert_int_eq(auth_password_verify("x", "scrypt$", NULL), SP_ERR_INVALID);
	free(h1);
	free(h2);
}
END_TEST

/* ---- the SQL functions ------------------------------------------------------------ */

static PGconn *conn;
static char dbname[64];

static void
exec_ok(const char *sql)
{
	PGresult *res = PQexec(conn, sql);

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK ||
			      PQresultStatus(res) == PGRES_COMMAND_OK,
		      "%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
}

/* Run sql and return its SQLSTATE ("" on success). */
static const char *
state_of(const char *sql, char out[6])
{
	PGresult *res = PQexec(conn, sql);
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	snprintf(out, 6, "%s", st ? st : "");
	PQclear(res);
	return out;
}

static char *
scalar(const char *sql)
{
	static char buf[256];
	PGresult *res = PQexec(conn, sql);

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
		      PQresultErrorMessage(res));
	snprintf(buf, sizeof(buf), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return buf;
}

static void
db_setup(void)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char url[1200], migdir[1024];
	struct sp_errinfo ei;

	ck_assert_msg(src != NULL, "SEALPACT_SOURCE_DIR not set");
	test_pg_db_new("t_auth", dbname, sizeof(dbname), url, sizeof(url));
	snprintf(migdir, sizeof(migdir), "%s/migrations", src);
	sp_errinfo_init(&ei);
	ck_assert_msg(db_migrate(url, migdir, NULL, &ei) == SP_OK, "%s", ei.msg);
	conn = PQconnectdb(url);
	ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
}

static void
db_teardown(void)
{
	PQfinish(conn);
	conn = NULL;
	test_pg_db_drop(dbname);
}

#define H(c) "repeat('" c "', 64)"
#define LOGIN(nonce, token) \
	"SELECT session_id FROM auth_login_member(" nonce ", '91310000MA1FL8TQ36', 'Org', 'Al', " \
	"'\\x3082'::bytea, 'CN=Al', 'CN=CA', '0a', now() - interval '1 day', " \
	"now() + interval '1 day', " token ", 3600, NULL)"
#define COUNTS \
	"SELECT (SELECT count(*) FROM organizations) || '|' || (SELECT count(*) FROM users)" \
	" || '|' || (SELECT count(*) FROM certificates) || '|' || (SELECT count(*) FROM sessions)"

/*
 * Challenges are made by the database (049): ISSUE(k) keeps one valid ttl
 * seconds under the name k for the session, CH(k) is its hex for LOGIN.
 */
#define ISSUE(k, ttl) \
	"CREATE TEMP TABLE IF NOT EXISTS ch (k text PRIMARY KEY, v text); " \
	"INSERT INTO ch SELECT '" k "', encode(challenge, 'hex') FROM auth_challenge_issue(" ttl \
	")"
#define CH(k) "(SELECT v FROM ch WHERE k = '" k "')"
#define MARKER(k) \
	"SELECT count(*) FROM auth_challenges WHERE nonce_hash = " \
	"encode(sha256(decode(" CH(k) ", 'hex')), 'hex')"

START_TEST(sql_challenges_and_login)
{
	char st[6];

	db_setup();
	ck_assert_str_eq(state_of(LOGIN(H("a"), H("b")), st), "SA001"); /* never issued */
	ck_assert_str_eq(state_of(LOGIN("'0a'", H("b")), st), "SA001"); /* not 32 bytes */
	ck_assert_str_eq(scalar(COUNTS), "0|0|0|0");
	exec_ok(ISSUE("a", "60"));
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_challenges"), "0"); /* kept nowhere */
	ck_assert_str_eq(state_of(LOGIN(CH("a"), H("b")), st), "");
	ck_assert_str_eq(scalar(COUNTS), "1|1|1|1");
	ck_assert_str_eq(state_of(LOGIN(CH("a"), H("c")), st), "SA002"); /* replayed */
	exec_ok(ISSUE("d", "-1"));
	ck_assert_str_eq(state_of(LOGIN(CH("d"), H("c")), st), "SA003"); /* expired */
	ck_assert_str_eq(scalar(COUNTS), "1|1|1|1");
	/* A token hash already in use fails the whole call: the nonce is not consumed. */
	exec_ok(ISSUE("e", "60"));
	ck_assert_str_eq(state_of(LOGIN(CH("e"), H("b")), st), "23505");
	ck_assert_str_eq(scalar(MARKER("e")), "0");
	/* Second login of the same certificate: same user, new session. */
	ck_assert_str_eq(state_of(LOGIN(CH("e"), H("f")), st), "");
	ck_assert_str_eq(scalar(COUNTS), "1|1|1|2");
	/* Lookup: live session yes; revoked, expired or API key path no. */
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_credential_lookup(" H("f") ", false)"),
			 "1");
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_credential_lookup(" H("f") ", true)"),
			 "0");
	exec_ok("UPDATE sessions SET revoked_at = now() WHERE token_hash = " H("f"));
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_credential_lookup(" H("f") ", false)"),
			 "0");
	exec_ok("UPDATE sessions SET created_at = now() - interval '2 days', "
		"expires_at = now() - interval '1 day' WHERE token_hash = " H("b"));
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_credential_lookup(" H("b") ", false)"),
			 "0");
	/* A certificate revoked on the platform cannot log in. */
	exec_ok("UPDATE certificates SET revoked_at = now()");
	exec_ok(ISSUE("9", "60"));
	ck_assert_str_eq(state_of(LOGIN(CH("9"), H("8")), st), "SA004");
	db_teardown();
}
END_TEST

/*
 * Anyone may ask for challenges and nothing is kept of them (049): a login
 * stores its challenge as used until it expires, a changed byte anywhere is
 * unknown, and used challenges are swept once expired.
 */
START_TEST(sql_challenges_are_kept_nowhere)
{
	char st[6], sql[512];
	int i;

	db_setup();
	exec_ok(ISSUE("1", "60"));
	exec_ok(ISSUE("2", "60"));
	exec_ok(ISSUE("3", "60"));
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_challenges"), "0");
	ck_assert_str_eq(scalar("SELECT count(DISTINCT v) FROM ch"), "3");
	/* expiry, random part, tag: flipping a bit of any is an unknown challenge */
	for (i = 0; i < 32; i += 5) {
		snprintf(sql, sizeof(sql),
			 LOGIN("encode(set_byte(decode(" CH(
				       "1") ", 'hex'), %d, "
					    "get_byte(decode(" CH("1") ", 'hex'), %d) # 1), 'hex')",
			       H("b")),
			 i, i);
		ck_assert_msg(strcmp(state_of(sql, st), "SA001") == 0, "byte %d: %s", i, st);
	}
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_challenges"), "0");
	ck_assert_str_eq(state_of(LOGIN(CH("1"), H("b")), st), "");
	ck_assert_str_eq(scalar(MARKER("1")), "1");
	ck_assert_str_eq(state_of(LOGIN(CH("1"), H("c")), st), "SA002");
	/* once its challenge expired, a used one's row goes with the next login */
	exec_ok("UPDATE auth_challenges SET created_at = now() - interval '1 hour', "
		"expires_at = now() - interval '1 second'");
	ck_assert_str_eq(state_of(LOGIN(CH("2"), H("c")), st), "");
	ck_assert_str_eq(scalar(MARKER("1")), "0");
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_challenges"), "1");
	db_teardown();
}
END_TEST

START_TEST(sql_api_keys_and_reviewers)
{
	char st[6];

	db_setup();
	exec_ok(ISSUE("a", "60"));
	exec_ok(LOGIN(CH("a"), H("b")));
	exec_ok("SELECT api_key_create(1, 1, 'erp', 'abcd1234', " H("c") ")");
	ck_assert_str_eq(scalar("SELECT kind || ':' || organization_id FROM "
				"auth_credential_lookup(" H("c") ", true)"),
			 "api_key:1");
	ck_assert_str_eq(scalar("SELECT last_used_at IS NOT NULL FROM api_keys"), "t");
	ck_assert_str_eq(state_of("SELECT api_key_create(1, 1, 'erp', 'abcd1234', " H("d") ")", st),
			 "23505"); /* duplicate prefix */
	exec_ok("UPDATE api_keys SET revoked_at = now()");
	ck_assert_str_eq(scalar("SELECT count(*) FROM auth_credential_lookup(" H("c") ", true)"),
			 "0");

	exec_ok("SELECT reviewer_create('rev', 'Rev', 'scrypt$1024$8$1$YWJj$YWJj')");
	ck_assert_str_eq(
		state_of("SELECT reviewer_create('rev', 'R2', 'scrypt$1024$8$1$YWJj$YWJj')", st),
		"SA011");
	/* (user, ok, token, ttl, max_failures 2, lockout_s 30, backoff_s 10, ip_max_failures 0, ip) */
#define RLF(ok, tok) "reviewer_login_finish(2, " ok ", " tok ", 60, 2, 30, 10, 0, NULL)"
	ck_assert_str_eq(scalar("SELECT outcome FROM " RLF("false", "NULL")), "failed");
	ck_assert_str_eq(scalar("SELECT outcome || ':' || retry_after_s FROM " RLF("false",
										   "NULL")),
			 "locked:10");
	/* Locked: the right password is refused too, and no session appears. */
	ck_assert_str_eq(scalar("SELECT outcome FROM " RLF("true", H("e"))), "locked");
	ck_assert_str_eq(scalar("SELECT count(*) FROM sessions WHERE kind = 'reviewer'"), "0");
	/* Each further wrong password after a lock doubles it, up to lockout_s. */
	exec_ok("UPDATE reviewer_credentials SET locked_until = now() - interval '1 second'");
	ck_assert_str_eq(scalar("SELECT outcome || ':' || retry_after_s FROM " RLF("false",
										   "NULL")),
			 "locked:20");
	exec_ok("UPDATE reviewer_credentials SET locked_until = now() - interval '1 second'");
	ck_assert_str_eq(scalar("SELECT outcome || ':' || retry_after_s FROM " RLF("false",
										   "NULL")),
			 "locked:30");
	/* A quiet spell as long as lockout_s starts the count over. */
	exec_ok("UPDATE reviewer_credentials SET locked_until = now() - interval '31 seconds', "
		"last_failed_at = now() - interval '40 seconds'");
	ck_assert_str_eq(scalar("SELECT outcome FROM " RLF("false", "NULL")), "failed");
	exec_ok("UPDATE reviewer_credentials SET locked_until = now() - interval '1 second'");
	ck_assert_str_eq(scalar("SELECT outcome FROM " RLF("true", H("e"))), "ok");
	ck_assert_str_eq(scalar("SELECT failed_count || ':' || (last_failed_at IS NULL) FROM "
				"reviewer_credentials"),
			 "0:true");
#undef RLF
	ck_assert_str_eq(scalar("SELECT kind FROM auth_credential_lookup(" H("e") ", false)"),
			 "reviewer");
	db_teardown();
}
END_TEST

/* Failed logins per client address (IPv4 host, IPv6 /64), agreed on in the database. */
START_TEST(sql_login_address_throttle)
{
	db_setup();
	exec_ok("SELECT reviewer_create('rev', 'Rev', 'scrypt$1024$8$1$YWJj$YWJj')");
#define UNKNOWN(ip) \
	"SELECT outcome FROM reviewer_login_finish(NULL, false, NULL, 60, 5, 900, 10, " \
	"2, '" ip "')"
	ck_assert_str_eq(scalar(UNKNOWN("10.1.2.3")), "failed");
	ck_assert_str_eq(scalar("SELECT login_address_wait_s('10.1.2.3')"), "0");
	ck_assert_str_eq(scalar(UNKNOWN("10.1.2.3")), "failed");
	/* Past ip_max_failures: blocked for backoff_s, doubling with each failure. */
	ck_assert_str_eq(scalar("SELECT login_address_wait_s('10.1.2.3') BETWEEN 9 AND 10"), "t");
	ck_assert_str_eq(scalar(UNKNOWN("10.1.2.3")), "failed");
	ck_assert_str_eq(scalar("SELECT login_address_wait_s('10.1.2.3') BETWEEN 19 AND 20"), "t");
	ck_assert_str_eq(scalar("SELECT login_address_wait_s('10.1.2.4')"), "0");
	/* The real account was never touched by failures on other names. */
	ck_assert_str_eq(scalar("SELECT failed_count || ':' || (locked_until IS NULL) FROM "
				"reviewer_credentials"),
			 "0:true");
	/* From the blocked address: a wrong password for the real account is
	 * "throttled" (counted against the account), a right one opens a session. */
	ck_assert_str_eq(scalar("SELECT outcome || ':' || (retry_after_s > 0) FROM "
				"reviewer_login_finish((SELECT user_id FROM reviewer_credentials), "
				"false, NULL, 60, 5, 900, 10, 2, "
				"'10.1.2.3')"),
			 "throttled:true");
	ck_assert_str_eq(scalar("SELECT failed_count FROM reviewer_credentials"), "1");
	ck_assert_str_eq(scalar("SELECT outcome FROM reviewer_login_finish((SELECT user_id FROM "
				"reviewer_credentials), true, " H(
					"f") ", 60, 5, 900, 10, 2, '10.1.2.3')"),
			 "ok");
	/* IPv6: one /64 is one client. */
	ck_assert_str_eq(scalar(UNKNOWN("2001:db8:1:2::1")), "failed");
	ck_assert_str_eq(scalar(UNKNOWN("2001:db8:1:2:ffff::9")), "failed");
	ck_assert_str_eq(scalar("SELECT login_address_wait_s('2001:db8:1:2::77') > 0"), "t");
	ck_assert_str_eq(scalar("SELECT login_address_wait_s('2001:db8:1:3::1')"), "0");
	/* The begin step reports both throttles. */
	ck_assert_str_eq(scalar("SELECT (user_id IS NULL) || ':' || (address_wait_s > 0) FROM "
				"reviewer_login_begin('nobody', '10.1.2.3')"),
			 "true:true");
	ck_assert_str_eq(scalar("SELECT (user_id = (SELECT user_id FROM reviewer_credentials)) || "
				"':' || "
				"coalesce(locked_s, 0) || ':' || address_wait_s FROM "
				"reviewer_login_begin('rev', '10.9.9.9')"),
			 "true:0:0");
#undef UNKNOWN
	db_teardown();
}
END_TEST

/* Revocation, logout and webhook removal: audited, and only in the caller's organization. */
START_TEST(sql_org_audit)
{
	char st[6];

	db_setup();
	exec_ok(ISSUE("a", "60"));
	exec_ok(LOGIN(CH("a"), H("b")));
	exec_ok("INSERT INTO organizations (name, credit_code) VALUES ('Other', "
		"'911100000000000017')");
	exec_ok("SELECT api_key_create(1, 1, 'erp', 'abcd1234', " H("c") ", '10.0.0.1', 'ua/1')");
	ck_assert_str_eq(scalar("SELECT count(*) FROM org_audit_events"), "2"); /* login, key */
	/* Another organization's key: not found, unchanged, nothing recorded. */
	ck_assert_str_eq(scalar("SELECT api_key_revoke(2, NULL, 1, '10.0.0.9', 'x')"), "f");
	ck_assert_str_eq(scalar("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL"), "1");
	ck_assert_str_eq(scalar("SELECT count(*) FROM org_audit_events"), "2");
	ck_assert_str_eq(scalar("SELECT api_key_revoke(1, 1, 1, '10.0.0.2', 'ua/2')"), "t");
	ck_assert_str_eq(scalar("SELECT api_key_revoke(1, 1, 1, '10.0.0.2', 'ua/2')"), "f");
	ck_assert_str_eq(scalar("SELECT action || ' ' || host(ip) || ' ' || user_agent || ' ' || "
				"seq "
				"FROM org_audit_events ORDER BY id DESC LIMIT 1"),
			 "api_key.revoked 10.0.0.2 ua/2 3");
	/* Webhooks: the same shape. */
	exec_ok("SELECT webhook_create(1, 1, 'https://example.com/h', " H(
		"d") ", NULL, '10.0.0.3', 'ua/3')");
	ck_assert_str_eq(scalar("SELECT webhook_delete(2, NULL, 1, NULL, NULL)"), "f");
	ck_assert_str_eq(scalar("SELECT count(*) FROM webhooks WHERE deleted_at IS NULL"), "1");
	ck_assert_str_eq(scalar("SELECT webhook_delete(1, 1, 1, '10.0.0.4', 'ua/4')"), "t");
	ck_assert_str_eq(scalar("SELECT webhook_delete(1, 1, 1, '10.0.0.4', 'ua/4')"), "f");
	/* Logout: only the session's own user, once. */
	ck_assert_str_eq(scalar("SELECT auth_logout(1, 1, 99, NULL, NULL)"), "f");
	ck_assert_str_eq(scalar("SELECT auth_logout(1, 1, 1, '10.0.0.5', 'ua/5')"), "t");
	ck_assert_str_eq(scalar("SELECT auth_logout(1, 1, 1, '10.0.0.5', 'ua/5')"), "f");
	ck_assert_str_eq(scalar("SELECT string_agg(action, ',' ORDER BY seq) FROM org_audit_events "
				"WHERE organization_id = 1"),
			 "session.login,api_key.created,api_key.revoked,webhook.created,"
			 "webhook.deleted,session.logout");
	ck_assert_str_eq(scalar("SELECT count(*) FROM org_audit_events WHERE organization_id <> 1"),
			 "0");
	/* Each organization's chain verifies; the trail is append-only; a cut tail shows. */
	ck_assert_str_eq(scalar("SELECT valid || ' ' || events FROM org_audit_chain_verify(1)"),
			 "true 6");
	ck_assert_str_eq(state_of("UPDATE org_audit_events SET user_agent = 'forged'", st),
			 "42501");
	ck_assert_str_eq(state_of("DELETE FROM org_audit_events", st), "42501");
	exec_ok("UPDATE org_audit_heads SET last_seq = 7 WHERE chain = 1");
	ck_assert_str_eq(scalar("SELECT valid || ' ' || first_bad_seq FROM "
				"org_audit_chain_verify(1)"),
			 "false 7");
	db_teardown();
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("pure");
	TCase *db = tcase_create("sql");

	tcase_add_test(tc, bearer_parse);
	tcase_add_test(tc, tokens_and_hashes);
	tcase_add_test(tc, passwords);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(db, sql_challenges_and_login);
	tcase_add_test(db, sql_challenges_are_kept_nowhere);
	tcase_add_test(db, sql_api_keys_and_reviewers);
	tcase_add_test(db, sql_login_address_throttle);
	tcase_add_test(db, sql_org_audit);
	tcase_set_timeout(db, 60);
	suite_add_tcase(s, db);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
