/*
 * lists.c: the five lists of the signing guide: todo (待我办理), initiated
 * (我发起的), signed (我签署的), cc (抄送我的), drafts (我的草稿), with the
 * guide's filters, newest first, paged.
 *
 * Each tab starts from its own partial index (011_perf.sql), ordered by
 * creation time then contract number: newest first, and a creation-time
 * range is a range of the index; the to-do tab also by business type first
 * (020), so a business_type filter walks only that type's rows. Only the
 * present filters are written into the statement, which is planned with the
 * actual values. One statement returns the page, whether more rows follow,
 * and the total: an unfiltered tab's size from list_counts (kept by
 * triggers, 011: no count over the tab per page), or for a filtered list a
 * count that stops after DB_LIST_COUNT_CAP + 1 matches. Deep pages go by
 * keyset ("after": older than a contract number) instead of OFFSET.
 *
 * A text search (q) is answered from the first rows of the walk when they
 * hold enough matches, else from the tab's trigram index (015, 018,
 * matches_add): a common word stops early in the walk, a rare one does not
 * walk the tab. On a first page or a page by number, the probe, the walk
 * and the index's answer (list_text_page, 023) are list_text_find (027),
 * and an initiator filter without a text is list_initiators_page (027):
 * functions whose plans PostgreSQL keeps, so that a request's statement
 * is not parsed and planned with their scans of the tab every time. With
 * "after" (keyset), the statement still holds the walk (matches_add).
 *
 * The party tabs read only parties: the contract columns they filter on are
 * copied onto each party row (003_workflow.sql), so a count is an
 * index-only scan of the caller's rows and the page walks the index in order
 * and stops after page_size + 1 rows. Joining contracts instead made the planner
 * hash-join against a sequential scan of all contracts once one organization
 * was a party to most of them.
 */
#include "db_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tab {
	const char *tab;  /* the tab in list_counts and the text functions (011, 018) */
	const char *from; /* the table the tab's index is on, aliased t */
	const char *text; /* the tab's rows matching a text, from its trigram index (018) */
	const char *cond; /* the tab's condition ($1 = the caller's organization) */
	const char *number, *status, *btype, *initiator, *created, *name_lc, *mine; /* of t */
};

#define PARTY_COLS \
	"t.contract_number", "t.c_status", "t.c_business_type", "t.c_initiator_org_id", \
		"t.c_created_at", "t.c_name_lc", "t.status"
#define CONTRACT_COLS \
	"t.number", "t.status", "t.business_type", "t.initiator_org_id", "t.created_at", \
		"t.name_lc", "NULL::text"

/*
 * A text search first checks at most this many of the tab's rows (with the
 * other filters) in order, about 2.5 ms here; a word common enough to fill
 * the count there is answered from them, a rarer one from the tab's trigram
 * index (018) instead of a walk past the whole tab. Digits
 * also search the number (int8 to text per row doubles the walk's cost), and
 * a number's digits are rarely common: a shorter walk first.
 */
#define LIST_TEXT_WALK 12000
#define LIST_TEXT_WALK_DIGITS 2000
/*
 * The rows a text search checks first, to decide whether the walk is worth
 * it: a number's digits (4711) are rarely common, and a walk of 2,000 rows
 * found none of the 1,001 matches the count wants at 1,000,000 contracts
 * (0.6 ms of every such search); a word that matches nothing in the tab
 * walked 12,000 rows for nothing.
 */
#define LIST_TEXT_PROBE 256
/* An initiator filter that names at most this many organizations reads each one's rows. */
#define LIST_INITIATORS_LATERAL 16

/* Each condition repeats its index's predicate, so the planner can use it. */
static const struct tab tabs[] = {
	[DB_LIST_TODO] = { "todo", "parties t", "list_text_parties",
			   "t.organization_id = $1 AND t.role = 'signer' AND "
			   "t.status IN ('pending', 'received', 'signed') AND t.c_status = "
			   "'signing'",
			   PARTY_COLS },
	[DB_LIST_INITIATED] = { "initiated", "contracts t", "list_text_contracts",
				"t.initiator_org_id = $1 AND t.status <> 'draft'", CONTRACT_COLS },
	[DB_LIST_SIGNED] = { "signed", "parties t", "list_text_parties",
			     "t.organization_id = $1 AND t.role = 'signer' AND "
			     "t.status IN ('signed', 'sent')",
			     PARTY_COLS },
	[DB_LIST_CC] = { "cc", "parties t", "list_text_parties",
			 "t.organization_id = $1 AND t.role = 'cc' AND "
			 "t.c_status <> 'draft'",
			 PARTY_COLS },
	[DB_LIST_DRAFTS] = { "drafts", "contracts t", "list_text_contracts",
			     "t.initiator_org_id = $1 AND t.status = 'draft'", CONTRACT_COLS },
};

/* The statement's parameters: each present value once, numbered in order. */
struct params {
	struct db_param p[10];
	int n;
};

static int
param_add(struct params *ps, const char *v)
{
	ps->p[ps->n].value = v;
	return ++ps->n;
}

/* The $ numbers of the present filters (0: absent). */
struct filters {
	int status, btype, q, initiator, from, to, after;
	int q_number; /* q is digits only: it may be part of a contract number */
	int walk;     /* rows a text search walks before the trigram index; 0: no index */
};

/*
 * The text search on t: lower(name) LIKE lower('%q%'), which is what ILIKE
 * does, on the lowered copy in the tab's index (015) instead of lowering
 * every row's name again; the number only for digits (nothing else can match
 * it).
 */
static int
text_add(struct sp_buf *b, const struct tab *t, const struct filters *f)
{
	int r = sp_buf_printf(b, "(%s LIKE '%%' || lower($%d) || '%%'", t->name_lc, f->q);

	if (r == SP_OK && f->q_number)
		r = sp_buf_printf(b, " OR %s::text LIKE '%%' || $%d || '%%'", t->number, f->q);
	if (r == SP_OK)
		r = sp_buf_printf(b, ")");
	return r;
}

/*
 * The tab's condition and the present filters, on t (with_text: the text
 * search too; one_initiator: the initiator is im.id of a lateral join, not
 * any of im's). The lookups beyond t (a business type's name, initiators by
 * name or code) are the CTEs of db_contract_list, run once per request
 * however often they are used.
 */
static int
where_add(struct sp_buf *b, const struct tab *t, const struct filters *f, int with_after,
	  int with_text, int one_initiator)
{
	int r = sp_buf_printf(b, "%s", t->cond);

	if (r == SP_OK && f->status)
		r = sp_buf_printf(b, " AND %s = $%d", t->status, f->status);
	if (r == SP_OK && f->btype)
		r = sp_buf_printf(b, " AND %s = (SELECT code FROM bt)", t->btype);
	if (r == SP_OK && f->q && with_text)
		r = sp_buf_printf(b, " AND ");
	if (r == SP_OK && f->q && with_text)
		r = text_add(b, t, f);
	if (r == SP_OK && f->initiator && one_initiator)
		r = sp_buf_printf(b, " AND %s = im.id", t->initiator);
	if (r == SP_OK && f->initiator && !one_initiator)
		r = sp_buf_printf(b, " AND %s IN (SELECT id FROM im)", t->initiator);
	if (r == SP_OK && f->from)
		r = sp_buf_printf(b, " AND %s >= $%d::timestamptz", t->created, f->from);
	if (r == SP_OK && f->to)
		r = sp_buf_printf(b, " AND %s <= $%d::timestamptz", t->created, f->to);
	/* Older than that contract, in the tabs' order (created_at, then number). */
	if (r == SP_OK && with_after && f->after)
		r = sp_buf_printf(b,
				  " AND (%s, %s) < (SELECT a.created_at, a.number FROM contracts a "
				  "WHERE a.number = $%d::bigint)",
				  t->created, t->number, f->after);
	return r;
}

/*
 * The CTE <name> of matches_add (without a text search, or one shorter than
 * a trigram) with an initiator filter: from each of the few initiators it
 * names (im), the first <lim> rows in the tab's order, through the
 * initiator's own ordered index (parties_initiator_idx, 011), and the first
 * <lim> of them all. "IN (SELECT id FROM im)" instead read every row of the
 * caller's with those initiators and sorted them (5,715 rows for one
 * initiator at 1,000,000 contracts, growing with the platform) to keep the
 * first 1,001. When the text names many initiators, each taking <lim> would
 * cost more than a walk of the tab's index that checks the initiator, which
 * is what the second branch does; one-time filters on im's size run only
 * one of the two.
 */
static int
initiators_add(struct sp_buf *b, const char *name, const struct tab *t, const struct filters *f,
	       int with_after, const char *lim)
{
	int r = sp_buf_printf(b,
			      "%s AS MATERIALIZED ((SELECT x.n, x.ct, x.mine FROM im, LATERAL "
			      "(SELECT %s AS n, %s AS ct, %s AS mine FROM %s WHERE ",
			      name, t->number, t->created, t->mine, t->from);

	if (r == SP_OK)
		r = where_add(b, t, f, with_after, 1, 1);
	if (r == SP_OK)
		r = sp_buf_printf(b,
				  " ORDER BY %s DESC, %s DESC LIMIT %s) x WHERE (SELECT count(*) "
				  "FROM im) <= %d ORDER BY x.ct DESC, x.n DESC LIMIT %s) UNION ALL "
				  "(SELECT %s, %s, %s FROM %s WHERE (SELECT count(*) FROM im) > %d "
				  "AND ",
				  t->created, t->number, lim, LIST_INITIATORS_LATERAL, lim,
				  t->number, t->created, t->mine, t->from, LIST_INITIATORS_LATERAL);
	if (r == SP_OK)
		r = where_add(b, t, f, with_after, 1, 0);
	if (r == SP_OK)
		r = sp_buf_printf(b, " ORDER BY %s DESC, %s DESC LIMIT %s))", t->created, t->number,
				  lim);
	return r;
}

/*
 * The CTEs <name>_p, <name>_w and <name>_c of a text search (f->walk rows):
 * the probe, the walk and the walk's count; see matches_add.
 */
static int
walk_add(struct sp_buf *b, const char *name, const struct tab *t, const struct filters *f,
	 int with_after, const char *lim)
{
	int r;

	/*
	 * The probe: how many of the first LIST_TEXT_PROBE rows match.
	 */
	r = sp_buf_printf(b,
			  "%s_p AS MATERIALIZED (SELECT count(*) FILTER (WHERE hit) AS k FROM "
			  "(SELECT ",
			  name);
	if (r == SP_OK)
		r = text_add(b, t, f);
	if (r == SP_OK)
		r = sp_buf_printf(b, " AS hit FROM %s WHERE ", t->from);
	if (r == SP_OK)
		r = where_add(b, t, f, with_after, 0, 0);
	if (r == SP_OK)
		r = sp_buf_printf(b, " ORDER BY %s DESC, %s DESC LIMIT %d) p), ", t->created,
				  t->number, LIST_TEXT_PROBE);
	/*
	 * The walk: a pipeline that stops at <lim> matches or after f->walk
	 * rows, whichever comes first (the text check sits above the inner
	 * LIMIT, so it cannot be pushed into the scan). It runs when the
	 * probe's matches, scaled to the walk's length, reach a quarter of
	 * <lim>: a text rarer than that in the newest rows is not worth the walk.
	 * The probe's verdict is the inner LIMIT (0: no walk), computed once
	 * when the walk starts; as a condition in the WHERE it was a filter
	 * node that every walked row passed through (about a tenth of a common
	 * word's statement at 100,000 contracts).
	 */
	if (r == SP_OK)
		r = sp_buf_printf(b,
				  "%s_w AS MATERIALIZED (SELECT n, ct, mine FROM (SELECT %s AS n, "
				  "%s AS ct, %s AS mine, ",
				  name, t->number, t->created, t->mine);
	if (r == SP_OK)
		r = text_add(b, t, f);
	if (r == SP_OK)
		r = sp_buf_printf(b, " AS hit FROM %s WHERE ", t->from);
	if (r == SP_OK)
		r = where_add(b, t, f, with_after, 0, 0);
	if (r == SP_OK)
		r = sp_buf_printf(b,
				  " ORDER BY %s DESC, %s DESC LIMIT CASE WHEN (SELECT k FROM %s_p) "
				  "* %d >= (%s) * %d THEN greatest(%d, %s) ELSE 0 END) w WHERE hit "
				  "ORDER BY ct DESC, n DESC LIMIT %s), "
				  "%s_c AS MATERIALIZED (SELECT count(*) AS k FROM %s_w)",
				  t->created, t->number, name, 4 * f->walk, lim, LIST_TEXT_PROBE,
				  f->walk, lim, lim, name, name);
	return r;
}

/*
 * The CTE <name>: the first <lim> rows (n, ct, mine) of the tab that pass the
 * filters, in the tab's order (newest first).
 *
 * Without a text search, a walk of the tab's index in order (or the filter's
 * own index and a sort, when the planner finds that cheaper); also for a
 * text of fewer than 3 characters, which has no trigram to look up.
 *
 * With one, the walk (<name>_w) checks at most the first f->walk rows
 * that pass the other filters, and stops at <lim> matches. When it found
 * <lim>, the answer is theirs. Otherwise the matches are rare in the tab:
 * the tab's trigram index gives the candidates (list_text_parties or
 * list_text_contracts, 018), rows of the tab checked against every
 * condition here. The two branches are gated on the walk's count, so only
 * one runs. A probe of the first LIST_TEXT_PROBE rows (<name>_p) comes
 * before the walk and skips it for a text that is rare there: the walk
 * could not fill <lim> and would only add its cost to the index's.
 * The planner alone cannot make this choice: it estimates a word's
 * frequency over all names, not over this organization's tab.
 */
static int
matches_add(struct sp_buf *b, const char *name, const struct tab *t, const struct filters *f,
	    int with_after, const char *lim)
{
	int r;

	if (!f->q || !f->walk) {
		if (f->initiator)
			return initiators_add(b, name, t, f, with_after, lim);
		r = sp_buf_printf(b,
				  "%s AS MATERIALIZED (SELECT %s AS n, %s AS ct, %s AS mine FROM "
				  "%s WHERE ",
				  name, t->number, t->created, t->mine, t->from);
		if (r == SP_OK)
			r = where_add(b, t, f, with_after, 1, 0);
		if (r == SP_OK)
			r = sp_buf_printf(b, " ORDER BY %s DESC, %s DESC LIMIT %s)", t->created,
					  t->number, lim);
		return r;
	}
	r = walk_add(b, name, t, f, with_after, lim);
	/*
	 * Fewer than <lim> matches there: all the matches from the trigram
	 * index instead (exact whether or not the walk reached the tab's end),
	 * as rows of the tab from the tab's text function (018), checked here
	 * against every condition. <name> is the walk's rows or these, read in
	 * place by whoever reads it (not MATERIALIZED: a common word's 1,001
	 * rows are not copied into one more tuple store, about a tenth of its
	 * statement at 100,000 contracts); the index's rows are kept in <name>_t
	 * (MATERIALIZED), so the text function runs at most once.
	 */
	if (r == SP_OK)
		r = sp_buf_printf(b,
				  ", %s_t AS MATERIALIZED (SELECT %s AS n, %s AS ct, %s AS mine "
				  "FROM "
				  "%s($1::bigint, '%s', '%%' || lower($%d) || '%%', %s) t "
				  "WHERE (SELECT k FROM %s_c) < %s AND ",
				  name, t->number, t->created, t->mine, t->text, t->tab, f->q,
				  f->q_number ? "true" : "false", name, lim);
	if (r == SP_OK)
		r = where_add(b, t, f, with_after, 1, 0);
	if (r == SP_OK)
		r = sp_buf_printf(b,
				  " ORDER BY %s DESC, %s DESC LIMIT %s), "
				  "%s AS NOT MATERIALIZED (SELECT n, ct, mine FROM %s_w WHERE "
				  "(SELECT "
				  "k FROM %s_c) >= %s UNION ALL SELECT n, ct, mine FROM %s_t)",
				  t->created, t->number, lim, name, name, name, lim, name);
	return r;
}

/*
 * The CTE p and the statement's end when a function of 027 answers the
 * filtered list whole (fn: list_text_find for a text search that walks,
 * else list_initiators_page for an initiator filter without a text): the
 * tab, the present filters as its arguments (NULL: absent) and the page,
 * need as far as the cap or the page's end. The lookups bt and im are the
 * statement's CTEs.
 */
static int
page_fn_add(struct sp_buf *b, const char *fn, const struct tab *t, const struct filters *f,
	    int plim, int poff, const char *need)
{
	int text = strcmp(fn, "list_text_find") == 0;
	int r = sp_buf_printf(b, "p AS (SELECT * FROM %s($1::bigint, '%s', ", fn, t->tab);

	if (r == SP_OK && text)
		r = sp_buf_printf(b, "'%%' || lower($%d) || '%%', %s, ", f->q,
				  f->q_number ? "true" : "false");
	if (r == SP_OK && !text)
		r = sp_buf_printf(b, "ARRAY(SELECT id FROM im), ");
	if (r == SP_OK && f->status)
		r = sp_buf_printf(b, "$%d, ", f->status);
	else if (r == SP_OK)
		r = sp_buf_printf(b, "NULL, ");
	/* A type the filter names but no code: nothing matches, as code = NULL. */
	if (r == SP_OK)
		r = sp_buf_printf(b, "%s, ",
				  f->btype ? "coalesce((SELECT code FROM bt), '')" : "NULL");
	if (r == SP_OK && text)
		r = sp_buf_printf(b, "%s, ", f->initiator ? "ARRAY(SELECT id FROM im)" : "NULL");
	if (r == SP_OK && f->from)
		r = sp_buf_printf(b, "$%d::timestamptz, ", f->from);
	else if (r == SP_OK)
		r = sp_buf_printf(b, "NULL, ");
	if (r == SP_OK && f->to)
		r = sp_buf_printf(b, "$%d::timestamptz, ", f->to);
	else if (r == SP_OK)
		r = sp_buf_printf(b, "NULL, ");
	if (r == SP_OK)
		r = sp_buf_printf(b, "$%d::integer, $%d::integer, %s", plim, poff, need);
	if (r == SP_OK && text)
		r = sp_buf_printf(b, ", %d", f->walk);
	if (r == SP_OK)
		r = sp_buf_printf(b, ")) SELECT total, has_more, items FROM p");
	return r;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
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
	db_text_fn cb;
	void *arg;
	int counted; /* the total is a bounded count, not the tab's size */
};

/*
 * One row: the total, whether more follow, and the page's items as a JSON
 * array, which goes into the page's text as PostgreSQL wrote it.
 */
static void
list_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct list_call *c = arg;
	struct sp_errinfo ei;
	struct sp_buf b;
	int64_t total = 0;
	int exact = 1, ilen;
	const char *items;

	sp_errinfo_init(&ei);
	sp_buf_init(&b, SIZE_MAX);
	if (err->code != SP_OK) {
		ei = *err;
	} else if (PQntuples(res) != 1 || PQnfields(res) != 3 || PQgetisnull(res, 0, 2) ||
		   (ilen = PQgetlength(res, 0, 2)) < 2 ||
		   (items = PQgetvalue(res, 0, 2))[0] != '[') {
		sp_err(&ei, SP_ERR_INTERNAL, "the list query returned no page");
	} else {
		total = db_col_i64(res, 0, 0);
		if (c->counted && total > DB_LIST_COUNT_CAP) {
			total = DB_LIST_COUNT_CAP;
			exact = 0;
		}
		if (sp_buf_addstr(&b, "{\"items\":") != SP_OK ||
		    sp_buf_add(&b, items, (size_t)ilen) != SP_OK ||
		    sp_buf_printf(&b, ",\"total\":%lld,\"total_exact\":%s,\"has_more\":%s}",
				  (long long)total, exact ? "true" : "false",
				  PQgetvalue(res, 0, 1)[0] == 't' ? "true" : "false") != SP_OK)
			sp_err(&ei, SP_ERR_NOMEM, "out of memory");
	}
	if (ei.code == SP_OK)
		c->cb(c->arg, (const char *)b.data, b.len, &ei);
	else
		c->cb(c->arg, NULL, 0, &ei);
	sp_buf_cleanup(&b);
	free(c);
}

int
db_contract_list(struct db_pool *pool, int64_t org, const struct db_list_query *lq, db_text_fn cb,
		 void *arg)
{
	char orgs[24], qe[2 * DB_LIST_FILTER_MAX + 4], ie[2 * DB_LIST_FILTER_MAX + 4];
	char lim[16], off[24], after[24], need[96], pg1[48];
	const struct tab *tab;
	struct list_call *c = NULL;
	struct sp_buf sql;
	struct params ps;
	struct filters f;
	const char *q, *initiator, *fn;
	int r = SP_ERR_INTERNAL, plim, poff, shared;

	sp_buf_init(&sql, 16384);
	memset(&ps, 0, sizeof(ps));
	memset(&f, 0, sizeof(f));
	if (cb == NULL || (unsigned)lq->tab >= SP_ARRAY_LEN(tabs) || lq->page < 1 ||
	    lq->page > DB_LIST_PAGE_MAX || lq->page_size < 1 ||
	    lq->page_size > DB_LIST_PAGE_SIZE_MAX || lq->after < 0 ||
	    (lq->after > 0 && lq->page != 1) || like_param(lq->q, qe, sizeof(qe), &q) != SP_OK ||
	    like_param(lq->initiator, ie, sizeof(ie), &initiator) != SP_OK) {
		r = SP_ERR_INVALID;
		goto out;
	}
	tab = &tabs[lq->tab];
	snprintf(orgs, sizeof(orgs), "%lld", (long long)org);
	snprintf(lim, sizeof(lim), "%d", lq->page_size);
	snprintf(off, sizeof(off), "%ld", (long)(lq->page - 1) * lq->page_size);
	snprintf(after, sizeof(after), "%lld", (long long)lq->after);
	param_add(&ps, orgs);
	plim = param_add(&ps, lim);
	poff = param_add(&ps, off);
	f.status = lq->status != NULL ? param_add(&ps, lq->status) : 0;
	f.btype = lq->business_type != NULL ? param_add(&ps, lq->business_type) : 0;
	f.q = q != NULL ? param_add(&ps, q) : 0;
	f.q_number = q != NULL && strspn(q, "0123456789") == strlen(q);
	if (q != NULL && utf8_chars(lq->q) >= 3)
		f.walk = f.q_number ? LIST_TEXT_WALK_DIGITS : LIST_TEXT_WALK;
	f.initiator = initiator != NULL ? param_add(&ps, initiator) : 0;
	f.from = lq->created_from != NULL ? param_add(&ps, lq->created_from) : 0;
	f.to = lq->created_to != NULL ? param_add(&ps, lq->created_to) : 0;
	f.after = lq->after > 0 ? param_add(&ps, after) : 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	c->cb = cb;
	c->arg = arg;
	c->counted = f.status || f.btype || f.q || f.initiator || f.from || f.to;
	/* The lookups beyond t, each once (MATERIALIZED: not re-run per use). */
	r = sp_buf_printf(&sql, "WITH ");
	if (r == SP_OK && f.btype)
		r = sp_buf_printf(&sql,
				  "bt AS MATERIALIZED (SELECT business_type_code($%d) AS code), ",
				  f.btype);
	if (r == SP_OK && f.initiator)
		r = sp_buf_printf(&sql,
				  "im AS MATERIALIZED (SELECT o2.id FROM organizations o2 WHERE "
				  "o2.name ILIKE '%%' || $%d || '%%' OR o2.credit_code ILIKE '%%' "
				  "|| "
				  "$%d || '%%'), ",
				  f.initiator, f.initiator);
	/*
	 * need: the matches a filtered list looks at, as far as the cap or the
	 * page's end; pg1: the page and one row more (has_more).
	 */
	snprintf(need, sizeof(need), "greatest(%d, $%d::integer + $%d::integer + 1)",
		 DB_LIST_COUNT_CAP + 1, poff, plim);
	snprintf(pg1, sizeof(pg1), "$%d::integer + 1", plim);
	/*
	 * A filtered list without "after": the first matches, in the tab's order,
	 * as far as the cap or the page's end, serve both the count and the page
	 * (the filters run once).
	 */
	shared = c->counted && !f.after;
	/*
	 * A text search, or an initiator filter, on a first page or a page by
	 * number: a function whose plans PostgreSQL keeps (027) answers whole;
	 * written into this statement, its scans of the tab were parsed and
	 * planned again at every request (about half of the backend's CPU for
	 * q=4711 and for initiator=Initiator 42 at 100,000 contracts).
	 */
	fn = !shared               ? NULL
	     : f.q && f.walk       ? "list_text_find"
	     : f.initiator && !f.q ? "list_initiators_page"
				   : NULL;
	if (r == SP_OK && fn != NULL)
		r = page_fn_add(&sql, fn, tab, &f, plim, poff, need);
	if (r == SP_OK && shared && fn == NULL)
		r = matches_add(&sql, "m", tab, &f, 0, need);
	if (r == SP_OK && shared && fn == NULL)
		r = sp_buf_printf(&sql,
				  ", pg AS MATERIALIZED (SELECT n, ct, mine FROM m ORDER BY ct "
				  "DESC, n DESC LIMIT $%d::integer + 1 OFFSET $%d::integer) SELECT "
				  "(SELECT count(*) FROM m)",
				  plim, poff);
	/*
	 * Otherwise the page and one row more from the tab's index in order
	 * (OFFSET is 0 with "after"), and the total: the tab's size (what
	 * list_count() of 011 sums, written out: a SQL function with a FROM is
	 * not inlined and was planned again at every call), or a count of the
	 * matches (without "after") that stops past the cap. The page's items
	 * come from list_page_json (015), whose plan PL/pgSQL keeps.
	 */
	if (r == SP_OK && !shared && !c->counted)
		r = sp_buf_printf(&sql,
				  "pg AS MATERIALIZED (SELECT %s AS n, %s AS ct, %s AS mine FROM "
				  "%s "
				  "WHERE ",
				  tab->number, tab->created, tab->mine, tab->from);
	if (r == SP_OK && !shared && !c->counted)
		r = where_add(&sql, tab, &f, 1, 1, 0);
	if (r == SP_OK && !shared && !c->counted)
		r = sp_buf_printf(&sql,
				  " ORDER BY %s DESC, %s DESC LIMIT $%d::integer + 1 OFFSET "
				  "$%d::integer) SELECT (SELECT coalesce(sum(n), 0)::bigint FROM "
				  "list_counts WHERE organization_id = $1 AND tab = '%s')",
				  tab->created, tab->number, plim, poff, tab->tab);
	if (r == SP_OK && !shared && c->counted)
		r = matches_add(&sql, "pg", tab, &f, 1, pg1);
	if (r == SP_OK && !shared && c->counted)
		r = sp_buf_printf(&sql, ", ");
	if (r == SP_OK && !shared && c->counted)
		r = matches_add(&sql, "m", tab, &f, 0, need);
	if (r == SP_OK && !shared && c->counted)
		r = sp_buf_printf(&sql, " SELECT (SELECT count(*) FROM m)");
	if (r == SP_OK && fn == NULL)
		r = sp_buf_printf(
			&sql,
			", (SELECT count(*) FROM pg) > $%d::integer, list_page_json(ARRAY(SELECT n "
			"FROM pg ORDER BY ct DESC, n DESC LIMIT $%d::integer), ARRAY(SELECT mine "
			"FROM pg ORDER BY ct DESC, n DESC LIMIT $%d::integer))",
			plim, plim, plim);
	if (r != SP_OK)
		goto out;
	if ((r = db_query_send(pool, (const char *)sql.data, ps.n, ps.p, 0, 0, list_done, c)) !=
	    SP_OK)
		goto out;
	c = NULL; /* transferred */
	r = SP_OK;
out:
	free(c);
	sp_buf_cleanup(&sql);
	return r;
}
