/*
 * support_x509.c: the certificates the unit tests make (support_x509.h).
 * The tests that call it link OpenSSL through the layer they test.
 */
#include "support_x509.h"

#include <check.h>

#include <openssl/x509v3.h>

void
test_x509_ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}
