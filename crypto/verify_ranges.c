/*
 * verify_ranges.c: hashing a signature's two byte ranges (everything but the
 * /Contents gap). One verification hashes the file once per algorithm: the
 * signatures are taken in the order of their first ranges, and each one's
 * digest continues the running digest of the prefix (struct verify_hasher),
 * or is the caller's own (a completion hashed the new signature's ranges
 * already). Used by the CMS, PKCS #1 and timestamp checks alike.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "verify_int.h"

void
verify_hasher_cleanup(struct verify_hasher *h)
{
	size_t i;

	for (i = 0; h && i < h->n; i++)
		EVP_MD_CTX_free(h->s[i].c);
	if (h)
		h->n = 0;
}

void
verify_hasher_seed(struct verify_hasher *h, const struct crypto_digest_ctx *c, size_t pos)
{
	const EVP_MD_CTX *src = crypto_digest_ctx_evp(c);
	const EVP_MD *md = src ? EVP_MD_CTX_get0_md(src) : NULL;
	size_t i;

	if (md == NULL || h->n == VERIFY_HASHER_MDS)
		return;
	for (i = 0; i < h->n; i++)
		if (EVP_MD_get_type(h->s[i].md) == EVP_MD_get_type(md))
			return;
	if (!(h->s[i].c = EVP_MD_CTX_new()))
		return;
	if (EVP_MD_CTX_copy_ex(h->s[i].c, src) != 1) {
		EVP_MD_CTX_free(h->s[i].c);
		h->s[i].c = NULL;
		return;
	}
	h->s[i].md = md;
	h->s[i].pos = pos;
	h->n++;
}

/* The running digest of md moved on to data[0..a), or NULL when it is already
   past a (signatures out of order) or cannot be had: hash afresh then. */
static EVP_MD_CTX *
prefix_at(struct verify_hasher *h, const EVP_MD *md, const unsigned char *data, size_t a)
{
	size_t i;

	for (i = 0; i < h->n && EVP_MD_get_type(h->s[i].md) != EVP_MD_get_type(md); i++)
		;
	if (i == h->n) {
		if (h->n == VERIFY_HASHER_MDS || !(h->s[i].c = EVP_MD_CTX_new()))
			return NULL;
		h->s[i].md = md;
		h->s[i].pos = 0;
		h->n++;
		if (!EVP_DigestInit_ex(h->s[i].c, md, NULL))
			h->s[i].pos = SIZE_MAX;
	}
	if (h->s[i].pos > a)
		return NULL;
	if (!EVP_DigestUpdate(h->s[i].c, data + h->s[i].pos, a - h->s[i].pos)) {
		h->s[i].pos = SIZE_MAX;
		return NULL;
	}
	h->s[i].pos = a;
	return h->s[i].c;
}

int
ranges_digest(const EVP_MD *md, const struct verify_ranges *rg, unsigned char *out,
	      unsigned int *outlen)
{
	const struct crypto_ranges_digest *k = rg->known;
	const EVP_MD *kmd = k ? cms_digest_md(k->alg) : NULL;
	EVP_MD_CTX *c, *pre;
	int ok;

	/* the caller hashed exactly these ranges of these bytes in this algorithm */
	if (kmd && EVP_MD_get_type(kmd) == EVP_MD_get_type(md) && k->a == rg->a && k->b == rg->b &&
	    k->end == rg->end && k->dlen == verify_md_len(md) && k->dlen <= sizeof(k->d)) {
		memcpy(out, k->d, k->dlen);
		*outlen = (unsigned int)k->dlen;
		return 1;
	}
	c = EVP_MD_CTX_new();
	pre = rg->hx ? prefix_at(rg->hx, md, rg->data, rg->a) : NULL;
	/* the first range hashed afresh (no running digest of md: a fifth algorithm, or
	   signatures out of order) is charged as EdDSA's joined ranges are (review52: 400
	   fields naming one signature after four of other digests, 6 s) */
	if (pre == NULL && rg->alone != NULL)
		*rg->alone += rg->a;
	ok = c &&
	     (pre ? EVP_MD_CTX_copy_ex(c, pre)
		  : EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, rg->data, rg->a)) &&
	     EVP_DigestUpdate(c, rg->data + rg->b, rg->end - rg->b) &&
	     verify_md_final(c, out, outlen);

	EVP_MD_CTX_free(c);
	return ok;
}
