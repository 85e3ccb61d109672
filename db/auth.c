/*
 * auth.c: the typed calls of identity (db.h, "auth.c" section): credential
 * lookup, login challenges, token and reviewer logins, logout, whoami,
 * reviewer accounts and API keys. The state changes are the SQL functions of
 * migrations/002_identity.sql and 006_identity_audit.sql; each appends its
 * audit event with the caller's IP address and User-Agent.
 */
#include "db.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3339 UTC to the second, as the identity API has always shown times. */
#define TS(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* A typed call's callback and its argument, while the statement runs. */
struct wait {
	void (*cb)(void);
	void *arg;
};

static int
send_wait(struct db_pool *pool, const char *sql, int nparams, const struct db_param *params,
	  void (*cb)(void), void *arg, db_done_fn done)
{
	struct wait *w;
	int r;

	if (cb == NULL)
		return SP_ERR_INVALID;
	if ((w = malloc(sizeof(*w))) == NULL)
		return SP_ERR_NOMEM;
	w->cb = cb;
	w->arg = arg;
	if ((r = db_query_send_prepared(pool, sql, nparams, params, 0, 0, done, w)) != SP_OK)
		free(w);
	return r;
}

/* Take the callback out of a wait and free it. */
static void *
wait_take(void *p, void (**cb)(void))
{
	struct wait *w = p;
	void *arg = w->arg;

	*cb = w->cb;
	free(w);
	return arg;
}

/* ---- the credential behind a bearer token ------------------------------------------ */

#define LOOKUP_SQL \
	"SELECT kind, credential_id, user_id, organization_id, certificate_id, credit_code " \
	"FROM auth_credential_lookup($1, $2::boolean)"

/* An integer column of row 0 in either format (the signing calls read binary). */
static int
col_i64(const PGresult *res, int col, int64_t *out)
{
	uint64_t u;

	*out = 0;
	if (PQgetisnull(res, 0, col))
		return 0;
	if (PQfformat(res, col) == 0)
		return sp_parse_i64(PQgetvalue(res, 0, col), INT64_MIN, INT64_MAX, out) == SP_OK
			       ? 0
			       : -1;
	if (db_col_uint(res, col, 8, &u) != 0)
		return -1;
	*out = (int64_t)u;
	return 0;
}

int
db_credential_decode(const PGresult *res, int col, struct db_credential *c)
{
	const char *kind;
	int n;

	memset(c, 0, sizeof(*c));
	/* row 0: a signing's document comes in parts, one row each (017), the
	   credential repeated on each; a lookup's answer is one row (unique hash) */
	if (PQntuples(res) < 1 || PQnfields(res) < col + DB_CREDENTIAL_COLS ||
	    PQgetisnull(res, 0, col))
		return -1;
	kind = PQgetvalue(res, 0, col);
	n = PQgetlength(res, 0, col);
	if (n == 6 && memcmp(kind, "member", 6) == 0)
		c->kind = DB_CREDENTIAL_MEMBER;
	else if (n == 7 && memcmp(kind, "api_key", 7) == 0)
		c->kind = DB_CREDENTIAL_API_KEY;
	else if (n == 8 && memcmp(kind, "reviewer", 8) == 0)
		c->kind = DB_CREDENTIAL_REVIEWER;
	else
		return -1;
	if (col_i64(res, col + 1, &c->credential_id) != 0 ||
	    col_i64(res, col + 2, &c->user_id) != 0 ||
	    col_i64(res, col + 3, &c->organization_id) != 0 ||
	    col_i64(res, col + 4, &c->certificate_id) != 0)
		return -1;
	if (!PQgetisnull(res, 0, col + 5)) {
		n = PQgetlength(res, 0, col + 5);
		if (n < 0 || (size_t)n >= sizeof(c->credit_code))
			return -1;
		memcpy(c->credit_code, PQgetvalue(res, 0, col + 5), (size_t)n);
		c->credit_code[n] = '\0';
	}
	return 0;
}

static void
on_lookup(void *p, const PGresult *res, const struct sp_errinfo *err)
{
	struct db_credential c;
	struct sp_errinfo ei;
	void (*fn)(void);
	void *arg = wait_take(p, &fn);
	db_credential_fn cb = (db_credential_fn)fn;

	if (err->code != SP_OK) {
		cb(arg, NULL, err);
		return;
	}
	sp_errinfo_init(&ei);
	if (PQntuples(res) != 1) {
		sp_err_reason(&ei, SP_ERR_NOT_FOUND, "not_found",
			      "The credential is unknown, expired or revoked.");
		cb(arg, NULL, &ei);
		return;
	}
	if (db_credential_decode(res, 0, &c) != 0) {
		db_shape_err(&ei, "credential");
		cb(arg, NULL, &ei);
		return;
	}
	cb(arg, &c, &ei);
}

int
db_auth_credential_lookup(struct db_pool *pool, const char *token_hash, int api_key,
			  db_credential_fn cb, void *arg)
{
	struct db_param p[2];

	if (token_hash == NULL)
		return SP_ERR_INVALID;
	db_param_text(&p[0], token_hash);
	db_param_text(&p[1], api_key ? "true" : "false");
	return send_wait(pool, LOOKUP_SQL, 2, p, (void (*)(void))cb, arg, on_lookup);
}

/* ---- challenges ------------------------------------------------------------------------ */

int
db_auth_challenge_issue(struct db_pool *pool, int ttl_s, db_json_fn cb, void *arg)
{
	struct db_param p[1];
	char ttl[16];

	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	db_param_text(&p[0], ttl);
	/* 32 bytes are 44 base64 characters: encode() breaks lines only past 76. */
	return db_json_call(pool,
			    "SELECT jsonb_build_object('challenge', encode(challenge, 'base64'), "
			    "'expires_at', " TS("expires_at") ")::text "
							      "FROM auth_challenge_issue($1::int)",
			    1, p, NULL, cb, arg);
}

/* ---- token login ----------------------------------------------------------------------- */

/*
 * The session never outlives the certificate: the SQL cuts ttl at notAfter
 * (at least one second; the server refused certificates that expire now).
 */
#define LOGIN_SQL \
	"SELECT session_id, " TS( \
		"expires_at") ", organization_id, organization_name, " \
			      "credit_code, user_id, user_name, certificate_id, " \
			      "organization_created " \
			      "FROM auth_login_member_keyed3($1, $2, $3, $4, $5, " \
			      "$6, $7, $8, to_timestamp($9::bigint), " \
			      "to_timestamp($10::bigint), $11, " \
			      "GREATEST(1, LEAST($12::int, " \
			      "floor(extract(epoch FROM " \
			      "to_timestamp($10::bigint) - now()))::int)), " \
			      "$13::inet, $14, $15, $16, $17::int, $18::int, $19::int)"

static void
on_login(void *p, const PGresult *res, const struct sp_errinfo *err)
{
	struct db_member_session s;
	struct sp_errinfo ei;
	void (*fn)(void);
	void *arg = wait_take(p, &fn);
	db_member_session_fn cb = (db_member_session_fn)fn;

	if (err->code != SP_OK) {
		cb(arg, NULL, err);
		return;
	}
	sp_errinfo_init(&ei);
	if (PQntuples(res) != 1 || PQnfields(res) != 9 || PQgetisnull(res, 0, 0)) {
		db_shape_err(&ei, "token login");
		cb(arg, NULL, &ei);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.session_id = db_col_i64(res, 0, 0);
	s.expires_at = PQgetvalue(res, 0, 1);
	s.organization_id = db_col_i64(res, 0, 2);
	s.organization_name = PQgetvalue(res, 0, 3);
	s.credit_code = PQgetvalue(res, 0, 4);
	s.user_id = db_col_i64(res, 0, 5);
	s.user_name = PQgetvalue(res, 0, 6);
	s.certificate_id = db_col_i64(res, 0, 7);
	s.organization_created = PQgetvalue(res, 0, 8)[0] == 't';
	cb(arg, &s, &ei);
}

int
db_auth_member_login(struct db_pool *pool, const struct db_member_login *in,
		     const struct db_actor *actor, db_member_session_fn cb, void *arg)
{
	char nb[24], na[24], ttl[24], max[24], max_member[24], max_address[24];
	struct db_actor_text a;
	struct db_param p[19];
	int i = 0;

	if (in == NULL || actor == NULL || in->cert_der == NULL || in->cert_len == 0 ||
	    in->cert_len > 1024 * 1024 || in->org_key == NULL || in->org_key2 == NULL ||
	    in->max_per_day < 1 || in->max_member_per_day < 1 || in->max_address_per_day < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, actor);
	snprintf(ttl, sizeof(ttl), "%ld", in->ttl_s);
	memset(p, 0, sizeof(p));
	p[i++].value = in->challenge_hex;
	p[i++].value = in->credit_code;
	p[i++].value = in->org_name;
	p[i++].value = in->user_name;
	p[i].value = (const char *)in->cert_der;
	p[i].len = (int)in->cert_len;
	p[i++].binary = 1;
	p[i++].value = in->subject;
	p[i++].value = in->issuer;
	p[i++].value = in->serial;
	p[i++].value = db_i64_text(nb, sizeof(nb), in->not_before);
	p[i++].value = db_i64_text(na, sizeof(na), in->not_after);
	p[i++].value = in->token_hash;
	p[i++].value = ttl;
	p[i++].value = a.ip;
	p[i++].value = a.ua;
	p[i++].value = in->org_key;
	p[i++].value = in->org_key2;
	snprintf(max, sizeof(max), "%d", in->max_per_day);
	p[i++].value = max;
	snprintf(max_member, sizeof(max_member), "%d", in->max_member_per_day);
	p[i++].value = max_member;
	snprintf(max_address, sizeof(max_address), "%d", in->max_address_per_day);
	p[i++].value = max_address;
	return send_wait(pool, LOGIN_SQL, i, p, (void (*)(void))cb, arg, on_login);
}

/* ---- logout, whoami ---------------------------------------------------------------------- */

int
db_auth_logout(struct db_pool *pool, int64_t session_id, const struct db_actor *actor,
	       db_status_fn cb, void *arg)
{
	struct db_actor_text a;
	struct db_param p[5];
	char id[24];

	if (actor == NULL)
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, actor);
	db_param_text(&p[0], db_i64_text(id, sizeof(id), session_id));
	db_param_text(&p[1], a.org);
	db_param_text(&p[2], a.user);
	db_param_text(&p[3], a.ip);
	db_param_text(&p[4], a.ua);
	return db_status_call(pool,
			      "SELECT auth_logout($1::bigint, $2::bigint, $3::bigint, "
			      "$4::inet, $5)",
			      5, p, NULL, cb, arg);
}

#define WHOAMI_SQL \
	"SELECT jsonb_build_object(" \
	"'user', jsonb_build_object('id', u.id, 'name', u.name) || CASE WHEN rc.username " \
	"IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('username', rc.username) END, " \
	"'organization', CASE WHEN o.id IS NOT NULL THEN jsonb_build_object('id', o.id, " \
	"'name', o.name, 'credit_code', o.credit_code) END, " \
	"'certificate', CASE WHEN c.id IS NOT NULL THEN jsonb_build_object('id', c.id, " \
	"'subject', c.subject, 'fingerprint', c.fingerprint) END)::text " \
	"FROM users u LEFT JOIN organizations o ON o.id = $2::bigint " \
	"LEFT JOIN certificates c ON c.id = $3::bigint " \
	"LEFT JOIN reviewer_credentials rc ON rc.user_id = u.id WHERE u.id = $1::bigint"

int
db_auth_whoami(struct db_pool *pool, int64_t user_id, int64_t organization_id,
	       int64_t certificate_id, db_json_fn cb, void *arg)
{
	char uid[24], oid[24], cid[24];
	struct db_param p[3];

	db_param_text(&p[0], db_i64_text(uid, sizeof(uid), user_id));
	db_param_text(&p[1], db_i64_text(oid, sizeof(oid), organization_id));
	db_param_text(&p[2], db_i64_text(cid, sizeof(cid), certificate_id));
	return db_json_call(pool, WHOAMI_SQL, 3, p, "no such user", cb, arg);
}

/* ---- reviewers --------------------------------------------------------------------------- */

static void
on_reviewer_credential(void *p, const PGresult *res, const struct sp_errinfo *err)
{
	struct db_reviewer_credential c;
	struct sp_errinfo ei;
	void (*fn)(void);
	void *arg = wait_take(p, &fn);
	db_reviewer_credential_fn cb = (db_reviewer_credential_fn)fn;

	if (err->code != SP_OK) {
		cb(arg, NULL, err);
		return;
	}
	sp_errinfo_init(&ei);
	if (PQntuples(res) != 1 || PQnfields(res) != 4) {
		db_shape_err(&ei, "reviewer_login_begin_named");
		cb(arg, NULL, &ei);
		return;
	}
	memset(&c, 0, sizeof(c));
	if (!PQgetisnull(res, 0, 0) && !PQgetisnull(res, 0, 1)) {
		c.user_id = db_col_i64(res, 0, 0);
		c.password_hash = PQgetvalue(res, 0, 1);
	}
	/* An unknown name is locked as an account is (052). */
	c.locked_s = PQgetisnull(res, 0, 2) ? 0 : (int)db_col_i64(res, 0, 2);
	c.address_wait_s = (int)db_col_i64(res, 0, 3);
	cb(arg, &c, &ei);
}

int
db_auth_reviewer_credential_get(struct db_pool *pool, const char *username, const char *ip,
				db_reviewer_credential_fn cb, void *arg)
{
	struct db_param p[2];

	if (username == NULL)
		return SP_ERR_INVALID;
	db_param_text(&p[0], username);
	db_param_text(&p[1], ip != NULL && ip[0] != '\0' ? ip : NULL);
	return send_wait(pool,
			 "SELECT user_id, password_hash, locked_s, address_wait_s "
			 "FROM reviewer_login_begin_named($1, $2::inet)",
			 2, p, (void (*)(void))cb, arg, on_reviewer_credential);
}

static void
on_reviewer_finish(void *p, const PGresult *res, const struct sp_errinfo *err)
{
	struct db_reviewer_result out;
	struct sp_errinfo ei;
	void (*fn)(void);
	void *arg = wait_take(p, &fn);
	db_reviewer_result_fn cb = (db_reviewer_result_fn)fn;
	const char *outcome;

	if (err->code != SP_OK) {
		cb(arg, NULL, err);
		return;
	}
	sp_errinfo_init(&ei);
	memset(&out, 0, sizeof(out));
	outcome = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	if (strcmp(outcome, "ok") == 0 && !PQgetisnull(res, 0, 2)) {
		out.outcome = DB_REVIEWER_OK;
		out.session_id = db_col_i64(res, 0, 1);
		out.expires_at = PQgetvalue(res, 0, 2);
	} else if (strcmp(outcome, "locked") == 0) {
		out.outcome = DB_REVIEWER_LOCKED;
		out.retry_after_s = (int)db_col_i64(res, 0, 3);
	} else if (strcmp(outcome, "throttled") == 0) {
		out.outcome = DB_REVIEWER_THROTTLED;
		out.retry_after_s = (int)db_col_i64(res, 0, 3);
	} else if (strcmp(outcome, "failed") == 0) {
		out.outcome = DB_REVIEWER_FAILED;
	} else {
		db_shape_err(&ei, "reviewer login");
		cb(arg, NULL, &ei);
		return;
	}
	cb(arg, &out, &ei);
}

int
db_auth_reviewer_login_finish(struct db_pool *pool, const struct db_reviewer_login *in,
			      const struct db_actor *actor, db_reviewer_result_fn cb, void *arg)
{
	char uid[24], ttl[16], maxf[16], lock[16], back[16], ipmax[16];
	struct db_actor_text a;
	struct db_param p[11];

	if (in == NULL || actor == NULL || in->username == NULL ||
	    (in->password_ok && in->token_hash == NULL) || (in->password_ok && in->user_id == 0))
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, actor);
	snprintf(ttl, sizeof(ttl), "%d", in->ttl_s);
	snprintf(maxf, sizeof(maxf), "%d", in->max_failures);
	snprintf(lock, sizeof(lock), "%d", in->lockout_s);
	snprintf(back, sizeof(back), "%d", in->backoff_s);
	snprintf(ipmax, sizeof(ipmax), "%d", in->ip_max_failures);
	db_param_text(&p[0], in->user_id != 0 ? db_i64_text(uid, sizeof(uid), in->user_id) : NULL);
	db_param_text(&p[1], in->password_ok ? "true" : "false");
	/* Only a matched password opens a session: no token hash otherwise. */
	db_param_text(&p[2], in->password_ok ? in->token_hash : NULL);
	db_param_text(&p[3], ttl);
	db_param_text(&p[4], maxf);
	db_param_text(&p[5], lock);
	db_param_text(&p[6], back);
	db_param_text(&p[7], ipmax);
	db_param_text(&p[8], a.ip);
	db_param_text(&p[9], a.ua);
	db_param_text(&p[10], in->username);
	return send_wait(pool,
			 "SELECT outcome, session_id, " TS(
				 "expires_at") ", retry_after_s "
					       "FROM reviewer_login_finish_named($11, $1::bigint, "
					       "$2::boolean, $3, $4::int, "
					       "$5::int, $6::int, $7::int, $8::int, $9::inet, $10)",
			 11, p, (void (*)(void))cb, arg, on_reviewer_finish);
}

/*
 * sql (one row, one integer) with params on its own connection to conninfo:
 * the operator's commands (`sealpactd admin`), blocking. fn names it in a
 * shape error.
 */
static int
admin_call(const char *conninfo, const char *sql, const char *const *params, int n, const char *fn,
	   int64_t *out, struct sp_errinfo *ei)
{
	PGconn *conn = PQconnectdb(conninfo);
	PGresult *res = NULL;
	int r = SP_ERR_INTERNAL;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		r = db_conn_err(ei, SP_ERR_UNAVAILABLE, "cannot connect to the database", conn);
		goto out;
	}
	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = db_result_err(ei, conn, res);
		goto out;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		r = db_shape_err(ei, fn);
		goto out;
	}
	*out = db_col_i64(res, 0, 0);
	r = SP_OK;
out:
	PQclear(res);
	PQfinish(conn);
	return r;
}

int
db_auth_reviewer_create(const char *conninfo, const char *username, const char *name,
			const char *password_hash, int64_t *user_id, struct sp_errinfo *ei)
{
	const char *params[3];

	if (user_id != NULL)
		*user_id = 0;
	if (conninfo == NULL || username == NULL || name == NULL || password_hash == NULL ||
	    user_id == NULL)
		return sp_err(ei, SP_ERR_INVALID, "db_auth_reviewer_create: missing argument");
	params[0] = username;
	params[1] = name;
	params[2] = password_hash;
	return admin_call(conninfo, "SELECT reviewer_create($1, $2, $3)", params, 3,
			  "reviewer_create", user_id, ei);
}

int
db_auth_reviewer_password_set(const char *conninfo, const char *username, const char *password_hash,
			      int64_t *revoked, struct sp_errinfo *ei)
{
	const char *params[2];

	if (revoked != NULL)
		*revoked = 0;
	if (conninfo == NULL || username == NULL || password_hash == NULL || revoked == NULL)
		return sp_err(ei, SP_ERR_INVALID,
			      "db_auth_reviewer_password_set: missing argument");
	params[0] = username;
	params[1] = password_hash;
	return admin_call(conninfo, "SELECT reviewer_password_set($1, $2)", params, 2,
			  "reviewer_password_set", revoked, ei);
}

/* ---- name keys of organizations registered before 054 ---------------------------------- */

/*
 * The keys of the organizations in next ([{"id", "name"}]) as the array the
 * backfill stores ([{"id", "name", "key", "key2"}]); *after: the last id.
 */
static json_t *
name_keys_of(const json_t *next, db_name_keys_fn keys, void *arg, int64_t *after,
	     struct db_name_keys_done *done)
{
	char key[1024], key2[1024]; /* API_NAME_KEY_MAX */
	json_t *out = json_array(), *e;
	size_t i;

	if (out == NULL)
		return NULL;
	json_array_foreach(next, i, e)
	{
		json_int_t id = json_integer_value(json_object_get(e, "id"));
		const char *name = json_string_value(json_object_get(e, "name"));

		*after = id;
		if (name == NULL || keys(name, key, key2, sizeof(key), arg) != 0) {
			done->unkeyed++;
			continue;
		}
		if (json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:s}", "id", id, "name",
							 name, "key", key, "key2", key2)) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

int
db_org_name_keys_backfill(const char *conninfo, int batch, db_name_keys_fn keys, void *arg,
			  struct db_name_keys_done *done, struct sp_errinfo *ei)
{
	PGconn *conn = NULL;
	PGresult *res = NULL;
	json_t *todo = NULL, *doc = NULL, *e;
	char *text = NULL, after_s[24], batch_s[16];
	const char *params[3];
	int64_t after = 0;
	size_t i;
	int r = SP_ERR_INTERNAL;

	if (done != NULL)
		memset(done, 0, sizeof(*done));
	if (conninfo == NULL || keys == NULL || done == NULL || batch < 1 || batch > 10000) {
		r = sp_err(ei, SP_ERR_INVALID, "db_org_name_keys_backfill: bad argument");
		goto out;
	}
	conn = PQconnectdb(conninfo);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		r = db_conn_err(ei, SP_ERR_UNAVAILABLE, "cannot connect to the database", conn);
		goto out;
	}
	/* a schema before 064 (migrations applied up to an older one) has nothing to key */
	res = PQexec(conn, "SELECT to_regprocedure('org_name_keys_backfill(jsonb,bigint,integer)') "
			   "IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = db_result_err(ei, conn, res);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		r = SP_OK;
		goto out;
	}
	todo = json_array();
	snprintf(batch_s, sizeof(batch_s), "%d", batch);
	for (;;) {
		const json_t *next;

		free(text); /* and NULL: a batch whose keys could not be made frees it at out */
		text = NULL;
		if (todo == NULL || (text = json_dumps(todo, JSON_COMPACT)) == NULL) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		params[0] = text;
		params[1] = db_i64_text(after_s, sizeof(after_s), after);
		params[2] = batch_s;
		PQclear(res);
		res = PQexecParams(conn,
				   "SELECT org_name_keys_backfill($1::jsonb, $2::bigint, "
				   "$3::integer)::text",
				   3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			r = db_result_err(ei, conn, res);
			goto out;
		}
		json_decref(doc);
		doc = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
		if (doc == NULL || !json_is_array(next = json_object_get(doc, "next"))) {
			r = db_shape_err(ei, "org_name_keys_backfill");
			goto out;
		}
		done->keyed += json_integer_value(json_object_get(doc, "keyed"));
		json_array_foreach(json_object_get(doc, "alike"), i, e)
		{
			if (done->alike < (long)(sizeof(done->ids) / sizeof(done->ids[0])))
				done->ids[done->alike] = json_integer_value(e);
			done->alike++;
		}
		json_decref(todo);
		todo = NULL;
		/* the last batch's keys stored, nothing more to read */
		if (json_array_size(next) == 0)
			break;
		todo = name_keys_of(next, keys, arg, &after, done);
	}
	r = SP_OK;
out:
	free(text);
	json_decref(todo);
	json_decref(doc);
	PQclear(res);
	PQfinish(conn);
	return r;
}

/* ---- API keys -------------------------------------------------------------------------- */

int
db_api_key_create(struct db_pool *pool, const struct db_actor *actor, const char *name,
		  const char *prefix, const char *key_hash, int64_t expires_at, int max_per_day,
		  db_json_fn cb, void *arg)
{
	struct db_actor_text a;
	struct db_param p[9];
	char exp[24], md[16];

	if (actor == NULL || name == NULL || prefix == NULL || key_hash == NULL || max_per_day < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, actor);
	db_param_text(&p[0], a.org);
	db_param_text(&p[1], a.user);
	db_param_text(&p[2], name);
	db_param_text(&p[3], prefix);
	db_param_text(&p[4], key_hash);
	db_param_text(&p[5], a.ip);
	db_param_text(&p[6], a.ua);
	db_param_text(&p[7], expires_at > 0 ? db_i64_text(exp, sizeof(exp), expires_at) : NULL);
	db_param_text(&p[8], db_i64_text(md, sizeof(md), max_per_day));
	return db_json_call(
		pool,
		"SELECT jsonb_build_object('id', id, 'name', $3::text, 'prefix', "
		"$4::text, 'created_at', " TS("created_at") ", 'expires_at', " TS(
			"to_timestamp($8::bigint)") ")::text "
						    "FROM api_key_create_capped("
						    "$1::bigint, $2::bigint, $3, $4, $5, "
						    "$6::inet, $7, to_timestamp($8::bigint), "
						    "$9::integer)",
		9, p, NULL, cb, arg);
}

#define API_KEY_LIST_SQL \
	"SELECT jsonb_build_object('items', coalesce((SELECT jsonb_agg(jsonb_build_object(" \
	"'id', k.id, 'name', k.name, 'prefix', k.prefix, 'created_by', k.created_by, " \
	"'created_at', " TS("k.created_at") ", 'last_used_at', " TS( \
		"k.last_used_at") ", " \
				  "'revoked_at', " TS("k.revoked_at") ", 'expires_at', " TS( \
					  "k.expires_at") ") ORDER BY k.created_at DESC, k.id " \
							  "DESC) " \
							  "FROM (SELECT * FROM api_keys WHERE " \
							  "organization_id = $1::bigint " \
							  "ORDER BY created_at DESC, id DESC " \
							  "LIMIT $2::int OFFSET $3::bigint) k), " \
							  "'[]'::jsonb), " \
							  "'total', (SELECT count(*) FROM " \
							  "api_keys WHERE organization_id = " \
							  "$1::bigint))::text"

int
db_api_key_list(struct db_pool *pool, int64_t organization_id, long limit, long offset,
		db_json_fn cb, void *arg)
{
	char org[24], lim[24], off[24];
	struct db_param p[3];

	if (limit < 1 || offset < 0)
		return SP_ERR_INVALID;
	snprintf(lim, sizeof(lim), "%ld", limit);
	snprintf(off, sizeof(off), "%ld", offset);
	db_param_text(&p[0], db_i64_text(org, sizeof(org), organization_id));
	db_param_text(&p[1], lim);
	db_param_text(&p[2], off);
	return db_json_call(pool, API_KEY_LIST_SQL, 3, p, NULL, cb, arg);
}

int
db_api_key_revoke(struct db_pool *pool, const struct db_actor *actor, int64_t key_id,
		  db_status_fn cb, void *arg)
{
	struct db_actor_text a;
	struct db_param p[5];
	char id[24];

	if (actor == NULL)
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, actor);
	db_param_text(&p[0], a.org);
	db_param_text(&p[1], a.user);
	db_param_text(&p[2], db_i64_text(id, sizeof(id), key_id));
	db_param_text(&p[3], a.ip);
	db_param_text(&p[4], a.ua);
	return db_status_call(pool,
			      "SELECT api_key_revoke($1::bigint, $2::bigint, $3::bigint, "
			      "$4::inet, $5)",
			      5, p, "No such active API key.", cb, arg);
}
