/*
 * form.c: the seal application form (电子印章申请表): one A4 page with the
 * application's facts pre-filled in a bilingual table, the applicant's
 * declaration, a large box for the physical seal's stamp (with a dashed
 * 42 mm guide circle, the size of a round official seal) and the
 * applicant's signature line. The applicant prints it, stamps it with the
 * physical seal, scans it in colour and uploads it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"

#define INK 0x1a1a1au
#define GREY 0x666666u
#define RULE 0x404040u
#define SHADE 0xf0f0f0u
#define MARGIN 56.0

static int
check_date(const char *d, struct sp_errinfo *ei)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, day, n = 0;

	/* NOLINTNEXTLINE(cert-err34-c): %n and the checks below refuse what sscanf lets by */
	if (!d || strlen(d) != 10 || sscanf(d, "%4d-%2d-%2d%n", &y, &m, &day, &n) != 3 || n != 10 ||
	    d[4] != '-' || d[7] != '-' || y < 1900 || m < 1 || m > 12 || day < 1 ||
	    day > mdays[m - 1] || (m == 2 && day == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		return sp_err_reason(ei, SP_ERR_INVALID, "form_date",
				     "the date must be a real date as YYYY-MM-DD");
	return SP_OK;
}

static int
check_ascii(const char *what, const char *s, size_t max, struct sp_errinfo *ei)
{
	size_t i, n;

	if (!s || !(n = strlen(s)) || n > max)
		return sp_err_reason(ei, SP_ERR_INVALID, "text_invalid",
				     "%s must have 1..%zu characters", what, max);
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return sp_err_reason(ei, SP_ERR_INVALID, "text_invalid",
					     "%s may hold only printable ASCII", what);
	return SP_OK;
}

/*
 * One table row: shaded label cell (Chinese, English below) and the value,
 * in a smaller size when it would take more than two lines, so the longest
 * values still leave room for the stamp box on the one page.
 */
static int
row(struct gen *g, double *y, const char *zh, const char *en, const char *value,
    struct sp_errinfo *ei)
{
	static const double sizes[] = { 12, 10.5, 9 };
	const double x0 = MARGIN, lw = 150, x1 = GEN_A4_W - MARGIN;
	double vw = x1 - x0 - lw - 20, h, size = 12, lead = 16;
	int lines = 0, r, dummy = 0;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(sizes); i++) {
		size = sizes[i];
		lead = size * 1.33;
		if ((r = gen_text_wrap(g, 0, 0, vw, size, lead, INK, 0, value, 0, &lines, ei)) < 0)
			return r;
		if (lines <= 2)
			break;
	}
	h = lines * lead + 22;
	if (h < 44)
		h = 44;
	if ((r = gen_rect(g, x0, *y - h, lw, h, 0.8, RULE, SHADE, 0, ei)) < 0 ||
	    (r = gen_rect(g, x0 + lw, *y - h, x1 - x0 - lw, h, 0.8, RULE, GEN_NONE, 0, ei)) < 0 ||
	    (r = gen_text(g, x0 + 10, *y - h / 2 + 2, 11.5, INK, GEN_BOLD, zh, ei)) < 0 ||
	    (r = gen_text(g, x0 + 10, *y - h / 2 - 11, 7.5, GREY, 0, en, ei)) < 0)
		return r;
	/* The value, vertically centred in its cell. */
	if ((r = gen_text_wrap(g, x0 + lw + 10, *y - (h - lines * lead) / 2 - size, vw, size, lead,
			       INK, 0, value, 1, &dummy, ei)) < 0)
		return r;
	*y -= h;
	return SP_OK;
}

int
pdf_seal_application_form(const char *font_path, int font_index, const struct pdf_seal_form *f,
			  unsigned char **pdf, size_t *pdf_len, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, lines = 0;
	struct gen *g = NULL;
	double y, bx, bw, bh, by, gy, gr;
	char buf[512];

	*pdf = NULL;
	*pdf_len = 0;
	if (!f)
		return sp_err(ei, SP_ERR_INVALID, "no form data");
	if ((r = gen_check_text("the application id", f->application_id, 1, 40, ei)) < 0 ||
	    (r = gen_check_text("the organization name", f->org_name, 1, 100, ei)) < 0 ||
	    (r = check_ascii("the credit code", f->credit_code, 32, ei)) < 0 ||
	    (r = gen_check_text("the seal name", f->seal_name, 1, 100, ei)) < 0 ||
	    (r = gen_check_text("the seal type", f->seal_type_text, 1, 40, ei)) < 0 ||
	    (r = gen_check_text("the applicant", f->applicant, 1, 60, ei)) < 0 ||
	    (r = check_date(f->date, ei)) < 0)
		return r;
	if ((r = gen_new(font_path, font_index, &g, ei)) < 0)
		return r;
	if ((r = gen_page_add(g, GEN_A4_W, GEN_A4_H, ei)) < 0)
		goto out;

	/* Header and title. */
	snprintf(buf, sizeof(buf), "申请编号 Application No.  %s", f->application_id);
	if ((r = gen_text(g, MARGIN, GEN_A4_H - 40, 8.5, GREY, 0,
			  "sealpact 电子签约平台 · 电子印章", ei)) < 0 ||
	    (r = gen_text(g, GEN_A4_W - MARGIN, GEN_A4_H - 40, 8.5, GREY, GEN_RIGHT, buf, ei)) <
		    0 ||
	    (r = gen_line(g, MARGIN, GEN_A4_H - 47, GEN_A4_W - MARGIN, GEN_A4_H - 47, 0.5, GREY, 0,
			  ei)) < 0 ||
	    (r = gen_text(g, GEN_A4_W / 2, GEN_A4_H - 92, 24, INK, GEN_CENTER | GEN_BOLD,
			  "电子印章申请表", ei)) < 0 ||
	    (r = gen_text(g, GEN_A4_W / 2, GEN_A4_H - 112, 11, GREY, GEN_CENTER,
			  "Electronic Seal Application Form", ei)) < 0)
		goto out;

	y = GEN_A4_H - 135;
	if ((r = row(g, &y, "单位名称", "Organization", f->org_name, ei)) < 0 ||
	    (r = row(g, &y, "统一社会信用代码", "Unified social credit code", f->credit_code, ei)) <
		    0 ||
	    (r = row(g, &y, "印章名称", "Seal name (as on the physical seal)", f->seal_name, ei)) <
		    0 ||
	    (r = row(g, &y, "印章类型", "Seal type", f->seal_type_text, ei)) < 0 ||
	    (r = row(g, &y, "申请人", "Applicant", f->applicant, ei)) < 0 ||
	    (r = row(g, &y, "申请日期", "Date of application", f->date, ei)) < 0)
		goto out;

	/* The declaration. */
	y -= 26;
	if ((r = gen_text(g, MARGIN, y, 11.5, INK, GEN_BOLD, "申请声明", ei)) < 0 ||
	    (r = gen_text(g, MARGIN + 52, y, 8.5, GREY, 0, "Declaration", ei)) < 0)
		goto out;
	y -= 18;
	if ((r = gen_text_wrap(g, MARGIN, y, GEN_A4_W - 2 * MARGIN, 10, 15, INK, 0,
			       "本单位申请制作上述电子印章。印章名称与本单位正在使用的实物印章名称"
			       "一致，所填信息真实、准确、完整；因信息不实产生的一切后果由本单位承"
			       "担。",
			       1, &lines, ei)) < 0)
		goto out;
	y -= lines * 15 + 1;
	if ((r = gen_text_wrap(g, MARGIN, y, GEN_A4_W - 2 * MARGIN, 8.5, 12, GREY, 0,
			       "We apply for the electronic seal above. Its name is the name of "
			       "the "
			       "physical seal we use; the information given is true, accurate and "
			       "complete, and we bear the consequences of any that is not.",
			       1, &lines, ei)) < 0)
		goto out;
	y -= lines * 12 + 14;

	/* The stamp box, with a guide circle of 42 mm (a round official seal). */
	bx = MARGIN;
	bw = GEN_A4_W - 2 * MARGIN;
	/* What the table left, down to the signature line and the footer. */
	bh = y - 120;
	if (bh > 205)
		bh = 205;
	by = y - bh;
	/* The guide: 42 mm across, between the box's label and its notes. */
	gy = (y - 40 + by + 36) / 2;
	gr = (y - 40 - (by + 36)) / 2 - 2;
	if (gr > 42 / 25.4 * 72 / 2)
		gr = 42 / 25.4 * 72 / 2;
	if ((r = gen_rect(g, bx, by, bw, bh, 1.2, RULE, GEN_NONE, 0, ei)) < 0 ||
	    (r = gen_text(g, bx + 12, y - 22, 11.5, INK, GEN_BOLD, "实物印章盖章处", ei)) < 0 ||
	    (r = gen_text(g, bx + 12, y - 36, 8.5, GREY, 0, "Stamp the physical seal here", ei)) <
		    0 ||
	    (r = gen_circle(g, bx + bw / 2, gy, gr, 0.6, 0xb0b0b0u, 3, ei)) < 0 ||
	    (r = gen_text(g, bx + bw / 2, by + 26, 8.5, GREY, GEN_CENTER,
			  "请加盖与申请名称一致的实物印章，彩色扫描后上传。", ei)) < 0 ||
	    (r = gen_text(g, bx + bw / 2, by + 13, 7.5, GREY, GEN_CENTER,
			  "Stamp with the physical seal of the name applied for, then scan in "
			  "colour and upload.",
			  ei)) < 0)
		goto out;

	/* Signature and date lines. */
	y = by - 40;
	if ((r = gen_text(g, MARGIN, y, 11, INK, GEN_BOLD, "申请人签字", ei)) < 0 ||
	    (r = gen_text(g, MARGIN, y - 13, 7.5, GREY, 0, "Applicant signature", ei)) < 0 ||
	    (r = gen_line(g, MARGIN + 70, y - 3, MARGIN + 290, y - 3, 0.8, RULE, 0, ei)) < 0 ||
	    (r = gen_text(g, MARGIN + 320, y, 11, INK, GEN_BOLD, "日期", ei)) < 0 ||
	    (r = gen_text(g, MARGIN + 320, y - 13, 7.5, GREY, 0, "Date", ei)) < 0 ||
	    (r = gen_line(g, MARGIN + 350, y - 3, GEN_A4_W - MARGIN, y - 3, 0.8, RULE, 0, ei)) < 0)
		goto out;

	/* Footer. */
	snprintf(buf, sizeof(buf),
		 "本表由平台生成，请勿涂改 · Generated by sealpact, do not alter · %s",
		 f->application_id);
	if ((r = gen_line(g, MARGIN, 52, GEN_A4_W - MARGIN, 52, 0.5, GREY, 0, ei)) < 0 ||
	    (r = gen_text(g, GEN_A4_W / 2, 38, 7.5, GREY, GEN_CENTER, buf, ei)) < 0)
		goto out;
	r = gen_finish(g, "电子印章申请表 Electronic Seal Application Form", pdf, pdf_len, ei);
out:
	gen_free(g);
	return r;
}
