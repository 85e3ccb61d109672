-- 050: the contract document no longer carries the audit trail; the trail is
-- paged (GET /api/v1/contracts/{number}/audit, issue 14).
--
-- contract_json (038) ended with "audit": every event of the contract, ~5 per
-- signing: 4 at a contract's 1st signing, 99 at its 20th, 83 % of the 39.7 KB
-- the 20th completion answered by default. Every workflow reply and every GET
-- of a contract carried it, PostgreSQL aggregated it (~10 K instructions an
-- event), the event loop sent it and the client parsed it; and any reader of
-- a contract got the whole trail, unbounded. Now the document says how many
-- events there are ("audit_count") and where to read them ("audit_url"), and
-- contract_audit_json pages them, oldest first, by keyset on seq.
--
-- audit_count is the chain head's last_seq (audit_heads, 001): the chain
-- trigger gives each event of a contract the next seq under the head's lock,
-- from 1, and events are never deleted (audit_events_immutable), so it is the
-- number of events in the same snapshot without reading them.
-- audit_chain_verify checks that the events and the head agree.
--
-- Every function that answers with the document (the workflow transitions,
-- the completion without p_minimal) calls contract_json by name and answers
-- the new document unchanged otherwise; 040's p_minimal answer never built
-- it. No completion function is redefined here.

-- 038's contract_json, word for word but for the last member.
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
			'audit_count', coalesce((SELECT h.last_seq FROM audit_heads h
				WHERE h.chain = c.number), 0),
			'audit_url', '/api/v1/contracts/' || c.number || '/audit')
		FROM contracts c JOIN organizations o ON o.id = c.initiator_org_id
			LEFT JOIN business_types bt ON bt.code = c.business_type
		WHERE c.number = p_number);
END
$$;

-- One page of a contract's audit trail: the events after seq p_after (0: from
-- the first), at most p_limit of them, oldest first, each as the chain
-- trigger rendered it (audit_events.trail, 028's audit_trail_json).
-- {"items": [...], "next_cursor": the last item's seq as text when events
-- follow (else null), "has_more"}. One index range scan of
-- audit_events_chain_idx, p_limit + 1 rows: the extra row says whether more
-- follow. Who may read it is the caller's check (db_contract_visible).
CREATE FUNCTION contract_audit_json(p_number bigint, p_after bigint, p_limit integer)
RETURNS json LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'items', coalesce(json_agg(e.trail ORDER BY e.seq) FILTER (WHERE e.n <= p_limit),
			'[]'::json),
		'next_cursor', CASE WHEN count(*) > p_limit
			THEN (max(e.seq) FILTER (WHERE e.n <= p_limit))::text END,
		'has_more', count(*) > p_limit)
	FROM (SELECT a.seq, a.trail, row_number() OVER (ORDER BY a.seq) AS n
		FROM audit_events a
		WHERE coalesce(a.contract_number, 0) = p_number AND a.seq > p_after
		ORDER BY a.seq LIMIT p_limit + 1) e
$$;

-- The stored replies of contract creations (wf_idem_store, replayed by
-- wf_idem_begin) are documents of the old shape: a replay answers the new
-- one, the trail's length as it was when the reply was stored.
UPDATE idempotency_keys
SET response = (response - 'audit') || jsonb_build_object(
	'audit_count', jsonb_array_length(response -> 'audit'),
	'audit_url', '/api/v1/contracts/' || (response ->> 'number') || '/audit')
WHERE jsonb_typeof(response -> 'audit') = 'array' AND response ? 'number';
