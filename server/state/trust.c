/*
 * trust.c: the process's trust store for certificate checks (login now,
 * signing sessions later), built once from the immutable config on first
 * use. It is built lazily, on whichever worker first needs it, so a server
 * whose trust section is incomplete still serves everything else, and the
 * login route says clearly why it cannot check certificates.
 */
#include <pthread.h>
#include <stdlib.h>

#include "auth_int.h"
#include "config.h"
#include "crypto.h"

static pthread_mutex_t trust_lock = PTHREAD_MUTEX_INITIALIZER;
static struct crypto_trust *trust_store;
static int trust_registered;

/* Free the store at exit so leak checkers see a clean process. */
static void
trust_atexit(void)
{
	pthread_mutex_lock(&trust_lock);
	crypto_trust_free(trust_store);
	trust_store = NULL;
	pthread_mutex_unlock(&trust_lock);
}

int
server_trust_get(const struct config *cfg, struct crypto_trust **out, struct sp_errinfo *ei)
{
	struct crypto_revocation_opts opts;
	struct crypto_trust *t = NULL;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	pthread_mutex_lock(&trust_lock);
	/* One config per process: the first caller's config builds the store. */
	if (trust_store != NULL) {
		*out = trust_store;
		r = SP_OK;
		goto out;
	}
	if (cfg->trust.nroots == 0) {
		r = sp_err_reason(ei, SP_ERR_CONFIG, "trust_not_configured",
				  "trust.roots is empty: certificates cannot be checked");
		goto out;
	}
	opts.ocsp = cfg->trust.ocsp;
	opts.ocsp_url = cfg->trust.ocsp_url;
	opts.timeout_ms = cfg->trust.ocsp_timeout_ms;
	opts.require_revocation = cfg->trust.require_revocation;
	r = crypto_trust_new((const char *const *)cfg->trust.roots, cfg->trust.nroots,
			     (const char *const *)cfg->trust.intermediates,
			     cfg->trust.nintermediates, (const char *const *)cfg->trust.crls,
			     cfg->trust.ncrls, &opts, &t, ei);
	if (r != SP_OK)
		goto out;
	trust_store = t;
	t = NULL; /* transferred */
	if (!trust_registered) {
		trust_registered = 1;
		atexit(trust_atexit);
	}
	*out = trust_store;
	r = SP_OK;
out:
	pthread_mutex_unlock(&trust_lock);
	crypto_trust_free(t);
	return r;
}
