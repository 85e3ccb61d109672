-- 027_list_plans.sql: the lists' per-request work in PostgreSQL (issue 14).
--
-- list_page_json (015) built each page item as a jsonb object and the page
-- with jsonb_agg, then printed the jsonb as text: jsonb sorts each object's
-- keys and the whole page is built twice (as jsonb, then as text), about
-- 13 µs of backend CPU an item (0.14 ms of a 10-item page, 0.28 ms of 20).
-- Here the text is written directly, in the order and with the spacing
-- jsonb prints (keys by length, then bytes; ", " and ": "), each string
-- escaped by to_json(text), which is the escaping jsonb's output uses: the
-- same bytes (checked over every contract of the bench's data set, and
-- names with quotes, backslashes, control characters and non-ASCII), in
-- about 5 µs an item. Its plan is generic from the first call: with
-- plan_cache_mode auto an empty page (no rows matched) was planned again at
-- every call, 0.25 ms for nothing; the join is the same for any page (at
-- most 100 numbers, each looked up by key).
CREATE OR REPLACE FUNCTION list_page_json(p_numbers bigint[], p_mine text[]) RETURNS text
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
	RETURN coalesce((
		SELECT '[' || string_agg('{"name": ' || to_json(c.name)::text
				|| ', "number": "' || c.number::text
				|| '", "status": ' || to_json(c.status)::text
				|| ', "sent_at": ' || coalesce('"' || wf_ts(c.sent_at) || '"', 'null')
				|| ', "deadline": ' || coalesce('"' || wf_ts(c.deadline) || '"', 'null')
				|| ', "initiator": {"name": ' || to_json(io.name)::text
				|| ', "credit_code": ' || to_json(io.credit_code)::text
				|| '}, "my_status": ' || coalesce(to_json(x.mine)::text, 'null')
				|| ', "created_at": "' || wf_ts(c.created_at)
				|| '", "completed_at": ' || coalesce('"' || wf_ts(c.completed_at) || '"', 'null')
				|| ', "business_type": ' || to_json(c.business_type)::text
				|| ', "business_type_name": '
				|| to_json(coalesce(bt.display_name, c.business_type))::text || '}',
			', ' ORDER BY x.k) || ']'
		FROM unnest(p_numbers, p_mine) WITH ORDINALITY x (n, mine, k)
		JOIN contracts c ON c.number = x.n
		JOIN organizations io ON io.id = c.initiator_org_id
		LEFT JOIN business_types bt ON bt.code = c.business_type), '[]');
END
$$;

-- A filtered list's text search, whole, with its plans kept per session:
-- the probe of the tab's newest rows, the walk, and the trigram index's
-- answer (list_text_page, 023) when the walk found fewer than p_need
-- matches. db/lists.c wrote the probe and the walk into each request's
-- statement, so PostgreSQL parsed and planned two more scans of the tab at
-- every search (each of parties' twelve indexes considered, the partial
-- ones' predicates proved): at 100,000 contracts that planning was about
-- half of the backend's CPU for q=4711 (0.6 of 1.2 ms). Here each tab's
-- probe and walk are written out once; what they compute is unchanged:
--   the probe: how many of the first 256 rows of the tab, with the other
--   filters, in the tab's order, match p_like (the lowered name, or the
--   number when p_number);
--   the walk, when the probe's matches scaled to p_walk rows reach a quarter
--   of p_need: the first p_need matches among the first max(p_walk, p_need)
--   rows; when it found p_need, the total is p_need and the page is theirs.
-- The other filters are as list_text_page takes them (NULL: absent); the
-- creation-time bounds are the index's range whether given or not
-- (-infinity and infinity when absent: created_at is never NULL), so the
-- plan kept for a tab is its index walked in order from the bound. The
-- plans are generic from the first call and sorts are off, so that a plan
-- cannot become a sort of the caller's whole tab: the probe and the walk are
-- the tab's index in its order, stopped by the LIMIT (todo with a business
-- type: parties_todo_btype_idx, 020). JIT is off: the cost a disabled sort
-- adds (list_text_page still sorts its candidates) made PostgreSQL compile
-- that statement, 174 ms for a query of 1 ms.
CREATE FUNCTION list_text_find(p_org bigint, p_tab text, p_like text, p_number boolean,
	p_status text, p_btype text, p_initiators bigint[], p_from timestamptz, p_to timestamptz,
	p_lim integer, p_off integer, p_need integer, p_walk integer,
	OUT total bigint, OUT has_more boolean, OUT items text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan SET enable_sort = off SET jit = off AS $$
DECLARE
	lo timestamptz := coalesce(p_from, '-infinity');
	hi timestamptz := coalesce(p_to, 'infinity');
	v_rows integer := greatest(p_walk, p_need);
	k bigint;
	ns bigint[];
	ms text[];
BEGIN
	-- The to-do tab holds contracts being signed only: a status filter is
	-- 'signing' (every row: not checked per row) or matches nothing, which
	-- list_text_page answers.
	IF p_tab = 'todo' AND p_status <> 'signing' THEN
		NULL;
	ELSIF p_tab = 'todo' AND p_btype IS NOT NULL THEN
		SELECT count(*) FILTER (WHERE w.hit) INTO k FROM (SELECT (t.c_name_lc LIKE p_like OR p_number AND t.contract_number::text LIKE p_like) AS hit
			FROM parties t WHERE t.organization_id = p_org AND t.role = 'signer'
				AND t.status IN ('pending', 'received', 'signed') AND t.c_status = 'signing'
				AND t.c_business_type = p_btype
				AND t.c_created_at >= lo AND t.c_created_at <= hi
				AND (p_initiators IS NULL OR t.c_initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT 256) w;
		IF k * 4 * p_walk >= p_need * 256 THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT w.n, w.mine, row_number() OVER (ORDER BY w.ct DESC, w.n DESC) AS r
				FROM (SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine, (t.c_name_lc LIKE p_like OR p_number AND t.contract_number::text LIKE p_like) AS hit
					FROM parties t WHERE t.organization_id = p_org AND t.role = 'signer'
					AND t.status IN ('pending', 'received', 'signed') AND t.c_status = 'signing'
					AND t.c_business_type = p_btype
					AND t.c_created_at >= lo AND t.c_created_at <= hi
					AND (p_initiators IS NULL OR t.c_initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT v_rows) w WHERE w.hit LIMIT p_need) x;
		END IF;
	ELSIF p_tab = 'todo' THEN
		SELECT count(*) FILTER (WHERE w.hit) INTO k FROM (SELECT (t.c_name_lc LIKE p_like OR p_number AND t.contract_number::text LIKE p_like) AS hit
			FROM parties t WHERE t.organization_id = p_org AND t.role = 'signer'
				AND t.status IN ('pending', 'received', 'signed') AND t.c_status = 'signing'
				AND t.c_created_at >= lo AND t.c_created_at <= hi
				AND (p_btype IS NULL OR t.c_business_type = p_btype)
				AND (p_initiators IS NULL OR t.c_initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT 256) w;
		IF k * 4 * p_walk >= p_need * 256 THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT w.n, w.mine, row_number() OVER (ORDER BY w.ct DESC, w.n DESC) AS r
				FROM (SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine, (t.c_name_lc LIKE p_like OR p_number AND t.contract_number::text LIKE p_like) AS hit
					FROM parties t WHERE t.organization_id = p_org AND t.role = 'signer'
					AND t.status IN ('pending', 'received', 'signed') AND t.c_status = 'signing'
					AND t.c_created_at >= lo AND t.c_created_at <= hi
					AND (p_btype IS NULL OR t.c_business_type = p_btype)
					AND (p_initiators IS NULL OR t.c_initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT v_rows) w WHERE w.hit LIMIT p_need) x;
		END IF;
	ELSIF p_tab = 'signed' THEN
		SELECT count(*) FILTER (WHERE w.hit) INTO k FROM (SELECT (t.c_name_lc LIKE p_like OR p_number AND t.contract_number::text LIKE p_like) AS hit
			FROM parties t WHERE t.organization_id = p_org AND t.role = 'signer'
				AND t.status IN ('signed', 'sent')
				AND t.c_created_at >= lo AND t.c_created_at <= hi
				AND (p_status IS NULL OR t.c_status = p_status)
				AND (p_btype IS NULL OR t.c_business_type = p_btype)
				AND (p_initiators IS NULL OR t.c_initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT 256) w;
		IF k * 4 * p_walk >= p_need * 256 THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT w.n, w.mine, row_number() OVER (ORDER BY w.ct DESC, w.n DESC) AS r
				FROM (SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine, (t.c_name_lc LIKE p_like OR p_number AND t.contract_number::text LIKE p_like) AS hit
					FROM parties t WHERE t.organization_id = p_org AND t.role = 'signer'
					AND t.status IN ('signed', 'sent')
					AND t.c_created_at >= lo AND t.c_created_at <= hi
					AND (p_status IS NULL OR t.c_status = p_status)
					AND (p_btype IS NULL OR t.c_business_type = p_btype)
					AND (p_initiators IS NULL OR t.c_initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT v_rows) w WHERE w.hit LIMIT p_need) x;
		END IF;
	ELSIF p_tab = 'cc' THEN
		SELECT count(*) FILTER (WHERE w.hit) INTO k FROM (SELECT (t.c_name_lc LIKE p_like OR p_number AND t.contract_number::text LIKE p_like) AS hit
			FROM parties t WHERE t.organization_id = p_org AND t.role = 'cc' AND t.c_status <> 'draft'
				AND t.c_created_at >= lo AND t.c_created_at <= hi
				AND (p_status IS NULL OR t.c_status = p_status)
				AND (p_btype IS NULL OR t.c_business_type = p_btype)
				AND (p_initiators IS NULL OR t.c_initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT 256) w;
		IF k * 4 * p_walk >= p_need * 256 THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT w.n, w.mine, row_number() OVER (ORDER BY w.ct DESC, w.n DESC) AS r
				FROM (SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine, (t.c_name_lc LIKE p_like OR p_number AND t.contract_number::text LIKE p_like) AS hit
					FROM parties t WHERE t.organization_id = p_org AND t.role = 'cc' AND t.c_status <> 'draft'
					AND t.c_created_at >= lo AND t.c_created_at <= hi
					AND (p_status IS NULL OR t.c_status = p_status)
					AND (p_btype IS NULL OR t.c_business_type = p_btype)
					AND (p_initiators IS NULL OR t.c_initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT v_rows) w WHERE w.hit LIMIT p_need) x;
		END IF;
	ELSIF p_tab = 'initiated' THEN
		SELECT count(*) FILTER (WHERE w.hit) INTO k FROM (SELECT (t.name_lc LIKE p_like OR p_number AND t.number::text LIKE p_like) AS hit
			FROM contracts t WHERE t.initiator_org_id = p_org AND t.status <> 'draft'
				AND t.created_at >= lo AND t.created_at <= hi
				AND (p_status IS NULL OR t.status = p_status)
				AND (p_btype IS NULL OR t.business_type = p_btype)
				AND (p_initiators IS NULL OR t.initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.created_at DESC, t.number DESC LIMIT 256) w;
		IF k * 4 * p_walk >= p_need * 256 THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT w.n, w.mine, row_number() OVER (ORDER BY w.ct DESC, w.n DESC) AS r
				FROM (SELECT t.number AS n, t.created_at AS ct, NULL::text AS mine, (t.name_lc LIKE p_like OR p_number AND t.number::text LIKE p_like) AS hit
					FROM contracts t WHERE t.initiator_org_id = p_org AND t.status <> 'draft'
					AND t.created_at >= lo AND t.created_at <= hi
					AND (p_status IS NULL OR t.status = p_status)
					AND (p_btype IS NULL OR t.business_type = p_btype)
					AND (p_initiators IS NULL OR t.initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.created_at DESC, t.number DESC LIMIT v_rows) w WHERE w.hit LIMIT p_need) x;
		END IF;
	ELSIF p_tab = 'drafts' THEN
		SELECT count(*) FILTER (WHERE w.hit) INTO k FROM (SELECT (t.name_lc LIKE p_like OR p_number AND t.number::text LIKE p_like) AS hit
			FROM contracts t WHERE t.initiator_org_id = p_org AND t.status = 'draft'
				AND t.created_at >= lo AND t.created_at <= hi
				AND (p_status IS NULL OR t.status = p_status)
				AND (p_btype IS NULL OR t.business_type = p_btype)
				AND (p_initiators IS NULL OR t.initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.created_at DESC, t.number DESC LIMIT 256) w;
		IF k * 4 * p_walk >= p_need * 256 THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT w.n, w.mine, row_number() OVER (ORDER BY w.ct DESC, w.n DESC) AS r
				FROM (SELECT t.number AS n, t.created_at AS ct, NULL::text AS mine, (t.name_lc LIKE p_like OR p_number AND t.number::text LIKE p_like) AS hit
					FROM contracts t WHERE t.initiator_org_id = p_org AND t.status = 'draft'
					AND t.created_at >= lo AND t.created_at <= hi
					AND (p_status IS NULL OR t.status = p_status)
					AND (p_btype IS NULL OR t.business_type = p_btype)
					AND (p_initiators IS NULL OR t.initiator_org_id IN (SELECT unnest(p_initiators)))
			ORDER BY t.created_at DESC, t.number DESC LIMIT v_rows) w WHERE w.hit LIMIT p_need) x;
		END IF;
	ELSE
		RAISE EXCEPTION 'list_text_find: no tab %', p_tab USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF total >= p_need THEN
		items := list_page_json(coalesce(ns, '{}'), coalesce(ms, '{}'));
		RETURN;
	END IF;
	SELECT p.total, p.has_more, p.items INTO total, has_more, items
	FROM list_text_page(p_org, p_tab, p_like, p_number, p_status, p_btype, p_initiators,
		p_from, p_to, p_lim, p_off, p_need) p;
END
$$;

-- A list filtered by initiator (without a text search that walks), whole,
-- with its plans kept per session: db/lists.c wrote both of the statement's
-- branches into every request (from each of at most 16 initiators, the first
-- p_need rows of the tab through its initiator's index, parties_initiator_idx
-- (011); or, for more initiators, a walk of the tab's index that checks the
-- initiator), and PostgreSQL planned both at every request, about half of
-- the backend's CPU for initiator=Initiator 42 at 100,000 contracts (0.7 of
-- 1.4 ms). Here one of them runs, chosen on the number of initiators as the
-- statement chose it; what each computes is unchanged: the first p_need rows
-- of p_org's tab p_tab (in its order) whose initiator is one of
-- p_initiators, with the other filters (NULL: absent), counted, and the page
-- of p_lim from p_off with list_page_json (015, 027). Plans as
-- list_text_find's; each scan reads only its index (no name: a text too
-- short for the trigram index, with an initiator filter, stays in
-- db/lists.c's statement).
CREATE FUNCTION list_initiators_page(p_org bigint, p_tab text, p_initiators bigint[],
	p_status text, p_btype text, p_from timestamptz, p_to timestamptz,
	p_lim integer, p_off integer, p_need integer,
	OUT total bigint, OUT has_more boolean, OUT items text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan SET enable_sort = off SET jit = off AS $$
DECLARE
	lo timestamptz := coalesce(p_from, '-infinity');
	hi timestamptz := coalesce(p_to, 'infinity');
	few boolean := coalesce(cardinality(p_initiators), 0) <= 16;
	ns bigint[];
	ms text[];
BEGIN
	-- As in list_text_find: in the to-do tab, status 'signing' is every row,
	-- another none.
	IF p_tab = 'todo' AND p_status <> 'signing' THEN
		total := 0;
		has_more := false;
	ELSIF p_tab = 'todo' THEN
		IF few THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT z.n, z.ct, z.mine FROM unnest(p_initiators) i (id), LATERAL (
					SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine FROM parties t
					WHERE t.organization_id = p_org AND t.role = 'signer'
						AND t.status IN ('pending', 'received', 'signed') AND t.c_status = 'signing' AND t.c_initiator_org_id = i.id
						AND t.c_created_at >= lo AND t.c_created_at <= hi
						AND (p_btype IS NULL OR t.c_business_type = p_btype)
					ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT p_need) z
				ORDER BY z.ct DESC, z.n DESC LIMIT p_need) y) x;
		ELSE
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine FROM parties t
					WHERE t.organization_id = p_org AND t.role = 'signer'
						AND t.status IN ('pending', 'received', 'signed') AND t.c_status = 'signing' AND t.c_initiator_org_id IN (SELECT unnest(p_initiators))
						AND t.c_created_at >= lo AND t.c_created_at <= hi
						AND (p_btype IS NULL OR t.c_business_type = p_btype)
					ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT p_need) y) x;
		END IF;
	ELSIF p_tab = 'signed' THEN
		IF few THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT z.n, z.ct, z.mine FROM unnest(p_initiators) i (id), LATERAL (
					SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine FROM parties t
					WHERE t.organization_id = p_org AND t.role = 'signer'
						AND t.status IN ('signed', 'sent') AND t.c_initiator_org_id = i.id
						AND t.c_created_at >= lo AND t.c_created_at <= hi
						AND (p_status IS NULL OR t.c_status = p_status)
						AND (p_btype IS NULL OR t.c_business_type = p_btype)
					ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT p_need) z
				ORDER BY z.ct DESC, z.n DESC LIMIT p_need) y) x;
		ELSE
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine FROM parties t
					WHERE t.organization_id = p_org AND t.role = 'signer'
						AND t.status IN ('signed', 'sent') AND t.c_initiator_org_id IN (SELECT unnest(p_initiators))
						AND t.c_created_at >= lo AND t.c_created_at <= hi
						AND (p_status IS NULL OR t.c_status = p_status)
						AND (p_btype IS NULL OR t.c_business_type = p_btype)
					ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT p_need) y) x;
		END IF;
	ELSIF p_tab = 'cc' THEN
		IF few THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT z.n, z.ct, z.mine FROM unnest(p_initiators) i (id), LATERAL (
					SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine FROM parties t
					WHERE t.organization_id = p_org AND t.role = 'cc' AND t.c_status <> 'draft' AND t.c_initiator_org_id = i.id
						AND t.c_created_at >= lo AND t.c_created_at <= hi
						AND (p_status IS NULL OR t.c_status = p_status)
						AND (p_btype IS NULL OR t.c_business_type = p_btype)
					ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT p_need) z
				ORDER BY z.ct DESC, z.n DESC LIMIT p_need) y) x;
		ELSE
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT t.contract_number AS n, t.c_created_at AS ct, t.status AS mine FROM parties t
					WHERE t.organization_id = p_org AND t.role = 'cc' AND t.c_status <> 'draft' AND t.c_initiator_org_id IN (SELECT unnest(p_initiators))
						AND t.c_created_at >= lo AND t.c_created_at <= hi
						AND (p_status IS NULL OR t.c_status = p_status)
						AND (p_btype IS NULL OR t.c_business_type = p_btype)
					ORDER BY t.c_created_at DESC, t.contract_number DESC LIMIT p_need) y) x;
		END IF;
	ELSIF p_tab = 'initiated' THEN
		IF few THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT z.n, z.ct, z.mine FROM unnest(p_initiators) i (id), LATERAL (
					SELECT t.number AS n, t.created_at AS ct, NULL::text AS mine FROM contracts t
					WHERE t.initiator_org_id = p_org AND t.status <> 'draft' AND t.initiator_org_id = i.id
						AND t.created_at >= lo AND t.created_at <= hi
						AND (p_status IS NULL OR t.status = p_status)
						AND (p_btype IS NULL OR t.business_type = p_btype)
					ORDER BY t.created_at DESC, t.number DESC LIMIT p_need) z
				ORDER BY z.ct DESC, z.n DESC LIMIT p_need) y) x;
		ELSE
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT t.number AS n, t.created_at AS ct, NULL::text AS mine FROM contracts t
					WHERE t.initiator_org_id = p_org AND t.status <> 'draft' AND t.initiator_org_id IN (SELECT unnest(p_initiators))
						AND t.created_at >= lo AND t.created_at <= hi
						AND (p_status IS NULL OR t.status = p_status)
						AND (p_btype IS NULL OR t.business_type = p_btype)
					ORDER BY t.created_at DESC, t.number DESC LIMIT p_need) y) x;
		END IF;
	ELSIF p_tab = 'drafts' THEN
		IF few THEN
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT z.n, z.ct, z.mine FROM unnest(p_initiators) i (id), LATERAL (
					SELECT t.number AS n, t.created_at AS ct, NULL::text AS mine FROM contracts t
					WHERE t.initiator_org_id = p_org AND t.status = 'draft' AND t.initiator_org_id = i.id
						AND t.created_at >= lo AND t.created_at <= hi
						AND (p_status IS NULL OR t.status = p_status)
						AND (p_btype IS NULL OR t.business_type = p_btype)
					ORDER BY t.created_at DESC, t.number DESC LIMIT p_need) z
				ORDER BY z.ct DESC, z.n DESC LIMIT p_need) y) x;
		ELSE
			SELECT count(*), count(*) > p_off + p_lim,
				array_agg(x.n ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim),
				array_agg(x.mine ORDER BY x.r) FILTER (WHERE x.r > p_off AND x.r <= p_off + p_lim)
			INTO total, has_more, ns, ms
			FROM (SELECT y.n, y.mine, row_number() OVER (ORDER BY y.ct DESC, y.n DESC) AS r
				FROM (SELECT t.number AS n, t.created_at AS ct, NULL::text AS mine FROM contracts t
					WHERE t.initiator_org_id = p_org AND t.status = 'draft' AND t.initiator_org_id IN (SELECT unnest(p_initiators))
						AND t.created_at >= lo AND t.created_at <= hi
						AND (p_status IS NULL OR t.status = p_status)
						AND (p_btype IS NULL OR t.business_type = p_btype)
					ORDER BY t.created_at DESC, t.number DESC LIMIT p_need) y) x;
		END IF;
	ELSE
		RAISE EXCEPTION 'list_initiators_page: no tab %', p_tab
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	items := list_page_json(coalesce(ns, '{}'), coalesce(ms, '{}'));
END
$$;
