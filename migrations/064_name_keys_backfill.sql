-- 064 (sec45): name keys for the organizations registered before 054,
-- party lists' names for organizations not registered yet, and the API keys
-- of a removed member.
--
-- 1. Organizations registered before 054.
--
-- 054 and 062 key an organization's name (server/api/names.c: NFKC, the
-- UTS #39 skeleton, case folding; two keys) so that one whose name shows
-- like a registered organization's may not register. Organizations that
-- registered before 054 got their keys only at their next login, and until
-- then a look-alike registered beside them. The keys need ICU, so SQL
-- cannot compute them: `sealpactd migrate`, after applying the files, reads
-- the registered organizations without both keys in batches and hands each
-- batch's keys back with the request for the next one, one round trip a
-- batch.
--
-- org_name_keys_backfill stores the keys computed for the batch read before
-- (p_keys: [{"id", "name", "key", "key2"}], as the last call answered them):
-- an organization keeps its keys where its name changed since it was read
-- (a first login renames a party list's row, 030), and gets none while
-- another holds either key (two that registered alike before 054: the first
-- by id is keyed, the other named in "alike" for the operator). It then
-- answers the next p_limit registered organizations (a certificate bound:
-- party lists' rows carry the initiator's guess, which must not keep the
-- real organization from registering) without both keys past id p_after.
-- The registrations' lock (062) is taken, so a look-alike registering
-- meanwhile is judged against the keys stored here, or stores its own first.
-- Running it again finds nothing to do.

CREATE FUNCTION org_name_keys_backfill(p_keys jsonb, p_after bigint, p_limit integer)
	RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	e jsonb;
	n integer;
	keyed integer := 0;
	alike jsonb := '[]';
	next jsonb;
BEGIN
	IF p_limit NOT BETWEEN 1 AND 10000 OR jsonb_typeof(p_keys) <> 'array' THEN
		PERFORM wf_fail('SP400', 'keys must be an array, the batch size 1..10000');
	END IF;
	PERFORM pg_advisory_xact_lock(62, 0);
	FOR e IN SELECT * FROM jsonb_array_elements(p_keys) LOOP
		UPDATE organizations x SET name_key = e->>'key', name_key2 = e->>'key2'
		WHERE x.id = (e->>'id')::bigint AND x.name = e->>'name'
			AND (x.name_key IS DISTINCT FROM e->>'key'
				OR x.name_key2 IS DISTINCT FROM e->>'key2')
			AND NOT EXISTS (SELECT 1 FROM organizations y
				WHERE y.id <> x.id
					AND (y.name_key IN (e->>'key', e->>'key2')
						OR y.name_key2 IN (e->>'key', e->>'key2')));
		GET DIAGNOSTICS n = ROW_COUNT;
		keyed := keyed + n;
		IF n = 0 AND EXISTS (SELECT 1 FROM organizations x
				WHERE x.id = (e->>'id')::bigint AND x.name = e->>'name'
					AND (x.name_key IS NULL OR x.name_key2 IS NULL)) THEN
			alike := alike || (e->'id');
		END IF;
	END LOOP;
	SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'name', o.name) ORDER BY o.id),
		'[]')
	INTO next
	FROM (SELECT x.id, x.name FROM organizations x
		WHERE x.id > p_after AND (x.name_key IS NULL OR x.name_key2 IS NULL)
			AND EXISTS (SELECT 1 FROM certificates c WHERE c.organization_id = x.id)
		ORDER BY x.id LIMIT p_limit) o;
	RETURN jsonb_build_object('keyed', keyed, 'alike', alike, 'next', next);
END
$$;

-- 2. A party list's name for an organization not registered yet.
--
-- A contract's party list names an organization that has not logged in by
-- its credit code and a name the initiator writes (003); the row it makes
-- shows that name on the contract, to every party and in the lists, until
-- the organization's first certificate renames it (030). The contract is
-- bound to the credit code, so a look-alike that registers later (another
-- code) never receives it; but the name was never compared, so a contract
-- could show, for some unregistered code, the name of a registered
-- organization or one that shows like it ("BuyerCo Ltd", "BUYERCO LTD"). Now
-- sealpactd sends each party name's keys (name_key, name_key2: names.c, as
-- for logins) and a new row whose name shows like a registered
-- organization's is refused: SA013, 409 organization_name_taken, nothing
-- written. The row keeps no keys (the guess must not keep the real
-- organization from registering under its own name), and a name without
-- keys (a caller not sending them) is taken as before. Otherwise 003's
-- wf_parties_set word for word.
CREATE OR REPLACE FUNCTION wf_parties_set(p_number bigint, p_parties jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	e jsonb;
	oid bigint;
	code text;
	nm text;
	rl text;
	ord integer;
BEGIN
	IF jsonb_typeof(p_parties) <> 'array' OR jsonb_array_length(p_parties) > 100 THEN
		PERFORM wf_fail('SP400', 'parties must be an array of at most 100 entries');
	END IF;
	DELETE FROM parties WHERE contract_number = p_number;
	FOR e IN SELECT * FROM jsonb_array_elements(p_parties) LOOP
		IF jsonb_typeof(e) <> 'object' THEN
			PERFORM wf_fail('SP400', 'each party must be an object');
		END IF;
		code := e->>'credit_code';
		nm := btrim(e->>'name');
		rl := coalesce(e->>'role', 'signer');
		IF code IS NULL OR code !~ '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$' THEN
			PERFORM wf_fail('SP400', format('party credit_code %s is not a credit code',
				coalesce(code, '(missing)')));
		END IF;
		IF rl NOT IN ('signer', 'cc') THEN
			PERFORM wf_fail('SP400', format('party %s: role must be signer or cc', code));
		END IF;
		IF e ? 'routing_order' AND (jsonb_typeof(e->'routing_order') <> 'number'
				OR (e->>'routing_order')::numeric NOT BETWEEN 1 AND 1000
				OR (e->>'routing_order')::numeric <> trunc((e->>'routing_order')::numeric)) THEN
			PERFORM wf_fail('SP400', format('party %s: routing_order must be an integer 1..1000', code));
		END IF;
		ord := coalesce((e->>'routing_order')::integer, 1);
		SELECT id INTO oid FROM organizations WHERE credit_code = code;
		IF NOT FOUND THEN
			IF nm IS NULL OR length(nm) NOT BETWEEN 1 AND 200 THEN
				PERFORM wf_fail('SP400', format('party %s is not registered yet: give its name (1..200 characters)', code));
			END IF;
			IF EXISTS (SELECT 1 FROM organizations x
					WHERE x.credit_code <> code
						AND (x.name_key IN (e->>'name_key', e->>'name_key2')
							OR x.name_key2 IN (e->>'name_key', e->>'name_key2'))) THEN
				PERFORM wf_fail('SA013', format('party %s is not registered yet, and its '
					'name "%s" shows like a registered organization''s: two '
					'organizations may not look alike; name it as its '
					'certificate will', code, nm));
			END IF;
			INSERT INTO organizations (name, credit_code) VALUES (nm, code)
			ON CONFLICT (credit_code) DO NOTHING;
			SELECT id INTO oid FROM organizations WHERE credit_code = code;
		END IF;
		BEGIN
			INSERT INTO parties (contract_number, organization_id, role, routing_order)
			VALUES (p_number, oid, rl, ord);
		EXCEPTION WHEN unique_violation THEN
			PERFORM wf_fail('SP400', format('party %s is listed twice as %s', code, rl));
		END;
	END LOOP;
END
$$;

-- 3. The API keys of a member who was removed.
--
-- A member is removed by disabling the user (users are never deleted, 024);
-- auth_session_lookup (026) ends their sessions at once. An API key is
-- shown once, to the member who created it, and 049's lookup never looked
-- at that member: the keys of a removed member kept reading and writing the
-- organization's contracts. A key whose creator is disabled is now refused
-- as a revoked one (401 unauthorized); enabling the user again gives it
-- back. Otherwise 049's auth_credential_lookup word for word.
CREATE OR REPLACE FUNCTION auth_credential_lookup(p_hash text, p_api_key boolean,
	OUT kind text, OUT credential_id bigint, OUT user_id bigint,
	OUT organization_id bigint, OUT certificate_id bigint, OUT credit_code text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
	IF p_api_key THEN
		RETURN QUERY
		WITH k AS (
			SELECT a.id, a.created_by, a.organization_id, a.last_used_at FROM api_keys a
			JOIN users u ON u.id = a.created_by
			WHERE a.key_hash = p_hash AND a.revoked_at IS NULL
			  AND (a.expires_at IS NULL OR a.expires_at > now())
			  AND u.disabled_at IS NULL
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
