/*
 * routes.c: every route of sealpactd, in one table. A row names the methods,
 * the path pattern, the handler (api/api.h; each handler checks who may call
 * with auth_then() before it reads anything) and the route's flags. Adding
 * an endpoint is one row here and one handler in the resource's file.
 */
#include "api.h"
#include "http_int.h"

static const struct {
	unsigned methods;
	const char *pattern;
	route_fn handler;
	unsigned flags;
} routes[] = {
	/* health.c: liveness, readiness, metrics, version (anyone) */
	{ HTTP_GET, "/healthz", health_healthz_get, 0 },
	{ HTTP_GET, "/readyz", health_readyz_get, 0 },
	{ HTTP_GET, "/metrics", health_metrics_get, 0 },
	{ HTTP_GET, "/api/v1/version", health_version_get, 0 },
	/* console.c: the API description, the reference pages and the reviewers'
	 * console (anyone: the console's pages hold no data, its API calls do) */
	{ HTTP_GET, "/api/v1/openapi.json", console_openapi_get, 0 },
	{ HTTP_GET, "/console", console_review_index_get, 0 },
	{ HTTP_GET, "/console/{file}", console_review_file_get, 0 },
	{ HTTP_GET, "/console/api", console_index_get, 0 },
	{ HTTP_GET, "/console/api/{file}", console_file_get, 0 },
	/* auth.c, reviewers.c, api_keys.c: who is calling */
	{ HTTP_POST, "/api/v1/auth/challenge", auth_challenge_post, 0 },
	{ HTTP_POST, "/api/v1/auth/login", auth_login_post, 0 },
	{ HTTP_POST, "/api/v1/auth/logout", auth_logout_post, 0 },
	{ HTTP_GET, "/api/v1/auth/whoami", auth_whoami_get, 0 },
	{ HTTP_POST, "/api/v1/auth/reviewer-login", reviewers_login_post, 0 },
	{ HTTP_POST, "/api/v1/api-keys", api_keys_create_post, 0 },
	{ HTTP_GET, "/api/v1/api-keys", api_keys_list_get, 0 },
	{ HTTP_DELETE, "/api/v1/api-keys/{id}", api_keys_revoke_delete, 0 },
	/* contracts.c: drafts and the workflow transitions (parties) */
	{ HTTP_POST, "/api/v1/contracts", contracts_create_post, ROUTE_UPLOAD },
	{ HTTP_GET | HTTP_PATCH | HTTP_DELETE, "/api/v1/contracts/{number}", contracts_item, 0 },
	{ HTTP_POST, "/api/v1/contracts/{number}/send", contracts_send_post, 0 },
	{ HTTP_POST, "/api/v1/contracts/{number}/receive", contracts_receive_post, 0 },
	{ HTTP_POST, "/api/v1/contracts/{number}/reject", contracts_reject_post, 0 },
	{ HTTP_POST, "/api/v1/contracts/{number}/cancel", contracts_cancel_post, 0 },
	{ HTTP_POST, "/api/v1/contracts/receive-all", contracts_receive_all_post, 0 },
	/* documents.c, lists.c: documents, the audit trail and its verification, the five lists */
	{ HTTP_GET, "/api/v1/contracts/{number}/document", documents_document_get, 0 },
	{ HTTP_GET, "/api/v1/contracts/{number}/revisions/{seq}/document", documents_document_get,
	  0 },
	{ HTTP_GET, "/api/v1/contracts/{number}/audit", documents_audit_get, 0 },
	{ HTTP_GET, "/api/v1/contracts/{number}/audit/verify", documents_audit_verify_get, 0 },
	/* evidence.c: the signed evidence report (parties, once the contract is finished) */
	{ HTTP_GET, "/api/v1/contracts/{number}/evidence", evidence_get, 0 },
	{ HTTP_GET, "/api/v1/contracts", lists_get, 0 },
	/* webhooks.c (members) */
	{ HTTP_GET | HTTP_POST, "/api/v1/webhooks", webhooks_collection, 0 },
	{ HTTP_DELETE, "/api/v1/webhooks/{id}", webhooks_item_delete, 0 },
	{ HTTP_GET, "/api/v1/webhooks/{id}/deliveries", webhooks_deliveries_get, 0 },
	/* signing.c: challenge/response signing (signers); tsa.c: the built-in TSA (anyone) */
	{ HTTP_POST, "/api/v1/contracts/{number}/signing-sessions", signing_prepare_post, 0 },
	{ HTTP_POST, "/api/v1/signing-sessions/{id}/complete", signing_complete_post, 0 },
	{ HTTP_DELETE, "/api/v1/signing-sessions/{id}", signing_abort_delete, 0 },
	{ HTTP_POST, "/tsa", tsa_post, 0 },
	/* verification.c: any PDF (anyone, rate-limited), a contract's document (parties) */
	{ HTTP_POST, "/api/v1/verify", verification_upload_post, ROUTE_UPLOAD },
	{ HTTP_GET, "/api/v1/contracts/{number}/verification", verification_contract_get, 0 },
	/* seals.c, seals_art.c: seal applications and seals (members), the review queue (reviewers) */
	{ HTTP_GET | HTTP_POST, "/api/v1/seal-applications", seals_apps_collection, 0 },
	{ HTTP_GET | HTTP_PATCH, "/api/v1/seal-applications/{id}", seals_app_item, 0 },
	{ HTTP_GET, "/api/v1/seal-applications/{id}/form", seals_app_form_get, 0 },
	{ HTTP_PUT, "/api/v1/seal-applications/{id}/scan", seals_app_scan_put, ROUTE_UPLOAD },
	{ HTTP_POST, "/api/v1/seal-applications/{id}/submit", seals_app_submit_post, 0 },
	{ HTTP_POST, "/api/v1/seal-applications/{id}/cancel", seals_app_cancel_post, 0 },
	{ HTTP_GET, "/api/v1/seals", seals_collection_get, 0 },
	{ HTTP_GET, "/api/v1/seals/{id}", seals_item_get, 0 },
	{ HTTP_GET, "/api/v1/seals/{id}/image", seals_image_get, 0 },
	{ HTTP_GET, "/api/v1/seals/{id}/seseal", seals_seseal_get, 0 },
	{ HTTP_POST, "/api/v1/seals/{id}/installed", seals_installed_post, 0 },
	{ HTTP_GET, "/api/v1/review/applications", seals_review_list_get, 0 },
	{ HTTP_GET, "/api/v1/review/applications/{id}", seals_review_item_get, 0 },
	{ HTTP_POST | HTTP_DELETE, "/api/v1/review/applications/{id}/claim", seals_review_claim,
	  0 },
	{ HTTP_GET, "/api/v1/review/applications/{id}/scan", seals_review_scan_get, 0 },
	{ HTTP_POST, "/api/v1/review/applications/{id}/seal-preview", seals_review_preview_post,
	  0 },
	{ HTTP_POST, "/api/v1/review/applications/{id}/approve", seals_review_approve_post,
	  ROUTE_UPLOAD },
	{ HTTP_POST, "/api/v1/review/applications/{id}/reject", seals_review_reject_post, 0 },
};

int
routes_register_all(struct router *rt, struct sp_errinfo *ei)
{
	size_t i;
	int r;

	for (i = 0; i < SP_ARRAY_LEN(routes); i++)
		if ((r = router_route_add(rt, routes[i].methods, routes[i].pattern,
					  routes[i].handler, routes[i].flags, ei)) != SP_OK)
			return r;
	return SP_OK;
}
