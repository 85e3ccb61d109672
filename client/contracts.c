/*
 * contracts.c: the workflow commands of the signing terminal: create, list,
 * show, send, receive (one or --all), reject, cancel, download.
 *
 * The bearer token is the session `sealpact login` saved for this server;
 * SEALPACT_API_KEY (an organization API key, for scripts) overrides it.
 * Never SEALPACT_TOKEN: that is the USB token's label (login, sign, seal
 * install), which was sent as the bearer, so that exporting it, as the
 * README says, made every other command 401.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "client.h"
#include "contracts_int.h"
#include "login_int.h"

#define PDF_MAX ((size_t)256 * 1024 * 1024)
#define QUERY_MAX 2048
/* The list's page and page size, as openapi.yaml bounds them (the server's
   DB_LIST_PAGE_MAX and DB_LIST_PAGE_SIZE_MAX): out of range is a usage error
   here, not a round trip for a 400. */
#define LIST_PAGE_MAX 100000
#define LIST_PAGE_SIZE_MAX 100

int
client_cli_transport(const char *cmd, const struct sp_errinfo *ei)
{
	fprintf(stderr, "sealpact: %s: %s\n", cmd, ei->msg);
	return ei->code == SP_ERR_INVALID                                  ? EX_USAGE
	       : (ei->code == SP_ERR_NOMEM || ei->code == SP_ERR_INTERNAL) ? EX_SOFTWARE
									   : EX_UNAVAILABLE;
}

int
client_cli_said_no(const char *cmd, const struct client_response *resp)
{
	char line[512];

	client_error_format(resp, line, sizeof(line));
	fprintf(stderr, "sealpact: %s: %s\n", cmd, line);
	return 1;
}

int
client_cli_open(const struct client_cli *cli, const char *cmd, struct client **out)
{
	struct sp_errinfo ei;
	const char *env = getenv("SEALPACT_API_KEY"), *label;
	char *token = NULL;
	int r;

	*out = NULL;
	sp_errinfo_init(&ei);
	/* an API key where the token's label goes (scripts written before
	   SEALPACT_API_KEY): the command would act as the saved session instead, so it
	   says where the key goes, without printing it, and sends nothing (review54) */
	if ((label = getenv("SEALPACT_TOKEN")) != NULL && strncmp(label, "spk_", 4) == 0) {
		fprintf(stderr,
			"sealpact: %s: SEALPACT_TOKEN holds an API key; it names the USB token "
			"only: export the key as SEALPACT_API_KEY\n",
			cmd);
		return EX_USAGE;
	}
	if (env != NULL && *env != '\0') {
		if ((token = strdup(env)) == NULL)
			return EX_SOFTWARE;
	} else if (client_session_load(cli->server, &token, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: %s: %s\n", cmd, ei.msg);
		return ei.code == SP_ERR_NOT_FOUND ? 1 : EX_CONFIG;
	}
	r = client_new(cli->server, cli->cafile, cli->timeout_s, out, &ei) != SP_OK ||
	    client_token_set(*out, token, &ei) != SP_OK;
	sp_wipe(token, strlen(token));
	free(token);
	if (r) {
		client_free(*out);
		*out = NULL;
		return client_cli_transport(cmd, &ei);
	}
	return 0;
}

/* One JSON request; prints problems. *doc (may be NULL) gets the parsed answer. */
static int
call(const struct client_cli *cli, const char *cmd, const char *method, const char *path,
     json_t *body, const char *idem, long want, json_t **doc)
{
	struct client *c = NULL;
	struct client_response resp;
	struct sp_errinfo ei;
	char *text = NULL, hdr[300];
	const char *headers[2] = { NULL, NULL };
	int r;

	if (doc != NULL)
		*doc = NULL;
	if ((r = client_cli_open(cli, cmd, &c)) != 0)
		return r;
	sp_errinfo_init(&ei);
	client_response_init(&resp, CLIENT_DEFAULT_MAX_RESPONSE);
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		r = EX_SOFTWARE;
		goto out;
	}
	if (idem != NULL) {
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", idem);
		headers[0] = hdr;
	}
	if (client_request(c, method, path, text, text != NULL ? strlen(text) : 0,
			   text != NULL ? "application/json" : NULL, headers, &resp,
			   &ei) != SP_OK) {
		r = client_cli_transport(cmd, &ei);
		goto out;
	}
	if (resp.status != want) {
		r = client_cli_said_no(cmd, &resp);
		goto out;
	}
	if (doc != NULL && resp.body.len > 0)
		*doc = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
	r = 0;
out:
	free(text);
	client_response_cleanup(&resp);
	client_free(c);
	return r;
}

/* A string from the server, safe for the terminal, "-" when absent. */
static const char *
s(json_t *o, const char *k)
{
	return client_json_text(o, k, "-");
}

/* The business type's display name (the code when the server sends none). */
static const char *
btype_name(json_t *d)
{
	return json_is_string(json_object_get(d, "business_type_name")) ? s(d, "business_type_name")
									: s(d, "business_type");
}

/*
 * A cc party never acts: the server keeps it "waiting". Shown as a cc party
 * reads it instead: "notified" once the contract is out of draft, then the
 * contract's own end (completed, rejected, cancelled, expired).
 */
static const char *
party_status(json_t *d, json_t *p)
{
	const char *cs = s(d, "status");

	if (strcmp(s(p, "role"), "cc") != 0)
		return s(p, "status");
	if (strcmp(cs, "draft") == 0)
		return s(p, "status");
	if (strcmp(cs, "completed") == 0 || strcmp(cs, "rejected") == 0 ||
	    strcmp(cs, "cancelled") == 0 || strcmp(cs, "expired") == 0)
		return cs;
	return "notified";
}

static void
print_contract(json_t *d)
{
	size_t i;
	json_t *p;

	printf("number:        %s\nname:          %s\nbusiness type: %s (%s)\nstatus:        %s\n",
	       s(d, "number"), s(d, "name"), btype_name(d), s(d, "business_type"), s(d, "status"));
	printf("initiator:     %s (%s)\ncreated:       %s\ndeadline:      %s\n",
	       s(json_object_get(d, "initiator"), "name"),
	       s(json_object_get(d, "initiator"), "credit_code"), s(d, "created_at"),
	       s(d, "deadline"));
	if (json_is_string(json_object_get(d, "reject_reason")))
		printf("rejected:      %s\n", s(d, "reject_reason"));
	printf("parties:\n");
	json_array_foreach(json_object_get(d, "parties"), i, p)
		printf("  %-6s #%-3lld %-9s %s %s%s\n", s(p, "role"),
		       (long long)json_integer_value(json_object_get(p, "routing_order")),
		       party_status(d, p), s(p, "credit_code"), s(p, "name"),
		       json_is_true(json_object_get(p, "is_me")) ? "  (you)" : "");
	printf("revisions:\n");
	json_array_foreach(json_object_get(d, "revisions"), i, p)
		printf("  %lld  %lld bytes  sha256 %s  %s\n",
		       (long long)json_integer_value(json_object_get(p, "seq")),
		       (long long)json_integer_value(json_object_get(p, "length")), s(p, "sha256"),
		       s(p, "created_at"));
}

/*
 * A contract's audit trail, a page at a time (GET .../audit): the contract
 * document carries only its length. Each next_cursor must be a number past
 * the last, so a server answering the same page again cannot loop us.
 */
static int
print_audit(const struct client_cli *cli, const char *cmd, const char *number)
{
	char path[160], cursor[24] = "";
	uint64_t last = 0, next;
	json_t *page = NULL, *p;
	const char *nc;
	size_t i;
	int r;

	printf("audit trail:\n");
	for (;;) {
		snprintf(path, sizeof(path), "/api/v1/contracts/%s/audit?limit=100%s%s", number,
			 cursor[0] != '\0' ? "&cursor=" : "", cursor);
		if ((r = call(cli, cmd, "GET", path, NULL, NULL, 200, &page)) != 0)
			return r;
		json_array_foreach(json_object_get(page, "items"), i, p)
		{
			json_t *det = json_object_get(p, "details");
			/* s(): every string from the server is printed through the one helper. */
			const char *why = json_is_string(json_object_get(det, "reason"))
						  ? s(det, "reason")
						  : NULL;

			printf("  %3lld  %s  %-10s %s%s%s\n",
			       (long long)json_integer_value(json_object_get(p, "seq")), s(p, "at"),
			       s(p, "action"), s(p, "actor"), why != NULL ? "  reason: " : "",
			       why != NULL ? why : "");
		}
		nc = json_string_value(json_object_get(page, "next_cursor"));
		if (nc == NULL)
			break;
		if (sp_parse_u64(nc, last + 1, INT64_MAX, &next) != SP_OK) {
			fprintf(stderr, "sealpact: %s: the server sent a bad audit cursor\n", cmd);
			json_decref(page);
			return EX_PROTOCOL;
		}
		snprintf(cursor, sizeof(cursor), "%llu", (unsigned long long)next);
		last = next;
		json_decref(page);
		page = NULL;
	}
	json_decref(page);
	return 0;
}

/*
 * An alias ("supplier") for an organization: the alias file holds lines
 * ALIAS<TAB>NAME<TAB>CREDIT-CODE (the development setup's var/pki/orgs.tsv
 * has exactly this form). Found: code and name (when empty) are replaced.
 */
static void
alias_resolve(char *code, size_t codelen, char *name, size_t namelen)
{
	const char *f = getenv("SEALPACT_ALIASES"), *xdg = getenv("XDG_CONFIG_HOME"),
		   *home = getenv("HOME");
	char path[4096], line[1024], *t1, *t2;
	FILE *fp;

	if (f != NULL && *f != '\0')
		snprintf(path, sizeof(path), "%s", f);
	else if (xdg != NULL && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/sealpact/aliases.tsv", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(path, sizeof(path), "%s/.config/sealpact/aliases.tsv", home);
	else
		return;
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* CRLF too: an editor on Windows saved it */
		line[strcspn(line, "\r\n")] = '\0';
		if ((t1 = strchr(line, '\t')) == NULL || (t2 = strchr(t1 + 1, '\t')) == NULL)
			continue;
		*t1++ = '\0';
		*t2++ = '\0';
		if (strcmp(line, code) != 0)
			continue;
		snprintf(code, codelen, "%s", t2);
		if (name[0] == '\0')
			snprintf(name, namelen, "%s", t1);
		break;
	}
	fclose(fp);
}

/* "PARTY[:ORDER][:NAME]" for signers, "PARTY[:NAME]" for cc; PARTY a code or an alias. */
static int
party_add(json_t *arr, const char *spec, const char *role)
{
	char buf[512], code[512], name[512] = "", *rest, *nm = NULL;
	json_t *p;
	int64_t order = 1;

	snprintf(buf, sizeof(buf), "%s", spec);
	rest = strchr(buf, ':');
	if (rest != NULL) {
		*rest++ = '\0';
		if (strcmp(role, "signer") == 0 && *rest >= '0' && *rest <= '9') {
			char *end = strchr(rest, ':');

			/* the server checks the range; here only that it is a number */
			if (sp_parse_i64n(rest, end != NULL ? (size_t)(end - rest) : strlen(rest),
					  0, INT_MAX, &order) != SP_OK)
				return -1;
			nm = end != NULL ? end + 1 : NULL;
		} else {
			nm = rest;
		}
	}
	snprintf(code, sizeof(code), "%s", buf);
	if (nm != NULL)
		snprintf(name, sizeof(name), "%s", nm);
	alias_resolve(code, sizeof(code), name, sizeof(name));
	p = json_pack("{s:s,s:s,s:i}", "credit_code", code, "role", role, "routing_order",
		      (int)order);
	if (p == NULL ||
	    (name[0] != '\0' && json_object_set_new(p, "name", json_string(name)) != 0))
		return -1;
	return json_array_append_new(arr, p);
}

static int
has_signer(json_t *parties)
{
	size_t i;
	json_t *p;

	json_array_foreach(parties, i, p) if (strcmp(s(p, "role"), "signer") == 0) return 1;
	return 0;
}

static int
cmd_create(const struct client_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "name", required_argument, NULL, 'n' },
					      { "business-type", required_argument, NULL, 'b' },
					      { "deadline", required_argument, NULL, 'd' },
					      { "signer", required_argument, NULL, 's' },
					      { "cc", required_argument, NULL, 'c' },
					      { "idempotency-key", required_argument, NULL, 'k' },
					      { "send", no_argument, NULL, 'S' },
					      { NULL, 0, NULL, 0 } };
	const char *name = NULL, *bt = NULL, *deadline = NULL, *idem = NULL;
	json_t *parties = json_array(), *body = NULL, *doc = NULL;
	unsigned char *pdf = NULL;
	char *b64 = NULL, path[64];
	struct sp_errinfo ei;
	size_t len = 0;
	int o, r = EX_SOFTWARE, send_now = 0;

	sp_errinfo_init(&ei);
	optind = 0;
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			name = optarg;
			break;
		case 'b':
			bt = optarg;
			break;
		case 'd':
			deadline = optarg;
			break;
		case 'k':
			idem = optarg;
			break;
		case 'S':
			send_now = 1;
			break;
		case 's':
		case 'c':
			if (party_add(parties, optarg, o == 's' ? "signer" : "cc") != 0) {
				r = client_usage(argv[0], "bad --signer PARTY[:ORDER][:NAME] or "
							  "--cc PARTY[:NAME]");
				goto out;
			}
			break;
		default:
			r = client_option_error(argv[0], o, argv);
			goto out;
		}
	}
	if (optind != argc - 1 || name == NULL) {
		r = client_usage(argv[0], "give the PDF file and --name");
		goto out;
	}
	/* One command, one outcome: a send that must fail leaves no draft behind. */
	if (send_now && !has_signer(parties)) {
		r = client_usage(argv[0],
				 "--send needs at least one --signer (nothing was created)");
		goto out;
	}
	if (sp_file_read(argv[optind], PDF_MAX, &pdf, &len, &ei) != SP_OK) {
		char c[1024];

		/* the message names the file, whose name is whoever sent it's (review54) */
		fprintf(stderr, "sealpact: %s: %s\n", argv[0],
			client_text_clean(ei.msg, c, sizeof(c)));
		r = EX_NOINPUT;
		goto out;
	}
	if ((b64 = sp_b64_encode(pdf, len, 0)) == NULL)
		goto out;
	body = json_pack("{s:s,s:s,s:O}", "name", name, "pdf_base64", b64, "parties", parties);
	if (body == NULL ||
	    (bt != NULL && json_object_set_new(body, "business_type", json_string(bt)) != 0) ||
	    (deadline != NULL && json_object_set_new(body, "deadline", json_string(deadline)) != 0))
		goto out;
	if ((r = call(cli, argv[0], "POST", "/api/v1/contracts", body, idem, 201, &doc)) != 0)
		goto out;
	printf("%s\n", s(doc, "number"));
	if (send_now) {
		snprintf(path, sizeof(path), "/api/v1/contracts/%s/send", s(doc, "number"));
		r = call(cli, argv[0], "POST", path, NULL, NULL, 200, NULL);
	}
out:
	free(pdf);
	free(b64);
	json_decref(parties);
	json_decref(body);
	json_decref(doc);
	return r;
}

/* Append "&key=value" percent-encoded. */
static void
qadd(char *q, size_t n, const char *key, const char *val)
{
	size_t k = strlen(q);

	if (val == NULL)
		return;
	k += (size_t)snprintf(q + k, k < n ? n - k : 0, "%s%s=", k ? "&" : "", key);
	for (; *val != '\0' && k + 4 < n; val++) {
		unsigned char c = (unsigned char)*val;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
			q[k++] = (char)c;
		} else {
			q[k++] = '%';
			sp_hex_upper(&c, 1, q + k); /* room checked above */
			k += 2;
		}
	}
	q[k] = '\0';
}

/* 1 when v is NULL (not given) or one of the n words of set. */
static int
absent_or_one_of(const char *v, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return v == NULL;
}

/*
 * list's tab, status and times, judged here as the server judges them: a
 * wrong one said "not logged in" (or made a round trip) before its value
 * was looked at. vals are cmd_list's, in its keys' order.
 */
static int
list_filters_check(const char *cmd, const char *const *vals)
{
	static const char *const tabs[] = { "todo", "initiated", "signed", "cc", "drafts" };
	static const char *const statuses[] = { "draft",    "signing",   "completed",
						"rejected", "cancelled", "expired" };
	static const char *const times[] = { "--from", "--to" };
	const char *why;
	int64_t t;
	size_t k;

	if (!absent_or_one_of(vals[0], tabs, SP_ARRAY_LEN(tabs)))
		return client_usage(cmd, "--tab is todo, initiated, signed, cc or drafts, not '%s'",
				    vals[0]);
	if (!absent_or_one_of(vals[1], statuses, SP_ARRAY_LEN(statuses)))
		return client_usage(cmd,
				    "--status is draft, signing, completed, rejected, cancelled "
				    "or expired, not '%s'",
				    vals[1]);
	for (k = 0; k < 2; k++)
		if (vals[5 + k] != NULL && sp_time_parse(vals[5 + k], &t, &why) != SP_OK)
			return client_usage(cmd,
					    "%s wants an RFC 3339 time such as "
					    "2026-01-01T00:00:00Z; \"%s\" is %s",
					    times[k], vals[5 + k], why);
	return 0;
}

static int
cmd_list(const struct client_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "tab", required_argument, NULL, 't' },
					      { "status", required_argument, NULL, 's' },
					      { "business-type", required_argument, NULL, 'b' },
					      { "q", required_argument, NULL, 'q' },
					      { "initiator", required_argument, NULL, 'i' },
					      { "from", required_argument, NULL, 'f' },
					      { "to", required_argument, NULL, 'T' },
					      { "page", required_argument, NULL, 'p' },
					      { "page-size", required_argument, NULL, 'z' },
					      { "json", no_argument, NULL, 'j' },
					      { NULL, 0, NULL, 0 } };
	const char *keys[] = { "tab",        "status",    "business_type",
			       "q",          "initiator", "created_from",
			       "created_to", "page",      "page_size" };
	const char *vals[SP_ARRAY_LEN(keys)] = { NULL };
	const char short_of[] = "tsbqifTpz";
	char q[QUERY_MAX] = "", path[QUERY_MAX + 32];
	json_t *doc = NULL, *it;
	int64_t page = 1, size = 10;
	size_t i;
	int o, r, as_json = 0;

	optind = 0;
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		const char *k = strchr(short_of, o);

		if (o == 'j')
			as_json = 1;
		else if (k != NULL && o != 0)
			vals[k - short_of] = optarg;
		else
			return client_option_error(argv[0], o, argv);
	}
	if (optind != argc)
		return client_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if ((r = list_filters_check(argv[0], vals)) != 0)
		return r;
	if (vals[7] != NULL && sp_parse_i64(vals[7], 1, LIST_PAGE_MAX, &page) != SP_OK)
		return client_usage(argv[0], "--page wants a number from 1 to 100000");
	if (vals[8] != NULL && sp_parse_i64(vals[8], 1, LIST_PAGE_SIZE_MAX, &size) != SP_OK)
		return client_usage(argv[0], "--page-size wants a number from 1 to 100");
	for (i = 0; i < SP_ARRAY_LEN(keys); i++)
		qadd(q, sizeof(q), keys[i], vals[i]);
	snprintf(path, sizeof(path), "/api/v1/contracts?%s", q);
	if ((r = call(cli, argv[0], "GET", path, NULL, NULL, 200, &doc)) != 0)
		return r;
	if (as_json) {
		/* ASCII escapes: control and bidi characters stay inert in JSON too. */
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		printf("\n");
	} else {
		printf("%-19s  %-9s  %-8s  %-20s  %-12s  %s\n", "NUMBER", "STATUS", "MINE",
		       "CREATED", "TYPE", "NAME / INITIATOR");
		json_array_foreach(json_object_get(doc, "items"), i, it)
			printf("%-19s  %-9s  %-8s  %-20s  %-12s  %s / %s\n", s(it, "number"),
			       s(it, "status"), s(it, "my_status"), s(it, "created_at"),
			       btype_name(it), s(it, "name"),
			       s(json_object_get(it, "initiator"), "name"));
		{
			long long total = json_integer_value(json_object_get(doc, "total"));
			/* Rounded up without total + size - 1, which a server's total could overflow. */
			long long pages = total / size + (total % size != 0);

			if (pages < 1)
				pages = 1;
			/* Past 1000 matches a filtered list's total is a lower bound. */
			int exact = !json_is_false(json_object_get(doc, "total_exact"));

			printf("page %lld of %s%lld, total %s%lld%s\n", (long long)page,
			       exact ? "" : "at least ", pages, exact ? "" : "at least ", total,
			       json_is_true(json_object_get(doc, "has_more"))
				       ? " (--page N for more)"
				       : "");
		}
	}
	json_decref(doc);
	return 0;
}

/* show, send, receive, cancel: one number, one call. */
static int
cmd_simple(const struct client_cli *cli, int argc, char **argv)
{
	char path[96];
	json_t *doc = NULL, *body = NULL;
	const char *cmd = argv[0];
	int r, show = strcmp(cmd, "show") == 0, reject = strcmp(cmd, "reject") == 0;

	if (strcmp(cmd, "receive") == 0 && argc == 2 && strcmp(argv[1], "--all") == 0) {
		size_t i;
		json_t *n;

		if ((r = call(cli, cmd, "POST", "/api/v1/contracts/receive-all", NULL, NULL, 200,
			      &doc)) != 0)
			return r;
		json_array_foreach(json_object_get(doc, "received"), i, n)
		{
			char num[64];

			printf("%s\n", client_text_clean(json_string_value(n), num, sizeof(num)));
		}
		printf("received %zu\n", json_array_size(json_object_get(doc, "received")));
		json_decref(doc);
		return 0;
	}
	if ((r = client_number_arg(cmd, argc - 1, argv + 1,
				   strcmp(cmd, "receive") == 0 ? "the 19-digit contract number, or "
								 "--all to receive every "
								 "contract waiting for you"
							       : "the 19-digit contract number")) !=
	    0)
		return r;
	if (reject && argc < 3)
		return client_usage(cmd, "give the reason after the number");
	if (argc > (reject ? 3 : 2))
		return client_usage(cmd,
				    reject ? "unexpected argument '%s' (put a reason of several "
					     "words in quotes)"
					   : "unexpected argument '%s'",
				    argv[reject ? 3 : 2]);
	if (show)
		snprintf(path, sizeof(path), "/api/v1/contracts/%s", argv[1]);
	else
		snprintf(path, sizeof(path), "/api/v1/contracts/%s/%s", argv[1], cmd);
	if (reject && (body = json_pack("{s:s}", "reason", argv[2])) == NULL)
		return EX_SOFTWARE;
	r = call(cli, cmd, show ? "GET" : "POST", path, body, NULL, 200, &doc);
	json_decref(body);
	if (r != 0)
		return r;
	if (show) {
		print_contract(doc);
		r = print_audit(cli, cmd, argv[1]);
	} else {
		printf("%s %s\n", s(doc, "number"), s(doc, "status"));
	}
	json_decref(doc);
	return r;
}

/*
 * GET path and write the answer's body into file out: only a 200 answer,
 * and when pdf_only only a PDF (anything else is printed and leaves no
 * file). 0 with *len the bytes written, else the exit status.
 */
static int
get_into_file(const struct client_cli *cli, const char *cmd, const char *path, const char *out,
	      int pdf_only, size_t *len)
{
	struct client *c = NULL;
	struct client_response resp;
	struct sp_errinfo ei;
	int r;

	*len = 0;
	if ((r = client_cli_open(cli, cmd, &c)) != 0)
		return r;
	sp_errinfo_init(&ei);
	client_response_init(&resp, PDF_MAX);
	if (client_request(c, "GET", path, NULL, 0, NULL, NULL, &resp, &ei) != SP_OK) {
		r = client_cli_transport(cmd, &ei);
	} else if (resp.status != 200) {
		r = client_cli_said_no(cmd, &resp);
	} else if (pdf_only && (resp.body.len < 5 || memcmp(resp.body.data, "%PDF-", 5) != 0)) {
		fprintf(stderr, "sealpact: %s: the server's answer is not a PDF\n", cmd);
		r = EX_PROTOCOL;
	} else if (sp_file_write(out, resp.body.data, resp.body.len, 0644, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: %s: %s\n", cmd, ei.msg);
		r = EX_CANTCREAT;
	} else {
		*len = resp.body.len;
		r = 0;
	}
	client_response_cleanup(&resp);
	client_free(c);
	return r;
}

/*
 * download NUMBER [REVISION] -o FILE. The old form, NUMBER FILE [REVISION]
 * without -o, still works with a note: "download N 2" wrote the latest
 * revision to a file named 2, where a reader of the new form sees revision 2.
 */
static int
cmd_download(const struct client_cli *cli, int argc, char **argv)
{
	const char *out, *number, *rev = NULL;
	char path[128];
	size_t len;
	int n, r;

	if ((r = client_output_opt(argv[0], argc, argv, &out)) != 0)
		return r;
	n = argc - optind;
	if ((r = client_number_arg(argv[0], n, argv + optind, "the 19-digit contract number")) != 0)
		return r;
	number = argv[optind];
	if (out == NULL && n > 3) {
		return client_usage(argv[0], "unexpected argument '%s'", argv[optind + 3]);
	} else if (out == NULL && n >= 2) {
		out = argv[optind + 1];
		rev = n == 3 ? argv[optind + 2] : NULL;
		client_output_deprecated(argv[0], "download NUMBER [REVISION] -o FILE");
	} else if (out == NULL) {
		return client_usage(argv[0], "give the output file with -o FILE");
	} else if (n > 2) {
		return client_usage(argv[0], "unexpected argument '%s'", argv[optind + 2]);
	} else if (n == 2) {
		rev = argv[optind + 1];
	}
	if (rev != NULL && (*rev == '\0' || strspn(rev, "0123456789") != strlen(rev)))
		return client_usage(argv[0], "the revision is a number, not '%s'", rev);
	if (rev != NULL)
		snprintf(path, sizeof(path), "/api/v1/contracts/%s/revisions/%s/document", number,
			 rev);
	else
		snprintf(path, sizeof(path), "/api/v1/contracts/%s/document", number);
	if ((r = get_into_file(cli, argv[0], path, out, 0, &len)) == 0)
		printf("%s: %zu bytes\n", out, len);
	return r;
}

/*
 * evidence NUMBER -o FILE: the signed evidence report of a finished
 * contract. The file is written only when the server made the report; a
 * refusal (409 contract_not_final, 404, 503 evidence_not_configured) is
 * printed and leaves nothing behind.
 */
static int
cmd_evidence(const struct client_cli *cli, int argc, char **argv)
{
	const char *out;
	char path[128];
	size_t len;
	int r;

	if ((r = client_output_opt(argv[0], argc, argv, &out)) != 0)
		return r;
	if ((r = client_number_arg(argv[0], argc - optind, argv + optind,
				   "the 19-digit contract number")) != 0)
		return r;
	if (argc - optind > 1)
		return client_usage(argv[0], "unexpected argument '%s'", argv[optind + 1]);
	if (out == NULL)
		return client_usage(argv[0], "give the report's file with -o FILE");
	snprintf(path, sizeof(path), "/api/v1/contracts/%s/evidence", argv[optind]);
	if ((r = get_into_file(cli, argv[0], path, out, 1, &len)) == 0)
		printf("%s: evidence report of contract %s, %zu bytes (signed by the platform; "
		       "check it with 'sealpact verify %s')\n",
		       out, argv[optind], len, out);
	return r;
}

/* edit: PATCH only what was given; delete: DELETE the draft. */
static int
cmd_edit(const struct client_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "name", required_argument, NULL, 'n' },
					      { "business-type", required_argument, NULL, 'b' },
					      { "deadline", required_argument, NULL, 'd' },
					      { "signer", required_argument, NULL, 's' },
					      { "cc", required_argument, NULL, 'c' },
					      { NULL, 0, NULL, 0 } };
	json_t *body = json_object(), *parties = json_array(), *doc = NULL;
	char path[96];
	int o, r = EX_SOFTWARE, any = 0;

	optind = 0;
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
		case 'b':
		case 'd':
			json_object_set_new(body,
					    o == 'n'   ? "name"
					    : o == 'b' ? "business_type"
						       : "deadline",
					    json_string(optarg));
			any = 1;
			break;
		case 's':
		case 'c':
			if (party_add(parties, optarg, o == 's' ? "signer" : "cc") != 0) {
				r = client_usage(argv[0], "bad --signer PARTY[:ORDER][:NAME] or "
							  "--cc PARTY[:NAME]");
				goto out;
			}
			any = 1;
			break;
		default:
			r = client_option_error(argv[0], o, argv);
			goto out;
		}
	}
	if ((r = client_number_arg(argv[0], argc - optind, argv + optind,
				   "the 19-digit number of a draft")) != 0)
		goto out;
	if (argc - optind > 1) {
		r = client_usage(argv[0], "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (!any) {
		r = client_usage(argv[0],
				 "nothing to change: give --name, --business-type, --deadline, "
				 "--signer or --cc");
		goto out;
	}
	if (json_array_size(parties) > 0)
		json_object_set(body, "parties", parties);
	snprintf(path, sizeof(path), "/api/v1/contracts/%s", argv[optind]);
	if ((r = call(cli, argv[0], "PATCH", path, body, NULL, 200, &doc)) != 0)
		goto out;
	print_contract(doc);
	r = print_audit(cli, argv[0], argv[optind]);
out:
	json_decref(body);
	json_decref(parties);
	json_decref(doc);
	return r;
}

static int
cmd_delete(const struct client_cli *cli, int argc, char **argv)
{
	char path[96];
	int r;

	if ((r = client_number_arg(argv[0], argc - 1, argv + 1,
				   "the 19-digit number of a draft")) != 0)
		return r;
	if (argc > 2)
		return client_usage(argv[0], "unexpected argument '%s'", argv[2]);
	snprintf(path, sizeof(path), "/api/v1/contracts/%s", argv[1]);
	if ((r = call(cli, argv[0], "DELETE", path, NULL, NULL, 204, NULL)) != 0)
		return r;
	printf("%s deleted\n", argv[1]);
	return 0;
}

int
client_cmd_contracts(const struct client_cli *cli, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "edit") == 0)
		return cmd_edit(cli, argc, argv);
	if (strcmp(cmd, "delete") == 0)
		return cmd_delete(cli, argc, argv);
	if (strcmp(cmd, "create") == 0)
		return cmd_create(cli, argc, argv);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(cli, argc, argv);
	if (strcmp(cmd, "download") == 0)
		return cmd_download(cli, argc, argv);
	if (strcmp(cmd, "evidence") == 0)
		return cmd_evidence(cli, argc, argv);
	return cmd_simple(cli, argc, argv);
}
