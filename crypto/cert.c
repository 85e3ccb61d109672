/*
 * cert.c: parsing certificates, reading the subject fields the server binds
 * to, and certificate chains as DER SEQUENCE OF Certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto_int.h"

#define CERT_MAX (64 * 1024) /* far above any real signing certificate */

static int
looks_pem(const unsigned char *p, size_t len)
{
	static const char tag[] = "-----BEGIN";
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return len - i >= sizeof(tag) - 1 && memcmp(p + i, tag, sizeof(tag) - 1) == 0;
}

/* Only whitespace may follow the PEM block we read. */
static int
rest_is_blank(BIO *b)
{
	char c;

	while (BIO_read(b, &c, 1) == 1) {
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return 0;
	}
	return 1;
}

int
crypto_cert_parse(const unsigned char *data, size_t len, X509 **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	X509 *x = NULL;
	BIO *b = NULL;
	const unsigned char *p = data;

	*out = NULL;
	if (data == NULL || len == 0) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				  "no certificate given");
		goto out;
	}
	if (len > CERT_MAX) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				  "certificate larger than %d bytes", CERT_MAX);
		goto out;
	}
	if (looks_pem(data, len)) {
		if ((b = BIO_new_mem_buf(data, (int)len)) == NULL) {
			r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		if (x == NULL || !rest_is_blank(b)) {
			r = cms_err_ossl(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
					 x == NULL ? "not a PEM certificate"
						   : "more than one PEM certificate");
			goto out;
		}
	} else {
		x = d2i_X509(NULL, &p, (long)len);
		if (x == NULL || p != data + len) {
			r = cms_err_ossl(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
					 x == NULL ? "not a DER X.509 certificate"
						   : "bytes after the DER certificate");
			goto out;
		}
	}
	*out = x;
	x = NULL; /* transferred */
	r = SP_OK;
out:
	X509_free(x);
	BIO_free(b);
	return r;
}

time_t
trust_asn1_time(const ASN1_TIME *a)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (a == NULL || !ASN1_TIME_to_tm(a, &tm))
		return (time_t)-1;
	return timegm(&tm);
}

/*
 * Copy the only attribute nid of name as UTF-8 into out. Absent: "". More
 * than one, an embedded NUL or too long: SP_ERR_INVALID, since a subject the
 * server binds an organization to must not be ambiguous.
 */
static int
name_attr(const X509_NAME *name, int nid, const char *what, char *out, size_t outsz,
	  struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	int i, n;
	unsigned char *s = NULL;

	out[0] = '\0';
	i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0) {
		r = SP_OK;
		goto out;
	}
	if (X509_NAME_get_index_by_NID(name, nid, i) >= 0) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				  "the certificate's subject has more than one %s", what);
		goto out;
	}
	n = ASN1_STRING_to_UTF8(&s, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0 || (size_t)n >= outsz || memchr(s, '\0', (size_t)n) != NULL) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				 "the certificate's subject %s is unreadable or too long", what);
		goto out;
	}
	memcpy(out, s, (size_t)n);
	out[n] = '\0';
	r = SP_OK;
out:
	OPENSSL_free(s);
	return r;
}

long
trust_name_print(const X509_NAME *name, char *out, size_t outsz)
{
	BIO *b = NULL;
	char *p = NULL;
	long n = -1;
	size_t m;

	out[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0 ||
	    (n = BIO_get_mem_data(b, &p)) < 0) {
		n = -1;
		goto out;
	}
	m = (size_t)n;
	if (m >= outsz) {
		/* Cut between characters so the text stays valid UTF-8 (JSON). */
		m = outsz - 1;
		while (m > 0 && ((unsigned char)p[m] & 0xc0) == 0x80)
			m--;
	}
	memcpy(out, p, m);
	out[m] = '\0';
out:
	BIO_free(b);
	return n;
}

int
trust_pem_end_clean(void)
{
	unsigned long e = ERR_peek_last_error();

	if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
		ERR_clear_error();
		return 1;
	}
	return e == 0;
}

/* The whole name as RFC 2253 text; too long for out is an error, not a cut. */
static int
name_text(const X509_NAME *name, const char *what, char *out, size_t outsz, struct sp_errinfo *ei)
{
	long n = trust_name_print(name, out, outsz);

	if (n < 0)
		return cms_err_ossl(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				    "cannot print the certificate's %s", what);
	if ((size_t)n >= outsz) {
		out[0] = '\0';
		return sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				     "the certificate's %s is too long", what);
	}
	return SP_OK;
}

int
crypto_cert_info_get(X509 *cert, struct crypto_cert_info *info, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const X509_NAME *subj;
	size_t kept = 0;

	memset(info, 0, sizeof(*info));
	if (cert == NULL) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				  "no certificate");
		goto out;
	}
	/* what an earlier call found for this very object (cert_kept.c); only a
	   success is kept, so a failure is found again with its reason */
	if (cert_kept_get(cert, CERT_KEPT_INFO, info, sizeof(*info), &kept) &&
	    kept == sizeof(*info))
		return SP_OK;
	memset(info, 0, sizeof(*info));
	subj = X509_get_subject_name(cert);
	if ((r = name_attr(subj, NID_organizationName, "organization (O)", info->org,
			   sizeof(info->org), ei)) != SP_OK ||
	    (r = name_attr(subj, NID_organizationIdentifier, "organizationIdentifier", info->org_id,
			   sizeof(info->org_id), ei)) != SP_OK ||
	    (r = name_attr(subj, NID_commonName, "common name (CN)", info->cn, sizeof(info->cn),
			   ei)) != SP_OK ||
	    (r = name_text(subj, "subject", info->subject, sizeof(info->subject), ei)) != SP_OK ||
	    (r = name_text(X509_get_issuer_name(cert), "issuer", info->issuer, sizeof(info->issuer),
			   ei)) != SP_OK)
		goto out;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL || strlen(hex) >= sizeof(info->serial_hex)) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				 "the certificate's serial number is unreadable");
		goto out;
	}
	snprintf(info->serial_hex, sizeof(info->serial_hex), "%s", hex);
	if (!X509_digest(cert, cms_digest_md(CRYPTO_DIGEST_SHA256), md, &mdlen) || mdlen != 32) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot hash the certificate");
		goto out;
	}
	sp_hex(md, mdlen, info->sha256_hex);
	info->not_before = trust_asn1_time(X509_get0_notBefore(cert));
	info->not_after = trust_asn1_time(X509_get0_notAfter(cert));
	if (info->not_before == (time_t)-1 || info->not_after == (time_t)-1) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				 "the certificate's validity period is unreadable");
		goto out;
	}
	cert_kept_put(cert, CERT_KEPT_INFO, info, sizeof(*info));
	r = SP_OK;
out:
	if (r != SP_OK)
		memset(info, 0, sizeof(*info));
	OPENSSL_free(hex);
	BN_free(bn);
	return r;
}

void
crypto_cert_result_cleanup(struct crypto_cert_result *res)
{
	if (res == NULL)
		return;
	sk_X509_pop_free(res->chain, X509_free);
	memset(res, 0, sizeof(*res));
}

/* ---- chains ---------------------------------------------------------------------------- */

/*
 * SEQUENCE OF Certificate as an OpenSSL item, so that both directions are
 * OpenSSL's own DER coder: the value is a STACK_OF(X509).
 */
ASN1_ITEM_TEMPLATE(CERT_CHAIN) = ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, certificates, X509)
	static_ASN1_ITEM_TEMPLATE_END(CERT_CHAIN)

		int crypto_chain_to_der(STACK_OF(X509) * chain, uint8_t **der, size_t *len,
					struct sp_errinfo *ei)
{
	STACK_OF(X509) *empty = NULL;
	unsigned char *obuf = NULL;
	int n, r = SP_ERR_INTERNAL;

	*der = NULL;
	*len = 0;
	if (sk_X509_num(chain) > CRYPTO_CHAIN_MAX) {
		r = sp_err(ei, SP_ERR_LIMIT, "chain of %d certificates (at most %d)",
			   sk_X509_num(chain), CRYPTO_CHAIN_MAX);
		goto out;
	}
	if (chain == NULL) {
		/* The item encodes a stack; a missing one is the empty chain. */
		if ((empty = sk_X509_new_null()) == NULL) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		chain = empty;
	}
	n = ASN1_item_i2d((const ASN1_VALUE *)chain, &obuf, ASN1_ITEM_rptr(CERT_CHAIN));
	if (n > CRYPTO_CHAIN_DER_MAX) {
		r = sp_err(ei, SP_ERR_TOO_LARGE, "chain of %d bytes (at most %d)", n,
			   CRYPTO_CHAIN_DER_MAX);
		goto out;
	}
	r = cms_ossl_to_malloc(obuf, n, der, len, ei);
	obuf = NULL; /* transferred */
out:
	OPENSSL_free(obuf);
	sk_X509_free(empty);
	return r;
}

int
crypto_chain_from_der(const uint8_t *der, size_t len, STACK_OF(X509) * *out, struct sp_errinfo *ei)
{
	STACK_OF(X509) *sk = NULL;
	const unsigned char *p = der;
	int i, r = SP_ERR_INTERNAL;

	*out = NULL;
	if (der == NULL || len == 0 || len > CRYPTO_CHAIN_DER_MAX) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				  "a chain is 2 to %d bytes of DER, not %zu", CRYPTO_CHAIN_DER_MAX,
				  len);
		goto out;
	}
	sk = (STACK_OF(X509) *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(CERT_CHAIN));
	if (sk == NULL || p != der + len) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				 sk == NULL ? "the chain is not a DER SEQUENCE OF Certificate"
					    : "bytes after the chain's DER");
		goto out;
	}
	if (sk_X509_num(sk) > CRYPTO_CHAIN_MAX) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				  "chain of %d certificates (at most %d)", sk_X509_num(sk),
				  CRYPTO_CHAIN_MAX);
		goto out;
	}
	for (i = 0; i < sk_X509_num(sk); i++)
		if (sk_X509_value(sk, i) == NULL) {
			r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
					  "the chain holds an empty entry");
			goto out;
		}
	*out = sk;
	sk = NULL; /* transferred */
	r = SP_OK;
out:
	sk_X509_pop_free(sk, X509_free);
	return r;
}
