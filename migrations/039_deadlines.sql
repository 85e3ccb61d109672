-- 039 (sec37): deadlines kept when the expiry sweep lags, and the sweep by turns.
--
-- A signature is not stored past the contract's deadline. The
-- deadline was kept by the expiry sweep alone (contract_expire_due: 200
-- contracts a second per process, the earliest deadlines first) while the
-- signing statements look at the status only, so a contract whose deadline
-- had passed stayed signable until a sweep reached it: behind another
-- organization's backlog of due contracts, for as long as that backlog took.
-- Every signing path (the claim's, the one-trip completion of 035) stores its
-- revision through this trigger, under the writer's lock of the contract: the
-- deadline is checked here, SP409 as for a contract the sweep has expired.
-- Revisions of finished contracts (archive renewals) are not concerned.
-- Otherwise 038's trigger (024's checks, and the revision's entry in the
-- contract document rendered at its insert).
CREATE OR REPLACE FUNCTION revisions_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	prev_length bigint;
	due timestamptz;
BEGIN
	IF NEW.seq = 0 THEN
		IF NEW.length <> length(NEW.delta) THEN
			RAISE EXCEPTION 'revision 0 of contract %: length % but the document has % bytes',
				NEW.contract_number, NEW.length, length(NEW.delta)
				USING ERRCODE = 'check_violation';
		END IF;
		IF NEW.sha256 <> encode(sha256(NEW.delta), 'hex') THEN
			RAISE EXCEPTION 'revision 0 of contract %: sha256 does not match the document',
				NEW.contract_number USING ERRCODE = 'check_violation';
		END IF;
	ELSE
		SELECT deadline INTO due FROM contracts
		WHERE number = NEW.contract_number AND status = 'signing' AND deadline <= now();
		IF FOUND THEN
			PERFORM wf_fail('SP409', format('the contract''s deadline passed at %s',
				wf_ts(due)));
		END IF;
		-- The writer holds the contract locked: the predecessor stays as read.
		SELECT length INTO prev_length FROM revisions
		WHERE contract_number = NEW.contract_number AND seq = NEW.seq - 1;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'revision % of contract % has no predecessor', NEW.seq,
				NEW.contract_number USING ERRCODE = 'foreign_key_violation';
		END IF;
		IF NEW.length <> prev_length + length(NEW.delta) THEN
			RAISE EXCEPTION 'revision % of contract %: length % but the document has % bytes',
				NEW.seq, NEW.contract_number, NEW.length, prev_length + length(NEW.delta)
				USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	NEW.listed := revision_listed(NEW.contract_number, NEW.seq, NEW.length, NEW.sha256,
		NEW.created_at, NEW.party_id);
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- The sweep by initiators' turns: each one's earliest due contract, then each
-- one's second, and so on (003 took the earliest deadlines first, so one
-- organization's backlog of due contracts, 200 a second per process, delayed
-- every other's expiry, its status and its webhook event, by as long). The
-- initiators are walked on an index of the contracts being signed (two index
-- probes each: 10 to 25 ms a sweep for 1,000 initiators and a backlog of
-- 100,000, where turns counted over every due contract took 260 ms), and only
-- when something is due (003's index says so at once). The lock is taken per
-- contract, skipping one locked (another process's sweep, a signing right now)
-- or no longer due, as before. Otherwise 003's.
CREATE INDEX contracts_signing_initiator_idx ON contracts (initiator_org_id, deadline)
	WHERE status = 'signing';

CREATE OR REPLACE FUNCTION contract_expire_due(p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	k integer := 0;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM contracts WHERE status = 'signing' AND deadline <= now()) THEN
		RETURN 0;
	END IF;
	FOR n IN WITH RECURSIVE o(org) AS (
			SELECT min(initiator_org_id) FROM contracts WHERE status = 'signing'
			UNION ALL
			SELECT (SELECT min(initiator_org_id) FROM contracts
				WHERE status = 'signing' AND initiator_org_id > o.org)
			FROM o WHERE o.org IS NOT NULL)
		SELECT c.number FROM o CROSS JOIN LATERAL (
			SELECT d.number, d.deadline, row_number() OVER (ORDER BY d.deadline) AS turn
			FROM (SELECT number, deadline FROM contracts WHERE initiator_org_id = o.org
				AND status = 'signing' AND deadline <= now()
				ORDER BY deadline LIMIT p_limit) d) c
		ORDER BY c.turn, c.deadline LIMIT p_limit LOOP
		PERFORM 1 FROM contracts WHERE number = n AND status = 'signing' AND deadline <= now()
			FOR UPDATE SKIP LOCKED;
		CONTINUE WHEN NOT FOUND;
		UPDATE contracts SET status = 'expired', completed_at = now() WHERE number = n;
		PERFORM wf_audit(n, NULL, NULL, 'contract.expired', '{}'::jsonb, NULL);
		PERFORM wf_event(n, 'expired', NULL, '{}'::jsonb);
		k := k + 1;
	END LOOP;
	RETURN k;
END
$$;
