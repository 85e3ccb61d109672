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

/* ==== section: trust, certificates, revocation ==== */
/*
 * A trust store: trusted roots, known intermediates, CRLs and the revocation
 * policy. Read-only once made, except its OCSP response cache (behind a
 * mutex), so one store may be shared by every worker thread.
 *
 * Failures of crypto_cert_check() carry ONE stable reason code in
 * ei->reason (see CRYPTO_REASON_*), and a message naming the certificate.
 */
#define CRYPTO_REASON_MALFORMED_CERT "malformed_certificate"  /* not a certificate */
#define CRYPTO_REASON_UNTRUSTED_ISSUER "untrusted_issuer"     /* no chain to a trusted root */
#define CRYPTO_REASON_CERT_EXPIRED "cert_expired"             /* past notAfter (leaf or CA) */
#define CRYPTO_REASON_CERT_NOT_YET_VALID "cert_not_yet_valid" /* before notBefore */
#define CRYPTO_REASON_CERT_REVOKED "cert_revoked"             /* OCSP or CRL says revoked */
#define CRYPTO_REASON_BAD_KEY_USAGE "bad_key_usage"           /* not a signing certificate */
#define CRYPTO_REASON_CERT_SIGNATURE "cert_signature_invalid" /* a signature in the chain is bad */
#define CRYPTO_REASON_REVOCATION_UNKNOWN "revocation_unknown" /* required, but no answer */
#define CRYPTO_REASON_CHAIN_INVALID "chain_invalid"           /* any other chain failure */
#define CRYPTO_REASON_CREDIT_CODE "malformed_credit_code"     /* crypto_credit_code_check() */

struct crypto_trust;
struct pdf_doc; /* pdf/pdf.h */

/* Revocation policy of a trust store. */
struct crypto_revocation_opts {
	int ocsp;               /* nonzero: ask OCSP first (then the CRLs) */
	const char *ocsp_url;   /* responder to use for every certificate; NULL or "":
				   the leaf's AIA OCSP URL */
	long timeout_ms;        /* hard limit for one OCSP exchange; <= 0: 5000 */
	int require_revocation; /* nonzero: refuse (revocation_unknown) when neither
				   OCSP nor a current CRL gives an answer */
};

/*
 * Make a trust store. roots: PEM files of trusted root certificates (each file
 * may hold several); intermediates: PEM files of CA certificates that may
 * complete chains but are not trusted by themselves; crls: CRL files, PEM (one
 * or more each) or DER. Arrays may be NULL when their count is 0. opts may be
 * NULL (no OCSP, revocation not required). The paths and opts are copied.
 * Returns SP_OK and *out (free it with crypto_trust_free), SP_ERR_IO for an
 * unreadable file, SP_ERR_INVALID for a file without the expected objects or
 * a CA file holding a non-CA certificate, SP_ERR_CONFIG when there are no roots.
 * Any thread.
 */
int crypto_trust_new(const char *const *roots, size_t nroots, const char *const *intermediates,
		     size_t nintermediates, const char *const *crls, size_t ncrls,
		     const struct crypto_revocation_opts *opts, struct crypto_trust **out,
		     struct sp_errinfo *ei) SP_WUR;

/* Free a trust store (NULL is fine). No check may be running on it. */
void crypto_trust_free(struct crypto_trust *t);

/*
 * Parse one X.509 certificate from DER or PEM (at most 64 KiB, nothing after
 * it). Returns SP_OK and *out (the caller frees it with X509_free), or
 * SP_ERR_INVALID with reason malformed_certificate. Any thread.
 */
int crypto_cert_parse(const unsigned char *data, size_t len, X509 **out,
		      struct sp_errinfo *ei) SP_WUR;

/*
 * A certificate chain between the two requests of the signing protocol: the
 * issuing CAs a CMS carries besides the signer's certificate, at most
 * CRYPTO_CHAIN_MAX of them, kept as the DER of ASN.1 SEQUENCE OF Certificate
 * of at most CRYPTO_CHAIN_DER_MAX bytes (the limit of the stored column).
 */
#define CRYPTO_CHAIN_MAX 16
#define CRYPTO_CHAIN_DER_MAX (1024 * 1024)

/*
 * Certificates a signature's CMS (or a timestamp token) may carry for its
 * chain to be built: a signer's tool sends its chain, and in a bridged PKI
 * the cross-certificates of its CA by each bridge it knows (the US federal
 * bridge's, the EU's), the TSA's chain and the OCSP responders' -- dozens.
 * The bound keeps a path search over them small (OpenSSL's is linear in
 * them per level, at most 8 levels); a CMS with more is indeterminate.
 */
#define CRYPTO_CMS_CERTS_MAX 64

/*
 * Encode chain (borrowed; NULL or empty: an empty SEQUENCE, 30 00) in order.
 * Returns SP_OK and *der (malloc'd, the caller frees it) of *len bytes;
 * SP_ERR_LIMIT for more than CRYPTO_CHAIN_MAX certificates, SP_ERR_TOO_LARGE
 * past CRYPTO_CHAIN_DER_MAX bytes, SP_ERR_CRYPTO if OpenSSL cannot encode.
 * On failure *der is NULL and *len 0. Any thread.
 */
int crypto_chain_to_der(STACK_OF(X509) * chain, uint8_t **der, size_t *len,
			struct sp_errinfo *ei) SP_WUR;

/*
 * Decode what crypto_chain_to_der() made: exactly one SEQUENCE OF
 * Certificate filling all len bytes, at most CRYPTO_CHAIN_MAX certificates
 * and CRYPTO_CHAIN_DER_MAX bytes. Returns SP_OK and *out (possibly empty; the
 * caller frees it with sk_X509_pop_free(*out, X509_free)), or SP_ERR_INVALID
 * with reason malformed_certificate for anything else (*out NULL). Any thread.
 */
int crypto_chain_from_der(const uint8_t *der, size_t len, STACK_OF(X509) * *out,
			  struct sp_errinfo *ei) SP_WUR;

/*
 * crypto_cert_parse() and crypto_chain_from_der(), except that a certificate
 * with exactly the DER of one of t's roots or intermediates is that one,
 * decoded once when t was built, and any other is decoded once and kept in
 * t's bounded certificate cache: either way shared with other threads
 * (up-ref'd: free as usual; never modify it), not decoded again. The same
 * results and errors; t NULL: the plain functions. Any thread, concurrently
 * on one t.
 */
/*
 * What t's caches hold now (/metrics): the certificates decoded once (their
 * count, DER bytes and the bound of those), the OCSP responses fetched and
 * kept until their nextUpdate (count, DER bytes), and the certificate
 * signatures found valid and embedded OCSP responses verified (counts of
 * small fixed entries). t NULL: all 0. Any thread.
 */
struct crypto_trust_cache_stats {
	size_t certs, cert_bytes, cert_max_bytes;
	size_t ocsp_responses, ocsp_bytes;
	size_t signatures, ocsp_verified;
};
void crypto_trust_cache_stats(struct crypto_trust *t, struct crypto_trust_cache_stats *st);

int crypto_trust_cert_parse(const struct crypto_trust *t, const unsigned char *data, size_t len,
			    X509 **out, struct sp_errinfo *ei) SP_WUR;
int crypto_trust_chain_from_der(const struct crypto_trust *t, const uint8_t *der, size_t len,
				STACK_OF(X509) * *out, struct sp_errinfo *ei) SP_WUR;

/* What the server needs to know about a certificate's subject. */
struct crypto_cert_info {
	char org[256];       /* subject O (UTF-8), "" if absent */
	char org_id[64];     /* subject organizationIdentifier (2.5.4.97), "" if absent */
	char cn[256];        /* subject CN (UTF-8), "" if absent */
	char subject[512];   /* whole subject, RFC 2253, UTF-8 */
	char issuer[512];    /* whole issuer, RFC 2253, UTF-8 */
	char serial_hex[82]; /* serial number, uppercase hex without leading zeros */
	char sha256_hex[65]; /* SHA-256 of the DER, lowercase hex */
	time_t not_before;
	time_t not_after;
};

/*
 * Fill *info from cert (borrowed). Fields too long for their buffers make it
 * fail with SP_ERR_INVALID rather than truncate. Any thread.
 */
int crypto_cert_info_get(X509 *cert, struct crypto_cert_info *info, struct sp_errinfo *ei) SP_WUR;

enum crypto_rev_status {
	CRYPTO_REV_NOT_CHECKED = 0, /* no revocation source configured */
	CRYPTO_REV_GOOD,
	CRYPTO_REV_REVOKED, /* revoked, but only after `at`: the check passed */
	CRYPTO_REV_UNKNOWN  /* nobody answered; accepted (not required) */
};

enum crypto_rev_source {
	CRYPTO_REV_SRC_NONE = 0,
	CRYPTO_REV_SRC_OCSP,       /* a fresh OCSP response */
	CRYPTO_REV_SRC_OCSP_CACHE, /* a cached OCSP response, before its nextUpdate */
	CRYPTO_REV_SRC_CRL,
	CRYPTO_REV_SRC_DSS /* an OCSP response or CRL embedded in the document (its /DSS) */
};

/* The outcome of a successful crypto_cert_check(). */
struct crypto_cert_result {
	STACK_OF(X509) * chain;       /* verified chain, leaf first, root last; owned */
	struct crypto_cert_info info; /* the leaf's */
	enum crypto_rev_status rev_status;
	enum crypto_rev_source rev_source;
	/* CRYPTO_REV_SRC_DSS: the evidence item (OCSP response or CRL) that answered,
	   borrowed from the evidence passed in */
	const struct pdf_blob *rev_item;
};

/* Free what a result holds and zero it (NULL is fine). */
void crypto_cert_result_cleanup(struct crypto_cert_result *res);

/*
 * Check that leaf (borrowed) may sign at time `at` (0 = now): a chain to a
 * trusted root through the store's intermediates and extra (borrowed, the
 * certificates the client sent; may be NULL), every certificate valid at
 * `at`, every signature good; the leaf's keyUsage present with
 * digitalSignature or nonRepudiation and the leaf not a CA; then revocation:
 * OCSP (when enabled; responses verified against the store and cached until
 * their nextUpdate), else a current CRL signed by the issuer; an issuing CA
 * listed on a current CRL of its own issuer is refused too. A certificate
 * revoked after `at` passes (a signature made before its revocation stays
 * good). Revocation is always asked about now; `at` only moves validity.
 * Returns SP_OK and fills *res (cleanup with crypto_cert_result_cleanup), or
 * fails with reason (ei->reason) and code: malformed_certificate
 * (SP_ERR_INVALID), cert_expired / cert_not_yet_valid (SP_ERR_EXPIRED),
 * revocation_unknown (SP_ERR_UNAVAILABLE), the others SP_ERR_CRYPTO. May
 * block up to the OCSP timeout: call it on a worker thread, never on the
 * event loop. Any thread, concurrently on one store.
 */
int crypto_cert_check(struct crypto_trust *t, X509 *leaf, STACK_OF(X509) * extra, time_t at,
		      struct crypto_cert_result *res, struct sp_errinfo *ei) SP_WUR;

/*
 * Long-term validation evidence (PAdES B-LT): certificates, OCSP responses
 * and CRLs as DER, item[PDF_DSS_CERTS / _OCSPS / _CRLS] as in struct
 * pdf_dss. _cleanup frees and zeroes it.
 */
struct crypto_evidence {
	struct pdf_blob *item[3];
	size_t n[3];
	/* item[PDF_DSS_CERTS] decoded (crypto_evidence_decode), or NULL: decoded at each use */
	STACK_OF(X509) * certs;
	/* and item[PDF_DSS_CRLS], one for each item (crypto_int.h), or NULL: likewise */
	struct evidence_crl *crls;
	/* certificates left without a revocation answer because the responder asked for
	   one failed (unreachable, timed out, an HTTP error) and no CRL stood in */
	size_t unanswered;
};
void crypto_evidence_cleanup(struct crypto_evidence *e);
/*
 * Decode the certificate and CRL items once, for every revocation check
 * that reads e afterwards (a verification checks each chain against them,
 * each certificate of it against every CRL; a DSS holds every signer's
 * chain). Items added later are not in it: call once the evidence is
 * complete. An item that does not decode is left out, as at each use.
 * Certificates through t's certificate cache when t is not NULL. The thread
 * that owns e.
 */
void crypto_evidence_decode(struct crypto_evidence *e, const struct crypto_trust *t);
/* Add a copy of der as an item of kind (PDF_DSS_*) unless the same bytes are there. */
int crypto_evidence_add(struct crypto_evidence *e, int kind, const uint8_t *der, size_t len,
			struct sp_errinfo *ei) SP_WUR;

/*
 * Gather the evidence for one signature's /Contents (der, len: a CMS
 * SignedData, or with token an RFC 3161 TimeStampToken of a document
 * timestamp): the chains of the signer and of the TSA of its timestamp
 * (built through t's intermediates and the certificates the CMS and token
 * carry; ts_store for the TSA, NULL: t's roots), every certificate of them,
 * for each end-entity an OCSP response (t's responder policy, through its
 * cache; only with t->ocsp) or else a CRL of its issuer from t, and for each
 * issuing CA a CRL of its issuer from t. What nobody answers is simply not
 * added (counted in e->unanswered when the responder asked failed). Appends
 * to *e. May block on OCSP: worker threads or the CLI.
 */
int crypto_evidence_collect(struct crypto_trust *t, X509_STORE *ts_store, const uint8_t *der,
			    size_t len, int token, struct crypto_evidence *e,
			    struct sp_errinfo *ei) SP_WUR;

/*
 * What an archive must hold for der (as crypto_evidence_collect's): 1 when
 * each of its chains (the signer's and its signature timestamp's TSA's;
 * with token, a document timestamp's TSA's), built through t's
 * intermediates and the certificates of der and of ev, reaches a
 * self-signed root and ev answers the revocation of every certificate below
 * it at time at (an OCSP response about it or a CRL of its issuer, as
 * trust_evidence_status reads them: PAdES B-LT, EN 319 142-1 §5.4). 0
 * otherwise, also when der is unreadable or ev holds no OCSP response or
 * CRL. ts_store: the TSA roots, NULL: t's. Never blocks (nothing fetched).
 * The thread that owns ev.
 */
int crypto_evidence_covers(struct crypto_trust *t, X509_STORE *ts_store, const uint8_t *der,
			   size_t len, int token, const struct crypto_evidence *ev, time_t at);

/*
 * What an earlier verification read of a prefix of the data crypto_ltv_add_dss
 * is given (a completion's base, the stored revision its update follows), so
 * that the signatures in it are not parsed again: each one's /Contents is the
 * largest object of a signature, and reading every earlier one made a
 * contract's k-th completion cost O(k).
 */
struct crypto_ltv_known {
	struct pdf_doc *given; /* data[0..given_len) opened (borrowed) */
	size_t given_len;
	/* the signature dictionaries as a verification of exactly those bytes read them
	   in their last revision (its crypto_verify_opts.sigs_out; borrowed) */
	const uint8_t *reads;
	size_t reads_len;
	/* data's pages (object number / generation pairs) when known, NULL: the page tree
	   is walked (crypto_ltv_add_dss opens data as pdf_doc_open_stored_known() then) */
	const int *pages;
	size_t npages;
	/* crypto_ltv_add_dss's data[0..len) itself, opened already by the caller (a
	   completion's view of the signed revision, borrowed): used instead of an open of
	   its own, which parsed every cross-reference section and walked the whole form
	   again; NULL: opened there. Not used by crypto_ltv_doc_timestamp (other bytes). */
	struct pdf_doc *doc;
	/* and its revisions as pdf_revisions_find() finds them in data[0..revs_len)
	   (borrowed; a completion found them already): taken where doc is that view and
	   revs_len its length; NULL: found there */
	const struct pdf_revision *revs;
	size_t nrevs, revs_len;
	/* crypto_ltv_doc_timestamp only: SHA-256 (borrowed, not changed) fed with exactly
	   the bytes its data starts with, hashed_len of them (a completion's hash of the
	   base, which the signed revision and its DSS update start with): the timestamp's
	   digest goes on from there instead of hashing the whole file again; NULL: none */
	const struct crypto_digest_ctx *hashed;
	size_t hashed_len;
	/* crypto_ltv_doc_timestamp only: with keep_ts_doc, its open of data (a view of the
	   first ts_doc_len bytes of *out, valid while *out is; the caller's, pdf_doc_free)
	   handed out in ts_doc, for the verification of *out (crypto_verify_opts.rev_doc2),
	   which opened that revision twice more; NULL when not made */
	int keep_ts_doc;
	struct pdf_doc *ts_doc;
	size_t ts_doc_len;
	/* out (crypto_ltv_add_dss): the /VRI keys it hashed, each with the /Contents it is
	   the SHA-1 of, packed for crypto_verify_opts.vri_memo (malloc'd, the caller's to
	   free; NULL: none) */
	uint8_t *vri_memo;
	size_t vri_memo_len;
	/* out: when they were used, how many signed fields data lists (the count of
	   pdf_sig_fields_list_lazy, which the listing gave on the way); else -1 */
	int nlisted;
	/* crypto_ltv_add_dss: a /VRI key memo an earlier completion made (its vri_memo,
	   borrowed; NULL: none): a signature whose /Contents is, byte for byte, one hashed
	   there takes its key from there instead of hashing it again */
	const uint8_t *vri_given;
	size_t vri_given_len;
	/* out (crypto_ltv_add_dss), when not NULL: its pdf_dss_read() of data[0..len), or
	   when it made an update, of that update's file as written (pdf_dss_append_read)
	   where that can be told; dss_out->len says which. Moved there on SP_OK for
	   crypto_verify_opts.dss_known with dss_known_len dss_out->len (the caller's,
	   pdf_dss_cleanup; zeroed when not read) */
	struct pdf_dss *dss_out;
	/* crypto_ltv_add_dss: pdf_dss_read() of data[0..dss_given_len), a revision of data
	   that doc's view has in revs (a completion's base: its stored bytes' DSS as the
	   verification of them read it, crypto_verify_opts.dss_out; borrowed): the items
	   that are the same objects, which no later section lists, are taken as read there
	   (pdf_dss_read_known), not decoded again. NULL: data's DSS is read. */
	const struct pdf_dss *dss_given;
	size_t dss_given_len;
	/* crypto_ltv_add_dss: data's own buffer (room == data, borrowed), writable from len
	   to room_cap: the update is written there, after data, and *out is room itself (a
	   completion's document, kept with room after it: not copied to be appended to);
	   NULL, or no room for the update: *out is malloc'd as without it */
	uint8_t *room;
	size_t room_cap;
	/* out: 1 when *out is room (not malloc'd), else 0 */
	int in_room;
};

/*
 * PAdES B-LT: one incremental update of the signed PDF data[0..len) adding
 * a /DSS with the evidence (crypto_evidence_collect through t and ts_store)
 * of every signature and document timestamp the DSS has no /VRI entry for
 * yet (one whose chain cannot be read is left without an entry), plus extra (may be NULL: evidence from elsewhere, e.g. OCSP
 * responses given as files). *out (malloc'd) is the whole new file, or NULL
 * when every signature is covered already (no update needed). known (may be
 * NULL): the reads of a prefix of data; a signature they hold is taken as read
 * when data's later updates neither list its object nor redefine an object
 * stream of the prefix (else, and for any other, it is read from data): the
 * update is the same, byte for byte. May block on OCSP: worker threads or the
 * CLI.
 */
int crypto_ltv_add_dss(struct crypto_trust *t, X509_STORE *ts_store,
		       const struct crypto_evidence *extra, const uint8_t *data, size_t len,
		       unsigned flags, struct crypto_ltv_known *known, uint8_t **out,
		       size_t *outlen, struct sp_errinfo *ei) SP_WUR;
/*
 * flags of crypto_ltv_add_dss and crypto_ltv_doc_timestamp. STORED: data is
 * a document the server stored, or built on stored bytes and verifies whole
 * afterwards: it is opened as pdf_doc_open_stored does (objects parsed when
 * used; a repair met on the way still fails), not resolved whole first.
 */
#define CRYPTO_LTV_STORED 1u
/*
 * ANSWERED (crypto_ltv_add_dss): a signature whose evidence a revocation
 * service failed to give (crypto_evidence.unanswered) fails the update with
 * SP_ERR_UNAVAILABLE instead of a /VRI entry without it, which no later
 * update would complete (a renewal, which can come back later).
 */
#define CRYPTO_LTV_ANSWERED 2u

/* A TSA over a SHA-256: a checked TimeStampToken (malloc'd) and its genTime. */
typedef int (*crypto_ts_digest_fn)(void *arg, const uint8_t sha256[32], uint8_t **tok,
				   size_t *toklen, time_t *gen, struct sp_errinfo *ei);

/*
 * PAdES B-LTA: one incremental update of data[0..len) with a document
 * timestamp (/DocTimeStamp, ETSI.RFC3161, an invisible field) whose token ts
 * makes over the byte ranges. *out (malloc'd) is the whole new file;
 * *tsa_until the TSA certificate's notAfter, *gen_time the token's time.
 * t (may be NULL) lends its certificate cache to read the token. known (may
 * be NULL), as crypto_ltv_add_dss's: the signatures it holds are not parsed
 * again to size the timestamp's /Contents (the same size either way), the
 * digest goes on from known->hashed (the same bytes either way), and its
 * open of data is handed out when known->keep_ts_doc asks for it.
 */
int crypto_ltv_doc_timestamp(const struct crypto_trust *t, const uint8_t *data, size_t len,
			     unsigned flags, struct crypto_ltv_known *known, crypto_ts_digest_fn ts,
			     void *arg, uint8_t **out, size_t *outlen, time_t *tsa_until,
			     time_t *gen_time, struct sp_errinfo *ei) SP_WUR;

/*
 * Outbound policy for OCSP responders named by certificates (AIA): with
 * forbid_private, only public addresses or those allow lists (see
 * crypto_http_url_check()) are connected to; a configured ocsp_url is the
 * operator's choice and is not restricted. Call before the store is shared.
 */
int crypto_trust_set_url_policy(struct crypto_trust *t, int forbid_private, const char *allow,
				struct sp_errinfo *ei) SP_WUR;

/*
 * Let crypto_evidence_collect() fetch a CRL from a certificate's CRL
 * distribution point (http(s), the URL policy above) when neither OCSP nor
 * the store's CRLs answer (the offline client; the server uses its
 * configured CRLs). Call before the store is shared.
 */
void crypto_trust_set_fetch_crls(struct crypto_trust *t, int on);

/*
 * As crypto_cert_check(), with embedded evidence (may be NULL): an OCSP
 * response or CRL in ev about a certificate of the chain answers first
 * (verified against t's roots at the time it was produced, so it still
 * counts after the responder's certificate has expired); only without one
 * does the store's own revocation policy run. The chain is built at `at`
 * with ev's certificates as further untrusted ones.
 */
int crypto_cert_check_ev(struct crypto_trust *t, X509 *leaf, STACK_OF(X509) * extra, time_t at,
			 const struct crypto_evidence *ev, struct crypto_cert_result *res,
			 struct sp_errinfo *ei) SP_WUR;

/*
 * Check a unified social credit code (统一社会信用代码, GB 32100-2015):
 * exactly 18 characters of "0123456789ABCDEFGHJKLMNPQRTUWXY" (upper case;
 * no I, O, Z, S, V), a known registration authority (1-9, A, N, Y) with one
 * of its organization types, a 6-digit administrative division code, and the
 * weighted check character. Returns SP_OK, or SP_ERR_INVALID with reason
 * malformed_credit_code and a message saying what is wrong. Any thread.
 */
int crypto_credit_code_check(const char *code, struct sp_errinfo *ei) SP_WUR;

/* 1 when crypto_credit_code_check() accepts code (NULL is invalid), else 0. */
int crypto_credit_code_valid(const char *code);
/* ==== end section: trust, certificates, revocation ==== */

/* ==== section: CMS signing and timestamps ==== */
/*
 * The signing protocol of DESIGN §5 is split across two requests that may
 * run in different processes, so nothing here keeps state between them:
 * prepare computes the content digest and crypto_cms_signed_attrs() (whose
 * DER is stored and sent as to_be_signed); complete rebuilds everything from
 * the stored bytes with crypto_cms_assemble().
 *
 * Every function below is thread-safe and may be called from any thread
 * (worker threads, the CLI). Output buffers are allocated with malloc():
 * the caller free()s them. On failure outputs are NULL/0 and ei says why.
 */

/* Content digests. */
enum crypto_digest_alg {
	CRYPTO_DIGEST_SHA256 = 1,
	CRYPTO_DIGEST_SM3 = 2,
};
#define CRYPTO_DIGEST_MAX 32 /* both digests are 32 bytes */

/*
 * Hash len bytes of data into out (at least CRYPTO_DIGEST_MAX bytes);
 * *outlen gets the digest size. Returns SP_OK, SP_ERR_INVALID for an unknown
 * algorithm, SP_ERR_CRYPTO if OpenSSL fails.
 */
int crypto_digest(enum crypto_digest_alg alg, const void *data, size_t len, uint8_t *out,
		  size_t *outlen, struct sp_errinfo *ei) SP_WUR;

/*
 * Incremental hashing (a PDF's two byte ranges). _new returns SP_OK and a
 * context the caller frees with crypto_digest_ctx_free() (accepts NULL);
 * _final may be called once and writes as crypto_digest() does.
 */
struct crypto_digest_ctx;
int crypto_digest_ctx_new(enum crypto_digest_alg alg, struct crypto_digest_ctx **out,
			  struct sp_errinfo *ei) SP_WUR;
int crypto_digest_ctx_update(struct crypto_digest_ctx *c, const void *data, size_t len,
			     struct sp_errinfo *ei) SP_WUR;
int crypto_digest_ctx_final(struct crypto_digest_ctx *c, uint8_t *out, size_t *outlen,
			    struct sp_errinfo *ei) SP_WUR;
/*
 * The digest of what c was fed so far, as _final writes it, c going on (a
 * prefix's digest and the whole's in one pass).
 */
int crypto_digest_ctx_peek(const struct crypto_digest_ctx *c, uint8_t *out, size_t *outlen,
			   struct sp_errinfo *ei) SP_WUR;
/* A copy of c that goes on on its own (*out the caller's). */
int crypto_digest_ctx_dup(const struct crypto_digest_ctx *c, struct crypto_digest_ctx **out,
			  struct sp_errinfo *ei) SP_WUR;
/*
 * A context going on from md, an OpenSSL digest state of alg that was not
 * finished (e.g. pdf_normalized.sha256_state), which it takes: freed with
 * the context, also when this fails.
 */
int crypto_digest_ctx_adopt(enum crypto_digest_alg alg, EVP_MD_CTX *md,
			    struct crypto_digest_ctx **out, struct sp_errinfo *ei) SP_WUR;
/* c's OpenSSL state, borrowed (NULL once finished): e.g. to go on from in pdf_sha256_resume(). */
const EVP_MD_CTX *crypto_digest_ctx_evp(const struct crypto_digest_ctx *c);
void crypto_digest_ctx_free(struct crypto_digest_ctx *c);

/* Signature algorithms a token may use. */
enum crypto_sigalg {
	CRYPTO_SIGALG_NONE = 0,
	CRYPTO_SIGALG_RSA_SHA256 = 1,   /* RSA PKCS#1 v1.5, SHA-256 */
	CRYPTO_SIGALG_ECDSA_SHA256 = 2, /* ECDSA on P-256, SHA-256, DER signature */
	CRYPTO_SIGALG_SM2_SM3 = 3,      /* SM2 with SM3, distid CRYPTO_SM2_ID, DER signature */
};
/* The SM2 distinguishing ID (GM/T 0009 default); OpenSSL 3.0's default is empty. */
#define CRYPTO_SM2_ID "1234567812345678"
#define CRYPTO_SIG_MAX 1024 /* largest accepted signature value (RSA-8192) */

/*
 * The algorithm to use with cert's public key: RSA (2048..8192 bits) →
 * RSA_SHA256, EC P-256 → ECDSA_SHA256, SM2 → SM2_SM3. Anything else fails
 * with SP_ERR_UNSUPPORTED (reason "unsupported_key") and *alg = NONE.
 */
int crypto_sigalg_for_cert(X509 *cert, enum crypto_sigalg *alg, struct sp_errinfo *ei) SP_WUR;

/*
 * The stable name used in the API JSON: "sha256WithRSAEncryption",
 * "ecdsa-with-SHA256", "SM2-with-SM3"; NULL for an unknown value (static).
 */
const char *crypto_sigalg_name(enum crypto_sigalg alg);
/* The inverse; CRYPTO_SIGALG_NONE for an unknown name. */
enum crypto_sigalg crypto_sigalg_from_name(const char *name);
/* The content digest an algorithm uses (SHA-256, or SM3 for SM2); 0 for NONE. */
enum crypto_digest_alg crypto_sigalg_digest(enum crypto_sigalg alg);

/*
 * Verify a token's signature sig over tbs (the whole to_be_signed DER; the
 * algorithm hashes it) with cert's public key. ECDSA and SM2 signatures are
 * DER (see crypto_ecdsa_raw_to_der). Returns SP_OK when valid,
 * SP_ERR_CRYPTO (reason "bad_signature") when not, SP_ERR_INVALID when alg
 * does not fit the key (reason "alg_mismatch"), sizes are out of range or an
 * ECDSA/SM2 value is not canonical DER (reason "bad_signature"),
 * SP_ERR_UNSUPPORTED for a key crypto_sigalg_for_cert refuses.
 */
int crypto_sig_verify(X509 *cert, enum crypto_sigalg alg, const uint8_t *tbs, size_t tbslen,
		      const uint8_t *sig, size_t siglen, struct sp_errinfo *ei) SP_WUR;

/*
 * Sign tbs with a key held in this process (the platform's own keys, e.g.
 * the evidence key; a token key never is): the algorithm must fit the key
 * (SP_ERR_INVALID "alg_mismatch"). *sig (malloc'd) is the value as
 * crypto_sig_verify takes it (DER for ECDSA and SM2). Any thread, on a
 * shared read-only key.
 */
int crypto_sig_sign(EVP_PKEY *key, enum crypto_sigalg alg, const uint8_t *tbs, size_t tbslen,
		    uint8_t **sig, size_t *siglen, struct sp_errinfo *ei) SP_WUR;

/*
 * Convert a raw r||s signature (PKCS#11 CKM_ECDSA, also SM2 tokens) of an
 * even length up to 132 bytes into the DER ECDSA-Sig-Value. *der is malloc'd.
 */
int crypto_ecdsa_raw_to_der(const uint8_t *raw, size_t rawlen, uint8_t **der, size_t *derlen,
			    struct sp_errinfo *ei) SP_WUR;

#define CRYPTO_SIGNED_ATTRS_MAX 4096

/*
 * The CMS signed attributes for signer, DER-encoded as a SET OF: what the
 * token signs (to_be_signed). Exactly content-type id-data, message-digest
 * = content_digest (dlen must be the size of crypto_sigalg_digest(alg)) and
 * ESS signing-certificate-v2 (SHA-256 of signer, with issuer/serial); no
 * signing-time (PAdES forbids it). Deterministic for the same inputs.
 * *der is malloc'd.
 */
int crypto_cms_signed_attrs(X509 *signer, enum crypto_sigalg alg, const uint8_t *content_digest,
			    size_t dlen, uint8_t **der, size_t *derlen,
			    struct sp_errinfo *ei) SP_WUR;

/*
 * The most DER bytes crypto_cms_assemble() can produce for signer, chain,
 * signed attributes of attrs_len bytes and a timestamp token of at most
 * tst_max bytes (0: none): what a /Contents placeholder must hold. Sized
 * from the actual certificates (each once, as assemble adds them), the
 * signer's issuer and serial (the SignerIdentifier), the key's largest
 * signature, plus 512 bytes for the fixed OIDs, versions and headers.
 * An external TSA's token is not known in advance: CRYPTO_TS_TOKEN_MAX_UNKNOWN
 * bounds it. Any thread.
 */
#define CRYPTO_TS_TOKEN_MAX_UNKNOWN 8192
int crypto_cms_size_max(X509 *signer, STACK_OF(X509) * chain, size_t attrs_len, size_t tst_max,
			size_t *out, struct sp_errinfo *ei) SP_WUR;

/*
 * crypto_cms_size_max() with the signed attributes crypto_cms_signed_attrs()
 * makes for signer and alg (their length does not depend on the digest's
 * value, so a zero digest measures it): the /Contents placeholder for a
 * signature whose digest is not known yet. Any thread.
 */
int crypto_cms_contents_max(X509 *signer, enum crypto_sigalg alg, STACK_OF(X509) * chain,
			    size_t tst_max, size_t *out, struct sp_errinfo *ei) SP_WUR;

/*
 * Assemble the detached CMS SignedData (DER into *cms_der, malloc'd) from
 * stored bytes, with the algorithm crypto_sigalg_for_cert(signer) names: the signed attributes exactly as crypto_cms_signed_attrs()
 * made them (checked: canonical DER, exactly those three attributes, the
 * signing certificate is signer), the token's signature (checked with
 * crypto_sig_verify before anything is built), the timestamp token
 * (tst_der, a ContentInfo from crypto_ts_response_check(), whose imprint
 * must be the hash of sig; NULL/0 for none) added as the unsigned attribute
 * id-aa-signatureTimeStampToken, and signer + chain (may be NULL) in
 * certificates. The CMS is verified again after building. The caller keeps
 * ownership of signer and chain. Returns SP_OK, SP_ERR_CRYPTO (reason
 * "bad_signature" or "ts_imprint_mismatch"), SP_ERR_INVALID for malformed
 * inputs.
 */
int crypto_cms_assemble(X509 *signer, STACK_OF(X509) * chain, const uint8_t *signed_attrs_der,
			size_t len, const uint8_t *sig, size_t siglen, const uint8_t *tst_der,
			size_t tstlen, uint8_t **cms_der, size_t *cmslen,
			struct sp_errinfo *ei) SP_WUR;

/*
 * crypto_cms_assemble with flags. CRYPTO_CMS_ENGINE_CHECKS: the caller has
 * checked sig against the signed attributes (crypto_sig_verify) and checks
 * the file the CMS goes into with crypto_pdf_verify before using it, which
 * parses the CMS, re-encodes the signed attributes, verifies the signature
 * and the timestamp's imprint, signature and chain: the signature, imprint
 * and read-back checks are then left to it instead of being made twice.
 */
#define CRYPTO_CMS_ENGINE_CHECKS 1u
/*
 * What crypto_cms_assemble_ex() proved of the signed attributes it took (it
 * rebuilds them): they are byte for byte crypto_cms_signed_attrs(signer,
 * the signer's algorithm, md[0..mdlen)); mdlen 0 when it proved nothing.
 * A caller about to rebuild them over the same digest has that result.
 */
struct crypto_attrs_checked {
	uint8_t md[CRYPTO_DIGEST_MAX];
	size_t mdlen;
};
int crypto_cms_assemble_ex(X509 *signer, STACK_OF(X509) * chain, const uint8_t *signed_attrs_der,
			   size_t len, const uint8_t *sig, size_t siglen, const uint8_t *tst_der,
			   size_t tstlen, unsigned flags, struct crypto_attrs_checked *checked,
			   uint8_t **cms_der, size_t *cmslen, struct sp_errinfo *ei) SP_WUR;

/* RFC 3161. Size caps of what goes over the wire. */
#define CRYPTO_TS_QUERY_MAX (16 * 1024)
#define CRYPTO_TS_RESP_MAX (128 * 1024)

/*
 * Built-in TSA. crypto_tsa_new() loads unencrypted PEM files (chain_pem may
 * be NULL), checks the key (RSA or EC P-256; not SM2, which verifiers of
 * tokens cannot check) matches the certificate, that the certificate
 * is valid now and has a CRITICAL extendedKeyUsage of timeStamping only,
 * and that policy_oid is a dotted OID. accuracy_ms (1..3600000) is stated in
 * every token. The struct is read-only after creation: one instance may
 * serve any number of threads at once. Free with crypto_tsa_free (NULL ok).
 */
struct crypto_tsa;
int crypto_tsa_new(const char *cert_pem, const char *key_pem, const char *chain_pem,
		   const char *policy_oid, unsigned accuracy_ms, struct crypto_tsa **out,
		   struct sp_errinfo *ei) SP_WUR;
void crypto_tsa_free(struct crypto_tsa *tsa);
/* The TSA certificate (borrowed; lives as long as tsa). */
X509 *crypto_tsa_get0_cert(const struct crypto_tsa *tsa);

/*
 * Answer one TimeStampReq (DER) with a TimeStampResp (DER, malloc'd into
 * *resp). serial must be unique and persistent across restarts and
 * processes (the server takes it from a PostgreSQL sequence; see
 * crypto_tsa_serial_make for the offline client); now is the genTime, 0 for
 * the current clock (milliseconds shown). A malformed, oversized or
 * unacceptable query still yields SP_OK with a rejection response
 * (e.g. badDataFormat, badAlg): that is the answer a TSA owes its client.
 * Errors are for failures of the TSA itself (SP_ERR_CRYPTO, SP_ERR_EXPIRED
 * when its certificate is no longer valid).
 */
int crypto_tsa_respond(const struct crypto_tsa *tsa, const uint8_t *query, size_t querylen,
		       uint64_t serial, time_t now, uint8_t **resp, size_t *resplen,
		       struct sp_errinfo *ei) SP_WUR;

/*
 * As crypto_tsa_respond, but the granted TimeStampToken itself (ContentInfo
 * DER, malloc'd into *token) and its genTime, read from the objects the TSA
 * just built instead of encoding the response and parsing it back. For a
 * caller that checks the token with the verification engine afterwards (a
 * completion); anything but a granted answer is SP_ERR_CRYPTO, reason
 * ts_rejected.
 */
int crypto_tsa_token(const struct crypto_tsa *tsa, const uint8_t *query, size_t querylen,
		     uint64_t serial, time_t now, uint8_t **token, size_t *tokenlen,
		     time_t *gen_time, struct sp_errinfo *ei) SP_WUR;

/* A serial for a TSA with no database: seconds since 1970 << 30 | 30 random bits. */
int crypto_tsa_serial_make(uint64_t *serial, struct sp_errinfo *ei) SP_WUR;

/*
 * Client. crypto_ts_query_new: a TimeStampReq over SHA-256(what) (for
 * PAdES B-T, what = the signature value) with a random 64-bit nonce (also
 * returned in *nonce if not NULL) and certReq true; *query is malloc'd.
 */
int crypto_ts_query_new(const uint8_t *what, size_t whatlen, uint64_t *nonce, uint8_t **query,
			size_t *querylen, struct sp_errinfo *ei) SP_WUR;

/* As crypto_ts_query_new, over an already computed SHA-256 (a document timestamp's ranges). */
int crypto_ts_query_new_digest(const uint8_t sha256[32], uint64_t *nonce, uint8_t **query,
			       size_t *querylen, struct sp_errinfo *ei) SP_WUR;

/*
 * Until when an RFC 3161 TimeStampToken (ContentInfo DER) proves its time:
 * its TSA certificate's notAfter, or earlier when its algorithms weaken (the
 * TSA key or a digest below 112 bits of strength: now, i.e. 0; at 112 bits:
 * the end of 2030, after NIST SP 800-57 Part 1). The archive-timestamp
 * renewal is scheduled from it. SP_ERR_INVALID when it cannot be read.
 * Its certificates through t's certificate cache (t may be NULL).
 */
int crypto_ts_token_tsa_expiry(const struct crypto_trust *t, const uint8_t *tok, size_t toklen,
			       time_t *not_after, struct sp_errinfo *ei) SP_WUR;

/*
 * POST query to an external TSA with crypto_http_post() (http or https, no
 * redirects, no proxy) and return its body (malloc'd, at most
 * CRYPTO_TS_RESP_MAX). Blocks up to timeout_ms in total: call it on a worker
 * thread or in the CLI, never on the event loop. username/password (both or
 * neither, may be NULL) use HTTP basic auth, over https only. ca_file (may be
 * NULL: the system store) is a PEM bundle that verifies an https TSA. Returns SP_ERR_TIMEOUT, SP_ERR_UNAVAILABLE (connection, HTTP
 * status), SP_ERR_TOO_LARGE, SP_ERR_CRYPTO (reason "ts_malformed": wrong
 * content type).
 */
int crypto_ts_fetch(const char *url, const uint8_t *query, size_t querylen, long timeout_ms,
		    const char *username, const char *password, const char *ca_file, uint8_t **resp,
		    size_t *resplen, struct sp_errinfo *ei) SP_WUR;

/*
 * Check a TimeStampResp against the query it answers: status granted,
 * message imprint and nonce equal to the query's, TSA signer certificate
 * with a critical timeStamping-only EKU that chains (now) to trust, ESS
 * certificate id and token signature valid. trust may be NULL: then the
 * chain is not checked (the token's own certificate is taken as the anchor)
 * but everything else is. On SP_OK, *token is the TimeStampToken
 * (ContentInfo DER, malloc'd) to embed and *gen_time its genTime (either
 * may be NULL). The genTime must be now: at most CRYPTO_TS_LAG_MAX seconds
 * behind our clock (the clocks' difference and the longest TSA timeout) and
 * CRYPTO_TS_AHEAD_MAX ahead, else ts_time_implausible: a signature is judged
 * at that time. Failures are SP_ERR_CRYPTO with reason ts_rejected,
 * ts_imprint_mismatch, ts_nonce_mismatch, ts_untrusted, ts_bad_eku,
 * ts_bad_signature, ts_time_implausible or ts_malformed.
 */
#define CRYPTO_TS_LAG_MAX 300
#define CRYPTO_TS_AHEAD_MAX 120
int crypto_ts_response_check(const uint8_t *resp, size_t resplen, const uint8_t *query,
			     size_t querylen, X509_STORE *trust, uint8_t **token, size_t *tokenlen,
			     time_t *gen_time, struct sp_errinfo *ei) SP_WUR;

/*
 * A trust store for crypto_ts_response_check from a PEM file of TSA root
 * (and intermediate CA) certificates, at most 1 MiB and 256 certificates.
 * Returns SP_OK and *out (free with X509_STORE_free; share it read-only
 * between threads), SP_ERR_IO / SP_ERR_CONFIG (no certificate, bad PEM).
 */
int crypto_ts_trust_load(const char *pem_path, X509_STORE **out, struct sp_errinfo *ei) SP_WUR;
/* ==== end section: CMS signing and timestamps ==== */

/* ==== section: outbound HTTP ==== */

/*
 * One POST to an external service (OCSP responder, TSA, webhook receiver).
 * Every option is checked before anything is sent: the URL must be http://
 * or https:// (curl is restricted to those too), redirects are never
 * followed, and no proxy is used unless proxy is set (the environment's
 * http_proxy and friends are ignored, so a variable cannot divert signing
 * traffic). The caller owns all the strings.
 */
struct crypto_http_req {
	const char *url;
	const char *who;          /* the peer in messages ("TSA", ...); NULL: the URL */
	const char *content_type; /* of body, required */
	const void *body;
	size_t body_len;
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
	long timeout_ms;            /* the whole exchange, 1..CRYPTO_HTTP_TIMEOUT_MAX_MS */
	long connect_timeout_ms;    /* 0: timeout_ms */
	size_t max_response;        /* cap on the kept response body; ignored with discard */
	int discard;          /* 1: read and drop the response body (only the status matters) */
	const char *ca_file;  /* PEM bundle to trust for https instead of the system's, or NULL */
	const char *username; /* HTTP basic auth: both or neither */
	const char *password;
	const char *proxy; /* an explicit proxy URL, or NULL for none */
	/*
	 * Outbound address policy for URLs that someone else chose (webhooks):
	 * with forbid_private, the URL must pass crypto_http_url_check() and
	 * every address a connection is opened to (after name resolution, for
	 * each attempt) must be public unicast or inside allow, so a name that
	 * resolves, or later rebinds, to 127.0.0.1 is refused at connect time.
	 */
	int forbid_private;
	int https_only;    /* refuse http:// */
	const char *allow; /* see crypto_http_url_check(); NULL: none */
};

#define CRYPTO_HTTP_TIMEOUT_MAX_MS 600000L /* ten minutes */

struct crypto_http_resp {
	long status;            /* the HTTP status, 0 when none arrived */
	struct sp_buf body;     /* the body (capped by max_response), NUL-terminated */
	char content_type[128]; /* the answer's Content-Type, "" if none */
};

/*
 * POST req->body to req->url and fill *resp (initialised here; release it
 * with crypto_http_resp_cleanup() whatever the result). SP_OK means an HTTP
 * answer arrived, whatever its status: the caller judges resp->status.
 * Otherwise SP_ERR_INVALID (an option refused: scheme, header, timeout,
 * half credentials; with forbid_private, the URL as crypto_http_url_check()
 * says), SP_ERR_FORBIDDEN (forbid_private: every address the name resolved to
 * was refused, so nothing was sent), SP_ERR_TIMEOUT, SP_ERR_TOO_LARGE (body over
 * max_response), SP_ERR_UNAVAILABLE (resolution, connection, TLS),
 * SP_ERR_NOMEM, SP_ERR_INTERNAL. Blocks up to timeout_ms: call it on a worker
 * thread or in the CLI, never on an event loop. Initialises libcurl once
 * itself; any thread.
 */
int crypto_http_post(const struct crypto_http_req *req, struct crypto_http_resp *resp,
		     struct sp_errinfo *ei) SP_WUR;

/*
 * As crypto_http_post, a GET of req->url (body NULL and 0, content_type
 * unused): a CRL from a certificate's distribution point.
 */
int crypto_http_get(const struct crypto_http_req *req, struct crypto_http_resp *resp,
		    struct sp_errinfo *ei) SP_WUR;

/*
 * Whether url may be used for an outbound request chosen by someone else (a
 * webhook receiver). SP_OK, or SP_ERR_INVALID with reason "url_invalid" (not
 * a URL; not https:// when https_only, else not http(s)://; userinfo such as
 * user@host; a host that is not a DNS name, an IPv4 address or a bracketed
 * IPv6 address; a port outside 1..65535; longer than 2000 bytes) or
 * "url_forbidden" (with forbid_private: an IP literal in a special-purpose
 * range, see crypto_http_addr_public(), in any IPv4 spelling such as 127.1,
 * 2130706433 or 0x7f.1, or IPv4-mapped IPv6; "localhost", a name under
 * .localhost, or a name without a dot), unless allowed by allow.
 * allow is a comma-separated list of host names (matched exactly,
 * case-insensitively: every address they resolve to is allowed) and IP
 * addresses or CIDR ranges ("10.1.0.0/16", "fd00::/8": addresses inside are
 * allowed); NULL or "" for none. Names are not resolved here: delivery checks
 * the addresses (crypto_http_post() with forbid_private). Any thread.
 */
int crypto_http_url_check(const char *url, int https_only, int forbid_private, const char *allow,
			  struct sp_errinfo *ei) SP_WUR;

/*
 * Whether allow (see crypto_http_url_check()) is well formed: SP_OK, or
 * SP_ERR_CONFIG naming the bad entry. For start-up checks. Any thread.
 */
int crypto_http_allow_check(const char *allow, struct sp_errinfo *ei) SP_WUR;

/*
 * 1 when the address (family AF_INET with 4 bytes or AF_INET6 with 16) is
 * public unicast; 0 for loopback, unspecified, private (RFC 1918, ULA
 * fc00::/7), shared address space 100.64/10, link-local, multicast,
 * broadcast and reserved, documentation and benchmarking ranges, IETF
 * protocol assignments, and IPv4-mapped, IPv4-compatible, NAT64 or 6to4 forms
 * that embed one of those. Any thread.
 */
int crypto_http_addr_public(int family, const unsigned char *addr);

/*
 * Initialise libcurl for crypto_http_post(). Optional (the first post does
 * it), but a server calls it on the main thread at start-up so that a
 * failure stops start-up and libcurl's global set-up runs before threads.
 * Returns SP_OK or SP_ERR_INTERNAL. Idempotent; any thread.
 */
int crypto_http_init(struct sp_errinfo *ei) SP_WUR;

/* Free what crypto_http_post() left in resp (NULL or a zeroed struct is fine). */
void crypto_http_resp_cleanup(struct crypto_http_resp *resp);

/* ==== end section: outbound HTTP ==== */

/* ==== section: verification ==== */
/*
 * PDF signature verification (DESIGN §6): one engine for POST /api/v1/verify,
 * a contract's verification, the signing protocol's completion check and
 * `sealpact verify`. For each signature it reports structure (/Contents and
 * /ByteRange direct and sane, the gap exactly the /Contents string, the
 * signed range ending at a revision's end), integrity (digest, CMS
 * signature incl. SM2 with CRYPTO_SM2_ID, one SignerInfo, id-data,
 * signing-certificate-v2, no MD5/SHA-1), trust (chain at the timestamp's
 * genTime or now, revocation, key usage), the signature timestamp and what
 * each later revision changed. It fails closed: what it cannot parse or
 * account for is never valid.
 *
 * Reason codes (stable, in crypto_sig_report.reasons) and their verdicts:
 *   invalid: contents_missing contents_null contents_indirect contents_malformed
 *     byterange_missing byterange_null byterange_indirect byterange_malformed
 *     signature_dict_direct byterange_invalid gap_not_contents
 *     byterange_not_revision_end signature_not_in_signed_revision
 *     cms_malformed cms_not_detached cms_content_type cms_signer_count
 *     signer_cert_missing weak_algorithm digest_mismatch bad_signature
 *     signing_certificate_missing signing_certificate_mismatch
 *     cert_revoked bad_key_usage cert_signature_invalid
 *     cert_expired cert_not_yet_valid (when a timestamp fixes the time)
 *     ts_imprint_mismatch ts_bad_signature ts_bad_eku ts_malformed ts_revoked
 *     ts_time_implausible disallowed_changes docmdp_violation
 *   indeterminate: untrusted_issuer revocation_unknown chain_invalid
 *     cert_expired cert_not_yet_valid (no timestamp) ts_untrusted
 *     unsupported_algorithm changes_unverifiable revision_unreadable
 */
enum crypto_verdict {
	CRYPTO_VERDICT_VALID = 0,
	CRYPTO_VERDICT_VALID_ALLOWED_CHANGES =
		1,                        /* valid; later revisions only add what is allowed */
	CRYPTO_VERDICT_INDETERMINATE = 2, /* nothing wrong proven, but not provably valid */
	CRYPTO_VERDICT_INVALID = 3
};

/* "valid", "valid_with_allowed_changes", "indeterminate", "invalid" (static). */
const char *crypto_verdict_name(enum crypto_verdict v);

#define CRYPTO_VERIFY_REASONS_MAX 8
#define CRYPTO_VERIFY_CHANGES_MAX 64 /* changes listed per signature (all are counted) */

/* One object changed in a revision after a signature. */
struct crypto_change {
	size_t revision; /* 1-based revision that changed it */
	int obj, gen;    /* 0 0: the trailer */
	int allowed;
	char what[160];
};

struct crypto_sig_report {
	char field[128];    /* field name */
	int sig_obj;        /* object number of the signature dictionary */
	char subfilter[64]; /* e.g. "/ETSI.CAdES.detached", "" if absent */
	int doc_timestamp;  /* 1: a /DocTimeStamp (RFC 3161 over the ranges) */
	/* "pades_b", "pades_b_t" (with a signature timestamp), "pades_b_lt" (and a later
	   /DSS holds its revocation data: a /VRI entry for it, or the OCSP response or
	   CRL that answered its check, added after it), "pades_b_lta" (and a valid
	   document timestamp over such a DSS), "not_pades" (a sound signature that is not
	   PAdES baseline: not SubFilter ETSI.CAdES.detached, without ESS
	   signing-certificate(-v2), with signing-time, or a dictionary without /M), ""
	   (document timestamps) */
	char level[16];
	/* 1: the signer's revocation was answered by revocation data the document embeds:
	   its /DSS, or the signature's adbe-revocationInfoArchival attribute (Acrobat,
	   iText) */
	int rev_dss;
	/* ... by which item of the last DSS: 1 + its index among the OCSP responses
	   (rev_item_crl 0) or the CRLs (1); 0 when not answered by the DSS */
	size_t rev_item;
	int rev_item_crl;
	int certifying; /* DocMDP /P of a certifying signature, else 0 */
	enum crypto_verdict verdict;
	char reasons[CRYPTO_VERIFY_REASONS_MAX][40];
	size_t nreasons;
	char message[256]; /* the first problem, in words ("" when valid) */
	long long byte_range[4];
	size_t revision; /* 1-based revision it signs; 0 when none */
	/* the checks: 1 passed, 0 failed, -1 not reached or not applicable */
	int structure_ok, digest_ok, signature_ok, chain_ok, timestamp_ok, changes_ok;
	char digest_alg[16]; /* "SHA256", "SM3", ... */
	char sig_alg[32];    /* crypto_sigalg_name() or the OpenSSL name */
	int has_signer;
	struct crypto_cert_info signer;
	int has_timestamp;
	time_t ts_time;                /* genTime */
	char tsa[256];                 /* the TSA's subject */
	time_t checked_at;             /* the time the chain was checked at */
	struct crypto_change *changes; /* malloc'd, up to CRYPTO_VERIFY_CHANGES_MAX */
	size_t nchanges;
	size_t nallowed, ndisallowed; /* all changes after this signature */
	/* 1: in the part verified before (opts.verified_len): CMS not re-checked (unless a
	   later DSS brings its revocation evidence: then verified again, prior 0) */
	int prior;
	/* what its level rests on, whatever the level (so a report kept from before can be
	   brought up to date): the last /DSS holds its revocation data (a /VRI entry for
	   it, or the item that answered its check, added after it); and a valid document
	   timestamp after it covers a DSS with that entry or item */
	int ltv_dss, ltv_archived;
};

struct crypto_verify_report {
	size_t size; /* bytes verified */
	size_t nrevisions;
	size_t nsigs;
	struct crypto_sig_report *sigs;
	/* the signed signature fields the final revision's form lists, as
	   pdf_sig_fields_list_lazy() counts them (those only an earlier revision
	   shows are in sigs, not here) */
	size_t nlisted;
	int last_revision_signed; /* some signature's range ends at the last revision */
	int trailing_data;        /* bytes after the last %%EOF */
	char reason[40];          /* document-level: "unsigned_trailing_update", "" if none */
	char message[256];
	enum crypto_verdict verdict; /* the worst signature verdict, made indeterminate by an
					unsigned last revision (when nsigs > 0) */
};

/*
 * A signature value the caller verified with crypto_sig_verify() (a
 * completion checks the signer's value over the signed attributes before it
 * builds anything around it). A CMS signer whose certificate is this one
 * byte for byte, whose key's algorithm is alg, whose digest and signature
 * algorithms are the ones crypto_sig_verify() runs for alg, and whose signed
 * attributes as signed and signature value are exactly tbs and sig, is not
 * verified again: the same deterministic check over the same bytes with the
 * same key has answered already. All borrowed.
 */
struct crypto_sig_checked {
	X509 *cert;
	enum crypto_sigalg alg;
	const uint8_t *tbs;
	size_t tbslen;
	const uint8_t *sig;
	size_t siglen;
};

/*
 * The digest in alg of data[0..a) then data[b..end) of the very bytes
 * passed to crypto_pdf_verify(), as the caller computed it (a completion's
 * check of the signed attributes over the revision it filled): a signature
 * whose byte range is exactly this takes it instead of hashing those bytes
 * again in that algorithm.
 */
struct crypto_ranges_digest {
	size_t a, b, end;
	enum crypto_digest_alg alg;
	uint8_t d[CRYPTO_DIGEST_MAX];
	size_t dlen;
};

/* What the verifier trusts. Both stores are borrowed and read-only (shareable). */
struct crypto_verify_opts {
	struct crypto_trust *trust; /* signer roots + revocation; NULL: chains are untrusted */
	X509_STORE *ts_trust;       /* TSA roots; NULL: the roots of trust */
	/*
	 * > 0: the revisions within data[0..verified_len) were verified before,
	 * with everything they changed, and are byte for byte what was verified
	 * (completion: the stored revision a signature extends). Those up to the
	 * last one a signature signs are not opened or diffed again and their
	 * signatures' CMS is not checked again (prior = 1 in their reports); the
	 * later revisions' signatures and changes are (an unsigned update inside
	 * verified_len included), and the earlier signatures are judged by those
	 * changes. 0: verify everything.
	 */
	size_t verified_len;
	/*
	 * 1: the unsigned revisions at the end of verified_len (a DSS appended
	 * after the last signature) were verified too, so the next update is
	 * diffed against the revision at verified_len. 0: they are checked
	 * again (from the last revision a signature signs).
	 */
	int verified_tail;
	time_t at; /* the verification time ("now"), 0: the clock (tests and
				       audits move it: `sealpact verify --at`) */
	/*
	 * Documents the caller has already opened (pdf_doc_open or _view), so
	 * that a request opens each once: doc over data[0..len), verified_doc
	 * over data[0..verified_len). Borrowed: used, never freed; used by this
	 * call's thread only while it runs. NULL: opened here.
	 */
	struct pdf_doc *doc;
	struct pdf_doc *verified_doc;
	/*
	 * And one of data[0..rev_len), a revision between the two (completion
	 * at B-LT: the signed revision, before the long-term data after it),
	 * borrowed likewise; used for that revision instead of opening it.
	 * NULL or a rev_len no revision ends at: opened here.
	 */
	struct pdf_doc *rev_doc;
	size_t rev_len;
	/* and one more such revision (completion at B-LTA: the signed revision with its
	   DSS, before the document timestamp; crypto_ltv_known.ts_doc), likewise */
	struct pdf_doc *rev_doc2;
	size_t rev_len2;
	/*
	 * The object numbers the revisions within verified_len refer to, as an
	 * earlier verification of exactly those bytes gave them in *refs_out
	 * (ascending; borrowed): used instead of walking the last verified
	 * revision again when it ends at verified_len. NULL: walked.
	 */
	const int *verified_refs;
	size_t nverified_refs;
	/*
	 * Non-NULL: on SP_OK, when every update after the verified part was
	 * accounted for, *refs_out (the caller's, free()) holds the numbers the
	 * whole file's revisions refer to, for a later verified_refs; else NULL.
	 */
	int **refs_out;
	size_t *nrefs_out;
	/*
	 * > 0: verified_doc and verified_refs are of data[0..given_len) rather
	 * than of data[0..verified_len): bytes the caller opened or walked but
	 * that were never verified (an upload at its first signature, with
	 * verified_len 0). They only spare a parse or a walk; what is verified
	 * is verified_len's business alone. 0: verified_len.
	 */
	size_t given_len;
	/*
	 * The signature dictionaries as an earlier verification of exactly
	 * data[0..verified_len) read them in its last revision, packed (its
	 * *sigs_out; borrowed). Used only with verified_doc over those bytes:
	 * one whose read consulted no other object, and which no later update
	 * lists (nor redefines an object stream it could lie in), reads the same
	 * in this file, so it is taken as read instead of parsed again (its
	 * /Contents is the largest object of a signature: parsing every earlier
	 * one made a contract's k-th completion cost O(k)). A read whose gap
	 * that verification found to be its /Contents (gap_ok), a gap inside
	 * those bytes, is not compared with it again (the same bytes against
	 * the same string); every other structure check is made. NULL: all
	 * parsed.
	 */
	const uint8_t *verified_sigs;
	size_t verified_sigs_len;
	/*
	 * > 0: how many signed fields those bytes' last revision lists (the
	 * nlisted of that verification's report). When verified_sigs holds that
	 * many reads, it is all that revision lists, and a revision after it
	 * that still shows every one of them hides none (its form is not walked
	 * again to find one). 0: walked.
	 */
	size_t verified_nlisted;
	/*
	 * Non-NULL: on SP_OK, *sigs_out (the caller's, free(); NULL when none)
	 * holds the signature dictionaries as this file's last revision reads
	 * them, packed for a later verified_sigs (pdf_sig_reads_pack).
	 */
	uint8_t **sigs_out;
	size_t *sigs_out_len;
	/*
	 * The /VRI keys of the DSS of data[0..verified_len)'s last revision as
	 * an earlier verification of exactly those bytes read them (its
	 * *vri_out; borrowed): taken instead of reading that DSS again (a read
	 * inflates every stream the DSS holds, which grew with every signer) to
	 * tell which earlier signature a later DSS brings new evidence for; used
	 * only when the verified part ends there. NULL: read.
	 */
	const uint8_t *verified_vri;
	size_t verified_vri_len;
	/*
	 * /VRI keys hashed already (crypto_ltv_known.vri_memo of the DSS update
	 * being verified, borrowed): a signature whose /Contents is, byte for
	 * byte, one hashed there takes its key from there instead of hashing it
	 * again (a completion at B-LT hashed every signature twice). NULL: none.
	 */
	const uint8_t *vri_memo;
	size_t vri_memo_len;
	/*
	 * pdf_dss_read() of data[0..dss_known_len), a revision of data
	 * (crypto_ltv_known.dss_out of the DSS update being verified, borrowed):
	 * the final revision's DSS items that are the same objects, which no
	 * later update lists, are taken as read there (pdf_dss_read_known), not
	 * decoded again (a B-LT completion decoded every earlier signer's
	 * evidence twice). NULL: none.
	 */
	const struct pdf_dss *dss_known;
	size_t dss_known_len;
	/*
	 * Non-NULL: *dss_out (the caller's, free(); NULL when none) holds the
	 * read of data's DSS (pdf_dss_pack, when it read), for the next
	 * completion's DSS update of these bytes (crypto_ltv_known.dss_given).
	 */
	uint8_t **dss_out;
	size_t *dss_out_len;
	/*
	 * Non-NULL: on SP_OK, *vri_out (the caller's, free(); NULL when none)
	 * holds the /VRI keys of this file's last DSS when it read (no DSS reads
	 * as no keys), packed for a later verified_vri.
	 */
	uint8_t **vri_out;
	size_t *vri_out_len;
	/*
	 * Non-NULL: a digest context fed with data[0..hashed_len) (the caller's,
	 * borrowed and not changed), e.g. the stored revision a completion's
	 * update extends, which the caller hashed already: the signed ranges'
	 * digest of that algorithm goes on from a copy of it instead of hashing
	 * those bytes again (a signature whose first range ends before
	 * hashed_len is hashed from the start).
	 */
	const struct crypto_digest_ctx *hashed;
	size_t hashed_len;
	/* what the caller checked already on exactly these bytes (above); NULL: none */
	const struct crypto_sig_checked *sig_checked;
	const struct crypto_ranges_digest *ranges_known;
	/*
	 * The revisions pdf_revisions_find() found in exactly data[0..len)
	 * (revs_known[0..nrevs_known), borrowed; nrevs_known > 0): taken
	 * instead of following the chain of sections again (it reads every
	 * section's trailer: k of them at a contract's k-th signing). A failed
	 * find has no list to give: NULL, found here.
	 */
	const struct pdf_revision *revs_known;
	size_t nrevs_known;
};

/*
 * Verify every signature of the PDF data[0..len) (borrowed). On SP_OK
 * *out (crypto_verify_report_free) holds the verdicts, also when they are
 * invalid; nsigs == 0 means no verifiable signature. Errors only for what
 * makes any verdict impossible: SP_ERR_PDF (not a PDF or no readable
 * revision structure), SP_ERR_TOO_LARGE / SP_ERR_LIMIT, SP_ERR_NOMEM.
 * CPU-heavy and may block on OCSP: a worker thread or the CLI, never the
 * event loop. Any thread, concurrently on shared opts.
 */
int crypto_pdf_verify(const unsigned char *data, size_t len, const struct crypto_verify_opts *opts,
		      struct crypto_verify_report **out, struct sp_errinfo *ei) SP_WUR;
void crypto_verify_report_free(struct crypto_verify_report *r);

/* ==== end section: verification ==== */

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
