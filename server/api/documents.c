/*
 * documents.c: a contract's PDF (latest or one revision) with
 * Content-Disposition and an ETag that is the revision's SHA-256, its audit
 * trail a page at a time, and the re-verification of its audit chain. All
 * only for organizations that can see the contract (404 otherwise, as for
 * one that does not exist).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "contracts_int.h"

#define AUDIT_PAGE_DEFAULT 20

/* A quoted ETag appears in If-None-Match (or it is "*"). */
static int
etag_matches(const char *inm, const char *etag)
{
	return inm != NULL && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0);
}

/*
 * RFC 5987 value of filename*: UTF-8, percent-encoded but for unreserved
 * characters. A long name is cut at a character's start: a cut inside one
 * left a filename* that is not UTF-8, which browsers drop or show garbled.
 */
static void
disposition(char *out, size_t outlen, const char *number, int seq, const char *name)
{
	char enc[700];
	size_t i, k = 0;

	for (i = 0; name[i] != '\0' && k + 4 < sizeof(enc); i++) {
		unsigned char c = (unsigned char)name[i];
		/* a lead byte: room for its whole character (each byte 3 characters) or stop */
		size_t len = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

		if (c >= 0xC0 && k + 3 * len + 1 >= sizeof(enc))
			break;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			enc[k++] = (char)c;
		} else {
			enc[k++] = '%';
			sp_hex_upper(&c, 1, enc + k); /* room checked above */
			k += 2;
		}
	}
	enc[k] = '\0';
	snprintf(out, outlen, "attachment; filename=\"%s-r%d.pdf\"; filename*=UTF-8''%s.pdf",
		 number, seq, enc);
}

static void
document_done(void *arg, const struct db_document *doc, const struct sp_errinfo *err)
{
	struct request *r = arg;
	char etag[80], cd[800];

	if (wf_reply_failed(r, err))
		return;
	snprintf(etag, sizeof(etag), "\"%s\"", doc->sha256);
	request_header_add(r, "ETag", etag);
	request_header_add(r, "Cache-Control", "private, no-cache");
	if (etag_matches(request_header(r, "If-None-Match"), etag)) {
		request_reply_data(r, 304, "application/pdf", "", 0);
		return;
	}
	disposition(cd, sizeof(cd), request_param(r, "number"), doc->seq, doc->name);
	request_header_add(r, "Content-Disposition", cd);
	request_reply_data(r, 200, "application/pdf", doc->data, doc->len);
}

static void
document_step(struct request *r, const struct principal *who)
{
	const char *seq = request_param(r, "seq");
	int64_t n, k = -1;
	int rc;

	if (!wf_path_number(r, &n))
		return;
	/* A revision number: digits only, at most 7 of them (the router refuses an empty one). */
	if (seq != NULL && (seq[0] == '+' || seq[0] == '-' || strlen(seq) > 7 ||
			    sp_parse_i64(seq, 0, 9999999, &k) != SP_OK)) {
		request_problem(r, P_NOT_FOUND, "no such revision");
		return;
	}
	rc = db_contract_document(request_db(r), n, who->organization_id, (int)k, document_done, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

/*
 * GET .../audit?cursor=&limit=: keyset paging as the review queue's
 * (seals_review.c): limit 1..100 (default 20), cursor the next_cursor of the
 * previous page (the last event's seq; opaque to the client). The contract
 * document carries only the trail's length and this URL, so no reader gets
 * an unbounded trail in one answer.
 */
static void
audit_step(struct request *r, const struct principal *who)
{
	const char *cursor = request_query(r, "cursor"), *limit = request_query(r, "limit");
	uint64_t after = 0, size = AUDIT_PAGE_DEFAULT;
	int64_t n;
	int rc;

	if (!wf_path_number(r, &n))
		return;
	if (limit != NULL && sp_parse_u64(limit, 1, DB_AUDIT_PAGE_MAX, &size) != SP_OK) {
		request_problem(r, P_INVALID, "limit must be 1..100");
		return;
	}
	if (cursor != NULL && sp_parse_u64(cursor, 1, INT64_MAX, &after) != SP_OK) {
		request_problem(r, P_INVALID, "cursor is not one this server gave out");
		return;
	}
	rc = db_audit_page(request_db(r), n, who->organization_id, (int64_t)after, (int)size,
			   wf_reply_doc, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
verify_step(struct request *r, const struct principal *who)
{
	int64_t n;
	int rc;

	if (!wf_path_number(r, &n))
		return;
	rc = db_audit_verify(request_db(r), n, who->organization_id, wf_reply_doc, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
documents_document_get(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, document_step);
}

void
documents_audit_get(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, audit_step);
}

void
documents_audit_verify_get(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, verify_step);
}
