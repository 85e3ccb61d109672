/*
 * client.h: the sealpact signing terminal's API client: HTTP(S) requests to
 * sealpactd with libcurl's easy interface, capped response bodies, and
 * problem+json errors turned into one readable line.
 *
 * TLS verification is always on (peer and host name); the only knob is the
 * CA file. Redirects are never followed and only http/https are spoken.
 *
 * Threads: a struct client is used by one thread at a time; different
 * clients may be used on different threads at once.
 */
#ifndef SP_CLIENT_H
#define SP_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "sp.h"

#define CLIENT_DEFAULT_SERVER "https://127.0.0.1:8443"
#define CLIENT_DEFAULT_TIMEOUT_S 30
#define CLIENT_MAX_TIMEOUT_S 3600
/* Response cap for API calls; downloads of PDFs pass their own. */
#define CLIENT_DEFAULT_MAX_RESPONSE (8u * 1024 * 1024)

struct client {
	char *base_url; /* "https://host:port", no trailing slash */
	char *cafile;   /* PEM CA bundle to verify the server, NULL = system store */
	char *token;    /* bearer token sent as Authorization, NULL = none; wiped on free */
	long timeout_s; /* whole-request deadline in seconds */
	void *curl;     /* CURL easy handle, private to http.c, reused for keep-alive */
};

/* One response. body is capped (SP_ERR_TOO_LARGE past its max). */
struct client_response {
	long status;            /* HTTP status, 0 before a response arrived */
	struct sp_buf body;     /* NUL-terminated */
	char content_type[128]; /* "" when the server sent none */
};

/*
 * A new client for base_url (http:// or https://, a trailing '/' is dropped),
 * verifying TLS against cafile (NULL: the system store), with timeout_s
 * seconds per request (1..CLIENT_MAX_TIMEOUT_S). The strings are copied.
 * On success *out is owned by the caller (client_free()).
 */
int client_new(const char *base_url, const char *cafile, long timeout_s, struct client **out,
	       struct sp_errinfo *ei) SP_WUR;

/* Free a client, wiping its token. NULL is fine. */
void client_free(struct client *c);

/* Replace the bearer token (copied; NULL clears it). The old one is wiped. */
int client_token_set(struct client *c, const char *token, struct sp_errinfo *ei) SP_WUR;

/* Prepare resp for a request; max caps the body. */
void client_response_init(struct client_response *resp, size_t max);
void client_response_cleanup(struct client_response *resp);

/*
 * Send method (GET, POST, PUT, DELETE, ...) to base_url + path (path starts
 * with '/'), with an optional body of bodylen bytes and its content_type,
 * and optional extra headers ("Name: value", NULL-terminated array; no CR or
 * LF). Any HTTP status is SP_OK: check resp->status. Failures: SP_ERR_INVALID
 * (bad arguments), SP_ERR_UNAVAILABLE (cannot connect or resolve),
 * SP_ERR_TIMEOUT, SP_ERR_CRYPTO (TLS handshake or verification), SP_ERR_TOO_LARGE
 * (body over resp's cap), SP_ERR_IO (other transfer errors); ei carries
 * curl's error text. resp is reset first and is the caller's.
 */
int client_request(struct client *c, const char *method, const char *path, const void *body,
		   size_t bodylen, const char *content_type, const char *const *headers,
		   struct client_response *resp, struct sp_errinfo *ei) SP_WUR;

/*
 * A header of the last response c received (name case-insensitive; the
 * last one when repeated) into out: SP_OK, SP_ERR_NOT_FOUND (absent) or
 * SP_ERR_TOO_LARGE (longer than outlen - 1). The value is the server's:
 * clean it before printing.
 */
int client_response_header(struct client *c, const char *name, char *out, size_t outlen) SP_WUR;

/*
 * One line describing an error response, for the CLI: "409 Conflict
 * (stale_revision): another revision landed" from a problem+json body
 * (title, code, detail), or the status and the start of a plain body.
 * Control characters from the server are replaced. Always NUL-terminates out.
 */
void client_error_format(const struct client_response *resp, char *out, size_t outlen);

/*
 * Read a token PIN into pin (n bytes, NUL-terminated): from the first line of
 * pin_file when given, else $SEALPACT_PIN, else a prompt on the controlling
 * terminal with echo turned off before the prompt shows. The caller wipes
 * pin after use. Returns SP_OK, SP_ERR_IO for an unreadable file, or
 * SP_ERR_INVALID (empty, too long, no terminal). Any thread; interactive.
 */
int client_pin_read(const char *pin_file, char *pin, size_t n, struct sp_errinfo *ei) SP_WUR;

/*
 * Terminal-safe text: copy s (NULL is "") into out (outlen bytes, always
 * NUL-terminated when outlen > 0, cut on a character boundary) with every
 * C0 control (newline and tab included), DEL, C1 control (a raw byte or
 * UTF-8 U+0080..U+009F), bidi embedding, override, isolate or mark and line
 * or paragraph separator, and every malformed UTF-8 byte, replaced by '?'.
 * Returns out. Every print of text that came from the server or from a PDF
 * goes through here. Any thread.
 */
char *client_text_clean(const char *s, char *out, size_t outlen);

/*
 * The string obj[key] made terminal-safe (client_text_clean) in place in the
 * document, so the pointer lives as long as obj; absent when the member is
 * missing, not a string, or memory runs out. CLI thread (changes obj).
 */
const char *client_json_text(json_t *obj, const char *key, const char *absent);

struct crypto_verify_report;

/*
 * The CLI's exit status for a report: 0 every signature valid (allowed
 * changes included) and the last revision signed; 1 invalid or disallowed
 * changes; 2 indeterminate (untrusted, unknown revocation, an unsigned last
 * revision); 3 no signature (also for NULL). Any thread.
 */
int client_verify_exit_code(const struct crypto_verify_report *r);

/*
 * A usage error: "sealpact: CMD: " and the message on stderr, then where to
 * look ("Run 'sealpact help CMD' for usage."; the global --help when cmd is
 * NULL). Returns 64 (EX_USAGE), the status to exit with. CLI thread.
 */
int client_usage(const char *cmd, const char *fmt, ...) SP_PRINTF(2, 3);

/*
 * The usage error for what getopt_long refused: ch is what it returned,
 * '?' (an unknown option) or ':' (one without its value; the short options
 * start with ':' and opterr is 0, so that getopt prints nothing itself).
 * Names the option as typed. Returns 64. CLI thread.
 */
int client_option_error(const char *cmd, int ch, char *const argv[]);

/*
 * Every command that writes a file names it with -o FILE (--output FILE).
 * download, seal form and sign --offline took it as an argument before; that
 * form still works, so that scripts keep running, and this prints the note
 * that says what to write instead: "sealpact: CMD: note: ..., write 'sealpact
 * NOW'" on stderr. CLI thread.
 */
void client_output_deprecated(const char *cmd, const char *now);

/*
 * Reads -o FILE (--output FILE), the one option of download, evidence and
 * seal form: *out is the file, or NULL when not given, and optind is left
 * at the first other argument (getopt_long permutes: the option may stand
 * anywhere). Returns 0, or the usage status (64, printed) for an unknown
 * option or a missing or empty value. CLI thread.
 */
int client_output_opt(const char *cmd, int argc, char **argv, const char **out);

/*
 * The contract number a command starts with, the first of its n arguments:
 * 0 when it is one (19 digits), else the usage status (64, printed) that asks
 * for what (a missing one: "give WHAT") or names what was typed ("'12' is not
 * a contract number ..."). CLI thread.
 */
int client_number_arg(const char *cmd, int n, char *const *args, const char *what);

#endif /* SP_CLIENT_H */
