/*
 * dss.c: the document security store (ISO 32000-2 §12.8.4.3, ETSI EN 319
 * 142-1 §5.4): reading /DSS (its items and /VRI entries, a read packed to
 * be handed on) and the /VRI key of a signature. dss_write.c writes the
 * next version of it. Only the DSS dictionary (or, for the first DSS, the
 * catalog) and new objects change, which the difference analysis allows
 * after a signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dss_int.h"
#include "pdf_int.h"
#include "text_int.h"

const char *const dss_kinds[3] = { "/Certs", "/OCSPs", "/CRLs" };
const char *const dss_vri_kinds[3] = { "/Cert", "/OCSP", "/CRL" };

void
pdf_dss_cleanup(struct pdf_dss *d)
{
	size_t k;

	if (!d)
		return;
	for (k = 0; k < 3; k++) {
		pdf_blobs_free(d->item[k], d->n[k]);
		free(d->obj[k]);
		free(d->gen[k]);
		free(d->plain[k]);
	}
	free(d->vri);
	free(d->vri_obj);
	free(d->vri_gen);
	memset(d, 0, sizeof(*d));
}

/*
 * The decoded bytes of an array item, or SP_ERR_PDF. text_stream_data()
 * inflates with a cap itself: a deflate bomb in a hostile DSS costs no more
 * than its cap, and an item over DSS_BLOB_MAX is no evidence anyway.
 */
static int
stream_bytes(struct pdf_doc *doc, qpdf_oh s, unsigned char **out, size_t *len)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (text_stream_data(doc, s, out, len, &ei) != SP_OK)
		return SP_ERR_PDF;
	if (*len == 0 || *len > DSS_BLOB_MAX) {
		free(*out);
		*out = NULL;
		*len = 0;
		return SP_ERR_PDF;
	}
	return SP_OK;
}

/*
 * 1 when stream s's dictionary refers to no other object: its unparsed
 * text (not resolved) holds no "N G R", which every reference, however
 * deep, is written as (a string that holds " R" only makes this say 0).
 */
static int
dict_plain(qpdf_data q, qpdf_oh s)
{
	const char *t = qpdf_oh_unparse(q, qpdf_oh_get_dict(q, s));

	return t != NULL && strstr(t, " R") == NULL;
}

static int
cmp_num(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * The item of known that doc's item (num, gen) may be taken as (see
 * pdf_dss_read_known), or NULL.
 */
static const struct pdf_blob *
known_item(const struct pdf_dss *known, long long size, const int *later, size_t nlater, int num,
	   int gen, unsigned char *plain)
{
	size_t k, j;

	if (known == NULL || num <= 0 || num >= size || num >= known->size ||
	    (nlater > 0 && bsearch(&num, later, nlater, sizeof(*later), cmp_num) != NULL))
		return NULL;
	for (k = 0; k < 3; k++)
		for (j = 0; j < known->n[k]; j++)
			if (known->obj[k][j] == num && known->gen[k][j] == gen &&
			    known->plain[k][j]) {
				*plain = 1;
				return &known->item[k][j];
			}
	return NULL;
}

/* d's copy in out, field for field (through pdf_dss_pack). */
static int
dss_copy(const struct pdf_dss *d, struct pdf_dss *out)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pdf_dss_pack(d, &p, &n)) == SP_OK)
		r = pdf_dss_unpack(p, n, out);
	free(p);
	return r == SP_OK ? SP_OK : SP_ERR_NOMEM;
}

/*
 * 1 when doc's DSS reads as known, a closed read of a prefix of doc's bytes
 * (pdf_dss_read_known): doc's catalog names the same object (dss, the
 * catalog's value, unresolved), and no section after the prefix lists it,
 * an item of it, a /VRI value of it or an object stream of the prefix
 * (which could hold the DSS dictionary): then the DSS dictionary and every
 * object it was read through are the same bytes at the same offsets.
 */
static int
same_dss(struct pdf_doc *doc, qpdf_oh dss, const struct pdf_dss *known, const int *later,
	 size_t nlater)
{
	qpdf_data q = doc->q;
	size_t k, j;

	if (!known->closed || !known->present || known->dss_obj <= 0 ||
	    known->dss_obj >= known->size || !qpdf_oh_is_indirect(q, dss) ||
	    qpdf_oh_get_object_id(q, dss) != known->dss_obj ||
	    qpdf_oh_get_generation(q, dss) != known->dss_gen)
		return 0;
	if (nlater == 0)
		return 1;
	if (bsearch(&known->dss_obj, later, nlater, sizeof(*later), cmp_num) != NULL)
		return 0;
	for (k = 0; k < 3; k++)
		for (j = 0; j < known->n[k]; j++)
			if (known->obj[k][j] <= 0 || known->obj[k][j] >= known->size ||
			    bsearch(&known->obj[k][j], later, nlater, sizeof(*later), cmp_num))
				return 0;
	/* a /VRI value too: a key whose value is null (a freed object) is not listed */
	for (j = 0; j < known->nvri && known->vri_obj != NULL; j++)
		if (known->vri_obj[j] > 0 &&
		    bsearch(&known->vri_obj[j], later, nlater, sizeof(*later), cmp_num))
			return 0;
	for (j = 0; j < nlater; j++)
		if (later[j] > 0 && later[j] < known->size && pdf_obj_is_objstm(doc, later[j]))
			return 0;
	return 1;
}

/* 1 when the 40 characters at key are uppercase hex digits. */
static int
upper_hex(const char *key)
{
	return strspn(key, "0123456789ABCDEF") >= 40;
}

/* The keys of the DSS's /VRI dictionary vri into out, with their values' references. */
static int
vri_read(qpdf_data q, qpdf_oh vri, struct pdf_dss *out, struct sp_errinfo *ei)
{
	size_t cap = 0;
	int i;

	qpdf_oh_begin_dict_key_iter(q, vri);
	while (qpdf_oh_dict_more_keys(q)) {
		const char *key = qpdf_oh_dict_next_key(q);
		qpdf_oh v;
		if (!key || strlen(key) != 41) {
			out->vri_refs = 0; /* written again as it is */
			continue;
		}
		if (out->nvri == cap) {
			char(*nv)[41];
			int *no, *ng;
			if (cap >= DSS_ITEMS_MAX)
				return sp_err(ei, SP_ERR_LIMIT, "too many /VRI entries");
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(out->vri, cap * sizeof(*nv))))
				return sp_err(ei, SP_ERR_NOMEM, "out of memory");
			out->vri = nv;
			if (!(no = realloc(out->vri_obj, cap * sizeof(*no))))
				return sp_err(ei, SP_ERR_NOMEM, "out of memory");
			out->vri_obj = no;
			if (!(ng = realloc(out->vri_gen, cap * sizeof(*ng))))
				return sp_err(ei, SP_ERR_NOMEM, "out of memory");
			out->vri_gen = ng;
		}
		if (!upper_hex(key + 1))
			out->vri_refs = 0;
		/* keys are compared upper case: some writers use lower case hex */
		for (i = 0; i < 40; i++) {
			char c = key[i + 1];
			out->vri[out->nvri][i] = (char)(c >= 'a' && c <= 'f' ? c - 32 : c);
		}
		out->vri[out->nvri][40] = '\0';
		/* the value's reference, not resolved */
		v = qpdf_oh_get_key(q, vri, key);
		out->vri_obj[out->nvri] =
			qpdf_oh_is_indirect(q, v) ? qpdf_oh_get_object_id(q, v) : 0;
		out->vri_gen[out->nvri] =
			qpdf_oh_is_indirect(q, v) ? qpdf_oh_get_generation(q, v) : 0;
		if (out->vri_obj[out->nvri] <= 0)
			out->vri_refs = 0;
		qpdf_oh_release(q, v);
		out->nvri++;
	}
	return SP_OK;
}

int
pdf_dss_read(struct pdf_doc *doc, struct pdf_dss *out, struct sp_errinfo *ei)
{
	return pdf_dss_read_known(doc, NULL, NULL, 0, out, ei);
}

int
pdf_dss_read_known(struct pdf_doc *doc, const struct pdf_dss *known, const int *later,
		   size_t nlater, struct pdf_dss *out, struct sp_errinfo *ei)
{
	qpdf_data q = doc->q;
	qpdf_oh dss = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/DSS"), arr, vri;
	int r = SP_ERR_INTERNAL, i, n;
	size_t k, total = 0;

	memset(out, 0, sizeof(*out));
	out->size = doc->info.size;
	out->len = doc->len;
	out->encrypted = qpdf_is_encrypted(q) != 0;
	/* an encrypted document's streams read through its trailer's key, which a later
	   update may change: nothing is taken then */
	if (known != NULL && (known->encrypted || out->encrypted || known->size > out->size))
		known = NULL;
	if (known != NULL && same_dss(doc, dss, known, later, nlater)) {
		long long size = out->size;

		if ((r = dss_copy(known, out)) != SP_OK) {
			r = sp_err(ei, r, "out of memory");
			goto out;
		}
		out->size = size;
		out->len = doc->len;
		goto out;
	}
	out->vri_refs = 1;
	if (!qpdf_oh_is_dictionary(q, dss)) {
		r = SP_OK; /* no DSS */
		goto out;
	}
	out->present = 1;
	out->dss_obj = qpdf_oh_is_indirect(q, dss) ? qpdf_oh_get_object_id(q, dss) : 0;
	out->dss_gen = qpdf_oh_is_indirect(q, dss) ? qpdf_oh_get_generation(q, dss) : 0;
	out->closed = out->dss_obj > 0 && !out->encrypted;
	for (k = 0; k < 3; k++) {
		arr = qpdf_oh_get_key(q, dss, dss_kinds[k]);
		/* an indirect array, or anything but an array, is read through more objects */
		if (qpdf_oh_is_indirect(q, arr) ||
		    (!qpdf_oh_is_null(q, arr) && !qpdf_oh_is_array(q, arr)))
			out->closed = 0;
		n = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0;
		if (n > DSS_ITEMS_MAX) {
			r = sp_err(ei, SP_ERR_LIMIT, "the DSS holds more than %d %s", DSS_ITEMS_MAX,
				   dss_kinds[k] + 1);
			goto out;
		}
		if (n == 0)
			continue;
		if (!(out->item[k] = calloc((size_t)n, sizeof(*out->item[k]))) ||
		    !(out->obj[k] = calloc((size_t)n, sizeof(*out->obj[k]))) ||
		    !(out->gen[k] = calloc((size_t)n, sizeof(*out->gen[k]))) ||
		    !(out->plain[k] = calloc((size_t)n, 1))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < n; i++) {
			qpdf_oh s = qpdf_oh_get_array_item(q, arr, i);
			struct pdf_blob *b = &out->item[k][out->n[k]];
			const struct pdf_blob *kb;
			unsigned char plain = 0;
			/* an entry skipped, or not plain, is read again by a read of its own */
			out->closed = out->closed && qpdf_oh_is_indirect(q, s);
			if (!qpdf_oh_is_indirect(q, s))
				continue;
			/* the same object as known's, unresolved: its bytes as known read them */
			if ((kb = known_item(known, out->size, later, nlater,
					     qpdf_oh_get_object_id(q, s),
					     qpdf_oh_get_generation(q, s), &plain)) != NULL) {
				if (!(b->data = malloc(kb->len))) {
					r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
					goto out;
				}
				memcpy(b->data, kb->data, kb->len);
				b->len = kb->len;
			} else if (!qpdf_oh_is_stream(q, s) ||
				   stream_bytes(doc, s, &b->data, &b->len) != SP_OK) {
				/* an entry that is not a readable stream is skipped: it proves
				   nothing */
				out->closed = 0;
				continue;
			} else {
				plain = !out->encrypted && dict_plain(q, s);
			}
			if ((total += b->len) > DSS_TOTAL_MAX) {
				free(b->data);
				b->data = NULL;
				r = sp_err(ei, SP_ERR_LIMIT, "the DSS holds more than %zu bytes",
					   DSS_TOTAL_MAX);
				goto out;
			}
			out->obj[k][out->n[k]] = qpdf_oh_get_object_id(q, s);
			out->gen[k][out->n[k]] = qpdf_oh_get_generation(q, s);
			out->plain[k][out->n[k]] = plain;
			out->n[k]++;
			out->closed = out->closed && plain;
		}
	}
	vri = qpdf_oh_get_key(q, dss, "/VRI");
	if (qpdf_oh_is_indirect(q, vri) ||
	    (!qpdf_oh_is_null(q, vri) && !qpdf_oh_is_dictionary(q, vri)))
		out->closed = out->vri_refs = 0;
	if (qpdf_oh_is_dictionary(q, vri) && (r = vri_read(q, vri, out, ei)) != SP_OK)
		goto out;
	r = SP_OK;
out:
	if (r < 0)
		pdf_dss_cleanup(out);
	return r;
}

/* pdf_dss_pack's layout: "DSS3", present, encrypted, vri_refs, closed, dss_obj, dss_gen,
   size, len, keys_known and three bytes 0, then per kind n and each item's obj, gen, plain,
   len and bytes, then nvri and each key (40) with its value's obj and gen */
#define PACK_MAGIC "DSS3"
#define PACK_HEAD 36
#define PACK_VRI 48

int
pdf_dss_pack(const struct pdf_dss *d, uint8_t **out, size_t *len)
{
	struct sp_buf b;
	unsigned char h[PACK_HEAD], t[13];
	size_t k, j, total = PACK_HEAD + 3 * 4 + 4 + d->nvri * PACK_VRI;

	*out = NULL;
	*len = 0;
	sp_buf_init(&b, SIZE_MAX);
	/* its size at once: the items' bytes (every DSS item, some 3 per signature) are
	   copied once, not again each time a growing buffer doubled */
	for (k = 0; k < 3; k++)
		for (j = 0; j < d->n[k]; j++)
			total += 13 + d->item[k][j].len;
	if (sp_buf_reserve(&b, total) < 0)
		goto nomem;
	memcpy(h, PACK_MAGIC, 4);
	h[4] = (unsigned char)(d->present != 0);
	h[5] = (unsigned char)(d->encrypted != 0);
	h[6] = (unsigned char)(d->vri_refs != 0);
	h[7] = (unsigned char)(d->closed != 0);
	sp_store_be32(h + 8, (uint32_t)d->dss_obj);
	sp_store_be32(h + 12, (uint32_t)d->dss_gen);
	sp_store_be32(h + 16, (uint32_t)((unsigned long long)d->size >> 32));
	sp_store_be32(h + 20, (uint32_t)d->size);
	sp_store_be32(h + 24, (uint32_t)((uint64_t)d->len >> 32));
	sp_store_be32(h + 28, (uint32_t)d->len);
	h[32] = (unsigned char)(d->keys_known != 0);
	h[33] = h[34] = h[35] = 0;
	if (sp_buf_add(&b, h, sizeof(h)) < 0)
		goto nomem;
	for (k = 0; k < 3; k++) {
		sp_store_be32(t, (uint32_t)d->n[k]);
		if (sp_buf_add(&b, t, 4) < 0)
			goto nomem;
		for (j = 0; j < d->n[k]; j++) {
			if (d->item[k][j].len > UINT32_MAX)
				goto nomem;
			sp_store_be32(t, (uint32_t)d->obj[k][j]);
			sp_store_be32(t + 4, (uint32_t)d->gen[k][j]);
			t[8] = d->plain[k][j];
			sp_store_be32(t + 9, (uint32_t)d->item[k][j].len);
			if (sp_buf_add(&b, t, 13) < 0 ||
			    sp_buf_add(&b, d->item[k][j].data, d->item[k][j].len) < 0)
				goto nomem;
		}
	}
	sp_store_be32(t, (uint32_t)d->nvri);
	if (sp_buf_add(&b, t, 4) < 0)
		goto nomem;
	for (j = 0; j < d->nvri; j++) {
		sp_store_be32(t, (uint32_t)(d->vri_obj ? d->vri_obj[j] : 0));
		sp_store_be32(t + 4, (uint32_t)(d->vri_gen ? d->vri_gen[j] : 0));
		if (sp_buf_add(&b, d->vri[j], 40) < 0 || sp_buf_add(&b, t, 8) < 0)
			goto nomem;
	}
	*out = sp_buf_take(&b, len);
	return *out != NULL ? SP_OK : SP_ERR_NOMEM;
nomem:
	sp_buf_cleanup(&b);
	return SP_ERR_NOMEM;
}

/* n bytes at *p of the len left, or NULL */
static const uint8_t *
take(const uint8_t **p, size_t *left, size_t n)
{
	const uint8_t *at = *p;

	if (*left < n)
		return NULL;
	*p += n;
	*left -= n;
	return at;
}

int
pdf_dss_unpack(const uint8_t *p, size_t len, struct pdf_dss *out)
{
	const uint8_t *h;
	size_t k, j, n;
	int r = SP_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	if ((h = take(&p, &len, PACK_HEAD)) == NULL || memcmp(h, PACK_MAGIC, 4) != 0 || h[4] > 1 ||
	    h[5] > 1 || h[6] > 1 || h[7] > 1 || h[32] > 1)
		return SP_ERR_INVALID;
	out->present = h[4];
	out->encrypted = h[5];
	out->vri_refs = h[6];
	out->closed = h[7];
	out->keys_known = h[32];
	out->dss_obj = (int)sp_load_be32(h + 8);
	out->dss_gen = (int)sp_load_be32(h + 12);
	out->size = (long long)((uint64_t)sp_load_be32(h + 16) << 32 | sp_load_be32(h + 20));
	out->len = (size_t)((uint64_t)sp_load_be32(h + 24) << 32 | sp_load_be32(h + 28));
	for (k = 0; k < 3; k++) {
		if ((h = take(&p, &len, 4)) == NULL || (n = sp_load_be32(h)) > DSS_ITEMS_MAX)
			goto out;
		if (n == 0)
			continue;
		if (!(out->item[k] = calloc(n, sizeof(*out->item[k]))) ||
		    !(out->obj[k] = calloc(n, sizeof(*out->obj[k]))) ||
		    !(out->gen[k] = calloc(n, sizeof(*out->gen[k]))) ||
		    !(out->plain[k] = calloc(n, 1))) {
			r = SP_ERR_NOMEM;
			goto out;
		}
		for (j = 0; j < n; j++) {
			struct pdf_blob *b = &out->item[k][j];
			const uint8_t *d;
			size_t bl;

			if ((h = take(&p, &len, 13)) == NULL || h[8] > 1 ||
			    (bl = sp_load_be32(h + 9)) == 0 || (d = take(&p, &len, bl)) == NULL)
				goto out;
			if (!(b->data = malloc(bl))) {
				r = SP_ERR_NOMEM;
				goto out;
			}
			memcpy(b->data, d, bl);
			b->len = bl;
			out->obj[k][j] = (int)sp_load_be32(h);
			out->gen[k][j] = (int)sp_load_be32(h + 4);
			out->plain[k][j] = h[8];
			out->n[k]++;
		}
	}
	if ((h = take(&p, &len, 4)) == NULL || (n = sp_load_be32(h)) > DSS_ITEMS_MAX ||
	    len != n * PACK_VRI)
		goto out;
	if (n > 0 && (!(out->vri = calloc(n, sizeof(*out->vri))) ||
		      !(out->vri_obj = calloc(n, sizeof(*out->vri_obj))) ||
		      !(out->vri_gen = calloc(n, sizeof(*out->vri_gen))))) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	for (j = 0; j < n; j++) {
		memcpy(out->vri[j], p + PACK_VRI * j, 40);
		out->vri[j][40] = '\0';
		out->vri_obj[j] = (int)sp_load_be32(p + PACK_VRI * j + 40);
		out->vri_gen[j] = (int)sp_load_be32(p + PACK_VRI * j + 44);
	}
	out->nvri = n;
	return SP_OK;
out:
	pdf_dss_cleanup(out);
	return r;
}

int
pdf_doc_dss_tell(struct pdf_doc *doc, const struct pdf_dss *dss)
{
	size_t k;

	doc->dss_obj = doc->dss_gen = doc->dss_keys_known = 0;
	/* a closed read (direct arrays of references, every item read) of these very
	   bytes: its counts are the arrays' lengths */
	if (dss == NULL || !dss->present || !dss->closed || dss->encrypted || dss->dss_obj <= 0 ||
	    dss->dss_gen < 0 || dss->len != doc->len || dss->size != doc->info.size ||
	    pdf_doc_damaged(doc))
		return 0;
	for (k = 0; k < 3; k++)
		doc->dss_n[k] = dss->n[k];
	doc->dss_gen = dss->dss_gen;
	doc->dss_keys_known = dss->keys_known;
	doc->dss_obj = dss->dss_obj;
	return 1;
}

int
pdf_dss_has_vri(const struct pdf_dss *d, const char hex[41])
{
	size_t i;

	for (i = 0; i < d->nvri; i++)
		if (memcmp(d->vri[i], hex, 40) == 0)
			return 1;
	return 0;
}

int
pdf_vri_key(const unsigned char *contents, size_t len, char out[41])
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;

	out[0] = '\0';
	if (EVP_Digest(contents, len, h, &hl, EVP_sha1(), NULL) != 1 || hl != 20)
		return SP_ERR_CRYPTO;
	sp_hex_upper(h, 20, out);
	out[40] = '\0';
	return SP_OK;
}
