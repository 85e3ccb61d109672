/*
 * test_db_signing.c: the signing statements of db/signing.c on the pool
 * (test_db.c) against a real PostgreSQL: a signing's document loaded in
 * parts (migration 017) and the check that takes no lock. The one-trip
 * prepare, claim and completion: test_db_signing_held.c. Each test in a
 * database of its own (test_db.h).
 */
#include "test_db.h"
#include "support_suite.h"

/* ---- a signing's document in parts (db/signing.c, migration 017) ----- */

struct loaded {
	int calls;
	struct db_revision_doc *doc;
	struct db_signing_session *s;
	struct sp_errinfo err;
};

static void
on_doc(void *arg, struct db_revision_doc *doc, const struct sp_errinfo *err)
{
	struct loaded *l = arg;

	l->calls++;
	l->doc = doc;
	l->err = *err;
}

static void
on_session(void *arg, struct db_signing_session *s, const struct sp_errinfo *err)
{
	struct loaded *l = arg;

	l->calls++;
	l->s = s;
	l->err = *err;
}

static struct loaded
load_held(struct event_base *base, struct db_pool *pool, int seq, size_t len, const char *sha)
{
	struct db_doc_held h = { seq, len, sha, 0, NULL, 0 };
	struct loaded l;
	int n = 0;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, &h, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.calls, 1);
	return l;
}

/* The contract's verification load of the parts contract, as organization 2, holding seq. */
static struct loaded
verification_held(struct event_base *base, struct db_pool *pool, int seq, size_t len,
		  const char *sha)
{
	struct db_doc_held h = { seq, len, sha, 0, NULL, 0 };
	struct loaded l;
	int n = 0;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_verification_document_load(pool, 1000000000000000007LL, 2,
						       seq >= 0 ? &h : NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.calls, 1);
	return l;
}

/* The claim of session sid, holding what h says: its reply. */
static struct loaded
claim_with(struct event_base *base, struct db_pool *pool, const char *sid,
	   const struct db_doc_held *h)
{
	struct loaded l;
	int n = 0;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_signing_session_claim_auth(pool, PARTS_TOKEN_HASH, sid, h, on_session,
						       &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.calls, 1);
	return l;
}

/* The claim of session sid, holding revision seq (and a report of report bytes). */
static struct loaded
claim_held(struct event_base *base, struct db_pool *pool, const char *sid, int seq, size_t len,
	   const char *sha, size_t report)
{
	struct db_doc_held h = { seq, len, sha, report, NULL, 0 };

	return claim_with(base, pool, sid, &h);
}

/* The claim of session sid holding revision seq (-1: none) and the session's update upd. */
static struct loaded
claim_update_held(struct event_base *base, struct db_pool *pool, const char *sid, int seq,
		  size_t len, const char *sha, const char *upd, size_t ulen)
{
	struct db_doc_held h = { seq, len, sha, 0, (const uint8_t *)upd, ulen };

	return claim_with(base, pool, sid, &h);
}

/*
 * Prepare's load and completion's claim read the stored updates as rows and
 * put them end to end: the document is byte for byte revision_document's
 * (and, for the claim, the session's update after it), and parts that do not
 * make the stored length are refused.
 */
START_TEST(signing_document_in_parts)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool;
	struct loaded l;
	char *want, *sid;
	int wlen, n;

	parts_contract();
	admin_exec(db_url, PARTS_REVISION(1) PARTS_REVISION(2));
	pool = pool_open(base, db_url, 1, 10, 10000);
	want = query_value(base, pool, "SELECT revision_document(" PARTS_N ", 2)", 1, &wlen);
	ck_assert_int_eq(wlen, 70009 + 2 * 36000);

	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_msg(l.err.code == SP_OK, "prepare load: %s", l.err.msg);
	ck_assert_int_eq(l.doc->seq, 2);
	ck_assert_int_eq((int)l.doc->len, wlen);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	ck_assert_int_eq((int)l.doc->cred.organization_id, 2);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->length, wlen);
	ck_assert_str_eq(l.doc->sha256, ZEROS64);
	db_revision_doc_free(l.doc);

	/* Holding revision 1 as stored: only revision 2's update comes, and with the held
	   bytes before it the document is the same. */
	l = load_held(base, pool, 1, 70009 + 36000, ZEROS64);
	ck_assert_msg(l.err.code == SP_OK, "held load: %s", l.err.msg);
	ck_assert_int_eq(l.doc->seq, 2);
	ck_assert_int_eq(l.doc->from_seq, 1);
	ck_assert_int_eq((int)l.doc->held_len, 70009 + 36000);
	ck_assert_str_eq(l.doc->held_sha256, ZEROS64);
	ck_assert_int_eq((int)l.doc->len, 36000);
	ck_assert(memcmp(l.doc->data, want + 70009 + 36000, 36000) == 0);
	ck_assert_int_eq(db_revision_doc_join(l.doc, (const uint8_t *)want, 70009 + 35999),
			 SP_ERR_INVALID);
	ck_assert_int_eq(db_revision_doc_join(l.doc, (const uint8_t *)want, 70009 + 36000), SP_OK);
	ck_assert_int_eq((int)l.doc->len, wlen);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	ck_assert_int_eq(l.doc->from_seq, -1);
	db_revision_doc_free(l.doc);
	/* Holding the latest: no update at all, the other columns still come. */
	l = load_held(base, pool, 2, (size_t)wlen, ZEROS64);
	ck_assert_msg(l.err.code == SP_OK, "latest held: %s", l.err.msg);
	ck_assert_int_eq(l.doc->from_seq, 2);
	ck_assert_int_eq((int)l.doc->len, 0);
	ck_assert_int_eq((int)l.doc->held_len, wlen);
	ck_assert_int_eq((int)l.doc->cred.organization_id, 2);
	db_revision_doc_free(l.doc);
	/* What is held is not what is stored (digest, length, a revision not there): the
	   whole document comes, as without. */
	l = load_held(base, pool, 2, (size_t)wlen, ONES64);
	ck_assert_msg(l.err.code == SP_OK, "mismatched digest: %s", l.err.msg);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	db_revision_doc_free(l.doc);
	l = load_held(base, pool, 1, 70009 + 36001, ZEROS64);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	db_revision_doc_free(l.doc);
	l = load_held(base, pool, 3, (size_t)wlen + 10, ZEROS64);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	db_revision_doc_free(l.doc);
	/* the contract's verification: the same three ways */
	l = verification_held(base, pool, -1, 0, NULL);
	ck_assert_msg(l.err.code == SP_OK, "verification load: %s", l.err.msg);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	db_revision_doc_free(l.doc);
	l = verification_held(base, pool, 1, 70009 + 36000, ZEROS64);
	ck_assert_msg(l.err.code == SP_OK, "verification holding 1: %s", l.err.msg);
	ck_assert_int_eq(l.doc->from_seq, 1);
	ck_assert_int_eq((int)l.doc->len, 36000);
	ck_assert_int_eq(db_revision_doc_join(l.doc, (const uint8_t *)want, 70009 + 36000), SP_OK);
	ck_assert(memcmp(l.doc->data, want, (size_t)wlen) == 0);
	db_revision_doc_free(l.doc);
	l = verification_held(base, pool, 2, (size_t)wlen, ZEROS64);
	ck_assert_int_eq(l.doc->from_seq, 2);
	ck_assert_int_eq((int)l.doc->len, 0);
	db_revision_doc_free(l.doc);
	l = verification_held(base, pool, 2, (size_t)wlen, ONES64);
	ck_assert_int_eq(l.doc->from_seq, -1);
	ck_assert_int_eq((int)l.doc->len, wlen);
	db_revision_doc_free(l.doc);

	sid = query_value(base, pool,
			  "SELECT signing_session_create(" PARTS_N
			  ", 2, 2, 2, '\\x0102030405'::bytea, "
			  "142010, 3, '\\x31'::bytea, 'sha256WithRSAEncryption', ''::bytea, '[]', "
			  "600, "
			  "int8send(2::bigint), 'CN=B', 'CN=CA', '2', now() - interval '1 day', "
			  "now() + interval '1 year', NULL)->>'session'",
			  0, NULL);
	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_session_claim_auth(pool, PARTS_TOKEN_HASH, sid, NULL,
						       on_session, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_msg(l.err.code == SP_OK, "claim: %s", l.err.msg);
	ck_assert_int_eq(l.s->base_seq, 2);
	ck_assert_int_eq((int)l.s->orig_len, wlen);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	ck_assert(memcmp(l.s->document + wlen, "\x01\x02\x03\x04\x05", 5) == 0);
	ck_assert_int_eq((int)l.s->signed_attrs_len, 1);
	ck_assert_int_eq((int)l.s->cert_len, 8);
	ck_assert_int_eq(l.s->from_seq, -1);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	db_signing_session_free(l.s);
	/* The claim holding the base: the session's update alone comes; holding revision 1:
	   revision 2's update too; a mismatch: everything. */
	l = claim_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, 0);
	ck_assert_msg(l.err.code == SP_OK, "held claim: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, 2);
	ck_assert_int_eq((int)l.s->held_len, wlen);
	ck_assert_int_eq((int)l.s->document_len, 5);
	ck_assert_int_eq((int)l.s->orig_len, wlen);
	ck_assert_int_eq((int)l.s->signed_attrs_len, 1);
	ck_assert_int_eq((int)l.s->cert_len, 8);
	ck_assert_int_eq(db_signing_session_join(l.s, (const uint8_t *)want, (size_t)wlen, 0),
			 SP_OK);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	ck_assert(memcmp(l.s->document + wlen, "\x01\x02\x03\x04\x05", 5) == 0);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	db_signing_session_free(l.s);
	/* holding the base with its report (9 bytes): the report is not sent, all else is
	   the same; a report of another length is not the one stored: it is sent */
	l = claim_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, 9);
	ck_assert_msg(l.err.code == SP_OK, "held claim with the report: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, 2);
	ck_assert_int_eq((int)l.s->document_len, 5);
	ck_assert_int_eq((int)l.s->signed_attrs_len, 1);
	ck_assert_ptr_null(l.s->base_verification);
	ck_assert_int_eq(l.s->base_verification_held, 1);
	db_signing_session_free(l.s);
	l = claim_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, 8);
	ck_assert_msg(l.err.code == SP_OK, "held claim, another report: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, 2);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	db_signing_session_free(l.s);
	/* holding an older revision's report: the base's is sent */
	l = claim_held(base, pool, sid, 1, 70009 + 36000, ZEROS64, 9);
	ck_assert_msg(l.err.code == SP_OK, "claim holding 1: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, 1);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	ck_assert_int_eq((int)l.s->document_len, 36000 + 5);
	ck_assert_int_eq(db_signing_session_join(l.s, (const uint8_t *)want, 70009 + 36000, 0),
			 SP_OK);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	db_signing_session_free(l.s);
	l = claim_held(base, pool, sid, 2, (size_t)wlen, ONES64, 9);
	ck_assert_msg(l.err.code == SP_OK, "mismatched claim: %s", l.err.msg);
	ck_assert_int_eq(l.s->from_seq, -1);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	ck_assert_int_eq(l.s->base_verification_held, 0);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	db_signing_session_free(l.s);
	/* Holding the session's update as prepare stored it (5 bytes): PostgreSQL leaves it
	   out and the document is the same, with the base held or without; an update of
	   another length is not the one stored: it is sent, as it is by a process that
	   holds none (the claims above). */
	l = claim_update_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, "\x01\x02\x03\x04\x05", 5);
	ck_assert_msg(l.err.code == SP_OK, "claim holding the update: %s", l.err.msg);
	ck_assert_int_eq(l.s->update_held, 1);
	ck_assert_int_eq(l.s->from_seq, 2);
	ck_assert_int_eq((int)l.s->document_len, 5);
	ck_assert_int_eq((int)l.s->orig_len, wlen);
	ck_assert_int_eq((int)l.s->contents_off, 142010);
	ck_assert_int_eq((int)l.s->signed_attrs_len, 1);
	ck_assert_int_eq(db_signing_session_join(l.s, (const uint8_t *)want, (size_t)wlen, 0),
			 SP_OK);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	ck_assert(memcmp(l.s->document + wlen, "\x01\x02\x03\x04\x05", 5) == 0);
	db_signing_session_free(l.s);
	l = claim_update_held(base, pool, sid, -1, 0, NULL, "\x01\x02\x03\x04\x05", 5);
	ck_assert_msg(l.err.code == SP_OK, "claim holding the update alone: %s", l.err.msg);
	ck_assert_int_eq(l.s->update_held, 1);
	ck_assert_int_eq(l.s->from_seq, -1);
	ck_assert_int_eq((int)l.s->document_len, wlen + 5);
	ck_assert(memcmp(l.s->document, want, (size_t)wlen) == 0);
	ck_assert(memcmp(l.s->document + wlen, "\x01\x02\x03\x04\x05", 5) == 0);
	ck_assert_str_eq(l.s->base_verification, "{\"seq\":2}");
	db_signing_session_free(l.s);
	l = claim_update_held(base, pool, sid, 2, (size_t)wlen, ZEROS64, "\x01\x02\x03\x04", 4);
	ck_assert_msg(l.err.code == SP_OK, "claim holding another update: %s", l.err.msg);
	ck_assert_int_eq(l.s->update_held, 0);
	ck_assert_int_eq((int)l.s->document_len, 5);
	ck_assert(memcmp(l.s->document, "\x01\x02\x03\x04\x05", 5) == 0);
	db_signing_session_free(l.s);

	/* A stored length the parts do not make (a superuser's edit): both refuse. */
	admin_exec(db_url,
		   "ALTER TABLE revisions DISABLE TRIGGER revisions_immutable;"
		   "UPDATE revisions SET length = length + 1 WHERE contract_number = " PARTS_N
		   " AND seq = 2;"
		   "ALTER TABLE revisions ENABLE TRIGGER revisions_immutable");
	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.err.code, SP_ERR_INTERNAL);
	ck_assert_ptr_null(l.doc);
	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_session_claim_auth(pool, PARTS_TOKEN_HASH, sid, NULL,
						       on_session, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.err.code, SP_ERR_INTERNAL);
	ck_assert_ptr_null(l.s);
	/* holding revision 1, the parts after it do not make the edited length either */
	l = load_held(base, pool, 1, 70009 + 36000, ZEROS64);
	ck_assert_int_eq(l.err.code, SP_ERR_INTERNAL);
	ck_assert_ptr_null(l.doc);
	l = verification_held(base, pool, 1, 70009 + 36000, ZEROS64);
	ck_assert_int_eq(l.err.code, SP_ERR_INTERNAL);
	ck_assert_ptr_null(l.doc);
	free(sid);
	free(want);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

/* One statement on a connection of its own (a transaction left open stays open). */
static PGresult *
raw_exec(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);

	ck_assert_ptr_nonnull(res);
	return res;
}

/*
 * Prepare's check (signing_prepare_check, 024) reads the contract and the
 * signer's party without locking them: a prepare is answered while another
 * transaction holds them locked (as a completion of the contract does), with
 * the same refusal as before once that one has signed; prepare's write
 * (signing_session_open, through wf_party_turn's rule) and the completion
 * still lock.
 */
START_TEST(signing_check_takes_no_lock)
{
	struct event_base *base = event_base_new();
	struct db_pool *pool;
	struct sp_errinfo ei;
	struct loaded l;
	PGconn *holder, *writer;
	PGresult *res;
	char path[1024];
	const char *src = getenv("SEALPACT_SOURCE_DIR");
	int applied = 0, n = 0;

	ck_assert_ptr_nonnull(src);
	snprintf(path, sizeof(path), "%s/migrations", src);
	sp_errinfo_init(&ei);
	ck_assert_msg(db_migrate(db_url, path, &applied, &ei) == SP_OK, "migrate: %s", ei.msg);
	holder = PQconnectdb(db_url);
	ck_assert_int_eq(PQstatus(holder), CONNECTION_OK);
	res = raw_exec(
		holder,
		"INSERT INTO organizations (name, credit_code) VALUES "
		"('A', '911100000000000011'), ('B', '911100000000000022');"
		"INSERT INTO users (kind, organization_id, name) "
		"SELECT 'member', id, name FROM organizations;"
		"INSERT INTO certificates (organization_id, user_id, fingerprint, subject, "
		"issuer, serial, not_before, not_after, der) SELECT u.organization_id, u.id, "
		"encode(sha256(int8send(u.id)), 'hex'), 'CN=' || u.name, 'CN=CA', to_hex(u.id), "
		"now() - interval '1 day', now() + interval '1 year', int8send(u.id) FROM users "
		"u;"
		"INSERT INTO sessions (token_hash, user_id, organization_id, kind, "
		"certificate_id, expires_at) SELECT '" PARTS_TOKEN_HASH
		"', u.id, u.organization_id, 'member', c.id, now() + interval '1 hour' "
		"FROM users u JOIN certificates c ON c.user_id = u.id WHERE u.name = 'B';"
		"SELECT contract_create(" PARTS_N ", 1, 1, 'Locks', NULL, NULL, "
		"'[{\"credit_code\": \"911100000000000022\", \"role\": \"signer\", "
		"\"routing_order\": 1}]', d, encode(sha256(d), 'hex'), 1, NULL, NULL) "
		"FROM (SELECT convert_to('%PDF-1.4 ' || repeat('x', 1000), 'UTF8') d) x;"
		"SELECT contract_send(" PARTS_N ", 1, 1, NULL);"
		"SELECT contract_receive(" PARTS_N ", 2, 2, NULL);");
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "set-up: %s",
		      PQresultErrorMessage(res));
	PQclear(res);
	/* another transaction holds the contract and the signer's party locked */
	res = raw_exec(holder, "BEGIN; SELECT 1 FROM contracts WHERE number = " PARTS_N
			       " FOR UPDATE; SELECT 1 FROM parties WHERE contract_number = " PARTS_N
			       " AND organization_id = 2 FOR UPDATE");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	/* a pool whose statements give up after 3 s: a check that waited would fail */
	pool = pool_open(base, db_url, 1, 10, 3000);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_msg(l.err.code == SP_OK, "prepare's check under the lock: %s", l.err.msg);
	ck_assert_int_eq(l.doc->seq, 0);
	ck_assert_int_eq((int)l.doc->len, 1009);
	db_revision_doc_free(l.doc);
	/* prepare's write and the completion still wait for the lock */
	writer = PQconnectdb(db_url);
	ck_assert_int_eq(PQstatus(writer), CONNECTION_OK);
	PQclear(raw_exec(writer, "SET lock_timeout = '200ms'"));
	res = raw_exec(writer, "SELECT wf_party_turn(" PARTS_N ", 2, 'sign')");
	ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "55P03");
	PQclear(res);
	/* once the holder has signed, the check refuses as it did */
	res = raw_exec(holder,
		       "UPDATE parties SET status = 'signed' WHERE contract_number = " PARTS_N
		       " AND organization_id = 2; COMMIT");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	memset(&l, 0, sizeof(l));
	n = 0;
	ck_assert_int_eq(db_signing_prepare_load_auth(pool, PARTS_TOKEN_HASH, 1000000000000000007LL,
						      0, NULL, on_doc, &l),
			 SP_OK);
	while (l.calls == 0 && n++ < 3000)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(l.err.code, SP_ERR_CONFLICT);
	ck_assert_str_eq(l.err.sqlstate, "SP409");
	ck_assert_str_eq(l.err.msg, "your party is signed");
	ck_assert_ptr_null(l.doc);
	PQfinish(writer);
	PQfinish(holder);
	db_pool_free(pool);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_signing");
	TCase *tc = test_tcase(s, "signing", db_setup, db_teardown, 1, 120);

	tcase_add_test(tc, signing_document_in_parts);
	tcase_add_test(tc, signing_check_takes_no_lock);
	return test_suite_run(s);
}
