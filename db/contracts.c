/*
 * contracts.c: the contract aggregate's typed calls: drafts, the contract
 * as a caller sees it, its documents, and the workflow transitions. Every
 * state change is one call of a SQL function of migrations/003 and 005
 * (which hold the rules, including whose turn it is); every read of one
 * contract goes through the one visibility check, db_contract_visible().
 */
#include "db_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Organization $2 sees contract c: it initiated it, or it is a party and
 * the contract was sent (a party never sees a draft). wf_lock() of
 * migrations/003 applies the same rule to state changes.
 */
#define VISIBLE \
	"(c.initiator_org_id = $2 OR (c.status <> 'draft' AND EXISTS (SELECT 1 " \
	"FROM parties vp WHERE vp.contract_number = c.number AND vp.organization_id = $2)))"

int
db_contract_visible(struct db_visible *v, int64_t number, int64_t org, const char *cols,
		    const char *join, const char *and)
{
	int n;

	memset(v, 0, sizeof(*v));
	n = snprintf(v->sql, sizeof(v->sql),
		     "SELECT %s FROM contracts c %s WHERE c.number = $1::bigint AND " VISIBLE " %s",
		     cols, join, and);
	if (n < 0 || (size_t)n >= sizeof(v->sql))
		return SP_ERR_INVALID;
	snprintf(v->number, sizeof(v->number), "%lld", (long long)number);
	snprintf(v->org, sizeof(v->org), "%lld", (long long)org);
	v->p[0].value = v->number;
	v->p[1].value = v->org;
	v->n = 2;
	return SP_OK;
}

int
db_contract_get(struct db_pool *pool, int64_t number, int64_t org, db_text_fn cb, void *arg)
{
	struct db_visible v;
	int r;

	if ((r = db_contract_visible(&v, number, org, "contract_json(c.number, $2)::text", "",
				     "")) != SP_OK)
		return r;
	return db_text_call(pool, v.sql, v.n, v.p, NULL, cb, arg);
}

int
db_contract_create(struct db_pool *pool, const struct db_actor *who,
		   const struct db_contract_new *c, db_text_fn cb, void *arg)
{
	static const char sql[] =
		"SELECT contract_create_capped($1::bigint, $2::bigint, $3::bigint, $4, "
		"business_type_code($5), "
		"$6::timestamptz, $7::jsonb, $8::bytea, $9, $10::integer, $11, $12::inet, "
		"$13, $14::integer, $15::bigint, $16::integer, $17::bytea)::text";
	struct db_actor_text a;
	struct db_param p[17];
	char number[24], pages[16], drafts[16], bytes[24], per_day[16];

	if (c->pdf_len > INT32_MAX || c->refs_len > INT32_MAX || c->max_drafts < 1 ||
	    c->max_draft_bytes < 1 || c->max_created_per_day < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, who);
	snprintf(number, sizeof(number), "%lld", (long long)c->number);
	snprintf(pages, sizeof(pages), "%d", c->pages);
	memset(p, 0, sizeof(p));
	p[0].value = number;
	p[1].value = a.org;
	p[2].value = a.user;
	p[3].value = c->name;
	p[4].value = c->business_type;
	p[5].value = c->deadline;
	p[6].value = c->parties;
	p[7].value = (const char *)c->pdf;
	p[7].len = (int)c->pdf_len;
	p[7].binary = 1;
	p[8].value = c->sha256;
	p[9].value = pages;
	p[10].value = c->idem_key;
	p[11].value = a.ip;
	p[12].value = a.ua;
	snprintf(drafts, sizeof(drafts), "%d", c->max_drafts);
	snprintf(bytes, sizeof(bytes), "%zu", c->max_draft_bytes);
	snprintf(per_day, sizeof(per_day), "%d", c->max_created_per_day);
	p[13].value = drafts;
	p[14].value = bytes;
	p[15].value = per_day;
	if (c->refs != NULL && c->refs_len > 0) { /* NULL otherwise: none stored */
		p[16].value = (const char *)c->refs;
		p[16].len = (int)c->refs_len;
		p[16].binary = 1;
	}
	return db_text_call(pool, sql, 17, p, NULL, cb, arg);
}

int
db_contract_update(struct db_pool *pool, int64_t number, const struct db_actor *who,
		   const struct db_contract_edit *e, db_text_fn cb, void *arg)
{
	static const char sql[] =
		"SELECT contract_update_capped($1::bigint, $2::bigint, $3::bigint, "
		"$4, business_type_code($5), $6::timestamptz, $7::boolean, "
		"$8::jsonb, $9::inet, $10, $11::integer)::text";
	struct db_actor_text a;
	struct db_param p[11];
	char num[24], per_day[16];

	if (e->max_per_day < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, who);
	snprintf(num, sizeof(num), "%lld", (long long)number);
	memset(p, 0, sizeof(p));
	p[0].value = num;
	p[1].value = a.org;
	p[2].value = a.user;
	p[3].value = e->name;
	p[4].value = e->business_type;
	p[5].value = e->deadline;
	p[6].value = e->clear_deadline ? "true" : "false";
	p[7].value = e->parties;
	p[8].value = a.ip;
	p[9].value = a.ua;
	p[10].value = db_i64_text(per_day, sizeof(per_day), e->max_per_day);
	return db_text_call(pool, sql, 11, p, NULL, cb, arg);
}

int
db_contract_delete(struct db_pool *pool, int64_t number, const struct db_actor *who,
		   db_status_fn cb, void *arg)
{
	static const char sql[] =
		"SELECT contract_delete($1::bigint, $2::bigint, $3::bigint, $4::inet, $5)";
	struct db_actor_text a;
	struct db_param p[5];
	char num[24];

	db_actor_text_fill(&a, who);
	snprintf(num, sizeof(num), "%lld", (long long)number);
	memset(p, 0, sizeof(p));
	p[0].value = num;
	p[1].value = a.org;
	p[2].value = a.user;
	p[3].value = a.ip;
	p[4].value = a.ua;
	return db_status_call(pool, sql, 5, p, NULL, cb, arg);
}

/* ---- transitions ------------------------------------------------------------------------- */

/*
 * One transition: sql takes (number, org, user, ip, ua), or (number, org,
 * user, reason, ip, ua) when reason is not NULL; then limit when it is not
 * NULL.
 */
static int
transition(struct db_pool *pool, const char *sql, int64_t number, const struct db_actor *who,
	   const char *reason, const char *limit, db_text_fn cb, void *arg)
{
	struct db_actor_text a;
	struct db_param p[7];
	char num[24];
	int k = 0;

	db_actor_text_fill(&a, who);
	snprintf(num, sizeof(num), "%lld", (long long)number);
	memset(p, 0, sizeof(p));
	p[k++].value = num;
	p[k++].value = a.org;
	p[k++].value = a.user;
	if (reason != NULL)
		p[k++].value = reason;
	p[k++].value = a.ip;
	p[k++].value = a.ua;
	if (limit != NULL)
		p[k++].value = limit;
	return db_text_call(pool, sql, k, p, NULL, cb, arg);
}

int
db_contract_send(struct db_pool *pool, int64_t number, const struct db_actor *who,
		 int max_sent_per_day, db_text_fn cb, void *arg)
{
	char cap[16];

	snprintf(cap, sizeof(cap), "%d", max_sent_per_day);
	return transition(pool,
			  "SELECT contract_send_capped($1::bigint, $2::bigint, $3::bigint, "
			  "$4::inet, $5, $6::integer)::text",
			  number, who, NULL, cap, cb, arg);
}

int
db_contract_receive(struct db_pool *pool, int64_t number, const struct db_actor *who, db_text_fn cb,
		    void *arg)
{
	return transition(pool,
			  "SELECT contract_receive($1::bigint, $2::bigint, $3::bigint, "
			  "$4::inet, $5)::text",
			  number, who, NULL, NULL, cb, arg);
}

int
db_contract_cancel(struct db_pool *pool, int64_t number, const struct db_actor *who, db_text_fn cb,
		   void *arg)
{
	return transition(pool,
			  "SELECT contract_cancel($1::bigint, $2::bigint, $3::bigint, "
			  "$4::inet, $5)::text",
			  number, who, NULL, NULL, cb, arg);
}

int
db_contract_reject(struct db_pool *pool, int64_t number, const struct db_actor *who,
		   const char *reason, db_text_fn cb, void *arg)
{
	if (reason == NULL)
		return SP_ERR_INVALID;
	return transition(pool,
			  "SELECT contract_reject($1::bigint, $2::bigint, $3::bigint, $4, "
			  "$5::inet, $6)::text",
			  number, who, reason, NULL, cb, arg);
}

int
db_contract_receive_all(struct db_pool *pool, const struct db_actor *who, db_text_fn cb, void *arg)
{
	static const char sql[] = "SELECT jsonb_build_object('received', contract_receive_all("
				  "$1::bigint, $2::bigint, $3::inet, $4))::text";
	struct db_actor_text a;
	struct db_param p[4];

	db_actor_text_fill(&a, who);
	memset(p, 0, sizeof(p));
	p[0].value = a.org;
	p[1].value = a.user;
	p[2].value = a.ip;
	p[3].value = a.ua;
	return db_text_call(pool, sql, 4, p, NULL, cb, arg);
}

int
db_contract_expire_due(struct db_pool *pool, int limit, db_count_fn cb, void *arg)
{
	struct db_param p[1];
	char lim[16];

	if (limit < 1)
		return SP_ERR_INVALID;
	snprintf(lim, sizeof(lim), "%d", limit);
	memset(p, 0, sizeof(p));
	p[0].value = lim;
	return db_count_call(pool, "SELECT contract_expire_due($1::integer)", 1, p, cb, arg);
}

/* ---- documents ---------------------------------------------------------------------------- */

struct document_call {
	db_document_fn cb;
	void *arg;
};

/* A binary-format text column into out (n bytes with the NUL), cut to fit. */
static void
text_column(const PGresult *res, int col, char *out, size_t n)
{
	size_t len = (size_t)PQgetlength(res, 0, col);

	if (len >= n)
		len = n - 1;
	memcpy(out, PQgetvalue(res, 0, col), len);
	out[len] = '\0';
}

static void
document_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct document_call *c = arg;
	struct db_document doc;
	struct sp_errinfo ei;
	uint32_t seq_be;

	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		c->cb(c->arg, NULL, err);
		goto out;
	}
	if (PQntuples(res) < 1 || PQnfields(res) < 4 || PQgetisnull(res, 0, 2) ||
	    PQgetlength(res, 0, 0) != (int)sizeof(seq_be)) {
		sp_err_reason(&ei, SP_ERR_NOT_FOUND, "not_found", "no such contract or revision");
		c->cb(c->arg, NULL, &ei);
		goto out;
	}
	/* Binary results: seq is int4 in network order; text columns are raw bytes. */
	memset(&doc, 0, sizeof(doc));
	memcpy(&seq_be, PQgetvalue(res, 0, 0), sizeof(seq_be));
	doc.seq = (int)ntohl(seq_be);
	text_column(res, 1, doc.sha256, sizeof(doc.sha256));
	text_column(res, 3, doc.name, sizeof(doc.name));
	doc.data = (const unsigned char *)PQgetvalue(res, 0, 2);
	doc.len = (size_t)PQgetlength(res, 0, 2);
	c->cb(c->arg, &doc, &ei);
out:
	free(c);
}

int
db_contract_document(struct db_pool *pool, int64_t number, int64_t org, int seq, db_document_fn cb,
		     void *arg)
{
	struct document_call *c;
	struct db_visible v;
	char seqs[16];
	int r;

	if (cb == NULL)
		return SP_ERR_INVALID;
	if ((r = db_contract_visible(&v, number, org,
				     "rv.seq, rv.sha256, revision_document(rv.contract_number, "
				     "rv.seq), c.name",
				     "JOIN revisions rv ON rv.contract_number = c.number",
				     "AND rv.seq = coalesce($3::integer, (SELECT max(seq) FROM "
				     "revisions WHERE contract_number = c.number))")) != SP_OK)
		return r;
	snprintf(seqs, sizeof(seqs), "%d", seq);
	v.p[2].value = seq >= 0 ? seqs : NULL;
	v.n = 3;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ERR_NOMEM;
	c->cb = cb;
	c->arg = arg;
	if ((r = db_query_send(pool, v.sql, v.n, v.p, 1, 0, document_done, c)) != SP_OK)
		free(c);
	return r;
}
