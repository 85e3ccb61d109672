-- 064 (sec45): name keys for the organizations registered before 054.
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
