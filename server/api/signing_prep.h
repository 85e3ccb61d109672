/*
 * signing_prep.h: a prepare in flight (signing.c, the loop side) and its
 * worker (signing_work.c): the job both sides fill and read.
 */
#ifndef SP_SERVER_SIGNING_PREP_H
#define SP_SERVER_SIGNING_PREP_H

#include "signing_int.h"

#define MAX_CERT 65536

struct prep_job {
	struct request *r;
	const struct config *cfg;
	struct crypto_trust *trust; /* the process's (NULL: none); outlives the job */
	const struct tsa_provider *tsa;
	struct blob_cache *seal_images; /* the process's (state.h); outlives the job */
	struct blob_cache *reads;       /* the signature reads completion keeps per revision */
	struct blob_cache *updates;     /* the process's session updates (signing_update_keep) */
	struct blob_cache *refs;        /* what a revision refers to (signing_refs_keep) */
	const uint8_t *default_seal;    /* the demo seal's picture, the process's */
	size_t default_seal_len;
	const uint8_t *default_seal_sha256; /* its SHA-256, the process's */
	json_t *doc;     /* the body, parsed on the loop (the seal id is needed first) */
	int64_t seal_id; /* the seal the placements name, 0: none or the demo seal */
	int64_t number, org_id, user_id;
	char credit_code[19];
	int authed;          /* the load authenticated the request (db_signing_prepare_load_auth) */
	char token_hash[65]; /* authed: the bearer token's SHA-256 it checked */
	/* prep_held_try: built before loading (the worker's inputs from what this process
	   holds), to be stored by db_signing_session_create_held; again: the body for the
	   load after a try that did not store */
	struct prep_memo *memo;
	int held_try;
	json_t *again;
	struct db_revision_doc *base; /* from db_signing_prepare_load */
	/* the stored document this process holds of the contract (state.h doc_cache):
	   the load sent only the updates after it when base->from_seq is its seq */
	struct doc_cache *docs;
	const struct doc_cached *held;
	uint8_t base_dig[32]; /* the stored revision's SHA-256 (base_open) */
	/* results of work() */
	struct pdf_sig_prepared prep;
	unsigned char *attrs;
	size_t attrs_len;
	unsigned char *cert_der;
	size_t cert_len;
	uint8_t *chain; /* crypto_chain_to_der of the issuing CAs */
	size_t chain_len;
	struct crypto_cert_info info;
	const char *alg_name;
	char *rects_json;
	/* the reply's members after the stored session's, as JSON object text, made on the
	   worker: {"to_be_signed", "algorithm", "rects", "certificate_subject",
	   "date_seal_zone", "seal"?} */
	char *reply_more;
	/* what the session's claim would return, kept here once it is stored
	   (signing_kept_pack, signing_session_keep); NULL: none */
	uint8_t *kept;
	size_t kept_len;
	time_t signing_time; /* taken on the event loop, with its zone's offset: */
	int utc_offset_min;  /* sp_tz_offset() switches TZ, which no worker may see */
};

/*
 * The worker's part of a prepare (a jobs/pool.c job; arg is the prep_job):
 * checks the certificate and its chain, opens the base, places the seals,
 * builds the update and the signed attributes, and the reply's members.
 */
int signing_prep_work(void *arg, struct sp_errinfo *ei);

#endif /* SP_SERVER_SIGNING_PREP_H */
