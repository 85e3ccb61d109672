/*
 * test_pdf_parsed.c: qpdf's parse of a stored revision handed from one open
 * of its bytes to the next (pdf_parsed, pdf/doc.c) reads exactly what a
 * fresh read of those bytes reads, and is never used for other bytes: a
 * copy of the same length with one byte changed, a newer revision with a
 * hostile update, are read anew and judged as before. A parse that qpdf
 * repaired, walked the page tree of, or read from a private copy is not
 * handed on. A chain of cross-reference tables merged into one for qpdf
 * (pdf_xref_merged) is read as the chain is, and only the plain case is.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* A one-page PDF with a classic xref table (offsets computed). */
static unsigned char *
base_pdf(size_t *n)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
		"<< /Length 8 >>\nstream\n0 0 m S\n\nendstream",
	};
	size_t cap = 4096, off[4], i, len, x;
	unsigned char *d = malloc(cap);

	ck_assert_ptr_nonnull(d);
	len = (size_t)snprintf((char *)d, cap, "%%PDF-1.7\n");
	for (i = 0; i < 4; i++) {
		off[i] = len;
		len += (size_t)snprintf((char *)d + len, cap - len, "%zu 0 obj\n%s\nendobj\n",
					i + 1, objs[i]);
	}
	x = len;
	len += (size_t)snprintf((char *)d + len, cap - len,
				"xref\n0 5\n0000000000 65535 f \n%010zu 00000 n \n%010zu 00000 n "
				"\n%010zu 00000 n \n%010zu 00000 n \ntrailer\n<< /Size 5 /Root 1 0 "
				"R >>\nstartxref\n%zu\n%%%%EOF\n",
				off[0], off[1], off[2], off[3], x);
	*n = len;
	return d;
}

/* d[0..n) plus an update writing object num (body), chained with /Prev (malloc'd). */
static unsigned char *
update(const unsigned char *d, size_t n, int num, const char *body, int size, size_t *outn)
{
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info in;
	struct sp_errinfo ei;
	size_t cap = n + 4096, at, xref;
	unsigned char *o = malloc(cap);

	sp_errinfo_init(&ei);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(pdf_doc_open_known(d, n, NULL, 0, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &in);
	pdf_doc_free(doc);
	memcpy(o, d, n);
	at = n;
	xref = at + (size_t)snprintf((char *)o + at, cap - at, "%d 0 obj\n%s\nendobj\n", num, body);
	*outn = xref +
		(size_t)snprintf((char *)o + xref, cap - xref,
				 "xref\n%d 1\n%010zu 00000 n \ntrailer\n<< /Size %d /Root 1 0 "
				 "R /Prev %lld >>\nstartxref\n%zu\n%%%%EOF\n",
				 num, at, size, in.startxref, xref);
	return o;
}

/* object num of doc, unparsed with what it refers to resolved (malloc'd) */
static char *
unparse(struct pdf_doc *doc, int num)
{
	qpdf_oh h = qpdf_get_object_by_id(doc->q, num, 0);
	char *s = strdup(qpdf_oh_unparse_resolved(doc->q, h));

	ck_assert_ptr_nonnull(s);
	return s;
}

/* The stored revision: the base with an update (two xref sections). */
static unsigned char *
stored(size_t *n)
{
	size_t bn;
	unsigned char *b = base_pdf(&bn), *s;

	s = update(b, bn, 5, "<< /Producer (sealpact) >>", 6, n);
	free(b);
	return s;
}

START_TEST(handed_on_reads_the_same)
{
	struct sp_errinfo ei;
	struct pdf_doc *fresh = NULL, *first = NULL, *again = NULL;
	struct pdf_doc_info a, b;
	struct pdf_parsed *p;
	const unsigned char *pd;
	unsigned char *d, *copy;
	size_t n, plen = 0;
	int pages[2] = { 3, 0 }, num;
	char *x, *y;

	sp_errinfo_init(&ei);
	d = stored(&n);
	copy = malloc(n);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, d, n);
	ck_assert_int_eq(pdf_doc_open_known(d, n, pages, 1, &fresh, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known(d, n, pages, 1, &first, &ei), SP_OK);
	x = unparse(first, 3); /* something resolved before it is handed on */
	free(x);
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(first));
	pdf_doc_free(first);
	pd = pdf_parsed_data(p, &plen);
	ck_assert_ptr_eq(pd, d);
	ck_assert_uint_eq(plen, n);
	/* adopted by an open of an equal copy of the bytes (as completion's base) */
	ck_assert_int_eq(pdf_doc_open_known_from(copy, n, pages, 1, p, &again, &ei), SP_OK);
	pdf_doc_info_get(fresh, &a);
	pdf_doc_info_get(again, &b);
	ck_assert_int_eq(a.size, b.size);
	ck_assert_int_eq(a.root_obj, b.root_obj);
	ck_assert_int_eq(a.startxref, b.startxref);
	ck_assert_int_eq(a.xref_kind, b.xref_kind);
	ck_assert_int_eq(pdf_doc_damaged(again), 0);
	ck_assert_int_eq(pdf_doc_page_count(again), 1);
	for (num = 1; num <= 5; num++) {
		x = unparse(fresh, num);
		y = unparse(again, num);
		ck_assert_str_eq(x, y);
		free(x);
		free(y);
	}
	/* and handed on again: it reads d, which the copy equals */
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(again));
	ck_assert_ptr_eq(pdf_parsed_data(p, &plen), d);
	pdf_doc_free(again);
	pdf_parsed_free(p);
	pdf_doc_free(fresh);
	free(copy);
	free(d);
}
END_TEST

/*
 * Bytes of the same length with one byte changed (a forged copy) are read
 * anew, not through the parse of the originals.
 */
START_TEST(other_bytes_read_anew)
{
	struct sp_errinfo ei;
	struct pdf_doc *first = NULL, *forged = NULL;
	struct pdf_parsed *p;
	unsigned char *d, *f, *at;
	size_t n;
	char *x;

	sp_errinfo_init(&ei);
	d = stored(&n);
	f = malloc(n);
	ck_assert_ptr_nonnull(f);
	memcpy(f, d, n);
	ck_assert_ptr_nonnull(at = memmem(f, n, "612 792", 7));
	at[0] = '9'; /* the page's /MediaBox: 912 wide */
	ck_assert_int_eq(pdf_doc_open_known(d, n, NULL, 0, &first, &ei), SP_OK);
	x = unparse(first, 3);
	ck_assert_ptr_nonnull(strstr(x, "612 792"));
	free(x);
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(first));
	pdf_doc_free(first);
	ck_assert_int_eq(pdf_doc_open_known_from(f, n, NULL, 0, p, &forged, &ei), SP_OK);
	x = unparse(forged, 3);
	ck_assert_ptr_nonnull(strstr(x, "912 792"));
	free(x);
	/* its parse reads f (its own), not d */
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(forged));
	{
		size_t plen = 0;
		ck_assert_ptr_eq(pdf_parsed_data(p, &plen), f);
	}
	pdf_parsed_free(p);
	pdf_doc_free(forged);
	/* nor for a prefix of the bytes (another length) */
	ck_assert_int_eq(pdf_doc_open_known(d, n, NULL, 0, &first, &ei), SP_OK);
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(first));
	pdf_doc_free(first);
	{
		size_t bn;
		unsigned char *b = base_pdf(&bn);
		ck_assert_int_eq(memcmp(b, d, bn), 0);
		ck_assert_int_eq(pdf_doc_open_known_from(d, bn, NULL, 0, p, &forged, &ei), SP_OK);
		ck_assert_int_eq(qpdf_oh_is_null(forged->q, qpdf_get_object_by_id(forged->q, 5, 0)),
				 1);
		pdf_doc_free(forged);
		free(b);
	}
	free(f);
	free(d);
}
END_TEST

/*
 * A newer revision whose update changes the page (content after a
 * signature: a disallowed change) is diffed against the base opened from
 * its handed-on parse exactly as against a fresh base.
 */
START_TEST(hostile_update_judged_as_before)
{
	struct sp_errinfo ei;
	struct pdf_doc *older = NULL, *fresh_older = NULL, *newer = NULL;
	struct pdf_revision revs[8];
	struct pdf_diff d1, d2;
	struct pdf_refs r1, r2;
	struct pdf_parsed *p;
	unsigned char *d, *h;
	size_t n, hn, nrev = 0;
	int pages[2] = { 3, 0 };

	sp_errinfo_init(&ei);
	d = stored(&n);
	h = update(d, n, 3,
		   "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		   "/Annots [] /Rotate 90 >>",
		   6, &hn);
	ck_assert_int_eq(pdf_revisions_find(h, hn, revs, 8, &nrev, &ei), SP_OK);
	ck_assert_uint_eq(nrev, 3);
	/* the base as the completion that stored it left it, handed on */
	ck_assert_int_eq(pdf_doc_open_known(d, n, pages, 1, &older, &ei), SP_OK);
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(older));
	pdf_doc_free(older);
	ck_assert_int_eq(pdf_doc_open_known_from(h, n, pages, 1, p, &older, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known(d, n, pages, 1, &fresh_older, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known(h, hn, NULL, 0, &newer, &ei), SP_OK);
	ck_assert_int_eq(pdf_refs_init(older, &r1, &ei), SP_OK);
	ck_assert_int_eq(pdf_refs_init(fresh_older, &r2, &ei), SP_OK);
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	ck_assert_int_eq(pdf_revision_diff(older, newer, &revs[2], &r1, &d1, &ei), SP_OK);
	ck_assert_int_eq(pdf_revision_diff(fresh_older, newer, &revs[2], &r2, &d2, &ei), SP_OK);
	ck_assert_uint_ge(d1.ndisallowed, 1);
	ck_assert_uint_eq(d1.ndisallowed, d2.ndisallowed);
	ck_assert_uint_eq(d1.nallowed, d2.nallowed);
	ck_assert_uint_eq(d1.n, d2.n);
	pdf_diff_cleanup(&d1);
	pdf_diff_cleanup(&d2);
	pdf_refs_cleanup(&r1);
	pdf_refs_cleanup(&r2);
	pdf_doc_free(older);
	pdf_doc_free(fresh_older);
	pdf_doc_free(newer);
	free(h);
	free(d);
}
END_TEST

START_TEST(not_handed_on)
{
	struct sp_errinfo ei;
	struct pdf_doc *doc = NULL;
	unsigned char *d, *bad;
	size_t n;

	sp_errinfo_init(&ei);
	d = stored(&n);
	/* the page tree walked (qpdf's page cache may rewrite a tree) */
	ck_assert_int_eq(pdf_doc_open_view(d, n, &doc, &ei), SP_OK);
	ck_assert_ptr_null(pdf_doc_parsed_take(doc));
	pdf_doc_free(doc);
	ck_assert_int_eq(pdf_doc_open_stored(d, n, &doc, &ei), SP_OK);
	ck_assert_ptr_null(pdf_doc_parsed_take(doc));
	pdf_doc_free(doc);
	/* a private copy of the bytes */
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	ck_assert_ptr_null(pdf_doc_parsed_take(doc));
	pdf_doc_free(doc);
	/* repaired: a startxref that points nowhere */
	bad = malloc(n);
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, d, n);
	{
		unsigned char *s = memmem(bad + n - 40, 40, "startxref\n", 10);
		ck_assert_ptr_nonnull(s);
		s[10] = s[10] == '1' ? '2' : '1';
	}
	if (pdf_doc_open_known(bad, n, NULL, 0, &doc, &ei) == SP_OK) {
		(void)qpdf_get_object_by_id(doc->q, 3, 0);
		ck_assert_int_eq(pdf_doc_damaged(doc), 1);
		ck_assert_ptr_null(pdf_doc_parsed_take(doc));
		pdf_doc_free(doc);
	}
	pdf_parsed_free(NULL);
	free(bad);
	free(d);
}
END_TEST

/*
 * pdf_xref_merged(): a chain of plain tables shown to qpdf as one table
 * after the bytes (pdf_doc_open_known_merged) reads what qpdf's reading of
 * the chain reads: every object, the trailer but /Prev, undamaged; the
 * parse taken from it is handed on with the newest section's /Prev.
 */
START_TEST(merged_table_reads_the_same)
{
	struct sp_errinfo ei;
	struct pdf_revision revs[8];
	struct pdf_doc *plain = NULL, *merged = NULL, *again = NULL;
	struct pdf_doc_info a, b;
	struct pdf_parsed *p;
	unsigned char *d, *d2, *d3, *tail = NULL, *buf;
	size_t n, n2, n3, nrevs = 0, tlen = 0;
	int num;
	char *x, *y;

	sp_errinfo_init(&ei);
	d = stored(&n); /* the base, and object 5 added */
	d2 = update(d, n, 3,
		    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>", 6,
		    &n2);
	d3 = update(d2, n2, 6, "<< /Foo (bar) >>", 7, &n3);
	ck_assert_int_eq(pdf_revisions_find(d3, n3, revs, 8, &nrevs, &ei), SP_OK);
	ck_assert_uint_eq(nrevs, 4);
	ck_assert_int_eq(pdf_xref_merged(d3, n3, revs, nrevs, &tail, &tlen, &ei), SP_OK);
	/* one cross-reference stream of every number (its dictionary the trailer's), then a
	   startxref at the bytes' end */
	ck_assert_ptr_nonnull(memmem(tail, tlen, "/Type /XRef /W [1 4 2] /Index [0 7]", 35));
	ck_assert_ptr_nonnull(memmem(tail, tlen, "/Length 49>>", 12));
	ck_assert_ptr_null(memmem(tail, tlen, "\nxref\n", 6));
	ck_assert_int_eq(memcmp(tail, "4000001 0 obj\n<<", 16), 0);
	ck_assert_ptr_null(memmem(tail, tlen, "/Prev", 5));
	ck_assert_ptr_nonnull(buf = malloc(n3 + tlen));
	memcpy(buf, d3, n3);
	memcpy(buf + n3, tail, tlen);
	ck_assert_int_eq(pdf_doc_open_known(d3, n3, NULL, 0, &plain, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known_merged(buf, n3, n3 + tlen, revs[nrevs - 2].xref, NULL,
						   0, &merged, &ei),
			 SP_OK);
	for (num = 1; num <= 6; num++) {
		x = unparse(plain, num);
		y = unparse(merged, num);
		ck_assert_str_eq(x, y);
		free(x);
		free(y);
	}
	ck_assert_ptr_nonnull(strstr((x = unparse(merged, 3)), "595 842"));
	free(x);
	pdf_doc_info_get(plain, &a);
	pdf_doc_info_get(merged, &b);
	ck_assert_int_eq(a.size, b.size);
	ck_assert_int_eq(a.root_obj, b.root_obj);
	ck_assert_int_eq(a.startxref, b.startxref); /* the bytes' own, not the table's */
	ck_assert_int_eq(b.startxref, revs[nrevs - 1].xref);
	ck_assert_int_eq(pdf_doc_damaged(plain), 0);
	ck_assert_int_eq(pdf_doc_damaged(merged), 0);
	/* the stream itself is no object an update could take: the next number is free */
	ck_assert(qpdf_oh_is_null(merged->q, qpdf_get_object_by_id(merged->q, 7, 0)));
	ck_assert_int_eq(pdf_doc_damaged(merged), 0);
	ck_assert_int_eq(merged->merged_prev, revs[nrevs - 2].xref);
	/* handed on (to the next open of the stored bytes), with the section's /Prev */
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(merged));
	ck_assert_int_eq(pdf_doc_open_known_from(d3, n3, NULL, 0, p, &again, &ei), SP_OK);
	ck_assert_int_eq(again->merged_prev, revs[nrevs - 2].xref);
	x = unparse(plain, 6);
	y = unparse(again, 6);
	ck_assert_str_eq(x, y);
	free(x);
	free(y);
	pdf_doc_free(again);
	pdf_doc_free(merged);
	pdf_doc_free(plain);
	free(buf);
	free(tail);
	free(d3);
	free(d2);
	free(d);
}
END_TEST

/*
 * qpdf reads the merged table when it opens the bytes, and never after: a
 * completion writes the next update where the table was (the held buffer's
 * room, signing_done_open.c done_join) while the parse, opened on the table
 * and handed on, reads the objects before it. The table overwritten after
 * the open with one that sends object 3 to its older version, the open
 * parse and the one handed on from it still read every object as a fresh
 * read of the chain does, undamaged. Overwritten so before the open, it is
 * what qpdf reads (object 3 is the older page): the test sees the table
 * whenever it is read.
 */
START_TEST(merged_table_read_at_open_only)
{
	struct sp_errinfo ei;
	struct pdf_revision revs[8];
	struct pdf_doc *plain = NULL, *merged = NULL, *again = NULL;
	struct pdf_parsed *p;
	unsigned char *d, *d2, *tail = NULL, *buf, *moved, *st, *at;
	size_t n, n2, nrevs = 0, tlen = 0, old3;
	int num;
	char *x, *y;

	sp_errinfo_init(&ei);
	d = stored(&n);
	d2 = update(d, n, 3,
		    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>", 6,
		    &n2);
	ck_assert_int_eq(pdf_revisions_find(d2, n2, revs, 8, &nrevs, &ei), SP_OK);
	ck_assert_int_eq(pdf_xref_merged(d2, n2, revs, nrevs, &tail, &tlen, &ei), SP_OK);
	/* the same table with object 3 at its first version (W [1 4 2]: type, offset, gen) */
	ck_assert_ptr_nonnull(at = memmem(d2, n2, "\n3 0 obj", 8));
	old3 = (size_t)(at + 1 - d2);
	ck_assert_ptr_nonnull(moved = malloc(tlen));
	memcpy(moved, tail, tlen);
	ck_assert_ptr_nonnull(st = memmem(moved, tlen, "stream\n", 7));
	st += 7 + 3 * 7;
	ck_assert_int_eq(st[0], 1);
	st[1] = (unsigned char)(old3 >> 24);
	st[2] = (unsigned char)(old3 >> 16);
	st[3] = (unsigned char)(old3 >> 8);
	st[4] = (unsigned char)old3;
	ck_assert_ptr_nonnull(buf = malloc(n2 + tlen));
	memcpy(buf, d2, n2);
	memcpy(buf + n2, tail, tlen);
	ck_assert_int_eq(pdf_doc_open_known(d2, n2, NULL, 0, &plain, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open_known_merged(buf, n2, n2 + tlen, revs[nrevs - 2].xref, NULL,
						   0, &merged, &ei),
			 SP_OK);
	/* the next bytes written over the table: nothing read from the parse yet */
	memcpy(buf + n2, moved, tlen);
	for (num = 1; num <= 5; num++) {
		x = unparse(plain, num);
		y = unparse(merged, num);
		ck_assert_str_eq(x, y);
		free(x);
		free(y);
	}
	ck_assert_int_eq(pdf_doc_damaged(merged), 0);
	/* handed on to the next open of the same buffer (the same bytes before the room) */
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(merged));
	pdf_doc_free(merged);
	merged = NULL;
	ck_assert_int_eq(pdf_doc_open_known_from(buf, n2, NULL, 0, p, &again, &ei), SP_OK);
	ck_assert_ptr_nonnull(strstr((x = unparse(again, 3)), "595 842"));
	free(x);
	ck_assert_int_eq(pdf_doc_damaged(again), 0);
	pdf_doc_free(again);
	/* overwritten before the open: that is what qpdf reads */
	ck_assert_int_eq(pdf_doc_open_known_merged(buf, n2, n2 + tlen, revs[nrevs - 2].xref, NULL,
						   0, &merged, &ei),
			 SP_OK);
	ck_assert_ptr_nonnull(strstr((x = unparse(merged, 3)), "612 792"));
	free(x);
	pdf_doc_free(merged);
	pdf_doc_free(plain);
	free(moved);
	free(buf);
	free(tail);
	free(d2);
	free(d);
}
END_TEST

/* Anything but the plain case is not merged: qpdf reads the chain, as before. */
START_TEST(merged_table_only_plain)
{
	struct sp_errinfo ei;
	struct pdf_revision revs[8];
	unsigned char *b, *d, *d2, *tail = NULL, *e;
	size_t bn, n, n2, nrevs = 0, tlen = 0;

	sp_errinfo_init(&ei);
	/* one revision: nothing to merge */
	b = base_pdf(&bn);
	ck_assert_int_eq(pdf_revisions_find(b, bn, revs, 8, &nrevs, &ei), SP_OK);
	ck_assert_int_eq(pdf_xref_merged(b, bn, revs, nrevs, &tail, &tlen, &ei),
			 SP_ERR_UNSUPPORTED);
	free(b);
	/* an update that frees an object (qpdf hides every generation of it) */
	d = stored(&n);
	ck_assert_int_eq(pdf_revisions_find(d, n, revs, 8, &nrevs, &ei), SP_OK);
	ck_assert_ptr_nonnull(
		e = memmem(d + revs[1].xref, n - (size_t)revs[1].xref, " 00000 n", 8));
	e[7] = 'f';
	ck_assert_int_eq(pdf_xref_merged(d, n, revs, nrevs, &tail, &tlen, &ei), SP_ERR_UNSUPPORTED);
	free(d);
	/* an update that lists an object with another generation (a second object) */
	d = stored(&n);
	d2 = update(d, n, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1 1] >>", 6, &n2);
	ck_assert_int_eq(pdf_revisions_find(d2, n2, revs, 8, &nrevs, &ei), SP_OK);
	ck_assert_int_eq(pdf_xref_merged(d2, n2, revs, nrevs, &tail, &tlen, &ei), SP_OK);
	free(tail);
	tail = NULL;
	ck_assert_ptr_nonnull(
		e = memmem(d2 + revs[2].xref, n2 - (size_t)revs[2].xref, " 00000 n", 8));
	e[5] = '1';
	ck_assert_int_eq(pdf_xref_merged(d2, n2, revs, nrevs, &tail, &tlen, &ei),
			 SP_ERR_UNSUPPORTED);
	/* an entry not 20 bytes long */
	e[5] = '0';
	e[8] = '\t';
	ck_assert_int_eq(pdf_xref_merged(d2, n2, revs, nrevs, &tail, &tlen, &ei),
			 SP_ERR_UNSUPPORTED);
	ck_assert_ptr_null(tail);
	free(d2);
	free(d);
}
END_TEST

/*
 * pdf_xref_merged_ex(): given the entries an earlier call gave for the bytes
 * the newest section follows, it reads that section alone and gives the very
 * table and entries a read of the whole chain gives (a contract's k-th
 * completion read every section again); entries of other bytes' length are
 * not taken (the chain is read); and an update that lists a number with
 * another generation than an older section is refused as the chain's read
 * refuses it.
 */
START_TEST(merged_table_extends_known)
{
	struct sp_errinfo ei;
	struct pdf_revision revs2[8], revs3[8];
	unsigned char *d, *d2, *d3, *t2 = NULL, *tf = NULL, *tx = NULL, *e;
	void *e2 = NULL, *ef = NULL, *ex = NULL;
	size_t n, n2, n3, nr2 = 0, nr3 = 0, t2len, tflen, txlen, e2len, eflen, exlen;

	sp_errinfo_init(&ei);
	d = stored(&n);
	d2 = update(d, n, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>", 6, &n2);
	d3 = update(d2, n2, 6, "<< /Foo (bar) >>", 7, &n3);
	ck_assert_int_eq(pdf_revisions_find(d2, n2, revs2, 8, &nr2, &ei), SP_OK);
	ck_assert_int_eq(pdf_revisions_find(d3, n3, revs3, 8, &nr3, &ei), SP_OK);
	ck_assert_uint_eq(nr3, nr2 + 1);
	ck_assert_int_eq(pdf_xref_merged_ex(d2, n2, revs2, nr2, NULL, 0, 0, &t2, &t2len, &e2,
					    &e2len, &ei),
			 SP_OK);
	ck_assert_ptr_nonnull(e2);
	ck_assert_int_eq(pdf_xref_merged_ex(d3, n3, revs3, nr3, NULL, 0, 0, &tf, &tflen, &ef,
					    &eflen, &ei),
			 SP_OK);
	ck_assert_int_eq(pdf_xref_merged_ex(d3, n3, revs3, nr3, e2, e2len, n2, &tx, &txlen, &ex,
					    &exlen, &ei),
			 SP_OK);
	ck_assert_uint_eq(txlen, tflen);
	ck_assert_mem_eq(tx, tf, tflen);
	ck_assert_uint_eq(exlen, eflen);
	ck_assert_mem_eq(ex, ef, eflen);
	free(tx);
	free(ex);
	/* entries of bytes of another length: the chain is read, the same table */
	ck_assert_int_eq(pdf_xref_merged_ex(d3, n3, revs3, nr3, e2, e2len, n2 - 1, &tx, &txlen, &ex,
					    &exlen, &ei),
			 SP_OK);
	ck_assert_uint_eq(txlen, tflen);
	ck_assert_mem_eq(tx, tf, tflen);
	free(tx);
	free(ex);
	free(d3);
	/* the newest section lists object 3 (older ones list it at generation 0) at 1 */
	d3 = update(d2, n2, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1 1] >>", 6, &n3);
	ck_assert_int_eq(pdf_revisions_find(d3, n3, revs3, 8, &nr3, &ei), SP_OK);
	ck_assert_int_eq(pdf_xref_merged_ex(d3, n3, revs3, nr3, e2, e2len, n2, &tx, &txlen, &ex,
					    &exlen, &ei),
			 SP_OK);
	free(tx);
	free(ex);
	ck_assert_ptr_nonnull(e = memmem(d3 + revs3[nr3 - 1].xref, n3 - (size_t)revs3[nr3 - 1].xref,
					 " 00000 n", 8));
	e[5] = '1';
	tx = NULL;
	ex = NULL;
	ck_assert_int_eq(pdf_xref_merged(d3, n3, revs3, nr3, &tx, &txlen, &ei), SP_ERR_UNSUPPORTED);
	ck_assert_int_eq(pdf_xref_merged_ex(d3, n3, revs3, nr3, e2, e2len, n2, &tx, &txlen, &ex,
					    &exlen, &ei),
			 SP_ERR_UNSUPPORTED);
	ck_assert_ptr_null(tx);
	ck_assert_ptr_null(ex);
	free(t2);
	free(e2);
	free(tf);
	free(ef);
	free(d3);
	free(d2);
	free(d);
}
END_TEST

/*
 * A parse handed on keeps what pdf_doc_key_refs() read from it: the next
 * open of the same bytes is given those references without the array being
 * read again (a completion's difference check compares the base's /Annots
 * and /Fields, which the completion that stored the base read as its new
 * ones); a fresh open of the bytes has none.
 */
START_TEST(key_refs_go_with_the_parse)
{
	struct sp_errinfo ei;
	struct pdf_doc *first = NULL, *again = NULL, *fresh = NULL;
	struct pdf_parsed *p;
	unsigned char *d;
	size_t n;
	int *r1 = NULL, *r2 = NULL, nk;
	qpdf_oh kids;

	sp_errinfo_init(&ei);
	d = stored(&n);
	ck_assert_int_eq(pdf_doc_open_known(d, n, NULL, 0, &first, &ei), SP_OK);
	kids = qpdf_oh_get_key(first->q, qpdf_get_object_by_id(first->q, 2, 0), "/Kids");
	nk = qpdf_oh_get_array_n_items(first->q, kids);
	ck_assert_int_eq(nk, 1);
	ck_assert_int_eq(pdf_doc_key_refs(first, 2, 0, "/Kids", kids, nk, &r1), 1);
	ck_assert_int_eq(r1[0], 3);
	ck_assert_uint_eq(first->nkrefs, 1);
	ck_assert_ptr_nonnull(p = pdf_doc_parsed_take(first));
	pdf_doc_free(first);
	ck_assert_int_eq(pdf_doc_open_known_from(d, n, NULL, 0, p, &again, &ei), SP_OK);
	ck_assert_uint_eq(again->nkrefs, 1);
	kids = qpdf_oh_get_key(again->q, qpdf_get_object_by_id(again->q, 2, 0), "/Kids");
	ck_assert_int_eq(pdf_doc_key_refs(again, 2, 0, "/Kids", kids, nk, &r2), 1);
	ck_assert_mem_eq(r1, r2, 2 * sizeof(int));
	ck_assert_uint_eq(again->nkrefs, 1); /* given, not read and kept again */
	ck_assert_int_eq(pdf_doc_open_known(d, n, NULL, 0, &fresh, &ei), SP_OK);
	ck_assert_uint_eq(fresh->nkrefs, 0);
	pdf_doc_free(fresh);
	pdf_doc_free(again);
	free(r1);
	free(r2);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_parsed");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, handed_on_reads_the_same);
	tcase_add_test(tc, other_bytes_read_anew);
	tcase_add_test(tc, hostile_update_judged_as_before);
	tcase_add_test(tc, not_handed_on);
	tcase_add_test(tc, merged_table_reads_the_same);
	tcase_add_test(tc, merged_table_only_plain);
	tcase_add_test(tc, merged_table_read_at_open_only);
	tcase_add_test(tc, merged_table_extends_known);
	tcase_add_test(tc, key_refs_go_with_the_parse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
