-- 008_business_types.sql: business types with a stable code and a display name.
--
-- A contract keeps the stable code (contracts.business_type, [a-z][a-z0-9_-]{0,31});
-- each known type also has a display name (Chinese allowed) that lists and
-- details show next to the code and that the API accepts wherever it takes a
-- business type (create, edit, the lists' business_type filter). A code that
-- is not in the table stays usable as before (its display name is the code).

CREATE TABLE business_types (
	code         text PRIMARY KEY CONSTRAINT business_types_code_check
		CHECK (code ~ '^[a-z][a-z0-9_-]{0,31}$'),
	display_name text NOT NULL UNIQUE CONSTRAINT business_types_display_name_check
		CHECK (length(btrim(display_name)) BETWEEN 1 AND 32
			AND display_name = btrim(display_name)
			AND display_name !~ '[[:cntrl:]]')
);

INSERT INTO business_types (code, display_name) VALUES
	('e-contract', '电子合同'),
	('purchase', '采购'),
	('sales', '销售'),
	('logistics', '物流'),
	('service', '服务'),
	('lease', '租赁'),
	('labor', '劳动'),
	('nda', '保密协议');

-- A code or a display name -> the code; NULL stays NULL. An unknown name
-- that is not code-shaped fails with SP400 naming the known types.
CREATE FUNCTION business_type_code(p text) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
	c text;
BEGIN
	IF p IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT code INTO c FROM business_types WHERE code = btrim(p) OR display_name = btrim(p);
	IF found THEN
		RETURN c;
	END IF;
	IF p ~ '^[a-z][a-z0-9_-]{0,31}$' THEN
		RETURN p;
	END IF;
	PERFORM wf_fail('SP400', format('unknown business type "%s": give a code '
		'([a-z][a-z0-9_-]{0,31}) or one of the display names: %s', left(p, 40),
		(SELECT string_agg(display_name || ' (' || code || ')', ', ' ORDER BY code)
			FROM business_types)));
	RETURN NULL;
END
$$;

-- The display name of a code (the code itself for a type not in the table).
CREATE FUNCTION business_type_name(p_code text) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT display_name FROM business_types WHERE code = p_code), p_code)
$$;

-- The JSON of one contract (003) with the business type's display name.
CREATE OR REPLACE FUNCTION contract_json(p_number bigint, p_org bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
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
	WHERE c.number = p_number
$$;
