/*
 * test_pdf_diff_hidden.c: the references qpdf hides (struct pdf_refs'
 * no_hidden, pdf/diff_hidden.c; review47).
 *
 * qpdf reads a reference to a missing object as null and lists no
 * dictionary key whose value is null: /XObject << /X1 99 0 R >> without
 * object 99 is seen by no walk, and an update that then defines object 99
 * changes what the page draws. Whether a new object fills such a reference
 * takes a walk of the whole newer revision (orphans_named), which a chain
 * that hides none skips: a file qpdf rewrote (an upload) and every update
 * since whose objects' bytes name no missing object. An update that names
 * one must end that, or the next update fills it unseen.
 *
 * A contract: catalog 1, pages 2, page 3 (its /Resources object 6), content
 * 4, font 5, resources 6. The references of its first revision are taken as
 * the rewritten upload's (no_hidden, through export and import); then
 * updates, each diffed as a verification diffs them in turn.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fixtures/pdf-writer/pdfgen.h"
#include "pdf_int.h"

#define RES "<< /Font << /F1 5 0 R >> >>"
#define FORM \
	"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length 25 >>\nstream\n" \
	"1 1 1 rg 0 0 612 792 re f\nendstream"

static unsigned char *
contract(size_t *n)
{
	const char *objs[6] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		"/Resources 6 0 R >>",
		"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		RES,
	};
	return make_pdf_objs(objs, 6, n);
}

/* d[0..*n) (realloc'd) plus an update of k objects nums[i] = objs[i], classic xref; its
   offsets count from the header, h bytes into d (ISO 32000-2 §7.5.2). */
static unsigned char *
update_from(unsigned char *d, size_t *n, const int *nums, const char *const *objs, int k, size_t h)
{
	struct gbuf b = { (char *)d, *n, *n };
	const unsigned char *sx = NULL, *p;
	size_t off[4], xref;
	long long prev;
	int i, size = 7;

	ck_assert_int_le(k, 4);
	for (p = d; (p = memmem(p, *n - (size_t)(p - d), "startxref", 9)) != NULL; p++)
		sx = p;
	ck_assert_ptr_nonnull(sx);
	prev = atoll((const char *)sx + 10);
	for (i = 0; i < k; i++) {
		off[i] = b.n;
		gb_printf(&b, "%d 0 obj\n%s\nendobj\n", nums[i], objs[i]);
		if (nums[i] + 1 > size)
			size = nums[i] + 1;
	}
	xref = b.n;
	gb_printf(&b, "xref\n");
	for (i = 0; i < k; i++)
		gb_printf(&b, "%d 1\n%010zu 00000 n \n", nums[i], off[i] - h);
	gb_printf(&b, "trailer\n<< /Size %d /Root 1 0 R /Prev %lld >>\nstartxref\n%zu\n%%%%EOF\n",
		  size, prev, xref - h);
	*n = b.n;
	return (unsigned char *)b.p;
}

static unsigned char *
update(unsigned char *d, size_t *n, const int *nums, const char *const *objs, int k)
{
	return update_from(d, n, nums, objs, k, 0);
}

/* The references of d's first revision as the rewritten upload's are handed on. */
static void
upload_refs(const unsigned char *d, size_t n, struct pdf_refs *refs)
{
	struct pdf_doc *doc = NULL;
	struct pdf_refs first;
	struct sp_errinfo ei;
	int *nums = NULL;
	size_t nn = 0;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_refs_init(doc, &first, &ei), SP_OK);
	first.no_hidden = 1;
	ck_assert_int_eq(pdf_refs_export(&first, &nums, &nn, &ei), SP_OK);
	ck_assert_int_eq(pdf_refs_import(nums, nn, refs, &ei), SP_OK);
	ck_assert_int_eq(refs->no_hidden, 1);
	free(nums);
	pdf_refs_cleanup(&first);
	pdf_doc_free(doc);
}

/* Diff revision k of d[0..n) against k-1 with refs; its disallowed changes' texts, joined. */
static size_t
diff_rev(const unsigned char *d, size_t n, size_t k, struct pdf_refs *refs, char *what, size_t cap)
{
	struct pdf_revision revs[8];
	struct pdf_doc *older = NULL, *newer = NULL;
	struct pdf_diff out;
	struct sp_errinfo ei;
	size_t nrev = 0, i, nd;

	sp_errinfo_init(&ei);
	what[0] = 0;
	ck_assert_int_eq(pdf_revisions_find(d, n, revs, 8, &nrev, &ei), SP_OK);
	ck_assert_uint_gt(nrev, k);
	ck_assert_int_eq(pdf_doc_open(d, revs[k - 1].end, &older, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_open(d, revs[k].end, &newer, &ei), SP_OK);
	ck_assert_msg(pdf_revision_diff(older, newer, &revs[k], refs, &out, &ei) == SP_OK, "%s",
		      ei.msg);
	for (i = 0; i < out.n; i++)
		if (!out.c[i].allowed)
			snprintf(what + strlen(what), cap - strlen(what), "%s; ", out.c[i].what);
	nd = out.ndisallowed;
	pdf_diff_cleanup(&out);
	pdf_doc_free(older);
	pdf_doc_free(newer);
	return nd;
}

/*
 * _i 0: the first update rewrites the resources to name object 99, which
 * no revision has (a disallowed change of its own, to an object a page
 * uses; what matters is the next); 1: the same, a comment between the
 * reference's parts, which qpdf skips. 2..6: words qpdf 11.3's parser
 * reads on past (review48, fills48). Inside a dictionary it takes a bare
 * endobj (2) or stream (3) for a string ("unknown token while reading
 * object; treating as string"), an invalid hex string (4, <g) for a null
 * that ends at the bad character, a keyword endobj inside an array (5) for
 * a string, and a hex string with a byte that is no hex digit (6) as ending
 * there, then parses the rest: `qpdf --show-object=6` on case 2's file
 * prints << ... /Q (endobj) /XObject << /X1 99 0 R >> >>. The second update
 * defines object 99: the page draws it now, and the diff must say so.
 */
START_TEST(a_reference_hidden_by_an_update_is_seen_filled_by_the_next)
{
	const char *res[7] = {
		"<< /Font << /F1 5 0 R >> /XObject << /X1 99 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /XObject << /X1 99 % no object 99 yet\n0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Q endobj /XObject << /X1 99 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Q stream /XObject << /X1 99 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Q <g /XObject << /X1 99 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Note [endobj] /XObject << /X1 99 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /XObject << /Note <0A0a0A0a0A0a0A0a0A0a0A0a0A0a0A0aff0Z "
		"/X1 99 0 R> >> >>",
	};
	int n6 = 6, n99 = 99;
	const char *o6 = res[_i], *o99 = FORM;
	struct pdf_refs refs;
	char what[1024];
	size_t n, nd;
	unsigned char *d = contract(&n);

	upload_refs(d, n, &refs);
	d = update(d, &n, &n6, &o6, 1);
	d = update(d, &n, &n99, &o99, 1);
	(void)diff_rev(d, n, 1, &refs, what, sizeof(what));
	ck_assert_msg(refs.no_hidden == 0,
		      "case %d: an update names missing object 99, and its references still say "
		      "they hide none",
		      _i);
	nd = diff_rev(d, n, 2, &refs, what, sizeof(what));
	ck_assert_msg(nd > 0 && strstr(what, "fills a reference") != NULL,
		      "case %d: object 99 filled: %zu disallowed changes (%s)", _i, nd, what);
	pdf_refs_cleanup(&refs);
	free(d);
}
END_TEST

/*
 * Updates that name only objects they or the revision have keep the walk
 * away: _i 0, the resources name a new form, defined in the same update;
 * 1, a string and a name that read like a reference to a missing object
 * but are none.
 */
START_TEST(an_update_naming_no_missing_object_keeps_the_chain_known)
{
	const char *res[2] = {
		"<< /Font << /F1 5 0 R >> /XObject << /X1 7 0 R >> >>",
		"<< /Font << /F1 5 0 R >> /Note (see 99 0 R) /N#20R 99 >>",
	};
	int nums[2] = { 6, 7 };
	const char *objs[2] = { res[_i], FORM };
	struct pdf_refs refs;
	char what[1024];
	size_t n;
	unsigned char *d = contract(&n);

	upload_refs(d, n, &refs);
	d = update(d, &n, nums, objs, _i == 0 ? 2 : 1);
	(void)diff_rev(d, n, 1, &refs, what, sizeof(what));
	ck_assert_msg(refs.no_hidden == 1, "case %d: the update named no missing object", _i);
	pdf_refs_cleanup(&refs);
	free(d);
}
END_TEST

/* n bytes p appended to b */
static void
put(struct gbuf *b, const unsigned char *p, size_t n)
{
	gb_printf(b, "%*s", (int)n, ""); /* room, then the bytes over it */
	memcpy(b->p + b->n - n, p, n);
}

/* Offsets as a big-endian number of w bytes at p. */
static void
be(unsigned char *p, unsigned long long v, int w)
{
	for (int i = w - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

/* A file from outside: objects 1 to 5 of the contract, its page drawing /X1, and its
   resources (object 6) naming missing object 99 in a dictionary. */
static const char *const plain[6] = {
	"<< /Type /Catalog /Pages 2 0 R >>",
	"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources 6 0 R >>",
	"<< /Length 53 >>\nstream\nBT /F1 12 Tf 72 700 Td (Pay 100 EUR) Tj ET q /X1 Do "
	"Q\nendstream",
	"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	"<< /Font << /F1 5 0 R >> /XObject << /X1 99 0 R >> >>",
};

/*
 * The contract whose resources (object 6) name missing object 99 in a
 * dictionary, written as other tools write files: kind 0, object 6 in an
 * object stream (7) and a cross-reference stream (8); 1, every object plain
 * but listed by a cross-reference stream; 2, a hybrid file: a table for the
 * plain objects whose /XRefStm stream lists object 6 in object stream 7;
 * 3, plain objects and a table; 4 and 5, plain objects and a table, the
 * reference after what a reader of the bytes might take for the object's
 * end or a string that goes on: a keyword endobj inside an array (qpdf reads
 * it as a string and reads on), a hex string with a byte that is no hex
 * digit (qpdf's token ends at that byte, and it reads on from there).
 */
static unsigned char *
other_tool(int kind, size_t *n)
{
	const char *res = kind == 4   ? "<< /Font << /F1 5 0 R >> /Note [endobj] /XObject << "
					"/X1 99 0 R >> >>"
			  : kind == 5 ? "<< /Font << /F1 5 0 R >> /XObject << /Note "
					"<0A0a0A0a0A0a0A0a0A0a0A0a0A0a0A0aff0Z /X1 99 0 R> "
					">> >>"
				      : plain[5];
	struct gbuf b = { malloc(4096), 0, 4096 };
	unsigned char row[7 * 9];
	size_t off[9] = { 0 }, xref, nrows = 0;
	int i, first = 0, count = 9;

	gb_printf(&b, "%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n");
	for (i = 0; i < 5; i++) {
		off[i + 1] = b.n;
		gb_printf(&b, "%d 0 obj\n%s\nendobj\n", i + 1, plain[i]);
	}
	if (kind == 1 || kind >= 3) {
		off[6] = b.n;
		gb_printf(&b, "6 0 obj\n%s\nendobj\n", res);
	} else {
		off[7] = b.n;
		gb_printf(&b,
			  "7 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length %zu >>\nstream\n6 0 "
			  "%s\nendstream\nendobj\n",
			  4 + strlen(res), res);
	}
	if (kind >= 3) {
		xref = b.n;
		gb_printf(&b, "xref\n0 7\n0000000000 65535 f \n");
		for (i = 1; i < 7; i++)
			gb_printf(&b, "%010zu 00000 n \n", off[i]);
		gb_printf(&b, "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
			  xref);
		*n = b.n;
		return (unsigned char *)b.p;
	}
	off[8] = b.n;
	/* the rows: type, offset or object stream (4 bytes), generation or index (2) */
	if (kind == 2) {
		first = 6;
		count = 1;
	}
	for (i = first; i < first + count; i++, nrows++) {
		unsigned char *r = row + 7 * nrows;
		int t = i == 0 || (i == 7 && kind == 1) ? 0 : i == 6 && kind != 1 ? 2 : 1;
		r[0] = (unsigned char)t;
		be(r + 1, t == 2 ? 7 : off[i], 4);
		be(r + 5, t == 0 ? 65535 * (i == 0) : 0, 2);
	}
	gb_printf(&b,
		  "8 0 obj\n<< /Type /XRef /Size 9 /W [1 4 2] /Index [%d %d] /Root 1 0 R /Length "
		  "%zu >>\nstream\n",
		  first, count, 7 * nrows);
	put(&b, row, 7 * nrows);
	gb_printf(&b, "\nendstream\nendobj\n");
	xref = off[8];
	if (kind == 2) {
		xref = b.n;
		gb_printf(&b, "xref\n0 9\n0000000000 65535 f \n");
		for (i = 1; i < 9; i++)
			gb_printf(&b, "%010zu 00000 %c \n", off[i], i == 6 ? 'f' : 'n');
		gb_printf(&b, "trailer\n<< /Size 9 /Root 1 0 R /XRefStm %zu >>\n", off[8]);
	}
	gb_printf(&b, "startxref\n%zu\n%%%%EOF\n", xref);
	*n = b.n;
	return (unsigned char *)b.p;
}

/* The references of d[0..len)'s every revision as a verification walks them itself. */
static void
walked(const unsigned char *d, size_t len, struct pdf_refs *refs)
{
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, len, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_refs_init(doc, refs, &ei) == SP_OK, "%s", ei.msg);
	pdf_doc_free(doc);
}

/*
 * A file from outside (no rewrite here): its walk tells from its bytes
 * that it hides no reference, so no later update's newer revision is
 * walked again (orphans_named); and what the diffs find is what they find
 * with that walk (the flag cleared by hand). _i 0, the contract alone; 1,
 * the contract and an update naming a new form it defines. Then an update
 * defines object 99, which nothing names: no change but that.
 */
START_TEST(a_file_from_outside_naming_no_missing_object_hides_none)
{
	int nums[2] = { 6, 7 }, n99 = 99;
	const char *objs[2] = { "<< /Font << /F1 5 0 R >> /XObject << /X1 7 0 R >> >>", FORM },
		   *o99 = FORM;
	struct pdf_refs refs, walk;
	char what[1024], what2[1024];
	size_t n, n1, nd, nd2;
	unsigned char *d = contract(&n);

	if (_i == 1)
		d = update(d, &n, nums, objs, 2);
	n1 = n;
	d = update(d, &n, &n99, &o99, 1);
	walked(d, n1, &refs);
	ck_assert_msg(refs.no_hidden == 1,
		      "case %d: a file naming no missing object, walked: its references say they "
		      "may hide one",
		      _i);
	walked(d, n1, &walk);
	walk.no_hidden = 0;
	nd = diff_rev(d, n, 1 + (size_t)_i, &refs, what, sizeof(what));
	nd2 = diff_rev(d, n, 1 + (size_t)_i, &walk, what2, sizeof(what2));
	ck_assert_msg(nd == nd2 && strcmp(what, what2) == 0,
		      "case %d: the diff without the walk (%zu: %s) is not the diff with it (%zu: "
		      "%s)",
		      _i, nd, what, nd2, what2);
	ck_assert_uint_eq(refs.no_hidden, 1);
	pdf_refs_cleanup(&refs);
	pdf_refs_cleanup(&walk);
	free(d);
}
END_TEST

/*
 * Where the bytes cannot tell, the walk stays: object 6 names missing
 * object 99 in its dictionary (other_tool: _i 0 in an object stream, 1 in
 * a file listed by an xref stream, 2 in a hybrid file's /XRefStm object
 * stream, 3 plainly, which the bytes read; 4 and 5 plainly, after bytes a
 * reader might stop at). The file's walk must not
 * say it hides none, and an update that defines object 99 fills that
 * reference: the page draws it.
 */
START_TEST(a_file_from_outside_that_may_hide_a_reference_is_walked)
{
	int n99 = 99;
	const char *o99 = FORM;
	struct pdf_refs refs;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	char what[1024];
	size_t n, n1, nd;
	unsigned char *d = other_tool(_i, &n);

	/* qpdf reads the file as a page that draws nothing under /X1 yet */
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "case %d: %s", _i, ei.msg);
	ck_assert_int_eq(pdf_doc_damaged(doc), 0);
	pdf_doc_free(doc);
	n1 = n;
	d = update(d, &n, &n99, &o99, 1);
	walked(d, n1, &refs);
	ck_assert_msg(refs.no_hidden == 0,
		      "case %d: object 6 names missing object 99, and the walk says the file "
		      "hides no reference",
		      _i);
	nd = diff_rev(d, n, 1, &refs, what, sizeof(what));
	ck_assert_msg(nd > 0 && strstr(what, "fills a reference") != NULL,
		      "case %d: object 99 filled: %zu disallowed changes (%s)", _i, nd, what);
	pdf_refs_cleanup(&refs);
	free(d);
}
END_TEST

/*
 * Bytes before the header (a mail gateway's, a web server's: 25 here), so
 * the table's offsets count from "%PDF-" (ISO 32000-2 §7.5.2), as qpdf
 * reads them: `qpdf --check` finds no error, and `qpdf --show-object=6`
 * prints << /Font << /F1 5 0 R >> /XObject << >> >>, object 6 naming
 * missing object 99. A comment line before each object holds
 * "N 0 obj null endobj" 25 bytes before it, where an offset taken as
 * counting from the file's first byte lands. The file's walk must not say
 * it hides no reference, and an update (its offsets from the header too)
 * that defines object 99 fills that reference: the page draws it.
 */
START_TEST(a_file_with_bytes_before_its_header_is_read_where_qpdf_reads_it)
{
	const size_t h = 25;
	struct gbuf b = { malloc(4096), 0, 4096 };
	int i, dl, n99 = 99;
	const char *o99 = FORM;
	char dec[32];
	struct pdf_refs refs;
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	char what[1024];
	size_t off[7] = { 0 }, xref, n, n1, nd;
	unsigned char *d;

	gb_printf(&b, "%.*s\n%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n", (int)h - 1,
		  "X-Gateway: scanned, clean....");
	for (i = 0; i < 6; i++) {
		/* a comment line whose text begins h bytes before the object */
		dl = snprintf(dec, sizeof(dec), "%d 0 obj null endobj", i + 1);
		gb_printf(&b, "%%%-24s\n", "");
		memcpy(b.p + b.n - h, dec, (size_t)dl);
		off[i + 1] = b.n;
		gb_printf(&b, "%d 0 obj\n%s\nendobj\n", i + 1, plain[i]);
	}
	xref = b.n;
	gb_printf(&b, "xref\n0 7\n0000000000 65535 f \n");
	for (i = 1; i < 7; i++)
		gb_printf(&b, "%010zu 00000 n \n", off[i] - h);
	gb_printf(&b, "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref - h);
	d = (unsigned char *)b.p;
	n = b.n;
	ck_assert_int_eq(memcmp(d + off[6] - h, "6 0 obj null endobj ", 20), 0);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_doc_open(d, n, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(pdf_doc_damaged(doc), 0);
	pdf_doc_free(doc);
	n1 = n;
	d = update_from(d, &n, &n99, &o99, 1, h);
	walked(d, n1, &refs);
	ck_assert_msg(refs.no_hidden == 0, "object 6 names missing object 99, and the walk of the "
					   "file, 25 bytes before its header, says it hides no "
					   "reference");
	nd = diff_rev(d, n, 1, &refs, what, sizeof(what));
	ck_assert_msg(nd > 0 && strstr(what, "fills a reference") != NULL,
		      "object 99 filled: %zu disallowed changes (%s)", nd, what);
	pdf_refs_cleanup(&refs);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_diff_hidden");
	TCase *tc = tcase_create("hidden");

	tcase_add_loop_test(tc, a_reference_hidden_by_an_update_is_seen_filled_by_the_next, 0, 7);
	tcase_add_loop_test(tc, an_update_naming_no_missing_object_keeps_the_chain_known, 0, 2);
	tcase_add_loop_test(tc, a_file_from_outside_naming_no_missing_object_hides_none, 0, 2);
	tcase_add_loop_test(tc, a_file_from_outside_that_may_hide_a_reference_is_walked, 0, 6);
	tcase_add_test(tc, a_file_with_bytes_before_its_header_is_read_where_qpdf_reads_it);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
