/*
 * test_verify.h: the fixture and helpers of test_verify.c (the engine on
 * documents signed through the real path, the attack corpus, pdfsig) and
 * its parts test_verify_handed*.c (what a completion hands forward to the
 * next verification), one executable (tests/CMakeLists.txt, unit_parts): the
 * corpus PKI, made once, a document signed by rsa with a timestamp, the
 * checks every sound signature passes. Header-only; the state is
 * TEST_SHARED (support_part.h), held by test_verify.c.
 */
#ifndef TEST_VERIFY_H
#define TEST_VERIFY_H

#define VF_FN static __attribute__((unused))

#include <check.h>
#include <ctype.h>
#include <openssl/cms.h>
#include <openssl/pkcs7.h>
#include <qpdf/qpdf-c.h>

#include "test_verify_corpus.h"

TEST_SHARED struct crypto_trust *trust;
TEST_SHARED unsigned char *good; /* base signed by rsa with a timestamp */
TEST_SHARED size_t good_len;

VF_FN void
setup(void)
{
	size_t n;
	unsigned char *base;

	ck_assert_ptr_nonnull(trust = vc_pki_trust());
	base = vc_base(0, &n);
	good = vc_sign(base, n, "rsa", 1, 0, &good_len);
	free(base);
}

VF_FN void
teardown(void)
{
	crypto_trust_free(trust);
	free(good);
	vc_pki_free();
}

VF_FN struct crypto_verify_report *
verify(const unsigned char *d, size_t n)
{
	struct crypto_verify_report *r = vc_verify(trust, d, n);

	ck_assert_ptr_nonnull(r);
	return r;
}

VF_FN int
has_reason(const struct crypto_sig_report *s, const char *reason)
{
	size_t i;

	for (i = 0; i < s->nreasons; i++)
		if (!strcmp(s->reasons[i], reason))
			return 1;
	return 0;
}

/* pdfsig's output for a file (malloc'd). */
VF_FN char *
pdfsig(const unsigned char *d, size_t n)
{
	size_t m;

	write_file(vc_path("judge.pdf"), d, n);
	(void)run("cd %s && pdfsig -nssdir sql:nss judge.pdf >pdfsig.txt 2>&1", vc_dir);
	return (char *)read_file(vc_path("pdfsig.txt"), &m);
}

VF_FN int
count(const char *hay, const char *needle)
{
	int c = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		c++;
	return c;
}

VF_FN void
assert_all_checks(const struct crypto_sig_report *s, int ts)
{
	ck_assert_int_eq(s->structure_ok, 1);
	ck_assert_int_eq(s->digest_ok, 1);
	ck_assert_int_eq(s->signature_ok, 1);
	ck_assert_int_eq(s->chain_ok, 1);
	ck_assert_int_eq(s->has_timestamp, ts);
	if (ts) {
		ck_assert_int_eq(s->timestamp_ok, 1);
		ck_assert(labs((long)(s->ts_time - time(NULL))) < 600);
	}
	ck_assert_uint_eq(s->ndisallowed, 0);
	ck_assert_uint_eq(s->nreasons, 0);
}

/* Add the tests of test_verify_handed.c, test_verify_handed_sig.c and
   test_verify_handed_reports.c to tc. */
void verify_handed_add(TCase *tc);
void verify_handed_sig_add(TCase *tc);
void verify_handed_reports_add(TCase *tc);

#endif
