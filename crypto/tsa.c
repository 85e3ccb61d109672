/*
 * tsa.c: the built-in RFC 3161 time-stamping authority over OpenSSL's TS
 * API. The loaded key and certificates are never modified after
 * crypto_tsa_new(), and every response gets its own TS_RESP_CTX, so one
 * struct crypto_tsa serves all worker threads without a lock.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

#define PEM_FILE_MAX (256 * 1024)
#define TSA_CHAIN_MAX 16
#define TSA_ACCURACY_MAX_MS 3600000u

struct crypto_tsa {
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) * chain;
	ASN1_OBJECT *policy;
	unsigned accuracy_ms;
};

/* Never prompt on a terminal for a passphrase: the key must be unencrypted. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static int
pem_open(const char *path, const char *what, BIO **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	unsigned char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;

	*out = NULL;
	if (path == NULL || *path == '\0') {
		r = sp_err(ei, SP_ERR_CONFIG, "TSA %s: no file given", what);
		goto out;
	}
	if ((r = sp_file_read(path, PEM_FILE_MAX, &data, &len, ei)) != SP_OK) {
		sp_errinfo_prefix(ei, what);
		goto out;
	}
	/* BIO_new_mem_buf does not copy, so copy into a memory BIO we own. */
	if ((bio = BIO_new(BIO_s_mem())) == NULL || BIO_write(bio, data, (int)len) != (int)len) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	*out = bio;
	bio = NULL; /* transferred */
	r = SP_OK;
out:
	BIO_free(bio);
	if (data != NULL)
		sp_wipe(data, len); /* may be the private key */
	free(data);
	return r;
}

/*
 * The TSA certificate rules of RFC 3161 §2.3 that OpenSSL's timestamp
 * purpose also applies, checked here to say which one failed.
 */
static int
check_tsa_cert(X509 *cert, const char *path, struct sp_errinfo *ei)
{
	int i = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);

	if (i < 0 || !(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE))
		return sp_err_reason(ei, SP_ERR_CONFIG, "ts_bad_eku",
				     "TSA certificate %s has no extendedKeyUsage", path);
	if (!X509_EXTENSION_get_critical(X509_get_ext(cert, i)))
		return sp_err_reason(ei, SP_ERR_CONFIG, "ts_bad_eku",
				     "TSA certificate %s: extendedKeyUsage must be critical", path);
	if (X509_get_extended_key_usage(cert) != XKU_TIMESTAMP)
		return sp_err_reason(ei, SP_ERR_CONFIG, "ts_bad_eku",
				     "TSA certificate %s: extendedKeyUsage must be timeStamping "
				     "only",
				     path);
	if (X509_check_purpose(cert, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1)
		return sp_err_reason(ei, SP_ERR_CONFIG, "ts_bad_eku",
				     "TSA certificate %s is not valid for time stamping "
				     "(keyUsage must be digitalSignature/nonRepudiation only)",
				     path);
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
		return sp_err(ei, SP_ERR_EXPIRED, "TSA certificate %s is not valid now", path);
	return SP_OK;
}

static int
load_chain(const char *path, STACK_OF(X509) * *out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	STACK_OF(X509) *sk = NULL;
	BIO *bio = NULL;
	X509 *x;

	*out = NULL;
	if ((sk = sk_X509_new_null()) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (path == NULL) {
		*out = sk;
		sk = NULL; /* transferred */
		r = SP_OK;
		goto out;
	}
	if ((r = pem_open(path, "TSA chain", &bio, ei)) != SP_OK)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL) {
		if (sk_X509_num(sk) >= TSA_CHAIN_MAX || !sk_X509_push(sk, x)) {
			X509_free(x);
			r = sp_err(ei, SP_ERR_CONFIG, "TSA chain %s: more than %d certificates",
				   path, TSA_CHAIN_MAX);
			goto out;
		}
	}
	/* The loop ends at the end of the file (no start line) or on garbage. */
	if (!trust_pem_end_clean() || sk_X509_num(sk) == 0) {
		r = cms_err_ossl(ei, SP_ERR_CONFIG, NULL,
				 "TSA chain %s: not a PEM certificate list", path);
		goto out;
	}
	*out = sk;
	sk = NULL; /* transferred */
	r = SP_OK;
out:
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return r;
}

int
crypto_tsa_new(const char *cert_pem, const char *key_pem, const char *chain_pem,
	       const char *policy_oid, unsigned accuracy_ms, struct crypto_tsa **out,
	       struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct crypto_tsa *tsa = NULL;
	enum crypto_sigalg alg;
	BIO *bio = NULL;

	*out = NULL;
	if (accuracy_ms == 0 || accuracy_ms > TSA_ACCURACY_MAX_MS) {
		r = sp_err(ei, SP_ERR_CONFIG, "TSA accuracy of %u ms (1..%u accepted)", accuracy_ms,
			   TSA_ACCURACY_MAX_MS);
		goto out;
	}
	if ((tsa = calloc(1, sizeof(*tsa))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	tsa->accuracy_ms = accuracy_ms;
	/* no_name = 1: only a dotted number, never a short name. */
	if (policy_oid == NULL || (tsa->policy = OBJ_txt2obj(policy_oid, 1)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CONFIG, NULL, "TSA policy \"%s\" is not a dotted OID",
				 policy_oid ? policy_oid : "");
		goto out;
	}
	if ((r = pem_open(cert_pem, "TSA certificate", &bio, ei)) != SP_OK)
		goto out;
	if ((tsa->cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CONFIG, NULL, "%s: not a PEM certificate", cert_pem);
		goto out;
	}
	BIO_free(bio);
	bio = NULL;
	if ((r = check_tsa_cert(tsa->cert, cert_pem, ei)) != SP_OK)
		goto out;
	if ((r = crypto_sigalg_for_cert(tsa->cert, &alg, ei)) != SP_OK)
		goto out;
	/* Token signers are read by many verifiers that know no SM2 distid. */
	if (alg == CRYPTO_SIGALG_SM2_SM3) {
		r = sp_err(ei, SP_ERR_CONFIG, "TSA certificate %s: use an RSA or P-256 key",
			   cert_pem);
		goto out;
	}
	if ((r = pem_open(key_pem, "TSA key", &bio, ei)) != SP_OK)
		goto out;
	if ((tsa->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CONFIG, NULL, "%s: not an unencrypted PEM private key",
				 key_pem);
		goto out;
	}
	if (X509_check_private_key(tsa->cert, tsa->key) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CONFIG, NULL,
				 "TSA key %s does not match certificate %s", key_pem, cert_pem);
		goto out;
	}
	if ((r = load_chain(chain_pem, &tsa->chain, ei)) != SP_OK)
		goto out;
	*out = tsa;
	tsa = NULL; /* transferred */
	r = SP_OK;
out:
	BIO_free(bio);
	crypto_tsa_free(tsa);
	return r;
}

void
crypto_tsa_free(struct crypto_tsa *tsa)
{
	if (tsa == NULL)
		return;
	X509_free(tsa->cert);
	EVP_PKEY_free(tsa->key);
	sk_X509_pop_free(tsa->chain, X509_free);
	ASN1_OBJECT_free(tsa->policy);
	free(tsa);
}

X509 *
crypto_tsa_get0_cert(const struct crypto_tsa *tsa)
{
	return tsa->cert;
}

struct respond_args {
	uint64_t serial;
	time_t now;
};

static ASN1_INTEGER *
serial_cb(TS_RESP_CTX *ctx, void *data)
{
	const struct respond_args *a = data;
	ASN1_INTEGER *s = ASN1_INTEGER_new();

	if (s == NULL || ASN1_INTEGER_set_uint64(s, a->serial) != 1) {
		ASN1_INTEGER_free(s);
		/* Makes TS_RESP_create_response answer "systemFailure". */
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
					    "Error during serial number "
					    "generation.");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
		return NULL;
	}
	return s;
}

static int
time_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	const struct respond_args *a = data;

	*sec = (long)a->now;
	*usec = 0;
	return 1;
}

/* The TS_RESP answering query (*out); see crypto_tsa_respond. */
static int
respond(const struct crypto_tsa *tsa, const uint8_t *query, size_t querylen, uint64_t serial,
	time_t now, TS_RESP **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct respond_args args;
	struct timespec ts;
	TS_RESP_CTX *ctx = NULL;
	TS_RESP *rsp = NULL;
	BIO *in = NULL;
	int usec_digits = 0;

	*out = NULL;
	if (now == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		now = ts.tv_sec;
		/* OpenSSL's own clock callback runs then, and milliseconds in
		 * genTime keep a sub-second accuracy honest. */
		usec_digits = 3;
	}
	args.serial = serial;
	args.now = now;
	if (X509_cmp_time(X509_get0_notAfter(tsa->cert), &now) <= 0 ||
	    X509_cmp_time(X509_get0_notBefore(tsa->cert), &now) >= 0) {
		r = sp_err(ei, SP_ERR_EXPIRED, "the TSA certificate is not valid at this time");
		goto out;
	}
	/* An oversized query is answered like a malformed one: an empty
	 * input makes OpenSSL reject it with badDataFormat. */
	if (query == NULL || querylen > CRYPTO_TS_QUERY_MAX)
		querylen = 0;
	if ((in = BIO_new_mem_buf(querylen ? query : (const uint8_t *)"", (int)querylen)) == NULL ||
	    (ctx = TS_RESP_CTX_new()) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (TS_RESP_CTX_set_signer_cert(ctx, tsa->cert) != 1 ||
	    TS_RESP_CTX_set_signer_key(ctx, tsa->key) != 1 ||
	    (sk_X509_num(tsa->chain) > 0 && TS_RESP_CTX_set_certs(ctx, tsa->chain) != 1) ||
	    TS_RESP_CTX_set_def_policy(ctx, tsa->policy) != 1 ||
	    TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) != 1 ||
	    TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) != 1 ||
	    TS_RESP_CTX_add_md(ctx, EVP_sha256()) != 1 ||
	    TS_RESP_CTX_add_md(ctx, EVP_sha384()) != 1 ||
	    TS_RESP_CTX_add_md(ctx, EVP_sha512()) != 1 || TS_RESP_CTX_add_md(ctx, EVP_sm3()) != 1 ||
	    TS_RESP_CTX_set_accuracy(ctx, (int)(tsa->accuracy_ms / 1000),
				     (int)(tsa->accuracy_ms % 1000), 0) != 1 ||
	    TS_RESP_CTX_set_clock_precision_digits(ctx, (unsigned)usec_digits) != 1) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "cannot set up the TSA response");
		goto out;
	}
	TS_RESP_CTX_set_serial_cb(ctx, serial_cb, &args);
	if (usec_digits == 0)
		TS_RESP_CTX_set_time_cb(ctx, time_cb, &args);
	if ((rsp = TS_RESP_create_response(ctx, in)) == NULL) {
		r = cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "the TSA could not build a response");
		goto out;
	}
	/* A rejection is a valid answer; what OpenSSL queued on the way
	 * (the failed parse) must not leak into this thread's next call. */
	ERR_clear_error();
	*out = rsp;
	rsp = NULL; /* transferred */
	r = SP_OK;
out:
	TS_RESP_free(rsp);
	TS_RESP_CTX_free(ctx);
	BIO_free(in);
	return r;
}

int
crypto_tsa_respond(const struct crypto_tsa *tsa, const uint8_t *query, size_t querylen,
		   uint64_t serial, time_t now, uint8_t **resp, size_t *resplen,
		   struct sp_errinfo *ei)
{
	TS_RESP *rsp = NULL;
	unsigned char *obuf = NULL;
	int r, n;

	*resp = NULL;
	*resplen = 0;
	if ((r = respond(tsa, query, querylen, serial, now, &rsp, ei)) != SP_OK)
		return r;
	/* i2d first: the order a call's arguments are evaluated in is unspecified */
	n = i2d_TS_RESP(rsp, &obuf);
	r = cms_ossl_to_malloc(obuf, n, resp, resplen, ei);
	TS_RESP_free(rsp);
	return r;
}

int
crypto_tsa_token(const struct crypto_tsa *tsa, const uint8_t *query, size_t querylen,
		 uint64_t serial, time_t now, uint8_t **token, size_t *tokenlen, time_t *gen_time,
		 struct sp_errinfo *ei)
{
	TS_RESP *rsp = NULL;
	PKCS7 *p7;
	TS_TST_INFO *info;
	unsigned char *obuf = NULL;
	int r, n;

	*token = NULL;
	*tokenlen = 0;
	*gen_time = 0;
	if ((r = respond(tsa, query, querylen, serial, now, &rsp, ei)) != SP_OK)
		return r;
	/* the objects it just signed: no encoding and parsing back to read them */
	if (ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(rsp))) !=
		    TS_STATUS_GRANTED ||
	    (p7 = TS_RESP_get_token(rsp)) == NULL || (info = TS_RESP_get_tst_info(rsp)) == NULL ||
	    (*gen_time = trust_asn1_time(TS_TST_INFO_get_time(info))) == (time_t)-1) {
		*gen_time = 0;
		r = sp_err_reason(ei, SP_ERR_CRYPTO, "ts_rejected",
				  "the built-in TSA did not grant the query");
		goto out;
	}
	n = i2d_PKCS7(p7, &obuf); /* before the call: argument order is unspecified */
	r = cms_ossl_to_malloc(obuf, n, token, tokenlen, ei);
out:
	TS_RESP_free(rsp);
	return r;
}

int
crypto_tsa_serial_make(uint64_t *serial, struct sp_errinfo *ei)
{
	uint32_t rnd = 0;

	*serial = 0;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		return cms_err_ossl(ei, SP_ERR_CRYPTO, NULL, "no random bytes");
	*serial = ((uint64_t)time(NULL) << 30) | (rnd & 0x3fffffffu);
	return SP_OK;
}
