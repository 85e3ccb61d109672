/*
 * proxy.c: the PROXY protocol header (versions 1 and 2, as HAProxy's
 * proxy-protocol.txt defines them) and the ranges of trusted balancers.
 *
 * The parser is handed everything a connection sent so far and answers the
 * same for the same bytes, so the reader may call it again with more; it
 * never reads past n, and says how much of the input is surely header, so
 * that the reader consumes no byte that belongs to TLS or HTTP.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v2_sig[12] = { '\r', '\n', '\r', '\n', 0,   '\r',
					  '\n', 'Q',  'U',  'I',  'T', '\n' };
static const char v1_sig[6] = "PROXY ";

/* Longest version 1 line, "PROXY TCP6 " + two full IPv6 addresses + ports + CRLF. */
#define V1_MAX 107

#define V2_CMD_LOCAL 0x0
#define V2_CMD_PROXY 0x1
#define V2_FAM_UNSPEC 0x00
#define V2_FAM_TCP4 0x11
#define V2_FAM_TCP6 0x21
#define V2_TLV_CRC32C 0x03

static int
bad(struct proxy_header *h, const char *why)
{
	h->detail = why;
	return PROXY_BAD;
}

/* Whether p[0..n) starts sig[0..k) as far as it goes (n may be shorter). */
static int
prefix_of(const unsigned char *p, size_t n, const void *sig, size_t k)
{
	return memcmp(p, sig, n < k ? n : k) == 0;
}

/* CRC32c (Castagnoli), bitwise: a header is at most PROXY_HEADER_MAX bytes, once a connection. */
static uint32_t
crc32c(const unsigned char *p, size_t n, size_t zero_at)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		/* the checksum is computed with its own field zeroed */
		c ^= (i >= zero_at && i < zero_at + 4) ? 0 : p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

static void
mapped_v4(unsigned char out[16], const unsigned char a[4])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a, 4);
}

/* ---- version 2 ---- */

static int
parse_v2(const unsigned char *p, size_t n, struct proxy_header *h)
{
	size_t len, total, at, alen = 0;
	unsigned cmd, fam;

	h->version = 2;
	if (n < 16) {
		h->len = n;
		return PROXY_MORE;
	}
	if ((p[12] >> 4) != 2)
		return bad(h, "PROXY v2 header: version is not 2");
	cmd = p[12] & 0x0f;
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
		return bad(h, "PROXY v2 header: command is neither LOCAL nor PROXY");
	fam = p[13];
	len = ((size_t)p[14] << 8) | p[15];
	if (len > PROXY_V2_MAX_LEN)
		return bad(h, "PROXY v2 header: longer than this server reads");
	if (cmd == V2_CMD_PROXY && fam != V2_FAM_TCP4 && fam != V2_FAM_TCP6 && fam != V2_FAM_UNSPEC)
		return bad(h, "PROXY v2 header: not TCP over IPv4 or IPv6");
	total = 16 + len;
	if (n < total) {
		h->len = n;
		return PROXY_MORE;
	}
	/* LOCAL (the balancer's own check) and UNSPEC carry no client: their block is skipped. */
	if (cmd == V2_CMD_PROXY && fam == V2_FAM_TCP4)
		alen = 12;
	else if (cmd == V2_CMD_PROXY && fam == V2_FAM_TCP6)
		alen = 36;
	if (len < alen)
		return bad(h, "PROXY v2 header: address block too short");
	if (alen != 0) {
		for (at = 16 + alen; at < total;) {
			size_t tlen;

			if (total - at < 3)
				return bad(h, "PROXY v2 header: truncated TLV");
			tlen = ((size_t)p[at + 1] << 8) | p[at + 2];
			if (total - at - 3 < tlen)
				return bad(h, "PROXY v2 header: TLV longer than the header");
			if (p[at] == V2_TLV_CRC32C) {
				uint32_t want;

				if (tlen != 4)
					return bad(h, "PROXY v2 header: CRC32c TLV is not 4 bytes");
				want = ((uint32_t)p[at + 3] << 24) | ((uint32_t)p[at + 4] << 16) |
				       ((uint32_t)p[at + 5] << 8) | p[at + 6];
				if (crc32c(p, total, at + 3) != want)
					return bad(h, "PROXY v2 header: CRC32c mismatch");
			}
			at += 3 + tlen;
		}
		if (alen == 12) {
			h->family = 4;
			mapped_v4(h->addr, p + 16);
			h->port = (uint16_t)((p[24] << 8) | p[25]);
		} else {
			h->family = 6;
			memcpy(h->addr, p + 16, 16);
			h->port = (uint16_t)((p[48] << 8) | p[49]);
		}
	}
	h->len = total;
	return PROXY_DONE;
}

/* ---- version 1 ---- */

/* The next space-separated token of s[*at..end) into out (cap bytes with NUL); 0 when none. */
static int
token(const unsigned char *s, size_t end, size_t *at, char *out, size_t cap)
{
	size_t i = *at, k = 0;

	while (i < end && s[i] != ' ') {
		if (s[i] < 0x21 || s[i] > 0x7e || k + 1 >= cap)
			return 0;
		out[k++] = (char)s[i++];
	}
	if (k == 0)
		return 0;
	out[k] = '\0';
	*at = i;
	return 1;
}

static int
port_parse(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 5 || (s[0] == '0' && s[1] != '\0'))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return 0;
	*out = (uint16_t)v;
	return 1;
}

static int
parse_v1(const unsigned char *p, size_t n, struct proxy_header *h)
{
	const unsigned char *lf;
	size_t end, at, look = n < V1_MAX ? n : V1_MAX;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], sp[8], dp[8];
	unsigned char a[16], b[16];
	uint16_t sport, dport;
	int af;

	h->version = 1;
	lf = memchr(p, '\n', look);
	if (lf == NULL) {
		if (n >= V1_MAX)
			return bad(h, "PROXY v1 header: no CRLF within 107 bytes");
		h->len = n; /* every byte before the line's end is the header's */
		return PROXY_MORE;
	}
	end = (size_t)(lf - p);
	if (end < sizeof(v1_sig) + 1 || p[end - 1] != '\r')
		return bad(h, "PROXY v1 header: the line does not end with CRLF");
	end--; /* the CR */
	at = sizeof(v1_sig);
	if (end - at >= 7 && memcmp(p + at, "UNKNOWN", 7) == 0) {
		/* "UNKNOWN", then nothing or a space and what the sender could not name */
		for (at += 7; at < end; at++)
			if (p[at] < 0x20 || p[at] > 0x7e ||
			    (at == sizeof(v1_sig) + 7 && p[at] != ' '))
				return bad(h, "PROXY v1 header: malformed UNKNOWN line");
		h->family = 0;
		h->len = end + 2;
		return PROXY_DONE;
	}
	if (end - at < 5 || (memcmp(p + at, "TCP4 ", 5) != 0 && memcmp(p + at, "TCP6 ", 5) != 0))
		return bad(h, "PROXY v1 header: protocol is not TCP4, TCP6 or UNKNOWN");
	af = p[at + 3] == '4' ? AF_INET : AF_INET6;
	at += 5;
	if (!token(p, end, &at, src, sizeof(src)) || at >= end || p[at++] != ' ' ||
	    !token(p, end, &at, dst, sizeof(dst)) || at >= end || p[at++] != ' ' ||
	    !token(p, end, &at, sp, sizeof(sp)) || at >= end || p[at++] != ' ' ||
	    !token(p, end, &at, dp, sizeof(dp)) || at != end)
		return bad(h, "PROXY v1 header: not four fields separated by single spaces");
	if (inet_pton(af, src, a) != 1 || inet_pton(af, dst, b) != 1)
		return bad(h, "PROXY v1 header: an address is not of its protocol");
	if (!port_parse(sp, &sport) || !port_parse(dp, &dport))
		return bad(h, "PROXY v1 header: a port is not a number 0..65535");
	if (af == AF_INET) {
		h->family = 4;
		mapped_v4(h->addr, a);
	} else {
		h->family = 6;
		memcpy(h->addr, a, 16);
	}
	h->port = sport;
	h->len = end + 2;
	return PROXY_DONE;
}

int
proxy_header_parse(const unsigned char *p, size_t n, struct proxy_header *h)
{
	memset(h, 0, sizeof(*h));
	if (n == 0)
		return PROXY_MORE;
	/* No TLS record and no HTTP method starts with CR; "P" may be POST, PUT, PATCH. */
	if (p[0] == '\r') {
		if (!prefix_of(p, n, v2_sig, sizeof(v2_sig)))
			return PROXY_NONE;
		if (n < sizeof(v2_sig))
			return PROXY_MORE; /* len 0: maybe a request after a stray CRLF */
		return parse_v2(p, n, h);
	}
	if (!prefix_of(p, n, v1_sig, sizeof(v1_sig)))
		return PROXY_NONE;
	if (n < sizeof(v1_sig))
		return PROXY_MORE;
	return parse_v1(p, n, h);
}

/* ---- trusted ranges ---- */

static int
net_parse(const char *item, size_t len, struct proxy_net *out, struct sp_errinfo *ei)
{
	char text[INET6_ADDRSTRLEN + 5], *slash;
	unsigned char a[16];
	unsigned long bits;
	unsigned max;
	int v6, i;

	if (len == 0 || len >= sizeof(text))
		return sp_err(ei, SP_ERR_CONFIG, "'%.*s' is not an address or address/prefix",
			      (int)len, item);
	memcpy(text, item, len);
	text[len] = '\0';
	v6 = strchr(text, ':') != NULL;
	max = v6 ? 128 : 32;
	bits = max;
	if ((slash = strchr(text, '/')) != NULL) {
		char *e = NULL;

		*slash = '\0';
		if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2] != '\0') ||
		    (bits = strtoul(slash + 1, &e, 10), *e != '\0') || bits > max)
			return sp_err(ei, SP_ERR_CONFIG, "'%s': the prefix length is not 0..%u",
				      text, max);
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, text, a) != 1)
		return sp_err(ei, SP_ERR_CONFIG, "'%s' is not an IPv4 or IPv6 address", text);
	if (v6) {
		memcpy(out->addr, a, 16);
		out->bits = (unsigned)bits;
	} else {
		mapped_v4(out->addr, a);
		out->bits = 96 + (unsigned)bits;
	}
	for (i = (int)out->bits; i < 128; i++)
		if (out->addr[i / 8] & (0x80 >> (i % 8)))
			return sp_err(ei, SP_ERR_CONFIG,
				      "'%s/%lu' has address bits set past the prefix", text, bits);
	return SP_OK;
}

int
proxy_trust_parse(const char *list, struct proxy_trust *t, struct sp_errinfo *ei)
{
	const char *s = list, *e;
	size_t cap = 1;
	int r;

	memset(t, 0, sizeof(*t));
	if (list == NULL || list[strspn(list, " ")] == '\0')
		return SP_OK;
	for (e = list; *e; e++)
		cap += *e == ',';
	if ((t->nets = calloc(cap, sizeof(*t->nets))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	for (;;) {
		size_t len;

		s += strspn(s, " ");
		e = strchr(s, ',');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		while (len > 0 && s[len - 1] == ' ')
			len--;
		if ((r = net_parse(s, len, &t->nets[t->n], ei)) != SP_OK)
			return r;
		t->n++;
		if (e == NULL)
			return SP_OK;
		s = e + 1;
	}
}

void
proxy_trust_cleanup(struct proxy_trust *t)
{
	free(t->nets);
	memset(t, 0, sizeof(*t));
}

int
proxy_trust_has(const struct proxy_trust *t, const unsigned char addr[16])
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct proxy_net *w = &t->nets[i];
		unsigned full = w->bits / 8, rest = w->bits % 8;

		if (memcmp(w->addr, addr, full) != 0)
			continue;
		if (rest != 0 && ((w->addr[full] ^ addr[full]) & (0xff00 >> rest) & 0xff) != 0)
			continue;
		return 1;
	}
	return 0;
}
