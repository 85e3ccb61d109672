/*
 * test_migrate_schema.c: the schema of migrations/ as a user of the database
 * sees it: its constraints and triggers refuse what they must (credit codes,
 * deletions of identities, signing and party rules, each as before the
 * migration that rewrote it), revisions reassemble from their deltas, the
 * audit trail is one tamper-evident chain. Each test works in a database of
 * its own in the suite's throwaway cluster (test_migrate.h).
 */
#include "test_migrate.h"
#include "support_suite.h"

/* ---- the schema --------------------------------------------------------- */

#define CONTRACT "1234567890123456789"

/* A migrated database with one organization, one contract and a signer. */
/* The rows the schema tests start from: two organizations, a contract, its signer. */
static void
schema_rows(PGconn *pg)
{
	q1(pg, "INSERT INTO organizations (name, credit_code) VALUES "
	       "('Initiator Co', '91110000MA01ABCD2X'), ('Supplier Co', '91310115MA1K3YJ12N')");
	q1(pg, "INSERT INTO users (kind, organization_id, name) VALUES ('member', 1, 'Ann')");
	q1(pg, "INSERT INTO contracts (number, name, initiator_org_id, initiator_user_id) "
	       "VALUES (" CONTRACT ", 'Supply agreement', 1, 1)");
	q1(pg, "INSERT INTO parties (contract_number, organization_id, role, routing_order) "
	       "VALUES (" CONTRACT ", 2, 'signer', 1)");
	q1(pg, "INSERT INTO certificates (organization_id, fingerprint, subject, issuer, serial, "
	       "not_before, not_after, der) VALUES (2, encode(sha256('\\x3082'), 'hex'), "
	       "'CN=Supplier', 'CN=CA', '0a', now(), now() + interval '1 year', '\\x3082')");
}

static PGconn *
schema_db(void)
{
	PGconn *pg;

	migrate_ok(mig_dir, count_migrations(mig_dir));
	pg = connect_to(db_url);
	schema_rows(pg);
	return pg;
}

START_TEST(credit_code_and_duplicates_refused)
{
	PGconn *pg = schema_db();

	/* 17 characters, a letter outside the code's alphabet, lower case. */
	q_fails(pg,
		"INSERT INTO organizations (name, credit_code) "
		"VALUES ('Short', '91110000MA01ABCD2')",
		"23514");
	q_fails(pg,
		"INSERT INTO organizations (name, credit_code) "
		"VALUES ('Bad', '91110000MA01ABCDIX')",
		"23514");
	q_fails(pg,
		"INSERT INTO organizations (name, credit_code) "
		"VALUES ('Lower', '91110000ma01abcd2x')",
		"23514");
	q_fails(pg,
		"INSERT INTO organizations (name, credit_code) "
		"VALUES ('Again', '91110000MA01ABCD2X')",
		"23505");
	/* The same organization twice as signer of one contract. */
	q_fails(pg,
		"INSERT INTO parties (contract_number, organization_id, role) "
		"VALUES (" CONTRACT ", 2, 'signer')",
		"23505");
	/* ... though it may also be cc'd, and an unknown role or state is refused. */
	q1(pg, "INSERT INTO parties (contract_number, organization_id, role) "
	       "VALUES (" CONTRACT ", 2, 'cc')");
	q_fails(pg,
		"INSERT INTO parties (contract_number, organization_id, role) "
		"VALUES (" CONTRACT ", 1, 'boss')",
		"23514");
	q_fails(pg, "UPDATE parties SET status = 'rejected' WHERE id = 1", "23514");
	q1(pg, "UPDATE parties SET status = 'rejected', reject_reason = 'price' WHERE id = 1");
	q_fails(pg, "UPDATE contracts SET status = 'lost'", "23514");
	/* A contract number has 19 digits; a certificate's fingerprint is its DER's. */
	q_fails(pg,
		"INSERT INTO contracts (number, name, initiator_org_id) "
		"VALUES (123456789012345678, 'short', 1)",
		"23514");
	q_fails(pg,
		"INSERT INTO certificates (organization_id, fingerprint, subject, issuer, "
		"serial, not_before, not_after, der) VALUES (2, repeat('a', 64), 'CN=x', "
		"'CN=CA', '0b', now(), now() + interval '1 day', '\\x3083')",
		"23514");
	/* A member needs an organization; a reviewer has none. */
	q_fails(pg, "INSERT INTO users (kind, name) VALUES ('member', 'Nobody')", "23514");
	q1(pg, "INSERT INTO users (kind, name) VALUES ('reviewer', 'Rita')");
	PQfinish(pg);
}
END_TEST

/*
 * Organizations, users and certificates are never deleted nor renumbered
 * (024: the audit trail names them; the foreign keys of the signing's
 * inserts to them are gone): refused with 23503 as a foreign key refused it,
 * also for a row nothing references yet and for TRUNCATE.
 */
START_TEST(identities_never_deleted)
{
	PGconn *pg = schema_db();

	q1(pg, "INSERT INTO organizations (name, credit_code) "
	       "VALUES ('Unused Co', '91440300MA5FXXXX0A')");
	q_fails(pg, "DELETE FROM organizations WHERE name = 'Unused Co'", "23503");
	q_fails(pg, "DELETE FROM organizations", "23503");
	q_fails(pg, "UPDATE organizations SET id = DEFAULT WHERE name = 'Unused Co'", "23503");
	q_fails(pg, "TRUNCATE organizations CASCADE", "23503");
	q1(pg, "INSERT INTO users (kind, name) VALUES ('reviewer', 'Rita')");
	q_fails(pg, "DELETE FROM users WHERE name = 'Rita'", "23503");
	q_fails(pg, "UPDATE users SET id = DEFAULT WHERE name = 'Rita'", "23503");
	q_fails(pg, "TRUNCATE users CASCADE", "23503");
	q_fails(pg, "DELETE FROM certificates", "23503");
	q_fails(pg, "UPDATE certificates SET id = DEFAULT", "23503");
	q_fails(pg, "TRUNCATE certificates CASCADE", "23503");
	/* the rest of a row changes as before */
	q1(pg, "UPDATE users SET name = 'Rita B' WHERE name = 'Rita'");
	q1(pg, "UPDATE certificates SET revoked_at = now()");
	ck_assert_str_eq(q1(pg, "SELECT count(*) FROM organizations"), "3");
	PQfinish(pg);
}
END_TEST

START_TEST(revisions_reassemble_from_deltas)
{
	PGconn *pg = schema_db();

	q1(pg,
	   "INSERT INTO revisions (contract_number, seq, delta, length, sha256) VALUES (" CONTRACT
	   ", 0, '%PDF-1.7 base', 13, encode(sha256('%PDF-1.7 base'), 'hex'))");
	q1(pg, "INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
	       "certificate_id) VALUES (" CONTRACT ", 1, ' +sig1', 19, "
	       "encode(sha256('%PDF-1.7 base +sig1'), 'hex'), 1, 1)");
	q1(pg, "INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
	       "certificate_id) VALUES (" CONTRACT ", 2, ' +sig2', 25, "
	       "encode(sha256('%PDF-1.7 base +sig1 +sig2'), 'hex'), 1, 1)");
	ck_assert_str_eq(q1(pg, "SELECT convert_from(revision_document(" CONTRACT ", 2), 'UTF8')"),
			 "%PDF-1.7 base +sig1 +sig2");
	ck_assert_str_eq(q1(pg, "SELECT convert_from(revision_document(" CONTRACT ", 1), 'UTF8')"),
			 "%PDF-1.7 base +sig1");
	ck_assert_str_eq(q1(pg, "SELECT convert_from(revision_document(" CONTRACT ", 0), 'UTF8')"),
			 "%PDF-1.7 base");
	ck_assert_str_eq(q1(pg, "SELECT revision_document(" CONTRACT ", 3) IS NULL"), "t");
	/* Only the delta is stored. */
	ck_assert_str_eq(q1(pg, "SELECT length(delta) FROM revisions WHERE seq = 2"), "6");
	/*
	 * A wrong full length, a wrong upload digest, a gap, or a rewrite is
	 * refused. A later revision's digest is the server's (it hashes the
	 * document it built and verified): the trigger checks the predecessor's
	 * length plus the delta instead of rebuilding the whole document (011).
	 */
	q_fails(pg,
		"INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
		"certificate_id) VALUES (" CONTRACT ", 3, 'x', 1, repeat('0', 64), 1, 1)",
		"23514");
	q_fails(pg,
		"INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
		"certificate_id) VALUES (" CONTRACT ", 3, 'x', 27, repeat('0', 64), 1, 1)",
		"23514");
	q_fails(pg,
		"INSERT INTO revisions (contract_number, seq, delta, length, sha256) VALUES "
		"(1234567890123456780, 0, '%PDF-1.7 other', 14, repeat('0', 64))",
		"23514");
	q_fails(pg,
		"INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
		"certificate_id) VALUES (" CONTRACT ", 5, 'x', 26, repeat('0', 64), 1, 1)",
		"23503");
	q_fails(pg, "UPDATE revisions SET delta = ' +evil' WHERE seq = 1", "23514");
	PQfinish(pg);
}
END_TEST

/*
 * The one-column rules of the tables a signing writes are domains since 026
 * (checked once per backend, not parsed again at every statement): the same
 * values are refused with the same SQLSTATE, by INSERT and by UPDATE, and the
 * signing's bytes keep 014's lz4 though their columns changed type.
 */
#define SESSION_COLS \
	"INSERT INTO signing_sessions (contract_number, party_id, organization_id, user_id, " \
	"certificate_id, base_seq, delta, contents_off, contents_len, signed_attrs, algorithm, " \
	"expires_at) VALUES (" CONTRACT ", 1, 2, 1, 1, "
#define SESSION_OK "0, '\\x01', 10, 20, '\\x30', 'SM2-with-SM3', now() + interval '1 hour')"

START_TEST(signing_rules_refused_as_before)
{
	PGconn *pg = schema_db();

	q1(pg,
	   "INSERT INTO revisions (contract_number, seq, delta, length, sha256) VALUES (" CONTRACT
	   ", 0, '%PDF-1.7 base', 13, encode(sha256('%PDF-1.7 base'), 'hex'))");
	q_fails(pg,
		"INSERT INTO revisions (contract_number, seq, delta, length, sha256) VALUES "
		"(" CONTRACT ", -1, 'x', 1, repeat('0', 64))",
		"23514");
	q_fails(pg,
		"INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
		"certificate_id) VALUES (" CONTRACT ", 1, ' +sig1', 19, repeat('A', 64), 1, 1)",
		"23514");
	q_fails(pg,
		"INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
		"certificate_id) VALUES (" CONTRACT ", 1, '', 13, repeat('0', 64), 1, 1)",
		"23514");
	q1(pg, SESSION_COLS SESSION_OK);
	q_fails(pg, SESSION_COLS "-1, '\\x01', 10, 20, '\\x30', 'SM2-with-SM3', now())", "23514");
	q_fails(pg, SESSION_COLS "0, '\\x01', 10, 2, '\\x30', 'SM2-with-SM3', now())", "23514");
	q_fails(pg, SESSION_COLS "0, '\\x01', 10, 20, '\\x30', 'md5WithRSA', now())", "23514");
	q_fails(pg, SESSION_COLS "0, '\\x01', 10, 20, '', 'SM2-with-SM3', now())", "23514");
	q_fails(pg, "UPDATE signing_sessions SET state = 'lost'", "23514");
	q_fails(pg, "UPDATE signing_sessions SET contents_off = 0", "23514");
	/* the update is written once (034): a claim may take it from the process that wrote it */
	q_fails(pg, "UPDATE signing_sessions SET delta = '\\x02'", "23514");
	q1(pg, "UPDATE signing_sessions SET delta = delta");
	/* the rule over two columns stays the table's */
	q_fails(pg, "UPDATE signing_sessions SET finished_at = now()", "23514");
	q1(pg, "UPDATE signing_sessions SET state = 'aborted', finished_at = now()");
	ck_assert_str_eq(q1(pg, "SELECT delta IS NULL FROM signing_sessions"), "t");
	q_fails(pg,
		"INSERT INTO audit_events (action, object_type, object_id) "
		"VALUES ('Seal approve', 'seal', '9')",
		"23514");
	q_fails(pg,
		"INSERT INTO audit_events (action, object_type, object_id, details) "
		"VALUES ('seal.approve', 'seal', '9', '[1]')",
		"23514");
	q_fails(pg,
		"INSERT INTO audit_events (action, object_type, object_id) "
		"VALUES ('seal.approve', 'seal', '')",
		"23514");
	q_fails(pg,
		"INSERT INTO org_audit_events (organization_id, action, object_type, object_id) "
		"VALUES (1, 'login', 'User', '1')",
		"23514");
	/* lz4 where this server has it (014 and 026 fall back to pglz otherwise) */
	ck_assert_str_eq(q1(pg,
			    "SELECT string_agg(attcompression::text, ',' ORDER BY attrelid, "
			    "attname) = CASE WHEN 'lz4' = ANY (enumvals) THEN 'l,l,l,l' ELSE ',,,' "
			    "END FROM pg_attribute, pg_settings WHERE name = "
			    "'default_toast_compression' AND (attrelid, attname) IN "
			    "(('revisions'::regclass, 'delta'), ('revisions'::regclass, "
			    "'verification'), ('signing_sessions'::regclass, 'delta'), "
			    "('signing_sessions'::regclass, 'chain')) GROUP BY enumvals"),
			 "t");
	PQfinish(pg);
}
END_TEST

START_TEST(audit_chain_links_and_detects_tampering)
{
	PGconn *pg = schema_db();
	int i;

	for (i = 0; i < 5; i++)
		q1(pg, "INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, "
		       "action, object_type, object_id, ip, details) VALUES (" CONTRACT ", 1, 1, "
		       "'contract.sign', 'contract', '" CONTRACT "', '192.0.2.7', "
		       "'{\"page\": 1, \"mode\": \"seam\"}')");
	q1(pg, "INSERT INTO audit_events (action, object_type, object_id) "
	       "VALUES ('seal.approve', 'seal', '9')");
	/* Each event's prev_hash is the previous event's hash; the first's is zero. */
	ck_assert_str_eq(q1(pg, "SELECT count(*) FROM audit_events e JOIN audit_events p "
				"ON p.contract_number = e.contract_number AND p.seq = e.seq - 1 "
				"WHERE e.prev_hash = p.hash"),
			 "4");
	ck_assert_str_eq(q1(pg, "SELECT prev_hash = decode(repeat('00', 32), 'hex') FROM "
				"audit_events WHERE contract_number = " CONTRACT " AND seq = 1"),
			 "t");
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(" CONTRACT
			    ")"),
			 "true 5");
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(NULL)"),
			 "true 1");
	/* Session time zone or date style does not change the hash. */
	q1(pg, "SET TimeZone = 'Asia/Shanghai'");
	q1(pg, "SET DateStyle = 'German'");
	ck_assert_str_eq(q1(pg, "SELECT valid FROM audit_chain_verify(" CONTRACT ")"), "t");
	/* The table refuses edits ... */
	q_fails(pg, "UPDATE audit_events SET action = 'contract.reject' WHERE seq = 3", "42501");
	q_fails(pg, "DELETE FROM audit_events WHERE seq = 5", "42501");
	/* ... and when someone bypasses the triggers, the chain tells. */
	q1(pg, "SET session_replication_role = replica");
	q1(pg, "UPDATE audit_events SET details = '{\"page\": 2, \"mode\": \"seam\"}' "
	       "WHERE contract_number = " CONTRACT " AND seq = 3");
	q1(pg, "SET session_replication_role = DEFAULT");
	ck_assert_str_eq(q1(pg, "SELECT valid::text || ' ' || first_bad_seq || ' ' || reason "
				"FROM audit_chain_verify(" CONTRACT ")"),
			 "false 3 hash does not match the event");
	PQfinish(pg);
}
END_TEST

START_TEST(audit_tail_deletion_detected)
{
	PGconn *pg = schema_db();
	int i;

	for (i = 0; i < 3; i++)
		q1(pg, "INSERT INTO audit_events (contract_number, action, object_type, object_id) "
		       "VALUES (" CONTRACT ", 'contract.view', 'contract', '" CONTRACT "')");
	q1(pg, "SET session_replication_role = replica");
	q1(pg, "DELETE FROM audit_events WHERE seq = 3");
	q1(pg, "SET session_replication_role = DEFAULT");
	ck_assert_str_eq(q1(pg, "SELECT valid::text || ' ' || first_bad_seq "
				"FROM audit_chain_verify(" CONTRACT ")"),
			 "false 3");
	PQfinish(pg);
}
END_TEST

/* An event of the contract's chain, by an actor of organization ORG (NULL: none). */
#define EVENT(ORG, UA) \
	"INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action, " \
	"object_type, object_id, ip, user_agent, details) VALUES (" CONTRACT ", " ORG ", 1, " \
	"'party.signed', 'contract', '" CONTRACT "', '192.0.2.7', " UA ", " \
	"'{\"seq\": 1, \"sha256\": \"ab\"}')"
#define TRAILS \
	"SELECT string_agg(trail::text, '|' ORDER BY coalesce(contract_number, 0), seq) FROM " \
	"audit_events"

/*
 * 028 renders an event's trail in the statement that advances its chain's
 * head: the events written before it still verify, their trails as they
 * were; the events after it (a chain's first one too) read as
 * audit_event_json renders them, with and without an actor and a user agent.
 */
START_TEST(trails_before_028_verify_after)
{
	char path[1100], to[1100], before[4096];
	struct dirent *de;
	DIR *d = opendir(mig_dir);
	int n = 0;
	PGconn *pg;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strlen(de->d_name) > 4 &&
		    strcmp(de->d_name + strlen(de->d_name) - 4, ".sql") == 0 &&
		    strncmp(de->d_name, "028_", 4) < 0) {
			snprintf(path, sizeof(path), "%s/%s", tmp_dir, de->d_name);
			snprintf(to, sizeof(to), "%s/%s", mig_dir, de->d_name);
			ck_assert_int_eq(symlink(to, path), 0);
			n++;
		}
	closedir(d);
	migrate_ok(tmp_dir, n);
	pg = connect_to(db_url);
	schema_rows(pg);
	q1(pg, EVENT("2", "'Mozilla/5.0'"));
	q1(pg, EVENT("NULL", "NULL"));
	q1(pg, EVENT("1", "NULL"));
	snprintf(before, sizeof(before), "%s", q1(pg, TRAILS));
	ck_assert_msg(strstr(before, "\"actor\": \"91310115MA1K3YJ12N\"") != NULL, "%s", before);
	migrate_ok(mig_dir, count_migrations(mig_dir) - n);
	ck_assert_str_eq(q1(pg, TRAILS), before);
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(" CONTRACT
			    ")"),
			 "true 3");
	q1(pg, EVENT("2", "NULL"));
	q1(pg, EVENT("NULL", "'curl/8.0'"));
	q1(pg, "INSERT INTO audit_events (actor_org_id, action, object_type, object_id) "
	       "VALUES (1, 'seal.approve', 'seal', '9')");
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(" CONTRACT
			    ")"),
			 "true 5");
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(NULL)"),
			 "true 1");
	ck_assert_str_eq(q1(pg,
			    "SELECT count(*) FILTER (WHERE e.trail::text = "
			    "audit_event_json(e)::text) || ' of ' || count(*) FROM audit_events e"),
			 "6 of 6");
	ck_assert_str_eq(q1(pg, "SELECT trail->>'actor' || ' ' || (trail->>'seq') || ' ' || "
				"(trail->>'hash' = encode(hash, 'hex')) FROM audit_events "
				"WHERE contract_number IS NULL"),
			 "91110000MA01ABCD2X 1 true");
	PQfinish(pg);
}
END_TEST

/*
 * Link the migrations numbered before PREFIX (e.g. "029_") into tmp_dir; how many
 * were linked now (those linked by an earlier call stay and are not counted).
 */
static int
link_before(const char *prefix)
{
	char path[1100], to[1100];
	struct dirent *de;
	DIR *d = opendir(mig_dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strlen(de->d_name) > 4 &&
		    strcmp(de->d_name + strlen(de->d_name) - 4, ".sql") == 0 &&
		    strncmp(de->d_name, prefix, strlen(prefix)) < 0) {
			snprintf(path, sizeof(path), "%s/%s", tmp_dir, de->d_name);
			snprintf(to, sizeof(to), "%s/%s", mig_dir, de->d_name);
			if (symlink(to, path) == 0)
				n++;
			else
				ck_assert_int_eq(errno, EEXIST);
		}
	closedir(d);
	return n;
}

/* What a statement answers: ok, or its SQLSTATE and message (a connection's own function). */
#define PROBE_FN \
	"CREATE FUNCTION pg_temp.probe(q text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN " \
	"EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ' ' || SQLERRM; " \
	"END $$"
/*
 * Strings for the three domains: fixed edge cases (empty, a capital, a
 * digit or '_' first, a trailing newline, a non-ASCII letter, 32/33 and
 * 64/65 characters, upper-case hex) and 6,000 generated ones in three
 * alphabets (mostly invalid; only valid characters; hex, of 62..65).
 */
#define DOMAIN_VALUES \
	"WITH v (n, s) AS (SELECT 0::bigint, NULL::text UNION ALL SELECT n, s FROM unnest(ARRAY[" \
	"'', 'a', 'z', 'A', '0', '_', '.', 'a.', 'a_b.c', 'ab-c', 'aB', 'a b', E'a\\n', E'\\na', " \
	"chr(233), 'a' || chr(233), 'signing.completed', repeat('a', 32), repeat('a', 33), " \
	"repeat('a', 64), repeat('a', 65), 'a' || chr(128512), repeat('0', 64), repeat('f', 64), " \
	"repeat('F', 64), repeat('g', 64), repeat('0', 63), repeat('0', 65), " \
	"repeat('0', 63) || chr(233), repeat('0', 63) || E'\\n']) WITH ORDINALITY u (s, n) " \
	"UNION ALL SELECT 100 + i, substr(translate(repeat(md5(i::text), 3), '0123456789abcdef', " \
	"'az09_.A-' || chr(233) || ' 9bcf' || E'\\n' || 'd'), 1, i % 70) " \
	"FROM generate_series(1, 2000) i " \
	"UNION ALL SELECT 3000 + i, substr(translate(repeat(md5(i::text), 3), " \
	"'0123456789abcdef', " \
	"'abcdefz0189_.xyq'), 1, i % 70) FROM generate_series(1, 2000) i " \
	"UNION ALL SELECT 6000 + i, substr(translate(repeat(md5(i::text), 2), " \
	"'0123456789abcdef', " \
	"CASE WHEN i % 2 = 0 THEN '0123456789abcdef' ELSE '0123456789abcdeF' END), 1, 62 + i % " \
	"4) " \
	"FROM generate_series(1, 2000) i), " \
	"r (n, a, o, h) AS (SELECT n, " \
	"pg_temp.probe(format('SELECT %L::audit_action', s)), " \
	"pg_temp.probe(format('SELECT %L::audit_object_type', s)), " \
	"pg_temp.probe(format('SELECT %L::sha256_hex', s)) FROM v) "
/* A digest of every answer, and how many values each domain accepted. */
#define DOMAIN_DIGEST \
	"SELECT md5(string_agg(a || '|' || o || '|' || h, '/' ORDER BY n)) || ' ' || " \
	"count(*) FILTER (WHERE a = 'ok') || ' ' || count(*) FILTER (WHERE o = 'ok') " \
	"|| ' ' || count(*) FILTER (WHERE h = 'ok') FROM r"
#define DOMAIN_ANSWERS DOMAIN_VALUES DOMAIN_DIGEST
/* Revision 2 after the test's revision 1, with COLS and their VALUES (quotes doubled). */
#define REVISION2(COLS, VALUES) \
	"INSERT INTO revisions (contract_number, seq, delta, length, sha256" COLS \
	") VALUES (" CONTRACT ", 2, ''x'', 20, repeat(''c'', 64)" VALUES ")"
/* The table rules 029 wrote again: what a write breaking each one is told, and two that do not. */
#define TABLE_ANSWERS \
	"SELECT pg_temp.probe('UPDATE parties SET status = ''lost''') || '|' || " \
	"pg_temp.probe('UPDATE parties SET role = ''boss''') || '|' || " \
	"pg_temp.probe('INSERT INTO list_counts VALUES (1, ''all'', 0, 1)') || '|' || " \
	"pg_temp.probe('" REVISION2( \
		"", \
		"") "') || '|' || " \
		    "pg_temp.probe('" REVISION2( \
			    ", party_id, certificate_id, archive", \
			    ", 1, 1, true") "') || '|' || " \
					    "pg_temp.probe('" REVISION2( \
						    ", party_id, archive", \
						    ", 1, false") "') || '|' || " \
								  "pg_temp.probe('UPDATE parties " \
								  "SET status = ''pending''') || " \
								  "'|' || " \
								  "pg_temp.probe('INSERT INTO " \
								  "list_counts VALUES (1, " \
								  "''cc'', 15, 0)') || '|' || " \
								  "pg_temp.probe('" REVISION2( \
									  ", archive", \
									  ", true") "')"
#define SIGNED_BY \
	"23514 new row for relation \"revisions\" violates check constraint " \
	"\"revisions_signed_by\""
#define TABLE_REFUSALS \
	"23514 new row for relation \"parties\" violates check constraint " \
	"\"parties_status_check\"|23514 new row for relation \"parties\" violates check " \
	"constraint \"parties_role_check\"|23514 new row for relation \"list_counts\" violates " \
	"check constraint \"list_counts_tab_check\"|" SIGNED_BY "|" SIGNED_BY "|" SIGNED_BY \
	"|ok|ok|ok"

/*
 * 029 writes the regular-expression domains without regular expressions and
 * three table CHECKs' lists as array constants: on a database with a signed
 * revision and an audit event, every value is accepted or refused as before,
 * with the same SQLSTATE and message, and the stored rows still pass.
 */
START_TEST(checks_before_029_answer_the_same_after)
{
	char domains[4096];
	int n = link_before("029_");
	PGconn *pg;

	migrate_ok(tmp_dir, n);
	pg = connect_to(db_url);
	schema_rows(pg);
	q1(pg,
	   "INSERT INTO revisions (contract_number, seq, delta, length, sha256) VALUES (" CONTRACT
	   ", 0, '%PDF-1.7 base', 13, encode(sha256('%PDF-1.7 base'), 'hex'))");
	q1(pg, "INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
	       "certificate_id) VALUES (" CONTRACT ", 1, ' +sig1', 19, repeat('b', 64), 1, 1)");
	q1(pg, EVENT("2", "'Mozilla/5.0'"));
	q1(pg, PROBE_FN);
	snprintf(domains, sizeof(domains), "%s", q1(pg, DOMAIN_ANSWERS));
	/* each domain accepted some of the values and refused others */
	ck_assert_msg(strstr(domains, " 0 ") == NULL && strstr(domains, " 6031") == NULL, "%s",
		      domains);
	q1(pg, "BEGIN");
	ck_assert_str_eq(q1(pg, TABLE_ANSWERS), TABLE_REFUSALS);
	q1(pg, "ROLLBACK");
	/* up to 031: 032 makes parties' and list_counts' rules domains (its own test) */
	migrate_ok(tmp_dir, link_before("032_"));
	ck_assert_str_eq(q1(pg, DOMAIN_ANSWERS), domains);
	q1(pg, "BEGIN");
	ck_assert_str_eq(q1(pg, TABLE_ANSWERS), TABLE_REFUSALS);
	q1(pg, "ROLLBACK");
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(" CONTRACT
			    ")"),
			 "true 1");
	q1(pg, EVENT("2", "NULL"));
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(" CONTRACT
			    ")"),
			 "true 2");
	PQfinish(pg);
}
END_TEST

/* What a statement answers: ok, or its SQLSTATE and the name of the rule it broke. */
#define PROBE_RULE_FN \
	"CREATE FUNCTION pg_temp.rule(q text) RETURNS text LANGUAGE plpgsql AS $$ DECLARE " \
	"c text; BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN GET STACKED " \
	"DIAGNOSTICS c = CONSTRAINT_NAME; RETURN SQLSTATE || ' ' || c; END $$"
/*
 * Writes of parties and list_counts that break one rule each, and some that break none;
 * verification reports at the limit (4,194,304 characters) and past it, in one-byte and
 * two-byte characters (one of more bytes than the limit, but not more characters).
 */
#define PARTY_RULES \
	"SELECT string_agg(pg_temp.rule(q), '|' ORDER BY n) FROM unnest(ARRAY[" \
	"'UPDATE parties SET status = ''lost''', 'UPDATE parties SET status = ''Signed''', " \
	"'UPDATE parties SET role = ''boss''', 'UPDATE parties SET routing_order = 0', " \
	"'UPDATE parties SET routing_order = 1001', " \
	"'UPDATE parties SET status = ''rejected'', reject_reason = ''''', " \
	"'UPDATE parties SET status = ''rejected'', reject_reason = repeat(''x'', 1001)', " \
	"'UPDATE parties SET status = ''rejected''', " \
	"'UPDATE parties SET reject_reason = ''no''', " \
	"'INSERT INTO parties (contract_number, organization_id, role, routing_order) " \
	"VALUES (" CONTRACT ", 1, ''cc'', 1001)', " \
	"'INSERT INTO parties (contract_number, organization_id, role) VALUES (" CONTRACT \
	", 1, ''viewer'')', " \
	"'INSERT INTO list_counts VALUES (1, ''all'', 0, 1)', " \
	"'INSERT INTO list_counts VALUES (1, ''cc'', 16, 1)', " \
	"'INSERT INTO list_counts VALUES (1, ''cc'', -1, 1)', " \
	"'UPDATE parties SET status = ''sent'', routing_order = 1000', " \
	"'UPDATE parties SET status = ''rejected'', reject_reason = repeat(''x'', 1000)', " \
	"'INSERT INTO parties (contract_number, organization_id, role) VALUES (" CONTRACT \
	", 1, ''cc'')', " \
	"'INSERT INTO list_counts VALUES (2, ''drafts'', 15, 1)', " \
	"'SELECT repeat(''a'', 4194305)::revision_verification', " \
	"'SELECT repeat(chr(233), 4194305)::revision_verification', " \
	"'SELECT repeat(''a'', 4194304)::revision_verification', " \
	"'SELECT repeat(chr(233), 4194304)::revision_verification', " \
	"'SELECT repeat(chr(233), 2100000)::revision_verification', " \
	"'SELECT NULL::revision_verification']) WITH ORDINALITY u (q, n)"
#define PARTY_REFUSALS \
	"23514 parties_status_check|23514 parties_status_check|23514 parties_role_check|" \
	"23514 parties_routing_order_check|23514 parties_routing_order_check|" \
	"23514 parties_reject_reason_check|23514 parties_reject_reason_check|" \
	"23514 parties_reject_reason_iff_rejected|23514 parties_reject_reason_iff_rejected|" \
	"23514 parties_routing_order_check|23514 parties_role_check|" \
	"23514 list_counts_tab_check|23514 list_counts_slot_check|" \
	"23514 list_counts_slot_check|ok|ok|ok|ok|23514 revision_verification_check|" \
	"23514 revision_verification_check|ok|ok|ok|ok"
#define LIST_COUNTS \
	"SELECT string_agg(concat_ws(' ', organization_id, tab, n), ',' ORDER BY " \
	"organization_id, tab) FROM (SELECT organization_id, tab, sum(n) n FROM list_counts " \
	"GROUP BY 1, 2) x"

/*
 * 032 makes the one-column rules of parties and list_counts domains and
 * checks a verification report's length without counting its characters
 * when its bytes are few enough: on a database with a signed contract, each
 * write or report is refused with the same SQLSTATE under the same rule's
 * name before and after (or accepted), the stored rows and the list counts
 * stay, and the audit trail still verifies.
 */
START_TEST(party_rules_before_032_refused_the_same_after)
{
	char before[4096], got[4096];
	int n = link_before("032_");
	PGconn *pg;

	migrate_ok(tmp_dir, n);
	pg = connect_to(db_url);
	schema_rows(pg);
	q1(pg,
	   "INSERT INTO revisions (contract_number, seq, delta, length, sha256) VALUES (" CONTRACT
	   ", 0, '%PDF-1.7 base', 13, encode(sha256('%PDF-1.7 base'), 'hex'))");
	q1(pg, "UPDATE contracts SET status = 'signing', page_count = 1, sha256 = repeat('a', 64)");
	q1(pg, "INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
	       "certificate_id) VALUES (" CONTRACT ", 1, ' +sig1', 19, repeat('b', 64), 1, 1)");
	q1(pg, "UPDATE parties SET status = 'signed', signed_at = now(), acted_by = 1");
	q1(pg, EVENT("2", "'Mozilla/5.0'"));
	q1(pg, PROBE_RULE_FN);
	snprintf(before, sizeof(before), "%s", q1(pg, LIST_COUNTS));
	ck_assert_msg(strstr(before, "2 signed 1") != NULL, "%s", before);
	q1(pg, "BEGIN");
	snprintf(got, sizeof(got), "%s", q1(pg, PARTY_RULES));
	ck_assert_str_eq(got, PARTY_REFUSALS);
	q1(pg, "ROLLBACK");
	migrate_ok(mig_dir, count_migrations(mig_dir) - n);
	q1(pg, "BEGIN");
	snprintf(got, sizeof(got), "%s", q1(pg, PARTY_RULES));
	ck_assert_str_eq(got, PARTY_REFUSALS);
	q1(pg, "ROLLBACK");
	ck_assert_str_eq(q1(pg, "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE "
				"attrelid = 'parties'::regclass AND attname = 'status'"),
			 "party_status");
	ck_assert_str_eq(q1(pg, LIST_COUNTS), before);
	ck_assert_str_eq(q1(pg,
			    "SELECT status || ' ' || role || ' ' || routing_order FROM parties"),
			 "signed signer 1");
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(" CONTRACT
			    ")"),
			 "true 1");
	PQfinish(pg);
}
END_TEST

static void *
append_events(void *arg)
{
	PGconn *pg = PQconnectdb(db_url);
	int i, *failed = arg;

	if (PQstatus(pg) != CONNECTION_OK) {
		*failed = 1;
		PQfinish(pg);
		return NULL;
	}
	for (i = 0; i < 40; i++) {
		PGresult *res = PQexec(pg, "INSERT INTO audit_events (contract_number, action, "
					   "object_type, object_id) VALUES (" CONTRACT ", "
					   "'contract.view', 'contract', '" CONTRACT "')");

		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			*failed = 1;
		PQclear(res);
	}
	PQfinish(pg);
	return NULL;
}

START_TEST(audit_concurrent_appends_stay_one_chain)
{
	PGconn *pg = schema_db();
	pthread_t t[4];
	int failed[4] = { 0 }, i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, append_events, &failed[i]), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(failed[i], 0);
	}
	ck_assert_str_eq(q1(pg,
			    "SELECT valid::text || ' ' || events FROM audit_chain_verify(" CONTRACT
			    ")"),
			 "true 160");
	ck_assert_str_eq(q1(pg, "SELECT max(seq) FROM audit_events"), "160");
	PQfinish(pg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("migrate_schema");
	TCase *tc = test_tcase(s, "schema", setup, teardown, 1, 120);

	tcase_add_test(tc, credit_code_and_duplicates_refused);
	tcase_add_test(tc, identities_never_deleted);
	tcase_add_test(tc, revisions_reassemble_from_deltas);
	tcase_add_test(tc, signing_rules_refused_as_before);
	tcase_add_test(tc, audit_chain_links_and_detects_tampering);
	tcase_add_test(tc, audit_tail_deletion_detected);
	tcase_add_test(tc, audit_concurrent_appends_stay_one_chain);
	tcase_add_test(tc, trails_before_028_verify_after);
	tcase_add_test(tc, checks_before_029_answer_the_same_after);
	tcase_add_test(tc, party_rules_before_032_refused_the_same_after);
	return test_suite_run(s);
}
