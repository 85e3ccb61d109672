/*
 * server.c: one serving process: its own event base, listening socket, evhttp
 * (plain or over bufferevent_openssl), database pool, worker pool, process
 * state (trust store, TSA, contract numbers, rate limits), background jobs,
 * and graceful shutdown. Everything is built before the port is bound, so a
 * configuration that cannot work never accepts a connection.
 *
 * Shutdown on SIGTERM/SIGINT: close the listening socket first (new
 * connections are refused, so a load balancer or client goes elsewhere),
 * answer every request still arriving on open connections with
 * "Connection: close", wait until no request context is alive and the
 * connections have been quiet for a moment, then free evhttp (closing idle
 * keep-alive connections) and exit 0. If that takes longer than
 * server.shutdown_timeout_ms the process logs and exits 1.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http_int.h"

/* How long open connections must stay quiet before a draining process exits
   (none open: it exits at the next tick, no client can send another request) */
#define DRAIN_QUIET_MS 300
#define DRAIN_TICK_MS 50
/* Rate limits kept per process (state/limiter.c); /tsa's, tsa.max_per_minute, the same way. */
#define VERIFY_LIMIT_SLOTS 4096
#define VERIFY_LIMIT_WINDOW_MS (60 * 1000)
#define VERIFY_LIMIT_MAX 30 /* anonymous verifications per address per window */
/*
 * Per-process caches: an organization has few seals; a revision's object
 * numbers are a few hundred ints for a contract, kept for the contracts
 * being signed now (a miss walks the revision, as without the cache).
 */
#define SEAL_IMAGE_CACHE_ENTRIES 64
#define SEAL_IMAGE_CACHE_BYTES (16u << 20)
#define DEFAULT_SEAL_MAX (4u << 20) /* the demo seal picture's cap, as prepare had it */
#define REVISION_REFS_CACHE_ENTRIES 1024
#define REVISION_REFS_CACHE_BYTES (32u << 20)
/* a revision's signature reads grow with its signatures (about 110 KB at the 20th) */
#define REVISION_READS_CACHE_ENTRIES 2048
#define REVISION_READS_CACHE_BYTES (64u << 20)
/* the updates of sessions prepared here until their claim (~16-19 KB each, more with a seal) */
#define SESSION_UPDATES_CACHE_ENTRIES 1024
#define SESSION_UPDATES_CACHE_BYTES (32u << 20)
/*
 * What a member's prepare may skip its load for (state/prep_memo.c): the
 * member sessions and seals of the prepares of the last half minute. An
 * entry only decides whether to try the one-trip prepare, whose statement
 * checks everything again; a short life keeps a revoked session from
 * having its updates built for long before its 401.
 */
#define PREP_MEMO_MEMBERS 1024
#define PREP_MEMO_SEALS 64
#define PREP_MEMO_SEAL_BYTES (16u << 20)
#define PREP_MEMO_TTL_S 30
#define EX_CONFIG 78
#define EX_START 71

int
server_socket_bind(const char *host, int port, int listen_now, int *fd_out, int *port_out,
		   struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct addrinfo hints, *ai = NULL;
	char portstr[16];
	int fd = -1, one = 1, gai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	*fd_out = -1;
	*port_out = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((gai = getaddrinfo(host && *host ? host : NULL, portstr, &hints, &ai)) != 0) {
		r = sp_err(ei, SP_ERR_CONFIG, "server.host %s: %s", host ? host : "",
			   gai_strerror(gai));
		goto out;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		r = sp_err(ei, SP_ERR_IO, "socket: %s", strerror(errno));
		goto out;
	}
	/*
	 * REUSEADDR only (restart while old connections are in TIME_WAIT). No
	 * SO_REUSEPORT: with it a second server on the same port would be
	 * handed a share of this one's connections. Workers share the one
	 * listening socket they inherit from the supervisor instead.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
		r = sp_err(ei, SP_ERR_IO, "setsockopt: %s", strerror(errno));
		goto out;
	}
	/*
	 * Accepted sockets inherit TCP_NODELAY on Linux. Without it a reply that
	 * goes out as two TLS records waits for the client's delayed ACK (~40 ms).
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		r = sp_err(ei, SP_ERR_IO, "setsockopt TCP_NODELAY: %s", strerror(errno));
		goto out;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno == EADDRINUSE)
			r = sp_err(ei, SP_ERR_IO,
				   "bind %s:%d: the port is already in use by another process "
				   "(another sealpactd?); refusing to share it",
				   host ? host : "*", port);
		else
			r = sp_err(ei, SP_ERR_IO, "bind %s:%d: %s", host ? host : "*", port,
				   strerror(errno));
		goto out;
	}
	if (listen_now && listen(fd, 1024) != 0) {
		r = sp_err(ei, SP_ERR_IO, "listen: %s", strerror(errno));
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		r = sp_err(ei, SP_ERR_IO, "getsockname: %s", strerror(errno));
		goto out;
	}
	/* getsockname filled ss, which clang's analyzer does not know */
	/* NOLINTBEGIN(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	*port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
	/* NOLINTEND(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	*fd_out = fd;
	fd = -1; /* transferred */
	r = SP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return r;
}

static void
on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	uint64_t now = server_now_ms();

	(void)fd;
	(void)what;
	if (srv->inflight == 0 &&
	    (conn_guard_open(srv->conns) == 0 || now - srv->last_activity_ms >= DRAIN_QUIET_MS)) {
		log_event(LOG_INFO, NULL, "drained", "{s:I}", "drain_ms",
			  (json_int_t)(now - srv->drain_start_ms));
		event_base_loopbreak(srv->base);
		return;
	}
	if (now - srv->drain_start_ms >= (uint64_t)srv->cfg->server.shutdown_timeout_ms) {
		log_event(LOG_ERROR, NULL, "shutdown timeout: requests still in flight",
			  "{s:I,s:i}", "inflight", (json_int_t)srv->inflight, "shutdown_timeout_ms",
			  srv->cfg->server.shutdown_timeout_ms);
		srv->timed_out = 1;
		event_base_loopbreak(srv->base);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tick = { 0, DRAIN_TICK_MS * 1000 };

	(void)what;
	if (srv->draining) {
		log_event(LOG_INFO, NULL, "shutdown already in progress", "{s:i}", "signal",
			  (int)sig);
		return;
	}
	srv->draining = 1;
	srv->drain_start_ms = server_now_ms();
	log_event(LOG_INFO, NULL, "shutting down", "{s:s,s:I}", "signal",
		  sig == SIGTERM ? "SIGTERM" : "SIGINT", "inflight", (json_int_t)srv->inflight);
	/* Stop accepting: closes the listening socket (evhttp owns it). */
	if (srv->bound != NULL) {
		evhttp_del_accept_socket(srv->http, srv->bound);
		srv->bound = NULL;
	}
	srv->drain_ev = event_new(srv->base, -1, EV_PERSIST, on_drain_tick, srv);
	if (srv->drain_ev == NULL || event_add(srv->drain_ev, &tick) != 0) {
		log_event(LOG_ERROR, NULL, "cannot schedule the drain; stopping now", NULL);
		event_base_loopbreak(srv->base);
	}
}

/* A job's done() sends its queries as the job's owner (db_pool_owner_set). */
static void
job_owner_db(void *ctx, const unsigned char *key)
{
	db_pool_owner_set(ctx, key != NULL && key[0] != 0 ? key : NULL);
}

/*
 * What start-up reads from files and what the worker's node id needs: the
 * trust store, the TSA and the contract-number generator of node
 * server.node_id + worker. Returns SP_OK, or the error with ei naming the
 * key or file. Main thread, before any thread starts.
 */
static int
files_state_build(struct server *srv, int worker, struct sp_errinfo *ei)
{
	const struct config *cfg = srv->cfg;
	struct snowflake *sf = NULL;
	struct sp_errinfo fei;
	int node, r = SP_ERR_INTERNAL;

	sp_errinfo_init(&fei);
	/* the development demo seal's picture, read once (it was read at every prepare) */
	if (cfg->signing.default_seal_image != NULL &&
	    sp_file_read(cfg->signing.default_seal_image, DEFAULT_SEAL_MAX, &srv->default_seal,
			 &srv->default_seal_len, &fei) != SP_OK) {
		r = sp_err(ei, SP_ERR_CONFIG, "signing.default_seal_image cannot be read: %s",
			   fei.msg);
		goto out;
	}
	/* and its SHA-256, the key of its encoded image (it was hashed at every prepare) */
	if (srv->default_seal != NULL) {
		size_t dlen = 0;

		if ((r = crypto_digest(CRYPTO_DIGEST_SHA256, srv->default_seal,
				       srv->default_seal_len, srv->default_seal_sha256, &dlen,
				       ei)) != SP_OK)
			goto out;
	}
	if ((r = trust_store_new(cfg, &srv->trust, ei)) != SP_OK ||
	    (r = tsa_provider_new(cfg, &srv->tsa, ei)) != SP_OK ||
	    (r = seal_maker_new(cfg, &srv->seal_maker, ei)) != SP_OK ||
	    (r = evidence_key_new(cfg, &srv->evidence_key, ei)) != SP_OK ||
	    (r = snowflake_worker_node(cfg->server.node_id, cfg->server.workers, worker, &node,
				       ei)) != SP_OK)
		goto out;
	if ((sf = calloc(1, sizeof(*sf))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = snowflake_init(sf, node, ei)) != SP_OK) {
		free(sf);
		goto out;
	}
	srv->numbers = sf;
	r = SP_OK;
out:
	return r;
}

/*
 * The rate limits of the process (state/limiter.c) and its caches
 * (state/blob_cache.c). Reviewer logins are throttled in PostgreSQL instead
 * (api/reviewers.c), so processes agree.
 */
static int
limiters_build(struct server *srv, struct sp_errinfo *ei)
{
	int r;

	if ((r = ip_limiter_new(VERIFY_LIMIT_SLOTS, VERIFY_LIMIT_WINDOW_MS, VERIFY_LIMIT_MAX,
				&srv->verify_limiter, ei)) != SP_OK ||
	    (r = ip_limiter_new(VERIFY_LIMIT_SLOTS, VERIFY_LIMIT_WINDOW_MS,
				srv->cfg->tsa.max_per_minute, &srv->tsa_limiter, ei)) != SP_OK ||
	    (r = blob_cache_new(SEAL_IMAGE_CACHE_ENTRIES, SEAL_IMAGE_CACHE_BYTES, &srv->seal_images,
				ei)) != SP_OK)
		return r;
	if ((r = blob_cache_new(REVISION_REFS_CACHE_ENTRIES, REVISION_REFS_CACHE_BYTES,
				&srv->revision_refs, ei)) != SP_OK)
		return r;
	if ((r = blob_cache_new(REVISION_READS_CACHE_ENTRIES, REVISION_READS_CACHE_BYTES,
				&srv->revision_reads, ei)) != SP_OK)
		return r;
	if ((r = blob_cache_new(SESSION_UPDATES_CACHE_ENTRIES, SESSION_UPDATES_CACHE_BYTES,
				&srv->session_updates, ei)) != SP_OK)
		return r;
	if ((r = prep_memo_new(PREP_MEMO_MEMBERS, PREP_MEMO_SEALS, PREP_MEMO_SEAL_BYTES,
			       PREP_MEMO_TTL_S, &srv->prep_memo, ei)) != SP_OK)
		return r;
	if ((r = tsa_serials_new(&srv->tsa_serials, ei)) != SP_OK)
		return r;
	return doc_cache_new((size_t)srv->cfg->signing.document_cache_mb << 20, &srv->documents,
			     ei);
}

int
server_config_check(const struct config *cfg, struct sp_errinfo *ei)
{
	struct server srv;
	int i, node, r = SP_ERR_INTERNAL;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	if (cfg->server.tls &&
	    (r = tls_ctx_new(cfg->server.tls_cert, cfg->server.tls_key, &srv.ssl_ctx, ei)) != SP_OK)
		goto out;
	if ((r = files_state_build(&srv, 0, ei)) != SP_OK)
		goto out;
	for (i = 1; i < cfg->server.workers; i++) {
		if ((r = snowflake_worker_node(cfg->server.node_id, cfg->server.workers, i, &node,
					       ei)) != SP_OK)
			goto out;
	}
	r = SP_OK;
out:
	tls_ctx_free(srv.ssl_ctx);
	crypto_trust_free(srv.trust);
	tsa_provider_free(srv.tsa);
	seal_maker_free(srv.seal_maker);
	evidence_key_free(srv.evidence_key);
	if (srv.numbers != NULL)
		snowflake_cleanup(srv.numbers);
	free(srv.numbers);
	free(srv.default_seal);
	return r;
}

static void
server_cleanup(struct server *srv)
{
	if (srv->drain_ev)
		event_free(srv->drain_ev);
	if (srv->sigterm_ev)
		event_free(srv->sigterm_ev);
	if (srv->sigint_ev)
		event_free(srv->sigint_ev);
	webhook_delivery_stop(&srv->webhooks);
	archive_renewal_stop(&srv->archive);
	expiry_stop(&srv->expiry);
	/* Jobs and queries first: their callbacks may still answer requests. */
	jobs_free(srv->jobs);
	db_pool_free(srv->db);
	if (srv->http)
		evhttp_free(srv->http);
	conn_guard_free(srv->conns);
	tls_ctx_free(srv->ssl_ctx);
	metrics_free(srv->metrics);
	router_free(srv->router);
	/* No job is left that could use the state. */
	crypto_trust_free(srv->trust);
	tsa_provider_free(srv->tsa);
	seal_maker_free(srv->seal_maker);
	evidence_key_free(srv->evidence_key);
	if (srv->numbers != NULL)
		snowflake_cleanup(srv->numbers);
	free(srv->numbers);
	free(srv->default_seal);
	ip_limiter_free(srv->verify_limiter);
	ip_limiter_free(srv->tsa_limiter);
	blob_cache_free(srv->seal_images);
	blob_cache_free(srv->revision_refs);
	blob_cache_free(srv->revision_reads);
	blob_cache_free(srv->session_updates);
	prep_memo_free(srv->prep_memo);
	tsa_serials_free(srv->tsa_serials);
	doc_cache_free(srv->documents);
	if (srv->base)
		event_base_free(srv->base);
}

/*
 * The loop's event base, with epoll's changelist: the event_add/event_del
 * calls of one loop turn are applied at its end, per descriptor, so that a
 * request's connection going from bufferevent reading to the peer watch
 * (request.c) and back costs one epoll_ctl instead of two or three, and a
 * write event added and removed in the same turn none. The caveat libevent
 * documents (dup()ed descriptors sharing one file) does not arise here: every
 * descriptor the loop watches is its own socket, eventfd or signal pipe.
 */
static struct event_base *
base_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (ec == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

int
server_run(const struct config *cfg, int port, int worker, server_routes_fn extra)
{
	return server_serve(cfg, port, -1, worker, extra);
}

int
server_serve(const struct config *cfg, int port, int listen_fd, int worker, server_routes_fn extra)
{
	int r = EX_START;
	struct server srv;
	struct sp_errinfo ei;
	struct db_pool_opts dbo;
	struct timeval tv;
	struct timeval now;
	int fd = -1, bound_port = 0;

	memset(&srv, 0, sizeof(srv));
	sp_errinfo_init(&ei);
	srv.cfg = cfg;
	srv.bodies.cap = cfg->server.max_inflight_body_bytes != 0
				 ? cfg->server.max_inflight_body_bytes
				 : 8 * (uint64_t)cfg->server.max_upload_bytes;
	gettimeofday(&now, NULL);
	srv.start_time = (double)now.tv_sec + (double)now.tv_usec / 1e6;
	signal(SIGPIPE, SIG_IGN);
	/* Must precede the first event_base_new(): the worker pool wakes the loop. */
	if (evthread_use_pthreads() != 0) {
		sp_err(&ei, SP_ERR_INTERNAL, "evthread_use_pthreads failed");
		goto out;
	}
	if ((srv.base = base_new()) == NULL) {
		sp_err(&ei, SP_ERR_INTERNAL, "event_base_new failed");
		goto out;
	}
	if (router_new(&srv.router, &ei) != SP_OK ||
	    routes_register_all(srv.router, &ei) != SP_OK ||
	    (extra != NULL && extra(srv.router, &ei) != SP_OK))
		goto out;
	if (metrics_new(router_count(srv.router), &srv.metrics, &ei) != SP_OK)
		goto out;
	if (cfg->server.tls &&
	    tls_ctx_new(cfg->server.tls_cert, cfg->server.tls_key, &srv.ssl_ctx, &ei) != SP_OK) {
		/* Unreadable or mismatched certificate files are a configuration error. */
		r = EX_CONFIG;
		goto out;
	}
	/* So are trust and TSA files that do not load, and a node id out of range. */
	if (files_state_build(&srv, worker, &ei) != SP_OK) {
		r = ei.code == SP_ERR_NOMEM || ei.code == SP_ERR_INTERNAL ? EX_START : EX_CONFIG;
		goto out;
	}
	if (limiters_build(&srv, &ei) != SP_OK)
		goto out;
	memset(&dbo, 0, sizeof(dbo));
	dbo.conninfo = cfg->database.url;
	dbo.size = cfg->database.pool_size;
	dbo.queue_max = cfg->database.queue_max;
	dbo.query_timeout_ms = cfg->database.query_timeout_ms;
	dbo.connect_timeout_ms = cfg->database.connect_timeout_ms;
	if (db_pool_new(srv.base, &dbo, &srv.db, &ei) != SP_OK)
		goto out;
	/* The job queue is as deep as the database wait queue: both bound memory. */
	if (jobs_new(srv.base, cfg->server.threads,
		     cfg->database.queue_max > 0 ? cfg->database.queue_max : 256,
		     cfg->server.max_jobs_per_caller, &srv.jobs, &ei) != SP_OK)
		goto out;
	jobs_owner_hook(srv.jobs, job_owner_db, srv.db);
	jobs_owner_hook(srv.jobs, job_owner_db, srv.db);
	if (expiry_start(&srv.expiry, srv.base, srv.db, &ei) != SP_OK ||
	    webhook_delivery_start(&srv.webhooks, srv.base, srv.db, cfg, &ei) != SP_OK ||
	    archive_renewal_start(&srv.archive, srv.base, srv.db, srv.jobs, cfg, srv.trust, srv.tsa,
				  &ei) != SP_OK)
		goto out;
	/* serials for the first completions in one trip (asked again when low) */
	tsa_serials_want(srv.tsa_serials, srv.db);
	if ((srv.http = evhttp_new(srv.base)) == NULL) {
		sp_err(&ei, SP_ERR_INTERNAL, "evhttp_new failed");
		goto out;
	}
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
						     EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
						     EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
						     EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
	/*
	 * evhttp's cap is the largest any route takes (uploads); each route's own
	 * cap is checked at dispatch so that the 413 is problem+json. Beyond
	 * this cap evhttp answers 413 itself (libevent 2.1 has no error hook).
	 */
	evhttp_set_max_body_size(srv.http, (ev_ssize_t)(cfg->server.max_upload_bytes >
									cfg->server.max_body_bytes
								? cfg->server.max_upload_bytes
								: cfg->server.max_body_bytes));
	/*
	 * The connection guard (conn.c) answers an oversize head with a 431
	 * problem before evhttp parses it; evhttp's own cap is only a backstop.
	 */
	evhttp_set_max_headers_size(srv.http, (ev_ssize_t)cfg->server.max_header_bytes * 2);
	/* Read the rest of an oversize body so the client can read our 413. */
	evhttp_set_flags(srv.http, EVHTTP_SERVER_LINGERING_CLOSE);
	tv.tv_sec = cfg->server.request_timeout_ms / 1000;
	tv.tv_usec = (cfg->server.request_timeout_ms % 1000) * 1000;
	evhttp_set_timeout_tv(srv.http, &tv);
	evhttp_set_gencb(srv.http, request_dispatch, &srv);
	if (conn_guard_new(&srv, &srv.conns, &ei) != SP_OK)
		goto out;
	/* Every connection passes the guard; it builds the TLS bufferevent too. */
	evhttp_set_bevcb(srv.http, conn_bev_new, &srv);
	if (listen_fd >= 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		fd = listen_fd;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			bound_port = ntohs(ss.ss_family == AF_INET6
						   ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
	} else if (server_socket_bind(cfg->server.host, port, 1, &fd, &bound_port, &ei) != SP_OK) {
		goto out;
	}
	if ((srv.bound = evhttp_accept_socket_with_handle(srv.http, fd)) == NULL) {
		sp_err(&ei, SP_ERR_INTERNAL, "evhttp_accept_socket_with_handle failed");
		close(fd);
		goto out;
	}
	srv.port = bound_port;
	srv.sigterm_ev = evsignal_new(srv.base, SIGTERM, on_signal, &srv);
	srv.sigint_ev = evsignal_new(srv.base, SIGINT, on_signal, &srv);
	if (srv.sigterm_ev == NULL || srv.sigint_ev == NULL || evsignal_add(srv.sigterm_ev, NULL) ||
	    evsignal_add(srv.sigint_ev, NULL)) {
		sp_err(&ei, SP_ERR_INTERNAL, "cannot install signal handlers");
		goto out;
	}
	/*
	 * A supervised child starts with SIGTERM and SIGINT blocked, so that one
	 * sent while it was starting waits for these handlers instead of killing
	 * it; now it is delivered and drains the loop like any other.
	 */
	{
		sigset_t stop;

		sigemptyset(&stop);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGINT);
		pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
	}
	log_event(LOG_INFO, NULL, "listening", "{s:s,s:s,s:i,s:i,s:i,s:i,s:i}", "scheme",
		  srv.ssl_ctx ? "https" : "http", "host", cfg->server.host ? cfg->server.host : "",
		  "port", srv.port, "pid", (int)getpid(), "worker", worker, "threads",
		  cfg->server.threads, "node", (int)srv.numbers->node);
	if (event_base_dispatch(srv.base) < 0) {
		sp_err(&ei, SP_ERR_INTERNAL, "event loop failed");
		goto out;
	}
	if (srv.timed_out) {
		/*
		 * Requests are still waiting on the database or a job; tearing the
		 * pools down would run their callbacks into a half-freed server.
		 */
		_exit(1);
	}
	log_event(LOG_INFO, NULL, "stopped", "{s:i}", "pid", (int)getpid());
	r = 0;
out:
	if (r != 0)
		log_event(LOG_ERROR, NULL, "start-up failed", "{s:s,s:s}", "error",
			  sp_errname(ei.code), "detail", ei.msg);
	server_cleanup(&srv);
	return r;
}
