-- 023_list_text_org_key_plans.sql: the organization-key test of a list's text
-- search with its plans kept per session (issue 14).
--
-- list_text_org_key() (018) was a SQL function whose body calls
-- pg_relation_size(), which is volatile: PostgreSQL does not inline such a
-- function into a caller, so every call (one per text search that reaches
-- the trigram index, from list_text_parties or list_text_contracts) parsed
-- and planned its two sub-selects again. Under perf at 100,000 contracts
-- (q=4711, the to-do tab) that was 12 % of the backend's samples for the
-- statement, more than the trigram index's bitmap scan it decides on. As
-- PL/pgSQL its two queries are planned once per session. What it returns is
-- unchanged: true when p_org's rows in the tab are less than half of the
-- rows of the tab's btree index p_index (the index's tuple density times its
-- current size, as the planner estimates it), and true when a size is
-- unknown (never analyzed: reltuples -1, or no list_counts rows).

CREATE OR REPLACE FUNCTION list_text_org_key(p_org bigint, p_tab text, p_index regclass)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_mine numeric;
	v_tab double precision;
BEGIN
	SELECT 2 * sum(c.n) INTO v_mine FROM list_counts c
	WHERE c.organization_id = p_org AND c.tab = p_tab;
	SELECT CASE WHEN r.relpages > 0 THEN r.reltuples / r.relpages
			* (pg_relation_size(r.oid) / current_setting('block_size')::integer)
		ELSE r.reltuples END
	INTO v_tab FROM pg_class r WHERE r.oid = p_index AND r.reltuples > 0;
	RETURN coalesce(v_mine < v_tab, true);
END
$$;

-- A filtered list's text search answered from the tab's trigram index, whole:
-- the total (the matches, counted as far as p_need), whether more follow the
-- page, and the page's items (list_page_json, 015), p_lim rows from p_off.
-- db/lists.c calls it when the walk of the tab's first rows did not find
-- p_need matches, for a first page or a page by number (no "after"): the
-- statement's other branch reads the walk. As the branch of the statement it
-- replaces (the text function's rows, the conditions, a sort and a limit) it
-- was planned and started at every request even when the walk answered, about
-- a fifth of a common word's statement at 100,000 contracts; here its plan is
-- kept per session, and the statement holds only the call. The candidates are
-- the rows of p_org's tab whose name (or number, when p_number) is LIKE
-- p_like, from list_text_parties / list_text_contracts (018, 020); the other
-- filters are checked on them as the statement checked them: p_status the
-- contract's status, p_btype the business type's code ('' when the filter
-- names none: nothing matches), p_initiators the initiators' ids (NULL: no
-- filter), p_from / p_to the creation time's bounds; a NULL is an absent filter.
CREATE FUNCTION list_text_page(p_org bigint, p_tab text, p_like text, p_number boolean,
	p_status text, p_btype text, p_initiators bigint[], p_from timestamptz, p_to timestamptz,
	p_lim integer, p_off integer, p_need integer,
	OUT total bigint, OUT has_more boolean, OUT items text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	ns bigint[];
	ms text[];
BEGIN
	IF p_tab IN ('todo', 'signed', 'cc') THEN
		SELECT count(*), count(*) > p_off + p_lim,
			array_agg(x.n ORDER BY x.k) FILTER (WHERE x.k > p_off AND x.k <= p_off + p_lim),
			array_agg(x.mine ORDER BY x.k) FILTER (WHERE x.k > p_off AND x.k <= p_off + p_lim)
		INTO total, has_more, ns, ms
		FROM (SELECT c.n, c.mine, row_number() OVER (ORDER BY c.ct DESC, c.n DESC) AS k
			FROM (SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine
				FROM list_text_parties(p_org, p_tab, p_like, p_number) t
				WHERE (p_status IS NULL OR t.c_status = p_status)
					AND (p_btype IS NULL OR t.c_business_type = p_btype)
					AND (p_initiators IS NULL OR t.c_initiator_org_id = ANY (p_initiators))
					AND (p_from IS NULL OR t.c_created_at >= p_from)
					AND (p_to IS NULL OR t.c_created_at <= p_to)
				ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT p_need) c) x;
	ELSE
		SELECT count(*), count(*) > p_off + p_lim,
			array_agg(x.n ORDER BY x.k) FILTER (WHERE x.k > p_off AND x.k <= p_off + p_lim),
			array_agg(x.mine ORDER BY x.k) FILTER (WHERE x.k > p_off AND x.k <= p_off + p_lim)
		INTO total, has_more, ns, ms
		FROM (SELECT c.n, c.mine, row_number() OVER (ORDER BY c.ct DESC, c.n DESC) AS k
			FROM (SELECT t.number AS n, t.created_at AS ct, NULL::text AS mine
				FROM list_text_contracts(p_org, p_tab, p_like, p_number) t
				WHERE (p_status IS NULL OR t.status = p_status)
					AND (p_btype IS NULL OR t.business_type = p_btype)
					AND (p_initiators IS NULL OR t.initiator_org_id = ANY (p_initiators))
					AND (p_from IS NULL OR t.created_at >= p_from)
					AND (p_to IS NULL OR t.created_at <= p_to)
				ORDER BY t.created_at DESC, t.number DESC LIMIT p_need) c) x;
	END IF;
	items := list_page_json(coalesce(ns, '{}'), coalesce(ms, '{}'));
END
$$;
