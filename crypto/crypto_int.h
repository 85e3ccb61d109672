/*
 * crypto_int.h: private declarations shared by crypto/ source files. Not
 * installed, not included outside crypto/. Each part names its owner files.
 */
#pragma once

#include "crypto.h"

/* ---- CMS signing and timestamps (cms*.c, sig*.c, ts*.c, tsa*.c, digest*.c) ---- */

/*
 * Record an error like sp_err_reason() (reason may be NULL) and drain this
 * thread's OpenSSL error queue into it: the first OpenSSL code goes to
 * ei->ossl and its text is appended to the message. Returns code.
 */
int cms_err_ossl(struct sp_errinfo *ei, int code, const char *reason, const char *fmt, ...)
	SP_PRINTF(4, 5);

/* EVP_MD for a content digest (static, not to be freed); NULL if unknown. */
const EVP_MD *cms_digest_md(enum crypto_digest_alg alg);
/* sig.c: SP_OK when alg is the algorithm pkey signs with, else "alg_mismatch" (or why the
   key has none) */
int sig_key_fits(EVP_PKEY *pkey, enum crypto_sigalg alg, struct sp_errinfo *ei);

/*
 * Move a buffer OpenSSL allocated (from i2d_*(x, NULL-initialised pointer))
 * of length n into malloc'd memory for the caller, freeing the original
 * either way. n <= 0 means the encoding failed. Returns SP_OK or an error.
 */
int cms_ossl_to_malloc(unsigned char *obuf, int n, uint8_t **out, size_t *outlen,
		       struct sp_errinfo *ei) SP_WUR;

/* ---- trust, certificates, revocation (trust*.c, cert*.c, ocsp*.c, crl*.c, creditcode*.c) ---- */

#include <pthread.h>

#include <openssl/ocsp.h>

struct trust_ocsp_entry; /* ocsp.c */

/* The trust store; see crypto_trust_new(). Read-only once made but for the cache. */
struct crypto_trust {
	X509_STORE *store;              /* the roots only */
	STACK_OF(X509) * intermediates; /* untrusted CA certificates */
	STACK_OF(X509_CRL) * crls;
	int ocsp;
	char *ocsp_url; /* override, NULL: the leaf's AIA */
	long timeout_ms;
	int require_revocation;
	int forbid_private; /* AIA responders: public addresses or allow only */
	int fetch_crls;     /* evidence: fetch CRL distribution points (offline) */
	char *allow;
	pthread_mutex_t cache_lock;     /* guards cache and ncache */
	struct trust_ocsp_entry *cache; /* TRUST_OCSP_CACHE_MAX entries */
	size_t ncache;
	struct trust_known *known; /* the roots and intermediates by DER hash (cert_known.c) */
	size_t nknown;
	struct cert_cache *certs;   /* every other certificate met, decoded once (cert_cache.c) */
	struct cert_sigcache *sigs; /* certificate signatures that verified (cert_sig.c) */
	struct trust_crl_key *crl_key; /* per CRL of crls, guarded by cache_lock (crl.c) */
	struct ocsp_verified *ocsps;   /* embedded OCSP responses verified (ocsp_verified.c) */
};

/*
 * ocsp_verified.c: a bounded, thread-safe cache of the embedded OCSP
 * responses that verified against the trust (OCSP_basic_verify at their
 * producedAt), keyed by the SHA-256 of their DER, least recently used out
 * first. ocsp_verified_get: -1 when der is not a response kept; else its
 * producedAt in *produced and 1 with the first single response for id in
 * *st, 0 when it has none for id. ocsp_verified_put keeps what bs (the
 * basic response of der, verified) says. c NULL: nothing kept.
 */
#define TRUST_OCSP_VERIFIED_MAX 256
struct ocsp_verified_status {
	int status, reason; /* V_OCSP_CERTSTATUS_*, the revocation reason or -1 */
	time_t revoked, this_update, next_update; /* -1: unreadable; next_update 0: none */
};
struct ocsp_verified;
/* What one single response says (times through trust_asn1_time); 0 if unreadable. */
int ocsp_single_status(OCSP_SINGLERESP *sr, struct ocsp_verified_status *st);
struct ocsp_verified *ocsp_verified_new(size_t cap);
size_t ocsp_verified_count(struct ocsp_verified *c); /* the responses kept now */
void ocsp_verified_free(struct ocsp_verified *c);
int ocsp_verified_get(struct ocsp_verified *c, const unsigned char *der, size_t len,
		      const OCSP_CERTID *id, time_t *produced, struct ocsp_verified_status *st);
void ocsp_verified_put(struct ocsp_verified *c, const unsigned char *der, size_t len,
		       OCSP_BASICRESP *bs, time_t produced);
/*
 * The check an embedded OCSP response (der, bs its basic response) gets before it
 * says anything: OCSP_basic_verify against t's roots at its own producedAt (*produced),
 * certs the pool its responder's chain may come from. 1 when it verified, and then it
 * is kept in t->ocsps (ocsp_verified_put); 0 when not (nothing kept). Called where a
 * DSS's response is first met (ltv_status.c) and where a response is fetched (ocsp.c): the
 * bytes a fetch read go into the DSS a completion writes, whose verification then
 * finds them checked, not parsed and verified again.
 */
int trust_ocsp_verified_keep(struct crypto_trust *t, const unsigned char *der, size_t len,
			     OCSP_BASICRESP *bs, STACK_OF(X509) * certs, time_t *produced);

/*
 * The key a CRL's signature verified with (its SubjectPublicKeyInfo DER,
 * OPENSSL_malloc'd), NULL until one did: the same CRL bytes and the same
 * key verify the same way, so the check is not repeated for every chain.
 */
struct trust_crl_key {
	unsigned char *spki;
	int len;
};

/*
 * cert_cache.c: a bounded, thread-safe cache of decoded certificates keyed
 * by the SHA-256 of their exact DER, at most cap of them and max_bytes of
 * DER, least recently used out first.
 * cert_cache_get returns the X509 that d2i_X509 makes of exactly der/len
 * (up-ref'd and shared with other threads: read only, free with X509_free),
 * NULL when those bytes are not one certificate; c NULL: plain d2i_X509.
 * cert_cache_cms_d2i / cert_cache_pkcs7_d2i are d2i_CMS_ContentInfo /
 * d2i_PKCS7 of der (*used: the bytes the object took), with the
 * SignedData's certificates taken from c. Any thread.
 */
#include <openssl/cms.h>
#include <openssl/pkcs7.h>

#define TRUST_CERT_CACHE_MAX 512
#define TRUST_CERT_CACHE_BYTES (2 * 1024 * 1024) /* of DER: a certificate is 1-2 KB */
struct cert_cache;
struct cert_cache *cert_cache_new(size_t cap, size_t max_bytes);
void cert_cache_free(struct cert_cache *c);
X509 *cert_cache_get(struct cert_cache *c, const unsigned char *der, size_t len);
void cert_cache_stats(struct cert_cache *c, size_t *n, unsigned long *hits, unsigned long *misses);
/* The entries held, their DER bytes and the bound of those (crypto_trust_cache_stats). */
void cert_cache_held(struct cert_cache *c, size_t *n, size_t *bytes, size_t *max_bytes);
CMS_ContentInfo *cert_cache_cms_d2i(struct cert_cache *c, const unsigned char *der, size_t len,
				    size_t *used);
PKCS7 *cert_cache_pkcs7_d2i(struct cert_cache *c, const unsigned char *der, size_t len,
			    size_t *used);
/*
 * d2i_CMS_ContentInfo of der without its certificate set, for a caller that
 * reads nothing of the certificates (the CMS then carries none: never verify
 * with it); any shape the pre-pass does not handle is decoded whole.
 */
CMS_ContentInfo *cert_cache_cms_d2i_bare(const unsigned char *der, size_t len, size_t *used);

/*
 * cert_kept.c: values derived from a certificate object alone, kept with it
 * (see there). _get copies what (at most cap bytes) into buf and returns 1
 * when it is kept, else 0; _put keeps a copy (the first put of a value
 * stays). Any thread.
 */
enum cert_kept {
	CERT_KEPT_ESS,         /* DER of the ESS signing-certificate-v2 (crypto_cms_signed_attrs) */
	CERT_KEPT_INFO,        /* struct crypto_cert_info (crypto_cert_info_get) */
	CERT_KEPT_SHA256,      /* SHA-256 of its DER (cert_sig.c's key of a verified signature) */
	CERT_KEPT_SPKI_SHA256, /* SHA-256 of its SubjectPublicKeyInfo DER (the same key) */
	CERT_KEPT_VALIDITY,    /* its notBefore and notAfter read (cert_sig.c's cert_time) */
	CERT_KEPT_N
};
int cert_kept_get(X509 *x, enum cert_kept what, void *buf, size_t cap, size_t *len);
void cert_kept_put(X509 *x, enum cert_kept what, const void *val, size_t len);

/*
 * cert_sig.c: the certificate signatures (certificate DER, issuer key) that
 * verified in this process, at most cap pairs (least recently used out
 * first), thread-safe and reference counted (_new: one reference;
 * cert_sigcache_free drops one). cert_sigcache_attach makes every chain
 * check through st (X509_verify_cert, and OpenSSL's own for timestamps,
 * OCSP and CMS) ask c before it verifies a certificate's signature, every
 * other check unchanged; st holds a reference to c until it is freed.
 * Returns 1, or 0 when it could not (st then checks as before). Call it
 * before st is shared; any thread after.
 */
#define TRUST_SIG_CACHE_MAX 4096
struct cert_sigcache;
struct cert_sigcache *cert_sigcache_new(size_t cap);
void cert_sigcache_free(struct cert_sigcache *c);
int cert_sigcache_attach(X509_STORE *st, struct cert_sigcache *c);
void cert_sigcache_stats(struct cert_sigcache *c, size_t *n, unsigned long *hits,
			 unsigned long *misses);
/*
 * A /VRI key memo (crypto_ltv_known.vri_memo's packing: per entry a 4-byte
 * big-endian length, the 40-hex-digit key, the /Contents it is the SHA-1
 * of): the key of the entry whose /Contents is c[0..n), byte for byte (so
 * its SHA-1 is c's), into key; 1 when found, 0 (key unchanged) when not or
 * the memo is not so packed.
 */
int crypto_vri_memo_find(const uint8_t *memo, size_t len, const unsigned char *c, size_t n,
			 char key[41]);
/* X509_CRL_verify(crl, issuer's key) == 1, a success remembered in c (NULL: none) for the
   CRL's DER der[0..len) (exactly what crl was decoded from) under that key. */
int cert_sigcache_crl_ok(struct cert_sigcache *c, X509_CRL *crl, const unsigned char *der,
			 size_t len, X509 *issuer);
/* The same for a CRL the trust holds (crl.c) or fetched (ltv.c), with the DER i2d_X509_CRL
   gives, which is what a DSS embedding it holds: the first check of its signature, where
   it is first used, is the one a DSS's check of those bytes then finds (not verified
   again in the completion that embeds it). */
int cert_sigcache_crl_verify(struct cert_sigcache *c, X509_CRL *crl, X509 *issuer);
/* The trust's own certificate with this DER, else cert_cache_get(t->certs); t may be NULL. */
X509 *trust_cert_get(const struct crypto_trust *t, const unsigned char *der, size_t len);

/* A certificate of the trust, by the SHA-256 of its DER; sorted, read-only once built. */
struct trust_known {
	unsigned char sha[32];
	X509 *x;    /* one reference */
	size_t len; /* of its DER: bytes of another length are not it, without a digest */
};
int trust_known_build(struct crypto_trust *t, struct sp_errinfo *ei) SP_WUR;
void trust_known_cleanup(struct crypto_trust *t);

/* What one revocation source says about a certificate. */
struct trust_rev {
	enum crypto_rev_status status; /* GOOD, REVOKED or UNKNOWN */
	enum crypto_rev_source source;
	time_t revoked_at; /* when REVOKED */
	int reason;        /* CRL reason code when REVOKED, -1 if none */
	/* source DSS: the OCSP response or CRL of the evidence that answered (borrowed) */
	const struct pdf_blob *item;
};

#define TRUST_OCSP_CACHE_MAX 4096 /* entries; the soonest to expire goes first */
#define TRUST_OCSP_RESPONSE_MAX (64 * 1024)
#define TRUST_CLOCK_SKEW 300 /* seconds of clock difference tolerated */

/*
 * Ask OCSP about leaf (issued by issuer) now, through the cache. untrusted
 * holds certificates that may complete the responder's chain. Returns SP_OK
 * with *rev (UNKNOWN when the responder does not know the certificate), or an
 * error saying why there is no usable answer (unreachable, timeout, bad
 * response); the caller then falls back to CRLs.
 */
int trust_ocsp_status(struct crypto_trust *t, X509 *leaf, X509 *issuer, STACK_OF(X509) * untrusted,
		      struct trust_rev *rev, struct sp_errinfo *ei) SP_WUR;

/*
 * As trust_ocsp_status; with der_out, also the DER of the response that
 * answered (malloc'd, also from the cache), for long-term evidence.
 */
int trust_ocsp_query(struct crypto_trust *t, X509 *leaf, X509 *issuer, STACK_OF(X509) * untrusted,
		     struct trust_rev *rev, unsigned char **der_out, size_t *derlen_out,
		     struct sp_errinfo *ei) SP_WUR;

/* An evidence CRL item decoded (crypto_evidence_decode): NULL when it does not decode; used,
   the bytes of the item d2i_X509_CRL read (what its signature cache keys on) */
struct evidence_crl {
	X509_CRL *crl;
	size_t used;
};
/*
 * ltv_status.c: what the evidence ev says about leaf (issued by issuer) at `at`
 * (0: now): SP_OK and *rev (source CRYPTO_REV_SRC_DSS), or SP_ERR_NOT_FOUND
 * when no item of ev answers. A response that does not verify answers
 * nothing; "good" counts only from one that speaks for `at` (issued after
 * it, or current at it: thisUpdate <= at <= nextUpdate), so an old answer
 * cannot hide a revocation that came before the signature; "revoked"
 * counts from any.
 */
int trust_evidence_status(struct crypto_trust *t, const struct crypto_evidence *ev, X509 *leaf,
			  X509 *issuer, STACK_OF(X509) * untrusted, time_t at,
			  struct trust_rev *rev, struct sp_errinfo *ei) SP_WUR;

/*
 * ltv_status.c: untrusted's certificates and ev's (its /DSS /Certs), each up-ref'd
 * (free with sk_X509_pop_free), or NULL when out of memory.
 */
STACK_OF(X509) * trust_evidence_certs(struct crypto_trust *t, const struct crypto_evidence *ev,
				      STACK_OF(X509) * untrusted);

/*
 * ltv.c: a's, ev's decoded certificates and b's in one stack of lent
 * entries (free with sk_X509_free, while all three live), or NULL when out
 * of memory: the pool a chain through a DSS is built from, without a
 * reference taken per certificate.
 */
STACK_OF(X509) *
	ltv_certs_lent(STACK_OF(X509) * a, const struct crypto_evidence *ev, STACK_OF(X509) * b);

/*
 * ltv.c: the certificates of a BasicOCSPResponse (OCSPResponse DER), in
 * order, through t's certificate cache (t may be NULL: decoded), read from
 * the DER without decoding the response. 1 and *out (free with
 * sk_X509_pop_free; may be empty), or 0 when the DER is not the plain shape
 * read there or a certificate does not decode: the caller decodes the
 * response instead. Any thread.
 */
int trust_ocsp_certs_cached(struct crypto_trust *t, const unsigned char *der, size_t len,
			    STACK_OF(X509) * *out);

/* Free the OCSP cache (crypto_trust_free). */
void trust_ocsp_cache_cleanup(struct crypto_trust *t);
/* The fetched OCSP responses kept now, and their DER bytes. */
void trust_ocsp_cache_held(struct crypto_trust *t, size_t *n, size_t *bytes);

/*
 * Look leaf up in the store's CRLs: only a CRL issued and signed by issuer
 * (which must be allowed to sign CRLs), complete (not a delta) and current
 * now counts. Returns SP_OK with *rev (GOOD or REVOKED), or SP_ERR_NOT_FOUND
 * when no usable CRL covers the certificate (ei says why).
 */
int trust_crl_status(struct crypto_trust *t, X509 *leaf, X509 *issuer, struct trust_rev *rev,
		     struct sp_errinfo *ei) SP_WUR;

/*
 * 1 when t's CRL number idx (crl) verifies with issuer's public key; a
 * success is remembered with the key (t->crl_key), so a CRL is verified once
 * per issuer key, not at every chain check. Any thread.
 */
int trust_crl_signature_ok(struct crypto_trust *t, int idx, X509_CRL *crl, X509 *issuer);

/* ASN1_TIME to time_t (UTC); -1 when it cannot be read. */
time_t trust_asn1_time(const ASN1_TIME *a);

/*
 * name as RFC 2253 text, UTF-8 kept (not escaped as \XX), into out (outsz
 * > 0), cut between UTF-8 characters when it does not fit. Returns the full
 * length (>= outsz when cut) or -1 (out "") when it cannot be printed.
 */
long trust_name_print(const X509_NAME *name, char *out, size_t outsz);

/*
 * After a loop of PEM_read_bio_*(): 1 when it ended at the end of the input
 * (PEM "no start line", which is then cleared from the queue), 0 when it
 * stopped on a damaged block (the error stays queued for cms_err_ossl).
 */
int trust_pem_end_clean(void);
