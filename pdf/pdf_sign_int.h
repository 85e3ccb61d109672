/*
 * pdf_sign_int.h: what sign.c (the update: widgets, field, signature dictionary,
 * pages' /Annots, the AcroForm) and sign_ap.c (the widgets' appearances: the
 * seal pictures, the seal and date stamp streams) share: the one update's
 * state.
 */
#ifndef SEALPACT_PDF_PDF_SIGN_INT_H
#define SEALPACT_PDF_PDF_SIGN_INT_H

#include "pdf_int.h"

struct seal_objs {
	int img;   /* 0: seal not used */
	int smask; /* its /SMask, or its /Mask when c->stencil */
	double aspect;
};

struct sign_ctx {
	struct pdf_doc *doc;
	const struct pdf_sig_params *par;
	struct pdfw w;
	struct sp_buf t; /* scratch for dictionaries and content streams */
	struct pdf_widget_rect *rects;
	size_t nrects;
	int *wobj;  /* widget object numbers, parallel to rects */
	int *apobj; /* their appearance streams (shared when alike) */
	struct seal_objs *so;
	const struct pdf_seal *seals;
	int sig, field;
	int date_font; /* the date stamps' font, once written or found (0: not yet) */
	/* the latest earlier date appearance that names date_font (found with it), its
	   offset: the widgets' own when it is byte for byte theirs (0: none) */
	int date_ap;
	size_t date_ap_off;
	int ncomp;   /* what the output intent draws in: 3 RGB, 4 CMYK, 1 grey */
	int stencil; /* PDF/A-1 (no transparency): a seal masked by a 1-bit /Mask;
			  -1 until the first seal picture asks */
	/* a PDF/A file without an output intent: RGB in an ICC-based sRGB space, its
	   profile's stream written once, when first drawn in (srgb_obj, else 0);
	   srgb -1 until then */
	int srgb, srgb_obj;
	/* a field placement: the empty field signed into (its widget is wobj[0]) */
	int fill;
	struct pdf_sig_slot slot;
	/* a tagged document (tag_widgets.c): widget i's /StructParent key is
	   tag_key0 + i, its /Form element's parent tag_parent (the tree's one top
	   element, or the root tag_root); tag_key0 -1: the widgets are not tagged;
	   tag_kids: the /ParentTree has /Kids, and gains a leaf of the keys */
	int tag_key0, tag_kids;
	qpdf_oh tag_root, tag_parent;
	char tag_name[300];                /* the field's /TU and its seals' /Alt */
	char name[128];                    /* the signature field's full name */
	size_t br_off;                     /* in w.b: where /ByteRange's numbers go */
	size_t contents_off, contents_len; /* file offsets (w.b may hold the update alone) */
};

static inline int
sign_nomem(struct sp_errinfo *ei)
{
	return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
}

/* The image XObjects (and soft masks) of the seals c's widgets draw, once per seal. */
int sign_ap_images_write(struct sign_ctx *c, const struct pdf_seal *seals,
			 struct sp_errinfo *ei) SP_WUR;
/* The appearance Form XObject of widget i; its object number, or < 0. */
int sign_ap_write(struct sign_ctx *c, size_t i, struct sp_errinfo *ei);
/* An earlier widget's appearance widget i may share (its object number), else 0. */
int sign_ap_shared(const struct sign_ctx *c, size_t i);

/*
 * sign.c: a new version of existing indirect object obj, every key kept but
 * the nskip skip lists (NULL items skip nothing), extra's keys added
 * (its strings encrypted for obj already).
 */
int sign_rewrite_dict(struct sign_ctx *c, qpdf_oh obj, const char *const *skip, size_t nskip,
		      struct sp_buf *extra, struct sp_errinfo *ei) SP_WUR;

/*
 * sign_splice.c: page p's (from 1) new version written from its bytes with
 * add[0..n) appended to its direct /Annots: 1 when written so, 0 when the
 * qpdf path must write it (nothing written then), an error.
 */
int sign_annots_splice(struct sign_ctx *c, int p, const int *add, size_t n,
		       struct sp_errinfo *ei) SP_WUR;

/*
 * tag_widgets.c. sign_tags_plan: whether c's widgets are tagged (c->nrects
 * and c->fill known; sets c->tag_key0, -1 when not). sign_tags_write: their
 * /Form elements, the parent's /K, the /ParentTree and the root's next key
 * (nothing when not tagged); c->tag_name is the text the field gives
 * assistive technology (/TU) and its seals' elements (/Alt).
 */
void sign_tags_plan(struct sign_ctx *c);
int sign_tags_write(struct sign_ctx *c, struct sp_errinfo *ei) SP_WUR;

#endif
