/*
 * call.c: the plumbing the typed calls of db/ share: one statement sent on
 * the pool whose result is decoded into the shapes of db.h (a JSON document,
 * a bare status, a count) before the caller's callback runs. Loop thread.
 */
#include "db_int.h"

#include <stdlib.h>
#include <string.h>

/* One accepted call: whose callback gets the decoded result. */
struct call {
	db_json_fn json;
	db_status_fn status;
	db_count_fn count;
	void *arg;
};

static void
json_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	struct sp_errinfo ei;
	json_error_t je;
	json_t *doc = NULL;

	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		ei = *err;
	} else if (PQntuples(res) < 1 || PQnfields(res) < 1 || PQgetisnull(res, 0, 0)) {
		sp_err_reason(&ei, SP_ERR_NOT_FOUND, "not_found", "not found");
	} else if ((doc = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &je)) == NULL) {
		sp_err(&ei, SP_ERR_INTERNAL, "the database returned malformed JSON: %s", je.text);
	}
	c->json(c->arg, doc, &ei);
	free(c);
}

static void
status_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;

	(void)res;
	c->status(c->arg, err);
	free(c);
}

static void
count_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	long long n = 0;

	if (err->code == SP_OK && PQntuples(res) > 0 && PQnfields(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	c->count(c->arg, n, err);
	free(c);
}

static int
call_send(struct db_pool *pool, const char *sql, int n, const struct db_param *p,
	  int timeout_ms, db_done_fn done, struct call *c)
{
	int r;

	if ((r = db_query_send(pool, sql, n, p, 0, timeout_ms, done, c)) != SP_OK)
		free(c);
	return r;
}

int
db_call_json(struct db_pool *pool, const char *sql, int n, const struct db_param *p,
	     db_json_fn cb, void *arg)
{
	struct call *c;

	if (cb == NULL)
		return SP_ERR_INVALID;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ERR_NOMEM;
	c->json = cb;
	c->arg = arg;
	return call_send(pool, sql, n, p, 0, json_done, c);
}

int
db_call_status(struct db_pool *pool, const char *sql, int n, const struct db_param *p,
	       int timeout_ms, db_status_fn cb, void *arg)
{
	struct call *c;

	if (cb == NULL)
		return SP_ERR_INVALID;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ERR_NOMEM;
	c->status = cb;
	c->arg = arg;
	return call_send(pool, sql, n, p, timeout_ms, status_done, c);
}

int
db_call_count(struct db_pool *pool, const char *sql, int n, const struct db_param *p,
	      db_count_fn cb, void *arg)
{
	struct call *c;

	if (cb == NULL)
		return SP_ERR_INVALID;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ERR_NOMEM;
	c->count = cb;
	c->arg = arg;
	return call_send(pool, sql, n, p, 0, count_done, c);
}
