-- 032: the one-column CHECKs of parties and list_counts become domains, as
-- 026 made those of the other tables a signing writes.
--
-- Every INSERT or UPDATE statement reads each CHECK of its table again from
-- its stored text (stringToNode) and compiles it before the first row, even
-- from a cached plan; a domain's constraints are read once per backend (the
-- type cache). A signing's completion updates its party (five CHECKs read,
-- one of them over two columns) and the list-counts trigger upserts a row of
-- list_counts (two): six of the fifteen CHECKs a signing read, 0.15M of
-- PostgreSQL's 6.95M instructions per signing (bench/bench_pg_callgrind.py).
-- An UPDATE checks a domain column only when it assigns it: the completion
-- checks `status`, not `role`, `routing_order` or `reject_reason`.
--
-- What stays the same: every rule, word for word (VALUE for the column), and
-- its SQLSTATE (23514, check_violation); each domain's constraint keeps the
-- table constraint's name. The message says 'value for domain party_status
-- violates check constraint "parties_status_check"' where it said 'new row
-- for relation "parties" violates check constraint "parties_status_check"';
-- db/errors.c maps the SQLSTATE, and no request reaches these rules (the
-- functions that write the columns refuse bad values first with their own
-- SQLSTATEs). NULL passes as before. A row breaking two of the rules at
-- once is told the first in column order (a domain is checked as its value
-- is stored), where the table named the first by constraint name: only a
-- list_counts row with both a bad tab and a bad slot hears of the tab now.
-- parties_reject_reason_iff_rejected, a rule over two columns, stays the
-- table's.
--
-- The lists read parties through partial indexes on role and status: a
-- column of a domain over text compares as text (the predicates and the
-- lists' conditions are read again against the new type, in the same form),
-- so the same indexes serve the same plans (bench/bench_lists.sh).
--
-- On a populated database: each column's type becomes a domain without
-- constraints first (binary-coercible: no rewrite, the indexes are kept),
-- then each domain gets its constraint, which scans its column once (the
-- table's CHECK had accepted every row). A changed column loses its
-- statistics: the two tables are analyzed again for the lists' planner.

CREATE DOMAIN party_role AS text;
CREATE DOMAIN party_status AS text;
CREATE DOMAIN party_routing_order AS integer;
CREATE DOMAIN party_reject_reason AS text;
CREATE DOMAIN list_tab AS text;
CREATE DOMAIN list_slot AS smallint;

ALTER TABLE parties
	DROP CONSTRAINT parties_role_check,
	DROP CONSTRAINT parties_status_check,
	DROP CONSTRAINT parties_routing_order_check,
	DROP CONSTRAINT parties_reject_reason_check,
	ALTER COLUMN role TYPE party_role,
	ALTER COLUMN status TYPE party_status,
	ALTER COLUMN routing_order TYPE party_routing_order,
	ALTER COLUMN reject_reason TYPE party_reject_reason;
ALTER TABLE list_counts
	DROP CONSTRAINT list_counts_tab_check,
	DROP CONSTRAINT list_counts_slot_check,
	ALTER COLUMN tab TYPE list_tab,
	ALTER COLUMN slot TYPE list_slot;

-- The rules, as the tables' CHECKs said them (001, 011, 029).
ALTER DOMAIN party_role ADD CONSTRAINT parties_role_check
	CHECK (VALUE = ANY ('{signer,cc}'::text[]));
ALTER DOMAIN party_status ADD CONSTRAINT parties_status_check
	CHECK (VALUE = ANY ('{waiting,pending,received,signed,sent,rejected}'::text[]));
ALTER DOMAIN party_routing_order ADD CONSTRAINT parties_routing_order_check
	CHECK (VALUE BETWEEN 1 AND 1000);
ALTER DOMAIN party_reject_reason ADD CONSTRAINT parties_reject_reason_check
	CHECK (length(VALUE) BETWEEN 1 AND 1000);
ALTER DOMAIN list_tab ADD CONSTRAINT list_counts_tab_check
	CHECK (VALUE = ANY ('{todo,initiated,signed,cc,drafts}'::text[]));
ALTER DOMAIN list_slot ADD CONSTRAINT list_counts_slot_check
	CHECK (VALUE BETWEEN 0 AND 15);

ANALYZE parties;
ANALYZE list_counts;

-- A revision's verification report (012, a domain since 026) is at most
-- 4,194,304 characters. length() counts a text's characters by reading all
-- of its bytes; octet_length() reads its size from the header. The report
-- grows with every signature (~2.8 KB each: 57.5 KB at a contract's 20th
-- signing, whose count took 1.3M instructions, a fifth of a whole signing's
-- in PostgreSQL, at the completion's INSERT of the revision). No text
-- has more characters than bytes, so a report of at most 4,194,304 bytes
-- passes without counting, and a longer one is counted as before: the same
-- reports accepted, the same constraint name.
ALTER DOMAIN revision_verification DROP CONSTRAINT revision_verification_check;
ALTER DOMAIN revision_verification ADD CONSTRAINT revision_verification_check
	CHECK (VALUE IS NULL OR octet_length(VALUE) <= 4194304 OR length(VALUE) <= 4194304);

-- ---------------------------------------------------------------------------
-- 028's signing_session_open, without a DELETE statement at every prepare.
-- Its open sessions are counted with the latest revision and the
-- certificate (one statement), and so are those that expired more than an
-- hour ago; only when there are such does the DELETE run (a DELETE that
-- finds nothing still started an executor for a write of signing_sessions).
-- The checks in the same order (SPS09, the certificate's owner and
-- revocation, then the 20 open sessions); the same rows are deleted, and
-- the count is of the open sessions that have not expired, as before.
CREATE OR REPLACE FUNCTION signing_session_open(p_number bigint, p_org bigint, p_user bigint,
	p_base_seq integer, p_delta bytea, p_contents_off bigint, p_contents_len bigint,
	p_signed_attrs bytea, p_algorithm text, p_chain bytea, p_rects jsonb, p_ttl_s integer,
	p_cert_der bytea, p_cert_subject text, p_cert_issuer text, p_cert_serial text,
	p_cert_not_before timestamptz, p_cert_not_after timestamptz, p_ip inet, p_ua text,
	p_seal bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	p parties%ROWTYPE;
	last integer;
	cert certificates%ROWTYPE;
	s signing_sessions%ROWTYPE;
	fp text := encode(sha256(p_cert_der), 'hex');
	n_open bigint;
	n_gone bigint;
BEGIN
	IF p_seal IS NOT NULL THEN
		PERFORM seal_usable(p_org, p_seal);
	END IF;
	p := wf_turn_of(wf_lock(p_number, p_org), p_org, 'sign'); -- wf_party_turn
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
