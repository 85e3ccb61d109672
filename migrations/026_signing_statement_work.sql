-- 026: the one-column CHECK constraints of the tables a signing writes become
-- domains: the same rules, read once per backend instead of once per statement.
--
-- PostgreSQL keeps a table's CHECK constraints as stored expression text
-- (pg_constraint.conbin) and, in every INSERT or UPDATE statement, even one
-- from a cached plan, parses each of them again (stringToNode), plans and
-- compiles it before checking the first row (ExecConstraints). A signing's
-- statements checked about 60 such expressions: 12 % of PostgreSQL's
-- instructions per signing were that parsing (bench/bench_pg_callgrind.py;
-- 10.0M instructions per signing before this file, 9.1M with its domains).
-- A domain's constraints are parsed and planned once per backend and kept in
-- the type cache; a column of the domain is checked when a value is stored
-- into it (INSERT, UPDATE ... SET, a trigger's NEW.col := ...), in the
-- statement's cached plan.
--
-- What stays the same: every rule, word for word (VALUE for the column), and
-- its SQLSTATE: a domain's check violation is 23514 (check_violation) as a
-- table's is. The message names the domain and its constraint
-- ('value for domain session_state violates check constraint
-- "session_state_check"') where it named the table's; db/errors.c maps the
-- SQLSTATE, not the text. NULL passes a domain check as it passed the table's.
-- A row is checked before the BEFORE triggers instead of after them; a
-- trigger that assigns a column stores through the domain, so what the row
-- holds in the end is checked as before. An UPDATE checks the columns it sets
-- (the others were checked when they were stored).
--
-- What stays a table CHECK: the rules over several columns
-- (signing_sessions_check, _check1, _delta_open; revisions_check,
-- revisions_signed_by; org_audit_events_user_agent_check, a rule of its own).
-- parties and list_counts keep theirs: a signing writes one row of each, and
-- the lists read those columns through partial indexes.
--
-- On a populated database: each column's type becomes a domain without
-- constraints first (binary-coercible: no rewrite, the indexes are kept), then
-- each domain gets its constraint, which scans the columns of that domain once
-- (the table's CHECK had accepted every row). audit_events' user agent rule
-- stays NOT VALID, as 005 added it. signing_sessions_drop_delta (BEFORE UPDATE
-- OF state) is made again around the change of `state`: PostgreSQL does not
-- change the type of a column a trigger names. A column whose type changes
-- loses its compression method: 014's lz4 is set again.

CREATE DOMAIN audit_action AS text;
CREATE DOMAIN audit_object_type AS text;
CREATE DOMAIN audit_object_id AS text;
CREATE DOMAIN audit_details AS jsonb;
CREATE DOMAIN audit_user_agent AS text;
CREATE DOMAIN chain_hash AS bytea;
CREATE DOMAIN revision_seq AS integer;
CREATE DOMAIN revision_delta AS bytea;
CREATE DOMAIN revision_length AS bigint;
CREATE DOMAIN sha256_hex AS text;
CREATE DOMAIN revision_verification AS text;
CREATE DOMAIN session_delta AS bytea;
CREATE DOMAIN session_contents_off AS bigint;
CREATE DOMAIN session_contents_len AS bigint;
CREATE DOMAIN session_signed_attrs AS bytea;
CREATE DOMAIN session_algorithm AS text;
CREATE DOMAIN session_chain AS bytea;
CREATE DOMAIN session_state AS text;

ALTER TABLE audit_events
	DROP CONSTRAINT audit_events_action_check,
	DROP CONSTRAINT audit_events_object_type_check,
	DROP CONSTRAINT audit_events_object_id_check,
	DROP CONSTRAINT audit_events_details_check,
	DROP CONSTRAINT audit_events_user_agent_check,
	DROP CONSTRAINT audit_events_hash_check,
	DROP CONSTRAINT audit_events_prev_hash_check,
	ALTER COLUMN action TYPE audit_action,
	ALTER COLUMN object_type TYPE audit_object_type,
	ALTER COLUMN object_id TYPE audit_object_id,
	ALTER COLUMN details TYPE audit_details,
	ALTER COLUMN user_agent TYPE audit_user_agent,
	ALTER COLUMN hash TYPE chain_hash,
	ALTER COLUMN prev_hash TYPE chain_hash;
ALTER TABLE audit_heads
	DROP CONSTRAINT audit_heads_last_hash_check,
	ALTER COLUMN last_hash TYPE chain_hash;
-- an organization's trail: the same rules on the same columns, one definition
ALTER TABLE org_audit_events
	DROP CONSTRAINT org_audit_events_action_check,
	DROP CONSTRAINT org_audit_events_object_type_check,
	DROP CONSTRAINT org_audit_events_object_id_check,
	DROP CONSTRAINT org_audit_events_details_check,
	DROP CONSTRAINT org_audit_events_hash_check,
	DROP CONSTRAINT org_audit_events_prev_hash_check,
	ALTER COLUMN action TYPE audit_action,
	ALTER COLUMN object_type TYPE audit_object_type,
	ALTER COLUMN object_id TYPE audit_object_id,
	ALTER COLUMN details TYPE audit_details,
	ALTER COLUMN hash TYPE chain_hash,
	ALTER COLUMN prev_hash TYPE chain_hash;
ALTER TABLE org_audit_heads
	DROP CONSTRAINT org_audit_heads_last_hash_check,
	ALTER COLUMN last_hash TYPE chain_hash;

ALTER TABLE revisions
	DROP CONSTRAINT revisions_seq_check,
	DROP CONSTRAINT revisions_delta_check,
	DROP CONSTRAINT revisions_length_check,
	DROP CONSTRAINT revisions_sha256_check,
	DROP CONSTRAINT revisions_verification_check,
	ALTER COLUMN seq TYPE revision_seq,
	ALTER COLUMN delta TYPE revision_delta,
	ALTER COLUMN length TYPE revision_length,
	ALTER COLUMN sha256 TYPE sha256_hex,
	ALTER COLUMN verification TYPE revision_verification;

DROP TRIGGER signing_sessions_drop_delta ON signing_sessions;
ALTER TABLE signing_sessions
	DROP CONSTRAINT signing_sessions_base_seq_check,
	DROP CONSTRAINT signing_sessions_delta_check,
	DROP CONSTRAINT signing_sessions_contents_off_check,
	DROP CONSTRAINT signing_sessions_contents_len_check,
	DROP CONSTRAINT signing_sessions_signed_attrs_check,
	DROP CONSTRAINT signing_sessions_algorithm_check,
	DROP CONSTRAINT signing_sessions_chain_check,
	DROP CONSTRAINT signing_sessions_state_check,
	ALTER COLUMN base_seq TYPE revision_seq,
	ALTER COLUMN delta TYPE session_delta,
	ALTER COLUMN contents_off TYPE session_contents_off,
	ALTER COLUMN contents_len TYPE session_contents_len,
	ALTER COLUMN signed_attrs TYPE session_signed_attrs,
	ALTER COLUMN algorithm TYPE session_algorithm,
	ALTER COLUMN chain TYPE session_chain,
	ALTER COLUMN state TYPE session_state;
CREATE TRIGGER signing_sessions_drop_delta BEFORE UPDATE OF state ON signing_sessions
	FOR EACH ROW EXECUTE FUNCTION signing_sessions_drop_delta();

-- A column's new type takes the default compression: the signing's bytes keep
-- 014's lz4 (pglz took 2.3M of PostgreSQL's instructions per signing), with
-- 014's fallback.
DO $$
BEGIN
	ALTER TABLE revisions ALTER COLUMN delta SET COMPRESSION lz4,
		ALTER COLUMN verification SET COMPRESSION lz4;
	ALTER TABLE signing_sessions ALTER COLUMN delta SET COMPRESSION lz4,
		ALTER COLUMN chain SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'lz4 is not available: the signing columns keep pglz';
END
$$;

-- The rules, as the tables' CHECKs said them (001, 004, 005, 006, 010, 012).
ALTER DOMAIN audit_action ADD CONSTRAINT audit_action_check
	CHECK (VALUE ~ '^[a-z][a-z0-9_.]{0,63}$');
ALTER DOMAIN audit_object_type ADD CONSTRAINT audit_object_type_check
	CHECK (VALUE ~ '^[a-z][a-z0-9_]{0,31}$');
ALTER DOMAIN audit_object_id ADD CONSTRAINT audit_object_id_check
	CHECK (length(VALUE) BETWEEN 1 AND 100);
ALTER DOMAIN audit_details ADD CONSTRAINT audit_details_check
	CHECK (jsonb_typeof(VALUE) = 'object');
ALTER DOMAIN audit_user_agent ADD CONSTRAINT audit_user_agent_check
	CHECK (VALUE IS NULL OR length(VALUE) BETWEEN 1 AND 256) NOT VALID;
ALTER DOMAIN chain_hash ADD CONSTRAINT chain_hash_check CHECK (length(VALUE) = 32);
ALTER DOMAIN revision_seq ADD CONSTRAINT revision_seq_check CHECK (VALUE >= 0);
ALTER DOMAIN revision_delta ADD CONSTRAINT revision_delta_check CHECK (length(VALUE) > 0);
ALTER DOMAIN revision_length ADD CONSTRAINT revision_length_check CHECK (VALUE > 0);
ALTER DOMAIN sha256_hex ADD CONSTRAINT sha256_hex_check CHECK (VALUE ~ '^[0-9a-f]{64}$');
ALTER DOMAIN revision_verification ADD CONSTRAINT revision_verification_check
	CHECK (VALUE IS NULL OR length(VALUE) <= 4194304);
ALTER DOMAIN session_delta ADD CONSTRAINT session_delta_check
	CHECK (length(VALUE) BETWEEN 1 AND 67108864);
ALTER DOMAIN session_contents_off ADD CONSTRAINT session_contents_off_check CHECK (VALUE > 0);
ALTER DOMAIN session_contents_len ADD CONSTRAINT session_contents_len_check CHECK (VALUE > 2);
ALTER DOMAIN session_signed_attrs ADD CONSTRAINT session_signed_attrs_check
	CHECK (length(VALUE) BETWEEN 1 AND 4096);
ALTER DOMAIN session_algorithm ADD CONSTRAINT session_algorithm_check
	CHECK (VALUE IN ('sha256WithRSAEncryption', 'ecdsa-with-SHA256', 'SM2-with-SM3'));
ALTER DOMAIN session_chain ADD CONSTRAINT session_chain_check
	CHECK (length(VALUE) <= 1048576);
ALTER DOMAIN session_state ADD CONSTRAINT session_state_check
	CHECK (VALUE IN ('open', 'completed', 'aborted'));

-- ALTER COLUMN TYPE dropped the columns' statistics
ANALYZE audit_events, audit_heads, org_audit_events, org_audit_heads, revisions,
	signing_sessions;

-- ---------------------------------------------------------------------------
-- Function calls a signing no longer makes: a PL/pgSQL function's call sets up
-- an executor state of its own, and one in FROM returning rows through RETURN
-- QUERY runs its query through a portal into a tuplestore. A LANGUAGE sql
-- function of one SELECT is inlined into the statement that calls it instead
-- (a scalar one into its expression, a STABLE set-returning one into FROM).

-- 019's wrappers of signing_session_open, the same call inlined (errors and
-- answers are signing_session_open's, as before).
CREATE OR REPLACE FUNCTION signing_session_create(p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet,
	p_ua text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
	SELECT signing_session_open(p_number, p_org, p_user, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects, p_ttl_s, p_cert_der,
		p_cert_subject, p_cert_issuer, p_cert_serial, p_cert_not_before, p_cert_not_after,
		p_ip, p_ua, NULL)
$$;
CREATE OR REPLACE FUNCTION signing_session_create_seal(p_number bigint, p_org bigint,
	p_user bigint, p_base_seq integer, p_delta bytea, p_contents_off bigint,
	p_contents_len bigint, p_signed_attrs bytea, p_algorithm text, p_chain bytea,
	p_rects jsonb, p_ttl_s integer, p_cert_der bytea, p_cert_subject text, p_cert_issuer text,
	p_cert_serial text, p_cert_not_before timestamptz, p_cert_not_after timestamptz,
	p_ip inet, p_ua text, p_seal bigint)
RETURNS jsonb LANGUAGE sql AS $$
	SELECT signing_session_open(p_number, p_org, p_user, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects, p_ttl_s, p_cert_der,
		p_cert_subject, p_cert_issuer, p_cert_serial, p_cert_not_before, p_cert_not_after,
		p_ip, p_ua, p_seal)
$$;

-- A session token's credential (auth_credential_lookup's session branch, its
-- text unchanged): auth_member, in every statement of a member's request,
-- reads it inlined instead of through auth_credential_lookup's RETURN QUERY.
CREATE FUNCTION auth_session_lookup(p_hash text,
	OUT kind text, OUT credential_id bigint, OUT user_id bigint, OUT organization_id bigint,
	OUT certificate_id bigint, OUT credit_code text)
RETURNS SETOF record LANGUAGE sql STABLE AS $$
	SELECT s.kind, s.id, s.user_id, s.organization_id, s.certificate_id,
		o.credit_code
	FROM sessions s
	JOIN users u ON u.id = s.user_id
	LEFT JOIN organizations o ON o.id = s.organization_id
	LEFT JOIN certificates c ON c.id = s.certificate_id
	WHERE s.token_hash = p_hash AND s.revoked_at IS NULL AND s.expires_at > now()
	  AND u.disabled_at IS NULL AND c.revoked_at IS NULL
$$;
CREATE OR REPLACE FUNCTION auth_credential_lookup(p_hash text, p_api_key boolean,
	OUT kind text, OUT credential_id bigint, OUT user_id bigint,
	OUT organization_id bigint, OUT certificate_id bigint, OUT credit_code text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
	IF p_api_key THEN
		RETURN QUERY
		WITH k AS (
			SELECT a.id, a.created_by, a.organization_id, a.last_used_at FROM api_keys a
			WHERE a.key_hash = p_hash AND a.revoked_at IS NULL
		), touch AS (
			UPDATE api_keys a SET last_used_at = now() FROM k
			WHERE a.id = k.id AND (k.last_used_at IS NULL
				OR k.last_used_at < now() - interval '60 seconds')
		)
		SELECT 'api_key'::text, k.id, k.created_by, k.organization_id, NULL::bigint,
			o.credit_code
		FROM k JOIN organizations o ON o.id = k.organization_id;
	ELSE
		RETURN QUERY SELECT * FROM auth_session_lookup(p_hash);
	END IF;
END
$$;
CREATE OR REPLACE FUNCTION auth_member(p_hash text, OUT kind text, OUT credential_id bigint,
	OUT user_id bigint, OUT organization_id bigint, OUT certificate_id bigint,
	OUT credit_code text)
LANGUAGE plpgsql AS $$
BEGIN
	SELECT a.kind, a.credential_id, a.user_id, a.organization_id, a.certificate_id,
		a.credit_code
	INTO kind, credential_id, user_id, organization_id, certificate_id, credit_code
	FROM auth_session_lookup(p_hash) a;
	IF NOT FOUND THEN
		PERFORM wf_fail('SA020', 'The credential is unknown, expired or revoked.');
	END IF;
	IF kind <> 'member' THEN
		PERFORM wf_fail('SA021', 'This credential may not use this operation.');
	END IF;
END
$$;
