-- 006_identity_audit.sql: an audit trail of each organization's identity and
-- integration changes (logins, logouts, API keys, webhooks), with the
-- caller's IP address and User-Agent; API-key revocation, logout and webhook
-- deletion become audited SQL functions like every other state change.
--
-- Why a trail of its own and not audit_events (001): audit_events is the
-- evidence of one contract, one hash chain per contract, shown to every
-- party of it. A login or a revoked key belongs to no contract; putting it on
-- the platform chain (contract_number NULL) would mix every organization's
-- events into the chain of seal reviews and make every login in the country
-- queue on one row lock. Here each organization has its own chain (and the
-- platform, for reviewers, chain 0), built exactly like audit_events:
-- seq + prev_hash + hash filled by an insert trigger under the chain head's
-- row lock, append-only, re-checked by org_audit_chain_verify().
--
-- The functions of 002 and 003 that gain the caller's IP and User-Agent are
-- dropped and created again with the same body plus the audit event; the new
-- parameters default to NULL, so existing callers keep working.

-- ---------------------------------------------------------------------------
-- The trail.
CREATE TABLE org_audit_heads (
	chain     bigint PRIMARY KEY,          -- organization id, or 0 for the platform
	last_seq  bigint NOT NULL,
	last_hash bytea NOT NULL CHECK (length(last_hash) = 32)
);

CREATE TABLE org_audit_events (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization_id bigint REFERENCES organizations (id),   -- NULL: the platform (reviewers)
	seq             bigint NOT NULL,
	actor_user_id   bigint REFERENCES users (id),
	action          text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
	object_type     text NOT NULL CHECK (object_type ~ '^[a-z][a-z0-9_]{0,31}$'),
	object_id       text NOT NULL CHECK (length(object_id) BETWEEN 1 AND 100),
	ip              inet,
	user_agent      text CHECK (length(user_agent) <= 256),
	at              timestamptz NOT NULL DEFAULT now(),
	details         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
	prev_hash       bytea NOT NULL CHECK (length(prev_hash) = 32),
	hash            bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE UNIQUE INDEX org_audit_events_chain_idx ON org_audit_events
	((coalesce(organization_id, 0)), seq);
CREATE INDEX org_audit_events_at_idx ON org_audit_events (at);

-- The canonical text of an event, as audit_event_hash() (001) with the
-- User-Agent added.
CREATE FUNCTION org_audit_event_hash(prev_hash bytea, organization_id bigint, seq bigint,
	actor_user_id bigint, action text, object_type text, object_id text, ip inet,
	user_agent text, at timestamptz, details jsonb) RETURNS bytea
LANGUAGE sql STABLE AS $$
	SELECT sha256(prev_hash || convert_to(jsonb_build_array(organization_id, seq,
		actor_user_id, action, object_type, object_id, host(ip), user_agent,
		to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		details)::text, 'UTF8'))
$$;

CREATE FUNCTION org_audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k bigint := coalesce(NEW.organization_id, 0);
	head org_audit_heads%ROWTYPE;
BEGIN
	-- The foreign key's share lock on the organization first, then the chain
	-- head: api_key_create and auth_login_member hold the organization FOR
	-- UPDATE when they append, so the other order could deadlock with them.
	IF NEW.organization_id IS NOT NULL THEN
		PERFORM 1 FROM organizations WHERE id = NEW.organization_id FOR KEY SHARE;
	END IF;
	INSERT INTO org_audit_heads (chain, last_seq, last_hash)
	VALUES (k, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
	ON CONFLICT (chain) DO NOTHING;
	SELECT * INTO head FROM org_audit_heads WHERE chain = k FOR UPDATE;
	NEW.seq := head.last_seq + 1;
	NEW.prev_hash := head.last_hash;
	NEW.hash := org_audit_event_hash(NEW.prev_hash, NEW.organization_id, NEW.seq,
		NEW.actor_user_id, NEW.action, NEW.object_type, NEW.object_id, NEW.ip,
		NEW.user_agent, NEW.at, NEW.details);
	UPDATE org_audit_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain = k;
	RETURN NEW;
END
$$;
CREATE TRIGGER org_audit_events_chain BEFORE INSERT ON org_audit_events
	FOR EACH ROW EXECUTE FUNCTION org_audit_events_chain();

-- Append-only, as audit_events (the same refusal).
CREATE TRIGGER org_audit_events_immutable BEFORE UPDATE OR DELETE ON org_audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_immutable();

-- Re-verify one organization's chain (NULL: the platform's), as
-- audit_chain_verify() (001).
CREATE FUNCTION org_audit_chain_verify(p_org bigint,
	OUT valid boolean, OUT events bigint, OUT first_bad_seq bigint, OUT reason text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	k bigint := coalesce(p_org, 0);
	e org_audit_events%ROWTYPE;
	expect_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
	expect_seq bigint := 1;
	head org_audit_heads%ROWTYPE;
BEGIN
	valid := true;
	events := 0;
	FOR e IN SELECT * FROM org_audit_events WHERE coalesce(organization_id, 0) = k
			ORDER BY seq LOOP
		events := events + 1;
		IF e.seq <> expect_seq THEN
			reason := format('event %s missing', expect_seq);
		ELSIF e.prev_hash <> expect_prev THEN
			reason := 'prev_hash does not match the previous event';
		ELSIF e.hash <> org_audit_event_hash(e.prev_hash, e.organization_id, e.seq,
				e.actor_user_id, e.action, e.object_type, e.object_id, e.ip,
				e.user_agent, e.at, e.details) THEN
			reason := 'hash does not match the event';
		END IF;
		IF reason IS NOT NULL THEN
			valid := false;
			first_bad_seq := e.seq;
			RETURN;
		END IF;
		expect_prev := e.hash;
		expect_seq := e.seq + 1;
	END LOOP;
	SELECT * INTO head FROM org_audit_heads WHERE chain = k;
	IF (NOT FOUND AND events > 0) OR (FOUND AND (head.last_seq <> events
			OR head.last_hash <> expect_prev)) THEN
		valid := false;
		first_bad_seq := events + 1;
		reason := 'chain head does not match the last event';
	END IF;
END
$$;

-- Append one event. p_org NULL or 0 is the platform's chain; an empty
-- User-Agent is none, a long one is cut (the server sends at most 256
-- printable ASCII characters already).
CREATE FUNCTION org_audit(p_org bigint, p_user bigint, p_action text, p_object_type text,
	p_object_id text, p_details jsonb, p_ip inet, p_ua text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO org_audit_events (organization_id, actor_user_id, action, object_type,
		object_id, ip, user_agent, details)
	VALUES (nullif(p_org, 0), nullif(p_user, 0), p_action, p_object_type, p_object_id, p_ip,
		left(nullif(p_ua, ''), 256), coalesce(p_details, '{}'::jsonb))
$$;

-- ---------------------------------------------------------------------------
-- Token login (002), now with the caller's User-Agent and a 'session.login'
-- event in the organization's trail.
DROP FUNCTION auth_login_member(text, text, text, text, bytea, text, text, text, timestamptz,
	timestamptz, text, integer, inet);

CREATE FUNCTION auth_login_member(p_nonce_hash text, p_credit_code text, p_org_name text,
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

-- ---------------------------------------------------------------------------
-- Reviewer password login (002), now recording each outcome that changes the
-- credential in the platform's trail: 'session.login', 'login.failed' (the
-- failure counted) and 'login.locked' (a lockout starts). A login refused
-- because a lockout is running changes nothing and records nothing.
DROP FUNCTION reviewer_login_finish(bigint, boolean, text, integer, integer, integer, inet);

CREATE FUNCTION reviewer_login_finish(p_user_id bigint, p_password_ok boolean,
	p_token_hash text, p_ttl_s integer, p_max_failures integer, p_lockout_s integer,
	p_ip inet, p_ua text DEFAULT NULL,
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
		PERFORM org_audit(NULL, p_user_id, 'login.' || outcome, 'reviewer',
			p_user_id::text, jsonb_build_object('username', cred.username), p_ip, p_ua);
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
	PERFORM org_audit(NULL, p_user_id, 'session.login', 'session', session_id::text,
		jsonb_build_object('kind', 'reviewer', 'username', cred.username), p_ip, p_ua);
	outcome := 'ok';
END
$$;

-- ---------------------------------------------------------------------------
-- Logout: end the caller's own session. Returns whether it was still live
-- (a second logout of one session changes and records nothing).
CREATE FUNCTION auth_logout(p_session bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	s sessions%ROWTYPE;
BEGIN
	UPDATE sessions SET revoked_at = now()
	WHERE id = p_session AND user_id = p_user AND revoked_at IS NULL
	RETURNING * INTO s;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM org_audit(s.organization_id, p_user, 'session.logout', 'session', s.id::text,
		jsonb_build_object('kind', s.kind), p_ip, p_ua);
	RETURN true;
END
$$;

-- ---------------------------------------------------------------------------
-- API keys (002): creation records 'api_key.created'; revocation is a
-- function now and records 'api_key.revoked'.
DROP FUNCTION api_key_create(bigint, bigint, text, text, text);

CREATE FUNCTION api_key_create(p_org bigint, p_user bigint, p_name text, p_prefix text,
	p_key_hash text, p_ip inet DEFAULT NULL, p_ua text DEFAULT NULL,
	OUT id bigint, OUT created_at timestamptz)
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
	PERFORM org_audit(p_org, p_user, 'api_key.created', 'api_key', id::text,
		jsonb_build_object('name', btrim(p_name), 'prefix', p_prefix), p_ip, p_ua);
END
$$;

-- Revoke a live key of organization p_org. false when there is none with
-- that id in p_org (another organization's key is not found, and untouched).
CREATE FUNCTION api_key_revoke(p_org bigint, p_user bigint, p_id bigint, p_ip inet,
	p_ua text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	k api_keys%ROWTYPE;
BEGIN
	UPDATE api_keys SET revoked_at = now()
	WHERE id = p_id AND organization_id = p_org AND revoked_at IS NULL
	RETURNING * INTO k;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM org_audit(p_org, p_user, 'api_key.revoked', 'api_key', k.id::text,
		jsonb_build_object('name', k.name, 'prefix', k.prefix), p_ip, p_ua);
	RETURN true;
END
$$;

-- ---------------------------------------------------------------------------
-- Webhooks (003): registration records 'webhook.created' (a replay of the
-- same Idempotency-Key changes nothing and records nothing); removal is a
-- function now and records 'webhook.deleted'.
DROP FUNCTION webhook_create(bigint, bigint, text, text, text);

CREATE FUNCTION webhook_create(p_org bigint, p_user bigint, p_url text, p_secret text,
	p_idem_key text, p_ip inet DEFAULT NULL, p_ua text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	prev jsonb;
	w webhooks%ROWTYPE;
	res jsonb;
BEGIN
	prev := wf_idem_begin(p_org, p_idem_key, encode(sha256(convert_to(
		jsonb_build_array('webhook', p_url)::text, 'UTF8')), 'hex'));
	IF prev IS NOT NULL THEN
		RETURN prev;
	END IF;
	IF p_url IS NULL OR p_url !~ '^https?://[^\s/]+[^\s]*$' OR length(p_url) > 2000 THEN
		PERFORM wf_fail('SP400', 'url must be an http:// or https:// URL of at most 2000 characters');
	END IF;
	IF (SELECT count(*) FROM webhooks WHERE organization_id = p_org AND deleted_at IS NULL) >= 20 THEN
		PERFORM wf_fail('SP409', 'an organization has at most 20 webhooks');
	END IF;
	INSERT INTO webhooks (organization_id, url, secret, created_by)
	VALUES (p_org, p_url, p_secret, p_user) RETURNING * INTO w;
	res := jsonb_build_object('id', w.id::text, 'url', w.url, 'secret', w.secret,
		'created_at', wf_ts(w.created_at),
		'events', '["sent","received","signed","rejected","completed","cancelled","expired"]'::jsonb);
	PERFORM wf_idem_store(p_org, p_idem_key, res);
	PERFORM org_audit(p_org, p_user, 'webhook.created', 'webhook', w.id::text,
		jsonb_build_object('url', w.url), p_ip, p_ua);
	RETURN res;
END
$$;

-- Remove a live webhook of organization p_org; its pending deliveries are
-- not sent any more. false when there is none with that id in p_org.
CREATE FUNCTION webhook_delete(p_org bigint, p_user bigint, p_id bigint, p_ip inet,
	p_ua text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	w webhooks%ROWTYPE;
	failed bigint;
BEGIN
	UPDATE webhooks SET deleted_at = now()
	WHERE id = p_id AND organization_id = p_org AND deleted_at IS NULL
	RETURNING * INTO w;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook removed'
	WHERE webhook_id = w.id AND status = 'pending';
	GET DIAGNOSTICS failed = ROW_COUNT;
	PERFORM org_audit(p_org, p_user, 'webhook.deleted', 'webhook', w.id::text,
		jsonb_build_object('url', w.url, 'pending_dropped', failed), p_ip, p_ua);
	RETURN true;
END
$$;
