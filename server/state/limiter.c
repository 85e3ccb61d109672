/*
 * limiter.c: per-address event counts over fixed windows, for the rate
 * limits a serving process keeps in memory (anonymous verifications per
 * address; reviewer logins are throttled in PostgreSQL, where every process
 * sees the same counts). Open addressing over a few
 * neighbours of the address's hash; when all are taken, the oldest window is
 * replaced. Each serving process owns its limiters and uses them on its loop
 * thread only, so there is no lock.
 *
 * A client is its address as the worker pool's owners are (request.c): an
 * IPv4 address (also written IPv4-mapped), an IPv6 /64. One IPv6 host is
 * given a /64 to number itself in, so counted by address it had 2^64
 * windows of its own (sec39).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state.h"

#define PROBES 8

struct slot {
	char ip[64];
	uint64_t start_ms; /* monotonic start of the address's window */
	int count;
};

struct ip_limiter {
	size_t nslots;
	uint64_t window_ms;
	int max;
	struct slot slots[];
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
ip_limiter_new(size_t slots, uint64_t window_ms, int max, struct ip_limiter **out,
	       struct sp_errinfo *ei)
{
	struct ip_limiter *l;

	*out = NULL;
	if (slots == 0 || window_ms == 0 || max < 0)
		return sp_err(ei, SP_ERR_INVALID,
			      "a rate limit needs slots, a window and max >= 0");
	if ((l = calloc(1, sizeof(*l) + slots * sizeof(l->slots[0]))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	l->nslots = slots;
	l->window_ms = window_ms;
	l->max = max;
	*out = l;
	return SP_OK;
}

void
ip_limiter_free(struct ip_limiter *l)
{
	free(l);
}

/* The client ip belongs to, as text: IPv4 as written, IPv6 its /64; else ip itself. */
static void
client_of(const char *ip, char out[64])
{
	unsigned char a[16];

	if (inet_pton(AF_INET6, ip, a) == 1) {
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
			inet_ntop(AF_INET, a + 12, out, 64);
			return;
		}
		memset(a + 8, 0, 8);
		if (inet_ntop(AF_INET6, a, out, 60) != NULL) {
			/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): 46 + 3 bytes, into 64 */
			strcat(out, "/64");
			return;
		}
	}
	snprintf(out, 64, "%s", ip);
}

/* The slot of ip's client (a fresh window once the old one is over), or NULL for "". */
static struct slot *
find(struct ip_limiter *l, const char *addr, uint64_t now)
{
	struct slot *s, *victim = NULL;
	uint32_t h = 2166136261u;
	const char *c;
	char ip[64];
	size_t i;

	if (addr[0] == '\0')
		return NULL;
	client_of(addr, ip);
	for (c = ip; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	for (i = 0; i < PROBES; i++) {
		s = &l->slots[(h + i) % l->nslots];
		if (strcmp(s->ip, ip) == 0) {
			victim = s;
			break;
		}
		/* An unused slot (ip "") beats any window; else the oldest. */
		if (victim == NULL ||
		    (victim->ip[0] != '\0' && (s->ip[0] == '\0' || s->start_ms < victim->start_ms)))
			victim = s;
	}
	if (strcmp(victim->ip, ip) != 0 || now - victim->start_ms >= l->window_ms) {
		snprintf(victim->ip, sizeof(victim->ip), "%s", ip);
		victim->start_ms = now;
		victim->count = 0;
	}
	return victim;
}

uint64_t
ip_limiter_wait_ms(struct ip_limiter *l, const char *ip)
{
	uint64_t now = mono_ms();
	struct slot *s;

	if (l->max == 0 || (s = find(l, ip, now)) == NULL || s->count < l->max)
		return 0;
	return l->window_ms - (now - s->start_ms);
}

void
ip_limiter_count(struct ip_limiter *l, const char *ip)
{
	struct slot *s;

	if (l->max != 0 && (s = find(l, ip, mono_ms())) != NULL)
		s->count++;
}
