"""bench_stack.py: what bench_sign.py, bench_evidence.py and bench_storage.py
set up the same way, each wrote it out: a throwaway PostgreSQL
(tests/support/pgtmp.sh) in a directory of the run's own, the development PKI
without tokens (tests/integration/harness.py), the demo seal picture, a
migrated database and sealpactd on the built-in TSA; and the percentile they
report. Python standard library only.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def pct(xs, p):
    """The p-th percentile of xs, nearest rank."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class Stack:
    """A run's directory (tmp) and PostgreSQL, started at once; the PKI, the
    database and the server as each benchmark asks; close() stops them all,
    whatever was started."""

    def __init__(self, name, build):
        self.tmp = tempfile.mkdtemp(prefix="sealpact-bench-%s." % name)
        os.environ["SEALPACT_SOURCE_DIR"] = ROOT
        os.environ["SEALPACT_BUILD_DIR"] = build
        os.environ["SEALPACT_TEST_PGDIR"] = os.path.join(self.tmp, "pg")
        sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
        import harness
        self.harness = harness
        self.pki = self.db = self.server = None
        subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), "start",
                        os.path.join(self.tmp, "pg")], check=True, capture_output=True)

    def identity(self):
        """The development PKI (no tokens) and the demo seal picture (120 pt)."""
        self.pki = self.harness.IdentityPKI(tokens=False)
        self.seal = os.path.join(self.tmp, "seal.png")
        self.harness.run(["python3", os.path.join(ROOT, "deploy", "seal.py"), self.seal, "120"])
        return self.pki

    def contract10(self):
        """The first 10 pages of tests/fixtures/contracts/contract30.pdf: its path."""
        pdf10 = os.path.join(self.tmp, "contract10.pdf")
        self.harness.run(["qpdf", os.path.join(ROOT, "tests", "fixtures", "contracts",
                                               "contract30.pdf"), "--pages", ".", "1-10", "--",
                          pdf10])
        return pdf10

    def database(self):
        self.db = self.harness.Database()
        self.db.migrate()
        return self.db

    def config(self, **sections):
        """The server's settings: the PKI's trust, the built-in TSA, the demo seal, and sections."""
        pki = self.pki
        extra = {"trust": pki.trust_config(),
                 "tsa": {"mode": "builtin", "cert": pki.path("tsa.crt"),
                         "key": pki.path("tsa.key"), "chain": pki.path("chain.pem"),
                         "trust": pki.path("root.pem")},
                 "signing": {"default_seal_image": self.seal}}
        extra.update(sections)
        return extra

    def start(self, extra):
        self.server = self.harness.Server(self.tmp, self.db.url, extra=extra).start()
        return self.server

    def close(self):
        if self.server is not None:
            self.server.stop()
        if self.db is not None:
            self.db.drop()
        if self.pki is not None:
            self.pki.close()
        subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), "stop",
                        os.path.join(self.tmp, "pg")], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
