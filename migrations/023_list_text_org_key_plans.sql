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
