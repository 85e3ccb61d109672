/*
 * lists.c: the five lists of the signing guide: todo (待我办理), initiated
 * (我发起的), signed (我签署的), cc (抄送我的), drafts (我的草稿), with the
 * guide's filters, newest first, paged.
 *
 * Each tab starts from its own partial index of 003_workflow.sql, ordered by
 * contract number (time-ordered, so number DESC is newest first). Filters are
 * "$k IS NULL OR ..." terms: libpq's unnamed statements are planned with the
 * actual values, so absent filters fold away and present ones can use the
 * trigram indexes. One statement returns the page and the total count.
 *
 * The party tabs read only parties: the contract columns they filter on are
 * copied onto each party row (003_workflow.sql), so the count is an
 * index-only scan of the caller's rows and the page walks the index in order
 * and stops after page_size rows. Joining contracts instead made the planner
 * hash-join against a sequential scan of all contracts once one organization
 * was a party to most of them.
 */
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tab {
	const char *from; /* the table the tab's index is on, aliased t */
	const char *cond; /* the tab's condition ($1 = the caller's organization) */
	const char *number, *status, *btype, *initiator, *created, *mine; /* columns of t */
};

#define PARTY_COLS \
	"t.contract_number", "t.c_status", "t.c_business_type", "t.c_initiator_org_id", \
		"t.c_created_at", "t.status"
#define CONTRACT_COLS \
	"t.number", "t.status", "t.business_type", "t.initiator_org_id", "t.created_at", \
		"NULL::text"

/* Each condition repeats its index's predicate, so the planner can use it. */
static const struct tab tabs[] = {
	[DB_LIST_TODO] = { "parties t",
			   "t.organization_id = $1 AND t.role = 'signer' AND "
			   "t.status IN ('pending', 'received', 'signed') AND t.c_status = "
			   "'signing'",
			   PARTY_COLS },
	[DB_LIST_INITIATED] = { "contracts t", "t.initiator_org_id = $1 AND t.status <> 'draft'",
				CONTRACT_COLS },
	[DB_LIST_SIGNED] = { "parties t",
			     "t.organization_id = $1 AND t.role = 'signer' AND "
			     "t.status IN ('signed', 'sent')",
			     PARTY_COLS },
	[DB_LIST_CC] = { "parties t",
			 "t.organization_id = $1 AND t.role = 'cc' AND "
			 "t.c_status <> 'draft'",
			 PARTY_COLS },
	[DB_LIST_DRAFTS] = { "contracts t", "t.initiator_org_id = $1 AND t.status = 'draft'",
			     CONTRACT_COLS },
};

/*
 * The filters. A search text of 3+ characters is looked up in the trigram
 * indexes of contracts; a shorter one has no trigrams to use, so it is
 * checked by a correlated primary-key lookup (a subplan the planner cannot
 * turn into a scan of all contracts) on the rows the tab's index selected.
 */
static int
where_add(struct sp_buf *b, const struct tab *t, int q_trgm)
{
	int r;

	if ((r = sp_buf_printf(b,
			       "%s AND ($2::text IS NULL OR %s = $2) AND ($3::text IS NULL OR %s = "
			       "business_type_code($3)) ",
			       t->cond, t->status, t->btype)) != SP_OK)
		return r;
	if (q_trgm)
		r = sp_buf_printf(b,
				  "AND ($4::text IS NULL OR %s IN (SELECT qc.number FROM contracts "
				  "qc WHERE "
				  "qc.name ILIKE '%%' || $4 || '%%' OR qc.number::text LIKE '%%' "
				  "|| $4 || '%%')) ",
				  t->number);
	else
		r = sp_buf_printf(b,
				  "AND ($4::text IS NULL OR (SELECT qc.name ILIKE '%%' || $4 || "
				  "'%%' OR "
				  "qc.number::text LIKE '%%' || $4 || '%%' FROM contracts qc "
				  "WHERE qc.number = %s)) ",
				  t->number);
	if (r != SP_OK)
		return r;
	return sp_buf_printf(
		b,
		"AND ($5::text IS NULL OR %s IN (SELECT o2.id FROM organizations o2 WHERE "
		"o2.name ILIKE '%%' || $5 || '%%' OR o2.credit_code ILIKE '%%' || $5 || '%%')) "
		"AND ($6::timestamptz IS NULL OR %s >= $6) AND ($7::timestamptz IS NULL OR %s <= "
		"$7)",
		t->initiator, t->created, t->created);
}

/* Escape LIKE's wildcards so that a search for "10%" means those characters. */
static int
like_escape(const char *in, char *out, size_t outlen)
{
	size_t k = 0;

	for (; *in != '\0'; in++) {
		if (k + 3 > outlen)
			return -1;
		if (*in == '%' || *in == '_' || *in == '\\')
			out[k++] = '\\';
		out[k++] = *in;
	}
	out[k] = '\0';
	return 0;
}

/* A filter that is absent or empty is NULL; else its escaped copy in buf. */
static int
like_param(const char *in, char *buf, size_t n, const char **out)
{
	*out = NULL;
	if (in == NULL || *in == '\0')
		return SP_OK;
	if (strlen(in) > DB_LIST_FILTER_MAX || like_escape(in, buf, n) != 0)
		return SP_ERR_INVALID;
	*out = buf;
	return SP_OK;
}

struct list_call {
	db_json_fn cb;
	void *arg;
};

/* One row: the total and the page's items as a JSON array. */
static void
list_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct list_call *c = arg;
	struct sp_errinfo ei;
	json_error_t je;
	json_t *items = NULL, *doc = NULL;

	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		ei = *err;
	} else if (PQntuples(res) != 1 || PQnfields(res) != 2 ||
		   (items = json_loads(PQgetvalue(res, 0, 1), 0, &je)) == NULL) {
		sp_err(&ei, SP_ERR_INTERNAL, "the list query returned no page");
	} else if ((doc = json_pack("{s:o,s:I}", "items", items, "total",
				    (json_int_t)db_col_i64(res, 0, 0))) == NULL) {
		sp_err(&ei, SP_ERR_NOMEM, "out of memory");
	}
	c->cb(c->arg, doc, &ei);
	free(c);
}

int
db_contract_list(struct db_pool *pool, int64_t org, const struct db_list_query *lq, db_json_fn cb,
		 void *arg)
{
	char orgs[24], qe[2 * DB_LIST_FILTER_MAX + 4], ie[2 * DB_LIST_FILTER_MAX + 4];
	char lim[16], off[24];
	const struct tab *tab;
	struct list_call *c = NULL;
	struct sp_buf sql;
	struct db_param p[9];
	const char *q, *initiator;
	size_t i;
	int r = SP_ERR_INTERNAL, q_trgm, q_chars = 0;

	sp_buf_init(&sql, 16384);
	if (cb == NULL || (unsigned)lq->tab >= SP_ARRAY_LEN(tabs) || lq->page < 1 ||
	    lq->page > DB_LIST_PAGE_MAX || lq->page_size < 1 ||
	    lq->page_size > DB_LIST_PAGE_SIZE_MAX ||
	    like_param(lq->q, qe, sizeof(qe), &q) != SP_OK ||
	    like_param(lq->initiator, ie, sizeof(ie), &initiator) != SP_OK) {
		r = SP_ERR_INVALID;
		goto out;
	}
	tab = &tabs[lq->tab];
	snprintf(orgs, sizeof(orgs), "%lld", (long long)org);
	snprintf(lim, sizeof(lim), "%d", lq->page_size);
	snprintf(off, sizeof(off), "%ld", (long)(lq->page - 1) * lq->page_size);
	if (lq->q != NULL)
		for (i = 0; lq->q[i] != '\0'; i++)
			q_chars += ((unsigned char)lq->q[i] & 0xc0) != 0x80; /* code points */
	q_trgm = q_chars >= 3;
	/* The total and the page in one statement, each from the tab's index. */
	if ((r = sp_buf_printf(&sql, "SELECT (SELECT count(*) FROM %s WHERE ", tab->from)) !=
		    SP_OK ||
	    (r = where_add(&sql, tab, q_trgm)) != SP_OK ||
	    (r = sp_buf_printf(
		     &sql,
		     "), coalesce((SELECT jsonb_agg(x.j ORDER BY x.n DESC) FROM (SELECT pg.n, "
		     "jsonb_build_object('number', c.number::text, 'name', c.name, "
		     "'business_type', c.business_type, 'business_type_name', "
		     "business_type_name(c.business_type), 'status', c.status, 'initiator', "
		     "jsonb_build_object('name', io.name, 'credit_code', io.credit_code), "
		     "'created_at', wf_ts(c.created_at), 'sent_at', wf_ts(c.sent_at), "
		     "'deadline', wf_ts(c.deadline), 'completed_at', wf_ts(c.completed_at), "
		     "'my_status', pg.mine) AS j FROM (SELECT %s AS n, %s AS mine FROM %s WHERE ",
		     tab->number, tab->mine, tab->from)) != SP_OK ||
	    (r = where_add(&sql, tab, q_trgm)) != SP_OK ||
	    (r = sp_buf_printf(&sql,
			       " ORDER BY %s DESC LIMIT $8::integer OFFSET $9::integer) pg "
			       "JOIN contracts c ON c.number = pg.n JOIN organizations io "
			       "ON io.id = c.initiator_org_id) x), '[]')::text",
			       tab->number)) != SP_OK)
		goto out;
	memset(p, 0, sizeof(p));
	p[0].value = orgs;
	p[1].value = lq->status;
	p[2].value = lq->business_type;
	p[3].value = q;
	p[4].value = initiator;
	p[5].value = lq->created_from;
	p[6].value = lq->created_to;
	p[7].value = lim;
	p[8].value = off;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	c->cb = cb;
	c->arg = arg;
	if ((r = db_query_send(pool, (const char *)sql.data, 9, p, 0, 0, list_done, c)) != SP_OK)
		goto out;
	c = NULL; /* transferred */
	r = SP_OK;
out:
	free(c);
	sp_buf_cleanup(&sql);
	return r;
}
