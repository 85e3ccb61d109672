"""The README's first command: deploy/run.sh --background brings up the
embedded default (private PostgreSQL, development PKI, tokens) and answers
over HTTPS with a certificate that chains to the development root;
deploy/run.sh --stop stops everything it started. Run in a temporary var/
with free ports, reusing the suite's build."""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

import apicheck
import harness


def run_on_pty(cmd, env, answers, timeout=120, cwd=None):
    """Run cmd with a pseudo-terminal as its controlling terminal and stdio,
    typing each answer once its prompt shows. Returns (exit status, output)."""
    import fcntl
    import pty
    import select
    import termios
    master, slave = pty.openpty()

    def controlling_tty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                         preexec_fn=controlling_tty)
    os.close(slave)
    out, pending = b"", list(answers)
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if pending and out.count(pending[0][0]) >= 1:
            prompt, answer = pending.pop(0)
            out = out.replace(prompt, b"<" + prompt.strip() + b">", 1)
            os.write(master, (answer + "\n").encode())
        if p.poll() is not None and not r:
            break
    os.close(master)
    try:
        return p.wait(10), out.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait(), out.decode("utf-8", "replace")


def guide_commands(guide):
    """The commands the guide tells a user to paste (steps 2-4), continuation lines joined."""
    cmds, cur, in_steps = [], "", False
    for line in guide.splitlines():
        if line.startswith("2. "):
            in_steps = True
        if not in_steps or not line.startswith("     "):
            continue
        text = line.strip()
        if cur:
            text = cur + " " + text
            cur = ""
        if text.endswith("\\"):
            cur = text[:-1].rstrip()
            continue
        cmds.append(text)
    return cmds


class RunScript(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sealpact-deploy.")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.var = os.path.join(self.tmp, "var")
        self.port = harness.free_port()
        self.env = dict(os.environ, SEALPACT_VAR_DIR=self.var, SEALPACT_BUILD_DIR=harness.BUILD_DIR,
                        SEALPACT_PG_PORT=str(harness.free_port()), SEALPACT_SERVER_PORT=str(self.port),
                        # health checks are logged at debug: keep them, so the access log
                        # shows (and apicheck holds) every request this test makes
                        SEALPACT_LOG_LEVEL="debug")
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

    def test_foreground_prints_the_guide_and_stops_on_ctrl_c(self):
        p = subprocess.Popen(["bash", self.script], env=self.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                             start_new_session=True)
        err = ""
        deadline = time.time() + 600
        while time.time() < deadline and "More: sealpact --help" not in err:
            line = p.stderr.readline()
            if not line:
                break
            err += line
        self.assertIn("== sealpact development server: https://127.0.0.1:%d" % self.port, err)
        self.assertIn("export SEALPACT_SERVER=https://127.0.0.1:%d" % self.port, err)
        self.assertEqual(self.get("https://127.0.0.1:%d/readyz" % self.port,
                                  os.path.join(self.var, "pki", "root.pem")), 200)
        os.killpg(p.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        self.assertEqual(p.wait(60), 0)
        p.stdout.close()
        p.stderr.close()
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
        self.assertFalse(os.path.exists(os.path.join(self.var, "sealpactd.pid")))

    def test_guide_walks_a_new_user_to_a_signed_verified_contract(self):
        """What run.sh prints is enough: paste it and three organizations sign and verify."""
        p = subprocess.run(["bash", self.script, "--background"], env=self.env, capture_output=True,
                           text=True, timeout=600, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        url = "https://127.0.0.1:%d" % self.port
        guide = p.stderr[p.stderr.index("== sealpact development server"):]
        with open(os.path.join(self.var, "guide.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read().strip(), guide.strip())
        # Real values, no placeholders.
        self.assertNotIn(" URL", guide)
        self.assertNotIn(" CA ", guide)
        env_sh = os.path.join(self.var, "env.sh")
        self.assertIn(". " + env_sh, guide)
        self.assertIn("export SEALPACT_SERVER=" + url, guide)
        self.assertIn("export SEALPACT_CACERT=" + os.path.join(self.var, "pki", "root.pem"), guide)
        self.assertIn("export SOFTHSM2_CONF=" + os.path.join(self.var, "tokens", "softhsm2.conf"),
                      guide)
        self.assertIn("export SEALPACT_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so", guide)
        self.assertIn('export PATH="%s:$PATH"' % os.path.join(harness.BUILD_DIR, "client"), guide)
        with open(os.path.join(self.var, "pki", "orgs.tsv"), encoding="utf-8") as f:
            orgs = [l.split("\t") for l in f.read().splitlines()]
        self.assertEqual(len(orgs), 3)
        for slug, name, code in orgs:
            self.assertRegex(guide, r"\n  %s +%s  %s\n" % (slug, code, name))
            self.assertIn("sealpact --profile %s login --token %s-rsa" % (slug, slug), guide)
        # Paste it: a fresh shell, a fresh home, the PIN typed at each prompt.
        home = os.path.join(self.tmp, "home")
        os.mkdir(home)
        script = os.path.join(self.tmp, "steps.sh")
        cmds = guide_commands(guide)
        with open(script, "w", encoding="utf-8") as f:
            f.write("set -e\n. %s\n" % env_sh)
            for c in cmds:
                f.write('echo "+ %s"\n%s\n' % (c.replace('"', "'").replace("$", "\\$"), c))
        e = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"}
        rc, out = run_on_pty(["bash", script], e, [(b"Token PIN: ", "123456")] * 5, timeout=300,
                             cwd=home)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("123456", out.replace("<Token PIN:>", ""))
        self.assertEqual(out.count("logged in as"), 3, out)
        self.assertIn("3 profiles logged in", out)
        for _, name, code in orgs:
            self.assertIn("%s (%s)" % (name, code), out)  # whoami --all, one profile each
        self.assertIn("business type: 采购 (purchase)", out)
        self.assertIn("Date seal and signing time in Asia/Shanghai", out)
        self.assertIn("completed", out)
        self.assertIn("Verdict: VALID", out)
        self.assertTrue(os.path.isfile(os.path.join(home, "signed.pdf")))
        # The credit codes again on the next run, not only on the first.
        subprocess.run(["bash", self.script, "--stop"], env=self.env, capture_output=True,
                       timeout=120)
        p = subprocess.run(["bash", self.script, "--background"], env=self.env, capture_output=True,
                           text=True, timeout=600, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        for slug, name, code in orgs:
            self.assertIn(code, p.stderr)


class DepsScript(unittest.TestCase):
    """deploy/deps.sh, which both README commands run first, on a machine that
    has never seen some package: dpkg-query knows nothing of it and exits 1.
    Stand-ins for dpkg-query, apt-get, id and sudo on PATH record what the
    script asks of apt, so no package is installed."""

    def test_installs_what_dpkg_has_never_heard_of(self):
        tmp = tempfile.mkdtemp(prefix="sealpact-deps.")
        self.addCleanup(shutil.rmtree, tmp, True)
        calls = os.path.join(tmp, "apt-calls")
        shims = {
            # this machine knows cmake and nothing else of the list
            "dpkg-query": "echo 'cmake:install ok installed'\n"
                          "echo 'dpkg-query: no packages found matching libqpdf-dev' >&2\nexit 1",
            "apt-get": 'echo "$*" >>"%s"' % calls,
            "id": "echo 0",
            "sudo": 'exec "$@"',
        }
        for name, body in shims.items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\n" + body + "\n")
            os.chmod(path, 0o755)
        env = dict(os.environ, PATH=tmp + os.pathsep + os.environ["PATH"])
        p = subprocess.run(["bash", os.path.join(harness.SOURCE_DIR, "deploy", "deps.sh"), "run"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(calls) as f:
            lines = f.read().splitlines()
        installs = [line.split() for line in lines if " install " in " " + line + " "]
        self.assertEqual(len(installs), 1, lines)
        self.assertIn("libqpdf-dev", installs[0])
        self.assertIn("libevent-dev", installs[0])
        self.assertNotIn("cmake", installs[0])
        # it waits for another apt's lock rather than failing on it
        self.assertIn("DPkg::Lock::Timeout=900", installs[0])


if __name__ == "__main__":
    unittest.main()
