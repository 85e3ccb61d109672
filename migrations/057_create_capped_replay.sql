-- 057: a creation retried with its Idempotency-Key at the draft caps is the
-- first attempt's replay (review43).
--
-- 052's contract_create_capped looked for a stored key before it took the
-- organization's advisory lock. A client that retried a creation while the
-- first attempt was still in the database (a timeout on a large upload) saw
-- no key, waited for the lock, and once the first committed counted the first
-- attempt's draft against the caps: 409 draft_limit (or 429 at the daily cap)
-- where it had always got the replay. The lock is now taken first; the rest is
-- 052's word for word.
CREATE OR REPLACE FUNCTION contract_create_capped(p_number bigint, p_org bigint, p_user bigint,
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
	-- The organization's lock before the key is looked up: a retry waiting on the
	-- first attempt sees its key once the first commits (this statement's snapshot
	-- is taken after the lock is granted), and is its replay.
	IF p_max_drafts IS NOT NULL OR p_max_bytes IS NOT NULL OR p_max_per_day IS NOT NULL THEN
		PERFORM pg_advisory_xact_lock(52, (p_org % 2147483647)::integer);
	END IF;
	IF p_idem_key IS NOT NULL AND EXISTS (SELECT 1 FROM idempotency_keys k
			WHERE k.organization_id = p_org AND k.key = p_idem_key) THEN
		NULL; -- a replay (or a reuse that contract_create refuses)
	ELSIF p_max_drafts IS NOT NULL OR p_max_bytes IS NOT NULL OR p_max_per_day IS NOT NULL THEN
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
