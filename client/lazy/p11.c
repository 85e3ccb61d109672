/*
 * lazy/p11.c: the libp11 functions the sealpact terminal calls, resolved from
 * libp11.so.3 when a PKCS#11 token is first used (PKCS11_CTX_new()), not by the
 * dynamic loader at every start-up: verify, list and the other commands that
 * never touch a token do not pay for it. Linked into the sealpact executable
 * only, like lazy/curl.c (see there). A missing libp11 makes PKCS11_CTX_new()
 * return NULL, which client/token.c and client/sign_opts.c already report.
 */
#include <dlfcn.h>

/* See client/token.c: libp11.h names two types OPENSSL_NO_DEPRECATED hides. */
typedef struct rsa_meth_st RSA_METHOD;
typedef struct ec_key_method_st EC_KEY_METHOD;

#include <libp11.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#define LAZY_P11_SONAME "libp11.so.3"

static struct {
	void *so;
	PKCS11_CTX *(*ctx_new)(void);
	int (*ctx_load)(PKCS11_CTX *, const char *);
	void (*ctx_unload)(PKCS11_CTX *);
	void (*ctx_free)(PKCS11_CTX *);
	int (*enumerate_slots)(PKCS11_CTX *, PKCS11_SLOT **, unsigned int *);
	void (*release_all_slots)(PKCS11_CTX *, PKCS11_SLOT *, unsigned int);
	int (*login)(PKCS11_SLOT *, int, const char *);
	int (*enumerate_keys)(PKCS11_TOKEN *, PKCS11_KEY **, unsigned int *);
	int (*enumerate_certs)(PKCS11_TOKEN *, PKCS11_CERT **, unsigned int *);
	EVP_PKEY *(*get_private_key)(PKCS11_KEY *);
} lp;

static pthread_once_t lp_once = PTHREAD_ONCE_INIT;

static void
lp_load(void)
{
	void *so = dlopen(LAZY_P11_SONAME, RTLD_NOW | RTLD_LOCAL);
	int ok = 1;

	if (so == NULL)
		return;
		/* POSIX's way to store dlsym()'s object pointer into a function pointer */
#define LP_SYM(field, name) ok = ok && (*(void **)&lp.field = dlsym(so, name)) != NULL;
	LP_SYM(ctx_new, "PKCS11_CTX_new")
	LP_SYM(ctx_load, "PKCS11_CTX_load")
	LP_SYM(ctx_unload, "PKCS11_CTX_unload")
	LP_SYM(ctx_free, "PKCS11_CTX_free")
	LP_SYM(enumerate_slots, "PKCS11_enumerate_slots")
	LP_SYM(release_all_slots, "PKCS11_release_all_slots")
	LP_SYM(login, "PKCS11_login")
	LP_SYM(enumerate_keys, "PKCS11_enumerate_keys")
	LP_SYM(enumerate_certs, "PKCS11_enumerate_certs")
	LP_SYM(get_private_key, "PKCS11_get_private_key")
#undef LP_SYM
	if (!ok) {
		memset(&lp, 0, sizeof(lp));
		dlclose(so);
		return;
	}
	lp.so = so;
}

/* Only PKCS11_CTX_new() loads: every other call needs what it returned. */
PKCS11_CTX *
PKCS11_CTX_new(void)
{
	pthread_once(&lp_once, lp_load);
	return lp.so != NULL ? lp.ctx_new() : NULL;
}

int
PKCS11_CTX_load(PKCS11_CTX *ctx, const char *ident)
{
	return lp.so != NULL ? lp.ctx_load(ctx, ident) : -1;
}

void
PKCS11_CTX_unload(PKCS11_CTX *ctx)
{
	if (lp.so != NULL)
		lp.ctx_unload(ctx);
}

void
PKCS11_CTX_free(PKCS11_CTX *ctx)
{
	if (lp.so != NULL)
		lp.ctx_free(ctx);
}

int
PKCS11_enumerate_slots(PKCS11_CTX *ctx, PKCS11_SLOT **slots, unsigned int *n)
{
	return lp.so != NULL ? lp.enumerate_slots(ctx, slots, n) : -1;
}

void
PKCS11_release_all_slots(PKCS11_CTX *ctx, PKCS11_SLOT *slots, unsigned int n)
{
	if (lp.so != NULL)
		lp.release_all_slots(ctx, slots, n);
}

int
PKCS11_login(PKCS11_SLOT *slot, int so, const char *pin)
{
	return lp.so != NULL ? lp.login(slot, so, pin) : -1;
}

int
PKCS11_enumerate_keys(PKCS11_TOKEN *t, PKCS11_KEY **keys, unsigned int *n)
{
	return lp.so != NULL ? lp.enumerate_keys(t, keys, n) : -1;
}

int
PKCS11_enumerate_certs(PKCS11_TOKEN *t, PKCS11_CERT **certs, unsigned int *n)
{
	return lp.so != NULL ? lp.enumerate_certs(t, certs, n) : -1;
}

EVP_PKEY *
PKCS11_get_private_key(PKCS11_KEY *key)
{
	return lp.so != NULL ? lp.get_private_key(key) : NULL;
}
