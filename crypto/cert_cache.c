/*
 * cert_cache.c: the certificates this process met, decoded once. OpenSSL
 * 3.0 builds a provider decoder chain for the public key at every
 * d2i_X509 (OSSL_DECODER_CTX_new_for_pkey: a fifth of the server's CPU per
 * signing), and d2i_CMS_ContentInfo / d2i_PKCS7 decode every certificate a
 * signature or a timestamp token carries again. Signers and TSAs repeat
 * across signings, so a bounded cache keyed by the exact DER (a copy kept
 * with the entry, compared whole) hands out the X509 decoded the first time
 * (up-ref'd, shared read-only: its extension caches are filled before it is
 * shared, as cert_known.c does). It was keyed by the DER's SHA-256, which
 * cost more than the rest of a hit (eight per signing).
 *
 * cert_cache_cms_d2i / cert_cache_pkcs7_d2i decode a SignedData without its
 * certificate set (a copy of the DER with the [0] certificates left out)
 * and put back the certificates of that set, from the cache, in their
 * order: the object is the one d2i would make from the whole DER. Anything
 * this pre-pass does not expect (indefinite lengths, other certificate
 * choices, a duplicate, a certificate that does not decode alone) goes to
 * the plain decoder, so odd input gets exactly OpenSSL's answer.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

#define CACHE_DER_MAX (64 * 1024) /* crypto_cert_parse's limit */

struct cache_entry {
	uint64_t h; /* der_hash() */
	size_t len;
	unsigned char *der; /* the DER x was decoded from (len bytes) */
	X509 *x;            /* one reference */
	uint64_t used;
};

struct cert_cache {
	pthread_mutex_t lock; /* guards all below */
	struct cache_entry *e;
	size_t n, cap;
	size_t bytes, max_bytes; /* DER bytes of the entries, and their bound */
	uint64_t tick;
	unsigned long hits, misses;
};

struct cert_cache *
cert_cache_new(size_t cap, size_t max_bytes)
{
	struct cert_cache *c;

	if (cap == 0 || max_bytes == 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->e = calloc(cap, sizeof(*c->e))) == NULL ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->e);
		free(c);
		return NULL;
	}
	c->cap = cap;
	c->max_bytes = max_bytes;
	return c;
}

void
cert_cache_free(struct cert_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		X509_free(c->e[i].x);
		free(c->e[i].der);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->e);
	free(c);
}

void
cert_cache_stats(struct cert_cache *c, size_t *n, unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&c->lock);
	*n = c->n;
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}

void
cert_cache_held(struct cert_cache *c, size_t *n, size_t *bytes, size_t *max_bytes)
{
	pthread_mutex_lock(&c->lock);
	*n = c->n;
	*bytes = c->bytes;
	*max_bytes = c->max_bytes;
	pthread_mutex_unlock(&c->lock);
}

/*
 * What tells entries apart before their DER is compared: the length and the
 * last bytes, which are the certificate's signature value (FNV-1a). Only a
 * shortcut: an entry is taken when its whole DER is the same.
 */
static uint64_t
der_hash(const unsigned char *der, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)len;
	size_t i = len > 64 ? len - 64 : 0;

	for (; i < len; i++)
		h = (h ^ der[i]) * 1099511628211ULL;
	return h;
}

/* The entry for exactly der[0..len) (hashed h) or NULL; the lock held. */
static struct cache_entry *
find_locked(struct cert_cache *c, uint64_t h, const unsigned char *der, size_t len)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->e[i].h == h && c->e[i].len == len && memcmp(c->e[i].der, der, len) == 0)
			return &c->e[i];
	return NULL;
}

X509 *
cert_cache_get(struct cert_cache *c, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	struct cache_entry *k, *old;
	X509 *x = NULL;
	unsigned char *copy = NULL;
	uint64_t h;
	size_t i;

	if (der == NULL || len == 0 || len > CACHE_DER_MAX)
		return NULL;
	if (c == NULL) {
		if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
			X509_free(x);
			return NULL;
		}
		return x;
	}
	h = der_hash(der, len);
	pthread_mutex_lock(&c->lock);
	if ((k = find_locked(c, h, der, len)) != NULL && X509_up_ref(k->x) == 1) {
		k->used = ++c->tick;
		c->hits++;
		x = k->x;
	}
	pthread_mutex_unlock(&c->lock);
	if (x != NULL)
		return x;
	/* decoded outside the lock: it is the slow part */
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		X509_free(x);
		return NULL;
	}
	/* filled now, while nothing else holds x (OpenSSL fills them lazily) */
	(void)X509_check_purpose(x, -1, 0);
	/* the key kept with it (without memory for it, it is not kept) */
	if (len <= c->max_bytes && (copy = malloc(len)) != NULL)
		memcpy(copy, der, len);
	pthread_mutex_lock(&c->lock);
	c->misses++;
	if ((k = find_locked(c, h, der, len)) != NULL) {
		/* another thread decoded it meanwhile: one copy is shared */
		if (X509_up_ref(k->x) == 1) {
			X509_free(x);
			x = k->x;
		}
	} else if (copy != NULL && X509_up_ref(x) == 1) {
		/* full (by count or bytes): the least recently used go (holders keep theirs) */
		while (c->n > 0 && (c->n == c->cap || c->bytes + len > c->max_bytes)) {
			for (old = &c->e[0], i = 1; i < c->n; i++)
				if (c->e[i].used < old->used)
					old = &c->e[i];
			X509_free(old->x);
			/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): *old is the moved last entry now */
			free(old->der);
			c->bytes -= old->len;
			*old = c->e[--c->n];
		}
		k = &c->e[c->n++];
		k->h = h;
		k->len = len;
		k->der = copy;
		copy = NULL; /* transferred */
		k->x = x;
		c->bytes += len;
	}
	if (k != NULL)
		k->used = ++c->tick;
	pthread_mutex_unlock(&c->lock);
	free(copy);
	return x;
}

/* ---- SignedData without its certificate set ---------------------------------------------- */

/* One definite-length element at *p (before end): its header and content bounds. */
struct der_elem {
	const unsigned char *start, *content, *end;
	int tag, cls, constructed;
};

static int
der_next(const unsigned char *p, const unsigned char *end, struct der_elem *el)
{
	const unsigned char *q = p;
	long clen;
	int ret;

	if (p >= end)
		return 0;
	ret = ASN1_get_object(&q, &clen, &el->tag, &el->cls, end - p);
	/* 0x80: error; 0x21: indefinite length (BER), left to the plain decoder */
	if ((ret & 0x80) || ret == 0x21 || clen > end - q)
		return 0;
	el->start = p;
	el->content = q;
	el->end = q + clen;
	el->constructed = (ret & V_ASN1_CONSTRUCTED) != 0;
	return 1;
}

/* Append a DER header (tag, class, length) at *w; ASN1_put_object writes it. */
static void
put_header(unsigned char **w, int constructed, int len, int tag, int cls)
{
	ASN1_put_object(w, constructed, len, tag, cls);
}

/*
 * The DER of the ContentInfo at der (the whole input need not be it: *used
 * gets its length) with the SignedData's certificates left out, malloc'd in
 * s->der and s->len, and the certificates' bounds in s->cert (at most
 * CRYPTO_CMS_CERTS_MAX of them, what a chain is judged with). 0 when the input is not a shape this
 * handles; the caller then decodes it plainly.
 */
#define SPLIT_CERTS_MAX CRYPTO_CMS_CERTS_MAX
struct split {
	unsigned char *der;
	size_t len, used;
	struct der_elem cert[SPLIT_CERTS_MAX];
	int ncerts;
};

static int
split_certs(const unsigned char *der, size_t len, struct split *s)
{
	struct der_elem ci, oid, expl, sd, el, certs;
	const unsigned char *end = der + len, *p;
	size_t sdlen, expllen, cilen, before, after;
	int i, seen = 0;
	unsigned char *w;

	memset(s, 0, sizeof(*s));
	if (len > (size_t)INT_MAX / 2 || !der_next(der, end, &ci) || ci.tag != V_ASN1_SEQUENCE ||
	    ci.cls != V_ASN1_UNIVERSAL || !ci.constructed || !der_next(ci.content, ci.end, &oid) ||
	    oid.tag != V_ASN1_OBJECT || !der_next(oid.end, ci.end, &expl) || expl.tag != 0 ||
	    expl.cls != V_ASN1_CONTEXT_SPECIFIC || !expl.constructed || expl.end != ci.end ||
	    !der_next(expl.content, expl.end, &sd) || sd.tag != V_ASN1_SEQUENCE ||
	    sd.cls != V_ASN1_UNIVERSAL || !sd.constructed || sd.end != expl.end)
		return 0;
	/* version, digestAlgorithms, encapContentInfo, then [0] IMPLICIT certificates */
	for (p = sd.content, i = 0; i < 3; i++, p = el.end)
		if (!der_next(p, sd.end, &el))
			return 0;
	if (!der_next(p, sd.end, &certs) || certs.tag != 0 ||
	    certs.cls != V_ASN1_CONTEXT_SPECIFIC || !certs.constructed)
		return 0;
	for (p = certs.content; p < certs.end; p = el.end) {
		if (!der_next(p, certs.end, &el) || el.tag != V_ASN1_SEQUENCE ||
		    el.cls != V_ASN1_UNIVERSAL || !el.constructed || s->ncerts == SPLIT_CERTS_MAX)
			return 0;
		s->cert[s->ncerts++] = el;
		seen = 1;
	}
	if (!seen)
		return 0;
	/* the same structure with the certificate set cut out, lengths recomputed */
	before = (size_t)(certs.start - sd.content);
	after = (size_t)(sd.end - certs.end);
	sdlen = before + after;
	expllen = (size_t)ASN1_object_size(1, (int)sdlen, V_ASN1_SEQUENCE);
	cilen = (size_t)(oid.end - oid.start) + (size_t)ASN1_object_size(1, (int)expllen, 0);
	s->len = (size_t)ASN1_object_size(1, (int)cilen, V_ASN1_SEQUENCE);
	if ((s->der = malloc(s->len)) == NULL)
		return 0;
	w = s->der;
	put_header(&w, 1, (int)cilen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(w, oid.start, (size_t)(oid.end - oid.start));
	w += oid.end - oid.start;
	put_header(&w, 1, (int)expllen, 0, V_ASN1_CONTEXT_SPECIFIC);
	put_header(&w, 1, (int)sdlen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(w, sd.content, before);
	w += before;
	memcpy(w, certs.end, after);
	w += after;
	if ((size_t)(w - s->der) != s->len) {
		free(s->der);
		s->der = NULL;
		return 0;
	}
	s->used = (size_t)(ci.end - der);
	return 1;
}

/* The certificates of s from the cache, in order; NULL if one does not decode alone. */
static STACK_OF(X509) * split_resolve(struct cert_cache *c, const struct split *s)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;
	int i;

	for (i = 0; sk != NULL && i < s->ncerts; i++) {
		x = cert_cache_get(c, s->cert[i].start,
				   (size_t)(s->cert[i].end - s->cert[i].start));
		if (x == NULL || sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			sk_X509_pop_free(sk, X509_free);
			return NULL;
		}
	}
	return sk;
}

/* cert_cache_cms_d2i, or with bare the CMS without its certificates at all. */
static CMS_ContentInfo *
cms_d2i(struct cert_cache *c, int bare, const unsigned char *der, size_t len, size_t *used)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *sk = NULL;
	struct split s;
	int i;

	*used = 0;
	s.der = NULL;
	if ((c != NULL || bare) && split_certs(der, len, &s) &&
	    (sk = bare ? sk_X509_new_null() : split_resolve(c, &s)) != NULL) {
		p = s.der;
		if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)s.len)) != NULL &&
		    p == s.der + s.len && OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed) {
			/* CMS_add1_cert refuses a duplicate: then the plain decoder */
			for (i = 0; i < sk_X509_num(sk); i++)
				if (CMS_add1_cert(cms, sk_X509_value(sk, i)) != 1)
					break;
			if (i == sk_X509_num(sk)) {
				*used = s.used;
				goto out;
			}
		}
		CMS_ContentInfo_free(cms);
		cms = NULL;
		ERR_clear_error();
	}
	p = der;
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) != NULL)
		*used = (size_t)(p - der);
out:
	free(s.der);
	sk_X509_pop_free(sk, X509_free);
	return cms;
}

CMS_ContentInfo *
cert_cache_cms_d2i(struct cert_cache *c, const unsigned char *der, size_t len, size_t *used)
{
	return cms_d2i(c, 0, der, len, used);
}

CMS_ContentInfo *
cert_cache_cms_d2i_bare(const unsigned char *der, size_t len, size_t *used)
{
	return cms_d2i(NULL, 1, der, len, used);
}

PKCS7 *
cert_cache_pkcs7_d2i(struct cert_cache *c, const unsigned char *der, size_t len, size_t *used)
{
	const unsigned char *p = der;
	PKCS7 *p7 = NULL;
	STACK_OF(X509) *sk = NULL;
	struct split s;
	int i;

	*used = 0;
	s.der = NULL;
	if (c != NULL && split_certs(der, len, &s) && (sk = split_resolve(c, &s)) != NULL) {
		p = s.der;
		if ((p7 = d2i_PKCS7(NULL, &p, (long)s.len)) != NULL && p == s.der + s.len &&
		    PKCS7_type_is_signed(p7)) {
			for (i = 0; i < sk_X509_num(sk); i++)
				if (PKCS7_add_certificate(p7, sk_X509_value(sk, i)) != 1)
					break;
			if (i == sk_X509_num(sk)) {
				*used = s.used;
				goto out;
			}
		}
		PKCS7_free(p7);
		p7 = NULL;
		ERR_clear_error();
	}
	p = der;
	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) != NULL)
		*used = (size_t)(p - der);
out:
	free(s.der);
	sk_X509_pop_free(sk, X509_free);
	return p7;
}
