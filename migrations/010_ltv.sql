-- 010_ltv.sql: long-term validation (issue 15). A completed contract keeps
-- the notAfter of the TSA certificate of its newest document timestamp; a
-- renewal job (server/jobs/archive.c) adds a new DSS and document timestamp
-- as an "archive" revision before that date. Archive revisions belong to no
-- party. Each contract is renewed by one process at a time: the claim takes
-- the row with FOR UPDATE SKIP LOCKED and leases it (archive_next_at).

ALTER TABLE contracts ADD COLUMN archive_until timestamptz;
ALTER TABLE contracts ADD COLUMN archive_next_at timestamptz;
ALTER TABLE revisions ADD COLUMN archive boolean NOT NULL DEFAULT false;
ALTER TABLE revisions DROP CONSTRAINT revisions_signed_by;
ALTER TABLE revisions ADD CONSTRAINT revisions_signed_by CHECK (
	(seq = 0 AND party_id IS NULL AND certificate_id IS NULL AND NOT archive)
	OR (seq > 0 AND NOT archive AND party_id IS NOT NULL AND certificate_id IS NOT NULL)
	OR (seq > 0 AND archive AND party_id IS NULL AND certificate_id IS NULL));
CREATE INDEX contracts_archive_idx ON contracts (archive_until NULLS FIRST)
	WHERE status = 'completed';

-- The claim of 004, and whether the caller is the last signer still to sign
-- (then completion appends the document timestamp, with archive_serial for
-- the built-in TSA). Parallel last signers may both see the other unsigned:
-- the renewal job then archives the completed contract.
DROP FUNCTION signing_session_claim(uuid, bigint);
CREATE FUNCTION signing_session_claim(p_id uuid, p_org bigint,
	OUT contract_number bigint, OUT base_seq integer, OUT document bytea,
	OUT orig_len bigint, OUT contents_off bigint, OUT contents_len bigint,
	OUT signed_attrs bytea, OUT algorithm text, OUT chain bytea, OUT cert_der bytea,
	OUT tsa_serial bigint, OUT last_signer boolean, OUT archive_serial bigint)
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
	last_signer := NOT EXISTS (SELECT 1 FROM parties p
		WHERE p.contract_number = s.contract_number AND p.role = 'signer'
		AND p.organization_id <> p_org AND p.status NOT IN ('signed', 'sent'));
	archive_serial := CASE WHEN last_signer THEN nextval('tsa_serial') ELSE 0 END;
END
$$;

-- The completion of 005, remembering the archive timestamp's horizon when
-- the revision carries one (p_archive_until, NULL otherwise).
DROP FUNCTION signing_session_complete(uuid, bigint, bigint, bytea, bigint, text, timestamptz,
	inet, text);
CREATE FUNCTION signing_session_complete(p_id uuid, p_org bigint, p_user bigint,
	p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz, p_ip inet,
	p_ua text DEFAULT NULL, p_archive_until timestamptz DEFAULT NULL)
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
	IF p_archive_until IS NOT NULL THEN
		UPDATE contracts SET archive_until = p_archive_until WHERE number = s.contract_number;
	END IF;
	doc := party_mark_signed(s.contract_number, p_org, p_user, s.base_seq + 1, p_delta,
		p_length, p_sha256, s.certificate_id, p_ip, p_ua);
	UPDATE signing_sessions SET state = 'completed', finished_at = now() WHERE id = p_id;
	PERFORM wf_audit(s.contract_number, p_org, p_user, 'signing.completed', jsonb_build_object(
		'session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'timestamp', wf_ts(p_tsa_time), 'archive_until', wf_ts(p_archive_until)), p_ip, p_ua);
	RETURN jsonb_build_object('session', p_id, 'seq', s.base_seq + 1, 'sha256', p_sha256,
		'length', p_length, 'timestamp', wf_ts(p_tsa_time), 'contract', doc);
END
$$;

-- Renewal, first half: the completed contract most in need of a new archive
-- timestamp (none yet, or its TSA certificate expiring within p_horizon_s),
-- leased for p_lease_s so that no other process takes it meanwhile; its
-- latest revision and a TSA serial. No row when nothing is due.
CREATE FUNCTION archive_renewal_claim(p_horizon_s bigint, p_lease_s integer)
RETURNS TABLE (contract_number bigint, base_seq integer, document bytea, tsa_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	last integer;
BEGIN
	SELECT c.number INTO n FROM contracts c
	WHERE c.status = 'completed'
		AND (c.archive_until IS NULL
			OR c.archive_until < now() + make_interval(secs => p_horizon_s))
		AND (c.archive_next_at IS NULL OR c.archive_next_at <= now())
	ORDER BY c.archive_until NULLS FIRST, c.number
	LIMIT 1 FOR UPDATE SKIP LOCKED;
	IF n IS NULL THEN
		RETURN;
	END IF;
	UPDATE contracts SET archive_next_at = now() + make_interval(secs => p_lease_s)
	WHERE number = n;
	SELECT max(r.seq) INTO last FROM revisions r WHERE r.contract_number = n;
	RETURN QUERY SELECT n, last, revision_document(n, last), nextval('tsa_serial');
END
$$;

-- Renewal, second half: store the archive revision p_seq (the claimed
-- latest + 1; anything else landed meanwhile: SP409), its horizon, and the
-- earliest next look (a day on: a renewal by the same TSA certificate would
-- gain nothing sooner), with an audit event by the platform.
CREATE FUNCTION archive_renewal_store(p_number bigint, p_seq integer, p_delta bytea,
	p_length bigint, p_sha256 text, p_archive_until timestamptz, p_tsa_time timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	last integer;
BEGIN
	PERFORM 1 FROM contracts WHERE number = p_number AND status = 'completed' FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM wf_fail('SP404', 'no such completed contract');
	END IF;
	SELECT max(seq) INTO last FROM revisions WHERE contract_number = p_number;
	IF p_seq <> last + 1 THEN
		PERFORM wf_fail('SP409', format('revision %s is the latest; claim again', last));
	END IF;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256, archive)
	VALUES (p_number, p_seq, p_delta, p_length, p_sha256, true);
	UPDATE contracts SET archive_until = p_archive_until, archive_next_at = now() + interval '1 day'
	WHERE number = p_number;
	PERFORM wf_audit(p_number, NULL, NULL, 'contract.archive_timestamped', jsonb_build_object(
		'seq', p_seq, 'sha256', p_sha256, 'timestamp', wf_ts(p_tsa_time),
		'archive_until', wf_ts(p_archive_until)), NULL, NULL);
	RETURN jsonb_build_object('contract', p_number::text, 'seq', p_seq, 'sha256', p_sha256,
		'archive_until', wf_ts(p_archive_until));
END
$$;
