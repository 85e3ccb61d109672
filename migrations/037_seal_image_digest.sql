-- 037: the one-trip prepare (036) names the seal's picture by its SHA-256,
-- not by the picture. signing_session_create_held compared the PNG the
-- process held with seals.image_png, so every such prepare sent the picture
-- (up to 4 MiB; tens of KB for a usual seal) to PostgreSQL, which read it
-- back from TOAST to compare: about 50 us of PostgreSQL per prepare for a
-- 60 KB picture, growing with its size. A stored generated column keeps the
-- digest with the row (recomputed by PostgreSQL whenever image_png changes,
-- by whatever statement), and the process sends the 32 bytes it computed
-- once when it took the picture in (server/state/prep_memo.c).

ALTER TABLE seals ADD COLUMN image_sha256 bytea GENERATED ALWAYS AS (sha256(image_png)) STORED;

DROP FUNCTION signing_session_create_held(text, text, bigint, text, bytea, text, bigint, bigint,
	bigint, integer, bytea, bigint, bigint, bytea, text, bytea, jsonb, integer, bytea, text, text,
	text, timestamptz, timestamptz, inet, text, bigint);

-- 036's, with p_seal_sha256 (the SHA-256 of the seal's PNG as the process
-- holds it) for p_seal_png: p_hash, p_org, p_user and p_credit_code the
-- member session the process held; p_base_seq, p_base_length and
-- p_base_sha256 the latest revision it holds; p_seal_sha256 and p_seal_info
-- the seal p_seal as a load sent it (NULL: no seal). The rest is
-- signing_session_create's.
CREATE FUNCTION signing_session_create_held(p_hash text, p_credit_code text,
	p_base_length bigint, p_base_sha256 text, p_seal_sha256 bytea, p_seal_info text,
	p_number bigint, p_org bigint, p_user bigint, p_base_seq integer, p_delta bytea,
	p_contents_off bigint, p_contents_len bigint, p_signed_attrs bytea, p_algorithm text,
	p_chain bytea, p_rects jsonb, p_ttl_s integer, p_cert_der bytea, p_cert_subject text,
	p_cert_issuer text, p_cert_serial text, p_cert_not_before timestamptz,
	p_cert_not_after timestamptz, p_ip inet, p_ua text, p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	a record;
	p parties%ROWTYPE;
	s seals%ROWTYPE;
	same boolean;
BEGIN
	-- db/signing.c PREP_FROM's order: the credential, the turn, the seal
	SELECT m.organization_id = p_org AND m.user_id = p_user AND m.credit_code = p_credit_code
		AS same INTO a FROM auth_member(p_hash) m;
	IF a.same IS NOT TRUE THEN
		PERFORM wf_fail('SPH01', 'the token names another member session than the one held');
	END IF;
	p := wf_turn_of(wf_lock(p_number, p_org), p_org, 'sign');
	IF p_seal IS NOT NULL THEN
		s := seal_usable(p_org, p_seal);
		IF s.image_sha256 IS DISTINCT FROM p_seal_sha256
		   OR seal_facts(s)::text IS DISTINCT FROM p_seal_info THEN
			PERFORM wf_fail('SPH01', format('seal %s is not the one held', p_seal));
		END IF;
	ELSIF p_seal_sha256 IS NOT NULL OR p_seal_info IS NOT NULL THEN
		PERFORM wf_fail('SPH01', 'a seal is held but none is named');
	END IF;
	SELECT r.seq = p_base_seq AND r.length = p_base_length AND r.sha256 = p_base_sha256
	INTO same FROM revisions r WHERE r.contract_number = p_number ORDER BY r.seq DESC LIMIT 1;
	IF same IS NOT TRUE THEN
		PERFORM wf_fail('SPH01', 'the latest revision is not the one held');
	END IF;
	RETURN signing_session_store(p, p_number, p_org, p_user, p_base_seq, p_delta,
		p_contents_off, p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects,
		p_ttl_s, p_cert_der, p_cert_subject, p_cert_issuer, p_cert_serial,
		p_cert_not_before, p_cert_not_after, p_ip, p_ua, p_seal);
END
$$;
