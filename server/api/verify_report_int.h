/*
 * verify_report_int.h: what verify_report.c lends verify_report_splice.c,
 * so that the pieces the splice writes from the engine's report are
 * rendered by the one renderer (the same jansson calls, the same text).
 * Not for the CLI or the handlers: they use verify_report.h.
 */
#ifndef SP_VERIFY_REPORT_INT_H
#define SP_VERIFY_REPORT_INT_H

#include <jansson.h>

#include "crypto.h"

/*
 * The pieces of verify_report_json(): the document's members before
 * "signatures", one signature, one listed change. A failed allocation on
 * the way sets *bad (the value may be NULL or partial then).
 */
json_t *verify_report_head_json(const struct crypto_verify_report *rep, int *bad);
json_t *verify_report_sig_json(const struct crypto_sig_report *s, int *bad);
json_t *verify_report_change_json(const struct crypto_change *c, int *bad);

/*
 * The number of bytes of the valid UTF-8 sequence at p (n > 0 left), or 0:
 * jansson's rule (no overlong forms, surrogates or values past U+10FFFF).
 */
size_t verify_report_utf8_seq(const unsigned char *p, size_t n);

#endif /* SP_VERIFY_REPORT_INT_H */
