/*
 * signing_done_work.c: a completion's work on the worker (signing_done.h):
 * the token's signature checked, the timestamp, the CMS, the placeholder
 * filled, the new revision checked (signing_done_open.c) and, with the
 * long-term data at B-LT / B-LTA, verified in one pass of the engine; what
 * the next completion and prepare here can take as read is kept by the
 * stored bytes' digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "crypto.h"
#include "pdf.h"
#include "signing_done.h"
#include "state.h"
#include "verify_report.h"

/* A stored report larger than this is not kept (the contract's verification builds it). */
#define STORED_REPORT_MAX (1024 * 1024)

/*
 * What the contract's verification will answer for this revision, kept with
 * it: the engine's report when it verified the whole file (the upload's
 * first signing), else the base revision's stored report with this one's
 * news (verify_report_base_merge). None (NULL) when that cannot be exact or
 * is too large: reading then verifies the file itself, as before.
 */
/* base: the base's stored report, opened once for both uses (NULL: none) */
static void
report_keep(struct done_job *j, const struct crypto_verify_report *rep,
	    struct verify_report_base *base)
{
	size_t len;
	int r;

	if (j->s->base_seq == 0)
		r = verify_report_text(rep, STORED_REPORT_MAX, &j->report, &len);
	else if (base != NULL)
		r = verify_report_base_merge(base, rep, STORED_REPORT_MAX, &j->report, &len,
					     &j->report_index, &j->report_index_len);
	else
		r = SP_OK;
	if (r != SP_OK) {
		free(j->report);
		j->report = NULL;
		free(j->report_index);
		j->report_index = NULL;
	}
}

/*
 * The new revision through the verification engine (DESIGN §6): the new
 * signature (the one whose range ends where the signed revision ends) must
 * be valid, with its timestamp, and no earlier signature may have become
 * invalid through the new update (an earlier one may be indeterminate).
 * data[0..len) is the signed revision, or it with the DSS and document
 * timestamp done_ltv() appended: then one pass verifies those too (the new
 * signature with the DSS's revocation evidence, as any later verification
 * will), and whatever they add must be valid. revs[0..nrevs): data's
 * revisions as done_revisions_of() found them (NULL: the engine finds them).
 * starts: 1 when data is longer and starts with the signed revision's bytes
 * (done_work compared them once: each comparison here read the whole file).
 */
static int
engine_check(struct done_job *j, const uint8_t *data, size_t len, const struct pdf_revision *revs,
	     size_t nrevs, int starts, struct sp_errinfo *ei)
{
	const struct db_signing_session *ss = j->s;
	struct crypto_verify_opts vo;
	struct crypto_verify_report *rep = NULL;
	const struct crypto_sig_report *s;
	uint8_t skey[32], *given_vri = NULL;
	int *refs = NULL;
	const uint8_t *given_sigs = NULL;
	struct blob_ref *given_ref = NULL;
	size_t i, nnew = 0, rlen = 0, glen = 0, vlen = 0;
	/* the base's stored report (all its signatures): as this process holds it with the
	   base (the claim did not send it), or as the claim sent it; indexed once, here */
	int held_text = ss->base_verification_held && j->held != NULL;
	const char *base_text = held_text ? j->held->report : ss->base_verification;
	struct verify_report_base *base = NULL;
	int r = SP_ERR_INTERNAL;

	/* the held report with the index its merge made of it: not scanned again */
	if (ss->base_seq > 0 && base_text != NULL &&
	    (r = held_text ? verify_report_base_open_indexed(base_text, j->held->report_len,
							     j->held->report_index,
							     j->held->report_index_len, &base)
			   : verify_report_base_open(base_text, &base)) != SP_OK)
		return sp_err(ei, r, "out of memory");
	memset(&vo, 0, sizeof(vo));
	vo.trust = j->trust;
	vo.max_work = j->max_work;
	/*
	 * Verify once: a stored revision after the upload was verified, with all
	 * it changed, by the completion that stored it, and the new file starts
	 * with its bytes. So only the new signature and the new update's changes
	 * are checked, and the earlier signatures judged by those changes: a
	 * contract's k-th signing no longer re-verifies k - 1 signatures. The
	 * upload (base_seq 0) is verified whole, as it was never verified here;
	 * an unsigned update at the base's end is checked again by the engine.
	 */
	vo.verified_len = ss->base_seq > 0 ? ss->orig_len : 0;
	/* a base whose report was kept was verified to its end, a DSS after its signature
	   included (done_ltv): the new update is diffed against the base itself */
	vo.verified_tail = vo.verified_len > 0 && verify_report_base_covers(base, ss->orig_len);
	/* the documents done_revision_check() opened: one parse of each per completion (the
	   upload's too, which is not verified but needs no second open) */
	vo.doc = len == ss->document_len ? j->new_doc : j->ltv_doc;
	/* the signed revision, between the base and the long-term data: not opened again
	   (its page list is the base's, which the difference check of the next update needs) */
	if (len != ss->document_len && j->new_pages_ok) {
		vo.rev_doc = j->new_doc;
		vo.rev_len = ss->document_len;
	}
	/* the /VRI keys done_ltv hashed: a signature's is taken where its /Contents is the
	   very bytes hashed there */
	vo.vri_memo = j->vri_memo;
	vo.vri_memo_len = j->vri_memo_len;
	/* and the DSS as that update read it (the signed revision's) or wrote it (its own, the
	   bytes of data it ends; j->dss_known.len says which): the items it kept by reference
	   are not decoded again, nor the DSS it wrote parsed (data starts with the signed
	   revision, compared) */
	if (len > ss->document_len && (j->dss_known.present || j->dss_known.size > 0) &&
	    j->dss_known.len >= ss->document_len && j->dss_known.len <= len && starts) {
		vo.dss_known = &j->dss_known;
		vo.dss_known_len = j->dss_known.len;
	}
	/* and the one under the document timestamp, as that opened it (done_ltv) */
	if (len != ss->document_len && j->ts_doc != NULL) {
		vo.rev_doc2 = j->ts_doc;
		vo.rev_len2 = j->ts_doc_len;
	}
	/* the base and the update up to its /Contents, hashed once by done_work and
	   done_revision_check (SHA-256, j->tail_len bytes): the engine's hashing of ranges goes
	   on from there (data starts with those very bytes: the signed revision, or it
	   with the long-term data appended, compared) */
	if (j->tail != NULL && (data == ss->document || starts) &&
	    j->tail_len <= ss->document_len) {
		vo.hashed = j->tail;
		vo.hashed_len = j->tail_len;
	}
	vo.verified_doc = j->base_doc;
	vo.given_len = ss->orig_len;
	/* data's revisions as done_revisions_of() found them in these very bytes (NULL: none) */
	vo.revs_known = revs;
	vo.nrevs_known = revs != NULL ? nrevs : 0;
	/* the signer's value, verified by done_work with the same key over the same
	   attributes; and the signed ranges' digest done_revision_check took of the signed
	   revision, which data is or starts with (compared) */
	vo.sig_checked = j->sig_checked.cert != NULL ? &j->sig_checked : NULL;
	if (j->ranges.dlen > 0 && len >= ss->document_len && (data == ss->document || starts))
		vo.ranges_known = &j->ranges;
	/*
	 * What the base's revisions refer to, as the completion that verified
	 * the base found it, or for the upload as its normalization found it
	 * (a process cache by the base's digest: exactly these bytes), so the
	 * engine need not walk the whole base to see whether the update fills
	 * a reference it already made; on a miss (another process, a restart)
	 * it walks it.
	 */
	j->refs_from = done_refs_given(j, &refs, &rlen);
	vo.verified_refs = refs;
	vo.nverified_refs = rlen;
	if (j->have_base_dig) {
		/* and its earlier signatures as that completion read them: not parsed again
		   (lent, not copied: every earlier /Contents) */
		blob_cache_key("sigs", j->base_dig, skey);
		if (blob_cache_borrow(j->reads_cache, skey, &given_sigs, &glen, &given_ref) ==
		    SP_OK) {
			vo.verified_sigs = given_sigs;
			vo.verified_sigs_len = glen;
			/* how many the base lists: when those reads are all, it hides none */
			vo.verified_nlisted = j->base_nsigned > 0 ? (size_t)j->base_nsigned : 0;
		}
		/* and the /VRI keys of its DSS as that completion read them: not read again
		   (asked for only when an earlier signature may get a /VRI entry now) */
		blob_cache_key("vris", j->base_dig, skey);
		if (j->level >= 1 && vo.verified_len > 0 &&
		    blob_cache_get(j->reads_cache, skey, &given_vri, &vlen) == SP_OK) {
			vo.verified_vri = given_vri;
			vo.verified_vri_len = vlen;
		}
	}
	free(j->refs_out);
	j->refs_out = NULL;
	vo.refs_out = &j->refs_out;
	vo.nrefs_out = &j->nrefs_out;
	free(j->sigs_out);
	j->sigs_out = NULL;
	vo.sigs_out = &j->sigs_out;
	vo.sigs_out_len = &j->sigs_out_len;
	/* the /VRI keys for the next completion: only where the next one asks (B-LT, B-LTA) */
	free(j->vri_out);
	j->vri_out = NULL;
	free(j->dss_out);
	j->dss_out = NULL;
	if (j->level >= 1) {
		vo.vri_out = &j->vri_out;
		vo.vri_out_len = &j->vri_out_len;
		vo.dss_out = &j->dss_out;
		vo.dss_out_len = &j->dss_out_len;
	}
	/* without the base's reads the engine reads its signatures from the base's view */
	if (vo.verified_sigs == NULL)
		done_base_preload(j);
	if ((r = trust_store_need(vo.trust, ei)) != SP_OK ||
	    (r = tsa_provider_trust(j->tsa, &vo.ts_trust, ei)) != SP_OK ||
	    (r = crypto_pdf_verify(data, len, &vo, &rep, ei)) != SP_OK)
		goto out;
	/* its listing of the signed revision's fields, for done_signed_count(); or of the stored
	   bytes' (with the long-term data), for the next completion */
	if (vo.doc == j->new_doc)
		j->new_nsigned = (int)rep->nlisted;
	j->stored_nsigned = vo.doc != NULL && vo.doc == j->ltv_doc ? (int)rep->nlisted : -1;
	for (i = 0; i < rep->nsigs; i++) {
		s = &rep->sigs[i];
		/* what done_ltv() appended: proven wrong, it is not stored (undecided, it is, as
		   the renewal job's is; the report is then not kept) */
		if (s->byte_range[2] + s->byte_range[3] > (long long)ss->document_len &&
		    s->verdict == CRYPTO_VERDICT_INVALID) {
			r = sp_err(ei, SP_ERR_CRYPTO, "the document timestamp is %s: %s",
				   crypto_verdict_name(s->verdict),
				   s->nreasons > 0 ? s->reasons[0] : "not valid");
			goto out;
		} else if (s->byte_range[2] + s->byte_range[3] == (long long)ss->document_len) {
			nnew++;
			if ((s->verdict != CRYPTO_VERDICT_VALID &&
			     s->verdict != CRYPTO_VERDICT_VALID_ALLOWED_CHANGES) ||
			    !s->has_timestamp) {
				r = sp_err(ei, SP_ERR_CRYPTO, "the new signature is %s: %s",
					   crypto_verdict_name(s->verdict),
					   s->nreasons > 0 ? s->reasons[0] : "no timestamp");
				goto out;
			}
		} else if (s->verdict == CRYPTO_VERDICT_INVALID) {
			r = sp_err(ei, SP_ERR_CRYPTO, "earlier signature %s became invalid: %s",
				   s->field, s->nreasons > 0 ? s->reasons[0] : "invalid");
			goto out;
		}
	}
	if (nnew != 1) {
		r = sp_err(ei, SP_ERR_CRYPTO,
			   "the new revision carries %zu signatures over the "
			   "whole file",
			   nnew);
		goto out;
	}
	/* a repair on the way (the views parse what is used) makes the file not ours */
	if (pdf_doc_damaged(j->new_doc) || pdf_doc_damaged(j->base_doc) ||
	    (vo.doc != j->new_doc && ((vo.doc != NULL && pdf_doc_damaged(vo.doc)) ||
				      (rep->nrevisions > 0 && rep->trailing_data)))) {
		r = sp_err(ei, SP_ERR_PDF, "the signed revision had to be repaired to be read");
		goto out;
	}
	report_keep(j, rep, base);
	r = SP_OK;
out:
	verify_report_base_free(base);
	free(refs);
	blob_cache_return(given_ref);
	free(given_vri);
	crypto_verify_report_free(rep);
	return r;
}

static int done_ltv(struct done_job *j, struct ltv_result *lr);

int
done_work(void *arg, struct sp_errinfo *ei)
{
	struct done_job *j = arg;
	struct db_signing_session *ss = j->s;
	enum crypto_sigalg alg, want;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	uint8_t *tok = NULL, *cms = NULL, dig[32];
	size_t toklen = 0, cmslen = 0, dlen = 0, hashed = 0, qlen;
	struct sp_errinfo vei;
	struct ltv_result lr;
	/* lr.data's revisions (done_revisions_of), when it is made and opened */
	struct pdf_revision *lrevs = NULL;
	const struct pdf_revision *known;
	size_t nlrevs = 0;
	time_t gen = 0;
	/* lr.data starts with the signed revision's bytes (compared once, here) */
	int r = SP_ERR_INTERNAL, resume, starts = 0;

	memset(&lr, 0, sizeof(lr));
	j->new_nsigned = j->base_nsigned = j->stored_nsigned = -1;
	/* the base as this process holds it, then what the claim sent: joined here, off the
	   loop */
	if (ss->from_seq >= 0) {
		if ((r = done_join(j, ei)) != SP_OK)
			goto out;
		/* the held bytes' SHA-256 state, kept with them: they are not hashed again */
		if (j->held->sha256_ctx != NULL && j->held->len <= ss->orig_len)
			hashed = j->held->len;
	}
	sp_errinfo_init(&vei);
	/* the base's digest: what a completion that stored it (or, for the upload, the
	   create that normalized it) left in the cache is keyed by; the stored bytes start
	   with the base, so their digest goes on from there */
	if (j->refs_cache != NULL &&
	    (hashed > 0 ? crypto_digest_ctx_dup(j->held->sha256_ctx, &j->tail, &vei)
			: crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &j->tail, &vei)) == SP_OK &&
	    crypto_digest_ctx_update(j->tail, ss->document + hashed, ss->orig_len - hashed, &vei) ==
		    SP_OK &&
	    crypto_digest_ctx_peek(j->tail, j->base_dig, &dlen, &vei) == SP_OK) {
		j->have_base_dig = 1;
		j->tail_len = ss->orig_len;
	} else {
		crypto_digest_ctx_free(j->tail);
		j->tail = NULL;
	}
	dlen = 0;
	/* What prepare stored is ours: if it does not decode, the fault is not the caller's. */
	sp_errinfo_init(&vei);
	/* the signer and its CAs repeat: decoded once per process (the trust and its cache) */
	if (crypto_trust_cert_parse(j->trust, ss->cert_der, ss->cert_len, &cert, &vei) != SP_OK ||
	    crypto_trust_chain_from_der(j->trust, ss->chain, ss->chain_len, &chain, &vei) !=
		    SP_OK) {
		r = sp_err(ei, SP_ERR_INTERNAL, "the stored signing session does not decode: %s",
			   vei.msg);
		goto out;
	}
	if ((r = crypto_sigalg_for_cert(cert, &alg, ei)) != SP_OK)
		goto out;
	want = crypto_sigalg_from_name(ss->algorithm);
	if (want != alg) {
		r = sp_err(ei, SP_ERR_INTERNAL, "stored algorithm does not fit the certificate");
		goto out;
	}
	/* Before anything else: a wrong value must change nothing. */
	if ((r = crypto_sig_verify(cert, alg, ss->signed_attrs, ss->signed_attrs_len, j->sig,
				   j->siglen, ei)) != SP_OK)
		goto out;
	/* so the engine's check of the same value over the same attributes is not run twice */
	j->sig_checked.cert = cert;
	j->sig_checked.alg = alg;
	j->sig_checked.tbs = ss->signed_attrs;
	j->sig_checked.tbslen = ss->signed_attrs_len;
	j->sig_checked.sig = j->sig;
	j->sig_checked.siglen = j->siglen;
	/* the token and the CMS are checked once, by engine_check() below, not also here */
	if ((r = tsa_provider_timestamp_engine(j->tsa, j->sig, j->siglen, NULL, ss->tsa_serial,
					       &tok, &toklen, &gen, ei)) != SP_OK)
		goto out;
	if ((r = crypto_cms_assemble_ex(cert, chain, ss->signed_attrs, ss->signed_attrs_len, j->sig,
					j->siglen, tok, toklen, CRYPTO_CMS_ENGINE_CHECKS,
					&j->attrs_checked, &cms, &cmslen, ei)) != SP_OK)
		goto out;
	if ((r = pdf_sig_fill(ss->document, ss->document_len, ss->contents_off, ss->contents_len,
			      cms, cmslen, ei)) != SP_OK)
		goto out;
	sp_errinfo_init(&vei);
	if (done_revision_check(j, cert, alg, &vei) != SP_OK) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
				  "the signed revision failed verification: %s", vei.msg);
		goto out;
	}
	/*
	 * B-LT / B-LTA: the DSS (and document timestamp) go on before the engine
	 * runs, so that one pass verifies the new signature, what it changed and
	 * what they add, and its report is what the contract's verification will
	 * say of the stored bytes. Long-term data that does not verify is not
	 * stored: the signed revision alone is verified then, as at B-T.
	 */
	memset(&lr, 0, sizeof(lr));
	if (done_ltv(j, &lr)) {
		/* its revisions: on from the signed revision's, when lr.data starts with it (in
		   the room: the very bytes, the update written after them) */
		starts = lr.len > ss->document_len &&
			 (lr.in_room || memcmp(lr.data, ss->document, ss->document_len) == 0);
		known = starts ? j->revs : NULL;
		lrevs = done_revisions_of(lr.data, lr.len, known, j->nrevs, ss->document_len,
					  &nlrevs);
		/* its chain as one table for qpdf, unless B-LTA's document timestamp viewed
		   lr.data already (ts_doc: it must not move) */
		qlen = j->ts_doc == NULL
			       ? done_merged_table(&lr.data, lr.len,
						   lr.in_room ? j->doc_cap - lr.len : 0, lrevs,
						   nlrevs, known != NULL ? j->xm_signed : NULL,
						   j->xm_signed_len, ss->document_len, &j->xm_ltv,
						   &j->xm_ltv_len)
			       : 0;
		/* the final revision's view for the engine: no page list (it is the newer side) */
		sp_errinfo_init(&vei);
		if (done_open_known(lr.data, lr.len, qlen, lrevs, nlrevs, NULL, 0, &j->ltv_doc,
				    &vei) != SP_OK) {
			j->ltv_doc = NULL; /* the engine opens it (and finds the revisions) */
			free(lrevs);
			lrevs = NULL;
			nlrevs = 0;
		} else {
			/* the new signature's dictionary (and a document timestamp's) from
			   the bytes here too: this view parses its objects anew */
			(void)pdf_doc_sigs_preload(j->ltv_doc, 2);
			if (lrevs != NULL)
				done_form_carry(j, j->new_doc, j->ltv_doc, lrevs, nlrevs);
		}
		sp_errinfo_init(&vei);
	}
	if (lr.data != NULL &&
	    engine_check(j, lr.data, lr.len, lrevs, nlrevs, starts, &vei) != SP_OK) {
		snprintf(j->ltv_err, sizeof(j->ltv_err),
			 "the long-term validation data did not verify: %.200s", vei.msg);
		pdf_doc_free(j->ltv_doc);
		j->ltv_doc = NULL;
		j->stored_nsigned = -1;
		pdf_doc_free(j->ts_doc); /* before the bytes it reads */
		j->ts_doc = NULL;
		ltv_result_cleanup(&lr);
		free(lrevs);
		lrevs = NULL;
		nlrevs = 0;
		free(j->report);
		j->report = NULL;
		free(j->report_index);
		j->report_index = NULL;
		sp_errinfo_init(&vei);
	}
	if (lr.data == NULL &&
	    engine_check(j, ss->document, ss->document_len, j->revs, j->nrevs, 0, &vei) != SP_OK) {
		/* Whatever failed, the answer is the same: the new revision is not good. */
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
				  "the signed revision failed verification: %s", vei.msg);
		goto out;
	}
	sp_errinfo_init(&vei);
	if (done_signed_count(j, &vei) != SP_OK) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
				  "the signed revision failed verification: %s", vei.msg);
		goto out;
	}
	/* the stored bytes are the signed revision alone: its pages are the base's when the
	   update left the page tree as it was */
	j->stored_pages_ok =
		lr.data == NULL ? j->new_pages_ok
				: j->new_pages_ok && j->ltv_doc != NULL &&
					  done_keeps_pages(lrevs, nlrevs, lr.len, ss->document_len,
							   j->new_doc, j->ltv_doc);
	/* the views borrow ss->document, replaced now by the document with its DSS; the
	   stored bytes' own (new_doc, or ltv_doc on lr.data, which becomes ss->document)
	   stays for their form facts, kept with their digest below */
	j->stored_doc = lr.data != NULL ? j->ltv_doc : j->new_doc;
	if (j->stored_doc != j->ltv_doc)
		pdf_doc_free(j->ltv_doc);
	/* freed after the reply (done_stored), not on the way to it */
	if (j->stored_doc != j->new_doc && j->new_doc != NULL)
		j->spent_docs[j->nspent_docs++] = j->new_doc;
	if (j->base_doc != NULL)
		j->spent_docs[j->nspent_docs++] = j->base_doc;
	j->ltv_doc = j->new_doc = j->base_doc = NULL;
	/* the long-term data's file is the signed revision's copy with its update after
	   it: the base's bytes start it as they started the signed revision */
	resume = j->tail != NULL && ss->contents_off >= ss->orig_len &&
		 ss->document_len >= j->tail_len && (lr.data == NULL || starts);
	if (lr.data != NULL) {
		j->signed_len = ss->document_len;
		/* in the room: the same buffer, kept as it was. Else the room's bytes are
		   not stored (done_job_free gives it back), lr.data is */
		if (!lr.in_room) {
			if (!ss->document_borrowed)
				free(ss->document);
			ss->document_borrowed = 0;
			j->doc_keep = 0; /* lr.data is its length (done_merged_table) */
		}
		ss->document = lr.data;
		ss->document_len = lr.len;
		j->archive_until = lr.archive_until;
		lr.data = NULL; /* transferred */
	}
	/* the stored bytes' digest: on from j->tail's (the base, and the update up to its
	   /Contents when done_revision_check went on) when they start with the very bytes it
	   was fed (the fill wrote after the base only; the long-term data's file compared
	   above), not the whole file hashed again */
	if (resume) {
		if ((r = crypto_digest_ctx_update(j->tail, ss->document + j->tail_len,
						  ss->document_len - j->tail_len, ei)) != SP_OK)
			goto out;
	} else {
		crypto_digest_ctx_free(j->tail);
		j->tail = NULL;
		if ((r = crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &j->tail, ei)) != SP_OK ||
		    (r = crypto_digest_ctx_update(j->tail, ss->document, ss->document_len, ei)) !=
			    SP_OK)
			goto out;
	}
	/* the state before the end is kept with the stored bytes (done_stored): the next
	   completion here goes on from it */
	if (j->docs != NULL && crypto_digest_ctx_dup(j->tail, &j->stored_ctx, &vei) != SP_OK)
		j->stored_ctx = NULL;
	if ((r = crypto_digest_ctx_final(j->tail, dig, &dlen, ei)) != SP_OK)
		goto out;
	sp_hex(dig, 32, j->sha_hex);
	/* what the stored bytes refer to, for the next signer's completion: here, and
	   stored with them for one elsewhere */
	if (j->refs_out != NULL)
		blob_cache_put(j->refs_cache, dig, (const uint8_t *)j->refs_out,
			       j->nrefs_out * sizeof(int));
	done_refs_pack(j, dig);
	if (j->sigs_out != NULL) {
		uint8_t skey[32];

		/* handed over, not copied */
		blob_cache_key("sigs", dig, skey);
		blob_cache_put_take(j->reads_cache, skey, j->sigs_out, j->sigs_out_len);
		j->sigs_out = NULL;
	}
	if (j->vri_out != NULL) {
		uint8_t vkey[32];

		blob_cache_key("vris", dig, vkey);
		blob_cache_put(j->reads_cache, vkey, j->vri_out, j->vri_out_len);
	}
	/* and their DSS as read (handed over): the next DSS update decodes only what is new */
	if (j->dss_out != NULL) {
		uint8_t dkey[32];

		blob_cache_key("dssr", dig, dkey);
		blob_cache_put_take(j->reads_cache, dkey, j->dss_out, j->dss_out_len);
		j->dss_out = NULL;
	}
	/* and the /VRI keys hashed here with what they hash, for the next completion's
	   long-term data (handed over: the engine is done with them) */
	if (j->vri_memo != NULL) {
		uint8_t mkey[32];

		blob_cache_key("vmem", dig, mkey);
		blob_cache_put_take(j->reads_cache, mkey, j->vri_memo, j->vri_memo_len);
		j->vri_memo = NULL;
	}
	/* and their revisions: the next completion walks only its update's section */
	if (j->signed_len == 0 ? j->revs != NULL : lrevs != NULL) {
		uint8_t rkey[32];

		blob_cache_key("revs", dig, rkey);
		blob_cache_put(j->reads_cache, rkey,
			       (const uint8_t *)(j->signed_len == 0 ? j->revs : lrevs),
			       (j->signed_len == 0 ? j->nrevs : nlrevs) *
				       sizeof(struct pdf_revision));
		done_room_on(j, ss->document, ss->document_len,
			     j->signed_len == 0 ? j->revs : lrevs,
			     j->signed_len == 0 ? j->nrevs : nlrevs, dig);
	}
	/* and their merged cross-reference entries: the next completion reads only its
	   update's section */
	if ((j->signed_len == 0 ? j->xm_signed : j->xm_ltv) != NULL) {
		uint8_t xkey[32];
		void **xm = j->signed_len == 0 ? &j->xm_signed : &j->xm_ltv;

		/* handed over, not copied (an entry per object of the file) */
		blob_cache_key("xmrg", dig, xkey);
		blob_cache_put_take(j->reads_cache, xkey, (uint8_t *)*xm,
				    j->signed_len == 0 ? j->xm_signed_len : j->xm_ltv_len);
		*xm = NULL;
	}
	if (j->stored_pages_ok) {
		uint8_t pkey[32];

		blob_cache_key("page", dig, pkey);
		blob_cache_put(j->reads_cache, pkey, (const uint8_t *)j->pages,
			       j->npages * 2 * sizeof(int));
	}
	/* and its signed fields: the signed revision's, or the engine's count of the stored
	   bytes with their long-term data */
	if (j->signed_len == 0 ? j->new_nsigned >= 0 : j->stored_nsigned >= 0) {
		uint8_t fkey[32];
		int n = j->signed_len == 0 ? j->new_nsigned : j->stored_nsigned;

		blob_cache_key("nsig", dig, fkey);
		blob_cache_put(j->reads_cache, fkey, (const uint8_t *)&n, sizeof(n));
	}
	/* and their form's facts (carried over the update from the base's), for the next
	   prepare's open and DocMDP check and the next completion's listing */
	if (j->stored_doc != NULL) {
		uint8_t fkey[32], *facts = NULL;
		size_t flen = 0;

		sp_errinfo_init(&vei);
		if (pdf_doc_form_export(j->stored_doc, dig, &facts, &flen, &vei) == SP_OK) {
			blob_cache_key("form", dig, fkey);
			blob_cache_put_take(j->reads_cache, fkey, facts, flen);
			facts = NULL; /* transferred */
		}
		free(facts);
	}
	j->tsa_time = gen;
	r = SP_OK;
out:
	free(lrevs);
	pdf_doc_free(j->ts_doc); /* before lr.data it reads, when that was not kept */
	j->ts_doc = NULL;
	pdf_doc_free(j->ltv_doc);
	j->ltv_doc = NULL;
	/* qpdf's parse of the stored bytes (ss->document now), for the next open of them
	   here (the next signer's prepare and claim): kept with them once PostgreSQL stored
	   them (done_stored), unless no signer is left to open them. A parse costs the
	   cache about twice the document (doc_cache.c PARSE_COST): a completed contract's
	   would only crowd out the documents of contracts still being signed. */
	if (r == SP_OK && j->docs != NULL && j->stored_doc != NULL && !signers_done(j))
		j->stored_parsed = pdf_doc_parsed_take(j->stored_doc);
	/* Else its teardown (as costly as its reading: some 370,000 instructions at a
	   10-page contract's 20th signing) is work no reply waits for: done_stored has it
	   done after answering. Not moved off the worker's CPU: off the reply's path, where
	   each earlier signer's parse was not freed either (the next completion frees it
	   as its base). */
	else if (r == SP_OK && j->stored_doc != NULL)
		j->spent_parsed = pdf_doc_parsed_take(j->stored_doc);
	pdf_doc_free(j->stored_doc);
	j->stored_doc = NULL;
	ltv_result_cleanup(&lr);
	free(tok);
	free(cms);
	pdf_doc_free(j->new_doc);
	/* failed: the base stays the contract's newest revision, its parse back with it */
	if (j->base_doc != NULL && j->held != NULL)
		doc_cache_parsed_put(j->docs, j->held, pdf_doc_parsed_take(j->base_doc));
	pdf_doc_free(j->base_doc);
	j->new_doc = j->base_doc = NULL;
	/* failed: no reply to go before their teardown */
	while (r != SP_OK && j->nspent_docs > 0)
		pdf_doc_free(j->spent_docs[--j->nspent_docs]);
	memset(&j->sig_checked, 0, sizeof(j->sig_checked)); /* cert is freed here */
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/*
 * PAdES B-LT / B-LTA (signing.level): the signed revision with the DSS
 * update (and, from the last signer, a document timestamp) appended, in
 * *lr; 1 when made, 0 when not asked or it could not be made. Long-term
 * evidence is an addition to a good signature, not a condition of it: when
 * it cannot be made (OCSP or the TSA down) the B-T revision is stored, the
 * failure logged, and the renewal job archives the contract once it is
 * completed.
 */
static int
done_ltv(struct done_job *j, struct ltv_result *lr)
{
	struct db_signing_session *ss = j->s;
	struct crypto_ltv_known kn;
	struct sp_errinfo ei;
	uint8_t skey[32];
	const uint8_t *reads = NULL, *memo = NULL, *dssr = NULL;
	struct blob_ref *ref = NULL, *mref = NULL, *dref = NULL;
	size_t rlen = 0, mlen = 0, dlen = 0;
	struct pdf_dss given;
	int archive = j->level >= 2 && ss->last_signer, r;

	memset(lr, 0, sizeof(*lr));
	if (j->level < 1)
		return 0;
	/* the base's signatures as the completion that stored it read them: only the new
	   one is parsed, and its listing of the signed revision counts for done_signed_count() */
	memset(&kn, 0, sizeof(kn));
	kn.nlisted = -1;
	blob_cache_key("sigs", j->base_dig, skey);
	if (j->have_base_dig &&
	    blob_cache_borrow(j->reads_cache, skey, &reads, &rlen, &ref) == SP_OK) {
		kn.given = j->base_doc;
		kn.given_len = ss->orig_len;
		kn.reads = reads;
		kn.reads_len = rlen;
	}
	/* the signed revision kept the base's pages (done_revision_check): not walked again */
	if (j->new_pages_ok) {
		kn.pages = j->pages;
		kn.npages = j->npages;
	}
	/* and it is open already (done_revision_check): the DSS update reads it there, with its
	   revisions (done_revision_check found them in these bytes) */
	kn.doc = j->new_doc;
	kn.revs = j->revs;
	kn.nrevs = j->nrevs;
	kn.revs_len = ss->document_len;
	/* the SHA-256 of the signed revision's first tail_len bytes (done_work, done_revision_check),
	   which its DSS update starts with when the fill wrote after the base only: the
	   document timestamp's digest goes on from it */
	if (j->tail != NULL && ss->contents_off >= ss->orig_len) {
		kn.hashed = j->tail;
		kn.hashed_len = j->tail_len;
	}
	sp_errinfo_init(&ei);
	/* the document timestamp's open of what it timestamps, for the engine */
	kn.keep_ts_doc = archive;
	/* and its read of the signed revision's DSS, for the engine's of the result */
	pdf_dss_cleanup(&j->dss_known);
	kn.dss_out = &j->dss_known;
	/* the /VRI keys the completion that stored the base hashed, with what they hash
	   (lent): an earlier signature's /Contents is not hashed again */
	blob_cache_key("vmem", j->base_dig, skey);
	if (j->have_base_dig &&
	    blob_cache_borrow(j->reads_cache, skey, &memo, &mlen, &mref) == SP_OK) {
		kn.vri_given = memo;
		kn.vri_given_len = mlen;
	}
	/* the base's DSS as the verification of it read it (the completion that stored it):
	   the items the signed revision has of it, the same objects, are not decoded again */
	memset(&given, 0, sizeof(given));
	blob_cache_key("dssr", j->base_dig, skey);
	if (j->have_base_dig &&
	    blob_cache_borrow(j->reads_cache, skey, &dssr, &dlen, &dref) == SP_OK &&
	    pdf_dss_unpack(dssr, dlen, &given) == SP_OK) {
		kn.dss_given = &given;
		kn.dss_given_len = ss->orig_len;
		/* and to the base's view, which the verification of the result asks whether
		   the objects the updates list are object streams: the DSS is not parsed for
		   that (a read of other bytes is not told) */
		if (j->base_doc != NULL)
			(void)pdf_doc_dss_tell(j->base_doc, &given);
	}
	blob_cache_return(dref);
	/* the DSS update written where the signed revision ends, in the room kept after it
	   (done_join): the document is not copied to be appended to (the merged table qpdf
	   read there when it opened new_doc is not read again) */
	if (j->doc_keep) {
		kn.room = ss->document;
		kn.room_cap = j->doc_cap;
	}
	/* engine_check verifies the result whole before it is kept */
	/* a revocation service that fails leaves the signature without a /VRI entry (ANSWERED),
	   which the next DSS update (a later signer's, the renewal's) still covers */
	r = ltv_extend(j->trust, j->tsa, ss->document, ss->document_len,
		       (archive ? LTV_ARCHIVE : 0) | LTV_CHECKED_AFTER | LTV_ANSWERED,
		       ss->archive_serial, &kn, lr, &ei);
	free(j->vri_memo);
	j->vri_memo = kn.vri_memo;
	j->vri_memo_len = kn.vri_memo_len;
	if (r == SP_OK && kn.ts_doc != NULL) {
		j->ts_doc = kn.ts_doc;
		j->ts_doc_len = kn.ts_doc_len;
	} else
		pdf_doc_free(kn.ts_doc);
	blob_cache_return(ref);
	blob_cache_return(mref);
	pdf_dss_cleanup(&given);
	if (kn.reads != NULL && kn.nlisted >= 0)
		j->new_nsigned = kn.nlisted;
	if (r != SP_OK) {
		snprintf(j->ltv_err, sizeof(j->ltv_err), "%.255s", ei.msg);
		ltv_result_cleanup(lr);
		return 0;
	}
	return 1;
}
