/*
 * auth.c: login with the key on a USB token.
 *
 *   POST /api/v1/auth/challenge  -> {"challenge": base64 of 32 bytes, "expires_at"}
 *   POST /api/v1/auth/login      {"certificate","chain"?,"challenge","signature","algorithm"?}
 *                                -> {"token","expires_at","organization","user","certificate"}
 *   POST /api/v1/auth/logout     revokes the caller's session
 *   GET  /api/v1/auth/whoami     who the bearer credential is
 *
 * A challenge is made by the database and kept nowhere until a login answers
 * it (049). The login checks run on the worker pool (an OCSP exchange
 * blocks), then ONE SQL call (db_auth_member_login) consumes the challenge
 * and creates organization, user, certificate and session together, with an
 * audit event carrying the caller's address and User-Agent; any refusal
 * creates nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "crypto.h"
#include "state.h"
#include "db.h"
#include "http_int.h"

#define CHALLENGE_BYTES 32
#define CERT_MAX 65536
#define CHAIN_MAX 8

/* ---- challenge -------------------------------------------------------------- */

static void
on_challenge(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_json(r, 200, doc);
}

/*
 * The database makes the challenge and keeps nothing of it (049): one client
 * asking for many uses up nothing another's login needs, and no per-address
 * limit throttles everyone behind one proxy.
 */
void
auth_challenge_post(struct request *r)
{
	int rc = db_auth_challenge_issue(request_db(r), request_config(r)->auth.challenge_ttl_s,
					 on_challenge, r);

	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

/* ---- login --------------------------------------------------------------------- */

struct login_job {
	struct request *r;
	const struct config *cfg;
	struct crypto_trust *trust; /* the process's (NULL: none); outlives the job */
	/* inputs (decoded) */
	unsigned char *cert_der, *sig;
	size_t cert_len, sig_len;
	unsigned char *chain_der[CHAIN_MAX];
	size_t chain_len[CHAIN_MAX], nchain;
	unsigned char challenge[CHALLENGE_BYTES];
	char alg_name[64];
	/* outputs (SQL parameters) */
	unsigned char *der;
	int der_len;
	char challenge_hex[65], credit_code[19], org[256], user[256], subject[512], issuer[512];
	char org_key[API_NAME_KEY_MAX]; /* the organization's name as compared (names.c) */
	char org_key2[API_NAME_KEY_MAX];
	char serial[82];
	int64_t not_before, not_after;
	long ttl_s; /* the session's: never past the certificate's notAfter */
	char token[AUTH_TOKEN_LEN + 1], token_hash[65];
	/* the failure, for done() */
	int refused; /* 1: answer problem with why (reason and message) */
	enum problem problem;
	struct sp_errinfo why;
};

static void
login_job_free(struct login_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	free(j->cert_der);
	free(j->sig);
	for (i = 0; i < j->nchain; i++)
		free(j->chain_der[i]);
	OPENSSL_free(j->der);
	sp_wipe(j->token, sizeof(j->token));
	free(j);
}

static int
refuse(struct login_job *j, enum problem p, const char *code, const char *detail)
{
	j->refused = 1;
	j->problem = p;
	sp_errinfo_init(&j->why);
	sp_err_reason(&j->why, SP_ERR_UNAUTHORIZED, code, "%s", detail);
	return SP_ERR_UNAUTHORIZED;
}

/* Map a crypto_cert_check failure onto the answer: each reason its own code. */
static int
refuse_cert(struct login_job *j, int rc, const struct sp_errinfo *ei)
{
	const char *code = ei->reason[0] != '\0' ? ei->reason : "certificate_refused";
	enum problem p = P_UNAUTHORIZED;

	if (rc == SP_ERR_UNAVAILABLE || strcmp(code, CRYPTO_REASON_REVOCATION_UNKNOWN) == 0)
		p = P_UNAVAILABLE;
	else if (strcmp(code, CRYPTO_REASON_MALFORMED_CERT) == 0)
		p = P_INVALID;
	return refuse(j, p, code, ei->msg[0] != '\0' ? ei->msg : "certificate refused");
}

static int
login_work(void *arg, struct sp_errinfo *ei)
{
	struct login_job *j = arg;
	struct crypto_cert_result res;
	struct crypto_trust *trust = NULL;
	struct sp_errinfo e2;
	enum crypto_sigalg alg = CRYPTO_SIGALG_NONE;
	STACK_OF(X509) *extra = NULL;
	X509 *leaf = NULL, *x = NULL;
	char user_key[API_NAME_KEY_MAX], user_key2[API_NAME_KEY_MAX];
	size_t i;
	int r = SP_ERR_INTERNAL, rc;

	memset(&res, 0, sizeof(res));
	sp_errinfo_init(&e2);
	/* decoded through the trust's cache: the member's prepares and completions find it
	   there instead of decoding it again (its public key's decoding is the costly part) */
	if (crypto_trust_cert_parse(j->trust, j->cert_der, j->cert_len, &leaf, &e2) != SP_OK) {
		r = refuse(j, P_INVALID, CRYPTO_REASON_MALFORMED_CERT,
			   "certificate is not a DER X.509 certificate");
		goto out;
	}
	/* For the log of a refusal; the checked values replace it on success. */
	sp_errinfo_init(&e2);
	if (crypto_cert_info_get(leaf, &res.info, &e2) == SP_OK)
		snprintf(j->subject, sizeof(j->subject), "%s", res.info.subject);
	memset(&res, 0, sizeof(res));
	if ((extra = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 0; i < j->nchain; i++) {
		sp_errinfo_init(&e2);
		if (crypto_trust_cert_parse(j->trust, j->chain_der[i], j->chain_len[i], &x, &e2) !=
		    SP_OK) {
			r = refuse(j, P_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				   "an element of chain is not a DER X.509 certificate");
			goto out;
		}
		if (!sk_X509_push(extra, x))
			goto out;
		x = NULL; /* transferred */
	}
	/* The signature first: cheap, and it keeps OCSP traffic away from garbage. */
	sp_errinfo_init(&e2);
	if (crypto_sigalg_for_cert(leaf, &alg, &e2) != SP_OK) {
		r = refuse(j, P_UNAUTHORIZED, "unsupported_key", e2.msg);
		goto out;
	}
	if (j->alg_name[0] != '\0' && crypto_sigalg_from_name(j->alg_name) != alg) {
		r = refuse(j, P_INVALID, "alg_mismatch",
			   "algorithm does not fit the certificate's key");
		goto out;
	}
	sp_errinfo_init(&e2);
	if (crypto_sig_verify(leaf, alg, j->challenge, sizeof(j->challenge), j->sig, j->sig_len,
			      &e2) != SP_OK) {
		r = refuse(j, P_UNAUTHORIZED, "bad_signature",
			   "the signature over the challenge does not verify with this "
			   "certificate");
		goto out;
	}
	sp_errinfo_init(&e2);
	trust = j->trust;
	if (trust_store_need(trust, &e2) != SP_OK) {
		/* The operator's problem, not the caller's: say so in the log. */
		log_event(LOG_ERROR, NULL, "trust store unusable", "{s:s}", "detail", e2.msg);
		r = refuse(j, P_UNAVAILABLE, "trust_not_configured",
			   "This server cannot check certificates right now.");
		goto out;
	}
	sp_errinfo_init(&e2);
	if ((rc = auth_cert_check(trust, leaf, extra, &res, &e2)) != SP_OK) {
		r = refuse_cert(j, rc, &e2);
		goto out;
	}
	if (res.info.org[0] == '\0') {
		r = refuse(j, P_UNAUTHORIZED, "missing_organization",
			   "the certificate's subject has no O name");
		goto out;
	}
	/* the organization's and the user's names wherever they are shown: text as the API
	   takes it (a right-to-left override would show "Acme\u202egnp.exe" reversed; a
	   zero-width space, "Acme\u200bLtd", looks like another organization's "AcmeLtd") */
	if (!api_text_visible(res.info.org, strlen(res.info.org)) ||
	    !api_text_visible(res.info.cn, strlen(res.info.cn))) {
		r = refuse(j, P_INVALID, CRYPTO_REASON_MALFORMED_CERT,
			   "the certificate's subject O or CN holds control, bidirectional "
			   "formatting or invisible characters");
		goto out;
	}
	sp_errinfo_init(&e2);
	if (res.info.org_id[0] == '\0' || crypto_credit_code_check(res.info.org_id, &e2) != SP_OK) {
		r = refuse(j, P_UNAUTHORIZED, CRYPTO_REASON_CREDIT_CODE,
			   res.info.org_id[0] == '\0'
				   ? "the certificate's subject has no organizationIdentifier"
				   : e2.msg);
		goto out;
	}
	if (strlen(res.info.serial_hex) > 64) {
		r = refuse(j, P_INVALID, "malformed_certificate", "serial number too long");
		goto out;
	}
	/* crypto_credit_code_check() accepted exactly 18 characters. */
	memcpy(j->credit_code, res.info.org_id, 18);
	j->credit_code[18] = '\0';
	/* stored in NFC; the organization's compared by its key (names.c), the user's key
	   is not kept (a user is only ever shown beside its organization) */
	if (api_name_forms(res.info.org, j->org, sizeof(j->org), j->org_key, j->org_key2,
			   sizeof(j->org_key)) != SP_OK ||
	    api_name_forms(res.info.cn[0] != '\0' ? res.info.cn : res.info.org, j->user,
			   sizeof(j->user), user_key, user_key2, sizeof(user_key)) != SP_OK) {
		r = refuse(j, P_INVALID, CRYPTO_REASON_MALFORMED_CERT,
			   "the certificate's subject O or CN is too long");
		goto out;
	}
	snprintf(j->subject, sizeof(j->subject), "%s", res.info.subject);
	snprintf(j->issuer, sizeof(j->issuer), "%s", res.info.issuer);
	for (i = 0; res.info.serial_hex[i] != '\0'; i++)
		j->serial[i] =
			(char)((res.info.serial_hex[i] >= 'A' && res.info.serial_hex[i] <= 'F')
				       ? res.info.serial_hex[i] - 'A' + 'a'
				       : res.info.serial_hex[i]);
	j->serial[i] = '\0';
	j->not_before = (int64_t)res.info.not_before;
	j->not_after = (int64_t)res.info.not_after;
	j->ttl_s = j->cfg->auth.session_ttl_s;
	if ((long long)res.info.not_after - (long long)time(NULL) < j->ttl_s)
		j->ttl_s = (long)((long long)res.info.not_after - (long long)time(NULL));
	if (j->ttl_s < 1) {
		r = refuse(j, P_UNAUTHORIZED, CRYPTO_REASON_CERT_EXPIRED,
			   "the certificate expires now");
		goto out;
	}
	if ((j->der_len = i2d_X509(leaf, &j->der)) <= 0) {
		j->der = NULL;
		goto out;
	}
	sp_hex(j->challenge, sizeof(j->challenge), j->challenge_hex);
	if (auth_token_new(j->token) != SP_OK || auth_token_hash(j->token, j->token_hash) != SP_OK)
		goto out;
	r = SP_OK;
out:
	crypto_cert_result_cleanup(&res);
	X509_free(x);
	X509_free(leaf);
	sk_X509_pop_free(extra, X509_free);
	return r;
}

/* A failed login call: db/ mapped the SQLSTATE (db/errors.c). */
static void
reply_login_sql_error(struct request *r, const struct sp_errinfo *err)
{
	struct sp_errinfo why;

	if (err->code == SP_ERR_INVALID) {
		/* A check constraint on the organization's data (23514). */
		sp_errinfo_init(&why);
		sp_err_reason(&why, SP_ERR_UNAUTHORIZED, CRYPTO_REASON_CREDIT_CODE,
			      "The certificate's organization data is not acceptable.");
		request_problem_ei(r, P_UNAUTHORIZED, &why);
		return;
	}
	if (err->code == SP_ERR_DB) {
		/* An unexpected refusal (e.g. a token hash taken): a new login may pass. */
		log_event(LOG_WARN, request_id(r), "login not stored", "{s:s,s:s}", "sqlstate",
			  err->sqlstate, "detail", err->msg);
		request_problem(r, P_DATABASE_UNAVAILABLE,
				"The login cannot be completed right now.");
		return;
	}
	request_reply_error(r, err->code, err);
}

static void
on_login(void *arg, const struct db_member_session *s, const struct sp_errinfo *err)
{
	struct login_job *j = arg;
	char oid[24], uid[24], sid[24];
	json_t *doc;

	if (err->code != SP_OK) {
		reply_login_sql_error(j->r, err);
		login_job_free(j);
		return;
	}
	doc = json_pack("{s:s,s:s,s:{s:I,s:s,s:s,s:b},s:{s:I,s:s,s:s},s:{s:I,s:s,s:s}}", "token",
			j->token, "expires_at", s->expires_at, "organization", "id",
			(json_int_t)s->organization_id, "name", s->organization_name, "credit_code",
			s->credit_code, "created", s->organization_created, "user", "id",
			(json_int_t)s->user_id, "name", s->user_name, "kind", "member",
			"certificate", "id", (json_int_t)s->certificate_id, "subject", j->subject,
			"issuer", j->issuer);
	snprintf(oid, sizeof(oid), "%lld", (long long)s->organization_id);
	snprintf(uid, sizeof(uid), "%lld", (long long)s->user_id);
	snprintf(sid, sizeof(sid), "%lld", (long long)s->session_id);
	log_event(LOG_INFO, request_id(j->r), "login", "{s:s,s:s,s:s}", "organization_id", oid,
		  "user_id", uid, "session_id", sid);
	request_reply_json(j->r, 200, doc);
	login_job_free(j);
}

static void
login_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct login_job *j = arg;
	struct db_member_login in;
	struct db_actor actor;

	if (rc != SP_OK) {
		if (j->refused) {
			log_event(LOG_INFO, request_id(j->r), "login refused", "{s:s,s:s}", "code",
				  j->why.reason, "subject", j->subject);
			request_problem_ei(j->r, j->problem, &j->why);
		} else {
			request_reply_error(j->r, rc, ei);
		}
		login_job_free(j);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.challenge_hex = j->challenge_hex;
	in.credit_code = j->credit_code;
	in.org_name = j->org;
	in.org_key = j->org_key;
	in.org_key2 = j->org_key2;
	in.user_name = j->user;
	in.cert_der = j->der;
	in.cert_len = (size_t)j->der_len;
	in.subject = j->subject;
	in.issuer = j->issuer;
	in.serial = j->serial;
	in.not_before = j->not_before;
	in.not_after = j->not_after;
	in.token_hash = j->token_hash;
	in.ttl_s = j->ttl_s;
	in.max_per_day = request_config(j->r)->auth.max_logins_per_day;
	in.max_member_per_day = request_config(j->r)->auth.max_member_logins_per_day;
	in.max_address_per_day = request_config(j->r)->auth.max_address_logins_per_day;
	auth_actor(j->r, NULL, &actor);
	if ((rc = db_auth_member_login(request_db(j->r), &in, &actor, on_login, j)) != SP_OK) {
		request_reply_error(j->r, rc, NULL);
		login_job_free(j);
	}
}

/* A base64 JSON member into *out; on failure answers r and returns nonzero. */
static int
b64_member(struct request *r, json_t *doc, const char *name, size_t max, int required,
	   unsigned char **out, size_t *outlen)
{
	json_t *v = json_object_get(doc, name);
	char detail[160];
	int rc;

	*out = NULL;
	*outlen = 0;
	if (v == NULL && !required)
		return 0;
	if (!json_is_string(v)) {
		snprintf(detail, sizeof(detail), "%s must be a base64 string", name);
		request_problem(r, P_INVALID, detail);
		return 1;
	}
	if ((rc = sp_b64_decode(json_string_value(v), SIZE_MAX, max, 0, out, outlen)) != SP_OK) {
		snprintf(detail, sizeof(detail), "%s: %s", name,
			 rc == SP_ERR_TOO_LARGE ? "too long" : "not valid base64");
		request_problem(r, P_INVALID, detail);
		return 1;
	}
	return 0;
}

void
auth_login_post(struct request *r)
{
	static const char *const known[] = { "certificate", "chain", "challenge", "signature",
					     "algorithm" };
	struct login_job *j = NULL;
	unsigned char *ch = NULL;
	size_t chlen = 0, i, k;
	json_t *doc = NULL, *v;
	const char *key;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	if (!json_is_object(doc)) {
		request_problem(r, P_INVALID, "the body must be a JSON object");
		goto out;
	}
	json_object_foreach(doc, key, v)
	{
		for (k = 0; k < SP_ARRAY_LEN(known) && strcmp(key, known[k]) != 0; k++)
			;
		if (k == SP_ARRAY_LEN(known)) {
			request_problem(r, P_INVALID, "unknown member in the body");
			goto out;
		}
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		goto out;
	}
	j->r = r;
	j->cfg = request_config(r);
	j->trust = request_trust(r);
	if (b64_member(r, doc, "certificate", CERT_MAX, 1, &j->cert_der, &j->cert_len) ||
	    b64_member(r, doc, "signature", CRYPTO_SIG_MAX, 1, &j->sig, &j->sig_len) ||
	    b64_member(r, doc, "challenge", CHALLENGE_BYTES, 1, &ch, &chlen))
		goto out;
	if (chlen != CHALLENGE_BYTES) {
		request_problem(r, P_INVALID, "challenge must be 32 bytes");
		goto out;
	}
	memcpy(j->challenge, ch, CHALLENGE_BYTES);
	if ((v = json_object_get(doc, "algorithm")) != NULL) {
		if (!json_is_string(v) ||
		    crypto_sigalg_from_name(json_string_value(v)) == CRYPTO_SIGALG_NONE) {
			request_problem(r, P_INVALID,
					"algorithm must be sha256WithRSAEncryption, "
					"ecdsa-with-SHA256 or SM2-with-SM3");
			goto out;
		}
		snprintf(j->alg_name, sizeof(j->alg_name), "%s", json_string_value(v));
	}
	if ((v = json_object_get(doc, "chain")) != NULL) {
		if (!json_is_array(v) || json_array_size(v) > CHAIN_MAX) {
			request_problem(r, P_INVALID,
					"chain must be an array of at most 8 base64 certificates");
			goto out;
		}
		for (i = 0; i < json_array_size(v); i++) {
			json_t *wrap = json_pack("{sO}", "chain", json_array_get(v, i));

			if (wrap == NULL) {
				request_reply_error(r, SP_ERR_NOMEM, NULL);
				goto out;
			}
			rc = b64_member(r, wrap, "chain", CERT_MAX, 1, &j->chain_der[i],
					&j->chain_len[i]);
			json_decref(wrap);
			if (rc != 0)
				goto out;
			j->nchain++;
		}
	}
	if ((rc = request_jobs_submit(r, login_work, login_done, j)) != SP_OK) {
		request_reply_error(r, rc, NULL);
		goto out;
	}
	j = NULL; /* transferred */
out:
	login_job_free(j);
	free(ch);
	json_decref(doc);
}

/* ---- logout, whoami ------------------------------------------------------------- */

static void
on_logout(void *arg, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_json(r, 200, json_pack("{s:s}", "status", "logged_out"));
}

static void
logout_next(struct request *r, const struct principal *who)
{
	struct db_actor actor;
	int rc;

	auth_actor(r, who, &actor);
	if ((rc = db_auth_logout(request_db(r), who->credential_id, &actor, on_logout, r)) != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
auth_logout_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER | PRINCIPAL_REVIEWER, logout_next);
}

struct whoami_wait {
	struct request *r;
	enum principal_kind kind;
};

static const char *
kind_name(enum principal_kind k)
{
	return k == PRINCIPAL_MEMBER ? "member" : k == PRINCIPAL_API_KEY ? "api_key" : "reviewer";
}

static void
on_whoami(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct whoami_wait *w = arg;

	if (err->code != SP_OK)
		request_reply_error(w->r, err->code, err);
	else if (json_object_set_new(doc, "kind", json_string(kind_name(w->kind))) != 0) {
		json_decref(doc);
		request_reply_error(w->r, SP_ERR_NOMEM, NULL);
	} else
		request_reply_json(w->r, 200, doc);
	free(w);
}

static void
whoami_next(struct request *r, const struct principal *who)
{
	struct whoami_wait *w;
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	w->r = r;
	w->kind = who->kind;
	rc = db_auth_whoami(request_db(r), who->user_id, who->organization_id, who->certificate_id,
			    on_whoami, w);
	if (rc != SP_OK) {
		free(w);
		request_reply_error(r, rc, NULL);
	}
}

void
auth_whoami_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER | PRINCIPAL_API_KEY | PRINCIPAL_REVIEWER, whoami_next);
}
