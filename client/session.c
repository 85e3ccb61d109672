/*
 * session.c: the terminal's saved session, $XDG_CONFIG_HOME/sealpact/session.json
 * (else ~/.config/sealpact/session.json): {"server","token","expires_at"}.
 * A profile NAME (--profile or SEALPACT_PROFILE; one organization each, so
 * one person can act for several) keeps its session under
 * .../sealpact/profiles/NAME/ instead; "default" is the plain place.
 * The file is 0600 in a 0700 directory, and a file others could read is
 * refused rather than used: it holds a bearer credential.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "login_int.h"

#define SESSION_MAX 8192

static int
base_path(char *out, size_t n, struct sp_errinfo *ei)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int len;

	/* The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored. */
	if (xdg != NULL && xdg[0] == '/')
		len = snprintf(out, n, "%s/sealpact", xdg);
	else if (home != NULL && home[0] == '/')
		len = snprintf(out, n, "%s/.config/sealpact", home);
	else
		return sp_err(ei, SP_ERR_CONFIG,
			      "neither XDG_CONFIG_HOME nor HOME is an absolute path");
	if (len < 0 ||
	    (size_t)len + sizeof("/profiles/") + CLIENT_PROFILE_MAX + sizeof("/session.json") > n)
		return sp_err(ei, SP_ERR_CONFIG, "the configuration directory path is too long");
	return SP_OK;
}

int
client_profile_check(const char *name)
{
	size_t i, len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > CLIENT_PROFILE_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      ((c == '-' || c == '_') && i > 0)))
			return -1;
	}
	return 0;
}

const char *
client_profile_current(void)
{
	const char *p = getenv("SEALPACT_PROFILE");

	return p != NULL && *p != '\0' ? p : NULL;
}

/* The default profile keeps the original place, so existing sessions stay. */
static int
dir_path(char *out, size_t n, struct sp_errinfo *ei)
{
	const char *prof = client_profile_current();
	int r;

	if ((r = base_path(out, n, ei)) != SP_OK)
		return r;
	if (prof == NULL || strcmp(prof, "default") == 0)
		return SP_OK;
	if (client_profile_check(prof) != 0)
		return sp_err(ei, SP_ERR_INVALID,
			      "profile \"%.40s\" is not 1..%d of a-z, 0-9, '-', '_'", prof,
			      CLIENT_PROFILE_MAX);
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): base_path left room for it */
	strcat(out, "/profiles/");
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): and for a checked name */
	strcat(out, prof);
	return SP_OK;
}

int
client_session_path(char *out, size_t n, struct sp_errinfo *ei)
{
	int r;

	if ((r = dir_path(out, n, ei)) != SP_OK)
		return r;
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): base_path left room for it */
	strcat(out, "/session.json");
	return SP_OK;
}

/* mkdir -p with mode 0700 for what we create; the last component is forced to 0700. */
static int
make_dir(const char *dir, struct sp_errinfo *ei)
{
	char tmp[4096];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (i = 1; tmp[i] != '\0'; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return sp_err(ei, SP_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
		tmp[i] = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return sp_err(ei, SP_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
	if (chmod(tmp, 0700) != 0)
		return sp_err(ei, SP_ERR_IO, "cannot chmod %s: %s", tmp, strerror(errno));
	return SP_OK;
}

int
client_session_save(const char *server, const char *token, const char *expires_at, const char *who,
		    struct sp_errinfo *ei)
{
	char dir[4096], path[4096 + 16];
	json_t *doc = NULL;
	char *text = NULL;
	int r = SP_ERR_INTERNAL;

	if ((r = dir_path(dir, sizeof(dir), ei)) != SP_OK || (r = make_dir(dir, ei)) != SP_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/session.json", dir);
	doc = json_pack("{s:s,s:s,s:s?,s:s?}", "server", server, "token", token, "expires_at",
			expires_at, "who", who);
	if (doc == NULL || (text = json_dumps(doc, JSON_INDENT(2))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = sp_file_write(path, text, strlen(text), 0600, ei)) != SP_OK)
		goto out;
	r = SP_OK;
out:
	if (text != NULL)
		sp_wipe(text, strlen(text));
	free(text);
	json_decref(doc);
	return r;
}

int
client_session_load(const char *server, char **token, struct sp_errinfo *ei)
{
	char path[4096];
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	json_t *doc = NULL;
	json_error_t jerr;
	const char *srv, *tok;
	int r = SP_ERR_INTERNAL;

	*token = NULL;
	if ((r = client_session_path(path, sizeof(path), ei)) != SP_OK)
		goto out;
	if (stat(path, &st) != 0) {
		r = sp_err(ei, SP_ERR_NOT_FOUND, "not logged in (no %s): run 'sealpact login'",
			   path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = sp_err(ei, SP_ERR_INVALID,
			   "%s is readable by others: remove it and log in again", path);
		goto out;
	}
	if ((r = sp_file_read(path, SESSION_MAX, &data, &len, ei)) != SP_OK)
		goto out;
	doc = json_loadb((const char *)data, len, 0, &jerr);
	srv = json_string_value(json_object_get(doc, "server"));
	tok = json_string_value(json_object_get(doc, "token"));
	if (srv == NULL || tok == NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "%s is damaged: run 'sealpact login'", path);
		goto out;
	}
	/* A token is for the server that issued it, never sent elsewhere. */
	if (strcmp(srv, server) != 0) {
		r = sp_err(ei, SP_ERR_NOT_FOUND,
			   "the saved session is for %s, not %s: run 'sealpact login'", srv,
			   server);
		goto out;
	}
	if ((*token = strdup(tok)) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	r = SP_OK;
out:
	if (data != NULL)
		sp_wipe(data, len);
	free(data);
	json_decref(doc);
	return r;
}

int
client_session_remove(struct sp_errinfo *ei)
{
	char path[4096];
	int r;

	if ((r = client_session_path(path, sizeof(path), ei)) != SP_OK)
		return r;
	if (unlink(path) != 0 && errno != ENOENT)
		return sp_err(ei, SP_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
	return SP_OK;
}

/* One profile's line of `whoami --all`, from its session file (no network). */
static void
profile_line(const char *name, const char *dir, const char *current, int *count)
{
	char path[4096 + 16];
	unsigned char *data = NULL;
	size_t len = 0;
	json_t *doc = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	snprintf(path, sizeof(path), "%s/session.json", dir);
	if (sp_file_read(path, SESSION_MAX, &data, &len, &ei) != SP_OK)
		return;
	doc = json_loadb((const char *)data, len, 0, NULL);
	/* The session file holds what the server sent: print it terminal-safe. */
	printf("%s %-16s %-32s %-28s %s\n", strcmp(name, current) == 0 ? "*" : " ", name,
	       client_json_text(doc, "who", "-"), client_json_text(doc, "server", "-"),
	       client_json_text(doc, "expires_at", "-"));
	(*count)++;
	sp_wipe(data, len);
	free(data);
	json_decref(doc);
}

int
client_profiles_list(struct sp_errinfo *ei)
{
	char base[4096], dir[4096 + 300];
	const char *cur = client_profile_current();
	struct dirent *de;
	DIR *d;
	int r, count = 0;

	if ((r = base_path(base, sizeof(base), ei)) != SP_OK)
		return r;
	if (cur == NULL)
		cur = "default";
	printf("  %-16s %-32s %-28s %s\n", "PROFILE", "ORGANIZATION", "SERVER", "EXPIRES");
	profile_line("default", base, cur, &count);
	snprintf(dir, sizeof(dir), "%s/profiles", base);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (client_profile_check(de->d_name) != 0 ||
			    strcmp(de->d_name, "default") == 0)
				continue;
			snprintf(dir, sizeof(dir), "%s/profiles/%s", base, de->d_name);
			profile_line(de->d_name, dir, cur, &count);
		}
		closedir(d);
	}
	printf("%d profile%s logged in (* = this one: --profile NAME or SEALPACT_PROFILE)\n", count,
	       count == 1 ? "" : "s");
	return SP_OK;
}
