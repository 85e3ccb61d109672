/*
 * tsa.c: POST /tsa, the built-in TSA over HTTP (RFC 3161 §3.4):
 * application/timestamp-query in, application/timestamp-reply out. No login
 * (a TSA serves anyone who asks), queries capped at CRYPTO_TS_QUERY_MAX.
 * The serial comes from the PostgreSQL sequence tsa_serial
 * (db_tsa_serial_next), so serials stay unique across restarts and across
 * server processes; the token itself is made on the worker pool.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "crypto.h"
#include "signing_int.h"

struct tsa_job {
	struct request *r;
	unsigned char *query;
	size_t querylen;
	uint64_t serial;
	const struct tsa_provider *tsa; /* the process's; outlives the job */
	uint8_t *resp;
	size_t resplen;
};

static void
tsa_job_free(struct tsa_job *j)
{
	if (j == NULL)
		return;
	free(j->query);
	free(j->resp);
	free(j);
}

/* Worker: a malformed query still gets a TSA's rejection reply (SP_OK). */
static int
tsa_work(void *arg, struct sp_errinfo *ei)
{
	struct tsa_job *j = arg;
	const struct crypto_tsa *tsa;
	int r;

	if ((r = tsa_provider_builtin(j->tsa, &tsa, ei)) != SP_OK)
		return r;
	return crypto_tsa_respond(tsa, j->query, j->querylen, j->serial, 0, &j->resp, &j->resplen,
				  ei);
}

static void
tsa_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct tsa_job *j = arg;
	struct request *r = j->r;

	if (rc == SP_OK)
		request_reply_data(r, 200, "application/timestamp-reply", j->resp, j->resplen);
	else if (rc == SP_ERR_CONFIG)
		request_problem(r, P_TSA_NOT_CONFIGURED, ei->msg);
	else
		request_reply_error(r, rc, NULL);
	tsa_job_free(j);
}

static void
tsa_serial_done(void *arg, uint64_t serial, const struct sp_errinfo *err)
{
	struct tsa_job *j = arg;
	struct request *r = j->r;
	int rc;

	if (err->code != SP_OK) {
		tsa_job_free(j);
		request_reply_error(r, err->code, err);
		return;
	}
	j->serial = serial;
	if ((rc = request_jobs_submit(r, tsa_work, tsa_done, j)) != SP_OK) {
		tsa_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

void
tsa_post(struct request *r)
{
	const char *ct = request_header(r, "Content-Type");
	const unsigned char *body;
	struct tsa_job *j;
	size_t len;
	int rc;

	if (request_rate_limited(r, request_tsa_limiter(r),
				 "too many timestamps for this address; retry in a minute"))
		return;
	if (ct == NULL || strncasecmp(ct, "application/timestamp-query", 27) != 0) {
		request_problem(r, P_UNSUPPORTED_MEDIA_TYPE,
				"send an RFC 3161 TimeStampReq as application/timestamp-query");
		return;
	}
	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return;
	}
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY, "The request body is empty.");
		return;
	}
	if (len > CRYPTO_TS_QUERY_MAX) {
		request_problem(r, P_PAYLOAD_TOO_LARGE, "a timestamp query is at most 16384 bytes");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->query = malloc(len)) == NULL) {
		tsa_job_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	memcpy(j->query, body, len);
	j->querylen = len;
	j->r = r;
	j->tsa = request_tsa(r);
	rc = db_tsa_serial_next(request_db(r), tsa_serial_done, j);
	if (rc != SP_OK) {
		tsa_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}
