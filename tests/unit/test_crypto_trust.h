/*
 * test_crypto_trust.h: what test_crypto_trust.c and its part
 * test_crypto_trust_cached.c share, one executable (tests/CMakeLists.txt,
 * unit_parts): the development PKI that deploy/pki.sh makes once per run, with
 * its shared OCSP responder, and the helpers that load and check its
 * certificates.
 */
#ifndef TEST_CRYPTO_TRUST_H
#define TEST_CRYPTO_TRUST_H

#include <check.h>
#include <time.h>

#include <openssl/x509.h>

#include "crypto.h"

extern char tmp[512];        /* this run's directory */
extern char pki[600];        /* tmp/pki */
extern char orgs[3][3][128]; /* slug, name, credit code per demo organization */
extern int norgs;

/* A private OCSP responder NAME on PORT (tests/support/ocsp_responder.sh): 0 when it runs. */
int responder_start(const char *name, int port);
void responder_stop(const char *name);
/* The certificate at pki/REL. */
X509 *load(const char *rel);
/* A trust store over the PKI: root trusted, CA as intermediate, CRLs as named. */
struct crypto_trust *trust(int ocsp, const char *url, int require, const char *crl,
			   long timeout_ms);
/* Check pki/rel; returns the code, fills res and ei. */
int check(struct crypto_trust *t, const char *rel, time_t at, struct crypto_cert_result *res,
	  struct sp_errinfo *ei);
void assert_refused(struct crypto_trust *t, const char *rel, time_t at, int code,
		    const char *reason);
time_t utc(int y, int mo, int d);

/* Adds the tests of test_crypto_trust_cached.c (what is checked once and kept) to tc. */
void trust_cached_add(TCase *tc);

#endif
