/*
 * server.h: what a route handler of sealpactd uses: the request context,
 * JSON and problem+json replies, the process state, and the worker pool.
 *
 * Threading: everything here runs on the process's event-loop thread, except
 * the work function of a job (jobs_submit), which runs on a worker thread and
 * must touch nothing but its own argument.
 *
 * Every route is one row of the table in api/routes.c that names its
 * handler (api/api.h). A handler receives a struct request and
 * must answer it exactly once with one of the request_reply_*() functions,
 * either before returning or later (from a db/ typed call's callback or a job's
 * done()). The reply frees the request context, so the handler must not touch
 * it afterwards. Replying is always safe: when the client has gone away, or
 * the request deadline already answered it, the reply only frees the context.
 */
#ifndef SP_SERVER_H
#define SP_SERVER_H

#include <stddef.h>

#include <jansson.h>

#include "sp.h"

struct config;
struct crypto_trust;
struct db_pool;
struct event_base;
struct ip_limiter;
struct jobs;
struct request;
struct router;
struct snowflake;
struct tsa_provider;
struct seal_maker;
struct evidence_key;

/* ---- routes --------------------------------------------------------------- */

/* HTTP methods as a bit set, so that a route (or an Allow header) can name several. */
enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6
};

typedef void (*route_fn)(struct request *r);

/* Route flags. */
#define ROUTE_UPLOAD 0x1u /* body may be up to server.max_upload_bytes (else max_body_bytes) */

/*
 * Add a route: methods is a set of enum http_method (a GET route also answers
 * HEAD), flags 0 or ROUTE_UPLOAD, pattern a path like "/api/v1/contracts/{number}" whose {name}
 * segments match one non-empty path segment each. The pattern (never the raw
 * path) is the route's name in logs and metrics, so label cardinality stays
 * bounded. A literal segment beats a parameter at the same position, so
 * "/a/new" wins over "/a/{id}". pattern is copied.
 * Returns SP_OK, SP_ERR_INVALID for a malformed pattern, SP_ERR_CONFLICT when
 * the same pattern already has one of these methods, SP_ERR_LIMIT past the
 * route table's size. Start-up only (loop thread).
 */
int router_route_add(struct router *rt, unsigned methods, const char *pattern, route_fn fn,
		     unsigned flags, struct sp_errinfo *ei) SP_WUR;

/* ---- the request ------------------------------------------------------------ */

/* The matched route's name (its pattern), or "unmatched". Never NULL. */
const char *request_route(const struct request *r);

/* One enum http_method bit. */
unsigned request_method(const struct request *r);

/* The path as sent, still percent-encoded, without the query string. Owned by r. */
const char *request_path(const struct request *r);

/* The request id (sanitized incoming X-Request-Id, or a new random one). Owned by r. */
const char *request_id(const struct request *r);

/*
 * A path parameter by name, percent-decoded, or NULL when the route has no
 * such parameter. Owned by r, valid until the reply.
 */
const char *request_param(const struct request *r, const char *name);

/*
 * A request header (case-insensitive name), or NULL. NULL too once the client
 * has gone away. Owned by r.
 */
const char *request_header(const struct request *r, const char *name);

/*
 * 1 when the request's Prefer headers ask for return=minimal (RFC 7240; the
 * first `return` preference of them in order is the one considered), else 0.
 * The route answers what it documents for it, with Preference-Applied.
 */
int request_prefers_minimal(const struct request *r);

/*
 * A query-string parameter, decoded, or NULL; its name compares without case.
 * No name is given twice (the dispatch refused such a query). Owned by r.
 */
const char *request_query(const struct request *r, const char *name);
/* A positive integer query parameter in [1, max], def when absent; -1 when malformed. */
long request_query_count(const struct request *r, const char *name, long def, long max);

/* The peer's IP address as text (no port), "" when unknown. Owned by r. */
const char *request_remote(const struct request *r);

/* 1 when the client has disconnected or the deadline already answered. */
int request_is_gone(const struct request *r);

/* What this process shares with handlers. Never NULL while r lives. */
const struct config *request_config(const struct request *r);
struct db_pool *request_db(const struct request *r);
struct jobs *request_jobs(const struct request *r);
struct event_base *request_base(const struct request *r);

/*
 * The process state built at start-up (state/state.h), owned by the server
 * and alive until every job of the pool has finished, so a job may carry
 * these pointers to its worker thread.
 *
 * request_trust: the certificate trust store, NULL when trust.roots is empty
 * (trust_store_need() says so); any thread may check certificates with it.
 * request_tsa: the timestamp provider; read-only, any thread.
 * request_numbers: the contract-number generator of this process's node.
 * request_verify_limiter: anonymous verifications per client address;
 * request_tsa_limiter: POST /tsa's timestamps per client address
 * (tsa.max_per_minute); loop thread only.
 */
struct crypto_trust *request_trust(const struct request *r);
const struct tsa_provider *request_tsa(const struct request *r);
/* request_seal_maker: the seal-making key (state.h), NULL when not configured. */
const struct seal_maker *request_seal_maker(const struct request *r);
/* request_evidence_key: the evidence-report key (state.h), NULL when not configured. */
const struct evidence_key *request_evidence_key(const struct request *r);
struct snowflake *request_numbers(const struct request *r);
struct ip_limiter *request_verify_limiter(const struct request *r);
struct ip_limiter *request_tsa_limiter(const struct request *r);
/*
 * Count r's client address in l, or, when it already used its window,
 * answer r 429 rate_limited with detail and a Retry-After (the seconds until
 * it may act again) and return 1 (r is answered; nothing counted). Loop
 * thread.
 */
int request_rate_limited(struct request *r, struct ip_limiter *l, const char *detail);
/*
 * Per-process caches (state.h blob_cache), alive as long as the trust
 * store; any thread. request_seal_images: a seal picture's PDF image data
 * by the SHA-256 of its PNG (pdf_seal_image_encode). request_revision_refs:
 * the object numbers a signed revision refers to, by the SHA-256 of its
 * bytes (crypto_verify_opts.refs_out). request_revision_reads: what the
 * completion that stored a revision read of it, under keys derived from
 * that digest: its signature dictionaries (crypto_verify_opts.sigs_out) and
 * its signed-field count. request_session_updates: the update a prepare
 * here stored with its session, by the session's id (signing_update_key),
 * so that the session's claim here need not have PostgreSQL send it back.
 */
/* signing.default_seal_image's bytes, read at start-up (NULL when unset), and their SHA-256;
   any thread. */
const uint8_t *request_default_seal(const struct request *r, size_t *len, const uint8_t **sha256);
struct blob_cache *request_seal_images(const struct request *r);
struct blob_cache *request_revision_refs(const struct request *r);
struct blob_cache *request_revision_reads(const struct request *r);
/* A completion whose base's references this process did not hold read the set stored with
   the base (migration 067): used (1), or refused (0: not for those bytes, or not whole;
   the base was walked). Counted for /metrics; loop thread. */
void request_refs_stored_count(const struct request *r, int used);
struct blob_cache *request_session_updates(const struct request *r);
/* The TSA serials this process reserved for completions in one trip (state.h); loop thread. */
struct tsa_serials *request_tsa_serials(const struct request *r);
/* The stored documents this process holds (state.h doc_cache; NULL: off); any thread. */
struct doc_cache *request_documents(const struct request *r);
/* What a member's prepare may skip its load for (state.h prep_memo); loop thread only. */
struct prep_memo *request_prep_memo(const struct request *r);

/*
 * Add a response header to the coming reply (copied). Ignored once gone.
 */
void request_header_add(struct request *r, const char *name, const char *value);
/* Take back every header name added so far (a reply that will not be this one's). */
void request_header_remove(struct request *r, const char *name);

/*
 * The request body as a capped buffer: at most server.max_body_bytes, or
 * server.max_upload_bytes for a ROUTE_UPLOAD route (longer bodies were
 * answered 413 before the handler ran).
 * *out is owned by r (valid until the reply, NUL-terminated), *len its length.
 * Returns SP_OK, or SP_ERR_UNAVAILABLE once the client has gone away.
 */
int request_body(struct request *r, const unsigned char **out, size_t *len) SP_WUR;

/*
 * Parse the body as JSON for a JSON route. On success *out is a new reference
 * the caller must json_decref(). On failure this function HAS ALREADY
 * ANSWERED the request (415 unsupported_media_type when Content-Type is not
 * application/json, 400 malformed_json with the parse error's line and
 * column, 400 empty_body, 413 payload_too_large), so r is freed: the handler
 * must return without touching r. Returns SP_OK or the sp_err code.
 */
int request_json_body(struct request *r, json_t **out) SP_WUR;
/*
 * request_json_body without answering: SP_OK and *out (the caller's) when
 * request_json_body would accept the body, else an error and r unanswered
 * (a route that must authenticate before judging the body asks again then).
 */
int request_json_body_peek(struct request *r, json_t **out) SP_WUR;

/* ---- replies: each answers and frees r --------------------------------------- */

/* JSON body with Content-Type application/json. Steals the reference to doc. */
void request_reply_json(struct request *r, int status, json_t *doc);

/*
 * JSON body given as its text, len bytes (copied): a document that passes
 * through unchanged, such as one PostgreSQL built (db_text_fn), is sent as
 * is, not parsed and serialized again. The caller vouches that it is JSON.
 */
void request_reply_json_text(struct request *r, int status, const char *text, size_t len);

/* Any body (copied) with the given Content-Type; len bytes. */
void request_reply_data(struct request *r, int status, const char *content_type, const void *data,
			size_t len);

/*
 * The stable problem codes of the API. One table (http/problem.c) gives each
 * its HTTP status and its snake_case code; a handler names the problem, never
 * a status and a string of its own.
 */
enum problem {
	P_INVALID,                /* 400 invalid: a field is missing, malformed or out of range */
	P_INVALID_PATH,           /* 400 invalid_path */
	P_MALFORMED_JSON,         /* 400 malformed_json */
	P_EMPTY_BODY,             /* 400 empty_body */
	P_MALFORMED_REQUEST,      /* 400 malformed_request: HTTP framing (request line, headers) */
	P_UNAUTHORIZED,           /* 401 unauthorized */
	P_INVALID_CREDENTIALS,    /* 401 invalid_credentials */
	P_FORBIDDEN,              /* 403 forbidden */
	P_NOT_FOUND,              /* 404 not_found */
	P_METHOD_NOT_ALLOWED,     /* 405 method_not_allowed */
	P_CONFLICT,               /* 409 conflict */
	P_WRONG_STATE,            /* 409 wrong_state */
	P_OUT_OF_TURN,            /* 409 out_of_turn */
	P_IDEMPOTENCY_KEY_REUSED, /* 409 idempotency_key_reused */
	P_STALE_REVISION,         /* 409 stale_revision */
	P_SESSION_USED,           /* 409 session_used */
	P_API_KEY_LIMIT,          /* 409 api_key_limit */
	P_SESSION_EXPIRED,        /* 410 session_expired */
	P_PRECONDITION_FAILED,    /* 412 precondition_failed: an If-Match that cannot hold */
	P_LENGTH_REQUIRED,        /* 411 length_required: a body without one Content-Length */
	P_PAYLOAD_TOO_LARGE,      /* 413 payload_too_large */
	P_URI_TOO_LONG,           /* 414 uri_too_long */
	P_UNSUPPORTED_MEDIA_TYPE, /* 415 unsupported_media_type */
	P_UNPROCESSABLE,          /* 422 unprocessable: well-formed, but refused on its merits */
	P_PDF_UNREADABLE,         /* 422 pdf_unreadable */
	P_CERTIFICATE_REFUSED,    /* 422 certificate_refused */
	P_BAD_SIGNATURE,          /* 422 bad_signature */
	P_RATE_LIMITED,           /* 429 rate_limited */
	P_LOGIN_LOCKED,           /* 429 login_locked */
	P_HEADERS_TOO_LARGE,      /* 431 headers_too_large */
	P_INTERNAL,               /* 500 internal_error */
	P_VERIFICATION_FAILED,    /* 500 verification_failed */
	P_NOT_IMPLEMENTED,        /* 501 not_implemented */
	P_TIMESTAMP_FAILED,       /* 502 timestamp_failed: the TSA answered badly */
	P_BUSY,                   /* 503 server_busy */
	P_RETRY,                  /* 503 retry: a concurrent change won */
	P_UNAVAILABLE,            /* 503 service_unavailable */
	P_DATABASE_UNAVAILABLE,   /* 503 database_unavailable */
	P_TSA_NOT_CONFIGURED,     /* 503 tsa_not_configured */
	P_TIMEOUT,                /* 504 timeout */
	P_HTTP_VERSION,           /* 505 http_version_not_supported */
	P__COUNT
};

/*
 * An RFC 9457 problem+json reply: type, title, status, detail, code and
 * request_id. detail may be NULL. Statuses 503 also carry Retry-After.
 */
void request_problem(struct request *r, enum problem p, const char *detail);

/*
 * The same, for a failure that carries its own error info: p's status, ei's
 * reason as the code when it has one (a more specific code of the same class,
 * e.g. "cert_expired" for P_CERTIFICATE_REFUSED), else p's code; ei's message
 * as the detail. ei may be NULL.
 */
void request_problem_ei(struct request *r, enum problem p, const struct sp_errinfo *ei);

/*
 * The same for a service this request needed (a TSA): p's status and code,
 * a fixed detail; ei's message, which names the service's address, goes to
 * the log only. ei may be NULL.
 */
void request_problem_upstream(struct request *r, enum problem p, const struct sp_errinfo *ei);

/*
 * Map an sp_err code and its error info to a problem reply (see
 * problem_map()): 4xx keep the error's message as detail and its reason as
 * code; 5xx never show internals. ei may be NULL.
 */
void request_reply_error(struct request *r, int code, const struct sp_errinfo *ei);

/*
 * Answer a failed worker job that judged client input (http/problem.c,
 * problem_for_job()): the job's reason as the code, its message as the detail.
 */
void request_reply_job_error(struct request *r, int rc, const struct sp_errinfo *ei,
			     enum problem input);

/* ---- the worker pool (DESIGN.md §8) -------------------------------------------- */

/*
 * The work half of a job: runs on a worker thread. It may use pdf/, crypto/,
 * OpenSSL and its own arg, never evhttp, the database pool, the event base or
 * a request. It returns SP_OK or an sp_err code and fills ei on failure.
 * OpenSSL's per-thread error queue is drained into ei after it returns.
 */
typedef int (*job_work_fn)(void *arg, struct sp_errinfo *ei);

/*
 * The completion half: runs on the loop thread, exactly once per accepted
 * job, with what work() returned (or SP_ERR_UNAVAILABLE when the pool shut
 * down before the job ran). ei is valid only during the call. It owns arg
 * again and frees it.
 */
typedef void (*job_done_fn)(void *arg, int rc, const struct sp_errinfo *ei);

/*
 * Queue a job. arg must hold copies of everything work() needs; it may also
 * carry the struct request for done() to answer, but work() must never
 * dereference it (nor anything else owned by the loop). Returns SP_OK when accepted (done() will fire
 * exactly once, never from inside this call), SP_ERR_BUSY when the bounded
 * queue is full or SP_ERR_UNAVAILABLE while shutting down; then done() will
 * not fire and the caller keeps arg. Loop thread only.
 */
int jobs_submit(struct jobs *pool, job_work_fn work, job_done_fn done, void *arg) SP_WUR;

/*
 * Queue a job of request r, as jobs_submit(request_jobs(r), ...), owned by
 * r's caller (request_caller_set(), else its address): SP_ERR_RATE_LIMITED
 * (a Retry-After header already added to r) when the caller has
 * server.max_jobs_per_caller jobs queued or running. When r's deadline
 * answers it or its client leaves before a worker took the job, the job is
 * not run: done() gets SP_ERR_UNAVAILABLE (its reply only frees r). Every
 * job a request waits for goes through here. Loop thread only.
 */
int request_jobs_submit(struct request *r, job_work_fn work, job_done_fn done, void *arg) SP_WUR;

/*
 * Who calls r, for request_jobs_submit: the organization (members and API
 * keys alike), or the user when organization_id is 0 (a reviewer). Set by
 * authentication. Loop thread.
 */
void request_caller_set(struct request *r, int64_t organization_id, int64_t user_id);

#endif /* SP_SERVER_H */
