/*
 * signing_done_open.c: the documents a completion's worker opens and checks
 * (signing_done.h): the signed revision's revisions and merged
 * cross-reference table, the base and the new revision opened once as
 * views with what earlier completions here handed on (pages, form facts,
 * signed fields), the new revision's digest against the signed attributes,
 * and its signed-field count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "pdf.h"
#include "signing_done.h"
#include "state.h"

/*
 * The base's signed fields as the completion that stored it counted them
 * (its new revision's, when nothing followed the signature), so that this
 * one need not walk the base's whole form again; -1 when not known.
 */
static int
cached_nsigned(const struct done_job *j)
{
	uint8_t key[32], *v = NULL;
	size_t len = 0;
	int n = -1;

	if (!j->have_base_dig)
		return -1;
	blob_cache_key("nsig", j->base_dig, key);
	if (blob_cache_get(j->reads_cache, key, &v, &len) == SP_OK && len == sizeof(n))
		memcpy(&n, v, sizeof(n));
	free(v);
	return n;
}

/*
 * The revisions of data[0..len) (*n of them, malloc'd), or NULL when they
 * cannot be told apart. Found once per buffer in a completion and handed to
 * done_keeps_pages() and done_form_carry(), which each found them again (the chain of
 * sections is followed from the end: 2k revisions at a B-LT contract's k-th
 * signing). known[0..nknown) (NULL: none), when given, are those of
 * data[0..known_len): only the sections after those are walked
 * (pdf_revisions_extend), else the whole chain.
 */
struct pdf_revision *
done_revisions_of(const uint8_t *data, size_t len, const struct pdf_revision *known, size_t nknown,
		  size_t known_len, size_t *n)
{
	/* not zeroed: pdf_revisions_find() writes each revision it gives whole */
	struct pdf_revision *revs = malloc(PDF_REVISIONS_MAX * sizeof(*revs));
	struct sp_errinfo ign;

	*n = 0;
	if (revs != NULL && known != NULL &&
	    pdf_revisions_extend(data, len, known, nknown, known_len, revs, PDF_REVISIONS_MAX, n))
		return revs;
	sp_errinfo_init(&ign);
	if (revs != NULL &&
	    pdf_revisions_find(data, len, revs, PDF_REVISIONS_MAX, n, &ign) != SP_OK) {
		free(revs);
		revs = NULL;
		*n = 0;
	}
	return revs;
}

/*
 * The signed revision's revisions: the base's as the completion that stored
 * it found them (reads_cache under blob_cache_key("revs", its digest): the
 * very bytes ss->document starts with), and the update's section after them.
 */
static void
signed_revisions(struct done_job *j)
{
	const struct db_signing_session *ss = j->s;
	const uint8_t *v = NULL;
	struct blob_ref *ref = NULL;
	size_t vlen = 0;
	uint8_t key[32];

	free(j->revs);
	blob_cache_key("revs", j->base_dig, key);
	if (!j->have_base_dig || blob_cache_borrow(j->reads_cache, key, &v, &vlen, &ref) != SP_OK ||
	    vlen == 0 || vlen % sizeof(struct pdf_revision) != 0) {
		v = NULL;
		vlen = 0;
	}
	j->revs = done_revisions_of(ss->document, ss->document_len, (const struct pdf_revision *)v,
				    vlen / sizeof(struct pdf_revision), ss->orig_len, &j->nrevs);
	blob_cache_return(ref);
}

/*
 * The stored bytes' reads count for the next prepare's room check (reads
 * cache "room"): the base's, as the prepare left it, extended by the
 * revisions this completion appended (the base's are the first of revs);
 * none when the prepare left none.
 */
void
done_room_on(struct done_job *j, const uint8_t *data, size_t len, const struct pdf_revision *revs,
	     size_t n, const uint8_t dig[32])
{
	struct pdf_reads_count c;
	uint8_t key[32], *v = NULL;
	size_t vlen = 0;

	blob_cache_key("room", j->base_dig, key);
	if (!j->have_base_dig || blob_cache_get(j->reads_cache, key, &v, &vlen) != SP_OK ||
	    vlen != sizeof(c)) {
		free(v);
		return;
	}
	memcpy(&c, v, sizeof(c));
	free(v);
	if (pdf_reads_count_extend(data, len, revs, n, &c) != 0)
		return;
	blob_cache_key("room", dig, key);
	blob_cache_put(j->reads_cache, key, (const uint8_t *)&c, sizeof(c));
}

/*
 * The room a new buffer keeps after len bytes for the updates of the signers
 * left (ss->signers_left, as the claim or the prepare's statement counted
 * them): each this completion's update (the bytes after the base), half as
 * much again for what grows with k (the page's /Annots, the AcroForm's
 * /Fields), and at B-LT / B-LTA its DSS update; then the last one's merged
 * table and long-term room. So the document is copied once, at the first
 * completion here, not again whenever half-the-document room ran out (the
 * 11th and 20th signings of 20 each paid 237 K and 377 K instructions for
 * it). Not known (-1): ROOM_NEXT. A hint only: when the room does not
 * suffice (a signer added, larger updates) the next completion copies into
 * a new buffer. At most twice the document and 1 MiB, so a contract of
 * many signers grows as a vector; and a large document keeps room for the
 * updates to come, not half of itself (a 32 MB upload with 19 signers
 * left, 20 KB updates: some 1.6 MB, most of it the merged table's spare,
 * instead of 17 MB).
 */
static size_t
room_for_signers(const struct db_signing_session *ss, size_t len, int level)
{
	size_t update = len - ss->orig_len, per, left, room, most;

	if (ss->signers_left < 0 || update > len)
		return ROOM_NEXT(len);
	left = (size_t)ss->signers_left;
	per = update + update / 2 + (level >= 1 ? LTV_DSS_UPDATE : 0);
	most = 2 * len + ((size_t)1 << 20);
	if (left > most / (per + 1))
		return most;
	room = left * per;
	room += MERGED_SPARE(len + room) + (level >= 1 ? LTV_ROOM(len + room) : 0);
	return room > most ? most : room;
}

/*
 * The document whole (db_signing_session_join): the held base, then what
 * the claim sent after it (the session's update, and the updates of the
 * revisions between when the held one is older). Written in the held
 * buffer's room when it has one (doc_cache_room_take): the base is not
 * copied, nor compared when its parse is adopted (the same buffer), and
 * the stored revision is kept on it (done_stored). Else joined in a new
 * buffer, with room after it for the next signers' updates unless this is
 * the contract's last signature (ROOM_NEXT). Both leave MERGED_SPARE for
 * the merged table after the document, and at B-LT / B-LTA LTV_ROOM for the
 * DSS update after the signed revision.
 */
int
done_join(struct done_job *j, struct sp_errinfo *ei)
{
	struct db_signing_session *ss = j->s;
	size_t spare = MERGED_SPARE(ss->orig_len), next = 0, cap = 0, ltv = 0;
	uint8_t *room;
	int r;

	if (ss->document_len > SIZE_MAX / 4 || ss->held_len > SIZE_MAX / 4)
		return sp_err(ei, SP_ERR_TOO_LARGE, "the held document does not fit the claim");
	/* the long-term data's update goes after the signed revision too */
	if (j->level >= 1)
		ltv = LTV_ROOM(ss->held_len + ss->document_len);
	if (j->held != NULL && j->held->len == ss->held_len &&
	    (room = doc_cache_room_take(j->docs, j->held, ss->document_len + spare + ltv, &cap)) !=
		    NULL) {
		if (db_signing_session_join_room(ss, room, j->held->len, cap) == SP_OK) {
			j->room = 1;
			j->doc_cap = cap;
			j->doc_keep = 1;
			return SP_OK;
		}
		doc_cache_room_return(j->docs, j->held);
	}
	if (j->docs != NULL && !signers_done(j))
		next = room_for_signers(ss, ss->held_len + ss->document_len, j->level);
	next += ltv;
	if ((r = db_signing_session_join(ss, j->held != NULL ? j->held->data : NULL,
					 j->held != NULL ? j->held->len : 0, spare + next)) !=
	    SP_OK)
		return sp_err(ei, r, "the held document does not fit the claim");
	j->doc_cap = ss->document_len + spare + next;
	j->doc_keep = next > 0;
	return SP_OK;
}

/*
 * The cross-reference chain of (*data)[0..len) (revs[0..nrevs) its
 * revisions) as the one table qpdf makes of it (pdf_xref_merged), written
 * after the bytes in *data's own allocation, so that an open of them (and
 * of the stored bytes at the next prepare and completion here, which adopt
 * that parse) reads one table and trailer, not the k + 1 sections of a k-th
 * signing (2k + 1 with long-term data; some 80,000 instructions each). The
 * bytes qpdf then reads (0: none, it reads the chain). room 0: *data is
 * malloc'd with MERGED_SPARE after len and is shrunk to what it keeps
 * (called before anything borrows *data: it may move); else the table goes
 * in the room bytes after len, when it fits, and *data stays as it is (the
 * room is kept for the next signers: done_join). known[0..known_len)
 * (NULL: none): the merged entries of (*data)[0..known_end) as an earlier
 * call gave them (pdf_xref_merged_ex), so that only the newest section is
 * read; these bytes' own in *entries (malloc'd; NULL: none), for the next.
 * qpdf reads the table when it opens the bytes, never after (its entries
 * and trailer are in the parse): the next completion writes its update
 * over it while this parse, handed on, still reads the bytes before it.
 */
size_t
done_merged_table(uint8_t **data, size_t len, size_t room, const struct pdf_revision *revs,
		  size_t nrevs, const void *known, size_t known_len, size_t known_end,
		  void **entries, size_t *entries_len)
{
	unsigned char *t = NULL;
	uint8_t *d;
	size_t tlen = 0;
	struct sp_errinfo ign;

	sp_errinfo_init(&ign);
	free(*entries);
	*entries = NULL;
	*entries_len = 0;
	if (revs == NULL || nrevs < 2 ||
	    pdf_xref_merged_ex(*data, len, revs, nrevs, known, known_len, known_end, &t, &tlen,
			       entries, entries_len, &ign) != SP_OK ||
	    (room > 0 && tlen > room)) {
		/* none: the room the join left (MERGED_SPARE) is given back */
		if (room == 0 && (d = realloc(*data, len)) != NULL)
			*data = d;
		free(t);
		return 0;
	}
	/* within the join's room: shrunk in place, not moved */
	if (room == 0 && (d = realloc(*data, len + tlen)) == NULL) {
		free(t);
		free(*entries);
		*entries = NULL;
		*entries_len = 0;
		return 0;
	}
	if (room == 0)
		*data = d;
	memcpy(*data + len, t, tlen);
	free(t);
	return len + tlen;
}

/* (*out) opened on data[0..len) as pdf_doc_open_known(), through the merged table when
   qlen (done_merged_table) is not 0 */
int
done_open_known(const uint8_t *data, size_t len, size_t qlen, const struct pdf_revision *revs,
		size_t nrevs, const int *pages, size_t npages, struct pdf_doc **out,
		struct sp_errinfo *ei)
{
	if (qlen > 0)
		return pdf_doc_open_known_merged(data, len, qlen, revs[nrevs - 2].xref, pages,
						 npages, out, ei);
	return pdf_doc_open_known(data, len, pages, npages, out, ei);
}

/*
 * 1 when the bytes of len whose revisions are revs[0..n) (done_revisions_of),
 * whose last update follows the revision ending at prev_end (older, with
 * the page list), have older's pages (pdf_pages_kept).
 */
int
done_keeps_pages(const struct pdf_revision *revs, size_t n, size_t len, size_t prev_end,
		 struct pdf_doc *older, struct pdf_doc *newer)
{
	if (older == NULL || newer == NULL || revs == NULL)
		return 0;
	return n >= 2 && revs[n - 2].end == prev_end && revs[n - 1].end == len &&
	       !revs[n - 1].trailing_garbage && pdf_pages_kept(older, newer, &revs[n - 1]);
}

/* The base's pages as the completion that stored it handed them on (NULL: not known). */
static void
base_pages(struct done_job *j)
{
	uint8_t key[32], *v = NULL;
	size_t len = 0;

	j->pages = NULL;
	j->npages = 0;
	if (!j->have_base_dig)
		return;
	blob_cache_key("page", j->base_dig, key);
	if (blob_cache_get(j->reads_cache, key, &v, &len) != SP_OK)
		return;
	if (len == 0 || len % (2 * sizeof(int)) != 0) {
		free(v);
		return;
	}
	j->pages = (int *)(void *)v;
	j->npages = len / (2 * sizeof(int));
}

/*
 * The base's signature dictionaries into its view (pdf_doc_sigs_preload),
 * once, before a walk of its form or signatures reads them: only where the
 * base's reads were not handed on (a cache miss: another process, a
 * restart). With them nothing reads those dictionaries in the base, and
 * decoding their /Contents (the newest two updates') cost some 270,000
 * instructions a completion for nothing. Either way each dictionary is the
 * value qpdf's parse gives: this only decides who parses it.
 */
void
done_base_preload(struct done_job *j)
{
	if (j->base_doc != NULL && !j->base_preloaded) {
		(void)pdf_doc_sigs_preload(j->base_doc, 2);
		j->base_preloaded = 1;
	}
}

/*
 * newer's form facts carried over from older's over the one update between
 * them (pdf_doc_form_keep): the engine's listing of newer's signed fields
 * then walks only what the update added or changed, not every earlier
 * signature field. older's are loaded from the cache when older is the
 * base (the facts kept for its digest), else older has them already; on a
 * miss they are read from older once. Best effort: without them the
 * listing walks the whole form, as before.
 */
void
done_form_carry(struct done_job *j, struct pdf_doc *older, struct pdf_doc *newer,
		const struct pdf_revision *revs, size_t n)
{
	uint8_t key[32], *facts = NULL;
	const uint8_t *v = NULL;
	struct blob_ref *ref = NULL;
	size_t vlen = 0, flen = 0;
	struct sp_errinfo ign;

	sp_errinfo_init(&ign);
	if (older == j->base_doc && j->have_base_dig) {
		blob_cache_key("form", j->base_dig, key);
		/* lent, not copied: the facts are unpacked from them (k fields' worth) */
		if (blob_cache_borrow(j->reads_cache, key, &v, &vlen, &ref) != SP_OK ||
		    pdf_doc_form_load_kept(older, v, vlen, j->base_dig, &ign) != SP_OK) {
			/* not kept here: read from the base once (the listing would walk it) */
			sp_errinfo_init(&ign);
			done_base_preload(j);
			if (pdf_doc_form_export(older, j->base_dig, &facts, &flen, &ign) == SP_OK) {
				blob_cache_put_take(j->reads_cache, key, facts, flen);
				facts = NULL; /* transferred */
			}
			free(facts);
		}
		blob_cache_return(ref);
	}
	sp_errinfo_init(&ign);
	/* none carried over (older has none, the update is not one they survive, newer's
	   revisions cannot be told apart): newer's listing walks its form */
	if (revs != NULL && pdf_doc_form_keep(older, newer, revs, n, &ign) != SP_OK)
		sp_errinfo_init(&ign);
}

/*
 * The new revision, checked again from its bytes: it opens as an undamaged
 * PDF, and the signed attributes rebuilt over the digest of its byte ranges
 * are exactly the ones the token signed (so the message digest covers this
 * file). That it has one more signed field than its base is checked after
 * the engine has listed its fields (done_signed_count), which the new revision's
 * own walk of its whole form did again here.
 *
 * Both are opened as views: objects are parsed when used, not all at open.
 * The base is a stored revision, parsed whole and found undamaged when it
 * was uploaded or stored; what the update adds is read object by object by
 * the engine's difference check, and done_work() refuses the revision when
 * qpdf had to repair either on the way (pdf_doc_damaged). The page trees
 * are not walked again (reading every page dictionary of both documents was
 * most of what opening them cost): the base's was walked and checked when it
 * was read whole or verified, and the difference check needs only its page
 * list, which the completion that stored it handed on (base_pages; walked
 * once more when it did not: another process, a restart). The new revision
 * is given the base's list, used only once done_keeps_pages() has shown its
 * update kept the tree (new_pages_ok): then it is the older side of the
 * long-term data's update (B-LT) and the list goes on to the stored bytes.
 */
int
done_revision_check(struct done_job *j, X509 *cert, enum crypto_sigalg alg, struct sp_errinfo *ei)
{
	const struct db_signing_session *ss = j->s;
	struct pdf_sig_field *listed = NULL;
	size_t nlisted = 0;
	struct crypto_digest_ctx *dc = NULL;
	uint8_t d[CRYPTO_DIGEST_MAX], *attrs = NULL;
	size_t dlen = 0, alen = 0, end = ss->contents_off + ss->contents_len, qlen;
	int r = SP_ERR_INTERNAL, rebuilt;
	struct sp_errinfo pei;
	const uint8_t *xm = NULL;
	struct blob_ref *xref = NULL;
	size_t xmlen = 0;
	uint8_t xkey[32];

	/* the signed revision's revisions, found once for these and the engine */
	signed_revisions(j);
	/* and its chain as one table: the base's entries as the completion that stored it
	   merged them (reads_cache "xmrg", the base's digest), the update's section read */
	blob_cache_key("xmrg", j->base_dig, xkey);
	if (!j->have_base_dig ||
	    blob_cache_borrow(j->reads_cache, xkey, &xm, &xmlen, &xref) != SP_OK) {
		xm = NULL;
		xmlen = 0;
	}
	qlen = done_merged_table(&j->s->document, ss->document_len,
				 j->doc_keep ? j->doc_cap - ss->document_len : 0, j->revs, j->nrevs,
				 xm, xmlen, ss->orig_len, &j->xm_signed, &j->xm_signed_len);
	blob_cache_return(xref);
	base_pages(j);
	sp_errinfo_init(&pei);
	/* the base is the revision this process holds: qpdf's parse of it as the last open
	   here (prepare's, or the completion that stored it) left it, its xref chain not
	   read again (compared with these bytes, a copy of the held ones) */
	if (j->pages != NULL &&
	    pdf_doc_open_known_from(ss->document, ss->orig_len, j->pages, j->npages,
				    j->held != NULL && j->held->len == ss->orig_len
					    ? doc_cache_parsed_take(j->docs, j->held)
					    : NULL,
				    &j->base_doc, &pei) != SP_OK) {
		free(j->pages); /* not these bytes' after all: the tree is walked */
		j->pages = NULL;
	}
	if (j->base_doc == NULL &&
	    (r = pdf_doc_open_view(ss->document, ss->orig_len, &j->base_doc, ei)) != SP_OK)
		goto out;
	/* the earlier signatures' dictionaries are preloaded only where something walks
	   them in the base (done_base_preload) */
	/* read from the base this once: handed on with the stored bytes when they keep it */
	sp_errinfo_init(&pei);
	if (j->pages == NULL &&
	    pdf_doc_page_objs(j->base_doc, &j->pages, &j->npages, &pei) != SP_OK)
		j->pages = NULL;
	/* with the base's page list, which it has when its update kept the tree: then it can
	   stand for the signed revision as the older side of the long-term data's update */
	if ((r = done_open_known(ss->document, ss->document_len, qlen, j->revs, j->nrevs, j->pages,
				 j->pages ? j->npages : 0, &j->new_doc, ei)) != SP_OK)
		goto out;
	/* the new signature's dictionary from the bytes, not qpdf's tokenizer: as qpdf
	   would parse it, before the first walk of its field has qpdf parse it. The newest
	   update's only: the earlier signature in the update before is read from the handed
	   on reads (engine_check), not from this view */
	(void)pdf_doc_sigs_preload(j->new_doc, 1);
	j->new_pages_ok =
		j->pages != NULL && done_keeps_pages(j->revs, j->nrevs, ss->document_len,
						     ss->orig_len, j->base_doc, j->new_doc);
	done_form_carry(j, j->base_doc, j->new_doc, j->revs, j->nrevs);
	/* counted in these very bytes by the completion that stored them, or now */
	if ((j->base_nsigned = cached_nsigned(j)) < 0) {
		done_base_preload(j);
		if ((r = pdf_sig_fields_list_lazy(j->base_doc, &listed, &nlisted, ei)) != SP_OK)
			goto out;
		j->base_nsigned = (int)nlisted;
	}
	if (pdf_doc_damaged(j->new_doc)) {
		r = sp_err_reason(ei, SP_ERR_PDF, "verification_failed",
				  "the signed revision had to be repaired to be read");
		goto out;
	}
	/* the base was hashed already (j->tail, SHA-256): the ranges' digest goes on from
	   it. The update's bytes before its /Contents go into j->tail itself, which the
	   stored bytes' digest (done_work) and the engine go on from too: each of those
	   bytes hashed once in the completion, not once per digest */
	if (j->tail != NULL && crypto_sigalg_digest(alg) == CRYPTO_DIGEST_SHA256 &&
	    ss->contents_off >= j->tail_len) {
		if ((r = crypto_digest_ctx_update(j->tail, ss->document + j->tail_len,
						  ss->contents_off - j->tail_len, ei)) != SP_OK) {
			crypto_digest_ctx_free(j->tail); /* fed in part: of no use */
			j->tail = NULL;
			goto out;
		}
		j->tail_len = ss->contents_off;
		if ((r = crypto_digest_ctx_dup(j->tail, &dc, ei)) != SP_OK)
			goto out;
	} else if ((r = crypto_digest_ctx_new(crypto_sigalg_digest(alg), &dc, ei)) != SP_OK ||
		   (r = crypto_digest_ctx_update(dc, ss->document, ss->contents_off, ei)) != SP_OK)
		goto out;
	if ((r = crypto_digest_ctx_update(dc, ss->document + end, ss->document_len - end, ei)) !=
		    SP_OK ||
	    (r = crypto_digest_ctx_final(dc, d, &dlen, ei)) != SP_OK)
		goto out;
	/*
	 * The attributes rebuilt over d. crypto_cms_assemble_ex() rebuilt them
	 * already, for this very certificate and algorithm, over the digest they
	 * carry, and found them equal to the stored ones: when that digest is d,
	 * this rebuild is the same call on the same input, compared with the
	 * same bytes, and its result is that one. Otherwise rebuilt here.
	 */
	rebuilt = j->attrs_checked.mdlen > 0 && j->attrs_checked.mdlen == dlen &&
		  memcmp(j->attrs_checked.md, d, dlen) == 0;
	if (!rebuilt) {
		if ((r = crypto_cms_signed_attrs(cert, alg, d, dlen, &attrs, &alen, ei)) != SP_OK)
			goto out;
		if (alen != ss->signed_attrs_len || memcmp(attrs, ss->signed_attrs, alen) != 0) {
			r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
					  "the signed revision's digest does not match what was "
					  "signed");
			goto out;
		}
	}
	/* the engine's message-digest check of the new signature takes it (engine_check) */
	if (dlen <= sizeof(j->ranges.d)) {
		j->ranges.a = ss->contents_off;
		j->ranges.b = end;
		j->ranges.end = ss->document_len;
		j->ranges.alg = crypto_sigalg_digest(alg);
		memcpy(j->ranges.d, d, dlen);
		j->ranges.dlen = dlen;
	}
	r = SP_OK;
out:
	pdf_sig_fields_free(listed, nlisted);
	free(attrs);
	crypto_digest_ctx_free(dc);
	return r;
}

/*
 * The new revision reads back as exactly one more signed field than its
 * base: counted by the engine's listing when it verified the signed
 * revision itself, or by the long-term data's listing of it with the base's
 * reads (done_ltv) (j->new_nsigned), else listed here.
 */
int
done_signed_count(struct done_job *j, struct sp_errinfo *ei)
{
	struct pdf_sig_field *listed = NULL;
	size_t n = 0;
	int r;

	if (j->new_nsigned < 0) {
		if ((r = pdf_sig_fields_list_lazy(j->new_doc, &listed, &n, ei)) != SP_OK)
			return r;
		pdf_sig_fields_free(listed, n);
		j->new_nsigned = (int)n;
	}
	if (j->new_nsigned != j->base_nsigned + 1)
		return sp_err_reason(ei, SP_ERR_PDF, "verification_failed",
				     "the signed revision does not read back as one more "
				     "signature");
	return SP_OK;
}
