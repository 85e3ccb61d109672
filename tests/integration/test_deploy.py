"""The README's first command: deploy/run.sh --background brings up the
embedded default (private PostgreSQL, development PKI, tokens) and answers
over HTTPS with a certificate that chains to the development root;
deploy/run.sh --stop stops everything it started. Run in a temporary var/
with free ports, reusing the suite's build."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

import apicheck
import harness


class RunScript(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sealpact-deploy.")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.var = os.path.join(self.tmp, "var")
        self.port = harness.free_port()
        self.env = dict(os.environ, SEALPACT_VAR_DIR=self.var, SEALPACT_BUILD_DIR=harness.BUILD_DIR,
                        SEALPACT_PG_PORT=str(harness.free_port()), SEALPACT_SERVER_PORT=str(self.port))
        self.script = os.path.join(harness.SOURCE_DIR, "deploy", "run.sh")
        self.addCleanup(subprocess.run, ["bash", self.script, "--stop"], env=self.env,
                        capture_output=True)

    def get(self, url, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            return r.status

    def log_lines(self):
        out = []
        with open(os.path.join(self.var, "sealpactd.log")) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def test_background_then_stop(self):
        p = subprocess.run(["bash", self.script, "--background"], env=self.env, capture_output=True,
                           text=True, timeout=600, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        url = p.stdout.strip().splitlines()[-1]
        self.assertEqual(url, "https://127.0.0.1:%d" % self.port)
        root = os.path.join(self.var, "pki", "root.pem")
        self.assertEqual(self.get(url + "/healthz", root), 200)
        self.assertEqual(self.get(url + "/readyz", root), 200)
        # The client verifies the server against the same root.
        c = subprocess.run([harness.SEALPACT, "--server", url, "--cacert", root, "health"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(c.returncode, 0, c.stdout + c.stderr)
        # Every answer of this server (to urllib and to the client) is one the
        # API description allows (apicheck.py, as for the harness's servers).
        self.assertEqual(apicheck.check_log(self.log_lines()), [])
        # A second --background refuses to start a second server.
        again = subprocess.run(["bash", self.script, "--background"], env=self.env,
                               capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("already running", again.stderr)
        s = subprocess.run(["bash", self.script, "--stop"], env=self.env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(s.returncode, 0, s.stderr)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
        self.assertFalse(os.path.exists(os.path.join(self.var, "sealpactd.pid")))


if __name__ == "__main__":
    unittest.main()
