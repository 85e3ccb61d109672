-- 045 (ltv39): an archive renewal only where a new document timestamp proves
-- longer, and a service outage retried per contract with backoff.
--
-- A contract was due when its newest document timestamp stopped proving
-- within the horizon (archive_until), and a stored renewal looked again a
-- day later (010). When the TSA at hand signs with the same certificate (the
-- same notAfter, the same algorithms), a new document timestamp proves no
-- longer than the newest one: each day added a DSS and a document timestamp
-- to every such contract and gained nothing. Now the claim takes the TSA's
-- horizon as the renewing process knows it (p_tsa_until, from the last token
-- it got; NULL while it knows none): a contract whose newest document
-- timestamp proves at least as long is not due. archive_until is returned, so
-- that a process that knew no horizon yet compares it with the token it got;
-- then archive_renewal_release gives the contract back without a revision.
--
-- A renewal that a service failed (the TSA, a responder) kept its 600 s lease
-- and ended the process's round until the next (an hour by default).
-- archive_renewal_release(p_failed) now leaves that contract for a retry
-- after p_retry_s doubled per failure in a row (at most a day), counted in
-- archive_failures; a stored renewal resets it. The claim's order, locks and
-- turns are 041's.
ALTER TABLE contracts ADD COLUMN archive_failures integer NOT NULL DEFAULT 0;

DROP FUNCTION archive_renewal_claim(bigint, integer);
CREATE FUNCTION archive_renewal_claim(p_horizon_s bigint, p_lease_s integer,
	p_tsa_until timestamptz DEFAULT NULL)
RETURNS TABLE (contract_number bigint, base_seq integer, document bytea, tsa_serial bigint,
	archive_until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
	-- due: none yet, or the newest one stops proving within the horizon and before
	-- what a new one would prove until
	horizon timestamptz := now() + make_interval(secs => p_horizon_s);
	gain timestamptz := coalesce(p_tsa_until, 'infinity'::timestamptz);
	o bigint;
	n bigint;
	u timestamptz;
	last integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM contracts c WHERE c.status = 'completed'
			AND (c.archive_until IS NULL
				OR (c.archive_until < horizon AND c.archive_until < gain))
			AND (c.archive_next_at IS NULL OR c.archive_next_at <= now())) THEN
		RETURN;
	END IF;
	FOR o, n, u IN WITH RECURSIVE orgs(org) AS (
			SELECT min(x.initiator_org_id) FROM contracts x WHERE x.status = 'completed'
			UNION ALL
			SELECT (SELECT min(x.initiator_org_id) FROM contracts x
				WHERE x.status = 'completed' AND x.initiator_org_id > orgs.org)
			FROM orgs WHERE orgs.org IS NOT NULL)
		SELECT orgs.org, d.number, d.archive_until FROM orgs CROSS JOIN LATERAL (
			SELECT c.number, c.archive_until FROM contracts c
			WHERE c.initiator_org_id = orgs.org AND c.status = 'completed'
				AND (c.archive_until IS NULL
					OR (c.archive_until < horizon AND c.archive_until < gain))
				AND (c.archive_next_at IS NULL OR c.archive_next_at <= now())
			ORDER BY c.archive_until NULLS FIRST, c.number LIMIT 1) d
		LEFT JOIN archive_turns t ON t.organization_id = orgs.org
		ORDER BY t.turn_at NULLS FIRST, d.archive_until NULLS FIRST, d.number
	LOOP
		PERFORM 1 FROM contracts c WHERE c.number = n AND c.status = 'completed'
			AND (c.archive_until IS NULL
				OR (c.archive_until < horizon AND c.archive_until < gain))
			AND (c.archive_next_at IS NULL OR c.archive_next_at <= now())
			FOR UPDATE SKIP LOCKED;
		CONTINUE WHEN NOT FOUND;
		UPDATE contracts SET archive_next_at = now() + make_interval(secs => p_lease_s)
		WHERE number = n;
		INSERT INTO archive_turns AS t (organization_id, turn_at) VALUES (o, now())
		ON CONFLICT (organization_id) DO UPDATE SET turn_at = excluded.turn_at;
		SELECT max(r.seq) INTO last FROM revisions r WHERE r.contract_number = n;
		RETURN QUERY SELECT n, last, revision_document(n, last), nextval('tsa_serial'), u;
		RETURN;
	END LOOP;
END
$$;

-- A claimed contract given back without a revision: p_failed, a service failed
-- the renewal (retry after p_retry_s, doubled per failure in a row, at most a
-- day); else nothing was to gain (look again in a day, as after a renewal).
CREATE FUNCTION archive_renewal_release(p_number bigint, p_failed boolean, p_retry_s integer)
RETURNS boolean LANGUAGE sql AS $$
	UPDATE contracts SET
		archive_next_at = now() + CASE WHEN p_failed
			THEN make_interval(secs => least(86400::double precision,
				greatest(p_retry_s, 1) * power(2, least(archive_failures, 20))))
			ELSE interval '1 day' END,
		archive_failures = CASE WHEN p_failed THEN archive_failures + 1 ELSE 0 END
	WHERE number = p_number AND status = 'completed'
	RETURNING true
$$;

-- 010's store, resetting the failures in a row.
CREATE OR REPLACE FUNCTION archive_renewal_store(p_number bigint, p_seq integer, p_delta bytea,
	p_length bigint, p_sha256 text, p_archive_until timestamptz, p_tsa_time timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	last integer;
BEGIN
	PERFORM 1 FROM contracts WHERE number = p_number AND status = 'completed' FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM wf_fail('SP404', 'no such completed contract');
	END IF;
	SELECT max(seq) INTO last FROM revisions WHERE contract_number = p_number;
	IF p_seq <> last + 1 THEN
		PERFORM wf_fail('SP409', format('revision %s is the latest; claim again', last));
	END IF;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256, archive)
	VALUES (p_number, p_seq, p_delta, p_length, p_sha256, true);
	UPDATE contracts SET archive_until = p_archive_until, archive_next_at = now() + interval '1 day',
		archive_failures = 0
	WHERE number = p_number;
	PERFORM wf_audit(p_number, NULL, NULL, 'contract.archive_timestamped', jsonb_build_object(
		'seq', p_seq, 'sha256', p_sha256, 'timestamp', wf_ts(p_tsa_time),
		'archive_until', wf_ts(p_archive_until)), NULL, NULL);
	RETURN jsonb_build_object('contract', p_number::text, 'seq', p_seq, 'sha256', p_sha256,
		'archive_until', wf_ts(p_archive_until));
END
$$;
