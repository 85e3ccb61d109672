/*
 * ocsp.c: revocation by OCSP (RFC 6960): a request with a nonce, POSTed with
 * crypto_http_post() under a hard timeout (this runs on a worker thread or
 * in the CLI), the response verified against the trust store, and a cache of
 * answers keyed by CertID until their nextUpdate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

struct trust_ocsp_entry {
	unsigned char key[32]; /* SHA-256 of the DER CertID */
	enum crypto_rev_status status;
	time_t revoked_at;
	int reason;
	time_t expires;     /* the response's nextUpdate */
	unsigned char *der; /* the response itself, kept as long-term evidence */
	size_t derlen;
};

void
trust_ocsp_cache_cleanup(struct crypto_trust *t)
{
	size_t i;

	for (i = 0; t->cache && i < t->ncache; i++)
		free(t->cache[i].der);
	free(t->cache);
	t->cache = NULL;
	t->ncache = 0;
}

void
trust_ocsp_cache_held(struct crypto_trust *t, size_t *n, size_t *bytes)
{
	size_t i;

	*n = *bytes = 0;
	pthread_mutex_lock(&t->cache_lock);
	for (i = 0; t->cache != NULL && i < t->ncache; i++) {
		*n += t->cache[i].der != NULL;
		*bytes += t->cache[i].derlen;
	}
	pthread_mutex_unlock(&t->cache_lock);
}

static int
cache_get(struct crypto_trust *t, const unsigned char *key, time_t now, struct trust_rev *rev,
	  unsigned char **der, size_t *derlen)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&t->cache_lock);
	for (i = 0; i < t->ncache; i++) {
		struct trust_ocsp_entry *e = &t->cache[i];

		if (memcmp(e->key, key, sizeof(e->key)) != 0)
			continue;
		if (e->expires > now) {
			rev->status = e->status;
			rev->revoked_at = e->revoked_at;
			rev->reason = e->reason;
			rev->source = CRYPTO_REV_SRC_OCSP_CACHE;
			found = 1;
			if (der != NULL) {
				/* a copy: the entry may be replaced once the lock is gone */
				if ((*der = malloc(e->derlen)) == NULL) {
					found = 0;
					break;
				}
				memcpy(*der, e->der, e->derlen);
				*derlen = e->derlen;
			}
		}
		break;
	}
	pthread_mutex_unlock(&t->cache_lock);
	return found;
}

/* Remember an answer; a full cache drops expired entries, then the soonest to expire. */
static void
cache_put(struct crypto_trust *t, const unsigned char *key, const struct trust_rev *rev,
	  time_t expires, time_t now, const struct sp_buf *der)
{
	size_t i, slot = SIZE_MAX, soonest = 0;
	unsigned char *copy = malloc(der->len);

	if (copy == NULL)
		return; /* no cache is slower, not wrong */
	memcpy(copy, der->data, der->len);

	pthread_mutex_lock(&t->cache_lock);
	if (t->cache == NULL &&
	    (t->cache = calloc(TRUST_OCSP_CACHE_MAX, sizeof(*t->cache))) == NULL)
		goto out; /* no cache is slower, not wrong */
	for (i = 0; i < t->ncache; i++) {
		if (memcmp(t->cache[i].key, key, sizeof(t->cache[i].key)) == 0 ||
		    t->cache[i].expires <= now) {
			slot = i;
			break;
		}
		if (t->cache[i].expires < t->cache[soonest].expires)
			soonest = i;
	}
	if (slot == SIZE_MAX)
		slot = t->ncache < TRUST_OCSP_CACHE_MAX ? t->ncache++ : soonest;
	free(t->cache[slot].der); /* NULL for a slot never used (calloc) */
	t->cache[slot].der = copy;
	t->cache[slot].derlen = der->len;
	copy = NULL; /* transferred */
	memcpy(t->cache[slot].key, key, sizeof(t->cache[slot].key));
	t->cache[slot].status = rev->status;
	t->cache[slot].revoked_at = rev->revoked_at;
	t->cache[slot].reason = rev->reason;
	t->cache[slot].expires = expires;
out:
	pthread_mutex_unlock(&t->cache_lock);
	free(copy);
}

/* The configured responder, else the leaf's first http(s) AIA OCSP URL. */
static int
responder_url(struct crypto_trust *t, X509 *leaf, char *out, size_t outsz, struct sp_errinfo *ei)
{
	STACK_OF(OPENSSL_STRING) *urls = NULL;
	int i, r = SP_ERR_NOT_FOUND;

	if (t->ocsp_url != NULL) {
		if (strlen(t->ocsp_url) >= outsz)
			return sp_err(ei, SP_ERR_CONFIG, "OCSP URL too long");
		snprintf(out, outsz, "%s", t->ocsp_url);
		return SP_OK;
	}
	urls = X509_get1_ocsp(leaf);
	for (i = 0; i < sk_OPENSSL_STRING_num(urls); i++) {
		const char *u = sk_OPENSSL_STRING_value(urls, i);

		if ((strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) &&
		    strlen(u) < outsz) {
			snprintf(out, outsz, "%s", u);
			r = SP_OK;
			break;
		}
	}
	X509_email_free(urls);
	if (r != SP_OK)
		sp_err(ei, SP_ERR_NOT_FOUND, "the certificate names no OCSP responder");
	return r;
}

/* Check a response to req about id and read the certificate's status. */
static int
read_response(struct crypto_trust *t, const struct sp_buf *resp, OCSP_REQUEST *req, OCSP_CERTID *id,
	      STACK_OF(X509) * untrusted, time_t now, struct trust_rev *rev, time_t *expires,
	      struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	const unsigned char *p = resp->data;
	OCSP_RESPONSE *rsp = NULL;
	OCSP_BASICRESP *bs = NULL;
	int st, status, reason = -1;
	time_t produced;
	ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL, *nextupd = NULL;

	*expires = 0;
	rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)resp->len);
	if (rsp == NULL || p != resp->data + resp->len) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "the OCSP response is malformed");
		goto out;
	}
	if ((st = OCSP_response_status(rsp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		r = sp_err(ei, SP_ERR_UNAVAILABLE, "the OCSP responder refused: %s",
			   OCSP_response_status_str(st));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(rsp)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL,
				 "the OCSP response has no basic response");
		goto out;
	}
	/* Signed by the issuer or by a responder it delegated (EKU OCSPSigning),
	 * chaining to our roots. */
	if (OCSP_basic_verify(bs, untrusted, t->store, 0) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL,
				 "the OCSP response's signature is not trusted");
		goto out;
	}
	/* A responder that echoes no nonce (pre-produced responses) is accepted
	 * on the freshness of thisUpdate; a different nonce is a replay. */
	if (OCSP_check_nonce(req, bs) == 0) {
		r = sp_err(ei, SP_ERR_CRYPTO,
			   "the OCSP response's nonce does not match the request");
		goto out;
	}
	if (!OCSP_resp_find_status(bs, id, &status, &reason, &revtime, &thisupd, &nextupd)) {
		r = sp_err(ei, SP_ERR_CRYPTO, "the OCSP response is about another certificate");
		goto out;
	}
	if (!OCSP_check_validity(thisupd, nextupd, TRUST_CLOCK_SKEW, -1)) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL,
				 "the OCSP response is stale or from the future");
		goto out;
	}
	ERR_clear_error();
	rev->reason = reason;
	rev->source = CRYPTO_REV_SRC_OCSP;
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		rev->status = CRYPTO_REV_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		rev->status = CRYPTO_REV_REVOKED;
		if ((rev->revoked_at = trust_asn1_time(revtime)) == (time_t)-1) {
			r = sp_err(ei, SP_ERR_CRYPTO, "the OCSP revocation time is unreadable");
			goto out;
		}
		break;
	default:
		rev->status = CRYPTO_REV_UNKNOWN;
		break;
	}
	/* the check a DSS holding these bytes gets (at their producedAt), made on this parse:
	   the completion that embeds them (ltv_extend takes them from this fetch or its
	   cache) finds them checked, not parsed and verified again (ltv.c ocsp_answer) */
	(void)trust_ocsp_verified_keep(t, resp->data, resp->len, bs, untrusted, &produced);
	/* Without nextUpdate newer information may exist at any time: never cached. */
	if (nextupd != NULL && rev->status != CRYPTO_REV_UNKNOWN) {
		*expires = trust_asn1_time(nextupd);
		if (*expires == (time_t)-1 || *expires <= now)
			*expires = 0;
	}
	r = SP_OK;
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
	return r;
}

int
trust_ocsp_status(struct crypto_trust *t, X509 *leaf, X509 *issuer, STACK_OF(X509) * untrusted,
		  struct trust_rev *rev, struct sp_errinfo *ei)
{
	return trust_ocsp_query(t, leaf, issuer, untrusted, rev, NULL, NULL, ei);
}

int
trust_ocsp_query(struct crypto_trust *t, X509 *leaf, X509 *issuer, STACK_OF(X509) * untrusted,
		 struct trust_rev *rev, unsigned char **der_out, size_t *derlen_out,
		 struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	OCSP_CERTID *id = NULL, *idref = NULL;
	OCSP_REQUEST *req = NULL;
	unsigned char *der = NULL, *reqder = NULL;
	unsigned char key[32];
	unsigned int keylen = 0;
	int n, reqlen;
	struct crypto_http_req hq;
	struct crypto_http_resp resp;
	char url[1024];
	time_t now = time(NULL), expires = 0;

	memset(rev, 0, sizeof(*rev));
	rev->reason = -1;
	memset(&resp, 0, sizeof(resp));
	if (der_out != NULL) {
		*der_out = NULL;
		*derlen_out = 0;
	}
	if ((id = OCSP_cert_to_id(NULL, leaf, issuer)) == NULL ||
	    (n = i2d_OCSP_CERTID(id, &der)) <= 0 ||
	    !EVP_Digest(der, (size_t)n, key, &keylen, cms_digest_md(CRYPTO_DIGEST_SHA256), NULL)) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot make the OCSP certificate ID");
		goto out;
	}
	if (cache_get(t, key, now, rev, der_out, derlen_out)) {
		r = SP_OK;
		goto out;
	}
	if ((r = responder_url(t, leaf, url, sizeof(url), ei)) != SP_OK)
		goto out;
	if ((req = OCSP_REQUEST_new()) == NULL || OCSP_request_add0_id(req, id) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "cannot make the OCSP request");
		goto out;
	}
	idref = id; /* still needed to find the answer */
	id = NULL;  /* transferred to req */
	if (!OCSP_request_add1_nonce(req, NULL, -1) ||
	    (reqlen = i2d_OCSP_REQUEST(req, &reqder)) <= 0) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot encode the OCSP request");
		goto out;
	}
	memset(&hq, 0, sizeof(hq));
	hq.url = url;
	hq.content_type = "application/ocsp-request";
	hq.body = reqder;
	hq.body_len = (size_t)reqlen;
	hq.timeout_ms = t->timeout_ms;
	hq.max_response = TRUST_OCSP_RESPONSE_MAX;
	/* a responder the certificate names is someone else's choice of address */
	hq.forbid_private = t->forbid_private && t->ocsp_url == NULL;
	hq.allow = t->allow;
	if ((r = crypto_http_post(&hq, &resp, ei)) != SP_OK)
		goto out;
	if (resp.status != 200) {
		r = sp_err(ei, SP_ERR_UNAVAILABLE, "%s answered HTTP %ld", url, resp.status);
		goto out;
	}
	if ((r = read_response(t, &resp.body, req, idref, untrusted, now, rev, &expires, ei)) !=
	    SP_OK)
		goto out;
	if (expires != 0)
		cache_put(t, key, rev, expires, now, &resp.body);
	if (der_out != NULL) {
		if ((*der_out = malloc(resp.body.len)) == NULL) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(*der_out, resp.body.data, resp.body.len);
		*derlen_out = resp.body.len;
	}
	r = SP_OK;
out:
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
	OPENSSL_free(reqder);
	crypto_http_resp_cleanup(&resp);
	return r;
}
