/* test_config.c: config_load() (config/config.h): defaults, the example file,
 * every error a user can make in the file or the environment, overrides,
 * relative paths, lists and sizes. */
#include <check.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h" /* the key table, to check the example documents every row */
#include "support_tmp.h"

static char tmpdir[320];
static char cfgpath[PATH_MAX];

/* A valid minimal file: tests add sections or keys after it. */
#define BASE "database:\n  url: postgresql://sp@127.0.0.1/sp\n"
#define PLAIN "server:\n  tls: false\n"

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s", test_tmpdir_new("config"));
	snprintf(cfgpath, sizeof(cfgpath), "%s/sealpact.yaml", tmpdir);
}

static void
teardown(void)
{
	unlink(cfgpath);
	rmdir(tmpdir);
}

static void
write_file(const char *text, size_t len)
{
	FILE *f = fopen(cfgpath, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static int
load_text(const char *yaml, char **envp, struct config **out, struct sp_errinfo *ei)
{
	write_file(yaml, strlen(yaml));
	sp_errinfo_init(ei);
	return config_load(cfgpath, envp, out, ei);
}

static struct config *
load_ok(const char *yaml, char **envp)
{
	struct sp_errinfo ei;
	struct config *cfg = NULL;
	int r = load_text(yaml, envp, &cfg, &ei);

	ck_assert_msg(r == SP_OK, "config_load failed: %s", ei.msg);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

/*
 * The load fails with SP_ERR_CONFIG, no config, and a message that starts with
 * "FILE:LINE: " (line > 0) or "NAME: " (an env variable, line 0 and env set)
 * and contains key and reason.
 */
static void
expect_fail(const char *yaml, char **envp, int line, const char *env, const char *key,
	    const char *reason)
{
	struct sp_errinfo ei;
	struct config *cfg = (struct config *)&ei; /* must be reset to NULL */
	char prefix[PATH_MAX + 64];
	int r = load_text(yaml, envp, &cfg, &ei);

	ck_assert_int_eq(r, SP_ERR_CONFIG);
	ck_assert_int_eq(ei.code, SP_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	if (env != NULL)
		snprintf(prefix, sizeof(prefix), "%s: ", env);
	else if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", cfgpath, line);
	else
		snprintf(prefix, sizeof(prefix), "%s", cfgpath);
	ck_assert_msg(strncmp(ei.msg, prefix, strlen(prefix)) == 0,
		      "message '%s' does not start '%s'", ei.msg, prefix);
	if (key != NULL)
		ck_assert_msg(strstr(ei.msg, key) != NULL, "message '%s' lacks '%s'", ei.msg, key);
	if (reason != NULL)
		ck_assert_msg(strstr(ei.msg, reason) != NULL, "message '%s' lacks '%s'", ei.msg,
			      reason);
}

START_TEST(defaults_without_a_file)
{
	char *env[] = { "SEALPACT_DATABASE_URL=host=/tmp dbname=x", "SEALPACT_SERVER_TLS=no",
			"PATH=/usr/bin", NULL };
	struct sp_errinfo ei;
	struct config *cfg = NULL;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(config_load(NULL, env, &cfg, &ei), SP_OK);
	ck_assert_str_eq(cfg->path, "");
	ck_assert_str_eq(cfg->server.host, "127.0.0.1");
	ck_assert_int_eq(cfg->server.port, 8443);
	ck_assert_int_eq(cfg->server.tls, 0);
	ck_assert_ptr_null(cfg->server.tls_cert);
	ck_assert_int_eq(cfg->server.workers, 1);
	ck_assert_int_eq(cfg->server.threads, 2);
	ck_assert_uint_eq(cfg->server.max_body_bytes, 1024 * 1024);
	ck_assert_uint_eq(cfg->server.max_upload_bytes, 32 * 1024 * 1024);
	ck_assert_uint_eq(cfg->server.max_inflight_body_bytes, 0); /* 8 uploads' worth */
	ck_assert_int_eq(cfg->server.request_timeout_ms, 30000);
	ck_assert_int_eq(cfg->server.read_timeout_ms, 20000);
	ck_assert_int_eq(cfg->server.keepalive_idle_ms, 15000);
	ck_assert_uint_eq(cfg->server.max_header_bytes, 8 * 1024);
	ck_assert_int_eq(cfg->server.max_connections, 4096);
	ck_assert_int_eq(cfg->server.max_connections_per_ip, 256);
	ck_assert_int_eq(cfg->server.shutdown_timeout_ms, 20000);
	ck_assert_int_eq(cfg->server.max_jobs_per_caller, 32);
	ck_assert_int_eq(cfg->server.node_id, 0);
	ck_assert_str_eq(cfg->server.public_url, "http://127.0.0.1:8443");
	ck_assert_str_eq(cfg->database.url, "host=/tmp dbname=x");
	ck_assert_int_eq(cfg->database.pool_size, 4);
	ck_assert_int_eq(cfg->database.queue_max, 256);
	ck_assert_int_eq(cfg->database.query_timeout_ms, 5000);
	ck_assert_int_eq(cfg->database.connect_timeout_ms, 2000);
	ck_assert_str_eq(cfg->log.level, "info");
	ck_assert_int_eq(cfg->log.access_log, 1);
	ck_assert_uint_eq(cfg->trust.nroots, 0);
	ck_assert_int_eq(cfg->trust.ocsp, 1);
	ck_assert_ptr_null(cfg->trust.ocsp_url);
	ck_assert_int_eq(cfg->trust.ocsp_timeout_ms, 3000);
	ck_assert_int_eq(cfg->trust.require_revocation, 1);
	ck_assert_str_eq(cfg->tsa.mode, "builtin");
	ck_assert_ptr_null(cfg->tsa.url);
	ck_assert_int_eq(cfg->tsa.timeout_ms, 10000);
	ck_assert_str_eq(cfg->tsa.policy, "1.3.6.1.4.1.99999.1.1");
	ck_assert_int_eq(cfg->tsa.accuracy_ms, 1000);
	ck_assert_int_eq(cfg->auth.challenge_ttl_s, 120);
	ck_assert_int_eq(cfg->auth.max_challenges, 10000);
	ck_assert_int_eq(cfg->auth.session_ttl_s, 28800);
	ck_assert_int_eq(cfg->auth.login_max_failures, 5);
	ck_assert_int_eq(cfg->auth.login_lockout_s, 900);
	ck_assert_int_eq(cfg->signing.session_ttl_s, 600);
	ck_assert_int_eq(cfg->evidence.max_reports_per_day, 10);
	ck_assert_ptr_null(cfg->signing.default_seal_image);
	config_free(cfg);
	config_free(NULL);
}
END_TEST

START_TEST(defaults_need_database_url_and_tls_files)
{
	char *no_tls[] = { "SEALPACT_SERVER_TLS=false", NULL };
	char *no_db[] = { "SEALPACT_DATABASE_URL=postgresql:///x", NULL };
	struct sp_errinfo ei;
	struct config *cfg = NULL;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(config_load(NULL, no_tls, &cfg, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(strstr(ei.msg, "database.url: required"));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(config_load(NULL, no_db, &cfg, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "server.tls: true needs server.tls_cert"));
}
END_TEST

START_TEST(example_file_loads_as_is)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char path[PATH_MAX], want[PATH_MAX + 64], real[PATH_MAX];
	struct sp_errinfo ei;
	struct config *cfg = NULL;

	ck_assert_ptr_nonnull(src);
	snprintf(path, sizeof(path), "%s/config/sealpact.example.yaml", src);
	ck_assert_ptr_nonnull(realpath(path, real));
	sp_errinfo_init(&ei);
	ck_assert_msg(config_load(real, NULL, &cfg, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_str_eq(cfg->path, real);
	ck_assert_str_eq(cfg->server.host, "127.0.0.1");
	ck_assert_int_eq(cfg->server.port, 8443);
	ck_assert_int_eq(cfg->server.tls, 1);
	*strrchr(real, '/') = '\0';
	snprintf(want, sizeof(want), "%s/../var/pki/server-chain.pem", real);
	ck_assert_str_eq(cfg->server.tls_cert, want);
	snprintf(want, sizeof(want), "%s/../var/pki/server.key", real);
	ck_assert_str_eq(cfg->server.tls_key, want);
	snprintf(want, sizeof(want), "%s/../var/pki/root.pem", real);
	ck_assert_uint_eq(cfg->trust.nroots, 1);
	ck_assert_str_eq(cfg->trust.roots[0], want);
	ck_assert_str_eq(cfg->database.url, "postgresql://sealpact@127.0.0.1:5433/sealpact");
	ck_assert_uint_eq(cfg->server.max_body_bytes, 1024 * 1024);
	ck_assert_uint_eq(cfg->server.max_upload_bytes, 32 * 1024 * 1024);
	ck_assert_str_eq(cfg->server.public_url, "https://127.0.0.1:8443");
	ck_assert_str_eq(cfg->log.level, "info");
	ck_assert_str_eq(cfg->tsa.mode, "builtin");
	/* "key:" with nothing after it means the default (unset). */
	ck_assert_ptr_null(cfg->trust.ocsp_url);
	ck_assert_ptr_null(cfg->tsa.url);
	ck_assert_ptr_null(cfg->tsa.password);
	snprintf(want, sizeof(want), "%s/../var/pki/seal.png", real);
	ck_assert_str_eq(cfg->signing.default_seal_image, want);
	config_free(cfg);
}
END_TEST

START_TEST(example_file_documents_every_key)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char path[PATH_MAX], env[128], key[128];
	unsigned char *text = NULL;
	size_t len, i, j;
	struct sp_errinfo ei;

	snprintf(path, sizeof(path), "%s/config/sealpact.example.yaml", src);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_file_read(path, 1 << 20, &text, &len, &ei), SP_OK);
	for (i = 0; i < config_nkeys; i++) {
		snprintf(env, sizeof(env), "SEALPACT_%s_%s", config_keys[i].section,
			 config_keys[i].key);
		for (j = 0; env[j] != '\0'; j++)
			env[j] = (char)toupper((unsigned char)env[j]);
		snprintf(key, sizeof(key), "\n  %s:", config_keys[i].key);
		ck_assert_msg(strstr((char *)text, env) != NULL, "example does not name %s", env);
		ck_assert_msg(strstr((char *)text, key) != NULL, "example has no key %s.%s",
			      config_keys[i].section, config_keys[i].key);
	}
	free(text);
}
END_TEST

START_TEST(example_file_with_the_run_sh_environment)
{
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	char path[PATH_MAX];
	char *env[] = { "SEALPACT_DATABASE_URL=postgresql://sealpact@127.0.0.1:5999/sealpact",
			"SEALPACT_MIGRATIONS_DIR=/src/migrations",
			"SEALPACT_CONFIG=x.yaml",
			"SEALPACT_PG_PORT=5999",
			"SEALPACT_SERVER_PORT=9443",
			NULL };
	struct sp_errinfo ei;
	struct config *cfg = NULL;

	snprintf(path, sizeof(path), "%s/config/sealpact.example.yaml", src);
	sp_errinfo_init(&ei);
	ck_assert_msg(config_load(path, env, &cfg, &ei) == SP_OK, "%s", ei.msg);
	ck_assert_int_eq(cfg->server.port, 9443);
	ck_assert_str_eq(cfg->database.url, "postgresql://sealpact@127.0.0.1:5999/sealpact");
	config_free(cfg);
}
END_TEST

START_TEST(file_values_of_every_type)
{
	struct config *cfg = load_ok(BASE "server:\n"
					  "  host: \"0.0.0.0\"\n"
					  "  port: 0\n"
					  "  tls: off\n"
					  "  workers: 4\n"
					  "  max_body_bytes: 512 KiB\n"
					  "  max_upload_bytes: 1GiB\n"
					  "  node_id: 1023\n"
					  "log:\n  level: debug\n  access_log: No\n"
					  "tsa:\n  mode: external\n  url: https://tsa.example/ts\n"
					  "  username: u\n  password: 'p w'\n",
				     NULL);

	ck_assert_str_eq(cfg->server.host, "0.0.0.0");
	ck_assert_int_eq(cfg->server.port, 0);
	ck_assert_int_eq(cfg->server.tls, 0);
	ck_assert_int_eq(cfg->server.workers, 4);
	ck_assert_uint_eq(cfg->server.max_body_bytes, 512 * 1024);
	ck_assert_uint_eq(cfg->server.max_upload_bytes, 1024UL * 1024 * 1024);
	ck_assert_int_eq(cfg->server.node_id, 1023);
	/* Port 0 is only known once bound: no derived public URL. */
	ck_assert_ptr_null(cfg->server.public_url);
	ck_assert_str_eq(cfg->log.level, "debug");
	ck_assert_int_eq(cfg->log.access_log, 0);
	ck_assert_str_eq(cfg->tsa.mode, "external");
	ck_assert_str_eq(cfg->tsa.url, "https://tsa.example/ts");
	ck_assert_str_eq(cfg->tsa.password, "p w");
	config_free(cfg);
}
END_TEST

START_TEST(sizes_and_booleans)
{
	static const struct {
		const char *text;
		size_t want;
	} sizes[] = { { "1048576", 1048576 },  { "2 MiB", 2u << 20 }, { "3MiB", 3u << 20 },
		      { "64 KiB", 64u << 10 }, { "4096 B", 4096 },    { "32 MiB", 32u << 20 } };
	static const char *const truthy[] = { "true", "yes", "on", "1", "TRUE", "Yes" };
	char yaml[256];
	struct config *cfg;
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(sizes); i++) {
		snprintf(yaml, sizeof(yaml), BASE PLAIN "  max_body_bytes: %s\n", sizes[i].text);
		cfg = load_ok(yaml, NULL);
		ck_assert_uint_eq(cfg->server.max_body_bytes, sizes[i].want);
		config_free(cfg);
	}
	for (i = 0; i < SP_ARRAY_LEN(truthy); i++) {
		snprintf(yaml, sizeof(yaml), BASE PLAIN "log:\n  access_log: %s\n", truthy[i]);
		cfg = load_ok(yaml, NULL);
		ck_assert_int_eq(cfg->log.access_log, 1);
		config_free(cfg);
	}
}
END_TEST

START_TEST(bad_values_name_file_line_and_key)
{
	expect_fail(BASE PLAIN "  port: 70000\n", NULL, 5, NULL, "server.port",
		    "out of range 0..65535");
	expect_fail(BASE PLAIN "  port: -1\n", NULL, 5, NULL, "server.port", "out of range");
	expect_fail(BASE PLAIN "  port: 84x3\n", NULL, 5, NULL, "server.port", "not an integer");
	expect_fail(BASE PLAIN "  port: 0x10\n", NULL, 5, NULL, "server.port", "not an integer");
	expect_fail(BASE PLAIN "  node_id: 1024\n", NULL, 5, NULL, "server.node_id", "0..1023");
	expect_fail(BASE "server:\n  tls: maybe\n", NULL, 4, NULL, "server.tls", "not a boolean");
	expect_fail(BASE PLAIN "  max_body_bytes: 1 MB\n", NULL, 5, NULL, "server.max_body_bytes",
		    "not a size");
	expect_fail(BASE PLAIN "  max_body_bytes: 1.5 MiB\n", NULL, 5, NULL,
		    "server.max_body_bytes", "not a size");
	expect_fail(BASE PLAIN "  max_body_bytes: 99999999999999999999 GiB\n", NULL, 5, NULL,
		    "server.max_body_bytes", "not a size");
	expect_fail(BASE PLAIN "  max_body_bytes: 128 MiB\n", NULL, 5, NULL,
		    "server.max_body_bytes", "out of range");
	expect_fail(BASE PLAIN "  max_body_bytes: 100\n", NULL, 5, NULL, "server.max_body_bytes",
		    "out of range");
	expect_fail(BASE PLAIN "log:\n  level: verbose\n", NULL, 6, NULL, "log.level",
		    "not one of debug|info|warn|error");
	expect_fail(BASE PLAIN "tsa:\n  mode: remote\n", NULL, 6, NULL, "tsa.mode",
		    "builtin|external");
	expect_fail(BASE PLAIN "tsa:\n  url: ftp://tsa\n", NULL, 6, NULL, "tsa.url", "not an http");
	expect_fail(BASE PLAIN "  host: \"a\\0b\"\n", NULL, 5, NULL, "server.host", "NUL byte");
	expect_fail(BASE PLAIN "  max_connections: 0\n", NULL, 5, NULL, "server.max_connections",
		    "out of range 1..1000000");
	expect_fail(BASE PLAIN "  max_connections_per_ip: 0\n", NULL, 5, NULL,
		    "server.max_connections_per_ip", "out of range");
	expect_fail(BASE PLAIN "  max_header_bytes: 512\n", NULL, 5, NULL,
		    "server.max_header_bytes", "out of range");
	expect_fail(BASE PLAIN "  max_header_bytes: 1 MiB\n", NULL, 5, NULL,
		    "server.max_header_bytes", "out of range");
	expect_fail(BASE PLAIN "  read_timeout_ms: 50\n", NULL, 5, NULL, "server.read_timeout_ms",
		    "out of range 100..600000");
	expect_fail(BASE PLAIN "  keepalive_idle_ms: 600001\n", NULL, 5, NULL,
		    "server.keepalive_idle_ms", "out of range");
}
END_TEST

START_TEST(structure_errors_name_file_line_and_key)
{
	expect_fail(BASE PLAIN "  prot: 8443\n", NULL, 5, NULL, "server.prot",
		    "unknown key (did you mean port?)");
	expect_fail(BASE PLAIN "  colour: blue\n", NULL, 5, NULL, "server.colour", "unknown key");
	expect_fail(BASE PLAIN "servr:\n  port: 1\n", NULL, 5, NULL, "servr", "unknown section");
	/* A name that only matches once cut (at a NUL or a length) is refused. */
	expect_fail(BASE PLAIN "  \"port\\0x\": 8443\n", NULL, 5, NULL, "server: a key",
		    "must be a name (at most 127 bytes, no NUL)");
	expect_fail(BASE PLAIN "\"log\\0\":\n  level: debug\n", NULL, 5, NULL, "a section",
		    "must be a name");
	expect_fail(BASE PLAIN "  port: 1\n  port: 2\n", NULL, 6, NULL, "server.port",
		    "duplicate key (first at line 5)");
	expect_fail(BASE PLAIN "database:\n  pool_size: 2\n", NULL, 5, NULL, "database",
		    "duplicate section (first at line 1)");
	expect_fail(BASE PLAIN "  port:\n    value: 1\n", NULL, 6, NULL, "server.port",
		    "expected a single value, got a mapping");
	expect_fail(BASE PLAIN "  port: [1, 2]\n", NULL, 5, NULL, "server.port", "got a list");
	expect_fail(BASE PLAIN "trust:\n  roots: a.pem\n", NULL, 6, NULL, "trust.roots",
		    "expected a list");
	expect_fail(BASE PLAIN "trust:\n  roots:\n    - [a.pem]\n", NULL, 7, NULL, "trust.roots",
		    "a list entry must be a single value");
	expect_fail(BASE PLAIN "trust:\n  roots: ['']\n", NULL, 6, NULL, "trust.roots",
		    "empty list entry");
	expect_fail(BASE "server: 8443\n", NULL, 3, NULL, "server", "expected a mapping of keys");
	expect_fail("- server\n", NULL, 1, NULL, NULL, "top level must be a mapping");
	expect_fail(BASE PLAIN "  host: &h x\n  public_url: *h\n", NULL, 6, NULL, NULL, "aliases");
	expect_fail(BASE PLAIN "---\nlog:\n  level: info\n", NULL, 5, NULL, NULL,
		    "only one YAML document");
}
END_TEST

START_TEST(malformed_yaml_names_the_line)
{
	expect_fail(BASE PLAIN "trust:\n  roots: [a.pem\n", NULL, 7, NULL, NULL,
		    "YAML syntax error");
	expect_fail(BASE "server:\n  tls: false\n port: 1\n", NULL, 5, NULL, NULL,
		    "YAML syntax error");
	expect_fail(BASE PLAIN "  host: \"unterminated\n", NULL, 6, NULL, NULL,
		    "YAML syntax error");
	expect_fail(BASE "server:\n\ttls: false\n", NULL, 4, NULL, NULL,
		    "YAML does not allow tabs");
}
END_TEST

START_TEST(list_too_long)
{
	char yaml[2048];
	size_t n = 0;
	int i;

	n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, BASE PLAIN "trust:\n  roots:\n");
	for (i = 0; i < CONFIG_MAX_LIST + 1; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "    - r%d.pem\n", i);
	expect_fail(yaml, NULL, 7 + CONFIG_MAX_LIST, NULL, "trust.roots", "more than 16 entries");
}
END_TEST

START_TEST(missing_and_oversized_files)
{
	struct sp_errinfo ei;
	struct config *cfg = NULL;
	char missing[PATH_MAX + 16], *big;
	size_t n = 1024 * 1024 + 1;

	snprintf(missing, sizeof(missing), "%s/nope.yaml", tmpdir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(config_load(missing, NULL, &cfg, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(strstr(ei.msg, missing));
	ck_assert_ptr_nonnull(strstr(ei.msg, "No such file"));

	sp_errinfo_init(&ei);
	ck_assert_int_eq(config_load(tmpdir, NULL, &cfg, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, tmpdir));

	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', n);
	write_file(big, n);
	free(big);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(config_load(cfgpath, NULL, &cfg, &ei), SP_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(strstr(ei.msg, cfgpath));
	ck_assert_ptr_nonnull(strstr(ei.msg, "larger than 1048576 bytes"));
}
END_TEST

START_TEST(empty_file_and_null_values_mean_defaults)
{
	char *env[] = { "SEALPACT_DATABASE_URL=postgresql:///x", "SEALPACT_SERVER_TLS=0", NULL };
	struct config *cfg = load_ok("", env);

	ck_assert_int_eq(cfg->server.port, 8443);
	config_free(cfg);
	cfg = load_ok("# only a comment\n", env);
	config_free(cfg);
	cfg = load_ok(BASE PLAIN "  port:\n  host: ~\nlog:\n", NULL);
	ck_assert_int_eq(cfg->server.port, 8443);
	ck_assert_str_eq(cfg->server.host, "127.0.0.1");
	config_free(cfg);
}
END_TEST

START_TEST(cross_field_rules)
{
	char *env_fix[] = { "SEALPACT_SERVER_TLS=false", NULL };
	char *env_break[] = { "SEALPACT_SERVER_TLS=true", NULL };
	struct config *cfg;

	expect_fail(BASE "server:\n  port: 1\n  tls: true\n", NULL, 5, NULL, "server.tls",
		    "needs server.tls_cert and server.tls_key");
	/* The environment wins, then the rules run: it can fix the file... */
	cfg = load_ok(BASE "server:\n  tls: true\n", env_fix);
	ck_assert_int_eq(cfg->server.tls, 0);
	config_free(cfg);
	/* ...or break it, and then the message names the variable. */
	expect_fail(BASE PLAIN, env_break, 0, "SEALPACT_SERVER_TLS", "server.tls", "needs");
	expect_fail(PLAIN "database:\n  pool_size: 2\n", NULL, 0, NULL, "database.url", "required");
	expect_fail(BASE PLAIN "tsa:\n  mode: external\n", NULL, 6, NULL, "tsa.mode",
		    "needs tsa.url");
	expect_fail(BASE PLAIN "tsa:\n  password: x\n", NULL, 6, NULL, "tsa.password",
		    "without tsa.username");
	expect_fail(BASE PLAIN "tsa:\n  policy: 1.2.x\n", NULL, 6, NULL, "tsa.policy",
		    "dotted OID");
	expect_fail(BASE PLAIN "  max_body_bytes: 2 MiB\n  max_upload_bytes: 1 MiB\n", NULL, 6,
		    NULL, "server.max_upload_bytes", "smaller than");
	/* a budget that could never take one upload */
	expect_fail(BASE PLAIN "  max_upload_bytes: 8 MiB\n  max_inflight_body_bytes: 4 MiB\n",
		    NULL, 6, NULL, "server.max_inflight_body_bytes", "smaller than");
	expect_fail(BASE PLAIN "trust:\n  ocsp: false\n", NULL, 0, NULL, "trust.require_revocation",
		    "refuse every certificate");
	expect_fail(BASE PLAIN "evidence:\n  cert: /e.crt\n", NULL, 0, NULL, "evidence.cert",
		    "go together");
	expect_fail(BASE PLAIN "evidence:\n  key: /e.key\n", NULL, 0, NULL, "evidence.key",
		    "go together");
	expect_fail(BASE PLAIN "evidence:\n  chain: /c.pem\n", NULL, 0, NULL, "evidence.chain",
		    "without evidence.cert");
}
END_TEST

START_TEST(environment_overrides_the_file)
{
	char *env[] = { "SEALPACT_SERVER_PORT=9443",
			"SEALPACT_LOG_LEVEL=warn",
			"SEALPACT_SERVER_MAX_BODY_BYTES=2 MiB",
			"SEALPACT_TSA_PASSWORD=",
			"SEALPACT_DATABASE_URL=postgresql://other/db",
			NULL };
	struct config *cfg = load_ok(BASE PLAIN "  port: 8000\nlog:\n  level: error\n"
						"tsa:\n  username: u\n  password: p\n",
				     env);

	ck_assert_int_eq(cfg->server.port, 9443);
	ck_assert_str_eq(cfg->log.level, "warn");
	ck_assert_uint_eq(cfg->server.max_body_bytes, 2u << 20);
	ck_assert_str_eq(cfg->database.url, "postgresql://other/db");
	/* An empty variable unsets a text key. */
	ck_assert_ptr_null(cfg->tsa.password);
	ck_assert_str_eq(cfg->server.public_url, "http://127.0.0.1:9443");
	config_free(cfg);
}
END_TEST

START_TEST(bad_environment_values_are_refused)
{
	char *port[] = { "SEALPACT_SERVER_PORT=eighty", NULL };
	char *range[] = { "SEALPACT_SERVER_PORT=65536", NULL };
	char *level[] = { "SEALPACT_LOG_LEVEL=loud", NULL };
	char *boolean[] = { "SEALPACT_LOG_ACCESS_LOG=sometimes", NULL };
	char *typo[] = { "SEALPACT_SERVER_PROT=1", NULL };
	char *lower[] = { "SEALPACT_DATABASE_url=x", NULL };
	char *mixed[] = { "SEALPACT_Server_Port=1", NULL };
	char *size[] = { "SEALPACT_SERVER_MAX_BODY_BYTES=1 TiB", NULL };

	expect_fail(BASE PLAIN, port, 0, "SEALPACT_SERVER_PORT", "server.port", "not an integer");
	expect_fail(BASE PLAIN, range, 0, "SEALPACT_SERVER_PORT", "server.port", "out of range");
	expect_fail(BASE PLAIN, level, 0, "SEALPACT_LOG_LEVEL", "log.level", "not one of");
	expect_fail(BASE PLAIN, boolean, 0, "SEALPACT_LOG_ACCESS_LOG", "log.access_log",
		    "not a boolean");
	expect_fail(BASE PLAIN, typo, 0, "SEALPACT_SERVER_PROT", "server",
		    "unknown setting (section server has no such key; did you mean "
		    "SEALPACT_SERVER_PORT?)");
	expect_fail(BASE PLAIN, lower, 0, "SEALPACT_DATABASE_url", "database",
		    "did you mean SEALPACT_DATABASE_URL?");
	expect_fail(BASE PLAIN, mixed, 0, "SEALPACT_Server_Port", "server",
		    "did you mean SEALPACT_SERVER_PORT?");
	expect_fail(BASE PLAIN, size, 0, "SEALPACT_SERVER_MAX_BODY_BYTES", "server.max_body_bytes",
		    "not a size");
}
END_TEST

START_TEST(other_tools_variables_are_ignored)
{
	char *env[] = { "SEALPACT_PIN=1234",
			"SEALPACT_SOURCE_DIR=/src",
			"SEALPACT_TEST_PGDIR=/pg",
			"SEALPACT_SERVER=https://h:1",
			"SEALPACT_CACERT=/ca.pem",
			"SEALPACT_=x",
			"SEALPACT_SERVER_=x",
			"HOME=/root",
			NULL };
	struct config *cfg = load_ok(BASE PLAIN, env);

	ck_assert_int_eq(cfg->server.port, 8443);
	config_free(cfg);
}
END_TEST

START_TEST(relative_paths_resolve_against_the_file)
{
	char *env[] = { "SEALPACT_SERVER_TLS_KEY=rel/env.key", NULL };
	char want[PATH_MAX + 64];
	struct config *cfg = load_ok(BASE "server:\n  tls_cert: certs/server.crt\n"
					  "  tls_key: /abs/server.key\n"
					  "tsa:\n  cert: ../pki/tsa.crt\n",
				     NULL);

	snprintf(want, sizeof(want), "%s/certs/server.crt", tmpdir);
	ck_assert_str_eq(cfg->server.tls_cert, want);
	ck_assert_str_eq(cfg->server.tls_key, "/abs/server.key");
	snprintf(want, sizeof(want), "%s/../pki/tsa.crt", tmpdir);
	ck_assert_str_eq(cfg->tsa.cert, want);
	config_free(cfg);

	/* From the environment a relative path stays relative to the working directory. */
	cfg = load_ok(BASE "server:\n  tls_cert: a.crt\n  tls_key: a.key\n", env);
	ck_assert_str_eq(cfg->server.tls_key, "rel/env.key");
	config_free(cfg);
}
END_TEST

START_TEST(relative_config_path_gives_absolute_paths)
{
	char cwd[PATH_MAX], want[PATH_MAX + 64];
	const char *root = test_tmpdir_root(); /* the parent of tmpdir */
	struct sp_errinfo ei;
	struct config *cfg = NULL;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	write_file(BASE "server:\n  tls_cert: c.crt\n  tls_key: c.key\n",
		   strlen(BASE "server:\n  tls_cert: c.crt\n  tls_key: c.key\n"));
	ck_assert_int_eq(chdir(root), 0);
	sp_errinfo_init(&ei);
	ck_assert_msg(config_load(cfgpath + strlen(root) + 1, NULL, &cfg, &ei) == SP_OK, "%s",
		      ei.msg);
	snprintf(want, sizeof(want), "%s/c.crt", tmpdir);
	ck_assert_str_eq(cfg->server.tls_cert, want);
	config_free(cfg);
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(string_lists_from_yaml_and_environment)
{
	char *env[] = { "SEALPACT_TRUST_INTERMEDIATES= /i/a.pem , b.pem,/i/c.pem", NULL };
	char *clear[] = { "SEALPACT_TRUST_ROOTS=", NULL };
	char *bad[] = { "SEALPACT_TRUST_CRLS=a.crl,,b.crl", NULL };
	char want[PATH_MAX + 64];
	const char *yaml = BASE PLAIN "trust:\n  roots:\n    - /r/root1.pem\n    - root2.pem\n"
				      "  intermediates: [x.pem]\n  crls: []\n";
	struct config *cfg = load_ok(yaml, env);

	ck_assert_uint_eq(cfg->trust.nroots, 2);
	ck_assert_str_eq(cfg->trust.roots[0], "/r/root1.pem");
	snprintf(want, sizeof(want), "%s/root2.pem", tmpdir);
	ck_assert_str_eq(cfg->trust.roots[1], want);
	ck_assert_uint_eq(cfg->trust.ncrls, 0);
	ck_assert_uint_eq(cfg->trust.nintermediates, 3);
	ck_assert_str_eq(cfg->trust.intermediates[0], "/i/a.pem");
	ck_assert_str_eq(cfg->trust.intermediates[1], "b.pem");
	ck_assert_str_eq(cfg->trust.intermediates[2], "/i/c.pem");
	config_free(cfg);

	cfg = load_ok(yaml, clear);
	ck_assert_uint_eq(cfg->trust.nroots, 0);
	ck_assert_ptr_null(cfg->trust.roots[0]);
	config_free(cfg);

	expect_fail(yaml, bad, 0, "SEALPACT_TRUST_CRLS", "trust.crls", "empty list entry");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_without_a_file);
	tcase_add_test(tc, defaults_need_database_url_and_tls_files);
	tcase_add_test(tc, example_file_loads_as_is);
	tcase_add_test(tc, example_file_documents_every_key);
	tcase_add_test(tc, example_file_with_the_run_sh_environment);
	tcase_add_test(tc, file_values_of_every_type);
	tcase_add_test(tc, sizes_and_booleans);
	tcase_add_test(tc, bad_values_name_file_line_and_key);
	tcase_add_test(tc, structure_errors_name_file_line_and_key);
	tcase_add_test(tc, malformed_yaml_names_the_line);
	tcase_add_test(tc, list_too_long);
	tcase_add_test(tc, missing_and_oversized_files);
	tcase_add_test(tc, empty_file_and_null_values_mean_defaults);
	tcase_add_test(tc, cross_field_rules);
	tcase_add_test(tc, environment_overrides_the_file);
	tcase_add_test(tc, bad_environment_values_are_refused);
	tcase_add_test(tc, other_tools_variables_are_ignored);
	tcase_add_test(tc, relative_paths_resolve_against_the_file);
	tcase_add_test(tc, relative_config_path_gives_absolute_paths);
	tcase_add_test(tc, string_lists_from_yaml_and_environment);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
