/*
 * signing_complete.c: steps 2-3 of DESIGN.md §5, and abort.
 *
 *   POST /api/v1/signing-sessions/{id}/complete {"signature": base64}
 *     -> 200 {"session", "seq", "sha256", "length", "timestamp", "contract"}
 *   DELETE /api/v1/signing-sessions/{id} -> 200 {"session", "state": "aborted"}
 *
 * Complete: one query authenticates the member and claims the session's
 * stored inputs and a TSA serial (db_signing_session_claim_auth; a bad
 * credential, then a used, aborted, expired or stale session fails there),
 * unless this process prepared the session for the same credential and
 * holds all of that (one_trip_start: then the claim's checks run in the
 * statement that stores, and any doubt takes this path after all); a
 * worker checks the token's signature against the certificate
 * (a wrong value is 422 and changes nothing: the session stays usable),
 * gets a checked RFC 3161 token over it (no token, no signature: it fails),
 * assembles the CMS, fills the placeholder and verifies the new revision;
 * one more call (db_signing_session_complete) stores the delta, marks the
 * party signed, consumes the session and appends the audit event; of two
 * concurrent completions of one session exactly one stores.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "crypto.h"
#include "pdf.h"
#include "http_int.h"
#include "signing_int.h"
#include "state.h"
#include "verify_report.h"

/* Room left after the joined document for its merged cross-reference table (merged_table:
   20 bytes an object, some 4,500 bytes at a 10-page contract's 20th signing), which it
   then shrinks to: a realloc that grew the buffer moved it, at times, a copy of it all. */
#define MERGED_SPARE(len) ((len) / 32 + 8192)

/* A stored report larger than this is not kept (the contract's verification builds it). */
#define STORED_REPORT_MAX (1024 * 1024)

struct done_job {
	struct request *r;
	struct crypto_trust *trust; /* the process's (NULL: none); outlive the job */
	const struct tsa_provider *tsa;
	char id[37];
	int64_t org_id, user_id;
	int authed; /* the claim authenticated the request (db_signing_session_claim_auth) */
	/* Prefer: return=minimal (RFC 7240): the reply without the contract document,
	   which PostgreSQL then does not build (migration 040) */
	int minimal;
	uint8_t *sig;
	size_t siglen;
	/* from db_signing_session_claim; work() fills s->document in place */
	struct db_signing_session *s;
	/* the stored document this process holds of the contract (state.h doc_cache): the
	   claim sent only the updates after it when s->from_seq is its seq; the stored
	   bytes are kept there in its place */
	struct doc_cache *docs;
	const struct doc_cached *held;
	struct crypto_digest_ctx *stored_ctx; /* SHA-256 fed with the stored bytes, kept too */
	/* the session's update as a prepare here stored it (signing_session_keep), lent
	   until the claim answered: PostgreSQL leaves it out (NULL: not held) */
	const uint8_t *update;
	size_t update_len;
	struct blob_ref *update_ref;
	/* and the rest of what that prepare kept (signing_kept_read of the same record,
	   valid while update_ref is held; have_kept 0: none) */
	struct signing_kept kept;
	int have_kept;
	/* the claim was skipped (one_trip_start): the credential's hash, for the
	   statement that stores and for the claim's path if it is taken after all */
	int one_trip;
	char token_hash[65];
	int level; /* 0 B-T, 1 B-LT, 2 B-LTA (signing.level) */
	/* results of work() */
	char sha_hex[65];
	time_t tsa_time;
	time_t archive_until; /* a document timestamp was added: its TSA's notAfter */
	size_t signed_len;    /* the signature's own update ends here (the DSS follows) */
	char ltv_err[256];    /* why no long-term data was added ("" when it was, or not asked) */
	char *report;         /* the new revision's verification report, or NULL (none kept) */
	/* its index, when the merge made one (verify_report_base_merge): kept with it */
	void *report_index;
	size_t report_index_len;
	/* the base revision and the new one, opened once by revision_check() for the
	   engine too (work() frees them) */
	struct pdf_doc *base_doc, *new_doc;
	/* what the base's revisions refer to, from an earlier completion (the engine need
	   not walk the base again), and what the new revision's do (kept for the next) */
	struct blob_cache *refs_cache;
	struct blob_cache *reads_cache; /* "sigs", "nsig", "page" and "vris" below */
	int *refs_out;
	size_t nrefs_out;
	/* the new revision's signature dictionaries as read, for the next completion (in
	   reads_cache under blob_cache_key("sigs", the stored bytes' digest)) */
	uint8_t *sigs_out;
	size_t sigs_out_len;
	/* and the /VRI keys of its last DSS (reads_cache, blob_cache_key("vris", digest)) */
	uint8_t *vri_out;
	size_t vri_out_len;
	/* and its DSS as the engine read it (pdf_dss_pack; reads_cache, blob_cache_key("dssr",
	   digest)), for the next completion's DSS update */
	uint8_t *dss_out;
	size_t dss_out_len;
	/* the base's SHA-256, when the caches may know something of it */
	uint8_t base_dig[32];
	int have_base_dig;
	/* SHA-256 fed with s->document[0..tail_len): the base, then (revision_check) the
	   new update up to its /Contents; the signed ranges' digest and the stored bytes'
	   go on from it, so those bytes are hashed once for both (NULL: none) */
	struct crypto_digest_ctx *tail;
	size_t tail_len;
	/* signed signature fields as pdf_sig_fields_list_lazy() counts them: the base's
	   (revision_check) and the new revision's (the engine's or done_ltv's listing,
	   signed_count) */
	int base_nsigned, new_nsigned;
	int base_preloaded; /* base_preload() ran */
	/* the signed revision's revisions (revisions_of(s->document)), found once for
	   keeps_pages(), form_carry() and the engine; NULL: not told apart */
	struct pdf_revision *revs;
	size_t nrevs;
	/* the base's pages (object number / generation pairs): from reads_cache under
	   blob_cache_key("page", base_dig), or read from the base; handed on to the stored
	   bytes when the updates left the page tree as it was (keeps_pages) */
	int *pages;
	size_t npages;
	int new_pages_ok;        /* the signed revision has them (new_doc opened with them) */
	int stored_pages_ok;     /* and the long-term data's update kept them too */
	struct pdf_doc *ltv_doc; /* the signed revision with its long-term data (lr.data) */
	/* B-LTA's last signer: the signed revision with its DSS, as the document timestamp
	   opened it (a view of the start of lr.data), for the engine (NULL: none) */
	struct pdf_doc *ts_doc;
	size_t ts_doc_len;
	/* the /VRI keys the DSS update hashed, with what they hash (done_ltv), for the
	   engine's levels: not hashed again */
	uint8_t *vri_memo;
	size_t vri_memo_len;
	/* the signed revision's DSS as the long-term data's update read it (done_ltv), for
	   the engine's read of the stored bytes' (crypto_verify_opts.dss_known) */
	struct pdf_dss dss_known;
	/* the document of the stored bytes, whose form facts (carried over from the base's,
	   form_carry) are kept with their digest: new_doc or ltv_doc (NULL: none) */
	struct pdf_doc *stored_doc;
	int stored_nsigned; /* that one's signed fields (the engine's listing), -1 */
	/* stored_doc's qpdf parse of the stored bytes, kept with them (done_stored) */
	struct pdf_parsed *stored_parsed;
	/* checked already on these very bytes, for the engine (crypto_verify_opts): the
	   signer's value (done_work, cert borrowed from it) and the signed ranges' digest
	   of ss->document (revision_check; dlen 0: none) */
	struct crypto_sig_checked sig_checked;
	struct crypto_ranges_digest ranges;
	/* the digest over which crypto_cms_assemble_ex() rebuilt the stored signed attributes
	   and found them equal (mdlen 0: none) */
	struct crypto_attrs_checked attrs_checked;
};

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
 * Whether this completion is the contract's last signature (every other
 * signer has signed): the claim's last_signer, or, in one trip, what
 * signing_session_create's statement said it would be (the statement that
 * stores compares it at B-LTA only: below, a signer who joined since makes
 * this a guess, which decides what the cache keeps, never what is stored).
 */
static int
signers_done(const struct done_job *j)
{
	return j->one_trip ? j->kept.last_signer == 1 : j->s->last_signer != 0;
}

static void
done_job_free(struct done_job *j)
{
	if (j == NULL)
		return;
	pdf_parsed_free(j->stored_parsed); /* before the bytes it reads (j->s) */
	free(j->sig);
	free(j->report);
	free(j->report_index);
	free(j->refs_out);
	free(j->sigs_out);
	free(j->vri_out);
	free(j->dss_out);
	free(j->vri_memo);
	pdf_dss_cleanup(&j->dss_known);
	free(j->pages);
	free(j->revs);
	crypto_digest_ctx_free(j->tail);
	db_signing_session_free(j->s);
	doc_cache_release(j->docs, j->held);
	blob_cache_return(j->update_ref);
	crypto_digest_ctx_free(j->stored_ctx);
	free(j);
}

static int
uuid_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
							      : !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* ---- the worker ------------------------------------------------------------------------- */

/*
 * The revisions of data[0..len) (*n of them, malloc'd), or NULL when they
 * cannot be told apart. Found once per buffer in a completion and handed to
 * keeps_pages() and form_carry(), which each found them again (the chain of
 * sections is followed from the end: 2k revisions at a B-LT contract's k-th
 * signing). known[0..nknown) (NULL: none), when given, are those of
 * data[0..known_len): only the sections after those are walked
 * (pdf_revisions_extend), else the whole chain.
 */
static struct pdf_revision *
revisions_of(const uint8_t *data, size_t len, const struct pdf_revision *known, size_t nknown,
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
	j->revs = revisions_of(ss->document, ss->document_len, (const struct pdf_revision *)v,
			       vlen / sizeof(struct pdf_revision), ss->orig_len, &j->nrevs);
	blob_cache_return(ref);
}

/*
 * The stored bytes' reads count for the next prepare's room check (reads
 * cache "room"): the base's, as the prepare left it, extended by the
 * revisions this completion appended (the base's are the first of revs);
 * none when the prepare left none.
 */
static void
room_on(struct done_job *j, const uint8_t *data, size_t len, const struct pdf_revision *revs,
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
 * The cross-reference chain of (*data)[0..len) (revs[0..nrevs) its
 * revisions) as the one table qpdf makes of it (pdf_xref_merged), written
 * after the bytes in *data's own allocation, so that an open of them (and
 * of the stored bytes at the next prepare and completion here, which adopt
 * that parse) reads one table and trailer, not the k + 1 sections of a k-th
 * signing (2k + 1 with long-term data; some 80,000 instructions each). The
 * bytes qpdf then reads (0: none, it reads the chain). Called before
 * anything borrows *data: it may move.
 */
static size_t
merged_table(uint8_t **data, size_t len, const struct pdf_revision *revs, size_t nrevs)
{
	unsigned char *t = NULL;
	uint8_t *d;
	size_t tlen = 0;
	struct sp_errinfo ign;

	sp_errinfo_init(&ign);
	if (revs == NULL || nrevs < 2 ||
	    pdf_xref_merged(*data, len, revs, nrevs, &t, &tlen, &ign) != SP_OK) {
		/* none: the room the join left (MERGED_SPARE) is given back */
		if ((d = realloc(*data, len)) != NULL)
			*data = d;
		return 0;
	}
	/* within the join's room: shrunk in place, not moved */
	if ((d = realloc(*data, len + tlen)) == NULL) {
		free(t);
		return 0;
	}
	*data = d;
	memcpy(d + len, t, tlen);
	free(t);
	return len + tlen;
}

/* (*out) opened on data[0..len) as pdf_doc_open_known(), through the merged table when
   qlen (merged_table) is not 0 */
static int
open_known(const uint8_t *data, size_t len, size_t qlen, const struct pdf_revision *revs,
	   size_t nrevs, const int *pages, size_t npages, struct pdf_doc **out,
	   struct sp_errinfo *ei)
{
	if (qlen > 0)
		return pdf_doc_open_known_merged(data, len, qlen, revs[nrevs - 2].xref, pages,
						 npages, out, ei);
	return pdf_doc_open_known(data, len, pages, npages, out, ei);
}

/*
 * 1 when the bytes of len whose revisions are revs[0..n) (revisions_of),
 * whose last update follows the revision ending at prev_end (older, with
 * the page list), have older's pages (pdf_pages_kept).
 */
static int
keeps_pages(const struct pdf_revision *revs, size_t n, size_t len, size_t prev_end,
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
static void
base_preload(struct done_job *j)
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
static void
form_carry(struct done_job *j, struct pdf_doc *older, struct pdf_doc *newer,
	   const struct pdf_revision *revs, size_t n)
{
	uint8_t key[32], *v = NULL, *facts = NULL;
	size_t vlen = 0, flen = 0;
	struct sp_errinfo ign;

	sp_errinfo_init(&ign);
	if (older == j->base_doc && j->have_base_dig) {
		blob_cache_key("form", j->base_dig, key);
		if (blob_cache_get(j->reads_cache, key, &v, &vlen) != SP_OK ||
		    pdf_doc_form_load_kept(older, v, vlen, j->base_dig, &ign) != SP_OK) {
			/* not kept here: read from the base once (the listing would walk it) */
			sp_errinfo_init(&ign);
			base_preload(j);
			if (pdf_doc_form_export(older, j->base_dig, &facts, &flen, &ign) == SP_OK)
				blob_cache_put(j->reads_cache, key, facts, flen);
			free(facts);
		}
		free(v);
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
 * the engine has listed its fields (signed_count), which the new revision's
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
 * is given the base's list, used only once keeps_pages() has shown its
 * update kept the tree (new_pages_ok): then it is the older side of the
 * long-term data's update (B-LT) and the list goes on to the stored bytes.
 */
static int
revision_check(struct done_job *j, X509 *cert, enum crypto_sigalg alg, struct sp_errinfo *ei)
{
	const struct db_signing_session *ss = j->s;
	struct pdf_sig_field *listed = NULL;
	size_t nlisted = 0;
	struct crypto_digest_ctx *dc = NULL;
	uint8_t d[CRYPTO_DIGEST_MAX], *attrs = NULL;
	size_t dlen = 0, alen = 0, end = ss->contents_off + ss->contents_len, qlen;
	int r = SP_ERR_INTERNAL, rebuilt;
	struct sp_errinfo pei;

	/* the signed revision's revisions, found once for these and the engine */
	signed_revisions(j);
	qlen = merged_table(&j->s->document, ss->document_len, j->revs, j->nrevs);
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
	   them in the base (base_preload) */
	/* read from the base this once: handed on with the stored bytes when they keep it */
	sp_errinfo_init(&pei);
	if (j->pages == NULL &&
	    pdf_doc_page_objs(j->base_doc, &j->pages, &j->npages, &pei) != SP_OK)
		j->pages = NULL;
	/* with the base's page list, which it has when its update kept the tree: then it can
	   stand for the signed revision as the older side of the long-term data's update */
	if ((r = open_known(ss->document, ss->document_len, qlen, j->revs, j->nrevs, j->pages,
			    j->pages ? j->npages : 0, &j->new_doc, ei)) != SP_OK)
		goto out;
	/* the new signature's dictionary from the bytes, not qpdf's tokenizer: as qpdf
	   would parse it, before the first walk of its field has qpdf parse it. The newest
	   update's only: the earlier signature in the update before is read from the handed
	   on reads (engine_check), not from this view */
	(void)pdf_doc_sigs_preload(j->new_doc, 1);
	j->new_pages_ok = j->pages != NULL && keeps_pages(j->revs, j->nrevs, ss->document_len,
							  ss->orig_len, j->base_doc, j->new_doc);
	form_carry(j, j->base_doc, j->new_doc, j->revs, j->nrevs);
	/* counted in these very bytes by the completion that stored them, or now */
	if ((j->base_nsigned = cached_nsigned(j)) < 0) {
		base_preload(j);
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
static int
signed_count(struct done_job *j, struct sp_errinfo *ei)
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

/*
 * What the contract's verification will answer for this revision, kept with
 * it: the engine's report when it verified the whole file (the upload's
 * first signing), else the base revision's stored report with this one's
 * news (verify_report_base_merge). None (NULL) when that cannot be exact or
 * is too large: reading then verifies the file itself, as before.
 */
/* base: the base's stored report, opened once for both uses (NULL: none) */
static void
report_keep(struct done_job *j, const struct crypto_verify_report *rep,
	    struct verify_report_base *base)
{
	size_t len;
	int r;

	if (j->s->base_seq == 0)
		r = verify_report_text(rep, STORED_REPORT_MAX, &j->report, &len);
	else if (base != NULL)
		r = verify_report_base_merge(base, rep, STORED_REPORT_MAX, &j->report, &len,
					     &j->report_index, &j->report_index_len);
	else
		r = SP_OK;
	if (r != SP_OK) {
		free(j->report);
		j->report = NULL;
		free(j->report_index);
		j->report_index = NULL;
	}
}

/*
 * The new revision through the verification engine (DESIGN §6): the new
 * signature (the one whose range ends where the signed revision ends) must
 * be valid, with its timestamp, and no earlier signature may have become
 * invalid through the new update (an earlier one may be indeterminate).
 * data[0..len) is the signed revision, or it with the DSS and document
 * timestamp done_ltv() appended: then one pass verifies those too (the new
 * signature with the DSS's revocation evidence, as any later verification
 * will), and whatever they add must be valid. revs[0..nrevs): data's
 * revisions as revisions_of() found them (NULL: the engine finds them).
 */
static int
engine_check(struct done_job *j, const uint8_t *data, size_t len, const struct pdf_revision *revs,
	     size_t nrevs, struct sp_errinfo *ei)
{
	const struct db_signing_session *ss = j->s;
	struct crypto_verify_opts vo;
	struct crypto_verify_report *rep = NULL;
	const struct crypto_sig_report *s;
	uint8_t skey[32], *refs = NULL, *given_vri = NULL;
	const uint8_t *given_sigs = NULL;
	struct blob_ref *given_ref = NULL;
	size_t i, nnew = 0, rlen = 0, glen = 0, vlen = 0;
	/* the base's stored report (all its signatures): as this process holds it with the
	   base (the claim did not send it), or as the claim sent it; indexed once, here */
	int held_text = ss->base_verification_held && j->held != NULL;
	const char *base_text = held_text ? j->held->report : ss->base_verification;
	struct verify_report_base *base = NULL;
	int r = SP_ERR_INTERNAL;

	/* the held report with the index its merge made of it: not scanned again */
	if (ss->base_seq > 0 && base_text != NULL &&
	    (r = held_text ? verify_report_base_open_indexed(base_text, j->held->report_len,
							     j->held->report_index,
							     j->held->report_index_len, &base)
			   : verify_report_base_open(base_text, &base)) != SP_OK)
		return sp_err(ei, r, "out of memory");
	memset(&vo, 0, sizeof(vo));
	vo.trust = j->trust;
	/*
	 * Verify once: a stored revision after the upload was verified, with all
	 * it changed, by the completion that stored it, and the new file starts
	 * with its bytes. So only the new signature and the new update's changes
	 * are checked, and the earlier signatures judged by those changes: a
	 * contract's k-th signing no longer re-verifies k - 1 signatures. The
	 * upload (base_seq 0) is verified whole, as it was never verified here;
	 * an unsigned update at the base's end is checked again by the engine.
	 */
	vo.verified_len = ss->base_seq > 0 ? ss->orig_len : 0;
	/* a base whose report was kept was verified to its end, a DSS after its signature
	   included (done_ltv): the new update is diffed against the base itself */
	vo.verified_tail = vo.verified_len > 0 && verify_report_base_covers(base, ss->orig_len);
	/* the documents revision_check() opened: one parse of each per completion (the
	   upload's too, which is not verified but needs no second open) */
	vo.doc = len == ss->document_len ? j->new_doc : j->ltv_doc;
	/* the signed revision, between the base and the long-term data: not opened again
	   (its page list is the base's, which the difference check of the next update needs) */
	if (len != ss->document_len && j->new_pages_ok) {
		vo.rev_doc = j->new_doc;
		vo.rev_len = ss->document_len;
	}
	/* the /VRI keys done_ltv hashed: a signature's is taken where its /Contents is the
	   very bytes hashed there */
	vo.vri_memo = j->vri_memo;
	vo.vri_memo_len = j->vri_memo_len;
	/* and the signed revision's DSS as that update read it: the items it kept by
	   reference are not decoded again (data starts with the signed revision, compared) */
	if (len > ss->document_len && (j->dss_known.present || j->dss_known.size > 0) &&
	    memcmp(data, ss->document, ss->document_len) == 0) {
		vo.dss_known = &j->dss_known;
		vo.dss_known_len = ss->document_len;
	}
	/* and the one under the document timestamp, as that opened it (done_ltv) */
	if (len != ss->document_len && j->ts_doc != NULL) {
		vo.rev_doc2 = j->ts_doc;
		vo.rev_len2 = j->ts_doc_len;
	}
	/* the base and the update up to its /Contents, hashed once by done_work and
	   revision_check (SHA-256, j->tail_len bytes): the engine's hashing of ranges goes
	   on from there (data starts with those very bytes: the signed revision, or it
	   with the long-term data appended, compared) */
	if (j->tail != NULL &&
	    (data == ss->document || memcmp(data, ss->document, j->tail_len) == 0)) {
		vo.hashed = j->tail;
		vo.hashed_len = j->tail_len;
	}
	vo.verified_doc = j->base_doc;
	vo.given_len = ss->orig_len;
	/* data's revisions as revisions_of() found them in these very bytes (NULL: none) */
	vo.revs_known = revs;
	vo.nrevs_known = revs != NULL ? nrevs : 0;
	/* the signer's value, verified by done_work with the same key over the same
	   attributes; and the signed ranges' digest revision_check took of the signed
	   revision, which data is or starts with (compared) */
	vo.sig_checked = j->sig_checked.cert != NULL ? &j->sig_checked : NULL;
	if (j->ranges.dlen > 0 && len >= ss->document_len &&
	    (data == ss->document || memcmp(data, ss->document, ss->document_len) == 0))
		vo.ranges_known = &j->ranges;
	/*
	 * What the base's revisions refer to, as the completion that verified
	 * the base found it, or for the upload as its normalization found it
	 * (a process cache by the base's digest: exactly these bytes), so the
	 * engine need not walk the whole base to see whether the update fills
	 * a reference it already made; on a miss (another process, a restart)
	 * it walks it.
	 */
	if (j->have_base_dig) {
		if (blob_cache_get(j->refs_cache, j->base_dig, &refs, &rlen) == SP_OK) {
			vo.verified_refs = (const int *)(void *)refs;
			vo.nverified_refs = rlen / sizeof(int);
		}
		/* and its earlier signatures as that completion read them: not parsed again
		   (lent, not copied: every earlier /Contents) */
		blob_cache_key("sigs", j->base_dig, skey);
		if (blob_cache_borrow(j->reads_cache, skey, &given_sigs, &glen, &given_ref) ==
		    SP_OK) {
			vo.verified_sigs = given_sigs;
			vo.verified_sigs_len = glen;
			/* how many the base lists: when those reads are all, it hides none */
			vo.verified_nlisted = j->base_nsigned > 0 ? (size_t)j->base_nsigned : 0;
		}
		/* and the /VRI keys of its DSS as that completion read them: not read again
		   (asked for only when an earlier signature may get a /VRI entry now) */
		blob_cache_key("vris", j->base_dig, skey);
		if (j->level >= 1 && vo.verified_len > 0 &&
		    blob_cache_get(j->reads_cache, skey, &given_vri, &vlen) == SP_OK) {
			vo.verified_vri = given_vri;
			vo.verified_vri_len = vlen;
		}
	}
	free(j->refs_out);
	j->refs_out = NULL;
	vo.refs_out = &j->refs_out;
	vo.nrefs_out = &j->nrefs_out;
	free(j->sigs_out);
	j->sigs_out = NULL;
	vo.sigs_out = &j->sigs_out;
	vo.sigs_out_len = &j->sigs_out_len;
	/* the /VRI keys for the next completion: only where the next one asks (B-LT, B-LTA) */
	free(j->vri_out);
	j->vri_out = NULL;
	free(j->dss_out);
	j->dss_out = NULL;
	if (j->level >= 1) {
		vo.vri_out = &j->vri_out;
		vo.vri_out_len = &j->vri_out_len;
		vo.dss_out = &j->dss_out;
		vo.dss_out_len = &j->dss_out_len;
	}
	/* without the base's reads the engine reads its signatures from the base's view */
	if (vo.verified_sigs == NULL)
		base_preload(j);
	if ((r = trust_store_need(vo.trust, ei)) != SP_OK ||
	    (r = tsa_provider_trust(j->tsa, &vo.ts_trust, ei)) != SP_OK ||
	    (r = crypto_pdf_verify(data, len, &vo, &rep, ei)) != SP_OK)
		goto out;
	/* its listing of the signed revision's fields, for signed_count(); or of the stored
	   bytes' (with the long-term data), for the next completion */
	if (vo.doc == j->new_doc)
		j->new_nsigned = (int)rep->nlisted;
	j->stored_nsigned = vo.doc != NULL && vo.doc == j->ltv_doc ? (int)rep->nlisted : -1;
	for (i = 0; i < rep->nsigs; i++) {
		s = &rep->sigs[i];
		/* what done_ltv() appended: proven wrong, it is not stored (undecided, it is, as
		   the renewal job's is; the report is then not kept) */
		if (s->byte_range[2] + s->byte_range[3] > (long long)ss->document_len &&
		    s->verdict == CRYPTO_VERDICT_INVALID) {
			r = sp_err(ei, SP_ERR_CRYPTO, "the document timestamp is %s: %s",
				   crypto_verdict_name(s->verdict),
				   s->nreasons > 0 ? s->reasons[0] : "not valid");
			goto out;
		} else if (s->byte_range[2] + s->byte_range[3] == (long long)ss->document_len) {
			nnew++;
			if ((s->verdict != CRYPTO_VERDICT_VALID &&
			     s->verdict != CRYPTO_VERDICT_VALID_ALLOWED_CHANGES) ||
			    !s->has_timestamp) {
				r = sp_err(ei, SP_ERR_CRYPTO, "the new signature is %s: %s",
					   crypto_verdict_name(s->verdict),
					   s->nreasons > 0 ? s->reasons[0] : "no timestamp");
				goto out;
			}
		} else if (s->verdict == CRYPTO_VERDICT_INVALID) {
			r = sp_err(ei, SP_ERR_CRYPTO, "earlier signature %s became invalid: %s",
				   s->field, s->nreasons > 0 ? s->reasons[0] : "invalid");
			goto out;
		}
	}
	if (nnew != 1) {
		r = sp_err(ei, SP_ERR_CRYPTO,
			   "the new revision carries %zu signatures over the "
			   "whole file",
			   nnew);
		goto out;
	}
	/* a repair on the way (the views parse what is used) makes the file not ours */
	if (pdf_doc_damaged(j->new_doc) || pdf_doc_damaged(j->base_doc) ||
	    (vo.doc != j->new_doc && ((vo.doc != NULL && pdf_doc_damaged(vo.doc)) ||
				      (rep->nrevisions > 0 && rep->trailing_data)))) {
		r = sp_err(ei, SP_ERR_PDF, "the signed revision had to be repaired to be read");
		goto out;
	}
	report_keep(j, rep, base);
	r = SP_OK;
out:
	verify_report_base_free(base);
	free(refs);
	blob_cache_return(given_ref);
	free(given_vri);
	crypto_verify_report_free(rep);
	return r;
}

static int done_ltv(struct done_job *j, struct ltv_result *lr);

static int
done_work(void *arg, struct sp_errinfo *ei)
{
	struct done_job *j = arg;
	struct db_signing_session *ss = j->s;
	enum crypto_sigalg alg, want;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	uint8_t *tok = NULL, *cms = NULL, dig[32];
	size_t toklen = 0, cmslen = 0, dlen = 0, hashed = 0, qlen;
	struct sp_errinfo vei;
	struct ltv_result lr;
	/* lr.data's revisions (revisions_of), when it is made and opened */
	struct pdf_revision *lrevs = NULL;
	const struct pdf_revision *known;
	size_t nlrevs = 0;
	time_t gen = 0;
	int r = SP_ERR_INTERNAL, resume;

	memset(&lr, 0, sizeof(lr));
	j->new_nsigned = j->base_nsigned = j->stored_nsigned = -1;
	/* the base as this process holds it, then what the claim sent: joined here, off the
	   loop */
	if (ss->from_seq >= 0) {
		if ((r = db_signing_session_join(ss, j->held != NULL ? j->held->data : NULL,
						 j->held != NULL ? j->held->len : 0,
						 MERGED_SPARE(ss->orig_len))) != SP_OK) {
			r = sp_err(ei, r, "the held document does not fit the claim");
			goto out;
		}
		/* the held bytes' SHA-256 state, kept with them: they are not hashed again */
		if (j->held->sha256_ctx != NULL && j->held->len <= ss->orig_len)
			hashed = j->held->len;
	}
	sp_errinfo_init(&vei);
	/* the base's digest: what a completion that stored it (or, for the upload, the
	   create that normalized it) left in the cache is keyed by; the stored bytes start
	   with the base, so their digest goes on from there */
	if (j->refs_cache != NULL &&
	    (hashed > 0 ? crypto_digest_ctx_dup(j->held->sha256_ctx, &j->tail, &vei)
			: crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &j->tail, &vei)) == SP_OK &&
	    crypto_digest_ctx_update(j->tail, ss->document + hashed, ss->orig_len - hashed, &vei) ==
		    SP_OK &&
	    crypto_digest_ctx_peek(j->tail, j->base_dig, &dlen, &vei) == SP_OK) {
		j->have_base_dig = 1;
		j->tail_len = ss->orig_len;
	} else {
		crypto_digest_ctx_free(j->tail);
		j->tail = NULL;
	}
	dlen = 0;
	/* What prepare stored is ours: if it does not decode, the fault is not the caller's. */
	sp_errinfo_init(&vei);
	/* the signer and its CAs repeat: decoded once per process (the trust and its cache) */
	if (crypto_trust_cert_parse(j->trust, ss->cert_der, ss->cert_len, &cert, &vei) != SP_OK ||
	    crypto_trust_chain_from_der(j->trust, ss->chain, ss->chain_len, &chain, &vei) !=
		    SP_OK) {
		r = sp_err(ei, SP_ERR_INTERNAL, "the stored signing session does not decode: %s",
			   vei.msg);
		goto out;
	}
	if ((r = crypto_sigalg_for_cert(cert, &alg, ei)) != SP_OK)
		goto out;
	want = crypto_sigalg_from_name(ss->algorithm);
	if (want != alg) {
		r = sp_err(ei, SP_ERR_INTERNAL, "stored algorithm does not fit the certificate");
		goto out;
	}
	/* Before anything else: a wrong value must change nothing. */
	if ((r = crypto_sig_verify(cert, alg, ss->signed_attrs, ss->signed_attrs_len, j->sig,
				   j->siglen, ei)) != SP_OK)
		goto out;
	/* so the engine's check of the same value over the same attributes is not run twice */
	j->sig_checked.cert = cert;
	j->sig_checked.alg = alg;
	j->sig_checked.tbs = ss->signed_attrs;
	j->sig_checked.tbslen = ss->signed_attrs_len;
	j->sig_checked.sig = j->sig;
	j->sig_checked.siglen = j->siglen;
	/* the token and the CMS are checked once, by engine_check() below, not also here */
	if ((r = tsa_provider_timestamp_engine(j->tsa, j->sig, j->siglen, NULL, ss->tsa_serial,
					       &tok, &toklen, &gen, ei)) != SP_OK)
		goto out;
	if ((r = crypto_cms_assemble_ex(cert, chain, ss->signed_attrs, ss->signed_attrs_len, j->sig,
					j->siglen, tok, toklen, CRYPTO_CMS_ENGINE_CHECKS,
					&j->attrs_checked, &cms, &cmslen, ei)) != SP_OK)
		goto out;
	if ((r = pdf_sig_fill(ss->document, ss->document_len, ss->contents_off, ss->contents_len,
			      cms, cmslen, ei)) != SP_OK)
		goto out;
	sp_errinfo_init(&vei);
	if (revision_check(j, cert, alg, &vei) != SP_OK) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
				  "the signed revision failed verification: %s", vei.msg);
		goto out;
	}
	/*
	 * B-LT / B-LTA: the DSS (and document timestamp) go on before the engine
	 * runs, so that one pass verifies the new signature, what it changed and
	 * what they add, and its report is what the contract's verification will
	 * say of the stored bytes. Long-term data that does not verify is not
	 * stored: the signed revision alone is verified then, as at B-T.
	 */
	memset(&lr, 0, sizeof(lr));
	if (done_ltv(j, &lr)) {
		/* its revisions: on from the signed revision's, when lr.data starts with it */
		known = lr.len > ss->document_len &&
					memcmp(lr.data, ss->document, ss->document_len) == 0
				? j->revs
				: NULL;
		lrevs = revisions_of(lr.data, lr.len, known, j->nrevs, ss->document_len, &nlrevs);
		/* its chain as one table for qpdf, unless B-LTA's document timestamp viewed
		   lr.data already (ts_doc: it must not move) */
		qlen = j->ts_doc == NULL ? merged_table(&lr.data, lr.len, lrevs, nlrevs) : 0;
		/* the final revision's view for the engine: no page list (it is the newer side) */
		sp_errinfo_init(&vei);
		if (open_known(lr.data, lr.len, qlen, lrevs, nlrevs, NULL, 0, &j->ltv_doc, &vei) !=
		    SP_OK) {
			j->ltv_doc = NULL; /* the engine opens it (and finds the revisions) */
			free(lrevs);
			lrevs = NULL;
			nlrevs = 0;
		} else {
			/* the new signature's dictionary (and a document timestamp's) from
			   the bytes here too: this view parses its objects anew */
			(void)pdf_doc_sigs_preload(j->ltv_doc, 2);
			if (lrevs != NULL)
				form_carry(j, j->new_doc, j->ltv_doc, lrevs, nlrevs);
		}
		sp_errinfo_init(&vei);
	}
	if (lr.data != NULL && engine_check(j, lr.data, lr.len, lrevs, nlrevs, &vei) != SP_OK) {
		snprintf(j->ltv_err, sizeof(j->ltv_err),
			 "the long-term validation data did not verify: %.200s", vei.msg);
		pdf_doc_free(j->ltv_doc);
		j->ltv_doc = NULL;
		j->stored_nsigned = -1;
		pdf_doc_free(j->ts_doc); /* before the bytes it reads */
		j->ts_doc = NULL;
		ltv_result_cleanup(&lr);
		free(lrevs);
		lrevs = NULL;
		nlrevs = 0;
		free(j->report);
		j->report = NULL;
		free(j->report_index);
		j->report_index = NULL;
		sp_errinfo_init(&vei);
	}
	if (lr.data == NULL &&
	    engine_check(j, ss->document, ss->document_len, j->revs, j->nrevs, &vei) != SP_OK) {
		/* Whatever failed, the answer is the same: the new revision is not good. */
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
				  "the signed revision failed verification: %s", vei.msg);
		goto out;
	}
	sp_errinfo_init(&vei);
	if (signed_count(j, &vei) != SP_OK) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "verification_failed",
				  "the signed revision failed verification: %s", vei.msg);
		goto out;
	}
	/* the stored bytes are the signed revision alone: its pages are the base's when the
	   update left the page tree as it was */
	j->stored_pages_ok = lr.data == NULL
				     ? j->new_pages_ok
				     : j->new_pages_ok && j->ltv_doc != NULL &&
					       keeps_pages(lrevs, nlrevs, lr.len, ss->document_len,
							   j->new_doc, j->ltv_doc);
	/* the views borrow ss->document, replaced now by the document with its DSS; the
	   stored bytes' own (new_doc, or ltv_doc on lr.data, which becomes ss->document)
	   stays for their form facts, kept with their digest below */
	j->stored_doc = lr.data != NULL ? j->ltv_doc : j->new_doc;
	if (j->stored_doc != j->ltv_doc)
		pdf_doc_free(j->ltv_doc);
	if (j->stored_doc != j->new_doc)
		pdf_doc_free(j->new_doc);
	pdf_doc_free(j->base_doc);
	j->ltv_doc = j->new_doc = j->base_doc = NULL;
	/* the long-term data's file is the signed revision's copy with its update after
	   it: the base's bytes start it as they started the signed revision */
	resume = j->tail != NULL && ss->contents_off >= ss->orig_len &&
		 ss->document_len >= j->tail_len &&
		 (lr.data == NULL ||
		  (lr.len >= j->tail_len && memcmp(lr.data, ss->document, j->tail_len) == 0));
	if (lr.data != NULL) {
		j->signed_len = ss->document_len;
		free(ss->document);
		ss->document = lr.data;
		ss->document_len = lr.len;
		j->archive_until = lr.archive_until;
		lr.data = NULL; /* transferred */
	}
	/* the stored bytes' digest: on from j->tail's (the base, and the update up to its
	   /Contents when revision_check went on) when they start with the very bytes it
	   was fed (the fill wrote after the base only; the long-term data's file compared
	   above), not the whole file hashed again */
	if (resume) {
		if ((r = crypto_digest_ctx_update(j->tail, ss->document + j->tail_len,
						  ss->document_len - j->tail_len, ei)) != SP_OK)
			goto out;
	} else {
		crypto_digest_ctx_free(j->tail);
		j->tail = NULL;
		if ((r = crypto_digest_ctx_new(CRYPTO_DIGEST_SHA256, &j->tail, ei)) != SP_OK ||
		    (r = crypto_digest_ctx_update(j->tail, ss->document, ss->document_len, ei)) !=
			    SP_OK)
			goto out;
	}
	/* the state before the end is kept with the stored bytes (done_stored): the next
	   completion here goes on from it */
	if (j->docs != NULL && crypto_digest_ctx_dup(j->tail, &j->stored_ctx, &vei) != SP_OK)
		j->stored_ctx = NULL;
	if ((r = crypto_digest_ctx_final(j->tail, dig, &dlen, ei)) != SP_OK)
		goto out;
	sp_hex(dig, 32, j->sha_hex);
	/* what the stored bytes refer to, for the next signer's completion */
	if (j->refs_out != NULL)
		blob_cache_put(j->refs_cache, dig, (const uint8_t *)j->refs_out,
			       j->nrefs_out * sizeof(int));
	if (j->sigs_out != NULL) {
		uint8_t skey[32];

		/* handed over, not copied */
		blob_cache_key("sigs", dig, skey);
		blob_cache_put_take(j->reads_cache, skey, j->sigs_out, j->sigs_out_len);
		j->sigs_out = NULL;
	}
	if (j->vri_out != NULL) {
		uint8_t vkey[32];

		blob_cache_key("vris", dig, vkey);
		blob_cache_put(j->reads_cache, vkey, j->vri_out, j->vri_out_len);
	}
	/* and their DSS as read (handed over): the next DSS update decodes only what is new */
	if (j->dss_out != NULL) {
		uint8_t dkey[32];

		blob_cache_key("dssr", dig, dkey);
		blob_cache_put_take(j->reads_cache, dkey, j->dss_out, j->dss_out_len);
		j->dss_out = NULL;
	}
	/* and the /VRI keys hashed here with what they hash, for the next completion's
	   long-term data (handed over: the engine is done with them) */
	if (j->vri_memo != NULL) {
		uint8_t mkey[32];

		blob_cache_key("vmem", dig, mkey);
		blob_cache_put_take(j->reads_cache, mkey, j->vri_memo, j->vri_memo_len);
		j->vri_memo = NULL;
	}
	/* and their revisions: the next completion walks only its update's section */
	if (j->signed_len == 0 ? j->revs != NULL : lrevs != NULL) {
		uint8_t rkey[32];

		blob_cache_key("revs", dig, rkey);
		blob_cache_put(j->reads_cache, rkey,
			       (const uint8_t *)(j->signed_len == 0 ? j->revs : lrevs),
			       (j->signed_len == 0 ? j->nrevs : nlrevs) *
				       sizeof(struct pdf_revision));
		room_on(j, ss->document, ss->document_len, j->signed_len == 0 ? j->revs : lrevs,
			j->signed_len == 0 ? j->nrevs : nlrevs, dig);
	}
	if (j->stored_pages_ok) {
		uint8_t pkey[32];

		blob_cache_key("page", dig, pkey);
		blob_cache_put(j->reads_cache, pkey, (const uint8_t *)j->pages,
			       j->npages * 2 * sizeof(int));
	}
	/* and its signed fields: the signed revision's, or the engine's count of the stored
	   bytes with their long-term data */
	if (j->signed_len == 0 ? j->new_nsigned >= 0 : j->stored_nsigned >= 0) {
		uint8_t fkey[32];
		int n = j->signed_len == 0 ? j->new_nsigned : j->stored_nsigned;

		blob_cache_key("nsig", dig, fkey);
		blob_cache_put(j->reads_cache, fkey, (const uint8_t *)&n, sizeof(n));
	}
	/* and their form's facts (carried over the update from the base's), for the next
	   prepare's open and DocMDP check and the next completion's listing */
	if (j->stored_doc != NULL) {
		uint8_t fkey[32], *facts = NULL;
		size_t flen = 0;

		sp_errinfo_init(&vei);
		if (pdf_doc_form_export(j->stored_doc, dig, &facts, &flen, &vei) == SP_OK) {
			blob_cache_key("form", dig, fkey);
			blob_cache_put(j->reads_cache, fkey, facts, flen);
		}
		free(facts);
	}
	j->tsa_time = gen;
	r = SP_OK;
out:
	free(lrevs);
	pdf_doc_free(j->ts_doc); /* before lr.data it reads, when that was not kept */
	j->ts_doc = NULL;
	pdf_doc_free(j->ltv_doc);
	j->ltv_doc = NULL;
	/* qpdf's parse of the stored bytes (ss->document now), for the next open of them
	   here (the next signer's prepare and claim): kept with them once PostgreSQL stored
	   them (done_stored), unless no signer is left to open them. A parse costs the
	   cache about twice the document (doc_cache.c PARSE_COST): a completed contract's
	   would only crowd out the documents of contracts still being signed. */
	if (r == SP_OK && j->docs != NULL && j->stored_doc != NULL && !signers_done(j))
		j->stored_parsed = pdf_doc_parsed_take(j->stored_doc);
	pdf_doc_free(j->stored_doc);
	j->stored_doc = NULL;
	ltv_result_cleanup(&lr);
	free(tok);
	free(cms);
	pdf_doc_free(j->new_doc);
	/* failed: the base stays the contract's newest revision, its parse back with it */
	if (j->base_doc != NULL && j->held != NULL)
		doc_cache_parsed_put(j->docs, j->held, pdf_doc_parsed_take(j->base_doc));
	pdf_doc_free(j->base_doc);
	j->new_doc = j->base_doc = NULL;
	memset(&j->sig_checked, 0, sizeof(j->sig_checked)); /* cert is freed here */
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/*
 * PAdES B-LT / B-LTA (signing.level): the signed revision with the DSS
 * update (and, from the last signer, a document timestamp) appended, in
 * *lr; 1 when made, 0 when not asked or it could not be made. Long-term
 * evidence is an addition to a good signature, not a condition of it: when
 * it cannot be made (OCSP or the TSA down) the B-T revision is stored, the
 * failure logged, and the renewal job archives the contract once it is
 * completed.
 */
static int
done_ltv(struct done_job *j, struct ltv_result *lr)
{
	struct db_signing_session *ss = j->s;
	struct crypto_ltv_known kn;
	struct sp_errinfo ei;
	uint8_t skey[32];
	const uint8_t *reads = NULL, *memo = NULL, *dssr = NULL;
	struct blob_ref *ref = NULL, *mref = NULL, *dref = NULL;
	size_t rlen = 0, mlen = 0, dlen = 0;
	struct pdf_dss given;
	int archive = j->level >= 2 && ss->last_signer, r;

	memset(lr, 0, sizeof(*lr));
	if (j->level < 1)
		return 0;
	/* the base's signatures as the completion that stored it read them: only the new
	   one is parsed, and its listing of the signed revision counts for signed_count() */
	memset(&kn, 0, sizeof(kn));
	kn.nlisted = -1;
	blob_cache_key("sigs", j->base_dig, skey);
	if (j->have_base_dig &&
	    blob_cache_borrow(j->reads_cache, skey, &reads, &rlen, &ref) == SP_OK) {
		kn.given = j->base_doc;
		kn.given_len = ss->orig_len;
		kn.reads = reads;
		kn.reads_len = rlen;
	}
	/* the signed revision kept the base's pages (revision_check): not walked again */
	if (j->new_pages_ok) {
		kn.pages = j->pages;
		kn.npages = j->npages;
	}
	/* and it is open already (revision_check): the DSS update reads it there, with its
	   revisions (revision_check found them in these bytes) */
	kn.doc = j->new_doc;
	kn.revs = j->revs;
	kn.nrevs = j->nrevs;
	kn.revs_len = ss->document_len;
	/* the SHA-256 of the signed revision's first tail_len bytes (done_work, revision_check),
	   which its DSS update starts with when the fill wrote after the base only: the
	   document timestamp's digest goes on from it */
	if (j->tail != NULL && ss->contents_off >= ss->orig_len) {
		kn.hashed = j->tail;
		kn.hashed_len = j->tail_len;
	}
	sp_errinfo_init(&ei);
	/* the document timestamp's open of what it timestamps, for the engine */
	kn.keep_ts_doc = archive;
	/* and its read of the signed revision's DSS, for the engine's of the result */
	pdf_dss_cleanup(&j->dss_known);
	kn.dss_out = &j->dss_known;
	/* the /VRI keys the completion that stored the base hashed, with what they hash
	   (lent): an earlier signature's /Contents is not hashed again */
	blob_cache_key("vmem", j->base_dig, skey);
	if (j->have_base_dig &&
	    blob_cache_borrow(j->reads_cache, skey, &memo, &mlen, &mref) == SP_OK) {
		kn.vri_given = memo;
		kn.vri_given_len = mlen;
	}
	/* the base's DSS as the verification of it read it (the completion that stored it):
	   the items the signed revision has of it, the same objects, are not decoded again */
	memset(&given, 0, sizeof(given));
	blob_cache_key("dssr", j->base_dig, skey);
	if (j->have_base_dig &&
	    blob_cache_borrow(j->reads_cache, skey, &dssr, &dlen, &dref) == SP_OK &&
	    pdf_dss_unpack(dssr, dlen, &given) == SP_OK) {
		kn.dss_given = &given;
		kn.dss_given_len = ss->orig_len;
	}
	blob_cache_return(dref);
	/* engine_check verifies the result whole before it is kept */
	r = ltv_extend(j->trust, j->tsa, ss->document, ss->document_len,
		       (archive ? LTV_ARCHIVE : 0) | LTV_CHECKED_AFTER, ss->archive_serial, &kn, lr,
		       &ei);
	free(j->vri_memo);
	j->vri_memo = kn.vri_memo;
	j->vri_memo_len = kn.vri_memo_len;
	if (r == SP_OK && kn.ts_doc != NULL) {
		j->ts_doc = kn.ts_doc;
		j->ts_doc_len = kn.ts_doc_len;
	} else
		pdf_doc_free(kn.ts_doc);
	blob_cache_return(ref);
	blob_cache_return(mref);
	pdf_dss_cleanup(&given);
	if (kn.reads != NULL && kn.nlisted >= 0)
		j->new_nsigned = kn.nlisted;
	if (r != SP_OK) {
		snprintf(j->ltv_err, sizeof(j->ltv_err), "%.255s", ei.msg);
		ltv_result_cleanup(lr);
		return 0;
	}
	return 1;
}

/* ---- the loop side ------------------------------------------------------------------------ */

static void done_fallback(struct done_job *j);

static void
done_stored(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct done_job *j = arg;
	struct request *r = j->r;
	int minimal = j->minimal;

	/* a check of the claim did not hold in the statement that stores: nothing changed,
	   and the claim's path answers */
	if (j->one_trip && err->code == SP_ERR_CONFLICT &&
	    strcmp(err->reason, "claim_needed") == 0) {
		done_fallback(j);
		return;
	}
	if (j->one_trip && err->code == SP_OK)
		tsa_serials_outcome(request_tsa_serials(r), 1);

	/* stored: the next prepare and claim of the contract here start from these bytes,
	   and the next completion from the report stored with them; after the last
	   signature nobody opens them again, and they give way first (doc_cache.c) */
	if (err->code == SP_OK) {
		doc_cache_put_parsed_take(j->docs, j->s->contract_number, j->s->base_seq + 1,
					  j->s->document, j->s->document_len, j->sha_hex,
					  j->stored_ctx, j->report, j->report_index,
					  j->report_index_len, j->stored_parsed, !signers_done(j));
		j->s->document = NULL; /* transferred */
		j->stored_ctx = NULL;
		j->report = NULL;
		j->report_index = NULL;
		j->stored_parsed = NULL;
	}
	done_job_free(j);
	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	if (minimal)
		request_header_add(r, "Preference-Applied", "return=minimal");
	request_reply_json_text(r, 200, text, len);
}

static void
done_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct done_job *j = arg;
	struct request *r = j->r;
	struct db_signed_revision rev;
	struct db_actor who;
	const char *reason = ei->reason;

	/* whatever failed, the claim's path does it again and answers: its checks come
	   first there (a used or expired session is told so, not a bad signature) */
	if (rc != SP_OK && j->one_trip) {
		done_fallback(j);
		return;
	}
	if (rc != SP_OK) {
		done_job_free(j);
		if (strcmp(reason, "bad_signature") == 0 || strcmp(reason, "alg_mismatch") == 0)
			request_problem(r, P_BAD_SIGNATURE,
					"the signature value does not verify against the "
					"certificate over to_be_signed; nothing was stored");
		else if (strncmp(reason, "ts_", 3) == 0 || strncmp(reason, "tsa_", 4) == 0 ||
			 rc == SP_ERR_TIMEOUT || rc == SP_ERR_UNAVAILABLE)
			request_problem_upstream(r,
						 rc == SP_ERR_CONFIG ? P_TSA_NOT_CONFIGURED
								     : P_TIMESTAMP_FAILED,
						 ei);
		else if (strcmp(reason, "verification_failed") == 0) {
			/* Our own output failed our own check: an operator must look. */
			log_event(LOG_ERROR, request_id(r), "signed revision failed verification",
				  "{s:s}", "detail", ei->msg);
			request_problem(r, P_VERIFICATION_FAILED, ei->msg);
		} else
			request_reply_error(r, rc, ei);
		return;
	}
	if (j->ltv_err[0])
		log_event(LOG_WARN, request_id(r), "long-term validation data not added", "{s:s}",
			  "detail", j->ltv_err);
	memset(&rev, 0, sizeof(rev));
	rev.delta = j->s->document + j->s->orig_len;
	rev.delta_len = j->s->document_len - j->s->orig_len;
	rev.length = j->s->document_len;
	rev.sha256_hex = j->sha_hex;
	rev.tsa_time = j->tsa_time;
	rev.archive_until = j->archive_until;
	rev.signed_length = j->signed_len;
	rev.verification = j->report;
	signing_actor_fill(&who, r, j->org_id, j->user_id);
	if (j->one_trip) {
		struct db_session_held h;

		memset(&h, 0, sizeof(h));
		h.token_hash = j->token_hash;
		h.contract_number = j->s->contract_number;
		h.base_seq = j->s->base_seq;
		h.base_len = j->held->len;
		h.base_sha256_hex = j->held->sha256_hex;
		h.report_len = j->held->report != NULL ? j->held->report_len : 0;
		h.last_signer = j->level >= 2 ? j->s->last_signer : -1;
		rc = db_signing_session_complete_held(request_db(r), j->id, &h, &who, &rev,
						      j->minimal, done_stored, j);
	} else {
		rc = db_signing_session_complete(request_db(r), j->id, &who, &rev, j->minimal,
						 done_stored, j);
	}
	if (rc != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
done_claimed(void *arg, struct db_signing_session *s, const struct sp_errinfo *err)
{
	struct done_job *j = arg;
	struct request *r = j->r;
	int rc, authed;

	if (err->code != SP_OK) {
		authed = j->authed;
		done_job_free(j);
		if (authed && auth_reply_credential(r, err))
			return;
		request_reply_error(r, err->code, err);
		return;
	}
	j->s = s;
	/* the claim copied the update it left out into s->document */
	blob_cache_return(j->update_ref);
	j->update_ref = NULL;
	j->update = NULL;
	j->have_kept = 0;
	if (signing_held_check(j->docs, &j->held, s->from_seq, s->held_len, s->held_sha256) !=
	    SP_OK) {
		done_job_free(j);
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	if (j->authed) {
		j->org_id = s->cred.organization_id;
		j->user_id = s->cred.user_id;
		request_caller_set(r, j->org_id, j->user_id);
	}
	if ((rc = request_jobs_submit(r, done_work, done_done, j)) != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/* The session's update, when a prepare here kept it: lent to the claim; and the rest
   of what that prepare kept (j->kept). */
static void
update_borrow(struct done_job *j, struct blob_cache *c)
{
	uint8_t key[32];
	const uint8_t *rec = NULL;
	size_t len = 0;

	j->update = NULL;
	j->update_len = 0;
	j->update_ref = NULL;
	j->have_kept = 0;
	if (c == NULL || signing_update_key(j->id, key) != 0 ||
	    blob_cache_borrow(c, key, &rec, &len, &j->update_ref) != SP_OK)
		return;
	if (signing_kept_read(rec, len, &j->kept) != 0) {
		blob_cache_return(j->update_ref);
		j->update_ref = NULL;
		return;
	}
	j->have_kept = 1;
	j->update = j->kept.update;
	j->update_len = j->kept.update_len;
}

/*
 * The request's own checks before any database work: the session id and a
 * JSON body with the signature. With reply 0 a failure is not answered (the
 * caller authenticates first and asks again).
 */
static int
done_parse(struct request *r, int reply, struct done_job **out)
{
	const char *id = request_param(r, "id");
	struct done_job *j = NULL;
	json_t *doc = NULL, *v;

	*out = NULL;
	if (!uuid_ok(id)) {
		if (reply)
			request_problem(r, P_NOT_FOUND, "no such signing session");
		return SP_ERR_NOT_FOUND;
	}
	if ((reply ? request_json_body(r, &doc) : request_json_body_peek(r, &doc)) != SP_OK)
		return SP_ERR_INVALID; /* answered when reply */
	v = json_object_get(doc, "signature");
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		json_decref(doc);
		if (reply)
			request_reply_error(r, SP_ERR_NOMEM, NULL);
		return SP_ERR_NOMEM;
	}
	if (!json_is_string(v) ||
	    sp_b64_decode(json_string_value(v), SIZE_MAX, CRYPTO_SIG_MAX, 0, &j->sig, &j->siglen) !=
		    SP_OK ||
	    j->siglen == 0) {
		json_decref(doc);
		done_job_free(j);
		if (reply)
			request_problem(r, P_INVALID,
					"signature must be the token's signature value, base64");
		return SP_ERR_INVALID;
	}
	json_decref(doc);
	j->r = r;
	j->minimal = request_prefers_minimal(r);
	j->trust = request_trust(r);
	j->tsa = request_tsa(r);
	j->refs_cache = request_revision_refs(r);
	j->reads_cache = request_revision_reads(r);
	j->level = ltv_level_code(request_config(r)->signing.level);
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->docs = request_documents(r);
	j->held = signing_session_held(j->docs, j->id);
	update_borrow(j, request_session_updates(r));
	*out = j;
	return SP_OK;
}

/* The claim's held revision and update (NULL: neither); loop thread. */
static const struct db_doc_held *
claim_held(const struct done_job *j, struct db_doc_held *out)
{
	return signing_update_held(signing_held(j->held, out), out, j->update, j->update_len);
}

/*
 * The claim's path after a completion in one trip did not store: the
 * statement found a check of the claim not holding (nothing changed), or
 * the work failed. The request starts over as if it had just come: its
 * body parsed again (it was once), then the claim with the credential's
 * hash, which answers as it always does, in its order (a revoked
 * credential, a used, aborted or expired session, a newer revision, another
 * organization), and else takes a fresh TSA serial for the work done again.
 */
static void
done_fallback(struct done_job *j)
{
	struct request *r = j->r;
	struct db_doc_held held;
	struct done_job *nj;
	char hash[65];
	int rc;

	memcpy(hash, j->token_hash, sizeof(hash));
	tsa_serials_outcome(request_tsa_serials(r), 0);
	done_job_free(j);
	if (request_is_gone(r)) {
		request_reply_error(r, SP_ERR_UNAVAILABLE,
				    NULL); /* nobody to answer: nothing more */
		return;
	}
	if ((rc = done_parse(r, 0, &nj)) != SP_OK) {
		request_reply_error(r, rc == SP_ERR_NOMEM ? rc : SP_ERR_INTERNAL, NULL);
		return;
	}
	nj->authed = 1;
	rc = db_signing_session_claim_auth(request_db(r), hash, nj->id, claim_held(nj, &held),
					   done_claimed, nj);
	if (rc != SP_OK) {
		done_job_free(nj);
		request_reply_error(r, rc, NULL);
	}
}

/*
 * The completion without its claim (migration 035), when the prepare of
 * this session ran here for the very credential presented (compared in
 * constant time) and this process holds all the claim would return: the
 * session's columns as that prepare wrote them (j->kept; written once, 034
 * and 035's triggers), the base revision it extended (the document cache's
 * entry of that seq and length, whose stored SHA-256 and report length the
 * statement compares), the claim's last_signer as signing_session_create's
 * statement said it (at B-LTA it decides done_ltv's archive timestamp; the
 * statement compares it too; below, nothing reads it), and TSA serials
 * reserved ahead (state.h tsa_serials) for the claim's nextval (two for a
 * last signer's B-LTA, as the claim takes). The work runs at once;
 * signing_session_complete_held then checks in the statement that stores
 * what the claim would have checked, and the completion's own checks under
 * its locks follow as always. So what is
 * stored, its audit events and the reply are the ones the claim's path
 * gives; on any doubt (a check, the work failing) that path runs from the
 * start (done_fallback) and answers. 1: started; 0: take the claim's path.
 */
static int
one_trip_start(struct done_job *j, const char hash[65])
{
	struct request *r = j->r;
	const struct signing_kept *k = &j->kept;
	struct db_signing_session *s;
	uint64_t serial = 0, archive = 0;
	int archiving = j->level >= 2 && k->last_signer == 1;
	size_t total;
	int rc;

	if (!j->have_kept || k->token_hash[0] == '\0' || (j->level >= 2 && k->last_signer < 0) ||
	    j->held == NULL || j->held->seq != k->base_seq || j->held->len != k->orig_len ||
	    k->contract_number != j->held->number || !sp_secret_equal(k->token_hash, hash, 64))
		return 0;
	/* a signed base's report known here (NULL is "not known", not "none"): the
	   statement compares its length with the stored one's */
	if (k->base_seq > 0 && j->held->report == NULL)
		return 0;
	/* the placeholder lies in the update, as the claim's decode checks */
	total = k->orig_len + k->update_len;
	if (k->contents_off < k->orig_len || k->contents_off > total ||
	    k->contents_len > total - k->contents_off ||
	    strlen(k->algorithm) >= sizeof(s->algorithm))
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 0;
	if ((s->document = malloc(k->update_len)) == NULL ||
	    (s->signed_attrs = malloc(k->signed_attrs_len + 1)) == NULL ||
	    (s->chain = malloc(k->chain_len + 1)) == NULL ||
	    (s->cert_der = malloc(k->cert_len + 1)) == NULL ||
	    tsa_serials_take(request_tsa_serials(r), request_db(r), &serial) != SP_OK ||
	    (archiving &&
	     tsa_serials_take(request_tsa_serials(r), request_db(r), &archive) != SP_OK)) {
		db_signing_session_free(s);
		return 0;
	}
	memcpy(s->id, j->id, sizeof(s->id));
	s->contract_number = k->contract_number;
	s->base_seq = k->base_seq;
	/* the update after the held base, joined with it on the worker (done_work) */
	memcpy(s->document, k->update, k->update_len);
	s->document_len = k->update_len;
	s->orig_len = k->orig_len;
	s->from_seq = j->held->seq;
	s->held_len = j->held->len;
	memcpy(s->held_sha256, j->held->sha256_hex, sizeof(s->held_sha256));
	s->contents_off = k->contents_off;
	s->contents_len = k->contents_len;
	memcpy(s->signed_attrs, k->signed_attrs, k->signed_attrs_len);
	s->signed_attrs_len = k->signed_attrs_len;
	snprintf(s->algorithm, sizeof(s->algorithm), "%s", k->algorithm);
	memcpy(s->chain, k->chain, k->chain_len);
	s->chain_len = k->chain_len;
	memcpy(s->cert_der, k->cert_der, k->cert_len);
	s->cert_len = k->cert_len;
	s->tsa_serial = serial;
	s->last_signer = archiving; /* below B-LTA nothing reads it */
	s->archive_serial = archive;
	/* the base's report as held (engine_check); the statement compares its length */
	s->base_verification_held = j->held->report != NULL;
	s->update_held = 1;
	j->s = s;
	j->one_trip = 1;
	memcpy(j->token_hash, hash, sizeof(j->token_hash));
	j->org_id = k->org_id;
	j->user_id = k->user_id;
	request_caller_set(r, j->org_id, j->user_id);
	/* copied: the record goes back to the cache */
	blob_cache_return(j->update_ref);
	j->update_ref = NULL;
	j->update = NULL;
	j->have_kept = 0;
	if ((rc = request_jobs_submit(r, done_work, done_done, j)) != SP_OK)
		done_fallback(j); /* the claim's path answers, in its order */
	return 1;
}

void
signing_complete_step(struct request *r, const struct principal *who)
{
	struct db_doc_held held;
	struct done_job *j;
	int rc;

	if (done_parse(r, 1, &j) != SP_OK)
		return; /* answered */
	j->org_id = who->organization_id;
	j->user_id = who->user_id;
	rc = db_signing_session_claim(request_db(r), j->id, who->organization_id,
				      claim_held(j, &held), done_claimed, j);
	if (rc != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

/*
 * One trip in: a member's bearer token is checked by the statement that
 * claims the session (db_signing_session_claim_auth), for its organization.
 * Anything else takes auth_then() first, which answers in the usual order.
 */
void
signing_complete_post(struct request *r)
{
	struct db_doc_held held;
	struct done_job *j;
	char hash[65];
	int rc;

	if (auth_member_hash(r, hash) != SP_OK || done_parse(r, 0, &j) != SP_OK) {
		auth_then(r, PRINCIPAL_MEMBER, signing_complete_step);
		return;
	}
	j->authed = 1;
	if (one_trip_start(j, hash))
		return;
	rc = db_signing_session_claim_auth(request_db(r), hash, j->id, claim_held(j, &held),
					   done_claimed, j);
	if (rc != SP_OK) {
		done_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
abort_done(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	request_reply_json_text(r, 200, text, len);
}

void
signing_abort_step(struct request *r, const struct principal *who)
{
	const char *id = request_param(r, "id");
	struct db_actor actor;
	int rc;

	if (!uuid_ok(id)) {
		request_problem(r, P_NOT_FOUND, "no such signing session");
		return;
	}
	signing_actor_fill(&actor, r, who->organization_id, who->user_id);
	rc = db_signing_session_abort(request_db(r), id, &actor, abort_done, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}
