/*
 * cert_kept.c: what is derived from a certificate object alone, kept with
 * the object (its ex_data, freed with it). The trust's cert_cache hands out
 * one X509 per DER, shared by every prepare and completion of the process,
 * and each of them derived the same values from it again: the ESS
 * signing-certificate-v2 of the signed attributes (built three times per
 * signing: it hashes the DER and copies the issuer name) and the facts a
 * check or a report prints (crypto_cert_info_get: names as text, serial,
 * fingerprint). A certificate object is not modified once decoded, so the
 * kept value is the one a new derivation gives; an object made otherwise
 * (X509_dup, a fresh decoding) starts with nothing kept. One lock for all:
 * held only to copy a value in or out (CRYPTO_set_ex_data is not safe
 * against a concurrent reader of the same object).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto_int.h"

struct kept {
	void *v[CERT_KEPT_N];
	size_t n[CERT_KEPT_N];
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int idx = -1;

static void
kept_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int i, long argl, void *argp)
{
	struct kept *k = ptr;
	int w;

	(void)parent;
	(void)ad;
	(void)i;
	(void)argl;
	(void)argp;
	if (k == NULL)
		return;
	for (w = 0; w < CERT_KEPT_N; w++)
		free(k->v[w]);
	free(k);
}

static void
index_new(void)
{
	idx = X509_get_ex_new_index(0, NULL, NULL, NULL, kept_free);
}

int
cert_kept_get(X509 *x, enum cert_kept what, void *buf, size_t cap, size_t *len)
{
	struct kept *k;
	int found = 0;

	*len = 0;
	if (x == NULL || what >= CERT_KEPT_N || pthread_once(&once, index_new) != 0 || idx < 0)
		return 0;
	pthread_mutex_lock(&lock);
	if ((k = X509_get_ex_data(x, idx)) != NULL && k->v[what] != NULL && k->n[what] <= cap) {
		memcpy(buf, k->v[what], k->n[what]);
		*len = k->n[what];
		found = 1;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void
cert_kept_put(X509 *x, enum cert_kept what, const void *val, size_t len)
{
	struct kept *k, *made = NULL;
	void *v;

	if (x == NULL || what >= CERT_KEPT_N || len == 0 || pthread_once(&once, index_new) != 0 ||
	    idx < 0 || (v = malloc(len)) == NULL)
		return;
	memcpy(v, val, len);
	pthread_mutex_lock(&lock);
	if ((k = X509_get_ex_data(x, idx)) == NULL &&
	    ((made = k = calloc(1, sizeof(*k))) == NULL || X509_set_ex_data(x, idx, k) != 1)) {
		free(made);
		k = NULL;
		ERR_clear_error();
	}
	/* another thread may have kept it meanwhile: the same value */
	if (k != NULL && k->v[what] == NULL) {
		k->v[what] = v;
		k->n[what] = len;
		v = NULL; /* transferred */
	}
	pthread_mutex_unlock(&lock);
	free(v);
}
