/*
 * migrate.c: the migrations runner (blocking libpq; CLI and tests only).
 *
 * A migration is a file NNN_name.sql. Each runs in its own transaction
 * together with the INSERT of its schema_migrations row, so a migration is
 * either applied and recorded or neither. Each of those transactions first
 * takes a transaction-scoped advisory lock and looks again whether its file
 * was recorded meanwhile, so two processes migrating at once apply every file
 * once, in order. No lock outlives its transaction, so the runner also works
 * through PgBouncer in transaction mode (a session lock would stay with
 * whichever server connection took it, long after this runner left).
 * Files must not contain transaction control (BEGIN/COMMIT) of their own.
 */
#include "db.h"
#include "db_int.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "SealPact" read as a big-endian 64-bit integer: the lock key of all runners. */
#define MIGRATE_LOCK_KEY "6009316395628716916"
#define MIGRATION_FILES_MAX 10000
#define MIGRATION_BYTES_MAX ((size_t)16 * 1024 * 1024)
#define MIGRATION_NAME_MAX 100

struct migration {
	int version;
	char name[MIGRATION_NAME_MAX + 1];  /* the part after NNN_, without .sql */
	char file[MIGRATION_NAME_MAX + 20]; /* NNN_name.sql */
	char checksum[65];                  /* SHA-256 of the file, lowercase hex */
	char *sql;
	int applied;
};

struct migration_set {
	struct migration *m;
	size_t n;
};

static void
set_cleanup(struct migration_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->m[i].sql);
	free(s->m);
	s->m = NULL;
	s->n = 0;
}

/*
 * Parse NNN_name.sql. Returns 1 and fills m for a migration file name, 0 for
 * a name that is not a .sql file (ignored), -1 for a .sql file whose name is
 * malformed (refused, so that a typo cannot silently skip a migration).
 */
static int
parse_name(const char *fname, struct migration *m)
{
	size_t len = strlen(fname), i, digits = 0, namelen;
	long v = 0;

	if (fname[0] == '.' || len < 4 || strcmp(fname + len - 4, ".sql") != 0)
		return 0;
	while (fname[digits] >= '0' && fname[digits] <= '9') {
		v = v * 10 + (fname[digits] - '0');
		if (++digits > 9)
			return -1;
	}
	if (digits == 0 || fname[digits] != '_')
		return -1;
	namelen = len - 4 - digits - 1;
	if (namelen == 0 || namelen > MIGRATION_NAME_MAX)
		return -1;
	for (i = digits + 1; i < len - 4; i++) {
		char ch = fname[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return -1;
	}
	memset(m, 0, sizeof(*m));
	m->version = (int)v;
	memcpy(m->name, fname + digits + 1, namelen);
	m->name[namelen] = '\0';
	snprintf(m->file, sizeof(m->file), "%s", fname);
	return 1;
}

static int
by_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static int
load_file(const char *dir, struct migration *m, struct sp_errinfo *ei)
{
	unsigned char *data = NULL, md[32];
	size_t len = 0;
	char path[4096];
	unsigned int mdlen = 0;
	int r = SP_ERR_INTERNAL;

	if (snprintf(path, sizeof(path), "%s/%s", dir, m->file) >= (int)sizeof(path)) {
		r = sp_err(ei, SP_ERR_INVALID, "migrations: path too long: %s", dir);
		goto out;
	}
	if ((r = sp_file_read(path, MIGRATION_BYTES_MAX, &data, &len, ei)) != SP_OK)
		goto out;
	if (memchr(data, '\0', len) != NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "migration %s contains a NUL byte", m->file);
		goto out;
	}
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != sizeof(md)) {
		r = sp_err(ei, SP_ERR_CRYPTO, "migration %s: SHA-256 failed", m->file);
		goto out;
	}
	sp_hex(md, sizeof(md), m->checksum);
	/* sp_file_read NUL-terminates what it returns. */
	m->sql = (char *)data;
	data = NULL; /* transferred */
	r = SP_OK;
out:
	free(data);
	return r;
}

/* Every migration file of dir, read, hashed and sorted by version. */
static int
scan_dir(const char *dir, struct migration_set *s, struct sp_errinfo *ei)
{
	DIR *d = NULL;
	struct dirent *de;
	struct migration m, *grown;
	size_t i, cap = 0;
	int r = SP_ERR_INTERNAL, k;

	if ((d = opendir(dir)) == NULL) {
		r = sp_err(ei, SP_ERR_IO, "migrations: cannot open %s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if ((k = parse_name(de->d_name, &m)) == 0)
			continue;
		if (k < 0) {
			r = sp_err(ei, SP_ERR_INVALID,
				   "migrations: bad file name %s in %s (want NNN_name.sql)",
				   de->d_name, dir);
			goto out;
		}
		if (s->n == MIGRATION_FILES_MAX) {
			r = sp_err(ei, SP_ERR_LIMIT, "migrations: more than %d files in %s",
				   MIGRATION_FILES_MAX, dir);
			goto out;
		}
		if (s->n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(s->m, cap * sizeof(*s->m))) == NULL) {
				r = sp_err(ei, SP_ERR_NOMEM, "migrations: out of memory");
				goto out;
			}
			s->m = grown;
		}
		s->m[s->n++] = m;
	}
	if (s->n > 0) /* m is NULL for a directory of none: qsort's base is nonnull */
		qsort(s->m, s->n, sizeof(*s->m), by_version);
	for (i = 0; i < s->n; i++) {
		if (i > 0 && s->m[i].version == s->m[i - 1].version) {
			r = sp_err(ei, SP_ERR_INVALID, "migrations: %s and %s have the same number",
				   s->m[i - 1].file, s->m[i].file);
			goto out;
		}
		if ((r = load_file(dir, &s->m[i], ei)) != SP_OK)
			goto out;
	}
	r = SP_OK;
out:
	if (d != NULL)
		closedir(d);
	return r;
}

/* 1-based line of a 1-based character position (PG_DIAG_STATEMENT_POSITION). */
static int
line_of(const char *sql, const char *pos)
{
	long want = pos != NULL ? strtol(pos, NULL, 10) : 0, ch = 0;
	int line = 1;

	if (want <= 0)
		return 0;
	for (; *sql != '\0'; sql++) {
		if (((unsigned char)*sql & 0xC0) == 0x80)
			continue; /* a UTF-8 continuation byte is not a character */
		if (++ch >= want)
			break;
		if (*sql == '\n')
			line++;
	}
	return line;
}

/* Run one statement; a failure fills ei with what and the server's reason. */
static int
exec_sql(PGconn *pg, const char *sql, int nparams, const char *const *values, PGresult **out,
	 const char *what, struct sp_errinfo *ei)
{
	PGresult *res;
	ExecStatusType st;
	int r;

	if (out != NULL)
		*out = NULL;
	res = PQexecParams(pg, sql, nparams, NULL, values, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		r = db_result_err(ei, pg, res);
		sp_errinfo_prefix(ei, what);
		PQclear(res);
		return r;
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return SP_OK;
}

static void
quiet_notices(void *arg, const char *message)
{
	/* CREATE ... IF NOT EXISTS and friends: nothing a migration run reports. */
}

/* Compare what is recorded with what is on disk; mark the applied ones. */
static int
check_applied(PGconn *pg, struct migration_set *s, struct sp_errinfo *ei)
{
	PGresult *res = NULL;
	struct migration *m, *last_new = NULL;
	int r = SP_ERR_INTERNAL, i, n, v, max_applied = -1;
	size_t j;

	if ((r = exec_sql(pg,
			  "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
			  0, NULL, &res, "reading schema_migrations", ei)) != SP_OK)
		goto out;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		/* NOLINTNEXTLINE(cert-err34-c): an integer column's text, PostgreSQL's own */
		v = atoi(PQgetvalue(res, i, 0));
		m = NULL;
		for (j = 0; j < s->n; j++)
			if (s->m[j].version == v)
				m = &s->m[j];
		if (m == NULL) {
			r = sp_err(ei, SP_ERR_CONFLICT,
				   "migration %03d_%s.sql is applied but its file is missing", v,
				   PQgetvalue(res, i, 1));
			goto out;
		}
		if (strcmp(m->name, PQgetvalue(res, i, 1)) != 0 ||
		    strcmp(m->checksum, PQgetvalue(res, i, 2)) != 0) {
			r = sp_err(ei, SP_ERR_CONFLICT,
				   "migration %s has changed since it was applied as %03d_%s.sql "
				   "(checksum %.12s, applied %.12s); add a new migration instead",
				   m->file, v, PQgetvalue(res, i, 1), m->checksum,
				   PQgetvalue(res, i, 2));
			goto out;
		}
		m->applied = 1;
		if (v > max_applied)
			max_applied = v;
	}
	for (j = 0; j < s->n; j++)
		if (!s->m[j].applied && s->m[j].version < max_applied && last_new == NULL)
			last_new = &s->m[j];
	if (last_new != NULL) {
		/* Applying it now would run it after newer ones it may depend on. */
		r = sp_err(ei, SP_ERR_CONFLICT,
			   "migration %s is numbered before the last applied one (%d); renumber it",
			   last_new->file, max_applied);
		goto out;
	}
	r = SP_OK;
out:
	PQclear(res);
	return r;
}

/* Apply m unless another runner did; *applied_now says whether this one did. */
static int
apply_one(PGconn *pg, const struct migration *m, int *applied_now, struct sp_errinfo *ei)
{
	const char *key[1] = { MIGRATE_LOCK_KEY };
	PGresult *res = NULL;
	char version[16], ctx[200];
	const char *values[3];
	int r = SP_ERR_INTERNAL, line;

	*applied_now = 0;
	snprintf(ctx, sizeof(ctx), "migration %s", m->file);
	snprintf(version, sizeof(version), "%d", m->version);
	values[0] = version;
	values[1] = m->name;
	values[2] = m->checksum;
	if ((r = exec_sql(pg, "BEGIN", 0, NULL, NULL, ctx, ei)) != SP_OK ||
	    (r = exec_sql(pg, "SELECT pg_advisory_xact_lock($1::bigint)", 1, key, NULL, ctx, ei)) !=
		    SP_OK)
		goto out;
	/* Another runner may have applied it while this one waited for the lock. */
	if ((r = exec_sql(pg, "SELECT name, checksum FROM schema_migrations WHERE version = $1", 1,
			  values, &res, ctx, ei)) != SP_OK)
		goto out;
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), m->name) != 0 ||
		    strcmp(PQgetvalue(res, 0, 1), m->checksum) != 0) {
			r = sp_err(ei, SP_ERR_CONFLICT,
				   "migration %s was applied meanwhile with another content "
				   "(checksum %.12s); add a new migration instead",
				   m->file, PQgetvalue(res, 0, 1));
			goto out;
		}
		r = exec_sql(pg, "COMMIT", 0, NULL, NULL, ctx, ei);
		goto out;
	}
	PQclear(res);
	/* PQexec: a migration is several statements (simple query protocol). */
	res = PQexec(pg, m->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY /* comments only */) {
		r = db_result_err(ei, pg, res);
		line = line_of(m->sql, PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION));
		if (line > 0) {
			snprintf(ctx, sizeof(ctx), "migration %s, line %d", m->file, line);
		}
		sp_errinfo_prefix(ei, ctx);
		goto out;
	}
	if (PQtransactionStatus(pg) != PQTRANS_INTRANS) {
		/* Its own COMMIT or ROLLBACK broke the all-or-nothing promise. */
		r = sp_err(ei, SP_ERR_INVALID,
			   "migration %s ends the transaction itself "
			   "(remove its BEGIN/COMMIT/ROLLBACK); it is not recorded",
			   m->file);
		goto out;
	}
	if ((r = exec_sql(pg,
			  "INSERT INTO schema_migrations (version, name, checksum) "
			  "VALUES ($1, $2, $3)",
			  3, values, NULL, ctx, ei)) != SP_OK)
		goto out;
	if ((r = exec_sql(pg, "COMMIT", 0, NULL, NULL, ctx, ei)) != SP_OK)
		goto out;
	*applied_now = 1;
	r = SP_OK;
out:
	PQclear(res);
	if (r != SP_OK && PQstatus(pg) == CONNECTION_OK)
		PQclear(PQexec(pg, "ROLLBACK"));
	return r;
}

int
db_migrate(const char *conninfo, const char *dir, int *applied, struct sp_errinfo *ei)
{
	struct migration_set set = { 0 };
	PGconn *pg = NULL;
	const char *key[1] = { MIGRATE_LOCK_KEY };
	size_t j;
	int r = SP_ERR_INTERNAL, n = 0, now = 0;

	if (applied != NULL)
		*applied = 0;
	if (conninfo == NULL || dir == NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "db_migrate: missing argument");
		goto out;
	}
	if ((r = scan_dir(dir, &set, ei)) != SP_OK)
		goto out;
	pg = PQconnectdb(conninfo);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		r = db_conn_err(ei, SP_ERR_UNAVAILABLE, "migrate: cannot connect", pg);
		goto out;
	}
	PQsetNoticeProcessor(pg, quiet_notices, NULL);
	/* Two runners creating the table at once would collide in the catalog. */
	if ((r = exec_sql(pg, "BEGIN", 0, NULL, NULL, "migrate", ei)) != SP_OK ||
	    (r = exec_sql(pg, "SELECT pg_advisory_xact_lock($1::bigint)", 1, key, NULL,
			  "migrate: advisory lock", ei)) != SP_OK ||
	    (r = exec_sql(pg,
			  "CREATE TABLE IF NOT EXISTS schema_migrations ("
			  " version integer PRIMARY KEY CHECK (version >= 0),"
			  " name text NOT NULL,"
			  " checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
			  " applied_at timestamptz NOT NULL DEFAULT now())",
			  0, NULL, NULL, "migrate: creating schema_migrations", ei)) != SP_OK ||
	    (r = exec_sql(pg, "COMMIT", 0, NULL, NULL, "migrate", ei)) != SP_OK)
		goto out;
	if ((r = check_applied(pg, &set, ei)) != SP_OK)
		goto out;
	for (j = 0; j < set.n; j++) {
		if (set.m[j].applied)
			continue;
		if ((r = apply_one(pg, &set.m[j], &now, ei)) != SP_OK)
			goto out;
		n += now;
	}
	r = SP_OK;
out:
	if (applied != NULL)
		*applied = n;
	if (pg != NULL && PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) != PQTRANS_IDLE)
		PQclear(PQexec(pg, "ROLLBACK"));
	if (pg != NULL)
		PQfinish(pg);
	set_cleanup(&set);
	return r;
}
