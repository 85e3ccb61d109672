/*
 * seals.c: `sealpact seal ...`, an organization's electronic seals from the
 * terminal: apply (or change an existing seal), download the application
 * form, upload the stamped scan, submit, modify, cancel, show; list the
 * seals on the server and on the token; install an approved seal on the
 * token.
 *
 * install downloads the seal as GB/T 38540 SESeal (DER), checks the
 * platform's signature with the seal-making certificate and that the seal
 * binds the certificate on this token (crypto/seseal.c), stores it as a
 * PKCS#11 data object (p11data.c: CKO_DATA, CKA_APPLICATION "sealpact-seal",
 * CKA_LABEL the seal id, public, on the token), and only then tells the
 * server it is installed. A seal that fails a check is not stored.
 *
 * What every subcommand shares (usage errors, IDs, requests) is seal_run.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "client.h"
#include "contracts_int.h"
#include "login_int.h"
#include "p11data_int.h"
#include "seal_run.h"
#include "seals_int.h"

#define SCAN_READ_MAX ((size_t)64 * 1024 * 1024) /* the server caps it lower */
#define FORM_MAX ((size_t)16 * 1024 * 1024)
#define SESEAL_MAX ((size_t)4 * 1024 * 1024)
#define PIN_MAX 256

static void
print_application(json_t *a)
{
	json_t *org = json_object_get(a, "organization"), *scan = json_object_get(a, "scan");

	printf("application:  %s\nstatus:       %s\nseal name:    %s\ntype:         %s\n",
	       seal_text(a, "id"), seal_text(a, "status"), seal_text(a, "name"),
	       seal_type_name(seal_text(a, "type")));
	printf("organization: %s (%s)\napplicant:    %s\n", seal_text(org, "name"),
	       seal_text(org, "credit_code"), seal_text(a, "applicant"));
	if (json_is_string(json_object_get(a, "replaces_seal_id")))
		printf("replaces:     seal %s\n", seal_text(a, "replaces_seal_id"));
	if (json_is_object(scan))
		printf("scan:         %s, %lld bytes\n", seal_text(scan, "content_type"),
		       (long long)json_integer_value(json_object_get(scan, "bytes")));
	else
		printf("scan:         none (sealpact seal upload %s FILE)\n", seal_text(a, "id"));
	printf("created:      %s\nsubmitted:    %s\n", seal_text(a, "created_at"),
	       seal_text(a, "submitted_at"));
	if (json_is_string(json_object_get(a, "review_note")))
		printf("review note:  %s\n", seal_text(a, "review_note"));
	if (json_is_string(json_object_get(a, "seal_id")))
		printf("seal:         %s (sealpact seal install %s)\n", seal_text(a, "seal_id"),
		       seal_text(a, "seal_id"));
}

/* The content type the bytes say they are (the server decides the same way). */
static const char *
sniff(const unsigned char *p, size_t n)
{
	if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return "application/pdf";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return "image/jpeg";
	return NULL;
}

static int
upload_scan(struct seal_run *c, const char *sub, const char *id, const char *file)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct sp_errinfo ei;
	const char *ctype;
	char path[128];
	json_t *doc = NULL;
	int r;

	sp_errinfo_init(&ei);
	if (sp_file_read(file, SCAN_READ_MAX, &data, &len, &ei) != SP_OK)
		return seal_fail(sub, EX_NOINPUT, &ei);
	if ((ctype = sniff(data, len)) == NULL) {
		char shown[1024];

		fprintf(stderr,
			"sealpact: seal %s: %s is not a PDF, PNG or JPEG file: scan the stamped "
			"form to one of those\n",
			sub, client_text_clean(file, shown, sizeof(shown)));
		free(data);
		return EX_DATAERR;
	}
	snprintf(path, sizeof(path), "/api/v1/seal-applications/%s/scan", id);
	r = seal_request(c, sub, "PUT", path, data, len, ctype, 200, &doc, NULL);
	free(data);
	if (r == 0) {
		json_t *scan = json_object_get(doc, "scan");
		printf("uploaded: %s, %lld bytes\n", seal_text(scan, "content_type"),
		       (long long)json_integer_value(json_object_get(scan, "bytes")));
	}
	json_decref(doc);
	return r;
}

static int
submit(struct seal_run *c, const char *sub, const char *id)
{
	char path[128];
	json_t *doc = NULL;
	int r;

	snprintf(path, sizeof(path), "/api/v1/seal-applications/%s/submit", id);
	if ((r = seal_json_request(c, sub, "POST", path, NULL, 200, &doc)) == 0)
		printf("submitted: application %s is %s\n", seal_text(doc, "id"),
		       seal_text(doc, "status"));
	json_decref(doc);
	return r;
}

/* ---- the subcommands ---------------------------------------------------- */

/* apply --name N --type T; change SEAL_ID [--name N] [--type T] */
static int
cmd_apply(struct seal_run *c, int change, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub = change ? "change" : "apply", *name = NULL, *type = NULL, *seal_id = NULL;
	json_t *body = NULL, *doc = NULL, *old = NULL;
	char path[128];
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'n')
			name = optarg;
		else if (ch == 't')
			type = optarg;
		else
			return seal_opt_error(sub, ch, argv);
	}
	if (change) {
		if ((r = seal_id_arg(sub, argc - optind, argv + optind, 1)) != 0)
			return r;
		if (argc - optind > 1)
			return seal_usage_arg(sub, argv[optind + 1]);
		seal_id = argv[optind];
	} else if (optind != argc) {
		return seal_usage_arg(sub, argv[optind]);
	}
	if (type != NULL && !seal_type_ok(type))
		return seal_usage(sub, "--type is official (公章) or contract (合同专用章)");
	if (change && (name == NULL || type == NULL)) {
		/* A change keeps what it does not name: the seal's name and type. */
		snprintf(path, sizeof(path), "/api/v1/seals/%s", seal_id);
		if ((r = seal_json_request(c, sub, "GET", path, NULL, 200, &old)) != 0)
			return r;
		if (name == NULL)
			name = json_string_value(json_object_get(old, "name"));
		if (type == NULL)
			type = json_string_value(json_object_get(old, "type"));
	}
	if (name == NULL || type == NULL) {
		json_decref(old);
		return seal_usage(sub, "give --name (the physical seal's name) and --type");
	}
	body = json_pack("{s:s,s:s}", "name", name, "type", type);
	if (body == NULL || (seal_id != NULL && json_object_set_new(body, "replaces_seal_id",
								    json_string(seal_id)) != 0)) {
		r = EX_SOFTWARE;
		goto out;
	}
	if ((r = seal_json_request(c, sub, "POST", "/api/v1/seal-applications", body, 201, &doc)) !=
	    0)
		goto out;
	print_application(doc);
	printf("next: sealpact seal form %s -o FORM.pdf, print it, stamp it with the physical "
	       "seal,\n"
	       "      scan it in colour, then sealpact seal upload %s SCAN --submit\n",
	       seal_text(doc, "id"), seal_text(doc, "id"));
out:
	json_decref(body);
	json_decref(doc);
	json_decref(old);
	return r;
}

/* form APP_ID -o FILE (the old form APP_ID FILE still works, with a note) */
static int
cmd_form(struct seal_run *c, int argc, char **argv)
{
	struct client_response resp;
	struct sp_errinfo ei;
	char path[128];
	const char *out;
	int r, n;

	if ((r = client_output_opt("seal form", argc, argv, &out)) != 0)
		return r;
	n = argc - optind;
	if ((r = seal_id_arg("form", n, argv + optind, 0)) != 0)
		return r;
	if (out == NULL && n == 2) {
		out = argv[optind + 1];
		client_output_deprecated("seal form", "seal form APP_ID -o FILE.pdf");
	} else if (n > (out == NULL ? 2 : 1)) {
		return seal_usage_arg("form", argv[optind + (out == NULL ? 2 : 1)]);
	} else if (out == NULL) {
		return seal_usage("form", "give the form's file with -o FILE.pdf");
	}
	snprintf(path, sizeof(path), "/api/v1/seal-applications/%s/form", argv[optind]);
	client_response_init(&resp, FORM_MAX);
	if ((r = seal_request(c, "form", "GET", path, NULL, 0, NULL, 200, NULL, &resp)) != 0)
		goto out;
	sp_errinfo_init(&ei);
	if (resp.body.len < 5 || memcmp(resp.body.data, "%PDF-", 5) != 0) {
		fprintf(stderr, "sealpact: seal form: the server sent no PDF\n");
		r = 1;
	} else if (sp_file_write(out, resp.body.data, resp.body.len, 0644, &ei) != SP_OK) {
		r = seal_fail("form", EX_CANTCREAT, &ei);
	} else {
		printf("saved the application form to %s (%zu bytes)\n", out, resp.body.len);
	}
out:
	client_response_cleanup(&resp);
	return r;
}

/* upload ID FILE [--submit] */
static int
cmd_upload(struct seal_run *c, int argc, char **argv)
{
	static const struct option opts[] = { { "submit", no_argument, NULL, 's' },
					      { NULL, 0, NULL, 0 } };
	int ch, do_submit = 0, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch != 's')
			return seal_opt_error("upload", ch, argv);
		do_submit = 1;
	}
	if ((r = seal_id_arg("upload", argc - optind, argv + optind, 0)) != 0)
		return r;
	if (argc - optind < 2)
		return seal_usage("upload", "give the scan's file (PDF, PNG or JPEG)");
	if (argc - optind > 2)
		return seal_usage_arg("upload", argv[optind + 2]);
	if ((r = upload_scan(c, "upload", argv[optind], argv[optind + 1])) != 0 || !do_submit)
		return r;
	return submit(c, "upload", argv[optind]);
}

/* modify ID [--name N] [--type T] [--scan FILE] [--submit] */
static int
cmd_modify(struct seal_run *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "scan", required_argument, NULL, 'f' },
		{ "submit", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *type = NULL, *scan = NULL, *id;
	json_t *body = NULL, *doc = NULL;
	char path[128];
	int ch, do_submit = 0, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'f':
			scan = optarg;
			break;
		case 's':
			do_submit = 1;
			break;
		default:
			return seal_opt_error("modify", ch, argv);
		}
	}
	if ((r = seal_id_arg("modify", argc - optind, argv + optind, 0)) != 0)
		return r;
	if (argc - optind > 1)
		return seal_usage_arg("modify", argv[optind + 1]);
	id = argv[optind];
	if (type != NULL && !seal_type_ok(type))
		return seal_usage("modify", "--type is official (公章) or contract (合同专用章)");
	if (name == NULL && type == NULL && scan == NULL && !do_submit)
		return seal_usage("modify",
				  "nothing to change: give --name, --type, --scan or --submit");
	if (name != NULL || type != NULL) {
		if ((body = json_object()) == NULL ||
		    (name != NULL && json_object_set_new(body, "name", json_string(name)) != 0) ||
		    (type != NULL && json_object_set_new(body, "type", json_string(type)) != 0)) {
			r = EX_SOFTWARE;
			goto out;
		}
		snprintf(path, sizeof(path), "/api/v1/seal-applications/%s", id);
		if ((r = seal_json_request(c, "modify", "PATCH", path, body, 200, &doc)) != 0)
			goto out;
		printf("modified: application %s is %s (name %s, %s)\n", seal_text(doc, "id"),
		       seal_text(doc, "status"), seal_text(doc, "name"),
		       seal_type_name(seal_text(doc, "type")));
	}
	if (scan != NULL && (r = upload_scan(c, "modify", id, scan)) != 0)
		goto out;
	r = do_submit ? submit(c, "modify", id) : 0;
out:
	json_decref(body);
	json_decref(doc);
	return r;
}

/* submit, cancel, show: one application id */
static int
cmd_one(struct seal_run *c, const char *sub, int argc, char **argv)
{
	char path[128];
	json_t *doc = NULL;
	int r;

	if ((r = seal_id_arg(sub, argc - 1, argv + 1, 0)) != 0)
		return r;
	if (argc > 2)
		return seal_usage_arg(sub, argv[2]);
	if (strcmp(sub, "submit") == 0)
		return submit(c, sub, argv[1]);
	if (strcmp(sub, "cancel") == 0) {
		snprintf(path, sizeof(path), "/api/v1/seal-applications/%s/cancel", argv[1]);
		if ((r = seal_json_request(c, sub, "POST", path, NULL, 200, &doc)) == 0)
			printf("cancelled: application %s is %s\n", seal_text(doc, "id"),
			       seal_text(doc, "status"));
	} else {
		snprintf(path, sizeof(path), "/api/v1/seal-applications/%s", argv[1]);
		if ((r = seal_json_request(c, sub, "GET", path, NULL, 200, &doc)) == 0)
			print_application(doc);
	}
	json_decref(doc);
	return r;
}

/* Token options shared by list and install. */
struct token_opts {
	const char *module, *label, *serial, *key_id, *pin_file, *maker_cert;
	int json;
};

static int
token_opts_parse(struct token_opts *t, const char *sub, int argc, char **argv, int *first_arg)
{
	static const struct option opts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "token", required_argument, NULL, 't' },
		{ "serial", required_argument, NULL, 's' },
		{ "key-id", required_argument, NULL, 'i' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "maker-cert", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*first_arg = 0;
	memset(t, 0, sizeof(*t));
	t->module = getenv("SEALPACT_PKCS11_MODULE");
	t->label = getenv("SEALPACT_TOKEN");
	t->key_id = getenv("SEALPACT_KEY_ID");
	t->maker_cert = getenv("SEALPACT_SEAL_MAKER_CERT");
	if (t->module != NULL && *t->module == '\0')
		t->module = NULL;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			t->module = optarg;
			break;
		case 't':
			t->label = optarg;
			break;
		case 's':
			t->serial = optarg;
			break;
		case 'i':
			t->key_id = optarg;
			break;
		case 'p':
			t->pin_file = optarg;
			break;
		case 'c':
			t->maker_cert = optarg;
			break;
		case 'j':
			t->json = 1;
			break;
		default:
			return seal_opt_error(sub, ch, argv);
		}
	}
	*first_arg = optind;
	return 0;
}

/* The server's status of seal id (from `GET /api/v1/seals`), or "unknown". */
static const char *
server_status(json_t *items, const char *id)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it) if (json_is_string(json_object_get(it, "id")) &&
					     strcmp(json_string_value(json_object_get(it, "id")),
						    id) == 0) return seal_text(it, "status");
	return "unknown";
}

/* The seals stored on the token, with the server's word on each (a seal
 * revoked by a change stays on the token until replaced, but signs nothing). */
static int
list_token(const struct token_opts *t, json_t *server, json_t *out)
{
	struct p11data *p = NULL;
	struct p11data_obj *objs = NULL;
	struct sp_errinfo ei;
	struct seal_info info;
	size_t n = 0, i;
	char line[256];
	const char *st;
	int r;

	sp_errinfo_init(&ei);
	if (p11data_open(t->module, t->label, t->serial, &p, &ei) != SP_OK ||
	    p11data_find(p, P11DATA_SEAL_APPLICATION, NULL, &objs, &n, &ei) != SP_OK) {
		r = seal_fail("list", 1, &ei);
		goto out;
	}
	if (!t->json)
		printf("On the token (%zu):\n", n);
	for (i = 0; i < n; i++) {
		json_t *o;

		sp_errinfo_init(&ei);
		r = seal_info_read(objs[i].value, objs[i].value_len, &info, &ei);
		client_text_clean(objs[i].label, line, sizeof(line));
		st = server_status(server, line);
		o = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:s?}", "id", line, "name",
			      r == SP_OK ? info.name : NULL, "type", r == SP_OK ? info.type : NULL,
			      "valid_from", r == SP_OK ? info.valid_from : NULL, "valid_until",
			      r == SP_OK ? info.valid_until : NULL, "server_status", st, "error",
			      r == SP_OK ? NULL : ei.msg);
		if (o != NULL)
			json_array_append_new(out, o);
		if (t->json)
			continue;
		if (r == SP_OK)
			printf("  seal %-8s %-24s %-10s valid %s .. %s  (server: %s)\n", line,
			       info.name, info.type, info.valid_from, info.valid_until, st);
		else
			printf("  seal %-8s unreadable: %s\n", line, ei.msg);
	}
	r = 0;
out:
	p11data_objs_free(objs, n);
	p11data_close(p);
	return r;
}

static int
cmd_list(struct seal_run *c, int argc, char **argv)
{
	struct token_opts t;
	json_t *seals = NULL, *apps = NULL, *tok = NULL, *it, *all = NULL;
	size_t i;
	int r, first;

	if ((r = token_opts_parse(&t, "list", argc, argv, &first)) != 0)
		return r;
	if (first != argc)
		return seal_usage_arg("list", argv[first]);
	if ((tok = json_array()) == NULL)
		return EX_SOFTWARE;
	if ((r = seal_json_request(c, "list", "GET", "/api/v1/seals?page_size=100", NULL, 200,
				   &seals)) != 0 ||
	    (r = seal_json_request(c, "list", "GET", "/api/v1/seal-applications?page_size=100",
				   NULL, 200, &apps)) != 0)
		goto out;
	/* The token needs no PIN: the seals are public objects. */
	if (t.module != NULL && (r = list_token(&t, json_object_get(seals, "items"), tok)) != 0)
		goto out;
	if (t.json) {
		all = json_pack("{s:O,s:O,s:O}", "token", t.module ? tok : json_null(), "seals",
				json_object_get(seals, "items"), "applications",
				json_object_get(apps, "items"));
		if (all == NULL ||
		    json_dumpf(all, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0) {
			r = EX_SOFTWARE;
			goto out;
		}
		printf("\n");
		goto out;
	}
	printf("On the server (%zu):\n", json_array_size(json_object_get(seals, "items")));
	json_array_foreach(json_object_get(seals, "items"), i, it)
		printf("  seal %-8s %-24s %-8s %-9s valid %s .. %s%s\n", seal_text(it, "id"),
		       seal_text(it, "name"), seal_text(it, "type"), seal_text(it, "status"),
		       seal_text(it, "valid_from"), seal_text(it, "valid_until"),
		       json_is_false(json_object_get(it, "usable")) ? "  (not usable now)" : "");
	printf("Applications (%zu):\n", json_array_size(json_object_get(apps, "items")));
	json_array_foreach(json_object_get(apps, "items"), i, it)
		printf("  application %-8s %-24s %-8s %-12s%s%s%s%s\n", seal_text(it, "id"),
		       seal_text(it, "name"), seal_text(it, "type"), seal_text(it, "status"),
		       json_is_string(json_object_get(it, "seal_id")) ? " seal " : "",
		       json_is_string(json_object_get(it, "seal_id")) ? seal_text(it, "seal_id")
								      : "",
		       json_is_string(json_object_get(it, "review_note")) ? "  note: " : "",
		       json_is_string(json_object_get(it, "review_note"))
			       ? seal_text(it, "review_note")
			       : "");
	if (t.module == NULL)
		printf("(the token is not listed: name its module with --module or "
		       "SEALPACT_PKCS11_MODULE)\n");
out:
	json_decref(seals);
	json_decref(apps);
	json_decref(tok);
	json_decref(all);
	return r;
}

static X509 *
pem_cert(const char *file, struct sp_errinfo *ei)
{
	FILE *f = fopen(file, "r");
	X509 *x;

	if (f == NULL) {
		sp_err(ei, SP_ERR_IO, "cannot open %s", file);
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		sp_err(ei, SP_ERR_INVALID, "%s holds no PEM certificate", file);
	return x;
}

/* The maker certificate the server sent with the seal (base64 DER). */
static X509 *
header_cert(struct client *c, struct sp_errinfo *ei)
{
	char b64[16384];
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509 *x = NULL;

	if (client_response_header(c, "X-Seal-Maker-Certificate", b64, sizeof(b64)) != SP_OK ||
	    sp_b64_decode(b64, strlen(b64), sizeof(b64), 0, &der, &len) != SP_OK) {
		sp_err(ei, SP_ERR_INVALID,
		       "the server sent no usable seal-making certificate (give --maker-cert)");
		return NULL;
	}
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		X509_free(x);
		x = NULL;
		sp_err(ei, SP_ERR_INVALID,
		       "the seal-making certificate the server sent is not DER");
	}
	free(der);
	return x;
}

static int
cmd_install(struct seal_run *c, int argc, char **argv)
{
	struct token_opts t;
	struct client_response resp;
	struct sp_errinfo ei;
	struct p11data *p = NULL;
	struct seal_info info;
	unsigned char *cert = NULL, key_id[64];
	size_t cert_len = 0, key_id_len = 0;
	X509 *maker = NULL, *sent = NULL;
	char path[128], pin[PIN_MAX], subject[256];
	const char *id;
	json_t *seal = NULL, *doc = NULL;
	int r, first;

	memset(pin, 0, sizeof(pin));
	client_response_init(&resp, SESEAL_MAX);
	if ((r = token_opts_parse(&t, "install", argc, argv, &first)) != 0)
		goto out;
	if ((r = seal_id_arg("install", argc - first, argv + first, 1)) != 0)
		goto out;
	if (argc - first > 1) {
		r = seal_usage_arg("install", argv[first + 1]);
		goto out;
	}
	id = argv[first];
	if (t.module == NULL) {
		r = seal_usage("install", "name the token's PKCS#11 module (--module or "
					  "SEALPACT_PKCS11_MODULE)");
		goto out;
	}
	if (t.key_id != NULL && (sp_hex_decode(t.key_id, strlen(t.key_id), key_id, sizeof(key_id),
					       &key_id_len) != SP_OK ||
				 key_id_len == 0)) {
		r = seal_usage("install", "--key-id must be hex (e.g. 01)");
		goto out;
	}
	sp_errinfo_init(&ei);
	if (t.maker_cert != NULL && (maker = pem_cert(t.maker_cert, &ei)) == NULL) {
		r = seal_fail("install", EX_NOINPUT, &ei);
		goto out;
	}
	/* The token before the network: a missing token costs no download. */
	if (p11data_open(t.module, t.label, t.serial, &p, &ei) != SP_OK ||
	    p11data_cert_der(p, key_id, key_id_len, &cert, &cert_len, &ei) != SP_OK) {
		r = seal_fail("install", 1, &ei);
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/seals/%s", id);
	if ((r = seal_json_request(c, "install", "GET", path, NULL, 200, &seal)) != 0)
		goto out;
	if (strcmp(seal_text(seal, "status"), "approved") != 0 &&
	    strcmp(seal_text(seal, "status"), "installed") != 0) {
		fprintf(stderr,
			"sealpact: seal install: seal %s is %s: only an approved seal is "
			"installed\n",
			id, seal_text(seal, "status"));
		r = 1;
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/seals/%s/seseal", id);
	if ((r = seal_request(c, "install", "GET", path, NULL, 0, NULL, 200, NULL, &resp)) != 0)
		goto out;
	if ((sent = header_cert(c->c, &ei)) == NULL && maker == NULL) {
		r = seal_fail("install", 1, &ei);
		goto out;
	}
	if (maker != NULL && sent != NULL && X509_cmp(maker, sent) != 0) {
		fprintf(stderr, "sealpact: seal install: the server signs seals with another "
				"certificate than --maker-cert: refusing the seal\n");
		r = 1;
		goto out;
	}
	if (maker == NULL) {
		maker = sent;
		sent = NULL; /* transferred */
	}
	/* Every check before anything is stored: a seal that fails one never
	 * reaches the token. */
	if (seal_verify(resp.body.data, resp.body.len, maker, cert, cert_len, id, &info, &ei) !=
	    SP_OK) {
		fprintf(stderr,
			"sealpact: seal install: the seal is refused, nothing was stored: %s\n",
			ei.msg);
		r = 1;
		goto out;
	}
	if (client_pin_read(t.pin_file, pin, sizeof(pin), &ei) != SP_OK) {
		r = seal_fail("install", EX_USAGE, &ei);
		goto out;
	}
	if (p11data_login(p, pin, &ei) != SP_OK ||
	    p11data_store(p, P11DATA_SEAL_APPLICATION, id, resp.body.data, resp.body.len, &ei) !=
		    SP_OK) {
		r = seal_fail("install", 1, &ei);
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/seals/%s/installed", id);
	if ((r = seal_json_request(c, "install", "POST", path, NULL, 200, &doc)) != 0) {
		fprintf(stderr, "sealpact: seal install: the seal is on the token; run the install "
				"again to tell the server\n");
		goto out;
	}
	X509_NAME_oneline(X509_get_subject_name(maker), subject, sizeof(subject));
	printf("installed seal %s (%s, %s) on the token, valid %s .. %s\n", id, info.name,
	       seal_type_name(info.type), info.valid_from, info.valid_until);
	printf("signed by the seal maker %s; bound to this token's certificate\n",
	       client_text_clean(subject, subject, sizeof(subject)));
	printf("status on the server: %s\n", seal_text(doc, "status"));
	r = 0;
out:
	sp_wipe(pin, sizeof(pin));
	client_response_cleanup(&resp);
	p11data_close(p);
	free(cert);
	X509_free(maker);
	X509_free(sent);
	json_decref(seal);
	json_decref(doc);
	return r;
}

int
client_cmd_seal(const struct client_cli *cli, int argc, char **argv)
{
	struct seal_run run = { cli, NULL }, *c = &run;
	const char *sub;
	int r;

	if (argc < 2)
		return client_usage("seal",
				    "name what to do: apply, form, upload, submit, modify, cancel, "
				    "show, change, list or install");
	sub = argv[1];
	if (strcmp(sub, "apply") != 0 && strcmp(sub, "change") != 0 && strcmp(sub, "form") != 0 &&
	    strcmp(sub, "upload") != 0 && strcmp(sub, "submit") != 0 &&
	    strcmp(sub, "modify") != 0 && strcmp(sub, "cancel") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "list") != 0 && strcmp(sub, "install") != 0)
		return client_usage("seal",
				    "unknown subcommand '%s': apply, form, upload, submit, modify, "
				    "cancel, show, change, list or install",
				    sub);
	argc--;
	argv++;
	if (strcmp(sub, "apply") == 0 || strcmp(sub, "change") == 0)
		r = cmd_apply(c, strcmp(sub, "change") == 0, argc, argv);
	else if (strcmp(sub, "form") == 0)
		r = cmd_form(c, argc, argv);
	else if (strcmp(sub, "upload") == 0)
		r = cmd_upload(c, argc, argv);
	else if (strcmp(sub, "modify") == 0)
		r = cmd_modify(c, argc, argv);
	else if (strcmp(sub, "list") == 0)
		r = cmd_list(c, argc, argv);
	else if (strcmp(sub, "install") == 0)
		r = cmd_install(c, argc, argv);
	else
		r = cmd_one(c, sub, argc, argv);
	client_free(run.c);
	return r;
}
