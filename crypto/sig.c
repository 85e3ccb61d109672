/*
 * sig.c: the signature algorithms a token may use, and checking a token's
 * signature against a certificate before anything is built around it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto_int.h"

static const struct {
	enum crypto_sigalg alg;
	const char *name;
} sigalg_names[] = {
	{ CRYPTO_SIGALG_RSA_SHA256, "sha256WithRSAEncryption" },
	{ CRYPTO_SIGALG_ECDSA_SHA256, "ecdsa-with-SHA256" },
	{ CRYPTO_SIGALG_SM2_SM3, "SM2-with-SM3" },
};

const char *
crypto_sigalg_name(enum crypto_sigalg alg)
{
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(sigalg_names); i++)
		if (sigalg_names[i].alg == alg)
			return sigalg_names[i].name;
	return NULL;
}

enum crypto_sigalg
crypto_sigalg_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return CRYPTO_SIGALG_NONE;
	for (i = 0; i < SP_ARRAY_LEN(sigalg_names); i++)
		if (strcmp(sigalg_names[i].name, name) == 0)
			return sigalg_names[i].alg;
	return CRYPTO_SIGALG_NONE;
}

enum crypto_digest_alg
crypto_sigalg_digest(enum crypto_sigalg alg)
{
	switch (alg) {
	case CRYPTO_SIGALG_RSA_SHA256:
	case CRYPTO_SIGALG_ECDSA_SHA256:
		return CRYPTO_DIGEST_SHA256;
	case CRYPTO_SIGALG_SM2_SM3:
		return CRYPTO_DIGEST_SM3;
	case CRYPTO_SIGALG_NONE:
		break;
	}
	return 0;
}

/* The key's algorithm, or NONE with the reason in ei. */
static int
sigalg_for_pkey(EVP_PKEY *pkey, enum crypto_sigalg *alg, struct sp_errinfo *ei)
{
	char group[64] = "";
	size_t glen = 0;
	int bits;

	*alg = CRYPTO_SIGALG_NONE;
	if (pkey == NULL)
		return cms_err_ossl(ei, SP_ERR_INVALID, "unsupported_key",
				    "the certificate's public key cannot be read");
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < 2048 || bits > 8192)
			return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "unsupported_key",
					     "RSA keys of %d bits are not accepted (2048..8192)",
					     bits);
		*alg = CRYPTO_SIGALG_RSA_SHA256;
		return SP_OK;
	}
	/* OpenSSL 3.0 names a key on the SM2 curve "SM2"; older decoders said
	 * "EC" with group SM2, which is the same key. */
	if (EVP_PKEY_is_a(pkey, "SM2")) {
		*alg = CRYPTO_SIGALG_SM2_SM3;
		return SP_OK;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), &glen) != 1)
			return cms_err_ossl(ei, SP_ERR_UNSUPPORTED, "unsupported_key",
					    "EC key without a named curve");
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			*alg = CRYPTO_SIGALG_ECDSA_SHA256;
			return SP_OK;
		}
		if (strcmp(group, "SM2") == 0) {
			*alg = CRYPTO_SIGALG_SM2_SM3;
			return SP_OK;
		}
		return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "unsupported_key",
				     "EC curve %s is not accepted (P-256 or SM2)", group);
	}
	return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "unsupported_key",
			     "%s keys are not accepted (RSA, EC P-256 or SM2)",
			     EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey)
							   : "unknown");
}

int
sig_key_fits(EVP_PKEY *pkey, enum crypto_sigalg alg, struct sp_errinfo *ei)
{
	enum crypto_sigalg keyalg;
	int r;

	if ((r = sigalg_for_pkey(pkey, &keyalg, ei)) != SP_OK)
		return r;
	if (keyalg != alg)
		return sp_err_reason(ei, SP_ERR_INVALID, "alg_mismatch",
				     "algorithm %s does not fit the key (%s)",
				     crypto_sigalg_name(alg) ? crypto_sigalg_name(alg) : "unknown",
				     crypto_sigalg_name(keyalg));
	return SP_OK;
}

int
crypto_sigalg_for_cert(X509 *cert, enum crypto_sigalg *alg, struct sp_errinfo *ei)
{
	*alg = CRYPTO_SIGALG_NONE;
	if (cert == NULL)
		return sp_err(ei, SP_ERR_INVALID, "no certificate");
	return sigalg_for_pkey(X509_get0_pubkey(cert), alg, ei);
}

/*
 * ECDSA and SM2 values must be a DER ECDSA-Sig-Value in its one canonical
 * encoding: a raw r||s from PKCS#11 gets a clear message instead of a bare
 * "bad signature", and a BER variant cannot give the same signature two
 * encodings.
 */
static int
check_ecdsa_der(const uint8_t *sig, size_t siglen, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	const unsigned char *p = sig;
	unsigned char *re = NULL;
	ECDSA_SIG *es = NULL;
	int n;

	es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	if (es == NULL || p != sig + siglen) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, "bad_signature",
				 "the signature value is not a DER ECDSA-Sig-Value "
				 "(a raw r||s from a token must be converted first)");
		goto out;
	}
	n = i2d_ECDSA_SIG(es, &re);
	if (n <= 0 || (size_t)n != siglen || memcmp(re, sig, siglen) != 0) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, "bad_signature",
				 "the signature value is not canonical DER");
		goto out;
	}
	r = SP_OK;
out:
	OPENSSL_free(re);
	ECDSA_SIG_free(es);
	return r;
}

/* Verify sig over tbs with pkey, which must be of the type alg names. */
static int
sig_verify_pkey(EVP_PKEY *pkey, enum crypto_sigalg alg, const uint8_t *tbs, size_t tbslen,
		const uint8_t *sig, size_t siglen, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *sm2ctx = NULL, *pctx = NULL;
	int ok;

	if (sig == NULL || siglen == 0 || siglen > CRYPTO_SIG_MAX) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "bad_signature",
				  "signature value of %zu bytes (1..%d accepted)", siglen,
				  CRYPTO_SIG_MAX);
		goto out;
	}
	if (tbs == NULL || tbslen == 0) {
		r = sp_err(ei, SP_ERR_INVALID, "nothing signed");
		goto out;
	}
	if ((r = sig_key_fits(pkey, alg, ei)) != SP_OK)
		goto out;
	/* An SM2 key OpenSSL typed as plain EC would be verified as ECDSA:
	 * refuse it rather than give a misleading "bad signature". */
	if (alg == CRYPTO_SIGALG_SM2_SM3 && !EVP_PKEY_is_a(pkey, "SM2")) {
		r = sp_err_reason(ei, SP_ERR_UNSUPPORTED, "unsupported_key",
				  "this SM2 key is not usable for SM2 signatures");
		goto out;
	}
	if (alg != CRYPTO_SIGALG_RSA_SHA256 && (r = check_ecdsa_der(sig, siglen, ei)) != SP_OK)
		goto out;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (alg == CRYPTO_SIGALG_SM2_SM3) {
		/* The distid enters the SM3 "Z" value: it must be set on the
		 * context before init, or OpenSSL 3.0 uses an empty one. */
		if ((sm2ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
		    EVP_PKEY_CTX_set1_id(sm2ctx, CRYPTO_SM2_ID, strlen(CRYPTO_SM2_ID)) <= 0) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "SM2 context setup failed");
			goto out;
		}
		EVP_MD_CTX_set_pkey_ctx(mctx, sm2ctx);
		if (EVP_DigestVerifyInit(mctx, NULL, cms_digest_md(CRYPTO_DIGEST_SM3), NULL,
					 pkey) != 1) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "SM2 verify init failed");
			goto out;
		}
	} else {
		if (EVP_DigestVerifyInit_ex(mctx, &pctx, "SHA256", NULL, NULL, pkey, NULL) != 1) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "verify init failed");
			goto out;
		}
		if (alg == CRYPTO_SIGALG_RSA_SHA256 &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "RSA padding setup failed");
			goto out;
		}
	}
	ok = EVP_DigestVerify(mctx, sig, siglen, tbs, tbslen);
	if (ok != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, "bad_signature",
				 "the signature value does not verify with the certificate's key");
		goto out;
	}
	r = SP_OK;
out:
	EVP_MD_CTX_free(mctx);
	/* set_pkey_ctx does not hand sm2ctx over to mctx. */
	EVP_PKEY_CTX_free(sm2ctx);
	return r;
}

int
crypto_sig_verify(X509 *cert, enum crypto_sigalg alg, const uint8_t *tbs, size_t tbslen,
		  const uint8_t *sig, size_t siglen, struct sp_errinfo *ei)
{
	if (cert == NULL)
		return sp_err(ei, SP_ERR_INVALID, "no certificate");
	return sig_verify_pkey(X509_get0_pubkey(cert), alg, tbs, tbslen, sig, siglen, ei);
}

int
crypto_ecdsa_raw_to_der(const uint8_t *raw, size_t rawlen, uint8_t **der, size_t *derlen,
			struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *obuf = NULL;
	int n;

	*der = NULL;
	*derlen = 0;
	/* P-521 is the largest curve a token offers: 2 x 66 bytes. */
	if (raw == NULL || rawlen == 0 || rawlen % 2 != 0 || rawlen > 132) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "bad_signature",
				  "raw ECDSA signature of %zu bytes (even, 2..132 expected)",
				  rawlen);
		goto out;
	}
	if ((br = BN_bin2bn(raw, (int)(rawlen / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + rawlen / 2, (int)(rawlen / 2), NULL)) == NULL ||
	    (es = ECDSA_SIG_new()) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (BN_is_zero(br) || BN_is_zero(bs)) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "bad_signature",
				  "raw ECDSA signature has a zero half");
		goto out;
	}
	if (ECDSA_SIG_set0(es, br, bs) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "ECDSA_SIG_set0 failed");
		goto out;
	}
	br = bs = NULL; /* transferred */
	n = i2d_ECDSA_SIG(es, &obuf);
	r = cms_ossl_to_malloc(obuf, n, der, derlen, ei);
	obuf = NULL; /* transferred */
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

int
crypto_sig_sign(EVP_PKEY *key, enum crypto_sigalg alg, const uint8_t *tbs, size_t tbslen,
		uint8_t **sig, size_t *siglen, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *sm2ctx = NULL, *pctx = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;

	*sig = NULL;
	*siglen = 0;
	if (key == NULL || tbs == NULL || tbslen == 0)
		return sp_err(ei, SP_ERR_INVALID, "nothing to sign");
	if ((r = sig_key_fits(key, alg, ei)) != SP_OK)
		goto out;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (alg == CRYPTO_SIGALG_SM2_SM3) {
		/* As in verification: the distid before init, else OpenSSL 3.0 uses "". */
		if ((sm2ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
		    EVP_PKEY_CTX_set1_id(sm2ctx, CRYPTO_SM2_ID, strlen(CRYPTO_SM2_ID)) <= 0) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "SM2 context setup failed");
			goto out;
		}
		EVP_MD_CTX_set_pkey_ctx(mctx, sm2ctx);
		if (EVP_DigestSignInit(mctx, NULL, cms_digest_md(CRYPTO_DIGEST_SM3), NULL, key) !=
		    1) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "SM2 sign init failed");
			goto out;
		}
	} else {
		if (EVP_DigestSignInit_ex(mctx, &pctx, "SHA256", NULL, NULL, key, NULL) != 1 ||
		    (alg == CRYPTO_SIGALG_RSA_SHA256 &&
		     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "sign init failed");
			goto out;
		}
	}
	if (EVP_DigestSign(mctx, NULL, &n, tbs, tbslen) != 1 || n == 0 || n > CRYPTO_SIG_MAX) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "signing failed");
		goto out;
	}
	if ((buf = malloc(n)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(mctx, buf, &n, tbs, tbslen) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "signing failed");
		goto out;
	}
	*sig = buf;
	*siglen = n;
	buf = NULL; /* transferred */
	r = SP_OK;
out:
	free(buf);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(sm2ctx);
	return r;
}
