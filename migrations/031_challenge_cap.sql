-- 031_challenge_cap.sql (sec30): a bound on login challenges.
--
-- Anyone may ask for a login challenge, and each is a row kept until an hour
-- after it expires (so that a late login still hears challenge_expired, not
-- challenge_unknown). Without a bound a client could fill the table at the
-- speed of the database. Now at most p_max challenges are issued per TTL
-- window over every node sharing the database (auth.max_challenges); one
-- more raises SA012 (503 server_busy, Retry-After) and changes nothing, so
-- the table holds at most p_max * (TTL + 1 hour) / TTL rows. A per-address
-- limit would throttle everyone behind one proxy; a cap on what is
-- outstanding does not, and a login of a challenge already issued is never
-- refused by it.
--
-- Why ids and not count(*): counting the unexpired rows would read up to
-- p_max index entries on every request, most of all while the table is full
-- and an attacker is asking; instead two index probes. Ids come from one
-- sequence and every challenge lives the same TTL, so the challenges issued
-- since the oldest unexpired one are the ids from its id to the sequence's
-- last value; gaps (rolled-back inserts) only count a few more, erring on
-- the side of the bound. The cap is looked at first, so a refusal takes no
-- id, sweeps nothing and writes nothing. Still one statement: the cap, the
-- sweep and the insert.

DROP FUNCTION auth_challenge_create(text, integer);

CREATE FUNCTION auth_challenge_create(p_nonce_hash text, p_ttl_s integer, p_max integer)
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
	oldest bigint;
	exp    timestamptz;
BEGIN
	SELECT id INTO oldest FROM auth_challenges WHERE expires_at > now()
		ORDER BY expires_at LIMIT 1;
	IF oldest IS NOT NULL
	   AND (SELECT last_value FROM auth_challenges_id_seq) - oldest + 1 >= p_max THEN
		RAISE EXCEPTION 'too many login challenges outstanding' USING ERRCODE = 'SA012';
	END IF;
	DELETE FROM auth_challenges WHERE id IN (SELECT id FROM auth_challenges
		WHERE expires_at < now() - interval '1 hour' ORDER BY expires_at LIMIT 100);
	INSERT INTO auth_challenges (nonce_hash, expires_at)
	VALUES (p_nonce_hash, now() + make_interval(secs => p_ttl_s))
	RETURNING expires_at INTO exp;
	RETURN exp;
END
$$;
