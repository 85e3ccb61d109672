/*
 * embedded.h: files compiled into sealpactd at build time (server/tools/embed.c
 * writes the table from server/CMakeLists.txt): the OpenAPI description as
 * JSON and the console's static files. Read-only, shared by every thread.
 */
#ifndef SP_EMBEDDED_H
#define SP_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *name; /* "openapi.json", "console/api/index.html", ... */
	const unsigned char *data;
	size_t len;
};

extern const struct embedded_file embedded_files[];
extern const size_t embedded_files_count;

/* The file called name, or NULL. */
const struct embedded_file *embedded_file_find(const char *name);

#endif /* SP_EMBEDDED_H */
