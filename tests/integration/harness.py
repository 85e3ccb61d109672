"""Integration-test harness: a real sealpactd against a real PostgreSQL.

Every test gets its own database in the suite's throwaway cluster (the CTest
fixture `pg`, see tests/support/pgtmp.sh), its own temporary directory, its
own TLS certificate and a server on a free port; everything is removed when
the test ends. The standard library is used, and jsonschema for apicheck.py:
every exchange is checked against the OpenAPI description (openapi.yaml).
"""

import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

import apicheck

# Where the suite lives: set by CTest (tests/CMakeLists.txt), read once here.
SOURCE_DIR = os.environ.get("SEALPACT_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("SEALPACT_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
PGDIR = os.environ.get("SEALPACT_TEST_PGDIR", os.path.join(BUILD_DIR, "test-tmp", "pg"))
# the suite's development PKI (the CTest fixture `pki`: IdentityPKI)
SHARED_PKI = os.environ.get("SEALPACT_TEST_PKIDIR", os.path.join(os.path.dirname(PGDIR), "pki"))
SEALPACTD = os.path.join(BUILD_DIR, "server", "sealpactd")
SEALPACT = os.path.join(BUILD_DIR, "client", "sealpact")
PGCLUSTER = os.path.join(SOURCE_DIR, "deploy", "pgcluster.sh")


def scratch_dir():
    """Where the suite's PostgreSQL keeps its files: /dev/shm when that is a tmpfs
    with room (tests/support/scratch.sh and pgtmp.sh --memory say why), else
    /tmp. The other clusters the tests start (cluster.sh's, PrivateCluster) go
    there too, and, unless the caller set TMPDIR, every temporary directory of
    a test and of the programs it runs (run.sh's var/ among them)."""
    try:
        with open(os.path.join(PGDIR, "datadir")) as f:
            return os.path.dirname(os.path.dirname(f.read().strip())) or "/tmp"
    except OSError:
        return "/tmp"


if not os.environ.get("TMPDIR"):
    os.environ["TMPDIR"] = scratch_dir()
    tempfile.tempdir = None  # (read again from TMPDIR at its next use)


def inherited_setting(name):
    """True for a variable of the caller's shell that would configure the
    programs under test: every SEALPACT_* (sealpactd reads SEALPACT_<SECTION>_<KEY>,
    the client SEALPACT_SERVER, _TOKEN, _PIN...) and SOFTHSM2_CONF. A developer
    who exported SEALPACT_SERVER_PORT for a running server must not get test
    servers sharing its port (SO_REUSEPORT) nor a SEALPACT_DATABASE_URL
    pointing them at another database; tests set what they need themselves."""
    return name.startswith("SEALPACT_") or name == "SOFTHSM2_CONF"


def sanitized(pid):
    """True when process pid runs the AddressSanitizer build (deploy/test.sh's):
    its shadow memory and quarantine count in its RSS, and it runs its code
    several times slower."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def clean_env(extra=None):
    """The environment for a program under test: the current one without any
    inherited setting (see inherited_setting()), plus extra."""
    env = {k: v for k, v in os.environ.items() if not inherited_setting(k)}
    env.update(extra or {})
    return env


# Children started without an explicit env (the client, deploy scripts) inherit
# os.environ: clean it once for the whole test process, now that the suite's
# own locations have been read.
for _name in [n for n in os.environ if inherited_setting(n)]:
    del os.environ[_name]


def _ephemeral_low():
    """The first port of the kernel's ephemeral range (32768 by default)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_ports_given = set()


def free_port():
    """A port for a program that must be told its port before it binds (PostgreSQL,
    `openssl ocsp`, deploy/run.sh): one free now, drawn at random below the
    ephemeral range. A port that bind(0) handed out and that was closed again
    could be handed to another test's bind(0), or taken as the source port of
    any of the suite's outgoing connections, before the program bound it (ctest
    -j4 runs thousands); below that range neither happens, and two tests
    drawing the same of ~20,000 ports at once is what is left (the callers
    that can retry with another port do). A server that can bind port 0 and
    say which port it got (sealpactd: Server) needs none of this."""
    import random
    low = max(1024, _ephemeral_low() - 20000)
    for _ in range(200):
        port = random.randrange(low, _ephemeral_low())
        if port in _ports_given:  # two daemons of one test told the same port
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            _ports_given.add(port)
            return port
    raise RuntimeError("no free port below %d" % _ephemeral_low())


def refused_port(test):
    """A port where nothing answers and nothing will for the rest of test: a socket
    bound to it without listening (a connection is refused at once), held until
    test's cleanup, so no other test's server can come to answer there."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    test.addCleanup(s.close)
    return s.getsockname()[1]


def run(cmd, **kw):
    """Run a command, failing loudly with its output."""
    kw.setdefault("env", clean_env())
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    p = subprocess.run(cmd, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d\nstdout:\n%s\nstderr:\n%s"
                           % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def _psql_program():
    """psql itself, of the newest PostgreSQL installed (deploy/pgcluster.sh's choice
    of server): Debian's /usr/bin/psql is postgresql-common's Perl wrapper, which
    finds a version on every call, 48 ms of CPU against psql's own 7, and the
    tests call psql for every query they check."""
    import glob
    found = glob.glob("/usr/lib/postgresql/*/bin/psql")
    found.sort(key=lambda p: [int(x) for x in re.findall(r"\d+", p.split("/")[-3])])
    return found[-1] if found else "psql"


PSQL = _psql_program()


def psql(url, sql):
    return run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql]).stdout.strip()


def cluster_url():
    with open(os.path.join(PGDIR, "url")) as f:
        return f.read().strip()


def with_dbname(url, name):
    return re.sub(r"/[^/]*$", "/" + name, url)


class Database:
    """A fresh database in the suite's cluster (or in a given cluster URL)."""

    def __init__(self, base_url=None):
        self.base_url = base_url or cluster_url()
        self.name = "t_" + uuid.uuid4().hex[:12]
        psql(self.base_url, "CREATE DATABASE %s" % self.name)
        self.url = with_dbname(self.base_url, self.name)

    def migrate(self):
        return run([SEALPACTD, "migrate"], env=clean_env({
            "SEALPACT_DATABASE_URL": self.url, "SEALPACT_SERVER_TLS": "false",
            "SEALPACT_MIGRATIONS_DIR": os.path.join(SOURCE_DIR, "migrations")}))

    @classmethod
    def migrated(cls):
        """A fresh database in the suite's cluster with every migration applied: a
        copy of one migrated once per cluster (`sealpactd migrate` took a second of
        every test's set-up, the copy a third of one). The first caller makes it,
        the others wait for it (a lock file beside the cluster's url, naming the
        cluster once its copy is complete)."""
        import fcntl
        base = cluster_url()
        template = "t_migrated"
        with open(os.path.join(PGDIR, "migrated.lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            lock.seek(0)
            if lock.read().strip() != base:
                psql(base, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % template)
                psql(base, "CREATE DATABASE %s" % template)
                tmpl = cls.__new__(cls)
                tmpl.base_url, tmpl.name = base, template
                tmpl.url = with_dbname(base, template)
                tmpl.migrate()
                lock.seek(0)
                lock.truncate()
                lock.write(base)
                lock.flush()
        db = cls.__new__(cls)
        db.base_url, db.name = base, "t_" + uuid.uuid4().hex[:12]
        # (FILE_COPY: the files copied, not every page written through the WAL
        # as the default WAL_LOG does, 10 MB of WAL a test, kept in memory with
        # the cluster; on tmpfs 0.066 s against 0.109, mean of 5)
        psql(base, "CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY" % (db.name, template))
        db.url = with_dbname(base, db.name)
        return db

    def query(self, sql):
        return psql(self.url, sql)

    def drop(self):
        psql(self.base_url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)


class PrivateCluster:
    """A PostgreSQL cluster of the test's own, for tests that stop and start it."""

    def __init__(self, tmp):
        self.base = tempfile.mkdtemp(prefix="sealpact-pgown.", dir=scratch_dir())
        os.chmod(self.base, 0o755)
        self.data = os.path.join(self.base, "data")
        self.port = free_port()
        # another test may have drawn the same port first: another one, twice more
        for attempt in range(3):
            try:
                self.start()
                break
            except RuntimeError as e:
                if attempt == 2 or "already in use" not in str(e):
                    raise
                self.port = free_port()
        self.url = "postgresql://sealpact@127.0.0.1:%d/postgres" % self.port

    def start(self):
        run(["bash", PGCLUSTER, "start", self.data, str(self.port), "--fast"])

    def stop(self):
        run(["bash", PGCLUSTER, "stop", self.data])

    def destroy(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


_tls_made = {}


def make_tls_cert(directory):
    """A self-signed ECDSA certificate for 127.0.0.1/localhost, in directory. The
    same for every server of a test process (made once, then copied): an
    `openssl req` is some 50 ms of CPU, and most tests start a TLS server."""
    key = os.path.join(directory, "tls.key")
    crt = os.path.join(directory, "tls.crt")
    if not _tls_made:
        made = tempfile.mkdtemp(prefix="sealpact-tls.")
        import atexit
        atexit.register(shutil.rmtree, made, True)
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", os.path.join(made, "tls.key"), "-out",
             os.path.join(made, "tls.crt"), "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        _tls_made["dir"] = made
    shutil.copy(os.path.join(_tls_made["dir"], "tls.key"), key)
    shutil.copy(os.path.join(_tls_made["dir"], "tls.crt"), crt)
    return crt, key


# The bearer token /metrics asks of every test server (server.metrics_token_sha256
# holds its SHA-256): Server.metrics() sends it.
METRICS_TOKEN = "test-metrics-" + "0123456789abcdef" * 2
METRICS_AUTH = {"Authorization": "Bearer " + METRICS_TOKEN}


class Server:
    """sealpactd on a free port with a generated config; start() waits until it listens."""

    def __init__(self, tmp, db_url, tls=True, extra=None, env=None):
        self.tmp = tmp
        self.tls = tls
        self.cfg = os.path.join(tmp, "sealpact.yaml")
        self.log_path = os.path.join(tmp, "sealpactd.log")
        self.proc = None
        self.port = None
        sections = {
            "server": {"host": "127.0.0.1", "port": 0, "tls": "true" if tls else "false",
                       "threads": 2, "metrics_token_sha256":
                       hashlib.sha256(METRICS_TOKEN.encode()).hexdigest()},
            "database": {"url": db_url, "pool_size": 4, "query_timeout_ms": 3000,
                         "connect_timeout_ms": 1000},
            "log": {"level": "info"},
        }
        if tls:
            crt, key = make_tls_cert(tmp)
            self.cafile = crt
            sections["server"]["tls_cert"] = crt
            sections["server"]["tls_key"] = key
        for sec, kv in (extra or {}).items():
            sections.setdefault(sec, {}).update(kv)
            for k in [k for k, v in kv.items() if v is None]:  # None: the key left out
                del sections[sec][k]
        # the server's own deadline for a request (config/config.c's default unless set):
        # a client that waits for an answer waits at least this long
        self.deadline = int(sections["server"].get("request_timeout_ms", 30000)) / 1000
        with open(self.cfg, "w") as f:
            for sec, kv in sections.items():
                f.write("%s:\n" % sec)
                for k, v in kv.items():
                    if isinstance(v, list):
                        f.write("  %s:\n" % k)
                        for item in v:
                            f.write("    - %s\n" % json.dumps(item))
                    elif isinstance(v, str) and v not in ("true", "false"):
                        f.write("  %s: %s\n" % (k, json.dumps(v)))
                    else:
                        f.write("  %s: %s\n" % (k, v))
        self.env = clean_env(env)

    def start(self, timeout=60):
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([SEALPACTD, "-c", self.cfg, "serve"], stdout=self._log,
                                     stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sealpactd exited %d:\n%s" % (self.proc.returncode, self.log()))
            m = re.search(r'"listening".*?"port"\s*:\s*(\d+)|"port"\s*:\s*(\d+).*?"listening"', self.log())
            if m:
                self.port = int(m.group(1) or m.group(2))
                return self
            time.sleep(0.05)
        raise RuntimeError("sealpactd did not report listening:\n" + self.log())

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def log_lines(self):
        out = []
        for line in self.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    # (a request's time limit only ends a hang: the sanitizer build on a loaded
    # machine takes seconds over what takes milliseconds)
    def connection(self, timeout=30):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.cafile)
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One request on a fresh connection: (status, headers dict, body bytes, json or None).
        The exchange must fit the API description (apicheck.check_exchange()
        raises otherwise, failing the test)."""
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        c = self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()
        apicheck.check_exchange(method, path, h, body, r.status, hdrs, data)
        doc = None
        if hdrs.get("content-type", "").split(";")[0].strip() in ("application/json",
                                                                  "application/problem+json"):
            doc = json.loads(data)
        return r.status, hdrs, data, doc

    def metrics(self, timeout=30):
        """GET /metrics with the test servers' metrics token: request()'s tuple."""
        return self.request("GET", "/metrics", headers=METRICS_AUTH, timeout=timeout)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=30):
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self._log.close()
            bad = apicheck.check_log(self.log_lines())
            if bad:
                raise apicheck.ContractError("answers the API description does not allow:\n"
                                             + "\n".join(bad))


class Endpoint(Server):
    """A server this test did not start itself (a node of deploy/cluster.sh, or the
    balancer in front of them): request(), connection() and url as for a Server."""

    def __init__(self, port, cafile, tls=True):
        self.port, self.cafile, self.tls, self.proc = port, cafile, tls, None

    def start(self, timeout=20):
        raise RuntimeError("an Endpoint is started by someone else")


class ServerTestCase(unittest.TestCase):
    """A test case with a temporary directory, a migrated database and a started server."""

    tls = True
    server_extra = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sealpact-it.")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.db = Database.migrated()
        self.addCleanup(self.db.drop)
        self.server = Server(self.tmp, self.db.url, tls=self.tls, extra=self.server_extra)
        self.addCleanup(self.server.stop)
        self.server.start()

    def assertProblem(self, resp, status, code=None):
        st, hdrs, _, doc = resp
        self.assertEqual(st, status, doc)
        self.assertEqual(hdrs.get("content-type", "").split(";")[0], "application/problem+json")
        self.assertEqual(doc["status"], status)
        self.assertIn("title", doc)
        self.assertIn("request_id", doc)
        if code is not None:
            self.assertEqual(doc["code"], code, doc)
        return doc


def parallel(n, fn):
    """Run fn(i) in n threads; returns the results in order."""
    out = [None] * n
    errs = []

    def body(i):
        try:
            out[i] = fn(i)
        except Exception as e:  # reported below
            errs.append(e)

    ts = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise errs[0]
    return out


# ---- identity (issue 3): a development PKI, SoftHSM2 tokens, an OCSP responder ----

PKI_SH = os.path.join(SOURCE_DIR, "deploy", "pki.sh")
TOKENS_SH = os.path.join(SOURCE_DIR, "deploy", "tokens.sh")
OCSP_SH = os.path.join(SOURCE_DIR, "tests", "support", "ocsp_responder.sh")
TOKEN_PIN = "123456"


class IdentityPKI:
    """deploy/pki.sh + deploy/tokens.sh + a real `openssl ocsp` responder: the
    suite's (the CTest fixture `pki`, tests/support/pkitmp.sh) when there is
    one, read-only, with a copy of its tokens; else, or when private, made for
    this test module alone (it takes seconds): for a module that stops or
    replaces the responder, or reads its log. self.dir is the module's own
    directory either way. Call close() when done."""

    def __init__(self, tokens=True, private=False):
        self.dir = tempfile.mkdtemp(prefix="sealpact-pki.")
        self.pki = os.path.join(self.dir, "pki")
        self.tokdir = os.path.join(self.dir, "tokens")
        self.responder = False
        try:
            if not private and os.path.exists(os.path.join(SHARED_PKI, "ready")):
                self._shared(tokens)
            else:
                self._own(tokens)
        except Exception:
            self.close()
            raise
        self.orgs = []
        with open(os.path.join(self.pki, "orgs.tsv")) as f:
            for line in f:
                slug, name, code = line.rstrip("\n").split("\t")
                self.orgs.append({"slug": slug, "name": name, "credit_code": code})

    def _own(self, tokens):
        self.ocsp_port = free_port()
        run(["bash", PKI_SH, "--base-url", "http://127.0.0.1:%d" % self.ocsp_port, self.pki])
        if tokens:
            run(["bash", TOKENS_SH, self.pki, self.tokdir])
        run(["bash", OCSP_SH, "start", self.dir, self.pki, str(self.ocsp_port)])
        self.responder = True

    def _shared(self, tokens):
        self.pki = os.path.join(SHARED_PKI, "pki")
        with open(os.path.join(SHARED_PKI, "port")) as f:
            self.ocsp_port = int(f.read())
        if tokens:
            # (SoftHSM2 writes a token's files when it is used: each module its own)
            shutil.copytree(os.path.join(SHARED_PKI, "tokens"), self.tokdir, symlinks=True)
            conf = os.path.join(self.tokdir, "softhsm2.conf")
            with open(conf) as f:
                text = f.read()
            with open(conf, "w") as f:
                f.write(re.sub(r"(?m)^directories\.tokendir = .*$",
                               lambda m: "directories.tokendir = " +
                               os.path.join(self.tokdir, "store"), text))

    def path(self, *parts):
        return os.path.join(self.pki, *parts)

    def org_cert(self, slug, alg):
        return self.path("orgs", slug, alg + ".crt"), self.path("orgs", slug, alg + ".key")

    def trust_config(self, **overrides):
        """The server's `trust` section for this PKI."""
        t = {"roots": [self.path("root.pem")], "intermediates": [self.path("ca.pem")],
             "crls": [self.path("crl.pem"), self.path("root-crl.pem")], "ocsp": "true",
             "ocsp_timeout_ms": 3000, "require_revocation": "true",
             # the responder pkitmp.sh runs (a certificate's URL is held to public
             # addresses but these, test_attacks_ssrf)
             "allow_hosts": "127.0.0.1"}
        t.update(overrides)
        return t

    def seal(self):
        """A seal picture (deploy/seal.py, 120 pixels) for the tests to sign with:
        the shared PKI's (pkitmp.sh makes it once; read-only), else one made in
        self.dir. Its path."""
        shared = os.path.join(SHARED_PKI, "seal.png")
        if self.pki == os.path.join(SHARED_PKI, "pki") and os.path.exists(shared):
            return shared
        path = os.path.join(self.dir, "seal.png")
        run(["python3", os.path.join(SOURCE_DIR, "deploy", "seal.py"), path, "120"])
        return path

    def nss_db(self):
        """An NSS database trusting this PKI's root, for pdfsig -nssdir; its path."""
        d = os.path.join(self.dir, "nss")
        os.makedirs(d)
        run(["certutil", "-N", "-d", "sql:" + d, "--empty-password"])
        run(["certutil", "-A", "-d", "sql:" + d, "-n", "root", "-t", "CT,C,C", "-i",
             self.path("root.pem")])
        return d

    def token_env(self):
        return {"SOFTHSM2_CONF": os.path.join(self.tokdir, "softhsm2.conf")}

    def issue(self, name, subject, key_usage="critical,digitalSignature,nonRepudiation", days=30):
        """A leaf signed by the issuing CA with a given subject (e.g. a bad credit
        code); returns (cert, key)."""
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        crt = os.path.join(self.dir, name + ".crt")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("keyUsage=%s\nbasicConstraints=critical,CA:FALSE\n" % key_usage)
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", key])
        run(["openssl", "req", "-new", "-key", key, "-subj", subject, "-out", csr, "-utf8"])
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.path("ca.pem"), "-CAkey",
             self.path("ca.key"), "-CAcreateserial", "-CAserial",
             os.path.join(self.dir, "ca.srl"), "-days", str(days), "-sha256",
             "-extfile", ext, "-out", crt])
        return crt, key

    def close(self):
        if self.responder:
            subprocess.run(["bash", OCSP_SH, "stop", self.dir], capture_output=True)
            self.responder = False
        shutil.rmtree(self.dir, ignore_errors=True)


def module_pki(name, tokens=True, private=False, seal=False, nss=False):
    """setUpModule and tearDownModule of a test module that works with one
    IdentityPKI (tokens and private are its arguments):

        setUpModule, tearDownModule = harness.module_pki(__name__, tokens=False)

    The set-up sets the module's PKI and, with seal, its SEAL (IdentityPKI.seal);
    with nss, its NSSDIR (IdentityPKI.nss_db). It takes private= and tokens= to
    decide once otherwise (test_ltv sets up test_signing with a PKI of its own,
    without tokens). The tear-down closes the PKI."""
    import sys
    module = sys.modules[name]

    def set_up(private=private, tokens=tokens):
        module.PKI = IdentityPKI(tokens=tokens, private=private)
        try:
            if seal:
                module.SEAL = module.PKI.seal()
            if nss:
                module.NSSDIR = module.PKI.nss_db()
        except Exception:
            module.PKI.close()
            raise

    def tear_down():
        if module.PKI is not None:
            module.PKI.close()

    return set_up, tear_down


# ---- the Java judges: iText 5, PDFBox 2 and BouncyCastle (tests/support/*.java) ----

JAVA_CP = ":".join("/usr/share/java/%s.jar" % j for j in (
    "itext5", "pdfbox2", "fontbox2", "commons-logging", "bcprov", "bcpkix", "bcutil"))

# The JVMs of the tests compile with C1 alone: C2's optimizing compiles do not pay
# back in runs this short. javac of the two sources 4.4 -> 2.5 CPU s; a JavaJudge
# of 24 checks (check-pdfbox, -itext, -lta, 8 times) 4.5 -> 2.5 CPU s, 10 -> 4 s of
# a loaded machine's clock (`/usr/bin/time javac ...`, and os.times() around it).
JVM_C1 = "-XX:TieredStopAtLevel=1"


def java_classes():
    """tests/support/WorldSigner.java and LtaCheck.java compiled, once per build
    directory and version of the sources (javac was four CPU seconds of each test
    module that compiled them): the directory that holds the classes. The first
    caller compiles, the others wait for it (a lock file beside the directories)."""
    import fcntl
    import hashlib
    srcs = [os.path.join(SOURCE_DIR, "tests", "support", n)
            for n in ("WorldSigner.java", "LtaCheck.java")]
    h = hashlib.sha256()
    for src in srcs:
        with open(src, "rb") as f:
            h.update(f.read())
    base = os.path.join(os.path.dirname(PGDIR), "java")
    os.makedirs(base, exist_ok=True)
    classes = os.path.join(base, h.hexdigest()[:16])
    with open(os.path.join(base, "lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(classes):
            tmp = tempfile.mkdtemp(dir=base)
            try:
                run(["javac", "-J" + JVM_C1, "-nowarn", "-cp", JAVA_CP, "-d", tmp] + srcs)
            except Exception:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            os.rename(tmp, classes)  # complete, or not there
    return classes


class JavaJudge:
    """One JVM for a test module's Java checks: WorldSigner's serve, which runs each
    command it is sent (check-itext, check-pdfbox, check-lta FILE). A JVM's start,
    loading iText, PDFBox and BouncyCastle, is a CPU second or more, and test_ltv
    started three for every file it checked. Call close() when done."""

    def __init__(self, directory):
        self.dir = tempfile.mkdtemp(prefix="java.", dir=directory)
        self.cmd = os.path.join(self.dir, "cmd")
        self.rc = os.path.join(self.dir, "rc")
        os.mkfifo(self.cmd)
        os.mkfifo(self.rc)
        self.log = open(os.path.join(self.dir, "jvm.log"), "w")
        # (it also ends by itself within a second of this process's end)
        self.proc = subprocess.Popen(
            ["java", JVM_C1, "-cp", java_classes() + ":" + JAVA_CP, "WorldSigner", "serve",
             self.cmd, self.rc, str(os.getpid())], stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        self.lock = threading.Lock()
        self.calls = 0

    def run(self, *args, timeout=120):
        """WorldSigner ARGS in the JVM: (exit status, its output and errors)."""
        with self.lock:
            self.calls += 1
            out = os.path.join(self.dir, "out.%d" % self.calls)
            got = {}

            def exchange():
                with open(self.cmd, "w") as f:
                    f.write(" ".join((out,) + args) + "\n")
                with open(self.rc) as f:
                    got["rc"] = int(f.read().strip())

            # (opening a FIFO whose JVM died waits forever: give up with the JVM)
            t = threading.Thread(target=exchange, daemon=True)
            t.start()
            deadline = time.time() + timeout
            while t.is_alive() and time.time() < deadline and self.proc.poll() is None:
                t.join(0.2)
            t.join(0.2)
            if "rc" not in got:
                self.close()
                with open(os.path.join(self.dir, "jvm.log")) as f:
                    raise RuntimeError("java WorldSigner %s: no answer\n%s"
                                       % (" ".join(args), f.read()))
            with open(out) as f:
                text = f.read()
            os.unlink(out)
            return got["rc"], text

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


_der_seen = {}


def der_of(cert_path):
    """The certificate in cert_path as DER (`openssl x509 -outform DER`). For a file
    of the same bytes as one converted before, that conversion's answer: an openssl
    process is some 65 ms of CPU, and the tests asked for the same few certificates
    at every login and every prepare."""
    with open(cert_path, "rb") as f:
        pem = f.read()
    if pem not in _der_seen:
        _der_seen[pem] = run(["openssl", "x509", "-in", cert_path, "-outform", "DER"],
                             text=False).stdout
    return _der_seen[pem]


def openssl_sign(key_path, data, sm2=False):
    """Sign data the way a token does: RSA PKCS#1 v1.5 / ECDSA (DER) over SHA-256,
    or SM2 with SM3 and the default distinguishing ID."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        if sm2:
            cmd = ["openssl", "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", key_path,
                   "-pkeyopt", "distid:1234567812345678", "-in", f.name]
        else:
            cmd = ["openssl", "dgst", "-sha256", "-sign", key_path, f.name]
        return run(cmd, text=False).stdout


def api_challenge(server):
    st, _, _, doc = server.request("POST", "/api/v1/auth/challenge", body={})
    if st != 200:
        raise RuntimeError("challenge: %d %s" % (st, doc))
    return doc["challenge"]


def api_login(server, cert_path, key_path, challenge=None, sign_key=None, extra=None):
    """POST /api/v1/auth/login with a certificate file and a key that signs the
    challenge (sign_key overrides the signer). Returns the response tuple."""
    import base64
    if challenge is None:
        challenge = api_challenge(server)
    sig = openssl_sign(sign_key or key_path, base64.b64decode(challenge))
    body = {"certificate": base64.b64encode(der_of(cert_path)).decode(),
            "challenge": challenge, "signature": base64.b64encode(sig).decode()}
    body.update(extra or {})
    return server.request("POST", "/api/v1/auth/login", body=body)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def audit_trail(test, get, number, limit=100):
    """A contract's audit trail as a client reads it: GET .../audit, `limit`
    events a page, each next page from the answer's next_cursor. get(path)
    answers what Server.request does. Every page is asserted whole (200;
    has_more exactly when a next_cursor is given; a full page when more
    follow) and the pages together hold every event exactly once, oldest
    first: seq 1, 2, 3... without a gap or a repeat."""
    events, cursor = [], None
    while True:
        path = "/api/v1/contracts/%s/audit?limit=%d" % (number, limit)
        if cursor is not None:
            path += "&cursor=" + cursor
        st, _, _, page = get(path)
        test.assertEqual(st, 200, page)
        test.assertEqual(page["has_more"], page["next_cursor"] is not None, page)
        events += page["items"]
        if page["next_cursor"] is None:
            break
        test.assertEqual(len(page["items"]), limit, page)
        cursor = page["next_cursor"]
    test.assertEqual([e["seq"] for e in events], list(range(1, len(events) + 1)), events)
    return events


def identity_counts(db):
    """Rows a login creates: organizations, users, certificates, sessions."""
    return db.query("SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM users),"
                    " (SELECT count(*) FROM certificates), (SELECT count(*) FROM sessions)")


def create_reviewer(server, username, password, name=None):
    cmd = [SEALPACTD, "-c", server.cfg, "admin", "create-reviewer", "--username", username]
    if name:
        cmd += ["--name", name]
    return subprocess.run(cmd, input=password + "\n", capture_output=True, text=True,
                          env=server.env)


def concurrent_behind_lock(db, classid, org, calls, timeout=20):
    """Run calls (functions of no argument) at once while a psql session holds
    the advisory lock (classid, org): each reaches the database and waits for
    the lock there, and only once all of them wait is the lock let go. Makes
    the interleaving of a retry with its first attempt certain (an idempotent
    replay checked before the lock, 057 and 061). Returns the calls' results."""
    key2 = org % 2147483647

    def held(granted):
        return int(db.query(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %d "
            "AND objid = %d AND objsubid = 2 AND %sgranted"
            % (classid, key2, "" if granted else "NOT ")))

    def wait_for(what, cond):
        deadline = time.time() + timeout
        while not cond():
            if time.time() > deadline:
                raise AssertionError(what)
            time.sleep(0.05)

    holder = subprocess.Popen([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", db.url],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    results = [None] * len(calls)
    try:
        holder.stdin.write("SELECT pg_advisory_lock(%d, %d);\n" % (classid, key2))
        holder.stdin.flush()
        wait_for("the lock was never taken", lambda: held(True) > 0)

        def run_one(i):
            results[i] = calls[i]()

        ts = [threading.Thread(target=run_one, args=(i,)) for i in range(len(calls))]
        for t in ts:
            t.start()
        wait_for("the calls never waited for the lock", lambda: held(False) >= len(calls))
        holder.stdin.write("SELECT pg_advisory_unlock_all();\n\\q\n")
        holder.stdin.flush()
        for t in ts:
            t.join(60)
    finally:
        holder.stdin.close()
        holder.wait(10)
    return results
