/*
 * request.c: the request context. It lives from dispatch until the handler's
 * one reply, which may come loop turns later (a database callback, a job's
 * done()). evhttp owns the evhttp_request and may drop it when the client
 * disconnects, so the context never keeps a stale pointer: the connection's
 * close callback detaches it (evreq = NULL), the request deadline answers it
 * early, and a later reply then only records and frees the context.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "db.h"
#include "request_int.h"

uint64_t
server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static unsigned
method_of(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
		return HTTP_GET;
	case EVHTTP_REQ_HEAD:
		return HTTP_HEAD;
	case EVHTTP_REQ_POST:
		return HTTP_POST;
	case EVHTTP_REQ_PUT:
		return HTTP_PUT;
	case EVHTTP_REQ_PATCH:
		return HTTP_PATCH;
	case EVHTTP_REQ_DELETE:
		return HTTP_DELETE;
	case EVHTTP_REQ_OPTIONS:
		return HTTP_OPTIONS;
	default:
		return 0;
	}
}

/* ---- accessors ---- */

const char *
request_route(const struct request *r)
{
	return route_name(r->label);
}
unsigned
request_method(const struct request *r)
{
	return r->method;
}
const char *
request_path(const struct request *r)
{
	return r->path;
}
const char *
request_id(const struct request *r)
{
	return r->id;
}
int
request_is_gone(const struct request *r)
{
	return r->evreq == NULL;
}
const char *
request_remote(const struct request *r)
{
	return r->remote;
}
const struct config *
request_config(const struct request *r)
{
	return r->srv->cfg;
}
struct db_pool *
request_db(const struct request *r)
{
	return r->srv->db;
}
struct jobs *
request_jobs(const struct request *r)
{
	return r->srv->jobs;
}
struct event_base *
request_base(const struct request *r)
{
	return r->srv->base;
}
struct server *
request_server(const struct request *r)
{
	return r->srv;
}
struct crypto_trust *
request_trust(const struct request *r)
{
	return r->srv->trust;
}
const struct tsa_provider *
request_tsa(const struct request *r)
{
	return r->srv->tsa;
}
const struct seal_maker *
request_seal_maker(const struct request *r)
{
	return r->srv->seal_maker;
}
const struct evidence_key *
request_evidence_key(const struct request *r)
{
	return r->srv->evidence_key;
}
struct snowflake *
request_numbers(const struct request *r)
{
	return r->srv->numbers;
}
struct blob_cache *
request_seal_images(const struct request *r)
{
	return r->srv->seal_images;
}
const uint8_t *
request_default_seal(const struct request *r, size_t *len, const uint8_t **sha256)
{
	*len = r->srv->default_seal_len;
	*sha256 = r->srv->default_seal_sha256;
	return r->srv->default_seal;
}
struct blob_cache *
request_revision_refs(const struct request *r)
{
	return r->srv->revision_refs;
}

void
request_refs_stored_count(const struct request *r, int used)
{
	r->srv->refs_stored[used ? 0 : 1]++;
}

struct blob_cache *
request_revision_reads(const struct request *r)
{
	return r->srv->revision_reads;
}

struct blob_cache *
request_session_updates(const struct request *r)
{
	return r->srv->session_updates;
}

struct tsa_serials *
request_tsa_serials(const struct request *r)
{
	return r->srv->tsa_serials;
}

struct doc_cache *
request_documents(const struct request *r)
{
	return r->srv->documents;
}

struct prep_memo *
request_prep_memo(const struct request *r)
{
	return r->srv->prep_memo;
}
struct ip_limiter *
request_verify_limiter(const struct request *r)
{
	return r->srv->verify_limiter;
}

struct ip_limiter *
request_tsa_limiter(const struct request *r)
{
	return r->srv->tsa_limiter;
}

int
request_rate_limited(struct request *r, struct ip_limiter *l, const char *detail)
{
	char wait[24];
	uint64_t w;

	if ((w = ip_limiter_wait_ms(l, request_remote(r))) > 0) {
		snprintf(wait, sizeof(wait), "%llu", (unsigned long long)((w + 999) / 1000));
		request_header_add(r, "Retry-After", wait);
		request_problem(r, P_RATE_LIMITED, detail);
		return 1;
	}
	ip_limiter_count(l, request_remote(r));
	return 0;
}

const char *
request_param(const struct request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->match.nparams; i++)
		if (strcmp(r->match.params[i].name, name) == 0)
			return r->match.params[i].value;
	return NULL;
}

const char *
request_header(const struct request *r, const char *name)
{
	if (r->evreq == NULL)
		return NULL;
	return evhttp_find_header(evhttp_request_get_input_headers(r->evreq), name);
}

int
request_prefers_minimal(const struct request *r)
{
	struct evkeyval *h;
	int pref = HTTP_PREFER_NONE;

	if (r->evreq == NULL)
		return 0;
	/* every Prefer header in the order received (evhttp_find_header finds the first) */
	for (h = evhttp_request_get_input_headers(r->evreq)->tqh_first; h != NULL;
	     h = h->next.tqe_next)
		if (strcasecmp(h->key, "Prefer") == 0 &&
		    (pref = http_prefer_return(h->value)) != HTTP_PREFER_NONE)
			break;
	return pref == HTTP_PREFER_MINIMAL;
}

const char *
request_query(const struct request *r, const char *name)
{
	return http_query_get(&r->query, name);
}

long
request_query_count(const struct request *r, const char *name, long def, long max)
{
	const char *s = request_query(r, name);
	uint64_t v;

	if (s == NULL)
		return def;
	return sp_parse_u64(s, 1, (uint64_t)max, &v) == SP_OK ? (long)v : -1;
}

void
request_header_add(struct request *r, const char *name, const char *value)
{
	if (r->evreq != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(r->evreq), name, value);
}

void
request_header_remove(struct request *r, const char *name)
{
	if (r->evreq != NULL)
		evhttp_remove_header(evhttp_request_get_output_headers(r->evreq), name);
}

/* The body cap of the request's route. */
static size_t
body_limit(const struct request *r)
{
	const struct config_server *cs = &r->srv->cfg->server;

	if (r->route != NULL && (route_flags(r->route) & ROUTE_UPLOAD))
		return cs->max_upload_bytes;
	return cs->max_body_bytes;
}

int
request_body(struct request *r, const unsigned char **out, size_t *len)
{
	struct evbuffer *in;
	size_t n;

	*out = NULL;
	*len = 0;
	if (r->body == NULL) {
		if (r->evreq == NULL)
			return SP_ERR_UNAVAILABLE;
		in = evhttp_request_get_input_buffer(r->evreq);
		n = evbuffer_get_length(in);
		/* Dispatch already refused longer bodies; this keeps the promise local. */
		if (n > body_limit(r))
			return SP_ERR_TOO_LARGE;
		if ((r->body = malloc(n + 1)) == NULL)
			return SP_ERR_NOMEM;
		if (n > 0 && evbuffer_copyout(in, r->body, n) != (ev_ssize_t)n) {
			free(r->body);
			r->body = NULL;
			return SP_ERR_INTERNAL;
		}
		r->body[n] = '\0';
		r->body_len = n;
	}
	*out = r->body;
	*len = r->body_len;
	return SP_OK;
}

/*
 * r was answered by its deadline or its client left: a job of r that no
 * worker took yet is not run (its done() still answers, which only frees).
 */
static void
request_job_drop(struct request *r)
{
	if (r->job != NULL)
		jobs_drop(r->srv->jobs, r->job);
}

void
request_caller_set(struct request *r, int64_t organization_id, int64_t user_id)
{
	memset(r->caller, 0, sizeof(r->caller));
	r->caller[0] = organization_id != 0 ? 'o' : 'u';
	sp_store_be64(r->caller + 1, (uint64_t)(organization_id != 0 ? organization_id : user_id));
	/* (authentication runs in r's code: what it sends next is the caller's) */
	db_pool_owner_set(r->srv->db, r->caller);
}

/*
 * The peer's address as the client's: an IPv4 client of a listener on "::"
 * arrives as ::ffff:a.b.c.d, and is written a.b.c.d, so that the audit
 * trail names it as it is and the login budget by address (which takes an
 * IPv6 address's /64) does not count every IPv4 client as one.
 */
static void
remote_set(struct request *r, const char *addr)
{
	unsigned char a[16];

	if (addr != NULL && inet_pton(AF_INET6, addr, a) == 1 &&
	    IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a) &&
	    inet_ntop(AF_INET, a + 12, r->remote, sizeof(r->remote)) != NULL)
		return;
	snprintf(r->remote, sizeof(r->remote), "%s", addr ? addr : "");
}

/*
 * The owner of an anonymous caller's jobs: its address, an IPv6 one by its
 * /64 (what one subscriber is routed; it may use every address in it).
 */
static void
caller_by_address(struct request *r)
{
	unsigned char a[16];

	memset(r->caller, 0, sizeof(r->caller));
	r->caller[0] = 'a';
	if (inet_pton(AF_INET, r->remote, a) == 1) {
		memcpy(r->caller + 1, a, 4);
	} else if (inet_pton(AF_INET6, r->remote, a) == 1) { /* (never IPv4-mapped: remote_set) */
		memcpy(r->caller + 1, a, 8);
		r->caller[9] = 6;
	} else {
		memcpy(r->caller + 1, r->remote, strnlen(r->remote, sizeof(r->caller) - 1));
	}
}

int
request_jobs_submit(struct request *r, job_work_fn work, job_done_fn done, void *arg)
{
	int rc;

	if (r->caller[0] == 0)
		caller_by_address(r);
	rc = jobs_submit_owned(r->srv->jobs, r->caller, &r->job, work, done, arg);
	if (rc == SP_ERR_RATE_LIMITED)
		request_header_add(r, "Retry-After", "1");
	return rc;
}

/* ---- lifecycle ---- */

void
request_connection_closed(struct request *r)
{
	if (r->evreq != NULL) {
		/*
		 * evhttp frees a request still queued on the connection right after
		 * this callback; one it detached (EOF or timeout before our reply,
		 * evcon == NULL) is left to us.
		 */
		if (evhttp_request_get_connection(r->evreq) == NULL)
			evhttp_request_free(r->evreq);
		r->evreq = NULL;
		r->evcon = NULL;
		r->gone = 1;
		request_job_drop(r);
	}
}

static void
on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	request_connection_closed(arg);
}

/*
 * Tell the connection guard (or evhttp, for a connection the guard does not
 * track) that this request no longer needs to hear of the connection closing.
 */
int
request_connection_release(struct request *r)
{
	if (r->guarded)
		return conn_request_end(r->srv, r->evcon);
	evhttp_connection_set_closecb(r->evcon, NULL, NULL);
	return 0;
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct request *r = arg;

	(void)fd;
	(void)what;
	log_event(LOG_WARN, r->id, "request deadline passed", "{s:s,s:i}", "route",
		  route_name(r->label), "timeout_ms", r->srv->cfg->server.request_timeout_ms);
	request_send_problem(r, problem_status(P_TIMEOUT), problem_code(P_TIMEOUT),
			     "The request did not finish in time.");
	request_job_drop(r);
}

void
request_peer_gone(struct request *r)
{
	struct evhttp_connection *evcon = r->evcon;

	if (evcon == NULL || r->evreq == NULL)
		return;
	log_event(LOG_INFO, r->id, "client went away before the reply", "{s:s}", "route",
		  route_name(r->label));
	/* Detach first: evhttp_connection_free() frees the request. */
	(void)request_connection_release(r);
	r->evreq = NULL;
	r->evcon = NULL;
	r->gone = 1;
	evhttp_connection_free(evcon);
	request_job_drop(r);
}

/*
 * libevent 2.1 stops reading a connection while its request is being
 * handled, so it would notice a client that left only when the reply is
 * written. For handlers that answer later, peek at the socket: EOF or an
 * error means the client is gone (request_peer_gone). Bytes waiting (a
 * pipelined request, a TLS alert) end the watch: they say nothing certain
 * about the client. The connection guard watches the connections it tracks
 * itself (conn.c's on_watch, without an epoll_ctl per request); this is for
 * the others.
 */
static void
on_peer_readable(evutil_socket_t fd, short what, void *arg)
{
	struct request *r = arg;
	char c;
	ssize_t n;

	(void)what;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		event_add(r->watch_ev, NULL);
		return;
	}
	if (n > 0)
		return;
	request_peer_gone(r);
}

static void
watch_peer(struct request *r)
{
	struct bufferevent *bev;
	evutil_socket_t fd;

	if (r->evcon == NULL || (bev = evhttp_connection_get_bufferevent(r->evcon)) == NULL ||
	    (fd = bufferevent_getfd(bev)) < 0)
		return;
	r->watch_ev = event_new(r->srv->base, fd, EV_READ, on_peer_readable, r);
	if (r->watch_ev != NULL && event_add(r->watch_ev, NULL) != 0) {
		event_free(r->watch_ev);
		r->watch_ev = NULL;
	}
}

static void
log_path_copy(char *dst, const char *src)
{
	size_t i, n = strnlen(src, LOG_PATH_MAX);

	for (i = 0; i < n; i++)
		dst[i] = (char)(src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?');
	dst[i] = '\0';
}

/*
 * A change asked for on a condition (If-Match) is made only if it holds. No
 * route that changes state gives its resource an entity tag (documents, read
 * only, carry theirs), so an If-Match naming tags can never hold there (RFC
 * 9110 13.1.1): answered 412 before the handler, where it was made as if
 * unconditional and an editor who asked to be stopped overwrote another's
 * change. "*" holds whenever the resource exists, which the handler decides.
 */
static int
if_match_holds(const struct request *r)
{
	const char *v;

	if (!(r->method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE)))
		return 1;
	v = evhttp_find_header(evhttp_request_get_input_headers(r->evreq), "If-Match");
	if (v == NULL)
		return 1;
	v += strspn(v, " \t");
	return v[0] == '*' && v[1 + strspn(v + 1, " \t")] == '\0';
}

void
request_dispatch(struct evhttp_request *req, void *server_arg)
{
	struct server *srv = server_arg;
	struct request *r;
	const struct evhttp_uri *uri;
	const char *hdr, *p, *q;
	char *addr = NULL;
	ev_uint16_t port = 0;
	struct sp_errinfo ei;
	struct timeval tv;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		evhttp_send_error(req, 503, "Service Unavailable");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	srv->inflight++;
	srv->last_activity_ms = server_now_ms();
	r->srv = srv;
	r->evreq = req;
	r->evcon = evhttp_request_get_connection(req);
	r->method = method_of(evhttp_request_get_command(req));
	hdr = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Request-Id");
	if (request_id_is_sane(hdr))
		snprintf(r->id, sizeof(r->id), "%s", hdr);
	else
		request_id_generate(r->id);
	if (r->evcon != NULL) {
		evhttp_connection_get_peer(r->evcon, &addr, &port);
		remote_set(r, addr);
		/* The guard tracks every connection it admitted; it also ends its read deadline. */
		r->guarded = conn_request_begin(srv, r->evcon, r) == 0;
		/* behind a trusted balancer, the client it named */
		(void)conn_client(srv, r->evcon, r->remote, sizeof(r->remote));
		if (!r->guarded)
			evhttp_connection_set_closecb(r->evcon, on_conn_close, r);
		else /* the body (and the copy request_body() makes) lives as long as r */
			r->budget =
				conn_request_body(srv, r->evcon,
						  evbuffer_get_length(
							  evhttp_request_get_input_buffer(req)));
	}
	if (evhttp_request_get_uri(req) == NULL) {
		/*
		 * Defensive: the connection guard (conn.c, framing.c) answers
		 * malformed framing before evhttp parses it, and libevent 2.1
		 * answers what is left of its parse failures itself; it never
		 * calls us without a URI.
		 */
		log_path_copy(r->log_path, "");
		request_header_add(r, "Connection", "close");
		if (evhttp_request_get_response_code(req) == 413)
			request_problem(r, P_PAYLOAD_TOO_LARGE,
					"The request body is larger than this server accepts.");
		else
			request_problem(r, P_INVALID, "The HTTP request is malformed.");
		return;
	}
	uri = evhttp_request_get_evhttp_uri(req);
	p = uri ? evhttp_uri_get_path(uri) : NULL;
	q = uri ? evhttp_uri_get_query(uri) : NULL;
	if (p == NULL || p[0] == '\0')
		p = "/";
	log_path_copy(r->log_path, p);
	if ((r->path = strdup(p)) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	sp_errinfo_init(&ei);
	if (q != NULL && (rc = http_query_parse(&r->query, q, &ei)) != SP_OK) {
		if (rc == SP_ERR_INVALID)
			request_problem_ei(r, P_INVALID, &ei);
		else
			request_reply_error(r, rc, NULL);
		return;
	}
	if (r->method == 0) {
		/* framing.c refused any method method_of() does not map (TRACE,
		 * CONNECT, ...) before evhttp parsed it; a request evhttp parsed
		 * another way is answered alike. No route: no Allow list. */
		request_problem(r, P_NOT_IMPLEMENTED, HTTP_METHOD_UNSUPPORTED);
		return;
	}
	sp_errinfo_init(&ei);
	if (router_match(srv->router, r->method, p, &r->match, &ei) != SP_OK) {
		request_problem_ei(r, P_INVALID_PATH, &ei);
		return;
	}
	if (r->match.status == 404) {
		request_problem(r, P_NOT_FOUND, "No route matches this path.");
		return;
	}
	r->label = r->match.named;
	if (r->match.status == 405) {
		char allow[64];
		http_methods_format(r->match.allow, allow, sizeof(allow));
		request_header_add(r, "Allow", allow);
		request_problem(r, P_METHOD_NOT_ALLOWED,
				"This path does not accept this method; see Allow.");
		return;
	}
	r->route = r->match.route;
	if (!if_match_holds(r)) {
		request_problem(r, P_PRECONDITION_FAILED,
				"If-Match names an entity tag, and this server gives none to what "
				"this request changes, so it cannot match: nothing was changed. "
				"Send the request without If-Match (or with If-Match: *).");
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > body_limit(r)) {
		request_problem(r, P_PAYLOAD_TOO_LARGE,
				"The request body is larger than this route accepts.");
		return;
	}
	if (srv->cfg->server.request_timeout_ms > 0) {
		r->deadline_ev = evtimer_new(srv->base, on_deadline, r);
		tv.tv_sec = srv->cfg->server.request_timeout_ms / 1000;
		tv.tv_usec = (srv->cfg->server.request_timeout_ms % 1000) * 1000;
		if (r->deadline_ev == NULL || evtimer_add(r->deadline_ev, &tv) != 0) {
			request_reply_error(r, SP_ERR_NOMEM, NULL);
			return;
		}
	}
	srv->current = r;
	/* its queries take turns with other callers' (db_pool_owner_set): by its address
	   until authentication names the caller */
	caller_by_address(r);
	db_pool_owner_set(srv->db, r->caller);
	route_handler(r->route)(r);
	db_pool_owner_set(srv->db, NULL);
	/* Still alive after the handler returned: it answers later. */
	if (srv->current == r) {
		srv->current = NULL;
		if (!r->guarded)
			watch_peer(r);
	}
}
