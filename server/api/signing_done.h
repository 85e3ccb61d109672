/*
 * signing_done.h: a completion's job (server/api/signing_complete.c), shared by
 * the loop side that claims the session, hands the job to a worker and
 * answers (signing_complete.c), and the worker side: the documents it opens
 * and checks (signing_done_open.c) and the work itself with the
 * verification engine's pass and the long-term data (signing_done_work.c).
 * The job is the loop's until request_jobs_submit() and after done_done:
 * the worker owns it in between.
 */
#ifndef SP_SERVER_SIGNING_DONE_H
#define SP_SERVER_SIGNING_DONE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "crypto.h"
#include "pdf.h"
#include "signing_int.h"
#include "state.h"
#include "verify_report.h"

struct done_job {
	struct request *r;
	struct crypto_trust *trust; /* the process's (NULL: none); outlive the job */
	const struct tsa_provider *tsa;
	unsigned long long max_work; /* server.max_verify_work: the engine's budget */
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
	/* s->document's allocation (done_join), and whether it is to stay that size: room
	   after the document for the next signers' updates, not given back by a realloc */
	size_t doc_cap;
	int doc_keep;
	/* the room of held is taken (done_join): given back unless the stored entry took it
	   (done_stored), before held is released */
	int room;
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
	/* the base revision and the new one, opened once by done_revision_check() for the
	   engine too (work() frees them) */
	struct pdf_doc *base_doc, *new_doc;
	/* what the base's revisions refer to, from an earlier completion (the engine need
	   not walk the base again), and what the new revision's do (kept for the next) */
	struct blob_cache *refs_cache;
	struct blob_cache *reads_cache; /* "sigs", "nsig", "page" and "vris" below */
	int *refs_out;
	size_t nrefs_out;
	/* where the base's came from (enum done_refs_from, done_refs_given), counted on the
	   loop; and the new revision's packed (done_refs_pack), stored with it (067) */
	int refs_from;
	uint8_t *refs_packed;
	size_t refs_packed_len;
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
	/* SHA-256 fed with s->document[0..tail_len): the base, then (done_revision_check) the
	   new update up to its /Contents; the signed ranges' digest and the stored bytes'
	   go on from it, so those bytes are hashed once for both (NULL: none) */
	struct crypto_digest_ctx *tail;
	size_t tail_len;
	/* signed signature fields as pdf_sig_fields_list_lazy() counts them: the base's
	   (done_revision_check) and the new revision's (the engine's or done_ltv's listing,
	   done_signed_count) */
	int base_nsigned, new_nsigned;
	int base_preloaded; /* done_base_preload() ran */
	/* the signed revision's revisions (done_revisions_of(s->document)), found once for
	   done_keeps_pages(), done_form_carry() and the engine; NULL: not told apart */
	struct pdf_revision *revs;
	size_t nrevs;
	/* the base's pages (object number / generation pairs): from reads_cache under
	   blob_cache_key("page", base_dig), or read from the base; handed on to the stored
	   bytes when the updates left the page tree as it was (done_keeps_pages) */
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
	   done_form_carry) are kept with their digest: new_doc or ltv_doc (NULL: none) */
	struct pdf_doc *stored_doc;
	int stored_nsigned; /* that one's signed fields (the engine's listing), -1 */
	/* stored_doc's qpdf parse of the stored bytes, kept with them (done_stored) */
	struct pdf_parsed *stored_parsed;
	/* or, when nobody opens them again (the last signature), that parse to free:
	   after the reply, on a worker (done_stored), not on the way to it */
	struct pdf_parsed *spent_parsed;
	/* and the views nobody reads after the engine: the base's (the parse an earlier
	   completion kept, with every object it and this one read) and, under long-term
	   data, the signed revision's. Their teardown, which grows with the objects read
	   (a k-th signing's base has some 20k more), is freed with spent_parsed after the
	   reply (done_stored); on a failure, by done_work itself */
	struct pdf_doc *spent_docs[2];
	size_t nspent_docs;
	/* checked already on these very bytes, for the engine (crypto_verify_opts): the
	   signer's value (done_work, cert borrowed from it) and the signed ranges' digest
	   of ss->document (done_revision_check; dlen 0: none) */
	struct crypto_sig_checked sig_checked;
	struct crypto_ranges_digest ranges;
	/* the digest over which crypto_cms_assemble_ex() rebuilt the stored signed attributes
	   and found them equal (mdlen 0: none) */
	struct crypto_attrs_checked attrs_checked;
	/* the merged cross-reference entries (pdf_xref_merged_ex) of the signed revision
	   and of it with its long-term data, when done_merged_table() made them: the
	   stored bytes' are kept for the next completion (reads_cache "xmrg") */
	void *xm_signed, *xm_ltv;
	size_t xm_signed_len, xm_ltv_len;
};

/* ---- signing_complete.c ---- */

/* Whether this completion is the contract's last signature (every other signer signed). */
int signers_done(const struct done_job *j);
void done_job_free(struct done_job *j);

/* ---- signing_done_open.c: the documents a completion opens and checks ---- */

/* Room left after the joined document for its merged cross-reference table (merged_table:
   20 bytes an object, some 4,500 bytes at a 10-page contract's 20th signing), which it
   then shrinks to: a realloc that grew the buffer moved it, at times, a copy of it all. */
#define MERGED_SPARE(len) ((len) / 32 + 8192)
/* And the room kept after a new buffer's document for the next signers' updates (done_join)
   when how many are left is not known: half the document, as a vector grows, so that the
   copy into a larger buffer when the room is used up costs each completion a share that
   does not grow with the file (but one completion pays it whole: see room_for_signers) */
#define ROOM_NEXT(len) ((len) / 2 + MERGED_SPARE(len))
/* And at B-LT / B-LTA, room for this completion's DSS update after the signed revision
   (some kilobytes: the new signer's certificates and revocation answers) and its merged
   table: written there, not appended to a copy of the file (done_ltv) */
#define LTV_ROOM(len) (32768 + MERGED_SPARE(len))
/* what a DSS update adds to the file, counted generously (room_for_signers) */
#define LTV_DSS_UPDATE 16384

int done_join(struct done_job *j, struct sp_errinfo *ei);
struct pdf_revision *done_revisions_of(const uint8_t *data, size_t len,
				       const struct pdf_revision *known, size_t nknown,
				       size_t known_len, size_t *n);
void done_room_on(struct done_job *j, const uint8_t *data, size_t len,
		  const struct pdf_revision *revs, size_t n, const uint8_t dig[32]);
size_t done_merged_table(uint8_t **data, size_t len, size_t room, const struct pdf_revision *revs,
			 size_t nrevs, const void *known, size_t known_len, size_t known_end,
			 void **entries, size_t *entries_len);
int done_open_known(const uint8_t *data, size_t len, size_t qlen, const struct pdf_revision *revs,
		    size_t nrevs, const int *pages, size_t npages, struct pdf_doc **out,
		    struct sp_errinfo *ei);
int done_keeps_pages(const struct pdf_revision *revs, size_t n, size_t len, size_t prev_end,
		     struct pdf_doc *older, struct pdf_doc *newer);
void done_base_preload(struct done_job *j);
void done_form_carry(struct done_job *j, struct pdf_doc *older, struct pdf_doc *newer,
		     const struct pdf_revision *revs, size_t n);
int done_revision_check(struct done_job *j, X509 *cert, enum crypto_sigalg alg,
			struct sp_errinfo *ei);
int done_signed_count(struct done_job *j, struct sp_errinfo *ei);

/* ---- signing_done_refs.c: what the base and the new revision refer to ---- */

enum done_refs_from {
	DONE_REFS_NONE,    /* nothing known: the engine walks the base */
	DONE_REFS_CACHE,   /* this process's revision_refs */
	DONE_REFS_STORED,  /* the set stored with the base (the claim's, 067) */
	DONE_REFS_REFUSED, /* that set, not for these bytes or not whole: walked */
};

/* The base's references for the engine: this process's cache by j->base_dig, else the
   set stored with the base when it unpacks for those very bytes. *refs the caller's
   (free()); NULL: none, the engine walks the base. Returns enum done_refs_from. Worker. */
int done_refs_given(struct done_job *j, int **refs, size_t *n);
/* The engine's j->refs_out packed into j->refs_packed, bound to dig (the stored bytes'
   SHA-256), for the statement that stores them; NULL when there is none. Worker. */
void done_refs_pack(struct done_job *j, const uint8_t dig[32]);

/* ---- signing_done_work.c ---- */

/* The completion's CPU work (a jobs_fn): run by a worker, j (arg) its own meanwhile. */
int done_work(void *arg, struct sp_errinfo *ei);

#endif /* SP_SERVER_SIGNING_DONE_H */
