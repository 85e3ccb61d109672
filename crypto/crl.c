/*
 * crl.c: revocation by CRL, the fallback when OCSP gives no answer. Only a
 * complete CRL that the certificate's own issuer signed and that is current
 * now may answer; anything else is "no answer", never "good".
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

/*
 * 1 when the trust's CRL number idx verifies with issuer's key. A CRL of the
 * trust never changes, and the answer depends on nothing else but the key
 * (its SubjectPublicKeyInfo), so a success is kept with that key: every
 * chain check asked again (an ECDSA or RSA verification each time).
 */
int
trust_crl_signature_ok(struct crypto_trust *t, int idx, X509_CRL *crl, X509 *issuer)
{
	EVP_PKEY *pk = X509_get0_pubkey(issuer);
	struct trust_crl_key *k = t->crl_key != NULL ? &t->crl_key[idx] : NULL;
	unsigned char *spki = NULL;
	int n, ok = 0;

	if (pk == NULL)
		return 0;
	n = k != NULL ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki) : 0;
	if (n > 0) {
		pthread_mutex_lock(&t->cache_lock);
		ok = k->spki != NULL && k->len == n && memcmp(k->spki, spki, (size_t)n) == 0;
		pthread_mutex_unlock(&t->cache_lock);
		if (ok) {
			OPENSSL_free(spki);
			return 1;
		}
	}
	if (cert_sigcache_crl_verify(t->sigs, crl, issuer) != 1) {
		ERR_clear_error();
		OPENSSL_free(spki);
		return 0;
	}
	if (n > 0) {
		pthread_mutex_lock(&t->cache_lock);
		OPENSSL_free(k->spki);
		k->spki = spki;
		k->len = n;
		spki = NULL; /* transferred */
		pthread_mutex_unlock(&t->cache_lock);
	}
	OPENSSL_free(spki);
	return 1;
}

/* Why the trust's CRL number idx cannot be used for issuer, or NULL when it can. */
static const char *
crl_unusable(struct crypto_trust *t, int idx, X509_CRL *crl, X509 *issuer, time_t now)
{
	time_t upd, next;

	if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0)
		return "only a delta CRL";
	if (X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1) >= 0)
		return "only a partitioned CRL (issuingDistributionPoint)";
	if (!trust_crl_signature_ok(t, idx, crl, issuer))
		return "a CRL whose signature does not verify with the issuer's key";
	upd = trust_asn1_time(X509_CRL_get0_lastUpdate(crl));
	next = trust_asn1_time(X509_CRL_get0_nextUpdate(crl));
	if (upd == (time_t)-1 || upd > now + TRUST_CLOCK_SKEW)
		return "a CRL issued in the future";
	if (next == (time_t)-1 || next < now)
		return "an out-of-date CRL (past its nextUpdate)";
	return NULL;
}

int
trust_crl_status(struct crypto_trust *t, X509 *leaf, X509 *issuer, struct trust_rev *rev,
		 struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	int i, seen = 0;
	time_t now = time(NULL);
	const char *why = NULL;
	X509_REVOKED *entry = NULL;
	ASN1_ENUMERATED *reason;

	memset(rev, 0, sizeof(*rev));
	rev->reason = -1;
	if ((X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0) {
		r = sp_err(ei, SP_ERR_NOT_FOUND, "the issuer may not sign CRLs");
		goto out;
	}
	for (i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(t->crls, i);

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
			continue;
		seen++;
		if ((why = crl_unusable(t, i, crl, issuer, now)) != NULL)
			continue;
		rev->source = CRYPTO_REV_SRC_CRL;
		if (X509_CRL_get0_by_cert(crl, &entry, leaf) == 1) {
			rev->status = CRYPTO_REV_REVOKED;
			rev->revoked_at = trust_asn1_time(X509_REVOKED_get0_revocationDate(entry));
			if ((reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL,
							       NULL)) != NULL) {
				rev->reason = (int)ASN1_ENUMERATED_get(reason);
				ASN1_ENUMERATED_free(reason);
			}
			if (rev->revoked_at == (time_t)-1)
				rev->revoked_at = 0; /* unreadable date: revoked since always */
			r = SP_OK;
			goto out;
		}
		/* Not listed here; a later CRL in the list may still list it. */
		rev->status = CRYPTO_REV_GOOD;
	}
	if (rev->status == CRYPTO_REV_GOOD) {
		r = SP_OK;
		goto out;
	}
	memset(rev, 0, sizeof(*rev));
	rev->reason = -1;
	if (seen == 0)
		r = sp_err(ei, SP_ERR_NOT_FOUND, "no CRL from the certificate's issuer");
	else
		r = sp_err(ei, SP_ERR_NOT_FOUND, "the issuer has %s", why);
out:
	return r;
}
