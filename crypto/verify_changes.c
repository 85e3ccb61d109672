/*
 * verify_changes.c: what the updates after a signature's revision changed,
 * judged for that signature: allowed by the difference analysis
 * (pdf_revision_diff, run by the revision pass), permitted by the DocMDP /P
 * in force (ISO 32000-2 Table 236), or refused by a FieldMDP lock that
 * covers the field; and what the signature's own certification forbids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "verify_int.h"

/*
 * The DocMDP permissions in force for a signature over revision k: those of
 * the certification signature that revision k or an earlier one holds,
 * lowered by the /P of any signature field lock signed by then (ISO 32000-2
 * Table 236: permissions can be denied, never added). 0 when no signature
 * grants any: unlike the standard's default of 3 for an uncertified
 * document, an approval signature alone covers its form values too (a
 * changed value is a shadow attack), so only an explicit P permits them.
 */
static int
docmdp_in_force(const struct engine *e, size_t k)
{
	size_t t;
	int r, p = 0, own;

	if (e->mdp != NULL && k < e->nrev)
		return e->mdp[k];
	for (t = 0; t < e->nsigs; t++) {
		if ((r = engine_sig_revision(e, &e->sigs[t])) < 0 || (size_t)r > k)
			continue;
		own = e->sigs[t].docmdp_p;
		if (e->sigs[t].lock_p > 0 && (own == 0 || e->sigs[t].lock_p < own))
			own = e->sigs[t].lock_p;
		if (own > 0 && (p == 0 || own < p))
			p = own;
	}
	return p;
}

/* The name of a signature made by revision k whose FieldMDP lock covers field, else NULL. */
static const char *
locked_by(const struct engine *e, size_t k, const char *field)
{
	size_t t;
	int r;

	for (t = 0; t < e->nsigs; t++)
		if ((r = engine_sig_revision(e, &e->sigs[t])) >= 0 && (size_t)r <= k &&
		    pdf_sig_field_locks(&e->sigs[t], field))
			return e->sigs[t].name;
	return NULL;
}

/*
 * Whether DocMDP / FieldMDP permit change c for a signature over revision
 * k: filling in a field with P>=2 when no signature made by then (revision
 * k or earlier: their locks were in force) locks it; annotations with P=3.
 */
static const char *
permitted(const struct engine *e, size_t k, int p, const struct pdf_change *c, const char **locker)
{
	*locker = NULL;
	if (c->kind == PDF_CHANGE_ANNOT)
		return p == 3 ? "DocMDP P=3 permits annotations" : NULL;
	if (c->kind != PDF_CHANGE_FORM_FILL || p < 2)
		return NULL;
	if ((*locker = locked_by(e, k, c->field)) != NULL)
		return NULL;
	return p == 2 ? "DocMDP P=2 permits form filling" : "DocMDP P=3 permits form filling";
}

/*
 * docmdp_in_force() of every revision, into e->mdp (NULL: each asked walks
 * the signatures, as before): the signatures are read by now, and each
 * prior signature's report asks it (k signatures, k revisions each, k times).
 */
void
engine_docmdp_memo(struct engine *e)
{
	size_t t, k;
	int r, own;

	if (e->nrev == 0 || (e->mdp = calloc(e->nrev, sizeof(*e->mdp))) == NULL)
		return;
	/* the lowest /P of the signatures over each revision, then over it or earlier */
	for (t = 0; t < e->nsigs; t++) {
		if ((r = engine_sig_revision(e, &e->sigs[t])) < 0)
			continue;
		own = e->sigs[t].docmdp_p;
		if (e->sigs[t].lock_p > 0 && (own == 0 || e->sigs[t].lock_p < own))
			own = e->sigs[t].lock_p;
		if (own > 0 && (e->mdp[r] == 0 || own < e->mdp[r]))
			e->mdp[r] = own;
	}
	for (k = 1; k < e->nrev; k++)
		if (e->mdp[k - 1] > 0 && (e->mdp[k] == 0 || e->mdp[k - 1] < e->mdp[k]))
			e->mdp[k] = e->mdp[k - 1];
}

/* What changed after revision k, for a signature that signs it. */
void
engine_changes_after(struct engine *e, size_t k, const struct pdf_sig_field *s,
		     struct crypto_sig_report *rep)
{
	size_t j, i;
	int visible = 0, p = docmdp_in_force(e, k), own;
	const char *why, *locker;

	rep->changes_ok = 1;
	for (j = k + 1; j < e->nrev; j++) {
		if (e->fstate[j] < 0) {
			rep->changes_ok = 0;
			verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "changes_unverifiable",
				    "later changes cannot be accounted for: %s", e->ferr);
			return;
		}
		rep->nallowed += e->diffs[j].nallowed;
		rep->ndisallowed += e->diffs[j].ndisallowed;
		visible += e->diffs[j].visible_widgets;
		for (i = 0; i < e->diffs[j].n; i++) {
			const struct pdf_change *dc = &e->diffs[j].c[i];
			struct crypto_change *c;
			locker = NULL;
			why = dc->allowed ? NULL : permitted(e, k, p, dc, &locker);
			if (why) {
				/* counted as disallowed by the diff, which knows no signature */
				rep->nallowed++;
				rep->ndisallowed--;
			}
			if (dc->allowed && dc->kind == PDF_CHANGE_SIG_FILL &&
			    (locker = locked_by(e, k, dc->field)) != NULL) {
				/* allowed by the diff, unless a lock in force covers the field */
				rep->nallowed--;
				rep->ndisallowed++;
			}
			if (rep->nchanges == CRYPTO_VERIFY_CHANGES_MAX)
				continue;
			c = &rep->changes[rep->nchanges++];
			c->revision = j + 1;
			c->obj = dc->obj;
			c->gen = dc->gen;
			c->allowed = (dc->allowed && !locker) || why;
			if (locker)
				snprintf(c->what, sizeof(c->what),
					 "%.80s (a field the FieldMDP lock of \"%.28s\" covers)",
					 dc->what, locker);
			else if (why)
				snprintf(c->what, sizeof(c->what), "%.100s (%s)", dc->what, why);
			else {
				/* as "%.100s" writes it, without the formatter: once per change and
				   earlier signature (k of them at a contract's k-th signing) */
				size_t l = strnlen(dc->what, 100);

				memcpy(c->what, dc->what, l);
				c->what[l] = '\0';
			}
		}
	}
	if (rep->ndisallowed > 0) {
		rep->changes_ok = 0;
		for (i = 0; i < rep->nchanges && rep->changes[i].allowed; i++)
			;
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "disallowed_changes",
			    "%zu disallowed change(s) after signing, first in revision %zu: %s",
			    rep->ndisallowed, i < rep->nchanges ? rep->changes[i].revision : 0,
			    i < rep->nchanges ? rep->changes[i].what : "");
	}
	/* what this signature itself set (certification, or its lock's /P): P=1 no change
	   at all, P=2 no new visible widgets */
	own = s->docmdp_p;
	if (s->lock_p > 0 && (own == 0 || s->lock_p < own))
		own = s->lock_p;
	if ((own == 1 && k + 1 < e->nrev) || (own == 2 && visible > 0)) {
		rep->changes_ok = 0;
		verify_fail(rep, CRYPTO_VERDICT_INVALID, "docmdp_violation",
			    "the %s (DocMDP P=%d) forbids the later %s",
			    s->docmdp_p ? "certifying signature" : "signature's field lock", own,
			    own == 1 ? "revisions" : "visible signature widgets");
	}
	if (rep->verdict == CRYPTO_VERDICT_VALID && k + 1 < e->nrev)
		rep->verdict = CRYPTO_VERDICT_VALID_ALLOWED_CHANGES;
}
