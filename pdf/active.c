/*
 * active.c: the actions of a document that do more than move the view:
 * scripts (document-level JavaScript, /JavaScript actions), programs and
 * files opened (/Launch, /GoToR, /GoToE), data sent or read (/SubmitForm,
 * /ImportData), and what changes what the page shows after it is signed
 * (/ResetForm, /Hide, /SetOCGState, /Rendition, rich media). Every party of
 * a contract opens what was uploaded: a script run on opening can show
 * other values than the signed appearance, send what the reader types to
 * anyone, or open a file. ETSI TS 119 102-1 §4.3 asks a signature creation
 * application to look for such dynamic content; PDF/A (ISO 19005-2 §6.5-6.6)
 * forbids it. What stays: a link within the document (/GoTo), to a web
 * address (/URI), a viewer's named command (/Named), and attachments (the
 * contract's annexes: nothing opens them without the reader's own step).
 *
 * The walk looks where ISO 32000-2 §12.6 puts actions: the catalog's
 * /OpenAction, /AA and /Names /JavaScript, each page's /AA, each
 * annotation's /A and /AA, each form field's (the field tree), each outline
 * item's /A, and every action each of those chains with /Next. Each
 * indirect container is visited once (a shared /Annots array is one
 * visit), within PDF_DOC_MAX_OBJECTS steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* what an action may be and stay: it moves the view, or asks the viewer to */
static const char *const kept_types[] = { "/GoTo", "/URI", "/Named", NULL };

struct walk {
	qpdf_data q;
	int strip;
	size_t found, steps;
	unsigned char *seen; /* a bit per object number, up to the greatest one met */
	size_t seencap;      /* its bytes */
	char *what;
	size_t whatcap;
	size_t media;        /* annotations whose content plays or runs (media_type) */
	char media_what[96]; /* the first of them */
};

/*
 * The annotation types whose content plays or runs in the viewer once the
 * annotation is activated (on a click, or as the page opens: /3DA /A /PO,
 * /RichMediaSettings /Activation): a 3D model with its scripts (a /3DD
 * stream's /OnInstantiate JavaScript), rich media (Flash, video, and the
 * /Scripts of its activation), a movie, a sound. None of them is an action:
 * they are what the annotation shows, so neither stripping an action nor
 * keeping the annotation leaves a page every party reads alike. PDF/A-2
 * (ISO 19005-2 §6.3.1) forbids the same four (3D, Sound, Movie, and
 * RichMedia, which ISO 32000-1 lacks); a /Screen annotation plays only
 * through a /Rendition action, which the walk drops.
 */
static const char *const media_types[] = { "/3D", "/RichMedia", "/Movie", "/Sound", NULL };

/* h's /Subtype when it is one of media_types (else NULL) */
static const char *
media_type(qpdf_data q, qpdf_oh h)
{
	qpdf_oh st = qpdf_oh_get_key_if_dict(q, h, "/Subtype");
	const char *name = qpdf_oh_is_name(q, st) ? qpdf_oh_get_name(q, st) : "";
	int i;

	for (i = 0; media_types[i] != NULL && strcmp(media_types[i], name) != 0; i++)
		;
	qpdf_oh_release(q, st);
	return media_types[i];
}

/*
 * The table grown to hold bit id, doubling (at most PDF_DOC_MAX_OBJECTS
 * bits): its size follows the greatest object number the walk meets, not
 * the most any file may have. A fixed 500 KB one cost each walk a 500 KB
 * memset (calloc from a heap once the first was freed): 320 K instructions,
 * more than the walk of a small contract itself.
 */
static int
seen_room(struct walk *w, size_t id)
{
	size_t nc = w->seencap > 0 ? w->seencap : 256;
	unsigned char *nv;

	while (nc <= id >> 3)
		nc *= 2;
	if (nc > PDF_DOC_MAX_OBJECTS / 8 + 1)
		nc = PDF_DOC_MAX_OBJECTS / 8 + 1;
	if ((nv = realloc(w->seen, nc)) == NULL)
		return -1;
	memset(nv + w->seencap, 0, nc - w->seencap);
	w->seen = nv;
	w->seencap = nc;
	return 0;
}

/* 1 the first time indirect h is met; a direct object is always new */
static int
first_visit(struct walk *w, qpdf_oh h)
{
	int id = qpdf_oh_get_object_id(w->q, h);

	/* (without room it is met again: every visit is still a step of the walk's budget) */
	if (id <= 0 || id > PDF_DOC_MAX_OBJECTS ||
	    ((size_t)id >> 3 >= w->seencap && seen_room(w, (size_t)id) != 0))
		return 1;
	if (w->seen[id >> 3] & (1u << (id & 7)))
		return 0;
	w->seen[id >> 3] |= (unsigned char)(1u << (id & 7));
	return 1;
}

static int
step(struct walk *w, struct sp_errinfo *ei)
{
	if (++w->steps > PDF_DOC_MAX_OBJECTS)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "too many actions and annotations to check");
	return SP_OK;
}

/* the first thing found, for the message: its type and where it was */
static void
note(struct walk *w, const char *type, const char *where)
{
	if (w->found++ == 0 && w->what != NULL)
		snprintf(w->what, w->whatcap, "a %s action in %s", type, where);
}

/* the items one chain may hold (a writer's chains hold one to three actions): a /Next
   list naming an action that names the list again is walked once per path, which
   grows as the list's length to the depth */
#define CHAIN_ACTIONS_MAX 32

/*
 * The type of the first action of the chain from a that is not kept (into
 * type), or "" when every one is kept. A destination (an array, a name) is
 * no action. *left counts down the items the chain may still hold
 * (CHAIN_ACTIONS_MAX to begin with): a longer one is not kept.
 */
static void
action_bad(qpdf_data q, qpdf_oh a, int *left, size_t *steps, char *type, size_t cap)
{
	qpdf_oh s, next;
	const char *name;
	int i, n;

	if (type[0] != '\0')
		return;
	/* every item counts, a dictionary or not: a shared list of a million numbers
	   is not read again for each action that names it */
	if (steps != NULL)
		++*steps;
	if (--*left < 0) {
		snprintf(type, cap, "%s", "/Next chain too long");
		return;
	}
	if (!qpdf_oh_is_dictionary(q, a))
		return;
	s = qpdf_oh_get_key_if_dict(q, a, "/S");
	name = qpdf_oh_is_name(q, s) ? qpdf_oh_get_name(q, s) : "";
	for (i = 0; kept_types[i] != NULL && strcmp(kept_types[i], name) != 0; i++)
		;
	if (kept_types[i] == NULL) {
		snprintf(type, cap, "%s", name[0] ? name + 1 : "untyped");
		qpdf_oh_release(q, s);
		return;
	}
	qpdf_oh_release(q, s);
	next = qpdf_oh_get_key_if_dict(q, a, "/Next");
	if (qpdf_oh_is_array(q, next)) {
		n = qpdf_oh_get_array_n_items(q, next);
		for (i = 0; i < n && type[0] == '\0'; i++) {
			qpdf_oh it = qpdf_oh_get_array_item(q, next, i);
			action_bad(q, it, left, steps, type, cap);
			qpdf_oh_release(q, it);
		}
	} else {
		action_bad(q, next, left, steps, type, cap);
	}
	qpdf_oh_release(q, next);
}

/* action_bad() of the chain from a, with its own count; *steps (NULL: none) counts its items */
static void
chain_bad(qpdf_data q, qpdf_oh a, size_t *steps, char *type, size_t cap)
{
	int left = CHAIN_ACTIONS_MAX;

	action_bad(q, a, &left, steps, type, cap);
}

/* holder's action under key: noted (and removed when stripping) if not kept */
static void
action_key(struct walk *w, qpdf_oh holder, const char *key, const char *where)
{
	qpdf_oh a = qpdf_oh_get_key_if_dict(w->q, holder, key);
	char type[64] = "";

	chain_bad(w->q, a, &w->steps, type, sizeof(type));
	qpdf_oh_release(w->q, a);
	if (type[0] == '\0')
		return;
	note(w, type, where);
	if (w->strip)
		qpdf_oh_remove_key(w->q, holder, key);
}

/* holder's /AA (additional actions: a trigger each), each trigger's action as action_key's */
static void
triggers(struct walk *w, qpdf_oh holder, const char *where)
{
	qpdf_data q = w->q;
	qpdf_oh aa = qpdf_oh_get_key_if_dict(q, holder, "/AA");
	char key[64];
	int left = 0;

	if (qpdf_oh_is_dictionary(q, aa) && first_visit(w, aa)) {
		qpdf_oh_begin_dict_key_iter(q, aa);
		while (qpdf_oh_dict_more_keys(q)) {
			/* (removing a key is safe: the iteration goes over a copy of the keys) */
			snprintf(key, sizeof(key), "%s", qpdf_oh_dict_next_key(q));
			action_key(w, aa, key, where);
		}
		qpdf_oh_begin_dict_key_iter(q, aa);
		left = qpdf_oh_dict_more_keys(q);
		if (w->strip && !left)
			qpdf_oh_remove_key(q, holder, "/AA");
	}
	qpdf_oh_release(q, aa);
}

/* an annotation, a field or an outline item: its /A and /AA */
static void
actor(struct walk *w, qpdf_oh h, const char *where)
{
	action_key(w, h, "/A", where);
	triggers(w, h, where);
}

static int
page_annots(struct walk *w, qpdf_oh page, struct sp_errinfo *ei)
{
	qpdf_data q = w->q;
	qpdf_oh annots = qpdf_oh_get_key_if_dict(q, page, "/Annots");
	int i, n, r = SP_OK;

	triggers(w, page, "a page's open or close");
	if (qpdf_oh_is_array(q, annots) && first_visit(w, annots)) {
		n = qpdf_oh_get_array_n_items(q, annots);
		for (i = 0; i < n; i++) {
			qpdf_oh a = qpdf_oh_get_array_item(q, annots, i);
			if ((r = step(w, ei)) == SP_OK && qpdf_oh_is_dictionary(q, a) &&
			    first_visit(w, a)) {
				const char *mt = media_type(q, a);
				actor(w, a, "an annotation");
				if (mt != NULL && w->media++ == 0)
					snprintf(w->media_what, sizeof(w->media_what),
						 "a %s annotation", mt + 1);
			}
			qpdf_oh_release(q, a);
			if (r != SP_OK)
				break;
		}
	}
	qpdf_oh_release(q, annots);
	return r;
}

static int
field_visit(void *arg, const struct pdf_field_node *n, struct sp_errinfo *ei)
{
	struct walk *w = arg;
	int r;

	if ((r = step(w, ei)) != SP_OK)
		return r;
	/* a widget of /Annots met already: its kids are still walked (the walk's own
	   caps bound a tree that loops) */
	if (first_visit(w, n->oh))
		actor(w, n->oh, "a form field");
	return PDF_FIELD_DESCEND;
}

/* the outline's items, each with its /First (children) and /Next (siblings), by a stack */
static int
outline(struct walk *w, qpdf_oh root, struct sp_errinfo *ei)
{
	qpdf_data q = w->q;
	qpdf_oh ol = qpdf_oh_get_key_if_dict(q, root, "/Outlines");
	qpdf_oh *stack = NULL, it;
	size_t sp = 0, cap = 0;
	int r = SP_OK;

	if (qpdf_oh_is_dictionary(q, ol)) {
		it = qpdf_oh_get_key_if_dict(q, ol, "/First");
		for (;;) {
			if (!qpdf_oh_is_dictionary(q, it) || !first_visit(w, it)) {
				qpdf_oh_release(q, it);
				if (sp == 0)
					break;
				it = stack[--sp];
				continue;
			}
			if ((r = step(w, ei)) != SP_OK) {
				qpdf_oh_release(q, it);
				break;
			}
			actor(w, it, "an outline item");
			if (sp == cap) {
				size_t nc = cap ? 2 * cap : 64;
				qpdf_oh *nv = realloc(stack, nc * sizeof(*stack));
				if (nv == NULL) {
					qpdf_oh_release(q, it);
					r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
					break;
				}
				stack = nv;
				cap = nc;
			}
			stack[sp++] = qpdf_oh_get_key_if_dict(q, it, "/Next");
			{
				qpdf_oh first = qpdf_oh_get_key_if_dict(q, it, "/First");
				qpdf_oh_release(q, it);
				it = first;
			}
		}
	}
	while (sp > 0)
		qpdf_oh_release(q, stack[--sp]);
	free(stack);
	qpdf_oh_release(q, ol);
	return r;
}

/* the catalog's own: the open action, its triggers, the document's scripts */
static void
catalog(struct walk *w, qpdf_oh root)
{
	qpdf_data q = w->q;
	qpdf_oh names = qpdf_oh_get_key_if_dict(q, root, "/Names");

	action_key(w, root, "/OpenAction", "the document's open action");
	triggers(w, root, "the document's triggers");
	if (qpdf_oh_has_key(q, names, "/JavaScript")) {
		note(w, "JavaScript", "the document's scripts (/Names /JavaScript)");
		if (w->strip)
			qpdf_oh_remove_key(q, names, "/JavaScript");
	}
	qpdf_oh_release(q, names);
}

int
pdf_annot_plays(qpdf_data q, qpdf_oh h)
{
	return media_type(q, h) != NULL;
}

int
pdf_actions_held(qpdf_data q, qpdf_oh h)
{
	/* the triggers of ISO 32000-2 Tables 197-199 (a viewer runs no other): looked up
	   by name, so that a caller's own key iteration over h is left alone */
	static const char *const trig[] = { "/E",  "/X",  "/D",  "/U",  "/Fo", "/Bl", "/PO",
					    "/PC", "/PV", "/PI", "/O",  "/C",  "/K",  "/F",
					    "/V",  "/WC", "/WS", "/DS", "/WP", "/DP", NULL };
	qpdf_oh a, aa;
	char type[64] = "";
	int i;

	if (pdf_annot_plays(q, h))
		return 1; /* its content itself runs */
	a = qpdf_oh_get_key_if_dict(q, h, "/A");
	aa = qpdf_oh_get_key_if_dict(q, h, "/AA");
	chain_bad(q, a, NULL, type, sizeof(type));
	qpdf_oh_release(q, a);
	for (i = 0; trig[i] != NULL && type[0] == '\0' && qpdf_oh_is_dictionary(q, aa); i++) {
		qpdf_oh t = qpdf_oh_get_key_if_dict(q, aa, trig[i]);
		chain_bad(q, t, NULL, type, sizeof(type));
		qpdf_oh_release(q, t);
	}
	qpdf_oh_release(q, aa);
	return type[0] != '\0';
}

int
pdf_actions_find(qpdf_data q, const int *page_objs, size_t npages, int strip, size_t *found,
		 char *what, size_t whatcap, struct sp_errinfo *ei)
{
	struct walk w = { q, strip, 0, 0, NULL, 0, what, whatcap, 0, "" };
	qpdf_oh root = qpdf_get_root(q), af;
	size_t nodes = 0, i;
	int r = SP_ERR_INTERNAL;

	*found = 0;
	if (what != NULL && whatcap > 0)
		what[0] = '\0';
	catalog(&w, root);
	for (i = 0; i < npages; i++) {
		qpdf_oh p = qpdf_get_object_by_id(q, page_objs[2 * i], page_objs[2 * i + 1]);
		r = page_annots(&w, p, ei);
		qpdf_oh_release(q, p);
		if (r != SP_OK)
			goto out;
	}
	af = qpdf_oh_get_key_if_dict(q, root, "/AcroForm");
	r = pdf_field_walk(q, qpdf_oh_get_key_if_dict(q, af, "/Fields"), 1, &nodes, field_visit, &w,
			   ei);
	qpdf_oh_release(q, af);
	if (r != SP_OK || (r = outline(&w, root, ei)) != SP_OK ||
	    (w.steps > PDF_DOC_MAX_OBJECTS && (r = step(&w, ei)) != SP_OK))
		goto out;
	if (w.media > 0) {
		r = sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_active_content",
				  "the PDF carries %s%s: its content plays or runs in the viewer "
				  "once activated (a script, a movie, a sound, a 3D model), and "
				  "it is what the page shows there, so it can be neither kept "
				  "nor removed; print the contract to PDF first",
				  w.media_what, w.media > 1 ? " and more" : "");
		goto out;
	}
	*found = w.found;
	r = SP_OK;
out:
	free(w.seen);
	return r;
}
