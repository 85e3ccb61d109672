/*
 * verify_int.h: declarations shared by crypto/verify*.c only.
 */
#pragma once

#include "crypto_int.h"

/* The signed bytes of one signature: data[0..a) and data[b..end). */
struct verify_ranges {
	const unsigned char *data;
	size_t a, b, end;
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
			  const uint8_t *tok, size_t toklen, struct crypto_sig_report *rep);
