/*
 * evidence_key.c: the platform's evidence key (evidence.cert, evidence.key,
 * evidence.chain), loaded once at start-up, which signs evidence reports.
 * A pair that does not load, does not match or cannot sign stops start-up;
 * none configured leaves the server serving everything but evidence
 * reports (evidence_not_configured).
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "crypto.h"
#include "state.h"

struct evidence_key {
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) * chain;
};

static int
load(const char *path, const char *what, int key, void **out, struct sp_errinfo *ei)
{
	FILE *f = fopen(path, "r");

	*out = NULL;
	if (f == NULL)
		return sp_err(ei, SP_ERR_CONFIG, "evidence.%s: cannot open %s", what, path);
	*out = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
		   : (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (*out == NULL)
		return sp_err(ei, SP_ERR_CONFIG, "evidence.%s: %s holds no PEM %s", what, path,
			      key ? "private key" : "certificate");
	return SP_OK;
}

/* The CA certificates of evidence.chain (at most CRYPTO_CHAIN_MAX). */
static int
chain_load(const char *path, STACK_OF(X509) * *out, struct sp_errinfo *ei)
{
	FILE *f;
	X509 *x;

	if ((*out = sk_X509_new_null()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (path == NULL)
		return SP_OK;
	if ((f = fopen(path, "r")) == NULL)
		return sp_err(ei, SP_ERR_CONFIG, "evidence.chain: cannot open %s", path);
	while (sk_X509_num(*out) < CRYPTO_CHAIN_MAX &&
	       (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(*out, x) <= 0) {
			X509_free(x);
			fclose(f);
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		}
	fclose(f);
	if (sk_X509_num(*out) == 0)
		return sp_err(ei, SP_ERR_CONFIG, "evidence.chain: %s holds no PEM certificate",
			      path);
	return SP_OK;
}

int
evidence_key_new(const struct config *cfg, struct evidence_key **out, struct sp_errinfo *ei)
{
	struct evidence_key *k = NULL;
	enum crypto_sigalg alg;
	void *p;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	if (cfg->evidence.cert == NULL || cfg->evidence.key == NULL)
		return SP_OK;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = load(cfg->evidence.cert, "cert", 0, &p, ei)) != SP_OK)
		goto out;
	k->cert = p;
	if ((r = load(cfg->evidence.key, "key", 1, &p, ei)) != SP_OK)
		goto out;
	k->key = p;
	if ((r = chain_load(cfg->evidence.chain, &k->chain, ei)) != SP_OK)
		goto out;
	if (crypto_sigalg_for_cert(k->cert, &alg, ei) != SP_OK) {
		sp_errinfo_prefix(ei, "evidence.cert");
		r = SP_ERR_CONFIG;
		goto out;
	}
	if (X509_check_private_key(k->cert, k->key) != 1) {
		r = sp_err(ei, SP_ERR_CONFIG, "evidence.key does not match evidence.cert");
		goto out;
	}
	/* A report signed by a certificate that may not sign would never verify. */
	if ((X509_get_key_usage(k->cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		r = sp_err(ei, SP_ERR_CONFIG,
			   "evidence.cert: its keyUsage allows neither digitalSignature nor "
			   "nonRepudiation");
		goto out;
	}
	*out = k;
	k = NULL; /* transferred */
	r = SP_OK;
out:
	ERR_clear_error();
	evidence_key_free(k);
	return r;
}

void
evidence_key_free(struct evidence_key *k)
{
	if (k == NULL)
		return;
	X509_free(k->cert);
	EVP_PKEY_free(k->key);
	sk_X509_pop_free(k->chain, X509_free);
	free(k);
}

int
evidence_key_get(const struct evidence_key *k, X509 **cert, EVP_PKEY **key, STACK_OF(X509) * *chain,
		 struct sp_errinfo *ei)
{
	*cert = NULL;
	*key = NULL;
	*chain = NULL;
	if (k == NULL)
		return sp_err_reason(ei, SP_ERR_UNAVAILABLE, "evidence_not_configured",
				     "no evidence key is configured (evidence.cert, "
				     "evidence.key)");
	*cert = k->cert;
	*key = k->key;
	*chain = k->chain;
	return SP_OK;
}
