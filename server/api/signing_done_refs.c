/*
 * signing_done_refs.c: what a completion's base refers to (signing_done.h),
 * for the engine, and what the new revision refers to, for the next
 * completion.
 *
 * The engine needs the set of objects the base's revisions refer to; without
 * it, it walks the whole base with qpdf (2.7 M instructions more at each
 * signature of a 10-page contract). The completion that stored the base
 * computed it: this process may hold it (revision_refs, by the base's
 * SHA-256), and since migration 067 it is stored with the revision too, so a
 * completion in another process or after a restart (processes are stateless:
 * the common case) reads it with the claim. A stored set is used only when it
 * unpacks whole for the very bytes the completion holds (pdf_refs_unpack
 * compares their SHA-256); anything else is walked, as without one.
 */
#include <stdlib.h>

#include "pdf.h"
#include "signing_done.h"
#include "signing_int.h"
#include "state.h"

int
done_refs_given(struct done_job *j, int **refs, size_t *n)
{
	const struct db_signing_session *ss = j->s;
	struct sp_errinfo ei;
	uint8_t *v = NULL;
	size_t len = 0;

	*refs = NULL;
	*n = 0;
	if (!j->have_base_dig)
		return DONE_REFS_NONE;
	if (blob_cache_get(j->refs_cache, j->base_dig, &v, &len) == SP_OK) {
		*refs = (int *)(void *)v;
		*n = len / sizeof(int);
		return DONE_REFS_CACHE;
	}
	if (ss->base_refs == NULL)
		return DONE_REFS_NONE;
	sp_errinfo_init(&ei);
	if (pdf_refs_unpack(ss->base_refs, ss->base_refs_len, j->base_dig, refs, n, &ei) != SP_OK)
		return DONE_REFS_REFUSED;
	return DONE_REFS_STORED;
}

void
done_refs_pack(struct done_job *j, const uint8_t dig[32])
{
	struct sp_errinfo ei;

	free(j->refs_packed);
	j->refs_packed = NULL;
	j->refs_packed_len = 0;
	if (j->refs_out == NULL)
		return;
	sp_errinfo_init(&ei);
	/* not packed: nothing stored, and the next completion elsewhere walks */
	if (pdf_refs_pack(j->refs_out, j->nrefs_out, dig, &j->refs_packed, &j->refs_packed_len,
			  &ei) != SP_OK) {
		j->refs_packed = NULL;
		j->refs_packed_len = 0;
	}
}

void
signing_refs_keep(struct blob_cache *c, const struct db_revision_doc *base,
		  const uint8_t sha256[32])
{
	struct sp_errinfo ei;
	int *refs = NULL;
	size_t n = 0;

	if (c == NULL || base->refs == NULL)
		return;
	sp_errinfo_init(&ei);
	if (pdf_refs_unpack(base->refs, base->refs_len, sha256, &refs, &n, &ei) != SP_OK)
		return; /* not for these bytes: the completion walks them */
	/* handed over, not copied */
	blob_cache_put_take(c, sha256, (uint8_t *)refs, n * sizeof(int));
}
