/*
 * ts_client.c: asking a TSA for an RFC 3161 token over the signature value
 * (PAdES B-T) and checking every answer before it is embedded. The checks
 * are the same for the built-in TSA and an external one.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

int
crypto_ts_query_new(const uint8_t *what, size_t whatlen, uint64_t *nonce, uint8_t **query,
		    size_t *querylen, struct sp_errinfo *ei)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;

	if (nonce != NULL)
		*nonce = 0;
	*query = NULL;
	*querylen = 0;
	if (what == NULL || whatlen == 0)
		return sp_err(ei, SP_ERR_INVALID, "nothing to timestamp");
	if (EVP_Digest(what, whatlen, h, &hlen, cms_digest_md(CRYPTO_DIGEST_SHA256), NULL) != 1 ||
	    hlen != 32)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "SHA-256 failed");
	return crypto_ts_query_new_digest(h, nonce, query, querylen, ei);
}

int
crypto_ts_query_new_digest(const uint8_t sha256[32], uint64_t *nonce, uint8_t **query,
			   size_t *querylen, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *mi = NULL;
	X509_ALGOR *algo = NULL;
	ASN1_INTEGER *an = NULL;
	unsigned char h[32];
	unsigned int hlen = 32;
	unsigned char rnd[8];
	unsigned char *obuf = NULL;
	uint64_t nv = 0;
	int n;

	if (nonce != NULL)
		*nonce = 0;
	*query = NULL;
	*querylen = 0;
	memcpy(h, sha256, sizeof(h));
	/* A zero nonce would read as "no nonce" to careless TSAs. */
	do {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "no random bytes for the nonce");
			goto out;
		}
		nv = sp_load_be64(rnd);
	} while (nv == 0);
	if ((req = TS_REQ_new()) == NULL || (mi = TS_MSG_IMPRINT_new()) == NULL ||
	    (algo = X509_ALGOR_new()) == NULL || (an = ASN1_INTEGER_new()) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	/* sha256 with an explicit NULL parameter, as `openssl ts -query`
	 * sends it: the form every TSA accepts. */
	if (X509_ALGOR_set0(algo, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) != 1 ||
	    TS_MSG_IMPRINT_set_algo(mi, algo) != 1 ||
	    TS_MSG_IMPRINT_set_msg(mi, h, (int)hlen) != 1 || TS_REQ_set_version(req, 1) != 1 ||
	    TS_REQ_set_msg_imprint(req, mi) != 1 || ASN1_INTEGER_set_uint64(an, nv) != 1 ||
	    TS_REQ_set_nonce(req, an) != 1 || TS_REQ_set_cert_req(req, 1) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot build the timestamp query");
		goto out;
	}
	n = i2d_TS_REQ(req, &obuf);
	if ((r = cms_ossl_to_malloc(obuf, n, query, querylen, ei)) != SP_OK)
		goto out;
	if (nonce != NULL)
		*nonce = nv;
	r = SP_OK;
out:
	ASN1_INTEGER_free(an);
	X509_ALGOR_free(algo);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return r;
}

/* "application/timestamp-reply", optionally with parameters. */
static int
content_type_ok(const char *ct)
{
	static const char *const ok[] = { "application/timestamp-reply",
					  /* the pre-RFC draft name some TSAs still send */
					  "application/timestamp-response" };
	size_t i, n;

	if (ct == NULL)
		return 0;
	for (i = 0; i < SP_ARRAY_LEN(ok); i++) {
		n = strlen(ok[i]);
		if (strncasecmp(ct, ok[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return 1;
	}
	return 0;
}

int
crypto_ts_fetch(const char *url, const uint8_t *query, size_t querylen, long timeout_ms,
		const char *username, const char *password, const char *ca_file, uint8_t **resp,
		size_t *resplen, struct sp_errinfo *ei)
{
	static const char *const accept[] = { "Accept: application/timestamp-reply", NULL };
	struct crypto_http_req hq;
	struct crypto_http_resp hr;
	int r = SP_ERR_INTERNAL;

	*resp = NULL;
	*resplen = 0;
	memset(&hr, 0, sizeof(hr));
	if (url == NULL ||
	    (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
		r = sp_err(ei, SP_ERR_CONFIG, "TSA URL must be http:// or https://");
		goto out;
	}
	if (query == NULL || querylen == 0 || querylen > CRYPTO_TS_QUERY_MAX) {
		r = sp_err(ei, SP_ERR_INVALID, "timestamp query of %zu bytes", querylen);
		goto out;
	}
	if (timeout_ms <= 0 || timeout_ms > CRYPTO_HTTP_TIMEOUT_MAX_MS) {
		r = sp_err(ei, SP_ERR_CONFIG, "TSA timeout of %ld ms (1..%ld accepted)", timeout_ms,
			   CRYPTO_HTTP_TIMEOUT_MAX_MS);
		goto out;
	}
	if ((username == NULL) != (password == NULL)) {
		r = sp_err(ei, SP_ERR_CONFIG,
			   "TSA credentials need both a username and a password");
		goto out;
	}
	/* Basic auth over plain HTTP would hand the password to anyone on the path. */
	if (username != NULL && strncasecmp(url, "https://", 8) != 0) {
		r = sp_err(ei, SP_ERR_CONFIG, "TSA credentials are only sent over https://");
		goto out;
	}
	memset(&hq, 0, sizeof(hq));
	hq.url = url;
	hq.who = "TSA";
	hq.content_type = "application/timestamp-query";
	hq.headers = accept;
	hq.body = query;
	hq.body_len = querylen;
	hq.timeout_ms = timeout_ms;
	hq.max_response = CRYPTO_TS_RESP_MAX;
	hq.username = username;
	hq.password = password;
	hq.ca_file = ca_file;
	if ((r = crypto_http_post(&hq, &hr, ei)) != SP_OK)
		goto out;
	if (hr.status != 200) {
		r = sp_err(ei, SP_ERR_UNAVAILABLE, "TSA answered HTTP %ld", hr.status);
		goto out;
	}
	if (!content_type_ok(hr.content_type)) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "ts_malformed",
				  "TSA answered with content type \"%s\", not "
				  "application/timestamp-reply",
				  hr.content_type);
		goto out;
	}
	if (hr.body.len == 0) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "ts_malformed", "TSA answered with no body");
		goto out;
	}
	*resp = sp_buf_take(&hr.body, resplen);
	r = SP_OK;
out:
	crypto_http_resp_cleanup(&hr);
	return r;
}

/* Critical extendedKeyUsage of timeStamping only (RFC 3161 §2.3). */
static int
check_ts_eku(X509 *x, struct sp_errinfo *ei)
{
	int i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);

	if (i < 0 || !(X509_get_extension_flags(x) & EXFLAG_XKUSAGE) ||
	    !X509_EXTENSION_get_critical(X509_get_ext(x, i)) ||
	    X509_get_extended_key_usage(x) != XKU_TIMESTAMP)
		/* cms_err_ossl: an unparsable extension leaves an error queued. */
		return cms_err_ossl(ei, SP_ERR_CRYPTO, "ts_bad_eku",
				    "the TSA certificate lacks a critical timeStamping-only "
				    "extendedKeyUsage");
	return SP_OK;
}

static int
check_status(TS_RESP *rsp, struct sp_errinfo *ei)
{
	TS_STATUS_INFO *si = TS_RESP_get_status_info(rsp);
	const STACK_OF(ASN1_UTF8STRING) * text;
	const ASN1_BIT_STRING *fi;
	char why[128] = "";
	int64_t st;

	/* A status too large for an int64 is malformed, and its error is drained. */
	if (ASN1_INTEGER_get_int64(&st, TS_STATUS_INFO_get0_status(si)) != 1)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, "ts_malformed",
				    "the TSA's status is not a small integer");
	if (st == TS_STATUS_GRANTED || st == TS_STATUS_GRANTED_WITH_MODS)
		return SP_OK;
	text = TS_STATUS_INFO_get0_text(si);
	if (sk_ASN1_UTF8STRING_num(text) > 0) {
		const ASN1_UTF8STRING *t = sk_ASN1_UTF8STRING_value(text, 0);
		int n = ASN1_STRING_length(t);

		if (n > (int)sizeof(why) - 1)
			n = (int)sizeof(why) - 1;
		memcpy(why, ASN1_STRING_get0_data(t), (size_t)n);
		why[n] = '\0';
	}
	fi = TS_STATUS_INFO_get0_failure_info(si);
	return sp_err_reason(ei, SP_ERR_CRYPTO, "ts_rejected",
			     "the TSA refused: status %lld%s%s%s%s", (long long)st,
			     why[0] ? ", " : "", why,
			     fi && ASN1_BIT_STRING_get_bit(fi, TS_INFO_BAD_DATA_FORMAT)
				     ? " (badDataFormat)"
				     : "",
			     fi && ASN1_BIT_STRING_get_bit(fi, TS_INFO_BAD_ALG) ? " (badAlg)" : "");
}

static int
check_match(TS_REQ *req, TS_TST_INFO *info, struct sp_errinfo *ei)
{
	TS_MSG_IMPRINT *qm = TS_REQ_get_msg_imprint(req), *tm = TS_TST_INFO_get_msg_imprint(info);
	const ASN1_OBJECT *qa, *ta;
	const ASN1_INTEGER *qn = TS_REQ_get_nonce(req), *tn = TS_TST_INFO_get_nonce(info);

	X509_ALGOR_get0(&qa, NULL, NULL, TS_MSG_IMPRINT_get_algo(qm));
	X509_ALGOR_get0(&ta, NULL, NULL, TS_MSG_IMPRINT_get_algo(tm));
	/* Algorithm parameters (absent or NULL) are not compared: both mean none. */
	if (OBJ_cmp(qa, ta) != 0 ||
	    ASN1_OCTET_STRING_cmp(TS_MSG_IMPRINT_get_msg(qm), TS_MSG_IMPRINT_get_msg(tm)) != 0)
		return sp_err_reason(ei, SP_ERR_CRYPTO, "ts_imprint_mismatch",
				     "the timestamp is not over the data that was sent");
	if (qn != NULL && (tn == NULL || ASN1_INTEGER_cmp(qn, tn) != 0))
		return sp_err_reason(ei, SP_ERR_CRYPTO, "ts_nonce_mismatch",
				     "the timestamp does not answer this query (nonce differs)");
	return SP_OK;
}

/* The chain of the token's signer to trust, at the current time. */
static int
check_chain(X509_STORE *trust, X509 *signer, STACK_OF(X509) * untrusted, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	X509_STORE_CTX *ctx = NULL;

	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, trust, signer, untrusted) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_TIMESTAMP_SIGN) != 1) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "cannot set up chain verification");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, "ts_untrusted", "the TSA is not trusted: %s",
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	r = SP_OK;
out:
	X509_STORE_CTX_free(ctx);
	return r;
}

/*
 * Signature, ESS certificate id and version through OpenSSL's verifier.
 * Without a trust store the token's own signer certificate is the anchor,
 * so the signature and the timestamp purpose are still checked.
 */
static int
check_signature(TS_RESP *rsp, X509_STORE *trust, X509 *signer, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	TS_VERIFY_CTX *v = NULL;
	X509_STORE *store = NULL;

	if (trust != NULL) {
		/* OpenSSL 3.0's TS_VERIFY_CTX frees its store: give it a reference. */
		if (X509_STORE_up_ref(trust) != 1) {
			r = cms_err_ossl(ei, SP_ERR_INTERNAL, NULL, "X509_STORE_up_ref failed");
			goto out;
		}
		store = trust;
	} else if ((store = X509_STORE_new()) == NULL || X509_STORE_add_cert(store, signer) != 1 ||
		   X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN) != 1) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "cannot set up token verification");
		goto out;
	}
	if ((v = TS_VERIFY_CTX_new()) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	TS_VERIFY_CTX_set_store(v, store);
	store = NULL; /* transferred */
	TS_VERIFY_CTX_set_flags(v, TS_VFY_SIGNATURE | TS_VFY_VERSION);
	if (TS_RESP_verify_response(v, rsp) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, "ts_bad_signature",
				 "the timestamp token does not verify");
		goto out;
	}
	r = SP_OK;
out:
	X509_STORE_free(store);
	TS_VERIFY_CTX_free(v);
	return r;
}

int
crypto_ts_response_check(const uint8_t *resp, size_t resplen, const uint8_t *query, size_t querylen,
			 X509_STORE *trust, uint8_t **token, size_t *tokenlen, time_t *gen_time,
			 struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	const unsigned char *p;
	TS_RESP *rsp = NULL;
	TS_REQ *req = NULL;
	PKCS7 *p7;
	TS_TST_INFO *info;
	STACK_OF(X509) *signers = NULL, *certs;
	X509 *signer;
	struct tm tm;
	time_t gt, now;
	unsigned char *obuf = NULL;
	int n;

	if (token != NULL) {
		*token = NULL;
		*tokenlen = 0;
	}
	if (gen_time != NULL)
		*gen_time = 0;
	p = query;
	if (query == NULL || querylen == 0 || querylen > CRYPTO_TS_QUERY_MAX ||
	    (req = d2i_TS_REQ(NULL, &p, (long)querylen)) == NULL || p != query + querylen) {
		r = cms_err_ossl(ei, SP_ERR_INVALID, NULL, "the timestamp query is malformed");
		goto out;
	}
	p = resp;
	if (resp == NULL || resplen == 0 || resplen > CRYPTO_TS_RESP_MAX ||
	    (rsp = d2i_TS_RESP(NULL, &p, (long)resplen)) == NULL || p != resp + resplen) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, "ts_malformed",
				 "the TSA response is not a DER TimeStampResp");
		goto out;
	}
	if ((r = check_status(rsp, ei)) != SP_OK)
		goto out;
	if ((p7 = TS_RESP_get_token(rsp)) == NULL || (info = TS_RESP_get_tst_info(rsp)) == NULL ||
	    !PKCS7_type_is_signed(p7)) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "ts_malformed",
				  "the TSA granted but sent no usable token");
		goto out;
	}
	if ((r = check_match(req, info, ei)) != SP_OK)
		goto out;
	certs = p7->d.sign->cert;
	if ((signers = PKCS7_get0_signers(p7, NULL, 0)) == NULL || sk_X509_num(signers) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, "ts_malformed",
				 "the token does not carry its TSA certificate");
		goto out;
	}
	signer = sk_X509_value(signers, 0);
	if ((r = check_ts_eku(signer, ei)) != SP_OK)
		goto out;
	if (trust != NULL && (r = check_chain(trust, signer, certs, ei)) != SP_OK)
		goto out;
	if ((r = check_signature(rsp, trust, signer, ei)) != SP_OK)
		goto out;
	/* the token answers a query just sent: its time is now, give or take the
	   clocks' difference and the request's time; the signature is judged at it
	   (a certificate revoked or expired since passes), so a TSA that lags or
	   backdates is no witness */
	if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(info), &tm) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, "ts_malformed", "bad genTime");
		goto out;
	}
	gt = timegm(&tm);
	now = time(NULL);
	if (gt < now - CRYPTO_TS_LAG_MAX || gt > now + CRYPTO_TS_AHEAD_MAX) {
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "ts_time_implausible",
				  "the TSA's time is %+lld s from ours (at most -%d/+%d s)",
				  (long long)(gt - now), CRYPTO_TS_LAG_MAX, CRYPTO_TS_AHEAD_MAX);
		goto out;
	}
	if (gen_time != NULL)
		*gen_time = gt;
	if (token != NULL) {
		n = i2d_PKCS7(p7, &obuf);
		r = cms_ossl_to_malloc(obuf, n, token, tokenlen, ei);
		obuf = NULL; /* transferred */
		if (r != SP_OK)
			goto out;
	}
	r = SP_OK;
out:
	sk_X509_free(signers); /* the certificates belong to the token */
	TS_RESP_free(rsp);
	TS_REQ_free(req);
	return r;
}

#define TRUST_FILE_MAX (1024 * 1024)
#define TRUST_CERTS_MAX 256

int
crypto_ts_trust_load(const char *pem_path, X509_STORE **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	unsigned char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	STACK_OF(X509_INFO) *infos = NULL;
	X509_STORE *st = NULL;
	X509_INFO *xi;
	struct cert_sigcache *sigs = NULL;
	int i, n = 0;

	*out = NULL;
	if (pem_path == NULL) {
		r = sp_err(ei, SP_ERR_CONFIG, "no TSA trust file given");
		goto out;
	}
	if ((r = sp_file_read(pem_path, TRUST_FILE_MAX, &data, &len, ei)) != SP_OK)
		goto out;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL || (st = X509_STORE_new()) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CONFIG, NULL, "%s: not a PEM certificate file",
				 pem_path);
		goto out;
	}
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (xi->x509 == NULL)
			continue;
		if (++n > TRUST_CERTS_MAX) {
			r = sp_err(ei, SP_ERR_CONFIG, "%s: more than %d certificates", pem_path,
				   TRUST_CERTS_MAX);
			goto out;
		}
		if (X509_STORE_add_cert(st, xi->x509) != 1) {
			r = cms_err_ossl(ei, SP_ERR_CONFIG, NULL, "%s: certificate %d not usable",
					 pem_path, n);
			goto out;
		}
	}
	if (n == 0) {
		r = sp_err(ei, SP_ERR_CONFIG, "%s: no certificate in the file", pem_path);
		goto out;
	}
	/* every token's chain is checked against it, twice per signing: the
	   certificate signatures verified once (cert_sig.c) */
	if ((sigs = cert_sigcache_new(TRUST_SIG_CACHE_MAX)) == NULL ||
	    !cert_sigcache_attach(st, sigs)) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "cannot set up the signature cache");
		goto out;
	}
	*out = st;
	st = NULL; /* transferred */
	r = SP_OK;
out:
	cert_sigcache_free(sigs); /* the store holds its own reference */
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	X509_STORE_free(st);
	BIO_free(bio);
	free(data);
	return r;
}

/*
 * When the algorithms of a token stop proving anything, after NIST SP 800-57
 * Part 1 Rev. 5 (Table 4): below 112 bits of security strength (RSA < 2048,
 * SHA-1 signatures) they already have (0); at 112 bits (RSA-2048, P-224,
 * SHA-224) they are acceptable through 2030; from 128 bits on no end is
 * foreseen ((time_t)-1). The weakest of the TSA key, the token's signature
 * digest and its message imprint digest decides.
 */
#define SUNSET_112 ((time_t)1924991999) /* 2030-12-31T23:59:59Z */

static int
strength_of_digest(int nid)
{
	const EVP_MD *md = EVP_get_digestbynid(nid);

	if (nid == NID_sha1 || nid == NID_md5 || !md)
		return 80; /* collisions are practical or the digest is unknown */
	/* collision resistance: half the output, as SP 800-57 counts it for signatures */
	return EVP_MD_get_size(md) * 4;
}

static time_t
sunset_of(int bits)
{
	if (bits < 112)
		return 0;
	return bits < 128 ? SUNSET_112 : (time_t)-1;
}

static time_t
token_sunset(PKCS7 *p7, X509 *tsa)
{
	STACK_OF(PKCS7_SIGNER_INFO) *sis = PKCS7_get_signer_info(p7);
	PKCS7_SIGNER_INFO *si =
		sk_PKCS7_SIGNER_INFO_num(sis) == 1 ? sk_PKCS7_SIGNER_INFO_value(sis, 0) : NULL;
	TS_TST_INFO *info = PKCS7_to_TS_TST_INFO(p7);
	EVP_PKEY *pk = X509_get0_pubkey(tsa);
	int bits = pk ? EVP_PKEY_get_security_bits(pk) : 0, b;

	if (si && (b = strength_of_digest(OBJ_obj2nid(si->digest_alg->algorithm))) < bits)
		bits = b;
	if (info) {
		const X509_ALGOR *a = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(info));

		if ((b = strength_of_digest(OBJ_obj2nid(a->algorithm))) < bits)
			bits = b;
	} else {
		bits = 0;
	}
	TS_TST_INFO_free(info);
	return sunset_of(bits);
}

int
crypto_ts_token_tsa_expiry(const struct crypto_trust *t, const uint8_t *tok, size_t toklen,
			   time_t *not_after, struct sp_errinfo *ei)
{
	size_t used = 0;
	PKCS7 *p7 = cert_cache_pkcs7_d2i(t ? t->certs : NULL, tok, toklen, &used);
	STACK_OF(X509) *signers = NULL;
	time_t sunset;
	int r = SP_ERR_INVALID;

	*not_after = 0;
	if (p7 && PKCS7_type_is_signed(p7) && (signers = PKCS7_get0_signers(p7, NULL, 0)) &&
	    sk_X509_num(signers) == 1) {
		*not_after = trust_asn1_time(X509_get0_notAfter(sk_X509_value(signers, 0)));
		if (*not_after != (time_t)-1) {
			r = SP_OK;
			sunset = token_sunset(p7, sk_X509_value(signers, 0));
			if (sunset != (time_t)-1 && sunset < *not_after)
				*not_after = sunset;
		}
	}
	ERR_clear_error();
	sk_X509_free(signers);
	PKCS7_free(p7);
	if (r != SP_OK) {
		*not_after = 0;
		return sp_err(ei, SP_ERR_INVALID, "the timestamp token names no TSA certificate");
	}
	return SP_OK;
}
