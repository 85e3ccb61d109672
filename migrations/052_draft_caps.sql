-- 052 (sec42): an organization's drafts, bounded; reviewer logins that tell
-- nobody which usernames exist.

-- 1. Drafts.
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

-- 2. A reviewer login tells nobody which usernames exist.
--
-- An unknown username cost the same scrypt and got the same 401 as a wrong
-- password, but only a real account was ever locked: five wrong passwords
-- and the sixth attempt on a real name answered 429 login_locked, on an
-- unknown one 401 again, so anyone could tell which names exist. And once
-- the address was blocked (auth.ip_max_failures), an unknown name was
-- refused before any hashing and a real one after its scrypt: the time of
-- the answer told them apart. Now an unknown name is counted and locked as
-- a real account is (the same failures, backoff and quiet spell), in a
-- table of its own whose rows go once they are quiet, and the server hashes
-- for an unknown name whatever the address's state (api/reviewers.c): each
-- answer, and its time, is the one a real account with a wrong password
-- gets. The table holds only names that failed recently; what a guesser can
-- put in it is bounded by the scrypt each attempt costs and the address
-- throttle. Both steps are wrappers of 007's (reviewer_login_begin_named,
-- reviewer_login_finish_named), which stay as they were.

CREATE TABLE login_unknown_names (
	username       text PRIMARY KEY,
	failed_count   integer NOT NULL CHECK (failed_count > 0),
	last_failed_at timestamptz NOT NULL,
	locked_until   timestamptz
);
CREATE INDEX login_unknown_names_last_idx ON login_unknown_names (last_failed_at);

CREATE FUNCTION reviewer_login_begin_named(p_username text, p_ip inet,
	OUT user_id bigint, OUT password_hash text, OUT locked_s integer, OUT address_wait_s integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
	SELECT b.user_id, b.password_hash, b.locked_s, b.address_wait_s
	INTO user_id, password_hash, locked_s, address_wait_s
	FROM reviewer_login_begin(p_username, p_ip) b;
	IF user_id IS NULL THEN
		SELECT greatest(1, ceil(extract(epoch FROM u.locked_until - now())))::integer
		INTO locked_s
		FROM login_unknown_names u
		WHERE u.username = p_username AND u.locked_until > now();
	END IF;
END
$$;

CREATE FUNCTION reviewer_login_finish_named(p_username text, p_user_id bigint,
	p_password_ok boolean, p_token_hash text, p_ttl_s integer, p_max_failures integer,
	p_lockout_s integer, p_backoff_s integer, p_ip_max_failures integer, p_ip inet,
	p_ua text DEFAULT NULL,
	OUT outcome text, OUT session_id bigint, OUT expires_at timestamptz,
	OUT retry_after_s integer)
LANGUAGE plpgsql AS $$
DECLARE
	u login_unknown_names%ROWTYPE;
	fresh boolean;
	blocked boolean;
	n integer;
	lock_s integer;
BEGIN
	IF p_user_id IS NOT NULL OR p_username IS NULL THEN
		SELECT f.outcome, f.session_id, f.expires_at, f.retry_after_s
		INTO outcome, session_id, expires_at, retry_after_s
		FROM reviewer_login_finish(p_user_id, p_password_ok, p_token_hash, p_ttl_s,
			p_max_failures, p_lockout_s, p_backoff_s, p_ip_max_failures, p_ip, p_ua) f;
		RETURN;
	END IF;
	-- 007's rules for an account, on the unknown name's row (locked under it).
	DELETE FROM login_unknown_names
	WHERE last_failed_at < now() - make_interval(secs => 2 * p_lockout_s)
		AND (locked_until IS NULL OR locked_until < now() - make_interval(secs => p_lockout_s));
	INSERT INTO login_unknown_names (username, failed_count, last_failed_at)
	VALUES (p_username, 1, now()) ON CONFLICT (username) DO NOTHING;
	fresh := FOUND;
	SELECT * INTO u FROM login_unknown_names WHERE username = p_username FOR UPDATE;
	IF u.locked_until IS NOT NULL AND u.locked_until > now() THEN
		outcome := 'locked';
		retry_after_s := greatest(1, ceil(extract(epoch FROM u.locked_until - now())))::integer;
		RETURN;
	END IF;
	blocked := login_address_failed(p_ip, p_ip_max_failures, p_backoff_s, p_lockout_s);
	n := CASE WHEN fresh THEN 1
		WHEN greatest(u.last_failed_at, u.locked_until)
			< now() - make_interval(secs => p_lockout_s) THEN 1
		ELSE u.failed_count + 1 END;
	lock_s := CASE WHEN n >= p_max_failures
		THEN login_backoff_s(n - p_max_failures + 1, p_backoff_s, p_lockout_s) END;
	UPDATE login_unknown_names SET failed_count = n, last_failed_at = now(),
		locked_until = CASE WHEN lock_s IS NOT NULL
			THEN now() + make_interval(secs => lock_s) ELSE locked_until END
	WHERE username = p_username;
	IF lock_s IS NOT NULL THEN
		outcome := 'locked';
		retry_after_s := lock_s;
	ELSIF blocked THEN
		outcome := 'throttled';
		retry_after_s := login_address_wait_s(p_ip);
	ELSE
		outcome := 'failed';
	END IF;
END
$$;

-- 3. An organization's open seal applications, bounded.
--
-- Any member could apply for seals without end: each application may hold
-- a 10 MiB scan, and each submitted one lands in the one review queue every
-- reviewer of the platform works, so one organization could bury every
-- other's applications. At most p_max_open applications of an organization
-- are open at once (draft, under_review, rejected: each can still be
-- submitted); one more is SR006 (409 application_limit) and nothing is
-- stored. A cancelled application keeps its scan, so apply, upload, cancel
-- in a loop stored 10 MiB a turn without end: an organization also applies
-- at most p_max_per_day times in any 24 hours, counted from its seal.applied
-- and seal.change_applied audit events (which stay; a partial index holds
-- only those), SR007 (429 rate_limited) past it. Counted under the
-- organization's row lock, as 006's API keys are, on 001's
-- seals_organization_status_idx, at most p_max_open rows read. The bounds
-- come from sealpactd (seals.max_open_applications,
-- seals.max_applications_per_day); 009's seal_app_create is unchanged.

CREATE INDEX org_audit_events_applied_idx ON org_audit_events (organization_id, at)
	WHERE action IN ('seal.applied', 'seal.change_applied');

CREATE FUNCTION seal_app_create_capped(p_org bigint, p_user bigint, p_cert bigint,
	p_name text, p_type text, p_replaces bigint, p_ip inet, p_ua text, p_max_open integer,
	p_max_per_day integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	open_n bigint;
	recent bigint;
	oldest timestamptz;
BEGIN
	PERFORM 1 FROM organizations o WHERE o.id = p_org FOR UPDATE;
	SELECT count(*) INTO open_n FROM (SELECT 1 FROM seals s
		WHERE s.organization_id = p_org AND s.status IN ('draft', 'under_review', 'rejected')
		LIMIT p_max_open) x;
	IF open_n >= p_max_open THEN
		PERFORM wf_fail('SR006', format('this organization has %s open seal applications, '
			'the most allowed; submit, cancel or finish one first', open_n));
	END IF;
	SELECT count(*), min(x.at) INTO recent, oldest
	FROM (SELECT a.at FROM org_audit_events a
		WHERE a.organization_id = p_org
			AND a.action IN ('seal.applied', 'seal.change_applied')
			AND a.at > now() - interval '1 day'
		ORDER BY a.at DESC LIMIT p_max_per_day) x;
	IF recent >= p_max_per_day THEN
		PERFORM wf_fail('SR007', format('this organization applied for seals %s times in the '
			'last 24 hours, the most allowed; the next at %s', recent,
			wf_ts(oldest + interval '1 day')));
	END IF;
	RETURN seal_app_create(p_org, p_user, p_cert, p_name, p_type, p_replaces, p_ip, p_ua);
END
$$;
