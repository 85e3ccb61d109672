#!/usr/bin/env python3
"""bench_pg_callgrind.py: PostgreSQL's instructions per signing, under callgrind (issue 14).

    bench/bench_pg_callgrind.py [BUILD_DIR] [SIGNINGS] [WARMUP]

Exact where bench_pg_signing.py's CPU time is noisy (a shared machine, no
hardware counters): the same data set and the same statements per signing
(bench_pg_signing's `held` mode, the server's in steady state; prepared
statements, one client), with the cluster restarted under valgrind --tool=callgrind (autovacuum off, so that
only the measured backends are forked). pgbench runs twice, WARMUP (10)
signings, then WARMUP + SIGNINGS (40), each on a connection of its own; one
backend's instructions minus the other's, divided by SIGNINGS, is a signing
in steady state (plans cached; connection start-up and warm-up cancel out).
Prints that, and with BENCH_CG_TOP=N the N functions with the most inclusive
instructions per signing (callgrind_annotate --inclusive=yes, the same
difference). BENCH_CG_KEEP=DIR keeps the callgrind files there.
BENCH_CG_SCRIPT=FILE runs FILE (a pgbench script over the same data set: each
run takes the next contract from bench_todo, as a signing does) instead of a
signing: the instructions of one statement or function per run.
BENCH_CG_CONTRACTS=N loads N contracts (at least the runs'): the planner picks
sequential scans of the small tables of the default set (about 65 contracts)
where bench_load.py's 600 contracts, and any real database, give index scans.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pg_signing import HELD, SETUP  # noqa: E402


def owner(cmd):
    """pgcluster.sh runs the cluster as `sealpact` when started by root."""
    return ["runuser", "-u", "sealpact", "--"] + cmd if os.getuid() == 0 else cmd


def total_ir(path):
    with open(path) as f:
        for ln in f:
            if ln.startswith("totals:") or ln.startswith("summary:"):
                return int(ln.split()[1])
    raise RuntimeError("%s: no totals" % path)


def inclusive(path, incl=True):
    """Each function's inclusive (or self) instructions (callgrind_annotate)."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=%s" % ("yes" if incl else "no"),
                          "--threshold=100", path], capture_output=True, text=True,
                         check=True).stdout
    fns = {}
    for ln in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S.*)$", ln)
        if m:
            fns[m.group(2)] = int(m.group(1).replace(",", ""))
    return fns


def main(argv):
    build = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "build")
    count = int(argv[2]) if len(argv) > 2 else 40
    warm = int(argv[3]) if len(argv) > 3 else 10
    tmp = tempfile.mkdtemp(prefix="sealpact-bench-cg.")
    os.chmod(tmp, 0o777)
    os.environ["SEALPACT_SOURCE_DIR"] = ROOT
    os.environ["SEALPACT_BUILD_DIR"] = build
    os.environ["SEALPACT_TEST_PGDIR"] = os.path.join(tmp, "pg")
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import harness
    subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), "start",
                    os.path.join(tmp, "pg")], check=True, capture_output=True)
    data = open(os.path.join(tmp, "pg", "datadir")).read().strip()
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    vg = None
    try:
        db = harness.Database()
        db.migrate()
        pdf = os.path.join(tmp, "contract10.pdf")
        harness.run(["qpdf", os.path.join(ROOT, "tests", "fixtures", "contracts",
                                          "contract30.pdf"), "--pages", ".", "1-10", "--", pdf])
        os.chmod(pdf, 0o644)
        loaded = max(2 * warm + count + 5, int(os.environ.get("BENCH_CG_CONTRACTS", "0")))
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-v", "pdf=" + pdf, "-v",
                        "count=%d" % loaded, db.url], input=SETUP, text=True,
                       check=True, stdout=subprocess.DEVNULL)
        db.query("CHECKPOINT")
        port = re.search(r":(\d+)/", db.url).group(1)
        subprocess.run(owner([os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "fast", "-w",
                              "stop"]), check=True, stdout=subprocess.DEVNULL)
        cg = os.path.join(tmp, "cg")
        os.mkdir(cg)
        os.chmod(cg, 0o777)
        vg = subprocess.Popen(owner([
            "valgrind", "--tool=callgrind", "--trace-children=yes",
            "--callgrind-out-file=" + os.path.join(cg, "cg.%p"),
            os.path.join(bindir, "postgres"), "-D", data, "-p", port, "-k", data,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "autovacuum=off"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", port]).returncode == 0:
                break
            time.sleep(0.5)
        script = os.path.join(tmp, "sign.sql")
        with open(script, "w") as f:
            f.write(open(os.environ["BENCH_CG_SCRIPT"]).read() if os.environ.get("BENCH_CG_SCRIPT")
                    else HELD)
        runs = []
        for n in (warm, warm + count):
            before = set(os.listdir(cg))
            subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", "1", "-t", str(n), "-f",
                            script, db.url], check=True, capture_output=True)
            # the backend writes its file when it exits, after pgbench has gone
            for _ in range(600):
                new = set(os.listdir(cg)) - before
                if new:
                    break
                time.sleep(0.5)
            time.sleep(2)
            # pgbench's own short connections exit too: the signings' backend is the largest
            new = [os.path.join(cg, x) for x in set(os.listdir(cg)) - before]
            runs.append(max(new, key=total_ir))
        ir = [total_ir(p) for p in runs]
        print("bench_pg_callgrind: %d %s after %d (held mode, 1 client, prepared)"
              % (count, os.environ.get("BENCH_CG_SCRIPT") or "signings", warm))
        print("  PostgreSQL instructions per signing: %.3fM  (backends: %d, %d)"
              % ((ir[1] - ir[0]) / count / 1e6, ir[0], ir[1]))
        top = int(os.environ.get("BENCH_CG_TOP", "0"))
        if top:
            incl = [inclusive(p) for p in runs]
            diff = sorted(((v - incl[0].get(k, 0), k) for k, v in incl[1].items()),
                          reverse=True)
            for v, k in diff[:top]:
                print("    %8.3fM  %s" % (v / count / 1e6, k[:100]))
        if os.environ.get("BENCH_CG_KEEP"):
            for p in runs:
                shutil.copy(p, os.environ["BENCH_CG_KEEP"])
        return 0
    finally:
        if vg is not None:
            subprocess.run(owner([os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "fast",
                                  "-w", "-t", "120", "stop"]), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            vg.wait()
        subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), "stop",
                        os.path.join(tmp, "pg")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
