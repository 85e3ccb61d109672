/*
 * test_migrate.h: the fixture and helpers of test_migrate.c (the migrations
 * runner, db_migrate) and test_migrate_schema.c (the schema of migrations/ as
 * a user of the database sees it): a database of its own for each test in the
 * suite's throwaway cluster, a scratch directory, queries that must succeed
 * or fail with a SQLSTATE. Header-only (static), as test_verify_ltv.h, because
 * each test is its own executable.
 */
#ifndef TEST_MIGRATE_H
#define TEST_MIGRATE_H

#define MIG_FN static __attribute__((unused))

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "support_pg.h"
#include "support_tmp.h"

static char db_name[64];
static char db_url[1100];
static char tmp_dir[256];
static char mig_dir[1024];

MIG_FN PGconn *
connect_to(const char *url)
{
	PGconn *pg = PQconnectdb(url);

	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "connect %s: %s", url, PQerrorMessage(pg));
	return pg;
}

/* Run sql; expect success; return the first value (static copy) or "". */
MIG_FN const char *
q1(PGconn *pg, const char *sql)
{
	static char val[4096];
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);

	ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
		      PQresultErrorMessage(res));
	val[0] = '\0';
	if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0)
		snprintf(val, sizeof(val), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return val;
}

/* Run sql; expect failure with this SQLSTATE. */
MIG_FN void
q_fails(PGconn *pg, const char *sql, const char *sqlstate)
{
	PGresult *res = PQexec(pg, sql);
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	ck_assert_msg(PQresultStatus(res) == PGRES_FATAL_ERROR, "%s: succeeded", sql);
	ck_assert_msg(st != NULL && strcmp(st, sqlstate) == 0, "%s: %s (want %s)", sql,
		      st ? st : "?", sqlstate);
	PQclear(res);
}

MIG_FN void
setup(void)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");

	ck_assert_msg(src != NULL, "run through ctest (SEALPACT_* not set)");
	snprintf(mig_dir, sizeof(mig_dir), "%s/migrations", src);
	test_pg_db_new("sp_test_mig", db_name, sizeof(db_name), db_url, sizeof(db_url));
	/* the run's, gone at its end even when a failed test skips the teardown */
	snprintf(tmp_dir, sizeof(tmp_dir), "%s", test_tmpdir_new("migtest"));
}

MIG_FN void
teardown(void)
{
	char cmd[300];

	test_pg_db_drop(db_name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	ck_assert_int_eq(system(cmd), 0);
}

MIG_FN void
write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

MIG_FN int
count_migrations(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t len;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' && len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0)
			n++;
	}
	closedir(d);
	return n;
}

MIG_FN void
migrate_ok(const char *dir, int want_applied)
{
	struct sp_errinfo ei;
	int applied = -1;

	sp_errinfo_init(&ei);
	ck_assert_msg(db_migrate(db_url, dir, &applied, &ei) == SP_OK, "db_migrate: %s", ei.msg);
	ck_assert_int_eq(applied, want_applied);
}

#endif
