/*
 * conn.c: the connection guard. Every connection evhttp accepts passes here
 * before a byte of it is read: beyond server.max_connections open
 * connections, or server.max_connections_per_ip from one address, it is
 * reset at once (no TLS handshake, no buffers) and counted in /metrics.
 *
 * libevent 2.1 has no hook with the accepted socket (no newreqcb), so the
 * guard takes the bufferevent it builds for evhttp (evhttp_set_bevcb) and
 * looks at it once evhttp has attached the socket, later in the same loop
 * turn and before anything was read: the connection is then reached through
 * the bufferevent's callback argument, which evhttp sets to it.
 *
 * Each admitted connection then lives in one of three states:
 * - idle (just accepted, or its last response sent): the first byte must
 *   come within server.keepalive_idle_ms, else the connection is closed;
 * - reading: the whole head and body of the request (and, on the first
 *   request, the TLS handshake) must arrive within server.read_timeout_ms of
 *   its first byte, however slowly they trickle in, else it is closed;
 * - busy: a handler owns a request; server.request_timeout_ms answers it.
 *
 * Every byte read for a connection passes framing.c (an evbuffer callback on
 * the bufferevent's input, which runs before evhttp's read callback): a
 * malformed head is answered here with problem+json and the connection
 * closed, so evhttp never parses it nor answers with its own HTML page.
 *
 * The framer also takes each request body's declared length from the
 * process's body budget (struct body_budget) before the body is read; a
 * connection gives back what it holds when it closes, and a dispatched
 * request takes its body's share along (conn_request_body) and gives it back
 * when it is freed, however it ends.
 *
 * A connection from a balancer in server.trusted_proxies may start with a
 * PROXY protocol header (net/proxy.h) naming the client; it comes before the
 * TLS handshake, so it is read here off the socket while the bufferevent
 * does not read (state proxy): peeked, and only the header's bytes
 * consumed, all of it within server.proxy_header_timeout_ms of the accept.
 * Until then the connection counts for no address; the client the header
 * names is then the connection's address for the per-address count, the
 * request's remote (throttles, access log, audit); a malformed or late
 * header closes the connection. Without a header the
 * connection is the balancer's own (a health check, an operator's curl).
 * From any other peer nothing is read as a header: its bytes go to TLS or
 * HTTP, which refuse them.
 *
 * Records are indexed by socket descriptor, so every lookup is O(1) and the
 * table is bounded by RLIMIT_NOFILE; per-address counts live in an
 * open-addressing table twice the connection cap, so it never fills.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "config.h"
#include "conn_int.h"

/*
 * Connections accepted in one loop turn before the listener pauses until they
 * are admitted: libevent accepts until the backlog is empty, and a flood of
 * connections would otherwise hold the loop (and every other client) for the
 * whole backlog.
 */
#define ACCEPT_BATCH 8

/* How long a refused request's answer may take to leave before the connection closes. */
#define ANSWER_LINGER_MS 2000

/*
 * Complete requests a connection may have read ahead of the one being
 * answered. libevent 2.1 keeps reading a connection while it writes a
 * response (to notice a close), with nothing consuming what arrives: a
 * client that pipelined requests and never read the answers grew the
 * process by what it sent (1.3 GB from four connections in 5 s, sec43).
 * Past this many heads the connection is not read (TCP pushes back on the
 * client); evhttp reads it again when it starts on the next request. Their
 * bodies were taken from the body budget as they were framed.
 */
#define PIPELINE_AHEAD_MAX 8

/* ---- records ---- */

/* stale: the connection is long gone (its bufferevent may be freed). */
static void
rec_release_ex(struct conn_rec *c, int stale)
{
	struct conn_guard *g = c->g;

	if (c->state == CONN_FREE)
		return;
	if (!stale && c->in_cb != NULL)
		evbuffer_remove_cb_entry(c->in, c->in_cb);
	framer_give_back(&c->fr);
	framer_free(&c->fr);
	if (c->wait_ev != NULL)
		event_free(c->wait_ev);
	if (c->watch_ev != NULL)
		event_free(c->watch_ev);
	if (c->timer_ev != NULL)
		event_free(c->timer_ev);
	if (c->pp_ev != NULL)
		event_free(c->pp_ev);
	free(c->pp);
	if (c->ip_counted)
		conn_ip_release(g, c->ip_key);
	g->open--;
	metrics_connections_open(g->srv->metrics, g->open);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void
rec_release(struct conn_rec *c)
{
	rec_release_ex(c, 0);
}

static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct conn_rec *c = arg;

	(void)evcon;
	if (c->req != NULL)
		request_connection_closed(c->req);
	rec_release(c);
}

void
conn_rec_close(struct conn_rec *c, enum conn_close why)
{
	struct evhttp_connection *evcon = c->evcon;

	if (why != CONN_CLOSE__COUNT)
		metrics_connection_closed(c->g->srv->metrics, why);
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	rec_release(c);
	evhttp_connection_free(evcon);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn_rec *c = arg;

	(void)fd;
	(void)what;
	if (c->state == CONN_PROXY) {
		log_event(LOG_INFO, NULL, "connection closed: no PROXY header in time", "{s:I}",
			  "have", (json_int_t)c->pp_have);
		conn_rec_close(c, CONN_CLOSED_PROXY);
	} else if (c->state == CONN_READING)
		conn_rec_close(c, CONN_CLOSED_DEADLINE);
	else if (c->state == CONN_ANSWERING)
		conn_rec_close(c, CONN_CLOSE__COUNT);
}

/* ---- answering malformed framing ourselves ---- */

static void
answer_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	/* Discard what the client still sends, so that closing does not reset our answer. */
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

static void
answer_written(struct bufferevent *bev, void *arg)
{
	struct conn_rec *c = arg;
	evutil_socket_t fd = bufferevent_getfd(bev);

	/* The answer is out: say so, read until the client closes or the linger ends. */
	if (fd >= 0)
		shutdown(fd, SHUT_WR);
	(void)c;
}

static void
answer_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn_rec *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		event_active(c->timer_ev, EV_TIMEOUT, 1);
}

/*
 * Answer the framing problem with problem+json and close. evhttp has not
 * seen the bad bytes (they are drained before its read callback runs); the
 * bufferevent's callbacks become ours, so evhttp hears nothing more of the
 * connection until it is freed.
 */
static void
answer(struct conn_rec *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
	struct timeval tv = { ANSWER_LINGER_MS / 1000, (ANSWER_LINGER_MS % 1000) * 1000 };
	enum problem p = c->fr.bad;
	int status = problem_status(p);
	char id[33], *text = NULL;
	json_t *doc;

	request_id_generate(id);
	metrics_connection_closed(c->g->srv->metrics,
				  p == P_BUSY ? CONN_REFUSED_BODIES : CONN_CLOSED_FRAMING);
	log_event(LOG_INFO, id,
		  p == P_BUSY ? "request refused: body budget taken"
			      : "request refused: malformed framing",
		  "{s:i,s:s,s:s}", "status", status, "code", problem_code(p), "detail",
		  c->fr.detail);
	c->state = CONN_ANSWERING;
	event_del(c->wait_ev);
	event_del(c->watch_ev);
	evtimer_del(c->timer_ev);
	if (evtimer_add(c->timer_ev, &tv) != 0 || bev == NULL) {
		conn_rec_close(c, CONN_CLOSE__COUNT);
		return;
	}
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	bufferevent_setcb(bev, answer_read, answer_written, answer_event, c);
	doc = problem_json(status, problem_code(p), c->fr.detail, id);
	if (doc != NULL)
		text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	evbuffer_add_printf(bufferevent_get_output(bev),
			    "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\nX-Request-Id: %s\r\n%s"
			    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n%s",
			    status, http_status_text(status), text ? strlen(text) : 0, id,
			    status == 503 ? "Retry-After: 1\r\n" : "", text ? text : "");
	free(text);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/*
 * busy: libevent 2.1 stops reading a connection while its request is being
 * handled, so it would notice a client that left only when the reply is
 * written. For handlers that answer later, the watch peeks at the socket
 * when it becomes readable: EOF or an error means the client is gone, and
 * request_peer_gone() frees the connection now (evhttp frees the request
 * with it) instead of after the database or job is done. Bytes waiting (a
 * pipelined request, a TLS alert) end the watch: they say nothing certain
 * about the client.
 *
 * The watch is armed while evhttp still reads the request (on_input, once
 * its last byte is in, before evhttp stops reading) and ended once the idle
 * wait is on again (rec_idle): the socket never goes without a read event
 * in between, so libevent's changelist has nothing to tell epoll. Armed
 * after evhttp stopped reading, and ended before the idle wait was on, it
 * cost an epoll_ctl each (two per request, server.c's changelist merging a
 * delete and an add into one EPOLL_CTL_MOD).
 */
static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct conn_rec *c = arg;
	char b;
	ssize_t n;

	(void)what;
	if (c->state != CONN_BUSY || c->req == NULL)
		return;
	n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		event_add(c->watch_ev, NULL);
		return;
	}
	if (n > 0)
		return;
	request_peer_gone(c->req);
}

/*
 * The watch for a request whose bytes are all in (its head complete and its
 * body read: evhttp dispatches it in this very read), armed now, while the
 * bufferevent still reads the socket.
 */
static void
watch_arm_early(struct conn_rec *c)
{
	if (c->fr.heads > c->dispatched && c->fr.body_left == 0 &&
	    !event_pending(c->watch_ev, EV_READ, NULL))
		event_add(c->watch_ev, NULL);
}

/*
 * Every byte read for the connection, before evhttp's read callback runs:
 * the framer checks it; the first malformed byte ends the connection's
 * requests.
 */
static void
on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn_rec *c = arg;
	struct evbuffer_iovec vec[8];
	struct evbuffer_ptr pos;
	size_t len, from, done;
	int nv, i, bad = 0;

	if (c->state == CONN_FREE || c->state == CONN_ANSWERING || c->doomed || info->n_added == 0)
		return;
	len = evbuffer_get_length(buf);
	if (info->n_added > len)
		return; /* cannot happen: callbacks run after each change */
	from = len - info->n_added;
	/*
	 * evhttp keeps a Content-Length body in this buffer until all of it is
	 * in, so the body's new bytes are passed without finding them: finding a
	 * position walks the buffer's chains from the first, and doing that for
	 * every read of a 43 MB body cost 1.2 s of CPU (quadratic in its size).
	 */
	done = framer_skip_body(&c->fr, info->n_added);
	while (done < info->n_added && !bad) {
		if (evbuffer_ptr_set(buf, &pos, from + done, EVBUFFER_PTR_SET) != 0)
			break;
		nv = evbuffer_peek(buf, (ev_ssize_t)(info->n_added - done), &pos, vec, 8);
		if (nv <= 0)
			break;
		for (i = 0; i < nv && i < 8 && done < info->n_added && !bad; i++) {
			size_t k = vec[i].iov_len < info->n_added - done ? vec[i].iov_len
									 : info->n_added - done;
			bad = framer_feed(&c->fr, vec[i].iov_base, k);
			done += k;
		}
	}
	if (!bad) {
		watch_arm_early(c);
		if (c->fr.heads - c->dispatched > PIPELINE_AHEAD_MAX)
			bufferevent_disable(evhttp_connection_get_bufferevent(c->evcon), EV_READ);
		return;
	}
	c->doomed = 1;
	/*
	 * A handler owns a request, or a sound request read before the bad bytes
	 * waits for one: its reply says Connection: close (conn_request_end).
	 */
	if (c->state != CONN_BUSY && c->fr.heads == c->dispatched)
		answer(c);
}

static void
on_wait(evutil_socket_t fd, short what, void *arg)
{
	struct conn_rec *c = arg;

	(void)fd;
	if (c->state == CONN_PROXY) {
		/* the header's deadline runs from the accept (conn_proxy_begin) */
		conn_proxy_step(c);
		return;
	}
	if (c->state != CONN_IDLE)
		return;
	if (what & EV_TIMEOUT) {
		conn_rec_close(c, CONN_CLOSED_IDLE);
		return;
	}
	/* The first byte of a request (or of the TLS handshake): its deadline runs. */
	c->state = CONN_READING;
	if (evtimer_add(c->timer_ev, &c->g->read_tv) != 0)
		conn_rec_close(c, CONN_CLOSED_DEADLINE);
}

void
conn_rec_idle(struct conn_rec *c)
{
	c->state = CONN_IDLE;
	evtimer_del(c->timer_ev);
	if (event_add(c->wait_ev, &c->g->idle_tv) != 0) {
		conn_rec_close(c, CONN_CLOSED_IDLE);
		return;
	}
	/* after the idle wait is on the socket: its interest never drops to nothing */
	event_del(c->watch_ev);
}

/* Reset the connection: RST, no TIME_WAIT, nothing read or handshaken. */
static void
refuse(struct conn_guard *g, struct evhttp_connection *evcon, int fd, enum conn_close why)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	metrics_connection_closed(g->srv->metrics, why);
	evhttp_connection_free(evcon);
}

static void
admit(struct conn_guard *g, struct bufferevent *bev, int broken)
{
	struct evhttp_connection *evcon = NULL;
	struct conn_rec *c;
	unsigned char key[16];
	void *arg = NULL;
	int fd, trusted;

	bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
	evcon = arg;
	fd = (int)bufferevent_getfd(bev);
	if (evcon == NULL || fd < 0)
		return;
	if (fd >= g->nrecs || broken) {
		/* Cannot happen below RLIMIT_NOFILE; refuse rather than track blindly. */
		refuse(g, evcon, fd, CONN_REFUSED_TOTAL);
		return;
	}
	c = &g->recs[fd];
	/* A record still on this descriptor belongs to a connection already gone. */
	rec_release_ex(c, 1);
	if (g->open >= g->max_open) {
		refuse(g, evcon, fd, CONN_REFUSED_TOTAL);
		return;
	}
	conn_peer_key(fd, key);
	/*
	 * A trusted balancer's connection is nobody's until its header says
	 * whose (conn_proxy.c): counted for the balancer, a few clients that
	 * connect and send nothing would use up its cap for every other client
	 * behind it. The header's deadline bounds how long that lasts.
	 */
	trusted = proxy_trust_has(&g->trust, key);
	if (!trusted && conn_ip_count(g, key) >= g->max_per_ip) {
		refuse(g, evcon, fd, CONN_REFUSED_PER_IP);
		return;
	}
	struct event *wait_ev = event_new(g->srv->base, fd, EV_READ, on_wait, c);
	struct event *watch_ev = event_new(g->srv->base, fd, EV_READ, on_watch, c);
	struct event *timer_ev = evtimer_new(g->srv->base, on_timer, c);

	c->wait_ev = wait_ev;
	c->watch_ev = watch_ev;
	c->timer_ev = timer_ev;
	if (c->wait_ev == NULL || c->watch_ev == NULL || c->timer_ev == NULL) {
		if (c->wait_ev != NULL)
			event_free(c->wait_ev);
		if (c->watch_ev != NULL)
			event_free(c->watch_ev);
		if (c->timer_ev != NULL)
			event_free(c->timer_ev);
		c->wait_ev = c->watch_ev = c->timer_ev = NULL;
		refuse(g, evcon, fd, CONN_REFUSED_TOTAL);
		return;
	}
	c->g = g;
	c->evcon = evcon;
	c->fd = fd;
	memcpy(c->ip_key, key, 16);
	c->state = CONN_IDLE;
	c->in = bufferevent_get_input(bev);
	framer_init(&c->fr, g->srv->cfg->server.max_header_bytes, g->max_body, &g->srv->bodies);
	if ((c->in_cb = evbuffer_add_cb(c->in, on_input, c)) == NULL) {
		/* Unchecked framing is not served. */
		event_free(c->wait_ev);
		event_free(c->watch_ev);
		event_free(c->timer_ev);
		memset(c, 0, sizeof(*c));
		c->fd = -1;
		refuse(g, evcon, fd, CONN_REFUSED_TOTAL);
		return;
	}
	/*
	 * Counted for its address only once nothing can refuse it any more: a
	 * refusal above gives no count back (one left behind by each failed
	 * evbuffer_add_cb added up until the address was refused for good).
	 */
	if (!trusted) {
		(void)conn_ip_take(g, key); /* cannot fail: checked above, nothing counted since */
		c->ip_counted = 1;
	}
	g->open++;
	metrics_connections_open(g->srv->metrics, g->open);
	evhttp_connection_set_closecb(evcon, on_close, c);
	if (trusted)
		conn_proxy_begin(c, bev);
	else
		conn_rec_idle(c);
}

static void
on_pending(evutil_socket_t fd, short what, void *arg)
{
	struct conn_guard *g = arg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < g->npending; i++)
		admit(g, g->pending[i].bev, g->pending[i].broken);
	g->npending = 0;
	g->batch = 0;
	if (g->paused) {
		g->paused = 0;
		/* NULL once draining closed the listener. */
		if (g->srv->bound != NULL)
			evconnlistener_enable(evhttp_bound_socket_get_listener(g->srv->bound));
	}
}

struct bufferevent *
conn_bev_new(struct event_base *base, void *arg)
{
	struct server *srv = arg;
	struct conn_guard *g = srv->conns;
	struct bufferevent *bev = NULL;
	int broken = 0;

	if (g->npending == g->cappending) {
		size_t n = g->cappending * 2;
		struct pending *p = realloc(g->pending, n * sizeof(*p));

		if (p != NULL) {
			g->pending = p;
			g->cappending = n;
		}
	}
	if (srv->ssl_ctx != NULL)
		bev = tls_bev_new(base, srv->ssl_ctx);
	if (bev == NULL) {
		/*
		 * Never NULL on a TLS port: evhttp would build a plain bufferevent
		 * and serve cleartext there. A socket bufferevent that admission
		 * refuses before it reads anything instead.
		 */
		broken = srv->ssl_ctx != NULL;
		if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
			return NULL;
	}
	if (g->npending == g->cappending) {
		/* Out of memory past the preallocated queue: serve unguarded, never cleartext. */
		log_event(LOG_WARN, NULL, "connection admission queue full", NULL);
		if (broken) {
			bufferevent_free(bev);
			return NULL;
		}
		return bev;
	}
	g->pending[g->npending].bev = bev;
	g->pending[g->npending].broken = broken;
	g->npending++;
	event_active(g->pending_ev, EV_TIMEOUT, 0);
	if (++g->batch >= ACCEPT_BATCH && !g->paused && srv->bound != NULL) {
		/* Stops libevent's accept loop after this connection; on_pending resumes it. */
		g->paused = 1;
		evconnlistener_disable(evhttp_bound_socket_get_listener(srv->bound));
	}
	return bev;
}

struct conn_rec *
conn_rec_of(struct server *srv, struct evhttp_connection *evcon)
{
	struct bufferevent *bev;
	int fd;

	if (srv->conns == NULL || evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    (fd = (int)bufferevent_getfd(bev)) < 0 || fd >= srv->conns->nrecs ||
	    srv->conns->recs[fd].evcon != evcon)
		return NULL;
	return &srv->conns->recs[fd];
}

int
conn_request_begin(struct server *srv, struct evhttp_connection *evcon, struct request *r)
{
	struct conn_rec *c = conn_rec_of(srv, evcon);

	if (c == NULL)
		return -1;
	c->state = CONN_BUSY;
	c->req = r;
	c->dispatched++;
	/* the watch first (on_input armed it as the request's last bytes came in; here
	   when it did not): the socket's interest in epoll stays as it was */
	if (!event_pending(c->watch_ev, EV_READ, NULL))
		event_add(c->watch_ev, NULL);
	event_del(c->wait_ev);
	evtimer_del(c->timer_ev);
	return 0;
}

uint64_t
conn_request_body(struct server *srv, struct evhttp_connection *evcon, size_t body_len)
{
	struct conn_rec *c = conn_rec_of(srv, evcon);

	return c != NULL ? framer_hand_over(&c->fr, body_len) : 0;
}

int
conn_request_end(struct server *srv, struct evhttp_connection *evcon)
{
	struct conn_rec *c = conn_rec_of(srv, evcon);

	if (c == NULL)
		return 0;
	c->req = NULL;
	if (c->doomed)
		return 1; /* evhttp closes the connection after this reply */
	/* Closing instead (Connection: close) reports through on_close. */
	conn_rec_idle(c);
	return 0;
}

/* Soft RLIMIT_NOFILE up to the hard limit; returns the soft limit now in force. */
static long
nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20) ? (1L << 20)
									: (long)rl.rlim_cur;
}

int
conn_guard_new(struct server *srv, struct conn_guard **out, struct sp_errinfo *ei)
{
	const struct config_server *cs = &srv->cfg->server;
	struct conn_guard *g;
	long nofile = nofile_raise(), spare = 128;
	int i, r = SP_ERR_NOMEM;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	g->srv = srv;
	g->max_open = cs->max_connections;
	g->max_per_ip = cs->max_connections_per_ip;
	g->max_body = cs->max_upload_bytes > cs->max_body_bytes ? cs->max_upload_bytes
								: cs->max_body_bytes;
	if (g->max_open > nofile - spare) {
		/* Descriptors for the database, files and the listener stay free. */
		log_event(LOG_WARN, NULL, "server.max_connections lowered to the descriptor limit",
			  "{s:i,s:I}", "max_connections", cs->max_connections, "nofile",
			  (json_int_t)nofile);
		g->max_open = nofile > 2 * spare ? nofile - spare : nofile / 2;
	}
	g->nrecs = (int)nofile;
	g->recs = calloc((size_t)g->nrecs, sizeof(*g->recs));
	g->pending_ev = event_new(srv->base, -1, 0, on_pending, g);
	/* One loop turn accepts at most about a listen backlog (1024) of connections. */
	g->cappending = 2048;
	g->pending = calloc(g->cappending, sizeof(*g->pending));
	if ((r = conn_ip_table_init(g, g->max_open, ei)) != SP_OK)
		goto out;
	if (g->recs == NULL || g->pending_ev == NULL || g->pending == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory for %d connection records", g->nrecs);
		goto out;
	}
	for (i = 0; i < g->nrecs; i++)
		g->recs[i].fd = -1;
	g->idle_tv.tv_sec = cs->keepalive_idle_ms / 1000;
	g->idle_tv.tv_usec = (cs->keepalive_idle_ms % 1000) * 1000;
	g->read_tv.tv_sec = cs->read_timeout_ms / 1000;
	g->read_tv.tv_usec = (cs->read_timeout_ms % 1000) * 1000;
	g->proxy_tv.tv_sec = cs->proxy_header_timeout_ms / 1000;
	g->proxy_tv.tv_usec = (cs->proxy_header_timeout_ms % 1000) * 1000;
	if ((r = proxy_trust_parse(cs->trusted_proxies, &g->trust, ei)) != SP_OK) {
		sp_errinfo_prefix(ei, "server.trusted_proxies");
		goto out;
	}
	*out = g;
	g = NULL;
	r = SP_OK;
out:
	conn_guard_free(g);
	return r;
}

long
conn_guard_open(const struct conn_guard *g)
{
	return g != NULL ? g->open : 0;
}

void
conn_guard_free(struct conn_guard *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; g->recs != NULL && i < g->nrecs; i++)
		if (g->recs[i].state != CONN_FREE)
			rec_release(&g->recs[i]);
	if (g->pending_ev != NULL)
		event_free(g->pending_ev);
	free(g->pending);
	free(g->recs);
	free(g->ips);
	proxy_trust_cleanup(&g->trust);
	free(g);
}
