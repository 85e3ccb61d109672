#!/usr/bin/env python3
"""bench_load.py: signings per second through the real sealpactd with the lean
C load generator (bench_load), the server's CPU per signing, and a contract's
20th signing against its 1st (issue 14).

    bench/bench_load.py [BUILD_DIR] [SIGNINGS] [CLIENTS] [SIGNERS]

Set-up (not timed), as bench_sign.py: a throwaway PostgreSQL, the development
PKI, sealpactd over HTTPS with the built-in TSA; SIGNINGS contracts of 10
pages (initiator + the supplier as signer, sent and received). Then
build/bench/bench_load signs them all from CLIENTS threads (prepare ->
RSA-2048 signature in process -> complete) and prints signings/s, p50/p99 of
prepare and complete and the server's CPU per completed signing.

Last, one contract with SIGNERS (20) signers in one routing group is signed
by each in turn (receive, prepare, sign, complete, send), three times over,
by the same C client on one keep-alive connection, and each k's median
prepare and complete is printed, the 1st and the last side by side, with
where each complete's wall time went (the client's send, wait, receive and
parse; the server's loop and worker CPU; the access log's duration; with
BENCH_PGLOG=1 PostgreSQL's statement). That chain runs twice on contracts of
its own: the completions answering the contract document (the default), then
with Prefer: return=minimal (the completion alone, as `sealpact sign` asks);
BENCH_CHAIN_REPLY=whole|minimal runs that one alone.
Then the size of the report each completion stored (per k), and whether the
contract's verification from the stored reports is what ?fresh=true says.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_storage import big_pdf, issue_rsa  # noqa: E402


def first_difference(a, b, path=""):
    """Where two JSON values first differ, and how (for a report that is not fresh's)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if a.get(k) != b.get(k):
                return first_difference(a.get(k), b.get(k), path + "." + k)
    elif isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, "%s[%d]" % (path, i))
        return "%s: %d items != %d" % (path, len(a), len(b))
    return "%s: %.80s != %.80s" % (path or ".", json.dumps(a), json.dumps(b))


def loop_ns(pid):
    """ns on a CPU of the server's main thread (the event loop)."""
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        return int(f.read().split()[0])


def loop_ticks(pid):
    """(user, system) clock ticks of the server's main thread (the event loop)."""
    with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def faults(pid):
    """(minor, major) page faults of every thread of pid so far (/proc/<pid>/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[7]), int(fields[9])


def switches(pid, tid=None):
    """Context switches (voluntary, involuntary) of one thread, or of every thread of pid
    and of its child processes (PostgreSQL's postmaster: its backends)."""
    def one(path):
        v = n = 0
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        v = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        n = int(line.split()[1])
        except OSError:
            pass
        return v, n
    if tid is not None:
        return one("/proc/%d/task/%d/status" % (pid, tid))
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                     text=True).stdout.split()]
    v = n = 0
    for p in pids:
        try:
            tids = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        for t in tids:
            a, b = one("/proc/%d/task/%s/status" % (p, t))
            v, n = v + a, n + b
    return v, n


def syscalls_report(tdir, pid, total):
    """System calls per signing from strace -ff's files (one per thread)."""
    import collections
    import re
    call = re.compile(r"^([a-z_0-9]+)\(")
    every, loop = collections.Counter(), collections.Counter()
    for name in os.listdir(tdir):
        n = collections.Counter()
        with open(os.path.join(tdir, name), errors="replace") as f:
            for line in f:
                m = call.match(line)
                if m:
                    n[m.group(1)] += 1
        every += n
        if name == "t.%d" % pid:
            loop = n
    print("  syscalls per signing (strace -f over the run): all threads %.1f, loop thread "
          "%.1f" % (sum(every.values()) / total, sum(loop.values()) / total))
    print("    loop: " + ", ".join("%s %.2f" % (k, v / total) for k, v in loop.most_common(10)))
    print("    others: " + ", ".join("%s %.2f" % (k, v / total)
                                     for k, v in (every - loop).most_common(10)))


def rss_kb(pid):
    """(VmRSS, VmHWM) of pid in KiB (/proc/<pid>/status): what the process holds now, and
    its peak."""
    got = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                got[line.split(":")[0]] = int(line.split()[1])
    return got.get("VmRSS", 0), got.get("VmHWM", 0)


def doc_cache_figures(server):
    """sealpact_doc_cache_* lines of /metrics ("name{labels} value" each), [] without them."""
    st, _, body, _ = server.metrics(timeout=60)
    return [line for line in (body.decode() if st == 200 else "").splitlines()
            if line.startswith("sealpact_doc_cache_")]


def prepares_held(server):
    """sealpact_signing_prepares_held_total: (one_trip, fallback), (0, 0) without it."""
    import re
    st, _, body, _ = server.metrics(timeout=60)
    got = []
    for result in ("one_trip", "fallback"):
        m = re.search(r'^sealpact_signing_prepares_held_total\{result="%s"\} (\d+)$' % result,
                      body.decode() if st == 200 else "", re.M)
        got.append(int(m.group(1)) if m else 0)
    return got


def chain_breakdown(server, pglog, pgpos, ncontracts, nsigners):
    """The chain's completions as the server and PostgreSQL timed them, k = 1 and the last
    (median over the contracts): the access log's duration_ms (from the request's dispatch
    to its reply queued on the connection) and, with BENCH_PGLOG=1, PostgreSQL's own
    duration of the completion's statement (log_min_duration_statement: parse, bind and
    execute). The chain signs contract by contract, every signer in turn, so the last
    ncontracts * nsigners completions are its, in that order."""
    import statistics
    route = "/api/v1/signing-sessions/{id}/complete"
    done = [float(d["duration_ms"]) for d in server.log_lines()
            if d.get("msg") == "request" and d.get("route") == route]
    need = ncontracts * nsigners
    if len(done) < need:
        return
    done = done[-need:]

    def at(v, k):
        return statistics.median(v[i * nsigners + k] for i in range(ncontracts))
    line = "    complete in the server (access log duration_ms, dispatch to reply): " \
           "1st %.2f ms, last %.2f ms" % (at(done, 0), at(done, nsigners - 1))
    if pglog:
        import re
        with open(pglog, errors="replace") as f:
            f.seek(pgpos)
            text = f.read()
        # one completion's statement logs its parse, bind and execute apart (extended protocol)
        pg, cur = [], None
        for m in re.finditer(r"duration: ([0-9.]+) ms  (parse|bind|execute) [^:]*: "
                             r"(SELECT signing_session_complete\w*)", text):
            if m.group(2) == "parse" or cur is None:
                if cur is not None:
                    pg.append(cur)
                cur = 0.0
            cur += float(m.group(1))
            if m.group(2) == "execute":
                pg.append(cur)
                cur = None
        if len(pg) >= need:
            pg = pg[-need:]
            line += "; PostgreSQL's statement (BENCH_PGLOG): 1st %.2f ms, last %.2f ms" % (
                at(pg, 0), at(pg, nsigners - 1))
    print(line)


def main(argv):
    build = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "build")
    total = int(argv[2]) if len(argv) > 2 else 300
    clients = int(argv[3]) if len(argv) > 3 else 8
    nsigners = int(argv[4]) if len(argv) > 4 else 20
    tmp = tempfile.mkdtemp(prefix="sealpact-bench-load.")
    os.environ["SEALPACT_SOURCE_DIR"] = ROOT
    os.environ["SEALPACT_BUILD_DIR"] = build
    os.environ["SEALPACT_TEST_PGDIR"] = os.path.join(tmp, "pg")
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import harness
    # BENCH_DURABLE=1: PostgreSQL as deployed (deploy/pgcluster.sh without --fast:
    # fsync, synchronous commit and full-page writes on), not the tests' cluster
    if os.environ.get("BENCH_DURABLE"):
        os.environ["SEALPACT_TEST_PG_DURABLE"] = "1"
    subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), "start",
                    os.path.join(tmp, "pg")], check=True, capture_output=True)
    pki = server = db = None
    try:
        pki = harness.IdentityPKI(tokens=False)
        seal = os.path.join(tmp, "seal.png")
        harness.run(["python3", os.path.join(ROOT, "deploy", "seal.py"), seal, "120"])
        pdf10 = os.path.join(tmp, "contract10.pdf")
        harness.run(["qpdf", os.path.join(ROOT, "tests", "fixtures", "contracts",
                                          "contract30.pdf"), "--pages", ".", "1-10", "--", pdf10])
        db = harness.Database()
        db.migrate()
        # BENCH_PGFUNCS=1: PostgreSQL's time per SQL function over the run (track_functions).
        if os.environ.get("BENCH_PGFUNCS"):
            db.query("ALTER DATABASE %s SET track_functions = 'all'" % db.name)
        pool = int(os.environ.get("BENCH_POOL", "4"))
        extra = {"trust": pki.trust_config(),
                 "tsa": {"mode": "builtin", "cert": pki.path("tsa.crt"),
                         "key": pki.path("tsa.key"), "chain": pki.path("chain.pem"),
                         "trust": pki.path("root.pem")},
                 # BENCH_LEVEL=B-T|B-LT|B-LTA: the PAdES level completion builds (default
                 # the server's, B-LTA: a DSS, and a document timestamp from the last signer)
                 # BENCH_DOC_CACHE_MB=N: signing.document_cache_mb (default the server's,
                 # 512: the 2,040 contracts of 80 KB take 194 MB once signed; with a
                 # plain LRU at 128 or 32 the first uploads were no longer held when
                 # their prepares came, and none of 2,000 prepares took one trip; the
                 # segmented LRU keeps what fits of the uploads for their prepares: 378
                 # of 2,000 at 32)
                 "signing": dict({"default_seal_image": seal},
                                 **({"document_cache_mb": int(os.environ["BENCH_DOC_CACHE_MB"])}
                                    if os.environ.get("BENCH_DOC_CACHE_MB") else {}),
                                 **({"level": os.environ["BENCH_LEVEL"]}
                                    if os.environ.get("BENCH_LEVEL") else {})),
                 # BENCH_POOL=N: the server's PostgreSQL connections (default 4, the
                 # server's own default)
                 "database": {"pool_size": pool},
                 # one organization sends every contract of the run: the per-organization
                 # caps (051, 052) sized to it, not to a real organization's day
                 "contracts": {"max_sent_per_day": 10000000, "max_drafts": 10000000,
                               "max_created_per_day": 10000000},
                 # BENCH_REQUEST_TIMEOUT_MS=N: server.request_timeout_ms (default the
                 # server's, 30000; a server under callgrind on a busy machine takes
                 # longer than that to normalize an upload)
                 "server": dict({"threads": 2},
                                **({"request_timeout_ms":
                                    int(os.environ["BENCH_REQUEST_TIMEOUT_MS"])}
                                   if os.environ.get("BENCH_REQUEST_TIMEOUT_MS") else {}))}
        # sealpactd reaches PostgreSQL over its Unix socket, as deploy/run.sh's server
        # reaches its private cluster; BENCH_PG_TCP=1: over TCP on 127.0.0.1 (a
        # database on another machine)
        srv_db = db.url
        if not os.environ.get("BENCH_PG_TCP"):
            import re
            sockdir = open(os.path.join(tmp, "pg", "datadir")).read().strip()
            port = re.search(r":(\d+)/", db.url).group(1)
            srv_db = "postgresql://sealpact@/%s?host=%s&port=%s" % (db.name, sockdir, port)
        # BENCH_START_TIMEOUT=S: how long sealpactd may take to listen (default 60)
        server = harness.Server(tmp, srv_db, extra=extra).start(
            timeout=int(os.environ.get("BENCH_START_TIMEOUT", "60")))
        orgs = [{"slug": o["slug"], "credit_code": o["credit_code"],
                 "crt": pki.org_cert(o["slug"], "rsa")[0], "key": pki.org_cert(o["slug"], "rsa")[1]}
                for o in pki.orgs]
        buyer, supplier = orgs[0], orgs[1]
        signers = orgs[1:]
        while len(signers) < nsigners:
            signers.append(issue_rsa(harness, pki, tmp, len(signers)))
        tok = {}
        for o in [buyer] + signers:
            st, _, _, doc = harness.api_login(server, o["crt"], o["key"])
            assert st == 200, doc
            tok[o["slug"]] = doc["token"]

        def call(slug, method, path, body=None):
            h = {"Authorization": "Bearer " + tok[slug]}
            if body is None and method == "POST":
                body, h["Content-Type"] = b"", "application/json"
            return server.request(method, path, body=body, headers=h, timeout=120)

        with open(pdf10, "rb") as f:
            b64pdf = base64.b64encode(f.read()).decode()

        def new_contract(parties, pdf_b64=None):
            st, _, _, doc = call(buyer["slug"], "POST", "/api/v1/contracts", {
                "name": "Bench", "pdf_base64": pdf_b64 or b64pdf, "parties": [
                    {"credit_code": o["credit_code"], "role": "signer", "routing_order": 1}
                    for o in parties]})
            assert st == 201, doc
            n = doc["number"]
            assert call(buyer["slug"], "POST", "/api/v1/contracts/%s/send" % n)[0] == 200
            return n

        numbers, lock = [], threading.Lock()

        def setup(k):
            for _ in range(k):
                n = new_contract([supplier])
                assert call(supplier["slug"], "POST", "/api/v1/contracts/%s/receive" % n)[0] \
                    == 200
                with lock:
                    numbers.append(n)

        # Warm-up signings (not counted): each pooled PostgreSQL connection compiles
        # the signing functions and plans their statements at its first uses (custom
        # plans for the first five executions of each), as a server does once after
        # it starts. BENCH_WARMUP=N (default 10 per pooled connection; 0 with BENCH_COLD).
        warm = 0 if os.environ.get("BENCH_COLD") else int(os.environ.get("BENCH_WARMUP",
                                                                         str(10 * pool)))
        want = total + warm
        ts = [threading.Thread(target=setup, args=(want // 4 + (i < want % 4),))
              for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert len(numbers) == want
        placements = [{"mode": "normal", "page": 1, "x": 400, "y": 120},
                      {"mode": "date", "page": 1, "x": 400, "y": 60}]
        head = ("url %s\ncacert %s\ntoken %s\ncert %s\nkey %s\nthreads %d\nplacements %s\n"
                % (server.url, server.cafile, tok[supplier["slug"]],
                   base64.b64encode(harness.der_of(supplier["crt"])).decode(),
                   supplier["key"], clients, json.dumps(placements)))
        if warm > 0:
            warmfile = os.path.join(tmp, "warm.txt")
            with open(warmfile, "w") as f:
                f.write(head)
                for n in numbers[total:]:
                    f.write("contract %s\n" % n)
            subprocess.run([os.path.join(build, "bench", "bench_load"), warmfile], check=True,
                           stdout=subprocess.DEVNULL)
        numbers = numbers[:total]
        # Steady state, not the set-up's aftermath: what autovacuum would have
        # done after loading the contracts (dead rows, statistics), and a
        # checkpoint so that the run's WAL goes into recycled segments as on a
        # server that has been running (a fresh cluster zero-fills each new one:
        # the WAL writer's IO:WALInitWrite). BENCH_COLD=1 skips this.
        if not os.environ.get("BENCH_COLD"):
            db.query("VACUUM ANALYZE")
            db.query("CHECKPOINT")
        jobfile = os.path.join(tmp, "job.txt")
        with open(jobfile, "w") as f:
            f.write(head + "pid %d\n" % server.proc.pid)
            with open(os.path.join(open(os.path.join(tmp, "pg", "datadir")).read().strip(),
                                   "postmaster.pid")) as pm:
                f.write("pgpid %s\n" % pm.readline().strip())
            for n in numbers:
                f.write("contract %s\n" % n)
        print("bench_load: level %s, PostgreSQL %s, %s" % (
            os.environ.get("BENCH_LEVEL") or "B-LTA (default)",
            "durable (BENCH_DURABLE: fsync, synchronous_commit, full_page_writes on)"
            if os.environ.get("BENCH_DURABLE") else "the tests' (fsync off)",
            "cold (BENCH_COLD)" if os.environ.get("BENCH_COLD") else
            "steady state: after %d warm-up signings, VACUUM ANALYZE and CHECKPOINT" % warm))
        print("bench_load: %d signings of a 10-page contract (%d bytes), RSA-2048, built-in "
              "TSA, HTTPS, server threads 2, PostgreSQL over %s" % (
                  total, os.path.getsize(pdf10),
                  "TCP 127.0.0.1 (BENCH_PG_TCP)" if os.environ.get("BENCH_PG_TCP")
                  else "its Unix socket"))
        sys.stdout.flush()
        # BENCH_PERF=FILE: perf record the server (with call graphs) over both runs
        # (BENCH_PERF_CHAIN=1: over the chain alone).
        rec = None
        if os.environ.get("BENCH_PERF") and not os.environ.get("BENCH_PERF_CHAIN"):
            rec = subprocess.Popen(["perf", "record", "--call-graph", "dwarf,32768", "-F", "499", "-o", os.environ["BENCH_PERF"],
                                    "-p", str(server.proc.pid)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            time.sleep(1)
        if os.environ.get("BENCH_PGFUNCS"):
            db.query("SELECT pg_stat_reset()")
        # BENCH_PGSTATS=1: PostgreSQL's CPU by process kind, WAL, table churn and
        # wait events over the run (bench/pg_probe.py)
        probe = None
        if os.environ.get("BENCH_PGSTATS"):
            import pg_probe
            datadir = open(os.path.join(tmp, "pg", "datadir")).read().strip()
            with open(os.path.join(datadir, "postmaster.pid")) as pm:
                probe = pg_probe.Probe(harness.psql, db.url, int(pm.readline()), datadir)
            probe.start()
        # BENCH_PGPERF=FILE: perf record the whole machine (call graphs) over the run,
        # for PostgreSQL's backends (perf report --comm postgres)
        pgrec = None
        if os.environ.get("BENCH_PGPERF"):
            pgrec = subprocess.Popen(["perf", "record", "-a", "--call-graph", "dwarf,16384", "-F",
                                      "299", "-o", os.environ["BENCH_PGPERF"]],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        # BENCH_SYSCALLS=1: strace the server over the run (every thread, one file
        # each) and print its system calls per signing, all threads and the event
        # loop's thread alone, with the loop's most frequent calls. The loop's CPU
        # per signing is printed on every run (schedstat of the main thread, which
        # is the loop: a single-process server); under strace it is strace's too.
        trace = None
        if os.environ.get("BENCH_SYSCALLS"):
            tdir = os.path.join(tmp, "strace")
            os.mkdir(tdir)
            trace = subprocess.Popen(["strace", "-f", "-ff", "-qq", "-o",
                                      os.path.join(tdir, "t"), "-p", str(server.proc.pid)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        pmpid = int(open(os.path.join(open(os.path.join(tmp, "pg", "datadir")).read().strip(),
                                      "postmaster.pid")).readline())
        sw0 = (switches(server.proc.pid, server.proc.pid), switches(server.proc.pid),
               switches(pmpid))
        # BENCH_CG_RUN=1 (bench/bench_load_callgrind.sh, sealpactd under callgrind):
        # the counters zeroed before the run and dumped after it, so that the dump
        # holds the run's signings alone (the set-up and the warm-up left out).
        held0 = prepares_held(server)
        cg = os.environ.get("BENCH_CG_RUN")
        if cg:
            subprocess.run(["callgrind_control", "-z", str(server.proc.pid)], check=True,
                           stdout=subprocess.DEVNULL)
        loop0, lt0 = loop_ns(server.proc.pid), loop_ticks(server.proc.pid)
        pf0 = faults(server.proc.pid)
        p = subprocess.run([os.path.join(build, "bench", "bench_load"), jobfile])
        loop1, lt1 = loop_ns(server.proc.pid), loop_ticks(server.proc.pid)
        pf1 = faults(server.proc.pid)
        if cg:
            subprocess.run(["callgrind_control", "-d", "run", str(server.proc.pid)], check=True,
                           stdout=subprocess.DEVNULL)
        sw1 = (switches(server.proc.pid, server.proc.pid), switches(server.proc.pid),
               switches(pmpid))
        held1 = prepares_held(server)
        print("  prepares in one trip (migration 036, /metrics "
              "sealpact_signing_prepares_held_total): %d of %d, %d loaded after trying" % (
                  held1[0] - held0[0], total, held1[1] - held0[1]))
        tick = os.sysconf("SC_CLK_TCK") / 1e3
        print("  loop thread CPU per signing: %.3f ms (/proc/%d/task/%d/schedstat; user %.2f, "
              "system %.2f from its stat)" % (
                  (loop1 - loop0) / 1e6 / total, server.proc.pid, server.proc.pid,
                  (lt1[0] - lt0[0]) / tick / total, (lt1[1] - lt0[1]) / tick / total))
        print("  context switches per signing (voluntary + involuntary, /proc/*/status): "
              "loop thread %s, server %s, PostgreSQL %s" % tuple(
                  "%.2f + %.2f" % ((b[0] - a[0]) / total, (b[1] - a[1]) / total)
                  for a, b in zip(sw0, sw1)))
        print("  page faults per signing (server, /proc/%d/stat): minor %.2f, major %.2f" % (
            server.proc.pid, (pf1[0] - pf0[0]) / total, (pf1[1] - pf0[1]) / total))
        rss = rss_kb(server.proc.pid)
        print("  server memory after the run (/proc/%d/status): VmRSS %.1f MiB, VmHWM %.1f MiB"
              % (server.proc.pid, rss[0] / 1024, rss[1] / 1024))
        for line in doc_cache_figures(server):
            print("    " + line)
        if trace is not None:
            trace.send_signal(2)
            trace.wait()
            syscalls_report(tdir, server.proc.pid, total)
        sys.stdout.flush()
        if pgrec is not None:
            pgrec.send_signal(2)
            pgrec.wait()
        if probe is not None:
            probe.finish(total)
        if p.returncode != 0:
            return 1
        if os.environ.get("BENCH_PGFUNCS"):
            time.sleep(1)  # the backends report their statistics when idle
            print("  PostgreSQL functions, ms per signing (self, total, calls):")
            print(db.query("SELECT format('    %%-36s %%8s %%8s %%6s', funcname, "
                           "round((self_time / %d)::numeric, 3), "
                           "round((total_time / %d)::numeric, 3), calls) FROM "
                           "pg_stat_user_functions ORDER BY self_time DESC LIMIT 15"
                           % (total, total)))

        # A contract's k-th signature against its 1st: the same lean client, one
        # keep-alive connection, every signer in turn (bench_load "mode chain").
        # BENCH_CHAIN_MB=10: the chain signs a contract of that many megabytes instead
        # (bench_storage.py's big_pdf), whose every load sent the whole upload before 021.
        chain_b64 = None
        if os.environ.get("BENCH_CHAIN_MB"):
            with open(big_pdf(harness, tmp, int(os.environ["BENCH_CHAIN_MB"])), "rb") as f:
                chain_b64 = base64.b64encode(f.read()).decode()
            print("bench_load: the chain's contract: %d bytes" % (len(chain_b64) * 3 // 4))
            sys.stdout.flush()
        if os.environ.get("BENCH_PERF") and os.environ.get("BENCH_PERF_CHAIN"):
            rec = subprocess.Popen(["perf", "record", "--call-graph", "dwarf,32768", "-F", "999",
                                    "-o", os.environ["BENCH_PERF"], "-p", str(server.proc.pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        # The chain twice, on contracts of its own each: the completions answering the
        # contract document (the default), then only themselves (Prefer: return=minimal,
        # RFC 7240; what `sealpact sign` asks for): a completion's reply carries every
        # party and revision (and since 050 the audit trail's length, not its events:
        # ~8 KB at the 1st signing and ~40 KB at the 20th before), which PostgreSQL
        # builds and the client parses; the chain prints each reply's KB.
        # BENCH_CHAIN_REPLY=whole|minimal: that chain alone (default both).
        chain_numbers = []
        which = os.environ.get("BENCH_CHAIN_REPLY", "both")
        for prefer in [pr for w, pr in (("whole", ""), ("minimal", "return=minimal"))
                       if which in ("both", w)]:
            chainfile = os.path.join(tmp, "chain.txt")
            with open(chainfile, "w") as f:
                f.write("mode chain\nurl %s\ncacert %s\nplacements %s\npid %d\n" % (
                    server.url, server.cafile, json.dumps(placements), server.proc.pid))
                if prefer:
                    f.write("prefer %s\n" % prefer)
                with open(os.path.join(open(os.path.join(tmp, "pg", "datadir")).read().strip(),
                                       "postmaster.pid")) as pm:
                    f.write("pgpid %s\n" % pm.readline().strip())
                for o in signers:
                    f.write("signer %s %s %s\n" % (
                        tok[o["slug"]], base64.b64encode(harness.der_of(o["crt"])).decode(),
                        o["key"]))
                numbers = [new_contract(signers, chain_b64) for _ in
                           range(int(os.environ.get("BENCH_CHAIN_CONTRACTS", "3")))]
                for n in numbers:
                    f.write("contract %s\n" % n)
            chain_numbers += numbers
            # BENCH_PGLOG=1: every statement's duration in PostgreSQL's log over the
            # chain (log_min_duration_statement = 0; it costs PostgreSQL a log line per
            # statement)
            pglog = pgpos = None
            if os.environ.get("BENCH_PGLOG"):
                pglog = os.path.join(open(os.path.join(tmp, "pg", "datadir")).read().strip(),
                                     "server.log")
                db.query("ALTER SYSTEM SET log_min_duration_statement = 0")
                db.query("SELECT pg_reload_conf()")
                time.sleep(0.5)
                pgpos = os.path.getsize(pglog)
            p = subprocess.run([os.path.join(build, "bench", "bench_load"), chainfile])
            if pglog:
                db.query("ALTER SYSTEM RESET log_min_duration_statement")
                db.query("SELECT pg_reload_conf()")
            sys.stdout.flush()
            if p.returncode != 0:
                break
            chain_breakdown(server, pglog, pgpos, len(numbers), len(signers))
        if rec is not None:
            rec.send_signal(2)
            rec.wait()
        if p.returncode != 0:
            return 1
        # The report each completion stored with its revision (revisions.verification,
        # built on the one before): its size per k, and whether the contract's
        # verification from it is what verifying the whole file now reports.
        sizes = db.query("SELECT string_agg(coalesce(octet_length(verification)::text, '-'), "
                         "' ' ORDER BY seq) FROM revisions WHERE contract_number = %s "
                         "AND seq > 0" % chain_numbers[0])
        print("    stored report bytes, k = 1..%d: %s" % (nsigners, sizes))
        same = 0
        for n in chain_numbers:
            path = "/api/v1/contracts/%s/verification" % n
            st, _, _, kept = call(buyer["slug"], "GET", path)
            st2, _, _, fresh = call(buyer["slug"], "GET", path + "?fresh=true")
            # every signer's signature (B-LTA: and the last one's document timestamp)
            if st == 200 and st2 == 200 and kept == fresh and \
                    len(kept["signatures"]) >= nsigners:
                same += 1
            else:
                print("    contract %s: the stored report differs from ?fresh=true (%d, %d): %s"
                      % (n, st, st2, first_difference(kept, fresh)))
        print("    stored report == ?fresh=true verification: %d of %d contracts"
              % (same, len(chain_numbers)))
        return 0 if same == len(chain_numbers) else 1
    finally:
        if server is not None:
            server.stop()
        if db is not None:
            db.drop()
        if pki is not None:
            pki.close()
        subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), "stop",
                        os.path.join(tmp, "pg")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
