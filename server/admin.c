/*
 * admin.c: reviewer passwords (scrypt) and `sealpactd admin`, the operator's
 * commands that are not HTTP routes:
 *
 *   sealpactd [-c FILE] admin create-reviewer --username U [--name N]
 *   sealpactd [-c FILE] admin set-reviewer-password --username U
 *
 * The password comes from stdin (one line), or from a prompt without echo
 * when stdin is a terminal. A new password ends every session the reviewer
 * holds (one that leaked is of no more use than the old password). The
 * commands are blocking (db_auth_reviewer_create, _password_set: db/'s
 * blocking calls for them) because they run in their own short-lived
 * process, never on the server's loop.
 */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth_int.h"
#include "config.h"
#include "db.h"

/* scrypt cost: 2^15 * 8 * 128 bytes = 32 MiB and ~0.1 s per check. */
#define SCRYPT_N 32768ULL
#define SCRYPT_R 8ULL
#define SCRYPT_P 1ULL
#define SCRYPT_SALT 16
#define SCRYPT_KEY 32
/* Bounds on stored parameters, so a bad row cannot make a check eat the host. */
#define SCRYPT_MAXMEM (256ULL * 1024 * 1024)
#define SCRYPT_N_MAX (1ULL << 20)
#define SCRYPT_R_MAX 32ULL
#define SCRYPT_P_MAX 16ULL
#define PASSWORD_MIN 8

static int
scrypt_derive(const char *password, const unsigned char *salt, size_t saltlen, uint64_t n,
	      uint64_t r, uint64_t p, unsigned char *key, size_t keylen, struct sp_errinfo *ei)
{
	if (EVP_PBE_scrypt(password, strlen(password), salt, saltlen, n, r, p, SCRYPT_MAXMEM, key,
			   keylen) != 1)
		return sp_err(ei, SP_ERR_CRYPTO, "scrypt failed");
	return SP_OK;
}

int
auth_password_hash(const char *password, char **out, struct sp_errinfo *ei)
{
	unsigned char salt[SCRYPT_SALT], key[SCRYPT_KEY];
	char *s_salt = NULL, *s_key = NULL;
	struct sp_buf b;
	size_t len;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	sp_buf_init(&b, 512);
	if (strlen(password) > AUTH_PASSWORD_MAX) {
		r = sp_err(ei, SP_ERR_TOO_LARGE, "password longer than %d bytes",
			   AUTH_PASSWORD_MAX);
		goto out;
	}
	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		r = sp_err(ei, SP_ERR_CRYPTO, "no randomness for the salt");
		goto out;
	}
	if ((r = scrypt_derive(password, salt, sizeof(salt), SCRYPT_N, SCRYPT_R, SCRYPT_P, key,
			       sizeof(key), ei)) != SP_OK)
		goto out;
	r = SP_ERR_NOMEM;
	if ((s_salt = sp_b64_encode(salt, sizeof(salt), 0)) == NULL ||
	    (s_key = sp_b64_encode(key, sizeof(key), 0)) == NULL)
		goto out;
	if ((r = sp_buf_printf(&b, "scrypt$%llu$%llu$%llu$%s$%s", SCRYPT_N, SCRYPT_R, SCRYPT_P,
			       s_salt, s_key)) != SP_OK)
		goto out;
	*out = (char *)sp_buf_take(&b, &len);
	r = SP_OK;
out:
	sp_wipe(key, sizeof(key));
	free(s_salt);
	free(s_key);
	sp_buf_cleanup(&b);
	return r;
}

/* A decimal field of the stored string; the end must be '$'. */
static int
parse_u64(const char **s, uint64_t max, uint64_t *v)
{
	const char *end = strchr(*s, '$');

	if (end == NULL || sp_parse_u64n(*s, (size_t)(end - *s), 1, max, v) != SP_OK)
		return SP_ERR_INVALID;
	*s = end + 1;
	return SP_OK;
}

int
auth_password_verify(const char *password, const char *stored, struct sp_errinfo *ei)
{
	unsigned char *salt = NULL, *want = NULL, key[64];
	size_t saltlen = 0, wantlen = 0;
	uint64_t n = 0, rr = 0, p = 0;
	const char *s = stored, *dollar;
	int r = SP_ERR_INTERNAL;

	if (strncmp(s, "scrypt$", 7) != 0)
		goto bad;
	s += 7;
	if (parse_u64(&s, SCRYPT_N_MAX, &n) != SP_OK || (n & (n - 1)) != 0 ||
	    parse_u64(&s, SCRYPT_R_MAX, &rr) != SP_OK || parse_u64(&s, SCRYPT_P_MAX, &p) != SP_OK ||
	    128 * n * rr * p > SCRYPT_MAXMEM / 2)
		goto bad;
	if ((dollar = strchr(s, '$')) == NULL ||
	    sp_b64_decode(s, (size_t)(dollar - s), 64, 0, &salt, &saltlen) != SP_OK ||
	    sp_b64_decode(dollar + 1, SIZE_MAX, sizeof(key), 0, &want, &wantlen) != SP_OK ||
	    wantlen < 16)
		goto bad;
	if (strlen(password) > AUTH_PASSWORD_MAX) {
		r = sp_err(ei, SP_ERR_UNAUTHORIZED, "wrong password");
		goto out;
	}
	if ((r = scrypt_derive(password, salt, saltlen, n, rr, p, key, wantlen, ei)) != SP_OK)
		goto out;
	r = sp_secret_equal(key, want, wantlen) ? SP_OK
						: sp_err(ei, SP_ERR_UNAUTHORIZED, "wrong password");
	goto out;
bad:
	r = sp_err(ei, SP_ERR_INVALID, "stored password hash is malformed");
out:
	sp_wipe(key, sizeof(key));
	free(salt);
	free(want);
	return r;
}

/* ---- the command ---------------------------------------------------------------- */

#define EX_USAGE_ 64
#define EX_CONFIG_ 78

static void
admin_usage(FILE *f)
{
	fprintf(f,
		"usage: sealpactd [-c FILE] admin create-reviewer --username U [--name N]\n"
		"       sealpactd [-c FILE] admin set-reviewer-password --username U\n"
		"  The password is read from stdin (one line), or prompted for without\n"
		"  echo when stdin is a terminal. At least %d characters. A new password\n"
		"  ends every session the reviewer holds.\n",
		PASSWORD_MIN);
}

/* Read one line into buf (capped); strips the newline. Returns 0, or -1 on EOF/too long. */
static int
read_line(FILE *f, char *buf, size_t n)
{
	size_t len;

	if (fgets(buf, (int)n, f) == NULL)
		return -1;
	len = strcspn(buf, "\r\n");
	if (buf[len] == '\0' && len == n - 1)
		return -1; /* no newline within the cap: too long */
	buf[len] = '\0';
	return 0;
}

static int
read_password_tty(const char *prompt, char *buf, size_t n)
{
	struct termios old, noecho;
	int rc;

	/* Echo off before the prompt shows, so nothing typed early is echoed. */
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) != 0)
		return -1;
	fputs(prompt, stderr);
	fflush(stderr);
	rc = read_line(stdin, buf, n);
	(void)tcsetattr(STDIN_FILENO, TCSANOW, &old);
	fputc('\n', stderr);
	return rc;
}

static int
read_password(char *buf, size_t n)
{
	char again[AUTH_PASSWORD_MAX + 2];
	int rc;

	if (!isatty(STDIN_FILENO))
		return read_line(stdin, buf, n);
	if (read_password_tty("Password: ", buf, n) != 0 ||
	    read_password_tty("Password again: ", again, sizeof(again)) != 0)
		return -1;
	rc = strlen(buf) == strlen(again) && sp_secret_equal(buf, again, strlen(buf)) ? 0 : -2;
	sp_wipe(again, sizeof(again));
	return rc;
}

static int
username_valid(const char *u)
{
	regex_t re;
	int ok;

	if (regcomp(&re, "^[a-z0-9][a-z0-9._-]{0,63}$", REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&re, u, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/*
 * The password read (read_password) and checked, hashed into *hash; 0, or
 * 1 once said why not on stderr, EX_CONFIG_ without database.url.
 */
static int
new_password_hash(const struct config *cfg, char **hash)
{
	char password[AUTH_PASSWORD_MAX + 2];
	struct sp_errinfo ei;
	int rc = 1, prc;

	*hash = NULL;
	sp_errinfo_init(&ei);
	if ((prc = read_password(password, sizeof(password))) != 0) {
		fprintf(stderr, "sealpactd: admin: %s\n",
			prc == -2 ? "the passwords differ"
				  : "no password on stdin (or longer than 1024 bytes)");
		goto out;
	}
	if (strlen(password) < PASSWORD_MIN) {
		fprintf(stderr, "sealpactd: admin: the password needs at least %d characters\n",
			PASSWORD_MIN);
		goto out;
	}
	if (auth_password_hash(password, hash, &ei) != SP_OK) {
		fprintf(stderr, "sealpactd: admin: %s\n", ei.msg);
		goto out;
	}
	if (cfg->database.url == NULL || *cfg->database.url == '\0') {
		fprintf(stderr, "sealpactd: admin: database.url is not set\n");
		rc = EX_CONFIG_;
		goto out;
	}
	rc = 0;
out:
	sp_wipe(password, sizeof(password));
	return rc;
}

static void
hash_free(char *hash)
{
	if (hash != NULL)
		sp_wipe(hash, strlen(hash));
	free(hash);
}

/*
 * A new reviewer (name given) or a reviewer's new password (name NULL, which
 * ends every session the reviewer holds): the password read, hashed, stored.
 */
static int
store_reviewer(const struct config *cfg, const char *username, const char *name)
{
	struct sp_errinfo ei;
	int64_t n = 0;
	char *hash = NULL;
	int rc, r;

	if ((rc = new_password_hash(cfg, &hash)) != 0)
		goto out;
	rc = 1;
	sp_errinfo_init(&ei);
	r = name != NULL
		    ? db_auth_reviewer_create(cfg->database.url, username, name, hash, &n, &ei)
		    : db_auth_reviewer_password_set(cfg->database.url, username, hash, &n, &ei);
	if (r != SP_OK) {
		if (strcmp(ei.reason, "username_taken") == 0)
			fprintf(stderr, "sealpactd: admin: username '%s' is taken\n", username);
		else if (strcmp(ei.reason, "reviewer_not_found") == 0)
			fprintf(stderr, "sealpactd: admin: no reviewer '%s'\n", username);
		else
			fprintf(stderr, "sealpactd: admin: %s\n", ei.msg);
		goto out;
	}
	if (name != NULL)
		printf("reviewer '%s' created (user id %lld)\n", username, (long long)n);
	else
		printf("reviewer '%s': password set, %lld session(s) ended\n", username,
		       (long long)n);
	rc = 0;
out:
	hash_free(hash);
	return rc;
}

int
admin_main(const struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *username = NULL, *name = NULL;
	int c, set;

	if (argc < 2 || (strcmp(argv[1], "create-reviewer") != 0 &&
			 strcmp(argv[1], "set-reviewer-password") != 0)) {
		admin_usage(stderr);
		return EX_USAGE_;
	}
	set = strcmp(argv[1], "set-reviewer-password") == 0;
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			username = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			admin_usage(stdout);
			return 0;
		default:
			admin_usage(stderr);
			return EX_USAGE_;
		}
	}
	if (optind < argc || username == NULL || (set && name != NULL)) {
		admin_usage(stderr);
		return EX_USAGE_;
	}
	if (!username_valid(username)) {
		fprintf(stderr, "sealpactd: admin: the username must be 1-64 characters of "
				"a-z 0-9 . _ - starting with a letter or digit\n");
		return EX_USAGE_;
	}
	if (set)
		return store_reviewer(cfg, username, NULL);
	if (name == NULL)
		name = username;
	if (strlen(name) == 0 || strlen(name) > 200) {
		fprintf(stderr, "sealpactd: admin: the name must be 1-200 characters\n");
		return EX_USAGE_;
	}
	return store_reviewer(cfg, username, name);
}
