/*
 * proxy.h: the PROXY protocol (HAProxy's, versions 1 and 2), which a TCP
 * balancer in front of sealpactd sends first on each connection it opens to
 * say whose connection it is, and the list of the balancers allowed to say
 * so (server.trusted_proxies).
 *
 * The header comes before anything of the protocol it carries (before the
 * TLS ClientHello), so it is read off the socket before TLS or HTTP see a
 * byte: conn.c peeks at what arrived, proxy_header_parse() says how much of
 * it is the header, and only that much is consumed. Pure functions: no
 * socket, no event loop; tests/fuzz/fuzz_proxy_header.c feeds them.
 */
#ifndef SP_PROXY_H
#define SP_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "sp.h"

/*
 * Address bytes and TLVs a version 2 header may carry after its 16 fixed
 * bytes: HAProxy sends 12 (IPv4) or 36 (IPv6) of addresses and, when asked,
 * a few short TLVs (ALPN, authority, CRC32c, unique id of up to 128 bytes).
 * A longer header is refused rather than buffered.
 */
#define PROXY_V2_MAX_LEN 1024
/* The most a header may take: a version 2 header at its cap (a v1 line is at most 107). */
#define PROXY_HEADER_MAX (16 + PROXY_V2_MAX_LEN)

enum proxy_result {
	PROXY_BAD = -1, /* a PROXY header, malformed: close the connection */
	PROXY_NONE = 0, /* not a PROXY header: the bytes are the protocol itself */
	PROXY_MORE = 1, /* a header, or still maybe one: read more */
	PROXY_DONE = 2, /* a whole header, h->len bytes long */
};

struct proxy_header {
	/*
	 * PROXY_DONE: the header's length. PROXY_MORE: how many leading bytes
	 * surely belong to a header (0 while they may still be the start of a
	 * request: "P" may be "POST"), so that the reader consumes them and
	 * waits for the rest.
	 */
	size_t len;
	/*
	 * PROXY_DONE: 4 or 6 with the client's address in addr (IPv4 as an
	 * IPv4-mapped IPv6 address, ::ffff:a.b.c.d) and port; 0 when the header
	 * names no client (v2 LOCAL, the balancer's own health check; v1
	 * UNKNOWN; v2 AF_UNSPEC): the connection's own address stays.
	 */
	int family;
	unsigned char addr[16];
	uint16_t port;
	int version;        /* 1 or 2, once known */
	const char *detail; /* PROXY_BAD: why, static text */
};

/*
 * Judge the first n bytes a connection sent. Strict: a version 1 line is
 * "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" with single spaces, addresses
 * as inet_pton(3) reads them, ports 0..65535 in decimal without leading
 * zeros, or "PROXY UNKNOWN...\r\n", at most 107 bytes; a version 2 header
 * has version 2, command LOCAL or PROXY, for PROXY the family TCP over
 * IPv4 or IPv6 (or UNSPEC) with its whole address block, TLVs that fill
 * the rest exactly, a CRC32c TLV (if any) that matches, and at most
 * PROXY_V2_MAX_LEN bytes after the fixed 16. The result is the same however
 * the bytes were split across calls. Any thread.
 */
int proxy_header_parse(const unsigned char *p, size_t n, struct proxy_header *h) SP_WUR;

/* One address range of server.trusted_proxies: addr/bits, IPv4 as IPv4-mapped (/96 + bits). */
struct proxy_net {
	unsigned char addr[16];
	unsigned bits;
};

struct proxy_trust {
	struct proxy_net *nets;
	size_t n;
};

/*
 * Parse server.trusted_proxies: a comma-separated list of addresses and
 * CIDR ranges (IPv4 or IPv6, spaces around items allowed), NULL or empty for
 * none. Host bits set under the prefix ("10.0.0.1/8") are refused: the
 * range meant is ambiguous. SP_OK; SP_ERR_CONFIG with the item in ei;
 * SP_ERR_NOMEM. t is cleaned up by the caller whatever the result.
 */
int proxy_trust_parse(const char *list, struct proxy_trust *t, struct sp_errinfo *ei) SP_WUR;
void proxy_trust_cleanup(struct proxy_trust *t);

/* Whether addr (16 bytes, IPv4-mapped for IPv4) lies in one of t's ranges. */
int proxy_trust_has(const struct proxy_trust *t, const unsigned char addr[16]);

#endif
