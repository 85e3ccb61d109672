/*
 * login.c: `sealpact login`, `sealpact logout`, `sealpact whoami`.
 *
 * login asks the server for a challenge, signs its 32 bytes with the key on
 * the token (the PIN stays on this machine and is wiped after use) or with a
 * development PEM key, sends certificate + signature, and keeps the session
 * token in the session file (session.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "contracts_int.h"
#include "login_int.h"

#define PIN_MAX 256
#define CHALLENGE_LEN 32

static int
fail(int status, const char *what, const struct sp_errinfo *ei)
{
	fprintf(stderr, "sealpact: %s: %s\n", what, ei->msg);
	return status;
}

static int
transport_status(int code)
{
	return code == SP_ERR_INVALID                              ? EX_USAGE
	       : (code == SP_ERR_NOMEM || code == SP_ERR_INTERNAL) ? EX_SOFTWARE
								   : EX_UNAVAILABLE;
}

/* The server's challenge: exactly 32 bytes, padded base64. */
static int
challenge_decode(const char *s, unsigned char out[CHALLENGE_LEN])
{
	unsigned char *buf = NULL;
	size_t n = 0;

	if (sp_b64_decode(s, SIZE_MAX, CHALLENGE_LEN, 0, &buf, &n) != SP_OK)
		return -1;
	if (n == CHALLENGE_LEN)
		memcpy(out, buf, CHALLENGE_LEN);
	free(buf);
	return n == CHALLENGE_LEN ? 0 : -1;
}

/* POST/GET with a JSON body; answers stay in resp. Returns 0 or an exit status. */
static int
call(struct client *c, const char *method, const char *path, json_t *body,
     struct client_response *resp)
{
	struct sp_errinfo ei;
	char *text = NULL;
	int rc;

	sp_errinfo_init(&ei);
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "sealpact: out of memory\n");
		return EX_SOFTWARE;
	}
	rc = client_request(c, method, path, text, text ? strlen(text) : 0,
			    text ? "application/json" : NULL, NULL, resp, &ei);
	free(text);
	if (rc != SP_OK) {
		fprintf(stderr, "sealpact: error: cannot reach the server: %s\n", ei.msg);
		return transport_status(ei.code);
	}
	return 0;
}

/* ---- login -------------------------------------------------------------------- */

int
client_cmd_login(const char *server, const char *cafile, long timeout_s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "token", required_argument, NULL, 't' },
		{ "serial", required_argument, NULL, 's' },
		{ "key-id", required_argument, NULL, 'i' },
		{ "key-label", required_argument, NULL, 'l' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct client_signer_opts so;
	struct client_signer *signer = NULL;
	struct client *c = NULL;
	struct client_response resp;
	struct sp_errinfo ei;
	unsigned char challenge[CHALLENGE_LEN], *der = NULL;
	uint8_t *sig = NULL;
	size_t derlen = 0, siglen = 0;
	const char *alg = NULL, *pin_file = NULL, *v;
	char pin[PIN_MAX];
	char who[512];
	char *s_cert = NULL, *s_sig = NULL, *s_ch = NULL;
	json_t *doc = NULL, *body = NULL;
	int ch, rc = 1;

	memset(&so, 0, sizeof(so));
	memset(pin, 0, sizeof(pin));
	so.module = getenv("SEALPACT_PKCS11_MODULE");
	so.token_label = getenv("SEALPACT_TOKEN");
	so.key_id = getenv("SEALPACT_KEY_ID");
	client_response_init(&resp, 256 * 1024);
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			so.module = optarg;
			break;
		case 't':
			so.token_label = optarg;
			break;
		case 's':
			so.token_serial = optarg;
			break;
		case 'i':
			so.key_id = optarg;
			break;
		case 'l':
			so.key_label = optarg;
			break;
		case 'p':
			pin_file = optarg;
			break;
		case 'k':
			so.key_pem = optarg;
			break;
		case 'c':
			so.cert_pem = optarg;
			break;
		default:
			rc = client_option_error("login", ch, argv);
			goto out;
		}
	}
	if (optind < argc) {
		rc = client_usage("login", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (so.key_pem == NULL && (so.module == NULL || *so.module == '\0')) {
		rc = client_usage("login",
				  "name the token's PKCS#11 module (--module or "
				  "SEALPACT_PKCS11_MODULE), or a development key (--key, --cert)");
		goto out;
	}
	sp_errinfo_init(&ei);
	if (client_new(server, cafile, timeout_s, &c, &ei) != SP_OK) {
		rc = fail(transport_status(ei.code), "login", &ei);
		goto out;
	}
	if (so.key_pem == NULL) {
		if (client_pin_read(pin_file, pin, sizeof(pin), &ei) != SP_OK) {
			rc = fail(EX_USAGE, "login", &ei);
			goto out;
		}
		so.pin = pin;
	}
	rc = client_signer_open(&so, &signer, &ei);
	sp_wipe(pin, sizeof(pin));
	so.pin = NULL;
	if (rc != SP_OK) {
		rc = fail(1, "login", &ei);
		goto out;
	}
	if (client_signer_cert_der(signer, &der, &derlen, &ei) != SP_OK) {
		rc = fail(1, "login", &ei);
		goto out;
	}
	body = json_object();
	if ((rc = call(c, "POST", "/api/v1/auth/challenge", body, &resp)) != 0)
		goto out;
	json_decref(body);
	body = NULL;
	if (resp.status != 200) {
		rc = client_cli_said_no("login", &resp);
		goto out;
	}
	doc = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
	if (challenge_decode(json_string_value(json_object_get(doc, "challenge")), challenge) !=
	    0) {
		fprintf(stderr, "sealpact: login: the server sent no usable challenge\n");
		rc = 1;
		goto out;
	}
	json_decref(doc);
	doc = NULL;
	if (client_signer_sign(signer, challenge, sizeof(challenge), &sig, &siglen, &alg, &ei) !=
	    SP_OK) {
		rc = fail(1, "login", &ei);
		goto out;
	}
	if ((s_cert = sp_b64_encode(der, derlen, 0)) == NULL ||
	    (s_sig = sp_b64_encode(sig, siglen, 0)) == NULL ||
	    (s_ch = sp_b64_encode(challenge, sizeof(challenge), 0)) == NULL ||
	    (body = json_pack("{s:s,s:s,s:s,s:s}", "certificate", s_cert, "challenge", s_ch,
			      "signature", s_sig, "algorithm", alg)) == NULL) {
		rc = EX_SOFTWARE;
		goto out;
	}
	if ((rc = call(c, "POST", "/api/v1/auth/login", body, &resp)) != 0)
		goto out;
	if (resp.status != 200) {
		rc = client_cli_said_no("login", &resp);
		goto out;
	}
	doc = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
	if ((v = json_string_value(json_object_get(doc, "token"))) == NULL) {
		fprintf(stderr, "sealpact: login: the server sent no token\n");
		rc = 1;
		goto out;
	}
	snprintf(who, sizeof(who), "%s (%s)",
		 json_string_value(json_object_get(json_object_get(doc, "organization"), "name"))
			 ?: "-",
		 json_string_value(
			 json_object_get(json_object_get(doc, "organization"), "credit_code"))
			 ?: "-");
	if (client_session_save(c->base_url, v,
				json_string_value(json_object_get(doc, "expires_at")), who,
				&ei) != SP_OK) {
		rc = fail(1, "login", &ei);
		goto out;
	}
	printf("logged in as %s of %s (%s); the session expires at %s\n",
	       client_json_text(json_object_get(doc, "user"), "name", "-"),
	       client_json_text(json_object_get(doc, "organization"), "name", "-"),
	       client_json_text(json_object_get(doc, "organization"), "credit_code", "-"),
	       client_json_text(doc, "expires_at", "-"));
	rc = 0;
out:
	sp_wipe(pin, sizeof(pin));
	if (resp.body.data != NULL)
		sp_wipe(resp.body.data, resp.body.len);
	client_response_cleanup(&resp);
	client_signer_free(signer);
	client_free(c);
	json_decref(doc);
	json_decref(body);
	free(der);
	free(sig);
	free(s_cert);
	free(s_sig);
	free(s_ch);
	return rc;
}

/* ---- logout, whoami ---------------------------------------------------------------- */

/*
 * A client carrying the saved token; 0 or an exit status. With absent, no
 * session for this server is no failure: *absent is set, *out stays NULL and
 * 0 is returned (logout's "nothing to end").
 */
static int
open_session(const char *cmd, const char *server, const char *cafile, long timeout_s,
	     struct client **out, int *absent)
{
	struct sp_errinfo ei;
	char *token = NULL;
	int r;

	*out = NULL;
	sp_errinfo_init(&ei);
	if (client_new(server, cafile, timeout_s, out, &ei) != SP_OK)
		return fail(transport_status(ei.code), cmd, &ei);
	r = client_session_load((*out)->base_url, &token, &ei);
	if (r == SP_OK)
		r = client_token_set(*out, token, &ei);
	if (token != NULL) {
		sp_wipe(token, strlen(token));
		free(token);
	}
	if (r == SP_OK)
		return 0;
	if (r == SP_ERR_NOT_FOUND && absent != NULL) {
		fprintf(stderr, "sealpact: %s: note: not logged in to %s; nothing to end\n", cmd,
			(*out)->base_url);
		*absent = 1;
		r = 0;
	} else {
		/* none is 1, as the server's no; a damaged file is 78, as for every command */
		r = fail(r == SP_ERR_NOT_FOUND ? 1 : EX_CONFIG, cmd, &ei);
	}
	client_free(*out);
	*out = NULL;
	return r;
}

int
client_cmd_logout(const char *server, const char *cafile, long timeout_s, int argc, char **argv)
{
	struct client_response resp;
	struct client *c = NULL;
	struct sp_errinfo ei;
	int rc, absent = 0;

	if (argc > 1 && argv[1] != NULL)
		return client_usage("logout", "unexpected argument '%s'", argv[1]);
	/*
	 * Not logged in is success with a note, as a session the server had
	 * already ended (401 below) is: what logout is for holds, and a script's
	 * cleanup (a trap under set -e) does not fail for a session that expired.
	 * (docker logout does the same; gh auth logout exits 1, but it asks which
	 * account to end, and here there is one session a server.)
	 */
	if ((rc = open_session("logout", server, cafile, timeout_s, &c, &absent)) != 0 || absent)
		return rc;
	client_response_init(&resp, 64 * 1024);
	if ((rc = call(c, "POST", "/api/v1/auth/logout", NULL, &resp)) != 0)
		goto out;
	/* 401: the session had already ended; either way it is gone now. */
	if (resp.status != 200 && resp.status != 401) {
		rc = client_cli_said_no("logout", &resp);
		goto out;
	}
	sp_errinfo_init(&ei);
	if (client_session_remove(&ei) != SP_OK) {
		rc = fail(1, "logout", &ei);
		goto out;
	}
	printf("logged out\n");
	rc = 0;
out:
	client_response_cleanup(&resp);
	client_free(c);
	return rc;
}

int
client_cmd_whoami(const char *server, const char *cafile, long timeout_s, int argc, char **argv)
{
	struct client_response resp;
	struct client *c = NULL;
	json_t *doc = NULL, *org, *user, *cert;
	int rc, i, json_out = 0, all = 0;
	struct sp_errinfo ei;

	/* an option is named as one, as getopt's refusals are elsewhere */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json_out = 1;
		else if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return client_usage("whoami", "unknown option '%s'", argv[i]);
		else
			return client_usage("whoami", "unexpected argument '%s'", argv[i]);
	}
	if (json_out && all)
		return client_usage("whoami", "--json and --all exclude each other");
	if (all) {
		sp_errinfo_init(&ei);
		if (client_profiles_list(&ei) != SP_OK)
			return fail(EX_CONFIG, "whoami", &ei);
		return 0;
	}
	if ((rc = open_session("whoami", server, cafile, timeout_s, &c, NULL)) != 0)
		return rc;
	client_response_init(&resp, 64 * 1024);
	if ((rc = call(c, "GET", "/api/v1/auth/whoami", NULL, &resp)) != 0)
		goto out;
	if (resp.status != 200) {
		rc = client_cli_said_no("whoami", &resp);
		goto out;
	}
	doc = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
	if (json_out) {
		/* Re-encoded as ASCII: the server's bytes never reach the terminal raw. */
		if (doc == NULL || json_dumpf(doc, stdout, JSON_ENSURE_ASCII) != 0) {
			fprintf(stderr, "sealpact: whoami: the server's answer is not JSON\n");
			rc = EX_PROTOCOL;
			goto out;
		}
		fputc('\n', stdout);
		rc = 0;
		goto out;
	}
	user = json_object_get(doc, "user");
	org = json_object_get(doc, "organization");
	cert = json_object_get(doc, "certificate");
	printf("kind: %s\nuser: %s\n", client_json_text(doc, "kind", "-"),
	       client_json_text(user, "name", "-"));
	if (json_is_object(org))
		printf("organization: %s\ncredit code: %s\n", client_json_text(org, "name", "-"),
		       client_json_text(org, "credit_code", "-"));
	if (json_is_object(cert))
		printf("certificate: %s\n", client_json_text(cert, "subject", "-"));
	rc = 0;
out:
	json_decref(doc);
	client_response_cleanup(&resp);
	client_free(c);
	return rc;
}
