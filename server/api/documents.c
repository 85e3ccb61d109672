/*
 * documents.c: a contract's PDF (latest or one revision) with
 * Content-Disposition and an ETag that is the revision's SHA-256, and the
 * re-verification of its audit chain. Both only for organizations that can
 * see the contract (404 otherwise, as for one that does not exist).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts_int.h"

/* A quoted ETag appears in If-None-Match (or it is "*"). */
static int
etag_matches(const char *inm, const char *etag)
{
	return inm != NULL && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0);
}

/* RFC 5987 value of filename*: UTF-8, percent-encoded but for unreserved characters. */
static void
disposition(char *out, size_t outlen, const char *number, int seq, const char *name)
{
	char enc[700];
	size_t i, k = 0;

	for (i = 0; name[i] != '\0' && k + 4 < sizeof(enc); i++) {
		unsigned char c = (unsigned char)name[i];

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
document_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;
	char etag[80], cd[800], seqs[16], sha[65], name[256];
	const char *num = request_param(r, "number");
	uint32_t seq_be;
	int len;

	if (wf_reply_failed(r, err))
		return;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 2)) {
		request_problem(r, P_NOT_FOUND, "no such contract or revision");
		return;
	}
	/* Binary results: seq is int4 in network order; text columns are raw bytes. */
	memcpy(&seq_be, PQgetvalue(res, 0, 0), sizeof(seq_be));
	snprintf(seqs, sizeof(seqs), "%d", (int)__builtin_bswap32(seq_be));
	len = PQgetlength(res, 0, 1);
	snprintf(sha, sizeof(sha), "%.*s", len < 64 ? len : 64, PQgetvalue(res, 0, 1));
	len = PQgetlength(res, 0, 3);
	snprintf(name, sizeof(name), "%.*s", len < 255 ? len : 255, PQgetvalue(res, 0, 3));
	snprintf(etag, sizeof(etag), "\"%s\"", sha);
	request_header_add(r, "ETag", etag);
	request_header_add(r, "Cache-Control", "private, no-cache");
	if (etag_matches(request_header(r, "If-None-Match"), etag)) {
		request_reply_data(r, 304, "application/pdf", "", 0);
		return;
	}
	disposition(cd, sizeof(cd), num, atoi(seqs), name);
	request_header_add(r, "Content-Disposition", cd);
	request_reply_data(r, 200, "application/pdf", PQgetvalue(res, 0, 2),
			   (size_t)PQgetlength(res, 0, 2));
}

static void
document_step(struct request *r, const struct principal *who)
{
	static const char sql[] =
		"SELECT rv.seq, rv.sha256, revision_document(rv.contract_number, rv.seq), c.name "
		"FROM contracts c JOIN revisions rv ON rv.contract_number = c.number "
		"WHERE c.number = $1 AND " VISIBLE " AND rv.seq = coalesce($3::integer, "
		"(SELECT max(seq) FROM revisions WHERE contract_number = c.number))";
	const char *seq = request_param(r, "seq");
	struct db_param p[3];
	struct wf_ids ids;
	int64_t n;
	size_t i;
	int rc;

	if (!wf_path_number(r, &n))
		return;
	if (seq != NULL) {
		for (i = 0; seq[i] != '\0'; i++)
			if (seq[i] < '0' || seq[i] > '9' || i > 6) {
				request_problem(r, P_NOT_FOUND, "no such revision");
				return;
			}
	}
	wf_ids_fill(&ids, who, n);
	memset(p, 0, sizeof(p));
	p[0].value = ids.number;
	p[1].value = ids.org;
	p[2].value = seq;
	rc = db_query_send(request_db(r), sql, 3, p, 1, 0, document_done, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
verify_step(struct request *r, const struct principal *who)
{
	static const char sql[] =
		"SELECT (SELECT to_jsonb(v) FROM audit_chain_verify(c.number) v)::text "
		"FROM contracts c WHERE c.number = $1 AND " VISIBLE;

	wf_contract_query(r, who, sql, 0, wf_reply_json);
}

static void route_document(struct request *r) { auth_then(r, PRINCIPAL_ORG, document_step); }
static void route_verify(struct request *r) { auth_then(r, PRINCIPAL_ORG, verify_step); }

int
routes_documents_register(struct router *rt, struct sp_errinfo *ei)
{
	int r;

	if ((r = router_route_add(rt, HTTP_GET, "/api/v1/contracts/{number}/document",
				  route_document, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_GET, "/api/v1/contracts/{number}/revisions/{seq}/document",
				  route_document, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_GET, "/api/v1/contracts/{number}/audit/verify",
				  route_verify, 0, ei)) != SP_OK)
		return r;
	return SP_OK;
}
