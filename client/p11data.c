/*
 * p11data.c: PKCS#11 data objects (CKO_DATA) on the token, for the seals the
 * platform issues (GB/T 38540 SESeal, stored by `sealpact seal install`).
 *
 * libp11 reaches keys and certificates but has no API for data objects, so
 * this file loads the module itself (dlopen + C_GetFunctionList) and calls
 * its function list: C_OpenSession, C_Login, C_FindObjects*,
 * C_GetAttributeValue, C_CreateObject, C_DestroyObject. A module another
 * part of the process initialized (libp11 in the same run) answers
 * CKR_CRYPTOKI_ALREADY_INITIALIZED: then it is left initialized on close.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "login_int.h"
#include "p11data_int.h"

#define MAX_SLOTS 64
#define MAX_OBJECTS 256

struct p11data {
	void *dl;
	CK_FUNCTION_LIST *f;
	int initialized; /* we called C_Initialize and must C_Finalize */
	CK_SESSION_HANDLE session;
	int have_session;
	int logged_in;
};

static int
rv_err(struct sp_errinfo *ei, int code, const char *what, CK_RV rv)
{
	return sp_err(ei, code, "%s failed (PKCS#11 error 0x%lx)", what, (unsigned long)rv);
}

/* A blank-padded PKCS#11 text field equals s. */
static int
field_eq(const unsigned char *field, size_t n, const char *s)
{
	size_t len = strlen(s), end = n;

	while (end > 0 && field[end - 1] == ' ')
		end--;
	return len == end && memcmp(field, s, len) == 0;
}

void
p11data_close(struct p11data *p)
{
	if (p == NULL)
		return;
	if (p->f != NULL) {
		if (p->logged_in)
			p->f->C_Logout(p->session);
		if (p->have_session)
			p->f->C_CloseSession(p->session);
		if (p->initialized)
			p->f->C_Finalize(NULL);
	}
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p);
}

int
p11data_open(const char *module, const char *token_label, const char *token_serial,
	     struct p11data **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	struct p11data *p = NULL;
	CK_C_GetFunctionList getfl;
	CK_SLOT_ID slots[MAX_SLOTS], found = 0;
	CK_ULONG nslots = MAX_SLOTS, i, n = 0;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	*out = NULL;
	if (module == NULL || *module == '\0') {
		r = sp_err(ei, SP_ERR_INVALID,
			   "name the token's PKCS#11 module (--module or SEALPACT_PKCS11_MODULE)");
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		r = sp_err(ei, SP_ERR_IO, "cannot load the PKCS#11 module %s", module);
		goto out;
	}
	/* POSIX: a data pointer converts to a function pointer (dlsym's contract). */
	*(void **)&getfl = dlsym(p->dl, "C_GetFunctionList");
	if (getfl == NULL || getfl(&p->f) != CKR_OK || p->f == NULL) {
		p->f = NULL;
		r = sp_err(ei, SP_ERR_IO, "%s is not a PKCS#11 module", module);
		goto out;
	}
	rv = p->f->C_Initialize(NULL);
	if (rv == CKR_OK)
		p->initialized = 1;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		r = rv_err(ei, SP_ERR_IO, "C_Initialize", rv);
		goto out;
	}
	if ((rv = p->f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK) {
		r = rv_err(ei, SP_ERR_IO, "listing the token slots", rv);
		goto out;
	}
	for (i = 0; i < nslots; i++) {
		if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (token_label != NULL && !field_eq(ti.label, sizeof(ti.label), token_label))
			continue;
		if (token_serial != NULL &&
		    !field_eq(ti.serialNumber, sizeof(ti.serialNumber), token_serial))
			continue;
		found = slots[i];
		n++;
	}
	if (n == 0) {
		r = sp_err(ei, SP_ERR_NOT_FOUND, "no token%s%s%s%s is present%s",
			   token_label ? " labelled " : "", token_label ? token_label : "",
			   token_serial ? " with serial " : "", token_serial ? token_serial : "",
			   client_token_hint(module));
		goto out;
	}
	if (n > 1) {
		r = sp_err(ei, SP_ERR_INVALID,
			   "%lu tokens are present: choose one with --token LABEL",
			   (unsigned long)n);
		goto out;
	}
	if ((rv = p->f->C_OpenSession(found, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
				      &p->session)) != CKR_OK) {
		r = rv_err(ei, SP_ERR_IO, "opening a session on the token", rv);
		goto out;
	}
	p->have_session = 1;
	*out = p;
	p = NULL; /* transferred */
	r = SP_OK;
out:
	p11data_close(p);
	return r;
}

int
p11data_login(struct p11data *p, const char *pin, struct sp_errinfo *ei)
{
	CK_RV rv;

	if (pin == NULL)
		return sp_err(ei, SP_ERR_INVALID, "no PIN");
	rv = p->f->C_Login(p->session, CKU_USER, (unsigned char *)pin, strlen(pin));
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		return SP_OK;
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_LOCKED)
		return sp_err(ei, SP_ERR_UNAUTHORIZED, "the token refused the PIN");
	if (rv != CKR_OK)
		return rv_err(ei, SP_ERR_IO, "C_Login", rv);
	p->logged_in = 1;
	return SP_OK;
}

/* One attribute's value, malloc'd (NUL-terminated for convenience). */
static int
attr_get(struct p11data *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, unsigned char **val,
	 size_t *len, size_t cap, struct sp_errinfo *ei)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv;

	*val = NULL;
	*len = 0;
	if ((rv = p->f->C_GetAttributeValue(p->session, h, &a, 1)) != CKR_OK)
		return rv_err(ei, SP_ERR_IO, "reading an object of the token", rv);
	if (a.ulValueLen == (CK_ULONG)-1 || a.ulValueLen > cap)
		return sp_err(ei, SP_ERR_LIMIT, "an object of the token is too large");
	if ((a.pValue = malloc(a.ulValueLen + 1)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if ((rv = p->f->C_GetAttributeValue(p->session, h, &a, 1)) != CKR_OK) {
		free(a.pValue);
		return rv_err(ei, SP_ERR_IO, "reading an object of the token", rv);
	}
	((unsigned char *)a.pValue)[a.ulValueLen] = '\0';
	*val = a.pValue;
	*len = a.ulValueLen;
	return SP_OK;
}

/* The handles of the objects matching tmpl (at most MAX_OBJECTS). */
static int
find(struct p11data *p, CK_ATTRIBUTE *tmpl, CK_ULONG ntmpl, CK_OBJECT_HANDLE *h, CK_ULONG *n,
     struct sp_errinfo *ei)
{
	CK_RV rv;

	*n = 0;
	if ((rv = p->f->C_FindObjectsInit(p->session, tmpl, ntmpl)) != CKR_OK)
		return rv_err(ei, SP_ERR_IO, "searching the token", rv);
	rv = p->f->C_FindObjects(p->session, h, MAX_OBJECTS, n);
	p->f->C_FindObjectsFinal(p->session);
	if (rv != CKR_OK)
		return rv_err(ei, SP_ERR_IO, "searching the token", rv);
	return SP_OK;
}

void
p11data_objs_free(struct p11data_obj *objs, size_t n)
{
	size_t i;

	for (i = 0; objs != NULL && i < n; i++) {
		free(objs[i].label);
		free(objs[i].value);
	}
	free(objs);
}

int
p11data_find(struct p11data *p, const char *application, const char *label,
	     struct p11data_obj **out, size_t *nout, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE tmpl[3] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_APPLICATION, (void *)application, strlen(application) },
		{ CKA_LABEL, (void *)label, label ? strlen(label) : 0 },
	};
	CK_OBJECT_HANDLE h[MAX_OBJECTS];
	CK_ULONG n = 0, i;
	struct p11data_obj *objs = NULL;
	size_t len;

	*out = NULL;
	*nout = 0;
	if ((r = find(p, tmpl, label ? 3 : 2, h, &n, ei)) != SP_OK)
		goto out;
	if (n > 0 && (objs = calloc(n, sizeof(*objs))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		objs[i].handle = h[i];
		if ((r = attr_get(p, h[i], CKA_LABEL, (unsigned char **)&objs[i].label, &len, 256,
				  ei)) != SP_OK ||
		    (r = attr_get(p, h[i], CKA_VALUE, &objs[i].value, &objs[i].value_len,
				  P11DATA_VALUE_MAX, ei)) != SP_OK)
			goto out;
	}
	*out = objs;
	*nout = n;
	objs = NULL; /* transferred */
	r = SP_OK;
out:
	p11data_objs_free(objs, n);
	return r;
}

int
p11data_cert_der(struct p11data *p, const unsigned char *id, size_t id_len, unsigned char **der,
		 size_t *len, struct sp_errinfo *ei)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_OBJECT_HANDLE h[MAX_OBJECTS];
	CK_ULONG n = 0;
	int r;

	*der = NULL;
	*len = 0;
	if ((r = find(p, tmpl, id_len > 0 ? 2 : 1, h, &n, ei)) != SP_OK)
		return r;
	if (n == 0)
		return sp_err(ei, SP_ERR_NOT_FOUND, "no certificate%s on the token",
			      id_len > 0 ? " with the key's CKA_ID" : "");
	if (n > 1)
		return sp_err(ei, SP_ERR_INVALID,
			      "%lu certificates are on the token: choose with --key-id",
			      (unsigned long)n);
	return attr_get(p, h[0], CKA_VALUE, der, len, 64 * 1024, ei);
}

int
p11data_store(struct p11data *p, const char *application, const char *label,
	      const unsigned char *value, size_t len, struct sp_errinfo *ei)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tmpl[6] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_APPLICATION, (void *)application, strlen(application) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_VALUE, (void *)value, len },
	};
	CK_ATTRIBUTE find_tmpl[3] = { tmpl[0], tmpl[3], tmpl[4] };
	CK_OBJECT_HANDLE h[MAX_OBJECTS], created;
	CK_ULONG n = 0, i;
	CK_RV rv;
	int r;

	if (len == 0 || len > P11DATA_VALUE_MAX)
		return sp_err(ei, SP_ERR_INVALID, "a data object of %zu bytes", len);
	/* Older copies under the same label go once the new one is stored. */
	if ((r = find(p, find_tmpl, 3, h, &n, ei)) != SP_OK)
		return r;
	if ((rv = p->f->C_CreateObject(p->session, tmpl, 6, &created)) != CKR_OK)
		return rv_err(ei, SP_ERR_IO, "storing the seal on the token", rv);
	for (i = 0; i < n; i++)
		if ((rv = p->f->C_DestroyObject(p->session, h[i])) != CKR_OK)
			return rv_err(ei, SP_ERR_IO, "removing an older copy from the token", rv);
	return SP_OK;
}
