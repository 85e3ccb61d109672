/*
 * support_x509.h: the certificates the unit tests make with the OpenSSL API.
 * test_crypto_cms, test_crypto_ts and test_verify_ts each wrote it out.
 */
#ifndef SEALPACT_TEST_SUPPORT_X509_H
#define SEALPACT_TEST_SUPPORT_X509_H

#include <openssl/x509.h>

/*
 * Adds to x the extension nid with value in openssl's configuration syntax
 * ("critical,CA:TRUE", "hash", "keyid"...), issuer's key identifier at hand;
 * a failed Check assertion when OpenSSL refuses it.
 */
void test_x509_ext_add(X509 *x, X509 *issuer, int nid, const char *value);

#endif
