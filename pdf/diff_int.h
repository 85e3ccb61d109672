/*
 * diff_int.h: declarations shared by pdf/diff*.c only.
 */
#pragma once

#include "pdf_int.h"

/* Bytes an xref stream may decode to: 1M entries of up to 24 bytes. */
#define DIFF_XREF_STREAM_MAX ((size_t)24 * 1000000)

/*
 * Read the xref stream object at data[p..) ("N G obj << ... >> stream ...")
 * by hand, for when qpdf does not expose it as an object (an xref stream need
 * not list itself): its dictionary parsed by qpdf into *dict, its data
 * decoded (none or FlateDecode, with PNG predictors) into *buf (malloc'd,
 * capped at DIFF_XREF_STREAM_MAX). Returns 0, or -1 when it cannot be read.
 */
int diff_xref_stream_read(struct pdf_doc *doc, size_t p, qpdf_oh *dict, unsigned char **buf,
			  size_t *len);

/* One entry of an update's cross-reference section. */
struct diff_xent {
	int num, gen, type; /* type 0 free, 1 in use, 2 in an object stream */
	int in;             /* type 2: the object stream's number (else 0) */
	/* type 1: the object's position in the file's bytes (else 0): the offset
	   listed, which counts from the header (ISO 32000-2 §7.5.2), plus the
	   bytes before the header */
	unsigned long long off;
	long long ix; /* type 2: its index in the object stream (else 0) */
};

/*
 * Every entry rev's update lists: its xref table (and a hybrid file's
 * /XRefStm stream) or its xref stream, read from newer's bytes. *x is
 * malloc'd (*n entries, capped); *self the xref stream's own number (-1 if
 * none). Returns 0, or -1 when the section cannot be read.
 */
int diff_xref_entries(struct pdf_doc *newer, const struct pdf_revision *rev, int *self,
		      struct diff_xent **x, size_t *n);

/* SP_OK when every entry in use rev's update lists is of generation 0 (else SP_ERR_UNSUPPORTED). */
int diff_update_gens_zero(struct pdf_doc *newer, const struct pdf_revision *rev);
/*
 * The objects that decide how older's object streams decode (revs[0..nrevs)
 * its sections): each object stream its cross-reference streams name and
 * every object that stream's dictionary reaches. An update that redefines
 * one changes objects it does not list. *out malloc'd (*nout of them);
 * SP_ERR_UNSUPPORTED past the bounds or when a section cannot be read.
 */
int diff_objstm_reads(struct pdf_doc *older, const struct pdf_revision *revs, size_t nrevs,
		      int **out, size_t *nout);

/*
 * diff_note.c: a change into d (every one counted; listed up to
 * DIFF_CHANGES_MAX, d->c's room): allowed or not, and how many signature
 * widgets it makes visible. _perm: one only DocMDP permissions allow
 * (disallowed here, judged per signature; past the list's room it loses its
 * kind and stays disallowed: fail closed). _fill: an empty signature field
 * signed (allowed, its name kept for the field locks: PDF_CHANGE_SIG_FILL).
 * diff_mark_ltv: the change just noted only adds validation data (PAdES B-LT);
 * diff_mark_meta: it only changes document metadata.
 */
#define DIFF_CHANGES_MAX 256
void diff_note(struct pdf_diff *d, int obj, int gen, int allowed, int visible, const char *fmt, ...)
	SP_PRINTF(6, 7);
void diff_note_perm(struct pdf_diff *d, int obj, int gen, enum pdf_change_kind kind,
		    const char *field, const char *fmt, ...) SP_PRINTF(6, 7);
void diff_note_fill(struct pdf_diff *d, int obj, int gen, const char *field, const char *fmt, ...)
	SP_PRINTF(5, 6);
void diff_mark_ltv(struct pdf_diff *d);
void diff_mark_meta(struct pdf_diff *d);

/* hi: one past the highest number set, so that export reads only that far; id below r->n
   (diff_refs_room) */
#define REF_SET(r, id) \
	((r)->bits[(size_t)(id) >> 3] |= (unsigned char)(1u << ((id)&7)), \
	 (r)->hi = (size_t)(id) + 1 > (r)->hi ? (size_t)(id) + 1 : (r)->hi)
/* id below r->n: a number at or past it is in no set */
#define REF_HAS(r, id) (((r)->bits[(size_t)(id) >> 3] >> ((id)&7)) & 1)
#define REF_MULTI(r, id) (((r)->multi[(size_t)(id) >> 3] >> ((id)&7)) & 1)

/*
 * Room in r for the number id (1 .. PDF_DOC_MAX_OBJECTS): its tables grown,
 * doubling, the new part zeroed. A set is sized by the numbers a file names,
 * not by the most any file may have: tables of PDF_DOC_MAX_OBJECTS numbers
 * cost each walk and each import three 500 KB memsets. -1 when out of memory
 * (r unchanged).
 */
int diff_refs_room(struct pdf_refs *r, int id);

/* Mark id (1 .. PDF_DOC_MAX_OBJECTS) referred to; counted: a second reference makes it
   REF_MULTI. -1 when out of memory. */
static inline int
refs_mark(struct pdf_refs *r, int id, int counted)
{
	if ((size_t)id >= r->n && diff_refs_room(r, id) < 0)
		return -1;
	if (counted && REF_HAS(r, id))
		r->multi[(size_t)id >> 3] |= (unsigned char)(1u << (id & 7));
	REF_SET(r, id);
	return 0;
}

/*
 * diff_refs.c: diff_refs_walk() of doc's object num gen (not following, no
 * DSS) from its bytes, where the newest two sections place it plainly
 * written (pdf_obj_dict_bytes): each reference marked as the walk marks it
 * (a dictionary's value only when what it names is no null, as qpdf lists
 * the keys). 1 when marked so, 0 when the walk must, -1 out of memory: the
 * page a signature's widgets are spliced into, not parsed by qpdf for its 2k
 * references.
 */
int diff_refs_bytes(struct pdf_doc *doc, int num, int gen, int counted, struct pdf_refs *r);
/*
 * diff_refs.c: mark in r the object numbers h refers to. follow: walk
 * through the references into what they point to (the whole reachable
 * document, each object once, seen a bit per object number); otherwise
 * only h's own (direct) contents. doc (not following): the document q is,
 * and start its object num (generation gen; 0: not an object), so that an
 * array of references that is start or one of its values is read as
 * pdf_doc_key_refs keeps it; NULL: as before. dss (not following; NULL:
 * none): start is that DSS object as pdf_dss_read() read it, whose /VRI
 * value's references are taken from the read, not listed through qpdf.
 * counted: each reference is one more use of what it names (refs_mark):
 * every reference of a first revision's walk, and an update's objects'
 * but for the catalog's and the trailer's, which repeat the ones they made
 * before (what they newly name is judged by classify()).
 * SP_ERR_LIMIT past WALK_MAX steps.
 */
int diff_refs_walk(qpdf_data q, qpdf_oh start, int follow, struct pdf_doc *doc, int num, int gen,
		   const struct pdf_dss *dss, int counted, struct pdf_refs *r,
		   struct pdf_refs *seen, struct sp_errinfo *ei);
/*
 * What diff_refs_walk() (not following) marks of the DSS object dss read,
 * marked from the read: 1 when done, 0 when the read does not hold every
 * reference the dictionary makes (pdf_dss.keys_known, closed, vri_refs),
 * then the object is walked; an error past the walk's step limit.
 */
int diff_refs_dss(const struct pdf_dss *dss, int counted, struct pdf_refs *r,
		  struct sp_errinfo *ei);

/*
 * diff.c's state while it compares one update (pdf_revision_diff_dss):
 * the two revisions, the notes, the older revision's role objects and
 * what classify() compares now. Shared with diff_form.c.
 */
/* An object number and the page (from 1) it is, or is listed by. */
struct diff_id_page {
	int id, page;
};

struct diff_ctx {
	struct pdf_doc *o, *n;
	struct pdf_diff *d;
	int root, info, acroform, fields, metadata, dss;
	const struct pdf_refs *refs; /* numbers some revision up to older refers to */
	char key[64];                /* the key dict_allowed() refused */
	int in_page;                 /* dict_allowed() compares a page */
	int in_root;                 /* ... the catalog */
	int annots_edited;           /* ... whose /Annots gained or lost annotations (DocMDP P=3) */
	/* the older revision's pages and their /Annots arrays by object number (page from
	   1), sorted, and the annotations those list, a set of object numbers: read once
	   per diff (pages_indexed) */
	struct diff_id_page *page_ix, *annots_ix;
	size_t npage_ix, nannots_ix;
	struct pdf_refs on_page;
	int pages_read, annots_read, items_read; /* tried; 2: failed (out of memory) */
	/* a read of newer's DSS, of its very bytes (pdf_revision_diff_dss), or NULL */
	const struct pdf_dss *dss_new;
	/* the object classify() compares (its number and generation; 0 inside a direct
	   dictionary of it): the container dict_allowed() names its arrays by */
	int dnum, dgen;
	/* the object streams the update's xref section lists objects in, ascending */
	int *in;
	size_t nin;
	/* the older revision's references but the pages' /Annots (annot_shared), made at need */
	struct pdf_refs *annot_refs;
	/* the kids sig_parent looked at in this diff (SIG_PARENT_STEPS) */
	size_t sig_parent_steps;
	/* newer's /Fields as object numbers, sorted, read once (fields_sorted); tried */
	int *fields_sorted;
	size_t nfields_sorted;
	int fields_read;
};

/* The most annotations a page's /Annots is searched or compared through. */
#define ANNOTS_EDIT_MAX 512

/* qsort and bsearch of ints, ascending (object numbers). */
static inline int
diff_cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The object number parent's key refers to, 0 when it holds no reference. */
static inline int
diff_ref_id(qpdf_data q, qpdf_oh parent, const char *key)
{
	qpdf_oh h = qpdf_oh_get_key_if_dict(q, parent, key);

	return qpdf_oh_is_indirect(q, h) ? qpdf_oh_get_object_id(q, h) : 0;
}

/*
 * diff_pages.c, of the older revision c->o, by object number: the page (from
 * 1) id is (diff_is_page), or whose /Annots array it is (diff_is_annots), 0
 * if none; 1 when id is listed in a page's /Annots (diff_on_a_page); 1 when
 * annotation id is used other than through the pages' /Annots
 * (diff_annot_shared).
 */
int diff_is_page(struct diff_ctx *c, int id);
int diff_is_annots(struct diff_ctx *c, int id);
int diff_on_a_page(struct diff_ctx *c, int id);
int diff_annot_shared(struct diff_ctx *c, int id);
/*
 * diff_refs.c: into r, every reference c->o makes but through a page's
 * /Annots and the catalog's /StructTreeRoot (the walk enters neither: they
 * list or tag annotations, and draw nothing): what reaches an annotation,
 * or an object of the structure tree, then uses it otherwise
 * (diff_annot_shared). Links between
 * annotations (a popup's /Parent, a reply's /IRT) are only met inside
 * annotations, so they count for nothing; the keys' names decide nothing
 * (a page's graphics state may be named /Popup).
 */
int diff_uses_walk(struct diff_ctx *c, struct pdf_refs *r, struct sp_errinfo *ei) SP_WUR;
/*
 * diff_refs.c: into r, every reference c->n makes from an object the update
 * does not list (c->d->listed): an object the older revision has, as it
 * was, whose references the older revision made. One to an object the
 * older revision lacked fills it (orphans_named).
 */
int diff_fills_walk(struct diff_ctx *c, struct pdf_refs *r, struct sp_errinfo *ei) SP_WUR;
/*
 * diff_hidden.c: 1 when an object the update lists (x[0..nx), self its xref
 * stream's number or -1) names in its bytes an object newer lacks that no
 * walk saw referred to (refs, grown by the update), or when that cannot be
 * told (an object stream's object, an xref stream); 0 when none does
 * (struct pdf_refs' no_hidden).
 */
int diff_update_names_missing(struct pdf_doc *newer, const struct pdf_refs *refs,
			      const struct diff_xent *x, size_t nx, int self);
/*
 * diff_hidden.c: the same of every object doc's cross-reference sections
 * list (every revision of it, refs its walk): 1 when one names in its bytes
 * an object doc lacks that the walk did not see referred to, or when that
 * cannot be told (an object stream's object, an xref stream, a linearized
 * or repaired file); 0 when none does (then doc hides no reference).
 */
int diff_doc_names_missing(struct pdf_doc *doc, const struct pdf_refs *refs);

/* diff.c: the same value in both documents (references compared as references). */
int diff_same(qpdf_data qa, qpdf_oh a, qpdf_data qb, qpdf_oh b);

/*
 * diff_form.c: the form's and the annotations' judgements.
 * diff_sig_widget_filled: old is a widget (no field of its own) of an empty
 * signature field that nw's parent now has a value for.
 * diff_grows_by_sigs: the array old (key of object c->dnum, "" that object;
 * NULL: not named) grows in nw only by signature fields of the form (widgets
 * of them if annots), or by new parent fields gathering only those, none
 * carrying an action that runs; 1 when so, *visible counting the visible widgets.
 * diff_page_grown_bytes: page num (gen, page its index from 1)'s new version
 * is its old bytes with signature widgets appended to their /Annots, told from
 * the bytes of both (noted then as the full comparison notes it): 1, else 0.
 * diff_is_markup_annot: h is an annotation other than a widget and a field.
 * diff_annots_edit: a page's /Annots that gained or lost only markup
 * annotations or signature widgets, none added carrying an action that runs.
 * diff_actions_added: nw (old in the signed revision) carries an action that
 * runs (pdf_actions_held) that old did not carry as it is, or nw is an
 * annotation whose content plays or runs (pdf_annot_plays), changed.
 * diff_field_of: the form field h is: its inherited type into ft, its fully
 * qualified name into name; 0 when h is not part of a field.
 */
int diff_sig_widget_filled(qpdf_data qo, qpdf_oh old, qpdf_data qn, qpdf_oh nw);
int diff_grows_by_sigs(struct diff_ctx *c, qpdf_oh old, qpdf_oh nw, const char *key, int annots,
		       int *visible);
/* diff_grows_by_sigs' judgement of the new items alone, given as refs[0..2n) (references
   of newer's array, pdf_array_refs' pairs): 1 when each is what it may add */
int diff_refs_grow_by_sigs(struct diff_ctx *c, const int *refs, int n, int annots, int *visible);
int diff_page_grown_bytes(struct diff_ctx *c, int num, int gen, int page);
int diff_is_markup_annot(qpdf_data q, qpdf_oh h);
int diff_annots_edit(struct diff_ctx *c, qpdf_oh old, qpdf_oh nw);
int diff_actions_added(qpdf_data qo, qpdf_oh old, qpdf_data qn, qpdf_oh nw);
int diff_field_of(qpdf_data q, qpdf_oh h, char *ft, size_t ftcap, char *name, size_t cap);

/*
 * diff_tags.c: object num of the older revision (old there, nw in newer), a
 * part of its structure tree (the root, its /ParentTree's top node, an
 * element) used by nothing else, changed only by tags added for annotations
 * (new elements whose /K names annotations alone, listed in a /K, keyed in
 * the /ParentTree; the next key raised): 1 when they tag signature widgets
 * alone, 2 other annotations too (what DocMDP P=3 permits); 0 any other change.
 */
int diff_tags_added(struct diff_ctx *c, int num, qpdf_oh old, qpdf_oh nw);
