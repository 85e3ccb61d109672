-- 019_signing_statements.sql: fewer statements inside a signing (issue 14).
--
-- A signing is four statements (prepare's load, signing_session_create, the
-- claim, signing_session_complete_verified); inside them PostgreSQL ran ~60
-- PL/pgSQL statements, several of them twice: the contract locked and its
-- visibility checked four times (wf_lock: prepare, create, and twice in the
-- completion, once directly and once through wf_party_turn inside
-- party_mark_signed), the latest revision read twice by the completion, each
-- audit event inserted through a wrapper (wf_audit) and its chain head read,
-- then written, by two statements; a session with a seal inserted, then
-- updated to record the seal (the row written twice). PostgreSQL's own
-- profile put PL/pgSQL execution at 56 % of its CPU per signing, a fixed cost
-- per statement (plan cache lookup, executor start) most of it.
--
-- Every check, in the same order with the same SQLSTATE and message; every
-- audit event with the same columns, chain and rendering; every answer the
-- same document. Only the number of statements that compute them changes.
-- Functions restated with CREATE OR REPLACE; nothing in the tables changes.

-- ---------------------------------------------------------------------------
-- The one rule of whose turn it is (005's wf_party_turn), for a caller that
-- holds the contract locked already (wf_lock's row): the party locked and
-- judged. wf_party_turn is wf_lock then this, as before.
CREATE FUNCTION wf_turn_of(c contracts, p_org bigint, p_for text) RETURNS parties
LANGUAGE plpgsql AS $$
DECLARE
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
	SELECT * INTO p FROM parties WHERE contract_number = c.number AND organization_id = p_org
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

CREATE OR REPLACE FUNCTION wf_party_turn(p_number bigint, p_org bigint, p_for text)
RETURNS parties LANGUAGE plpgsql AS $$
BEGIN
	-- 005 refused an unknown step before locking anything
	IF p_for NOT IN ('receive', 'reject', 'sign', 'send') THEN
		RAISE EXCEPTION 'wf_party_turn: unknown step %', p_for;
	END IF;
	RETURN wf_turn_of(wf_lock(p_number, p_org), p_org, p_for);
END
$$;

-- ---------------------------------------------------------------------------
-- The audit chain (017's trigger): the head read and advanced by one UPDATE
-- instead of a locking SELECT and an UPDATE. The UPDATE locks the head as
-- SELECT ... FOR UPDATE did, and computes the new head from the row it
-- locked (its latest version: under READ COMMITTED, the one a concurrent
-- event left); prev_hash keeps the head it replaced, which RETURNING cannot
-- show otherwise (it returns the new row). The first event of a chain
-- creates its head as before. The same seq, prev_hash, hash and rendering.
ALTER TABLE audit_heads ADD COLUMN prev_hash bytea;

CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k bigint := coalesce(NEW.contract_number, 0);
	seq bigint;
	prev bytea;
	hash bytea;
BEGIN
	UPDATE audit_heads SET prev_hash = last_hash, last_seq = last_seq + 1,
		last_hash = audit_event_hash(last_hash, NEW.contract_number, last_seq + 1,
			NEW.actor_org_id, NEW.actor_user_id, NEW.action, NEW.object_type,
			NEW.object_id, NEW.ip, NEW.at, NEW.details, NEW.user_agent)
	WHERE chain = k
	RETURNING last_seq, prev_hash, last_hash INTO seq, prev, hash;
	IF NOT FOUND THEN
		INSERT INTO audit_heads (chain, last_seq, last_hash)
		VALUES (k, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
		ON CONFLICT (chain) DO NOTHING;
		UPDATE audit_heads SET prev_hash = last_hash, last_seq = last_seq + 1,
			last_hash = audit_event_hash(last_hash, NEW.contract_number, last_seq + 1,
				NEW.actor_org_id, NEW.actor_user_id, NEW.action, NEW.object_type,
				NEW.object_id, NEW.ip, NEW.at, NEW.details, NEW.user_agent)
		WHERE chain = k
		RETURNING last_seq, prev_hash, last_hash INTO seq, prev, hash;
	END IF;
	NEW.seq := seq;
	NEW.prev_hash := prev;
	NEW.hash := hash;
	NEW.trail := audit_event_json(NEW);
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- Prepare's second statement. 005's signing_session_create, and 009's
-- signing_session_create_seal which checked the seal, called it, then
-- updated the new row with the seal (writing it twice): one function that
-- inserts the session with its seal. The checks and their order as before:
-- the seal (009 checked it first), the turn, the base revision, the
-- certificate, the open sessions' bound.
CREATE FUNCTION signing_session_open(p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet, p_ua text,
	p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	p parties%ROWTYPE;
	last integer;
	cert certificates%ROWTYPE;
	s signing_sessions%ROWTYPE;
	fp text := encode(sha256(p_cert_der), 'hex');
	n_open bigint;
BEGIN
	IF p_seal IS NOT NULL THEN
		PERFORM seal_usable(p_org, p_seal);
	END IF;
	p := wf_turn_of(wf_lock(p_number, p_org), p_org, 'sign'); -- wf_party_turn
	SELECT max(seq) INTO last FROM revisions WHERE contract_number = p_number;
	IF last <> p_base_seq THEN
		PERFORM wf_fail('SPS09', format('revision %s landed while preparing; prepare again', last));
	END IF;
	SELECT * INTO cert FROM certificates WHERE fingerprint = fp;
	IF cert.id IS NULL THEN
		INSERT INTO certificates (organization_id, user_id, fingerprint, subject, issuer, serial,
			not_before, not_after, der)
		VALUES (p_org, p_user, fp, p_cert_subject, p_cert_issuer, p_cert_serial,
			p_cert_not_before, p_cert_not_after, p_cert_der)
		RETURNING * INTO cert;
	ELSIF cert.organization_id IS DISTINCT FROM p_org THEN
		PERFORM wf_fail('SP403', 'this certificate belongs to another organization');
	END IF;
	IF cert.revoked_at IS NOT NULL THEN
		PERFORM wf_fail('SP403', 'this certificate was revoked on the platform');
	END IF;
	-- Open sessions hold a prepared update each: bound them per party. Expired
	-- ones of this party are dropped first (they can never complete); the
	-- count sees the same rows as after the DELETE (the deleted ones expired
	-- an hour ago, the counted ones have not expired).
	WITH gone AS (DELETE FROM signing_sessions WHERE party_id = p.id AND state = 'open'
			AND expires_at < now() - interval '1 hour')
	SELECT count(*) INTO n_open FROM signing_sessions WHERE party_id = p.id AND state = 'open'
		AND expires_at > now();
	IF n_open >= 20 THEN
		PERFORM wf_fail('SP409', 'this party has 20 open signing sessions; complete or abort one');
	END IF;
	INSERT INTO signing_sessions (contract_number, party_id, organization_id, user_id,
		certificate_id, base_seq, delta, contents_off, contents_len, signed_attrs, algorithm,
		chain, rects, expires_at, seal_id)
	VALUES (p_number, p.id, p_org, p_user, cert.id, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, coalesce(p_chain, ''::bytea),
		coalesce(p_rects, '[]'::jsonb), now() + make_interval(secs => p_ttl_s), p_seal)
	RETURNING id, expires_at INTO s.id, s.expires_at;
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (p_number, p_org, p_user, 'signing.prepared', 'contract', p_number::text, p_ip,
		nullif(left(p_ua, 256), ''), jsonb_build_object('session', s.id,
			'base_seq', p_base_seq, 'certificate_id', cert.id));
	RETURN jsonb_build_object('session', s.id, 'expires_at', wf_ts(s.expires_at),
		'base_seq', p_base_seq, 'certificate_id', cert.id);
END
$$;

CREATE OR REPLACE FUNCTION signing_session_create(p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	RETURN signing_session_open(p_number, p_org, p_user, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects, p_ttl_s, p_cert_der,
		p_cert_subject, p_cert_issuer, p_cert_serial, p_cert_not_before, p_cert_not_after,
		p_ip, p_ua, NULL);
END
$$;

CREATE OR REPLACE FUNCTION signing_session_create_seal(p_number bigint, p_org bigint,
	p_user bigint, p_base_seq integer, p_delta bytea, p_contents_off bigint,
	p_contents_len bigint, p_signed_attrs bytea, p_algorithm text, p_chain bytea,
	p_rects jsonb, p_ttl_s integer, p_cert_der bytea, p_cert_subject text, p_cert_issuer text,
	p_cert_serial text, p_cert_not_before timestamptz, p_cert_not_after timestamptz,
	p_ip inet, p_ua text, p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	RETURN signing_session_open(p_number, p_org, p_user, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects, p_ttl_s, p_cert_der,
		p_cert_subject, p_cert_issuer, p_cert_serial, p_cert_not_before, p_cert_not_after,
		p_ip, p_ua, p_seal);
END
$$;

-- ---------------------------------------------------------------------------
-- The completion (017's signing_session_complete_verified with 017's
-- party_mark_signed inside it) in one body: the contract locked and its
-- visibility checked once (wf_lock; party_mark_signed's wf_party_turn locked
-- and checked it again), the latest revision read once (signing_session_usable
-- and party_mark_signed each read it; the contract's lock, which every writer
-- of revisions takes first, keeps it from moving in between), the audit
-- events inserted directly (wf_audit's body), the session's prepared update
-- not read (it is not used). The same checks in the same
-- order: the session (SP404), the contract (SP404), the session's owner
-- (SP404), single use (SPS11), expiry (SPS10), the base revision (SPS09),
-- the turn (wf_party_turn's SP403/SP409/SP419), the revision's sequence
-- (SP409), then revisions_check_insert's length. The same writes in the same
-- order (archive_until, revision, party, party.signed, webhook event,
-- session, signing.completed) and the same answer, whose contract document
-- is read before signing.completed as before.
-- party_mark_signed itself stays for its other callers.
CREATE OR REPLACE FUNCTION signing_session_complete_verified(p_id uuid, p_org bigint,
	p_user bigint, p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz,
	p_verification text, p_archive_until timestamptz, p_signed_length bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
	last integer;
	seq integer;
	ua text := nullif(left(p_ua, 256), '');
	doc json;
BEGIN
	-- Lock the contract first, in the same order as every workflow function.
	SELECT ss.contract_number INTO s.contract_number FROM signing_sessions ss WHERE ss.id = p_id;
	IF s.contract_number IS NULL THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	c := wf_lock(s.contract_number, p_org);
	-- The columns the checks and the writes use: a whole row into a PL/pgSQL
	-- variable detoasts the prepared update (and the chain) for nothing.
	SELECT ss.organization_id, ss.state, ss.expires_at, ss.base_seq, ss.certificate_id
	INTO s.organization_id, s.state, s.expires_at, s.base_seq, s.certificate_id
	FROM signing_sessions ss WHERE ss.id = p_id FOR UPDATE;
	IF s.organization_id <> p_org THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	-- signing_session_usable(s)
	IF s.state = 'completed' THEN
		PERFORM wf_fail('SPS11', 'this signing session was already completed (single use)');
	END IF;
	IF s.state = 'aborted' THEN
		PERFORM wf_fail('SPS11', 'this signing session was aborted');
	END IF;
	IF s.expires_at <= now() THEN
		PERFORM wf_fail('SPS10', format('this signing session expired at %s; prepare again',
			wf_ts(s.expires_at)));
	END IF;
	SELECT max(r.seq) INTO last FROM revisions r WHERE r.contract_number = s.contract_number;
	IF last <> s.base_seq THEN
		PERFORM wf_fail('SPS09', 'another revision landed since this session was prepared; prepare again');
	END IF;
	IF p_archive_until IS NOT NULL THEN
		UPDATE contracts SET archive_until = p_archive_until WHERE number = s.contract_number;
	END IF;
	-- party_mark_signed (017), the contract locked above
	seq := s.base_seq + 1;
	p := wf_turn_of(c, p_org, 'sign');
	IF seq <> last + 1 THEN
		PERFORM wf_fail('SP409', format('revision %s is the latest; prepare again', last));
	END IF;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, certificate_id,
		signed_length, verification)
	VALUES (s.contract_number, seq, p_delta, p_length, p_sha256, p.id, s.certificate_id,
		nullif(p_signed_length, p_length), p_verification);
	UPDATE parties SET status = 'signed', signed_at = now(),
		received_at = coalesce(received_at, now()), acted_by = p_user WHERE id = p.id;
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (s.contract_number, p_org, p_user, 'party.signed', 'contract',
		s.contract_number::text, p_ip, ua, jsonb_build_object('seq', seq,
			'sha256', p_sha256, 'certificate_id', s.certificate_id));
	PERFORM wf_event(s.contract_number, 'signed', p_org, jsonb_build_object('seq', seq));
	doc := contract_json(s.contract_number, p_org);
	UPDATE signing_sessions SET state = 'completed', finished_at = now() WHERE id = p_id;
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (s.contract_number, p_org, p_user, 'signing.completed', 'contract',
		s.contract_number::text, p_ip, ua, jsonb_build_object('session', p_id, 'seq', seq,
			'sha256', p_sha256, 'timestamp', wf_ts(p_tsa_time),
			'archive_until', wf_ts(p_archive_until)));
	RETURN json_build_object('session', p_id, 'seq', seq, 'sha256', p_sha256,
		'length', p_length, 'timestamp', wf_ts(p_tsa_time), 'contract', doc);
END
$$;

-- ---------------------------------------------------------------------------
-- Prepare's first statement (017's signing_prepare_check) and the claim
-- (017's signing_session_claim_head), each one function call fewer: the turn
-- as wf_lock then wf_turn_of (wf_party_turn's body), the session's
-- usability (signing_session_usable's checks) in the claim's body.
CREATE OR REPLACE FUNCTION signing_prepare_check(p_number bigint, p_org bigint, p_seal bigint,
	OUT base_seq integer, OUT base_length bigint, OUT seal_png bytea, OUT seal_info jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	PERFORM wf_turn_of(wf_lock(p_number, p_org), p_org, 'sign'); -- wf_party_turn
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

CREATE OR REPLACE FUNCTION signing_session_claim_head(p_id uuid, p_org bigint,
	OUT contract_number bigint, OUT base_seq integer, OUT delta bytea, OUT orig_len bigint,
	OUT contents_off bigint, OUT contents_len bigint, OUT signed_attrs bytea,
	OUT algorithm text, OUT chain bytea, OUT cert_der bytea, OUT tsa_serial bigint,
	OUT last_signer boolean, OUT archive_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
	last integer;
BEGIN
	SELECT * INTO s FROM signing_sessions WHERE id = p_id;
	IF NOT FOUND OR s.organization_id <> p_org THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	-- signing_session_usable(s)
	IF s.state = 'completed' THEN
		PERFORM wf_fail('SPS11', 'this signing session was already completed (single use)');
	END IF;
	IF s.state = 'aborted' THEN
		PERFORM wf_fail('SPS11', 'this signing session was aborted');
	END IF;
	IF s.expires_at <= now() THEN
		PERFORM wf_fail('SPS10', format('this signing session expired at %s; prepare again',
			wf_ts(s.expires_at)));
	END IF;
	SELECT max(r.seq) INTO last FROM revisions r WHERE r.contract_number = s.contract_number;
	IF last <> s.base_seq THEN
		PERFORM wf_fail('SPS09', 'another revision landed since this session was prepared; prepare again');
	END IF;
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

-- ---------------------------------------------------------------------------
-- The list counts (011), kept by the same statement triggers with the same
-- changes per organization and tab: each change added by one INSERT ... ON
-- CONFLICT straight from the transition tables, in key order, instead of a
-- jsonb array built by one statement and unpacked by list_counts_add's. A
-- signing's party update ran three statements for its one change.
CREATE OR REPLACE FUNCTION list_counts_parties() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO list_counts (organization_id, tab, slot, n)
		SELECT organization_id, tab, pg_backend_pid() % 16, count(*)
		FROM new_rows, unnest(list_party_tabs(role, status, c_status)) tab
		GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (organization_id, tab, slot) DO UPDATE SET n = list_counts.n + EXCLUDED.n;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO list_counts (organization_id, tab, slot, n)
		SELECT organization_id, tab, pg_backend_pid() % 16, -count(*)
		FROM old_rows, unnest(list_party_tabs(role, status, c_status)) tab
		GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (organization_id, tab, slot) DO UPDATE SET n = list_counts.n + EXCLUDED.n;
	ELSE
		INSERT INTO list_counts (organization_id, tab, slot, n)
		SELECT organization_id, tab, pg_backend_pid() % 16, sum(k) FROM (
			SELECT organization_id, tab, 1 AS k
			FROM new_rows, unnest(list_party_tabs(role, status, c_status)) tab
			UNION ALL
			SELECT organization_id, tab, -1
			FROM old_rows, unnest(list_party_tabs(role, status, c_status)) tab) u
		GROUP BY 1, 2 HAVING sum(k) <> 0 ORDER BY 1, 2
		ON CONFLICT (organization_id, tab, slot) DO UPDATE SET n = list_counts.n + EXCLUDED.n;
	END IF;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION list_counts_contracts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO list_counts (organization_id, tab, slot, n)
		SELECT initiator_org_id, list_contract_tab(status), pg_backend_pid() % 16, count(*)
		FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (organization_id, tab, slot) DO UPDATE SET n = list_counts.n + EXCLUDED.n;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO list_counts (organization_id, tab, slot, n)
		SELECT initiator_org_id, list_contract_tab(status), pg_backend_pid() % 16, -count(*)
		FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (organization_id, tab, slot) DO UPDATE SET n = list_counts.n + EXCLUDED.n;
	ELSE
		INSERT INTO list_counts (organization_id, tab, slot, n)
		SELECT initiator_org_id, tab, pg_backend_pid() % 16, sum(k) FROM (
			SELECT initiator_org_id, list_contract_tab(status) AS tab, 1 AS k
			FROM new_rows
			UNION ALL
			SELECT initiator_org_id, list_contract_tab(status), -1 FROM old_rows) u
		GROUP BY 1, 2 HAVING sum(k) <> 0 ORDER BY 1, 2
		ON CONFLICT (organization_id, tab, slot) DO UPDATE SET n = list_counts.n + EXCLUDED.n;
	END IF;
	RETURN NULL;
END
$$;
