/*
 * reply.c: a request's one reply. The response head every answer carries,
 * problem+json for the refusals, the record in /metrics and the access log,
 * and the context freed after it (request.c built it).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "request_int.h"

/* A reply up to this size (head and body) leaves as one TLS record: its maximum plaintext. */
#define REPLY_RECORD_MAX 16384

static double
elapsed_s(const struct request *r)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - r->t0.tv_sec) + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
}

/*
 * Health probes arrive every few seconds from load balancers and monitors:
 * one info line each would drown the log. They are counted in /metrics and
 * logged at debug (still at warn when they fail with a 5xx).
 */
static int
probe_path(const char *path)
{
	return strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
	       strcmp(path, "/metrics") == 0;
}

static void
record(struct request *r, int status, size_t bytes)
{
	double s = elapsed_s(r);
	size_t idx = r->label ? route_index(r->label) : router_count(r->srv->router);

	if (metrics_observe(r->srv->metrics, idx, r->method, status, s) != SP_OK)
		log_event(LOG_WARN, r->id, "metrics table full", NULL);
	if (r->srv->cfg->log.access_log)
		log_access(status >= 500             ? LOG_WARN
			   : probe_path(r->log_path) ? LOG_DEBUG
						     : LOG_INFO,
			   r->id, http_method_name(r->method), route_name(r->label), r->log_path,
			   status, s * 1000.0, (long long)bytes, r->remote);
}

/*
 * Write a reply evhttp has just queued on bev in this loop turn, and a small
 * one as one TLS record.
 *
 * libevent 2.1 writes a socket bufferevent's output only when its write
 * event fires: queuing the reply adds that event, so the reply left in the
 * next loop turn, after an epoll_ctl to watch for EPOLLOUT, an epoll_wait
 * that returns at once, and another epoll_ctl to stop watching. The socket
 * is writable (a reply follows the request it answers), so the write event
 * is made active now instead: libevent's own write callback runs later in
 * this turn and does what it would have done a turn later (the TLS state,
 * a short write, evhttp's write-done callback all as before); with the
 * changelist (server.c) the event's add and del then cancel out. There is
 * no public call for it (bufferevent_flush() is a no-op for
 * bufferevent_openssl in 2.1: "XXXX Implement this"), hence ev_write from
 * event2/bufferevent_struct.h, whose layout is fixed within libevent 2.1.
 * Only a write event already pending is activated: one libevent added
 * because there is output and the connection is open for writing.
 *
 * bufferevent_openssl passes each chunk of the output evbuffer to its own
 * SSL_write, so evhttp's head and body went out as two records (two write()
 * calls, two MACs, 22 more bytes); pulled up into one chunk they are one.
 */
static void
reply_flush(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t n = evbuffer_get_length(out);

	if (n == 0)
		return;
	if (n <= REPLY_RECORD_MAX && bufferevent_openssl_get_ssl(bev) != NULL)
		(void)evbuffer_pullup(out, -1);
	if (event_pending(&bev->ev_write, EV_WRITE, NULL))
		event_active(&bev->ev_write, EV_WRITE, 1);
}

/* Put the response on the wire once; afterwards evreq belongs to evhttp again. */
/*
 * 1 when a Connection header of in lists the "close" option. Connection is
 * a comma-separated list (RFC 9110 7.6.1) and a server that receives
 * "close" closes after its response (RFC 9112 9.6); libevent 2.1 closes
 * only for a header that is exactly "close", and kept "close, TE" open.
 */
static int
close_asked(struct evkeyvalq *in)
{
	struct evkeyval *kv;
	const char *p, *e;

	/* every Connection header in the order received (evhttp_find_header finds the first) */
	for (kv = in->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Connection") != 0)
			continue;
		for (p = kv->value; *p != '\0'; p = *e == ',' ? e + 1 : e) {
			p += strspn(p, " \t");
			e = p + strcspn(p, ",");
			if (strncasecmp(p, "close", 5) == 0 &&
			    strspn(p + 5, " \t") == (size_t)(e - p - 5))
				return 1;
		}
	}
	return 0;
}

static void
send_response(struct request *r, int status, const char *ctype, const void *data, size_t len)
{
	struct evkeyvalq *h;
	struct evbuffer *buf;
	struct bufferevent *bev;
	char clen[32];

	if (r->answered)
		return;
	r->answered = 1;
	if (r->watch_ev != NULL) {
		event_free(r->watch_ev);
		r->watch_ev = NULL;
	}
	if (r->evreq == NULL) {
		/* nginx's 499: the client closed the connection before the answer. */
		record(r, 499, 0);
		return;
	}
	h = evhttp_request_get_output_headers(r->evreq);
	evhttp_remove_header(h, "Content-Type");
	evhttp_remove_header(h, "Content-Length");
	evhttp_add_header(h, "Content-Type", ctype);
	snprintf(clen, sizeof(clen), "%zu", len);
	evhttp_add_header(h, "Content-Length", clen);
	evhttp_add_header(h, "X-Request-Id", r->id);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (r->srv->draining || close_asked(evhttp_request_get_input_headers(r->evreq))) {
		/* Draining: finish this exchange, then let the client go elsewhere. */
		evhttp_remove_header(h, "Connection");
		evhttp_add_header(h, "Connection", "close");
	}
	buf = evbuffer_new();
	/*
	 * A response to HEAD has the GET's head, Content-Length included, and no
	 * content (RFC 9110 9.3.2): evhttp 2.1 would write the body after it, which
	 * a client or a proxy reusing the connection reads as the start of the next
	 * response (sec35).
	 */
	if (evhttp_request_get_command(r->evreq) == EVHTTP_REQ_HEAD)
		len = 0;
	if (buf == NULL || (len > 0 && evbuffer_add(buf, data, len) != 0)) {
		if (buf != NULL)
			evbuffer_free(buf);
		status = 500;
		buf = NULL;
		evhttp_remove_header(h, "Content-Length");
		evhttp_add_header(h, "Content-Length", "0");
		len = 0;
	}
	if (r->evcon != NULL && request_connection_release(r)) {
		/* What the client sent after this request is malformed: stop here. */
		evhttp_remove_header(h, "Connection");
		evhttp_add_header(h, "Connection", "close");
	}
	bev = r->evcon != NULL ? evhttp_connection_get_bufferevent(r->evcon) : NULL;
	evhttp_send_reply(r->evreq, status, http_status_text(status), buf);
	if (buf != NULL)
		evbuffer_free(buf);
	if (bev != NULL)
		reply_flush(bev);
	r->evreq = NULL;
	r->evcon = NULL;
	r->srv->last_activity_ms = server_now_ms();
	record(r, status, len);
}

void
request_send_problem(struct request *r, int status, const char *code, const char *detail)
{
	json_t *doc = problem_json(status, code, detail, r->id);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	if (status == 503 && r->evreq != NULL)
		request_header_add(r, "Retry-After", "1");
	if (text != NULL)
		send_response(r, status, "application/problem+json", text, strlen(text));
	else
		send_response(r, 500, "text/plain", "", 0);
	free(text);
	json_decref(doc);
}

void
request_free(struct request *r)
{
	struct server *srv = r->srv;

	if (r->deadline_ev != NULL)
		event_free(r->deadline_ev);
	if (r->watch_ev != NULL)
		event_free(r->watch_ev);
	if (srv->current == r)
		srv->current = NULL;
	http_query_cleanup(&r->query);
	free(r->path);
	free(r->body);
	body_budget_give(&srv->bodies, r->budget);
	free(r);
	srv->inflight--;
	srv->last_activity_ms = server_now_ms();
}

void
request_reply_data(struct request *r, int status, const char *content_type, const void *data,
		   size_t len)
{
	send_response(r, status, content_type, data, len);
	request_free(r);
}

void
request_problem(struct request *r, enum problem p, const char *detail)
{
	request_send_problem(r, problem_status(p), problem_code(p), detail);
	request_free(r);
}

void
request_problem_ei(struct request *r, enum problem p, const struct sp_errinfo *ei)
{
	const char *code = ei != NULL && ei->reason[0] != '\0' ? ei->reason : problem_code(p);

	request_send_problem(r, problem_status(p), code,
			     ei != NULL && ei->msg[0] != '\0' ? ei->msg : NULL);
	request_free(r);
}

void
request_problem_upstream(struct request *r, enum problem p, const struct sp_errinfo *ei)
{
	log_event(LOG_WARN, r->id, "upstream failed", "{s:s,s:s,s:s}", "route",
		  route_name(r->label), "problem", problem_code(p), "detail",
		  ei != NULL && ei->msg[0] != '\0' ? ei->msg : "");
	request_send_problem(r, problem_status(p), problem_code(p), problem_fixed_detail(p));
	request_free(r);
}

void
request_reply_error(struct request *r, int code, const struct sp_errinfo *ei)
{
	struct problem_map pm;

	problem_map(code, ei, &pm);
	if (pm.status >= 500)
		log_event(LOG_ERROR, r->id, "request failed", "{s:s,s:s,s:s,s:s}", "route",
			  route_name(r->label), "error", sp_errname(code), "detail",
			  ei && ei->msg[0] ? ei->msg : sp_strerror(code), "sqlstate",
			  ei ? ei->sqlstate : "");
	else if (pm.pg_detail != NULL) /* the client sees pm.detail; the operator this */
		log_event(LOG_INFO, r->id, "database refused the request", "{s:s,s:s,s:s}", "route",
			  route_name(r->label), "detail", ei->msg, "sqlstate", ei->sqlstate);
	request_send_problem(r, pm.status, pm.code, pm.detail);
	request_free(r);
}

void
request_reply_job_error(struct request *r, int rc, const struct sp_errinfo *ei, enum problem input)
{
	enum problem p = problem_for_job(rc, ei, input);

	if (p == P__COUNT)
		request_reply_error(r, rc, ei);
	else
		request_problem_ei(r, p, ei);
}
