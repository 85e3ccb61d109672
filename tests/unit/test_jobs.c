/* test_jobs.c: the worker pool: every job done exactly once on the loop thread, jobs
 * done while the loop is busy wake it once, a full queue says BUSY, shutdown with jobs
 * pending, OpenSSL errors drained into the job; an owner's share of the pool, owners
 * taking turns, and a dropped job that never runs. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/evp.h>
#include <openssl/err.h>

#include "http_int.h"

#define NJOBS 1000

struct state {
	struct event_base *base;
	pthread_t loop_thread;
	int done_count[NJOBS];
	int ran_on_worker[NJOBS];
	int total_done;
	int wrong_thread;
	int bad_rc;
	int expected;
};

struct arg {
	struct state *st;
	int i;
	int sleep_ms;
	pthread_mutex_t *gate; /* a job may wait on it so the queue stays full */
};

static int
work_square(void *p, struct sp_errinfo *ei)
{
	struct arg *a = p;

	(void)ei;
	if (a->gate) {
		pthread_mutex_lock(a->gate);
		pthread_mutex_unlock(a->gate);
	}
	if (a->sleep_ms)
		usleep((useconds_t)a->sleep_ms * 1000);
	a->st->ran_on_worker[a->i] = !pthread_equal(pthread_self(), a->st->loop_thread);
	return (a->i % 7 == 0) ? SP_ERR_INVALID : SP_OK;
}

static void
done_count(void *p, int rc, const struct sp_errinfo *ei)
{
	struct arg *a = p;
	struct state *st = a->st;

	if (!pthread_equal(pthread_self(), st->loop_thread))
		st->wrong_thread++;
	if (rc == SP_OK ? ei->code != SP_OK : (rc != SP_ERR_INVALID && rc != SP_ERR_UNAVAILABLE))
		st->bad_rc++;
	st->done_count[a->i]++;
	st->total_done++;
	if (st->total_done == st->expected)
		event_base_loopbreak(st->base);
	free(a);
}

static void
setup_evthread(void)
{
	ck_assert_int_eq(evthread_use_pthreads(), 0);
}

static struct arg *
mkarg(struct state *st, int i)
{
	struct arg *a = calloc(1, sizeof(*a));

	a->st = st;
	a->i = i;
	return a;
}

START_TEST(thousand_jobs_complete_exactly_once_on_loop_thread)
{
	struct state *st = calloc(1, sizeof(*st));
	struct jobs *pool = NULL;
	struct sp_errinfo ei;
	int i;

	setup_evthread();
	st->base = event_base_new();
	st->loop_thread = pthread_self();
	st->expected = NJOBS;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(jobs_new(st->base, 4, NJOBS, NJOBS, &pool, &ei), SP_OK);
	for (i = 0; i < NJOBS; i++) {
		struct arg *a = mkarg(st, i);
		ck_assert_int_eq(jobs_submit(pool, work_square, done_count, a), SP_OK);
	}
	/* done() never runs inside submit: nothing is done before the loop runs. */
	ck_assert_int_eq(st->total_done, 0);
	event_base_dispatch(st->base);
	ck_assert_int_eq(st->total_done, NJOBS);
	for (i = 0; i < NJOBS; i++) {
		ck_assert_int_eq(st->done_count[i], 1);
		ck_assert_int_eq(st->ran_on_worker[i], 1);
	}
	ck_assert_int_eq(st->wrong_thread, 0);
	ck_assert_int_eq(st->bad_rc, 0);
	{
		struct jobs_stats js;
		jobs_stats_get(pool, &js);
		ck_assert_int_eq(js.queued, 0);
		ck_assert_int_eq(js.running, 0);
		ck_assert_uint_eq(js.completed, NJOBS);
	}
	jobs_free(pool);
	ck_assert_int_eq(st->total_done, NJOBS);
	event_base_free(st->base);
	free(st);
}
END_TEST

/* Jobs that finish while the loop is busy wake it once, and are all delivered. */
START_TEST(jobs_done_while_the_loop_is_busy_wake_it_once)
{
	struct state *st = calloc(1, sizeof(*st));
	struct jobs *pool = NULL;
	struct jobs_stats js;
	struct sp_errinfo ei;
	int i, n = 50, waited;

	setup_evthread();
	st->base = event_base_new();
	st->loop_thread = pthread_self();
	st->expected = n;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(jobs_new(st->base, 2, NJOBS, NJOBS, &pool, &ei), SP_OK);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(jobs_submit(pool, work_square, done_count, mkarg(st, i)), SP_OK);
	/* The loop is not running: the workers finish every job meanwhile. */
	for (waited = 0;; waited++) {
		jobs_stats_get(pool, &js);
		if (js.queued == 0 && js.running == 0)
			break;
		ck_assert_int_lt(waited, 10000);
		usleep(1000);
	}
	ck_assert_uint_eq(js.wakes, 1);
	event_base_dispatch(st->base);
	ck_assert_int_eq(st->total_done, n);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(st->done_count[i], 1);
	/* The list is empty again: the next job wakes the loop again. */
	st->expected = n + 1;
	ck_assert_int_eq(jobs_submit(pool, work_square, done_count, mkarg(st, n)), SP_OK);
	event_base_dispatch(st->base);
	ck_assert_int_eq(st->total_done, n + 1);
	jobs_stats_get(pool, &js);
	ck_assert_uint_eq(js.wakes, 2);
	ck_assert_uint_eq(js.completed, (unsigned long long)n + 1);
	ck_assert_int_eq(st->wrong_thread, 0);
	jobs_free(pool);
	event_base_free(st->base);
	free(st);
}
END_TEST

/* Wait until a worker has taken every job it can (the gate holds it). */
static void
wait_running(struct jobs *pool, long running)
{
	struct jobs_stats js;
	int waited;

	for (waited = 0;; waited++) {
		jobs_stats_get(pool, &js);
		if (js.running == running)
			return;
		ck_assert_int_lt(waited, 10000);
		usleep(1000);
	}
}

START_TEST(full_queue_is_busy_and_shutdown_finishes_pending)
{
	struct state *st = calloc(1, sizeof(*st));
	struct jobs *pool = NULL;
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	int i, accepted = 0, busy = 0;

	setup_evthread();
	st->base = event_base_new();
	st->loop_thread = pthread_self();
	ck_assert_int_eq(jobs_new(st->base, 1, 4, 4, &pool, NULL), SP_OK);
	/* Block the only worker so the queue fills up. */
	pthread_mutex_lock(&gate);
	for (i = 0; i < 10; i++) {
		struct arg *a = mkarg(st, i);
		int rc;
		a->gate = &gate;
		rc = jobs_submit(pool, work_square, done_count, a);
		if (rc == SP_OK) {
			accepted++;
		} else {
			ck_assert_int_eq(rc, SP_ERR_BUSY);
			busy++;
			free(a);
		}
		/* Let the worker take the first job off the queue (seen, not assumed
		   after a fixed time: a loaded machine runs the worker late). */
		if (i == 0)
			wait_running(pool, 1);
	}
	/* One running + four queued; the rest were refused. */
	ck_assert_int_eq(accepted, 5);
	ck_assert_int_eq(busy, 5);
	{
		struct jobs_stats js;
		jobs_stats_get(pool, &js);
		ck_assert_int_eq(js.queued, 4);
		ck_assert_int_eq(js.running, 1);
	}
	pthread_mutex_unlock(&gate);
	/*
	 * Shut down at once: the running job finishes with its own result, the
	 * queued ones that no worker took yet are cancelled; every done() fires
	 * exactly once, on this thread, before jobs_free returns.
	 */
	jobs_free(pool);
	ck_assert_int_eq(st->total_done, accepted);
	for (i = 0; i < accepted; i++)
		ck_assert_int_eq(st->done_count[i], 1);
	ck_assert_int_eq(st->wrong_thread, 0);
	ck_assert_int_eq(st->bad_rc, 0);
	event_base_free(st->base);
	free(st);
}
END_TEST

static int
work_openssl_fails(void *p, struct sp_errinfo *ei)
{
	(void)p;
	/* An unknown digest leaves an error on this thread's OpenSSL queue. */
	if (EVP_MD_fetch(NULL, "NO-SUCH-DIGEST", NULL) == NULL)
		return sp_err(ei, SP_ERR_CRYPTO, "digest unavailable");
	return SP_OK;
}

struct ossl_result {
	struct event_base *base;
	int rc;
	unsigned long ossl;
	char msg[512];
};

static void
done_ossl(void *p, int rc, const struct sp_errinfo *ei)
{
	struct ossl_result *res = p;

	res->rc = rc;
	res->ossl = ei->ossl;
	strcpy(res->msg, ei->msg);
	event_base_loopbreak(res->base);
}

START_TEST(openssl_errors_are_drained_into_the_job)
{
	struct ossl_result res;
	struct jobs *pool = NULL;

	setup_evthread();
	memset(&res, 0, sizeof(res));
	res.base = event_base_new();
	ck_assert_int_eq(jobs_new(res.base, 1, 2, 2, &pool, NULL), SP_OK);
	ck_assert_int_eq(jobs_submit(pool, work_openssl_fails, done_ossl, &res), SP_OK);
	event_base_dispatch(res.base);
	ck_assert_int_eq(res.rc, SP_ERR_CRYPTO);
	ck_assert_str_eq(res.msg, "digest unavailable");
	ck_assert_uint_ne(res.ossl, 0);
	jobs_free(pool);
	/* The loop thread's own queue was never touched. */
	ck_assert_uint_eq(ERR_peek_error(), 0);
	event_base_free(res.base);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
	struct event_base *base;
	struct jobs *pool = NULL;
	struct sp_errinfo ei;

	setup_evthread();
	base = event_base_new();
	sp_errinfo_init(&ei);
	ck_assert_int_eq(jobs_new(base, 0, 4, 4, &pool, &ei), SP_ERR_INVALID);
	ck_assert_ptr_null(pool);
	ck_assert_int_eq(jobs_new(base, 2, 0, 4, &pool, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(jobs_new(base, 2, 4, 0, &pool, NULL), SP_ERR_INVALID);
	ck_assert_int_eq(jobs_new(base, 2, 4, 4, &pool, NULL), SP_OK);
	ck_assert_int_eq(jobs_submit(pool, NULL, done_count, NULL), SP_ERR_INVALID);
	jobs_free(pool);
	jobs_free(NULL);
	event_base_free(base);
}
END_TEST

/* ---- owners (sec32) ---- */

struct order {
	struct event_base *base;
	pthread_mutex_t mu;
	int ran[16]; /* the ids of the jobs in the order they ran */
	int nran;
	int rcs[16]; /* done()'s rc by id */
	int ndone, expected;
};

struct oarg {
	struct order *o;
	int id;
	pthread_mutex_t *gate;
};

static int
work_record(void *p, struct sp_errinfo *ei)
{
	struct oarg *a = p;

	(void)ei;
	if (a->gate) {
		pthread_mutex_lock(a->gate);
		pthread_mutex_unlock(a->gate);
	}
	pthread_mutex_lock(&a->o->mu);
	a->o->ran[a->o->nran++] = a->id;
	pthread_mutex_unlock(&a->o->mu);
	return SP_OK;
}

static void
done_record(void *p, int rc, const struct sp_errinfo *ei)
{
	struct oarg *a = p;

	(void)ei;
	a->o->rcs[a->id] = rc;
	if (++a->o->ndone == a->o->expected)
		event_base_loopbreak(a->o->base);
	free(a);
}

static struct oarg *
oarg_new(struct order *o, int id, pthread_mutex_t *gate)
{
	struct oarg *a = calloc(1, sizeof(*a));

	a->o = o;
	a->id = id;
	a->gate = gate;
	return a;
}

static const unsigned char key_a[JOBS_KEY_MAX] = "o-attacker";
static const unsigned char key_b[JOBS_KEY_MAX] = "o-victim";

/*
 * One thread; the attacker queues its share (3) while the thread is held,
 * its 4th job is refused; the victim's one job runs right after the job
 * that was running, before the attacker's queued ones.
 */
START_TEST(an_owner_has_a_share_and_owners_take_turns)
{
	struct order o;
	struct jobs *pool = NULL;
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	struct oarg *extra;
	int i;

	setup_evthread();
	memset(&o, 0, sizeof(o));
	pthread_mutex_init(&o.mu, NULL);
	o.base = event_base_new();
	ck_assert_int_eq(jobs_new(o.base, 1, 16, 3, &pool, NULL), SP_OK);
	pthread_mutex_lock(&gate);
	ck_assert_int_eq(jobs_submit_owned(pool, key_a, NULL, work_record, done_record,
					   oarg_new(&o, 0, &gate)),
			 SP_OK);
	wait_running(pool, 1);
	for (i = 1; i < 3; i++)
		ck_assert_int_eq(jobs_submit_owned(pool, key_a, NULL, work_record, done_record,
						   oarg_new(&o, i, NULL)),
				 SP_OK);
	extra = oarg_new(&o, 9, NULL);
	ck_assert_int_eq(jobs_submit_owned(pool, key_a, NULL, work_record, done_record, extra),
			 SP_ERR_RATE_LIMITED);
	free(extra);
	ck_assert_int_eq(jobs_submit_owned(pool, key_b, NULL, work_record, done_record,
					   oarg_new(&o, 3, NULL)),
			 SP_OK);
	o.expected = 4;
	pthread_mutex_unlock(&gate);
	event_base_dispatch(o.base);
	ck_assert_int_eq(o.nran, 4);
	ck_assert_int_eq(o.ran[0], 0);
	ck_assert_int_eq(o.ran[1], 3); /* the victim's, before the attacker's 1 and 2 */
	ck_assert_int_eq(o.ran[2], 1);
	ck_assert_int_eq(o.ran[3], 2);
	/* Their jobs done, both owners have their whole share again. */
	o.expected = 7;
	for (i = 4; i < 7; i++)
		ck_assert_int_eq(jobs_submit_owned(pool, key_a, NULL, work_record, done_record,
						   oarg_new(&o, i, NULL)),
				 SP_OK);
	event_base_dispatch(o.base);
	jobs_free(pool);
	event_base_free(o.base);
	pthread_mutex_destroy(&o.mu);
}
END_TEST

/*
 * A dropped job that no worker took never runs; its done() runs once, with
 * SP_ERR_UNAVAILABLE, from the loop; the handle is NULL before done(); the
 * owner's share comes back. Dropping a running job that checks nothing
 * changes nothing.
 */
START_TEST(a_dropped_job_never_runs)
{
	struct order o;
	struct jobs *pool = NULL;
	struct jobs_stats js;
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	struct job *h0 = NULL, *h1 = NULL, *h2 = NULL;

	setup_evthread();
	memset(&o, 0, sizeof(o));
	pthread_mutex_init(&o.mu, NULL);
	o.base = event_base_new();
	ck_assert_int_eq(jobs_new(o.base, 1, 16, 2, &pool, NULL), SP_OK);
	pthread_mutex_lock(&gate);
	ck_assert_int_eq(jobs_submit_owned(pool, key_a, &h0, work_record, done_record,
					   oarg_new(&o, 0, &gate)),
			 SP_OK);
	wait_running(pool, 1);
	ck_assert_int_eq(jobs_submit_owned(pool, key_a, &h1, work_record, done_record,
					   oarg_new(&o, 1, NULL)),
			 SP_OK);
	ck_assert_ptr_nonnull(h1);
	jobs_drop(pool, h0); /* running: it finishes as usual */
	jobs_drop(pool, h1);
	/* the share it held is free at once */
	ck_assert_int_eq(jobs_submit_owned(pool, key_a, &h2, work_record, done_record,
					   oarg_new(&o, 2, NULL)),
			 SP_OK);
	jobs_stats_get(pool, &js);
	ck_assert_uint_eq(js.dropped, 1);
	ck_assert_int_eq(o.ndone, 0); /* never from inside jobs_drop */
	o.expected = 3;
	pthread_mutex_unlock(&gate);
	event_base_dispatch(o.base);
	ck_assert_int_eq(o.nran, 2);
	ck_assert_int_eq(o.ran[0], 0);
	ck_assert_int_eq(o.ran[1], 2);
	ck_assert_int_eq(o.rcs[0], SP_OK);
	ck_assert_int_eq(o.rcs[1], SP_ERR_UNAVAILABLE);
	ck_assert_int_eq(o.rcs[2], SP_OK);
	ck_assert_ptr_null(h0);
	ck_assert_ptr_null(h1);
	ck_assert_ptr_null(h2);
	jobs_free(pool);
	event_base_free(o.base);
	pthread_mutex_destroy(&o.mu);
}
END_TEST

/*
 * A job that loops on sp_cancel_check() (as the content interpreter does),
 * dropped while it runs, stops at its next check: its done() gets
 * SP_ERR_UNAVAILABLE whatever work() returned (here SP_OK, as a loop that
 * took the error for the input's might), the pool counts it, and the
 * thread is unbound after it: the next job's checks pass.
 */
struct spin {
	struct order *o;
	int id;
	volatile int started;
	long checks;
};

static int
work_spin(void *p, struct sp_errinfo *ei)
{
	struct spin *a = p;
	struct sp_errinfo mine;
	int i;

	(void)ei;
	__atomic_store_n(&a->started, 1, __ATOMIC_RELEASE);
	sp_errinfo_init(&mine);
	for (i = 0; i < 10000; i++, a->checks++) { /* 10 s at most */
		if (sp_cancel_check(&mine) != SP_OK)
			return SP_OK;
		usleep(1000);
	}
	return SP_OK;
}

static void
done_spin(void *p, int rc, const struct sp_errinfo *ei)
{
	struct spin *a = p;

	(void)ei;
	a->o->rcs[a->id] = rc;
	if (++a->o->ndone == a->o->expected)
		event_base_loopbreak(a->o->base);
}

START_TEST(a_dropped_running_job_stops_at_its_next_check)
{
	struct order o;
	struct jobs *pool = NULL;
	struct jobs_stats js;
	struct spin s0, s1;
	struct job *h0 = NULL, *h1 = NULL;
	int waited;

	setup_evthread();
	memset(&o, 0, sizeof(o));
	memset(&s0, 0, sizeof(s0));
	memset(&s1, 0, sizeof(s1));
	s0.o = s1.o = &o;
	s1.id = 1;
	o.base = event_base_new();
	ck_assert_int_eq(jobs_new(o.base, 1, 16, 2, &pool, NULL), SP_OK);
	ck_assert_int_eq(jobs_submit_owned(pool, key_a, &h0, work_spin, done_spin, &s0), SP_OK);
	for (waited = 0; !__atomic_load_n(&s0.started, __ATOMIC_ACQUIRE); waited++) {
		ck_assert_int_lt(waited, 10000);
		usleep(1000);
	}
	jobs_drop(pool, h0);
	o.expected = 1;
	event_base_dispatch(o.base);
	ck_assert_int_eq(o.rcs[0], SP_ERR_UNAVAILABLE);
	ck_assert_int_lt(s0.checks, 5000); /* stopped, not timed out */
	ck_assert_ptr_null(h0);
	jobs_stats_get(pool, &js);
	ck_assert_uint_eq(js.cancelled, 1);
	ck_assert_uint_eq(js.dropped, 0);
	/* the next job on that thread starts unflagged: it passes its checks until dropped */
	ck_assert_int_eq(jobs_submit_owned(pool, key_a, &h1, work_spin, done_spin, &s1), SP_OK);
	for (waited = 0; s1.checks < 20; waited++) {
		ck_assert_int_lt(waited, 10000);
		usleep(1000);
	}
	jobs_drop(pool, h1);
	o.expected = 2;
	event_base_dispatch(o.base);
	ck_assert_int_ge(s1.checks, 20);
	ck_assert_int_eq(o.rcs[1], SP_ERR_UNAVAILABLE);
	jobs_stats_get(pool, &js);
	ck_assert_uint_eq(js.cancelled, 2);
	/* a thread nobody bound is never cancelled */
	ck_assert_int_eq(sp_cancelled(), 0);
	jobs_free(pool);
	event_base_free(o.base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jobs");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, thousand_jobs_complete_exactly_once_on_loop_thread);
	tcase_add_test(tc, jobs_done_while_the_loop_is_busy_wake_it_once);
	tcase_add_test(tc, full_queue_is_busy_and_shutdown_finishes_pending);
	tcase_add_test(tc, openssl_errors_are_drained_into_the_job);
	tcase_add_test(tc, bad_arguments_are_refused);
	tcase_add_test(tc, an_owner_has_a_share_and_owners_take_turns);
	tcase_add_test(tc, a_dropped_job_never_runs);
	tcase_add_test(tc, a_dropped_running_job_stops_at_its_next_check);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
