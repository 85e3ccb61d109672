/*
 * bench_pdf: pdf_sig_prepare() time (median of N runs) and appended bytes for
 * generated 1-, 10- and 100-page documents, in normal, multi-page "all" and
 * seam "all" modes. The update must not grow with the document, except by
 * one small widget (and the page's new /Annots) per sealed page, plus one
 * slice appearance per page for seam seals.
 *
 * Usage: bench_pdf [runs]   (default 15)
 */
#include <time.h>

#include "pdf.h"
#include "../tests/fixtures/pdf-writer/pdfgen.h"
#include "util.h"

int
main(int argc, char **argv)
{
	static const int sizes[] = { 1, 10, 100 };
	static const char *modes[] = { "normal", "multi all", "seam all" };
	int runs = (int)bench_arg(argc, argv, 1, 15, 1, 10000);
	size_t seal_len, si, mi;
	unsigned char *seal = make_seal_png(300, &seal_len);
	double *t;

	if ((t = calloc((size_t)runs, sizeof(*t))) == NULL)
		bench_die("out of memory", NULL);
	printf("seal PNG %zu bytes, %d runs each\n", seal_len, runs);
	printf("%-6s %-10s %12s %14s %14s\n", "pages", "mode", "median ms", "appended B",
	       "appended/page");
	for (si = 0; si < SP_ARRAY_LEN(sizes); si++) {
		size_t n;
		unsigned char *d = make_plain_pdf(sizes[si], &n);
		struct pdf_doc *doc = NULL;
		struct sp_errinfo ei;

		double topen = bench_now_ms();

		sp_errinfo_init(&ei);
		if (pdf_doc_open(d, n, &doc, &ei) != SP_OK)
			bench_die("open", &ei);
		topen = bench_now_ms() - topen;
		printf("%-6d %-10s %12.3f %14zu (document bytes)\n", sizes[si], "open", topen, n);
		for (mi = 0; mi < SP_ARRAY_LEN(modes); mi++) {
			struct pdf_seal s = { .png = seal, .png_len = seal_len, .width_mm = 0 };
			struct pdf_placement pl = {
				.mode = PDF_PLACE_NORMAL, .page = 1, .x = 300, .y = 300
			};
			struct pdf_sig_params par = { .signing_time = 1795000000 };
			struct pdf_sig_prepared p;
			size_t appended = 0;
			int k;

			if (mi == 1) {
				pl.mode = PDF_PLACE_MULTI;
				pl.pages = "all";
			} else if (mi == 2) {
				if (sizes[si] < 2)
					continue; /* a seam needs two pages */
				pl.mode = PDF_PLACE_SEAM;
				pl.pages = "all";
			}
			for (k = 0; k < runs; k++) {
				double t0 = bench_now_ms();
				if (pdf_sig_prepare(doc, &par, &s, 1, &pl, 1, &p, &ei) != SP_OK)
					bench_die("prepare", &ei);
				t[k] = bench_now_ms() - t0;
				appended = p.len - p.orig_len;
				pdf_sig_prepared_cleanup(&p);
			}
			qsort(t, (size_t)runs, sizeof(*t), bench_cmp_double);
			printf("%-6d %-10s %12.3f %14zu %14.1f\n", sizes[si], modes[mi],
			       t[runs / 2], appended, (double)appended / sizes[si]);
		}
		pdf_doc_free(doc);
		free(d);
	}
	free(t);
	free(seal);
	return 0;
}
