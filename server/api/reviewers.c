/*
 * reviewers.c: password login of platform reviewers.
 *
 *   POST /api/v1/auth/reviewer-login {"username","password"} -> {"token","expires_at","user"}
 *
 * Three steps: fetch the credential (refuse at once while locked out), check
 * the password with scrypt on the worker pool, then ONE SQL call records the
 * outcome under the credential's row lock (failure count, lockout, or a new
 * session), each with an audit event carrying the caller's address and
 * User-Agent. An unknown username costs the same scrypt as a known one, and
 * both answer the same 401, so the answer does not reveal which names exist.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_int.h"
#include "config.h"
#include "db.h"

/* A well-formed hash nobody's password matches: unknown users cost the same. */
static const char dummy_hash[] =
	"scrypt$32768$8$1$c2VhbHBhY3QtZHVtbXktc2FsdA==$"
	"ZHVtbXktaGFzaC10aGF0LW5ldmVyLW1hdGNoZXMtISE=";

/*
 * Per client IP: failed password logins within a window of
 * auth.login_lockout_s, whatever the username, so one address cannot walk
 * through many accounts below each account's own lockout. A small table per
 * process (the loop thread uses it; the mutex keeps tests with several loops
 * honest); when full, the oldest window in the probe run is replaced.
 */
#define IPLIM_SLOTS 1024
#define IPLIM_PROBES 8

struct iplim_entry {
	char ip[64];
	uint64_t start_ms;
	int failures;
};

static struct iplim_entry iplim[IPLIM_SLOTS];
static pthread_mutex_t iplim_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t
ip_hash(const char *ip)
{
	uint32_t h = 2166136261u;

	for (; *ip != '\0'; ip++)
		h = (h ^ (unsigned char)*ip) * 16777619u;
	return h % IPLIM_SLOTS;
}

/* The entry of ip (reset when its window is over), or NULL for ip "". */
static struct iplim_entry *
iplim_find(const char *ip, uint64_t window_ms, uint64_t now)
{
	struct iplim_entry *e, *victim = NULL;
	size_t i, h;

	if (ip[0] == '\0')
		return NULL;
	h = ip_hash(ip);
	for (i = 0; i < IPLIM_PROBES; i++) {
		e = &iplim[(h + i) % IPLIM_SLOTS];
		if (strcmp(e->ip, ip) == 0) {
			victim = e;
			break;
		}
		if (victim == NULL || e->start_ms < victim->start_ms)
			victim = e;
	}
	if (strcmp(victim->ip, ip) != 0 || now - victim->start_ms >= window_ms) {
		snprintf(victim->ip, sizeof(victim->ip), "%s", ip);
		victim->start_ms = now;
		victim->failures = 0;
	}
	return victim;
}

/* Seconds until ip may try again, 0 when it may now. */
static int
iplim_blocked(const struct config *cfg, const char *ip)
{
	uint64_t window = (uint64_t)cfg->auth.login_lockout_s * 1000, now = mono_ms();
	struct iplim_entry *e;
	int wait = 0;

	if (cfg->auth.ip_max_failures == 0)
		return 0;
	pthread_mutex_lock(&iplim_lock);
	e = iplim_find(ip, window, now);
	if (e != NULL && e->failures >= cfg->auth.ip_max_failures)
		wait = (int)((window - (now - e->start_ms) + 999) / 1000);
	pthread_mutex_unlock(&iplim_lock);
	return wait > 0 ? wait : 0;
}

static void
iplim_fail(const struct config *cfg, const char *ip)
{
	struct iplim_entry *e;

	if (cfg->auth.ip_max_failures == 0)
		return;
	pthread_mutex_lock(&iplim_lock);
	e = iplim_find(ip, (uint64_t)cfg->auth.login_lockout_s * 1000, mono_ms());
	if (e != NULL)
		e->failures++;
	pthread_mutex_unlock(&iplim_lock);
}

struct rlogin {
	struct request *r;
	const struct config *cfg;
	char ip[64];
	char username[65];
	char password[AUTH_PASSWORD_MAX + 1];
	char *stored;             /* the credential's hash, or NULL for an unknown user */
	int64_t user_id;
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

static void
on_finish(void *arg, const struct db_reviewer_result *res, const struct sp_errinfo *err)
{
	struct rlogin *l = arg;

	if (err->code != SP_OK) {
		request_reply_error(l->r, err->code, err);
		goto out;
	}
	if (res->outcome == DB_REVIEWER_OK)
		request_reply_json(l->r, 200, json_pack("{s:s,s:s,s:{s:I,s:s,s:s}}",
			"token", l->token, "expires_at", res->expires_at,
			"user", "id", (json_int_t)l->user_id,
			"kind", "reviewer", "username", l->username));
	else if (res->outcome == DB_REVIEWER_LOCKED)
		reply_locked(l->r, res->retry_after_s);
	else
		reply_bad_credentials(l->r);
	if (!l->ok)
		iplim_fail(l->cfg, l->ip);
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
	if (l->stored == NULL) {
		iplim_fail(l->cfg, l->ip);
		reply_bad_credentials(l->r);
		rlogin_free(l);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.user_id = l->user_id;
	in.password_ok = l->ok;
	in.token_hash = l->ok ? l->token_hash : NULL;
	in.ttl_s = l->cfg->auth.session_ttl_s;
	in.max_failures = l->cfg->auth.login_max_failures;
	in.lockout_s = l->cfg->auth.login_lockout_s;
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

	/* An unknown username goes on to the same scrypt as a known one. */
	if (err->code != SP_OK && err->code != SP_ERR_NOT_FOUND) {
		request_reply_error(l->r, err->code, err);
		rlogin_free(l);
		return;
	}
	if (c != NULL) {
		if (c->locked_s > 0) {
			reply_locked(l->r, c->locked_s);
			rlogin_free(l);
			return;
		}
		l->user_id = c->user_id;
		if ((l->stored = strdup(c->password_hash)) == NULL) {
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
	size_t ulen, plen;
	char wait[16];
	int w, rc;

	/* Before parsing anything: a blocked address costs us nothing more. */
	if ((w = iplim_blocked(request_config(r), request_remote(r))) > 0) {
		snprintf(wait, sizeof(wait), "%d", w);
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
		request_problem(r, P_INVALID, "username must be 1-64 and password 1-1024 bytes");
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		goto out;
	}
	l->r = r;
	l->cfg = request_config(r);
	snprintf(l->ip, sizeof(l->ip), "%s", request_remote(r));
	memcpy(l->username, json_string_value(u), ulen + 1);
	memcpy(l->password, json_string_value(pw), plen + 1);
	if ((rc = db_auth_reviewer_credential_get(request_db(r), l->username, on_credential, l)) !=
	    SP_OK) {
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

int
routes_reviewer_register(struct router *rt, struct sp_errinfo *ei)
{
	return router_route_add(rt, HTTP_POST, "/api/v1/auth/reviewer-login", reviewer_login_post,
				0, ei);
}
