/*
 * db.h: PostgreSQL for sealpact.
 *
 * 1. An asynchronous connection pool on a libevent loop (DESIGN.md §8 "Async
 *    libpq"): non-blocking connect, a bounded pool and a bounded wait queue,
 *    per-query timeouts, reconnect with backoff after the server restarts.
 *    Every function of the pool must be called on the loop's thread.
 * 2. The migrations runner, which is blocking and meant for the CLI
 *    (`sealpactd migrate`) and for tests; never call it on the loop.
 * 3. Typed calls, one file per aggregate (contracts.c, lists.c, audit.c,
 *    auth.c, webhooks.c, signing.c): the only place that holds SQL text or
 *    decodes rows. See "typed calls" below.
 */
#ifndef SP_DB_H
#define SP_DB_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sp.h"

struct event_base;
struct db_pool;

struct db_pool_opts {
	const char *conninfo;      /* libpq conninfo or URI; copied */
	int size;                  /* connections, >= 1 */
	int queue_max;             /* queries waiting for a free connection; more fail SP_ERR_BUSY */
	int query_timeout_ms;      /* default deadline of a query, from send to result */
	int connect_timeout_ms;    /* deadline of one connection attempt */
};

/*
 * One bound parameter. Text parameters have binary = 0 and len ignored
 * (value is NUL-terminated); bytea parameters have binary = 1 and len bytes.
 * value NULL is SQL NULL.
 */
struct db_param {
	const char *value;
	int len;
	int binary;
};

/*
 * The result callback. It fires exactly once for every query that
 * db_query_send() accepted, on the loop thread. On success res is the
 * command's result (PGRES_TUPLES_OK or PGRES_COMMAND_OK) and err->code is
 * SP_OK; on failure res is NULL and err says why: SP_ERR_DB with the SQLSTATE
 * for a server error, SP_ERR_UNAVAILABLE when the database cannot be reached,
 * SP_ERR_TIMEOUT when the deadline passed. res and err belong to the pool and
 * are valid only during the call.
 */
typedef void (*db_done_fn)(void *arg, const PGresult *res, const struct sp_errinfo *err);

/*
 * Create a pool on base and start connecting in the background; this never
 * blocks and succeeds even while the database is down (queries then fail
 * with SP_ERR_UNAVAILABLE until it is back). *out is freed with db_pool_free.
 */
int db_pool_new(struct event_base *base, const struct db_pool_opts *opts,
		struct db_pool **out, struct sp_errinfo *ei) SP_WUR;

/*
 * Close every connection. Callbacks of queries still pending fire with
 * SP_ERR_UNAVAILABLE before this returns. NULL is fine.
 */
void db_pool_free(struct db_pool *pool);

/*
 * Send one statement with bound parameters ($1..$n). Results come in text
 * format except that binary_result = 1 asks for binary (for bytea columns).
 * A state change must be one statement or one SQL function call: the pool
 * never keeps a transaction open across calls.
 *
 * timeout_ms <= 0 uses the pool's default. Returns SP_OK when the query was
 * accepted (cb will fire exactly once, never from inside this call), or
 * SP_ERR_BUSY when the wait queue is full, SP_ERR_INVALID for bad arguments;
 * then cb will not fire.
 */
int db_query_send(struct db_pool *pool, const char *sql, int nparams,
		  const struct db_param *params, int binary_result, int timeout_ms,
		  db_done_fn cb, void *arg) SP_WUR;

struct db_pool_stats {
	int size;          /* configured connections */
	int connected;     /* connections currently established */
	int in_use;        /* connections running a query */
	int waiting;       /* queries queued for a connection */
	unsigned long long queries;   /* completed since start */
	unsigned long long failures;  /* failed since start */
};

void db_pool_stats_get(const struct db_pool *pool, struct db_pool_stats *out);

/*
 * Apply every migrations/NNN_name.sql of dir not yet recorded, in order, each
 * in its own transaction, under a session advisory lock, recording version,
 * name and SHA-256 checksum in schema_migrations. Refuses (SP_ERR_CONFLICT)
 * when an applied migration's file has changed or is missing. *applied (may be
 * NULL) receives how many were applied now. Blocking: CLI and tests only.
 */
int db_migrate(const char *conninfo, const char *dir, int *applied,
	       struct sp_errinfo *ei) SP_WUR;

/* ---- typed calls ----------------------------------------------------------------------
 *
 * A typed call takes C values, sends one statement (a state change is one SQL
 * function of migrations/, so it is atomic and needs one round trip), and
 * delivers a decoded result to its callback exactly once, on the loop thread,
 * never from inside the call. It returns SP_OK when the query was accepted, or
 * SP_ERR_BUSY / SP_ERR_INVALID, and then the callback will not fire.
 *
 * On failure err->code is the class and err->reason the stable problem code,
 * both from the one SQLSTATE table (errors.c, db_sqlstate_map()), e.g.
 * SP_ERR_CONFLICT "out_of_turn"; err->msg is safe to show the caller. A
 * server passes err on unchanged (request_reply_error()).
 */

/*
 * A document-shaped result: the statement built the JSON the API returns.
 * doc is a new reference the callback owns (json_decref), NULL when err->code
 * is not SP_OK. A call that finds no row fails with SP_ERR_NOT_FOUND.
 */
typedef void (*db_json_fn)(void *arg, json_t *doc, const struct sp_errinfo *err);

/* A result with nothing to decode (a state change, a ping). */
typedef void (*db_status_fn)(void *arg, const struct sp_errinfo *err);

/*
 * Who acts, for state changes and their audit events: the organization (0
 * for a reviewer), the user (0 when none, e.g. an API key without a creator),
 * and where the request came from. ip and user_agent may be NULL or "";
 * they are copied by the call.
 */
struct db_actor {
	int64_t org_id;
	int64_t user_id;
	const char *ip;
	const char *user_agent;
};

/* ---- contracts.c: drafts, detail, workflow transitions -------------------------------- */


/* ---- lists.c: the five lists of the signing guide ------------------------------------- */


/* ---- audit.c: the hash-chained audit trail -------------------------------------------- */


/* ---- auth.c: challenges, logins, sessions, reviewers, API keys ----------------------- */


/* ---- webhooks.c: registrations, the delivery queue and its log ----------------------- */


/* ---- signing.c: signing sessions, signed revisions, TSA serials ---------------------- */

/*
 * A revision's whole document (the base revision plus its increments). The
 * struct and data are malloc'd and belong to the callback that receives it:
 * free it with db_revision_doc_free(), or take data (set it NULL) first.
 */
struct db_revision_doc {
	int64_t contract_number;
	int seq;                   /* the revision's seq, 0 for the original upload */
	uint8_t *data;
	size_t len;                /* > 0 */
};
void db_revision_doc_free(struct db_revision_doc *doc);   /* NULL is fine */

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
 * Verification of a contract: the latest revision of contract `number` as
 * organization org_id may see it (the initiator, or a party once sent);
 * SP_ERR_NOT_FOUND "no such contract" otherwise. Loop thread.
 */
int db_verification_document_load(struct db_pool *pool, int64_t number, int64_t org_id,
				  db_revision_doc_fn cb, void *arg) SP_WUR;

/*
 * What prepare stores for completion. Every pointer is borrowed for the
 * call only (the call copies what it sends).
 */
struct db_signing_new {
	int64_t contract_number;
	int base_seq;                   /* the revision the update extends */
	const uint8_t *delta;           /* the incremental update, /Contents zeroed */
	size_t delta_len;
	size_t contents_off;            /* the placeholder, offsets in the whole file */
	size_t contents_len;
	const uint8_t *signed_attrs;    /* the DER the token signs */
	size_t signed_attrs_len;
	const char *algorithm;          /* crypto_sigalg_name() */
	const uint8_t *chain;           /* DER SEQUENCE OF Certificate (crypto_chain_to_der) */
	size_t chain_len;
	const char *rects_json;         /* JSON array of the seal rectangles */
	int ttl_s;                      /* the session's lifetime */
	const uint8_t *cert_der;        /* the signer's certificate */
	size_t cert_len;
	const char *cert_subject;       /* RFC 2253 */
	const char *cert_issuer;
	const char *cert_serial_hex;    /* any case; stored lower case */
	int64_t cert_not_before;        /* Unix seconds */
	int64_t cert_not_after;
};

/*
 * Prepare, second half: store a signing session for who (its org_id's
 * signer party), re-checking the turn and that no revision landed since
 * base_seq (stale_revision), and record the certificate for the
 * organization (SQL signing_session_create). The JSON is
 * {"session", "expires_at", "base_seq", "certificate_id"}. Loop thread.
 */
int db_signing_session_create(struct db_pool *pool, const struct db_actor *who,
			      const struct db_signing_new *s, db_json_fn cb, void *arg) SP_WUR;

/*
 * What completion needs, claimed by db_signing_session_claim(). The struct
 * and its buffers are malloc'd and belong to the callback that receives it,
 * until it frees them with db_signing_session_free() (it may hand the struct
 * on, e.g. to a worker job; document is writable so the signature can be
 * filled in place). The offsets are checked: orig_len < document_len and the
 * placeholder lies in the update.
 */
struct db_signing_session {
	char id[37];                 /* the session's UUID, lower case */
	int64_t contract_number;
	int base_seq;
	uint8_t *document;           /* base revision + the prepared update */
	size_t document_len;
	size_t orig_len;             /* length of the base revision */
	size_t contents_off;
	size_t contents_len;
	uint8_t *signed_attrs;
	size_t signed_attrs_len;
	char algorithm[32];
	uint8_t *chain;              /* DER SEQUENCE OF Certificate, as stored */
	size_t chain_len;
	uint8_t *cert_der;
	size_t cert_len;
	uint64_t tsa_serial;         /* a fresh value of the tsa_serial sequence */
};
void db_signing_session_free(struct db_signing_session *s);   /* NULL is fine */

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
			     db_signing_session_fn cb, void *arg) SP_WUR;

/* The signed revision completion stores. Pointers borrowed for the call. */
struct db_signed_revision {
	const uint8_t *delta;        /* the update with the CMS filled in */
	size_t delta_len;
	size_t length;               /* of the whole new revision */
	const char *sha256_hex;      /* of the whole new revision, lower case */
	int64_t tsa_time;            /* the timestamp token's genTime, Unix seconds */
};

/*
 * Complete, second half: under the session's row lock, store the revision,
 * mark the party signed, consume the session and append the audit event
 * (SQL signing_session_complete); of two concurrent completions of one
 * session exactly one stores, the other fails with session_used. The JSON
 * is {"session", "seq", "sha256", "length", "timestamp", "contract"}.
 * Loop thread.
 */
int db_signing_session_complete(struct db_pool *pool, const char *id,
				const struct db_actor *who, const struct db_signed_revision *rev,
				db_json_fn cb, void *arg) SP_WUR;

/*
 * Abort open session id of who's organization (SQL signing_session_abort);
 * session_used when it is not open. The JSON is {"session", "state"}.
 * Loop thread.
 */
int db_signing_session_abort(struct db_pool *pool, const char *id, const struct db_actor *who,
			     db_json_fn cb, void *arg) SP_WUR;

/*
 * The next serial number of the built-in TSA (the PostgreSQL sequence
 * tsa_serial: unique across restarts and processes). serial is 0 when
 * err->code is not SP_OK. Loop thread.
 */
typedef void (*db_serial_fn)(void *arg, uint64_t serial, const struct sp_errinfo *err);
int db_tsa_serial_next(struct db_pool *pool, db_serial_fn cb, void *arg) SP_WUR;


#endif /* SP_DB_H */
