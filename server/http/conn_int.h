/*
 * conn_int.h: the connection guard's records, shared by conn.c (admission
 * and the states of a connection), conn_ips.c (per-address counts) and
 * conn_proxy.c (a trusted balancer's PROXY header). Nothing else sees them.
 */
#ifndef SP_CONN_INT_H
#define SP_CONN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "http_int.h"
#include "proxy.h"
#include "siphash.h"

struct bufferevent;
struct event;
struct evbuffer;
struct evbuffer_cb_entry;

/*
 * proxy: a trusted balancer's connection before its header is read;
 * idle: waiting for the first byte of a request; reading: its head and body
 * under the read deadline; busy: a handler owns it; answering: a refusal
 * of malformed framing goes out.
 */
enum conn_state { CONN_FREE = 0, CONN_PROXY, CONN_IDLE, CONN_READING, CONN_BUSY, CONN_ANSWERING };

struct conn_rec {
	struct conn_guard *g;
	struct evhttp_connection *evcon;
	struct request *req;    /* told when the connection closes under it */
	struct event *wait_ev;  /* idle: first byte or keep-alive idle limit */
	struct event *watch_ev; /* busy: the client leaving while its request is handled */
	struct event *timer_ev; /* reading: head and body deadline */
	struct evbuffer *in;    /* the bufferevent's input, watched by on_input */
	struct evbuffer_cb_entry *in_cb;
	struct http_framer fr;
	/*
	 * The address counted in g->ips: looked up again on release, since
	 * removing another address moves entries of the probe run.
	 */
	unsigned char ip_key[16];
	/* proxy: the header read so far (PROXY_HEADER_MAX bytes), the re-peek
	   timer and the bufferevent's enabled events to give back */
	unsigned char *pp;
	size_t pp_have;
	struct event *pp_ev;
	short pp_enabled;
	int proxied;    /* ip_key is the client a trusted balancer named */
	int ip_counted; /* ip_key holds one of g->ips' counts (not while proxy) */
	int fd;
	int doomed;               /* the framing went wrong: no further request is read */
	unsigned long dispatched; /* requests handed to a handler (cf. fr.heads) */
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
	size_t ipmask;                        /* table size - 1, a power of two */
	unsigned char ipkey[SIPHASH_KEY_LEN]; /* ips' hash key, drawn at start-up */
	struct pending {
		struct bufferevent *bev;
		int broken; /* its TLS state could not be built: refuse it */
	} * pending;        /* built, not yet looked at */
	size_t npending, cappending;
	struct event *pending_ev;
	int batch;  /* connections built since the last admission */
	int paused; /* the listener waits for the admission of a batch */
	long open, max_open, max_per_ip;
	struct proxy_trust trust; /* server.trusted_proxies */
	uint64_t max_body;        /* the largest body any route takes */
	struct timeval idle_tv, read_tv, proxy_tv;
};

/* ---- conn.c ---- */

/* Close a connection; evhttp frees what it holds. why CONN_CLOSE__COUNT: counted before. */
void conn_rec_close(struct conn_rec *c, enum conn_close why);
/* The connection waits for a request (keep-alive idle limit); may close it. */
void conn_rec_idle(struct conn_rec *c);
/* The record of evcon, NULL when the guard does not track it. */
struct conn_rec *conn_rec_of(struct server *srv, struct evhttp_connection *evcon);

/* ---- conn_ips.c: per-address counts ---- */

/*
 * g's table of per-address counts, empty, with room for max_open
 * connections (twice as many slots, a power of two) and its hash key drawn
 * at random. SP_OK, SP_ERR_NOMEM, or SP_ERR_INTERNAL without randomness.
 */
int conn_ip_table_init(struct conn_guard *g, long max_open, struct sp_errinfo *ei) SP_WUR;
/* Slots a lookup of address a reads before it finds a (or its empty slot): 1 at best. */
size_t conn_ip_probes(const struct conn_guard *g, const unsigned char a[16]);

/* The peer of fd as 16 bytes (IPv4 as IPv4-mapped); zeros when unknown. */
void conn_peer_key(int fd, unsigned char out[16]);
/* Connections of address a now open (an IPv6 address: of its /64, conn_ips.c). */
long conn_ip_count(const struct conn_guard *g, const unsigned char a[16]);
/* One connection of address a more; -1 (nothing counted) past max_connections_per_ip. */
int conn_ip_take(struct conn_guard *g, const unsigned char a[16]);
/* One connection of address a fewer. */
void conn_ip_release(struct conn_guard *g, const unsigned char a[16]);

/* ---- conn_proxy.c: a trusted balancer's PROXY header ---- */

/*
 * c (admitted, from a trusted balancer) waits for its header: its
 * bufferevent stops until conn_proxy_step has read it. May close c.
 */
void conn_proxy_begin(struct conn_rec *c, struct bufferevent *bev);
/* Bytes arrived on c in state proxy: read what is header, go on once known. May close c. */
void conn_proxy_step(struct conn_rec *c);

#endif
