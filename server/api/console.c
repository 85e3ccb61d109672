/*
 * console.c: the files compiled into the binary (api/embedded.h):
 *
 *   GET /api/v1/openapi.json     the OpenAPI description (openapi.yaml as JSON)
 *   GET /console/api             the API reference page
 *   GET /console/api/{file}      its script and style files
 *
 * Nothing here reads the file system: a request names an entry of the table
 * the build generated, or gets 404, so no path can escape it. The console
 * pages carry a Content-Security-Policy that allows scripts and data only
 * from this server (styles may be inline: the renderer sets them at run time).
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

/* The console's files and their types: a name not listed here is not served. */
static const struct {
	const char *file;
	const char *ctype;
} console_files[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "reference.js", "text/javascript; charset=utf-8" },
	{ "reference.css", "text/css; charset=utf-8" },
	{ "redoc.standalone.js", "text/javascript; charset=utf-8" },
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

static void
serve_console(struct request *r, const char *file)
{
	const struct embedded_file *f = NULL;
	const char *ctype = NULL;
	char name[64];
	size_t i;

	for (i = 0; file != NULL && i < SP_ARRAY_LEN(console_files); i++)
		if (strcmp(console_files[i].file, file) == 0) {
			ctype = console_files[i].ctype;
			break;
		}
	if (ctype != NULL) {
		snprintf(name, sizeof(name), "console/api/%s", file);
		f = embedded_file_find(name);
	}
	if (f == NULL) {
		request_problem(r, P_NOT_FOUND, "No such console file.");
		return;
	}
	request_header_add(r, "Content-Security-Policy", CONSOLE_CSP);
	request_header_add(r, "Referrer-Policy", "no-referrer");
	request_header_add(r, "X-Frame-Options", "DENY");
	request_reply_data(r, 200, ctype, f->data, f->len);
}

void
console_index_get(struct request *r)
{
	serve_console(r, "index.html");
}

void
console_file_get(struct request *r)
{
	serve_console(r, request_param(r, "file"));
}
