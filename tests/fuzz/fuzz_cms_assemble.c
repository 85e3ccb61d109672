/*
 * fuzz_cms_assemble.c: libFuzzer target over the bytes crypto_cms_assemble
 * takes back from a signing session: the stored signed attributes, the
 * token's signature value and the timestamp token. A fixed RSA-2048 signer
 * (throwaway key, embedded below) stands in for the token. Input layout:
 *
 *   byte 0      flags: 1 = the target signs the fuzzed attributes itself
 *               with the signer key (so a good attribute set gets past the
 *               signature check and the timestamp and CMS building run),
 *               2 = pass the timestamp token, 4 = pass the signer as chain
 *   bytes 1-2   big-endian length of the signed attributes, then them
 *   bytes       big-endian 2-byte length of the signature, then it
 *   rest        the timestamp token (TimeStampToken ContentInfo DER)
 *
 * RSA PKCS#1 v1.5 is deterministic, so the seeds in corpus/cms_assemble
 * (attributes from crypto_cms_signed_attrs for this signer, a token from
 * `openssl ts -reply` over SHA-256 of the signature) stay valid. On success
 * the output must parse as a CMS ContentInfo of exactly the returned length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
			      "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCZ+67ThU+bcIyV\n"
			      "CpSPBserSdyKg1QizN7t5WvIMEqUxZrFWRu1pOWXSL8hMm81zrjEu7xdE6f459VZ\n"
			      "OlKJ1P9asZj67MN7gqL5inVyDxKN9cvz6qVOYUoOHfziIgqA65e0vCZoETbHav7u\n"
			      "5uQIjC3XBuIkkXDBoVcPGjww+vzNtTgJ21Wv9lY8dAmAKAZCJP8Byc8kVDgLVpY+\n"
			      "EJ2C8bPeQKvfGX6avY11b+LOI+WMFQNORF9ungXaShV/CTzPzQjOMCnhETkI/YJh\n"
			      "PonnZrSjBjaIwkjeVdNDXB/ThEr7FmVG+A2KmikGoTq2Jps1wAwnpIcJTJcmiV6u\n"
			      "AAypvHJnAgMBAAECgf9NssTlrPa7jY6tOHbxhFJDsupTiaMjrQtl4MEPXQk7paNl\n"
			      "f6ZNbnFyyqReN0++ct0W7RC4+qtLKq00WPlNFg2sqCvadhHTKKEJa5pR3EgaWNKV\n"
			      "ZJVg0Zcb51CheWsvDtspyFpauh4kAYlS8nEwIEdNCc9tPAlIkPFyJH3s4cadweU4\n"
			      "I2sEl3avpuIDkLCsbhalyXqM6MDWIw983JouPEVoI09tWa2ORUK4+PFen3P0n2uI\n"
			      "aWzqZ17vAQWFbnHqUhw5K42jWPcxfWTMMR1SfN0j9ooOiTwY4Wltiye81wth5QE8\n"
			      "fTnXs+u+s0YjEYJbvjtU38LYHLKXZsSpFr8EdYECgYEAyjYcz7SehkLOHgAz+S91\n"
			      "eis5FIrWifU99IlUMgWSX+2ZU7NrdYJdDyI2D0cTpdtmnbscvyp4Y7m+hpK6x2U+\n"
			      "p6B8IoMwWanB56QsJIyvtjjbQxmOl7bV0YTFjkW7XYAkCAulbbrZpvYUsyAl76hY\n"
			      "nYeFzXDM7uiDs9IKvhMJ5qECgYEAwvFlWCw5VdW5BqarFVva1Mdye5coBlwEvaPc\n"
			      "ja7piEHBqxOVmOxwgffMRsV/dScgxEs/NF1gOa4hqKHUhRjaqgFP3Z+zt98jPzPv\n"
			      "b64JSfQRrw1kEk2aLiKW0NAhftvyQ/nXmshhyUefjS9dUOP2rffE42uy+3ga0c0W\n"
			      "smm4pAcCgYA4dru80/agDu93OR9KKZJoNsGNlucpRq2yJta30Q56cuIpmSQcf/Z0\n"
			      "T11BDtvRqF4TFTiFuNo9HpSxBy/YldDVBd8j0/YgU2KtyA37dr1p6J5xMiW6/3bd\n"
			      "NnHjtF0JUsq85GOhLFeyY2yMSCHPtfZopnsaTrEq1QpRoAkX4kEVgQKBgQCS/L8E\n"
			      "f7vvi4nKiQsAvNTAkW4x4CRuvx1X/GDFd/hgI+yqWMb4mnaumLAvQKU9KXaca3xJ\n"
			      "uIpgk3qPkw4SGU5u1zRoEA3Le3UxJ7DHDXu1hlF7I2asIlU5qhz7b6OB6se+F3lJ\n"
			      "HQQWZ2nXY7pBztFmFScgr0kyMTpPrQsLFYoCKwKBgQCVcEMZb8moIzC/KDs+4XW2\n"
			      "sOmNlshqOVBQ0zpvIJ7kwtnYCL1Tg7KeoeLt4x0A/EJpV/fH+1UILQSpMFE/on/x\n"
			      "ucUT4ij03MsA+kj3/I40vXbMOcvPKzxEM9EgBXXUDbhV28UbVaR1y6FExdoRj9Cy\n"
			      "wgwwvK+n5I7CwYlqO2yXRA==\n"
			      "-----END PRIVATE KEY-----\n";
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIDXzCCAkegAwIBAgIURV5sE3mZ6S4Pea+cika2ee8mty0wDQYJKoZIhvcNAQEL\n"
			       "BQAwNjELMAkGA1UEBhMCQ04xFDASBgNVBAoMC0Z1enogU2lnbmVyMREwDwYDVQQD\n"
			       "DAhmdXp6IGNtczAgFw0yNjExMjEyMDA0MDJaGA8yMTI2MTAyODIwMDQwMlowNjEL\n"
			       "MAkGA1UEBhMCQ04xFDASBgNVBAoMC0Z1enogU2lnbmVyMREwDwYDVQQDDAhmdXp6\n"
			       "IGNtczCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAJn7rtOFT5twjJUK\n"
			       "lI8Gx6tJ3IqDVCLM3u3la8gwSpTFmsVZG7Wk5ZdIvyEybzXOuMS7vF0Tp/jn1Vk6\n"
			       "UonU/1qxmPrsw3uCovmKdXIPEo31y/PqpU5hSg4d/OIiCoDrl7S8JmgRNsdq/u7m\n"
			       "5AiMLdcG4iSRcMGhVw8aPDD6/M21OAnbVa/2Vjx0CYAoBkIk/wHJzyRUOAtWlj4Q\n"
			       "nYLxs95Aq98Zfpq9jXVv4s4j5YwVA05EX26eBdpKFX8JPM/NCM4wKeEROQj9gmE+\n"
			       "iedmtKMGNojCSN5V00NcH9OESvsWZUb4DYqaKQahOrYmmzXADCekhwlMlyaJXq4A\n"
			       "DKm8cmcCAwEAAaNjMGEwHQYDVR0OBBYEFKbBz037VQyKwQY4SKG2AEhsZ2FuMB8G\n"
			       "A1UdIwQYMBaAFKbBz037VQyKwQY4SKG2AEhsZ2FuMA8GA1UdEwEB/wQFMAMBAf8w\n"
			       "DgYDVR0PAQH/BAQDAgbAMA0GCSqGSIb3DQEBCwUAA4IBAQCQ8sj/ScsjOsEiDNW1\n"
			       "AxRYUeGdeLvWATO7e1ET99Co4GP2cEljpBEVmnJQsV4FGielqIp16+AsMuMWeLzq\n"
			       "uaJRb9pMO8Mhqxht8/93CmLRrWc+7g/UUYpi/R8nZJftlrQAROmuG/T+iJ4l6Ji3\n"
			       "REQpkPRv/vaOXmEOufuBh4y1aYPA+ytQ9FxoFkW1dYHx10bxEtVktLZyiCtsF3av\n"
			       "6jgl36SYJOSuSHf77jVE3ao2eddAvE508RtoSHcwBaOB3fCqEbZZ9lg7k1O+tIiZ\n"
			       "QcQM6NOo/YQpY8t/5Z/dkf/K93QmxwVxTjdM5bx52qS6iRmoayqUbZkcgO49W2+L\n"
			       "qMgj\n"
			       "-----END CERTIFICATE-----\n";

static EVP_PKEY *key;
static X509 *cert;
static STACK_OF(X509) * chain;

static void
setup(void)
{
	BIO *b;

	if ((b = BIO_new_mem_buf(key_pem, -1)) == NULL ||
	    (key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		abort();
	BIO_free(b);
	if ((b = BIO_new_mem_buf(cert_pem, -1)) == NULL ||
	    (cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		abort();
	BIO_free(b);
	if ((chain = sk_X509_new_null()) == NULL || !sk_X509_push(chain, cert))
		abort();
}

/* Take a 2-byte length and that many bytes; 0 when the input is too short. */
static int
take(const uint8_t **p, size_t *left, const uint8_t **part, size_t *partlen)
{
	size_t n;

	if (*left < 2)
		return 0;
	n = (size_t)(*p)[0] << 8 | (*p)[1];
	if (n > *left - 2)
		return 0;
	*part = *p + 2;
	*partlen = n;
	*p += 2 + n;
	*left -= 2 + n;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_errinfo ei;
	const uint8_t *p, *attrs, *sig, *tst;
	size_t left, attrslen, siglen, tstlen;
	unsigned char own[512];
	size_t ownlen = sizeof(own);
	EVP_MD_CTX *mctx = NULL;
	uint8_t *cms = NULL;
	size_t cmslen = 0;
	const unsigned char *q;
	CMS_ContentInfo *ci;
	unsigned flags;
	int r;

	if (key == NULL)
		setup();
	if (size < 1)
		return 0;
	flags = data[0];
	p = data + 1;
	left = size - 1;
	if (!take(&p, &left, &attrs, &attrslen) || !take(&p, &left, &sig, &siglen))
		return 0;
	tst = p;
	tstlen = left;
	if ((flags & 1) && attrslen > 0) {
		if ((mctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, key) != 1 ||
		    EVP_DigestSign(mctx, own, &ownlen, attrs, attrslen) != 1)
			abort();
		EVP_MD_CTX_free(mctx);
		sig = own;
		siglen = ownlen;
	}
	sp_errinfo_init(&ei);
	r = crypto_cms_assemble(cert, (flags & 4) ? chain : NULL, attrs, attrslen, sig, siglen,
				(flags & 2) ? tst : NULL, (flags & 2) ? tstlen : 0, &cms, &cmslen,
				&ei);
	if (r != SP_OK) {
		if (cms != NULL || cmslen != 0 || ei.code != r || r >= 0)
			abort();
	} else {
		q = cms;
		if (cms == NULL || (ci = d2i_CMS_ContentInfo(NULL, &q, (long)cmslen)) == NULL ||
		    q != cms + cmslen)
			abort();
		CMS_ContentInfo_free(ci);
		free(cms);
	}
	/* Nothing may be left on this thread's queue for the next input. */
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
