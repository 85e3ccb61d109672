-- 016_evidence_audit.sql: contract_evidence (013) reads the contract's audit
-- trail through the audit chain's own index. 013 compared
-- a.contract_number = c.number, which no index of audit_events serves (the
-- chain's unique index is on (coalesce(contract_number, 0), seq)), so every
-- evidence report read the whole table and grew slower with all history.
-- 014 fixed contract_json the same way. Only that WHERE clause changes.

CREATE OR REPLACE FUNCTION contract_evidence(p_number bigint, p_org bigint, p_user bigint,
	p_ip inet, p_ua text, OUT info jsonb, OUT document bytea, OUT tsa_serial bigint,
	OUT archive_serial bigint)
LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
	last_seq integer;
BEGIN
	c := wf_lock(p_number, p_org);
	IF c.status NOT IN ('completed', 'rejected', 'cancelled', 'expired') THEN
		PERFORM wf_fail('SR001', format('contract %s is %s: its evidence report is made once '
			'it is completed, rejected, cancelled or expired', p_number, c.status));
	END IF;
	PERFORM wf_audit(p_number, p_org, p_user, 'contract.evidence_requested', '{}'::jsonb,
		p_ip, p_ua);
	SELECT max(seq) INTO last_seq FROM revisions WHERE contract_number = p_number;
	document := revision_document(p_number, last_seq);
	tsa_serial := nextval('tsa_serial');
	archive_serial := nextval('tsa_serial');
	SELECT jsonb_build_object(
		'number', c.number::text, 'name', c.name, 'business_type', c.business_type,
		'business_type_name', business_type_name(c.business_type), 'status', c.status,
		'created_at', wf_ts(c.created_at), 'sent_at', wf_ts(c.sent_at),
		'completed_at', wf_ts(c.completed_at), 'updated_at', wf_ts(c.updated_at),
		'deadline', wf_ts(c.deadline), 'page_count', c.page_count,
		'seq', last_seq, 'generated_at', wf_ts(now()),
		'initiator', (SELECT jsonb_build_object('name', o.name, 'credit_code', o.credit_code)
			FROM organizations o WHERE o.id = c.initiator_org_id),
		'parties', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'role', p.role, 'routing_order', p.routing_order, 'name', po.name,
				'credit_code', po.credit_code, 'status', p.status,
				'reject_reason', p.reject_reason,
				'time', wf_ts(CASE p.status WHEN 'received' THEN p.received_at
					WHEN 'signed' THEN p.signed_at WHEN 'sent' THEN p.sent_at
					WHEN 'rejected' THEN p.rejected_at END))
				ORDER BY p.routing_order, p.role DESC, p.id)
			FROM parties p JOIN organizations po ON po.id = p.organization_id
			WHERE p.contract_number = c.number), '[]'::jsonb),
		'revisions', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'seq', r.seq, 'length', r.length, 'sha256', r.sha256,
				'created_at', wf_ts(r.created_at), 'archive', r.archive,
				'signer', (SELECT jsonb_build_object('name', po.name,
					'credit_code', po.credit_code) FROM parties p JOIN organizations po
					ON po.id = p.organization_id WHERE p.id = r.party_id),
				'certificate', (SELECT jsonb_build_object('subject', ce.subject,
					'issuer', ce.issuer, 'serial', ce.serial,
					'not_before', wf_ts(ce.not_before), 'not_after', wf_ts(ce.not_after))
					FROM certificates ce WHERE ce.id = r.certificate_id),
				'seal', (SELECT jsonb_build_object('id', s.id::text, 'name', s.name,
					'type', s.type, 'valid_from', wf_ts(s.valid_from),
					'valid_until', wf_ts(s.valid_until), 'status', s.status,
					'png_hex', encode(s.image_png, 'hex'))
					FROM seals s WHERE s.id = r.seal_id)) ORDER BY r.seq)
			FROM revisions r WHERE r.contract_number = c.number), '[]'::jsonb),
		'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('seq', a.seq,
				'at', wf_ts(a.at), 'action', a.action,
				'actor', CASE WHEN ao.id IS NULL THEN NULL ELSE jsonb_build_object(
					'name', ao.name, 'credit_code', ao.credit_code) END,
				'user', (SELECT u.name FROM users u WHERE u.id = a.actor_user_id),
				'ip', host(a.ip), 'prev_hash', encode(a.prev_hash, 'hex'),
				'hash', encode(a.hash, 'hex')) ORDER BY a.seq)
			FROM audit_events a LEFT JOIN organizations ao ON ao.id = a.actor_org_id
			WHERE coalesce(a.contract_number, 0) = c.number), '[]'::jsonb),
		'audit_chain', (SELECT to_jsonb(v) FROM audit_chain_verify(c.number) v))
	INTO info;
END
$$;
