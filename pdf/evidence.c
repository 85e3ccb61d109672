/*
 * evidence.c: the evidence report (出证报告) of a contract: identity and
 * document hashes, parties, signatures with their seals, the audit trail
 * with its hash chain; bilingual, A4, as many pages as it takes (tables
 * break across pages and repeat their header), page numbers on each page,
 * and the signed contract embedded as an attachment.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"
#include "pdf_int.h"

#define INK 0x1a1a1au
#define GREY 0x666666u
#define RULE 0x8a8a8au
#define SHADE 0xf0f0f0u
#define HEAD_SHADE 0xe2e6eau
#define GREEN 0x1b7f3bu
#define RED 0xc0262du
#define AMBER 0xa8650au
#define M 48.0
#define CW (GEN_A4_W - 2 * M)
#define TOP (GEN_A4_H - 72)
#define BOTTOM 64.0
#define EV_MAX_PARTIES 1000
#define EV_MAX_SIGS 1000
#define EV_MAX_EVENTS 100000

struct rep {
	struct gen *g;
	const struct pdf_evidence *e;
	struct sp_errinfo *ei;
	double y;
	char **keep; /* sanitized strings, freed at the end */
	size_t nkeep, capkeep;
	char *number; /* the contract number, sanitized */
};

/*
 * A sanitized copy of s (or "—" for none) that lives as long as the report,
 * cut to max characters (with "…"): a table row never splits across pages,
 * so no cell may be taller than a page.
 */
static int
txtn(struct rep *rp, const char *s, size_t max, const char **out)
{
	char *c = NULL;
	size_t i = 0, n, k, cps = 0;
	uint32_t cp;
	int r;

	*out = "—";
	if (!s || !*s)
		return SP_OK;
	if (rp->nkeep == rp->capkeep) {
		size_t nc = rp->capkeep ? 2 * rp->capkeep : 64;
		char **nk = realloc(rp->keep, nc * sizeof(*nk));
		if (!nk)
			return sp_err(rp->ei, SP_ERR_NOMEM, "out of memory");
		rp->keep = nk;
		rp->capkeep = nc;
	}
	if ((r = gen_sanitize(rp->g, s, &c)) < 0)
		return sp_err(rp->ei, r, "out of memory");
	n = strlen(c);
	while (i < n && (k = sp_utf8_next((unsigned char *)c + i, n - i, &cp)) != 0) {
		if (++cps > max) {
			/* The sanitized text is well formed; "…" needs 3 bytes of what is cut. */
			char *t = realloc(c, i + 4);
			if (!t) {
				free(c);
				return sp_err(rp->ei, SP_ERR_NOMEM, "out of memory");
			}
			c = t;
			memcpy(c + i, "\xe2\x80\xa6", 4);
			break;
		}
		i += k;
	}
	rp->keep[rp->nkeep++] = c;
	*out = c;
	return SP_OK;
}

#define CELL_MAX 160 /* characters in a table cell */
#define SIG_MAX 400  /* in a signature's row */
#define KV_MAX 1000  /* in the contract's rows */

static int
txt(struct rep *rp, const char *s, const char **out)
{
	return txtn(rp, s, CELL_MAX, out);
}

/* Codes shown in both languages; anything else as given. */
static const char *
label(const char *code)
{
	static const char *const map[][2] = {
		{ "draft", "草稿 Draft" },           { "signing", "签署中 Signing" },
		{ "completed", "已完成 Completed" }, { "rejected", "已拒签 Rejected" },
		{ "cancelled", "已撤销 Cancelled" }, { "expired", "已过期 Expired" },
		{ "signer", "签署方 Signer" },       { "cc", "抄送方 CC" },
		{ "waiting", "等待 Waiting" },       { "pending", "待接收 Pending" },
		{ "received", "已接收 Received" },   { "signed", "已签署 Signed" },
		{ "sent", "已发送 Sent" },           { "valid", "有效 Valid" },
		{ "invalid", "无效 Invalid" },       { "indeterminate", "无法确定 Indeterminate" },
	};
	size_t i;

	if (!code)
		return NULL;
	for (i = 0; i < SP_ARRAY_LEN(map); i++)
		if (strcmp(code, map[i][0]) == 0)
			return map[i][1];
	return code;
}

static int
page_new(struct rep *rp)
{
	char buf[256];
	int r;

	if ((r = gen_page_add(rp->g, GEN_A4_W, GEN_A4_H, rp->ei)) < 0)
		return r;
	snprintf(buf, sizeof(buf), "合同编号 Contract No.  %s", rp->number);
	if ((r = gen_text(rp->g, M, GEN_A4_H - 38, 8, GREY, 0,
			  "sealpact 电子合同出证报告 · Evidence Report", rp->ei)) < 0 ||
	    (r = gen_text(rp->g, GEN_A4_W - M, GEN_A4_H - 38, 8, GREY, GEN_RIGHT, buf, rp->ei)) <
		    0 ||
	    (r = gen_line(rp->g, M, GEN_A4_H - 45, GEN_A4_W - M, GEN_A4_H - 45, 0.5, RULE, 0,
			  rp->ei)) < 0)
		return r;
	rp->y = TOP;
	return SP_OK;
}

/* Start a new page unless h points still fit (a fresh page always takes it). */
static int
need(struct rep *rp, double h, int *broke)
{
	if (broke)
		*broke = 0;
	if (rp->y - h >= BOTTOM || rp->y >= TOP - 1)
		return SP_OK;
	if (broke)
		*broke = 1;
	return page_new(rp);
}

/* A section heading, kept on one page with the first `follow` points after it. */
static int
heading(struct rep *rp, const char *zh, const char *en, double follow)
{
	double w = 0;
	int r;

	rp->y -= 8;
	if ((r = need(rp, 28 + follow, NULL)) < 0 ||
	    (r = gen_text_width(rp->g, zh, 13, &w, rp->ei)) < 0 ||
	    (r = gen_text(rp->g, M, rp->y - 13, 13, INK, GEN_BOLD, zh, rp->ei)) < 0 ||
	    (r = gen_text(rp->g, M + w + 8, rp->y - 13, 9, GREY, 0, en, rp->ei)) < 0 ||
	    (r = gen_line(rp->g, M, rp->y - 19, GEN_A4_W - M, rp->y - 19, 0.8, INK, 0, rp->ei)) < 0)
		return r;
	rp->y -= 28;
	return SP_OK;
}

/*
 * A label/value row: shaded label (Chinese, English below) at x0 of width
 * lw, the value beside it up to x0 + w. draw = 0 only measures *h.
 */
static int
kv(struct rep *rp, double x0, double w, double lw, const char *zh, const char *en,
   const char *value, uint32_t rgb, int draw, double *h)
{
	const double size = 9, lead = 12.5;
	int lines = 0, r;

	if ((r = gen_text_wrap(rp->g, 0, 0, w - lw - 12, size, lead, INK, 0, value, 0, &lines,
			       rp->ei)) < 0)
		return r;
	*h = lines * lead + 12;
	if (*h < 28)
		*h = 28;
	if (!draw)
		return SP_OK;
	if ((r = gen_rect(rp->g, x0, rp->y - *h, lw, *h, 0.6, RULE, SHADE, 0, rp->ei)) < 0 ||
	    (r = gen_rect(rp->g, x0 + lw, rp->y - *h, w - lw, *h, 0.6, RULE, GEN_NONE, 0, rp->ei)) <
		    0 ||
	    (r = gen_text(rp->g, x0 + 6, rp->y - 12.5, 8.5, INK, GEN_BOLD, zh, rp->ei)) < 0 ||
	    (r = gen_text(rp->g, x0 + 6, rp->y - 23, 6.5, GREY, 0, en, rp->ei)) < 0 ||
	    (r = gen_text_wrap(rp->g, x0 + lw + 6, rp->y - (*h - lines * lead) / 2 - 9.5,
			       w - lw - 12, size, lead, rgb, 0, value, 1, &lines, rp->ei)) < 0)
		return r;
	rp->y -= *h;
	return SP_OK;
}

/* A full-width label/value row that moves to a new page when it does not fit. */
static int
kv_row(struct rep *rp, const char *zh, const char *en, const char *value)
{
	double h = 0;
	int r;

	if ((r = kv(rp, M, CW, 150, zh, en, value, INK, 0, &h)) < 0 || (r = need(rp, h, NULL)) < 0)
		return r;
	return kv(rp, M, CW, 150, zh, en, value, INK, 1, &h);
}

struct col {
	const char *zh, *en;
	double w, size;
};

static int
table_head(struct rep *rp, const struct col *c, size_t n)
{
	double x = M, h = 28;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = gen_rect(rp->g, x, rp->y - h, c[i].w, h, 0.6, RULE, HEAD_SHADE, 0,
				  rp->ei)) < 0 ||
		    (r = gen_text(rp->g, x + 4, rp->y - 12, 8.5, INK, GEN_BOLD, c[i].zh, rp->ei)) <
			    0 ||
		    (r = gen_text(rp->g, x + 4, rp->y - 22.5, 6.5, GREY, 0, c[i].en, rp->ei)) < 0)
			return r;
		x += c[i].w;
	}
	rp->y -= h;
	return SP_OK;
}

/*
 * One row; on a page break the header comes again first. tail (or NULL) is
 * a line of small grey text under the cells, across the whole row.
 */
static int
table_row(struct rep *rp, const struct col *c, size_t n, const char *const *cells, const char *tail)
{
	const double ts = 6, tl = 8.5;
	double h = 0, x = M, th = 0;
	int lines, r, broke = 0, tn = 0;
	size_t i;

	if (tail &&
	    (r = gen_text_wrap(rp->g, 0, 0, CW - 8, ts, tl, GREY, 0, tail, 0, &tn, rp->ei)) < 0)
		return r;
	th = tail ? tn * tl + 3 : 0;

	for (i = 0; i < n; i++) {
		double lh;
		if ((r = gen_text_wrap(rp->g, 0, 0, c[i].w - 8, c[i].size, c[i].size * 1.35, INK, 0,
				       cells[i], 0, &lines, rp->ei)) < 0)
			return r;
		lh = lines * c[i].size * 1.35 + 9;
		if (lh > h)
			h = lh;
	}
	if ((r = need(rp, h + th, &broke)) < 0 || (broke && (r = table_head(rp, c, n)) < 0))
		return r;
	if (tail && ((r = gen_rect(rp->g, M, rp->y - h - th, CW, th, 0.6, RULE, 0xf7f7f7u, 0,
				   rp->ei)) < 0 ||
		     (r = gen_text_wrap(rp->g, M + 4, rp->y - h - ts - 0.5, CW - 8, ts, tl, GREY, 0,
					tail, 1, &tn, rp->ei)) < 0))
		return r;
	for (i = 0; i < n; i++) {
		if ((r = gen_rect(rp->g, x, rp->y - h, c[i].w, h, 0.6, RULE, GEN_NONE, 0, rp->ei)) <
			    0 ||
		    (r = gen_text_wrap(rp->g, x + 4, rp->y - 4.5 - c[i].size, c[i].w - 8, c[i].size,
				       c[i].size * 1.35, INK, 0, cells[i], 1, &lines, rp->ei)) < 0)
			return r;
		x += c[i].w;
	}
	rp->y -= h + th;
	return SP_OK;
}

static int
check_hex(const char *what, const char *s, int required, struct sp_errinfo *ei)
{
	size_t i;

	if (!s || !*s) {
		if (!required)
			return SP_OK;
		return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid", "%s is missing", what);
	}
	for (i = 0; s[i]; i++)
		if (sp_hex_val((unsigned char)s[i]) < 0)
			break;
	if (i != 64 || s[i])
		return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid",
				     "%s must be 64 hex digits", what);
	return SP_OK;
}

static int
check(const struct pdf_evidence *e, struct sp_errinfo *ei)
{
	static const char *const what[] = { "the contract number", "the contract name",
					    "the contract status", "the initiator" };
	const char *v[4];
	size_t i;
	int r;

	if (!e)
		return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid", "no evidence given");
	v[0] = e->contract_number;
	v[1] = e->contract_name;
	v[2] = e->status;
	v[3] = e->initiator;
	for (i = 0; i < 4; i++)
		if (!v[i] || !*v[i] || strlen(v[i]) > (i == 0 ? 64 : 1000))
			return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid",
					     "%s is missing or too long", what[i]);
	if ((r = check_hex("the document's SHA-256", e->sha256_hex, 1, ei)) < 0 ||
	    (r = check_hex("the document's SM3", e->sm3_hex, 0, ei)) < 0)
		return r;
	if (e->nfacts > 32 || (e->nfacts && !e->facts))
		return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid",
				     "facts missing or more than 32");
	if (e->nparties > EV_MAX_PARTIES || e->nsignatures > EV_MAX_SIGS ||
	    e->nevents > EV_MAX_EVENTS || (e->nparties && !e->parties) ||
	    (e->nsignatures && !e->signatures) || (e->nevents && !e->events))
		return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid",
				     "parties, signatures or events missing or over their caps "
				     "(%d, %d, %d)",
				     EV_MAX_PARTIES, EV_MAX_SIGS, EV_MAX_EVENTS);
	for (i = 0; i < e->nparties; i++)
		if (!e->parties[i].organization || !*e->parties[i].organization)
			return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid",
					     "party %zu has no organization", i + 1);
	for (i = 0; i < e->nsignatures; i++)
		if (!e->signatures[i].signer_subject || !*e->signatures[i].signer_subject)
			return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid",
					     "signature %zu has no signer certificate subject",
					     i + 1);
	if (!e->contract_pdf || e->contract_pdf_len < 8 || memcmp(e->contract_pdf, "%PDF-", 5) != 0)
		return sp_err_reason(ei, SP_ERR_INVALID, "evidence_invalid",
				     "the contract to attach is not a PDF");
	if (e->contract_pdf_len > PDF_DOC_MAX_BYTES)
		return sp_err_reason(ei, SP_ERR_TOO_LARGE, "evidence_invalid",
				     "the contract of %zu bytes is over the cap",
				     e->contract_pdf_len);
	return SP_OK;
}

static int
section_contract(struct rep *rp, const char *filename)
{
	const struct pdf_evidence *e = rp->e;
	const char *name, *status, *init, *code, *sm3;
	char buf[3200], att[600];
	size_t i;
	int r;

	if ((r = txtn(rp, e->contract_name, KV_MAX, &name)) < 0 ||
	    (r = txt(rp, label(e->status), &status)) < 0 ||
	    (r = txtn(rp, e->initiator, KV_MAX, &init)) < 0 ||
	    (r = txt(rp, e->initiator_credit_code, &code)) < 0 ||
	    (r = txt(rp, e->sm3_hex, &sm3)) < 0)
		return r;
	snprintf(buf, sizeof(buf), "%s（%s）", init, code);
	snprintf(att, sizeof(att), "%s（%zu 字节 bytes，application/pdf）", filename,
		 e->contract_pdf_len);
	if ((r = heading(rp, "一、合同信息", "Contract", 60)) < 0 ||
	    (r = kv_row(rp, "合同编号", "Contract number", rp->number)) < 0 ||
	    (r = kv_row(rp, "合同名称", "Contract name", name)) < 0 ||
	    (r = kv_row(rp, "合同状态", "Status", status)) < 0 ||
	    (r = kv_row(rp, "发起方", "Initiator (credit code)", buf)) < 0 ||
	    (r = kv_row(rp, "文件摘要 SHA-256", "Document digest, SHA-256", e->sha256_hex)) < 0 ||
	    (r = kv_row(rp, "文件摘要 SM3", "Document digest, SM3", sm3)) < 0 ||
	    (r = kv_row(rp, "附件", "Attachment: the signed contract", att)) < 0)
		return r;
	for (i = 0; i < e->nfacts; i++) {
		const char *zh, *en, *v;
		if ((r = txtn(rp, e->facts[i].zh, 40, &zh)) < 0 ||
		    (r = txtn(rp, e->facts[i].en, 60, &en)) < 0 ||
		    (r = txtn(rp, e->facts[i].value, KV_MAX, &v)) < 0 ||
		    (r = kv_row(rp, zh, en, v)) < 0)
			return r;
	}
	return SP_OK;
}

static int
section_parties(struct rep *rp)
{
	static const struct col c[] = {
		{ "角色", "Role", 66, 8.5 },
		{ "单位名称", "Organization", 150, 8.5 },
		{ "统一社会信用代码", "Unified social credit code", 113, 8 },
		{ "状态", "Status", 70, 8.5 },
		{ "时间", "Time", CW - 66 - 150 - 113 - 70, 8 },
	};
	size_t i;
	int r;

	if ((r = heading(rp, "二、签约方", "Parties", 60)) < 0)
		return r;
	if (rp->e->nparties == 0) {
		if ((r = gen_text(rp->g, M, rp->y - 12, 9, GREY, 0, "无 None", rp->ei)) < 0)
			return r;
		rp->y -= 20;
		return SP_OK;
	}
	if ((r = table_head(rp, c, SP_ARRAY_LEN(c))) < 0)
		return r;
	for (i = 0; i < rp->e->nparties; i++) {
		const struct pdf_evidence_party *p = &rp->e->parties[i];
		const char *cells[5];
		if ((r = txt(rp, label(p->role), &cells[0])) < 0 ||
		    (r = txt(rp, p->organization, &cells[1])) < 0 ||
		    (r = txt(rp, p->credit_code, &cells[2])) < 0 ||
		    (r = txt(rp, label(p->status), &cells[3])) < 0 ||
		    (r = txt(rp, p->time, &cells[4])) < 0 ||
		    (r = table_row(rp, c, SP_ARRAY_LEN(c), cells, NULL)) < 0)
			return r;
	}
	return SP_OK;
}

static uint32_t
result_colour(const char *res)
{
	if (!res)
		return INK;
	if (strcmp(res, "valid") == 0)
		return GREEN;
	if (strcmp(res, "invalid") == 0)
		return RED;
	return AMBER;
}

static int
signature(struct rep *rp, size_t idx)
{
	const struct pdf_evidence_signature *s = &rp->e->signatures[idx];
	const char *v[9];
	static const char *const zh[] = { "签署人证书", "证书序列号", "颁发者",
					  "印章",       "印章有效期", "签署时间",
					  "时间戳",     "签名级别",   "验证结果" };
	static const char *const en[] = { "Signer certificate", "Serial number", "Issuer",
					  "Seal (name, type)",  "Seal validity", "Signing time",
					  "Timestamp",          "Level (PAdES)", "Verification" };
	char seal[1200], result[1200], title[128];
	const char *sn, *st, *res, *det;
	double x0 = M + 118, w = CW - 118, total = 0, h, top, boxh;
	unsigned pw = 0, ph = 0;
	size_t i;
	int r, broke = 0;

	if ((r = txtn(rp, s->signer_subject, SIG_MAX, &v[0])) < 0 ||
	    (r = txt(rp, s->signer_serial, &v[1])) < 0 ||
	    (r = txtn(rp, s->signer_issuer, SIG_MAX, &v[2])) < 0 ||
	    (r = txt(rp, s->seal_name, &sn)) < 0 || (r = txt(rp, s->seal_type, &st)) < 0 ||
	    (r = txt(rp, s->seal_validity, &v[4])) < 0 ||
	    (r = txt(rp, s->signing_time, &v[5])) < 0 ||
	    (r = txt(rp, s->timestamp_time, &v[6])) < 0 || (r = txt(rp, s->level, &v[7])) < 0 ||
	    (r = txt(rp, label(s->result), &res)) < 0 || (r = txt(rp, s->result_detail, &det)) < 0)
		return r;
	snprintf(seal, sizeof(seal), "%s · %s", sn, st);
	v[3] = seal;
	if (s->result_detail && *s->result_detail)
		snprintf(result, sizeof(result), "%s：%s", res, det);
	else
		snprintf(result, sizeof(result), "%s", res);
	v[8] = result;
	for (i = 0; i < 9; i++) {
		if ((r = kv(rp, x0, w, 112, zh[i], en[i], v[i], INK, 0, &h)) < 0)
			return r;
		total += h;
	}
	if (total < 130)
		total = 130;
	/* A block taller than a page (very long names) goes on row by row. */
	if ((r = need(rp, fmin(total, TOP - BOTTOM - 26) + 26, NULL)) < 0)
		return r;
	snprintf(title, sizeof(title), "签名 %zu  Signature %zu", idx + 1, idx + 1);
	if ((r = gen_text(rp->g, M, rp->y - 12, 10, INK, GEN_BOLD, title, rp->ei)) < 0 ||
	    (r = gen_text(rp->g, GEN_A4_W - M, rp->y - 12, 10, result_colour(s->result),
			  GEN_RIGHT | GEN_BOLD, res, rp->ei)) < 0)
		return r;
	rp->y -= 20;
	top = rp->y;
	boxh = fmin(total, top - BOTTOM);
	/* The seal's picture on the left, in its own aspect, with a caption. */
	if ((r = gen_rect(rp->g, M, top - boxh, 112, boxh, 0.6, RULE, GEN_NONE, 0, rp->ei)) < 0)
		return r;
	if (s->seal_png && s->seal_png_len) {
		double bw = 100, bh = 100;
		if ((r = pdf_image_png_size(s->seal_png, s->seal_png_len, &pw, &ph, rp->ei)) < 0)
			goto bad_png;
		if (pw > ph)
			bh = bw * ph / pw;
		else
			bw = bh * pw / ph;
		if ((r = gen_image_png(rp->g, s->seal_png, s->seal_png_len, M + 56 - bw / 2,
				       top - 8 - bh, bw, bh, rp->ei)) < 0)
			goto bad_png;
	} else if ((r = gen_text(rp->g, M + 56, top - 60, 8, GREY, GEN_CENTER, "无印章图片",
				 rp->ei)) < 0 ||
		   (r = gen_text(rp->g, M + 56, top - 71, 6.5, GREY, GEN_CENTER, "No seal picture",
				 rp->ei)) < 0) {
		return r;
	}
	if ((r = gen_text(rp->g, M + 56, top - boxh + 16, 7.5, GREY, GEN_CENTER, "印章图片",
			  rp->ei)) < 0 ||
	    (r = gen_text(rp->g, M + 56, top - boxh + 7, 6, GREY, GEN_CENTER, "Seal picture",
			  rp->ei)) < 0)
		return r;
	for (i = 0; i < 9; i++) {
		uint32_t ink = i == 8 ? result_colour(s->result) : INK;
		if ((r = kv(rp, x0, w, 112, zh[i], en[i], v[i], ink, 0, &h)) < 0)
			return r;
		if (rp->y - h < BOTTOM) {
			if ((r = page_new(rp)) < 0)
				return r;
			broke = 1;
		}
		if ((r = kv(rp, x0, w, 112, zh[i], en[i], v[i], ink, 1, &h)) < 0)
			return r;
	}
	if (broke) {
		rp->y -= 14;
		return SP_OK;
	}
	rp->y = top - total - 14;
	return SP_OK;
bad_png : {
	char p[64];
	snprintf(p, sizeof(p), "signature %zu: seal picture", idx + 1);
	sp_errinfo_prefix(rp->ei, p);
	return r;
}
}

static int
section_signatures(struct rep *rp)
{
	size_t i;
	int r;

	if ((r = heading(rp, "三、签名与印章", "Signatures and seals",
			 rp->e->nsignatures ? 300 : 20)) < 0)
		return r;
	if (rp->e->nsignatures == 0) {
		if ((r = gen_text(rp->g, M, rp->y - 12, 9, GREY, 0, "无签名 No signatures",
				  rp->ei)) < 0)
			return r;
		rp->y -= 20;
	}
	for (i = 0; i < rp->e->nsignatures; i++)
		if ((r = signature(rp, i)) < 0)
			return r;
	return SP_OK;
}

static int
section_audit(struct rep *rp)
{
	static const struct col c[] = {
		{ "时间", "Time", 108, 7.5 },
		{ "操作者", "Actor", 170, 7.5 },
		{ "操作", "Action", 131, 7.5 },
		{ "IP 地址", "IP address", CW - 108 - 170 - 131, 7.5 },
	};
	char chain[1100];
	size_t i;
	int r;

	if ((r = heading(rp, "四、审计记录",
			 "Audit trail, each event with the hash of the one before and its own",
			 60)) < 0)
		return r;
	if (rp->e->nevents == 0) {
		if ((r = gen_text(rp->g, M, rp->y - 12, 9, GREY, 0, "无 None", rp->ei)) < 0)
			return r;
		rp->y -= 20;
		return SP_OK;
	}
	if ((r = table_head(rp, c, SP_ARRAY_LEN(c))) < 0)
		return r;
	for (i = 0; i < rp->e->nevents; i++) {
		const struct pdf_evidence_event *ev = &rp->e->events[i];
		const char *cells[4], *prev, *hash;
		if ((r = txt(rp, ev->time, &cells[0])) < 0 ||
		    (r = txt(rp, ev->actor, &cells[1])) < 0 ||
		    (r = txt(rp, ev->action, &cells[2])) < 0 ||
		    (r = txt(rp, ev->ip, &cells[3])) < 0 ||
		    (r = txt(rp, ev->prev_hash, &prev)) < 0 || (r = txt(rp, ev->hash, &hash)) < 0)
			return r;
		snprintf(chain, sizeof(chain), "前序 prev %s    本条 hash %s", prev, hash);
		if ((r = table_row(rp, c, SP_ARRAY_LEN(c), cells, chain)) < 0)
			return r;
	}
	return SP_OK;
}

static int
section_notes(struct rep *rp)
{
	static const char zh[] =
		"本报告由 sealpact "
		"平台依据其存储的合同、签名与审计记录生成，并由平台的出证密钥签名。"
		"签名验证结果为生成本报告时的结果。签署完成的合同作为附件嵌入本报告，其 SHA-256 "
		"摘要与上文一致，可用任何支持 PAdES 的工具独立核验。";
	static const char en[] =
		"This report was generated by the sealpact platform from its records of the "
		"contract, its signatures and its audit trail, and is signed with the platform's "
		"evidence key. Verification results are those at the time of the report. The "
		"signed "
		"contract is embedded as an attachment; its SHA-256 digest is the one above, and "
		"it "
		"can be verified on its own with any tool that supports PAdES.";
	int lz = 0, le = 0, r;

	if ((r = gen_text_wrap(rp->g, 0, 0, CW, 9, 13.5, INK, 0, zh, 0, &lz, rp->ei)) < 0 ||
	    (r = gen_text_wrap(rp->g, 0, 0, CW, 8, 11.5, GREY, 0, en, 0, &le, rp->ei)) < 0)
		return r;
	if ((r = heading(rp, "五、说明", "Notes", lz * 13.5 + le * 11.5)) < 0 ||
	    (r = need(rp, lz * 13.5 + le * 11.5, NULL)) < 0 ||
	    (r = gen_text_wrap(rp->g, M, rp->y - 10, CW, 9, 13.5, INK, 0, zh, 1, &lz, rp->ei)) < 0)
		return r;
	rp->y -= lz * 13.5 + 4;
	return gen_text_wrap(rp->g, M, rp->y - 10, CW, 8, 11.5, GREY, 0, en, 1, &le, rp->ei);
}

static int
footers(struct rep *rp)
{
	int n = gen_page_count(rp->g), i, r;
	const char *gen_at;
	char buf[160], left[600];

	if ((r = txt(rp, rp->e->generated_at, &gen_at)) < 0)
		return r;
	snprintf(left, sizeof(left), "生成时间 Generated  %s", gen_at);
	for (i = 0; i < n; i++) {
		gen_page_select(rp->g, i);
		snprintf(buf, sizeof(buf), "第 %d 页 / 共 %d 页  ·  Page %d of %d", i + 1, n, i + 1,
			 n);
		if ((r = gen_line(rp->g, M, 48, GEN_A4_W - M, 48, 0.5, RULE, 0, rp->ei)) < 0 ||
		    (r = gen_text(rp->g, GEN_A4_W / 2, 34, 8, GREY, GEN_CENTER, buf, rp->ei)) < 0 ||
		    (r = gen_text(rp->g, M, 34, 7, GREY, 0, left, rp->ei)) < 0 ||
		    (r = gen_text(rp->g, GEN_A4_W - M, 34, 7, GREY, GEN_RIGHT, "sealpact",
				  rp->ei)) < 0)
			return r;
	}
	return SP_OK;
}

int
pdf_evidence_report(const char *font_path, int font_index, const struct pdf_evidence *e,
		    unsigned char **pdf, size_t *pdf_len, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct rep rp = { 0 };
	char filename[128], *fn = NULL, title[3400];
	const char *num, *name;
	size_t i, k;

	*pdf = NULL;
	*pdf_len = 0;
	if ((r = check(e, ei)) < 0)
		return r;
	rp.e = e;
	rp.ei = ei;
	if ((r = gen_new(font_path, font_index, &rp.g, ei)) < 0)
		return r;
	if ((r = txt(&rp, e->contract_number, &num)) < 0)
		goto out;
	rp.number = (char *)num;
	/* The attachment's name: the caller's, or one made of the number's safe characters. */
	if (e->contract_filename && *e->contract_filename) {
		if ((r = gen_sanitize(rp.g, e->contract_filename, &fn)) < 0) {
			r = sp_err(ei, r, "out of memory");
			goto out;
		}
		snprintf(filename, sizeof(filename), "%s", fn);
	} else {
		k = (size_t)snprintf(filename, sizeof(filename), "contract-");
		for (i = 0; e->contract_number[i] && k < sizeof(filename) - 5; i++)
			if (strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-"
				   "_",
				   e->contract_number[i]))
				filename[k++] = e->contract_number[i];
		snprintf(filename + k, sizeof(filename) - k, ".pdf");
	}
	if ((r = page_new(&rp)) < 0)
		goto out;
	if ((r = gen_text(rp.g, GEN_A4_W / 2, rp.y - 22, 22, INK, GEN_CENTER | GEN_BOLD,
			  "电子合同出证报告", ei)) < 0 ||
	    (r = gen_text(rp.g, GEN_A4_W / 2, rp.y - 40, 10.5, GREY, GEN_CENTER,
			  "Electronic Contract Evidence Report", ei)) < 0)
		goto out;
	rp.y -= 56;
	if ((r = section_contract(&rp, filename)) < 0 || (r = section_parties(&rp)) < 0 ||
	    (r = section_signatures(&rp)) < 0 || (r = section_audit(&rp)) < 0 ||
	    (r = section_notes(&rp)) < 0 || (r = footers(&rp)) < 0)
		goto out;
	if ((r = gen_attach(rp.g, filename, "application/pdf", "签署完成的合同 The signed contract",
			    e->contract_pdf, e->contract_pdf_len, ei)) < 0)
		goto out;
	if ((r = txt(&rp, e->contract_name, &name)) < 0)
		goto out;
	snprintf(title, sizeof(title), "出证报告 Evidence Report %s %s", num, name);
	r = gen_finish(rp.g, title, pdf, pdf_len, ei);
out:
	for (i = 0; i < rp.nkeep; i++)
		free(rp.keep[i]);
	free(rp.keep);
	free(fn);
	gen_free(rp.g);
	return r;
}
