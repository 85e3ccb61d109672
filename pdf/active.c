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
 * /OpenAction, /AA and /Names /JavaScript (and its /Collection, which shows
 * another document than the pages), each page's /AA, each
 * annotation's /A and /AA, each form field's (the field tree), each outline
 * item's /A, and every action each of those chains with /Next. Each
 * indirect object is visited once in each role it may play (an annotation
 * that is also a page's /AA dictionary and an outline item is read as each),
 * and each indirect action is judged once, within PDF_DOC_MAX_OBJECTS steps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pdf_int.h"

/*
 * PDFium reads a stream's dictionary wherever it asks for a dictionary
 * (CPDF_Dictionary::GetDictFor, CPDF_Array::GetDictAt): an action, an /AA,
 * an annotation, a field or an outline item written as a stream runs there
 * as the dictionary would (review52: a catalog /URI written as a stream kept
 * its file: /Base for Chrome and Edge). So this file reads them alike: a
 * stream stands for its dictionary, and is remembered by its own number.
 */
static int
dictlike(qpdf_data q, qpdf_oh h)
{
	return qpdf_oh_is_dictionary(q, h) || qpdf_oh_is_stream(q, h);
}

/* the dictionary of h read: h itself, or a stream's (released by the caller when
   not h) */
static qpdf_oh
dict_read(qpdf_data q, qpdf_oh h)
{
	return qpdf_oh_is_stream(q, h) ? qpdf_oh_get_dict(q, h) : h;
}

/* h's value under k, h a dictionary or a stream */
static qpdf_oh
key_of(qpdf_data q, qpdf_oh h, const char *k)
{
	qpdf_oh d = dict_read(q, h), v = qpdf_oh_get_key_if_dict(q, d, k);

	if (d != h)
		qpdf_oh_release(q, d);
	return v;
}

static int
key_has(qpdf_data q, qpdf_oh h, const char *k)
{
	qpdf_oh d = dict_read(q, h);
	int has = qpdf_oh_is_dictionary(q, d) && qpdf_oh_has_key(q, d, k);

	if (d != h)
		qpdf_oh_release(q, d);
	return has;
}

static void
key_remove(qpdf_data q, qpdf_oh h, const char *k)
{
	qpdf_oh d = dict_read(q, h);

	if (qpdf_oh_is_dictionary(q, d))
		qpdf_oh_remove_key(q, d, k);
	if (d != h)
		qpdf_oh_release(q, d);
}

/* what an action may be and stay: it moves the view, or asks the viewer to */
static const char *const kept_types[] = { "/GoTo", "/URI", "/Named", NULL };

/*
 * The addresses a /URI action may open and stay: a web page, a mail, a phone
 * number, a file on a web server; or a relative address without a scheme, a
 * leading slash or a backslash ("www.bank.example/terms", which viewers
 * complete as a web address). A viewer hands any other to the system:
 * javascript: to a browser, file: and a UNC path (\\host\share, or
 * //host/share) to the file system, which on Windows answers a remote share
 * with the reader's NTLM credentials.
 */
static const char *const kept_schemes[] = { "http:", "https:", "mailto:", "tel:", "ftp:", NULL };

int
pdf_address_kept(const char *v, size_t n, int relative)
{
	size_t len;
	int i, ok = 0;

	/* as a URL parser reads it: leading spaces and C0 controls dropped first
	   (WHATWG URL; review51: " //host/share" is scheme-relative there) */
	while (n > 0 && (unsigned char)*v <= 0x20) {
		v++;
		n--;
	}
	for (i = 0; !ok && kept_schemes[i] != NULL; i++) {
		len = strlen(kept_schemes[i]);
		ok = n >= len && strncasecmp(v, kept_schemes[i], len) == 0;
	}
	/* relative: no scheme (no ':' at all), no leading '/', no '\\' or NUL */
	return ok || (relative && n > 0 && v[0] != '/' && memchr(v, ':', n) == NULL &&
		      memchr(v, '\\', n) == NULL && memchr(v, '\0', n) == NULL);
}

/* 1 when h's key is a string pdf_address_kept() keeps */
static int
address_kept(qpdf_data q, qpdf_oh h, const char *key, int relative)
{
	qpdf_oh u = key_of(q, h, key);
	const char *v;
	size_t n = 0;
	int ok = qpdf_oh_is_string(q, u) &&
		 (v = qpdf_oh_get_binary_string_value(q, u, &n)) != NULL &&
		 pdf_address_kept(v, n, relative);

	qpdf_oh_release(q, u);
	return ok;
}

struct walk {
	qpdf_data q;
	int strip;
	size_t found, steps;
	uint16_t *seen; /* SEEN_* bits per object number, up to the greatest one met */
	size_t seencap; /* its entries */
	char *what;
	size_t whatcap;
	size_t media;        /* annotations whose content plays or runs (media_type) */
	char media_what[96]; /* the first of them */
};

/*
 * What the walk has done with an object, a bit for each role it may play:
 * a hostile file gives one object several (review50: an annotation that is
 * also page 2's /AA dictionary and the outline's first item), and each is
 * read for what that role runs.
 */
enum {
	SEEN_ACTOR = 1,    /* its /A and /AA read (annotation, field, outline item) */
	SEEN_TRIGGERS = 2, /* read as an /AA dictionary: each trigger's action */
	SEEN_ANNOTS = 4,   /* read as a page's /Annots array */
	SEEN_OUTLINE = 8,  /* its outline /First and /Next followed */
	SEEN_JUDGING = 16, /* an action being judged (action_bad): met again, a loop */
	SEEN_KEPT = 32,    /* an action judged, with all it chains to: kept */
	SEEN_BAD = 64,     /* an action judged: not kept */
	SEEN_ANNOT = 128,  /* read as a page's annotation: what it plays, its /Parent chain */
	SEEN_PARENT = 256, /* met up an annotation's /Parent chain: the chain above it followed */
};
/* SEEN_KEPT: the items of the action's chain (judge, at most CHAIN_TOO_LONG), in the
   bits above these */
#define SEEN_COUNT_SHIFT 9

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
	qpdf_oh st = key_of(q, h, "/Subtype");
	const char *name = qpdf_oh_is_name(q, st) ? qpdf_oh_get_name(q, st) : "";
	int i;

	for (i = 0; media_types[i] != NULL && strcmp(media_types[i], name) != 0; i++)
		;
	qpdf_oh_release(q, st);
	return media_types[i];
}

/*
 * The table grown to hold entry id, doubling (at most PDF_DOC_MAX_OBJECTS + 1
 * entries): its size follows the greatest object number the walk meets, not
 * the most any file may have. A fixed 500 KB one cost each walk a 500 KB
 * memset (calloc from a heap once the first was freed): 320 K instructions,
 * more than the walk of a small contract itself.
 */
static int
seen_room(struct walk *w, size_t id)
{
	size_t nc = w->seencap > 0 ? w->seencap : 256;
	uint16_t *nv;

	while (nc <= id)
		nc *= 2;
	if (nc > PDF_DOC_MAX_OBJECTS + 1)
		nc = PDF_DOC_MAX_OBJECTS + 1;
	if ((nv = realloc(w->seen, nc * sizeof(*nv))) == NULL)
		return -1;
	memset(nv + w->seencap, 0, (nc - w->seencap) * sizeof(*nv));
	w->seen = nv;
	w->seencap = nc;
	return 0;
}

/* h's SEEN_* entry, or NULL for a direct object (always new) or when there is no room */
static uint16_t *
seen_of(struct walk *w, qpdf_oh h)
{
	int id = qpdf_oh_get_object_id(w->q, h);

	if (id <= 0 || id > PDF_DOC_MAX_OBJECTS ||
	    ((size_t)id >= w->seencap && seen_room(w, (size_t)id) != 0))
		return NULL;
	return &w->seen[id];
}

/* 1 the first time indirect h is met in role (a SEEN_* bit); a direct object is always
   new (and without room it is met again: every visit is still a step of the budget) */
static int
first_visit(struct walk *w, qpdf_oh h, uint16_t role)
{
	uint16_t *b = seen_of(w, h);

	if (b == NULL)
		return 1;
	if (*b & role)
		return 0;
	*b = (uint16_t)(*b | role);
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

/* the items a chain may hold, counted path by path (a writer's chains hold one to
   three): more is not kept. Twelve actions each naming the next eight times in its
   /Next are 8^12 paths, which a viewer may well run one by one */
#define CHAIN_ACTIONS_MAX 32
#define CHAIN_TOO_LONG (CHAIN_ACTIONS_MAX + 1)
/* the nesting judge() recurses to: a kept chain is no deeper than its items */
#define CHAIN_DEPTH_MAX (2 * CHAIN_ACTIONS_MAX)

/* One judging of actions: the walk's memory and step count, or none (w NULL) */
struct judge {
	qpdf_data q;
	struct walk *w;
	int depth;
	char type[64]; /* the first action not kept, "" while every one is */
};

static int judge(struct judge *j, qpdf_oh a, int left);

/* the items of a itself and of all it chains with /Next, within left */
static int
judge_own(struct judge *j, qpdf_oh a, int left)
{
	qpdf_data q = j->q;
	qpdf_oh s = key_of(q, a, "/S"), next;
	const char *name = qpdf_oh_is_name(q, s) ? qpdf_oh_get_name(q, s) : "";
	int i, n = 1;

	for (i = 0; kept_types[i] != NULL && strcmp(kept_types[i], name) != 0; i++)
		;
	if (kept_types[i] == NULL)
		snprintf(j->type, sizeof(j->type), "%s", name[0] ? name + 1 : "untyped");
	else if (strcmp(kept_types[i], "/URI") == 0 && !address_kept(q, a, "/URI", 1))
		snprintf(j->type, sizeof(j->type), "%s", "URI to no web or mail address");
	qpdf_oh_release(q, s);
	if (j->type[0] == '\0') {
		next = key_of(q, a, "/Next");
		n += judge(j, next, left - 1);
		qpdf_oh_release(q, next);
	}
	return n < CHAIN_TOO_LONG ? n : CHAIN_TOO_LONG;
}

/* the items of a, an array of actions or an action with its chain, within left */
static int
judge_value(struct judge *j, qpdf_oh a, int left)
{
	qpdf_data q = j->q;
	int i, items, n;

	if (!qpdf_oh_is_array(q, a))
		return judge_own(j, a, left);
	items = qpdf_oh_get_array_n_items(q, a);
	for (i = 0, n = 1; i < items && j->type[0] == '\0'; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(q, a, i);
		n += judge(j, it, left - n);
		qpdf_oh_release(q, it);
	}
	return n < CHAIN_TOO_LONG ? n : CHAIN_TOO_LONG;
}

/*
 * Judge a, which stands where an action stands (/A, a trigger of /AA, an
 * item of /Next): the type of the first action of its chain that is not
 * kept goes into j->type, "/Next chain too long" past left items. Answers
 * the items read (at most CHAIN_TOO_LONG). An array there is a list of
 * actions, at any depth, as viewers read it (pdf.js _collectJS, review50);
 * a destination stands only under /OpenAction (action_key). With a walk,
 * each indirect action or array of actions is judged once, on its own, and
 * its verdict and items remembered: a chain or a list that many triggers or
 * actions share is read once (review50: 400,000 triggers naming one chain
 * took 15 s of CPU; review51: 128,000 naming one array of fifteen direct
 * actions, 2.8 s), and every item is a step of the walk's budget.
 */
static int
judge(struct judge *j, qpdf_oh a, int left)
{
	qpdf_data q = j->q;
	uint16_t *b = NULL;
	int n = 0;

	if (j->type[0] != '\0')
		return 0;
	if (j->w != NULL && ++j->w->steps > PDF_DOC_MAX_OBJECTS) {
		snprintf(j->type, sizeof(j->type), "%s", "too many actions");
		return CHAIN_TOO_LONG;
	}
	if (left <= 0 || j->depth >= CHAIN_DEPTH_MAX) {
		snprintf(j->type, sizeof(j->type), "%s", "/Next chain too long");
		return CHAIN_TOO_LONG;
	}
	j->depth++;
	if (!qpdf_oh_is_array(q, a) && !dictlike(q, a)) {
		n = 1; /* null, or nothing a viewer runs: an item all the same */
	} else if (j->w == NULL || (b = seen_of(j->w, a)) == NULL) {
		n = judge_value(j, a, left);
	} else if (*b & (SEEN_BAD | SEEN_JUDGING)) {
		/* judged before (and noted then), or a loop back into its own chain */
		snprintf(j->type, sizeof(j->type), "%s",
			 *b & SEEN_BAD ? "repeated" : "/Next chain too long");
		n = CHAIN_TOO_LONG;
	} else if (*b & SEEN_KEPT) {
		n = *b >> SEEN_COUNT_SHIFT;
	} else {
		*b = (uint16_t)(*b | SEEN_JUDGING);
		n = judge_value(j, a, CHAIN_ACTIONS_MAX); /* on its own, whoever names it */
		/* (looked up again: judging what a chains to may have grown the table) */
		b = seen_of(j->w, a);
		*b = (uint16_t)(*b & ~SEEN_JUDGING);
		*b = (uint16_t)(*b |
				(j->type[0] != '\0' ? SEEN_BAD
						    : SEEN_KEPT | (unsigned)n << SEEN_COUNT_SHIFT));
	}
	j->depth--;
	if (n > left && j->type[0] == '\0')
		snprintf(j->type, sizeof(j->type), "%s", "/Next chain too long");
	return n < CHAIN_TOO_LONG ? n : CHAIN_TOO_LONG;
}

/* holder's action under key: noted (and removed when stripping) if not kept */
static void
action_key(struct walk *w, qpdf_oh holder, const char *key, const char *where)
{
	qpdf_oh a = key_of(w->q, holder, key);
	struct judge j = { w->q, w, 0, "" };

	/* the open action may be a destination, an array (ISO 32000-2 Table 29) */
	if (!(strcmp(key, "/OpenAction") == 0 && qpdf_oh_is_array(w->q, a)))
		(void)judge(&j, a, CHAIN_ACTIONS_MAX);
	qpdf_oh_release(w->q, a);
	if (j.type[0] == '\0')
		return;
	note(w, j.type, where);
	if (w->strip)
		key_remove(w->q, holder, key);
}

/*
 * The triggers of ISO 32000-2 Tables 197-199: a viewer runs no other key of an
 * /AA dictionary (pdf.js reads these names only). Looked up by name: a
 * caller's own key iteration is left alone, an /AA of a million other keys
 * costs no more than one of these, and an /AA dictionary that is also an
 * annotation or an outline item (review50) keeps its other keys.
 */
static const char *const trig[] = { "/E",  "/X",  "/D",  "/U",  "/Fo", "/Bl", "/PO",
				    "/PC", "/PV", "/PI", "/O",  "/C",  "/K",  "/F",
				    "/V",  "/WC", "/WS", "/DS", "/WP", "/DP", NULL };

/* holder's /AA (additional actions: a trigger each), each trigger's action as action_key's */
static void
triggers(struct walk *w, qpdf_oh holder, const char *where)
{
	qpdf_data q = w->q;
	qpdf_oh aa = key_of(q, holder, "/AA");
	size_t found = w->found;
	int i;

	if (dictlike(q, aa) && first_visit(w, aa, SEEN_TRIGGERS)) {
		for (i = 0; trig[i] != NULL; i++)
			action_key(w, aa, trig[i], where);
		/* (an /AA left empty goes too) */
		if (w->strip && w->found > found) {
			qpdf_oh_begin_dict_key_iter(q, aa);
			if (!qpdf_oh_dict_more_keys(q))
				key_remove(q, holder, "/AA");
		}
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

/*
 * An annotation's /Parent chain, each an actor: a widget's fields, which
 * viewers take its /AA from (pdf.js collectActions reads /AA up /Parent),
 * whether or not /AcroForm /Fields lists them (review50: an unlisted field's
 * keystroke script ran in the stored upload). pdf.js follows /Parent to any
 * depth, so the chain is read whole (review51: a script 70 levels up stayed
 * past a depth of 64): it stops at a field met up a chain before, whose
 * chain above was read then (or is being read: a loop). Each field is so read
 * once however many widgets share it, each a step of the walk's budget.
 */
static int
parents(struct walk *w, qpdf_oh a, struct sp_errinfo *ei)
{
	qpdf_data q = w->q;
	qpdf_oh p = key_of(q, a, "/Parent"), up;
	int r = SP_OK;

	while (dictlike(q, p) && first_visit(w, p, SEEN_PARENT)) {
		if ((r = step(w, ei)) != SP_OK)
			break;
		if (first_visit(w, p, SEEN_ACTOR))
			actor(w, p, "a form field");
		up = key_of(q, p, "/Parent");
		qpdf_oh_release(q, p);
		p = up;
	}
	qpdf_oh_release(q, p);
	return r;
}

static int
page_annots(struct walk *w, qpdf_oh page, struct sp_errinfo *ei)
{
	qpdf_data q = w->q;
	qpdf_oh annots = key_of(q, page, "/Annots");
	int i, n, r = SP_OK;

	triggers(w, page, "a page's open or close");
	if (qpdf_oh_is_array(q, annots) && first_visit(w, annots, SEEN_ANNOTS)) {
		n = qpdf_oh_get_array_n_items(q, annots);
		for (i = 0; i < n; i++) {
			qpdf_oh a = qpdf_oh_get_array_item(q, annots, i);
			if ((r = step(w, ei)) == SP_OK && dictlike(q, a) &&
			    first_visit(w, a, SEEN_ANNOT)) {
				const char *mt = media_type(q, a);
				if (first_visit(w, a, SEEN_ACTOR))
					actor(w, a, "an annotation");
				if (mt != NULL && w->media++ == 0)
					snprintf(w->media_what, sizeof(w->media_what),
						 "a %s annotation", mt + 1);
				r = parents(w, a, ei);
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
	if (first_visit(w, n->oh, SEEN_ACTOR))
		actor(w, n->oh, "a form field");
	return PDF_FIELD_DESCEND;
}

/* the outline's items, each with its /First (children) and /Next (siblings), by a stack */
static int
outline(struct walk *w, qpdf_oh root, struct sp_errinfo *ei)
{
	qpdf_data q = w->q;
	qpdf_oh ol = key_of(q, root, "/Outlines");
	qpdf_oh *stack = NULL, it;
	size_t sp = 0, cap = 0;
	int r = SP_OK;

	if (dictlike(q, ol)) {
		it = key_of(q, ol, "/First");
		for (;;) {
			if (!dictlike(q, it) || !first_visit(w, it, SEEN_OUTLINE)) {
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
			if (first_visit(w, it, SEEN_ACTOR))
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
			stack[sp++] = key_of(q, it, "/Next");
			{
				qpdf_oh first = key_of(q, it, "/First");
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

/*
 * The catalog's own: the open action, its triggers, the document's scripts,
 * and the base of its relative links (ISO 32000-2 §12.6.4.8, the catalog's
 * /URI dictionary): PDFium and poppler put /Base in front of a /URI without a
 * scheme, so a relative link kept above opens whatever the base names; one
 * that is not itself an address a link may open goes (review51: /Base
 * (file://host/share/) made "terms.pdf" a remote share).
 */
static void
catalog(struct walk *w, qpdf_oh root)
{
	qpdf_data q = w->q;
	qpdf_oh names = key_of(q, root, "/Names");
	qpdf_oh uri = key_of(q, root, "/URI");

	if (key_has(q, uri, "/Base") && !address_kept(q, uri, "/Base", 0)) {
		note(w, "URI", "the base address of the document's links (/URI /Base)");
		if (w->strip)
			key_remove(q, uri, "/Base");
	}
	qpdf_oh_release(q, uri);

	action_key(w, root, "/OpenAction", "the document's open action");
	triggers(w, root, "the document's triggers");
	if (key_has(q, names, "/JavaScript")) {
		note(w, "JavaScript", "the document's scripts (/Names /JavaScript)");
		if (w->strip)
			key_remove(q, names, "/JavaScript");
	}
	/*
	 * A portfolio (ISO 32000-2 §12.3.5): Acrobat opens its list of attachments
	 * instead of these pages, which become a cover sheet, and with /View /H the
	 * attachment /D names, as if it were the document (an Acrobat 9 /Navigator
	 * ran Flash and scripts to lay it out). Every other viewer, and the
	 * signature, show the pages. Without it the attachments stay attachments.
	 */
	if (qpdf_oh_has_key(q, root, "/Collection")) {
		note(w, "portfolio",
		     "the catalog (/Collection: Acrobat opens an attachment instead of the pages)");
		if (w->strip)
			qpdf_oh_remove_key(q, root, "/Collection");
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
	struct judge j = { q, NULL, 0, "" };
	qpdf_oh a, aa;
	int i;

	if (pdf_annot_plays(q, h))
		return 1; /* its content itself runs */
	a = key_of(q, h, "/A");
	aa = key_of(q, h, "/AA");
	(void)judge(&j, a, CHAIN_ACTIONS_MAX);
	qpdf_oh_release(q, a);
	for (i = 0; trig[i] != NULL && j.type[0] == '\0' && dictlike(q, aa); i++) {
		qpdf_oh t = key_of(q, aa, trig[i]);
		(void)judge(&j, t, CHAIN_ACTIONS_MAX); /* each trigger's chain its own count */
		qpdf_oh_release(q, t);
	}
	qpdf_oh_release(q, aa);
	return j.type[0] != '\0';
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
	af = key_of(q, root, "/AcroForm");
	r = pdf_field_walk(q, key_of(q, af, "/Fields"), 1, &nodes, field_visit, &w, ei);
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
