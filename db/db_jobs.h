/*
 * db_jobs.h: the queues background jobs work: webhook registrations and
 * deliveries (webhooks.c), archive-timestamp renewal (archive.c).
 *
 * Part of db/db.h's interface, which includes it (db.h says what the typed
 * calls share); a caller may include db.h or this header.
 */
#include "db.h" /* first: it includes this header where its types come */
#ifndef SP_DB_JOBS_H
#define SP_DB_JOBS_H

/* ---- webhooks.c: registrations, the delivery queue and its log ----------------------- */

/*
 * Register url for actor's organization with secret (64 lowercase hex, shown
 * to the caller once) and append 'webhook.created'; a repeat with the same
 * idempotency_key (may be NULL) gets the first response back and changes
 * nothing. doc is {"id", "url", "secret", "created_at", "events"}.
 * SP_ERR_INVALID for a bad url, SP_ERR_CONFLICT past 20 webhooks or for a
 * reused key, SP_ERR_RATE_LIMITED when the organization registered
 * max_per_day (>= 1) webhooks in 24 hours (054; a replay is none).
 */
int db_webhook_create(struct db_pool *pool, const struct db_actor *actor, const char *url,
		      const char *secret, const char *idempotency_key, int max_per_day,
		      db_json_fn cb, void *arg) SP_WUR;

/*
 * organization_id's live webhooks, without secrets: doc is
 * {"items": [{"id", "url", "created_at"}]}.
 */
int db_webhook_list(struct db_pool *pool, int64_t organization_id, db_json_fn cb, void *arg) SP_WUR;

/*
 * Remove webhook id of actor's organization (its pending deliveries are
 * dropped) and append 'webhook.deleted'. SP_ERR_NOT_FOUND when the
 * organization has no live webhook of that id (another organization's is
 * not found, and unchanged).
 */
int db_webhook_delete(struct db_pool *pool, const struct db_actor *actor, int64_t id,
		      db_status_fn cb, void *arg) SP_WUR;

/*
 * The delivery log of webhook id of organization_id (the 100 newest, each
 * with its attempts): doc is {"items": [...]}. SP_ERR_NOT_FOUND when the
 * organization has no such webhook.
 */
int db_webhook_deliveries_get(struct db_pool *pool, int64_t organization_id, int64_t id,
			      db_json_fn cb, void *arg) SP_WUR;

/* A claimed delivery; the strings are valid only during the callback. */
struct db_webhook_delivery {
	int64_t id;
	int attempt; /* 1 for the first */
	const char *url, *secret, *payload;
};

typedef void (*db_webhook_claim_fn)(void *arg, const struct db_webhook_delivery *d, size_t n,
				    const struct sp_errinfo *err);

/*
 * Claim up to limit due deliveries for lease_s seconds (FOR UPDATE SKIP
 * LOCKED: processes sharing the queue never claim one delivery twice). n may
 * be 0; d is NULL when err->code is not SP_OK.
 */
int db_webhook_claim(struct db_pool *pool, int limit, int lease_s, db_webhook_claim_fn cb,
		     void *arg) SP_WUR;

/* The outcome of one delivery attempt. */
struct db_webhook_attempt {
	int64_t delivery_id;
	int attempt;
	long http_status;  /* 0: no HTTP answer */
	const char *error; /* NULL or "": none */
	long duration_ms;
	int backoff_base_s; /* retry after base * 2^(attempt-1) s (at most an hour) */
	int max_attempts;   /* then give up */
};

/* Record an attempt: delivered (2xx), retried later, or failed for good. */
int db_webhook_attempt_record(struct db_pool *pool, const struct db_webhook_attempt *a,
			      db_status_fn cb, void *arg) SP_WUR;

/* ---- archive.c: archive-timestamp renewal (PAdES B-LTA, migration 010) ---------------- */

/* A completed contract claimed for renewal; db_archive_claim_free() frees it. */
struct db_archive_claim {
	int64_t contract_number;
	int base_seq;      /* its latest revision */
	uint8_t *document; /* that revision's whole document */
	size_t document_len;
	uint64_t tsa_serial;   /* a fresh serial for the built-in TSA */
	int64_t archive_until; /* its newest document timestamp proves until (Unix), 0: none */
};
void db_archive_claim_free(struct db_archive_claim *c); /* NULL is fine */

/* c is the callback's; NULL with err SP_OK when no contract is due. */
typedef void (*db_archive_claim_fn)(void *arg, struct db_archive_claim *c,
				    const struct sp_errinfo *err);

/*
 * Claim the completed contract most in need of a new archive timestamp (none
 * yet, or its newest one's TSA certificate expiring within horizon_s and
 * before tsa_until, what a new one would prove until: Unix, 0 when not known)
 * and lease it for lease_s seconds (SQL archive_renewal_claim: FOR UPDATE
 * SKIP LOCKED, so of several processes exactly one takes each contract).
 * Loop thread.
 */
int db_archive_claim(struct db_pool *pool, long long horizon_s, int lease_s, int64_t tsa_until,
		     db_archive_claim_fn cb, void *arg) SP_WUR;

/*
 * Give a claimed contract back without a revision (SQL archive_renewal_release):
 * failed, a service failed its renewal: retried after retry_s, doubled for each
 * failure in a row (at most a day); else nothing was to gain: looked at again in
 * a day. Loop thread.
 */
int db_archive_release(struct db_pool *pool, int64_t contract_number, int failed, int retry_s,
		       db_status_fn cb, void *arg) SP_WUR;

/* The archive revision a renewal stores. Pointers borrowed for the call. */
struct db_archive_revision {
	int64_t contract_number;
	int seq;              /* the claimed base_seq + 1 */
	const uint8_t *delta; /* the DSS and document timestamp updates */
	size_t delta_len;
	size_t length;          /* of the whole new revision */
	const char *sha256_hex; /* of the whole new revision, lower case */
	int64_t archive_until;  /* the new document timestamp's TSA notAfter, Unix */
	int64_t tsa_time;       /* its genTime, Unix */
};

/*
 * Store it (SQL archive_renewal_store): the revision, the new horizon, an
 * audit event; SP409 (conflict) when another revision landed since the
 * claim. The JSON is {"contract", "seq", "sha256", "archive_until"}. Loop
 * thread.
 */
int db_archive_store(struct db_pool *pool, const struct db_archive_revision *rev, db_json_fn cb,
		     void *arg) SP_WUR;

#endif /* SP_DB_JOBS_H */
