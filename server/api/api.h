/*
 * api.h: the route handlers of sealpactd, one per row of the route table in
 * api/routes.c, grouped by the file that holds them. Each is a route_fn
 * (server.h): it answers its request exactly once. Loop thread.
 */
#ifndef SP_API_H
#define SP_API_H

#include "server.h"

/* health.c */
void health_healthz_get(struct request *r);
void health_readyz_get(struct request *r);
void health_metrics_get(struct request *r);
void health_version_get(struct request *r);

/* auth.c */
void auth_challenge_post(struct request *r);
void auth_login_post(struct request *r);
void auth_logout_post(struct request *r);
void auth_whoami_get(struct request *r);

/* reviewers.c */
void reviewers_login_post(struct request *r);

/* api_keys.c */
void api_keys_create_post(struct request *r);
void api_keys_list_get(struct request *r);
void api_keys_revoke_delete(struct request *r);

/* contracts.c */
void contracts_create_post(struct request *r);
void contracts_item(struct request *r);
void contracts_send_post(struct request *r);
void contracts_receive_post(struct request *r);
void contracts_reject_post(struct request *r);
void contracts_cancel_post(struct request *r);
void contracts_receive_all_post(struct request *r);

/* documents.c */
void documents_document_get(struct request *r);
void documents_audit_get(struct request *r);
void documents_audit_verify_get(struct request *r);

/* evidence.c: the signed evidence report of a finished contract */
void evidence_get(struct request *r);

/* lists.c */
void lists_get(struct request *r);

/* webhooks.c */
void webhooks_collection(struct request *r);
void webhooks_item_delete(struct request *r);
void webhooks_deliveries_get(struct request *r);

/* signing.c */
void signing_prepare_post(struct request *r);
void signing_complete_post(struct request *r);
void signing_abort_delete(struct request *r);

/* console.c: the OpenAPI description and the console's files, compiled in */
void console_openapi_get(struct request *r);
void console_index_get(struct request *r);
void console_file_get(struct request *r);
void console_review_index_get(struct request *r);
void console_review_file_get(struct request *r);
/* tsa.c */
void tsa_post(struct request *r);

/* seals.c, seals_art.c: seal applications and issued seals (members), the review queue */
void seals_apps_collection(struct request *r);
void seals_app_item(struct request *r);
void seals_app_form_get(struct request *r);
void seals_app_scan_put(struct request *r);
void seals_app_submit_post(struct request *r);
void seals_app_cancel_post(struct request *r);
void seals_collection_get(struct request *r);
void seals_item_get(struct request *r);
void seals_image_get(struct request *r);
void seals_seseal_get(struct request *r);
void seals_installed_post(struct request *r);
void seals_review_list_get(struct request *r);
void seals_review_item_get(struct request *r);
void seals_review_claim(struct request *r);
void seals_review_scan_get(struct request *r);
void seals_review_preview_post(struct request *r);
void seals_review_approve_post(struct request *r);
void seals_review_reject_post(struct request *r);

/*
 * text.c: SP_OK when v is not a string or is printable text; else
 * SP_ERR_INVALID, reason control_character (400), naming field and the first
 * control/bidi code point (see sp_text_check) or invisible one
 * (sp_text_cp_invisible). For every free-text field one
 * organization writes and another reads. Any thread.
 */
int api_text_check(const char *field, json_t *v, struct sp_errinfo *ei) SP_WUR;

/*
 * text.c: api_text_check, then v (a string) rewritten in NFC: what one
 * organization names and another reads (a contract's, a party's, a seal
 * application's or an API key's name, a reason) is kept in one
 * normalization form, so that text typed precomposed or decomposed is the
 * same bytes to every comparison, search and reader. SP_OK; SP_ERR_INVALID
 * as api_text_check; SP_ERR_NOMEM. Any thread.
 */
int api_text_take(const char *field, json_t *v, struct sp_errinfo *ei) SP_WUR;

/* names.c: v, a string of well-formed UTF-8, rewritten in NFC (unchanged when it is). */
int api_text_nfc(json_t *v, struct sp_errinfo *ei) SP_WUR;

/* text.c: 1 when s (n bytes) passes api_text_check's rules, else 0. Any thread. */
int api_text_visible(const char *s, size_t n) SP_WUR;

/* The bytes of an organization's name key (names.c) at most, with its NUL. */
#define API_NAME_KEY_MAX 1024

/*
 * names.c: a name from a certificate (well-formed UTF-8) in the forms the
 * server keeps: nfc (nfc_cap bytes with its NUL) its NFC form, stored and
 * shown; key and key2 (key_cap each) its two comparison keys (NFKC, shown-as-
 * nothing characters dropped, confusable skeleton, case folded, white space
 * collapsed; key2 case folded before the skeleton too): two names that show
 * alike share at least one. SP_OK, or SP_ERR_INVALID when one does not fit
 * (or ICU fails). Any thread.
 */
int api_name_forms(const char *name, char *nfc, size_t nfc_cap, char *key, char *key2,
		   size_t key_cap) SP_WUR;

/*
 * text.c: 1 when s (a query parameter, NUL-terminated) is 1..max_chars
 * printable characters (sp_text_check), counted as users count them, not in
 * bytes; else 0. Any thread.
 */
int api_query_text_ok(const char *s, size_t max_chars) SP_WUR;

/*
 * text.c: r's Idempotency-Key header into *key (NULL when absent; owned by
 * r). SP_ERR_INVALID, reason invalid (400), when it is not 1..128 printable
 * ASCII characters. Loop thread.
 */
int api_idempotency_key(const struct request *r, const char **key, struct sp_errinfo *ei) SP_WUR;

/* verification.c */
void verification_upload_post(struct request *r);
void verification_contract_get(struct request *r);

#endif /* SP_API_H */
