/*
 * test_verify_writer.h: a second, independent PDF writer for the verify
 * tests: incremental updates as other tools write them (a classic table
 * whose startxref points at the end-of-line before "xref", a hybrid table
 * with /XRefStm, a cross-reference stream), optionally carrying a signature
 * it makes itself, so that sealpact's verifier is tried on files sealpact's
 * writer did not produce. Header-only (static), test-only.
 */
#ifndef VERIFY_WRITER_H
#define VERIFY_WRITER_H

#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "test_verify_corpus.h"

enum vw_xref {
	VW_TABLE,    /* classic table */
	VW_TABLE_WS, /* classic table, startxref one byte early (on the end-of-line) */
	VW_HYBRID,   /* table for the first object, /XRefStm stream for the rest */
	VW_STREAM,   /* a cross-reference stream */
	/* VW_HYBRID whose trailer spells "/XRefStm 0" in a string first, then the
	   key itself (VW_HYBRID_DISGUISED: as /XRef#53tm, a reader's /XRefStm) */
	VW_HYBRID_STRING,
	VW_HYBRID_DISGUISED
};

#define VW_HEX 16384

static void
vw_put_be(unsigned char *p, unsigned long long v, int n)
{
	while (n-- > 0) {
		p[n] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* An xref stream object `num` listing nums/off (type 1, /W [1 4 2]), uncompressed. */
static void
vw_xref_stream(struct gbuf *b, int num, const int *nums, const size_t *off, size_t k,
	       long long size, int root, long long prev, int trailer_keys)
{
	unsigned char row[7];
	size_t i;

	gb_printf(b, "%d 0 obj\n<< /Type /XRef /W [1 4 2] /Index [", num);
	for (i = 0; i < k; i++)
		gb_printf(b, "%d 1 ", nums[i]);
	gb_printf(b, "] /Size %lld /Length %zu", size, 7 * k);
	if (trailer_keys)
		gb_printf(b, " /Root %d 0 R /Prev %lld", root, prev);
	gb_printf(b, " >>\nstream\n");
	for (i = 0; i < k; i++) {
		row[0] = 1;
		vw_put_be(row + 1, off[i], 4);
		vw_put_be(row + 5, 0, 2);
		while (b->cap - b->n < 8) {
			b->cap *= 2;
			b->p = realloc(b->p, b->cap);
		}
		memcpy(b->p + b->n, row, 7);
		b->n += 7;
	}
	gb_printf(b, "\nendstream\nendobj\n");
}

/* The length of the DER element at p (tag, short or long length, content). */
static size_t
vw_der_len(const uint8_t *p)
{
	size_t nb, j, l = 0;

	if (!(p[1] & 0x80))
		return 2 + p[1];
	nb = p[1] & 0x7f;
	for (j = 0; j < nb; j++)
		l = l << 8 | p[2 + j];
	return 2 + nb + l;
}

/*
 * Splice into cms (made over the sorted signed attributes attrs, signature
 * sig) the same attributes in another order and a signature over those
 * bytes: what a signer that does not sort its SET OF produces.
 */
static void
vw_unsort(uint8_t *cms, size_t cmslen, const uint8_t *attrs, size_t alen, EVP_PKEY *key,
	  enum crypto_sigalg alg, const uint8_t *sig, size_t siglen)
{
	size_t hl, p, el[9], ne = 0, l, i;
	uint8_t *u = malloc(alen), *hit, nsig[CRYPTO_SIG_MAX];

	hl = attrs[1] & 0x80 ? 2 + (size_t)(attrs[1] & 0x7f) : 2;
	/* the elements of the SET */
	for (p = hl; p < alen && ne < 8; p += vw_der_len(attrs + p))
		el[ne++] = p;
	if (ne < 2 || p != alen)
		abort();
	el[ne] = alen;
	/* the last element first, then the others as they were */
	memcpy(u, attrs, hl);
	l = hl;
	memcpy(u + l, attrs + el[ne - 1], alen - el[ne - 1]);
	l += alen - el[ne - 1];
	for (i = 0; i + 1 < ne; i++) {
		memcpy(u + l, attrs + el[i], el[i + 1] - el[i]);
		l += el[i + 1] - el[i];
	}
	if (!memcmp(u, attrs, alen) || !(hit = memmem(cms, cmslen, attrs + hl, alen - hl)))
		abort();
	memcpy(hit, u + hl, alen - hl);
	if (vc_token_sign(key, alg, u, alen, nsig) != siglen ||
	    !(hit = memmem(cms, cmslen, sig, siglen)))
		abort();
	memcpy(hit, nsig, siglen);
	free(u);
}

/*
 * si's signed attributes as a hand-built CMS has them, contentType and
 * messageDigest md[0..mdl), added, and their DER (the bytes signed) into
 * *der: its length.
 */
static int
vw_attrs_der(CMS_SignerInfo *si, const unsigned char *md, unsigned int mdl, unsigned char **der)
{
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	int i, dl;

	if (!sk ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
					OBJ_nid2obj(NID_pkcs7_data), -1) != 1 ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, md,
					(int)mdl) != 1)
		abort();
	for (i = 0; i < CMS_signed_get_attr_count(si); i++)
		sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i));
	dl = ASN1_item_i2d((ASN1_VALUE *)sk, der, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	sk_X509_ATTRIBUTE_free(sk);
	return dl;
}

/*
 * A detached CMS SignedData by who's Ed25519 or Ed448 key over a || b:
 * contentType, messageDigest and the signature over their DER (RFC 8419:
 * SHA-512 for Ed25519, SHAKE256 with 512 bits of output for Ed448, each
 * under its parameterless identifier). oid not NULL: the signatureAlgorithm
 * says oid instead (who's key signs with its default algorithm), one no
 * verifier knows. sha256: the message digest SHA-256 instead, which RFC 8419
 * §3.1 does not allow with either key. noattr: no signed attributes, the
 * signature PureEdDSA over a || b itself (RFC 8419 §3.1), made by the key
 * of keyby (NULL: who's), a key that is not the certificate's for a wrong one.
 */
static uint8_t *
vw_eddsa_cms(const char *who, const char *oid, int sha256, int noattr, const char *keyby,
	     const uint8_t *a, size_t al, const uint8_t *b, size_t bl, size_t *outn)
{
	X509 *cert = vc_cert(who);
	EVP_PKEY *key = vc_key(who), *by = keyby ? vc_key(keyby) : NULL;
	CMS_ContentInfo *cms =
		CMS_sign(NULL, NULL, NULL, NULL, CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
	CMS_SignerInfo *si;
	X509_ALGOR *sigalg = NULL, *digalg = NULL;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ed448 = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED448;
	const EVP_MD *dmd = sha256 ? EVP_sha256() : ed448 ? EVP_shake256() : EVP_sha512();
	unsigned char md[64], sig[512], *der = NULL, *out = NULL;
	unsigned int mdl = 64;
	size_t sl = sizeof(sig);
	int dl;

	if (!cms ||
	    !(si = CMS_add1_signer(cms, cert, key, dmd, CMS_PARTIAL | CMS_NOSMIMECAP | CMS_NOATTR)))
		abort();
	{
		EVP_MD_CTX *h = EVP_MD_CTX_new();
		EVP_DigestInit_ex(h, dmd, NULL);
		EVP_DigestUpdate(h, a, al);
		EVP_DigestUpdate(h, b, bl);
		if (ed448 && !sha256)
			EVP_DigestFinalXOF(h, md, mdl);
		else
			EVP_DigestFinal_ex(h, md, &mdl);
		EVP_MD_CTX_free(h);
	}
	if (noattr) {
		/* the message whole: PureEdDSA has no streaming interface */
		if (!(der = OPENSSL_malloc(al + bl + 1)))
			abort();
		memcpy(der, a, al);
		memcpy(der + al, b, bl);
		dl = (int)(al + bl);
	} else {
		dl = vw_attrs_der(si, md, mdl, &der);
	}
	if (dl <= 0 || EVP_DigestSignInit_ex(m, NULL, NULL, NULL, NULL, by ? by : key, NULL) != 1 ||
	    EVP_DigestSign(m, sig, &sl, der, (size_t)dl) != 1)
		abort();
	ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sl);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &digalg, &sigalg);
	if (ed448 && !sha256)
		X509_ALGOR_set0(digalg, OBJ_nid2obj(NID_shake256), V_ASN1_UNDEF, NULL);
	X509_ALGOR_set0(sigalg,
			oid     ? OBJ_txt2obj(oid, 1)
			: ed448 ? OBJ_nid2obj(NID_ED448)
				: OBJ_nid2obj(NID_ED25519),
			V_ASN1_UNDEF, NULL);
	if ((dl = i2d_CMS_ContentInfo(cms, &out)) <= 0)
		abort();
	*outn = (size_t)dl;
	OPENSSL_free(der);
	EVP_MD_CTX_free(m);
	CMS_ContentInfo_free(cms);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(by);
	return out;
}

/* SHAKE128 (bits 128) or SHAKE256 of d[0..n), outlen bytes of it. */
static void
vw_shake(int bits, const unsigned char *d, size_t n, unsigned char *out, size_t outlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (!c || EVP_DigestInit_ex(c, bits == 128 ? EVP_shake128() : EVP_shake256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, d, n) != 1 || EVP_DigestFinalXOF(c, out, outlen) != 1)
		abort();
	EVP_MD_CTX_free(c);
}

/*
 * RFC 8702's signature with SHAKE over tbs by key into sig (its length):
 * ECDSA over SHAKE(tbs) as it is, or RSASSA-PSS with the SHAKE as hash and
 * mask, hLen and the salt `len` bytes, encoded here (EMSA-PSS-ENCODE, RFC
 * 8017 §9.1.1) and signed with OpenSSL's raw RSA private-key operation.
 */
static size_t
vw_shake_sign(EVP_PKEY *key, int bits, size_t len, const unsigned char *tbs, size_t n,
	      unsigned char *sig, size_t cap)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
	unsigned char mh[64], m[8 + 128], em[1024], db[1024];
	size_t k = (size_t)EVP_PKEY_get_size(key), embits = (size_t)EVP_PKEY_get_bits(key) - 1;
	size_t emlen = (embits + 7) / 8, dblen = emlen - len - 1, i, sl = cap;
	int rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;

	vw_shake(bits, tbs, n, mh, len);
	if (!c || EVP_PKEY_sign_init(c) != 1)
		abort();
	if (!rsa) {
		if (EVP_PKEY_sign(c, sig, &sl, mh, len) != 1)
			abort();
		EVP_PKEY_CTX_free(c);
		return sl;
	}
	/* M' = 0x00 x 8 || mHash || salt; H = SHAKE(M'); DB = PS || 0x01 || salt */
	memset(m, 0, 8);
	memcpy(m + 8, mh, len);
	if (k > sizeof(em) || RAND_bytes(m + 8 + len, (int)len) != 1)
		abort();
	memset(em, 0, sizeof(em));
	vw_shake(bits, m, 8 + 2 * len, em + (k - emlen) + dblen, len);
	memset(db, 0, dblen);
	db[dblen - len - 1] = 0x01;
	memcpy(db + dblen - len, m + 8 + len, len);
	/* maskedDB = DB xor SHAKE(H) at DB's length, its bits above emBits cleared */
	vw_shake(bits, em + (k - emlen) + dblen, len, em + (k - emlen), dblen);
	for (i = 0; i < dblen; i++)
		em[k - emlen + i] ^= db[i];
	em[k - emlen] &= (unsigned char)(0xff >> (8 * emlen - embits));
	em[k - 1] = 0xbc;
	if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_sign(c, sig, &sl, em, k) != 1)
		abort();
	EVP_PKEY_CTX_free(c);
	return sl;
}

/*
 * A detached CMS SignedData by who's RSA or EC key over a || b with RFC
 * 8702's algorithms: the message digest SHAKE<dbits> (id-shake128 or
 * id-shake256) with mdlen bytes of output, the signature
 * id-RSASSA-PSS-SHAKE<sbits> or id-ecdsa-with-shake<sbits> over the signed
 * attributes (256 bits of SHAKE128's output, 512 of SHAKE256's). RFC 8702
 * has dbits = sbits and mdlen 32 or 64; other values make what it forbids.
 */
static uint8_t *
vw_shake_cms(const char *who, int dbits, int sbits, size_t mdlen, int stated, const uint8_t *a,
	     size_t al, const uint8_t *b, size_t bl, size_t *outn)
{
	static const unsigned char sha256[] = {
		0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01
	};
	X509 *cert = vc_cert(who);
	EVP_PKEY *key = vc_key(who);
	CMS_ContentInfo *cms =
		CMS_sign(NULL, NULL, NULL, NULL, CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
	CMS_SignerInfo *si;
	X509_ALGOR *sigalg = NULL, *digalg = NULL;
	unsigned char md[64], sig[1024], *der = NULL, *out = NULL, *all, *p;
	size_t sl, slen = sbits == 128 ? 32 : 64;
	int dl, rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
	char oid[32];

	/* (OpenSSL's CMS knows no SHAKE signature: the signer is added with SHA-256,
	   its algorithms named after) */
	if (!cms || mdlen > sizeof(md) ||
	    !(si = CMS_add1_signer(cms, cert, key, EVP_sha256(),
				   CMS_PARTIAL | CMS_NOSMIMECAP | CMS_NOATTR)))
		abort();
	all = malloc(al + bl);
	memcpy(all, a, al);
	memcpy(all + al, b, bl);
	vw_shake(dbits, all, al + bl, md, mdlen);
	free(all);
	dl = vw_attrs_der(si, md, (unsigned int)mdlen, &der);
	if (dl <= 0)
		abort();
	sl = vw_shake_sign(key, sbits, slen, der, (size_t)dl, sig, sizeof(sig));
	ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sl);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &digalg, &sigalg);
	if (stated) {
		/* NIST's id-shake128-len / id-shake256-len, the output length in bits */
		ASN1_INTEGER *bitlen = ASN1_INTEGER_new();
		if (!bitlen || !ASN1_INTEGER_set(bitlen, (long)(8 * mdlen)))
			abort();
		X509_ALGOR_set0(digalg,
				OBJ_txt2obj(dbits == 128 ? "2.16.840.1.101.3.4.2.17"
							 : "2.16.840.1.101.3.4.2.18",
					    1),
				V_ASN1_INTEGER, bitlen);
	} else {
		X509_ALGOR_set0(digalg, OBJ_nid2obj(dbits == 128 ? NID_shake128 : NID_shake256),
				V_ASN1_UNDEF, NULL);
	}
	snprintf(oid, sizeof(oid), "1.3.6.1.5.5.7.6.%d", (rsa ? 30 : 32) + (sbits == 256));
	X509_ALGOR_set0(sigalg, OBJ_txt2obj(oid, 1), V_ASN1_UNDEF, NULL);
	if ((dl = i2d_CMS_ContentInfo(cms, &out)) <= 0)
		abort();
	/* the SignedData's digestAlgorithms (before the SignerInfo) say SHA-256:
	   the SHAKE's identifier, of the same length, instead */
	p = memmem(out, (size_t)dl, sha256, sizeof(sha256));
	if (p == NULL)
		abort();
	p[8] = (unsigned char)((dbits == 128 ? 0x0b : 0x0c) + (stated ? 6 : 0));
	*outn = (size_t)dl;
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	X509_free(cert);
	EVP_PKEY_free(key);
	return out;
}

/*
 * A detached CMS SignedData over a || b as OpenSSL's CMS_sign makes it,
 * signed by `by` (its certificate in the CMS and the SignerIdentifier), with
 * a signing-certificate-v2 attribute naming `named`'s certificate: another
 * one than by's when the certificate was substituted (RFC 5035 §1).
 */
static uint8_t *
vw_ess_cms(const char *named, const char *by, int v1, const uint8_t *a, size_t al, const uint8_t *b,
	   size_t bl, size_t *outn)
{
	X509 *cn = vc_cert(named), *cb = vc_cert(by);
	EVP_PKEY *key = vc_key(by);
	CMS_ContentInfo *cms =
		CMS_sign(NULL, NULL, NULL, NULL, CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
	CMS_SignerInfo *si;
	ESS_SIGNING_CERT_V2 *ess =
		v1 ? NULL : OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), cn, NULL, 0);
	/* v1: the SHA-1 ESSCertID of RFC 2634, which CAdES keeps for SHA-1 */
	ESS_SIGNING_CERT *ess1 = v1 ? OSSL_ESS_signing_cert_new_init(cn, NULL, 0) : NULL;
	BIO *in = BIO_new(BIO_s_mem());
	unsigned char *out = NULL, *der = NULL;
	int dl, el = ess    ? i2d_ESS_SIGNING_CERT_V2(ess, &der)
		     : ess1 ? i2d_ESS_SIGNING_CERT(ess1, &der)
			    : 0;

	if (!cms || el <= 0 || !in || BIO_write(in, a, (int)al) != (int)al ||
	    BIO_write(in, b, (int)bl) != (int)bl ||
	    !(si = CMS_add1_signer(cms, cb, key, EVP_sha256(), CMS_PARTIAL | CMS_BINARY)) ||
	    CMS_signed_add1_attr_by_NID(si,
					v1 ? NID_id_smime_aa_signingCertificate
					   : NID_id_smime_aa_signingCertificateV2,
					V_ASN1_SEQUENCE, der, el) != 1 ||
	    CMS_final(cms, in, NULL, CMS_DETACHED | CMS_BINARY) != 1 ||
	    (dl = i2d_CMS_ContentInfo(cms, &out)) <= 0)
		abort();
	*outn = (size_t)dl;
	OPENSSL_free(der);
	BIO_free(in);
	ESS_SIGNING_CERT_V2_free(ess);
	ESS_SIGNING_CERT_free(ess1);
	CMS_ContentInfo_free(cms);
	X509_free(cn);
	X509_free(cb);
	EVP_PKEY_free(key);
	return out;
}

/*
 * Append an update to d as another tool would: objs[i] is the body of object
 * nums[i]. When `who` is not NULL, one body holds "@SIG@", replaced by
 * "/ByteRange [...] /Contents <...>" and filled with a CMS signature by who's
 * key (signed attributes as sealpact builds them, no timestamp) over the
 * whole new file; "openssl:WHO": the CMS made by the openssl CLI instead
 * ("openssl:WHO@ARGS": with `openssl cms -sign` ARGS instead of "-md sha256",
 * e.g. another digest or "-keyopt rsa_padding_mode:pss"),
 * "doctsa:" an RFC 3161 document timestamp by the built-in TSA,
 * "opentsa:SECTION@ARGS" one by `openssl ts -reply` configured by SECTION of
 * tsa.cnf (the test writes it) on a query `openssl ts -query` made with ARGS,
 * "opensha1:WHO" an adbe.pkcs7.sha1 one (SHA-1 of the ranges enveloped),
 * "essof:NAMED:BY" OpenSSL's CMS signed by BY with an ESS signing-certificate-v2
 * naming NAMED's certificate ("essv1of:NAMED:BY": the v1 attribute, SHA-1), "eddsa:WHO" an Ed25519 or Ed448 CMS built by hand (RFC 8419; "eddsa256:WHO" over a SHA-256 message digest;
 * "eddsanoattr:WHO[:KEY]" without signed attributes, signed by KEY's key if given),
 * "shake:D/S/L:WHO" an RFC 8702 CMS by WHO's RSA or EC key (vw_shake_cms: message digest SHAKE<D> of L bytes, signature with SHAKE<S>;
 * "shakelen:..." the digest named id-shake<D>-len with its length), "unknownalg:WHO" the same with an
 * unknown signature algorithm OID and WHO's key, "unsorted:WHO" as sealpact's with
 * the signed attributes out of DER order (and signed so), "tstcms:WHO" as sealpact's
 * with a signature timestamp by `openssl ts -reply` (tsa.cnf's section plain)
 * that carries no certificate, the TSA's among the CMS's certificates instead.
 * Returns the new file (malloc'd).
 */
VC_FN unsigned char *
vw_update(const unsigned char *d, size_t n, const int *nums, const char *const *objs, size_t k,
	  enum vw_xref kind, const char *who, size_t *outn)
{
	struct gbuf b = { malloc(n + 65536 + 8 * VW_HEX), 0, n + 65536 + 8 * VW_HEX };
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	size_t off[32], xref, i, br = 0, c0 = 0, a, dlen, alen, siglen, cmslen;
	long long size;
	char num[80], *hex;
	const char *at;
	uint8_t dg[CRYPTO_DIGEST_MAX], sig[CRYPTO_SIG_MAX], *attrs = NULL, *cms = NULL;
	struct crypto_digest_ctx *dc;
	enum crypto_sigalg alg;
	/* "openssl:WHO+N" carries a bundle of N more certificates: room for them */
	size_t hexlen =
		who && !strncmp(who, "openssl:", 8) && strchr(who, '+') ? 8 * VW_HEX : VW_HEX;

	sp_errinfo_init(&ei);
	if (k > 30 || pdf_doc_open(d, n, &doc, &ei) != SP_OK)
		abort();
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	memcpy(b.p, d, n);
	b.n = n;
	if (d[n - 1] != '\n')
		gb_printf(&b, "\n");
	size = info.size;
	for (i = 0; i < k; i++) {
		off[i] = b.n;
		gb_printf(&b, "%d 0 obj\n", nums[i]);
		if ((at = strstr(objs[i], "@SIG@")) != NULL) {
			gb_printf(&b, "%.*s/ByteRange ", (int)(at - objs[i]), objs[i]);
			br = b.n;
			gb_printf(&b, "[0 %010d %010d %010d] /Contents <", 0, 0, 0);
			c0 = b.n - 1;
			for (a = 0; a < hexlen; a++)
				gb_printf(&b, "0");
			gb_printf(&b, ">%s", at + 5);
		} else {
			gb_printf(&b, "%s", objs[i]);
		}
		gb_printf(&b, "\nendobj\n");
		if (nums[i] >= size)
			size = nums[i] + 1;
	}
	if (kind == VW_STREAM) {
		nums = memcpy(malloc((k + 1) * sizeof(int)), nums, k * sizeof(int));
		((int *)nums)[k] = (int)size;
		off[k] = xref = b.n;
		vw_xref_stream(&b, (int)size, nums, off, k + 1, size + 1, info.root_obj,
			       info.startxref, 1);
		free((void *)nums);
	} else {
		size_t stm = 0;
		int hybrid = kind == VW_HYBRID || kind == VW_HYBRID_STRING ||
			     kind == VW_HYBRID_DISGUISED;
		if (hybrid) {
			/* objects after the first are listed in the /XRefStm stream only */
			int hn[32];
			size_t ho[32];
			stm = b.n;
			for (i = 1; i < k; i++) {
				hn[i - 1] = nums[i];
				ho[i - 1] = off[i];
			}
			hn[k - 1] = (int)size; /* it lists itself */
			ho[k - 1] = stm;
			vw_xref_stream(&b, (int)size, hn, ho, k, size + 1, 0, 0, 0);
			size++;
		}
		xref = b.n;
		gb_printf(&b, "xref\n0 1\n0000000000 65535 f \n");
		for (i = 0; i < (hybrid ? 1 : k); i++)
			gb_printf(&b, "%d 1\n%010zu 00000 n \n", nums[i], off[i]);
		gb_printf(&b, "trailer\n<< /Size %lld /Root %d 0 R /Prev %lld", size, info.root_obj,
			  info.startxref);
		if (stm && kind != VW_HYBRID)
			gb_printf(&b, " /Note (/XRefStm 0 \\) /Prev 0)");
		if (stm)
			gb_printf(&b,
				  kind == VW_HYBRID_DISGUISED ? " /XRef#53tm %zu" : " /XRefStm %zu",
				  stm);
		gb_printf(&b, " >>\n");
		if (kind == VW_TABLE_WS)
			xref--; /* the '\n' before "xref" */
	}
	gb_printf(&b, "startxref\n%zu\n%%%%EOF\n", xref);
	if (who && !strcmp(who, "doctsa:")) {
		/* an RFC 3161 token over the ranges by the built-in TSA: a document timestamp */
		unsigned char *cat, *q = NULL, *resp = NULL;
		size_t qlen, rlen, m;
		a = c0 + hexlen + 2;
		snprintf(num, sizeof(num), "[0 %010zu %010zu %010zu]", c0, a, b.n - a);
		memcpy(b.p + br, num, strlen(num));
		cat = malloc(c0 + b.n - a);
		memcpy(cat, b.p, c0);
		memcpy(cat + c0, b.p + a, b.n - a);
		if ((!vc_tsa &&
		     crypto_tsa_new(vc_path("tsa.pem"), vc_path("tsa.key"), NULL,
				    "1.3.6.1.4.1.99999.2", 1000, &vc_tsa, &ei) != SP_OK) ||
		    crypto_ts_query_new(cat, c0 + b.n - a, NULL, &q, &qlen, &ei) != SP_OK ||
		    crypto_tsa_respond(vc_tsa, q, qlen, 3, 0, &resp, &rlen, &ei) != SP_OK ||
		    crypto_ts_response_check(resp, rlen, q, qlen, NULL, &cms, &m, NULL, &ei) !=
			    SP_OK ||
		    2 * m > hexlen)
			abort();
		hex = malloc(2 * m + 1);
		sp_hex(cms, m, hex);
		memcpy(b.p + c0 + 1, hex, 2 * m);
		free(hex);
		free(cms);
		free(cat);
		free(q);
		free(resp);
	} else if (who && !strncmp(who, "opentsa:", 8)) {
		/* a document timestamp by `openssl ts -reply` as the section of tsa.cnf
		   configures its TSA (the corpus TSA's key), on a query made with ARGS */
		char section[32];
		const char *qargs = "";
		size_t m;
		if (sscanf(who + 8, "%31[^@]", section) != 1)
			abort();
		if (strchr(who, '@'))
			qargs = strchr(who, '@') + 1;
		a = c0 + hexlen + 2;
		snprintf(num, sizeof(num), "[0 %010zu %010zu %010zu]", c0, a, b.n - a);
		memcpy(b.p + br, num, strlen(num));
		FILE *f = fopen(vc_path("tbs.bin"), "wb");
		if (!f || fwrite(b.p, 1, c0, f) != c0 || fwrite(b.p + a, 1, b.n - a, f) != b.n - a)
			abort();
		fclose(f);
		if (run("cd %s && openssl ts -query -data tbs.bin -sha256 %s -out tbs.tsq && "
			"openssl ts -reply -config tsa.cnf -section %s -queryfile tbs.tsq "
			"-token_out -out tbs.tst",
			vc_dir, qargs, section) != 0)
			abort();
		cms = read_file(vc_path("tbs.tst"), &m);
		if (2 * m > hexlen)
			abort();
		hex = malloc(2 * m + 1);
		sp_hex(cms, m, hex);
		memcpy(b.p + c0 + 1, hex, 2 * m);
		free(hex);
		free(cms);
	} else if (who && (!strncmp(who, "eddsa:", 6) || !strncmp(who, "eddsa256:", 9) ||
			   !strncmp(who, "eddsanoattr:", 12) || !strncmp(who, "unknownalg:", 11) ||
			   !strncmp(who, "essof:", 6) || !strncmp(who, "essv1of:", 8) ||
			   !strncmp(who, "shake:", 6) || !strncmp(who, "shakelen:", 9))) {
		/* RFC 8419 Ed25519 CMS, built here: OpenSSL 3.0 cannot make one; or one
		   whose signature algorithm is an OID nobody knows; or OpenSSL's with
		   an ESS attribute naming the certificate asked */
		size_t m;
		int unknown = who[0] == 'u';
		char named[32], by[32];
		a = c0 + hexlen + 2;
		snprintf(num, sizeof(num), "[0 %010zu %010zu %010zu]", c0, a, b.n - a);
		memcpy(b.p + br, num, strlen(num));
		if (!strncmp(who, "shake:", 6) || !strncmp(who, "shakelen:", 9)) {
			int dbits, sbits, stated = who[5] == 'l';
			size_t mdlen;
			if (sscanf(strchr(who, ':') + 1, "%d/%d/%zu:%31s", &dbits, &sbits, &mdlen,
				   by) != 4)
				abort();
			cms = vw_shake_cms(by, dbits, sbits, mdlen, stated, (uint8_t *)b.p, c0,
					   (uint8_t *)b.p + a, b.n - a, &m);
		} else if (!strncmp(who, "essof:", 6) || !strncmp(who, "essv1of:", 8)) {
			int v1 = who[3] == 'v';
			if (sscanf(strchr(who, ':') + 1, "%31[^:]:%31s", named, by) != 2)
				abort();
			cms = vw_ess_cms(named, by, v1, (uint8_t *)b.p, c0, (uint8_t *)b.p + a,
					 b.n - a, &m);
		} else {
			int noattr = !strncmp(who, "eddsanoattr:", 12);
			by[0] = '\0';
			if (sscanf(strchr(who, ':') + 1, "%31[^:]:%31s", named, by) < 1)
				abort();
			cms = vw_eddsa_cms(named, unknown ? "1.3.6.1.4.1.99999.7.7" : NULL,
					   !strncmp(who, "eddsa256:", 9), noattr, by[0] ? by : NULL,
					   (uint8_t *)b.p, c0, (uint8_t *)b.p + a, b.n - a, &m);
		}
		if (2 * m > hexlen)
			abort();
		hex = malloc(2 * m + 1);
		sp_hex(cms, m, hex);
		memcpy(b.p + c0 + 1, hex, 2 * m);
		free(hex);
		free(cms);
	} else if (who && (!strncmp(who, "openssl:", 8) || !strncmp(who, "opensha1:", 9))) {
		/* the CMS as `openssl cms -sign` makes it (contentType, signingTime,
		   messageDigest, S/MIME capabilities; no ESS signing-certificate);
		   opensha1: adbe.pkcs7.sha1, the SHA-1 of the ranges enveloped;
		   openssl:WHO+N with the N certificates of bundleN.pem besides WHO's;
		   openssl:WHO@ARGS signed with ARGS */
		size_t m;
		int sha1 = !strncmp(who, "opensha1:", 9), nb = 0;
		char signer[32], certfile[48] = "";
		const char *args = "-md sha256";
		who = strchr(who, ':') + 1;
		if (sscanf(who, "%31[^+@]+%d", signer, &nb) < 1)
			abort();
		if (strchr(who, '@'))
			args = strchr(who, '@') + 1;
		if (nb > 0)
			snprintf(certfile, sizeof(certfile), "-certfile bundle%d.pem", nb);
		who = signer;
		a = c0 + hexlen + 2;
		snprintf(num, sizeof(num), "[0 %010zu %010zu %010zu]", c0, a, b.n - a);
		memcpy(b.p + br, num, strlen(num));
		FILE *f = fopen(vc_path("tbs.bin"), "wb");
		if (!f || fwrite(b.p, 1, c0, f) != c0 || fwrite(b.p + a, 1, b.n - a, f) != b.n - a)
			abort();
		fclose(f);
		/* (after -inkey: a -keyopt is the signer's before it) */
		if (run("cd %s && %s openssl cms -sign -binary %s -signer %s.pem "
			"-inkey %s.key %s %s -outform DER -out tbs.p7s",
			vc_dir, sha1 ? "openssl dgst -sha1 -binary tbs.bin >tbs.sha1 &&" : "",
			sha1 ? "-nodetach -in tbs.sha1" : "-in tbs.bin", who, who, args,
			certfile) != 0)
			abort();
		cms = read_file(vc_path("tbs.p7s"), &m);
		if (2 * m > hexlen)
			abort();
		hex = malloc(2 * m + 1);
		sp_hex(cms, m, hex);
		memcpy(b.p + c0 + 1, hex, 2 * m);
		free(hex);
		free(cms);
	} else if (who) {
		int unsorted = !strncmp(who, "unsorted:", 9), tstcms = !strncmp(who, "tstcms:", 7);
		X509 *cert = vc_cert(who + (unsorted ? 9 : tstcms ? 7 : 0));
		EVP_PKEY *key = vc_key(who + (unsorted ? 9 : tstcms ? 7 : 0));
		STACK_OF(X509) *chain = NULL;
		uint8_t *tok = NULL;
		size_t toklen = 0;
		if (!br)
			abort();
		a = c0 + hexlen + 2;
		snprintf(num, sizeof(num), "[0 %010zu %010zu %010zu]", c0, a, b.n - a);
		memcpy(b.p + br, num, strlen(num));
		if (crypto_sigalg_for_cert(cert, &alg, &ei) != SP_OK ||
		    crypto_digest_ctx_new(alg == CRYPTO_SIGALG_SM2_SM3 ? CRYPTO_DIGEST_SM3
								       : CRYPTO_DIGEST_SHA256,
					  &dc, &ei) != SP_OK ||
		    crypto_digest_ctx_update(dc, b.p, c0, &ei) != SP_OK ||
		    crypto_digest_ctx_update(dc, b.p + a, b.n - a, &ei) != SP_OK ||
		    crypto_digest_ctx_final(dc, dg, &dlen, &ei) != SP_OK ||
		    crypto_cms_signed_attrs(cert, alg, dg, dlen, &attrs, &alen, &ei) != SP_OK)
			abort();
		crypto_digest_ctx_free(dc);
		siglen = vc_token_sign(key, alg, attrs, alen, sig);
		if (tstcms) {
			/* a signature timestamp by `openssl ts -reply` on a query without
			   -cert (no certificate in the token), the TSA's certificate put
			   among the signature's own */
			FILE *f = fopen(vc_path("sig.bin"), "wb");
			if (!f || fwrite(sig, 1, siglen, f) != siglen || fclose(f) != 0 ||
			    run("cd %s && openssl ts -query -data sig.bin -sha256 -out sig.tsq && "
				"openssl ts -reply -config tsa.cnf -section plain -queryfile "
				"sig.tsq "
				"-token_out -out sig.tst",
				vc_dir) != 0 ||
			    !(tok = read_file(vc_path("sig.tst"), &toklen)) ||
			    !(chain = sk_X509_new_null()) || !sk_X509_push(chain, vc_cert("tsa")))
				abort();
		}
		if (crypto_cms_assemble(cert, chain, attrs, alen, sig, siglen, tok, toklen, &cms,
					&cmslen, &ei) != SP_OK ||
		    2 * cmslen > hexlen)
			abort();
		sk_X509_pop_free(chain, X509_free);
		free(tok);
		if (unsorted)
			vw_unsort(cms, cmslen, attrs, alen, key, alg, sig, siglen);
		hex = malloc(2 * cmslen + 1);
		sp_hex(cms, cmslen, hex);
		memcpy(b.p + c0 + 1, hex, 2 * cmslen);
		free(hex);
		free(cms);
		free(attrs);
		X509_free(cert);
		EVP_PKEY_free(key);
	}
	*outn = b.n;
	return (unsigned char *)b.p;
}

#endif /* VERIFY_WRITER_H */
