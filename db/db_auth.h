/*
 * db_auth.h: challenges, logins, sessions, reviewers and API keys (auth.c).
 *
 * Part of db/db.h's interface, which includes it (db.h says what the typed
 * calls share); a caller may include db.h or this header.
 */
#include "db.h" /* first: it includes this header where its types come */
#ifndef SP_DB_AUTH_H
#define SP_DB_AUTH_H

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
	int max_member_per_day;  /* of the member (auth.max_member_logins_per_day) */
	int max_address_per_day; /* of its members from the actor's address (065) */
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
 * refuses, SP_ERR_RATE_LIMITED past one of the three daily budgets (the
 * member's, its address's, the organization's: 059, 065; the challenge stays
 * usable), SP_ERR_DB for anything else (e.g. a token hash taken).
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
 * Set reviewer username's scrypt password hash, clear its failed logins and
 * lock, and revoke every live session it holds (068, one statement); the
 * sessions revoked in *revoked. BLOCKING, as db_auth_reviewer_create.
 * SP_ERR_NOT_FOUND "reviewer_not_found", SP_ERR_UNAVAILABLE when the
 * database cannot be reached.
 */
int db_auth_reviewer_password_set(const char *conninfo, const char *username,
				  const char *password_hash, int64_t *revoked,
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

#endif /* SP_DB_AUTH_H */
