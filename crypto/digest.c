/* digest.c: content digests (SHA-256, SM3) over EVP, one-shot and incremental. */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto_int.h"

struct crypto_digest_ctx {
	EVP_MD_CTX *md;
	int finished;
};

/*
 * The two digests, fetched from the default provider once per process.
 * EVP_sha256() and EVP_sm3() are OpenSSL 3's legacy handles: every
 * EVP_DigestInit_ex() with one fetches the implementation again (a lock and
 * a lookup in the provider's method store, about 0.4 us, more when the
 * workers contend), and every digest of a request (the bearer token's, the
 * certificate cache's keys) paid it. A fetched EVP_MD is immutable and
 * shared by threads; it lives as long as the process. If a fetch fails the
 * legacy handle stays in use, with the behaviour it always had.
 */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha256, *md_sm3;

static void
md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
	ERR_clear_error(); /* a missing SM3 is reported where it is used */
}

const EVP_MD *
cms_digest_md(enum crypto_digest_alg alg)
{
	(void)pthread_once(&md_once, md_fetch);
	switch (alg) {
	case CRYPTO_DIGEST_SHA256:
		return md_sha256 != NULL ? md_sha256 : EVP_sha256();
	case CRYPTO_DIGEST_SM3:
		return md_sm3 != NULL ? md_sm3 : EVP_sm3();
	}
	return NULL;
}

int
crypto_digest_ctx_new(enum crypto_digest_alg alg, struct crypto_digest_ctx **out,
		      struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct crypto_digest_ctx *c = NULL;
	const EVP_MD *md;

	*out = NULL;
	if ((md = cms_digest_md(alg)) == NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "unknown digest algorithm %d", (int)alg);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->md = EVP_MD_CTX_new()) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestInit_ex(c->md, md, NULL) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "digest init failed");
		goto out;
	}
	*out = c;
	c = NULL; /* transferred */
	r = SP_OK;
out:
	crypto_digest_ctx_free(c);
	return r;
}

int
crypto_digest_ctx_update(struct crypto_digest_ctx *c, const void *data, size_t len,
			 struct sp_errinfo *ei)
{
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): _new's failures return sp_err's code */
	if (c->finished)
		return sp_err(ei, SP_ERR_INTERNAL, "digest already finished");
	if (len > 0 && EVP_DigestUpdate(c->md, data, len) != 1)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "digest update failed");
	return SP_OK;
}

int
crypto_digest_ctx_final(struct crypto_digest_ctx *c, uint8_t *out, size_t *outlen,
			struct sp_errinfo *ei)
{
	unsigned int n = 0;

	*outlen = 0;
	if (c->finished)
		return sp_err(ei, SP_ERR_INTERNAL, "digest already finished");
	c->finished = 1;
	/* Both algorithms are 32 bytes, which CRYPTO_DIGEST_MAX promises. */
	if (EVP_MD_CTX_get_size(c->md) > CRYPTO_DIGEST_MAX)
		return sp_err(ei, SP_ERR_INTERNAL, "digest larger than CRYPTO_DIGEST_MAX");
	if (EVP_DigestFinal_ex(c->md, out, &n) != 1)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "digest final failed");
	*outlen = n;
	return SP_OK;
}

int
crypto_digest_ctx_peek(const struct crypto_digest_ctx *c, uint8_t *out, size_t *outlen,
		       struct sp_errinfo *ei)
{
	struct crypto_digest_ctx copy = { NULL, 0 };
	int r;

	*outlen = 0;
	if (c->finished)
		return sp_err(ei, SP_ERR_INTERNAL, "digest already finished");
	if ((copy.md = EVP_MD_CTX_new()) == NULL || EVP_MD_CTX_copy_ex(copy.md, c->md) != 1) {
		EVP_MD_CTX_free(copy.md);
		return cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "digest copy failed");
	}
	r = crypto_digest_ctx_final(&copy, out, outlen, ei);
	EVP_MD_CTX_free(copy.md);
	return r;
}

int
crypto_digest_ctx_dup(const struct crypto_digest_ctx *c, struct crypto_digest_ctx **out,
		      struct sp_errinfo *ei)
{
	struct crypto_digest_ctx *d;

	*out = NULL;
	if (c->finished)
		return sp_err(ei, SP_ERR_INTERNAL, "digest already finished");
	if ((d = calloc(1, sizeof(*d))) == NULL || (d->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_MD_CTX_copy_ex(d->md, c->md) != 1) {
		crypto_digest_ctx_free(d);
		return cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "digest copy failed");
	}
	*out = d;
	return SP_OK;
}

int
crypto_digest_ctx_adopt(enum crypto_digest_alg alg, EVP_MD_CTX *md, struct crypto_digest_ctx **out,
			struct sp_errinfo *ei)
{
	const EVP_MD *want = cms_digest_md(alg);
	struct crypto_digest_ctx *c;

	*out = NULL;
	/* the state must be of the algorithm the context says it is */
	if (md == NULL || want == NULL || EVP_MD_CTX_get0_md(md) == NULL ||
	    EVP_MD_get_type(EVP_MD_CTX_get0_md(md)) != EVP_MD_get_type(want)) {
		EVP_MD_CTX_free(md);
		return sp_err(ei, SP_ERR_INVALID, "not a digest state of algorithm %d", (int)alg);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		EVP_MD_CTX_free(md);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	c->md = md;
	*out = c;
	return SP_OK;
}

/* The context's OpenSSL digest state (crypto.h). */
const EVP_MD_CTX *
crypto_digest_ctx_evp(const struct crypto_digest_ctx *c)
{
	return c->finished ? NULL : c->md;
}

void
crypto_digest_ctx_free(struct crypto_digest_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

int
crypto_digest(enum crypto_digest_alg alg, const void *data, size_t len, uint8_t *out,
	      size_t *outlen, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct crypto_digest_ctx *c = NULL;

	*outlen = 0;
	if ((r = crypto_digest_ctx_new(alg, &c, ei)) != SP_OK)
		goto out;
	if ((r = crypto_digest_ctx_update(c, data, len, ei)) != SP_OK)
		goto out;
	if ((r = crypto_digest_ctx_final(c, out, outlen, ei)) != SP_OK)
		goto out;
	r = SP_OK;
out:
	crypto_digest_ctx_free(c);
	return r;
}
