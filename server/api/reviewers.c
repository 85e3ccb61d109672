/*
 * reviewers.c: password login of platform reviewers.
 *
 *   POST /api/v1/auth/reviewer-login {"username","password"} -> {"token","expires_at","user"}
 *
 * Three steps: fetch the credential and the throttles (refuse at once while
 * the account, or the unknown name, is locked), check the password with
 * scrypt on the worker pool, then ONE SQL call records the outcome under the
 * credential's row lock (failure count, lockout, the address's failure, or a
 * new session), each with an audit event carrying the caller's address and
 * User-Agent. An unknown username costs the same scrypt as a known one, is
 * counted and locked as an account is (migrations/052), and gets every
 * answer a real account with a wrong password gets, so neither the answer
 * nor its time reveals which names exist.
 *
 * The throttles live in PostgreSQL (migrations/007_hardening.sql), so every
 * server process agrees: an account is locked with a doubling backoff after
 * auth.login_max_failures wrong passwords; an address is slowed down the
 * same way after auth.ip_max_failures failures of any kind, which answers
 * wrong passwords and unknown usernames from it 429 but never locks an
 * account nor refuses a correct password: a reviewer behind the same NAT as
 * a guesser still logs in.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "db.h"
#include "state.h"

/* A well-formed hash nobody's password matches: unknown users cost the same. */
static const char dummy_hash[] = "scrypt$32768$8$1$c2VhbHBhY3QtZHVtbXktc2FsdA==$"
				 "ZHVtbXktaGFzaC10aGF0LW5ldmVyLW1hdGNoZXMtISE=";

struct rlogin {
	struct request *r;
	const struct config *cfg;
	char username[65];
	char password[AUTH_PASSWORD_MAX + 1];
	char *stored; /* the credential's hash, or NULL for an unknown user */
	int64_t user_id;
	int ok; /* the password matched */
	char token[AUTH_TOKEN_LEN + 1], token_hash[65];
};

static void
rlogin_free(struct rlogin *l)
{
	if (l == NULL)
		return;
	sp_wipe(l->password, sizeof(l->password));
	sp_wipe(l->token, sizeof(l->token));
	free(l->stored);
	free(l);
}

static void
reply_locked(struct request *r, int seconds)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", seconds);
	request_header_add(r, "Retry-After", s);
	request_problem(r, P_LOGIN_LOCKED,
			"Too many failed logins: this account is locked for a while.");
}

static void
reply_bad_credentials(struct request *r)
{
	request_problem(r, P_INVALID_CREDENTIALS, "Wrong username or password.");
}

/* The address is blocked: unknown usernames and wrong passwords get this. */
static void
reply_address_blocked(struct request *r, int seconds)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", seconds > 0 ? seconds : 1);
	request_header_add(r, "Retry-After", s);
	request_problem(r, P_RATE_LIMITED,
			"Too many failed logins from this address; try again later.");
}

static void
on_finish(void *arg, const struct db_reviewer_result *res, const struct sp_errinfo *err)
{
	struct rlogin *l = arg;

	if (err->code != SP_OK) {
		request_reply_error(l->r, err->code, err);
		goto out;
	}
	if (res->outcome == DB_REVIEWER_OK)
		request_reply_json(l->r, 200,
				   json_pack("{s:s,s:s,s:{s:I,s:s,s:s}}", "token", l->token,
					     "expires_at", res->expires_at, "user", "id",
					     (json_int_t)l->user_id, "kind", "reviewer", "username",
					     l->username));
	else if (res->outcome == DB_REVIEWER_LOCKED)
		reply_locked(l->r, res->retry_after_s);
	else if (res->outcome == DB_REVIEWER_THROTTLED)
		reply_address_blocked(l->r, res->retry_after_s);
	else
		reply_bad_credentials(l->r);
out:
	rlogin_free(l);
}

static int
check_work(void *arg, struct sp_errinfo *ei)
{
	struct rlogin *l = arg;
	int rc;

	(void)ei;
	rc = auth_password_verify(l->password, l->stored ? l->stored : dummy_hash, NULL);
	sp_wipe(l->password, sizeof(l->password));
	l->ok = l->stored != NULL && rc == SP_OK;
	if (!l->ok)
		return SP_OK;
	if (auth_token_new(l->token) != SP_OK || auth_token_hash(l->token, l->token_hash) != SP_OK)
		return SP_ERR_CRYPTO;
	return SP_OK;
}

static void
check_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct rlogin *l = arg;
	struct db_reviewer_login in;
	struct db_actor actor;

	if (rc != SP_OK) {
		request_reply_error(l->r, rc, ei);
		rlogin_free(l);
		return;
	}
	/* An unknown username is recorded too: it counts against the address. */
	memset(&in, 0, sizeof(in));
	in.username = l->username;
	in.user_id = l->stored != NULL ? l->user_id : 0;
	in.password_ok = l->ok;
	in.token_hash = l->ok ? l->token_hash : NULL;
	in.ttl_s = l->cfg->auth.session_ttl_s;
	in.max_failures = l->cfg->auth.login_max_failures;
	in.lockout_s = l->cfg->auth.login_lockout_s;
	in.backoff_s = l->cfg->auth.login_backoff_s;
	in.ip_max_failures = l->cfg->auth.ip_max_failures;
	auth_actor(l->r, NULL, &actor);
	if ((rc = db_auth_reviewer_login_finish(request_db(l->r), &in, &actor, on_finish, l)) !=
	    SP_OK) {
		request_reply_error(l->r, rc, NULL);
		rlogin_free(l);
	}
}

static void
on_credential(void *arg, const struct db_reviewer_credential *c, const struct sp_errinfo *err)
{
	struct rlogin *l = arg;
	int rc;

	if (err->code != SP_OK) {
		request_reply_error(l->r, err->code, err);
		rlogin_free(l);
		return;
	}
	/* A locked account, or an unknown name locked the same way (052). */
	if (c->locked_s > 0) {
		reply_locked(l->r, c->locked_s);
		rlogin_free(l);
		return;
	}
	/*
	 * An unknown username goes on to the same scrypt as a known one, also
	 * from a blocked address: refused before hashing, it was told from a
	 * real account (whose correct password must still work) by the time of
	 * the answer. The finish step answers both the same 429.
	 */
	if (c->user_id != 0) {
		l->user_id = c->user_id;
		if ((l->stored = strdup(c->password_hash)) == NULL) {
			request_reply_error(l->r, SP_ERR_NOMEM, NULL);
			rlogin_free(l);
			return;
		}
	}
	if ((rc = request_jobs_submit(l->r, check_work, check_done, l)) != SP_OK) {
		request_reply_error(l->r, rc, NULL);
		rlogin_free(l);
	}
}

void
reviewers_login_post(struct request *r)
{
	struct rlogin *l = NULL;
	json_t *doc = NULL, *u, *pw;
	size_t ulen, plen;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	u = json_object_get(doc, "username");
	pw = json_object_get(doc, "password");
	if (!json_is_object(doc) || json_object_size(doc) != 2 || !json_is_string(u) ||
	    !json_is_string(pw)) {
		request_problem(r, P_INVALID,
				"the body must be {\"username\": string, \"password\": string}");
		goto out;
	}
	ulen = strlen(json_string_value(u));
	plen = strlen(json_string_value(pw));
	if (ulen == 0 || ulen > 64 || plen == 0 || plen > AUTH_PASSWORD_MAX) {
		request_problem(r, P_INVALID, "username must be 1-64 and password 1-1024 bytes");
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		goto out;
	}
	l->r = r;
	l->cfg = request_config(r);
	memcpy(l->username, json_string_value(u), ulen + 1);
	memcpy(l->password, json_string_value(pw), plen + 1);
	if ((rc = db_auth_reviewer_credential_get(request_db(r), l->username, request_remote(r),
						  on_credential, l)) != SP_OK) {
		request_reply_error(r, rc, NULL);
		goto out;
	}
	l = NULL; /* transferred */
out:
	rlogin_free(l);
	/* The parsed copy of the password is ours to wipe. */
	if ((pw = json_object_get(doc, "password")) != NULL && json_is_string(pw))
		sp_wipe((char *)json_string_value(pw), json_string_length(pw));
	json_decref(doc);
}
