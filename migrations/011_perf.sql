-- 011_perf.sql: the server path without repeated work (issue 14).
--
-- Lists. A list page used to count every row of its tab (count(*) over the
-- tab's index: 43 of 44 ms of the to-do list at 100,000 contracts). The size
-- of each organization's five tabs is kept here instead, by statement-level
-- triggers on parties and contracts, so an unfiltered list reads its total
-- from at most 16 rows. Each backend adds to its own slot (its pid mod 16):
-- concurrent signings of one organization do not queue on one counter row.
-- A filtered list still counts, bounded (db/lists.c).

CREATE TABLE list_counts (
	organization_id bigint NOT NULL,
	tab             text NOT NULL CHECK (tab IN ('todo', 'initiated', 'signed', 'cc', 'drafts')),
	slot            smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
	n               bigint NOT NULL,
	PRIMARY KEY (organization_id, tab, slot)
);

-- The tabs a party row is in: the predicates of the party tabs' indexes (003).
CREATE FUNCTION list_party_tabs(p_role text, p_status text, p_c_status text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT array_remove(ARRAY[
		CASE WHEN p_role = 'signer' AND p_status IN ('pending', 'received', 'signed')
			AND p_c_status = 'signing' THEN 'todo' END,
		CASE WHEN p_role = 'signer' AND p_status IN ('signed', 'sent') THEN 'signed' END,
		CASE WHEN p_role = 'cc' AND p_c_status <> 'draft' THEN 'cc' END], NULL)
$$;

-- The tab a contract row is in, for its initiator.
CREATE FUNCTION list_contract_tab(p_status text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_status = 'draft' THEN 'drafts' ELSE 'initiated' END
$$;

-- Add the signed changes d per (organization, tab), in key order so that two
-- transactions touching the same slot rows lock them in the same order.
CREATE FUNCTION list_counts_add(d jsonb) RETURNS void LANGUAGE sql AS $$
	INSERT INTO list_counts (organization_id, tab, slot, n)
	SELECT (e->>0)::bigint, e->>1, pg_backend_pid() % 16, (e->>2)::bigint
	FROM jsonb_array_elements(d) e
	ORDER BY 1, 2
	ON CONFLICT (organization_id, tab, slot) DO UPDATE SET n = list_counts.n + EXCLUDED.n
$$;

CREATE FUNCTION list_counts_parties() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d jsonb;
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT jsonb_agg(jsonb_build_array(organization_id, tab, k)) INTO d FROM (
			SELECT organization_id, tab, count(*) AS k
			FROM new_rows, unnest(list_party_tabs(role, status, c_status)) tab
			GROUP BY 1, 2) x;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT jsonb_agg(jsonb_build_array(organization_id, tab, -k)) INTO d FROM (
			SELECT organization_id, tab, count(*) AS k
			FROM old_rows, unnest(list_party_tabs(role, status, c_status)) tab
			GROUP BY 1, 2) x;
	ELSE
		SELECT jsonb_agg(jsonb_build_array(organization_id, tab, k)) INTO d FROM (
			SELECT organization_id, tab, sum(k) AS k FROM (
				SELECT organization_id, tab, 1 AS k
				FROM new_rows, unnest(list_party_tabs(role, status, c_status)) tab
				UNION ALL
				SELECT organization_id, tab, -1
				FROM old_rows, unnest(list_party_tabs(role, status, c_status)) tab) u
			GROUP BY 1, 2 HAVING sum(k) <> 0) x;
	END IF;
	IF d IS NOT NULL THEN
		PERFORM list_counts_add(d);
	END IF;
	RETURN NULL;
END
$$;

CREATE FUNCTION list_counts_contracts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d jsonb;
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT jsonb_agg(jsonb_build_array(initiator_org_id, tab, k)) INTO d FROM (
			SELECT initiator_org_id, list_contract_tab(status) AS tab, count(*) AS k
			FROM new_rows GROUP BY 1, 2) x;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT jsonb_agg(jsonb_build_array(initiator_org_id, tab, -k)) INTO d FROM (
			SELECT initiator_org_id, list_contract_tab(status) AS tab, count(*) AS k
			FROM old_rows GROUP BY 1, 2) x;
	ELSE
		SELECT jsonb_agg(jsonb_build_array(initiator_org_id, tab, k)) INTO d FROM (
			SELECT initiator_org_id, tab, sum(k) AS k FROM (
				SELECT initiator_org_id, list_contract_tab(status) AS tab, 1 AS k
				FROM new_rows
				UNION ALL
				SELECT initiator_org_id, list_contract_tab(status), -1 FROM old_rows) u
			GROUP BY 1, 2 HAVING sum(k) <> 0) x;
	END IF;
	IF d IS NOT NULL THEN
		PERFORM list_counts_add(d);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER list_counts_parties_ins AFTER INSERT ON parties
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION list_counts_parties();
CREATE TRIGGER list_counts_parties_upd AFTER UPDATE ON parties
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION list_counts_parties();
CREATE TRIGGER list_counts_parties_del AFTER DELETE ON parties
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION list_counts_parties();
CREATE TRIGGER list_counts_contracts_ins AFTER INSERT ON contracts
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION list_counts_contracts();
CREATE TRIGGER list_counts_contracts_upd AFTER UPDATE ON contracts
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION list_counts_contracts();
CREATE TRIGGER list_counts_contracts_del AFTER DELETE ON contracts
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION list_counts_contracts();

-- What is there already.
INSERT INTO list_counts (organization_id, tab, slot, n)
SELECT organization_id, tab, 0, count(*)
FROM parties, unnest(list_party_tabs(role, status, c_status)) tab GROUP BY 1, 2;
INSERT INTO list_counts (organization_id, tab, slot, n)
SELECT initiator_org_id, list_contract_tab(status), 0, count(*) FROM contracts GROUP BY 1, 2;

-- A tab's size: what an unfiltered list reports as its total.
CREATE FUNCTION list_count(p_org bigint, p_tab text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT coalesce(sum(n), 0)::bigint FROM list_counts WHERE organization_id = p_org AND tab = p_tab
$$;

-- Filters that select few rows find them through an index of their own
-- instead of walking the tab's index past everything else (the planner,
-- which plans each list with its actual values, picks the cheaper way): the
-- contract's name is copied onto each party row like the other contract
-- columns of 003 (text search by trigram, or index-only in the tab's own
-- order when most rows match), and the party tabs have an index by
-- initiator and one by creation time.
ALTER TABLE parties ADD COLUMN c_name text;
UPDATE parties p SET c_name = c.name FROM contracts c WHERE c.number = p.contract_number;

CREATE OR REPLACE FUNCTION parties_copy_contract() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	SELECT status, business_type, initiator_org_id, created_at, name
	INTO NEW.c_status, NEW.c_business_type, NEW.c_initiator_org_id, NEW.c_created_at, NEW.c_name
	FROM contracts WHERE number = NEW.contract_number;
	RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION contracts_sync_parties() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE parties SET c_status = NEW.status, c_business_type = NEW.business_type,
		c_name = NEW.name
	WHERE contract_number = NEW.number;
	RETURN NULL;
END
$$;
DROP TRIGGER contracts_sync_parties ON contracts;
CREATE TRIGGER contracts_sync_parties AFTER UPDATE OF status, business_type, name ON contracts
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
		OR OLD.business_type IS DISTINCT FROM NEW.business_type
		OR OLD.name IS DISTINCT FROM NEW.name)
	EXECUTE FUNCTION contracts_sync_parties();

-- The tabs' indexes are ordered by creation time, then number: "newest
-- first" as before (numbers are time-ordered), and a created_from/created_to
-- range is a range of the index instead of a walk past every newer row.
DROP INDEX parties_todo_idx, parties_signed_idx, parties_cc_idx, contracts_initiated_idx,
	contracts_drafts_idx;
CREATE INDEX parties_todo_idx ON parties (organization_id, c_created_at DESC, contract_number DESC)
	INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_name)
	WHERE role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing';
CREATE INDEX parties_signed_idx ON parties (organization_id, c_created_at DESC,
	contract_number DESC) INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_name)
	WHERE role = 'signer' AND status IN ('signed', 'sent');
CREATE INDEX parties_cc_idx ON parties (organization_id, c_created_at DESC, contract_number DESC)
	INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_name)
	WHERE role = 'cc' AND c_status <> 'draft';
CREATE INDEX contracts_initiated_idx ON contracts (initiator_org_id, created_at DESC, number DESC)
	INCLUDE (status, business_type, name) WHERE status <> 'draft';
CREATE INDEX contracts_drafts_idx ON contracts (initiator_org_id, created_at DESC, number DESC)
	INCLUDE (status, business_type, name) WHERE status = 'draft';
CREATE INDEX parties_name_trgm_idx ON parties USING gin (c_name gin_trgm_ops);
CREATE INDEX parties_number_trgm_idx ON parties USING gin ((contract_number::text) gin_trgm_ops);
CREATE INDEX parties_initiator_idx ON parties (organization_id, c_initiator_org_id,
	c_created_at DESC, contract_number DESC) INCLUDE (role, status, c_status, c_business_type);

-- ---------------------------------------------------------------------------
-- Each update stored once. A signing session holds its prepared update only
-- while it can still complete: once completed (the revision now holds the
-- same bytes, signed) or aborted, the copy is dropped. Completed sessions
-- stay as the record of what was prepared (offsets, signed attributes,
-- certificate).
ALTER TABLE signing_sessions ALTER COLUMN delta DROP NOT NULL;
ALTER TABLE signing_sessions ADD CONSTRAINT signing_sessions_delta_open
	CHECK ((state = 'open') = (delta IS NOT NULL)) NOT VALID;
UPDATE signing_sessions SET delta = NULL WHERE state <> 'open';
ALTER TABLE signing_sessions VALIDATE CONSTRAINT signing_sessions_delta_open;

CREATE FUNCTION signing_sessions_drop_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.state <> 'open' THEN
		NEW.delta := NULL;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER signing_sessions_drop_delta BEFORE UPDATE OF state ON signing_sessions
	FOR EACH ROW EXECUTE FUNCTION signing_sessions_drop_delta();

-- A revision's length is its predecessor's plus its update: checked without
-- reassembling the document in SQL (a 10 MB contract's k-th signature used
-- to concatenate and hash k + 1 rows). The server hashed the document it
-- built and verified; revision 0 (the whole upload) is still hashed here.
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
		RETURN NEW;
	END IF;
	-- Lock the predecessor: two signatures racing onto the same revision
	-- serialize here, and the primary key refuses the loser.
	SELECT length INTO prev_length FROM revisions
	WHERE contract_number = NEW.contract_number AND seq = NEW.seq - 1 FOR SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'revision % of contract % has no predecessor', NEW.seq,
			NEW.contract_number USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF NEW.length <> prev_length + length(NEW.delta) THEN
		RAISE EXCEPTION 'revision % of contract %: length % but the document has % bytes',
			NEW.seq, NEW.contract_number, NEW.length, prev_length + length(NEW.delta)
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- contract_json (008), the same query as PL/pgSQL: a SQL function that is not
-- inlined plans its query again at every call, and every state change answers
-- with this document (3.6 ms of PostgreSQL's 8 ms per signing went to it);
-- PL/pgSQL keeps the plan for the session. The document is unchanged.
CREATE OR REPLACE FUNCTION contract_json(p_number bigint, p_org bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT jsonb_build_object(
			'number', c.number::text, 'name', c.name, 'business_type', c.business_type,
			'business_type_name', business_type_name(c.business_type),
			'status', c.status, 'deadline', wf_ts(c.deadline),
			'created_at', wf_ts(c.created_at), 'updated_at', wf_ts(c.updated_at),
			'sent_at', wf_ts(c.sent_at), 'completed_at', wf_ts(c.completed_at),
			'page_count', c.page_count, 'sha256', c.sha256,
			'initiator', jsonb_build_object('name', o.name, 'credit_code', o.credit_code),
			'is_initiator', c.initiator_org_id = p_org,
			'reject_reason', (SELECT reject_reason FROM parties WHERE contract_number = c.number
				AND status = 'rejected' LIMIT 1),
			'document_url', '/api/v1/contracts/' || c.number || '/document',
			'parties', coalesce((SELECT jsonb_agg(jsonb_build_object(
					'credit_code', po.credit_code, 'name', po.name, 'role', p.role,
					'routing_order', p.routing_order, 'status', p.status,
					'reject_reason', p.reject_reason, 'received_at', wf_ts(p.received_at),
					'signed_at', wf_ts(p.signed_at), 'sent_at', wf_ts(p.sent_at),
					'rejected_at', wf_ts(p.rejected_at), 'is_me', p.organization_id = p_org)
					ORDER BY p.routing_order, p.role DESC, p.id)
				FROM parties p JOIN organizations po ON po.id = p.organization_id
				WHERE p.contract_number = c.number), '[]'::jsonb),
			'revisions', coalesce((SELECT jsonb_agg(jsonb_build_object('seq', r.seq,
					'length', r.length, 'sha256', r.sha256, 'created_at', wf_ts(r.created_at),
					'signed_by', (SELECT po.credit_code FROM parties p JOIN organizations po
						ON po.id = p.organization_id WHERE p.id = r.party_id),
					'document_url', '/api/v1/contracts/' || c.number || '/revisions/'
						|| r.seq || '/document') ORDER BY r.seq)
				FROM revisions r WHERE r.contract_number = c.number), '[]'::jsonb),
			'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('seq', a.seq,
					'action', a.action, 'actor', ao.credit_code, 'at', wf_ts(a.at),
					'details', a.details, 'hash', encode(a.hash, 'hex')) ORDER BY a.seq)
				FROM audit_events a LEFT JOIN organizations ao ON ao.id = a.actor_org_id
				WHERE a.contract_number = c.number), '[]'::jsonb))
		FROM contracts c JOIN organizations o ON o.id = c.initiator_org_id
		WHERE c.number = p_number);
END
$$;
