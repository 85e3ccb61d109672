/* errors.c: mapping libpq failures onto sealpact's error info. */
#include "db_int.h"

#include <stdio.h>
#include <string.h>

/* libpq messages end with a newline, and may span lines: keep the first. */
static void
first_line(char *dst, size_t n, const char *src)
{
	size_t len;

	if (src == NULL || *src == '\0')
		src = "unknown error";
	len = strcspn(src, "\n");
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int
db_conn_err(struct sp_errinfo *ei, int code, const char *what, const PGconn *conn)
{
	char line[400];

	first_line(line, sizeof(line), conn != NULL ? PQerrorMessage(conn) : NULL);
	return sp_err(ei, code, "%s: %s", what, line);
}

/*
 * Connection-level SQLSTATEs: class 08 (connection exception) and class 57P
 * (admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped).
 * The statement did not fail on its merits: the database went away.
 */
static int
sqlstate_is_unavailable(const char *st)
{
	return st != NULL && (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0);
}

int
db_result_err(struct sp_errinfo *ei, const PGconn *conn, const PGresult *res)
{
	const char *st = NULL, *msg = NULL;
	char line[400];
	int code;

	if (res != NULL) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (msg == NULL)
			msg = PQresultErrorMessage(res);
	}
	if (msg == NULL || *msg == '\0')
		msg = conn != NULL ? PQerrorMessage(conn) : NULL;
	if (sqlstate_is_unavailable(st) ||
	    (st == NULL && (conn == NULL || PQstatus(conn) == CONNECTION_BAD)))
		code = SP_ERR_UNAVAILABLE;
	else if (st != NULL && strcmp(st, "57014") == 0)
		code = SP_ERR_TIMEOUT; /* query_canceled: the server's statement_timeout */
	else
		code = SP_ERR_DB;
	first_line(line, sizeof(line), msg);
	if (ei != NULL && ei->code == SP_OK && st != NULL)
		snprintf(ei->sqlstate, sizeof(ei->sqlstate), "%s", st);
	return sp_err(ei, code, "%s", line);
}
