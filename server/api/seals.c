/*
 * seals.c: electronic seals, from application to installation (members) and
 * the review queue (reviewers). The routes and their JSON are openapi.yaml's
 * "seals" and "review" tags; each state change is one db/seals.c call (one
 * SQL function of migrations/009_seals.sql, audited).
 *
 * Members (a session of an organization member, who holds a certificate):
 *   POST/GET /api/v1/seal-applications, GET/PATCH .../{id},
 *   PUT .../{id}/scan, POST .../{id}/submit|cancel,
 *   GET /api/v1/seals, GET /api/v1/seals/{id}[/image|/seseal],
 *   POST /api/v1/seals/{id}/installed
 * Reviewers: seals_review.c; the form, the seal preview and the generated
 * picture: seals_art.c.
 *
 * Who may act is decided twice: here by the principal's kind (auth_then),
 * and in SQL by the row (an organization's own application; the live claim
 * of the reviewer, under the row's lock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "contracts_int.h"
#include "crypto.h"
#include "db.h"
#include "seals_int.h"
#include "state.h"

#define SEAL_NAME_MAX 40 /* characters, after trimming */
#define SCAN_MAX (10u * 1024 * 1024)
/* a picture's pixels (an A3 page scanned at 600 dpi is 7016 x 9921): the browser that
   shows it decodes it whole */
#define SCAN_MAX_SIDE 16384u
#define SCAN_MAX_PIXELS (100u * 1000 * 1000)
#define PAGE_SIZE_MAX 100

/* ---- shared ----------------------------------------------------------------------- */

void
seals_reply_200(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_json(r, 200, doc);
}

static void
reply_json_201(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_json(r, 201, doc);
}

/* The {id} path parameter, or 404 answered (ids are not guessed at by shape). */
int
seals_path_id(struct request *r, int64_t *id)
{
	const char *s = request_param(r, "id");

	if (s == NULL || s[0] < '0' || s[0] > '9' || sp_parse_i64(s, 1, INT64_MAX, id) != SP_OK) {
		request_problem(r, P_NOT_FOUND, "no such seal application or seal");
		return 0;
	}
	return 1;
}

const char *
seals_type_text(const char *type)
{
	return strcmp(type, "official") == 0 ? "公章" : "合同专用章";
}

/*
 * A seal name: printable UTF-8 (api_text_check), 1..SEAL_NAME_MAX characters
 * after trimming spaces. 400 seal_name_invalid.
 */
static int
name_check(json_t *v, struct sp_errinfo *ei)
{
	const char *s;
	size_t n, chars = 0, i, a, b;

	if (!json_is_string(v) || api_text_take("name", v, ei) != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_name_invalid",
				     "name must be the physical seal's name: 1-%d printable "
				     "characters",
				     SEAL_NAME_MAX);
	s = json_string_value(v);
	n = strlen(s);
	if (n != json_string_length(v))
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_name_invalid",
				     "name must not contain NUL");
	for (a = 0; a < n && s[a] == ' '; a++)
		;
	for (b = n; b > a && s[b - 1] == ' '; b--)
		;
	for (i = a; i < b; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	if (chars == 0 || chars > SEAL_NAME_MAX)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_name_invalid",
				     "name has %zu characters: it must have 1-%d (the physical "
				     "seal's name)",
				     chars, SEAL_NAME_MAX);
	return SP_OK;
}

static int
type_check(json_t *v, struct sp_errinfo *ei)
{
	if (!json_is_string(v) || (strcmp(json_string_value(v), "official") != 0 &&
				   strcmp(json_string_value(v), "contract") != 0))
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "type must be \"official\" (公章) or \"contract\" "
				     "(合同专用章)");
	return SP_OK;
}

/* Only these members: anything else is a client's mistake worth a 400. */
int
seals_members_only(json_t *doc, const char *const *allowed, struct sp_errinfo *ei)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(doc, k, v)
	{
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], k) != 0; i++)
			;
		if (allowed[i] == NULL)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid", "unknown member \"%s\"",
					     k);
	}
	return SP_OK;
}

/* ---- members: applications ------------------------------------------------------ */

static void
apps_create(struct request *r, const struct principal *who)
{
	static const char *const allowed[] = { "name", "type", "replaces_seal_id", NULL };
	struct sp_errinfo ei;
	struct db_actor actor;
	json_t *doc = NULL, *rep;
	int64_t replaces = 0;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	sp_errinfo_init(&ei);
	if (!json_is_object(doc)) {
		request_problem(r, P_INVALID, "the body must be a JSON object");
		goto out;
	}
	rep = json_object_get(doc, "replaces_seal_id");
	if (seals_members_only(doc, allowed, &ei) != SP_OK ||
	    name_check(json_object_get(doc, "name"), &ei) != SP_OK ||
	    type_check(json_object_get(doc, "type"), &ei) != SP_OK) {
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	if (rep != NULL && !json_is_null(rep) &&
	    !(json_is_string(rep) && json_string_value(rep)[0] >= '0' &&
	      json_string_value(rep)[0] <= '9' &&
	      sp_parse_i64(json_string_value(rep), 1, INT64_MAX, &replaces) == SP_OK)) {
		request_problem(r, P_INVALID,
				"replaces_seal_id must be a seal id (a decimal string)");
		goto out;
	}
	auth_actor(r, who, &actor);
	rc = db_seal_app_create(request_db(r), &actor, who->certificate_id,
				json_string_value(json_object_get(doc, "name")),
				json_string_value(json_object_get(doc, "type")), replaces,
				request_config(r)->seals.max_open_applications,
				request_config(r)->seals.max_applications_per_day, reply_json_201,
				r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
out:
	json_decref(doc);
}

static void
apps_list(struct request *r, const struct principal *who)
{
	long page = request_query_count(r, "page", 1, 100000L);
	long size = request_query_count(r, "page_size", 10, PAGE_SIZE_MAX);
	int rc;

	if (page < 0 || size < 0) {
		request_problem(r, P_INVALID, "page must be 1..100000 and page_size 1..100");
		return;
	}
	rc = db_seal_app_list(request_db(r), who->organization_id, size, (page - 1) * size,
			      seals_reply_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_apps_collection(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, request_method(r) == HTTP_POST ? apps_create : apps_list);
}

static void
app_modify(struct request *r, const struct principal *who, int64_t id)
{
	static const char *const allowed[] = { "name", "type", NULL };
	struct sp_errinfo ei;
	struct db_actor actor;
	json_t *doc = NULL, *name, *type;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	sp_errinfo_init(&ei);
	if (!json_is_object(doc) || json_object_size(doc) == 0) {
		request_problem(r, P_INVALID,
				"the body must be {\"name\"?, \"type\"?} with one of them");
		goto out;
	}
	name = json_object_get(doc, "name");
	type = json_object_get(doc, "type");
	if (seals_members_only(doc, allowed, &ei) != SP_OK ||
	    (name != NULL && name_check(name, &ei) != SP_OK) ||
	    (type != NULL && type_check(type, &ei) != SP_OK)) {
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	auth_actor(r, who, &actor);
	rc = db_seal_app_modify(request_db(r), &actor, id, json_string_value(name),
				json_string_value(type),
				request_config(r)->seals.max_changes_per_day, seals_reply_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
out:
	json_decref(doc);
}

static void
app_item(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!seals_path_id(r, &id))
		return;
	if (request_method(r) == HTTP_PATCH) {
		app_modify(r, who, id);
		return;
	}
	rc = db_seal_app_get(request_db(r), who->organization_id, id, seals_reply_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_app_item(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_item);
}

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

static void
app_scan(struct request *r, const struct principal *who)
{
	uint32_t w, h;
	const unsigned char *body;
	const char *type;
	struct sp_errinfo ei;
	struct db_actor actor;
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
	auth_actor(r, who, &actor);
	rc = db_seal_app_scan(request_db(r), &actor, id, body, len, type,
			      request_config(r)->seals.max_changes_per_day, seals_reply_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_app_scan_put(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_scan);
}

static void
app_step(struct request *r, const struct principal *who, enum db_seal_step step)
{
	struct db_actor actor;
	int64_t id;
	int rc;

	if (!seals_path_id(r, &id))
		return;
	auth_actor(r, who, &actor);
	rc = db_seal_app_step(request_db(r), &actor, id, step, seals_reply_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
app_submit(struct request *r, const struct principal *who)
{
	app_step(r, who, DB_SEAL_SUBMIT);
}

static void
app_cancel(struct request *r, const struct principal *who)
{
	app_step(r, who, DB_SEAL_CANCEL);
}

static void
seal_installed(struct request *r, const struct principal *who)
{
	app_step(r, who, DB_SEAL_INSTALLED);
}

void
seals_app_submit_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_submit);
}

void
seals_app_cancel_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, app_cancel);
}

void
seals_installed_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seal_installed);
}

/* ---- members: issued seals -------------------------------------------------------- */

static void
seals_list(struct request *r, const struct principal *who)
{
	long page = request_query_count(r, "page", 1, 100000L);
	long size = request_query_count(r, "page_size", 10, PAGE_SIZE_MAX);
	int rc;

	if (page < 0 || size < 0) {
		request_problem(r, P_INVALID, "page must be 1..100000 and page_size 1..100");
		return;
	}
	rc = db_seal_list(request_db(r), who->organization_id, size, (page - 1) * size,
			  seals_reply_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_collection_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seals_list);
}

static void
seal_get(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!seals_path_id(r, &id))
		return;
	rc = db_seal_get(request_db(r), who->organization_id, id, seals_reply_200, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_item_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seal_get);
}

static void
on_image(void *arg, const unsigned char *data, size_t len, const char *type,
	 const struct sp_errinfo *err)
{
	struct request *r = arg;

	(void)type;
	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	request_header_add(r, "Cache-Control", "private, max-age=300");
	request_reply_data(r, 200, "image/png", data, len);
}

static void
seal_image(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!seals_path_id(r, &id))
		return;
	rc = db_seal_blob(request_db(r), who->organization_id, id, DB_SEAL_BLOB_IMAGE, on_image, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_image_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seal_image);
}

static void
on_seseal(void *arg, const unsigned char *data, size_t len, const char *type,
	  const struct sp_errinfo *err)
{
	struct request *r = arg;
	X509 *maker;
	EVP_PKEY *key;
	unsigned char *der = NULL;
	char *b64 = NULL;
	int n;

	(void)type;
	if (err->code != SP_OK) {
		request_reply_error(r, err->code, err);
		return;
	}
	/* The maker's certificate, for a client that has none configured; it
	 * still checks the certificate's chain against its own trust. */
	if (seal_maker_get(request_seal_maker(r), &maker, &key, NULL) == SP_OK &&
	    (n = i2d_X509(maker, &der)) > 0 && (b64 = sp_b64_encode(der, (size_t)n, 0)) != NULL)
		request_header_add(r, "X-Seal-Maker-Certificate", b64);
	else
		request_header_add(r, "X-Seal-Maker-Certificate", "");
	request_header_add(r, "Content-Disposition", "attachment; filename=\"seal.seseal\"");
	request_reply_data(r, 200, "application/octet-stream", data, len);
	OPENSSL_free(der);
	free(b64);
}

static void
seal_seseal(struct request *r, const struct principal *who)
{
	int64_t id;
	int rc;

	if (!seals_path_id(r, &id))
		return;
	rc = db_seal_blob(request_db(r), who->organization_id, id, DB_SEAL_BLOB_SESEAL, on_seseal,
			  r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
seals_seseal_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, seal_seseal);
}
