/*
 * verify_ltv.c: the verification engine's long-term validation part
 * (PAdES B-LT and B-LTA, ETSI EN 319 142-1 §5.4-5.5): the last revision's
 * DSS as revocation evidence, which earlier signatures it brings new
 * evidence for, and the levels each signature reaches. The engine itself
 * is verify.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "verify_int.h"

/* The /VRI key of f from opts->vri_memo (e->vri_memo) into key; key unchanged otherwise. */
static void
vri_memo_get(const struct engine *e, const struct pdf_sig_field *f, char key[41])
{
	(void)crypto_vri_memo_find(e->vri_memo, e->vri_memo_len, f->contents, f->contents_len, key);
}

/*
 * Signature i's /VRI key (pdf_vri_key of its /Contents), from the caller's
 * memo or hashed, at most once per verification (e->vkey has one per
 * signature); NULL when it has none (no /Contents read, or the hash failed:
 * tried again then, as before).
 */
static const char *
sig_vri_key(struct engine *e, size_t i)
{
	const struct pdf_sig_field *f = &e->sigs[i];

	if (f->contents_state != PDF_SIG_KEY_OK)
		return NULL;
	if (e->vkey[i][0] == '\0')
		vri_memo_get(e, f, e->vkey[i]);
	if (e->vkey[i][0] == '\0' &&
	    pdf_vri_key(f->contents, f->contents_len, e->vkey[i]) != SP_OK) {
		e->vkey[i][0] = '\0';
		return NULL;
	}
	return e->vkey[i];
}

/*
 * The packed /VRI keys of engine_vri_export: a tag byte, then 40 hex digits
 * per key (a DSS with none, or no DSS, is the tag alone).
 */
#define VRI_TAG 'V'

/*
 * The verified part's /VRI keys from opts->verified_vri into e->vdss, as
 * pdf_dss_read() of that part would give them: 1 when taken. Sound because
 * they are what a read of exactly the bytes the verified part ends with
 * gave (the verification that took them verified those bytes, and a read
 * of the same bytes reads the same); given for other bytes (the verified
 * part ends elsewhere, e.g. before an unsigned DSS update checked again) or
 * not as packed, they are not used and the DSS is read.
 */
static int
vri_given(struct engine *e)
{
	size_t n, i;

	if (e->given_vri == NULL || e->nverified == 0 ||
	    e->revs[e->nverified - 1].end != e->given_vri_end || e->given_vri_len < 1 ||
	    e->given_vri[0] != VRI_TAG || (e->given_vri_len - 1) % 40 != 0)
		return 0;
	n = (e->given_vri_len - 1) / 40;
	pdf_dss_cleanup(&e->vdss);
	if (n > 0 && !(e->vdss.vri = calloc(n, sizeof(*e->vdss.vri))))
		return 0;
	for (i = 0; i < n; i++) {
		memcpy(e->vdss.vri[i], e->given_vri + 1 + 40 * i, 40);
		e->vdss.vri[i][40] = '\0';
	}
	e->vdss.nvri = n;
	return 1;
}

void
engine_vri_export(const struct engine *e, const struct crypto_verify_opts *opts)
{
	uint8_t *p;
	size_t i;

	if (opts->vri_out == NULL || !e->dss_read || !(p = malloc(1 + 40 * e->dss.nvri)))
		return;
	p[0] = VRI_TAG;
	for (i = 0; i < e->dss.nvri; i++)
		memcpy(p + 1 + 40 * i, e->dss.vri[i], 40);
	*opts->vri_out = p;
	*opts->vri_out_len = 1 + 40 * e->dss.nvri;
}

/*
 * 1 when signature i, in the part verified before, gets its revocation
 * evidence from a DSS update after that part (a /VRI entry the last DSS has
 * and the verified part's did not): it is then verified again with that
 * evidence, as a fresh verification would. A signature the last DSS has no
 * /VRI entry for is verified again whenever that DSS holds revocation data:
 * only its check tells whether an item answers it (evidence_levels).
 */
int
engine_vri_new(struct engine *e, size_t i)
{
	struct pdf_doc *d = NULL;
	struct sp_errinfo ei;
	const char *key;

	if (!e->dss.present || !(key = sig_vri_key(e, i)))
		return 0;
	if (!pdf_dss_has_vri(&e->dss, key))
		return strcmp(e->sigs[i].type, "/DocTimeStamp") != 0 &&
		       e->ev.n[PDF_DSS_OCSPS] + e->ev.n[PDF_DSS_CRLS] > 0;
	if (e->vdss_state == 0 && vri_given(e))
		e->vdss_state = 1;
	if (e->vdss_state == 0) {
		sp_errinfo_init(&ei);
		e->vdss_state = -1;
		if (e->given != NULL && e->revs[e->nverified - 1].end == e->given_end)
			d = e->given;
		else if (engine_rev_open(e, e->nverified - 1, &d) != SP_OK)
			d = NULL;
		if (d != NULL && pdf_dss_read(d, &e->vdss, &ei) == SP_OK)
			e->vdss_state = 1;
		if (d != e->given)
			pdf_doc_free(d);
	}
	/* unreadable: verified again, to be sure */
	return e->vdss_state != 1 || !pdf_dss_has_vri(&e->vdss, key);
}

/*
 * Every object number the cross-reference sections of doc after its first
 * end bytes list (pdf_revisions_listed_after over the engine's revisions).
 */
static int
later_listed(const struct engine *e, struct pdf_doc *doc, size_t end, int **nums, size_t *n)
{
	return pdf_revisions_listed_after(doc, e->revs, e->nrev, end, nums, n);
}

/* The DSS's items become the engine's evidence (moved, not copied). */
void
engine_dss_evidence(struct engine *e, struct pdf_doc *doc, struct crypto_trust *t,
		    X509_STORE *ts_trust)
{
	struct sp_errinfo ei;
	const struct pdf_dss *known = NULL;
	int *later = NULL;
	size_t k, nlater = 0;
	int r;

	/* the levels ask them what a DSS answers (engine_ltv_levels) */
	e->trust = t;
	e->ts_trust = ts_trust;
	sp_errinfo_init(&ei);
	/* the items a read of a revision of these bytes took, where they are the same
	   objects (pdf_dss_read_known says when): not decoded again */
	if (e->dss_known != NULL && !pdf_doc_damaged(doc) &&
	    later_listed(e, doc, e->dss_known_len, &later, &nlater))
		known = e->dss_known;
	r = pdf_dss_read_known(doc, known, later, nlater, &e->dss, &ei);
	free(later);
	/* an unreadable DSS is no evidence: revocation then runs as without one */
	if (r != SP_OK)
		return;
	e->dss_read = 1;
	/* the read as it is (before its items move), for the next completion's DSS update */
	if (e->dss_out != NULL && pdf_dss_pack(&e->dss, e->dss_out, e->dss_out_len) != SP_OK) {
		*e->dss_out = NULL;
		*e->dss_out_len = 0;
	}
	for (k = 0; k < 3; k++) {
		e->ev.item[k] = e->dss.item[k];
		e->ev.n[k] = e->dss.n[k];
		e->dss.item[k] = NULL;
		e->dss.n[k] = 0;
	}
	/* every chain checked against it: its certificates decoded once, not per check */
	crypto_evidence_decode(&e->ev, t);
}

/*
 * The DSS of revision rev (1-based) as that revision reads, or NULL when it
 * has none or it cannot be read. One revision's is kept: the signatures
 * asked about mostly ask about the same one.
 */
static const struct pdf_dss *
dss_at(struct engine *e, size_t rev)
{
	struct pdf_doc *d = NULL;
	struct sp_errinfo ei;

	if (rev < 1 || rev > e->nrev)
		return NULL;
	if (e->bdss_rev != rev) {
		pdf_dss_cleanup(&e->bdss);
		e->bdss_rev = rev;
		e->bdss_ok = 0;
		sp_errinfo_init(&ei);
		/* the caller's open of those bytes when it has one (a B-LTA completion's, under
		   the document timestamp), read as an open of its own would be */
		if ((d = engine_held_rev(e, e->revs[rev - 1].end)) != NULL) {
			if (pdf_dss_read(d, &e->bdss, &ei) == SP_OK)
				e->bdss_ok = 1;
		} else {
			if (engine_rev_open(e, rev - 1, &d) == SP_OK &&
			    pdf_dss_read(d, &e->bdss, &ei) == SP_OK)
				e->bdss_ok = 1;
			pdf_doc_free(d);
		}
	}
	return e->bdss_ok ? &e->bdss : NULL;
}

/* 1 when the revision before rev (1-based) has a DSS with a /VRI entry for key. */
static int
vri_before(struct engine *e, size_t rev, const char key[41])
{
	const struct pdf_dss *d = rev >= 2 ? dss_at(e, rev - 1) : NULL;

	return d != NULL && pdf_dss_has_vri(d, key);
}

/* 1 when revision rev's DSS holds item b of its kind (OCSP responses or CRLs). */
static int
dss_holds(struct engine *e, size_t rev, int kind, const struct pdf_blob *b)
{
	const struct pdf_dss *d = dss_at(e, rev);
	size_t i;

	for (i = 0; d != NULL && i < d->n[kind]; i++)
		if (d->item[kind][i].len == b->len &&
		    memcmp(d->item[kind][i].data, b->data, b->len) == 0)
			return 1;
	return 0;
}

/* A document timestamp that proves what it covers. */
static int
valid_doc_timestamp(const struct crypto_sig_report *d)
{
	return d->doc_timestamp && d->timestamp_ok == 1 &&
	       (d->verdict == CRYPTO_VERDICT_VALID ||
		d->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
}

/*
 * 1 when signature s's revocation data came without a /VRI entry (EU DSS,
 * for one, writes none: EN 319 142-1 leaves /VRI optional) in a DSS update
 * after it: the last DSS's item that answered its check, which the DSS of
 * s's own revision did not hold. Only for a signature checked in this
 * verification (a prior one without a /VRI entry is checked again whenever
 * the DSS holds revocation data: engine_vri_new).
 */
static int
evidence_added(struct engine *e, const struct crypto_sig_report *s)
{
	int kind = s->rev_item_crl ? PDF_DSS_CRLS : PDF_DSS_OCSPS;

	if (s->prior || !s->rev_dss || s->rev_item == 0 || s->rev_item > e->ev.n[kind])
		return 0;
	return s->revision >= 1 && s->revision < e->nrev &&
	       !dss_holds(e, s->revision, kind, &e->ev.item[kind][s->rev_item - 1]);
}

/*
 * 1 when ev answers the revocation of every certificate below the root of
 * signature i's chain and of its timestamp's TSA chain, at the time its
 * chain was checked at (crypto_evidence_covers): what an archive must hold
 * for it, whatever names it (LtaCheck, an LTA validator, reads no /VRI).
 */
static int
answered(struct engine *e, size_t i, const struct crypto_sig_report *s,
	 const struct crypto_evidence *ev)
{
	const struct pdf_sig_field *f = &e->sigs[i];

	return f->contents_state == PDF_SIG_KEY_OK &&
	       crypto_evidence_covers(e->trust, e->ts_trust, f->contents, f->contents_len,
				      s->doc_timestamp, ev, s->checked_at);
}

/* 1 when the DSS of revision rev (1-based) answers signature i (answered()). */
static int
answered_at(struct engine *e, size_t i, const struct crypto_sig_report *s, size_t rev)
{
	const struct pdf_dss *d = dss_at(e, rev);
	struct crypto_evidence v;
	int k;

	if (d == NULL)
		return 0;
	/* a view of its items: borrowed, never freed here */
	memset(&v, 0, sizeof(v));
	for (k = 0; k < 3; k++) {
		v.item[k] = d->item[k];
		v.n[k] = d->n[k];
	}
	return answered(e, i, s, &v);
}

/*
 * 1 when every revision after the last signed one adds validation data (a
 * DSS: PAdES B-LT after a non-final signature, or a DSS written after the
 * last document timestamp) and changes nothing else but document metadata
 * (/Info, XMP, the catalog's /Extensions), which the tools that write the
 * DSS save with it (iText's LtvVerification: /Info's ModDate and Producer,
 * ESIC extension level 5; Acrobat's "LTV enable": XMP too): no content a
 * reader sees is unsigned. pyHanko's default policy judges those updates
 * alike (DocInfoRule, MetadataUpdateRule and DSSCompareRule are all
 * ModificationLevel.LTA_UPDATES). A revision of metadata alone is still an
 * unsigned update: it adds no validation data to explain it.
 */
int
engine_ltv_tail(const struct engine *e, const struct crypto_verify_report *rep)
{
	size_t i, last = 0, j;

	for (i = 0; i < rep->nsigs; i++)
		if (rep->sigs[i].structure_ok == 1 && rep->sigs[i].revision > last)
			last = rep->sigs[i].revision;
	if (last == 0 || last >= e->nrev || !e->fstate)
		return 0;
	for (j = last; j < e->nrev; j++) {
		const struct pdf_diff *d = &e->diffs[j];
		if (e->fstate[j] != 1 || d->ndisallowed || d->nltv == 0 ||
		    d->nallowed != d->nltv + d->nmeta || d->visible_widgets)
			return 0;
	}
	return 1;
}

/*
 * The first valid document timestamp after revision rev (1-based) in rep,
 * SIZE_MAX when none: the time-stamp a PAdES B-B signature of that revision
 * reaches B-T with (ETSI EN 319 142-1 §6.3: a signature time-stamp or a
 * document time-stamp), as iText's and other LTV tools' workflow adds it.
 */
static size_t
first_doc_timestamp(const struct crypto_verify_report *rep, size_t rev)
{
	size_t j, t = SIZE_MAX;

	for (j = 0; j < rep->nsigs; j++)
		if (valid_doc_timestamp(&rep->sigs[j]) && rep->sigs[j].revision > rev &&
		    (t == SIZE_MAX || rep->sigs[j].revision < rep->sigs[t].revision))
			t = j;
	return t;
}

/*
 * PAdES levels beyond B-B and B-T (ETSI EN 319 142-1 §5.4, §5.5, §6.3): B-T
 * for a B-B signature that a valid document timestamp covers; B-LT when a DSS
 * added after the signature (a /VRI entry for it, or the item that answered
 * its check added since) answers the revocation of every certificate of its
 * chains below their roots, B-LTA when a valid document timestamp covers a
 * DSS that does. A /VRI entry alone proves nothing: one with certificates
 * only, or without the TSA's answers, leaves a validator nothing to check
 * them with once the responders are gone. Where a document timestamp gave
 * B-T, its TSA's chain must be answered too, and the archive timestamp is a
 * later one.
 */
void
engine_ltv_levels(struct engine *e, struct crypto_verify_report *rep)
{
	size_t i, j;
	const char *key;
	int vri;

	for (i = 0; i < rep->nsigs; i++) {
		struct crypto_sig_report *s = &rep->sigs[i];
		size_t t = SIZE_MAX, after;
		if (s->doc_timestamp)
			continue;
		if (strcmp(s->level, "pades_b") == 0 &&
		    (t = first_doc_timestamp(rep, s->revision)) != SIZE_MAX)
			snprintf(s->level, sizeof(s->level), "pades_b_t");
		/* the archive timestamp comes after the time-stamp that gave B-T */
		after = t == SIZE_MAX ? s->revision : rep->sigs[t].revision;
		/* no /VRI at all: no key to look for, none hashed */
		vri = e->dss.nvri > 0 && (key = sig_vri_key(e, i)) != NULL &&
		      pdf_dss_has_vri(&e->dss, key);
		if (s->prior) {
			/* not checked again (engine_vri_new: its entry was there when it was
			   verified, and that verification judged what it holds): the entry,
			   whatever the level */
			s->ltv_dss = vri;
			for (j = 0; vri && j < rep->nsigs && !s->ltv_archived; j++)
				s->ltv_archived = valid_doc_timestamp(&rep->sigs[j]) &&
						  rep->sigs[j].revision > after &&
						  vri_before(e, rep->sigs[j].revision, key);
		} else if ((vri || evidence_added(e, s)) && answered(e, i, s, &e->ev) &&
			   (t == SIZE_MAX || answered(e, t, &rep->sigs[t], &e->ev))) {
			s->ltv_dss = 1;
			for (j = 0; j < rep->nsigs && !s->ltv_archived; j++)
				s->ltv_archived =
					valid_doc_timestamp(&rep->sigs[j]) &&
					rep->sigs[j].revision > after &&
					answered_at(e, i, s, rep->sigs[j].revision - 1) &&
					(t == SIZE_MAX || answered_at(e, t, &rep->sigs[t],
								      rep->sigs[j].revision - 1));
		}
		if (s->ltv_dss && strcmp(s->level, "pades_b_t") == 0)
			snprintf(s->level, sizeof(s->level), "%s",
				 s->ltv_archived ? "pades_b_lta" : "pades_b_lt");
	}
}
