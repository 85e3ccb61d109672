-- 020_list_text_static.sql: the trigram search of a list tab with plans kept
-- per session (issue 14).
--
-- 018's list_text_parties() and list_text_contracts() wrote their statement
-- with format() and ran it with EXECUTE, which parses and plans it again at
-- every call (PL/pgSQL keeps no plan for EXECUTE): at 1,000,000 contracts
-- that was a third of the function's time for q=4711 (about 0.8 of 2.6 ms
-- of PostgreSQL CPU). Here each tab's four statements (with or without the
-- organization's key, with or without the number) are written out, so each
-- is planned once per session. Only bitmap scans are allowed, as in 018,
-- so the kept (generic) plan is the same as the one planned with the actual
-- values: the tab's trigram index, the text given at execution; and
-- plan_cache_mode = force_generic_plan skips the five custom plans the plan
-- cache would make first. What each returns is unchanged: the rows of the
-- organization's tab whose lowered name (or number, when p_number) is LIKE
-- p_like; the organization's key is used when list_text_org_key() (018) says
-- it narrows.

CREATE OR REPLACE FUNCTION list_text_parties(p_org bigint, p_tab text, p_like text, p_number boolean)
RETURNS SETOF parties LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	k boolean;
BEGIN
	IF p_tab = 'todo' THEN
		k := list_text_org_key(p_org, 'todo', 'parties_todo_idx'::regclass);
		IF k AND NOT p_number THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id = p_org
				AND role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing'
				AND c_name_lc LIKE p_like;
		ELSIF k THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id = p_org
				AND role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing'
				AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like);
		ELSIF NOT p_number THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id + 0 = p_org
				AND role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing'
				AND c_name_lc LIKE p_like;
		ELSE
			RETURN QUERY SELECT * FROM parties WHERE organization_id + 0 = p_org
				AND role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing'
				AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like);
		END IF;
		RETURN;
	ELSIF p_tab = 'signed' THEN
		k := list_text_org_key(p_org, 'signed', 'parties_signed_idx'::regclass);
		IF k AND NOT p_number THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id = p_org
				AND role = 'signer' AND status IN ('signed', 'sent')
				AND c_name_lc LIKE p_like;
		ELSIF k THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id = p_org
				AND role = 'signer' AND status IN ('signed', 'sent')
				AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like);
		ELSIF NOT p_number THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id + 0 = p_org
				AND role = 'signer' AND status IN ('signed', 'sent')
				AND c_name_lc LIKE p_like;
		ELSE
			RETURN QUERY SELECT * FROM parties WHERE organization_id + 0 = p_org
				AND role = 'signer' AND status IN ('signed', 'sent')
				AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like);
		END IF;
		RETURN;
	ELSIF p_tab = 'cc' THEN
		k := list_text_org_key(p_org, 'cc', 'parties_cc_idx'::regclass);
		IF k AND NOT p_number THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id = p_org
				AND role = 'cc' AND c_status <> 'draft'
				AND c_name_lc LIKE p_like;
		ELSIF k THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id = p_org
				AND role = 'cc' AND c_status <> 'draft'
				AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like);
		ELSIF NOT p_number THEN
			RETURN QUERY SELECT * FROM parties WHERE organization_id + 0 = p_org
				AND role = 'cc' AND c_status <> 'draft'
				AND c_name_lc LIKE p_like;
		ELSE
			RETURN QUERY SELECT * FROM parties WHERE organization_id + 0 = p_org
				AND role = 'cc' AND c_status <> 'draft'
				AND (c_name_lc LIKE p_like OR contract_number::text LIKE p_like);
		END IF;
		RETURN;
	END IF;
	RAISE EXCEPTION 'list_text_parties: no tab %', p_tab USING ERRCODE = 'invalid_parameter_value';
END
$$;

CREATE OR REPLACE FUNCTION list_text_contracts(p_org bigint, p_tab text, p_like text, p_number boolean)
RETURNS SETOF contracts LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	k boolean;
BEGIN
	IF p_tab = 'initiated' THEN
		k := list_text_org_key(p_org, 'initiated', 'contracts_initiated_idx'::regclass);
		IF k AND NOT p_number THEN
			RETURN QUERY SELECT * FROM contracts WHERE initiator_org_id = p_org
				AND status <> 'draft'
				AND name_lc LIKE p_like;
		ELSIF k THEN
			RETURN QUERY SELECT * FROM contracts WHERE initiator_org_id = p_org
				AND status <> 'draft'
				AND (name_lc LIKE p_like OR number::text LIKE p_like);
		ELSIF NOT p_number THEN
			RETURN QUERY SELECT * FROM contracts WHERE initiator_org_id + 0 = p_org
				AND status <> 'draft'
				AND name_lc LIKE p_like;
		ELSE
			RETURN QUERY SELECT * FROM contracts WHERE initiator_org_id + 0 = p_org
				AND status <> 'draft'
				AND (name_lc LIKE p_like OR number::text LIKE p_like);
		END IF;
		RETURN;
	ELSIF p_tab = 'drafts' THEN
		k := list_text_org_key(p_org, 'drafts', 'contracts_drafts_idx'::regclass);
		IF k AND NOT p_number THEN
			RETURN QUERY SELECT * FROM contracts WHERE initiator_org_id = p_org
				AND status = 'draft'
				AND name_lc LIKE p_like;
		ELSIF k THEN
			RETURN QUERY SELECT * FROM contracts WHERE initiator_org_id = p_org
				AND status = 'draft'
				AND (name_lc LIKE p_like OR number::text LIKE p_like);
		ELSIF NOT p_number THEN
			RETURN QUERY SELECT * FROM contracts WHERE initiator_org_id + 0 = p_org
				AND status = 'draft'
				AND name_lc LIKE p_like;
		ELSE
			RETURN QUERY SELECT * FROM contracts WHERE initiator_org_id + 0 = p_org
				AND status = 'draft'
				AND (name_lc LIKE p_like OR number::text LIKE p_like);
		END IF;
		RETURN;
	END IF;
	RAISE EXCEPTION 'list_text_contracts: no tab %', p_tab USING ERRCODE = 'invalid_parameter_value';
END
$$;

-- The to-do tab by business type, in the tab's order: a business_type filter
-- (alone or with a text search) walks only that type's rows instead of
-- passing over the other types' in parties_todo_idx. At 100,000 contracts,
-- business_type=e-contract&q=supply read 10,503 index rows for 7,002 of that
-- type (and business_type=purchase 3,003 for 1,001); the backend's CPU per
-- statement went from about 5.6 to 4.6 ms and from 1.8 to 1.2 ms. Only the
-- to-do tab, the one the guide opens on and the busiest: each index is
-- written on every party change that stays in or enters its tab.
CREATE INDEX parties_todo_btype_idx ON parties (organization_id, c_business_type,
	c_created_at DESC, contract_number DESC) INCLUDE (status, c_status, c_initiator_org_id, c_name_lc)
	WHERE role = 'signer' AND status IN ('pending', 'received', 'signed') AND c_status = 'signing';
