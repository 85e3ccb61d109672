-- 009_seals.sql: electronic seals from application to use (issue 11, seed 000).
--
-- A seal row is both the application and, once approved, the issued seal
-- (its id is the seal id): draft -> under_review -> approved -> installed,
-- or rejected (modify -> draft again), cancelled, revoked (a change that
-- replaced it was approved). Reviewers work the queue with claims that
-- expire: seals.claimed_by / claim_expires_at, changed only under the
-- row's lock, so two reviewers never hold one claim. Every step is one SQL
-- function (one round trip) that appends an audit event: members' steps to
-- their organization's chain, reviewers' steps to the platform chain and,
-- for the outcome (approve, reject), also to the organization's chain
-- (org_audit of 006).
--
-- SQLSTATEs (db/errors.c maps them to problem codes):
--   SE001 claim_held         SE002 claim_required     SE003 scan_missing
--   SE004 seal_change_pending SE005 seal_foreign      SE006 seal_revoked
--   SE007 seal_expired       SE008 seal_not_yet_valid  SE009 seal_not_approved
--   SE010 seal_not_found     SE011 validity_invalid    SE012 validity_expired
--   SP404 not_found, SP409 wrong_state, SP403 forbidden (003)

ALTER TABLE seals
	ADD COLUMN applicant_user_id bigint REFERENCES users (id),
	ADD COLUMN scan bytea CHECK (scan IS NULL OR length(scan) BETWEEN 1 AND 10485760),
	ADD COLUMN scan_type text CHECK (scan_type IN ('application/pdf', 'image/png', 'image/jpeg')),
	ADD COLUMN claimed_by bigint REFERENCES users (id),
	ADD COLUMN claim_expires_at timestamptz,
	ADD COLUMN image_source text CHECK (image_source IN ('generated', 'uploaded')),
	ADD COLUMN code text CHECK (code ~ '^[0-9A-Za-z]{1,20}$'),
	ADD COLUMN seseal bytea CHECK (seseal IS NULL OR length(seseal) BETWEEN 1 AND 8388608),
	ADD COLUMN approved_at timestamptz,
	ADD COLUMN installed_at timestamptz,
	ADD COLUMN revoked_at timestamptz,
	ADD COLUMN replaced_by bigint REFERENCES seals (id),
	ADD CONSTRAINT seals_name_limit CHECK (char_length(btrim(name)) BETWEEN 1 AND 40),
	ADD CONSTRAINT seals_scan_typed CHECK ((scan IS NULL) = (scan_type IS NULL)),
	ADD CONSTRAINT seals_claim_shape CHECK ((claimed_by IS NULL) = (claim_expires_at IS NULL)),
	-- Only an application under review can be claimed.
	ADD CONSTRAINT seals_claim_under_review CHECK (claimed_by IS NULL OR status = 'under_review'),
	-- An issued seal carries its national-format data and where its picture came from.
	ADD CONSTRAINT seals_issued_complete CHECK (status NOT IN ('approved', 'installed', 'revoked')
		OR (seseal IS NOT NULL AND image_source IS NOT NULL AND approved_at IS NOT NULL
		    AND image_png IS NOT NULL AND certificate_id IS NOT NULL)),
	ADD CONSTRAINT seals_revoked_when CHECK ((status = 'revoked') = (revoked_at IS NOT NULL));

-- At most one open change of a seal at a time.
CREATE UNIQUE INDEX seals_one_open_change_idx ON seals (replaces_seal_id)
	WHERE status IN ('draft', 'under_review', 'rejected');
CREATE INDEX seals_review_status_idx ON seals (status, submitted_at, id);

-- The seal a signature shows: chosen at prepare, recorded on the revision.
ALTER TABLE signing_sessions ADD COLUMN seal_id bigint REFERENCES seals (id);
ALTER TABLE revisions ADD COLUMN seal_id bigint REFERENCES seals (id);

-- ---------------------------------------------------------------------------
-- JSON views.

-- The display name of a reviewer (their username) or a member.
CREATE FUNCTION seal_user_name(p_user bigint) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT username FROM reviewer_credentials WHERE user_id = p_user),
		(SELECT name FROM users WHERE id = p_user))
$$;

-- An application as the API shows it; p_reviewer NULL: a member's view
-- (no claim), else a reviewer's (the live claim, and whether it is theirs).
CREATE FUNCTION seal_app_json(s seals, p_reviewer bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', s.id::text, 'name', s.name, 'type', s.type,
		'status', s.status,
		'organization', (SELECT jsonb_build_object('name', o.name, 'credit_code', o.credit_code)
			FROM organizations o WHERE o.id = s.organization_id),
		'applicant', seal_user_name(s.applicant_user_id),
		'replaces_seal_id', s.replaces_seal_id::text,
		'scan', CASE WHEN s.scan IS NULL THEN NULL ELSE jsonb_build_object(
			'content_type', s.scan_type, 'bytes', length(s.scan)) END,
		'review_note', s.review_note,
		'seal_id', CASE WHEN s.status IN ('approved', 'installed', 'revoked')
			THEN s.id::text END,
		'created_at', wf_ts(s.created_at), 'updated_at', wf_ts(s.updated_at),
		'submitted_at', wf_ts(s.submitted_at), 'reviewed_at', wf_ts(s.reviewed_at))
	|| CASE WHEN p_reviewer IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('claim',
		CASE WHEN s.claimed_by IS NOT NULL AND s.claim_expires_at > now() THEN
			jsonb_build_object('reviewer', seal_user_name(s.claimed_by),
				'expires_at', wf_ts(s.claim_expires_at),
				'mine', s.claimed_by = p_reviewer)
		END) END
$$;

-- An issued seal as the API shows it.
CREATE FUNCTION seal_json(s seals) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', s.id::text, 'name', s.name, 'type', s.type,
		'status', s.status,
		'organization', (SELECT jsonb_build_object('name', o.name, 'credit_code', o.credit_code)
			FROM organizations o WHERE o.id = s.organization_id),
		'valid_from', wf_ts(s.valid_from), 'valid_until', wf_ts(s.valid_until),
		'usable', s.status IN ('approved', 'installed') AND s.valid_from <= now()
			AND now() < s.valid_until,
		'code', s.code,
		'certificate', (SELECT jsonb_build_object('subject', c.subject, 'serial', c.serial,
			'fingerprint', c.fingerprint) FROM certificates c WHERE c.id = s.certificate_id),
		'image_source', s.image_source,
		'image_url', format('/api/v1/seals/%s/image', s.id),
		'seseal_url', format('/api/v1/seals/%s/seseal', s.id),
		'replaces_seal_id', s.replaces_seal_id::text, 'replaced_by', s.replaced_by::text,
		'approved_at', wf_ts(s.approved_at), 'installed_at', wf_ts(s.installed_at),
		'revoked_at', wf_ts(s.revoked_at))
$$;

-- ---------------------------------------------------------------------------
-- Members' steps. Each locks the organization's own row (another
-- organization's application is not found, like one that does not exist).

CREATE FUNCTION seal_app_lock(p_org bigint, p_id bigint) RETURNS seals
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	SELECT * INTO s FROM seals WHERE id = p_id AND organization_id = p_org FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM wf_fail('SP404', 'no such seal application');
	END IF;
	RETURN s;
END
$$;

CREATE FUNCTION seal_app_create(p_org bigint, p_user bigint, p_cert bigint, p_name text,
	p_type text, p_replaces bigint, p_ip inet, p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	old seals%ROWTYPE;
	s seals%ROWTYPE;
BEGIN
	IF p_replaces IS NOT NULL THEN
		SELECT * INTO old FROM seals WHERE id = p_replaces AND organization_id = p_org
			FOR UPDATE;
		IF NOT FOUND THEN
			PERFORM wf_fail('SP404', 'no such seal to change');
		END IF;
		IF old.status NOT IN ('approved', 'installed') THEN
			PERFORM wf_fail('SP409', format('seal %s is %s: only an issued seal can be changed',
				old.id, old.status));
		END IF;
		IF EXISTS (SELECT 1 FROM seals WHERE replaces_seal_id = p_replaces
				AND status IN ('draft', 'under_review', 'rejected')) THEN
			PERFORM wf_fail('SE004', format('seal %s already has an open change application',
				old.id));
		END IF;
	END IF;
	INSERT INTO seals (organization_id, name, type, replaces_seal_id, applicant_user_id,
		certificate_id)
	VALUES (p_org, btrim(p_name), p_type, p_replaces, nullif(p_user, 0), p_cert)
	RETURNING * INTO s;
	PERFORM org_audit(p_org, p_user, CASE WHEN p_replaces IS NULL THEN 'seal.applied'
		ELSE 'seal.change_applied' END, 'seal', s.id::text, jsonb_build_object('name', s.name,
		'type', s.type, 'replaces_seal_id', p_replaces), p_ip, p_ua);
	RETURN seal_app_json(s, NULL);
END
$$;

-- Modify (name and/or type; NULL keeps it): the application goes back to
-- draft and any reviewer's claim ends.
CREATE FUNCTION seal_app_modify(p_org bigint, p_user bigint, p_id bigint, p_name text,
	p_type text, p_ip inet, p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	s := seal_app_lock(p_org, p_id);
	IF s.status NOT IN ('draft', 'under_review', 'rejected') THEN
		PERFORM wf_fail('SP409', format('a %s application cannot be modified', s.status));
	END IF;
	UPDATE seals SET name = coalesce(btrim(p_name), name), type = coalesce(p_type, type),
		status = 'draft', submitted_at = NULL, claimed_by = NULL, claim_expires_at = NULL
	WHERE id = p_id RETURNING * INTO s;
	PERFORM org_audit(p_org, p_user, 'seal.modified', 'seal', s.id::text, jsonb_build_object(
		'name', s.name, 'type', s.type), p_ip, p_ua);
	RETURN seal_app_json(s, NULL);
END
$$;

CREATE FUNCTION seal_app_scan(p_org bigint, p_user bigint, p_id bigint, p_scan bytea,
	p_type text, p_ip inet, p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	s := seal_app_lock(p_org, p_id);
	IF s.status <> 'draft' THEN
		PERFORM wf_fail('SP409', format('the scan of a %s application cannot change; modify '
			'it first', s.status));
	END IF;
	UPDATE seals SET scan = p_scan, scan_type = p_type WHERE id = p_id RETURNING * INTO s;
	PERFORM org_audit(p_org, p_user, 'seal.scan_uploaded', 'seal', s.id::text,
		jsonb_build_object('content_type', p_type, 'bytes', length(p_scan),
			'sha256', encode(sha256(p_scan), 'hex')), p_ip, p_ua);
	RETURN seal_app_json(s, NULL);
END
$$;

CREATE FUNCTION seal_app_submit(p_org bigint, p_user bigint, p_id bigint, p_ip inet,
	p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	s := seal_app_lock(p_org, p_id);
	IF s.status <> 'draft' THEN
		PERFORM wf_fail('SP409', format('a %s application cannot be submitted', s.status));
	END IF;
	IF s.scan IS NULL THEN
		PERFORM wf_fail('SE003', 'upload the stamped, scanned application form first');
	END IF;
	UPDATE seals SET status = 'under_review', submitted_at = now(), review_note = NULL
	WHERE id = p_id RETURNING * INTO s;
	PERFORM org_audit(p_org, p_user, 'seal.submitted', 'seal', s.id::text, '{}'::jsonb,
		p_ip, p_ua);
	RETURN seal_app_json(s, NULL);
END
$$;

CREATE FUNCTION seal_app_cancel(p_org bigint, p_user bigint, p_id bigint, p_ip inet,
	p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	s := seal_app_lock(p_org, p_id);
	IF s.status NOT IN ('draft', 'under_review', 'rejected') THEN
		PERFORM wf_fail('SP409', format('a %s application cannot be cancelled', s.status));
	END IF;
	UPDATE seals SET status = 'cancelled', claimed_by = NULL, claim_expires_at = NULL
	WHERE id = p_id RETURNING * INTO s;
	PERFORM org_audit(p_org, p_user, 'seal.cancelled', 'seal', s.id::text, '{}'::jsonb,
		p_ip, p_ua);
	RETURN seal_app_json(s, NULL);
END
$$;

-- The client stored the SESeal on the token: approved -> installed
-- (repeating it changes nothing).
CREATE FUNCTION seal_installed(p_org bigint, p_user bigint, p_id bigint, p_ip inet,
	p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	SELECT * INTO s FROM seals WHERE id = p_id AND organization_id = p_org
		AND status IN ('approved', 'installed', 'revoked') FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM wf_fail('SP404', 'no such seal');
	END IF;
	IF s.status = 'revoked' THEN
		PERFORM wf_fail('SP409', 'this seal was revoked');
	END IF;
	IF s.status = 'approved' THEN
		UPDATE seals SET status = 'installed', installed_at = now() WHERE id = p_id
		RETURNING * INTO s;
		PERFORM org_audit(p_org, p_user, 'seal.installed', 'seal', s.id::text, '{}'::jsonb,
			p_ip, p_ua);
	END IF;
	RETURN seal_json(s);
END
$$;

-- ---------------------------------------------------------------------------
-- Reviewers' steps. Drafts are the organization's own business: a reviewer
-- sees an application once it was submitted.

CREATE FUNCTION seal_review_lock(p_id bigint) RETURNS seals
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	SELECT * INTO s FROM seals WHERE id = p_id AND submitted_at IS NOT NULL FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM wf_fail('SP404', 'no such seal application');
	END IF;
	RETURN s;
END
$$;

-- The caller must hold a live claim on s (checked under its row lock).
CREATE FUNCTION seal_claim_check(s seals, p_reviewer bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF s.status <> 'under_review' THEN
		PERFORM wf_fail('SP409', format('this application is %s, not under review', s.status));
	END IF;
	IF s.claimed_by IS DISTINCT FROM p_reviewer OR s.claim_expires_at <= now() THEN
		PERFORM wf_fail('SE002', 'claim this application first (you hold no live claim on it)');
	END IF;
END
$$;

-- Claim (or renew one's own claim) for p_ttl_s seconds. The row lock
-- serializes concurrent claims: the second sees the first's live claim.
CREATE FUNCTION seal_review_claim(p_reviewer bigint, p_id bigint, p_ttl_s integer, p_ip inet,
	p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	s := seal_review_lock(p_id);
	IF s.status <> 'under_review' THEN
		PERFORM wf_fail('SP409', format('this application is %s, not under review', s.status));
	END IF;
	IF s.claimed_by IS NOT NULL AND s.claimed_by <> p_reviewer AND s.claim_expires_at > now() THEN
		PERFORM wf_fail('SE001', format('%s holds the claim on this application until %s',
			seal_user_name(s.claimed_by), wf_ts(s.claim_expires_at)));
	END IF;
	UPDATE seals SET claimed_by = p_reviewer,
		claim_expires_at = now() + make_interval(secs => p_ttl_s)
	WHERE id = p_id RETURNING * INTO s;
	PERFORM org_audit(NULL, p_reviewer, 'seal.claimed', 'seal', s.id::text,
		jsonb_build_object('organization_id', s.organization_id,
			'expires_at', wf_ts(s.claim_expires_at)), p_ip, p_ua);
	RETURN jsonb_build_object('application_id', s.id::text,
		'reviewer', seal_user_name(p_reviewer), 'expires_at', wf_ts(s.claim_expires_at));
END
$$;

CREATE FUNCTION seal_review_release(p_reviewer bigint, p_id bigint, p_ip inet, p_ua text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	s := seal_review_lock(p_id);
	PERFORM seal_claim_check(s, p_reviewer);
	UPDATE seals SET claimed_by = NULL, claim_expires_at = NULL WHERE id = p_id;
	PERFORM org_audit(NULL, p_reviewer, 'seal.released', 'seal', s.id::text,
		jsonb_build_object('organization_id', s.organization_id), p_ip, p_ua);
	RETURN true;
END
$$;

-- What the approve and preview steps need, for the claim holder only: the
-- organization, the seal's name and type, and the certificate to bind.
CREATE FUNCTION seal_review_material(p_reviewer bigint, p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	SELECT * INTO s FROM seals WHERE id = p_id AND submitted_at IS NOT NULL;
	IF NOT FOUND THEN
		PERFORM wf_fail('SP404', 'no such seal application');
	END IF;
	PERFORM seal_claim_check(s, p_reviewer);
	RETURN (SELECT jsonb_build_object('id', s.id::text, 'name', s.name, 'type', s.type,
		'org_name', o.name, 'credit_code', o.credit_code,
		'certificate', encode(c.der, 'base64'))
		FROM organizations o, certificates c
		WHERE o.id = s.organization_id AND c.id = s.certificate_id);
END
$$;

-- The scan, for the claim holder only.
CREATE FUNCTION seal_review_scan(p_reviewer bigint, p_id bigint,
	OUT scan bytea, OUT scan_type text) LANGUAGE plpgsql STABLE AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	SELECT * INTO s FROM seals WHERE id = p_id AND submitted_at IS NOT NULL;
	IF NOT FOUND THEN
		PERFORM wf_fail('SP404', 'no such seal application');
	END IF;
	PERFORM seal_claim_check(s, p_reviewer);
	scan := s.scan;
	scan_type := s.scan_type;
END
$$;

-- Approve: the claim holder issues the seal (picture, validity, SESeal built
-- and signed by the server for exactly this application's name, type and
-- certificate). A change revokes the seal it replaces, in the same step.
CREATE FUNCTION seal_review_approve(p_reviewer bigint, p_id bigint, p_valid_from timestamptz,
	p_valid_until timestamptz, p_png bytea, p_source text, p_code text, p_seseal bytea,
	p_ip inet, p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
	old seals%ROWTYPE;
BEGIN
	s := seal_review_lock(p_id);
	PERFORM seal_claim_check(s, p_reviewer);
	IF p_valid_from >= p_valid_until OR p_valid_until - p_valid_from > interval '10 years 3 days' THEN
		PERFORM wf_fail('SE011', 'the validity must start before it ends and last at most ten years');
	END IF;
	IF p_valid_until <= now() THEN
		PERFORM wf_fail('SE012', 'the validity has already ended');
	END IF;
	IF s.replaces_seal_id IS NOT NULL THEN
		SELECT * INTO old FROM seals WHERE id = s.replaces_seal_id FOR UPDATE;
		IF old.status NOT IN ('approved', 'installed') THEN
			PERFORM wf_fail('SP409', format('the seal this change replaces is %s', old.status));
		END IF;
		UPDATE seals SET status = 'revoked', revoked_at = now(), replaced_by = s.id
		WHERE id = old.id;
		PERFORM org_audit(s.organization_id, p_reviewer, 'seal.revoked', 'seal', old.id::text,
			jsonb_build_object('replaced_by', s.id::text), p_ip, p_ua);
	END IF;
	UPDATE seals SET status = 'approved', valid_from = p_valid_from, valid_until = p_valid_until,
		image_png = p_png, image_source = p_source, code = p_code, seseal = p_seseal,
		reviewed_by = p_reviewer, reviewed_at = now(), approved_at = now(), review_note = NULL,
		claimed_by = NULL, claim_expires_at = NULL
	WHERE id = p_id RETURNING * INTO s;
	PERFORM org_audit(NULL, p_reviewer, 'seal.approved', 'seal', s.id::text,
		jsonb_build_object('organization_id', s.organization_id,
			'valid_from', wf_ts(p_valid_from), 'valid_until', wf_ts(p_valid_until),
			'image_source', p_source, 'seseal_sha256', encode(sha256(p_seseal), 'hex')),
		p_ip, p_ua);
	PERFORM org_audit(s.organization_id, p_reviewer, 'seal.approved', 'seal', s.id::text,
		jsonb_build_object('valid_from', wf_ts(p_valid_from),
			'valid_until', wf_ts(p_valid_until), 'image_source', p_source,
			'seseal_sha256', encode(sha256(p_seseal), 'hex')), p_ip, p_ua);
	RETURN seal_app_json(s, p_reviewer);
END
$$;

CREATE FUNCTION seal_review_reject(p_reviewer bigint, p_id bigint, p_reason text, p_ip inet,
	p_ua text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	s := seal_review_lock(p_id);
	PERFORM seal_claim_check(s, p_reviewer);
	UPDATE seals SET status = 'rejected', review_note = p_reason, reviewed_by = p_reviewer,
		reviewed_at = now(), claimed_by = NULL, claim_expires_at = NULL
	WHERE id = p_id RETURNING * INTO s;
	PERFORM org_audit(NULL, p_reviewer, 'seal.rejected', 'seal', s.id::text,
		jsonb_build_object('organization_id', s.organization_id, 'reason', p_reason),
		p_ip, p_ua);
	PERFORM org_audit(s.organization_id, p_reviewer, 'seal.rejected', 'seal', s.id::text,
		jsonb_build_object('reason', p_reason), p_ip, p_ua);
	RETURN seal_app_json(s, p_reviewer);
END
$$;

-- ---------------------------------------------------------------------------
-- Use in signing.

-- Whether organization p_org may sign with seal p_seal now; fails with the
-- reason. Returns the seal.
CREATE FUNCTION seal_usable(p_org bigint, p_seal bigint) RETURNS seals
LANGUAGE plpgsql STABLE AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	SELECT * INTO s FROM seals WHERE id = p_seal;
	IF NOT FOUND THEN
		PERFORM wf_fail('SE010', format('seal %s does not exist', p_seal));
	END IF;
	IF s.organization_id <> p_org THEN
		PERFORM wf_fail('SE005', format('seal %s belongs to another organization', p_seal));
	END IF;
	IF s.status = 'revoked' THEN
		PERFORM wf_fail('SE006', format('seal %s was revoked (replaced by seal %s)', p_seal,
			coalesce(s.replaced_by::text, '?')));
	END IF;
	IF s.status NOT IN ('approved', 'installed') THEN
		PERFORM wf_fail('SE009', format('seal %s is %s, not approved', p_seal, s.status));
	END IF;
	IF now() < s.valid_from THEN
		PERFORM wf_fail('SE008', format('seal %s is valid from %s', p_seal, wf_ts(s.valid_from)));
	END IF;
	IF now() >= s.valid_until THEN
		PERFORM wf_fail('SE007', format('seal %s expired at %s', p_seal, wf_ts(s.valid_until)));
	END IF;
	RETURN s;
END
$$;

-- signing_prepare_load (005) plus the seal of the placements (p_seal NULL:
-- none), checked in the same statement.
CREATE FUNCTION signing_prepare_load_seal(p_number bigint, p_org bigint, p_seal bigint,
	OUT base_seq integer, OUT document bytea, OUT seal_png bytea, OUT seal_info jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	SELECT l.base_seq, l.document INTO base_seq, document
	FROM signing_prepare_load(p_number, p_org) l;
	IF p_seal IS NOT NULL THEN
		s := seal_usable(p_org, p_seal);
		seal_png := s.image_png;
		seal_info := jsonb_build_object('id', s.id::text, 'name', s.name, 'type', s.type,
			'valid_from', wf_ts(s.valid_from), 'valid_until', wf_ts(s.valid_until),
			'status', s.status);
	END IF;
END
$$;

-- signing_session_create (005) with the seal recorded on the session.
CREATE FUNCTION signing_session_create_seal(p_number bigint, p_org bigint,
	p_user bigint, p_base_seq integer, p_delta bytea, p_contents_off bigint,
	p_contents_len bigint, p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb,
	p_ttl_s integer, p_cert_der bytea, p_cert_subject text, p_cert_issuer text,
	p_cert_serial text, p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet,
	p_ua text, p_seal bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	doc jsonb;
BEGIN
	IF p_seal IS NOT NULL THEN
		PERFORM seal_usable(p_org, p_seal);
	END IF;
	doc := signing_session_create(p_number, p_org, p_user, p_base_seq, p_delta, p_contents_off,
		p_contents_len, p_signed_attrs, p_algorithm, p_chain, p_rects, p_ttl_s, p_cert_der,
		p_cert_subject, p_cert_issuer, p_cert_serial, p_cert_not_before, p_cert_not_after,
		p_ip, p_ua);
	IF p_seal IS NOT NULL THEN
		UPDATE signing_sessions SET seal_id = p_seal WHERE id = (doc->>'session')::uuid;
	END IF;
	RETURN doc;
END
$$;

-- When a session completes, its revision records the seal; a seal revoked
-- or expired since prepare refuses the completion (the whole transaction).
CREATE FUNCTION signing_sessions_seal_complete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.seal_id IS NOT NULL AND NEW.state = 'completed' AND OLD.state = 'open' THEN
		PERFORM seal_usable(NEW.organization_id, NEW.seal_id);
		UPDATE revisions SET seal_id = NEW.seal_id
		WHERE contract_number = NEW.contract_number AND seq = NEW.base_seq + 1;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER signing_sessions_seal_complete AFTER UPDATE OF state ON signing_sessions
	FOR EACH ROW EXECUTE FUNCTION signing_sessions_seal_complete();

-- The seals of a contract's signed revisions, for its verification report,
-- keyed by the revision's length: a signature's byte range ends there.
CREATE FUNCTION contract_revision_seals(p_number bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_object_agg(r.length::text, jsonb_build_object('id', s.id::text,
		'name', s.name, 'type', s.type, 'valid_from', wf_ts(s.valid_from),
		'valid_until', wf_ts(s.valid_until), 'status', s.status)), '{}'::jsonb)
	FROM revisions r JOIN seals s ON s.id = r.seal_id
	WHERE r.contract_number = p_number
$$;
