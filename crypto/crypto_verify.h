/*
 * crypto_verify.h: verification, from crypto.h (which includes it; include crypto.h).
 */
#ifndef SP_CRYPTO_VERIFY_H
#define SP_CRYPTO_VERIFY_H

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
 *     ts_tsa_cert_missing unsupported_algorithm unsupported_format
 *     changes_unverifiable
 *     revision_unreadable
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
/*
 * The work one verification may do on a file's revisions (opts->max_work's
 * default): each revision it opens counts CRYPTO_VERIFY_PAGE_WORK a page
 * (qpdf reads every page of it) and as much a signature field when its form
 * is walked for signatures, and each update's difference analysis the
 * objects its walks of a whole revision visit, and each signature value
 * read a unit every 2 x CRYPTO_VERIFY_BYTES_A_WORK bytes (verify_sigs.c
 * contents_charge: fields may share one). A file of many small
 * updates over many pages costs pages x updates: 500 updates of a
 * 3,000-page, 565 KB file held a worker for over a minute (sec48). About
 * 9,000 instructions a unit, 1 to 1.5 s of one core here for the default.
 * A revision costs some 26 units a page (opened, then walked at the next
 * update): a 300-page contract signed 20 times at B-LTA (41 revisions)
 * about 320,000; two updates over 10,000 pages 840,000. The file's size
 * adds a unit every CRYPTO_VERIFY_BYTES_A_WORK bytes (32 MiB: 8.4 M units,
 * some 10 s): a 1,000-page contract signed 20 times at B-LTA (41
 * revisions, about 1,070,000 units) is a big file, not an amplification,
 * and verifies; the 565 KB file above gets 141,000 more.
 */
#define CRYPTO_VERIFY_MAX_WORK 1000000ULL
#define CRYPTO_VERIFY_PAGE_WORK 16
#define CRYPTO_VERIFY_BYTES_A_WORK 4

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
	/* the work the pass over the revisions may do (CRYPTO_VERIFY_MAX_WORK's units;
	   0: that), past which the verification stops with SP_ERR_LIMIT, reason
	   pdf_limit */
	unsigned long long max_work;
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
#endif
