/*
 * test_pdf_text_ops.c: the text locator on small hand-made PDFs, one per
 * operator or font path, with the expected glyph boxes computed by hand
 * (Helvetica widths: A B 667, C D 722, space 278, ( ) 333; no font
 * descriptor means ascent 0.95 em and descent -0.35 em).
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "test_pdf_text_ops.h"

START_TEST(tj_basic)
{
	struct pdf_doc *doc = helv_doc("BT /F1 10 Tf 100 700 Td (AB) Tj ET", NULL);

	expect_box(doc, "AB", 100, 696.5, 113.34, 709.5);
	expect_text(doc, "AB");
	pdf_doc_free(doc);
}
END_TEST

START_TEST(tj_array_kerning)
{
	struct pdf_doc *doc = helv_doc("BT /F1 10 Tf 100 700 Td [(A) -1000 (B)] TJ ET", NULL);

	/* -1000 moves B one em (10 pt) right; +500 moves it half an em left */
	expect_box(doc, "AB", 100, 696.5, 123.34, 709.5);
	pdf_doc_free(doc);
	doc = helv_doc("BT /F1 10 Tf 100 700 Td [(A) 500 (B)] TJ ET", NULL);
	expect_box(doc, "AB", 100, 696.5, 108.34, 709.5);
	pdf_doc_free(doc);
}
END_TEST

START_TEST(quote_operators)
{
	/* ' moves to the next line; " also sets word (2) and char (1) spacing */
	struct pdf_doc *doc =
		helv_doc("BT /F1 10 Tf 14 TL 100 700 Td (A) Tj (B) ' 2 1 (C D) \" ET", NULL);

	expect_box(doc, "B", 100, 682.5, 106.67, 695.5);
	/* C: 7.22 + 1; space: 2.78 + 1 + 2; D: 7.22 */
	expect_box(doc, "CD", 100, 668.5, 121.22, 681.5);
	expect_text(doc, "A\nB\nC D");
	pdf_doc_free(doc);
}
END_TEST

START_TEST(text_state)
{
	/* Tz 50 halves advances and glyphs, Ts 5 raises them, Tc adds per glyph;
	 * they are graphics state, so they outlive ET and are reset by hand */
	struct pdf_doc *doc = helv_doc("BT /F1 10 Tf 50 Tz 5 Ts 100 700 Td (AB) Tj ET "
				       "BT /F1 10 Tf 100 Tz 0 Ts 3 Tc 100 500 Td (CD) Tj ET "
				       "BT /F1 10 Tf 0 Tc 100 400 TD 0 -20 TD (X) Tj T* (Y) Tj ET",
				       NULL);

	expect_box(doc, "AB", 100, 701.5, 106.67, 714.5);
	expect_box(doc, "CD", 100, 496.5, 117.44, 509.5);
	/* TD sets the leading to 20: Y is 20 below X (at 380) */
	expect_box(doc, "X", 100, 376.5, 106.67, 389.5);
	expect_box(doc, "Y", 100, 356.5, 106.67, 369.5);
	pdf_doc_free(doc);
}
END_TEST

START_TEST(cm_and_gstate)
{
	struct pdf_doc *doc = helv_doc("q 2 0 0 2 10 20 cm BT /F1 10 Tf 5 5 Td (A) Tj ET Q "
				       "BT /F1 10 Tf 300 300 Td (B) Tj ET "
				       "q 0 1 -1 0 400 100 cm BT /F1 10 Tf 0 0 Td (CD) Tj ET Q Q Q",
				       NULL);

	expect_box(doc, "A", 20, 23, 33.34, 49);
	expect_box(doc, "B", 300, 296.5, 306.67, 309.5); /* Q restored the CTM */
	/* rotated 90 degrees: the text runs up the page */
	expect_box(doc, "CD", 390.5, 100, 403.5, 114.44);
	pdf_doc_free(doc);
}
END_TEST

START_TEST(form_xobject)
{
	char *f1 = sobj("/Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [1 0 0 1 50 60] "
			"/Resources << /Font << /F9 6 0 R >> /XObject << /Y 8 0 R >> >>",
			"BT /F9 10 Tf 10 10 Td (AB) Tj ET /Y Do");
	/* a form that paints the first one again: a cycle the interpreter must cut */
	char *f2 = sobj("/Type /XObject /Subtype /Form /BBox [0 0 500 500] "
			"/Resources << /XObject << /X 7 0 R >> >>",
			"/X Do");
	const char *ex[] = { HELV, f1, f2 };
	struct pdf_doc *doc =
		open_built("q 1 0 0 1 100 100 cm /X1 Do Q",
			   "<< /Font << /F1 6 0 R >> /XObject << /X1 7 0 R >> >>", NULL, ex, 3);
	struct pdf_text_hit *h = NULL;
	size_t n = 0;
	struct sp_errinfo ei;

	/* (10,10) in the form, + Matrix (50,60), + cm (100,100); the form's /Y
	 * paints /X again, which the cycle check stops: one occurrence */
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_text_find(doc, "AB", &h, &n, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(n, 1);
	ck_assert(fabs(h[0].x0 - 160) < EPS && fabs(h[0].y0 - 166.5) < EPS &&
		  fabs(h[0].x1 - 173.34) < EPS && fabs(h[0].y1 - 179.5) < EPS);
	free(h);
	pdf_doc_free(doc);
	free(f1);
	free(f2);
}
END_TEST

START_TEST(across_lines)
{
	/* an occurrence broken over two lines is found; its box is the first line's
	 * part ("x" is 5 pt wide, so A starts at 105) */
	struct pdf_doc *doc =
		helv_doc("BT /F1 10 Tf 100 700 Td (xAB) Tj 0 -20 Td (CD) Tj ET", NULL);

	expect_box(doc, "ABCD", 105, 696.5, 118.34, 709.5);
	expect_box(doc, "A B\nC", 105, 696.5, 118.34, 709.5);
	expect_text(doc, "xAB\nCD");
	pdf_doc_free(doc);
}
END_TEST

START_TEST(rotated_page)
{
	/* /Rotate does not change default user space: same box as unrotated */
	struct pdf_doc *doc = helv_doc("BT /F1 10 Tf 100 700 Td (AB) Tj ET", "/Rotate 90");

	expect_box(doc, "AB", 100, 696.5, 113.34, 709.5);
	pdf_doc_free(doc);
}
END_TEST

START_TEST(differences_encoding)
{
	const char *ex[] = {
		"<< /Type /Font /Subtype /Type1 /BaseFont /Foo /FirstChar 65 /LastChar 67 "
		"/Widths [500 600 700] /Encoding << /BaseEncoding /WinAnsiEncoding "
		"/Differences [65 /uni4E59 /uni65B9 67 /Euro] >> >>"
	};
	struct pdf_doc *doc = open_built("BT /F1 10 Tf 100 700 Td (ABCa) Tj ET",
					 "<< /Font << /F1 6 0 R >> >>", NULL, ex, 1);

	expect_box(doc, "乙方", 100, 696.5, 111, 709.5);
	expect_box(doc, "€", 111, 696.5, 118, 709.5);
	expect_text(doc, "乙方€a");
	pdf_doc_free(doc);
}
END_TEST

START_TEST(standard_and_macroman)
{
	const char *ex[] = {
		"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /MacRomanEncoding >>"
	};
	struct pdf_doc *doc =
		open_built("BT /F1 10 Tf 100 700 Td (\\047) Tj /F2 10 Tf (\\212) Tj ET",
			   "<< /Font << /F1 6 0 R /F2 7 0 R >> >>", NULL, ex, 2);

	/* StandardEncoding 047 is quoteright (Times 333); MacRoman 0x8A is adieresis (Helvetica 556) */
	expect_box(doc, "\xe2\x80\x99", 100, 696.5, 103.33, 709.5);
	expect_box(doc, "ä", 103.33, 696.5, 108.89, 709.5);
	pdf_doc_free(doc);
}
END_TEST

#define CMAP_HEAD "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
#define CMAP_TAIL "endcmap CMapName currentdict /CMap defineresource pop end end"

START_TEST(type0_identity_tounicode)
{
	char *tu = sobj("", CMAP_HEAD "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
				      "2 beginbfchar <0001> <4E59> <0002> <D83DDE00> endbfchar\n"
				      "2 beginbfrange <000A> <000C> [<7532> <65B9> <0028>]\n"
				      "<0014> <0016> <FF08> endbfrange\n" CMAP_TAIL);
	const char *ex[] = {
		"<< /Type /Font /Subtype /Type0 /BaseFont /Bar /Encoding /Identity-H "
		"/DescendantFonts [7 0 R] /ToUnicode 8 0 R >>",
		"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Bar /CIDSystemInfo << /Registry "
		"(Adobe) "
		"/Ordering (Identity) /Supplement 0 >> /FontDescriptor 9 0 R /DW 1000 /W [1 [500 "
		"600] 10 20 700] >>",
		tu,
		"<< /Type /FontDescriptor /FontName /Bar /Flags 4 /Ascent 800 /Descent -200 "
		"/FontBBox [0 -200 1000 800] /ItalicAngle 0 /StemV 80 /CapHeight 700 >>"
	};
	struct pdf_doc *doc = open_built("BT /F1 10 Tf 100 700 Td <0001 000A 000B 0014 0015 0016 "
					 "0002 0030> Tj ET",
					 "<< /Font << /F1 6 0 R >> >>", NULL, ex, 4);

	/* widths: cid 1 500, 10..20 700, 21 and 22 DW 1000, 2 600, 0x30 DW */
	expect_box(doc, "甲方（）", 105, 698, 136, 708);
	expect_box(doc, "＊", 136, 698, 146, 708);
	expect_box(doc, "\xf0\x9f\x98\x80", 146, 698, 152, 708);
	expect_text(doc, "乙甲方（）＊\xf0\x9f\x98\x80\xef\xbf\xbd");
	pdf_doc_free(doc);
	free(tu);
}
END_TEST

/*
 * Type0 fonts with a predefined CJK CMap and no /ToUnicode, as Acrobat
 * Distiller and older Chinese writers leave fonts they do not embed:
 * GBK-EUC-H codes (1 or 2 bytes) through poppler-data's CMap to Adobe-GB1
 * CIDs, and those to Unicode through its table; an Identity-H font not
 * embedded (CIDs are the collection's); UniGB-UCS2-H, whose code is the
 * text, now with the CID's width (/W).
 */
START_TEST(type0_predefined_cmaps)
{
	static const char *const encs[] = { "/GBK-EUC-H", "/Identity-H", "/UniGB-UCS2-H" };
	/* 乙方（盖章）AB in each encoding: GBK; Adobe-GB1 CIDs; UCS-2 */
	static const char *const shown[] = {
		"<d2d2b7bda3a8b8c7d5c2a3a94142>",
		"<1059 065A 010D 06C2 1163 010E 0022 0023>",
		"<4E59 65B9 FF08 76D6 7AE0 FF09 0041 0042>",
	};
	char font[256], content[160];
	const char *ex[2];
	size_t k;

	for (k = 0; k < 3; k++) {
		snprintf(font, sizeof(font),
			 "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding %s "
			 "/DescendantFonts [7 0 R] >>",
			 encs[k]);
		ex[0] = font;
		/* A and B half width (CIDs 34, 35, and GBK-EUC-H's 846, 847); the rest DW */
		ex[1] = "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
			"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
			"/DW 1000 /W [34 [500 500] 846 [500 500]] >>";
		snprintf(content, sizeof(content), "BT /F1 10 Tf 100 700 Td %s Tj ET", shown[k]);
		struct pdf_doc *doc =
			open_built(content, "<< /Font << /F1 6 0 R >> >>", NULL, ex, 2);
		expect_text(doc, "乙方（盖章）AB");
		expect_box(doc, "（盖章）", 120, 696.5, 160, 709.5);
		expect_box(doc, "AB", 160, 696.5, 170, 709.5);
		pdf_doc_free(doc);
	}
	/* a name that would be a path, or no CMap there is: 2-byte codes, no text */
	for (k = 0; k < 2; k++) {
		snprintf(font, sizeof(font),
			 "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding %s "
			 "/DescendantFonts [7 0 R] >>",
			 k ? "/No-Such-CMap" : "/#2E#2E#2F#2E#2E#2FcMap#2FAdobe-GB1#2FGBK-EUC-H");
		ex[0] = font;
		struct pdf_doc *doc = open_built("BT /F1 10 Tf 100 700 Td <d2d2b7bd> Tj ET",
						 "<< /Font << /F1 6 0 R >> >>", NULL, ex, 2);
		expect_text(doc, "\xef\xbf\xbd\xef\xbf\xbd");
		pdf_doc_free(doc);
	}
}
END_TEST

/*
 * reportlab's STSong-Light (UniGB-UCS2-H, not embedded) puts /MissingWidth
 * 500 in the CIDFont's descriptor: a key for simple fonts only (ISO 32000-1
 * Table 122); a CIDFont's missing width is /DW, as poppler reads it. The
 * descriptor's 500 made every ideograph half wide and the seal on
 * "（盖章）" landed left of it.
 */
START_TEST(cid_font_ignores_missing_width)
{
	const char *ex[] = {
		"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
		"/DescendantFonts [7 0 R] >>",
		"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
		"<< /Registry (Adobe) /Ordering (GB1) /Supplement 0 >> /DW 1000 /W [34 [500]] "
		"/FontDescriptor 8 0 R >>",
		"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /Ascent 752 /Descent "
		"-271 "
		"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /StemV 93 /MissingWidth 500 >>"
	};
	struct pdf_doc *doc = open_built("BT /F1 10 Tf 100 700 Td <7532 65B9 FF08 76D6 7AE0 FF09 "
					 "0041> Tj ET",
					 "<< /Font << /F1 6 0 R >> >>", NULL, ex, 3);

	/* six ideographs of DW 1000, then A (CID 34) of 500 */
	expect_box(doc, "（盖章）", 120, 697.29, 160, 707.52);
	expect_box(doc, "A", 160, 697.29, 165, 707.52);
	pdf_doc_free(doc);
}
END_TEST

/*
 * Vertical writing (ISO 32000-2 §9.7.4.3): a font whose CMap is vertical
 * (UniGB-UCS2-V, Identity-V, an embedded CMap with /WMode 1) moves down its
 * column, each glyph by its /W2 or /DW2 displacement (-1000 by default), and
 * a glyph's box is its cell there: its width centred on the column (the
 * position vector's vx, w0 / 2 by default), its displacement down from the
 * current point. TJ's numbers move along the column. A keyword set
 * vertically is found, its box the column's cells (laid out as horizontal
 * text, the keyword ran along a line to the right and the seal missed it).
 */
START_TEST(vertical_writing)
{
	static const char *const encs[] = { "/UniGB-UCS2-V", "/Identity-V" };
	static const char *const text[] = { "<7532 65B9 FF08 76D6 7AE0 FF09 0041>",
					    /* Adobe-GB1 CIDs of the same text */
					    "<084A 065A 010D 06C2 1163 010E 0022>" };
	char f0[512], body[256];
	const char *ex[3] = {
		f0,
		"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
		"<< /Registry (Adobe) /Ordering (GB1) /Supplement 0 >> /DW 1000 /W [34 [500]] "
		"/W2 [34 [-600 250 880]] /FontDescriptor 8 0 R >>",
		"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /Ascent 752 /Descent "
		"-271 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /StemV 93 >>"
	};
	struct pdf_doc *doc;

	snprintf(f0, sizeof(f0),
		 "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding %s "
		 "/DescendantFonts [7 0 R] >>",
		 encs[_i]);
	snprintf(body, sizeof(body), "BT /F1 10 Tf 100 700 Td %s Tj ET", text[_i]);
	doc = open_built(body, "<< /Font << /F1 6 0 R >> >>", NULL, ex, 3);
	/* 甲 and 方 fill 700..680, （盖章） the next four cells, A (W2: -600) 6 points */
	expect_box(doc, "甲方", 95, 680, 105, 700);
	expect_box(doc, "（盖章）", 95, 640, 105, 680);
	expect_box(doc, "A", 97.5, 634, 102.5, 640);
	pdf_doc_free(doc);
	/* a TJ number of 1000 moves one em down the column */
	snprintf(body, sizeof(body), "BT /F1 10 Tf 100 700 Td [%.*s> 1000 <%s] TJ ET", 10, text[_i],
		 text[_i] + 11);
	doc = open_built(body, "<< /Font << /F1 6 0 R >> >>", NULL, ex, 3);
	expect_box(doc, "甲方", 95, 680, 105, 700);
	expect_box(doc, "（盖章）", 95, 630, 105, 670);
	pdf_doc_free(doc);
}
END_TEST

/*
 * Chromium (Skia) writes CJK fonts whose glyph an ideograph shares with a
 * Kangxi radical (Noto CJK, WenQuanYi) as Type 3 fonts whose /ToUnicode
 * names the lowest code point of the glyph: U+2F45 KANGXI RADICAL SQUARE for
 * 方, U+2F04 for 乙, U+2F08 for 人. poppler's search treats them as the
 * ideograph (NFKC); so does the keyword search, with Unicode's
 * EquivalentUnifiedIdeograph.txt, both ways. The page text keeps what the
 * file says.
 */
START_TEST(kangxi_radicals_match_ideographs)
{
	char *tu = sobj("", CMAP_HEAD
			"1 begincodespacerange <00> <FF> endcodespacerange\n"
			"8 beginbfchar <01> <2F04> <02> <2F45> <03> <FF08> <04> <76D6> "
			"<05> <7AE0> <06> <FF09> <07> <2F08> <08> <31D0> endbfchar\n" CMAP_TAIL);
	char *g = sobj("", "1000 0 0 0 1000 1000 d1");
	char font[512];
	const char *ex[3];
	struct pdf_text_hit *h = NULL;
	size_t n = 0;
	struct sp_errinfo ei;

	snprintf(font, sizeof(font),
		 "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 "
		 "0 0.001 0 0] /Resources << >> /CharProcs << /g 7 0 R >> /Encoding << "
		 "/Differences [1 /g /g /g /g /g /g /g /g] >> /FirstChar 1 /LastChar 8 "
		 "/Widths [1000 1000 1000 1000 1000 1000 1000 1000] /ToUnicode 8 0 R >>");
	ex[0] = font;
	ex[1] = g;
	ex[2] = tu;
	struct pdf_doc *doc = open_built("BT /F1 10 Tf 100 700 Td <0102030405060708> Tj ET",
					 "<< /Font << /F1 6 0 R >> >>", NULL, ex, 3);

	expect_box(doc, "乙方（盖章）", 100, 696.5, 160, 709.5);
	expect_box(doc, "人一", 160, 696.5, 180, 709.5);
	/* a radical in the keyword finds the ideograph too */
	expect_box(doc, "\xe2\xbc\x84\xe2\xbd\x85", 100, 696.5, 120, 709.5);
	expect_text(doc, "\xe2\xbc\x84\xe2\xbd\x85（盖章）\xe2\xbc\x88\xe3\x87\x90");
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_text_find(doc, "甲方", &h, &n, &ei), SP_OK);
	ck_assert_uint_eq(n, 0);
	pdf_doc_free(doc);
	free(tu);
	free(g);
}
END_TEST

/*
 * xelatex with ctex (xdvipdfmx) embeds FandolSong as a CID-keyed CFF font
 * (CIDFontType0, FontFile3 /CIDFontType0C) of Adobe-GB1 with Identity-H and
 * no /ToUnicode: the CIDs a CFF CIDFont shows are its collection's, embedded
 * or not, so the collection's table gives the text (as poppler reads it).
 * An embedded TrueType CIDFont's CIDs may be glyph numbers: no text.
 */
START_TEST(embedded_cff_cidfont_collection)
{
	char *ff = sobj("/Subtype /CIDFontType0C", "not a font program");
	char cidf[320];
	const char *ex[4];
	int k;

	for (k = 0; k < 2; k++) {
		snprintf(cidf, sizeof(cidf),
			 "<< /Type /Font /Subtype /CIDFontType%d /BaseFont "
			 "/ABCDEF+FandolSong-Regular "
			 "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 5 >> /DW "
			 "1000 /FontDescriptor 8 0 R >>",
			 k ? 2 : 0);
		ex[0] = "<< /Type /Font /Subtype /Type0 /BaseFont "
			"/ABCDEF+FandolSong-Regular-Identity-H "
			"/Encoding /Identity-H /DescendantFonts [7 0 R] >>";
		ex[1] = cidf;
		ex[2] = k ? "<< /Type /FontDescriptor /FontName /ABCDEF+FandolSong-Regular /Flags "
			    "4 "
			    "/Ascent 880 /Descent -120 /FontBBox [0 -120 1000 880] /ItalicAngle 0 "
			    "/StemV 80 /FontFile2 9 0 R >>"
			  : "<< /Type /FontDescriptor /FontName /ABCDEF+FandolSong-Regular /Flags "
			    "4 "
			    "/Ascent 880 /Descent -120 /FontBBox [0 -120 1000 880] /ItalicAngle 0 "
			    "/StemV 80 /FontFile3 9 0 R >>";
		ex[3] = ff;
		/* 乙方（盖章） as Adobe-GB1 CIDs */
		struct pdf_doc *doc =
			open_built("BT /F1 10 Tf 100 700 Td <1059 065A 010D 06C2 1163 "
				   "010E> Tj ET",
				   "<< /Font << /F1 6 0 R >> >>", NULL, ex, 4);
		if (k == 0) {
			expect_text(doc, "乙方（盖章）");
			expect_box(doc, "（盖章）", 120, 698.8, 160, 708.8);
		} else {
			expect_text(doc, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
					 "\xef\xbf\xbd\xef\xbf\xbd");
		}
		pdf_doc_free(doc);
	}
	free(ff);
}
END_TEST

START_TEST(inline_image_and_strings)
{
	struct pdf_doc *doc =
		helv_doc("BI /W 2 /H 2 /BPC 8 /CS /G ID \x01"
			 "EI\xff\x02 EI "
			 "BT /F1 10 Tf 100 700 Td (\\101\\(B\\)\\\n) Tj <41 4 2> Tj ET",
			 NULL);

	expect_box(doc, "A(B)AB", 100, 696.5, 133.34, 709.5);
	pdf_doc_free(doc);
}
END_TEST

static struct pdf_doc *
open_bin(const unsigned char *c, size_t clen, const char *cdict, const char *ref,
	 const char **extras, int nextra)
{
	return open_bin_res(c, clen, cdict, ref, "<< /Font << /F1 6 0 R >> >>", extras, nextra);
}

START_TEST(compressed_and_split_content)
{
	static const char part1[] = "BT /F1 10 Tf 100 700 Td";
	char *part2 = sobj("", "(AB) Tj ET");
	const char *ex[] = { HELV, part2 };
	unsigned char z[256];
	uLongf zlen = sizeof(z);
	struct pdf_doc *doc;

	/* /Contents as an array: the streams join with a newline between them */
	ck_assert(compress2(z, &zlen, (const Bytef *)part1, strlen(part1), 9) == Z_OK);
	doc = open_bin(z, zlen, "/Filter /FlateDecode", "[5 0 R 7 0 R]", ex, 2);
	expect_box(doc, "AB", 100, 696.5, 113.34, 709.5);
	pdf_doc_free(doc);
	free(part2);
}
END_TEST

START_TEST(deflate_bomb)
{
	/* 80 MB of spaces in about 80 KB: refused at the 64 MB cap, not decoded */
	static unsigned char zeros[1 << 20];
	const char *ex[] = { HELV };
	z_stream zs;
	unsigned char *out = malloc(1 << 20);
	struct pdf_doc *doc;
	struct pdf_text_hit *h = NULL;
	size_t n = 0;
	struct sp_errinfo ei;
	int i;

	ck_assert_ptr_nonnull(out);
	memset(zeros, ' ', sizeof(zeros));
	memset(&zs, 0, sizeof(zs));
	ck_assert(deflateInit(&zs, 9) == Z_OK);
	zs.next_out = out;
	zs.avail_out = 1 << 20;
	for (i = 0; i < 80; i++) {
		zs.next_in = zeros;
		zs.avail_in = sizeof(zeros);
		ck_assert(deflate(&zs, i == 79 ? Z_FINISH : Z_NO_FLUSH) != Z_STREAM_ERROR);
		ck_assert_uint_eq(zs.avail_in, 0);
	}
	doc = open_bin(out, zs.total_out, "/Filter /FlateDecode", "5 0 R", ex, 1);
	deflateEnd(&zs);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_text_find(doc, "A", &h, &n, &ei), SP_ERR_LIMIT);
	ck_assert_ptr_null(h);
	pdf_doc_free(doc);
	free(out);
}
END_TEST

START_TEST(hostile_content)
{
	struct sp_buf b;
	struct pdf_doc *doc;
	struct pdf_text_hit *h = NULL;
	size_t n = 0;
	struct sp_errinfo ei;
	int i;

	/* q nested past the limit */
	sp_buf_init(&b, 1 << 20);
	for (i = 0; i < 100; i++)
		ck_assert(sp_buf_addstr(&b, "q ") == SP_OK);
	ck_assert(sp_buf_addstr(&b, "BT /F1 10 Tf (A) Tj ET") == SP_OK);
	doc = helv_doc((char *)b.data, NULL);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_text_find(doc, "A", &h, &n, &ei), SP_ERR_LIMIT);
	ck_assert_ptr_null(h);
	ck_assert_uint_eq(n, 0);
	pdf_doc_free(doc);
	/* arrays nested past the limit */
	sp_buf_reset(&b);
	for (i = 0; i < 100; i++)
		ck_assert(sp_buf_addstr(&b, "[") == SP_OK);
	doc = helv_doc((char *)b.data, NULL);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_text_find(doc, "A", &h, &n, &ei), SP_ERR_LIMIT);
	pdf_doc_free(doc);
	sp_buf_cleanup(&b);
	/* a stray delimiter is malformed content, with the page in the message */
	doc = helv_doc("BT /F1 10 Tf (A) Tj ) ET", NULL);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_text_find(doc, "A", &h, &n, &ei), SP_ERR_PDF);
	ck_assert_ptr_nonnull(strstr(ei.msg, "page 1"));
	pdf_doc_free(doc);
	/* unbalanced Q, unknown operators, a missing font: no error, no text */
	doc = helv_doc("Q Q foo 1 2 bar BT /Nope 10 Tf (A) Tj ET BT /F1 10 Tf 1 1 Td (B) Tj ET",
		       NULL);
	expect_box(doc, "B", 1, -2.5, 7.67, 10.5);
	expect_text(doc, "B");
	pdf_doc_free(doc);
}
END_TEST

START_TEST(direct_font_reused)
{
	/* a direct font dictionary selected 5000 times is loaded once, not
	 * counted against the per-page font limit each time */
	struct sp_buf b;
	struct pdf_doc *doc;
	struct pdf_text_hit *h = NULL;
	size_t n = 0;
	struct sp_errinfo ei;
	int i;

	sp_buf_init(&b, 1 << 20);
	ck_assert(sp_buf_addstr(&b, "BT 100 700 Td ") == SP_OK);
	for (i = 0; i < 5000; i++)
		ck_assert(sp_buf_addstr(&b, "/F1 1 Tf (A) Tj ") == SP_OK);
	ck_assert(sp_buf_addstr(&b, "ET") == SP_OK);
	doc = open_built((char *)b.data,
			 "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> "
			 ">> >>",
			 NULL, NULL, 0);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_text_find(doc, "A", &h, &n, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_uint_eq(n, 5000);
	ck_assert(fabs(h[4999].x0 - (100 + 4999 * 0.667)) < EPS);
	free(h);
	pdf_doc_free(doc);
	sp_buf_cleanup(&b);
}
END_TEST

START_TEST(cmap_parser)
{
	static const char src[] =
		CMAP_HEAD "2 begincodespacerange <00> <80> <8140> <FEFE> endcodespacerange\n"
			  "1 beginbfchar <41> <0041> endbfchar\n"
			  "1 beginbfrange <81FE> <8201> <4E00> endbfrange\n"
			  "1 begincidrange <8140> <817E> 633 endcidrange\n" CMAP_TAIL;
	static const char *bad[] = { "begincodespacerange <00", "beginbfrange <01> <02> [<0041> <",
				     ")", "beginbfchar <0102030405> <0041> endbfchar", "<zz>" };
	struct cmap *cm = NULL;
	uint32_t u[8], cid = 0;
	size_t i;

	ck_assert(cmap_parse((const unsigned char *)src, strlen(src), &cm, NULL) == SP_OK);
	ck_assert_uint_eq(cmap_code_len(cm, (const unsigned char *)"\x41\x81", 2, 2), 1);
	ck_assert_uint_eq(cmap_code_len(cm, (const unsigned char *)"\x81\x40", 2, 1), 2);
	ck_assert_uint_eq(cmap_code_len(cm, (const unsigned char *)"\x81", 1, 1), 1);
	ck_assert_uint_eq(cmap_lookup_bf(cm, 0x41, 1, u, 8), 1);
	ck_assert_uint_eq(u[0], 0x41);
	ck_assert_uint_eq(cmap_lookup_bf(cm, 0x41, 2, u, 8),
			  0); /* a 2-byte 0x0041 is another code */
	/* the range increments across the byte boundary */
	ck_assert_uint_eq(cmap_lookup_bf(cm, 0x8201, 2, u, 8), 1);
	ck_assert_uint_eq(u[0], 0x4E03);
	ck_assert_uint_eq(cmap_lookup_bf(cm, 0x8202, 2, u, 8), 0);
	ck_assert(cmap_lookup_cid(cm, 0x8150, 2, &cid) && cid == 633 + 0x10);
	ck_assert(!cmap_lookup_cid(cm, 0x817F, 2, &cid));
	cmap_free(cm);
	/* malformed CMaps fail cleanly or parse what is there, never crash */
	for (i = 0; i < SP_ARRAY_LEN(bad); i++) {
		cm = NULL;
		if (cmap_parse((const unsigned char *)bad[i], strlen(bad[i]), &cm, NULL) == SP_OK)
			ck_assert_ptr_nonnull(cm);
		else
			ck_assert_ptr_null(cm);
		cmap_free(cm);
	}
}
END_TEST

START_TEST(glyph_names)
{
	ck_assert_uint_eq(font_glyph_unicode("A"), 'A');
	ck_assert_uint_eq(font_glyph_unicode("quotedblleft"), 0x201C);
	ck_assert_uint_eq(font_glyph_unicode("uni4E59"), 0x4E59);
	ck_assert_uint_eq(font_glyph_unicode("u1F600"), 0x1F600);
	ck_assert_uint_eq(font_glyph_unicode("a.sc"), 'a');
	ck_assert_uint_eq(font_glyph_unicode("uniD800"), 0);
	ck_assert_uint_eq(font_glyph_unicode("nosuchglyph"), 0);
	ck_assert_uint_eq(font_glyph_unicode(""), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pdf_text_ops");
	TCase *tc = tcase_create("ops");

	tcase_add_test(tc, tj_basic);
	tcase_add_test(tc, tj_array_kerning);
	tcase_add_test(tc, quote_operators);
	tcase_add_test(tc, text_state);
	tcase_add_test(tc, cm_and_gstate);
	tcase_add_test(tc, form_xobject);
	tcase_add_test(tc, across_lines);
	tcase_add_test(tc, rotated_page);
	tcase_add_test(tc, differences_encoding);
	tcase_add_test(tc, standard_and_macroman);
	tcase_add_test(tc, type0_identity_tounicode);
	tcase_add_test(tc, type0_predefined_cmaps);
	tcase_add_test(tc, cid_font_ignores_missing_width);
	tcase_add_loop_test(tc, vertical_writing, 0, 2);
	tcase_add_test(tc, kangxi_radicals_match_ideographs);
	tcase_add_test(tc, embedded_cff_cidfont_collection);
	tcase_add_test(tc, inline_image_and_strings);
	tcase_add_test(tc, compressed_and_split_content);
	tcase_add_test(tc, deflate_bomb);
	tcase_add_test(tc, hostile_content);
	tcase_add_test(tc, direct_font_reused);
	tcase_add_test(tc, cmap_parser);
	tcase_add_test(tc, glyph_names);
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
