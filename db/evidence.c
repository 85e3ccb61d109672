/*
 * evidence.c: the evidence report's one database call (db.h, "evidence.c"):
 * SQL contract_evidence_bounded of migrations/043 (how often the
 * organization asked, then 013's contract_evidence), which checks who
 * asks, how often and the contract's state, records the request in the
 * contract's audit chain and answers everything the report shows. bytea and integer
 * columns come back in binary and are decoded here.
 */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

struct evidence_call {
	db_evidence_fn cb;
	void *arg;
};

void
db_evidence_free(struct db_evidence *e)
{
	if (e == NULL)
		return;
	free(e->info);
	free(e->document);
	free(e);
}

/* Columns: info text, document bytea, tsa_serial bigint, archive_serial bigint (binary). */
static void
evidence_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct evidence_call c = *(struct evidence_call *)arg;
	struct db_evidence *e = NULL;
	struct sp_errinfo ei;
	uint8_t *info = NULL;
	size_t infolen = 0;

	free(arg);
	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		ei = *err;
		goto out;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 4) {
		sp_err_reason(&ei, SP_ERR_NOT_FOUND, "not_found", "no such contract");
		goto out;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		sp_err(&ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (db_col_bytes(res, 0, &info, &infolen) != 0 ||
	    db_col_bytes(res, 1, &e->document, &e->document_len) != 0 || e->document_len == 0 ||
	    db_col_uint(res, 2, 8, &e->tsa_serial) != 0 ||
	    db_col_uint(res, 3, 8, &e->archive_serial) != 0 ||
	    (e->info = malloc(infolen + 1)) == NULL) {
		db_shape_err(&ei, "contract_evidence");
		goto out;
	}
	memcpy(e->info, info, infolen);
	e->info[infolen] = '\0';
	e->info_len = infolen;
out:
	free(info);
	if (ei.code != SP_OK) {
		db_evidence_free(e);
		e = NULL;
	}
	c.cb(c.arg, e, &ei);
}

int
db_contract_evidence(struct db_pool *pool, int64_t number, const struct db_actor *who,
		     int max_per_day, db_evidence_fn cb, void *arg)
{
	static const char sql[] = "SELECT info::text, document, tsa_serial, archive_serial FROM "
				  "contract_evidence_bounded($1::bigint, $2::bigint, $3::bigint, "
				  "$4::inet, $5, $6::integer)";
	struct evidence_call *c;
	struct db_actor_text t;
	struct db_param p[6];
	char num[24], max[16];
	int r;

	if (cb == NULL || who == NULL)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	db_param_text(&p[0], db_i64_text(num, sizeof(num), number));
	db_param_text(&p[1], t.org);
	db_param_text(&p[2], t.user);
	db_param_text(&p[3], t.ip);
	db_param_text(&p[4], t.ua);
	db_param_text(&p[5], db_i64_text(max, sizeof(max), max_per_day));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ERR_NOMEM;
	c->cb = cb;
	c->arg = arg;
	if ((r = db_query_send(pool, sql, 6, p, 1, 0, evidence_done, c)) != SP_OK)
		free(c);
	return r;
}
