/*
 * cert_sig.c: certificate signatures verified once per process. Every
 * prepare and every completion checks the same CA -> intermediate -> leaf
 * and TSA chains again (X509_verify_cert was ~8 % of the server's samples,
 * mostly ECDSA point multiplications), yet whether certificate C verifies
 * under issuer key K is pure math and never changes. A bounded, thread-safe
 * set remembers the pairs (SHA-256 of C's whole DER, SHA-256 of K's
 * SubjectPublicKeyInfo DER) that verified; only a pair that matched skips
 * the math. Names play no part: a forged certificate has other DER bytes (its
 * signature at least) and is verified in full, and so is a failure, which
 * is never remembered.
 *
 * The hook. OpenSSL 3.0 does all of a chain's certificate signature checks
 * in the store context's `verify` step (internal_verify in x509_vfy.c);
 * everything else (building the path, purposes, trust, revocation, name
 * constraints, policy) runs around it and stays OpenSSL's. X509_STORE_set_
 * verify replaces that one step for every context made from the store, the
 * ones OpenSSL makes itself too (TS_RESP_verify_token, OCSP_basic_verify,
 * CMS_verify). The replacement, store_verify, is internal_verify of 3.0
 * step for step through the public API: the same walk from the top of the
 * chain, the issuer's keyUsage, the key decode, the validity times at the
 * verification time (X509_cmp_time against the parameters' time), the same
 * X509_V_ERR_* codes, depths and current certificates handed to the same
 * callback; only X509_verify(C, K) is asked of the cache first. Two things
 * it cannot see through the public API make it hand the whole step back to
 * OpenSSL's own function: a verify callback other than OpenSSL's default
 * (the callback could read the current issuer, which no public call sets),
 * and a certificate with an SM2 distinguishing ID set on the object (not in
 * its DER, so not in the key). DANE, the third, is never enabled on this
 * library's stores (it comes only through libssl's SSL_dane_enable).
 *
 * Keys whose parameters may come from elsewhere in the chain (DSA, EC with
 * inherited parameters) are not cached either: their SPKI alone does not
 * name the key X509_verify uses.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

#define SIG_WAYS 4 /* entries per set: the least recently used of a set goes */

struct sig_entry {
	unsigned char key[64]; /* SHA-256(C's DER) || SHA-256(K's SPKI DER) */
	uint64_t used;         /* 0: empty */
};

struct cert_sigcache {
	pthread_mutex_t lock; /* guards all below */
	struct sig_entry *e;  /* nsets * SIG_WAYS */
	size_t nsets, n;
	uint64_t tick;
	unsigned long hits, misses;
	int refs;
};

/* ---- the cache ---- */

struct cert_sigcache *
cert_sigcache_new(size_t cap)
{
	struct cert_sigcache *c;
	size_t nsets = 1;

	if (cap < SIG_WAYS || cap > (1u << 20) || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	while (nsets * 2 * SIG_WAYS <= cap)
		nsets *= 2; /* a power of two: the set is the low bits of the key */
	if ((c->e = calloc(nsets * SIG_WAYS, sizeof(*c->e))) == NULL ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->e);
		free(c);
		return NULL;
	}
	c->nsets = nsets;
	c->refs = 1;
	return c;
}

void
cert_sigcache_free(struct cert_sigcache *c)
{
	int last;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->e);
	free(c);
}

void
cert_sigcache_stats(struct cert_sigcache *c, size_t *n, unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&c->lock);
	*n = c->n;
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}

static struct sig_entry *
set_of(struct cert_sigcache *c, const unsigned char key[64])
{
	size_t h;

	memcpy(&h, key, sizeof(h)); /* SHA-256 output: any bits will do */
	return &c->e[(h & (c->nsets - 1)) * SIG_WAYS];
}

/* 1 when key verified before (counted as a hit), else 0 (a miss). */
static int
sig_known(struct cert_sigcache *c, const unsigned char key[64])
{
	struct sig_entry *s;
	int i, found = 0;

	pthread_mutex_lock(&c->lock);
	s = set_of(c, key);
	for (i = 0; i < SIG_WAYS; i++)
		if (s[i].used != 0 && memcmp(s[i].key, key, 64) == 0) {
			s[i].used = ++c->tick;
			found = 1;
			break;
		}
	if (found)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return found;
}

static void
sig_remember(struct cert_sigcache *c, const unsigned char key[64])
{
	struct sig_entry *s, *old;
	int i;

	pthread_mutex_lock(&c->lock);
	s = set_of(c, key);
	for (old = &s[0], i = 0; i < SIG_WAYS; i++) {
		if (s[i].used != 0 && memcmp(s[i].key, key, 64) == 0) {
			old = NULL; /* another thread verified it meanwhile */
			break;
		}
		if (s[i].used < old->used)
			old = &s[i];
	}
	if (old != NULL) {
		if (old->used == 0)
			c->n++;
		memcpy(old->key, key, 64);
		old->used = ++c->tick;
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * x's SHA-256 (what CERT_KEPT_SHA256) or its SPKI's (CERT_KEPT_SPKI_SHA256),
 * kept with the object: every chain check of every signing asked them again
 * of the same shared certificates (a DER encoding and a hash each, 2 % of
 * the server's instructions per signing).
 */
static int
kept_sha256(X509 *x, enum cert_kept what, unsigned char out[32])
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	size_t kn = 0;
	int len, ok;

	if (cert_kept_get(x, what, out, 32, &kn) && kn == 32)
		return 1;
	if (what == CERT_KEPT_SHA256) {
		ok = X509_digest(x, cms_digest_md(CRYPTO_DIGEST_SHA256), out, &n) == 1 && n == 32;
	} else {
		ok = (len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) > 0 &&
		     EVP_Digest(der, (size_t)len, out, &n, cms_digest_md(CRYPTO_DIGEST_SHA256),
				NULL) == 1 &&
		     n == 32;
		OPENSSL_free(der);
	}
	if (ok)
		cert_kept_put(x, what, out, 32);
	return ok;
}

/*
 * The cache key of "x signed by the holder of issuer's key", or 0 when the
 * pair must always be verified in full (see the head of the file).
 */
static int
sig_key(X509 *x, X509 *issuer, unsigned char key[64])
{
	X509_PUBKEY *pub = X509_get_X509_PUBKEY(issuer);
	const ASN1_OBJECT *obj = NULL;
	const void *pval = NULL;
	X509_ALGOR *alg = NULL;
	int ptype = V_ASN1_UNDEF;

	if (pub == NULL || X509_get0_distinguishing_id(x) != NULL ||
	    !X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, pub) || alg == NULL)
		return 0;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	switch (OBJ_obj2nid(obj)) {
	case NID_rsaEncryption:
	case NID_rsassaPss:
	case NID_ED25519:
	case NID_ED448:
		break;
	case NID_X9_62_id_ecPublicKey:
	case NID_sm2:
		/* a named curve or explicit parameters: the SPKI is the whole key */
		if (ptype != V_ASN1_OBJECT && ptype != V_ASN1_SEQUENCE)
			return 0;
		break;
	default:
		return 0;
	}
	return kept_sha256(x, CERT_KEPT_SHA256, key) &&
	       kept_sha256(issuer, CERT_KEPT_SPKI_SHA256, key + 32);
}

/* X509_verify(x, pkey) > 0, through c for the pairs that can be cached. */
static int
sig_ok(struct cert_sigcache *c, X509 *x, X509 *issuer, EVP_PKEY *pkey)
{
	unsigned char key[64];
	int cacheable;

	/* nothing of the key's making reaches the queue: OpenSSL's step adds nothing there */
	ERR_set_mark();
	cacheable = sig_key(x, issuer, key);
	ERR_pop_to_mark();
	if (cacheable && sig_known(c, key))
		return 1;
	if (X509_verify(x, pkey) <= 0)
		return 0;
	if (cacheable)
		sig_remember(c, key);
	return 1;
}

/*
 * X509_CRL_verify(crl, issuer's key) == 1, through c: a CRL embedded in a
 * contract's DSS is checked for every chain at every completion of it (an
 * ECDSA or RSA verification each time, the same bytes under the same key).
 * der[0..len) is exactly the DER crl was decoded from. The key is the pair
 * (SHA-256 of "CRL" and the DER, SHA-256 of the key's SPKI DER), cached
 * only for the keys a certificate's pair is (sig_key); the tag keeps the
 * CRLs' pairs apart from the certificates'. Only a success is remembered.
 */
int
cert_sigcache_crl_ok(struct cert_sigcache *c, X509_CRL *crl, const unsigned char *der, size_t len,
		     X509 *issuer)
{
	unsigned char key[64];
	unsigned int n = 0;
	EVP_MD_CTX *md;
	int cacheable = 0;
	EVP_PKEY *pk = X509_get0_pubkey(issuer);

	if (pk == NULL)
		return 0;
	ERR_set_mark();
	/* the issuer's key as a certificate's pair would take it: sig_key over the issuer
	   itself gives its SPKI's digest in key + 32 (the first half is overwritten) */
	if (c != NULL && der != NULL && len > 0 && sig_key(issuer, issuer, key) &&
	    (md = EVP_MD_CTX_new()) != NULL) {
		cacheable = EVP_DigestInit_ex(md, cms_digest_md(CRYPTO_DIGEST_SHA256), NULL) == 1 &&
			    EVP_DigestUpdate(md, "CRL", 3) == 1 &&
			    EVP_DigestUpdate(md, der, len) == 1 &&
			    EVP_DigestFinal_ex(md, key, &n) == 1 && n == 32;
		EVP_MD_CTX_free(md);
	}
	ERR_pop_to_mark();
	if (cacheable && sig_known(c, key))
		return 1;
	if (X509_CRL_verify(crl, pk) != 1)
		return 0;
	if (cacheable)
		sig_remember(c, key);
	return 1;
}

/* crypto_int.h: a CRL the trust holds or fetched, checked through c with its own DER (the
   bytes a DSS that embeds it holds: ltv.c add_crl writes i2d_X509_CRL's) */
int
cert_sigcache_crl_verify(struct cert_sigcache *c, X509_CRL *crl, X509 *issuer)
{
	unsigned char *der = NULL;
	int n = c != NULL ? i2d_X509_CRL(crl, &der) : 0, ok;

	ok = cert_sigcache_crl_ok(n > 0 ? c : NULL, crl, n > 0 ? der : NULL, n > 0 ? (size_t)n : 0,
				  issuer);
	OPENSSL_free(der);
	return ok;
}

/* ---- the store's verify step ---- */

static pthread_once_t sig_once = PTHREAD_ONCE_INIT;
static int sig_index = -1;                               /* the store's ex_data slot */
static X509_STORE_CTX_verify_fn ossl_verify;             /* OpenSSL's internal_verify */
static X509_STORE_CTX_verify_cb ossl_verify_cb;          /* OpenSSL's default callback */
static X509_STORE_CTX_check_issued_fn ossl_check_issued; /* its default issuer test */

static void
sig_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	cert_sigcache_free(ptr);
}

/* OpenSSL's own verify step and default callback: what a context made from no store gets. */
static void
sig_init(void)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	if (ctx != NULL && X509_STORE_CTX_init(ctx, NULL, NULL, NULL) == 1) {
		ossl_verify = X509_STORE_CTX_get_verify(ctx);
		ossl_verify_cb = X509_STORE_CTX_get_verify_cb(ctx);
		ossl_check_issued = X509_STORE_CTX_get_check_issued(ctx);
	}
	X509_STORE_CTX_free(ctx);
	if (ossl_verify != NULL && ossl_verify_cb != NULL && ossl_check_issued != NULL)
		sig_index = X509_STORE_get_ex_new_index(0, NULL, NULL, NULL, sig_ex_free);
	ERR_clear_error();
}

/* Report err on x at depth to the callback, as OpenSSL's verify_cb_cert; its answer. */
static int
report(X509_STORE_CTX *ctx, X509_STORE_CTX_verify_cb cb, X509 *x, int depth, int err)
{
	X509_STORE_CTX_set_error_depth(ctx, depth);
	X509_STORE_CTX_set_current_cert(ctx, x);
	if (err != X509_V_OK)
		X509_STORE_CTX_set_error(ctx, err);
	return cb(0, ctx);
}

/*
 * x's notBefore (which 0) or notAfter (1) against *at (NULL: now), as
 * X509_cmp_time answers: -1 when it is at or before, 1 after, 0 when the
 * field is not an RFC 5280 time. Read once per certificate object and kept
 * with it: X509_cmp_time parses the field and formats the time to compare
 * at each call (24 calls per signing, 1 % of the server's instructions).
 */
struct validity {
	int64_t t[2];
	int ok[2]; /* the field read as X509_cmp_time reads it */
};

static int
validity_read(const ASN1_TIME *ctm, int64_t *t)
{
	struct tm tm;
	int i, want;

	/* X509_cmp_time's own format check: the fixed forms, digits and a Z */
	want = ctm == NULL                           ? -1
	       : ctm->type == V_ASN1_UTCTIME         ? 13
	       : ctm->type == V_ASN1_GENERALIZEDTIME ? 15
						     : -1;
	if (want < 0 || ctm->length != want)
		return 0;
	for (i = 0; i < ctm->length - 1; i++)
		if (ctm->data[i] < '0' || ctm->data[i] > '9')
			return 0;
	if (ctm->data[ctm->length - 1] != 'Z' || ASN1_TIME_to_tm(ctm, &tm) != 1)
		return 0;
	*t = (int64_t)timegm(&tm);
	return 1;
}

static int
cmp_validity(X509 *x, int which, const time_t *at)
{
	struct validity v;
	size_t n = 0;
	time_t now;

	/* a time X509_cmp_time could not format (beyond year 9999): its own answer */
	if (at != NULL && (*at < 0 || *at > (time_t)253402300799LL))
		return X509_cmp_time(which ? X509_get0_notAfter(x) : X509_get0_notBefore(x),
				     (time_t *)at);
	if (!cert_kept_get(x, CERT_KEPT_VALIDITY, &v, sizeof(v), &n) || n != sizeof(v)) {
		memset(&v, 0, sizeof(v));
		v.ok[0] = validity_read(X509_get0_notBefore(x), &v.t[0]);
		v.ok[1] = validity_read(X509_get0_notAfter(x), &v.t[1]);
		cert_kept_put(x, CERT_KEPT_VALIDITY, &v, sizeof(v));
	}
	if (!v.ok[which])
		return 0;
	now = at != NULL ? *at : time(NULL);
	return v.t[which] <= (int64_t)now ? -1 : 1;
}

/* OpenSSL 3.0's ossl_x509_check_cert_time: x's validity at the context's time. */
static int
cert_time(X509_STORE_CTX *ctx, X509_STORE_CTX_verify_cb cb, X509 *x, int depth)
{
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	unsigned long flags = X509_VERIFY_PARAM_get_flags(param);
	time_t at, *pat = NULL;
	int i;

	if (flags & X509_V_FLAG_USE_CHECK_TIME) {
		at = X509_VERIFY_PARAM_get_time(param);
		pat = &at;
	} else if (flags & X509_V_FLAG_NO_CHECK_TIME) {
		return 1;
	}
	i = cmp_validity(x, 0, pat);
	if (i == 0 && !report(ctx, cb, x, depth, X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD))
		return 0;
	if (i > 0 && !report(ctx, cb, x, depth, X509_V_ERR_CERT_NOT_YET_VALID))
		return 0;
	i = cmp_validity(x, 1, pat);
	if (i == 0 && !report(ctx, cb, x, depth, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD))
		return 0;
	if (i < 0 && !report(ctx, cb, x, depth, X509_V_ERR_CERT_HAS_EXPIRED))
		return 0;
	return 1;
}

/* OpenSSL 3.0's ossl_x509_signing_allowed: may issuer's keyUsage sign x? */
static int
signing_allowed(X509 *issuer, X509 *x)
{
	int limited = (X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) != 0;
	uint32_t ku = X509_get_key_usage(issuer);

	if (X509_get_extension_flags(x) & EXFLAG_PROXY)
		return limited && !(ku & KU_DIGITAL_SIGNATURE)
			       ? X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE
			       : X509_V_OK;
	return limited && !(ku & KU_KEY_CERT_SIGN) ? X509_V_ERR_KEYUSAGE_NO_CERTSIGN : X509_V_OK;
}

static int
chain_has_sm2_id(STACK_OF(X509) * chain)
{
	int i;

	for (i = 0; i < sk_X509_num(chain); i++)
		if (X509_get0_distinguishing_id(sk_X509_value(chain, i)) != NULL)
			return 1;
	return 0;
}

/*
 * internal_verify of OpenSSL 3.0 (x509_vfy.c), the signature math through
 * the cache: from the top of the chain down, each certificate's signature
 * under its issuer's key, then its validity, then the callback told of the
 * success at that depth. Errors are "sticky" (never cleared here). 3.0 asks
 * ossl_x509_likely_issued whether the top is self-issued, which is what its
 * default check_issued answers: a store with another check_issued (none of
 * this library's) gets OpenSSL's own step.
 */
static int
store_verify(X509_STORE_CTX *ctx)
{
	X509_STORE *st = X509_STORE_CTX_get0_store(ctx);
	struct cert_sigcache *c = st != NULL ? X509_STORE_get_ex_data(st, sig_index) : NULL;
	X509_STORE_CTX_verify_cb cb = X509_STORE_CTX_get_verify_cb(ctx);
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	unsigned long flags = X509_VERIFY_PARAM_get_flags(X509_STORE_CTX_get0_param(ctx));
	int n = sk_X509_num(chain) - 1, depth, err;
	X509 *xi, *xs;
	EVP_PKEY *pkey;

	if (c == NULL || cb != ossl_verify_cb ||
	    X509_STORE_CTX_get_check_issued(ctx) != ossl_check_issued || n < 0 ||
	    chain_has_sm2_id(chain))
		return ossl_verify(ctx);
	xi = sk_X509_value(chain, n);
	xs = xi;
	X509_STORE_CTX_set_error_depth(ctx, n);
	/* the top not self-issued, and not a partial chain: start below it */
	if (!ossl_check_issued(ctx, xi, xi) && !(flags & X509_V_FLAG_PARTIAL_CHAIN)) {
		if (n > 0) {
			n--;
			X509_STORE_CTX_set_error_depth(ctx, n);
			xs = sk_X509_value(chain, n);
		} else if (!report(ctx, cb, xi, 0, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)) {
			return 0;
		}
	}
	while (n >= 0) {
		/* a self-signed certificate's own signature only when asked for */
		if (xs != xi || ((flags & X509_V_FLAG_CHECK_SS_SIGNATURE) &&
				 (X509_get_extension_flags(xi) & EXFLAG_SS))) {
			depth = n + (xs == xi ? 0 : 1); /* the issuer's, for its own faults */
			err = xs == xi && !(X509_get_extension_flags(xi) & EXFLAG_CA)
				      ? X509_V_OK
				      : signing_allowed(xi, xs);
			if (err != X509_V_OK && !report(ctx, cb, xi, depth, err))
				return 0;
			if ((pkey = X509_get0_pubkey(xi)) == NULL) {
				if (!report(ctx, cb, xi, depth,
					    X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY))
					return 0;
			} else if (!sig_ok(c, xs, xi, pkey) &&
				   !report(ctx, cb, xs, n, X509_V_ERR_CERT_SIGNATURE_FAILURE)) {
				return 0;
			}
		}
		if (!cert_time(ctx, cb, xs, n))
			return 0;
		X509_STORE_CTX_set_current_cert(ctx, xs);
		X509_STORE_CTX_set_error_depth(ctx, n);
		if (!cb(1, ctx))
			return 0;
		if (--n >= 0) {
			xi = xs;
			xs = sk_X509_value(chain, n);
		}
	}
	return 1;
}

int
cert_sigcache_attach(X509_STORE *st, struct cert_sigcache *c)
{
	struct cert_sigcache *old;

	if (st == NULL || c == NULL || pthread_once(&sig_once, sig_init) != 0 || sig_index < 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	c->refs++;
	pthread_mutex_unlock(&c->lock);
	old = X509_STORE_get_ex_data(st, sig_index);
	if (X509_STORE_set_ex_data(st, sig_index, c) != 1) {
		cert_sigcache_free(c);
		return 0;
	}
	cert_sigcache_free(old);
	X509_STORE_set_verify(st, store_verify);
	return 1;
}
