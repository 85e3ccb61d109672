/*
 * conn_proxy.c: the PROXY protocol header of a balancer in
 * server.trusted_proxies, read by the connection guard before TLS or HTTP
 * see a byte. The connection's bufferevent is stopped (no TLS handshake, no
 * read) while the header is peeked at on the bare socket, and only what the
 * parser (net/proxy.c) says is surely header is consumed: the bytes after
 * it are the ClientHello or the request. Until the header is read the
 * connection counts for no address (only in server.max_connections), and
 * it must be read within server.proxy_header_timeout_ms of the accept, or
 * the connection is closed. A header naming a client makes the connection
 * one of the client's (its per-address count, the address of its requests:
 * conn_client); no header leaves the balancer's own connection (its health
 * check); a malformed one closes it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "conn_int.h"

/*
 * A balancer's connection whose first bytes may still be "POST" or
 * "PROXY " is peeked again after this long: they cannot be consumed before
 * the parser knows, and the socket stays readable until they are.
 */
#define PROXY_REPEEK_MS 10

/* The header is read (h: what it says; NULL: there was none): serve the connection. */
static void
proxy_end(struct conn_rec *c, const struct proxy_header *h)
{
	struct conn_guard *g = c->g;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);

	free(c->pp);
	c->pp = NULL;
	event_free(c->pp_ev);
	c->pp_ev = NULL;
	/*
	 * The connection counts from now: the client's the header names, or
	 * without one (a health check, a LOCAL header) the balancer's own.
	 */
	if (h != NULL && h->family != 0) {
		memcpy(c->ip_key, h->addr, 16);
		c->proxied = 1;
	}
	if (conn_ip_take(g, c->ip_key) != 0) {
		conn_rec_close(c, CONN_REFUSED_PER_IP);
		return;
	}
	c->ip_counted = 1;
	conn_rec_idle(c);
	/* TLS handshakes, or evhttp reads, from here on */
	if (c->state == CONN_IDLE && bev != NULL)
		bufferevent_enable(bev, c->pp_enabled);
}

/* Take k bytes already peeked at c->pp + c->pp_have off the socket. */
static int
proxy_consume(struct conn_rec *c, size_t k)
{
	ssize_t n;

	do
		n = recv(c->fd, c->pp + c->pp_have, k, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != k)
		return -1;
	c->pp_have += k;
	return 0;
}

/*
 * Peek at what the balancer sent, consume what is surely header, and go on
 * once the parser knows: the client (a header), the balancer itself (no
 * header), or a close (a malformed one).
 */
void
conn_proxy_step(struct conn_rec *c)
{
	struct proxy_header h;
	size_t have = c->pp_have;
	ssize_t n;
	int r;

	n = recv(c->fd, c->pp + have, PROXY_HEADER_MAX - have, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		if (event_add(c->wait_ev, NULL) != 0)
			conn_rec_close(c, CONN_CLOSED_DEADLINE);
		return;
	}
	if (n <= 0) {
		conn_rec_close(c, CONN_CLOSE__COUNT); /* gone before its header */
		return;
	}
	r = proxy_header_parse(c->pp, have + (size_t)n, &h);
	if (r == PROXY_NONE && have != 0) {
		/* cannot happen: bytes are consumed only once they are surely a header's */
		r = PROXY_BAD;
		h.detail = "PROXY header: the parser changed its mind";
	}
	switch (r) {
	case PROXY_NONE:
		proxy_end(c, NULL);
		return;
	case PROXY_MORE:
		if (h.len > have) {
			if (proxy_consume(c, h.len - have) != 0 || event_add(c->wait_ev, NULL) != 0)
				conn_rec_close(c, CONN_CLOSED_PROXY);
			return;
		}
		/* "P", "PRO": a request or a header; the socket stays readable meanwhile */
		{
			struct timeval tv = { 0, PROXY_REPEEK_MS * 1000 };

			if (evtimer_add(c->pp_ev, &tv) != 0)
				conn_rec_close(c, CONN_CLOSED_PROXY);
		}
		return;
	case PROXY_DONE:
		if (proxy_consume(c, h.len - have) != 0) {
			conn_rec_close(c, CONN_CLOSED_PROXY);
			return;
		}
		proxy_end(c, &h);
		return;
	default:
		log_event(LOG_INFO, NULL, "connection closed: malformed PROXY header", "{s:s}",
			  "detail", h.detail);
		conn_rec_close(c, CONN_CLOSED_PROXY);
		return;
	}
}

static void
on_repeek(evutil_socket_t fd, short what, void *arg)
{
	struct conn_rec *c = arg;

	(void)fd;
	(void)what;
	if (c->state == CONN_PROXY)
		conn_proxy_step(c);
}

void
conn_proxy_begin(struct conn_rec *c, struct bufferevent *bev)
{
	c->state = CONN_PROXY;
	c->pp = malloc(PROXY_HEADER_MAX);
	c->pp_ev = evtimer_new(c->g->srv->base, on_repeek, c);
	/* the whole header within server.proxy_header_timeout_ms of the accept */
	if (c->pp == NULL || c->pp_ev == NULL || event_add(c->wait_ev, NULL) != 0 ||
	    evtimer_add(c->timer_ev, &c->g->proxy_tv) != 0) {
		conn_rec_close(c, CONN_REFUSED_TOTAL);
		return;
	}
	c->pp_enabled = bufferevent_get_enabled(bev);
	bufferevent_disable(bev, EV_READ | EV_WRITE);
}

int
conn_client(struct server *srv, struct evhttp_connection *evcon, char *out, size_t cap)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct conn_rec *c = conn_rec_of(srv, evcon);
	char text[INET6_ADDRSTRLEN];
	int v4;

	if (c == NULL || !c->proxied)
		return 0;
	v4 = memcmp(c->ip_key, v4mapped, 12) == 0;
	if (inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? c->ip_key + 12 : c->ip_key, text,
		      sizeof(text)) == NULL)
		return 0;
	snprintf(out, cap, "%s", text);
	return 1;
}
