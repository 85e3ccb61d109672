/*
 * webhook_delivery.c: the background loop that delivers queued webhook
 * events; its state is part of the serving process (struct server).
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

#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "http_int.h"

#define POLL_MS 300
#define CLAIM_BATCH 8
#define LEASE_S 60 /* longer than the POST's hard timeout */
#define POST_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 5000
#define BACKOFF_BASE_S 2 /* 2, 4, 8, ... seconds between attempts */
#define MAX_ATTEMPTS 8
#define DELIVERY_THREADS 2

struct delivery {
	int64_t id;
	int attempt;
	char *url, *secret, *payload;
	const char *allow; /* the configuration's, which outlives every delivery */
	int allow_http;
	/* results of work() */
	long http_status;
	char error[16];   /* "refused" or "failed", for the organization's delivery log */
	char detail[256]; /* why, for the server's log only */
	long duration_ms;
	struct webhook_delivery *wd; /* loop thread only: work() never touches it */
};

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
	const char *headers[] = { hdr, "User-Agent: sealpact-webhooks/1", NULL };
	struct crypto_http_req hq;
	struct crypto_http_resp hr;
	struct sp_errinfo hei;
	struct timespec t0, t1;
	int rc;

	(void)ei;
	memset(&hr, 0, sizeof(hr));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (webhook_signature(d->secret, (long long)time(NULL), d->payload, strlen(d->payload), sig,
			      sizeof(sig), NULL) != SP_OK) {
		snprintf(d->error, sizeof(d->error), "failed");
		snprintf(d->detail, sizeof(d->detail), "cannot sign the delivery");
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
	hq.forbid_private = 1;
	hq.https_only = !d->allow_http;
	hq.allow = d->allow;
	sp_errinfo_init(&hei);
	if ((rc = crypto_http_post(&hq, &hr, &hei)) != SP_OK) {
		/*
		 * The organization's log says only "refused" (the policy kept the
		 * connection from being made) or "failed": what a receiver or the
		 * network said would let it map the server's network. Operators
		 * get the reason in the server's log.
		 */
		snprintf(d->error, sizeof(d->error), "%s",
			 rc == SP_ERR_FORBIDDEN || rc == SP_ERR_INVALID ? "refused" : "failed");
		snprintf(d->detail, sizeof(d->detail), "%.*s", (int)sizeof(d->detail) - 1, hei.msg);
		goto done;
	}
	d->http_status = hr.status;
	if (d->http_status < 200 || d->http_status > 299)
		snprintf(d->error, sizeof(d->error), "failed");
done:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	d->duration_ms =
		(long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	crypto_http_resp_cleanup(&hr);
	/* A failed POST is an outcome to record, not a job failure. */
	return SP_OK;
}

static void
recorded(void *arg, const struct sp_errinfo *err)
{
	struct webhook_delivery *wd = arg;

	wd->inflight--;
	if (err->code != SP_OK)
		log_event(LOG_WARN, NULL,
			  "webhook attempt not recorded (the lease will expire "
			  "and it is retried)",
			  "{s:s}", "detail", err->msg);
}

static void
deliver_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct delivery *d = arg;
	struct webhook_delivery *wd = d->wd;
	struct db_webhook_attempt a;

	(void)ei;
	if (!wd->running || rc != SP_OK) {
		/* Shutting down: the lease expires and another process retries it. */
		wd->inflight--;
		delivery_free(d);
		return;
	}
	if (d->detail[0] != '\0')
		log_event(LOG_WARN, NULL, "webhook delivery attempt failed", "{s:I,s:i,s:s,s:s}",
			  "delivery_id", (json_int_t)d->id, "attempt", d->attempt, "outcome",
			  d->error, "detail", d->detail);
	memset(&a, 0, sizeof(a));
	a.delivery_id = d->id;
	a.attempt = d->attempt;
	a.http_status = d->http_status;
	a.error = d->error;
	a.duration_ms = d->duration_ms;
	a.backoff_base_s = BACKOFF_BASE_S;
	a.max_attempts = MAX_ATTEMPTS;
	if (db_webhook_attempt_record(wd->db, &a, recorded, wd) != SP_OK)
		wd->inflight--;
	delivery_free(d);
}

static void
claimed(void *arg, const struct db_webhook_delivery *dv, size_t n, const struct sp_errinfo *err)
{
	struct webhook_delivery *wd = arg;
	size_t i;

	wd->claiming = 0;
	if (!wd->running || err->code != SP_OK)
		return;
	for (i = 0; i < n; i++) {
		struct delivery *d = calloc(1, sizeof(*d));

		if (d == NULL || (d->url = strdup(dv[i].url)) == NULL ||
		    (d->secret = strdup(dv[i].secret)) == NULL ||
		    (d->payload = strdup(dv[i].payload)) == NULL) {
			delivery_free(d);
			continue; /* its lease expires; it is claimed again */
		}
		d->id = dv[i].id;
		d->attempt = dv[i].attempt;
		d->allow = wd->cfg->webhooks.allow_hosts;
		d->allow_http = wd->cfg->webhooks.allow_http;
		d->wd = wd;
		if (jobs_submit(wd->jobs, deliver_work, deliver_done, d) != SP_OK) {
			delivery_free(d);
			continue;
		}
		wd->inflight++;
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct webhook_delivery *wd = arg;

	(void)fd;
	(void)what;
	if (!wd->running || wd->claiming || wd->inflight > 0)
		return;
	if (db_webhook_claim(wd->db, CLAIM_BATCH, LEASE_S, claimed, wd) == SP_OK)
		wd->claiming = 1;
}

int
webhook_delivery_start(struct webhook_delivery *wd, struct event_base *base, struct db_pool *db,
		       const struct config *cfg, struct sp_errinfo *ei)
{
	struct timeval tv = { 0, POLL_MS * 1000 };
	int r;

	if ((r = crypto_http_init(ei)) != SP_OK)
		return r;
	if ((r = crypto_http_allow_check(cfg->webhooks.allow_hosts, ei)) != SP_OK) {
		sp_errinfo_prefix(ei, "webhooks.allow_hosts");
		return r;
	}
	memset(wd, 0, sizeof(*wd));
	wd->db = db;
	wd->cfg = cfg;
	if ((r = jobs_new(base, DELIVERY_THREADS, CLAIM_BATCH * 2, CLAIM_BATCH * 2, &wd->jobs,
			  ei)) != SP_OK)
		return r;
	if ((wd->timer = event_new(base, -1, EV_PERSIST, tick, wd)) == NULL ||
	    event_add(wd->timer, &tv) != 0)
		return sp_err(ei, SP_ERR_INTERNAL, "cannot schedule webhook deliveries");
	wd->running = 1;
	return SP_OK;
}

void
webhook_delivery_stop(struct webhook_delivery *wd)
{
	wd->running = 0;
	if (wd->timer != NULL)
		event_free(wd->timer);
	wd->timer = NULL;
	/* Running POSTs finish (hard timeout); their done() only frees. */
	jobs_free(wd->jobs);
	wd->jobs = NULL;
}
