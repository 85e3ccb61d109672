-- 041 (sec38): archive renewals by organizations' turns.
--
-- archive_renewal_claim (010) took the due completed contract with the
-- earliest archive_until, then the lowest number. archive_until is the
-- notAfter of the TSA certificate of the newest document timestamp: the same
-- for every contract that certificate stamped, so when it comes within the
-- horizon every contract is due at once and they were renewed oldest number
-- first, one at a time per process: one organization's thousands of older
-- B-LTA contracts (or its contracts the renewal cannot extend, retried after
-- each lease) went before every other organization's.
--
-- Now each claim serves the organization (the contract's initiator) whose
-- last turn is the oldest (none yet first), with its most urgent due contract
-- (010's order within the organization); archive_turns remembers each
-- organization's last turn. The initiators are walked on a new index of the
-- completed contracts (two index probes each, and one more for its most
-- urgent due contract), and only when something is due. The lock is taken per
-- contract, skipping one locked (another process's claim, a store right now)
-- or no longer due, as before. Rows, lease, answers and archive_renewal_store
-- as before.
CREATE TABLE archive_turns (
	organization_id bigint PRIMARY KEY REFERENCES organizations (id),
	turn_at timestamptz NOT NULL
);

CREATE INDEX contracts_completed_initiator_idx
	ON contracts (initiator_org_id, archive_until NULLS FIRST, number)
	WHERE status = 'completed';

CREATE OR REPLACE FUNCTION archive_renewal_claim(p_horizon_s bigint, p_lease_s integer)
RETURNS TABLE (contract_number bigint, base_seq integer, document bytea, tsa_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	horizon timestamptz := now() + make_interval(secs => p_horizon_s);
	o bigint;
	n bigint;
	last integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM contracts c WHERE c.status = 'completed'
			AND (c.archive_until IS NULL OR c.archive_until < horizon)
			AND (c.archive_next_at IS NULL OR c.archive_next_at <= now())) THEN
		RETURN;
	END IF;
	FOR o, n IN WITH RECURSIVE orgs(org) AS (
			SELECT min(x.initiator_org_id) FROM contracts x WHERE x.status = 'completed'
			UNION ALL
			SELECT (SELECT min(x.initiator_org_id) FROM contracts x
				WHERE x.status = 'completed' AND x.initiator_org_id > orgs.org)
			FROM orgs WHERE orgs.org IS NOT NULL)
		SELECT orgs.org, d.number FROM orgs CROSS JOIN LATERAL (
			SELECT c.number, c.archive_until FROM contracts c
			WHERE c.initiator_org_id = orgs.org AND c.status = 'completed'
				AND (c.archive_until IS NULL OR c.archive_until < horizon)
				AND (c.archive_next_at IS NULL OR c.archive_next_at <= now())
			ORDER BY c.archive_until NULLS FIRST, c.number LIMIT 1) d
		LEFT JOIN archive_turns t ON t.organization_id = orgs.org
		ORDER BY t.turn_at NULLS FIRST, d.archive_until NULLS FIRST, d.number
	LOOP
		PERFORM 1 FROM contracts c WHERE c.number = n AND c.status = 'completed'
			AND (c.archive_until IS NULL OR c.archive_until < horizon)
			AND (c.archive_next_at IS NULL OR c.archive_next_at <= now())
			FOR UPDATE SKIP LOCKED;
		CONTINUE WHEN NOT FOUND;
		UPDATE contracts SET archive_next_at = now() + make_interval(secs => p_lease_s)
		WHERE number = n;
		INSERT INTO archive_turns AS t (organization_id, turn_at) VALUES (o, now())
		ON CONFLICT (organization_id) DO UPDATE SET turn_at = excluded.turn_at;
		SELECT max(r.seq) INTO last FROM revisions r WHERE r.contract_number = n;
		RETURN QUERY SELECT n, last, revision_document(n, last), nextval('tsa_serial');
		RETURN;
	END LOOP;
END
$$;
