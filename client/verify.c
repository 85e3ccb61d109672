/*
 * verify.c: `sealpact verify FILE`, the offline verifier: the same engine
 * as the server (crypto_pdf_verify), a readable report or --json (the
 * server's own renderer, api/verify_report.c), and an exit status scripts can
 * use (client_verify_exit_code, see verify_int.h).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "client.h"
#include "crypto.h"
#include "pdf.h"
#include "verify_int.h"
#include "verify_report.h"

#define MAX_FILES 32
#define REPORT_MAX (64 * 1024 * 1024)

int
client_verify_exit_code(const struct crypto_verify_report *r)
{
	if (!r || r->nsigs == 0)
		return 3;
	switch (r->verdict) {
	case CRYPTO_VERDICT_VALID:
	case CRYPTO_VERDICT_VALID_ALLOWED_CHANGES:
		return r->last_revision_signed ? 0 : 2;
	case CRYPTO_VERDICT_INDETERMINATE:
		return 2;
	default:
		return 1;
	}
}

static const char *
tri(int v)
{
	return v < 0 ? "not checked" : v ? "ok" : "FAILED";
}

static void
when(time_t t, char *out, size_t cap)
{
	struct tm tm;

	if (t <= 0 || !gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "-");
}

static void
upper(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++)
		out[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32
				: in[i] == '_'               ? ' '
							     : in[i]);
	out[i] = 0;
}

/* The PAdES level as ETSI EN 319 142-1 names it; not_pades is a legacy SubFilter, or an
   ETSI one without what the baseline asks (ESS, /M, no signing-time attribute). */
static const char *
level_name(const char *level)
{
	static const char *const names[][2] = {
		{ "pades_b", "PAdES B-B" },
		{ "pades_b_t", "PAdES B-T" },
		{ "pades_b_lt", "PAdES B-LT" },
		{ "pades_b_lta", "PAdES B-LTA" },
		{ "not_pades", "not PAdES baseline" },
	};
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(names); i++)
		if (!strcmp(level, names[i][0]))
			return names[i][1];
	return level;
}

/* path: the file's name as cleaned for the terminal */
static void
print_text(const char *path, const struct crypto_verify_report *r)
{
	size_t i, j;
	char v[64], t1[32], c1[1024], c2[1024];

	if (r->nsigs == 0) {
		printf("%s: no verifiable signature\n", path);
		return;
	}
	printf("%s: %zu signature(s), %zu revision(s)\n", path, r->nsigs, r->nrevisions);
	for (i = 0; i < r->nsigs; i++) {
		const struct crypto_sig_report *s = &r->sigs[i];
		upper(crypto_verdict_name(s->verdict), v, sizeof(v));
		/* Everything below but our own words comes from the PDF: cleaned. */
		printf("\nSignature %zu \"%s\" (object %d)%s%s: %s\n", i + 1,
		       client_text_clean(s->field, c1, sizeof(c1)), s->sig_obj,
		       s->doc_timestamp ? ", document timestamp" : "",
		       s->certifying ? ", certifying" : "", v);
		for (j = 0; j < s->nreasons; j++)
			printf("  reason: %s\n", client_text_clean(s->reasons[j], c1, sizeof(c1)));
		if (s->message[0])
			printf("  %s\n", client_text_clean(s->message, c1, sizeof(c1)));
		if (s->has_signer)
			printf("  signer: %s\n  issuer: %s\n",
			       client_text_clean(s->signer.subject, c1, sizeof(c1)),
			       client_text_clean(s->signer.issuer, c2, sizeof(c2)));
		printf("  byte range [%lld %lld %lld %lld]", s->byte_range[0], s->byte_range[1],
		       s->byte_range[2], s->byte_range[3]);
		/* (none known when the file's revisions cannot be told apart) */
		if (s->revision > 0)
			printf(", signs revision %zu of %zu", s->revision, r->nrevisions);
		printf("\n");
		printf("  structure: %s; digest %s: %s; signature %s: %s\n", tri(s->structure_ok),
		       s->digest_alg[0] ? client_text_clean(s->digest_alg, c1, sizeof(c1)) : "-",
		       tri(s->digest_ok),
		       s->sig_alg[0] ? client_text_clean(s->sig_alg, c2, sizeof(c2)) : "-",
		       tri(s->signature_ok));
		when(s->checked_at, t1, sizeof(t1));
		printf("  certificate chain: %s (at %s)%s\n", tri(s->chain_ok), t1,
		       s->rev_dss ? ", revocation from the embedded DSS" : "");
		if (s->level[0])
			printf("  level: %s\n", level_name(s->level));
		if (s->has_timestamp) {
			when(s->ts_time, t1, sizeof(t1));
			printf("  timestamp: %s, %s by %s\n", tri(s->timestamp_ok), t1,
			       client_text_clean(s->tsa, c1, sizeof(c1)));
		} else {
			printf("  timestamp: none\n");
		}
		printf("  changes after signing: %zu allowed, %zu disallowed\n", s->nallowed,
		       s->ndisallowed);
		for (j = 0; j < s->nchanges; j++)
			printf("    revision %zu, object %d: %s [%s]\n", s->changes[j].revision,
			       s->changes[j].obj,
			       client_text_clean(s->changes[j].what, c1, sizeof(c1)),
			       s->changes[j].allowed ? "allowed" : "NOT ALLOWED");
	}
	upper(crypto_verdict_name(r->verdict), v, sizeof(v));
	printf("\nLast revision signed: %s%s%s\nVerdict: %s\n",
	       r->last_revision_signed ? "yes" : "no", r->message[0] ? " - " : "",
	       client_text_clean(r->message, c1, sizeof(c1)), v);
}

static void
print_files(const char *what, const char *const *f, size_t n)
{
	size_t i;

	printf("  %s:", what);
	if (n == 0)
		printf(" none");
	for (i = 0; i < n; i++)
		printf(" %s", f[i]);
	printf("\n");
}

static int
untrusted_issuer(const struct crypto_verify_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nsigs; i++)
		for (j = 0; j < r->sigs[i].nreasons; j++)
			if (strstr(r->sigs[i].reasons[j], "untrusted_issuer") != NULL)
				return 1;
	return 0;
}

/*
 * Say what the verdict was reached against: the server's POST /api/v1/verify
 * uses its own configured trust, so the same file may read differently.
 */
static void
print_trust(const struct crypto_verify_report *r, const char *const *roots, size_t nroots,
	    const char *const *inter, size_t ninter, const char *const *crls, size_t ncrls,
	    const char *tsa)
{
	printf("\nTrust used (this machine's files, not the server's):\n");
	print_files("roots", roots, nroots);
	print_files("intermediates", inter, ninter);
	print_files("CRLs", crls, ncrls);
	print_files("TSA roots", &tsa, tsa != NULL ? 1 : 0); /* none: &tsa is not read */
	printf("  plus the CA certificates embedded in each signature\n");
	if (untrusted_issuer(r) && ninter == 0)
		printf("Hint: the signer's issuing CA is not in the file (signed without "
		       "--chain?) and no --intermediate was given; pass --intermediate PEM "
		       "(development: var/pki/ca.pem) to use the trust the server is "
		       "configured with (trust.intermediates).\n");
}

static json_t *
files_json(const char *const *f, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(f[i]));
	return a;
}

/* Add the trust this run used to the report document (the server's report has its own). */
static int
json_add_trust(json_t *doc, const char *const *roots, size_t nroots, const char *const *inter,
	       size_t ninter, const char *const *crls, size_t ncrls, const char *tsa)
{
	json_t *t;

	t = json_pack("{s:s,s:o,s:o,s:o,s:o}", "source", "local", "roots",
		      files_json(roots, nroots), "intermediates", files_json(inter, ninter), "crls",
		      files_json(crls, ncrls), "tsa_roots",
		      files_json(tsa != NULL ? &tsa : NULL, tsa != NULL ? 1 : 0));
	if (t == NULL || json_object_set_new(doc, "trust", t) != 0)
		return -1;
	return 0;
}

int
client_cmd_verify(const char *default_roots, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "trust-roots", required_argument, NULL, 'r' },
		{ "cacert", required_argument, NULL, 'r' },
		{ "intermediate", required_argument, NULL, 'i' },
		{ "crl", required_argument, NULL, 'l' },
		{ "tsa-trust", required_argument, NULL, 't' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *roots[MAX_FILES], *inter[MAX_FILES], *crls[MAX_FILES], *tsa = NULL, *path;
	size_t nroots = 0, ninter = 0, ncrls = 0, len = 0;
	struct crypto_trust *trust = NULL;
	struct crypto_verify_report *rep = NULL;
	struct crypto_verify_opts vo = { 0 };
	struct sp_errinfo ei;
	char *text = NULL;
	size_t textlen = 0;
	json_t *doc = NULL;
	unsigned char *data = NULL;
	int json = 0, ch, rc = EX_USAGE;
	char c1[512], shown[PATH_MAX];

	sp_errinfo_init(&ei);
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'j') {
			json = 1;
		} else if ((ch == 'r' && nroots == MAX_FILES) ||
			   (ch == 'i' && ninter == MAX_FILES) ||
			   (ch == 'l' && ncrls == MAX_FILES)) {
			rc = client_usage("verify", "at most %d files per option", MAX_FILES);
			goto out;
		} else if (ch == 'r') {
			roots[nroots++] = optarg;
		} else if (ch == 'i') {
			inter[ninter++] = optarg;
		} else if (ch == 'l') {
			crls[ncrls++] = optarg;
		} else if (ch == 't') {
			tsa = optarg;
		} else if (ch == 'a') {
			int64_t at;
			const char *why;

			if (sp_time_parse(optarg, &at, &why) != SP_OK) {
				rc = client_usage("verify",
						  "--at wants an RFC 3339 time such as "
						  "2040-01-01T00:00:00Z; \"%s\" is %s",
						  optarg, why);
				goto out;
			}
			vo.at = (time_t)at;
		} else {
			rc = client_option_error("verify", ch, argv);
			goto out;
		}
	}
	if (optind != argc - 1) {
		rc = client_usage("verify", "give exactly one FILE");
		goto out;
	}
	path = argv[optind];
	/* the file's name is whoever sent the file's to choose: never raw on the terminal */
	client_text_clean(path, shown, sizeof(shown));
	if (nroots == 0 && default_roots)
		roots[nroots++] = default_roots;
	rc = 1;
	if (nroots > 0 && crypto_trust_new(roots, nroots, inter, ninter, crls, ncrls, NULL, &trust,
					   &ei) != SP_OK) {
		fprintf(stderr, "sealpact: verify: trust roots: %s\n", ei.msg);
		rc = EX_USAGE;
		goto out;
	}
	if (tsa && crypto_ts_trust_load(tsa, &vo.ts_trust, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: verify: --tsa-trust: %s\n", ei.msg);
		rc = EX_USAGE;
		goto out;
	}
	vo.trust = trust;
	if (sp_file_read(path, PDF_DOC_MAX_BYTES, &data, &len, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: verify: %s\n",
			client_text_clean(ei.msg, c1, sizeof(c1)));
		rc = EX_NOINPUT;
		goto out;
	}
	if (pdf_bytes_check(data, len, &ei) != SP_OK ||
	    crypto_pdf_verify(data, len, &vo, &rep, &ei) != SP_OK) {
		/* a file the engine cannot parse proves nothing about any signature */
		if (json)
			printf("{\"verdict\":\"unreadable\",\"error\":\"%s\"}\n",
			       sp_errname(ei.code));
		fprintf(stderr, "sealpact: verify: %s: unreadable, cannot be verified: %s\n", shown,
			client_text_clean(ei.msg, c1, sizeof(c1)));
		rc = ei.code == SP_ERR_NOMEM ? EX_SOFTWARE : CLIENT_VERIFY_EXIT_UNREADABLE;
		goto out;
	}
	if (json) {
		/* ASCII escapes: what the PDF says stays inert on a terminal. */
		if (verify_report_text(rep, REPORT_MAX, &text, &textlen) != SP_OK ||
		    (doc = json_loadb(text, textlen, 0, NULL)) == NULL ||
		    json_add_trust(doc, roots, nroots, inter, ninter, crls, ncrls, tsa) != 0 ||
		    json_dumpf(doc, stdout,
			       JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) != 0) {
			fprintf(stderr, "sealpact: verify: cannot write the report\n");
			goto out;
		}
		printf("\n");
	} else {
		print_text(shown, rep);
		print_trust(rep, roots, nroots, inter, ninter, crls, ncrls, tsa);
	}
	rc = client_verify_exit_code(rep);
out:
	crypto_verify_report_free(rep);
	crypto_trust_free(trust);
	X509_STORE_free(vo.ts_trust);
	json_decref(doc);
	free(text);
	free(data);
	return rc;
}
