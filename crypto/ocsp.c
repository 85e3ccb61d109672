/*
 * ocsp.c: revocation by OCSP (RFC 6960): a request with a nonce, POSTed with
 * libcurl's easy interface under a hard timeout (this runs on a worker
 * thread), the response verified against the trust store, and a cache of
 * answers keyed by CertID until their nextUpdate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
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
	time_t expires;        /* the response's nextUpdate */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void
curl_init_once(void)
{
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void
trust_ocsp_cache_cleanup(struct crypto_trust *t)
{
	free(t->cache);
	t->cache = NULL;
	t->ncache = 0;
}

static int
cache_get(struct crypto_trust *t, const unsigned char *key, time_t now, struct trust_rev *rev)
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
		}
		break;
	}
	pthread_mutex_unlock(&t->cache_lock);
	return found;
}

/* Remember an answer; a full cache drops expired entries, then the soonest to expire. */
static void
cache_put(struct crypto_trust *t, const unsigned char *key, const struct trust_rev *rev,
	  time_t expires, time_t now)
{
	size_t i, slot = SIZE_MAX, soonest = 0;

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
	memcpy(t->cache[slot].key, key, sizeof(t->cache[slot].key));
	t->cache[slot].status = rev->status;
	t->cache[slot].revoked_at = rev->revoked_at;
	t->cache[slot].reason = rev->reason;
	t->cache[slot].expires = expires;
out:
	pthread_mutex_unlock(&t->cache_lock);
}

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
	struct sp_buf *b = ud;

	if (sp_buf_add(b, p, size * n) != SP_OK)
		return 0; /* over the cap: curl aborts the transfer */
	return size * n;
}

int
trust_http_post(const char *url, const char *who, const char *ctype, const char *accept,
		const void *body, size_t len, long timeout_ms, const char *user, const char *pass,
		struct sp_buf *resp, char *resp_ctype, size_t ctsz, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	CURL *c = NULL;
	struct curl_slist *hdrs = NULL, *h2;
	char hdr[128], errbuf[CURL_ERROR_SIZE] = "";
	char *got = NULL;
	CURLcode cc;
	long status = 0;

	if (resp_ctype != NULL && ctsz > 0)
		resp_ctype[0] = '\0';
	pthread_once(&curl_once, curl_init_once);
	if (!curl_ready) {
		r = sp_err(ei, SP_ERR_INTERNAL, "libcurl cannot be initialised");
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
	if ((c = curl_easy_init()) == NULL || (hdrs = curl_slist_append(NULL, hdr)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "cannot set up the HTTP client");
		goto out;
	}
	if (accept != NULL) {
		snprintf(hdr, sizeof(hdr), "Accept: %s", accept);
		if ((h2 = curl_slist_append(hdrs, hdr)) == NULL) {
			r = sp_err(ei, SP_ERR_NOMEM, "cannot set up the HTTP client");
			goto out;
		}
		hdrs = h2;
	}
	/* NOSIGNAL: the resolver's alarm() must not hit other threads. */
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)resp->max) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK) {
		r = sp_err(ei, SP_ERR_INTERNAL, "cannot set up the HTTP client");
		goto out;
	}
	if (user != NULL &&
	    (curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK ||
	     curl_easy_setopt(c, CURLOPT_USERNAME, user) != CURLE_OK ||
	     curl_easy_setopt(c, CURLOPT_PASSWORD, pass) != CURLE_OK)) {
		r = sp_err(ei, SP_ERR_INTERNAL, "cannot set the %s credentials", who);
		goto out;
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		r = sp_err(ei, SP_ERR_TIMEOUT, "%s did not answer within %ld ms", who, timeout_ms);
		goto out;
	}
	/* The sink refuses past the cap (WRITE_ERROR); a declared length
	 * over it stops the transfer before (FILESIZE_EXCEEDED). */
	if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED) {
		r = sp_err(ei, SP_ERR_TOO_LARGE, "%s: response larger than %zu bytes", who,
			   resp->max);
		goto out;
	}
	if (cc != CURLE_OK) {
		r = sp_err(ei, SP_ERR_UNAVAILABLE, "%s unreachable: %s", who,
			   errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		r = sp_err(ei, SP_ERR_UNAVAILABLE, "%s answered HTTP %ld", who, status);
		goto out;
	}
	if (resp_ctype != NULL && ctsz > 0 &&
	    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &got) == CURLE_OK && got != NULL)
		snprintf(resp_ctype, ctsz, "%s", got);
	r = SP_OK;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return r;
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
read_response(struct crypto_trust *t, const struct sp_buf *resp, OCSP_REQUEST *req,
	      OCSP_CERTID *id, STACK_OF(X509) *untrusted, time_t now, struct trust_rev *rev,
	      time_t *expires, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	const unsigned char *p = resp->data;
	OCSP_RESPONSE *rsp = NULL;
	OCSP_BASICRESP *bs = NULL;
	int st, status, reason = -1;
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
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "the OCSP response has no basic response");
		goto out;
	}
	/* Signed by the issuer or by a responder it delegated (EKU OCSPSigning),
	 * chaining to our roots. */
	if (OCSP_basic_verify(bs, untrusted, t->store, 0) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "the OCSP response's signature is not trusted");
		goto out;
	}
	/* A responder that echoes no nonce (pre-produced responses) is accepted
	 * on the freshness of thisUpdate; a different nonce is a replay. */
	if (OCSP_check_nonce(req, bs) == 0) {
		r = sp_err(ei, SP_ERR_CRYPTO, "the OCSP response's nonce does not match the request");
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
trust_ocsp_status(struct crypto_trust *t, X509 *leaf, X509 *issuer, STACK_OF(X509) *untrusted,
		  struct trust_rev *rev, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	OCSP_CERTID *id = NULL, *idref = NULL;
	OCSP_REQUEST *req = NULL;
	unsigned char *der = NULL, *reqder = NULL;
	unsigned char key[32];
	unsigned int keylen = 0;
	int n, reqlen;
	struct sp_buf resp;
	char url[1024];
	time_t now = time(NULL), expires = 0;

	memset(rev, 0, sizeof(*rev));
	rev->reason = -1;
	sp_buf_init(&resp, TRUST_OCSP_RESPONSE_MAX);
	if ((id = OCSP_cert_to_id(NULL, leaf, issuer)) == NULL ||
	    (n = i2d_OCSP_CERTID(id, &der)) <= 0 ||
	    !EVP_Digest(der, (size_t)n, key, &keylen, EVP_sha256(), NULL)) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot make the OCSP certificate ID");
		goto out;
	}
	if (cache_get(t, key, now, rev)) {
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
	id = NULL; /* transferred to req */
	if (!OCSP_request_add1_nonce(req, NULL, -1) ||
	    (reqlen = i2d_OCSP_REQUEST(req, &reqder)) <= 0) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot encode the OCSP request");
		goto out;
	}
	if ((r = trust_http_post(url, url, "application/ocsp-request", NULL, reqder,
				 (size_t)reqlen, t->timeout_ms, NULL, NULL, &resp, NULL, 0, ei)) !=
	    SP_OK)
		goto out;
	if ((r = read_response(t, &resp, req, idref, untrusted, now, rev, &expires, ei)) != SP_OK)
		goto out;
	if (expires != 0)
		cache_put(t, key, rev, expires, now);
	r = SP_OK;
out:
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
	OPENSSL_free(reqder);
	sp_buf_cleanup(&resp);
	return r;
}
