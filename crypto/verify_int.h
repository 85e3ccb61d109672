/*
 * verify_int.h: declarations shared by crypto/verify*.c only.
 */
#pragma once

#include <openssl/evp.h>

#include "crypto_int.h"

/*
 * The signatures of one file share their hashing: signature k's first range,
 * data[0..a_k), is a prefix of every later signature's, so one running digest
 * per algorithm walks the file once, and each signature copies it at its own
 * a_k and adds only its second range (the rest of its update). k signatures
 * then cost the file's bytes plus their updates, not k times the file.
 */
#define VERIFY_HASHER_MDS 4
struct verify_hasher {
	struct {
		const EVP_MD *md;
		EVP_MD_CTX *c;
		size_t pos; /* bytes of data the running digest holds */
	} s[VERIFY_HASHER_MDS];
	size_t n;
};

/* Frees the running digests; the struct may be reused after memset 0. */
void verify_hasher_cleanup(struct verify_hasher *h);

/* The signed bytes of one signature: data[0..a) and data[b..end). */
struct verify_ranges {
	const unsigned char *data;
	size_t a, b, end;
	struct verify_hasher *hx; /* NULL: hash both ranges afresh */
};

/*
 * Record a failed check on rep: raises rep->verdict to at least sev, adds
 * reason (once, up to CRYPTO_VERIFY_REASONS_MAX) and keeps the first message.
 */
void verify_fail(struct crypto_sig_report *rep, enum crypto_verdict sev, const char *reason,
		 const char *fmt, ...) SP_PRINTF(4, 5);

/*
 * The CMS checks of one signature (verify_cms.c): cms is the /Contents
 * string (DER plus zero padding). Fills rep's integrity, trust and timestamp
 * fields and reasons; never fails itself (everything is a verdict).
 */
void verify_cms(const struct crypto_verify_opts *opts, const struct verify_ranges *rg,
		const uint8_t *cms, size_t cmslen, const struct crypto_evidence *ev,
		struct crypto_sig_report *rep);

/* A /DocTimeStamp: the /Contents is an RFC 3161 token over the ranges. */
void verify_doc_timestamp(const struct crypto_verify_opts *opts, const struct verify_ranges *rg,
			  const uint8_t *tok, size_t toklen, const struct crypto_evidence *ev,
			  struct crypto_sig_report *rep);
