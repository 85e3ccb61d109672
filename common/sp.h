/*
 * sp.h: what every layer of sealpact shares: one set of negative error codes,
 * the error-info struct a caller passes down, and capped byte buffers.
 *
 * Conventions (DESIGN.md §8):
 *   int r = SP_ERR_INTERNAL; ... goto out; ... r = SP_OK; out: free; return r;
 * A function returns SP_OK (0) or one negative sp_err code, and on failure
 * fills the caller's struct sp_errinfo (which may be NULL) with a message.
 * Everything here is thread-safe and may be called from any thread.
 */
#ifndef SP_H
#define SP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define SP_WUR __attribute__((warn_unused_result))
#define SP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum sp_err {
	SP_OK = 0,
	SP_ERR_INTERNAL = -1,     /* a broken invariant or an unexpected library failure */
	SP_ERR_NOMEM = -2,        /* allocation failed */
	SP_ERR_INVALID = -3,      /* the input is malformed or out of range */
	SP_ERR_NOT_FOUND = -4,    /* no such object (or not visible to the caller) */
	SP_ERR_CONFLICT = -5,     /* wrong state, stale revision, duplicate */
	SP_ERR_FORBIDDEN = -6,    /* authenticated, but not allowed */
	SP_ERR_UNAUTHORIZED = -7, /* no or bad credentials */
	SP_ERR_TOO_LARGE = -8,    /* a size cap was hit */
	SP_ERR_IO = -9,           /* a file or socket operation failed */
	SP_ERR_DB = -10,          /* the database answered with an error */
	SP_ERR_UNAVAILABLE = -11, /* a dependency (database, TSA, OCSP) cannot be reached */
	SP_ERR_BUSY = -12,        /* a bounded queue is full */
	SP_ERR_TIMEOUT = -13,     /* an operation ran out of time */
	SP_ERR_CRYPTO = -14,      /* a cryptographic check or operation failed */
	SP_ERR_PDF = -15,         /* the PDF cannot be read or written as asked */
	SP_ERR_CONFIG = -16,      /* bad configuration */
	SP_ERR_UNSUPPORTED = -17, /* a valid input we do not handle */
	SP_ERR_LIMIT = -18,       /* a count or depth limit was hit (hostile input) */
	SP_ERR_EXPIRED = -19,     /* a nonce, session or certificate is out of its validity */
	SP_ERR_RATE_LIMITED = -20,/* too many attempts */
	SP_ERR__LAST = -21
};

/* A static, human-readable name for an sp_err code ("invalid input", ...). */
const char *sp_strerror(int code);

/* A short stable identifier for an sp_err code ("invalid", "not_found", ...). */
const char *sp_errname(int code);

/*
 * Error information filled by the function that failed. The caller owns it,
 * usually on its stack; sp_errinfo_init() clears it. Only the first error
 * recorded is kept, so the innermost, most specific reason wins: outer
 * layers add context with sp_errinfo_prefix().
 */
struct sp_errinfo {
	int code;              /* an sp_err code, SP_OK while nothing failed */
	char reason[64];       /* optional stable reason code, e.g. "cert_expired" */
	char msg[512];         /* human-readable, safe to show the caller */
	char sqlstate[6];      /* PostgreSQL SQLSTATE, "" if none */
	unsigned long ossl;    /* first OpenSSL error code, 0 if none */
};

void sp_errinfo_init(struct sp_errinfo *ei);

/*
 * Record an error (if none is recorded yet) and return code, so that callers
 * can write `r = sp_err(ei, SP_ERR_INVALID, "page %d out of range", p);`.
 * ei may be NULL.
 */
int sp_err(struct sp_errinfo *ei, int code, const char *fmt, ...) SP_PRINTF(3, 4);
int sp_errv(struct sp_errinfo *ei, int code, const char *fmt, va_list ap) SP_PRINTF(3, 0);

/* Like sp_err() and also set the stable reason code. */
int sp_err_reason(struct sp_errinfo *ei, int code, const char *reason, const char *fmt, ...)
	SP_PRINTF(4, 5);

/* Prepend "what: " to an already recorded message (no-op when ei is NULL or clear). */
void sp_errinfo_prefix(struct sp_errinfo *ei, const char *what);

/*
 * A growable byte buffer with a hard size cap, after curl's dynbuf. The data
 * is always NUL-terminated (the NUL is not counted in len) so text can be
 * used directly. Appending past max fails with SP_ERR_TOO_LARGE and leaves the
 * buffer as it was.
 */
struct sp_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void sp_buf_init(struct sp_buf *b, size_t max);
void sp_buf_cleanup(struct sp_buf *b);      /* frees; the buffer may be reused after init */
void sp_buf_reset(struct sp_buf *b);        /* len = 0, keeps the memory */
int sp_buf_add(struct sp_buf *b, const void *p, size_t n) SP_WUR;
int sp_buf_addstr(struct sp_buf *b, const char *s) SP_WUR;
int sp_buf_printf(struct sp_buf *b, const char *fmt, ...) SP_PRINTF(2, 3) SP_WUR;
int sp_buf_vprintf(struct sp_buf *b, const char *fmt, va_list ap) SP_PRINTF(2, 0) SP_WUR;
/* Transfer the data to the caller (free() it); the buffer is left empty. */
unsigned char *sp_buf_take(struct sp_buf *b, size_t *len);

/* Read a whole file, failing with SP_ERR_TOO_LARGE past max bytes. */
int sp_file_read(const char *path, size_t max, unsigned char **out, size_t *outlen,
		 struct sp_errinfo *ei) SP_WUR;

/*
 * Write a whole file atomically: a temporary file beside it, fsync, rename.
 * mode is the new file's permission bits (e.g. 0600).
 */
int sp_file_write(const char *path, const void *data, size_t len, int mode,
		  struct sp_errinfo *ei) SP_WUR;

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void sp_hex(const unsigned char *p, size_t n, char *out);

/* Zero memory in a way the compiler may not elide (keys, PINs, tokens). */
void sp_wipe(void *p, size_t n);

#endif /* SP_H */
