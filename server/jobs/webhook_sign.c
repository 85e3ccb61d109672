/*
 * webhook_sign.c: the signature a receiver checks on every delivery:
 * HMAC-SHA256 over "<timestamp>.<body>" with the webhook's secret, so a
 * receiver can tell our deliveries from forgeries and refuse old replays by
 * the timestamp.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>

#include "contracts_int.h"

int
webhook_signature(const char *secret, long long timestamp, const char *body, size_t len, char *out,
		  size_t outlen, struct sp_errinfo *ei)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char ts[24], hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MAC *m = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t n = 0;
	int r = SP_ERR_INTERNAL;

	if (outlen > 0)
		out[0] = '\0';
	if (secret == NULL || *secret == '\0' || outlen < WEBHOOK_SIG_MAX) {
		r = sp_err(ei, SP_ERR_INVALID, "webhook signature: bad arguments");
		goto out;
	}
	snprintf(ts, sizeof(ts), "%lld", timestamp);
	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL || (ctx = EVP_MAC_CTX_new(m)) == NULL ||
	    EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)body, len) != 1 ||
	    EVP_MAC_final(ctx, mac, &n, sizeof(mac)) != 1) {
		r = sp_err(ei, SP_ERR_CRYPTO, "webhook signature: HMAC failed");
		goto out;
	}
	maclen = (unsigned int)n;
	sp_hex(mac, maclen, hex);
	snprintf(out, outlen, "t=%s,v1=%s", ts, hex);
	r = SP_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return r;
}
