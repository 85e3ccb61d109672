/*
 * webhooks.c: an organization's webhooks: register (POST, the secret is in
 * that response only), list (GET), remove (DELETE) and read the delivery log
 * (GET /api/v1/webhooks/{id}/deliveries). Delivery itself is in
 * jobs/webhook_delivery.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "contracts_int.h"

static int
path_id(struct request *r, char *out, size_t outlen)
{
	const char *s = request_param(r, "id");
	size_t i, n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 18) {
		request_problem(r, P_NOT_FOUND, "no such webhook");
		return 0;
	}
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9') {
			request_problem(r, P_NOT_FOUND, "no such webhook");
			return 0;
		}
	snprintf(out, outlen, "%s", s);
	return 1;
}

static void
create_step(struct request *r, const struct principal *who)
{
	static const char sql[] = "SELECT webhook_create($1::bigint, $2::bigint, $3, $4, $5)::text";
	unsigned char raw[32];
	char secret[65], org[24], user[24];
	struct db_param p[5];
	json_t *doc = NULL;
	int rc;

	if (request_json_body(r, &doc) != SP_OK)
		return; /* answered */
	if (json_string_value(json_object_get(doc, "url")) == NULL) {
		json_decref(doc);
		request_problem(r, P_INVALID, "url (a string) is required");
		return;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		json_decref(doc);
		request_reply_error(r, SP_ERR_CRYPTO, NULL);
		return;
	}
	sp_hex(raw, sizeof(raw), secret);
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	snprintf(user, sizeof(user), "%lld", (long long)who->user_id);
	memset(p, 0, sizeof(p));
	p[0].value = org;
	p[1].value = who->user_id > 0 ? user : NULL;
	p[2].value = json_string_value(json_object_get(doc, "url"));
	p[3].value = secret;
	p[4].value = request_header(r, "Idempotency-Key");
	rc = db_query_send(request_db(r), sql, 5, p, 0, 0, wf_reply_json_created, r);
	json_decref(doc);
	sp_wipe(raw, sizeof(raw));
	sp_wipe(secret, sizeof(secret));
	if (rc != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
list_step(struct request *r, const struct principal *who)
{
	static const char sql[] =
		"SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object("
		"'id', id::text, 'url', url, 'created_at', wf_ts(created_at)) ORDER BY id), "
		"'[]'))::text FROM webhooks WHERE organization_id = $1 AND deleted_at IS NULL";
	struct db_param p[1];
	char org[24];
	int rc;

	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	memset(p, 0, sizeof(p));
	p[0].value = org;
	if ((rc = db_query_send(request_db(r), sql, 1, p, 0, 0, wf_reply_json, r)) != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
deleted_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct request *r = arg;

	if (wf_reply_failed(r, err))
		return;
	if (PQntuples(res) < 1) {
		request_problem(r, P_NOT_FOUND, "no such webhook");
		return;
	}
	request_reply_data(r, 204, "text/plain", "", 0);
}

static void
delete_step(struct request *r, const struct principal *who)
{
	/* Pending deliveries of a removed webhook are not sent any more. */
	static const char sql[] =
		"WITH w AS (UPDATE webhooks SET deleted_at = now() WHERE id = $1::bigint "
		"AND organization_id = $2 AND deleted_at IS NULL RETURNING id), "
		"d AS (UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook removed' "
		"WHERE webhook_id IN (SELECT id FROM w) AND status = 'pending') SELECT id FROM w";
	struct db_param p[2];
	char id[24], org[24];
	int rc;

	if (!path_id(r, id, sizeof(id)))
		return;
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	memset(p, 0, sizeof(p));
	p[0].value = id;
	p[1].value = org;
	if ((rc = db_query_send(request_db(r), sql, 2, p, 0, 0, deleted_done, r)) != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
deliveries_step(struct request *r, const struct principal *who)
{
	static const char sql[] =
		"SELECT (SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object("
		"'id', d.id::text, 'event', d.event, 'event_id', d.event_id, "
		"'contract_number', d.contract_number::text, 'status', d.status, "
		"'attempts', d.attempts, 'last_http_status', d.last_http_status, "
		"'last_error', d.last_error, 'created_at', wf_ts(d.created_at), "
		"'delivered_at', wf_ts(d.delivered_at), 'next_attempt_at', "
		"CASE WHEN d.status = 'pending' THEN wf_ts(d.next_attempt_at) END, "
		"'log', (SELECT coalesce(jsonb_agg(jsonb_build_object('attempt', a.attempt, "
		"'at', wf_ts(a.at), 'http_status', a.http_status, 'error', a.error, "
		"'duration_ms', a.duration_ms) ORDER BY a.attempt), '[]') FROM webhook_attempts a "
		"WHERE a.delivery_id = d.id)) ORDER BY d.id DESC), '[]')) FROM (SELECT * FROM "
		"webhook_deliveries WHERE webhook_id = w.id ORDER BY id DESC LIMIT 100) d)::text "
		"FROM webhooks w WHERE w.id = $1::bigint AND w.organization_id = $2";
	struct db_param p[2];
	char id[24], org[24];
	int rc;

	if (!path_id(r, id, sizeof(id)))
		return;
	snprintf(org, sizeof(org), "%lld", (long long)who->organization_id);
	memset(p, 0, sizeof(p));
	p[0].value = id;
	p[1].value = org;
	if ((rc = db_query_send(request_db(r), sql, 2, p, 0, 0, wf_reply_json, r)) != SP_OK)
		request_reply_error(r, rc, NULL);
}

static void
collection(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, request_method(r) == HTTP_POST ? create_step : list_step);
}

static void item(struct request *r) { auth_then(r, PRINCIPAL_ORG, delete_step); }
static void deliveries(struct request *r) { auth_then(r, PRINCIPAL_ORG, deliveries_step); }

int
routes_webhooks_register(struct router *rt, struct sp_errinfo *ei)
{
	int r;

	if ((r = router_route_add(rt, HTTP_GET | HTTP_POST, "/api/v1/webhooks", collection, 0,
				  ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_DELETE, "/api/v1/webhooks/{id}", item, 0, ei)) != SP_OK ||
	    (r = router_route_add(rt, HTTP_GET, "/api/v1/webhooks/{id}/deliveries", deliveries, 0,
				  ei)) != SP_OK)
		return r;
	return SP_OK;
}
