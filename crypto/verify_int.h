/*
 * verify_int.h: declarations shared by crypto/verify*.c only.
 */
#pragma once

#include <openssl/evp.h>
#include <openssl/pkcs7.h>

#include "crypto_int.h"
#include "pdf.h"

/*
 * The signatures of one file share their hashing: signature k's first range,
 * data[0..a_k), is a prefix of every later signature's, so one running digest
 * per algorithm walks the file once, and each signature copies it at its own
 * a_k and adds only its second range (the rest of its update). k signatures
 * then cost the file's bytes plus their updates, not k times the file.
 */
#define VERIFY_HASHER_MDS 4
struct verify_hasher {
	struct {
		const EVP_MD *md;
		EVP_MD_CTX *c;
		size_t pos; /* bytes of data the running digest holds */
	} s[VERIFY_HASHER_MDS];
	size_t n;
};

/* Frees the running digests; the struct may be reused after memset 0. */
void verify_hasher_cleanup(struct verify_hasher *h);
/*
 * Start h's running digest of c's algorithm from a copy of c, which was fed
 * data[0..pos) (opts->hashed): nothing when h has one of that algorithm
 * already or the copy fails (then the bytes are hashed from the start).
 */
void verify_hasher_seed(struct verify_hasher *h, const struct crypto_digest_ctx *c, size_t pos);

/* The signed bytes of one signature: data[0..a) and data[b..end). */
struct verify_ranges {
	const unsigned char *data;
	size_t a, b, end;
	struct verify_hasher *hx; /* NULL: hash both ranges afresh */
	/* the caller's digest of the ranges it names (opts->ranges_known), or NULL */
	const struct crypto_ranges_digest *known;
	/* where a check adds the bytes it hashed on its own, outside the running digest
	   (EdDSA without signed attributes: verify_cms.c; a first range no running digest
	   continues: verify_ranges.c), or NULL */
	size_t *alone;
};

/* verify_cms.c: the signed attributes of si re-encoded as signed (a DER SET OF, in
   received order) into *der (OPENSSL_free), 1 when so */
int signed_attrs_der(CMS_SignerInfo *si, unsigned char **der, int *derlen);

/*
 * verify_eddsa.c: an Ed25519 or Ed448 signer's value sigval over si's signed
 * attributes (eddsa_verify), or without them over the ranges rg, or econtent
 * when not NULL (eddsa_bare_verify, which adds what it hashes to *rg->alone):
 * 1 when it verifies, rep says why not.
 */
int eddsa_verify(CMS_SignerInfo *si, X509 *signer, ASN1_OCTET_STRING *sigval,
		 struct crypto_sig_report *rep);
int eddsa_bare_verify(X509 *signer, const ASN1_OCTET_STRING *sigval, const struct verify_ranges *rg,
		      const unsigned char *econtent, size_t econtent_len,
		      struct crypto_sig_report *rep);

/*
 * Record a failed check on rep: raises rep->verdict to at least sev, adds
 * reason (once, up to CRYPTO_VERIFY_REASONS_MAX) and keeps the first message.
 */
void verify_fail(struct crypto_sig_report *rep, enum crypto_verdict sev, const char *reason,
		 const char *fmt, ...) SP_PRINTF(4, 5);

/*
 * The CMS checks of one signature (verify_cms.c): cms is the /Contents
 * string (DER plus zero padding); has_m: its dictionary has /M (for the
 * PAdES level). Fills rep's integrity, trust and timestamp fields, level and
 * reasons; never fails itself (everything is a verdict).
 */
void verify_cms(const struct crypto_verify_opts *opts, const struct verify_ranges *rg,
		const uint8_t *cms, size_t cmslen, int has_m, const struct crypto_evidence *ev,
		struct crypto_sig_report *rep);

/*
 * verify_ses.c: 1 when the /Contents der[0..n) (zero padding after it) is a
 * GB/T 38540 or GM/T 0031 SES_Signature: rep is then indeterminate,
 * unsupported_format, with the signer and algorithm it names. 0: it is not
 * one, rep untouched.
 */
int verify_ses_recognize(const uint8_t *der, size_t n, struct crypto_sig_report *rep);

/*
 * adbe.x509.rsa_sha1 (verify_pkcs1.c): sig is the /Contents string (the DER
 * OCTET STRING of a PKCS #1 v1.5 signature value, plus zero padding), certs
 * the dictionary's /Cert, the signer's first. Fills rep as verify_cms does.
 */
void verify_pkcs1(const struct crypto_verify_opts *opts, const struct verify_ranges *rg,
		  const uint8_t *sig, size_t siglen, const struct pdf_blob *certs, size_t ncerts,
		  const struct crypto_evidence *ev, struct crypto_sig_report *rep);

/* verify_cms_algs.c: digests a signature may use (1); MD5 and SHA-1 leave it indeterminate,
   as weak. */
int digest_ok(int nid, struct crypto_sig_report *rep, const char *what);
/* verify_cms_algs.c: digest_ok of an algorithm identifier, named by its OID where OpenSSL
   knows no name. */
int digest_obj_ok(const ASN1_OBJECT *o, struct crypto_sig_report *rep, const char *what);
/* verify_cms_algs.c: a signer's key under 112 bits of security makes rep indeterminate,
   weak_algorithm (the other checks still run). */
void key_strength_check(X509 *signer, struct crypto_sig_report *rep);
/* verify_cms_algs.c: a weak link of a verified chain (a key or a certificate's signature under
   112 bits of security; the leaf's key when leaf_key) makes rep indeterminate, weak_algorithm,
   naming the certificate (the leaf as `leaf` says). */
void verify_chain_strength(STACK_OF(X509) * chain, const char *leaf, int leaf_key,
			   struct crypto_sig_report *rep);
/* verify_cms_algs.c: the length of md's output in CMS (SHAKE128: 256 bits, SHAKE256: 512,
   RFC 8419, RFC 8702), and
   c's digest finished at that length into out (EVP_MAX_MD_SIZE bytes) (1). */
size_t verify_md_len(const EVP_MD *md);
int verify_md_final(EVP_MD_CTX *c, unsigned char *out, unsigned int *outlen);
/* d[0..n) digested with md so (1). */
int verify_md_digest(const EVP_MD *md, const unsigned char *d, size_t n, unsigned char *out,
		     unsigned int *outlen);
/*
 * RFC 8702's signature algorithms with SHAKE (verify_cms_shake.c):
 * 1.3.6.1.5.5.7.6.<last>, RSASSA-PSS or ECDSA, over md_nid's output of len
 * bytes (the message digest's length too), named so in reports.
 */
struct verify_shake_alg {
	unsigned char last;
	int pss;
	int md_nid;
	size_t len;
	const char *name;
};
/* The RFC 8702 algorithm sigalg names, or NULL (another one). */
const struct verify_shake_alg *verify_shake_alg(const X509_ALGOR *sigalg);
/* sig, a's signature over tbs[0..n) by signer's key, verified (1); rep says why not. */
int verify_shake_sig(const struct verify_shake_alg *a, X509 *signer, const unsigned char *tbs,
		     size_t n, const ASN1_OCTET_STRING *sig, struct crypto_sig_report *rep);
/* verify_cms_algs.c: 0 (rep indeterminate) when the digest dnid cannot go with signer's key
   and the signature algorithm (xa: RFC 8702's, else NULL): SHAKE256 alone is Ed448's
   (RFC 8419), SHAKE128 and SHAKE256 go with RFC 8702's algorithms of the same SHAKE. */
int verify_md_key_ok(int dnid, X509 *signer, const struct verify_shake_alg *xa,
		     struct crypto_sig_report *rep);
/* verify_cms_algs.c: 0 (rep made indeterminate, said why) when the digest dig or signature
   algorithm sigalg is written otherwise than RFC 8419 and RFC 8702 fix it for signer's key
   and xa (RFC 8702's signature algorithm, else NULL): parameters where they are absent, an
   EdDSA key's signature under another identifier. */
int verify_alg_ids_ok(const X509_ALGOR *dig, const X509_ALGOR *sigalg, X509 *signer,
		      const struct verify_shake_alg *xa, struct crypto_sig_report *rep);
/* The digest of rg's two ranges with md into out (1), from rg->hx's running digest. */
int ranges_digest(const EVP_MD *md, const struct verify_ranges *rg, unsigned char *out,
		  unsigned int *outlen);
/*
 * The signer's chain and revocation at the timestamp's time (else opts->at),
 * crypto_cert_check's reason mapped to a verdict. ev is the evidence the
 * check reads (the DSS's, with the signature's own after it), dss the DSS's
 * alone: rep->rev_item names one of its items only.
 */
void chain_check(const struct crypto_verify_opts *opts, X509 *signer, STACK_OF(X509) * extra,
		 const struct crypto_evidence *ev, const struct crypto_evidence *dss,
		 struct crypto_sig_report *rep);

/*
 * verify_ts.c: a TimeStampToken (p7) whose imprint must be over `what` (one
 * piece: a signature value), or over rg's ranges when what is NULL. The TSA's
 * chain, ESS certificate id and signature are checked at the token's own
 * genTime against opts->ts_trust (else the roots of trust), its revocation
 * in ev. sig_certs: the certificates of the signature stamped (NULL: none,
 * a document timestamp), where a token without certificates may find its
 * TSA's. Fills the timestamp fields of rep.
 */
void verify_ts_check(const struct crypto_verify_opts *opts, PKCS7 *p7, const uint8_t *what,
		     size_t whatlen, STACK_OF(X509) * sig_certs, const struct verify_ranges *rg,
		     const struct crypto_evidence *ev, struct crypto_sig_report *rep);

/* A /DocTimeStamp: the /Contents is an RFC 3161 token over the ranges (verify_ts.c). */
void verify_doc_timestamp(const struct crypto_verify_opts *opts, const struct verify_ranges *rg,
			  const uint8_t *tok, size_t toklen, const struct crypto_evidence *ev,
			  struct crypto_sig_report *rep);

/* ---- the engine (verify.c, verify_revisions.c, verify_changes.c; its long-term
   validation part in verify_ltv.c) ---- */

/*
 * One pass over the revisions, oldest first, with at most two of them open
 * (views over the caller's bytes, objects parsed when used): each revision
 * is read once, for its signature fields, the signatures that sign it and
 * its difference from the one before. Then every signature is judged from
 * what the pass found and its own CMS: the file's bytes plus k times the
 * cryptography, whatever k is.
 */
struct engine {
	const unsigned char *data;
	size_t len;
	struct pdf_revision *revs;
	size_t nrev;
	struct pdf_diff *diffs; /* diffs[j]: revision j against j - 1 */
	int *fstate;            /* 1 done, -1 could not be accounted for */
	int *mdp; /* docmdp_in_force() of each revision once the signatures are read (NULL) */
	char ferr[256];
	struct pdf_refs refs; /* object numbers the revisions so far refer to */
	int refs_ok;
	struct pdf_sig_field *sigs; /* the final revision's, then those earlier ones hid */
	size_t nsigs, capsigs;
	int *same; /* per signature: 1 its revision holds it, 0 not, -1 unknown, -2 unreadable */
	size_t nverified;   /* revisions [0, nverified) verified before (opts->verified_len) */
	struct pdf_dss dss; /* the last revision's document security store */
	struct crypto_evidence ev; /* its items, as revocation evidence */
	/* per signature: the revision its dictionary was read from, -1 not yet (a signature
	   of the final revision's list is read in the revision that last wrote it) */
	int *rd;
	int *lazy;        /* per signature: 1 listed by the final revision, read lazily */
	int listing_lost; /* some update's xref could not be listed: read from the final */
	struct verify_hasher hx;
	/* opts->verified_doc and where it ends: the caller's, opened for it, not freed here */
	struct pdf_doc *given;
	size_t given_end;
	struct pdf_doc *rev_doc; /* opts->rev_doc and where it ends (borrowed likewise) */
	size_t rev_end;
	struct pdf_doc *rev_doc2; /* opts->rev_doc2 and where it ends (borrowed likewise) */
	size_t rev_end2;
	const uint8_t *vri_memo; /* opts->vri_memo (borrowed) */
	size_t vri_memo_len;
	const struct pdf_dss *dss_known; /* opts->dss_known and its bytes' end (borrowed) */
	size_t dss_known_len;
	uint8_t **dss_out; /* opts->dss_out (engine_dss_evidence packs its read there) */
	size_t *dss_out_len;
	const int *given_refs; /* opts->verified_refs, what the revision ending there refers to */
	size_t ngiven_refs;
	/* opts->verified_sigs that read in the final revision as they did in the given one */
	struct pdf_sig_field *known;
	size_t nknown;
	/* every signature object (number, generation pairs) the given revision lists, when
	   opts->verified_sigs is all of them (opts->verified_nlisted); NULL: not known */
	int *given_listed;
	size_t ngiven_listed;
	/* the DSS of the last revision verified before: 0 not read, 1 read, -1 unreadable */
	struct pdf_dss vdss;
	int vdss_state;
	/* its /VRI keys as given (opts->verified_vri, of the bytes ending at
	   given_vri_end), NULL: read when asked */
	const uint8_t *given_vri;
	size_t given_vri_len, given_vri_end;
	int dss_read; /* dss (the last revision's) read: its keys can be handed on */
	/* vri_before()'s last revision read: its DSS (bdss_ok 1) or none (0) */
	struct pdf_dss bdss;
	size_t bdss_rev;
	int bdss_ok;
	/* per signature (nsigs), its /VRI key once hashed ("" not yet): engine_vri_new()
	   and engine_ltv_levels() both ask for every signature's, and each /Contents is the
	   largest object of a signature */
	char (*vkey)[41];
	/* the last gap read with white space (structure(): signatures in the order of
	   their first ranges, so fields sharing one dictionary, or one gap, come in a row):
	   its ranges, the value it was read against, and whether it spelled it */
	long long gap_br1, gap_br2;
	const unsigned char *gap_c;
	size_t gap_n;
	int gap_spaced, gap_set;
	/* opts->trust and opts->ts_trust (engine_dss_evidence keeps them): the levels ask
	   what a DSS answers, a TSA's chain found through the TSA roots its token was
	   checked against */
	struct crypto_trust *trust;
	X509_STORE *ts_trust;
	/* cross-reference entries the revisions opened so far read (engine_rev_open), each
	   revision's own and its sections' before it (xref_chain, NULL until one is opened),
	   and whether one was not opened for PDF_REVISIONS_MAX_READS */
	unsigned long long xref_reads;
	unsigned long long *xref_chain;
	/* and the work done so far (pages of the revisions opened, objects the diffs' walks
	   visited: CRYPTO_VERIFY_MAX_WORK) against max_work; over_reads 2: stopped for it */
	unsigned long long work, max_work;
	int over_reads;
	/* the page list (pdf_doc_page_objs) of the revision ending at pages_end (0: none),
	   handed from revision to revision while each update keeps it (rev_get_after) */
	int *pages;
	size_t npages, pages_end;
};

/*
 * verify_revisions.c: the revision a signature's range ends with, -1 when
 * none (the structure check says why).
 */
int engine_sig_revision(const struct engine *e, const struct pdf_sig_field *s);
/* Whether some signature's range ends with revision k. */
int engine_revision_signed(const struct engine *e, size_t k);
/*
 * Revision k open: the caller's (engine_held_rev), else opened on its own;
 * NULL when it cannot be read or qpdf had to repair it. Released with
 * engine_rev_put(e, d, last), which frees neither the caller's nor last.
 */
struct pdf_doc *engine_rev_get(struct engine *e, size_t k);
void engine_rev_put(struct engine *e, struct pdf_doc *d, struct pdf_doc *last);
/*
 * The pass over the revisions, oldest first, last being the final one
 * (open): e->diffs, e->fstate and e->same filled, the signatures read where
 * they were written. The revisions verified before (e->nverified) are not
 * opened. SP_OK also when it stopped for e->over_reads.
 */
int engine_revision_pass(struct engine *e, struct pdf_doc *last, struct sp_errinfo *ei);
/* verify_changes.c: the DocMDP /P in force over each revision, into e->mdp. */
void engine_docmdp_memo(struct engine *e);
/* What changed after revision k into rep, for s, a signature that signs it. */
void engine_changes_after(struct engine *e, size_t k, const struct pdf_sig_field *s,
			  struct crypto_sig_report *rep);
/* 1: signature i, verified before, gets new revocation evidence from a later DSS. */
int engine_vri_new(struct engine *e, size_t i);
/*
 * Revision k opened on its own (pdf_doc_open_view of its prefix), its reads
 * counted first: SP_ERR_LIMIT, nothing opened, once a verification would
 * read more than PDF_REVISIONS_MAX_READS cross-reference entries, or did
 * more than e->max_work (e->over_reads then makes crypto_pdf_verify answer
 * pdf_limit); its pages are counted as work.
 */
int engine_rev_open(struct engine *e, size_t k, struct pdf_doc **out);
/* n more units of work (CRYPTO_VERIFY_MAX_WORK): past e->max_work, e->over_reads is 2 and
   the pass stops before its next open or walk */
void engine_work_add(struct engine *e, unsigned long long n);
/* The last revision's DSS becomes the engine's evidence (t: its certificate cache). */
void engine_dss_evidence(struct engine *e, struct pdf_doc *doc, struct crypto_trust *t,
			 X509_STORE *ts_trust);
/* verify.c: the caller's open of the revision ending at end (opts->verified_doc, rev_doc,
   rev_doc2), NULL: none */
struct pdf_doc *engine_held_rev(const struct engine *e, size_t end);
/* Its /VRI keys into opts->vri_out (packed for a later verified_vri), when it read. */
void engine_vri_export(const struct engine *e, const struct crypto_verify_opts *opts);
/*
 * verify_sigs.c: the engine's list of signatures. rd is the revision the
 * field was read in (-1 the final one, -2 one only an earlier revision shows).
 */
/* Room for n signatures in e's list (engine_sigs_add grows it by doubling past that). */
int engine_sigs_reserve(struct engine *e, size_t n, struct sp_errinfo *ei);
int engine_sigs_add(struct engine *e, struct pdf_sig_field *s, int rd, struct sp_errinfo *ei);
/* Signatures revision d has that the final revision no longer shows (added with rd -2). */
int engine_sigs_hidden(struct engine *e, struct pdf_doc *d, struct sp_errinfo *ei);
/* 1 when d is the given revision and shows no signature the final revision hides. */
int engine_sigs_hide_none(const struct engine *e, const struct pdf_doc *d);
/* The final list's signatures that revision k's update wrote, read from revision k (cur). */
int engine_sigs_read_written(struct engine *e, size_t k, struct pdf_doc *cur,
			     struct sp_errinfo *ei);
/* The caller's earlier reads (opts->verified_sigs) that still read so in the final doc. */
int sigs_still_read(struct pdf_doc *doc, struct pdf_doc *given, size_t given_end,
		    const struct pdf_revision *revs, size_t nrev, struct pdf_sig_field *arr,
		    size_t *n, struct sp_errinfo *ei); /* verify_sigs.c */
int engine_sigs_known(struct engine *e, struct pdf_doc *doc, const struct crypto_verify_opts *opts,
		      struct sp_errinfo *ei);
/* The final list's signatures read from the final revision; those it lacks dropped. */
int engine_sigs_read_final(struct engine *e, struct pdf_doc *last, int all, struct sp_errinfo *ei);
/* The self-contained reads, packed into opts->sigs_out for the next verification. */
void engine_sigs_export(struct engine *e, const struct crypto_verify_opts *opts);
/* 1 when a gap with white space among its digits spells c[0..n) in hex (verify_sigs.c). */
int verify_gap_spaced_hex(const unsigned char *gap, size_t glen, const unsigned char *c, size_t n);
/* 1: every revision after the last signed one only adds validation data. */
int engine_ltv_tail(const struct engine *e, const struct crypto_verify_report *rep);
/* The PAdES levels beyond B-T of each signature of rep. */
void engine_ltv_levels(struct engine *e, struct crypto_verify_report *rep);
