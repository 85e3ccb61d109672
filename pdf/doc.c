/*
 * doc.c: opening a PDF with qpdf and learning what the writer needs: the
 * page list (each page's geometry: doc_pages.c), the last revision's xref
 * kind and startxref, the trailer, and the existing AcroForm fields.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

#define RESOLVE_BUDGET 50000

int
pdf_qpdf_fail(struct sp_errinfo *ei, qpdf_data q, const char *what)
{
	if (qpdf_has_error(q)) {
		qpdf_error e = qpdf_get_error(q);
		const char *d = qpdf_get_error_message_detail(q, e);
		if (qpdf_get_error_code(q, e) == qpdf_e_password)
			return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_encrypted",
					     "%s: the PDF is encrypted with a password to open it",
					     what);
		return sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable", "%s: %s", what,
				     d ? d : "qpdf error");
	}
	return sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable", "%s failed", what);
}

/*
 * Find the last "startxref" and decide what the section there is. Returns 0
 * and sets kind/off (the offset as written, counting from the header h bytes
 * into d), or -1 when the tail is not what a well-formed file has (qpdf may
 * still have repaired it: such a file is not signable).
 */
static int
find_startxref(const unsigned char *d, size_t len, size_t h, enum pdf_xref_kind *kind,
	       long long *off)
{
	static const char kw[] = "startxref";
	size_t klen = sizeof(kw) - 1, from = len > 2048 ? len - 2048 : 0, i, p;
	long long v = 0;
	int found = 0, digits = 0;

	if (len < klen)
		return -1;
	for (i = len - klen + 1; i-- > from;) {
		if (memcmp(d + i, kw, klen) == 0) {
			found = 1;
			break;
		}
	}
	if (!found)
		return -1;
	/* as qpdf and pdf_revisions_find() read it: "startxref 123abc" is no offset */
	if ((v = pdf_startxref_at(d, len, i)) <= 0 || (size_t)v >= len - h)
		return -1;
	*off = v;
	/* an offset at the end-of-line before the section is what many writers produce;
	   it counts from the header (revisions.c) */
	for (p = (size_t)v + h; p < len && pdf_space(d[p]); p++)
		;
	if (len - p >= 4 && memcmp(d + p, "xref", 4) == 0) {
		*kind = PDF_XREF_TABLE;
		return 0;
	}
	/* "N G obj" */
	for (digits = 0; p < len && isdigit(d[p]); p++)
		digits++;
	if (!digits)
		return -1;
	while (p < len && pdf_space(d[p]))
		p++;
	for (digits = 0; p < len && isdigit(d[p]); p++)
		digits++;
	if (!digits)
		return -1;
	while (p < len && pdf_space(d[p]))
		p++;
	if (len - p < 3 || memcmp(d + p, "obj", 3) != 0)
		return -1;
	*kind = PDF_XREF_STREAM;
	return 0;
}

#define TREE_MAX_DEPTH 64
#define TREE_MAX_NODES (4 * PDF_DOC_MAX_PAGES)

/*
 * qpdf walks the page tree recursively: a hostile tree thousands of levels
 * deep overflows the stack. Walk it first, iteratively, with a depth and a
 * node cap (a loop runs into the node cap).
 */
static int
check_page_tree(qpdf_data q, struct sp_errinfo *ei)
{
	struct {
		qpdf_oh oh;
		int depth;
	} *st = NULL;
	size_t sp = 0, cap = 64, nodes = 0;
	int r = SP_ERR_INTERNAL, i, n;

	if (!(st = malloc(cap * sizeof(*st))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	st[sp].oh = qpdf_oh_get_key(q, qpdf_get_root(q), "/Pages");
	st[sp++].depth = 0;
	while (sp > 0) {
		qpdf_oh node = st[--sp].oh, kids;
		int depth = st[sp].depth;
		if (++nodes > TREE_MAX_NODES || depth > TREE_MAX_DEPTH) {
			r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
					  "the page tree is too deep or too large (depth %d, %zu "
					  "nodes)",
					  depth, nodes);
			goto out;
		}
		kids = qpdf_oh_get_key(q, node, "/Kids");
		n = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
		for (i = 0; i < n; i++) {
			if (sp == cap) {
				void *nv;
				if (cap >= TREE_MAX_NODES ||
				    !(nv = realloc(st, 2 * cap * sizeof(*st)))) {
					r = sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
							  "the page tree is too large");
					goto out;
				}
				st = nv;
				cap *= 2;
			}
			st[sp].oh = qpdf_oh_get_array_item(q, kids, i);
			st[sp++].depth = depth + 1;
		}
		qpdf_oh_release(q, kids);
		qpdf_oh_release(q, node);
	}
	r = SP_OK;
out:
	free(st);
	return r;
}

/* 1 when "num gen obj" starts a line of data[0..len): where qpdf finds an object it reconstructs. */
static int
header_present(const unsigned char *data, size_t len, int num, int gen)
{
	char h[40];
	const unsigned char *p = data, *e = data + len;
	int k = snprintf(h, sizeof(h), "%d %d obj", num, gen);

	while (p < e && (p = memmem(p, (size_t)(e - p), h, (size_t)k)) != NULL) {
		if (p == data || p[-1] == '\n' || p[-1] == '\r')
			return 1;
		p++;
	}
	return 0;
}

/*
 * ISO 32000-1 7.5.7: the encryption dictionary shall not be in an object
 * stream. Object streams are encrypted: one holding /Encrypt cannot be
 * decrypted before /Encrypt is read, so qpdf reads it (and every other object
 * in it) as plain while another reader may decrypt it, or refuse: what the
 * file says and which of its objects are encrypted would differ between
 * readers. Refused as pdf_encrypted. The cross-reference sections say where
 * /Encrypt is; a file whose sections cannot be read (qpdf reconstructed it
 * from its "N G obj" lines) has it in an object stream when no such line
 * names it.
 */
static int
encrypt_check(struct pdf_doc *doc, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh enc = qpdf_oh_get_key(q, qpdf_get_trailer(q), "/Encrypt");
	int num, in;

	if (!qpdf_is_encrypted(q) || !qpdf_oh_is_indirect(q, enc))
		return SP_OK;
	num = qpdf_oh_get_object_id(q, enc);
	in = pdf_obj_compressed(doc, num);
	if (in < 0)
		in = !header_present(doc->data, doc->len, num, qpdf_oh_get_generation(q, enc));
	if (in)
		return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_encrypted",
				     "the PDF's /Encrypt dictionary is in an object stream, where "
				     "ISO 32000-1 7.5.7 forbids it (readers differ on what it "
				     "encrypts)");
	return SP_OK;
}

static int
read_trailer(struct pdf_doc *doc, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh tr = qpdf_get_trailer(q), root, info;
	long long size = 0;

	if (!qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, tr, "/Size"), &size) || size < 1)
		return sp_err_reason(ei, SP_ERR_PDF, "pdf_bad_trailer", "trailer has no /Size");
	if (size > PDF_DOC_MAX_OBJECTS)
		return sp_err_reason(ei, SP_ERR_LIMIT, "pdf_limit",
				     "trailer /Size %lld exceeds the cap of %d objects", size,
				     PDF_DOC_MAX_OBJECTS);
	doc->info.size = size;
	root = qpdf_oh_get_key(q, tr, "/Root");
	if (!qpdf_oh_is_indirect(q, root) || !qpdf_oh_is_dictionary(q, root))
		return sp_err_reason(ei, SP_ERR_PDF, "pdf_bad_trailer",
				     "trailer /Root is not an indirect dictionary");
	doc->info.root_obj = qpdf_oh_get_object_id(q, root);
	doc->info.root_gen = qpdf_oh_get_generation(q, root);
	info = qpdf_oh_get_key(q, tr, "/Info");
	if (qpdf_oh_is_indirect(q, info)) {
		doc->info.info_obj = qpdf_oh_get_object_id(q, info);
		doc->info.info_gen = qpdf_oh_get_generation(q, info);
	}
	doc->info.has_id = qpdf_oh_is_array(q, qpdf_oh_get_key(q, tr, "/ID"));
	return SP_OK;
}

/*
 * qpdf reads objects lazily and repairs a broken xref when it first meets a
 * bad offset. Resolve every object once (dictionaries only, no stream data)
 * so that the damage shows now, at open, and not halfway through an update.
 */
static void
resolve_all(struct pdf_doc *doc)
{
	long long i, end = doc->info.size < RESOLVE_BUDGET ? doc->info.size : RESOLVE_BUDGET;

	/* Past the budget (a huge or hostile /Size: each id costs qpdf a cache
	 * entry) objects resolve when used and pdf_doc_scan_warnings() catches
	 * repairs after the update is built. */
	for (i = 1; i < end; i++) {
		qpdf_oh oh = qpdf_get_object_by_id(doc->q, (int)i, 0);
		(void)qpdf_oh_get_type_code(doc->q, oh);
		qpdf_oh_release(doc->q, oh);
	}
}

/*
 * qpdf reports repairs as warnings; a repaired file has no trustworthy xref to
 * chain to. Nor has one whose trailer qpdf read with a warning ("(trailer,
 * offset N)": a bad token, a key missing): qpdf guessed at what the bytes say,
 * and other readers (pdf_revisions_find() among them) guess otherwise, down to
 * which /Prev the chain goes on from.
 */
void
pdf_doc_scan_warnings(struct pdf_doc *doc)
{
	while (qpdf_more_warnings(doc->q)) {
		qpdf_error w = qpdf_next_warning(doc->q);
		const char *t = qpdf_get_error_full_text(doc->q, w);
		/* startxref on the end-of-line before "xref": read as written, no repair */
		if (t && strstr(t, "extraneous whitespace seen before xref"))
			continue;
		if (t && (strstr(t, "reconstruct") || strstr(t, "damaged") || strstr(t, "xref") ||
			  strstr(t, "startxref") || strstr(t, "(trailer")))
			doc->info.damaged = 1;
	}
}

/* doc_open's modes: what is read ahead at open */
enum { OPEN_WHOLE, OPEN_VIEW, OPEN_STORED, OPEN_KNOWN, OPEN_STORED_KNOWN, OPEN_STORED_KEPT };

/* OPEN_STORED_KEPT: the form's facts kept for these bytes (pdf_doc_form_export) */
struct kept_in {
	const uint8_t *facts, *sha256;
	size_t len;
};

/*
 * The pages a caller knows (object number, generation pairs) as handles,
 * not parsed: reading a page dictionary is what a page tree walk costs.
 */
static int
known_pages(struct pdf_doc *doc, const int *pages, size_t npages, struct sp_errinfo *ei)
{
	size_t i;

	if (npages == 0)
		return SP_OK;
	if (npages > PDF_DOC_MAX_PAGES)
		return sp_err(ei, SP_ERR_INVALID, "%zu known pages exceed the cap", npages);
	if (!(doc->pages = calloc(npages, sizeof(*doc->pages))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory for %zu pages", npages);
	for (i = 0; i < npages; i++) {
		if (pages[2 * i] <= 0 || pages[2 * i] >= doc->info.size || pages[2 * i + 1] < 0)
			return sp_err(ei, SP_ERR_INVALID, "known page %zu is no object here",
				      i + 1);
		doc->pages[i] = qpdf_get_object_by_id(doc->q, pages[2 * i], pages[2 * i + 1]);
	}
	doc->npages = (int)npages;
	return SP_OK;
}

/* The page tree's /Count is the known list's length. */
static int
known_count_check(struct pdf_doc *doc, struct sp_errinfo *ei)
{
	qpdf_oh tree = qpdf_oh_get_key(doc->q, qpdf_get_root(doc->q), "/Pages");
	long long count = -1;

	if (!qpdf_oh_get_value_as_longlong(doc->q, qpdf_oh_get_key(doc->q, tree, "/Count"),
					   &count) ||
	    count != doc->npages)
		return sp_err(ei, SP_ERR_INVALID, "%d known pages, the page tree counts %lld",
			      doc->npages, count);
	return SP_OK;
}

struct pdf_parsed {
	qpdf_data q;
	const unsigned char *data; /* the bytes q reads (the caller's) */
	size_t len;
	long long merged_prev; /* the doc's it was taken from */
	/* its reads of arrays of references (pdf_doc_key_refs): answers of this parse, so
	   the next open of the bytes has them (the base's /Annots and /Fields, which the
	   difference check compares with the update's, are the stored revision's new
	   ones that the completion which stored it read) */
	struct pdf_key_refs *krefs;
	size_t nkrefs;
};

void
pdf_parsed_free(struct pdf_parsed *p)
{
	if (p == NULL)
		return;
	if (p->q)
		qpdf_cleanup(&p->q);
	pdf_key_refs_release(p->krefs, p->nkrefs);
	free(p);
}

const unsigned char *
pdf_parsed_data(const struct pdf_parsed *p, size_t *len)
{
	*len = p != NULL ? p->len : 0;
	return p != NULL ? p->data : NULL;
}

struct pdf_parsed *
pdf_doc_parsed_take(struct pdf_doc *doc)
{
	struct pdf_parsed *p;

	/* a copy of the bytes goes with doc; a walked page tree may have been rewritten
	   by qpdf's page cache (a page listed twice is copied), which a fresh read of the
	   bytes would not have done before its own walk */
	if (doc == NULL || doc->q == NULL || !doc->borrowed || doc->pages_walked ||
	    pdf_doc_damaged(doc) || qpdf_is_encrypted(doc->q) || !(p = calloc(1, sizeof(*p))))
		return NULL;
	/* doc's handles go with doc: the next open makes its own */
	qpdf_oh_release_all(doc->q);
	p->q = doc->q;
	p->data = doc->qdata;
	p->len = doc->len;
	p->merged_prev = doc->merged_prev;
	p->krefs = doc->krefs;
	p->nkrefs = doc->nkrefs;
	doc->krefs = NULL;
	doc->nkrefs = 0;
	doc->q = NULL; /* transferred */
	return p;
}

/* qlen: the bytes qpdf reads, data[0..qlen) (pdf_doc_open_known_merged: prev is the newest
   section's /Prev, which its trailer leaves out), 0: len */
static int
doc_open(const unsigned char *data, size_t len, size_t qlen, long long prev, int mode,
	 const int *pages, size_t npages, const struct kept_in *kept, struct pdf_parsed *from,
	 struct pdf_doc **out, struct sp_errinfo *ei)
{
	struct sp_errinfo kei;
	int view = mode != OPEN_WHOLE;
	int r = SP_ERR_INTERNAL, i, n, encrypt = 0;
	struct pdf_doc *doc = NULL;
	unsigned char *copy = NULL;
	size_t head = len < 1024 ? len : 1024;

	*out = NULL;
	if (!data || len == 0 || !memmem(data, head, "%PDF-", 5)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_not_pdf",
				  "not a PDF file (no %%PDF- header)");
		goto out;
	}
	if (len > PDF_DOC_MAX_BYTES) {
		r = sp_err_reason(ei, SP_ERR_TOO_LARGE, "pdf_too_large",
				  "PDF of %zu bytes exceeds the cap of %zu", len,
				  PDF_DOC_MAX_BYTES);
		goto out;
	}
	/* an upload, before qpdf builds anything from it (a view's caller checks the
	   file once, not each revision it opens); an encrypted one's object streams
	   are counted once its key is derived, below (pdf_bytes_check's second pass) */
	if (mode == OPEN_WHOLE && (r = pdf_bytes_scan(data, len, NULL, &encrypt, ei)) != SP_OK)
		goto out;
	if (!(doc = calloc(1, sizeof(*doc))) || (!view && !(copy = malloc(len)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory opening a PDF");
		goto out;
	}
	if (view) {
		doc->data = data;
		doc->borrowed = 1;
	} else {
		memcpy(copy, data, len);
		doc->data = copy;
		copy = NULL; /* transferred */
	}
	doc->len = len;
	doc->qdata = doc->data;
	doc->info.header = pdf_header_offset(doc->data, len);
	if (find_startxref(doc->data, len, doc->info.header, &doc->info.xref_kind,
			   &doc->info.startxref) < 0)
		doc->info.damaged = 1;
	/* a parse of these very bytes (pdf_parsed): the xref chain is not read again. A
	   copy (not a view) is read anew: the parse reads the caller's bytes */
	if (from != NULL && view && from->q != NULL && from->len == len &&
	    (from->data == data || memcmp(from->data, data, len) == 0)) {
		doc->q = from->q;
		doc->qdata = from->data;
		doc->merged_prev = from->merged_prev;
		doc->krefs = from->krefs;
		doc->nkrefs = from->nkrefs;
		from->krefs = NULL;
		from->nkrefs = 0;
		from->q = NULL; /* transferred */
		goto parsed;
	}
	if (!(doc->q = qpdf_init())) {
		r = sp_err(ei, SP_ERR_NOMEM, "qpdf_init failed");
		goto out;
	}
	qpdf_silence_errors(doc->q);
	qpdf_set_suppress_warnings(doc->q, 1);
	if (qpdf_read_memory(doc->q, "document.pdf", (const char *)doc->data,
			     view && qlen > len ? qlen : len, "") &
	    QPDF_ERRORS) {
		r = pdf_qpdf_fail(ei, doc->q, "reading the PDF");
		goto out;
	}
	if (view && qlen > len)
		doc->merged_prev = prev;
parsed:
	/* an encrypted file opens with an empty user password (qpdf decrypts its strings
	   and streams, not a signature's /Contents); to be written to, its key is derived
	   (crypt.c) so that the writer encrypts what it adds as the file's own */
	if ((r = encrypt_check(doc, ei)) < 0 ||
	    (mode != OPEN_VIEW && (r = pdf_crypt_open(doc->q, &doc->crypt, ei)) < 0))
		goto out;
	/* (qpdf has read the xref, counted by the pass above, and the trailer only) */
	if (mode == OPEN_WHOLE && encrypt && doc->crypt != NULL &&
	    (r = pdf_bytes_scan(data, len, doc->crypt, &encrypt, ei)) != SP_OK)
		goto out;
	if ((r = read_trailer(doc, ei)) < 0)
		goto out;
	if (mode == OPEN_STORED_KEPT)
		mode = OPEN_STORED_KNOWN; /* and the form from its facts, below */
	else
		kept = NULL;
	if (mode == OPEN_KNOWN || mode == OPEN_STORED_KNOWN) {
		if ((r = known_pages(doc, pages, npages, ei)) < 0)
			goto out;
		if (mode == OPEN_KNOWN)
			goto done;
		if ((n = doc->npages) == 0) {
			r = sp_err(ei, SP_ERR_INVALID, "no known pages");
			goto out;
		}
		/* a list of another length is not this file's (two objects read, not n) */
		if ((r = known_count_check(doc, ei)) < 0)
			goto out;
	} else {
		doc->pages_walked = 1;
		if ((r = check_page_tree(doc->q, ei)) < 0)
			goto out;
		n = qpdf_get_num_pages(doc->q);
		if (qpdf_has_error(doc->q) || n < 0) {
			r = pdf_qpdf_fail(ei, doc->q, "reading the page tree");
			goto out;
		}
		if (n == 0 || n > PDF_DOC_MAX_PAGES) {
			r = sp_err_reason(ei, n ? SP_ERR_LIMIT : SP_ERR_PDF, "pdf_pages",
					  "the PDF has %d pages (1..%d accepted)", n,
					  PDF_DOC_MAX_PAGES);
			goto out;
		}
		if (!(doc->pages = calloc((size_t)n, sizeof(*doc->pages)))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory for %d pages", n);
			goto out;
		}
		doc->npages = n;
	}
	if (!(doc->pinfo = calloc((size_t)n, sizeof(*doc->pinfo))) ||
	    !(doc->pread = calloc((size_t)n, 1))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory for %d pages", n);
		goto out;
	}
	/*
	 * A stored revision's known pages are checked and measured when a
	 * placement first uses one (pdf_page_get): a prepare that seals page 1
	 * of a 300-page contract parses page 1, not 300 page objects. The
	 * revision was checked whole when it was stored; an upload is checked
	 * here, every page.
	 */
	for (i = 0; i < n && mode != OPEN_STORED_KNOWN; i++) {
		const struct pdf_page_info *pi;

		doc->pages[i] = qpdf_get_page_n(doc->q, (size_t)i);
		if ((r = pdf_page_get(doc, i + 1, &pi, ei)) < 0)
			goto out;
	}
	/* the writer's field names; a verifier reads signature fields on its own. From
	   the facts kept for these very bytes when they load, else walked. */
	sp_errinfo_init(&kei);
	if ((kept == NULL || kept->facts == NULL ||
	     pdf_doc_form_load_kept(doc, kept->facts, kept->len, kept->sha256, &kei) != SP_OK) &&
	    mode != OPEN_VIEW && (r = form_read(doc, ei)) < 0)
		goto out;
	if (mode == OPEN_WHOLE)
		resolve_all(doc);
done:
	if (qpdf_has_error(doc->q)) {
		r = pdf_qpdf_fail(ei, doc->q, "reading the PDF");
		goto out;
	}
	pdf_doc_scan_warnings(doc);
	*out = doc;
	doc = NULL; /* transferred */
	r = SP_OK;
out:
	free(copy);
	pdf_doc_free(doc);
	pdf_parsed_free(from); /* not adopted (or adopted and transferred: NULL q) */
	return r;
}

void
pdf_doc_free(struct pdf_doc *doc)
{
	size_t i;

	if (!doc)
		return;
	if (doc->q)
		qpdf_cleanup(&doc->q);
	pdf_crypt_free(doc->crypt);
	for (i = 0; i < doc->nfieldnames && !doc->fieldnames_kept; i++)
		free(doc->fieldnames[i]);
	if (!doc->fieldnames_kept)
		free(doc->fieldnames);
	form_kept_free(doc->kept);
	pdf_doc_key_refs_free(doc);
	pdf_doc_newest_free(doc);
	pdf_doc_dict_memo_free(doc);
	free(doc->pages);
	free(doc->pinfo);
	free(doc->pread);
	if (!doc->borrowed)
		free((void *)doc->data);
	free(doc);
}

int
pdf_doc_open(const unsigned char *data, size_t len, struct pdf_doc **out, struct sp_errinfo *ei)
{
	return doc_open(data, len, 0, 0, OPEN_WHOLE, NULL, 0, NULL, NULL, out, ei);
}

int
pdf_doc_open_stored(const unsigned char *data, size_t len, struct pdf_doc **out,
		    struct sp_errinfo *ei)
{
	return doc_open(data, len, 0, 0, OPEN_STORED, NULL, 0, NULL, NULL, out, ei);
}

int
pdf_doc_open_stored_known(const unsigned char *data, size_t len, const int *pages, size_t npages,
			  struct pdf_doc **out, struct sp_errinfo *ei)
{
	return doc_open(data, len, 0, 0, OPEN_STORED_KNOWN, pages, npages, NULL, NULL, out, ei);
}

int
pdf_doc_open_stored_kept(const unsigned char *data, size_t len, const int *pages, size_t npages,
			 const uint8_t *facts, size_t facts_len, const uint8_t sha256[32],
			 struct pdf_doc **out, struct sp_errinfo *ei)
{
	struct kept_in k = { facts, sha256, facts_len };

	return doc_open(data, len, 0, 0, OPEN_STORED_KEPT, pages, npages, &k, NULL, out, ei);
}

int
pdf_doc_open_view(const unsigned char *data, size_t len, struct pdf_doc **out,
		  struct sp_errinfo *ei)
{
	return doc_open(data, len, 0, 0, OPEN_VIEW, NULL, 0, NULL, NULL, out, ei);
}

int
pdf_doc_open_known(const unsigned char *data, size_t len, const int *pages, size_t npages,
		   struct pdf_doc **out, struct sp_errinfo *ei)
{
	return doc_open(data, len, 0, 0, OPEN_KNOWN, pages, npages, NULL, NULL, out, ei);
}

int
pdf_doc_open_known_merged(const unsigned char *data, size_t len, size_t qlen, long long prev,
			  const int *pages, size_t npages, struct pdf_doc **out,
			  struct sp_errinfo *ei)
{
	return doc_open(data, len, qlen, prev, OPEN_KNOWN, pages, npages, NULL, NULL, out, ei);
}

int
pdf_doc_open_known_from(const unsigned char *data, size_t len, const int *pages, size_t npages,
			struct pdf_parsed *from, struct pdf_doc **out, struct sp_errinfo *ei)
{
	return doc_open(data, len, 0, 0, OPEN_KNOWN, pages, npages, NULL, from, out, ei);
}

int
pdf_doc_open_stored_kept_from(const unsigned char *data, size_t len, const int *pages,
			      size_t npages, const uint8_t *facts, size_t facts_len,
			      const uint8_t sha256[32], struct pdf_parsed *from,
			      struct pdf_doc **out, struct sp_errinfo *ei)
{
	struct kept_in k = { facts, sha256, facts_len };

	return doc_open(data, len, 0, 0, OPEN_STORED_KEPT, pages, npages, &k, from, out, ei);
}

int
pdf_doc_form_load(struct pdf_doc *doc, struct sp_errinfo *ei)
{
	int r;

	if (doc->form_read)
		return SP_OK;
	if ((r = form_read(doc, ei)) < 0)
		return r;
	if (qpdf_has_error(doc->q))
		return pdf_qpdf_fail(ei, doc->q, "reading the AcroForm");
	return SP_OK;
}

int
pdf_doc_damaged(struct pdf_doc *doc)
{
	pdf_doc_scan_warnings(doc);
	return doc->info.damaged || qpdf_has_error(doc->q);
}

void
pdf_doc_info_get(const struct pdf_doc *doc, struct pdf_doc_info *out)
{
	*out = doc->info;
}
