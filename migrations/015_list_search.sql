-- 015_list_search.sql: text search in the contract lists (issue 14).
--
-- A list's q used to be checked per row as c_name ILIKE '%q%' OR
-- number::text LIKE '%q%' while walking the tab's index in order: ILIKE
-- lowers the whole name again for every row (0.6 µs a row here), and a
-- common word that matches nothing in a large tab ("lease" in a signed tab of
-- 100,000) walked all of it (842 ms at 1,000,000 contracts). Two changes:
--
-- * Each tab's index carries the lowered name (c_name_lc, name_lc: stored,
--   generated from the name), so the walk checks lower(name) LIKE lower(q),
--   which is what ILIKE does, without lowering per row (db/lists.c).
-- * Each tab has a trigram index of its own rows by organization (btree_gin
--   puts the organization in the same GIN index): a word that is rare in the
--   caller's tab is found there without walking the tab, and a word that is
--   common in other organizations' rows or other tabs does not make a
--   bitmap of all of them. db/lists.c walks the first rows of the tab and
--   asks list_text_tids() only when the walk did not find enough matches.

CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE parties ADD COLUMN c_name_lc text GENERATED ALWAYS AS (lower(c_name)) STORED;
ALTER TABLE contracts ADD COLUMN name_lc text GENERATED ALWAYS AS (lower(name)) STORED;

-- The tabs' indexes of 011 with the lowered name in place of the name (which
-- only the search read).
DROP INDEX parties_todo_idx, parties_signed_idx, parties_cc_idx, contracts_initiated_idx,
	contracts_drafts_idx, parties_name_trgm_idx;
CREATE INDEX parties_todo_idx ON parties (organization_id, c_created_at DESC, contract_number DESC)
	INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_name_lc)
	WHERE role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing';
CREATE INDEX parties_signed_idx ON parties (organization_id, c_created_at DESC,
	contract_number DESC) INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_name_lc)
	WHERE role = 'signer' AND status IN ('signed', 'sent');
CREATE INDEX parties_cc_idx ON parties (organization_id, c_created_at DESC, contract_number DESC)
	INCLUDE (status, c_status, c_business_type, c_initiator_org_id, c_name_lc)
	WHERE role = 'cc' AND c_status <> 'draft';
CREATE INDEX contracts_initiated_idx ON contracts (initiator_org_id, created_at DESC, number DESC)
	INCLUDE (status, business_type, name_lc) WHERE status <> 'draft';
CREATE INDEX contracts_drafts_idx ON contracts (initiator_org_id, created_at DESC, number DESC)
	INCLUDE (status, business_type, name_lc) WHERE status = 'draft';

-- Each tab's rows by organization and trigram of the lowered name and of the
-- number. They replace the trigram indexes of every party's number (011) and
-- of every contract's name and number (003), which only the lists read: each
-- contract or party update no longer writes those.
DROP INDEX parties_number_trgm_idx, contracts_name_trgm_idx, contracts_number_trgm_idx;
CREATE INDEX parties_todo_text_idx ON parties USING gin (organization_id,
	c_name_lc gin_trgm_ops, (contract_number::text) gin_trgm_ops)
	WHERE role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing';
CREATE INDEX parties_signed_text_idx ON parties USING gin (organization_id,
	c_name_lc gin_trgm_ops, (contract_number::text) gin_trgm_ops)
	WHERE role = 'signer' AND status IN ('signed', 'sent');
CREATE INDEX parties_cc_text_idx ON parties USING gin (organization_id,
	c_name_lc gin_trgm_ops, (contract_number::text) gin_trgm_ops)
	WHERE role = 'cc' AND c_status <> 'draft';
CREATE INDEX contracts_initiated_text_idx ON contracts USING gin (initiator_org_id,
	name_lc gin_trgm_ops, (number::text) gin_trgm_ops) WHERE status <> 'draft';
CREATE INDEX contracts_drafts_text_idx ON contracts USING gin (initiator_org_id,
	name_lc gin_trgm_ops, (number::text) gin_trgm_ops) WHERE status = 'draft';

-- The rows of p_org's tab p_tab whose lowered name is LIKE p_like (already
-- lowered and escaped), or whose number is when p_number: candidates for
-- db/lists.c, which checks every condition again on the rows it fetches by
-- these ctids (in the same snapshot: the function is STABLE). Only bitmap
-- scans are allowed: the planner, which estimates a word's frequency over
-- the whole table and not in this tab, would otherwise walk the tab's
-- btree index past every row, which is what db/lists.c just did for its
-- first rows before it asked here.
CREATE FUNCTION list_text_tids(p_org bigint, p_tab text, p_like text, p_number boolean)
RETURNS tid[] LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off AS $$
BEGIN
	IF p_tab = 'todo' AND NOT p_number THEN
		RETURN ARRAY(SELECT ctid FROM parties WHERE organization_id = p_org AND role = 'signer'
			AND status IN ('pending', 'received', 'signed') AND c_status = 'signing'
			AND c_name_lc LIKE p_like);
	ELSIF p_tab = 'todo' THEN
		RETURN ARRAY(SELECT ctid FROM parties WHERE organization_id = p_org AND role = 'signer'
			AND status IN ('pending', 'received', 'signed') AND c_status = 'signing'
			AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like));
	ELSIF p_tab = 'signed' AND NOT p_number THEN
		RETURN ARRAY(SELECT ctid FROM parties WHERE organization_id = p_org AND role = 'signer'
			AND status IN ('signed', 'sent') AND c_name_lc LIKE p_like);
	ELSIF p_tab = 'signed' THEN
		RETURN ARRAY(SELECT ctid FROM parties WHERE organization_id = p_org AND role = 'signer'
			AND status IN ('signed', 'sent')
			AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like));
	ELSIF p_tab = 'cc' AND NOT p_number THEN
		RETURN ARRAY(SELECT ctid FROM parties WHERE organization_id = p_org AND role = 'cc'
			AND c_status <> 'draft' AND c_name_lc LIKE p_like);
	ELSIF p_tab = 'cc' THEN
		RETURN ARRAY(SELECT ctid FROM parties WHERE organization_id = p_org AND role = 'cc'
			AND c_status <> 'draft'
			AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like));
	ELSIF p_tab = 'initiated' AND NOT p_number THEN
		RETURN ARRAY(SELECT ctid FROM contracts WHERE initiator_org_id = p_org
			AND status <> 'draft' AND name_lc LIKE p_like);
	ELSIF p_tab = 'initiated' THEN
		RETURN ARRAY(SELECT ctid FROM contracts WHERE initiator_org_id = p_org
			AND status <> 'draft' AND (name_lc LIKE p_like OR number::text LIKE p_like));
	ELSIF p_tab = 'drafts' AND NOT p_number THEN
		RETURN ARRAY(SELECT ctid FROM contracts WHERE initiator_org_id = p_org
			AND status = 'draft' AND name_lc LIKE p_like);
	ELSIF p_tab = 'drafts' THEN
		RETURN ARRAY(SELECT ctid FROM contracts WHERE initiator_org_id = p_org
			AND status = 'draft' AND (name_lc LIKE p_like OR number::text LIKE p_like));
	END IF;
	RAISE EXCEPTION 'list_text_tids: no tab %', p_tab USING ERRCODE = 'invalid_parameter_value';
END
$$;

-- A list page's items as a JSON array, in the order of p_numbers (p_mine:
-- the caller's party status on each, NULL in the initiator's tabs). The
-- statement of db/lists.c, which is planned at every request, used to carry
-- this part (joins and a business_type_name() call per item, a SQL function
-- with a sub-select that is not inlined and so ran its own executor ten times
-- a page): as PL/pgSQL its plan is kept per session. What each item holds is
-- unchanged.
CREATE FUNCTION list_page_json(p_numbers bigint[], p_mine text[]) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(jsonb_build_object('number', c.number::text, 'name', c.name,
				'business_type', c.business_type,
				'business_type_name', coalesce(bt.display_name, c.business_type),
				'status', c.status,
				'initiator', jsonb_build_object('name', io.name, 'credit_code', io.credit_code),
				'created_at', wf_ts(c.created_at), 'sent_at', wf_ts(c.sent_at),
				'deadline', wf_ts(c.deadline), 'completed_at', wf_ts(c.completed_at),
				'my_status', x.mine) ORDER BY x.k)
		FROM unnest(p_numbers, p_mine) WITH ORDINALITY x (n, mine, k)
		JOIN contracts c ON c.number = x.n
		JOIN organizations io ON io.id = c.initiator_org_id
		LEFT JOIN business_types bt ON bt.code = c.business_type), '[]')::text;
END
$$;
