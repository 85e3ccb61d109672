/*
 * log.c: structured logs, one JSON object per line on stderr, so that the
 * lines of several worker processes and threads can be collected and parsed
 * without a shipper-side grammar; and the request ids that tie a request's
 * lines together.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

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
	/* the second's text, per thread: a busy server logs many lines a second */
	static __thread time_t sec = -1;
	static __thread char base[24];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	if (tv.tv_sec != sec) {
		gmtime_r(&tv.tv_sec, &tm);
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		sec = tv.tv_sec;
	}
	snprintf(out, 32, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

/*
 * The process id each line carries, taken once per process (getpid() is a
 * system call in glibc): a serving process forked by the supervisor takes
 * its own in the fork handler.
 */
static atomic_int log_pid_now;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void
pid_take(void)
{
	atomic_store(&log_pid_now, (int)getpid());
}

static void
pid_init(void)
{
	pid_take();
	(void)pthread_atfork(NULL, NULL, pid_take);
}

static int
pid_get(void)
{
	pthread_once(&pid_once, pid_init);
	return atomic_load(&log_pid_now);
}

int
log_pid(void)
{
	return pid_get();
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
	json_object_set_new(o, "pid", json_integer((json_int_t)pid_get()));
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

/* s as a JSON string's characters into b (cap bytes left at *at); bytes past cap are cut */
static void
put_str(char *b, size_t cap, size_t *at, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");

	for (; *p != '\0' && *at + 7 < cap; p++) {
		if (*p == '"' || *p == '\\') {
			b[(*at)++] = '\\';
			b[(*at)++] = (char)*p;
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* control characters, and anything not ASCII (the fields are ASCII: a
			   path is made printable first), as \u00XX: the line stays JSON */
			/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): the line goes on */
			memcpy(b + *at, "\\u00", 4);
			b[*at + 4] = hex[*p >> 4];
			b[*at + 5] = hex[*p & 15];
			*at += 6;
		} else {
			b[(*at)++] = (char)*p;
		}
	}
}

/* fmt's text at *at; the caller keeps TAIL_ROOM free for these fixed pieces */
static void put_fmt(char *b, size_t cap, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
put_fmt(char *b, size_t cap, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b + *at, cap - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n < cap - *at ? (size_t)n : cap - *at - 1;
}

#define TAIL_ROOM 160

void
log_access(int level, const char *request_id, const char *method, const char *route,
	   const char *path, int status, double duration_ms, long long bytes, const char *remote)
{
	char line[2048], ts[32], num[40];
	size_t at = 0, cap = sizeof(line) - TAIL_ROOM;

	if (level < atomic_load(&min_level) || level < LOG_DEBUG || level > LOG_ERROR)
		return;
	log_time_format(ts);
	/* the keys in log_event's order: ts, level, msg, request_id, pid, then the fields */
	put_fmt(line, sizeof(line), &at, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"request\"", ts,
		level_names[level]);
	if (request_id != NULL) {
		put_fmt(line, sizeof(line), &at, ",\"request_id\":\"");
		put_str(line, cap, &at, request_id);
		put_fmt(line, sizeof(line), &at, "\"");
	}
	put_fmt(line, sizeof(line), &at, ",\"pid\":%d,\"method\":\"", pid_get());
	put_str(line, cap, &at, method);
	put_fmt(line, sizeof(line), &at, "\",\"route\":\"");
	put_str(line, cap, &at, route);
	put_fmt(line, sizeof(line), &at, "\",\"path\":\"");
	put_str(line, cap, &at, path);
	/* jansson's real: %.6g, with ".0" when that reads as an integer */
	snprintf(num, sizeof(num), "%.6g", duration_ms);
	if (strpbrk(num, ".eEni") == NULL)
		/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): %.6g is 13 bytes at most */
		strcat(num, ".0");
	put_fmt(line, sizeof(line), &at,
		"\",\"status\":%d,\"duration_ms\":%s,\"bytes\":%lld,\"remote\":\"", status, num,
		bytes);
	put_str(line, sizeof(line) - 8, &at, remote);
	put_fmt(line, sizeof(line), &at, "\"}\n");
	write_line(line, at);
}

/* ---- request ids: what correlates a request's lines ---- */

int
request_id_is_sane(const char *id)
{
	size_t n;

	if (id == NULL)
		return 0;
	for (n = 0; id[n] != '\0'; n++) {
		unsigned char c = (unsigned char)id[n];
		if (n >= 64 || !(isalnum(c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n > 0;
}

/*
 * Ids correlate logs: unique, no secret (a client may send its own). A
 * random half per thread and process, taken once, and a counter: not 16
 * bytes of the DRBG (and its locks) for every request.
 */
void
request_id_generate(char out[33])
{
	static __thread unsigned char rnd[8];
	static __thread uint64_t count;
	static __thread int pid;
	unsigned char id[16];

	if (pid != log_pid()) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			/* time + address will do */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			memcpy(rnd, &ts, sizeof(rnd));
			rnd[7] ^= (unsigned char)(uintptr_t)&count;
		}
		pid = log_pid(); /* a forked process takes its own */
		count = 0;
	}
	memcpy(id, rnd, 8);
	sp_store_be64(id + 8, ++count);
	sp_hex(id, sizeof(id), out);
}
