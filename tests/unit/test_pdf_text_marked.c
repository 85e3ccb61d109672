/*
 * test_pdf_text_marked.c: the text locator on marked content: spans whose
 * /ActualText is the text they show (ISO 32000-2 §14.9.4).
 */
#include "test_pdf_text_ops.h"

/*
 * Marked-content spans with /ActualText (ISO 32000-2 §14.9.4): the span's
 * text is what it shows. Glyphs of a TrueType CIDFont whose CIDs are its
 * own (Ordering Identity) and no /ToUnicode read as nothing, or as the
 * wrong text; the keyword is found in the span's text, over its glyphs'
 * boxes (each glyph 10 points wide: /DW 1000). The span given inline or
 * as a named property list, its glyphs split over a TJ array and two
 * content streams; an inner span is the outer's text already; an empty
 * one takes its glyphs away (a hyphen at a line's end that is none). We
 * found none of these (pdftotext reads them all).
 */
START_TEST(actual_text_spans)
{
	static const char *cid =
		"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Own /CIDSystemInfo << "
		"/Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R "
		"/DW 1000 >>";
	static const char *desc = "<< /Type /FontDescriptor /FontName /Own /Flags 4 /Ascent 800 "
				  "/Descent -200 /FontBBox [0 -200 1000 800] /ItalicAngle 0 "
				  "/StemV 80 /CapHeight 700 >>";
	static const char *type0 = "<< /Type /Font /Subtype /Type0 /BaseFont /Own /Encoding "
				   "/Identity-H /DescendantFonts [7 0 R] >>";
	static const char *res = "<< /Font << /F1 6 0 R /H 10 0 R >> /Properties << /MC0 << "
				 "/ActualText <FEFF4E5965B9FF0876D67AE0FF09> >> >> >>";
	char *part2 = sobj("", "<0009 000A>] TJ EMC ET BT /H 10 Tf 100 600 Td (con) Tj "
			       "/Span <</ActualText ()>> BDC (-) Tj EMC (tract) Tj ET");
	const char *ex[] = { type0, cid, desc, part2, HELV };
	static const char part1[] =
		"BT /F1 10 Tf 100 700 Td /Span <</Lang (zh) /ActualText "
		"<FEFF753265B9FF0876D67AE0FF09>>> BDC /P <</MCID 0>> BDC <0001 0002 0003> Tj "
		"/Span <</ActualText (wrong)>> BDC [<0004> -500 <0005 0006>] TJ EMC EMC EMC "
		"0 -50 Td /Span /MC0 BDC [<0005 0006 0007 0008>";
	struct pdf_doc *doc = open_bin_res((const unsigned char *)part1, strlen(part1), "",
					   "[5 0 R 9 0 R]", res, ex, 5);

	/* six glyphs (the TJ's -500 moves the last two 5 points on) for six characters */
	expect_box(doc, "甲方（盖章）", 100, 698, 165, 708);
	expect_box(doc, "甲方（盖", 100, 698, 140, 708);
	/* across the two streams */
	expect_box(doc, "乙方（盖章）", 100, 648, 160, 658);
	/* Helvetica: con 16.12 points, the hyphen 3.33, tract 19.45 */
	expect_box(doc, "contract", 100, 596.5, 138.9, 609.5);
	pdf_doc_free(doc);
	free(part2);
}
END_TEST

/*
 * A span whose text has more characters than it shows glyphs (a ligature
 * for "fi", one glyph for two letters) gives each letter its glyph's box;
 * fewer (two glyphs drawn for one character) gives the character both.
 */
START_TEST(actual_text_ligatures)
{
	struct pdf_doc *doc =
		helv_doc("BT /F1 10 Tf 100 700 Td (de) Tj /Span <</ActualText "
			 "(fi)>> BDC (A) Tj EMC (ne) Tj /Span <</ActualText (D)>> BDC "
			 "(CD) Tj EMC ET",
			 NULL);

	/* de 11.12, A 6.67, ne 11.12, CD 14.44 */
	expect_box(doc, "define", 100, 696.5, 128.91, 709.5);
	expect_box(doc, "fi", 111.12, 696.5, 117.79, 709.5);
	expect_box(doc, "neD", 117.79, 696.5, 143.35, 709.5);
	expect_text(doc, "defineD");
	pdf_doc_free(doc);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pdf_text_marked");
	TCase *tc = tcase_create("actual_text");

	tcase_add_test(tc, actual_text_spans);
	tcase_add_test(tc, actual_text_ligatures);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
