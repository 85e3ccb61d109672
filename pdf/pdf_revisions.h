/*
 * pdf_revisions.h: revisions and differences, from pdf.h (which includes it; include pdf.h).
 */
#ifndef SP_PDF_REVISIONS_H
#define SP_PDF_REVISIONS_H

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
/*
 * As pdf_sig_reads_unpack, without the /Contents (each entry's contents NULL,
 * contents_len as packed): for a reader of the dictionaries' other keys only
 * (the prepare's DocMDP check), which copied some 5 KB per earlier signature.
 */
int pdf_sig_reads_heads(const uint8_t *b, size_t len, struct pdf_sig_field **out, size_t *n,
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
	size_t cap; /* room in c, grown as changes are noted (most updates note a few) */
	size_t nallowed, ndisallowed;
	size_t nltv; /* of the allowed changes, those that only add validation data */
	/* of the allowed changes, those to document metadata only (/Info, the XMP stream, the
	   catalog's /Metadata or /Extensions), which LTV tools save with their DSS */
	size_t nmeta;
	int visible_widgets; /* new signature widgets with a visible rectangle */
	/* every object number the update's xref lists (changed or not, freed too), sorted:
	   an object no later update lists reads the same in every later revision */
	int *listed;
	size_t nlisted;
	/* the items its walks of a whole revision visited (diff_uses_walk, diff_fills_walk):
	   what the diff cost beyond the update's own objects, for a verification's budget */
	size_t walked;
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
	/* numbers 0 .. n-1 have room (a multiple of 8, grown as numbers up to
	   PDF_DOC_MAX_OBJECTS are marked): a number at or past n is in no set */
	size_t n;
	size_t hi; /* one past the highest number in the set (0: empty) */
	/* no revision up to this one names, in a dictionary, an object it lacks: qpdf
	   reads such a reference as null and lists no such key, so no walk sees it and
	   a later update's new object may fill it (orphans_named). Known of a file qpdf
	   rewrote (which writes no such key: pdf_normalize) and kept through each update
	   whose objects' bytes name none (diff_update_names_missing); 0: not known */
	int no_hidden;
};
int pdf_refs_init(struct pdf_doc *first, struct pdf_refs *r, struct sp_errinfo *ei) SP_WUR;
void pdf_refs_cleanup(struct pdf_refs *r);
/*
 * The set as its numbers, ascending (*nums the caller's, free()), and back:
 * so that the set a verification ends with can be kept and given to the next
 * verification of the same bytes plus an update instead of walking them
 * again; a number referred to more than once is given negated, and a 0 last
 * says no_hidden. Import fails (SP_ERR_INVALID) on a number out of
 * 1..PDF_DOC_MAX_OBJECTS (either sign) but that last 0.
 */
int pdf_refs_export(const struct pdf_refs *r, int **nums, size_t *n, struct sp_errinfo *ei) SP_WUR;
int pdf_refs_import(const int *nums, size_t n, struct pdf_refs *r, struct sp_errinfo *ei) SP_WUR;
/*
 * Export's numbers as bytes to store with the revision they describe
 * (refs_pack.c), bound to sha256, the SHA-256 of that revision's bytes; and
 * back. Pack fails (SP_ERR_INVALID) on numbers not in export's order. Unpack
 * gives export's numbers only for a value packed with this very sha256, read
 * whole and in bounds; any other is SP_ERR_INVALID, and the caller then
 * walks the revision as without one. *out and *nums are the caller's
 * (free()). Any thread.
 */
int pdf_refs_pack(const int *nums, size_t n, const uint8_t sha256[32], uint8_t **out, size_t *len,
		  struct sp_errinfo *ei) SP_WUR;
int pdf_refs_unpack(const uint8_t *in, size_t len, const uint8_t sha256[32], int **nums, size_t *n,
		    struct sp_errinfo *ei) SP_WUR;

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
#endif
