-- 018_list_text_rows.sql: a list's text search from the trigram index, the rows
-- fetched once and the organization's key only where it narrows (issue 14).
--
-- 015's list_text_tids() gave db/lists.c the ctids of the candidates, which
-- the statement then fetched again by ctid (a Tid Scan: every candidate's
-- heap tuple read twice), and it always put the organization in the GIN
-- index's condition. That key is what keeps a word that is common in other
-- organizations' rows from making a bitmap of all of them; but when the
-- organization owns most of the tab, its entry is a posting tree of most of
-- the index's rows, and each of the text's bitmap scans (two for digits:
-- name OR number) decodes it page by page to intersect it with a handful of
-- matches. At 1,000,000 contracts, a supplier that is a signer on all of
-- them, q=4711: 497 of the 594 index pages read were the organization's
-- (5.5 ms); without the key, 23.
--
-- So the organization's key is used only when its rows are less than half
-- of the tab's (list_counts against the tab's btree index size, which
-- VACUUM, ANALYZE and CREATE INDEX keep): otherwise the rows of the other
-- organizations that also match cost at most as many heap fetches again as
-- the organization's own matches, while the key costs a pass over half the
-- index or more. Either way the rows are the same: the organization is
-- checked on every row (as "organization_id + 0", which no index can serve,
-- when the key is not to be used), and db/lists.c checks every condition
-- again on the rows returned. An earlier attempt that dropped the key for
-- every organization made a rare word in a small organization's tab as
-- costly as its matches in the whole platform; this one keeps the key there.
--
-- The functions return the rows themselves (SETOF parties / contracts), so
-- db/lists.c reads them from the function instead of fetching them again.

-- Whether p_org's rows are few enough in the tab whose btree index is
-- p_index for the trigram index's organization key to narrow the search.
-- The tab's size is the index's tuple density times its current size, as
-- the planner estimates it (reltuples alone lags a table that grew since
-- it was last vacuumed or analyzed). Unknown sizes (never analyzed:
-- reltuples -1) keep the key, as 015 did.
CREATE FUNCTION list_text_org_key(p_org bigint, p_tab text, p_index regclass) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT 2 * sum(n) FROM list_counts
			WHERE organization_id = p_org AND tab = p_tab)
		< (SELECT CASE WHEN relpages > 0 THEN reltuples / relpages
				* (pg_relation_size(oid) / current_setting('block_size')::integer)
				ELSE reltuples END
			FROM pg_class WHERE oid = p_index AND reltuples > 0), true)
$$;

-- The rows of p_org's party tab p_tab (todo, signed, cc) whose lowered name
-- is LIKE p_like (lowered and escaped by the caller), or whose number is when
-- p_number. Only bitmap scans are allowed: the planner estimates a word's
-- frequency over the whole table, not in this tab, and would otherwise walk
-- the tab's btree index past every row, which db/lists.c did for the first
-- rows before it asked here. The condition of each tab is its indexes'
-- predicate (015), so that they apply.
CREATE FUNCTION list_text_parties(p_org bigint, p_tab text, p_like text, p_number boolean)
RETURNS SETOF parties LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off AS $$
DECLARE
	cond text := CASE p_tab
		WHEN 'todo' THEN 'role = ''signer'' AND status IN (''pending'', ''received'', '
			'''signed'') AND c_status = ''signing'''
		WHEN 'signed' THEN 'role = ''signer'' AND status IN (''signed'', ''sent'')'
		WHEN 'cc' THEN 'role = ''cc'' AND c_status <> ''draft''' END;
BEGIN
	IF cond IS NULL THEN
		RAISE EXCEPTION 'list_text_parties: no tab %', p_tab
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE format('SELECT * FROM parties WHERE %s = $1 AND %s AND '
			'(c_name_lc LIKE $2%s)',
		CASE WHEN list_text_org_key(p_org, p_tab, format('parties_%s_idx', p_tab)::regclass)
			THEN 'organization_id' ELSE 'organization_id + 0' END, cond,
		CASE WHEN p_number THEN ' OR contract_number::text LIKE $2' ELSE '' END)
		USING p_org, p_like;
END
$$;

-- The same for the initiator's tabs (initiated, drafts) on contracts.
CREATE FUNCTION list_text_contracts(p_org bigint, p_tab text, p_like text, p_number boolean)
RETURNS SETOF contracts LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off AS $$
DECLARE
	cond text := CASE p_tab
		WHEN 'initiated' THEN 'status <> ''draft'''
		WHEN 'drafts' THEN 'status = ''draft''' END;
BEGIN
	IF cond IS NULL THEN
		RAISE EXCEPTION 'list_text_contracts: no tab %', p_tab
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE format('SELECT * FROM contracts WHERE %s = $1 AND %s AND '
			'(name_lc LIKE $2%s)',
		CASE WHEN list_text_org_key(p_org, p_tab, format('contracts_%s_idx', p_tab)::regclass)
			THEN 'initiator_org_id' ELSE 'initiator_org_id + 0' END, cond,
		CASE WHEN p_number THEN ' OR number::text LIKE $2' ELSE '' END)
		USING p_org, p_like;
END
$$;

-- db/lists.c no longer asks for ctids.
DROP FUNCTION list_text_tids(bigint, text, text, boolean);
