-- 054 (sec43): what an organization may change a day, bounded; organizations whose
-- names show alike.

-- 1. What an organization may change a day.
--
-- 051 and 052 bounded what an organization sends, drafts and applies for.
-- Four loops were left, each a request that appends an audit event that stays
-- (001's and 006's audit_events_immutable) and the last two a row that stays
-- (a removed webhook and a revoked key are marked, not deleted), so one member
-- could grow audit_events, org_audit_events, webhooks and api_keys at the
-- database's pace:
--
-- * PATCH of a draft, again and again ('contract.updated');
-- * a seal application's scan PUT again and again ('seal.scan_uploaded', up
--   to 10 MiB a turn through the WAL), or PATCH, submit, PATCH ('seal.modified');
-- * a webhook registered and removed ('webhook.created', 'webhook.deleted');
-- * an API key created and revoked ('api_key.created', 'api_key.revoked').
--
-- Each gets a budget of the organization in any 24 hours, from sealpactd
-- (contracts.max_edits_per_day, seals.max_changes_per_day,
-- webhooks.max_created_per_day, auth.max_api_keys_per_day), counted from those
-- audit events on partial indexes, newest first (at most the organization's
-- budgeted events of the day read: the org_audit_events one holds the four
-- kinds, each bounded by its budget), under a
-- transaction-scoped advisory lock on the organization (051's two-key form,
-- first key 54) so that requests at once count each other, and checked before
-- anything is written, in the same statement: one more is SR004 (429
-- rate_limited, the detail saying when the next is allowed) and nothing is
-- recorded. Removing a webhook and revoking a key are not budgeted: each
-- needs a live one, so they are bounded by the creations plus the live caps
-- (20 webhooks, 100 keys), and an organization whose key leaked must always
-- be able to revoke it. Submitting a seal application needs a draft, which a
-- modification (budgeted) or an application (052) makes. A replay of a stored
-- idempotency key (webhooks) skips the budget and answers as before. The
-- functions wrapped (017's contract_update, 009's seal_app_modify and
-- seal_app_scan, 043's webhook_create_locked, 049's api_key_create) are
-- unchanged: SQL callers without a budget keep them.

CREATE INDEX audit_events_updated_idx ON audit_events (actor_org_id, at)
	WHERE action = 'contract.updated';
CREATE INDEX org_audit_events_changes_idx ON org_audit_events (organization_id, at)
	WHERE action IN ('seal.modified', 'seal.scan_uploaded', 'webhook.created',
		'api_key.created');

-- Past the budget: SR004, saying what was done how often and when the next
-- is allowed (oldest: the oldest of the p_max counted).
CREATE FUNCTION day_budget_refuse(p_recent bigint, p_oldest timestamptz, p_max integer,
	p_what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF p_recent >= p_max THEN
		PERFORM wf_fail('SR004', format('this organization %s %s times in the last 24 hours, '
			'the most allowed; the next at %s', p_what, p_recent,
			wf_ts(p_oldest + interval '1 day')));
	END IF;
END
$$;

-- The budget of organization p_org's actions p_actions (some of those
-- org_audit_events_changes_idx holds): lock, count the newest p_max of the
-- last 24 hours, refuse. The plan is made for the actions given (a generic
-- one could not prove the partial index's predicate; with 200,000 events of
-- 50 organizations it read the whole day of org_audit_events_at_idx).
CREATE FUNCTION org_day_budget(p_org bigint, p_actions text[], p_max integer, p_what text)
	RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	recent bigint;
	oldest timestamptz;
BEGIN
	PERFORM pg_advisory_xact_lock(54, (p_org % 2147483647)::integer);
	SELECT count(*), min(x.at) INTO recent, oldest
	FROM (SELECT a.at FROM org_audit_events a
		WHERE a.organization_id = p_org AND a.action = ANY (p_actions)
			AND a.at > now() - interval '1 day'
		ORDER BY a.at DESC LIMIT p_max) x;
	PERFORM day_budget_refuse(recent, oldest, p_max, p_what);
END
$$;

CREATE FUNCTION contract_update_capped(p_number bigint, p_org bigint, p_user bigint,
	p_name text, p_business_type text, p_deadline timestamptz, p_clear_deadline boolean,
	p_parties jsonb, p_ip inet, p_ua text, p_max_per_day integer) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	recent bigint;
	oldest timestamptz;
BEGIN
	PERFORM pg_advisory_xact_lock(54, (p_org % 2147483647)::integer);
	SELECT count(*), min(x.at) INTO recent, oldest
	FROM (SELECT a.at FROM audit_events a
		WHERE a.actor_org_id = p_org AND a.action = 'contract.updated'
			AND a.at > now() - interval '1 day'
		ORDER BY a.at DESC LIMIT p_max_per_day) x;
	PERFORM day_budget_refuse(recent, oldest, p_max_per_day, 'edited drafts');
	RETURN contract_update(p_number, p_org, p_user, p_name, p_business_type, p_deadline,
		p_clear_deadline, p_parties, p_ip, p_ua);
END
$$;

-- One budget for both: a modification takes the application back to draft,
-- where its scan may change again.
CREATE FUNCTION seal_app_changes_budget(p_org bigint, p_max integer) RETURNS void
LANGUAGE sql AS $$
	SELECT org_day_budget(p_org, ARRAY['seal.modified', 'seal.scan_uploaded'], p_max,
		'modified seal applications or uploaded their scans')
$$;

CREATE FUNCTION seal_app_modify_capped(p_org bigint, p_user bigint, p_id bigint, p_name text,
	p_type text, p_ip inet, p_ua text, p_max_per_day integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM seal_app_changes_budget(p_org, p_max_per_day);
	RETURN seal_app_modify(p_org, p_user, p_id, p_name, p_type, p_ip, p_ua);
END
$$;

CREATE FUNCTION seal_app_scan_capped(p_org bigint, p_user bigint, p_id bigint, p_scan bytea,
	p_type text, p_ip inet, p_ua text, p_max_per_day integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM seal_app_changes_budget(p_org, p_max_per_day);
	RETURN seal_app_scan(p_org, p_user, p_id, p_scan, p_type, p_ip, p_ua);
END
$$;

CREATE FUNCTION webhook_create_capped(p_org bigint, p_user bigint, p_url text, p_secret text,
	p_idem_key text, p_ip inet, p_ua text, p_max_per_day integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	IF p_idem_key IS NULL OR NOT EXISTS (SELECT 1 FROM idempotency_keys k
			WHERE k.organization_id = p_org AND k.key = p_idem_key) THEN
		PERFORM org_day_budget(p_org, ARRAY['webhook.created'], p_max_per_day,
			'registered webhooks');
	END IF;
	RETURN webhook_create_locked(p_org, p_user, p_url, p_secret, p_idem_key, p_ip, p_ua);
END
$$;

CREATE FUNCTION api_key_create_capped(p_org bigint, p_user bigint, p_name text, p_prefix text,
	p_key_hash text, p_ip inet, p_ua text, p_expires_at timestamptz, p_max_per_day integer,
	OUT id bigint, OUT created_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM org_day_budget(p_org, ARRAY['api_key.created'], p_max_per_day,
		'created API keys');
	SELECT k.id, k.created_at INTO id, created_at
	FROM api_key_create(p_org, p_user, p_name, p_prefix, p_key_hash, p_ip, p_ua,
		p_expires_at) k;
END
$$;

-- 2. Organizations whose names show alike.
--
-- 052 refused names with characters shown as nothing; "ВuyerCo" with a
-- Cyrillic В, "ＢｕｙｅｒＣｏ" in full-width letters, or "BuyerCo" with a
-- decomposed accent still registered beside "BuyerCo" and showed alike in
-- every list. sealpactd now stores a certificate's O in NFC and computes a
-- key for comparison (server/api/names.c: NFKC, the UTS #39 confusable
-- skeleton, case folded, white space collapsed; ICU), and the organization a
-- certificate names keeps it in name_key, unique: a login that would name a
-- new organization (or the row a party list made, which the first
-- certificate names, 030) with a key another organization holds is SA013
-- (409 organization_name_taken) and changes nothing. Rows a party list made
-- and no certificate named yet have no key (the name is their initiator's
-- guess). Organizations registered before 054 get their key at their next
-- login when their stored name is the certificate's and no other holds it:
-- an existing organization is never locked out by a look-alike that
-- registered first.

ALTER TABLE organizations ADD COLUMN name_key text;
CREATE UNIQUE INDEX organizations_name_key_idx ON organizations (name_key);

CREATE FUNCTION auth_login_member_keyed(p_nonce_hash text, p_credit_code text, p_org_name text,
	p_user_name text, p_der bytea, p_subject text, p_issuer text, p_serial text,
	p_not_before timestamptz, p_not_after timestamptz, p_token_hash text,
	p_ttl_s integer, p_ip inet, p_ua text, p_name_key text,
	OUT session_id bigint, OUT expires_at timestamptz, OUT organization_id bigint,
	OUT organization_name text, OUT credit_code text, OUT user_id bigint,
	OUT user_name text, OUT certificate_id bigint, OUT organization_created boolean)
LANGUAGE plpgsql AS $$
DECLARE
	named boolean; -- this login names the organization (030's rule)
	o organizations%ROWTYPE;
	taken text := format('an organization whose name shows like "%s" is registered '
		'already; two organizations may not look alike', p_org_name);
BEGIN
	SELECT * INTO o FROM organizations x WHERE x.credit_code = p_credit_code;
	named := o.id IS NULL OR NOT EXISTS (SELECT 1 FROM certificates c
		WHERE c.organization_id = o.id);
	IF named AND EXISTS (SELECT 1 FROM organizations x
			WHERE x.name_key = p_name_key AND x.credit_code <> p_credit_code) THEN
		PERFORM wf_fail('SA013', taken);
	END IF;
	SELECT l.session_id, l.expires_at, l.organization_id, l.organization_name, l.credit_code,
		l.user_id, l.user_name, l.certificate_id, l.organization_created
	INTO session_id, expires_at, organization_id, organization_name, credit_code, user_id,
		user_name, certificate_id, organization_created
	FROM auth_login_member(p_nonce_hash, p_credit_code, p_org_name, p_user_name, p_der,
		p_subject, p_issuer, p_serial, p_not_before, p_not_after, p_token_hash, p_ttl_s,
		p_ip, p_ua) l;
	BEGIN
		UPDATE organizations x SET name_key = p_name_key
		WHERE x.id = auth_login_member_keyed.organization_id AND x.name = p_org_name
			AND x.name_key IS DISTINCT FROM p_name_key
			AND (named OR (x.name_key IS NULL AND NOT EXISTS (SELECT 1
				FROM organizations y WHERE y.name_key = p_name_key)));
	EXCEPTION WHEN unique_violation THEN
		-- a look-alike registered at the same time: the later is refused; an
		-- organization registered before 054 keeps logging in without a key
		IF named THEN
			PERFORM wf_fail('SA013', taken);
		END IF;
	END;
END
$$;
