/*
 * webhook_delivery.c: the background loop that delivers queued webhook
 * events, and the workflow's background start/stop (with expiry.c).
 *
 * A timer on the event loop claims due deliveries (webhook_claim: FOR UPDATE
 * SKIP LOCKED plus a lease, so several processes share the queue and none
 * sends a delivery another is sending). Each POST runs as a worker-pool job
 * through crypto_http_post() with a hard timeout, so the loop never waits
 * on a receiver. The result goes back in one call of webhook_attempt_done(),
 * which schedules a retry with exponential backoff or records the outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "contracts_int.h"
#include "crypto.h"
#include "http_int.h"

#define POLL_MS 300
#define CLAIM_BATCH 8
#define LEASE_S 60           /* longer than the POST's hard timeout */
#define POST_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 5000
#define BACKOFF_BASE_S 2     /* 2, 4, 8, ... seconds between attempts */
#define MAX_ATTEMPTS 8
#define DELIVERY_THREADS 2

struct delivery {
	char id[24];
	int attempt;
	char *url, *secret, *payload;
	/* results of work() */
	long http_status;
	char error[256];
	long duration_ms;
};

static struct {
	struct event_base *base;
	struct db_pool *db;
	struct jobs *jobs;        /* the deliveries' own pool */
	struct event *timer;
	int running;      /* 1 between start and stop */
	int claiming;     /* a claim query is in flight */
	int inflight;     /* deliveries claimed and not yet recorded */
} bg;

static void
delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	free(d->url);
	if (d->secret != NULL)
		sp_wipe(d->secret, strlen(d->secret));
	free(d->secret);
	free(d->payload);
	free(d);
}

/* Worker thread: one signed POST with a hard timeout. */
static int
deliver_work(void *arg, struct sp_errinfo *ei)
{
	struct delivery *d = arg;
	char sig[WEBHOOK_SIG_MAX], hdr[WEBHOOK_SIG_MAX + 32];
	const char *headers[] = {hdr, "User-Agent: sealpact-webhooks/1", NULL};
	struct crypto_http_req hq;
	struct crypto_http_resp hr;
	struct sp_errinfo hei;
	struct timespec t0, t1;

	(void)ei;
	memset(&hr, 0, sizeof(hr));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (webhook_signature(d->secret, (long long)time(NULL), d->payload, strlen(d->payload),
			      sig, sizeof(sig), NULL) != SP_OK) {
		snprintf(d->error, sizeof(d->error), "cannot sign the delivery");
		goto done;
	}
	snprintf(hdr, sizeof(hdr), "Sealpact-Signature: %s", sig);
	memset(&hq, 0, sizeof(hq));
	hq.url = d->url;
	hq.who = "receiver";
	hq.content_type = "application/json";
	hq.headers = headers;
	hq.body = d->payload;
	hq.body_len = strlen(d->payload);
	hq.timeout_ms = POST_TIMEOUT_MS;
	hq.connect_timeout_ms = CONNECT_TIMEOUT_MS;
	hq.discard = 1; /* only the status counts */
	sp_errinfo_init(&hei);
	if (crypto_http_post(&hq, &hr, &hei) != SP_OK) {
		snprintf(d->error, sizeof(d->error), "%.*s", (int)sizeof(d->error) - 1, hei.msg);
		goto done;
	}
	d->http_status = hr.status;
	if (d->http_status < 200 || d->http_status > 299)
		snprintf(d->error, sizeof(d->error), "HTTP %ld", d->http_status);
done:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	d->duration_ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	crypto_http_resp_cleanup(&hr);
	/* A failed POST is an outcome to record, not a job failure. */
	return SP_OK;
}

static void
recorded(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	(void)arg;
	(void)res;
	bg.inflight--;
	if (err->code != SP_OK)
		log_event(LOG_WARN, NULL, "webhook attempt not recorded (the lease will expire "
			  "and it is retried)", "{s:s}", "detail", err->msg);
}

static void
deliver_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	static const char sql[] = "SELECT webhook_attempt_done($1::bigint, $2::integer, "
				  "$3::integer, $4, $5::integer, $6::integer, $7::integer)";
	struct delivery *d = arg;
	struct db_param p[7];
	char attempt[16], status[16], dur[24], base[16], max[16];

	(void)ei;
	if (!bg.running || rc != SP_OK) {
		/* Shutting down: the lease expires and another process retries it. */
		bg.inflight--;
		delivery_free(d);
		return;
	}
	snprintf(attempt, sizeof(attempt), "%d", d->attempt);
	snprintf(status, sizeof(status), "%ld", d->http_status);
	snprintf(dur, sizeof(dur), "%ld", d->duration_ms);
	snprintf(base, sizeof(base), "%d", BACKOFF_BASE_S);
	snprintf(max, sizeof(max), "%d", MAX_ATTEMPTS);
	memset(p, 0, sizeof(p));
	p[0].value = d->id;
	p[1].value = attempt;
	p[2].value = d->http_status > 0 ? status : NULL;
	p[3].value = d->error[0] != '\0' ? d->error : NULL;
	p[4].value = dur;
	p[5].value = base;
	p[6].value = max;
	if (db_query_send(bg.db, sql, 7, p, 0, 0, recorded, NULL) != SP_OK)
		bg.inflight--;
	delivery_free(d);
}

static void
claimed(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	int i, n;

	(void)arg;
	bg.claiming = 0;
	if (!bg.running || err->code != SP_OK)
		return;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		struct delivery *d = calloc(1, sizeof(*d));

		if (d == NULL || (d->url = strdup(PQgetvalue(res, i, 1))) == NULL ||
		    (d->secret = strdup(PQgetvalue(res, i, 2))) == NULL ||
		    (d->payload = strdup(PQgetvalue(res, i, 3))) == NULL) {
			delivery_free(d);
			continue; /* its lease expires; it is claimed again */
		}
		snprintf(d->id, sizeof(d->id), "%s", PQgetvalue(res, i, 0));
		d->attempt = atoi(PQgetvalue(res, i, 4));
		if (jobs_submit(bg.jobs, deliver_work, deliver_done, d) != SP_OK) {
			delivery_free(d);
			continue;
		}
		bg.inflight++;
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	static const char sql[] = "SELECT id, url, secret, payload, attempt FROM webhook_claim($1::integer, $2::integer)";
	struct db_param p[2];
	char lim[16], lease[16];

	(void)fd;
	(void)what;
	(void)arg;
	if (!bg.running || bg.claiming || bg.inflight > 0)
		return;
	snprintf(lim, sizeof(lim), "%d", CLAIM_BATCH);
	snprintf(lease, sizeof(lease), "%d", LEASE_S);
	memset(p, 0, sizeof(p));
	p[0].value = lim;
	p[1].value = lease;
	if (db_query_send(bg.db, sql, 2, p, 0, 0, claimed, NULL) == SP_OK)
		bg.claiming = 1;
}

int
workflow_background_start(struct event_base *base, struct db_pool *db, struct jobs *jobs,
			  struct sp_errinfo *ei)
{
	struct timeval tv = { 0, POLL_MS * 1000 };
	int r;

	(void)jobs;
	if ((r = crypto_http_init(ei)) != SP_OK)
		return r;
	memset(&bg, 0, sizeof(bg));
	bg.base = base;
	bg.db = db;
	if ((r = jobs_new(base, DELIVERY_THREADS, CLAIM_BATCH * 2, &bg.jobs, ei)) != SP_OK)
		return r;
	if ((bg.timer = event_new(base, -1, EV_PERSIST, tick, NULL)) == NULL ||
	    event_add(bg.timer, &tv) != 0)
		return sp_err(ei, SP_ERR_INTERNAL, "cannot schedule webhook deliveries");
	bg.running = 1;
	if ((r = expiry_start(base, db, ei)) != SP_OK)
		return r;
	return SP_OK;
}

void
workflow_background_stop(void)
{
	bg.running = 0;
	if (bg.timer != NULL)
		event_free(bg.timer);
	bg.timer = NULL;
	/* Running POSTs finish (hard timeout); their done() only frees. */
	jobs_free(bg.jobs);
	bg.jobs = NULL;
	expiry_stop();
}
