/*
 * crypto_cms.h: CMS signing and timestamps, from crypto.h (which includes it; include crypto.h).
 */
#ifndef SP_CRYPTO_CMS_H
#define SP_CRYPTO_CMS_H

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
 * value; it is counted, not built): the /Contents placeholder for a
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
#endif
