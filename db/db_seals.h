/*
 * db_seals.h: seal applications, the review queue, issued seals (seals.c);
 * the evidence report (evidence.c).
 *
 * Part of db/db.h's interface, which includes it (db.h says what the typed
 * calls share); a caller may include db.h or this header.
 */
#include "db.h" /* first: it includes this header where its types come */
#ifndef SP_DB_SEALS_H
#define SP_DB_SEALS_H

/* ---- seals.c: seal applications, the review queue, issued seals ------------------------- */

/*
 * Every state change below is one SQL function of migrations/009_seals.sql
 * that locks the seal's row, checks the caller and the state, and appends
 * the audit event (members: their organization's chain; reviewers: the
 * platform's, and the organization's for approve and reject). JSON shapes
 * are the API's (openapi.yaml SealApplication, Seal, SealClaim). Another
 * organization's application or seal fails SP_ERR_NOT_FOUND like one that
 * does not exist; a wrong state SP_ERR_CONFLICT "wrong_state". Loop thread.
 */

/* A blob and its content type; valid only during the call (NULL on failure). */
typedef void (*db_blob_fn)(void *arg, const unsigned char *data, size_t len, const char *type,
			   const struct sp_errinfo *err);

/*
 * A new application (draft) of who's organization, applied for by who's
 * user with certificate certificate_id (the one the SESeal will bind);
 * replaces > 0 makes it a change of that issued seal (SP_ERR_CONFLICT
 * "seal_change_pending" when one is open already). SP_ERR_CONFLICT
 * "application_limit" when the organization has max_open (>= 1) applications
 * open (draft, under review, rejected; 052), SP_ERR_RATE_LIMITED when it
 * applied max_per_day (>= 1) times in 24 hours: nothing is stored.
 */
int db_seal_app_create(struct db_pool *pool, const struct db_actor *who, int64_t certificate_id,
		       const char *name, const char *type, int64_t replaces, int max_open,
		       int max_per_day, db_json_fn cb, void *arg) SP_WUR;
/* org's applications, newest first: {"items", "total"}. */
int db_seal_app_list(struct db_pool *pool, int64_t org, long limit, long offset, db_json_fn cb,
		     void *arg) SP_WUR;
int db_seal_app_get(struct db_pool *pool, int64_t org, int64_t id, db_json_fn cb, void *arg) SP_WUR;
/*
 * Modify name and/or type (NULL keeps it); back to draft, any claim ends.
 * SP_ERR_RATE_LIMITED when the organization modified applications or uploaded
 * scans max_per_day (>= 1) times in 24 hours (054): nothing is stored.
 */
int db_seal_app_modify(struct db_pool *pool, const struct db_actor *who, int64_t id,
		       const char *name, const char *type, int max_per_day, db_json_fn cb,
		       void *arg) SP_WUR;
/* Store the scan (type: its checked content type) of a draft; the same budget. */
int db_seal_app_scan(struct db_pool *pool, const struct db_actor *who, int64_t id,
		     const unsigned char *scan, size_t len, const char *type, int max_per_day,
		     db_json_fn cb, void *arg) SP_WUR;

enum db_seal_step {
	DB_SEAL_SUBMIT,   /* draft with a scan -> under_review ("scan_missing") */
	DB_SEAL_CANCEL,   /* draft, under_review, rejected -> cancelled */
	DB_SEAL_INSTALLED /* approved -> installed; the JSON is the Seal */
};
int db_seal_app_step(struct db_pool *pool, const struct db_actor *who, int64_t id,
		     enum db_seal_step step, db_json_fn cb, void *arg) SP_WUR;

/* org's issued seals (approved, installed, revoked), newest first, and one of them. */
int db_seal_list(struct db_pool *pool, int64_t org, long limit, long offset, db_json_fn cb,
		 void *arg) SP_WUR;
int db_seal_get(struct db_pool *pool, int64_t org, int64_t id, db_json_fn cb, void *arg) SP_WUR;

enum db_seal_blob { DB_SEAL_BLOB_IMAGE, DB_SEAL_BLOB_SESEAL };
/* An issued seal's picture (PNG) or its DER SESeal. */
int db_seal_blob(struct db_pool *pool, int64_t org, int64_t id, enum db_seal_blob which,
		 db_blob_fn cb, void *arg) SP_WUR;

/* A page of the review queue: status, q (NULL: all), after the cursor, oldest first. */
/* The review queue's search: 100 characters of UTF-8, at most 4 bytes each. */
#define DB_REVIEW_Q_BYTES 400
struct db_review_query {
	const char *status;
	const char *q;     /* at most DB_REVIEW_Q_BYTES, taken literally */
	int64_t cursor_us; /* the cursor's submitted_at, Unix microseconds */
	int64_t cursor_id; /* 0: the first page */
	int limit;         /* 1..100 */
};
/* {"items": [SealApplication with claim], "next_cursor": "US.ID" or null}. */
int db_review_list(struct db_pool *pool, int64_t reviewer, const struct db_review_query *q,
		   db_json_fn cb, void *arg) SP_WUR;
/* A submitted application as reviewer sees it (drafts: not found). */
int db_review_get(struct db_pool *pool, int64_t reviewer, int64_t id, db_json_fn cb,
		  void *arg) SP_WUR;
/*
 * Claim (or renew one's claim) for ttl_s seconds under the row lock: of
 * concurrent claims exactly one wins; the others fail SP_ERR_CONFLICT
 * "claim_held". The JSON is the SealClaim.
 */
int db_review_claim(struct db_pool *pool, const struct db_actor *who, int64_t id, int ttl_s,
		    db_json_fn cb, void *arg) SP_WUR;
/* Release one's live claim ("claim_required" without one). */
int db_review_release(struct db_pool *pool, const struct db_actor *who, int64_t id, db_status_fn cb,
		      void *arg) SP_WUR;
/*
 * For the claim holder: {"id", "name", "type", "org_name", "credit_code",
 * "certificate": base64 DER} (what approve and the previews need).
 */
int db_review_material(struct db_pool *pool, int64_t reviewer, int64_t id, db_json_fn cb,
		       void *arg) SP_WUR;
/* The scan and its type, for the claim holder. */
int db_review_scan(struct db_pool *pool, int64_t reviewer, int64_t id, db_blob_fn cb,
		   void *arg) SP_WUR;

/* What approve stores (borrowed for the call). */
struct db_seal_approval {
	int64_t id;
	const char *valid_from, *valid_until; /* RFC 3339 */
	const unsigned char *png;
	size_t png_len;
	const char *image_source; /* "generated" | "uploaded" */
	const char *code;         /* or NULL */
	const unsigned char *seseal;
	size_t seseal_len;
};
/*
 * Approve under the claim ("claim_required"), check the validity
 * ("validity_invalid", "validity_expired"), revoke the seal a change
 * replaces. The JSON is the application (reviewer's view).
 */
int db_review_approve(struct db_pool *pool, const struct db_actor *who,
		      const struct db_seal_approval *a, db_json_fn cb, void *arg) SP_WUR;
int db_review_reject(struct db_pool *pool, const struct db_actor *who, int64_t id,
		     const char *reason, db_json_fn cb, void *arg) SP_WUR;

/* ---- evidence.c: the evidence report (migration 013) ---------------------------------- */

/*
 * What the report shows, as SQL contract_evidence answers it; free with
 * db_evidence_free() (NULL is fine). info is the JSON text (NUL-terminated)
 * {"number", "name", "business_type", "business_type_name", "status",
 * "created_at", "sent_at", "completed_at", "updated_at", "deadline",
 * "page_count", "seq", "generated_at", "initiator": {"name", "credit_code"},
 * "parties": [{"role", "routing_order", "name", "credit_code", "status",
 * "reject_reason", "time"}], "revisions": [{"seq", "length", "sha256",
 * "created_at", "archive", "signer": {"name", "credit_code"} | null,
 * "certificate": {"subject", "issuer", "serial", "not_before", "not_after"} |
 * null, "seal": {"id", "name", "type", "valid_from", "valid_until",
 * "status", "png_hex"} | null}], "audit": [{"seq", "at", "action", "actor":
 * {"name", "credit_code"} | null, "user", "ip", "prev_hash", "hash"}],
 * "audit_chain": {"valid", "events", "first_bad_seq", "reason"}}; document
 * the latest revision's bytes (what GET .../document answers); two fresh
 * serials of the built-in TSA.
 */
struct db_evidence {
	char *info;
	size_t info_len;
	uint8_t *document;
	size_t document_len;
	uint64_t tsa_serial, archive_serial;
};
void db_evidence_free(struct db_evidence *e);

/* e is the callback's (NULL when err->code is not SP_OK). */
typedef void (*db_evidence_fn)(void *arg, struct db_evidence *e, const struct sp_errinfo *err);

/*
 * The evidence of contract number for who's organization, recorded as the
 * audit event contract.evidence_requested (with who's address and user
 * agent) in the same transaction. Fails SP_ERR_NOT_FOUND when the
 * organization may not see the contract (the rule of the document download),
 * SP_ERR_CONFLICT "contract_not_final" while it is a draft or being signed,
 * SP_ERR_RATE_LIMITED "rate_limited" when who's organization had max_per_day
 * reports of it in the last 24 hours (nothing recorded). Loop thread.
 */
int db_contract_evidence(struct db_pool *pool, int64_t number, const struct db_actor *who,
			 int max_per_day, db_evidence_fn cb, void *arg) SP_WUR;

#endif /* SP_DB_SEALS_H */
