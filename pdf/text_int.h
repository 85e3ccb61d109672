/*
 * text_int.h: the text locator's private pieces, shared by content.c (the
 * content-stream tokenizer), cmap.c (ToUnicode / CID CMaps), font*.c (fonts,
 * encodings, widths) and text*.c (the text-state interpreter and the search).
 *
 * Everything here works on untrusted bytes, so every loop, size and depth is
 * bounded by one of the TEXT_MAX_* limits below. Nothing here keeps global
 * state but the system CMaps (cmap_sys.c: read once, then read-only): any
 * thread may use it on objects that thread owns.
 */
#ifndef SP_TEXT_INT_H
#define SP_TEXT_INT_H

#include <stdint.h>

#include "pdf_int.h"

/* Limits against hostile input. */
#define TEXT_MAX_TOKEN (64 * 1024)             /* one name or string token */
#define TEXT_MAX_OPERANDS 8192                 /* operands before one operator */
#define TEXT_MAX_NESTING 32                    /* arrays / dicts inside operands */
#define TEXT_MAX_STREAM (64 * 1024 * 1024)     /* one decoded content stream */
#define TEXT_MAX_PAGE_WORK (256 * 1024 * 1024) /* content bytes run for one page, forms included */
#define TEXT_MAX_FORM_DEPTH 12                 /* nested Form XObjects */
#define TEXT_MAX_GSTACK 64                     /* q nesting */
#define TEXT_MAX_CHARS (1024 * 1024)           /* extracted characters per page */
/* one keyword search over every page (pdf_text_find): a few seconds of CPU at most */
#define TEXT_MAX_DOC_WORK (64 * 1024 * 1024) /* content bytes run, forms included */
#define TEXT_MAX_DOC_CHARS (4 * 1024 * 1024) /* characters extracted */
#define TEXT_MAX_HITS 10000                  /* occurrences of the keyword */
#define TEXT_MAX_FONTS 4096                  /* distinct fonts per document */
#define TEXT_MAX_CMAP_MAPS 200000            /* bfchar/bfrange entries per CMap */
#define TEXT_MAX_NEEDLE 256                  /* needle length in bytes */
/* content tokens between two sp_cancel_check()s: about 50 us of lexing; a power of 2 */
#define TEXT_CANCEL_TICKS 1024

/* ---- content.c: tokenizer ---- */

enum ctok_type {
	CT_EOF = 0,
	CT_NUM,  /* num */
	CT_NAME, /* s/len: decoded name without the slash */
	CT_STR,  /* s/len: decoded literal or hex string */
	CT_ARR_OPEN,
	CT_ARR_CLOSE,
	CT_DICT_OPEN,
	CT_DICT_CLOSE,
	CT_OP, /* s/len: operator keyword (also true, false, null) */
	CT_BAD /* malformed input: the caller stops */
};

struct ctok {
	enum ctok_type type;
	double num;
	const unsigned char *s; /* points into the lexer's scratch; valid until the next token */
	size_t len;
};

struct clex {
	const unsigned char *p;
	size_t len;
	size_t pos;
	unsigned char scratch[TEXT_MAX_TOKEN];
};

void clex_init(struct clex *lx, const unsigned char *p, size_t len);
/* The next token; CT_EOF at the end, CT_BAD on malformed or oversized input. */
enum ctok_type clex_next(struct clex *lx, struct ctok *t);
/* Skip an inline image's data after its ID operator, up to and including EI. */
void clex_skip_inline_image(struct clex *lx);

/* ---- cmap.c: CMaps (ToUnicode bf mappings and embedded CID mappings) ---- */

struct cmap_space {
	uint32_t lo, hi;
	uint8_t nbytes;
};
struct cmap_map {
	uint32_t lo, hi;  /* source code range (lo == hi for a single code) */
	uint8_t nbytes;   /* source code length */
	uint8_t is_range; /* destination increments with the code */
	uint16_t dlen;    /* destination code points (bf) */
	uint32_t doff;    /* offset into dst (bf) or the first CID (cid) */
};

struct cmap {
	struct cmap_space *space;
	size_t nspace;
	struct cmap_map *bf; /* sorted by (nbytes, lo) */
	size_t nbf;
	struct cmap_map *cid; /* sorted by (nbytes, lo) */
	size_t ncid;
	uint32_t *dst; /* Unicode code points of bf destinations */
	size_t ndst;
};

/*
 * cmap_sys.c: the predefined CMap name (e.g. GBK-EUC-H; a -V name reads as
 * its -H) of collection ro ("Adobe-GB1", "Adobe-CNS1", "Adobe-Japan1",
 * "Adobe-Korea1"), NULL when there is none; and the collection's
 * CID-to-Unicode table (*n entries, 0 for none; NULL when not known). Both
 * are the process's, read-only, never freed.
 */
const struct cmap *cmap_sys_encoding(const char *ro, const char *name);
const uint32_t *cmap_sys_cid_table(const char *ro, size_t *n);

/* Parse a CMap stream's decoded bytes. *out is owned by the caller (cmap_free). */
int cmap_parse(const unsigned char *p, size_t len, struct cmap **out, struct sp_errinfo *ei) SP_WUR;
void cmap_free(struct cmap *cm);
/*
 * Length in bytes of the code starting at p (1..4) per the codespace ranges;
 * without ranges, def. Always >= 1 and <= avail.
 */
size_t cmap_code_len(const struct cmap *cm, const unsigned char *p, size_t avail, size_t def);
/* Unicode for a code: number of code points written to out (<= max), 0 if unmapped. */
size_t cmap_lookup_bf(const struct cmap *cm, uint32_t code, size_t nbytes, uint32_t *out,
		      size_t max);
/* CID for a code: 1 and *cid when mapped, 0 otherwise. */
int cmap_lookup_cid(const struct cmap *cm, uint32_t code, size_t nbytes, uint32_t *cid);

/* ---- font.c: fonts ---- */

struct font_glyph {
	const char *name;
	uint32_t uni;
	uint16_t w[6];
};
extern const struct font_glyph font_glyphs[]; /* sorted by name */
extern const size_t font_nglyphs;
extern const short font_enc_winansi[256]; /* index into font_glyphs or -1 */
extern const short font_enc_macroman[256];
extern const short font_enc_standard[256];

#define FONT_MAX_UNI 8 /* code points one glyph may decode to */

struct font_w {
	uint32_t lo, hi;
	double w;
};

/* /W2: CIDs lo..hi have vertical displacement w1y and position vector (vx, vy). */
struct font_w2 {
	uint32_t lo, hi;
	double w1, vx, vy;
};

struct font {
	int objid, gen;         /* cache key (0 for direct objects) */
	uint64_t dkey;          /* direct objects: hash of the dictionary's text */
	int composite;          /* Type0: 2-byte codes unless an embedded CMap says otherwise */
	int unicode_codes;      /* Uni*-UCS2/UTF16 CMaps: the code is the Unicode value */
	double wscale;          /* glyph space to text space (0.001, or FontMatrix a for Type3) */
	double ascent, descent; /* in text space units per unit font size */
	struct cmap *tounicode; /* NULL without /ToUnicode */
	struct cmap *encoding;  /* Type0 embedded CMap, NULL otherwise */
	const struct cmap *sysenc; /* Type0 predefined CMap (cmap_sys_encoding), NULL otherwise */
	/* Type0 whose CIDs are its collection's (a predefined CMap, or Identity with the
	   font not embedded): CID to Unicode when /ToUnicode says nothing (borrowed) */
	const uint32_t *cid_uni;
	size_t ncid_uni;
	uint32_t simple_uni[256]; /* simple fonts: code -> Unicode (0 = unknown) */
	double simple_w[256];     /* simple fonts: width in glyph units, < 0 = unknown */
	double missing_w;         /* width for unknown codes (MissingWidth / DW) */
	struct font_w *cidw;      /* Type0 /W, sorted by lo */
	size_t ncidw;
	/* vertical writing (a CMap with WMode 1: Identity-V, a predefined -V, an embedded
	   CMap saying /WMode 1): glyphs move down a column by /W2's or /DW2's w1y */
	int vertical;
	double dw2_vy, dw2_w1; /* /DW2 [vy w1y], default [880 -1000] (glyph units) */
	struct font_w2 *cidw2; /* /W2, sorted by lo */
	size_t ncidw2;
	struct font *next; /* in the document's font list */
};

/*
 * Load the font dictionary fd of doc. Never fails for odd fonts: missing
 * parts fall back to defaults; fails only on allocation or hostile sizes.
 */
int font_load(struct pdf_doc *doc, qpdf_oh fd, struct font **out, struct sp_errinfo *ei) SP_WUR;
void font_free(struct font *f);
/*
 * Decode the next code of a shown string: its byte length, Unicode
 * (count returned in *nuni) and width in glyph units; *is_space when the
 * code is the single byte 32 (word spacing applies).
 */
size_t font_next_code(const struct font *f, const unsigned char *p, size_t avail, uint32_t *uni,
		      size_t *nuni, double *w, int *is_space, uint32_t *cid);
/*
 * A vertical font's metrics for cid (glyph units): the displacement w1y down
 * the column (negative), the position vector (vx, vy) from the glyph's
 * horizontal origin to its vertical one; w0 is its horizontal width (vx's
 * default is w0 / 2).
 */
void font_vmetrics(const struct font *f, uint32_t cid, double w0, double *w1, double *vx,
		   double *vy);

/* Unicode for a glyph name ("A", "uni4E59", "u1F600"); 0 if unknown. */
uint32_t font_glyph_unicode(const char *name);

/* ---- text.c: interpreter ---- */

/* One extracted character in default user space. */
struct text_char {
	uint32_t cp;
	int line; /* increments at each new line */
	double x0, y0, x1, y1;
};

/* What a search over many pages has spent (TEXT_MAX_DOC_*); kept by its caller. */
struct text_budget {
	size_t work, chars;
};

struct text_page {
	struct text_char *c;
	size_t n, cap;
	struct text_budget *budget; /* NULL: the page's own caps alone; kept by cleanup */
};

/* Run a page's content; the characters are appended to tp (caller cleans up). */
int text_page_extract(struct pdf_doc *doc, int page, struct text_page *tp,
		      struct sp_errinfo *ei) SP_WUR;
/*
 * Run a raw content stream with resources res (0 for none) and a given
 * font (used when res has none; may be NULL). For the fuzzer and tests.
 */
int text_stream_extract(struct pdf_doc *doc, const unsigned char *p, size_t len, qpdf_oh res,
			struct font *deffont, struct text_page *tp, struct sp_errinfo *ei) SP_WUR;
void text_page_cleanup(struct text_page *tp);
/* Append one character to tp within the page's and the search's caps (SP_ERR_LIMIT). */
int text_page_push(struct text_page *tp, uint32_t cp, int line, const double box[4],
		   struct sp_errinfo *ei) SP_WUR;

/* ---- text_span.c: /ActualText spans (marked content) ---- */

struct text_span {
	int open;     /* a span is open: glyphs are recorded as code point 0 */
	int depth;    /* the marked-content depth its BDC opened */
	size_t start; /* its first record in the page */
	uint32_t *cp; /* its text */
	size_t ncp;
};
/* Open a span at marked-content depth whose /ActualText is the text string
   s[0..len) (as written: its encoding is read here), its glyphs from tp's next. */
int text_span_begin(struct pdf_doc *doc, struct text_span *sp, const struct text_page *tp,
		    int depth, const unsigned char *s, size_t len, struct sp_errinfo *ei) SP_WUR;
/* The same for "/name BDC": res's /Properties name, when it has an /ActualText. */
int text_span_begin_named(struct pdf_doc *doc, struct text_span *sp, const struct text_page *tp,
			  int depth, qpdf_oh res, const char *name, struct sp_errinfo *ei) SP_WUR;
/* Close sp (open or not): its glyphs' records in tp become its text. */
int text_span_end(struct text_span *sp, struct text_page *tp, struct sp_errinfo *ei) SP_WUR;
void text_span_cleanup(struct text_span *sp);

/* ---- text_fold.c ---- */
/* The unified ideograph a CJK radical or stroke stands for (Unicode's
   EquivalentUnifiedIdeograph.txt), any other code point itself. */
uint32_t text_fold(uint32_t cp);

/* ---- text_obj.c: small qpdf helpers; every returned handle is released by the caller ---- */

/* d[key] when d is a dictionary (or a stream's dictionary), else a null handle. */
qpdf_oh tobj_key(struct pdf_doc *doc, qpdf_oh d, const char *key);
/* The resource name (without the slash) of category ("/XObject", "/Properties") in res. */
qpdf_oh tobj_resource(struct pdf_doc *doc, qpdf_oh res, const char *category, const char *name);
/* d[key] as a number, def when absent or not a number. */
double tobj_num(struct pdf_doc *doc, qpdf_oh d, const char *key, double def);
/* d[key] as a name without the slash into buf (NUL-terminated); 1 if found. */
int tobj_name(struct pdf_doc *doc, qpdf_oh d, const char *key, char *buf, size_t n);
/* Item i of an array as a number; 1 if it is one. */
int tobj_item_num(struct pdf_doc *doc, qpdf_oh a, int i, double *v);
void tobj_release(struct pdf_doc *doc, qpdf_oh o);
/* Forget the warnings qpdf queued while we read (they would pile up on hostile files). */
void tobj_drain(struct pdf_doc *doc);

/* Decoded data of a stream object, capped at TEXT_MAX_STREAM; *out malloc'd. */
int text_stream_data(struct pdf_doc *doc, qpdf_oh s, unsigned char **out, size_t *len,
		     struct sp_errinfo *ei) SP_WUR;
/* A page's /Resources, inherited through /Parent; 0 if none. */
qpdf_oh tobj_page_resources(struct pdf_doc *doc, qpdf_oh page);
/*
 * A page's /Contents (one stream or an array of them, joined by a newline
 * as the spec says), each decoded with the cap of text_stream_data.
 */
int tobj_page_content(struct pdf_doc *doc, qpdf_oh page, unsigned char **out, size_t *len,
		      struct sp_errinfo *ei) SP_WUR;

#endif /* SP_TEXT_INT_H */
