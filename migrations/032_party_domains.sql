-- 032: the one-column CHECKs of parties and list_counts become domains, as
-- 026 made those of the other tables a signing writes.
--
-- Every INSERT or UPDATE statement reads each CHECK of its table again from
-- its stored text (stringToNode) and compiles it before the first row, even
-- from a cached plan; a domain's constraints are read once per backend (the
-- type cache). A signing's completion updates its party (five CHECKs read,
-- one of them over two columns) and the list-counts trigger upserts a row of
-- list_counts (two): six of the fifteen CHECKs a signing read, about 0.2M of
-- PostgreSQL's ~7M instructions per signing (bench/bench_pg_callgrind.py).
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
-- SQLSTATEs). NULL passes as before. parties_reject_reason_iff_rejected, a
-- rule over two columns, stays the table's.
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
-- grows with every signature (~2.8 KB each: ~56 KB at a contract's 20th
-- signing, counted character by character at every completion). No text
-- has more characters than bytes, so a report of at most 4,194,304 bytes
-- passes without counting, and a longer one is counted as before: the same
-- reports accepted, the same constraint name.
ALTER DOMAIN revision_verification DROP CONSTRAINT revision_verification_check;
ALTER DOMAIN revision_verification ADD CONSTRAINT revision_verification_check
	CHECK (VALUE IS NULL OR octet_length(VALUE) <= 4194304 OR length(VALUE) <= 4194304);
