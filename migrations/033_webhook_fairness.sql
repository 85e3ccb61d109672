-- 033_webhook_fairness.sql (sec32): webhook deliveries taken in turns by
-- organization.
--
-- webhook_claim took the oldest due deliveries of everybody, and the server
-- claims again only once the batch it holds is done (each POST may take
-- its 10 s timeout). An organization may register 20 webhooks: at receivers
-- that answer slowly, every contract it sent queued 20 deliveries of up to
-- 10 s ahead of everyone else's, and another organization's delivery waited
-- behind all of them (20 at a 3 s tarpit: 27.6 s; at the 10 s timeout about
-- 100 s per contract, without end for a stream of contracts).
--
-- Now a claim takes, for each organization with no delivery in flight (a
-- pending one leased), the oldest of its due deliveries; of those the oldest
-- p_limit. So an organization has one delivery in flight at a time (two
-- processes claiming at the same moment may each send one), and another
-- organization's delivery goes out in the next claim, one slow answer later
-- at most. An organization's deliveries keep their order, each webhook's
-- too.
--
-- The webhooks that have pending deliveries are found by skipping through
-- the new partial index (webhook_id, next_attempt_at) of pending rows, two
-- probes per such webhook (20 at most per organization) whatever the number
-- of rows queued behind them; the organizations with one in flight come
-- from a second partial index that holds only leased rows. Measured with
-- 200,000 due deliveries over 2,000 webhooks: 33 ms a claim after VACUUM
-- (65-80 ms before; the old claim 47-68 ms on the same rows); with 4,000
-- over 40 webhooks 1.7-2.2 ms (the old 0.5 ms). Rows, events, payloads,
-- attempts and retries as before.

CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (webhook_id, next_attempt_at)
	WHERE status = 'pending';
CREATE INDEX webhook_deliveries_leased_idx ON webhook_deliveries (webhook_id)
	WHERE status = 'pending' AND locked_until IS NOT NULL;

CREATE OR REPLACE FUNCTION webhook_claim(p_limit integer, p_lease_s integer)
RETURNS TABLE (id bigint, url text, secret text, payload text, attempt integer)
LANGUAGE sql AS $$
	WITH RECURSIVE hooks(webhook_id) AS (
		(SELECT x.webhook_id FROM webhook_deliveries x WHERE x.status = 'pending'
		 ORDER BY x.webhook_id LIMIT 1)
		UNION ALL
		SELECT (SELECT x.webhook_id FROM webhook_deliveries x
			WHERE x.status = 'pending' AND x.webhook_id > h.webhook_id
			ORDER BY x.webhook_id LIMIT 1)
		FROM hooks h WHERE h.webhook_id IS NOT NULL
	), busy AS (
		-- organizations with a delivery in flight (the leased index holds only those)
		SELECT DISTINCT w.organization_id AS org
		FROM webhook_deliveries l JOIN webhooks w ON w.id = l.webhook_id
		WHERE l.status = 'pending' AND l.locked_until IS NOT NULL AND l.locked_until >= now()
	), heads AS (
		-- each webhook's oldest due delivery, for organizations with none in flight
		SELECT w.organization_id AS org, f.id AS fid, f.next_attempt_at AS due
		FROM hooks h
		JOIN webhooks w ON w.id = h.webhook_id
		CROSS JOIN LATERAL (
			SELECT x.id, x.next_attempt_at FROM webhook_deliveries x
			WHERE x.webhook_id = h.webhook_id AND x.status = 'pending'
			  AND x.next_attempt_at <= now()
			  AND (x.locked_until IS NULL OR x.locked_until < now())
			ORDER BY x.next_attempt_at LIMIT 1) f
		WHERE h.webhook_id IS NOT NULL AND w.organization_id NOT IN (SELECT org FROM busy)
	), turns AS (
		-- the oldest of each organization's
		SELECT DISTINCT ON (org) fid, due FROM heads ORDER BY org, due, fid
	)
	UPDATE webhook_deliveries d
	SET locked_until = now() + make_interval(secs => p_lease_s), attempts = d.attempts + 1
	FROM webhooks w
	WHERE w.id = d.webhook_id AND d.id IN (
		SELECT x.id FROM webhook_deliveries x
		WHERE x.id IN (SELECT fid FROM turns ORDER BY due, fid LIMIT p_limit)
		  AND x.status = 'pending' AND x.next_attempt_at <= now()
		  AND (x.locked_until IS NULL OR x.locked_until < now())
		FOR UPDATE SKIP LOCKED)
	RETURNING d.id, w.url, w.secret, d.payload::text, d.attempts
$$;
