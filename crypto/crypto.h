/*
 * crypto.h: sealpact's cryptography over OpenSSL 3: certificates and trust,
 * revocation, CMS around an external signature, RFC 3161 timestamps (built-in
 * TSA and client), and PDF signature verification.
 *
 * Pure and synchronous: no event loop, no database. Every function may be
 * called from any thread; failures drain OpenSSL's per-thread error queue
 * into the caller's struct sp_errinfo.
 */
#ifndef SP_CRYPTO_H
#define SP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "pdf.h"
#include "sp.h"

#include "crypto_trust.h" /* trust, certificates, revocation */

#include "crypto_cms.h" /* CMS signing and timestamps */

#include "crypto_http.h" /* outbound HTTP */

#include "crypto_verify.h" /* verification */

/* ---- GB/T 38540-2020 electronic seal data (seseal.c) ---------------------------- */

#define CRYPTO_SESEAL_MAX (8 * 1024 * 1024) /* bytes of a DER SESeal */
#define CRYPTO_SEAL_TYPE_OFFICIAL 1         /* SES_ESPropertyInfo.type: 公章 */
#define CRYPTO_SEAL_TYPE_CONTRACT 2         /* 合同专用章 */

/* What the platform's seal maker signs (all borrowed for the call). */
struct crypto_seseal_in {
	const char *es_id;           /* esID, ASCII: the platform's unique seal identifier */
	const char *vid;             /* header Vid, ASCII: the issuing system */
	int type;                    /* CRYPTO_SEAL_TYPE_* */
	const char *name;            /* UTF-8: the seal's name */
	const uint8_t *org_cert_der; /* the organization's signing certificate it binds */
	size_t org_cert_len;
	time_t created, valid_start, valid_end; /* valid_start < valid_end */
	const uint8_t *png;                     /* the picture (PNG) */
	size_t png_len;
	int width_mm, height_mm; /* the picture's physical size */
};

/*
 * Build a version-4 SESeal, signed by the seal maker (maker_key must match
 * maker_cert; SM2-with-SM3 for an SM2 key, else sha256WithRSAEncryption or
 * ecdsa-with-SHA256). *der is malloc'd. Any thread.
 */
int crypto_seseal_build(const struct crypto_seseal_in *in, X509 *maker_cert, EVP_PKEY *maker_key,
			uint8_t **der, size_t *len, struct sp_errinfo *ei) SP_WUR;

/* A parsed, verified SESeal; crypto_seseal_cleanup() frees what it holds. */
struct crypto_seseal {
	char header_id[8], vid[65], es_id[129];
	int version, type;
	char name[256];
	time_t created, valid_start, valid_end;
	char picture_type[16];
	uint8_t *png;
	size_t png_len;
	int width_mm, height_mm;
	X509 *maker;            /* the maker's certificate carried in the seal */
	STACK_OF(X509) * certs; /* the certificates it binds */
	char sig_alg[32];       /* crypto_sigalg_name() */
};
void crypto_seseal_cleanup(struct crypto_seseal *s);

/*
 * Parse der (strict DER, version 4, certListType 1) and verify the maker's
 * signature with the certificate it carries; with maker non-NULL that
 * certificate must be maker. Failures: SP_ERR_INVALID "seseal_malformed",
 * SP_ERR_CRYPTO "seseal_bad_signature" or "seseal_maker_mismatch",
 * SP_ERR_UNSUPPORTED for an unknown algorithm. out is filled only on SP_OK
 * (cleared otherwise). It does not judge the maker's trust or the validity
 * period: the caller decides at which time. Any thread.
 */
int crypto_seseal_verify(const uint8_t *der, size_t len, X509 *maker, struct crypto_seseal *out,
			 struct sp_errinfo *ei) SP_WUR;

/* 1 when s binds cert (the same certificate), else 0. */
int crypto_seseal_binds(const struct crypto_seseal *s, X509 *cert);

#endif /* SP_CRYPTO_H */
