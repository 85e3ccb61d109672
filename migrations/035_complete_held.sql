-- 035: a completion in one database trip when the process that prepared the
-- session completes it (done35, issue 14). That process holds everything the
-- claim (signing_session_claim_head) would send: the session's update and
-- the columns prepare wrote (server/api/signing_docs.c signing_session_keep),
-- the base revision and its stored report (its document cache), and a TSA
-- serial reserved from tsa_serial beforehand (state.h tsa_serials). It does
-- the completion's work at once and stores it with signing_session_complete_held,
-- which checks in the same transaction everything the claim checks, and then
-- completes as signing_session_complete_verified does. When any of those
-- checks does not hold, it raises SPS35 and changes nothing: the server then
-- takes the usual path (claim, work, complete), which gives every answer
-- (401, 404, 409, 410, ...) in its usual order with its usual words.
--
-- The columns a completion relies on are written once, by the INSERT of
-- signing_session_open, as 034 made the update: the held copy is the stored
-- one for as long as the row exists (a fresh gen_random_uuid id per row). No
-- statement of the server writes them again; this trigger makes it a rule
-- (SQLSTATE 23514). It fires only for an UPDATE naming one of them: the
-- completion's and the abort's state change and the seal's id do not run it.
CREATE FUNCTION signing_sessions_inputs_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (NEW.contract_number, NEW.organization_id, NEW.user_id, NEW.certificate_id,
			NEW.base_seq, NEW.contents_off, NEW.contents_len, NEW.signed_attrs,
			NEW.algorithm, NEW.chain)
		IS DISTINCT FROM (OLD.contract_number, OLD.organization_id, OLD.user_id,
			OLD.certificate_id, OLD.base_seq, OLD.contents_off, OLD.contents_len,
			OLD.signed_attrs, OLD.algorithm, OLD.chain) THEN
		RAISE EXCEPTION 'a signing session''s inputs are written once'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER signing_sessions_inputs_once BEFORE UPDATE OF contract_number,
	organization_id, user_id, certificate_id, base_seq, contents_off, contents_len,
	signed_attrs, algorithm, chain ON signing_sessions
	FOR EACH ROW EXECUTE FUNCTION signing_sessions_inputs_once();

-- ---------------------------------------------------------------------------
-- The claim's checks, then the completion, in one statement. p_hash: the
-- member's bearer token's SHA-256, the credential the prepare was made with
-- (the server compares it with the one it kept); p_org, p_user: the
-- organization and user that credential named at prepare; p_number,
-- p_base_seq: the session's contract and base as prepare wrote them;
-- p_base_length, p_base_sha256: the base revision the server holds;
-- p_report_len: the length of the report it holds with it (NULL: none).
-- What the claim checks and this function checks too:
--   the credential is live and a member's (auth_member), of p_org and p_user;
--   the session exists, is p_org's, open (neither completed nor aborted), not
--   expired, of p_number and p_base_seq;
--   the contract's latest revision is p_base_seq (no other revision landed),
--   stored with the length and SHA-256 of the bytes the server holds, and
--   (after the upload) with a report of the held length, as the claim's
--   CLAIM_VHELD judges it.
--   every other organization's signer has signed (or is 'sent') exactly when
--   p_last_signer says so: the claim's last_signer, on which the work added
--   B-LTA's document timestamp or not (signing_session_create's statement told
--   the server; NULL below B-LTA, where the completion reads it not).
-- Its tsa_serial (and archive serial) are serials the server reserved.
-- Everything after the checks is signing_session_complete_verified's (NULL
-- p_verification: signing_session_complete's), with its locks and its own
-- checks under them, its errors, audit events and reply.
CREATE FUNCTION signing_session_complete_held(p_hash text, p_id uuid, p_org bigint,
	p_user bigint, p_number bigint, p_base_seq integer, p_base_length bigint,
	p_base_sha256 text, p_report_len bigint, p_delta bytea, p_length bigint,
	p_sha256 text, p_tsa_time timestamptz, p_verification text,
	p_archive_until timestamptz, p_signed_length bigint, p_ip inet, p_ua text DEFAULT NULL,
	p_last_signer boolean DEFAULT NULL)
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
		p_sha256, p_tsa_time, p_verification, p_archive_until, p_signed_length, p_ip, p_ua);
END
$$;
