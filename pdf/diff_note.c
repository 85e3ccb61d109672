/*
 * diff_note.c: the changes one difference analysis records (struct
 * pdf_diff), counted whatever their number and listed up to
 * DIFF_CHANGES_MAX, for diff.c's judgement of each object an update lists.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

static struct pdf_change *vnote(struct pdf_diff *d, int obj, int gen, int allowed, int visible,
				const char *fmt, va_list ap) SP_PRINTF(6, 0);

static struct pdf_change *
vnote(struct pdf_diff *d, int obj, int gen, int allowed, int visible, const char *fmt, va_list ap)
{
	struct pdf_change *c;

	if (allowed)
		d->nallowed++;
	else
		d->ndisallowed++;
	d->visible_widgets += visible;
	if (d->n == DIFF_CHANGES_MAX)
		return NULL;
	/* grown, not set aside whole: DIFF_CHANGES_MAX changes zeroed for each diff cost a
	   verification 80 K instructions a revision, for the few a signature's update notes */
	if (d->n == d->cap) {
		size_t cap = d->cap > 0 ? 2 * d->cap : 8;
		if (cap > DIFF_CHANGES_MAX)
			cap = DIFF_CHANGES_MAX;
		if (!(c = realloc(d->c, cap * sizeof(*c))))
			return NULL; /* counted, not listed: as past DIFF_CHANGES_MAX */
		d->c = c;
		d->cap = cap;
	}
	c = &d->c[d->n++];
	memset(c, 0, sizeof(*c));
	c->obj = obj;
	c->gen = gen;
	c->allowed = allowed;
	vsnprintf(c->what, sizeof(c->what), fmt, ap);
	return c;
}

void
diff_note(struct pdf_diff *d, int obj, int gen, int allowed, int visible, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vnote(d, obj, gen, allowed, visible, fmt, ap);
	va_end(ap);
}

/* vnote() of a change with its kind and the field it concerns (NULL: none) */
static void vnote_kind(struct pdf_diff *d, int obj, int gen, int allowed, enum pdf_change_kind kind,
		       const char *field, const char *fmt, va_list ap) SP_PRINTF(7, 0);

static void
vnote_kind(struct pdf_diff *d, int obj, int gen, int allowed, enum pdf_change_kind kind,
	   const char *field, const char *fmt, va_list ap)
{
	struct pdf_change *c = vnote(d, obj, gen, allowed, 0, fmt, ap);

	if (c) {
		c->kind = kind;
		snprintf(c->field, sizeof(c->field), "%s", field ? field : "");
	}
}

void
diff_note_perm(struct pdf_diff *d, int obj, int gen, enum pdf_change_kind kind, const char *field,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote_kind(d, obj, gen, 0, kind, field, fmt, ap);
	va_end(ap);
}

void
diff_note_fill(struct pdf_diff *d, int obj, int gen, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote_kind(d, obj, gen, 1, PDF_CHANGE_SIG_FILL, field, fmt, ap);
	va_end(ap);
}

void
diff_mark_ltv(struct pdf_diff *d)
{
	d->nltv++;
	if (d->n > 0)
		d->c[d->n - 1].ltv = 1;
}

void
diff_mark_meta(struct pdf_diff *d)
{
	d->nmeta++;
}
