/*
 * login_int.h: the signing terminal's identity pieces (private to client/):
 * a signer (a key on a PKCS#11 token through libp11, or a PEM key for
 * development), the saved session, and the login/logout/whoami commands.
 *
 * Threads: everything here is for the CLI's one thread.
 */
#ifndef SP_CLIENT_LOGIN_INT_H
#define SP_CLIENT_LOGIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sp.h"

/* ---- token.c: signers ---------------------------------------------------- */

struct client_signer_opts {
	const char *module;       /* PKCS#11 module path; NULL with key_pem */
	const char *token_label;  /* token to use (label), or NULL */
	const char *token_serial; /* or its serial number, or NULL (then the only token) */
	const char *key_id;       /* CKA_ID in hex ("01"), or NULL */
	const char *key_label;    /* CKA_LABEL, or NULL (then the only key) */
	const char *pin;          /* the user PIN (borrowed; the caller wipes it) */
	const char *key_pem;      /* development: a PEM private key file instead of a token */
	const char *cert_pem;     /* its PEM certificate (with key_pem) */
};

struct client_signer;

/*
 * Open a signer: with key_pem, load key and certificate files (they must
 * match); else load the PKCS#11 module, find the token, log in with the PIN,
 * find the private key and the certificate with the same CKA_ID (or label).
 * Returns SP_OK and *out (client_signer_free), SP_ERR_NOT_FOUND for a missing
 * token/key/certificate, SP_ERR_UNAUTHORIZED for a wrong PIN, SP_ERR_IO for a
 * module or file that cannot be loaded; ei says which.
 */
int client_signer_open(const struct client_signer_opts *o, struct client_signer **out,
		       struct sp_errinfo *ei) SP_WUR;
void client_signer_free(struct client_signer *s);

/*
 * What to add to "no token ... is present" for this PKCS#11 module: for
 * SoftHSM2, whether SOFTHSM2_CONF is set and what to set it to; "" for
 * other modules. A static string.
 */
const char *client_token_hint(const char *module);

/* The signer's certificate as DER (malloc'd). */
int client_signer_cert_der(struct client_signer *s, unsigned char **der, size_t *len,
			   struct sp_errinfo *ei) SP_WUR;

/*
 * Sign data (hashed by the algorithm: SHA-256 for RSA PKCS#1 v1.5 and ECDSA,
 * SM3 with the SM2 ID for SM2) into *sig (malloc'd; DER for ECDSA/SM2).
 * *alg_name gets the API's algorithm name (static).
 */
int client_signer_sign(struct client_signer *s, const uint8_t *data, size_t len, uint8_t **sig,
		       size_t *siglen, const char **alg_name, struct sp_errinfo *ei) SP_WUR;

/* ---- session.c: ~/.config/sealpact/session.json --------------------------------- */

/*
 * The session file's path: $XDG_CONFIG_HOME/sealpact/session.json, else
 * $HOME/.config/sealpact/session.json; for a profile NAME other than
 * "default", .../sealpact/profiles/NAME/session.json. Returns SP_OK,
 * SP_ERR_CONFIG, or SP_ERR_INVALID for a bad profile name.
 */
int client_session_path(char *out, size_t n, struct sp_errinfo *ei) SP_WUR;

/*
 * Save server + token (+ expires_at, + who: "organization (credit code)",
 * shown by `whoami --all`; both may be NULL) with mode 0600 in a 0700 directory,
 * replacing any earlier session atomically.
 */
int client_session_save(const char *server, const char *token, const char *expires_at,
			const char *who, struct sp_errinfo *ei) SP_WUR;

/* Profiles: NAME is 1..CLIENT_PROFILE_MAX of [a-z0-9_-], not starting with '-'/'_'. */
#define CLIENT_PROFILE_MAX 32
/* 0 when name is a valid profile name, else -1. */
int client_profile_check(const char *name);
/* The active profile (SEALPACT_PROFILE, which --profile sets), NULL = default. */
const char *client_profile_current(void);
/* Print every profile that has a saved session (`whoami --all`), no network. */
int client_profiles_list(struct sp_errinfo *ei) SP_WUR;

/*
 * Load the saved token for server into *token (malloc'd; the caller wipes
 * and frees it). SP_ERR_NOT_FOUND when there is no session (or it is for
 * another server), SP_ERR_INVALID for a damaged file or one others can read.
 */
int client_session_load(const char *server, char **token, struct sp_errinfo *ei) SP_WUR;

/* Remove the saved session (absent is fine). */
int client_session_remove(struct sp_errinfo *ei) SP_WUR;

/* ---- login.c: the commands --------------------------------------------------------- */

/* argv[0] is the command name; return the process exit status. */
int client_cmd_login(const char *server, const char *cafile, long timeout_s, int argc, char **argv);
int client_cmd_logout(const char *server, const char *cafile, long timeout_s, int argc,
		      char **argv);
int client_cmd_whoami(const char *server, const char *cafile, long timeout_s, int argc,
		      char **argv);

#endif /* SP_CLIENT_LOGIN_INT_H */
