/*
 * seal_run.c: what every `sealpact seal` subcommand shares (seal_run.h):
 * usage errors named "seal SUB" (the help is under "seal"), the IDs and
 * types a subcommand takes, and one request to the server, opened at the
 * first (a usage error is one whether or not a session is saved).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "contracts_int.h"
#include "seal_run.h"

/* The command a usage error names: "seal SUB" (its help is under "seal"). */
#define SEAL_CMD_MAX 32

static const char *
seal_cmd(const char *sub, char *cmd)
{
	snprintf(cmd, SEAL_CMD_MAX, "seal %s", sub);
	return cmd;
}

int
seal_usage(const char *sub, const char *msg)
{
	char cmd[SEAL_CMD_MAX];

	return client_usage(seal_cmd(sub, cmd), "%s", msg);
}

int
seal_usage_arg(const char *sub, const char *arg)
{
	char cmd[SEAL_CMD_MAX];

	return client_usage(seal_cmd(sub, cmd), "unexpected argument '%s'", arg);
}

int
seal_opt_error(const char *sub, int ch, char *const argv[])
{
	char cmd[SEAL_CMD_MAX];

	return client_option_error(seal_cmd(sub, cmd), ch, argv);
}

int
seal_fail(const char *sub, int status, const struct sp_errinfo *ei)
{
	char c[1024];

	/* a message may name a file, whose name is whoever sent it's (review54) */
	fprintf(stderr, "sealpact: seal %s: %s\n", sub, client_text_clean(ei->msg, c, sizeof(c)));
	return status;
}

/* An application or seal id: 1..18 decimal digits (the API's pattern). */
static int
id_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n >= 1 && n <= 18 && strspn(s, "0123456789") == n;
}

/*
 * The ID a subcommand starts with, the first of its n arguments: 0 when it
 * is one, else the usage error that says which ID and where it comes from
 * (each subcommand printed its own "usage: seal ... APPLICATION_ID" line,
 * under a help that calls it APP_ID).
 */
int
seal_id_arg(const char *sub, int n, char **args, int seal)
{
	char cmd[SEAL_CMD_MAX];
	const char *what = seal ? "a seal ID ('seal list' shows it)"
				: "an application ID ('seal apply' printed it)";

	if (n < 1)
		return client_usage(seal_cmd(sub, cmd), "give %s", what);
	if (!id_ok(args[0]))
		return client_usage(seal_cmd(sub, cmd), "'%s' is not %s", args[0], what);
	return 0;
}

int
seal_type_ok(const char *t)
{
	return strcmp(t, "official") == 0 || strcmp(t, "contract") == 0;
}

const char *
seal_type_name(const char *t)
{
	if (strcmp(t, "official") == 0)
		return "official seal 公章";
	if (strcmp(t, "contract") == 0)
		return "contract seal 合同专用章";
	return t;
}

const char *
seal_text(json_t *o, const char *k)
{
	return client_json_text(o, k, "-");
}

int
seal_request(struct seal_run *sr, const char *sub, const char *method, const char *path,
	     const void *body, size_t len, const char *ctype, long want, json_t **doc,
	     struct client_response *keep)
{
	/* cppcheck-suppress uninitvar ; own is initialized before use, when it is used */
	struct client_response own, *resp = keep != NULL ? keep : &own;
	struct sp_errinfo ei;
	char cmd[32];
	int r;

	if (doc != NULL)
		*doc = NULL;
	if (sr->c == NULL && (r = client_cli_open(sr->cli, "seal", &sr->c)) != 0)
		return r;
	snprintf(cmd, sizeof(cmd), "seal %s", sub);
	sp_errinfo_init(&ei);
	if (keep == NULL)
		client_response_init(&own, CLIENT_DEFAULT_MAX_RESPONSE);
	if (client_request(sr->c, method, path, body, len, ctype, NULL, resp, &ei) != SP_OK) {
		r = client_cli_transport(cmd, &ei);
		goto out;
	}
	if (resp->status != want) {
		r = client_cli_said_no(cmd, resp);
		goto out;
	}
	if (doc != NULL &&
	    (*doc = json_loadb((const char *)resp->body.data, resp->body.len, 0, NULL)) == NULL) {
		fprintf(stderr, "sealpact: seal %s: the server's answer is not JSON\n", sub);
		r = 1;
		goto out;
	}
	r = 0;
out:
	if (keep == NULL)
		client_response_cleanup(&own);
	return r;
}

int
seal_json_request(struct seal_run *c, const char *sub, const char *method, const char *path,
		  json_t *body, long want, json_t **doc)
{
	char *text = NULL;
	int r;

	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
		return EX_SOFTWARE;
	r = seal_request(c, sub, method, path, text, text ? strlen(text) : 0,
			 text ? "application/json" : NULL, want, doc, NULL);
	free(text);
	return r;
}
