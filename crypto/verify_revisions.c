/*
 * verify_revisions.c: the engine's one pass over a file's revisions, oldest
 * first (struct engine in verify_int.h): each revision opened once, at most
 * two at a time, for the signatures it writes or hides, whether each
 * signature's own revision holds it, and what each update changed
 * (pdf_revision_diff). What those changes mean for a signature is
 * verify_changes.c's; the signatures' own checks are verify.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "verify_int.h"

/* The revision a signature's range ends with, -1 when none (structure() says why). */
int
engine_sig_revision(const struct engine *e, const struct pdf_sig_field *s)
{
	size_t i, end;

	if (s->unread || s->byterange_state != PDF_SIG_KEY_OK || s->byterange[2] < 0 ||
	    s->byterange[3] < 0 || (size_t)s->byterange[2] > e->len ||
	    (size_t)s->byterange[3] > e->len)
		return -1;
	end = (size_t)(s->byterange[2] + s->byterange[3]);
	for (i = 0; i < e->nrev; i++)
		if (e->revs[i].end == end || e->revs[i].eof_end == end)
			return (int)i;
	return -1;
}

/* Whether a signature's range ends with revision k. */
int
engine_revision_signed(const struct engine *e, size_t k)
{
	size_t i;

	for (i = 0; i < e->nsigs; i++)
		if (engine_sig_revision(e, &e->sigs[i]) == (int)k)
			return 1;
	return 0;
}

/* Whether each signature of revision k is there as the final file has it. */
static void
same_at(struct engine *e, size_t k, struct pdf_doc *d)
{
	size_t i;

	for (i = 0; i < e->nsigs; i++)
		if (e->same[i] == -1 && engine_sig_revision(e, &e->sigs[i]) == (int)k) {
			e->same[i] = d ? pdf_sig_field_same(d, &e->sigs[i]) : -2;
			if (d && pdf_doc_damaged(d))
				e->same[i] =
					-2; /* qpdf had to guess: not the revision as written */
		}
}

struct pdf_doc *
engine_held_rev(const struct engine *e, size_t end)
{
	if (e->given != NULL && end == e->given_end)
		return e->given;
	if (e->rev_doc != NULL && end == e->rev_end)
		return e->rev_doc;
	if (e->rev_doc2 != NULL && end == e->rev_end2)
		return e->rev_doc2;
	return NULL;
}

/* e->xref_chain, counted when first asked (the sections' headers, once) */
static int
xref_chain(struct engine *e)
{
	size_t j;

	if (e->xref_chain != NULL)
		return SP_OK;
	if ((e->xref_chain = malloc((e->nrev ? e->nrev : 1) * sizeof(*e->xref_chain))) == NULL)
		return SP_ERR_NOMEM;
	for (j = 0; j < e->nrev; j++)
		e->xref_chain[j] = (j > 0 ? e->xref_chain[j - 1] : 0) +
				   pdf_revision_xref_entries(e->data, e->len, &e->revs[j]);
	return SP_OK;
}

void
engine_work_add(struct engine *e, unsigned long long n)
{
	e->work += n;
	if (e->work > e->max_work && !e->over_reads)
		e->over_reads = 2;
}

/* The cross-reference entries opening revision k reads (each section up to it), counted
   against the cap before it is opened: SP_ERR_LIMIT past it. */
static int
rev_reads(struct engine *e, size_t k)
{
	int r;

	if ((r = xref_chain(e)) != SP_OK)
		return r;
	if (e->over_reads || (e->xref_reads += e->xref_chain[k]) > PDF_REVISIONS_MAX_READS) {
		if (!e->over_reads)
			e->over_reads = 1;
		return SP_ERR_LIMIT;
	}
	return SP_OK;
}

int
engine_rev_open(struct engine *e, size_t k, struct pdf_doc **out)
{
	struct sp_errinfo ei;
	int r;

	*out = NULL;
	if ((r = rev_reads(e, k)) != SP_OK)
		return r;
	sp_errinfo_init(&ei);
	if ((r = pdf_doc_open_view(e->data, e->revs[k].end, out, &ei)) != SP_OK)
		return r;
	/* the signature its update wrote, read from the bytes before anything resolves it:
	   the listing of its new signatures and the diff's look at the new field (is it
	   only a parent of signatures?) each had qpdf parse its /Contents, some 1.5
	   million instructions for a 9 KB signature */
	(void)pdf_doc_sigs_preload(*out, 1);
	/* qpdf read every page of it */
	engine_work_add(e, (unsigned long long)pdf_doc_page_count(*out) * CRYPTO_VERIFY_PAGE_WORK);
	/* repaired: qpdf read the whole prefix for objects, as a table of its rows */
	if (pdf_doc_damaged(*out))
		e->xref_reads += e->revs[k].end / 20;
	return SP_OK;
}

struct pdf_doc *
engine_rev_get(struct engine *e, size_t k)
{
	struct pdf_doc *d = engine_held_rev(e, e->revs[k].end);

	if (d != NULL)
		return pdf_doc_damaged(d) ? NULL : d;
	if (engine_rev_open(e, k, &d) != SP_OK)
		return NULL;
	if (pdf_doc_damaged(d)) {
		pdf_doc_free(d);
		return NULL;
	}
	return d;
}

/* The entries an update may list for its revision to be opened with the page list of
   the one before (rev_get_after): pdf_pages_kept looks each one up among the pages */
#define KEPT_PAGES_ENTRIES 64

/* 1 when every section of revisions 0..k is a plain table (no stream, no hybrid's
   /XRefStm): no object of them is in an object stream, which an update may decode
   otherwise without listing what the stream holds (a /Length it redefines). */
static int
tables_only(const struct engine *e, size_t k)
{
	size_t i;

	for (i = 0; i <= k; i++)
		if (e->revs[i].xref_stream || e->revs[i].xrefstm != 0)
			return 0;
	return 1;
}

/*
 * Revision k as engine_rev_get() gives it, opened after prev (revision
 * k - 1, NULL: none held): with prev's page list when the update between
 * them keeps it (pdf_pages_kept: the same /Pages node, no object listed
 * that is a node, an array of kids or a stream, each page it rewrites still
 * a leaf), so that the page tree is not walked again and a page nothing
 * reads is not parsed. The walk parsed every page of every revision: 10,000
 * pages were some 25 MB of qpdf objects in each of the three revisions held
 * at once, and a contract's 20 revisions of 10 pages 40 M instructions. The
 * tree the list stands for was walked and checked in the revision that
 * first had it; the final revision is always walked (crypto_pdf_verify), and
 * nothing of the engine reads a page's geometry. Otherwise, or when the
 * update is not shown to keep the tree, the revision is opened with the walk.
 */
static struct pdf_doc *
rev_get_after(struct engine *e, size_t k, struct pdf_doc *prev)
{
	struct pdf_doc *d = NULL;
	struct sp_errinfo ei;

	if (k == 0 || prev == NULL || pdf_doc_damaged(prev) || pdf_doc_page_count(prev) <= 0 ||
	    engine_held_rev(e, e->revs[k].end) != NULL || !tables_only(e, k) ||
	    xref_chain(e) != SP_OK || e->xref_chain[k] - e->xref_chain[k - 1] > KEPT_PAGES_ENTRIES)
		return engine_rev_get(e, k);
	sp_errinfo_init(&ei);
	/* prev's list: kept from the revision before it, else read (once a walk) */
	if (e->pages_end != e->revs[k - 1].end) {
		free(e->pages);
		e->pages = NULL;
		e->pages_end = 0;
		if (pdf_doc_page_objs(prev, &e->pages, &e->npages, &ei) != SP_OK)
			return engine_rev_get(e, k);
		e->pages_end = e->revs[k - 1].end;
	}
	if (rev_reads(e, k) != SP_OK)
		return NULL;
	if (pdf_doc_open_known(e->data, e->revs[k].end, e->pages, e->npages, &d, &ei) == SP_OK) {
		(void)pdf_doc_sigs_preload(d, 1); /* as engine_rev_open() */
		if (pdf_pages_kept(prev, d, &e->revs[k]) && !pdf_doc_damaged(d)) {
			/* no page parsed: a unit a page for handing the list on and looking
			   the update's entries up in it, not a walk's 16 (review49: a 1,000-page
			   contract signed 45 times by this server, 92 revisions, was charged
			   past its budget and refused, while each revision but the first and
			   the last is opened so) */
			engine_work_add(e, (unsigned long long)e->npages);
			e->pages_end = e->revs[k].end;
			return d;
		}
	}
	pdf_doc_free(d);
	/* read anew, with the walk: these reads counted once */
	e->xref_reads -= e->xref_chain[k];
	return engine_rev_get(e, k);
}

/* Release a revision engine_rev_get() gave, unless it is the caller's (given, rev_doc, rev_doc2)
   or the final one. */
void
engine_rev_put(struct engine *e, struct pdf_doc *d, struct pdf_doc *last)
{
	if (d != last && d != e->given && d != e->rev_doc && d != e->rev_doc2)
		pdf_doc_free(d);
}

static void
diff_at(struct engine *e, size_t j, struct pdf_doc *older, struct pdf_doc *newer)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	e->fstate[j] = -1;
	if (e->over_reads) {
		/* the budget went on opening newer: its walk is not begun */
		snprintf(e->ferr, sizeof(e->ferr), "revision %zu: over the work budget", j + 1);
	} else if (!older || !newer) {
		snprintf(e->ferr, sizeof(e->ferr), "revision %zu cannot be read on its own",
			 older ? j + 1 : j);
	} else if (!e->refs_ok) {
		snprintf(e->ferr, sizeof(e->ferr), "revision %zu: earlier references unknown",
			 j + 1);
	} else if (pdf_revision_diff_dss(older, newer, &e->revs[j],
					 /* the DSS as the update that wrote it read it */
					 e->dss_known != NULL && e->dss_known_len == e->revs[j].end
						 ? e->dss_known
						 : NULL,
					 &e->refs, &e->diffs[j], &ei) != SP_OK) {
		snprintf(e->ferr, sizeof(e->ferr), "revision %zu: %.200s", j + 1, ei.msg);
	} else if (pdf_doc_damaged(older) || pdf_doc_damaged(newer)) {
		snprintf(e->ferr, sizeof(e->ferr), "revision %zu had to be repaired to be read",
			 j + 1);
	} else {
		e->fstate[j] = 1;
	}
	engine_work_add(e, e->diffs[j].walked);
	/* a failed update leaves the references it made unknown: count them all anew */
	if (e->fstate[j] < 0 && newer) {
		pdf_refs_cleanup(&e->refs);
		sp_errinfo_init(&ei);
		e->refs_ok = pdf_refs_init(newer, &e->refs, &ei) == SP_OK;
	}
}

int
engine_revision_pass(struct engine *e, struct pdf_doc *last, struct sp_errinfo *ei)
{
	struct pdf_doc *prev = NULL, *cur;
	struct sp_errinfo ign;
	unsigned long long need;
	size_t k, i, first = e->nverified > 0 ? e->nverified - 1 : 0;
	int r = SP_OK;

	/* the revisions verified before, unchanged: their signatures are where they were
	   (each signature's revision found once, not once per revision: k^2 steps each) */
	for (i = 0; i < e->nsigs && first > 0; i++) {
		int sr;

		if (e->same[i] == -1 && (sr = engine_sig_revision(e, &e->sigs[i])) >= 0 &&
		    (size_t)sr < first)
			e->same[i] = 1;
	}
	/* what the pass is to read, before it reads any: beyond the cap, nothing is read.
	   The sections are counted only when some revision is to be opened: a completion's
	   pass opens none (the new revision is open, the base held), and counting every
	   section's entries cost it some 5,000 instructions a revision */
	for (k = first, need = e->xref_reads; k < e->nrev; k++)
		if (!(k + 1 == e->nrev && e->revs[k].end == e->len) &&
		    engine_held_rev(e, e->revs[k].end) == NULL) {
			if ((r = xref_chain(e)) != SP_OK)
				return sp_err(ei, r, "out of memory");
			need += e->xref_chain[k];
		}
	if (need > PDF_REVISIONS_MAX_READS) {
		e->over_reads = 1;
		return SP_OK;
	}
	for (k = 0; k < e->nrev && r == SP_OK; k++) {
		/* a job nobody waits for stops here, between two revisions (sp.h); one
		   that would read too much stops before it reads it */
		if ((r = sp_cancel_check(ei)) != SP_OK || e->over_reads)
			break;
		if (k < first) {
			/* and what the next revision changed was accounted for then */
			if (k + 1 < first)
				e->fstate[k + 1] = 1;
			continue;
		}
		cur = k + 1 == e->nrev && e->revs[k].end == e->len ? last
								   : rev_get_after(e, k, prev);
		if (cur && k + 1 < e->nrev && !engine_sigs_hide_none(e, cur))
			r = engine_sigs_hidden(e, cur, ei);
		if (k == first && cur) {
			sp_errinfo_init(&ign);
			/* the set an earlier verification of these very bytes ended with */
			if (e->given_refs != NULL && e->revs[k].end == e->given_end)
				e->refs_ok = pdf_refs_import(e->given_refs, e->ngiven_refs,
							     &e->refs, &ign) == SP_OK;
			else {
				/* the walk reads every earlier signature dictionary: from the bytes
				   (a completion whose base's references are not handed on had
				   qpdf parse each /Contents, 1.5 M instructions a signature) */
				(void)pdf_doc_sigs_preload_revs(cur, e->revs, k + 1);
				e->refs_ok = pdf_refs_init(cur, &e->refs, &ign) == SP_OK;
			}
		}
		if (k > first)
			diff_at(e, k, prev, cur);
		else if (k > 0)
			e->fstate[k] = 1; /* the last revision verified before */
		if (!cur || (k > 0 && e->fstate[k] != 1))
			e->listing_lost = 1;
		else if (r == SP_OK)
			r = engine_sigs_read_written(e, k, cur, ei);
		same_at(e, k, cur);
		engine_rev_put(e, prev, last);
		prev = cur;
	}
	engine_rev_put(e, prev, last);
	/* an update that could not be listed may have rewritten any signature: read them all
	   as the final revision has them (compared with their revisions below) */
	if (r == SP_OK)
		r = engine_sigs_read_final(e, last,
					   e->listing_lost || !last || pdf_doc_damaged(last), ei);
	/* a signature an update hid or rewrote, over an earlier revision: that one read again */
	for (i = 0; i < e->nsigs && r == SP_OK; i++)
		if (e->same[i] == -1 && engine_sig_revision(e, &e->sigs[i]) >= 0) {
			k = (size_t)engine_sig_revision(e, &e->sigs[i]);
			cur = engine_rev_get(e, k);
			same_at(e, k, cur);
			engine_rev_put(e, cur, last);
		}
	return r;
}
