/*
 * wf_rows.h: the raw-row helpers api/webhooks.c and api/verification.c still
 * use while their statements have not moved to db/ (db/webhooks.c,
 * db/signing.c). Everything else answers from the typed calls of db.h; once
 * those two files do too, this header and wf_rows.c go.
 */
#ifndef SP_SERVER_WF_ROWS_H
#define SP_SERVER_WF_ROWS_H

#include "db.h"
#include "server.h"
#include "authn.h"

/*
 * Answer r (the arg) from a db_query_send() result whose first column of
 * the first row is JSON text: 200 (wf_reply_json) or 201 (_created), 404
 * for no row, or the error as db/ classified it. db_done_fn shape.
 */
void wf_reply_json(void *arg, const PGresult *res, const struct sp_errinfo *err);
void wf_reply_json_created(void *arg, const PGresult *res, const struct sp_errinfo *err);

/*
 * Run sql for the contract named by the {number} path parameter with $1 =
 * that number and $2 = the caller's organization (sql restricts itself with
 * VISIBLE, the rule of db_contract_visible()), binary_result as
 * db_query_send, cb answering r. A malformed number is answered 404 and a
 * refused query here.
 */
void wf_contract_query(struct request *r, const struct principal *who, const char *sql,
		       int binary_result, db_done_fn cb);

/* Visible to organization $2: the initiator, or a party once it was sent. */
#define VISIBLE "(c.initiator_org_id = $2 OR (c.status <> 'draft' AND EXISTS (SELECT 1 " \
		"FROM parties vp WHERE vp.contract_number = c.number AND vp.organization_id = $2)))"

#endif /* SP_SERVER_WF_ROWS_H */
