-- 067: what a stored revision refers to, stored with it.
--
-- A completion's verification needs the set of objects its base revision
-- refers to (does the new update fill a reference the signed revisions already
-- made?). The completion that stored the base computed that set, and kept it
-- only in its own process's cache (revision_refs): a completion in another
-- process, or after a restart, walked the whole base with qpdf again (2.7 M
-- instructions more at each signature of a 10-page contract; at the 20th
-- signing 74 M against 26 M warm). Processes are stateless, so that was the
-- common case of a real deployment.
--
-- revisions.refs holds the set as the completion packed it (pdf_refs_pack:
-- "SPR1", the SHA-256 of the whole revision it describes, then runs of object
-- numbers; some tens of bytes, below the TOAST threshold, so no compression
-- is set). The server reads it with the claim (the same statement that sends
-- the base) and uses it only when it unpacks whole and its SHA-256 is the one
-- of the bytes the completion holds; anything else is walked as before. NULL:
-- none (the upload, rows stored before this migration, a completion without a
-- report, a set that could not be packed).
--
-- The two completion functions that insert the revision take it last
-- (p_refs, DEFAULT NULL), so every call that does not name it is the call it
-- was. Their bodies are 056's signing_session_complete_verified and 040's
-- signing_session_complete_held word for word (p_minimal kept), but for the
-- new column in the INSERT and the argument handed on. PL/pgSQL bodies hold
-- no dependency on the functions they call, so each is dropped and created
-- again (signing_session_complete, 040's, calls the new one with its twelve
-- arguments and stores no set). revisions_check_insert (038, 039) and
-- signing_session_store are not touched. revisions_immutable still refuses
-- any UPDATE: a row's set is written once, by the INSERT that stores it.

ALTER TABLE revisions ADD COLUMN refs bytea;

DROP FUNCTION signing_session_complete_verified(uuid, bigint, bigint, bytea, bigint, text,
	timestamptz, text, timestamptz, bigint, inet, text, boolean);
DROP FUNCTION signing_session_complete_held(text, uuid, bigint, bigint, bigint, integer,
	bigint, text, bigint, bytea, bigint, text, timestamptz, text, timestamptz, bigint, inet,
	text, boolean, boolean);

-- 056's completion; p_refs stored with the revision
CREATE FUNCTION signing_session_complete_verified(p_id uuid, p_org bigint,
	p_user bigint, p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz,
	p_verification text, p_archive_until timestamptz, p_signed_length bigint, p_ip inet,
	p_ua text DEFAULT NULL, p_minimal boolean DEFAULT false, p_refs bytea DEFAULT NULL)
RETURNS json
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
		signed_length, verification, seal_id, refs)
	VALUES (s.contract_number, seq, p_delta, p_length, p_sha256, p.id, s.certificate_id,
		nullif(p_signed_length, p_length), p_verification, s.seal_id, p_refs);
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

-- 040's one-trip completion; p_refs handed on
CREATE FUNCTION signing_session_complete_held(p_hash text, p_id uuid, p_org bigint,
	p_user bigint, p_number bigint, p_base_seq integer, p_base_length bigint,
	p_base_sha256 text, p_report_len bigint, p_delta bytea, p_length bigint,
	p_sha256 text, p_tsa_time timestamptz, p_verification text,
	p_archive_until timestamptz, p_signed_length bigint, p_ip inet, p_ua text DEFAULT NULL,
	p_last_signer boolean DEFAULT NULL, p_minimal boolean DEFAULT false,
	p_refs bytea DEFAULT NULL)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	ok boolean;
BEGIN
	SELECT EXISTS (SELECT 1 FROM auth_session_lookup(p_hash) a WHERE a.kind = 'member'
			AND a.organization_id = p_org AND a.user_id = p_user)
		AND ss.organization_id = p_org AND ss.state = 'open' AND ss.expires_at > now()
		AND ss.contract_number = p_number AND ss.base_seq = p_base_seq
		AND l.seq = p_base_seq AND l.length = p_base_length AND l.sha256 = p_base_sha256
		AND (p_base_seq = 0 OR l.vlen IS NOT DISTINCT FROM p_report_len)
		AND (p_last_signer IS NULL OR p_last_signer = NOT EXISTS (SELECT 1 FROM parties p
			WHERE p.contract_number = ss.contract_number AND p.role = 'signer'
			AND p.organization_id <> p_org AND p.status NOT IN ('signed', 'sent')))
	INTO ok
	FROM signing_sessions ss LEFT JOIN LATERAL (SELECT r.seq, r.length, r.sha256,
			-- the stored report's size from its header: the report is not fetched
			octet_length(r.verification) AS vlen
		FROM revisions r WHERE r.contract_number = ss.contract_number
		ORDER BY r.seq DESC LIMIT 1) l ON true
	WHERE ss.id = p_id;
	IF ok IS NOT TRUE THEN
		RAISE EXCEPTION 'the completion takes its claim' USING ERRCODE = 'SPS35';
	END IF;
	RETURN signing_session_complete_verified(p_id, p_org, p_user, p_delta, p_length,
		p_sha256, p_tsa_time, p_verification, p_archive_until, p_signed_length, p_ip, p_ua,
		p_minimal, p_refs);
END
$$;
