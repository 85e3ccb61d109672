/*
 * fuzz_cert.c: libFuzzer target over certificate intake, the first thing the
 * server does with bytes a client sends at login and at signing: arbitrary
 * bytes (DER or PEM) through crypto_cert_parse, then crypto_cert_info_get and
 * crypto_sigalg_for_cert on whatever parsed. Checks the documented contract:
 * on success every text field is NUL-terminated within its buffer; on
 * failure the output is NULL and an error code is recorded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must_terminate(const char *s, size_t n)
{
	if (memchr(s, '\0', n) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_errinfo ei;
	struct crypto_cert_info info;
	enum crypto_sigalg alg;
	X509 *x = NULL;
	int r;

	sp_errinfo_init(&ei);
	r = crypto_cert_parse(data, size, &x, &ei);
	if (r != SP_OK) {
		if (x != NULL || ei.code != r || r >= 0)
			abort();
		goto out;
	}
	if (x == NULL)
		abort();
	sp_errinfo_init(&ei);
	if (crypto_cert_info_get(x, &info, &ei) == SP_OK) {
		must_terminate(info.org, sizeof(info.org));
		must_terminate(info.org_id, sizeof(info.org_id));
		must_terminate(info.cn, sizeof(info.cn));
		must_terminate(info.subject, sizeof(info.subject));
		must_terminate(info.issuer, sizeof(info.issuer));
		must_terminate(info.serial_hex, sizeof(info.serial_hex));
		if (strlen(info.sha256_hex) != 64)
			abort();
	} else if (info.org[0] != '\0' || info.subject[0] != '\0') {
		abort(); /* a failed call leaves the info zeroed */
	}
	sp_errinfo_init(&ei);
	if (crypto_sigalg_for_cert(x, &alg, &ei) == SP_OK) {
		if (crypto_sigalg_name(alg) == NULL)
			abort();
	} else if (alg != CRYPTO_SIGALG_NONE) {
		abort();
	}
out:
	X509_free(x);
	/* Nothing may be left on this thread's queue for the next input. */
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
