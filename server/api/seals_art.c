/*
 * seals_art.c: the generated documents of the seal desk, drawn on the worker
 * pool by pdf/ (pdf_seal_application_form, pdf_seal_round_png) in the CJK
 * font of seals.cjk_font:
 *
 *   GET  /api/v1/seal-applications/{id}/form          (member) -> application/pdf
 *   POST /api/v1/review/applications/{id}/seal-preview (claim holder) -> image/png
 *
 * and seals_generated_png(), the picture approve issues for "generated".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "db.h"
#include "http_int.h"
#include "pdf.h"
#include "seals_int.h"

/* A font that cannot be opened is the operator's to fix: say so as 503. */
int
seals_font_check(const struct config *cfg, struct sp_errinfo *ei)
{
	FILE *f = fopen(cfg->seals.cjk_font, "rb");

	if (f == NULL)
		return sp_err_reason(ei, SP_ERR_UNAVAILABLE, "font_unavailable",
				     "the CJK font (seals.cjk_font) cannot be read");
	fclose(f);
	return SP_OK;
}

/*
 * What pdf/ says about the font is the operator's business (a missing face,
 * an unreadable or unsupported file): 503 font_unavailable, its words (which
 * name the file) in the log, not in the answer. What it says about the text
 * (text_invalid, font_missing_glyph) stays the caller's.
 */
int
seals_font_err(int r, const struct sp_errinfo *pei, struct sp_errinfo *ei)
{
	if (r == SP_OK)
		return SP_OK;
	if (strncmp(pei->reason, "font_", 5) == 0 &&
	    strcmp(pei->reason, "font_missing_glyph") != 0) {
		log_event(LOG_ERROR, NULL, "CJK font not usable", "{s:s,s:s}", "reason",
			  pei->reason, "detail", pei->msg);
		return sp_err_reason(ei, SP_ERR_UNAVAILABLE, "font_unavailable",
				     "the CJK font (seals.cjk_font, seals.cjk_font_index) is not "
				     "usable; the server's log says why");
	}
	if (ei != NULL && ei->code == SP_OK)
		*ei = *pei;
	return r;
}

int
seals_generated_png(const struct config *cfg, const char *org_name, const char *type_text,
		    const char *code, unsigned char **png, size_t *len, struct sp_errinfo *ei)
{
	struct pdf_seal_art a;
	struct sp_errinfo pei;
	int r;

	*png = NULL;
	*len = 0;
	if ((r = seals_font_check(cfg, ei)) != SP_OK)
		return r;
	memset(&a, 0, sizeof(a));
	a.org_name = org_name;
	a.type_text = type_text;
	a.code = code;
	a.size_px = SEALS_GENERATED_PX;
	sp_errinfo_init(&pei);
	r = pdf_seal_round_png(cfg->seals.cjk_font, cfg->seals.cjk_font_index, &a, png, len, &pei);
	return seals_font_err(r, &pei, ei);
}

/* ---- the application form ------------------------------------------------------------ */

struct form_job {
	struct request *r;
	const struct config *cfg;
	char *id, *org_name, *credit_code, *name, *type, *applicant;
	char date[11];
	unsigned char *pdf;
	size_t pdf_len;
};

static void
form_job_free(struct form_job *j)
{
	if (j == NULL)
		return;
	free(j->id);
	free(j->org_name);
	free(j->credit_code);
	free(j->name);
	free(j->type);
	free(j->applicant);
	free(j->pdf);
	free(j);
}

static int
form_work(void *arg, struct sp_errinfo *ei)
{
	struct form_job *j = arg;
	struct pdf_seal_form f;
	struct sp_errinfo pei;
	int r;

	if ((r = seals_font_check(j->cfg, ei)) != SP_OK)
		return r;
	memset(&f, 0, sizeof(f));
	f.application_id = j->id;
	f.org_name = j->org_name;
	f.credit_code = j->credit_code;
	f.seal_name = j->name;
	f.seal_type_text = seals_type_text(j->type);
	f.applicant = j->applicant;
	f.date = j->date;
	sp_errinfo_init(&pei);
	r = pdf_seal_application_form(j->cfg->seals.cjk_font, j->cfg->seals.cjk_font_index, &f,
				      &j->pdf, &j->pdf_len, &pei);
	return seals_font_err(r, &pei, ei);
}

static void
form_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct form_job *j = arg;
	char disp[96];

	if (rc != SP_OK) {
		request_reply_job_error(j->r, rc, ei, P_INVALID);
	} else {
		snprintf(disp, sizeof(disp), "attachment; filename=\"seal-application-%s.pdf\"",
			 j->id);
		request_header_add(j->r, "Content-Disposition", disp);
		request_reply_data(j->r, 200, "application/pdf", j->pdf, j->pdf_len);
	}
	form_job_free(j);
}

static char *
dup_path(json_t *doc, const char *a, const char *b)
{
	json_t *v = json_object_get(doc, a);
	const char *s;

	if (b != NULL)
		v = json_object_get(v, b);
	s = json_string_value(v);
	return strdup(s != NULL ? s : "-");
}

static void
on_form_app(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct form_job *j = arg;
	struct request *r = j->r;
	struct tm tm;
	time_t now = time(NULL);
	int rc;

	if (err->code != SP_OK) {
		form_job_free(j);
		request_reply_error(r, err->code, err);
		return;
	}
	j->id = dup_path(doc, "id", NULL);
	j->org_name = dup_path(doc, "organization", "name");
	j->credit_code = dup_path(doc, "organization", "credit_code");
	j->name = dup_path(doc, "name", NULL);
	j->type = dup_path(doc, "type", NULL);
	j->applicant = dup_path(doc, "applicant", NULL);
	json_decref(doc);
	/* The day the form is printed, in China Standard Time (UTC+8, no DST). */
	now += 8 * 3600;
	gmtime_r(&now, &tm);
	strftime(j->date, sizeof(j->date), "%Y-%m-%d", &tm);
	if (j->id == NULL || j->org_name == NULL || j->credit_code == NULL || j->name == NULL ||
	    j->type == NULL || j->applicant == NULL) {
		form_job_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	if ((rc = request_jobs_submit(r, form_work, form_done, j)) != SP_OK) {
		form_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
form_next(struct request *r, const struct principal *who)
{
	const char *s = request_param(r, "id");
	struct form_job *j;
	int64_t id;
	int rc;

	if (s == NULL || s[0] < '0' || s[0] > '9' || sp_parse_i64(s, 1, INT64_MAX, &id) != SP_OK) {
		request_problem(r, P_NOT_FOUND, "no such seal application");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	j->r = r;
	j->cfg = request_config(r);
	if ((rc = db_seal_app_get(request_db(r), who->organization_id, id, on_form_app, j)) !=
	    SP_OK) {
		form_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

void
seals_app_form_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, form_next);
}

/* ---- the seal preview ----------------------------------------------------------------- */

struct preview_job {
	struct request *r;
	const struct config *cfg;
	char code[21];
	char *org_name, *type;
	unsigned char *png;
	size_t png_len;
};

static void
preview_job_free(struct preview_job *j)
{
	if (j == NULL)
		return;
	free(j->org_name);
	free(j->type);
	free(j->png);
	free(j);
}

static int
preview_work(void *arg, struct sp_errinfo *ei)
{
	struct preview_job *j = arg;

	return seals_generated_png(j->cfg, j->org_name, seals_type_text(j->type),
				   j->code[0] ? j->code : NULL, &j->png, &j->png_len, ei);
}

static void
preview_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct preview_job *j = arg;

	if (rc != SP_OK) {
		request_reply_job_error(j->r, rc, ei, P_INVALID);
	} else {
		request_header_add(j->r, "Cache-Control", "private, no-store");
		request_reply_data(j->r, 200, "image/png", j->png, j->png_len);
	}
	preview_job_free(j);
}

static void
on_preview_material(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct preview_job *j = arg;
	struct request *r = j->r;
	int rc;

	if (err->code != SP_OK) {
		preview_job_free(j);
		request_reply_error(r, err->code, err); /* claim_required, not_found, wrong_state */
		return;
	}
	j->org_name = dup_path(doc, "org_name", NULL);
	j->type = dup_path(doc, "type", NULL);
	json_decref(doc);
	if (j->org_name == NULL || j->type == NULL) {
		preview_job_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	if ((rc = request_jobs_submit(r, preview_work, preview_done, j)) != SP_OK) {
		preview_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
preview_next(struct request *r, const struct principal *who)
{
	const char *s = request_param(r, "id");
	struct preview_job *j = NULL;
	const unsigned char *body;
	struct sp_errinfo ei;
	json_t *doc = NULL;
	size_t len = 0;
	int64_t id;
	int rc;

	if (s == NULL || s[0] < '0' || s[0] > '9' || sp_parse_i64(s, 1, INT64_MAX, &id) != SP_OK) {
		request_problem(r, P_NOT_FOUND, "no such seal application");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	/* The body is optional: none, or {"code"?}. */
	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		goto out;
	}
	if (len > 0) {
		if (request_json_body(r, &doc) != SP_OK) {
			preview_job_free(j);
			return; /* answered */
		}
		sp_errinfo_init(&ei);
		if (!json_is_object(doc) ||
		    json_object_size(doc) > (json_object_get(doc, "code") != NULL ? 1u : 0u) ||
		    seals_code_member(doc, j->code, &ei) != SP_OK) {
			if (ei.code == SP_OK)
				sp_err_reason(&ei, SP_ERR_INVALID, "invalid",
					      "the body must be {\"code\"?: 1-20 digits or "
					      "letters}");
			request_reply_error(r, ei.code, &ei);
			goto out;
		}
	}
	j->r = r;
	j->cfg = request_config(r);
	if ((rc = db_review_material(request_db(r), who->user_id, id, on_preview_material, j)) !=
	    SP_OK) {
		request_reply_error(r, rc, NULL);
		goto out;
	}
	j = NULL; /* transferred */
out:
	preview_job_free(j);
	json_decref(doc);
}

void
seals_review_preview_post(struct request *r)
{
	auth_then(r, PRINCIPAL_REVIEWER, preview_next);
}
