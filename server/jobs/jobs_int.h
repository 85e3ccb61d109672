/*
 * jobs_int.h: the worker pool of sealpactd (DESIGN.md §8): CPU-heavy work off
 * the event loop, results handed back through one eventfd. The job contract
 * itself (jobs_submit, job_work_fn, job_done_fn) is in server.h.
 */
#ifndef SP_JOBS_INT_H
#define SP_JOBS_INT_H

#include "server.h"

/* ---- pool.c --------------------------------------------------------------------------- */

struct jobs_stats {
	long queued;
	long running;
	unsigned long long completed;
};

/*
 * A pool of nthreads workers with a queue of at most queue_max jobs, handing
 * results back to base through one eventfd. evthread_use_pthreads() must have
 * been called before base was created. Loop thread only.
 */
int jobs_new(struct event_base *base, int nthreads, int queue_max, struct jobs **out,
	     struct sp_errinfo *ei) SP_WUR;

/*
 * Stop the pool: queued jobs that no worker took get done(SP_ERR_UNAVAILABLE),
 * running ones finish and get their done(); all before this returns, on the
 * calling (loop) thread. Threads are joined. NULL is fine.
 */
void jobs_free(struct jobs *pool);

void jobs_stats_get(struct jobs *pool, struct jobs_stats *out);

#endif /* SP_JOBS_INT_H */
