"""pg_probe.py: where PostgreSQL's CPU goes while a benchmark runs (issue 14).

Used by bench_load.py with BENCH_PGSTATS=1. Around the measured run it takes:

- the CPU time of each PostgreSQL process by kind (client backends, WAL
  writer, checkpointer, background writer, autovacuum launcher and workers,
  walsender...), from /proc, sampled every 50 ms so that short-lived
  autovacuum workers are seen before the postmaster reaps them;
- pg_stat_wal over the run: WAL records, full-page images and bytes per signing,
  buffers-full waits, writes and syncs;
- pg_stat_user_tables over the run for the tables a signing writes: inserts,
  updates, HOT updates, deletes, dead tuples at the end, autovacuum and
  autoanalyze runs;
- wait events: one extra backend samples pg_stat_activity every 10 ms (its own
  CPU is counted apart) and counts what each active process waits on;
- the vacuum the run leaves owed: a run of seconds ends before autovacuum's
  first look (autovacuum_naptime, 60 s), so its dead tuples are vacuumed
  after it, by one VACUUM of the tables above on a connection of its own
  (its CPU from the postmaster's reaped children's time: what an autovacuum
  worker would spend on them, once per run; at a steady load autovacuum
  visits a table about once a minute, so the whole indexes each VACUUM reads
  are shared by more signings than here).
"""
import os
import re
import subprocess
import threading
import time

TABLES = ("signing_sessions", "revisions", "parties", "contracts", "list_counts",
          "audit_events", "audit_heads", "org_audit_events", "sessions")

SAMPLER = r"""
CREATE TEMP TABLE w (kind text, ev text);
DO $$
DECLARE
	t0 timestamptz := clock_timestamp();
	r text;
BEGIN
	LOOP
		PERFORM pg_stat_clear_snapshot();
		INSERT INTO w SELECT backend_type, coalesce(wait_event_type || ':' || wait_event,
			'CPU') FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND (state = 'active' OR backend_type <> 'client backend');
		EXIT WHEN EXISTS (SELECT 1 FROM bench_probe_stop)
			OR clock_timestamp() - t0 > interval '10 minutes';
		PERFORM pg_sleep(0.01);
	END LOOP;
	SELECT string_agg(format('%s|%s|%s', kind, ev, n), E'\n' ORDER BY n DESC) INTO r
	FROM (SELECT kind, ev, count(*) n FROM w GROUP BY 1, 2) x;
	RAISE NOTICE 'WAITS%', E'\n' || coalesce(r, '');
END $$;
"""


def _stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def _kind(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            c = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"
    if not c.startswith("postgres: "):
        return "?"
    c = c[len("postgres: "):]
    for k in ("walwriter", "checkpointer", "background writer", "autovacuum launcher",
              "autovacuum worker", "walsender", "logical replication launcher", "stats"):
        if c.startswith(k):
            return k
    return "backend"


def _pgbin():
    d = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(x) for x in v.split(".")])
    return os.path.join("/usr/lib/postgresql", d[-1], "bin")


class Probe:
    def __init__(self, psql, url, pgpid, datadir=None):
        self.psql, self.url, self.pgpid, self.datadir = psql, url, pgpid, datadir
        self.ticks = {}  # pid -> [kind, first ticks, last ticks]
        self.stop = threading.Event()

    def _sample(self):
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            pid = int(d)
            try:
                s = _stat(pid)
            except OSError:
                continue
            if int(s[1]) != self.pgpid:
                continue
            t = int(s[11]) + int(s[12])
            e = self.ticks.get(pid)
            if e is None:
                # a process born during the run starts from zero
                self.ticks[pid] = [_kind(pid), 0 if self.started else t, t]
            else:
                e[2] = t

    def _loop(self):
        while not self.stop.wait(0.05):
            self._sample()

    def _tables(self):
        out = {}
        rows = self.psql(self.url, "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, "
                         "n_tup_del, n_dead_tup, autovacuum_count, autoanalyze_count "
                         "FROM pg_stat_user_tables WHERE relname IN (%s)" %
                         ",".join("'%s'" % t for t in TABLES))
        for ln in rows.splitlines():
            f = ln.split("|")
            out[f[0]] = [int(x) for x in f[1:]]
        return out

    def _wal(self):
        f = self.psql(self.url, "SELECT wal_records, wal_fpi, wal_bytes, wal_buffers_full, "
                      "wal_write, wal_sync FROM pg_stat_wal").split("|")
        return [int(float(x)) for x in f]

    def start(self):
        self.psql(self.url, "DROP TABLE IF EXISTS bench_probe_stop; "
                  "CREATE UNLOGGED TABLE bench_probe_stop (x int)")
        time.sleep(11)  # idle backends report their counters within 10 s
        self.wal0, self.tab0 = self._wal(), self._tables()
        self.lsn0 = self.psql(self.url, "SELECT pg_current_wal_insert_lsn()")
        self.started = False
        self._sample()
        self.started = True
        self.sampler = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                         self.url], stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True)
        self.sampler.stdin.write(SAMPLER)
        self.sampler.stdin.close()
        self.th = threading.Thread(target=self._loop, daemon=True)
        self.th.start()

    def finish(self, n):
        self.stop.set()
        self.th.join()
        self._sample()
        lsn1 = self.psql(self.url, "SELECT pg_current_wal_insert_lsn()")
        self.psql(self.url, "INSERT INTO bench_probe_stop VALUES (1)")
        err = self.sampler.stderr.read()
        self.sampler.wait()
        # an idle backend reports its table and WAL counters within 10 s
        # (PGSTAT_IDLE_INTERVAL); the WAL's size comes from the LSNs
        time.sleep(11)
        wal1, tab1 = self._wal(), self._tables()
        hz = os.sysconf("SC_CLK_TCK")
        n = max(n, 1)
        print("  PostgreSQL CPU per signing by process kind (ms, /proc every 50 ms; the "
              "wait-event sampler's own backend included in 'backend'):")
        by = {}
        for kind, a, b in self.ticks.values():
            by.setdefault(kind, [0, 0])
            by[kind][0] += b - a
            by[kind][1] += 1
        for kind, (t, cnt) in sorted(by.items(), key=lambda x: -x[1][0]):
            print("    %-22s %6.3f  (%d processes)" % (kind, t * 1000.0 / hz / n, cnt))
        d = [b - a for a, b in zip(self.wal0, wal1)]
        wal = int(float(self.psql(self.url, "SELECT pg_wal_lsn_diff('%s', '%s')" % (
            lsn1, self.lsn0))))
        print("  WAL per signing: %d bytes; %.1f records, %.2f full-page images (pg_stat_wal); "
              "over the run: buffers full %d, writes %d, syncs %d" % (
                  wal // n, d[0] / n, d[1] / n, d[3], d[4], d[5]))
        print("  tables over the run (per signing: ins upd hot del; at the end: dead tuples; "
              "autovacuum, autoanalyze runs during the run):")
        for t in TABLES:
            if t not in tab1:
                continue
            a = self.tab0.get(t, [0] * 7)
            b = tab1[t]
            print("    %-18s %5.2f %5.2f %5.2f %5.2f  dead %6d  av %d aa %d" % (
                t, (b[0] - a[0]) / n, (b[1] - a[1]) / n, (b[2] - a[2]) / n,
                (b[3] - a[3]) / n, b[4], b[5] - a[5], b[6] - a[6]))
        self._vacuum(n, hz)
        if self.datadir:
            self._waldump(lsn1, n)
        if "WAITS" in err:
            rows = [ln.split("|") for ln in err.split("WAITS", 1)[1].splitlines()
                    if ln.count("|") == 2]
            tot = sum(int(r[2]) for r in rows if r[0] == "client backend") or 1
            print("  what active client backends were doing (samples every 10 ms; share):")
            for r in rows[:14]:
                print("    %-22s %-34s %6d  %s" % (r[0], r[1], int(r[2]),
                                                   "%.1f %%" % (100.0 * int(r[2]) / tot)
                                                   if r[0] == "client backend" else ""))
        else:
            print("  wait-event sampler failed: %s" % err.strip()[-300:])

    def _reaped(self):
        """The CPU ticks of the postmaster's exited children (cutime + cstime)."""
        s = _stat(self.pgpid)
        return int(s[13]), int(s[14])

    def _vacuum(self, n, hz):
        """The vacuum the run's dead tuples owe, by a VACUUM of its own backend."""
        time.sleep(1)  # the sampler's backend has exited and been reaped
        u0, s0 = self._reaped()
        self.psql(self.url, "VACUUM %s" % ", ".join(TABLES))
        time.sleep(1)
        u1, s1 = self._reaped()
        print("  vacuum owed per signing: %.3f ms (user %.3f, system %.3f; VACUUM of the "
              "tables below after the run, its backend's CPU)" % (
                  (u1 - u0 + s1 - s0) * 1000.0 / hz / n, (u1 - u0) * 1000.0 / hz / n,
                  (s1 - s0) * 1000.0 / hz / n))

    def _waldump(self, lsn1, n):
        """WAL records of the run by resource manager and type (pg_waldump --stats)."""
        self.psql(self.url, "SELECT pg_switch_wal()")  # the segment complete on disk
        p = subprocess.run([os.path.join(_pgbin(), "pg_waldump"), "--stats=record", "-p",
                            os.path.join(self.datadir, "pg_wal"), "-s", self.lsn0, "-e", lsn1],
                           capture_output=True, text=True)
        rows = []
        for ln in p.stdout.splitlines():
            f = re.sub(r"\([^)]*\)", " ", ln).split()
            # "Heap/INSERT  N (pct%)  rec bytes (pct%) fpi bytes (pct%) combined (pct%)"
            if len(f) >= 5 and "/" in f[0] and f[1].isdigit():
                rows.append((int(f[4]), f[0], int(f[1])))
        if not rows:
            print("  pg_waldump: %s" % (p.stderr.strip()[-300:] or "no records"))
            return
        print("  WAL by record type, per signing (pg_waldump --stats over the run; "
              "records, bytes incl. full-page images):")
        for b, name, cnt in sorted(rows, reverse=True)[:16]:
            print("    %-30s %7.2f %8d" % (name, cnt / n, b // n))
        # which relations the row locks, updates and index inserts fall on
        p = subprocess.run([os.path.join(_pgbin(), "pg_waldump"), "-p",
                            os.path.join(self.datadir, "pg_wal"), "-s", self.lsn0, "-e", lsn1],
                           capture_output=True, text=True)
        cnt = {}
        for ln in p.stdout.splitlines():
            m = re.search(r"desc: (\S+).*?blkref #0: rel (\d+)/(\d+)/(\d+)", ln)
            r = re.search(r"rmgr: (\S+) +len \(rec/tot\): +\d+/ *(\d+)", ln)
            if m and r:
                k = (r.group(1) + "/" + m.group(1), int(m.group(4)))
                c = cnt.setdefault(k, [0, 0])
                c[0] += 1
                c[1] += int(r.group(2))
        names = {}
        fns = sorted({k[1] for k in cnt})
        if fns:
            out = self.psql(self.url, "SELECT f, coalesce(pg_filenode_relation(0, f)::text, '?') "
                            "FROM unnest('{%s}'::oid[]) f" % ",".join(map(str, fns)))
            for ln in out.splitlines():
                a, b = ln.split("|")
                names[int(a)] = b
        print("  WAL records per signing by type and relation (top 30; records, bytes):")
        for (kind, fn), c in sorted(cnt.items(), key=lambda x: -x[1][1])[:30]:
            print("    %-22s %-40s %6.2f %7d" % (kind, names.get(fn, fn), c[0] / n, c[1] // n))
        # by table, its TOAST and indexes counted with it
        rel = {}
        for (kind, fn), c in cnt.items():
            rel.setdefault(fn, 0)
            rel[fn] += c[1]
        if fns:
            # an index counts with its table, a TOAST table with its owner
            out = self.psql(self.url, "SELECT f, coalesce((SELECT o.relname FROM pg_class o "
                            "WHERE o.reltoastrelid = t OR (o.oid = t AND o.relkind <> 't') "
                            "LIMIT 1), '?') FROM unnest('{%s}'::oid[]) f, "
                            "pg_filenode_relation(0, f) r, LATERAL (SELECT coalesce((SELECT "
                            "indrelid FROM pg_index WHERE indexrelid = r), r) t) x"
                            % ",".join(map(str, fns)))
            tab = {}
            for ln in out.splitlines():
                a, b = ln.split("|")
                tab[b] = tab.get(b, 0) + rel.get(int(a), 0)
            print("  WAL bytes per signing by table (with its TOAST and indexes):")
            for t, b in sorted(tab.items(), key=lambda x: -x[1])[:10]:
                print("    %-30s %7d" % (t, b // n))
