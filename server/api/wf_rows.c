/*
 * wf_rows.c: the raw-row helpers of wf_rows.h, for the route modules whose
 * statements have not moved to db/ yet.
 */
#include <stdio.h>
#include <string.h>

#include "contracts_int.h"
#include "http_int.h"

static void
reply_json_status(void *arg, const PGresult *res, const struct sp_errinfo *err, int status)
{
	struct request *r = arg;
	json_t *doc;
	json_error_t je;

	if (wf_reply_failed(r, err))
		return;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_problem(r, P_NOT_FOUND, "not found");
		return;
	}
	doc = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &je);
	if (doc == NULL) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	request_reply_json(r, status, doc);
}

void
wf_reply_json(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	reply_json_status(arg, res, err, 200);
}

void
wf_reply_json_created(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	reply_json_status(arg, res, err, 201);
}

void
wf_contract_query(struct request *r, const struct principal *who, const char *sql,
		  int binary_result, db_done_fn cb)
{
	struct db_param p[2];
	char number[24], org[24];
	int64_t n;
	int rc;

	if (!wf_path_number(r, &n))
		return;
	snprintf(number, sizeof(number), "%lld", (long long)n);
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	memset(p, 0, sizeof(p));
	p[0].value = number;
	p[1].value = org;
	rc = db_query_send(request_db(r), sql, 2, p, binary_result, 0, cb, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}
