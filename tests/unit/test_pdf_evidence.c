/*
 * test_pdf_evidence.c: the evidence report (pdf/evidence.c) judged by qpdf
 * (structure, the attachment's dictionaries), poppler (pdftotext for the
 * content, pdffonts for the subset font, pdfdetach for the attachment,
 * pdfimages for the seal pictures, pdfinfo for the page count), and
 * pdf_sig_prepare(), which must be able to sign it.
 */
#include <check.h>
#include <openssl/evp.h>
#include <qpdf/qpdf-c.h>

#include "pdf.h"
#include "../fixtures/pdf-writer/pdfgen.h"
#include "support_tmp.h"

#define FONT PDF_CJK_FONT_DEFAULT
#define FACE PDF_CJK_FONT_INDEX_SC
#define NEV 60

static const char *const orgs[] = { "北京云签数据科技有限公司", "上海供应链管理有限公司",
				    "广州物流运输有限公司" };
static const char *const codes[] = { "91110108MA01ABCDE3", "91310115MA1K3XYZ7Q",
				     "91440101MA5CQRST2L" };

struct world {
	unsigned char *contract;
	size_t contract_len;
	unsigned char *png[2];
	size_t png_len[2];
	struct pdf_evidence_party parties[3];
	struct pdf_evidence_signature sigs[2];
	struct pdf_evidence_event ev[NEV];
	char hash[NEV + 1][65];
	char times[NEV][32];
	char sha[65];
	struct pdf_evidence e;
};

static void
world_init(struct world *w)
{
	struct sp_errinfo ei;
	char path[1024];
	unsigned char d[32];
	unsigned dl = 0;
	int i, k;

	memset(w, 0, sizeof(*w));
	snprintf(path, sizeof(path), "%s/tests/fixtures/contracts/short.pdf",
		 getenv("SEALPACT_SOURCE_DIR") ? getenv("SEALPACT_SOURCE_DIR") : "../..");
	sp_errinfo_init(&ei);
	ck_assert_msg(sp_file_read(path, 1 << 26, &w->contract, &w->contract_len, &ei) == SP_OK,
		      "%s", ei.msg);
	ck_assert(EVP_Digest(w->contract, w->contract_len, d, &dl, EVP_sha256(), NULL) == 1);
	sp_hex(d, 32, w->sha);
	for (i = 0; i < 2; i++) {
		struct pdf_seal_art a = { orgs[i], "合同专用章", NULL, 300 };
		ck_assert_int_eq(pdf_seal_round_png(FONT, FACE, &a, &w->png[i], &w->png_len[i],
						    &ei),
				 SP_OK);
	}
	for (i = 0; i < 3; i++)
		w->parties[i] =
			(struct pdf_evidence_party){ i < 2 ? "signer" : "cc", orgs[i], codes[i],
						     i < 2 ? "signed" : "received",
						     "2026-12-01T10:30:00Z" };
	for (i = 0; i < 2; i++)
		w->sigs[i] = (struct pdf_evidence_signature){
			.signer_subject = i == 0 ? "CN=北京云签数据科技有限公司, C=CN"
						 : "CN=上海供应链管理有限公司, C=CN",
			.signer_serial = "5A:3F:92:11",
			.signer_issuer = "CN=sealpact Development CA",
			.seal_name = orgs[i],
			.seal_type = "合同专用章",
			.seal_validity = "2026-01-01 至 2027-01-01",
			.seal_png = w->png[i],
			.seal_png_len = w->png_len[i],
			.signing_time = "2026-12-01T09:12:30Z",
			.timestamp_time = "2026-12-01T09:12:31Z",
			.level = "B-LTA",
			.result = i == 0 ? "valid" : "indeterminate",
			.result_detail = i == 0 ? NULL : "revocation status unknown",
		};
	for (i = 0; i <= NEV; i++) {
		for (k = 0; k < 64; k++)
			w->hash[i][k] = "0123456789abcdef"[(i * 7 + k * 13 + k / 5) % 16];
		w->hash[i][64] = 0;
	}
	for (i = 0; i < NEV; i++) {
		snprintf(w->times[i], sizeof(w->times[i]), "2026-12-01T%02d:%02d:00Z", 9 + i / 60,
			 i % 60);
		w->ev[i] = (struct pdf_evidence_event){
			w->times[i],          orgs[i % 3],
			"signature.complete", i % 2 ? "203.0.113.7" : "2001:db8::1",
			w->hash[i],           w->hash[i + 1]
		};
	}
	w->e = (struct pdf_evidence){
		.contract_number = "7401234567890123456",
		.contract_name = "2026 年度采购框架合同",
		.status = "completed",
		.initiator = orgs[0],
		.initiator_credit_code = codes[0],
		.generated_at = "2026-12-03T12:00:00Z",
		.sha256_hex = w->sha,
		.sm3_hex = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		.parties = w->parties,
		.nparties = 3,
		.signatures = w->sigs,
		.nsignatures = 2,
		.events = w->ev,
		.nevents = NEV,
		.contract_pdf = w->contract,
		.contract_pdf_len = w->contract_len,
	};
}

static void
world_cleanup(struct world *w)
{
	free(w->contract);
	free(w->png[0]);
	free(w->png[1]);
}

static char *
output_of(const char *dir, const char *cmd_prefix, const char *path, const char *tail)
{
	char out[512];
	size_t n;
	char *p;

	snprintf(out, sizeof(out), "%s/tool.out", dir);
	ck_assert_msg(run("%s %s%s > %s", cmd_prefix, path, tail, out) == 0, "%s %s failed",
		      cmd_prefix, path);
	p = (char *)read_file(out, &n);
	ck_assert_ptr_nonnull(p);
	unlink(out);
	return p;
}

START_TEST(report_reads_back_and_carries_the_contract)
{
	struct world w;
	struct sp_errinfo ei;
	unsigned char *pdf = NULL, *pdf2 = NULL, *back;
	size_t len = 0, len2 = 0, blen = 0;
	const char *dir = test_tmpdir_new("pdf");
	char path[512], saved[512], *txt, *s, want[64];
	int pages = 0, i;

	world_init(&w);
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_evidence_report(FONT, FACE, &w.e, &pdf, &len, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(pdf_evidence_report(FONT, FACE, &w.e, &pdf2, &len2, &ei), SP_OK);
	ck_assert(len == len2 && memcmp(pdf, pdf2, len) == 0);
	snprintf(path, sizeof(path), "%s/evidence.pdf", dir);
	write_file(path, pdf, len);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", path), 0);

	/* Several pages, each numbered "i of n". */
	s = output_of(dir, "pdfinfo", path, "");
	ck_assert_ptr_nonnull(strstr(s, "Pages:"));
	pages = atoi(strstr(s, "Pages:") + 6);
	free(s);
	ck_assert_msg(pages >= 3, "%d pages for %d events", pages, NEV);
	txt = output_of(dir, "pdftotext -enc UTF-8", path, " -");
	ck_assert_ptr_nonnull(strstr(txt, "电子合同出证报告"));
	ck_assert_ptr_nonnull(strstr(txt, "Electronic Contract Evidence Report"));
	ck_assert_ptr_nonnull(strstr(txt, "7401234567890123456"));
	ck_assert_ptr_nonnull(strstr(txt, "2026 年度采购框架合同"));
	ck_assert_ptr_nonnull(strstr(txt, "已完成 Completed"));
	ck_assert_ptr_nonnull(strstr(txt, w.sha));
	ck_assert_ptr_nonnull(strstr(txt, w.e.sm3_hex));
	for (i = 0; i < 3; i++) {
		ck_assert_msg(strstr(txt, orgs[i]), "%s missing", orgs[i]);
		ck_assert_msg(strstr(txt, codes[i]), "%s missing", codes[i]);
	}
	ck_assert_ptr_nonnull(strstr(txt, "CN=上海供应链管理有限公司, C=CN"));
	ck_assert_ptr_nonnull(strstr(txt, "有效 Valid"));
	ck_assert_ptr_nonnull(strstr(txt, "无法确定 Indeterminate"));
	ck_assert_ptr_nonnull(strstr(txt, "B-LTA"));
	ck_assert_ptr_nonnull(strstr(txt, "2026-12-01T09:12:31Z"));
	/* The audit trail: first and last events, with their hash chain and address. */
	ck_assert_ptr_nonnull(strstr(txt, w.hash[0]));
	ck_assert_ptr_nonnull(strstr(txt, w.hash[NEV]));
	ck_assert_ptr_nonnull(strstr(txt, w.times[NEV - 1]));
	ck_assert_ptr_nonnull(strstr(txt, "203.0.113.7"));
	ck_assert_ptr_nonnull(strstr(txt, "2001:db8::1"));
	snprintf(want, sizeof(want), "Page %d of %d", pages, pages);
	ck_assert_msg(strstr(txt, want), "no \"%s\"", want);
	snprintf(want, sizeof(want), "第 1 页 / 共 %d 页", pages);
	ck_assert_msg(strstr(txt, want), "no \"%s\"", want);
	free(txt);

	s = output_of(dir, "pdffonts", path, "");
	ck_assert_msg(strstr(s, "CID Type 0C") && strstr(s, "yes yes yes"), "%s", s);
	free(s);
	/* Both seal pictures, each with its soft mask (alpha). */
	s = output_of(dir, "pdfimages -list", path, "");
	{
		int nimg = 0, nsmask = 0;
		const char *l;
		/* Rows: page num type ...; count by the type column. */
		for (l = s; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			int pg, num;
			char type[16];
			if (sscanf(l, "%d %d %15s", &pg, &num, type) != 3)
				continue;
			nimg += strcmp(type, "image") == 0;
			nsmask += strcmp(type, "smask") == 0;
		}
		ck_assert_msg(nimg == 2 && nsmask == 2, "%s", s);
	}
	free(s);

	/* The attachment: listed, and saved back byte for byte. */
	s = output_of(dir, "pdfdetach -list", path, "");
	ck_assert_msg(strstr(s, "1 embedded files") &&
			      strstr(s, "contract-7401234567890123456.pdf"),
		      "%s", s);
	free(s);
	snprintf(saved, sizeof(saved), "%s/saved.pdf", dir);
	ck_assert_int_eq(run("pdfdetach -save 1 -o %s %s", saved, path), 0);
	back = read_file(saved, &blen);
	ck_assert(blen == w.contract_len && memcmp(back, w.contract, blen) == 0);
	free(back);
	run("rm -rf %s", dir);
	free(pdf);
	free(pdf2);
	world_cleanup(&w);
}
END_TEST

START_TEST(attachment_dictionaries)
{
	struct world w;
	struct sp_errinfo ei;
	unsigned char *pdf = NULL, md5[16];
	size_t len = 0, n = 0;
	unsigned dl = 0;
	qpdf_data q;
	qpdf_oh root, af, fs, ef, params;
	const char *sum;

	world_init(&w);
	w.e.contract_filename = "采购合同-signed.pdf";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_evidence_report(FONT, FACE, &w.e, &pdf, &len, &ei), SP_OK);
	q = qpdf_init();
	qpdf_silence_errors(q);
	ck_assert_int_eq(qpdf_read_memory(q, "e", (char *)pdf, len, "") & QPDF_ERRORS, 0);
	root = qpdf_get_root(q);
	af = qpdf_oh_get_key(q, root, "/AF");
	ck_assert(qpdf_oh_is_array(q, af) && qpdf_oh_get_array_n_items(q, af) == 1);
	fs = qpdf_oh_get_array_item(q, af, 0);
	ck_assert_str_eq(qpdf_oh_get_utf8_value(q, qpdf_oh_get_key(q, fs, "/UF")),
			 "采购合同-signed.pdf");
	ck_assert_str_eq(qpdf_oh_get_name(q, qpdf_oh_get_key(q, fs, "/AFRelationship")), "/Source");
	/* The same file specification in the /EmbeddedFiles name tree. */
	ck_assert_int_eq(qpdf_oh_get_object_id(
				 q,
				 qpdf_oh_get_array_item(
					 q,
					 qpdf_oh_get_key(q,
							 qpdf_oh_get_key(q,
									 qpdf_oh_get_key(q, root,
											 "/Names"),
									 "/EmbeddedFiles"),
							 "/Names"),
					 1)),
			 qpdf_oh_get_object_id(q, fs));
	ef = qpdf_oh_get_key(q, qpdf_oh_get_key(q, fs, "/EF"), "/F");
	ck_assert(qpdf_oh_is_stream(q, ef));
	ck_assert_str_eq(qpdf_oh_get_name(q,
					  qpdf_oh_get_key(q, qpdf_oh_get_dict(q, ef), "/Subtype")),
			 "/application/pdf");
	params = qpdf_oh_get_key(q, qpdf_oh_get_dict(q, ef), "/Params");
	ck_assert_int_eq(qpdf_oh_get_int_value(q, qpdf_oh_get_key(q, params, "/Size")),
			 (long long)w.contract_len);
	sum = qpdf_oh_get_binary_string_value(q, qpdf_oh_get_key(q, params, "/CheckSum"), &n);
	ck_assert(EVP_Digest(w.contract, w.contract_len, md5, &dl, EVP_md5(), NULL) == 1);
	ck_assert(n == 16 && memcmp(sum, md5, 16) == 0);
	qpdf_cleanup(&q);
	free(pdf);
	world_cleanup(&w);
}
END_TEST

/* The platform signs the report afterwards: pdf_sig_prepare must take it. */
START_TEST(report_can_be_signed)
{
	struct world w;
	struct sp_errinfo ei;
	unsigned char *pdf = NULL;
	size_t len = 0;
	struct pdf_doc *doc = NULL;
	struct pdf_sig_params par = { .signing_time = 1795000000, .utc_offset_min = 480 };
	struct pdf_sig_prepared p;
	const char *dir = test_tmpdir_new("pdf");
	char path[512];

	world_init(&w);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_evidence_report(FONT, FACE, &w.e, &pdf, &len, &ei), SP_OK);
	ck_assert_msg(pdf_doc_open(pdf, len, &doc, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_msg(pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &p, &ei) == SP_OK, "%s", ei.msg);
	snprintf(path, sizeof(path), "%s/prepared.pdf", dir);
	write_file(path, p.data, p.len);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", path), 0);
	pdf_sig_prepared_cleanup(&p);
	pdf_doc_free(doc);
	run("rm -rf %s", dir);
	free(pdf);
	world_cleanup(&w);
}
END_TEST

START_TEST(odd_text_is_shown_not_refused)
{
	struct world w;
	struct sp_errinfo ei;
	unsigned char *pdf = NULL;
	size_t len = 0;
	struct pdf_doc *doc = NULL;
	char *txt = NULL;
	size_t tl = 0;

	world_init(&w);
	/* A control character and a character the font lacks, in another's name. */
	w.parties[1].organization = "上海供应链\x1b[31m管理 \xf0\x9f\x98\x80 有限公司";
	w.e.nevents = 2;
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_evidence_report(FONT, FACE, &w.e, &pdf, &len, &ei) == SP_OK, "%s",
		      ei.msg);
	ck_assert_int_eq(pdf_doc_open(pdf, len, &doc, &ei), SP_OK);
	ck_assert_int_eq(pdf_page_text(doc, 1, &txt, &tl, &ei), SP_OK);
	ck_assert_msg(strstr(txt, "[31m管理 ? 有限公司") && !strchr(txt, 0x1b), "%s", txt);
	free(txt);
	pdf_doc_free(doc);
	free(pdf);
	world_cleanup(&w);
}
END_TEST

/* Absurdly long values: cut with "…", the report still paginates and checks. */
START_TEST(long_values_are_cut_and_paginated)
{
	struct world w;
	struct sp_errinfo ei;
	unsigned char *pdf = NULL;
	size_t len = 0, i;
	char *subject = malloc(3 * 2000 + 1), *action = malloc(5001);
	const char *dir = test_tmpdir_new("pdf");
	char path[512], *txt;

	world_init(&w);
	for (i = 0; i < 2000; i++)
		memcpy(subject + 3 * i, "签", 3);
	subject[3 * 2000] = 0;
	memset(action, 'x', 5000);
	action[5000] = 0;
	w.sigs[0].signer_subject = subject;
	w.sigs[0].signer_issuer = subject;
	w.sigs[1].result_detail = subject;
	w.ev[3].action = action;
	w.e.contract_name = subject + 3 * (2000 - 330); /* 990 bytes: under the cap */
	sp_errinfo_init(&ei);
	ck_assert_msg(pdf_evidence_report(FONT, FACE, &w.e, &pdf, &len, &ei) == SP_OK, "%s",
		      ei.msg);
	snprintf(path, sizeof(path), "%s/long.pdf", dir);
	write_file(path, pdf, len);
	ck_assert_int_eq(run("qpdf --check %s >/dev/null 2>&1", path), 0);
	txt = output_of(dir, "pdftotext -enc UTF-8", path, " -");
	ck_assert_ptr_nonnull(strstr(txt, "签…"));
	/* The 5000 x of one action are cut to CELL_MAX: far fewer than were given. */
	{
		size_t nx = 0;
		const char *q;
		for (q = txt; *q; q++)
			nx += *q == 'x';
		ck_assert_msg(nx < 400, "%zu x shown", nx);
	}
	ck_assert_ptr_nonnull(strstr(txt, w.hash[NEV]));
	free(txt);
	run("rm -rf %s", dir);
	free(pdf);
	free(subject);
	free(action);
	world_cleanup(&w);
}
END_TEST

START_TEST(bad_evidence_is_refused)
{
	struct world w;
	struct sp_errinfo ei;
	unsigned char *pdf = (unsigned char *)"x", junk[] = "\x89PNG\r\n\x1a\nnot really";
	size_t len = 9;
	struct pdf_evidence e;

	world_init(&w);
	e = w.e;
	e.contract_number = NULL;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_evidence_report(FONT, FACE, &e, &pdf, &len, &ei), SP_ERR_INVALID);
	ck_assert_str_eq(ei.reason, "evidence_invalid");
	ck_assert_ptr_nonnull(strstr(ei.msg, "contract number"));
	ck_assert(pdf == NULL && len == 0);

	e = w.e;
	e.sha256_hex = "abcd";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_evidence_report(FONT, FACE, &e, &pdf, &len, &ei), SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "SHA-256"));

	e = w.e;
	e.sm3_hex = "zz";
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_evidence_report(FONT, FACE, &e, &pdf, &len, &ei), SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "SM3"));

	e = w.e;
	e.contract_pdf = (const unsigned char *)"<html>not a pdf</html>";
	e.contract_pdf_len = 22;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_evidence_report(FONT, FACE, &e, &pdf, &len, &ei), SP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(ei.msg, "not a PDF"));

	e = w.e;
	e.nevents = 100001;
	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_evidence_report(FONT, FACE, &e, &pdf, &len, &ei), SP_ERR_INVALID);

	e = w.e;
	w.sigs[1].seal_png = junk;
	w.sigs[1].seal_png_len = sizeof(junk) - 1;
	sp_errinfo_init(&ei);
	ck_assert_int_ne(pdf_evidence_report(FONT, FACE, &e, &pdf, &len, &ei), SP_OK);
	ck_assert_msg(strstr(ei.msg, "signature 2"), "%s", ei.msg);
	ck_assert(pdf == NULL && len == 0);

	sp_errinfo_init(&ei);
	ck_assert_int_eq(pdf_evidence_report("/nonexistent.ttc", 0, &w.e, &pdf, &len, &ei),
			 SP_ERR_IO);
	world_cleanup(&w);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_evidence");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, report_reads_back_and_carries_the_contract);
	tcase_add_test(tc, attachment_dictionaries);
	tcase_add_test(tc, report_can_be_signed);
	tcase_add_test(tc, odd_text_is_shown_not_refused);
	tcase_add_test(tc, long_values_are_cut_and_paginated);
	tcase_add_test(tc, bad_evidence_is_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
