#!/usr/bin/env python3
"""What one hostile PDF (tests/integration/hostile_pdfs.py) costs the running
server (sec31): for each file and endpoint, a fresh sealpactd (harness, random
port, plain HTTP) gets the one request while a second client polls /healthz
(event-loop stalls) and verifies a small PDF every 2.5 s (worker starvation).
Printed per row: the answer, wall time, the server's CPU time for it
(/proc/PID/stat), its peak RSS (VmHWM, reset before the request through
/proc/PID/clear_refs), the worst /healthz and small-verify latency meanwhile;
and `sealpact verify FILE` under /usr/bin/time.

  SEALPACT_BUILD_DIR=build SEALPACT_TEST_PGDIR=build/test-tmp/pg \\
    python3 bench/hostile_pdfs.py [--endpoints verify,upload,keyword,cli] [NAME...]

Needs a test cluster (tests/support/pgtmp.sh start DIR)."""

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import harness  # noqa: E402
import hostile_pdfs  # noqa: E402

TIMEOUT = 180
CACHE = os.environ.get("HOSTILE_CACHE", "/tmp/sealpact-hostile")


def pdf_of(name):
    os.makedirs(CACHE, exist_ok=True)
    p = os.path.join(CACHE, name + ".pdf")
    if not os.path.exists(p):
        with open(p + ".tmp", "wb") as f:
            f.write(hostile_pdfs.build(name))
        os.rename(p + ".tmp", p)
    return p



def reset_hwm(pid):
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("5")


def raw(port, method, path, body=None, headers=None, timeout=TIMEOUT):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, data
    finally:
        c.close()


class Watch(threading.Thread):
    """/healthz every 50 ms and a small verify every 2.5 s: worst latencies."""

    def __init__(self, port, small):
        super().__init__(daemon=True)
        self.port, self.small = port, small
        self.stop = threading.Event()
        self.health = 0.0
        self.verify = 0.0
        self.verify_fail = 0

    def run(self):
        last = 0
        while not self.stop.is_set():
            t = time.time()
            try:
                raw(self.port, "GET", "/healthz", timeout=60)
            except Exception:
                pass
            self.health = max(self.health, time.time() - t)
            if time.time() - last > 2.5:
                last = time.time()
                threading.Thread(target=self.one_verify, daemon=True).start()
            self.stop.wait(0.05)

    def one_verify(self):
        t = time.time()
        try:
            st, _ = raw(self.port, "POST", "/api/v1/verify", self.small,
                        {"Content-Type": "application/pdf"}, timeout=TIMEOUT)
            if st != 200:
                self.verify_fail += 1
        except Exception:
            self.verify_fail += 1
        self.verify = max(self.verify, time.time() - t)


class Bench:
    def __init__(self, pki):
        self.pki = pki
        self.db = harness.Database()
        self.db.migrate()
        self.tmp = tempfile.mkdtemp(prefix="sealpact-hostile.")
        self.seal = os.path.join(self.tmp, "seal.png")
        harness.run(["python3", os.path.join(harness.SOURCE_DIR, "deploy", "seal.py"), self.seal,
                     "120"])
        self.small = open(pdf_of("plain"), "rb").read()

    def server(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        s = harness.Server(d, self.db.url, tls=False, extra={
            "trust": self.pki.trust_config(),
            "signing": {"default_seal_image": self.seal, "session_ttl_s": 600}})
        s.start()
        return s

    def login(self, s, slug):
        crt, key = self.pki.org_cert(slug, "ec")
        st, _, _, doc = harness.api_login(s, crt, key)
        assert st == 200, doc
        return doc["token"]

    def measure(self, s, fn):
        pid = s.proc.pid
        reset_hwm(pid)
        base_hwm = hostile_pdfs.hwm_mb(pid)
        w = Watch(s.port, self.small)
        c0 = hostile_pdfs.cpu_s(pid)
        t0 = time.time()
        w.start()
        try:
            st, data = fn()
        except Exception as e:  # a timeout
            st, data = "timeout", str(e).encode()
        wall = time.time() - t0
        cpu = hostile_pdfs.cpu_s(pid) - c0
        w.stop.set()
        w.join()
        code = ""
        try:
            code = json.loads(data).get("code") or json.loads(data).get("verdict") or ""
        except Exception:
            pass
        return {"status": st, "code": code, "wall": wall, "cpu": cpu,
                "hwm": hostile_pdfs.hwm_mb(pid),
                "hwm0": base_hwm, "health": w.health, "small": w.verify,
                "small_fail": w.verify_fail, "alive": s.proc.poll() is None}

    def verify(self, name):
        s = self.server()
        try:
            body = open(pdf_of(name), "rb").read()
            return self.measure(s, lambda: raw(s.port, "POST", "/api/v1/verify", body,
                                               {"Content-Type": "application/pdf"}))
        finally:
            self.stop(s)

    def upload(self, name):
        s = self.server()
        try:
            tok = self.login(s, "buyer")
            body = json.dumps({"name": "Hostile", "pdf_base64": base64.b64encode(
                open(pdf_of(name), "rb").read()).decode()}).encode()
            return self.measure(s, lambda: raw(s.port, "POST", "/api/v1/contracts", body, {
                "Authorization": "Bearer " + tok, "Content-Type": "application/json"}))
        finally:
            self.stop(s)

    def keyword(self, name, keyword="a"):
        s = self.server()
        try:
            buyer = self.login(s, "buyer")
            supplier = self.login(s, "supplier")
            sup = [o for o in self.pki.orgs if o["slug"] == "supplier"][0]
            body = json.dumps({"name": "Hostile", "pdf_base64": base64.b64encode(
                open(pdf_of(name), "rb").read()).decode(), "parties": [
                    {"credit_code": sup["credit_code"], "role": "signer"}]}).encode()
            st, data = raw(s.port, "POST", "/api/v1/contracts", body, {
                "Authorization": "Bearer " + buyer, "Content-Type": "application/json"})
            if st != 201:
                return {"status": "upload %s" % st, "code": data[:80].decode("latin-1"),
                        "wall": 0, "cpu": 0, "hwm": 0, "hwm0": 0, "health": 0, "small": 0,
                        "small_fail": 0, "alive": True}
            n = json.loads(data)["number"]
            for tok, act in ((buyer, "send"), (supplier, "receive")):
                st, data = raw(s.port, "POST", "/api/v1/contracts/%s/%s" % (n, act), b"",
                               {"Authorization": "Bearer " + tok,
                                "Content-Type": "application/json"})
                assert st == 200, data
            crt, _ = self.pki.org_cert("supplier", "ec")
            prep = json.dumps({
                "certificate": base64.b64encode(harness.der_of(crt)).decode(),
                "chain": [base64.b64encode(harness.der_of(self.pki.path("ca.pem"))).decode()],
                "placements": [{"mode": "keyword", "seal": "default", "keyword": keyword,
                                "occurrence": 1}]}).encode()
            return self.measure(s, lambda: raw(
                s.port, "POST", "/api/v1/contracts/%s/signing-sessions" % n, prep,
                {"Authorization": "Bearer " + supplier, "Content-Type": "application/json"}))
        finally:
            self.stop(s)

    def cli(self, name):
        t = time.time()
        try:
            p = subprocess.run(["/usr/bin/time", "-f", "TIME %U %S %M", harness.SEALPACT,
                                "verify", pdf_of(name)], capture_output=True, text=True,
                               timeout=TIMEOUT, env=harness.clean_env())
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "code": "", "wall": time.time() - t, "cpu": TIMEOUT,
                    "hwm": -1, "hwm0": 0, "health": 0, "small": 0, "small_fail": 0,
                    "alive": True}
        line = [x for x in p.stderr.splitlines() if x.startswith("TIME ")]
        u, sy, m = line[-1].split()[1:] if line else ("0", "0", "0")
        return {"status": "exit %d" % p.returncode, "code": "", "wall": time.time() - t,
                "cpu": float(u) + float(sy), "hwm": int(m) / 1024, "hwm0": 0, "health": 0,
                "small": 0, "small_fail": 0, "alive": True}

    def stop(self, s):
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", default="verify,upload,cli")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    names = a.names or list(hostile_pdfs.BUILDERS)
    pki = harness.IdentityPKI(tokens=False)
    try:
        b = Bench(pki)
        print("%-20s %-8s %9s %-22s %7s %7s %8s %7s %7s" % (
            "file", "endpoint", "bytes", "answer", "wall_s", "cpu_s", "hwm_MB", "hz_s",
            "small_s"), flush=True)
        for name in names:
            size = os.path.getsize(pdf_of(name))
            for ep in a.endpoints.split(","):
                m = getattr(b, ep)(name)
                print("%-20s %-8s %9d %-22s %7.2f %7.2f %8.1f %7.2f %7.2f%s" % (
                    name, ep, size, ("%s %s" % (m["status"], m["code"]))[:22], m["wall"],
                    m["cpu"], m["hwm"], m["health"], m["small"],
                    "" if m["alive"] else " DIED"), flush=True)
    finally:
        pki.close()


if __name__ == "__main__":
    main()
