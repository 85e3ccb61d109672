/*
 * log.c: structured logs, one JSON object per line on stderr, so that the
 * lines of several worker processes and threads can be collected and parsed
 * without a shipper-side grammar.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"

/*
 * The one piece of mutable file-scope state in server/, on purpose: logging
 * is called from everywhere, including worker threads, database callbacks,
 * the supervisor and admin commands that have no struct server to pass, and
 * the level is the process's, set once from the config (log_level_set)
 * before any thread starts. Atomic so tests that change it while threads log
 * stay well-defined.
 */
static atomic_int min_level = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int
log_level_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < SP_ARRAY_LEN(level_names); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "warning") == 0)
		return LOG_WARN;
	return -1;
}

void
log_level_set(int level)
{
	if (level >= LOG_DEBUG && level <= LOG_ERROR)
		atomic_store(&min_level, level);
}

int
log_level_get(void)
{
	return atomic_load(&min_level);
}

void
log_time_format(char out[32])
{
	struct timeval tv;
	struct tm tm;
	char base[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

/* Write all of a line; a short write to a pipe is retried, errors are dropped. */
static void
write_line(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w < 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void
log_event(int level, const char *request_id, const char *msg, const char *fields, ...)
{
	json_t *o = NULL, *extra = NULL;
	char ts[32];
	char *line = NULL;
	json_error_t jerr;
	va_list ap;

	if (level < atomic_load(&min_level) || level < LOG_DEBUG || level > LOG_ERROR)
		return;
	log_time_format(ts);
	o = json_object();
	if (o == NULL)
		return;
	/* Fixed keys first so humans reading the raw stream see them leftmost. */
	if (json_object_set_new(o, "ts", json_string(ts)) != 0 ||
	    json_object_set_new(o, "level", json_string(level_names[level])) != 0 ||
	    json_object_set_new(o, "msg", json_string(msg ? msg : "")) != 0)
		goto out;
	if (request_id != NULL)
		json_object_set_new(o, "request_id", json_string(request_id));
	/* With server.workers > 1 several processes share one log stream. */
	json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
	if (fields != NULL) {
		va_start(ap, fields);
		extra = json_vpack_ex(&jerr, 0, fields, ap);
		va_end(ap);
		if (extra != NULL && json_is_object(extra))
			json_object_update_missing(o, extra);
		else if (extra == NULL)
			json_object_set_new(o, "log_error", json_string(jerr.text));
	}
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (line != NULL) {
		size_t n = strlen(line);
		/* One write per line: append the newline in place. */
		char *nl = realloc(line, n + 2);
		if (nl != NULL) {
			line = nl;
			line[n] = '\n';
			line[n + 1] = '\0';
			write_line(line, n + 1);
		}
	}
out:
	free(line);
	json_decref(extra);
	json_decref(o);
}
