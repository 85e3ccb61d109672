/*
 * metrics.c: per-process request counters and latency histograms, rendered
 * as the Prometheus text exposition format (0.0.4). Labels come only from
 * route patterns, the method set and status codes, so the number of series
 * is bounded by the route table, never by what clients send.
 */
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

/* Seconds: from a cached health check to a slow signature with a timestamp. */
const double metrics_buckets[METRICS_NBUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
						   0.25,  0.5,    1,     2.5,  5,     10 };

#define MAX_COUNTERS 4096

struct counter {
	size_t route;
	unsigned method;
	int status;
	unsigned long long n;
};

struct histogram {
	unsigned long long buckets[METRICS_NBUCKETS]; /* per bucket, not cumulative */
	unsigned long long count;
	double sum;
};

struct metrics {
	size_t nroutes; /* + 1 slot for "unmatched" */
	struct histogram *hist;
	struct counter *counters;
	size_t ncounters;
	unsigned long long conn_closed[CONN_CLOSE__COUNT];
	long conn_open;
};

void
metrics_connection_closed(struct metrics *m, enum conn_close why)
{
	if (m != NULL && why < CONN_CLOSE__COUNT)
		m->conn_closed[why]++;
}

void
metrics_connections_open(struct metrics *m, long open)
{
	if (m != NULL)
		m->conn_open = open;
}

int
metrics_new(size_t nroutes, struct metrics **out, struct sp_errinfo *ei)
{
	struct metrics *m;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	m->nroutes = nroutes;
	m->hist = calloc(nroutes + 1, sizeof(*m->hist));
	m->counters = calloc(MAX_COUNTERS, sizeof(*m->counters));
	if (m->hist == NULL || m->counters == NULL) {
		metrics_free(m);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	*out = m;
	return SP_OK;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->hist);
	free(m->counters);
	free(m);
}

int
metrics_observe(struct metrics *m, size_t route_idx, unsigned method, int status, double seconds)
{
	size_t i;
	struct histogram *h;

	if (route_idx > m->nroutes)
		return SP_ERR_INVALID;
	for (i = 0; i < m->ncounters; i++) {
		struct counter *c = &m->counters[i];
		if (c->route == route_idx && c->method == method && c->status == status)
			break;
	}
	if (i == m->ncounters) {
		if (m->ncounters == MAX_COUNTERS)
			return SP_ERR_LIMIT;
		m->counters[i].route = route_idx;
		m->counters[i].method = method;
		m->counters[i].status = status;
		m->ncounters++;
	}
	m->counters[i].n++;
	h = &m->hist[route_idx];
	for (i = 0; i < METRICS_NBUCKETS; i++) {
		if (seconds <= metrics_buckets[i]) {
			h->buckets[i]++;
			break;
		}
	}
	h->count++;
	h->sum += seconds;
	return SP_OK;
}

/* A label value escaped per the exposition format: \\, \" and \n. */
static int
add_label(struct sp_buf *b, const char *v)
{
	int r = SP_OK;

	for (; *v != '\0' && r == SP_OK; v++) {
		if (*v == '\\')
			r = sp_buf_addstr(b, "\\\\");
		else if (*v == '"')
			r = sp_buf_addstr(b, "\\\"");
		else if (*v == '\n')
			r = sp_buf_addstr(b, "\\n");
		else
			r = sp_buf_add(b, v, 1);
	}
	return r;
}

static const char *
label_of(const char *const *names, size_t nroutes, size_t idx)
{
	return idx < nroutes ? names[idx] : "unmatched";
}

/* enum metrics_held's labels (the first four as sealpact_cache_lookups_total's) */
static const char *const held_names[METRICS_HELD__COUNT] = {
	"seal_images",     "revision_refs",   "revision_reads",
	"session_updates", "prepare_members", "prepare_seals",
	"certificates",    "ocsp_responses",  "certificate_signatures",
	"ocsp_verified"
};

int
metrics_render(const struct metrics *m, const char *const *names, const struct metrics_gauges *g,
	       double start_time, struct sp_buf *out)
{
	int r = SP_ERR_INTERNAL;
	size_t i, k;

#define ADD(...) \
	do { \
		if ((r = sp_buf_printf(out, __VA_ARGS__)) != SP_OK) \
			goto out; \
	} while (0)
#define LABEL(v) \
	do { \
		if ((r = add_label(out, (v))) != SP_OK) \
			goto out; \
	} while (0)
	ADD("# HELP sealpact_http_requests_total HTTP requests answered, by route pattern, method "
	    "and status.\n");
	ADD("# TYPE sealpact_http_requests_total counter\n");
	for (i = 0; i < m->ncounters; i++) {
		const struct counter *c = &m->counters[i];
		ADD("sealpact_http_requests_total{route=\"");
		LABEL(label_of(names, m->nroutes, c->route));
		ADD("\",method=\"%s\",status=\"%d\"} %llu\n", http_method_name(c->method),
		    c->status, c->n);
	}
	ADD("# HELP sealpact_http_request_duration_seconds Time from request dispatch to reply, by "
	    "route pattern.\n");
	ADD("# TYPE sealpact_http_request_duration_seconds histogram\n");
	for (i = 0; i <= m->nroutes; i++) {
		const struct histogram *h = &m->hist[i];
		unsigned long long cum = 0;
		const char *name = label_of(names, m->nroutes, i);

		if (h->count == 0)
			continue;
		for (k = 0; k < METRICS_NBUCKETS; k++) {
			cum += h->buckets[k];
			ADD("sealpact_http_request_duration_seconds_bucket{route=\"");
			LABEL(name);
			ADD("\",le=\"%g\"} %llu\n", metrics_buckets[k], cum);
		}
		ADD("sealpact_http_request_duration_seconds_bucket{route=\"");
		LABEL(name);
		ADD("\",le=\"+Inf\"} %llu\n", h->count);
		ADD("sealpact_http_request_duration_seconds_sum{route=\"");
		LABEL(name);
		ADD("\"} %.6f\n", h->sum);
		ADD("sealpact_http_request_duration_seconds_count{route=\"");
		LABEL(name);
		ADD("\"} %llu\n", h->count);
	}
	ADD("# HELP sealpact_db_pool_connections Database connections of this process by state.\n");
	ADD("# TYPE sealpact_db_pool_connections gauge\n");
	ADD("sealpact_db_pool_connections{state=\"in_use\"} %d\n", g->pool_in_use);
	ADD("sealpact_db_pool_connections{state=\"connected\"} %d\n", g->pool_connected);
	ADD("sealpact_db_pool_connections{state=\"size\"} %d\n", g->pool_size);
	ADD("# HELP sealpact_db_pool_waiting Queries waiting for a free database connection.\n");
	ADD("# TYPE sealpact_db_pool_waiting gauge\n");
	ADD("sealpact_db_pool_waiting %d\n", g->pool_waiting);
	ADD("# HELP sealpact_jobs_queued Worker-pool jobs waiting for a thread.\n");
	ADD("# TYPE sealpact_jobs_queued gauge\n");
	ADD("sealpact_jobs_queued %ld\n", g->jobs_queued);
	ADD("# HELP sealpact_jobs_running Worker-pool jobs running now.\n");
	ADD("# TYPE sealpact_jobs_running gauge\n");
	ADD("sealpact_jobs_running %ld\n", g->jobs_running);
	ADD("# HELP sealpact_jobs_dropped_total Worker-pool jobs not run: their request was "
	    "answered by its deadline, or its client left, before a thread took them.\n");
	ADD("# TYPE sealpact_jobs_dropped_total counter\n");
	ADD("sealpact_jobs_dropped_total %llu\n", g->jobs_dropped);
	ADD("# HELP sealpact_jobs_cancelled_total Worker-pool jobs stopped while running: their "
	    "request was answered by its deadline, or its client left, after a thread took "
	    "them.\n");
	ADD("# TYPE sealpact_jobs_cancelled_total counter\n");
	ADD("sealpact_jobs_cancelled_total %llu\n", g->jobs_cancelled);
	ADD("# HELP sealpact_cache_lookups_total Lookups in this process's caches of derived "
	    "bytes, by cache and whether they found the entry.\n");
	ADD("# TYPE sealpact_cache_lookups_total counter\n");
	for (k = 0; k < 5; k++) {
		static const char *const caches[5] = { "seal_images", "revision_refs",
						       "revision_reads", "documents",
						       "session_updates" };
		ADD("sealpact_cache_lookups_total{cache=\"%s\",result=\"hit\"} %llu\n", caches[k],
		    g->cache_hits[k]);
		ADD("sealpact_cache_lookups_total{cache=\"%s\",result=\"miss\"} %llu\n", caches[k],
		    g->cache_misses[k]);
	}
	ADD("# HELP sealpact_doc_cache_entries Contracts whose newest stored revision this "
	    "process holds (signing.document_cache_mb).\n");
	ADD("# TYPE sealpact_doc_cache_entries gauge\n");
	ADD("sealpact_doc_cache_entries %zu\n", g->docs_entries);
	ADD("# HELP sealpact_doc_cache_bytes What the held revisions count against "
	    "signing.document_cache_mb, by part: the documents, the verification reports "
	    "stored with them, those reports' indexes, qpdf's parses kept for the next "
	    "signing (counted as twice their documents), and the room allocated after a "
	    "document for the next signer's update; limit: the bound.\n");
	ADD("# TYPE sealpact_doc_cache_bytes gauge\n");
	for (k = 0; k < 5; k++) {
		static const char *const parts[5] = { "document", "report", "report_index", "parse",
						      "room" };
		ADD("sealpact_doc_cache_bytes{part=\"%s\"} %zu\n", parts[k], g->docs_bytes[k]);
	}
	ADD("sealpact_doc_cache_bytes{part=\"limit\"} %zu\n", g->docs_max_bytes);
	ADD("# HELP sealpact_doc_cache_segment_bytes The same bytes by segment: protected "
	    "(asked for by a prepare or a claim since kept), probation (not yet) and done "
	    "(revisions no signer is left to open); eviction takes done first, then "
	    "probation.\n");
	ADD("# TYPE sealpact_doc_cache_segment_bytes gauge\n");
	for (k = 0; k < 3; k++) {
		static const char *const segs[3] = { "protected", "probation", "done" };
		ADD("sealpact_doc_cache_segment_bytes{segment=\"%s\"} %zu\n", segs[k],
		    g->docs_segment_bytes[k]);
	}
	ADD("# HELP sealpact_doc_cache_evictions_total Held revisions that went to make room "
	    "for another.\n");
	ADD("# TYPE sealpact_doc_cache_evictions_total counter\n");
	ADD("sealpact_doc_cache_evictions_total %llu\n", g->docs_evicted);
	ADD("# HELP sealpact_doc_cache_refused_total Revisions not kept for want of room they "
	    "may take: a new contract's does not push out contracts asked for, a revision no "
	    "signer is left to open pushes out nothing but such revisions.\n");
	ADD("# TYPE sealpact_doc_cache_refused_total counter\n");
	ADD("sealpact_doc_cache_refused_total %llu\n", g->docs_refused);
	ADD("# HELP sealpact_cache_entries Entries this process's other per-object caches hold, "
	    "by cache.\n");
	ADD("# TYPE sealpact_cache_entries gauge\n");
	for (k = 0; k < METRICS_HELD__COUNT; k++)
		ADD("sealpact_cache_entries{cache=\"%s\"} %zu\n", held_names[k],
		    g->held_entries[k]);
	ADD("# HELP sealpact_cache_bytes What those entries hold, by cache: the bytes of their "
	    "values (held: encoded seal images, revision facts, session updates, seal "
	    "pictures, certificates' and OCSP responses' DER) and the bound on them (limit); "
	    "caches of small fixed entries (prepare_members, certificate_signatures, "
	    "ocsp_verified) are bounded by their entries.\n");
	ADD("# TYPE sealpact_cache_bytes gauge\n");
	for (k = 0; k < METRICS_HELD__COUNT; k++) {
		if (k == METRICS_HELD_PREP_MEMBERS || k == METRICS_HELD_CERT_SIGNATURES ||
		    k == METRICS_HELD_OCSP_VERIFIED)
			continue;
		ADD("sealpact_cache_bytes{cache=\"%s\",part=\"held\"} %zu\n", held_names[k],
		    g->held_bytes[k]);
		if (g->held_max_bytes[k] > 0)
			ADD("sealpact_cache_bytes{cache=\"%s\",part=\"limit\"} %zu\n",
			    held_names[k], g->held_max_bytes[k]);
	}
	ADD("# HELP sealpact_signing_prepares_held_total Member prepares this process built "
	    "before loading, holding the contract, the member session and the seal: answered by "
	    "the one statement that checks what the load checks and stores the session "
	    "(one_trip), or loaded and prepared again after it or the worker found something "
	    "else (fallback).\n");
	ADD("# TYPE sealpact_signing_prepares_held_total counter\n");
	ADD("sealpact_signing_prepares_held_total{result=\"one_trip\"} %llu\n", g->prep_one_trip);
	ADD("sealpact_signing_prepares_held_total{result=\"fallback\"} %llu\n", g->prep_fallback);
	ADD("# HELP sealpact_signing_completions_one_trip_total Completions that skipped their "
	    "claim (the session prepared here): stored in one trip, or taken back to the "
	    "claim's path.\n");
	ADD("# TYPE sealpact_signing_completions_one_trip_total counter\n");
	ADD("sealpact_signing_completions_one_trip_total{result=\"stored\"} %llu\n",
	    g->done_one_trip);
	ADD("sealpact_signing_completions_one_trip_total{result=\"fell_back\"} %llu\n",
	    g->done_fell_back);
	ADD("# HELP sealpact_signing_base_refs_stored_total Completions whose base's "
	    "references (what its revisions refer to) this process did not hold, read from the "
	    "set stored with the base revision: used, or refused (not for those bytes, or not "
	    "whole: the base was walked).\n");
	ADD("# TYPE sealpact_signing_base_refs_stored_total counter\n");
	ADD("sealpact_signing_base_refs_stored_total{result=\"used\"} %llu\n", g->refs_stored_used);
	ADD("sealpact_signing_base_refs_stored_total{result=\"refused\"} %llu\n",
	    g->refs_stored_refused);
	ADD("# HELP sealpact_tsa_serials_reserved Built-in TSA serials reserved for completions "
	    "in one trip, not yet taken.\n");
	ADD("# TYPE sealpact_tsa_serials_reserved gauge\n");
	ADD("sealpact_tsa_serials_reserved %zu\n", g->tsa_serials_left);
	ADD("# HELP sealpact_connections_open Client connections open in this process.\n");
	ADD("# TYPE sealpact_connections_open gauge\n");
	ADD("sealpact_connections_open %ld\n", m->conn_open);
	ADD("# HELP sealpact_connections_closed_total Client connections refused at accept or "
	    "closed for slowness, by reason.\n");
	ADD("# TYPE sealpact_connections_closed_total counter\n");
	ADD("sealpact_connections_closed_total{reason=\"max_connections\"} %llu\n",
	    m->conn_closed[CONN_REFUSED_TOTAL]);
	ADD("sealpact_connections_closed_total{reason=\"max_connections_per_ip\"} %llu\n",
	    m->conn_closed[CONN_REFUSED_PER_IP]);
	ADD("sealpact_connections_closed_total{reason=\"keepalive_idle\"} %llu\n",
	    m->conn_closed[CONN_CLOSED_IDLE]);
	ADD("sealpact_connections_closed_total{reason=\"read_timeout\"} %llu\n",
	    m->conn_closed[CONN_CLOSED_DEADLINE]);
	ADD("sealpact_connections_closed_total{reason=\"bad_framing\"} %llu\n",
	    m->conn_closed[CONN_CLOSED_FRAMING]);
	ADD("sealpact_connections_closed_total{reason=\"body_budget\"} %llu\n",
	    m->conn_closed[CONN_REFUSED_BODIES]);
	ADD("sealpact_connections_closed_total{reason=\"proxy_header\"} %llu\n",
	    m->conn_closed[CONN_CLOSED_PROXY]);
	ADD("# HELP process_start_time_seconds Start time of the process since the Unix epoch in "
	    "seconds.\n");
	ADD("# TYPE process_start_time_seconds gauge\n");
	ADD("process_start_time_seconds %.3f\n", start_time);
#undef ADD
#undef LABEL
	r = SP_OK;
out:
	return r;
}
