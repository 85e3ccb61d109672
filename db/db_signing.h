/*
 * db_signing.h: signing sessions, signed revisions, TSA serials (signing.c,
 * signing_complete.c).
 *
 * Part of db/db.h's interface, which includes it (db.h says what the typed
 * calls share); a caller may include db.h or this header.
 */
#include "db.h" /* first: it includes this header where its types come */
#ifndef SP_DB_SIGNING_H
#define SP_DB_SIGNING_H
#include "db_auth.h" /* struct db_credential */

/* ---- signing.c: signing sessions, signed revisions, TSA serials ---------------------- */

/*
 * A revision's whole document (the base revision plus its increments). The
 * struct and data are malloc'd and belong to the callback that receives it:
 * free it with db_revision_doc_free(), or take data (set it NULL) first.
 */
/*
 * A stored revision the caller already holds (the server's document cache,
 * issue 14): prepare's load and the claim then send only the updates after
 * it, when revision seq of the contract is still stored with this length
 * and SHA-256; else the whole document, as without one. Borrowed for the call.
 */
struct db_doc_held {
	int seq; /* >= 0; -1: none (a claim that holds only the session's update) */
	size_t len;
	const char *sha256_hex; /* 64 lowercase hex digits */
	/* > 0: the caller holds the verification report stored with revision seq too,
	   report_len bytes; a claim whose base is that revision, with a stored report
	   of that length, does not send it (base_verification_held). 0: none held */
	size_t report_len;
	/* A claim only: the claimed session's update as this process wrote it at
	   prepare (update_len bytes; NULL: not held), lent until the callback. A
	   session whose stored update has that length does not send it: the
	   claim puts these bytes in its place (update_held). seq may be -1 (no
	   revision held) with an update held. */
	const uint8_t *update;
	size_t update_len;
};

struct db_revision_doc {
	int64_t contract_number;
	int seq; /* the revision's seq, 0 for the original upload */
	/*
	 * The document; with from_seq >= 0 (a load given a db_doc_held that
	 * matched) only its bytes after revision from_seq, held_len of them
	 * (the held revision's stored length, checked against the held one),
	 * possibly none: db_revision_doc_join() puts the held bytes before them.
	 */
	uint8_t *data;
	size_t len; /* > 0 when from_seq < 0 */
	int from_seq;
	size_t held_len;
	char held_sha256[65]; /* the held revision's stored SHA-256 ("" when from_seq < 0) */
	/* prepare's loads: the stored length and SHA-256 of revision seq */
	size_t length;
	char sha256[65];
	/* and what it refers to, as the completion that stored it packed it (revisions.refs,
	   067; bound to its SHA-256, which the caller checks on unpacking); NULL: none */
	uint8_t *refs;
	size_t refs_len;
	/* db_signing_prepare_load_seal with a seal: its picture and
	 * {"id", "name", "type", "valid_from", "valid_until", "status"};
	 * db_verification_document_load: {"<revision length>": that seal, ...}
	 * of the signed revisions that show a seal; else NULL */
	uint8_t *seal_png;
	size_t seal_png_len;
	char *seal_info;
	/* the SHA-256 of seal_png once someone computed it (the prepare's worker,
	 * or the memo that held the picture): seal_sha256_known 1 */
	uint8_t seal_sha256[32];
	int seal_sha256_known;
	/* db_verification_document_load: the report completion stored with this
	 * revision (api/verify_report.c's document; NULL: none) */
	char *verification;
	/* db_signing_prepare_load_auth: the member session the statement checked */
	struct db_credential cred;
};
void db_revision_doc_free(struct db_revision_doc *doc); /* NULL is fine */
/*
 * doc->data becomes the whole document: held (held_len bytes, revision
 * from_seq, the caller's) then the parts the load sent; from_seq becomes -1.
 * SP_ERR_INVALID when held_len is not doc->held_len. Any thread.
 */
int db_revision_doc_join(struct db_revision_doc *doc, const uint8_t *held, size_t held_len) SP_WUR;

/* doc is the callback's (see above), NULL when err->code is not SP_OK. */
typedef void (*db_revision_doc_fn)(void *arg, struct db_revision_doc *doc,
				   const struct sp_errinfo *err);

/*
 * Prepare, first half: the latest revision of contract `number` for the
 * signer party of organization org_id, whose turn it must be (SQL
 * signing_prepare_load). Fails with the workflow's reasons (not_found,
 * forbidden, wrong_state, out_of_turn). Loop thread.
 */
int db_signing_prepare_load(struct db_pool *pool, int64_t number, int64_t org_id,
			    db_revision_doc_fn cb, void *arg) SP_WUR;

/*
 * The same plus the seal the placements name (seal_id > 0; 0: none), checked
 * in the same statement (SQL signing_prepare_load_seal, seal_usable):
 * approved or installed ("seal_not_approved", "seal_revoked"), valid now
 * ("seal_expired", "seal_not_yet_valid"); "seal_not_found" when it does not
 * exist or is another organization's (030: the same answer). Loop thread.
 */
int db_signing_prepare_load_seal(struct db_pool *pool, int64_t number, int64_t org_id,
				 int64_t seal_id, const struct db_doc_held *held,
				 db_revision_doc_fn cb, void *arg) SP_WUR;

/*
 * db_signing_prepare_load_seal in the statement that also authenticates the
 * request (SQL auth_member, issue 14: one round trip in): token_hash is the
 * lowercase hex SHA-256 of a member's bearer token (never an API key's), and
 * the load runs as the organization of the live session it names, returned
 * in doc->cred. An unknown, expired or revoked credential fails with
 * SP_ERR_UNAUTHORIZED, reason "unauthorized"; a live one that is not a
 * member's with SP_ERR_FORBIDDEN, reason "forbidden" and the detail
 * "This credential may not use this operation."; both before any other
 * check. Loop thread.
 */
int db_signing_prepare_load_auth(struct db_pool *pool, const char *token_hash, int64_t number,
				 int64_t seal_id, const struct db_doc_held *held,
				 db_revision_doc_fn cb, void *arg) SP_WUR;

/*
 * Verification of a contract: the latest revision of contract `number` as
 * organization org_id may see it (the initiator, or a party once sent),
 * with the seals its signatures show (seal_info);
 * SP_ERR_NOT_FOUND "no such contract" otherwise. With held (NULL: none)
 * still stored so, only the updates after it (doc->from_seq). Loop thread.
 */
int db_verification_document_load(struct db_pool *pool, int64_t number, int64_t org_id,
				  const struct db_doc_held *held, db_revision_doc_fn cb,
				  void *arg) SP_WUR;

/*
 * What prepare stores for completion. Every pointer is borrowed for the
 * call only (the call copies what it sends).
 */
struct db_signing_new {
	int64_t contract_number;
	int base_seq;         /* the revision the update extends */
	const uint8_t *delta; /* the incremental update, /Contents zeroed */
	size_t delta_len;
	size_t contents_off; /* the placeholder, offsets in the whole file */
	size_t contents_len;
	const uint8_t *signed_attrs; /* the DER the token signs */
	size_t signed_attrs_len;
	const char *algorithm; /* crypto_sigalg_name() */
	const uint8_t *chain;  /* DER SEQUENCE OF Certificate (crypto_chain_to_der) */
	size_t chain_len;
	const char *rects_json;  /* JSON array of the seal rectangles */
	int ttl_s;               /* the session's lifetime */
	const uint8_t *cert_der; /* the signer's certificate */
	size_t cert_len;
	const char *cert_subject; /* RFC 2253 */
	const char *cert_issuer;
	const char *cert_serial_hex; /* any case; stored lower case */
	int64_t cert_not_before;     /* Unix seconds */
	int64_t cert_not_after;
	int64_t seal_id; /* the seal the appearance shows (checked again), 0: none */
};

/*
 * Prepare, second half: store a signing session for who (its org_id's
 * signer party), re-checking the turn and that no revision landed since
 * base_seq (stale_revision), and record the certificate for the
 * organization (SQL signing_session_create). The JSON text is
 * {"session", "expires_at", "base_seq", "certificate_id"}, as PostgreSQL
 * wrote it (the reply adds to it without parsing it). signers_left: how
 * many other organizations' signers had not signed when it was stored (-1
 * with an error); 0 is the claim's last_signer as it would say it then
 * (signing_session_claim_head), for a completion in one trip
 * (db_signing_session_complete_held compares it again). Loop thread.
 */
typedef void (*db_session_created_fn)(void *arg, const char *text, size_t len, int signers_left,
				      const struct sp_errinfo *err);
int db_signing_session_create(struct db_pool *pool, const struct db_actor *who,
			      const struct db_signing_new *s, db_session_created_fn cb,
			      void *arg) SP_WUR;

/*
 * What a prepare that did not load (server/api/signing.c) holds of what
 * db_signing_prepare_load_auth would have sent: the member session of
 * token_hash as it was (who's org_id and user_id, credit_code), the
 * contract's latest revision (s->base_seq, stored with base_len bytes and
 * base_sha256_hex), and with s->seal_id > 0 the SHA-256 of the seal's picture
 * and its facts (db_revision_doc.seal_sha256, .seal_info). Borrowed for the call.
 */
struct db_prepare_held {
	const char *token_hash;
	const char *credit_code;
	size_t base_len;
	const char *base_sha256_hex;
	const uint8_t *seal_sha256; /* 32 bytes; NULL: no seal (s->seal_id 0) */
	const char *seal_info;
};

/*
 * db_signing_prepare_load_auth's checks and db_signing_session_create in
 * one statement (SQL signing_session_create_held, migration 036): the
 * load's checks run first, in its order, and fail as they fail there
 * (the credential, the contract, the turn, the seal); then, when any of
 * them read something else than h holds, nothing is stored and the error is
 * SP_ERR_CONFLICT with reason "prepare_held_stale" (never an answer: the
 * caller loads and prepares again); else the create, with its JSON text or
 * its errors. Loop thread.
 */
int db_signing_session_create_held(struct db_pool *pool, const struct db_actor *who,
				   const struct db_prepare_held *h, const struct db_signing_new *s,
				   db_session_created_fn cb, void *arg) SP_WUR;

/*
 * What completion needs, claimed by db_signing_session_claim(). The struct
 * and its buffers are malloc'd and belong to the callback that receives it,
 * until it frees them with db_signing_session_free() (it may hand the struct
 * on, e.g. to a worker job; document is writable so the signature can be
 * filled in place). The offsets are checked: orig_len < document_len and the
 * placeholder lies in the update.
 */
struct db_signing_session {
	char id[37]; /* the session's UUID, lower case */
	int64_t contract_number;
	int base_seq;
	uint8_t *document; /* base revision + the prepared update */
	size_t document_len;
	/* 1: document is the caller's buffer (db_signing_session_join_room), not freed here */
	int document_borrowed;
	size_t orig_len; /* length of the base revision */
	/*
	 * A claim given a db_doc_held that matched: document holds only the
	 * bytes after the held revision from_seq (document_len of them; the
	 * session's update at least), held_len (> 0) before them are the
	 * caller's to put in with db_signing_session_join(); else from_seq -1,
	 * held_len 0, and the document is whole.
	 */
	int from_seq;
	size_t held_len;
	char held_sha256[65];
	size_t contents_off;
	size_t contents_len;
	uint8_t *signed_attrs;
	size_t signed_attrs_len;
	char algorithm[32];
	uint8_t *chain; /* DER SEQUENCE OF Certificate, as stored */
	size_t chain_len;
	uint8_t *cert_der;
	size_t cert_len;
	uint64_t tsa_serial; /* a fresh value of the tsa_serial sequence */
	int last_signer;     /* 1: every other signer has signed (B-LTA goes in now) */
	/* other organizations' signers that had not signed at the claim (-1: not known): a
	   hint for the room left after the document for their updates, never a check */
	int signers_left;
	uint64_t archive_serial; /* last_signer: another serial, for the document timestamp */
	/* the verification report stored with the base revision (NULL: none, or held) */
	char *base_verification;
	/* 1: not sent, the caller holds it (db_doc_held.report_len: the held revision
	   matched, is the base, and its stored report has that length) */
	int base_verification_held;
	/* 1: the session's update was not sent, the caller's (db_doc_held.update) is in
	   the document in its place */
	int update_held;
	/* db_signing_session_claim_auth: the member session the statement checked */
	struct db_credential cred;
	/* what the base revision refers to, as the completion that stored it packed it
	   (revisions.refs, migration 067; pdf_refs_pack: bound to the base's SHA-256,
	   which the caller checks on unpacking); NULL: none stored */
	uint8_t *base_refs;
	size_t base_refs_len;
};
void db_signing_session_free(struct db_signing_session *s); /* NULL is fine */
/* s->document becomes whole: held (s->held_len bytes) then the parts sent;
   held_len becomes 0. SP_ERR_INVALID when held_len differs. Any thread. spare
   bytes are allocated after them, unused: the caller may write there and
   realloc s->document to what it keeps (shrinking it does not move it). */
int db_signing_session_join(struct db_signing_session *s, const uint8_t *held, size_t held_len,
			    size_t spare) SP_WUR;
/* The same join where the held bytes are buf's first held_len already, with room after
   them (cap bytes in all): the parts sent are written after them, and s->document
   becomes buf, borrowed (the caller's, not freed with s). SP_ERR_INVALID when held_len
   differs or they do not fit (s unchanged). Any thread. */
int db_signing_session_join_room(struct db_signing_session *s, uint8_t *buf, size_t held_len,
				 size_t cap) SP_WUR;

/* s is the callback's (see above), NULL when err->code is not SP_OK. */
typedef void (*db_signing_session_fn)(void *arg, struct db_signing_session *s,
				      const struct sp_errinfo *err);

/*
 * Complete, first half: the stored inputs of session id (a UUID) of
 * organization org_id and a TSA serial (SQL signing_session_claim). Nothing
 * is consumed: a wrong signature leaves the session usable. Fails with
 * not_found, session_used, session_expired or stale_revision. Loop thread.
 */
int db_signing_session_claim(struct db_pool *pool, const char *id, int64_t org_id,
			     const struct db_doc_held *held, db_signing_session_fn cb,
			     void *arg) SP_WUR;

/*
 * db_signing_session_claim in the statement that also authenticates the
 * request, as db_signing_prepare_load_auth: the session is claimed for the
 * organization of the member session token_hash names (s->cred), and fails
 * the same two ways first. Loop thread.
 */
int db_signing_session_claim_auth(struct db_pool *pool, const char *token_hash, const char *id,
				  const struct db_doc_held *held, db_signing_session_fn cb,
				  void *arg) SP_WUR;

/* The signed revision completion stores. Pointers borrowed for the call. */
struct db_signed_revision {
	const uint8_t *delta; /* the update with the CMS filled in */
	size_t delta_len;
	size_t length;          /* of the whole new revision */
	const char *sha256_hex; /* of the whole new revision, lower case */
	int64_t tsa_time;       /* the timestamp token's genTime, Unix seconds */
	int64_t archive_until;  /* a document timestamp's TSA notAfter (Unix), 0: none */
	size_t signed_length;   /* where the signature's own update ends (before its DSS) */
	/* the new revision's verification report (JSON text), stored with it so
	 * that the contract's verification reuses it; NULL: none */
	const char *verification;
	/* what the new revision refers to, packed (pdf_refs_pack with its SHA-256), stored
	   with it for the next completion (migration 067); NULL: none. Both completions */
	const uint8_t *refs;
	size_t refs_len;
};

/*
 * Complete, second half: under the session's row lock, store the revision,
 * mark the party signed, consume the session and append the audit event
 * (SQL signing_session_complete); of two concurrent completions of one
 * session exactly one stores, the other fails with session_used. The JSON
 * is {"session", "seq", "sha256", "length", "timestamp", "contract"}; with
 * minimal the same without "contract", which is then not built (the client's
 * Prefer: return=minimal, migration 040). Loop thread.
 */
int db_signing_session_complete(struct db_pool *pool, const char *id, const struct db_actor *who,
				const struct db_signed_revision *rev, int minimal, db_text_fn cb,
				void *arg) SP_WUR;

/*
 * What the process that prepared a session holds of it, for its completion
 * in one trip (db_signing_session_complete_held). Borrowed for the call.
 */
struct db_session_held {
	const char *token_hash; /* the member's bearer token's SHA-256 (lowercase hex) that
				   prepared it: who's organization and user then */
	int64_t contract_number;
	int base_seq;
	/* the base revision held: its stored length and SHA-256, and the length of the
	   report stored with it (0: none held) */
	size_t base_len;
	const char *base_sha256_hex;
	size_t report_len;
	/* the claim's last_signer the work assumed (db_signing_session_create's), 0 or 1;
	   -1: none (below B-LTA nothing reads it) */
	int last_signer;
};

/*
 * The claim's checks and db_signing_session_complete in one statement (SQL
 * signing_session_complete_held, migration 035): the credential token_hash
 * is a live member's of who's organization and user; session id is theirs,
 * open, not expired, of h's contract and base; the latest revision is h's
 * base, stored with h's length and SHA-256 (and report length); every
 * other signer has signed exactly when h->last_signer says so. When one
 * of those does not hold nothing changes and the call fails with
 * SP_ERR_CONFLICT, reason "claim_needed": the caller takes the claim's path
 * (db_signing_session_claim_auth, then db_signing_session_complete), which
 * answers. Else as db_signing_session_complete. Loop thread.
 */
int db_signing_session_complete_held(struct db_pool *pool, const char *id,
				     const struct db_session_held *h, const struct db_actor *who,
				     const struct db_signed_revision *rev, int minimal,
				     db_text_fn cb, void *arg) SP_WUR;

/*
 * Abort open session id of who's organization (SQL signing_session_abort);
 * session_used when it is not open. The JSON is {"session", "state"}.
 * Loop thread.
 */
int db_signing_session_abort(struct db_pool *pool, const char *id, const struct db_actor *who,
			     db_text_fn cb, void *arg) SP_WUR;

/*
 * The next serial number of the built-in TSA (the PostgreSQL sequence
 * tsa_serial: unique across restarts and processes). serial is 0 when
 * err->code is not SP_OK. Loop thread.
 */
typedef void (*db_serial_fn)(void *arg, uint64_t serial, const struct sp_errinfo *err);
int db_tsa_serial_next(struct db_pool *pool, db_serial_fn cb, void *arg) SP_WUR;
/*
 * n (1..1024) values of tsa_serial in one statement, reserved for later use
 * (state.h tsa_serials): serials[0..n) when err->code is SP_OK, each nonzero
 * and handed to no other caller (the sequence never cycles). Loop thread.
 */
typedef void (*db_serials_fn)(void *arg, const uint64_t *serials, size_t n,
			      const struct sp_errinfo *err);
int db_tsa_serials_reserve(struct db_pool *pool, int n, db_serials_fn cb, void *arg) SP_WUR;

#endif /* SP_DB_SIGNING_H */
