-- 051 (sec41): an organization's sends, bounded; prepares counted from what stays.
--
-- 1. Contracts an organization sends, at most contracts.max_sent_per_day in
--    any 24 hours.
--
-- A member of any organization could send any number of contracts to any
-- other organization: each lands in that organization's to-do list (and its
-- webhooks), named by its credit code, which is public. A platform bounds
-- what one sender can push onto others. The bound is the sender's, not a
-- recipient's: a per-recipient one would be one more thing for a sender to
-- spread over (every organization's credit code is public), and what costs
-- the platform and the recipients is the sender's volume.
--
-- Counted from the sender's contracts themselves (contracts.sent_at, set by
-- the send and never cleared; a sent contract is never deleted, only
-- cancelled), on a partial index, at most the cap + 1 entries read. The
-- check runs after 017's contract_send, in the same statement: every check
-- and answer of the send stays as it was, and a send past the cap raises
-- SR004 (429 rate_limited), which undoes the whole send (its status, its
-- parties', its audit event and webhook events), the detail saying when the
-- next is allowed. Only a send that took a draft to signing counts; a
-- signer handing a contract on is not a send of this kind. The cap comes
-- from the caller (sealpactd's contracts.max_sent_per_day); SQL callers of
-- contract_send (the benchmarks) have none. Sends of one organization take
-- a transaction-scoped advisory lock on it after their contract's row lock
-- (the two-key form: its key space is apart from the migration runner's
-- one-key lock), so that two at once count each other.

CREATE INDEX contracts_sent_idx ON contracts (initiator_org_id, sent_at)
	WHERE sent_at IS NOT NULL;

CREATE FUNCTION contract_send_capped(p_number bigint, p_org bigint, p_user bigint, p_ip inet,
	p_ua text, p_max_sent integer) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	was contracts%ROWTYPE;
	doc json;
	recent bigint;
	oldest timestamptz;
BEGIN
	-- The row lock contract_send takes again (a no-op in this transaction).
	was := wf_lock(p_number, p_org);
	doc := contract_send(p_number, p_org, p_user, p_ip, p_ua);
	IF was.status <> 'draft' OR p_max_sent IS NULL THEN
		RETURN doc;
	END IF;
	PERFORM pg_advisory_xact_lock(51, (p_org % 2147483647)::integer);
	-- This send and the newest p_max_sent before it.
	SELECT count(*), min(x.sent_at) INTO recent, oldest
	FROM (SELECT s.sent_at FROM contracts s
		WHERE s.initiator_org_id = p_org AND s.sent_at IS NOT NULL
			AND s.sent_at > now() - interval '1 day'
		ORDER BY s.sent_at DESC LIMIT p_max_sent + 1) x;
	IF recent > p_max_sent THEN
		PERFORM wf_fail('SR004', format('this organization sent %s contracts in the last '
			'24 hours, the most allowed; the next at %s', recent - 1,
			wf_ts(oldest + interval '1 day')));
	END IF;
	RETURN doc;
END
$$;

-- 2. A party's prepares, counted from the audit trail.
--
-- 049 counted a party's prepares in the last 24 hours from its signing
-- sessions, but the store (036) deletes a party's open sessions that
-- expired an hour ago: a signer that let its sessions expire instead of
-- aborting them fell out of the count as they were dropped. Each prepare
-- also appends 'signing.prepared' to the contract's audit chain, and those
-- rows are never updated or deleted (001's audit_events_immutable): they are
-- what the bound protects, and now what it counts. A partial index holds
-- only those events (one index entry per prepare, none for the rest of the
-- trail), at most 100 entries read; the trigger stays where 049 put it, on
-- the insert of the session, before the prepare's own event is written, in
-- the same statement (no extra round trip). The party is the contract's
-- signer of the acting organization: one per organization and contract.

CREATE INDEX audit_events_prepared_idx ON audit_events (contract_number, actor_org_id, at)
	WHERE action = 'signing.prepared';

CREATE OR REPLACE FUNCTION signing_sessions_prepare_cap() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	recent bigint;
	oldest timestamptz;
BEGIN
	SELECT count(*), min(x.at) INTO recent, oldest
	FROM (SELECT a.at FROM audit_events a
		WHERE a.contract_number = NEW.contract_number
			AND a.actor_org_id = NEW.organization_id
			AND a.action = 'signing.prepared' AND a.at > now() - interval '1 day'
		ORDER BY a.at DESC LIMIT 100) x;
	IF recent >= 100 THEN
		PERFORM wf_fail('SR003', format('this party prepared a signing of this contract %s '
			'times in the last 24 hours, the most allowed; the next at %s', recent,
			wf_ts(oldest + interval '1 day')));
	END IF;
	RETURN NEW;
END
$$;
