/*
 * seal_maker.c: the platform's seal-making certificate and key
 * (seals.maker_cert / seals.maker_key), loaded once at start-up: a pair that
 * does not load or does not match stops start-up; none configured leaves
 * the server serving everything but approvals (seal_maker_not_configured).
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "crypto.h"
#include "state.h"

struct seal_maker {
	X509 *cert;
	EVP_PKEY *key;
};

static int
load(const char *path, int key, void **out, struct sp_errinfo *ei)
{
	FILE *f = fopen(path, "r");

	*out = NULL;
	if (f == NULL)
		return sp_err(ei, SP_ERR_CONFIG, "seals.%s: cannot open %s",
			      key ? "maker_key" : "maker_cert", path);
	*out = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
		   : (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (*out == NULL)
		return sp_err(ei, SP_ERR_CONFIG, "seals.%s: %s holds no PEM %s",
			      key ? "maker_key" : "maker_cert", path,
			      key ? "private key" : "certificate");
	return SP_OK;
}

int
seal_maker_new(const struct config *cfg, struct seal_maker **out, struct sp_errinfo *ei)
{
	struct seal_maker *m = NULL;
	enum crypto_sigalg alg;
	void *p;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	if (cfg->seals.maker_cert == NULL || cfg->seals.maker_key == NULL)
		return SP_OK;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = load(cfg->seals.maker_cert, 0, &p, ei)) != SP_OK)
		goto out;
	m->cert = p;
	if ((r = load(cfg->seals.maker_key, 1, &p, ei)) != SP_OK)
		goto out;
	m->key = p;
	if (crypto_sigalg_for_cert(m->cert, &alg, ei) != SP_OK) {
		sp_errinfo_prefix(ei, "seals.maker_cert");
		r = SP_ERR_CONFIG;
		goto out;
	}
	if (X509_check_private_key(m->cert, m->key) != 1) {
		r = sp_err(ei, SP_ERR_CONFIG, "seals.maker_key does not match seals.maker_cert");
		goto out;
	}
	*out = m;
	m = NULL; /* transferred */
	r = SP_OK;
out:
	ERR_clear_error();
	seal_maker_free(m);
	return r;
}

void
seal_maker_free(struct seal_maker *m)
{
	if (m == NULL)
		return;
	X509_free(m->cert);
	EVP_PKEY_free(m->key);
	free(m);
}

int
seal_maker_get(const struct seal_maker *m, X509 **cert, EVP_PKEY **key, struct sp_errinfo *ei)
{
	*cert = NULL;
	*key = NULL;
	if (m == NULL)
		return sp_err_reason(ei, SP_ERR_UNAVAILABLE, "seal_maker_not_configured",
				     "no seal maker is configured (seals.maker_cert, "
				     "seals.maker_key)");
	*cert = m->cert;
	*key = m->key;
	return SP_OK;
}
