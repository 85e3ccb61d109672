/*
 * signing_body.c: a prepare's request body (POST .../signing-sessions, see
 * signing.c): base64 fields, the seal the placements name, the placements
 * themselves, and the resolved rectangles as the reply and the session
 * show them. Pure functions of their input: no I/O, any thread.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "pdf.h"
#include "signing_int.h"

int
signing_b64_field(json_t *v, const char *what, size_t max, unsigned char **out, size_t *len,
		  struct sp_errinfo *ei)
{
	int rc;

	if (!json_is_string(v))
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid", "%s must be a base64 string",
				     what);
	rc = sp_b64_decode(json_string_value(v), SIZE_MAX, max, 0, out, len);
	if (rc == SP_ERR_NOMEM)
		return sp_err(ei, rc, "out of memory");
	if (rc != SP_OK)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "%s is not base64 of at most %zu bytes", what, max);
	return SP_OK;
}

/* No seal named, or the development demo seal (signing.default_seal_image). */
static int
seal_ref_default(json_t *seal)
{
	return seal == NULL || json_is_null(seal) ||
	       (json_is_integer(seal) && json_integer_value(seal) == 0) ||
	       (json_is_string(seal) && strcmp(json_string_value(seal), "default") == 0);
}

/*
 * The seal the placements of doc name (*seal_id, 0 for the demo seal or
 * none): a seal id as an integer or a decimal string; every seal placement
 * of one signature names the same seal, whose picture the appearance shows
 * and which is recorded with the signature. Loop thread (cheap: no I/O).
 */
int
signing_placements_seal(json_t *doc, int64_t *seal_id, struct sp_errinfo *ei)
{
	json_t *arr = json_object_get(doc, "placements"), *o, *v;
	int64_t id;
	size_t i;
	int seen = 0;

	*seal_id = 0;
	if (!json_is_array(arr))
		return SP_OK; /* signing_placements_parse() judges the rest */
	json_array_foreach(arr, i, o)
	{
		const char *mode = json_string_value(json_object_get(o, "mode"));

		if (mode == NULL || strcmp(mode, "date") == 0)
			continue;
		v = json_object_get(o, "seal");
		id = 0;
		if (!seal_ref_default(v) &&
		    !(json_is_integer(v) && (id = json_integer_value(v)) > 0) &&
		    !(json_is_string(v) && json_string_value(v)[0] >= '0' &&
		      json_string_value(v)[0] <= '9' &&
		      sp_parse_i64(json_string_value(v), 1, INT64_MAX, &id) == SP_OK))
			return sp_err_reason(ei, SP_ERR_INVALID, "seal_not_found",
					     "placement %zu: seal must be the id of one of your "
					     "organization's seals",
					     i + 1);
		if (seen && id != *seal_id)
			return sp_err_reason(ei, SP_ERR_INVALID, "placement_seal",
					     "placement %zu: all placements of one signature use "
					     "the same seal",
					     i + 1);
		seen = 1;
		*seal_id = id;
	}
	return SP_OK;
}

static double
num(json_t *o, const char *k, int *bad)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return 0;
	if (!json_is_number(v)) {
		*bad = 1;
		return 0;
	}
	return json_number_value(v);
}

/* placements (borrowing strings from doc) into pl; *needs_seal when one uses the seal. */
int
signing_placements_parse(json_t *arr, struct pdf_placement *pl, size_t *npl, int *needs_seal,
			 char occ[][16], struct sp_errinfo *ei)
{
	json_t *o, *v;
	size_t i;
	int bad = 0;

	*npl = 0;
	*needs_seal = 0;
	if (arr == NULL || json_is_null(arr))
		return SP_OK;
	if (!json_is_array(arr) || json_array_size(arr) > SIGNING_MAX_PLACEMENTS)
		return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
				     "placements must be an array of at most %d entries",
				     SIGNING_MAX_PLACEMENTS);
	json_array_foreach(arr, i, o)
	{
		struct pdf_placement *p = &pl[i];
		const char *mode = json_string_value(json_object_get(o, "mode"));

		memset(p, 0, sizeof(*p));
		if (!json_is_object(o) || mode == NULL ||
		    pdf_place_mode_parse(mode, &p->mode, ei) != SP_OK)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: mode must be normal, multi, seam, "
					     "keyword, date or field",
					     i + 1);
		if (p->mode != PDF_PLACE_DATE)
			*needs_seal = 1; /* which seal: signing_placements_seal() on the loop */
		v = json_object_get(o, "page");
		if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
				  json_integer_value(v) > PDF_DOC_MAX_PAGES))
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: page must be an integer 1..%d", i + 1,
					     PDF_DOC_MAX_PAGES);
		p->page = v != NULL ? (int)json_integer_value(v) : 0;
		v = json_object_get(o, "pages");
		if (v != NULL && json_is_integer(v))
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: pages is a range text such as \"1-3\"",
					     i + 1);
		p->pages = json_string_value(v);
		p->keyword = json_string_value(json_object_get(o, "keyword"));
		p->field = json_string_value(json_object_get(o, "field"));
		v = json_object_get(o, "occurrence");
		if (v == NULL)
			v = json_object_get(o, "occurrences");
		if (json_is_integer(v)) {
			if (json_integer_value(v) < 1 || json_integer_value(v) > INT_MAX)
				return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
						     "placement %zu: occurrence must be 1 or more",
						     i + 1);
			snprintf(occ[i], 16, "%lld", (long long)json_integer_value(v));
			p->occurrences = occ[i];
		} else {
			p->occurrences = json_string_value(v);
		}
		p->x = num(o, "x", &bad);
		p->y = num(o, "y", &bad);
		p->dx = num(o, "dx", &bad);
		p->dy = num(o, "dy", &bad);
		if (bad)
			return sp_err_reason(ei, SP_ERR_INVALID, "invalid",
					     "placement %zu: x, y, dx, dy must be numbers", i + 1);
	}
	*npl = json_array_size(arr);
	return SP_OK;
}

json_t *
signing_rects_json(const struct pdf_widget_rect *w, size_t n)
{
	static const char *const modes[] = { "",        "normal", "multi", "seam",
					     "keyword", "date",   "field" };
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:i,s:i,s:s,s:i,s:i,s:f,s:f,s:f,s:f}", "page",
						   w[i].page, "placement", (int)w[i].placement + 1,
						   "mode", modes[w[i].mode], "slice", w[i].slice,
						   "slices", w[i].nslices, "x0", w[i].view.x0, "y0",
						   w[i].view.y0, "x1", w[i].view.x1, "y1",
						   w[i].view.y1));
	return a;
}
