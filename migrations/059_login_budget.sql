-- 059 (sec44): member logins of one organization a day, bounded.
--
-- 054 budgeted what an organization may change a day; logging in was left.
-- Each member login (030's auth_login_member, through 054's
-- auth_login_member_keyed) opens a session and appends a 'session.login'
-- org_audit_events row that stays (006's audit trigger), so a member, or a
-- script holding the organization's key, logging in again and again grew
-- org_audit_events (and sessions, until they expire) at the database's pace.
--
-- The organization's member logins get a budget in any 24 hours from
-- sealpactd (auth.max_logins_per_day), counted from those events on a partial
-- index under 054's advisory lock (org_day_budget), before the challenge is
-- consumed or anything written: one more is SR004 (429 rate_limited, saying
-- when the next is allowed) and changes nothing; its challenge stays usable.
-- An organization's first login (no row yet, or only the one a party list
-- made with no login) has nothing to count. Only holders of one of the
-- organization's certificates can log in for it, so no one else can use its
-- logins up. auth_login_member_keyed is unchanged: SQL callers without a
-- budget keep it.

CREATE INDEX org_audit_events_logins_idx ON org_audit_events (organization_id, at)
	WHERE action = 'session.login';

CREATE FUNCTION auth_login_member_capped(p_nonce_hash text, p_credit_code text,
	p_org_name text, p_user_name text, p_der bytea, p_subject text, p_issuer text,
	p_serial text, p_not_before timestamptz, p_not_after timestamptz, p_token_hash text,
	p_ttl_s integer, p_ip inet, p_ua text, p_name_key text, p_max integer,
	OUT session_id bigint, OUT expires_at timestamptz, OUT organization_id bigint,
	OUT organization_name text, OUT credit_code text, OUT user_id bigint,
	OUT user_name text, OUT certificate_id bigint, OUT organization_created boolean)
LANGUAGE plpgsql AS $$
DECLARE
	org bigint;
BEGIN
	SELECT o.id INTO org FROM organizations o WHERE o.credit_code = p_credit_code;
	IF org IS NOT NULL THEN
		PERFORM org_day_budget(org, ARRAY['session.login'], p_max, 'logged in');
	END IF;
	SELECT l.session_id, l.expires_at, l.organization_id, l.organization_name, l.credit_code,
		l.user_id, l.user_name, l.certificate_id, l.organization_created
	INTO session_id, expires_at, organization_id, organization_name, credit_code, user_id,
		user_name, certificate_id, organization_created
	FROM auth_login_member_keyed(p_nonce_hash, p_credit_code, p_org_name, p_user_name, p_der,
		p_subject, p_issuer, p_serial, p_not_before, p_not_after, p_token_hash, p_ttl_s,
		p_ip, p_ua, p_name_key) l;
END
$$;
