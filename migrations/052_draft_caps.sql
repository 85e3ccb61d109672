-- 052 (sec42): an organization's drafts, bounded.
--
-- A member of any organization could create drafts without end: each holds
-- its upload (up to server.max_upload_bytes, 32 MiB by default) in
-- revisions, and a draft is never sent, so 051's send cap never sees it.
-- Deleting a draft frees its bytes but not its two audit events
-- (contract.created, contract.deleted: the chain outlives the draft), so a
-- create-then-delete loop grew audit_events at the database's pace. Three
-- bounds, each the initiating organization's, from sealpactd's contracts
-- section (SQL callers of contract_create, the benchmarks, have none):
--
-- * p_max_drafts: drafts alive at once (contracts.max_drafts);
-- * p_max_bytes: the bytes those drafts' uploads hold together, the new one
--   included (contracts.max_draft_bytes);
-- * p_max_per_day: drafts created in any 24 hours, deleted ones included,
--   counted from their contract.created audit events, which stay
--   (contracts.max_created_per_day). A partial index holds only those
--   events: at most the cap + 1 entries read.
--
-- Checked before the insert, in the same statement, so that a refused
-- upload is never written (its bytes would reach the WAL before a rollback):
-- a draft past a live bound is SR005 (409 draft_limit), past the daily one
-- SR004 (429 rate_limited, the detail saying when the next is allowed), and
-- nothing is recorded. Creations of one organization take a
-- transaction-scoped advisory lock on it (051's two-key form, its own first
-- key), so that creations at once count each other. A replay of an
-- idempotency key already stored is no new draft: it skips the bounds and
-- answers (or refuses a different body) as contract_create always did.

CREATE INDEX audit_events_created_idx ON audit_events (actor_org_id, at)
	WHERE action = 'contract.created';

CREATE FUNCTION contract_create_capped(p_number bigint, p_org bigint, p_user bigint,
	p_name text, p_business_type text, p_deadline timestamptz, p_parties jsonb,
	p_pdf bytea, p_sha256 text, p_pages integer, p_idem_key text, p_ip inet, p_ua text,
	p_max_drafts integer, p_max_bytes bigint, p_max_per_day integer) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	live bigint;
	bytes bigint;
	recent bigint;
	oldest timestamptz;
BEGIN
	IF p_idem_key IS NOT NULL AND EXISTS (SELECT 1 FROM idempotency_keys k
			WHERE k.organization_id = p_org AND k.key = p_idem_key) THEN
		NULL; -- a replay (or a reuse that contract_create refuses)
	ELSIF p_max_drafts IS NOT NULL OR p_max_bytes IS NOT NULL OR p_max_per_day IS NOT NULL THEN
		PERFORM pg_advisory_xact_lock(52, (p_org % 2147483647)::integer);
		-- The newest p_max_drafts live drafts (003's contracts_drafts_idx) and their bytes.
		SELECT count(*), coalesce(sum(r.length), 0) INTO live, bytes
		FROM (SELECT c.number FROM contracts c
			WHERE c.initiator_org_id = p_org AND c.status = 'draft'
			ORDER BY c.number DESC LIMIT coalesce(p_max_drafts, 2147483647)) d
		JOIN revisions r ON r.contract_number = d.number AND r.seq = 0;
		IF live >= p_max_drafts THEN
			PERFORM wf_fail('SR005', format('this organization has %s drafts, the most '
				'allowed; send or delete one first', live));
		END IF;
		IF bytes + length(p_pdf) > p_max_bytes THEN
			PERFORM wf_fail('SR005', format('this organization''s drafts hold %s bytes; '
				'with this upload of %s bytes they would pass the %s allowed; send or '
				'delete a draft first', bytes, length(p_pdf), p_max_bytes));
		END IF;
		SELECT count(*), min(x.at) INTO recent, oldest
		FROM (SELECT a.at FROM audit_events a
			WHERE a.actor_org_id = p_org AND a.action = 'contract.created'
				AND a.at > now() - interval '1 day'
			ORDER BY a.at DESC LIMIT coalesce(p_max_per_day, 2147483647)) x;
		IF recent >= p_max_per_day THEN
			PERFORM wf_fail('SR004', format('this organization created %s contracts in the '
				'last 24 hours, the most allowed; the next at %s', recent,
				wf_ts(oldest + interval '1 day')));
		END IF;
	END IF;
	RETURN contract_create(p_number, p_org, p_user, p_name, p_business_type, p_deadline,
		p_parties, p_pdf, p_sha256, p_pages, p_idem_key, p_ip, p_ua);
END
$$;
