/*
 * field_walk.c: the walk of an AcroForm's field tree that finds signature
 * fields, one for the two that need it: the listing of signed fields
 * (sig_fields.c's list()) and the facts kept per /Fields entry, which must
 * find exactly what that listing finds (form_kept.c). The walk goes depth
 * first in document order with an explicit stack (a hostile tree is as deep
 * as it likes), carries /FT /Sig down to the kids and builds each field's
 * fully qualified name; what a field means is the visitor's to say.
 *
 * The caps are the listing's: FIELD_NODES_MAX nodes over every walk that
 * shares the count, PDF_MAX_DEPTH levels, a stack of at most about
 * FIELD_NODES_MAX entries. Past one the walk fails with SP_ERR_LIMIT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

struct stack {
	struct pdf_field_node *n;
	size_t sp, cap;
};

/* room for one more entry: doubled while under the cap, else a refusal */
static int
room(struct stack *s, struct sp_errinfo *ei)
{
	void *nv;

	if (s->sp + 1 < s->cap)
		return SP_OK;
	nv = s->cap < FIELD_NODES_MAX ? realloc(s->n, 2 * s->cap * sizeof(*s->n)) : NULL;
	if (!nv)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit", "too many form fields");
	s->n = nv;
	s->cap *= 2;
	return SP_OK;
}

/* the items of array a, last first, so that they pop in order, under parent */
static int
push_items(qpdf_data q, struct stack *s, qpdf_oh a, const struct pdf_field_node *parent,
	   struct sp_errinfo *ei)
{
	int i, r;

	for (i = qpdf_oh_get_array_n_items(q, a); i-- > 0;) {
		if ((r = room(s, ei)) < 0)
			return r;
		memset(&s->n[s->sp], 0, sizeof(s->n[0]));
		s->n[s->sp].oh = qpdf_oh_get_array_item(q, a, i);
		if (parent != NULL) {
			s->n[s->sp].depth = parent->depth + 1;
			s->n[s->sp].is_sig = parent->is_sig;
			memcpy(s->n[s->sp].name, parent->name, sizeof(parent->name));
		}
		s->sp++;
	}
	return SP_OK;
}

int
pdf_field_walk(qpdf_data q, qpdf_oh root, int root_is_fields, size_t *nodes,
	       int (*visit)(void *arg, const struct pdf_field_node *n, struct sp_errinfo *ei),
	       void *arg, struct sp_errinfo *ei)
{
	struct stack s = { malloc(64 * sizeof(*s.n)), 0, 64 };
	qpdf_oh ft, t;
	int r = SP_OK;

	if (s.n == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (!root_is_fields) {
		memset(&s.n[0], 0, sizeof(s.n[0]));
		s.n[s.sp++].oh = root;
	} else if (qpdf_oh_is_array(q, root) && (r = push_items(q, &s, root, NULL, ei)) < 0) {
		goto out;
	}
	while (s.sp > 0) {
		struct pdf_field_node cur = s.n[--s.sp];
		char full[sizeof(cur.name)];
		if (++*nodes > FIELD_NODES_MAX || cur.depth > PDF_MAX_DEPTH) {
			r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					  "the field tree is too large");
			goto out;
		}
		if (!qpdf_oh_is_dictionary(q, cur.oh))
			continue;
		ft = qpdf_oh_get_key_if_dict(q, cur.oh, "/FT");
		if (qpdf_oh_is_name(q, ft))
			cur.is_sig = qpdf_oh_is_name_and_equals(q, ft, "/Sig");
		t = qpdf_oh_get_key_if_dict(q, cur.oh, "/T");
		/* names are for people: a very long one is cut, never overflowed */
		snprintf(full, sizeof(full), "%.60s%s%.60s", cur.name, cur.name[0] ? "." : "",
			 qpdf_oh_is_string(q, t) ? qpdf_oh_get_utf8_value(q, t) : "");
		memcpy(cur.name, full, sizeof(full));
		cur.v = qpdf_oh_get_key_if_dict(q, cur.oh, "/V");
		cur.kids = qpdf_oh_get_key_if_dict(q, cur.oh, "/Kids");
		if ((r = visit(arg, &cur, ei)) < 0)
			goto out;
		if (r == PDF_FIELD_STOP)
			break;
		if (r == PDF_FIELD_DESCEND && qpdf_oh_is_array(q, cur.kids) &&
		    (r = push_items(q, &s, cur.kids, &cur, ei)) < 0)
			goto out;
	}
	r = SP_OK;
out:
	free(s.n);
	return r;
}
