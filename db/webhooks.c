/*
 * webhooks.c: the typed calls of webhooks (db.h, "webhooks.c" section):
 * registrations, the delivery queue (claim, record an attempt) and the
 * delivery log. The state changes are SQL functions of
 * migrations/003_workflow.sql and 006_identity_audit.sql.
 */
#include "db.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- registrations ------------------------------------------------------------------- */

int
db_webhook_create(struct db_pool *pool, const struct db_actor *actor, const char *url,
		  const char *secret, const char *idempotency_key, int max_per_day, db_json_fn cb,
		  void *arg)
{
	struct db_actor_text a;
	struct db_param p[8];
	char md[16];

	if (actor == NULL || url == NULL || secret == NULL || max_per_day < 1)
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, actor);
	db_param_text(&p[0], a.org);
	db_param_text(&p[1], a.user);
	db_param_text(&p[2], url);
	db_param_text(&p[3], secret);
	db_param_text(&p[4], idempotency_key);
	db_param_text(&p[5], a.ip);
	db_param_text(&p[6], a.ua);
	db_param_text(&p[7], db_i64_text(md, sizeof(md), max_per_day));
	/* 054's budget, then 043's: the organization's row locked before 007's count of its 20 */
	return db_json_call(pool,
			    "SELECT webhook_create_capped($1::bigint, $2::bigint, $3, $4, $5, "
			    "$6::inet, $7, $8::integer)::text",
			    8, p, NULL, cb, arg);
}

int
db_webhook_list(struct db_pool *pool, int64_t organization_id, db_json_fn cb, void *arg)
{
	struct db_param p;
	char org[24];

	db_param_text(&p, db_i64_text(org, sizeof(org), organization_id));
	return db_json_call(
		pool,
		"SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object("
		"'id', id::text, 'url', url, 'created_at', wf_ts(created_at)) ORDER BY id), "
		"'[]'))::text FROM webhooks WHERE organization_id = $1::bigint "
		"AND deleted_at IS NULL",
		1, &p, NULL, cb, arg);
}

int
db_webhook_delete(struct db_pool *pool, const struct db_actor *actor, int64_t id, db_status_fn cb,
		  void *arg)
{
	struct db_actor_text a;
	struct db_param p[5];
	char wid[24];

	if (actor == NULL)
		return SP_ERR_INVALID;
	db_actor_text_fill(&a, actor);
	db_param_text(&p[0], a.org);
	db_param_text(&p[1], a.user);
	db_param_text(&p[2], db_i64_text(wid, sizeof(wid), id));
	db_param_text(&p[3], a.ip);
	db_param_text(&p[4], a.ua);
	return db_status_call(pool,
			      "SELECT webhook_delete($1::bigint, $2::bigint, $3::bigint, "
			      "$4::inet, $5)",
			      5, p, "no such webhook", cb, arg);
}

/* The 100 newest deliveries, each with the log of its attempts. */
#define DELIVERIES_SQL \
	"SELECT (SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(" \
	"'id', d.id::text, 'event', d.event, 'event_id', d.event_id, " \
	"'contract_number', d.contract_number::text, 'status', d.status, " \
	"'attempts', d.attempts, 'last_http_status', d.last_http_status, " \
	"'last_error', d.last_error, 'created_at', wf_ts(d.created_at), " \
	"'delivered_at', wf_ts(d.delivered_at), 'next_attempt_at', " \
	"CASE WHEN d.status = 'pending' THEN wf_ts(d.next_attempt_at) END, " \
	"'log', (SELECT coalesce(jsonb_agg(jsonb_build_object('attempt', a.attempt, " \
	"'at', wf_ts(a.at), 'http_status', a.http_status, 'error', a.error, " \
	"'duration_ms', a.duration_ms) ORDER BY a.attempt), '[]') FROM webhook_attempts a " \
	"WHERE a.delivery_id = d.id)) ORDER BY d.id DESC), '[]')) FROM (SELECT * FROM " \
	"webhook_deliveries WHERE webhook_id = w.id ORDER BY id DESC LIMIT 100) d)::text " \
	"FROM webhooks w WHERE w.id = $1::bigint AND w.organization_id = $2::bigint"

int
db_webhook_deliveries_get(struct db_pool *pool, int64_t organization_id, int64_t id, db_json_fn cb,
			  void *arg)
{
	char wid[24], org[24];
	struct db_param p[2];

	db_param_text(&p[0], db_i64_text(wid, sizeof(wid), id));
	db_param_text(&p[1], db_i64_text(org, sizeof(org), organization_id));
	return db_json_call(pool, DELIVERIES_SQL, 2, p, "no such webhook", cb, arg);
}

/* ---- the delivery queue ----------------------------------------------------------------- */

#define CLAIM_MAX 1000

struct claim_wait {
	db_webhook_claim_fn cb;
	void *arg;
};

static void
on_claim(void *p, const PGresult *res, const struct sp_errinfo *err)
{
	struct claim_wait w = *(struct claim_wait *)p;
	struct db_webhook_delivery *d = NULL;
	struct sp_errinfo ei;
	int i, n;

	free(p);
	if (err->code != SP_OK) {
		w.cb(w.arg, NULL, 0, err);
		return;
	}
	sp_errinfo_init(&ei);
	n = PQntuples(res);
	if (n > 0 && (PQnfields(res) != 5 || (d = calloc((size_t)n, sizeof(*d))) == NULL)) {
		if (d == NULL && PQnfields(res) == 5)
			sp_err(&ei, SP_ERR_NOMEM, "out of memory");
		else
			db_shape_err(&ei, "webhook_claim");
		/* The claimed rows' leases expire and they are claimed again. */
		w.cb(w.arg, NULL, 0, &ei);
		return;
	}
	for (i = 0; i < n; i++) {
		d[i].id = db_col_i64(res, i, 0);
		d[i].url = PQgetvalue(res, i, 1);
		d[i].secret = PQgetvalue(res, i, 2);
		d[i].payload = PQgetvalue(res, i, 3);
		d[i].attempt = (int)db_col_i64(res, i, 4);
	}
	w.cb(w.arg, d, (size_t)n, &ei);
	free(d);
}

int
db_webhook_claim(struct db_pool *pool, int limit, int lease_s, db_webhook_claim_fn cb, void *arg)
{
	struct claim_wait *w;
	struct db_param p[2];
	char lim[16], lease[16];
	int r;

	if (cb == NULL || limit < 1 || limit > CLAIM_MAX || lease_s < 1)
		return SP_ERR_INVALID;
	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(lease, sizeof(lease), "%d", lease_s);
	db_param_text(&p[0], lim);
	db_param_text(&p[1], lease);
	if ((w = malloc(sizeof(*w))) == NULL)
		return SP_ERR_NOMEM;
	w->cb = cb;
	w->arg = arg;
	r = db_query_send(pool,
			  "SELECT id, url, secret, payload, attempt "
			  "FROM webhook_claim($1::integer, $2::integer)",
			  2, p, 0, 0, on_claim, w);
	if (r != SP_OK)
		free(w);
	return r;
}

int
db_webhook_attempt_record(struct db_pool *pool, const struct db_webhook_attempt *a, db_status_fn cb,
			  void *arg)
{
	char id[24], attempt[16], status[24], dur[24], base[16], max[16];
	struct db_param p[7];

	if (a == NULL)
		return SP_ERR_INVALID;
	snprintf(attempt, sizeof(attempt), "%d", a->attempt);
	snprintf(status, sizeof(status), "%ld", a->http_status);
	snprintf(dur, sizeof(dur), "%ld", a->duration_ms);
	snprintf(base, sizeof(base), "%d", a->backoff_base_s);
	snprintf(max, sizeof(max), "%d", a->max_attempts);
	db_param_text(&p[0], db_i64_text(id, sizeof(id), a->delivery_id));
	db_param_text(&p[1], attempt);
	db_param_text(&p[2], a->http_status > 0 ? status : NULL);
	db_param_text(&p[3], a->error != NULL && a->error[0] != '\0' ? a->error : NULL);
	db_param_text(&p[4], dur);
	db_param_text(&p[5], base);
	db_param_text(&p[6], max);
	return db_status_call(pool,
			      "SELECT webhook_attempt_done($1::bigint, $2::integer, "
			      "$3::integer, $4, $5::integer, $6::integer, $7::integer)",
			      7, p, NULL, cb, arg);
}
