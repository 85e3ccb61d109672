-- 004_signing.sql: signing sessions (DESIGN.md §5, issue 6) and the built-in
-- TSA's serial numbers.
--
-- prepare stores everything completion needs in ONE insert (the server is
-- stateless between the two requests and may be another process); complete
-- claims the session (and a TSA serial) with one call and stores the new
-- revision, the party's status, the audit event and the session's use with
-- one more. Errors use SQLSTATEs of class "SP" like 003:
--   SP400/SP403/SP404/SP409/SP419 as in 003, and
--   SPS09 stale (another revision landed since prepare; 409 stale_revision),
--   SPS10 session expired (410 session_expired),
--   SPS11 session already used or aborted (409 session_used).

-- Serial numbers of the built-in TSA: unique and persistent across restarts
-- and processes because PostgreSQL hands them out. NO CYCLE: a repeat is
-- never possible.
CREATE SEQUENCE tsa_serial AS bigint START WITH 1 NO CYCLE;

CREATE TABLE signing_sessions (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	contract_number bigint NOT NULL REFERENCES contracts (number) ON DELETE CASCADE,
	party_id        bigint NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
	organization_id bigint NOT NULL REFERENCES organizations (id),
	user_id         bigint REFERENCES users (id),
	certificate_id  bigint NOT NULL REFERENCES certificates (id),
	base_seq        integer NOT NULL CHECK (base_seq >= 0),
	-- The prepared incremental update (appended to revision base_seq), with
	-- the /Contents placeholder still zeroed.
	delta           bytea NOT NULL CHECK (length(delta) BETWEEN 1 AND 67108864),
	contents_off    bigint NOT NULL CHECK (contents_off > 0),
	contents_len    bigint NOT NULL CHECK (contents_len > 2),
	signed_attrs    bytea NOT NULL CHECK (length(signed_attrs) BETWEEN 1 AND 4096),
	algorithm       text NOT NULL CHECK (algorithm IN ('sha256WithRSAEncryption',
		'ecdsa-with-SHA256', 'SM2-with-SM3')),
	-- DER certificates of the verified chain above the signer (issuing CAs up
	-- to the root), embedded in the CMS, each prefixed by its
	-- 4-byte big-endian length (at most 16; empty when none).
	chain           bytea NOT NULL DEFAULT ''::bytea CHECK (length(chain) <= 1048576),
	rects           jsonb NOT NULL DEFAULT '[]'::jsonb,
	state           text NOT NULL DEFAULT 'open'
		CONSTRAINT signing_sessions_state_check CHECK (state IN ('open', 'completed', 'aborted')),
	created_at      timestamptz NOT NULL DEFAULT now(),
	expires_at      timestamptz NOT NULL,
	finished_at     timestamptz,
	CHECK (expires_at > created_at),
	CHECK ((state = 'open') = (finished_at IS NULL))
);
CREATE INDEX signing_sessions_party_idx ON signing_sessions (party_id, created_at DESC);
CREATE INDEX signing_sessions_expires_idx ON signing_sessions (expires_at) WHERE state = 'open';

-- What prepare needs before building the update: the caller must be a
-- signer of the contract whose party has received it (its turn, in the
-- current routing group), the contract being signed. Returns the latest
-- revision's seq and whole document.
CREATE FUNCTION signing_prepare_load(p_number bigint, p_org bigint,
	OUT base_seq integer, OUT document bytea)
LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
BEGIN
	SELECT * INTO c FROM contracts WHERE number = p_number;
	IF NOT FOUND OR NOT (c.initiator_org_id = p_org OR (c.status <> 'draft' AND EXISTS (
			SELECT 1 FROM parties WHERE contract_number = p_number
			AND organization_id = p_org))) THEN
		PERFORM wf_fail('SP404', 'no such contract');
	END IF;
	SELECT * INTO p FROM parties WHERE contract_number = p_number AND organization_id = p_org
		AND role = 'signer';
	IF p.id IS NULL THEN
		PERFORM wf_fail('SP403', 'only a signer signs a contract');
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s', c.status));
	END IF;
	IF p.status = 'waiting' THEN
		PERFORM wf_fail('SP419', 'it is not your turn yet');
	END IF;
	IF p.status = 'pending' THEN
		PERFORM wf_fail('SP409', 'receive the contract before signing it');
	END IF;
	IF p.status <> 'received' THEN
		PERFORM wf_fail('SP409', format('your party is %s', p.status));
	END IF;
	SELECT max(seq) INTO base_seq FROM revisions WHERE contract_number = p_number;
	document := revision_document(p_number, base_seq);
END
$$;

-- Store a prepared session. The checks of signing_prepare_load run again
-- under the row locks (the state may have moved while the worker built the
-- update), the base revision must still be the latest, and the signing
-- certificate is bound to the caller's organization: it is the one the
-- member logged in with, another of the organization's known certificates,
-- or a new one (the server checked its chain and its organizationIdentifier
-- against the organization's credit code), recorded here.
CREATE FUNCTION signing_session_create(p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
	last integer;
	cert certificates%ROWTYPE;
	s signing_sessions%ROWTYPE;
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
	IF p.status <> 'received' THEN
		PERFORM wf_fail('SP409', format('your party is %s', p.status));
	END IF;
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
		'session', s.id, 'base_seq', p_base_seq, 'certificate_id', cert.id), p_ip);
	RETURN jsonb_build_object('session', s.id, 'expires_at', wf_ts(s.expires_at),
		'base_seq', p_base_seq, 'certificate_id', cert.id);
END
$$;

-- A session's state as an error, or nothing when it is open and current.
CREATE FUNCTION signing_session_usable(s signing_sessions) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
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
	IF (SELECT max(seq) FROM revisions WHERE contract_number = s.contract_number)
			<> s.base_seq THEN
		PERFORM wf_fail('SPS09', 'another revision landed since this session was prepared; prepare again');
	END IF;
END
$$;

-- What completion needs: the session's stored inputs, the whole prepared
-- file (base revision + delta) and, for the built-in TSA, a fresh serial.
-- Read-only apart from the sequence: the session is consumed only when the
-- signature is stored (signing_session_complete), so a wrong signature
-- value leaves it usable.
CREATE FUNCTION signing_session_claim(p_id uuid, p_org bigint,
	OUT contract_number bigint, OUT base_seq integer, OUT document bytea,
	OUT orig_len bigint, OUT contents_off bigint, OUT contents_len bigint,
	OUT signed_attrs bytea, OUT algorithm text, OUT chain bytea, OUT cert_der bytea,
	OUT tsa_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
	base bytea;
BEGIN
	SELECT * INTO s FROM signing_sessions WHERE id = p_id;
	IF NOT FOUND OR s.organization_id <> p_org THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	PERFORM signing_session_usable(s);
	base := revision_document(s.contract_number, s.base_seq);
	contract_number := s.contract_number;
	base_seq := s.base_seq;
	document := base || s.delta;
	orig_len := length(base);
	contents_off := s.contents_off;
	contents_len := s.contents_len;
	signed_attrs := s.signed_attrs;
	algorithm := s.algorithm;
	chain := s.chain;
	cert_der := (SELECT der FROM certificates WHERE id = s.certificate_id);
	tsa_serial := nextval('tsa_serial');
END
$$;

-- Store the signed revision: the session must still be open, unexpired and
-- current (checked under its row lock, so of two concurrent completions of
-- one session exactly one stores); party_mark_signed (003) appends revision
-- base_seq + 1 (delta only; the revisions trigger checks length and digest of
-- the whole document), marks the party signed and appends the audit event.
CREATE FUNCTION signing_session_complete(p_id uuid, p_org bigint, p_user bigint,
	p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz, p_ip inet)
RETURNS jsonb LANGUAGE plpgsql AS $$
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
		p_length, p_sha256, s.certificate_id, p_ip);
	UPDATE signing_sessions SET state = 'completed', finished_at = now() WHERE id = p_id;
	PERFORM wf_audit(s.contract_number, p_org, p_user, 'signing.completed', jsonb_build_object(
		'session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'timestamp', wf_ts(p_tsa_time)), p_ip);
	RETURN jsonb_build_object('session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'length', p_length, 'timestamp', wf_ts(p_tsa_time), 'contract', doc);
END
$$;

-- Abort an open session (DELETE). Aborting twice is answered like a used session.
CREATE FUNCTION signing_session_abort(p_id uuid, p_org bigint, p_user bigint, p_ip inet)
RETURNS jsonb LANGUAGE plpgsql AS $$
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
		jsonb_build_object('session', p_id), p_ip);
	RETURN jsonb_build_object('session', p_id, 'state', 'aborted');
END
$$;
