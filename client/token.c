/*
 * token.c: signers for the terminal. A key on a PKCS#11 token ("UKey") is
 * reached through libp11, whose EVP_PKEY routes the private-key operation
 * to the token, so the same EVP_DigestSign code signs with a token key
 * (RSA PKCS#1 v1.5 / ECDSA, the DER conversion of the token's raw r||s done
 * inside libp11) and with a development PEM key (also SM2, which SoftHSM2
 * lacks). The private key never leaves the token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * libp11.h names two OpenSSL method types that OPENSSL_NO_DEPRECATED (set
 * for the whole build) hides; we never use them, so declare them opaque
 * here. C11 allows repeating an identical typedef.
 */
typedef struct rsa_meth_st RSA_METHOD;
typedef struct ec_key_method_st EC_KEY_METHOD;

#include <libp11.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "login_int.h"

#define HEX_ID_MAX 64

struct client_signer {
	PKCS11_CTX *ctx; /* NULL for a PEM signer */
	PKCS11_SLOT *slots;
	unsigned int nslots;
	EVP_PKEY *pkey; /* owned (a PEM key or libp11's wrapper) */
	X509 *cert;     /* owned copy */
};

void
client_signer_free(struct client_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	X509_free(s->cert);
	if (s->ctx != NULL) {
		if (s->slots != NULL)
			PKCS11_release_all_slots(s->ctx, s->slots, s->nslots);
		PKCS11_CTX_unload(s->ctx);
		PKCS11_CTX_free(s->ctx);
	}
	free(s);
}

static int
open_pem(const struct client_signer_opts *o, struct client_signer *s, struct sp_errinfo *ei)
{
	FILE *f;

	if (o->cert_pem == NULL)
		return sp_err(ei, SP_ERR_INVALID, "--key needs --cert (the PEM certificate)");
	if ((f = fopen(o->key_pem, "r")) == NULL)
		return sp_err(ei, SP_ERR_IO, "cannot open key %s", o->key_pem);
	s->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (s->pkey == NULL)
		return sp_err(ei, SP_ERR_INVALID, "%s holds no unencrypted PEM private key",
			      o->key_pem);
	if ((f = fopen(o->cert_pem, "r")) == NULL)
		return sp_err(ei, SP_ERR_IO, "cannot open certificate %s", o->cert_pem);
	s->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (s->cert == NULL)
		return sp_err(ei, SP_ERR_INVALID, "%s holds no PEM certificate", o->cert_pem);
	if (X509_check_private_key(s->cert, s->pkey) != 1)
		return sp_err(ei, SP_ERR_INVALID, "the key does not belong to the certificate");
	return SP_OK;
}

/* Does a token object (id, label) match what was asked for? */
const char *
client_token_hint(const char *module)
{
	const char *conf = getenv("SOFTHSM2_CONF");

	/* SoftHSM2 finds its tokens through SOFTHSM2_CONF; without it, the system's (none). */
	if (module == NULL || strstr(module, "softhsm") == NULL)
		return "";
	if (conf == NULL || *conf == '\0')
		return " (SOFTHSM2_CONF is not set: SoftHSM2 then looks in its system-wide "
		       "store; for the development tokens run 'export "
		       "SOFTHSM2_CONF=var/tokens/softhsm2.conf' as deploy/run.sh prints)";
	return " (SoftHSM2 reads the tokens named by SOFTHSM2_CONF; check that file and the "
	       "label: softhsm2-util --show-slots lists them)";
}

static int
object_matches(const struct client_signer_opts *o, const unsigned char *id, size_t id_len,
	       const char *label, const unsigned char *want_id, size_t want_len)
{
	if (want_len > 0 && (id_len != want_len || memcmp(id, want_id, id_len) != 0))
		return 0;
	if (o->key_label != NULL && (label == NULL || strcmp(label, o->key_label) != 0))
		return 0;
	return 1;
}

static PKCS11_SLOT *
find_slot(const struct client_signer_opts *o, struct client_signer *s, struct sp_errinfo *ei)
{
	PKCS11_SLOT *found = NULL;
	unsigned int i, n = 0;

	for (i = 0; i < s->nslots; i++) {
		PKCS11_TOKEN *t = s->slots[i].token;

		if (t == NULL || !t->initialized)
			continue;
		if (o->token_label != NULL && strcmp(t->label, o->token_label) != 0)
			continue;
		if (o->token_serial != NULL && strcmp(t->serialnr, o->token_serial) != 0)
			continue;
		found = &s->slots[i];
		n++;
	}
	if (n == 0) {
		sp_err(ei, SP_ERR_NOT_FOUND, "no token%s%s%s%s is present%s",
		       o->token_label ? " labelled " : "", o->token_label ? o->token_label : "",
		       o->token_serial ? " with serial " : "",
		       o->token_serial ? o->token_serial : "", client_token_hint(o->module));
		return NULL;
	}
	if (n > 1) {
		sp_err(ei, SP_ERR_INVALID, "%u tokens are present: choose one with --token LABEL",
		       n);
		return NULL;
	}
	return found;
}

static int
open_token(const struct client_signer_opts *o, struct client_signer *s, struct sp_errinfo *ei)
{
	unsigned char want_id[HEX_ID_MAX];
	PKCS11_SLOT *slot;
	PKCS11_KEY *keys = NULL, *key = NULL;
	PKCS11_CERT *certs = NULL, *cert = NULL;
	unsigned int nkeys = 0, ncerts = 0, i, nmatch = 0;
	size_t want_len = 0;

	if (o->key_id != NULL && (sp_hex_decode(o->key_id, strlen(o->key_id), want_id,
						sizeof(want_id), &want_len) != SP_OK ||
				  want_len == 0))
		return sp_err(ei, SP_ERR_INVALID, "--key-id must be hex (e.g. 01)");
	if ((s->ctx = PKCS11_CTX_new()) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (PKCS11_CTX_load(s->ctx, o->module) != 0) {
		PKCS11_CTX_free(s->ctx);
		s->ctx = NULL;
		return sp_err(ei, SP_ERR_IO, "cannot load the PKCS#11 module %s", o->module);
	}
	if (PKCS11_enumerate_slots(s->ctx, &s->slots, &s->nslots) != 0)
		return sp_err(ei, SP_ERR_IO, "cannot list the PKCS#11 slots");
	if ((slot = find_slot(o, s, ei)) == NULL)
		return ei != NULL ? ei->code : SP_ERR_NOT_FOUND;
	if (o->pin == NULL)
		return sp_err(ei, SP_ERR_INVALID, "no PIN");
	if (PKCS11_login(slot, 0, o->pin) != 0)
		return sp_err(ei, SP_ERR_UNAUTHORIZED, "the token refused the PIN");
	if (PKCS11_enumerate_keys(slot->token, &keys, &nkeys) != 0)
		return sp_err(ei, SP_ERR_IO, "cannot list the token's keys");
	for (i = 0; i < nkeys; i++) {
		if (keys[i].isPrivate && object_matches(o, keys[i].id, keys[i].id_len,
							keys[i].label, want_id, want_len)) {
			key = &keys[i];
			nmatch++;
		}
	}
	if (nmatch == 0)
		return sp_err(ei, SP_ERR_NOT_FOUND, "no matching private key on the token");
	if (nmatch > 1)
		return sp_err(ei, SP_ERR_INVALID, "%u private keys match: choose with --key-id",
			      nmatch);
	if (PKCS11_enumerate_certs(slot->token, &certs, &ncerts) != 0)
		return sp_err(ei, SP_ERR_IO, "cannot list the token's certificates");
	/* The certificate of the key: the same CKA_ID. */
	for (i = 0; i < ncerts; i++)
		if (certs[i].x509 != NULL && certs[i].id_len == key->id_len &&
		    memcmp(certs[i].id, key->id, key->id_len) == 0)
			cert = &certs[i];
	if (cert == NULL)
		return sp_err(ei, SP_ERR_NOT_FOUND,
			      "no certificate with the key's CKA_ID on the token");
	if ((s->cert = X509_dup(cert->x509)) == NULL ||
	    (s->pkey = PKCS11_get_private_key(key)) == NULL)
		return sp_err(ei, SP_ERR_IO, "cannot use the token's key");
	return SP_OK;
}

int
client_signer_open(const struct client_signer_opts *o, struct client_signer **out,
		   struct sp_errinfo *ei)
{
	struct client_signer *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (o->key_pem != NULL)
		r = open_pem(o, s, ei);
	else if (o->module != NULL)
		r = open_token(o, s, ei);
	else
		r = sp_err(ei, SP_ERR_INVALID, "no token module (--module) and no --key");
	if (r != SP_OK) {
		client_signer_free(s);
		return r;
	}
	*out = s;
	return SP_OK;
}

int
client_signer_cert_der(struct client_signer *s, unsigned char **der, size_t *len,
		       struct sp_errinfo *ei)
{
	unsigned char *p = NULL;
	int n;

	*der = NULL;
	*len = 0;
	if ((n = i2d_X509(s->cert, &p)) <= 0)
		return sp_err(ei, SP_ERR_CRYPTO, "cannot encode the certificate");
	/* Hand back a malloc'd copy: callers free() it. */
	if ((*der = malloc((size_t)n)) == NULL) {
		OPENSSL_free(p);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	memcpy(*der, p, (size_t)n);
	OPENSSL_free(p);
	*len = (size_t)n;
	return SP_OK;
}

int
client_signer_sign(struct client_signer *s, const uint8_t *data, size_t len, uint8_t **sig,
		   size_t *siglen, const char **alg_name, struct sp_errinfo *ei)
{
	enum crypto_sigalg alg = CRYPTO_SIGALG_NONE;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL, *sm2ctx = NULL;
	unsigned char *buf = NULL;
	size_t n = 0;
	int r = SP_ERR_INTERNAL;

	*sig = NULL;
	*siglen = 0;
	*alg_name = NULL;
	if ((r = crypto_sigalg_for_cert(s->cert, &alg, ei)) != SP_OK)
		goto out;
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		goto fail;
	if (alg == CRYPTO_SIGALG_SM2_SM3) {
		/* The distid enters SM3's Z value: set it before init (DESIGN §5). */
		if ((sm2ctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->pkey, NULL)) == NULL ||
		    EVP_PKEY_CTX_set1_id(sm2ctx, CRYPTO_SM2_ID, strlen(CRYPTO_SM2_ID)) <= 0)
			goto fail;
		EVP_MD_CTX_set_pkey_ctx(mctx, sm2ctx);
		if (EVP_DigestSignInit(mctx, NULL, EVP_sm3(), NULL, s->pkey) != 1)
			goto fail;
	} else {
		if (EVP_DigestSignInit(mctx, &pctx, EVP_sha256(), NULL, s->pkey) != 1)
			goto fail;
		if (alg == CRYPTO_SIGALG_RSA_SHA256 &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
			goto fail;
	}
	if (EVP_DigestSign(mctx, NULL, &n, data, len) != 1 || n == 0 || n > CRYPTO_SIG_MAX ||
	    (buf = malloc(n)) == NULL || EVP_DigestSign(mctx, buf, &n, data, len) != 1)
		goto fail;
	*sig = buf;
	buf = NULL; /* transferred */
	*siglen = n;
	*alg_name = crypto_sigalg_name(alg);
	r = SP_OK;
	goto out;
fail:
	r = sp_err(ei, SP_ERR_CRYPTO, "signing failed (%s)",
		   alg == CRYPTO_SIGALG_SM2_SM3 ? "SM2" : "token or key refused");
out:
	free(buf);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(sm2ctx);
	return r;
}
