-- 003_workflow.sql: the contract workflow (issue 4): drafts, parties, the
-- transitions, idempotency keys, list indexes, webhooks and their queue.
--
-- Every state change the server makes is ONE call of a function below, so it
-- is atomic, takes its row locks in one transaction and never spans loop
-- turns (DESIGN.md §3). The functions raise errors with SQLSTATEs of class
-- "SP" that the server maps to HTTP:
--   SP400 invalid input, SP403 role not allowed, SP404 not visible to the
--   caller (never says whether the contract exists), SP409 wrong state,
--   SP419 out of turn (409 with code out_of_turn), SP422 idempotency key
--   reused for a different request (409 idempotency_key_reused).
-- Visibility: the initiator sees its contracts; a party sees a contract once
-- it has been sent (never a draft).
--
-- Parties are named by credit code. An organization that has never logged in
-- gets its organizations row here, with the name the initiator gave; its
-- first certificate login (identity, migration 002) finds that row by the
-- code, and the name a certificate proves wins there.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ---------------------------------------------------------------------------
-- Helpers.

-- RFC 3339 UTC with milliseconds, NULL stays NULL.
CREATE FUNCTION wf_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION wf_fail(p_code text, p_msg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = p_code, MESSAGE = p_msg;
END
$$;

-- Lock a contract the caller may see, or fail 404 (same answer whether it
-- does not exist or belongs to others: no existence leak).
CREATE FUNCTION wf_lock(p_number bigint, p_org bigint) RETURNS contracts
LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
BEGIN
	SELECT * INTO c FROM contracts WHERE number = p_number FOR UPDATE;
	IF NOT FOUND OR NOT (c.initiator_org_id = p_org OR (c.status <> 'draft' AND EXISTS (
			SELECT 1 FROM parties WHERE contract_number = p_number
			AND organization_id = p_org))) THEN
		PERFORM wf_fail('SP404', 'no such contract');
	END IF;
	RETURN c;
END
$$;

CREATE FUNCTION wf_audit(p_number bigint, p_org bigint, p_user bigint, p_action text,
	p_details jsonb, p_ip inet) RETURNS void LANGUAGE sql AS $$
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, details)
	VALUES (p_number, p_org, p_user, p_action, 'contract', p_number::text, p_ip,
		coalesce(p_details, '{}'::jsonb))
$$;

-- ---------------------------------------------------------------------------
-- Webhooks: an organization's callback URL and its HMAC secret (random,
-- shown once at creation; kept because every delivery is signed with it).
CREATE TABLE webhooks (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization_id bigint NOT NULL REFERENCES organizations (id),
	url             text NOT NULL CHECK (url ~ '^https?://[^\s]+$' AND length(url) <= 2000),
	secret          text NOT NULL CHECK (secret ~ '^[0-9a-f]{64}$'),
	created_by      bigint REFERENCES users (id),
	created_at      timestamptz NOT NULL DEFAULT now(),
	deleted_at      timestamptz
);
CREATE INDEX webhooks_organization_idx ON webhooks (organization_id) WHERE deleted_at IS NULL;

-- One row per (webhook, event): the queue and the delivery log at once.
CREATE TABLE webhook_deliveries (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	webhook_id      bigint NOT NULL REFERENCES webhooks (id),
	event_id        uuid NOT NULL,
	event           text NOT NULL CHECK (event IN ('sent', 'received', 'signed', 'rejected',
		'completed', 'cancelled', 'expired')),
	contract_number bigint NOT NULL,
	payload         jsonb NOT NULL,
	status          text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'delivered', 'failed')),
	attempts        integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	locked_until    timestamptz,
	last_http_status integer,
	last_error      text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
	WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id DESC);

-- Every attempt, for the organization's delivery log.
CREATE TABLE webhook_attempts (
	delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id),
	attempt     integer NOT NULL,
	at          timestamptz NOT NULL DEFAULT now(),
	http_status integer,
	error       text CHECK (length(error) <= 500),
	duration_ms integer,
	PRIMARY KEY (delivery_id, attempt)
);

-- Queue one event for every live webhook of every organization that can see
-- the contract (the initiator and, once sent, every party). Runs inside the
-- transition's transaction, so an event exists iff its transition committed.
CREATE FUNCTION wf_event(p_number bigint, p_event text, p_actor_org bigint,
	p_details jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	ev uuid := gen_random_uuid();
	body jsonb;
BEGIN
	SELECT * INTO c FROM contracts WHERE number = p_number;
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

-- Claim up to p_limit due deliveries for p_lease_s seconds. SKIP LOCKED lets
-- several processes claim concurrently without waiting on each other; the
-- lease keeps a claimed row away from others while its POST is in flight.
CREATE FUNCTION webhook_claim(p_limit integer, p_lease_s integer)
RETURNS TABLE (id bigint, url text, secret text, payload text, attempt integer)
LANGUAGE sql AS $$
	UPDATE webhook_deliveries d
	SET locked_until = now() + make_interval(secs => p_lease_s), attempts = d.attempts + 1
	FROM webhooks w
	WHERE w.id = d.webhook_id AND d.id IN (
		SELECT x.id FROM webhook_deliveries x
		WHERE x.status = 'pending' AND x.next_attempt_at <= now()
		  AND (x.locked_until IS NULL OR x.locked_until < now())
		ORDER BY x.next_attempt_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
	RETURNING d.id, w.url, w.secret, d.payload::text, d.attempts
$$;

-- Record one attempt. A 2xx delivers; otherwise retry after
-- base * 2^(attempt-1) seconds (capped at one hour) until p_max attempts.
CREATE FUNCTION webhook_attempt_done(p_id bigint, p_attempt integer, p_http_status integer,
	p_error text, p_duration_ms integer, p_base_s integer, p_max integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
BEGIN
	INSERT INTO webhook_attempts (delivery_id, attempt, http_status, error, duration_ms)
	VALUES (p_id, p_attempt, p_http_status, left(p_error, 500), p_duration_ms)
	ON CONFLICT DO NOTHING;
	IF p_http_status BETWEEN 200 AND 299 THEN
		st := 'delivered';
	ELSIF p_attempt >= p_max THEN
		st := 'failed';
	ELSE
		st := 'pending';
	END IF;
	UPDATE webhook_deliveries SET status = st, locked_until = NULL,
		last_http_status = p_http_status, last_error = left(p_error, 500),
		delivered_at = CASE WHEN st = 'delivered' THEN now() END,
		next_attempt_at = CASE WHEN st = 'pending' THEN now() + make_interval(secs =>
			least(3600, p_base_s * power(2, greatest(p_attempt - 1, 0))))
			ELSE next_attempt_at END
	WHERE id = p_id AND status = 'pending';
	RETURN st;
END
$$;

-- ---------------------------------------------------------------------------
-- Idempotency keys of creating POSTs: the first request with a key stores
-- its response; a repeat with the same request gets that response back.
CREATE TABLE idempotency_keys (
	organization_id bigint NOT NULL REFERENCES organizations (id),
	key             text NOT NULL CHECK (key ~ '^[\x21-\x7e]{1,128}$'),
	request_sha256  text NOT NULL,
	response        jsonb,
	created_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (organization_id, key)
);

-- Returns the stored response of a repeat (NULL when this is the first use,
-- in which case the caller stores its response with wf_idem_store). A
-- concurrent first use holds the row lock: the repeat waits for its commit.
CREATE FUNCTION wf_idem_begin(p_org bigint, p_key text, p_hash text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	k idempotency_keys%ROWTYPE;
BEGIN
	IF p_key IS NULL THEN
		RETURN NULL;
	END IF;
	IF p_key !~ '^[\x21-\x7e]{1,128}$' THEN
		PERFORM wf_fail('SP400', 'Idempotency-Key must be 1..128 printable ASCII characters');
	END IF;
	INSERT INTO idempotency_keys (organization_id, key, request_sha256)
	VALUES (p_org, p_key, p_hash) ON CONFLICT DO NOTHING;
	IF FOUND THEN
		RETURN NULL;
	END IF;
	SELECT * INTO k FROM idempotency_keys WHERE organization_id = p_org AND key = p_key;
	IF k.request_sha256 <> p_hash THEN
		PERFORM wf_fail('SP422', 'this Idempotency-Key was used for a different request');
	END IF;
	RETURN k.response || '{"idempotent_replay": true}'::jsonb;
END
$$;

CREATE FUNCTION wf_idem_store(p_org bigint, p_key text, p_response jsonb) RETURNS void
LANGUAGE sql AS $$
	UPDATE idempotency_keys SET response = p_response
	WHERE p_key IS NOT NULL AND organization_id = p_org AND key = p_key
$$;

-- ---------------------------------------------------------------------------
-- Lists. Contract numbers are time-ordered, so "newest first" is number DESC
-- and every list walks one of these indexes in order. The party tabs (to-do,
-- signed by me, cc'd to me) filter on contract columns; a copy of those on
-- each party row (kept in step by the triggers below) lets one index serve
-- the filter, the order and an index-only count, without touching contracts
-- for rows that are not on the page.
ALTER TABLE parties ADD COLUMN c_status text, ADD COLUMN c_business_type text,
	ADD COLUMN c_initiator_org_id bigint, ADD COLUMN c_created_at timestamptz;

CREATE FUNCTION parties_copy_contract() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	SELECT status, business_type, initiator_org_id, created_at
	INTO NEW.c_status, NEW.c_business_type, NEW.c_initiator_org_id, NEW.c_created_at
	FROM contracts WHERE number = NEW.contract_number;
	RETURN NEW;
END
$$;
CREATE TRIGGER parties_copy_contract BEFORE INSERT ON parties
	FOR EACH ROW EXECUTE FUNCTION parties_copy_contract();

CREATE FUNCTION contracts_sync_parties() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE parties SET c_status = NEW.status, c_business_type = NEW.business_type
	WHERE contract_number = NEW.number;
	RETURN NULL;
END
$$;
CREATE TRIGGER contracts_sync_parties AFTER UPDATE OF status, business_type ON contracts
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
		OR OLD.business_type IS DISTINCT FROM NEW.business_type)
	EXECUTE FUNCTION contracts_sync_parties();

CREATE INDEX contracts_initiated_idx ON contracts (initiator_org_id, number DESC)
	INCLUDE (status, business_type, created_at) WHERE status <> 'draft';
CREATE INDEX contracts_drafts_idx ON contracts (initiator_org_id, number DESC)
	INCLUDE (status, business_type, created_at) WHERE status = 'draft';
CREATE INDEX contracts_name_trgm_idx ON contracts USING gin (name gin_trgm_ops);
CREATE INDEX contracts_number_trgm_idx ON contracts USING gin ((number::text) gin_trgm_ops);
CREATE INDEX parties_todo_idx ON parties (organization_id, contract_number DESC)
	INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_created_at)
	WHERE role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing';
CREATE INDEX parties_signed_idx ON parties (organization_id, contract_number DESC)
	INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_created_at)
	WHERE role = 'signer' AND status IN ('signed', 'sent');
CREATE INDEX parties_cc_idx ON parties (organization_id, contract_number DESC)
	INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_created_at)
	WHERE role = 'cc' AND c_status <> 'draft';
CREATE INDEX organizations_name_trgm_idx ON organizations USING gin (name gin_trgm_ops);
CREATE INDEX organizations_code_trgm_idx ON organizations USING gin (credit_code gin_trgm_ops);

-- ---------------------------------------------------------------------------
-- The JSON a caller sees of one contract: parties, revisions, audit trail.
CREATE FUNCTION contract_json(p_number bigint, p_org bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'number', c.number::text, 'name', c.name, 'business_type', c.business_type,
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
			WHERE a.contract_number = c.number), '[]'::jsonb))
	FROM contracts c JOIN organizations o ON o.id = c.initiator_org_id
	WHERE c.number = p_number
$$;

-- ---------------------------------------------------------------------------
-- Drafts.

-- Replace a draft's parties from [{"credit_code","name","role","routing_order"}].
CREATE FUNCTION wf_parties_set(p_number bigint, p_parties jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	e jsonb;
	oid bigint;
	code text;
	nm text;
	rl text;
	ord integer;
BEGIN
	IF jsonb_typeof(p_parties) <> 'array' OR jsonb_array_length(p_parties) > 100 THEN
		PERFORM wf_fail('SP400', 'parties must be an array of at most 100 entries');
	END IF;
	DELETE FROM parties WHERE contract_number = p_number;
	FOR e IN SELECT * FROM jsonb_array_elements(p_parties) LOOP
		IF jsonb_typeof(e) <> 'object' THEN
			PERFORM wf_fail('SP400', 'each party must be an object');
		END IF;
		code := e->>'credit_code';
		nm := btrim(e->>'name');
		rl := coalesce(e->>'role', 'signer');
		IF code IS NULL OR code !~ '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$' THEN
			PERFORM wf_fail('SP400', format('party credit_code %s is not a credit code',
				coalesce(code, '(missing)')));
		END IF;
		IF rl NOT IN ('signer', 'cc') THEN
			PERFORM wf_fail('SP400', format('party %s: role must be signer or cc', code));
		END IF;
		IF e ? 'routing_order' AND (jsonb_typeof(e->'routing_order') <> 'number'
				OR (e->>'routing_order')::numeric NOT BETWEEN 1 AND 1000
				OR (e->>'routing_order')::numeric <> trunc((e->>'routing_order')::numeric)) THEN
			PERFORM wf_fail('SP400', format('party %s: routing_order must be an integer 1..1000', code));
		END IF;
		ord := coalesce((e->>'routing_order')::integer, 1);
		SELECT id INTO oid FROM organizations WHERE credit_code = code;
		IF NOT FOUND THEN
			IF nm IS NULL OR length(nm) NOT BETWEEN 1 AND 200 THEN
				PERFORM wf_fail('SP400', format('party %s is not registered yet: give its name (1..200 characters)', code));
			END IF;
			INSERT INTO organizations (name, credit_code) VALUES (nm, code)
			ON CONFLICT (credit_code) DO NOTHING;
			SELECT id INTO oid FROM organizations WHERE credit_code = code;
		END IF;
		BEGIN
			INSERT INTO parties (contract_number, organization_id, role, routing_order)
			VALUES (p_number, oid, rl, ord);
		EXCEPTION WHEN unique_violation THEN
			PERFORM wf_fail('SP400', format('party %s is listed twice as %s', code, rl));
		END;
	END LOOP;
END
$$;

-- Create a draft with revision 0 (the normalized upload, checked by the
-- revisions trigger against p_sha256). SP423 (retry with a new number) when
-- the number is taken, which only happens when two processes share a node id.
CREATE FUNCTION contract_create(p_number bigint, p_org bigint, p_user bigint, p_name text,
	p_business_type text, p_deadline timestamptz, p_parties jsonb, p_pdf bytea,
	p_sha256 text, p_pages integer, p_idem_key text, p_ip inet) RETURNS jsonb
LANGUAGE plpgsql AS $$
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
		'name', btrim(p_name), 'sha256', p_sha256, 'pages', p_pages), p_ip);
	res := contract_json(p_number, p_org);
	PERFORM wf_idem_store(p_org, p_idem_key, res);
	RETURN res;
END
$$;

-- Edit a draft: NULL arguments keep the value (p_clear_deadline drops it).
CREATE FUNCTION contract_update(p_number bigint, p_org bigint, p_user bigint, p_name text,
	p_business_type text, p_deadline timestamptz, p_clear_deadline boolean,
	p_parties jsonb, p_ip inet) RETURNS jsonb
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
		'deadline', wf_ts(p_deadline), 'parties_replaced', p_parties IS NOT NULL)), p_ip);
	RETURN contract_json(p_number, p_org);
END
$$;

CREATE FUNCTION contract_delete(p_number bigint, p_org bigint, p_user bigint, p_ip inet)
RETURNS void LANGUAGE plpgsql AS $$
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
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.deleted', '{}'::jsonb, p_ip);
	DELETE FROM contracts WHERE number = p_number;
END
$$;

-- ---------------------------------------------------------------------------
-- Transitions.

-- Make the next routing group's signers pending, or complete the contract
-- when every signer has sent. Called with the contract row locked.
CREATE FUNCTION wf_advance(p_number bigint, p_org bigint, p_user bigint, p_ip inet)
RETURNS void LANGUAGE plpgsql AS $$
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
		PERFORM wf_audit(p_number, p_org, p_user, 'contract.completed', '{}'::jsonb, p_ip);
		PERFORM wf_event(p_number, 'completed', p_org, '{}'::jsonb);
	ELSE
		UPDATE parties SET status = 'pending' WHERE contract_number = p_number
			AND role = 'signer' AND status = 'waiting' AND routing_order = nxt;
		PERFORM wf_audit(p_number, p_org, p_user, 'contract.routed',
			jsonb_build_object('routing_order', nxt), p_ip);
	END IF;
END
$$;

-- send: the initiator sends a draft (draft -> signing, first group pending),
-- or a signer that has signed hands the contract on (party signed -> sent).
-- Repeating a send that already happened changes nothing and succeeds.
CREATE FUNCTION contract_send(p_number bigint, p_org bigint, p_user bigint, p_ip inet)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer' FOR UPDATE;
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
		PERFORM wf_audit(p_number, p_org, p_user, 'contract.sent', '{}'::jsonb, p_ip);
		PERFORM wf_event(p_number, 'sent', p_org, '{}'::jsonb);
		RETURN contract_json(p_number, p_org);
	END IF;
	IF p.id IS NOT NULL AND p.status = 'sent' THEN
		RETURN contract_json(p_number, p_org); -- a repeat
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s', c.status));
	END IF;
	IF p.id IS NULL THEN
		IF c.initiator_org_id = p_org THEN
			RETURN contract_json(p_number, p_org); -- the initiator's send, repeated
		END IF;
		PERFORM wf_fail('SP403', 'a cc party does not send');
	END IF;
	IF p.status = 'signed' THEN
		UPDATE parties SET status = 'sent', sent_at = now(), acted_by = p_user WHERE id = p.id;
		PERFORM wf_audit(p_number, p_org, p_user, 'party.sent',
			jsonb_build_object('routing_order', p.routing_order), p_ip);
		PERFORM wf_advance(p_number, p_org, p_user, p_ip);
		RETURN contract_json(p_number, p_org);
	END IF;
	IF c.initiator_org_id = p_org AND p.status = 'waiting' THEN
		RETURN contract_json(p_number, p_org); -- initiator (also a later signer) repeating its send
	END IF;
	IF p.status = 'waiting' THEN
		PERFORM wf_fail('SP419', 'it is not your turn yet');
	END IF;
	PERFORM wf_fail('SP409', format('your party is %s; sign before sending', p.status));
END
$$;

-- receive: a pending signer takes the contract (pending -> received).
CREATE FUNCTION contract_receive(p_number bigint, p_org bigint, p_user bigint, p_ip inet)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer' FOR UPDATE;
	IF p.id IS NULL THEN
		PERFORM wf_fail('SP403', 'only a signer receives a contract');
	END IF;
	IF p.status IN ('received', 'signed', 'sent') THEN
		RETURN contract_json(p_number, p_org); -- a repeat
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s', c.status));
	END IF;
	IF p.status = 'waiting' THEN
		PERFORM wf_fail('SP419', 'it is not your turn yet');
	END IF;
	IF p.status <> 'pending' THEN
		PERFORM wf_fail('SP409', format('your party is %s', p.status));
	END IF;
	UPDATE parties SET status = 'received', received_at = now(), acted_by = p_user
	WHERE id = p.id;
	PERFORM wf_audit(p_number, p_org, p_user, 'party.received', '{}'::jsonb, p_ip);
	PERFORM wf_event(p_number, 'received', p_org, '{}'::jsonb);
	RETURN contract_json(p_number, p_org);
END
$$;

-- receive all: every contract pending for the organization, in number order
-- (a fixed lock order, so two concurrent calls cannot deadlock). Returns the
-- received contracts' numbers as a JSON array of strings.
CREATE FUNCTION contract_receive_all(p_org bigint, p_user bigint, p_ip inet)
RETURNS jsonb LANGUAGE plpgsql AS $$
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
				PERFORM wf_audit(n, p_org, p_user, 'party.received', '{"all": true}'::jsonb, p_ip);
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
CREATE FUNCTION contract_reject(p_number bigint, p_org bigint, p_user bigint, p_reason text,
	p_ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
BEGIN
	c := wf_lock(p_number, p_org);
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer' FOR UPDATE;
	IF p.id IS NULL THEN
		PERFORM wf_fail('SP403', 'only a signer rejects a contract');
	END IF;
	IF p.status = 'rejected' THEN
		RETURN contract_json(p_number, p_org); -- a repeat
	END IF;
	IF p_reason IS NULL OR length(btrim(p_reason)) NOT BETWEEN 1 AND 1000 THEN
		PERFORM wf_fail('SP400', 'a reason of 1..1000 characters is required');
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s', c.status));
	END IF;
	IF p.status = 'waiting' THEN
		PERFORM wf_fail('SP419', 'it is not your turn yet');
	END IF;
	IF p.status NOT IN ('pending', 'received') THEN
		PERFORM wf_fail('SP409', format('your party is %s', p.status));
	END IF;
	UPDATE parties SET status = 'rejected', reject_reason = btrim(p_reason),
		rejected_at = now(), acted_by = p_user WHERE id = p.id;
	UPDATE contracts SET status = 'rejected', completed_at = now() WHERE number = p_number;
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.rejected',
		jsonb_build_object('reason', btrim(p_reason)), p_ip);
	PERFORM wf_event(p_number, 'rejected', p_org, jsonb_build_object('reason', btrim(p_reason)));
	RETURN contract_json(p_number, p_org);
END
$$;

-- cancel: the initiator withdraws a contract while it is being signed.
CREATE FUNCTION contract_cancel(p_number bigint, p_org bigint, p_user bigint, p_ip inet)
RETURNS jsonb LANGUAGE plpgsql AS $$
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
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.cancelled', '{}'::jsonb, p_ip);
	PERFORM wf_event(p_number, 'cancelled', p_org, '{}'::jsonb);
	RETURN contract_json(p_number, p_org);
END
$$;

-- expire: the deadline job. SKIP LOCKED: with several processes each
-- contract is expired by exactly one, and a contract a party is acting on
-- right now is simply taken by the next sweep. Returns how many expired.
CREATE FUNCTION contract_expire_due(p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	k integer := 0;
BEGIN
	FOR n IN SELECT number FROM contracts WHERE status = 'signing' AND deadline <= now()
		ORDER BY deadline LIMIT p_limit FOR UPDATE SKIP LOCKED LOOP
		UPDATE contracts SET status = 'expired', completed_at = now() WHERE number = n;
		PERFORM wf_audit(n, NULL, NULL, 'contract.expired', '{}'::jsonb, NULL);
		PERFORM wf_event(n, 'expired', NULL, '{}'::jsonb);
		k := k + 1;
	END LOOP;
	RETURN k;
END
$$;

-- What the signing step (issue 5) calls when a signer's signature is stored:
-- appends revision seq = last + 1 (the revisions trigger checks length and
-- digest of the whole document) and marks the party signed. The party must
-- be pending or received and the contract signing; a stale p_seq (another
-- revision landed) fails SP409. Returns the contract JSON.
CREATE FUNCTION party_mark_signed(p_number bigint, p_org bigint, p_user bigint,
	p_seq integer, p_delta bytea, p_length bigint, p_sha256 text, p_certificate_id bigint,
	p_ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
	last integer;
BEGIN
	c := wf_lock(p_number, p_org);
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer' FOR UPDATE;
	IF p.id IS NULL THEN
		PERFORM wf_fail('SP403', 'only a signer signs a contract');
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s', c.status));
	END IF;
	IF p.status = 'waiting' THEN
		PERFORM wf_fail('SP419', 'it is not your turn yet');
	END IF;
	IF p.status NOT IN ('pending', 'received') THEN
		PERFORM wf_fail('SP409', format('your party is %s', p.status));
	END IF;
	SELECT max(seq) INTO last FROM revisions WHERE contract_number = p_number;
	IF p_seq <> last + 1 THEN
		PERFORM wf_fail('SP409', format('revision %s is the latest; prepare again', last));
	END IF;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, certificate_id)
	VALUES (p_number, p_seq, p_delta, p_length, p_sha256, p.id, p_certificate_id);
	UPDATE parties SET status = 'signed', signed_at = now(),
		received_at = coalesce(received_at, now()), acted_by = p_user WHERE id = p.id;
	PERFORM wf_audit(p_number, p_org, p_user, 'party.signed', jsonb_build_object('seq', p_seq,
		'sha256', p_sha256, 'certificate_id', p_certificate_id), p_ip);
	PERFORM wf_event(p_number, 'signed', p_org, jsonb_build_object('seq', p_seq));
	RETURN contract_json(p_number, p_org);
END
$$;

-- ---------------------------------------------------------------------------
-- Webhook registration (the secret is generated by the server and shown in
-- this response only, or again to a repeat with the same Idempotency-Key).
CREATE FUNCTION webhook_create(p_org bigint, p_user bigint, p_url text, p_secret text,
	p_idem_key text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	prev jsonb;
	w webhooks%ROWTYPE;
	res jsonb;
BEGIN
	prev := wf_idem_begin(p_org, p_idem_key, encode(sha256(convert_to(
		jsonb_build_array('webhook', p_url)::text, 'UTF8')), 'hex'));
	IF prev IS NOT NULL THEN
		RETURN prev;
	END IF;
	IF p_url IS NULL OR p_url !~ '^https?://[^\s/]+[^\s]*$' OR length(p_url) > 2000 THEN
		PERFORM wf_fail('SP400', 'url must be an http:// or https:// URL of at most 2000 characters');
	END IF;
	IF (SELECT count(*) FROM webhooks WHERE organization_id = p_org AND deleted_at IS NULL) >= 20 THEN
		PERFORM wf_fail('SP409', 'an organization has at most 20 webhooks');
	END IF;
	INSERT INTO webhooks (organization_id, url, secret, created_by)
	VALUES (p_org, p_url, p_secret, p_user) RETURNING * INTO w;
	res := jsonb_build_object('id', w.id::text, 'url', w.url, 'secret', w.secret,
		'created_at', wf_ts(w.created_at),
		'events', '["sent","received","signed","rejected","completed","cancelled","expired"]'::jsonb);
	PERFORM wf_idem_store(p_org, p_idem_key, res);
	RETURN res;
END
$$;
