/*
 * test_signing.c: the signing pieces that run without a server: the CLI's
 * placement flags (client/sign_opts.c) and their API JSON, and the server's
 * timestamp provider (server/state/tsa_provider.c) with the built-in TSA of
 * the development PKI (deploy/pki.sh, made once in a temporary directory):
 * a token over a signature value that chains to the dev root, carries the
 * serial given and an accuracy, checked by crypto_ts_response_check inside;
 * and TSA files that do not fit refused when the provider is built.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>

#include "config.h"
#include "crypto.h"
#include "sign_int.h"
#include "signing_int.h"
#include "support_shell.h"
#include "support_tmp.h"

static char src[1024], tmp[256];
static int pki_ok;

/* ---- placement flags ------------------------------------------------------------------ */

START_TEST(test_placement_flags)
{
	static struct sign_opts o;
	struct sp_errinfo ei;

	memset(&o, 0, sizeof(o));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "normal", "1,400,120", &ei), SP_OK);
	ck_assert_int_eq(o.pl[0].mode, PDF_PLACE_NORMAL);
	ck_assert_int_eq(o.pl[0].page, 1);
	ck_assert(o.pl[0].x == 400 && o.pl[0].y == 120);
	ck_assert_int_eq(sign_placement_parse(&o, "multi", "1-3,5,450.5,700", &ei), SP_OK);
	ck_assert_str_eq(o.pl[1].pages, "1-3,5");
	ck_assert(o.pl[1].x == 450.5 && o.pl[1].y == 700);
	ck_assert_int_eq(sign_placement_parse(&o, "seam", "all,400", &ei), SP_OK);
	ck_assert_str_eq(o.pl[2].pages, "all");
	ck_assert(o.pl[2].y == 400);
	ck_assert_int_eq(sign_placement_parse(&o, "keyword", "乙方（盖章）,all", &ei), SP_OK);
	ck_assert_str_eq(o.pl[3].keyword, "乙方（盖章）");
	ck_assert_str_eq(o.pl[3].occurrences, "all");
	ck_assert_int_eq(sign_placement_parse(&o, "keyword", "Party B, seal,1,3", &ei), SP_OK);
	ck_assert_str_eq(o.pl[4].keyword, "Party B, seal");
	ck_assert_str_eq(o.pl[4].occurrences, "1,3");
	ck_assert_int_eq(sign_placement_parse(&o, "keyword", "乙方", &ei), SP_OK);
	ck_assert_ptr_null(o.pl[5].occurrences);
	ck_assert_int_eq(sign_placement_parse(&o, "date", "2,100,50", &ei), SP_OK);
	ck_assert_int_eq(o.pl[6].mode, PDF_PLACE_DATE);
	/* occurrences are page-range syntax, ranges too (sealpact help sign: "2-4") */
	ck_assert_int_eq(sign_placement_parse(&o, "keyword", "乙方（盖章）,2-4", &ei), SP_OK);
	ck_assert_str_eq(o.pl[7].keyword, "乙方（盖章）");
	ck_assert_str_eq(o.pl[7].occurrences, "2-4");
	ck_assert_int_eq(sign_placement_parse(&o, "keyword", "Party B, seal,1, 3-5", &ei), SP_OK);
	ck_assert_str_eq(o.pl[8].keyword, "Party B, seal");
	ck_assert_str_eq(o.pl[8].occurrences, "1, 3-5");
	ck_assert_int_eq(sign_placement_parse(&o, "keyword", "Article 5, 2", &ei), SP_OK);
	ck_assert_str_eq(o.pl[9].keyword, "Article 5, 2");
	ck_assert_ptr_null(o.pl[9].occurrences);
	ck_assert_uint_eq(o.npl, 10);
	/* Refusals add nothing. */
	ck_assert_int_eq(sign_placement_parse(&o, "normal", "x,400,120", &ei), SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "normal", "1,400", &ei), SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "normal", "0,1,1", &ei), SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "seam", "400", &ei), SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	/* not a place on a page: sent as JSON they were no "x" at all, which the server
	   reads as 0 (its refusal then named a centre the signer never gave) */
	ck_assert_int_eq(sign_placement_parse(&o, "normal", "1,nan,120", &ei), SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "seam", "all,inf", &ei), SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "multi", "1-2,-infinity,3", &ei), SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "keyword", "", &ei), SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "stamp", "1,1,1", &ei), SP_ERR_INVALID);
	ck_assert_uint_eq(o.npl, 10);
	while (o.npl < SIGN_MAX_PLACEMENTS)
		ck_assert_int_eq(sign_placement_parse(&o, "date", "1,1,1", &ei), SP_OK);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "date", "1,1,1", &ei), SP_ERR_INVALID);
}
END_TEST

START_TEST(test_placements_json)
{
	static struct sign_opts o;
	struct sp_errinfo ei;
	json_t *a;
	char *s;

	memset(&o, 0, sizeof(o));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sign_placement_parse(&o, "normal", "1,400,120", &ei), SP_OK);
	ck_assert_int_eq(sign_placement_parse(&o, "seam", "1-4,300", &ei), SP_OK);
	ck_assert_int_eq(sign_placement_parse(&o, "keyword", "乙方（盖章）,2", &ei), SP_OK);
	a = sign_placements_json(&o);
	ck_assert_ptr_nonnull(a);
	s = json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII);
	ck_assert_str_eq(s, "[{\"mode\":\"normal\",\"page\":1,\"x\":400.0,\"y\":120.0},"
			    "{\"mode\":\"seam\",\"pages\":\"1-4\",\"y\":300.0},"
			    "{\"mode\":\"keyword\",\"keyword\":"
			    "\"\\u4E59\\u65B9\\uFF08\\u76D6\\u7AE0\\uFF09\","
			    "\"occurrence\":\"2\"}]");
	free(s);
	json_decref(a);
}
END_TEST

/* ---- the timestamp provider ---------------------------------------------------------------- */

/* A config of the dev PKI whose TSA is cert and key (relative to the PKI; NULL: none). */
static struct config *
config_for_tsa(const char *cert, const char *key)
{
	char path[512];
	struct config *cfg = NULL;
	struct sp_errinfo ei;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sealpact.yaml", tmp);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"server:\n  tls: false\ndatabase:\n  url: postgresql://unused@127.0.0.1:1/x\n"
		"trust:\n  roots:\n    - %s/pki/root.pem\n"
		"tsa:\n  mode: builtin\n  chain: %s/pki/chain.pem\n  trust: %s/pki/root.pem\n"
		"  accuracy_ms: 500\n",
		tmp, tmp, tmp);
	if (cert != NULL)
		fprintf(f, "  cert: %s/pki/%s\n  key: %s/pki/%s\n", tmp, cert, tmp, key);
	fclose(f);
	sp_errinfo_init(&ei);
	ck_assert_msg(config_load(path, NULL, &cfg, &ei) == SP_OK, "config: %s", ei.msg);
	return cfg;
}

static struct config *
config_for_pki(void)
{
	return config_for_tsa("tsa.crt", "tsa.key");
}

START_TEST(test_builtin_timestamp)
{
	struct config *cfg;
	struct tsa_provider *tp = NULL;
	const struct crypto_tsa *a = NULL, *b = NULL;
	struct sp_errinfo ei;
	uint8_t sig[256], other[256], *tok = NULL;
	const unsigned char *p;
	size_t toklen = 0;
	time_t gen = 0, before, after;
	PKCS7 *p7;
	TS_TST_INFO *info;
	const ASN1_INTEGER *serial;

	ck_assert_msg(pki_ok, "deploy/pki.sh failed");
	cfg = config_for_pki();
	sp_errinfo_init(&ei);
	ck_assert_msg(tsa_provider_new(cfg, &tp, &ei) == SP_OK, "provider: %s", ei.msg);
	ck_assert_int_eq(tsa_provider_builtin(tp, &a, &ei), SP_OK);
	ck_assert_int_eq(tsa_provider_builtin(tp, &b, &ei), SP_OK);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(a, b); /* built once, shared by every job */
	memset(sig, 0x5a, sizeof(sig));
	memset(other, 0xa5, sizeof(other));
	/* the time of the stamp: between the clock read before and after (a second
	   either side for rounding), however slow the machine */
	before = time(NULL);
	ck_assert_msg(tsa_provider_timestamp(tp, sig, sizeof(sig), 4242, &tok, &toklen, &gen,
					     &ei) == SP_OK,
		      "timestamp: %s", ei.msg);
	after = time(NULL);
	ck_assert(gen >= before - 1 && gen <= after + 1);
	p = tok;
	p7 = d2i_PKCS7(NULL, &p, (long)toklen);
	ck_assert_ptr_nonnull(p7);
	info = PKCS7_to_TS_TST_INFO(p7);
	ck_assert_ptr_nonnull(info);
	serial = TS_TST_INFO_get_serial(info);
	ck_assert_int_eq(ASN1_INTEGER_get(serial), 4242);
	ck_assert_ptr_nonnull(TS_TST_INFO_get_accuracy(info));
	TS_TST_INFO_free(info);
	PKCS7_free(p7);
	free(tok);
	tok = NULL;
	ck_assert_int_eq(tsa_provider_timestamp(tp, other, sizeof(other), 4243, &tok, &toklen, &gen,
						&ei),
			 SP_OK);
	ck_assert_ptr_nonnull(tok);
	free(tok);
	tsa_provider_free(tp);
	config_free(cfg);
}
END_TEST

/* Build a provider from cfg that must fail; its message must contain want. */
static void
expect_refused(struct config *cfg, const char *want)
{
	struct tsa_provider *tp = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_ne(tsa_provider_new(cfg, &tp, &ei), SP_OK);
	ck_assert_ptr_null(tp);
	ck_assert_msg(strstr(ei.msg, want) != NULL, "\"%s\" not in \"%s\"", want, ei.msg);
	config_free(cfg);
}

START_TEST(test_bad_tsa_files_are_refused_when_built)
{
	struct config *cfg;
	struct tsa_provider *tp = NULL;
	const struct crypto_tsa *tsa = NULL;
	struct sp_errinfo ei;

	ck_assert_msg(pki_ok, "deploy/pki.sh failed");
	/* A CA certificate: no critical timeStamping EKU. */
	expect_refused(config_for_tsa("ca.pem", "ca.key"), "ca.pem");
	/* The TSA certificate with another key. */
	expect_refused(config_for_tsa("tsa.crt", "ca.key"), "ca.key");
	/* Not there at all. */
	expect_refused(config_for_tsa("no-such.crt", "tsa.key"), "no-such.crt");
	/* No TSA configured is not an error: the calls that need one say so. */
	cfg = config_for_tsa(NULL, NULL);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(tsa_provider_new(cfg, &tp, &ei), SP_OK);
	ck_assert_int_eq(tsa_provider_builtin(tp, &tsa, &ei), SP_ERR_CONFIG);
	ck_assert_str_eq(ei.reason, "tsa_not_configured");
	tsa_provider_free(tp);
	config_free(cfg);
}
END_TEST

static Suite *
signing_suite(void)
{
	Suite *s = suite_create("signing");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_placement_flags);
	tcase_add_test(tc, test_placements_json);
	tcase_add_test(tc, test_builtin_timestamp);
	tcase_add_test(tc, test_bad_tsa_files_are_refused_when_built);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *s = getenv("SEALPACT_SOURCE_DIR");
	SRunner *sr;
	int failed;

	if (s != NULL)
		snprintf(src, sizeof(src), "%s", s);
	else
		snprintf(src, sizeof(src), "%.*s",
			 (int)(strstr(__FILE__, "/tests/unit/") - __FILE__), __FILE__);
	/* (removed with the run's directory when this runner exits: support_tmp.h) */
	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir_new("signing"));
	pki_ok = test_run("bash '%s/deploy/pki.sh' '%s/pki' >/dev/null 2>'%s/pki.log'", src, tmp,
			  tmp) == 0;
	sr = srunner_create(signing_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
