-- 005_workflow_context.sql: one rule for "is it this party's turn", and the
-- caller's IP address and User-Agent in every audit event of a state change.
--
-- 1. The turn rule. A signer's party moves
--        waiting -> pending -> received -> signed -> sent     (or -> rejected)
--    waiting: its routing group has not come up yet; pending: its group's
--    turn (to do); received: it took the contract; signed: its signature is
--    stored; sent: it handed the contract on. wf_party_turn() is the only
--    place that says which party statuses allow which step, for a contract
--    being signed:
--        receive                      pending
--        reject                       pending, received
--        sign (prepare and complete)  received
--        send                         signed
--    A waiting party is out of turn (SP419); any other status is the wrong
--    state (SP409); signing a contract one has not received is refused
--    ("receive the contract before signing it"), at prepare and at complete
--    alike. 003 and 004 wrote this check three times and disagreed: prepare
--    asked for received, while complete (party_mark_signed) also took
--    pending. A repeated step that already happened is recognised by the
--    step's function before it asks whose turn it is, and succeeds.
--
-- 2. Who acted, from where. audit_events gets a user_agent column; every
--    function of a state change takes p_ip and p_ua and records both.
--    p_ua comes last with DEFAULT NULL, so calls written for 003/004 (which
--    pass p_ip, always NULL so far) still resolve; the old signatures are
--    dropped so that no call is ambiguous. The hash chain covers user_agent
--    for events that have one and hashes an event without one exactly as
--    001 did, so chains written before this migration still verify.

-- ---------------------------------------------------------------------------
-- The audit trail.

-- Bounded by the server (256 bytes, cut at a UTF-8 boundary). NOT VALID: the
-- column is new, so no existing row can break the check, and the table is
-- not scanned under the migration's lock.
ALTER TABLE audit_events ADD COLUMN user_agent text;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_user_agent_check
	CHECK (user_agent IS NULL OR length(user_agent) BETWEEN 1 AND 256) NOT VALID;

-- 001's canonical text, with user_agent appended to the array only when the
-- event has one: an event without a user agent hashes as before.
CREATE FUNCTION audit_event_hash(prev_hash bytea, contract_number bigint, seq bigint,
	actor_org_id bigint, actor_user_id bigint, action text, object_type text,
	object_id text, ip inet, at timestamptz, details jsonb, user_agent text) RETURNS bytea
LANGUAGE sql STABLE AS $$
	SELECT sha256(prev_hash || convert_to((jsonb_build_array(contract_number, seq,
		actor_org_id, actor_user_id, action, object_type, object_id,
		host(ip), to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		details) || CASE WHEN user_agent IS NULL THEN '[]'::jsonb
			ELSE jsonb_build_array(user_agent) END)::text, 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k bigint := coalesce(NEW.contract_number, 0);
	head audit_heads%ROWTYPE;
BEGIN
	INSERT INTO audit_heads (chain, last_seq, last_hash)
	VALUES (k, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
	ON CONFLICT (chain) DO NOTHING;
	SELECT * INTO head FROM audit_heads WHERE chain = k FOR UPDATE;
	NEW.seq := head.last_seq + 1;
	NEW.prev_hash := head.last_hash;
	NEW.hash := audit_event_hash(NEW.prev_hash, NEW.contract_number, NEW.seq,
		NEW.actor_org_id, NEW.actor_user_id, NEW.action, NEW.object_type,
		NEW.object_id, NEW.ip, NEW.at, NEW.details, NEW.user_agent);
	UPDATE audit_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain = k;
	RETURN NEW;
END
$$;

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

DROP FUNCTION audit_event_hash(bytea, bigint, bigint, bigint, bigint, text, text, text, inet,
	timestamptz, jsonb);

-- An empty user agent is none; a longer one than the column takes is cut
-- (the server already bounds it, this keeps a direct caller from failing).
DROP FUNCTION wf_audit(bigint, bigint, bigint, text, jsonb, inet);
CREATE FUNCTION wf_audit(p_number bigint, p_org bigint, p_user bigint, p_action text,
	p_details jsonb, p_ip inet, p_ua text DEFAULT NULL) RETURNS void LANGUAGE sql AS $$
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (p_number, p_org, p_user, p_action, 'contract', p_number::text, p_ip,
		nullif(left(p_ua, 256), ''), coalesce(p_details, '{}'::jsonb))
$$;

-- ---------------------------------------------------------------------------
-- The turn rule (see the head of this file). Locks the contract the caller
-- may see (404 otherwise, wf_lock) and then the caller's signer party, in
-- the order every workflow function locks them, and returns the party when
-- p_for ('receive', 'reject', 'sign', 'send') is allowed now. Raises SP403
-- when the caller has no signer party, SP409 when the contract is not being
-- signed or the party's status does not allow the step, SP419 when the
-- party's routing group has not come up yet.
CREATE FUNCTION wf_party_turn(p_number bigint, p_org bigint, p_for text) RETURNS parties
LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
	allowed text[];
	not_signer text;
BEGIN
	CASE p_for
	WHEN 'receive' THEN
		allowed := '{pending}';
		not_signer := 'only a signer receives a contract';
	WHEN 'reject' THEN
		allowed := '{pending,received}';
		not_signer := 'only a signer rejects a contract';
	WHEN 'sign' THEN
		allowed := '{received}';
		not_signer := 'only a signer signs a contract';
	WHEN 'send' THEN
		allowed := '{signed}';
		not_signer := 'a cc party does not send';
	ELSE
		RAISE EXCEPTION 'wf_party_turn: unknown step %', p_for;
	END CASE;
	c := wf_lock(p_number, p_org);
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer' FOR UPDATE;
	IF p.id IS NULL THEN
		PERFORM wf_fail('SP403', not_signer);
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s', c.status));
	END IF;
	IF p.status = ANY (allowed) THEN
		RETURN p;
	END IF;
	IF p.status = 'waiting' THEN
		PERFORM wf_fail('SP419', 'it is not your turn yet');
	END IF;
	IF p_for = 'sign' AND p.status = 'pending' THEN
		PERFORM wf_fail('SP409', 'receive the contract before signing it');
	END IF;
	IF p_for = 'send' AND p.status IN ('pending', 'received') THEN
		PERFORM wf_fail('SP409', format('your party is %s; sign before sending', p.status));
	END IF;
	PERFORM wf_fail('SP409', format('your party is %s', p.status));
	RETURN NULL; -- not reached
END
$$;

-- ---------------------------------------------------------------------------
-- Drafts, as in 003, with the caller's user agent.

DROP FUNCTION contract_create(bigint, bigint, bigint, text, text, timestamptz, jsonb, bytea,
	text, integer, text, inet);
CREATE FUNCTION contract_create(p_number bigint, p_org bigint, p_user bigint, p_name text,
	p_business_type text, p_deadline timestamptz, p_parties jsonb, p_pdf bytea,
	p_sha256 text, p_pages integer, p_idem_key text, p_ip inet, p_ua text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	prev jsonb;
	res jsonb;
BEGIN
	prev := wf_idem_begin(p_org, p_idem_key, encode(sha256(convert_to(jsonb_build_array(
		'create', p_name, p_business_type, wf_ts(p_deadline), p_parties, p_sha256)::text,
		'UTF8')), 'hex'));
	IF prev IS NOT NULL THEN
		RETURN prev;
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
	PERFORM wf_idem_store(p_org, p_idem_key, res);
	RETURN res;
END
$$;

DROP FUNCTION contract_update(bigint, bigint, bigint, text, text, timestamptz, boolean, jsonb,
	inet);
CREATE FUNCTION contract_update(p_number bigint, p_org bigint, p_user bigint, p_name text,
	p_business_type text, p_deadline timestamptz, p_clear_deadline boolean,
	p_parties jsonb, p_ip inet, p_ua text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
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

DROP FUNCTION contract_delete(bigint, bigint, bigint, inet);
CREATE FUNCTION contract_delete(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	IF c.initiator_org_id <> p_org THEN
		PERFORM wf_fail('SP403', 'only the initiator deletes a draft');
	END IF;
	IF c.status <> 'draft' THEN
		PERFORM wf_fail('SP409', format('the contract is %s; only drafts can be deleted', c.status));
	END IF;
	-- The audit chain outlives the draft (no foreign key), ending with this event.
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.deleted', '{}'::jsonb, p_ip, p_ua);
	DELETE FROM contracts WHERE number = p_number;
END
$$;

-- ---------------------------------------------------------------------------
-- Transitions, as in 003, asking wf_party_turn() whose turn it is.

DROP FUNCTION wf_advance(bigint, bigint, bigint, inet);
CREATE FUNCTION wf_advance(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	nxt integer;
BEGIN
	IF EXISTS (SELECT 1 FROM parties WHERE contract_number = p_number AND role = 'signer'
			AND status IN ('pending', 'received', 'signed')) THEN
		RETURN; -- the current group is still at work (parallel signers)
	END IF;
	SELECT min(routing_order) INTO nxt FROM parties
	WHERE contract_number = p_number AND role = 'signer' AND status = 'waiting';
	IF nxt IS NULL THEN
		UPDATE contracts SET status = 'completed', completed_at = now() WHERE number = p_number;
		PERFORM wf_audit(p_number, p_org, p_user, 'contract.completed', '{}'::jsonb, p_ip, p_ua);
		PERFORM wf_event(p_number, 'completed', p_org, '{}'::jsonb);
	ELSE
		UPDATE parties SET status = 'pending' WHERE contract_number = p_number
			AND role = 'signer' AND status = 'waiting' AND routing_order = nxt;
		PERFORM wf_audit(p_number, p_org, p_user, 'contract.routed',
			jsonb_build_object('routing_order', nxt), p_ip, p_ua);
	END IF;
END
$$;

-- send: the initiator sends a draft (draft -> signing, first group pending),
-- or a signer that has signed hands the contract on (party signed -> sent).
-- Repeating a send that already happened changes nothing and succeeds.
DROP FUNCTION contract_send(bigint, bigint, bigint, inet);
CREATE FUNCTION contract_send(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
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

-- receive: a pending signer takes the contract (pending -> received).
DROP FUNCTION contract_receive(bigint, bigint, bigint, inet);
CREATE FUNCTION contract_receive(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
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

-- receive all: every contract pending for the organization, in number order
-- (a fixed lock order, so two concurrent calls cannot deadlock). Returns the
-- received contracts' numbers as a JSON array of strings. Only contracts
-- whose turn rule allows receive are taken (pending, the contract signing).
DROP FUNCTION contract_receive_all(bigint, bigint, inet);
CREATE FUNCTION contract_receive_all(p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	done jsonb := '[]'::jsonb;
BEGIN
	FOR n IN SELECT p.contract_number FROM parties p JOIN contracts c
			ON c.number = p.contract_number
		WHERE p.organization_id = p_org AND p.role = 'signer' AND p.status = 'pending'
		  AND c.status = 'signing'
		ORDER BY p.contract_number LIMIT 1000 LOOP
		PERFORM 1 FROM contracts WHERE number = n AND status = 'signing' FOR UPDATE;
		IF FOUND THEN
			UPDATE parties SET status = 'received', received_at = now(), acted_by = p_user
			WHERE contract_number = n AND organization_id = p_org AND role = 'signer'
			  AND status = 'pending';
			IF FOUND THEN
				PERFORM wf_audit(n, p_org, p_user, 'party.received', '{"all": true}'::jsonb,
					p_ip, p_ua);
				PERFORM wf_event(n, 'received', p_org, '{}'::jsonb);
				done := done || to_jsonb(n::text);
			END IF;
		END IF;
	END LOOP;
	RETURN done;
END
$$;

-- reject: a signer whose turn it is refuses; the whole contract is rejected
-- and every party sees the reason.
DROP FUNCTION contract_reject(bigint, bigint, bigint, text, inet);
CREATE FUNCTION contract_reject(p_number bigint, p_org bigint, p_user bigint, p_reason text,
	p_ip inet, p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
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

-- cancel: the initiator withdraws a contract while it is being signed.
DROP FUNCTION contract_cancel(bigint, bigint, bigint, inet);
CREATE FUNCTION contract_cancel(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
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
		PERFORM wf_fail('SP409', format('the contract is %s; only a contract being signed can be cancelled', c.status));
	END IF;
	UPDATE contracts SET status = 'cancelled', completed_at = now() WHERE number = p_number;
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.cancelled', '{}'::jsonb, p_ip, p_ua);
	PERFORM wf_event(p_number, 'cancelled', p_org, '{}'::jsonb);
	RETURN contract_json(p_number, p_org);
END
$$;

-- What the signing step calls when a signer's signature is stored: appends
-- revision seq = last + 1 (the revisions trigger checks length and digest of
-- the whole document) and marks the party signed. The turn rule's "sign"
-- step (the party has received the contract, which is being signed); a
-- stale p_seq (another revision landed) fails SP409. Returns the contract JSON.
DROP FUNCTION party_mark_signed(bigint, bigint, bigint, integer, bytea, bigint, text, bigint,
	inet);
CREATE FUNCTION party_mark_signed(p_number bigint, p_org bigint, p_user bigint,
	p_seq integer, p_delta bytea, p_length bigint, p_sha256 text, p_certificate_id bigint,
	p_ip inet, p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	p parties%ROWTYPE;
	last integer;
BEGIN
	p := wf_party_turn(p_number, p_org, 'sign');
	SELECT max(seq) INTO last FROM revisions WHERE contract_number = p_number;
	IF p_seq <> last + 1 THEN
		PERFORM wf_fail('SP409', format('revision %s is the latest; prepare again', last));
	END IF;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, certificate_id)
	VALUES (p_number, p_seq, p_delta, p_length, p_sha256, p.id, p_certificate_id);
	UPDATE parties SET status = 'signed', signed_at = now(),
		received_at = coalesce(received_at, now()), acted_by = p_user WHERE id = p.id;
	PERFORM wf_audit(p_number, p_org, p_user, 'party.signed', jsonb_build_object('seq', p_seq,
		'sha256', p_sha256, 'certificate_id', p_certificate_id), p_ip, p_ua);
	PERFORM wf_event(p_number, 'signed', p_org, jsonb_build_object('seq', p_seq));
	RETURN contract_json(p_number, p_org);
END
$$;

-- ---------------------------------------------------------------------------
-- Signing sessions (004), asking wf_party_turn() whose turn it is.

-- What prepare needs before building the update: the turn rule's "sign"
-- step. Returns the latest revision's seq and whole document. The rows are
-- locked only for this one statement.
CREATE OR REPLACE FUNCTION signing_prepare_load(p_number bigint, p_org bigint,
	OUT base_seq integer, OUT document bytea)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM wf_party_turn(p_number, p_org, 'sign');
	SELECT max(seq) INTO base_seq FROM revisions WHERE contract_number = p_number;
	document := revision_document(p_number, base_seq);
END
$$;

-- Store a prepared session. The turn rule runs again under the row locks
-- (the state may have moved while the worker built the update), the base
-- revision must still be the latest, and the signing certificate is bound to
-- the caller's organization: it is the one the member logged in with,
-- another of the organization's known certificates, or a new one (the server
-- checked its chain and its organizationIdentifier against the
-- organization's credit code), recorded here.
DROP FUNCTION signing_session_create(bigint, bigint, bigint, integer, bytea, bigint, bigint,
	bytea, text, bytea, jsonb, integer, bytea, text, text, text, timestamptz, timestamptz, inet);
CREATE FUNCTION signing_session_create(p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet,
	p_ua text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	p parties%ROWTYPE;
	last integer;
	cert certificates%ROWTYPE;
	s signing_sessions%ROWTYPE;
BEGIN
	p := wf_party_turn(p_number, p_org, 'sign');
	SELECT max(seq) INTO last FROM revisions WHERE contract_number = p_number;
	IF last <> p_base_seq THEN
		PERFORM wf_fail('SPS09', format('revision %s landed while preparing; prepare again', last));
	END IF;
	SELECT * INTO cert FROM certificates WHERE fingerprint = encode(sha256(p_cert_der), 'hex');
	IF cert.id IS NULL THEN
		INSERT INTO certificates (organization_id, user_id, fingerprint, subject, issuer, serial,
			not_before, not_after, der)
		VALUES (p_org, p_user, encode(sha256(p_cert_der), 'hex'), p_cert_subject, p_cert_issuer,
			p_cert_serial, p_cert_not_before, p_cert_not_after, p_cert_der)
		RETURNING * INTO cert;
	ELSIF cert.organization_id IS DISTINCT FROM p_org THEN
		PERFORM wf_fail('SP403', 'this certificate belongs to another organization');
	END IF;
	IF cert.revoked_at IS NOT NULL THEN
		PERFORM wf_fail('SP403', 'this certificate was revoked on the platform');
	END IF;
	-- Open sessions hold a prepared update each: bound them per party. Expired
	-- ones of this party are dropped first (they can never complete).
	DELETE FROM signing_sessions WHERE party_id = p.id AND state = 'open'
		AND expires_at < now() - interval '1 hour';
	IF (SELECT count(*) FROM signing_sessions WHERE party_id = p.id AND state = 'open'
			AND expires_at > now()) >= 20 THEN
		PERFORM wf_fail('SP409', 'this party has 20 open signing sessions; complete or abort one');
	END IF;
	INSERT INTO signing_sessions (contract_number, party_id, organization_id, user_id,
		certificate_id, base_seq, delta, contents_off, contents_len, signed_attrs, algorithm,
		chain, rects, expires_at)
	VALUES (p_number, p.id, p_org, p_user, cert.id, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, coalesce(p_chain, ''::bytea),
		coalesce(p_rects, '[]'::jsonb), now() + make_interval(secs => p_ttl_s))
	RETURNING * INTO s;
	PERFORM wf_audit(p_number, p_org, p_user, 'signing.prepared', jsonb_build_object(
		'session', s.id, 'base_seq', p_base_seq, 'certificate_id', cert.id), p_ip, p_ua);
	RETURN jsonb_build_object('session', s.id, 'expires_at', wf_ts(s.expires_at),
		'base_seq', p_base_seq, 'certificate_id', cert.id);
END
$$;

-- Store the signed revision: the session must still be open, unexpired and
-- current (checked under its row lock, so of two concurrent completions of
-- one session exactly one stores); party_mark_signed appends revision
-- base_seq + 1 under the turn rule's "sign" step, marks the party signed and
-- appends the audit event.
DROP FUNCTION signing_session_complete(uuid, bigint, bigint, bytea, bigint, text, timestamptz,
	inet);
CREATE FUNCTION signing_session_complete(p_id uuid, p_org bigint, p_user bigint,
	p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
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
	doc := party_mark_signed(s.contract_number, p_org, p_user, s.base_seq + 1, p_delta,
		p_length, p_sha256, s.certificate_id, p_ip, p_ua);
	UPDATE signing_sessions SET state = 'completed', finished_at = now() WHERE id = p_id;
	PERFORM wf_audit(s.contract_number, p_org, p_user, 'signing.completed', jsonb_build_object(
		'session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'timestamp', wf_ts(p_tsa_time)), p_ip, p_ua);
	RETURN jsonb_build_object('session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'length', p_length, 'timestamp', wf_ts(p_tsa_time), 'contract', doc);
END
$$;

-- Abort an open session (DELETE). Aborting twice is answered like a used session.
DROP FUNCTION signing_session_abort(uuid, bigint, bigint, inet);
CREATE FUNCTION signing_session_abort(p_id uuid, p_org bigint, p_user bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
BEGIN
	SELECT * INTO s FROM signing_sessions WHERE id = p_id FOR UPDATE;
	IF NOT FOUND OR s.organization_id <> p_org THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	IF s.state <> 'open' THEN
		PERFORM wf_fail('SPS11', format('this signing session is already %s', s.state));
	END IF;
	UPDATE signing_sessions SET state = 'aborted', finished_at = now() WHERE id = p_id;
	PERFORM wf_audit(s.contract_number, p_org, p_user, 'signing.aborted',
		jsonb_build_object('session', p_id), p_ip, p_ua);
	RETURN jsonb_build_object('session', p_id, 'state', 'aborted');
END
$$;
