/*
 * signing.c: the typed calls of the signing aggregate (db.h, "signing.c"):
 * both halves of prepare and of complete, abort, the document of a
 * contract's verification, and the built-in TSA's serial numbers. The SQL
 * functions are those of migrations/004_signing.sql; bytea and integer
 * columns come back in binary and are decoded here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

/* One call in flight: the typed callback to fire and its argument. */
struct call {
	db_revision_doc_fn doc;
	db_signing_session_fn session;
	db_serial_fn serial;
	db_serials_fn serials;
	db_session_created_fn created;
	int64_t number; /* the contract a document call asked for */
	char id[37];    /* the session a claim asked for */
	int auth;       /* the row ends with auth_member's columns */
	int parts;      /* the document comes in parts, one row per revision (017) */
	/* a claim's caller holds the session's update (db_doc_held.update), lent */
	const uint8_t *update;
	size_t update_len;
	void *arg;
};

/* ---- decoding ------------------------------------------------------------------------- */

static struct call *
call_new(void *arg)
{
	struct call *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->arg = arg;
	return c;
}

static int
call_send(struct db_pool *pool, const char *sql, int n, const struct db_param *p, int binary,
	  db_done_fn done, struct call *c)
{
	int r;

	if (c == NULL)
		return SP_ERR_NOMEM;
	if ((r = db_query_send_prepared(pool, sql, n, p, binary, 0, done, c)) != SP_OK)
		free(c);
	return r;
}

/*
 * A document sent in parts (migration 017): column col of rows [first, first + n),
 * each a non-NULL binary bytea, put end to end in a malloc'd buffer (at least
 * 1 byte allocated; n may be 0: the caller holds every byte already), then
 * tail (tail_len bytes; a claim's update the caller holds, not sent).
 * PostgreSQL streams the stored parts instead of assembling the whole
 * document (and copying it through each function) per statement.
 */
static int
parts_join_tail(const PGresult *res, int col, int first, int n, const uint8_t *tail,
		size_t tail_len, uint8_t **out, size_t *len)
{
	size_t total = tail_len, at = 0;
	int i, l;

	*out = NULL;
	*len = 0;
	if (first < 0 || n < 0 || first + n > PQntuples(res) || (tail == NULL && tail_len > 0))
		return -1;
	for (i = first; i < first + n; i++) {
		if (PQgetisnull(res, i, col) || (l = PQgetlength(res, i, col)) < 0 ||
		    (size_t)l > SIZE_MAX - total)
			return -1;
		total += (size_t)l;
	}
	if ((*out = malloc(total > 0 ? total : 1)) == NULL)
		return -1;
	for (i = first; i < first + n; i++) {
		l = PQgetlength(res, i, col);
		memcpy(*out + at, PQgetvalue(res, i, col), (size_t)l);
		at += (size_t)l;
	}
	if (tail_len > 0)
		memcpy(*out + at, tail, tail_len);
	*len = total;
	return 0;
}

static int
parts_join(const PGresult *res, int col, int first, int n, uint8_t **out, size_t *len)
{
	return parts_join_tail(res, col, first, n, NULL, 0, out, len);
}

/* ---- documents ---------------------------------------------------------------------------- */

/* Binary text column c of row 0: exactly 64 characters into out[65]; -1 otherwise. */
static int
col_sha(const PGresult *res, int c, char out[65])
{
	if (PQgetisnull(res, 0, c) || PQgetlength(res, 0, c) != 64)
		return -1;
	memcpy(out, PQgetvalue(res, 0, c), 64);
	out[64] = '\0';
	return 0;
}

/* Row 0's int4 column c, which may be -1 (from_seq); -2 when NULL or misfit. */
static int
col_from(const PGresult *res, int c)
{
	uint64_t v;

	if (db_col_uint(res, c, 4, &v) != 0)
		return -2;
	return (int32_t)(uint32_t)v < -1 ? -2 : (int32_t)(uint32_t)v;
}

void
db_revision_doc_free(struct db_revision_doc *doc)
{
	if (doc == NULL)
		return;
	free(doc->data);
	free(doc->seal_png);
	free(doc->seal_info);
	free(doc->verification);
	free(doc);
}

/* Puts the caller's bytes before the parts: the document whole. */
/* spare: bytes left unused after the joined ones (see db_signing_session_join) */
static int
held_join(uint8_t **data, size_t *len, size_t *want, const uint8_t *held, size_t held_len,
	  size_t spare)
{
	uint8_t *all;

	if (held == NULL || held_len != *want || held_len > SIZE_MAX - *len ||
	    spare > SIZE_MAX - held_len - *len)
		return SP_ERR_INVALID;
	if ((all = malloc(held_len + *len + spare)) == NULL)
		return SP_ERR_NOMEM;
	memcpy(all, held, held_len);
	if (*len > 0)
		memcpy(all + held_len, *data, *len);
	free(*data);
	*data = all;
	*len += held_len;
	*want = 0;
	return SP_OK;
}

int
db_revision_doc_join(struct db_revision_doc *doc, const uint8_t *held, size_t held_len)
{
	int r;

	if (doc->from_seq < 0)
		return SP_ERR_INVALID;
	if ((r = held_join(&doc->data, &doc->len, &doc->held_len, held, held_len, 0)) == SP_OK)
		doc->from_seq = -1;
	return r;
}

/*
 * Columns of a prepare load (PREP_COLS), one row per stored update after
 * the held revision (the upload's first when none is held), in order; the
 * seal in the first row only; a single row with a NULL update when the
 * held revision is the latest. Then auth_member's columns (auth).
 */
enum { P_SEQ, P_DELTA, P_PNG, P_INFO, P_LENGTH, P_FROM, P_HLEN, P_HSHA, P_SHA, P_N };

static int
prep_decode(const PGresult *res, int auth, struct db_revision_doc *d)
{
	uint64_t seq, length, held = 0;
	int rows = PQntuples(res), from, parts;

	if (rows < 1 || PQnfields(res) != P_N + (auth ? DB_CREDENTIAL_COLS : 0) ||
	    db_col_uint(res, P_SEQ, 4, &seq) != 0 || seq > INT32_MAX ||
	    db_col_uint(res, P_LENGTH, 8, &length) != 0 || col_sha(res, P_SHA, d->sha256) != 0 ||
	    (from = col_from(res, P_FROM)) < -1 || from > (int)seq)
		return -1;
	/* every part came (none when the held revision is the latest), and with the held
	   revision's stored length they make the length the revision was stored with */
	parts = (int)seq - from;
	if (from >= 0 &&
	    (db_col_uint(res, P_HLEN, 8, &held) != 0 || col_sha(res, P_HSHA, d->held_sha256) != 0))
		return -1;
	if ((parts == 0 ? rows != 1 || !PQgetisnull(res, 0, P_DELTA) : rows != parts) ||
	    parts_join(res, P_DELTA, 0, parts, &d->data, &d->len) != 0 || held > length ||
	    d->len != length - held || length == 0 || length > SIZE_MAX)
		return -1;
	d->seq = (int)seq;
	d->from_seq = from;
	d->held_len = (size_t)held;
	d->length = (size_t)length;
	return 0;
}

/* Columns of db_verification_document_load. */
enum { V_SEQ, V_DOC, V_SEALS, V_VERIFICATION, V_FROM, V_HLEN, V_HSHA, V_LENGTH, V_N };

/*
 * The latest revision's seq and bytes (all, or those after the held one),
 * checked against its stored length with the held revision's.
 */
static int
verify_decode(const PGresult *res, struct db_revision_doc *d)
{
	uint64_t seq, length, held = 0;
	int from;

	if (db_col_uint(res, V_SEQ, 4, &seq) != 0 || seq > INT32_MAX ||
	    db_col_uint(res, V_LENGTH, 8, &length) != 0 || length == 0 || length > SIZE_MAX ||
	    (from = col_from(res, V_FROM)) < -1 || from > (int)seq ||
	    (from >= 0 && (db_col_uint(res, V_HLEN, 8, &held) != 0 ||
			   col_sha(res, V_HSHA, d->held_sha256) != 0)) ||
	    parts_join(res, V_DOC, 0, 1, &d->data, &d->len) != 0 || held > length ||
	    d->len != length - held)
		return -1;
	d->seq = (int)seq;
	d->from_seq = from;
	d->held_len = (size_t)held;
	d->length = (size_t)length;
	return 0;
}

/*
 * Columns: seq integer, document bytea (binary); no row or NULL: not_found.
 * Then the seals shown and the column named verification
 * (db_verification_document_load). A prepare load (c->parts): prep_decode,
 * then the seal's picture and facts.
 */
static void
doc_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	db_revision_doc_fn cb = c->doc;
	void *cbarg = c->arg;
	struct db_revision_doc *d = NULL;
	struct sp_errinfo ei;
	int vcol = err->code == SP_OK ? PQfnumber(res, "verification") : -1;
	int acol = err->code == SP_OK ? PQnfields(res) - (c->auth ? DB_CREDENTIAL_COLS : 0) : 0;
	int rows = err->code == SP_OK ? PQntuples(res) : 0;

	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		ei = *err;
		goto out;
	}
	if (rows < 1 || (!c->parts && (rows != 1 || acol != V_N || PQgetisnull(res, 0, 1)))) {
		sp_err_reason(&ei, SP_ERR_NOT_FOUND, "not_found", "no such contract");
		goto out;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		sp_err(&ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	d->from_seq = -1;
	if (c->parts ? prep_decode(res, c->auth, d) != 0 : verify_decode(res, d) != 0) {
		sp_err(&ei, SP_ERR_INTERNAL, "the revision's document does not decode");
		goto out;
	}
	/* signing_prepare_load_seal: the seal's picture and its facts (text, binary = bytes) */
	if (c->parts && !PQgetisnull(res, 0, P_PNG) &&
	    (db_col_bytes(res, P_PNG, &d->seal_png, &d->seal_png_len) != 0 ||
	     PQgetisnull(res, 0, P_INFO) ||
	     (d->seal_info = strndup(PQgetvalue(res, 0, P_INFO),
				     (size_t)PQgetlength(res, 0, P_INFO))) == NULL)) {
		sp_err(&ei, SP_ERR_INTERNAL, "the seal does not decode");
		goto out;
	}
	/* db_verification_document_load: the seals of the signed revisions, and the
	   verification report completion stored with the revision */
	if (!c->parts && vcol == 3 &&
	    ((!PQgetisnull(res, 0, 2) &&
	      (d->seal_info = strndup(PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2))) ==
		      NULL) ||
	     (!PQgetisnull(res, 0, 3) &&
	      (d->verification = strndup(PQgetvalue(res, 0, 3), (size_t)PQgetlength(res, 0, 3))) ==
		      NULL))) {
		sp_err(&ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (c->auth && db_credential_decode(res, acol, &d->cred) != 0) {
		db_shape_err(&ei, "credential");
		goto out;
	}
	d->contract_number = c->number;
out:
	free(c);
	if (ei.code != SP_OK) {
		db_revision_doc_free(d);
		d = NULL;
	}
	cb(cbarg, d, &ei);
}

static int
doc_load(struct db_pool *pool, const char *sql, int n, const struct db_param *p, int64_t number,
	 int parts, db_revision_doc_fn cb, void *arg)
{
	struct call *c = call_new(arg);

	if (c != NULL) {
		c->doc = cb;
		c->number = number;
		c->parts = parts;
	}
	return call_send(pool, sql, n, p, 1, doc_done, c);
}

/*
 * Prepare's load in parts (017 signing_prepare_check: the turn, the latest
 * revision, the seal): the update of each revision after the held one h
 * (all, from the upload's, when none is held or it no longer matches what
 * is stored) up to base_seq, in order, or one row without an update when h
 * is the latest; the seal in the first row only; then the latest's stored
 * length, the held revision's seq (-1: none), stored length and SHA-256,
 * and the latest's SHA-256 (prep_decode). ORG is the organization; the
 * held revision's seq, length and SHA-256 are $4..$6 (NULL: none).
 */
#define PREP_FIRST "(d.seq IS NULL OR d.seq = coalesce(h.seq, -1) + 1)"
#define PREP_COLS \
	"l.base_seq, d.delta, CASE WHEN " PREP_FIRST " THEN l.seal_png END, " \
	"CASE WHEN " PREP_FIRST " THEN l.seal_info::text END, l.base_length, " \
	"coalesce(h.seq, -1), h.length, h.sha256, b.sha256"
#define PREP_FROM(NUMBER, ORG, SEAL) \
	"signing_prepare_check(" NUMBER "::bigint, " ORG ", " SEAL "::bigint) l " \
	"JOIN revisions b ON b.contract_number = " NUMBER "::bigint AND b.seq = l.base_seq " \
	"LEFT JOIN revisions h ON h.contract_number = " NUMBER "::bigint " \
	"AND h.seq = $4::integer AND h.seq <= l.base_seq AND h.length = $5::bigint " \
	"AND h.sha256 = $6 " \
	"LEFT JOIN revisions d ON d.contract_number = " NUMBER "::bigint " \
	"AND d.seq > coalesce(h.seq, -1) AND d.seq <= l.base_seq ORDER BY d.seq"

/* The held revision as parameters [0..2] ($4..$6); NULLs without one. */
static void
held_params(struct db_param *p, const struct db_doc_held *held, char seq[24], char len[24])
{
	if (held == NULL || held->seq < 0 || held->sha256_hex == NULL)
		return; /* p zeroed: SQL NULL, the whole document */
	db_param_text(&p[0], db_i64_text(seq, 24, held->seq));
	db_param_text(&p[1], db_i64_text(len, 24, (int64_t)held->len));
	db_param_text(&p[2], held->sha256_hex);
}

int
db_signing_prepare_load(struct db_pool *pool, int64_t number, int64_t org_id, db_revision_doc_fn cb,
			void *arg)
{
	return db_signing_prepare_load_seal(pool, number, org_id, 0, NULL, cb, arg);
}

int
db_signing_prepare_load_seal(struct db_pool *pool, int64_t number, int64_t org_id, int64_t seal_id,
			     const struct db_doc_held *held, db_revision_doc_fn cb, void *arg)
{
	struct db_param p[6];
	char num[24], org[24], seal[24], hseq[24], hlen[24];

	memset(p, 0, sizeof(p));
	db_param_text(&p[0], db_i64_text(num, sizeof(num), number));
	db_param_text(&p[1], db_i64_text(org, sizeof(org), org_id));
	db_param_text(&p[2], seal_id > 0 ? db_i64_text(seal, sizeof(seal), seal_id) : NULL);
	held_params(&p[3], held, hseq, hlen);
	return doc_load(pool, "SELECT " PREP_COLS " FROM " PREP_FROM("$1", "$2::bigint", "$3"), 6,
			p, number, 1, cb, arg);
}

/* auth_member's columns, after the request's own (db_credential_decode). */
#define AUTH_COLS \
	"a.kind, a.credential_id, a.user_id, a.organization_id, a.certificate_id, a.credit_code"

int
db_signing_prepare_load_auth(struct db_pool *pool, const char *token_hash, int64_t number,
			     int64_t seal_id, const struct db_doc_held *held, db_revision_doc_fn cb,
			     void *arg)
{
	struct call *c;
	struct db_param p[6];
	char num[24], seal[24], hseq[24], hlen[24];

	if (token_hash == NULL)
		return SP_ERR_INVALID;
	if ((c = call_new(arg)) != NULL) {
		c->doc = cb;
		c->number = number;
		c->auth = 1;
		c->parts = 1;
	}
	memset(p, 0, sizeof(p));
	db_param_text(&p[0], token_hash);
	db_param_text(&p[1], db_i64_text(num, sizeof(num), number));
	db_param_text(&p[2], seal_id > 0 ? db_i64_text(seal, sizeof(seal), seal_id) : NULL);
	held_params(&p[3], held, hseq, hlen);
	/* auth_member runs first: the load takes its organization (LATERAL) */
	return call_send(pool,
			 "SELECT " PREP_COLS ", " AUTH_COLS
			 " FROM auth_member($1) a CROSS JOIN LATERAL " PREP_FROM(
				 "$2", "a.organization_id", "$3"),
			 6, p, 1, doc_done, c);
}

/*
 * The latest revision, through the one visibility check of db/contracts.c:
 * the whole document, or with a held revision h ($3..$5) still stored so
 * only the updates after it (none when it is the latest); then h's seq (-1:
 * none), stored length and the latest's stored length (verify_decode).
 */
int
db_verification_document_load(struct db_pool *pool, int64_t number, int64_t org_id,
			      const struct db_doc_held *held, db_revision_doc_fn cb, void *arg)
{
	struct db_visible v;
	char hseq[24], hlen[24];
	int r;

	if ((r = db_contract_visible(
		     &v, number, org_id,
		     "l.seq, CASE WHEN h.seq IS NULL THEN revision_document(c.number, l.seq) "
		     "ELSE coalesce((SELECT string_agg(r.delta, ''::bytea ORDER BY r.seq) FROM "
		     "revisions r WHERE r.contract_number = c.number AND r.seq > h.seq AND "
		     "r.seq <= l.seq), ''::bytea) END, "
		     "contract_revision_seals(c.number)::text, l.verification AS verification, "
		     "coalesce(h.seq, -1), h.length, h.sha256, l.length",
		     ", LATERAL (SELECT seq, verification, length FROM revisions "
		     "WHERE contract_number = c.number ORDER BY seq DESC LIMIT 1) l "
		     "LEFT JOIN revisions h ON h.contract_number = $1::bigint AND h.seq = "
		     "$3::integer "
		     "AND h.seq <= l.seq AND h.length = $4::bigint AND h.sha256 = $5",
		     "")) != SP_OK)
		return r;
	held_params(&v.p[2], held, hseq, hlen);
	v.n = 5;
	return doc_load(pool, v.sql, v.n, v.p, number, 0, cb, arg);
}

/* ---- prepare: storing the session ---------------------------------------------------------- */

/* The text of a create's parameters (create_params). */
struct create_text {
	struct db_actor_text t;
	char number[24], base[16], coff[24], clen[24], ttl[16], nb[24], na[24], serial[82],
		seal[24];
};

/*
 * signing_session_open's parameters $1..$21 in p[0..20] (x holds their
 * text): $21, the seal, NULL when s names none.
 */
static int
create_params(struct db_param *p, struct create_text *x, const struct db_actor *who,
	      const struct db_signing_new *s)
{
	size_t i;

	if (s->delta_len == 0 || s->delta_len > INT32_MAX || s->signed_attrs_len > INT32_MAX ||
	    s->chain_len > INT32_MAX || s->cert_len > INT32_MAX ||
	    strlen(s->cert_serial_hex) >= sizeof(x->serial))
		return SP_ERR_INVALID;
	db_actor_text_fill(&x->t, who);
	snprintf(x->number, sizeof(x->number), "%lld", (long long)s->contract_number);
	snprintf(x->base, sizeof(x->base), "%d", s->base_seq);
	snprintf(x->coff, sizeof(x->coff), "%zu", s->contents_off);
	snprintf(x->clen, sizeof(x->clen), "%zu", s->contents_len);
	snprintf(x->ttl, sizeof(x->ttl), "%d", s->ttl_s);
	snprintf(x->nb, sizeof(x->nb), "%lld", (long long)s->cert_not_before);
	snprintf(x->na, sizeof(x->na), "%lld", (long long)s->cert_not_after);
	/* certificates.serial is lower-case hex, like the login's record of it */
	for (i = 0; s->cert_serial_hex[i] != '\0'; i++)
		x->serial[i] = (s->cert_serial_hex[i] >= 'A' && s->cert_serial_hex[i] <= 'F')
				       ? (char)(s->cert_serial_hex[i] - 'A' + 'a')
				       : s->cert_serial_hex[i];
	x->serial[i] = '\0';
	memset(p, 0, 21 * sizeof(*p));
	p[0].value = x->number;
	p[1].value = x->t.org;
	p[2].value = x->t.user;
	p[3].value = x->base;
	p[4].value = (const char *)s->delta;
	p[4].len = (int)s->delta_len;
	p[4].binary = 1;
	p[5].value = x->coff;
	p[6].value = x->clen;
	p[7].value = (const char *)s->signed_attrs;
	p[7].len = (int)s->signed_attrs_len;
	p[7].binary = 1;
	p[8].value = s->algorithm;
	p[9].value = s->chain != NULL ? (const char *)s->chain : "";
	p[9].len = (int)s->chain_len;
	p[9].binary = 1;
	p[10].value = s->rects_json;
	p[11].value = x->ttl;
	p[12].value = (const char *)s->cert_der;
	p[12].len = (int)s->cert_len;
	p[12].binary = 1;
	p[13].value = s->cert_subject;
	p[14].value = s->cert_issuer;
	p[15].value = x->serial;
	p[16].value = x->nb;
	p[17].value = x->na;
	p[18].value = x->t.ip;
	p[19].value = x->t.ua;
	if (s->seal_id > 0)
		p[20].value = db_i64_text(x->seal, sizeof(x->seal), s->seal_id);
	return SP_OK;
}

/*
 * Every other organization's signer has signed (or is "sent"): the claim's
 * last_signer (signing_session_claim_head, 010), in its words, after the
 * stored session's JSON. The completion in one trip does its work on it
 * (B-LTA's document timestamp) and signing_session_complete_held checks it
 * again where it stores.
 */
#define LAST_SIGNER(NUMBER, ORG) \
	"NOT EXISTS (SELECT 1 FROM parties p WHERE p.contract_number = " NUMBER " AND " \
	"p.role = 'signer' AND p.organization_id <> " ORG " AND " \
	"p.status NOT IN ('signed', 'sent'))"

/* Columns: the stored session's JSON text, last_signer ('t' or 'f'). */
static void
created_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	db_session_created_fn cb = c->created;
	void *cbarg = c->arg;
	struct sp_errinfo ei;
	int len;

	free(c);
	if (err->code != SP_OK) {
		cb(cbarg, NULL, 0, -1, err);
		return;
	}
	sp_errinfo_init(&ei);
	if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 0) ||
	    (len = PQgetlength(res, 0, 0)) < 1 || PQgetisnull(res, 0, 1)) {
		db_shape_err(&ei, "JSON document");
		cb(cbarg, NULL, 0, -1, &ei);
		return;
	}
	cb(cbarg, PQgetvalue(res, 0, 0), (size_t)len, PQgetvalue(res, 0, 1)[0] == 't', &ei);
}

int
db_signing_session_create(struct db_pool *pool, const struct db_actor *who,
			  const struct db_signing_new *s, db_session_created_fn cb, void *arg)
{
	static const char sql[] =
		"SELECT signing_session_create($1::bigint, $2::bigint, $3::bigint, $4::integer, "
		"$5::bytea, $6::bigint, $7::bigint, $8::bytea, $9, $10::bytea, $11::jsonb, "
		"$12::integer, $13::bytea, $14, $15, $16, to_timestamp($17::bigint), "
		"to_timestamp($18::bigint), $19::inet, $20)::text, " LAST_SIGNER("$1::bigint",
										 "$2::bigint");
	/* With a seal: the same call through signing_session_create_seal (009). */
	static const char sql_seal[] =
		"SELECT signing_session_create_seal($1::bigint, $2::bigint, $3::bigint, "
		"$4::integer, "
		"$5::bytea, $6::bigint, $7::bigint, $8::bytea, $9, $10::bytea, $11::jsonb, "
		"$12::integer, $13::bytea, $14, $15, $16, to_timestamp($17::bigint), "
		"to_timestamp($18::bigint), $19::inet, $20, $21::bigint)::text, " LAST_SIGNER(
			"$1::bigint", "$2::bigint");
	struct call *c;
	struct db_param p[21];
	struct create_text x;

	if (create_params(p, &x, who, s) != SP_OK)
		return SP_ERR_INVALID;
	if ((c = call_new(arg)) != NULL)
		c->created = cb;
	if (s->seal_id > 0)
		return call_send(pool, sql_seal, 21, p, 0, created_done, c);
	return call_send(pool, sql, 20, p, 0, created_done, c);
}

/*
 * The load's checks and the create in one statement (migration 036
 * signing_session_create_held): $1..$21 the create's, then what the process
 * holds of what the load would send ($22..$27), which the statement
 * compares with what the load's checks read: a difference is SQLSTATE
 * SPH01, reason "prepare_held_stale" (db/errors.c), and nothing was stored.
 * The create's columns (created_done).
 */
int
db_signing_session_create_held(struct db_pool *pool, const struct db_actor *who,
			       const struct db_prepare_held *h, const struct db_signing_new *s,
			       db_session_created_fn cb, void *arg)
{
	static const char sql[] =
		"SELECT signing_session_create_held($22, $23, $24::bigint, $25, $26::bytea, $27, "
		"$1::bigint, $2::bigint, $3::bigint, $4::integer, $5::bytea, $6::bigint, "
		"$7::bigint, $8::bytea, $9, $10::bytea, $11::jsonb, $12::integer, $13::bytea, $14, "
		"$15, $16, to_timestamp($17::bigint), to_timestamp($18::bigint), $19::inet, $20, "
		"$21::bigint)::text, " LAST_SIGNER("$1::bigint", "$2::bigint");
	struct call *c;
	struct db_param p[27];
	struct create_text x;
	char blen[24];

	if (h->token_hash == NULL || h->credit_code == NULL || h->base_sha256_hex == NULL ||
	    h->base_len == 0 || h->base_len > INT64_MAX || h->seal_png_len > INT32_MAX ||
	    (s->seal_id > 0) != (h->seal_png != NULL && h->seal_info != NULL) ||
	    create_params(p, &x, who, s) != SP_OK)
		return SP_ERR_INVALID;
	memset(&p[21], 0, 6 * sizeof(*p));
	db_param_text(&p[21], h->token_hash);
	db_param_text(&p[22], h->credit_code);
	db_param_text(&p[23], db_i64_text(blen, sizeof(blen), (int64_t)h->base_len));
	db_param_text(&p[24], h->base_sha256_hex);
	if (h->seal_png != NULL) {
		p[25].value = (const char *)h->seal_png;
		p[25].len = (int)h->seal_png_len;
		p[25].binary = 1;
		db_param_text(&p[26], h->seal_info);
	}
	if ((c = call_new(arg)) != NULL)
		c->created = cb;
	return call_send(pool, sql, 27, p, 0, created_done, c);
}

/* ---- complete: claiming the session -------------------------------------------------------- */

void
db_signing_session_free(struct db_signing_session *s)
{
	if (s == NULL)
		return;
	free(s->document);
	free(s->signed_attrs);
	free(s->chain);
	free(s->cert_der);
	free(s->base_verification);
	free(s);
}

int
db_signing_session_join(struct db_signing_session *s, const uint8_t *held, size_t held_len,
			size_t spare)
{
	int r;

	if (s->from_seq < 0)
		return SP_ERR_INVALID;
	if ((r = held_join(&s->document, &s->document_len, &s->held_len, held, held_len, spare)) ==
	    SP_OK)
		s->from_seq = -1;
	return r;
}

/* Columns of signing_session_claim, binary, and the base revision's stored report. */
enum {
	C_NUMBER,
	C_BASE,
	C_DOC,
	C_ORIG,
	C_COFF,
	C_CLEN,
	C_ATTRS,
	C_ALG,
	C_CHAIN,
	C_CERT,
	C_SERIAL,
	C_LAST,
	C_ASERIAL,
	C_VERIFICATION,
	C_VHELD,
	C_FROM,
	C_HLEN,
	C_HSHA,
	C_N
};

/*
 * One row per part of the document (017): the update of each base revision
 * after the held one (from 0 when none is held), in order, then the
 * session's update (NULL: left out, c's held update goes in its place); the
 * other columns in the first row; the held revision's seq (-1: none),
 * stored length and SHA-256 last. With the held length the parts before the
 * last must make orig_len, the base revision's stored length.
 */
static int
session_decode(const PGresult *res, const struct call *c, struct db_signing_session *s)
{
	uint64_t number, base, orig, coff, clen, held = 0;
	size_t total, last_len;
	int alen, from, rows = PQntuples(res), auth = c->auth;

	/* an update left out is one the caller holds (see CLAIM_PARTS): only with $7 */
	s->update_held = rows >= 1 && PQgetisnull(res, rows - 1, C_DOC);
	if (s->update_held && c->update == NULL)
		return -1;
	if (rows < 1 || PQnfields(res) != C_N + (auth ? DB_CREDENTIAL_COLS : 0) ||
	    (auth && db_credential_decode(res, C_N, &s->cred) != 0) ||
	    db_col_uint(res, C_NUMBER, 8, &number) != 0 ||
	    db_col_uint(res, C_BASE, 4, &base) != 0 || db_col_uint(res, C_ORIG, 8, &orig) != 0 ||
	    db_col_uint(res, C_COFF, 8, &coff) != 0 || db_col_uint(res, C_CLEN, 8, &clen) != 0 ||
	    db_col_uint(res, C_SERIAL, 8, &s->tsa_serial) != 0 ||
	    db_col_uint(res, C_ASERIAL, 8, &s->archive_serial) != 0 ||
	    PQgetisnull(res, 0, C_LAST) || PQgetlength(res, 0, C_LAST) != 1 ||
	    PQgetisnull(res, 0, C_ALG) || (alen = PQgetlength(res, 0, C_ALG)) <= 0 ||
	    alen >= (int)sizeof(s->algorithm) || (from = col_from(res, C_FROM)) < -1 ||
	    (from >= 0 && (db_col_uint(res, C_HLEN, 8, &held) != 0 || held == 0 ||
			   col_sha(res, C_HSHA, s->held_sha256) != 0)) ||
	    parts_join_tail(res, C_DOC, 0, rows - s->update_held, s->update_held ? c->update : NULL,
			    s->update_held ? c->update_len : 0, &s->document,
			    &s->document_len) != 0 ||
	    db_col_bytes(res, C_ATTRS, &s->signed_attrs, &s->signed_attrs_len) != 0 ||
	    db_col_bytes(res, C_CHAIN, &s->chain, &s->chain_len) != 0 ||
	    db_col_bytes(res, C_CERT, &s->cert_der, &s->cert_len) != 0)
		return -1;
	s->last_signer = PQgetvalue(res, 0, C_LAST)[0] != 0;
	memcpy(s->algorithm, PQgetvalue(res, 0, C_ALG), (size_t)alen);
	s->algorithm[alen] = '\0';
	/* the report left out: the caller's is the one stored (CLAIM_VHELD) */
	s->base_verification_held = !PQgetisnull(res, 0, C_VHELD) &&
				    PQgetlength(res, 0, C_VHELD) == 1 &&
				    PQgetvalue(res, 0, C_VHELD)[0] != 0;
	if (!PQgetisnull(res, 0, C_VERIFICATION) &&
	    (s->base_verification = strndup(PQgetvalue(res, 0, C_VERIFICATION),
					    (size_t)PQgetlength(res, 0, C_VERIFICATION))) == NULL)
		return -1;
	/* the offsets are checked against the whole document: the held bytes and the parts */
	if (held > SIZE_MAX - s->document_len)
		return -1;
	total = (size_t)held + s->document_len;
	last_len = s->update_held ? c->update_len : (size_t)PQgetlength(res, rows - 1, C_DOC);
	if (number > INT64_MAX || base > INT32_MAX || from > (int)base ||
	    (uint64_t)rows != base - (uint64_t)(int64_t)from + 1 || orig >= total ||
	    last_len > total || orig != total - last_len || coff < orig || coff > total ||
	    clen > total - coff)
		return -1;
	s->contract_number = (int64_t)number;
	s->base_seq = (int)base;
	s->orig_len = (size_t)orig;
	s->contents_off = (size_t)coff;
	s->contents_len = (size_t)clen;
	s->from_seq = from;
	s->held_len = (size_t)held;
	return 0;
}

static void
session_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	db_signing_session_fn cb = c->session;
	void *cbarg = c->arg;
	struct db_signing_session *s = NULL;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		ei = *err;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		sp_err(&ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(s->id, c->id, sizeof(s->id));
	if (session_decode(res, c, s) != 0)
		sp_err(&ei, SP_ERR_INTERNAL, "the stored signing session does not decode");
out:
	free(c);
	if (ei.code != SP_OK) {
		db_signing_session_free(s);
		s = NULL;
	}
	cb(cbarg, s, &ei);
}

/* A session id as the text sent and echoed: 36 characters, lower case. */
static int
id_copy(char dst[37], const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != 36)
		return SP_ERR_INVALID;
	for (i = 0; i <= 36; i++)
		dst[i] = (id[i] >= 'A' && id[i] <= 'F') ? (char)(id[i] - 'A' + 'a') : id[i];
	return SP_OK;
}

/*
 * What completion reads of a claimed session s (017 signing_session_claim_head)
 * and the base revision's stored report; the document in parts d (see
 * session_decode), the larger columns in the first row only; the held
 * revision h ($3..$5: seq, length, SHA-256; NULL: none) when it is still
 * stored so, and then only the updates after it. The report is not sent
 * when the caller holds it (its length $6; NULL: none) and the held
 * revision is the base, stored with a report of that length (an
 * operator's edit of the column shows): at the k-th signing it is k - 1
 * signatures' worth (~56 KB at k = 20), which PostgreSQL read,
 * decompressed and sent for nothing. The next column says it was left out.
 */
#define CLAIM_FIRST "d.seq = coalesce(h.seq, -1) + 1"
#define CLAIM_BASE_REPORT \
	"(SELECT v.verification FROM revisions v " \
	"WHERE v.contract_number = s.contract_number AND v.seq = s.base_seq)"
/* octet_length reads a stored text's size from its header: the report is not fetched */
#define CLAIM_VHELD \
	"coalesce(h.seq = s.base_seq AND octet_length(" CLAIM_BASE_REPORT ") = $6::bigint, false)"
#define CLAIM_COLS \
	"s.contract_number, s.base_seq, d.part, s.orig_len, s.contents_off, s.contents_len, " \
	"CASE WHEN " CLAIM_FIRST " THEN s.signed_attrs END, s.algorithm, " \
	"CASE WHEN " CLAIM_FIRST " THEN s.chain END, " \
	"CASE WHEN " CLAIM_FIRST " THEN s.cert_der END, " \
	"s.tsa_serial, s.last_signer, s.archive_serial, " \
	"CASE WHEN " CLAIM_FIRST " AND NOT " CLAIM_VHELD " THEN " CLAIM_BASE_REPORT " END, " \
	"CASE WHEN " CLAIM_FIRST " THEN " CLAIM_VHELD " END, " \
	"coalesce(h.seq, -1), h.length, h.sha256"
/*
 * The session's own update (~16-19 KB) is not read nor sent either when the
 * caller holds one of its length ($7, signing_session_claim_head's
 * p_delta_len, migration 034; NULL: none): the bytes this process sent
 * signing_session_create at prepare, kept once that statement succeeded
 * (server/api/signing_docs.c signing_update_keep); the last part is then
 * NULL and session_decode puts the caller's bytes in its place. That is
 * sound because a session's delta is written once, by the INSERT of
 * signing_session_create that created the row under a fresh id
 * (gen_random_uuid), and never changed after: the server's only later
 * writes of the row set its state (and with it, through
 * signing_sessions_drop_delta, the delta to NULL: no longer claimable) or
 * its seal_id, and 034's trigger refuses any other write of the column; so
 * the stored update of that id and length is those bytes. octet_length
 * reads a stored bytea's size from its header (TOAST pointer or compressed
 * header), not the value. A claim on another process, or after the cache
 * dropped the entry, sends no $7 and gets the bytes as before.
 */
#define CLAIM_PARTS \
	" LEFT JOIN revisions h ON h.contract_number = s.contract_number AND h.seq = $3::integer " \
	"AND h.seq <= s.base_seq AND h.length = $4::bigint AND h.sha256 = $5 " \
	"CROSS JOIN LATERAL (SELECT r.seq, r.delta FROM revisions r WHERE r.contract_number = " \
	"s.contract_number AND r.seq > coalesce(h.seq, -1) AND r.seq <= s.base_seq " \
	"UNION ALL SELECT s.base_seq + 1, s.delta) d (seq, part) ORDER BY d.seq"

static int
claim_send(struct db_pool *pool, const char *id, const char *token_hash, int64_t org_id,
	   const struct db_doc_held *held, db_signing_session_fn cb, void *arg)
{
	struct call *c;
	struct db_param p[7];
	char sid[37], org[24], hseq[24], hlen[24];
	char rlen[24], ulen[24];
	int upd = held != NULL && held->update != NULL && held->update_len > 0 &&
		  held->update_len <= INT32_MAX;

	if (id_copy(sid, id) != SP_OK)
		return SP_ERR_INVALID;
	if ((c = call_new(arg)) != NULL) {
		c->session = cb;
		c->auth = token_hash != NULL;
		memcpy(c->id, sid, sizeof(c->id));
		if (upd) {
			c->update = held->update;
			c->update_len = held->update_len;
		}
	}
	memset(p, 0, sizeof(p));
	p[0].value = sid;
	held_params(&p[2], held, hseq, hlen);
	if (held != NULL && held->report_len > 0)
		db_param_text(&p[5], db_i64_text(rlen, 24, (int64_t)held->report_len));
	if (upd)
		db_param_text(&p[6], db_i64_text(ulen, 24, (int64_t)held->update_len));
	if (token_hash != NULL) {
		p[1].value = token_hash;
		/* auth_member runs first: the claim takes its organization (LATERAL) */
		return call_send(pool,
				 "SELECT " CLAIM_COLS ", " AUTH_COLS
				 " FROM auth_member($2) a CROSS JOIN LATERAL "
				 "signing_session_claim_head($1::uuid, a.organization_id, "
				 "$7::bigint) "
				 "s" CLAIM_PARTS,
				 7, p, 1, session_done, c);
	}
	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	p[1].value = org;
	return call_send(pool,
			 "SELECT " CLAIM_COLS " FROM signing_session_claim_head($1::uuid, "
			 "$2::bigint, $7::bigint) s" CLAIM_PARTS,
			 7, p, 1, session_done, c);
}

int
db_signing_session_claim(struct db_pool *pool, const char *id, int64_t org_id,
			 const struct db_doc_held *held, db_signing_session_fn cb, void *arg)
{
	return claim_send(pool, id, NULL, org_id, held, cb, arg);
}

int
db_signing_session_claim_auth(struct db_pool *pool, const char *token_hash, const char *id,
			      const struct db_doc_held *held, db_signing_session_fn cb, void *arg)
{
	if (token_hash == NULL)
		return SP_ERR_INVALID;
	return claim_send(pool, id, token_hash, 0, held, cb, arg);
}

/* ---- complete: storing the revision; abort --------------------------------------------- */

/* A completion's first 12 parameters ($1..$12, db_signing_session_complete's order):
   the session, the actor and the signed revision, their texts kept in *n. */
struct complete_texts {
	struct db_actor_text t;
	char length[24], tsa_time[24], until[24], slen[24];
};

static void
complete_params(struct db_param p[12], struct complete_texts *n, const char *id,
		const struct db_actor *who, const struct db_signed_revision *rev)
{
	db_actor_text_fill(&n->t, who);
	snprintf(n->length, sizeof(n->length), "%zu", rev->length);
	snprintf(n->tsa_time, sizeof(n->tsa_time), "%lld", (long long)rev->tsa_time);
	snprintf(n->until, sizeof(n->until), "%lld", (long long)rev->archive_until);
	snprintf(n->slen, sizeof(n->slen), "%zu", rev->signed_length);
	memset(p, 0, 12 * sizeof(*p));
	p[0].value = id;
	p[1].value = n->t.org;
	p[2].value = n->t.user;
	p[3].value = (const char *)rev->delta;
	p[3].len = (int)rev->delta_len;
	p[3].binary = 1;
	p[4].value = n->length;
	p[5].value = rev->sha256_hex;
	p[6].value = n->tsa_time;
	p[7].value = n->t.ip;
	p[8].value = n->t.ua;
	p[9].value = n->until;
	p[10].value = n->slen;
	p[11].value = rev->verification;
}

int
db_signing_session_complete(struct db_pool *pool, const char *id, const struct db_actor *who,
			    const struct db_signed_revision *rev, db_text_fn cb, void *arg)
{
	static const char sql[] =
		"SELECT signing_session_complete($1::uuid, $2::bigint, $3::bigint, $4::bytea, "
		"$5::bigint, $6, to_timestamp($7::bigint), $8::inet, $9, "
		"to_timestamp(nullif($10::bigint, 0)), nullif($11::bigint, 0))::text";
	/* with the verification report: the same call through 012's wrapper */
	static const char sql_report[] =
		"SELECT signing_session_complete_verified($1::uuid, $2::bigint, $3::bigint, "
		"$4::bytea, $5::bigint, $6, to_timestamp($7::bigint), $12, "
		"to_timestamp(nullif($10::bigint, 0)), nullif($11::bigint, 0), $8::inet, $9)::text";
	struct db_param p[12];
	struct complete_texts n;

	if (id == NULL || rev->delta_len == 0 || rev->delta_len > INT32_MAX)
		return SP_ERR_INVALID;
	complete_params(p, &n, id, who, rev);
	if (rev->verification != NULL)
		return db_text_call(pool, sql_report, 12, p, NULL, cb, arg);
	return db_text_call(pool, sql, 11, p, NULL, cb, arg);
}

int
db_signing_session_complete_held(struct db_pool *pool, const char *id,
				 const struct db_session_held *h, const struct db_actor *who,
				 const struct db_signed_revision *rev, db_text_fn cb, void *arg)
{
	/* 035: the claim's checks (SPS35 when one does not hold), then the completion as
	   db_signing_session_complete's sql_report, with the same parameters */
	static const char sql[] =
		"SELECT signing_session_complete_held($13, $1::uuid, $2::bigint, $3::bigint, "
		"$14::bigint, $15::integer, $16::bigint, $17, $18::bigint, $4::bytea, $5::bigint, "
		"$6, to_timestamp($7::bigint), $12, to_timestamp(nullif($10::bigint, 0)), "
		"nullif($11::bigint, 0), $8::inet, $9, $19::boolean)::text";
	struct db_param p[19];
	struct complete_texts n;
	char sid[37], num[24], base[24], blen[24], rlen[24];

	if (id_copy(sid, id) != SP_OK || h == NULL || h->token_hash == NULL ||
	    h->base_sha256_hex == NULL || h->base_seq < 0 || rev->delta_len == 0 ||
	    rev->delta_len > INT32_MAX)
		return SP_ERR_INVALID;
	memset(p, 0, sizeof(p));
	complete_params(p, &n, sid, who, rev);
	p[12].value = h->token_hash;
	p[13].value = db_i64_text(num, sizeof(num), h->contract_number);
	p[14].value = db_i64_text(base, sizeof(base), h->base_seq);
	p[15].value = db_i64_text(blen, sizeof(blen), (int64_t)h->base_len);
	p[16].value = h->base_sha256_hex;
	p[17].value =
		h->report_len > 0 ? db_i64_text(rlen, sizeof(rlen), (int64_t)h->report_len) : NULL;
	p[18].value = h->last_signer < 0 ? NULL : h->last_signer ? "t" : "f";
	return db_text_call(pool, sql, 19, p, NULL, cb, arg);
}

int
db_signing_session_abort(struct db_pool *pool, const char *id, const struct db_actor *who,
			 db_text_fn cb, void *arg)
{
	struct db_param p[5];
	struct db_actor_text t;

	if (id == NULL)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	memset(p, 0, sizeof(p));
	p[0].value = id;
	p[1].value = t.org;
	p[2].value = t.user;
	p[3].value = t.ip;
	p[4].value = t.ua;
	return db_text_call(pool,
			    "SELECT signing_session_abort($1::uuid, $2::bigint, $3::bigint, "
			    "$4::inet, $5)::text",
			    5, p, NULL, cb, arg);
}

/* ---- the built-in TSA's serials ------------------------------------------------------------ */

static void
serial_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	db_serial_fn cb = c->serial;
	void *cbarg = c->arg;
	struct sp_errinfo ei;
	uint64_t serial = 0;

	free(c);
	if (err->code != SP_OK) {
		cb(cbarg, 0, err);
		return;
	}
	sp_errinfo_init(&ei);
	if (PQntuples(res) != 1 || db_col_uint(res, 0, 8, &serial) != 0 || serial == 0)
		sp_err(&ei, SP_ERR_INTERNAL, "the TSA serial does not decode");
	cb(cbarg, ei.code == SP_OK ? serial : 0, &ei);
}

int
db_tsa_serial_next(struct db_pool *pool, db_serial_fn cb, void *arg)
{
	struct call *c = call_new(arg);

	if (c != NULL)
		c->serial = cb;
	return call_send(pool, "SELECT nextval('tsa_serial')", 0, NULL, 1, serial_done, c);
}

static void
serials_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	db_serials_fn cb = c->serials;
	void *cbarg = c->arg;
	struct sp_errinfo ei;
	uint64_t *v = NULL;
	int i, n = err->code == SP_OK ? PQntuples(res) : 0;

	free(c);
	if (err->code != SP_OK) {
		cb(cbarg, NULL, 0, err);
		return;
	}
	sp_errinfo_init(&ei);
	if (n < 1 || (v = calloc((size_t)n, sizeof(*v))) == NULL)
		sp_err(&ei, n < 1 ? SP_ERR_INTERNAL : SP_ERR_NOMEM,
		       "the TSA serials do not decode");
	for (i = 0; ei.code == SP_OK && i < n; i++)
		if (PQgetisnull(res, i, 0) || PQgetlength(res, i, 0) != 8 ||
		    (v[i] = sp_load_ben((const unsigned char *)PQgetvalue(res, i, 0), 8)) == 0)
			sp_err(&ei, SP_ERR_INTERNAL, "the TSA serials do not decode");
	cb(cbarg, ei.code == SP_OK ? v : NULL, ei.code == SP_OK ? (size_t)n : 0, &ei);
	free(v);
}

int
db_tsa_serials_reserve(struct db_pool *pool, int n, db_serials_fn cb, void *arg)
{
	struct call *c;
	struct db_param p[1];
	char num[24];

	if (n < 1 || n > 1024)
		return SP_ERR_INVALID;
	if ((c = call_new(arg)) != NULL)
		c->serials = cb;
	memset(p, 0, sizeof(p));
	db_param_text(&p[0], db_i64_text(num, sizeof(num), n));
	return call_send(pool, "SELECT nextval('tsa_serial') FROM generate_series(1, $1::integer)",
			 1, p, 1, serials_done, c);
}
