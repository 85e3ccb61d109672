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
