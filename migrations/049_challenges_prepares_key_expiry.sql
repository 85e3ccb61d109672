-- 049 (sec40): what an attacker could still make the server do (round eleven).
--
-- 1. A login challenge is a row no more.
--
-- Anyone may ask for a login challenge. Since 002 each was a row, and since
-- 031 at most auth.max_challenges were outstanding over every node: so one
-- client asking as fast as it could held the cap and every other login got
-- 503 server_busy. A per-address share would throttle everyone behind one
-- proxy or NAT, and an attacker with many addresses would still starve the
-- rest. So nothing is kept for a challenge that nobody answers: the
-- challenge carries its own expiry and a tag only the database can make,
--
--     challenge = expiry (int8, Unix seconds) || 8 random bytes
--                 || first 16 bytes of SHA-256(key || expiry || random)
--
-- (32 bytes, as before, so clients are unchanged). Issuing one writes
-- nothing and there is no cap to exhaust. The key is 32 random bytes made
-- here, in the database every node shares, and never leaves it. SHA-256 of
-- key || message is a sound tag for a message of fixed length (length
-- extension needs a longer one; the length is checked first).
--
-- Single use is kept by the login, the only step that writes: a login whose
-- certificate and signature the server checked stores the challenge's hash
-- as used (auth_challenges, as before) until the challenge expires; a second
-- login with it finds the row (SA002). So rows come only from logins with a
-- trusted certificate, at most one per challenge, and are swept after their
-- expiry. An expired challenge is SA003 whether it was used or not; a forged
-- or unknown one SA001.
--
-- auth.max_challenges and SA012 have nothing left to bound: the key stays
-- in the configuration (files that set it still load) and does nothing.

CREATE TABLE auth_challenge_key (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	key bytea NOT NULL CHECK (length(key) = 32)
);
-- gen_random_uuid() draws from pg_strong_random(): 2 x 122 random bits.
INSERT INTO auth_challenge_key (key)
VALUES (uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));

-- Challenges issued before this file stop working (at most challenge_ttl_s).
DROP FUNCTION auth_challenge_create(text, integer, integer);
DELETE FROM auth_challenges WHERE used_at IS NULL;

-- The tag of expiry || random: the one place that computes it.
CREATE FUNCTION auth_challenge_tag(p_body bytea) RETURNS bytea
LANGUAGE sql STABLE AS $$
	SELECT substring(sha256(key || p_body) FROM 1 FOR 16) FROM auth_challenge_key
$$;

-- A challenge valid p_ttl_s seconds (whole seconds: what the tag carries).
-- Reads the key, writes nothing.
CREATE FUNCTION auth_challenge_issue(p_ttl_s integer, OUT challenge bytea,
	OUT expires_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
	body bytea;
BEGIN
	expires_at := to_timestamp(ceil(extract(epoch FROM now()) + p_ttl_s));
	body := int8send(extract(epoch FROM expires_at)::bigint)
		|| substring(uuid_send(gen_random_uuid()) FROM 9 FOR 8);
	challenge := body || auth_challenge_tag(body);
END
$$;

-- Consume a challenge (hex of its 32 bytes) or raise SA001/SA002/SA003.
-- Replaces 002's, which took the challenge's hash; auth_login_member passes
-- its first argument through, so it is unchanged. The tags are compared by
-- their hashes: how long a comparison takes then tells nothing about the tag.
DROP FUNCTION auth_challenge_consume(text);
CREATE FUNCTION auth_challenge_consume(p_challenge text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	c   bytea;
	exp timestamptz;
BEGIN
	IF p_challenge IS NULL OR p_challenge !~ '^[0-9a-f]{64}$' THEN
		RAISE EXCEPTION 'unknown challenge' USING ERRCODE = 'SA001';
	END IF;
	c := decode(p_challenge, 'hex');
	IF sha256(substring(c FROM 17 FOR 16))
	   <> sha256(auth_challenge_tag(substring(c FROM 1 FOR 16))) THEN
		RAISE EXCEPTION 'unknown challenge' USING ERRCODE = 'SA001';
	END IF;
	exp := to_timestamp(('x' || substring(p_challenge FROM 1 FOR 16))::bit(64)::bigint);
	IF exp <= now() THEN
		RAISE EXCEPTION 'challenge expired' USING ERRCODE = 'SA003';
	END IF;
	DELETE FROM auth_challenges WHERE id IN (SELECT id FROM auth_challenges
		WHERE expires_at <= now() ORDER BY expires_at LIMIT 100);
	-- Two logins with one challenge: the second waits on the first's row
	-- and inserts nothing.
	INSERT INTO auth_challenges (nonce_hash, expires_at, used_at)
	VALUES (encode(sha256(c), 'hex'), exp, now())
	ON CONFLICT (nonce_hash) DO NOTHING;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'challenge already used' USING ERRCODE = 'SA002';
	END IF;
END
$$;

-- 2. A signer's prepares, at most 100 in any 24 hours per party.
--
-- Each prepare appends 'signing.prepared' to the contract's audit chain
-- (abort appends 'signing.aborted'), and that chain is shared: every
-- party's GET /api/v1/contracts/{number} answers it whole, each evidence
-- report prints it and audit/verify re-checks it. A signer whose turn it
-- was could prepare and abort (or let expire) in a loop and grow it for
-- everyone at the database's pace; 043 bounded the evidence requests, this
-- bounds the prepares. 100 a day is far beyond a signer retrying a PIN or a
-- placement.
--
-- A prepare is the one thing that inserts a signing session (036's
-- signing_session_store, for both of its callers), so the bound is a
-- trigger on that insert: it holds whatever later redefines the store.
-- Counted from the party's sessions on their (party_id, created_at) index,
-- at most 100 entries read; one more is SR003 (429 rate_limited), and the
-- whole prepare records nothing, its detail saying when the next is
-- allowed. A row of each session stays (completed, aborted, open) but for
-- open ones expired an hour ago, which the store drops (20 open at most a
-- party): a loop that lets sessions expire escapes the count only as they
-- are dropped, a few hundred a day at worst, not the database's pace. The
-- callers hold the contract's row lock, so two prepares at once count each
-- other.
CREATE FUNCTION signing_sessions_prepare_cap() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	recent bigint;
	oldest timestamptz;
BEGIN
	SELECT count(*), min(x.created_at) INTO recent, oldest
	FROM (SELECT ss.created_at FROM signing_sessions ss
		WHERE ss.party_id = NEW.party_id AND ss.created_at > now() - interval '1 day'
		ORDER BY ss.created_at DESC LIMIT 100) x;
	IF recent >= 100 THEN
		PERFORM wf_fail('SR003', format('this party prepared a signing of this contract %s '
			'times in the last 24 hours, the most allowed; the next at %s', recent,
			wf_ts(oldest + interval '1 day')));
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER signing_sessions_prepare_cap BEFORE INSERT ON signing_sessions
	FOR EACH ROW EXECUTE FUNCTION signing_sessions_prepare_cap();

-- 3. An API key may carry an expiry.
--
-- Keys never expired: a key left in a retired system, a contractor's
-- script or a leaked file worked until someone remembered to revoke it. A
-- key may now be created with expires_at (NULL: it never expires, as
-- before); past it, auth_credential_lookup finds it no more, like a revoked
-- one, and it no longer counts towards the organization's 100 live keys.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz,
	ADD CONSTRAINT api_keys_expires_check CHECK (expires_at > created_at);

DROP FUNCTION api_key_create(bigint, bigint, text, text, text, inet, text);
CREATE FUNCTION api_key_create(p_org bigint, p_user bigint, p_name text, p_prefix text,
	p_key_hash text, p_ip inet DEFAULT NULL, p_ua text DEFAULT NULL,
	p_expires_at timestamptz DEFAULT NULL, OUT id bigint, OUT created_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM organizations o WHERE o.id = p_org FOR UPDATE;
	IF (SELECT count(*) FROM api_keys a WHERE a.organization_id = p_org
	    AND a.revoked_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > now())) >= 100 THEN
		RAISE EXCEPTION 'at most 100 active API keys per organization' USING ERRCODE = 'SA010';
	END IF;
	INSERT INTO api_keys AS a (organization_id, created_by, name, prefix, key_hash, expires_at)
	VALUES (p_org, p_user, btrim(p_name), p_prefix, p_key_hash, p_expires_at)
	RETURNING a.id, a.created_at INTO id, created_at;
	PERFORM org_audit(p_org, p_user, 'api_key.created', 'api_key', id::text,
		jsonb_build_object('name', btrim(p_name), 'prefix', p_prefix)
		|| CASE WHEN p_expires_at IS NULL THEN '{}'::jsonb
			ELSE jsonb_build_object('expires_at', wf_ts(p_expires_at)) END, p_ip, p_ua);
END
$$;

-- 026's, with the key's expiry in its API key branch.
CREATE OR REPLACE FUNCTION auth_credential_lookup(p_hash text, p_api_key boolean,
	OUT kind text, OUT credential_id bigint, OUT user_id bigint,
	OUT organization_id bigint, OUT certificate_id bigint, OUT credit_code text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
	IF p_api_key THEN
		RETURN QUERY
		WITH k AS (
			SELECT a.id, a.created_by, a.organization_id, a.last_used_at FROM api_keys a
			WHERE a.key_hash = p_hash AND a.revoked_at IS NULL
			  AND (a.expires_at IS NULL OR a.expires_at > now())
		), touch AS (
			UPDATE api_keys a SET last_used_at = now() FROM k
			WHERE a.id = k.id AND (k.last_used_at IS NULL
				OR k.last_used_at < now() - interval '60 seconds')
		)
		SELECT 'api_key'::text, k.id, k.created_by, k.organization_id, NULL::bigint,
			o.credit_code
		FROM k JOIN organizations o ON o.id = k.organization_id;
	ELSE
		RETURN QUERY SELECT * FROM auth_session_lookup(p_hash);
	END IF;
END
$$;
