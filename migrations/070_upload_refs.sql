-- 070: what the upload (revision 0) refers to, stored with it.
--
-- 067 stores with each signed revision the set of objects it refers to, so
-- that a completion in a process that does not hold the base's set (another
-- process, a restart: processes are stateless) reads it with the claim instead
-- of walking the base with qpdf. Revision 0 stored none: the first signature's
-- completion in a fresh process still walked the whole upload (at k = 1,
-- 23.2 M instructions cold against 17.0 M with the set). The server computes
-- that set when it normalizes the upload (pdf_upload_normalize reads the
-- rewrite back), from the very bytes it stores as revision 0; it now packs it
-- (pdf_refs_pack, bound to their SHA-256) and hands it to the statement that
-- creates the contract. The server uses it only as it uses 067's sets: when it
-- unpacks whole for the bytes the completion holds. NULL: none (a signed upload
-- kept byte for byte, a creation through SQL, rows stored before).
--
-- contract_create is 017's word for word and contract_create_capped 057's,
-- but for p_refs bytea DEFAULT NULL, last, stored by the INSERT of revision 0
-- and handed on; every call that does not name it is the call it was. The
-- argument lists change, so both are dropped and created again (PL/pgSQL
-- bodies hold no dependency on the functions they call). Nothing else inserts
-- revision 0 (contract_update edits no upload). revisions_check_insert (038,
-- 039) and the completion functions are not touched; revisions_immutable
-- still refuses any UPDATE, so the set is written once, by that INSERT.

DROP FUNCTION contract_create_capped(bigint, bigint, bigint, text, text, timestamptz, jsonb,
	bytea, text, integer, text, inet, text, integer, bigint, integer);
DROP FUNCTION contract_create(bigint, bigint, bigint, text, text, timestamptz, jsonb, bytea, text,
	integer, text, inet, text);

-- 017's; p_refs stored with revision 0
CREATE FUNCTION contract_create(p_number bigint, p_org bigint, p_user bigint, p_name text,
	p_business_type text, p_deadline timestamptz, p_parties jsonb, p_pdf bytea, p_sha256 text,
	p_pages integer, p_idem_key text, p_ip inet, p_ua text DEFAULT NULL,
	p_refs bytea DEFAULT NULL)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	prev jsonb;
	res json;
BEGIN
	prev := wf_idem_begin(p_org, p_idem_key, encode(sha256(convert_to(jsonb_build_array(
		'create', p_name, p_business_type, wf_ts(p_deadline), p_parties, p_sha256)::text,
		'UTF8')), 'hex'));
	IF prev IS NOT NULL THEN
		RETURN prev::json;
	END IF;
	IF p_name IS NULL OR length(btrim(p_name)) NOT BETWEEN 1 AND 200 THEN
		PERFORM wf_fail('SP400', 'name must be 1..200 characters');
	END IF;
	IF p_business_type IS NOT NULL AND p_business_type !~ '^[a-z][a-z0-9_-]{0,31}$' THEN
		PERFORM wf_fail('SP400', 'business_type must match [a-z][a-z0-9_-]{0,31}');
	END IF;
	IF p_deadline IS NOT NULL AND p_deadline <= now() THEN
		PERFORM wf_fail('SP400', 'deadline must be in the future');
	END IF;
	BEGIN
		INSERT INTO contracts (number, name, business_type, initiator_org_id,
			initiator_user_id, deadline, page_count, sha256)
		VALUES (p_number, btrim(p_name), coalesce(p_business_type, 'e-contract'), p_org,
			p_user, p_deadline, p_pages, p_sha256);
	EXCEPTION WHEN unique_violation THEN
		PERFORM wf_fail('SP423', 'contract number taken');
	END;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256, refs)
	VALUES (p_number, 0, p_pdf, length(p_pdf), p_sha256, p_refs);
	PERFORM wf_parties_set(p_number, coalesce(p_parties, '[]'::jsonb));
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.created', jsonb_build_object(
		'name', btrim(p_name), 'sha256', p_sha256, 'pages', p_pages), p_ip, p_ua);
	res := contract_json(p_number, p_org);
	IF p_idem_key IS NOT NULL THEN
		-- stored as before (jsonb), replayed by wf_idem_begin
		PERFORM wf_idem_store(p_org, p_idem_key, res::jsonb);
	END IF;
	RETURN res;
END
$$;

-- 057's; p_refs handed on
CREATE FUNCTION contract_create_capped(p_number bigint, p_org bigint, p_user bigint,
	p_name text, p_business_type text, p_deadline timestamptz, p_parties jsonb,
	p_pdf bytea, p_sha256 text, p_pages integer, p_idem_key text, p_ip inet, p_ua text,
	p_max_drafts integer, p_max_bytes bigint, p_max_per_day integer, p_refs bytea DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	live bigint;
	bytes bigint;
	recent bigint;
	oldest timestamptz;
BEGIN
	-- The organization's lock before the key is looked up: a retry waiting on the
	-- first attempt sees its key once the first commits (this statement's snapshot
	-- is taken after the lock is granted), and is its replay.
	IF p_max_drafts IS NOT NULL OR p_max_bytes IS NOT NULL OR p_max_per_day IS NOT NULL THEN
		PERFORM pg_advisory_xact_lock(52, (p_org % 2147483647)::integer);
	END IF;
	IF p_idem_key IS NOT NULL AND EXISTS (SELECT 1 FROM idempotency_keys k
			WHERE k.organization_id = p_org AND k.key = p_idem_key) THEN
		NULL; -- a replay (or a reuse that contract_create refuses)
	ELSIF p_max_drafts IS NOT NULL OR p_max_bytes IS NOT NULL OR p_max_per_day IS NOT NULL THEN
		-- The newest p_max_drafts live drafts (003's contracts_drafts_idx) and their bytes.
		SELECT count(*), coalesce(sum(r.length), 0) INTO live, bytes
		FROM (SELECT c.number FROM contracts c
			WHERE c.initiator_org_id = p_org AND c.status = 'draft'
			ORDER BY c.number DESC LIMIT coalesce(p_max_drafts, 2147483647)) d
		JOIN revisions r ON r.contract_number = d.number AND r.seq = 0;
		IF live >= p_max_drafts THEN
			PERFORM wf_fail('SR005', format('this organization has %s drafts, the most '
				'allowed; send or delete one first', live));
		END IF;
		IF bytes + length(p_pdf) > p_max_bytes THEN
			PERFORM wf_fail('SR005', format('this organization''s drafts hold %s bytes; '
				'with this upload of %s bytes they would pass the %s allowed; send or '
				'delete a draft first', bytes, length(p_pdf), p_max_bytes));
		END IF;
		SELECT count(*), min(x.at) INTO recent, oldest
		FROM (SELECT a.at FROM audit_events a
			WHERE a.actor_org_id = p_org AND a.action = 'contract.created'
				AND a.at > now() - interval '1 day'
			ORDER BY a.at DESC LIMIT coalesce(p_max_per_day, 2147483647)) x;
		IF recent >= p_max_per_day THEN
			PERFORM wf_fail('SR004', format('this organization created %s contracts in the '
				'last 24 hours, the most allowed; the next at %s', recent,
				wf_ts(oldest + interval '1 day')));
		END IF;
	END IF;
	RETURN contract_create(p_number, p_org, p_user, p_name, p_business_type, p_deadline,
		p_parties, p_pdf, p_sha256, p_pages, p_idem_key, p_ip, p_ua, p_refs);
END
$$;
