/*
 * reviewers.c: password login of platform reviewers.
 *
 *   POST /api/v1/auth/reviewer-login {"username","password"} -> {"token","expires_at","user"}
 *
 * Three steps: fetch the credential (refuse at once while locked out), check
 * the password with scrypt on the worker pool, then ONE SQL call records the
 * outcome under the credential's row lock (failure count, lockout, or a new
 * session). An unknown username costs the same scrypt as a known one, and
 * both answer the same 401, so the answer does not reveal which names exist.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "config.h"
#include "db.h"
#include "state.h"

/* A well-formed hash nobody's password matches: unknown users cost the same. */
static const char dummy_hash[] =
	"scrypt$32768$8$1$c2VhbHBhY3QtZHVtbXktc2FsdA==$"
	"ZHVtbXktaGFzaC10aGF0LW5ldmVyLW1hdGNoZXMtISE=";

struct rlogin {
	struct request *r;
	const struct config *cfg;
	/*
	 * The process's failures per client address (request_login_limiter(),
	 * outlives r): within auth.login_lockout_s they count against
	 * auth.ip_max_failures whatever the username, so one address cannot walk
	 * through many accounts below each account's own lockout.
	 */
	struct ip_limiter *iplim;
	char ip[64];
	char username[65];
	char password[AUTH_PASSWORD_MAX + 1];
	char *stored;             /* the credential's hash, or NULL for an unknown user */
	char user_id[24];
	int ok;                   /* the password matched */
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
reply_locked(struct request *r, const char *seconds)
{
	request_header_add(r, "Retry-After", seconds);
	request_problem(r, P_LOGIN_LOCKED,
			      "Too many failed logins: this account is locked for a while.");
}

static void
reply_bad_credentials(struct request *r)
{
	request_problem(r, P_INVALID_CREDENTIALS, "Wrong username or password.");
}

static void
on_finish(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct rlogin *l = arg;
	const char *outcome;

	if (err->code != SP_OK || res == NULL || PQntuples(res) != 1) {
		request_problem(l->r, P_DATABASE_UNAVAILABLE, "Try again.");
		goto out;
	}
	outcome = PQgetvalue(res, 0, 0);
	if (strcmp(outcome, "ok") == 0)
		request_reply_json(l->r, 200, json_pack("{s:s,s:s,s:{s:I,s:s,s:s}}",
			"token", l->token, "expires_at", PQgetvalue(res, 0, 2),
			"user", "id", (json_int_t)strtoll(l->user_id, NULL, 10),
			"kind", "reviewer", "username", l->username));
	else if (strcmp(outcome, "locked") == 0)
		reply_locked(l->r, PQgetvalue(res, 0, 3));
	else
		reply_bad_credentials(l->r);
	if (!l->ok)
		ip_limiter_count(l->iplim, l->ip);
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

#define FINISH_SQL \
	"SELECT outcome, session_id, to_char(expires_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), retry_after_s " \
	"FROM reviewer_login_finish($1, $2, $3, $4::int, $5::int, $6::int, NULLIF($7, '')::inet)"

static void
check_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct rlogin *l = arg;
	char ttl[16], maxf[16], lock[16];
	struct db_param p[7];

	if (rc != SP_OK) {
		request_reply_error(l->r, rc, ei);
		rlogin_free(l);
		return;
	}
	if (l->stored == NULL) {
		ip_limiter_count(l->iplim, l->ip);
		reply_bad_credentials(l->r);
		rlogin_free(l);
		return;
	}
	snprintf(ttl, sizeof(ttl), "%d", l->cfg->auth.session_ttl_s);
	snprintf(maxf, sizeof(maxf), "%d", l->cfg->auth.login_max_failures);
	snprintf(lock, sizeof(lock), "%d", l->cfg->auth.login_lockout_s);
	memset(p, 0, sizeof(p));
	p[0].value = l->user_id;
	p[1].value = l->ok ? "true" : "false";
	/* A failed check still needs a well-formed hash parameter; it is not stored. */
	p[2].value = l->ok ? l->token_hash : NULL;
	p[3].value = ttl;
	p[4].value = maxf;
	p[5].value = lock;
	p[6].value = l->ip;
	if (db_query_send(request_db(l->r), FINISH_SQL, 7, p, 0, 0, on_finish, l) != SP_OK) {
		request_problem(l->r, P_DATABASE_UNAVAILABLE, "Try again.");
		rlogin_free(l);
	}
}

static void
on_credential(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct rlogin *l = arg;
	int rc;

	if (err->code != SP_OK || res == NULL) {
		request_problem(l->r, P_DATABASE_UNAVAILABLE, "Try again.");
		rlogin_free(l);
		return;
	}
	if (PQntuples(res) == 1) {
		if (!PQgetisnull(res, 0, 2)) {
			reply_locked(l->r, PQgetvalue(res, 0, 2));
			rlogin_free(l);
			return;
		}
		snprintf(l->user_id, sizeof(l->user_id), "%s", PQgetvalue(res, 0, 0));
		if ((l->stored = strdup(PQgetvalue(res, 0, 1))) == NULL) {
			request_reply_error(l->r, SP_ERR_NOMEM, NULL);
			rlogin_free(l);
			return;
		}
	}
	if ((rc = jobs_submit(request_jobs(l->r), check_work, check_done, l)) != SP_OK) {
		request_reply_error(l->r, rc, NULL);
		rlogin_free(l);
	}
}

static void
reviewer_login_post(struct request *r)
{
	struct rlogin *l = NULL;
	json_t *doc = NULL, *u, *pw;
	struct db_param p;
	size_t ulen, plen;
	char wait[24];
	uint64_t w;

	/* Before parsing anything: a blocked address costs us nothing more. */
	if ((w = ip_limiter_wait_ms(request_login_limiter(r), request_remote(r))) > 0) {
		snprintf(wait, sizeof(wait), "%llu", (unsigned long long)((w + 999) / 1000));
		request_header_add(r, "Retry-After", wait);
		request_problem(r, P_RATE_LIMITED,
				      "Too many failed logins from this address; try again later.");
		return;
	}
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
		request_problem(r, P_INVALID,
				      "username must be 1-64 and password 1-1024 bytes");
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		goto out;
	}
	l->r = r;
	l->cfg = request_config(r);
	l->iplim = request_login_limiter(r);
	snprintf(l->ip, sizeof(l->ip), "%s", request_remote(r));
	memcpy(l->username, json_string_value(u), ulen + 1);
	memcpy(l->password, json_string_value(pw), plen + 1);
	memset(&p, 0, sizeof(p));
	p.value = l->username;
	if (db_query_send(request_db(r),
			  "SELECT user_id, password_hash, CASE WHEN locked_until > now() THEN "
			  "greatest(1, ceil(extract(epoch FROM locked_until - now())))::int END "
			  "FROM reviewer_credentials WHERE username = $1",
			  1, &p, 0, 0, on_credential, l) != SP_OK) {
		request_problem(r, P_DATABASE_UNAVAILABLE, "Try again.");
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

int
routes_reviewer_register(struct router *rt, struct sp_errinfo *ei)
{
	return router_route_add(rt, HTTP_POST, "/api/v1/auth/reviewer-login", reviewer_login_post,
				0, ei);
}
