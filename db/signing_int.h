/*
 * signing_int.h: what the two halves of the signing aggregate's calls share
 * (db/signing.c: decoding, documents, prepare; db/signing_complete.c: claim,
 * complete, abort, the built-in TSA's serials). Internal to db/.
 */
#ifndef SP_DB_SIGNING_INT_H
#define SP_DB_SIGNING_INT_H

#include "db_int.h"

/* One call in flight: the typed callback to fire and its argument. */
struct call {
	db_revision_doc_fn doc;
	db_signing_session_fn session;
	db_serial_fn serial;
	db_serials_fn serials;
	db_session_created_fn created;
	int64_t number; /* the contract a document call asked for */
	char id[37];    /* the session a claim asked for */
	int auth;       /* the row ends with auth_member's columns */
	int parts;      /* the document comes in parts, one row per revision (017) */
	/* a claim's caller holds the session's update (db_doc_held.update), lent */
	const uint8_t *update;
	size_t update_len;
	void *arg;
};

/* auth_member's columns, after the request's own (db_credential_decode). */
#define AUTH_COLS \
	"a.kind, a.credential_id, a.user_id, a.organization_id, a.certificate_id, a.credit_code"

struct call *signing_call_new(void *arg);
/* Sends the prepared statement with c as its callback's argument; frees c when it is not sent. */
int signing_call_send(struct db_pool *pool, const char *sql, int n, const struct db_param *p,
		      int binary, db_done_fn done, struct call *c);
/* A document sent in parts, then tail (signing.c, where it is defined, says more). */
int signing_parts_join_tail(const PGresult *res, int col, int first, int n, const uint8_t *tail,
			    size_t tail_len, uint8_t **out, size_t *len);
/* Binary text column c of row 0: exactly 64 characters into out[65]; -1 otherwise. */
int signing_col_sha(const PGresult *res, int c, char out[65]);
/* Row 0's int4 column c, which may be -1 (from_seq); -2 when NULL or misfit. */
int signing_col_from(const PGresult *res, int c);
/* Puts the caller's bytes before the parts: the document whole, spare bytes
   allocated after it unused (see db_signing_session_join). */
int signing_held_join(uint8_t **data, size_t *len, size_t *want, const uint8_t *held,
		      size_t held_len, size_t spare);
/* The held revision as parameters [0..2]; NULLs without one. */
void signing_held_params(struct db_param *p, const struct db_doc_held *held, char seq[24],
			 char len[24]);

#endif
