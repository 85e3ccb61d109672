/*
 * trust.c: the trust store and the certificate check (chain at a time, key
 * usage, revocation through ocsp.c and crl.c), with one reason code for each
 * way a certificate can be refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

#define TRUST_FILE_MAX (8 * 1024 * 1024) /* a CA bundle or a large CRL */
/* certificates the caller adds to the search: a CMS's (the API's requests send fewer) */
#define TRUST_EXTRA_MAX CRYPTO_CMS_CERTS_MAX
#define TRUST_DEPTH_MAX 8

static int
looks_pem(const unsigned char *p, size_t len)
{
	return len >= 10 && memmem(p, len, "-----BEGIN", 10) != NULL;
}

/* A certificate's subject for messages (cut, if at all, between UTF-8 characters). */
static void
subject_of(X509 *x, char *out, size_t outsz)
{
	(void)trust_name_print(X509_get_subject_name(x), out, outsz);
}

/* Add every certificate of a PEM file to store (trusted) or to sk. */
static int
load_certs(const char *path, int trusted, X509_STORE *store, STACK_OF(X509) * sk,
	   struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	unsigned char *data = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509 *x = NULL;
	int n = 0;
	char subj[256];

	if ((r = sp_file_read(path, TRUST_FILE_MAX, &data, &len, ei)) != SP_OK)
		goto out;
	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		subject_of(x, subj, sizeof(subj));
		if (X509_check_ca(x) < 1) {
			r = sp_err(ei, SP_ERR_INVALID, "%s: %s is not a CA certificate", path,
				   subj);
			goto out;
		}
		if (trusted && X509_self_signed(x, 0) != 1) {
			r = sp_err(ei, SP_ERR_INVALID,
				   "%s: %s is not a self-signed root; list it as an intermediate",
				   path, subj);
			goto out;
		}
		if (trusted ? !X509_STORE_add_cert(store, x) : !sk_X509_push(sk, x)) {
			r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "%s: cannot keep %s", path, subj);
			goto out;
		}
		if (!trusted)
			x = NULL; /* transferred */
		X509_free(x);
		x = NULL;
		n++;
	}
	if (!trust_pem_end_clean() || n == 0) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, NULL, "%s: %s", path,
				 n == 0 ? "no PEM certificate in it"
					: "unreadable PEM after certificate");
		goto out;
	}
	r = SP_OK;
out:
	X509_free(x);
	BIO_free(b);
	free(data);
	return r;
}

/* Add the CRLs of one file (PEM, one or more; or one DER CRL) to sk. */
static int
load_crls(const char *path, STACK_OF(X509_CRL) * sk, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	unsigned char *data = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509_CRL *c = NULL;
	const unsigned char *p;
	int n = 0;

	if ((r = sp_file_read(path, TRUST_FILE_MAX, &data, &len, ei)) != SP_OK)
		goto out;
	ERR_clear_error();
	if (!looks_pem(data, len)) {
		p = data;
		c = d2i_X509_CRL(NULL, &p, (long)len);
		if (c == NULL || p != data + len) {
			r = cms_err_ossl(ei, SP_ERR_INVALID, NULL, "%s: not a DER or PEM CRL",
					 path);
			goto out;
		}
		if (!sk_X509_CRL_push(sk, c)) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		c = NULL; /* transferred */
		r = SP_OK;
		goto out;
	}
	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	while ((c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_CRL_push(sk, c)) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		c = NULL; /* transferred */
		n++;
	}
	if (!trust_pem_end_clean() || n == 0) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, NULL, "%s: %s", path,
				 n == 0 ? "no PEM CRL in it" : "unreadable PEM after CRL");
		goto out;
	}
	r = SP_OK;
out:
	X509_CRL_free(c);
	BIO_free(b);
	free(data);
	return r;
}

int
crypto_trust_new(const char *const *roots, size_t nroots, const char *const *intermediates,
		 size_t nintermediates, const char *const *crls, size_t ncrls,
		 const struct crypto_revocation_opts *opts, struct crypto_trust **out,
		 struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct crypto_trust *t = NULL;
	size_t i;

	*out = NULL;
	if (nroots == 0 || roots == NULL) {
		r = sp_err(ei, SP_ERR_CONFIG, "no trusted root certificates configured");
		goto out;
	}
	if ((nintermediates > 0 && intermediates == NULL) || (ncrls > 0 && crls == NULL)) {
		r = sp_err(ei, SP_ERR_INVALID, "a file list is missing");
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (pthread_mutex_init(&t->cache_lock, NULL) != 0) {
		free(t);
		t = NULL;
		r = sp_err(ei, SP_ERR_INTERNAL, "cannot make a mutex");
		goto out;
	}
	if ((t->store = X509_STORE_new()) == NULL ||
	    (t->intermediates = sk_X509_new_null()) == NULL ||
	    (t->crls = sk_X509_CRL_new_null()) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < nroots; i++) {
		if ((r = load_certs(roots[i], 1, t->store, NULL, ei)) != SP_OK)
			goto out;
	}
	for (i = 0; i < nintermediates; i++) {
		if ((r = load_certs(intermediates[i], 0, NULL, t->intermediates, ei)) != SP_OK)
			goto out;
	}
	for (i = 0; i < ncrls; i++) {
		if ((r = load_crls(crls[i], t->crls, ei)) != SP_OK)
			goto out;
	}
	if ((r = trust_known_build(t, ei)) != SP_OK)
		goto out;
	if (sk_X509_CRL_num(t->crls) > 0 &&
	    (t->crl_key = calloc((size_t)sk_X509_CRL_num(t->crls), sizeof(*t->crl_key))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((t->certs = cert_cache_new(TRUST_CERT_CACHE_MAX, TRUST_CERT_CACHE_BYTES)) == NULL ||
	    (t->ocsps = ocsp_verified_new(TRUST_OCSP_VERIFIED_MAX)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the roots' chains are checked at every prepare and completion: their
	   signatures verified once (cert_sig.c) */
	if ((t->sigs = cert_sigcache_new(TRUST_SIG_CACHE_MAX)) == NULL ||
	    !cert_sigcache_attach(t->store, t->sigs)) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "cannot set up the signature cache");
		goto out;
	}
	t->timeout_ms = 5000;
	if (opts != NULL) {
		t->ocsp = opts->ocsp != 0;
		t->require_revocation = opts->require_revocation != 0;
		if (opts->timeout_ms > 0)
			t->timeout_ms = opts->timeout_ms;
		if (opts->ocsp_url != NULL && opts->ocsp_url[0] != '\0') {
			if (strncmp(opts->ocsp_url, "http://", 7) != 0 &&
			    strncmp(opts->ocsp_url, "https://", 8) != 0) {
				r = sp_err(ei, SP_ERR_CONFIG, "OCSP URL %s is not http(s)",
					   opts->ocsp_url);
				goto out;
			}
			if ((t->ocsp_url = strdup(opts->ocsp_url)) == NULL) {
				r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	*out = t;
	t = NULL; /* transferred */
	r = SP_OK;
out:
	crypto_trust_free(t);
	return r;
}

void
crypto_trust_cache_stats(struct crypto_trust *t, struct crypto_trust_cache_stats *st)
{
	unsigned long hits, misses;

	memset(st, 0, sizeof(*st));
	if (t == NULL)
		return;
	if (t->certs != NULL)
		cert_cache_held(t->certs, &st->certs, &st->cert_bytes, &st->cert_max_bytes);
	trust_ocsp_cache_held(t, &st->ocsp_responses, &st->ocsp_bytes);
	if (t->sigs != NULL)
		cert_sigcache_stats(t->sigs, &st->signatures, &hits, &misses);
	if (t->ocsps != NULL)
		st->ocsp_verified = ocsp_verified_count(t->ocsps);
}

void
crypto_trust_free(struct crypto_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	trust_ocsp_cache_cleanup(t);
	trust_known_cleanup(t);
	cert_cache_free(t->certs);
	ocsp_verified_free(t->ocsps);
	cert_sigcache_free(t->sigs);
	for (i = 0; t->crl_key != NULL && i < (size_t)sk_X509_CRL_num(t->crls); i++)
		OPENSSL_free(t->crl_key[i].spki);
	free(t->crl_key);
	pthread_mutex_destroy(&t->cache_lock);
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->intermediates, X509_free);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t->ocsp_url);
	free(t->allow);
	free(t);
}

/* One reason code for each X509_V_ERR_* the chain check can end with. */
static int
chain_error(X509_STORE_CTX *ctx, struct sp_errinfo *ei)
{
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	const char *what = depth == 0 ? "the certificate" : "an issuing CA certificate";
	const char *text = X509_verify_cert_error_string(err);
	char subj[256] = "", issuer[256] = "";

	if (cur != NULL)
		subject_of(cur, subj, sizeof(subj));
	ERR_clear_error();
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return sp_err_reason(ei, SP_ERR_EXPIRED, CRYPTO_REASON_CERT_EXPIRED,
				     "%s (%s) has expired", what, subj);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return sp_err_reason(ei, SP_ERR_EXPIRED, CRYPTO_REASON_CERT_NOT_YET_VALID,
				     "%s (%s) is not valid yet", what, subj);
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		/* an issuing CA nobody handed over: say which, and where it was looked for */
		if (cur != NULL &&
		    trust_name_print(X509_get_issuer_name(cur), issuer, sizeof(issuer)) >= 0)
			return sp_err_reason(
				ei, SP_ERR_CRYPTO, CRYPTO_REASON_UNTRUSTED_ISSUER,
				"%s (%s): its issuer (%s) is neither a trusted root nor among the "
				"intermediate certificates at hand (those the signature or the "
				"login carries, the document's DSS, the configured intermediates)",
				what, subj, issuer);
		/* fall through */
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_UNTRUSTED_ISSUER,
				     "%s (%s) was not issued by a trusted CA (%s)", what, subj,
				     text);
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_CERT_SIGNATURE,
				     "the signature on %s (%s) is invalid: altered or forged", what,
				     subj);
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		return sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				     "%s (%s) has an unreadable validity period", what, subj);
	default:
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_CHAIN_INVALID,
				     "the certificate chain is invalid at %s (%s): %s", what, subj,
				     text);
	}
}

/*
 * RFC 5280 §4.2.1.12: a certificate with an extendedKeyUsage is for the
 * purposes it lists only. 1 when every one of them is a purpose other than
 * signing documents (a TLS server's, code signing, IPsec, ...), their
 * names then in `names`; a purpose that may sign documents (emailProtection,
 * clientAuth as organization tokens carry it, anyExtendedKeyUsage) or one
 * not known here (RFC 9336's id-kp-documentSigning, Adobe's or Microsoft's
 * document signing) keeps the certificate a signing one (0).
 */
static int
eku_excludes_documents(X509 *leaf, char *names, size_t cap)
{
	static const int other[] = {
		NID_server_auth, NID_code_sign, NID_time_stamp, NID_OCSP_sign,
		NID_dvcs,        NID_ns_sgc,    NID_ms_sgc,     NID_ipsec_IKE
	};
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, NULL, NULL);
	size_t k, used = 0;
	int i, nid, excludes = eku != NULL && sk_ASN1_OBJECT_num(eku) > 0;

	names[0] = '\0';
	for (i = 0; excludes && i < sk_ASN1_OBJECT_num(eku); i++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		for (k = 0; k < sizeof(other) / sizeof(other[0]) && other[k] != nid; k++)
			;
		if (k == sizeof(other) / sizeof(other[0]))
			excludes = 0;
		else if (used < cap)
			used += (size_t)snprintf(names + used, cap - used, "%s%s", i ? ", " : "",
						 OBJ_nid2sn(nid));
	}
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
	return excludes;
}

/* A signing certificate: keyUsage digitalSignature or nonRepudiation, not a CA,
 * not a key dedicated to timestamps or OCSP, nor one whose extendedKeyUsage
 * names only other purposes. */
static int
check_usage(X509 *leaf, struct sp_errinfo *ei)
{
	uint32_t ku, xku;
	char names[160];

	if (X509_get_ext_by_NID(leaf, NID_key_usage, -1) < 0)
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_BAD_KEY_USAGE,
				     "the certificate has no keyUsage; a signing certificate "
				     "must state digitalSignature or nonRepudiation");
	ku = X509_get_key_usage(leaf);
	if ((ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_BAD_KEY_USAGE,
				     "the certificate's keyUsage allows neither digitalSignature "
				     "nor nonRepudiation");
	if (X509_check_ca(leaf) != 0)
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_BAD_KEY_USAGE,
				     "a CA certificate cannot be used to sign");
	xku = X509_get_extended_key_usage(leaf);
	if (xku != UINT32_MAX && (xku & (XKU_TIMESTAMP | XKU_OCSP_SIGN)) != 0)
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_BAD_KEY_USAGE,
				     "the certificate is a timestamping or OCSP key, not a "
				     "signing certificate");
	if (eku_excludes_documents(leaf, names, sizeof(names)))
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_BAD_KEY_USAGE,
				     "the certificate's extendedKeyUsage (%s) is for other "
				     "purposes than signing documents, and for those only "
				     "(RFC 5280 §4.2.1.12)",
				     names);
	return SP_OK;
}

static const char *
source_name(enum crypto_rev_source s)
{
	return s == CRYPTO_REV_SRC_CRL   ? "the CRL"
	       : s == CRYPTO_REV_SRC_DSS ? "the document's embedded revocation data"
					 : "OCSP";
}

/* 1 when t's configured CRLs hold one issued under issuer's name (usable or not). */
static int
crl_of_issuer_held(const struct crypto_trust *t, X509 *issuer)
{
	int i;

	for (i = 0; i < sk_X509_CRL_num(t->crls); i++)
		if (X509_NAME_cmp(X509_CRL_get_issuer(sk_X509_CRL_value(t->crls, i)),
				  X509_get_subject_name(issuer)) == 0)
			return 1;
	return 0;
}

/*
 * The issuing CAs between the leaf and the root: refused when a usable CRL
 * from their own issuer lists them. Only CRLs count here (embedded or
 * configured): a root runs no responder, and an OCSP-only deployment's
 * responder speaks for the certificates of its CA, not for the CA. The
 * leaf's rule holds for the source a deployment has (RFC 5280 6.1.3
 * (a)(3) asks every certificate of the path; EN 319 102-1 lets a policy
 * set the sources per certificate): under require_revocation a CA whose
 * issuer's CRL the trust holds, but none current and verifiable (out of
 * date, a bad signature, a delta or partitioned one), is refused as a
 * leaf would be, not let through unchecked; with no CRL of its issuer
 * held, as in an OCSP-only deployment, no answer stays fine.
 */
static int
check_ca_revocation(struct crypto_trust *t, STACK_OF(X509) * chain, time_t at,
		    const struct crypto_evidence *ev, STACK_OF(X509) * untrusted,
		    struct sp_errinfo *ei)
{
	struct trust_rev rev;
	struct sp_errinfo ce;
	char subj[256];
	int i;

	for (i = 1; i + 1 < sk_X509_num(chain); i++) {
		sp_errinfo_init(&ce);
		if ((ev == NULL || trust_evidence_status(t, ev, sk_X509_value(chain, i),
							 sk_X509_value(chain, i + 1), untrusted, at,
							 &rev, &ce) != SP_OK) &&
		    trust_crl_status(t, sk_X509_value(chain, i), sk_X509_value(chain, i + 1), &rev,
				     &ce) != SP_OK) {
			if (!t->require_revocation ||
			    !crl_of_issuer_held(t, sk_X509_value(chain, i + 1)))
				continue;
			subject_of(sk_X509_value(chain, i), subj, sizeof(subj));
			return sp_err_reason(ei, SP_ERR_UNAVAILABLE,
					     CRYPTO_REASON_REVOCATION_UNKNOWN,
					     "the revocation status of the issuing CA certificate "
					     "(%s) is unknown (CRL: %s)",
					     subj, ce.msg);
		}
		if (rev.status != CRYPTO_REV_REVOKED)
			continue;
		if (at != 0 && rev.revoked_at > at)
			continue;
		subject_of(sk_X509_value(chain, i), subj, sizeof(subj));
		return sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_CERT_REVOKED,
				     "the issuing CA certificate (%s) was revoked (the CRL says "
				     "so)",
				     subj);
	}
	return SP_OK;
}

/* Revocation of chain[0] by its issuer chain[1]; fills res's rev_* fields. */
static int
check_revocation(struct crypto_trust *t, STACK_OF(X509) * chain, STACK_OF(X509) * untrusted,
		 time_t at, const struct crypto_evidence *ev, struct crypto_cert_result *res,
		 struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	X509 *leaf = sk_X509_value(chain, 0);
	X509 *issuer = sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : NULL;
	struct trust_rev rev;
	struct sp_errinfo oe, ce;
	int have = 0;
	char when[32] = "";
	struct tm tm;

	memset(&rev, 0, sizeof(rev));
	sp_errinfo_init(&oe);
	sp_errinfo_init(&ce);
	if (issuer == NULL) {
		/* Only a trust anchor itself: check_usage() refuses those first. */
		r = sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_CHAIN_INVALID,
				  "the certificate has no issuer in its chain");
		goto out;
	}
	/* embedded evidence first: it is what the signer's platform checked, and the
	   only answer left once the responder is gone */
	if (ev != NULL &&
	    trust_evidence_status(t, ev, leaf, issuer, untrusted, at, &rev, &oe) == SP_OK) {
		have = 1;
	} else if (t->ocsp) {
		if (trust_ocsp_status(t, leaf, issuer, untrusted, &rev, &oe) == SP_OK &&
		    rev.status != CRYPTO_REV_UNKNOWN)
			have = 1;
		else if (oe.code == SP_OK)
			sp_err(&oe, SP_ERR_NOT_FOUND,
			       "the responder does not know the certificate");
	} else {
		sp_err(&oe, SP_ERR_NOT_FOUND, "disabled");
	}
	if (!have) {
		memset(&rev, 0, sizeof(rev));
		if (trust_crl_status(t, leaf, issuer, &rev, &ce) == SP_OK)
			have = 1;
	}
	if (!have) {
		if (t->require_revocation) {
			r = sp_err_reason(ei, SP_ERR_UNAVAILABLE, CRYPTO_REASON_REVOCATION_UNKNOWN,
					  "the certificate's revocation status is unknown "
					  "(OCSP: %s; CRL: %s)",
					  oe.msg, ce.msg);
			goto out;
		}
		res->rev_status = t->ocsp || sk_X509_CRL_num(t->crls) > 0 ? CRYPTO_REV_UNKNOWN
									  : CRYPTO_REV_NOT_CHECKED;
		res->rev_source = CRYPTO_REV_SRC_NONE;
		r = SP_OK;
		goto out;
	}
	res->rev_status = rev.status;
	res->rev_source = rev.source;
	res->rev_item = rev.source == CRYPTO_REV_SRC_DSS ? rev.item : NULL;
	if (rev.status == CRYPTO_REV_REVOKED && (at == 0 || rev.revoked_at <= at)) {
		if (gmtime_r(&rev.revoked_at, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		r = sp_err_reason(ei, SP_ERR_CRYPTO, CRYPTO_REASON_CERT_REVOKED,
				  "the certificate was revoked on %s (%s says so)", when,
				  source_name(rev.source));
		goto out;
	}
	r = SP_OK;
out:
	return r;
}

void
crypto_trust_set_fetch_crls(struct crypto_trust *t, int on)
{
	t->fetch_crls = on != 0;
}

int
crypto_trust_set_url_policy(struct crypto_trust *t, int forbid_private, const char *allow,
			    struct sp_errinfo *ei)
{
	int r;

	if (allow != NULL && allow[0] != '\0' && (r = crypto_http_allow_check(allow, ei)) != SP_OK)
		return r;
	free(t->allow);
	t->allow = NULL;
	if (allow != NULL && allow[0] != '\0' && (t->allow = strdup(allow)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	t->forbid_private = forbid_private != 0;
	return SP_OK;
}

int
crypto_cert_check(struct crypto_trust *t, X509 *leaf, STACK_OF(X509) * extra, time_t at,
		  struct crypto_cert_result *res, struct sp_errinfo *ei)
{
	return crypto_cert_check_ev(t, leaf, extra, at, NULL, res, ei);
}

int
crypto_cert_check_ev(struct crypto_trust *t, X509 *leaf, STACK_OF(X509) * extra, time_t at,
		     const struct crypto_evidence *ev, struct crypto_cert_result *res,
		     struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	STACK_OF(X509) *untrusted = NULL, *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	int i, owned = 0;

	memset(res, 0, sizeof(*res));
	if (t == NULL || leaf == NULL) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_MALFORMED_CERT,
				  "no certificate to check");
		goto out;
	}
	if (extra != NULL && sk_X509_num(extra) > TRUST_EXTRA_MAX) {
		r = sp_err(ei, SP_ERR_LIMIT, "%d chain certificates (at most %d)",
			   sk_X509_num(extra), TRUST_EXTRA_MAX);
		goto out;
	}
	/* A shallow copy: the store's intermediates and the client's extras. */
	if ((untrusted = sk_X509_dup(t->intermediates)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; extra != NULL && i < sk_X509_num(extra); i++) {
		if (!sk_X509_push(untrusted, sk_X509_value(extra, i))) {
			r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
	}
	/* and the document's /DSS /Certs: PAdES B-LT keeps there what validates a
	   signature (EN 319 142-1 §5.4.2), its issuing CA too when the CMS holds
	   only the signer's certificate, as EU DSS and Acrobat extend files */
	if (ev != NULL && ev->n[PDF_DSS_CERTS] > 0) {
		STACK_OF(X509) *all = trust_evidence_certs(t, ev, untrusted);
		if (all == NULL) {
			r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
		sk_X509_free(untrusted);
		untrusted = all;
		owned = 1;
	}
	ERR_clear_error();
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, t->store, leaf, untrusted)) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "cannot set up the chain check");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_depth(param, TRUST_DEPTH_MAX);
	if (at != 0)
		X509_VERIFY_PARAM_set_time(param, at);
	if (X509_verify_cert(ctx) != 1) {
		r = chain_error(ctx, ei);
		goto out;
	}
	if ((chain = X509_STORE_CTX_get1_chain(ctx)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((r = check_usage(leaf, ei)) != SP_OK)
		goto out;
	if ((r = crypto_cert_info_get(leaf, &res->info, ei)) != SP_OK)
		goto out;
	if ((r = check_ca_revocation(t, chain, at, ev, untrusted, ei)) != SP_OK ||
	    (r = check_revocation(t, chain, untrusted, at, ev, res, ei)) != SP_OK)
		goto out;
	res->chain = chain;
	chain = NULL; /* transferred */
	r = SP_OK;
out:
	if (r != SP_OK)
		crypto_cert_result_cleanup(res);
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_CTX_free(ctx);
	if (owned)
		sk_X509_pop_free(untrusted, X509_free);
	else
		sk_X509_free(untrusted);
	return r;
}
