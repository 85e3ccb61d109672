/*
 * seal_verify.c: what the terminal checks of a seal before it stores it on
 * the token, and reads of one for `seal list`. The SESeal itself is parsed
 * and its signature checked by crypto/seseal.c (the same code the server
 * builds it with); this file adds the terminal's questions: is it the seal
 * asked for, does it bind this token's certificate, is it still valid.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "crypto.h"
#include "seals_int.h"

static void
rfc3339(time_t t, char *out, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, n, "?");
}

static void
info_fill(const struct crypto_seseal *ss, struct seal_info *out)
{
	memset(out, 0, sizeof(*out));
	client_text_clean(ss->es_id, out->es_id, sizeof(out->es_id));
	client_text_clean(ss->name, out->name, sizeof(out->name));
	snprintf(out->type, sizeof(out->type), "%s",
		 ss->type == CRYPTO_SEAL_TYPE_OFFICIAL   ? "official"
		 : ss->type == CRYPTO_SEAL_TYPE_CONTRACT ? "contract"
							 : "other");
	rfc3339(ss->valid_start, out->valid_from, sizeof(out->valid_from));
	rfc3339(ss->valid_end, out->valid_until, sizeof(out->valid_until));
}

int
seal_info_read(const uint8_t *der, size_t len, struct seal_info *out, struct sp_errinfo *ei)
{
	struct crypto_seseal ss;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&ss, 0, sizeof(ss));
	if ((r = crypto_seseal_verify(der, len, NULL, &ss, ei)) != SP_OK)
		return r;
	info_fill(&ss, out);
	crypto_seseal_cleanup(&ss);
	return SP_OK;
}

int
seal_verify(const uint8_t *der, size_t len, X509 *maker, const uint8_t *cert_der, size_t cert_len,
	    const char *seal_id, struct seal_info *out, struct sp_errinfo *ei)
{
	struct crypto_seseal ss;
	const unsigned char *p = cert_der;
	X509 *cert = NULL;
	time_t now = time(NULL);
	char want[64];
	int r = SP_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&ss, 0, sizeof(ss));
	if (maker == NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "no seal-making certificate to check it with");
		goto out;
	}
	if ((r = crypto_seseal_verify(der, len, maker, &ss, ei)) != SP_OK)
		goto out;
	info_fill(&ss, out);
	if ((cert = d2i_X509(NULL, &p, (long)cert_len)) == NULL || p != cert_der + cert_len) {
		r = sp_err(ei, SP_ERR_INVALID, "the token's certificate is not DER");
		goto out;
	}
	if (!crypto_seseal_binds(&ss, cert)) {
		r = sp_err(ei, SP_ERR_INVALID,
			   "the seal does not bind the certificate on this token (another "
			   "organization's, or an older certificate's)");
		goto out;
	}
	/* The platform names seal N "sealpact-N" (server/api/seals.c): a package
	 * for another seal is not installed under this one's label. */
	snprintf(want, sizeof(want), "sealpact-%s", seal_id);
	if (strcmp(ss.es_id, want) != 0) {
		r = sp_err(ei, SP_ERR_INVALID, "the package is seal %s, not %s as asked",
			   out->es_id, want);
		goto out;
	}
	if (ss.valid_end <= now) {
		r = sp_err(ei, SP_ERR_INVALID, "the seal expired at %s", out->valid_until);
		goto out;
	}
	r = SP_OK;
out:
	X509_free(cert);
	crypto_seseal_cleanup(&ss);
	return r;
}
