/*
 * pdf_int.h: declarations shared inside pdf/ only.
 *
 * struct pdf_doc is the opened document. The writer/placement code owns this
 * struct and may add fields; the text locator relies on the fields marked
 * "shared" below and on nothing else.
 */
#ifndef SP_PDF_INT_H
#define SP_PDF_INT_H

#include <qpdf/qpdf-c.h>

#include "pdf.h"
#include "sp.h"

/*
 * What each byte is to qpdf's tokenizer, a bit each (scan.c): one load
 * where the loops over a file's bytes (the scan, the byte reads of
 * diff_hidden.c and sig_scan.c) tested ten characters before.
 */
enum { PDF_CH_SPACE = 1, PDF_CH_DELIM = 2, PDF_CH_DIGIT = 4, PDF_CH_HEX = 8 };
extern const unsigned char pdf_char_class[256];

/*
 * White space as qpdf's tokenizer skips it: ISO 32000-2 §7.2.3's NUL, HT,
 * LF, FF, CR and SP, and VT, which qpdf skips too. Whatever reads the file's
 * bytes itself (the revision chain, startxref, the scan, the signature
 * dictionaries) ends tokens where qpdf does, or it reads another file than
 * qpdf: isspace() has no NUL (a /Prev after a NUL ended the chain there).
 */
static inline int
pdf_space(unsigned char c)
{
	return pdf_char_class[c] & PDF_CH_SPACE;
}

/* A delimiter (ISO 32000-2 §7.2.3), which ends a token as white space does. */
static inline int
pdf_delim(unsigned char c)
{
	return (pdf_char_class[c] & PDF_CH_DELIM) != 0;
}

/* Neither: a byte of a regular token (a name's after its slash, a number, a keyword). */
static inline int
pdf_regular(unsigned char c)
{
	return (pdf_char_class[c] & (PDF_CH_SPACE | PDF_CH_DELIM)) == 0;
}

struct pdf_doc {
	qpdf_data q;               /* shared: the qpdf handle, opened on data */
	const unsigned char *data; /* shared: the original bytes (owned unless borrowed) */
	int borrowed;              /* pdf_doc_open_view: data is the caller's */
	size_t len;                /* shared: their length */
	int npages;                /* shared: page count */
	qpdf_oh *pages;            /* shared: page dictionaries, index 0 = page 1 */

	/* writer / placements (doc.c) */
	struct pdf_page_info *pinfo; /* per page, index 0 = page 1: through pdf_page_get() */
	unsigned char *pread;        /* per page: 1 once checked and pinfo read */
	struct pdf_doc_info info;    /* last revision, trailer and form facts */
	char **fieldnames;           /* fully qualified names of existing fields */
	size_t nfieldnames;
	int form_read; /* info's form facts and fieldnames are filled (read_form ran) */

	/* the form's facts per /Fields entry (form_kept.c): loaded from what an earlier
	   walk or update of these very bytes kept, derived from an older revision's, or
	   walked here; NULL when none (then every reader walks the form) */
	struct form_kept *kept;
	int form_walked;     /* info's form facts came from a walk of this document */
	int fieldnames_kept; /* fieldnames point into kept (not freed one by one) */

	/* the bytes q reads: data, or the equal bytes of a parse adopted from another
	   buffer (pdf_parsed); and whether qpdf walked the page tree here (its page
	   cache may have changed the tree: such a parse is not handed on) */
	const unsigned char *qdata;
	int pages_walked;
	/* qpdf read a merged table after the bytes (pdf_doc_open_known_merged): its
	   trailer has no /Prev, which the newest section's has: this one (else 0) */
	long long merged_prev;

	/* an encrypted file's key (crypt.c), read at every open but a view's: the writer
	   encrypts what it adds with it; NULL when the file is not encrypted */
	struct pdf_crypt *crypt;

	/* arrays of references read here (pdf_doc_key_refs), each once per document */
	struct pdf_key_refs *krefs;
	size_t nkrefs;

	/* the DSS object as a closed read of these bytes told it (pdf_doc_dss_tell): its
	   number and generation (0: not told), its item counts, and whether it holds no
	   other key (pdf_dss.keys_known) */
	int dss_obj, dss_gen, dss_keys_known;
	size_t dss_n[3];

	/* the newest xref table's entries as sig_scan.c read them (pdf_doc_newest_place),
	   once: NULL when not read yet or not such a table (newest_read says which) */
	struct pdf_newest *newest;
	int newest_read;
	/* the last objects pdf_doc_dict_bytes read here (a page's 2k references, asked
	   by several checks of one completion): NULL until one is read */
	struct pdf_dict_memo *dmemo;
};

/* form_kept.c: the form read into doc's info and fieldnames (a walk of /Fields). */
int form_read(struct pdf_doc *doc, struct sp_errinfo *ei) SP_WUR;
/*
 * form_drawn.c: the form's /NeedAppearances: 0 not set; 1 set, and every
 * widget whose field has a value has its appearance (the key can go and
 * nothing shown changes); 2 set, and field name's widget has a value but no
 * appearance (name: its full name's last part, UTF-8, cut to cap). With the
 * key, Adobe Reader and poppler draw no signature's appearance. doc needs
 * its page list.
 */
int pdf_form_undrawn(struct pdf_doc *doc, char *name, size_t cap);
/* pdf_form_undrawn() into *undrawn, and its 2 refused (pdf_need_appearances,
   SP_ERR_UNSUPPORTED, naming the field): nothing may be signed into such a form. */
int pdf_form_drawn_check(struct pdf_doc *doc, int *undrawn, struct sp_errinfo *ei) SP_WUR;
/* form_drawn.c: doc's XFA form into *kind (0 none, 1 static, 2 dynamic), and a
   dynamic one refused (pdf_xfa_dynamic, SP_ERR_UNSUPPORTED): what is signed must
   read the same in every viewer, and only Adobe's draw a dynamic form's pages. */
int pdf_form_xfa_check(struct pdf_doc *doc, int *kind, struct sp_errinfo *ei) SP_WUR;
/*
 * active.c: the actions of q's document that do more than move the view
 * (scripts, programs or files opened, data sent, what is shown changed;
 * kept: /GoTo, /URI, /Named), looked for in the catalog, the pages given as
 * (number, generation) pairs, their annotations, the form's fields and the
 * outline. *found counts them; what (cap whatcap, may be NULL) names the
 * first. strip: each is removed from q as it is found (its /A, /AA trigger,
 * /OpenAction, /Names /JavaScript). SP_OK; SP_ERR_UNSUPPORTED
 * (pdf_active_content) when a page holds an annotation whose content plays
 * or runs (3D, RichMedia, Movie, Sound), which is neither kept nor removed
 * (strip or not); SP_ERR_LIMIT (pdf_limit) past the walk's caps. Any thread,
 * on a q that thread owns.
 */
int pdf_actions_find(qpdf_data q, const int *page_objs, size_t npages, int strip, size_t *found,
		     char *what, size_t whatcap, struct sp_errinfo *ei) SP_WUR;
/*
 * active_xfa.c: the first element of doc's XFA form (/AcroForm /XFA) that
 * runs something (a script, an event's submit, execute or signData), or
 * packet XML it does not read, named into what (cap); what "" when none
 * (or no XFA). SP_OK, or SP_ERR_LIMIT (pdf_limit) when the packets decode
 * to more than one stream's cap, or a stream's error. Any thread, on a doc
 * that thread owns.
 */
int pdf_xfa_active(struct pdf_doc *doc, char *what, size_t cap, struct sp_errinfo *ei) SP_WUR;
/* active.c: 1 when h's /A, or the action of a trigger of its /AA, is one
   pdf_actions_find() counts, or h is an annotation whose content plays or runs
   (3D, RichMedia, Movie, Sound: what pdf_actions_find() refuses) (the
   difference analysis: what an update may not add). */
int pdf_actions_held(qpdf_data q, qpdf_oh h);

/* active.c: 1 when the address v (n bytes) is one a link may open and stay (a web
   page, a mail, a phone number, a file on a web server, any case, after leading
   spaces and C0 controls), or, when relative is 1, relative without a scheme */
int pdf_address_kept(const char *v, size_t n, int relative);
/* active.c: 1 when h is an annotation whose content plays or runs once activated
   (3D, RichMedia, Movie, Sound), whatever its actions. */
int pdf_annot_plays(qpdf_data q, qpdf_oh h);

/*
 * SP_OK, or SP_ERR_INVALID (reason docmdp_no_visible) when doc is certified
 * (/Perms /DocMDP) with P=2: the verifier, as pyHanko by default (stricter
 * than Acrobat), reads a new visible signature widget as a change P=2 does
 * not permit, and would call the certification broken by our seal. An
 * invisible signature is signing, which P=2 permits.
 */
int pdf_docmdp_visible_check(struct pdf_doc *doc, struct sp_errinfo *ei);
/*
 * revisions.c: the offset after the keyword "startxref" at d[at], as qpdf
 * reads it (its findStartxref): "startxref" a word of its own, then an
 * integer token (digits ending at white space, a delimiter or the end).
 * -1 otherwise ("startxref 123abc", "startxref12"): qpdf then takes an
 * earlier startxref, or repairs the file. Any thread.
 */
long long pdf_startxref_at(const unsigned char *d, size_t len, size_t at);
/*
 * sig_slot.c: the empty signature field of full name `name` (UTF-8) a field
 * placement signs into: the field and its widgets (the field itself, or its
 * kids: a form may show one signature on several pages, as Acrobat's
 * "duplicate across pages" makes it), for each the page whose /Annots holds
 * it and its /Rect (default user space, normalized). SP_ERR_INVALID
 * field_not_found (no such signature field) or field_unsupported (no object
 * of its own, a kid that is no widget of it, more than PDF_SLOT_WIDGETS
 * widgets, one without a rectangle or on no page); SP_ERR_CONFLICT
 * field_signed (it has a value). doc needs its page list.
 */
#define PDF_SLOT_WIDGETS 256
struct pdf_slot_widget {
	int obj, gen, page;
	struct pdf_rect rect;
	int norotate; /* its /F has NoRotate: viewers keep it upright on a turned page */
};
struct pdf_sig_slot {
	int field_obj, field_gen;
	int merged; /* the field is its one widget (then widgets[0] is the field) */
	size_t nwidgets;
	struct pdf_slot_widget widgets[PDF_SLOT_WIDGETS];
	char name[128];
};
int pdf_sig_slot_find(struct pdf_doc *doc, const char *name, struct pdf_sig_slot *out,
		      struct sp_errinfo *ei) SP_WUR;
/*
 * sig_slot.c: slot's seed values (/SV) a signature made with par meets:
 * SP_OK, or SP_ERR_INVALID field_unsupported saying which required one it
 * cannot (a certification, another format, digest or reason, revocation data
 * inside the signature, a locked document, a named appearance, certificate
 * constraints). A required timestamp is met: every signature gets one.
 */
int pdf_sig_slot_seed_check(struct pdf_doc *doc, const struct pdf_sig_slot *slot,
			    const struct pdf_sig_params *par, struct sp_errinfo *ei) SP_WUR;
/* sig_slot.c: 1 when doc has an empty signature field, the first one's full name in name. */
int pdf_sig_slot_first_empty(struct pdf_doc *doc, char *name, size_t cap);
/* form_kept.c: kept's sig facts, freed with the document. */
void form_kept_free(struct form_kept *k);
/*
 * form_kept.c: pdf_sig_fields_list_lazy / _known (kn[0..nkn)) answered from
 * doc->kept: SP_OK / an error as the walk would give, or 1 when the facts
 * cannot answer (none kept, or a value the walk would resolve differently):
 * the caller walks then. skip[0..nskip): signature objects the caller drops
 * (pdf_sig_fields_list_new): a field with kids whose value is one is listed
 * unread, not read.
 */
int form_kept_list(struct pdf_doc *doc, const struct pdf_sig_field *kn, size_t nkn, const int *skip,
		   size_t nskip, struct pdf_sig_field **out, size_t *nout, struct sp_errinfo *ei);
/* sig_fields.c: s's signature dictionary v (in doc) read into s, its name and lock kept. */
int pdf_sig_read_value(struct pdf_doc *doc, qpdf_oh v, struct pdf_sig_field *s,
		       struct sp_errinfo *ei) SP_WUR;
/* sig_perms.c: the field's own /Lock into s (lock, lock_fields, lock_p). */
void pdf_sig_field_lock(qpdf_data q, qpdf_oh field, struct pdf_sig_field *s);
/* sig_perms.c: the DocMDP /P of a certifying signature dictionary (/Reference), 0 when none. */
int pdf_sig_docmdp_p(qpdf_data q, qpdf_oh sig);
/* sig_perms.c: a signature's FieldMDP /Reference (and the lock its field had) into s's lock. */
void pdf_sig_ref_lock(qpdf_data q, qpdf_oh sig, struct pdf_sig_field *s);
/* sig_fields.c: the caps of a signature-field listing (list()) */
#define SIG_FIELDS_MAX 1000
#define FIELD_NODES_MAX 20000
/* field_walk.c: a field of the walk, as its visitor sees it */
struct pdf_field_node {
	qpdf_oh oh;        /* the field: a dictionary */
	qpdf_oh v, kids;   /* its /V and /Kids, as qpdf_oh_get_key_if_dict reads them */
	int depth, is_sig; /* is_sig: /FT /Sig, its own or inherited */
	char name[128];    /* fully qualified; each part of a long one cut */
};
/* A visitor's answer: go down n's /Kids, pass them by, or end the walk; < 0 fails it. */
enum { PDF_FIELD_DESCEND = 0, PDF_FIELD_SKIP = 1, PDF_FIELD_STOP = 2 };
/*
 * field_walk.c: the field tree under root depth first, in document order,
 * each field dictionary handed to visit: root is the AcroForm's /Fields
 * (root_is_fields: its items are the roots; anything else, none) or one
 * field. *nodes counts the nodes (FIELD_NODES_MAX at most over the walks
 * sharing it). SP_OK, SP_ERR_LIMIT (reason pdf_limit) past a cap, or the
 * visitor's error.
 */
int pdf_field_walk(qpdf_data q, qpdf_oh root, int root_is_fields, size_t *nodes,
		   int (*visit)(void *arg, const struct pdf_field_node *n, struct sp_errinfo *ei),
		   void *arg, struct sp_errinfo *ei) SP_WUR;
/* form_kept.c: the caps of a form walk (form_read) */
#define FORM_MAX_FIELDS 10000
#define FORM_WALK_BUDGET (4 * FORM_MAX_FIELDS)
/*
 * doc.c: page (1-based) of a document opened with its pages, checked as the
 * page tree walk checks what it finds (an indirect dictionary) and its
 * geometry read on first use; *out points into doc. Out of range or a
 * document without page geometry: SP_ERR_INVALID; a bad page: SP_ERR_PDF.
 */
int pdf_page_get(struct pdf_doc *doc, int page, const struct pdf_page_info **out,
		 struct sp_errinfo *ei) SP_WUR;

/* doc.c: read qpdf's pending warnings; a repaired xref sets info.damaged. */
void pdf_doc_scan_warnings(struct pdf_doc *doc);

/*
 * crypt.c: the key of a file encrypted by the standard security handler
 * with an empty user password, for an update that writes into it. NULL
 * *out (and SP_OK) for a file that is not encrypted; SP_ERR_UNSUPPORTED
 * (reason pdf_encrypted) for one whose key cannot be derived and proved
 * (another handler, a user password, an unknown /V or /R or crypt filter).
 */
struct pdf_crypt;
int pdf_crypt_open(qpdf_data q, struct pdf_crypt **out, struct sp_errinfo *ei) SP_WUR;
void pdf_crypt_free(struct pdf_crypt *c);
/*
 * SP_OK when c is NULL or its /P allows signing (step names what is refused
 * in the message), else SP_ERR_UNSUPPORTED with reason
 * pdf_signing_not_permitted.
 */
int pdf_crypt_may_sign(const struct pdf_crypt *c, const char *step, struct sp_errinfo *ei) SP_WUR;
/* How a string ([0]) or stream ([1]) is encrypted. */
enum pdf_cm { PDF_CM_NONE = 0, PDF_CM_RC4, PDF_CM_AESV2, PDF_CM_AESV3, PDF_CM_FAIL };
/* One object's keys (Algorithm 1), for the strings and streams written in it. */
struct pdf_okey {
	const struct pdf_crypt *c; /* NULL: nothing is encrypted */
	enum pdf_cm m[2];
	unsigned char k[2][32];
	size_t n[2];
};
/* Object num gen's keys into *k (all NONE when c is NULL). */
void pdf_crypt_objkey(const struct pdf_crypt *c, int num, int gen, struct pdf_okey *k);
/*
 * in[0..n) encrypted as a string (stream 0) or a stream's data (1) of k's
 * object: *out malloc'd, *outn bytes (RC4: n; AES: a random IV, then the
 * padded blocks). An SP_ERR_* code on failure.
 */
int pdf_crypt_encrypt(const struct pdf_okey *k, int stream, const unsigned char *in, size_t n,
		      unsigned char **out, size_t *outn) SP_WUR;
/*
 * A stream's data decrypted with k's stream keys as it is read, in pieces
 * cut anywhere (AES: the IV, then CBC without removing the padding; RC4).
 * update writes at most n + 16 bytes to out; AES's last partial block stays
 * unread. Where the data ends is the caller's to decide, not "endstream"'s:
 * ciphertext can hold that word wherever whoever encrypts it chooses.
 */
struct pdf_crypt_dec;
int pdf_crypt_dec_new(const struct pdf_okey *k, struct pdf_crypt_dec **out) SP_WUR;
int pdf_crypt_dec_update(struct pdf_crypt_dec *d, const unsigned char *in, size_t n,
			 unsigned char *out, size_t *outn) SP_WUR;
void pdf_crypt_dec_free(struct pdf_crypt_dec *d);

/*
 * scan.c: pdf_bytes_check's pass over data: crypt (NULL: none) the file's
 * key, for its encrypted object streams; *encrypt 1 when the name /Encrypt
 * was met. pdf_bytes_check() is a pass without a key and, for an encrypted
 * file, one with the key derived from a qpdf read of the xref and trailer:
 * an open that reads them anyway (doc.c) makes the second pass with its own.
 */
int pdf_bytes_scan(const unsigned char *data, size_t len, const struct pdf_crypt *crypt,
		   int *encrypt, struct sp_errinfo *ei) SP_WUR;

/*
 * The most items of a structure element's /K or of a /ParentTree's /Nums
 * (keys and values) that a signature's tags are appended to (tag_widgets.c)
 * and that an update adding tags is compared through (diff_tags.c): a
 * tagged contract lists every paragraph in its /Document element and a key
 * a page in its /Nums, hundreds each. Each item is compared once, as qpdf
 * has parsed it: the cost is the object's size, which the file bounds.
 */
#define PDF_TAG_ITEMS_MAX 100000

/* Bounded recursion for everything that walks PDF objects. */
#define PDF_MAX_DEPTH 32

/*
 * numtree.c: the number tree at root (a /ParentTree) in q, read as a reader
 * looks keys up in it (ISO 32000-2 §7.9.7): one of /Nums or /Kids in each
 * node, kids indirect, keys integers ascending through the leaves, every
 * node below the root with /Limits of exactly its least and greatest key,
 * the root without; at most PDF_MAX_DEPTH levels and PDF_TAG_ITEMS_MAX
 * items in all. 1 when so, with *t: whether it has keys, the greatest, and
 * the object numbers of the last kid at each level from the root's down
 * (the nodes keys past the greatest extend); 0 otherwise.
 */
struct pdf_numtree {
	int any;
	long long max;
	int path[PDF_MAX_DEPTH];
	int npath;
	long items;
};
int pdf_numtree_read(qpdf_data q, qpdf_oh root, struct pdf_numtree *t);

/*
 * objser.c: PDF object syntax. k (NULL: none) is the keys of the indirect
 * object the value is written in: its strings are encrypted with them (qpdf
 * hands out an encrypted file's strings decrypted).
 */
int pdfw_obj(struct sp_buf *b, qpdf_data q, qpdf_oh oh, const struct pdf_okey *k, int depth) SP_WUR;
int pdfw_dict_body(struct sp_buf *b, qpdf_data q, qpdf_oh dict, const char *skip1,
		   const char *skip2, const struct pdf_okey *k, int depth) SP_WUR;
/* pdfw_dict_body() leaving out the nskip keys skip lists (NULL items skip nothing). */
int pdfw_dict_body_skip(struct sp_buf *b, qpdf_data q, qpdf_oh dict, const char *const *skip,
			size_t nskip, const struct pdf_okey *k, int depth) SP_WUR;
int pdfw_name(struct sp_buf *b, const char *name) SP_WUR;
/*
 * The items of array arr (n of them, n > 0) when every one is an indirect
 * reference: their object numbers and generations (2 ints each, *out
 * malloc'd), from one unparse of the array ("[ 12 0 R 13 0 R ]") rather
 * than two C API calls and a new handle per item (a contract's /Fields and
 * a sealed page's /Annots hold k items at its k-th signing, read at every
 * prepare and completion). Only that strict form is read (numbers and R,
 * in threes, between the brackets), so that each item is exactly one
 * reference with the numbers qpdf_oh_get_object_id and _generation give;
 * anything else (a direct item, another count than qpdf's) returns 0 and
 * the caller reads item by item.
 */
int pdf_array_refs(qpdf_data q, qpdf_oh arr, int n, int **out) SP_WUR;
/*
 * pdf_array_refs(doc->q, arr, n, out), for arr the direct value of key in
 * indirect object num (generation gen) of doc, or (key "") that object
 * itself: read once per document and kept with it (pdf_doc_free), so that
 * each later reader of the same array is given the same answer without
 * unparsing it again. A completion read the new revision's /Fields and
 * page /Annots (k and 2k references at a contract's k-th signing) in the
 * form's carry-over, the difference check's growth test and its walk of
 * what the update refers to: three unparses of each, some 1,000
 * instructions an item. A document's objects do not change once read
 * (only sig_scan.c puts objects in qpdf's cache, the values qpdf would
 * parse), so the kept answer is the one qpdf would give again. num <= 0,
 * a long key or a full table: read as pdf_array_refs, not kept.
 */
int pdf_doc_key_refs(struct pdf_doc *doc, int num, int gen, const char *key, qpdf_oh arr, int n,
		     int **out) SP_WUR;
/*
 * obj_refs.c: the references of the direct array under key ("/Annots"; ""
 * the object itself) of object num gen, read from d[off..len), where an
 * xref table places it: 1 with *out (malloc'd, n pairs number, generation
 * as pdf_array_refs gives them) when its bytes are plainly written and the
 * array holds exactly n references; 0 otherwise (qpdf's unparse decides).
 * Pure: any thread.
 */
int pdf_obj_key_refs_bytes(const unsigned char *d, size_t len, size_t off, int num, int gen,
			   const char *key, int n, int **out) SP_WUR;
/*
 * obj_refs.c: a dictionary object's top-level entries read from its bytes
 * as obj_refs.c's reader accepts them (plainly written: "N G obj <<...>>
 * endobj", no comment, no stream, no key twice, no # escape in a key), each
 * key's and value's place in the bytes: for reading a page's geometry and
 * writing a new version of a page or form by splicing into those bytes
 * without qpdf parsing its /Annots or /Fields.
 */
#define PDF_OBJ_KEYS_MAX 64
struct pdf_obj_key {
	size_t k, kn; /* the key's bytes, its '/' first */
	size_t v, vn; /* its value's bytes */
};
struct pdf_obj_dict {
	size_t open, close; /* "<<" at d[open], d[close - 2..close) ">>" */
	int n;
	struct pdf_obj_key e[PDF_OBJ_KEYS_MAX];
};
/* 1 with *out when object num gen at d[off..len) is so written, else 0. Pure. */
int pdf_obj_dict_bytes(const unsigned char *d, size_t len, size_t off, int num, int gen,
		       struct pdf_obj_dict *out) SP_WUR;
/* each reference in dict (pdf_obj_dict_bytes' read of bytes d) told to ref(arg, num, gen,
   in_dict), in_dict 1 when it is a dictionary's value (at any depth; else an array's
   item): 1 when read to its end (always, for such a read) */
int pdf_obj_dict_refs(const unsigned char *d, const struct pdf_obj_dict *dict,
		      void (*ref)(void *arg, int num, int gen, int in_dict), void *arg) SP_WUR;
/* sig_scan.c: pdf_obj_dict_bytes() of doc's object num gen where pdf_doc_newest_place()
   places it (dict may be NULL: only whether): 1, else 0; the last few answers kept with
   doc (its bytes do not change), each object read once however many checks ask */
int pdf_doc_dict_bytes(struct pdf_doc *doc, int num, int gen, struct pdf_obj_dict *dict) SP_WUR;
/* key's entry in dict (of bytes d), or NULL */
const struct pdf_obj_key *pdf_obj_dict_get(const unsigned char *d, const struct pdf_obj_dict *dict,
					   const char *key);
/* e's value is "[N G R ...]" of exactly n items: 1 with *out (malloc'd pairs), else 0 */
int pdf_obj_value_refs(const unsigned char *d, const struct pdf_obj_key *e, int n,
		       int **out) SP_WUR;
/* e's value is "[N G R ...]": its count of items, else -1 */
int pdf_obj_value_nrefs(const unsigned char *d, const struct pdf_obj_key *e);
/* e's value is one "N G R": 1 with *num, *gen, else 0 */
int pdf_obj_value_ref(const unsigned char *d, const struct pdf_obj_key *e, int *num,
		      int *gen) SP_WUR;
/* e's value is a plain number (sign, at most 15 digits and a point): 1 with *v and
   *integer (no point: qpdf's integer), else 0 */
int pdf_obj_value_number(const unsigned char *d, const struct pdf_obj_key *e, double *v,
			 int *integer) SP_WUR;
/* e's value is an array of four plain numbers: 1 with v[0..4), else 0 */
int pdf_obj_value_rect(const unsigned char *d, const struct pdf_obj_key *e, double v[4]) SP_WUR;
/*
 * 1 when dictionaries a (read from bytes od) and b (from nd), two versions
 * of one object as pdf_obj_dict_bytes read them, have the same entries in
 * the same order, each key's and value's bytes the same, but key's
 * ("/Annots"), which both give as a direct array of references, old's
 * first in new's: *refs (malloc'd pairs) new's *nn, of which the first
 * *no are old's. Such two objects say the same but for the references new
 * appends. Else 0. Pure: any thread.
 */
int pdf_obj_grown_bytes(const unsigned char *od, const struct pdf_obj_dict *a,
			const unsigned char *nd, const struct pdf_obj_dict *b, const char *key,
			int **refs, int *no, int *nn) SP_WUR;
/*
 * sig_scan.c: 1 with *off when doc's newest xref section is a table as
 * written (no /XRefStm), and it or (for a number it does not list) the one
 * its /Prev names, another such table, holds the one listing of num that
 * decides where qpdf reads it (in use, generation gen, within /Size): the
 * objects of a signature's update, and those of the update before a DSS's;
 * 0 otherwise.
 */
int pdf_doc_newest_place(struct pdf_doc *doc, int num, int gen, size_t *off) SP_WUR;
/* what pdf_doc_dict_bytes kept, freed (pdf_doc_free) */
void pdf_doc_dict_memo_free(struct pdf_doc *doc);
/* what pdf_doc_newest_place kept, freed (pdf_doc_free) */
void pdf_doc_newest_free(struct pdf_doc *doc);
/* the kept reads of pdf_doc_key_refs, freed (pdf_doc_free) */
void pdf_doc_key_refs_free(struct pdf_doc *doc);
/* k[0..n), kept reads of pdf_doc_key_refs taken from a document, freed (NULL is fine):
   they go with qpdf's parse they were read from when it is handed on (doc.c pdf_parsed),
   answers of that very parse */
void pdf_key_refs_release(struct pdf_key_refs *k, size_t n);
/*
 * refs[0..2n) (pdf_array_refs' pairs, each number 0 or more) as "N G R",
 * each followed by sep, but the last when last_sep is 0: the bytes
 * sp_buf_printf's "%d %d R" writes, without its cost per item (some 3,000
 * instructions: k items at a contract's k-th signing, in each /Fields and
 * /Annots the writer copies).
 */
int pdfw_refs(struct sp_buf *b, const int *refs, int n, char sep, int last_sep) SP_WUR;
int pdfw_hexstr(struct sp_buf *b, const unsigned char *p, size_t n) SP_WUR;
int pdfw_textstr(struct sp_buf *b, const char *utf8) SP_WUR; /* never encrypted */
/* A string (text string) in the object whose keys k are (NULL: plain), as hex. */
int pdfw_str(struct sp_buf *b, const struct pdf_okey *k, const unsigned char *p, size_t n) SP_WUR;
int pdfw_textstr_k(struct sp_buf *b, const struct pdf_okey *k, const char *utf8) SP_WUR;
int pdfw_num(struct sp_buf *b, double v) SP_WUR;

/* image.c: a PNG seal decoded to 8-bit RGB + alpha. */
struct pdf_image {
	unsigned width, height;
	unsigned char *rgb;   /* width*height*3 */
	unsigned char *alpha; /* width*height */
};
int pdf_image_decode_png(const unsigned char *png, size_t len, struct pdf_image *img,
			 struct sp_errinfo *ei) SP_WUR;
/* An encoded seal picture (pdf_seal_image_encode) read back: views into its bytes. */
struct pdf_seal_image {
	unsigned width, height;
	const unsigned char *alpha_z, *rgb_z; /* zlib streams of the alpha plane and RGB */
	size_t alpha_len, rgb_len;
};
/* 0, or -1 when enc is not what pdf_seal_image_encode() made. */
int pdf_seal_image_parse(const unsigned char *enc, size_t len, struct pdf_seal_image *out);
/* Only the header: width and height, for placement previews. */
int pdf_image_png_size(const unsigned char *png, size_t len, unsigned *w, unsigned *h,
		       struct sp_errinfo *ei) SP_WUR;
void pdf_image_cleanup(struct pdf_image *img);
/* The zlib stream of a 1-bit /ImageMask of the PNG's alpha plane (1: masked out,
   where alpha < 50 %), rows padded to a byte: a seal picture's mask where /SMask is
   forbidden (PDF/A-1). */
int pdf_seal_stencil(const unsigned char *png, size_t len, unsigned char **z, size_t *zlen,
		     struct sp_errinfo *ei) SP_WUR;
int pdf_zlib_compress(const unsigned char *in, size_t n, unsigned char **out, size_t *outlen,
		      struct sp_errinfo *ei) SP_WUR;

/*
 * colour.c: the components of the device space doc's output intent asks
 * drawing in: 4 (DeviceCMYK), 1 (DeviceGray), or 3 (DeviceRGB, also when
 * the document names no output intent). doc needs no page list.
 */
int pdf_intent_ncomp(struct pdf_doc *doc);
/*
 * xmp.c: what XMP packet data[0..n) says: wellformed 1 when it is
 * well-formed XML with one root element; the PDF/A identification it
 * claims (pdfaid:part, -1 when claimed but no number; pdfaid:conformance,
 * "" when not claimed), none when not well-formed. Any thread.
 */
struct pdf_xmp {
	int wellformed;
	int part;
	char conformance[8];
};
void pdf_xmp_read(const unsigned char *data, size_t n, struct pdf_xmp *out);
/*
 * The XMP packet of stream h (a catalog's /Metadata) read into *out: 1 when
 * read (filtered: it has a /Filter, which PDF/A forbids, ISO 19005-2
 * §6.6.2.1), 0 when h is no stream, -1 when its data cannot be had within
 * PDF_XMP_MAX bytes. It leaves no qpdf error behind.
 */
#define PDF_XMP_MAX ((long long)4 << 20)
int pdf_xmp_of(qpdf_data q, qpdf_oh h, struct pdf_xmp *out, int *filtered);
/*
 * Whether the XMP packet nw (stream of qn; a catalog's /Metadata, or none)
 * may replace old (of qo, the signed revision's): well-formed, and claiming
 * the PDF/A part and conformance old claimed, unfiltered (a PDF/A file
 * cannot stop claiming PDF/A silently). 1 when so, 0 when not; what names
 * the change either way (n bytes).
 */
int pdf_xmp_judge(qpdf_data qo, qpdf_oh old, qpdf_data qn, qpdf_oh nw, char *what, size_t n);
/* The PDF/A part doc's XMP metadata claims (pdfaid:part: 1, 2, 3...), 0 for none;
   it leaves no qpdf error behind. */
int pdf_pdfa_part(struct pdf_doc *doc);
/*
 * 1 when doc's XMP metadata claims PDF/A and no output intent has a profile:
 * then no device colour space may be drawn in (ISO 19005-2 §6.2.4.3), and
 * what we draw uses an ICC-based sRGB space (pdf_srgb_icc). doc needs no
 * page list.
 */
int pdf_pdfa_without_intent(struct pdf_doc *doc);
/* "/space CS r g b SC" (stroke) or "/space cs r g b sc": an ICC-based RGB colour. */
int pdf_colour_op_icc(struct sp_buf *b, const char *space, double r, double g, double bl,
		      int stroke) SP_WUR;
/*
 * icc.c: append to b a version 2 sRGB display profile (ICC.1:2001-04), the
 * data of an /ICCBased stream with /N 3. SP_OK or SP_ERR_NOMEM. Any thread.
 */
int pdf_srgb_icc(struct sp_buf *b) SP_WUR;
/* "/DeviceCMYK", "/DeviceGray" or "/DeviceRGB" for ncomp 4, 1, else. */
const char *pdf_space_name(int ncomp);
/* The colour r, g, b (0..1) in ncomp's space and its operator ("0 1 1 0.2 K" for a
   CMYK stroke) into b; SP_OK or SP_ERR_NOMEM. */
int pdf_colour_op(struct sp_buf *b, int ncomp, double r, double g, double bl, int stroke) SP_WUR;
/* A seal picture in another device space than RGB: zlib streams of its pixels in
   ncomp (1 or 4) components and of its alpha plane, made from the PNG. */
struct pdf_seal_pixels {
	unsigned width, height;
	unsigned char *pix_z, *alpha_z;
	size_t pix_len, alpha_len;
};
int pdf_seal_pixels(const unsigned char *png, size_t len, int ncomp, struct pdf_seal_pixels *out,
		    struct sp_errinfo *ei) SP_WUR;
void pdf_seal_pixels_cleanup(struct pdf_seal_pixels *p);

/* xref.c: the incremental writer: original bytes, new objects, xref, trailer. */
struct pdfw_xent {
	int num, gen;
	size_t off;
};
struct pdfw {
	struct sp_buf b;     /* the whole new file, starting with the original; or (base > 0)
			    the update alone */
	size_t base;         /* the file offset of b.data[0]: 0, or the original's length */
	struct pdfw_xent *x; /* objects written in this update */
	size_t nx, capx;
	int next;                      /* next free object number */
	const struct pdf_crypt *crypt; /* the document's (NULL: not encrypted) */
};
int pdfw_init(struct pdfw *w, const struct pdf_doc *doc, struct sp_errinfo *ei) SP_WUR;
/* pdfw_init without the copy: b holds the update alone (w->base = doc->len). */
int pdfw_init_update(struct pdfw *w, const struct pdf_doc *doc, struct sp_errinfo *ei) SP_WUR;
/* The file offset the next byte written goes to. */
size_t pdfw_off(const struct pdfw *w);
void pdfw_cleanup(struct pdfw *w);
int pdfw_alloc(struct pdfw *w);
/* The keys of object num gen in w's file (none when it is not encrypted). */
void pdfw_okey(const struct pdfw *w, int num, int gen, struct pdf_okey *k);
/* "num gen obj\n", recording the offset; refuses an object written twice. */
int pdfw_begin(struct pdfw *w, int num, int gen, struct sp_errinfo *ei) SP_WUR;
int pdfw_end(struct pdfw *w) SP_WUR;
/*
 * A whole stream object: dict_body (no strings) goes inside << >> with
 * /Length appended; data is encrypted as the file's streams are.
 */
int pdfw_stream(struct pdfw *w, int num, const char *dict_body, const unsigned char *data,
		size_t len, struct sp_errinfo *ei) SP_WUR;
/*
 * date_font.c: the date stamp's Type 3 font ("0"-"9", "-" at Helvetica's
 * widths, its glyphs stroked in the stroke colour) written into w with the
 * glyphs text draws (the update's one date): its object number, or < 0.
 */
int pdf_date_font_write(struct pdfw *w, const char *text, struct sp_errinfo *ei) SP_WUR;
/*
 * date_font.c: the font an earlier update of doc wrote that
 * pdf_date_font_write() would write for text, byte for byte, where doc's
 * cross-reference chain places its objects (entries[0..elen): the merged
 * entries of doc's bytes, pdf_xref_merged_ex's; NULL: read here): its object
 * number, which a date appearance may name; 0 when none (then the update
 * writes its own). Looked for through the date appearance of the latest
 * update that drew one, among the newest objects: that appearance's number
 * and offset into *ap, *ap_off (0: none found) for pdf_date_ap_is(). Never
 * for an encrypted file.
 */
int pdf_date_font_find(struct pdf_doc *doc, const void *entries, size_t elen, const char *text,
		       int *ap, size_t *ap_off);
/*
 * date_font.c: 1 when object num at off in doc (pdf_date_font_find's *ap,
 * *ap_off) is byte for byte the stream pdfw_stream() would write under that
 * number with dict and content[0..len): the date appearance this update
 * would write, which its widgets may then name instead.
 */
int pdf_date_ap_is(const struct pdf_doc *doc, int num, size_t off, const char *dict,
		   const unsigned char *content, size_t len);
/*
 * xref_merged.c: where the merged entries entries[0..len) (pdf_xref_merged_ex's
 * *entries of a file) place object num: 1 with *off (counted from the header,
 * as the tables give it) when it is in use with generation gen, else 0. And how
 * many numbers such entries cover (0: not such entries). Pure: any thread.
 */
int pdf_xref_merged_place(const void *entries, size_t len, int num, int gen, size_t *off) SP_WUR;
size_t pdf_xref_merged_count(size_t len);
/* The xref section (kind of the previous revision), trailer and %%EOF. */
int pdfw_finish(struct pdfw *w, const struct pdf_doc *doc, struct sp_errinfo *ei) SP_WUR;
/*
 * SHA-256 and/or SM3 (each unless its output is NULL) over the file
 * orig[0..olen) + upd[0..ulen) less the gap [a, b) (file offsets, olen <= a
 * <= b <= olen + ulen; orig NULL with olen 0 when upd is the whole file).
 * base_sha256 (unless NULL): the SHA-256 of orig alone, taken on the way
 * when the signature's digest is SHA-256. known (NULL: none) is SHA-256's
 * state after orig when the caller took it (pdf_sha256_new over the same
 * buffer and length; else it is not used): orig is not hashed again.
 */
int pdfw_digest(const unsigned char *orig, size_t olen, const struct pdf_sha256 *known,
		const unsigned char *upd, size_t ulen, size_t a, size_t b, unsigned char sha256[32],
		unsigned char sm3[32], unsigned char base_sha256[32], struct sp_errinfo *ei) SP_WUR;

/* place.c: the date stamp's text and size. */
void pdf_date_text(time_t t, int utc_offset_min, char out[16]);
void pdf_date_stamp_size(double *w, double *h);
#define PDF_DATE_FONT_SIZE 10.0

/*
 * Turn qpdf's pending error on q into an sp_err: an encrypted file is
 * SP_ERR_UNSUPPORTED ("pdf_encrypted"), anything else SP_ERR_PDF
 * ("pdf_unreadable") with qpdf's detail after "what: ". Returns the code.
 */
int pdf_qpdf_fail(struct sp_errinfo *ei, qpdf_data q, const char *what);

#endif /* SP_PDF_INT_H */
