/*
 * test_verify_shadow.c: shadow attacks through the objects the difference
 * analysis lets a later update change for what they are. This file: the
 * DSS and the object types it took for file structure (review44). Its
 * parts (one executable, one corpus PKI; test_verify_shadow.h): the
 * trailer's /Info, the catalog's XMP /Metadata and a comment after an
 * approval signature (test_verify_shadow_info.c), annotations and their
 * structure-tree tags under DocMDP P=3 (test_verify_shadow_p3.c).
 *
 * The difference analysis (pdf/diff.c, classify) lets a later update change
 * the document security store: validation data, not content. It names the
 * DSS by object, though, not by what the object is used as: the signed
 * revision's /Root /DSS object, and any object of the signed revision whose
 * dictionary says /Type /DSS once the document has a DSS, may be rewritten
 * at will after the signature. A document prepared by the party who will
 * tamper with it later (the uploader of a contract) can make its visible
 * content such an object:
 *
 * - the page's content stream carries /Type /DSS (an unknown key viewers
 *   ignore on a content stream): the update rewrites the page's text;
 * - the DSS dictionary is also the page's /Resources: the update points the
 *   page's XObject at a new form that paints over the page.
 *
 * The same holds for the two types classify() takes for file structure and
 * returns on without a note ("compared object by object"): a content
 * stream whose dictionary says /Type /XRef or /Type /ObjStm is rewritten
 * unseen, no DSS needed (poppler draws such a page as any other; qpdf's
 * rewrite of an upload keeps the key).
 *
 * Each is signed through the real path (vc_sign, with a timestamp) and then
 * changed by one unsigned incremental update; the signature must not come
 * out valid. A genuine DSS update (evidence added, nothing else) stays
 * valid with allowed changes: the control that the documents are sound.
 */
#define TEST_PART_HOME
#define TEST_PART
#include "test_verify_shadow.h"

VC_TRUST_FIXTURE

/*
 * vc_base's contract with a DSS (object 8, one certificate in object 9):
 * how == 0, a content stream of its own; how == 1, the content stream's
 * dictionary also says /Type /DSS; how == 2, the DSS dictionary is the
 * page's /Resources too; how == 3, as 1 without the DSS (the catalog does
 * not name object 8).
 */
static unsigned char *
base_with_dss(int how, size_t *n)
{
	char c3[512], c4[256], c6[256], c8[256];
	const char *objs[9];

	snprintf(c3, sizeof(c3),
		 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		 "/Resources %s /Annots [7 0 R] >>",
		 how == 2 ? "8 0 R" : "<< /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >>");
	snprintf(c4, sizeof(c4), "<< %s/Length %zu >>\nstream\n%s\nendstream",
		 how == 1 || how == 3 ? "/Type /DSS "
		 : how == 4           ? "/Type /XRef "
		 : how == 5           ? "/Type /ObjStm "
				      : "",
		 strlen(CONTENT) + 1, CONTENT);
	snprintf(c6, sizeof(c6),
		 "<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Length %zu >>\nstream\n%s\n"
		 "endstream",
		 strlen(FORM) + 1, FORM);
	snprintf(c8, sizeof(c8), "<< /Type /DSS /Certs [9 0 R]%s >>",
		 how == 2 ? " /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >>" : "");
	objs[0] = how == 3 ? "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> >>"
			   : "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> /DSS "
			     "8 0 R >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = c3;
	objs[3] = c4;
	objs[4] =
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
	objs[5] = c6;
	objs[6] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /V (100) "
		  "/Rect [72 600 200 620] /P 3 0 R >>";
	objs[7] = c8;
	objs[8] = "<< /Length 4 >>\nstream\n0000\nendstream";
	return make_pdf_objs(objs, 9, n);
}

/* test_verify_shadow.h */
enum crypto_verdict
verdict_of(const unsigned char *d, size_t n, size_t *ndisallowed)
{
	struct crypto_verify_report *r = vc_verify(trust, d, n);
	enum crypto_verdict v;

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nsigs, 1);
	v = r->sigs[0].verdict;
	if (v != CRYPTO_VERDICT_VALID)
		fprintf(stderr, "%s: %s (%s)\n", crypto_verdict_name(v),
			r->sigs[0].nreasons ? r->sigs[0].reasons[0] : "", r->sigs[0].message);
	*ndisallowed = r->sigs[0].ndisallowed;
	crypto_verify_report_free(r);
	return v;
}

/* base_with_dss(how) signed by rsa with a timestamp, then the update nums/objs (k). */
static unsigned char *
signed_then(int how, const int *nums, const char *const *objs, size_t k, size_t *n,
	    enum crypto_verdict *signed_verdict)
{
	size_t bn, sn, nd;
	unsigned char *base = base_with_dss(how, &bn);
	unsigned char *s = vc_sign(base, bn, "rsa", 1, 0, &sn), *out;

	*signed_verdict = verdict_of(s, sn, &nd);
	out = vc_update(s, sn, nums, objs, k, 0, NULL, n);
	free(base);
	free(s);
	return out;
}

/* base_with_dss(how), signed (valid), then changed by nums/objs (k): not valid, a change named. */
static void
tampered_is_invalid(int how, const int *nums, const char *const *objs, size_t k, const char *what)
{
	enum crypto_verdict sv, v;
	size_t n, nd;
	unsigned char *d = signed_then(how, nums, objs, k, &n, &sv);

	ck_assert_int_eq(sv, CRYPTO_VERDICT_VALID);
	v = verdict_of(d, n, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "%s: verdict %s, %zu disallowed changes", what, crypto_verdict_name(v), nd);
	free(d);
}

/* Control: a DSS update that adds a certificate is validation data, allowed. */
START_TEST(a_genuine_dss_update_stays_valid)
{
	const int nums[] = { 8, 40 };
	const char *objs[] = { "<< /Type /DSS /Certs [9 0 R 40 0 R] >>",
			       "<< /Length 4 >>\nstream\n1111\nendstream" };
	enum crypto_verdict sv, v;
	size_t n, nd;
	unsigned char *d = signed_then(0, nums, objs, 2, &n, &sv);

	ck_assert_int_eq(sv, CRYPTO_VERDICT_VALID);
	v = verdict_of(d, n, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0,
		      "a DSS update: verdict %s, %zu disallowed changes", crypto_verdict_name(v),
		      nd);
	free(d);
}
END_TEST

/*
 * An update whose xref table has no entries (a writer that saved without a
 * change) lists no object; the difference analysis then sorted a NULL list
 * of none, which qsort's contract forbids (UBSan's nonnull-attribute check
 * ends the sanitizer build's run; clang-tidy's NonNullParamChecker).
 */
START_TEST(an_update_of_no_objects_stays_valid)
{
	enum crypto_verdict sv, v;
	size_t bn, sn, nd, n;
	unsigned char *base = base_with_dss(0, &bn);
	unsigned char *s = vc_sign(base, bn, "rsa", 1, 0, &sn), *d;
	struct pdf_doc *doc = NULL;
	struct pdf_doc_info info;
	struct sp_errinfo ei;
	char tail[256];
	int tn;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_doc_open(s, sn, &doc, &ei), SP_OK);
	pdf_doc_info_get(doc, &info);
	pdf_doc_free(doc);
	tn = snprintf(tail, sizeof(tail),
		      "xref\ntrailer\n<< /Size %lld /Root %d 0 R /Prev %lld >>\nstartxref\n%zu\n"
		      "%%%%EOF\n",
		      info.size, info.root_obj, info.startxref, sn);
	ck_assert(tn > 0 && (size_t)tn < sizeof(tail));
	ck_assert_ptr_nonnull(d = malloc(sn + (size_t)tn));
	memcpy(d, s, sn);
	memcpy(d + sn, tail, (size_t)tn);
	n = sn + (size_t)tn;
	sv = verdict_of(s, sn, &nd);
	ck_assert_int_eq(sv, CRYPTO_VERDICT_VALID);
	v = verdict_of(d, n, &nd);
	/* qpdf repairs the empty table to read it: indeterminate (changes_unverifiable)
	   is fair; invalid, or a change named, would not be */
	ck_assert_msg(v != CRYPTO_VERDICT_INVALID && nd == 0,
		      "an update of no objects: verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
	free(base);
	free(s);
	free(d);
}
END_TEST

/* The page's text rewritten in a content stream whose dictionary says /Type /DSS. */
START_TEST(content_stream_typed_dss_rewritten_is_not_valid)
{
	char c4[256];
	const int nums[] = { 4 };
	const char *objs[] = { c4 };

	snprintf(c4, sizeof(c4), "<< /Type /DSS /Length %zu >>\nstream\n%s\nendstream",
		 strlen(CONTENT_999) + 1, CONTENT_999);
	tampered_is_invalid(1, nums, objs, 1, "the page now says \"Pay 999 EUR\"");
}
END_TEST

/* The same with a content stream that says /Type /XRef or /Type /ObjStm: file structure. */
START_TEST(content_stream_typed_structure_rewritten_is_not_valid)
{
	char c4[256];
	const int nums[] = { 4 };
	const char *objs[] = { c4 };
	const char *type = _i == 0 ? "/XRef" : "/ObjStm";

	snprintf(c4, sizeof(c4), "<< /Type %s /Length %zu >>\nstream\n%s\nendstream", type,
		 strlen(CONTENT_999) + 1, CONTENT_999);
	tampered_is_invalid(4 + _i, nums, objs, 1, type);
}
END_TEST

/* The DSS dictionary, also the page's /Resources, pointed at a form that paints the page over. */
START_TEST(dss_doubling_as_resources_rewritten_is_not_valid)
{
	char c40[256];
	const int nums[] = { 8, 40 };
	const char *objs[] = { "<< /Type /DSS /Certs [9 0 R] /Font << /F1 5 0 R >> "
			       "/XObject << /X1 40 0 R >> >>",
			       c40 };

	snprintf(c40, sizeof(c40),
		 "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length %zu >>\nstream\n%s\n"
		 "endstream",
		 strlen(WHITE) + 1, WHITE);
	tampered_is_invalid(2, nums, objs, 2, "the page is painted white");
}
END_TEST

/*
 * The server's own flow: the uploader's contract has no DSS, only a content
 * stream that says /Type /DSS; the upload's rewrite (pdf_upload_normalize)
 * keeps it, the signer signs, and the completion's B-LT update adds the DSS
 * (pdf_dss_append_read, as crypto_ltv_add_dss writes it). The uploader,
 * who downloads the completed contract, rewrites the page's text.
 */
START_TEST(uploaded_content_stream_typed_dss_rewritten_is_not_valid)
{
	static const char key[] = "00112233445566778899AABBCCDDEEFF00112233";
	char item[] = "evidence", c[256], *at;
	struct pdf_normalized norm;
	struct pdf_dss none, after;
	struct pdf_dss_add add;
	struct pdf_blob blob = { (unsigned char *)item, sizeof(item) - 1 };
	struct pdf_doc *doc = NULL;
	struct sp_errinfo ei;
	enum crypto_verdict v;
	size_t bn, sn, ln, n, nd;
	unsigned char *base = base_with_dss(3, &bn), *s, *lt = NULL, *d;
	int num;
	const char *objs[1] = { c };

	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_upload_normalize(base, bn, &norm, &ei) == SP_OK, "%s", ei.msg);
	/* the content stream's number after the rewrite: the object whose dictionary
	   says /Type /DSS */
	at = memmem(norm.data, norm.len, "/Type /DSS", 10);
	ck_assert_ptr_nonnull(at);
	while (at > (char *)norm.data && memcmp(at, " 0 obj", 6) != 0)
		at--;
	while (at > (char *)norm.data && at[-1] >= '0' && at[-1] <= '9')
		at--;
	/* (read from a copy: the rewrite's bytes end with no NUL, and strtol reads on) */
	{
		char digits[16] = "";
		size_t k = 0;

		while (k + 1 < sizeof(digits) && at + k < (char *)norm.data + norm.len &&
		       at[k] >= '0' && at[k] <= '9') {
			digits[k] = at[k];
			k++;
		}
		num = atoi(digits);
	}
	ck_assert_int_gt(num, 0);
	s = vc_sign(norm.data, norm.len, "rsa", 1, 0, &sn);
	/* the completion's DSS update */
	memset(&add, 0, sizeof(add));
	add.certs = &blob;
	add.ncerts = 1;
	add.vri = (const char(*)[41])key;
	add.nvri = 1;
	ck_assert_int_eq(pdf_doc_open(s, sn, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_dss_read(doc, &none, &ei), SP_OK);
	ck_assert_msg(pdf_dss_append_read(doc, &none, &add, &lt, &ln, &after, &ei) == SP_OK, "%s",
		      ei.msg);
	pdf_doc_free(doc);
	v = verdict_of(lt, ln, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES && nd == 0, "stored: %s",
		      crypto_verdict_name(v));
	/* the uploader's update after completion */
	snprintf(c, sizeof(c), "<< /Type /DSS /Length %zu >>\nstream\n%s\nendstream",
		 strlen(CONTENT_999) + 1, CONTENT_999);
	d = vc_update(lt, ln, &num, objs, 1, 0, NULL, &n);
	v = verdict_of(d, n, &nd);
	ck_assert_msg(v == CRYPTO_VERDICT_INVALID && nd > 0,
		      "the page now says \"Pay 999 EUR\": verdict %s, %zu disallowed changes",
		      crypto_verdict_name(v), nd);
	pdf_dss_cleanup(&none);
	pdf_dss_cleanup(&after);
	pdf_normalized_cleanup(&norm);
	free(base);
	free(s);
	free(lt);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verify_shadow");
	TCase *tc = test_tcase(s, "dss_shadow", setup, teardown, 0, 120);

	tcase_add_test(tc, a_genuine_dss_update_stays_valid);
	tcase_add_test(tc, an_update_of_no_objects_stays_valid);
	tcase_add_test(tc, content_stream_typed_dss_rewritten_is_not_valid);
	tcase_add_loop_test(tc, content_stream_typed_structure_rewritten_is_not_valid, 0, 2);
	tcase_add_test(tc, dss_doubling_as_resources_rewritten_is_not_valid);
	tcase_add_test(tc, uploaded_content_stream_typed_dss_rewritten_is_not_valid);
	verify_shadow_info_add(tc);
	verify_shadow_p3_add(tc);
	return test_suite_run(s);
}
