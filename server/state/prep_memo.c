/*
 * prep_memo.c: what a member's prepare may skip its load for (issue 14,
 * migration 036). A prepare's load sends the member session its token
 * names and the seal its placements name; a process that saw both lately
 * (and holds the contract's latest revision: doc_cache) builds the update
 * first and stores the session with one statement that runs the load's
 * checks and compares what they read with what the process used
 * (server/api/signing.c). So nothing here grants anything: an entry only
 * says that the shortcut is worth trying, and a stale one costs a trip
 * back to the load, the answer being the load's.
 *
 * Two small direct-mapped tables, each entry living ttl_s seconds from its
 * last confirmation (a load, or the one statement, that read the same):
 * member sessions by their token's hash, and seals by organization and id
 * with their picture (at most max_bytes of pictures). A collision replaces
 * the entry. Each serving process uses its memo on its loop thread only, so
 * there is no lock (state.h limiter's way).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state.h"

struct member_slot {
	char hash[65]; /* "" : free */
	int64_t until_s;
	struct prep_member who;
};

struct seal_slot {
	int64_t org, seal; /* seal 0: free */
	int64_t until_s;
	uint8_t *png;
	size_t png_len;
	uint8_t sha256[32]; /* of png: what the one-trip statement compares */
	char *info;
};

struct prep_memo {
	size_t nmembers, nseals, max_bytes, bytes;
	int ttl_s;
	struct prep_memo_stats st;
	struct member_slot *members;
	struct seal_slot *seals;
};

int64_t
prep_memo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static int
pow2(size_t n)
{
	return n > 0 && (n & (n - 1)) == 0;
}

int
prep_memo_new(size_t members, size_t seals, size_t max_bytes, int ttl_s, struct prep_memo **out,
	      struct sp_errinfo *ei)
{
	struct prep_memo *m;

	*out = NULL;
	if (!pow2(members) || !pow2(seals) || ttl_s < 1)
		return sp_err(ei, SP_ERR_INVALID,
			      "a prepare memo needs powers of two of slots and a lifetime");
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->members = calloc(members, sizeof(*m->members))) == NULL ||
	    (m->seals = calloc(seals, sizeof(*m->seals))) == NULL) {
		prep_memo_free(m);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	}
	m->nmembers = members;
	m->nseals = seals;
	m->max_bytes = max_bytes;
	m->ttl_s = ttl_s;
	*out = m;
	return SP_OK;
}

static void
seal_clear(struct prep_memo *m, struct seal_slot *s)
{
	if (s->seal != 0)
		m->bytes -= s->png_len;
	free(s->png);
	free(s->info);
	memset(s, 0, sizeof(*s));
}

void
prep_memo_free(struct prep_memo *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; m->seals != NULL && i < m->nseals; i++)
		seal_clear(m, &m->seals[i]);
	free(m->seals);
	free(m->members);
	free(m);
}

/* A token hash's slot: the hash is a SHA-256 in hex, so its first digits will do. */
static struct member_slot *
member_slot(struct prep_memo *m, const char *hash)
{
	uint64_t h = 0;
	int i;

	for (i = 0; i < 16 && hash[i] != '\0'; i++)
		h = h << 4 |
		    (uint64_t)(hash[i] <= '9' ? hash[i] - '0' : (hash[i] | 0x20) - 'a' + 10);
	return &m->members[h & (m->nmembers - 1)];
}

/* A token's hash stands for the token: compared with sp_secret_equal over its 64 digits. */
static int
hash_ok(const char *hash)
{
	return hash != NULL && strlen(hash) == 64;
}

int
prep_memo_member_get(struct prep_memo *m, const char *hash, int64_t now_s, struct prep_member *out)
{
	struct member_slot *s;

	if (m == NULL || !hash_ok(hash))
		return SP_ERR_NOT_FOUND;
	s = member_slot(m, hash);
	if (!sp_secret_equal(s->hash, hash, 64) || now_s >= s->until_s)
		return SP_ERR_NOT_FOUND;
	*out = s->who;
	return SP_OK;
}

void
prep_memo_member_put(struct prep_memo *m, const char *hash, int64_t now_s,
		     const struct prep_member *who)
{
	struct member_slot *s;

	if (m == NULL || !hash_ok(hash))
		return;
	s = member_slot(m, hash);
	memcpy(s->hash, hash, 65);
	s->until_s = now_s + m->ttl_s;
	s->who = *who;
}

void
prep_memo_member_drop(struct prep_memo *m, const char *hash)
{
	struct member_slot *s;

	if (m == NULL || !hash_ok(hash))
		return;
	s = member_slot(m, hash);
	if (sp_secret_equal(s->hash, hash, 64))
		memset(s, 0, sizeof(*s));
}

static struct seal_slot *
seal_slot(struct prep_memo *m, int64_t org, int64_t seal)
{
	uint64_t h = (uint64_t)org * 0x9e3779b97f4a7c15ULL ^ (uint64_t)seal * 0xc2b2ae3d27d4eb4fULL;

	return &m->seals[(h >> 32 ^ h) & (m->nseals - 1)];
}

int
prep_memo_seal_get(struct prep_memo *m, int64_t org, int64_t seal, int64_t now_s, uint8_t **png,
		   size_t *png_len, uint8_t sha256[32], char **info)
{
	struct seal_slot *s;

	*png = NULL;
	*info = NULL;
	*png_len = 0;
	if (m == NULL || seal <= 0)
		return SP_ERR_NOT_FOUND;
	s = seal_slot(m, org, seal);
	if (s->seal != seal || s->org != org || now_s >= s->until_s)
		return SP_ERR_NOT_FOUND;
	if ((*png = malloc(s->png_len)) == NULL || (*info = strdup(s->info)) == NULL) {
		free(*png);
		*png = NULL;
		return SP_ERR_NOMEM;
	}
	memcpy(*png, s->png, s->png_len);
	*png_len = s->png_len;
	memcpy(sha256, s->sha256, 32);
	return SP_OK;
}

void
prep_memo_seal_put(struct prep_memo *m, int64_t org, int64_t seal, int64_t now_s,
		   const uint8_t *png, size_t png_len, const uint8_t sha256[32], const char *info)
{
	struct seal_slot *s;

	if (m == NULL || seal <= 0 || png == NULL || png_len == 0 || info == NULL)
		return;
	s = seal_slot(m, org, seal);
	if (s->seal == seal && s->org == org && s->png_len == png_len &&
	    memcmp(s->sha256, sha256, 32) == 0 && strcmp(s->info, info) == 0) {
		s->until_s = now_s + m->ttl_s; /* the same seal, confirmed again */
		return;
	}
	seal_clear(m, s);
	if (png_len > m->max_bytes - m->bytes || (s->png = malloc(png_len)) == NULL ||
	    (s->info = strdup(info)) == NULL) {
		seal_clear(m, s);
		return;
	}
	memcpy(s->png, png, png_len);
	s->png_len = png_len;
	memcpy(s->sha256, sha256, 32);
	s->org = org;
	s->seal = seal;
	s->until_s = now_s + m->ttl_s;
	m->bytes += png_len;
}

void
prep_memo_seal_drop(struct prep_memo *m, int64_t org, int64_t seal)
{
	struct seal_slot *s;

	if (m == NULL || seal <= 0)
		return;
	s = seal_slot(m, org, seal);
	if (s->seal == seal && s->org == org)
		seal_clear(m, s);
}

void
prep_memo_count(struct prep_memo *m, int one_trip)
{
	if (m == NULL)
		return;
	if (one_trip)
		m->st.one_trip++;
	else
		m->st.fallback++;
}

void
prep_memo_stats(const struct prep_memo *m, struct prep_memo_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	if (m == NULL)
		return;
	*st = m->st;
	for (i = 0; i < m->nmembers; i++)
		st->members += m->members[i].hash[0] != '\0';
	for (i = 0; i < m->nseals; i++)
		st->seals += m->seals[i].seal != 0;
	st->seal_bytes = m->bytes;
	st->seal_max_bytes = m->max_bytes;
}
