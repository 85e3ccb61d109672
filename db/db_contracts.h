/*
 * db_contracts.h: contracts, the lists and the audit trail (contracts.c, lists.c,
 * audit.c).
 *
 * Part of db/db.h's interface, which includes it (db.h says what the typed
 * calls share); a caller may include db.h or this header.
 */
#include "db.h" /* first: it includes this header where its types come */
#ifndef SP_DB_CONTRACTS_H
#define SP_DB_CONTRACTS_H

/* ---- contracts.c: drafts, detail, workflow transitions -------------------------------- */

/*
 * Every call below is one SQL function of migrations/ (003, 005), which
 * checks the caller's organization, role, the contract's state and whose
 * turn it is (wf_party_turn) under row locks, and appends the audit event
 * with who's IP address and User-Agent. A contract the caller may not see
 * fails SP_ERR_NOT_FOUND, as one that does not exist. The callbacks get the
 * contract as the caller sees it (contract_json: parties, revisions, the
 * audit trail's length and URL; db_audit_page pages the trail). Loop thread.
 */

/* A count (e.g. how many contracts a sweep expired); n is 0 on failure. */
typedef void (*db_count_fn)(void *arg, long long n, const struct sp_errinfo *err);

/*
 * A new draft: what the worker parsed and normalized. NULL for optional
 * fields. deadline is RFC 3339; parties a JSON array text
 * ([{"credit_code", "name"?, "role", "routing_order"?}]); pdf the normalized
 * upload and sha256 its lowercase hex digest. Everything is copied.
 */
struct db_contract_new {
	int64_t number; /* a fresh contract number */
	const char *name;
	const char *business_type; /* a code or a display name (business_types), NULL = default */
	const char *deadline;
	const char *parties;
	const unsigned char *pdf;
	size_t pdf_len;
	const char *sha256;
	int pages;
	const char *idem_key; /* Idempotency-Key, or NULL */
	/* who's organization's bounds (052; config contracts.*), each >= 1 */
	int max_drafts;          /* drafts alive at once */
	size_t max_draft_bytes;  /* their uploads together, this one included */
	int max_created_per_day; /* drafts created in any 24 hours, deleted ones included */
	/* what pdf refers to, packed (pdf_refs_pack with its SHA-256), stored with revision 0
	   (migration 070); NULL: none */
	const uint8_t *refs;
	size_t refs_len;
};

/*
 * Create a draft with revision 0. cb gets the new contract, or the stored
 * answer of an earlier request with the same idempotency key.
 * SP_ERR_CONFLICT "number_taken": the number is in use, retry with another;
 * "idempotency_key_reused": the key came with a different request;
 * "draft_limit": the organization holds max_drafts drafts, or this upload
 * would take theirs past max_draft_bytes. SP_ERR_RATE_LIMITED: it created
 * max_created_per_day drafts in 24 hours. Refused, nothing is stored.
 */
int db_contract_create(struct db_pool *pool, const struct db_actor *who,
		       const struct db_contract_new *c, db_text_fn cb, void *arg) SP_WUR;

/* The contract as organization org sees it. */
int db_contract_get(struct db_pool *pool, int64_t number, int64_t org, db_text_fn cb,
		    void *arg) SP_WUR;

/* An edit of a draft: NULL keeps a field; clear_deadline drops the deadline. */
struct db_contract_edit {
	const char *name;
	const char *business_type; /* a code or a display name; unknown non-codes: SP400 */
	const char *deadline;      /* RFC 3339 */
	int clear_deadline;
	const char *parties; /* JSON array text replacing every party */
	int max_per_day;     /* edits of the organization's drafts in any 24 hours (>= 1) */
};

/*
 * Edit a draft (the initiator only). SP_ERR_RATE_LIMITED when the
 * organization edited drafts e->max_per_day times in 24 hours (054): nothing
 * is stored.
 */
int db_contract_update(struct db_pool *pool, int64_t number, const struct db_actor *who,
		       const struct db_contract_edit *e, db_text_fn cb, void *arg) SP_WUR;

/* Delete a draft (the initiator only); its audit trail stays. */
int db_contract_delete(struct db_pool *pool, int64_t number, const struct db_actor *who,
		       db_status_fn cb, void *arg) SP_WUR;

/*
 * The transitions: send (the initiator sends a draft, or a signer that has
 * signed hands it on), receive (a pending signer takes it), cancel (the
 * initiator withdraws it), reject (a signer whose turn it is refuses, with a
 * reason). A repeat of a step that already happened succeeds and changes
 * nothing. SP_ERR_CONFLICT "out_of_turn" or "wrong_state" when the turn rule
 * refuses (migrations/005_workflow_context.sql). A send of a draft past
 * max_sent_per_day sends of its organization in 24 hours is SP_ERR_RATE_LIMITED
 * (051) and changes nothing.
 */
int db_contract_send(struct db_pool *pool, int64_t number, const struct db_actor *who,
		     int max_sent_per_day, db_text_fn cb, void *arg) SP_WUR;
int db_contract_receive(struct db_pool *pool, int64_t number, const struct db_actor *who,
			db_text_fn cb, void *arg) SP_WUR;
int db_contract_cancel(struct db_pool *pool, int64_t number, const struct db_actor *who,
		       db_text_fn cb, void *arg) SP_WUR;
int db_contract_reject(struct db_pool *pool, int64_t number, const struct db_actor *who,
		       const char *reason, db_text_fn cb, void *arg) SP_WUR;

/* Receive every contract pending for who's organization: {"received": ["<number>", ...]}. */
int db_contract_receive_all(struct db_pool *pool, const struct db_actor *who, db_text_fn cb,
			    void *arg) SP_WUR;

/*
 * Expire up to limit contracts whose deadline passed (SKIP LOCKED: several
 * processes share the work). cb gets how many expired.
 */
int db_contract_expire_due(struct db_pool *pool, int limit, db_count_fn cb, void *arg) SP_WUR;

/*
 * One revision of a contract's PDF. data, sha256 and name are valid only
 * during the callback (the PDF is not copied).
 */
struct db_document {
	int seq;
	char sha256[65]; /* lowercase hex of the whole document: its ETag */
	char name[256];  /* the contract's name, cut at 255 bytes */
	const unsigned char *data;
	size_t len;
};
typedef void (*db_document_fn)(void *arg, const struct db_document *doc,
			       const struct sp_errinfo *err);

/*
 * The whole PDF at revision seq (seq < 0: the latest) of a contract org may
 * see. SP_ERR_NOT_FOUND when there is no such contract or revision; doc is
 * NULL on failure.
 */
int db_contract_document(struct db_pool *pool, int64_t number, int64_t org, int seq,
			 db_document_fn cb, void *arg) SP_WUR;

/* ---- lists.c: the five lists of the signing guide ------------------------------------- */

enum db_list_tab {
	DB_LIST_TODO, /* 待我办理: signer, the contract signing, my party pending..signed */
	DB_LIST_INITIATED, /* 我发起的: initiated by me, sent */
	DB_LIST_SIGNED,    /* 我签署的: signer, my party signed or sent */
	DB_LIST_CC,        /* 抄送我的: cc, sent */
	DB_LIST_DRAFTS     /* 我的草稿 */
};

#define DB_LIST_FILTER_MAX 200 /* bytes of q and initiator */
#define DB_LIST_PAGE_SIZE_MAX 100
#define DB_LIST_PAGE_MAX 100000

/*
 * A page of one list, newest first. NULL filters are absent. status is a
 * contract status; q searches name and number, initiator the initiator's
 * name and credit code (both taken literally, at most DB_LIST_FILTER_MAX
 * bytes); created_from / created_to are RFC 3339 times with a zone.
 */
struct db_list_query {
	enum db_list_tab tab;
	const char *status;
	const char *business_type; /* a code or a display name */
	const char *q;
	const char *initiator;
	const char *created_from;
	const char *created_to;
	int page;      /* 1..DB_LIST_PAGE_MAX */
	int page_size; /* 1..DB_LIST_PAGE_SIZE_MAX */
	int64_t after; /* > 0: keyset paging, rows older than this number (page must be 1) */
};

/* A filtered list counts at most this many rows; beyond it total is a lower bound. */
#define DB_LIST_COUNT_CAP 1000

/*
 * The page for organization org: {"items": [{"number", "name", "business_type",
 * "business_type_name", "status", "initiator", "created_at", "sent_at", "deadline", "completed_at",
 * "my_status"}...], "total": n, "total_exact": bool, "has_more": bool}. An
 * unfiltered tab's total is exact (list_counts, 011); a filtered one counts
 * at most DB_LIST_COUNT_CAP rows and says total_exact false past it.
 * has_more: a row follows this page. SP_ERR_INVALID (and cb will not fire)
 * for a query out of the ranges above.
 */
int db_contract_list(struct db_pool *pool, int64_t org, const struct db_list_query *lq,
		     db_text_fn cb, void *arg) SP_WUR;

/* ---- audit.c: the hash-chained audit trail -------------------------------------------- */

/*
 * Re-verify the audit chain of a contract org may see: {"valid", "events",
 * "first_bad_seq", "reason"} (audit_chain_verify of migrations/).
 */
int db_audit_verify(struct db_pool *pool, int64_t number, int64_t org, db_text_fn cb,
		    void *arg) SP_WUR;

/* At most this many events a page of a contract's audit trail. */
#define DB_AUDIT_PAGE_MAX 100

/*
 * A page of the audit trail of a contract org may see (whoever may read the
 * contract, by the same check in the same statement): the events after seq
 * `after` (0: from the first), at most `limit` (1..DB_AUDIT_PAGE_MAX), oldest
 * first: {"items": [AuditEvent], "next_cursor": the last item's seq as a
 * string when more follow, else null, "has_more"} (contract_audit_json of
 * migrations/050). SP_ERR_NOT_FOUND for a contract org may not see;
 * SP_ERR_INVALID (cb will not fire) for after < 0 or a limit out of range.
 * Loop thread.
 */
int db_audit_page(struct db_pool *pool, int64_t number, int64_t org, int64_t after, int limit,
		  db_text_fn cb, void *arg) SP_WUR;

#endif /* SP_DB_CONTRACTS_H */
