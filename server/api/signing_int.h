/*
 * signing_int.h: private declarations of the signing modules of sealpactd
 * (api/signing.c: prepare; api/signing_complete.c: complete and abort;
 * api/tsa.c: POST /tsa). The timestamp source is in state.h.
 */
#ifndef SP_SERVER_SIGNING_INT_H
#define SP_SERVER_SIGNING_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "authn.h"
#include "db.h"
#include "pdf.h"
#include "server.h"
#include "state.h"

struct config;
struct crypto_tsa;

/* The signing routes (prepare, complete, abort) and POST /tsa. Start-up only. */

/* signing_complete.c: the handlers of POST .../complete and DELETE .../{id}. */
void signing_complete_step(struct request *r, const struct principal *who);
void signing_abort_step(struct request *r, const struct principal *who);

/*
 * Who acts in a signing state change (its audit event): org_id and user_id
 * (0: none), and r's peer address and User-Agent, which a points into: a is
 * valid while r is. Loop thread.
 */
void signing_actor_fill(struct db_actor *a, const struct request *r, int64_t org_id,
			int64_t user_id);

/*
 * signing_docs.c: the stored documents this process holds (state.h
 * doc_cache) in prepare's load and completion's claim: the statement gets
 * the held revision's seq, length and SHA-256 and sends only the updates
 * after it while the stored revision still matches them.
 */
/* held as the statement's parameter in *out; NULL when nothing is held. Loop thread. */
const struct db_doc_held *signing_held(const struct doc_cached *held, struct db_doc_held *out);
/*
 * After the statement: from_seq >= 0 (it sent only what follows revision
 * from_seq) must be *held's revision, stored with *held's length and
 * SHA-256, else SP_ERR_INTERNAL; from_seq -1 (the whole document) drops and
 * releases a held entry the database does not match (*held = NULL). Loop thread.
 */
int signing_held_check(struct doc_cache *c, const struct doc_cached **held, int from_seq,
		       size_t held_len, const char *held_sha256) SP_WUR;
/*
 * The whole base revision of a prepare load in *data: base's own bytes,
 * held's (no copy: nothing came after it), or both joined into base->data.
 * Worker thread.
 */
int signing_base_bytes(struct db_revision_doc *base, const struct doc_cached *held,
		       const uint8_t **data, size_t *len, struct sp_errinfo *ei) SP_WUR;
/*
 * Keep base->data (taken: NULL after) as the contract's stored revision when
 * sha256, the digest of those bytes, is the one PostgreSQL stored with it.
 * Any thread.
 */
void signing_base_keep(struct doc_cache *c, struct db_revision_doc *base, const uint8_t sha256[32]);
/* signing_done_refs.c: the references stored with a revision a prepare loaded
   (packed, base->refs) into the process's cache c by sha256, the digest of the bytes
   loaded, when they unpack for those very bytes and c does not hold them: its
   completion here, in one trip or not, then need not walk the base. Worker. */
void signing_refs_keep(struct blob_cache *c, const struct db_revision_doc *base,
		       const uint8_t sha256[32]);
/* Note the session a stored prepare reply (PostgreSQL's JSON text) names as one of
   contract number. Loop thread. */
void signing_session_note(struct doc_cache *c, const char *text, size_t len, int64_t number);
/* What this process holds of the contract of session id (NULL: nothing). Loop thread. */
const struct doc_cached *signing_session_held(struct doc_cache *c, const char *id);
/*
 * What a prepare here wrote of the session it stored, kept by the process
 * (request_session_updates) as one record under the session's id: its
 * update, so that its claim here has PostgreSQL leave it out
 * (db_doc_held.update; see db/signing_complete.c CLAIM_PARTS for why that is sound),
 * and the rest of what the claim returns but the base revision (the
 * document cache's) and the TSA serial, with the credential that prepared
 * it, so that its completion here may skip the claim (signing_complete.c,
 * migration 035). The pointers of a read record point into it.
 */
struct signing_kept {
	const uint8_t *update;
	size_t update_len;
	const uint8_t *signed_attrs;
	size_t signed_attrs_len;
	const uint8_t *chain;
	size_t chain_len;
	const uint8_t *cert_der;
	size_t cert_len;
	const char *algorithm;
	int64_t contract_number;
	int base_seq;
	size_t orig_len; /* the base revision's length */
	size_t contents_off, contents_len;
	/* the member's bearer token's SHA-256 (hex) whose statement loaded the contract,
	   and its organization and user; "" when it was not a member's token checked so
	   (auth_then: no completion in one trip) */
	char token_hash[65];
	int64_t org_id, user_id;
	/* the claim's last_signer as signing_session_create's statement said it (-1: not
	   known), and how many other signers it counted who had not signed (-1: not known;
	   db_signing_session.signers_left) */
	int last_signer;
	int signers_left;
};
/*
 * pack: k as one malloc'd record in *out (*len bytes); SP_ERR_NOMEM. read:
 * the record v[0..len) into *k (pointing into v); -1 when it is not one.
 * key: of session id (36 characters, either case); -1 when id is not a
 * UUID's text. keep: the record (malloc'd, taken) under the session a
 * stored prepare reply names, only once signing_session_create succeeded,
 * with the count of other signers left that it said (signers_left).
 * held: held (NULL: no revision held) with the update, in out when held is
 * NULL. Any thread.
 */
int signing_kept_pack(const struct signing_kept *k, uint8_t **out, size_t *len) SP_WUR;
int signing_kept_read(const uint8_t *v, size_t len, struct signing_kept *k);
int signing_update_key(const char *id, uint8_t key[32]);
void signing_session_keep(struct blob_cache *c, const char *text, size_t len, uint8_t *rec,
			  size_t rec_len, int signers_left);
const struct db_doc_held *signing_update_held(const struct db_doc_held *held,
					      struct db_doc_held *out, const uint8_t *update,
					      size_t update_len);

/* ---- a prepare's request body (signing_body.c) ---- */

#define SIGNING_MAX_PLACEMENTS 64

/* v, a base64 string, decoded (malloc'd) into *out: at most max bytes, else 400 naming what. */
int signing_b64_field(json_t *v, const char *what, size_t max, unsigned char **out, size_t *len,
		      struct sp_errinfo *ei);
/* The seal the placements of doc name (*seal_id; 0: the demo seal or none). Loop thread. */
int signing_placements_seal(json_t *doc, int64_t *seal_id, struct sp_errinfo *ei);
/* arr's placements (borrowing strings from it) into pl (SIGNING_MAX_PLACEMENTS at most);
   *needs_seal when one uses the seal; occ backs numeric occurrences. */
int signing_placements_parse(json_t *arr, struct pdf_placement *pl, size_t *npl, int *needs_seal,
			     char occ[][16], struct sp_errinfo *ei);
/* The resolved rectangles as the reply and the session show them (NULL: out of memory). */
json_t *signing_rects_json(const struct pdf_widget_rect *w, size_t n);

#endif /* SP_SERVER_SIGNING_INT_H */
