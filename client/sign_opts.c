/*
 * sign_opts.c: what `sealpact sign` needs before the PIN: placements from
 * the command line, the certificate (a token's certificate objects are
 * public, so no login is needed to read it), the rectangles shown to the
 * user, and then the PIN itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* See token.c: libp11.h names two types OPENSSL_NO_DEPRECATED hides. */
typedef struct rsa_meth_st RSA_METHOD;
typedef struct ec_key_method_st EC_KEY_METHOD;

#include <libp11.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "client.h"
#include "sign_int.h"

/* ---- placements --------------------------------------------------------------- */

static int
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	/* "nan" and "inf" are no place on a page (and JSON has no number for them) */
	return errno == 0 && end != s && *end == '\0' && isfinite(*out) ? 0 : -1;
}

/* Split "A,B,C" from the right into head + n numbers (the head may hold commas). */
static int
split_numbers(const char *arg, char *head, size_t headlen, double *nums, int n)
{
	char buf[256];
	char *c;
	int i;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", arg);
	for (i = n - 1; i >= 0; i--) {
		if ((c = strrchr(buf, ',')) == NULL || parse_double(c + 1, &nums[i]) != 0)
			return -1;
		*c = '\0';
	}
	if (buf[0] == '\0' || strlen(buf) >= headlen)
		return -1;
	snprintf(head, headlen, "%s", buf);
	return 0;
}

/* What pdf_page_range_parse reads over the hits: "all", or numbers and ranges
   from a digit on ("1,3", "2-4", "1, 3-5"); "Party B, 2" stays a keyword. */
static int
occ_like(const char *s)
{
	if (strcmp(s, "all") == 0)
		return 1;
	return *s >= '0' && *s <= '9' && strspn(s, "0123456789,- ") == strlen(s);
}

int
sign_placement_parse(struct sign_opts *o, const char *kind, const char *arg, struct sp_errinfo *ei)
{
	struct pdf_placement *p;
	char(*t)[256];
	double v[3];
	int64_t page;
	char *c;

	if (o->npl >= SIGN_MAX_PLACEMENTS)
		return sp_err(ei, SP_ERR_INVALID, "at most %d placements", SIGN_MAX_PLACEMENTS);
	p = &o->pl[o->npl];
	t = o->text[o->npl];
	memset(p, 0, sizeof(*p));
	if (strcmp(kind, "normal") == 0 || strcmp(kind, "date") == 0) {
		p->mode = kind[0] == 'n' ? PDF_PLACE_NORMAL : PDF_PLACE_DATE;
		/* The page as an integer, not a double: (int) of 1e30 is undefined. */
		if (split_numbers(arg, t[0], sizeof(t[0]), &v[1], 2) != 0 ||
		    sp_parse_i64(t[0], 1, INT_MAX, &page) != SP_OK)
			return sp_err(ei, SP_ERR_INVALID, "--%s wants PAGE,X,Y (e.g. 1,400,120)",
				      kind);
		p->page = (int)page;
		p->x = v[1];
		p->y = v[2];
	} else if (strcmp(kind, "multi") == 0) {
		p->mode = PDF_PLACE_MULTI;
		if (split_numbers(arg, t[0], sizeof(t[0]), v, 2) != 0)
			return sp_err(ei, SP_ERR_INVALID,
				      "--multi wants PAGES,X,Y (e.g. 1-3,400,120)");
		p->pages = t[0];
		p->x = v[0];
		p->y = v[1];
	} else if (strcmp(kind, "seam") == 0) {
		p->mode = PDF_PLACE_SEAM;
		if (split_numbers(arg, t[0], sizeof(t[0]), v, 1) != 0)
			return sp_err(ei, SP_ERR_INVALID, "--seam wants PAGES,Y (e.g. all,400)");
		p->pages = t[0];
		p->y = v[0];
	} else if (strcmp(kind, "keyword") == 0) {
		p->mode = PDF_PLACE_KEYWORD;
		if (arg[0] == '\0' || strlen(arg) >= sizeof(t[0]))
			return sp_err(ei, SP_ERR_INVALID, "--keyword wants TEXT[,OCCURRENCES]");
		snprintf(t[0], sizeof(t[0]), "%s", arg);
		/* "乙方（盖章）,all" or "...,1,3": the first comma after which all is occurrences */
		for (c = strchr(t[0], ','); c != NULL; c = strchr(c + 1, ',')) {
			if (occ_like(c + 1) && c != t[0]) {
				*c = '\0';
				snprintf(t[1], sizeof(t[1]), "%s", c + 1);
				p->occurrences = t[1];
				break;
			}
		}
		p->keyword = t[0];
	} else if (strcmp(kind, "field") == 0) {
		p->mode = PDF_PLACE_FIELD;
		if (arg[0] == '\0' || strlen(arg) >= sizeof(t[0]))
			return sp_err(ei, SP_ERR_INVALID,
				      "--field wants the signature field's name");
		snprintf(t[0], sizeof(t[0]), "%s", arg);
		p->field = t[0];
	} else {
		return sp_err(ei, SP_ERR_INVALID, "unknown placement kind %s", kind);
	}
	o->npl++;
	return SP_OK;
}

json_t *
sign_placements_json(const struct sign_opts *o)
{
	static const char *const modes[] = { "",        "normal", "multi", "seam",
					     "keyword", "date",   "field" };
	json_t *a = json_array(), *e;
	size_t i;

	for (i = 0; a != NULL && i < o->npl; i++) {
		const struct pdf_placement *p = &o->pl[i];

		e = json_pack("{s:s}", "mode", modes[p->mode]);
		if (e == NULL)
			break;
		if (p->mode == PDF_PLACE_NORMAL || p->mode == PDF_PLACE_DATE)
			json_object_set_new(e, "page", json_integer(p->page));
		if (p->pages != NULL)
			json_object_set_new(e, "pages", json_string(p->pages));
		if (p->mode != PDF_PLACE_KEYWORD && p->mode != PDF_PLACE_SEAM &&
		    p->mode != PDF_PLACE_FIELD)
			json_object_set_new(e, "x", json_real(p->x));
		if (p->mode != PDF_PLACE_KEYWORD && p->mode != PDF_PLACE_FIELD)
			json_object_set_new(e, "y", json_real(p->y));
		if (p->field != NULL)
			json_object_set_new(e, "field", json_string(p->field));
		if (p->keyword != NULL)
			json_object_set_new(e, "keyword", json_string(p->keyword));
		if (p->occurrences != NULL)
			json_object_set_new(e, "occurrence", json_string(p->occurrences));
		/* The organization's seal (`seal list`); a date seal shows no picture. */
		if (o->seal_id != NULL && p->mode != PDF_PLACE_DATE)
			json_object_set_new(e, "seal", json_string(o->seal_id));
		json_array_append_new(a, e);
	}
	return a;
}

void
sign_rects_print(json_t *rects)
{
	size_t i;
	json_t *r;

	printf("Seal placements (page: x0,y0 - x1,y1 in points, bottom-left origin):\n");
	if (json_array_size(rects) == 0)
		printf("  none: an invisible signature\n");
	json_array_foreach(rects, i, r)
	{
		printf("  #%lld %-7s page %lld: %.1f,%.1f - %.1f,%.1f",
		       (long long)json_integer_value(json_object_get(r, "placement")),
		       client_json_text(r, "mode", "-"),
		       (long long)json_integer_value(json_object_get(r, "page")),
		       json_number_value(json_object_get(r, "x0")),
		       json_number_value(json_object_get(r, "y0")),
		       json_number_value(json_object_get(r, "x1")),
		       json_number_value(json_object_get(r, "y1")));
		if (json_integer_value(json_object_get(r, "slices")) > 1)
			printf(" (slice %lld of %lld)",
			       (long long)json_integer_value(json_object_get(r, "slice")) + 1,
			       (long long)json_integer_value(json_object_get(r, "slices")));
		printf("\n");
	}
	fflush(stdout);
}

/* ---- the certificate, before the PIN --------------------------------------------------- */

static int
x509_der(X509 *x, unsigned char **der, size_t *len, struct sp_errinfo *ei)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	if (n <= 0)
		return sp_err(ei, SP_ERR_CRYPTO, "cannot encode the certificate");
	if ((*der = malloc((size_t)n)) == NULL) {
		OPENSSL_free(p);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(p);
	return SP_OK;
}

int
sign_signer_check(const struct client_signer_opts *so, struct sp_errinfo *ei)
{
	unsigned char id[64];
	size_t n = 0;

	if (so->key_pem != NULL)
		return so->cert_pem != NULL ? SP_OK
					    : sp_err(ei, SP_ERR_INVALID, "--key needs --cert");
	if (so->module == NULL)
		return sp_err(ei, SP_ERR_INVALID,
			      "no PKCS#11 module: pass --module (or SEALPACT_PKCS11_MODULE), "
			      "or --key and --cert");
	if (so->key_id != NULL &&
	    (sp_hex_decode(so->key_id, strlen(so->key_id), id, sizeof(id), &n) != SP_OK || n == 0))
		return sp_err(ei, SP_ERR_INVALID, "--key-id must be hex (e.g. 01)");
	return SP_OK;
}

static int
token_cert(const struct client_signer_opts *so, unsigned char **der, size_t *len,
	   struct sp_errinfo *ei)
{
	PKCS11_CTX *ctx = NULL;
	PKCS11_SLOT *slots = NULL, *slot = NULL;
	PKCS11_CERT *certs = NULL, *cert = NULL;
	unsigned int nslots = 0, ncerts = 0, i, nmatch = 0;
	unsigned char want[64];
	size_t want_len = 0;
	int r = SP_ERR_INTERNAL;

	if ((r = sign_signer_check(so, ei)) != SP_OK)
		return r;
	if (so->key_id != NULL &&
	    sp_hex_decode(so->key_id, strlen(so->key_id), want, sizeof(want), &want_len) != SP_OK)
		return sp_err(ei, SP_ERR_INVALID, "--key-id must be hex (e.g. 01)");
	if ((ctx = PKCS11_CTX_new()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (PKCS11_CTX_load(ctx, so->module) != 0) {
		PKCS11_CTX_free(ctx);
		return sp_err(ei, SP_ERR_IO, "cannot load the PKCS#11 module %s", so->module);
	}
	if (PKCS11_enumerate_slots(ctx, &slots, &nslots) != 0) {
		r = sp_err(ei, SP_ERR_IO, "cannot list the PKCS#11 slots");
		goto out;
	}
	for (i = 0; i < nslots; i++) {
		PKCS11_TOKEN *t = slots[i].token;

		if (t == NULL || !t->initialized ||
		    (so->token_label != NULL && strcmp(t->label, so->token_label) != 0) ||
		    (so->token_serial != NULL && strcmp(t->serialnr, so->token_serial) != 0))
			continue;
		slot = &slots[i];
		nmatch++;
	}
	if (nmatch != 1) {
		if (nmatch == 0)
			r = sp_err(ei, SP_ERR_NOT_FOUND, "no token%s%s is present%s",
				   so->token_label != NULL ? " labelled " : "",
				   so->token_label != NULL ? so->token_label : "",
				   client_token_hint(so->module));
		else
			r = sp_err(ei, SP_ERR_INVALID,
				   "%u tokens are present: choose one with --token LABEL", nmatch);
		goto out;
	}
	if (PKCS11_enumerate_certs(slot->token, &certs, &ncerts) != 0) {
		r = sp_err(ei, SP_ERR_IO, "cannot list the token's certificates");
		goto out;
	}
	nmatch = 0;
	for (i = 0; i < ncerts; i++) {
		if (certs[i].x509 == NULL)
			continue;
		if (want_len > 0 && (certs[i].id_len != want_len ||
				     memcmp(certs[i].id, want, certs[i].id_len) != 0))
			continue;
		if (so->key_label != NULL &&
		    (certs[i].label == NULL || strcmp(certs[i].label, so->key_label) != 0))
			continue;
		cert = &certs[i];
		nmatch++;
	}
	if (nmatch != 1) {
		r = sp_err(ei, nmatch == 0 ? SP_ERR_NOT_FOUND : SP_ERR_INVALID,
			   nmatch == 0 ? "no matching certificate on the token"
				       : "%u certificates on the "
					 "token: choose with --key-id",
			   nmatch);
		goto out;
	}
	r = x509_der(cert->x509, der, len, ei);
out:
	if (slots != NULL)
		PKCS11_release_all_slots(ctx, slots, nslots);
	PKCS11_CTX_unload(ctx);
	PKCS11_CTX_free(ctx);
	return r;
}

int
sign_cert_read(const struct client_signer_opts *so, unsigned char **der, size_t *len,
	       struct sp_errinfo *ei)
{
	X509 *x = NULL;
	FILE *f;
	int r;

	*der = NULL;
	*len = 0;
	if (so->key_pem == NULL)
		return token_cert(so, der, len, ei);
	if ((r = sign_signer_check(so, ei)) != SP_OK)
		return r;
	if ((f = fopen(so->cert_pem, "r")) == NULL)
		return sp_err(ei, SP_ERR_IO, "cannot open %s: %s", so->cert_pem, strerror(errno));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		return sp_err(ei, SP_ERR_INVALID, "%s holds no PEM certificate", so->cert_pem);
	r = x509_der(x, der, len, ei);
	X509_free(x);
	return r;
}

/* ---- the PIN ------------------------------------------------------------------------------ */
