#!/usr/bin/env python3
"""bench_cluster.py: sealpact scaled out (deploy/cluster.sh) on this machine:
complete signings per second and the p50/p99 latency of a list, for 1, 2 and 3
sealpactd nodes behind HAProxy (PgBouncer in transaction mode, a Patroni pair
with a synchronous replica behind it), then, with 3 nodes, the time to recover
from a node killed with SIGKILL and from the PostgreSQL primary killed.

    bench/bench_cluster.py [BUILD_DIR] [SIGNINGS] [CLIENTS] [LISTS]

Defaults: build/, 60 signings, 8 clients, 400 list requests (8 at a time).
A signing is prepare -> the token's signature (openssl, standing for the
UKey, timed: it runs on the same cores) -> complete, one contract each (made,
sent and received beforehand, not timed), driven by the integration test's
workload (tests/integration/test_cluster.py: Work). The list is the signer's
to-do tab, 10 a page. Recovery: 4 probes list through the balancer every
20 ms without retrying; "recovered" is the last failed probe after the kill.

Every process -- the nodes, both PostgreSQL servers, PgBouncer, HAProxy, etcd,
Patroni and this client -- shares the machine's cores, and PostgreSQL runs
with fsync off (the cluster's --fast). On a 2-core machine more nodes add no
CPU: a completion is CPU work (signature check, CMS, timestamp, verification
of the new revision), so signings/s stays flat or drops as nodes compete for
the same two cores; the figures show the overhead of the extra hops and the
failover behaviour, not capacity. Capacity grows with nodes only when each node
has cores of its own (deploy/PRODUCTION.md).
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main(argv):
    build = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "build")
    signings = int(argv[2]) if len(argv) > 2 else 60
    clients = int(argv[3]) if len(argv) > 3 else 8
    lists = int(argv[4]) if len(argv) > 4 else 400
    os.environ["SEALPACT_SOURCE_DIR"] = ROOT
    os.environ["SEALPACT_BUILD_DIR"] = build
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import harness
    import test_cluster as tc

    cluster_sh = os.path.join(ROOT, "deploy", "cluster.sh")
    load0 = os.getloadavg()[0]
    pki = harness.IdentityPKI(tokens=False)
    tc.PKI = pki
    rows, recovery = [], []
    try:
        for nodes in (1, 2, 3):
            state = tempfile.mkdtemp(prefix="sealpact-bench-cluster.", dir="/tmp")
            env = harness.clean_env({"SEALPACT_CLUSTER_DIR": state, "SEALPACT_BUILD_DIR": build,
                                     "SEALPACT_CLUSTER_PKI": pki.pki})
            harness.run(["bash", cluster_sh, "up", "--nodes", str(nodes), "--fast"], env=env,
                        timeout=240)
            c = tc.Cluster(state, env)
            try:
                work = tc.Work(c.balancer, pki)
                numbers = work.contracts(signings)
                failures = tc.Failures()
                _, took = work.load(numbers, failures, clients=clients)
                lat = list_latencies(work, lists, 8)
                rows.append((nodes, signings / took, pct(lat, 50), pct(lat, 99), failures.total()))
                print("bench_cluster: %d node(s): %.2f signings/s, list p50 %.1f ms p99 %.1f ms"
                      % rows[-1][:4], file=sys.stderr, flush=True)
                if nodes == 3:
                    recovery = recover(c, work)
            finally:
                c.down()
    finally:
        pki.close()

    print("sealpact cluster on loopback: %d cores, %d signings by %d clients, %d lists (8 at once)"
          % (os.cpu_count(), signings, clients, lists))
    print("load average before %.1f, after %.1f (other work on the machine skews the figures)"
          % (load0, os.getloadavg()[0]))
    print("%-6s %14s %14s %14s %9s" % ("nodes", "signings/s", "list p50 ms", "list p99 ms",
                                       "retries"))
    for n, rate, p50, p99, fails in rows:
        print("%-6d %14.2f %14.1f %14.1f %9d" % (n, rate, p50, p99, fails))
    print()
    for what, secs in recovery:
        print("%-62s %7.2f s" % (what, secs))


def list_latencies(work, total, conc):
    sup = work.client("supplier")
    out, lock = [], threading.Lock()
    left = [total]

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            t = time.perf_counter()
            st, _ = sup.call("GET", "/api/v1/contracts?tab=todo&page_size=10")
            d = (time.perf_counter() - t) * 1000
            if st != 200:
                raise RuntimeError("list answered %d" % st)
            with lock:
                out.append(d)

    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


class Probes:
    """4 threads listing through the balancer every 20 ms, no retries."""

    def __init__(self, work):
        self.work, self.fails, self.stop_ev = work, [], threading.Event()
        self.threads = [threading.Thread(target=self.run) for _ in range(4)]
        for t in self.threads:
            t.start()

    def run(self):
        h = {"Authorization": "Bearer " + self.work.tokens["supplier"]}
        while not self.stop_ev.is_set():
            try:
                st = self.work.ep.request("GET", "/api/v1/contracts?tab=todo", headers=h,
                                          timeout=5)[0]
                if st != 200:
                    self.fails.append(time.time())
            except OSError:
                self.fails.append(time.time())
            except Exception:  # http.client's, on a cut connection
                self.fails.append(time.time())
            time.sleep(0.02)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join()


def recover(c, work):
    out = []
    # A node killed: HAProxy takes it out after two failed checks (300 ms apart).
    p = Probes(work)
    time.sleep(1)
    t0 = time.time()
    os.kill(c.pid("node1"), signal.SIGKILL)
    time.sleep(5)
    p.stop()
    after = [t - t0 for t in p.fails if t >= t0]
    out.append(("node SIGKILL: failed probes %d, last at" % len(after), max(after or [0.0])))
    # The primary killed (its Patroni and postmaster at once).
    leader = c.leader()
    alive = [i for i in range(2, c.nodes + 1)]
    p = Probes(work)
    time.sleep(1)
    t0 = time.time()
    os.kill(c.pid("patroni%d" % leader), signal.SIGKILL)
    os.kill(c.postmaster_pid(leader), signal.SIGKILL)
    promoted = ready = None
    while time.time() < t0 + 60:
        if promoted is None and c.leader() not in (None, leader):
            promoted = time.time() - t0
        if promoted is not None and all(c.readyz(i) == 200 for i in alive):
            ready = time.time() - t0
            break
        time.sleep(0.05)
    time.sleep(2)
    p.stop()
    after = [t - t0 for t in p.fails if t >= t0]
    out.append(("primary kill: Patroni promoted the replica after", promoted or -1))
    out.append(("primary kill: every node's /readyz 200 again after", ready or -1))
    out.append(("primary kill: failed probes %d, last at" % len(after), max(after or [0.0])))
    return out


if __name__ == "__main__":
    main(sys.argv)
