/*
 * snowflake.c: contract numbers. Time-ordered so that "newest first" is
 * "number descending" and lists walk an index in order; unique across
 * processes through the node id (server.node_id, plus the worker index of
 * each process forked by server.workers); 19 digits for decades.
 */
#include <string.h>
#include <time.h>

#include "state.h"

#define SEQ_BITS 12
#define NODE_BITS 10
#define SEQ_MAX ((1 << SEQ_BITS) - 1)
/* Largest time part whose number still fits in int64_t with node and seq. */
#define MAX_MS ((INT64_MAX - SNOWFLAKE_OFFSET) >> (SEQ_BITS + NODE_BITS))

int
snowflake_init(struct snowflake *sf, int node, struct sp_errinfo *ei)
{
	memset(sf, 0, sizeof(*sf));
	if (node < 0 || node > SNOWFLAKE_MAX_NODE)
		return sp_err(ei, SP_ERR_INVALID, "node id %d is outside 0..%d", node,
			      SNOWFLAKE_MAX_NODE);
	if (pthread_mutex_init(&sf->mu, NULL) != 0)
		return sp_err(ei, SP_ERR_INTERNAL, "pthread_mutex_init failed");
	sf->node = node;
	sf->last_ms = -1;
	return SP_OK;
}

int
snowflake_worker_node(int base, int workers, int worker, int *out, struct sp_errinfo *ei)
{
	*out = -1;
	if (workers < 1 || worker < 0 || worker >= workers)
		return sp_err(ei, SP_ERR_CONFIG, "worker %d of %d does not exist", worker, workers);
	if (base < 0 || base > SNOWFLAKE_MAX_NODE - (workers - 1))
		return sp_err(ei, SP_ERR_CONFIG,
			      "server.node_id %d with server.workers %d needs node ids %d..%d; "
			      "contract numbers have 0..%d",
			      base, workers, base, base + workers - 1, SNOWFLAKE_MAX_NODE);
	*out = base + worker;
	return SP_OK;
}

void
snowflake_cleanup(struct snowflake *sf)
{
	if (sf == NULL)
		return;
	pthread_mutex_destroy(&sf->mu);
}

int64_t
snowflake_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
snowflake_next(struct snowflake *sf, int64_t now_ms, int64_t *out)
{
	int64_t t = now_ms - SNOWFLAKE_EPOCH_MS;
	int r = SP_ERR_INTERNAL;

	*out = 0;
	pthread_mutex_lock(&sf->mu);
	if (t <= sf->last_ms) {
		/* Same millisecond, or the clock stepped back: stay on the last one. */
		t = sf->last_ms;
		if (sf->seq == SEQ_MAX) {
			t++; /* borrow the next millisecond rather than sleep on the loop */
			sf->seq = 0;
		} else {
			sf->seq++;
		}
	} else {
		sf->seq = 0;
	}
	if (t < 0 || t > MAX_MS) {
		r = SP_ERR_LIMIT;
		goto out;
	}
	sf->last_ms = t;
	*out = SNOWFLAKE_OFFSET +
	       ((t << (SEQ_BITS + NODE_BITS)) | (sf->node << SEQ_BITS) | sf->seq);
	r = SP_OK;
out:
	pthread_mutex_unlock(&sf->mu);
	return r;
}

int
snowflake_parse(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	*out = 0;
	if (s == NULL || strlen(s) != 19)
		return SP_ERR_INVALID;
	for (i = 0; i < 19; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SP_ERR_INVALID;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return SP_ERR_INVALID;
		v = v * 10 + (s[i] - '0');
	}
	if (v < SNOWFLAKE_OFFSET)
		return SP_ERR_INVALID;
	*out = v;
	return SP_OK;
}
