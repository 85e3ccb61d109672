-- 034: a signing session's update (signing_sessions.delta) is written once,
-- by the INSERT of signing_session_create, and only ever dropped after
-- (signing_sessions_drop_delta sets it NULL when the session leaves 'open').
-- The claim relies on that (db/signing.c CLAIM_UPDATE): the process that
-- prepared a session keeps the update it sent, and the claim leaves the
-- stored one out when it has that length, instead of PostgreSQL reading,
-- decompressing and sending ~16-19 KB back at every completion. No statement
-- of the server writes the column again; this trigger makes it a rule, as
-- revisions_immutable does for a stored revision's bytes (SQLSTATE 23514).
-- It fires only for an UPDATE that names the column: the completion's and
-- the abort's state change and the seal's id do not run it.
CREATE FUNCTION signing_sessions_delta_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.delta IS NOT NULL AND NEW.delta IS DISTINCT FROM OLD.delta THEN
		RAISE EXCEPTION 'a signing session''s update is written once'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER signing_sessions_delta_once BEFORE UPDATE OF delta ON signing_sessions
	FOR EACH ROW EXECUTE FUNCTION signing_sessions_delta_once();

-- ---------------------------------------------------------------------------
-- 028's signing_session_claim_head with p_delta_len: the length of the
-- session's update as the caller holds it (the process that prepared the
-- session; NULL: none held). When the stored update has that length the
-- function returns delta NULL and does not read it: octet_length reads the
-- stored value's header (a TOAST pointer or the compressed header), so the
-- ~16-19 KB are neither fetched nor decompressed, nor copied into the
-- function's result and sent. Sound because of the trigger above: the bytes
-- of a session id are those its create wrote. Everything else is 028's text;
-- a call with two arguments reads the update as before.
DROP FUNCTION signing_session_claim_head(uuid, bigint);
CREATE FUNCTION signing_session_claim_head(p_id uuid, p_org bigint,
	p_delta_len bigint DEFAULT NULL, OUT contract_number bigint, OUT base_seq integer,
	OUT delta bytea, OUT orig_len bigint, OUT contents_off bigint, OUT contents_len bigint, OUT signed_attrs bytea,
	OUT algorithm text, OUT chain bytea, OUT cert_der bytea, OUT tsa_serial bigint,
	OUT last_signer boolean, OUT archive_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
	last integer;
BEGIN
	SELECT ss.organization_id, ss.state, ss.expires_at, ss.contract_number, ss.base_seq,
		CASE WHEN octet_length(ss.delta) = p_delta_len THEN NULL ELSE ss.delta END,
		ss.contents_off, ss.contents_len, ss.signed_attrs, ss.algorithm, ss.chain,
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
