/*
 * signing_docs.c: prepare's load and completion's claim with the stored
 * documents this process holds (state.h doc_cache, issue 14). Without it
 * every prepare and every claim had PostgreSQL send all of the contract's
 * updates again (the whole upload of a 10 MB contract at each signing), and
 * the server receive and join them: a contract's k-th signing cost O(k).
 * Now the statement gets the held revision's seq, stored length and
 * SHA-256, and sends only what was stored after it, while that revision is
 * still stored so; any mismatch (another database behind the same numbers,
 * a superuser's edit) makes it send the whole document, as before.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "signing_int.h"

const struct db_doc_held *
signing_held(const struct doc_cached *held, struct db_doc_held *out)
{
	if (held == NULL)
		return NULL;
	out->seq = held->seq;
	out->len = held->len;
	out->sha256_hex = held->sha256_hex;
	out->report_len = held->report != NULL ? held->report_len : 0;
	out->update = NULL; /* a claim's: signing_update_held */
	out->update_len = 0;
	return out;
}

int
signing_held_check(struct doc_cache *c, const struct doc_cached **held, int from_seq,
		   size_t held_len, const char *held_sha256)
{
	const struct doc_cached *h = *held;

	if (from_seq < 0) {
		if (h != NULL) {
			/* not the stored revision it claims to be: nobody uses it again */
			doc_cache_drop(c, h);
			doc_cache_release(c, h);
			*held = NULL;
		}
		return SP_OK;
	}
	/* the statement matched what was sent; the server checks it too */
	if (h == NULL || h->seq != from_seq || h->len != held_len ||
	    strcmp(h->sha256_hex, held_sha256) != 0)
		return SP_ERR_INTERNAL;
	return SP_OK;
}

int
signing_base_bytes(struct db_revision_doc *base, const struct doc_cached *held,
		   const uint8_t **data, size_t *len, struct sp_errinfo *ei)
{
	int r;

	*data = NULL;
	*len = 0;
	if (base->from_seq >= 0 && base->len == 0 && held != NULL && held->len == base->held_len &&
	    held->seq == base->seq) {
		*data = held->data; /* the latest revision is the one held */
		*len = held->len;
		return SP_OK;
	}
	if (base->from_seq >= 0 &&
	    (r = db_revision_doc_join(base, held != NULL ? held->data : NULL,
				      held != NULL ? held->len : 0)) != SP_OK)
		return sp_err(ei, r,
			      r == SP_ERR_NOMEM ? "out of memory"
						: "the held document does not fit the load");
	if (base->len != base->length)
		return sp_err(ei, SP_ERR_INTERNAL, "the revision's document does not decode");
	*data = base->data;
	*len = base->len;
	return SP_OK;
}

void
signing_base_keep(struct doc_cache *c, struct db_revision_doc *base, const uint8_t sha256[32])
{
	char hex[65];

	if (c == NULL || base->data == NULL || base->from_seq >= 0 || base->len != base->length)
		return;
	sp_hex(sha256, 32, hex);
	if (strcmp(hex, base->sha256) != 0)
		return; /* not what PostgreSQL stored: never kept */
	doc_cache_put_take(c, base->contract_number, base->seq, base->data, base->len, base->sha256,
			   NULL);
	base->data = NULL; /* transferred */
}

/* The session a stored prepare reply names, lower case into id; -1: none. */
static int
session_id(const char *text, size_t len, char id[37])
{
	static const char key[] = "\"session\"";
	const char *p = memmem(text, len, key, sizeof(key) - 1);
	const char *end = text + len;
	size_t i;

	if (p == NULL)
		return -1;
	/* {..."session": "<uuid>"...}: jsonb's text, or json's without the space */
	for (p += sizeof(key) - 1; p < end && (*p == ' ' || *p == ':'); p++)
		;
	if (end - p < 38 || *p != '"' || p[37] != '"')
		return -1;
	for (i = 0; i < 36; i++)
		id[i] = (char)tolower((unsigned char)p[1 + i]);
	id[36] = '\0';
	return 0;
}

void
signing_session_note(struct doc_cache *c, const char *text, size_t len, int64_t number)
{
	char id[37];

	if (c != NULL && session_id(text, len, id) == 0)
		doc_cache_session_note(c, id, number);
}

int
signing_update_key(const char *id, uint8_t key[32])
{
	uint8_t hex[32];
	size_t i, n = 0;

	if (id == NULL || strlen(id) != 36)
		return -1;
	/* a UUID's 32 hex digits, lower case, are as many bytes: the key of "updt" and them */
	for (i = 0; i < 36; i++) {
		if (id[i] == '-')
			continue;
		if (n == 32 || !isxdigit((unsigned char)id[i]))
			return -1;
		hex[n++] = (uint8_t)tolower((unsigned char)id[i]);
	}
	if (n != 32)
		return -1;
	blob_cache_key("updt", hex, key);
	return 0;
}

/* A kept record: this head (the process's own layout), then the four byte strings. */
#define KEPT_MAGIC 0x6b707431u /* "kpt1" */
struct kept_head {
	uint32_t magic;
	int32_t base_seq;
	int32_t last_signer;
	int32_t signers_left;
	uint64_t update_len, attrs_len, chain_len, cert_len;
	uint64_t orig_len, contents_off, contents_len;
	int64_t number, org_id, user_id;
	char algorithm[32];
	char token_hash[65];
};

int
signing_kept_pack(const struct signing_kept *k, uint8_t **out, size_t *len)
{
	struct kept_head h;
	size_t n = sizeof(h);
	uint8_t *p;

	*out = NULL;
	*len = 0;
	memset(&h, 0, sizeof(h));
	if (k->algorithm == NULL || strlen(k->algorithm) >= sizeof(h.algorithm) ||
	    k->update_len == 0 || k->update_len > SIZE_MAX / 4 ||
	    k->signed_attrs_len > SIZE_MAX / 4 || k->chain_len > SIZE_MAX / 4 ||
	    k->cert_len > SIZE_MAX / 4)
		return SP_ERR_INVALID;
	n += k->update_len + k->signed_attrs_len + k->chain_len + k->cert_len;
	if ((p = malloc(n)) == NULL)
		return SP_ERR_NOMEM;
	h.magic = KEPT_MAGIC;
	h.base_seq = k->base_seq;
	h.last_signer = k->last_signer;
	h.signers_left = k->signers_left;
	h.update_len = k->update_len;
	h.attrs_len = k->signed_attrs_len;
	h.chain_len = k->chain_len;
	h.cert_len = k->cert_len;
	h.orig_len = k->orig_len;
	h.contents_off = k->contents_off;
	h.contents_len = k->contents_len;
	h.number = k->contract_number;
	h.org_id = k->org_id;
	h.user_id = k->user_id;
	memcpy(h.algorithm, k->algorithm, strlen(k->algorithm));
	memcpy(h.token_hash, k->token_hash, sizeof(h.token_hash) - 1);
	memcpy(p, &h, sizeof(h));
	*out = p;
	p += sizeof(h);
	memcpy(p, k->update, k->update_len);
	p += k->update_len;
	if (k->signed_attrs_len > 0)
		memcpy(p, k->signed_attrs, k->signed_attrs_len);
	p += k->signed_attrs_len;
	if (k->chain_len > 0)
		memcpy(p, k->chain, k->chain_len);
	p += k->chain_len;
	if (k->cert_len > 0)
		memcpy(p, k->cert_der, k->cert_len);
	*len = n;
	return SP_OK;
}

int
signing_kept_read(const uint8_t *v, size_t len, struct signing_kept *k)
{
	struct kept_head h;

	memset(k, 0, sizeof(*k));
	if (v == NULL || len < sizeof(h))
		return -1;
	memcpy(&h, v, sizeof(h));
	if (h.magic != KEPT_MAGIC || h.algorithm[sizeof(h.algorithm) - 1] != '\0' ||
	    h.token_hash[sizeof(h.token_hash) - 1] != '\0' || h.update_len == 0 ||
	    h.update_len > len || h.attrs_len > len || h.chain_len > len || h.cert_len > len ||
	    h.update_len + h.attrs_len + h.chain_len + h.cert_len != len - sizeof(h))
		return -1;
	k->update = v + sizeof(h);
	k->update_len = (size_t)h.update_len;
	k->signed_attrs = k->update + k->update_len;
	k->signed_attrs_len = (size_t)h.attrs_len;
	k->chain = k->signed_attrs + k->signed_attrs_len;
	k->chain_len = (size_t)h.chain_len;
	k->cert_der = k->chain + k->chain_len;
	k->cert_len = (size_t)h.cert_len;
	/* in the record itself, which the caller holds */
	k->algorithm = (const char *)v + offsetof(struct kept_head, algorithm);
	k->contract_number = h.number;
	k->base_seq = h.base_seq;
	k->orig_len = (size_t)h.orig_len;
	k->contents_off = (size_t)h.contents_off;
	k->contents_len = (size_t)h.contents_len;
	memcpy(k->token_hash, h.token_hash, sizeof(k->token_hash));
	k->org_id = h.org_id;
	k->user_id = h.user_id;
	k->last_signer = h.last_signer;
	k->signers_left = h.signers_left;
	return 0;
}

void
signing_session_keep(struct blob_cache *c, const char *text, size_t len, uint8_t *rec,
		     size_t rec_len, int signers_left)
{
	uint8_t key[32];
	char id[37];
	struct kept_head h;

	if (c == NULL || rec == NULL || rec_len < sizeof(h) || session_id(text, len, id) != 0 ||
	    signing_update_key(id, key) != 0) {
		free(rec);
		return;
	}
	memcpy(&h, rec, sizeof(h));
	h.last_signer = signers_left < 0 ? -1 : signers_left == 0;
	h.signers_left = signers_left < 0 ? -1 : signers_left;
	memcpy(rec, &h, sizeof(h));
	blob_cache_put_take(c, key, rec, rec_len);
}

const struct db_doc_held *
signing_update_held(const struct db_doc_held *held, struct db_doc_held *out, const uint8_t *update,
		    size_t update_len)
{
	if (update == NULL || update_len == 0)
		return held;
	if (held == NULL) {
		memset(out, 0, sizeof(*out));
		out->seq = -1; /* no revision held: the whole base comes */
	} else if (held != out) {
		*out = *held;
	}
	out->update = update;
	out->update_len = update_len;
	return out;
}

const struct doc_cached *
signing_session_held(struct doc_cache *c, const char *id)
{
	char low[37];
	int64_t number;
	size_t i;

	if (c == NULL || id == NULL || strlen(id) != 36)
		return NULL;
	for (i = 0; i <= 36; i++)
		low[i] = (char)tolower((unsigned char)id[i]);
	if ((number = doc_cache_session_number(c, low)) == 0)
		return NULL;
	return doc_cache_get(c, number);
}
