-- 049_stateless_challenges.sql (sec40): a login challenge is a row no more.
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
