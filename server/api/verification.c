/*
 * verification.c: PDF signature verification over HTTP, with the engine of
 * crypto/ (crypto_pdf_verify) on the worker pool:
 *
 *   POST /api/v1/verify                         any PDF (application/pdf), no login
 *   GET  /api/v1/contracts/{number}/verification  the latest revision of a contract
 *
 * Both answer 200 with the JSON report of api/verify_report.c whatever the
 * verdict (a report on an invalid signature is a successful verification);
 * a body that is not a readable PDF gets 422. The anonymous route is capped
 * by the upload size and by a per-IP rate limit kept in memory: it protects
 * the workers from abuse, it is not state worth sharing between processes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth_int.h"
#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "signing_int.h"
#include "verify_report.h"

#define VERIFY_RATE_WINDOW_S 60
#define VERIFY_RATE_MAX 30        /* verifications per IP per window */
#define VERIFY_RATE_SLOTS 4096    /* IPs remembered; the stalest slot is reused */
#define VERIFY_REPORT_MAX (4 * 1024 * 1024)

/* ---- per-IP rate limit (loop thread only: no lock) ---- */

struct rate_slot {
	char ip[64];
	time_t window;
	int count;
};
static struct rate_slot rate[VERIFY_RATE_SLOTS];

/* 1 when ip may verify once more now, counting the attempt. */
static int rate_allow(const char *ip, time_t now)
{
	size_t i, h = 5381, stalest;

	for (i = 0; ip[i]; i++)
		h = h * 33 + (unsigned char)ip[i];
	/* open addressing over 8 neighbours; else take the stalest of them */
	stalest = h % VERIFY_RATE_SLOTS;
	for (i = 0; i < 8; i++) {
		struct rate_slot *s = &rate[(h + i) % VERIFY_RATE_SLOTS];
		if (strcmp(s->ip, ip) == 0 || s->ip[0] == 0) {
			stalest = (h + i) % VERIFY_RATE_SLOTS;
			break;
		}
		if (s->window < rate[stalest].window)
			stalest = (h + i) % VERIFY_RATE_SLOTS;
	}
	if (strcmp(rate[stalest].ip, ip) != 0 ||
	    now - rate[stalest].window >= VERIFY_RATE_WINDOW_S) {
		snprintf(rate[stalest].ip, sizeof(rate[stalest].ip), "%s", ip);
		rate[stalest].window = now;
		rate[stalest].count = 0;
	}
	return ++rate[stalest].count <= VERIFY_RATE_MAX;
}

/* ---- the job ---- */

struct vjob {
	struct request *r;           /* answered by done(); never touched by work() */
	const struct config *cfg;    /* immutable, outlives the jobs */
	unsigned char *pdf;
	size_t len;
	unsigned char *json;         /* the report (work's result) */
	size_t jsonlen;
};

static void vjob_free(struct vjob *j)
{
	if (!j)
		return;
	free(j->pdf);
	free(j->json);
	free(j);
}

static int verify_work(void *arg, struct sp_errinfo *ei)
{
	struct vjob *j = arg;
	struct crypto_verify_report *rep = NULL;
	struct crypto_verify_opts o;
	struct sp_errinfo tei;
	char *text = NULL;
	int r = SP_ERR_INTERNAL;

	sp_errinfo_init(&tei);
	/* without configured roots every chain is reported untrusted (indeterminate) */
	if (server_trust_get(j->cfg, &o.trust, &tei) != SP_OK)
		o.trust = NULL;
	/* the signing protocol's TSA store (tsa.trust, else trust.roots[0]); NULL: trust's roots */
	sp_errinfo_init(&tei);
	if (tsa_provider_trust(j->cfg, &o.ts_trust, &tei) != SP_OK)
		o.ts_trust = NULL;
	if ((r = crypto_pdf_verify(j->pdf, j->len, &o, &rep, ei)) != SP_OK)
		goto out;
	if ((r = verify_report_text(rep, VERIFY_REPORT_MAX, &text, &j->jsonlen)) != SP_OK) {
		r = sp_err(ei, r, r == SP_ERR_TOO_LARGE ? "the verification report is too large"
							: "out of memory");
		goto out;
	}
	j->json = (unsigned char *)text;
	r = SP_OK;
out:
	crypto_verify_report_free(rep);
	return r;
}

static void verify_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct vjob *j = arg;

	if (rc == SP_OK) {
		request_reply_data(j->r, 200, "application/json", j->json, j->jsonlen);
	} else {
		request_reply_job_error(j->r, rc, ei, P_PDF_UNREADABLE);
	}
	vjob_free(j);
}

/* Copy pdf and queue its verification; answers r in every case. */
static void verify_submit(struct request *r, const void *pdf, size_t len)
{
	struct vjob *j = calloc(1, sizeof(*j));

	if (!j || !(j->pdf = malloc(len ? len : 1))) {
		vjob_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	memcpy(j->pdf, pdf, len);
	j->len = len;
	j->r = r;
	j->cfg = request_config(r);
	if (jobs_submit(request_jobs(r), verify_work, verify_done, j) != SP_OK) {
		vjob_free(j);
		request_problem(r, P_BUSY, "the verification workers are busy");
	}
}

static void route_verify_upload(struct request *r)
{
	const char *ct = request_header(r, "Content-Type");
	const unsigned char *body;
	size_t len;

	if (!rate_allow(request_remote(r), time(NULL))) {
		request_header_add(r, "Retry-After", "60");
		request_problem(r, P_RATE_LIMITED,
				      "too many verifications from this address; retry in a minute");
		return;
	}
	if (!ct || strncasecmp(ct, "application/pdf", 15) != 0) {
		request_problem(r, P_UNSUPPORTED_MEDIA_TYPE,
				      "send the PDF as the body with Content-Type application/pdf");
		return;
	}
	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return;
	}
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY, "no PDF in the body");
		return;
	}
	verify_submit(r, body, len);
}

/* ---- a contract's latest revision ---- */

static void contract_doc_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (wf_reply_failed(r, err))
		return;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_problem(r, P_NOT_FOUND, "no such contract");
		return;
	}
	verify_submit(r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

static void contract_step(struct request *r, const struct principal *who)
{
	static const char sql[] =
		"SELECT revision_document(c.number, (SELECT max(seq) FROM revisions "
		"WHERE contract_number = c.number)) FROM contracts c WHERE c.number = $1 AND " VISIBLE;

	wf_contract_query(r, who, sql, 1, contract_doc_done);
}

static void route_contract_verification(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, contract_step);
}

int routes_verify_register(struct router *rt, struct sp_errinfo *ei);
int routes_verify_register(struct router *rt, struct sp_errinfo *ei)
{
	int r;

	if ((r = router_route_add(rt, HTTP_POST, "/api/v1/verify", route_verify_upload,
				  ROUTE_UPLOAD, ei)) != SP_OK)
		return r;
	return router_route_add(rt, HTTP_GET, "/api/v1/contracts/{number}/verification",
				route_contract_verification, 0, ei);
}
