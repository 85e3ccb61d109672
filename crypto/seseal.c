/*
 * seseal.c: the electronic seal in the national format, GB/T 38540-2020
 * "SESeal" (version 4), built and read with OpenSSL ASN.1 templates:
 *
 *   SESeal ::= SEQUENCE { eSealInfo SES_SealInfo, cert OCTET STRING (the
 *       seal maker's certificate), signAlgID OBJECT IDENTIFIER,
 *       signedValue BIT STRING }
 *   SES_SealInfo ::= SEQUENCE { header SES_Header, esID IA5String,
 *       property SES_ESPropertyInfo, picture SES_ESPictrueInfo,
 *       extDatas ExtensionDatas OPTIONAL }
 *   SES_Header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER (4),
 *       Vid IA5String }
 *   SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String,
 *       certListType INTEGER, certList SES_CertList, createDate,
 *       validStart, validEnd GeneralizedTime }
 *   SES_ESPictrueInfo ::= SEQUENCE { type IA5String, data OCTET STRING,
 *       width INTEGER, height INTEGER }   -- millimetres
 *
 * SES_CertList is an untagged CHOICE of two SEQUENCE OFs that only
 * certListType tells apart; this platform issues certListType 1 (the
 * signer certificates themselves, SEQUENCE OF OCTET STRING) and reads only
 * that form. The maker signs the DER of eSealInfo (as the public readers
 * ofdrw and the gm_0031_38540 verifier check it) with SM2-with-SM3 when its
 * key is SM2, else sha256WithRSAEncryption or ecdsa-with-SHA256.
 */
#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto_int.h"

typedef struct {
	ASN1_IA5STRING *id;
	ASN1_INTEGER *version;
	ASN1_IA5STRING *vid;
} SP_SES_HEADER;

/* OpenSSL declares no stack of OCTET STRINGs publicly. */
DEFINE_STACK_OF(ASN1_OCTET_STRING)

typedef struct {
	ASN1_INTEGER *type;
	ASN1_UTF8STRING *name;
	ASN1_INTEGER *cert_list_type;
	STACK_OF(ASN1_OCTET_STRING) * certs;
	ASN1_GENERALIZEDTIME *create_date;
	ASN1_GENERALIZEDTIME *valid_start;
	ASN1_GENERALIZEDTIME *valid_end;
} SP_SES_PROPERTY;

typedef struct {
	ASN1_IA5STRING *type;
	ASN1_OCTET_STRING *data;
	ASN1_INTEGER *width;
	ASN1_INTEGER *height;
} SP_SES_PICTURE;

typedef struct {
	ASN1_OBJECT *id;
	ASN1_BOOLEAN critical;
	ASN1_OCTET_STRING *value;
} SP_SES_EXTDATA;
DEFINE_STACK_OF(SP_SES_EXTDATA)

typedef struct {
	SP_SES_HEADER *header;
	ASN1_IA5STRING *es_id;
	SP_SES_PROPERTY *property;
	SP_SES_PICTURE *picture;
	STACK_OF(SP_SES_EXTDATA) * ext;
} SP_SES_SEALINFO;

typedef struct {
	SP_SES_SEALINFO *info;
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *alg;
	ASN1_BIT_STRING *value;
} SP_SESEAL;

ASN1_SEQUENCE(SP_SES_HEADER) = {
	ASN1_SIMPLE(SP_SES_HEADER, id, ASN1_IA5STRING),
	ASN1_SIMPLE(SP_SES_HEADER, version, ASN1_INTEGER),
	ASN1_SIMPLE(SP_SES_HEADER, vid, ASN1_IA5STRING),
} static_ASN1_SEQUENCE_END(SP_SES_HEADER)

ASN1_SEQUENCE(SP_SES_PROPERTY) = {
	ASN1_SIMPLE(SP_SES_PROPERTY, type, ASN1_INTEGER),
	ASN1_SIMPLE(SP_SES_PROPERTY, name, ASN1_UTF8STRING),
	ASN1_SIMPLE(SP_SES_PROPERTY, cert_list_type, ASN1_INTEGER),
	ASN1_SEQUENCE_OF(SP_SES_PROPERTY, certs, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SP_SES_PROPERTY, create_date, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(SP_SES_PROPERTY, valid_start, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(SP_SES_PROPERTY, valid_end, ASN1_GENERALIZEDTIME),
} static_ASN1_SEQUENCE_END(SP_SES_PROPERTY)

ASN1_SEQUENCE(SP_SES_PICTURE) = {
	ASN1_SIMPLE(SP_SES_PICTURE, type, ASN1_IA5STRING),
	ASN1_SIMPLE(SP_SES_PICTURE, data, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SP_SES_PICTURE, width, ASN1_INTEGER),
	ASN1_SIMPLE(SP_SES_PICTURE, height, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(SP_SES_PICTURE)

ASN1_SEQUENCE(SP_SES_EXTDATA) = {
	ASN1_SIMPLE(SP_SES_EXTDATA, id, ASN1_OBJECT),
	ASN1_OPT(SP_SES_EXTDATA, critical, ASN1_FBOOLEAN),
	ASN1_SIMPLE(SP_SES_EXTDATA, value, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(SP_SES_EXTDATA)

ASN1_SEQUENCE(SP_SES_SEALINFO) = {
	ASN1_SIMPLE(SP_SES_SEALINFO, header, SP_SES_HEADER),
	ASN1_SIMPLE(SP_SES_SEALINFO, es_id, ASN1_IA5STRING),
	ASN1_SIMPLE(SP_SES_SEALINFO, property, SP_SES_PROPERTY),
	ASN1_SIMPLE(SP_SES_SEALINFO, picture, SP_SES_PICTURE),
	ASN1_SEQUENCE_OF_OPT(SP_SES_SEALINFO, ext, SP_SES_EXTDATA),
} static_ASN1_SEQUENCE_END(SP_SES_SEALINFO)

ASN1_SEQUENCE(SP_SESEAL) = {
	ASN1_SIMPLE(SP_SESEAL, info, SP_SES_SEALINFO),
	ASN1_SIMPLE(SP_SESEAL, cert, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SP_SESEAL, alg, ASN1_OBJECT),
	ASN1_SIMPLE(SP_SESEAL, value, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(SP_SESEAL)

/* The template functions this file uses, typed. */
static SP_SESEAL *
SP_SESEAL_new(void)
{
	return (SP_SESEAL *)ASN1_item_new(ASN1_ITEM_rptr(SP_SESEAL));
}

static void
SP_SESEAL_free(SP_SESEAL *s)
{
	ASN1_item_free((ASN1_VALUE *)s, ASN1_ITEM_rptr(SP_SESEAL));
}

static SP_SESEAL *
d2i_SP_SESEAL(const unsigned char **in, long len)
{
	return (SP_SESEAL *)ASN1_item_d2i(NULL, in, len, ASN1_ITEM_rptr(SP_SESEAL));
}

static int
i2d_SP_SESEAL(const SP_SESEAL *s, unsigned char **out)
{
	return ASN1_item_i2d((const ASN1_VALUE *)s, out, ASN1_ITEM_rptr(SP_SESEAL));
}

static int
i2d_SP_SES_SEALINFO(const SP_SES_SEALINFO *s, unsigned char **out)
{
	return ASN1_item_i2d((const ASN1_VALUE *)s, out, ASN1_ITEM_rptr(SP_SES_SEALINFO));
}

#define SM2_SM3_OID "1.2.156.10197.1.501"

/* ---- building ------------------------------------------------------------------ */

static int
ia5_set(ASN1_IA5STRING **dst, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	if (*dst == NULL && (*dst = ASN1_IA5STRING_new()) == NULL)
		return 0;
	return ASN1_STRING_set(*dst, s, (int)n);
}

static int
int_set(ASN1_INTEGER **dst, long v)
{
	if (*dst == NULL && (*dst = ASN1_INTEGER_new()) == NULL)
		return 0;
	return ASN1_INTEGER_set(*dst, v);
}

static int
time_set(ASN1_GENERALIZEDTIME **dst, time_t t)
{
	ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(*dst, t);

	if (g == NULL)
		return 0;
	*dst = g;
	return 1;
}

static ASN1_OBJECT *
alg_oid(enum crypto_sigalg alg)
{
	switch (alg) {
	case CRYPTO_SIGALG_SM2_SM3:
		return OBJ_txt2obj(SM2_SM3_OID, 1);
	case CRYPTO_SIGALG_RSA_SHA256:
		return OBJ_nid2obj(NID_sha256WithRSAEncryption);
	case CRYPTO_SIGALG_ECDSA_SHA256:
		return OBJ_nid2obj(NID_ecdsa_with_SHA256);
	default:
		return NULL;
	}
}

static enum crypto_sigalg
alg_from_oid(const ASN1_OBJECT *o)
{
	char txt[64];

	if (o == NULL || OBJ_obj2txt(txt, sizeof(txt), o, 1) <= 0)
		return CRYPTO_SIGALG_NONE;
	if (strcmp(txt, SM2_SM3_OID) == 0)
		return CRYPTO_SIGALG_SM2_SM3;
	if (OBJ_obj2nid(o) == NID_sha256WithRSAEncryption)
		return CRYPTO_SIGALG_RSA_SHA256;
	if (OBJ_obj2nid(o) == NID_ecdsa_with_SHA256)
		return CRYPTO_SIGALG_ECDSA_SHA256;
	return CRYPTO_SIGALG_NONE;
}

static int
info_fill(SP_SES_SEALINFO *si, const struct crypto_seseal_in *in, struct sp_errinfo *ei)
{
	ASN1_OCTET_STRING *c = NULL;
	SP_SES_PROPERTY *p;
	SP_SES_PICTURE *pic;

	/* SP_SESEAL_new() made every required member, down to the leaves. */
	if (si->header == NULL || si->property == NULL || si->picture == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	p = si->property;
	pic = si->picture;
	if (!ia5_set(&si->header->id, "ES") || !int_set(&si->header->version, 4) ||
	    !ia5_set(&si->header->vid, in->vid) || !ia5_set(&si->es_id, in->es_id))
		return sp_err(ei, SP_ERR_INVALID, "the seal's identifiers must be ASCII");
	if (!int_set(&p->type, in->type) || !int_set(&p->cert_list_type, 1) ||
	    (p->name == NULL && (p->name = ASN1_UTF8STRING_new()) == NULL) ||
	    !ASN1_STRING_set(p->name, in->name, (int)strlen(in->name)) ||
	    !time_set(&p->create_date, in->created) ||
	    !time_set(&p->valid_start, in->valid_start) || !time_set(&p->valid_end, in->valid_end))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if ((c = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(c, in->org_cert_der, (int)in->org_cert_len) ||
	    sk_ASN1_OCTET_STRING_push(p->certs, c) <= 0) {
		ASN1_OCTET_STRING_free(c);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	if (!ia5_set(&pic->type, "PNG") ||
	    !ASN1_OCTET_STRING_set(pic->data, in->png, (int)in->png_len) ||
	    !int_set(&pic->width, in->width_mm) || !int_set(&pic->height, in->height_mm))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

int
crypto_seseal_build(const struct crypto_seseal_in *in, X509 *maker_cert, EVP_PKEY *maker_key,
		    uint8_t **der, size_t *len, struct sp_errinfo *ei)
{
	SP_SESEAL *s = NULL;
	enum crypto_sigalg alg;
	unsigned char *tbs = NULL, *mder = NULL, *sig = NULL, *out = NULL;
	size_t siglen = 0;
	int tbslen, mlen, n, r = SP_ERR_INTERNAL;

	*der = NULL;
	*len = 0;
	if (in == NULL || in->es_id == NULL || in->vid == NULL || in->name == NULL ||
	    in->org_cert_der == NULL || in->org_cert_len == 0 || in->org_cert_len > 65536 ||
	    in->png == NULL || in->png_len == 0 || in->png_len > CRYPTO_SESEAL_MAX / 2 ||
	    in->valid_start >= in->valid_end || maker_cert == NULL || maker_key == NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "incomplete seal information");
		goto out;
	}
	if ((r = crypto_sigalg_for_cert(maker_cert, &alg, ei)) != SP_OK)
		goto out;
	if (X509_check_private_key(maker_cert, maker_key) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CONFIG, NULL,
				 "the seal maker's key does not match its certificate");
		goto out;
	}
	if ((s = SP_SESEAL_new()) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = info_fill(s->info, in, ei)) != SP_OK)
		goto out;
	if ((mlen = i2d_X509(maker_cert, &mder)) <= 0 ||
	    !ASN1_OCTET_STRING_set(s->cert, mder, mlen)) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "the maker certificate does not encode");
		goto out;
	}
	ASN1_OBJECT_free(s->alg);
	if ((s->alg = alg_oid(alg)) == NULL) {
		r = sp_err(ei, SP_ERR_INTERNAL, "no OID for the signature algorithm");
		goto out;
	}
	if ((tbslen = i2d_SP_SES_SEALINFO(s->info, &tbs)) <= 0) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "the seal information does not encode");
		goto out;
	}
	if ((r = crypto_sig_sign(maker_key, alg, tbs, (size_t)tbslen, &sig, &siglen, ei)) != SP_OK)
		goto out;
	/* A whole-octet BIT STRING: no unused bits. */
	if (!ASN1_BIT_STRING_set(s->value, sig, (int)siglen)) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	s->value->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	s->value->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	if ((n = i2d_SP_SESEAL(s, &out)) <= 0) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "the seal does not encode");
		goto out;
	}
	r = cms_ossl_to_malloc(out, n, der, len, ei);
	out = NULL; /* transferred */
out:
	OPENSSL_free(tbs);
	OPENSSL_free(mder);
	OPENSSL_free(out);
	free(sig);
	SP_SESEAL_free(s);
	return r;
}

/* ---- reading ------------------------------------------------------------------- */

void
crypto_seseal_cleanup(struct crypto_seseal *s)
{
	if (s == NULL)
		return;
	free(s->png);
	X509_free(s->maker);
	sk_X509_pop_free(s->certs, X509_free);
	memset(s, 0, sizeof(*s));
}

static time_t
gtime(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return (time_t)-1;
	return timegm(&tm);
}

static int
str_copy(char *dst, size_t n, const ASN1_STRING *s)
{
	int len = s != NULL ? ASN1_STRING_length(s) : -1;

	if (len < 0 || (size_t)len >= n || memchr(ASN1_STRING_get0_data(s), 0, (size_t)len))
		return 0;
	memcpy(dst, ASN1_STRING_get0_data(s), (size_t)len);
	dst[len] = '\0';
	return 1;
}

static int
malformed(struct sp_errinfo *ei, const char *what)
{
	return sp_err_reason(ei, SP_ERR_INVALID, "seseal_malformed", "the SESeal is malformed: %s",
			     what);
}

/* Decode the fields of a parsed seal into out. */
static int
fields_get(const SP_SESEAL *s, struct crypto_seseal *out, struct sp_errinfo *ei)
{
	const SP_SES_PROPERTY *p = s->info->property;
	const SP_SES_PICTURE *pic = s->info->picture;
	const unsigned char *q;
	X509 *x;
	int i;

	if (!str_copy(out->header_id, sizeof(out->header_id), s->info->header->id) ||
	    strcmp(out->header_id, "ES") != 0)
		return malformed(ei, "the header ID is not \"ES\"");
	out->version = (int)ASN1_INTEGER_get(s->info->header->version);
	if (out->version != 4)
		return malformed(ei, "only version 4 (GB/T 38540-2020) is read");
	if (!str_copy(out->vid, sizeof(out->vid), s->info->header->vid) ||
	    !str_copy(out->es_id, sizeof(out->es_id), s->info->es_id) ||
	    !str_copy(out->name, sizeof(out->name), p->name))
		return malformed(ei, "an identifier or the name is too long");
	out->type = (int)ASN1_INTEGER_get(p->type);
	if (ASN1_INTEGER_get(p->cert_list_type) != 1)
		return malformed(ei, "only certListType 1 (certificates) is read");
	out->created = gtime(p->create_date);
	out->valid_start = gtime(p->valid_start);
	out->valid_end = gtime(p->valid_end);
	if (out->created == (time_t)-1 || out->valid_start == (time_t)-1 ||
	    out->valid_end == (time_t)-1 || out->valid_start >= out->valid_end)
		return malformed(ei, "the dates are not a valid range");
	if (!str_copy(out->picture_type, sizeof(out->picture_type), pic->type) ||
	    ASN1_STRING_length(pic->data) <= 0)
		return malformed(ei, "no picture");
	out->width_mm = (int)ASN1_INTEGER_get(pic->width);
	out->height_mm = (int)ASN1_INTEGER_get(pic->height);
	out->png_len = (size_t)ASN1_STRING_length(pic->data);
	if ((out->png = malloc(out->png_len)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	memcpy(out->png, ASN1_STRING_get0_data(pic->data), out->png_len);
	if ((out->certs = sk_X509_new_null()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (sk_ASN1_OCTET_STRING_num(p->certs) < 1 || sk_ASN1_OCTET_STRING_num(p->certs) > 16)
		return malformed(ei, "it binds no certificate, or more than 16");
	for (i = 0; i < sk_ASN1_OCTET_STRING_num(p->certs); i++) {
		const ASN1_OCTET_STRING *c = sk_ASN1_OCTET_STRING_value(p->certs, i);

		q = ASN1_STRING_get0_data(c);
		if ((x = d2i_X509(NULL, &q, ASN1_STRING_length(c))) == NULL ||
		    q != ASN1_STRING_get0_data(c) + ASN1_STRING_length(c)) {
			X509_free(x);
			return malformed(ei, "a bound certificate does not parse");
		}
		if (sk_X509_push(out->certs, x) <= 0) {
			X509_free(x);
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		}
	}
	q = ASN1_STRING_get0_data(s->cert);
	if ((out->maker = d2i_X509(NULL, &q, ASN1_STRING_length(s->cert))) == NULL ||
	    q != ASN1_STRING_get0_data(s->cert) + ASN1_STRING_length(s->cert))
		return malformed(ei, "the maker certificate does not parse");
	return SP_OK;
}

int
crypto_seseal_verify(const uint8_t *der, size_t len, X509 *maker, struct crypto_seseal *out,
		     struct sp_errinfo *ei)
{
	SP_SESEAL *s = NULL;
	const unsigned char *q = der;
	unsigned char *tbs = NULL, *re = NULL;
	enum crypto_sigalg alg;
	struct sp_errinfo vei;
	int tbslen, relen, r = SP_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0 || len > CRYPTO_SESEAL_MAX) {
		r = malformed(ei, "empty or larger than the cap");
		goto out;
	}
	if ((s = d2i_SP_SESEAL(&q, (long)len)) == NULL || q != der + len) {
		ERR_clear_error();
		r = malformed(ei, "not a DER SESeal");
		goto out;
	}
	/* DER only: re-encoding gives back the very same bytes. */
	if ((relen = i2d_SP_SESEAL(s, &re)) <= 0 || (size_t)relen != len ||
	    memcmp(re, der, len) != 0) {
		r = malformed(ei, "not in DER (distinguished) encoding");
		goto out;
	}
	if ((r = fields_get(s, out, ei)) != SP_OK)
		goto out;
	if ((alg = alg_from_oid(s->alg)) == CRYPTO_SIGALG_NONE) {
		r = sp_err_reason(ei, SP_ERR_UNSUPPORTED, "seseal_malformed",
				  "the seal's signature algorithm is not supported");
		goto out;
	}
	snprintf(out->sig_alg, sizeof(out->sig_alg), "%s", crypto_sigalg_name(alg));
	if (maker != NULL && X509_cmp(maker, out->maker) != 0) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "seseal_maker_mismatch",
				  "the seal was not made by the expected seal maker");
		goto out;
	}
	if ((s->value->flags & ASN1_STRING_FLAG_BITS_LEFT) && (s->value->flags & 0x07) != 0) {
		r = malformed(ei, "the signature value has unused bits");
		goto out;
	}
	if ((tbslen = i2d_SP_SES_SEALINFO(s->info, &tbs)) <= 0) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "the seal information does not encode");
		goto out;
	}
	sp_errinfo_init(&vei);
	if (crypto_sig_verify(out->maker, alg, tbs, (size_t)tbslen, ASN1_STRING_get0_data(s->value),
			      (size_t)ASN1_STRING_length(s->value), &vei) != SP_OK) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "seseal_bad_signature",
				  "the seal maker's signature over the seal does not verify");
		goto out;
	}
	r = SP_OK;
out:
	OPENSSL_free(tbs);
	OPENSSL_free(re);
	SP_SESEAL_free(s);
	if (r != SP_OK)
		crypto_seseal_cleanup(out);
	return r;
}

int
crypto_seseal_binds(const struct crypto_seseal *s, X509 *cert)
{
	int i;

	for (i = 0; s->certs != NULL && i < sk_X509_num(s->certs); i++)
		if (X509_cmp(sk_X509_value(s->certs, i), cert) == 0)
			return 1;
	return 0;
}
