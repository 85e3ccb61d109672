/*
 * request_int.h: the request context, shared by request.c (its life: dispatch,
 * accessors, deadline, the client leaving) and reply.c (its one reply).
 * Nothing else in http/ sees inside it.
 */
#ifndef SP_REQUEST_INT_H
#define SP_REQUEST_INT_H

#include <stdint.h>
#include <time.h>

#include "http_int.h"

#define LOG_PATH_MAX 256

struct request {
	struct server *srv;
	struct evhttp_request *evreq;    /* NULL once answered or gone */
	struct evhttp_connection *evcon; /* valid while evreq is */
	struct event *deadline_ev;
	struct event *watch_ev;    /* notices a client leaving while we work */
	const struct route *route; /* the handler's route (200 only) */
	const struct route *label; /* names the pattern in logs/metrics (200, 405) */
	unsigned method;
	int answered; /* a response went out (or the client left) */
	int gone;     /* the client disconnected first */
	int guarded;  /* the connection guard (conn.c) tracks the connection */
	char id[65];
	char remote[64];
	char log_path[LOG_PATH_MAX + 1]; /* printable ASCII copy for logs */
	char *path;                      /* raw path, no query */
	struct http_query query;         /* its query string, decoded (query.c) */
	unsigned char *body;
	size_t body_len;
	uint64_t budget; /* body-budget bytes this request holds (conn_request_body) */
	struct job *job; /* its job while one is in the pool (jobs_submit_owned's handle) */
	unsigned char caller[JOBS_KEY_MAX]; /* its jobs' owner once known (request_caller_set) */
	struct timespec t0;
	struct route_match match;
};

/*
 * Answer r with a problem document (once; a context already answered or gone
 * only records) without freeing it: the deadline answers a request whose
 * handler still owns it. reply.c.
 */
void request_send_problem(struct request *r, int status, const char *code, const char *detail);

/* Free r once it is answered: its events, copies and body budget. reply.c. */
void request_free(struct request *r);

/*
 * Tell the connection guard (or evhttp, for a connection the guard does not
 * track) that r no longer needs to hear of its connection closing; non-zero
 * when what the client sent after r is malformed. request.c.
 */
int request_connection_release(struct request *r);

#endif
