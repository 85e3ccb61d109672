/*
 * audit.c: the hash-chained audit trail (migrations/001, 005): who acted and
 * from where, as the parameters every state-changing SQL function records in
 * its audit event, and the re-verification of a contract's chain.
 */
#include "db_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/*
 * Length of the UTF-8 sequence starting at s (at most n bytes available), or
 * 0 when it is not one: a valid lead byte, the right number of continuation
 * bytes, no overlong form, no surrogate, nothing above U+10FFFF.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] < 0x20 || s[0] == 0x7f)
		return 0; /* a control character: never stored to be shown later */
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/*
 * Copy at most max bytes of in into out (max + 1 bytes) as valid UTF-8:
 * never a character cut in two, a control character or a byte that starts
 * no valid sequence becomes '?'. A header value is the client's to choose; PostgreSQL refuses
 * text that is not UTF-8, and the event must still be recorded.
 */
static void
ua_bound(const char *in, char *out, size_t max)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = strlen(in), i = 0, k = 0, len;

	while (i < n) {
		len = utf8_seq(s + i, n - i);
		if (len == 0) {
			if (k + 1 > max)
				break;
			out[k++] = '?';
			i++;
			continue;
		}
		if (k + len > max)
			break;
		memcpy(out + k, s + i, len);
		k += len;
		i += len;
	}
	out[k] = '\0';
}

void
db_actor_text_fill(struct db_actor_text *t, const struct db_actor *who)
{
	unsigned char addr[sizeof(struct in6_addr)];

	memset(t, 0, sizeof(*t));
	snprintf(t->org_buf, sizeof(t->org_buf), "%lld", (long long)who->org_id);
	snprintf(t->user_buf, sizeof(t->user_buf), "%lld", (long long)who->user_id);
	t->org = who->org_id != 0 ? t->org_buf : NULL;
	t->user = who->user_id > 0 ? t->user_buf : NULL;
	/* inet refuses anything but an address: such a value is not recorded. */
	if (who->ip != NULL && strlen(who->ip) < sizeof(t->ip_buf) &&
	    (inet_pton(AF_INET, who->ip, addr) == 1 || inet_pton(AF_INET6, who->ip, addr) == 1)) {
		snprintf(t->ip_buf, sizeof(t->ip_buf), "%s", who->ip);
		t->ip = t->ip_buf;
	}
	if (who->user_agent != NULL) {
		ua_bound(who->user_agent, t->ua_buf, DB_USER_AGENT_MAX);
		if (t->ua_buf[0] != '\0')
			t->ua = t->ua_buf;
	}
}

int
db_audit_verify(struct db_pool *pool, int64_t number, int64_t org, db_text_fn cb, void *arg)
{
	struct db_visible v;
	int r;

	if ((r = db_contract_visible(&v, number, org,
				     "(SELECT to_jsonb(a) FROM audit_chain_verify(c.number) "
				     "a)::text",
				     "", "")) != SP_OK)
		return r;
	return db_text_call(pool, v.sql, v.n, v.p, NULL, cb, arg);
}

int
db_audit_page(struct db_pool *pool, int64_t number, int64_t org, int64_t after, int limit,
	      db_text_fn cb, void *arg)
{
	struct db_visible v;
	char a[24], l[16];
	int r;

	if (after < 0 || limit < 1 || limit > DB_AUDIT_PAGE_MAX)
		return SP_ERR_INVALID;
	if ((r = db_contract_visible(&v, number, org,
				     "contract_audit_json(c.number, $3::bigint, $4::integer)::text",
				     "", "")) != SP_OK)
		return r;
	v.p[2].value = db_i64_text(a, sizeof(a), after);
	v.p[3].value = db_i64_text(l, sizeof(l), limit);
	v.n = 4;
	return db_text_call(pool, v.sql, v.n, v.p, NULL, cb, arg);
}
