/*
 * sign.c: `sealpact sign NUMBER` (challenge/response with the server, DESIGN
 * §5) and the option parsing shared with `sealpact sign --offline`.
 *
 * Online: read the certificate from the token (no PIN yet), ask the server to
 * prepare (it checks the certificate and the turn, resolves the placements
 * and answers to_be_signed), show where the seals go, THEN ask the PIN, sign
 * on the token (the key never leaves it) and complete.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/crypto.h>

#include "client.h"
#include "sign_int.h"

/* The signed attributes the server sends are a few hundred bytes. */
#define TBS_MAX (48 * 1024)

static int
usage_err(const char *msg)
{
	return client_usage("sign", "%s", msg);
}

/* The server's to_be_signed: the DER of the signed attributes, base64. */
static int
b64_decode(const char *s, unsigned char **out, size_t *len)
{
	return sp_b64_decode(s, SIZE_MAX, TBS_MAX, 0, out, len) == SP_OK ? 0 : -1;
}

/*
 * POST a JSON body with the extra headers (NULL-terminated; NULL: none); *doc gets
 * the parsed answer on 2xx. Returns 0 or an exit status.
 */
static int
post_json(struct client *c, const char *path, json_t *body, const char *const *headers,
	  json_t **doc)
{
	struct client_response resp;
	struct sp_errinfo ei;
	char *text = json_dumps(body, JSON_COMPACT), line[512];
	json_error_t je;
	int rc, st = 0;

	*doc = NULL;
	sp_errinfo_init(&ei);
	if (text == NULL)
		return EX_SOFTWARE;
	client_response_init(&resp, 16u * 1024 * 1024);
	rc = client_request(c, "POST", path, text, strlen(text), "application/json", headers, &resp,
			    &ei);
	free(text);
	if (rc != SP_OK) {
		fprintf(stderr, "sealpact: sign: cannot reach the server: %s\n", ei.msg);
		st = EX_UNAVAILABLE;
	} else if (resp.status < 200 || resp.status > 299) {
		client_error_format(&resp, line, sizeof(line));
		fprintf(stderr, "sealpact: sign: %s\n", line);
		st = 1;
	} else if ((*doc = json_loads((const char *)resp.body.data, 0, &je)) == NULL) {
		fprintf(stderr, "sealpact: sign: the server's answer is not JSON\n");
		st = EX_PROTOCOL;
	}
	client_response_cleanup(&resp);
	return st;
}

int
sign_run_online(const char *server, const char *cafile, long timeout_s, struct sign_opts *o,
		const char *number)
{
	static const char *const minimal[] = { "Prefer: return=minimal", NULL };
	struct client *c = NULL;
	struct client_signer *signer = NULL;
	struct sp_errinfo ei;
	unsigned char *der = NULL, *tbs = NULL;
	uint8_t *sig = NULL;
	size_t derlen = 0, tbslen = 0, siglen = 0;
	char *token = NULL, *s = NULL, path[160], pin[SIGN_PIN_MAX], idc[128], algc[64];
	const char *alg = NULL, *id, *want_alg;
	json_t *body = NULL, *prep = NULL, *done = NULL;
	int st = 1;

	sp_errinfo_init(&ei);
	memset(pin, 0, sizeof(pin));
	if (sign_cert_read(&o->so, &der, &derlen, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: sign: %s\n", ei.msg);
		st = ei.code == SP_ERR_INVALID ? EX_USAGE : 1;
		goto out;
	}
	if (client_session_load(server, &token, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: sign: %s (run sealpact login first)\n", ei.msg);
		st = ei.code == SP_ERR_NOT_FOUND ? 1 : EX_CONFIG;
		goto out;
	}
	if (client_new(server, cafile, timeout_s, &c, &ei) != SP_OK ||
	    client_token_set(c, token, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: sign: %s\n", ei.msg);
		st = EX_USAGE;
		goto out;
	}
	if ((s = sp_b64_encode(der, derlen, 0)) == NULL ||
	    (body = json_pack("{s:s,s:o}", "certificate", s, "placements",
			      sign_placements_json(o))) == NULL) {
		st = EX_SOFTWARE;
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/contracts/%s/signing-sessions", number);
	if ((st = post_json(c, path, body, NULL, &prep)) != 0)
		goto out;
	st = 1;
	id = json_string_value(json_object_get(prep, "session"));
	want_alg = json_string_value(json_object_get(prep, "algorithm"));
	if (id == NULL || want_alg == NULL ||
	    b64_decode(json_string_value(json_object_get(prep, "to_be_signed")), &tbs, &tbslen) !=
		    0) {
		fprintf(stderr, "sealpact: sign: the server's answer lacks session/to_be_signed\n");
		st = EX_PROTOCOL;
		goto out;
	}
	/* id and want_alg stay as sent (they go back to the server): print copies. */
	printf("Contract %s, signing session %s (expires %s), algorithm %s\n", number,
	       client_text_clean(id, idc, sizeof(idc)), client_json_text(prep, "expires_at", "-"),
	       client_text_clean(want_alg, algc, sizeof(algc)));
	sign_rects_print(json_object_get(prep, "rects"));
	if (json_is_string(json_object_get(prep, "date_seal_zone")))
		printf("Date seal and signing time in %s (the server's signing.date_seal_zone)\n",
		       client_json_text(prep, "date_seal_zone", "-"));
	fflush(stdout);
	/* Only now, with the placements shown, does the PIN get asked. */
	if (o->so.key_pem == NULL && client_pin_read(o->pin_file, pin, sizeof(pin), &ei) != SP_OK) {
		fprintf(stderr, "sealpact: sign: %s\n", ei.msg);
		goto out;
	}
	o->so.pin = pin;
	if (client_signer_open(&o->so, &signer, &ei) != SP_OK ||
	    client_signer_sign(signer, tbs, tbslen, &sig, &siglen, &alg, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: sign: %s\n", ei.msg);
		goto out;
	}
	if (strcmp(alg, want_alg) != 0) {
		fprintf(stderr, "sealpact: sign: the token signs %s but the server expects %s\n",
			alg, algc);
		goto out;
	}
	free(s);
	json_decref(body);
	if ((s = sp_b64_encode(sig, siglen, 0)) == NULL ||
	    (body = json_pack("{s:s}", "signature", s)) == NULL) {
		st = EX_SOFTWARE;
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/signing-sessions/%s/complete", id);
	/* what is printed below is the completion's own: the contract document the
	   default answer carries (every party, revision and audit event) is not asked for */
	if ((st = post_json(c, path, body, minimal, &done)) != 0)
		goto out;
	printf("Signed: revision %lld, sha256 %s, timestamp %s\n",
	       (long long)json_integer_value(json_object_get(done, "seq")),
	       client_json_text(done, "sha256", "-"), client_json_text(done, "timestamp", "-"));
	printf("Run 'sealpact send %s' to hand the contract on.\n", number);
	st = 0;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	o->so.pin = NULL;
	if (token != NULL) {
		sp_wipe(token, strlen(token));
		free(token);
	}
	client_signer_free(signer);
	client_free(c);
	free(der);
	free(tbs);
	free(sig);
	free(s);
	json_decref(body);
	json_decref(prep);
	json_decref(done);
	return st;
}

/* "B-B" 0, "B-T" 1, "B-LT" 2, "B-LTA" 3, else -1. */
static int
level_parse(const char *s)
{
	static const char *const names[] = { "B-B", "B-T", "B-LT", "B-LTA" };
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int
client_cmd_sign(const char *server, const char *cafile, long timeout_s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "normal", required_argument, NULL, 'n' },
		{ "multi", required_argument, NULL, 'M' },
		{ "seam", required_argument, NULL, 'S' },
		{ "keyword", required_argument, NULL, 'K' },
		{ "date", required_argument, NULL, 'D' },
		{ "field", required_argument, NULL, 'F' },
		{ "module", required_argument, NULL, 'm' },
		{ "token", required_argument, NULL, 't' },
		{ "serial", required_argument, NULL, 's' },
		{ "key-id", required_argument, NULL, 'i' },
		{ "key-label", required_argument, NULL, 'l' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "offline", no_argument, NULL, 'O' },
		{ "tsa", required_argument, NULL, 'T' },
		{ "tsa-cert", required_argument, NULL, 'C' },
		{ "tsa-key", required_argument, NULL, 'Y' },
		{ "tsa-trust", required_argument, NULL, 'R' },
		{ "seal", required_argument, NULL, 'G' },
		{ "reason", required_argument, NULL, 'r' },
		{ "chain", required_argument, NULL, 'H' },
		{ "cacert", required_argument, NULL, 'A' },
		{ "invisible", no_argument, NULL, 'I' },
		{ "date-zone", required_argument, NULL, 'Z' },
		{ "level", required_argument, NULL, 'V' },
		{ "trust-roots", required_argument, NULL, 'B' },
		{ "crl", required_argument, NULL, 'L' },
		{ "ocsp", required_argument, NULL, 'Q' },
		{ "ocsp-allow", required_argument, NULL, 'W' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	static struct sign_opts o; /* large: keep it off the stack */
	struct sp_errinfo ei;
	const char *kind, *out = NULL;
	int ch, st, invisible = 0, old_form = 0;

	memset(&o, 0, sizeof(o));
	o.level = -1;
	sp_errinfo_init(&ei);
	o.so.module = getenv("SEALPACT_PKCS11_MODULE");
	o.so.token_label = getenv("SEALPACT_TOKEN");
	o.so.key_id = getenv("SEALPACT_KEY_ID");
	o.cafile = cafile; /* the global --cacert / SEALPACT_CACERT; sign --cacert overrides */
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		kind = NULL;
		switch (ch) {
		case 'n':
			kind = "normal";
			break;
		case 'M':
			kind = "multi";
			break;
		case 'S':
			kind = "seam";
			break;
		case 'K':
			kind = "keyword";
			break;
		case 'D':
			kind = "date";
			break;
		case 'F':
			kind = "field";
			break;
		case 'm':
			o.so.module = optarg;
			break;
		case 't':
			o.so.token_label = optarg;
			break;
		case 's':
			o.so.token_serial = optarg;
			break;
		case 'i':
			o.so.key_id = optarg;
			break;
		case 'l':
			o.so.key_label = optarg;
			break;
		case 'p':
			o.pin_file = optarg;
			break;
		case 'k':
			o.so.key_pem = optarg;
			break;
		case 'c':
			o.so.cert_pem = optarg;
			break;
		case 'O':
			o.offline = 1;
			break;
		case 'T':
			o.tsa_url = optarg;
			break;
		case 'C':
			o.tsa_cert = optarg;
			break;
		case 'Y':
			o.tsa_key = optarg;
			break;
		case 'R':
			o.tsa_trust = optarg;
			break;
		case 'G':
			o.seal_png = optarg;
			break;
		case 'r':
			o.reason = optarg;
			break;
		case 'H':
			o.chain_pem = optarg;
			break;
		case 'A':
			o.cafile = optarg;
			break;
		case 'I':
			invisible = 1;
			break;
		case 'Z':
			o.date_zone = optarg;
			break;
		case 'V':
			if ((o.level = level_parse(optarg)) < 0)
				return usage_err("--level is B-B, B-T, B-LT or B-LTA");
			break;
		case 'B':
			if (o.nroots == SP_ARRAY_LEN(o.roots))
				return usage_err("at most 8 --trust-roots");
			o.roots[o.nroots++] = optarg;
			break;
		case 'L':
			if (o.ncrls == SP_ARRAY_LEN(o.crls))
				return usage_err("at most 16 --crl");
			o.crls[o.ncrls++] = optarg;
			break;
		case 'Q':
			if (o.nocsps == SP_ARRAY_LEN(o.ocsps))
				return usage_err("at most 16 --ocsp");
			o.ocsps[o.nocsps++] = optarg;
			break;
		case 'W':
			o.ocsp_allow = optarg;
			break;
		case 'o':
			if (*optarg == '\0')
				return usage_err("-o wants a file name");
			out = optarg;
			break;
		default:
			return client_option_error("sign", ch, argv);
		}
		if (kind != NULL && sign_placement_parse(&o, kind, optarg, &ei) != SP_OK)
			return usage_err(ei.msg);
	}
	if (o.so.key_pem != NULL)
		o.so.module = NULL;
	/*
	 * What to sign is said first: "sign" alone complained about the seal's
	 * placement, and the missing number came only after that was fixed.
	 */
	if (o.offline) {
		/* IN.pdf OUT.pdf, the old form, still works (with a note, below) */
		old_form = out == NULL && argc - optind == 2;
		if (old_form)
			out = argv[optind + 1];
		else if (argc - optind != 1 || out == NULL)
			return usage_err("--offline wants IN.pdf -o OUT.pdf");
	} else {
		if ((st = client_number_arg("sign", argc - optind, argv + optind,
					    "the contract's 19-digit number (or --offline IN.pdf "
					    "-o OUT.pdf)")) != 0)
			return st;
		if (argc - optind > 1)
			return client_usage("sign", "unexpected argument '%s'", argv[optind + 1]);
		if (out != NULL)
			return usage_err("-o is for --offline (online the signed contract stays on "
					 "the server: 'sealpact download NUMBER -o FILE')");
	}
	/* A signature nobody can see on the page is a choice, never a forgotten flag. */
	if (o.npl == 0 && !invisible)
		return usage_err("no seal placement: give --normal, --multi, --seam, --keyword, "
				 "--field or --date (see 'sealpact help sign'), or --invisible for "
				 "a signature "
				 "with no seal on the page");
	if (o.npl > 0 && invisible)
		return usage_err("--invisible and a seal placement exclude each other");
	if ((o.tsa_cert == NULL) != (o.tsa_key == NULL))
		return usage_err("--tsa-cert and --tsa-key go together");
	if (o.offline) {
		/* B-T by default; without a TSA named, B-B as before (the output says so) */
		if (o.level < 0)
			o.level = o.tsa_url != NULL || o.tsa_cert != NULL ? 1 : 0;
		if (o.level >= 1 && o.tsa_url == NULL && o.tsa_cert == NULL)
			return usage_err("--level B-T and above need a timestamp: --tsa URL (or "
					 "--tsa-cert and --tsa-key)");
		if (o.level >= 2 && o.nroots == 0)
			return usage_err(
				"--level B-LT and B-LTA build the chains to --trust-roots PEM");
		if (old_form)
			client_output_deprecated("sign", "sign --offline IN.pdf -o OUT.pdf ...");
		return sign_run_offline(&o, argv[optind], out);
	}
	/* Online, --seal names one of the organization's seals by its id. */
	if (o.seal_png != NULL) {
		size_t n = strlen(o.seal_png);

		if (n == 0 || n > 18 || strspn(o.seal_png, "0123456789") != n)
			return usage_err("--seal ID names one of your organization's seals online "
					 "(the number 'sealpact seal list' shows); a PNG is for "
					 "--offline");
		o.seal_id = o.seal_png;
		o.seal_png = NULL;
	}
	if (o.tsa_url != NULL || o.tsa_cert != NULL || o.chain_pem != NULL || o.date_zone != NULL)
		return usage_err(
			"--tsa, --tsa-cert, --chain and --date-zone are for --offline (the "
			"server timestamps, embeds the verified chain and dates the seal in "
			"its configured zone)");
	/* (it was dropped without a word: the server's signature has no /Reason) */
	if (o.reason != NULL)
		return usage_err("--reason is for --offline (the server writes no /Reason)");
	if (o.level >= 0 || o.nroots || o.ncrls || o.nocsps || o.ocsp_allow)
		return usage_err("--level, --trust-roots, --crl, --ocsp and --ocsp-allow are for "
				 "--offline (online the server's signing.level decides, with the "
				 "revocation data it checked itself)");
	st = sign_run_online(server, o.cafile, timeout_s, &o, argv[optind]);
	return st;
}
