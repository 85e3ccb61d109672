/*
 * fuzz_tsa_query.c: libFuzzer target over the built-in TSA, which answers
 * anyone at POST /tsa: arbitrary bytes as the TimeStampReq through
 * crypto_tsa_respond. A throwaway TSA (P-256 key, self-signed certificate
 * with a critical timeStamping EKU, valid now) is made at start-up. Checks:
 * every call yields a DER TimeStampResp (a rejection for bad queries, never
 * an error), and every granted answer to a query in strict DER with certReq
 * (as crypto_ts_query_new makes them) passes the client's own
 * crypto_ts_response_check: the two halves agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct crypto_tsa *tsa;
static uint64_t serial = 1;

static void
write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || (x != NULL && PEM_write_X509(f, x) != 1) ||
	    (k != NULL && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1) ||
	    fclose(f) != 0)
		abort();
}

static void
setup(void)
{
	char dir[] = "/tmp/fuzz_tsa_XXXXXX", cert[64], key[64];
	EVP_PKEY *k;
	X509 *x;
	X509_NAME *n;
	X509_EXTENSION *e;
	X509V3_CTX v3;
	struct sp_errinfo ei;

	if ((k = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365) == NULL ||
	    (n = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Fuzz TSA", -1,
				       -1, 0) != 1 ||
	    X509_set_issuer_name(x, n) != 1 || X509_set_pubkey(x, k) != 1)
		abort();
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, "critical,timeStamping")) ==
		    NULL ||
	    X509_add_ext(x, e, -1) != 1 || X509_sign(x, k, EVP_sha256()) == 0)
		abort();
	X509_EXTENSION_free(e);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(cert, sizeof(cert), "%s/tsa.pem", dir);
	snprintf(key, sizeof(key), "%s/tsa.key", dir);
	write_pem(cert, x, NULL);
	write_pem(key, NULL, k);
	sp_errinfo_init(&ei);
	if (crypto_tsa_new(cert, key, NULL, "1.3.6.1.4.1.99999.1.1", 1000, &tsa, &ei) != SP_OK) {
		fprintf(stderr, "crypto_tsa_new: %s\n", ei.msg);
		abort();
	}
	unlink(cert);
	unlink(key);
	rmdir(dir);
	X509_free(x);
	EVP_PKEY_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_errinfo ei;
	uint8_t *resp = NULL, *token = NULL;
	size_t resplen = 0, tokenlen = 0;
	const unsigned char *p;
	TS_RESP *rsp;
	TS_REQ *req;
	long status;
	int strict;

	if (tsa == NULL)
		setup();
	sp_errinfo_init(&ei);
	if (crypto_tsa_respond(tsa, data, size, serial++, 0, &resp, &resplen, &ei) != SP_OK) {
		fprintf(stderr, "crypto_tsa_respond failed: %s\n", ei.msg);
		abort();
	}
	p = resp;
	if ((rsp = d2i_TS_RESP(NULL, &p, (long)resplen)) == NULL || p != resp + resplen)
		abort();
	status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(rsp)));
	TS_RESP_free(rsp);
	p = data;
	strict = size > 0 && (req = d2i_TS_REQ(NULL, &p, (long)size)) != NULL;
	if (strict) {
		/* The client needs the TSA certificate in the token (certReq). */
		strict = p == data + size && TS_REQ_get_cert_req(req);
		TS_REQ_free(req);
	}
	if (status == TS_STATUS_GRANTED && strict) {
		sp_errinfo_init(&ei);
		if (crypto_ts_response_check(resp, resplen, data, size, NULL, &token, &tokenlen,
					     NULL, &ei) != SP_OK) {
			fprintf(stderr, "granted answer refused by the client: %s\n", ei.msg);
			abort();
		}
		free(token);
	}
	free(resp);
	ERR_clear_error(); /* d2i_TS_REQ above may have queued errors */
	return 0;
}
