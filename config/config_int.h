/*
 * config_int.h: private to config/. The key table, the loader state shared by
 * the YAML reader (yaml.c), the value parsers (values.c) and config.c.
 *
 * Adding a configuration key is one row in config_keys[] (config.c) plus the
 * field in config.h and its documentation in sealpact.example.yaml.
 */
#ifndef SP_CONFIG_INT_H
#define SP_CONFIG_INT_H

#include <stddef.h>

#include "config.h"
#include "sp.h"

/* A configuration file larger than this is refused before parsing. */
#define CONFIG_MAX_FILE (1024 * 1024)
/* Longest accepted string value (paths, URLs, conninfo strings). */
#define CONFIG_MAX_STRING 4096

enum config_type {
	CONFIG_STRING,   /* char *, any text */
	CONFIG_PATH,     /* char *, relative to the config file's directory */
	CONFIG_URL,      /* char *, http:// or https:// */
	CONFIG_ENUM,     /* char *, one of the row's choices */
	CONFIG_BOOL,     /* int 0/1: true/false/yes/no/on/off/1/0 */
	CONFIG_INT,      /* int within [min, max] */
	CONFIG_SIZE,     /* size_t bytes within [min, max], KiB/MiB/GiB suffixes */
	CONFIG_PATH_LIST /* char *[CONFIG_MAX_LIST] + size_t count, each a path */
};

#define CONFIG_SECRET 1u /* wiped on free and never echoed in an error message */

struct config_key {
	const char *section;
	const char *key;
	enum config_type type;
	size_t off;          /* offsetof(struct config, the field) */
	size_t count_off;    /* CONFIG_PATH_LIST: offsetof the size_t count */
	long long min, max;  /* CONFIG_INT / CONFIG_SIZE range, inclusive */
	long long def;       /* CONFIG_BOOL / CONFIG_INT / CONFIG_SIZE default */
	const char *defstr;  /* string kinds: default, NULL = unset */
	const char *choices; /* CONFIG_ENUM: "a|b|c" */
	unsigned flags;      /* CONFIG_SECRET */
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;
extern const char *const config_sections[];
extern const size_t config_nsections;

/* Where a value was last set: a file line, an environment variable, or neither. */
struct config_origin {
	int line; /* 1-based line in the file, 0 if not from the file */
	int env;  /* 1 = from SEALPACT_<SECTION>_<KEY> */
};

struct config_loader {
	struct config *cfg;
	const char *file;             /* the file as named by the caller, NULL if none */
	char *basedir;                /* absolute directory of file, NULL if none */
	struct config_origin *origin; /* one per config_keys[] row */
};

/* The row index of section.key (exact, case-sensitive), or -1. */
long config_key_index(const char *section, const char *key);

/* The key of section nearest to key (at most two edits, any case), or NULL:
 * for "did you mean" in messages. */
const struct config_key *config_key_suggest(const char *section, const char *key);

/*
 * Parse text (len bytes, from the YAML file or an environment variable) as
 * the value of row idx and store it in ld->cfg, replacing the old value. where
 * is the message prefix ("FILE:LINE" or "SEALPACT_X_Y"); from_file says
 * whether relative paths are resolved against ld->basedir. Fails with
 * SP_ERR_CONFIG "where: section.key: reason" and changes nothing.
 */
int config_value_set(struct config_loader *ld, size_t idx, const char *text, size_t len,
		     const char *where, int from_file, struct sp_errinfo *ei) SP_WUR;

/* Empty the list of row idx (a CONFIG_PATH_LIST). */
void config_list_clear(struct config_loader *ld, size_t idx);

/* Append one entry to the list of row idx; same contract as config_value_set(). */
int config_list_append(struct config_loader *ld, size_t idx, const char *text, size_t len,
		       const char *where, int from_file, struct sp_errinfo *ei) SP_WUR;

/* Reset row idx to its default (a YAML null value). */
int config_value_reset(struct config_loader *ld, size_t idx, struct sp_errinfo *ei) SP_WUR;

/* Free the value of row idx, wiping secrets first. */
void config_value_free(struct config *cfg, size_t idx);

/* Read the YAML document data[0..len) into ld->cfg (yaml.c). */
int config_yaml_read(struct config_loader *ld, const unsigned char *data, size_t len,
		     struct sp_errinfo *ei) SP_WUR;

#endif /* SP_CONFIG_INT_H */
