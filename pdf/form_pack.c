/*
 * form_pack.c: the facts form_kept.c keeps of a revision's AcroForm, packed
 * with the revision's SHA-256 and length so that a later open of exactly
 * those bytes loads them instead of walking the form (pdf_doc_form_export,
 * pdf_doc_form_load_kept). What comes back is checked as input: every
 * count against the whole and against the walks' caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form_kept_int.h"

#define KEPT_MAGIC "SPFORM1"

struct kept_head {
	char magic[8];
	uint64_t doc_len;
	uint8_t sha256[32];
	int32_t has_acroform, pad;
	uint64_t ne, ns, ndeps, text_len, nnames;
};

int
form_kept_pack(const struct form_kept *k, const uint8_t sha256[32], size_t doc_len, uint8_t **out,
	       size_t *len)
{
	struct kept_head h;
	size_t n;
	uint8_t *b, *w;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, KEPT_MAGIC, sizeof(h.magic));
	h.doc_len = doc_len;
	memcpy(h.sha256, sha256, 32);
	h.has_acroform = k->has_acroform;
	h.ne = k->ne;
	h.ns = k->ns;
	h.ndeps = k->ndeps;
	h.text_len = k->text_len;
	h.nnames = k->nnames;
	n = sizeof(h) + k->ne * sizeof(*k->e) + k->ns * sizeof(*k->s) +
	    k->ndeps * sizeof(*k->deps) + k->text_len;
	if (!(b = malloc(n)))
		return SP_ERR_NOMEM;
	w = b;
#define PUT(p, sz) \
	do { \
		if ((sz) > 0) \
			memcpy(w, p, sz); \
		w += (sz); \
	} while (0)
	PUT(&h, sizeof(h)); /* NOLINT(bugprone-sizeof-expression): PUT's size test, for all */
	PUT(k->e, k->ne * sizeof(*k->e));
	PUT(k->s, k->ns * sizeof(*k->s));
	PUT(k->deps, k->ndeps * sizeof(*k->deps));
	PUT(k->text, k->text_len);
#undef PUT
	*out = b;
	*len = n;
	return SP_OK;
}

int
form_kept_unpack(const uint8_t *b, size_t len, const uint8_t sha256[32], size_t doc_len,
		 struct form_kept **out)
{
	struct kept_head h;
	struct form_kept *k = NULL;
	size_t off, i, names = 0, sigs = 0, deps = 0, nul = 0;

	*out = NULL;
	if (b == NULL || len < sizeof(h))
		return -1;
	memcpy(&h, b, sizeof(h));
	if (memcmp(h.magic, KEPT_MAGIC, sizeof(h.magic)) != 0 || h.doc_len != doc_len ||
	    memcmp(h.sha256, sha256, 32) != 0 || h.ne > FORM_MAX_FIELDS || h.ns > SIG_FIELDS_MAX ||
	    h.nnames > FORM_MAX_FIELDS || h.ndeps > (size_t)16 * FIELD_NODES_MAX ||
	    h.text_len > len || (h.has_acroform != 0 && h.has_acroform != 1))
		return -1;
	if (len != sizeof(h) + h.ne * sizeof(struct form_entry) + h.ns * sizeof(struct form_sig) +
			   h.ndeps * sizeof(int) + h.text_len)
		return -1;
	if (!(k = calloc(1, sizeof(*k))))
		return -1;
	k->has_acroform = h.has_acroform;
	k->ne = k->ecap = h.ne;
	k->ns = k->scap = h.ns;
	k->ndeps = k->dcap = h.ndeps;
	k->text_len = k->text_cap = h.text_len;
	k->nnames = h.nnames;
	if ((h.ne && !(k->e = malloc(h.ne * sizeof(*k->e)))) ||
	    (h.ns && !(k->s = malloc(h.ns * sizeof(*k->s)))) ||
	    (h.ndeps && !(k->deps = malloc(h.ndeps * sizeof(*k->deps)))) ||
	    (h.text_len && !(k->text = malloc(h.text_len))))
		goto bad;
	off = sizeof(h);
	if (h.ne)
		memcpy(k->e, b + off, h.ne * sizeof(*k->e));
	off += h.ne * sizeof(*k->e);
	if (h.ns)
		memcpy(k->s, b + off, h.ns * sizeof(*k->s));
	off += h.ns * sizeof(*k->s);
	if (h.ndeps)
		memcpy(k->deps, b + off, h.ndeps * sizeof(*k->deps));
	off += h.ndeps * sizeof(*k->deps);
	if (h.text_len)
		memcpy(k->text, b + off, h.text_len);
	/* the entries' parts add up to the whole, and the caps hold */
	for (i = 0; i < k->ne; i++) {
		const struct form_entry *e = &k->e[i];
		if (e->nnames > k->nnames - names || e->nsig > k->ns - sigs ||
		    e->ndeps > k->ndeps - deps || e->rf_nodes > FORM_WALK_BUDGET ||
		    e->ls_nodes > FIELD_NODES_MAX || e->obj < 0 || (e->is_dict & ~1) != 0 ||
		    (e->null_dep & ~1) != 0)
			goto bad;
		names += e->nnames;
		sigs += e->nsig;
		deps += e->ndeps;
		k->rf_nodes += e->rf_nodes;
		k->ls_nodes += e->ls_nodes;
	}
	for (i = 0; i < k->text_len; i++)
		nul += k->text[i] == 0;
	if (names != k->nnames || sigs != k->ns || deps != k->ndeps || nul != k->nnames ||
	    (k->text_len > 0 && k->text[k->text_len - 1] != 0) || k->rf_nodes > FORM_WALK_BUDGET ||
	    k->ls_nodes > FIELD_NODES_MAX)
		goto bad;
	for (i = 0; i < k->ns; i++) {
		struct form_sig *s = &k->s[i];
		if (s->sig_obj <= 0 || (unsigned)s->lock > PDF_LOCK_EXCLUDE)
			goto bad;
		s->name[sizeof(s->name) - 1] = 0;
		s->lock_fields[sizeof(s->lock_fields) - 2] = 0;
		s->lock_fields[sizeof(s->lock_fields) - 1] = 0;
	}
	*out = k;
	return 0;
bad:
	form_kept_free(k);
	return -1;
}
