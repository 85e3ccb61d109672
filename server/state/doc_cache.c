/*
 * doc_cache.c: the stored documents a serving process holds, so that
 * prepare's load and completion's claim ask PostgreSQL only for the
 * revisions after the one held (issue 14: a contract's 20th signing no
 * slower than its 1st). One entry per contract, its newest revision that
 * went through this process, with the length and the SHA-256 PostgreSQL
 * stored for it: the statements send those and use the entry only when the
 * stored revision still matches them, so a stale or wrong entry costs a
 * full load, never a wrong document (blob_cache.c's rule: an entry answers
 * only for the very bytes it was made from). A completion keeps the
 * verification report it stored with the revision there too: the next
 * completion here builds on it without the claim sending it again.
 *
 * Entries are immutable and shared read-only: a get takes a reference
 * under the mutex and returns the entry itself (a 10 MB document is not
 * copied per request); an entry replaced or evicted while in use is freed
 * by its last release. The bound counts the entries in the table: what
 * requests still hold after an eviction is theirs, as any request's buffer.
 * Lookups are one hash bucket, the LRU a doubly linked list: the event loop
 * holds the mutex for a few pointer moves, the workers too.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pdf.h"
#include "state.h"

/*
 * What a kept parse counts for in the bound, in multiples of its document:
 * qpdf's parse of a signed contract with every object resolved measured 2.2
 * times the file (a 480 KB contract signed 20 times: 1.07 MB); a signing's
 * opens resolve a part of them (bench_load's 2,040 completions of a 10-page
 * contract kept parses of 0.6 times their 94 KB: the process 373 MiB
 * resident with them, 260 without). Only a revision a signer is left to
 * open keeps one (signing_complete.c).
 */
#define PARSE_COST 2

struct entry {
	struct doc_cached pub; /* first: a doc_cached pointer is the entry's */
	uint8_t *data;
	struct crypto_digest_ctx *ctx;
	char *report;
	void *report_index;
	/* qpdf's parse of data (pdf_parsed), lent to one open at a time (NULL: none here,
	   or lent): under the mutex; only an entry made with one (charged) holds one */
	struct pdf_parsed *parsed;
	int parse_charged;
	/* what the entry counts in the bound (bytes), by part (struct doc_cache_stats) */
	size_t doc_bytes, report_bytes, index_bytes, parse_bytes;
	size_t bytes;                /* their sum */
	unsigned refs;               /* the table's (while linked) + every get's */
	int linked;                  /* in the table and the LRU list */
	struct entry *hnext;         /* the bucket's chain */
	struct entry *newer, *older; /* the LRU list */
};

/* A signing session prepared here, and its contract (the claim names only the session). */
struct session_note {
	char id[37]; /* "" : free */
	int64_t number;
};
#define SESSION_NOTES 4096 /* a power of 2; a note overwritten early costs one full claim */

struct doc_cache {
	pthread_mutex_t mu;
	struct session_note notes[SESSION_NOTES];
	size_t max_bytes, bytes, entries;
	size_t doc_bytes, report_bytes, index_bytes, parse_bytes; /* bytes, by part */
	struct entry *newest, *oldest;
	unsigned long long hits, misses;
	size_t nbuckets; /* a power of 2 */
	struct entry *bucket[];
};

static size_t
slot(const struct doc_cache *c, int64_t number)
{
	uint64_t h =
		(uint64_t)number * 0x9E3779B97F4A7C15ull; /* snowflakes: mix the high bits in */

	return (size_t)(h >> 32) & (c->nbuckets - 1);
}

int
doc_cache_new(size_t max_bytes, struct doc_cache **out, struct sp_errinfo *ei)
{
	struct doc_cache *c;
	size_t nb = 256;

	*out = NULL;
	if (max_bytes == 0)
		return SP_OK; /* off: every get misses, every put frees */
	/* about one bucket per 64 KiB held, 256..65536 */
	while (nb < 65536 && nb < max_bytes / 65536)
		nb *= 2;
	if (!(c = calloc(1, sizeof(*c) + nb * sizeof(c->bucket[0]))))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return sp_err(ei, SP_ERR_INTERNAL, "pthread_mutex_init failed");
	}
	c->nbuckets = nb;
	c->max_bytes = max_bytes;
	*out = c;
	return SP_OK;
}

static void
entry_free(struct entry *e)
{
	if (e == NULL)
		return;
	pdf_parsed_free(e->parsed); /* before the bytes it reads */
	free(e->data);
	crypto_digest_ctx_free(e->ctx);
	free(e->report);
	free(e->report_index);
	free(e);
}

void
doc_cache_free(struct doc_cache *c)
{
	struct entry *e, *next;

	if (c == NULL)
		return;
	/* no request holds an entry any more (jobs end first) */
	for (e = c->newest; e != NULL; e = next) {
		next = e->older;
		entry_free(e);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static struct entry *
find(struct doc_cache *c, int64_t number)
{
	struct entry *e;

	for (e = c->bucket[slot(c, number)]; e != NULL; e = e->hnext)
		if (e->pub.number == number)
			return e;
	return NULL;
}

static void
lru_unlink(struct doc_cache *c, struct entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
lru_front(struct doc_cache *c, struct entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest != NULL)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

/* e's bytes, by part, into (sign 1) or out of (-1) the table's (mutex held). */
static void
count(struct doc_cache *c, const struct entry *e, int sign)
{
	size_t m = sign > 0 ? 1 : (size_t)-1; /* out: modulo 2^n, back to what they were */

	c->bytes += m * e->bytes;
	c->doc_bytes += m * e->doc_bytes;
	c->report_bytes += m * e->report_bytes;
	c->index_bytes += m * e->index_bytes;
	c->parse_bytes += m * e->parse_bytes;
}

/* Out of the table (mutex held); returns the entry when nobody holds it any more. */
static struct entry *
unlink_entry(struct doc_cache *c, struct entry *e)
{
	struct entry **p = &c->bucket[slot(c, e->pub.number)];

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	e->hnext = NULL;
	lru_unlink(c, e);
	e->linked = 0;
	count(c, e, -1);
	c->entries--;
	return --e->refs == 0 ? e : NULL;
}

const struct doc_cached *
doc_cache_get(struct doc_cache *c, int64_t number)
{
	struct entry *e;

	if (c == NULL)
		return NULL;
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, number)) != NULL) {
		e->refs++;
		lru_unlink(c, e);
		lru_front(c, e);
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->mu);
	return e != NULL ? &e->pub : NULL;
}

void
doc_cache_release(struct doc_cache *c, const struct doc_cached *d)
{
	struct entry *e = (struct entry *)d, *gone = NULL;

	if (c == NULL || e == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (--e->refs == 0)
		gone = e; /* replaced or evicted while held: the last user frees it */
	pthread_mutex_unlock(&c->mu);
	entry_free(gone); /* outside the lock: a large free may unmap */
}

/* e out of the table onto *gone (mutex held) when nobody else holds it. */
static void
retire(struct doc_cache *c, struct entry *e, struct entry **gone)
{
	if ((e = unlink_entry(c, e)) != NULL) {
		e->hnext = *gone;
		*gone = e;
	}
}

void
doc_cache_put_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data, size_t len,
		   const char *sha256_hex, struct crypto_digest_ctx *ctx)
{
	doc_cache_put_report_take(c, number, seq, data, len, sha256_hex, ctx, NULL);
}

void
doc_cache_put_report_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data, size_t len,
			  const char *sha256_hex, struct crypto_digest_ctx *ctx, char *report)
{
	doc_cache_put_parsed_take(c, number, seq, data, len, sha256_hex, ctx, report, NULL, 0,
				  NULL);
}

void
doc_cache_put_parsed_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data, size_t len,
			  const char *sha256_hex, struct crypto_digest_ctx *ctx, char *report,
			  void *report_index, size_t report_index_len, struct pdf_parsed *parsed)
{
	struct entry *e = NULL, *old, *gone = NULL, *next;
	size_t tlen = report != NULL ? strlen(report) : 0, rlen = tlen, plen = 0;

	/* an index goes with its report only; it counts in the bound as the report does */
	if (report == NULL || report_index == NULL) {
		free(report_index);
		report_index = NULL;
		report_index_len = 0;
	}
	if (report_index_len > SIZE_MAX - rlen) {
		free(report_index);
		report_index = NULL;
		report_index_len = 0;
	}
	rlen += report_index_len;

	/* only a parse of these very bytes (the buffer it reads is the one kept) */
	if (parsed != NULL &&
	    (pdf_parsed_data(parsed, &plen) != (const unsigned char *)data || plen != len)) {
		pdf_parsed_free(parsed);
		parsed = NULL;
	}
	if (c == NULL || data == NULL || len == 0 || len > c->max_bytes ||
	    rlen > c->max_bytes - len || seq < 0 || sha256_hex == NULL ||
	    strlen(sha256_hex) != 64 || (e = calloc(1, sizeof(*e))) == NULL) {
		pdf_parsed_free(parsed); /* before the bytes it reads */
		free(data);              /* not kept: the next load sends the whole document */
		crypto_digest_ctx_free(ctx);
		free(report);
		free(report_index);
		return;
	}
	/* the parse counts in the bound as PARSE_COST times the document: kept when that
	   fits too */
	if (parsed != NULL && len <= (c->max_bytes - len - rlen) / PARSE_COST) {
		e->parsed = parsed;
		e->parse_charged = 1;
		e->parse_bytes = len * PARSE_COST;
	} else
		pdf_parsed_free(parsed); /* before the bytes it reads (they are kept) */
	parsed = NULL;
	e->data = data;
	e->ctx = ctx;
	e->report = report;
	e->report_index = report_index;
	e->doc_bytes = len;
	e->report_bytes = tlen;
	e->index_bytes = report_index_len;
	e->bytes = e->doc_bytes + e->report_bytes + e->index_bytes + e->parse_bytes;
	e->pub.sha256_ctx = ctx;
	e->pub.number = number;
	e->pub.seq = seq;
	e->pub.data = data;
	e->pub.len = len;
	e->pub.report = report;
	e->pub.report_len = tlen;
	e->pub.report_index = report_index;
	e->pub.report_index_len = report_index_len;
	memcpy(e->pub.sha256_hex, sha256_hex, 65);
	e->refs = 1;
	e->linked = 1;
	pthread_mutex_lock(&c->mu);
	if ((old = find(c, number)) != NULL) {
		if (old->pub.seq > seq) {
			/* a newer revision is held (a completion landed meanwhile): keep it */
			pthread_mutex_unlock(&c->mu);
			entry_free(e);
			return;
		}
		retire(c, old, &gone);
	}
	/* room: the least recently used go */
	while (c->bytes + e->bytes > c->max_bytes && c->oldest != NULL)
		retire(c, c->oldest, &gone);
	e->hnext = c->bucket[slot(c, number)];
	c->bucket[slot(c, number)] = e;
	lru_front(c, e);
	count(c, e, 1);
	c->entries++;
	pthread_mutex_unlock(&c->mu);
	/* outside the lock: freeing a large document may unmap it */
	for (; gone != NULL; gone = next) {
		next = gone->hnext;
		entry_free(gone);
	}
}

struct pdf_parsed *
doc_cache_parsed_take(struct doc_cache *c, const struct doc_cached *d)
{
	struct entry *e = (struct entry *)d;
	struct pdf_parsed *p;

	if (c == NULL || e == NULL)
		return NULL;
	pthread_mutex_lock(&c->mu);
	p = e->parsed;
	e->parsed = NULL; /* lent: one open at a time */
	pthread_mutex_unlock(&c->mu);
	return p;
}

void
doc_cache_parsed_put(struct doc_cache *c, const struct doc_cached *d, struct pdf_parsed *p)
{
	struct entry *e = (struct entry *)d;
	const unsigned char *pd;
	size_t plen = 0;

	if (c == NULL || e == NULL || p == NULL) {
		pdf_parsed_free(p);
		return;
	}
	/* only the parse of the entry's own bytes: the buffer it reads is the entry's */
	pd = pdf_parsed_data(p, &plen);
	pthread_mutex_lock(&c->mu);
	/* an entry made without one (an upload's, a load's) keeps the first prepare's for
	   its completion's open of the same base, when it fits beside what is held without
	   evicting anything; counted from then on as a parse made with the entry is. The
	   completion's revision replaces the entry, and the parse goes with it. */
	if (e->parsed == NULL && !e->parse_charged && e->linked && pd == e->data &&
	    plen == e->pub.len && plen <= (c->max_bytes - c->bytes) / PARSE_COST) {
		e->parse_charged = 1;
		e->parse_bytes = plen * PARSE_COST;
		e->bytes += e->parse_bytes;
		c->bytes += e->parse_bytes;
		c->parse_bytes += e->parse_bytes;
	}
	if (e->parsed == NULL && e->parse_charged && pd == e->data && plen == e->pub.len) {
		e->parsed = p;
		p = NULL; /* transferred */
	}
	pthread_mutex_unlock(&c->mu);
	pdf_parsed_free(p); /* another was put meanwhile, or not these bytes' */
}

void
doc_cache_drop(struct doc_cache *c, const struct doc_cached *d)
{
	struct entry *e = (struct entry *)d, *gone = NULL;

	if (c == NULL || e == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (e->linked)
		gone = unlink_entry(c, e); /* the caller's reference keeps it: NULL */
	pthread_mutex_unlock(&c->mu);
	entry_free(gone);
}

void
doc_cache_stats(struct doc_cache *c, struct doc_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	st->hits = c->hits;
	st->misses = c->misses;
	st->bytes = c->bytes;
	st->entries = c->entries;
	st->max_bytes = c->max_bytes;
	st->document_bytes = c->doc_bytes;
	st->report_bytes = c->report_bytes;
	st->report_index_bytes = c->index_bytes;
	st->parse_bytes = c->parse_bytes;
	pthread_mutex_unlock(&c->mu);
}

static size_t
note_slot(const char *id)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	size_t i;

	for (i = 0; i < 36 && id[i] != '\0'; i++)
		h = (h ^ (uint8_t)id[i]) * 1099511628211ull;
	return (size_t)h & (SESSION_NOTES - 1);
}

void
doc_cache_session_note(struct doc_cache *c, const char *id, int64_t number)
{
	struct session_note *n;

	if (c == NULL || id == NULL || strlen(id) != 36)
		return;
	pthread_mutex_lock(&c->mu);
	n = &c->notes[note_slot(id)];
	memcpy(n->id, id, 37);
	n->number = number;
	pthread_mutex_unlock(&c->mu);
}

int64_t
doc_cache_session_number(struct doc_cache *c, const char *id)
{
	struct session_note *n;
	int64_t number = 0;

	if (c == NULL || id == NULL || strlen(id) != 36)
		return 0;
	pthread_mutex_lock(&c->mu);
	n = &c->notes[note_slot(id)];
	if (strcmp(n->id, id) == 0)
		number = n->number;
	pthread_mutex_unlock(&c->mu);
	return number;
}
