/*
 * ocsp_verified.c: the embedded OCSP responses (a /DSS's, a CMS's revocation
 * values) this process has parsed and verified, kept as what they say. A
 * B-LT or B-LTA contract carries the same few responses for every chain
 * checked against it, and each check parsed each response again (its
 * responder certificate through a provider key decoder) and verified its
 * signature and responder chain again: an eighth of a B-LTA completion.
 *
 * An entry is keyed by the SHA-256 of the exact response DER and holds what
 * a successful OCSP_basic_verify against the trust's roots at the response's
 * own producedAt made true of those bytes: the producedAt and each single
 * response (its CertID, status, reason and times). That verification does
 * not depend on the certificate asked about nor on the time asked for (both
 * are judged from the entry as before), so a hit answers exactly as the
 * parse and check did. Only verified responses are kept: a response that
 * failed is parsed and checked again the next time. The trust is fixed for
 * the cache's life (it lives in the trust).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "crypto_int.h"

struct single {
	OCSP_CERTID *id;
	struct ocsp_verified_status st;
};

struct entry {
	unsigned char sha[32];
	size_t len;
	time_t produced;
	struct single *s;
	int n;
	uint64_t used;
};

struct ocsp_verified {
	pthread_mutex_t lock; /* guards all below */
	struct entry *e;
	size_t n, cap;
	uint64_t tick;
};

struct ocsp_verified *
ocsp_verified_new(size_t cap)
{
	struct ocsp_verified *c;

	if (cap == 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->e = calloc(cap, sizeof(*c->e))) == NULL ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->e);
		free(c);
		return NULL;
	}
	c->cap = cap;
	return c;
}

static void
entry_clear(struct entry *e)
{
	int i;

	for (i = 0; i < e->n; i++)
		OCSP_CERTID_free(e->s[i].id);
	free(e->s);
	memset(e, 0, sizeof(*e));
}

size_t
ocsp_verified_count(struct ocsp_verified *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
ocsp_verified_free(struct ocsp_verified *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		entry_clear(&c->e[i]);
	pthread_mutex_destroy(&c->lock);
	free(c->e);
	free(c);
}

static int
digest(const unsigned char *der, size_t len, unsigned char sha[32])
{
	unsigned int n = 0;

	return EVP_Digest(der, len, sha, &n, cms_digest_md(CRYPTO_DIGEST_SHA256), NULL) == 1 &&
	       n == 32;
}

int
ocsp_verified_get(struct ocsp_verified *c, const unsigned char *der, size_t len,
		  const OCSP_CERTID *id, time_t *produced, struct ocsp_verified_status *st)
{
	unsigned char sha[32];
	size_t i;
	int k, r = -1;

	if (c == NULL || der == NULL || len == 0 || !digest(der, len, sha))
		return -1;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->n && r < 0; i++) {
		struct entry *e = &c->e[i];
		if (e->len != len || memcmp(e->sha, sha, 32) != 0)
			continue;
		e->used = ++c->tick;
		*produced = e->produced;
		r = 0;
		/* the first single response for id, as OCSP_resp_find_status takes */
		for (k = 0; k < e->n; k++)
			if (OCSP_id_cmp(e->s[k].id, id) == 0) {
				*st = e->s[k].st;
				r = 1;
				break;
			}
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

int
ocsp_single_status(OCSP_SINGLERESP *sr, struct ocsp_verified_status *st)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;

	st->reason = -1;
	if ((st->status = OCSP_single_get0_status(sr, &st->reason, &rev, &thisupd, &nextupd)) < 0)
		return 0;
	st->revoked = trust_asn1_time(rev);
	st->this_update = trust_asn1_time(thisupd);
	st->next_update = nextupd ? trust_asn1_time(nextupd) : 0;
	return 1;
}

/* What bs says, copied out: a CertID and the times of each single response. */
static int
entry_fill(struct entry *e, OCSP_BASICRESP *bs, time_t produced)
{
	int i, n = OCSP_resp_count(bs);

	e->produced = produced;
	if (n <= 0 || (e->s = calloc((size_t)n, sizeof(*e->s))) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		OCSP_SINGLERESP *sr = OCSP_resp_get0(bs, i);
		struct single *s = &e->s[e->n];
		const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(sr);

		if (!ocsp_single_status(sr, &s->st) || id == NULL ||
		    (s->id = OCSP_CERTID_dup((OCSP_CERTID *)id)) == NULL)
			return 0;
		e->n++;
	}
	return 1;
}

void
ocsp_verified_put(struct ocsp_verified *c, const unsigned char *der, size_t len, OCSP_BASICRESP *bs,
		  time_t produced)
{
	struct entry fresh, *slot;
	size_t i;

	memset(&fresh, 0, sizeof(fresh));
	if (c == NULL || der == NULL || len == 0 || !digest(der, len, fresh.sha) ||
	    !entry_fill(&fresh, bs, produced)) {
		entry_clear(&fresh);
		return;
	}
	fresh.len = len;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->n; i++)
		if (c->e[i].len == len && memcmp(c->e[i].sha, fresh.sha, 32) == 0) {
			/* another thread kept it meanwhile */
			pthread_mutex_unlock(&c->lock);
			entry_clear(&fresh);
			return;
		}
	if (c->n < c->cap) {
		slot = &c->e[c->n++];
	} else {
		/* the least recently used out */
		slot = &c->e[0];
		for (i = 1; i < c->n; i++)
			if (c->e[i].used < slot->used)
				slot = &c->e[i];
		entry_clear(slot);
	}
	fresh.used = ++c->tick;
	*slot = fresh;
	pthread_mutex_unlock(&c->lock);
}
