/*
 * sign_int.h: `sealpact sign` (private to client/): placements from the
 * command line, the certificate read from a token before the PIN is asked,
 * and the online (sign.c) and offline (sign_offline.c) flows.
 *
 * Threads: the CLI's one thread.
 */
#ifndef SP_CLIENT_SIGN_INT_H
#define SP_CLIENT_SIGN_INT_H

#include <stddef.h>

#include <jansson.h>

#include "login_int.h"
#include "pdf.h"
#include "sp.h"

#define SIGN_MAX_PLACEMENTS 64
#define SIGN_PIN_MAX 256

/* The options of one `sealpact sign` run (strings borrowed from argv/env). */
struct sign_opts {
	struct client_signer_opts so; /* token or PEM key; so.pin unset until asked */
	const char *pin_file;
	int offline;
	const char *cafile;  /* PEM CAs for every https peer (server, TSA); NULL: system */
	const char *tsa_url; /* offline: external TSA, or NULL */
	const char *tsa_cert, *tsa_key; /* offline: a development built-in TSA */
	const char *tsa_trust;          /* offline: PEM the TSA must chain to, or NULL */
	const char *seal_png;           /* offline: the seal image */
	const char *seal_id;            /* online: the seal placements show (its id), or NULL */
	const char *chain_pem;          /* offline: CA certificates to embed (PEM), or NULL */
	const char *reason;
	const char *date_zone; /* offline: IANA zone of the date seal, NULL = SP_TZ_DEFAULT */
	/* offline PAdES level: 0 B-B, 1 B-T, 2 B-LT, 3 B-LTA; -1 not given (B-T with a TSA,
	   else B-B) */
	int level;
	const char *roots[8]; /* offline B-LT: trusted roots the chains are built to */
	size_t nroots;
	const char *crls[16]; /* offline B-LT: CRL files (evidence where OCSP gives none) */
	size_t ncrls;
	const char *ocsps[16]; /* offline B-LT: OCSP responses (DER files) to embed */
	size_t nocsps;
	const char *ocsp_allow; /* offline B-LT: private hosts AIA responders may be at */
	struct pdf_placement pl[SIGN_MAX_PLACEMENTS];
	size_t npl;
	char text[SIGN_MAX_PLACEMENTS][3][256]; /* storage for the placements' strings */
};

/*
 * Parse one placement flag's value: kind is "normal" (PAGE,X,Y), "multi"
 * (PAGES,X,Y), "seam" (PAGES,Y), "keyword" (TEXT[,OCC]) or "date"
 * (PAGE,X,Y). Appends to o->pl. SP_ERR_INVALID with a message otherwise.
 */
int sign_placement_parse(struct sign_opts *o, const char *kind, const char *arg,
			 struct sp_errinfo *ei) SP_WUR;

/* The placements as the API's JSON array (new reference) or NULL on OOM. */
json_t *sign_placements_json(const struct sign_opts *o);

/* Print resolved rectangles (API JSON array) to stdout, one line each. */
void sign_rects_print(json_t *rects);

/*
 * What the options name of the signer, before anything is read: --key with
 * --cert, or a PKCS#11 module and a --key-id in hex. SP_ERR_INVALID (the
 * message names the option) otherwise.
 */
int sign_signer_check(const struct client_signer_opts *so, struct sp_errinfo *ei) SP_WUR;

/*
 * The signing certificate as DER (*der malloc'd), read WITHOUT the PIN: from
 * so->cert_pem with a PEM key, else the public certificate object on the
 * token (matching key id / label), so the user sees where the seals go before
 * entering the PIN.
 */
int sign_cert_read(const struct client_signer_opts *so, unsigned char **der, size_t *len,
		   struct sp_errinfo *ei) SP_WUR;

/* `sealpact sign` (argv[0] is the command name); returns the exit status. */
int client_cmd_sign(const char *server, const char *cafile, long timeout_s, int argc, char **argv);

/* The two flows: return the process exit status. */
int sign_run_online(const char *server, const char *cafile, long timeout_s, struct sign_opts *o,
		    const char *number);
int sign_run_offline(struct sign_opts *o, const char *in, const char *out);

#endif /* SP_CLIENT_SIGN_INT_H */
