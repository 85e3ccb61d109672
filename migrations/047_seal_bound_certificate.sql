-- 047: a seal signs only with the certificate it was issued for (seal39).
-- An application binds the applicant's certificate (009: seal_app_create's
-- p_cert, the member session's; the SESeal lists it), and the approved seal
-- is installed on that token. signing_session_store (036) checked the seal's
-- organization, status and validity (seal_usable) but not that binding, so
-- a member with another certificate of the same organization could sign
-- under a seal issued for a colleague's token. Now the store refuses that,
-- SQLSTATE SE013 (db/errors.c seal_other_certificate, 403), and stores
-- nothing. Everything else is 036's body, word for word; its callers
-- (signing_session_open, signing_session_create_held) are unchanged.

CREATE OR REPLACE FUNCTION signing_session_store(p parties, p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet, p_ua text,
	p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	last integer;
	cert certificates%ROWTYPE;
	s signing_sessions%ROWTYPE;
	fp text := encode(sha256(p_cert_der), 'hex');
	n_open bigint;
	n_gone bigint;
BEGIN
	SELECT (SELECT max(r.seq) FROM revisions r WHERE r.contract_number = p_number),
		ce.id, ce.organization_id, ce.revoked_at, o.n_open, o.n_gone
	INTO last, cert.id, cert.organization_id, cert.revoked_at, n_open, n_gone
	FROM (VALUES (fp)) f (fp) LEFT JOIN certificates ce ON ce.fingerprint = f.fp
	CROSS JOIN (SELECT count(*) FILTER (WHERE ss.expires_at > now()),
			count(*) FILTER (WHERE ss.expires_at < now() - interval '1 hour')
		FROM signing_sessions ss WHERE ss.party_id = p.id AND ss.state = 'open')
		o (n_open, n_gone);
	IF last <> p_base_seq THEN
		PERFORM wf_fail('SPS09', format('revision %s landed while preparing; prepare again', last));
	END IF;
	IF cert.id IS NULL THEN
		INSERT INTO certificates (organization_id, user_id, fingerprint, subject, issuer, serial,
			not_before, not_after, der)
		VALUES (p_org, p_user, fp, p_cert_subject, p_cert_issuer, p_cert_serial,
			p_cert_not_before, p_cert_not_after, p_cert_der)
		RETURNING * INTO cert;
	ELSIF cert.organization_id IS DISTINCT FROM p_org THEN
		PERFORM wf_fail('SP403', 'this certificate belongs to another organization');
	END IF;
	IF cert.revoked_at IS NOT NULL THEN
		PERFORM wf_fail('SP403', 'this certificate was revoked on the platform');
	END IF;
	-- A seal is bound to the certificate it was applied for (009's
	-- certificate_id): the seal and the key go together on one token.
	IF p_seal IS NOT NULL AND NOT EXISTS (SELECT 1 FROM seals se
			WHERE se.id = p_seal AND se.certificate_id = cert.id) THEN
		PERFORM wf_fail('SE013', format('seal %s is bound to another certificate than the one '
			'signing (serial %s): sign with the token it was issued to, or apply for a seal '
			'for this certificate', p_seal, p_cert_serial));
	END IF;
	-- Open sessions hold a prepared update each: bound them per party. Expired
	-- ones of this party are dropped (they can never complete); the count
	-- left them out (the deleted ones expired an hour ago, the counted ones
	-- have not expired).
	IF n_gone > 0 THEN
		DELETE FROM signing_sessions WHERE party_id = p.id AND state = 'open'
			AND expires_at < now() - interval '1 hour';
	END IF;
	IF n_open >= 20 THEN
		PERFORM wf_fail('SP409', 'this party has 20 open signing sessions; complete or abort one');
	END IF;
	INSERT INTO signing_sessions (contract_number, party_id, organization_id, user_id,
		certificate_id, base_seq, delta, contents_off, contents_len, signed_attrs, algorithm,
		chain, rects, expires_at, seal_id)
	VALUES (p_number, p.id, p_org, p_user, cert.id, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, coalesce(p_chain, ''::bytea),
		coalesce(p_rects, '[]'::jsonb), now() + make_interval(secs => p_ttl_s), p_seal)
	RETURNING id, expires_at INTO s.id, s.expires_at;
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (p_number, p_org, p_user, 'signing.prepared', 'contract', p_number::text, p_ip,
		nullif(left(p_ua, 256), ''), jsonb_build_object('session', s.id,
			'base_seq', p_base_seq, 'certificate_id', cert.id));
	RETURN jsonb_build_object('session', s.id, 'expires_at', wf_ts(s.expires_at),
		'base_seq', p_base_seq, 'certificate_id', cert.id);
END
$$;
