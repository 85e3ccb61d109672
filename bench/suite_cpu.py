#!/usr/bin/env python3
"""suite_cpu.py: the CPU seconds of each CTest test, whole process tree, and of
the suite's PostgreSQL.

    bench/suite_cpu.py BUILD_DIR [-j N] [-R REGEX] [--programs] [--out FILE]

CTest's times are wall times, and on a shared 2-core machine they measure the
neighbours as much as the test. This runs the tests of BUILD_DIR (those CTest
lists, fixtures excepted: it starts the `pg` fixture itself, once) and prints,
per test, user+system CPU of everything the test started, down to daemons that
left their parent (each test runs under a subreaper of its own, which reaps
them), and the CPU the suite's PostgreSQL spent meanwhile (exact with -j 1;
with more tests at once it is shared among them). --programs adds where each
test's CPU went by program name (sampled from /proc every 20 ms: a process
shorter than that shows as "(short-lived)", the remainder).

The openapi.coverage test, which reads what every integration test recorded,
runs last, as under CTest. Figures are seconds of CPU, not of a clock.
"""

import argparse
import collections
import ctypes
import json
import os
import re
import subprocess
import sys
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")


def stat_of(pid):
    """(comm, ppid, session, own CPU s, reaped children's CPU s) of pid, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    f = s[s.rindex(")") + 2:].split()
    return (comm, int(f[1]), int(f[3]), (int(f[11]) + int(f[12])) / HZ,
            (int(f[13]) + int(f[14])) / HZ)


def run_tree(cmd, env, cwd, programs):
    """Run cmd in a new session as a subreaper's child; wait for it and for every
    orphan it left. Returns (exit status, CPU s of the tree, {program: CPU s})."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the subreaper: reaps the test and whatever it orphans
        os.close(r)
        os.setsid()
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        child = os.fork()
        if child == 0:
            os.close(w)
            os.chdir(cwd)
            os.execvpe(cmd[0], cmd, env)
        status = 0
        while True:
            try:
                p, st = os.wait()
            except ChildProcessError:
                break
            if p == child:
                status = os.waitstatus_to_exitcode(st)
        ru = os.times()
        os.write(w, json.dumps([status, ru.children_user + ru.children_system]).encode())
        os._exit(0)
    os.close(w)
    seen = {}
    if programs:
        def sample():
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                for d in os.listdir("/proc"):
                    if d.isdigit():
                        st = stat_of(int(d))
                        if st and st[2] == pid:
                            seen[int(d)] = (st[0], st[3])
                time.sleep(0.02)
        t = threading.Thread(target=sample, daemon=True)
        t.start()
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    status, cpu = json.loads(data)
    by = collections.Counter()
    for comm, c in seen.values():
        by[comm] += c
    if programs:
        by["(short-lived)"] = max(0.0, cpu - sum(by.values()))
    return status, cpu, by


def postgres_cpu(pgdir):
    """CPU s of the suite's PostgreSQL so far: the postmaster's and its reaped
    backends' (a backend's CPU reaches the postmaster when it exits)."""
    try:
        with open(os.path.join(pgdir, "datadir")) as f:
            data = f.read().strip()
        with open(os.path.join(data, "postmaster.pid")) as f:
            pm = int(f.readline())
    except (OSError, ValueError):
        return 0.0
    st = stat_of(pm)
    if not st:
        return 0.0
    total = st[3] + st[4]
    for d in os.listdir("/proc"):  # the live backends and auxiliary processes
        if d.isdigit():
            s = stat_of(int(d))
            if s and s[1] == pm:
                total += s[3]
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build_dir")
    ap.add_argument("-j", type=int, default=1)
    ap.add_argument("-R", default="")
    ap.add_argument("--programs", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--source", help="run the tests of this checkout (its tests/ and "
                    "deploy/) with BUILD_DIR's programs: another branch's tests, same binaries")
    ap.add_argument("--test-tmp", help="the fixtures' directory instead of BUILD_DIR/test-tmp "
                    "(two runs of one build at once)")
    ap.add_argument("--without", action="append", default=[],
                    help="a fixture not to start (its tests make their own, if they can)")
    a = ap.parse_args()
    listing = json.loads(subprocess.run(["ctest", "--test-dir", a.build_dir, "--show-only=json-v1"],
                                        check=True, capture_output=True, text=True).stdout)
    tests, fixtures = [], {}
    src = None
    for t in listing["tests"]:
        for p in t.get("properties", []):
            if p["name"] == "ENVIRONMENT":
                for kv in p["value"]:
                    if kv.startswith("SEALPACT_SOURCE_DIR="):
                        src = kv.split("=", 1)[1]

    def moved(text):
        tt = os.path.join(os.path.abspath(a.build_dir), "test-tmp")
        if a.test_tmp and text.startswith(tt):
            text = os.path.abspath(a.test_tmp) + text[len(tt):]
        build = os.path.abspath(a.build_dir) + "/"
        if a.source and src and text.startswith(src + "/") and not text.startswith(build):
            return os.path.abspath(a.source) + text[len(src):]
        return text
    for t in listing["tests"]:
        t["command"] = [moved(c) for c in t["command"]]
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        env = dict(os.environ)
        for kv in props.get("ENVIRONMENT", []):
            k, _, v = kv.partition("=")
            env[k] = os.path.abspath(a.source) if a.source and k == "SEALPACT_SOURCE_DIR" else moved(v)
        item = (t["name"], t["command"], env, moved(props.get("WORKING_DIRECTORY", a.build_dir)))
        if t["name"].startswith("fixture.") or t["name"] == "openapi.coverage.reset":
            fixtures[t["name"]] = item
        elif re.search(a.R, t["name"]):
            tests.append(item)
    pgdir = fixtures["fixture.pg.start"][2].get("SEALPACT_TEST_PGDIR",
                                             os.path.join(a.build_dir, "test-tmp", "pg"))
    starts = ["openapi.coverage.reset"] * ("openapi" not in a.without) + sorted(
        n for n in fixtures if n.endswith(".start") and n.split(".")[1] not in a.without)
    for name in starts:
        if name in fixtures:
            _, cmd, env, cwd = fixtures[name]
            subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    # the longest first, by the costs CTest measured in this build directory if any
    costs = {}
    try:
        with open(os.path.join(a.build_dir, "Testing", "Temporary", "CTestCostData.txt")) as f:
            for line in f:
                p = line.split()
                if len(p) == 3:
                    costs[p[0]] = float(p[2])
    except OSError:
        pass
    last = [t for t in tests if t[0] == "openapi.coverage"]
    queue = sorted([t for t in tests if t[0] != "openapi.coverage"], key=lambda t: -costs.get(t[0], 0))
    results, lock = [], threading.Lock()
    pg0 = postgres_cpu(pgdir)
    start = time.time()

    def one(t):
        name, cmd, env, cwd = t
        p0, w0 = postgres_cpu(pgdir), time.time()
        status, cpu, by = run_tree(cmd, env, cwd, a.programs)
        row = (name, status, cpu, postgres_cpu(pgdir) - p0, time.time() - w0, by)
        with lock:
            results.append(row)
            print("%-40s %s cpu %7.1f s  postgres %6.1f s  wall %6.1f s" % (
                name, "ok  " if status == 0 else "FAIL", cpu, row[3], row[4]), file=sys.stderr, flush=True)

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                t = queue.pop(0)
            one(t)

    ws = [threading.Thread(target=worker) for _ in range(a.j)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    for t in last:
        one(t)
    pg_total = postgres_cpu(pgdir) - pg0
    wall = time.time() - start
    for name in sorted(n for n in fixtures if n.endswith(".stop")):
        _, cmd, env, cwd = fixtures[name]
        if name.split(".")[1] not in a.without:
            subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    results.sort(key=lambda r: -r[2])
    out = ["%-40s %6s %9s %9s %8s" % ("test", "status", "cpu_s", "pg_cpu_s", "wall_s")]
    for name, status, cpu, pg, w, by in results:
        out.append("%-40s %6d %9.1f %9.1f %8.1f" % (name, status, cpu, pg, w))
        if a.programs:
            out.append("    " + ", ".join("%s %.1f" % (k, v) for k, v in by.most_common(6) if v >= 0.05))
    out.append("total: tests %.1f CPU s, PostgreSQL %.1f CPU s, %d tests, -j %d, %.0f s wall, %d failed"
               % (sum(r[2] for r in results), pg_total, len(results), a.j, wall,
                  sum(1 for r in results if r[1] != 0)))
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 1 if any(r[1] != 0 for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
