/*
 * json.c: JSON bodies in and out (jansson), and problem+json replies.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

/* "application/json", optionally with parameters ("; charset=utf-8"). */
static int
is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, "application/json", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int
request_json_body_peek(struct request *r, json_t **out)
{
	const unsigned char *body;
	json_error_t jerr;
	size_t len;

	*out = NULL;
	if (!is_json_type(request_header(r, "Content-Type")) ||
	    request_body(r, &body, &len) != SP_OK || len == 0)
		return SP_ERR_INVALID;
	*out = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	return *out != NULL ? SP_OK : SP_ERR_INVALID;
}

int
request_json_body(struct request *r, json_t **out)
{
	const unsigned char *body;
	size_t len;
	json_t *doc;
	json_error_t jerr;
	char detail[256];
	int rc;

	*out = NULL;
	if (!is_json_type(request_header(r, "Content-Type"))) {
		if (request_is_gone(r)) {
			request_reply_error(r, SP_ERR_UNAVAILABLE, NULL);
			return SP_ERR_UNAVAILABLE;
		}
		request_problem(r, P_UNSUPPORTED_MEDIA_TYPE,
				"This route takes Content-Type: application/json.");
		return SP_ERR_UNSUPPORTED;
	}
	if ((rc = request_body(r, &body, &len)) != SP_OK) {
		request_reply_error(r, rc, NULL);
		return rc;
	}
	if (len == 0) {
		request_problem(r, P_EMPTY_BODY, "The request body is empty; JSON expected.");
		return SP_ERR_INVALID;
	}
	doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		snprintf(detail, sizeof(detail), "line %d, column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		request_problem(r, P_MALFORMED_JSON, detail);
		return SP_ERR_INVALID;
	}
	*out = doc;
	return SP_OK;
}

void
request_reply_json(struct request *r, int status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(doc);
	if (text == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	request_reply_data(r, status, "application/json", text, strlen(text));
	free(text);
}

void
request_reply_json_text(struct request *r, int status, const char *text, size_t len)
{
	if (text == NULL || len == 0) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		return;
	}
	request_reply_data(r, status, "application/json", text, len);
}
