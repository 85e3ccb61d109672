/*
 * expiry.c: the deadline job. A libevent timer calls db_contract_expire_due()
 * (one SQL function that skips rows locked by others), so with several
 * processes each due contract is expired by exactly one of them, and one
 * being acted on right now is left to the next sweep.
 *
 * Each process starts its sweeps at a random offset within the period, so
 * nodes started together (a cluster, a rolling restart) do not all query at
 * the same instant every second, and a due contract goes to whichever node's
 * sweep comes next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "contracts_int.h"
#include "http_int.h"

#define SWEEP_MS 1000
#define SWEEP_BATCH 200

static void
swept(void *arg, long long n, const struct sp_errinfo *err)
{
	struct expiry *ex = arg;

	ex->busy = 0;
	if (err->code != SP_OK) {
		/* Once per outage, not once a second while the database is away. */
		if (ex->running && !ex->failing)
			log_event(LOG_WARN, NULL, "expiry sweep failed", "{s:s}", "detail",
				  err->msg);
		ex->failing = 1;
		return;
	}
	ex->failing = 0;
	if (n > 0)
		log_event(LOG_INFO, NULL, "contracts expired", "{s:I}", "count", (json_int_t)n);
}

static void
sweep(evutil_socket_t fd, short what, void *arg)
{
	struct expiry *ex = arg;

	(void)fd;
	(void)what;
	if (!ex->running)
		return;
	if (!ex->phased) {
		/* The first, randomly offset, sweep: from now on, one a period. */
		struct timeval tv = { SWEEP_MS / 1000, (SWEEP_MS % 1000) * 1000 };

		ex->phased = 1;
		event_add(ex->timer, &tv);
	}
	if (ex->busy)
		return;
	if (db_contract_expire_due(ex->db, SWEEP_BATCH, swept, ex) == SP_OK)
		ex->busy = 1;
}

int
expiry_start(struct expiry *ex, struct event_base *base, struct db_pool *db, struct sp_errinfo *ei)
{
	struct timeval tv = { 0, 0 };
	unsigned int rnd = 0;

	memset(ex, 0, sizeof(*ex));
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = 0; /* no offset: still correct, only in step with other nodes */
	tv.tv_usec = (suseconds_t)(rnd % SWEEP_MS) * 1000;
	ex->db = db;
	if ((ex->timer = event_new(base, -1, EV_PERSIST, sweep, ex)) == NULL ||
	    event_add(ex->timer, &tv) != 0)
		return sp_err(ei, SP_ERR_INTERNAL, "cannot schedule the expiry sweep");
	ex->running = 1;
	return SP_OK;
}

void
expiry_stop(struct expiry *ex)
{
	ex->running = 0;
	if (ex->timer != NULL)
		event_free(ex->timer);
	ex->timer = NULL;
}
