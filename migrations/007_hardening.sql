-- 007_hardening.sql: secrets shown once, and reviewer login throttling that
-- several server processes agree on.
--
-- Secrets: the webhook secret was kept in the Idempotency-Key record of its
-- registration, so a replay showed it again. The record now keeps the
-- response without it; a replay says "secret_shown_once": true instead. The
-- records written before are scrubbed.

UPDATE idempotency_keys SET response = response - 'secret'
WHERE response IS NOT NULL AND response ? 'secret';

DROP FUNCTION webhook_create(bigint, bigint, text, text, text, inet, text);

CREATE FUNCTION webhook_create(p_org bigint, p_user bigint, p_url text, p_secret text,
	p_idem_key text, p_ip inet DEFAULT NULL, p_ua text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	prev jsonb;
	w webhooks%ROWTYPE;
	res jsonb;
BEGIN
	prev := wf_idem_begin(p_org, p_idem_key, encode(sha256(convert_to(
		jsonb_build_array('webhook', p_url)::text, 'UTF8')), 'hex'));
	IF prev IS NOT NULL THEN
		RETURN (prev - 'secret') || '{"secret_shown_once": true}'::jsonb;
	END IF;
	IF p_url IS NULL OR p_url !~ '^https?://[^\s/]+[^\s]*$' OR length(p_url) > 2000 THEN
		PERFORM wf_fail('SP400', 'url must be an http:// or https:// URL of at most 2000 characters');
	END IF;
	IF (SELECT count(*) FROM webhooks WHERE organization_id = p_org AND deleted_at IS NULL) >= 20 THEN
		PERFORM wf_fail('SP409', 'an organization has at most 20 webhooks');
	END IF;
	INSERT INTO webhooks (organization_id, url, secret, created_by)
	VALUES (p_org, p_url, p_secret, p_user) RETURNING * INTO w;
	res := jsonb_build_object('id', w.id::text, 'url', w.url,
		'created_at', wf_ts(w.created_at),
		'events', '["sent","received","signed","rejected","completed","cancelled","expired"]'::jsonb);
	PERFORM wf_idem_store(p_org, p_idem_key, res);
	PERFORM org_audit(p_org, p_user, 'webhook.created', 'webhook', w.id::text,
		jsonb_build_object('url', w.url), p_ip, p_ua);
	RETURN res || jsonb_build_object('secret', w.secret);
END
$$;
