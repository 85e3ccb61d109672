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
	int64_t number; /* the contract a document call asked for */
	char id[37];    /* the session a claim asked for */
	int auth;       /* the row ends with auth_member's columns */
	int parts;      /* the document comes in parts, one row per revision (017) */
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
 * 1 byte allocated). PostgreSQL streams the stored parts instead of assembling
 * the whole document (and copying it through each function) per statement.
 */
static int
parts_join(const PGresult *res, int col, int first, int n, uint8_t **out, size_t *len)
{
	size_t total = 0, at = 0;
	int i, l;

	*out = NULL;
	*len = 0;
	if (first < 0 || n < 1 || first + n > PQntuples(res))
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
	*len = total;
	return 0;
}

/* ---- documents ---------------------------------------------------------------------------- */

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

/*
 * Columns: seq integer, document bytea (binary); no row or NULL: not_found.
 * Then the seal's picture and facts (prepare with a seal), or the seals
 * shown and the column named verification (db_verification_document_load).
 * A prepare load (c->parts) has one row per revision 0..seq, in order, with
 * that revision's update in column 1, the extra columns in the first row,
 * and the latest revision's stored length after them (before auth_member's).
 */
static void
doc_done(void *arg, const PGresult *res, const struct sp_errinfo *err)
{
	struct call *c = arg;
	db_revision_doc_fn cb = c->doc;
	void *cbarg = c->arg;
	struct db_revision_doc *d = NULL;
	struct sp_errinfo ei;
	uint64_t seq, length = 0;
	int vcol = err->code == SP_OK ? PQfnumber(res, "verification") : -1;
	int acol = err->code == SP_OK ? PQnfields(res) - (c->auth ? DB_CREDENTIAL_COLS : 0) : 0;
	int nf = acol - (c->parts ? 1 : 0);
	int rows = err->code == SP_OK ? PQntuples(res) : 0;

	sp_errinfo_init(&ei);
	if (err->code != SP_OK) {
		ei = *err;
		goto out;
	}
	if (rows < 1 || (!c->parts && rows != 1) || nf < 2 || nf > 4 || PQgetisnull(res, 0, 1)) {
		sp_err_reason(&ei, SP_ERR_NOT_FOUND, "not_found", "no such contract");
		goto out;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		sp_err(&ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* every part came, and they make the length the revision was stored with */
	if (db_col_uint(res, 0, 4, &seq) != 0 || seq > INT32_MAX ||
	    (c->parts && ((uint64_t)rows != seq + 1 || db_col_uint(res, nf, 8, &length) != 0)) ||
	    parts_join(res, 1, 0, rows, &d->data, &d->len) != 0 || d->len == 0 ||
	    (c->parts && d->len != length)) {
		sp_err(&ei, SP_ERR_INTERNAL, "the revision's document does not decode");
		goto out;
	}
	/* signing_prepare_load_seal: the seal's picture and its facts (text, binary = bytes) */
	if (nf == 4 && vcol < 0 && !PQgetisnull(res, 0, 2) &&
	    (db_col_bytes(res, 2, &d->seal_png, &d->seal_png_len) != 0 || PQgetisnull(res, 0, 3) ||
	     (d->seal_info = strndup(PQgetvalue(res, 0, 3), (size_t)PQgetlength(res, 0, 3))) ==
		     NULL)) {
		sp_err(&ei, SP_ERR_INTERNAL, "the seal does not decode");
		goto out;
	}
	/* db_verification_document_load: the seals of the signed revisions, and the
	   verification report completion stored with the revision */
	if (vcol == 3 &&
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
	d->seq = (int)seq;
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
 * revision, the seal): the update of each revision 0..base_seq, in order;
 * the seal in the first row only; base_length last. ORG is the organization.
 */
#define PREP_COLS \
	"l.base_seq, d.delta, CASE WHEN d.seq = 0 THEN l.seal_png END, " \
	"CASE WHEN d.seq = 0 THEN l.seal_info::text END, l.base_length"
#define PREP_FROM(NUMBER, ORG, SEAL) \
	"signing_prepare_check(" NUMBER "::bigint, " ORG ", " SEAL "::bigint) l, revisions d " \
	"WHERE d.contract_number = " NUMBER "::bigint AND d.seq <= l.base_seq ORDER BY d.seq"

int
db_signing_prepare_load(struct db_pool *pool, int64_t number, int64_t org_id, db_revision_doc_fn cb,
			void *arg)
{
	return db_signing_prepare_load_seal(pool, number, org_id, 0, cb, arg);
}

int
db_signing_prepare_load_seal(struct db_pool *pool, int64_t number, int64_t org_id, int64_t seal_id,
			     db_revision_doc_fn cb, void *arg)
{
	struct db_param p[3];
	char num[24], org[24], seal[24];

	memset(p, 0, sizeof(p));
	db_param_text(&p[0], db_i64_text(num, sizeof(num), number));
	db_param_text(&p[1], db_i64_text(org, sizeof(org), org_id));
	db_param_text(&p[2], seal_id > 0 ? db_i64_text(seal, sizeof(seal), seal_id) : NULL);
	return doc_load(pool, "SELECT " PREP_COLS " FROM " PREP_FROM("$1", "$2::bigint", "$3"), 3,
			p, number, 1, cb, arg);
}

/* auth_member's columns, after the request's own (db_credential_decode). */
#define AUTH_COLS \
	"a.kind, a.credential_id, a.user_id, a.organization_id, a.certificate_id, a.credit_code"

int
db_signing_prepare_load_auth(struct db_pool *pool, const char *token_hash, int64_t number,
			     int64_t seal_id, db_revision_doc_fn cb, void *arg)
{
	struct call *c;
	struct db_param p[3];
	char num[24], seal[24];

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
	/* auth_member runs first: the load takes its organization (LATERAL) */
	return call_send(pool,
			 "SELECT " PREP_COLS ", " AUTH_COLS
			 " FROM auth_member($1) a, " PREP_FROM("$2", "a.organization_id", "$3"),
			 3, p, 1, doc_done, c);
}

/* The latest revision, through the one visibility check of db/contracts.c. */
int
db_verification_document_load(struct db_pool *pool, int64_t number, int64_t org_id,
			      db_revision_doc_fn cb, void *arg)
{
	struct db_visible v;
	int r;

	if ((r = db_contract_visible(
		     &v, number, org_id,
		     "l.seq, revision_document(c.number, l.seq), "
		     "contract_revision_seals(c.number)::text, l.verification AS verification",
		     ", LATERAL (SELECT seq, verification FROM revisions "
		     "WHERE contract_number = c.number ORDER BY seq DESC LIMIT 1) l",
		     "")) != SP_OK)
		return r;
	return doc_load(pool, v.sql, v.n, v.p, number, 0, cb, arg);
}

/* ---- prepare: storing the session ---------------------------------------------------------- */

int
db_signing_session_create(struct db_pool *pool, const struct db_actor *who,
			  const struct db_signing_new *s, db_text_fn cb, void *arg)
{
	static const char sql[] =
		"SELECT signing_session_create($1::bigint, $2::bigint, $3::bigint, $4::integer, "
		"$5::bytea, $6::bigint, $7::bigint, $8::bytea, $9, $10::bytea, $11::jsonb, "
		"$12::integer, $13::bytea, $14, $15, $16, to_timestamp($17::bigint), "
		"to_timestamp($18::bigint), $19::inet, $20)::text";
	/* With a seal: the same call through signing_session_create_seal (009). */
	static const char sql_seal[] =
		"SELECT signing_session_create_seal($1::bigint, $2::bigint, $3::bigint, "
		"$4::integer, "
		"$5::bytea, $6::bigint, $7::bigint, $8::bytea, $9, $10::bytea, $11::jsonb, "
		"$12::integer, $13::bytea, $14, $15, $16, to_timestamp($17::bigint), "
		"to_timestamp($18::bigint), $19::inet, $20, $21::bigint)::text";
	struct db_param p[21];
	struct db_actor_text t;
	char number[24], base[16], coff[24], clen[24], ttl[16], nb[24], na[24], serial[82],
		seal[24];
	size_t i;

	if (s->delta_len == 0 || s->delta_len > INT32_MAX || s->signed_attrs_len > INT32_MAX ||
	    s->chain_len > INT32_MAX || s->cert_len > INT32_MAX ||
	    strlen(s->cert_serial_hex) >= sizeof(serial))
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	snprintf(number, sizeof(number), "%lld", (long long)s->contract_number);
	snprintf(base, sizeof(base), "%d", s->base_seq);
	snprintf(coff, sizeof(coff), "%zu", s->contents_off);
	snprintf(clen, sizeof(clen), "%zu", s->contents_len);
	snprintf(ttl, sizeof(ttl), "%d", s->ttl_s);
	snprintf(nb, sizeof(nb), "%lld", (long long)s->cert_not_before);
	snprintf(na, sizeof(na), "%lld", (long long)s->cert_not_after);
	/* certificates.serial is lower-case hex, like the login's record of it */
	for (i = 0; s->cert_serial_hex[i] != '\0'; i++)
		serial[i] = (s->cert_serial_hex[i] >= 'A' && s->cert_serial_hex[i] <= 'F')
				    ? (char)(s->cert_serial_hex[i] - 'A' + 'a')
				    : s->cert_serial_hex[i];
	serial[i] = '\0';
	memset(p, 0, sizeof(p));
	p[0].value = number;
	p[1].value = t.org;
	p[2].value = t.user;
	p[3].value = base;
	p[4].value = (const char *)s->delta;
	p[4].len = (int)s->delta_len;
	p[4].binary = 1;
	p[5].value = coff;
	p[6].value = clen;
	p[7].value = (const char *)s->signed_attrs;
	p[7].len = (int)s->signed_attrs_len;
	p[7].binary = 1;
	p[8].value = s->algorithm;
	p[9].value = s->chain != NULL ? (const char *)s->chain : "";
	p[9].len = (int)s->chain_len;
	p[9].binary = 1;
	p[10].value = s->rects_json;
	p[11].value = ttl;
	p[12].value = (const char *)s->cert_der;
	p[12].len = (int)s->cert_len;
	p[12].binary = 1;
	p[13].value = s->cert_subject;
	p[14].value = s->cert_issuer;
	p[15].value = serial;
	p[16].value = nb;
	p[17].value = na;
	p[18].value = t.ip;
	p[19].value = t.ua;
	if (s->seal_id > 0) {
		p[20].value = db_i64_text(seal, sizeof(seal), s->seal_id);
		return db_text_call(pool, sql_seal, 21, p, NULL, cb, arg);
	}
	return db_text_call(pool, sql, 20, p, NULL, cb, arg);
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
	C_N
};

/*
 * One row per part of the document (017): the update of each base revision
 * 0..base_seq in order, then the session's update; the other columns in the
 * first row. The parts before the last must make orig_len, the base
 * revision's stored length.
 */
static int
session_decode(const PGresult *res, int auth, struct db_signing_session *s)
{
	uint64_t number, base, orig, coff, clen;
	int alen, rows = PQntuples(res);

	if (rows < 2 || PQnfields(res) != C_N + (auth ? DB_CREDENTIAL_COLS : 0) ||
	    (auth && db_credential_decode(res, C_N, &s->cred) != 0) ||
	    db_col_uint(res, C_NUMBER, 8, &number) != 0 ||
	    db_col_uint(res, C_BASE, 4, &base) != 0 || db_col_uint(res, C_ORIG, 8, &orig) != 0 ||
	    db_col_uint(res, C_COFF, 8, &coff) != 0 || db_col_uint(res, C_CLEN, 8, &clen) != 0 ||
	    db_col_uint(res, C_SERIAL, 8, &s->tsa_serial) != 0 ||
	    db_col_uint(res, C_ASERIAL, 8, &s->archive_serial) != 0 ||
	    PQgetisnull(res, 0, C_LAST) || PQgetlength(res, 0, C_LAST) != 1 ||
	    PQgetisnull(res, 0, C_ALG) || (alen = PQgetlength(res, 0, C_ALG)) <= 0 ||
	    alen >= (int)sizeof(s->algorithm) ||
	    parts_join(res, C_DOC, 0, rows, &s->document, &s->document_len) != 0 ||
	    db_col_bytes(res, C_ATTRS, &s->signed_attrs, &s->signed_attrs_len) != 0 ||
	    db_col_bytes(res, C_CHAIN, &s->chain, &s->chain_len) != 0 ||
	    db_col_bytes(res, C_CERT, &s->cert_der, &s->cert_len) != 0)
		return -1;
	s->last_signer = PQgetvalue(res, 0, C_LAST)[0] != 0;
	memcpy(s->algorithm, PQgetvalue(res, 0, C_ALG), (size_t)alen);
	s->algorithm[alen] = '\0';
	if (!PQgetisnull(res, 0, C_VERIFICATION) &&
	    (s->base_verification = strndup(PQgetvalue(res, 0, C_VERIFICATION),
					    (size_t)PQgetlength(res, 0, C_VERIFICATION))) == NULL)
		return -1;
	if (number > INT64_MAX || base > INT32_MAX || (uint64_t)rows != base + 2 ||
	    orig >= s->document_len ||
	    orig != s->document_len - (size_t)PQgetlength(res, rows - 1, C_DOC) || coff < orig ||
	    coff > s->document_len || clen > s->document_len - coff)
		return -1;
	s->contract_number = (int64_t)number;
	s->base_seq = (int)base;
	s->orig_len = (size_t)orig;
	s->contents_off = (size_t)coff;
	s->contents_len = (size_t)clen;
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
	if (session_decode(res, c->auth, s) != 0)
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
 * session_decode), the larger columns in the first row only.
 */
#define CLAIM_COLS \
	"s.contract_number, s.base_seq, d.part, s.orig_len, s.contents_off, s.contents_len, " \
	"CASE WHEN d.seq = 0 THEN s.signed_attrs END, s.algorithm, " \
	"CASE WHEN d.seq = 0 THEN s.chain END, CASE WHEN d.seq = 0 THEN s.cert_der END, " \
	"s.tsa_serial, s.last_signer, s.archive_serial, CASE WHEN d.seq = 0 THEN " \
	"(SELECT v.verification FROM revisions v " \
	"WHERE v.contract_number = s.contract_number AND v.seq = s.base_seq) END"
#define CLAIM_PARTS \
	", LATERAL (SELECT r.seq, r.delta FROM revisions r WHERE r.contract_number = " \
	"s.contract_number AND r.seq <= s.base_seq UNION ALL SELECT s.base_seq + 1, s.delta) " \
	"d (seq, part) ORDER BY d.seq"

static int
claim_send(struct db_pool *pool, const char *id, const char *token_hash, int64_t org_id,
	   db_signing_session_fn cb, void *arg)
{
	struct call *c;
	struct db_param p[2];
	char sid[37], org[24];

	if (id_copy(sid, id) != SP_OK)
		return SP_ERR_INVALID;
	if ((c = call_new(arg)) != NULL) {
		c->session = cb;
		c->auth = token_hash != NULL;
		memcpy(c->id, sid, sizeof(c->id));
	}
	memset(p, 0, sizeof(p));
	p[0].value = sid;
	if (token_hash != NULL) {
		p[1].value = token_hash;
		/* auth_member runs first: the claim takes its organization (LATERAL) */
		return call_send(pool,
				 "SELECT " CLAIM_COLS ", " AUTH_COLS " FROM auth_member($2) a, "
				 "signing_session_claim_head($1::uuid, a.organization_id) "
				 "s" CLAIM_PARTS,
				 2, p, 1, session_done, c);
	}
	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	p[1].value = org;
	return call_send(pool,
			 "SELECT " CLAIM_COLS
			 " FROM signing_session_claim_head($1::uuid, $2::bigint) s" CLAIM_PARTS,
			 2, p, 1, session_done, c);
}

int
db_signing_session_claim(struct db_pool *pool, const char *id, int64_t org_id,
			 db_signing_session_fn cb, void *arg)
{
	return claim_send(pool, id, NULL, org_id, cb, arg);
}

int
db_signing_session_claim_auth(struct db_pool *pool, const char *token_hash, const char *id,
			      db_signing_session_fn cb, void *arg)
{
	if (token_hash == NULL)
		return SP_ERR_INVALID;
	return claim_send(pool, id, token_hash, 0, cb, arg);
}

/* ---- complete: storing the revision; abort --------------------------------------------- */

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
	struct db_actor_text t;
	char length[24], tsa_time[24], until[24], slen[24];

	if (id == NULL || rev->delta_len == 0 || rev->delta_len > INT32_MAX)
		return SP_ERR_INVALID;
	db_actor_text_fill(&t, who);
	snprintf(length, sizeof(length), "%zu", rev->length);
	snprintf(tsa_time, sizeof(tsa_time), "%lld", (long long)rev->tsa_time);
	snprintf(until, sizeof(until), "%lld", (long long)rev->archive_until);
	snprintf(slen, sizeof(slen), "%zu", rev->signed_length);
	memset(p, 0, sizeof(p));
	p[0].value = id;
	p[1].value = t.org;
	p[2].value = t.user;
	p[3].value = (const char *)rev->delta;
	p[3].len = (int)rev->delta_len;
	p[3].binary = 1;
	p[4].value = length;
	p[5].value = rev->sha256_hex;
	p[6].value = tsa_time;
	p[7].value = t.ip;
	p[8].value = t.ua;
	p[9].value = until;
	p[10].value = slen;
	p[11].value = rev->verification;
	if (rev->verification != NULL)
		return db_text_call(pool, sql_report, 12, p, NULL, cb, arg);
	return db_text_call(pool, sql, 11, p, NULL, cb, arg);
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
