-- 046: a webhook attempt that ends after its lease ran out no longer undoes
-- the claim that took the delivery over (review39).
--
-- webhook_claim leases a delivery for p_lease_s seconds and counts the
-- attempt; once the lease runs out another claim (another process, or this
-- one) takes the delivery again with the next attempt number. 003's
-- webhook_attempt_done then let the first attempt's late failure rewrite the
-- row the second claim holds: locked_until NULL (the lease of the attempt in
-- flight gone, and with it 033's rule that an organization has one delivery
-- in flight) and next_attempt_at backed off from the stale attempt's number,
-- so a third claim took the delivery BACKOFF_BASE_S later while the second
-- POST was still running: two concurrent POSTs of one event to the receiver.
--
-- Now an attempt's failure changes the delivery only while it is the latest
-- claim's (attempts = p_attempt); a stale one is logged in webhook_attempts
-- only, and answered as before (the server does not read the answer). A 2xx
-- still delivers
-- whichever attempt it ends (the receiver has the event: the later attempt's
-- outcome is then not recorded on the row, as before). Every other answer,
-- backoff and limit is 003's.
CREATE OR REPLACE FUNCTION webhook_attempt_done(p_id bigint, p_attempt integer,
	p_http_status integer, p_error text, p_duration_ms integer, p_base_s integer,
	p_max integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
BEGIN
	INSERT INTO webhook_attempts (delivery_id, attempt, http_status, error, duration_ms)
	VALUES (p_id, p_attempt, p_http_status, left(p_error, 500), p_duration_ms)
	ON CONFLICT DO NOTHING;
	IF p_http_status BETWEEN 200 AND 299 THEN
		st := 'delivered';
	ELSIF p_attempt >= p_max THEN
		st := 'failed';
	ELSE
		st := 'pending';
	END IF;
	UPDATE webhook_deliveries SET status = st, locked_until = NULL,
		last_http_status = p_http_status, last_error = left(p_error, 500),
		delivered_at = CASE WHEN st = 'delivered' THEN now() END,
		next_attempt_at = CASE WHEN st = 'pending' THEN now() + make_interval(secs =>
			least(3600, p_base_s * power(2, greatest(p_attempt - 1, 0))))
			ELSE next_attempt_at END
	WHERE id = p_id AND status = 'pending'
	  AND (st = 'delivered' OR attempts = p_attempt);
	RETURN st;
END
$$;
