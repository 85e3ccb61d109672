/*
 * main.c: the sealpactd command line: serve (default), migrate, version.
 * Exit statuses follow sysexits(3): 64 usage, 78 configuration, 71 start-up.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "api.h"
#include "auth_int.h"
#include "http_int.h"

#ifndef SEALPACT_DEFAULT_MIGRATIONS_DIR
#define SEALPACT_DEFAULT_MIGRATIONS_DIR "migrations"
#endif

#define EX_USAGE_ 64
#define EX_CONFIG_ 78

extern char **environ;

#ifdef SEALPACT_JEMALLOC
/*
 * jemalloc's options, read at its start (MALLOC_CONF in the environment
 * overrides them). oversize_threshold:0: an allocation of 8 MiB or more comes
 * from the ordinary arenas, not from jemalloc's dedicated "oversize" arena,
 * which hands freed memory back to the kernel at once. Every completion of a
 * large contract joins the held revision and the update into one new buffer
 * (db_signing_session_join): with the oversize arena each such buffer was
 * fresh pages, and their page faults were 80 % of that copy (a 10 MB
 * contract's completion: 7.2-7.9 ms of server CPU, 3.4-3.9 with this). Freed
 * large buffers now go back to the kernel by jemalloc's usual decay (seconds).
 */
extern const char *malloc_conf;
const char *malloc_conf = "oversize_threshold:0";
#endif

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sealpactd [-c FILE] [serve]\n"
		"       sealpactd [-c FILE] [--migrations DIR] migrate\n"
		"       sealpactd [-c FILE] admin create-reviewer --username U [--name N]\n"
		"       sealpactd version | --help\n"
		"\n"
		"  serve        run the HTTP(S) server (default)\n"
		"  migrate      apply pending database migrations and exit\n"
		"  version      print the version\n"
		"\n"
		"  -c, --config FILE     configuration file (default: $SEALPACT_CONFIG, else\n"
		"                        ./config/sealpact.yaml if present, else defaults);\n"
		"                        SEALPACT_<SECTION>_<KEY> variables override it\n"
		"      --migrations DIR  migrations directory (default: $SEALPACT_MIGRATIONS_DIR,\n"
		"                        else %s)\n"
		"  -h, --help            this help\n",
		SEALPACT_DEFAULT_MIGRATIONS_DIR);
}

static const char *
default_config_path(void)
{
	const char *env = getenv("SEALPACT_CONFIG");

	if (env != NULL && *env != '\0')
		return env;
	if (access("config/sealpact.yaml", R_OK) == 0)
		return "config/sealpact.yaml";
	return NULL;
}

static int
name_keys_of(const char *name, char *key, char *key2, size_t cap, void *arg)
{
	char nfc[API_NAME_KEY_MAX];

	(void)arg;
	return api_name_forms(name, nfc, sizeof(nfc), key, key2, cap) != SP_OK;
}

/*
 * Organizations registered before migration 054 (or 062) have no name keys
 * until their next login, and a look-alike of one could register meanwhile:
 * the keys need ICU, so they are computed here, after the migrations, in
 * batches of 500 (one round trip each). Nothing to do on the next run.
 */
static int
name_keys_backfill(const struct config *cfg)
{
	struct db_name_keys_done done;
	struct sp_errinfo ei;
	long i;

	sp_errinfo_init(&ei);
	if (db_org_name_keys_backfill(cfg->database.url, 500, name_keys_of, NULL, &done, &ei) !=
	    SP_OK) {
		fprintf(stderr, "sealpactd: migrate: organizations' name keys: %s\n", ei.msg);
		return 1;
	}
	if (done.keyed > 0)
		printf("sealpactd: name keys computed for %ld organization%s registered before "
		       "migration 054\n",
		       done.keyed, done.keyed == 1 ? "" : "s");
	if (done.unkeyed > 0)
		printf("sealpactd: %ld organization name%s could not be keyed\n", done.unkeyed,
		       done.unkeyed == 1 ? "" : "s");
	if (done.alike > 0) {
		printf("sealpactd: %ld organization%s left without name keys: each name shows like "
		       "another organization's (ids",
		       done.alike, done.alike == 1 ? "" : "s");
		for (i = 0; i < done.alike && i < 8; i++)
			printf(" %lld", (long long)done.ids[i]);
		printf("%s)\n", done.alike > 8 ? " ..." : "");
	}
	return 0;
}

static int
cmd_migrate(const struct config *cfg, const char *dir)
{
	struct sp_errinfo ei;
	int applied = 0;

	if (dir == NULL)
		dir = getenv("SEALPACT_MIGRATIONS_DIR");
	if (dir == NULL || *dir == '\0')
		dir = SEALPACT_DEFAULT_MIGRATIONS_DIR;
	sp_errinfo_init(&ei);
	if (cfg->database.url == NULL || *cfg->database.url == '\0') {
		fprintf(stderr, "sealpactd: migrate: database.url is not set\n");
		return EX_CONFIG_;
	}
	if (db_migrate(cfg->database.url, dir, &applied, &ei) != SP_OK) {
		fprintf(stderr, "sealpactd: migrate %s: %s\n", dir, ei.msg);
		return 1;
	}
	printf("sealpactd: %d migration%s applied from %s\n", applied, applied == 1 ? "" : "s",
	       dir);
	return name_keys_backfill(cfg);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "migrations", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg_path = NULL, *mig_dir = NULL, *cmd = "serve";
	struct config *cfg = NULL;
	struct sp_errinfo ei;
	int c, rc, level, i, admin_argc = 0;
	char **admin_argv = NULL;

	/* `admin` has options of its own: keep them from the getopt below. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "admin") == 0 && strcmp(argv[i - 1], "-c") != 0 &&
		    strcmp(argv[i - 1], "--config") != 0 &&
		    strcmp(argv[i - 1], "--migrations") != 0) {
			admin_argc = argc - i;
			admin_argv = argv + i;
			argc = i + 1;
			break;
		}
	}
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_path = optarg;
			break;
		case 'm':
			mig_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sealpactd %s\n", SEALPACT_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "sealpactd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EX_USAGE_;
	}
	if (strcmp(cmd, "version") == 0) {
		printf("sealpactd %s\n", SEALPACT_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0 && strcmp(cmd, "admin") != 0) {
		fprintf(stderr, "sealpactd: unknown command '%s'\n", cmd);
		usage(stderr);
		return EX_USAGE_;
	}
	if (cfg_path == NULL)
		cfg_path = default_config_path();
	sp_errinfo_init(&ei);
	if (config_load(cfg_path, environ, &cfg, &ei) != SP_OK) {
		fprintf(stderr, "sealpactd: %s\n", ei.msg);
		return EX_CONFIG_;
	}
	if ((level = log_level_parse(cfg->log.level)) >= 0)
		log_level_set(level);
	if (strcmp(cmd, "migrate") == 0) {
		rc = cmd_migrate(cfg, mig_dir);
	} else if (strcmp(cmd, "admin") == 0) {
		rc = admin_main(cfg, admin_argc, admin_argv);
	} else if (cfg->server.workers > 1) {
		rc = supervisor_run(cfg);
	} else {
		rc = server_run(cfg, cfg->server.port, 0, NULL);
	}
	config_free(cfg);
	return rc;
}
