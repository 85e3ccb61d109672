/*
 * yaml.c: the configuration file's shape, read with libyaml's event API.
 *
 * The file is one mapping of sections, each a mapping of keys to a scalar
 * (or, for list keys, a sequence of scalars). Anything else stops at the
 * first problem with "FILE:LINE: section.key: reason". The event API is used
 * rather than the document API so that nothing is built that we then walk,
 * and aliases (which a document would expand) are refused outright.
 */
#include "config_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct reader {
	struct config_loader *ld;
	const unsigned char *data; /* the file, for hints about syntax errors */
	size_t len;
	yaml_parser_t parser;
	yaml_event_t ev;
	int have_ev;
	int section_line[16]; /* first line of each config_sections[] entry */
};

static int
line_of(const struct reader *rd)
{
	return (int)rd->ev.start_mark.line + 1;
}

static const char *
kind_name(yaml_event_type_t t)
{
	switch (t) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		return "a single value";
	default:
		return "something else";
	}
}

/* Advance to the next event; syntax errors and aliases end the read. */
static int
next(struct reader *rd, struct sp_errinfo *ei)
{
	const yaml_parser_t *p = &rd->parser;

	if (rd->have_ev) {
		yaml_event_delete(&rd->ev);
		rd->have_ev = 0;
	}
	if (!yaml_parser_parse(&rd->parser, &rd->ev)) {
		size_t at = p->problem_mark.index;
		/* The commonest mistake deserves its own words. */
		int tab = at < rd->len && rd->data[at] == '\t';

		return sp_err(ei, SP_ERR_CONFIG, "%s:%zu: YAML syntax error: %s%s%s%s",
			      rd->ld->file, p->problem_mark.line + 1,
			      p->problem ? p->problem : "malformed document", p->context ? " " : "",
			      p->context ? p->context : "",
			      tab ? " (indent with spaces: YAML does not allow tabs)" : "");
	}
	rd->have_ev = 1;
	if (rd->ev.type == YAML_ALIAS_EVENT)
		return sp_err(ei, SP_ERR_CONFIG, "%s:%d: YAML aliases are not supported",
			      rd->ld->file, line_of(rd));
	return SP_OK;
}

static const char *
scalar(const struct reader *rd)
{
	return (const char *)rd->ev.data.scalar.value;
}

/* A plain empty, "~" or "null" value: the key is present but unset. */
static int
is_null(const struct reader *rd)
{
	const char *v = scalar(rd);

	if (rd->ev.type != YAML_SCALAR_EVENT || rd->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcasecmp(v, "null") == 0;
}

static void
where_at(const struct reader *rd, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%d", rd->ld->file, line_of(rd));
}

static int
read_list(struct reader *rd, size_t idx, struct sp_errinfo *ei)
{
	const struct config_key *k = &config_keys[idx];
	char where[512];
	int r;

	config_list_clear(rd->ld, idx);
	for (;;) {
		if ((r = next(rd, ei)) != SP_OK)
			return r;
		if (rd->ev.type == YAML_SEQUENCE_END_EVENT)
			return SP_OK;
		where_at(rd, where, sizeof(where));
		if (rd->ev.type != YAML_SCALAR_EVENT)
			return sp_err(ei, SP_ERR_CONFIG,
				      "%s: %s.%s: a list entry must be a single value, not %s",
				      where, k->section, k->key, kind_name(rd->ev.type));
		r = config_list_append(rd->ld, idx, scalar(rd), rd->ev.data.scalar.length, where, 1,
				       ei);
		if (r != SP_OK)
			return r;
	}
}

static int
read_value(struct reader *rd, size_t idx, struct sp_errinfo *ei)
{
	const struct config_key *k = &config_keys[idx];
	int list = k->type == CONFIG_PATH_LIST;
	char where[512];

	where_at(rd, where, sizeof(where));
	if (is_null(rd))
		return config_value_reset(rd->ld, idx, ei);
	if (list && rd->ev.type == YAML_SEQUENCE_START_EVENT)
		return read_list(rd, idx, ei);
	if (!list && rd->ev.type == YAML_SCALAR_EVENT)
		return config_value_set(rd->ld, idx, scalar(rd), rd->ev.data.scalar.length, where,
					1, ei);
	return sp_err(ei, SP_ERR_CONFIG, "%s: %s.%s: expected %s, got %s", where, k->section,
		      k->key, list ? "a list (YAML sequence)" : "a single value",
		      kind_name(rd->ev.type));
}

/*
 * The next key of the mapping being read, copied into name; *done at the
 * mapping's end. what names it in messages ("a section", "server: a key").
 * A NUL byte or more than namesz - 1 bytes is refused: such a name could
 * only match a known one by being cut.
 */
static int
next_name(struct reader *rd, const char *what, char *name, size_t namesz, int *line, int *done,
	  struct sp_errinfo *ei)
{
	size_t n;
	int r;

	*done = 0;
	name[0] = '\0';
	if ((r = next(rd, ei)) != SP_OK)
		return r;
	if (rd->ev.type == YAML_MAPPING_END_EVENT) {
		*done = 1;
		return SP_OK;
	}
	*line = line_of(rd);
	if (rd->ev.type != YAML_SCALAR_EVENT)
		return sp_err(ei, SP_ERR_CONFIG, "%s:%d: %s must be a name, not %s", rd->ld->file,
			      *line, what, kind_name(rd->ev.type));
	n = rd->ev.data.scalar.length;
	if (n >= namesz || memchr(scalar(rd), '\0', n) != NULL)
		return sp_err(ei, SP_ERR_CONFIG,
			      "%s:%d: %s must be a name (at most %zu bytes, no NUL)", rd->ld->file,
			      *line, what, namesz - 1);
	memcpy(name, scalar(rd), n);
	name[n] = '\0';
	return SP_OK;
}

static int
read_keys(struct reader *rd, const char *section, struct sp_errinfo *ei)
{
	struct config_origin *o;
	char key[128], what[160];
	long idx;
	int r, line = 0, done;

	snprintf(what, sizeof(what), "%s: a key", section);
	for (;;) {
		if ((r = next_name(rd, what, key, sizeof(key), &line, &done, ei)) != SP_OK)
			return r;
		if (done)
			return SP_OK;
		if ((idx = config_key_index(section, key)) < 0) {
			const struct config_key *near = config_key_suggest(section, key);

			if (near == NULL)
				return sp_err(ei, SP_ERR_CONFIG, "%s:%d: %s.%s: unknown key",
					      rd->ld->file, line, section, key);
			return sp_err(ei, SP_ERR_CONFIG,
				      "%s:%d: %s.%s: unknown key (did you mean %s?)", rd->ld->file,
				      line, section, key, near->key);
		}
		o = &rd->ld->origin[idx];
		if (o->line != 0)
			return sp_err(ei, SP_ERR_CONFIG,
				      "%s:%d: %s.%s: duplicate key (first at line %d)",
				      rd->ld->file, line, section, key, o->line);
		o->line = line;
		if ((r = next(rd, ei)) != SP_OK)
			return r;
		if ((r = read_value(rd, (size_t)idx, ei)) != SP_OK)
			return r;
	}
}

static int
read_sections(struct reader *rd, struct sp_errinfo *ei)
{
	char name[128];
	size_t i;
	int r, line = 0, done;

	for (;;) {
		if ((r = next_name(rd, "a section", name, sizeof(name), &line, &done, ei)) != SP_OK)
			return r;
		if (done)
			return SP_OK;
		for (i = 0; i < config_nsections; i++) {
			if (strcmp(config_sections[i], name) == 0)
				break;
		}
		if (i == config_nsections)
			return sp_err(ei, SP_ERR_CONFIG,
				      "%s:%d: %s: unknown section (known: server, database, log, "
				      "trust, "
				      "tsa, auth, signing, webhooks)",
				      rd->ld->file, line, name);
		if (rd->section_line[i] != 0)
			return sp_err(ei, SP_ERR_CONFIG,
				      "%s:%d: %s: duplicate section (first at line %d)",
				      rd->ld->file, line, name, rd->section_line[i]);
		rd->section_line[i] = line;
		if ((r = next(rd, ei)) != SP_OK)
			return r;
		if (is_null(rd))
			continue; /* "server:" with nothing under it: all defaults */
		if (rd->ev.type != YAML_MAPPING_START_EVENT)
			return sp_err(ei, SP_ERR_CONFIG,
				      "%s:%d: %s: expected a mapping of keys, got %s", rd->ld->file,
				      line_of(rd), name, kind_name(rd->ev.type));
		if ((r = read_keys(rd, config_sections[i], ei)) != SP_OK)
			return r;
	}
}

static int
expect(struct reader *rd, yaml_event_type_t type, const char *what, struct sp_errinfo *ei)
{
	int r;

	if ((r = next(rd, ei)) != SP_OK)
		return r;
	if (rd->ev.type != type)
		return sp_err(ei, SP_ERR_CONFIG, "%s:%d: %s", rd->ld->file, line_of(rd), what);
	return SP_OK;
}

int
config_yaml_read(struct config_loader *ld, const unsigned char *data, size_t len,
		 struct sp_errinfo *ei)
{
	struct reader rd;
	int r = SP_ERR_INTERNAL;

	memset(&rd, 0, sizeof(rd));
	rd.ld = ld;
	rd.data = data;
	rd.len = len;
	if (config_nsections > SP_ARRAY_LEN(rd.section_line))
		return sp_err(ei, SP_ERR_INTERNAL, "too many configuration sections");
	if (!yaml_parser_initialize(&rd.parser))
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&rd.parser, data, len);
	if ((r = expect(&rd, YAML_STREAM_START_EVENT, "not a YAML stream", ei)) != SP_OK)
		goto out;
	if ((r = next(&rd, ei)) != SP_OK)
		goto out;
	if (rd.ev.type == YAML_STREAM_END_EVENT) {
		r = SP_OK; /* an empty file: defaults and environment only */
		goto out;
	}
	if ((r = next(&rd, ei)) != SP_OK)
		goto out;
	if (rd.ev.type == YAML_MAPPING_START_EVENT) {
		if ((r = read_sections(&rd, ei)) != SP_OK)
			goto out;
	} else if (!is_null(&rd)) {
		r = sp_err(ei, SP_ERR_CONFIG,
			   "%s:%d: the top level must be a mapping of sections, not %s", ld->file,
			   line_of(&rd), kind_name(rd.ev.type));
		goto out;
	}
	if ((r = expect(&rd, YAML_DOCUMENT_END_EVENT, "expected the end of the document", ei)) !=
	    SP_OK)
		goto out;
	if ((r = expect(&rd, YAML_STREAM_END_EVENT, "only one YAML document is allowed", ei)) !=
	    SP_OK)
		goto out;
	r = SP_OK;
out:
	if (rd.have_ev)
		yaml_event_delete(&rd.ev);
	yaml_parser_delete(&rd.parser);
	return r;
}
