/*
 * db_int.h: declarations shared by the files of db/ (not part of the API).
 */
#ifndef SP_DB_INT_H
#define SP_DB_INT_H

#include <libpq-fe.h>

#include "sp.h"

/*
 * Fill ei from a failed PGresult: SP_ERR_UNAVAILABLE when the failure is the
 * connection's (class 08, operator intervention 57P, or no SQLSTATE while the
 * connection is bad), else SP_ERR_DB; the SQLSTATE and the primary message
 * are kept. Returns the code recorded. conn may be NULL.
 */
int db_result_err(struct sp_errinfo *ei, const PGconn *conn, const PGresult *res);

/* Copy a libpq error message into ei without its trailing newline. */
int db_conn_err(struct sp_errinfo *ei, int code, const char *what, const PGconn *conn);

#endif /* SP_DB_INT_H */
