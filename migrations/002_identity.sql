-- 002_identity.sql: who is calling (issue 3): login challenges, bearer
-- sessions, organization API keys and reviewer password credentials.
--
-- Every secret (nonce, session token, API key) is stored only as the
-- lowercase hex SHA-256 of its exact string. Each state change the server
-- makes is one statement or one function below (DESIGN.md §3).
--
-- Errors the server maps to problem codes are raised with SQLSTATEs of the
-- private class "SA" (auth):
--   SA001 challenge_unknown   SA002 challenge_used   SA003 challenge_expired
--   SA004 certificate_revoked (marked revoked here)  SA005 certificate_conflict
--   SA006 user_disabled       SA010 api_key_limit    SA011 username_taken

-- ---------------------------------------------------------------------------
-- Login nonces. Single use: used_at is set by the login that consumes it.
CREATE TABLE auth_challenges (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	nonce_hash text NOT NULL UNIQUE CHECK (nonce_hash ~ '^[0-9a-f]{64}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	used_at    timestamptz,
	CHECK (created_at < expires_at)
);
CREATE INDEX auth_challenges_expires_idx ON auth_challenges (expires_at);

-- ---------------------------------------------------------------------------
-- Bearer sessions of members (token login) and reviewers (password login).
CREATE TABLE sessions (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash      text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	user_id         bigint NOT NULL REFERENCES users (id),
	organization_id bigint REFERENCES organizations (id),
	kind            text NOT NULL
		CONSTRAINT sessions_kind_check CHECK (kind IN ('member', 'reviewer')),
	certificate_id  bigint REFERENCES certificates (id),
	ip              inet,
	created_at      timestamptz NOT NULL DEFAULT now(),
	expires_at      timestamptz NOT NULL,
	revoked_at      timestamptz,
	CHECK (created_at < expires_at),
	-- Members act for an organization with a certificate; reviewers have neither.
	CONSTRAINT sessions_member_shape CHECK ((kind = 'member') = (organization_id IS NOT NULL)
		AND (kind = 'member') = (certificate_id IS NOT NULL))
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- ---------------------------------------------------------------------------
-- API keys of an organization's own systems. The full key is
-- "spk_" || prefix || secret; prefix is shown in lists, the rest never again.
CREATE TABLE api_keys (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization_id bigint NOT NULL REFERENCES organizations (id),
	created_by      bigint NOT NULL REFERENCES users (id),
	name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
	prefix          text NOT NULL UNIQUE CHECK (prefix ~ '^[0-9a-z]{8}$'),
	key_hash        text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
	created_at      timestamptz NOT NULL DEFAULT now(),
	revoked_at      timestamptz,
	last_used_at    timestamptz,
	-- The creator is a member of the organization the key acts for.
	FOREIGN KEY (created_by, organization_id) REFERENCES users (id, organization_id)
);
CREATE INDEX api_keys_organization_idx ON api_keys (organization_id, created_at DESC);

-- ---------------------------------------------------------------------------
-- Reviewer password credentials ("scrypt$N$r$p$salt$hash", base64 parts).
CREATE TABLE reviewer_credentials (
	user_id       bigint PRIMARY KEY REFERENCES users (id),
	username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
	password_hash text NOT NULL CHECK (password_hash ~ '^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$'),
	failed_count  integer NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
	locked_until  timestamptz,
	last_login_at timestamptz,
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER reviewer_credentials_updated_at BEFORE UPDATE ON reviewer_credentials
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- A new challenge; also sweeps a bounded batch of long-dead ones so the table
-- stays small without a separate job.
CREATE FUNCTION auth_challenge_create(p_nonce_hash text, p_ttl_s integer)
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
	exp timestamptz;
BEGIN
	DELETE FROM auth_challenges WHERE id IN (SELECT id FROM auth_challenges
		WHERE expires_at < now() - interval '1 hour' ORDER BY expires_at LIMIT 100);
	INSERT INTO auth_challenges (nonce_hash, expires_at)
	VALUES (p_nonce_hash, now() + make_interval(secs => p_ttl_s))
	RETURNING expires_at INTO exp;
	RETURN exp;
END
$$;

-- Consume a challenge or raise SA001/SA002/SA003. The row lock of the UPDATE
-- makes two concurrent logins with one nonce serialize: the second sees
-- used_at set and fails.
CREATE FUNCTION auth_challenge_consume(p_nonce_hash text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	c auth_challenges%ROWTYPE;
BEGIN
	UPDATE auth_challenges SET used_at = now()
	WHERE nonce_hash = p_nonce_hash AND used_at IS NULL AND expires_at > now();
	IF FOUND THEN
		RETURN;
	END IF;
	SELECT * INTO c FROM auth_challenges WHERE nonce_hash = p_nonce_hash;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown challenge' USING ERRCODE = 'SA001';
	ELSIF c.used_at IS NOT NULL THEN
		RAISE EXCEPTION 'challenge already used' USING ERRCODE = 'SA002';
	ELSE
		RAISE EXCEPTION 'challenge expired' USING ERRCODE = 'SA003';
	END IF;
END
$$;

-- Token login, after the server checked the certificate and the signature:
-- consume the nonce, find or create the organization (by credit code), the
-- certificate and its user, and open a member session. All or nothing.
-- A renewed certificate with the same subject in the same organization
-- belongs to the same user.
CREATE FUNCTION auth_login_member(p_nonce_hash text, p_credit_code text, p_org_name text,
	p_user_name text, p_der bytea, p_subject text, p_issuer text, p_serial text,
	p_not_before timestamptz, p_not_after timestamptz, p_token_hash text,
	p_ttl_s integer, p_ip inet,
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
END
$$;

-- The credential behind a bearer token, for auth_then(): one row or none.
-- API keys ("spk_...") get last_used_at refreshed at most once a minute, so
-- a busy key does not turn every request into a write.
CREATE FUNCTION auth_credential_lookup(p_hash text, p_api_key boolean,
	OUT kind text, OUT credential_id bigint, OUT user_id bigint,
	OUT organization_id bigint, OUT certificate_id bigint, OUT credit_code text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
	IF p_api_key THEN
		RETURN QUERY
		WITH k AS (
			SELECT a.id, a.created_by, a.organization_id, a.last_used_at FROM api_keys a
			WHERE a.key_hash = p_hash AND a.revoked_at IS NULL
		), touch AS (
			UPDATE api_keys a SET last_used_at = now() FROM k
			WHERE a.id = k.id AND (k.last_used_at IS NULL
				OR k.last_used_at < now() - interval '60 seconds')
		)
		SELECT 'api_key'::text, k.id, k.created_by, k.organization_id, NULL::bigint,
			o.credit_code
		FROM k JOIN organizations o ON o.id = k.organization_id;
	ELSE
		RETURN QUERY
		SELECT s.kind, s.id, s.user_id, s.organization_id, s.certificate_id,
			o.credit_code
		FROM sessions s
		JOIN users u ON u.id = s.user_id
		LEFT JOIN organizations o ON o.id = s.organization_id
		LEFT JOIN certificates c ON c.id = s.certificate_id
		WHERE s.token_hash = p_hash AND s.revoked_at IS NULL AND s.expires_at > now()
		  AND u.disabled_at IS NULL AND c.revoked_at IS NULL;
	END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- API keys: at most 100 live keys per organization.
CREATE FUNCTION api_key_create(p_org bigint, p_user bigint, p_name text, p_prefix text,
	p_key_hash text, OUT id bigint, OUT created_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM organizations o WHERE o.id = p_org FOR UPDATE;
	IF (SELECT count(*) FROM api_keys a WHERE a.organization_id = p_org
	    AND a.revoked_at IS NULL) >= 100 THEN
		RAISE EXCEPTION 'at most 100 active API keys per organization' USING ERRCODE = 'SA010';
	END IF;
	INSERT INTO api_keys AS a (organization_id, created_by, name, prefix, key_hash)
	VALUES (p_org, p_user, btrim(p_name), p_prefix, p_key_hash)
	RETURNING a.id, a.created_at INTO id, created_at;
END
$$;

-- ---------------------------------------------------------------------------
-- Reviewers.
CREATE FUNCTION reviewer_create(p_username text, p_name text, p_password_hash text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	uid bigint;
BEGIN
	IF EXISTS (SELECT 1 FROM reviewer_credentials WHERE username = p_username) THEN
		RAISE EXCEPTION 'username % is taken', p_username USING ERRCODE = 'SA011';
	END IF;
	INSERT INTO users (kind, name) VALUES ('reviewer', p_name) RETURNING id INTO uid;
	INSERT INTO reviewer_credentials (user_id, username, password_hash)
	VALUES (uid, p_username, p_password_hash);
	RETURN uid;
END
$$;

-- The outcome of a checked password, under the credential's row lock so
-- that guesses racing past a lockout are still refused:
--   'ok'     -> a reviewer session was created (session_id, expires_at);
--   'locked' -> refused, retry_after_s says how long;
--   'failed' -> wrong password counted (a lockout starts at p_max_failures).
CREATE FUNCTION reviewer_login_finish(p_user_id bigint, p_password_ok boolean,
	p_token_hash text, p_ttl_s integer, p_max_failures integer, p_lockout_s integer,
	p_ip inet,
	OUT outcome text, OUT session_id bigint, OUT expires_at timestamptz,
	OUT retry_after_s integer)
LANGUAGE plpgsql AS $$
DECLARE
	cred reviewer_credentials%ROWTYPE;
BEGIN
	SELECT * INTO cred FROM reviewer_credentials WHERE user_id = p_user_id FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'failed';
		RETURN;
	END IF;
	IF cred.locked_until IS NOT NULL AND cred.locked_until > now() THEN
		outcome := 'locked';
		retry_after_s := greatest(1, ceil(extract(epoch FROM cred.locked_until - now())))::integer;
		RETURN;
	END IF;
	IF NOT p_password_ok THEN
		IF cred.failed_count + 1 >= p_max_failures THEN
			UPDATE reviewer_credentials SET failed_count = 0,
				locked_until = now() + make_interval(secs => p_lockout_s)
			WHERE user_id = p_user_id;
			outcome := 'locked';
			retry_after_s := p_lockout_s;
		ELSE
			UPDATE reviewer_credentials SET failed_count = failed_count + 1
			WHERE user_id = p_user_id;
			outcome := 'failed';
		END IF;
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.disabled_at IS NOT NULL) THEN
		outcome := 'failed';
		RETURN;
	END IF;
	UPDATE reviewer_credentials SET failed_count = 0, locked_until = NULL,
		last_login_at = now() WHERE user_id = p_user_id;
	INSERT INTO sessions AS s (token_hash, user_id, kind, ip, expires_at)
	VALUES (p_token_hash, p_user_id, 'reviewer', p_ip, now() + make_interval(secs => p_ttl_s))
	RETURNING s.id, s.expires_at INTO session_id, expires_at;
	outcome := 'ok';
END
$$;
