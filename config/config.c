/*
 * config.c: the key table, defaults, environment overrides, cross-field
 * validation, config_load() and config_free().
 *
 * Order of precedence: built-in default < the YAML file < SEALPACT_<SECTION>_<KEY>.
 * Cross-field rules run last, on the merged result, so that an environment
 * variable can fix (or break) what the file says.
 */
#include "config_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define KIB(n) ((long long)(n) << 10)
#define MIB(n) ((long long)(n) << 20)
#define GIB(n) ((long long)(n) << 30)

/* NOLINTBEGIN(bugprone-macro-parentheses): sec and k are names, stringized and members */
#define ROW(sec, k, type, lo, hi, d, ds, ch, fl) \
	{ \
#sec, #k, type, offsetof(struct config, sec.k), 0, lo, hi, d, ds, ch, fl \
	}
#define STR(sec, k, ds) ROW(sec, k, CONFIG_STRING, 0, 0, 0, ds, NULL, 0)
#define SECRET(sec, k) ROW(sec, k, CONFIG_STRING, 0, 0, 0, NULL, NULL, CONFIG_SECRET)
#define PATH(sec, k) ROW(sec, k, CONFIG_PATH, 0, 0, 0, NULL, NULL, 0)
#define URL(sec, k) ROW(sec, k, CONFIG_URL, 0, 0, 0, NULL, NULL, 0)
#define ENUM(sec, k, ch, ds) ROW(sec, k, CONFIG_ENUM, 0, 0, 0, ds, ch, 0)
#define BOOL(sec, k, d) ROW(sec, k, CONFIG_BOOL, 0, 1, d, NULL, NULL, 0)
#define INT(sec, k, lo, hi, d) ROW(sec, k, CONFIG_INT, lo, hi, d, NULL, NULL, 0)
#define SIZE(sec, k, lo, hi, d) ROW(sec, k, CONFIG_SIZE, lo, hi, d, NULL, NULL, 0)
#define LIST(sec, k) \
	{ \
#sec, #k, CONFIG_PATH_LIST, offsetof(struct config, sec.k), \
			offsetof(struct config, sec.n##k), 0, 0, 0, NULL, NULL, 0 \
	}
/* NOLINTEND(bugprone-macro-parentheses) */

/* One row per key; defaults and ranges as documented in config.h and
 * sealpact.example.yaml. Keep the three in step. */
const struct config_key config_keys[] = {
	STR(server, host, "127.0.0.1"),
	INT(server, port, 0, 65535, 8443),
	BOOL(server, tls, 1),
	PATH(server, tls_cert),
	PATH(server, tls_key),
	INT(server, workers, 1, 64, 1),
	INT(server, threads, 1, 256, 2),
	SIZE(server, max_body_bytes, KIB(1), MIB(64), MIB(1)),
	SIZE(server, max_upload_bytes, KIB(1), GIB(1), MIB(32)),
	SIZE(server, max_inflight_body_bytes, 0, GIB(64), 0),
	INT(server, request_timeout_ms, 100, 600000, 30000),
	INT(server, read_timeout_ms, 100, 600000, 20000),
	INT(server, keepalive_idle_ms, 100, 600000, 15000),
	INT(server, proxy_header_timeout_ms, 100, 60000, 2000),
	SIZE(server, max_header_bytes, KIB(1), KIB(64), KIB(8)),
	INT(server, max_connections, 1, 1000000, 4096),
	INT(server, max_connections_per_ip, 1, 1000000, 256),
	INT(server, shutdown_timeout_ms, 0, 600000, 20000),
	INT(server, max_jobs_per_caller, 1, 1000000, 32),
	INT(server, max_verify_work, 10000, 1000000000, 1000000),
	INT(server, node_id, 0, 1023, 0),
	URL(server, public_url),
	STR(server, metrics_token_sha256, NULL),
	STR(server, trusted_proxies, NULL),

	SECRET(database, url), /* a conninfo string may carry a password */
	INT(database, pool_size, 1, 1024, 4),
	INT(database, queue_max, 0, 1000000, 256),
	INT(database, query_timeout_ms, 100, 600000, 5000),
	INT(database, connect_timeout_ms, 100, 60000, 2000),

	ENUM(log, level, "debug|info|warn|error", "info"),
	BOOL(log, access_log, 1),

	LIST(trust, roots),
	LIST(trust, intermediates),
	LIST(trust, crls),
	BOOL(trust, ocsp, 1),
	URL(trust, ocsp_url),
	INT(trust, ocsp_timeout_ms, 100, 60000, 3000),
	BOOL(trust, require_revocation, 1),
	STR(trust, allow_hosts, NULL),

	ENUM(tsa, mode, "builtin|external", "builtin"),
	URL(tsa, url),
	STR(tsa, username, NULL),
	SECRET(tsa, password),
	INT(tsa, timeout_ms, 100, 120000, 10000),
	PATH(tsa, cert),
	PATH(tsa, key),
	PATH(tsa, chain),
	STR(tsa, policy, "1.3.6.1.4.1.99999.1.1"),
	INT(tsa, accuracy_ms, 1, 60000, 1000),
	PATH(tsa, trust),
	INT(tsa, max_per_minute, 1, 10000000, 600),

	INT(auth, challenge_ttl_s, 10, 3600, 120),
	INT(auth, max_challenges, 100, 10000000, 10000),
	INT(auth, session_ttl_s, 60, 2592000, 28800),
	INT(auth, login_max_failures, 1, 1000, 5),
	INT(auth, login_backoff_s, 1, 86400, 30),
	INT(auth, login_lockout_s, 1, 86400, 900),
	INT(auth, ip_max_failures, 0, 100000, 20),
	INT(auth, max_api_keys_per_day, 1, 100000, 200),
	INT(auth, max_logins_per_day, 1, 10000000, 2000),
	INT(auth, max_member_logins_per_day, 1, 10000000, 200),
	INT(auth, max_address_logins_per_day, 1, 10000000, 1000),

	INT(signing, session_ttl_s, 30, 86400, 600),
	PATH(signing, default_seal_image),
	STR(signing, date_seal_zone, SP_TZ_DEFAULT),
	ENUM(signing, level, "B-T|B-LT|B-LTA", "B-LTA"),
	INT(signing, archive_horizon_days, 1, 36500, 90),
	INT(signing, archive_interval_s, 0, 604800, 3600),
	INT(signing, document_cache_mb, 0, 1048576, 512),

	PATH(seals, maker_cert),
	PATH(seals, maker_key),
	INT(seals, claim_ttl, 60, 86400, 1800),
	ROW(seals, cjk_font, CONFIG_PATH, 0, 0, 0,
	    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", NULL, 0),
	INT(seals, cjk_font_index, 0, 255, 2),
	INT(seals, max_open_applications, 1, 100000, 20),
	INT(seals, max_applications_per_day, 1, 100000, 50),
	INT(seals, max_changes_per_day, 1, 100000, 200),

	PATH(evidence, cert),
	PATH(evidence, key),
	PATH(evidence, chain),
	INT(evidence, max_reports_per_day, 1, 100000, 10),

	INT(contracts, max_sent_per_day, 1, 10000000, 1000),
	INT(contracts, max_drafts, 1, 10000000, 1000),
	SIZE(contracts, max_draft_bytes, MIB(1), GIB(1024), GIB(4)),
	INT(contracts, max_created_per_day, 1, 10000000, 5000),
	INT(contracts, max_edits_per_day, 1, 10000000, 20000),

	STR(webhooks, allow_hosts, NULL),
	BOOL(webhooks, allow_http, 0),
	INT(webhooks, max_created_per_day, 1, 100000, 100),
};
const size_t config_nkeys = SP_ARRAY_LEN(config_keys);

const char *const config_sections[] = {
	"server",  "database", "log",      "trust",    "tsa",       "auth",
	"signing", "seals",    "evidence", "webhooks", "contracts",
};
const size_t config_nsections = SP_ARRAY_LEN(config_sections);

long
config_key_index(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].key, key) == 0)
			return (long)i;
	}
	return -1;
}

/* Edit distance, case-insensitive, for "did you mean"; long strings are "far". */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];

	if (la >= SP_ARRAY_LEN(prev) || lb >= SP_ARRAY_LEN(prev))
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

const struct config_key *
config_key_suggest(const char *section, const char *key)
{
	const struct config_key *best = NULL;
	size_t i, d, bestd = 3; /* at most two edits away */

	for (i = 0; i < config_nkeys; i++) {
		if (strcmp(config_keys[i].section, section) != 0)
			continue;
		if ((d = distance(key, config_keys[i].key)) < bestd) {
			bestd = d;
			best = &config_keys[i];
		}
	}
	return best;
}

/* "SEALPACT_SERVER_TLS_CERT" for server.tls_cert. */
static void
env_name(const struct config_key *k, char *buf, size_t n)
{
	size_t i;

	snprintf(buf, n, "SEALPACT_%s_%s", k->section, k->key);
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
}

/* The message prefix naming where row idx got its current value. */
static void
where_of(const struct config_loader *ld, size_t idx, char *buf, size_t n)
{
	const struct config_origin *o = &ld->origin[idx];

	if (o->env)
		env_name(&config_keys[idx], buf, n);
	else if (o->line > 0)
		snprintf(buf, n, "%s:%d", ld->file, o->line);
	else if (ld->file != NULL)
		snprintf(buf, n, "%s", ld->file);
	else
		snprintf(buf, n, "configuration");
}

static int
rule_failed(const struct config_loader *ld, const char *section, const char *key,
	    struct sp_errinfo *ei, const char *reason)
{
	long idx = config_key_index(section, key);
	char where[512];

	if (idx < 0)
		return sp_err(ei, SP_ERR_INTERNAL, "no key %s.%s", section, key);
	where_of(ld, (size_t)idx, where, sizeof(where));
	return sp_err(ei, SP_ERR_CONFIG, "%s: %s.%s: %s", where, section, key, reason);
}

/* "SEALPACT_TRUST_ROOTS=a.pem,b.pem": comma-separated, blanks trimmed, "" = empty. */
static int
env_list(struct config_loader *ld, size_t idx, const char *name, const char *v,
	 struct sp_errinfo *ei)
{
	const struct config_key *k = &config_keys[idx];
	char item[CONFIG_MAX_STRING + 1];
	const char *p = v, *end;
	size_t n;
	int r;

	config_list_clear(ld, idx);
	if (*v == '\0')
		return SP_OK;
	for (;;) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > CONFIG_MAX_STRING)
			return sp_err(ei, SP_ERR_CONFIG,
				      "%s: %s.%s: an entry is longer than %d bytes", name,
				      k->section, k->key, CONFIG_MAX_STRING);
		memcpy(item, p, n);
		item[n] = '\0';
		if ((r = config_list_append(ld, idx, item, n, name, 0, ei)) != SP_OK)
			return r;
		if (*end == '\0')
			return SP_OK;
		p = end + 1;
	}
}

/*
 * Apply SEALPACT_<SECTION>_<KEY>. A variable naming a known section but no
 * key of it is a typo and refused; SEALPACT_* variables of other tools
 * (SEALPACT_PIN, SEALPACT_SOURCE_DIR, SEALPACT_SERVER, ...) are not ours.
 */
static int
apply_env(struct config_loader *ld, char *const *envp, struct sp_errinfo *ei)
{
	char name[128], want[128], sec[32];
	const char *eq, *rest;
	size_t i, j, n, si;
	int r, ours;

	for (i = 0; envp[i] != NULL; i++) {
		if (strncmp(envp[i], "SEALPACT_", 9) != 0 || (eq = strchr(envp[i], '=')) == NULL)
			continue;
		n = (size_t)(eq - envp[i]);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, envp[i], n);
		name[n] = '\0';
		rest = name + 9;
		ours = 0;
		for (si = 0; si < config_nsections && !ours; si++) {
			size_t k, sl = strlen(config_sections[si]);

			for (k = 0; k < sl && k < sizeof(sec) - 1; k++)
				sec[k] = (char)toupper((unsigned char)config_sections[si][k]);
			sec[k] = '\0';
			/* Case-insensitive: SEALPACT_Server_Port is a typo to refuse. */
			ours = strncasecmp(rest, sec, sl) == 0 && rest[sl] == '_' &&
			       rest[sl + 1] != '\0';
		}
		if (!ours)
			continue;
		for (j = 0; j < config_nkeys; j++) {
			env_name(&config_keys[j], want, sizeof(want));
			if (strcmp(want, name) == 0)
				break;
		}
		if (j == config_nkeys) {
			const char *section = config_sections[si - 1];
			const struct config_key *near =
				config_key_suggest(section, rest + strlen(section) + 1);

			if (near == NULL)
				return sp_err(ei, SP_ERR_CONFIG,
					      "%s: unknown setting (section %s has no such key)",
					      name, section);
			env_name(near, want, sizeof(want));
			return sp_err(ei, SP_ERR_CONFIG,
				      "%s: unknown setting (section %s has no such key; did you "
				      "mean %s?)",
				      name, section, want);
		}
		if (config_keys[j].type == CONFIG_PATH_LIST)
			r = env_list(ld, j, name, eq + 1, ei);
		else
			r = config_value_set(ld, j, eq + 1, strlen(eq + 1), name, 0, ei);
		if (r != SP_OK)
			return r;
		ld->origin[j].env = 1;
	}
	return SP_OK;
}

/* A dotted OID: at least two arcs, digits only, first arc 0..2. */
static int
oid_ok(const char *s)
{
	int arcs = 0, digits = 0;

	if (s[0] < '0' || s[0] > '2' || s[1] != '.')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (digits == 0)
				return 0;
			arcs++;
			digits = 0;
		} else if (isdigit((unsigned char)*s)) {
			digits++;
		} else {
			return 0;
		}
	}
	return digits > 0 && arcs >= 1;
}

/* 64 hex digits of either case: a SHA-256 as sha256sum prints it. */
static int
sha256_hex_ok(const char *s)
{
	size_t n = strlen(s);
	unsigned char md[32];
	size_t len;

	return n == 64 && sp_hex_decode(s, n, md, sizeof(md), &len) == SP_OK;
}

static int
validate(struct config_loader *ld, struct sp_errinfo *ei)
{
	const struct config *c = ld->cfg;

	if (c->server.host == NULL)
		return rule_failed(ld, "server", "host", ei, "required (the listen address)");
	if (c->server.tls && (c->server.tls_cert == NULL || c->server.tls_key == NULL))
		return rule_failed(ld, "server", "tls", ei,
				   "true needs server.tls_cert and server.tls_key "
				   "(or set server.tls: false for plain HTTP)");
	if (c->server.max_upload_bytes < c->server.max_body_bytes)
		return rule_failed(ld, "server", "max_upload_bytes", ei,
				   "smaller than server.max_body_bytes");
	if (c->server.max_inflight_body_bytes != 0 &&
	    c->server.max_inflight_body_bytes < c->server.max_upload_bytes)
		return rule_failed(ld, "server", "max_inflight_body_bytes", ei,
				   "smaller than server.max_upload_bytes (0: 8 uploads' worth)");
	if (c->server.metrics_token_sha256 != NULL &&
	    !sha256_hex_ok(c->server.metrics_token_sha256))
		return rule_failed(ld, "server", "metrics_token_sha256", ei,
				   "not 64 hex digits: the SHA-256 of the token, "
				   "printf %s \"$TOKEN\" | sha256sum");
	if (c->database.url == NULL)
		return rule_failed(ld, "database", "url", ei,
				   "required (a libpq conninfo or postgresql:// URL; "
				   "or set SEALPACT_DATABASE_URL)");
	if (c->trust.require_revocation && !c->trust.ocsp && c->trust.ncrls == 0)
		return rule_failed(ld, "trust", "require_revocation", ei,
				   "true with trust.ocsp false and no trust.crls "
				   "would refuse every certificate");
	if (strcmp(c->tsa.mode, "external") == 0 && c->tsa.url == NULL)
		return rule_failed(ld, "tsa", "mode", ei, "external needs tsa.url");
	if (c->tsa.password != NULL && c->tsa.username == NULL)
		return rule_failed(ld, "tsa", "password", ei, "set without tsa.username");
	if (c->tsa.policy == NULL || !oid_ok(c->tsa.policy))
		return rule_failed(ld, "tsa", "policy", ei, "not a dotted OID such as 1.2.3.4");
	if ((c->seals.maker_cert == NULL) != (c->seals.maker_key == NULL))
		return rule_failed(ld, "seals",
				   c->seals.maker_cert != NULL ? "maker_cert" : "maker_key", ei,
				   "seals.maker_cert and seals.maker_key go together");
	if ((c->evidence.cert == NULL) != (c->evidence.key == NULL))
		return rule_failed(ld, "evidence", c->evidence.cert != NULL ? "cert" : "key", ei,
				   "evidence.cert and evidence.key go together");
	if (c->evidence.chain != NULL && c->evidence.cert == NULL)
		return rule_failed(ld, "evidence", "chain", ei, "set without evidence.cert");
	if (sp_tz_check(c->signing.date_seal_zone, NULL) != SP_OK)
		return rule_failed(ld, "signing", "date_seal_zone", ei,
				   "not a known IANA time zone (e.g. Asia/Shanghai, UTC)");
	return SP_OK;
}

/* public_url defaults to the listen address, when the port is known. */
static int
derive_public_url(struct config *c, struct sp_errinfo *ei)
{
	char buf[CONFIG_MAX_STRING + 64];
	int v6;

	if (c->server.public_url != NULL || c->server.port == 0 || c->server.host == NULL)
		return SP_OK;
	v6 = strchr(c->server.host, ':') != NULL; /* an IPv6 literal needs brackets */
	snprintf(buf, sizeof(buf), "%s://%s%s%s:%d", c->server.tls ? "https" : "http",
		 v6 ? "[" : "", c->server.host, v6 ? "]" : "", c->server.port);
	if ((c->server.public_url = strdup(buf)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

/* The absolute directory of the config file, against which relative paths resolve. */
static char *
base_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[PATH_MAX], *d;
	size_t dl = slash ? (size_t)(slash - path) : 0, n;

	if (path[0] == '/') {
		if ((d = malloc(dl + 1)) == NULL)
			return NULL;
		memcpy(d, path, dl);
		d[dl] = '\0';
		return d;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	n = strlen(cwd) + 1 + dl + 1;
	if ((d = malloc(n)) == NULL)
		return NULL;
	if (slash == NULL)
		snprintf(d, n, "%s", cwd);
	else
		snprintf(d, n, "%s/%.*s", cwd, (int)dl, path);
	return d;
}

int
config_load(const char *path, char *const *envp, struct config **out, struct sp_errinfo *ei)
{
	struct config_loader ld;
	struct config *cfg = NULL;
	struct sp_errinfo fe;
	unsigned char *data = NULL;
	size_t len = 0, i;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (ld.origin = calloc(config_nkeys, sizeof(*ld.origin))) == NULL ||
	    (cfg->path = strdup(path != NULL ? path : "")) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	ld.cfg = cfg;
	for (i = 0; i < config_nkeys; i++) {
		if ((r = config_value_reset(&ld, i, ei)) != SP_OK)
			goto out;
	}
	if (path != NULL) {
		ld.file = path;
		if ((ld.basedir = base_dir(path)) == NULL) {
			r = sp_err(ei, SP_ERR_CONFIG, "%s: cannot determine its directory", path);
			goto out;
		}
		sp_errinfo_init(&fe);
		if (sp_file_read(path, CONFIG_MAX_FILE, &data, &len, &fe) != SP_OK) {
			/* fe.msg is already "path: reason"; report it as a config error. */
			r = sp_err(ei, SP_ERR_CONFIG, "%s", fe.msg);
			goto out;
		}
		if ((r = config_yaml_read(&ld, data, len, ei)) != SP_OK)
			goto out;
	}
	if (envp != NULL && (r = apply_env(&ld, envp, ei)) != SP_OK)
		goto out;
	if ((r = validate(&ld, ei)) != SP_OK)
		goto out;
	if ((r = derive_public_url(cfg, ei)) != SP_OK)
		goto out;
	*out = cfg;
	cfg = NULL; /* transferred */
	r = SP_OK;
out:
	config_free(cfg);
	if (data != NULL)
		sp_wipe(data, len); /* the file may hold the database password */
	free(data);
	free(ld.origin);
	free(ld.basedir);
	return r;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < config_nkeys; i++)
		config_value_free(cfg, i);
	free(cfg->path);
	free(cfg);
}
