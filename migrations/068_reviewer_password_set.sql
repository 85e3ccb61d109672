-- sec50: an operator sets a reviewer's new password (`sealpactd admin set-reviewer-password`).
-- Until now a reviewer's password could only be chosen at creation: one that leaked could
-- neither be changed nor the sessions opened with it ended, short of SQL by hand. The new
-- hash, the failed-login count and lock cleared, and every live session of that reviewer
-- revoked (a console logged in with the old password asks for the new one), in one
-- statement. SA014: no reviewer of that username. Returns the sessions revoked.
CREATE FUNCTION reviewer_password_set(p_username text, p_password_hash text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	uid bigint;
	n integer;
BEGIN
	UPDATE reviewer_credentials
	SET password_hash = p_password_hash, failed_count = 0, locked_until = NULL
	WHERE username = p_username
	RETURNING user_id INTO uid;
	IF uid IS NULL THEN
		RAISE EXCEPTION 'no reviewer %', p_username USING ERRCODE = 'SA014';
	END IF;
	UPDATE sessions SET revoked_at = now()
	WHERE user_id = uid AND revoked_at IS NULL AND expires_at > now();
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
