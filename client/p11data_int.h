/*
 * p11data_int.h: PKCS#11 data objects on a token (p11data.c), for the seals
 * `sealpact seal install` stores and `sealpact seal list` shows. The module
 * is called through its own function list: libp11 has no data-object API.
 *
 * Threads: the CLI's one thread.
 */
#ifndef SP_CLIENT_P11DATA_INT_H
#define SP_CLIENT_P11DATA_INT_H

#include <stddef.h>

#include "sp.h"

/* CKA_APPLICATION of the seals on the token; CKA_LABEL is the seal's id. */
#define P11DATA_SEAL_APPLICATION "sealpact-seal"
/* The largest data object read or written (a seal with its picture). */
#define P11DATA_VALUE_MAX (4u * 1024 * 1024)

struct p11data;

struct p11data_obj {
	unsigned long handle;
	char *label;          /* NUL-terminated */
	unsigned char *value; /* value_len bytes (+ a NUL) */
	size_t value_len;
};

/*
 * Load module, find the one token matching token_label / token_serial (NULL:
 * any; more than one: SP_ERR_INVALID) and open a read-write session. No PIN
 * yet: public objects (certificates, the seals) are readable without it.
 * SP_ERR_IO (module), SP_ERR_NOT_FOUND (no token). *out: p11data_close().
 */
int p11data_open(const char *module, const char *token_label, const char *token_serial,
		 struct p11data **out, struct sp_errinfo *ei) SP_WUR;
void p11data_close(struct p11data *p);

/* Log the user in (SP_ERR_UNAUTHORIZED for a wrong PIN). pin is borrowed. */
int p11data_login(struct p11data *p, const char *pin, struct sp_errinfo *ei) SP_WUR;

/*
 * The data objects of application (and label, when not NULL): *out is an
 * array of *n (p11data_objs_free()).
 */
int p11data_find(struct p11data *p, const char *application, const char *label,
		 struct p11data_obj **out, size_t *n, struct sp_errinfo *ei) SP_WUR;
void p11data_objs_free(struct p11data_obj *objs, size_t n);

/*
 * The DER of the certificate with CKA_ID id (id_len 0: the token's only
 * certificate), *der malloc'd. SP_ERR_NOT_FOUND, or SP_ERR_INVALID when
 * several match.
 */
int p11data_cert_der(struct p11data *p, const unsigned char *id, size_t id_len, unsigned char **der,
		     size_t *len, struct sp_errinfo *ei) SP_WUR;

/*
 * Store value as a token object (CKO_DATA, CKA_TOKEN true, CKA_PRIVATE
 * false, CKA_APPLICATION application, CKA_LABEL label), then remove older
 * objects of the same application and label. Needs p11data_login() first.
 */
int p11data_store(struct p11data *p, const char *application, const char *label,
		  const unsigned char *value, size_t len, struct sp_errinfo *ei) SP_WUR;

#endif /* SP_CLIENT_P11DATA_INT_H */
