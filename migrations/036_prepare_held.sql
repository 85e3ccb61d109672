-- 036: a prepare in one round trip when the process holds what its load would
-- send (prep35, issue 14). A prepare was two statements: the load
-- (auth_member, signing_prepare_check: the turn, the latest revision, the
-- seal's picture and facts) and, once the worker built the update,
-- signing_session_create. A process that holds the contract's latest
-- revision (its document cache), the seal as a load sent it and a recent
-- authentication of the same token builds the update first and stores it
-- with one statement, signing_session_create_held: the load's checks, in the
-- load's order and with its errors, then whether they read what the process
-- used, then the create.
--
-- Why its answers are the two statements' (server/api/signing.c, the top):
-- - a check of the load that fails raises what the load raises, in the same
--   order (auth_member; wf_lock and wf_turn_of, here locking the rows as the
--   create does, the same rules and messages; seal_usable), and the server
--   answers it as it answers the load's: after the load, that is the answer
--   whatever the worker would have said;
-- - anything the load would have read differently from what the process
--   held (another member session behind the token, another credit code,
--   another latest revision or length or SHA-256, another seal picture or
--   facts) is SQLSTATE SPH01: nothing is stored, and the server prepares
--   again from the load, so the worker works on what the load sends;
-- - then the create's own work, signing_session_store, the one body of both
--   statements (032's signing_session_open after its checks, word for word):
--   its errors (a revision landed, the certificate another organization's or
--   revoked, 20 open sessions) are the create's after a load that read the
--   same, and it writes the same session, certificate and audit event.
-- The worker's refusals go back to the load too (the server), so that the
-- load's refusals keep coming first.

-- A seal's facts as a prepare's reply shows them ("seal"): 028's
-- signing_prepare_check built them, and the held create compares them.
CREATE FUNCTION seal_facts(s seals) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', s.id::text, 'name', s.name, 'type', s.type,
		'valid_from', wf_ts(s.valid_from), 'valid_until', wf_ts(s.valid_until),
		'status', s.status)
$$;

-- 028's signing_prepare_check with the facts from seal_facts (the same jsonb).
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
		seal_info := seal_facts(s);
	END IF;
END
$$;

-- 032's signing_session_open after its checks of the seal and the turn: the
-- latest revision, the certificate and the party's open sessions read in one
-- statement, then stored. p is the signer's party, locked by the caller.
CREATE FUNCTION signing_session_store(p parties, p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet, p_ua text,
	p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	last integer;
	cert certificates%ROWTYPE;
	s signing_sessions%ROWTYPE;
	fp text := encode(sha256(p_cert_der), 'hex');
	n_open bigint;
	n_gone bigint;
BEGIN
	SELECT (SELECT max(r.seq) FROM revisions r WHERE r.contract_number = p_number),
		ce.id, ce.organization_id, ce.revoked_at, o.n_open, o.n_gone
	INTO last, cert.id, cert.organization_id, cert.revoked_at, n_open, n_gone
	FROM (VALUES (fp)) f (fp) LEFT JOIN certificates ce ON ce.fingerprint = f.fp
	CROSS JOIN (SELECT count(*) FILTER (WHERE ss.expires_at > now()),
			count(*) FILTER (WHERE ss.expires_at < now() - interval '1 hour')
		FROM signing_sessions ss WHERE ss.party_id = p.id AND ss.state = 'open')
		o (n_open, n_gone);
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
	-- ones of this party are dropped (they can never complete); the count
	-- left them out (the deleted ones expired an hour ago, the counted ones
	-- have not expired).
	IF n_gone > 0 THEN
		DELETE FROM signing_sessions WHERE party_id = p.id AND state = 'open'
			AND expires_at < now() - interval '1 hour';
	END IF;
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

-- 032's signing_session_open: its checks (the seal, then the turn, the rows
-- locked), then signing_session_store. Same order, errors and writes.
CREATE OR REPLACE FUNCTION signing_session_open(p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet, p_ua text,
	p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	p parties%ROWTYPE;
BEGIN
	IF p_seal IS NOT NULL THEN
		PERFORM seal_usable(p_org, p_seal);
	END IF;
	p := wf_turn_of(wf_lock(p_number, p_org), p_org, 'sign'); -- wf_party_turn
	RETURN signing_session_store(p, p_number, p_org, p_user, p_base_seq, p_delta,
		p_contents_off, p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects,
		p_ttl_s, p_cert_der, p_cert_subject, p_cert_issuer, p_cert_serial,
		p_cert_not_before, p_cert_not_after, p_ip, p_ua, p_seal);
END
$$;

-- The load's checks and the create in one statement (see the top): p_hash,
-- p_org, p_user and p_credit_code the member session the process held;
-- p_base_seq, p_base_length and p_base_sha256 the latest revision it holds;
-- p_seal_png and p_seal_info the seal p_seal as a load sent it (NULL: no
-- seal). The rest is signing_session_create's.
CREATE FUNCTION signing_session_create_held(p_hash text, p_credit_code text,
	p_base_length bigint, p_base_sha256 text, p_seal_png bytea, p_seal_info text,
	p_number bigint, p_org bigint, p_user bigint, p_base_seq integer, p_delta bytea,
	p_contents_off bigint, p_contents_len bigint, p_signed_attrs bytea, p_algorithm text,
	p_chain bytea, p_rects jsonb, p_ttl_s integer, p_cert_der bytea, p_cert_subject text,
	p_cert_issuer text, p_cert_serial text, p_cert_not_before timestamptz,
	p_cert_not_after timestamptz, p_ip inet, p_ua text, p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a record;
	p parties%ROWTYPE;
	s seals%ROWTYPE;
	same boolean;
BEGIN
	-- db/signing.c PREP_FROM's order: the credential, the turn, the seal
	SELECT m.organization_id = p_org AND m.user_id = p_user AND m.credit_code = p_credit_code
		AS same INTO a FROM auth_member(p_hash) m;
	IF a.same IS NOT TRUE THEN
		PERFORM wf_fail('SPH01', 'the token names another member session than the one held');
	END IF;
	p := wf_turn_of(wf_lock(p_number, p_org), p_org, 'sign');
	IF p_seal IS NOT NULL THEN
		s := seal_usable(p_org, p_seal);
		IF s.image_png IS DISTINCT FROM p_seal_png
		   OR seal_facts(s)::text IS DISTINCT FROM p_seal_info THEN
			PERFORM wf_fail('SPH01', format('seal %s is not the one held', p_seal));
		END IF;
	ELSIF p_seal_png IS NOT NULL OR p_seal_info IS NOT NULL THEN
		PERFORM wf_fail('SPH01', 'a seal is held but none is named');
	END IF;
	SELECT r.seq = p_base_seq AND r.length = p_base_length AND r.sha256 = p_base_sha256
	INTO same FROM revisions r WHERE r.contract_number = p_number ORDER BY r.seq DESC LIMIT 1;
	IF same IS NOT TRUE THEN
		PERFORM wf_fail('SPH01', 'the latest revision is not the one held');
	END IF;
	RETURN signing_session_store(p, p_number, p_org, p_user, p_base_seq, p_delta,
		p_contents_off, p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects,
		p_ttl_s, p_cert_der, p_cert_subject, p_cert_issuer, p_cert_serial,
		p_cert_not_before, p_cert_not_after, p_ip, p_ua, p_seal);
END
$$;
