/*
 * tsa_provider.c: where this process's RFC 3161 timestamps come from. The
 * built-in TSA and the TSA trust store are built lazily from the immutable
 * config, on whichever worker first needs them (as trust.c does), so a
 * server without a TSA still serves everything but signing, and says why.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "crypto.h"
#include "signing_int.h"

static pthread_mutex_t tsa_lock = PTHREAD_MUTEX_INITIALIZER;
static struct crypto_tsa *builtin;
static X509_STORE *ts_trust;
static int registered;

static void
tsa_atexit(void)
{
	pthread_mutex_lock(&tsa_lock);
	crypto_tsa_free(builtin);
	builtin = NULL;
	X509_STORE_free(ts_trust);
	ts_trust = NULL;
	pthread_mutex_unlock(&tsa_lock);
}

static void
register_atexit(void)
{
	if (!registered) {
		registered = 1;
		atexit(tsa_atexit);
	}
}

int
tsa_provider_builtin(const struct config *cfg, struct crypto_tsa **out, struct sp_errinfo *ei)
{
	struct crypto_tsa *t = NULL;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	pthread_mutex_lock(&tsa_lock);
	if (builtin != NULL) {
		*out = builtin;
		r = SP_OK;
		goto out;
	}
	if (cfg->tsa.cert == NULL || cfg->tsa.key == NULL) {
		r = sp_err_reason(ei, SP_ERR_CONFIG, "tsa_not_configured",
				  "the built-in TSA needs tsa.cert and tsa.key");
		goto out;
	}
	if ((r = crypto_tsa_new(cfg->tsa.cert, cfg->tsa.key, cfg->tsa.chain, cfg->tsa.policy,
				(unsigned)cfg->tsa.accuracy_ms, &t, ei)) != SP_OK)
		goto out;
	builtin = t;
	t = NULL; /* transferred */
	register_atexit();
	*out = builtin;
	r = SP_OK;
out:
	pthread_mutex_unlock(&tsa_lock);
	crypto_tsa_free(t);
	return r;
}

int
tsa_provider_trust(const struct config *cfg, X509_STORE **out, struct sp_errinfo *ei)
{
	const char *path = cfg->tsa.trust;
	X509_STORE *st = NULL;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	pthread_mutex_lock(&tsa_lock);
	if (ts_trust != NULL) {
		*out = ts_trust;
		r = SP_OK;
		goto out;
	}
	if (path == NULL && cfg->trust.nroots > 0)
		path = cfg->trust.roots[0];
	if (path == NULL) {
		r = sp_err_reason(ei, SP_ERR_CONFIG, "tsa_not_configured",
				  "no TSA trust: set tsa.trust (or trust.roots)");
		goto out;
	}
	if ((r = crypto_ts_trust_load(path, &st, ei)) != SP_OK)
		goto out;
	ts_trust = st;
	register_atexit();
	*out = ts_trust;
	r = SP_OK;
out:
	pthread_mutex_unlock(&tsa_lock);
	return r;
}

int
tsa_provider_timestamp(const struct config *cfg, const uint8_t *sig, size_t siglen,
		       uint64_t serial, uint8_t **token, size_t *tokenlen, time_t *gen_time,
		       struct sp_errinfo *ei)
{
	struct crypto_tsa *tsa;
	X509_STORE *trust;
	uint8_t *query = NULL, *resp = NULL;
	size_t qlen = 0, rlen = 0;
	int r = SP_ERR_INTERNAL;

	*token = NULL;
	*tokenlen = 0;
	*gen_time = 0;
	if ((r = tsa_provider_trust(cfg, &trust, ei)) != SP_OK)
		goto out;
	if ((r = crypto_ts_query_new(sig, siglen, NULL, &query, &qlen, ei)) != SP_OK)
		goto out;
	if (strcmp(cfg->tsa.mode, "external") == 0) {
		r = crypto_ts_fetch(cfg->tsa.url, query, qlen, cfg->tsa.timeout_ms,
				    cfg->tsa.username, cfg->tsa.password, &resp, &rlen, ei);
		if (r != SP_OK) {
			sp_errinfo_prefix(ei, "external TSA");
			if (ei->reason[0] == '\0')
				snprintf(ei->reason, sizeof(ei->reason), "tsa_unavailable");
			goto out;
		}
	} else {
		if ((r = tsa_provider_builtin(cfg, &tsa, ei)) != SP_OK)
			goto out;
		if ((r = crypto_tsa_respond(tsa, query, qlen, serial, 0, &resp, &rlen, ei)) != SP_OK)
			goto out;
	}
	if ((r = crypto_ts_response_check(resp, rlen, query, qlen, trust, token, tokenlen,
					  gen_time, ei)) != SP_OK)
		goto out;
	r = SP_OK;
out:
	free(query);
	free(resp);
	return r;
}
