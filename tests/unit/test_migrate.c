/*
 * test_migrate.c: the migrations runner (db_migrate): applies each file once,
 * in order, checksummed; refuses a changed or missing file, a broken one, bad
 * names; concurrent runners apply once. The schema itself: test_migrate_schema.c.
 * Each test works in a database of its own in the suite's throwaway cluster.
 */
#include "test_migrate.h"

/* ---- the runner --------------------------------------------------------- */

START_TEST(applies_initial_once)
{
	int n = count_migrations(mig_dir);
	unsigned char *data = NULL, md[32];
	size_t len = 0;
	char path[1200], hex[65], sql[256];
	PGconn *pg;

	ck_assert_int_ge(n, 1);
	migrate_ok(mig_dir, n);
	migrate_ok(mig_dir, 0);
	pg = connect_to(db_url);
	snprintf(sql, sizeof(sql), "SELECT count(*) = %d FROM schema_migrations", n);
	ck_assert_str_eq(q1(pg, sql), "t");
	ck_assert_str_eq(q1(pg, "SELECT name FROM schema_migrations WHERE version = 1"), "initial");
	/* The recorded checksum is the SHA-256 of the file's bytes. */
	snprintf(path, sizeof(path), "%s/001_initial.sql", mig_dir);
	ck_assert_int_eq(sp_file_read(path, 1 << 24, &data, &len, NULL), SP_OK);
	ck_assert(EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL));
	sp_hex(md, sizeof(md), hex);
	ck_assert_str_eq(q1(pg, "SELECT checksum FROM schema_migrations WHERE version = 1"), hex);
	ck_assert_str_eq(q1(pg, "SELECT applied_at <= now() FROM schema_migrations "
				"WHERE version = 1"),
			 "t");
	ck_assert_str_eq(q1(pg, "SELECT to_regclass('audit_events') IS NOT NULL"), "t");
	free(data);
	PQfinish(pg);
}
END_TEST

START_TEST(changed_or_missing_file_conflicts)
{
	struct sp_errinfo ei;
	char path[1024];
	int applied = -1;

	write_file(tmp_dir, "001_a.sql", "CREATE TABLE a (x int);\n");
	write_file(tmp_dir, "README", "not a migration\n");
	migrate_ok(tmp_dir, 1);
	write_file(tmp_dir, "001_a.sql", "CREATE TABLE a (x bigint);\n");
	write_file(tmp_dir, "002_b.sql", "CREATE TABLE b (x int);\n");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate(db_url, tmp_dir, &applied, &ei), SP_ERR_CONFLICT);
	ck_assert_int_eq(applied, 0);
	ck_assert_msg(strstr(ei.msg, "001_a.sql") != NULL, "%s", ei.msg);
	ck_assert_msg(strstr(ei.msg, "changed") != NULL, "%s", ei.msg);
	/* Nothing else was applied while refusing. */
	{
		PGconn *pg = connect_to(db_url);

		ck_assert_str_eq(q1(pg, "SELECT to_regclass('b') IS NULL"), "t");
		PQfinish(pg);
	}
	/* Put it back: fine again, and 002 goes in. */
	write_file(tmp_dir, "001_a.sql", "CREATE TABLE a (x int);\n");
	migrate_ok(tmp_dir, 1);
	/* A vanished applied file is refused, naming it. */
	snprintf(path, sizeof(path), "%s/001_a.sql", tmp_dir);
	ck_assert_int_eq(unlink(path), 0);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate(db_url, tmp_dir, &applied, &ei), SP_ERR_CONFLICT);
	ck_assert_msg(strstr(ei.msg, "001_a.sql") != NULL && strstr(ei.msg, "missing") != NULL,
		      "%s", ei.msg);
	/* So is a renamed one. */
	write_file(tmp_dir, "001_renamed.sql", "CREATE TABLE a (x int);\n");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate(db_url, tmp_dir, &applied, &ei), SP_ERR_CONFLICT);
	ck_assert_msg(strstr(ei.msg, "001_renamed.sql") != NULL, "%s", ei.msg);
}
END_TEST

START_TEST(broken_migration_rolls_back)
{
	struct sp_errinfo ei;
	int applied = -1;
	PGconn *pg;

	write_file(tmp_dir, "001_good.sql", "CREATE TABLE good (x int);\n");
	write_file(tmp_dir, "002_bad.sql",
		   "CREATE TABLE half (x int);\n"
		   "INSERT INTO half VALUES (1);\n"
		   "SELECT nosuchcolumn FROM half;\n");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate(db_url, tmp_dir, &applied, &ei), SP_ERR_DB);
	ck_assert_int_eq(applied, 1);
	ck_assert_str_eq(ei.sqlstate, "42703");
	ck_assert_msg(strstr(ei.msg, "002_bad.sql") != NULL, "%s", ei.msg);
	ck_assert_msg(strstr(ei.msg, "line 3") != NULL, "%s", ei.msg);
	ck_assert_msg(strstr(ei.msg, "nosuchcolumn") != NULL, "%s", ei.msg);
	pg = connect_to(db_url);
	ck_assert_str_eq(q1(pg, "SELECT to_regclass('good') IS NOT NULL"), "t");
	ck_assert_str_eq(q1(pg, "SELECT to_regclass('half') IS NULL"), "t");
	ck_assert_str_eq(q1(pg, "SELECT string_agg(version::text, ',' ORDER BY version) "
				"FROM schema_migrations"),
			 "1");
	/* Fixed, it applies: it was never recorded, so this is not a conflict. */
	write_file(tmp_dir, "002_bad.sql", "CREATE TABLE half (x int);\n");
	migrate_ok(tmp_dir, 1);
	ck_assert_str_eq(q1(pg, "SELECT count(*) FROM schema_migrations"), "2");
	PQfinish(pg);
}
END_TEST

START_TEST(bad_names_and_dirs_are_refused)
{
	struct sp_errinfo ei;
	int applied = -1;
	char sub[400];

	write_file(tmp_dir, "001_a.sql", "CREATE TABLE a (x int);\n");
	write_file(tmp_dir, "2_oops name.sql", "CREATE TABLE b (x int);\n");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate(db_url, tmp_dir, &applied, &ei), SP_ERR_INVALID);
	ck_assert_msg(strstr(ei.msg, "2_oops name.sql") != NULL, "%s", ei.msg);
	ck_assert_int_eq(applied, 0);

	snprintf(sub, sizeof(sub), "%s/dup", tmp_dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	write_file(sub, "001_a.sql", "SELECT 1;\n");
	write_file(sub, "01_b.sql", "SELECT 1;\n");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate(db_url, sub, &applied, &ei), SP_ERR_INVALID);
	ck_assert_msg(strstr(ei.msg, "same number") != NULL, "%s", ei.msg);

	snprintf(sub, sizeof(sub), "%s/commit", tmp_dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	write_file(sub, "001_commits.sql", "CREATE TABLE c1 (x int);\nCOMMIT;\n");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate(db_url, sub, &applied, &ei), SP_ERR_INVALID);
	ck_assert_msg(strstr(ei.msg, "001_commits.sql") != NULL, "%s", ei.msg);
	ck_assert_int_eq(applied, 0);
	{
		PGconn *pg = connect_to(db_url);

		ck_assert_str_eq(q1(pg, "SELECT count(*) FROM schema_migrations"), "0");
		q1(pg, "DROP TABLE c1");
		q1(pg, "DROP TABLE schema_migrations");
		PQfinish(pg);
	}

	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate(db_url, "/nonexistent/migrations", &applied, &ei), SP_ERR_IO);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(db_migrate("postgresql://sealpact@127.0.0.1:1/x", mig_dir, &applied, &ei),
			 SP_ERR_UNAVAILABLE);
	{
		PGconn *pg = connect_to(db_url);

		/* Nothing at all happened in the database. */
		ck_assert_str_eq(q1(pg, "SELECT to_regclass('schema_migrations') IS NULL"), "t");
		PQfinish(pg);
	}
}
END_TEST

/*
 * A directory without a migration file applies nothing (it sorted a NULL
 * list of none before, which UBSan ends the sanitizer build's run on).
 */
START_TEST(an_empty_directory_applies_nothing)
{
	struct sp_errinfo ei;
	int applied = -1;
	char sub[400];

	snprintf(sub, sizeof(sub), "%s/empty", tmp_dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	sp_errinfo_init(&ei);
	ck_assert_msg(db_migrate(db_url, sub, &applied, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(applied, 0);
}
END_TEST

struct runner {
	const char *dir;
	int rc;
	int applied;
	struct sp_errinfo ei;
};

static void *
run_migrate(void *arg)
{
	struct runner *r = arg;

	sp_errinfo_init(&r->ei);
	r->rc = db_migrate(db_url, r->dir, &r->applied, &r->ei);
	return NULL;
}

START_TEST(concurrent_runners_apply_once)
{
	struct runner r[2];
	pthread_t t[2];
	int i, total = 0;
	PGconn *pg;

	/* A slow first file keeps the lock held while the other runner arrives. */
	write_file(tmp_dir, "001_slow.sql", "SELECT pg_sleep(0.3);\nCREATE TABLE s (x int);\n");
	write_file(tmp_dir, "002_next.sql", "CREATE TABLE s2 (x int);\n");
	for (i = 0; i < 2; i++) {
		r[i].dir = tmp_dir;
		ck_assert_int_eq(pthread_create(&t[i], NULL, run_migrate, &r[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_msg(r[i].rc == SP_OK, "runner %d: %s", i, r[i].ei.msg);
		total += r[i].applied;
	}
	/*
	 * Each file was applied once, by one runner or the other: the lock is
	 * per file's transaction (so it works through PgBouncer's transaction
	 * pooling), and a runner looks again under it whether its file is done.
	 */
	ck_assert_int_eq(total, 2);
	pg = connect_to(db_url);
	ck_assert_str_eq(q1(pg, "SELECT string_agg(version::text, ',' ORDER BY version) "
				"FROM schema_migrations"),
			 "1,2");
	PQfinish(pg);
}
END_TEST

START_TEST(concurrent_real_runners)
{
	struct runner r[4];
	pthread_t t[4];
	int i, total = 0, n = count_migrations(mig_dir);
	PGconn *pg;
	char sql[128];

	for (i = 0; i < 4; i++) {
		r[i].dir = mig_dir;
		ck_assert_int_eq(pthread_create(&t[i], NULL, run_migrate, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_msg(r[i].rc == SP_OK, "runner %d: %s", i, r[i].ei.msg);
		total += r[i].applied;
	}
	ck_assert_int_eq(total, n);
	pg = connect_to(db_url);
	snprintf(sql, sizeof(sql), "SELECT count(*) = %d FROM schema_migrations", n);
	ck_assert_str_eq(q1(pg, sql), "t");
	PQfinish(pg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("migrate");
	TCase *tr = tcase_create("runner");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tr, 120);
	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, applies_initial_once);
	tcase_add_test(tr, changed_or_missing_file_conflicts);
	tcase_add_test(tr, broken_migration_rolls_back);
	tcase_add_test(tr, bad_names_and_dirs_are_refused);
	tcase_add_test(tr, an_empty_directory_applies_nothing);
	tcase_add_test(tr, concurrent_runners_apply_once);
	tcase_add_test(tr, concurrent_real_runners);
	suite_add_tcase(s, tr);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
