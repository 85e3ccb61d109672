/*
 * conn_ips.c: the connection guard's per-address counts
 * (server.max_connections_per_ip): an open-addressing table with linear
 * probing, twice the connection cap so it never fills. The addresses are
 * the peers' to choose (a /64 is 2^64 of them), so a slot is SipHash-2-4 of
 * the address under a key drawn at start-up: without the key nobody can
 * aim addresses at one probe run. An address is an IPv4 one (IPv4-mapped)
 * or an IPv6 /64, as the rate limits count clients (limiter.c): one host is
 * routed a /64 and may number its connections with all 2^64 addresses of
 * it, so counted by address it had no cap but server.max_connections. (An unkeyed FNV-1a with a seed and one
 * xor-shift put 256 IPv4 addresses differing in their bytes' top bits into
 * about half as many home slots as random ones get.) A connection
 * remembers its address, not its slot: removing an address moves later
 * entries of its run back.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/rand.h>

#include "conn_int.h"
#include "siphash.h"

static size_t
ip_hash(const struct conn_guard *g, const unsigned char a[16])
{
	return (size_t)siphash24(g->ipkey, a, 16);
}

/* The address a counts for: itself if IPv4-mapped, else its /64. */
static void
ip_bucket(const unsigned char a[16], unsigned char out[16])
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memcpy(out, a, 16);
	if (memcmp(a, v4mapped, 12) != 0)
		memset(out + 8, 0, 8);
}

/* The slot of a (found or the empty one where it belongs); *probes: slots read. */
static size_t
ip_walk(const struct conn_guard *g, const unsigned char a[16], size_t *probes)
{
	unsigned char b[16];
	size_t i, n = 1;

	ip_bucket(a, b);
	i = ip_hash(g, b) & g->ipmask;
	while (g->ips[i].n != 0 && memcmp(g->ips[i].addr, b, 16) != 0) {
		i = (i + 1) & g->ipmask;
		n++;
	}
	*probes = n;
	return i;
}

static size_t
ip_find(const struct conn_guard *g, const unsigned char a[16])
{
	size_t n;

	return ip_walk(g, a, &n);
}

int
conn_ip_table_init(struct conn_guard *g, long max_open, struct sp_errinfo *ei)
{
	size_t ips = 16;

	while (ips < 2 * (size_t)max_open)
		ips <<= 1;
	g->ipmask = ips - 1;
	if ((g->ips = calloc(ips, sizeof(*g->ips))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory for %zu address slots", ips);
	/* a guessable key would give the slots away: no start-up without one */
	if (RAND_bytes(g->ipkey, sizeof(g->ipkey)) != 1)
		return sp_err(ei, SP_ERR_INTERNAL, "no random key for the per-address table");
	return SP_OK;
}

size_t
conn_ip_probes(const struct conn_guard *g, const unsigned char a[16])
{
	size_t n;

	(void)ip_walk(g, a, &n);
	return n;
}

/* Remove slot i of a linear-probing table, moving later entries of its run back. */
static void
ip_remove(struct conn_guard *g, size_t i)
{
	size_t j = i, k;

	g->ips[i].n = 0;
	for (;;) {
		j = (j + 1) & g->ipmask;
		if (g->ips[j].n == 0)
			return;
		k = ip_hash(g, g->ips[j].addr) & g->ipmask;
		/* Entry j may fill the hole at i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		g->ips[i] = g->ips[j];
		g->ips[j].n = 0;
		i = j;
	}
}

void
conn_peer_key(int fd, unsigned char out[16])
{
	/* zeroed: clang's analyzer does not know that getpeername fills it */
	struct sockaddr_storage ss = { 0 };
	socklen_t sl = sizeof(ss);

	memset(out, 0, 16);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET6) {
		memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else if (ss.ss_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	}
}

void
conn_ip_release(struct conn_guard *g, const unsigned char a[16])
{
	size_t i = ip_find(g, a);

	if (g->ips[i].n > 0 && --g->ips[i].n == 0)
		ip_remove(g, i);
}

long
conn_ip_count(const struct conn_guard *g, const unsigned char a[16])
{
	return g->ips[ip_find(g, a)].n;
}

int
conn_ip_take(struct conn_guard *g, const unsigned char a[16])
{
	size_t i = ip_find(g, a);

	if (g->ips[i].n >= g->max_per_ip)
		return -1;
	ip_bucket(a, g->ips[i].addr);
	g->ips[i].n++;
	return 0;
}
