/*
 * api_keys.c: API keys of an organization's own systems (members only).
 *
 *   POST   /api/v1/api-keys {"name","expires_at"?}
 *                                     -> 201 {"id","name","prefix","key","created_at","expires_at"}
 *                                        (the key is shown this once)
 *   GET    /api/v1/api-keys?page&page_size -> {"items":[...], "total"} (no secrets)
 *   DELETE /api/v1/api-keys/{id}      -> 204; 404 for another organization's key
 *
 * A key is "spk_" + an 8-character prefix (shown in lists) + a 43-character
 * secret; the database keeps only the SHA-256 of the whole string. A key may
 * end at expires_at (RFC 3339, in the future; absent or null: never), after
 * which it is refused like a revoked one (049). Creating
 * and revoking are audited with the caller's address and User-Agent
 * (db/auth.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "contracts_int.h"
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
on_create(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct key_wait *w = arg;

	if (err->code != SP_OK) {
		request_reply_error(w->r, err->code, err); /* e.g. api_key_limit */
	} else if (json_object_set_new(doc, "key", json_string(w->key)) != 0) {
		json_decref(doc);
		request_reply_error(w->r, SP_ERR_NOMEM, NULL);
	} else {
		request_reply_json(w->r, 201, doc);
	}
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

/*
 * The body's optional "expires_at": 1 with *epoch (0 when absent or null: the
 * key never ends), or 0 after answering 400 for anything but a future RFC
 * 3339 time.
 */
static int
expiry_of(struct request *r, const json_t *doc, int64_t *epoch)
{
	const json_t *v = json_object_get(doc, "expires_at");
	const char *why = "not a string";
	struct sp_errinfo ei;

	*epoch = 0;
	if (v == NULL || json_is_null(v))
		return 1;
	if (json_is_string(v) && sp_time_parse(json_string_value(v), epoch, &why) == SP_OK) {
		if (*epoch > (int64_t)time(NULL))
			return 1;
		why = "not in the future";
	}
	sp_errinfo_init(&ei);
	(void)sp_err_reason(&ei, SP_ERR_INVALID, "invalid",
			    "expires_at must be a future RFC 3339 time with a zone, or null; it is "
			    "%s",
			    why);
	request_problem_ei(r, P_INVALID, &ei);
	return 0;
}

static void
create_next(struct request *r, const struct principal *who)
{
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char secret[AUTH_TOKEN_LEN + 1], hash[65];
	unsigned char rnd[AUTH_APIKEY_PREFIX_LEN];
	struct key_wait *w = NULL;
	struct db_actor actor;
	struct sp_errinfo ei;
	json_t *doc = NULL, *name;
	int64_t expires_at = 0;
	size_t i;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	name = json_object_get(doc, "name");
	sp_errinfo_init(&ei);
	if (api_text_take("name", name, &ei) != SP_OK) {
		request_reply_error(r, ei.code, &ei);
		goto out;
	}
	if (!json_is_object(doc) ||
	    json_object_size(doc) != 1 + (json_object_get(doc, "expires_at") != NULL) ||
	    !json_is_string(name) || !name_ok(json_string_value(name)) ||
	    json_string_length(name) != strlen(json_string_value(name))) {
		request_problem(r, P_INVALID,
				"the body must be {\"name\": 1-100 printable characters, "
				"\"expires_at\"?: RFC 3339 time}");
		goto out;
	}
	if (!expiry_of(r, doc, &expires_at))
		goto out;
	if ((w = calloc(1, sizeof(*w))) == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    auth_token_new(secret) != SP_OK) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		goto out;
	}
	w->r = r;
	snprintf(w->name, sizeof(w->name), "%s", json_string_value(name));
	/* 36^8 prefixes, unique by the database's constraint: a collision fails once in ~10^12. */
	for (i = 0; i < AUTH_APIKEY_PREFIX_LEN; i++)
		w->prefix[i] = alnum[rnd[i] % 36];
	w->prefix[AUTH_APIKEY_PREFIX_LEN] = '\0';
	snprintf(w->key, sizeof(w->key), "%s%s%s", AUTH_APIKEY_PREFIX, w->prefix, secret);
	sp_wipe(secret, sizeof(secret));
	if (auth_token_hash(w->key, hash) != SP_OK) {
		request_reply_error(r, SP_ERR_INTERNAL, NULL);
		goto out;
	}
	auth_actor(r, who, &actor);
	if ((rc = db_api_key_create(request_db(r), &actor, w->name, w->prefix, hash, expires_at,
				    request_config(r)->auth.max_api_keys_per_day, on_create, w)) !=
	    SP_OK) {
		request_reply_error(r, rc, NULL);
		goto out;
	}
	w = NULL; /* transferred */
out:
	key_wait_free(w);
	json_decref(doc);
}

void
api_keys_create_post(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, create_next);
}

/* ---- list -------------------------------------------------------------------- */

static void
on_list(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code, err);
	else
		request_reply_json(r, 200, doc);
}

static void
list_next(struct request *r, const struct principal *who)
{
	long page = request_query_count(r, "page", 1, 100000000L);
	long size = request_query_count(r, "page_size", 10, PAGE_SIZE_MAX);
	int rc;

	if (page < 0 || size < 0) {
		request_problem(r, P_INVALID, "page must be >= 1 and page_size 1..100");
		return;
	}
	rc = db_api_key_list(request_db(r), who->organization_id, size, (page - 1) * size, on_list,
			     r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
api_keys_list_get(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, list_next);
}

/* ---- revoke --------------------------------------------------------------------- */

static void
on_revoke(void *arg, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (err->code != SP_OK)
		request_reply_error(r, err->code,
				    err); /* not_found: none live in this organization */
	else
		request_reply_data(r, 204, "text/plain", "", 0);
}

static void
revoke_next(struct request *r, const struct principal *who)
{
	const char *id = request_param(r, "id");
	struct db_actor actor;
	int64_t key_id;
	int rc;

	if (id == NULL || id[0] == '+' || id[0] == '-' ||
	    sp_parse_i64(id, 1, INT64_MAX, &key_id) != SP_OK) {
		/* Same answer as an unknown key: ids are not guessed at by shape. */
		request_problem(r, P_NOT_FOUND, "No such active API key.");
		return;
	}
	auth_actor(r, who, &actor);
	rc = db_api_key_revoke(request_db(r), &actor, key_id, on_revoke, r);
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

void
api_keys_revoke_delete(struct request *r)
{
	auth_then(r, PRINCIPAL_MEMBER, revoke_next);
}
