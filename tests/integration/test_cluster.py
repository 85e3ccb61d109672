"""Issue 17: sealpact scaled out on the engines operators run, under failure.

deploy/cluster.sh brings up, on loopback: etcd, a Patroni-managed PostgreSQL
primary and synchronous replica, HAProxy routing to Patroni's leader, PgBouncer
in transaction mode in front of it, three sealpactd nodes (node ids 1..3; nodes
1 and 2 through PgBouncer, node 3 with the multi-host conninfo and
target_session_attrs=read-write) and HAProxy balancing HTTPS over the nodes on
/readyz. The tests run in order on that one cluster:

  1. background jobs: contracts expiring and webhook deliveries are processed
     exactly once while all three nodes sweep;
     clients behind the balancer are told apart: HAProxy names each to the
     nodes (PROXY protocol v2), whose per-address limits count them apart, and
     a header sent straight to a node by another peer is refused;
  2. a node is killed with SIGKILL during 50 concurrent signings through the
     balancer; the clients retry; all 50 complete;
  3. the PostgreSQL primary (its Patroni and its postmaster) is killed during
     the same load; Patroni promotes the replica; the remaining nodes reconnect
     without restarting; the seconds of /readyz 503 and the failed requests are
     printed, and all work completes on retry.

After each: 0 acknowledged writes lost, 0 half-signed contracts, every stored
revision verifies and every audit chain is valid. Signing is driven as in
test_signing.py (the development PKI of harness.IdentityPKI; the token's
signature made with the same key by openssl, as a UKey would).
"""

import base64
import collections
import concurrent.futures
import http.client
import json
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import apicheck
import harness
from harness import Endpoint, IdentityPKI, der_of, openssl_sign, psql, run
from test_proxy import Proxied, refused, v2
from test_webhooks import Receiver

CLUSTER_SH = os.path.join(harness.SOURCE_DIR, "deploy", "cluster.sh")
SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")
SIGNINGS = 50
WORK_DEADLINE_S = 60  # all 50 signings, retries included, after a failure

PKI = None
CLUSTER = None
TIMINGS = []


def timing(what, seconds):
    TIMINGS.append((what, seconds))
    print("cluster timing: %-58s %7.2f s" % (what, seconds), flush=True)


class Cluster:
    """The cluster deploy/cluster.sh made, read from its cluster.env."""

    def __init__(self, state, env):
        self.state = state
        self.env = env
        self.v = {}
        with open(os.path.join(state, "cluster.env")) as f:
            for line in f:
                k, _, val = line.rstrip("\n").partition("=")
                self.v[k] = shlex.split(val)[0] if val else ""  # shell syntax
        self.nodes = int(self.v["NODES"])
        self.cafile = PKI.path("root.pem")
        self.balancer = Endpoint(int(self.v["API_PORT"]), self.cafile)

    def node(self, i):
        return Endpoint(int(self.v["NODE%d_PORT" % i]), self.cafile)

    def pid(self, name):
        with open(os.path.join(self.state, "run", name + ".pid")) as f:
            return int(f.read())

    def postmaster_pid(self, i):
        with open(os.path.join(self.state, "pg%d" % i, "data", "postmaster.pid")) as f:
            return int(f.readline())

    def sql(self, q):
        """On the current primary (the multi-host conninfo finds it)."""
        return psql(self.v["DIRECT_URL"], q)

    def leader(self):
        for i in (1, 2):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%s/primary" % self.v["REST%d_PORT" % i],
                                            timeout=5) as r:
                    if r.status == 200:
                        return i
            except OSError:
                pass
        return None

    def readyz(self, i):
        try:
            # (its ping gives up at 1.5 s; the rest is a loaded machine's)
            return self.node(i).request("GET", "/readyz", timeout=10)[0]
        except (OSError, http.client.HTTPException):
            return None

    def node_log(self, i):
        with open(os.path.join(self.state, "node%d.log" % i)) as f:
            return f.read()

    def node_log_lines(self, i):
        return [json.loads(line) for line in self.node_log(i).splitlines()
                if line.startswith("{")]

    def down(self):
        subprocess.run(["bash", CLUSTER_SH, "down"], env=self.env, capture_output=True, timeout=120)


def setUpModule():
    global PKI, CLUSTER
    t0 = time.time()
    PKI = IdentityPKI(tokens=False, private=True)  # cluster.sh adds seal.png to it
    state = tempfile.mkdtemp(prefix="sealpact-cluster.", dir=harness.scratch_dir())
    env = harness.clean_env({
        "SEALPACT_CLUSTER_DIR": state, "SEALPACT_BUILD_DIR": harness.BUILD_DIR,
        "SEALPACT_CLUSTER_PKI": PKI.pki,
        # the test's webhook receiver is a plain-HTTP one on loopback
        "SEALPACT_WEBHOOKS_ALLOW_HOSTS": "127.0.0.1", "SEALPACT_WEBHOOKS_ALLOW_HTTP": "true"})
    # The nodes' leak checker would report the SIGKILLed node's nothing and the
    # others' shutdown; the unit and single-server tests hold the leak checks.
    try:
        run(["bash", CLUSTER_SH, "up", "--nodes", "3", "--direct", "1", "--fast"], env=env,
            timeout=240)
        CLUSTER = Cluster(state, env)
    except Exception:
        subprocess.run(["bash", CLUSTER_SH, "down"], env=env, capture_output=True)
        PKI.close()
        raise
    timing("cluster up (etcd, 2 Patroni, HAProxy, PgBouncer, 3 nodes)", time.time() - t0)


def tearDownModule():
    bad = []
    try:
        if CLUSTER is not None:
            # Stop the nodes first, so that what a sanitizer reports at exit is
            # in their logs before cluster.sh down removes them.
            pids = [CLUSTER.pid("node%d" % i) for i in range(1, CLUSTER.nodes + 1)]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            end = time.time() + 30
            for pid in pids:
                while time.time() < end:
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        break
                    time.sleep(0.1)
            for i in range(1, CLUSTER.nodes + 1):
                bad += apicheck.check_log(CLUSTER.node_log_lines(i))
                bad += ["node %d: %s" % (i, line) for line in CLUSTER.node_log(i).splitlines()
                        if "Sanitizer" in line or "runtime error" in line]
            CLUSTER.down()
    finally:
        if PKI is not None:
            PKI.close()
    for what, s in TIMINGS:
        print("cluster timing: %-58s %7.2f s" % (what, s))
    if bad:
        raise apicheck.ContractError("the nodes' logs: answers the API description does not "
                                     "allow, or sanitizer reports:\n" + "\n".join(bad))


class Failures:
    """What clients saw go wrong, by kind (a status or an exception name)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kinds = collections.Counter()

    def add(self, kind):
        with self.lock:
            self.kinds[kind] += 1

    def total(self):
        return sum(self.kinds.values())


class Client:
    """One organization's calls through the balancer, retried the way a client
    retries: on a dropped connection, or a 502/503/504, after 200 ms; and on a
    429, which says Retry-After: while PostgreSQL fails over, the
    organization's jobs wait on it and fill its share of a node's workers
    (server.max_jobs_per_caller)."""

    RETRY = (429, 502, 503, 504)

    def __init__(self, ep, token, failures):
        self.ep, self.token, self.failures = ep, token, failures

    def call(self, method, path, body=None, deadline=None):
        deadline = deadline or time.time() + WORK_DEADLINE_S
        h = harness.bearer(self.token)
        if body is None and method == "POST":
            body, h["Content-Type"] = b"", "application/json"
        while True:
            try:
                st, _, _, doc = self.ep.request(method, path, body=body, headers=h, timeout=30)
                if st not in self.RETRY:
                    return st, doc
                self.failures.add(str(st))
            except (OSError, http.client.HTTPException) as e:
                self.failures.add(type(e).__name__)
            if time.time() > deadline:
                raise AssertionError("%s %s: still failing at the deadline" % (method, path))
            time.sleep(0.2)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Work:
    """The signing workload through an endpoint (the balancer): two organizations
    of the PKI logged in, contracts made, signings driven to the end with
    retries. bench/bench_cluster.py drives the same."""

    def __init__(self, ep, pki):
        self.ep, self.pki = ep, pki
        self.orgs = {o["slug"]: o for o in pki.orgs}
        self.tokens = {}
        for slug in ("buyer", "supplier"):
            crt, key = pki.org_cert(slug, "rsa")
            st, _, _, doc = harness.api_login(ep, crt, key)
            check(st == 200, doc)
            self.tokens[slug] = doc["token"]
        with open(SHORT, "rb") as f:
            self.pdf = base64.b64encode(f.read()).decode()
        crt, self.key = pki.org_cert("supplier", "rsa")
        self.prep_body = {"certificate": base64.b64encode(der_of(crt)).decode(),
                          "chain": [base64.b64encode(der_of(pki.path("ca.pem"))).decode()],
                          "placements": [{"mode": "normal", "seal": "default", "page": 1,
                                          "x": 400, "y": 120}]}

    def client(self, slug, failures=None):
        return Client(self.ep, self.tokens[slug], failures or Failures())

    def contracts(self, k, deadline=None, receive=True):
        """k contracts from the buyer, sent to the supplier (and received by it)."""
        buyer, supplier = self.client("buyer"), self.client("supplier")

        def one(i):
            body = {"name": "Cluster %d" % i, "pdf_base64": self.pdf,
                    "parties": [{"credit_code": self.orgs["supplier"]["credit_code"],
                                 "role": "signer", "routing_order": 1}]}
            if deadline is not None:
                body["deadline"] = deadline(i)
            st, doc = buyer.call("POST", "/api/v1/contracts", body)
            check(st == 201, doc)
            n = doc["number"]
            st, doc = buyer.call("POST", "/api/v1/contracts/%s/send" % n)
            check(st == 200, doc)
            if receive:
                st, doc = supplier.call("POST", "/api/v1/contracts/%s/receive" % n)
                check(st == 200, doc)
            return n

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            return list(ex.map(one, range(k)))

    def sign(self, sup, n, acked, deadline):
        """One signing of contract n by the supplier, retried to the end; an
        acknowledged completion is recorded in acked[n] = (seq, sha256)."""
        code = self.orgs["supplier"]["credit_code"]
        while True:
            # A completion whose answer was lost may have landed: look first.
            st, doc = sup.call("GET", "/api/v1/contracts/%s" % n, deadline=deadline)
            check(st == 200, doc)
            party = [p for p in doc["parties"] if p["credit_code"] == code][0]
            if party["status"] == "signed":
                return
            check(party["status"] == "received", doc)
            st, prep = sup.call("POST", "/api/v1/contracts/%s/signing-sessions" % n,
                                self.prep_body, deadline=deadline)
            if st == 409:
                continue
            check(st == 201, prep)
            sig = openssl_sign(self.key, base64.b64decode(prep["to_be_signed"]))
            st, doc = sup.call("POST", "/api/v1/signing-sessions/%s/complete" % prep["session"],
                               {"signature": base64.b64encode(sig).decode()}, deadline=deadline)
            if st == 200:
                acked[n] = (doc["seq"], doc["sha256"])
                return
            # Another attempt's revision landed, or this session was taken by a
            # completion on a node that then died: look again.
            check(st in (409, 410), doc)

    def load(self, numbers, failures, during=None, clients=None):
        """Sign every contract of numbers through the endpoint, `clients` at once
        (default: all of them); during(acked) runs in its own thread once the
        load is under way. Returns (acked, seconds)."""
        acked = {}
        sup = self.client("supplier", failures)
        deadline = time.time() + WORK_DEADLINE_S
        todo = list(numbers)
        lock = threading.Lock()
        k = clients or len(todo)
        gate = threading.Barrier(k + 1)
        errors = []

        def worker():
            try:
                gate.wait(30)
                while True:
                    with lock:
                        if not todo:
                            return
                        n = todo.pop()
                    self.sign(sup, n, acked, deadline)
            except Exception as e:  # reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=worker) for _ in range(k)]
        for t in threads:
            t.start()
        gate.wait(30)
        t0 = time.time()
        side = None
        if during is not None:
            side = threading.Thread(target=during, args=(acked,))
            side.start()
        for t in threads:
            t.join()
        took = time.time() - t0
        if side is not None:
            side.join()
        check(errors == [], errors)
        return acked, took


class ClusterCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.work = Work(CLUSTER.balancer, PKI)
        cls.orgs = cls.work.orgs
        cls.tokens = cls.work.tokens

    def client(self, slug, failures=None):
        return self.work.client(slug, failures)

    def contracts(self, k, deadline=None, receive=True):
        return self.work.contracts(k, deadline, receive)

    def load(self, numbers, failures, during=None):
        return self.work.load(numbers, failures, during)

    # ---- what must hold after every failure -------------------------------------------

    def check_invariants(self, numbers, acked):
        nums = ",".join(numbers)
        # Every signing completed, and every acknowledged one is stored as acknowledged.
        rows = CLUSTER.sql(
            "SELECT c.number, c.status, p.status, r.seq, r.sha256 FROM contracts c "
            "JOIN parties p ON p.contract_number = c.number AND p.role = 'signer' "
            "LEFT JOIN revisions r ON r.contract_number = c.number AND r.seq = 1 "
            "WHERE c.number IN (%s) ORDER BY 1" % nums).splitlines()
        self.assertEqual(len(rows), len(numbers))
        lost = []
        for row in rows:
            n, cst, pst, seq, sha = row.split("|")
            self.assertEqual(pst, "signed", row)
            if n in acked and (int(seq or -1), sha) != (acked[n][0], acked[n][1]):
                lost.append(row)
        self.assertEqual(lost, [], "acknowledged signings lost")
        # No half-signed contract: revisions = the original + one per signed party,
        # and no signing session left claimed.
        half = CLUSTER.sql(
            "SELECT count(*) FROM contracts c WHERE c.number IN (%s) AND "
            "(SELECT count(*) FROM revisions r WHERE r.contract_number = c.number) <> 1 + "
            "(SELECT count(*) FROM parties p WHERE p.contract_number = c.number "
            " AND p.status IN ('signed', 'sent'))" % nums)
        self.assertEqual(half, "0")
        completed = CLUSTER.sql(
            "SELECT count(*) FROM audit_events WHERE contract_number IN (%s) "
            "AND action = 'signing.completed'" % nums)
        self.assertEqual(int(completed), len(numbers))
        # Every stored revision verifies; every audit chain is valid (through the balancer).
        buyer = self.client("buyer")

        def verify(n):
            st, rep = buyer.call("GET", "/api/v1/contracts/%s/verification" % n)
            self.assertEqual(st, 200, rep)
            # B-LTA by default: a DSS and a document timestamp follow the signature
            self.assertEqual(rep["verdict"], "valid_with_allowed_changes", rep)
            self.assertTrue(rep["last_revision_signed"], rep)
            self.assertEqual([s["doc_timestamp"] for s in rep["signatures"]], [False, True],
                             rep)
            st, au = buyer.call("GET", "/api/v1/contracts/%s/audit/verify" % n)
            self.assertEqual(st, 200, au)
            self.assertTrue(au["valid"], au)

        with concurrent.futures.ThreadPoolExecutor(6) as ex:
            list(ex.map(verify, numbers))

    # ---- the tests, in order ---------------------------------------------------------

    def expired_by_node(self):
        """How many contracts each node's sweeps expired (their log lines)."""
        return {i: sum(line.get("count", 0) for line in CLUSTER.node_log_lines(i)
                       if line.get("msg") == "contracts expired")
                for i in range(1, CLUSTER.nodes + 1)}

    def expiry_round(self, hook, k):
        """k contracts due within 7 s, expired and their events delivered while
        every node runs both sweeps; checks that each was processed exactly once
        and returns how many each node expired."""
        before = self.expired_by_node()
        base = time.time() + 6
        # Due at fractions of a second: with whole seconds the node whose sweep
        # phase comes first after :00.000 would take every one.

        def due(i):
            # (never less than 3 s after the contract is made: on a loaded machine the
            # last of them are made late, and a past deadline is refused)
            t = max(base + i * 0.237, time.time() + 3)
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (t % 1 * 1000)

        numbers = self.contracts(k, deadline=due, receive=False)
        nums = ",".join(numbers)
        end = time.time() + 45
        while time.time() < end:
            left = CLUSTER.sql(
                "SELECT (SELECT count(*) FROM contracts WHERE number IN (%s) AND status <> 'expired')"
                " + (SELECT count(*) FROM webhook_deliveries WHERE webhook_id = %s "
                "    AND status <> 'delivered')" % (nums, hook["id"]))
            if left == "0":
                break
            time.sleep(0.5)
        self.assertEqual(left, "0", "contracts or deliveries left unprocessed")
        # Each contract expired exactly once: one audit event each, and the sweeps'
        # counts over all nodes add up to k (a double expiry would exceed it).
        per = CLUSTER.sql("SELECT count(*) FROM audit_events WHERE contract_number IN (%s) "
                          "AND action = 'contract.expired' GROUP BY contract_number" % nums)
        self.assertEqual(per.split(), ["1"] * k)
        after = self.expired_by_node()
        by_node = {i: after[i] - before[i] for i in after}
        print("cluster: contracts expired by node", by_node, flush=True)
        self.assertEqual(sum(by_node.values()), k, by_node)
        return by_node

    def test_1_background_jobs_exactly_once_across_nodes(self):
        t0 = time.time()
        rx = Receiver()
        self.addCleanup(rx.stop)
        buyer = self.client("buyer")
        st, hook = buyer.call("POST", "/api/v1/webhooks", {"url": rx.url})
        self.assertEqual(st, 201, hook)
        k, rounds = 30, 0
        # The sweeps' phases are random per process; when two come within a few
        # milliseconds of each other one node takes every due row (the other
        # skips the locked ones): exactly once still, but no proof that several
        # nodes did the work. So another round, rarely.
        while rounds < 3:
            rounds += 1
            by_node = self.expiry_round(hook, k)
            if len([v for v in by_node.values() if v > 0]) >= 2:
                break
        self.assertGreaterEqual(len([v for v in by_node.values() if v > 0]), 2, by_node)
        # Each delivery was claimed once and received once.
        deliveries = int(CLUSTER.sql("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = %s"
                                     % hook["id"]))
        self.assertGreaterEqual(deliveries, 2 * k * rounds)  # sent + expired, per contract
        self.assertEqual(CLUSTER.sql("SELECT max(attempts) FROM webhook_deliveries "
                                     "WHERE webhook_id = %s" % hook["id"]), "1")
        got = [b["id"] for b in rx.verified(hook["secret"])]
        self.assertEqual(len(got), deliveries)
        self.assertEqual(len(set(got)), deliveries, "an event was delivered twice")
        timing("jobs: %d expiries + %d deliveries, exactly once" % (k * rounds, deliveries),
               time.time() - t0)

    def test_1b_migrate_through_pgbouncer_leaves_no_lock(self):
        # cluster.sh migrated through PgBouncer; a second run applies nothing, and
        # neither leaves an advisory lock on a pooled server connection (a
        # session lock would, and block the next release's migration).
        env = harness.clean_env({"SEALPACT_DATABASE_URL": CLUSTER.v["BOUNCER_URL"],
                                 "SEALPACT_SERVER_TLS": "false",
                                 "SEALPACT_MIGRATIONS_DIR": os.path.join(harness.SOURCE_DIR,
                                                                         "migrations")})
        procs = [subprocess.Popen([harness.SEALPACTD, "migrate"], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for _ in range(2)]
        outs = [p.communicate(timeout=60)[0] for p in procs]
        for p, out in zip(procs, outs):
            self.assertEqual(p.returncode, 0, out)
            self.assertIn("0 migrations applied", out)
        self.assertEqual(CLUSTER.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
                         "0")

    def test_1c_clients_behind_the_balancer_are_told_apart(self):
        # HAProxy sends each client's address (send-proxy-v2) to the nodes, which trust it:
        # the anonymous verifications (30 a minute per address and node) of one client
        # behind it do not use up another's.
        def verify(source):
            c = Proxied(CLUSTER.balancer, b"", source)
            try:
                c.request("POST", "/api/v1/verify", body=b"x")
                return c.getresponse().status
            finally:
                c.close()

        run, n = 0, 0
        while run < CLUSTER.nodes and n < 40 * CLUSTER.nodes:
            run, n = (run + 1 if verify("127.0.0.2") == 429 else 0), n + 1
        self.assertEqual(run, CLUSTER.nodes, "127.0.0.2 was never refused on every node")
        self.assertEqual([verify("127.0.0.3") for _ in range(CLUSTER.nodes)],
                         [415] * CLUSTER.nodes)
        remotes = {l.get("remote") for i in range(1, CLUSTER.nodes + 1)
                   for l in CLUSTER.node_log_lines(i) if l.get("path") == "/api/v1/verify"}
        self.assertLessEqual({"127.0.0.2", "127.0.0.3"}, remotes)
        # A header sent straight to a node by a peer that is not the balancer names nobody.
        self.assertTrue(refused(CLUSTER.node(2), v2("192.0.2.50"), source="127.0.0.2"))

    def test_2_sigkill_a_node_during_50_signings(self):
        numbers = self.contracts(SIGNINGS)
        failures = Failures()
        victim = 1
        pid = CLUSTER.pid("node%d" % victim)
        killed = {}

        def kill(acked):
            end = time.time() + 30
            while len(acked) < 5 and time.time() < end:
                time.sleep(0.01)
            os.kill(pid, signal.SIGKILL)
            killed["at"] = time.time()
            killed["acked"] = len(acked)

        acked, took = self.load(numbers, failures, during=kill)
        print("cluster: node %d killed after %d acknowledged signings; client failures %s"
              % (victim, killed["acked"], dict(failures.kinds)), flush=True)
        timing("node SIGKILL: 50 signings through the balancer", took)
        timing("node SIGKILL: last signing done after the kill", time.time() - killed["at"])
        self.assertEqual(len(numbers), SIGNINGS)
        # The kill landed during the load, and the node is gone.
        self.assertLess(killed["acked"], SIGNINGS)
        self.assertIsNone(CLUSTER.readyz(victim))
        self.check_invariants(numbers, acked)
        # The balancer took the dead node out: requests keep working.
        self.assertEqual(CLUSTER.balancer.request("GET", "/readyz")[0], 200)

    def test_2b_prepare_on_one_node_complete_on_another(self):
        n = self.contracts(1)[0]
        crt, key = PKI.org_cert("supplier", "rsa")
        a, b = CLUSTER.node(2), CLUSTER.node(3)
        h = harness.bearer(self.tokens["supplier"])
        st, _, _, prep = a.request("POST", "/api/v1/contracts/%s/signing-sessions" % n, body={
            "certificate": base64.b64encode(der_of(crt)).decode(),
            "placements": [{"mode": "normal", "seal": "default", "page": 1, "x": 300, "y": 90}]},
            headers=h, timeout=30)
        self.assertEqual(st, 201, prep)
        sig = openssl_sign(key, base64.b64decode(prep["to_be_signed"]))
        st, _, _, doc = b.request("POST", "/api/v1/signing-sessions/%s/complete" % prep["session"],
                                  body={"signature": base64.b64encode(sig).decode()}, headers=h,
                                  timeout=30)
        self.assertEqual(st, 200, doc)
        self.check_invariants([n], {n: (doc["seq"], doc["sha256"])})

    def test_3_kill_the_postgresql_primary_during_50_signings(self):
        numbers = self.contracts(SIGNINGS)
        alive = [i for i in range(1, CLUSTER.nodes + 1) if CLUSTER.readyz(i) == 200]
        self.assertGreaterEqual(len(alive), 2)
        pids = {i: CLUSTER.pid("node%d" % i) for i in alive}
        leader = CLUSTER.leader()
        self.assertIsNotNone(leader)
        # Commits are acknowledged only once the replica has them (Patroni's
        # synchronous_mode): what makes "0 acknowledged writes lost" hold.
        self.assertEqual(CLUSTER.sql("SELECT sync_state FROM pg_stat_replication"), "sync")
        failures = Failures()
        ev = {}
        stop_poll = threading.Event()
        unready = collections.defaultdict(list)  # node -> times of a 503 (or no answer)

        def poll():
            while not stop_poll.is_set():
                for i in alive:
                    st = CLUSTER.readyz(i)
                    if st != 200:
                        unready[i].append((time.time(), st))
                time.sleep(0.1)

        def kill(acked):
            end = time.time() + 30
            while len(acked) < 5 and time.time() < end:
                time.sleep(0.01)
            # The machine of the primary is lost: its Patroni and its postmaster die
            # at once (Patroni first, so it cannot restart PostgreSQL in place).
            os.kill(CLUSTER.pid("patroni%d" % leader), signal.SIGKILL)
            os.kill(CLUSTER.postmaster_pid(leader), signal.SIGKILL)
            ev["kill"] = time.time()
            ev["acked"] = len(acked)
            while CLUSTER.leader() in (None, leader) and time.time() < ev["kill"] + 60:
                time.sleep(0.1)
            ev["promoted"] = time.time()
            while time.time() < ev["kill"] + 60:
                if all(CLUSTER.readyz(i) == 200 for i in alive):
                    break
                time.sleep(0.1)
            ev["ready"] = time.time()

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            acked, took = self.load(numbers, failures, during=kill)
        finally:
            stop_poll.set()
            poller.join()
        new = CLUSTER.leader()
        self.assertNotIn(new, (None, leader), "Patroni did not promote the replica")
        self.assertLess(ev["acked"], SIGNINGS)  # the primary died during the load
        for i in alive:
            window = (unready[i][-1][0] - unready[i][0][0] + 0.1) if unready[i] else 0.0
            statuses = collections.Counter(st for _, st in unready[i])
            timing("primary kill: node %d /readyz not 200 (%s)" % (
                i, ", ".join("%s x%d" % (k, v) for k, v in statuses.items()) or "never"), window)
        print("cluster: primary pg%d killed after %d acknowledged signings; pg%d promoted; "
              "client failures %s" % (leader, ev["acked"], new, dict(failures.kinds)), flush=True)
        timing("primary kill: until Patroni promoted pg%d" % new, ev["promoted"] - ev["kill"])
        timing("primary kill: until every node's /readyz is 200", ev["ready"] - ev["kill"])
        timing("primary kill: 50 signings through the balancer", took)
        print("cluster: primary kill: %d failed requests, all retried to success"
              % failures.total(), flush=True)
        # The nodes reconnected by themselves: same processes, all ready.
        for i in alive:
            self.assertEqual(CLUSTER.pid("node%d" % i), pids[i])
            os.kill(pids[i], 0)
            self.assertEqual(CLUSTER.readyz(i), 200)
        self.check_invariants(numbers, acked)
        # Contract numbers stay unique across nodes, and carry the node ids.
        dup = CLUSTER.sql("SELECT count(*) - count(DISTINCT number) FROM contracts")
        self.assertEqual(dup, "0")
        nodes = CLUSTER.sql("SELECT DISTINCT ((number - 1000000000000000000) >> 12) & 1023 "
                            "FROM contracts ORDER BY 1").split()
        self.assertGreaterEqual(len(nodes), 2, nodes)
        self.assertTrue(set(nodes) <= {"1", "2", "3"}, nodes)


if __name__ == "__main__":
    unittest.main()
