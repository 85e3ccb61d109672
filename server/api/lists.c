/*
 * lists.c: the five lists of the signing guide (GET /api/v1/contracts?tab=):
 * todo (待我办理), initiated (我发起的), signed (我签署的), cc (抄送我的),
 * drafts (我的草稿), with the guide's filters, newest first, paged.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contracts_int.h"
#include "http_int.h"

#define PAGE_SIZE_DEFAULT 10
#define PAGE_SIZE_MAX 100
#define PAGE_MAX 100000
#define FILTER_MAX 200

struct tab {
	const char *name;
	const char *from;      /* the table the tab's index is on, aliased t */
	const char *cond;      /* the tab's condition ($1 = the caller's organization) */
	const char *number, *status, *btype, *initiator, *created, *mine;  /* columns of t */
};

#define PARTY_COLS "t.contract_number", "t.c_status", "t.c_business_type", \
	"t.c_initiator_org_id", "t.c_created_at", "t.status"
#define CONTRACT_COLS "t.number", "t.status", "t.business_type", "t.initiator_org_id", \
	"t.created_at", "NULL::text"

/* Each condition repeats its index's predicate, so the planner can use it. */
static const struct tab tabs[] = {
	{ "todo", "parties t", "t.organization_id = $1 AND t.role = 'signer' AND t.status IN "
	  "('pending', 'received', 'signed') AND t.c_status = 'signing'", PARTY_COLS },
	{ "initiated", "contracts t", "t.initiator_org_id = $1 AND t.status <> 'draft'",
	  CONTRACT_COLS },
	{ "signed", "parties t", "t.organization_id = $1 AND t.role = 'signer' AND t.status IN "
	  "('signed', 'sent')", PARTY_COLS },
	{ "cc", "parties t", "t.organization_id = $1 AND t.role = 'cc' AND t.c_status <> 'draft'",
	  PARTY_COLS },
	{ "drafts", "contracts t", "t.initiator_org_id = $1 AND t.status = 'draft'",
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
		"%s AND ($2::text IS NULL OR %s = $2) AND ($3::text IS NULL OR %s = $3) ",
		t->cond, t->status, t->btype)) != SP_OK)
		return r;
	if (q_trgm)
		r = sp_buf_printf(b,
			"AND ($4::text IS NULL OR %s IN (SELECT qc.number FROM contracts qc WHERE "
			"qc.name ILIKE '%%' || $4 || '%%' OR qc.number::text LIKE '%%' || $4 || '%%')) ",
			t->number);
	else
		r = sp_buf_printf(b,
			"AND ($4::text IS NULL OR (SELECT qc.name ILIKE '%%' || $4 || '%%' OR "
			"qc.number::text LIKE '%%' || $4 || '%%' FROM contracts qc "
			"WHERE qc.number = %s)) ", t->number);
	if (r != SP_OK)
		return r;
	return sp_buf_printf(b,
		"AND ($5::text IS NULL OR %s IN (SELECT o2.id FROM organizations o2 WHERE "
		"o2.name ILIKE '%%' || $5 || '%%' OR o2.credit_code ILIKE '%%' || $5 || '%%')) "
		"AND ($6::timestamptz IS NULL OR %s >= $6) AND ($7::timestamptz IS NULL OR %s <= $7)",
		t->initiator, t->created, t->created);
}

static const char *const statuses[] = { "draft", "signing", "completed", "rejected",
					 "cancelled", "expired" };

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

static int
parse_int(const char *s, long lo, long hi, long *out)
{
	int64_t v;

	if (s == NULL)
		return 0;
	if (sp_parse_i64(s, lo, hi, &v) != SP_OK)
		return -1;
	*out = (long)v;
	return 0;
}

/* RFC 3339 with a time and a zone: "2026-11-21T19:20:46Z" or "+08:00" offset. */
static int
rfc3339_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < 20 || n > 40 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return 0;
	return s[n - 1] == 'Z' || s[n - 1] == 'z' || (n >= 6 && s[n - 3] == ':' &&
						       (s[n - 6] == '+' || s[n - 6] == '-'));
}

/* One row: the total and the page's items as a JSON array. */
static void
list_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;
	json_t *items;
	json_error_t je;

	if (wf_reply_failed(r, err))
		return;
	if (PQntuples(res) != 1 ||
	    (items = json_loads(PQgetvalue(res, 0, 1), 0, &je)) == NULL) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	request_reply_json(r, 200, json_pack("{s:o,s:I}", "items", items, "total",
					     (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
}

static void
list_step(struct request *r, const struct principal *who)
{
	const char *tabname = request_query(r, "tab");
	const char *status = request_query(r, "status");
	const char *btype = request_query(r, "business_type");
	const char *q = request_query(r, "q");
	const char *initiator = request_query(r, "initiator");
	const char *from = request_query(r, "created_from");
	const char *to = request_query(r, "created_to");
	char org[24], qe[2 * FILTER_MAX + 4], ie[2 * FILTER_MAX + 4], lim[16], off[24];
	const struct tab *tab = NULL;
	struct sp_buf sql;
	struct db_param p[9];
	long page = 1, size = PAGE_SIZE_DEFAULT;
	size_t i;
	int ok = 0, rc, q_trgm, q_chars = 0;

	if (tabname == NULL)
		tabname = "todo";
	for (i = 0; i < SP_ARRAY_LEN(tabs); i++)
		if (strcmp(tabs[i].name, tabname) == 0)
			tab = &tabs[i];
	if (tab == NULL) {
		request_problem(r, P_INVALID,
				      "tab must be todo, initiated, signed, cc or drafts");
		return;
	}
	if (status != NULL) {
		for (i = 0; i < SP_ARRAY_LEN(statuses); i++)
			ok |= strcmp(status, statuses[i]) == 0;
		if (!ok) {
			request_problem(r, P_INVALID, "status must be draft, signing, "
					      "completed, rejected, cancelled or expired");
			return;
		}
	}
	if (parse_int(request_query(r, "page"), 1, PAGE_MAX, &page) != 0 ||
	    parse_int(request_query(r, "page_size"), 1, PAGE_SIZE_MAX, &size) != 0) {
		request_problem(r, P_INVALID,
				      "page must be 1..100000 and page_size 1..100");
		return;
	}
	if ((from != NULL && !rfc3339_ok(from)) || (to != NULL && !rfc3339_ok(to))) {
		request_problem(r, P_INVALID,
				      "created_from and created_to must be RFC 3339 times with a zone");
		return;
	}
	if ((q != NULL && (strlen(q) > FILTER_MAX || like_escape(q, qe, sizeof(qe)) != 0)) ||
	    (initiator != NULL && (strlen(initiator) > FILTER_MAX ||
				   like_escape(initiator, ie, sizeof(ie)) != 0)) ||
	    (btype != NULL && strlen(btype) > 64)) {
		request_problem(r, P_INVALID, "a filter is too long");
		return;
	}
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	snprintf(lim, sizeof(lim), "%ld", size);
	snprintf(off, sizeof(off), "%ld", (page - 1) * size);
	if (q != NULL)
		for (i = 0; q[i] != '\0'; i++)
			q_chars += ((unsigned char)q[i] & 0xc0) != 0x80;  /* code points */
	q_trgm = q_chars >= 3;
	/* The total and the page in one statement, each from the tab's index. */
	sp_buf_init(&sql, 16384);
	if ((rc = sp_buf_printf(&sql, "SELECT (SELECT count(*) FROM %s WHERE ", tab->from)) != SP_OK ||
	    (rc = where_add(&sql, tab, q_trgm)) != SP_OK ||
	    (rc = sp_buf_printf(&sql,
		"), coalesce((SELECT jsonb_agg(x.j ORDER BY x.n DESC) FROM (SELECT pg.n, "
		"jsonb_build_object('number', c.number::text, 'name', c.name, "
		"'business_type', c.business_type, 'status', c.status, 'initiator', "
		"jsonb_build_object('name', io.name, 'credit_code', io.credit_code), "
		"'created_at', wf_ts(c.created_at), 'sent_at', wf_ts(c.sent_at), "
		"'deadline', wf_ts(c.deadline), 'completed_at', wf_ts(c.completed_at), "
		"'my_status', pg.mine) AS j FROM (SELECT %s AS n, %s AS mine FROM %s WHERE ",
		tab->number, tab->mine, tab->from)) != SP_OK ||
	    (rc = where_add(&sql, tab, q_trgm)) != SP_OK ||
	    (rc = sp_buf_printf(&sql, " ORDER BY %s DESC LIMIT $8::integer OFFSET $9::integer) pg "
		"JOIN contracts c ON c.number = pg.n JOIN organizations io "
		"ON io.id = c.initiator_org_id) x), '[]')::text", tab->number)) != SP_OK) {
		sp_buf_cleanup(&sql);
		request_reply_error(r, rc, NULL);
		return;
	}
	memset(p, 0, sizeof(p));
	p[0].value = org;
	p[1].value = status;
	p[2].value = btype;
	p[3].value = q != NULL && *q != '\0' ? qe : NULL;
	p[4].value = initiator != NULL && *initiator != '\0' ? ie : NULL;
	p[5].value = from;
	p[6].value = to;
	p[7].value = lim;
	p[8].value = off;
	rc = db_query_send(request_db(r), (const char *)sql.data, 9, p, 0, 0, list_done, r);
	sp_buf_cleanup(&sql);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
list(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, list_step);
}

int
routes_lists_register(struct router *rt, struct sp_errinfo *ei)
{
	return router_route_add(rt, HTTP_GET, "/api/v1/contracts", list, 0, ei);
}
