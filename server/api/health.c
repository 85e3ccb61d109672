/*
 * health.c: liveness, readiness, metrics and version: the routes that
 * orchestrators and monitoring call.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http_int.h"

/* Readiness must answer within 2 s even while PostgreSQL is unreachable. */
#define READYZ_TIMEOUT_MS 1500
#define METRICS_MAX_BYTES (4 * 1024 * 1024)

void
health_healthz_get(struct request *r)
{
	request_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void
readyz_done(void *arg, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code == SP_OK) {
		request_reply_json(r, 200,
				   json_pack("{s:s,s:s}", "status", "ok", "database", "ok"));
		return;
	}
	log_event(LOG_WARN, request_id(r), "readiness check failed", "{s:s,s:s}", "error",
		  sp_errname(err->code), "detail", err->msg);
	/* db_ping() reports every failure as database_unavailable. */
	request_reply_error(r, err->code, err);
}

void
health_readyz_get(struct request *r)
{
	int rc = db_ping(request_db(r), READYZ_TIMEOUT_MS, readyz_done, r);

	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

/* A blob cache's lookups (sealpact_cache_lookups_total's index i) and what it holds. */
static void
held(struct metrics_gauges *g, int i, enum metrics_held k, struct blob_cache *c)
{
	struct blob_cache_stats st;

	blob_cache_stats(c, &st);
	g->cache_hits[i] = st.hits;
	g->cache_misses[i] = st.misses;
	g->held_entries[k] = st.entries;
	g->held_bytes[k] = st.bytes;
	g->held_max_bytes[k] = st.max_bytes;
}

/*
 * /metrics tells the routes in use, the load, the pool and the caches' sizes:
 * what an attacker would time an attack by, so it is no public page. It
 * answers the bearer of the token whose SHA-256 server.metrics_token_sha256
 * holds (the configuration keeps no secret; Prometheus sends the token with
 * `authorization: {credentials_file: ...}`). The presented token is hashed
 * and the digests compared with CRYPTO_memcmp, which takes as long wherever
 * they differ. Without that key the path is no route at all: the 404 of an
 * unknown path. Returns 1 when the caller may read the metrics; otherwise
 * the request is answered.
 */
static int
metrics_allowed(struct request *r)
{
	const char *want = request_server(r)->cfg->server.metrics_token_sha256;
	char tok[AUTH_BEARER_MAX + 1];
	unsigned char expect[32], got[CRYPTO_DIGEST_MAX];
	size_t len = 0, glen = 0;
	struct sp_errinfo ei;
	int ok;

	if (want == NULL) {
		request_problem(r, P_NOT_FOUND, "No route matches this path.");
		return 0;
	}
	sp_errinfo_init(&ei);
	/* config.c checked it is 64 hex digits */
	if (sp_hex_decode(want, strlen(want), expect, sizeof(expect), &len) != SP_OK ||
	    len != sizeof(expect)) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return 0;
	}
	ok = auth_bearer_parse(request_header(r, "Authorization"), tok) == SP_OK &&
	     crypto_digest(CRYPTO_DIGEST_SHA256, tok, strlen(tok), got, &glen, &ei) == SP_OK &&
	     glen == sizeof(expect) && CRYPTO_memcmp(got, expect, sizeof(expect)) == 0;
	sp_wipe(tok, sizeof(tok));
	if (!ok) {
		request_header_add(r, "WWW-Authenticate", "Bearer realm=\"metrics\"");
		request_problem(r, P_UNAUTHORIZED,
				"The metrics need the bearer token that "
				"server.metrics_token_sha256 "
				"names.");
	}
	return ok;
}

void
health_metrics_get(struct request *r)
{
	struct server *srv = request_server(r);
	struct metrics_gauges g;
	struct db_pool_stats ds;
	struct jobs_stats js;
	struct doc_cache_stats dc;
	struct prep_memo_stats ps;
	struct crypto_trust_cache_stats ts;
	const char *names[ROUTER_MAX_ROUTES];
	struct sp_buf out;
	size_t i, n = router_count(srv->router);
	int rc;

	if (!metrics_allowed(r))
		return;
	memset(&g, 0, sizeof(g));
	db_pool_stats_get(srv->db, &ds);
	jobs_stats_get(srv->jobs, &js);
	g.pool_size = ds.size;
	g.pool_connected = ds.connected;
	g.pool_in_use = ds.in_use;
	g.pool_waiting = ds.waiting;
	g.jobs_queued = js.queued;
	g.jobs_running = js.running;
	g.jobs_dropped = js.dropped;
	g.jobs_cancelled = js.cancelled;
	held(&g, 0, METRICS_HELD_SEAL_IMAGES, srv->seal_images);
	held(&g, 1, METRICS_HELD_REVISION_REFS, srv->revision_refs);
	held(&g, 2, METRICS_HELD_REVISION_READS, srv->revision_reads);
	held(&g, 4, METRICS_HELD_SESSION_UPDATES, srv->session_updates);
	doc_cache_stats(srv->documents, &dc);
	g.cache_hits[3] = dc.hits;
	g.cache_misses[3] = dc.misses;
	g.docs_entries = dc.entries;
	g.docs_max_bytes = dc.max_bytes;
	g.docs_bytes[0] = dc.document_bytes;
	g.docs_bytes[1] = dc.report_bytes;
	g.docs_bytes[2] = dc.report_index_bytes;
	g.docs_bytes[3] = dc.parse_bytes;
	g.docs_bytes[4] = dc.room_bytes;
	g.docs_segment_bytes[0] = dc.protected_bytes;
	g.docs_segment_bytes[1] = dc.probation_bytes;
	g.docs_segment_bytes[2] = dc.done_bytes;
	g.docs_evicted = dc.evicted;
	g.docs_refused = dc.refused;
	prep_memo_stats(srv->prep_memo, &ps);
	g.prep_one_trip = ps.one_trip;
	g.prep_fallback = ps.fallback;
	g.held_entries[METRICS_HELD_PREP_MEMBERS] = ps.members;
	g.held_entries[METRICS_HELD_PREP_SEALS] = ps.seals;
	g.held_bytes[METRICS_HELD_PREP_SEALS] = ps.seal_bytes;
	g.held_max_bytes[METRICS_HELD_PREP_SEALS] = ps.seal_max_bytes;
	crypto_trust_cache_stats(srv->trust, &ts);
	g.held_entries[METRICS_HELD_CERTIFICATES] = ts.certs;
	g.held_bytes[METRICS_HELD_CERTIFICATES] = ts.cert_bytes;
	g.held_max_bytes[METRICS_HELD_CERTIFICATES] = ts.cert_max_bytes;
	g.held_entries[METRICS_HELD_OCSP_RESPONSES] = ts.ocsp_responses;
	g.held_bytes[METRICS_HELD_OCSP_RESPONSES] = ts.ocsp_bytes;
	g.held_entries[METRICS_HELD_CERT_SIGNATURES] = ts.signatures;
	g.held_entries[METRICS_HELD_OCSP_VERIFIED] = ts.ocsp_verified;
	tsa_serials_stats(srv->tsa_serials, &g.done_one_trip, &g.done_fell_back,
			  &g.tsa_serials_left);
	g.refs_stored_used = srv->refs_stored[0];
	g.refs_stored_refused = srv->refs_stored[1];
	for (i = 0; i < n; i++)
		names[i] = route_name(router_at(srv->router, i));
	sp_buf_init(&out, METRICS_MAX_BYTES);
	rc = metrics_render(srv->metrics, names, &g, srv->start_time, &out);
	if (rc != SP_OK) {
		sp_buf_cleanup(&out);
		request_reply_error(r, rc, NULL);
		return;
	}
	request_reply_data(r, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
	sp_buf_cleanup(&out);
}

void
health_version_get(struct request *r)
{
	request_reply_json(r, 200,
			   json_pack("{s:s,s:s}", "name", "sealpact", "version", SEALPACT_VERSION));
}
