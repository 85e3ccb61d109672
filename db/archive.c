/*
 * archive.c: the typed calls of archive-timestamp renewal (db.h,
 * "archive.c"): claiming a due completed contract and storing its archive
 * revision, the SQL functions of migrations/010_ltv.sql.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

struct call {
	db_archive_claim_fn cb;
	void *arg;
};

void
db_archive_claim_free(struct db_archive_claim *c)
{
	if (c == NULL)
		return;
	free(c->document);
	free(c);
}

/* Columns: contract_number bigint, base_seq integer, document bytea, tsa_serial bigint,
   archive_until as Unix seconds bigint (0: none). */
static void
claim_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *k = arg;
	db_archive_claim_fn cb = k->cb;
	void *cbarg = k->arg;
	struct db_archive_claim *c = NULL;
	struct sp_errinfo ei;
	uint64_t number, seq, until;

	free(k);
	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		ei = *err;
		goto out;
	}
	if (PQntuples(res) == 0)
		goto out; /* nothing due */
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sp_err(&ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 5 || db_col_uint(res, 0, 8, &number) != 0 ||
	    db_col_uint(res, 1, 4, &seq) != 0 ||
	    db_col_bytes(res, 2, &c->document, &c->document_len) != 0 ||
	    db_col_uint(res, 3, 8, &c->tsa_serial) != 0 || db_col_uint(res, 4, 8, &until) != 0 ||
	    number > INT64_MAX || seq > INT32_MAX || until > INT64_MAX || c->document_len == 0) {
		sp_err(&ei, SP_ERR_INTERNAL, "the claimed contract does not decode");
		goto out;
	}
	c->contract_number = (int64_t)number;
	c->base_seq = (int)seq;
	c->archive_until = (int64_t)until;
out:
	if (ei.code != SP_OK) {
		db_archive_claim_free(c);
		c = NULL;
	}
	cb(cbarg, c, &ei);
}

int
db_archive_claim(struct db_pool *pool, long long horizon_s, int lease_s, int64_t tsa_until,
		 db_archive_claim_fn cb, void *arg)
{
	struct db_param p[3];
	struct call *k;
	char h[24], l[24], u[24];
	int r;

	if (horizon_s < 0 || lease_s <= 0 || tsa_until < 0)
		return SP_ERR_INVALID;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SP_ERR_NOMEM;
	k->cb = cb;
	k->arg = arg;
	snprintf(h, sizeof(h), "%lld", horizon_s);
	snprintf(l, sizeof(l), "%d", lease_s);
	memset(p, 0, sizeof(p));
	p[0].value = h;
	p[1].value = l;
	/* 0: the TSA's horizon not known yet (SQL NULL) */
	db_param_text(&p[2], tsa_until > 0 ? db_i64_text(u, sizeof(u), tsa_until) : NULL);
	r = db_query_send(pool,
			  "SELECT contract_number, base_seq, document, tsa_serial, "
			  "coalesce(floor(extract(epoch FROM archive_until))::bigint, 0) "
			  "FROM archive_renewal_claim($1::bigint, $2::integer, "
			  "to_timestamp($3::bigint))",
			  3, p, 1, 0, claim_done, k);
	if (r != SP_OK)
		free(k);
	return r;
}

int
db_archive_store(struct db_pool *pool, const struct db_archive_revision *rev, db_json_fn cb,
		 void *arg)
{
	static const char sql[] =
		"SELECT archive_renewal_store($1::bigint, $2::integer, $3::bytea, $4::bigint, $5, "
		"to_timestamp($6::bigint), to_timestamp($7::bigint))::text";
	struct db_param p[7];
	char number[24], seq[24], length[24], until[24], when[24];

	if (rev->delta_len == 0 || rev->delta_len > INT32_MAX || rev->sha256_hex == NULL)
		return SP_ERR_INVALID;
	snprintf(number, sizeof(number), "%lld", (long long)rev->contract_number);
	snprintf(seq, sizeof(seq), "%d", rev->seq);
	snprintf(length, sizeof(length), "%zu", rev->length);
	snprintf(until, sizeof(until), "%lld", (long long)rev->archive_until);
	snprintf(when, sizeof(when), "%lld", (long long)rev->tsa_time);
	memset(p, 0, sizeof(p));
	p[0].value = number;
	p[1].value = seq;
	p[2].value = (const char *)rev->delta;
	p[2].len = (int)rev->delta_len;
	p[2].binary = 1;
	p[3].value = length;
	p[4].value = rev->sha256_hex;
	p[5].value = until;
	p[6].value = when;
	return db_json_call(pool, sql, 7, p, NULL, cb, arg);
}

int
db_archive_release(struct db_pool *pool, int64_t contract_number, int failed, int retry_s,
		   db_status_fn cb, void *arg)
{
	struct db_param p[3];
	char number[24], retry[24];

	if (contract_number <= 0 || retry_s <= 0)
		return SP_ERR_INVALID;
	memset(p, 0, sizeof(p));
	db_param_text(&p[0], db_i64_text(number, sizeof(number), contract_number));
	db_param_text(&p[1], failed ? "true" : "false");
	snprintf(retry, sizeof(retry), "%d", retry_s);
	db_param_text(&p[2], retry);
	/* not found (no longer completed) is as good as released */
	return db_status_call(pool,
			      "SELECT archive_renewal_release($1::bigint, $2::boolean, "
			      "$3::integer)",
			      3, p, NULL, cb, arg);
}
