#!/usr/bin/env python3
"""bench_pg_complete_callgrind.py: PostgreSQL's instructions for a contract's 1st and 20th
completion, under callgrind (issue 14: the 20th no slower than the 1st).

    bench/bench_pg_complete_callgrind.py [RUNS] [SIGNERS] [MIGRATIONS_DIR]

bench_pg_chain.py's data set and statements (contracts of SIGNERS signers in
one routing group, the 10-page fixture), on a throwaway cluster with
MIGRATIONS_DIR (default migrations/) applied. Contracts are taken, by the
statements the server sends, up to their k-th completion for k = 1 and k =
SIGNERS: received, prepared, claimed, the session open. Then the cluster
stops and three single-user backends (postgres --single) run under
valgrind --tool=callgrind, each completing (signing_session_complete_verified,
its reply as text) contracts of its own: 3 at k = 1 (warm-up: plans and
catalogs), then nothing more, RUNS more at k = 1, or RUNS at k = SIGNERS. The
difference of a backend's instructions from the first's, divided by RUNS,
is one completion at that k: exact where CPU time on a shared machine is
not. Each completion stores a report of the size a k-th one has (the first
bytes of BENCH_CHAIN_REPORT=FILE, as bench_pg_chain.py; without it a fixed
3 KB one), read from a table of its own stored uncompressed (about what
receiving it as a parameter costs). BENCH_CG_TOP=N adds the N functions
whose inclusive instructions per completion grow most from k = 1 to k =
SIGNERS (callgrind_annotate --inclusive=yes), and the N whose own (self)
instructions grow most. BENCH_MINIMAL=1: the completions answer without the
contract document (p_minimal, migration 040: the server's reply to Prefer:
return=minimal).
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.dirname(__file__) + "/..")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pg_chain import (CLAIM_PARTS, LOAD_PARTS, SETUP, STEPS, bench_db,  # noqa: E402
                            bench_db_start, psql)
from bench_pg_callgrind import inclusive, owner, total_ir  # noqa: E402

WARM = 3
BASE = 1000000000000000000


def main(argv):
    runs = int(argv[1]) if len(argv) > 1 else 10
    s = int(argv[2]) if len(argv) > 2 else 20
    mig = os.path.abspath(argv[3]) if len(argv) > 3 else os.path.join(ROOT, "migrations")
    minimal = bool(os.environ.get("BENCH_MINIMAL"))
    tmp = tempfile.mkdtemp(prefix="sealpact-bench-cgk.")
    os.chmod(tmp, 0o777)
    pgdir = os.path.join(tmp, "pg")
    bench_db_start(pgdir)
    data = open(os.path.join(pgdir, "datadir")).read().strip()
    bindir = sorted(os.path.join("/usr/lib/postgresql", v, "bin")
                    for v in os.listdir("/usr/lib/postgresql"))[-1]
    try:
        url, pdf = bench_db(tmp, pgdir, mig)
        os.chmod(tmp, 0o777)  # the backends write their callgrind files under it
        # contracts 1..: the warm-up ones of each backend, RUNS at k = 1, RUNS at k = s
        first = 3 * WARM + runs
        m = first + runs
        psql(url, SETUP % {"S": s, "M": m}, ["-v", "pdf=" + pdf])
        grown = os.environ.get("BENCH_CHAIN_REPORT")
        text = open(grown).read().strip() if grown else None
        psql(url, "CREATE TABLE bench_report (k integer PRIMARY KEY, report text); "
                  "ALTER TABLE bench_report ALTER COLUMN report SET STORAGE EXTERNAL; "
                  "INSERT INTO bench_report SELECT k, %s FROM generate_series(1, %d) k"
             % ("left(:'r', 1089 * k + 98 * k * (k - 1))" if grown
                else "repeat('{\"signature\":\"valid\"}', 150)", s),
             ["-v", "r=" + (text or "")])
        psql(url, "CREATE TABLE bench_ready (n bigint PRIMARY KEY, k integer, org bigint, "
                  "sid uuid, doclen bigint)")
        steps = dict((n, sql) for n, sql in STEPS)
        steps["load"], steps["claim"] = LOAD_PARTS, CLAIM_PARTS
        script = []
        for k in range(1, s + 1):
            org = k + 1
            tok = psql(url, "SELECT encode(sha256(int8send(%d::bigint)), 'hex')" % org).strip()
            script.append("VACUUM ANALYZE;")
            for i in range(1, m + 1):
                if k > 1 and i <= first:
                    continue  # taken to their 1st completion only
                v = {"n": BASE + i, "org": org, "tok": tok, "report": "d.report"}
                last = k == 1 if i <= first else k == s
                for name in ("receive", "load", "create", "claim", "complete", "send"):
                    if last and name == "complete":
                        script.append("INSERT INTO bench_ready VALUES (%d, %d, %d, :'sid', "
                                      ":doclen);" % (BASE + i, k, org))
                        break
                    script.append(steps[name] % v)
        # the sessions outlive the set-up (their 600 s are counted from the first round)
        script.append("UPDATE signing_sessions SET expires_at = now() + interval '1 day' "
                      "WHERE state = 'open'; VACUUM ANALYZE; CHECKPOINT;")
        psql(url, "\n".join(script) + "\n")
        ready = [ln.split("|") for ln in psql(
            url, "SELECT n, k, org, sid, doclen FROM bench_ready ORDER BY n").splitlines()]
        subprocess.run(owner([os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "fast", "-w",
                              "stop"]), check=True, stdout=subprocess.DEVNULL)

        def complete(r):
            n, k, org, sid, doclen = r
            # the reply's size in bytes: length() would count its characters, ~0.7M
            # instructions for a 41 KB reply that the server never spends
            return ("SELECT octet_length(signing_session_complete_verified('%s', %s, %s, "
                    "d.signed, "
                    "%s + length(d.signed), repeat('e', 64), now(), (SELECT report FROM "
                    "bench_report WHERE k = %s), NULL, NULL, '127.0.0.1', 'bench'%s)::text) "
                    "FROM bench_blob d\n" % (sid, org, org, doclen, k,
                                             ", p_minimal => true" if minimal else ""))

        cg = os.path.join(tmp, "cg")
        os.mkdir(cg)
        os.chmod(cg, 0o777)
        k1 = [r for r in ready if r[1] == "1"]
        ks = [r for r in ready if r[1] == str(s)]
        jobs = [k1[0:WARM], k1[WARM:2 * WARM] + k1[3 * WARM:3 * WARM + runs],
                k1[2 * WARM:3 * WARM] + ks]
        ir = []
        for j, rows in enumerate(jobs):
            out = os.path.join(cg, "cg.%d" % j)
            p = subprocess.run(owner([
                "valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                os.path.join(bindir, "postgres"), "--single", "-D", data, "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "bench"]),
                input="".join(complete(r) for r in rows), text=True, capture_output=True)
            if p.returncode != 0 or "ERROR" in p.stdout + p.stderr:
                raise RuntimeError((p.stdout + p.stderr)[-2000:])
            ir.append(total_ir(out))
        print("bench_pg_complete_callgrind: %s, %d signers%s%s; PostgreSQL instructions per "
              "completion (single-user backend, %d after %d warm-up)"
              % (os.path.relpath(mig, ROOT), s, ", reports growing with k" if grown else "",
                 ", replies without the contract (BENCH_MINIMAL)" if minimal else "",
                 runs, WARM))
        print("  k = 1: %.3fM   k = %d: %.3fM" % ((ir[1] - ir[0]) / runs / 1e6, s,
                                                (ir[2] - ir[0]) / runs / 1e6))
        top = int(os.environ.get("BENCH_CG_TOP", "0"))
        if top:
            for how, incl in (("inclusive", True), ("self", False)):
                a, b = (inclusive(os.path.join(cg, "cg.%d" % j), incl) for j in (1, 2))
                diff = sorted(((v - a.get(f, 0), f) for f, v in b.items()), reverse=True)
                print("  grown from k = 1 to k = %d, per completion (%s):" % (s, how))
                for v, f in diff[:top]:
                    print("    %8.3fM  %s" % (v / runs / 1e6, f[:100]))
        return 0
    finally:
        bench_db_start(pgdir, "stop")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
