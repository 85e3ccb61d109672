/*
 * test_verify_shadow.h: what the three files of test_verify_shadow share
 * (one executable, tests/CMakeLists.txt unit_parts): the corpus
 * (test_verify_corpus.h), the page text drawn and overdrawn, and the
 * verdict of a document's one signature against the corpus PKI, which
 * test_verify_shadow.c holds.
 */
#ifndef TEST_VERIFY_SHADOW_H
#define TEST_VERIFY_SHADOW_H

#include <check.h>
#include <qpdf/qpdf-c.h>

#include "support_suite.h"
#include "test_verify_corpus.h"

#define CONTENT "BT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET q /X1 Do Q"
#define CONTENT_999 "BT /F1 12 Tf 72 700 Td (Pay 999 EUR) Tj ET q /X1 Do Q"
#define FORM "0 0 1 rg 0 0 10 10 re f"
#define WHITE "1 1 1 rg 0 0 612 792 re f"

/* The verdict of the one signature of d[0..n), and whether it lists a disallowed change. */
enum crypto_verdict verdict_of(const unsigned char *d, size_t n, size_t *ndisallowed);

/* Add the tests of test_verify_shadow_info.c and test_verify_shadow_p3.c to tc. */
void verify_shadow_info_add(TCase *tc);
void verify_shadow_p3_add(TCase *tc);

#endif
