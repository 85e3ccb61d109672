/*
 * pdf.h: sealpact's PDF library: reading with qpdf's C API, incremental
 * signature updates with seal appearances, placement resolution (normal,
 * multi-page, seam, keyword, date) and a text locator for keywords.
 *
 * Pure and synchronous: no event loop, no database, no network. Every
 * function may be called from any thread on objects that thread owns.
 */
#ifndef SP_PDF_H
#define SP_PDF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "sp.h"

/* ==== section: document, writer, appearances, placements ==== */

#include <time.h>

/* Caps against hostile or absurd input (bytes, pages, objects, nesting). */
#define PDF_DOC_MAX_BYTES ((size_t)256 * 1024 * 1024)
#define PDF_DOC_MAX_PAGES 10000
#define PDF_DOC_MAX_OBJECTS 4000000
#define PDF_SEAL_MAX_SIDE 4096         /* PNG width/height cap, pixels */
#define PDF_SEAL_DEFAULT_MM 42.0       /* a round official seal */
#define PDF_SIG_CONTENTS_DEFAULT 16384 /* DER bytes the /Contents placeholder holds */
#define PDF_SIG_CONTENTS_MAX (1024 * 1024)
/* What qpdf may be given to parse from untrusted bytes (scan.c): each object costs
   it a few hundred bytes, and it inflates xref and object streams whole */
#define PDF_SCAN_MAX_TOKENS 2000000 /* objects in direct and object-stream objects */
#define PDF_SCAN_MAX_ARRAY 262144   /* items in one array */
#define PDF_SCAN_MAX_XREF 1000000   /* cross-reference entries, all sections (~75 B each) */
#define PDF_SCAN_MAX_INFLATE ((size_t)64 * 1024 * 1024) /* xref and object streams, decoded */

struct pdf_doc;

enum pdf_xref_kind {
	PDF_XREF_TABLE = 1, /* classic "xref" table + "trailer" */
	PDF_XREF_STREAM = 2 /* /Type /XRef stream (PDF 1.5+) */
};

/* A rectangle; which space it is in is said where it is used. */
struct pdf_rect {
	double x0, y0, x1, y1;
};

/* What the reader learned about one page (1-based page numbers everywhere). */
struct pdf_page_info {
	struct pdf_rect media; /* /MediaBox, inherited through /Parent, default user space */
	struct pdf_rect crop;  /* /CropBox clipped to the MediaBox (= media when absent) */
	int rotate;            /* /Rotate normalized to 0, 90, 180 or 270 */
	double unit;           /* /UserUnit (PDF 1.6): points per user space unit, 1 without */
	double width, height;  /* visible size in points (crop box, after rotation) */
};

/*
 * Open a PDF from memory. The bytes are copied: the caller keeps its buffer.
 * Input that needs a password, non-PDF and over-cap input fails (SP_ERR_PDF,
 * SP_ERR_UNSUPPORTED, SP_ERR_TOO_LARGE, SP_ERR_LIMIT); a file encrypted with
 * an owner password only opens with its key derived, so that what the writer
 * adds is encrypted as the file is (pdf_sig_prepare refuses, reason
 * pdf_signing_not_permitted, when its /P forbids signing); a file qpdf had to reconstruct opens (it can
 * be read) but is marked damaged and refused by pdf_sig_prepare(). On success
 * *out is the caller's, released with pdf_doc_free(). Any thread; a document
 * is used by one thread at a time.
 */
/*
 * As pdf_doc_open, for reading only (verification): data is borrowed (it
 * must outlive the document, nothing is copied) and objects are parsed when
 * used, not all at open; call pdf_doc_damaged() after use, since a repair
 * qpdf makes on the way shows only then. A file encrypted with an empty user
 * password opens (signed files the world writes are, at times: the
 * signatures' /Contents are not encrypted); one that needs a password does not.
 */
int pdf_doc_open_view(const unsigned char *data, size_t len, struct pdf_doc **out,
		      struct sp_errinfo *ei) SP_WUR;
/*
 * As pdf_doc_open, for a document this server stored: the upload, opened
 * whole when it was accepted, or a revision the verification engine checked
 * when it was completed. Objects are not all resolved ahead (that pass found
 * repairs at the upload; doing it again at every prepare parsed every earlier
 * signature's dictionary, so the k-th signer paid for k - 1); a repair met
 * on the way still marks the document damaged (pdf_sig_prepare scans after
 * building the update). data is borrowed and must outlive the document.
 */
int pdf_doc_open_stored(const unsigned char *data, size_t len, struct pdf_doc **out,
			struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_doc_open_stored() with the page list known (npages object number /
 * generation pairs from pdf_doc_page_objs() of these very bytes, or of an
 * earlier revision that pdf_pages_kept() showed these bytes keep): the page
 * tree is not walked again (that walk read every node, and was most of what
 * opening a stored revision cost at each prepare). Each known page is still
 * checked as the walk checks what it finds (an indirect dictionary, no page
 * tree node) and its geometry read when first used (a placement on it,
 * pdf_doc_page_info()), so that it answers as after pdf_doc_open_stored() and
 * a page the walk refuses is refused where it is used; a page nothing uses is
 * not parsed. A list that is not this file's fails; the caller then opens
 * with the walk.
 */
int pdf_doc_open_stored_known(const unsigned char *data, size_t len, const int *pages,
			      size_t npages, struct pdf_doc **out, struct sp_errinfo *ei) SP_WUR;
/*
 * As pdf_doc_open_view, for completion, where the caller knows the bytes: a
 * revision this server stored (the page tree was walked and checked when it
 * was read whole or verified), or the update prepare wrote after one. The
 * page tree is not walked: with pages (npages object number / generation
 * pairs that pdf_doc_page_objs() gave for these very bytes, or for an earlier
 * revision that pdf_pages_kept() shows these bytes keep) the document has
 * those pages, as handles parsed when used; with none it has no page list
 * (the newer side of pdf_revision_diff needs none). No page geometry either:
 * pdf_doc_page_info() fails. data is borrowed and must outlive the document.
 */
int pdf_doc_open_known(const unsigned char *data, size_t len, const int *pages, size_t npages,
		       struct pdf_doc **out, struct sp_errinfo *ei) SP_WUR;
struct pdf_revision;
/*
 * xref_merged.c: the cross-reference chain of data[0..len) (revs[0..nrevs)
 * its revisions, pdf_revisions_find()'s) as the one table qpdf makes of it
 * when it reads every section: the newest entry of each number, and the
 * newest trailer without /Prev, as one cross-reference stream (qpdf reads
 * its entries some five times faster than a table's) to be written at
 * data[len] (*out malloc'd, *out_len bytes) for pdf_doc_open_known_merged().
 * SP_ERR_UNSUPPORTED unless
 * every section is a plain table and the newest trailer is as sign.c
 * writes it (see the file): then qpdf reads the chain itself.
 */
int pdf_xref_merged(const unsigned char *data, size_t len, const struct pdf_revision *revs,
		    size_t nrevs, unsigned char **out, size_t *out_len,
		    struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_xref_merged() that also gives its merged entries (*entries malloc'd,
 * *entries_len bytes; entries NULL: not asked) and takes known[0..known_len)
 * (NULL: none), the entries such a call gave for data[0..known_end): when
 * the newest section follows those bytes (revs[nrevs - 2].end is known_end)
 * only it is read, not the whole chain again (a contract's k-th completion
 * read k + 1 sections). The result is the one pdf_xref_merged() gives;
 * that known are of those very bytes is the caller's to know (a digest).
 */
int pdf_xref_merged_ex(const unsigned char *data, size_t len, const struct pdf_revision *revs,
		       size_t nrevs, const void *known, size_t known_len, size_t known_end,
		       unsigned char **out, size_t *out_len, void **entries, size_t *entries_len,
		       struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_doc_open_known() where data[len..qlen) is pdf_xref_merged()'s table
 * of data[0..len): qpdf reads that one table and trailer, not every section
 * and trailer of the chain (some 80,000 instructions each), and parses the
 * same objects from the same offsets. The document is data[0..len) for
 * everything else (its startxref, its length, a parse taken from it is of
 * len bytes); the table must outlive the document and any parse taken from
 * it, as the bytes do (the same allocation). prev: the newest section's
 * /Prev (revs[nrevs - 2].xref), which the merged trailer leaves out.
 */
int pdf_doc_open_known_merged(const unsigned char *data, size_t len, size_t qlen, long long prev,
			      const int *pages, size_t npages, struct pdf_doc **out,
			      struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_doc_open_stored_known() with the form's facts that
 * pdf_doc_form_export() kept for exactly these bytes (facts[0..facts_len),
 * made with sha256, their SHA-256): the AcroForm is not walked (its walk,
 * and the DocMDP check's, grew with every signature), and
 * pdf_doc_info_get(), the writer's field names and the signed-field
 * listings answer from the facts as the walk would. Facts that are not
 * these bytes' (another digest or length, not what export made) are not
 * used: the form is walked then (pdf_doc_form_walked() says so).
 */
int pdf_doc_open_stored_kept(const unsigned char *data, size_t len, const int *pages, size_t npages,
			     const uint8_t *facts, size_t facts_len, const uint8_t sha256[32],
			     struct pdf_doc **out, struct sp_errinfo *ei) SP_WUR;
/*
 * qpdf's parse of a stored revision (its reading of every xref section and
 * trailer, and the objects it resolved since), handed from one open of the
 * bytes to the next in this process: qpdf reads the whole chain of sections
 * at each open (some 80,000 instructions a section), and a contract's k-th
 * signing opened k of them three times (prepare's base, completion's base
 * and new revision). Sound because it is the parse of exactly those bytes:
 * a fresh read of them finds the same xref and trailer and parses the same
 * objects from the same offsets; only a parse that qpdf found nothing to
 * repair in, that had no error and in which qpdf never walked the page tree
 * (its page cache may rewrite a tree) is handed on, and an open that adopts
 * one checks the bytes are those it was made from. One user at a time.
 */
struct pdf_parsed;
/*
 * doc's parse, detached for a later open of the same bytes (taken: doc
 * only frees after this), or NULL when it is not one to hand on (not a
 * view, damaged, an error, the page tree walked, encrypted). The bytes doc
 * was opened on must outlive it. Any thread, one at a time.
 */
struct pdf_parsed *pdf_doc_parsed_take(struct pdf_doc *doc);
void pdf_parsed_free(struct pdf_parsed *p); /* NULL is fine */
/* The bytes p was made from (they outlive p), and their length. */
const unsigned char *pdf_parsed_data(const struct pdf_parsed *p, size_t *len);
/*
 * pdf_doc_open_known() and pdf_doc_open_stored_kept() reusing from (taken,
 * NULL: none) when it is the parse of len bytes equal to data's (the same
 * buffer, or one compared whole): then its bytes must outlive the document
 * too. Otherwise from is freed and the bytes read as those functions do.
 */
int pdf_doc_open_known_from(const unsigned char *data, size_t len, const int *pages, size_t npages,
			    struct pdf_parsed *from, struct pdf_doc **out,
			    struct sp_errinfo *ei) SP_WUR;
int pdf_doc_open_stored_kept_from(const unsigned char *data, size_t len, const int *pages,
				  size_t npages, const uint8_t *facts, size_t facts_len,
				  const uint8_t sha256[32], struct pdf_parsed *from,
				  struct pdf_doc **out, struct sp_errinfo *ei) SP_WUR;
/*
 * The form's facts into a document whose form was not read yet (a view):
 * as pdf_doc_open_stored_kept() loads them. SP_ERR_INVALID (doc unchanged)
 * when they are not doc's bytes' or the form was read already.
 */
int pdf_doc_form_load_kept(struct pdf_doc *doc, const uint8_t *facts, size_t len,
			   const uint8_t sha256[32], struct sp_errinfo *ei) SP_WUR;
/* 1 when doc's form facts came from a walk of its form (none were kept for it). */
int pdf_doc_form_walked(const struct pdf_doc *doc);
/*
 * doc's form facts per /Fields entry (its fields' names, which are signed,
 * their /Lock, and every object each entry's walk read), packed for the
 * bytes doc was opened on (sha256: their SHA-256), *out malloc'd. Those
 * doc has (loaded, or carried over by pdf_doc_form_keep), else walked now
 * (and used by doc's listings from then on). SP_ERR_UNSUPPORTED for a
 * form the facts cannot reproduce (a signature value that is a direct
 * object, a walk over a cap) or a damaged document: then none are kept.
 */
int pdf_doc_form_export(struct pdf_doc *doc, const uint8_t sha256[32], uint8_t **out, size_t *len,
			struct sp_errinfo *ei) SP_WUR;
/*
 * newer's form facts from older's (loaded or carried over) and the one
 * update between them (revs[0..nrevs) newer's revisions, the last the
 * update, the one before ending where older's bytes end; newer's bytes
 * start with older's): an entry is carried over only when the update lists
 * neither its object nor anything its walk read, every other entry is
 * walked in newer (and one whose walk read a missing object). Nothing is kept (SP_ERR_UNSUPPORTED) when the update could
 * change an object without listing it (it redefines an existing object that
 * is no dictionary or array: an object stream, a /Length; it shrinks /Size,
 * is hybrid) or either document is damaged. newer's signed-field listings
 * answer from the facts from then on; pdf_doc_form_export() packs them.
 */
int pdf_doc_form_keep(struct pdf_doc *older, struct pdf_doc *newer, const struct pdf_revision *revs,
		      size_t nrevs, struct sp_errinfo *ei) SP_WUR;
/*
 * doc's pages as object number / generation pairs (*n pages, 2 * *n ints,
 * malloc'd), for pdf_doc_open_known() of the same bytes. SP_ERR_UNSUPPORTED
 * when a page is no object of the file (qpdf copies a page listed twice),
 * SP_ERR_INVALID when doc has no page list.
 */
int pdf_doc_page_objs(const struct pdf_doc *doc, int **out, size_t *n,
		      struct sp_errinfo *ei) SP_WUR;
/* 1 when qpdf has had to repair doc's cross-reference data so far. */
int pdf_doc_damaged(struct pdf_doc *doc);
/*
 * sig_scan.c: the signature dictionaries doc's newest update wrote (and,
 * with sections 2, the update before it), where their xref tables locate
 * them and they are written plainly (as sign.c writes them), read from the
 * bytes into qpdf's object cache as qpdf would parse them, so that it does
 * not: its tokenizer reads a /Contents of kilobytes a character at a time,
 * at the first walk of a field whose /V points at one. Nothing else
 * changes; how many were read. Call it before anything reads doc's
 * objects. Decoding a /Contents costs too (some 130,000 instructions for
 * 7 KB): preload only what will be read. The document's thread.
 */
int pdf_doc_sigs_preload(struct pdf_doc *doc, int sections);
struct pdf_revision;
/*
 * pdf_doc_sigs_preload() of the signature dictionaries every update wrote,
 * through the sections of revs[0..nrevs), doc's revisions
 * (pdf_revisions_find() of its very bytes), newest first, as far as each is
 * a plain table: for a walk that reads every earlier signature (a
 * verification's listing of the final revision's fields, the references of
 * its first revision), each /Contents decoded once instead of qpdf's
 * character by character parse of it. What pdf_doc_sigs_preload() says
 * holds. The document's thread.
 */
int pdf_doc_sigs_preload_revs(struct pdf_doc *doc, const struct pdf_revision *revs, size_t nrevs);
/*
 * Read the AcroForm field tree of a view (pdf_doc_open does at open) so that
 * pdf_doc_info_get() reports nfields, nsigfields and nsigned; once per
 * document, SP_OK at once after that. A field tree over the caps fails
 * (SP_ERR_LIMIT), as at open. The document's thread.
 */
int pdf_doc_form_load(struct pdf_doc *doc, struct sp_errinfo *ei) SP_WUR;
int pdf_doc_open(const unsigned char *data, size_t len, struct pdf_doc **out,
		 struct sp_errinfo *ei) SP_WUR;
/*
 * scan.c: one pass over untrusted bytes before qpdf reads them: more objects,
 * array items or decoded xref/object-stream bytes than the PDF_SCAN_MAX_* caps
 * is SP_ERR_LIMIT (reason pdf_limit). pdf_doc_open() calls it; a verifier of
 * a file from outside calls it once for the file (a revision, a prefix of the
 * file, holds less). Any thread.
 */
int pdf_bytes_check(const unsigned char *data, size_t len, struct sp_errinfo *ei) SP_WUR;
void pdf_doc_free(struct pdf_doc *doc);

int pdf_doc_page_count(const struct pdf_doc *doc);
/*
 * Page geometry; SP_ERR_INVALID for a page out of range. A stored revision's
 * known page is checked and measured here when first asked (SP_ERR_PDF for a
 * page the walk refuses); hence not const. The document's thread.
 */
int pdf_doc_page_info(struct pdf_doc *doc, int page, struct pdf_page_info *out,
		      struct sp_errinfo *ei) SP_WUR;

/* Facts about the file's last revision, as the writer will chain onto it. */
struct pdf_doc_info {
	enum pdf_xref_kind xref_kind; /* kind of the last revision's xref section */
	long long startxref;          /* offset of the last revision's xref section */
	long long size;               /* trailer /Size */
	int root_obj, root_gen;       /* trailer /Root */
	int info_obj, info_gen;       /* trailer /Info, 0 0 when absent */
	int has_id;                   /* trailer /ID present */
	int has_acroform;             /* catalog /AcroForm present */
	int nfields;                  /* top-level AcroForm /Fields */
	int nsigfields;               /* of which signature fields (/FT /Sig) */
	int nsigned;                  /* signature fields with a /V value */
	int damaged;   /* qpdf repaired the xref (or ours is unreadable): not signable */
	size_t header; /* bytes before %PDF- (the file's offsets count from there): not
			  signable either (our update's offsets would count from byte 0) */
};

/* Fill *out from the opened document. Never fails on an open document. */
void pdf_doc_info_get(const struct pdf_doc *doc, struct pdf_doc_info *out);

/*
 * Page ranges: "all", or comma-separated pages and ranges "1-3,5" (spaces
 * allowed), each page within 1..npages, ranges ascending, no page twice.
 * On success *pages (caller free()s) holds the pages in ascending order,
 * whatever the order given (a seam seal's slices follow the page order).
 */
int pdf_page_range_parse(const char *spec, int npages, int **pages, size_t *npages_out,
			 struct sp_errinfo *ei) SP_WUR;

/* A seal image: a PNG (with transparency) and the seal's physical width. */
struct pdf_seal {
	const unsigned char *png; /* borrowed for the duration of the call */
	size_t png_len;
	double width_mm; /* <= 0: PDF_SEAL_DEFAULT_MM; height follows the aspect */
	/* optional: pdf_seal_image_encode() of png, made once and kept by the caller, so
	   that the picture is not decoded and compressed again; NULL: made from png */
	const unsigned char *image;
	size_t image_len;
};

/*
 * The seal picture as the image data its appearances draw: the PNG decoded
 * into an RGB image and an alpha soft mask, each zlib-compressed, in one
 * byte string (*out the caller's, free()) for struct pdf_seal.image. The same
 * PNG always gives the same bytes. Fails as the PNG does (SP_ERR_INVALID
 * "seal_not_png", "seal_bad_png"). Any thread.
 */
int pdf_seal_image_encode(const unsigned char *png, size_t len, unsigned char **out, size_t *outlen,
			  struct sp_errinfo *ei) SP_WUR;

/*
 * Check an uploaded seal picture: a PNG that decodes, sides within
 * min_side..max_side pixels (SP_ERR_INVALID "seal_image_dimensions"), with
 * an alpha channel and a transparent background: every corner pixel and at
 * least a fifth of all pixels fully transparent (SP_ERR_INVALID
 * "seal_image_opaque"). "seal_not_png" / "seal_bad_png" for other bytes.
 * Any thread.
 */
int pdf_seal_png_check(const unsigned char *png, size_t len, unsigned min_side, unsigned max_side,
		       struct sp_errinfo *ei) SP_WUR;

enum pdf_place_mode {
	PDF_PLACE_NORMAL = 1, /* page, x, y */
	PDF_PLACE_MULTI,      /* pages, x, y: the same position on each page */
	PDF_PLACE_SEAM,       /* pages (>= 2), y: one vertical slice per page, right edge */
	PDF_PLACE_KEYWORD,    /* keyword, occurrences, dx, dy: centred on each hit */
	PDF_PLACE_DATE,       /* page, x, y: the signing date in a small stamp */
	/* field: into the empty signature field of that name another party's tool
	   placed (a certifier's, which DocMDP P=2 lets us sign): the seal in its
	   widget's rectangle; the only placement of its signature */
	PDF_PLACE_FIELD
};

/* "normal", "multi", "seam", "keyword", "date", "field" -> mode; SP_ERR_INVALID otherwise. */
int pdf_place_mode_parse(const char *name, enum pdf_place_mode *out, struct sp_errinfo *ei) SP_WUR;

/*
 * One placement as a client asks for it. Coordinates are in points, in the
 * page as it is displayed: origin at the bottom-left corner of the visible
 * (CropBox) area, x to the right, y up, after /Rotate. x, y is where the
 * centre of the seal goes (for seam, y is the centre height; the slice sits
 * at the right edge).
 *
 * Every box stays on its page: the whole seal, date stamp or seam slice
 * (each page's own slice, flush with its right edge) must lie within the
 * visible box 0,0 - width,height of that page. A box reaching outside is
 * refused (reason placement_outside, naming the page and its visible box),
 * never moved or clipped, in every mode: normal, multi (each page), date,
 * keyword (each hit, after dx/dy) and seam (each slice, so y must keep the
 * seal's height on every page).
 */
struct pdf_placement {
	enum pdf_place_mode mode;
	size_t seal;             /* index into the seals array (not for date) */
	int page;                /* normal, date */
	const char *pages;       /* multi, seam: page range (see pdf_page_range_parse) */
	double x, y;             /* normal, multi, date: centre; seam: y only */
	const char *keyword;     /* keyword: UTF-8 text to find */
	const char *occurrences; /* keyword: NULL or "all", or "1,3" (1-based, reading order) */
	double dx, dy;           /* keyword: offset of the seal centre from the hit's centre */
	const char *field;       /* field: the empty signature field's full name (UTF-8) */
};

/* One resolved widget: where one appearance lands. */
struct pdf_widget_rect {
	int page;         /* 1-based */
	size_t placement; /* index of the placement it came from */
	enum pdf_place_mode mode;
	size_t seal;          /* seal index (0 for date) */
	int slice, nslices;   /* seam: slice index (0 = left) and count; else 0, 1 */
	struct pdf_rect rect; /* default user space: the widget's /Rect */
	struct pdf_rect view; /* displayed page coordinates (bottom-left origin) */
};

/*
 * Resolve placements to widget rectangles without writing anything, so a
 * client can preview them. Invalid placements (page out of range, unknown
 * mode, bad seal index, keyword not found, seam on fewer than 2 pages,
 * any box reaching outside its page's visible area) fail with SP_ERR_INVALID and a message
 * naming the placement. *out (caller free()s) gets *nout rectangles.
 * Seal images are not decoded here; only their aspect ratio is read.
 */
int pdf_placements_resolve(struct pdf_doc *doc, const struct pdf_seal *seals, size_t nseals,
			   const struct pdf_placement *pl, size_t npl, struct pdf_widget_rect **out,
			   size_t *nout, struct sp_errinfo *ei) SP_WUR;

/* Parameters of one signature. Everything that varies the output is here. */
struct pdf_sig_params {
	time_t signing_time;    /* goes into /M and the date stamp */
	int utc_offset_min;     /* local offset for /M and the date text, e.g. 480 */
	size_t contents_max;    /* DER bytes reserved in /Contents; 0: default */
	const char *field_name; /* NULL: "Signature<n>", the first free n */
	const char *reason;     /* optional /Reason (UTF-8) */
	const char *location;   /* optional /Location (UTF-8) */
	/* the signer's name (UTF-8; its certificate's organization), which a tagged
	   document's field and seals give assistive technology ("Electronic seal
	   of NAME": /TU, /Alt); NULL: "Electronic seal" */
	const char *signer_name;
	int digest_sm3;    /* 1: SM3 of the covered ranges (an SM2 signer), else SHA-256 */
	int doc_timestamp; /* 1: a document timestamp (/DocTimeStamp, ETSI.RFC3161, no /M);
				   placements are ignored: one invisible widget */
	/* pdf_sig_prepare_update() only: the document's bytes hashed already
	   (pdf_sha256_new over the same buffer and length), not hashed again;
	   NULL: hashed here */
	const struct pdf_sha256 *orig_hash;
	/* the merged cross-reference entries of exactly the document's bytes
	   (pdf_xref_merged_ex's *entries), when the caller kept them: a date stamp
	   finds through them the font an earlier update wrote, to draw with it rather
	   than write it again (NULL: they are read from the bytes when a date is
	   placed) */
	const void *xref_entries;
	size_t xref_entries_len;
};

/*
 * SHA-256 over data[0..len) (*digest), kept going in *out (the caller's,
 * pdf_sha256_free()) for pdf_sig_params.orig_hash: a caller that needs the
 * stored bytes' digest before it opens them (to look up what it keeps for
 * them) does not pay for hashing them twice. data must outlive *out. Any
 * thread.
 */
struct pdf_sha256;
int pdf_sha256_new(const unsigned char *data, size_t len, struct pdf_sha256 **out,
		   unsigned char digest[32], struct sp_errinfo *ei) SP_WUR;
/*
 * The same, going on from start: SHA-256 (OpenSSL's state, not changed)
 * fed with data[0..start_len) already, e.g. kept with bytes held earlier of
 * which data is the same start; only the rest is hashed here.
 */
int pdf_sha256_resume(const unsigned char *data, size_t len, const EVP_MD_CTX *start,
		      size_t start_len, struct pdf_sha256 **out, unsigned char digest[32],
		      struct sp_errinfo *ei) SP_WUR;
void pdf_sha256_free(struct pdf_sha256 *h); /* NULL is fine */

/* The result of pdf_sig_prepare() or pdf_sig_prepare_update(); _cleanup frees and zeroes it. */
struct pdf_sig_prepared {
	unsigned char *data; /* the whole new file: original bytes + the update (NULL from
				pdf_sig_prepare_update) */
	size_t len;          /* the whole new file's length */
	size_t orig_len;     /* the original is data[0 .. orig_len) */
	/*
	 * pdf_sig_prepare_update() only: the update alone, the new file's bytes
	 * [orig_len, len) (update_len = len - orig_len), and the SHA-256 of the
	 * original bytes (taken on the way when the signature's digest is
	 * SHA-256, in a pass of its own for SM3).
	 */
	unsigned char *update;
	size_t update_len;
	unsigned char orig_sha256[32];
	size_t contents_off;     /* offset of the '<' of the /Contents placeholder */
	size_t contents_len;     /* its length including '<' and '>' */
	long long byte_range[4]; /* 0, contents_off, contents_off+contents_len, rest */
	/*
	 * The digest of the covered ranges the signature uses: sha256, or sm3
	 * when params->digest_sm3; the other stays zero (hashing a large file
	 * twice for a digest nobody signs is the cost of prepare).
	 */
	unsigned char sha256[32];
	unsigned char sm3[32];
	struct pdf_widget_rect *rects; /* the resolved placements */
	size_t nrects;
	/* for the checks of the signatures before it (pdf_docmdp_check_signable): the
	   signature's field, 1 when it is an empty one the document had (a field
	   placement), and the new widgets drawn (a filled field's is not new) */
	char field[128];
	int filled;
	size_t visible_new;
};

void pdf_sig_prepared_cleanup(struct pdf_sig_prepared *p);

/*
 * Build one incremental update: a signature field with one widget per
 * resolved placement (seal or date appearance; no placement: one invisible
 * widget on page 1), the signature dictionary (/Adobe.PPKLite,
 * /ETSI.CAdES.detached, /M) with a zeroed /Contents placeholder and an exact
 * /ByteRange, the changed /Annots and AcroForm objects, and an xref section
 * of the same kind as the previous revision. One placement gives a field
 * merged with its widget; several give a field with /Kids (each kid also
 * carries /V, which poppler before 25 needs). Deterministic: the same
 * document, arguments and params give byte-identical output (but for an
 * encrypted file's AES IVs, random: what is added to an encrypted file, all
 * but the /Contents, is encrypted with its key, the same /Encrypt and /ID
 * kept; one whose /P lacks bit 4 or bit 6 is refused, SP_ERR_UNSUPPORTED
 * with reason pdf_signing_not_permitted, as pdf_dss_append refuses it). A
 * damaged document is refused (SP_ERR_PDF); placements fail as in
 * pdf_placements_resolve(). On success *out is the caller's (release with
 * pdf_sig_prepared_cleanup()); on failure it is zeroed. The document is not
 * changed (it may be prepared again). Any thread.
 */
int pdf_sig_prepare(struct pdf_doc *doc, const struct pdf_sig_params *params,
		    const struct pdf_seal *seals, size_t nseals, const struct pdf_placement *pl,
		    size_t npl, struct pdf_sig_prepared *out, struct sp_errinfo *ei) SP_WUR;

/*
 * pdf_sig_prepare() without copying the original: out->update holds the
 * update alone (the same bytes pdf_sig_prepare() appends), out->data is
 * NULL, and the offsets (contents_off, byte_range) and digests are those of
 * the whole new file, the document's bytes followed by the update. For a
 * caller that keeps the original anyway and stores only the update (the
 * server's prepare). Any thread.
 */
int pdf_sig_prepare_update(struct pdf_doc *doc, const struct pdf_sig_params *params,
			   const struct pdf_seal *seals, size_t nseals,
			   const struct pdf_placement *pl, size_t npl, struct pdf_sig_prepared *out,
			   struct sp_errinfo *ei) SP_WUR;

/*
 * Write a DER signature (CMS) into the placeholder data[contents_off ..
 * contents_off + contents_len) of a prepared file, in place. SP_ERR_TOO_LARGE
 * when it does not fit (nothing is written), SP_ERR_INVALID when the range is
 * not an untouched placeholder. Any thread.
 */
int pdf_sig_fill(unsigned char *data, size_t len, size_t contents_off, size_t contents_len,
		 const unsigned char *der, size_t der_len, struct sp_errinfo *ei) SP_WUR;

/* ==== end section: document, writer, appearances, placements ==== */

/* ==== section: text locator ==== */
/*
 * Text with positions, for keyword seals. Reads the page's content streams
 * (and the Form XObjects they paint) with simple fonts (Standard, WinAnsi,
 * MacRoman, /Differences, /Widths, standard-14 metrics) and Type0 fonts
 * (Identity-H/V, /W, /DW) and their /ToUnicode CMaps.
 */
struct pdf_doc;

/*
 * One occurrence of a needle: page is 1-based; the box is in the page's
 * default user space (PDF points, before /Rotate and regardless of the
 * MediaBox/CropBox origin), x0 < x1 and y0 < y1. It is the union of the
 * glyph boxes of the matched characters (ascent..descent of the font).
 */
struct pdf_text_hit {
	int page;
	double x0, y0, x1, y1;
};

/*
 * Find every occurrence of needle_utf8 in doc, in reading order (page,
 * then content-stream order). Matching is exact on Unicode code points
 * (full-width "（" and ASCII "(" differ) but for CJK radicals and strokes,
 * which match the ideograph they stand for (U+2F45 ⽅ is 方: Chromium's PDFs
 * name shared glyphs so), and ignores white space on both sides, so an occurrence broken by inter-glyph spaces or a line break is
 * still found; occurrences do not overlap. An occurrence that spans lines
 * gets the box of its first line's part. On SP_OK *hits is a malloc'd array
 * of *nhits entries the caller free()s (NULL and 0 when there is none).
 * Errors: SP_ERR_INVALID for an empty, all-space, oversized (> 256 bytes)
 * or non-UTF-8 needle; SP_ERR_PDF / SP_ERR_LIMIT / SP_ERR_UNSUPPORTED when a
 * page's content cannot be read (nothing is returned then). Any thread, on
 * a doc that thread owns.
 */
int pdf_text_find(struct pdf_doc *doc, const char *needle_utf8, struct pdf_text_hit **hits,
		  size_t *nhits, struct sp_errinfo *ei) SP_WUR;

/* What pdf_text_find() would have returned for one needle. */
struct pdf_text_found {
	int rc;                    /* its return */
	struct sp_errinfo ei;      /* its error when rc is not SP_OK */
	struct pdf_text_hit *hits; /* on SP_OK (malloc'd, the caller free()s; NULL when none) */
	size_t nhits;
};

/*
 * pdf_text_find() for n needles at once, out[i] for needles[i], exactly as
 * n calls would have answered (each needle's hits, its hit cap, the first
 * page whose text cannot be read), but each page's text is extracted once,
 * not once per needle: a signing request's keyword placements (up to 64)
 * cost one extraction of the document, not 64 (sec35). Returns SP_OK, or
 * SP_ERR_NOMEM with out[] empty. Any thread, on a doc that thread owns.
 */
int pdf_text_find_many(struct pdf_doc *doc, const char *const *needles, size_t n,
		       struct pdf_text_found *out, struct sp_errinfo *ei) SP_WUR;

/*
 * The text of one page (1-based) as NUL-terminated UTF-8, in content order,
 * with a newline where a new line starts and a space where glyphs leave a
 * gap of more than a quarter em without a space character. For debugging
 * and tests. *utf8 is malloc'd, the caller free()s it; *len excludes the NUL.
 * SP_ERR_INVALID for a page out of range, other errors as pdf_text_find.
 * Any thread, on a doc that thread owns.
 */
int pdf_page_text(struct pdf_doc *doc, int page, char **utf8, size_t *len,
		  struct sp_errinfo *ei) SP_WUR;
/* ==== end section: text locator ==== */

/* ==== section: normalize ==== */
/*
 * Upload normalization (DESIGN.md §5): a draft's PDF is rewritten once by
 * qpdf so that no earlier revision and no unreferenced object survives (the
 * hidden material "shadow" attacks need); a file that already carries a
 * signature (a /Sig field with /V) is kept byte for byte instead.
 */
struct pdf_normalized {
	unsigned char *data; /* malloc'd: the bytes to store as revision 0 */
	size_t len;
	int pages;                /* page count */
	int kept;                 /* 1: signed upload kept as is; 0: rewritten */
	int repaired;             /* 1: damaged (xref offsets off), repaired by the rewrite */
	int xfa_removed;          /* 1: a static XFA form, made a plain AcroForm by the rewrite */
	size_t actions_removed;   /* scripts and other actions the rewrite removed (active.c) */
	unsigned char sha256[32]; /* of data */
	/*
	 * SHA-256 fed with data[0..len) and not finished (sha256 is its digest):
	 * the stored revision's digest state, from which the first signer's
	 * prepare and completion go on instead of hashing the upload again.
	 * Freed by pdf_normalized_cleanup(); a caller may take it (set NULL).
	 */
	EVP_MD_CTX *sha256_state;
	/*
	 * The object numbers data's one revision refers to, ascending (malloc'd),
	 * as pdf_refs_init() + pdf_refs_export() give them on data opened alone:
	 * found while the rewrite is read back, so that the first signature's
	 * verification need not walk the upload again (crypto_verify_opts
	 * verified_refs). NULL (nrefs 0) for a kept upload, or when the walk
	 * failed (the verification then walks and judges for itself).
	 */
	int *refs;
	size_t nrefs;
	/*
	 * data's pages as pdf_doc_page_objs() gives them (2 * npage_objs ints,
	 * malloc'd), from the copy read back, so that the first signature's
	 * completion need not walk the upload's page tree (pdf_doc_open_known).
	 * NULL when they cannot be handed on (the tree is walked then).
	 */
	int *page_objs;
	size_t npage_objs;
	/*
	 * data's form facts (pdf_doc_form_export with sha256, malloc'd), from
	 * the copy read back, so that the first prepare opens data without
	 * walking its form (pdf_doc_open_stored_kept). NULL when they cannot be
	 * kept (the form is walked then).
	 */
	uint8_t *form;
	size_t form_len;
};

/*
 * Check and normalize an uploaded PDF. Refuses non-PDF input (SP_ERR_PDF,
 * reason pdf_unreadable), files that need a password to open
 * (SP_ERR_UNSUPPORTED, pdf_encrypted) or whose permissions forbid signing
 * (SP_ERR_UNSUPPORTED, pdf_signing_not_permitted), files qpdf had to repair that are signed or lack their end (SP_ERR_PDF,
 * pdf_damaged; an unsigned one with its end is repaired by the rewrite),
 * unsigned dynamic XFA forms (SP_ERR_UNSUPPORTED, pdf_xfa_dynamic; a static
 * one's XFA is dropped by the rewrite), signed files with scripts or other
 * actions that do more than move the view, a portfolio (/Collection), or
 * an XFA form that runs scripts or shows another file's content
 * (SP_ERR_UNSUPPORTED, pdf_active_content; an unsigned one's are
 * dropped by the rewrite), files with a 3D, RichMedia, Movie or Sound
 * annotation (pdf_active_content, signed or not), and oversized ones
 * (SP_ERR_TOO_LARGE / SP_ERR_LIMIT). An unsigned file is rewritten with
 * object streams preserved, a deterministic /ID and no unreferenced objects,
 * so the same upload always gives the same bytes (an encrypted one, with an
 * owner password only, keeps its encryption: its first /ID and the author's
 * permissions stay, and its bytes are not deterministic). On SP_OK *out is filled and
 * the caller releases it with pdf_normalized_cleanup(); on failure *out is
 * zeroed. The input is not modified. Any thread.
 */
int pdf_upload_normalize(const unsigned char *data, size_t len, struct pdf_normalized *out,
			 struct sp_errinfo *ei) SP_WUR;

/* Free and zero *n. NULL is fine. */
void pdf_normalized_cleanup(struct pdf_normalized *n);
/* ==== end section: normalize ==== */

#include "pdf_revisions.h" /* revisions and differences */

#include "pdf_dss.h" /* document security store (PAdES B-LT) */
#include "pdf_art.h" /* generated documents and pictures */

#endif /* SP_PDF_H */
