/*
 * lists.c: the five lists of the signing guide (GET /api/v1/contracts?tab=):
 * todo (待我办理), initiated (我发起的), signed (我签署的), cc (抄送我的),
 * drafts (我的草稿), with the guide's filters, newest first, paged. This file
 * checks the query string; db/lists.c runs the list from the tab's index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "contracts_int.h"
#include "http_int.h"

#define PAGE_SIZE_DEFAULT 10

static const struct {
	const char *name;
	enum db_list_tab tab;
} tabs[] = {
	{ "todo", DB_LIST_TODO }, { "initiated", DB_LIST_INITIATED }, { "signed", DB_LIST_SIGNED },
	{ "cc", DB_LIST_CC },     { "drafts", DB_LIST_DRAFTS },
};

static const char *const statuses[] = { "draft",    "signing",   "completed",
					"rejected", "cancelled", "expired" };

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

/*
 * created_from or created_to, when given: RFC 3339 with a time and a zone,
 * checked as the contracts' deadlines are; 0 after answering 400.
 */
static int
created_ok(struct request *r, const char *name, const char *s)
{
	int64_t t;
	const char *why;
	struct sp_errinfo ei;

	if (s == NULL || sp_time_parse(s, &t, &why) == SP_OK)
		return 1;
	sp_errinfo_init(&ei);
	(void)sp_err_reason(&ei, SP_ERR_INVALID, "invalid",
			    "%s must be an RFC 3339 time with a zone, such as "
			    "2026-12-31T18:00:00+08:00; it is %s",
			    name, why);
	request_problem_ei(r, P_INVALID, &ei);
	return 0;
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
	struct db_list_query lq;
	struct sp_errinfo ei;
	json_t *qn = NULL, *in = NULL;
	const char *after = request_query(r, "after");
	long page = 1, size = PAGE_SIZE_DEFAULT;
	int64_t after_n = 0;
	size_t i;
	int ok = 0, found = 0, rc;

	memset(&lq, 0, sizeof(lq));
	sp_errinfo_init(&ei);
	if (tabname == NULL)
		tabname = "todo";
	for (i = 0; i < SP_ARRAY_LEN(tabs); i++)
		if (strcmp(tabs[i].name, tabname) == 0) {
			lq.tab = tabs[i].tab;
			found = 1;
		}
	if (!found) {
		request_problem(r, P_INVALID, "tab must be todo, initiated, signed, cc or drafts");
		return;
	}
	if (status != NULL) {
		for (i = 0; i < SP_ARRAY_LEN(statuses); i++)
			ok |= strcmp(status, statuses[i]) == 0;
		if (!ok) {
			request_problem(r, P_INVALID,
					"status must be draft, signing, "
					"completed, rejected, cancelled or expired");
			return;
		}
	}
	if (parse_int(request_query(r, "page"), 1, DB_LIST_PAGE_MAX, &page) != 0 ||
	    parse_int(request_query(r, "page_size"), 1, DB_LIST_PAGE_SIZE_MAX, &size) != 0) {
		request_problem(r, P_INVALID, "page must be 1..100000 and page_size 1..100");
		return;
	}
	/* Keyset paging: the last number of the previous page, instead of a deep page. */
	if (after != NULL &&
	    (snowflake_parse(after, &after_n) != SP_OK || request_query(r, "page") != NULL)) {
		request_problem(r, P_INVALID,
				"after must be a contract number (the last of the previous page), "
				"without page");
		return;
	}
	if (!created_ok(r, "created_from", from) || !created_ok(r, "created_to", to))
		return;
	if ((q != NULL && strlen(q) > DB_LIST_FILTER_MAX) ||
	    (initiator != NULL && strlen(initiator) > DB_LIST_FILTER_MAX) ||
	    (btype != NULL && strlen(btype) > 64)) {
		request_problem(r, P_INVALID, "a filter is too long");
		return;
	}
	/* names are stored in NFC (api_text_take): searched for in NFC, as typed either way */
	if ((q != NULL && (qn = json_string(q)) == NULL) ||
	    (initiator != NULL && (in = json_string(initiator)) == NULL) ||
	    (qn != NULL && api_text_nfc(qn, &ei) != SP_OK) ||
	    (in != NULL && api_text_nfc(in, &ei) != SP_OK)) {
		/* json_string refuses what is not UTF-8: the query parser let only text by */
		request_reply_error(r, ei.code != SP_OK ? ei.code : SP_ERR_NOMEM, &ei);
		goto out;
	}
	lq.status = status;
	lq.business_type = btype;
	lq.q = qn != NULL ? json_string_value(qn) : NULL;
	lq.initiator = in != NULL ? json_string_value(in) : NULL;
	lq.created_from = from;
	lq.created_to = to;
	lq.page = (int)page;
	lq.page_size = (int)size;
	lq.after = after_n;
	/* (the pool copies the parameters: the filters may go when it returns) */
	rc = db_contract_list(request_db(r), who->organization_id, &lq, wf_reply_doc, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
out:
	json_decref(qn);
	json_decref(in);
}

void
lists_get(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, list_step);
}
