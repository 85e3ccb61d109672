/*
 * verify_ses.c: the electronic seal signatures of the Chinese standards,
 * recognized where a PDF signature's /Contents holds one instead of a CMS
 * SignedData (Chinese seal tools write them in PDF signature dictionaries
 * too):
 *
 *   GB/T 38540-2020 (version 4):
 *     SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING,
 *         signatureAlgID OBJECT IDENTIFIER, signature BIT STRING,
 *         timeStamp [0] BIT STRING OPTIONAL }
 *     TBS_Sign ::= SEQUENCE { version INTEGER, eseal SESeal,
 *         timeInfo GeneralizedTime, dataHash BIT STRING,
 *         propertyInfo IA5String, extDatas ExtensionDatas OPTIONAL }
 *   GM/T 0031-2014 (version 1):
 *     SES_Signature ::= SEQUENCE { toSign TBS_Sign, signature BIT STRING }
 *     TBS_Sign ::= SEQUENCE { version INTEGER, eseal SESeal,
 *         timeInfo BIT STRING, dataHash BIT STRING, propertyInfo IA5String,
 *         cert OCTET STRING, signatureAlgorithm OBJECT IDENTIFIER }
 *
 * What dataHash is a hash of in a PDF is not fixed by either standard (each
 * defines it for OFD), so such a signature is not checked against the file:
 * it is indeterminate, unsupported_format, named with its version and
 * algorithm, never cms_malformed (invalid), which would claim a proof this
 * verifier does not have. Its value over toSign is checkable whatever
 * dataHash means: with the certificate it carries, under SM2-with-SM3,
 * ECDSA or RSA with SHA-256, a value that does not verify is invalid
 * (bad_signature: anyone can write an SES_Signature carrying another's
 * certificate), and only one that verifies names that certificate's
 * subject as its signer. The elements are read with OpenSSL's ASN.1
 * decoder, one at a time, as DER (definite lengths).
 */
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "verify_int.h"

/* One DER element of universal (or, ctx, context-specific) tag `tag` from *p
   (before end): its content at *body, *len bytes, *p past it (1). */
static int
element(const unsigned char **p, const unsigned char *end, int tag, int ctx,
	const unsigned char **body, long *len)
{
	const unsigned char *q = *p;
	int t, cls, ret;

	if (q >= end)
		return 0;
	ret = ASN1_get_object(&q, len, &t, &cls, end - q);
	/* 0x80: an error; 0x21: an indefinite length (no DER) */
	if ((ret & 0x80) || ret == 0x21 || t != tag ||
	    cls != (ctx ? V_ASN1_CONTEXT_SPECIFIC : V_ASN1_UNIVERSAL) || *len > end - q)
		return 0;
	*body = q;
	*p = q + *len;
	return 1;
}

/* The fields recognition reports: the version, the signer's certificate and the
   signature algorithm, each the element's own bytes; toSign's DER (tag and
   length included) and the signature BIT STRING's content. */
struct ses_read {
	long version;
	const unsigned char *cert, *alg, *tbs, *sig;
	long cert_len, alg_len, tbs_len, sig_len;
};

/* toSign (its content [p, end)) as the standard its version names; 1 when it is one. */
static int
tbs_read(const unsigned char *p, const unsigned char *end, struct ses_read *s)
{
	const unsigned char *b, *q;
	ASN1_INTEGER *v;
	long l;

	q = p;
	if (!element(&p, end, V_ASN1_INTEGER, 0, &b, &l) ||
	    (v = d2i_ASN1_INTEGER(NULL, &q, p - q)) == NULL)
		return 0;
	s->version = ASN1_INTEGER_get(v);
	ASN1_INTEGER_free(v);
	if (s->version != 1 && s->version != 4)
		return 0;
	/* eseal, then timeInfo: a GeneralizedTime in version 4, a BIT STRING in 1 */
	if (!element(&p, end, V_ASN1_SEQUENCE, 0, &b, &l) ||
	    !element(&p, end, s->version == 4 ? V_ASN1_GENERALIZEDTIME : V_ASN1_BIT_STRING, 0, &b,
		     &l) ||
	    !element(&p, end, V_ASN1_BIT_STRING, 0, &b, &l) ||
	    !element(&p, end, V_ASN1_IA5STRING, 0, &b, &l))
		return 0;
	if (s->version == 4)
		return 1; /* extDatas, OPTIONAL, not read */
	s->alg = NULL;
	if (!element(&p, end, V_ASN1_OCTET_STRING, 0, &s->cert, &s->cert_len))
		return 0;
	q = p;
	if (!element(&p, end, V_ASN1_OBJECT, 0, &b, &l) || p != end)
		return 0;
	s->alg = q;
	s->alg_len = p - q;
	return 1;
}

/* der[0..len) (then zeros to n) an SES_Signature of version 1 or 4 (1), read into s. */
static int
ses_read(const uint8_t *der, size_t n, struct ses_read *s)
{
	const unsigned char *p = der, *end = der + n, *b, *tb, *q;
	long l, tl;
	size_t k;

	memset(s, 0, sizeof(*s));
	if (n > LONG_MAX || !element(&p, end, V_ASN1_SEQUENCE, 0, &b, &l))
		return 0;
	for (k = (size_t)(p - der); k < n; k++)
		if (der[k] != 0)
			return 0;
	end = p;
	p = b;
	s->tbs = p;
	if (!element(&p, end, V_ASN1_SEQUENCE, 0, &tb, &tl) || !tbs_read(tb, tb + tl, s))
		return 0;
	s->tbs_len = p - s->tbs;
	if (s->version == 1)
		return element(&p, end, V_ASN1_BIT_STRING, 0, &s->sig, &s->sig_len) && p == end;
	if (!element(&p, end, V_ASN1_OCTET_STRING, 0, &s->cert, &s->cert_len))
		return 0;
	q = p;
	if (!element(&p, end, V_ASN1_OBJECT, 0, &b, &l))
		return 0;
	s->alg = q;
	s->alg_len = p - q;
	if (!element(&p, end, V_ASN1_BIT_STRING, 0, &s->sig, &s->sig_len))
		return 0;
	/* timeStamp [0], EXPLICIT as ofdrw writes it or IMPLICIT */
	if (p < end && !element(&p, end, 0, 1, &b, &l))
		return 0;
	return p == end;
}

/*
 * s's signature value over toSign under cert's key: 1 it verifies, 0 it does
 * not, -1 the algorithm is not one crypto_sig_verify() runs. An SM2 or ECDSA
 * value is DER, or the raw r||s some seal tools write. The BIT STRING's
 * first byte counts its unused bits: OpenSSL's encoder (as some seal tools
 * use it) drops a value's trailing zero bytes and counts the last byte's
 * trailing zero bits as unused, so the zero bytes its length or the key's
 * size asks for are put back (exactly what was dropped).
 */
static int
ses_value_verifies(const struct ses_read *s, int nid, X509 *cert)
{
	enum crypto_sigalg alg = nid == NID_SM2_with_SM3              ? CRYPTO_SIGALG_SM2_SM3
				 : nid == NID_ecdsa_with_SHA256       ? CRYPTO_SIGALG_ECDSA_SHA256
				 : nid == NID_sha256WithRSAEncryption ? CRYPTO_SIGALG_RSA_SHA256
								      : CRYPTO_SIGALG_NONE;
	struct sp_errinfo ign;
	uint8_t v[CRYPTO_SIG_MAX], *der = NULL;
	size_t n, want, derlen = 0;
	int ok;

	if (alg == CRYPTO_SIGALG_NONE)
		return -1;
	if (s->sig_len < 2 || s->sig[0] > 7 || (size_t)s->sig_len - 1 > sizeof(v))
		return 0;
	n = (size_t)s->sig_len - 1;
	memcpy(v, s->sig + 1, n);
	want = alg == CRYPTO_SIGALG_RSA_SHA256 ? (size_t)EVP_PKEY_get_size(X509_get0_pubkey(cert))
	       : v[0] == 0x30 && n >= 2 && v[1] < 0x80 ? 2 + (size_t)v[1]
						       : n;
	if (want > n && want - n <= 8 && want <= sizeof(v)) {
		memset(v + n, 0, want - n);
		n = want;
	}
	sp_errinfo_init(&ign);
	ok = crypto_sig_verify(cert, alg, s->tbs, (size_t)s->tbs_len, v, n, &ign) == SP_OK;
	if (!ok && alg != CRYPTO_SIGALG_RSA_SHA256 && n == 64 &&
	    crypto_ecdsa_raw_to_der(v, 64, &der, &derlen, &ign) == SP_OK)
		ok = crypto_sig_verify(cert, alg, s->tbs, (size_t)s->tbs_len, der, derlen, &ign) ==
		     SP_OK;
	free(der);
	return ok;
}

int
verify_ses_recognize(const uint8_t *der, size_t n, struct crypto_sig_report *rep)
{
	struct ses_read s;
	const unsigned char *q;
	ASN1_OBJECT *o = NULL;
	X509 *cert = NULL;
	char alg[80] = "an unreadable algorithm";
	int nid = NID_undef, checked = -1;

	if (!ses_read(der, n, &s))
		return 0;
	q = s.alg;
	if ((o = d2i_ASN1_OBJECT(NULL, &q, s.alg_len)) != NULL) {
		nid = OBJ_obj2nid(o);
		if (nid != NID_undef)
			snprintf(alg, sizeof(alg), "%s", OBJ_nid2sn(nid));
		else if (OBJ_obj2txt(alg, sizeof(alg), o, 1) <= 0)
			snprintf(alg, sizeof(alg), "an unreadable algorithm");
		snprintf(rep->sig_alg, sizeof(rep->sig_alg), "%s", alg);
	}
	q = s.cert;
	if ((cert = d2i_X509(NULL, &q, s.cert_len)) != NULL && q == s.cert + s.cert_len)
		checked = ses_value_verifies(&s, nid, cert);
	if (checked == 0) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "bad_signature",
			    "/Contents is a %s electronic seal signature (SES_Signature version "
			    "%ld, %s) whose value the certificate it carries does not verify",
			    s.version == 4 ? "GB/T 38540" : "GM/T 0031", s.version, alg);
		goto out;
	}
	if (checked == 1)
		rep->has_signer = crypto_cert_info_get(cert, &rep->signer, NULL) == SP_OK;
	verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_format",
		    "/Contents is a %s electronic seal signature (SES_Signature version %ld, %s), "
		    "not a CMS SignedData; %s, what it signs of the file is not checked here",
		    s.version == 4 ? "GB/T 38540" : "GM/T 0031", s.version, alg,
		    checked == 1 ? "its value verifies with the certificate it carries"
				 : "its value is not checked here either");
out:
	ERR_clear_error();
	X509_free(cert);
	ASN1_OBJECT_free(o);
	return 1;
}
