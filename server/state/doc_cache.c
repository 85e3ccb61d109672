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
 * Lookups are one hash bucket, each segment below a doubly linked list: the
 * event loop holds the mutex for a few pointer moves, the workers too.
 *
 * Which entry goes (a segmented LRU). A plain LRU lost every entry when
 * more contracts were active than fit: uploads of many contracts, then
 * their prepares in the same order, evicted each contract just before its
 * prepare came, and every prepare loaded the whole document (bench_load at
 * 32 MB: 0 of 2,000 prepares in one trip). So an entry nobody has asked
 * for since it was put waits in a probationary segment; a get moves it to
 * the protected one (at most PROTECTED_SHARE of the bound, its least
 * recently used moving back to probation past that); a new contract's
 * entry may take the room of probationary entries only, never of protected
 * ones (admission by size: one larger than what probation and free room
 * hold is not kept). Below both, a completion's revision that no signer is
 * left to open (the contract's last signature) is kept only in room nobody
 * else needs and goes first: it would otherwise push out a contract still
 * waiting for its signers. Eviction takes the least recently used of those
 * revisions, then of probation, then (for an entry that was asked for) of
 * protected.
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

/*
 * The buffer an entry's bytes are in. A completion writes its revision
 * where the held one's bytes end (doc_cache_room_take), and its entry then
 * shares the buffer with the held one's: a contract's stored revisions are
 * each the one before with an update after it, and joining the held bytes
 * and the update into a new buffer was a whole file's copy per completion.
 * What an entry reads, [0..its len), is never written again: the room is
 * only what no entry reads (end on), lent to one completion at a time.
 * Under the mutex: end, room_taken, refs.
 */
struct doc_bytes {
	uint8_t *p;
	size_t cap; /* allocated */
	size_t end; /* the longest entry's bytes: the room is [end..cap) */
	int room_taken;
	unsigned refs; /* the entries made on it */
};

struct entry {
	struct doc_cached pub; /* first: a doc_cached pointer is the entry's */
	struct doc_bytes *buf;
	struct crypto_digest_ctx *ctx;
	char *report;
	void *report_index;
	/* qpdf's parse of data (pdf_parsed), lent to one open at a time (NULL: none here,
	   or lent): under the mutex; only an entry made with one (charged) holds one */
	struct pdf_parsed *parsed;
	int parse_charged;
	/* what the entry counts in the bound (bytes), by part (struct doc_cache_stats) */
	size_t doc_bytes, room_bytes, report_bytes, index_bytes, parse_bytes;
	size_t bytes;                /* their sum */
	unsigned refs;               /* the table's (while linked) + every get's */
	int linked;                  /* in the table and in its segment's list */
	int seg;                     /* enum seg, while linked */
	struct entry *hnext;         /* the bucket's chain */
	struct entry *newer, *older; /* its segment's order of use */
};

/*
 * The segments, in the order eviction takes them: revisions no signer is
 * left to open, entries not asked for since they were put, entries asked
 * for (a prepare's or a claim's get).
 */
enum seg { SEG_DONE, SEG_PROBATION, SEG_PROTECTED, SEG__COUNT };

/* Protected entries hold at most this share of the bound (the rest is
   probation's, and what protected does not use): 4/5, SLRU's usual split. */
#define PROTECTED_SHARE(max) ((max) / 5 * 4)

struct segment {
	struct entry *newest, *oldest;
	size_t bytes;
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
	size_t doc_bytes, room_bytes, report_bytes, index_bytes, parse_bytes; /* by part */
	struct segment seg[SEG__COUNT];
	unsigned long long hits, misses;
	unsigned long long evicted, refused; /* entries that went for room; puts not kept */
	size_t nbuckets;                     /* a power of 2 */
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
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): the buckets are pointers to entries */
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

/* e and, when it was their last entry, its bytes; outside the mutex (c's is taken here) */
static void
entry_free(struct doc_cache *c, struct entry *e)
{
	struct doc_bytes *b;
	int last = 1;

	if (e == NULL)
		return;
	pdf_parsed_free(e->parsed); /* before the bytes it reads */
	if ((b = e->buf) != NULL) {
		if (c != NULL)
			pthread_mutex_lock(&c->mu);
		last = --b->refs == 0;
		if (c != NULL)
			pthread_mutex_unlock(&c->mu);
		if (last) {
			free(b->p);
			free(b);
		}
	}
	crypto_digest_ctx_free(e->ctx);
	free(e->report);
	free(e->report_index);
	free(e);
}

void
doc_cache_free(struct doc_cache *c)
{
	struct entry *e, *next;
	int s;

	if (c == NULL)
		return;
	/* no request holds an entry any more (jobs end first) */
	for (s = 0; s < SEG__COUNT; s++)
		for (e = c->seg[s].newest; e != NULL; e = next) {
			next = e->older;
			entry_free(NULL, e);
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

/* e out of its segment's list (mutex held). */
static void
seg_unlink(struct doc_cache *c, struct entry *e)
{
	struct segment *g = &c->seg[e->seg];

	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		g->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		g->oldest = e->newer;
	e->newer = e->older = NULL;
	g->bytes -= e->bytes;
}

/* e the most recently used of segment s (mutex held). */
static void
seg_front(struct doc_cache *c, struct entry *e, int s)
{
	struct segment *g = &c->seg[s];

	e->seg = s;
	e->older = g->newest;
	e->newer = NULL;
	if (g->newest != NULL)
		g->newest->newer = e;
	g->newest = e;
	if (g->oldest == NULL)
		g->oldest = e;
	g->bytes += e->bytes;
}

/* Protected within its share: its least recently used back to probation (mutex held). */
static void
demote(struct doc_cache *c)
{
	struct entry *e;

	while (c->seg[SEG_PROTECTED].bytes > PROTECTED_SHARE(c->max_bytes) &&
	       (e = c->seg[SEG_PROTECTED].oldest) != NULL) {
		seg_unlink(c, e);
		seg_front(c, e, SEG_PROBATION);
	}
}

/* e's bytes, by part, into (sign 1) or out of (-1) the table's (mutex held). */
static void
count(struct doc_cache *c, const struct entry *e, int sign)
{
	size_t m = sign > 0 ? 1 : (size_t)-1; /* out: modulo 2^n, back to what they were */

	c->bytes += m * e->bytes;
	c->doc_bytes += m * e->doc_bytes;
	c->room_bytes += m * e->room_bytes;
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
	seg_unlink(c, e);
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
		/* asked for: protected (from probation too: it is used, not only put) */
		seg_unlink(c, e);
		seg_front(c, e, SEG_PROTECTED);
		if (c->seg[SEG_PROTECTED].bytes > PROTECTED_SHARE(c->max_bytes))
			demote(c);
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
	entry_free(c, gone); /* outside the lock: a large free may unmap */
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

/*
 * Whether need bytes fit when the segments below `upto` give up their
 * least recently used (mutex held): what an entry going to segment s may
 * take (upto: SEG_DONE + 1 for one no signer is left to open, SEG_PROTECTED
 * for a new contract's, SEG__COUNT for a contract asked for).
 */
static int
fits(const struct doc_cache *c, size_t need, int upto)
{
	size_t have = c->max_bytes - c->bytes;
	int s;

	for (s = 0; s < upto; s++)
		have += c->seg[s].bytes;
	return need <= have;
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
	doc_cache_put_parsed_take(c, number, seq, data, len, sha256_hex, ctx, report, NULL, 0, NULL,
				  1);
}

void
doc_cache_put_parsed_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data, size_t len,
			  const char *sha256_hex, struct crypto_digest_ctx *ctx, char *report,
			  void *report_index, size_t report_index_len, struct pdf_parsed *parsed,
			  int opened_again)
{
	doc_cache_put_room_take(c, number, seq, data, len, len, NULL, sha256_hex, ctx, report,
				report_index, report_index_len, parsed, opened_again);
}

/* room_of's room given back (mutex held): its bytes were not kept after all */
static void
room_back(struct entry *room_of)
{
	if (room_of != NULL && room_of->buf->end == room_of->pub.len)
		room_of->buf->room_taken = 0;
}

void
doc_cache_put_room_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data, size_t len,
			size_t cap, const struct doc_cached *room_of, const char *sha256_hex,
			struct crypto_digest_ctx *ctx, char *report, void *report_index,
			size_t report_index_len, struct pdf_parsed *parsed, int opened_again)
{
	struct entry *e = NULL, *old, *gone = NULL, *next, *ro = (struct entry *)room_of;
	struct doc_bytes *b = NULL;
	size_t tlen = report != NULL ? strlen(report) : 0, rlen = tlen, plen = 0;
	int s, upto, shared = 0;

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
	/* on room_of's room: its buffer, whose room this caller took */
	if (c != NULL && ro != NULL) {
		pthread_mutex_lock(&c->mu);
		shared = ro->buf->p == data && ro->buf->room_taken && len >= ro->pub.len &&
			 len <= ro->buf->cap;
		if (shared)
			cap = ro->buf->cap;
		pthread_mutex_unlock(&c->mu);
	}
	if (c == NULL || data == NULL || len == 0 || cap < len || (ro != NULL && !shared) ||
	    cap > c->max_bytes || rlen > c->max_bytes - cap || seq < 0 || sha256_hex == NULL ||
	    strlen(sha256_hex) != 64 || (e = calloc(1, sizeof(*e))) == NULL ||
	    (!shared && (b = calloc(1, sizeof(*b))) == NULL)) {
		pdf_parsed_free(parsed); /* before the bytes it reads */
		if (shared) {
			pthread_mutex_lock(&c->mu);
			room_back(ro);
			pthread_mutex_unlock(&c->mu);
		} else if (ro == NULL)
			free(data); /* not kept: the next load sends the whole document */
		free(e);
		crypto_digest_ctx_free(ctx);
		free(report);
		free(report_index);
		return;
	}
	if (b != NULL) {
		b->p = data;
		b->cap = cap;
		b->end = len;
		b->refs = 1;
	}
	/* the parse counts in the bound as PARSE_COST times the document: kept when that
	   fits too (none for a revision nobody opens again) */
	if (parsed != NULL && opened_again && len <= (c->max_bytes - cap - rlen) / PARSE_COST) {
		e->parsed = parsed;
		e->parse_charged = 1;
		e->parse_bytes = len * PARSE_COST;
	} else
		pdf_parsed_free(parsed); /* before the bytes it reads (they are kept) */
	parsed = NULL;
	e->buf = b;
	e->ctx = ctx;
	e->report = report;
	e->report_index = report_index;
	/* the room after the bytes is memory held as they are (its own part) */
	e->doc_bytes = len;
	e->room_bytes = cap - len;
	e->report_bytes = tlen;
	e->index_bytes = report_index_len;
	e->bytes = e->doc_bytes + e->room_bytes + e->report_bytes + e->index_bytes + e->parse_bytes;
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
	if (shared) {
		e->buf = ro->buf;
		e->buf->refs++;
	}
	/* where it goes: a revision nobody opens again below all; a contract asked for
	   (its entry protected: the completion's get) stays protected; else probation */
	s = SEG_PROBATION;
	if ((old = find(c, number)) != NULL) {
		if (old->pub.seq > seq) {
			/* a newer revision is held (a completion landed meanwhile): keep it */
			if (shared)
				room_back(ro);
			pthread_mutex_unlock(&c->mu);
			entry_free(c, e);
			return;
		}
		s = old->seg == SEG_PROTECTED ? SEG_PROTECTED : SEG_PROBATION;
		retire(c, old, &gone);
	}
	if (!opened_again)
		s = SEG_DONE;
	upto = s == SEG_DONE ? SEG_DONE + 1 : s == SEG_PROBATION ? SEG_PROTECTED : SEG__COUNT;
	if (!fits(c, e->bytes, upto)) {
		c->refused++; /* it would push out what is worth more: the next use loads */
		if (shared)
			room_back(ro);
		pthread_mutex_unlock(&c->mu);
		entry_free(c, e);
		goto out;
	}
	/* room: the least recently used of the lowest segments go */
	for (upto = 0; c->bytes + e->bytes > c->max_bytes && upto < SEG__COUNT; upto++)
		while (c->bytes + e->bytes > c->max_bytes && c->seg[upto].oldest != NULL) {
			retire(c, c->seg[upto].oldest, &gone);
			c->evicted++;
		}
	/* the bytes room_of's room holds now are this entry's: the room is after them */
	if (shared) {
		e->buf->end = len;
		e->buf->room_taken = 0;
	}
	e->hnext = c->bucket[slot(c, number)];
	c->bucket[slot(c, number)] = e;
	seg_front(c, e, s);
	if (s == SEG_PROTECTED)
		demote(c);
	count(c, e, 1);
	c->entries++;
	pthread_mutex_unlock(&c->mu);
out:
	/* outside the lock: freeing a large document may unmap it */
	for (; gone != NULL; gone = next) {
		next = gone->hnext;
		entry_free(c, gone);
	}
}

uint8_t *
doc_cache_room_take(struct doc_cache *c, const struct doc_cached *d, size_t need, size_t *cap)
{
	struct entry *e = (struct entry *)d;
	uint8_t *p = NULL;

	*cap = 0;
	if (c == NULL || e == NULL)
		return NULL;
	pthread_mutex_lock(&c->mu);
	/* no later revision's bytes follow d's in the buffer, and no completion writes there */
	if (!e->buf->room_taken && e->buf->end == e->pub.len && e->buf->cap - e->pub.len >= need) {
		e->buf->room_taken = 1;
		p = e->buf->p;
		*cap = e->buf->cap;
	}
	pthread_mutex_unlock(&c->mu);
	return p;
}

void
doc_cache_room_return(struct doc_cache *c, const struct doc_cached *d)
{
	if (c == NULL || d == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	room_back((struct entry *)d);
	pthread_mutex_unlock(&c->mu);
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
	if (e->parsed == NULL && !e->parse_charged && e->linked && pd == e->pub.data &&
	    plen == e->pub.len && plen <= (c->max_bytes - c->bytes) / PARSE_COST) {
		e->parse_charged = 1;
		e->parse_bytes = plen * PARSE_COST;
		e->bytes += e->parse_bytes;
		c->bytes += e->parse_bytes;
		c->parse_bytes += e->parse_bytes;
		c->seg[e->seg].bytes += e->parse_bytes;
		if (e->seg == SEG_PROTECTED)
			demote(c);
	}
	if (e->parsed == NULL && e->parse_charged && pd == e->pub.data && plen == e->pub.len) {
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
	entry_free(c, gone);
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
	st->room_bytes = c->room_bytes;
	st->report_bytes = c->report_bytes;
	st->report_index_bytes = c->index_bytes;
	st->parse_bytes = c->parse_bytes;
	st->protected_bytes = c->seg[SEG_PROTECTED].bytes;
	st->probation_bytes = c->seg[SEG_PROBATION].bytes;
	st->done_bytes = c->seg[SEG_DONE].bytes;
	st->evicted = c->evicted;
	st->refused = c->refused;
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
