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
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
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

/* enum problem (server.h) -> status and code, in the enum's order. */
static const struct {
	int status;
	const char *code;
} problems[P__COUNT] = {
	[P_INVALID] = { 400, "invalid" },
	[P_INVALID_PATH] = { 400, "invalid_path" },
	[P_MALFORMED_REQUEST] = { 400, "malformed_request" },
	[P_LENGTH_REQUIRED] = { 411, "length_required" },
	[P_URI_TOO_LONG] = { 414, "uri_too_long" },
	[P_HEADERS_TOO_LARGE] = { 431, "headers_too_large" },
	[P_HTTP_VERSION] = { 505, "http_version_not_supported" },
	[P_MALFORMED_JSON] = { 400, "malformed_json" },
	[P_EMPTY_BODY] = { 400, "empty_body" },
	[P_UNAUTHORIZED] = { 401, "unauthorized" },
	[P_INVALID_CREDENTIALS] = { 401, "invalid_credentials" },
	[P_FORBIDDEN] = { 403, "forbidden" },
	[P_NOT_FOUND] = { 404, "not_found" },
	[P_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed" },
	[P_CONFLICT] = { 409, "conflict" },
	[P_WRONG_STATE] = { 409, "wrong_state" },
	[P_OUT_OF_TURN] = { 409, "out_of_turn" },
	[P_IDEMPOTENCY_KEY_REUSED] = { 409, "idempotency_key_reused" },
	[P_STALE_REVISION] = { 409, "stale_revision" },
	[P_SESSION_USED] = { 409, "session_used" },
	[P_API_KEY_LIMIT] = { 409, "api_key_limit" },
	[P_SESSION_EXPIRED] = { 410, "session_expired" },
	[P_PRECONDITION_FAILED] = { 412, "precondition_failed" },
	[P_PAYLOAD_TOO_LARGE] = { 413, "payload_too_large" },
	[P_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type" },
	[P_UNPROCESSABLE] = { 422, "unprocessable" },
	[P_PDF_UNREADABLE] = { 422, "pdf_unreadable" },
	[P_CERTIFICATE_REFUSED] = { 422, "certificate_refused" },
	[P_BAD_SIGNATURE] = { 422, "bad_signature" },
	[P_RATE_LIMITED] = { 429, "rate_limited" },
	[P_LOGIN_LOCKED] = { 429, "login_locked" },
	[P_INTERNAL] = { 500, "internal_error" },
	[P_VERIFICATION_FAILED] = { 500, "verification_failed" },
	[P_NOT_IMPLEMENTED] = { 501, "not_implemented" },
	[P_TIMESTAMP_FAILED] = { 502, "timestamp_failed" },
	[P_BUSY] = { 503, "server_busy" },
	[P_RETRY] = { 503, "retry" },
	[P_UNAVAILABLE] = { 503, "service_unavailable" },
	[P_DATABASE_UNAVAILABLE] = { 503, "database_unavailable" },
	[P_TSA_NOT_CONFIGURED] = { 503, "tsa_not_configured" },
	[P_TIMEOUT] = { 504, "timeout" },
};

int
problem_status(enum problem p)
{
	return (unsigned)p < P__COUNT && problems[p].code != NULL ? problems[p].status : 500;
}

const char *
problem_code(enum problem p)
{
	return (unsigned)p < P__COUNT && problems[p].code != NULL ? problems[p].code
								  : "internal_error";
}

/* sp_err -> the problem it becomes when nothing more specific is known. */
struct err_row {
	int code;
	enum problem p;
	int show_msg; /* 1: the error's message is the detail (client errors) */
};

static const struct err_row err_rows[] = {
	{ SP_ERR_INVALID, P_INVALID, 1 },
	{ SP_ERR_UNAUTHORIZED, P_UNAUTHORIZED, 1 },
	{ SP_ERR_FORBIDDEN, P_FORBIDDEN, 1 },
	{ SP_ERR_NOT_FOUND, P_NOT_FOUND, 1 },
	{ SP_ERR_CONFLICT, P_CONFLICT, 1 },
	{ SP_ERR_EXPIRED, P_SESSION_EXPIRED, 1 },
	{ SP_ERR_TOO_LARGE, P_PAYLOAD_TOO_LARGE, 1 },
	{ SP_ERR_RATE_LIMITED, P_RATE_LIMITED, 1 },
	{ SP_ERR_BUSY, P_BUSY, 0 },
	{ SP_ERR_UNAVAILABLE, P_UNAVAILABLE, 0 },
	{ SP_ERR_TIMEOUT, P_TIMEOUT, 0 },
};

/* Fixed details of server-side failures, so internals never leak. */
const char *
problem_fixed_detail(enum problem p)
{
	switch (p) {
	case P_TIMESTAMP_FAILED:
		return "The timestamp authority gave no timestamp; retry later.";
	case P_TSA_NOT_CONFIGURED:
		return "No timestamp authority is configured on this server.";
	case P_BUSY:
		return "The server is busy; retry later.";
	case P_UNAVAILABLE:
		return "A service this request needs is unavailable; retry later.";
	case P_TIMEOUT:
		return "The operation did not finish in time.";
	case P_RETRY:
		return "A concurrent change won; retry.";
	case P_DATABASE_UNAVAILABLE:
		return "The database is unavailable; retry later.";
	default:
		return "The server could not complete the request.";
	}
}

/*
 * PostgreSQL's own message (a data exception, a check, a foreign key, a
 * privilege) names tables, constraints, types and encodings: a client error
 * it caused gets one of these instead. The platform's SQL functions raise
 * their own codes, all of class S (SP400, SA001, SE005, ...), with messages
 * written for the caller.
 */
static const char *
pg_detail(const struct sp_errinfo *ei)
{
	if (ei == NULL || ei->sqlstate[0] == '\0' || ei->sqlstate[0] == 'S')
		return NULL;
	if (strncmp(ei->sqlstate, "22", 2) == 0)
		return "A value in the request is malformed or out of range.";
	if (strncmp(ei->sqlstate, "23", 2) == 0)
		return "The request breaks a rule of the stored data.";
	if (strncmp(ei->sqlstate, "42", 2) == 0)
		return "This change is not permitted.";
	return "The request could not be carried out.";
}

void
problem_map(int code, const struct sp_errinfo *ei, struct problem_map *out)
{
	enum problem p = P_INTERNAL;
	int show_msg = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < SP_ARRAY_LEN(err_rows); i++)
		if (err_rows[i].code == code) {
			p = err_rows[i].p;
			show_msg = err_rows[i].show_msg;
			break;
		}
	/* A reason that names a problem of the table selects it (e.g. "stale_revision"). */
	if (ei != NULL && ei->reason[0] != '\0' && code != SP_ERR_INTERNAL && code != SP_ERR_DB)
		for (i = 0; i < P__COUNT; i++)
			if (problems[i].code != NULL && strcmp(problems[i].code, ei->reason) == 0) {
				p = (enum problem)i;
				show_msg = problems[i].status < 500;
				break;
			}
	out->status = problem_status(p);
	out->code = problem_code(p);
	if (!show_msg) {
		out->detail = problem_fixed_detail(p);
		return;
	}
	out->detail = ei != NULL && ei->msg[0] != '\0' ? ei->msg : http_status_text(out->status);
	if ((out->pg_detail = pg_detail(ei)) != NULL)
		out->detail = out->pg_detail;
	/*
	 * A reason is a stable identifier chosen by the code that failed; only
	 * client errors carry it, since for 5xx it could name an internal
	 * condition.
	 */
	if (ei != NULL && ei->reason[0] != '\0')
		out->code = ei->reason;
}

enum problem
problem_for_job(int rc, const struct sp_errinfo *ei, enum problem input)
{
	switch (rc) {
	case SP_ERR_INVALID:
		if (ei != NULL && strcmp(ei->reason, "malformed_json") == 0)
			return P_MALFORMED_JSON;
		return input;
	case SP_ERR_PDF:
	case SP_ERR_UNSUPPORTED:
	case SP_ERR_TOO_LARGE:
	case SP_ERR_LIMIT:
		return input;
	case SP_ERR_CRYPTO:
	case SP_ERR_EXPIRED:
	case SP_ERR_FORBIDDEN:
		return P_CERTIFICATE_REFUSED;
	case SP_ERR_UNAVAILABLE:
	case SP_ERR_CONFIG:
		return P_UNAVAILABLE;
	default:
		return P__COUNT;
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
	if (request_id != NULL &&
	    json_object_set_new(o, "request_id", json_string(request_id)) != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}
