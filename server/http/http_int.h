/*
 * http_int.h: the HTTP core of sealpactd (listener, TLS, request context,
 * router, problem+json, metrics, log) and the serving process; shared by the
 * files of server/ and its unit tests. Route modules use server.h only.
 */
#ifndef SP_HTTP_INT_H
#define SP_HTTP_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "server.h"
#include "jobs_int.h"
#include "state.h"

struct evhttp;
struct evhttp_bound_socket;
struct event;
struct ssl_ctx_st;

/* ---- log.c: one JSON object per line on stderr --------------------------------- */

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* "debug" | "info" | "warn" | "error" -> level; -1 when unknown. */
int log_level_parse(const char *name);

/* Lines below level are dropped. Call before threads start. */
void log_level_set(int level);
int log_level_get(void);

/*
 * Write one line {"ts","level","msg","request_id"?,...fields} where fields
 * is a jansson pack format of an object ("{s:i,s:s}") or NULL for none.
 * request_id may be NULL. One write(2) per line, so lines of concurrent
 * processes do not interleave. Any thread.
 */
void log_event(int level, const char *request_id, const char *msg, const char *fields, ...);

/*
 * The access log's line: log_event(level, request_id, "request", ...) with
 * the fields method, route, path, status, duration_ms, bytes and remote, in
 * that order, written without building a JSON document first (every
 * request logs one). Any thread.
 */
void log_access(int level, const char *request_id, const char *method, const char *route,
		const char *path, int status, double duration_ms, long long bytes,
		const char *remote);

/* This process's id, as the log lines carry it (taken once, again after a fork). Any thread. */
int log_pid(void);

/* Format an RFC 3339 UTC time with milliseconds ("2026-11-21T19:20:46.123Z"). */
void log_time_format(char out[32]);

/* Incoming X-Request-Id kept when 1..64 chars of [A-Za-z0-9._-]; else NULL. */
int request_id_is_sane(const char *id);
/* A new random id: 32 lowercase hex characters. out holds 33 bytes. Any thread. */
void request_id_generate(char out[33]);

/* ---- query.c: the query string -------------------------------------------------------- */

/* One name=value of a query string, both percent-decoded (into http_query.text). */
struct http_query_param {
	const char *name, *value;
};

struct http_query {
	struct http_query_param *params; /* sorted by name, without case */
	size_t n;
	char *text; /* every name and value, NUL-terminated */
};

/*
 * Parse query string s (without '?') into q, which the caller cleans up
 * whatever the result (http_query_cleanup). SP_OK; SP_ERR_INVALID with the
 * client's detail in ei->msg when a name or value is not UTF-8 text without
 * NUL once decoded, a part has no name=value, or a name comes twice
 * (decoded, without case); SP_ERR_NOMEM. Any thread.
 */
int http_query_parse(struct http_query *q, const char *s, struct sp_errinfo *ei) SP_WUR;
/* The decoded value of name (without case), NULL when absent; owned by q. */
const char *http_query_get(const struct http_query *q, const char *name);
void http_query_cleanup(struct http_query *q);

/* ---- prefer.c: RFC 7240 Prefer ------------------------------------------------------ */

enum http_prefer {
	HTTP_PREFER_NONE = 0,       /* no return preference */
	HTTP_PREFER_MINIMAL,        /* return=minimal */
	HTTP_PREFER_REPRESENTATION, /* return=representation */
	HTTP_PREFER_OTHER           /* return with another value: not understood */
};

/* The first `return` preference of one Prefer header value (NULL: none). Any thread. */
int http_prefer_return(const char *value);

/* ---- problem.c: sp_err -> HTTP ---------------------------------------------------- */

struct problem_map {
	int status;         /* HTTP status */
	const char *code;   /* stable snake_case code, static or ei->reason */
	const char *detail; /* message safe to show, static or ei->msg */
	/* detail when it stands for PostgreSQL's message in ei->msg (see problem.c), else NULL */
	const char *pg_detail;
};

/*
 * Map an sp_err code and optional error info to what the client sees:
 * INVALID 400, UNAUTHORIZED 401, FORBIDDEN 403, NOT_FOUND 404, CONFLICT 409,
 * TOO_LARGE 413, RATE_LIMITED 429, BUSY 503, UNAVAILABLE 503, TIMEOUT 504,
 * anything else 500. For 4xx the error's reason (when set) is the code and its
 * message the detail; 5xx use fixed texts so internals never leak. The
 * strings point into ei or static storage.
 */
void problem_map(int code, const struct sp_errinfo *ei, struct problem_map *out);

/* The detail a server-side failure p shows instead of its message. */
const char *problem_fixed_detail(enum problem p);

/* The status and the code of a problem of the table (server.h). */
int problem_status(enum problem p);
const char *problem_code(enum problem p);

/*
 * The problem a failed worker job that judged client input (a PDF, a
 * certificate, placements) becomes: input errors are input (e.g.
 * P_PDF_UNREADABLE) or P_MALFORMED_JSON, certificate refusals
 * P_CERTIFICATE_REFUSED, unreachable dependencies P_UNAVAILABLE; P__COUNT
 * for anything else, which request_reply_error() maps.
 */
enum problem problem_for_job(int rc, const struct sp_errinfo *ei, enum problem input);

/* The standard reason phrase of an HTTP status ("Not Found"), "Unknown" if none. */
const char *http_status_text(int status);

/*
 * Build the RFC 9457 document. Returns a new reference, NULL on allocation
 * failure. detail and request_id may be NULL.
 */
json_t *problem_json(int status, const char *code, const char *detail, const char *request_id);

/* ---- router.c ------------------------------------------------------------------------- */

#define ROUTER_MAX_ROUTES 256
#define ROUTER_MAX_SEGMENTS 16
#define ROUTER_MAX_PARAMS 8
#define ROUTER_MAX_PATH 2048
#define ROUTER_MAX_PARAM_LEN 256

struct route;

struct route_match {
	const struct route *route; /* NULL unless status == 200 */
	const struct route *named; /* a route of the matched pattern (200, 405) for labels */
	int status;                /* 200 found, 400 bad path, 404, 405 */
	unsigned allow;            /* methods of the path when status == 405 */
	size_t nparams;
	struct {
		const char *name; /* points into the route */
		char value[ROUTER_MAX_PARAM_LEN + 1];
	} params[ROUTER_MAX_PARAMS];
};

int router_new(struct router **out, struct sp_errinfo *ei) SP_WUR;
void router_free(struct router *rt);

/*
 * Match a raw (still percent-encoded) path, without query string. Parameters
 * are decoded per segment, so "%2F" inside one stays in it. Returns SP_OK with
 * m->status 200/404/405, or SP_ERR_INVALID (m->status 400) for a path that is
 * too long, has too many segments, bad percent-encoding, an encoded NUL or a
 * parameter longer than ROUTER_MAX_PARAM_LEN.
 */
int router_match(const struct router *rt, unsigned method, const char *path, struct route_match *m,
		 struct sp_errinfo *ei) SP_WUR;

const char *route_name(const struct route *rt);
route_fn route_handler(const struct route *rt);
unsigned route_flags(const struct route *rt);
/* Index 0..n-1 of the route in registration order (metrics). */
size_t route_index(const struct route *rt);
size_t router_count(const struct router *rt);
const struct route *router_at(const struct router *rt, size_t i);

/* "GET, HEAD, POST" for a method set; out must hold 64 bytes. */
void http_methods_format(unsigned methods, char *out, size_t outlen);
const char *http_method_name(unsigned method);

/* ---- metrics.c ---------------------------------------------------------------------- */

struct metrics;

#define METRICS_NBUCKETS 13
extern const double metrics_buckets[METRICS_NBUCKETS];

/* The per-object caches besides the stored documents (sealpact_cache_entries, _bytes). */
enum metrics_held {
	METRICS_HELD_SEAL_IMAGES,     /* seal pictures as PDF image streams (blob_cache) */
	METRICS_HELD_REVISION_REFS,   /* a revision's object numbers (blob_cache) */
	METRICS_HELD_REVISION_READS,  /* its signature reads (blob_cache) */
	METRICS_HELD_SESSION_UPDATES, /* a prepared session's update (blob_cache) */
	METRICS_HELD_PREP_MEMBERS,    /* member sessions (prep_memo; fixed slots) */
	METRICS_HELD_PREP_SEALS,      /* seals with their PNG (prep_memo) */
	METRICS_HELD_CERTIFICATES,    /* certificates decoded once (trust: their DER) */
	METRICS_HELD_OCSP_RESPONSES,  /* OCSP responses fetched (trust: their DER) */
	METRICS_HELD_CERT_SIGNATURES, /* certificate signatures found valid (fixed) */
	METRICS_HELD_OCSP_VERIFIED,   /* embedded OCSP responses verified (fixed) */
	METRICS_HELD__COUNT
};

struct metrics_gauges {
	int pool_size, pool_connected, pool_in_use, pool_waiting;
	long jobs_queued, jobs_running;
	unsigned long long jobs_dropped, jobs_cancelled;
	/* the per-process caches' lookups (blob_cache_stats): [0] seal images, [1] refs,
	   [2] signature reads; [3] stored documents (doc_cache_stats); [4] session updates */
	unsigned long long cache_hits[5], cache_misses[5];
	/* prepares that tried the one statement (state.h prep_memo_stats) */
	unsigned long long prep_one_trip, prep_fallback;
	/* completions that took a reserved serial (state.h tsa_serials): stored in one
	   trip, or taken back to the claim's path */
	unsigned long long done_one_trip, done_fell_back;
	size_t tsa_serials_left; /* serials reserved for them now */
	/* the stored documents held (doc_cache_stats): entries, the bound, and the bytes
	   counted in it by part: [0] documents, [1] reports, [2] report indexes, [3] qpdf's
	   parses */
	size_t docs_entries, docs_max_bytes, docs_bytes[5];
	/* and by segment (doc_cache.c): [0] protected, [1] probation, [2] revisions no
	   signer is left to open; entries evicted for room, and puts not kept */
	size_t docs_segment_bytes[3];
	unsigned long long docs_evicted, docs_refused;
	/* what the other per-object caches hold now, by enum metrics_held: entries, the
	   bytes of their values and the bound of those (0: bounded by entries only) */
	size_t held_entries[METRICS_HELD__COUNT], held_bytes[METRICS_HELD__COUNT],
		held_max_bytes[METRICS_HELD__COUNT];
	/* completions that read the base's references stored with it (067): used, refused */
	unsigned long long refs_stored_used, refs_stored_refused;
};

/*
 * nroutes is the router's route count; one more slot counts requests that
 * matched no route (label route="unmatched"). Loop thread only.
 */
int metrics_new(size_t nroutes, struct metrics **out, struct sp_errinfo *ei) SP_WUR;
void metrics_free(struct metrics *m);

/* Why the connection guard closed a connection (sealpact_connections_closed_total). */
enum conn_close {
	CONN_REFUSED_TOTAL,   /* server.max_connections reached */
	CONN_REFUSED_PER_IP,  /* server.max_connections_per_ip reached */
	CONN_CLOSED_IDLE,     /* no request within server.keepalive_idle_ms */
	CONN_CLOSED_DEADLINE, /* head and body not in within server.read_timeout_ms */
	CONN_CLOSED_FRAMING,  /* malformed request framing, answered with a problem */
	CONN_REFUSED_BODIES,  /* server.max_inflight_body_bytes taken: 503 before the body */
	CONN_CLOSED_PROXY,    /* a trusted balancer's PROXY header was malformed */
	CONN_CLOSE__COUNT
};

void metrics_connection_closed(struct metrics *m, enum conn_close why);
void metrics_connections_open(struct metrics *m, long open);

/* route_idx == nroutes for unmatched; method one enum http_method bit. */
int metrics_observe(struct metrics *m, size_t route_idx, unsigned method, int status,
		    double seconds) SP_WUR;

/*
 * Render the Prometheus text exposition (format 0.0.4) into out (capped).
 * names[i] is the label of route i. start_time is the process start, in
 * seconds since the epoch.
 */
int metrics_render(const struct metrics *m, const char *const *names,
		   const struct metrics_gauges *g, double start_time, struct sp_buf *out) SP_WUR;

/* ---- request.c: the request context ------------------------------------------------------- */

struct server;
struct evhttp_request;

/* The process a request belongs to (internal routes: metrics). */
struct server *request_server(const struct request *r);

/* The evhttp entry point: builds the context, routes, runs the handler. */
void request_dispatch(struct evhttp_request *req, void *server_arg);

/*
 * The connection of r closed before the reply (conn.c calls it): the context
 * drops its evhttp pointers, and a later reply only records. Loop thread.
 */
void request_connection_closed(struct request *r);

/*
 * The client of r left before the reply (EOF or an error on its socket while
 * the request is handled; conn.c's watch and request.c's own): logged, and
 * the connection freed now (evhttp frees the request with it); a later reply
 * only records (499). Loop thread.
 */
void request_peer_gone(struct request *r);

/* ---- framing.c: strict request framing ---------------------------------------------------- */

/*
 * The request-body bytes a process may hold at once
 * (server.max_inflight_body_bytes). Bodies are read before a request is
 * authenticated or rate-limited, so this, not the connection count, bounds
 * what unauthenticated clients make the process hold. A request's declared
 * Content-Length is taken when its head is complete, before a byte of its
 * body is read, and given back when its request context is freed, or when its
 * connection closes first. Loop thread only.
 */
struct body_budget {
	uint64_t cap, used;
};

/* The one detail of 501 not_implemented: a method no route takes (framing.c, request.c). */
#define HTTP_METHOD_UNSUPPORTED "This method is not supported."

/* The framing state of one connection, fed its raw bytes in order. */
struct http_framer {
	struct body_budget *budget; /* NULL: bodies are not counted */
	uint64_t held;              /* taken from budget for heads not yet dispatched */
	size_t max_head;            /* request line + headers cap (server.max_header_bytes) */
	uint64_t max_body;          /* largest Content-Length of any route */
	unsigned char *line;        /* the line being read; NULL between heads */
	size_t linelen, linecap, head_bytes;
	unsigned nlines;    /* complete lines of this head */
	uint64_t body_left; /* body bytes still to pass */
	uint64_t cl;
	int v11, has_host, has_cl, has_te;
	int head;            /* a HEAD request: evhttp reads no body after it */
	unsigned once;       /* bits of the headers framing.c allows once (singletons[]) seen */
	unsigned long heads; /* complete heads seen */
	enum problem bad;    /* P__COUNT while the framing is sound */
	const char *detail;  /* static text for bad */
};

void framer_init(struct http_framer *f, size_t max_head, uint64_t max_body,
		 struct body_budget *budget);
/* Frees the line buffer; what f->held is stays taken (framer_give_back). */
void framer_free(struct http_framer *f);
/* Give back all f->held to the budget (the connection is gone). */
void framer_give_back(struct http_framer *f);
/*
 * Move up to n bytes of f->held to the caller (a dispatched request whose
 * body is n bytes long); returns what moved, for body_budget_give().
 */
uint64_t framer_hand_over(struct http_framer *f, uint64_t n);
void body_budget_give(struct body_budget *b, uint64_t n);
/*
 * Feed the next n bytes of the connection. Returns 0 while the framing is
 * sound, 1 once it is not: f->bad is the problem to answer (400, 411, 413,
 * 414, 431, 501, 505, or 503 when the body's length does not fit in the budget)
 * and f->detail says why; later calls return 1 at once.
 */
int framer_feed(struct http_framer *f, const unsigned char *p, size_t n);
/*
 * Pass up to n bytes of the body being read without looking at them (body
 * bytes carry no framing); returns how many of the n were body. The caller
 * feeds what follows the body, if anything, to framer_feed.
 */
size_t framer_skip_body(struct http_framer *f, size_t n);

/* ---- conn.c: the connection guard ------------------------------------------------------- */

struct conn_guard;
struct evhttp_connection;
struct bufferevent;
struct event_base;

/*
 * Build the guard of srv from server.max_connections, max_connections_per_ip,
 * keepalive_idle_ms, read_timeout_ms and trusted_proxies (a malformed list
 * is SP_ERR_CONFIG naming the item); raises the soft RLIMIT_NOFILE to the
 * hard limit and lowers the connection cap (with a warning) to what the
 * descriptors allow. Needs srv->base and srv->metrics. Loop thread.
 */
int conn_guard_new(struct server *srv, struct conn_guard **out, struct sp_errinfo *ei) SP_WUR;
/* After evhttp_free() (its connections report their close here). NULL is fine. */
void conn_guard_free(struct conn_guard *g);
/* The connections admitted and not closed yet. Loop thread. */
long conn_guard_open(const struct conn_guard *g);

/*
 * The evhttp_set_bevcb callback (arg: the struct server): builds the
 * connection's bufferevent (TLS when srv->ssl_ctx) and queues the
 * connection for admission, which runs later in the same loop turn.
 */
struct bufferevent *conn_bev_new(struct event_base *base, void *srv);

/*
 * A request of evcon was dispatched: its read deadline ends, and r hears of
 * the connection closing (request_connection_closed). Returns 0, or -1 when
 * the guard does not track evcon (the caller watches it itself).
 */
int conn_request_begin(struct server *srv, struct evhttp_connection *evcon, struct request *r);
/*
 * The client's address as a trusted balancer's PROXY header named it, in
 * out (cap bytes, numeric as evhttp prints a peer); 0 when the connection
 * has none (not from a balancer, or its header named no client) and out
 * is left as it was.
 */
int conn_client(struct server *srv, struct evhttp_connection *evcon, char *out, size_t cap);
/*
 * The budget bytes of the body of the request of evcon just dispatched
 * (body_len long) pass to the caller, which gives them back with
 * body_budget_give() when the request is freed. Returns the bytes passed.
 */
uint64_t conn_request_body(struct server *srv, struct evhttp_connection *evcon, size_t body_len);
/*
 * The reply of evcon's request goes out: the connection is idle again.
 * Returns 1 when the bytes that followed the request are malformed: the
 * reply must then say "Connection: close" (evhttp must not parse them).
 */
int conn_request_end(struct server *srv, struct evhttp_connection *evcon);

/* ---- api/routes.c ------------------------------------------------------------------------------- */

/* Register every route module of the table in api/routes.c. Start-up only. */
int routes_register_all(struct router *rt, struct sp_errinfo *ei) SP_WUR;

/* ---- server.c / tls.c: one serving process ------------------------------------------------ */

/*
 * The state of one serving process, built by server_run() before it listens
 * and passed down: handlers reach it through the request (server.h), the
 * background jobs get their part at start. Everything a worker job may touch
 * (trust, tsa, numbers) is read-only after start-up or locks itself.
 */
struct server {
	const struct config *cfg;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct ssl_ctx_st *ssl_ctx;
	struct router *router;
	struct metrics *metrics;
	struct conn_guard *conns;  /* connection caps and slow-client deadlines */
	struct body_budget bodies; /* request-body bytes held (framing.c) */
	struct db_pool *db;
	struct jobs *jobs;
	struct crypto_trust *trust; /* NULL: trust.roots is empty */
	struct tsa_provider *tsa;
	struct seal_maker *seal_maker;     /* NULL: seals.maker_* unset */
	struct evidence_key *evidence_key; /* NULL: evidence.cert/key unset */
	struct snowflake *numbers;         /* node server.node_id + worker index */
	struct ip_limiter *verify_limiter; /* anonymous verifications per address */
	struct ip_limiter *tsa_limiter;    /* POST /tsa timestamps per address */
	/* what a signing derives and the next one would derive again (state.h) */
	struct blob_cache *seal_images;     /* seal pictures as PDF image data, by PNG digest */
	struct blob_cache *revision_refs;   /* object numbers a revision refers to, by digest */
	struct blob_cache *revision_reads;  /* its signature dictionaries as read, and count */
	struct blob_cache *session_updates; /* a prepared session's update, by session id */
	/* completions that read the base's references stored with it: [0] used, [1]
	   refused (request_refs_stored_count; loop thread) */
	unsigned long long refs_stored[2];
	struct doc_cache *documents;     /* stored documents by contract (NULL: off) */
	struct prep_memo *prep_memo;     /* members and seals of recent prepares */
	struct tsa_serials *tsa_serials; /* reserved for completions in one trip */
	uint8_t *default_seal;           /* signing.default_seal_image's bytes (NULL: unset) */
	size_t default_seal_len;
	uint8_t default_seal_sha256[32];  /* of default_seal */
	struct expiry expiry;             /* the deadline sweep */
	struct webhook_delivery webhooks; /* webhook deliveries */
	struct archive_renewal archive;   /* archive-timestamp renewal */
	struct event *sigterm_ev, *sigint_ev, *drain_ev;
	double start_time;         /* epoch seconds, for process_start_time_seconds */
	int port;                  /* the bound port */
	int draining;              /* SIGTERM seen: every reply says Connection: close */
	int timed_out;             /* the shutdown deadline passed */
	long inflight;             /* request contexts alive */
	struct request *current;   /* the request whose handler is running, if any */
	uint64_t last_activity_ms; /* monotonic ms of the last request start or reply */
	uint64_t drain_start_ms;
};

/* Monotonic milliseconds. */
uint64_t server_now_ms(void);

/*
 * Create a listening TCP socket on host:port (port 0 picks one) with
 * SO_REUSEADDR only, so a port another process holds fails with EADDRINUSE
 * and a message saying so; listen_now 0 only binds. *fd_out is the socket, *port_out the bound port.
 */
int server_socket_bind(const char *host, int port, int listen_now, int *fd_out, int *port_out,
		       struct sp_errinfo *ei) SP_WUR;

/*
 * Check what start-up loads from files (the TLS pair, the trust store, the
 * TSA) and that server.node_id leaves a node id for each of server.workers,
 * without serving: the supervisor calls it before forking so that a bad
 * configuration stops it with 78 instead of N children. Main thread.
 */
int server_config_check(const struct config *cfg, struct sp_errinfo *ei) SP_WUR;

/* TLS 1.2+ server context from a PEM chain and key. */
int tls_ctx_new(const char *cert_chain, const char *key, struct ssl_ctx_st **out,
		struct sp_errinfo *ei) SP_WUR;
void tls_ctx_free(struct ssl_ctx_st *ctx);
/* The evhttp_set_bevcb callback: a server-side bufferevent_openssl. */
struct bufferevent *tls_bev_new(struct event_base *base, void *ssl_ctx);

/* Registers routes beyond the built-in modules (tests use it); may be NULL. */
typedef int (*server_routes_fn)(struct router *rt, struct sp_errinfo *ei);

/*
 * Run one serving process until SIGTERM/SIGINT has drained it: binds port
 * (worker is the index shown in logs, 0..server.workers-1, and numbers
 * contracts on node server.node_id + worker), serves, returns the exit
 * status: 0 after a clean drain, 1 when the shutdown deadline passed, 78 when
 * the TLS, trust or TSA files are unusable or the node id is out of range,
 * 71 when start-up failed otherwise. Call it in the process's main thread,
 * once.
 */
int server_run(const struct config *cfg, int port, int worker, server_routes_fn extra);

/*
 * server_run() on listen_fd, a listening socket the supervisor created and
 * this worker inherited (it takes ownership), or on port when listen_fd < 0.
 */
int server_serve(const struct config *cfg, int port, int listen_fd, int worker,
		 server_routes_fn extra);

/*
 * `server.workers: N > 1`: reserve the port, fork N children that each run
 * server_run() on it, restart one that crashes, forward SIGTERM/SIGINT, and
 * return 0 when all exited cleanly after a shutdown, 1 otherwise.
 */
int supervisor_run(const struct config *cfg);

#endif /* SP_HTTP_INT_H */
