/* errors.c: mapping libpq failures onto sealpact's error info. */
#include "db_int.h"

#include <stdio.h>
#include <string.h>

/* libpq messages end with a newline, and may span lines: keep the first. */
static void
first_line(char *dst, size_t n, const char *src)
{
	size_t len;

	if (src == NULL || *src == '\0')
		src = "unknown error";
	len = strcspn(src, "\n");
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int
db_conn_err(struct sp_errinfo *ei, int code, const char *what, const PGconn *conn)
{
	char line[400];

	first_line(line, sizeof(line), conn != NULL ? PQerrorMessage(conn) : NULL);
	return sp_err(ei, code, "%s: %s", what, line);
}

/*
 * Connection-level SQLSTATEs: class 08 (connection exception) and class 57P
 * (admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped).
 * The statement did not fail on its merits: the database went away.
 */
static int
sqlstate_is_unavailable(const char *st)
{
	return st != NULL && (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0);
}

/*
 * The one SQLSTATE -> error table. The SQL functions of migrations/ raise
 * these codes; above db/ an error is an sp_err class plus a stable reason
 * (the API's problem code), never a SQLSTATE. detail NULL keeps the message
 * the SQL function raised, which is written for the caller.
 */
static const struct sqlstate_row {
	const char *state; /* 5 characters, or a 2-character class */
	int code;
	const char *reason;
	const char *detail;
} sqlstate_rows[] = {
	{ "SP400", SP_ERR_INVALID, "invalid", NULL },
	{ "SP403", SP_ERR_FORBIDDEN, "forbidden", NULL },
	{ "SP404", SP_ERR_NOT_FOUND, "not_found", NULL },
	{ "SP409", SP_ERR_CONFLICT, "wrong_state", NULL },
	{ "SP419", SP_ERR_CONFLICT, "out_of_turn", NULL },
	{ "SP422", SP_ERR_CONFLICT, "idempotency_key_reused", NULL },
	{ "SP423", SP_ERR_CONFLICT, "number_taken", NULL },
	{ "SPS09", SP_ERR_CONFLICT, "stale_revision", NULL },
	{ "SPS10", SP_ERR_EXPIRED, "session_expired", NULL },
	{ "SPS11", SP_ERR_CONFLICT, "session_used", NULL },
	/* signing_session_create_held (036): what the process held is not what is stored;
	   never an answer (api/signing.c prepares again with a load) */
	{ "SPH01", SP_ERR_CONFLICT, "prepare_held_stale", NULL },
	/* signing_session_complete_held (035): a check of the claim did not hold, nothing
	   changed; the server takes the claim's path, which answers (never a reply) */
	{ "SPS35", SP_ERR_CONFLICT, "claim_needed", NULL },
	{ "SA001", SP_ERR_UNAUTHORIZED, "challenge_unknown",
	  "This challenge was not issued here." },
	{ "SA002", SP_ERR_UNAUTHORIZED, "challenge_used", "This challenge was already used." },
	{ "SA003", SP_ERR_UNAUTHORIZED, "challenge_expired",
	  "This challenge has expired; ask for a new one." },
	{ "SA004", SP_ERR_UNAUTHORIZED, "cert_revoked",
	  "This certificate was revoked on this platform." },
	{ "SA005", SP_ERR_CONFLICT, "certificate_conflict",
	  "This certificate belongs to another organization." },
	{ "SA006", SP_ERR_FORBIDDEN, "user_disabled", "This user is disabled." },
	/* auth_member (014): the credential checked in a request's own statement,
	   answered as auth_then() answers (api/authn.c, auth_reply_credential) */
	{ "SA020", SP_ERR_UNAUTHORIZED, "unauthorized",
	  "The credential is unknown, expired or revoked." },
	{ "SA021", SP_ERR_FORBIDDEN, "forbidden", "This credential may not use this operation." },
	{ "SA010", SP_ERR_CONFLICT, "api_key_limit",
	  "This organization has 100 active API keys; revoke one first." },
	{ "SA011", SP_ERR_CONFLICT, "username_taken", "This username is taken." },
	/* reviewer_password_set (068) */
	{ "SA014", SP_ERR_NOT_FOUND, "reviewer_not_found", "No reviewer has this username." },
	/* auth_login_member_keyed (054): a new organization's name shows like another's */
	{ "SA013", SP_ERR_CONFLICT, "organization_name_taken", NULL },
	/* seals (migrations/009_seals.sql) */
	{ "SE001", SP_ERR_CONFLICT, "claim_held", NULL },
	{ "SE002", SP_ERR_CONFLICT, "claim_required", NULL },
	{ "SE003", SP_ERR_CONFLICT, "scan_missing", NULL },
	{ "SE004", SP_ERR_CONFLICT, "seal_change_pending", NULL },
	{ "SE006", SP_ERR_CONFLICT, "seal_revoked", NULL },
	{ "SE007", SP_ERR_CONFLICT, "seal_expired", NULL },
	{ "SE008", SP_ERR_CONFLICT, "seal_not_yet_valid", NULL },
	{ "SE009", SP_ERR_CONFLICT, "seal_not_approved", NULL },
	{ "SE010", SP_ERR_INVALID, "seal_not_found", NULL },
	{ "SE011", SP_ERR_INVALID, "validity_invalid", NULL },
	{ "SE012", SP_ERR_INVALID, "validity_expired", NULL },
	/* signing_session_store (047): the seal was issued for another certificate */
	{ "SE013", SP_ERR_FORBIDDEN, "seal_other_certificate", NULL },
	/* evidence report (migrations/013_evidence.sql; SR002: 043's reports a day) */
	{ "SR001", SP_ERR_CONFLICT, "contract_not_final", NULL },
	{ "SR002", SP_ERR_RATE_LIMITED, "rate_limited", NULL },
	/* signing_session_store (049): a party's prepares of a contract, 100 a day */
	{ "SR003", SP_ERR_RATE_LIMITED, "rate_limited", NULL },
	/* contract_send (051): an organization's sends, contracts.max_sent_per_day a day;
	   contract_create_capped (052): its drafts, contracts.max_created_per_day a day;
	   day_budget_refuse (054): its draft edits, seal application changes, webhook
	   registrations and API key creations a day */
	{ "SR004", SP_ERR_RATE_LIMITED, "rate_limited", NULL },
	/* contract_create_capped (052): an organization's live drafts and their bytes */
	{ "SR005", SP_ERR_CONFLICT, "draft_limit", NULL },
	/* seal_app_create_capped (052): an organization's open seal applications */
	{ "SR006", SP_ERR_CONFLICT, "application_limit", NULL },
	/* seal_app_create_capped (052): seals.max_applications_per_day */
	{ "SR007", SP_ERR_RATE_LIMITED, "rate_limited", NULL },
	{ "23514", SP_ERR_INVALID, "invalid", NULL },     /* check_violation */
	{ "23503", SP_ERR_INVALID, "invalid", NULL },     /* foreign_key_violation */
	{ "42501", SP_ERR_FORBIDDEN, "forbidden", NULL }, /* insufficient_privilege */
	{ "40P01", SP_ERR_BUSY, "retry", NULL },          /* deadlock_detected */
	{ "40001", SP_ERR_BUSY, "retry", NULL },          /* serialization_failure */
	{ "57014", SP_ERR_TIMEOUT, "timeout", NULL },     /* query_canceled: statement_timeout */
	{ "22", SP_ERR_INVALID, "invalid", NULL },        /* data exception: a bad value */
};

int
db_sqlstate_map(const char *state, const char **reason, const char **detail)
{
	size_t i, n;

	*reason = NULL;
	*detail = NULL;
	if (state == NULL)
		return SP_ERR_DB;
	for (i = 0; i < SP_ARRAY_LEN(sqlstate_rows); i++) {
		n = strlen(sqlstate_rows[i].state);
		if (strncmp(state, sqlstate_rows[i].state, n) == 0 &&
		    (n == 5 || strlen(state) == 5)) {
			*reason = sqlstate_rows[i].reason;
			*detail = sqlstate_rows[i].detail;
			return sqlstate_rows[i].code;
		}
	}
	return SP_ERR_DB;
}

int
db_result_err(struct sp_errinfo *ei, const PGconn *conn, const PGresult *res)
{
	const char *st = NULL, *msg = NULL, *reason = NULL, *detail = NULL;
	char line[400];
	int code;

	if (res != NULL) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (msg == NULL)
			msg = PQresultErrorMessage(res);
	}
	if (msg == NULL || *msg == '\0')
		msg = conn != NULL ? PQerrorMessage(conn) : NULL;
	if (sqlstate_is_unavailable(st) ||
	    (st == NULL && (conn == NULL || PQstatus(conn) == CONNECTION_BAD))) {
		code = SP_ERR_UNAVAILABLE;
		reason = "database_unavailable";
	} else {
		code = db_sqlstate_map(st, &reason, &detail);
	}
	first_line(line, sizeof(line), detail != NULL ? detail : msg);
	if (ei != NULL && ei->code == SP_OK && st != NULL)
		snprintf(ei->sqlstate, sizeof(ei->sqlstate), "%s", st);
	if (reason != NULL)
		return sp_err_reason(ei, code, reason, "%s", line);
	return sp_err(ei, code, "%s", line);
}
