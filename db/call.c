/*
 * call.c: the plumbing the typed calls of the aggregate files share (see
 * db_int.h): parameters, column decoding, and the common result shapes (a
 * JSON document parsed or as its text, a found/not-found status, a count).
 * Loop thread.
 */
#include "db_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
db_param_text(struct db_param *p, const char *value)
{
	memset(p, 0, sizeof(*p));
	p->value = value;
}

const char *
db_i64_text(char *buf, size_t n, int64_t v)
{
	snprintf(buf, n, "%" PRId64, v);
	return buf;
}

int64_t
db_col_i64(const PGresult *res, int row, int col)
{
	int64_t v = 0;

	if (PQgetisnull(res, row, col) ||
	    sp_parse_i64(PQgetvalue(res, row, col), INT64_MIN, INT64_MAX, &v) != SP_OK)
		return 0;
	return v;
}

const char *
db_col_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

int
db_shape_err(struct sp_errinfo *ei, const char *what)
{
	return sp_err(ei, SP_ERR_DB, "%s: unexpected result from the database", what);
}

/* ---- the common shapes --------------------------------------------------------- */

struct call_wait {
	const char *not_found; /* static */
	db_json_fn json_cb;
	db_text_fn text_cb;
	db_status_fn status_cb;
	db_count_fn count_cb;
	void *arg;
};

static void
not_found(struct sp_errinfo *ei, const char *msg)
{
	sp_err_reason(ei, SP_ERR_NOT_FOUND, "not_found", "%s", msg != NULL ? msg : "not found");
}

static void
on_json(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call_wait w = *(struct call_wait *)arg;
	struct sp_errinfo ei;
	json_error_t je;
	json_t *doc = NULL;

	free(arg);
	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		w.json_cb(w.arg, NULL, err);
		return;
	}
	if (PQntuples(res) < 1 || PQnfields(res) < 1 || PQgetisnull(res, 0, 0)) {
		not_found(&ei, w.not_found);
	} else if ((doc = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &je)) == NULL) {
		db_shape_err(&ei, "JSON document");
	}
	w.json_cb(w.arg, doc, &ei);
}

/* The same shape as on_json, the text handed over as PostgreSQL returned it. */
static void
on_text(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call_wait w = *(struct call_wait *)arg;
	struct sp_errinfo ei;
	int len;

	free(arg);
	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		w.text_cb(w.arg, NULL, 0, err);
		return;
	}
	if (PQntuples(res) < 1 || PQnfields(res) < 1 || PQgetisnull(res, 0, 0)) {
		not_found(&ei, w.not_found);
	} else if ((len = PQgetlength(res, 0, 0)) < 1) {
		db_shape_err(&ei, "JSON document");
	} else {
		w.text_cb(w.arg, PQgetvalue(res, 0, 0), (size_t)len, &ei);
		return;
	}
	w.text_cb(w.arg, NULL, 0, &ei);
}

static void
on_status(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call_wait w = *(struct call_wait *)arg;
	struct sp_errinfo ei;

	free(arg);
	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		w.status_cb(w.arg, err);
		return;
	}
	if (w.not_found != NULL &&
	    (PQntuples(res) < 1 || PQnfields(res) < 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0))
		not_found(&ei, w.not_found);
	w.status_cb(w.arg, &ei);
}

static void
on_count(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call_wait w = *(struct call_wait *)arg;
	long long n = 0;

	free(arg);
	if (err->code == SP_OK && PQntuples(res) > 0 && PQnfields(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		n = db_col_i64(res, 0, 0);
	w.count_cb(w.arg, n, err);
}

static int
call_send(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	  struct call_wait *tmpl, db_done_fn done)
{
	struct call_wait *w;
	int r;

	if ((w = malloc(sizeof(*w))) == NULL)
		return SP_ERR_NOMEM;
	*w = *tmpl;
	if ((r = db_query_send_prepared(pool, sql, nparams, params, 0, 0, done, w)) != SP_OK)
		free(w);
	return r;
}

int
db_json_call(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	     const char *not_found_msg, db_json_fn cb, void *arg)
{
	struct call_wait t = { not_found_msg, cb, NULL, NULL, NULL, arg };

	if (cb == NULL)
		return SP_ERR_INVALID;
	return call_send(pool, sql, nparams, params, &t, on_json);
}

int
db_text_call(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	     const char *not_found_msg, db_text_fn cb, void *arg)
{
	struct call_wait t = { not_found_msg, NULL, cb, NULL, NULL, arg };

	if (cb == NULL)
		return SP_ERR_INVALID;
	return call_send(pool, sql, nparams, params, &t, on_text);
}

int
db_status_call(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	       const char *not_found_msg, db_status_fn cb, void *arg)
{
	struct call_wait t = { not_found_msg, NULL, NULL, cb, NULL, arg };

	if (cb == NULL)
		return SP_ERR_INVALID;
	return call_send(pool, sql, nparams, params, &t, on_status);
}

int
db_count_call(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	      db_count_fn cb, void *arg)
{
	struct call_wait t = { NULL, NULL, NULL, NULL, cb, arg };

	if (cb == NULL)
		return SP_ERR_INVALID;
	return call_send(pool, sql, nparams, params, &t, on_count);
}

/* A binary integer column of exactly size bytes (2, 4 or 8); -1 when NULL or misfit. */
int
db_col_uint(const PGresult *res, int c, int size, uint64_t *out)
{
	*out = 0;
	if (PQgetisnull(res, 0, c) || PQgetlength(res, 0, c) != size)
		return -1;
	*out = sp_load_ben((const unsigned char *)PQgetvalue(res, 0, c), (size_t)size);
	return 0;
}

/* A bytea column into a malloc'd copy (at least 1 byte allocated); -1 when NULL or no memory. */
int
db_col_bytes(const PGresult *res, int c, uint8_t **out, size_t *len)
{
	int n;

	*out = NULL;
	*len = 0;
	if (PQgetisnull(res, 0, c) || (n = PQgetlength(res, 0, c)) < 0)
		return -1;
	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return -1;
	memcpy(*out, PQgetvalue(res, 0, c), (size_t)n);
	*len = (size_t)n;
	return 0;
}
