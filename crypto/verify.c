/*
 * verify.c: the PDF signature verification engine (DESIGN §6): the
 * structure of each signature and its own checks (the CMS: verify_cms.c)
 * into one report. The pass over the revisions is verify_revisions.c's,
 * what their changes mean for each signature verify_changes.c's, the list
 * of signatures and their reads verify_sigs.c's.
 *
 * Each signature's signed range must end where a revision ends, and that
 * revision, opened on its own, must hold the same signature dictionary:
 * so the signed bytes are a complete PDF the signer saw, and everything
 * after them is an incremental update whose objects are accounted for.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "verify_int.h"

void
verify_fail(struct crypto_sig_report *rep, enum crypto_verdict sev, const char *reason,
	    const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (sev > rep->verdict)
		rep->verdict = sev;
	for (i = 0; i < rep->nreasons; i++)
		if (!strcmp(rep->reasons[i], reason))
			return;
	if (rep->nreasons < CRYPTO_VERIFY_REASONS_MAX)
		snprintf(rep->reasons[rep->nreasons++], sizeof(rep->reasons[0]), "%s", reason);
	if (!rep->message[0]) {
		va_start(ap, fmt);
		vsnprintf(rep->message, sizeof(rep->message), fmt, ap);
		va_end(ap);
	}
}

static const char *const key_reason[][2] = {
	/* PDF_SIG_KEY_MISSING.. */
	{ "contents_missing", "byterange_missing" },
	{ "contents_null", "byterange_null" },
	{ "contents_indirect", "byterange_indirect" },
	{ "contents_malformed", "byterange_malformed" },
};

/* The upper-case hex digit of a nibble, by arithmetic (no table: the loops below vectorize). */
static inline unsigned
hex_upper(unsigned v)
{
	return v + '0' + (v > 9) * 7;
}

/* Nonzero when gap[0..2m) is not c[0..m) spelled in upper case. */
static inline unsigned
upper_differs(const unsigned char *gap, const unsigned char *c, size_t m)
{
	unsigned d = 0;
	size_t j;

	for (j = 0; j < m; j++)
		d |= (gap[2 * j] ^ hex_upper(c[j] >> 4)) | (gap[2 * j + 1] ^ hex_upper(c[j] & 15));
	return d;
}

#define GAP_BLOCK \
	256 /* bytes of c compared at a time: a constant count, which GCC's -O2
			 vectorizes (an unknown count it leaves scalar) */

/*
 * 1 when gap[0..2n) spells c[0..n) in hex, each digit in either case (what
 * sp_hex_val reads). Every signature's gap is checked at every
 * verification (a contract's 20th completion checks 20 gaps of ~9 KB), so
 * each block of c is first compared with the gap as upper case, as
 * pdf_sig_fill writes it, a whole block at once; only a block that differs
 * (another writer's lower or mixed case, or a wrong gap) is compared digit
 * by digit, and that comparison alone decides.
 */
static int
gap_is_hex_of(const unsigned char *gap, const unsigned char *c, size_t n)
{
	static const unsigned char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	size_t i, j, m;
	unsigned hi, lo;

	for (i = 0; i < n; i += m) {
		m = n - i < GAP_BLOCK ? n - i : GAP_BLOCK;
		if (m == GAP_BLOCK ? upper_differs(gap + 2 * i, c + i, GAP_BLOCK) == 0
				   : upper_differs(gap + 2 * i, c + i, m) == 0)
			continue;
		for (j = i; j < i + m; j++) {
			hi = c[j] >> 4;
			lo = c[j] & 15;
			if ((gap[2 * j] != lower[hi] && gap[2 * j] != upper[hi]) ||
			    (gap[2 * j + 1] != lower[lo] && gap[2 * j + 1] != upper[lo]))
				return 0;
		}
	}
	return 1;
}

/*
 * verify_gap_spaced_hex() of s's gap, once for a run of signatures with the
 * same gap and value (e: the engine's memo). Only a gap whose white space is
 * at most as many bytes as its digits: the scan costs what the strict
 * comparison costs, proportional to the signature's own /Contents.
 */
static int
gap_spaced(struct engine *e, const unsigned char *d, const struct pdf_sig_field *s, size_t glen)
{
	const long long *br = s->byterange;
	int spaced;

	if (glen > 4 * s->contents_len + 2)
		return 0;
	if (e->gap_set && e->gap_br1 == br[1] && e->gap_br2 == br[2] &&
	    e->gap_n == s->contents_len && memcmp(e->gap_c, s->contents, s->contents_len) == 0)
		return e->gap_spaced;
	spaced = verify_gap_spaced_hex(d + br[1] + 1, glen, s->contents, s->contents_len);
	e->gap_br1 = br[1];
	e->gap_br2 = br[2];
	e->gap_c = s->contents;
	e->gap_n = s->contents_len;
	e->gap_spaced = spaced;
	e->gap_set = 1;
	return spaced;
}

/*
 * The rule two ranges br (offset, length each) break, NULL when none: ISO
 * 32000-2 §12.8.1 has them cover the whole file but the /Contents value,
 * so the first starts at the file's first byte and the second after the
 * first, each holding bytes, the second inside the file of len bytes.
 * Which one failed goes into why (the signer's tool, or the attack, shows).
 */
static const char *
byterange_broken(const long long *br, size_t len, char *why, size_t cap)
{
	if (br[0] != 0)
		snprintf(why, cap,
			 "the first range starts at byte %lld, not at the file's first (0)", br[0]);
	else if (br[1] <= 0 || br[3] <= 0)
		snprintf(why, cap, "a range of %lld bytes holds none", br[1] <= 0 ? br[1] : br[3]);
	else if (br[2] <= br[1])
		snprintf(why, cap,
			 "the second range starts at byte %lld, not after the first's end (%lld)",
			 br[2], br[1]);
	else if ((size_t)br[2] > len || (size_t)br[3] > len - (size_t)br[2])
		snprintf(why, cap, "the second range ends at byte %lld, past the file's end (%zu)",
			 br[2] + br[3], len);
	else
		return NULL;
	return "ISO 32000-2 §12.8.1 (the ranges cover the whole file but /Contents)";
}

/*
 * /Contents and /ByteRange as PDF 32000 §12.8.1 and the attacks require:
 * returns the index of the revision the range ends with, or -1 (rep says why).
 * gap_known: a verification of bytes d starts with, the gap among them,
 * found the gap to be exactly s->contents in hex, and s is that very read
 * (verify_one): the gap is not compared again, every other check is made.
 */
static int
structure(struct engine *e, const unsigned char *d, size_t len, const struct pdf_revision *revs,
	  size_t nrev, const struct pdf_sig_field *s, int gap_known, struct crypto_sig_report *rep)
{
	const long long *br = s->byterange;
	size_t i, p, end, glen;
	int spaced;
	const char *rule;
	char why[128];

	rep->structure_ok = 0;
	if (s->contents_state != PDF_SIG_KEY_OK) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, key_reason[s->contents_state - 1][0],
			    "/Contents is missing, null, indirect or not a string");
		return -1;
	}
	if (s->byterange_state != PDF_SIG_KEY_OK) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, key_reason[s->byterange_state - 1][1],
			    "/ByteRange %s", pdf_sig_byterange_why(s));
		return -1;
	}
	if (s->sig_obj <= 0) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "signature_dict_direct",
			    "the signature dictionary is not an indirect object");
		return -1;
	}
	if ((rule = byterange_broken(br, len, why, sizeof(why))) != NULL) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "byterange_invalid",
			    "/ByteRange [%lld %lld %lld %lld] breaks %s: %s", br[0], br[1], br[2],
			    br[3], rule, why);
		return -1;
	}
	/* the gap: exactly the /Contents hex string, nothing else (signature wrapping);
	   another writer's may have white space among its digits (spaced) */
	glen = (size_t)(br[2] - br[1] - 2);
	spaced = glen != 2 * s->contents_len && d[br[1]] == '<' && d[br[2] - 1] == '>' &&
		 gap_spaced(e, d, s, glen);
	if (d[br[1]] != '<' || d[br[2] - 1] != '>' || (glen != 2 * s->contents_len && !spaced)) {
		/* the ranges count from the file's first byte (pdfsig reads them so): bytes
		   put before the header after signing moved what they signed */
		size_t h = pdf_header_offset(d, len);

		if (h > 0 && (size_t)br[2] + (size_t)br[3] + h == len && d[br[1] + h] == '<' &&
		    d[br[2] + h - 1] == '>')
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "gap_not_contents",
				    "the unsigned gap is not exactly the /Contents string: the "
				    "signed ranges end %zu bytes before the file does, as many "
				    "as come before its %%PDF- header (put there after signing)",
				    h);
		else
			verify_fail(rep, CRYPTO_VERDICT_INVALID, "gap_not_contents",
				    "the unsigned gap is not exactly the /Contents string");
		return -1;
	}
	if (!gap_known && !spaced && !gap_is_hex_of(d + br[1] + 1, s->contents, s->contents_len)) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "gap_not_contents",
			    "the unsigned gap is not this signature's /Contents");
		return -1;
	}
	for (p = (size_t)br[1]; p > 0 && isspace(d[p - 1]); p--)
		;
	if (p < 9 || memcmp(d + p - 9, "/Contents", 9) != 0) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "gap_not_contents",
			    "the unsigned gap does not follow the /Contents key");
		return -1;
	}
	end = (size_t)(br[2] + br[3]);
	for (i = 0; i < nrev; i++)
		if (revs[i].end == end || revs[i].eof_end == end) {
			rep->structure_ok = 1;
			return (int)i;
		}
	verify_fail(rep, CRYPTO_VERDICT_INVALID, "byterange_not_revision_end",
		    "the signed range ends at %zu, which is not the end of a revision", end);
	return -1;
}

/*
 * adbe.x509.rsa_sha1: the certificates are the dictionary's /Cert as d, the
 * signed revision, has it (in the signed bytes, as /Contents is not); NULL d:
 * that revision cannot be read.
 */
static void
verify_x509(const struct crypto_verify_opts *opts, struct pdf_doc *d, size_t k,
	    const struct pdf_sig_field *s, const struct verify_ranges *rg,
	    const struct crypto_evidence *ev, struct crypto_sig_report *rep)
{
	struct pdf_blob *certs = NULL;
	size_t n = 0;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (!d)
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "revision_unreadable",
			    "the signed revision %zu cannot be read on its own", k + 1);
	else if (pdf_sig_cert_read(d, s->sig_obj, s->sig_gen, &certs, &n, &ei) != SP_OK)
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "signer_cert_missing", "%s", ei.msg);
	else
		verify_pkcs1(opts, rg, s->contents, s->contents_len, certs, n, ev, rep);
	pdf_blobs_free(certs, n);
}

/* src's text (at most srcsz bytes, NUL-terminated or not) into dst[0..dstsz), cut to fit. */
static void
str_put(char *dst, size_t dstsz, const char *src, size_t srcsz)
{
	size_t n = strnlen(src, srcsz);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* rep as s's dictionary gives it, every check not run yet. */
static void
report_start(struct crypto_sig_report *rep, const struct pdf_sig_field *s)
{
	/* copied as snprintf's "%s" would, without its format run k times a completion */
	str_put(rep->field, sizeof(rep->field), s->name, sizeof(s->name));
	str_put(rep->subfilter, sizeof(rep->subfilter), s->subfilter, sizeof(s->subfilter));
	rep->sig_obj = s->sig_obj;
	rep->certifying = s->docmdp_p;
	rep->doc_timestamp = !strcmp(s->type, "/DocTimeStamp");
	memcpy(rep->byte_range, s->byterange, sizeof(rep->byte_range));
	rep->digest_ok = rep->signature_ok = rep->chain_ok = rep->timestamp_ok = -1;
	rep->changes_ok = -1;
}

/*
 * The signature's own checks over its ranges (structure() passed): its CMS,
 * a document timestamp's token, or adbe.x509.rsa_sha1's value with the /Cert
 * of d, the signed revision k (NULL: opened here).
 */
static void
sig_checks(struct engine *e, const struct crypto_verify_opts *opts, struct pdf_doc *d, size_t k,
	   const struct pdf_sig_field *s, struct crypto_sig_report *rep)
{
	struct verify_ranges rg;
	struct pdf_doc *own = NULL;
	size_t alone = 0;

	rg.data = e->data;
	rg.a = (size_t)s->byterange[1];
	rg.b = (size_t)s->byterange[2];
	rg.end = rg.b + (size_t)s->byterange[3];
	rg.hx = &e->hx;
	rg.known = opts->ranges_known;
	rg.alone = &alone;
	if (rep->doc_timestamp) {
		verify_doc_timestamp(opts, &rg, s->contents, s->contents_len, &e->ev, rep);
	} else if (!strcmp(s->subfilter, "/adbe.x509.rsa_sha1")) {
		if (!d)
			d = own = engine_rev_get(e, k);
		verify_x509(opts, d, k, s, &rg, &e->ev, rep);
		if (own)
			engine_rev_put(e, own, NULL);
	} else {
		verify_cms(opts, &rg, s->contents, s->contents_len, s->has_m, &e->ev, rep);
	}
	/*
	 * What a signature hashed on its own, both ranges whole (PureEdDSA over the
	 * bytes themselves): charged after the fact, so the next field stops at the
	 * budget (review51: 200 fields naming one such signature over 24 MB hashed
	 * 4.8 GB, 6.5 s). A unit every 20 x CRYPTO_VERIFY_BYTES_A_WORK bytes lets a
	 * file's own twenty such signatures, each over about the whole file, verify
	 * within the file's own allowance (a unit every CRYPTO_VERIFY_BYTES_A_WORK).
	 */
	engine_work_add(e, alone / (20 * CRYPTO_VERIFY_BYTES_A_WORK));
}

static void
verify_one(struct engine *e, const struct crypto_verify_opts *opts, size_t i,
	   struct crypto_sig_report *rep)
{
	struct pdf_sig_field *s = &e->sigs[i];
	int k, gap_known;

	report_start(rep, s);
	/*
	 * A read taken as an earlier verification of the given bytes made it
	 * (take_known: it reads the same in this file), whose gap that
	 * verification found to be its /Contents, a gap inside those bytes:
	 * the same bytes (the given bytes are what data starts with) against
	 * the same string, so the same answer; not compared again (k gaps of
	 * some 9 KB each at a contract's k-th completion). Every other check
	 * of the structure is made, this file's revisions included.
	 */
	gap_known = s->gap_ok && e->given != NULL && s->byterange_state == PDF_SIG_KEY_OK &&
		    s->byterange[2] > 0 && (size_t)s->byterange[2] <= e->given_end;
	k = structure(e, e->data, e->len, e->revs, e->nrev, s, gap_known, rep);
	/* for the next verification of this file's bytes (engine_sigs_export) */
	s->gap_ok = rep->structure_ok == 1;
	if (k < 0)
		return;
	rep->revision = (size_t)k + 1;
	if (e->same[i] < 0) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "revision_unreadable",
			    "the signed revision %d cannot be read on its own", k + 1);
		return;
	}
	if (e->same[i] == 0) {
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "signature_not_in_signed_revision",
			    "the signed revision does not hold this signature dictionary");
		return;
	}
	if ((size_t)k < e->nverified && !engine_vri_new(e, i)) {
		/* verified when its revision was: only what changed since is news */
		rep->prior = 1;
		engine_changes_after(e, (size_t)k, s, rep);
		return;
	}
	sig_checks(e, opts, NULL, (size_t)k, s, rep);
	engine_changes_after(e, (size_t)k, s, rep);
}

struct sig_order {
	long long a;
	size_t i;
};

static int
by_first_range(const void *x, const void *y)
{
	const struct sig_order *p = x, *q = y;

	return (p->a > q->a) - (p->a < q->a);
}

/*
 * Signatures over a file whose revisions cannot be told apart (its
 * cross-reference chain contradicts itself: a damaged file someone signed,
 * or an update that hides where it starts). One whose range covers the
 * whole file has no later bytes to judge: its own checks run, and the
 * verdict is at best indeterminate, since its revisions cannot be read as
 * every viewer would read them (PDFBox signs a damaged file so). Any other
 * is invalid: what came after it cannot be accounted for.
 */
static int
broken_chain(struct engine *e, const struct crypto_verify_opts *opts, struct pdf_doc *doc,
	     struct crypto_verify_report *rep, const struct sp_errinfo *why, struct sp_errinfo *ei)
{
	struct pdf_revision whole;
	struct crypto_sig_report probe;
	const unsigned char *eof;
	size_t i;

	if (!(rep->sigs = calloc(e->nsigs, sizeof(*rep->sigs))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	rep->nsigs = e->nsigs;
	/* the file as one revision: where a range that signs all of it ends */
	memset(&whole, 0, sizeof(whole));
	whole.end = whole.eof_end = e->len;
	for (eof = e->data; (eof = memmem(eof, e->len - (size_t)(eof - e->data), "%%EOF", 5));
	     eof++)
		whole.eof_end = (size_t)(eof - e->data) + 5;
	rep->verdict = CRYPTO_VERDICT_INDETERMINATE;
	for (i = 0; i < e->nsigs; i++) {
		const struct pdf_sig_field *sg = &e->sigs[i];
		struct crypto_sig_report *s = &rep->sigs[i];
		report_start(s, sg);
		s->structure_ok = 0;
		/* (its structure's own proofs stand; not ending at the end is this reason) */
		probe = *s;
		if (structure(e, e->data, e->len, &whole, 1, sg, 0, &probe) != 0 &&
		    strcmp(probe.reasons[0], "byterange_not_revision_end") != 0) {
			*s = probe;
		} else if (probe.structure_ok != 1) {
			verify_fail(s, CRYPTO_VERDICT_INVALID, "revision_structure",
				    "the chain of revisions is broken: %.200s", why->msg);
		} else {
			*s = probe;
			sig_checks(e, opts, doc, 0, sg, s);
			verify_fail(s, CRYPTO_VERDICT_INDETERMINATE, "revision_structure",
				    "the file's revisions cannot be told apart (%.200s): the "
				    "signature covers all of it, but viewers may read it "
				    "differently",
				    why->msg);
		}
		if (s->verdict == CRYPTO_VERDICT_INVALID)
			rep->verdict = CRYPTO_VERDICT_INVALID;
	}
	snprintf(rep->reason, sizeof(rep->reason), "revision_structure");
	snprintf(rep->message, sizeof(rep->message), "%.200s", why->msg);
	return SP_OK;
}

int
crypto_pdf_verify(const unsigned char *data, size_t len, const struct crypto_verify_opts *opts,
		  struct crypto_verify_report **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, broken = 0;
	struct crypto_verify_report *rep = NULL;
	struct pdf_sig_field *sigs = NULL;
	struct pdf_doc *doc = NULL;
	struct engine e;
	struct sp_errinfo rei;
	size_t nsigs = 0, i, j, glen;
	struct sig_order *order = NULL;
	static const struct crypto_verify_opts none;

	*out = NULL;
	memset(&e, 0, sizeof(e));
	if (!opts)
		opts = &none;
	e.data = data;
	e.len = len;
	/* and a unit for every CRYPTO_VERIFY_BYTES_A_WORK bytes of the file: a big contract
	   signed many times is as much work as its size, not an amplification of it */
	e.max_work = (opts->max_work > 0 ? opts->max_work : CRYPTO_VERIFY_MAX_WORK) +
		     len / CRYPTO_VERIFY_BYTES_A_WORK;
	/* the caller's revisions of these bytes, else room for pdf_revisions_find's */
	if (opts->revs_known != NULL && opts->nrevs_known > 0 &&
	    opts->nrevs_known <= PDF_REVISIONS_MAX) {
		if ((e.revs = malloc(opts->nrevs_known * sizeof(*e.revs))) != NULL) {
			memcpy(e.revs, opts->revs_known, opts->nrevs_known * sizeof(*e.revs));
			e.nrev = opts->nrevs_known;
		}
	} else {
		/* not zeroed (28 KiB): pdf_revisions_find() sets the e.nrev entries read */
		e.revs = malloc(PDF_REVISIONS_MAX * sizeof(*e.revs));
	}
	if (!(rep = calloc(1, sizeof(*rep))) || e.revs == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	rep->size = len;
	glen = opts->given_len > 0 ? opts->given_len : opts->verified_len;
	if (opts->verified_doc != NULL && glen > 0 && glen < len) {
		e.given = opts->verified_doc;
		e.given_end = glen;
	}
	if (opts->rev_doc != NULL && opts->rev_len > 0 && opts->rev_len < len &&
	    opts->rev_len != glen) {
		e.rev_doc = opts->rev_doc;
		e.rev_end = opts->rev_len;
	}
	if (opts->rev_doc2 != NULL && opts->rev_len2 > 0 && opts->rev_len2 < len &&
	    opts->rev_len2 != glen && (e.rev_doc == NULL || opts->rev_len2 != e.rev_end)) {
		e.rev_doc2 = opts->rev_doc2;
		e.rev_end2 = opts->rev_len2;
	}
	if (opts->verified_refs != NULL && glen > 0 && glen < len) {
		e.given_refs = opts->verified_refs;
		e.ngiven_refs = opts->nverified_refs;
		e.given_end = glen;
	}
	if (opts->refs_out != NULL) {
		*opts->refs_out = NULL;
		*opts->nrefs_out = 0;
	}
	if (opts->sigs_out != NULL) {
		*opts->sigs_out = NULL;
		*opts->sigs_out_len = 0;
	}
	if (opts->vri_out != NULL) {
		*opts->vri_out = NULL;
		*opts->vri_out_len = 0;
	}
	if (opts->dss_out != NULL) {
		*opts->dss_out = NULL;
		*opts->dss_out_len = 0;
		e.dss_out = opts->dss_out;
		e.dss_out_len = opts->dss_out_len;
	}
	if (opts->verified_vri != NULL && opts->verified_len > 0) {
		e.given_vri = opts->verified_vri;
		e.given_vri_len = opts->verified_vri_len;
		e.given_vri_end = opts->verified_len;
	}
	e.vri_memo = opts->vri_memo;
	e.vri_memo_len = opts->vri_memo != NULL ? opts->vri_memo_len : 0;
	if (opts->dss_known != NULL && opts->dss_known_len > 0 && opts->dss_known_len <= len) {
		e.dss_known = opts->dss_known;
		e.dss_known_len = opts->dss_known_len;
	}
	if (opts->hashed != NULL && opts->hashed_len <= len)
		verify_hasher_seed(&e.hx, opts->hashed, opts->hashed_len);
	if (opts->doc != NULL)
		doc = opts->doc;
	else if ((r = pdf_doc_open_view(data, len, &doc, ei)) < 0)
		goto out;
	sp_errinfo_init(&rei);
	if (e.nrev == 0 &&
	    pdf_revisions_find(data, len, e.revs, PDF_REVISIONS_MAX, &e.nrev, &rei) < 0) {
		/* unsigned and oddly built: there is simply nothing to verify; signed, the
		   chain of revisions contradicts itself, which no signer's tool writes */
		e.nrev = 0;
		broken = 1;
	}
	/* every signature dictionary of a file from outside read from its bytes, before the
	   listing below resolves each field's /V: qpdf parsed each /Contents a character at
	   a time (1.5 M instructions for 9 KB, 28 M of a 20-signature file's listing) */
	if (doc != opts->doc && !broken)
		(void)pdf_doc_sigs_preload_revs(doc, e.revs, e.nrev);
	/* the earlier signatures as the given revision read them: not parsed again */
	if (!broken && opts->verified_sigs != NULL &&
	    (r = engine_sigs_known(&e, doc, opts, ei)) < 0)
		goto out;
	if ((r = e.nknown > 0 ? pdf_sig_fields_list_known(doc, e.known, e.nknown, &sigs, &nsigs, ei)
			      : pdf_sig_fields_list_lazy(doc, &sigs, &nsigs, ei)) < 0)
		goto out;
	rep->nlisted = nsigs;
	engine_dss_evidence(&e, doc, opts->trust, opts->ts_trust);
	if ((r = engine_sigs_reserve(&e, nsigs, ei)) < 0)
		goto out;
	for (i = 0; i < nsigs; i++)
		if ((r = engine_sigs_add(&e, &sigs[i], -1, ei)) < 0)
			goto out;
	if (e.nsigs > 0 && broken && (r = engine_sigs_read_final(&e, doc, 1, ei)) < 0)
		goto out;
	if (e.over_reads)
		goto over_reads;
	/*
	 * The revisions verified before: within verified_len, up to the last one a
	 * signature signs (an unsigned update after it, e.g. one appended after
	 * that verification, is checked again); the last revision always is. The
	 * signatures are read from the final revision first, so that their ranges
	 * say which revisions they sign (revision_pass does not open the others).
	 */
	if (opts->verified_len > 0 && e.nsigs > 0 && !broken) {
		if ((r = engine_sigs_read_final(&e, doc, 1, ei)) < 0)
			goto out;
		if (e.over_reads)
			goto over_reads;
		for (i = 0; i + 1 < e.nrev; i++)
			if (e.revs[i].end <= opts->verified_len)
				e.nverified = i + 1;
		while (e.nverified > 0 && !opts->verified_tail &&
		       !engine_revision_signed(&e, e.nverified - 1))
			e.nverified--;
	}
	if (e.nsigs > 0 && broken) {
		if ((r = broken_chain(&e, opts, doc, rep, &rei, ei)) < 0)
			goto out;
		*out = rep;
		rep = NULL; /* transferred */
		goto out;
	}
	if (e.nrev > 0 && (!(e.diffs = calloc(e.nrev, sizeof(*e.diffs))) ||
			   !(e.fstate = calloc(e.nrev, sizeof(*e.fstate))))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* signatures a later revision unhooked (e.g. a replaced /Root) are still verified */
	if ((e.nsigs > 0 || e.nrev > 1) && (r = engine_revision_pass(&e, doc, ei)) < 0)
		goto out;
	if (e.over_reads)
		goto over_reads;
	/* what the revisions refer to, for the next verification of this file plus an update */
	if (opts->refs_out != NULL && (e.nsigs > 0 || e.nrev > 1) && e.refs_ok && e.nrev > 0 &&
	    e.revs[e.nrev - 1].end == len) {
		/* only a set built update by update (no update left unaccounted for) */
		for (i = 1; i < e.nrev && e.fstate[i] == 1; i++)
			;
		if (i == e.nrev &&
		    pdf_refs_export(&e.refs, opts->refs_out, opts->nrefs_out, &rei) != SP_OK) {
			*opts->refs_out = NULL;
			*opts->nrefs_out = 0;
		}
	}
	/* and its DSS's /VRI keys */
	if (!pdf_doc_damaged(doc))
		engine_vri_export(&e, opts);
	if (e.nsigs == 0) {
		*out = rep;
		rep = NULL; /* transferred */
		r = SP_OK;
		goto out;
	}
	rep->nrevisions = e.nrev;
	rep->trailing_data = e.revs[e.nrev - 1].trailing_garbage;
	if (!(rep->sigs = calloc(e.nsigs, sizeof(*rep->sigs)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	rep->nsigs = e.nsigs;
	/* in the order of their first ranges, so that the hashing walks the file once; each
	   one's /VRI key hashed once for both the evidence's news and the levels */
	if (!(order = calloc(e.nsigs, sizeof(*order))) ||
	    !(e.vkey = calloc(e.nsigs ? e.nsigs : 1, sizeof(*e.vkey)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < e.nsigs; i++) {
		order[i].i = i;
		order[i].a =
			e.sigs[i].byterange_state == PDF_SIG_KEY_OK ? e.sigs[i].byterange[1] : 0;
	}
	qsort(order, e.nsigs, sizeof(*order), by_first_range);
	engine_docmdp_memo(&e);
	for (j = 0; j < e.nsigs; j++) {
		i = order[j].i;
		/* a job nobody waits for stops here, between two signatures (sp.h) */
		if ((r = sp_cancel_check(ei)) != SP_OK)
			goto out;
		/* not zeroed: engine_changes_after() sets every field of each change it lists, and
		   only those (nchanges) are read; zeroing room for 64 changes (~12 KB) for
		   every signature, k of them at a contract's k-th signing, was for nothing */
		if (!(rep->sigs[i].changes =
			      malloc(CRYPTO_VERIFY_CHANGES_MAX * sizeof(*rep->sigs[i].changes)))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		verify_one(&e, opts, i, &rep->sigs[i]);
		if (e.over_reads)
			goto over_reads;
		if (rep->sigs[i].verdict > rep->verdict)
			rep->verdict = rep->sigs[i].verdict;
		if (rep->sigs[i].structure_ok == 1 && rep->sigs[i].revision == e.nrev)
			rep->last_revision_signed = 1;
	}
	/* the signatures as the final revision reads them, for the next verification: after
	   verify_one() marked the gaps found to be their /Contents */
	if (opts->sigs_out != NULL && !e.listing_lost && !pdf_doc_damaged(doc))
		engine_sigs_export(&e, opts);
	engine_ltv_levels(&e, rep);
	if (!rep->last_revision_signed && engine_ltv_tail(&e, rep))
		rep->last_revision_signed = 1;
	if (!rep->last_revision_signed || rep->trailing_data) {
		rep->last_revision_signed = 0;
		snprintf(rep->reason, sizeof(rep->reason), "unsigned_trailing_update");
		snprintf(rep->message, sizeof(rep->message),
			 rep->trailing_data
				 ? "bytes after the last revision are not signed"
				 : "the last revision (%zu) is not covered by a signature",
			 e.nrev);
		if (rep->verdict < CRYPTO_VERDICT_INDETERMINATE)
			rep->verdict = CRYPTO_VERDICT_INDETERMINATE;
	}
	if (e.over_reads)
		goto over_reads;
	*out = rep;
	rep = NULL; /* transferred */
	r = SP_OK;
	goto out;
over_reads:
	if (e.over_reads == 2)
		r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				  "verifying the PDF's %zu revisions takes more than its budget "
				  "of %llu units of work (%d a page of each revision read, one "
				  "an object compared or %d bytes of a signature value read): "
				  "too many updates over too many pages, or too many fields "
				  "sharing a signature",
				  e.nrev, e.max_work, CRYPTO_VERIFY_PAGE_WORK,
				  2 * CRYPTO_VERIFY_BYTES_A_WORK);
	else
		r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				  "verifying the PDF's %zu revisions would read more than %d "
				  "cross-reference entries (each revision is read with every "
				  "section before it)",
				  e.nrev, PDF_REVISIONS_MAX_READS);
out:
	free(e.xref_chain);
	free(e.pages);
	for (i = 0; i < e.nrev && e.diffs; i++)
		pdf_diff_cleanup(&e.diffs[i]);
	free(e.diffs);
	free(e.fstate);
	free(e.mdp);
	free(e.revs);
	pdf_refs_cleanup(&e.refs);
	pdf_sig_fields_free(e.sigs, e.nsigs);
	pdf_sig_fields_free(e.known, e.nknown);
	free(e.given_listed);
	free(e.same);
	pdf_dss_cleanup(&e.dss);
	pdf_dss_cleanup(&e.vdss);
	pdf_dss_cleanup(&e.bdss);
	free(e.vkey);
	crypto_evidence_cleanup(&e.ev);
	free(e.rd);
	free(e.lazy);
	free(order);
	verify_hasher_cleanup(&e.hx);
	pdf_sig_fields_free(sigs, nsigs); /* entries moved to e.sigs hold nothing */
	if (doc != opts->doc)
		pdf_doc_free(doc);
	crypto_verify_report_free(rep);
	return r;
}

void
crypto_verify_report_free(struct crypto_verify_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nsigs && r->sigs; i++)
		free(r->sigs[i].changes);
	free(r->sigs);
	free(r);
}

/* The verdicts' stable names, as the report and the API spell them. */
const char *
crypto_verdict_name(enum crypto_verdict v)
{
	switch (v) {
	case CRYPTO_VERDICT_VALID:
		return "valid";
	case CRYPTO_VERDICT_VALID_ALLOWED_CHANGES:
		return "valid_with_allowed_changes";
	case CRYPTO_VERDICT_INDETERMINATE:
		return "indeterminate";
	case CRYPTO_VERDICT_INVALID:
		return "invalid";
	}
	return "invalid";
}
