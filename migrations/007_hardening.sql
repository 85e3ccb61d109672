-- 007_hardening.sql: secrets shown once, a neutral webhook delivery log, and
-- reviewer login throttling that several server processes agree on.
--
-- Secrets: the webhook secret was kept in the Idempotency-Key record of its
-- registration, so a replay showed it again. The record now keeps the
-- response without it; a replay says "secret_shown_once": true instead. The
-- records written before are scrubbed.

UPDATE idempotency_keys SET response = response - 'secret'
WHERE response IS NOT NULL AND response ? 'secret';

-- The delivery log says "refused" (the address policy kept the connection
-- from being made) or "failed", never what a receiver or the network said:
-- the error texts recorded before are made neutral too.
UPDATE webhook_attempts SET error = 'failed'
WHERE error IS NOT NULL AND error NOT IN ('refused', 'failed');
UPDATE webhook_deliveries SET last_error = 'failed'
WHERE last_error IS NOT NULL AND last_error NOT IN ('refused', 'failed', 'webhook removed');

DROP FUNCTION webhook_create(bigint, bigint, text, text, text, inet, text);

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
		RETURN (prev - 'secret') || '{"secret_shown_once": true}'::jsonb;
	END IF;
	IF p_url IS NULL OR p_url !~ '^https?://[^\s/]+[^\s]*$' OR length(p_url) > 2000 THEN
		PERFORM wf_fail('SP400', 'url must be an http:// or https:// URL of at most 2000 characters');
	END IF;
	IF (SELECT count(*) FROM webhooks WHERE organization_id = p_org AND deleted_at IS NULL) >= 20 THEN
		PERFORM wf_fail('SP409', 'an organization has at most 20 webhooks');
	END IF;
	INSERT INTO webhooks (organization_id, url, secret, created_by)
	VALUES (p_org, p_url, p_secret, p_user) RETURNING * INTO w;
	res := jsonb_build_object('id', w.id::text, 'url', w.url,
		'created_at', wf_ts(w.created_at),
		'events', '["sent","received","signed","rejected","completed","cancelled","expired"]'::jsonb);
	PERFORM wf_idem_store(p_org, p_idem_key, res);
	PERFORM org_audit(p_org, p_user, 'webhook.created', 'webhook', w.id::text,
		jsonb_build_object('url', w.url), p_ip, p_ua);
	RETURN res || jsonb_build_object('secret', w.secret);
END
$$;

-- ---------------------------------------------------------------------------
-- Reviewer login throttling, per account and per client address, kept here so
-- that every server process sees the same counts (it was a per-process
-- window per address, which also blocked a correct login from an address
-- shared with a guesser).
--
-- An account: its first p_max_failures - 1 wrong passwords are free; the
-- next locks it for p_backoff_s, each further one (after the lock ends)
-- for twice the last, up to p_lockout_s. While locked nothing is checked or
-- counted. A quiet spell of p_lockout_s after the last failure or lock starts
-- the count over; a correct password resets it.
--
-- An address (IPv4 /32, IPv6 /64: one host's usual share): every failed
-- login from it counts, whatever the username; past p_ip_max_failures it is
-- blocked with the same doubling backoff. A block refuses attempts on
-- usernames that do not exist (before any password hashing), and answers a
-- wrong password for a real one with the same 429; it never locks an account,
-- and a correct password for an account that is not locked still opens a
-- session, so a reviewer behind the same NAT as a guesser can log in.

ALTER TABLE reviewer_credentials ADD COLUMN last_failed_at timestamptz;

CREATE TABLE login_address_throttle (
	net            cidr PRIMARY KEY,
	failures       integer NOT NULL CHECK (failures > 0),
	last_failed_at timestamptz NOT NULL,
	blocked_until  timestamptz
);
CREATE INDEX login_address_throttle_last_idx ON login_address_throttle (last_failed_at);

CREATE FUNCTION login_net(p_ip inet) RETURNS cidr
LANGUAGE sql IMMUTABLE AS $$
	SELECT network(set_masklen(p_ip, CASE family(p_ip) WHEN 4 THEN 32 ELSE 64 END))
$$;

-- Seconds of the n-th wait (n >= 1): p_base doubling, capped at p_cap.
CREATE FUNCTION login_backoff_s(p_n integer, p_base integer, p_cap integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT least(p_cap::numeric, p_base::numeric * power(2::numeric, least(p_n - 1, 40)))::integer
$$;

-- Seconds until the address of p_ip may try an unknown username again (0: now).
CREATE FUNCTION login_address_wait_s(p_ip inet) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT greatest(1, ceil(extract(epoch FROM t.blocked_until - now())))::integer
		FROM login_address_throttle t
		WHERE p_ip IS NOT NULL AND t.net = login_net(p_ip) AND t.blocked_until > now()), 0)
$$;

-- The first step of a login: the credential of p_username (NULLs when there
-- is none), the seconds its lockout still lasts, and the address's wait.
CREATE FUNCTION reviewer_login_begin(p_username text, p_ip inet,
	OUT user_id bigint, OUT password_hash text, OUT locked_s integer, OUT address_wait_s integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
	SELECT c.user_id, c.password_hash,
		CASE WHEN c.locked_until > now()
			THEN greatest(1, ceil(extract(epoch FROM c.locked_until - now())))::integer END
	INTO user_id, password_hash, locked_s
	FROM reviewer_credentials c WHERE c.username = p_username;
	address_wait_s := login_address_wait_s(p_ip);
END
$$;

-- Count a failed login from p_ip; returns whether the address was already
-- blocked before this failure. Old rows are dropped on the way.
CREATE FUNCTION login_address_failed(p_ip inet, p_free integer, p_base integer, p_cap integer)
	RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	t login_address_throttle%ROWTYPE;
	was_blocked boolean;
	n integer;
BEGIN
	IF p_ip IS NULL OR p_free <= 0 THEN
		RETURN false;
	END IF;
	DELETE FROM login_address_throttle
	WHERE last_failed_at < now() - make_interval(secs => 2 * p_cap)
		AND (blocked_until IS NULL OR blocked_until < now() - make_interval(secs => p_cap));
	INSERT INTO login_address_throttle AS a (net, failures, last_failed_at)
	VALUES (login_net(p_ip), 1, now())
	ON CONFLICT (net) DO UPDATE SET failures = CASE
			WHEN greatest(a.last_failed_at, a.blocked_until) < now() - make_interval(secs => p_cap)
			THEN 1 ELSE a.failures + 1 END,
		last_failed_at = now()
	RETURNING * INTO t;
	-- The row as it was is gone; what matters is the block it carried.
	was_blocked := t.blocked_until IS NOT NULL AND t.blocked_until > now();
	n := t.failures - p_free + 1;
	IF n >= 1 THEN
		UPDATE login_address_throttle
		SET blocked_until = now() + make_interval(secs => login_backoff_s(n, p_base, p_cap))
		WHERE net = t.net;
	END IF;
	RETURN was_blocked;
END
$$;

DROP FUNCTION reviewer_login_finish(bigint, boolean, text, integer, integer, integer, inet, text);

-- Record a checked login (p_user_id NULL: the username does not exist).
-- outcome: 'ok' (a session), 'failed' (401), 'locked' (this failure locked
-- the account, or it was locked meanwhile: 429 login_locked), 'throttled'
-- (a wrong password while the address is blocked: 429 rate_limited, the
-- same answer an unknown username gets then). retry_after_s for the 429s.
CREATE FUNCTION reviewer_login_finish(p_user_id bigint, p_password_ok boolean,
	p_token_hash text, p_ttl_s integer, p_max_failures integer, p_lockout_s integer,
	p_backoff_s integer, p_ip_max_failures integer, p_ip inet, p_ua text DEFAULT NULL,
	OUT outcome text, OUT session_id bigint, OUT expires_at timestamptz,
	OUT retry_after_s integer)
LANGUAGE plpgsql AS $$
DECLARE
	cred reviewer_credentials%ROWTYPE;
	blocked boolean;
	n integer;
	lock_s integer;
BEGIN
	IF p_user_id IS NOT NULL THEN
		SELECT * INTO cred FROM reviewer_credentials WHERE user_id = p_user_id FOR UPDATE;
	END IF;
	IF p_user_id IS NULL OR cred.user_id IS NULL THEN
		PERFORM login_address_failed(p_ip, p_ip_max_failures, p_backoff_s, p_lockout_s);
		outcome := 'failed';
		RETURN;
	END IF;
	IF cred.locked_until IS NOT NULL AND cred.locked_until > now() THEN
		outcome := 'locked';
		retry_after_s := greatest(1, ceil(extract(epoch FROM cred.locked_until - now())))::integer;
		RETURN;
	END IF;
	IF NOT p_password_ok THEN
		blocked := login_address_failed(p_ip, p_ip_max_failures, p_backoff_s, p_lockout_s);
		n := CASE WHEN cred.last_failed_at IS NULL OR greatest(cred.last_failed_at,
				cred.locked_until) < now() - make_interval(secs => p_lockout_s)
			THEN 1 ELSE cred.failed_count + 1 END;
		IF n >= p_max_failures THEN
			lock_s := login_backoff_s(n - p_max_failures + 1, p_backoff_s, p_lockout_s);
			UPDATE reviewer_credentials SET failed_count = n, last_failed_at = now(),
				locked_until = now() + make_interval(secs => lock_s)
			WHERE user_id = p_user_id;
			outcome := 'locked';
			retry_after_s := lock_s;
		ELSE
			UPDATE reviewer_credentials SET failed_count = n, last_failed_at = now()
			WHERE user_id = p_user_id;
			IF blocked THEN
				outcome := 'throttled';
				retry_after_s := login_address_wait_s(p_ip);
			ELSE
				outcome := 'failed';
			END IF;
		END IF;
		PERFORM org_audit(NULL, p_user_id, 'login.' || outcome, 'reviewer',
			p_user_id::text, jsonb_build_object('username', cred.username), p_ip, p_ua);
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.disabled_at IS NOT NULL) THEN
		outcome := 'failed';
		RETURN;
	END IF;
	UPDATE reviewer_credentials SET failed_count = 0, locked_until = NULL, last_failed_at = NULL,
		last_login_at = now() WHERE user_id = p_user_id;
	INSERT INTO sessions AS s (token_hash, user_id, kind, ip, expires_at)
	VALUES (p_token_hash, p_user_id, 'reviewer', p_ip, now() + make_interval(secs => p_ttl_s))
	RETURNING s.id, s.expires_at INTO session_id, expires_at;
	PERFORM org_audit(NULL, p_user_id, 'session.login', 'session', session_id::text,
		jsonb_build_object('kind', 'reviewer', 'username', cred.username), p_ip, p_ua);
	outcome := 'ok';
END
$$;
