-- 061: a webhook registration retried with its Idempotency-Key at the daily
-- budget is the first attempt's replay (review44).
--
-- 054's webhook_create_capped looked for a stored key before it took the
-- organization's advisory lock (in org_day_budget), the order 057 fixed for
-- contract creation. A retry sent while the first attempt was still in the
-- database saw no key, waited for the lock, and once the first committed
-- counted the first attempt's registration against the budget: 429
-- rate_limited at the day's last one, where it should get the replay. The
-- lock is now taken first (org_day_budget takes it again: a transaction's
-- advisory locks stack); the rest is 054's word for word.
CREATE OR REPLACE FUNCTION webhook_create_capped(p_org bigint, p_user bigint, p_url text,
	p_secret text, p_idem_key text, p_ip inet, p_ua text, p_max_per_day integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	-- this statement's snapshot is taken once the lock is granted: a retry waiting
	-- on the first attempt sees its key
	PERFORM pg_advisory_xact_lock(54, (p_org % 2147483647)::integer);
	IF p_idem_key IS NULL OR NOT EXISTS (SELECT 1 FROM idempotency_keys k
			WHERE k.organization_id = p_org AND k.key = p_idem_key) THEN
		PERFORM org_day_budget(p_org, ARRAY['webhook.created'], p_max_per_day,
			'registered webhooks');
	END IF;
	RETURN webhook_create_locked(p_org, p_user, p_url, p_secret, p_idem_key, p_ip, p_ua);
END
$$;
