/*
 * test_verify_quirks.c: the quirks real generators leave in their files and
 * validators tolerate, made from a LibreOffice contract (the fixture
 * mixed.pdf: TrueType subsets, Chinese keywords, two pages) rewritten the
 * way careless writers write: cross-reference offsets a few bytes off,
 * 19-byte entries, CRLF or CR-only line ends ("stream" followed by CR alone
 * too), a first subsection "1 N", startxref missing or wrong, a web page or a
 * second %%EOF after the end, bytes before %PDF-, object 0 of generation 0,
 * an object number listed twice, a wrong /Length, page attributes inherited
 * with /Rotate and a /CropBox, /UserUnit, /Annots as one indirect array two
 * pages share, an empty signature field, Word's hybrid reference (an xref
 * table and /XRefStm), WPS Office's /Info in UTF-16BE with a byte order
 * mark, /NeedAppearances true (PDFBOX-3738:
 * Adobe Reader and poppler then draw no seal). Each goes
 * the way an upload does (pdf_upload_normalize), is signed twice with
 * keyword, date and seam seals, and is checked as a person would: our
 * verifier, pdfsig and qpdf --check agree, and pdftoppm's picture shows the
 * seal where the keyword is.
 */
#include "test_verify_quirky.h"

/* a portal's paragraph: eight of them put over 1 KiB after %%EOF */
#define PORTAL_P \
	"<p>Your download is complete. Thank you for using our document portal; " \
	"the contract above is the version the parties agreed.</p>"

/* The quirky contracts: each a careless writer's way of writing it. */
static const struct quirk quirks[] = {
	{ .name = "as_written" },
	{ .name = "offsets_3_late", .repaired = 1, .off_delta = 3 },
	{ .name = "entries_19_bytes", .entry = "\n" },
	{ .name = "crlf", .eol = "\r\n", .entry = "\r\n" },
	{ .name = "cr_only", .eol = "\r", .entry = " \r" },
	{ .name = "cr_only_stream_cr", .eol = "\r", .entry = " \r", .stream_cr = 1 },
	{ .name = "subsection_1_n", .repaired = 1, .sub_first = 1 },
	{ .name = "no_startxref", .repaired = 1, .startxref = -1 },
	{ .name = "startxref_wrong", .repaired = 1, .startxref = 7 },
	{ .name = "web_page_after_eof",
	  .repaired = 1,
	  .post = "<html><body>" PORTAL_P PORTAL_P PORTAL_P PORTAL_P PORTAL_P PORTAL_P PORTAL_P
		  PORTAL_P "</body></html>\n" },
	{ .name = "second_eof", .post = "\n%%EOF\n" },
	{ .name = "nuls_after_eof", .post = "\r\n\0\0\0\0" },
	{ .name = "bytes_before_header",
	  .repaired = 1,
	  .pre = "Content-Type: application/pdf\r\n\r\n" },
	{ .name = "free_object_0_generation_0", .free0_gen0 = 1 },
	{ .name = "object_listed_twice", .dup = 1 },
	{ .name = "length_short", .set = { "3 700" } },
	{ .name = "length_long", .set = { "3 800" } },
	{ .name = "inherited_rotate_crop",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Contents 2 0 R/CropBox[40 60 560 800]>>",
		   "4 <</Type/Page/Parent 7 0 R/Contents 5 0 R>>",
		   "7 <</Type/Pages /Resources 29 0 R /MediaBox[ 0 0 595.303937007874 "
		   "841.889763779528 ] /Rotate 90 /Kids[ 1 0 R 4 0 R ] /Count 2>>" },
	  .no_kw2 = 1 },
	{ .name = "rotate_180_270",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Contents 2 0 R/CropBox[40 60 560 800]/Rotate 180>>",
		   "4 <</Type/Page/Parent 7 0 R/Contents 5 0 R>>",
		   "7 <</Type/Pages /Resources 29 0 R /MediaBox[ 0 0 595.303937007874 "
		   "841.889763779528 ] /Rotate 270 /Kids[ 1 0 R 4 0 R ] /Count 2>>" },
	  .no_kw2 = 1 },
	{ .name = "user_unit",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/UserUnit 2/Contents 2 0 R>>" } },
	{ .name = "annots_shared_indirect",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/Annots 32 0 R/Contents 2 0 R>>",
		   "4 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/Annots 32 0 R/Contents 5 0 R>>",
		   "32 [33 0 R]",
		   "33 <</Type/Annot/Subtype/Link/Rect[50 50 150 70]/Border[0 0 1]"
		   "/A<</S/URI/URI(https://example.com)>>>>" } },
	{ .name = "empty_signature_field",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/Annots[32 0 R]/Contents 2 0 R>>",
		   "30 <</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] "
		   "/Lang(en-US) /AcroForm<</Fields[32 0 R]/SigFlags 1>> >>",
		   "32 <</Type/Annot/Subtype/Widget/FT/Sig/T(Buyer)/F 4/Rect[300 100 450 160]/P 1 "
		   "0 "
		   "R/MK<</BC[0 0 1]>>>>" },
	  .fields = 1 },
	{ .name = "need_appearances",
	  .set = { "1 <</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		   "841.889763779528]/Annots[32 0 R]/Contents 2 0 R>>",
		   "30 <</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] "
		   "/Lang(en-US) /AcroForm<</Fields[32 0 R]/NeedAppearances true/DA(/Helv 0 Tf 0 "
		   "g)/DR<</Font<</Helv 33 0 R>>>> >> >>",
		   "32 <</Type/Annot/Subtype/Widget/FT/Tx/T(amount)/V(1000 EUR)/F 4/Rect[300 100 "
		   "450 120]/P 1 0 R/DA(/Helv 12 Tf 0 g)/AP<</N 34 0 R>>>>",
		   "33 <</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
		   "34 <</Type/XObject/Subtype/Form/BBox[0 0 150 20]/Resources<</Font<</Helv 33 0 "
		   "R>>>>/Length 39>>\nstream\nBT /Helv 12 Tf 2 5 Td (1000 EUR) Tj "
		   "ET\nendstream" } },
	{ .name = "hybrid_reference", .hybrid = 1 },
	/* WPS Office's /Info: UTF-16BE with a byte order mark, hex or octal-escaped */
	{ .name = "wps_info_utf16be",
	  .set = { "31 <</Title <FEFF670D52A1534F8BAE> /Author (\\376\\377\\000W\\000P\\000S) "
		   "/Creator <FEFF005700500053002065875B57> /Producer (WPS Office) "
		   "/CreationDate (D:20261201120000+08'00') /SourceModified "
		   "(D:20261201120000+08'00')>>" },
	  .title = "服务协议" },
};

/*
 * Uploaded (normalized as every upload is), signed with a keyword seal on
 * 甲方（盖章） (every page) and a date stamp, then by a second signer with a
 * keyword seal on 乙方（盖章） and a seam seal over both pages: both
 * signatures valid for us, pdfsig and qpdf --check, and the first keyword's
 * seal drawn red over its words in pdftoppm's picture, where it was not red
 * before.
 */
START_TEST(quirky_contract_uploaded_and_signed_twice)
{
	const struct quirk *q = &quirks[_i];
	struct pdf_placement p1[2] = {
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "甲方（盖章）", .occurrences = "all" },
		{ .mode = PDF_PLACE_DATE, .page = 1, .x = 100, .y = 100 },
	};
	struct pdf_placement p2[2] = {
		{ .mode = PDF_PLACE_SEAM, .pages = "all", .y = 300 },
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "乙方（盖章）", .occurrences = "all" },
	};
	struct pdf_normalized nz;
	struct pdf_widget_rect *w1 = NULL, *w2 = NULL;
	struct pdf_page_info pi;
	struct pdf_doc *doc = NULL;
	struct crypto_verify_report *r;
	struct sp_errinfo ei;
	size_t n, n1, n2, nw1, nw2, i, kw = 0;
	unsigned char *d = write_quirky(q, &n), *one, *two;
	char name[96], before[96];

	snprintf(name, sizeof(name), "q_%s.pdf", q->name);
	snprintf(before, sizeof(before), "q_%s_upload.pdf", q->name);
	write_file(vc_path(before), d, n);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(d, n, &nz, &ei) == SP_OK, "%s: %s", q->name, ei.msg);
	ck_assert_int_eq(nz.pages, 2);
	ck_assert_msg(nz.repaired == q->repaired, "%s: repaired %d", q->name, nz.repaired);
	one = sign_placed(nz.data, nz.len, "rsa", p1, 2, &w1, &nw1, &n1);
	two = sign_placed(one, n1, "ec", p2, q->no_kw2 ? 1 : 2, &w2, &nw2, &n2);
	assert_valid(two, n2, 2, name);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	ck_assert_int_eq(r->last_revision_signed, 1);
	crypto_verify_report_free(r);
	/* the field the file brought is still there, empty, for its own signer */
	ck_assert_int_eq(pdf_doc_open(two, n2, &doc, &ei), SP_OK);
	{
		struct pdf_doc_info info;
		pdf_doc_info_get(doc, &info);
		ck_assert_int_eq(info.nsigfields, 2 + q->fields);
		ck_assert_int_eq(info.nsigned, 2);
	}
	ck_assert_int_eq(pdf_doc_page_info(doc, 1, &pi, &ei), SP_OK);
	pdf_doc_free(doc);
	if (q->title) {
		/* the document's information as its author's tool wrote it, through both updates */
		qpdf_data qd = qpdf_init();
		qpdf_oh info;

		ck_assert(!(qpdf_read_memory(qd, name, (const char *)two, n2, NULL) & QPDF_ERRORS));
		info = qpdf_oh_get_key(qd, qpdf_get_trailer(qd), "/Info");
		ck_assert_str_eq(qpdf_oh_get_utf8_value(qd, qpdf_oh_get_key(qd, info, "/Title")),
				 q->title);
		ck_assert_str_eq(qpdf_oh_get_utf8_value(qd, qpdf_oh_get_key(qd, info, "/Author")),
				 "WPS");
		qpdf_cleanup(&qd);
	}
	write_file(vc_path(before), nz.data, nz.len);
	for (i = 0; i < nw1; i++) {
		if (w1[i].mode != PDF_PLACE_KEYWORD || w1[i].page != 1)
			continue;
		kw++;
		ck_assert_msg(red_share(name, pi.width, w1[i].view) > 0.1,
			      "%s: no seal at %.0f,%.0f", q->name, w1[i].view.x0, w1[i].view.y0);
		ck_assert_msg(red_share(before, pi.width, w1[i].view) < 0.01,
			      "%s: red before signing", q->name);
	}
	ck_assert_uint_eq(kw, 1);
	free(w1);
	free(w2);
	free(two);
	free(one);
	pdf_normalized_cleanup(&nz);
	free(d);
}
END_TEST

/* ==== files another writer signed ==== */

/* The contract with another writer's signature field "Ext" and its placeholder. */
static const int ext_nums[] = { 30, 1, 32, 33 };
static const char *const ext_bodies[] = {
	"<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] /Lang(en-US) "
	"/AcroForm << /Fields [32 0 R] /SigFlags 3 >> >>",
	"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
	"841.889763779528]/Contents 2 0 R/Annots [32 0 R]>>",
	"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext) /F 132 /Rect [0 0 0 0] /P 1 0 R /V 33 "
	"0 R >>",
	"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
	"(D:20261201120000Z) @SIG@ >>",
};

/*
 * The same, its signature dictionary in an object stream (unfiltered, so
 * that the gap can be its /Contents) listed by a cross-reference stream.
 */
static unsigned char *
ext_objstm(const unsigned char *d, size_t n, size_t *outn)
{
	struct bbuf b = { 0 }, os = { 0 };
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info di;
	struct sp_errinfo ei;
	size_t off[3], stm, xs, i;
	unsigned char row[7];
	const char *sig = ext_bodies[3], *at = strstr(sig, "@SIG@");

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(d, n, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &di);
	pdf_doc_free(doc);
	put(&b, d, n);
	for (i = 0; i < 3; i++) {
		off[i] = b.n;
		putf(&b, "%d 0 obj\n%s\nendobj\n", ext_nums[i], ext_bodies[i]);
	}
	puts_(&os, "33 0 ");
	put(&os, sig, (size_t)(at - sig));
	puts_(&os, "/ByteRange [0 0000000000 0000000000 0000000000] /Contents <");
	for (i = 0; i < EXT_HEX; i++)
		puts_(&os, "0");
	putf(&os, ">%s", at + 5);
	stm = b.n;
	putf(&b, "34 0 obj\n<< /Type /ObjStm /N 1 /First 5 /Length %zu >>\nstream\n", os.n);
	put(&b, os.p, os.n);
	puts_(&b, "\nendstream\nendobj\n");
	xs = b.n;
	putf(&b,
	     "35 0 obj\n<< /Type /XRef /W [1 4 2] /Index [1 1 30 1 32 4] /Size 36 /Root %d 0 R "
	     "/Info %d 0 R /Prev %lld /Length 42 >>\nstream\n",
	     di.root_obj, di.info_obj, di.startxref);
	{
		const size_t o[6] = { off[1], off[0], off[2], 34, stm, xs };
		const int t[6] = { 1, 1, 1, 2, 1, 1 };
		for (i = 0; i < 6; i++) {
			row[0] = (unsigned char)t[i];
			row[1] = (unsigned char)(o[i] >> 24);
			row[2] = (unsigned char)(o[i] >> 16);
			row[3] = (unsigned char)(o[i] >> 8);
			row[4] = (unsigned char)o[i];
			row[5] = row[6] = 0;
			put(&b, row, 7);
		}
	}
	putf(&b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xs);
	free(os.p);
	*outn = b.n;
	return b.p;
}

enum ext_kind {
	EXT_AS_SIGNED,
	EXT_GAP_HEX_ONLY,
	EXT_GAP_WIDER,
	EXT_GAP_NARROWER,
	EXT_BYTES_AFTER_CMS,
	EXT_ZEROS_AFTER_CMS,
	EXT_INFO_UPDATE,
	EXT_SIG_IN_OBJSTM,
	EXT_FIELD_SIGNED_AGAIN,
	EXT_BYTES_BEFORE_HEADER,
	EXT_BYTES_BEFORE_HEADER_TWICE,
	EXT_BYTES_PUT_BEFORE_AFTER,
	EXT_UPDATE_NO_XREF,
	EXT_KINDS
};

/*
 * Another writer's signature with a quirk, judged by us and by pdfsig. A gap
 * that is not exactly /Contents and bytes after the CMS in it: pdfsig checks
 * the CMS and calls the document not totally signed; we call it invalid,
 * as PDFBox's example validator does (the gap must be the /Contents string,
 * else the unsigned bytes can hold anything). An update that changes only
 * /Info: both see the signature intact and an unsigned update after it. A
 * signature dictionary in an object stream: valid for both. A field signed
 * again: pdfsig lists the new signature alone; we list both, the replaced
 * one invalid, saying so. Bytes before the header (a mail gateway's), the
 * offsets in the file counting from the header (ISO 32000-2 §7.5.2, qpdf,
 * poppler) and the ranges from the file's first byte, signed once or twice:
 * valid and total for pdfsig and for us. The same bytes put before a file
 * after it was signed: pdfsig finds the digest wrong and the document not
 * totally signed; we call it invalid, saying where the ranges went. A last
 * update with no xref section (a new page content and a trailer, startxref
 * at the trailer): poppler repairs the file and shows the new content,
 * pdfsig calls the signature valid and the document not totally signed; we
 * call it invalid (revision_structure: the chain of revisions is broken) and
 * the upload refuses it (pdf_damaged).
 */
START_TEST(signed_elsewhere_with_a_quirk)
{
	size_t n, n0, n1, n2, i;
	unsigned char *d = write_quirky(&quirks[0], &n), *u, *t = NULL;
	struct crypto_verify_report *r;
	const struct crypto_sig_report *mine = NULL;
	int valid, total;
	char name[64];

	u = ext_update(d, n, ext_nums, ext_bodies, 4, 0, &n0);
	switch (_i) {
	case EXT_GAP_HEX_ONLY:
		ext_sign(u, n0, 1, -1, "");
		break;
	case EXT_GAP_WIDER:
		ext_sign(u, n0, -10, 0, "");
		break;
	case EXT_GAP_NARROWER:
		ext_sign(u, n0, 0, -200, "");
		break;
	case EXT_BYTES_AFTER_CMS:
		ext_sign(u, n0, 0, 0, "DEADBEEF");
		break;
	case EXT_ZEROS_AFTER_CMS:
		ext_sign(u, n0, 0, 0, "0000");
		break;
	case EXT_SIG_IN_OBJSTM:
		free(u);
		u = ext_objstm(d, n, &n0);
		ext_sign(u, n0, 0, 0, "");
		break;
	case EXT_BYTES_BEFORE_HEADER:
	case EXT_BYTES_BEFORE_HEADER_TWICE:
	case EXT_BYTES_PUT_BEFORE_AFTER: {
		static const char pre[] = "Content-Type: application/pdf\r\n\r\n";
		if (_i == EXT_BYTES_PUT_BEFORE_AFTER)
			ext_sign(u, n0, 0, 0, "");
		t = malloc(n0 + sizeof(pre));
		memcpy(t, pre, sizeof(pre) - 1);
		memcpy(t + sizeof(pre) - 1, u, n0);
		free(u);
		u = t;
		t = NULL;
		n0 += sizeof(pre) - 1;
		if (_i != EXT_BYTES_PUT_BEFORE_AFTER)
			ext_sign(u, n0, 0, 0, "");
		break;
	}
	default:
		ext_sign(u, n0, 0, 0, "");
	}
	n1 = n0;
	if (_i == EXT_INFO_UPDATE) {
		static const int num[] = { 31 };
		static const char *const info[] = {
			"<< /Producer (Some Tool) /ModDate (D:20261202120000Z) >>"
		};
		t = ext_update(u, n0, num, info, 1, 0, &n1);
	} else if (_i == EXT_FIELD_SIGNED_AGAIN) {
		static const int num[] = { 32, 34 };
		static const char *const again[] = {
			"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext) /F 132 /Rect [0 0 0 0] "
			"/P "
			"1 0 R /V 34 0 R >>",
			"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
			"(D:20261203120000Z) @SIG@ >>",
		};
		t = ext_update(u, n0, num, again, 2, 0, &n1);
		ext_sign(t, n1, 0, 0, "");
	} else if (_i == EXT_UPDATE_NO_XREF) {
		/* a changed page content appended with a trailer but no xref section:
		   startxref points at the trailer (readers repair the file) */
		static const char box[] = "1 0 0 rg 72 380 300 40 re f";
		struct bbuf b = { 0 };
		size_t tr;
		put(&b, u, n0);
		putf(&b, "2 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n", strlen(box),
		     box);
		tr = b.n;
		putf(&b, "trailer\n<< /Size 34 /Root 30 0 R >>\nstartxref\n%zu\n%%%%EOF\n", tr);
		t = b.p;
		n1 = b.n;
	} else if (_i == EXT_BYTES_BEFORE_HEADER_TWICE) {
		/* a second field and signature, the update's offsets from the header too */
		static const int num[] = { 30, 1, 37, 38 };
		static const char *const second[] = {
			"<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] "
			"/Lang(en-US) /AcroForm << /Fields [32 0 R 37 0 R] /SigFlags 3 >> >>",
			"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
			"841.889763779528]/Contents 2 0 R/Annots [32 0 R 37 0 R]>>",
			"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext2) /F 132 /Rect [0 0 0 "
			"0] "
			"/P 1 0 R /V 38 0 R >>",
			"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
			"(D:20261203120000Z) @SIG@ >>",
		};
		t = ext_update(u, n0, num, second, 4, 0, &n1);
		ext_sign(t, n1, 0, 0, "");
	}
	snprintf(name, sizeof(name), "ext_%d.pdf", _i);
	write_file(vc_path(name), t ? t : u, n1);
	r = verify(t ? t : u, n1);
	pdfsig_says(name, &valid, &total);
	for (i = 0; i < r->nsigs; i++)
		if (r->sigs[i].byte_range[1] < (long long)n0 && r->sigs[i].byte_range[2] > 0 &&
		    !strcmp(r->sigs[i].field, "Ext") && r->sigs[i].byte_range[3] < 1000 &&
		    (mine == NULL || r->sigs[i].byte_range[1] < mine->byte_range[1]))
			mine = &r->sigs[i];
	ck_assert_ptr_nonnull(mine);
	switch (_i) {
	case EXT_AS_SIGNED:
	case EXT_ZEROS_AFTER_CMS:
	case EXT_SIG_IN_OBJSTM:
		ck_assert_msg(mine->verdict == CRYPTO_VERDICT_VALID, "%s", mine->message);
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 1);
		break;
	case EXT_GAP_HEX_ONLY:
	case EXT_GAP_WIDER:
	case EXT_GAP_NARROWER:
	case EXT_BYTES_AFTER_CMS:
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_str_eq(mine->reasons[0],
				 _i == EXT_BYTES_AFTER_CMS ? "cms_malformed" : "gap_not_contents");
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 0);
		break;
	case EXT_INFO_UPDATE:
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_VALID_ALLOWED_CHANGES);
		ck_assert_uint_eq(mine->nallowed, 1);
		ck_assert_str_eq(r->reason, "unsigned_trailing_update");
		ck_assert_int_eq(vc_outcome(r), VC_INDETERMINATE);
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 0);
		break;
	case EXT_FIELD_SIGNED_AGAIN:
		ck_assert_uint_eq(r->nsigs, 2);
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_msg(strstr(mine->message, "signature field \"Ext\" signed again") != NULL,
			      "%s", mine->message);
		for (i = 0; i < 2; i++)
			if (&r->sigs[i] != mine)
				ck_assert_int_eq(r->sigs[i].verdict, CRYPTO_VERDICT_VALID);
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 1);
		break;
	case EXT_BYTES_BEFORE_HEADER:
	case EXT_BYTES_BEFORE_HEADER_TWICE:
		ck_assert_uint_eq(r->nsigs, _i == EXT_BYTES_BEFORE_HEADER ? 1 : 2);
		ck_assert_uint_eq(r->nrevisions, r->nsigs + 1);
		for (i = 0; i < r->nsigs; i++)
			ck_assert_msg(r->sigs[i].verdict ==
					      (&r->sigs[i] == mine && r->nsigs == 2
						       ? CRYPTO_VERDICT_VALID_ALLOWED_CHANGES
						       : CRYPTO_VERDICT_VALID),
				      "%s: %s", r->sigs[i].field, r->sigs[i].message);
		ck_assert_int_eq(r->last_revision_signed, 1);
		ck_assert_int_eq(vc_outcome(r), VC_VALID);
		ck_assert_int_eq(valid, (int)r->nsigs);
		ck_assert_int_eq(total, 1);
		break;
	case EXT_UPDATE_NO_XREF: {
		/* poppler repairs it and shows the new content; pdfsig: valid, not total */
		struct pdf_normalized nz;
		struct sp_errinfo ei;
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_str_eq(mine->reasons[0], "revision_structure");
		ck_assert_msg(strstr(mine->message, "no xref section at offset") != NULL, "%s",
			      mine->message);
		ck_assert_int_eq(vc_outcome(r), VC_INVALID);
		ck_assert_int_eq(valid, 1);
		ck_assert_int_eq(total, 0);
		/* nor is it taken: a repaired signed file cannot be rewritten */
		sp_errinfo_init(&ei);
		ck_assert_int_eq(pdf_upload_normalize(t, n1, &nz, &ei), SP_ERR_PDF);
		ck_assert_str_eq(ei.reason, "pdf_damaged");
		break;
	}
	case EXT_BYTES_PUT_BEFORE_AFTER:
		ck_assert_int_eq(mine->verdict, CRYPTO_VERDICT_INVALID);
		ck_assert_str_eq(mine->reasons[0], "gap_not_contents");
		ck_assert_msg(strstr(mine->message, "33 bytes before the file does") != NULL, "%s",
			      mine->message);
		ck_assert_int_eq(valid, 0);
		ck_assert_int_eq(total, 0);
		break;
	}
	crypto_verify_report_free(r);
	free(t);
	free(u);
	free(d);
	(void)n2;
}
END_TEST

/*
 * A form asking viewers to draw its fields, signed by another writer (an
 * approval signature, or a certification with DocMDP P=2 or P=3): kept as
 * it is at the upload, our signature's update leaves /NeedAppearances out
 * (every field with a value has its appearance), so that pdftoppm draws our
 * seal (it drew none before); both signatures valid for us and pdfsig. In a
 * certified form that is a form filler's change, which P=2 permits
 * (pyHanko's diff policy, modelled on Acrobat's, lets a form update change
 * the key); it was left in place, and the seal invisible, before. Under
 * P=2 our signature is invisible: a new visible signature widget is a change
 * the verifier (as pyHanko by default, stricter than Acrobat) says P=2
 * forbids, whatever the form asks.
 */
START_TEST(signed_elsewhere_form_needing_appearances)
{
	static const int nums[] = { 30, 1, 35, 36 };
	static const int perms[] = { 0, 2, 3 };
	char catalog[512], sigdict[512];
	const char *bodies[] = {
		catalog,
		"<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
		"841.889763779528]/Annots[32 0 R 35 0 R]/Contents 2 0 R>>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ext) /F 132 /Rect [0 0 0 0] /P 1 0 "
		"R "
		"/V 36 0 R >>",
		sigdict,
	};
	int p = perms[_i];
	struct pdf_placement p1[1] = {
		{ .mode = PDF_PLACE_KEYWORD, .keyword = "甲方（盖章）", .occurrences = "1" },
	};
	const struct quirk *q = NULL;
	struct pdf_normalized nz;
	struct pdf_widget_rect *w = NULL;
	struct pdf_page_info pi;
	struct pdf_doc *doc = NULL;
	struct crypto_verify_report *r;
	struct sp_errinfo ei;
	size_t n, n0, n1, nw, i;
	unsigned char *d, *u, *one;

	snprintf(catalog, sizeof(catalog),
		 "<</Type/Catalog/Pages 7 0 R /OpenAction[1 0 R /XYZ null null 0] /Lang(en-US) "
		 "/AcroForm<</Fields[32 0 R 35 0 R]/SigFlags 3/NeedAppearances true/DA(/Helv 0 "
		 "Tf 0 g)/DR<</Font<</Helv 33 0 R>>>> >>%s >>",
		 p ? " /Perms << /DocMDP 36 0 R >>" : "");
	snprintf(sigdict, sizeof(sigdict),
		 "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M "
		 "(D:20261201120000Z)%s%.0d%s @SIG@ >>",
		 p ? " /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams "
		     "<< /Type /TransformParams /P "
		   : "",
		 p, p ? " /V /1.2 >> >>]" : "");
	for (i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (!strcmp(quirks[i].name, "need_appearances"))
			q = &quirks[i];
	ck_assert_ptr_nonnull(q);
	d = write_quirky(q, &n);
	u = ext_update(d, n, nums, bodies, 4, 0, &n0);
	ext_sign(u, n0, 0, 0, "");
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(u, n0, &nz, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(nz.kept, 1);
	{
		/* signable: P=1 alone is refused */
		ck_assert_int_eq(pdf_doc_open(nz.data, nz.len, &doc, &ei), SP_OK);
		ck_assert_msg(pdf_docmdp_check_signable(doc, NULL, &ei) == SP_OK, "%s", ei.msg);
		pdf_doc_free(doc);
		doc = NULL;
	}
	one = sign_placed(nz.data, nz.len, "rsa", p1, p == 2 ? 0 : 1, &w, &nw, &n1);
	ck_assert_ptr_null(memmem(one + n0, n1 - n0, "/NeedAppearances", 16));
	write_file(vc_path("na_signed.pdf"), one, n1);
	r = verify(one, n1);
	ck_assert_uint_eq(r->nsigs, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_msg(r->sigs[i].verdict ==
				      (strcmp(r->sigs[i].field, "Ext")
					       ? CRYPTO_VERDICT_VALID
					       : CRYPTO_VERDICT_VALID_ALLOWED_CHANGES),
			      "P=%d %s: %s", p, r->sigs[i].field, r->sigs[i].message);
		if (!strcmp(r->sigs[i].field, "Ext"))
			ck_assert_int_eq(r->sigs[i].certifying, p);
	}
	ck_assert_int_eq(vc_outcome(r), VC_VALID);
	crypto_verify_report_free(r);
	{
		int valid, total;
		pdfsig_says("na_signed.pdf", &valid, &total);
		ck_assert_int_ge(valid, 2);
	}
	ck_assert_int_eq(pdf_doc_open(one, n1, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_doc_page_info(doc, 1, &pi, &ei), SP_OK);
	pdf_doc_free(doc);
	ck_assert_uint_eq(nw, p == 2 ? 0 : 1);
	if (p != 2)
		ck_assert_msg(red_share("na_signed.pdf", pi.width, w[0].view) > 0.1,
			      "P=%d: no seal drawn", p);
	free(w);
	free(one);
	pdf_normalized_cleanup(&nz);
	free(u);
	free(d);
}
END_TEST

/* ==== shadow attacks on a signature another writer made ==== */

enum shadow_case {
	SHADOW_HIDE,             /* the page's /Contents made to show a stream signed unused */
	SHADOW_REPLACE,          /* the page's content stream redefined */
	SHADOW_HIDE_AND_REPLACE, /* the catalog redefined onto a new page tree */
	SHADOW_CASES
};

/*
 * The shadow attacks of the PDF-Insecurity research (Mainka, Mladenov,
 * Rohlmann: hide, replace, hide-and-replace) on the contract another writer
 * signed: the signed revision carries an unused stream (a red box over the
 * text), and a later incremental update by someone else, itself a sound
 * update, makes the page show it, redefines the page's content, or
 * redefines the catalog onto a new page tree. Our verifier calls the
 * signature invalid (disallowed_changes, naming the object), pdfsig calls
 * it valid but not covering the whole document: we beat it, it does not
 * lie. The upload keeps such a file byte for byte (it carries a
 * signature), and a signature of ours on top is valid while theirs stays
 * invalid, as pdftoppm shows the red box the signer never saw.
 */
START_TEST(shadow_after_a_signature)
{
	static const int nums[] = { 30, 1, 32, 33, 39 };
	static const char box[] = "1 0 0 rg 72 380 300 40 re f";
	char hidden[128], page[256];
	const char *bodies[] = { ext_bodies[0], ext_bodies[1], ext_bodies[2], ext_bodies[3],
				 hidden };
	struct pdf_normalized nz;
	struct crypto_verify_report *r;
	struct pdf_widget_rect *w = NULL;
	struct sp_errinfo ei;
	struct pdf_rect red = { 80, 385, 360, 415 };
	struct pdf_placement pl = { .mode = PDF_PLACE_NORMAL, .page = 1, .x = 450, .y = 150 };
	size_t n, n0, n1, n2, nw, i;
	unsigned char *d, *u, *t = NULL, *two;
	int valid, total;
	char name[64];
	const char *what;

	snprintf(hidden, sizeof(hidden), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(box),
		 box);
	d = write_quirky(&quirks[0], &n);
	u = ext_update(d, n, nums, bodies, 5, 0, &n0);
	ext_sign(u, n0, 0, 0, "");
	if (_i == SHADOW_HIDE) {
		static const int num[] = { 1 };
		const char *upd[] = { page };
		snprintf(page, sizeof(page),
			 "<</Type/Page/Parent 7 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
			 "841.889763779528]/Contents [2 0 R 39 0 R]/Annots [32 0 R]>>");
		t = ext_update(u, n0, num, upd, 1, 0, &n1);
		what = "page 1 changed";
	} else if (_i == SHADOW_REPLACE) {
		static const int num[] = { 2 };
		const char *upd[] = { hidden };
		t = ext_update(u, n0, num, upd, 1, 0, &n1);
		what = "object 2 changed";
	} else {
		static const int num[] = { 30, 40, 41 };
		const char *upd[] = {
			"<</Type/Catalog/Pages 40 0 R /Lang(en-US) /AcroForm << /Fields [32 0 R] "
			"/SigFlags 3 >> >>",
			"<< /Type /Pages /Kids [41 0 R] /Count 1 >>",
			/* the new tree's one page: the box the signed revision hid, alone */
			"<</Type/Page/Parent 40 0 R/Resources 29 0 R/MediaBox[0 0 595.303937007874 "
			"841.889763779528]/Contents 39 0 R/Annots [32 0 R]>>",
		};
		t = ext_update(u, n0, num, upd, 3, 0, &n1);
		what = "catalog (/Root) changed";
	}
	snprintf(name, sizeof(name), "shadow_%d.pdf", _i);
	write_file(vc_path(name), t, n1);
	r = verify(t, n1);
	ck_assert_uint_eq(r->nsigs, 1);
	ck_assert_int_eq(r->sigs[0].verdict, CRYPTO_VERDICT_INVALID);
	ck_assert_str_eq(r->sigs[0].reasons[0], "disallowed_changes");
	ck_assert_msg(strstr(r->sigs[0].message, what) != NULL, "%s", r->sigs[0].message);
	ck_assert_int_eq(r->sigs[0].digest_ok, 1);
	crypto_verify_report_free(r);
	pdfsig_says(name, &valid, &total);
	ck_assert_int_eq(valid, 1);
	ck_assert_int_eq(total, 0);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", vc_path(name)), 0);
	ck_assert_msg(red_share(name, 595.303937007874, red) > 0.5, "the box is not shown");
	/* uploaded and signed by us on top */
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(t, n1, &nz, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(nz.kept, 1);
	two = sign_placed(nz.data, nz.len, "ec", &pl, 1, &w, &nw, &n2);
	r = verify(two, n2);
	ck_assert_uint_eq(r->nsigs, 2);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(r->sigs[i].verdict, strcmp(r->sigs[i].field, "Ext")
							     ? CRYPTO_VERDICT_VALID
							     : CRYPTO_VERDICT_INVALID);
	ck_assert_int_eq(vc_outcome(r), VC_INVALID);
	crypto_verify_report_free(r);
	free(w);
	free(two);
	pdf_normalized_cleanup(&nz);
	free(t);
	free(u);
	free(d);
}
END_TEST

/* ==== seals across pages of different sizes ==== */

/*
 * A contract of mixed page sizes, as scanned annexes make them: A4, A3
 * landscape (a wide MediaBox), A3 portrait shown landscape (/Rotate 90),
 * A4. A seam seal across all four (Adobe-style: one slice per page at its
 * right edge, the same height) and then a multi-page seal on every page:
 * each slice sits flush with its own page's right edge and each seal is red
 * where the rectangles say, in pdftoppm's picture of every page; the
 * multi-page seal's widgets share one appearance per page rotation (two
 * Form XObjects for four pages). Both signatures valid for us, pdfsig and
 * qpdf --check.
 */
START_TEST(seals_across_mixed_page_sizes)
{
	static const char *const box[] = { "[0 0 595.28 841.89]", "[0 0 1190.55 841.89]",
					   "[0 0 841.89 1190.55]", "[0 0 595.28 841.89]" };
	static const double width[] = { 595.28, 1190.55, 1190.55, 595.28 };
	char bodies[11][256];
	const char *obj[11];
	struct pdf_placement seam = { .mode = PDF_PLACE_SEAM, .pages = "all", .y = 420 };
	struct pdf_placement multi = {
		.mode = PDF_PLACE_MULTI, .pages = "all", .x = 150, .y = 150
	};
	struct pdf_widget_rect *w1 = NULL, *w2 = NULL;
	size_t n, n1, n2, nw1, nw2, i, forms = 0;
	unsigned char *d, *one, *two, *p;

	snprintf(bodies[0], sizeof(bodies[0]), "<< /Type /Catalog /Pages 2 0 R >>");
	snprintf(bodies[1], sizeof(bodies[1]),
		 "<< /Type /Pages /Kids [4 0 R 6 0 R 8 0 R 10 0 R] /Count 4 >>");
	snprintf(bodies[2], sizeof(bodies[2]),
		 "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
	for (i = 0; i < 4; i++) {
		char text[96];
		snprintf(text, sizeof(text), "BT /F1 24 Tf 60 60 Td (Annex page %zu) Tj ET", i + 1);
		snprintf(bodies[3 + 2 * i], sizeof(bodies[0]),
			 "<< /Type /Page /Parent 2 0 R /MediaBox %s /Rotate %d /Resources << /Font "
			 "<< /F1 3 0 R >> >> /Contents %zu 0 R >>",
			 box[i], i == 2 ? 90 : 0, 5 + 2 * i);
		snprintf(bodies[4 + 2 * i], sizeof(bodies[0]),
			 "<< /Length %zu >>\nstream\n%s\nendstream", strlen(text), text);
	}
	for (i = 0; i < 11; i++)
		obj[i] = bodies[i];
	d = make_pdf_objs(obj, 11, &n);
	one = sign_placed(d, n, "rsa", &seam, 1, &w1, &nw1, &n1);
	two = sign_placed(one, n1, "ec", &multi, 1, &w2, &nw2, &n2);
	assert_valid(two, n2, 2, "mixed_sizes.pdf");
	ck_assert_uint_eq(nw1, 4);
	ck_assert_uint_eq(nw2, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(w1[i].page, (int)i + 1);
		ck_assert_msg(fabs(w1[i].view.x1 - width[i]) < 0.01, "slice %zu ends at %.2f", i,
			      w1[i].view.x1);
		ck_assert(fabs(w1[i].view.y0 - w1[0].view.y0) < 0.01);
		ck_assert_msg(red_share_on("mixed_sizes.pdf", (int)i + 1, width[i], w1[i].view) >
				      0.1,
			      "page %zu: no seam slice", i + 1);
		ck_assert_msg(red_share_on("mixed_sizes.pdf", (int)i + 1, width[i], w2[i].view) >
				      0.1,
			      "page %zu: no seal", i + 1);
	}
	for (p = two + n1; (p = memmem(p, n2 - (size_t)(p - two), "/Subtype /Form", 14)) != NULL;
	     p++)
		forms++;
	ck_assert_uint_eq(forms, 2);
	free(w1);
	free(w2);
	free(two);
	free(one);
	free(d);
}
END_TEST

static Suite *
quirks_suite(void)
{
	Suite *s = suite_create("verify_quirks");
	TCase *tc = tcase_create("upload");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, quirky_contract_uploaded_and_signed_twice, 0,
			    (int)(sizeof(quirks) / sizeof(quirks[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("elsewhere");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, signed_elsewhere_with_a_quirk, 0, EXT_KINDS);
	tcase_add_loop_test(tc, signed_elsewhere_form_needing_appearances, 0, 3);
	tcase_add_loop_test(tc, shadow_after_a_signature, 0, SHADOW_CASES);
	tcase_add_test(tc, seals_across_mixed_page_sizes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(quirks_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
