/*
 * dss_write.c: the next version of the document security store (dss.c
 * reads it), in its own incremental update: what the earlier DSS holds is
 * kept (its streams by reference, its /VRI entries as they are), each new
 * certificate, OCSP response and CRL is added once as a stream, with one
 * /VRI entry per signature keyed by the uppercase hex SHA-1 of its
 * /Contents bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dss_int.h"
#include "pdf_int.h"

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
	int *vnum;         /* the object of each new /VRI entry's value */
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

/* A new /VRI entry's value: the new items, as one dictionary object's body. */
static int
vri_value(struct sp_buf *b, const struct dss_w *dw)
{
	size_t k;

	if (sp_buf_add(b, "<<", 2) < 0)
		return SP_ERR_TOO_LARGE;
	for (k = 0; k < 3; k++)
		if (dw->nnew[k] > 0 &&
		    (sp_buf_printf(b, "%s%s ", k ? " " : "", dss_vri_kinds[k]) < 0 ||
		     ref_array(b, dw->num[k], dw->gen[k], dw->nnew[k]) < 0))
			return SP_ERR_TOO_LARGE;
	return sp_buf_add(b, ">>", 2) < 0 ? SP_ERR_TOO_LARGE : SP_OK;
}

/* 1 when hex (40 hex digits, as a key is written) is one of add's new entries. */
static int
replaced(const char *hex, const struct pdf_dss_add *add)
{
	size_t v;

	for (v = 0; v < add->nvri; v++)
		if (strcmp(hex, add->vri[v]) == 0)
			return 1;
	return 0;
}

/*
 * The old /VRI entries, but those a new entry replaces, as doc's DSS has them
 * (its values parsed and written again: a DSS not of this writer's, whose
 * values are direct dictionaries or whose keys are not all read).
 */
static int
vri_old_parsed(struct sp_buf *b, struct pdf_doc *doc, struct dss_w *dw,
	       const struct pdf_dss_add *add)
{
	qpdf_data q = doc->q;
	qpdf_oh dss = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/DSS");
	qpdf_oh vri = qpdf_oh_get_key_if_dict(q, dss, "/VRI");
	char **keys = NULL;
	size_t nk = 0, cap = 0, i;
	int r = SP_ERR_TOO_LARGE;

	if (!qpdf_oh_is_dictionary(q, vri))
		return SP_OK;
	qpdf_oh_begin_dict_key_iter(q, vri);
	while (qpdf_oh_dict_more_keys(q)) {
		const char *key = qpdf_oh_dict_next_key(q);
		if (nk == cap) {
			char **nv;
			cap = cap ? cap * 2 : 16;
			if (cap > DSS_ITEMS_MAX || !(nv = realloc(keys, cap * sizeof(*nv)))) {
				r = SP_ERR_LIMIT;
				goto out;
			}
			keys = nv;
		}
		if (!(keys[nk] = strdup(key ? key : "/")))
			goto out;
		nk++;
	}
	r = SP_OK;
	for (i = 0; i < nk && r == SP_OK; i++)
		if (!(strlen(keys[i]) == 41 && replaced(keys[i] + 1, add)) &&
		    (pdfw_name(b, keys[i]) < 0 || sp_buf_add(b, " ", 1) < 0 ||
		     pdfw_obj(b, q, qpdf_oh_get_key(q, vri, keys[i]), &dw->k, 1) < 0 ||
		     sp_buf_add(b, "\n", 1) < 0))
			r = SP_ERR_TOO_LARGE;
out:
	for (i = 0; i < nk; i++)
		free(keys[i]);
	free(keys);
	return r;
}

/*
 * The DSS dictionary body: old and new items, the old /VRI entries (from the
 * read when it holds them all as references: the DSS is not parsed), a
 * reference to each new entry's object (vnum).
 */
static int
dss_body(struct sp_buf *b, struct pdf_doc *doc, struct dss_w *dw, const struct pdf_dss_add *add)
{
	const struct pdf_dss *old = dw->old;
	int *all = NULL, *allg = NULL, r = SP_ERR_TOO_LARGE;
	size_t k, i, m;

	if (sp_buf_addstr(b, "<</Type /DSS") < 0)
		return SP_ERR_TOO_LARGE;
	for (k = 0; k < 3; k++) {
		if (old->n[k] + dw->nnew[k] == 0)
			continue;
		free(all);
		free(allg);
		allg = NULL;
		if (!(all = calloc(old->n[k] + dw->nnew[k], sizeof(*all))) ||
		    !(allg = calloc(old->n[k] + dw->nnew[k], sizeof(*allg)))) {
			r = SP_ERR_NOMEM;
			goto out;
		}
		m = 0;
		for (i = 0; i < old->n[k]; i++, m++) {
			all[m] = old->obj[k][i];
			allg[m] = old->gen[k] ? old->gen[k][i] : 0;
		}
		for (i = 0; i < dw->nnew[k]; i++, m++) {
			all[m] = dw->num[k][i];
			allg[m] = dw->gen[k][i];
		}
		if (sp_buf_printf(b, "\n%s ", dss_kinds[k]) < 0 || ref_array(b, all, allg, m) < 0)
			goto out;
	}
	if (sp_buf_addstr(b, "\n/VRI <<") < 0)
		goto out;
	if (old->vri_refs && (old->nvri == 0 || old->vri_obj != NULL)) {
		for (i = 0; i < old->nvri; i++)
			if (!replaced(old->vri[i], add) &&
			    sp_buf_printf(b, "/%s %d %d R\n", old->vri[i], old->vri_obj[i],
					  old->vri_gen[i]) < 0)
				goto out;
	} else if ((r = vri_old_parsed(b, doc, dw, add)) != SP_OK) {
		goto out;
	}
	r = SP_ERR_TOO_LARGE;
	for (i = 0; i < add->nvri; i++)
		if (sp_buf_printf(b, "/%s %d 0 R\n", add->vri[i], dw->vnum[i]) < 0)
			goto out;
	if (sp_buf_addstr(b, ">>>>") < 0)
		goto out;
	r = SP_OK;
out:
	free(all);
	free(allg);
	return r;
}

/* 1 when (num, gen) is one of d's first n items of kind k. */
static int
has_item(const struct pdf_dss *d, size_t k, int num, int gen)
{
	size_t i;

	for (i = 0; i < d->n[k]; i++)
		if (d->obj[k][i] == num && d->gen[k][i] == gen)
			return 1;
	return 0;
}

/* Item b (num, gen, plain) appended to d's kind k, which has room for it. */
static int
item_add(struct pdf_dss *d, size_t k, const struct pdf_blob *b, int num, int gen,
	 unsigned char plain)
{
	struct pdf_blob *to = &d->item[k][d->n[k]];

	if (!(to->data = malloc(b->len)))
		return SP_ERR_NOMEM;
	memcpy(to->data, b->data, b->len);
	to->len = b->len;
	d->obj[k][d->n[k]] = num;
	d->gen[k][d->n[k]] = gen;
	d->plain[k][d->n[k]] = plain;
	d->n[k]++;
	return SP_OK;
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/*
 * What a pdf_dss_read() of the DSS dss_body() wrote (number dssnum gen,
 * in a file of /Size size and len bytes) gives, into *after (zeroed, SP_OK,
 * when it cannot be told: see pdf_dss_append_read). Its arrays are old's
 * items then the new ones, each object once, as ref_array() writes them;
 * its /VRI keys old's but those replaced and the new ones, in the order a
 * read lists them (sorted), each a reference.
 */
static int
dss_after(const struct pdf_dss *old, const struct pdf_dss_add *add, const struct dss_w *dw,
	  const struct pdf_blob *const items[3], int dssnum, int dssgen, long long size, size_t len,
	  struct pdf_dss *after)
{
	struct {
		char key[41];
		int obj, gen;
	} *v = NULL;
	size_t k, i, n, nv = 0, total = 0;
	int r = SP_ERR_NOMEM;

	memset(after, 0, sizeof(*after));
	if ((old->present && !old->closed) || !old->vri_refs || (old->nvri > 0 && !old->vri_obj) ||
	    old->encrypted || old->nvri + add->nvri >= DSS_ITEMS_MAX)
		return SP_OK;
	for (k = 0; k < 3; k++) {
		if ((n = old->n[k] + dw->nnew[k]) == 0)
			continue;
		if (n > DSS_ITEMS_MAX)
			goto none;
		if (!(after->item[k] = calloc(n, sizeof(*after->item[k]))) ||
		    !(after->obj[k] = calloc(n, sizeof(*after->obj[k]))) ||
		    !(after->gen[k] = calloc(n, sizeof(*after->gen[k]))) ||
		    !(after->plain[k] = calloc(n, 1)))
			goto out;
		for (i = 0; i < old->n[k]; i++)
			if (!has_item(after, k, old->obj[k][i], old->gen[k][i])) {
				if (item_add(after, k, &old->item[k][i], old->obj[k][i],
					     old->gen[k][i], old->plain[k][i]) != SP_OK)
					goto out;
				total += old->item[k][i].len;
			}
		/* a new item that is an old one's bytes refers to that object (listed) */
		for (i = 0; i < dw->nnew[k]; i++)
			if (!has_item(after, k, dw->num[k][i], dw->gen[k][i])) {
				if (item_add(after, k, &items[k][i], dw->num[k][i], dw->gen[k][i],
					     1) != SP_OK)
					goto out;
				total += items[k][i].len;
			}
	}
	if (total > DSS_TOTAL_MAX)
		goto none;
	if (old->nvri + add->nvri > 0 && !(v = calloc(old->nvri + add->nvri, sizeof(*v))))
		goto out;
	for (i = 0; i < old->nvri; i++)
		if (!replaced(old->vri[i], add)) {
			/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): v has nvri entries */
			memcpy(v[nv].key, old->vri[i], 41);
			v[nv].obj = old->vri_obj[i];
			v[nv++].gen = old->vri_gen[i];
		}
	for (i = 0; i < add->nvri; i++) {
		/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): v has nvri entries */
		memcpy(v[nv].key, add->vri[i], 40);
		v[nv].key[40] = '\0';
		v[nv].obj = dw->vnum[i];
		v[nv++].gen = 0;
	}
	if (nv > 1)
		qsort(v, nv, sizeof(*v), cmp_key);
	for (i = 1; i < nv; i++)
		if (strcmp(v[i - 1].key, v[i].key) == 0)
			goto none; /* a key written twice: the read decides */
	if (nv > 0 && (!(after->vri = calloc(nv, sizeof(*after->vri))) ||
		       !(after->vri_obj = calloc(nv, sizeof(*after->vri_obj))) ||
		       !(after->vri_gen = calloc(nv, sizeof(*after->vri_gen)))))
		goto out;
	for (i = 0; i < nv; i++) {
		memcpy(after->vri[i], v[i].key, 41);
		after->vri_obj[i] = v[i].obj;
		after->vri_gen[i] = v[i].gen;
	}
	after->nvri = nv;
	after->present = 1;
	after->dss_obj = dssnum;
	after->dss_gen = dssgen;
	after->size = size;
	after->len = len;
	after->vri_refs = 1;
	after->closed = 1;
	after->keys_known = 1; /* dss_body's: /Type, the item arrays, /VRI */
	free(v);
	return SP_OK;
none:
	r = SP_OK;
out:
	free(v);
	pdf_dss_cleanup(after);
	return r;
}

int
pdf_dss_append(struct pdf_doc *doc, const struct pdf_dss *old, const struct pdf_dss_add *add,
	       unsigned char **out, size_t *outlen, struct sp_errinfo *ei)
{
	return pdf_dss_append_read(doc, old, add, out, outlen, NULL, ei);
}

/* whole 1: *out is the whole new file (pdf_dss_append_read); 0: the update alone
   (pdf_dss_append_update) */
static int
dss_append(struct pdf_doc *doc, const struct pdf_dss *old, const struct pdf_dss_add *add, int whole,
	   unsigned char **out, size_t *outlen, struct pdf_dss *after, struct sp_errinfo *ei)
{
	struct pdfw w;
	struct dss_w dw;
	struct sp_buf body;
	qpdf_data q = doc->q;
	const struct pdf_blob *const items[3] = { add->certs, add->ocsps, add->crls };
	const size_t counts[3] = { add->ncerts, add->nocsps, add->ncrls };
	unsigned char *z = NULL;
	size_t zlen = 0, k, i;
	int r = SP_ERR_INTERNAL, dssnum, dssgen, idx, size;

	*out = NULL;
	*outlen = 0;
	if (after != NULL)
		memset(after, 0, sizeof(*after));
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
	    (r = whole ? pdfw_init(&w, doc, ei) : pdfw_init_update(&w, doc, ei)) < 0)
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
	/* each new /VRI entry's value its own object: the next update refers to it, rather
	   than writing it again (and a reader parsing it again) with every later entry */
	if (add->nvri > 0 && !(dw.vnum = calloc(add->nvri, sizeof(*dw.vnum)))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < add->nvri; i++) {
		dw.vnum[i] = pdfw_alloc(&w);
		if ((r = pdfw_begin(&w, dw.vnum[i], 0, ei)) < 0)
			goto out;
		if (vri_value(&w.b, &dw) < 0 || pdfw_end(&w) < 0) {
			r = oom(ei);
			goto out;
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
	size = w.next; /* at most the /Size pdfw_finish writes */
	if ((r = pdfw_finish(&w, doc, ei)) < 0)
		goto out;
	pdf_doc_scan_warnings(doc);
	if (doc->info.damaged || qpdf_has_error(q)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "pdf_damaged",
				  "the PDF is damaged (found while writing the DSS)");
		goto out;
	}
	/* the read of what was written, told from it (not for an encrypted file: its
	   streams read through its key) */
	if (after != NULL && w.crypt == NULL &&
	    (r = dss_after(old, add, &dw, items, dssnum, dssgen, size, pdfw_off(&w), after)) !=
		    SP_OK) {
		r = sp_err(ei, r, "out of memory");
		goto out;
	}
	*out = sp_buf_take(&w.b, outlen);
	r = SP_OK;
out:
	if (r != SP_OK && after != NULL)
		pdf_dss_cleanup(after);
	free(z);
	free(dw.vnum);
	for (k = 0; k < 3; k++) {
		free(dw.num[k]);
		free(dw.gen[k]);
	}
	sp_buf_cleanup(&body);
	pdfw_cleanup(&w);
	return r;
}

int
pdf_dss_append_read(struct pdf_doc *doc, const struct pdf_dss *old, const struct pdf_dss_add *add,
		    unsigned char **out, size_t *outlen, struct pdf_dss *after,
		    struct sp_errinfo *ei)
{
	return dss_append(doc, old, add, 1, out, outlen, after, ei);
}

int
pdf_dss_append_update(struct pdf_doc *doc, const struct pdf_dss *old, const struct pdf_dss_add *add,
		      unsigned char **out, size_t *outlen, struct pdf_dss *after,
		      struct sp_errinfo *ei)
{
	return dss_append(doc, old, add, 0, out, outlen, after, ei);
}
