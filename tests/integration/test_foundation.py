"""Issue 2, end to end: HTTPS, health, readiness against a real PostgreSQL that
goes away and comes back, problem+json errors, metrics, logs, graceful shutdown
under load, and the migrations command."""

import base64
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
from unittest import mock

import harness
from harness import Database, PrivateCluster, Server, ServerTestCase, parallel
from test_workflow import FIXTURE, Org


class HealthAndErrors(ServerTestCase):

    def test_healthz_and_readyz_over_https(self):
        st, hdrs, _, doc = self.server.request("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(doc["status"], "ok")
        self.assertTrue(hdrs.get("x-request-id"))
        st, _, _, doc = self.server.request("GET", "/readyz")
        self.assertEqual(st, 200, doc)

    def test_plain_http_to_tls_port_is_not_served(self):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        with self.assertRaises(Exception):
            c.request("GET", "/healthz")
            r = c.getresponse()
            if r.status == 200:
                raise AssertionError("served plain HTTP on the TLS port")
            raise ConnectionError("refused as expected")

    def test_request_id_is_echoed_when_sane_and_replaced_when_not(self):
        _, hdrs, _, _ = self.server.request("GET", "/healthz", headers={"X-Request-Id": "abc-123.x_y"})
        self.assertEqual(hdrs["x-request-id"], "abc-123.x_y")
        _, hdrs, _, _ = self.server.request("GET", "/healthz", headers={"X-Request-Id": "bad id\"<>"})
        self.assertNotEqual(hdrs["x-request-id"], "bad id\"<>")
        self.assertRegex(hdrs["x-request-id"], r"^[A-Za-z0-9._-]{8,64}$")

    def test_unknown_route_is_404_problem(self):
        doc = self.assertProblem(self.server.request("GET", "/api/v1/no-such-thing"), 404)
        self.assertTrue(doc["code"])

    def test_wrong_method_is_405_with_allow(self):
        resp = self.server.request("DELETE", "/healthz")
        self.assertProblem(resp, 405)
        self.assertIn("GET", resp[1].get("allow", ""))

    # A JSON route that anyone may call (login): the body is judged before auth.
    JSON_ROUTE = "/api/v1/auth/login"

    def test_small_replies_arrive_as_one_tls_record_on_a_kept_connection(self):
        # The TLS records as they come off the socket (request.c, reply_flush()):
        # a reply of a few hundred bytes is one record, head and body together,
        # whether the handler answers at once (/healthz), after a database round
        # trip (/readyz) or after a worker's job (a login's certificate check).
        # The connection stays usable between requests.
        ctx = ssl.create_default_context(cafile=self.server.cafile)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        self.addCleanup(sock.close)
        raw = bytearray()

        def record():
            while len(raw) < 5 or len(raw) < 5 + int.from_bytes(raw[3:5], "big"):
                chunk = sock.recv(65536)
                self.assertTrue(chunk, "the server closed the connection")
                raw.extend(chunk)
            n = 5 + int.from_bytes(raw[3:5], "big")
            rec = bytes(raw[:n])
            del raw[:n]
            return rec

        def flush():
            data = out.read()
            if data:
                sock.sendall(data)

        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                flush()
                inc.write(record())
        flush()

        def exchange(method, path, body=b""):
            tls.write(b"%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                      b"\r\nContent-Length: %d\r\n\r\n%s"
                      % (method.encode(), path.encode(), len(body), body))
            flush()
            reply, records = b"", 0
            while True:
                head, sep, rest = reply.partition(b"\r\n\r\n")
                m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                if sep and m and len(rest) >= int(m.group(1)):
                    return reply, records
                inc.write(record())
                try:
                    data = tls.read(65536)
                except ssl.SSLWantReadError:
                    data = b""  # a TLS 1.3 session ticket: no application data
                if data:
                    records += 1
                    reply += data

        for method, path, body, status in (
                ("GET", "/healthz", b"", 200), ("GET", "/readyz", b"", 200),
                ("POST", self.JSON_ROUTE, b'{"certificate": "AAAA", "signature": "AAAA", '
                 b'"challenge": "%s"}' % base64.b64encode(bytes(32)), 4),
                ("GET", "/healthz", b"", 200)):
            reply, records = exchange(method, path, body)
            self.assertTrue(reply.startswith(b"HTTP/1.1 %d" % status), reply)
            self.assertLess(len(reply), 16384)
            self.assertEqual(records, 1, (path, reply))

    def test_malformed_json_is_400_with_position(self):
        doc = self.assertProblem(self.server.request(
            "POST", self.JSON_ROUTE, body=b'{"certificate": "abc",,}',
            headers={"Content-Type": "application/json"}), 400, "malformed_json")
        self.assertRegex(doc["detail"], r"line 1")

    def test_oversize_body_is_413(self):
        body = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
        try:
            resp = self.server.request("POST", self.JSON_ROUTE, body=body,
                                       headers={"Content-Type": "application/json"})
        except (ConnectionResetError, BrokenPipeError):
            self.fail("oversize body: connection dropped instead of a 413 answer")
        self.assertProblem(resp, 413)

    def test_wrong_content_type_is_415(self):
        self.assertProblem(self.server.request(
            "POST", self.JSON_ROUTE, body=b"certificate=abc",
            headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)

    def test_version(self):
        st, _, _, doc = self.server.request("GET", "/api/v1/version")
        self.assertEqual(st, 200)
        self.assertEqual(doc["name"], "sealpact")
        self.assertRegex(doc["version"], r"^\d+\.\d+\.\d+")

    def test_metrics_count_requests_by_route_and_status(self):
        for _ in range(3):
            self.server.request("GET", "/healthz")
        self.server.request("GET", "/nope")
        st, hdrs, body, _ = self.server.metrics()
        self.assertEqual(st, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/plain"))
        text = body.decode()
        m = re.search(r'sealpact_http_requests_total\{[^}]*route="/healthz"[^}]*status="200"[^}]*\} (\d+)', text)
        self.assertIsNotNone(m, text)
        self.assertGreaterEqual(int(m.group(1)), 3)
        self.assertRegex(text, r'sealpact_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+')
        self.assertIn("sealpact_db_pool_waiting", text)
        # The raw unknown path must not become a label (bounded cardinality).
        self.assertNotIn('"/nope"', text)

    def test_access_log_is_json_with_request_id(self):
        _, hdrs, _, _ = self.server.request("GET", "/api/v1/version")
        rid = hdrs["x-request-id"]
        deadline = time.time() + 30
        while time.time() < deadline:
            hits = [l for l in self.server.log_lines() if l.get("request_id") == rid and l.get("status") == 200]
            if hits:
                break
            time.sleep(0.05)
        self.assertTrue(hits, self.server.log())
        self.assertIn("duration_ms", hits[0])
        self.assertEqual(hits[0].get("method"), "GET")

    def test_health_probes_are_counted_not_logged(self):
        rids = []
        for path in ("/healthz", "/readyz", "/metrics") * 3:
            st, hdrs, _, _ = self.server.request(
                "GET", path, headers=harness.METRICS_AUTH if path == "/metrics" else None)
            self.assertEqual(st, 200)
            rids.append(hdrs["x-request-id"])
        _, hdrs, _, _ = self.server.request("GET", "/api/v1/version")
        last = hdrs["x-request-id"]
        deadline = time.time() + 30
        while time.time() < deadline:
            lines = self.server.log_lines()
            if any(l.get("request_id") == last for l in lines):
                break
            time.sleep(0.05)
        self.assertTrue(any(l.get("request_id") == last and l.get("level") == "info"
                            for l in lines), self.server.log())
        self.assertEqual([l for l in lines if l.get("request_id") in rids], [])
        _, _, body, _ = self.server.metrics()
        for route in ("/healthz", "/readyz"):
            m = re.search(r'sealpact_http_requests_total\{[^}]*route="%s"[^}]*status="200"'
                          r'[^}]*\} (\d+)' % route, body.decode())
            self.assertIsNotNone(m, body.decode())
            self.assertGreaterEqual(int(m.group(1)), 3)


class Readiness(unittest.TestCase):
    """PostgreSQL stops: /readyz says 503 within 2 s, database routes 503 problem+json,
    nothing hangs or crashes; PostgreSQL comes back: the same process recovers."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sealpact-it.")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.pg = PrivateCluster(self.tmp)
        self.addCleanup(self.pg.destroy)
        self.db = Database(self.pg.url)
        self.db.migrate()
        # A query deadline far beyond the bound below, so that waiting for it
        # (rather than failing at once) fails the test however loaded the machine.
        self.server = Server(self.tmp, self.db.url,
                             extra={"database": {"query_timeout_ms": 20000}})
        self.addCleanup(self.server.stop)
        self.server.start()

    def test_database_outage_and_recovery(self):
        st, _, _, _ = self.server.request("GET", "/readyz")
        self.assertEqual(st, 200)
        self.pg.stop()
        for _ in range(3):
            t0 = time.time()
            st, hdrs, _, doc = self.server.request("GET", "/readyz", timeout=10)
            elapsed = time.time() - t0
            self.assertEqual(st, 503, doc)
            self.assertEqual(hdrs["content-type"].split(";")[0], "application/problem+json")
            # (its own 1.5 s ping deadline, or at once when the port refuses; 2 s is
            # the promise, the rest is a loaded machine's)
            self.assertLess(elapsed, 5.0, "readyz took %.2fs with the database down" % elapsed)
        # Liveness does not depend on the database.
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)
        self.pg.start()
        deadline = time.time() + 15
        st = None
        while time.time() < deadline:
            st = self.server.request("GET", "/readyz")[0]
            if st == 200:
                break
            time.sleep(0.2)
        self.assertEqual(st, 200, "did not recover after PostgreSQL came back")
        self.assertIsNone(self.server.proc.poll())


class Isolation(unittest.TestCase):
    """The caller's SEALPACT_* settings never reach the programs under test: a
    developer's exported SEALPACT_SERVER_PORT would otherwise make test servers
    share the port of a running server (SO_REUSEPORT) and answer in its place."""

    def test_server_ignores_the_callers_sealpact_environment(self):
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        busy.bind(("127.0.0.1", 0))
        busy.listen(8)
        busy_port = busy.getsockname()[1]
        polluted = {"SEALPACT_SERVER_PORT": str(busy_port),
                    "SEALPACT_DATABASE_URL": "postgresql://bogus",
                    "SEALPACT_SERVER_TLS": "false", "SEALPACT_LOG_LEVEL": "error",
                    "SEALPACT_SERVER": "https://127.0.0.1:%d" % busy_port,
                    "SOFTHSM2_CONF": "/nonexistent/softhsm2.conf"}
        tmp = tempfile.mkdtemp(prefix="sealpact-it.")
        self.addCleanup(shutil.rmtree, tmp, True)
        with mock.patch.dict(os.environ, polluted):
            db = Database()
            self.addCleanup(db.drop)
            db.migrate()
            server = Server(tmp, db.url)
            self.addCleanup(server.stop)
            server.start()
        for name in polluted:
            self.assertNotIn(name, server.env)
        self.assertNotEqual(server.port, busy_port)
        st, _, _, doc = server.request("GET", "/healthz")
        self.assertEqual(st, 200, doc)
        st, _, _, doc = server.request("GET", "/readyz")
        self.assertEqual(st, 200, doc)
        self.assertNotIn("bogus", server.log())


class Migrations(unittest.TestCase):

    def test_migrate_is_idempotent_and_refuses_changed_files(self):
        db = Database()
        self.addCleanup(db.drop)
        tmp = tempfile.mkdtemp(prefix="sealpact-it.")
        self.addCleanup(shutil.rmtree, tmp, True)
        mig = os.path.join(tmp, "migrations")
        shutil.copytree(os.path.join(harness.SOURCE_DIR, "migrations"), mig)
        env = harness.clean_env({"SEALPACT_DATABASE_URL": db.url, "SEALPACT_SERVER_TLS": "false",
                                 "SEALPACT_MIGRATIONS_DIR": mig})
        p = subprocess.run([harness.SEALPACTD, "migrate"], env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        n = int(db.query("SELECT count(*) FROM schema_migrations"))
        self.assertGreaterEqual(n, 1)
        p = subprocess.run([harness.SEALPACTD, "migrate"], env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(int(db.query("SELECT count(*) FROM schema_migrations")), n)
        first = sorted(f for f in os.listdir(mig) if f.endswith(".sql"))[0]
        with open(os.path.join(mig, first), "a") as f:
            f.write("\n-- edited after it was applied\n")
        p = subprocess.run([harness.SEALPACTD, "migrate"], env=env, capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(first, p.stdout + p.stderr)

    def test_bad_config_stops_startup_with_file_and_line(self):
        tmp = tempfile.mkdtemp(prefix="sealpact-it.")
        self.addCleanup(shutil.rmtree, tmp, True)
        cfg = os.path.join(tmp, "bad.yaml")
        with open(cfg, "w") as f:
            f.write("server:\n  tls: false\n  port: 99999\ndatabase:\n  url: postgresql:///x\n")
        p = subprocess.run([harness.SEALPACTD, "-c", cfg, "serve"], capture_output=True, text=True,
                           timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("bad.yaml:3", p.stderr + p.stdout)
        self.assertIn("port", p.stderr + p.stdout)


class BadTrustOrTSAStopsStartup(unittest.TestCase):
    """Trust and TSA files are loaded before the port is bound: files that do not load
    stop start-up at once with exit status 78 and a message naming the file, whether one
    process serves or a supervisor would fork several."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sealpact-it.")
        d = cls.dir

        def path(name):
            return os.path.join(d, name)

        for k in ("tsa.key", "other.key"):
            harness.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-out", path(k)])
        for crt, eku in (("tsa.crt", "critical,timeStamping"), ("noncritical.crt", "timeStamping")):
            harness.run(["openssl", "req", "-x509", "-new", "-key", path("tsa.key"), "-days", "2",
                         "-subj", "/CN=test TSA", "-addext", "extendedKeyUsage=" + eku,
                         "-addext", "keyUsage=critical,digitalSignature",
                         "-addext", "basicConstraints=critical,CA:FALSE", "-out", path(crt)])
        with open(path("roots.pem"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                    "-----END CERTIFICATE-----\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def start(self, extra, workers, node_id=0):
        """Run sealpactd on a port we keep listening on ourselves: had it bound the
        port before loading the files, it would fail with 71 (address in use). The
        port is the one the kernel gave our socket: nobody else can take it between."""
        holder = socket.socket()
        try:
            holder.bind(("127.0.0.1", 0))
            holder.listen(1)
            port = holder.getsockname()[1]
            cfg = os.path.join(self.dir, "sealpact-%d.yaml" % port)
            with open(cfg, "w") as f:
                f.write("server:\n  tls: false\n  host: 127.0.0.1\n  port: %d\n  workers: %d\n"
                        "  node_id: %d\ndatabase:\n  url: postgresql://127.0.0.1:1/none\n"
                        % (port, workers, node_id))
                f.write(extra)
            t0 = time.time()
            p = subprocess.run([harness.SEALPACTD, "-c", cfg, "serve"], capture_output=True,
                               text=True, timeout=30)
            elapsed = time.time() - t0
        finally:
            holder.close()
        out = p.stdout + p.stderr
        self.assertEqual(p.returncode, 78, out)
        self.assertLess(elapsed, 10, out)
        self.assertNotIn("listening", out)
        self.assertNotIn("supervising workers", out)
        self.assertNotIn("bind", out)
        return out

    def test_unreadable_and_broken_trust_roots(self):
        for workers in (1, 2):
            missing = os.path.join(self.dir, "no-such-roots.pem")
            out = self.start("trust:\n  roots:\n    - %s\n" % missing, workers)
            self.assertIn(missing, out)
            broken = os.path.join(self.dir, "roots.pem")
            out = self.start("trust:\n  roots:\n    - %s\n" % broken, workers)
            self.assertIn(broken, out)

    def test_tsa_key_that_does_not_match_or_cert_without_critical_eku(self):
        d = self.dir
        for workers in (1, 2):
            out = self.start("tsa:\n  cert: %s/tsa.crt\n  key: %s/other.key\n" % (d, d), workers)
            self.assertIn(os.path.join(d, "other.key"), out)
            self.assertIn("does not match", out)
            out = self.start("tsa:\n  cert: %s/noncritical.crt\n  key: %s/tsa.key\n" % (d, d),
                             workers)
            self.assertIn(os.path.join(d, "noncritical.crt"), out)
            self.assertIn("critical", out)

    def test_node_ids_beyond_1023(self):
        out = self.start("", 2, node_id=1023)
        self.assertIn("server.node_id 1023", out)


class GracefulShutdown(ServerTestCase):

    def test_sigterm_under_load_exits_zero_without_cutting_requests(self):
        if not shutil.which("wrk"):
            self.skipTest("wrk is not installed")
        wrk = subprocess.Popen(["wrk", "-t2", "-c200", "-d8s", "--timeout", "10s", self.server.url + "/healthz"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(3)
        self.server.signal(signal.SIGTERM)
        rc = self.server.wait(30)
        out, _ = wrk.communicate(timeout=60)
        self.assertEqual(rc, 0, self.server.log()[-2000:])
        # wrk may fail to connect once the listener is closed; it must never see
        # a response cut short or a request left without an answer.
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        if m:
            self.assertEqual(int(m.group(2)), 0, out)
            self.assertEqual(int(m.group(4)), 0, out)
        self.assertNotIn("Non-2xx", out)
        self.assertRegex(out, r"(\d+) requests in")

    def test_sigterm_with_nothing_open_exits_at_once(self):
        # no connection left to send another request: no quiet period to wait
        # (it was 300 ms after the last request, every stop of every test's server)
        st, _, _, _ = self.server.request("GET", "/healthz")
        self.assertEqual(st, 200)
        self.server.signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(30), 0, self.server.log()[-2000:])
        drained = [l for l in self.server.log_lines() if l.get("msg") == "drained"]
        self.assertEqual(len(drained), 1, self.server.log()[-2000:])
        self.assertLess(drained[0]["drain_ms"], 250, drained)

    def test_no_errors_under_load(self):
        if not shutil.which("wrk"):
            self.skipTest("wrk is not installed")
        # Long enough for every connection's TLS handshake and a few requests more
        # on a loaded machine: the sanitizer build served 476 in 5 s with the
        # whole suite and four other builds running.
        secs = 10 if harness.sanitized(self.server.proc.pid) else 5
        out = subprocess.run(["wrk", "-t2", "-c200", "-d%ds" % secs, "--timeout", "10s",
                              self.server.url + "/healthz"],
                             capture_output=True, text=True, timeout=60).stdout
        self.assertNotIn("Socket errors", out)
        self.assertNotIn("Non-2xx", out)
        # enough requests that all 200 connections were served and reused; how many a
        # second is bench/bench_http.sh's question (a busy CI machine managed 839)
        n = int(re.search(r"(\d+) requests in", out).group(1))
        print("\nwrk: %d requests in %d s over 200 connections" % (n, secs))
        self.assertGreater(n, 400, out)


class Workers(ServerTestCase):
    """server.workers: 2 forks two serving processes on one port (SO_REUSEPORT)."""

    server_extra = {"server": {"workers": 2, "node_id": 5}}

    def children(self):
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.server.proc.pid)],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def listening(self):
        """The workers' "listening" lines, once both have logged one (or after 30 s:
        a loaded machine starts them slowly, and a worker not yet listening gets
        no connection)."""
        deadline = time.time() + 30
        listening = []
        while time.time() < deadline:
            listening = [l for l in self.server.log_lines() if l.get("msg") == "listening"]
            if len(listening) == 2:
                break
            time.sleep(0.1)
        return listening

    def test_two_processes_serve_and_stop_cleanly(self):
        self.assertEqual(len(self.listening()), 2, self.server.log())
        kids = self.children()
        self.assertEqual(len(kids), 2, self.server.log())
        # Many fresh connections: the kernel spreads them over both processes,
        # and every one is answered.
        # (A logged route: health probes are not logged at info.)
        for _ in range(40):
            self.assertEqual(self.server.request("GET", "/api/v1/version")[0], 200)
        pids = set()
        for line in self.server.log_lines():
            if line.get("route") == "/api/v1/version" and "pid" in line:
                pids.add(line["pid"])
        self.assertEqual(pids, set(kids), "requests were not spread over both processes")
        # A crashed worker is replaced.
        os.kill(kids[0], signal.SIGKILL)
        deadline = time.time() + 30
        while time.time() < deadline:
            now = self.children()
            if len(now) == 2 and kids[0] not in now:
                break
            time.sleep(0.1)
        self.assertEqual(len(self.children()), 2, self.server.log()[-3000:])
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)
        self.server.signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(30), 0, self.server.log()[-3000:])
        for pid in self.children():
            self.fail("worker %d outlived the supervisor" % pid)

    def test_each_worker_numbers_contracts_on_its_own_node(self):
        """server.node_id 5 with two workers: nodes 5 and 6. Contracts created at the same
        time through both processes all get distinct numbers, and both nodes appear."""
        listening = self.listening()
        self.assertEqual(sorted(l["node"] for l in listening), [5, 6], self.server.log())
        org = Org(self, 1, "Numbers Co")
        with open(FIXTURE, "rb") as f:
            pdf = base64.b64encode(f.read()).decode()

        def create(i):
            return self.server.request("POST", "/api/v1/contracts",
                                       body={"name": "contract %d" % i, "pdf_base64": pdf},
                                       headers=org.auth())

        results = parallel(24, create)
        for st, _, _, doc in results:
            self.assertEqual(st, 201, doc)
        numbers = [int(doc["number"]) for _, _, _, doc in results]
        self.assertEqual(len(set(numbers)), len(numbers), numbers)
        nodes = {((n - 10 ** 18) >> 12) & 1023 for n in numbers}
        self.assertEqual(nodes, {5, 6}, "contracts were not created through both workers")


if __name__ == "__main__":
    unittest.main()
