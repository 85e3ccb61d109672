-- 028: a signing's functions run fewer statements; every check, SQLSTATE,
-- message, audit event, hash and answer as before.
--
-- Each statement a PL/pgSQL function runs (and each PERFORM, and each
-- expression that reads a table) starts and ends an executor of its own,
-- even from a cached plan: 20,000 to 30,000 instructions before the first
-- row. A signing ran 51 of them. Here the ones that read what a neighbouring
-- statement of the same function already reads, in the same snapshot or
-- under the locks it holds, are folded into it:
--
-- - audit_events_chain renders the event's trail in the UPDATE of its chain
--   head (RETURNING), through audit_trail_json, an inlinable SQL function;
--   audit_event_json (the verifier's rendering) calls the same function, so
--   the two stay one definition. 3 events per signing: 3 function calls and
--   3 statements fewer. The same text for every event, before and after.
-- - wf_lock reads the contract and whether the caller may see it in one
--   statement (the row still locked when it exists, as before; a caller who
--   may not see it is still told SP404 after the lock).
-- - signing_prepare_check assigns the turn instead of PERFORMing it (an
--   expression, not a statement).
-- - signing_session_open reads the latest revision and the certificate in
--   one statement (checked in the same order: SPS09, then the certificate).
-- - signing_session_claim_head reads the session, the latest revision (its
--   seq and stored length: the base's, when it is the base), the
--   certificate and whether the caller is the last signer in one statement
--   (one snapshot: the session and the revisions agree, which is what 025's
--   second look at the session is for; that look stays).
-- - signing_session_complete_verified reads the latest revision's seq in the
--   statement that locks the session (it holds the contract locked, and
--   every writer of a revision does), and hands wf_event the contract row
--   it locked (wf_event_of: the webhook payload's name, status and
--   initiator, which a completion does not change).
-- - contract_json joins business_types (its key) instead of calling
--   business_type_name (a function call and a statement per reply).
--
-- Measured (bench/bench_pg_signing.py's held mode, pg_stat_statements with
-- track = all): 51 statements per signing before (the server's 4 and what
-- they run), 36 after. PostgreSQL's instructions per signing
-- (bench/bench_pg_callgrind.py build 40 10): 9.04M -> 8.70M; with
-- BENCH_CG_CONTRACTS=600 (bench_load.py's data set, index scans): 7.45M ->
-- 7.26M.

-- ---------------------------------------------------------------------------
-- An audit event as the API shows it (017's rendering, the same expression):
-- the actor's credit code is the caller's to look up.
CREATE FUNCTION audit_trail_json(p_seq bigint, p_action text, p_actor text,
	p_at timestamptz, p_details jsonb, p_hash bytea) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('seq', p_seq, 'action', p_action, 'actor', p_actor,
		'at', wf_ts(p_at), 'details', p_details, 'hash', encode(p_hash, 'hex'))::text::json
$$;

CREATE OR REPLACE FUNCTION audit_event_json(e audit_events) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN audit_trail_json(e.seq, e.action,
		(SELECT credit_code FROM organizations WHERE id = e.actor_org_id), e.at, e.details,
		e.hash);
END
$$;

-- 019's chain trigger; the trail rendered by the statement that advances the
-- head (its new seq and hash are the event's).
CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k bigint := coalesce(NEW.contract_number, 0);
BEGIN
	UPDATE audit_heads SET prev_hash = last_hash, last_seq = last_seq + 1,
		last_hash = audit_event_hash(last_hash, NEW.contract_number, last_seq + 1,
			NEW.actor_org_id, NEW.actor_user_id, NEW.action, NEW.object_type,
			NEW.object_id, NEW.ip, NEW.at, NEW.details, NEW.user_agent)
	WHERE chain = k
	RETURNING last_seq, prev_hash, last_hash, audit_trail_json(last_seq, NEW.action,
		(SELECT o.credit_code FROM organizations o WHERE o.id = NEW.actor_org_id), NEW.at,
		NEW.details, last_hash)
	INTO NEW.seq, NEW.prev_hash, NEW.hash, NEW.trail;
	IF NOT FOUND THEN
		INSERT INTO audit_heads (chain, last_seq, last_hash)
		VALUES (k, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
		ON CONFLICT (chain) DO NOTHING;
		UPDATE audit_heads SET prev_hash = last_hash, last_seq = last_seq + 1,
			last_hash = audit_event_hash(last_hash, NEW.contract_number, last_seq + 1,
				NEW.actor_org_id, NEW.actor_user_id, NEW.action, NEW.object_type,
				NEW.object_id, NEW.ip, NEW.at, NEW.details, NEW.user_agent)
		WHERE chain = k
		RETURNING last_seq, prev_hash, last_hash, audit_trail_json(last_seq, NEW.action,
			(SELECT o.credit_code FROM organizations o WHERE o.id = NEW.actor_org_id),
			NEW.at, NEW.details, last_hash)
		INTO NEW.seq, NEW.prev_hash, NEW.hash, NEW.trail;
	END IF;
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- 024's wf_lock: the row and whether the caller may see it in one statement.
-- The row is locked whether or not the caller may see it, as before.
CREATE OR REPLACE FUNCTION wf_lock(p_number bigint, p_org bigint, p_lock boolean DEFAULT true)
RETURNS contracts LANGUAGE plpgsql AS $$
DECLARE
	r record;
BEGIN
	IF p_lock THEN
		SELECT c AS c, c.initiator_org_id = p_org OR (c.status <> 'draft' AND EXISTS (
				SELECT 1 FROM parties p WHERE p.contract_number = p_number
				AND p.organization_id = p_org)) AS seen
		INTO r FROM contracts c WHERE c.number = p_number FOR UPDATE;
	ELSE
		SELECT c AS c, c.initiator_org_id = p_org OR (c.status <> 'draft' AND EXISTS (
				SELECT 1 FROM parties p WHERE p.contract_number = p_number
				AND p.organization_id = p_org)) AS seen
		INTO r FROM contracts c WHERE c.number = p_number;
	END IF;
	IF NOT FOUND THEN
		PERFORM wf_fail('SP404', 'no such contract');
	END IF;
	IF NOT r.seen THEN
		PERFORM wf_fail('SP404', 'no such contract');
	END IF;
	RETURN r.c;
END
$$;

-- ---------------------------------------------------------------------------
-- 014's wf_event for a caller that holds the contract's row (wf_lock's);
-- wf_event reads it and calls this. True when deliveries were queued (a
-- value, so that a caller assigns it: an expression, not a statement). The
-- webhooks of the initiator or of a party, as 014's IN (initiator UNION
-- parties) chose them, without the union's sort (a plan of half the nodes,
-- started at every workflow step for mostly no webhook).
CREATE FUNCTION wf_event_of(c contracts, p_event text, p_actor_org bigint, p_details jsonb)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	ev uuid;
	body jsonb;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM webhooks w
			WHERE w.deleted_at IS NULL AND (w.organization_id = c.initiator_org_id
				OR EXISTS (SELECT 1 FROM parties p WHERE p.contract_number = c.number
					AND p.organization_id = w.organization_id))) THEN
		RETURN false;
	END IF;
	ev := gen_random_uuid();
	body := jsonb_build_object('id', ev, 'event', p_event,
		'contract_number', c.number::text, 'contract_name', c.name,
		'contract_status', c.status,
		'actor', (SELECT credit_code FROM organizations WHERE id = p_actor_org),
		'at', wf_ts(now()), 'details', coalesce(p_details, '{}'::jsonb));
	INSERT INTO webhook_deliveries (webhook_id, event_id, event, contract_number, payload)
	SELECT w.id, ev, p_event, c.number, body
	FROM webhooks w
	WHERE w.deleted_at IS NULL AND (w.organization_id = c.initiator_org_id
		OR EXISTS (SELECT 1 FROM parties p WHERE p.contract_number = c.number
			AND p.organization_id = w.organization_id));
	RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION wf_event(p_number bigint, p_event text, p_actor_org bigint,
	p_details jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	queued boolean;
BEGIN
	SELECT * INTO c FROM contracts WHERE number = p_number;
	c.number := p_number; -- 014's payload named it, found or not
	queued := wf_event_of(c, p_event, p_actor_org, p_details);
END
$$;

-- ---------------------------------------------------------------------------
-- 024's signing_prepare_check; the turn assigned (an expression) instead of
-- PERFORMed (a statement).
CREATE OR REPLACE FUNCTION signing_prepare_check(p_number bigint, p_org bigint, p_seal bigint,
	OUT base_seq integer, OUT base_length bigint, OUT seal_png bytea, OUT seal_info jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
	p parties%ROWTYPE;
BEGIN
	p := wf_turn_of(wf_lock(p_number, p_org, false), p_org, 'sign', false);
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

-- ---------------------------------------------------------------------------
-- 019's signing_session_open; the latest revision and the certificate read in
-- one statement, checked in the same order (SPS09, then the certificate's
-- owner and revocation; only those three columns of it are used).
CREATE OR REPLACE FUNCTION signing_session_open(p_number bigint, p_org bigint, p_user bigint,
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
	SELECT (SELECT max(r.seq) FROM revisions r WHERE r.contract_number = p_number),
		ce.id, ce.organization_id, ce.revoked_at
	INTO last, cert.id, cert.organization_id, cert.revoked_at
	FROM (VALUES (fp)) f (fp) LEFT JOIN certificates ce ON ce.fingerprint = f.fp;
	IF last <> p_base_seq THEN
		PERFORM wf_fail('SPS09', format('revision %s landed while preparing; prepare again', last));
	END IF;
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

-- ---------------------------------------------------------------------------
-- 025's signing_session_claim_head; what it reads in one statement, one
-- snapshot: the session's columns, the latest revision's seq and stored
-- length (orig_len, the base's when the base is the latest: checked before
-- it is answered), the certificate's DER, and whether the caller is the last
-- signer. The checks in the same order; 025's second look at the session
-- stays for the failing branch.
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
	SELECT ss.organization_id, ss.state, ss.expires_at, ss.contract_number, ss.base_seq,
		ss.delta, ss.contents_off, ss.contents_len, ss.signed_attrs, ss.algorithm, ss.chain,
		l.seq, l.length, (SELECT ce.der FROM certificates ce WHERE ce.id = ss.certificate_id),
		NOT EXISTS (SELECT 1 FROM parties p
			WHERE p.contract_number = ss.contract_number AND p.role = 'signer'
			AND p.organization_id <> p_org AND p.status NOT IN ('signed', 'sent'))
	INTO s.organization_id, s.state, s.expires_at, contract_number, base_seq, delta,
		contents_off, contents_len, signed_attrs, algorithm, chain, last, orig_len, cert_der,
		last_signer
	FROM signing_sessions ss LEFT JOIN LATERAL (SELECT r.seq, r.length FROM revisions r
		WHERE r.contract_number = ss.contract_number ORDER BY r.seq DESC LIMIT 1) l ON true
	WHERE ss.id = p_id;
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
	IF last <> base_seq THEN
		-- 025: a completion of this very session that committed since looks
		-- like another signer's revision. Ask the session again (a snapshot no
		-- older than the revision's) and say what happened.
		SELECT ss.state INTO s.state FROM signing_sessions ss WHERE ss.id = p_id;
		IF s.state = 'completed' THEN
			PERFORM wf_fail('SPS11', 'this signing session was already completed (single use)');
		END IF;
		IF s.state = 'aborted' THEN
			PERFORM wf_fail('SPS11', 'this signing session was aborted');
		END IF;
		PERFORM wf_fail('SPS09', 'another revision landed since this session was prepared; prepare again');
	END IF;
	tsa_serial := nextval('tsa_serial');
	archive_serial := CASE WHEN last_signer THEN nextval('tsa_serial') ELSE 0 END;
END
$$;

-- ---------------------------------------------------------------------------
-- 024's completion; the latest revision's seq read by the statement that
-- locks the session (the contract, locked before it, keeps every writer of a
-- revision out: the snapshot taken after that lock holds the latest), and
-- the webhook event given the contract row wf_lock locked (its name, status
-- and initiator, which nothing here changes). Everything else as in 024.
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
	queued boolean;
BEGIN
	-- Lock the contract first, in the same order as every workflow function.
	SELECT ss.contract_number INTO s.contract_number FROM signing_sessions ss WHERE ss.id = p_id;
	IF s.contract_number IS NULL THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	c := wf_lock(s.contract_number, p_org);
	-- The columns the checks and the writes use: a whole row into a PL/pgSQL
	-- variable detoasts the prepared update (and the chain) for nothing.
	SELECT ss.organization_id, ss.state, ss.expires_at, ss.base_seq, ss.certificate_id,
		ss.seal_id, (SELECT max(r.seq) FROM revisions r
			WHERE r.contract_number = ss.contract_number)
	INTO s.organization_id, s.state, s.expires_at, s.base_seq, s.certificate_id, s.seal_id,
		last
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
		signed_length, verification, seal_id)
	VALUES (s.contract_number, seq, p_delta, p_length, p_sha256, p.id, s.certificate_id,
		nullif(p_signed_length, p_length), p_verification, s.seal_id);
	UPDATE parties SET status = 'signed', signed_at = now(),
		received_at = coalesce(received_at, now()), acted_by = p_user WHERE id = p.id;
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (s.contract_number, p_org, p_user, 'party.signed', 'contract',
		s.contract_number::text, p_ip, ua, jsonb_build_object('seq', seq,
			'sha256', p_sha256, 'certificate_id', s.certificate_id));
	queued := wf_event_of(c, 'signed', p_org, jsonb_build_object('seq', seq));
	doc := contract_json(s.contract_number, p_org);
	-- signing_sessions_seal_complete's check (009), the seal already on the revision
	IF s.seal_id IS NOT NULL THEN
		PERFORM seal_usable(p_org, s.seal_id);
	END IF;
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
-- 017's contract_json; the business type's name from a join on its key (what
-- business_type_name returns: the display name, or the code without one).
CREATE OR REPLACE FUNCTION contract_json(p_number bigint, p_org bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT json_build_object(
			'number', c.number::text, 'name', c.name, 'business_type', c.business_type,
			'business_type_name', coalesce(bt.display_name, c.business_type),
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
			LEFT JOIN business_types bt ON bt.code = c.business_type
		WHERE c.number = p_number);
END
$$;
