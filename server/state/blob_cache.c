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
 * one mutex: the workers share it; when full, the entry used least
 * recently goes. A value is immutable once kept and counted by its users
 * (the table, and each borrow not yet returned), so that a large one (a
 * stored revision's signature reads: every earlier /Contents, some 170 KB
 * at a contract's 20th signing) is lent, not copied out, and a value its
 * maker hands over is kept as it is, not copied in; an entry replaced or
 * evicted while lent is freed by its last borrower.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "state.h"

/* Entries are found through a chained hash of their key and kept in an
   order of use (a list, the most recent first), so that a get or a put
   costs the same at 2,048 entries as at 4: the table was scanned whole,
   twice per put (a fiftieth of the server's CPU per signing, most of it
   cache misses over the slots). Slots are linked by index; -1 ends a list. */
/* A kept value: immutable, freed by the last of its users. */
struct blob_ref {
	atomic_size_t users;
	uint8_t *val;
	size_t len;
};

struct entry {
	uint8_t key[32];
	struct blob_ref *val; /* NULL: a free slot */
	size_t len;
	int32_t newer, older; /* the order of use; a free slot's older is the next free one */
	int32_t chain;        /* the next entry of the same hash bucket */
};

struct blob_cache {
	pthread_mutex_t mu;
	size_t max_bytes, bytes, n;
	int32_t newest, oldest, free; /* the order of use's ends, the free slots */
	int32_t *bucket;              /* nbuckets heads: a power of two, at least 2 n */
	size_t nbuckets;
	unsigned long long hits, misses; /* gets that found their key, and not */
	struct entry e[];
};

int
blob_cache_new(size_t max_entries, size_t max_bytes, struct blob_cache **out, struct sp_errinfo *ei)
{
	struct blob_cache *c;
	size_t i, nb = 2;

	*out = NULL;
	if (max_entries == 0 || max_entries > 65536)
		return sp_err(ei, SP_ERR_INVALID, "blob cache of %zu entries", max_entries);
	while (nb < 2 * max_entries)
		nb *= 2;
	if (!(c = calloc(1, sizeof(*c) + max_entries * sizeof(c->e[0]))) ||
	    !(c->bucket = malloc(nb * sizeof(*c->bucket)))) {
		free(c);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->bucket);
		free(c);
		return sp_err(ei, SP_ERR_INTERNAL, "pthread_mutex_init failed");
	}
	for (i = 0; i < nb; i++)
		c->bucket[i] = -1;
	for (i = 0; i < max_entries; i++)
		c->e[i].older = i + 1 < max_entries ? (int32_t)(i + 1) : -1;
	c->nbuckets = nb;
	c->newest = c->oldest = -1;
	c->free = 0;
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
		blob_cache_return(c->e[i].val);
	pthread_mutex_destroy(&c->mu);
	free(c->bucket);
	free(c);
}

/* key's bucket: keys are digests, so any of their bits will do */
static int32_t *
bucket_of(struct blob_cache *c, const uint8_t key[32])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return &c->bucket[h & (c->nbuckets - 1)];
}

static int32_t
find(struct blob_cache *c, const uint8_t key[32])
{
	int32_t i;

	for (i = *bucket_of(c, key); i >= 0; i = c->e[i].chain)
		if (memcmp(c->e[i].key, key, 32) == 0)
			return i;
	return -1;
}

static void
unlink_use(struct blob_cache *c, int32_t i)
{
	struct entry *e = &c->e[i];

	if (e->newer >= 0)
		c->e[e->newer].older = e->older;
	else
		c->newest = e->older;
	if (e->older >= 0)
		c->e[e->older].newer = e->newer;
	else
		c->oldest = e->newer;
}

/* i becomes the most recently used */
static void
use(struct blob_cache *c, int32_t i)
{
	struct entry *e = &c->e[i];

	e->newer = -1;
	e->older = c->newest;
	if (c->newest >= 0)
		c->e[c->newest].newer = i;
	else
		c->oldest = i;
	c->newest = i;
}

static void
drop(struct blob_cache *c, int32_t i)
{
	struct entry *e = &c->e[i];
	int32_t *p = bucket_of(c, e->key);

	while (*p != i)
		p = &c->e[*p].chain;
	*p = e->chain;
	unlink_use(c, i);
	c->bytes -= e->len;
	blob_cache_return(e->val); /* freed here unless lent (then by its last borrower) */
	e->val = NULL;
	e->len = 0;
	e->older = c->free;
	c->free = i;
}

void
blob_cache_return(struct blob_ref *ref)
{
	if (ref != NULL && atomic_fetch_sub_explicit(&ref->users, 1, memory_order_acq_rel) == 1) {
		free(ref->val);
		free(ref);
	}
}

int
blob_cache_borrow(struct blob_cache *c, const uint8_t key[32], const uint8_t **val, size_t *len,
		  struct blob_ref **ref)
{
	struct blob_ref *b = NULL;
	int32_t i;

	*val = NULL;
	*len = 0;
	*ref = NULL;
	if (c == NULL)
		return SP_ERR_NOT_FOUND;
	pthread_mutex_lock(&c->mu);
	if ((i = find(c, key)) >= 0) {
		b = c->e[i].val;
		/* under the lock, while the table holds it: never from zero */
		atomic_fetch_add_explicit(&b->users, 1, memory_order_relaxed);
		unlink_use(c, i);
		use(c, i);
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->mu);
	if (b == NULL)
		return SP_ERR_NOT_FOUND;
	*val = b->val;
	*len = b->len;
	*ref = b;
	return SP_OK;
}

int
blob_cache_get(struct blob_cache *c, const uint8_t key[32], uint8_t **val, size_t *len)
{
	const uint8_t *v;
	struct blob_ref *ref;
	int r;

	*val = NULL;
	*len = 0;
	if ((r = blob_cache_borrow(c, key, &v, len, &ref)) != SP_OK)
		return r;
	if ((*val = malloc(*len ? *len : 1)) == NULL) {
		*len = 0;
		r = SP_ERR_NOMEM;
	} else {
		memcpy(*val, v, *len);
	}
	blob_cache_return(ref);
	return r;
}

void
blob_cache_put_take(struct blob_cache *c, const uint8_t key[32], uint8_t *val, size_t len)
{
	struct entry *e;
	struct blob_ref *b;
	int32_t i, *bk;

	if (c == NULL || len > c->max_bytes || (b = malloc(sizeof(*b))) == NULL) {
		free(val); /* not kept: the next request computes it again */
		return;
	}
	atomic_init(&b->users, 1); /* the table's */
	b->val = val;
	b->len = len;
	pthread_mutex_lock(&c->mu);
	if ((i = find(c, key)) >= 0)
		drop(c, i);
	/* room: the least recently used go until the value fits and a slot is free (the
	   oldest exists: the table is not empty, or both held since len <= max_bytes) */
	while (c->free < 0 || c->bytes + len > c->max_bytes)
		drop(c, c->oldest);
	i = c->free;
	e = &c->e[i];
	c->free = e->older;
	memcpy(e->key, key, 32);
	e->val = b;
	e->len = len;
	bk = bucket_of(c, key);
	e->chain = *bk;
	*bk = i;
	use(c, i);
	c->bytes += len;
	pthread_mutex_unlock(&c->mu);
}

void
blob_cache_put(struct blob_cache *c, const uint8_t key[32], const uint8_t *val, size_t len)
{
	uint8_t *copy;

	if (c == NULL || len > c->max_bytes || (copy = malloc(len ? len : 1)) == NULL)
		return; /* not kept: the next request computes it again */
	memcpy(copy, val, len);
	blob_cache_put_take(c, key, copy, len);
}

void
blob_cache_stats(struct blob_cache *c, struct blob_cache_stats *st)
{
	int32_t i;

	memset(st, 0, sizeof(*st));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	st->hits = c->hits;
	st->misses = c->misses;
	for (i = c->newest; i >= 0; i = c->e[i].older)
		st->entries++; /* at most max_entries steps, on a scrape */
	st->bytes = c->bytes;
	st->max_bytes = c->max_bytes;
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
