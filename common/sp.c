/* sp.c: error codes, error info, capped buffers and whole-file I/O. */
#include "sp.h"

#undef sp_err /* the analyzer's (sp.h) */
#undef sp_err_reason

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *text;
} errtab[] = {
	[0] = { "ok", "success" },
	[1] = { "internal", "internal error" },
	[2] = { "nomem", "out of memory" },
	[3] = { "invalid", "invalid input" },
	[4] = { "not_found", "not found" },
	[5] = { "conflict", "conflict" },
	[6] = { "forbidden", "forbidden" },
	[7] = { "unauthorized", "unauthorized" },
	[8] = { "too_large", "too large" },
	[9] = { "io", "input/output error" },
	[10] = { "db", "database error" },
	[11] = { "unavailable", "service unavailable" },
	[12] = { "busy", "too busy" },
	[13] = { "timeout", "timed out" },
	[14] = { "crypto", "cryptographic failure" },
	[15] = { "pdf", "PDF error" },
	[16] = { "config", "configuration error" },
	[17] = { "unsupported", "unsupported" },
	[18] = { "limit", "limit exceeded" },
	[19] = { "expired", "expired" },
	[20] = { "rate_limited", "rate limited" },
};

static int
errindex(int code)
{
	if (code > 0 || code <= SP_ERR__LAST)
		return 1;
	return -code;
}

const char *
sp_strerror(int code)
{
	return errtab[errindex(code)].text;
}

const char *
sp_errname(int code)
{
	return errtab[errindex(code)].name;
}

void
sp_errinfo_init(struct sp_errinfo *ei)
{
	if (ei != NULL)
		memset(ei, 0, sizeof(*ei));
}

int
sp_errv(struct sp_errinfo *ei, int code, const char *fmt, va_list ap)
{
	if (ei == NULL || ei->code != SP_OK)
		return code;
	ei->code = code;
	if (fmt != NULL)
		vsnprintf(ei->msg, sizeof(ei->msg), fmt, ap);
	else
		snprintf(ei->msg, sizeof(ei->msg), "%s", sp_strerror(code));
	return code;
}

int
sp_err(struct sp_errinfo *ei, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sp_errv(ei, code, fmt, ap);
	va_end(ap);
	return code;
}

int
sp_err_reason(struct sp_errinfo *ei, int code, const char *reason, const char *fmt, ...)
{
	va_list ap;
	int fresh = ei != NULL && ei->code == SP_OK;

	va_start(ap, fmt);
	sp_errv(ei, code, fmt, ap);
	va_end(ap);
	if (fresh && reason != NULL)
		snprintf(ei->reason, sizeof(ei->reason), "%s", reason);
	return code;
}

void
sp_errinfo_prefix(struct sp_errinfo *ei, const char *what)
{
	char tmp[sizeof(ei->msg)];
	size_t n;

	if (ei == NULL || ei->code == SP_OK || what == NULL)
		return;
	/* Build "what: msg" by hand: snprintf with %s of a same-size buffer
	 * trips -Wformat-truncation, and truncation is what we want. */
	n = strlen(what);
	if (n > sizeof(tmp) - 3)
		n = sizeof(tmp) - 3;
	memcpy(tmp, what, n);
	tmp[n++] = ':';
	tmp[n++] = ' ';
	memcpy(tmp + n, ei->msg, sizeof(tmp) - n);
	tmp[sizeof(tmp) - 1] = '\0';
	memcpy(ei->msg, tmp, sizeof(ei->msg));
}

void
sp_buf_init(struct sp_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
sp_buf_cleanup(struct sp_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
sp_buf_reset(struct sp_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Make room for n more bytes plus the terminating NUL. */
static int reserve(struct sp_buf *b, size_t n);

int
sp_buf_reserve(struct sp_buf *b, size_t n)
{
	return reserve(b, n);
}

static int
reserve(struct sp_buf *b, size_t n)
{
	size_t need, ncap;
	unsigned char *p;

	if (n > b->max || b->len > b->max - n)
		return SP_ERR_TOO_LARGE;
	need = b->len + n + 1;
	if (need <= b->cap)
		return SP_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if ((p = realloc(b->data, ncap)) == NULL)
		return SP_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return SP_OK;
}

int
sp_buf_add(struct sp_buf *b, const void *p, size_t n)
{
	int r;

	if ((r = reserve(b, n)) != SP_OK)
		return r;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return SP_OK;
}

int
sp_buf_addstr(struct sp_buf *b, const char *s)
{
	return sp_buf_add(b, s, strlen(s));
}

int
sp_buf_vprintf(struct sp_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t room = b->data != NULL && b->cap > b->len ? b->cap - b->len : 0;
	int n, r;

	/* Formatted once into the room the buffer has (with its NUL), and again only when
	   it did not fit: not measured first and then written (two vsnprintf calls each,
	   every number the PDF writer puts in an update). */
	va_copy(ap2, ap);
	n = vsnprintf(room > 0 ? (char *)b->data + b->len : NULL, room, fmt, ap2);
	va_end(ap2);
	if (n >= 0 && (size_t)n < room && (size_t)n <= b->max && b->len <= b->max - (size_t)n) {
		b->len += (size_t)n;
		return SP_OK;
	}
	/* not taken: what stands past the end is not the buffer's, its NUL is put back */
	if (room > 0)
		b->data[b->len] = '\0';
	if (n < 0)
		return SP_ERR_INVALID;
	if ((r = reserve(b, (size_t)n)) != SP_OK)
		return r;
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return SP_OK;
}

int
sp_buf_printf(struct sp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sp_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

unsigned char *
sp_buf_take(struct sp_buf *b, size_t *len)
{
	unsigned char *p = b->data;

	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

int
sp_file_read(const char *path, size_t max, unsigned char **out, size_t *outlen,
	     struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, fd = -1;
	struct sp_buf b;
	unsigned char chunk[65536];
	ssize_t n;

	*out = NULL;
	*outlen = 0;
	sp_buf_init(&b, max);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = sp_err(ei, SP_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = sp_err(ei, SP_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if ((r = sp_buf_add(&b, chunk, (size_t)n)) != SP_OK) {
			r = sp_err(ei, r, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (b.data == NULL && (r = sp_buf_add(&b, "", 0)) != SP_OK)
		goto out;
	*out = sp_buf_take(&b, outlen);
	r = SP_OK;
out:
	if (fd >= 0)
		close(fd);
	sp_buf_cleanup(&b);
	return r;
}

int
sp_file_write(const char *path, const void *data, size_t len, int mode, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL, fd = -1;
	char tmp[4096];
	const unsigned char *p = data;
	unsigned i;
	ssize_t n;

	/* O_EXCL: a name already there (a crashed run's, or a link planted in a
	   shared directory to have its target truncated) is never written
	   through; the next name is tried */
	for (i = 0; fd < 0 && i < 100; i++) {
		if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(), i) >=
		    (int)sizeof(tmp))
			return sp_err(ei, SP_ERR_INVALID, "%.64s...: path too long", path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	/* Messages name the file asked for: the temporary name means nothing
	   to whoever typed the command, and it is gone once this returns. */
	if (fd < 0)
		return sp_err(ei, SP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = sp_err(ei, SP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0) {
		r = sp_err(ei, SP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
		goto out; /* fd is closed there */
	}
	/* close() releases the descriptor even when it fails. */
	if (close(fd) != 0) {
		fd = -1;
		r = sp_err(ei, SP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = sp_err(ei, SP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	r = SP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (r != SP_OK)
		unlink(tmp);
	return r;
}

void
sp_wipe(void *p, size_t n)
{
	/* explicit_bzero is glibc's OPENSSL_cleanse: not elided by the compiler. */
	if (p != NULL)
		explicit_bzero(p, n);
}

int
sp_secret_equal(const void *a, const void *b, size_t n)
{
	/* volatile: the compiler may neither stop at the first difference nor
	   turn the loop into memcmp (OpenSSL's CRYPTO_memcmp does the same) */
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
