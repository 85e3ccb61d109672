/*
 * seal_run.h: what every `sealpact seal` subcommand (seals.c) shares
 * (seal_run.c): the run, its usage errors under "seal SUB", and its
 * requests to the server.
 */
#ifndef SP_CLIENT_SEAL_RUN_H
#define SP_CLIENT_SEAL_RUN_H

#include <stddef.h>

#include <jansson.h>

#include "client.h"

/*
 * One run of `sealpact seal`: the client opens at the first request, so a
 * usage error is reported as one whether or not a session is saved.
 */
struct seal_run {
	const struct client_cli *cli;
	struct client *c; /* NULL until the first request */
};

/* The usage error msg of `seal sub` (EX_USAGE). */
int seal_usage(const char *sub, const char *msg);
/* The usage error of an argument sub does not take. */
int seal_usage_arg(const char *sub, const char *arg);
/* client_option_error() under "seal sub". */
int seal_opt_error(const char *sub, int ch, char *const argv[]);
/* Prints ei's message under "seal sub"; returns status. */
int seal_fail(const char *sub, int status, const struct sp_errinfo *ei);
/* 0 when args[0] of n is an application ID (a seal ID when seal), else the usage error. */
int seal_id_arg(const char *sub, int n, char **args, int seal);
/* 1 for the seal types one may apply for ("official", "contract"). */
int seal_type_ok(const char *t);
/* A seal type as a reader knows it ("official seal 公章"), or t itself. */
const char *seal_type_name(const char *t);
/* A string from the server, terminal-safe, "-" when absent. */
const char *seal_text(json_t *o, const char *k);
/*
 * One request. want is the expected status; *doc gets the JSON answer when
 * doc is not NULL; keep (when not NULL) keeps the raw answer. Returns 0 or
 * the exit status after printing why.
 */
int seal_request(struct seal_run *sr, const char *sub, const char *method, const char *path,
		 const void *body, size_t len, const char *ctype, long want, json_t **doc,
		 struct client_response *keep);
/* seal_request() with body as JSON (or none when NULL). */
int seal_json_request(struct seal_run *c, const char *sub, const char *method, const char *path,
		      json_t *body, long want, json_t **doc);

#endif /* SP_CLIENT_SEAL_RUN_H */
