/*
 * test_crypto_trust_cached.c: what the trust store checks once and keeps:
 * OCSP answers from its cache without the network and fetched once under
 * concurrency, each certificate and CRL signature verified once while every
 * other check is kept, the cached verify step answering as OpenSSL does.
 * A part of test_crypto_trust (one executable, its PKI: test_crypto_trust.h).
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "crypto_int.h" /* the trust's signature cache counters */
#include "support_ports.h"
#include "support_shell.h"
#include "test_crypto_trust.h"

struct hammer {
	struct crypto_trust *t;
	X509 *leaf;
	int failures;
};

static void *
hammer_run(void *arg)
{
	struct hammer *h = arg;
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	int i;

	for (i = 0; i < 25; i++) {
		sp_errinfo_init(&ei);
		if (crypto_cert_check(h->t, h->leaf, NULL, 0, &res, &ei) != SP_OK ||
		    res.rev_status != CRYPTO_REV_GOOD)
			h->failures++;
		crypto_cert_result_cleanup(&res);
	}
	return NULL;
}

START_TEST(ocsp_cache_answers_without_network)
{
	int port = test_port_free(), i;
	char url[128];
	struct crypto_trust *t;
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	pthread_t th[6];
	struct hammer h[6];

	ck_assert_int_eq(responder_start("ocsp-cache", port), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp", port);
	t = trust(1, url, 1, NULL, 2000); /* no CRL: the cache is the only way */
	ck_assert_msg(check(t, "orgs/supplier/rsa.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_OCSP);
	crypto_cert_result_cleanup(&res);
	ck_assert_int_eq(check(t, "bad/revoked.crt", 0, &res, &ei), SP_ERR_CRYPTO);
	ck_assert_str_eq(ei.reason, "cert_revoked");
	responder_stop("ocsp-cache");

	ck_assert_msg(check(t, "orgs/supplier/rsa.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_status, CRYPTO_REV_GOOD);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_OCSP_CACHE);
	crypto_cert_result_cleanup(&res);
	/* Revoked answers are cached too. */
	ck_assert_int_eq(check(t, "bad/revoked.crt", 0, &res, &ei), SP_ERR_CRYPTO);
	ck_assert_str_eq(ei.reason, "cert_revoked");
	/* The network really is gone: a certificate not in the cache gets no answer. */
	ck_assert_int_eq(check(t, "orgs/supplier/ec.crt", 0, &res, &ei), SP_ERR_UNAVAILABLE);
	ck_assert_str_eq(ei.reason, "revocation_unknown");

	/* Worker threads share one store and its cache. */
	for (i = 0; i < 6; i++) {
		h[i].t = t;
		h[i].leaf = load("orgs/supplier/rsa.crt");
		h[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer_run, &h[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(h[i].failures, 0);
		X509_free(h[i].leaf);
	}
	crypto_trust_free(t);
}
END_TEST

struct fetcher {
	struct crypto_trust *t;
	X509 *leaf;
	int r;
	enum crypto_rev_source source;
};

static void *
fetcher_run(void *arg)
{
	struct fetcher *f = arg;
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	f->r = crypto_cert_check(f->t, f->leaf, NULL, 0, &res, &ei);
	f->source = res.rev_source;
	crypto_cert_result_cleanup(&res);
	return NULL;
}

/* Worker threads fetching OCSP answers at the same time, each for another certificate. */
START_TEST(concurrent_ocsp_fetches)
{
	static const char *algs[] = { "rsa", "ec", "sm2" };
	struct crypto_trust *t = trust(1, NULL, 1, NULL, 5000);
	struct fetcher f[9];
	pthread_t th[9];
	char rel[256];
	int i, n = 0;

	for (i = 0; i < 9 && i / 3 < norgs; i++, n++) {
		snprintf(rel, sizeof(rel), "orgs/%s/%s.crt", orgs[i / 3][0], algs[i % 3]);
		f[i].t = t;
		f[i].leaf = load(rel);
		ck_assert_int_eq(pthread_create(&th[i], NULL, fetcher_run, &f[i]), 0);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(f[i].r, SP_OK);
		ck_assert_int_eq(f[i].source, CRYPTO_REV_SRC_OCSP);
		X509_free(f[i].leaf);
	}
	crypto_trust_free(t);
}
END_TEST

static void
sig_stats(struct crypto_trust *t, size_t *n, unsigned long *hits, unsigned long *misses)
{
	cert_sigcache_stats(t->sigs, n, hits, misses);
}

/* A copy of pki/rel with its issuer name, contents and all, signed by another key. */
static X509 *
forge(const char *rel)
{
	X509 *orig = load(rel), *x = X509_dup(orig);
	EVP_PKEY *k = EVP_EC_gen("P-256");

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_issuer_name(orig)), 0);
	ck_assert_int_ne(X509_cmp(x, orig), 0);
	EVP_PKEY_free(k);
	X509_free(orig);
	return x;
}

/*
 * Certificate signatures are verified once per process (crypto/cert_sig.c):
 * checking a chain again asks the cache, not the math. The cache holds the
 * exact certificate bytes under the exact issuer key, never names: a forged
 * sibling (the genuine certificate's issuer name and contents, a signature
 * the CA never made) is refused after the genuine one passed, and a failure
 * is not remembered. On a hit every other check still runs: validity at the
 * time asked, revocation, the issuer.
 */
START_TEST(signatures_verified_once_every_other_check_kept)
{
	struct crypto_trust *t = trust(0, NULL, 1, "crl.pem", 0);
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	unsigned long h0, m0, h1, m1;
	size_t n0, n1;
	char genuine[300];
	X509 *f;
	int i;

	snprintf(genuine, sizeof(genuine), "orgs/%s/ec.crt", orgs[0][0]);
	ck_assert_msg(check(t, genuine, 0, &res, &ei) == SP_OK, "%s", ei.msg);
	crypto_cert_result_cleanup(&res);
	sig_stats(t, &n0, &h0, &m0);
	/* the leaf under the CA, the CA under the root, and the CA's CRL (kept for a DSS that
	   embeds it); the root's own is not checked */
	ck_assert_uint_eq(n0, 3);
	ck_assert_uint_eq(m0, 3);
	ck_assert_uint_eq(h0, 0);
	for (i = 0; i < 3; i++) {
		ck_assert_msg(check(t, genuine, 0, &res, &ei) == SP_OK, "%s", ei.msg);
		crypto_cert_result_cleanup(&res);
	}
	sig_stats(t, &n1, &h1, &m1);
	ck_assert_uint_eq(h1, 6);
	ck_assert_uint_eq(m1, 3);

	/* its sibling with one signature byte flipped, then one signed by another key */
	assert_refused(t, "bad/tampered.crt", 0, SP_ERR_CRYPTO, "cert_signature_invalid");
	f = forge(genuine);
	for (i = 0; i < 2; i++) {
		sp_errinfo_init(&ei);
		ck_assert_int_eq(crypto_cert_check(t, f, NULL, 0, &res, &ei), SP_ERR_CRYPTO);
		ck_assert_str_eq(ei.reason, "cert_signature_invalid");
		ck_assert_ptr_null(res.chain);
	}
	X509_free(f);
	/* a forged intermediate: the CA's name and contents, another key's signature */
	{
		STACK_OF(X509) *extra = sk_X509_new_null();
		X509 *leaf = load(genuine);
		char root[700], fake[700];
		const char *roots[] = { root }, *inter[] = { fake };
		struct crypto_trust *t2 = NULL;
		FILE *out;

		/* a trust whose only intermediate is the forged CA */
		f = forge("ca.pem");
		snprintf(root, sizeof(root), "%s/root.pem", pki);
		snprintf(fake, sizeof(fake), "%s/forged-ca.pem", tmp);
		ck_assert_ptr_nonnull(out = fopen(fake, "w"));
		ck_assert_int_eq(PEM_write_X509(out, f), 1);
		fclose(out);
		sp_errinfo_init(&ei);
		ck_assert_msg(crypto_trust_new(roots, 1, inter, 1, NULL, 0, NULL, &t2, &ei) ==
				      SP_OK,
			      "%s", ei.msg);
		ck_assert_int_eq(crypto_cert_check(t2, leaf, extra, 0, &res, &ei), SP_ERR_CRYPTO);
		ck_assert_str_eq(ei.reason, "cert_signature_invalid");
		crypto_trust_free(t2);
		sk_X509_free(extra);
		X509_free(leaf);
		X509_free(f);
	}
	sig_stats(t, &n1, &h1, &m1);
	ck_assert_uint_eq(n1, 3); /* nothing of the failures kept */

	/* a hit still dates every certificate of the chain at the time asked */
	assert_refused(t, genuine, utc(2020, 6, 1), SP_ERR_EXPIRED, "cert_not_yet_valid");
	assert_refused(t, genuine, utc(2050, 6, 1), SP_ERR_EXPIRED, "cert_expired");
	/* and revocation, expiry and the issuer of other leaves under the cached CA */
	assert_refused(t, "bad/revoked.crt", 0, SP_ERR_CRYPTO, "cert_revoked");
	assert_refused(t, "bad/expired.crt", 0, SP_ERR_EXPIRED, "cert_expired");
	assert_refused(t, "bad/notyet.crt", 0, SP_ERR_EXPIRED, "cert_not_yet_valid");
	assert_refused(t, "bad/untrusted.crt", 0, SP_ERR_CRYPTO, "untrusted_issuer");
	assert_refused(t, "bad/wrongku.crt", 0, SP_ERR_CRYPTO, "bad_key_usage");
	ck_assert_msg(check(t, genuine, 0, &res, &ei) == SP_OK, "%s", ei.msg);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);
}
END_TEST

/* What X509_verify_cert says through store (error, depth, certificate), one line. */
static void
verify_outcome(X509_STORE *store, X509 *leaf, STACK_OF(X509) * untrusted, time_t at, char *out,
	       size_t outsz)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *cur;
	int ok;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	if (at != 0)
		X509_STORE_CTX_set_time(ctx, 0, at);
	ok = X509_verify_cert(ctx);
	cur = X509_STORE_CTX_get_current_cert(ctx);
	snprintf(out, outsz, "ok=%d error=%d depth=%d cert=%d chain=%d", ok,
		 X509_STORE_CTX_get_error(ctx), X509_STORE_CTX_get_error_depth(ctx),
		 cur == NULL ? -1 : (int)X509_subject_name_hash(cur),
		 sk_X509_num(X509_STORE_CTX_get0_chain(ctx)));
	X509_STORE_CTX_free(ctx);
}

static int
accept_all(int ok, X509_STORE_CTX *ctx)
{
	(void)ctx;
	(void)ok;
	return 1;
}

/*
 * The store's verify step with the cache is OpenSSL's for every outcome:
 * the same answer, error code, error depth and failing certificate as a
 * store without it, for good, expired, not yet valid, forged, misused and
 * unrooted certificates, at now and at other times, first (a miss) and
 * again (a hit). A store with its own verify callback gets OpenSSL's step.
 */
/*
 * A DSS's CRL under its issuer's key is verified once per process
 * (cert_sigcache_crl_ok): the second ask is a hit; a CRL with one
 * signature byte flipped, or under another key, is verified in full each
 * time and never found.
 */
START_TEST(dss_crl_signatures_verified_once)
{
	struct crypto_trust *t = trust(0, NULL, 1, "crl.pem", 0);
	X509 *ca = load("ca.pem"), *root = load("root.pem");
	unsigned char *der = NULL, *bad;
	const unsigned char *p;
	size_t len = 0, n;
	unsigned long h0, m0, h1, m1;
	X509_CRL *crl, *forged;
	struct sp_errinfo ei;
	char path[1024];
	int i;

	sp_errinfo_init(&ei);
	snprintf(path, sizeof(path), "%s/crl.der", pki);
	ck_assert_msg(sp_file_read(path, 1 << 20, &der, &len, &ei) == SP_OK, "%s", ei.msg);
	p = der;
	ck_assert_ptr_nonnull(crl = d2i_X509_CRL(NULL, &p, (long)len));
	ck_assert_ptr_nonnull(bad = malloc(len));
	memcpy(bad, der, len);
	bad[len - 1] ^= 1; /* in the signature */
	p = bad;
	ck_assert_ptr_nonnull(forged = d2i_X509_CRL(NULL, &p, (long)len));
	sig_stats(t, &n, &h0, &m0);
	ck_assert_int_eq(cert_sigcache_crl_ok(t->sigs, crl, der, len, ca), 1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(cert_sigcache_crl_ok(t->sigs, crl, der, len, ca), 1);
		ck_assert_int_eq(cert_sigcache_crl_ok(t->sigs, forged, bad, len, ca), 0);
		ck_assert_int_eq(cert_sigcache_crl_ok(t->sigs, crl, der, len, root), 0);
	}
	sig_stats(t, &n, &h1, &m1);
	ck_assert_uint_eq(h1 - h0, 3);     /* the genuine pair, after the first */
	ck_assert_uint_eq(m1 - m0, 1 + 6); /* its first ask, and every failing one */
	/* without a cache: the same answers */
	ck_assert_int_eq(cert_sigcache_crl_ok(NULL, crl, der, len, ca), 1);
	ck_assert_int_eq(cert_sigcache_crl_ok(NULL, forged, bad, len, ca), 0);
	X509_CRL_free(crl);
	X509_CRL_free(forged);
	free(der);
	free(bad);
	X509_free(ca);
	X509_free(root);
	crypto_trust_free(t);
}
END_TEST

/*
 * A response fetched from the responder is checked as a DSS holding its bytes
 * checks it (against the roots at its producedAt) on the fetch's parse: the
 * completion that embeds it (B-LT, the same bytes from the fetch's cache) finds
 * it checked, and a signer's first B-LT completion no longer parses and
 * verifies its new response again (some 2.5 M instructions). The DSS's answer
 * is the one a fresh parse gives, for the certificate asked about only.
 */
START_TEST(fetched_ocsp_kept_for_the_dss)
{
	int port = test_port_free();
	char url[128];
	struct crypto_trust *t, *fresh;
	X509 *leaf = load("orgs/supplier/rsa.crt"), *other = load("orgs/supplier/ec.crt"),
	     *ca = load("ca.pem");
	STACK_OF(X509) *pool = sk_X509_new_null();
	struct crypto_evidence ev;
	struct trust_rev rev;
	struct sp_errinfo ei;
	unsigned char *der = NULL;
	size_t len = 0;

	ck_assert_int_eq(responder_start("ocsp-kept", port), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp", port);
	t = trust(1, url, 1, NULL, 2000);
	fresh = trust(0, NULL, 1, NULL, 0); /* parses and verifies what it is shown */
	ck_assert(pool != NULL && sk_X509_push(pool, X509_dup(ca)) > 0);
	sp_errinfo_init(&ei);
	ck_assert_uint_eq(ocsp_verified_count(t->ocsps), 0);
	ck_assert_msg(trust_ocsp_query(t, leaf, ca, pool, &rev, &der, &len, &ei) == SP_OK, "%s",
		      ei.msg);
	responder_stop("ocsp-kept");
	ck_assert_int_eq(rev.status, CRYPTO_REV_GOOD);
	ck_assert_uint_eq(ocsp_verified_count(t->ocsps), 1);
	memset(&ev, 0, sizeof(ev));
	ck_assert(crypto_evidence_add(&ev, PDF_DSS_OCSPS, der, len, &ei) == SP_OK);
	/* the DSS's answer from what the fetch kept: nothing parsed or kept anew */
	ck_assert_int_eq(trust_evidence_status(t, &ev, leaf, ca, pool, 0, &rev, &ei), SP_OK);
	ck_assert_int_eq(rev.status, CRYPTO_REV_GOOD);
	ck_assert_int_eq(rev.source, CRYPTO_REV_SRC_DSS);
	ck_assert_uint_eq(ocsp_verified_count(t->ocsps), 1);
	/* the same as a trust that never fetched it says */
	ck_assert_int_eq(trust_evidence_status(fresh, &ev, leaf, ca, pool, 0, &rev, &ei), SP_OK);
	ck_assert_int_eq(rev.status, CRYPTO_REV_GOOD);
	ck_assert_uint_eq(ocsp_verified_count(fresh->ocsps), 1);
	/* and about another certificate of the same issuer, nothing */
	ck_assert_int_eq(trust_evidence_status(t, &ev, other, ca, pool, 0, &rev, &ei),
			 SP_ERR_NOT_FOUND);
	ck_assert_int_eq(trust_evidence_status(fresh, &ev, other, ca, pool, 0, &rev, &ei),
			 SP_ERR_NOT_FOUND);
	crypto_evidence_cleanup(&ev);
	free(der);
	sk_X509_pop_free(pool, X509_free);
	X509_free(leaf);
	X509_free(other);
	X509_free(ca);
	crypto_trust_free(fresh);
	crypto_trust_free(t);
}
END_TEST

/*
 * The trust's CRL, verified when a chain first needed it, is the CRL a DSS
 * then embeds (ltv.c add_crl: its DER): the DSS's check of those bytes under
 * the same key finds that verification, and does not repeat it in the
 * completion that embeds it (some 0.9 M instructions). Under another key
 * they still do not verify.
 */
START_TEST(trust_crl_checked_once_for_the_dss)
{
	struct crypto_trust *t = trust(0, NULL, 1, "crl.pem", 0);
	X509 *ca = load("ca.pem"), *root = load("root.pem");
	struct crypto_cert_result res;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0, n;
	unsigned long h0, m0, h1, m1;
	X509_CRL *crl;
	struct sp_errinfo ei;
	char path[1024];

	ck_assert_msg(check(t, "orgs/supplier/rsa.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_status, CRYPTO_REV_GOOD);
	crypto_cert_result_cleanup(&res);
	snprintf(path, sizeof(path), "%s/crl.der", pki);
	ck_assert_msg(sp_file_read(path, 1 << 20, &der, &len, &ei) == SP_OK, "%s", ei.msg);
	p = der;
	ck_assert_ptr_nonnull(crl = d2i_X509_CRL(NULL, &p, (long)len));
	sig_stats(t, &n, &h0, &m0);
	ck_assert_int_eq(cert_sigcache_crl_ok(t->sigs, crl, der, len, ca), 1);
	sig_stats(t, &n, &h1, &m1);
	ck_assert_uint_eq(h1 - h0, 1);
	ck_assert_uint_eq(m1 - m0, 0);
	ck_assert_int_eq(cert_sigcache_crl_ok(t->sigs, crl, der, len, root), 0);
	X509_CRL_free(crl);
	free(der);
	X509_free(ca);
	X509_free(root);
	crypto_trust_free(t);
}
END_TEST

START_TEST(cached_verify_step_answers_as_openssl)
{
	static const char *const leaves[] = {
		"orgs/buyer/ec.crt",
		"orgs/buyer/rsa.crt",
		"orgs/supplier/sm2.crt",
		"bad/expired.crt",
		"bad/notyet.crt",
		"bad/tampered.crt",
		"bad/untrusted.crt",
		"bad/wrongku.crt",
		"bad/by-leaf.crt",
		"ca.pem",
		"tsa.crt",
		"bad/revoked-ca-leaf.crt",
	};
	time_t when[] = { 0, utc(2020, 6, 1), utc(2040, 6, 1), utc(2050, 6, 1) };
	X509_STORE *plain = X509_STORE_new(), *cached = X509_STORE_new();
	X509 *root = load("root.pem"), *leaf;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	struct cert_sigcache *c = cert_sigcache_new(64);
	char want[256], got[256];
	unsigned long hits, misses, h2, m2;
	size_t n, w, i, pass;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(X509_STORE_add_cert(plain, root), 1);
	ck_assert_int_eq(X509_STORE_add_cert(cached, root), 1);
	ck_assert_int_eq(cert_sigcache_attach(cached, c), 1);
	ck_assert_int_gt(sk_X509_push(untrusted, load("ca.pem")), 0);
	ck_assert_int_gt(sk_X509_push(untrusted, load("bad/revoked-ca.pem")), 0);
	ck_assert_int_gt(sk_X509_push(untrusted, load("orgs/buyer/ec.crt")), 0);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
			for (w = 0; w < sizeof(when) / sizeof(when[0]); w++) {
				leaf = load(leaves[i]);
				verify_outcome(plain, leaf, untrusted, when[w], want, sizeof(want));
				verify_outcome(cached, leaf, untrusted, when[w], got, sizeof(got));
				ck_assert_msg(strcmp(want, got) == 0,
					      "%s at %lld (pass %zu): %s, want %s", leaves[i],
					      (long long)when[w], pass, got, want);
				X509_free(leaf);
			}
	/* and to the second at each end of a leaf's validity (kept with the object: the
	   same object asked again at each time) */
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		struct tm tm;
		time_t ends[2], at;
		int end, d;

		leaf = load(leaves[i]);
		ck_assert_int_eq(ASN1_TIME_to_tm(X509_get0_notBefore(leaf), &tm), 1);
		ends[0] = timegm(&tm);
		ck_assert_int_eq(ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm), 1);
		ends[1] = timegm(&tm);
		for (end = 0; end < 2; end++)
			for (d = -1; d <= 1; d++) {
				at = ends[end] + d;
				verify_outcome(plain, leaf, untrusted, at, want, sizeof(want));
				verify_outcome(cached, leaf, untrusted, at, got, sizeof(got));
				ck_assert_msg(strcmp(want, got) == 0, "%s at %lld: %s, want %s",
					      leaves[i], (long long)at, got, want);
			}
		X509_free(leaf);
	}
	cert_sigcache_stats(c, &n, &hits, &misses);
	ck_assert_uint_gt(hits, misses); /* the second pass (and most of the first) hit */
	ck_assert_uint_gt(n, 0);

	/* a callback of its own: OpenSSL's step (it may look at what we cannot set) */
	X509_STORE_set_verify_cb(cached, accept_all);
	X509_STORE_set_verify_cb(plain, accept_all);
	leaf = load("bad/tampered.crt");
	verify_outcome(plain, leaf, untrusted, 0, want, sizeof(want));
	verify_outcome(cached, leaf, untrusted, 0, got, sizeof(got));
	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(got, "ok=1")); /* the callback forgave it */
	cert_sigcache_stats(c, &n, &h2, &m2);
	ck_assert_uint_eq(h2, hits);
	ck_assert_uint_eq(m2, misses);
	X509_free(leaf);

	cert_sigcache_free(c); /* the store keeps its reference */
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(root);
	X509_STORE_free(plain);
	X509_STORE_free(cached);
}
END_TEST

void
trust_cached_add(TCase *tc)
{
	tcase_add_test(tc, dss_crl_signatures_verified_once);
	tcase_add_test(tc, ocsp_cache_answers_without_network);
	tcase_add_test(tc, concurrent_ocsp_fetches);
	tcase_add_test(tc, signatures_verified_once_every_other_check_kept);
	tcase_add_test(tc, cached_verify_step_answers_as_openssl);
	tcase_add_test(tc, fetched_ocsp_kept_for_the_dss);
	tcase_add_test(tc, trust_crl_checked_once_for_the_dss);
}
