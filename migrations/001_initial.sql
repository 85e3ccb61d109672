-- 001_initial.sql: the core schema of DESIGN.md §4.
--
-- Conventions: ids are bigint identities (contracts use their 19-digit
-- number); times are timestamptz; states are text with CHECK constraints (a
-- later migration extends a state set by replacing one named constraint);
-- digests are lowercase hex text. Applied by db_migrate() inside one
-- transaction, so no BEGIN/COMMIT here.

-- Keeps updated_at honest on every UPDATE, whatever the statement says.
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- Organizations. The unified social credit code (GB 32100-2015) is 18
-- characters from the code's alphabet (digits and upper-case letters but
-- I, O, S, V, Z); characters 3-8 are the administrative division code.
CREATE TABLE organizations (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
	credit_code text NOT NULL UNIQUE
		CONSTRAINT organizations_credit_code_format
		CHECK (credit_code ~ '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$'),
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER organizations_updated_at BEFORE UPDATE ON organizations
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- Users: a member of an organization (who logs in with a certificate bound
-- to them) or a platform reviewer of seal applications (no organization).
CREATE TABLE users (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind            text NOT NULL
		CONSTRAINT users_kind_check CHECK (kind IN ('member', 'reviewer')),
	organization_id bigint REFERENCES organizations (id),
	name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
	disabled_at     timestamptz,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT users_member_has_organization
		CHECK ((kind = 'member') = (organization_id IS NOT NULL)),
	-- Target of certificates' (user_id, organization_id) foreign key.
	UNIQUE (id, organization_id)
);
CREATE INDEX users_organization_idx ON users (organization_id);
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- Certificates: X.509 signing certificates read from tokens. The fingerprint
-- is the SHA-256 of the DER and the database checks that it is.
CREATE TABLE certificates (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization_id bigint REFERENCES organizations (id),
	user_id         bigint REFERENCES users (id),
	fingerprint     text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
	subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 2000),
	issuer          text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 2000),
	serial          text NOT NULL CHECK (serial ~ '^[0-9a-f]{1,64}$'),
	not_before      timestamptz NOT NULL,
	not_after       timestamptz NOT NULL,
	der             bytea NOT NULL CHECK (length(der) BETWEEN 1 AND 65536),
	revoked_at      timestamptz,
	created_at      timestamptz NOT NULL DEFAULT now(),
	CHECK (not_before < not_after),
	CHECK (fingerprint = encode(sha256(der), 'hex')),
	CHECK (organization_id IS NOT NULL OR user_id IS NOT NULL),
	UNIQUE (issuer, serial),
	-- A certificate bound to a user and an organization: the user is a member of it.
	FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id)
);
CREATE INDEX certificates_organization_idx ON certificates (organization_id);
CREATE INDEX certificates_user_idx ON certificates (user_id);

-- ---------------------------------------------------------------------------
-- Electronic seals. An application starts as a draft; the reviewer approves
-- or rejects it; the organization installs an approved seal. A change is a
-- new seal with replaces_seal_id; approving it retires the old one.
CREATE TABLE seals (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization_id  bigint NOT NULL REFERENCES organizations (id),
	name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
	type             text NOT NULL
		CONSTRAINT seals_type_check CHECK (type IN ('official', 'contract')),
	-- PNG with transparency; the signature bytes are checked here, the rest by the server.
	image_png        bytea CHECK (image_png IS NULL OR (length(image_png) BETWEEN 8 AND 4194304
		AND substring(image_png FROM 1 FOR 8) = '\x89504e470d0a1a0a'::bytea)),
	valid_from       timestamptz,
	valid_until      timestamptz,
	certificate_id   bigint REFERENCES certificates (id),
	status           text NOT NULL DEFAULT 'draft'
		CONSTRAINT seals_status_check CHECK (status IN ('draft', 'under_review', 'approved',
			'installed', 'rejected', 'cancelled', 'revoked')),
	replaces_seal_id bigint REFERENCES seals (id),
	review_note      text CHECK (length(review_note) <= 2000),
	reviewed_by      bigint REFERENCES users (id),
	submitted_at     timestamptz,
	reviewed_at      timestamptz,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until),
	CHECK (replaces_seal_id IS DISTINCT FROM id),
	-- What a signature relies on exists once the seal is approved.
	CONSTRAINT seals_usable_complete CHECK (status NOT IN ('approved', 'installed') OR
		(image_png IS NOT NULL AND valid_from IS NOT NULL AND valid_until IS NOT NULL
		 AND certificate_id IS NOT NULL))
);
CREATE INDEX seals_organization_status_idx ON seals (organization_id, status);
CREATE INDEX seals_review_queue_idx ON seals (submitted_at) WHERE status = 'under_review';
CREATE TRIGGER seals_updated_at BEFORE UPDATE ON seals
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- Contracts ("credentials" in the guides). The number is the 19-digit
-- time-ordered identifier; it exceeds 2^53, so JSON carries it as a string.
CREATE TABLE contracts (
	number            bigint PRIMARY KEY CHECK (number >= 1000000000000000000),
	name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
	business_type     text NOT NULL DEFAULT 'e-contract'
		CHECK (business_type ~ '^[a-z][a-z0-9_-]{0,31}$'),
	initiator_org_id  bigint NOT NULL REFERENCES organizations (id),
	initiator_user_id bigint REFERENCES users (id),
	deadline          timestamptz,
	status            text NOT NULL DEFAULT 'draft'
		CONSTRAINT contracts_status_check CHECK (status IN ('draft', 'signing', 'completed',
			'rejected', 'cancelled', 'expired')),
	page_count        integer CHECK (page_count > 0),
	sha256            text CHECK (sha256 ~ '^[0-9a-f]{64}$'), -- of revision 0 (the normalized upload)
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now(),
	sent_at           timestamptz,
	completed_at      timestamptz,
	CHECK (status = 'draft' OR (page_count IS NOT NULL AND sha256 IS NOT NULL))
);
-- "Initiated by me" and "my drafts", newest first, with a created-time range.
CREATE INDEX contracts_initiator_created_idx ON contracts (initiator_org_id, created_at DESC);
CREATE INDEX contracts_initiator_status_idx ON contracts (initiator_org_id, status, created_at DESC);
CREATE INDEX contracts_created_idx ON contracts (created_at);
-- The expiry sweep looks only at contracts still being signed.
CREATE INDEX contracts_deadline_idx ON contracts (deadline) WHERE status = 'signing';
CREATE TRIGGER contracts_updated_at BEFORE UPDATE ON contracts
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- Parties: who signs (in routing order; equal orders sign in parallel) and
-- who gets a copy.
CREATE TABLE parties (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	contract_number bigint NOT NULL REFERENCES contracts (number) ON DELETE CASCADE,
	organization_id bigint NOT NULL REFERENCES organizations (id),
	role            text NOT NULL
		CONSTRAINT parties_role_check CHECK (role IN ('signer', 'cc')),
	routing_order   integer NOT NULL DEFAULT 1 CHECK (routing_order BETWEEN 1 AND 1000),
	status          text NOT NULL DEFAULT 'waiting'
		CONSTRAINT parties_status_check CHECK (status IN ('waiting', 'pending', 'received',
			'signed', 'sent', 'rejected')),
	reject_reason   text CHECK (length(reject_reason) BETWEEN 1 AND 1000),
	acted_by        bigint REFERENCES users (id),
	received_at     timestamptz,
	signed_at       timestamptz,
	sent_at         timestamptz,
	rejected_at     timestamptz,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT parties_reject_reason_iff_rejected
		CHECK ((status = 'rejected') = (reject_reason IS NOT NULL)),
	CONSTRAINT parties_unique UNIQUE (contract_number, organization_id, role)
);
-- To-do / signed by me / cc'd to me: by organization, role and status.
CREATE INDEX parties_organization_idx ON parties (organization_id, role, status, contract_number);
CREATE INDEX parties_contract_order_idx ON parties (contract_number, routing_order);
CREATE TRIGGER parties_updated_at BEFORE UPDATE ON parties
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- Revisions with delta storage: seq 0 holds the whole normalized PDF; seq k
-- holds only the incremental update appended to revision k-1. length and
-- sha256 describe the FULL document at that revision, and the trigger below
-- checks both on insert, so a stored chain always reassembles correctly.
CREATE TABLE revisions (
	contract_number bigint NOT NULL REFERENCES contracts (number) ON DELETE CASCADE,
	seq             integer NOT NULL CHECK (seq >= 0),
	delta           bytea NOT NULL CHECK (length(delta) > 0),
	length          bigint NOT NULL CHECK (length > 0),
	sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	party_id        bigint REFERENCES parties (id),
	certificate_id  bigint REFERENCES certificates (id),
	created_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (contract_number, seq),
	-- Revision 0 is the upload; every later one is a party's signature.
	CONSTRAINT revisions_signed_by CHECK ((seq = 0) = (party_id IS NULL)
		AND (seq = 0) = (certificate_id IS NULL))
);

-- The full document at revision seq: seq 0 and every delta up to seq, in
-- order. NULL when that revision does not exist.
CREATE FUNCTION revision_document(p_contract bigint, p_seq integer) RETURNS bytea
LANGUAGE sql STABLE STRICT AS $$
	SELECT CASE WHEN count(*) = p_seq + 1 THEN string_agg(delta, ''::bytea ORDER BY seq) END
	FROM revisions
	WHERE contract_number = p_contract AND seq BETWEEN 0 AND p_seq
$$;

CREATE FUNCTION revisions_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	prev_length bigint;
	doc bytea;
BEGIN
	IF NEW.seq = 0 THEN
		doc := NEW.delta;
	ELSE
		-- Lock the predecessor: two signatures racing onto the same revision
		-- serialize here, and the primary key refuses the loser.
		SELECT length INTO prev_length FROM revisions
		WHERE contract_number = NEW.contract_number AND seq = NEW.seq - 1 FOR SHARE;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'revision % of contract % has no predecessor', NEW.seq,
				NEW.contract_number USING ERRCODE = 'foreign_key_violation';
		END IF;
		doc := revision_document(NEW.contract_number, NEW.seq - 1) || NEW.delta;
	END IF;
	IF NEW.length <> length(doc) THEN
		RAISE EXCEPTION 'revision % of contract %: length % but the document has % bytes',
			NEW.seq, NEW.contract_number, NEW.length, length(doc)
			USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.sha256 <> encode(sha256(doc), 'hex') THEN
		RAISE EXCEPTION 'revision % of contract %: sha256 does not match the document',
			NEW.seq, NEW.contract_number USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER revisions_check_insert BEFORE INSERT ON revisions
	FOR EACH ROW EXECUTE FUNCTION revisions_check_insert();

-- A stored revision is evidence: its bytes never change (a draft's upload is
-- replaced by deleting revision 0 and inserting a new one).
CREATE FUNCTION revisions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.delta IS DISTINCT FROM OLD.delta OR NEW.length <> OLD.length
	   OR NEW.sha256 <> OLD.sha256 OR NEW.seq <> OLD.seq
	   OR NEW.contract_number <> OLD.contract_number THEN
		RAISE EXCEPTION 'revisions are append-only' USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER revisions_immutable BEFORE UPDATE ON revisions
	FOR EACH ROW EXECUTE FUNCTION revisions_immutable();

-- ---------------------------------------------------------------------------
-- Audit events, chained by hash per contract (contract_number NULL: the
-- platform's own chain, e.g. seal reviews). The insert trigger fills seq,
-- prev_hash and hash: hash = sha256(prev_hash || canonical text of the
-- event); the first event's prev_hash is 32 zero bytes. audit_heads holds
-- each chain's last link and is locked for the append, so concurrent
-- appends to one chain queue up and still form a single chain. No foreign
-- key to contracts: the audit trail outlives a deleted draft.
CREATE TABLE audit_heads (
	chain     bigint PRIMARY KEY,          -- contract number, or 0 for the platform
	last_seq  bigint NOT NULL,
	last_hash bytea NOT NULL CHECK (length(last_hash) = 32)
);

CREATE TABLE audit_events (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	contract_number bigint,
	seq             bigint NOT NULL,
	actor_org_id    bigint REFERENCES organizations (id),
	actor_user_id   bigint REFERENCES users (id),
	action          text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
	object_type     text NOT NULL CHECK (object_type ~ '^[a-z][a-z0-9_]{0,31}$'),
	object_id       text NOT NULL CHECK (length(object_id) BETWEEN 1 AND 100),
	ip              inet,
	at              timestamptz NOT NULL DEFAULT now(),
	details         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
	prev_hash       bytea NOT NULL CHECK (length(prev_hash) = 32),
	hash            bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE UNIQUE INDEX audit_events_chain_idx ON audit_events ((coalesce(contract_number, 0)), seq);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_org_id, at);
CREATE INDEX audit_events_at_idx ON audit_events (at);

-- The canonical text of an event: a JSON array (unambiguous, escaped), with
-- the time in UTC to the microsecond so that neither TimeZone nor DateStyle
-- changes it. jsonb prints objects with sorted keys, so details are stable.
CREATE FUNCTION audit_event_hash(prev_hash bytea, contract_number bigint, seq bigint,
	actor_org_id bigint, actor_user_id bigint, action text, object_type text,
	object_id text, ip inet, at timestamptz, details jsonb) RETURNS bytea
LANGUAGE sql STABLE AS $$
	SELECT sha256(prev_hash || convert_to(jsonb_build_array(contract_number, seq,
		actor_org_id, actor_user_id, action, object_type, object_id,
		host(ip), to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		details)::text, 'UTF8'))
$$;

CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k bigint := coalesce(NEW.contract_number, 0);
	head audit_heads%ROWTYPE;
BEGIN
	INSERT INTO audit_heads (chain, last_seq, last_hash)
	VALUES (k, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
	ON CONFLICT (chain) DO NOTHING;
	SELECT * INTO head FROM audit_heads WHERE chain = k FOR UPDATE;
	NEW.seq := head.last_seq + 1;
	NEW.prev_hash := head.last_hash;
	NEW.hash := audit_event_hash(NEW.prev_hash, NEW.contract_number, NEW.seq,
		NEW.actor_org_id, NEW.actor_user_id, NEW.action, NEW.object_type,
		NEW.object_id, NEW.ip, NEW.at, NEW.details);
	UPDATE audit_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain = k;
	RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_immutable BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_immutable();

-- Re-verify one chain (NULL: the platform chain). valid is false at the first
-- event whose seq, prev_hash or hash does not follow, or when the head
-- disagrees with the last event (events deleted from the tail).
CREATE FUNCTION audit_chain_verify(p_contract bigint,
	OUT valid boolean, OUT events bigint, OUT first_bad_seq bigint, OUT reason text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	k bigint := coalesce(p_contract, 0);
	e audit_events%ROWTYPE;
	expect_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
	expect_seq bigint := 1;
	head audit_heads%ROWTYPE;
BEGIN
	valid := true;
	events := 0;
	FOR e IN SELECT * FROM audit_events WHERE coalesce(contract_number, 0) = k ORDER BY seq LOOP
		events := events + 1;
		IF e.seq <> expect_seq THEN
			reason := format('event %s missing', expect_seq);
		ELSIF e.prev_hash <> expect_prev THEN
			reason := 'prev_hash does not match the previous event';
		ELSIF e.hash <> audit_event_hash(e.prev_hash, e.contract_number, e.seq,
				e.actor_org_id, e.actor_user_id, e.action, e.object_type,
				e.object_id, e.ip, e.at, e.details) THEN
			reason := 'hash does not match the event';
		END IF;
		IF reason IS NOT NULL THEN
			valid := false;
			first_bad_seq := e.seq;
			RETURN;
		END IF;
		expect_prev := e.hash;
		expect_seq := e.seq + 1;
	END LOOP;
	SELECT * INTO head FROM audit_heads WHERE chain = k;
	IF (NOT FOUND AND events > 0) OR (FOUND AND (head.last_seq <> events
			OR head.last_hash <> expect_prev)) THEN
		valid := false;
		first_bad_seq := events + 1;
		reason := 'chain head does not match the last event';
	END IF;
END
$$;
