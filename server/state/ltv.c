/*
 * ltv.c: PAdES B-LT and B-LTA for the server (DESIGN §5, ETSI EN 319 142-1
 * §5.4-5.5). Given the bytes of a signed contract, append the revocation
 * evidence of each signature not yet covered (a new /DSS version with a
 * /VRI entry per signature) and, for an archive, a document timestamp over
 * the whole file. Used by signing completion (after the signature is
 * verified) and by the archive-timestamp renewal job; both store the
 * result as the contract's next bytes. Pure apart from the TSA and OCSP
 * calls it makes through the provider and the trust store: worker threads.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "pdf.h"
#include "state.h"

int
ltv_level_code(const char *level)
{
	if (level && strcmp(level, "B-LTA") == 0)
		return 2;
	if (level && strcmp(level, "B-LT") == 0)
		return 1;
	return 0;
}

void
ltv_result_cleanup(struct ltv_result *r)
{
	if (!r)
		return;
	if (!r->in_room)
		free(r->data);
	memset(r, 0, sizeof(*r));
}

/* The built-in or external TSA of the provider, over a document timestamp's digest. */
struct ts_arg {
	const struct tsa_provider *tsa;
	uint64_t serial;
	int checked_after; /* LTV_CHECKED_AFTER */
};

static int
provider_ts(void *arg, const uint8_t sha256[32], uint8_t **tok, size_t *toklen, time_t *gen,
	    struct sp_errinfo *ei)
{
	const struct ts_arg *a = arg;

	if (a->checked_after)
		return tsa_provider_timestamp_engine(a->tsa, NULL, 0, sha256, a->serial, tok,
						     toklen, gen, ei);
	return tsa_provider_timestamp_digest(a->tsa, sha256, a->serial, tok, toklen, gen, ei);
}

int
ltv_extend(struct crypto_trust *t, const struct tsa_provider *tsa, const uint8_t *data, size_t len,
	   unsigned flags, uint64_t serial, struct crypto_ltv_known *known, struct ltv_result *out,
	   struct sp_errinfo *ei)
{
	struct ts_arg ta = { tsa, serial, (flags & LTV_CHECKED_AFTER) != 0 };
	X509_STORE *ts_store = NULL;
	uint8_t *mid = NULL;
	size_t midlen = 0;
	int r = SP_ERR_INTERNAL, in_room = 0;

	memset(out, 0, sizeof(*out));
	if (tsa_provider_trust(tsa, &ts_store, ei) != SP_OK)
		ts_store = NULL; /* the TSA chain then runs through the signer roots */
	sp_errinfo_init(ei);
	/* what ltv_extend is given was stored, or is built on stored bytes and verified */
	if ((r = crypto_ltv_add_dss(t, ts_store, NULL, data, len,
				    CRYPTO_LTV_STORED |
					    (flags & LTV_ANSWERED ? CRYPTO_LTV_ANSWERED : 0),
				    known, &mid, &midlen, ei)) != SP_OK)
		goto out;
	/* the DSS update went in the room after data (known->room): mid is data's buffer */
	in_room = known != NULL && known->in_room && mid != NULL;
	if (flags & LTV_ARCHIVE) {
		r = crypto_ltv_doc_timestamp(t, mid ? mid : data, mid ? midlen : len,
					     CRYPTO_LTV_STORED, known, provider_ts, &ta, &out->data,
					     &out->len, &out->archive_until, &out->archive_time,
					     ei);
		goto out;
	}
	if (!mid) {
		if (!(mid = malloc(len))) {
			r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(mid, data, len);
		midlen = len;
	}
	out->data = mid;
	out->len = midlen;
	out->in_room = in_room;
	mid = NULL; /* transferred */
	r = SP_OK;
out:
	if (!in_room)
		free(mid);
	if (r != SP_OK)
		ltv_result_cleanup(out);
	return r;
}
