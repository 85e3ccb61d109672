/*
 * crypto_trust.h: trust, certificates, revocation, from crypto.h (which includes it; include crypto.h).
 */
#ifndef SP_CRYPTO_TRUST_H
#define SP_CRYPTO_TRUST_H

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
#endif
