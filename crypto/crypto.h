/*
 * crypto.h: sealpact's cryptography over OpenSSL 3: certificates and trust,
 * revocation, CMS around an external signature, RFC 3161 timestamps (built-in
 * TSA and client), and PDF signature verification.
 *
 * Pure and synchronous: no event loop, no database. Every function may be
 * called from any thread; failures drain OpenSSL's per-thread error queue
 * into the caller's struct sp_errinfo.
 */
#ifndef SP_CRYPTO_H
#define SP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "sp.h"

/* ==== section: trust, certificates, revocation ==== */
/* ==== end section: trust, certificates, revocation ==== */

/* ==== section: CMS signing and timestamps ==== */
/* ==== end section: CMS signing and timestamps ==== */

#endif /* SP_CRYPTO_H */
