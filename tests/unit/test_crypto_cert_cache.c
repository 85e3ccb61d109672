/*
 * test_crypto_cert_cache.c: the process's decoded-certificate cache
 * (crypto/cert_cache.c): a hit is the very object decoded the first time, a
 * certificate with the same subject but other bytes is never taken for it,
 * the bound holds with the least recently used going first (holders keep
 * theirs), threads share it, and a CMS or PKCS#7 SignedData parsed with its
 * certificates from the cache is the object the plain decoder makes (it
 * encodes back to the same bytes and still verifies), while odd input gets
 * the plain decoder's answer. A CRL's signature check is kept per key.
 *
 * The certificates are small self-signed P-256 ones made with the OpenSSL
 * API, so the suite needs no files and no database.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"
#include "support_tmp.h"

#include "test_self_signed.h"

/* The DER of x (OPENSSL_malloc'd) and its length. */
static unsigned char *
der_of(X509 *x, int *len)
{
	unsigned char *d = NULL;

	*len = i2d_X509(x, &d);
	ck_assert_int_gt(*len, 0);
	return d;
}

static void
setup(void)
{
	key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(key);
}

static void
teardown(void)
{
	EVP_PKEY_free(key);
	key = NULL;
}

START_TEST(hit_is_the_first_decode)
{
	struct cert_cache *c = cert_cache_new(8, 1 << 20);
	X509 *x = make_cert("Signer", 1), *a, *b;
	unsigned char *d;
	unsigned long hits, misses;
	size_t n;
	int len;

	ck_assert_ptr_nonnull(c);
	d = der_of(x, &len);
	a = cert_cache_get(c, d, (size_t)len);
	b = cert_cache_get(c, d, (size_t)len);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(X509_cmp(a, x), 0);
	cert_cache_stats(c, &n, &hits, &misses);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(misses, 1);
	/* not one certificate: nothing, and nothing kept */
	ck_assert_ptr_null(cert_cache_get(c, d, (size_t)len - 1));
	ck_assert_ptr_null(cert_cache_get(c, (const unsigned char *)"\x30\x00", 2));
	ck_assert_ptr_null(cert_cache_get(c, NULL, 0));
	cert_cache_stats(c, &n, &hits, &misses);
	ck_assert_uint_eq(n, 1);
	/* the cache goes first: its holders keep the object */
	cert_cache_free(c);
	ck_assert_int_eq(X509_cmp(a, x), 0);
	X509_free(a);
	X509_free(b);
	/* without a cache: a plain decode each time */
	a = cert_cache_get(NULL, d, (size_t)len);
	b = cert_cache_get(NULL, d, (size_t)len);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_ne(a, b);
	ck_assert_int_eq(X509_cmp(a, b), 0);
	X509_free(a);
	X509_free(b);
	OPENSSL_free(d);
	X509_free(x);
}
END_TEST

/* Two certificates of one subject, issuer and key, of the same length, that differ only in
   their serial and signature: the first pair of equal length among serials 10 to 75. A P-256
   signature's DER is 4 + |r| + |s| bytes with |r| and |s| in 1..33, so the 66 certificates have
   at most 65 lengths and two of them must share one (one byte serials, and every other field of
   fixed length). Waiting for the length of one chosen first failed 1 run in 550: of 200,000
   such certificates 442 are 276 bytes long (|r| or |s| of 31 bytes), and 89 draws did not
   match one once (under valgrind: 'l1 == 276, l2 == 277'). */
#define SAME_LEN_CERTS 66

static void
same_length_pair(X509 **x1, unsigned char **d1, X509 **x2, unsigned char **d2, int *len)
{
	X509 *x[SAME_LEN_CERTS];
	unsigned char *d[SAME_LEN_CERTS];
	int l[SAME_LEN_CERTS], n, i, j = -1;

	for (n = 0; n < SAME_LEN_CERTS && j < 0; n++) {
		x[n] = make_cert("Same Org", 10 + n);
		d[n] = der_of(x[n], &l[n]);
		for (i = 0; i < n && j < 0; i++)
			if (l[i] == l[n])
				j = i;
	}
	ck_assert_int_ge(j, 0);
	*x1 = x[j];
	*d1 = d[j];
	*x2 = x[n - 1];
	*d2 = d[n - 1];
	*len = l[n - 1];
	for (i = 0; i < n - 1; i++)
		if (i != j) {
			X509_free(x[i]);
			OPENSSL_free(d[i]);
		}
}

START_TEST(same_subject_other_bytes_not_confused)
{
	struct cert_cache *c = cert_cache_new(8, 1 << 20);
	X509 *x1, *x2, *a, *b;
	unsigned char *d1, *d2;
	int l1, l2;

	/* the same subject, issuer and key; only the serial differs, and of the same length
	   too, so that no comparison of lengths tells them apart */
	same_length_pair(&x1, &d1, &x2, &d2, &l1);
	l2 = l1;
	ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(x1), X509_get0_serialNumber(x2)),
			 0);
	a = cert_cache_get(c, d1, (size_t)l1);
	b = cert_cache_get(c, d2, (size_t)l2);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_int_eq(X509_cmp(a, x1), 0);
	ck_assert_int_eq(X509_cmp(b, x2), 0);
	ck_assert_int_ne(X509_cmp(a, b), 0);
	X509_free(a);
	X509_free(b);
	/* and with the very signature bytes of the first (what tells entries apart first):
	   the second's to-be-signed part under the first's signature, which still decodes */
	memcpy(d2 + l2 - 80, d1 + l1 - 80, 80);
	ck_assert_int_ne(memcmp(d1, d2, (size_t)l1), 0);
	a = cert_cache_get(c, d1, (size_t)l1);
	b = cert_cache_get(c, d2, (size_t)l2);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_int_eq(X509_cmp(a, x1), 0);
	ck_assert_int_ne(X509_cmp(a, b), 0);
	X509_free(a);
	X509_free(b);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
	X509_free(x1);
	X509_free(x2);
	cert_cache_free(c);
}
END_TEST

START_TEST(bounded_least_recently_used_out)
{
	struct cert_cache *c = cert_cache_new(4, 1 << 20);
	X509 *x[10], *got[10], *again;
	unsigned char *d[10];
	int len[10], i;
	unsigned long hits, misses, m0;
	size_t n;
	char cn[16];

	for (i = 0; i < 10; i++) {
		snprintf(cn, sizeof(cn), "Org %d", i);
		x[i] = make_cert(cn, 100 + i);
		d[i] = der_of(x[i], &len[i]);
	}
	for (i = 0; i < 4; i++) {
		got[i] = cert_cache_get(c, d[i], (size_t)len[i]);
		ck_assert_ptr_nonnull(got[i]);
	}
	/* 0 used again: 1 is now the least recently used and goes for 4 */
	again = cert_cache_get(c, d[0], (size_t)len[0]);
	ck_assert_ptr_eq(again, got[0]);
	X509_free(again);
	got[4] = cert_cache_get(c, d[4], (size_t)len[4]);
	cert_cache_stats(c, &n, &hits, &m0);
	ck_assert_uint_eq(n, 4);
	again = cert_cache_get(c, d[0], (size_t)len[0]); /* still there */
	ck_assert_ptr_eq(again, got[0]);
	X509_free(again);
	cert_cache_stats(c, &n, &hits, &misses);
	ck_assert_uint_eq(misses, m0);
	again = cert_cache_get(c, d[1], (size_t)len[1]); /* evicted: decoded anew */
	ck_assert_ptr_nonnull(again);
	ck_assert_ptr_ne(again, got[1]);
	ck_assert_int_eq(X509_cmp(again, x[1]), 0);
	X509_free(again);
	cert_cache_stats(c, &n, &hits, &misses);
	ck_assert_uint_eq(misses, m0 + 1);
	for (i = 5; i < 10; i++) {
		got[i] = cert_cache_get(c, d[i], (size_t)len[i]);
		ck_assert_ptr_nonnull(got[i]);
		cert_cache_stats(c, &n, &hits, &misses);
		ck_assert_uint_le(n, 4);
	}
	cert_cache_free(c);
	/* the evicted ones stayed valid for whoever held them */
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(X509_cmp(got[i], x[i]), 0);
		X509_free(got[i]);
		X509_free(x[i]);
		OPENSSL_free(d[i]);
	}
}
END_TEST

/* The bound in DER bytes holds as well; a certificate over it alone is decoded, not kept. */
START_TEST(bounded_in_bytes)
{
	X509 *x[6], *got;
	unsigned char *d[6];
	int len[6], i;
	unsigned long hits, misses;
	size_t n;
	char cn[16];
	struct cert_cache *c, *tiny;

	for (i = 0; i < 6; i++) {
		snprintf(cn, sizeof(cn), "Bytes %d", i);
		x[i] = make_cert(cn, 200 + i);
		d[i] = der_of(x[i], &len[i]);
	}
	/* room for three of them by size, many by count */
	c = cert_cache_new(100, (size_t)len[0] * 3 + 10);
	for (i = 0; i < 6; i++) {
		got = cert_cache_get(c, d[i], (size_t)len[i]);
		ck_assert_ptr_nonnull(got);
		ck_assert_int_eq(X509_cmp(got, x[i]), 0);
		X509_free(got);
		cert_cache_stats(c, &n, &hits, &misses);
		ck_assert_uint_le(n, 3);
	}
	cert_cache_free(c);
	tiny = cert_cache_new(100, 16);
	got = cert_cache_get(tiny, d[0], (size_t)len[0]);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(X509_cmp(got, x[0]), 0);
	cert_cache_stats(tiny, &n, &hits, &misses);
	ck_assert_uint_eq(n, 0);
	X509_free(got);
	cert_cache_free(tiny);
	for (i = 0; i < 6; i++) {
		X509_free(x[i]);
		OPENSSL_free(d[i]);
	}
}
END_TEST

#define T_THREADS 4
#define T_CERTS 12
#define T_ROUNDS 1000

struct shared {
	struct cert_cache *c;
	X509 *x[T_CERTS];
	unsigned char *d[T_CERTS];
	int len[T_CERTS];
};

struct worker {
	struct shared *s;
	unsigned seed;
	int wrong;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	X509 *got;
	int i, k;

	for (i = 0; i < T_ROUNDS; i++) {
		w->seed = w->seed * 1103515245u + 12345u;
		k = (int)((w->seed >> 16) % T_CERTS);
		got = cert_cache_get(w->s->c, w->s->d[k], (size_t)w->s->len[k]);
		/* used as a verifier would, while others evict and insert */
		if (got == NULL || X509_cmp(got, w->s->x[k]) != 0 ||
		    X509_check_purpose(got, X509_PURPOSE_ANY, 0) != 1 ||
		    X509_get0_pubkey(got) == NULL)
			w->wrong++;
		X509_free(got);
	}
	return NULL;
}

START_TEST(threads_share_it)
{
	struct shared s;
	struct worker w[T_THREADS];
	pthread_t th[T_THREADS];
	unsigned long hits, misses;
	size_t n;
	char cn[16];
	int i;

	/* fewer slots than certificates: eviction races with use */
	s.c = cert_cache_new(T_CERTS / 2, 1 << 20);
	for (i = 0; i < T_CERTS; i++) {
		snprintf(cn, sizeof(cn), "T %d", i);
		s.x[i] = make_cert(cn, 500 + i);
		s.d[i] = der_of(s.x[i], &s.len[i]);
	}
	for (i = 0; i < T_THREADS; i++) {
		w[i].s = &s;
		w[i].seed = 7u + (unsigned)i * 7919u;
		w[i].wrong = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < T_THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(w[i].wrong, 0);
	}
	cert_cache_stats(s.c, &n, &hits, &misses);
	ck_assert_uint_le(n, T_CERTS / 2);
	ck_assert_uint_eq(hits + misses, (unsigned long)T_THREADS * T_ROUNDS);
	ck_assert_uint_gt(hits, 0);
	cert_cache_free(s.c);
	for (i = 0; i < T_CERTS; i++) {
		X509_free(s.x[i]);
		OPENSSL_free(s.d[i]);
	}
}
END_TEST

/* A detached CMS SignedData over "data" by x0, carrying x0 and extra. */
static unsigned char *
make_cms(X509 *x0, STACK_OF(X509) * extra, int *len)
{
	BIO *in = BIO_new_mem_buf("data", 4);
	CMS_ContentInfo *cms;
	unsigned char *d = NULL;

	cms = CMS_sign(x0, key, extra, in, CMS_DETACHED | CMS_BINARY);
	ck_assert_ptr_nonnull(cms);
	*len = i2d_CMS_ContentInfo(cms, &d);
	ck_assert_int_gt(*len, 0);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return d;
}

START_TEST(cms_from_the_cache_is_the_plain_object)
{
	struct cert_cache *c = cert_cache_new(8, 1 << 20);
	X509 *x0 = make_cert("CMS signer", 20), *x1 = make_cert("CMS CA", 21), *y;
	STACK_OF(X509) *extra = sk_X509_new_null(), *certs;
	unsigned char *d, *padded, *again = NULL;
	CMS_ContentInfo *cms;
	BIO *in;
	size_t used = 0;
	int len, alen, i;
	unsigned long hits, misses;
	size_t n;

	ck_assert_int_gt(sk_X509_push(extra, x1), 0);
	d = make_cms(x0, extra, &len);
	/* as /Contents holds it: zero padding after the CMS */
	padded = calloc(1, (size_t)len + 64);
	memcpy(padded, d, (size_t)len);
	for (i = 0; i < 2; i++) {
		cms = cert_cache_cms_d2i(c, padded, (size_t)len + 64, &used);
		ck_assert_ptr_nonnull(cms);
		ck_assert_uint_eq(used, (size_t)len);
		alen = i2d_CMS_ContentInfo(cms, &again);
		ck_assert_int_eq(alen, len);
		ck_assert_mem_eq(again, d, (size_t)len);
		OPENSSL_free(again);
		again = NULL;
		/* the certificates are the cache's, in their order */
		certs = CMS_get1_certs(cms);
		ck_assert_int_eq(sk_X509_num(certs), 2);
		{
			const unsigned char *q = d;
			CMS_ContentInfo *plain = d2i_CMS_ContentInfo(NULL, &q, len);
			STACK_OF(X509) *pc = CMS_get1_certs(plain);
			unsigned char *xd;
			int xl, k;

			ck_assert_int_eq(sk_X509_num(pc), 2);
			for (k = 0; k < 2; k++) {
				ck_assert_int_eq(X509_cmp(sk_X509_value(certs, k),
							  sk_X509_value(pc, k)),
						 0);
				xd = der_of(sk_X509_value(pc, k), &xl);
				y = cert_cache_get(c, xd, (size_t)xl);
				ck_assert_ptr_eq(y, sk_X509_value(certs, k));
				X509_free(y);
				OPENSSL_free(xd);
			}
			sk_X509_pop_free(pc, X509_free);
			CMS_ContentInfo_free(plain);
		}
		in = BIO_new_mem_buf("data", 4);
		ck_assert_int_eq(CMS_verify(cms, NULL, NULL, in, NULL,
					    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY),
				 1);
		BIO_free(in);
		sk_X509_pop_free(certs, X509_free);
		CMS_ContentInfo_free(cms);
	}
	/* bare: the same signer info, no certificates decoded or kept */
	cms = cert_cache_cms_d2i_bare(padded, (size_t)len + 64, &used);
	ck_assert_ptr_nonnull(cms);
	ck_assert_uint_eq(used, (size_t)len);
	certs = CMS_get1_certs(cms);
	ck_assert_int_le(sk_X509_num(certs), 0); /* none: NULL */
	sk_X509_pop_free(certs, X509_free);
	ck_assert_int_eq(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)), 1);
	{
		const unsigned char *q = d;
		CMS_ContentInfo *plain = d2i_CMS_ContentInfo(NULL, &q, len);
		ASN1_OCTET_STRING *s1 = CMS_SignerInfo_get0_signature(
					  sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0)),
				  *s2 = CMS_SignerInfo_get0_signature(
					  sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(plain), 0));
		ck_assert_int_eq(ASN1_STRING_cmp(s1, s2), 0);
		CMS_ContentInfo_free(plain);
	}
	CMS_ContentInfo_free(cms);
	cert_cache_stats(c, &n, &hits, &misses);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(misses, 2);   /* each decoded once over both parses */
	ck_assert_uint_eq(hits, 2 + 4); /* the second parse, and the lookups above */
	/* truncated: refused as d2i refuses it */
	for (i = 1; i < len; i += 37) {
		ck_assert_ptr_null(cert_cache_cms_d2i(c, d, (size_t)i, &used));
		ck_assert_uint_eq(used, 0);
	}
	ERR_clear_error();
	/* another content type goes through the plain decoder unchanged */
	ck_assert_ptr_null(
		cert_cache_cms_d2i(c, (const unsigned char *)"\x30\x03\x02\x01\x01", 5, &used));
	ERR_clear_error();
	OPENSSL_free(d);
	free(padded);
	sk_X509_free(extra);
	X509_free(x0);
	X509_free(x1);
	cert_cache_free(c);
}
END_TEST

START_TEST(pkcs7_from_the_cache_is_the_plain_object)
{
	struct cert_cache *c = cert_cache_new(8, 1 << 20);
	X509 *x0 = make_cert("Token signer", 30), *x1 = make_cert("TSA CA", 31);
	STACK_OF(X509) *extra = sk_X509_new_null();
	BIO *in = BIO_new_mem_buf("data", 4);
	PKCS7 *p7, *plain;
	unsigned char *d = NULL, *again = NULL;
	const unsigned char *p;
	size_t used = 0;
	int len, alen, i;

	ck_assert_int_gt(sk_X509_push(extra, x1), 0);
	p7 = PKCS7_sign(x0, key, extra, in, PKCS7_DETACHED | PKCS7_BINARY);
	ck_assert_ptr_nonnull(p7);
	len = i2d_PKCS7(p7, &d);
	ck_assert_int_gt(len, 0);
	PKCS7_free(p7);
	BIO_free(in);
	p = d;
	plain = d2i_PKCS7(NULL, &p, len);
	ck_assert_ptr_nonnull(plain);
	p7 = cert_cache_pkcs7_d2i(c, d, (size_t)len, &used);
	ck_assert_ptr_nonnull(p7);
	ck_assert_uint_eq(used, (size_t)len);
	alen = i2d_PKCS7(p7, &again);
	ck_assert_int_eq(alen, len);
	ck_assert_mem_eq(again, d, (size_t)len);
	ck_assert_int_eq(sk_X509_num(p7->d.sign->cert), sk_X509_num(plain->d.sign->cert));
	for (i = 0; i < sk_X509_num(plain->d.sign->cert); i++)
		ck_assert_int_eq(X509_cmp(sk_X509_value(p7->d.sign->cert, i),
					  sk_X509_value(plain->d.sign->cert, i)),
				 0);
	in = BIO_new_mem_buf("data", 4);
	ck_assert_int_eq(PKCS7_verify(p7, NULL, NULL, in, NULL, PKCS7_NOVERIFY | PKCS7_BINARY), 1);
	BIO_free(in);
	OPENSSL_free(again);
	PKCS7_free(p7);
	PKCS7_free(plain);
	/* a certificate that does not decode: the plain decoder's refusal */
	d[len / 2] ^= 0xff;
	p7 = cert_cache_pkcs7_d2i(c, d, (size_t)len, &used);
	p = d;
	plain = d2i_PKCS7(NULL, &p, len);
	ck_assert((p7 == NULL) == (plain == NULL));
	PKCS7_free(p7);
	PKCS7_free(plain);
	ERR_clear_error();
	OPENSSL_free(d);
	sk_X509_free(extra);
	X509_free(x0);
	X509_free(x1);
	cert_cache_free(c);
}
END_TEST

/*
 * A CRL's signature check is remembered with the key it verified with
 * (trust_crl_signature_ok): asked again with that key, yes without another
 * verification; asked with another key under the same name, no.
 */
START_TEST(crl_signature_kept_per_key)
{
	char dir[320], root[384], crlp[384];
	const char *roots[1] = { root }, *crls[1] = { crlp };
	EVP_PKEY *other = EVP_EC_gen("P-256"), *mine = key;
	X509 *ca = make_cert_ca("CRL Issuer", 40, 1), *twin;
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL) - 60);
	ASN1_TIME *next = ASN1_TIME_set(NULL, time(NULL) + 86400);
	struct crypto_trust *t = NULL;
	struct sp_errinfo ei;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir_new("cert-cache"));
	snprintf(root, sizeof(root), "%s/root.pem", dir);
	snprintf(crlp, sizeof(crlp), "%s/ca.crl", dir);
	ck_assert(X509_CRL_set_version(crl, 1) &&
		  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
		  X509_CRL_set1_lastUpdate(crl, now) && X509_CRL_set1_nextUpdate(crl, next));
	ck_assert_int_gt(X509_CRL_sign(crl, key, EVP_sha256()), 0);
	ck_assert_ptr_nonnull(f = fopen(root, "w"));
	ck_assert_int_eq(PEM_write_X509(f, ca), 1);
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(crlp, "w"));
	ck_assert_int_eq(PEM_write_X509_CRL(f, crl), 1);
	fclose(f);
	/* the same name, another key */
	key = other;
	twin = make_cert_ca("CRL Issuer", 40, 1);
	key = mine;
	sp_errinfo_init(&ei);
	ck_assert_msg(crypto_trust_new(roots, 1, NULL, 0, crls, 1, NULL, &t, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(sk_X509_CRL_num(t->crls), 1);
	ck_assert_ptr_null(t->crl_key[0].spki);
	ck_assert_int_eq(trust_crl_signature_ok(t, 0, sk_X509_CRL_value(t->crls, 0), twin), 0);
	ck_assert_ptr_null(t->crl_key[0].spki); /* a failure is not kept */
	ck_assert_int_eq(trust_crl_signature_ok(t, 0, sk_X509_CRL_value(t->crls, 0), ca), 1);
	ck_assert_ptr_nonnull(t->crl_key[0].spki);
	ck_assert_int_eq(trust_crl_signature_ok(t, 0, sk_X509_CRL_value(t->crls, 0), ca), 1);
	ck_assert_int_eq(trust_crl_signature_ok(t, 0, sk_X509_CRL_value(t->crls, 0), twin), 0);
	ck_assert_int_eq(trust_crl_signature_ok(t, 0, sk_X509_CRL_value(t->crls, 0), ca), 1);
	crypto_trust_free(t);
	remove(root);
	remove(crlp);
	rmdir(dir);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	X509_free(ca);
	X509_free(twin);
	EVP_PKEY_free(other);
}
END_TEST

/* An OCSP response made with OpenSSL, its responder and extra certificates included or not. */
static unsigned char *
make_ocsp(X509 *rsp, STACK_OF(X509) * extra, unsigned long flags, int *len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, rsp, rsp);
	OCSP_RESPONSE *r;
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	unsigned char *d = NULL;

	ck_assert_ptr_nonnull(bs);
	ck_assert_ptr_nonnull(id);
	ck_assert_ptr_nonnull(
		OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, now, NULL));
	ck_assert_int_eq(OCSP_basic_sign(bs, rsp, key, EVP_sha256(), extra, flags), 1);
	ck_assert_ptr_nonnull(r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs));
	*len = i2d_OCSP_RESPONSE(r, &d);
	ck_assert_int_gt(*len, 0);
	OCSP_RESPONSE_free(r);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(now);
	return d;
}

/* trust_ocsp_certs_cached reads the certificates OpenSSL's decoder finds, in order. */
START_TEST(ocsp_certificates_read_from_der)
{
	X509 *rsp = make_cert("Responder", 50), *ca = make_cert("Responder CA", 51);
	STACK_OF(X509) *extra = sk_X509_new_null(), *got = NULL;
	unsigned char *d;
	int len;

	ck_assert_int_gt(sk_X509_push(extra, ca), 0);
	d = make_ocsp(rsp, extra, 0, &len);
	ck_assert_int_eq(trust_ocsp_certs_cached(NULL, d, (size_t)len, &got), 1);
	ck_assert_int_eq(sk_X509_num(got), 2);
	ck_assert_int_eq(X509_cmp(sk_X509_value(got, 0), rsp), 0);
	ck_assert_int_eq(X509_cmp(sk_X509_value(got, 1), ca), 0);
	sk_X509_pop_free(got, X509_free);
	got = NULL;
	/* cut short: not read, left to the decoder */
	ck_assert_int_eq(trust_ocsp_certs_cached(NULL, d, (size_t)len - 1, &got), 0);
	ck_assert_ptr_null(got);
	OPENSSL_free(d);
	d = make_ocsp(rsp, NULL, OCSP_NOCERTS, &len);
	ck_assert_int_eq(trust_ocsp_certs_cached(NULL, d, (size_t)len, &got), 1);
	ck_assert_int_eq(sk_X509_num(got), 0);
	sk_X509_pop_free(got, X509_free);
	OPENSSL_free(d);
	sk_X509_free(extra);
	X509_free(rsp);
	X509_free(ca);
}
END_TEST

static Suite *
cache_suite(void)
{
	Suite *s = suite_create("crypto_cert_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hit_is_the_first_decode);
	tcase_add_test(tc, same_subject_other_bytes_not_confused);
	tcase_add_test(tc, bounded_least_recently_used_out);
	tcase_add_test(tc, bounded_in_bytes);
	tcase_add_test(tc, threads_share_it);
	tcase_add_test(tc, cms_from_the_cache_is_the_plain_object);
	tcase_add_test(tc, pkcs7_from_the_cache_is_the_plain_object);
	tcase_add_test(tc, crl_signature_kept_per_key);
	tcase_add_test(tc, ocsp_certificates_read_from_der);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
