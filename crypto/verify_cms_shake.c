/*
 * verify_cms_shake.c: RFC 8702's signatures with SHAKE in CMS. RSASSA-PSS
 * and ECDSA over SHAKE128 with 256 bits of output and over SHAKE256 with
 * 512, the message digest the same SHAKE at the same length (RFC 8702 §3.1,
 * §3.2). OpenSSL 3.0 knows neither signature algorithm identifier, and its
 * RSASSA-PSS masks with MGF1 only, where RFC 8702 masks with the SHAKE
 * itself: ECDSA is OpenSSL's check over the SHAKE output; for RSASSA-PSS the
 * RSA public-key operation is OpenSSL's and the encoding it reveals is
 * checked here (EMSA-PSS-VERIFY, RFC 8017 §9.1.2).
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "verify_int.h"

/* the largest RSA modulus OpenSSL verifies with, in bytes (OPENSSL_RSA_MAX_MODULUS_BITS) */
#define VERIFY_SHAKE_EM_MAX (16384 / 8)

/* 1.3.6.1.5.5.7.6.30 .. 33 (id-RSASSA-PSS-SHAKE128/256, id-ecdsa-with-shake128/256) */
static const unsigned char pkix_algs[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x06 };

static const struct verify_shake_alg shake_algs[] = {
	{ 30, 1, NID_shake128, 32, "RSASSA-PSS-SHAKE128" },
	{ 31, 1, NID_shake256, 64, "RSASSA-PSS-SHAKE256" },
	{ 32, 0, NID_shake128, 32, "ecdsa-with-SHAKE128" },
	{ 33, 0, NID_shake256, 64, "ecdsa-with-SHAKE256" },
};

const struct verify_shake_alg *
verify_shake_alg(const X509_ALGOR *sigalg)
{
	const ASN1_OBJECT *o = sigalg ? sigalg->algorithm : NULL;
	const unsigned char *b;
	size_t i;

	if (o == NULL || OBJ_length(o) != sizeof(pkix_algs) + 1)
		return NULL;
	b = OBJ_get0_data(o);
	if (memcmp(b, pkix_algs, sizeof(pkix_algs)) != 0)
		return NULL;
	for (i = 0; i < sizeof(shake_algs) / sizeof(shake_algs[0]); i++)
		if (b[sizeof(pkix_algs)] == shake_algs[i].last)
			return &shake_algs[i];
	return NULL;
}

/* SHAKE (a's) of the n bytes at d, outlen bytes of it into out (1). */
static int
shake(const struct verify_shake_alg *a, const unsigned char *d, size_t n, unsigned char *out,
      size_t outlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_get_digestbynid(a->md_nid), NULL) == 1 &&
		 EVP_DigestUpdate(c, d, n) == 1 && EVP_DigestFinalXOF(c, out, outlen) == 1;

	EVP_MD_CTX_free(c);
	return ok;
}

/*
 * EMSA-PSS-VERIFY (RFC 8017 §9.1.2) of em (emlen bytes, embits bits) over
 * mhash, as RFC 8702 §3.2.1 fixes it: the hash and the mask generation
 * function both a's SHAKE, hLen and the salt a->len bytes, trailer 0xbc.
 * 1 when consistent.
 */
static int
pss_consistent(const struct verify_shake_alg *a, const unsigned char *em, size_t emlen,
	       size_t embits, const unsigned char *mhash)
{
	size_t hlen = a->len, dblen, i, ps;
	unsigned char db[VERIFY_SHAKE_EM_MAX], m[8 + 2 * 64], h2[64];
	unsigned char top = (unsigned char)(0xff >> (8 * emlen - embits));

	if (emlen < 2 * hlen + 2 || emlen - hlen - 1 > sizeof(db) || em[emlen - 1] != 0xbc ||
	    (em[0] & ~top) != 0)
		return 0;
	dblen = emlen - hlen - 1;
	/* DB = maskedDB xor SHAKE(H) at DB's length */
	if (!shake(a, em + dblen, hlen, db, dblen))
		return 0;
	for (i = 0; i < dblen; i++)
		db[i] ^= em[i];
	db[0] &= top;
	ps = dblen - hlen - 1; /* zeros, then 0x01, then the salt */
	for (i = 0; i < ps; i++)
		if (db[i] != 0)
			return 0;
	if (db[ps] != 0x01)
		return 0;
	/* H = SHAKE(0x00 x 8 || mHash || salt) */
	memset(m, 0, 8);
	memcpy(m + 8, mhash, hlen);
	memcpy(m + 8 + hlen, db + ps + 1, hlen);
	return shake(a, m, 8 + 2 * hlen, h2, hlen) && CRYPTO_memcmp(h2, em + dblen, hlen) == 0;
}

/* The RSA public-key operation on sig (PSS's encoded message, k bytes), then its check. */
static int
pss_verify(const struct verify_shake_alg *a, EVP_PKEY *pk, const unsigned char *sig, size_t siglen,
	   const unsigned char *mhash)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	unsigned char em[VERIFY_SHAKE_EM_MAX];
	size_t emlen = sizeof(em), k = (size_t)EVP_PKEY_get_size(pk);
	size_t embits = (size_t)EVP_PKEY_get_bits(pk) - 1;
	int ok = 0;

	/* RFC 8017 §8.1.2: the signature is exactly the modulus' length (OpenSSL
	   checks no modulus past 16384 bits: em holds the largest) */
	if (c == NULL || EVP_PKEY_get_bits(pk) < 16 || siglen != k || k > sizeof(em) ||
	    EVP_PKEY_verify_recover_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_verify_recover(c, em, &emlen, sig, siglen) != 1 || emlen != k)
		goto out;
	/* emLen is one byte short of k when the modulus' bits are 8m + 1: that
	   first byte is 0 */
	if ((embits + 7) / 8 < k) {
		if (em[0] != 0)
			goto out;
		ok = pss_consistent(a, em + 1, k - 1, embits, mhash);
	} else {
		ok = pss_consistent(a, em, k, embits, mhash);
	}
out:
	EVP_PKEY_CTX_free(c);
	return ok;
}

int
verify_shake_sig(const struct verify_shake_alg *a, X509 *signer, const unsigned char *tbs, size_t n,
		 const ASN1_OCTET_STRING *sig, struct crypto_sig_report *rep)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	EVP_PKEY_CTX *c = NULL;
	unsigned char h[64];
	int ok = 0;

	snprintf(rep->sig_alg, sizeof(rep->sig_alg), "%s", a->name);
	if (!shake(a, tbs, n, h, a->len)) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "%s cannot be computed here", OBJ_nid2sn(a->md_nid));
		goto out;
	}
	if (a->pss)
		ok = pss_verify(a, pk, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
				h);
	else
		/* ECDSA over the SHAKE output as it is (RFC 8702 §3.2.2): no digest set */
		ok = (c = EVP_PKEY_CTX_new(pk, NULL)) != NULL && EVP_PKEY_verify_init(c) == 1 &&
		     EVP_PKEY_verify(c, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
				     h, a->len) == 1;
	if (!ok)
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
			    "the %s signature (RFC 8702) does not verify with the signer's key",
			    a->name);
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(c);
	return ok;
}
