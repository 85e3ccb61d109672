/*
 * seals_int.h: the seal data the terminal installs and lists (seal_verify.c,
 * over crypto/seseal.c's GB/T 38540 SESeal parser).
 *
 * Threads: any (pure functions of their inputs and the clock).
 */
#ifndef SP_CLIENT_SEALS_INT_H
#define SP_CLIENT_SEALS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "sp.h"

/* What the terminal shows of a seal (terminal-safe text). */
struct seal_info {
	char es_id[129];
	char name[256];
	char type[16];                        /* "official", "contract" or "other" */
	char valid_from[32], valid_until[32]; /* RFC 3339 UTC */
};

/*
 * Read a SESeal for display: parse it and check the signature with the
 * seal-making certificate it carries. SP_OK and *out, or the parser's error
 * (malformed, bad signature). Does not judge trust or validity.
 */
int seal_info_read(const uint8_t *der, size_t len, struct seal_info *out,
		   struct sp_errinfo *ei) SP_WUR;

/*
 * Everything `seal install` checks before storing a seal: a well-formed
 * SESeal signed by maker (the platform's seal-making certificate), binding
 * the token's certificate (cert_der), issued as seal seal_id, and not
 * expired now. SP_OK and *out, else SP_ERR_INVALID / SP_ERR_CRYPTO with the
 * reason in ei.
 */
int seal_verify(const uint8_t *der, size_t len, X509 *maker, const uint8_t *cert_der,
		size_t cert_len, const char *seal_id, struct seal_info *out,
		struct sp_errinfo *ei) SP_WUR;

#endif /* SP_CLIENT_SEALS_INT_H */
