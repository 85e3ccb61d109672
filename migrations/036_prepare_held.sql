-- 036: a prepare in one round trip when the process holds what its load would
-- send (prep35, issue 14). A prepare was two statements: the load
-- (auth_member, signing_prepare_check, the latest revision or only its
-- identity, the seal's picture and facts) and, after the worker built the
-- update, signing_session_create. A process that holds the contract's latest
-- revision (its document cache), the seal (picture and facts, as a load sent
-- them) and a recent authentication of the same token runs the worker first
-- and then this one statement, which does in one transaction everything the
-- load checks and then the create.
--
-- Every check of the load runs as the load runs it (auth_member, then
-- signing_prepare_check, which calls wf_lock, wf_turn_of and seal_usable),
-- and what it would have sent must be what the process holds: the same
-- member session's user, organization and credit code; the latest revision
-- of that seq, stored length and SHA-256; the same seal picture, byte for
-- byte, and the same facts. Any failure or difference, whatever its
-- SQLSTATE, becomes SPH01, and nothing was written (the session is created
-- after the checks, in the same transaction): the server then prepares as
-- before, load first (db/signing.c, server/api/signing.c), so that every
-- answer, error and precedence is the load's. The checks run in a block of
-- their own (a subtransaction: they write nothing, so it gets no
-- transaction id) so that the load's errors are caught and the create's are
-- not: an error of signing_session_open (certificate revoked or another
-- organization's, 20 open sessions, a revision landed, the turn or the seal
-- changed since the checks) is its answer as it was after a load.
CREATE FUNCTION signing_session_create_held(p_hash text, p_credit_code text,
	p_base_length bigint, p_base_sha256 text, p_seal_png bytea, p_seal_info text,
	p_number bigint, p_org bigint, p_user bigint, p_base_seq integer, p_delta bytea,
	p_contents_off bigint, p_contents_len bigint, p_signed_attrs bytea, p_algorithm text,
	p_chain bytea, p_rects jsonb, p_ttl_s integer, p_cert_der bytea, p_cert_subject text,
	p_cert_issuer text, p_cert_serial text, p_cert_not_before timestamptz,
	p_cert_not_after timestamptz, p_ip inet, p_ua text, p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	same boolean;
BEGIN
	BEGIN
		-- db/signing.c PREP_FROM's checks, as db_signing_prepare_load_auth runs them
		SELECT a.organization_id = p_org AND a.user_id = p_user
			AND a.credit_code = p_credit_code AND l.base_seq = p_base_seq
			AND l.base_length = p_base_length AND b.sha256 = p_base_sha256
			AND l.seal_png IS NOT DISTINCT FROM p_seal_png
			AND l.seal_info::text IS NOT DISTINCT FROM p_seal_info
		INTO same
		FROM auth_member(p_hash) a
		CROSS JOIN LATERAL signing_prepare_check(p_number, a.organization_id, p_seal) l
		LEFT JOIN revisions b ON b.contract_number = p_number AND b.seq = l.base_seq;
	EXCEPTION WHEN OTHERS THEN
		same := false;
	END;
	IF same IS NOT TRUE THEN
		PERFORM wf_fail('SPH01', 'what this process holds for the prepare is not what is stored');
	END IF;
	RETURN signing_session_open(p_number, p_org, p_user, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects, p_ttl_s, p_cert_der,
		p_cert_subject, p_cert_issuer, p_cert_serial, p_cert_not_before, p_cert_not_after,
		p_ip, p_ua, p_seal);
END
$$;
