/*
 * xref.c: the incremental writer. The new file is the original bytes
 * followed by new objects, an xref section of the same kind as the previous
 * revision (classic table or /Type /XRef stream) and a trailer chained with
 * /Prev; nothing before the original's end is ever touched.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "pdf_int.h"

#define UPDATE_MAX ((size_t)256 * 1024 * 1024)

static int
init(struct pdfw *w, const struct pdf_doc *doc, int copy, struct sp_errinfo *ei)
{
	int r;

	memset(w, 0, sizeof(*w));
	sp_buf_init(&w->b, (copy ? doc->len : 0) + UPDATE_MAX);
	w->next = (int)doc->info.size;
	/* what is added to an encrypted file is encrypted with its key (a view has none:
	   it is never written to) */
	if (qpdf_is_encrypted(doc->q) && doc->crypt == NULL)
		return sp_err_reason(ei, SP_ERR_UNSUPPORTED, "pdf_encrypted",
				     "the PDF is encrypted and was opened to be read only");
	w->crypt = doc->crypt;
	/* the file's offsets count from its header: ours, written from byte 0, would not
	   (the upload rewrites such a file; a signed one is refused) */
	if (doc->info.header > 0)
		return sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				     "the PDF has %zu bytes before its %%PDF- header; it cannot "
				     "be updated incrementally",
				     doc->info.header);
	if (copy && (r = sp_buf_add(&w->b, doc->data, doc->len)) < 0)
		return sp_err(ei, r, "out of memory copying the PDF");
	if (!copy)
		w->base = doc->len;
	/* An update starts on a new line; the original stays an exact prefix. */
	if (doc->data[doc->len - 1] != '\n' && doc->data[doc->len - 1] != '\r')
		if ((r = sp_buf_add(&w->b, "\n", 1)) < 0)
			return sp_err(ei, r, "out of memory");
	return SP_OK;
}

int
pdfw_init(struct pdfw *w, const struct pdf_doc *doc, struct sp_errinfo *ei)
{
	return init(w, doc, 1, ei);
}

/* The original is the caller's already (a stored revision): copying it only to append
   was a whole file's memcpy (and fresh pages) per prepare. */
int
pdfw_init_update(struct pdfw *w, const struct pdf_doc *doc, struct sp_errinfo *ei)
{
	return init(w, doc, 0, ei);
}

size_t
pdfw_off(const struct pdfw *w)
{
	return w->base + w->b.len;
}

void
pdfw_cleanup(struct pdfw *w)
{
	if (!w)
		return;
	sp_buf_cleanup(&w->b);
	free(w->x);
	memset(w, 0, sizeof(*w));
}

int
pdfw_alloc(struct pdfw *w)
{
	return w->next++;
}

void
pdfw_okey(const struct pdfw *w, int num, int gen, struct pdf_okey *k)
{
	pdf_crypt_objkey(w->crypt, num, gen, k);
}

int
pdfw_begin(struct pdfw *w, int num, int gen, struct sp_errinfo *ei)
{
	size_t i;

	for (i = 0; i < w->nx; i++)
		if (w->x[i].num == num)
			return sp_err(ei, SP_ERR_UNSUPPORTED,
				      "object %d would be written twice in one update (shared "
				      "/Annots?)",
				      num);
	if (w->nx == w->capx) {
		size_t nc = w->capx ? w->capx * 2 : 64;
		struct pdfw_xent *nv = realloc(w->x, nc * sizeof(*nv));
		if (!nv)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		w->x = nv;
		w->capx = nc;
	}
	w->x[w->nx].num = num;
	w->x[w->nx].gen = gen;
	w->x[w->nx].off = pdfw_off(w);
	w->nx++;
	if (sp_buf_printf(&w->b, "%d %d obj\n", num, gen) < 0)
		return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	return SP_OK;
}

int
pdfw_end(struct pdfw *w)
{
	return sp_buf_addstr(&w->b, "\nendobj\n");
}

int
pdfw_stream(struct pdfw *w, int num, const char *dict_body, const unsigned char *data, size_t len,
	    struct sp_errinfo *ei)
{
	struct pdf_okey k;
	unsigned char *e = NULL;
	int r;

	if ((r = pdfw_begin(w, num, 0, ei)) < 0)
		return r;
	/* none of the streams we write is metadata: EncryptMetadata false spares none */
	pdfw_okey(w, num, 0, &k);
	if (k.m[1] != PDF_CM_NONE) {
		if ((r = pdf_crypt_encrypt(&k, 1, data, len, &e, &len)) < 0)
			return sp_err(ei, r, "encrypting stream %d failed", num);
		data = e;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	r = SP_OK;
	if (sp_buf_printf(&w->b, "<<%s /Length %zu>>\nstream\n", dict_body, len) < 0 ||
	    sp_buf_add(&w->b, data, len) < 0 || sp_buf_addstr(&w->b, "\nendstream") < 0 ||
	    pdfw_end(w) < 0)
		r = sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	free(e);
	return r;
}

static int
cmp_xent(const void *a, const void *b)
{
	const struct pdfw_xent *x = a, *y = b;
	return (x->num > y->num) - (x->num < y->num);
}

/*
 * /Root, /Encrypt, /Info, /ID and /Prev, shared by both trailer kinds (the
 * trailer and an xref stream are never encrypted: their strings as read).
 */
static int
trailer_keys(struct sp_buf *b, const struct pdf_doc *doc, int size)
{
	qpdf_oh id, info;
	int r;

	if ((r = sp_buf_printf(b, "/Size %d /Root %d %d R", size, doc->info.root_obj,
			       doc->info.root_gen)) < 0)
		return r;
	/* /Info as it was: usually a reference, rarely a direct dictionary. */
	info = qpdf_oh_get_key(doc->q, qpdf_get_trailer(doc->q), "/Info");
	if ((qpdf_oh_is_indirect(doc->q, info) || qpdf_oh_is_dictionary(doc->q, info)) &&
	    ((r = sp_buf_addstr(b, " /Info ")) < 0 || (r = pdfw_obj(b, doc->q, info, NULL, 0)) < 0))
		return r;
	/* the same /Encrypt (ISO 32000-2 §7.6.1: an update keeps the file's encryption) */
	if (doc->crypt != NULL &&
	    ((r = sp_buf_addstr(b, " /Encrypt ")) < 0 ||
	     (r = pdfw_obj(b, doc->q, qpdf_oh_get_key(doc->q, qpdf_get_trailer(doc->q), "/Encrypt"),
			   NULL, 0)) < 0))
		return r;
	if (doc->info.has_id) {
		id = qpdf_oh_get_key(doc->q, qpdf_get_trailer(doc->q), "/ID");
		if ((r = sp_buf_addstr(b, " /ID ")) < 0 ||
		    (r = pdfw_obj(b, doc->q, id, NULL, 0)) < 0)
			return r;
	}
	return sp_buf_printf(b, " /Prev %lld", doc->info.startxref);
}

static int
subsections(struct sp_buf *b, const struct pdfw_xent *x, size_t n, int table)
{
	size_t i = 0, j;
	int r;

	while (i < n) {
		for (j = i + 1; j < n && x[j].num == x[j - 1].num + 1; j++)
			;
		if (table) {
			if ((r = sp_buf_printf(b, "%d %zu\n", x[i].num, j - i)) < 0)
				return r;
			for (; i < j; i++)
				if ((r = sp_buf_printf(b, "%010zu %05d n \n", x[i].off, x[i].gen)) <
				    0)
					return r;
		} else {
			if ((r = sp_buf_printf(b, "%s%d %zu", b->len ? " " : "", x[i].num, j - i)) <
			    0)
				return r;
			i = j;
		}
	}
	return SP_OK;
}

static int
finish_table(struct pdfw *w, const struct pdf_doc *doc, int size)
{
	size_t start = pdfw_off(w);
	int r;

	if ((r = sp_buf_addstr(&w->b, "xref\n")) < 0 ||
	    (r = subsections(&w->b, w->x, w->nx, 1)) < 0 ||
	    (r = sp_buf_addstr(&w->b, "trailer\n<<")) < 0 ||
	    (r = trailer_keys(&w->b, doc, size)) < 0 ||
	    (r = sp_buf_printf(&w->b, ">>\nstartxref\n%zu\n%%%%EOF\n", start)) < 0)
		return r;
	return SP_OK;
}

static int
finish_stream(struct pdfw *w, const struct pdf_doc *doc, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, num = pdfw_alloc(w), size = w->next;
	struct sp_buf idx, dict;
	unsigned char *raw = NULL, *z = NULL;
	size_t zlen = 0, i, start = pdfw_off(w);

	sp_buf_init(&idx, 1 << 20);
	sp_buf_init(&dict, 1 << 20);
	if (start > 0xffffffffu) {
		r = sp_err(ei, SP_ERR_TOO_LARGE, "file too large for a /W [1 4 2] xref stream");
		goto out;
	}
	/* The xref stream lists itself (pdfw_begin records its offset). */
	if ((r = pdfw_begin(w, num, 0, ei)) < 0)
		goto out;
	qsort(w->x, w->nx, sizeof(*w->x), cmp_xent);
	if (!(raw = malloc(w->nx * 7))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < w->nx; i++) {
		unsigned char *e = raw + 7 * i;
		size_t off = w->x[i].off;
		e[0] = 1;
		sp_store_be32(e + 1, (uint32_t)off);
		sp_store_be16(e + 5, (uint16_t)w->x[i].gen);
	}
	if ((r = pdf_zlib_compress(raw, 7 * w->nx, &z, &zlen, ei)) < 0)
		goto out;
	if (subsections(&idx, w->x, w->nx, 0) < 0 ||
	    sp_buf_printf(&dict, "<</Type /XRef /W [1 4 2] /Index [%s] /Filter /FlateDecode ",
			  (const char *)idx.data) < 0 ||
	    trailer_keys(&dict, doc, size) < 0 ||
	    sp_buf_printf(&dict, " /Length %zu>>\nstream\n", zlen) < 0 ||
	    sp_buf_add(&w->b, dict.data, dict.len) < 0 || sp_buf_add(&w->b, z, zlen) < 0 ||
	    sp_buf_printf(&w->b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", start) < 0) {
		r = sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
		goto out;
	}
	r = SP_OK;
out:
	free(raw);
	free(z);
	sp_buf_cleanup(&idx);
	sp_buf_cleanup(&dict);
	return r;
}

int
pdfw_finish(struct pdfw *w, const struct pdf_doc *doc, struct sp_errinfo *ei)
{
	int size;

	if (doc->info.xref_kind == PDF_XREF_STREAM)
		return finish_stream(w, doc, ei);
	qsort(w->x, w->nx, sizeof(*w->x), cmp_xent);
	size = w->next;
	if (finish_table(w, doc, size) < 0)
		return sp_err(ei, SP_ERR_TOO_LARGE, "incremental update too large");
	return SP_OK;
}

struct pdf_sha256 {
	EVP_MD_CTX *c; /* after data[0..len) */
	const unsigned char *data;
	size_t len;
};

int
pdf_sha256_new(const unsigned char *data, size_t len, struct pdf_sha256 **out,
	       unsigned char digest[32], struct sp_errinfo *ei)
{
	return pdf_sha256_resume(data, len, NULL, 0, out, digest, ei);
}

int
pdf_sha256_resume(const unsigned char *data, size_t len, const EVP_MD_CTX *start, size_t start_len,
		  struct pdf_sha256 **out, unsigned char digest[32], struct sp_errinfo *ei)
{
	struct pdf_sha256 *h = NULL;
	EVP_MD_CTX *peek = NULL;
	unsigned int n = 0;
	int r = SP_ERR_CRYPTO;

	*out = NULL;
	if (start == NULL)
		start_len = 0;
	if (start_len > len)
		return sp_err(ei, SP_ERR_INTERNAL, "a digest state past the bytes");
	if (!(h = calloc(1, sizeof(*h)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!(h->c = EVP_MD_CTX_new()) || !(peek = EVP_MD_CTX_new()) ||
	    !(start != NULL ? EVP_MD_CTX_copy_ex(h->c, start) == 1 &&
				      EVP_MD_is_a(EVP_MD_CTX_get0_md(start), "SHA256")
			    : EVP_DigestInit_ex(h->c, EVP_sha256(), NULL) == 1) ||
	    (len > start_len && !EVP_DigestUpdate(h->c, data + start_len, len - start_len)) ||
	    !EVP_MD_CTX_copy_ex(peek, h->c) || !EVP_DigestFinal_ex(peek, digest, &n) || n != 32) {
		r = sp_err(ei, SP_ERR_CRYPTO, "SHA-256 failed");
		goto out;
	}
	h->data = data;
	h->len = len;
	*out = h;
	h = NULL; /* transferred */
	r = SP_OK;
out:
	EVP_MD_CTX_free(peek);
	pdf_sha256_free(h);
	return r;
}

void
pdf_sha256_free(struct pdf_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->c);
	free(h);
}

/*
 * md over orig[0..olen) then upd less the gap [a, b); *base (unless NULL)
 * after orig. start (NULL: none) is SHA-256's state after orig already.
 */
static int
digest_one(const char *name, const unsigned char *orig, size_t olen, const unsigned char *upd,
	   size_t ulen, size_t a, size_t b, const EVP_MD_CTX *start, unsigned char out[32],
	   unsigned char base[32], struct sp_errinfo *ei)
{
	int r = SP_ERR_CRYPTO;
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	EVP_MD_CTX *c = EVP_MD_CTX_new(), *peek = base ? EVP_MD_CTX_new() : NULL;
	unsigned int n = 0;

	if (!md || !c || (base && !peek) || EVP_MD_get_size(md) != 32) {
		r = sp_err(ei, SP_ERR_CRYPTO, "digest %s is not available", name);
		goto out;
	}
	if (start != NULL ? !EVP_MD_CTX_copy_ex(c, start)
			  : (!EVP_DigestInit_ex(c, md, NULL) ||
			     (olen > 0 && !EVP_DigestUpdate(c, orig, olen)))) {
		r = sp_err(ei, SP_ERR_CRYPTO, "digest %s failed", name);
		goto out;
	}
	if ((base && (!EVP_MD_CTX_copy_ex(peek, c) || !EVP_DigestFinal_ex(peek, base, &n))) ||
	    !EVP_DigestUpdate(c, upd, a - olen) ||
	    !EVP_DigestUpdate(c, upd + (b - olen), ulen - (b - olen)) ||
	    !EVP_DigestFinal_ex(c, out, &n)) {
		r = sp_err(ei, SP_ERR_CRYPTO, "digest %s failed", name);
		goto out;
	}
	r = SP_OK;
out:
	EVP_MD_CTX_free(peek);
	EVP_MD_CTX_free(c);
	EVP_MD_free(md);
	return r;
}

int
pdfw_digest(const unsigned char *orig, size_t olen, const struct pdf_sha256 *known,
	    const unsigned char *upd, size_t ulen, size_t a, size_t b, unsigned char sha256[32],
	    unsigned char sm3[32], unsigned char base_sha256[32], struct sp_errinfo *ei)
{
	const EVP_MD_CTX *start = NULL;
	unsigned int n = 0;
	EVP_MD_CTX *peek = NULL;
	int r;

	if (a < olen || a > b || b - olen > ulen)
		return sp_err(ei, SP_ERR_INTERNAL, "byte range out of order");
	/* a state taken over these very bytes (the same buffer, the same length) */
	if (known != NULL && orig != NULL && known->data == orig && known->len == olen)
		start = known->c;
	if (sha256 != NULL && (r = digest_one("SHA256", orig, olen, upd, ulen, a, b, start, sha256,
					      base_sha256, ei)) < 0)
		return r;
	if (sm3 != NULL &&
	    (r = digest_one("SM3", orig, olen, upd, ulen, a, b, NULL, sm3, NULL, ei)) < 0)
		return r;
	/* the signature's digest is SM3: the original's SHA-256 on its own */
	if (sha256 == NULL && base_sha256 != NULL && start != NULL) {
		r = SP_OK;
		if (!(peek = EVP_MD_CTX_new()) || !EVP_MD_CTX_copy_ex(peek, start) ||
		    !EVP_DigestFinal_ex(peek, base_sha256, &n))
			r = sp_err(ei, SP_ERR_CRYPTO, "digest SHA256 failed");
		EVP_MD_CTX_free(peek);
		return r;
	}
	if (sha256 == NULL && base_sha256 != NULL &&
	    (r = digest_one("SHA256", NULL, 0, orig, olen, olen, olen, NULL, base_sha256, NULL,
			    ei)) < 0)
		return r;
	return SP_OK;
}
