-- 065 (sec46): the name a contract shows for a party not registered yet is
-- its own initiator's; a member's logins budgeted apart from the others'.
--
-- 1. A party's name, per contract.
--
-- A party list names an organization that has not logged in by its credit
-- code and a name the initiator writes (003). The name went into the
-- organization's row, which the first list naming the code made; every
-- later list's name was ignored (ON CONFLICT DO NOTHING) and needed not be
-- given. Until the organization registered (030 renames the row at its first
-- certificate), every contract naming it showed the first initiator's text:
-- one initiator chose what another initiator's contract, and its parties,
-- read as the name of a party ("Acme Ltd -- pay to account 123").
--
-- Now the party row keeps the name its own list gave (given_name) whenever
-- the organization is not registered (no certificate bound to it: 030's and
-- 064's rule), so every such list must give one, each checked as 064 checks
-- a new one (SP400 without, 409 organization_name_taken for a name that
-- shows like a registered organization's); a registered organization's row
-- keeps none (its name is its certificate's, 003 ignored the list's). A
-- contract (contract_json, contract_evidence) shows the row's given name
-- while the organization is unregistered, its registered name once it
-- registers: a CASE written out in both, in this order, so that a registered
-- organization's party (no given name) costs no probe of certificates and no
-- function call (an SQL function with a sub-select is not inlined). Rows
-- stored before this file have no given name and show the organization's row
-- as before.
-- The organization's row still gets the first list's name (its name is NOT
-- NULL) but no contract shows it any more. Otherwise 064's wf_parties_set,
-- 050's contract_json and 016's contract_evidence word for word.

ALTER TABLE parties ADD COLUMN given_name text
	CONSTRAINT parties_given_name_check CHECK (length(given_name) BETWEEN 1 AND 200);

CREATE OR REPLACE FUNCTION wf_parties_set(p_number bigint, p_parties jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	e jsonb;
	oid bigint;
	code text;
	nm text;
	rl text;
	ord integer;
	given text; -- the name this contract shows while the organization is unregistered
BEGIN
	IF jsonb_typeof(p_parties) <> 'array' OR jsonb_array_length(p_parties) > 100 THEN
		PERFORM wf_fail('SP400', 'parties must be an array of at most 100 entries');
	END IF;
	DELETE FROM parties WHERE contract_number = p_number;
	FOR e IN SELECT * FROM jsonb_array_elements(p_parties) LOOP
		IF jsonb_typeof(e) <> 'object' THEN
			PERFORM wf_fail('SP400', 'each party must be an object');
		END IF;
		code := e->>'credit_code';
		nm := btrim(e->>'name');
		rl := coalesce(e->>'role', 'signer');
		IF code IS NULL OR code !~ '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$' THEN
			PERFORM wf_fail('SP400', format('party credit_code %s is not a credit code',
				coalesce(code, '(missing)')));
		END IF;
		IF rl NOT IN ('signer', 'cc') THEN
			PERFORM wf_fail('SP400', format('party %s: role must be signer or cc', code));
		END IF;
		IF e ? 'routing_order' AND (jsonb_typeof(e->'routing_order') <> 'number'
				OR (e->>'routing_order')::numeric NOT BETWEEN 1 AND 1000
				OR (e->>'routing_order')::numeric <> trunc((e->>'routing_order')::numeric)) THEN
			PERFORM wf_fail('SP400', format('party %s: routing_order must be an integer 1..1000', code));
		END IF;
		ord := coalesce((e->>'routing_order')::integer, 1);
		oid := NULL;
		given := NULL;
		SELECT id INTO oid FROM organizations WHERE credit_code = code;
		IF oid IS NULL OR NOT EXISTS (SELECT 1 FROM certificates ce
				WHERE ce.organization_id = oid) THEN
			IF nm IS NULL OR length(nm) NOT BETWEEN 1 AND 200 THEN
				PERFORM wf_fail('SP400', format('party %s is not registered yet: give its name (1..200 characters)', code));
			END IF;
			IF EXISTS (SELECT 1 FROM organizations x
					WHERE x.credit_code <> code
						AND (x.name_key IN (e->>'name_key', e->>'name_key2')
							OR x.name_key2 IN (e->>'name_key', e->>'name_key2'))) THEN
				PERFORM wf_fail('SA013', format('party %s is not registered yet, and its '
					'name "%s" shows like a registered organization''s: two '
					'organizations may not look alike; name it as its '
					'certificate will', code, nm));
			END IF;
			given := nm;
			IF oid IS NULL THEN
				INSERT INTO organizations (name, credit_code) VALUES (nm, code)
				ON CONFLICT (credit_code) DO NOTHING;
				SELECT id INTO oid FROM organizations WHERE credit_code = code;
			END IF;
		END IF;
		BEGIN
			INSERT INTO parties (contract_number, organization_id, role, routing_order,
				given_name)
			VALUES (p_number, oid, rl, ord, given);
		EXCEPTION WHEN unique_violation THEN
			PERFORM wf_fail('SP400', format('party %s is listed twice as %s', code, rl));
		END;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION contract_json(p_number bigint, p_org bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT json_build_object(
			'number', c.number::text, 'name', c.name, 'business_type', c.business_type,
			'business_type_name', coalesce(bt.display_name, c.business_type),
			'status', c.status, 'deadline', wf_ts(c.deadline),
			'created_at', wf_ts(c.created_at), 'updated_at', wf_ts(c.updated_at),
			'sent_at', wf_ts(c.sent_at), 'completed_at', wf_ts(c.completed_at),
			'page_count', c.page_count, 'sha256', c.sha256,
			'initiator', json_build_object('name', o.name, 'credit_code', o.credit_code),
			'is_initiator', c.initiator_org_id = p_org,
			'reject_reason', (SELECT reject_reason FROM parties WHERE contract_number = c.number
				AND status = 'rejected' LIMIT 1),
			'document_url', '/api/v1/contracts/' || c.number || '/document',
			'parties', coalesce((SELECT ('[' || string_agg('{"credit_code" : "' || po.credit_code
					|| '", "name" : ' || to_json(CASE WHEN p.given_name IS NULL THEN po.name
						WHEN EXISTS (SELECT 1 FROM certificates ce
							WHERE ce.organization_id = po.id) THEN po.name
						ELSE p.given_name END)::text || ', ' || p.listed
					|| CASE WHEN p.organization_id = p_org THEN ', "is_me" : true}'
						WHEN p.organization_id <> p_org THEN ', "is_me" : false}'
						ELSE ', "is_me" : null}' END, ', '
					ORDER BY p.routing_order, p.role DESC, p.id) || ']')::json
				FROM parties p JOIN organizations po ON po.id = p.organization_id
				WHERE p.contract_number = c.number), '[]'::json),
			'revisions', coalesce((SELECT json_agg(r.listed ORDER BY r.seq)
				FROM revisions r WHERE r.contract_number = c.number), '[]'::json),
			'audit_count', coalesce((SELECT h.last_seq FROM audit_heads h
				WHERE h.chain = c.number), 0),
			'audit_url', '/api/v1/contracts/' || c.number || '/audit')
		FROM contracts c JOIN organizations o ON o.id = c.initiator_org_id
			LEFT JOIN business_types bt ON bt.code = c.business_type
		WHERE c.number = p_number);
END
$$;

CREATE OR REPLACE FUNCTION contract_evidence(p_number bigint, p_org bigint, p_user bigint,
	p_ip inet, p_ua text, OUT info jsonb, OUT document bytea, OUT tsa_serial bigint,
	OUT archive_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	last_seq integer;
BEGIN
	c := wf_lock(p_number, p_org);
	IF c.status NOT IN ('completed', 'rejected', 'cancelled', 'expired') THEN
		PERFORM wf_fail('SR001', format('contract %s is %s: its evidence report is made once '
			'it is completed, rejected, cancelled or expired', p_number, c.status));
	END IF;
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.evidence_requested', '{}'::jsonb,
		p_ip, p_ua);
	SELECT max(seq) INTO last_seq FROM revisions WHERE contract_number = p_number;
	document := revision_document(p_number, last_seq);
	tsa_serial := nextval('tsa_serial');
	archive_serial := nextval('tsa_serial');
	SELECT jsonb_build_object(
		'number', c.number::text, 'name', c.name, 'business_type', c.business_type,
		'business_type_name', business_type_name(c.business_type), 'status', c.status,
		'created_at', wf_ts(c.created_at), 'sent_at', wf_ts(c.sent_at),
		'completed_at', wf_ts(c.completed_at), 'updated_at', wf_ts(c.updated_at),
		'deadline', wf_ts(c.deadline), 'page_count', c.page_count,
		'seq', last_seq, 'generated_at', wf_ts(now()),
		'initiator', (SELECT jsonb_build_object('name', o.name, 'credit_code', o.credit_code)
			FROM organizations o WHERE o.id = c.initiator_org_id),
		'parties', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'role', p.role, 'routing_order', p.routing_order,
				'name', CASE WHEN p.given_name IS NULL THEN po.name
					WHEN EXISTS (SELECT 1 FROM certificates ce
						WHERE ce.organization_id = po.id) THEN po.name
					ELSE p.given_name END,
				'credit_code', po.credit_code, 'status', p.status,
				'reject_reason', p.reject_reason,
				'time', wf_ts(CASE p.status WHEN 'received' THEN p.received_at
					WHEN 'signed' THEN p.signed_at WHEN 'sent' THEN p.sent_at
					WHEN 'rejected' THEN p.rejected_at END))
				ORDER BY p.routing_order, p.role DESC, p.id)
			FROM parties p JOIN organizations po ON po.id = p.organization_id
			WHERE p.contract_number = c.number), '[]'::jsonb),
		'revisions', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'seq', r.seq, 'length', r.length, 'sha256', r.sha256,
				'created_at', wf_ts(r.created_at), 'archive', r.archive,
				'signer', (SELECT jsonb_build_object('name', po.name,
					'credit_code', po.credit_code) FROM parties p JOIN organizations po
					ON po.id = p.organization_id WHERE p.id = r.party_id),
				'certificate', (SELECT jsonb_build_object('subject', ce.subject,
					'issuer', ce.issuer, 'serial', ce.serial,
					'not_before', wf_ts(ce.not_before), 'not_after', wf_ts(ce.not_after))
					FROM certificates ce WHERE ce.id = r.certificate_id),
				'seal', (SELECT jsonb_build_object('id', s.id::text, 'name', s.name,
					'type', s.type, 'valid_from', wf_ts(s.valid_from),
					'valid_until', wf_ts(s.valid_until), 'status', s.status,
					'png_hex', encode(s.image_png, 'hex'))
					FROM seals s WHERE s.id = r.seal_id)) ORDER BY r.seq)
			FROM revisions r WHERE r.contract_number = c.number), '[]'::jsonb),
		'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('seq', a.seq,
				'at', wf_ts(a.at), 'action', a.action,
				'actor', CASE WHEN ao.id IS NULL THEN NULL ELSE jsonb_build_object(
					'name', ao.name, 'credit_code', ao.credit_code) END,
				'user', (SELECT u.name FROM users u WHERE u.id = a.actor_user_id),
				'ip', host(a.ip), 'prev_hash', encode(a.prev_hash, 'hex'),
				'hash', encode(a.hash, 'hex')) ORDER BY a.seq)
			FROM audit_events a LEFT JOIN organizations ao ON ao.id = a.actor_org_id
			WHERE coalesce(a.contract_number, 0) = c.number), '[]'::jsonb),
		'audit_chain', (SELECT to_jsonb(v) FROM audit_chain_verify(c.number) v))
	INTO info;
END
$$;

-- 2. A member's logins, apart from the others'.
--
-- 059 budgeted an organization's member logins together (062's
-- auth_login_member_keyed2 takes it): one member, or whoever holds one
-- member's token and PIN, logging in auth.max_logins_per_day times locked
-- every other member out for a day. Now, before that ceiling, a member (the
-- user the certificate is bound to, or 030's user of its subject; a new one
-- has nothing to count) logs in at most p_max_member times in any 24 hours
-- (auth.max_member_logins_per_day), and the organization's members at most
-- p_max_address times from one client address (auth.max_address_logins_per_day;
-- an IPv6 address's /64, what one host is commonly given, counts as one):
-- one more is SR004 (429 rate_limited, saying which and when the next is
-- allowed), nothing written, the challenge still usable. The ceiling stays
-- against many members' or addresses' logins together. Counted from the
-- session.login events on two partial indexes, under 054's lock of the
-- organization (org_day_budget's, taken again there: one order of locks).
-- 062's function is unchanged for servers not yet upgraded.

CREATE INDEX org_audit_events_member_logins_idx ON org_audit_events (actor_user_id, at)
	WHERE action = 'session.login';
CREATE INDEX org_audit_events_address_logins_idx ON org_audit_events (organization_id, ip, at)
	WHERE action = 'session.login';

-- Refuse the p_max-th and later of what p_who did: p_recent of the newest
-- p_max events in 24 hours, the oldest of them at p_oldest.
CREATE FUNCTION login_budget_refuse(p_recent bigint, p_oldest timestamptz, p_max integer,
	p_who text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF p_recent >= p_max THEN
		PERFORM wf_fail('SR004', format('%s logged in %s times in the last 24 hours, the '
			'most allowed; the next at %s', p_who, p_recent,
			wf_ts(p_oldest + interval '1 day')));
	END IF;
END
$$;

CREATE FUNCTION auth_login_member_keyed3(p_nonce_hash text, p_credit_code text,
	p_org_name text, p_user_name text, p_der bytea, p_subject text, p_issuer text,
	p_serial text, p_not_before timestamptz, p_not_after timestamptz, p_token_hash text,
	p_ttl_s integer, p_ip inet, p_ua text, p_name_key text, p_name_key2 text, p_max integer,
	p_max_member integer, p_max_address integer,
	OUT session_id bigint, OUT expires_at timestamptz, OUT organization_id bigint,
	OUT organization_name text, OUT credit_code text, OUT user_id bigint,
	OUT user_name text, OUT certificate_id bigint, OUT organization_created boolean)
LANGUAGE plpgsql AS $$
DECLARE
	org bigint;
	member bigint;
	recent bigint;
	oldest timestamptz;
	lo inet := p_ip; -- the address's range: itself, an IPv6 address's /64
	hi inet := p_ip;
BEGIN
	IF family(p_ip) = 6 THEN
		lo := host(network(set_masklen(p_ip, 64)))::inet;
		hi := host(broadcast(set_masklen(p_ip, 64)))::inet;
	END IF;
	IF p_max_member < 1 OR p_max_address < 1 THEN
		PERFORM wf_fail('SP400', 'login budgets must be at least 1');
	END IF;
	SELECT o.id INTO org FROM organizations o WHERE o.credit_code = p_credit_code;
	IF org IS NOT NULL THEN
		PERFORM pg_advisory_xact_lock(54, (org % 2147483647)::integer);
		SELECT c.user_id INTO member FROM certificates c
		WHERE c.fingerprint = encode(sha256(p_der), 'hex') AND c.organization_id = org;
		IF member IS NULL THEN
			SELECT c.user_id INTO member FROM certificates c
			WHERE c.organization_id = org AND c.subject = p_subject AND c.user_id IS NOT NULL
			ORDER BY c.id DESC LIMIT 1;
		END IF;
		IF member IS NOT NULL THEN
			SELECT count(*), min(x.at) INTO recent, oldest
			FROM (SELECT a.at FROM org_audit_events a
				WHERE a.actor_user_id = member AND a.action = 'session.login'
					AND a.at > now() - interval '1 day'
				ORDER BY a.at DESC LIMIT p_max_member) x;
			PERFORM login_budget_refuse(recent, oldest, p_max_member, 'this member');
		END IF;
		IF p_ip IS NOT NULL THEN
			SELECT count(*), min(x.at) INTO recent, oldest
			FROM (SELECT a.at FROM org_audit_events a
				WHERE a.organization_id = org AND a.ip BETWEEN lo AND hi
					AND a.action = 'session.login' AND a.at > now() - interval '1 day'
				ORDER BY a.at DESC LIMIT p_max_address) x;
			PERFORM login_budget_refuse(recent, oldest, p_max_address,
				'this organization''s members at this address');
		END IF;
	END IF;
	SELECT l.session_id, l.expires_at, l.organization_id, l.organization_name, l.credit_code,
		l.user_id, l.user_name, l.certificate_id, l.organization_created
	INTO session_id, expires_at, organization_id, organization_name, credit_code, user_id,
		user_name, certificate_id, organization_created
	FROM auth_login_member_keyed2(p_nonce_hash, p_credit_code, p_org_name, p_user_name, p_der,
		p_subject, p_issuer, p_serial, p_not_before, p_not_after, p_token_hash, p_ttl_s,
		p_ip, p_ua, p_name_key, p_name_key2, p_max) l;
END
$$;
