/*
 * blob_cache.c: derived bytes a serving process keeps so that a request
 * does not compute them again from the same input: the seal picture as PDF
 * image streams (one zlib pass per picture, not per prepare) and the object
 * numbers a stored revision refers to (what completion's difference check
 * starts from, instead of walking the whole revision again). Keys are
 * SHA-256 digests of the input, so an entry can only answer for the very
 * bytes it was made from; a miss costs what it did before the cache.
 *
 * A small table (at most max_entries, at most max_bytes of values) under
 * one mutex: the workers share it. Values are copied in and out, so no
 * entry is ever in use outside the lock; when full, the entry used least
 * recently goes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "state.h"

struct entry {
	uint8_t key[32];
	uint8_t *val; /* NULL: a free slot */
	size_t len;
	uint64_t used; /* the table's clock at the last get or put */
};

struct blob_cache {
	pthread_mutex_t mu;
	size_t max_bytes, bytes, n;
	uint64_t clock;
	unsigned long long hits, misses; /* gets that found their key, and not */
	struct entry e[];
};

int
blob_cache_new(size_t max_entries, size_t max_bytes, struct blob_cache **out, struct sp_errinfo *ei)
{
	struct blob_cache *c;

	*out = NULL;
	if (max_entries == 0 || max_entries > 65536)
		return sp_err(ei, SP_ERR_INVALID, "blob cache of %zu entries", max_entries);
	if (!(c = calloc(1, sizeof(*c) + max_entries * sizeof(c->e[0]))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return sp_err(ei, SP_ERR_INTERNAL, "pthread_mutex_init failed");
	}
	c->n = max_entries;
	c->max_bytes = max_bytes;
	*out = c;
	return SP_OK;
}

void
blob_cache_free(struct blob_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->e[i].val);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static struct entry *
find(struct blob_cache *c, const uint8_t key[32])
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->e[i].val != NULL && memcmp(c->e[i].key, key, 32) == 0)
			return &c->e[i];
	return NULL;
}

static void
drop(struct blob_cache *c, struct entry *e)
{
	c->bytes -= e->len;
	free(e->val);
	e->val = NULL;
	e->len = 0;
}

int
blob_cache_get(struct blob_cache *c, const uint8_t key[32], uint8_t **val, size_t *len)
{
	struct entry *e;
	int r = SP_ERR_NOT_FOUND;

	*val = NULL;
	*len = 0;
	if (c == NULL)
		return SP_ERR_NOT_FOUND;
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, key)) != NULL) {
		if ((*val = malloc(e->len ? e->len : 1)) == NULL) {
			r = SP_ERR_NOMEM;
		} else {
			memcpy(*val, e->val, e->len);
			*len = e->len;
			e->used = ++c->clock;
			r = SP_OK;
		}
	}
	if (r == SP_OK)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->mu);
	return r;
}

void
blob_cache_put(struct blob_cache *c, const uint8_t key[32], const uint8_t *val, size_t len)
{
	struct entry *e, *old;
	uint8_t *copy;
	size_t i;

	if (c == NULL || len > c->max_bytes || (copy = malloc(len ? len : 1)) == NULL)
		return; /* not kept: the next request computes it again */
	memcpy(copy, val, len);
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, key)) != NULL)
		drop(c, e);
	/* room: the least recently used go until the value fits and a slot is free */
	for (;;) {
		e = old = NULL;
		for (i = 0; i < c->n; i++) {
			if (c->e[i].val == NULL)
				e = e ? e : &c->e[i];
			else if (old == NULL || c->e[i].used < old->used)
				old = &c->e[i];
		}
		if (e != NULL && c->bytes + len <= c->max_bytes)
			break;
		drop(c, old); /* old exists: the table is not empty, or both checks held */
	}
	memcpy(e->key, key, 32);
	e->val = copy;
	e->len = len;
	e->used = ++c->clock;
	c->bytes += len;
	pthread_mutex_unlock(&c->mu);
}

void
blob_cache_stats(struct blob_cache *c, unsigned long long *hits, unsigned long long *misses)
{
	*hits = *misses = 0;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->mu);
}

void
blob_cache_key(const char tag[4], const uint8_t dig[32], uint8_t key[32])
{
	uint8_t in[36];
	size_t n = 0;
	struct sp_errinfo ei;

	memcpy(in, tag, 4);
	memcpy(in + 4, dig, 32);
	sp_errinfo_init(&ei);
	if (crypto_digest(CRYPTO_DIGEST_SHA256, in, sizeof(in), key, &n, &ei) != SP_OK)
		memset(key, 0, 32); /* never a digest of stored bytes: a miss */
}
