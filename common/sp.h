/*
 * sp.h: what every layer of sealpact shares: one set of negative error codes,
 * the error-info struct a caller passes down, capped byte buffers, and the
 * codecs (hex, base64, big-endian, decimal) every layer uses.
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
#include <time.h>

#define SP_WUR __attribute__((warn_unused_result))
#define SP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum sp_err {
	SP_OK = 0,
	SP_ERR_INTERNAL = -1,      /* a broken invariant or an unexpected library failure */
	SP_ERR_NOMEM = -2,         /* allocation failed */
	SP_ERR_INVALID = -3,       /* the input is malformed or out of range */
	SP_ERR_NOT_FOUND = -4,     /* no such object (or not visible to the caller) */
	SP_ERR_CONFLICT = -5,      /* wrong state, stale revision, duplicate */
	SP_ERR_FORBIDDEN = -6,     /* authenticated, but not allowed */
	SP_ERR_UNAUTHORIZED = -7,  /* no or bad credentials */
	SP_ERR_TOO_LARGE = -8,     /* a size cap was hit */
	SP_ERR_IO = -9,            /* a file or socket operation failed */
	SP_ERR_DB = -10,           /* the database answered with an error */
	SP_ERR_UNAVAILABLE = -11,  /* a dependency (database, TSA, OCSP) cannot be reached */
	SP_ERR_BUSY = -12,         /* a bounded queue is full */
	SP_ERR_TIMEOUT = -13,      /* an operation ran out of time */
	SP_ERR_CRYPTO = -14,       /* a cryptographic check or operation failed */
	SP_ERR_PDF = -15,          /* the PDF cannot be read or written as asked */
	SP_ERR_CONFIG = -16,       /* bad configuration */
	SP_ERR_UNSUPPORTED = -17,  /* a valid input we do not handle */
	SP_ERR_LIMIT = -18,        /* a count or depth limit was hit (hostile input) */
	SP_ERR_EXPIRED = -19,      /* a nonce, session or certificate is out of its validity */
	SP_ERR_RATE_LIMITED = -20, /* too many attempts */
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
	int code;           /* an sp_err code, SP_OK while nothing failed */
	char reason[64];    /* optional stable reason code, e.g. "cert_expired" */
	char msg[512];      /* human-readable, safe to show the caller */
	char sqlstate[6];   /* PostgreSQL SQLSTATE, "" if none */
	unsigned long ossl; /* first OpenSSL error code, 0 if none */
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

/*
 * For clang's static analyzer only (deploy/lint.sh; the compiler never sees
 * these): sp_err and sp_err_reason return the code they are given, which the
 * analyzer cannot see from another file. It took `if ((r = sp_err(..)) < 0)
 * return r;` to go on, and reported null dereferences on paths that cannot
 * happen. common/sp.c, which defines them, drops the macros.
 */
#ifdef __clang_analyzer__
#define sp_err(ei, code, ...) (sp_err((ei), (code), __VA_ARGS__), (code))
#define sp_err_reason(ei, code, ...) (sp_err_reason((ei), (code), __VA_ARGS__), (code))
#endif

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
void sp_buf_cleanup(struct sp_buf *b); /* frees; the buffer may be reused after init */
void sp_buf_reset(struct sp_buf *b);   /* len = 0, keeps the memory */
int sp_buf_add(struct sp_buf *b, const void *p, size_t n) SP_WUR;
/* Room for n more bytes at once: what is added up to them then is not copied again by the
   buffer's growth (a buffer that doubles copies up to twice what it ends with). */
int sp_buf_reserve(struct sp_buf *b, size_t n) SP_WUR;
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

/* ---- codecs (codec.c) -------------------------------------------------------
 * The one implementation of each byte/text encoding in sealpact. Everything is
 * pure, allocation only where it says so, and may be called from any thread.
 * Decoders are strict: they never skip junk, never accept trailing bytes and
 * never read past the length they are given.
 */

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void sp_hex(const unsigned char *p, size_t n, char *out);

/* Uppercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void sp_hex_upper(const unsigned char *p, size_t n, char *out);

/* The value (0..15) of one hex digit of either case, or -1. */
int sp_hex_val(int c);

/*
 * Decode exactly len characters of hex (either case; no "0x", no whitespace,
 * an even count, len may be 0) into out, which holds max bytes. Returns SP_OK
 * and *outlen, SP_ERR_INVALID for a bad digit or an odd length, or
 * SP_ERR_TOO_LARGE when len / 2 > max (out is then untouched).
 */
int sp_hex_decode(const char *s, size_t len, unsigned char *out, size_t max, size_t *outlen) SP_WUR;

/*
 * base64 (RFC 4648). The default is the standard alphabet ("+/") with "="
 * padding; SP_B64_URL selects the URL alphabet ("-_") without padding (the
 * session token form). Whitespace policy of the decoder: none is accepted
 * unless SP_B64_WS is given, which skips ASCII space, tab, CR and LF anywhere
 * (line-wrapped input such as the output of base64(1)); no other character is
 * ever skipped. Decoding is canonical: padding only at the end and where the
 * length needs it, unused bits of the last character zero.
 */
#define SP_B64_URL 1u
#define SP_B64_WS 2u

/* Characters of the encoding of n bytes, without the NUL. */
size_t sp_b64_len(size_t n, unsigned flags);

/* Encode n bytes into out (sp_b64_len(n, flags) + 1 bytes, NUL-terminated). */
void sp_b64_encode_to(const void *p, size_t n, unsigned flags, char *out);

/*
 * Encode n bytes into a malloc'd NUL-terminated string the caller frees.
 * NULL when out of memory or n is above 1 GiB.
 */
char *sp_b64_encode(const void *p, size_t n, unsigned flags);

/*
 * Decode the first len characters of s (a NUL before that ends the input) of
 * at most max decoded bytes into *out, malloc'd with one spare NUL byte that
 * *outlen does not count; the caller frees it. Empty input (after skipped
 * whitespace) is SP_ERR_INVALID: every caller wants bytes. Returns SP_OK,
 * SP_ERR_INVALID (bad character, length or padding), SP_ERR_TOO_LARGE (more
 * than max bytes; decided before allocating) or SP_ERR_NOMEM. *out is NULL
 * and *outlen 0 on failure.
 */
int sp_b64_decode(const char *s, size_t len, size_t max, unsigned flags, unsigned char **out,
		  size_t *outlen) SP_WUR;

/* Big-endian loads and stores of n-bit integers at p (any alignment). */
static inline uint16_t
sp_load_be16(const unsigned char *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
sp_load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
sp_load_be64(const unsigned char *p)
{
	return (uint64_t)sp_load_be32(p) << 32 | sp_load_be32(p + 4);
}

/* The big-endian unsigned integer in the n (0..8) bytes at p; 0 when n is 0. */
static inline uint64_t
sp_load_ben(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void
sp_store_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static inline void
sp_store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline void
sp_store_be64(unsigned char *p, uint64_t v)
{
	sp_store_be32(p, (uint32_t)(v >> 32));
	sp_store_be32(p + 4, (uint32_t)v);
}

/* The low 8n bits of v big-endian into the n (0..8) bytes at p. */
static inline void
sp_store_ben(unsigned char *p, size_t n, uint64_t v)
{
	size_t i;

	for (i = n < 8 ? n : 8; i > 0; i--, v >>= 8)
		p[i - 1] = (unsigned char)v;
}

/*
 * Decimal integers: ASCII digits only (leading zeros allowed), no
 * whitespace, no trailing characters, no locale; the signed form also takes
 * one leading '+' or '-'. The value must lie in [lo, hi]. Returns SP_OK and
 * *out, or SP_ERR_INVALID (not a number, overflow or out of range; *out is
 * then left unchanged). The _n forms read exactly the first n characters
 * of s (for a number inside a larger string).
 */
int sp_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) SP_WUR;
int sp_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) SP_WUR;
int sp_parse_i64n(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out) SP_WUR;
int sp_parse_u64n(const char *s, size_t n, uint64_t lo, uint64_t hi, uint64_t *out) SP_WUR;

/*
 * An RFC 3339 date-time with a zone ("2026-11-21T19:20:46Z",
 * "2026-11-21T19:20:46.5+08:00"), checked field by field (month lengths,
 * leap years, hour < 24, the offset within -14:00..+14:00, second 60 only as
 * the leap second 23:59:60 UTC, which counts as the next second), naming an
 * instant from 1970 to 9999-12-31T23:59:59Z: SP_OK with *epoch the seconds
 * since 1970 in UTC and *why NULL, else SP_ERR_INVALID with *why saying what
 * is wrong ("... is <why>", static text). Nothing else passes ("tomorrow",
 * "infinity", a date without a time or zone, " 1" for "01"): PostgreSQL,
 * which takes the server's strings next, would take some of those or refuse
 * with its own words (an offset past 15:59). Any thread.
 */
int sp_time_parse(const char *s, int64_t *epoch, const char **why) SP_WUR;

/*
 * Time zones by IANA name ("Asia/Shanghai", "UTC"), for the date a seal
 * shows. sp_tz_check: SP_OK when the zone is known (its tzdata file
 * exists), else SP_ERR_INVALID naming it. sp_tz_offset: the zone's offset
 * from UTC in minutes at instant t (daylight saving included). sp_tz_check
 * any thread; sp_tz_offset switches TZ for a moment (setenv), so in a
 * threaded program call it from the one thread that owns the environment.
 */
#define SP_TZ_DEFAULT "Asia/Shanghai"
int sp_tz_check(const char *zone, struct sp_errinfo *ei) SP_WUR;
int sp_tz_offset(const char *zone, time_t t, int *off_min, struct sp_errinfo *ei) SP_WUR;
/* sp_tz_offset as the C library alone answers it (the tests compare the two). */
int sp_tz_offset_libc(const char *zone, time_t t, int *off_min, struct sp_errinfo *ei) SP_WUR;

/* Zero memory in a way the compiler may not elide (keys, PINs, tokens). */
void sp_wipe(void *p, size_t n);

/*
 * 1 when a[0..n) equals b[0..n), else 0, in a time that depends on n only:
 * the one comparison of a secret, or of what stands for one (a token's or an
 * API key's hash, a password's derived key, a MAC), with what a caller sent,
 * so that how long a refusal took tells the caller nothing of how much of it
 * matched. Not for public values (documents' digests, cache keys).
 */
int sp_secret_equal(const void *a, const void *b, size_t n);

/*
 * Text one organization writes and another's terminal shows (names, reasons).
 * sp_utf8_next: the length (1..4) of the well-formed UTF-8 sequence at s (n >
 * 0 bytes) and its code point, or 0 when it is malformed, overlong, a
 * surrogate or past U+10FFFF. sp_text_cp_unsafe: nonzero for a code point
 * that steers a terminal or the display order: C0 (newline and tab
 * included), DEL, C1 (U+0080..U+009F), the bidi marks, embeddings, overrides
 * and isolates (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069) and the
 * line and paragraph separators (U+2028/9). sp_text_check: SP_OK when
 * s[0..len) is well-formed UTF-8 with no such code point (and no NUL), else
 * SP_ERR_INVALID with the byte offset and the code point (0xFFFFFFFF for a
 * malformed byte) of the first offender in *at and *cp (either may be NULL).
 * Any thread.
 */
size_t sp_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);
int sp_text_cp_unsafe(uint32_t cp);
/*
 * Nonzero for a code point shown as nothing at all (zero-width spaces and
 * joiners, the soft hyphen, fillers, tags, the BOM): "Acme<U+200B>Ltd" looks
 * like "AcmeLtd" in a console or a list and is another string to every
 * comparison. What an organization names from now on (api_text_check)
 * refuses them; stored text and the documents made from it are as before.
 */
int sp_text_cp_invisible(uint32_t cp);
int sp_text_check(const char *s, size_t len, size_t *at, uint32_t *cp);

/* ---- owners taking turns (turns.c) --------------------------------------------- */

/*
 * The jobs of many owners (organizations, reviewers, client addresses: a
 * key of SP_TURN_KEY bytes compared whole) waiting for a few servers (worker
 * threads, database connections): a free server takes the oldest job of the
 * owner with the fewest running and, among those, the one served longest ago,
 * so that one owner's many jobs delay another's by about one job per server,
 * not by all of them (sec32's worker pool, sec35's database queue: one way
 * to do it). The caller holds the jobs, in arrival order, each with its
 * owner (NULL: none of anyone's; it ranks as an owner with nothing running,
 * never served), and locks as it needs: nothing here is thread-safe.
 *
 * sp_turns_get: the owner of key, made when new (NULL: out of memory);
 * the caller counts the job it queues (queued++). sp_turns_start: one of its queued
 * jobs starts (queued--, running++, served now). sp_turns_end: one running
 * job ended (running--). sp_turns_put: forget an owner with nothing queued or
 * running (after any decrement; NULL is fine). sp_turns_before: nonzero when
 * a's job goes before b's; sp_turns_fresh: nonzero when nothing can go before
 * a's (a walk of the jobs may stop there). sp_turns_clear frees every owner.
 */
#define SP_TURN_KEY 17

struct sp_turn {
	struct sp_turn *next;
	unsigned char key[SP_TURN_KEY];
	long queued, running;
	unsigned long long started; /* when a job of it last started (turns->starts), 0: never */
};

struct sp_turns {
	struct sp_turn *owners;    /* those with jobs queued or running */
	unsigned long long starts; /* jobs of owners started */
};

struct sp_turn *sp_turns_get(struct sp_turns *t, const unsigned char key[SP_TURN_KEY]);
void sp_turns_start(struct sp_turns *t, struct sp_turn *o);
void sp_turns_end(struct sp_turn *o);
void sp_turns_put(struct sp_turns *t, struct sp_turn *o);
int sp_turns_before(const struct sp_turn *a, const struct sp_turn *b);
int sp_turns_fresh(const struct sp_turn *a);
void sp_turns_clear(struct sp_turns *t);

/* ---- cooperative cancellation (cancel.c) ------------------------------------ */

/*
 * Work done on a thread for someone who may stop waiting for it (a worker's
 * job whose request its deadline answered or whose client left): the owner
 * binds a flag to the thread while the work runs, sets it from any thread
 * when nobody waits any more, and the long loops of pdf/ and crypto/
 * (content operators, pages, placements, signatures, revisions, the byte
 * scan) call sp_cancel_check() every so often: SP_ERR_UNAVAILABLE once the
 * flag is set, so the thread is given back instead of running the work to
 * its end. sp_cancelled() is the bare test, for loops that report their
 * errors otherwise. sp_cancel_unbind() ends the binding and says whether a
 * check saw the flag: then the work's result is not what it would have been
 * (a loop may have taken the error for the input's), and the owner must
 * discard it. A thread with no flag bound (the CLI, tests, the server's own
 * background jobs) is never cancelled. Each check is a thread-local load
 * and, when bound, one relaxed atomic load.
 */
void sp_cancel_bind(const volatile int *flag);
int sp_cancel_unbind(void);
int sp_cancelled(void);
int sp_cancel_check(struct sp_errinfo *ei) SP_WUR;

#endif /* SP_H */
