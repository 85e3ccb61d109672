/*
 * fuzz_verify.c: libFuzzer target over the whole verifier: arbitrary bytes
 * through crypto_pdf_verify (revisions, signature fields, structure, CMS,
 * timestamps, revision differences) and the JSON report (server/api/
 * verify_report.c, which must always produce valid JSON). No trust store:
 * chains are then untrusted (indeterminate) and no network is touched.
 * Seeds: signed PDFs and attack files, e.g. those test_verify keeps with
 * SP_VERIFY_KEEP=1. Needs crypto/ compiled in as well as pdf/ and common/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto.h"
#include "verify_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_verify_opts o = { .trust = NULL };
	struct crypto_verify_report *rep = NULL;
	struct sp_errinfo ei;
	json_error_t je;
	json_t *doc;
	char *text = NULL;
	size_t i, len = 0;

	sp_errinfo_init(&ei);
	if (crypto_pdf_verify(data, size, &o, &rep, &ei) != SP_OK) {
		if (rep != NULL || ei.code == SP_OK)
			abort(); /* a failure leaves no report and says why */
		return 0;
	}
	/* the documented contract of a report */
	if (rep->nsigs > 0 &&
	    (rep->verdict < CRYPTO_VERDICT_VALID || rep->verdict > CRYPTO_VERDICT_INVALID))
		abort();
	for (i = 0; i < rep->nsigs; i++) {
		const struct crypto_sig_report *s = &rep->sigs[i];
		/* without roots nothing may come out valid */
		if (s->verdict < CRYPTO_VERDICT_INDETERMINATE || s->nreasons == 0 ||
		    s->nchanges > CRYPTO_VERIFY_CHANGES_MAX)
			abort();
	}
	if (verify_report_text(rep, 16 * 1024 * 1024, &text, &len) != SP_OK ||
	    memchr(text, 0, len) != NULL || (doc = json_loadb(text, len, 0, &je)) == NULL)
		abort();
	json_decref(doc);
	free(text);
	crypto_verify_report_free(rep);
	return 0;
}
