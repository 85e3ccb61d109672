/*
 * signing_complete.c: the typed calls of the signing aggregate (db.h,
 * "signing.c"), second half: claiming a session, storing its revision
 * (the claim's path and the one-trip statement), abort, and the built-in
 * TSA's serial numbers. What both halves share is in signing_int.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signing_int.h"

/* ---- complete: claiming the session -------------------------------------------------------- */

void
db_signing_session_free(struct db_signing_session *s)
{
	if (s == NULL)
		return;
	if (!s->document_borrowed)
		free(s->document);
	free(s->signed_attrs);
	free(s->chain);
	free(s->cert_der);
	free(s->base_verification);
	free(s->base_refs);
	free(s);
}

int
db_signing_session_join(struct db_signing_session *s, const uint8_t *held, size_t held_len,
			size_t spare)
{
	int r;

	if (s->from_seq < 0)
		return SP_ERR_INVALID;
	if ((r = signing_held_join(&s->document, &s->document_len, &s->held_len, held, held_len,
				   spare)) == SP_OK)
		s->from_seq = -1;
	return r;
}

int
db_signing_session_join_room(struct db_signing_session *s, uint8_t *buf, size_t held_len,
			     size_t cap)
{
	if (s->from_seq < 0 || s->document_borrowed || buf == NULL || held_len != s->held_len ||
	    held_len > cap || s->document_len > cap - held_len)
		return SP_ERR_INVALID;
	if (s->document_len > 0)
		memcpy(buf + held_len, s->document, s->document_len);
	free(s->document);
	s->document = buf;
	s->document_borrowed = 1;
	s->document_len += held_len;
	s->held_len = 0;
	s->from_seq = -1;
	return SP_OK;
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
	C_LEFT,
	C_REFS,
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
	uint64_t number, base, orig, coff, clen, held = 0, left;
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
	    alen >= (int)sizeof(s->algorithm) || (from = signing_col_from(res, C_FROM)) < -1 ||
	    (from >= 0 && (db_col_uint(res, C_HLEN, 8, &held) != 0 || held == 0 ||
			   signing_col_sha(res, C_HSHA, s->held_sha256) != 0)) ||
	    signing_parts_join_tail(res, C_DOC, 0, rows - s->update_held,
				    s->update_held ? c->update : NULL,
				    s->update_held ? c->update_len : 0, &s->document,
				    &s->document_len) != 0 ||
	    db_col_bytes(res, C_ATTRS, &s->signed_attrs, &s->signed_attrs_len) != 0 ||
	    db_col_bytes(res, C_CHAIN, &s->chain, &s->chain_len) != 0 ||
	    db_col_bytes(res, C_CERT, &s->cert_der, &s->cert_len) != 0 ||
	    (!PQgetisnull(res, 0, C_REFS) &&
	     db_col_bytes(res, C_REFS, &s->base_refs, &s->base_refs_len) != 0))
		return -1;
	s->last_signer = PQgetvalue(res, 0, C_LAST)[0] != 0;
	s->signers_left =
		db_col_uint(res, C_LEFT, 8, &left) != 0 || left > INT32_MAX ? -1 : (int)left;
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
		dst[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] - 'A' + 'a' : id[i]);
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
/* What the base refers to, as its completion packed it (067; some tens of bytes): the
   completion need not walk the base when this process does not hold that set */
#define CLAIM_BASE_REFS \
	"(SELECT v.refs FROM revisions v " \
	"WHERE v.contract_number = s.contract_number AND v.seq = s.base_seq)"
/* The other organizations' signers that have not signed (db_signing_session.signers_left) */
#define CLAIM_LEFT \
	"(SELECT count(*) FROM parties p JOIN signing_sessions x ON x.id = $1::uuid " \
	"WHERE p.contract_number = s.contract_number AND p.role = 'signer' AND " \
	"p.organization_id <> x.organization_id AND p.status NOT IN ('signed', 'sent'))"
#define CLAIM_COLS \
	"s.contract_number, s.base_seq, d.part, s.orig_len, s.contents_off, s.contents_len, " \
	"CASE WHEN " CLAIM_FIRST " THEN s.signed_attrs END, s.algorithm, " \
	"CASE WHEN " CLAIM_FIRST " THEN s.chain END, " \
	"CASE WHEN " CLAIM_FIRST " THEN s.cert_der END, " \
	"s.tsa_serial, s.last_signer, s.archive_serial, " \
	"CASE WHEN " CLAIM_FIRST " AND NOT " CLAIM_VHELD " THEN " CLAIM_BASE_REPORT " END, " \
	"CASE WHEN " CLAIM_FIRST " THEN " CLAIM_VHELD " END, " \
	"coalesce(h.seq, -1), h.length, h.sha256, " \
	"CASE WHEN " CLAIM_FIRST " THEN " CLAIM_LEFT " END, " \
	"CASE WHEN " CLAIM_FIRST " THEN " CLAIM_BASE_REFS " END"
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
	if ((c = signing_call_new(arg)) != NULL) {
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
	signing_held_params(&p[2], held, hseq, hlen);
	if (held != NULL && held->report_len > 0)
		db_param_text(&p[5], db_i64_text(rlen, 24, (int64_t)held->report_len));
	if (upd)
		db_param_text(&p[6], db_i64_text(ulen, 24, (int64_t)held->update_len));
	if (token_hash != NULL) {
		p[1].value = token_hash;
		/* auth_member runs first: the claim takes its organization (LATERAL) */
		return signing_call_send(pool,
					 "SELECT " CLAIM_COLS ", " AUTH_COLS
					 " FROM auth_member($2) a CROSS JOIN LATERAL "
					 "signing_session_claim_head($1::uuid, a.organization_id, "
					 "$7::bigint) "
					 "s" CLAIM_PARTS,
					 7, p, 1, session_done, c);
	}
	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	p[1].value = org;
	return signing_call_send(pool,
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

/* What the new revision refers to, packed (067's p_refs, binary; NULL: none). */
static void
refs_param(struct db_param *p, const struct db_signed_revision *rev)
{
	memset(p, 0, sizeof(*p));
	if (rev->refs == NULL || rev->refs_len == 0 || rev->refs_len > INT32_MAX)
		return;
	p->value = (const char *)rev->refs;
	p->len = (int)rev->refs_len;
	p->binary = 1;
}

/* The reply asked for (040's p_minimal): "t" leaves the contract document out. */
static const char *
minimal_text(int minimal)
{
	return minimal ? "t" : "f";
}

int
db_signing_session_complete(struct db_pool *pool, const char *id, const struct db_actor *who,
			    const struct db_signed_revision *rev, int minimal, db_text_fn cb,
			    void *arg)
{
	/* $12: the reply's p_minimal */
	static const char sql[] =
		"SELECT signing_session_complete($1::uuid, $2::bigint, $3::bigint, $4::bytea, "
		"$5::bigint, $6, to_timestamp($7::bigint), $8::inet, $9, "
		"to_timestamp(nullif($10::bigint, 0)), nullif($11::bigint, 0), $12::boolean)::text";
	/* with the verification report ($12; p_minimal $13): the same call through 012's
	   wrapper */
	static const char sql_report[] =
		"SELECT signing_session_complete_verified($1::uuid, $2::bigint, $3::bigint, "
		"$4::bytea, $5::bigint, $6, to_timestamp($7::bigint), $12, "
		"to_timestamp(nullif($10::bigint, 0)), nullif($11::bigint, 0), $8::inet, $9, "
		"$13::boolean, $14::bytea)::text";
	struct db_param p[14];
	struct complete_texts n;

	if (id == NULL || rev->delta_len == 0 || rev->delta_len > INT32_MAX)
		return SP_ERR_INVALID;
	complete_params(p, &n, id, who, rev);
	if (rev->verification != NULL) {
		memset(&p[12], 0, 2 * sizeof(p[12]));
		p[12].value = minimal_text(minimal);
		refs_param(&p[13], rev);
		return db_text_call(pool, sql_report, 14, p, NULL, cb, arg);
	}
	p[11].value = minimal_text(minimal);
	return db_text_call(pool, sql, 12, p, NULL, cb, arg);
}

int
db_signing_session_complete_held(struct db_pool *pool, const char *id,
				 const struct db_session_held *h, const struct db_actor *who,
				 const struct db_signed_revision *rev, int minimal, db_text_fn cb,
				 void *arg)
{
	/* 035: the claim's checks (SPS35 when one does not hold), then the completion as
	   db_signing_session_complete's sql_report, with the same parameters; $20 the
	   reply's p_minimal (040) */
	static const char sql[] =
		"SELECT signing_session_complete_held($13, $1::uuid, $2::bigint, $3::bigint, "
		"$14::bigint, $15::integer, $16::bigint, $17, $18::bigint, $4::bytea, $5::bigint, "
		"$6, to_timestamp($7::bigint), $12, to_timestamp(nullif($10::bigint, 0)), "
		"nullif($11::bigint, 0), $8::inet, $9, $19::boolean, $20::boolean, "
		"$21::bytea)::text";
	struct db_param p[21];
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
	p[19].value = minimal_text(minimal);
	refs_param(&p[20], rev);
	return db_text_call(pool, sql, 21, p, NULL, cb, arg);
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
	struct call *c = signing_call_new(arg);

	if (c != NULL)
		c->serial = cb;
	return signing_call_send(pool, "SELECT nextval('tsa_serial')", 0, NULL, 1, serial_done, c);
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
	/* v is set whenever ei.code is SP_OK */
	/* NOLINTBEGIN(clang-analyzer-core.NullDereference) */
	for (i = 0; ei.code == SP_OK && i < n; i++)
		if (PQgetisnull(res, i, 0) || PQgetlength(res, i, 0) != 8 ||
		    (v[i] = sp_load_ben((const unsigned char *)PQgetvalue(res, i, 0), 8)) == 0)
			sp_err(&ei, SP_ERR_INTERNAL, "the TSA serials do not decode");
	/* NOLINTEND(clang-analyzer-core.NullDereference) */
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
	if ((c = signing_call_new(arg)) != NULL)
		c->serials = cb;
	memset(p, 0, sizeof(p));
	db_param_text(&p[0], db_i64_text(num, sizeof(num), n));
	return signing_call_send(pool,
				 "SELECT nextval('tsa_serial') FROM generate_series(1, "
				 "$1::integer)",
				 1, p, 1, serials_done, c);
}
