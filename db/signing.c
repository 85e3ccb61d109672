/*
 * signing.c: the typed calls of the signing aggregate (db.h, "signing.c"),
 * first half: what both halves decode, both halves of prepare, and the
 * document of a contract's verification (signing_complete.c: the claim,
 * the completion, abort, the built-in TSA's serial numbers). The SQL
 * functions are those of migrations/004_signing.sql and their successors;
 * bytea and integer columns come back in binary and are decoded here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signing_int.h"

/* ---- decoding ------------------------------------------------------------------------- */

struct call *
signing_call_new(void *arg)
{
	struct call *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->arg = arg;
	return c;
}

int
signing_call_send(struct db_pool *pool, const char *sql, int n, const struct db_param *p,
		  int binary, db_done_fn done, struct call *c)
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
int
signing_parts_join_tail(const PGresult *res, int col, int first, int n, const uint8_t *tail,
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
	return signing_parts_join_tail(res, col, first, n, NULL, 0, out, len);
}

/* ---- documents ---------------------------------------------------------------------------- */

/* Binary text column c of row 0: exactly 64 characters into out[65]; -1 otherwise. */
int
signing_col_sha(const PGresult *res, int c, char out[65])
{
	if (PQgetisnull(res, 0, c) || PQgetlength(res, 0, c) != 64)
		return -1;
	memcpy(out, PQgetvalue(res, 0, c), 64);
	out[64] = '\0';
	return 0;
}

/* Row 0's int4 column c, which may be -1 (from_seq); -2 when NULL or misfit. */
int
signing_col_from(const PGresult *res, int c)
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
	free(doc->refs);
	free(doc);
}

/* Puts the caller's bytes before the parts: the document whole. */
int
signing_held_join(uint8_t **data, size_t *len, size_t *want, const uint8_t *held, size_t held_len,
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
	if ((r = signing_held_join(&doc->data, &doc->len, &doc->held_len, held, held_len, 0)) ==
	    SP_OK)
		doc->from_seq = -1;
	return r;
}

/*
 * Columns of a prepare load (PREP_COLS), one row per stored update after
 * the held revision (the upload's first when none is held), in order; the
 * seal in the first row only; a single row with a NULL update when the
 * held revision is the latest. Then auth_member's columns (auth).
 */
enum { P_SEQ, P_DELTA, P_PNG, P_INFO, P_LENGTH, P_FROM, P_HLEN, P_HSHA, P_SHA, P_REFS, P_N };

static int
prep_decode(const PGresult *res, int auth, struct db_revision_doc *d)
{
	uint64_t seq, length, held = 0;
	int rows = PQntuples(res), from, parts;

	if (rows < 1 || PQnfields(res) != P_N + (auth ? DB_CREDENTIAL_COLS : 0) ||
	    db_col_uint(res, P_SEQ, 4, &seq) != 0 || seq >= INT32_MAX ||
	    db_col_uint(res, P_LENGTH, 8, &length) != 0 ||
	    signing_col_sha(res, P_SHA, d->sha256) != 0 ||
	    (from = signing_col_from(res, P_FROM)) < -1 || from > (int)seq)
		return -1;
	/* every part came (none when the held revision is the latest), and with the held
	   revision's stored length they make the length the revision was stored with */
	parts = (int)seq - from;
	if (from >= 0 && (db_col_uint(res, P_HLEN, 8, &held) != 0 ||
			  signing_col_sha(res, P_HSHA, d->held_sha256) != 0))
		return -1;
	if ((parts == 0 ? rows != 1 || !PQgetisnull(res, 0, P_DELTA) : rows != parts) ||
	    parts_join(res, P_DELTA, 0, parts, &d->data, &d->len) != 0 || held > length ||
	    d->len != length - held || length == 0 || length > SIZE_MAX ||
	    (!PQgetisnull(res, 0, P_REFS) &&
	     db_col_bytes(res, P_REFS, &d->refs, &d->refs_len) != 0))
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
	    (from = signing_col_from(res, V_FROM)) < -1 || from > (int)seq ||
	    (from >= 0 && (db_col_uint(res, V_HLEN, 8, &held) != 0 ||
			   signing_col_sha(res, V_HSHA, d->held_sha256) != 0)) ||
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
	struct call *c = signing_call_new(arg);

	if (c != NULL) {
		c->doc = cb;
		c->number = number;
		c->parts = parts;
	}
	return signing_call_send(pool, sql, n, p, 1, doc_done, c);
}

/*
 * Prepare's load in parts (017 signing_prepare_check: the turn, the latest
 * revision, the seal): the update of each revision after the held one h
 * (all, from the upload's, when none is held or it no longer matches what
 * is stored) up to base_seq, in order, or one row without an update when h
 * is the latest; the seal in the first row only; then the latest's stored
 * length, the held revision's seq (-1: none), stored length and SHA-256,
 * and the latest's SHA-256 and the references stored with it (067; first row only)
 * (prep_decode). ORG is the organization; the
 * held revision's seq, length and SHA-256 are $4..$6 (NULL: none).
 */
#define PREP_FIRST "(d.seq IS NULL OR d.seq = coalesce(h.seq, -1) + 1)"
#define PREP_COLS \
	"l.base_seq, d.delta, CASE WHEN " PREP_FIRST " THEN l.seal_png END, " \
	"CASE WHEN " PREP_FIRST " THEN l.seal_info::text END, l.base_length, " \
	"coalesce(h.seq, -1), h.length, h.sha256, b.sha256, " \
	"CASE WHEN " PREP_FIRST " THEN b.refs END"
#define PREP_FROM(NUMBER, ORG, SEAL) \
	"signing_prepare_check(" NUMBER "::bigint, " ORG ", " SEAL "::bigint) l " \
	"JOIN revisions b ON b.contract_number = " NUMBER "::bigint AND b.seq = l.base_seq " \
	"LEFT JOIN revisions h ON h.contract_number = " NUMBER "::bigint " \
	"AND h.seq = $4::integer AND h.seq <= l.base_seq AND h.length = $5::bigint " \
	"AND h.sha256 = $6 " \
	"LEFT JOIN revisions d ON d.contract_number = " NUMBER "::bigint " \
	"AND d.seq > coalesce(h.seq, -1) AND d.seq <= l.base_seq ORDER BY d.seq"

/* The held revision as parameters [0..2] ($4..$6); NULLs without one. */
void
signing_held_params(struct db_param *p, const struct db_doc_held *held, char seq[24], char len[24])
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
	signing_held_params(&p[3], held, hseq, hlen);
	return doc_load(pool, "SELECT " PREP_COLS " FROM " PREP_FROM("$1", "$2::bigint", "$3"), 6,
			p, number, 1, cb, arg);
}

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
	if ((c = signing_call_new(arg)) != NULL) {
		c->doc = cb;
		c->number = number;
		c->auth = 1;
		c->parts = 1;
	}
	memset(p, 0, sizeof(p));
	db_param_text(&p[0], token_hash);
	db_param_text(&p[1], db_i64_text(num, sizeof(num), number));
	db_param_text(&p[2], seal_id > 0 ? db_i64_text(seal, sizeof(seal), seal_id) : NULL);
	signing_held_params(&p[3], held, hseq, hlen);
	/* auth_member runs first: the load takes its organization (LATERAL) */
	return signing_call_send(pool,
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
	signing_held_params(&v.p[2], held, hseq, hlen);
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
		x->serial[i] = (char)(s->cert_serial_hex[i] >= 'A' && s->cert_serial_hex[i] <= 'F'
					      ? s->cert_serial_hex[i] - 'A' + 'a'
					      : s->cert_serial_hex[i]);
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
 * The signers of other organizations that have not signed (nor are
 * "sent"), after the stored session's JSON: none is the claim's
 * last_signer (signing_session_claim_head, 010) in its words. The
 * completion in one trip does its work on it (B-LTA's document timestamp)
 * and signing_session_complete_held checks it again where it stores; the
 * count sizes the room the completion leaves for their updates.
 */
#define SIGNERS_LEFT(NUMBER, ORG) \
	"(SELECT count(*) FROM parties p WHERE p.contract_number = " NUMBER " AND " \
	"p.role = 'signer' AND p.organization_id <> " ORG " AND " \
	"p.status NOT IN ('signed', 'sent'))::text"

/* Columns: the stored session's JSON text, SIGNERS_LEFT. */
static void
created_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	db_session_created_fn cb = c->created;
	void *cbarg = c->arg;
	struct sp_errinfo ei;
	int64_t left;
	int len;

	free(c);
	if (err->code != SP_OK) {
		cb(cbarg, NULL, 0, -1, err);
		return;
	}
	sp_errinfo_init(&ei);
	if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 0) ||
	    (len = PQgetlength(res, 0, 0)) < 1 || PQgetisnull(res, 0, 1) ||
	    sp_parse_i64(PQgetvalue(res, 0, 1), 0, INT32_MAX, &left) != SP_OK) {
		db_shape_err(&ei, "JSON document");
		cb(cbarg, NULL, 0, -1, &ei);
		return;
	}
	cb(cbarg, PQgetvalue(res, 0, 0), (size_t)len, (int)left, &ei);
}

int
db_signing_session_create(struct db_pool *pool, const struct db_actor *who,
			  const struct db_signing_new *s, db_session_created_fn cb, void *arg)
{
	static const char sql[] =
		"SELECT signing_session_create($1::bigint, $2::bigint, $3::bigint, $4::integer, "
		"$5::bytea, $6::bigint, $7::bigint, $8::bytea, $9, $10::bytea, $11::jsonb, "
		"$12::integer, $13::bytea, $14, $15, $16, to_timestamp($17::bigint), "
		"to_timestamp($18::bigint), $19::inet, $20)::text, " SIGNERS_LEFT("$1::bigint",
										  "$2::bigint");
	/* With a seal: the same call through signing_session_create_seal (009). */
	static const char sql_seal[] =
		"SELECT signing_session_create_seal($1::bigint, $2::bigint, $3::bigint, "
		"$4::integer, "
		"$5::bytea, $6::bigint, $7::bigint, $8::bytea, $9, $10::bytea, $11::jsonb, "
		"$12::integer, $13::bytea, $14, $15, $16, to_timestamp($17::bigint), "
		"to_timestamp($18::bigint), $19::inet, $20, $21::bigint)::text, " SIGNERS_LEFT(
			"$1::bigint", "$2::bigint");
	struct call *c;
	struct db_param p[21];
	struct create_text x;

	if (create_params(p, &x, who, s) != SP_OK)
		return SP_ERR_INVALID;
	if ((c = signing_call_new(arg)) != NULL)
		c->created = cb;
	if (s->seal_id > 0)
		return signing_call_send(pool, sql_seal, 21, p, 0, created_done, c);
	return signing_call_send(pool, sql, 20, p, 0, created_done, c);
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
		"$21::bigint)::text, " SIGNERS_LEFT("$1::bigint", "$2::bigint");
	struct call *c;
	struct db_param p[27];
	struct create_text x;
	char blen[24];

	if (h->token_hash == NULL || h->credit_code == NULL || h->base_sha256_hex == NULL ||
	    h->base_len == 0 || h->base_len > INT64_MAX ||
	    (s->seal_id > 0) != (h->seal_sha256 != NULL && h->seal_info != NULL) ||
	    create_params(p, &x, who, s) != SP_OK)
		return SP_ERR_INVALID;
	memset(&p[21], 0, 6 * sizeof(*p));
	db_param_text(&p[21], h->token_hash);
	db_param_text(&p[22], h->credit_code);
	db_param_text(&p[23], db_i64_text(blen, sizeof(blen), (int64_t)h->base_len));
	db_param_text(&p[24], h->base_sha256_hex);
	if (h->seal_sha256 != NULL) {
		p[25].value = (const char *)h->seal_sha256;
		p[25].len = 32;
		p[25].binary = 1;
		db_param_text(&p[26], h->seal_info);
	}
	if ((c = signing_call_new(arg)) != NULL)
		c->created = cb;
	return signing_call_send(pool, sql, 27, p, 0, created_done, c);
}
