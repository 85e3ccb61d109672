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

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sp.h"

struct event_base;
struct db_pool;

struct db_pool_opts {
	const char *conninfo;   /* libpq conninfo or URI; copied */
	int size;               /* connections, >= 1 */
	int queue_max;          /* queries waiting for a free connection; more fail SP_ERR_BUSY */
	int query_timeout_ms;   /* default deadline of a query, from send to result */
	int connect_timeout_ms; /* deadline of one connection attempt */
};

/*
 * Create a pool on base and start connecting in the background; this never
 * blocks and succeeds even while the database is down (queries then fail
 * with SP_ERR_UNAVAILABLE until it is back). *out is freed with db_pool_free.
 */
int db_pool_new(struct event_base *base, const struct db_pool_opts *opts, struct db_pool **out,
		struct sp_errinfo *ei) SP_WUR;

/*
 * Close every connection. Callbacks of queries still pending fire with
 * SP_ERR_UNAVAILABLE before this returns. NULL is fine.
 */
void db_pool_free(struct db_pool *pool);

struct db_pool_stats {
	int size;                    /* configured connections */
	int connected;               /* connections currently established */
	int in_use;                  /* connections running a query */
	int waiting;                 /* queries queued for a connection */
	unsigned long long queries;  /* completed since start */
	unsigned long long failures; /* failed since start */
};

void db_pool_stats_get(const struct db_pool *pool, struct db_pool_stats *out);

/*
 * Whose queries are sent from now on (sec35): key (SP_TURN_KEY bytes,
 * copied) names the caller they serve (an organization, a reviewer, a
 * client address); NULL: nobody's (the server's own). A free connection
 * takes the oldest waiting query of the owner with the fewest running and,
 * of those, the one served longest ago (sp_turns), so one caller's burst of
 * queries delays another's by about one query per connection, not by the
 * whole burst; queries of nobody's rank as a fresh owner's. A query's
 * callback runs with its query's owner set, so the queries it sends are the
 * same caller's; it is unset again after. The server sets it where a
 * request's code runs (its handler, a job's done()). Loop thread.
 */
void db_pool_owner_set(struct db_pool *pool, const unsigned char *key);

/*
 * Readiness: run "SELECT 1" within timeout_ms (<= 0: the pool's default).
 * cb (the shape of db_status_fn below) fires exactly once, on the loop
 * thread, never from inside this call, with SP_OK, or with SP_ERR_UNAVAILABLE
 * and reason "database_unavailable" for every failure: unreachable, too slow,
 * or the wait queue full. Returns SP_OK when accepted, SP_ERR_INVALID or
 * SP_ERR_NOMEM (or SP_ERR_UNAVAILABLE while the pool is being freed), and
 * then cb will not fire. Loop thread.
 */
int db_ping(struct db_pool *pool, int timeout_ms,
	    void (*cb)(void *arg, const struct sp_errinfo *err), void *arg) SP_WUR;

/*
 * Apply every migrations/NNN_name.sql of dir not yet recorded, in order, each
 * in its own transaction under a transaction-scoped advisory lock (so it
 * also runs through PgBouncer in transaction mode), recording version,
 * name and SHA-256 checksum in schema_migrations. Refuses (SP_ERR_CONFLICT)
 * when an applied migration's file has changed or is missing. *applied (may be
 * NULL) receives how many were applied now. Blocking: CLI and tests only.
 */
int db_migrate(const char *conninfo, const char *dir, int *applied, struct sp_errinfo *ei) SP_WUR;

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

/*
 * A document-shaped result handed over as the text the statement built, for
 * a reply that passes it on unchanged (no parse, no second serialization;
 * json or jsonb output alike). text is valid JSON, NUL-terminated, len bytes,
 * owned by db/ and valid only during the call (copy what must outlive it);
 * NULL and 0 when err->code is not SP_OK. A call that finds no row fails
 * with SP_ERR_NOT_FOUND.
 */
typedef void (*db_text_fn)(void *arg, const char *text, size_t len, const struct sp_errinfo *err);

/* A result with nothing to decode (a state change, a ping). */
typedef void (*db_status_fn)(void *arg, const struct sp_errinfo *err);

/*
 * Who acts, for state changes and their audit events: the organization (0
 * for a reviewer), the user (0 when none, e.g. an API key without a creator),
 * and where the request came from. ip and user_agent may be NULL or "";
 * they are copied by the call. The audit event keeps ip only when it is an
 * IPv4 or IPv6 address, and at most DB_USER_AGENT_MAX bytes of user_agent,
 * cut at a UTF-8 character boundary, with bytes that are not UTF-8 as '?'.
 */
#define DB_USER_AGENT_MAX 256
struct db_actor {
	int64_t org_id;
	int64_t user_id;
	const char *ip;
	const char *user_agent;
};

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

/* ---- auth.c: challenges, logins, sessions, reviewers, API keys ----------------------- */

/* What a bearer credential is. */
enum db_credential_kind {
	DB_CREDENTIAL_MEMBER = 1, /* a member's session (token login) */
	DB_CREDENTIAL_API_KEY,    /* an organization's API key */
	DB_CREDENTIAL_REVIEWER    /* a reviewer's session (password login) */
};

struct db_credential {
	enum db_credential_kind kind;
	int64_t credential_id;   /* sessions.id or api_keys.id */
	int64_t user_id;         /* for an API key, its creator */
	int64_t organization_id; /* 0 for a reviewer */
	int64_t certificate_id;  /* a member's login certificate, else 0 */
	char credit_code[19];    /* the organization's, "" for a reviewer */
};

/* cred is valid only during the call; NULL when err->code is not SP_OK. */
typedef void (*db_credential_fn)(void *arg, const struct db_credential *cred,
				 const struct sp_errinfo *err);

/*
 * The live credential whose token string hashes to token_hash (lowercase hex
 * SHA-256): a session, or with api_key 1 an API key (whose last_used_at it
 * refreshes at most once a minute). One statement. SP_ERR_NOT_FOUND when no
 * credential is live (unknown, expired, revoked, disabled user, revoked
 * certificate).
 */
int db_auth_credential_lookup(struct db_pool *pool, const char *token_hash, int api_key,
			      db_credential_fn cb, void *arg) SP_WUR;

/*
 * Issue a login challenge valid ttl_s seconds: doc is {"challenge" (base64
 * of 32 bytes), "expires_at" (RFC 3339 UTC, seconds)}. The database makes
 * it (expiry, random, a tag under its own key: 049) and writes nothing, so
 * nothing runs out however many are asked for.
 */
int db_auth_challenge_issue(struct db_pool *pool, int ttl_s, db_json_fn cb, void *arg) SP_WUR;

/* The checked facts of a token login (all copied by the call). */
struct db_member_login {
	const char *challenge_hex;        /* the 32 challenge bytes, lowercase hex */
	const char *credit_code;          /* 18 characters, checked */
	const char *org_name, *user_name; /* from the certificate's subject, in NFC */
	const char *org_key;  /* org_name as compared: equal keys, one organization (054) */
	const char *org_key2; /* and its second key (names.c, 062) */
	const unsigned char *cert_der;
	size_t cert_len;
	const char *subject, *issuer;
	const char *serial;            /* lowercase hex */
	int64_t not_before, not_after; /* Unix seconds */
	const char *token_hash;        /* SHA-256 hex of the new session token */
	long ttl_s;                    /* the session's lifetime, cut at not_after */
	int max_per_day; /* logins of the organization in any 24 hours (auth.max_logins_per_day) */
};

/* The session a token login opened; strings valid only during the call. */
struct db_member_session {
	int64_t session_id, organization_id, user_id, certificate_id;
	const char *expires_at; /* RFC 3339 UTC, seconds */
	const char *organization_name, *credit_code, *user_name;
	int organization_created; /* 1: this login registered the organization */
};

typedef void (*db_member_session_fn)(void *arg, const struct db_member_session *s,
				     const struct sp_errinfo *err);

/*
 * A token login as one SQL call: consume the challenge, find or create the
 * organization (by credit code), the user and the certificate, open a session
 * and append 'session.login' to the organization's audit trail with actor's
 * ip and user_agent (its ids are ignored: the login decides them). A refusal
 * creates nothing: SP_ERR_UNAUTHORIZED challenge_unknown, challenge_used,
 * challenge_expired or cert_revoked, SP_ERR_CONFLICT certificate_conflict,
 * SP_ERR_FORBIDDEN user_disabled, SP_ERR_INVALID for values the schema
 * refuses, SP_ERR_DB for anything else (e.g. a token hash taken).
 */
int db_auth_member_login(struct db_pool *pool, const struct db_member_login *in,
			 const struct db_actor *actor, db_member_session_fn cb, void *arg) SP_WUR;

/*
 * End session session_id of actor's user and append 'session.logout' to its
 * trail. SP_OK also when it had already ended (nothing is recorded then).
 */
int db_auth_logout(struct db_pool *pool, int64_t session_id, const struct db_actor *actor,
		   db_status_fn cb, void *arg) SP_WUR;

/*
 * Who a principal is, as GET /api/v1/auth/whoami shows it: doc is
 * {"user": {"id", "name", "username"?}, "organization": {"id", "name",
 * "credit_code"} or null, "certificate": {"id", "subject", "fingerprint"} or
 * null}; organization_id and certificate_id 0 for none. SP_ERR_NOT_FOUND
 * when the user does not exist.
 */
int db_auth_whoami(struct db_pool *pool, int64_t user_id, int64_t organization_id,
		   int64_t certificate_id, db_json_fn cb, void *arg) SP_WUR;

/*
 * The first step of a reviewer login: the credential of a username, if it
 * exists (user_id 0 and password_hash NULL when not), and the throttles that
 * apply (migrations/007_hardening.sql). Strings valid only during the call.
 */
struct db_reviewer_credential {
	int64_t user_id;           /* 0: no such username */
	const char *password_hash; /* "scrypt$N$r$p$salt$hash", or NULL */
	int locked_s; /* > 0: seconds the account's (or the unknown name's, 052) lockout lasts */
	int address_wait_s; /* > 0: the client's address is blocked */
};

typedef void (*db_reviewer_credential_fn)(void *arg, const struct db_reviewer_credential *c,
					  const struct sp_errinfo *err);

/* The credential of username and the throttle state of ip (NULL: none). */
int db_auth_reviewer_credential_get(struct db_pool *pool, const char *username, const char *ip,
				    db_reviewer_credential_fn cb, void *arg) SP_WUR;

/* A checked reviewer password (or an unknown username), to be recorded. */
struct db_reviewer_login {
	const char *username; /* as asked for: an unknown one is counted and locked too (052) */
	int64_t user_id;      /* 0: the username does not exist */
	int password_ok;
	const char *token_hash; /* the new session's, when password_ok (else NULL) */
	int ttl_s;
	int max_failures, lockout_s, backoff_s; /* the account's throttle (auth.login_*) */
	int ip_max_failures;                    /* the address's (auth.ip_max_failures, 0: off) */
};

enum db_reviewer_outcome {
	DB_REVIEWER_OK = 1,   /* a session was opened */
	DB_REVIEWER_FAILED,   /* refused; a wrong password was counted */
	DB_REVIEWER_LOCKED,   /* refused; the account is locked for retry_after_s */
	DB_REVIEWER_THROTTLED /* refused; wrong, and the address is blocked for retry_after_s */
};

struct db_reviewer_result {
	enum db_reviewer_outcome outcome;
	int64_t session_id;     /* OK */
	const char *expires_at; /* OK: RFC 3339 UTC, seconds; valid during the call */
	int retry_after_s;      /* LOCKED, THROTTLED */
};

typedef void (*db_reviewer_result_fn)(void *arg, const struct db_reviewer_result *res,
				      const struct sp_errinfo *err);

/*
 * Record the outcome of a password check under the credential's row lock
 * (so guesses racing past a lockout are still refused): a session, a counted
 * failure or a lockout, each appended to the platform's audit trail with
 * actor's ip and user_agent; every failure also counts against the actor's
 * address, shared by all server processes.
 */
int db_auth_reviewer_login_finish(struct db_pool *pool, const struct db_reviewer_login *in,
				  const struct db_actor *actor, db_reviewer_result_fn cb,
				  void *arg) SP_WUR;

/*
 * Create a reviewer account (username, display name, scrypt password hash)
 * and return its user id in *user_id. BLOCKING (its own connection to
 * conninfo, like db_migrate): for `sealpactd admin` only, never on the loop.
 * SP_ERR_CONFLICT "username_taken", SP_ERR_INVALID for values the schema
 * refuses, SP_ERR_UNAVAILABLE when the database cannot be reached.
 */
int db_auth_reviewer_create(const char *conninfo, const char *username, const char *name,
			    const char *password_hash, int64_t *user_id,
			    struct sp_errinfo *ei) SP_WUR;

/*
 * The name keys of one organization's name (server/api/names.c's
 * api_name_forms: NFKC, skeleton, case folding), into key and key2 of cap
 * bytes each; 0, or non-zero to leave the organization without keys.
 */
typedef int (*db_name_keys_fn)(const char *name, char *key, char *key2, size_t cap, void *arg);

struct db_name_keys_done {
	long keyed;     /* organizations given their keys */
	long alike;     /* left without: their names show like another's (first ids in ids) */
	long unkeyed;   /* left without: keys() refused their names */
	int64_t ids[8]; /* the first of the alike ones */
};

/*
 * Give every registered organization without both name keys (registered
 * before migration 054, or 062 for the second) its keys from keys(), batch
 * of them a round trip (migration 064's org_name_keys_backfill: the keys of
 * one batch go with the request for the next). An organization whose keys
 * another holds is left without and counted in done->alike. Idempotent;
 * nothing to do on a schema older than 064.
 * BLOCKING (its own connection to conninfo, like db_migrate): for
 * `sealpactd migrate`. SP_ERR_UNAVAILABLE when the database cannot be
 * reached.
 */
int db_org_name_keys_backfill(const char *conninfo, int batch, db_name_keys_fn keys, void *arg,
			      struct db_name_keys_done *done, struct sp_errinfo *ei) SP_WUR;

/*
 * A new API key of actor's organization, created by actor's user: name as
 * given (stored trimmed), prefix 8 characters of [0-9a-z], key_hash the
 * SHA-256 hex of the whole key, expires_at its end in seconds since 1970
 * (0: never; the caller checked it lies ahead). Appends 'api_key.created'.
 * doc is {"id", "name", "prefix", "created_at", "expires_at" (null: never)}.
 * SP_ERR_CONFLICT "api_key_limit" at 100 live keys (expired ones are not),
 * SP_ERR_RATE_LIMITED when the organization created max_per_day (>= 1) keys
 * in 24 hours (054, revoked ones included): nothing is stored.
 */
int db_api_key_create(struct db_pool *pool, const struct db_actor *actor, const char *name,
		      const char *prefix, const char *key_hash, int64_t expires_at, int max_per_day,
		      db_json_fn cb, void *arg) SP_WUR;

/*
 * One page of organization_id's keys, newest first, without secrets: doc is
 * {"items": [{"id", "name", "prefix", "created_by", "created_at",
 * "last_used_at", "revoked_at", "expires_at"}], "total"}.
 */
int db_api_key_list(struct db_pool *pool, int64_t organization_id, long limit, long offset,
		    db_json_fn cb, void *arg) SP_WUR;

/*
 * Revoke key key_id of actor's organization and append 'api_key.revoked'.
 * SP_ERR_NOT_FOUND when the organization has no live key of that id (another
 * organization's key is not found, and unchanged).
 */
int db_api_key_revoke(struct db_pool *pool, const struct db_actor *actor, int64_t key_id,
		      db_status_fn cb, void *arg) SP_WUR;

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
 * wrote it (the reply adds to it without parsing it). last_signer: whether
 * every other signer had signed when it was stored, as the claim would say
 * then (signing_session_claim_head's last_signer), for a completion in one
 * trip (db_signing_session_complete_held compares it again). Loop thread.
 */
typedef void (*db_session_created_fn)(void *arg, const char *text, size_t len, int last_signer,
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
	uint64_t tsa_serial;     /* a fresh value of the tsa_serial sequence */
	int last_signer;         /* 1: every other signer has signed (B-LTA goes in now) */
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

#endif /* SP_DB_H */
