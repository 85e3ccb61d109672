-- 030_names_and_foreign_seals.sql (sec29): what one organization can set
-- or learn about another.
--
-- 1. An organization is called what its certificate says.
--
-- A contract's party list may name an organization that has not logged in
-- yet; contract_create (003) then makes its row with the name the initiator
-- wrote, and a first login kept that name for good, so one organization
-- could choose how another is shown to everyone (lists, contracts, evidence
-- reports) and what its generated round seal and application form print.
-- Now the first certificate that logs in to such a row (one no certificate
-- is bound to yet) renames it to its subject's O, as a login that creates
-- the row names it. A registered organization's name never comes from a
-- party list (003 already ignored the name there). Rows whose organizations
-- have logged in before this migration keep their names: the certificates'
-- O names are not read back here.

CREATE OR REPLACE FUNCTION auth_login_member(p_nonce_hash text, p_credit_code text, p_org_name text,
	p_user_name text, p_der bytea, p_subject text, p_issuer text, p_serial text,
	p_not_before timestamptz, p_not_after timestamptz, p_token_hash text,
	p_ttl_s integer, p_ip inet, p_ua text DEFAULT NULL,
	OUT session_id bigint, OUT expires_at timestamptz, OUT organization_id bigint,
	OUT organization_name text, OUT credit_code text, OUT user_id bigint,
	OUT user_name text, OUT certificate_id bigint, OUT organization_created boolean)
LANGUAGE plpgsql AS $$
DECLARE
	fp text := encode(sha256(p_der), 'hex');
	cert certificates%ROWTYPE;
	disabled timestamptz;
BEGIN
	PERFORM auth_challenge_consume(p_nonce_hash);

	organization_created := false;
	INSERT INTO organizations AS o (name, credit_code) VALUES (p_org_name, p_credit_code)
	ON CONFLICT ON CONSTRAINT organizations_credit_code_key DO NOTHING
	RETURNING o.id INTO organization_id;
	IF organization_id IS NULL THEN
		-- Lock it: concurrent first logins of one certificate serialize here.
		SELECT o.id INTO organization_id FROM organizations o
		WHERE o.credit_code = p_credit_code FOR UPDATE;
		-- A row no certificate has logged in to yet was made by a party list
		-- (contract_create, 003), with the name its initiator wrote: the
		-- first certificate, from a trusted CA, names the organization.
		IF NOT EXISTS (SELECT 1 FROM certificates c
			       WHERE c.organization_id = auth_login_member.organization_id) THEN
			UPDATE organizations o SET name = p_org_name
			WHERE o.id = auth_login_member.organization_id AND o.name <> p_org_name;
		END IF;
	ELSE
		organization_created := true;
	END IF;

	SELECT * INTO cert FROM certificates c WHERE c.fingerprint = fp;
	IF FOUND THEN
		IF cert.organization_id IS DISTINCT FROM organization_id THEN
			RAISE EXCEPTION 'certificate bound to another organization' USING ERRCODE = 'SA005';
		END IF;
		IF cert.revoked_at IS NOT NULL THEN
			RAISE EXCEPTION 'certificate revoked' USING ERRCODE = 'SA004';
		END IF;
		user_id := cert.user_id;
	ELSE
		SELECT c.user_id INTO user_id FROM certificates c
		WHERE c.organization_id = auth_login_member.organization_id
		  AND c.subject = p_subject AND c.user_id IS NOT NULL
		ORDER BY c.id DESC LIMIT 1;
		IF user_id IS NULL THEN
			INSERT INTO users (kind, organization_id, name)
			VALUES ('member', auth_login_member.organization_id, p_user_name)
			RETURNING id INTO user_id;
		END IF;
		INSERT INTO certificates (organization_id, user_id, fingerprint, subject, issuer,
			serial, not_before, not_after, der)
		VALUES (auth_login_member.organization_id, user_id, fp, p_subject, p_issuer,
			p_serial, p_not_before, p_not_after, p_der)
		RETURNING * INTO cert;
	END IF;

	SELECT u.disabled_at, u.name INTO disabled, user_name FROM users u WHERE u.id = user_id;
	IF disabled IS NOT NULL THEN
		RAISE EXCEPTION 'user disabled' USING ERRCODE = 'SA006';
	END IF;

	certificate_id := cert.id;
	INSERT INTO sessions AS s (token_hash, user_id, organization_id, kind, certificate_id,
		ip, expires_at)
	VALUES (p_token_hash, user_id, organization_id, 'member', cert.id, p_ip,
		now() + make_interval(secs => p_ttl_s))
	RETURNING s.id, s.expires_at INTO session_id, expires_at;

	SELECT o.name, o.credit_code INTO organization_name, credit_code
	FROM organizations o WHERE o.id = auth_login_member.organization_id;

	PERFORM org_audit(organization_id, user_id, 'session.login', 'session', session_id::text,
		jsonb_build_object('kind', 'member', 'certificate_id', cert.id,
			'organization_created', organization_created), p_ip, p_ua);
END
$$;

-- 2. Another organization's seal does not exist for a signer. seal_usable
-- (009) answered SE005 seal_foreign (403) for it and SE010 seal_not_found
-- (422) for a number no seal has, so trying numbers told which seals exist
-- elsewhere (and, by the next answers, nothing more: the owner check came
-- first). Every route that reads a seal by number answers another
-- organization's as one that does not exist (404 on /seals/{id}); signing
-- now does too. The callers (017, 019, 024, 028) are unchanged.
CREATE OR REPLACE FUNCTION seal_usable(p_org bigint, p_seal bigint) RETURNS seals
LANGUAGE plpgsql STABLE AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	SELECT * INTO s FROM seals WHERE id = p_seal AND organization_id = p_org;
	IF NOT FOUND THEN
		PERFORM wf_fail('SE010', format('seal %s does not exist', p_seal));
	END IF;
	IF s.status = 'revoked' THEN
		PERFORM wf_fail('SE006', format('seal %s was revoked (replaced by seal %s)', p_seal,
			coalesce(s.replaced_by::text, '?')));
	END IF;
	IF s.status NOT IN ('approved', 'installed') THEN
		PERFORM wf_fail('SE009', format('seal %s is %s, not approved', p_seal, s.status));
	END IF;
	IF now() < s.valid_from THEN
		PERFORM wf_fail('SE008', format('seal %s is valid from %s', p_seal, wf_ts(s.valid_from)));
	END IF;
	IF now() >= s.valid_until THEN
		PERFORM wf_fail('SE007', format('seal %s expired at %s', p_seal, wf_ts(s.valid_until)));
	END IF;
	RETURN s;
END
$$;
