/*
 * pool.c: the worker pool for CPU-heavy work (DESIGN.md §8, after kore's
 * tasks). Workers take jobs from a bounded queue, run work(), drain the
 * OpenSSL error queue of their thread into the job's error info, put the job
 * on a done list and wake the loop through one eventfd; the loop then calls
 * done() for every finished job. The loop thread never waits on a worker
 * except in jobs_free().
 *
 * Only the job that finds the done list empty writes the eventfd: the loop
 * reads the eventfd before it takes the whole list, so a job added to a list
 * that is not empty is delivered with the ones before it, and one added after
 * the loop took the list finds it empty and wakes the loop again. Jobs that
 * finish while the loop is busy cost one write and one wake-up, not one each.
 *
 * Jobs of a request have an owner (the calling organization, reviewer or
 * client address, request_jobs_submit()): an owner holds at most
 * per_owner_max jobs queued or running (more is SP_ERR_RATE_LIMITED), and a
 * free worker takes the oldest job of the owner with the fewest running (of
 * those, the one served longest ago), so one caller's many jobs delay
 * another's by about one job each thread, not by all of them. A
 * job whose request was answered (deadline) or abandoned (client gone)
 * before a worker took it is dropped (jobs_drop): its done() still runs
 * once, with SP_ERR_UNAVAILABLE, as for a job the shut-down pool never ran.
 * One a worker already runs is asked to stop (sec35): its cancel flag is
 * bound to the worker's thread (sp_cancel_bind), the long loops of pdf/ and
 * crypto/ check it, and when one saw it the job's result, whatever work()
 * made of that error, is replaced by the dropped job's: done() gets
 * SP_ERR_UNAVAILABLE. A hostile search nobody waits for gives its worker
 * back within one check, not at its end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>

#include "http_int.h"

#define JOBS_MAX_THREADS 64

struct job {
	struct job *next, *prev; /* prev: in the queue only */
	job_work_fn work;
	job_done_fn done;
	void *arg;
	struct sp_turn *owner;           /* NULL: a job of the server's own (renewal, delivery) */
	unsigned char key[JOBS_KEY_MAX]; /* the owner's, for the done hook (zeros: none) */
	struct job **handle; /* cleared before done(): the submitter's jobs_drop() handle */
	volatile int cancel; /* set by jobs_drop() while a worker runs it (atomic) */
	int rc;
	struct sp_errinfo ei;
};

struct jobs {
	struct event_base *base;
	struct event *wake_ev;
	int efd;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct job *q_head, *q_tail; /* waiting for a thread */
	struct job *d_head, *d_tail; /* finished, waiting for done() */
	long queued, running;
	int queue_max;
	int per_owner_max;
	int stopping;
	struct sp_turns turns;  /* the owners with jobs queued or running (under mu) */
	jobs_owner_fn owner_fn; /* around each done(): the job's owner (jobs_owner_hook) */
	void *owner_ctx;
	unsigned long long completed;
	unsigned long long dropped;   /* jobs dropped before they ran (under mu) */
	unsigned long long cancelled; /* jobs stopped by their cancel flag (under mu) */
	unsigned long long wakes;     /* eventfd writes (under mu) */
	pthread_t threads[JOBS_MAX_THREADS];
	int nthreads;
};

/* Move what OpenSSL left on this thread's error queue into ei, then clear it. */
static void
drain_openssl_errors(struct sp_errinfo *ei)
{
	unsigned long e;

	while ((e = ERR_get_error()) != 0) {
		if (ei->ossl == 0)
			ei->ossl = e;
		if (ei->code != SP_OK && ei->msg[0] == '\0')
			ERR_error_string_n(e, ei->msg, sizeof(ei->msg));
	}
}

/* ---- the queue, its owners and the done list: all under mu ---- */

/*
 * The job a free worker takes: the oldest of the owner with the fewest jobs
 * running and, among those, the one served longest ago, so that owners take
 * turns even on one thread (a job without an owner: none running, never
 * served). The queue holds at most queue_max jobs; the walk stops at the
 * first that cannot be beaten.
 */
static struct job *
queue_pick(struct jobs *pool)
{
	struct job *j, *best = NULL;

	for (j = pool->q_head; j != NULL; j = j->next)
		if (best == NULL || sp_turns_before(j->owner, best->owner)) {
			best = j;
			if (sp_turns_fresh(j->owner))
				break;
		}
	return best;
}

static void
queue_unlink(struct jobs *pool, struct job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		pool->q_head = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	else
		pool->q_tail = j->prev;
	j->next = j->prev = NULL;
	pool->queued--;
}

/* Put a finished (or dropped) job on the done list; 1 when the loop must be woken. */
static int
done_add(struct jobs *pool, struct job *j)
{
	int wake = pool->d_head == NULL; /* see the top of the file */

	j->next = NULL;
	if (pool->d_tail)
		pool->d_tail->next = j;
	else
		pool->d_head = j;
	pool->d_tail = j;
	pool->wakes += (unsigned long long)wake;
	return wake;
}

/* After the unlock. */
static void
wake_loop(struct jobs *pool, int wake)
{
	uint64_t one = 1;

	while (wake && write(pool->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *
worker_main(void *arg)
{
	struct jobs *pool = arg;
	struct job *j;
	int wake, stopped;

	for (;;) {
		pthread_mutex_lock(&pool->mu);
		while (pool->q_head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->cond, &pool->mu);
		if (pool->q_head == NULL) {
			pthread_mutex_unlock(&pool->mu);
			return NULL;
		}
		j = queue_pick(pool);
		queue_unlink(pool, j);
		pool->running++;
		sp_turns_start(&pool->turns, j->owner);
		pthread_mutex_unlock(&pool->mu);

		ERR_clear_error();
		sp_cancel_bind(&j->cancel);
		j->rc = j->work(j->arg, &j->ei);
		stopped = sp_cancel_unbind();
		if (j->rc != SP_OK && j->ei.code == SP_OK)
			j->ei.code = j->rc;
		drain_openssl_errors(&j->ei);
		if (stopped) {
			sp_errinfo_init(&j->ei);
			j->rc = sp_err(&j->ei, SP_ERR_UNAVAILABLE,
				       "the request was answered while a worker ran its job");
		}

		pthread_mutex_lock(&pool->mu);
		pool->cancelled += (unsigned long long)stopped;
		pool->running--;
		sp_turns_end(j->owner);
		sp_turns_put(&pool->turns, j->owner);
		j->owner = NULL;
		wake = done_add(pool, j);
		pthread_mutex_unlock(&pool->mu);
		wake_loop(pool, wake);
	}
}

/* Call done() for every finished job; loop thread. */
static void
deliver_done(struct jobs *pool)
{
	struct job *list, *j;

	pthread_mutex_lock(&pool->mu);
	list = pool->d_head;
	pool->d_head = pool->d_tail = NULL;
	pthread_mutex_unlock(&pool->mu);
	while ((j = list) != NULL) {
		list = j->next;
		pool->completed++;
		if (j->handle != NULL)
			*j->handle = NULL;
		if (pool->owner_fn != NULL)
			pool->owner_fn(pool->owner_ctx, j->key);
		j->done(j->arg, j->rc, &j->ei);
		if (pool->owner_fn != NULL)
			pool->owner_fn(pool->owner_ctx, NULL);
		free(j);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct jobs *pool = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN && errno != EINTR)
		log_event(LOG_ERROR, NULL, "jobs eventfd read failed", "{s:s}", "error",
			  strerror(errno));
	deliver_done(pool);
}

int
jobs_new(struct event_base *base, int nthreads, int queue_max, int per_owner_max, struct jobs **out,
	 struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct jobs *pool = NULL;
	int i, mu_ok = 0, cond_ok = 0;

	*out = NULL;
	if (base == NULL || nthreads < 1 || nthreads > JOBS_MAX_THREADS || queue_max < 1 ||
	    per_owner_max < 1) {
		r = sp_err(ei, SP_ERR_INVALID,
			   "jobs: threads must be 1..%d, the queue and the owner's share >= 1",
			   JOBS_MAX_THREADS);
		goto out;
	}
	if ((pool = calloc(1, sizeof(*pool))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	pool->efd = -1;
	pool->base = base;
	pool->queue_max = queue_max;
	pool->per_owner_max = per_owner_max;
	if (pthread_mutex_init(&pool->mu, NULL) != 0)
		goto fail_sys;
	mu_ok = 1;
	if (pthread_cond_init(&pool->cond, NULL) != 0)
		goto fail_sys;
	cond_ok = 1;
	if ((pool->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto fail_sys;
	pool->wake_ev = event_new(base, pool->efd, EV_READ | EV_PERSIST, on_wake, pool);
	if (pool->wake_ev == NULL || event_add(pool->wake_ev, NULL) != 0) {
		r = sp_err(ei, SP_ERR_INTERNAL, "jobs: cannot register the eventfd");
		goto out;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0)
			goto fail_sys;
		pool->nthreads++;
	}
	*out = pool;
	pool = NULL; /* transferred */
	r = SP_OK;
	goto out;
fail_sys:
	r = sp_err(ei, SP_ERR_INTERNAL, "jobs: %s", strerror(errno));
out:
	if (pool != NULL) {
		if (pool->nthreads > 0) {
			jobs_free(pool);
		} else {
			if (pool->wake_ev)
				event_free(pool->wake_ev);
			if (pool->efd >= 0)
				close(pool->efd);
			if (cond_ok)
				pthread_cond_destroy(&pool->cond);
			if (mu_ok)
				pthread_mutex_destroy(&pool->mu);
			free(pool);
		}
	}
	return r;
}

int
jobs_submit(struct jobs *pool, job_work_fn work, job_done_fn done, void *arg)
{
	return jobs_submit_owned(pool, NULL, NULL, work, done, arg);
}

int
jobs_submit_owned(struct jobs *pool, const unsigned char *key, struct job **handle,
		  job_work_fn work, job_done_fn done, void *arg)
{
	struct job *j;
	struct sp_turn *o = NULL;
	int rc = SP_ERR_INTERNAL;

	if (pool == NULL || work == NULL || done == NULL)
		return SP_ERR_INVALID;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return SP_ERR_NOMEM;
	j->work = work;
	j->done = done;
	j->arg = arg;
	sp_errinfo_init(&j->ei);
	pthread_mutex_lock(&pool->mu);
	if (pool->stopping) {
		rc = SP_ERR_UNAVAILABLE;
		goto refused;
	}
	if (pool->queued >= pool->queue_max) {
		rc = SP_ERR_BUSY;
		goto refused;
	}
	if (key != NULL) {
		memcpy(j->key, key, JOBS_KEY_MAX);
		if ((o = sp_turns_get(&pool->turns, key)) == NULL) {
			rc = SP_ERR_NOMEM;
			goto refused;
		}
		if (o->queued + o->running >= pool->per_owner_max) {
			rc = SP_ERR_RATE_LIMITED;
			goto refused;
		}
		o->queued++;
	}
	j->owner = o;
	j->handle = handle;
	j->prev = pool->q_tail;
	if (pool->q_tail)
		pool->q_tail->next = j;
	else
		pool->q_head = j;
	pool->q_tail = j;
	pool->queued++;
	if (handle != NULL)
		*handle = j;
	pthread_mutex_unlock(&pool->mu);
	/* after the unlock: a worker woken while the loop still held mu would wake only to
	   sleep again on it (one more futex wait and wake, and two context switches, per
	   job). It cannot miss the job: it looks at the queue under mu before it waits. */
	pthread_cond_signal(&pool->cond);
	return SP_OK;
refused:
	pthread_mutex_unlock(&pool->mu);
	free(j);
	return rc;
}

void
jobs_drop(struct jobs *pool, struct job *j)
{
	int wake = 0;
	struct job *q;

	if (pool == NULL || j == NULL)
		return;
	pthread_mutex_lock(&pool->mu);
	for (q = pool->q_head; q != NULL && q != j; q = q->next)
		;
	if (q == NULL) {
		/* Taken by a worker: asked to stop at its next check (or finished already:
		   then nobody reads the flag). */
		__atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
	} else {
		queue_unlink(pool, j);
		if (j->owner != NULL)
			j->owner->queued--;
		sp_turns_put(&pool->turns, j->owner);
		j->owner = NULL;
		j->rc = sp_err(&j->ei, SP_ERR_UNAVAILABLE,
			       "the request was answered before a worker took its job");
		pool->dropped++;
		wake = done_add(pool, j);
	}
	pthread_mutex_unlock(&pool->mu);
	wake_loop(pool, wake);
}

void
jobs_owner_hook(struct jobs *pool, jobs_owner_fn fn, void *ctx)
{
	pool->owner_fn = fn;
	pool->owner_ctx = ctx;
}

void
jobs_stats_get(struct jobs *pool, struct jobs_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->mu);
	out->queued = pool->queued;
	out->running = pool->running;
	out->wakes = pool->wakes;
	out->dropped = pool->dropped;
	out->cancelled = pool->cancelled;
	pthread_mutex_unlock(&pool->mu);
	out->completed = pool->completed;
}

void
jobs_free(struct jobs *pool)
{
	struct job *cancelled, *j;
	int i;

	if (pool == NULL)
		return;
	/* Take the queue first so that no worker starts another job. */
	pthread_mutex_lock(&pool->mu);
	pool->stopping = 1;
	cancelled = pool->q_head;
	pool->q_head = pool->q_tail = NULL;
	pool->queued = 0;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->mu);
	for (i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	/* Running jobs have finished: their results first, then the cancelled. */
	deliver_done(pool);
	while ((j = cancelled) != NULL) {
		cancelled = j->next;
		if (j->handle != NULL)
			*j->handle = NULL;
		sp_err(&j->ei, SP_ERR_UNAVAILABLE, "the worker pool shut down before the job ran");
		j->done(j->arg, SP_ERR_UNAVAILABLE, &j->ei);
		free(j);
	}
	sp_turns_clear(&pool->turns); /* the cancelled jobs' owners */
	if (pool->wake_ev)
		event_free(pool->wake_ev);
	if (pool->efd >= 0)
		close(pool->efd);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}
