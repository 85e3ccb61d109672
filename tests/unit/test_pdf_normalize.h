/*
 * test_pdf_normalize.h: what the files of test_pdf_normalize share (one
 * executable, tests/CMakeLists.txt unit_parts): a one-revision PDF made from
 * object bodies, which test_pdf_normalize.c holds.
 */
#ifndef TEST_PDF_NORMALIZE_H
#define TEST_PDF_NORMALIZE_H

#include <check.h>
#include <stddef.h>

struct pbuf {
	char d[8192];
	size_t n;
};

/* Append s to b. */
void add(struct pbuf *b, const char *s);

/*
 * A classic one-revision PDF from object bodies objs[0] = object 1 ...; the
 * catalog is object 1.
 */
void make(struct pbuf *b, const char *const *objs, int n);

/* An unsigned upload of two pages and an object nothing refers to (5 objects),
   and a signed one (6: its signature field and dictionary, and such an object). */
#define UNSIGNED_OBJS 5
#define SIGNED_OBJS 6
extern const char *const unsigned_objs[UNSIGNED_OBJS];
extern const char *const signed_objs[SIGNED_OBJS];

/* Add the tests of test_pdf_normalize_active.c (scripts and actions) to tc. */
void pdf_normalize_active_add(TCase *tc);

/* Add the tests of test_pdf_normalize_hidden.c (actions the walk does not find) to tc. */
void pdf_normalize_hidden_add(TCase *tc);

#endif
