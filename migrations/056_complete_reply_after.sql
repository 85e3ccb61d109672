-- 056: the completion's answer shows the contract as the completion left it.
--
-- 028 (and 040 after it) built the answer's contract document before the
-- completion's own last audit event ("signing.completed"), so the answer's
-- `audit_count` was one short of the trail: a client paging the trail at
-- `audit_url` up to `audit_count` missed the event of the very signing it had
-- just completed, and the openapi's "How many events the contract's audit trail
-- holds" did not hold for this one answer. The document is now built last, after
-- every row the completion writes; everything else (the checks, their order and
-- errors, the rows written, the audit events, the webhook event, p_minimal's
-- answer) is 040's word for word.
CREATE OR REPLACE FUNCTION signing_session_complete_verified(p_id uuid, p_org bigint,
	p_user bigint, p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz,
	p_verification text, p_archive_until timestamptz, p_signed_length bigint, p_ip inet,
	p_ua text DEFAULT NULL, p_minimal boolean DEFAULT false) RETURNS json
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
	IF p_minimal THEN
		RETURN json_build_object('session', p_id, 'seq', seq, 'sha256', p_sha256,
			'length', p_length, 'timestamp', wf_ts(p_tsa_time));
	END IF;
	-- the document as the completion left it: its own last event counted
	doc := contract_json(s.contract_number, p_org);
	RETURN json_build_object('session', p_id, 'seq', seq, 'sha256', p_sha256,
		'length', p_length, 'timestamp', wf_ts(p_tsa_time), 'contract', doc);
END
$$;
