/*
 * test_pdf_numtree.c: a number tree (a /ParentTree) read as a reader looks
 * keys up in it (pdf/numtree.c): flat, or with /Kids two and three levels
 * deep, its greatest key and the path of last kids where keys past it go;
 * and each shape a reader would not find every key in refused: /Limits that
 * lie at a leaf or above, keys out of order within a leaf or across leaves,
 * a direct kid, a cycle, a root with /Limits, a node with both /Kids and
 * /Nums, a key that is no integer, a /Nums of odd length.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "pdf_int.h"
#include "support_suite.h"

/* a tree read refuses: no key, no path */
#define REFUSED 0, 0, 0, { 0 }, 0

static const struct {
	const char *objs[5]; /* objects 1.., object 1 the tree's root */
	int ok, any;
	long long max;
	int path[3], npath;
} cases[] = {
	/* 0: flat */
	{ { "<< /Nums [0 (a) 1 (b)] >>" }, 1, 1, 1, { 0 }, 0 },
	/* 1: two levels */
	{ { "<< /Kids [2 0 R 3 0 R] >>", "<< /Limits [0 1] /Nums [0 (a) 1 (b)] >>",
	    "<< /Limits [5 7] /Nums [5 (c) 7 (d)] >>" },
	  1,
	  1,
	  7,
	  { 3 },
	  1 },
	/* 2: three levels */
	{ { "<< /Kids [2 0 R] >>", "<< /Limits [0 7] /Kids [3 0 R 4 0 R] >>",
	    "<< /Limits [0 1] /Nums [0 (a) 1 (b)] >>", "<< /Limits [5 7] /Nums [5 (c) 7 (d)] >>" },
	  1,
	  1,
	  7,
	  { 2, 4 },
	  2 },
	/* 3: a leaf's /Limits past its keys */
	{ { "<< /Kids [2 0 R 3 0 R] >>", "<< /Limits [0 1] /Nums [0 (a) 1 (b)] >>",
	    "<< /Limits [5 9] /Nums [5 (c) 7 (d)] >>" },
	  REFUSED },
	/* 4: an intermediate node's /Limits past its leaves' */
	{ { "<< /Kids [2 0 R] >>", "<< /Limits [0 9] /Kids [3 0 R 4 0 R] >>",
	    "<< /Limits [0 1] /Nums [0 (a) 1 (b)] >>", "<< /Limits [5 7] /Nums [5 (c) 7 (d)] >>" },
	  REFUSED },
	/* 5: leaves out of order */
	{ { "<< /Kids [2 0 R 3 0 R] >>", "<< /Limits [5 7] /Nums [5 (c) 7 (d)] >>",
	    "<< /Limits [0 1] /Nums [0 (a) 1 (b)] >>" },
	  REFUSED },
	/* 6: keys out of order within a leaf, its /Limits its least and greatest */
	{ { "<< /Kids [2 0 R] >>", "<< /Limits [0 1] /Nums [1 (a) 0 (b)] >>" }, REFUSED },
	/* 7: a kid that is no object */
	{ { "<< /Kids [<< /Limits [0 0] /Nums [0 (a)] >>] >>" }, REFUSED },
	/* 8: a node its own kid */
	{ { "<< /Kids [2 0 R] >>", "<< /Limits [0 0] /Kids [2 0 R] >>" }, REFUSED },
	/* 9: the root with /Limits */
	{ { "<< /Limits [0 1] /Nums [0 (a) 1 (b)] >>" }, REFUSED },
	/* 10: /Kids and /Nums both */
	{ { "<< /Kids [2 0 R] /Nums [3 (x)] >>", "<< /Limits [0 0] /Nums [0 (a)] >>" }, REFUSED },
	/* 11: a key that is no integer */
	{ { "<< /Nums [0 (a) 1.5 (b)] >>" }, REFUSED },
	/* 12: an empty tree */
	{ { "<< /Kids [] >>" }, 1, 0, 0, { 0 }, 0 },
	/* 13: a /Nums of odd length */
	{ { "<< /Nums [0 (a) 1] >>" }, REFUSED },
};

/* The objects as a PDF (a catalog after them), read by qpdf. */
static qpdf_data
tree_doc(const char *const *objs, char *pdf, size_t room)
{
	size_t off[8], n = 0, i, len;
	int k = 0;
	qpdf_data q = qpdf_init();

	len = (size_t)snprintf(pdf, room, "%%PDF-1.7\n");
	for (; k < 5 && objs[k]; k++) {
		off[n++] = len;
		len += (size_t)snprintf(pdf + len, room - len, "%d 0 obj\n%s\nendobj\n", k + 1,
					objs[k]);
	}
	off[n++] = len;
	len += (size_t)snprintf(pdf + len, room - len,
				"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n", k + 1,
				k + 2);
	off[n++] = len;
	len += (size_t)snprintf(pdf + len, room - len,
				"%d 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n", k + 2);
	ck_assert_uint_lt(len, room - 400);
	{
		size_t x = len;
		len += (size_t)snprintf(pdf + len, room - len, "xref\n0 %zu\n0000000000 65535 f \n",
					n + 1);
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(pdf + len, room - len, "%010zu 00000 n \n", off[i]);
		len += (size_t)
			snprintf(pdf + len, room - len,
				 "trailer\n<< /Size %zu /Root %d 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
				 n + 1, k + 1, x);
	}
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	ck_assert_int_eq(qpdf_read_memory(q, "tree.pdf", pdf, len, NULL) & QPDF_ERRORS, 0);
	return q;
}

START_TEST(trees_read)
{
	static char pdf[4096];
	qpdf_data q = tree_doc(cases[_i].objs, pdf, sizeof(pdf));
	struct pdf_numtree t;
	int ok = pdf_numtree_read(q, qpdf_get_object_by_id(q, 1, 0), &t), i;

	ck_assert_msg(ok == cases[_i].ok, "case %d: read %d", _i, ok);
	if (ok) {
		ck_assert_msg(t.any == cases[_i].any && (!t.any || t.max == cases[_i].max),
			      "case %d: any %d, max %lld", _i, t.any, t.max);
		ck_assert_int_eq(t.npath, cases[_i].npath);
		for (i = 0; i < t.npath; i++)
			ck_assert_int_eq(t.path[i], cases[_i].path[i]);
	}
	qpdf_cleanup(&q);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_numtree");
	TCase *t = test_tcase(s, "core", NULL, NULL, 1, 30);

	tcase_add_loop_test(t, trees_read, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	return test_suite_run(s);
}
