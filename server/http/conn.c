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
 * Records are indexed by socket descriptor, so every lookup is O(1) and the
 * table is bounded by RLIMIT_NOFILE; per-address counts live in an
 * open-addressing table twice the connection cap, so it never fills.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/rand.h>

#include "config.h"
#include "http_int.h"

enum conn_state { CONN_FREE = 0, CONN_IDLE, CONN_READING, CONN_BUSY };

struct conn_rec {
	struct conn_guard *g;
	struct evhttp_connection *evcon;
	struct request *req;    /* told when the connection closes under it */
	struct event *wait_ev;  /* idle: first byte or keep-alive idle limit */
	struct event *timer_ev; /* reading: head and body deadline */
	size_t ip_slot;
	int fd;
	enum conn_state state;
};

struct ip_slot {
	unsigned char addr[16]; /* IPv6, or IPv4-mapped */
	long n;                 /* 0: slot empty */
};

struct conn_guard {
	struct server *srv;
	struct conn_rec *recs; /* indexed by fd */
	int nrecs;
	struct ip_slot *ips;
	size_t ipmask; /* table size - 1, a power of two */
	uint64_t seed;
	struct bufferevent **pending; /* built, not yet looked at */
	size_t npending, cappending;
	struct event *pending_ev;
	long open, max_open, max_per_ip;
	struct timeval idle_tv, read_tv;
};

/* ---- per-address counts ---- */

static size_t
ip_hash(const struct conn_guard *g, const unsigned char a[16])
{
	uint64_t h = 1469598103934665603ULL ^ g->seed;
	int i;

	for (i = 0; i < 16; i++) {
		h ^= a[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 29));
}

/* The slot of a (found or the empty one where it belongs). */
static size_t
ip_find(const struct conn_guard *g, const unsigned char a[16])
{
	size_t i = ip_hash(g, a) & g->ipmask;

	while (g->ips[i].n != 0 && memcmp(g->ips[i].addr, a, 16) != 0)
		i = (i + 1) & g->ipmask;
	return i;
}

/* Remove slot i of a linear-probing table, moving later entries of its run back. */
static void
ip_remove(struct conn_guard *g, size_t i)
{
	size_t j = i, k;

	g->ips[i].n = 0;
	for (;;) {
		j = (j + 1) & g->ipmask;
		if (g->ips[j].n == 0)
			return;
		k = ip_hash(g, g->ips[j].addr) & g->ipmask;
		/* Entry j may fill the hole at i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		g->ips[i] = g->ips[j];
		g->ips[j].n = 0;
		i = j;
	}
}

static void
peer_key(int fd, unsigned char out[16])
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(out, 0, 16);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET6) {
		memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else if (ss.ss_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	}
}

/* ---- records ---- */

static void
rec_release(struct conn_rec *c)
{
	struct conn_guard *g = c->g;

	if (c->state == CONN_FREE)
		return;
	if (c->wait_ev != NULL)
		event_free(c->wait_ev);
	if (c->timer_ev != NULL)
		event_free(c->timer_ev);
	if (g->ips[c->ip_slot].n > 0 && --g->ips[c->ip_slot].n == 0)
		ip_remove(g, c->ip_slot);
	g->open--;
	metrics_connections_open(g->srv->metrics, g->open);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
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

/* Close a connection whose client is too slow; evhttp frees what it holds. */
static void
rec_close(struct conn_rec *c, enum conn_close why)
{
	struct evhttp_connection *evcon = c->evcon;

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
	if (c->state == CONN_READING)
		rec_close(c, CONN_CLOSED_DEADLINE);
}

static void
on_wait(evutil_socket_t fd, short what, void *arg)
{
	struct conn_rec *c = arg;

	(void)fd;
	if (c->state != CONN_IDLE)
		return;
	if (what & EV_TIMEOUT) {
		rec_close(c, CONN_CLOSED_IDLE);
		return;
	}
	/* The first byte of a request (or of the TLS handshake): its deadline runs. */
	c->state = CONN_READING;
	if (evtimer_add(c->timer_ev, &c->g->read_tv) != 0)
		rec_close(c, CONN_CLOSED_DEADLINE);
}

static void
rec_idle(struct conn_rec *c)
{
	c->state = CONN_IDLE;
	evtimer_del(c->timer_ev);
	if (event_add(c->wait_ev, &c->g->idle_tv) != 0)
		rec_close(c, CONN_CLOSED_IDLE);
}

/* Reset the connection: RST, no TIME_WAIT, nothing read or handshaken. */
static void
refuse(struct conn_guard *g, struct evhttp_connection *evcon, int fd, enum conn_close why)
{
	struct linger lg = { 1, 0 };

	(void)g;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	metrics_connection_closed(g->srv->metrics, why);
	evhttp_connection_free(evcon);
}

static void
admit(struct conn_guard *g, struct bufferevent *bev)
{
	struct evhttp_connection *evcon = NULL;
	struct conn_rec *c;
	unsigned char key[16];
	size_t slot;
	void *arg = NULL;
	int fd;

	bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
	evcon = arg;
	fd = (int)bufferevent_getfd(bev);
	if (evcon == NULL || fd < 0)
		return;
	if (fd >= g->nrecs) {
		/* Cannot happen below RLIMIT_NOFILE; refuse rather than track blindly. */
		refuse(g, evcon, fd, CONN_REFUSED_TOTAL);
		return;
	}
	c = &g->recs[fd];
	/* A record still on this descriptor belongs to a connection already gone. */
	rec_release(c);
	if (g->open >= g->max_open) {
		refuse(g, evcon, fd, CONN_REFUSED_TOTAL);
		return;
	}
	peer_key(fd, key);
	slot = ip_find(g, key);
	if (g->ips[slot].n >= g->max_per_ip) {
		refuse(g, evcon, fd, CONN_REFUSED_PER_IP);
		return;
	}
	c->wait_ev = event_new(g->srv->base, fd, EV_READ, on_wait, c);
	c->timer_ev = evtimer_new(g->srv->base, on_timer, c);
	if (c->wait_ev == NULL || c->timer_ev == NULL) {
		if (c->wait_ev != NULL)
			event_free(c->wait_ev);
		if (c->timer_ev != NULL)
			event_free(c->timer_ev);
		c->wait_ev = c->timer_ev = NULL;
		refuse(g, evcon, fd, CONN_REFUSED_TOTAL);
		return;
	}
	memcpy(g->ips[slot].addr, key, 16);
	g->ips[slot].n++;
	c->g = g;
	c->evcon = evcon;
	c->fd = fd;
	c->ip_slot = slot;
	c->state = CONN_IDLE;
	g->open++;
	metrics_connections_open(g->srv->metrics, g->open);
	evhttp_connection_set_closecb(evcon, on_close, c);
	rec_idle(c);
}

static void
on_pending(evutil_socket_t fd, short what, void *arg)
{
	struct conn_guard *g = arg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < g->npending; i++)
		admit(g, g->pending[i]);
	g->npending = 0;
}

struct bufferevent *
conn_bev_new(struct event_base *base, void *arg)
{
	struct server *srv = arg;
	struct conn_guard *g = srv->conns;
	struct bufferevent *bev;

	if (g->npending == g->cappending) {
		size_t n = g->cappending ? g->cappending * 2 : 64;
		struct bufferevent **p = realloc(g->pending, n * sizeof(*p));
		if (p == NULL)
			return NULL; /* evhttp closes the socket */
		g->pending = p;
		g->cappending = n;
	}
	if (srv->ssl_ctx != NULL)
		bev = tls_bev_new(base, srv->ssl_ctx);
	else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	g->pending[g->npending++] = bev;
	event_active(g->pending_ev, EV_TIMEOUT, 0);
	return bev;
}

static struct conn_rec *
rec_of(struct server *srv, struct evhttp_connection *evcon)
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
	struct conn_rec *c = rec_of(srv, evcon);

	if (c == NULL)
		return -1;
	c->state = CONN_BUSY;
	c->req = r;
	event_del(c->wait_ev);
	evtimer_del(c->timer_ev);
	return 0;
}

void
conn_request_end(struct server *srv, struct evhttp_connection *evcon)
{
	struct conn_rec *c = rec_of(srv, evcon);

	if (c == NULL)
		return;
	c->req = NULL;
	/* Closing instead (Connection: close) reports through on_close. */
	rec_idle(c);
}

long
conn_open_count(const struct server *srv)
{
	return srv->conns != NULL ? srv->conns->open : 0;
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
	size_t ips = 16;
	long nofile = nofile_raise(), spare = 128;
	int i, r = SP_ERR_NOMEM;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	g->srv = srv;
	g->max_open = cs->max_connections;
	g->max_per_ip = cs->max_connections_per_ip;
	if (g->max_open > nofile - spare) {
		/* Descriptors for the database, files and the listener stay free. */
		log_event(LOG_WARN, NULL, "server.max_connections lowered to the descriptor limit",
			  "{s:i,s:I}", "max_connections", cs->max_connections, "nofile",
			  (json_int_t)nofile);
		g->max_open = nofile > 2 * spare ? nofile - spare : nofile / 2;
	}
	while (ips < 2 * (size_t)g->max_open)
		ips <<= 1;
	g->ipmask = ips - 1;
	g->nrecs = (int)nofile;
	g->recs = calloc((size_t)g->nrecs, sizeof(*g->recs));
	g->ips = calloc(ips, sizeof(*g->ips));
	g->pending_ev = event_new(srv->base, -1, 0, on_pending, g);
	if (g->recs == NULL || g->ips == NULL || g->pending_ev == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory for %d connection records", g->nrecs);
		goto out;
	}
	for (i = 0; i < g->nrecs; i++)
		g->recs[i].fd = -1;
	if (RAND_bytes((unsigned char *)&g->seed, sizeof(g->seed)) != 1)
		g->seed = (uint64_t)(uintptr_t)g ^ server_now_ms();
	g->idle_tv.tv_sec = cs->keepalive_idle_ms / 1000;
	g->idle_tv.tv_usec = (cs->keepalive_idle_ms % 1000) * 1000;
	g->read_tv.tv_sec = cs->read_timeout_ms / 1000;
	g->read_tv.tv_usec = (cs->read_timeout_ms % 1000) * 1000;
	*out = g;
	g = NULL;
	r = SP_OK;
out:
	conn_guard_free(g);
	return r;
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
	free(g);
}
