-- 024_signing_locks.sql: fewer row locks and row versions per signing (issue 14;
-- measured with BENCH_PGSTATS=1 bench/bench_load.py, which prints the WAL by
-- record type, and bench/bench_pg_signing.py, PostgreSQL's CPU per signing).
--
-- A row lock is not free: SELECT ... FOR UPDATE/SHARE writes the locker into
-- the row's header (a dirtied page and a WAL record each), and two
-- transactions sharing a row's lock make a MultiXact. A signing took locks
-- that protected nothing the statement did not protect otherwise:
--
-- * Prepare's check (signing_prepare_check) locked the contract and the
--   signer's party (wf_lock, wf_turn_of) only to read them; its transaction
--   ends with the statement, so the lock was released before anything was
--   written. Prepare's write (signing_session_open) and the completion lock
--   and check everything again, as before. The check now reads the rows
--   (p_lock false): what it answers is what it answered, from the latest
--   committed rows; a completion committing meanwhile is refused by the
--   statements that lock, as before, instead of being waited for by a read.
-- * revisions_check_insert (011) locked the predecessor FOR SHARE. Every
--   writer of a revision after the first holds its contract locked (wf_lock
--   in the completion, FOR UPDATE in archive_renewal_store); a revision goes
--   only with its contract (ON DELETE CASCADE, which locks the contract's
--   row too) and revisions_immutable keeps its length; so the predecessor
--   stays as read, and of two inserts of the same (contract, seq) the primary
--   key refuses one, as before (two FOR SHARE locks never excluded each
--   other). The trigger reads the predecessor's length; its checks,
--   SQLSTATEs and messages are unchanged.
-- * A sealed signing wrote its revision twice: inserted by the completion,
--   then updated by signing_sessions_seal_complete (009, a trigger on the
--   session's completion) to record the seal, a second row version of a
--   revision (and revisions_immutable run on it). The completion now inserts
--   the revision with the session's seal and checks the seal (seal_usable,
--   the trigger's check) where the trigger did, right before the session's
--   update; the trigger is gone (signing_session_complete_verified is the one
--   function that completes a session: signing_session_complete calls it).

-- ---------------------------------------------------------------------------
-- wf_lock and wf_turn_of take p_lock (default true: every caller as before).
-- Without the lock the same rows are read and judged by the same rules.
-- Dropped and made again: a parameter with a default next to the old
-- function would make every two- and three-argument call ambiguous. PL/pgSQL
-- callers name them by text, so nothing depends on them in the catalog.
DROP FUNCTION wf_turn_of(contracts, bigint, text);
DROP FUNCTION wf_lock(bigint, bigint);

-- Lock a contract the caller may see, or fail 404 (same answer whether it
-- does not exist or belongs to others: no existence leak). p_lock false: read
-- it (a caller that writes nothing).
CREATE FUNCTION wf_lock(p_number bigint, p_org bigint, p_lock boolean DEFAULT true)
RETURNS contracts LANGUAGE plpgsql AS $$
DECLARE
	c contracts%ROWTYPE;
BEGIN
	IF p_lock THEN
		SELECT * INTO c FROM contracts WHERE number = p_number FOR UPDATE;
	ELSE
		SELECT * INTO c FROM contracts WHERE number = p_number;
	END IF;
	IF NOT FOUND OR NOT (c.initiator_org_id = p_org OR (c.status <> 'draft' AND EXISTS (
			SELECT 1 FROM parties WHERE contract_number = p_number
			AND organization_id = p_org))) THEN
		PERFORM wf_fail('SP404', 'no such contract');
	END IF;
	RETURN c;
END
$$;

-- The one rule of whose turn it is (005's wf_party_turn, 019), for a caller
-- that holds the contract locked (wf_lock's row): the party locked and
-- judged. p_lock false: the party read and judged (with wf_lock's unlocked
-- row).
CREATE FUNCTION wf_turn_of(c contracts, p_org bigint, p_for text, p_lock boolean DEFAULT true)
RETURNS parties LANGUAGE plpgsql AS $$
DECLARE
	p parties%ROWTYPE;
	allowed text[];
	not_signer text;
BEGIN
	CASE p_for
	WHEN 'receive' THEN
		allowed := '{pending}';
		not_signer := 'only a signer receives a contract';
	WHEN 'reject' THEN
		allowed := '{pending,received}';
		not_signer := 'only a signer rejects a contract';
	WHEN 'sign' THEN
		allowed := '{received}';
		not_signer := 'only a signer signs a contract';
	WHEN 'send' THEN
		allowed := '{signed}';
		not_signer := 'a cc party does not send';
	ELSE
		RAISE EXCEPTION 'wf_party_turn: unknown step %', p_for;
	END CASE;
	IF p_lock THEN
		SELECT * INTO p FROM parties WHERE contract_number = c.number AND organization_id = p_org
			AND role = 'signer' FOR UPDATE;
	ELSE
		SELECT * INTO p FROM parties WHERE contract_number = c.number AND organization_id = p_org
			AND role = 'signer';
	END IF;
	IF p.id IS NULL THEN
		PERFORM wf_fail('SP403', not_signer);
	END IF;
	IF c.status <> 'signing' THEN
		PERFORM wf_fail('SP409', format('the contract is %s', c.status));
	END IF;
	IF p.status = ANY (allowed) THEN
		RETURN p;
	END IF;
	IF p.status = 'waiting' THEN
		PERFORM wf_fail('SP419', 'it is not your turn yet');
	END IF;
	IF p_for = 'sign' AND p.status = 'pending' THEN
		PERFORM wf_fail('SP409', 'receive the contract before signing it');
	END IF;
	IF p_for = 'send' AND p.status IN ('pending', 'received') THEN
		PERFORM wf_fail('SP409', format('your party is %s; sign before sending', p.status));
	END IF;
	PERFORM wf_fail('SP409', format('your party is %s', p.status));
	RETURN NULL; -- not reached
END
$$;

-- Prepare's first statement (019) reading, not locking: the same checks in
-- the same order, the same answer.
CREATE OR REPLACE FUNCTION signing_prepare_check(p_number bigint, p_org bigint, p_seal bigint,
	OUT base_seq integer, OUT base_length bigint, OUT seal_png bytea, OUT seal_info jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	s seals%ROWTYPE;
BEGIN
	PERFORM wf_turn_of(wf_lock(p_number, p_org, false), p_org, 'sign', false);
	SELECT r.seq, r.length INTO base_seq, base_length FROM revisions r
	WHERE r.contract_number = p_number ORDER BY r.seq DESC LIMIT 1;
	IF p_seal IS NOT NULL THEN
		s := seal_usable(p_org, p_seal);
		seal_png := s.image_png;
		seal_info := jsonb_build_object('id', s.id::text, 'name', s.name, 'type', s.type,
			'valid_from', wf_ts(s.valid_from), 'valid_until', wf_ts(s.valid_until),
			'status', s.status);
	END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- The predecessor read, not locked (see above); otherwise 011's trigger.
CREATE OR REPLACE FUNCTION revisions_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	prev_length bigint;
BEGIN
	IF NEW.seq = 0 THEN
		IF NEW.length <> length(NEW.delta) THEN
			RAISE EXCEPTION 'revision 0 of contract %: length % but the document has % bytes',
				NEW.contract_number, NEW.length, length(NEW.delta)
				USING ERRCODE = 'check_violation';
		END IF;
		IF NEW.sha256 <> encode(sha256(NEW.delta), 'hex') THEN
			RAISE EXCEPTION 'revision 0 of contract %: sha256 does not match the document',
				NEW.contract_number USING ERRCODE = 'check_violation';
		END IF;
		RETURN NEW;
	END IF;
	-- The writer holds the contract locked: the predecessor stays as read.
	SELECT length INTO prev_length FROM revisions
	WHERE contract_number = NEW.contract_number AND seq = NEW.seq - 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'revision % of contract % has no predecessor', NEW.seq,
			NEW.contract_number USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF NEW.length <> prev_length + length(NEW.delta) THEN
		RAISE EXCEPTION 'revision % of contract %: length % but the document has % bytes',
			NEW.seq, NEW.contract_number, NEW.length, prev_length + length(NEW.delta)
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- The completion (019) with the session's seal on the revision it inserts,
-- checked (seal_usable) where signing_sessions_seal_complete checked it:
-- after the revision, the party, the events and the answer's document,
-- before the session's update. Everything else as in 019.
DROP TRIGGER signing_sessions_seal_complete ON signing_sessions;
DROP FUNCTION signing_sessions_seal_complete();

CREATE OR REPLACE FUNCTION signing_session_complete_verified(p_id uuid, p_org bigint,
	p_user bigint, p_delta bytea, p_length bigint, p_sha256 text, p_tsa_time timestamptz,
	p_verification text, p_archive_until timestamptz, p_signed_length bigint, p_ip inet,
	p_ua text DEFAULT NULL) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	s signing_sessions%ROWTYPE;
	c contracts%ROWTYPE;
	p parties%ROWTYPE;
	last integer;
	seq integer;
	ua text := nullif(left(p_ua, 256), '');
	doc json;
BEGIN
	-- Lock the contract first, in the same order as every workflow function.
	SELECT ss.contract_number INTO s.contract_number FROM signing_sessions ss WHERE ss.id = p_id;
	IF s.contract_number IS NULL THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	c := wf_lock(s.contract_number, p_org);
	-- The columns the checks and the writes use: a whole row into a PL/pgSQL
	-- variable detoasts the prepared update (and the chain) for nothing.
	SELECT ss.organization_id, ss.state, ss.expires_at, ss.base_seq, ss.certificate_id,
		ss.seal_id
	INTO s.organization_id, s.state, s.expires_at, s.base_seq, s.certificate_id, s.seal_id
	FROM signing_sessions ss WHERE ss.id = p_id FOR UPDATE;
	IF s.organization_id <> p_org THEN
		PERFORM wf_fail('SP404', 'no such signing session');
	END IF;
	-- signing_session_usable(s)
	IF s.state = 'completed' THEN
		PERFORM wf_fail('SPS11', 'this signing session was already completed (single use)');
	END IF;
	IF s.state = 'aborted' THEN
		PERFORM wf_fail('SPS11', 'this signing session was aborted');
	END IF;
	IF s.expires_at <= now() THEN
		PERFORM wf_fail('SPS10', format('this signing session expired at %s; prepare again',
			wf_ts(s.expires_at)));
	END IF;
	SELECT max(r.seq) INTO last FROM revisions r WHERE r.contract_number = s.contract_number;
	IF last <> s.base_seq THEN
		PERFORM wf_fail('SPS09', 'another revision landed since this session was prepared; prepare again');
	END IF;
	IF p_archive_until IS NOT NULL THEN
		UPDATE contracts SET archive_until = p_archive_until WHERE number = s.contract_number;
	END IF;
	-- party_mark_signed (017), the contract locked above
	seq := s.base_seq + 1;
	p := wf_turn_of(c, p_org, 'sign');
	IF seq <> last + 1 THEN
		PERFORM wf_fail('SP409', format('revision %s is the latest; prepare again', last));
	END IF;
	INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, certificate_id,
		signed_length, verification, seal_id)
	VALUES (s.contract_number, seq, p_delta, p_length, p_sha256, p.id, s.certificate_id,
		nullif(p_signed_length, p_length), p_verification, s.seal_id);
	UPDATE parties SET status = 'signed', signed_at = now(),
		received_at = coalesce(received_at, now()), acted_by = p_user WHERE id = p.id;
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (s.contract_number, p_org, p_user, 'party.signed', 'contract',
		s.contract_number::text, p_ip, ua, jsonb_build_object('seq', seq,
			'sha256', p_sha256, 'certificate_id', s.certificate_id));
	PERFORM wf_event(s.contract_number, 'signed', p_org, jsonb_build_object('seq', seq));
	doc := contract_json(s.contract_number, p_org);
	-- signing_sessions_seal_complete's check (009), the seal already on the revision
	IF s.seal_id IS NOT NULL THEN
		PERFORM seal_usable(p_org, s.seal_id);
	END IF;
	UPDATE signing_sessions SET state = 'completed', finished_at = now() WHERE id = p_id;
	INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,
		object_type, object_id, ip, user_agent, details)
	VALUES (s.contract_number, p_org, p_user, 'signing.completed', 'contract',
		s.contract_number::text, p_ip, ua, jsonb_build_object('session', p_id, 'seq', seq,
			'sha256', p_sha256, 'timestamp', wf_ts(p_tsa_time),
			'archive_until', wf_ts(p_archive_until)));
	RETURN json_build_object('session', p_id, 'seq', seq, 'sha256', p_sha256,
		'length', p_length, 'timestamp', wf_ts(p_tsa_time), 'contract', doc);
END
$$;

-- ---------------------------------------------------------------------------
-- Organizations, users and certificates are never deleted, and the foreign
-- keys from a signing's hottest inserts to them are gone.
--
-- A foreign key's check on insert locks the referenced row FOR KEY SHARE: a
-- WAL record per row and transaction, and when other transactions hold the
-- same row (every signer of an organization signs with the same organization
-- row, a signer's sessions and revisions name the same user and certificate),
-- a new MultiXact for each further locker. A signing inserted a session
-- (organization, user, certificate), three audit events (actor organization
-- and user) and a revision (certificate): 6 such locks, 1.1-2.6 MultiXacts
-- per signing at 8 clients (BENCH_PGSTATS=1 bench/bench_load.py).
--
-- What those keys proved, that the row named exists, holds without them:
-- * these rows are never deleted on this platform (the audit trail, the
--   chains' hashes and the evidence reports name them): never_deleted()
--   refuses DELETE and TRUNCATE on the three tables and a changed id, with
--   foreign_key_violation (23503), the SQLSTATE the keys gave;
-- * every insert path takes the ids from rows it has just read: the actor
--   (organization, user) is the one auth_member / auth_credential_lookup
--   found for the request's credential (sessions and api_keys keep their
--   foreign keys to users and organizations), the signing's certificate is
--   the one signing_session_open selected or inserted by fingerprint, and
--   the revision's certificate is its session's.
-- The other foreign keys stay, among them those to contracts, parties and
-- seals, and those of the rarely written tables (sessions, api_keys,
-- webhooks, seals, certificates to users).
CREATE FUNCTION never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
		MESSAGE = format('%s are never deleted nor renumbered: the audit trail names them',
			TG_TABLE_NAME);
END
$$;

CREATE TRIGGER organizations_never_deleted BEFORE DELETE ON organizations
	FOR EACH ROW EXECUTE FUNCTION never_deleted();
CREATE TRIGGER organizations_never_renumbered BEFORE UPDATE OF id ON organizations
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION never_deleted();
CREATE TRIGGER organizations_never_truncated BEFORE TRUNCATE ON organizations
	FOR EACH STATEMENT EXECUTE FUNCTION never_deleted();
CREATE TRIGGER users_never_deleted BEFORE DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION never_deleted();
CREATE TRIGGER users_never_renumbered BEFORE UPDATE OF id ON users
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION never_deleted();
CREATE TRIGGER users_never_truncated BEFORE TRUNCATE ON users
	FOR EACH STATEMENT EXECUTE FUNCTION never_deleted();
CREATE TRIGGER certificates_never_deleted BEFORE DELETE ON certificates
	FOR EACH ROW EXECUTE FUNCTION never_deleted();
CREATE TRIGGER certificates_never_renumbered BEFORE UPDATE OF id ON certificates
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION never_deleted();
CREATE TRIGGER certificates_never_truncated BEFORE TRUNCATE ON certificates
	FOR EACH STATEMENT EXECUTE FUNCTION never_deleted();

ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_org_id_fkey,
	DROP CONSTRAINT audit_events_actor_user_id_fkey;
ALTER TABLE signing_sessions DROP CONSTRAINT signing_sessions_organization_id_fkey,
	DROP CONSTRAINT signing_sessions_user_id_fkey,
	DROP CONSTRAINT signing_sessions_certificate_id_fkey;
ALTER TABLE revisions DROP CONSTRAINT revisions_certificate_id_fkey;
