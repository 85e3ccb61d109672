-- 022_signing_churn.sql: what a signing rewrites in PostgreSQL without need
-- (issue 14; measured with BENCH_PGSTATS=1 bench/bench_load.py, which prints
-- the WAL by record type and table, the tables' churn and the wait events).
--
-- Per signing, under 8 concurrent signings, PostgreSQL wrote ~71 WAL records:
-- the session row (insert, then the completion's update that drops the
-- prepared update) was never updated in place (HOT) because
-- signing_sessions_expires_idx's predicate names `state`, which the
-- completion changes: the update wrote a new index entry in every index of
-- the table and left a dead row for VACUUM. No statement reads that index
-- (the only query on open sessions by expiry, signing_session_open's bound,
-- goes through signing_sessions_party_idx: party_id first), so it goes; the
-- session's update then changes no indexed column and stays on its page
-- when the page has room, which the fill factor keeps (a session row is
-- ~2 KB inline: chain and signed attributes; its prepared update is TOASTed).
--
-- The audit chain's head (audit_heads, one row per contract) is updated by
-- every audit event, three per signing; a third of those updates were not
-- HOT because the head's page was full (heads are inserted in contract order
-- into the last page, at fill factor 100). list_counts rows are updated by
-- every party change (HOT already: few rows). Neither table's contents nor
-- any check changes; only where new row versions go.
--
-- Autovacuum: the rows a signing leaves dead are the session's old version
-- (when not HOT) and its prepared update's TOAST chunks (~19 KB a signing,
-- dropped at completion): until VACUUM marks their space free, every new
-- session extends the TOAST relation under the relation-extension lock
-- (Lock:extend was ~12 % of the active backends' samples). Vacuum these
-- small, busy tables after a fixed number of dead rows rather than a fifth of
-- a table that only grows, and without the cost-based sleeps (they are small).
-- Fill factors apply to pages filled from now on; nothing is rewritten.

DROP INDEX IF EXISTS signing_sessions_expires_idx;

ALTER TABLE signing_sessions SET (fillfactor = 70,
	autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
	autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 20000,
	autovacuum_vacuum_cost_delay = 0,
	toast.autovacuum_vacuum_scale_factor = 0, toast.autovacuum_vacuum_threshold = 2000,
	toast.autovacuum_vacuum_cost_delay = 0);

ALTER TABLE audit_heads SET (fillfactor = 70,
	autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
	autovacuum_vacuum_cost_delay = 0);

ALTER TABLE list_counts SET (fillfactor = 50,
	autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
	autovacuum_vacuum_cost_delay = 0);
