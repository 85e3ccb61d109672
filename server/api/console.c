/*
 * console.c: the files compiled into the binary (api/embedded.h):
 *
 *   GET /api/v1/openapi.json     the OpenAPI description (openapi.yaml as JSON)
 *   GET /console                 the reviewers' console (seal applications)
 *   GET /console/{file}          its script and style files
 *   GET /console/api             the API reference page
 *   GET /console/api/{file}      its script and style files
 *
 * Nothing here reads the file system: a request names an entry of the table
 * the build generated, or gets 404, so no path can escape it. The pages
 * carry a Content-Security-Policy that allows scripts and data only from
 * this server. The reference's styles may be inline (the renderer sets them
 * at run time); the reviewers' console has no inline script or style at
 * all, and shows scans and seal pictures from blob: URLs it makes from API
 * answers (so a reviewer's session token never appears in a URL).
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "embedded.h"

#define CONSOLE_CSP \
	"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " \
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " \
	"worker-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; " \
	"frame-ancestors 'none'"

#define REVIEW_CSP \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " \
	"connect-src 'self'; font-src 'self'; worker-src 'none'; object-src 'none'; " \
	"frame-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct console_file {
	const char *file;
	const char *ctype;
};

/* Each console's files and their types: a name not listed here is not served. */
static const struct console_file api_files[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "reference.js", "text/javascript; charset=utf-8" },
	{ "reference.css", "text/css; charset=utf-8" },
	{ "redoc.standalone.js", "text/javascript; charset=utf-8" },
};
static const struct console_file review_files[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "console.js", "text/javascript; charset=utf-8" },
	{ "console.css", "text/css; charset=utf-8" },
};

const struct embedded_file *
embedded_file_find(const char *name)
{
	size_t i;

	for (i = 0; i < embedded_files_count; i++)
		if (strcmp(embedded_files[i].name, name) == 0)
			return &embedded_files[i];
	return NULL;
}

void
console_openapi_get(struct request *r)
{
	const struct embedded_file *f = embedded_file_find("openapi.json");

	if (f == NULL) {
		request_problem(r, P_INTERNAL, NULL);
		return;
	}
	request_reply_data(r, 200, "application/json", f->data, f->len);
}

/* dir names the embedded folder ("console/api/..."); NULL file is 404. */
static void
serve_console(struct request *r, const char *dir, const struct console_file *files, size_t n,
	      const char *csp, const char *file)
{
	const struct embedded_file *f = NULL;
	const char *ctype = NULL;
	char name[64];
	size_t i;

	for (i = 0; file != NULL && i < n; i++)
		if (strcmp(files[i].file, file) == 0) {
			ctype = files[i].ctype;
			break;
		}
	if (ctype != NULL) {
		snprintf(name, sizeof(name), "%s/%s", dir, file);
		f = embedded_file_find(name);
	}
	if (f == NULL) {
		request_problem(r, P_NOT_FOUND, "No such console file.");
		return;
	}
	request_header_add(r, "Content-Security-Policy", csp);
	request_header_add(r, "Referrer-Policy", "no-referrer");
	request_header_add(r, "X-Frame-Options", "DENY");
	request_reply_data(r, 200, ctype, f->data, f->len);
}

void
console_index_get(struct request *r)
{
	serve_console(r, "console/api", api_files, SP_ARRAY_LEN(api_files), CONSOLE_CSP,
		      "index.html");
}

void
console_file_get(struct request *r)
{
	serve_console(r, "console/api", api_files, SP_ARRAY_LEN(api_files), CONSOLE_CSP,
		      request_param(r, "file"));
}

void
console_review_index_get(struct request *r)
{
	serve_console(r, "console/review", review_files, SP_ARRAY_LEN(review_files), REVIEW_CSP,
		      "index.html");
}

void
console_review_file_get(struct request *r)
{
	serve_console(r, "console/review", review_files, SP_ARRAY_LEN(review_files), REVIEW_CSP,
		      request_param(r, "file"));
}
