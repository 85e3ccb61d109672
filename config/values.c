/*
 * values.c: typed values for configuration keys. The same parser serves the
 * YAML file and the environment, so a value means the same thing wherever
 * it is written.
 */
#include "config_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIELD(cfg, k, type) ((type)(void *)((char *)(cfg) + (k)->off))

/* Shown in messages; secrets are never echoed, long values are cut. */
static const char *
shown(const struct config_key *k, const char *text)
{
	return (k->flags & CONFIG_SECRET) ? "(secret)" : text;
}

static int fail(const struct config_key *k, const char *where, struct sp_errinfo *ei,
		const char *fmt, ...) SP_PRINTF(4, 5);

static int
fail(const struct config_key *k, const char *where, struct sp_errinfo *ei, const char *fmt, ...)
{
	char reason[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return sp_err(ei, SP_ERR_CONFIG, "%s: %s.%s: %s", where, k->section, k->key, reason);
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* A decimal integer, optionally signed, nothing else (no hex, no spaces). */
static int
parse_int(const char *s, long long *out)
{
	int64_t v;

	if (sp_parse_i64(s, INT64_MIN, INT64_MAX, &v) != SP_OK)
		return -1;
	*out = v;
	return 0;
}

/*
 * Bytes: "1048576", "512 KiB", "1MiB", "2 GiB" (binary units only, so there
 * is no doubt whether "M" means 10^6 or 2^20). Overflow is an error.
 */
static int
parse_size(const char *s, unsigned long long *out)
{
	static const struct {
		const char *suffix;
		unsigned long long mult;
	} units[] = { { "", 1 },
		      { "B", 1 },
		      { "KiB", 1ULL << 10 },
		      { "MiB", 1ULL << 20 },
		      { "GiB", 1ULL << 30 } };
	const char *end = s + strspn(s, "0123456789");
	uint64_t v;
	size_t i;

	if (sp_parse_u64n(s, (size_t)(end - s), 0, UINT64_MAX, &v) != SP_OK)
		return -1;
	while (*end == ' ')
		end++;
	for (i = 0; i < SP_ARRAY_LEN(units); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > ULLONG_MAX / units[i].mult)
			return -1;
		*out = v * units[i].mult;
		return 0;
	}
	return -1;
}

static int
choice_ok(const char *choices, const char *s)
{
	size_t n = strlen(s);
	const char *p = choices;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, s, n) == 0)
			return 1;
		p += len;
		if (*p == '|')
			p++;
	}
	return 0;
}

/*
 * A new string for a path value: absolute as given; relative and read from
 * the file, joined to the file's directory; relative from the environment,
 * kept as given (relative to the working directory, as a shell user expects).
 */
static char *
path_resolve(const struct config_loader *ld, const char *text, int from_file)
{
	char *p;
	size_t n;

	if (text[0] == '/' || !from_file || ld->basedir == NULL)
		return strdup(text);
	n = strlen(ld->basedir) + 1 + strlen(text) + 1;
	if ((p = malloc(n)) == NULL)
		return NULL;
	snprintf(p, n, "%s/%s", ld->basedir, text);
	return p;
}

/* Checks every string kind shares: length, embedded NUL. */
static int
check_text(const struct config_key *k, const char *text, size_t len, const char *where,
	   struct sp_errinfo *ei)
{
	if (strlen(text) != len)
		return fail(k, where, ei, "contains a NUL byte");
	if (len > CONFIG_MAX_STRING)
		return fail(k, where, ei, "longer than %d bytes", CONFIG_MAX_STRING);
	return SP_OK;
}

static void
string_free(const struct config_key *k, char *s)
{
	if (s != NULL && (k->flags & CONFIG_SECRET))
		sp_wipe(s, strlen(s));
	free(s);
}

static int
url_ok(const char *s)
{
	const char *rest;

	if (strncasecmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		return 0;
	if (*rest == '\0' || *rest == '/')
		return 0;
	for (; *rest != '\0'; rest++) {
		if ((unsigned char)*rest <= ' ' || *rest == 0x7f)
			return 0;
	}
	return 1;
}

int
config_value_set(struct config_loader *ld, size_t idx, const char *text, size_t len,
		 const char *where, int from_file, struct sp_errinfo *ei)
{
	const struct config_key *k = &config_keys[idx];
	int r = SP_ERR_INTERNAL, b;
	long long v;
	unsigned long long sz;
	char *s = NULL, **slot;

	if ((r = check_text(k, text, len, where, ei)) != SP_OK)
		goto out;
	switch (k->type) {
	case CONFIG_BOOL:
		if (parse_bool(text, &b) != 0) {
			r = fail(k, where, ei,
				 "'%.40s' is not a boolean (true/false, yes/no, on/off, 1/0)",
				 text);
			goto out;
		}
		*FIELD(ld->cfg, k, int *) = b;
		break;
	case CONFIG_INT:
		if (parse_int(text, &v) != 0) {
			r = fail(k, where, ei, "'%.40s' is not an integer", text);
			goto out;
		}
		if (v < k->min || v > k->max) {
			r = fail(k, where, ei, "%lld is out of range %lld..%lld", v, k->min,
				 k->max);
			goto out;
		}
		*FIELD(ld->cfg, k, int *) = (int)v;
		break;
	case CONFIG_SIZE:
		if (parse_size(text, &sz) != 0) {
			r = fail(k, where, ei,
				 "'%.40s' is not a size (bytes, or a number with KiB, MiB or GiB)",
				 text);
			goto out;
		}
		if (sz < (unsigned long long)k->min || sz > (unsigned long long)k->max) {
			r = fail(k, where, ei, "%llu bytes is out of range %lld..%lld", sz, k->min,
				 k->max);
			goto out;
		}
		*FIELD(ld->cfg, k, size_t *) = (size_t)sz;
		break;
	case CONFIG_ENUM:
		if (!choice_ok(k->choices, text)) {
			r = fail(k, where, ei, "'%.40s' is not one of %s", text, k->choices);
			goto out;
		}
		/* FALLTHROUGH */
	case CONFIG_STRING:
	case CONFIG_URL:
	case CONFIG_PATH:
		/* An empty string unsets the key, so an environment variable can
		 * clear a value the file set. Required keys are checked later. */
		if (len > 0 && k->type == CONFIG_URL && !url_ok(text)) {
			r = fail(k, where, ei, "'%.60s' is not an http:// or https:// URL",
				 shown(k, text));
			goto out;
		}
		if (len > 0) {
			s = k->type == CONFIG_PATH ? path_resolve(ld, text, from_file)
						   : strdup(text);
			if (s == NULL) {
				r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
				goto out;
			}
		}
		slot = FIELD(ld->cfg, k, char **);
		string_free(k, *slot);
		*slot = s;
		s = NULL; /* transferred */
		break;
	case CONFIG_PATH_LIST:
		r = sp_err(ei, SP_ERR_INTERNAL, "%s.%s: a list set as a scalar", k->section,
			   k->key);
		goto out;
	}
	r = SP_OK;
out:
	free(s);
	return r;
}

void
config_list_clear(struct config_loader *ld, size_t idx)
{
	config_value_free(ld->cfg, idx);
}

int
config_list_append(struct config_loader *ld, size_t idx, const char *text, size_t len,
		   const char *where, int from_file, struct sp_errinfo *ei)
{
	const struct config_key *k = &config_keys[idx];
	char **items = FIELD(ld->cfg, k, char **);
	size_t *count = (size_t *)(void *)((char *)ld->cfg + k->count_off);
	int r = SP_ERR_INTERNAL;

	if ((r = check_text(k, text, len, where, ei)) != SP_OK)
		return r;
	if (len == 0)
		return fail(k, where, ei, "empty list entry");
	if (*count >= CONFIG_MAX_LIST)
		return fail(k, where, ei, "more than %d entries", CONFIG_MAX_LIST);
	if ((items[*count] = path_resolve(ld, text, from_file)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	(*count)++;
	return SP_OK;
}

int
config_value_reset(struct config_loader *ld, size_t idx, struct sp_errinfo *ei)
{
	const struct config_key *k = &config_keys[idx];
	char *s = NULL, **slot;

	switch (k->type) {
	case CONFIG_BOOL:
	case CONFIG_INT:
		*FIELD(ld->cfg, k, int *) = (int)k->def;
		break;
	case CONFIG_SIZE:
		*FIELD(ld->cfg, k, size_t *) = (size_t)k->def;
		break;
	case CONFIG_PATH_LIST:
		config_list_clear(ld, idx);
		break;
	case CONFIG_STRING:
	case CONFIG_URL:
	case CONFIG_PATH:
	case CONFIG_ENUM:
		if (k->defstr != NULL && (s = strdup(k->defstr)) == NULL)
			return sp_err(ei, SP_ERR_NOMEM, "out of memory");
		slot = FIELD(ld->cfg, k, char **);
		string_free(k, *slot);
		*slot = s;
		break;
	}
	return SP_OK;
}

void
config_value_free(struct config *cfg, size_t idx)
{
	const struct config_key *k = &config_keys[idx];
	char **slot = FIELD(cfg, k, char **);
	size_t i, *count;

	switch (k->type) {
	case CONFIG_STRING:
	case CONFIG_URL:
	case CONFIG_PATH:
	case CONFIG_ENUM:
		string_free(k, *slot);
		*slot = NULL;
		break;
	case CONFIG_PATH_LIST:
		count = (size_t *)(void *)((char *)cfg + k->count_off);
		for (i = 0; i < *count; i++) {
			free(slot[i]);
			slot[i] = NULL;
		}
		*count = 0;
		break;
	default:
		break;
	}
}
