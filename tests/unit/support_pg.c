/*
 * support_pg.c: a database of a test's own (support_pg.h).
 */
#include "support_pg.h"

#include <check.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The cluster's URL (its maintenance database), from the fixture's file. */
static void
admin_url(char *out, size_t n)
{
	const char *dir = getenv("SEALPACT_TEST_PGDIR");
	char path[1024];
	FILE *f;

	ck_assert_msg(dir != NULL, "SEALPACT_TEST_PGDIR is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/url", dir);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_ptr_nonnull(fgets(out, (int)n, f));
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
}

static void
admin_exec(const char *sql)
{
	char url[1024];
	PGconn *pg;
	PGresult *res;

	admin_url(url, sizeof(url));
	pg = PQconnectdb(url);
	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "connect %s: %s", url, PQerrorMessage(pg));
	res = PQexec(pg, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
		      PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(pg);
}

void
test_pg_db_new(const char *prefix, char *name, size_t name_n, char *url, size_t url_n)
{
	char admin[1024], sql[128];
	const char *slash;

	snprintf(name, name_n, "%s_%ld_%ld", prefix, (long)getpid(), (long)time(NULL));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	admin_exec(sql);
	admin_url(admin, sizeof(admin));
	slash = strrchr(admin, '/');
	ck_assert_ptr_nonnull(slash);
	snprintf(url, url_n, "%.*s/%s", (int)(slash - admin), admin, name);
}

void
test_pg_db_drop(const char *name)
{
	char sql[128];

	if (name[0] == '\0')
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	admin_exec(sql);
}
