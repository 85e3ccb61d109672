-- 038: the entries of a contract document (contract_json) that change only
-- when their row does are rendered once, when the row is written, as 017 did
-- for the audit trail (issue 14: a contract's 20th signing no slower than its
-- 1st): each revision's entry in "revisions", and each party's in "parties"
-- but for the organization's code and name and the caller's "is_me".
--
-- Every workflow reply carries the contract document: the completion's, and
-- receive's and send's around it. Its "parties" and "revisions" arrays were
-- built at each call, per row a json_build_object (which looks up each
-- argument's type output function at every call), up to four timestamps
-- formatted, and for a revision a join to its party and organization: about
-- 5 us per party and 3.5 us per revision. contract_json took 87 us at a
-- contract's 1st signing and 322 us at its 20th; with the stored entries 60
-- and 153 us (bench/bench_load.py's database, 20 signers; a PL/pgSQL loop
-- around contract_json, best of five loops of 2000, each version three times).
--
-- The document stays the same text, byte for byte: json keeps its text as
-- built, json_agg copies each element's text, and a party's object is put
-- together from the stored members with the separators json_build_object
-- writes (", " between members, " : " after a key, "{" and "}").
--
-- Revisions: what an entry shows does not change after the insert: seq,
-- length and sha256 are kept by revisions_immutable; signed_by is the credit
-- code of the party's organization, which never changes (017's
-- organizations_credit_code_fixed), nor does a party's organization; the
-- contract number is the row's. created_at and party_id are not written
-- again by anything either, but revisions_immutable now renders the entry
-- again if an UPDATE changes them, so `listed` is always what contract_json
-- rendered from the row.
--
-- Parties: the members from role to rejected_at are the row's own columns,
-- rendered by a BEFORE trigger whenever one of them is written (the
-- contract's copies in c_* and updated_at do not run it). The organization's
-- name can change (030), and is_me is the caller's: those are put in at
-- each call, the name escaped by to_json as json_build_object escapes it
-- (the same function, escape_json), the credit code quoted (its CHECK allows
-- only digits and capitals, nothing to escape).
--
-- On a populated database: the columns are added, every existing row
-- rendered (revisions through revisions_immutable, which lets any column but
-- the bytes and their identity change; parties with the triggers that would
-- change updated_at and recount the lists switched off for that statement:
-- the rows change in nothing else), then made NOT NULL.

-- contract_json's (028) entry of one revision, word for word. PL/pgSQL: a
-- SQL function with a subquery is not inlined, and would plan it at every
-- call; PL/pgSQL keeps the plan for the session (014).
CREATE FUNCTION revision_listed(p_number bigint, p_seq integer, p_length bigint, p_sha256 text,
	p_created_at timestamptz, p_party bigint) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN json_build_object('seq', p_seq, 'length', p_length, 'sha256', p_sha256,
		'created_at', wf_ts(p_created_at),
		'signed_by', (SELECT so.credit_code FROM parties sp
			JOIN organizations so ON so.id = sp.organization_id WHERE sp.id = p_party),
		'document_url', '/api/v1/contracts/' || p_number || '/revisions/' || p_seq
			|| '/document');
END
$$;

ALTER TABLE revisions ADD COLUMN listed json;

-- 024's trigger, and the entry rendered from the row as inserted (its
-- created_at default already applied: defaults are filled in before BEFORE
-- triggers run). Whatever an INSERT names for `listed` is replaced.
CREATE OR REPLACE FUNCTION revisions_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	prev_length bigint;
BEGIN
	IF NEW.seq = 0 THEN
		IF NEW.length <> length(NEW.delta) THEN
			RAISE EXCEPTION 'revision 0 of contract %: length % but the document has % bytes',
				NEW.contract_number, NEW.length, length(NEW.delta)
				USING ERRCODE = 'check_violation';
		END IF;
		IF NEW.sha256 <> encode(sha256(NEW.delta), 'hex') THEN
			RAISE EXCEPTION 'revision 0 of contract %: sha256 does not match the document',
				NEW.contract_number USING ERRCODE = 'check_violation';
		END IF;
	ELSE
		-- The writer holds the contract locked: the predecessor stays as read.
		SELECT length INTO prev_length FROM revisions
		WHERE contract_number = NEW.contract_number AND seq = NEW.seq - 1;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'revision % of contract % has no predecessor', NEW.seq,
				NEW.contract_number USING ERRCODE = 'foreign_key_violation';
		END IF;
		IF NEW.length <> prev_length + length(NEW.delta) THEN
			RAISE EXCEPTION 'revision % of contract %: length % but the document has % bytes',
				NEW.seq, NEW.contract_number, NEW.length, prev_length + length(NEW.delta)
				USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	NEW.listed := revision_listed(NEW.contract_number, NEW.seq, NEW.length, NEW.sha256,
		NEW.created_at, NEW.party_id);
	RETURN NEW;
END
$$;

-- 001's rule, and the entry kept equal to the row: rendered again when an
-- UPDATE changes what it shows or the entry itself (json has no equality:
-- its text is compared).
CREATE OR REPLACE FUNCTION revisions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.delta IS DISTINCT FROM OLD.delta OR NEW.length <> OLD.length
	   OR NEW.sha256 <> OLD.sha256 OR NEW.seq <> OLD.seq
	   OR NEW.contract_number <> OLD.contract_number THEN
		RAISE EXCEPTION 'revisions are append-only' USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.created_at IS DISTINCT FROM OLD.created_at
	   OR NEW.party_id IS DISTINCT FROM OLD.party_id
	   OR NEW.listed::text IS DISTINCT FROM OLD.listed::text THEN
		NEW.listed := revision_listed(NEW.contract_number, NEW.seq, NEW.length, NEW.sha256,
			NEW.created_at, NEW.party_id);
	END IF;
	RETURN NEW;
END
$$;

-- The revisions stored before this file: rendered by revisions_immutable
-- (listed goes from NULL to its entry).
UPDATE revisions SET listed = 'null'::json;
ALTER TABLE revisions ALTER COLUMN listed SET NOT NULL;
ANALYZE revisions;

-- ---------------------------------------------------------------------------
-- A party's members from role to rejected_at as contract_json (028) wrote
-- them, word for word, without the braces: json_build_object's text less its
-- first and last character.
CREATE FUNCTION party_listed(p_role text, p_routing_order integer, p_status text,
	p_reject_reason text, p_received_at timestamptz, p_signed_at timestamptz,
	p_sent_at timestamptz, p_rejected_at timestamptz) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	t text := json_build_object('role', p_role, 'routing_order', p_routing_order,
		'status', p_status, 'reject_reason', p_reject_reason,
		'received_at', wf_ts(p_received_at), 'signed_at', wf_ts(p_signed_at),
		'sent_at', wf_ts(p_sent_at), 'rejected_at', wf_ts(p_rejected_at))::text;
BEGIN
	RETURN substr(t, 2, char_length(t) - 2);
END
$$;

ALTER TABLE parties ADD COLUMN listed text;

CREATE FUNCTION parties_listed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.listed := party_listed(NEW.role, NEW.routing_order, NEW.status, NEW.reject_reason,
		NEW.received_at, NEW.signed_at, NEW.sent_at, NEW.rejected_at);
	RETURN NEW;
END
$$;
-- any write of a rendered column or of the rendering itself
CREATE TRIGGER parties_listed BEFORE INSERT OR UPDATE OF role, routing_order, status,
	reject_reason, received_at, signed_at, sent_at, rejected_at, listed ON parties
	FOR EACH ROW EXECUTE FUNCTION parties_listed();

-- The parties stored before this file, rendered by parties_listed; their
-- updated_at and the list counts stay as they are.
ALTER TABLE parties DISABLE TRIGGER parties_updated_at,
	DISABLE TRIGGER list_counts_parties_upd;
UPDATE parties SET listed = '';
ALTER TABLE parties ENABLE TRIGGER parties_updated_at,
	ENABLE TRIGGER list_counts_parties_upd;
ALTER TABLE parties ALTER COLUMN listed SET NOT NULL;
ANALYZE parties;

-- ---------------------------------------------------------------------------
-- 028's contract_json with the stored entries for "parties" and "revisions";
-- the rest word for word. A party's object: its organization's code and
-- name, its stored members, whether it is the caller's (NULL p_org: null, as
-- json_build_object wrote a NULL comparison); the array's text is json's
-- check once (a cast), where json_agg took json_build_object's json.
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
					|| '", "name" : ' || to_json(po.name)::text || ', ' || p.listed
					|| CASE WHEN p.organization_id = p_org THEN ', "is_me" : true}'
						WHEN p.organization_id <> p_org THEN ', "is_me" : false}'
						ELSE ', "is_me" : null}' END, ', '
					ORDER BY p.routing_order, p.role DESC, p.id) || ']')::json
				FROM parties p JOIN organizations po ON po.id = p.organization_id
				WHERE p.contract_number = c.number), '[]'::json),
			'revisions', coalesce((SELECT json_agg(r.listed ORDER BY r.seq)
				FROM revisions r WHERE r.contract_number = c.number), '[]'::json),
			'audit', coalesce((SELECT json_agg(a.trail ORDER BY a.seq)
				FROM audit_events a WHERE coalesce(a.contract_number, 0) = c.number),
				'[]'::json))
		FROM contracts c JOIN organizations o ON o.id = c.initiator_org_id
			LEFT JOIN business_types bt ON bt.code = c.business_type
		WHERE c.number = p_number);
END
$$;
