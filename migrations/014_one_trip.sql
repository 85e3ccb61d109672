-- 014_one_trip.sql: PostgreSQL's work per signing, and one trip in (issue 14).
--
-- Measured with bench/bench_pg_signing.py (PostgreSQL's CPU per signing for
-- the statements the server sends) and bench/bench_load.py BENCH_PGFUNCS=1.
-- Every answer and every audit event is the same as before: only how the
-- database computes them changes, and how many statements a signing takes.

-- ---------------------------------------------------------------------------
-- Small SQL functions that PostgreSQL could not inline.
--
-- wf_ts was declared IMMUTABLE over to_char(), which is only STABLE: the
-- planner refuses to inline such a function, so each of its ~20 uses per
-- signing was a separate SQL-function call. STABLE is what it is (its
-- result does not depend on TimeZone, but to_char's could on lc_time for
-- other patterns); no index or generated column uses it. Same text out.
CREATE OR REPLACE FUNCTION wf_ts(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- A SQL function that is not inlined plans its statement again at every
-- call; PL/pgSQL keeps the plan for the session. These three run several
-- times per signing (every audit event, every party or contract change,
-- every document read).
CREATE OR REPLACE FUNCTION wf_audit(p_number bigint, p_org bigint, p_user bigint,
	p_action text, p_details jsonb, p_ip inet, p_ua text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (p_number, p_org, p_user, p_action, 'contract', p_number::text, p_ip,
		nullif(left(p_ua, 256), ''), coalesce(p_details, '{}'::jsonb));
END
$$;

CREATE OR REPLACE FUNCTION list_counts_add(d jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO list_counts (organization_id, tab, slot, n)
	SELECT (e->>0)::bigint, e->>1, pg_backend_pid() % 16, (e->>2)::bigint
	FROM jsonb_array_elements(d) e
	ORDER BY 1, 2
	ON CONFLICT (organization_id, tab, slot) DO UPDATE SET n = list_counts.n + EXCLUDED.n;
END
$$;

-- The whole document at revision p_seq, as 001 assembles it (NULL when a
-- revision is missing). Revision 0 alone, the common case of a first
-- signature, is its own bytes without the aggregate's copy.
CREATE OR REPLACE FUNCTION revision_document(p_contract bigint, p_seq integer) RETURNS bytea
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
	doc bytea;
BEGIN
	IF p_seq = 0 THEN
		SELECT delta INTO doc FROM revisions WHERE contract_number = p_contract AND seq = 0;
		RETURN doc;
	END IF;
	SELECT CASE WHEN count(*) = p_seq + 1 THEN string_agg(delta, ''::bytea ORDER BY seq) END
	INTO doc FROM revisions WHERE contract_number = p_contract AND seq BETWEEN 0 AND p_seq;
	RETURN doc;
END
$$;

CREATE OR REPLACE FUNCTION business_type_name(p_code text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN coalesce((SELECT display_name FROM business_types WHERE code = p_code), p_code);
END
$$;

-- ---------------------------------------------------------------------------
-- The audit chain (005), one statement fewer per event: the head is locked
-- first and only created when the chain has none yet (the first event of a
-- contract), instead of an INSERT ... ON CONFLICT attempt before every event.
-- The hash and the order of events are unchanged.
CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k bigint := coalesce(NEW.contract_number, 0);
	head audit_heads%ROWTYPE;
BEGIN
	SELECT * INTO head FROM audit_heads WHERE chain = k FOR UPDATE;
	IF NOT FOUND THEN
		INSERT INTO audit_heads (chain, last_seq, last_hash)
		VALUES (k, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
		ON CONFLICT (chain) DO NOTHING;
		SELECT * INTO head FROM audit_heads WHERE chain = k FOR UPDATE;
	END IF;
	NEW.seq := head.last_seq + 1;
	NEW.prev_hash := head.last_hash;
	NEW.hash := audit_event_hash(NEW.prev_hash, NEW.contract_number, NEW.seq,
		NEW.actor_org_id, NEW.actor_user_id, NEW.action, NEW.object_type,
		NEW.object_id, NEW.ip, NEW.at, NEW.details, NEW.user_agent);
	UPDATE audit_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain = k;
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- One trip in. A signing's prepare and complete used to look the bearer
-- credential up in one statement (auth_credential_lookup) and then load the
-- contract or claim the session in another. auth_member() is that lookup
-- as the first step of the request's own statement: the server joins it
-- laterally with signing_prepare_load_seal() or signing_session_claim(),
-- which then run as the organization and user it returns, so nothing runs
-- for a credential that is not a live member session. The same rules as
-- auth_credential_lookup (it is called): the token's SHA-256 only, expiry,
-- revocation, a disabled user, a revoked login certificate. An unknown
-- credential is SA020 (401), a live one that is not a member's (a
-- reviewer's) SA021 (403), the answers auth_then() gives. API keys never
-- come here (the server sends them the old way: their lookup refreshes
-- last_used_at, which an error of the request's work would roll back).
-- One statement, no session state: PgBouncer's transaction pooling is fine.
CREATE FUNCTION auth_member(p_hash text, OUT kind text, OUT credential_id bigint,
	OUT user_id bigint, OUT organization_id bigint, OUT certificate_id bigint,
	OUT credit_code text)
LANGUAGE plpgsql AS $$
BEGIN
	SELECT a.kind, a.credential_id, a.user_id, a.organization_id, a.certificate_id,
		a.credit_code
	INTO kind, credential_id, user_id, organization_id, certificate_id, credit_code
	FROM auth_credential_lookup(p_hash, false) a;
	IF NOT FOUND THEN
		PERFORM wf_fail('SA020', 'The credential is unknown, expired or revoked.');
	END IF;
	IF kind <> 'member' THEN
		PERFORM wf_fail('SA021', 'This credential may not use this operation.');
	END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- contract_json (011), the same document. Its audit trail asked for
-- a.contract_number = c.number, which no index serves (the chain's unique
-- index is on coalesce(contract_number, 0), seq): every state change's answer
-- read the whole audit_events table, so a signing got slower as the
-- platform's history grew. The chain's own expression finds the contract's
-- events by index, already in seq order (a contract's number is never 0).
CREATE OR REPLACE FUNCTION contract_json(p_number bigint, p_org bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT jsonb_build_object(
			'number', c.number::text, 'name', c.name, 'business_type', c.business_type,
			'business_type_name', business_type_name(c.business_type),
			'status', c.status, 'deadline', wf_ts(c.deadline),
			'created_at', wf_ts(c.created_at), 'updated_at', wf_ts(c.updated_at),
			'sent_at', wf_ts(c.sent_at), 'completed_at', wf_ts(c.completed_at),
			'page_count', c.page_count, 'sha256', c.sha256,
			'initiator', jsonb_build_object('name', o.name, 'credit_code', o.credit_code),
			'is_initiator', c.initiator_org_id = p_org,
			'reject_reason', (SELECT reject_reason FROM parties WHERE contract_number = c.number
				AND status = 'rejected' LIMIT 1),
			'document_url', '/api/v1/contracts/' || c.number || '/document',
			'parties', coalesce((SELECT jsonb_agg(jsonb_build_object(
					'credit_code', po.credit_code, 'name', po.name, 'role', p.role,
					'routing_order', p.routing_order, 'status', p.status,
					'reject_reason', p.reject_reason, 'received_at', wf_ts(p.received_at),
					'signed_at', wf_ts(p.signed_at), 'sent_at', wf_ts(p.sent_at),
					'rejected_at', wf_ts(p.rejected_at), 'is_me', p.organization_id = p_org)
					ORDER BY p.routing_order, p.role DESC, p.id)
				FROM parties p JOIN organizations po ON po.id = p.organization_id
				WHERE p.contract_number = c.number), '[]'::jsonb),
			'revisions', coalesce((SELECT jsonb_agg(jsonb_build_object('seq', r.seq,
					'length', r.length, 'sha256', r.sha256, 'created_at', wf_ts(r.created_at),
					'signed_by', (SELECT po.credit_code FROM parties p JOIN organizations po
						ON po.id = p.organization_id WHERE p.id = r.party_id),
					'document_url', '/api/v1/contracts/' || c.number || '/revisions/'
						|| r.seq || '/document') ORDER BY r.seq)
				FROM revisions r WHERE r.contract_number = c.number), '[]'::jsonb),
			'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('seq', a.seq,
					'action', a.action, 'actor', ao.credit_code, 'at', wf_ts(a.at),
					'details', a.details, 'hash', encode(a.hash, 'hex')) ORDER BY a.seq)
				FROM audit_events a LEFT JOIN organizations ao ON ao.id = a.actor_org_id
				WHERE coalesce(a.contract_number, 0) = c.number), '[]'::jsonb))
		FROM contracts c JOIN organizations o ON o.id = c.initiator_org_id
		WHERE c.number = p_number);
END
$$;

-- ---------------------------------------------------------------------------
-- The bytes each signing writes: its update (twice, the session's copy and
-- the revision), the session's certificate chain and the revision's report.
-- pglz, the default, spends most of an insert's time compressing them (an
-- update of 21 KB: 0.6 ms per insert measured against 0.1 ms with lz4, and
-- lz4 stores it smaller too: 85 MB against pglz's 108 MB for 6,000 updates).
-- Values already stored stay as they are (both are read). A server built
-- without lz4 keeps pglz: the change is an optimisation, not a requirement.
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

-- ---------------------------------------------------------------------------
-- Webhook events (003), unchanged for an organization with webhooks. Most
-- transitions concern organizations without one: the payload is then not
-- built (nor the event id drawn) for nobody.
CREATE OR REPLACE FUNCTION wf_event(p_number bigint, p_event text, p_actor_org bigint,
	p_details jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	ev uuid;
	body jsonb;
BEGIN
	SELECT * INTO c FROM contracts WHERE number = p_number;
	IF NOT EXISTS (SELECT 1 FROM webhooks w
			WHERE w.deleted_at IS NULL AND w.organization_id IN (
				SELECT c.initiator_org_id
				UNION SELECT organization_id FROM parties WHERE contract_number = p_number)) THEN
		RETURN;
	END IF;
	ev := gen_random_uuid();
	body := jsonb_build_object('id', ev, 'event', p_event,
		'contract_number', p_number::text, 'contract_name', c.name,
		'contract_status', c.status,
		'actor', (SELECT credit_code FROM organizations WHERE id = p_actor_org),
		'at', wf_ts(now()), 'details', coalesce(p_details, '{}'::jsonb));
	INSERT INTO webhook_deliveries (webhook_id, event_id, event, contract_number, payload)
	SELECT w.id, ev, p_event, p_number, body
	FROM webhooks w
	WHERE w.deleted_at IS NULL AND w.organization_id IN (
		SELECT c.initiator_org_id
		UNION SELECT organization_id FROM parties WHERE contract_number = p_number);
END
$$;

-- ---------------------------------------------------------------------------
-- Indexes that every audit event updated and nothing reads: no query of the
-- server, the migrations or the jobs looks events up by actor or by time
-- (the trail is read per chain, by the chain's unique index). Three events
-- per signing paid for two B-tree insertions each.
DROP INDEX audit_events_actor_idx, audit_events_at_idx;

-- ---------------------------------------------------------------------------
-- The signed revision stored whole in one INSERT. Completion (010, 012)
-- inserted the revision, then updated it twice: its signed_length (B-LT and
-- B-LTA) and its verification report. Each update wrote the row again and
-- ran revisions_immutable, which compares the old and new update bytes (the
-- delta, decompressed twice). party_mark_signed takes both values now; its
-- 005 form stays, for any caller without them.
CREATE FUNCTION party_mark_signed(p_number bigint, p_org bigint, p_user bigint,
	p_seq integer, p_delta bytea, p_length bigint, p_sha256 text, p_certificate_id bigint,
	p_ip inet, p_ua text, p_signed_length bigint, p_verification text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	p parties%ROWTYPE;
	last integer;
BEGIN
	p := wf_party_turn(p_number, p_org, 'sign');
	SELECT max(seq) INTO last FROM revisions WHERE contract_number = p_number;
	IF p_seq <> last + 1 THEN
		PERFORM wf_fail('SP409', format('revision %s is the latest; prepare again', last));
	END IF;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, certificate_id,
		signed_length, verification)
	VALUES (p_number, p_seq, p_delta, p_length, p_sha256, p.id, p_certificate_id,
		nullif(p_signed_length, p_length), p_verification);
	UPDATE parties SET status = 'signed', signed_at = now(),
		received_at = coalesce(received_at, now()), acted_by = p_user WHERE id = p.id;
	PERFORM wf_audit(p_number, p_org, p_user, 'party.signed', jsonb_build_object('seq', p_seq,
		'sha256', p_sha256, 'certificate_id', p_certificate_id), p_ip, p_ua);
	PERFORM wf_event(p_number, 'signed', p_org, jsonb_build_object('seq', p_seq));
	RETURN contract_json(p_number, p_org);
END
$$;

CREATE OR REPLACE FUNCTION party_mark_signed(p_number bigint, p_org bigint, p_user bigint,
	p_seq integer, p_delta bytea, p_length bigint, p_sha256 text, p_certificate_id bigint,
	p_ip inet, p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	RETURN party_mark_signed(p_number, p_org, p_user, p_seq, p_delta, p_length, p_sha256,
		p_certificate_id, p_ip, p_ua, NULL::bigint, NULL::text);
END
$$;

-- 010's completion with the report (012) in the same INSERT; the same checks
-- in the same order, the same audit events and answer.
CREATE OR REPLACE FUNCTION signing_session_complete_verified(p_id uuid, p_org bigint,
	p_user bigint, p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz,
	p_verification text, p_archive_until timestamptz, p_signed_length bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
	doc jsonb;
BEGIN
	-- Lock the contract first, in the same order as every workflow function.
	SELECT ss.contract_number INTO s.contract_number FROM signing_sessions ss WHERE ss.id = p_id;
	IF s.contract_number IS NULL THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	PERFORM wf_lock(s.contract_number, p_org);
	SELECT * INTO s FROM signing_sessions WHERE id = p_id FOR UPDATE;
	IF s.organization_id <> p_org THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	PERFORM signing_session_usable(s);
	IF p_archive_until IS NOT NULL THEN
		UPDATE contracts SET archive_until = p_archive_until WHERE number = s.contract_number;
	END IF;
	doc := party_mark_signed(s.contract_number, p_org, p_user, s.base_seq + 1, p_delta,
		p_length, p_sha256, s.certificate_id, p_ip, p_ua, p_signed_length, p_verification);
	UPDATE signing_sessions SET state = 'completed', finished_at = now() WHERE id = p_id;
	PERFORM wf_audit(s.contract_number, p_org, p_user, 'signing.completed', jsonb_build_object(
		'session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'timestamp', wf_ts(p_tsa_time), 'archive_until', wf_ts(p_archive_until)), p_ip, p_ua);
	RETURN jsonb_build_object('session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'length', p_length, 'timestamp', wf_ts(p_tsa_time), 'contract', doc);
END
$$;

CREATE OR REPLACE FUNCTION signing_session_complete(p_id uuid, p_org bigint, p_user bigint,
	p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz, p_ip inet,
	p_ua text DEFAULT NULL, p_archive_until timestamptz DEFAULT NULL,
	p_signed_length bigint DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	RETURN signing_session_complete_verified(p_id, p_org, p_user, p_delta, p_length, p_sha256,
		p_tsa_time, NULL, p_archive_until, p_signed_length, p_ip, p_ua);
END
$$;
