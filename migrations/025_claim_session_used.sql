-- 025: the claim of a signing session (019's signing_session_claim_head) says
-- "already completed" (SPS11, 409 session_used) when the revision it finds after
-- the session's base is that session's own.
--
-- The claim reads the session, then the latest revision, in two statements,
-- each with its own snapshot (READ COMMITTED). Two completes of one session:
-- when the winner commits its revision and the session's end between the
-- loser's two reads, the loser saw the session still prepared and a revision
-- after its base, and answered SPS09 (stale_revision: "another revision landed")
-- though none had; tests/unit/test_db.c claim_racing_the_completion_says_session_used
-- made it happen within a few rounds. Only that failing branch reads the
-- session again; the claim that succeeds runs the same statements as before.
-- Everything else is 019's text.

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
		-- The session was read with an earlier snapshot than the revisions: a
		-- completion of this very session that committed in between looks like
		-- another signer's revision. Ask the session again (a snapshot no older
		-- than the revision's) and say what happened.
		SELECT ss.state INTO s.state FROM signing_sessions ss WHERE ss.id = p_id;
		IF s.state = 'completed' THEN
			PERFORM wf_fail('SPS11', 'this signing session was already completed (single use)');
		END IF;
		IF s.state = 'aborted' THEN
			PERFORM wf_fail('SPS11', 'this signing session was aborted');
		END IF;
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
