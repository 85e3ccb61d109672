-- 022_signing_churn.sql: a signing's session row updated in place (issue 14;
-- measured with BENCH_PGSTATS=1 bench/bench_load.py, which prints the WAL by
-- record type and table, the tables' churn and the wait events of the run).
--
-- A session is inserted at prepare and updated once, at completion (state,
-- finished_at, and the prepared update dropped by signing_sessions_drop_delta).
-- That update was never HOT: signing_sessions_expires_idx's predicate names
-- `state`, which the completion changes, so PostgreSQL wrote a new entry into
-- every index of the table (the primary key and signing_sessions_party_idx)
-- and left the old row for VACUUM: 3 of a signing's ~27 index insertions
-- and one dead row per signing. No statement reads that index: the only query
-- on open sessions by expiry, signing_session_open's bound, asks by party
-- first and uses signing_sessions_party_idx. Without it the completion changes
-- no indexed column, and the new row version stays on the page (a heap-only
-- tuple) when the page has room, which the fill factor keeps: a session row is
-- about 1.5-2 KB inline (the chain and the signed attributes; the prepared
-- update is TOASTed), so 70 % leaves room for two or three rows' updates.
-- It applies to pages filled from now on; nothing is rewritten.
--
-- What was measured and left alone (issue 14's note): audit_heads and
-- list_counts are HOT-updated already (2 of 3 and all) and a lower fill factor
-- only makes page pruning run more often; parties' update at signing cannot be
-- HOT while the list tabs' partial indexes name `status`.

DROP INDEX IF EXISTS signing_sessions_expires_idx;

ALTER TABLE signing_sessions SET (fillfactor = 70);
