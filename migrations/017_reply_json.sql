-- 017_reply_json.sql: a signing's k-th reply costs what its 1st does (issue 14).
--
-- Every state change answers with contract_json: the contract, its parties,
-- revisions and whole audit trail. 011/014 built it as jsonb, one
-- jsonb_build_object and two to_char per audit event, then copied the nested
-- values into the outer document; the server sent it as text (jsonb's output
-- function walks it again) and parsed that. At a contract's 20th signing
-- (103 events, 40 KB) that was 0.9-1.5 ms of PostgreSQL's CPU per call, three
-- calls per signing (receive, complete, send), growing with every event; it
-- is 0.23 ms now (bench_pg_chain.py shows the statements per k).
--
-- Now:
-- * each audit event's JSON is rendered once, when it is inserted (the chain
--   trigger fills audit_events.trail; events are append-only, so it never
--   goes stale), and the trail is json_agg of those texts: PostgreSQL's json
--   aggregates append a json value's text as it is, without parsing it;
-- * contract_json builds json (text) instead of jsonb, and every function
--   that answers with it returns json, so nothing parses the document again
--   on its way out (a jsonb function returning it would re-parse it).
-- The API document is the same: the same keys with the same values (json
-- keeps the order they are built in; jsonb sorted them by length), each
-- audit event as 014 rendered it.
--
-- audit_chain_verify() also checks that each event's rendering is that of
-- the event (the hash covers the event's columns, not its rendering): the
-- trail a reply shows cannot be changed without the verification noticing.
-- The rendering names the actor by its organization's credit code, which is
-- an organization's identity and now cannot be changed (a trigger refuses).

-- ---------------------------------------------------------------------------
-- An audit event as the API shows it (openapi.yaml AuditEvent): 014's
-- jsonb, as text, so each event reads exactly as 014's answers printed it.
CREATE FUNCTION audit_event_json(e audit_events) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN jsonb_build_object('seq', e.seq, 'action', e.action,
		'actor', (SELECT credit_code FROM organizations WHERE id = e.actor_org_id),
		'at', wf_ts(e.at), 'details', e.details, 'hash', encode(e.hash, 'hex'))::text::json;
END
$$;

ALTER TABLE audit_events ADD COLUMN trail json;
-- Events written before this migration get theirs (the append-only trigger
-- is the only thing that refuses the UPDATE; the hash does not cover trail).
ALTER TABLE audit_events DISABLE TRIGGER audit_events_immutable;
UPDATE audit_events a SET trail = audit_event_json(a);
ALTER TABLE audit_events ENABLE TRIGGER audit_events_immutable;
ALTER TABLE audit_events ALTER COLUMN trail SET NOT NULL;

-- 014's chain trigger, rendering the event once its seq and hash are known.
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
	NEW.trail := audit_event_json(NEW);
	UPDATE audit_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain = k;
	RETURN NEW;
END
$$;

-- The rendering names the actor by credit code: an organization keeps its
-- code (nothing in the platform changes it; an organization with another
-- code is another organization).
CREATE FUNCTION organizations_credit_code_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'an organization''s credit code cannot change (% to %)',
		OLD.credit_code, NEW.credit_code USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER organizations_credit_code_fixed BEFORE UPDATE OF credit_code ON organizations
	FOR EACH ROW WHEN (OLD.credit_code IS DISTINCT FROM NEW.credit_code)
	EXECUTE FUNCTION organizations_credit_code_fixed();

-- 005's re-check, and each event's rendering against the event.
CREATE OR REPLACE FUNCTION audit_chain_verify(p_contract bigint,
	OUT valid boolean, OUT events bigint, OUT first_bad_seq bigint, OUT reason text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	k bigint := coalesce(p_contract, 0);
	e audit_events%ROWTYPE;
	expect_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
	expect_seq bigint := 1;
	head audit_heads%ROWTYPE;
BEGIN
	valid := true;
	events := 0;
	FOR e IN SELECT * FROM audit_events WHERE coalesce(contract_number, 0) = k ORDER BY seq LOOP
		events := events + 1;
		IF e.seq <> expect_seq THEN
			reason := format('event %s missing', expect_seq);
		ELSIF e.prev_hash <> expect_prev THEN
			reason := 'prev_hash does not match the previous event';
		ELSIF e.hash <> audit_event_hash(e.prev_hash, e.contract_number, e.seq,
				e.actor_org_id, e.actor_user_id, e.action, e.object_type,
				e.object_id, e.ip, e.at, e.details, e.user_agent) THEN
			reason := 'hash does not match the event';
		ELSIF e.trail::text <> audit_event_json(e)::text THEN
			reason := 'the event as shown in the trail does not match the event';
		END IF;
		IF reason IS NOT NULL THEN
			valid := false;
			first_bad_seq := e.seq;
			RETURN;
		END IF;
		expect_prev := e.hash;
		expect_seq := e.seq + 1;
	END LOOP;
	SELECT * INTO head FROM audit_heads WHERE chain = k;
	IF (NOT FOUND AND events > 0) OR (FOUND AND (head.last_seq <> events
			OR head.last_hash <> expect_prev)) THEN
		valid := false;
		first_bad_seq := events + 1;
		reason := 'chain head does not match the last event';
	END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- contract_json (014) as json. The revision's signer is a join instead of a
-- subquery per revision; the trail is the events' renderings in seq order.
DROP FUNCTION contract_json(bigint, bigint);
CREATE FUNCTION contract_json(p_number bigint, p_org bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT json_build_object(
			'number', c.number::text, 'name', c.name, 'business_type', c.business_type,
			'business_type_name', business_type_name(c.business_type),
			'status', c.status, 'deadline', wf_ts(c.deadline),
			'created_at', wf_ts(c.created_at), 'updated_at', wf_ts(c.updated_at),
			'sent_at', wf_ts(c.sent_at), 'completed_at', wf_ts(c.completed_at),
			'page_count', c.page_count, 'sha256', c.sha256,
			'initiator', json_build_object('name', o.name, 'credit_code', o.credit_code),
			'is_initiator', c.initiator_org_id = p_org,
			'reject_reason', (SELECT reject_reason FROM parties WHERE contract_number = c.number
				AND status = 'rejected' LIMIT 1),
			'document_url', '/api/v1/contracts/' || c.number || '/document',
			'parties', coalesce((SELECT json_agg(json_build_object(
					'credit_code', po.credit_code, 'name', po.name, 'role', p.role,
					'routing_order', p.routing_order, 'status', p.status,
					'reject_reason', p.reject_reason, 'received_at', wf_ts(p.received_at),
					'signed_at', wf_ts(p.signed_at), 'sent_at', wf_ts(p.sent_at),
					'rejected_at', wf_ts(p.rejected_at), 'is_me', p.organization_id = p_org)
					ORDER BY p.routing_order, p.role DESC, p.id)
				FROM parties p JOIN organizations po ON po.id = p.organization_id
				WHERE p.contract_number = c.number), '[]'::json),
			'revisions', coalesce((SELECT json_agg(json_build_object('seq', r.seq,
					'length', r.length, 'sha256', r.sha256, 'created_at', wf_ts(r.created_at),
					'signed_by', so.credit_code,
					'document_url', '/api/v1/contracts/' || c.number || '/revisions/'
						|| r.seq || '/document') ORDER BY r.seq)
				FROM revisions r LEFT JOIN parties sp ON sp.id = r.party_id
					LEFT JOIN organizations so ON so.id = sp.organization_id
				WHERE r.contract_number = c.number), '[]'::json),
			'audit', coalesce((SELECT json_agg(a.trail ORDER BY a.seq)
				FROM audit_events a WHERE coalesce(a.contract_number, 0) = c.number),
				'[]'::json))
		FROM contracts c JOIN organizations o ON o.id = c.initiator_org_id
		WHERE c.number = p_number);
END
$$;

-- ---------------------------------------------------------------------------
-- Every function that answers with contract_json returns json (their latest
-- bodies: contract_create/update/send/receive/reject/cancel of 005,
-- party_mark_signed and signing_session_complete(_verified) of 014), with
-- no other change. A return type cannot be replaced: drop, create.
DROP FUNCTION signing_session_complete(uuid, bigint, bigint, bytea, bigint, text, timestamptz,
	inet, text, timestamptz, bigint);
DROP FUNCTION signing_session_complete_verified(uuid, bigint, bigint, bytea, bigint, text,
	timestamptz, text, timestamptz, bigint, inet, text);
DROP FUNCTION party_mark_signed(bigint, bigint, bigint, integer, bytea, bigint, text, bigint,
	inet, text);
DROP FUNCTION party_mark_signed(bigint, bigint, bigint, integer, bytea, bigint, text, bigint,
	inet, text, bigint, text);
DROP FUNCTION contract_create(bigint, bigint, bigint, text, text, timestamptz, jsonb, bytea, text,
	integer, text, inet, text);
DROP FUNCTION contract_update(bigint, bigint, bigint, text, text, timestamptz, boolean, jsonb,
	inet, text);
DROP FUNCTION contract_send(bigint, bigint, bigint, inet, text);
DROP FUNCTION contract_receive(bigint, bigint, bigint, inet, text);
DROP FUNCTION contract_reject(bigint, bigint, bigint, text, inet, text);
DROP FUNCTION contract_cancel(bigint, bigint, bigint, inet, text);

CREATE FUNCTION contract_create(p_number bigint, p_org bigint, p_user bigint, p_name text,
	p_business_type text, p_deadline timestamptz, p_parties jsonb, p_pdf bytea, p_sha256 text,
	p_pages integer, p_idem_key text, p_ip inet, p_ua text DEFAULT NULL)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	prev jsonb;
	res json;
BEGIN
	prev := wf_idem_begin(p_org, p_idem_key, encode(sha256(convert_to(jsonb_build_array(
		'create', p_name, p_business_type, wf_ts(p_deadline), p_parties, p_sha256)::text,
		'UTF8')), 'hex'));
	IF prev IS NOT NULL THEN
		RETURN prev::json;
	END IF;
	IF p_name IS NULL OR length(btrim(p_name)) NOT BETWEEN 1 AND 200 THEN
		PERFORM wf_fail('SP400', 'name must be 1..200 characters');
	END IF;
	IF p_business_type IS NOT NULL AND p_business_type !~ '^[a-z][a-z0-9_-]{0,31}$' THEN
		PERFORM wf_fail('SP400', 'business_type must match [a-z][a-z0-9_-]{0,31}');
	END IF;
	IF p_deadline IS NOT NULL AND p_deadline <= now() THEN
		PERFORM wf_fail('SP400', 'deadline must be in the future');
	END IF;
	BEGIN
		INSERT INTO contracts (number, name, business_type, initiator_org_id,
			initiator_user_id, deadline, page_count, sha256)
		VALUES (p_number, btrim(p_name), coalesce(p_business_type, 'e-contract'), p_org,
			p_user, p_deadline, p_pages, p_sha256);
	EXCEPTION WHEN unique_violation THEN
		PERFORM wf_fail('SP423', 'contract number taken');
	END;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256)
	VALUES (p_number, 0, p_pdf, length(p_pdf), p_sha256);
	PERFORM wf_parties_set(p_number, coalesce(p_parties, '[]'::jsonb));
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.created', jsonb_build_object(
		'name', btrim(p_name), 'sha256', p_sha256, 'pages', p_pages), p_ip, p_ua);
	res := contract_json(p_number, p_org);
	IF p_idem_key IS NOT NULL THEN
		-- stored as before (jsonb), replayed by wf_idem_begin
		PERFORM wf_idem_store(p_org, p_idem_key, res::jsonb);
	END IF;
	RETURN res;
END
$$;

CREATE FUNCTION contract_update(p_number bigint, p_org bigint, p_user bigint, p_name text,
	p_business_type text, p_deadline timestamptz, p_clear_deadline boolean, p_parties jsonb,
	p_ip inet, p_ua text DEFAULT NULL) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	IF c.initiator_org_id <> p_org THEN
		PERFORM wf_fail('SP403', 'only the initiator edits a contract');
	END IF;
	IF c.status <> 'draft' THEN
		PERFORM wf_fail('SP409', format('the contract is %s; only drafts can be edited', c.status));
	END IF;
	IF p_name IS NOT NULL AND length(btrim(p_name)) NOT BETWEEN 1 AND 200 THEN
		PERFORM wf_fail('SP400', 'name must be 1..200 characters');
	END IF;
	IF p_business_type IS NOT NULL AND p_business_type !~ '^[a-z][a-z0-9_-]{0,31}$' THEN
		PERFORM wf_fail('SP400', 'business_type must match [a-z][a-z0-9_-]{0,31}');
	END IF;
	IF p_deadline IS NOT NULL AND p_deadline <= now() THEN
		PERFORM wf_fail('SP400', 'deadline must be in the future');
	END IF;
	UPDATE contracts SET name = coalesce(btrim(p_name), name),
		business_type = coalesce(p_business_type, business_type),
		deadline = CASE WHEN p_clear_deadline THEN NULL ELSE coalesce(p_deadline, deadline) END
	WHERE number = p_number;
	IF p_parties IS NOT NULL THEN
		PERFORM wf_parties_set(p_number, p_parties);
	END IF;
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.updated', jsonb_strip_nulls(
		jsonb_build_object('name', p_name, 'business_type', p_business_type,
		'deadline', wf_ts(p_deadline), 'parties_replaced', p_parties IS NOT NULL)), p_ip, p_ua);
	RETURN contract_json(p_number, p_org);
END
$$;

CREATE FUNCTION contract_send(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	IF c.status = 'draft' THEN
		IF c.initiator_org_id <> p_org THEN
			PERFORM wf_fail('SP403', 'only the initiator sends a draft');
		END IF;
		IF NOT EXISTS (SELECT 1 FROM parties WHERE contract_number = p_number
				AND role = 'signer') THEN
			PERFORM wf_fail('SP400', 'a contract needs at least one signer before it is sent');
		END IF;
		IF c.deadline IS NOT NULL AND c.deadline <= now() THEN
			PERFORM wf_fail('SP409', 'the deadline has passed; edit the draft first');
		END IF;
		UPDATE contracts SET status = 'signing', sent_at = now() WHERE number = p_number;
		UPDATE parties SET status = 'pending' WHERE contract_number = p_number
			AND role = 'signer' AND routing_order = (SELECT min(routing_order) FROM parties
				WHERE contract_number = p_number AND role = 'signer');
		PERFORM wf_audit(p_number, p_org, p_user, 'contract.sent', '{}'::jsonb, p_ip, p_ua);
		PERFORM wf_event(p_number, 'sent', p_org, '{}'::jsonb);
		RETURN contract_json(p_number, p_org);
	END IF;
	-- The contract row is locked: the party cannot move under us.
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer';
	IF p.status = 'sent' THEN
		RETURN contract_json(p_number, p_org); -- a repeat
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s', c.status));
	END IF;
	IF c.initiator_org_id = p_org AND (p.id IS NULL OR p.status = 'waiting') THEN
		-- The initiator's send, repeated (also when it is a later signer).
		RETURN contract_json(p_number, p_org);
	END IF;
	p := wf_party_turn(p_number, p_org, 'send');
	UPDATE parties SET status = 'sent', sent_at = now(), acted_by = p_user WHERE id = p.id;
	PERFORM wf_audit(p_number, p_org, p_user, 'party.sent',
		jsonb_build_object('routing_order', p.routing_order), p_ip, p_ua);
	PERFORM wf_advance(p_number, p_org, p_user, p_ip, p_ua);
	RETURN contract_json(p_number, p_org);
END
$$;

CREATE FUNCTION contract_receive(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer';
	IF p.status IN ('received', 'signed', 'sent') THEN
		RETURN contract_json(p_number, p_org); -- a repeat
	END IF;
	p := wf_party_turn(p_number, p_org, 'receive');
	UPDATE parties SET status = 'received', received_at = now(), acted_by = p_user
	WHERE id = p.id;
	PERFORM wf_audit(p_number, p_org, p_user, 'party.received', '{}'::jsonb, p_ip, p_ua);
	PERFORM wf_event(p_number, 'received', p_org, '{}'::jsonb);
	RETURN contract_json(p_number, p_org);
END
$$;

CREATE FUNCTION contract_reject(p_number bigint, p_org bigint, p_user bigint, p_reason text,
	p_ip inet, p_ua text DEFAULT NULL) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer';
	IF p.status = 'rejected' THEN
		RETURN contract_json(p_number, p_org); -- a repeat
	END IF;
	p := wf_party_turn(p_number, p_org, 'reject');
	IF p_reason IS NULL OR length(btrim(p_reason)) NOT BETWEEN 1 AND 1000 THEN
		PERFORM wf_fail('SP400', 'a reason of 1..1000 characters is required');
	END IF;
	UPDATE parties SET status = 'rejected', reject_reason = btrim(p_reason),
		rejected_at = now(), acted_by = p_user WHERE id = p.id;
	UPDATE contracts SET status = 'rejected', completed_at = now() WHERE number = p_number;
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.rejected',
		jsonb_build_object('reason', btrim(p_reason)), p_ip, p_ua);
	PERFORM wf_event(p_number, 'rejected', p_org, jsonb_build_object('reason', btrim(p_reason)));
	RETURN contract_json(p_number, p_org);
END
$$;

CREATE FUNCTION contract_cancel(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	IF c.initiator_org_id <> p_org THEN
		PERFORM wf_fail('SP403', 'only the initiator cancels a contract');
	END IF;
	IF c.status = 'cancelled' THEN
		RETURN contract_json(p_number, p_org); -- a repeat
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s; only a contract being signed can be '
			'cancelled', c.status));
	END IF;
	UPDATE contracts SET status = 'cancelled', completed_at = now() WHERE number = p_number;
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.cancelled', '{}'::jsonb, p_ip, p_ua);
	PERFORM wf_event(p_number, 'cancelled', p_org, '{}'::jsonb);
	RETURN contract_json(p_number, p_org);
END
$$;

CREATE FUNCTION party_mark_signed(p_number bigint, p_org bigint, p_user bigint, p_seq integer,
	p_delta bytea, p_length bigint, p_sha256 text, p_certificate_id bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
	RETURN party_mark_signed(p_number, p_org, p_user, p_seq, p_delta, p_length, p_sha256,
		p_certificate_id, p_ip, p_ua, NULL::bigint, NULL::text);
END
$$;

CREATE FUNCTION party_mark_signed(p_number bigint, p_org bigint, p_user bigint, p_seq integer,
	p_delta bytea, p_length bigint, p_sha256 text, p_certificate_id bigint, p_ip inet, p_ua text,
	p_signed_length bigint, p_verification text) RETURNS json LANGUAGE plpgsql AS $$
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

CREATE FUNCTION signing_session_complete_verified(p_id uuid, p_org bigint, p_user bigint,
	p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz, p_verification text,
	p_archive_until timestamptz, p_signed_length bigint, p_ip inet, p_ua text DEFAULT NULL)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
	doc json;
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
	RETURN json_build_object('session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'length', p_length, 'timestamp', wf_ts(p_tsa_time), 'contract', doc);
END
$$;

CREATE FUNCTION signing_session_complete(p_id uuid, p_org bigint, p_user bigint, p_delta bytea,
	p_length bigint, p_sha256 text, p_tsa_time timestamptz, p_ip inet, p_ua text DEFAULT NULL,
	p_archive_until timestamptz DEFAULT NULL, p_signed_length bigint DEFAULT NULL)
RETURNS json LANGUAGE plpgsql AS $$
BEGIN
	RETURN signing_session_complete_verified(p_id, p_org, p_user, p_delta, p_length, p_sha256,
		p_tsa_time, NULL, p_archive_until, p_signed_length, p_ip, p_ua);
END
$$;

-- ---------------------------------------------------------------------------
-- The document a signing loads, in parts. Prepare loaded the latest revision
-- and completion its base plus the session's update as one bytea:
-- revision_document's string_agg, copied again by each PL/pgSQL layer it
-- passed (revision_document, signing_prepare_load, signing_prepare_load_seal,
-- the function scan). At the 20th signing of a 10-page contract (500 KB)
-- that was ~2 ms of PostgreSQL per statement, most of it the kernel mapping
-- fresh pages for each 0.5 MB copy. The server now reads the stored parts as
-- rows in seq order (the update of each revision, the session's update last)
-- and puts them end to end itself: PostgreSQL sends each part as it reads
-- it. The statement checks what the old functions checked; the server
-- checks that every part came (one row per revision 0..base_seq) and that
-- they add up to the base revision's stored length.

-- signing_prepare_load_seal (009) without the document: the turn, the latest
-- revision and its length, the seal.
CREATE FUNCTION signing_prepare_check(p_number bigint, p_org bigint, p_seal bigint,
	OUT base_seq integer, OUT base_length bigint, OUT seal_png bytea, OUT seal_info jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	PERFORM wf_party_turn(p_number, p_org, 'sign');
	SELECT r.seq, r.length INTO base_seq, base_length FROM revisions r
	WHERE r.contract_number = p_number ORDER BY r.seq DESC LIMIT 1;
	IF p_seal IS NOT NULL THEN
		s := seal_usable(p_org, p_seal);
		seal_png := s.image_png;
		seal_info := jsonb_build_object('id', s.id::text, 'name', s.name, 'type', s.type,
			'valid_from', wf_ts(s.valid_from), 'valid_until', wf_ts(s.valid_until),
			'status', s.status);
	END IF;
END
$$;

-- signing_session_claim (010) without the document: the session's own
-- update (delta) and orig_len, the base revision's stored length.
CREATE FUNCTION signing_session_claim_head(p_id uuid, p_org bigint, OUT contract_number bigint,
	OUT base_seq integer, OUT delta bytea, OUT orig_len bigint, OUT contents_off bigint,
	OUT contents_len bigint, OUT signed_attrs bytea, OUT algorithm text, OUT chain bytea,
	OUT cert_der bytea, OUT tsa_serial bigint, OUT last_signer boolean,
	OUT archive_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
BEGIN
	SELECT * INTO s FROM signing_sessions WHERE id = p_id;
	IF NOT FOUND OR s.organization_id <> p_org THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	PERFORM signing_session_usable(s);
	contract_number := s.contract_number;
	base_seq := s.base_seq;
	delta := s.delta;
	orig_len := (SELECT r.length FROM revisions r
		WHERE r.contract_number = s.contract_number AND r.seq = s.base_seq);
	contents_off := s.contents_off;
	contents_len := s.contents_len;
	signed_attrs := s.signed_attrs;
	algorithm := s.algorithm;
	chain := s.chain;
	cert_der := (SELECT der FROM certificates WHERE id = s.certificate_id);
	tsa_serial := nextval('tsa_serial');
	last_signer := NOT EXISTS (SELECT 1 FROM parties p
		WHERE p.contract_number = s.contract_number AND p.role = 'signer'
		AND p.organization_id <> p_org AND p.status NOT IN ('signed', 'sent'));
	archive_serial := CASE WHEN last_signer THEN nextval('tsa_serial') ELSE 0 END;
END
$$;
