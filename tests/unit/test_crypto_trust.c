/*
 * test_crypto_trust.c: the trust store and crypto_cert_check() against the
 * development PKI (deploy/pki.sh, made once per run in a temporary directory)
 * and a real `openssl ocsp` responder on loopback (tests/support/ocsp_responder.sh).
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

static char src[1024];       /* the source tree */
static char tmp[512];        /* this run's directory */
static char pki[600];        /* tmp/pki */
static int ocsp_port;        /* the shared responder, named in every certificate's AIA */
static char orgs[3][3][128]; /* slug, name, credit code per demo organization */
static int norgs;

static int
responder_start(const char *name, int port)
{
	return test_run("bash '%s/tests/support/ocsp_responder.sh' start '%s/%s' '%s' %d", src, tmp,
			name, pki, port);
}

/* A responder that signs with pki/cert and pki/key instead of the delegated OCSP key. */
static int
responder_start_as(const char *name, int port, const char *cert, const char *key)
{
	return test_run("bash '%s/tests/support/ocsp_responder.sh' start '%s/%s' '%s' %d '%s/%s' "
			"'%s/%s'",
			src, tmp, name, pki, port, pki, cert, pki, key);
}

static void
responder_stop(const char *name)
{
	if (test_run("bash '%s/tests/support/ocsp_responder.sh' stop '%s/%s'", src, tmp, name) != 0)
		fprintf(stderr, "could not stop responder %s\n", name);
}

static X509 *
load(const char *rel)
{
	char path[1024];
	unsigned char *data = NULL;
	size_t len = 0;
	X509 *x = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	snprintf(path, sizeof(path), "%s/%s", pki, rel);
	ck_assert_msg(sp_file_read(path, 1 << 20, &data, &len, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(crypto_cert_parse(data, len, &x, &ei) == SP_OK, "%s: %s", rel, ei.msg);
	free(data);
	return x;
}

/* A trust store over the PKI: root trusted, CA as intermediate, CRLs as named. */
static struct crypto_trust *
trust(int ocsp, const char *url, int require, const char *crl, long timeout_ms)
{
	char root[700], ca[700], crlpath[700];
	const char *roots[] = { root }, *inter[] = { ca }, *crls[] = { crlpath };
	struct crypto_revocation_opts o = { ocsp, url, timeout_ms, require };
	struct crypto_trust *t = NULL;
	struct sp_errinfo ei;

	snprintf(root, sizeof(root), "%s/root.pem", pki);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(crlpath, sizeof(crlpath), "%s/%s", pki, crl != NULL ? crl : "");
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_trust_new(roots, 1, inter, 1, crls, crl != NULL ? 1 : 0, &o, &t,
				       &ei) == SP_OK,
		      "%s", ei.msg);
	return t;
}

/* Check pki/rel; returns the code, fills res and ei. */
static int
check(struct crypto_trust *t, const char *rel, time_t at, struct crypto_cert_result *res,
      struct sp_errinfo *ei)
{
	X509 *x = load(rel);
	int r;

	sp_errinfo_init(ei);
	r = crypto_cert_check(t, x, NULL, at, res, ei);
	X509_free(x);
	return r;
}

static void
assert_refused(struct crypto_trust *t, const char *rel, time_t at, int code, const char *reason)
{
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	int r = check(t, rel, at, &res, &ei);

	ck_assert_msg(r == code, "%s: got %d (%s: %s), want %d %s", rel, r, ei.reason, ei.msg, code,
		      reason);
	ck_assert_msg(strcmp(ei.reason, reason) == 0, "%s: reason %s (%s), want %s", rel, ei.reason,
		      ei.msg, reason);
	ck_assert_msg(strlen(ei.msg) > 10, "%s: no message", rel);
	ck_assert_ptr_null(res.chain);
}

static time_t
utc(int y, int mo, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	return timegm(&tm);
}

START_TEST(good_certs_pass_by_ocsp)
{
	static const char *algs[] = { "rsa", "ec", "sm2" };
	struct crypto_trust *t = trust(1, NULL, 1, NULL, 3000); /* the AIA URL */
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	char rel[256];
	int o, a;

	for (o = 0; o < norgs; o++) {
		for (a = 0; a < 3; a++) {
			snprintf(rel, sizeof(rel), "orgs/%s/%s.crt", orgs[o][0], algs[a]);
			ck_assert_msg(check(t, rel, 0, &res, &ei) == SP_OK, "%s: %s: %s", rel,
				      ei.reason, ei.msg);
			ck_assert_int_eq(res.rev_status, CRYPTO_REV_GOOD);
			ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_OCSP);
			ck_assert_int_eq(sk_X509_num(res.chain), 3);
			ck_assert_str_eq(res.info.org, orgs[o][1]);
			ck_assert_str_eq(res.info.org_id, orgs[o][2]);
			ck_assert_int_eq(crypto_credit_code_valid(res.info.org_id), 1);
			ck_assert_msg(strstr(res.info.issuer, "sealpact Dev Issuing CA") != NULL,
				      "%s", res.info.issuer);
			ck_assert_msg(strstr(res.info.subject, orgs[o][1]) != NULL, "%s",
				      res.info.subject);
			crypto_cert_result_cleanup(&res);
		}
	}
	crypto_trust_free(t);
}
END_TEST

START_TEST(configured_responder_overrides_aia)
{
	char url[128];
	struct crypto_trust *t;
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ocsp_port);
	t = trust(1, url, 1, NULL, 3000);
	ck_assert_msg(check(t, "orgs/supplier/ec.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_OCSP);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);
}
END_TEST

START_TEST(untrusted_issuer_is_refused)
{
	struct crypto_trust *t = trust(1, NULL, 1, "crl.pem", 3000);
	X509 *leaf = load("bad/untrusted.crt"), *other = load("bad/other-root.pem");
	STACK_OF(X509) *extra = sk_X509_new_null();
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	assert_refused(t, "bad/untrusted.crt", 0, SP_ERR_CRYPTO, "untrusted_issuer");
	/* The client cannot bring its own root along. */
	ck_assert(sk_X509_push(extra, other));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_cert_check(t, leaf, extra, 0, &res, &ei), SP_ERR_CRYPTO);
	ck_assert_str_eq(ei.reason, "untrusted_issuer");
	sk_X509_pop_free(extra, X509_free);
	X509_free(leaf);
	crypto_trust_free(t);
}
END_TEST

START_TEST(expired_and_not_yet_valid_are_refused)
{
	struct crypto_trust *t = trust(1, NULL, 1, "crl.pem", 3000);

	assert_refused(t, "bad/expired.crt", 0, SP_ERR_EXPIRED, "cert_expired");
	assert_refused(t, "bad/notyet.crt", 0, SP_ERR_EXPIRED, "cert_not_yet_valid");
	crypto_trust_free(t);
}
END_TEST

START_TEST(validity_at_a_given_time)
{
	struct crypto_trust *t = trust(1, NULL, 1, "crl.pem", 3000);
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	/* The expired certificate was fine in mid-2020 (and OCSP says good). */
	ck_assert_msg(check(t, "bad/expired.crt", utc(2020, 6, 1), &res, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(res.rev_status, CRYPTO_REV_GOOD);
	ck_assert_int_eq((long long)res.info.not_after, (long long)utc(2021, 1, 1));
	crypto_cert_result_cleanup(&res);
	/* ... and expired again a day after its notAfter. */
	assert_refused(t, "bad/expired.crt", utc(2021, 1, 2), SP_ERR_EXPIRED, "cert_expired");
	/* The future certificate is fine in 2040 (its CA lasts until 2049). */
	ck_assert_msg(check(t, "bad/notyet.crt", utc(2040, 6, 1), &res, &ei) == SP_OK, "%s",
		      ei.msg);
	crypto_cert_result_cleanup(&res);
	/* A certificate issued today was not valid in 2020. */
	assert_refused(t, "orgs/buyer/rsa.crt", utc(2020, 6, 1), SP_ERR_EXPIRED,
		       "cert_not_yet_valid");
	/* Nor anything after the CA's own end. */
	assert_refused(t, "orgs/buyer/rsa.crt", utc(2050, 6, 1), SP_ERR_EXPIRED, "cert_expired");
	crypto_trust_free(t);
}
END_TEST

START_TEST(revoked_by_ocsp)
{
	/* No CRL: only the responder can know. */
	struct crypto_trust *t = trust(1, NULL, 1, NULL, 3000);
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	ck_assert_int_eq(check(t, "bad/revoked.crt", 0, &res, &ei), SP_ERR_CRYPTO);
	ck_assert_str_eq(ei.reason, "cert_revoked");
	ck_assert_msg(strstr(ei.msg, "OCSP") != NULL, "%s", ei.msg);
	crypto_trust_free(t);
}
END_TEST

START_TEST(revoked_by_crl_when_responder_is_down)
{
	int port = test_port_free();
	char url[128];
	struct crypto_trust *t;
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	ck_assert_int_eq(responder_start("ocsp-crl", port), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp", port);
	t = trust(1, url, 1, "crl.der", 2000); /* the DER CRL this time */
	ck_assert_msg(check(t, "orgs/logistics/ec.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_OCSP);
	crypto_cert_result_cleanup(&res);
	responder_stop("ocsp-crl");

	ck_assert_int_eq(check(t, "bad/revoked.crt", 0, &res, &ei), SP_ERR_CRYPTO);
	ck_assert_str_eq(ei.reason, "cert_revoked");
	ck_assert_msg(strstr(ei.msg, "CRL") != NULL, "%s", ei.msg);
	/* A good certificate nobody asked OCSP about: good by the CRL. */
	ck_assert_msg(check(t, "orgs/logistics/rsa.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_status, CRYPTO_REV_GOOD);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_CRL);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);

	/* CRL only, no OCSP at all: the same answers. */
	t = trust(0, NULL, 1, "crl.pem", 0);
	assert_refused(t, "bad/revoked.crt", 0, SP_ERR_CRYPTO, "cert_revoked");
	ck_assert_msg(check(t, "orgs/supplier/sm2.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_CRL);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);
}
END_TEST

START_TEST(revocation_unknown_when_nobody_answers)
{
	char url[128];
	struct crypto_trust *t;
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	int nobody;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp",
		 test_port_refused(&nobody)); /* nothing there */
	t = trust(1, url, 1, NULL, 2000);
	ck_assert_int_eq(check(t, "orgs/buyer/ec.crt", 0, &res, &ei), SP_ERR_UNAVAILABLE);
	ck_assert_str_eq(ei.reason, "revocation_unknown");
	ck_assert_msg(strstr(ei.msg, "OCSP") != NULL && strstr(ei.msg, "CRL") != NULL, "%s",
		      ei.msg);
	crypto_trust_free(t);

	/* Not required: accepted, and the result says it is unknown. */
	t = trust(1, url, 0, NULL, 2000);
	ck_assert_msg(check(t, "orgs/buyer/ec.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_status, CRYPTO_REV_UNKNOWN);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_NONE);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);
	close(nobody);

	/* No source configured and revocation required. */
	t = trust(0, NULL, 1, NULL, 0);
	assert_refused(t, "orgs/buyer/ec.crt", 0, SP_ERR_UNAVAILABLE, "revocation_unknown");
	crypto_trust_free(t);
	/* No source configured, not required: not checked. */
	t = trust(0, NULL, 0, NULL, 0);
	ck_assert_msg(check(t, "orgs/buyer/ec.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_status, CRYPTO_REV_NOT_CHECKED);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);
}
END_TEST

/* A port that accepts connections (the kernel's backlog) but never answers. */
START_TEST(ocsp_timeout_is_hard)
{
	struct sockaddr_in a;
	socklen_t n = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char url[128];
	struct crypto_trust *t;
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	struct timespec t0, t1;
	double secs;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s, 8) == 0);
	ck_assert(getsockname(s, (struct sockaddr *)&a, &n) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp", ntohs(a.sin_port));
	t = trust(1, url, 1, NULL, 400);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(check(t, "orgs/buyer/rsa.crt", 0, &res, &ei), SP_ERR_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_str_eq(ei.reason, "revocation_unknown");
	ck_assert_msg(strstr(ei.msg, "did not answer within 400 ms") != NULL, "%s", ei.msg);
	/* its 400 ms, not the silent responder's forever (the rest of the bound is a
	   loaded machine's) */
	ck_assert_msg(secs >= 0.35 && secs < 5.0, "took %.2f s", secs);
	crypto_trust_free(t);
	close(s);
}
END_TEST

START_TEST(bad_key_usage_is_refused)
{
	struct crypto_trust *t = trust(1, NULL, 1, "crl.pem", 3000);

	assert_refused(t, "bad/wrongku.crt", 0, SP_ERR_CRYPTO, "bad_key_usage");
	/* The TSA's key (critical EKU timeStamping) and the OCSP responder's are not
	 * signing certificates, nor is a CA. */
	assert_refused(t, "tsa.crt", 0, SP_ERR_CRYPTO, "bad_key_usage");
	assert_refused(t, "ocsp.crt", 0, SP_ERR_CRYPTO, "bad_key_usage");
	assert_refused(t, "ca.pem", 0, SP_ERR_CRYPTO, "bad_key_usage");
	crypto_trust_free(t);
}
END_TEST

START_TEST(tampered_signature_is_refused)
{
	struct crypto_trust *t = trust(1, NULL, 1, "crl.pem", 3000);

	assert_refused(t, "bad/tampered.crt", 0, SP_ERR_CRYPTO, "cert_signature_invalid");
	crypto_trust_free(t);
}
END_TEST

START_TEST(other_chain_failures_are_chain_invalid)
{
	struct crypto_trust *t = trust(1, NULL, 1, "crl.pem", 3000);
	X509 *leaf = load("bad/by-leaf.crt");
	STACK_OF(X509) *extra = sk_X509_new_null();
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	/* A signing certificate used as a CA: the chain exists but is not valid. */
	ck_assert(sk_X509_push(extra, load("orgs/buyer/ec.crt")));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_cert_check(t, leaf, extra, 0, &res, &ei), SP_ERR_CRYPTO);
	ck_assert_str_eq(ei.reason, "chain_invalid");
	ck_assert_ptr_null(res.chain);
	sk_X509_pop_free(extra, X509_free);
	X509_free(leaf);
	crypto_trust_free(t);
}
END_TEST

START_TEST(revoked_issuing_ca_is_refused)
{
	char root[700], ca[700], rca[700], crl[700], rcrl[700];
	const char *roots[] = { root }, *inter[] = { ca, rca }, *crls[] = { crl, rcrl };
	struct crypto_revocation_opts o = { 0, NULL, 0, 0 };
	struct crypto_trust *t = NULL;
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	snprintf(root, sizeof(root), "%s/root.pem", pki);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(rca, sizeof(rca), "%s/bad/revoked-ca.pem", pki);
	snprintf(crl, sizeof(crl), "%s/crl.pem", pki);
	snprintf(rcrl, sizeof(rcrl), "%s/root-crl.pem", pki);
	/* Without the root's CRL nobody can tell, and revocation is not required. */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, inter, 2, crls, 1, &o, &t, &ei), SP_OK);
	ck_assert_msg(check(t, "bad/revoked-ca-leaf.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);
	/* With it, the CA is revoked and so is everything under it. */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, inter, 2, crls, 2, &o, &t, &ei), SP_OK);
	assert_refused(t, "bad/revoked-ca-leaf.crt", 0, SP_ERR_CRYPTO, "cert_revoked");
	ck_assert_int_eq(check(t, "bad/revoked-ca-leaf.crt", 0, &res, &ei), SP_ERR_CRYPTO);
	ck_assert_msg(strstr(ei.msg, "issuing CA") != NULL, "%s", ei.msg);
	/* The good CA's certificates are unaffected by the root's CRL. */
	ck_assert_msg(check(t, "orgs/buyer/ec.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_CRL);
	crypto_cert_result_cleanup(&res);
	crypto_trust_free(t);
}
END_TEST

/* Only the issuer or a responder it delegated (EKU OCSPSigning) is believed. */
START_TEST(ocsp_from_an_unauthorized_responder_is_ignored)
{
	static const char *signers[][2] = {
		{ "tsa.crt", "tsa.key" },                     /* our CA's, but not for OCSP */
		{ "bad/untrusted.crt", "bad/untrusted.key" }, /* another root's */
	};
	char url[128];
	struct crypto_trust *t;
	struct crypto_cert_result res;
	struct sp_errinfo ei;
	size_t i;
	int port;

	for (i = 0; i < SP_ARRAY_LEN(signers); i++) {
		port = test_port_free();
		ck_assert_int_eq(responder_start_as("ocsp-rogue", port, signers[i][0],
						    signers[i][1]),
				 0);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp", port);
		t = trust(1, url, 1, NULL, 2000);
		ck_assert_int_eq(check(t, "orgs/buyer/rsa.crt", 0, &res, &ei), SP_ERR_UNAVAILABLE);
		ck_assert_str_eq(ei.reason, "revocation_unknown");
		ck_assert_msg(strstr(ei.msg, "signature is not trusted") != NULL, "%s", ei.msg);
		crypto_trust_free(t);
		/* With a CRL the answer comes from there. */
		t = trust(1, url, 1, "crl.pem", 2000);
		ck_assert_msg(check(t, "orgs/buyer/rsa.crt", 0, &res, &ei) == SP_OK, "%s", ei.msg);
		ck_assert_int_eq(res.rev_source, CRYPTO_REV_SRC_CRL);
		crypto_cert_result_cleanup(&res);
		crypto_trust_free(t);
		responder_stop("ocsp-rogue");
	}
}
END_TEST

START_TEST(unusable_crls_give_no_answer)
{
	struct crypto_trust *t;
	struct crypto_cert_result res;
	struct sp_errinfo ei;

	/* A CRL past its nextUpdate (made to expire one second after issue). */
	ck_assert_int_eq(test_run("cd '%s' && openssl ca -config openssl.cnf -name issuing -gencrl "
				  "-crlsec 1 -out '%s/stale.crl' 2>/dev/null",
				  pki, tmp),
			 0);
	/* The real CRL with one byte of its signature flipped. */
	ck_assert_int_eq(test_run("cd '%s' && cp crl.der '%s/forged.crl' && "
				  "n=$(($(stat -c %%s crl.der) - 1)) && "
				  "b=$(od -An -tu1 -j $n -N1 crl.der | tr -d ' ') && "
				  "printf \"$(printf '\\\\%%03o' $((b ^ 1)))\" | "
				  "dd of='%s/forged.crl' bs=1 seek=$n conv=notrunc status=none",
				  pki, tmp, tmp),
			 0);
	sleep(2);
	t = trust(0, NULL, 1, "../stale.crl", 0);
	assert_refused(t, "bad/revoked.crt", 0, SP_ERR_UNAVAILABLE, "revocation_unknown");
	ck_assert_int_eq(check(t, "orgs/buyer/ec.crt", 0, &res, &ei), SP_ERR_UNAVAILABLE);
	ck_assert_msg(strstr(ei.msg, "out-of-date CRL") != NULL, "%s", ei.msg);
	crypto_trust_free(t);
	t = trust(0, NULL, 1, "../forged.crl", 0);
	assert_refused(t, "bad/revoked.crt", 0, SP_ERR_UNAVAILABLE, "revocation_unknown");
	ck_assert_int_eq(check(t, "orgs/buyer/ec.crt", 0, &res, &ei), SP_ERR_UNAVAILABLE);
	ck_assert_msg(strstr(ei.msg, "signature does not verify") != NULL, "%s", ei.msg);
	assert_refused(t, "orgs/buyer/ec.crt", 0, SP_ERR_UNAVAILABLE, "revocation_unknown");
	crypto_trust_free(t);
}
END_TEST

static void
assert_malformed(const unsigned char *p, size_t n, const char *what)
{
	X509 *x = (X509 *)1;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_cert_parse(p, n, &x, &ei) == SP_ERR_INVALID, "%s parsed", what);
	ck_assert_ptr_null(x);
	ck_assert_str_eq(ei.reason, "malformed_certificate");
}

START_TEST(malformed_certificates_are_refused)
{
	X509 *good = load("orgs/buyer/ec.crt"), *again = NULL;
	unsigned char *der = NULL, *buf;
	int n = i2d_X509(good, &der);
	unsigned char junk[300];
	struct sp_errinfo ei;
	size_t i;
	static const char pem2[] = "-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n"
				   "-----END CERTIFICATE-----\n";

	ck_assert_int_gt(n, 100);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	assert_malformed(junk, sizeof(junk), "junk");
	assert_malformed(der, (size_t)n - 1, "truncated DER");
	assert_malformed(der, 10, "DER header only");
	assert_malformed(NULL, 0, "nothing");
	assert_malformed((const unsigned char *)pem2, sizeof(pem2) - 1, "bad PEM");
	buf = malloc((size_t)n + 1);
	memcpy(buf, der, (size_t)n);
	buf[n] = 0;
	assert_malformed(buf, (size_t)n + 1, "DER with a trailing byte");
	/* One bit flipped in the DER's outer length. */
	buf[2] ^= 0x40;
	assert_malformed(buf, (size_t)n, "DER with a bad length");
	free(buf);
	/* The intact DER parses, and so does it as PEM. */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_cert_parse(der, (size_t)n, &again, &ei), SP_OK);
	ck_assert_int_eq(X509_cmp(good, again), 0);
	X509_free(again);
	OPENSSL_free(der);
	X509_free(good);
}
END_TEST

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

START_TEST(cert_info_matches_openssl)
{
	X509 *x = load("orgs/buyer/sm2.crt");
	struct crypto_cert_info info;
	struct sp_errinfo ei;
	char line[1024], want_serial[1024] = "", want_fp[1024] = "", *p, *q;
	FILE *f;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_cert_info_get(x, &info, &ei), SP_OK);
	ck_assert_str_eq(info.cn, "张三");
	ck_assert_str_eq(info.org, "示例采购有限公司");
	ck_assert_str_eq(info.org_id, orgs[0][2]);
	snprintf(line, sizeof(line),
		 "openssl x509 -in '%s/orgs/buyer/sm2.crt' -noout -serial "
		 "-fingerprint -sha256",
		 pki);
	ck_assert_ptr_nonnull(f = popen(line, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "serial=", 7) == 0)
			snprintf(want_serial, sizeof(want_serial), "%s", line + 7);
		if ((p = strchr(line, '=')) != NULL && strstr(line, "Fingerprint") != NULL) {
			for (q = want_fp, p++; *p != '\0'; p++) {
				if (*p != ':' && q < want_fp + sizeof(want_fp) - 1)
					*q++ = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
			}
			*q = '\0';
		}
	}
	pclose(f);
	ck_assert_str_eq(info.serial_hex, want_serial);
	ck_assert_str_eq(info.sha256_hex, want_fp);
	ck_assert_int_lt((long long)info.not_before, (long long)time(NULL) + 1);
	ck_assert_int_gt((long long)info.not_after, (long long)time(NULL) + 86400 * 365);
	X509_free(x);
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
	/* the leaf under the CA, the CA under the root; the root's own is not checked */
	ck_assert_uint_eq(n0, 2);
	ck_assert_uint_eq(m0, 2);
	ck_assert_uint_eq(h0, 0);
	for (i = 0; i < 3; i++) {
		ck_assert_msg(check(t, genuine, 0, &res, &ei) == SP_OK, "%s", ei.msg);
		crypto_cert_result_cleanup(&res);
	}
	sig_stats(t, &n1, &h1, &m1);
	ck_assert_uint_eq(h1, 6);
	ck_assert_uint_eq(m1, 2);

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
	ck_assert_uint_eq(n1, 2); /* nothing of the failures kept */

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

START_TEST(trust_store_input_errors)
{
	char root[700], leaf[700], ca[700], junk[700], missing[700];
	const char *roots[1];
	struct crypto_trust *t = NULL;
	struct sp_errinfo ei;
	struct crypto_revocation_opts bad_url = { 1, "ftp://example/ocsp", 0, 0 };
	FILE *f;

	snprintf(root, sizeof(root), "%s/root.pem", pki);
	snprintf(leaf, sizeof(leaf), "%s/orgs/buyer/ec.crt", pki);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(junk, sizeof(junk), "%s/junk.crl", tmp);
	snprintf(missing, sizeof(missing), "%s/nope.pem", pki);
	ck_assert_ptr_nonnull(f = fopen(junk, "w"));
	fputs("not a CRL\n", f);
	fclose(f);

	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(NULL, 0, NULL, 0, NULL, 0, NULL, &t, &ei), SP_ERR_CONFIG);
	roots[0] = missing;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, NULL, &t, &ei), SP_ERR_IO);
	roots[0] = leaf;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, NULL, &t, &ei),
			 SP_ERR_INVALID);
	ck_assert_msg(strstr(ei.msg, "not a CA") != NULL, "%s", ei.msg);
	roots[0] = ca;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, NULL, &t, &ei),
			 SP_ERR_INVALID);
	ck_assert_msg(strstr(ei.msg, "self-signed") != NULL, "%s", ei.msg);
	roots[0] = root;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, NULL, 0, (const char *const[]){ junk }, 1, NULL,
					  &t, &ei),
			 SP_ERR_INVALID);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, &bad_url, &t, &ei),
			 SP_ERR_CONFIG);
	ck_assert_ptr_null(t);
	/* Without the intermediate the chain cannot be built... */
	sp_errinfo_init(&ei);
	ck_assert_int_eq(crypto_trust_new(roots, 1, NULL, 0, NULL, 0, NULL, &t, &ei), SP_OK);
	assert_refused(t, "orgs/buyer/ec.crt", 0, SP_ERR_CRYPTO, "untrusted_issuer");
	/* ...unless the client sends it along. */
	{
		X509 *x = load("orgs/buyer/ec.crt");
		STACK_OF(X509) *extra = sk_X509_new_null();
		struct crypto_cert_result res;

		ck_assert(sk_X509_push(extra, load("ca.pem")));
		sp_errinfo_init(&ei);
		ck_assert_msg(crypto_cert_check(t, x, extra, 0, &res, &ei) == SP_OK, "%s", ei.msg);
		ck_assert_int_eq(sk_X509_num(res.chain), 3);
		crypto_cert_result_cleanup(&res);
		sk_X509_pop_free(extra, X509_free);
		X509_free(x);
	}
	crypto_trust_free(t);
	crypto_trust_free(NULL);
	crypto_cert_result_cleanup(NULL);
}
END_TEST

static Suite *
trust_suite(void)
{
	Suite *s = suite_create("crypto_trust");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, good_certs_pass_by_ocsp);
	tcase_add_test(tc, configured_responder_overrides_aia);
	tcase_add_test(tc, untrusted_issuer_is_refused);
	tcase_add_test(tc, expired_and_not_yet_valid_are_refused);
	tcase_add_test(tc, validity_at_a_given_time);
	tcase_add_test(tc, revoked_by_ocsp);
	tcase_add_test(tc, revoked_by_crl_when_responder_is_down);
	tcase_add_test(tc, revocation_unknown_when_nobody_answers);
	tcase_add_test(tc, ocsp_timeout_is_hard);
	tcase_add_test(tc, bad_key_usage_is_refused);
	tcase_add_test(tc, tampered_signature_is_refused);
	tcase_add_test(tc, unusable_crls_give_no_answer);
	tcase_add_test(tc, dss_crl_signatures_verified_once);
	tcase_add_test(tc, ocsp_from_an_unauthorized_responder_is_ignored);
	tcase_add_test(tc, other_chain_failures_are_chain_invalid);
	tcase_add_test(tc, revoked_issuing_ca_is_refused);
	tcase_add_test(tc, malformed_certificates_are_refused);
	tcase_add_test(tc, ocsp_cache_answers_without_network);
	tcase_add_test(tc, concurrent_ocsp_fetches);
	tcase_add_test(tc, cert_info_matches_openssl);
	tcase_add_test(tc, trust_store_input_errors);
	tcase_add_test(tc, signatures_verified_once_every_other_check_kept);
	tcase_add_test(tc, cached_verify_step_answers_as_openssl);
	suite_add_tcase(s, tc);
	return s;
}

static void
read_orgs(void)
{
	char path[700], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/orgs.tsv", pki);
	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(2);
	}
	while (norgs < 3 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%127[^\t]\t%127[^\t]\t%127s", orgs[norgs][0], orgs[norgs][1],
			   orgs[norgs][2]) == 3)
			norgs++;
	}
	fclose(f);
	if (norgs < 2) {
		fprintf(stderr, "%s: fewer than two organizations\n", path);
		exit(2);
	}
}

int
main(void)
{
	SRunner *sr;
	int failed = 1;
	const char *s = getenv("SEALPACT_SOURCE_DIR");

	if (s != NULL)
		snprintf(src, sizeof(src), "%s", s);
	else /* run by hand: the tree this file is in */
		snprintf(src, sizeof(src), "%.*s",
			 (int)(strstr(__FILE__, "/tests/unit/") - __FILE__), __FILE__);
	snprintf(tmp, sizeof(tmp), "/tmp/sp-trust.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(pki, sizeof(pki), "%s/pki", tmp);
	ocsp_port = test_port_free();
	if (test_run("bash '%s/deploy/pki.sh' --base-url http://127.0.0.1:%d '%s' 2>'%s/pki.log'",
		     src, ocsp_port, pki, tmp) != 0) {
		fprintf(stderr, "deploy/pki.sh failed (see %s/pki.log)\n", tmp);
		goto out;
	}
	read_orgs();
	if (responder_start("ocsp", ocsp_port) != 0) {
		fprintf(stderr, "the OCSP responder did not start\n");
		goto out;
	}
	sr = srunner_create(trust_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
out:
	responder_stop("ocsp");
	/* A failed test may have left its private responder running. */
	responder_stop("ocsp-crl");
	responder_stop("ocsp-cache");
	responder_stop("ocsp-rogue");
	test_run("rm -rf '%s'", tmp);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
