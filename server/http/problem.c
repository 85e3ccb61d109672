/*
 * problem.c: errors as RFC 9457 problem details. One table decides which
 * HTTP status and stable code an sp_err becomes, so every route answers the
 * same failure the same way.
 */
#include <stdio.h>
#include <string.h>

#include "http_int.h"

struct status_text {
	int status;
	const char *text;
};

static const struct status_text status_texts[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
	{ 301, "Moved Permanently" }, { 304, "Not Modified" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
	{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
	{ 411, "Length Required" }, { 412, "Precondition Failed" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
};

const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(status_texts); i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	return "Unknown";
}

struct err_row {
	int code;
	int status;
	const char *pcode;       /* default problem code */
	const char *detail;      /* fixed detail for 5xx; NULL = the error's message */
};

static const struct err_row err_rows[] = {
	{ SP_ERR_INVALID, 400, "invalid_request", NULL },
	{ SP_ERR_UNAUTHORIZED, 401, "unauthorized", NULL },
	{ SP_ERR_FORBIDDEN, 403, "forbidden", NULL },
	{ SP_ERR_NOT_FOUND, 404, "not_found", NULL },
	{ SP_ERR_CONFLICT, 409, "conflict", NULL },
	{ SP_ERR_TOO_LARGE, 413, "payload_too_large", NULL },
	{ SP_ERR_RATE_LIMITED, 429, "rate_limited", NULL },
	{ SP_ERR_BUSY, 503, "server_busy", "The server is busy; retry later." },
	{ SP_ERR_UNAVAILABLE, 503, "service_unavailable",
	  "A service this request needs is unavailable; retry later." },
	{ SP_ERR_TIMEOUT, 504, "timeout", "The operation did not finish in time." },
};

void
problem_map(int code, const struct sp_errinfo *ei, struct problem_map *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->status = 500;
	out->code = "internal_error";
	out->detail = "The server could not complete the request.";
	for (i = 0; i < SP_ARRAY_LEN(err_rows); i++) {
		if (err_rows[i].code != code)
			continue;
		out->status = err_rows[i].status;
		out->code = err_rows[i].pcode;
		if (err_rows[i].detail != NULL) {
			out->detail = err_rows[i].detail;
		} else {
			out->detail = http_status_text(out->status);
			if (ei != NULL && ei->msg[0] != '\0')
				out->detail = ei->msg;
		}
		/*
		 * A reason is a stable identifier chosen by the code that failed;
		 * for 5xx it could still name an internal condition, so only
		 * client errors carry it.
		 */
		if (out->status < 500 && ei != NULL && ei->reason[0] != '\0')
			out->code = ei->reason;
		return;
	}
}

json_t *
problem_json(int status, const char *code, const char *detail, const char *request_id)
{
	json_t *o = NULL;
	char type[128];

	snprintf(type, sizeof(type), "urn:sealpact:problem:%s", code ? code : "error");
	o = json_pack("{s:s,s:s,s:i,s:s}", "type", type, "title", http_status_text(status),
		      "status", status, "code", code ? code : "error");
	if (o == NULL)
		return NULL;
	if (detail != NULL) {
		/* A message may quote client input that is not UTF-8. */
		json_t *d = json_string(detail);
		if (d == NULL)
			d = json_string("The request could not be processed.");
		if (json_object_set_new(o, "detail", d) != 0)
			goto fail;
	}
	if (request_id != NULL && json_object_set_new(o, "request_id", json_string(request_id)) != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}
