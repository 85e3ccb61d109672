/*
 * seals.c: the typed calls of the seal aggregate (db.h, "seals.c"):
 * applications, the review queue with its claims, issued seals and their
 * blobs. The state changes are the SQL functions of
 * migrations/009_seals.sql, each one round trip that appends its audit event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

/* ---- blobs (bytea + its content type) ---------------------------------------------- */

struct blob_call {
	db_blob_fn cb;
	void *arg;
	const char *not_found; /* static */
};

/* Columns: data bytea (binary), type text (binary text is its bytes). */
static void
blob_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct blob_call c = *(struct blob_call *)arg;
	struct sp_errinfo ei;
	char type[64] = "";
	int n;

	free(arg);
	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		c.cb(c.arg, NULL, 0, NULL, err);
		return;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 0)) {
		sp_err_reason(&ei, SP_ERR_NOT_FOUND, "not_found", "%s", c.not_found);
		c.cb(c.arg, NULL, 0, NULL, &ei);
		return;
	}
	if (!PQgetisnull(res, 0, 1) && (n = PQgetlength(res, 0, 1)) > 0 && (size_t)n < sizeof(type))
		memcpy(type, PQgetvalue(res, 0, 1), (size_t)n);
	c.cb(c.arg, (const unsigned char *)PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0),
	     type, &ei);
}

static int
blob_call(struct db_pool *pool, const char *sql, int n, const struct db_param *p,
	  const char *not_found, db_blob_fn cb, void *arg)
{
	struct blob_call *c;
	int r;

	if (cb == NULL)
		return SP_ERR_INVALID;
	if ((c = malloc(sizeof(*c))) == NULL)
		return SP_ERR_NOMEM;
	c->cb = cb;
	c->arg = arg;
	c->not_found = not_found;
	if ((r = db_query_send(pool, sql, n, p, 1, 0, blob_done, c)) != SP_OK)
		free(c);
	return r;
}

/* ---- members: applications -------------------------------------------------------- */

int
db_seal_app_create(struct db_pool *pool, const struct db_actor *who, int64_t certificate_id,
		   const char *name, const char *type, int64_t replaces, int max_open,
		   int max_per_day, db_json_fn cb, void *arg)
{
	struct db_param p[10];
	struct db_actor_text t;
	char cert[24], rep[24], mo[16], md[16];

	if (name == NULL || type == NULL || certificate_id <= 0 || max_open < 1 || max_per_day < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = t.org;
	p[1].value = t.user;
	p[2].value = db_i64_text(cert, sizeof(cert), certificate_id);
	p[3].value = name;
	p[4].value = type;
	p[5].value = replaces > 0 ? db_i64_text(rep, sizeof(rep), replaces) : NULL;
	p[6].value = t.ip;
	p[7].value = t.ua;
	p[8].value = db_i64_text(mo, sizeof(mo), max_open);
	p[9].value = db_i64_text(md, sizeof(md), max_per_day);
	return db_json_call(pool,
			    "SELECT seal_app_create_capped($1::bigint, $2::bigint, $3::bigint, $4, "
			    "$5, $6::bigint, $7::inet, $8, $9::integer, $10::integer)::text",
			    10, p, NULL, cb, arg);
}

int
db_seal_app_list(struct db_pool *pool, int64_t org, long limit, long offset, db_json_fn cb,
		 void *arg)
{
	struct db_param p[3];
	char o[24], l[24], f[24];

	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(o, sizeof(o), org);
	p[1].value = db_i64_text(l, sizeof(l), limit);
	p[2].value = db_i64_text(f, sizeof(f), offset);
	return db_json_call(
		pool,
		"SELECT jsonb_build_object('items', coalesce((SELECT jsonb_agg(seal_app_json(s, "
		"NULL) ORDER BY s.created_at DESC, s.id DESC) FROM (SELECT * FROM seals WHERE "
		"organization_id = $1::bigint ORDER BY created_at DESC, id DESC LIMIT $2::bigint "
		"OFFSET $3::bigint) s), '[]'::jsonb), 'total', (SELECT count(*) FROM seals WHERE "
		"organization_id = $1::bigint))::text",
		3, p, NULL, cb, arg);
}

int
db_seal_app_get(struct db_pool *pool, int64_t org, int64_t id, db_json_fn cb, void *arg)
{
	struct db_param p[2];
	char o[24], i[24];

	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(o, sizeof(o), org);
	p[1].value = db_i64_text(i, sizeof(i), id);
	return db_json_call(pool,
			    "SELECT seal_app_json(s, NULL)::text FROM seals s WHERE s.id = "
			    "$2::bigint AND s.organization_id = $1::bigint",
			    2, p, "no such seal application", cb, arg);
}

int
db_seal_app_modify(struct db_pool *pool, const struct db_actor *who, int64_t id, const char *name,
		   const char *type, int max_per_day, db_json_fn cb, void *arg)
{
	struct db_param p[8];
	struct db_actor_text t;
	char i[24], md[16];

	if (max_per_day < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = t.org;
	p[1].value = t.user;
	p[2].value = db_i64_text(i, sizeof(i), id);
	p[3].value = name;
	p[4].value = type;
	p[5].value = t.ip;
	p[6].value = t.ua;
	p[7].value = db_i64_text(md, sizeof(md), max_per_day);
	return db_json_call(pool,
			    "SELECT seal_app_modify_capped($1::bigint, $2::bigint, $3::bigint, $4, "
			    "$5, $6::inet, $7, $8::integer)::text",
			    8, p, NULL, cb, arg);
}

int
db_seal_app_scan(struct db_pool *pool, const struct db_actor *who, int64_t id,
		 const unsigned char *scan, size_t len, const char *type, int max_per_day,
		 db_json_fn cb, void *arg)
{
	struct db_param p[8];
	struct db_actor_text t;
	char i[24], md[16];

	if (scan == NULL || len == 0 || len > INT32_MAX || type == NULL || max_per_day < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = t.org;
	p[1].value = t.user;
	p[2].value = db_i64_text(i, sizeof(i), id);
	p[3].value = (const char *)scan;
	p[3].len = (int)len;
	p[3].binary = 1;
	p[4].value = type;
	p[5].value = t.ip;
	p[6].value = t.ua;
	p[7].value = db_i64_text(md, sizeof(md), max_per_day);
	return db_json_call(pool,
			    "SELECT seal_app_scan_capped($1::bigint, $2::bigint, $3::bigint, "
			    "$4::bytea, $5, $6::inet, $7, $8::integer)::text",
			    8, p, NULL, cb, arg);
}

int
db_seal_app_step(struct db_pool *pool, const struct db_actor *who, int64_t id,
		 enum db_seal_step step, db_json_fn cb, void *arg)
{
	static const char *const sql[] = {
		[DB_SEAL_SUBMIT] = "SELECT seal_app_submit($1::bigint, $2::bigint, $3::bigint, "
				   "$4::inet, $5)::text",
		[DB_SEAL_CANCEL] = "SELECT seal_app_cancel($1::bigint, $2::bigint, $3::bigint, "
				   "$4::inet, $5)::text",
		[DB_SEAL_INSTALLED] = "SELECT seal_installed($1::bigint, $2::bigint, $3::bigint, "
				      "$4::inet, $5)::text",
	};
	struct db_param p[5];
	struct db_actor_text t;
	char i[24];

	if ((unsigned)step >= SP_ARRAY_LEN(sql))
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = t.org;
	p[1].value = t.user;
	p[2].value = db_i64_text(i, sizeof(i), id);
	p[3].value = t.ip;
	p[4].value = t.ua;
	return db_json_call(pool, sql[step], 5, p, NULL, cb, arg);
}

/* ---- members: issued seals ---------------------------------------------------------- */

#define ISSUED "status IN ('approved', 'installed', 'revoked')"

int
db_seal_list(struct db_pool *pool, int64_t org, long limit, long offset, db_json_fn cb, void *arg)
{
	struct db_param p[3];
	char o[24], l[24], f[24];

	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(o, sizeof(o), org);
	p[1].value = db_i64_text(l, sizeof(l), limit);
	p[2].value = db_i64_text(f, sizeof(f), offset);
	return db_json_call(
		pool,
		"SELECT jsonb_build_object('items', coalesce((SELECT jsonb_agg(seal_json(s) ORDER "
		"BY s.approved_at DESC, s.id DESC) FROM (SELECT * FROM seals WHERE organization_id "
		"= $1::bigint AND " ISSUED " ORDER BY approved_at DESC, id DESC LIMIT $2::bigint "
		"OFFSET $3::bigint) s), '[]'::jsonb), 'total', (SELECT count(*) FROM seals WHERE "
		"organization_id = $1::bigint AND " ISSUED "))::text",
		3, p, NULL, cb, arg);
}

int
db_seal_get(struct db_pool *pool, int64_t org, int64_t id, db_json_fn cb, void *arg)
{
	struct db_param p[2];
	char o[24], i[24];

	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(o, sizeof(o), org);
	p[1].value = db_i64_text(i, sizeof(i), id);
	return db_json_call(pool,
			    "SELECT seal_json(s)::text FROM seals s WHERE s.id = $2::bigint AND "
			    "s.organization_id = $1::bigint AND s." ISSUED,
			    2, p, "no such seal", cb, arg);
}

int
db_seal_blob(struct db_pool *pool, int64_t org, int64_t id, enum db_seal_blob which, db_blob_fn cb,
	     void *arg)
{
	struct db_param p[2];
	char o[24], i[24];

	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(o, sizeof(o), org);
	p[1].value = db_i64_text(i, sizeof(i), id);
	return blob_call(pool,
			 which == DB_SEAL_BLOB_IMAGE
				 ? "SELECT image_png, 'image/png'::text FROM seals WHERE id = "
				   "$2::bigint AND organization_id = $1::bigint AND " ISSUED
				 : "SELECT seseal, 'application/octet-stream'::text FROM seals "
				   "WHERE id = $2::bigint AND organization_id = $1::bigint "
				   "AND " ISSUED,
			 2, p, "no such seal", cb, arg);
}

/* ---- reviewers -------------------------------------------------------------------- */

int
db_review_list(struct db_pool *pool, int64_t reviewer, const struct db_review_query *q,
	       db_json_fn cb, void *arg)
{
	struct db_param p[6];
	char rv[24], l[24], ci[24], cu[32];

	if (q->status == NULL || q->limit < 1 || q->limit > 100 ||
	    (q->q != NULL && strlen(q->q) > DB_REVIEW_Q_BYTES))
		return SP_ERR_INVALID;
	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(rv, sizeof(rv), reviewer);
	p[1].value = q->status;
	p[2].value = q->q;
	p[3].value = db_i64_text(l, sizeof(l), q->limit);
	/* The cursor: the last item's submitted_at (microseconds) and id. */
	p[4].value = q->cursor_id > 0 ? db_i64_text(cu, sizeof(cu), q->cursor_us) : NULL;
	p[5].value = q->cursor_id > 0 ? db_i64_text(ci, sizeof(ci), q->cursor_id) : NULL;
	return db_json_call(
		pool,
		"WITH page AS (SELECT s.* FROM seals s JOIN organizations o ON o.id = "
		"s.organization_id WHERE s.status = $2 AND s.submitted_at IS NOT NULL AND "
		"($3::text "
		"IS NULL OR strpos(lower(s.name || ' ' || o.name || ' ' || o.credit_code), "
		"lower($3)) > 0) AND ($6::bigint IS NULL OR (s.submitted_at, s.id) > "
		"(timestamptz 'epoch' + $5::bigint * interval '1 microsecond', $6::bigint)) ORDER "
		"BY s.submitted_at, s.id LIMIT "
		"$4::integer + 1), shown AS (SELECT * FROM page ORDER BY submitted_at, id LIMIT "
		"$4::integer) SELECT jsonb_build_object('items', coalesce((SELECT "
		"jsonb_agg(seal_app_json(shown, $1::bigint) ORDER BY shown.submitted_at, shown.id) "
		"FROM shown), '[]'::jsonb), 'next_cursor', CASE WHEN (SELECT count(*) FROM page) > "
		"$4::integer THEN (SELECT (floor(extract(epoch FROM submitted_at) * "
		"1e6))::bigint::text || '.' || id::text FROM shown ORDER BY submitted_at DESC, id "
		"DESC LIMIT 1) END)::text",
		6, p, NULL, cb, arg);
}

int
db_review_get(struct db_pool *pool, int64_t reviewer, int64_t id, db_json_fn cb, void *arg)
{
	struct db_param p[2];
	char rv[24], i[24];

	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(rv, sizeof(rv), reviewer);
	p[1].value = db_i64_text(i, sizeof(i), id);
	return db_json_call(pool,
			    "SELECT seal_app_json(s, $1::bigint)::text FROM seals s WHERE s.id = "
			    "$2::bigint AND s.submitted_at IS NOT NULL",
			    2, p, "no such seal application", cb, arg);
}

int
db_review_claim(struct db_pool *pool, const struct db_actor *who, int64_t id, int ttl_s,
		db_json_fn cb, void *arg)
{
	struct db_param p[5];
	struct db_actor_text t;
	char i[24], ttl[16];

	if (ttl_s < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = t.user;
	p[1].value = db_i64_text(i, sizeof(i), id);
	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	p[2].value = ttl;
	p[3].value = t.ip;
	p[4].value = t.ua;
	return db_json_call(pool,
			    "SELECT seal_review_claim($1::bigint, $2::bigint, $3::integer, "
			    "$4::inet, $5)::text",
			    5, p, NULL, cb, arg);
}

int
db_review_release(struct db_pool *pool, const struct db_actor *who, int64_t id, db_status_fn cb,
		  void *arg)
{
	struct db_param p[4];
	struct db_actor_text t;
	char i[24];

	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = t.user;
	p[1].value = db_i64_text(i, sizeof(i), id);
	p[2].value = t.ip;
	p[3].value = t.ua;
	return db_status_call(pool,
			      "SELECT seal_review_release($1::bigint, $2::bigint, $3::inet, $4)", 4,
			      p, "no such seal application", cb, arg);
}

int
db_review_material(struct db_pool *pool, int64_t reviewer, int64_t id, db_json_fn cb, void *arg)
{
	struct db_param p[2];
	char rv[24], i[24];

	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(rv, sizeof(rv), reviewer);
	p[1].value = db_i64_text(i, sizeof(i), id);
	return db_json_call(pool, "SELECT seal_review_material($1::bigint, $2::bigint)::text", 2, p,
			    "no such seal application", cb, arg);
}

int
db_review_scan(struct db_pool *pool, int64_t reviewer, int64_t id, db_blob_fn cb, void *arg)
{
	struct db_param p[2];
	char rv[24], i[24];

	memset(p, 0, sizeof(p));
	p[0].value = db_i64_text(rv, sizeof(rv), reviewer);
	p[1].value = db_i64_text(i, sizeof(i), id);
	return blob_call(pool,
			 "SELECT scan, scan_type FROM seal_review_scan($1::bigint, $2::bigint)", 2,
			 p, "this application has no scan", cb, arg);
}

int
db_review_approve(struct db_pool *pool, const struct db_actor *who,
		  const struct db_seal_approval *a, db_json_fn cb, void *arg)
{
	struct db_param p[10];
	struct db_actor_text t;
	char i[24];

	if (a->png == NULL || a->png_len == 0 || a->png_len > INT32_MAX || a->seseal == NULL ||
	    a->seseal_len == 0 || a->seseal_len > INT32_MAX || a->valid_from == NULL ||
	    a->valid_until == NULL || a->image_source == NULL)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = t.user;
	p[1].value = db_i64_text(i, sizeof(i), a->id);
	p[2].value = a->valid_from;
	p[3].value = a->valid_until;
	p[4].value = (const char *)a->png;
	p[4].len = (int)a->png_len;
	p[4].binary = 1;
	p[5].value = a->image_source;
	p[6].value = a->code;
	p[7].value = (const char *)a->seseal;
	p[7].len = (int)a->seseal_len;
	p[7].binary = 1;
	p[8].value = t.ip;
	p[9].value = t.ua;
	return db_json_call(pool,
			    "SELECT seal_review_approve($1::bigint, $2::bigint, $3::timestamptz, "
			    "$4::timestamptz, $5::bytea, $6, $7, $8::bytea, $9::inet, $10)::text",
			    10, p, NULL, cb, arg);
}

int
db_review_reject(struct db_pool *pool, const struct db_actor *who, int64_t id, const char *reason,
		 db_json_fn cb, void *arg)
{
	struct db_param p[5];
	struct db_actor_text t;
	char i[24];

	if (reason == NULL)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = t.user;
	p[1].value = db_i64_text(i, sizeof(i), id);
	p[2].value = reason;
	p[3].value = t.ip;
	p[4].value = t.ua;
	return db_json_call(pool,
			    "SELECT seal_review_reject($1::bigint, $2::bigint, $3, $4::inet, "
			    "$5)::text",
			    5, p, NULL, cb, arg);
}
