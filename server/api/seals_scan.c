/*
 * seals_scan.c: PUT /api/v1/seal-applications/{id}/scan, the stamped form
 * as the organization scanned it (PDF, PNG or JPEG, by its content), which
 * a reviewer then opens: a picture in the console, a PDF in the reviewer's
 * own viewer (the console offers it as a download).
 *
 * A PDF scan goes through the contract upload's normalization
 * (pdf_upload_normalize, on a worker) and its result is what is stored:
 * the reviewer's viewer would run what a contract's parties are kept from
 * (an /OpenAction script, a /Launch, a link to a file share), and the
 * rewrite also drops earlier revisions, unreferenced objects and whatever
 * else of a polyglot lies outside the PDF's objects. A signed PDF, which
 * cannot be rewritten, is refused when it carries such actions, as a
 * contract is (422 pdf_active_content). A picture is checked here on the
 * loop by its header alone (its size in pixels: the browser decodes it whole).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "db.h"
#include "http_int.h"
#include "pdf.h"
#include "seals_int.h"

#define SCAN_MAX (10u * 1024 * 1024)
/* a picture's pixels (an A3 page scanned at 600 dpi is 7016 x 9921): the browser that
   shows it decodes it whole */
#define SCAN_MAX_SIDE 16384u
#define SCAN_MAX_PIXELS (100u * 1000 * 1000)

/* The type of a scan by its first bytes: PDF, PNG or JPEG; NULL otherwise. */
static const char *
scan_type(const unsigned char *b, size_t n)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	if (n >= 8 && memcmp(b, png, 8) == 0)
		return "image/png";
	if (n >= 4 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return "image/jpeg";
	if (n >= 8 && memcmp(b, "%PDF-", 5) == 0)
		return "application/pdf";
	return NULL;
}

/*
 * A picture's size in pixels from its header, *w = *h = 0 when not found:
 * a PNG's IHDR, a JPEG's first frame header (SOFn). The reviewer's browser
 * decodes the scan whole: 40,000 x 40,000 pixels are a few bytes of header
 * and 6.4 GB decoded (sec36). Returns 1 when the picture has a frame a
 * browser can show (a PNG's IHDR first; a JPEG's SOFn then its scan, SOS),
 * each side at least one pixel; chromium shows a JPEG without SOF, or with
 * a height of 0 (DNL, which libjpeg does not support), as a broken image.
 */
static int
scan_pixels(const unsigned char *b, size_t n, const char *type, uint32_t *w, uint32_t *h)
{
	size_t p, seg;
	int frame = 0;

	*w = *h = 0;
	if (strcmp(type, "image/png") == 0) {
		if (n >= 24 && memcmp(b + 12, "IHDR", 4) == 0) {
			*w = sp_load_be32(b + 16);
			*h = sp_load_be32(b + 20);
		}
		return *w > 0 && *h > 0;
	}
	if (strcmp(type, "image/jpeg") != 0)
		return 1;
	/*
	 * The segments after SOI, each 0xFF, a marker and (but for RSTn, TEM) a
	 * length, found as libjpeg's next_marker() finds them: other bytes before
	 * a 0xFF, and 0xFF 0x00, are skipped with a warning, and a browser decodes
	 * the picture all the same (a stray byte before SOF hid its size, sec46).
	 */
	for (p = 2; p + 4 <= n;) {
		unsigned char m = b[p + 1];

		if (b[p] != 0xff) { /* extraneous */
			p++;
			continue;
		}
		if (m == 0xff) { /* fill */
			p++;
			continue;
		}
		if (m == 0x00) { /* a stuffed zero is no marker */
			p += 2;
			continue;
		}
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			p += 2;
			continue;
		}
		if (m == 0xd9) /* EOI */
			return 0;
		if (m == 0xda) /* SOS: the frame header came first, if at all */
			return frame && *w > 0 && *h > 0;
		seg = (size_t)b[p + 2] << 8 | b[p + 3];
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
			if (frame) /* a second frame: libjpeg stops at it (JERR_SOF_DUPLICATE) */
				return 0;
			if (seg < 7 || p + 9 > n)
				return 0;
			*h = (uint32_t)b[p + 5] << 8 | b[p + 6];
			*w = (uint32_t)b[p + 7] << 8 | b[p + 8];
			frame = 1;
		}
		if (seg < 2)
			return 0;
		p += 2 + seg;
	}
	return 0;
}

/* A PDF scan on its way: the upload, then what its normalization made of it. */
struct scan_job {
	struct request *r;
	struct principal who;
	int64_t id;
	unsigned char *body;
	size_t len;
	struct pdf_normalized pdf;
};

static void
scan_job_free(struct scan_job *j)
{
	if (j == NULL)
		return;
	free(j->body);
	pdf_normalized_cleanup(&j->pdf);
	free(j);
}

/* The scan stored (or not): the application's document, or the error. */
static void
scan_stored(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct scan_job *j = arg;
	struct request *r = j->r;

	if (err->code == SP_OK && j->pdf.actions_removed > 0)
		log_event(LOG_INFO, request_id(r), "scan actions removed", "{s:I,s:I}",
			  "application", (json_int_t)j->id, "actions",
			  (json_int_t)j->pdf.actions_removed);
	scan_job_free(j);
	seals_reply_200(r, doc, err);
}

/* Store data (a picture as uploaded, or the normalized PDF), one statement (audited). */
static int
scan_store(struct request *r, const struct principal *who, int64_t id, const unsigned char *data,
	   size_t len, const char *type, db_json_fn cb, void *arg)
{
	struct db_actor actor;

	auth_actor(r, who, &actor);
	return db_seal_app_scan(request_db(r), &actor, id, data, len, type,
				request_config(r)->seals.max_changes_per_day, cb, arg);
}

/* Worker thread: the contract upload's checks and rewrite; nothing of the loop touched. */
static int
scan_work(void *arg, struct sp_errinfo *ei)
{
	struct scan_job *j = arg;

	return pdf_upload_normalize(j->body, j->len, &j->pdf, ei);
}

static void
scan_work_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct scan_job *j = arg;
	struct request *r = j->r;

	if (rc != SP_OK) {
		scan_job_free(j);
		/* what is wrong with the PDF is the applicant's to fix: a 4xx saying what */
		request_reply_job_error(r, rc, ei, P_PDF_UNREADABLE);
		return;
	}
	if ((rc = scan_store(r, &j->who, j->id, j->pdf.data, j->pdf.len, "application/pdf",
			     scan_stored, j)) != SP_OK) {
		scan_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
scan_pdf(struct request *r, const struct principal *who, int64_t id, const unsigned char *body,
	 size_t len)
{
	struct scan_job *j = NULL;
	int rc;

	if ((j = calloc(1, sizeof(*j))) == NULL || (j->body = malloc(len)) == NULL) {
		scan_job_free(j);
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	memcpy(j->body, body, len);
	j->len = len;
	j->r = r;
	j->who = *who;
	j->id = id;
	if ((rc = request_jobs_submit(r, scan_work, scan_work_done, j)) != SP_OK) {
		scan_job_free(j);
		request_reply_error(r, rc, NULL);
	}
}

static void
app_scan(struct request *r, const struct principal *who)
{
	uint32_t w, h;
	const unsigned char *body;
	const char *type;
	struct sp_errinfo ei;
	size_t len;
	int64_t id;
	int rc, frame;

	if (!seals_path_id(r, &id))
		return;
	if (request_body(r, &body, &len) != SP_OK) {
		request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
		return;
	}
	sp_errinfo_init(&ei);
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY,
				"The request body is empty: send the scanned form.");
		return;
	}
	if (len > SCAN_MAX) {
		sp_err_reason(&ei, SP_ERR_TOO_LARGE, "scan_too_large",
			      "the scan has %zu bytes; at most %u are accepted", len, SCAN_MAX);
		request_reply_error(r, ei.code, &ei);
		return;
	}
	if ((type = scan_type(body, len)) == NULL) {
		sp_err_reason(&ei, SP_ERR_UNSUPPORTED, "scan_type",
			      "the scan must be a PDF, PNG or JPEG file (judged by its content)");
		request_problem_ei(r, P_UNSUPPORTED_MEDIA_TYPE, &ei);
		return;
	}
	if (strcmp(type, "application/pdf") == 0) {
		scan_pdf(r, who, id, body, len);
		return;
	}
	frame = scan_pixels(body, len, type, &w, &h);
	if (w > SCAN_MAX_SIDE || h > SCAN_MAX_SIDE || (uint64_t)w * h > SCAN_MAX_PIXELS) {
		sp_err_reason(&ei, SP_ERR_TOO_LARGE, "scan_too_large",
			      "the scan is %ux%u pixels; at most %u a side and %u in all are "
			      "accepted",
			      (unsigned)w, (unsigned)h, SCAN_MAX_SIDE, SCAN_MAX_PIXELS);
		request_reply_error(r, ei.code, &ei);
		return;
	}
	if (!frame) {
		sp_err_reason(&ei, SP_ERR_UNSUPPORTED, "scan_type",
			      "the scan's picture has no frame a browser can show (%s)",
			      strcmp(type, "image/png") == 0
				      ? "a PNG's IHDR first, at least 1x1 pixels"
				      : "a JPEG's frame header, SOFn, at least 1x1 pixels, then "
					"its scan data");
		request_problem_ei(r, P_UNSUPPORTED_MEDIA_TYPE, &ei);
		return;
	}
	if ((rc = scan_store(r, who, id, body, len, type, seals_reply_200, r)) != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_app_scan_put(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_scan);
}
