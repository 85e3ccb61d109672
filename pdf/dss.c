/*
 * dss.c: the document security store (ISO 32000-2 §12.8.4.3, ETSI EN 319
 * 142-1 §5.4): reading /DSS, and writing a new version of it in its own
 * incremental update. The writer keeps what an earlier DSS holds (its
 * streams by reference, its /VRI entries as they are), adds each new
 * certificate, OCSP response and CRL once as a stream, and one /VRI entry
 * per signature keyed by the uppercase hex SHA-1 of its /Contents bytes.
 * Only the DSS dictionary (or, for the first DSS, the catalog) and new
 * objects change, which the difference analysis allows after a signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pdf_int.h"
#include "text_int.h"

#define DSS_ITEMS_MAX 4096
#define DSS_BLOB_MAX ((size_t)16 << 20)
#define DSS_TOTAL_MAX ((size_t)64 << 20)

static const char *const kinds[3] = { "/Certs", "/OCSPs", "/CRLs" };
static const char *const vri_kinds[3] = { "/Cert", "/OCSP", "/CRL" };

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
	out->encrypted = qpdf_is_encrypted(q) != 0;
	/* an encrypted document's streams read through its trailer's key, which a later
	   update may change: nothing is taken then */
	if (known != NULL && (known->encrypted || out->encrypted || known->size > out->size))
		known = NULL;
	if (!qpdf_oh_is_dictionary(q, dss)) {
		r = SP_OK; /* no DSS */
		goto out;
	}
	out->present = 1;
	out->dss_obj = qpdf_oh_is_indirect(q, dss) ? qpdf_oh_get_object_id(q, dss) : 0;
	out->dss_gen = qpdf_oh_is_indirect(q, dss) ? qpdf_oh_get_generation(q, dss) : 0;
	for (k = 0; k < 3; k++) {
		arr = qpdf_oh_get_key(q, dss, kinds[k]);
		n = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0;
		if (n > DSS_ITEMS_MAX) {
			r = sp_err(ei, SP_ERR_LIMIT, "the DSS holds more than %d %s", DSS_ITEMS_MAX,
				   kinds[k] + 1);
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
		}
	}
	vri = qpdf_oh_get_key(q, dss, "/VRI");
	if (qpdf_oh_is_dictionary(q, vri)) {
		size_t cap = 0;
		qpdf_oh_begin_dict_key_iter(q, vri);
		while (qpdf_oh_dict_more_keys(q)) {
			const char *key = qpdf_oh_dict_next_key(q);
			char(*nv)[41];
			if (!key || strlen(key) != 41)
				continue;
			if (out->nvri == cap) {
				if (cap >= DSS_ITEMS_MAX) {
					r = sp_err(ei, SP_ERR_LIMIT, "too many /VRI entries");
					goto out;
				}
				cap = cap ? cap * 2 : 16;
				if (!(nv = realloc(out->vri, cap * sizeof(*nv)))) {
					r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
					goto out;
				}
				out->vri = nv;
			}
			/* keys are compared upper case: some writers use lower case hex */
			for (i = 0; i < 40; i++) {
				char c = key[i + 1];
				out->vri[out->nvri][i] = (char)(c >= 'a' && c <= 'f' ? c - 32 : c);
			}
			out->vri[out->nvri][40] = '\0';
			out->nvri++;
		}
	}
	r = SP_OK;
out:
	if (r < 0)
		pdf_dss_cleanup(out);
	return r;
}

/* pdf_dss_pack's layout: "DSS1", present, encrypted, dss_obj, dss_gen, size, then per
   kind n and each item's obj, gen, plain, len and bytes, then nvri and the keys (40 each) */
#define PACK_MAGIC "DSS1"

int
pdf_dss_pack(const struct pdf_dss *d, uint8_t **out, size_t *len)
{
	struct sp_buf b;
	unsigned char h[22], t[13];
	size_t k, j;

	*out = NULL;
	*len = 0;
	sp_buf_init(&b, SIZE_MAX);
	memcpy(h, PACK_MAGIC, 4);
	h[4] = (unsigned char)(d->present != 0);
	h[5] = (unsigned char)(d->encrypted != 0);
	sp_store_be32(h + 6, (uint32_t)d->dss_obj);
	sp_store_be32(h + 10, (uint32_t)d->dss_gen);
	sp_store_be32(h + 14, (uint32_t)((unsigned long long)d->size >> 32));
	sp_store_be32(h + 18, (uint32_t)d->size);
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
	for (j = 0; j < d->nvri; j++)
		if (sp_buf_add(&b, d->vri[j], 40) < 0)
			goto nomem;
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
	if ((h = take(&p, &len, 22)) == NULL || memcmp(h, PACK_MAGIC, 4) != 0 || h[4] > 1 ||
	    h[5] > 1)
		return SP_ERR_INVALID;
	out->present = h[4];
	out->encrypted = h[5];
	out->dss_obj = (int)sp_load_be32(h + 6);
	out->dss_gen = (int)sp_load_be32(h + 10);
	out->size = (long long)((uint64_t)sp_load_be32(h + 14) << 32 | sp_load_be32(h + 18));
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
	    len != n * 40)
		goto out;
	if (n > 0 && !(out->vri = calloc(n, sizeof(*out->vri)))) {
		r = SP_ERR_NOMEM;
		goto out;
	}
	for (j = 0; j < n; j++) {
		memcpy(out->vri[j], p + 40 * j, 40);
		out->vri[j][40] = '\0';
	}
	out->nvri = n;
	return SP_OK;
out:
	pdf_dss_cleanup(out);
	return r;
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

/* Index of blob b among existing[0..n), or -1. */
static int
find_blob(const struct pdf_blob *existing, size_t n, const struct pdf_blob *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (existing[i].len == b->len && memcmp(existing[i].data, b->data, b->len) == 0)
			return (int)i;
	return -1;
}

struct dss_w {
	const struct pdf_dss *old; /* doc's, as the caller read it */
	int *num[3];               /* object number of each new item (a reused old one, or new) */
	int *gen[3];               /* and generation (0 but for a reused old one) */
	size_t nnew[3];
	struct pdf_okey k; /* the DSS object's keys (old /VRI entries' strings) */
};

static int
oom(struct sp_errinfo *ei)
{
	return sp_err(ei, SP_ERR_TOO_LARGE, "DSS update too large");
}

/* "[a ga R b gb R ...]" of the numbers and generations, without duplicates. */
static int
ref_array(struct sp_buf *b, const int *nums, const int *gens, size_t n)
{
	size_t i, j;

	if (sp_buf_add(b, "[", 1) < 0)
		return SP_ERR_TOO_LARGE;
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && (nums[j] != nums[i] || gens[j] != gens[i]); j++)
			;
		if (j < i)
			continue;
		if (sp_buf_printf(b, "%s%d %d R", i ? " " : "", nums[i], gens[i]) < 0)
			return SP_ERR_TOO_LARGE;
	}
	return sp_buf_add(b, "]", 1);
}

/* The DSS dictionary body: old and new items, old VRI entries, new VRI entries. */
static int
dss_body(struct sp_buf *b, struct pdf_doc *doc, struct dss_w *dw, const struct pdf_dss_add *add)
{
	qpdf_data q = doc->q;
	qpdf_oh dss = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/DSS");
	qpdf_oh vri = qpdf_oh_get_key_if_dict(q, dss, "/VRI");
	int *all = NULL, *allg = NULL, r = SP_ERR_TOO_LARGE;
	size_t k, i, m;

	if (sp_buf_addstr(b, "<</Type /DSS") < 0)
		return SP_ERR_TOO_LARGE;
	for (k = 0; k < 3; k++) {
		if (dw->old->n[k] + dw->nnew[k] == 0)
			continue;
		free(all);
		free(allg);
		allg = NULL;
		if (!(all = calloc(dw->old->n[k] + dw->nnew[k], sizeof(*all))) ||
		    !(allg = calloc(dw->old->n[k] + dw->nnew[k], sizeof(*allg)))) {
			r = SP_ERR_NOMEM;
			goto out;
		}
		m = 0;
		for (i = 0; i < dw->old->n[k]; i++, m++) {
			all[m] = dw->old->obj[k][i];
			allg[m] = dw->old->gen[k] ? dw->old->gen[k][i] : 0;
		}
		for (i = 0; i < dw->nnew[k]; i++, m++) {
			all[m] = dw->num[k][i];
			allg[m] = dw->gen[k][i];
		}
		if (sp_buf_printf(b, "\n%s ", kinds[k]) < 0 || ref_array(b, all, allg, m) < 0)
			goto out;
	}
	if (sp_buf_addstr(b, "\n/VRI <<") < 0)
		goto out;
	if (qpdf_oh_is_dictionary(q, vri)) {
		/* the old entries as they are, except those a new entry replaces */
		char **keys = NULL;
		size_t nk = 0, cap = 0;
		qpdf_oh_begin_dict_key_iter(q, vri);
		while (qpdf_oh_dict_more_keys(q)) {
			const char *key = qpdf_oh_dict_next_key(q);
			if (nk == cap) {
				char **nv;
				cap = cap ? cap * 2 : 16;
				if (cap > DSS_ITEMS_MAX ||
				    !(nv = realloc(keys, cap * sizeof(*nv)))) {
					r = SP_ERR_LIMIT;
					goto keys_out;
				}
				keys = nv;
			}
			if (!(keys[nk] = strdup(key ? key : "/")))
				goto keys_out;
			nk++;
		}
		r = SP_OK;
		for (i = 0; i < nk && r == SP_OK; i++) {
			size_t v;
			for (v = 0; v < add->nvri; v++)
				if (strlen(keys[i]) == 41 && strcmp(keys[i] + 1, add->vri[v]) == 0)
					break;
			if (v < add->nvri)
				continue;
			if (pdfw_name(b, keys[i]) < 0 || sp_buf_add(b, " ", 1) < 0 ||
			    pdfw_obj(b, q, qpdf_oh_get_key(q, vri, keys[i]), &dw->k, 1) < 0 ||
			    sp_buf_add(b, "\n", 1) < 0)
				r = SP_ERR_TOO_LARGE;
		}
keys_out:
		for (i = 0; i < nk; i++)
			free(keys[i]);
		free(keys);
		if (r != SP_OK)
			goto out;
		r = SP_ERR_TOO_LARGE;
	}
	for (i = 0; i < add->nvri; i++) {
		if (sp_buf_printf(b, "/%s <<", add->vri[i]) < 0)
			goto out;
		for (k = 0; k < 3; k++)
			if (dw->nnew[k] > 0 &&
			    (sp_buf_printf(b, "%s ", vri_kinds[k]) < 0 ||
			     ref_array(b, dw->num[k], dw->gen[k], dw->nnew[k]) < 0))
				goto out;
		if (sp_buf_addstr(b, ">>\n") < 0)
			goto out;
	}
	if (sp_buf_addstr(b, ">>>>") < 0)
		goto out;
	r = SP_OK;
out:
	free(all);
	free(allg);
	return r;
}

int
pdf_dss_append(struct pdf_doc *doc, const struct pdf_dss *old, const struct pdf_dss_add *add,
	       unsigned char **out, size_t *outlen, struct sp_errinfo *ei)
{
	struct pdfw w;
	struct dss_w dw;
	struct sp_buf body;
	qpdf_data q = doc->q;
	const struct pdf_blob *const items[3] = { add->certs, add->ocsps, add->crls };
	const size_t counts[3] = { add->ncerts, add->nocsps, add->ncrls };
	unsigned char *z = NULL;
	size_t zlen = 0, k, i;
	int r = SP_ERR_INTERNAL, dssnum, dssgen, idx;

	*out = NULL;
	*outlen = 0;
	memset(&w, 0, sizeof(w));
	memset(&dw, 0, sizeof(dw));
	dw.old = old;
	sp_buf_init(&body, (size_t)64 << 20);
	if (doc->info.damaged) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  "the PDF is damaged; no DSS can be added incrementally");
		goto out;
	}
	for (i = 0; i < add->nvri; i++)
		if (strlen(add->vri[i]) != 40 || strspn(add->vri[i], "0123456789ABCDEF") != 40) {
			r = sp_err(ei, SP_ERR_INVALID,
				   "a /VRI key must be 40 uppercase hex digits");
			goto out;
		}
	if ((r = pdf_crypt_may_sign(doc->crypt, "adding validation data (a DSS)", ei)) < 0 ||
	    (r = pdfw_init(&w, doc, ei)) < 0)
		goto out;
	for (k = 0; k < 3; k++) {
		if (counts[k] > DSS_ITEMS_MAX) {
			r = sp_err(ei, SP_ERR_LIMIT, "too many DSS items");
			goto out;
		}
		if (counts[k] && (!(dw.num[k] = calloc(counts[k], sizeof(*dw.num[k]))) ||
				  !(dw.gen[k] = calloc(counts[k], sizeof(*dw.gen[k]))))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < counts[k]; i++) {
			const struct pdf_blob *b = &items[k][i];
			if (!b->data || b->len == 0 || b->len > DSS_BLOB_MAX) {
				r = sp_err(ei, SP_ERR_INVALID, "an empty or oversized DSS item");
				goto out;
			}
			/* the same bytes already stored (by an earlier DSS or just now) */
			if ((idx = find_blob(old->item[k], old->n[k], b)) >= 0) {
				dw.gen[k][dw.nnew[k]] = old->gen[k] ? old->gen[k][idx] : 0;
				dw.num[k][dw.nnew[k]++] = old->obj[k][idx];
				continue;
			}
			if ((idx = find_blob(items[k], i, b)) >= 0) {
				dw.gen[k][dw.nnew[k]] = dw.gen[k][idx];
				dw.num[k][dw.nnew[k]++] = dw.num[k][idx];
				continue;
			}
			dw.num[k][dw.nnew[k]] = pdfw_alloc(&w);
			if ((r = pdf_zlib_compress(b->data, b->len, &z, &zlen, ei)) < 0 ||
			    (r = pdfw_stream(&w, dw.num[k][dw.nnew[k]], "/Filter /FlateDecode", z,
					     zlen, ei)) < 0)
				goto out;
			free(z);
			z = NULL;
			dw.nnew[k]++;
		}
	}
	/* an indirect DSS gets a new version of itself; else a new object and catalog */
	dssnum = old->dss_obj ? old->dss_obj : pdfw_alloc(&w);
	dssgen = old->dss_obj ? old->dss_gen : 0;
	pdfw_okey(&w, dssnum, dssgen, &dw.k);
	if ((r = dss_body(&body, doc, &dw, add)) < 0) {
		r = r == SP_ERR_NOMEM ? sp_err(ei, r, "out of memory") : oom(ei);
		goto out;
	}
	if ((r = pdfw_begin(&w, dssnum, dssgen, ei)) < 0)
		goto out;
	if (sp_buf_add(&w.b, body.data, body.len) < 0 || pdfw_end(&w) < 0) {
		r = oom(ei);
		goto out;
	}
	if (!old->dss_obj) {
		qpdf_oh root = qpdf_get_root(q);
		struct pdf_okey rk;
		if ((r = pdfw_begin(&w, qpdf_oh_get_object_id(q, root),
				    qpdf_oh_get_generation(q, root), ei)) < 0)
			goto out;
		pdfw_okey(&w, qpdf_oh_get_object_id(q, root), qpdf_oh_get_generation(q, root), &rk);
		if (sp_buf_addstr(&w.b, "<<\n") < 0 ||
		    pdfw_dict_body(&w.b, q, root, "/DSS", NULL, &rk, 0) < 0 ||
		    sp_buf_printf(&w.b, "/DSS %d 0 R>>", dssnum) < 0 || pdfw_end(&w) < 0) {
			r = oom(ei);
			goto out;
		}
	}
	if ((r = pdfw_finish(&w, doc, ei)) < 0)
		goto out;
	pdf_doc_scan_warnings(doc);
	if (doc->info.damaged || qpdf_has_error(q)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  "the PDF is damaged (found while writing the DSS)");
		goto out;
	}
	*out = sp_buf_take(&w.b, outlen);
	r = SP_OK;
out:
	free(z);
	for (k = 0; k < 3; k++) {
		free(dw.num[k]);
		free(dw.gen[k]);
	}
	sp_buf_cleanup(&body);
	pdfw_cleanup(&w);
	return r;
}
