/*
 * crypt.c: writing into a file protected by the standard security handler
 * with an empty user password (an owner password alone: Word and WPS
 * "restrict editing" exports, government templates). qpdf opens such a file
 * and decrypts what it reads, but does not hand out its key; an incremental
 * update must encrypt its new strings and streams with that key (ISO 32000-2
 * §7.6), as Acrobat does when it signs such a file, or readers decrypt our
 * plain bytes into garbage. So the key is derived here from /Encrypt and
 * the first /ID, and proved by the user password check before it is used:
 * Algorithms 2, 4 and 5 (R2-R4: RC4 and AESV2), 2.A and 2.B (R6 AES-256; R5,
 * Adobe's deprecated extension level 3, with its single SHA-256).
 *
 * RC4, even 40-bit RC4, is written as the file asks: the user password is
 * empty, so the encryption keeps nothing secret from anyone who has the file
 * (every reader opens it without asking); what it carries is the author's
 * permissions. Refusing a weak scheme would leave the signer only one way
 * forward, removing the encryption and with it those permissions, and our
 * update would weaken nothing (a signature's security is its CMS, not the
 * file's cipher). RC4 comes from OpenSSL's legacy provider, loaded into a
 * library context of this file's own (the process's default context is not
 * changed); a system without that provider refuses RC4 files, clearly.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "pdf_int.h"

/* ISO 32000-2 Algorithm 2 step a: the padding of a password (the whole of an empty one). */
static const unsigned char pad[32] = { 0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41,
				       0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
				       0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80,
				       0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A };

struct pdf_crypt {
	int v, r;
	long long p;           /* /P */
	int encrypt_metadata;  /* /EncryptMetadata (V4 and later; true by default) */
	enum pdf_cm stm, str;  /* the crypt filters /StmF and /StrF name, or V1-V3's RC4 */
	unsigned char key[32]; /* the file key */
	size_t keylen;         /* 5..16, 32 for V5 */
	OSSL_LIB_CTX *legacy;  /* RC4's library context, when a method is RC4 */
	OSSL_PROVIDER *prov;
	EVP_CIPHER *rc4;
};

void
pdf_crypt_free(struct pdf_crypt *c)
{
	if (c == NULL)
		return;
	EVP_CIPHER_free(c->rc4);
	if (c->prov)
		OSSL_PROVIDER_unload(c->prov);
	OSSL_LIB_CTX_free(c->legacy);
	OPENSSL_cleanse(c->key, sizeof(c->key));
	free(c);
}

/*
 * A string entry's raw bytes (the encryption dictionary's strings are never
 * encrypted), at most 127 of them copied into buf (qpdf's C API returns every
 * string in one buffer of its own, overwritten by the next call); NULL when
 * there is no such string.
 */
static const unsigned char *
bytes(qpdf_data q, qpdf_oh d, const char *key, unsigned char buf[128], size_t *n)
{
	qpdf_oh s = qpdf_oh_get_key(q, d, key);
	const char *v;

	*n = 0;
	if (!qpdf_oh_is_string(q, s) || !(v = qpdf_oh_get_binary_string_value(q, s, n)))
		return NULL;
	if (*n > 127)
		*n = 127;
	memcpy(buf, v, *n);
	return buf;
}

/* The first item of array a as bytes(): the first /ID. */
static const unsigned char *
bytes_item(qpdf_data q, qpdf_oh a, unsigned char buf[128], size_t *n)
{
	qpdf_oh s = qpdf_oh_get_array_item(q, a, 0);
	const char *v;

	*n = 0;
	if (!qpdf_oh_is_string(q, s) || !(v = qpdf_oh_get_binary_string_value(q, s, n)))
		return NULL;
	if (*n > 127)
		*n = 127;
	memcpy(buf, v, *n);
	return buf;
}

static int
rc4(const struct pdf_crypt *c, const unsigned char *key, size_t klen, const unsigned char *in,
    size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int ok, l1 = 0, l2 = 0;

	ok = x && c->rc4 && EVP_EncryptInit_ex2(x, c->rc4, NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_key_length(x, (int)klen) == 1 &&
	     EVP_EncryptInit_ex2(x, NULL, key, NULL, NULL) == 1 &&
	     EVP_EncryptUpdate(x, out, &l1, in, (int)n) == 1 &&
	     EVP_EncryptFinal_ex(x, out + l1, &l2) == 1 && (size_t)l1 + (size_t)l2 == n;
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

/* AES in CBC mode, no padding (the key derivations' use); enc 1 encrypts. */
static int
aes_raw(const EVP_CIPHER *ci, int enc, const unsigned char *key, const unsigned char *iv,
	const unsigned char *in, size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int ok, l1 = 0, l2 = 0;

	ok = x && EVP_CipherInit_ex2(x, ci, key, iv, enc, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
	     EVP_CipherUpdate(x, out, &l1, in, (int)n) == 1 &&
	     EVP_CipherFinal_ex(x, out + l1, &l2) == 1 && (size_t)l1 + (size_t)l2 == n;
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

static int
md5(const unsigned char *const *p, const size_t *n, size_t k, unsigned char out[16])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned int l = 0;
	size_t i;
	int ok = x && EVP_DigestInit_ex(x, EVP_md5(), NULL) == 1;

	for (i = 0; ok && i < k; i++)
		ok = EVP_DigestUpdate(x, p[i], n[i]) == 1;
	ok = ok && EVP_DigestFinal_ex(x, out, &l) == 1 && l == 16;
	EVP_MD_CTX_free(x);
	return ok ? 0 : -1;
}

/* Algorithm 2 with the empty password: the file key of R2-R4. */
static int
key_r4(struct pdf_crypt *c, const unsigned char *o, const unsigned char *id0, size_t idlen)
{
	static const unsigned char no_meta[4] = { 0xff, 0xff, 0xff, 0xff };
	unsigned char pb[4], h[16];
	const unsigned char *p[5] = { pad, o, pb, id0, no_meta };
	size_t n[5] = { 32, 32, 4, idlen, 4 };
	uint32_t pv = (uint32_t)c->p;
	int i;

	pb[0] = (unsigned char)pv;
	pb[1] = (unsigned char)(pv >> 8);
	pb[2] = (unsigned char)(pv >> 16);
	pb[3] = (unsigned char)(pv >> 24);
	if (md5(p, n, c->r >= 4 && !c->encrypt_metadata ? 5 : 4, h) < 0)
		return -1;
	for (i = 0; c->r >= 3 && i < 50; i++) {
		const unsigned char *q1[1] = { h };
		size_t n1[1] = { c->keylen };
		if (md5(q1, n1, 1, h) < 0)
			return -1;
	}
	memcpy(c->key, h, c->keylen);
	OPENSSL_cleanse(h, sizeof(h));
	return 0;
}

/* Algorithms 4 and 5: the empty user password's /U made with the key is the file's. */
static int
check_u_r4(const struct pdf_crypt *c, const unsigned char *u, const unsigned char *id0,
	   size_t idlen)
{
	unsigned char x[32], k[16];
	const unsigned char *p[2] = { pad, id0 };
	size_t n[2] = { 32, idlen }, i, j;

	if (c->r == 2)
		return rc4(c, c->key, c->keylen, pad, 32, x) == 0 && memcmp(x, u, 32) == 0 ? 0 : -1;
	if (md5(p, n, 2, x) < 0 || rc4(c, c->key, c->keylen, x, 16, x) < 0)
		return -1;
	for (i = 1; i <= 19; i++) {
		for (j = 0; j < c->keylen; j++)
			k[j] = c->key[j] ^ (unsigned char)i;
		if (rc4(c, k, c->keylen, x, 16, x) < 0)
			return -1;
	}
	return memcmp(x, u, 16) == 0 ? 0 : -1;
}

static int
sha2(int bits, const unsigned char *const *p, const size_t *n, size_t k, unsigned char *out)
{
	const EVP_MD *md = bits == 256 ? EVP_sha256() : bits == 384 ? EVP_sha384() : EVP_sha512();
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned int l = 0;
	size_t i;
	int ok = x && EVP_DigestInit_ex(x, md, NULL) == 1;

	for (i = 0; ok && i < k; i++)
		ok = EVP_DigestUpdate(x, p[i], n[i]) == 1;
	ok = ok && EVP_DigestFinal_ex(x, out, &l) == 1;
	EVP_MD_CTX_free(x);
	return ok ? 0 : -1;
}

/*
 * Algorithm 2.B (R6) for the empty password and a user salt (no /U data),
 * or R5's single SHA-256: the 32-byte hash, into out.
 */
static int
hash_r6(int r, const unsigned char salt[8], unsigned char out[32])
{
	unsigned char k[64], e[64 * 64];
	const unsigned char *p[1] = { salt };
	size_t n[1] = { 8 }, klen = 32, i, sum;
	int round, bits, rc = -1;

	if (sha2(256, p, n, 1, k) < 0)
		return -1;
	/* with an empty password and no /U data, K1 is K repeated 64 times */
	for (round = 0; r == 6; round++) {
		const unsigned char *pe[1] = { e };
		size_t ne[1] = { 64 * klen };
		for (i = 0; i < 64; i++)
			memcpy(e + i * klen, k, klen);
		if (aes_raw(EVP_aes_128_cbc(), 1, k, k + 16, e, 64 * klen, e) < 0)
			goto out;
		for (i = 0, sum = 0; i < 16; i++)
			sum += e[i];
		bits = sum % 3 == 0 ? 256 : sum % 3 == 1 ? 384 : 512;
		if (sha2(bits, pe, ne, 1, k) < 0)
			goto out;
		klen = (size_t)bits / 8;
		if (round >= 63 && e[ne[0] - 1] <= (unsigned)(round + 1 - 32))
			break;
	}
	memcpy(out, k, 32);
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(e, sizeof(e));
	return rc;
}

/* Algorithms 2.A and 11 (R5, R6): the empty user password checked, the key from /UE. */
static int
key_r6(struct pdf_crypt *c, const unsigned char *u, size_t ulen, const unsigned char *ue,
       size_t uelen)
{
	static const unsigned char zero_iv[16];
	unsigned char h[32];
	int rc = -1;

	if (ulen < 48 || uelen < 32 || hash_r6(c->r, u + 32, h) < 0 || memcmp(h, u, 32) != 0 ||
	    hash_r6(c->r, u + 40, h) < 0 ||
	    aes_raw(EVP_aes_256_cbc(), 0, h, zero_iv, ue, 32, c->key) < 0)
		goto out;
	c->keylen = 32;
	rc = 0;
out:
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

/* R6's /Perms: the permissions as the key holder wrote them, so that /P was not raised. */
static int
check_perms(const struct pdf_crypt *c, const unsigned char *perms, size_t n)
{
	unsigned char x[16];
	uint32_t p;
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
	int ok, l = 0;

	ok = n >= 16 && e && EVP_DecryptInit_ex2(e, EVP_aes_256_ecb(), c->key, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(e, 0) == 1 && EVP_DecryptUpdate(e, x, &l, perms, 16) == 1 &&
	     l == 16;
	EVP_CIPHER_CTX_free(e);
	if (!ok || memcmp(x + 9, "adb", 3) != 0)
		return -1;
	p = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
	return p == (uint32_t)c->p && (x[8] == 'T') == (c->encrypt_metadata != 0) ? 0 : -1;
}

/*
 * A crypt filter's method (V4, V5): /Identity, or /CF's entry for the name.
 * A named filter's /CFM /None (also what an absent /CFM means) is not the
 * identity: the security handler decrypts by itself (ISO 32000-1 table 25);
 * qpdf decrypts it as some other method ("unknown encryption filter") while
 * we would write plain bytes into it, so it is refused (sec35).
 */
static int
filter_method(qpdf_data q, qpdf_oh enc, const char *key, enum pdf_cm *out)
{
	qpdf_oh f = qpdf_oh_get_key(q, enc, key), cf, m;
	const char *name;

	*out = PDF_CM_NONE;
	if (qpdf_oh_is_null(q, f))
		return 0; /* absent: /Identity */
	if (!qpdf_oh_is_name(q, f))
		return -1;
	name = qpdf_oh_get_name(q, f);
	if (strcmp(name, "/Identity") == 0)
		return 0;
	cf = qpdf_oh_get_key(q, qpdf_oh_get_key(q, enc, "/CF"), name);
	m = qpdf_oh_get_key(q, cf, "/CFM");
	if (!qpdf_oh_is_dictionary(q, cf))
		return -1;
	name = qpdf_oh_is_name(q, m) ? qpdf_oh_get_name(q, m) : "/None";
	if (strcmp(name, "/V2") == 0)
		*out = PDF_CM_RC4;
	else if (strcmp(name, "/AESV2") == 0)
		*out = PDF_CM_AESV2;
	else if (strcmp(name, "/AESV3") == 0)
		*out = PDF_CM_AESV3;
	else
		return -1;
	return 0;
}

static int
refuse(struct sp_errinfo *ei, const char *why)
{
	return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_encrypted",
			     "the PDF's encryption cannot be written to (%s)", why);
}

int
pdf_crypt_open(qpdf_data q, struct pdf_crypt **out, struct sp_errinfo *ei)
{
	qpdf_oh tr = qpdf_get_trailer(q), enc = qpdf_oh_get_key(q, tr, "/Encrypt"), id, x;
	const unsigned char *o, *u, *ue, *perms, *id0 = NULL;
	unsigned char ob[128], ub[128], ueb[128], pb[128], idb[128];
	size_t on, un, uen, pn, idlen = 0;
	struct pdf_crypt *c = NULL;
	long long v = 0, r = 0, len = 0;
	int rc = SP_ERR_INTERNAL;

	*out = NULL;
	if (!qpdf_is_encrypted(q))
		return SP_OK;
	if (!(c = calloc(1, sizeof(*c))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	x = qpdf_oh_get_key(q, enc, "/Filter");
	if (!qpdf_oh_is_dictionary(q, enc) || !qpdf_oh_is_name(q, x) ||
	    strcmp(qpdf_oh_get_name(q, x), "/Standard") != 0) {
		rc = refuse(ei, "a security handler other than /Standard");
		goto out;
	}
	if (!qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, enc, "/V"), &v) ||
	    !qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, enc, "/R"), &r) ||
	    !qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, enc, "/P"), &c->p) || v < 1 ||
	    v > 5 || v == 3 || r < 2 || r > 6) {
		rc = refuse(ei, "an /Encrypt dictionary without a known /V, /R or /P");
		goto out;
	}
	c->v = (int)v;
	c->r = (int)r;
	x = qpdf_oh_get_key(q, enc, "/EncryptMetadata");
	c->encrypt_metadata = !qpdf_oh_is_bool(q, x) || qpdf_oh_get_bool_value(q, x);
	o = bytes(q, enc, "/O", ob, &on);
	u = bytes(q, enc, "/U", ub, &un);
	if (!o || !u || on < 32 || un < 32) {
		rc = refuse(ei, "/O or /U is missing or short");
		goto out;
	}
	if (v >= 4) {
		if (filter_method(q, enc, "/StmF", &c->stm) < 0 ||
		    filter_method(q, enc, "/StrF", &c->str) < 0) {
			rc = refuse(ei, "a crypt filter that is not /V2, /AESV2, /AESV3 or "
					"/Identity");
			goto out;
		}
		/* V4 derives each object's key by Algorithm 1 (RC4, AESV2); V5 has none
		   (Algorithm 1.A: the file key is every object's), so AESV3 alone there */
		if ((v == 4) != (c->stm != PDF_CM_AESV3 && c->str != PDF_CM_AESV3) ||
		    (v == 5 && ((c->stm != PDF_CM_AESV3 && c->stm != PDF_CM_NONE) ||
				(c->str != PDF_CM_AESV3 && c->str != PDF_CM_NONE)))) {
			rc = refuse(ei, "/AESV3 in a V4 dictionary or RC4 in V5");
			goto out;
		}
	} else {
		c->stm = c->str = PDF_CM_RC4;
	}
	if (v == 5) {
		ue = bytes(q, enc, "/UE", ueb, &uen);
		perms = bytes(q, enc, "/Perms", pb, &pn);
		if ((r != 5 && r != 6) || key_r6(c, u, un, ue, uen) < 0) {
			rc = sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_encrypted",
					   "the PDF is encrypted with a password to open it");
			goto out;
		}
		/* /P is not in R5's and R6's key: /Perms, encrypted with it, is what
		   proves /P the author's (R5, Adobe's extension level 3, writes it as R6) */
		if (check_perms(c, perms, pn) < 0) {
			rc = refuse(ei, "/Perms does not match /P");
			goto out;
		}
	} else {
		if (r > 4) {
			rc = refuse(ei, "/R above 4 with /V below 5");
			goto out;
		}
		/* key length: 40 bits for V1, /Length for V2 (40 by default), 128 for V4 */
		x = qpdf_oh_get_key(q, enc, "/Length");
		if (!qpdf_oh_get_value_as_longlong(q, x, &len))
			len = v == 4 ? 128 : 40;
		if (v == 1)
			len = 40;
		if (len % 8 != 0 || len < 40 || len > 128 || (r == 2 && len != 40)) {
			rc = refuse(ei, "a key /Length outside 40..128 bits");
			goto out;
		}
		c->keylen = (size_t)len / 8;
		if ((c->stm == PDF_CM_AESV2 || c->str == PDF_CM_AESV2) && c->keylen != 16) {
			rc = refuse(ei, "AESV2 with a key that is not 128 bits");
			goto out;
		}
		id = qpdf_oh_get_key(q, tr, "/ID");
		if (qpdf_oh_is_array(q, id) && qpdf_oh_get_array_n_items(q, id) > 0)
			id0 = bytes_item(q, id, idb, &idlen);
		if (id0 == NULL)
			id0 = (const unsigned char *)"";
	}
	/* RC4 for the key check (R2-R4) or for a filter */
	if (v < 5 || c->stm == PDF_CM_RC4 || c->str == PDF_CM_RC4) {
		if (!(c->legacy = OSSL_LIB_CTX_new()) ||
		    !(c->prov = OSSL_PROVIDER_load(c->legacy, "legacy")) ||
		    !(c->rc4 = EVP_CIPHER_fetch(c->legacy, "RC4", NULL))) {
			rc = refuse(ei, "RC4 is not available: OpenSSL's legacy provider is not "
					"installed");
			goto out;
		}
	}
	if (v < 5 && (key_r4(c, o, id0, idlen) < 0 || check_u_r4(c, u, id0, idlen) < 0)) {
		rc = sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_encrypted",
				   "the PDF is encrypted with a password to open it");
		goto out;
	}
	*out = c;
	c = NULL; /* transferred */
	rc = SP_OK;
out:
	pdf_crypt_free(c);
	return rc;
}

int
pdf_crypt_may_sign(const struct pdf_crypt *c, const char *step, struct sp_errinfo *ei)
{
	uint32_t p;

	if (c == NULL)
		return SP_OK;
	p = (uint32_t)c->p;
	/*
	 * ISO 32000-2 Table 22 (bit 1 is the lowest): bit 6 allows adding and
	 * changing annotations and filling in form fields, and "if bit 4 is also
	 * set, create or modify interactive form fields (including signature
	 * fields)"; bit 9 (R3 and later) only fills in existing fields. Every
	 * signing step here creates a field: a signature (or document timestamp)
	 * field with its widgets, the seal's images among them, and the DSS is
	 * written with it (§12.8.4.3). So both bits 4 and 6 must be set, in R2 as
	 * in later revisions. A file whose author allowed signing only its
	 * existing fields (bit 9, Acrobat's "signing existing signature fields")
	 * is refused: we never sign into a field the author placed.
	 */
	if ((p & (1u << 3)) != 0 && (p & (1u << 5)) != 0)
		return SP_OK;
	return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_signing_not_permitted",
			     "the PDF's permissions (/P %lld) forbid %s: creating a signature "
			     "field needs bit 4 (modify) and bit 6 (annotations and form "
			     "fields) set; ask its author for a copy that allows signing",
			     (long long)(int32_t)p, step);
}

void
pdf_crypt_objkey(const struct pdf_crypt *c, int num, int gen, struct pdf_okey *k)
{
	unsigned char b[5], h[16];
	const unsigned char *p[3] = { c ? c->key : NULL, b, (const unsigned char *)"sAlT" };
	size_t n[3] = { c ? c->keylen : 0, 5, 4 };
	int i;

	memset(k, 0, sizeof(*k));
	if (c == NULL)
		return;
	k->c = c;
	k->m[0] = c->str;
	k->m[1] = c->stm;
	b[0] = (unsigned char)num;
	b[1] = (unsigned char)(num >> 8);
	b[2] = (unsigned char)(num >> 16);
	b[3] = (unsigned char)gen;
	b[4] = (unsigned char)(gen >> 8);
	/* Algorithm 1: the file key, the object's number and generation (and "sAlT" for
	   AES), through MD5, n + 5 bytes of it at most 16; V5 uses the file key as is */
	for (i = 0; i < 2; i++) {
		if (k->m[i] == PDF_CM_AESV3) {
			memcpy(k->k[i], c->key, 32);
			k->n[i] = 32;
		} else if (k->m[i] != PDF_CM_NONE) {
			if (md5(p, n, k->m[i] == PDF_CM_AESV2 ? 3 : 2, h) < 0) {
				k->m[i] = PDF_CM_FAIL; /* an encryption with it fails */
				continue;
			}
			k->n[i] = c->keylen + 5 < 16 ? c->keylen + 5 : 16;
			memcpy(k->k[i], h, k->n[i]);
		}
	}
	OPENSSL_cleanse(h, sizeof(h));
}

int
pdf_crypt_encrypt(const struct pdf_okey *k, int stream, const unsigned char *in, size_t n,
		  unsigned char **out, size_t *outn)
{
	enum pdf_cm m = k->m[stream ? 1 : 0];
	const unsigned char *key = k->k[stream ? 1 : 0];
	EVP_CIPHER_CTX *x = NULL;
	unsigned char *o = NULL;
	int l1 = 0, l2 = 0, r = SP_ERR_CRYPTO;

	*out = NULL;
	*outn = 0;
	if (n > (size_t)1 << 30)
		return SP_ERR_TOO_LARGE;
	if (!(o = malloc(n + 32)))
		return SP_ERR_NOMEM;
	switch (m) {
	case PDF_CM_NONE:
		memcpy(o, in, n);
		*outn = n;
		break;
	case PDF_CM_RC4:
		if (rc4(k->c, key, k->n[stream ? 1 : 0], in, n, o) < 0)
			goto out;
		*outn = n;
		break;
	case PDF_CM_AESV2:
	case PDF_CM_AESV3:
		/* a random IV first, then CBC with PKCS #5 padding (ISO 32000-2 §7.6.3) */
		if (RAND_bytes(o, 16) != 1 || !(x = EVP_CIPHER_CTX_new()) ||
		    EVP_EncryptInit_ex2(x,
					m == PDF_CM_AESV2 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(),
					key, o, NULL) != 1 ||
		    EVP_EncryptUpdate(x, o + 16, &l1, in, (int)n) != 1 ||
		    EVP_EncryptFinal_ex(x, o + 16 + l1, &l2) != 1)
			goto out;
		*outn = 16 + (size_t)l1 + (size_t)l2;
		break;
	default:
		goto out;
	}
	*out = o;
	o = NULL; /* transferred */
	r = SP_OK;
out:
	EVP_CIPHER_CTX_free(x);
	free(o);
	return r;
}

struct pdf_crypt_dec {
	enum pdf_cm m;
	EVP_CIPHER_CTX *x;     /* NULL until AES has its IV */
	unsigned char key[32]; /* AES's, until then */
	unsigned char iv[16];
	size_t ivn;
};

int
pdf_crypt_dec_new(const struct pdf_okey *k, struct pdf_crypt_dec **out)
{
	struct pdf_crypt_dec *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d == NULL)
		return SP_ERR_NOMEM;
	d->m = k->m[1];
	if (d->m == PDF_CM_RC4 && (!(d->x = EVP_CIPHER_CTX_new()) || !k->c->rc4 ||
				   EVP_DecryptInit_ex2(d->x, k->c->rc4, NULL, NULL, NULL) != 1 ||
				   EVP_CIPHER_CTX_set_key_length(d->x, (int)k->n[1]) != 1 ||
				   EVP_DecryptInit_ex2(d->x, NULL, k->k[1], NULL, NULL) != 1)) {
		pdf_crypt_dec_free(d);
		return SP_ERR_CRYPTO;
	}
	if (d->m != PDF_CM_NONE && d->m != PDF_CM_RC4 && d->m != PDF_CM_AESV2 &&
	    d->m != PDF_CM_AESV3) {
		pdf_crypt_dec_free(d);
		return SP_ERR_CRYPTO;
	}
	memcpy(d->key, k->k[1], sizeof(d->key));
	*out = d;
	return SP_OK;
}

int
pdf_crypt_dec_update(struct pdf_crypt_dec *d, const unsigned char *in, size_t n, unsigned char *out,
		     size_t *outn)
{
	int l = 0;

	*outn = 0;
	if (n > INT_MAX - 32)
		return SP_ERR_TOO_LARGE;
	if (d->m == PDF_CM_NONE) {
		memcpy(out, in, n);
		*outn = n;
		return SP_OK;
	}
	if (d->m != PDF_CM_RC4 && d->x == NULL) {
		/* AES: the IV first, however the data is cut */
		size_t take = 16 - d->ivn < n ? 16 - d->ivn : n;
		memcpy(d->iv + d->ivn, in, take);
		d->ivn += take;
		in += take;
		n -= take;
		if (d->ivn < 16)
			return SP_OK;
		if (!(d->x = EVP_CIPHER_CTX_new()) ||
		    EVP_DecryptInit_ex2(d->x,
					d->m == PDF_CM_AESV2 ? EVP_aes_128_cbc()
							     : EVP_aes_256_cbc(),
					d->key, d->iv, NULL) != 1 ||
		    EVP_CIPHER_CTX_set_padding(d->x, 0) != 1)
			return SP_ERR_CRYPTO;
		OPENSSL_cleanse(d->key, sizeof(d->key));
	}
	if (n > 0 && EVP_DecryptUpdate(d->x, out, &l, in, (int)n) != 1)
		return SP_ERR_CRYPTO;
	*outn = (size_t)l;
	return SP_OK;
}

void
pdf_crypt_dec_free(struct pdf_crypt_dec *d)
{
	if (d == NULL)
		return;
	EVP_CIPHER_CTX_free(d->x);
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}
