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
	struct job *next;
	job_work_fn work;
	job_done_fn done;
	void *arg;
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
	int stopping;
	unsigned long long completed;
	unsigned long long wakes; /* eventfd writes (under mu) */
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

static void *
worker_main(void *arg)
{
	struct jobs *pool = arg;
	struct job *j;
	uint64_t one = 1;
	int wake;

	for (;;) {
		pthread_mutex_lock(&pool->mu);
		while (pool->q_head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->cond, &pool->mu);
		if (pool->q_head == NULL) {
			pthread_mutex_unlock(&pool->mu);
			return NULL;
		}
		j = pool->q_head;
		pool->q_head = j->next;
		if (pool->q_head == NULL)
			pool->q_tail = NULL;
		pool->queued--;
		pool->running++;
		pthread_mutex_unlock(&pool->mu);

		ERR_clear_error();
		j->rc = j->work(j->arg, &j->ei);
		if (j->rc != SP_OK && j->ei.code == SP_OK)
			j->ei.code = j->rc;
		drain_openssl_errors(&j->ei);
		j->next = NULL;

		pthread_mutex_lock(&pool->mu);
		pool->running--;
		wake = pool->d_head == NULL; /* see the top of the file */
		if (pool->d_tail)
			pool->d_tail->next = j;
		else
			pool->d_head = j;
		pool->d_tail = j;
		pool->wakes += (unsigned long long)wake;
		pthread_mutex_unlock(&pool->mu);
		while (wake && write(pool->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
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
		j->done(j->arg, j->rc, &j->ei);
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
jobs_new(struct event_base *base, int nthreads, int queue_max, struct jobs **out,
	 struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct jobs *pool = NULL;
	int i, mu_ok = 0, cond_ok = 0;

	*out = NULL;
	if (base == NULL || nthreads < 1 || nthreads > JOBS_MAX_THREADS || queue_max < 1) {
		r = sp_err(ei, SP_ERR_INVALID, "jobs: threads must be 1..%d and the queue >= 1",
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
	struct job *j;

	if (pool == NULL || work == NULL || done == NULL)
		return SP_ERR_INVALID;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return SP_ERR_NOMEM;
	j->work = work;
	j->done = done;
	j->arg = arg;
	sp_errinfo_init(&j->ei);
	pthread_mutex_lock(&pool->mu);
	if (pool->stopping || pool->queued >= pool->queue_max) {
		int busy = !pool->stopping;
		pthread_mutex_unlock(&pool->mu);
		free(j);
		return busy ? SP_ERR_BUSY : SP_ERR_UNAVAILABLE;
	}
	if (pool->q_tail)
		pool->q_tail->next = j;
	else
		pool->q_head = j;
	pool->q_tail = j;
	pool->queued++;
	pthread_mutex_unlock(&pool->mu);
	/* after the unlock: a worker woken while the loop still held mu would wake only to
	   sleep again on it (one more futex wait and wake, and two context switches, per
	   job). It cannot miss the job: it looks at the queue under mu before it waits. */
	pthread_cond_signal(&pool->cond);
	return SP_OK;
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
		sp_err(&j->ei, SP_ERR_UNAVAILABLE, "the worker pool shut down before the job ran");
		j->done(j->arg, SP_ERR_UNAVAILABLE, &j->ei);
		free(j);
	}
	if (pool->wake_ev)
		event_free(pool->wake_ev);
	if (pool->efd >= 0)
		close(pool->efd);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}
