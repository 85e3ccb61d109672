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
	int digest_sm3;         /* 1: SM3 of the covered ranges (an SM2 signer), else SHA-256 */
	int doc_timestamp;      /* 1: a document timestamp (/DocTimeStamp, ETSI.RFC3161, no /M);
				   placements are ignored: one invisible widget */
	/* pdf_sig_prepare_update() only: the document's bytes hashed already
	   (pdf_sha256_new over the same buffer and length), not hashed again;
	   NULL: hashed here */
	const struct pdf_sha256 *orig_hash;
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
 * one's XFA is dropped by the rewrite), and oversized ones
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

/* ==== section: revisions and differences ==== */
/*
 * For signature verification (crypto/verify*.c): the revisions of a file,
 * its signature fields as written, and what each incremental update changed.
 * Everything here reads hostile input and fails closed. Any thread, on
 * documents that thread owns.
 */
#define PDF_REVISIONS_MAX 512

/* One revision: the file's prefix data[0 .. end) is a PDF on its own. */
struct pdf_revision {
	long long xref;            /* offset of its xref section */
	int xref_stream;           /* 1: an xref stream, 0: a table */
	long long xrefstm;         /* a hybrid table's /XRefStm stream, 0 when none */
	long long linearized_main; /* first revision of a linearized file: its main section */
	size_t eof_end;            /* just after its "%%EOF" */
	size_t end;                /* eof_end plus one end-of-line, if present */
	int trailing_garbage;      /* last revision only: non-space bytes after it */
};

/*
 * Where the file's "%PDF-" header starts, as qpdf finds it (the first within
 * the first 1024 bytes that a version follows); 0 when there is none. The
 * offsets the file gives (startxref, /Prev, xref entries) count from there;
 * a signature's /ByteRange counts from the file's first byte (pdfsig).
 */
size_t pdf_header_offset(const unsigned char *d, size_t len);
/*
 * Find the revisions by following startxref and the /Prev chain (each
 * section before the one that names it, each revision ending with its own
 * startxref and %%EOF; a linearized file's first-page and main sections
 * are one revision). revs holds max entries; on SP_OK *n of them, oldest
 * first. SP_ERR_PDF (reason revision_structure) when the chain is broken.
 */
int pdf_revisions_find(const unsigned char *data, size_t len, struct pdf_revision *revs, size_t max,
		       size_t *n, struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_revisions_find() of data[0..len) that walks only the sections after
 * known_len: known[0..nknown) are what pdf_revisions_find() found in
 * data[0..known_len) (the same bytes: the caller knows them by their
 * digest). 1 with *n revisions in revs, exactly what pdf_revisions_find()
 * gives; 0 when the newer sections are not a short chain of updates onto
 * the known ones (or the known are a linearized file's): the caller finds
 * them whole, which tells the error, if any.
 */
int pdf_revisions_extend(const unsigned char *data, size_t len, const struct pdf_revision *known,
			 size_t nknown, size_t known_len, struct pdf_revision *revs, size_t max,
			 size_t *n) SP_WUR;
/*
 * What a verifier reads (sec36): opening revision k on its own reads the
 * cross-reference entries of every section up to k, so a file of many
 * revisions over one big table cost revisions x table (100 updates over a
 * 300,000-entry table: 12 s). A verification reads at most
 * PDF_REVISIONS_MAX_READS entries over all the revisions it opens (about
 * 6 s of a worker); beyond that it is SP_ERR_LIMIT (reason pdf_limit).
 */
#define PDF_REVISIONS_MAX_READS 16000000
/* The entries of rev's own xref section(s) (a hybrid's /XRefStm stream, a linearized
   file's main section included): a table's as written, a stream's by its /Index or /Size. */
size_t pdf_revision_xref_entries(const unsigned char *data, size_t len,
				 const struct pdf_revision *rev);
/* SP_ERR_LIMIT (pdf_limit) when opening each of revs[0..n) on its own reads more than
   PDF_REVISIONS_MAX_READS entries together (a signed upload, kept as it is, is
   verified so: refused at upload rather than at each verification). */
int pdf_revisions_reads_check(const unsigned char *data, size_t len,
			      const struct pdf_revision *revs, size_t n,
			      struct sp_errinfo *ei) SP_WUR;
/*
 * A contract stays verifiable as it grows (sec37): SP_ERR_LIMIT (pdf_limit)
 * when verifying the stored file data[0..len) with what is to be appended
 * would read more than PDF_REVISIONS_MAX_READS entries: the incremental
 * update `update` (ulen bytes, its offsets the file's; NULL: none), then
 * `ltv` long-term-validation updates (a DSS, a document timestamp) of at most
 * PDF_LTV_UPDATE_ENTRIES entries each. Every revision but the file's last is
 * opened on its own, so each appended one reads every stored section again.
 */
#define PDF_LTV_UPDATE_ENTRIES 4096
int pdf_revisions_room_check(const unsigned char *data, size_t len, const unsigned char *update,
			     size_t ulen, unsigned ltv, struct sp_errinfo *ei) SP_WUR;
/*
 * What verifying a file whole reads, as pdf_revisions_room_check() counts it:
 * every revision opened on its own (reads), the last one's sections (chain),
 * and how many revisions there are. They are fixed for the stored bytes, so a
 * completion hands them to the next prepare, extended by the revisions it
 * appended, instead of that prepare walking every stored section again.
 */
struct pdf_reads_count {
	unsigned long long reads, chain;
	unsigned long long nrevs;
};
/* The count of data[0..len) whose revisions are revs[0..n) (pdf_revisions_find()'s). */
void pdf_reads_count_of(const unsigned char *data, size_t len, const struct pdf_revision *revs,
			size_t n, struct pdf_reads_count *c);
/* The count of data[0..len), its revisions found: SP_OK, SP_ERR_NOT_FOUND when
   its chain does not read (a stored file's was refused when it was stored:
   nothing to count), SP_ERR_NOMEM. */
int pdf_reads_count_find(const unsigned char *data, size_t len, struct pdf_reads_count *c) SP_WUR;
/* c, the count of data's first c->nrevs revisions, extended to revs[0..n) of
   data[0..len) (the same revisions first, and those after them). 0, or -1 when
   revs do not extend c. */
int pdf_reads_count_extend(const unsigned char *data, size_t len, const struct pdf_revision *revs,
			   size_t n, struct pdf_reads_count *c) SP_WUR;
/* pdf_revisions_room_check() of the stored file whose count is c (from a
   completion, or pdf_reads_count_of()). */
int pdf_revisions_room_check_known(const struct pdf_reads_count *c, size_t len, size_t header,
				   const unsigned char *update, size_t ulen, unsigned ltv,
				   struct sp_errinfo *ei) SP_WUR;

/* How a signature dictionary holds /Contents or /ByteRange. */
enum pdf_sig_key {
	PDF_SIG_KEY_OK = 0, /* present, direct, right type (/ByteRange: pairs read as two ranges) */
	PDF_SIG_KEY_MISSING,
	PDF_SIG_KEY_NULL,
	PDF_SIG_KEY_INDIRECT,
	PDF_SIG_KEY_MALFORMED
};

/* What a signature's FieldMDP lock covers. */
enum pdf_lock {
	PDF_LOCK_NONE = 0,
	PDF_LOCK_ALL,     /* every form field */
	PDF_LOCK_INCLUDE, /* the fields lock_fields names */
	PDF_LOCK_EXCLUDE  /* every field but those */
};

/* A signed signature field (/FT /Sig with a /V) as the document has it. */
struct pdf_sig_field {
	char name[128];       /* fully qualified field name (UTF-8) */
	int field_obj;        /* the field's object number (0: direct) */
	int sig_obj, sig_gen; /* the /V dictionary's object (0: direct, never valid) */
	char type[32], filter[64], subfilter[64]; /* names, "" when absent */
	int docmdp_p; /* certifying signature: DocMDP /P (1..3), else 0 */
	int has_m; /* the dictionary's /M is a date, the claimed signing time (PAdES requires it) */
	/* FieldMDP (ISO 32000-2 §12.8.2.4): the /Reference's FieldMDP transform, else the
	   field's /Lock: which form fields this signature locks */
	enum pdf_lock lock;
	/* the /Fields names of an Include / Exclude lock, each NUL-terminated, an empty
	   name ends the list (an Include list too long for it reads as All: fail closed) */
	char lock_fields[512];
	/* the lock's /P (PDF 2.0): DocMDP permissions from this signature on (1..3), 0 none */
	int lock_p;
	enum pdf_sig_key contents_state, byterange_state;
	int unread; /* pdf_sig_fields_list_lazy: only name, field, lock and sig_obj are set */
	/* read from an indirect dictionary (no stream) that consulted no other object: no
	   /Reference, direct /Type /Filter /SubFilter, /Contents and /ByteRange present and
	   well formed; any later revision that does not list sig_obj reads it the same */
	int self_contained;
	unsigned char *contents; /* the /Contents string (DER plus padding) */
	size_t contents_len;
	long long byterange[4];
	/* byterange_state PDF_SIG_KEY_MALFORMED: what was wrong, in words that follow
	   "/ByteRange " (say, "entry 3 is negative (-5)"); "" otherwise */
	char byterange_why[128];
	/* 1: a verification of the bytes this was read from found the gap the byte range
	   leaves to be exactly this /Contents in hex (crypto/verify.c, structure), so a
	   later one of a file that starts with those bytes, taking this read as read
	   (crypto_verify_opts.verified_sigs), need not compare them again. 0 for a fresh
	   read; kept by pdf_sig_reads_pack */
	int gap_ok;
};

/*
 * The signed signature fields reachable from /AcroForm /Fields, in field
 * order. On SP_OK *out (free with pdf_sig_fields_free; NULL when none) has
 * *n entries; SP_ERR_LIMIT / SP_ERR_PDF for a hostile field tree.
 */
int pdf_sig_fields_list(struct pdf_doc *doc, struct pdf_sig_field **out, size_t *n,
			struct sp_errinfo *ei) SP_WUR;
/*
 * As pdf_sig_fields_list, but a signature value that is an indirect object
 * is not read: the entry has `unread` set, its name, field, field /Lock and
 * sig_obj/sig_gen; pdf_sig_field_read() reads the rest from any revision.
 * (A signature dictionary holds a large /Contents: parsing it once, in the
 * revision that wrote it, is what keeps verification linear.)
 */
int pdf_sig_fields_list_lazy(struct pdf_doc *doc, struct pdf_sig_field **out, size_t *n,
			     struct sp_errinfo *ei) SP_WUR;
/*
 * Read s's signature dictionary (s->sig_obj) as doc has it into s, keeping
 * its name, field and the field's lock. SP_ERR_NOT_FOUND when doc has no
 * such object; s unchanged then.
 */
int pdf_sig_field_read(struct pdf_doc *doc, struct pdf_sig_field *s, struct sp_errinfo *ei) SP_WUR;
/* What is wrong with s's /ByteRange, in words that follow "/ByteRange "
   ("is missing", "has 3 entries: ..."); "" when it was read. Static or s's. */
const char *pdf_sig_byterange_why(const struct pdf_sig_field *s);
/*
 * The DocMDP permissions (1..3) doc's catalog gives the signature dictionary
 * obj gen when its /Perms /DocMDP is a reference to that object: the
 * dictionary's DocMDP /Reference's, or 2, the default of /P, when it has
 * none (ISO 32000-2 Tables 257, 263). 0 when /Perms names another or none.
 * Read it in the revision the signature signs: /Perms may change after it.
 */
int pdf_perms_docmdp_p(struct pdf_doc *doc, int obj, int gen);
/*
 * As pdf_sig_fields_list_lazy, for a doc in which each of known[0..nknown)
 * (self-contained reads whose sig_obj/sig_gen the caller knows doc resolves
 * as it read them: see pdf_sig_reads_pack) is a dictionary: a field with
 * /Kids whose value is one of them is not resolved to tell it from null.
 */
int pdf_sig_fields_list_known(struct pdf_doc *doc, const struct pdf_sig_field *known, size_t nknown,
			      struct pdf_sig_field **out, size_t *n, struct sp_errinfo *ei) SP_WUR;
/*
 * Signature reads as bytes (the fields and the /Contents of each), to hand
 * from one verification to the next in the same process; unpack gives them
 * back (pdf_sig_fields_free). Only self-contained reads are packed; unpack
 * fails (SP_ERR_INVALID) on bytes pack did not make.
 */
int pdf_sig_reads_pack(const struct pdf_sig_field *s, size_t n, uint8_t **out, size_t *len,
		       struct sp_errinfo *ei) SP_WUR;
int pdf_sig_reads_unpack(const uint8_t *b, size_t len, struct pdf_sig_field **out, size_t *n,
			 struct sp_errinfo *ei) SP_WUR;
/* As pdf_sig_fields_list, leaving out the signature objects skip[0..nskip) names. */
int pdf_sig_fields_list_new(struct pdf_doc *doc, const int *skip, size_t nskip,
			    struct pdf_sig_field **out, size_t *n, struct sp_errinfo *ei) SP_WUR;
void pdf_sig_fields_free(struct pdf_sig_field *s, size_t n);

/*
 * SP_OK when doc may take another signature; SP_ERR_INVALID (reason
 * docmdp_no_changes, a message naming the field) when a certification
 * signature's DocMDP permissions are P=1, or a signature field lock's /P is
 * 1 (PDF 2.0), which forbid any change. prep (NULL: not prepared yet, only
 * that) is the update prepared for doc, judged as the verifier will judge it
 * after those signatures: new visible widgets after a signature whose
 * DocMDP or field lock says P=2, wherever the certification is (the catalog's
 * /Perms names it or not: pdf_sig_prepare looks only there), SP_ERR_INVALID
 * docmdp_no_visible; an empty field filled that an earlier signature's
 * FieldMDP lock covers, SP_ERR_INVALID field_locked.
 */
int pdf_docmdp_check_signable(struct pdf_doc *doc, const struct pdf_sig_prepared *prep,
			      struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_docmdp_check_signable, for a doc whose signatures an earlier
 * verification of exactly its bytes read (reads[0..reads_len), its
 * pdf_sig_reads_pack: the server keeps them per stored revision): the
 * dictionaries it read self-contained are taken as read instead of parsed
 * again (each is a whole /Contents: reading every earlier one made a
 * contract's k-th prepare cost O(k)), any other value is read. Same answer
 * as pdf_docmdp_check_signable; reads NULL (or not pack's) is that. Any thread.
 */
int pdf_docmdp_check_signable_known(struct pdf_doc *doc, const struct pdf_sig_prepared *prep,
				    const uint8_t *reads, size_t reads_len,
				    struct sp_errinfo *ei) SP_WUR;

/* 1 when s's FieldMDP lock covers the fully qualified field name (or an ancestor of it). */
int pdf_sig_field_locks(const struct pdf_sig_field *s, const char *field);

/* 1 when doc (a revision) has s's signature object with the same /Contents and /ByteRange. */
int pdf_sig_field_same(struct pdf_doc *doc, const struct pdf_sig_field *s);

/*
 * Changes that DocMDP permissions may allow (ISO 32000-2 §12.8.2.2): left
 * disallowed by the diff, since an approval signature alone permits
 * neither, and judged per signature by the verifier.
 */
enum pdf_change_kind {
	PDF_CHANGE_OTHER = 0, /* allowed or not as `allowed` says, after any signature */
	/* an existing form field's value and appearance (/V /AS /AP): certified with P>=2,
	   unless a FieldMDP lock in force covers the field */
	PDF_CHANGE_FORM_FILL,
	/* an annotation that is no form widget added, removed or changed: certified with P=3 */
	PDF_CHANGE_ANNOT,
	/* an empty signature field signed (/V, and its widget's /AP): allowed, unless a
	   FieldMDP lock in force covers the field */
	PDF_CHANGE_SIG_FILL
};

/* One object an update changed. */
struct pdf_change {
	int obj, gen; /* 0 0 for the trailer */
	int allowed;  /* 1: allowed after a signature; 0: not (unless kind permits) */
	int ltv;      /* 1: validation data only (the DSS, or the catalog's /DSS entry) */
	enum pdf_change_kind kind;
	char field[128]; /* FORM_FILL, SIG_FILL: the fully qualified field name */
	char what[160];  /* names the object and the change */
};

/* What one update changed: the first 256 changes, and counts of all. */
struct pdf_diff {
	struct pdf_change *c;
	size_t n;
	size_t nallowed, ndisallowed;
	size_t nltv;         /* of the allowed changes, those that only add validation data */
	int visible_widgets; /* new signature widgets with a visible rectangle */
	/* every object number the update's xref lists (changed or not, freed too), sorted:
	   an object no later update lists reads the same in every later revision */
	int *listed;
	size_t nlisted;
};

/*
 * The object numbers rev's xref section lists (in use or free, and an xref
 * stream's own), read from doc's bytes, malloc'd and sorted in *nums.
 * SP_ERR_PDF when the section cannot be read.
 */
int pdf_revision_listed(struct pdf_doc *doc, const struct pdf_revision *rev, int **nums, size_t *n,
			struct sp_errinfo *ei) SP_WUR;
/*
 * Every object number the sections of revs[0..nrevs) (doc's revisions)
 * after the revision ending at end list (pdf_revision_listed), malloc'd and
 * sorted in *nums: what pdf_dss_read_known() calls later. 1 when found; 0
 * when no revision ends at end, or a later one is hybrid, linearized or
 * unreadable.
 */
int pdf_revisions_listed_after(struct pdf_doc *doc, const struct pdf_revision *revs, size_t nrevs,
			       size_t end, int **nums, size_t *n);
/* 1 when doc's object num (generation 0, as object streams are) is an object stream. */
int pdf_obj_is_objstm(struct pdf_doc *doc, int num);
/*
 * 1 when doc's object num is stored in an object stream, as the newest of
 * doc's cross-reference sections that lists it says; 0 when it is not (or
 * no section lists it); -1 when the sections cannot be read from doc's
 * bytes.
 */
int pdf_obj_compressed(struct pdf_doc *doc, int num);
/*
 * 1 when newer, older plus the one incremental update rev (of newer's
 * bytes), has older's page list (pdf_doc_page_objs), so that a list known
 * for older's bytes may be given to pdf_doc_open_known() of newer's: the
 * catalog's /Pages is the same node, and no object the update lists is a
 * page tree node (a dictionary with /Kids), an indirect array holding a page
 * or a node, a stream (an object stream may hold either), an existing
 * object not told apart by number, or a page that is no longer a dictionary
 * without /Kids. 0 when any of this cannot be told (then the next open walks
 * the tree). older needs its page list; neither is changed.
 */
int pdf_pages_kept(struct pdf_doc *older, struct pdf_doc *newer, const struct pdf_revision *rev);

/* 1 when d's update lists object num (pdf_revision_diff must have succeeded). */
int pdf_diff_lists(const struct pdf_diff *d, int num);

/*
 * The object numbers the revisions so far refer to (a bit set), so that an
 * update's new object filling a reference an earlier revision made is seen
 * without walking every revision again: pdf_refs_init() walks the first
 * revision once, each pdf_revision_diff() adds what its update refers to.
 */
struct pdf_refs {
	unsigned char *bits;
	/* the numbers referred to more than once (by two objects, or twice by one): the
	   trailer's /Info, the catalog's /Metadata and /DSS, which a later update may
	   change, may do so only when nothing else uses them (a shadow attack otherwise:
	   the metadata stream doubling as a page's contents) */
	unsigned char *multi;
	size_t n;  /* numbers 0 .. n-1 */
	size_t hi; /* one past the highest number in the set (0: empty) */
};
int pdf_refs_init(struct pdf_doc *first, struct pdf_refs *r, struct sp_errinfo *ei) SP_WUR;
void pdf_refs_cleanup(struct pdf_refs *r);
/*
 * The set as its numbers, ascending (*nums the caller's, free()), and back:
 * so that the set a verification ends with can be kept and given to the next
 * verification of the same bytes plus an update instead of walking them
 * again; a number referred to more than once is given negated. Import fails
 * (SP_ERR_INVALID) on a number out of 1..PDF_DOC_MAX_OBJECTS (either sign).
 */
int pdf_refs_export(const struct pdf_refs *r, int **nums, size_t *n, struct sp_errinfo *ei) SP_WUR;
int pdf_refs_import(const int *nums, size_t n, struct pdf_refs *r, struct sp_errinfo *ei) SP_WUR;

/*
 * Compare newer (the revision whose xref section is rev) with older (the
 * revision before it), over the objects rev's xref section lists, then add
 * what the update refers to to refs (updates in order, from the first).
 * Fills *out (pdf_diff_cleanup). An error (unreadable section, limits) means
 * the update cannot be accounted for: the caller must not treat it as allowed.
 */
int pdf_revision_diff(struct pdf_doc *older, struct pdf_doc *newer, const struct pdf_revision *rev,
		      struct pdf_refs *refs, struct pdf_diff *out, struct sp_errinfo *ei) SP_WUR;
struct pdf_dss;
/*
 * pdf_revision_diff(), given dss: pdf_dss_read() of newer's very bytes (its
 * len rev->end; the caller's to know: the DSS update's writer gives it,
 * pdf_dss_append_read), or NULL. What the DSS object refers to through its
 * /VRI dictionary is then taken from that read (dss->vri_obj, when every
 * value is a reference) instead of qpdf listing the dictionary's keys, which
 * resolves each value (an object per signature: k of them at a B-LT
 * contract's k-th completion). The result is pdf_revision_diff()'s.
 */
int pdf_revision_diff_dss(struct pdf_doc *older, struct pdf_doc *newer,
			  const struct pdf_revision *rev, const struct pdf_dss *dss,
			  struct pdf_refs *refs, struct pdf_diff *out,
			  struct sp_errinfo *ei) SP_WUR;
/*
 * doc's DSS as dss, a closed read of doc's very bytes (pdf_dss_read_known()
 * of doc, dss->len doc's length), told to doc: the checks of an update
 * after doc (pdf_doc_form_keep, pdf_pages_kept, pdf_revision_diff_dss with
 * doc as the older side) then take the DSS object (its number, that it is a
 * dictionary, its item counts, with keys_known that it holds nothing else)
 * from these facts instead of having qpdf parse it: the DSS update of a
 * B-LT contract's k-th completion rewrites a dictionary with some 3k
 * references, which qpdf parsed in the revision before it only to find it
 * a dictionary, different from the new one. 1 when told (kept by value:
 * dss need not outlive doc), 0 when dss is not such a read of doc. Any
 * thread that owns doc.
 */
int pdf_doc_dss_tell(struct pdf_doc *doc, const struct pdf_dss *dss);
void pdf_diff_cleanup(struct pdf_diff *d);
/* ==== end section: revisions and differences ==== */

/* ==== section: document security store (PAdES B-LT) ==== */
/* One DER object (certificate, OCSP response, CRL). */
struct pdf_blob {
	unsigned char *data;
	size_t len;
};

/*
 * What a document's /DSS holds: item[0] certificates, item[1] OCSP
 * responses, item[2] CRLs (decoded stream bytes, each with its object number
 * in obj[k]), and the /VRI keys (40 uppercase hex digits of the SHA-1 of a
 * signature's /Contents). pdf_dss_cleanup() frees and zeroes it.
 */
struct pdf_dss {
	int present; /* the catalog has a /DSS dictionary */
	int dss_obj; /* its object number, 0 when direct */
	int dss_gen; /* and generation */
	struct pdf_blob *item[3];
	int *obj[3];
	size_t n[3];
	char (*vri)[41];
	size_t nvri;
	/* per item: its object's generation, and 1 when its stream's dictionary refers to
	   no other object (its decoded bytes are its object's own: pdf_dss_read_known) */
	int *gen[3];
	unsigned char *plain[3];
	long long size; /* the trailer /Size of the document read */
	int encrypted;  /* that document was (its streams decrypted with its trailer's key) */
	size_t len;     /* the length of the bytes read (0: not told) */
	/* per /VRI key: the object its value is and that object's generation (0 0: a direct
	   value) */
	int *vri_obj, *vri_gen;
	/* 1 when /VRI is a direct dictionary of the DSS (or there is none) whose every key
	   was read (40 uppercase hex digits) and every value is an indirect reference: its
	   next version is written from this read alone (pdf_dss_append), not from a parse */
	int vri_refs;
	/* 1 when the read followed no reference but to the DSS (an indirect object) and to
	   its items: the arrays and /VRI are direct, every array entry is a stream read here
	   whose dictionary refers to no other object, and the document is not encrypted.
	   Another document whose catalog names the same DSS object, which neither that
	   object nor an item of it changed in, reads the same (pdf_dss_read_known). */
	int closed;
	/* 1 when the DSS dictionary holds no key but /Type /DSS, the item arrays (direct,
	   n[k] references each) and /VRI (direct, the nvri references): a read of what
	   pdf_dss_append_read() wrote, or a copy of one taken whole (pdf_dss_read_known) */
	int keys_known;
};
#define PDF_DSS_CERTS 0
#define PDF_DSS_OCSPS 1
#define PDF_DSS_CRLS 2

/* Read doc's DSS into *out (zeroed when there is none). Any thread. */
int pdf_dss_read(struct pdf_doc *doc, struct pdf_dss *out, struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_dss_read() of doc, whose bytes start with those known was read from
 * (known: pdf_dss_read() of a document of exactly those bytes; later[0..
 * nlater): every object number the cross-reference sections after them
 * list, none hybrid): an item of doc's DSS that is the same object (number
 * and generation) as one of known's, read from a stream whose dictionary
 * refers to no other object, that no later section lists, below both
 * /Sizes, is taken as known read it, not resolved and decoded again (each
 * is some 70,000 instructions: a B-LT(A) completion read every earlier
 * signer's evidence twice). Sound because that object is then the same
 * bytes at the same offset in both, and its decoding depends on nothing
 * else (neither document encrypted). A closed known (pdf_dss.closed) whose
 * DSS object doc's catalog names, which no later section lists (nor an item
 * of it, nor an object stream of known's document), is taken whole: the
 * DSS dictionary is not parsed again either. Anything else is read; the
 * result is pdf_dss_read()'s. known NULL: pdf_dss_read().
 */
int pdf_dss_read_known(struct pdf_doc *doc, const struct pdf_dss *known, const int *later,
		       size_t nlater, struct pdf_dss *out, struct sp_errinfo *ei) SP_WUR;
void pdf_dss_cleanup(struct pdf_dss *d);
/*
 * d packed into *out (malloc'd, the caller's) for pdf_dss_unpack(), which
 * gives it back field for field: a read of one completion's stored bytes
 * handed to the next (crypto_ltv_known.dss_given). SP_ERR_NOMEM.
 */
int pdf_dss_pack(const struct pdf_dss *d, uint8_t **out, size_t *len) SP_WUR;
/* pdf_dss_pack()'s p[0..len) into *out (its own copies; pdf_dss_cleanup()); SP_ERR_INVALID
   when it is not one, SP_ERR_NOMEM. */
int pdf_dss_unpack(const uint8_t *p, size_t len, struct pdf_dss *out) SP_WUR;
/* 1 when the DSS has a /VRI entry for hex (upper case). */
int pdf_dss_has_vri(const struct pdf_dss *d, const char hex[41]);
/* The /VRI key of a signature: uppercase hex SHA-1 of its whole /Contents string. */
int pdf_vri_key(const unsigned char *contents, size_t len, char out[41]) SP_WUR;

/*
 * The /Cert of signature dictionary obj gen as doc has it (ISO 32000-1
 * Table 252, required by adbe.x509.rsa_sha1): one byte string, or an array
 * of them with the signer's certificate first. *out (free with
 * pdf_blobs_free) has *n entries; SP_ERR_NOT_FOUND when the dictionary has
 * no such /Cert, SP_ERR_LIMIT beyond PDF_SIG_CERTS_MAX strings of at most
 * PDF_SIG_CERT_MAX bytes each. Any thread.
 */
#define PDF_SIG_CERTS_MAX 16
#define PDF_SIG_CERT_MAX (64 * 1024)
int pdf_sig_cert_read(struct pdf_doc *doc, int obj, int gen, struct pdf_blob **out, size_t *n,
		      struct sp_errinfo *ei) SP_WUR;
void pdf_blobs_free(struct pdf_blob *b, size_t n);

/* What one DSS update adds (all borrowed). */
struct pdf_dss_add {
	const struct pdf_blob *certs, *ocsps, *crls;
	size_t ncerts, nocsps, ncrls;
	const char (*vri)[41]; /* signatures whose /VRI entry lists all of the above */
	size_t nvri;
};

/*
 * One incremental update that writes a new version of doc's /DSS (or a new
 * DSS and catalog): the old items and /VRI entries kept, each new item once
 * (bytes already in the DSS are referenced, not copied), a /VRI entry per
 * key in add->vri. old is doc's DSS as pdf_dss_read() read it (the caller
 * read it to see which signatures need an entry: a DSS's every stream is
 * inflated by a read, so it is read once per update, not again here). *out
 * (malloc'd, *outlen bytes) is the whole new file; doc is not changed.
 * SP_ERR_PDF for a damaged document, SP_ERR_INVALID for a bad key or empty
 * item. Any thread.
 */
int pdf_dss_append(struct pdf_doc *doc, const struct pdf_dss *old, const struct pdf_dss_add *add,
		   unsigned char **out, size_t *outlen, struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_dss_append(), and *after (may be NULL) the pdf_dss_read() of *out as
 * it would read (from what was written: the new DSS is not parsed), or
 * zeroed when that cannot be told without a read (old not closed, nor
 * holding its /VRI values as references; an encrypted document). The
 * caller's, pdf_dss_cleanup().
 */
int pdf_dss_append_read(struct pdf_doc *doc, const struct pdf_dss *old,
			const struct pdf_dss_add *add, unsigned char **out, size_t *outlen,
			struct pdf_dss *after, struct sp_errinfo *ei) SP_WUR;
/*
 * pdf_dss_append_read() where *out is the update alone: the bytes that
 * follow doc's own (doc->len of them) in the new file, written by the
 * caller where it keeps the document (a completion: in the room after it),
 * so that the document is not copied to be appended to. *after's length is
 * the whole new file's.
 */
int pdf_dss_append_update(struct pdf_doc *doc, const struct pdf_dss *old,
			  const struct pdf_dss_add *add, unsigned char **out, size_t *outlen,
			  struct pdf_dss *after, struct sp_errinfo *ei) SP_WUR;
/* ==== end section: document security store ==== */
/* ==== section: generated documents and pictures ==== */
/*
 * Documents and pictures the platform generates, set in a CJK font: an
 * OpenType/CFF face (Debian's fonts-noto-cjk NotoSansCJK-Regular.ttc, face
 * PDF_CJK_FONT_INDEX_SC for Simplified Chinese) shaped with HarfBuzz and
 * embedded as a subset made with hb-subset (Type0, Identity-H, CIDFontType0,
 * /ToUnicode, so the text can be searched and copied). Errors common to all:
 * SP_ERR_IO (reason font_unreadable) when the font file cannot be read,
 * SP_ERR_INVALID (font_index) for a face outside the collection,
 * SP_ERR_UNSUPPORTED (font_not_cff) for a font without CFF outlines,
 * SP_ERR_INVALID (font_missing_glyph) for a character the font lacks and
 * (text_invalid) for text that is empty where it may not be, too long, not
 * UTF-8 or holds control characters. Out buffers are malloc'd (the caller
 * frees them) and zeroed on failure. Deterministic: the same input gives the
 * same bytes. Pure CPU work: any thread, never on the event loop.
 */
#define PDF_CJK_FONT_DEFAULT "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
#define PDF_CJK_FONT_INDEX_SC 2

/* A generated seal picture: red ring, five-pointed star, org name along the upper arc,
 * type text below the star, optional code along the lower arc; transparent background. */
struct pdf_seal_art {
	const char *org_name;  /* UTF-8, 1..40 characters */
	const char *type_text; /* UTF-8, e.g. "合同专用章"; may be "" */
	const char *code;      /* UTF-8 digits/letters along the lower arc, or NULL */
	unsigned size_px;      /* square side, 120..1024 */
};
/*
 * A PNG (8-bit RGBA, straight alpha) of size_px x size_px. Besides the
 * common errors: SP_ERR_INVALID with reason seal_size (size out of range),
 * text_invalid (name empty or over 40 characters, type over 12), seal_code
 * (code not 1..20 ASCII digits and letters).
 */
int pdf_seal_round_png(const char *font_path, int font_index, const struct pdf_seal_art *a,
		       unsigned char **png, size_t *png_len, struct sp_errinfo *ei) SP_WUR;

/* The seal application form (申请表), one A4 page, Chinese+English labels, a box for
 * the physical stamp. All strings UTF-8. */
struct pdf_seal_form {
	const char *application_id, *org_name, *credit_code, *seal_name, *seal_type_text,
		*applicant, *date; /* date: YYYY-MM-DD */
};
/*
 * The form as a PDF. Each field is required: the application id 1..40
 * characters, the organization and seal names 1..100, the seal type 1..40,
 * the applicant 1..60, the credit code 1..32 printable ASCII,
 * and the date a real YYYY-MM-DD date: otherwise SP_ERR_INVALID (reason
 * text_invalid or form_date) naming the field. Long values are set smaller
 * so the form stays one page with room for the stamp.
 */
int pdf_seal_application_form(const char *font_path, int font_index, const struct pdf_seal_form *f,
			      unsigned char **pdf, size_t *pdf_len, struct sp_errinfo *ei) SP_WUR;

/*
 * The evidence report (出证报告) of a contract: its identity and document
 * hashes, the parties, every signature (certificate, seal with its picture,
 * times, level, verification result) and the audit trail with its hash chain,
 * bilingual (Chinese headings with English), A4, multi-page with page
 * numbers; the signed contract is embedded as an attachment (/EmbeddedFiles
 * and the catalog's /AF, /Subtype application/pdf, /Params /Size /CheckSum)
 * so the report can be checked alone. The output is an unsigned PDF with a
 * classic xref table, ready for pdf_sig_prepare() (the platform signs it).
 *
 * All strings are UTF-8 and borrowed for the call. Optional ones may be NULL
 * or "" (shown as "—"). Known codes are shown in both languages: contract
 * status (draft signing completed rejected cancelled expired), party role
 * (signer cc) and status (waiting pending received signed sent rejected),
 * verification result (valid invalid indeterminate); anything else as given.
 * Control characters are shown as spaces and characters the font lacks as
 * "?", so an odd name never stops a report.
 */
struct pdf_evidence_party {
	const char *role;         /* "signer" | "cc" | free text */
	const char *organization; /* required */
	const char *credit_code;
	const char *status;
	const char *time; /* when it reached its status, e.g. RFC 3339 */
};

struct pdf_evidence_signature {
	const char *signer_subject; /* required: the signing certificate's subject */
	const char *signer_serial, *signer_issuer;
	const char *seal_name, *seal_type, *seal_validity; /* e.g. "2026-01-01 至 2027-01-01" */
	const unsigned char *seal_png;                     /* the seal's picture (PNG), or NULL */
	size_t seal_png_len;
	const char *signing_time, *timestamp_time;
	const char *level;         /* "B-B" | "B-T" | "B-LT" | "B-LTA" */
	const char *result;        /* "valid" | "invalid" | "indeterminate" | free text */
	const char *result_detail; /* why, in a sentence */
};

struct pdf_evidence_event {
	const char *time, *actor, *action, *ip;
	const char *prev_hash, *hash; /* hex */
};

/* A further row of the contract's section: a Chinese and an English label, a value. */
struct pdf_evidence_fact {
	const char *zh, *en, *value;
};

struct pdf_evidence {
	const char *contract_number; /* required (up to 64 characters) */
	const char *contract_name;   /* required */
	const char *status;          /* required */
	const char *initiator;       /* required: the initiating organization */
	const char *initiator_credit_code;
	const char *generated_at; /* when the report was made (shown on each page) */
	const char *sha256_hex;   /* required: 64 hex digits, of contract_pdf */
	const char *sm3_hex;      /* 64 hex digits, or NULL */
	const struct pdf_evidence_party *parties;
	size_t nparties; /* 0..1000 */
	const struct pdf_evidence_signature *signatures;
	size_t nsignatures; /* 0..1000 */
	const struct pdf_evidence_event *events;
	size_t nevents;                    /* 0..100000 */
	const unsigned char *contract_pdf; /* required: attached byte for byte */
	size_t contract_pdf_len;
	const char *contract_filename;         /* NULL: "contract-<number>.pdf" */
	const struct pdf_evidence_fact *facts; /* shown after the attachment's row */
	size_t nfacts;                         /* 0..32 */
};

/*
 * Build the report. Besides the common errors: SP_ERR_INVALID (reason
 * evidence_invalid) for a missing required field, a hash that is not 64 hex
 * digits, counts over their caps or an attachment that is not a PDF, naming
 * the field; a bad seal picture fails as pdf_image errors do, prefixed with
 * the signature's number. On success *pdf (malloc'd, the caller frees) holds
 * the report. Deterministic; any thread, never on the event loop.
 */
int pdf_evidence_report(const char *font_path, int font_index, const struct pdf_evidence *e,
			unsigned char **pdf, size_t *pdf_len, struct sp_errinfo *ei) SP_WUR;
/* ==== end section: generated documents and pictures ==== */

#endif /* SP_PDF_H */
