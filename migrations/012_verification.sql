-- 012_verification.sql: verify once, also when reading (issue 14).
--
-- Completion verifies the revision it stores (the new signature, and what the
-- update changed for the earlier ones); the report it built is kept with the
-- revision, so the contract's verification answers from it instead of
-- verifying every signature of the file again. NULL: no report (the upload,
-- revisions stored before this migration, or a report completion could not
-- build whole): the server verifies the file itself. The text is the
-- server's report document (api/verify_report.c), kept byte for byte.

ALTER TABLE revisions ADD COLUMN verification text
	CHECK (verification IS NULL OR length(verification) <= 4194304);

-- signing_session_complete (010) plus the new revision's report, in the same
-- transaction: the report exists exactly when the revision does.
CREATE FUNCTION signing_session_complete_verified(p_id uuid, p_org bigint, p_user bigint,
	p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz,
	p_verification text, p_archive_until timestamptz, p_signed_length bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	res jsonb;
BEGIN
	res := signing_session_complete(p_id, p_org, p_user, p_delta, p_length, p_sha256,
		p_tsa_time, p_ip, p_ua, p_archive_until, p_signed_length);
	UPDATE revisions SET verification = p_verification
	 WHERE contract_number = (SELECT contract_number FROM signing_sessions WHERE id = p_id)
	   AND seq = (res->>'seq')::integer AND length = p_length;
	RETURN res;
END $$;
