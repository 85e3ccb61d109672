/*
 * problem.c: an error response in one line for the terminal. The server's
 * errors are application/problem+json (RFC 9457: title, status, detail, and
 * our stable code); anything else is shown by status and the start of its body.
 */
#include "client.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Reason phrases for when the body says nothing better. */
static const char *
reason_phrase(long status)
{
	static const struct {
		long status;
		const char *text;
	} tab[] = {
		{ 200, "OK" },
		{ 201, "Created" },
		{ 204, "No Content" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 409, "Conflict" },
		{ 410, "Gone" },
		{ 413, "Content Too Large" },
		{ 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" },
		{ 500, "Internal Server Error" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(tab); i++) {
		if (tab[i].status == status)
			return tab[i].text;
	}
	return NULL;
}

/* Append the first line of s, at most max bytes, terminal-safe
 * (client_text_clean), so a hostile server cannot drive the terminal. */
static void
append_clean(char *out, size_t outlen, const char *s, size_t max)
{
	size_t n = strlen(out), line = strcspn(s, "\r\n"), room;
	char first[512];

	if (line >= sizeof(first))
		line = sizeof(first) - 1;
	memcpy(first, s, line);
	first[line] = '\0';
	room = outlen - n;
	if (room > max + 1)
		room = max + 1;
	client_text_clean(first, out + n, room);
}

static void
append_raw(char *out, size_t outlen, const char *s)
{
	size_t n = strlen(out);

	if (n + 1 < outlen)
		snprintf(out + n, outlen - n, "%s", s);
}

static const char *
field(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static int
is_json(const char *ctype)
{
	return strncasecmp(ctype, "application/problem+json", 24) == 0 ||
	       strncasecmp(ctype, "application/json", 16) == 0;
}

void
client_error_format(const struct client_response *resp, char *out, size_t outlen)
{
	const char *title = NULL, *code = NULL, *detail = NULL;
	json_t *doc = NULL;
	char status[32];

	if (outlen == 0)
		return;
	out[0] = '\0';
	snprintf(status, sizeof(status), "%ld", resp->status);
	append_raw(out, outlen, status);
	if (resp->body.data != NULL && resp->body.len > 0 && is_json(resp->content_type)) {
		doc = json_loadb((const char *)resp->body.data, resp->body.len, 0, NULL);
		if (json_is_object(doc)) {
			title = field(doc, "title");
			code = field(doc, "code");
			detail = field(doc, "detail");
		}
	}
	if (title == NULL)
		title = reason_phrase(resp->status);
	if (title != NULL) {
		append_raw(out, outlen, " ");
		append_clean(out, outlen, title, 120);
	}
	if (code != NULL) {
		append_raw(out, outlen, " (");
		append_clean(out, outlen, code, 64);
		append_raw(out, outlen, ")");
	}
	if (detail != NULL) {
		append_raw(out, outlen, ": ");
		append_clean(out, outlen, detail, 300);
	} else if (doc == NULL && resp->body.data != NULL && resp->body.len > 0) {
		/* Not problem+json (a proxy's page, say): its first line helps. */
		const char *p = (const char *)resp->body.data;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '\0') {
			append_raw(out, outlen, ": ");
			append_clean(out, outlen, p, 120);
		}
	}
	json_decref(doc);
}
