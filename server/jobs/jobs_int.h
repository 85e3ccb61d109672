/*
 * jobs_int.h: the worker pool of sealpactd (DESIGN.md §8): CPU-heavy work off
 * the event loop, results handed back through one eventfd; and the background
 * jobs each serving process starts (expiry sweep, webhook delivery). The job
 * contract itself (jobs_submit, job_work_fn, job_done_fn) is in server.h.
 */
#ifndef SP_JOBS_INT_H
#define SP_JOBS_INT_H

#include "server.h"

struct event;
struct job;

/* ---- pool.c --------------------------------------------------------------------------- */

struct jobs_stats {
	long queued;
	long running;
	unsigned long long completed;
	unsigned long long wakes;     /* times workers woke the loop */
	unsigned long long dropped;   /* jobs dropped before a worker took them (jobs_drop) */
	unsigned long long cancelled; /* jobs dropped while running, stopped at a check */
};

/*
 * A pool of nthreads workers with a queue of at most queue_max jobs, of
 * which one owner (jobs_submit_owned) may have per_owner_max queued or
 * running, handing results back to base through one eventfd.
 * evthread_use_pthreads() must have been called before base was created.
 * Loop thread only.
 */
int jobs_new(struct event_base *base, int nthreads, int queue_max, int per_owner_max,
	     struct jobs **out, struct sp_errinfo *ei) SP_WUR;

/* An owner's key: any bytes, compared whole (request.c: the caller). */
#define JOBS_KEY_MAX SP_TURN_KEY

/*
 * jobs_submit for a job of the owner key (JOBS_KEY_MAX bytes; NULL: no
 * owner, as jobs_submit): SP_ERR_RATE_LIMITED when the owner already has
 * per_owner_max jobs queued or running. A free worker takes the oldest job
 * of the owner with the fewest running, of those the one served longest
 * ago. When handle is not NULL, *handle is
 * the job from acceptance until just before its done() runs (then NULL),
 * for jobs_drop(). Loop thread only.
 */
int jobs_submit_owned(struct jobs *pool, const unsigned char *key, struct job **handle,
		      job_work_fn work, job_done_fn done, void *arg) SP_WUR;

/*
 * Nobody waits for job j's result any more (its request was answered or
 * its client left): if no worker took it yet, it leaves the queue and its
 * done() runs in a later loop turn with SP_ERR_UNAVAILABLE, work() never;
 * a job already running is asked to stop (sp_cancel_check() fails in its
 * thread from then on) and, if a check saw that, its done() gets
 * SP_ERR_UNAVAILABLE as well, whatever work() returned; one that ends
 * without a check seeing it has its done() as usual. j is a live handle of
 * jobs_submit_owned. Loop thread only.
 */
void jobs_drop(struct jobs *pool, struct job *j);

/*
 * fn(ctx, key) right before each done() with the job's owner key
 * (JOBS_KEY_MAX bytes, zeros for a job without one) and right after it with
 * NULL: what done() does next (its database queries) is the owner's too
 * (server.c: the database queue's turns). Loop thread, before jobs run.
 */
typedef void (*jobs_owner_fn)(void *ctx, const unsigned char *key);
void jobs_owner_hook(struct jobs *pool, jobs_owner_fn fn, void *ctx);

/*
 * Stop the pool: queued jobs that no worker took get done(SP_ERR_UNAVAILABLE),
 * running ones finish and get their done(); all before this returns, on the
 * calling (loop) thread. Threads are joined. NULL is fine.
 */
void jobs_free(struct jobs *pool);

void jobs_stats_get(struct jobs *pool, struct jobs_stats *out);

/* ---- expiry.c: the deadline sweep on a timer ------------------------------------------------ */

/* Embedded in struct server; the fields are expiry.c's. */
struct expiry {
	struct db_pool *db;
	struct event *timer;
	int running;
	int busy;    /* a sweep is in flight */
	int failing; /* the last sweep failed: log again only once it recovered */
	int phased;  /* the randomly offset first sweep ran; the period applies */
};

/*
 * Sweep due contracts every second on base through db. ex must stay where it
 * is until db is freed (callbacks in flight point to it). Stop before the
 * pools are freed; callbacks still in flight then only clean up. Loop
 * thread, once per process.
 */
int expiry_start(struct expiry *ex, struct event_base *base, struct db_pool *db,
		 struct sp_errinfo *ei) SP_WUR;
void expiry_stop(struct expiry *ex);

/* ---- webhook_delivery.c: queued webhook deliveries ------------------------------------------- */

/* Embedded in struct server; the fields are webhook_delivery.c's. */
struct webhook_delivery {
	struct db_pool *db;
	struct jobs *jobs; /* the deliveries' own small pool, not the request pool */
	struct event *timer;
	int running;              /* 1 between start and stop */
	int claiming;             /* a claim query is in flight */
	int inflight;             /* deliveries claimed and not yet recorded */
	const struct config *cfg; /* webhooks.allow_hosts and allow_http; outlives wd */
};

/*
 * Deliver queued webhook events from base through db, on a pool of its own,
 * to public addresses only unless cfg's webhooks.allow_hosts allows (cfg
 * outlives wd; a malformed allow list is SP_ERR_CONFIG, so start-up stops).
 * The same lifetime rules as expiry_start(); stop joins the delivery
 * threads (running POSTs finish within their hard timeout). Loop thread,
 * once per process.
 */
int webhook_delivery_start(struct webhook_delivery *wd, struct event_base *base, struct db_pool *db,
			   const struct config *cfg, struct sp_errinfo *ei) SP_WUR;
void webhook_delivery_stop(struct webhook_delivery *wd);

/* ---- archive.c: archive-timestamp renewal (PAdES B-LTA) ----------------------------------- */

/* Embedded in struct server; the fields are archive.c's. */
struct archive_renewal {
	struct db_pool *db;
	struct jobs *jobs;
	struct crypto_trust *trust;     /* borrowed, outlive the job */
	const struct tsa_provider *tsa; /* borrowed */
	long long horizon_s;            /* signing.archive_horizon_days */
	int interval_s;                 /* signing.archive_interval_s */
	struct event *timer;
	struct event *pause; /* one shot: the next claim after a service failed */
	int pause_s;         /* that pause, doubled per failure in a row; 0: none */
	time_t tsa_until;    /* what the TSA's last token proves until (Unix); 0: unknown */
	time_t tsa_until_at; /* when it was learned */
	int running;
	int busy;    /* a claim or a renewal is in flight */
	int failing; /* the last round failed: log again only once it recovered */
	unsigned long renewed;
};

/*
 * Every cfg->signing.archive_interval_s seconds (and at once after each
 * renewal, or each contract the renewal cannot extend, while more are due),
 * claim one due completed contract (db_archive_claim: organizations' turns;
 * due only where a new document timestamp from this TSA would prove longer
 * than its newest), append a new DSS and document timestamp on a worker
 * (ltv_extend) and store it as the contract's next revision
 * (db_archive_store). A renewal a service failed (the TSA, a responder, the
 * database) gives its contract back for a retry with backoff
 * (db_archive_release) and the next claim waits a pause doubled per failure
 * in a row, at most the interval. Not started (SP_OK, nothing scheduled) unless
 * signing.level is B-LTA, the interval is not 0 and trust and a TSA are
 * configured. The lifetime rules of expiry_start(). Loop thread, once per
 * process.
 */
int archive_renewal_start(struct archive_renewal *ar, struct event_base *base, struct db_pool *db,
			  struct jobs *jobs, const struct config *cfg, struct crypto_trust *trust,
			  const struct tsa_provider *tsa, struct sp_errinfo *ei) SP_WUR;
void archive_renewal_stop(struct archive_renewal *ar);

#endif /* SP_JOBS_INT_H */
