-- 062: organizations whose names show alike, past 054's key (review44).
--
-- 054's key took the UTS #39 skeleton before case folding. The skeleton
-- makes a capital I an "l" and leaves a small i, so the capitals of any name
-- with a small i got another key ("INTERNATIONAL TRADE CO" registered beside
-- "International Trade Co"), and characters shown as nothing that 052 does
-- not refuse (variation selectors, U+2800 shown as a space) stayed in it.
-- sealpactd now drops those characters and computes a second key from the
-- case-folded name (server/api/names.c): case variants share the second,
-- "Ilya" and "llya" the first. An organization may not register (a login
-- that names it, 030's rule) when either of its keys is either key of
-- another: SA013, 409 organization_name_taken, nothing written.
-- Registrations take one advisory lock, so two look-alikes registering at
-- once are judged one after the other (the unique indexes compare a column
-- with itself, not the first key of one with the second of the other).
-- Organizations registered before get their second key at their next login
-- when their stored name is the certificate's and no other holds either key,
-- as 054's did. The function takes 059's daily budget of member logins too
-- (sealpactd calls it alone); 054's and 059's stay for servers not yet
-- upgraded.

ALTER TABLE organizations ADD COLUMN name_key2 text;
CREATE UNIQUE INDEX organizations_name_key2_idx ON organizations (name_key2);

CREATE FUNCTION auth_login_member_keyed2(p_nonce_hash text, p_credit_code text,
	p_org_name text, p_user_name text, p_der bytea, p_subject text, p_issuer text,
	p_serial text, p_not_before timestamptz, p_not_after timestamptz, p_token_hash text,
	p_ttl_s integer, p_ip inet, p_ua text, p_name_key text, p_name_key2 text, p_max integer,
	OUT session_id bigint, OUT expires_at timestamptz, OUT organization_id bigint,
	OUT organization_name text, OUT credit_code text, OUT user_id bigint,
	OUT user_name text, OUT certificate_id bigint, OUT organization_created boolean)
LANGUAGE plpgsql AS $$
DECLARE
	named boolean; -- this login names the organization (030's rule)
	o organizations%ROWTYPE;
	taken text := format('an organization whose name shows like "%s" is registered '
		'already; two organizations may not look alike', p_org_name);
BEGIN
	SELECT * INTO o FROM organizations x WHERE x.credit_code = p_credit_code;
	-- 059's budget first (its lock, then the registrations' one: one order)
	IF o.id IS NOT NULL THEN
		PERFORM org_day_budget(o.id, ARRAY['session.login'], p_max, 'logged in');
	END IF;
	named := o.id IS NULL OR NOT EXISTS (SELECT 1 FROM certificates c
		WHERE c.organization_id = o.id);
	IF named THEN
		-- one registration at a time; the check's snapshot is taken after the lock
		PERFORM pg_advisory_xact_lock(62, 0);
		IF EXISTS (SELECT 1 FROM organizations x
				WHERE x.credit_code <> p_credit_code
					AND (x.name_key IN (p_name_key, p_name_key2)
						OR x.name_key2 IN (p_name_key, p_name_key2))) THEN
			PERFORM wf_fail('SA013', taken);
		END IF;
	END IF;
	SELECT l.session_id, l.expires_at, l.organization_id, l.organization_name, l.credit_code,
		l.user_id, l.user_name, l.certificate_id, l.organization_created
	INTO session_id, expires_at, organization_id, organization_name, credit_code, user_id,
		user_name, certificate_id, organization_created
	FROM auth_login_member(p_nonce_hash, p_credit_code, p_org_name, p_user_name, p_der,
		p_subject, p_issuer, p_serial, p_not_before, p_not_after, p_token_hash, p_ttl_s,
		p_ip, p_ua) l;
	BEGIN
		UPDATE organizations x SET name_key = p_name_key, name_key2 = p_name_key2
		WHERE x.id = auth_login_member_keyed2.organization_id AND x.name = p_org_name
			AND (x.name_key IS DISTINCT FROM p_name_key
				OR x.name_key2 IS DISTINCT FROM p_name_key2)
			AND (named OR NOT EXISTS (SELECT 1 FROM organizations y
				WHERE y.id <> x.id
					AND (y.name_key IN (p_name_key, p_name_key2)
						OR y.name_key2 IN (p_name_key, p_name_key2))));
	EXCEPTION WHEN unique_violation THEN
		-- an organization registered before keeps logging in without new keys
		IF named THEN
			PERFORM wf_fail('SA013', taken);
		END IF;
	END;
END
$$;
