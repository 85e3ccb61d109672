-- 039: a signature is not stored past the contract's deadline (sec37). The
-- deadline was kept by the expiry sweep alone (contract_expire_due: 200
-- contracts a second per process, the earliest deadlines first) while the
-- signing statements look at the status only, so a contract whose deadline
-- had passed stayed signable until a sweep reached it: behind another
-- organization's backlog of due contracts, for as long as that backlog took.
-- Every signing path (the claim's, the one-trip completion of 035) stores its
-- revision through this trigger, under the writer's lock of the contract: the
-- deadline is checked here, SP409 as for a contract the sweep has expired.
-- Revisions of finished contracts (archive renewals) are not concerned.
-- Otherwise 024's trigger.
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
		RETURN NEW;
	END IF;
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
	RETURN NEW;
END
$$;
