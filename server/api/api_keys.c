/*
 * api_keys.c: API keys of an organization's own systems (members only).
 *
 *   POST   /api/v1/api-keys {"name"}  -> 201 {"id","name","prefix","key","created_at"}
 *                                        (the key is shown this once)
 *   GET    /api/v1/api-keys?page&page_size -> {"items":[...], "total"} (no secrets)
 *   DELETE /api/v1/api-keys/{id}      -> 204; 404 for another organization's key
 *
 * A key is "spk_" + an 8-character prefix (shown in lists) + a 43-character
 * secret; the database keeps only the SHA-256 of the whole string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "auth_int.h"
#include "db.h"

#define NAME_MAX_ 100
#define PAGE_SIZE_MAX 100

struct key_wait {
	struct request *r;
	char key[AUTH_APIKEY_LEN + 1];
	char prefix[AUTH_APIKEY_PREFIX_LEN + 1];
	char name[NAME_MAX_ * 4 + 1];
};

static void
key_wait_free(struct key_wait *w)
{
	if (w == NULL)
		return;
	sp_wipe(w->key, sizeof(w->key));
	free(w);
}

static void
on_create(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct key_wait *w = arg;

	if (err->code != SP_OK)
		request_reply_error(w->r, err->code, err); /* SA010: api_key_limit */
	else if (res == NULL || PQntuples(res) != 1)
		request_reply_error(w->r, SP_ERR_INTERNAL, NULL);
	else
		request_reply_json(w->r, 201, json_pack("{s:I,s:s,s:s,s:s,s:s}",
			"id", (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
			"name", w->name, "prefix", w->prefix, "key", w->key,
			"created_at", PQgetvalue(res, 0, 1)));
	key_wait_free(w);
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s), i;
	int visible = 0;

	if (n == 0 || n > NAME_MAX_ * 4)
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if (s[i] != ' ')
			visible = 1;
	}
	return visible;
}

static void
create_next(struct request *r, const struct principal *who)
{
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char secret[AUTH_TOKEN_LEN + 1], hash[65], org[24], uid[24];
	unsigned char rnd[AUTH_APIKEY_PREFIX_LEN];
	struct key_wait *w = NULL;
	struct db_param p[5];
	json_t *doc = NULL, *name;
	size_t i;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	name = json_object_get(doc, "name");
	if (!json_is_object(doc) || json_object_size(doc) != 1 || !json_is_string(name) ||
	    !name_ok(json_string_value(name)) || json_string_length(name) != strlen(json_string_value(name))) {
		request_problem(r, P_INVALID,
				      "the body must be {\"name\": 1-100 printable characters}");
		goto out;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    auth_token_new(secret) != SP_OK) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		goto out;
	}
	w->r = r;
	snprintf(w->name, sizeof(w->name), "%s", json_string_value(name));
	/* 36^8 prefixes: unique by the database's constraint, collisions answer 503 once in ~10^12. */
	for (i = 0; i < AUTH_APIKEY_PREFIX_LEN; i++)
		w->prefix[i] = alnum[rnd[i] % 36];
	w->prefix[AUTH_APIKEY_PREFIX_LEN] = '\0';
	snprintf(w->key, sizeof(w->key), "%s%s%s", AUTH_APIKEY_PREFIX, w->prefix, secret);
	sp_wipe(secret, sizeof(secret));
	if (auth_token_hash(w->key, hash) != SP_OK) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		goto out;
	}
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	snprintf(uid, sizeof(uid), "%lld", (long long)who->user_id);
	memset(p, 0, sizeof(p));
	p[0].value = org;
	p[1].value = uid;
	p[2].value = w->name;
	p[3].value = w->prefix;
	p[4].value = hash;
	if (db_query_send(request_db(r),
			  "SELECT id, to_char(created_at AT TIME ZONE 'UTC', "
			  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM api_key_create($1, $2, $3, $4, $5)",
			  5, p, 0, 0, on_create, w) != SP_OK) {
		request_problem(r, P_DATABASE_UNAVAILABLE, "Try again.");
		goto out;
	}
	w = NULL; /* transferred */
out:
	key_wait_free(w);
	json_decref(doc);
}

static void
create_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, create_next);
}

/* ---- list -------------------------------------------------------------------- */

static json_t *
text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

static void
on_list(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;
	json_t *items, *doc;
	long long total = 0;
	int i, n;

	if (err->code != SP_OK || res == NULL) {
		request_problem(r, P_DATABASE_UNAVAILABLE, "Try again.");
		return;
	}
	n = PQntuples(res);
	items = json_array();
	for (i = 0; i < n && items != NULL; i++) {
		total = strtoll(PQgetvalue(res, i, 7), NULL, 10);
		if (PQgetisnull(res, i, 0))
			continue; /* the row that only carries the total of an empty page */
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:I,s:s,s:o,s:o}",
			"id", (json_int_t)strtoll(PQgetvalue(res, i, 0), NULL, 10),
			"name", PQgetvalue(res, i, 1), "prefix", PQgetvalue(res, i, 2),
			"created_by", (json_int_t)strtoll(PQgetvalue(res, i, 3), NULL, 10),
			"created_at", PQgetvalue(res, i, 4),
			"last_used_at", text_or_null(res, i, 5), "revoked_at", text_or_null(res, i, 6)));
	}
	doc = json_pack("{s:o,s:I}", "items", items, "total", (json_int_t)total);
	request_reply_json(r, 200, doc);
}

/* A positive integer query parameter in [1, max], def when absent; -1 when malformed. */
static long
query_int(struct request *r, const char *name, long def, long max)
{
	const char *s = request_query(r, name);
	uint64_t v;

	if (s == NULL)
		return def;
	return sp_parse_u64(s, 1, (uint64_t)max, &v) == SP_OK ? (long)v : -1;
}

#define TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static void
list_next(struct request *r, const struct principal *who)
{
	char org[24], lim[16], off[24];
	struct db_param p[3];
	long page = query_int(r, "page", 1, 100000000L), size = query_int(r, "page_size", 10, PAGE_SIZE_MAX);

	if (page < 0 || size < 0) {
		request_problem(r, P_INVALID,
				      "page must be >= 1 and page_size 1..100");
		return;
	}
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	snprintf(lim, sizeof(lim), "%ld", size);
	snprintf(off, sizeof(off), "%ld", (page - 1) * size);
	memset(p, 0, sizeof(p));
	p[0].value = org;
	p[1].value = lim;
	p[2].value = off;
	/* The outer join keeps one row with the total even when the page is empty. */
	if (db_query_send(request_db(r),
			  "SELECT k.id, k.name, k.prefix, k.created_by, " TS("k.created_at") ", "
			  TS("k.last_used_at") ", " TS("k.revoked_at") ", t.n "
			  "FROM (SELECT count(*) AS n FROM api_keys WHERE organization_id = $1) t "
			  "LEFT JOIN LATERAL (SELECT * FROM api_keys WHERE organization_id = $1 "
			  "ORDER BY created_at DESC, id DESC LIMIT $2::int OFFSET $3::bigint) k ON true",
			  3, p, 0, 0, on_list, r) != SP_OK)
		request_problem(r, P_DATABASE_UNAVAILABLE, "Try again.");
}

static void
list_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, list_next);
}

/* ---- revoke --------------------------------------------------------------------- */

static void
on_revoke(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK || res == NULL)
		request_problem(r, P_DATABASE_UNAVAILABLE, "Try again.");
	else if (PQntuples(res) != 1)
		request_problem(r, P_NOT_FOUND, "No such active API key.");
	else
		request_reply_data(r, 204, "text/plain", "", 0);
}

static void
revoke_next(struct request *r, const struct principal *who)
{
	const char *id = request_param(r, "id");
	char org[24];
	struct db_param p[2];
	size_t i, n = id ? strlen(id) : 0;

	for (i = 0; i < n && id[i] >= '0' && id[i] <= '9'; i++)
		;
	if (n == 0 || n > 18 || i != n) {
		/* Same answer as an unknown key: ids are not guessed at by shape. */
		request_problem(r, P_NOT_FOUND, "No such active API key.");
		return;
	}
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	memset(p, 0, sizeof(p));
	p[0].value = org;
	p[1].value = id;
	if (db_query_send(request_db(r),
			  "UPDATE api_keys SET revoked_at = now() WHERE organization_id = $1 "
			  "AND id = $2::bigint AND revoked_at IS NULL RETURNING id",
			  2, p, 0, 0, on_revoke, r) != SP_OK)
		request_problem(r, P_DATABASE_UNAVAILABLE, "Try again.");
}

static void
revoke_delete(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, revoke_next);
}

int
routes_apikeys_register(struct router *rt, struct sp_errinfo *ei)
{
	int r;

	if ((r = router_route_add(rt, HTTP_POST, "/api/v1/api-keys", create_post, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_GET, "/api/v1/api-keys", list_get, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_DELETE, "/api/v1/api-keys/{id}", revoke_delete, 0, ei)) != SP_OK)
		return r;
	return SP_OK;
}
