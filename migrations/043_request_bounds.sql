-- 043 (sec39): bounds an organization reached past.
--
-- 1. An organization's evidence reports of a contract, at most p_max
-- (evidence.max_reports_per_day) in any 24 hours.
--
-- Each request of GET /api/v1/contracts/{number}/evidence appends
-- 'contract.evidence_requested' to the contract's audit chain (013: the
-- report shows its own request), and that chain is shared: every party's
-- GET /api/v1/contracts/{number} answers it whole, each later report prints
-- it and re-verifies it (audit_chain_verify). Any party of a finished
-- contract, a cc party or an API key included, could grow it without bound:
-- the event is recorded before the worker takes the report, so requests the
-- worker pool refused (429 for the caller's share, 503 busy) or whose client
-- had left were recorded too, at the database's pace.
--
-- contract_evidence_bounded is what the server calls now: the contract
-- locked as every step locks it (wf_lock: 404 for an organization that may
-- not see it), the organization's requests of the last 24 hours counted from
-- the contract's own events on the chain's index, and past p_max SR002
-- (429 rate_limited), recording nothing, its detail saying when the next is
-- allowed; otherwise 016's contract_evidence, unchanged, in the same
-- transaction (its wf_lock finds the row already held). The row lock
-- serializes two requests at once, so each counts the other.
CREATE FUNCTION contract_evidence_bounded(p_number bigint, p_org bigint, p_user bigint,
	p_ip inet, p_ua text, p_max integer, OUT info jsonb, OUT document bytea,
	OUT tsa_serial bigint, OUT archive_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	recent bigint;
	oldest timestamptz;
BEGIN
	c := wf_lock(p_number, p_org);
	SELECT count(*), min(a.at) INTO recent, oldest FROM audit_events a
	WHERE coalesce(a.contract_number, 0) = p_number
	  AND a.action = 'contract.evidence_requested' AND a.actor_org_id = p_org
	  AND a.at > now() - interval '1 day';
	IF recent >= p_max THEN
		PERFORM wf_fail('SR002', format('your organization asked for this contract''s evidence '
			'report %s times in the last 24 hours, the most allowed; the next at %s',
			recent, wf_ts(oldest + interval '1 day')));
	END IF;
	SELECT e.info, e.document, e.tsa_serial, e.archive_serial
	INTO info, document, tsa_serial, archive_serial
	FROM contract_evidence(p_number, p_org, p_user, p_ip, p_ua) e;
END
$$;

-- 2. At most 20 webhooks per organization, under concurrency too. 007's
-- webhook_create counts the organization's live webhooks and then inserts,
-- without a lock: registrations at once each counted 19 and each inserted
-- (60 at once with 16 database connections left 24 or 25), and every event of
-- the organization's contracts is one delivery per webhook. The server now
-- calls webhook_create_locked: the organization's row locked first, as
-- api_key_create (006) locks it for its 100 keys, so the count inside
-- 007's webhook_create sees every registration before it. Everything else as
-- 007 (an idempotent replay waits on the lock too, and answers as before).
CREATE FUNCTION webhook_create_locked(p_org bigint, p_user bigint, p_url text, p_secret text,
	p_idem_key text, p_ip inet, p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM organizations o WHERE o.id = p_org FOR UPDATE;
	RETURN webhook_create(p_org, p_user, p_url, p_secret, p_idem_key, p_ip, p_ua);
END
$$;
