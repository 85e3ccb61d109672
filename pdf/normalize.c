/*
 * normalize.c: the one-time qpdf rewrite of an uploaded contract (DESIGN.md
 * §5). A full rewrite drops every earlier revision and every object the
 * current one does not reach, which is where shadow attacks hide content.
 * A file that already carries a signature must not be rewritten (that would
 * break the signature), so it is kept byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pdf_int.h"

/*
 * Usage rights (/Perms /UR3, PDF 1.5's /UR: Adobe's signature enabling
 * Reader's extended features, ISO 32000-1 §12.8.2.3) sign the bytes as the
 * author saved them: the rewrite breaks that signature, and Adobe Reader
 * then opens the contract with a warning that the document was changed and
 * its features are gone. They go with the rewrite, as iText's
 * removeUsageRights() and Acrobat's "save a copy" drop them; /Perms goes
 * when nothing else is left in it. (A signed upload, kept byte for byte,
 * keeps them: what our signature adds is Reader's to judge.)
 */
static void
drop_usage_rights(qpdf_data q)
{
	qpdf_oh root = qpdf_get_root(q), perms = qpdf_oh_get_key(q, root, "/Perms");

	if (!qpdf_oh_is_dictionary(q, perms))
		return;
	qpdf_oh_remove_key(q, perms, "/UR3");
	qpdf_oh_remove_key(q, perms, "/UR");
	qpdf_oh_begin_dict_key_iter(q, perms);
	if (!qpdf_oh_dict_more_keys(q))
		qpdf_oh_remove_key(q, root, "/Perms");
}

/* a document's pages as (number, generation) pairs, each object of the file once */
struct page_list {
	int *objs;
	size_t n;
};

/*
 * doc's pages as objects of the file, which the rewrite's own read of the
 * same bytes finds by number. A page qpdf made itself has none (it copies a
 * page listed twice): its original is listed, and holds what it holds.
 */
static int
page_list_of(const struct pdf_doc *doc, struct page_list *pl, struct sp_errinfo *ei)
{
	size_t np = doc->npages > 0 ? (size_t)doc->npages : 0;
	int i, id;

	pl->n = 0;
	if ((pl->objs = malloc((np + 1) * 2 * sizeof(*pl->objs))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (i = 0; i < doc->npages; i++) {
		if ((id = qpdf_oh_get_object_id(doc->q, doc->pages[i])) <= 0 ||
		    id >= doc->info.size)
			continue;
		pl->objs[2 * pl->n] = id;
		pl->objs[2 * pl->n + 1] = qpdf_oh_get_generation(doc->q, doc->pages[i]);
		pl->n++;
	}
	return SP_OK;
}

/*
 * A signed upload's scripts and actions that do more than move the view
 * (active.c) are refused: every party opens the file, and they cannot be
 * removed without breaking its signatures.
 */
static int
actions_refused(struct pdf_doc *doc, const struct page_list *pl, struct sp_errinfo *ei)
{
	char what[160];
	size_t n = 0;
	int r;

	if ((r = pdf_actions_find(doc->q, pl->objs, pl->n, 0, &n, what, sizeof(what), ei)) != SP_OK)
		return r;
	/* an XFA form's scripts run in Adobe's viewers, static form or not */
	if (n == 0 && (r = pdf_xfa_active(doc, what, sizeof(what), ei)) != SP_OK)
		return r;
	if (n == 0 && what[0] == '\0')
		return SP_OK;
	return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_active_content",
			     "the signed PDF carries %s%s: it would run, or change what is "
			     "shown, when a party opens the contract, and it cannot be removed "
			     "without breaking the signatures; sign a copy without it",
			     what, n > 1 ? " and more" : "");
}

/*
 * Rewrite with qpdf into a malloc'd copy. Object streams are preserved as
 * the author made them (neither forced on nor off), the /ID is derived from
 * the content, and unreferenced objects are dropped (qpdf's default, set
 * explicitly because the whole point depends on it).
 */
static int
rewrite(const unsigned char *data, size_t len, int drop_xfa, int drop_na,
	const struct page_list *pl, size_t *actions, unsigned char **out, size_t *outlen,
	struct sp_errinfo *ei)
{
	qpdf_data q = qpdf_init();
	const unsigned char *buf;
	size_t n;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if (q == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "qpdf_init failed");
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	if (qpdf_read_memory(q, "upload.pdf", (const char *)data, (unsigned long long)len, NULL) &
	    QPDF_ERRORS) {
		r = pdf_qpdf_fail(ei, q, "reading the upload");
		goto out;
	}
	/* (a static XFA form: its pages and widgets are the document, as every viewer shows) */
	if (drop_xfa)
		qpdf_oh_remove_key(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm"), "/XFA");
	/* (every widget with a value has its appearance: see need_appearances) */
	if (drop_na)
		qpdf_oh_remove_key(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm"),
				   "/NeedAppearances");
	drop_usage_rights(q);
	/* scripts and actions that do more than move the view (active.c): the
	   static appearance every party sees is what is signed */
	if ((r = pdf_actions_find(q, pl->objs, pl->n, 1, actions, NULL, 0, ei)) != SP_OK)
		goto out;
	if (qpdf_init_write_memory(q) & QPDF_ERRORS) {
		r = pdf_qpdf_fail(ei, q, "rewriting the upload");
		goto out;
	}
	qpdf_set_object_stream_mode(q, qpdf_o_preserve);
	qpdf_set_preserve_unreferenced_objects(q, QPDF_FALSE);
	/* each stream's data copied as it is, not decoded and compressed again (qpdf's
	   defaults): an LZW, RunLength or hex bomb cost the worker about 5 s of CPU a
	   megabyte, and a seal application's scan comes this way too (review54); the
	   rewrite is of the document's objects, which never needed it */
	qpdf_set_decode_level(q, qpdf_dl_none);
	qpdf_set_compress_streams(q, QPDF_FALSE);
	/* "endstream" on a line of its own, as PDF/A asks (ISO 19005-1 and -2 §6.1.7):
	   qpdf's default writes it right after the data, which broke the PDF/A uploads
	   it rewrote; one byte a stream for every other file */
	qpdf_set_newline_before_endstream(q, QPDF_TRUE);
	/* an encrypted upload keeps its encryption (qpdf's default: the author's
	   permissions stay, and the first /ID, which R2-R4's key depends on); qpdf
	   derives no ID from encrypted output (its AES output is random anyway) */
	qpdf_set_deterministic_ID(q, qpdf_is_encrypted(q) ? QPDF_FALSE : QPDF_TRUE);
	if (qpdf_write(q) & QPDF_ERRORS) {
		r = pdf_qpdf_fail(ei, q, "rewriting the upload");
		goto out;
	}
	buf = qpdf_get_buffer(q);
	n = qpdf_get_buffer_length(q);
	if (buf == NULL || n == 0) {
		r = sp_err(ei, SP_ERR_INTERNAL, "qpdf wrote nothing");
		goto out;
	}
	if (n > PDF_DOC_MAX_BYTES) {
		r = sp_err(ei, SP_ERR_TOO_LARGE, "the rewritten PDF exceeds %zu bytes",
			   PDF_DOC_MAX_BYTES);
		goto out;
	}
	if ((*out = malloc(n)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*out, buf, n);
	*outlen = n;
	r = SP_OK;
out:
	qpdf_cleanup(&q);
	return r;
}

/*
 * What the rewritten upload refers to, from the copy read back (parsed whole
 * already, so the walk parses nothing more). Best effort: without it the
 * verification walks the upload itself, and a walk that fails here (a
 * limit) fails there too and is judged there.
 */
static void
refs_of(struct pdf_doc *doc, struct pdf_normalized *out)
{
	struct pdf_refs refs;
	struct sp_errinfo ign;

	sp_errinfo_init(&ign);
	if (pdf_refs_init(doc, &refs, &ign) == SP_OK) {
		/* qpdf's writer drops a dictionary's null values, a reference to a missing
		   object among them: the copy names no object it lacks in a dictionary */
		refs.no_hidden = 1;
		if (pdf_refs_export(&refs, &out->refs, &out->nrefs, &ign) != SP_OK) {
			out->refs = NULL;
			out->nrefs = 0;
		}
	}
	pdf_refs_cleanup(&refs);
}

/* Its page objects, likewise (best effort: without them completion walks the tree). */
static void
pages_of(struct pdf_doc *doc, struct pdf_normalized *out)
{
	struct sp_errinfo ign;

	sp_errinfo_init(&ign);
	if (pdf_doc_page_objs(doc, &out->page_objs, &out->npage_objs, &ign) != SP_OK) {
		out->page_objs = NULL;
		out->npage_objs = 0;
	}
}

/* Its form's facts, likewise (best effort: without them the first prepare walks the form). */
static void
form_of(struct pdf_doc *doc, struct pdf_normalized *out)
{
	struct sp_errinfo ign;

	sp_errinfo_init(&ign);
	if (pdf_doc_form_export(doc, out->sha256, &out->form, &out->form_len, &ign) != SP_OK) {
		out->form = NULL;
		out->form_len = 0;
	}
}

/*
 * 1 when the file ends as a whole one does: with a %%EOF after which nothing
 * starts another revision (an object, an xref table or trailer), found
 * anywhere, not only in the last KiB where startxref is looked for: a web
 * application may append its page to a download, a writer may leave out
 * startxref; qpdf reconstructs such a file and the rewrite repairs it. A
 * revision begun after the last %%EOF that has none of its own is an update
 * cut short.
 */
static int
has_end(const unsigned char *data, size_t len)
{
	static const char *const starts[] = { "obj", "xref", "trailer" };
	size_t i, k, rest;

	for (i = len >= 5 ? len - 5 + 1 : 0; i-- > 0;)
		if (memcmp(data + i, "%%EOF", 5) == 0)
			break;
	if (i == (size_t)-1)
		return 0;
	rest = len - (i + 5);
	for (k = 0; k < sizeof(starts) / sizeof(starts[0]); k++)
		if (memmem(data + i + 5, rest, starts[k], strlen(starts[k])) != NULL)
			return 0;
	return 1;
}

/*
 * Where %PDF- starts: within the first 1024 bytes, as viewers and qpdf accept
 * it (ISO 32000-1 Annex H.3), offsets in the file then counting from there;
 * -1 when it is not there.
 */
static long
header_at(const unsigned char *data, size_t len)
{
	const unsigned char *h = memmem(data, len < 1024 ? len : 1024, "%PDF-", 5);

	return h != NULL ? (long)(h - data) : -1;
}

/* pdf_revisions_reads_check() of the file's revisions (a broken chain opens none) */
static int
reads_check(const unsigned char *data, size_t len, struct sp_errinfo *ei)
{
	struct pdf_revision *revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs));
	struct sp_errinfo ign;
	size_t n = 0;
	int r = SP_OK;

	if (revs == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	sp_errinfo_init(&ign);
	if (pdf_revisions_find(data, len, revs, PDF_REVISIONS_MAX, &n, &ign) == SP_OK)
		r = pdf_revisions_reads_check(data, len, revs, n, ei);
	free(revs);
	return r;
}

int
pdf_upload_normalize(const unsigned char *data, size_t len, struct pdf_normalized *out,
		     struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL, *again = NULL;
	struct pdf_doc_info info;
	struct page_list pl = { NULL, 0 };
	unsigned char *copy = NULL;
	size_t copylen = 0;
	unsigned int dlen = 0;
	EVP_MD_CTX *fin = NULL;
	int r = SP_ERR_INTERNAL, na;
	long at;

	memset(out, 0, sizeof(*out));
	if (data == NULL || len == 0) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable", "the upload is empty");
		goto out;
	}
	if ((at = header_at(data, len)) < 0) {
		/* qpdf would search further for a header and reconstruct what it finds */
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				  "the upload is not a PDF (no %%PDF- header at its start)");
		goto out;
	}
	if ((r = pdf_doc_open(data, len, &doc, ei)) != SP_OK)
		goto out;
	pdf_doc_info_get(doc, &info);
	/*
	 * Bytes before the header (a gateway's or server's header, a byte order
	 * mark) go with the rewrite an unsigned upload gets anyway. A signed file
	 * cannot be rewritten, nor kept: readers count its cross-reference offsets
	 * from the header (qpdf, poppler) but poppler its signatures' byte ranges
	 * from the file's start, writers either way, so its revisions do not read
	 * the same everywhere, and our update would have to pick one.
	 */
	if (at > 0 && info.nsigned > 0) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable",
				  "the signed PDF has %ld bytes before its %%PDF- header: its "
				  "signatures' byte ranges do not read the same in every "
				  "validator, and it cannot be rewritten without breaking them",
				  at);
		goto out;
	}
	/*
	 * A damaged file whose end is there (cross-reference offsets off, as careless
	 * writers leave them; viewers repair it silently) is repaired by the rewrite
	 * an unsigned upload gets anyway: everyone signs and sees what it wrote. One
	 * without its end may be cut short, and a signed one cannot be rewritten.
	 */
	if (info.damaged && (info.nsigned > 0 || !has_end(data, len))) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  info.nsigned > 0
					  ? "the signed PDF is damaged (qpdf had to repair it, or "
					    "guess at a trailer) and cannot be rewritten without "
					    "breaking its signatures"
					  : "the PDF has no end-of-file marker: it may be cut "
					    "short; "
					    "export it again from its source");
		goto out;
	}
	/* an encrypted upload is stored to be signed: one whose /P forbids that is refused now */
	if ((r = pdf_crypt_may_sign(doc->crypt, "signing", ei)) != SP_OK)
		goto out;
	out->repaired = info.damaged != 0 || info.header > 0;
	/* kept as it is, its revisions are what every verification of it opens: one
	   that would read too much is refused now, not at each verification (sec36) */
	if (info.nsigned > 0 && (r = reads_check(data, len, ei)) != SP_OK)
		goto out;
	if ((r = page_list_of(doc, &pl, ei)) != SP_OK ||
	    (info.nsigned > 0 && (r = actions_refused(doc, &pl, ei)) != SP_OK))
		goto out;
	if (info.nsigned > 0) {
		if ((copy = malloc(len)) == NULL) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(copy, data, len);
		copylen = len;
		out->kept = 1;
		out->pages = pdf_doc_page_count(doc);
		pages_of(doc, out);
	} else {
		/*
		 * What is signed must read the same in every viewer: a dynamic XFA form
		 * shows Adobe's viewers a form and every other one a placeholder page;
		 * a static one's XFA would have Adobe's ignore the signature fields
		 * added to its AcroForm, so it is dropped and the form is a plain one.
		 */
		int xfa;
		if ((r = pdf_form_xfa_check(doc, &xfa, ei)) != SP_OK)
			goto out;
		out->xfa_removed = xfa == 1;
		/*
		 * A form that asks viewers to draw its fields would have Adobe Reader
		 * and poppler draw none of the seals signed into it. Its fields'
		 * appearances are what every other viewer and every printout shows
		 * already: the key goes with the rewrite. A field with a value but
		 * no appearance would lose what it shows with the key, and we do not
		 * draw forms' fields (a CJK value needs the author's fonts): refused.
		 */
		if ((r = pdf_form_drawn_check(doc, &na, ei)) != SP_OK)
			goto out;
		if ((r = rewrite(data, len, out->xfa_removed, na == 1, &pl, &out->actions_removed,
				 &copy, &copylen, ei)) != SP_OK)
			goto out;
		/* Read back what we store: it must open cleanly as the signing step will. */
		if ((r = pdf_doc_open(copy, copylen, &again, ei)) != SP_OK) {
			sp_errinfo_prefix(ei, "the rewritten PDF");
			goto out;
		}
		out->pages = pdf_doc_page_count(again);
		refs_of(again, out);
		pages_of(again, out);
	}
	if (out->pages <= 0) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_unreadable", "the PDF has no pages");
		goto out;
	}
	/* the digest through a copy of the state, which is kept going (sha256_state) */
	if ((out->sha256_state = EVP_MD_CTX_new()) == NULL || (fin = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(out->sha256_state, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(out->sha256_state, copy, copylen) != 1 ||
	    EVP_MD_CTX_copy_ex(fin, out->sha256_state) != 1 ||
	    EVP_DigestFinal_ex(fin, out->sha256, &dlen) != 1 || dlen != 32) {
		r = sp_err(ei, SP_ERR_CRYPTO, "SHA-256 failed");
		goto out;
	}
	form_of(again != NULL ? again : doc, out);
	out->data = copy;
	copy = NULL; /* transferred */
	out->len = copylen;
	r = SP_OK;
out:
	if (r != SP_OK)
		pdf_normalized_cleanup(out);
	free(copy);
	free(pl.objs);
	EVP_MD_CTX_free(fin);
	pdf_doc_free(again);
	pdf_doc_free(doc);
	return r;
}

void
pdf_normalized_cleanup(struct pdf_normalized *n)
{
	if (n == NULL)
		return;
	free(n->data);
	free(n->refs);
	free(n->page_objs);
	free(n->form);
	EVP_MD_CTX_free(n->sha256_state);
	memset(n, 0, sizeof(*n));
}
