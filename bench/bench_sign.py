#!/usr/bin/env python3
"""bench_sign.py: complete signings per second and p50/p99 latency of prepare
and complete (DESIGN §5) for a 10-page contract, through the real sealpactd
(HTTPS, built-in TSA, the verification engine at completion) against a
throwaway PostgreSQL, next to `openssl speed` for SHA-256, RSA-2048 and ECDSA
P-256 on this machine (the physical floor).

    bench/bench_sign.py [BUILD_DIR] [SIGNINGS] [CLIENTS]

Each signing is one contract (initiator + one signer, sent and received
beforehand, not timed): prepare -> the signer's signature (openssl, not
timed: it stands for the token) -> complete. CLIENTS threads run at once;
throughput is completed signings over the wall time of the timed phases.
The client, the server and PostgreSQL share the machine's cores, so the
figures are a floor. Python standard library only.
"""
import base64
import os
import subprocess
import sys
import threading
import time

import bench_stack
from bench_stack import pct

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))



def openssl_speed():
    p = subprocess.run(["openssl", "speed", "-seconds", "1", "sha256", "rsa2048", "ecdsap256"],
                       capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines()
             if l.strip().startswith(("sha256", "rsa 2048", "256 bits ecdsa", "type", "sign"))]
    return "\n".join("  " + l for l in lines)


def main(argv):
    build = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "build")
    total = int(argv[2]) if len(argv) > 2 else 60
    clients = int(argv[3]) if len(argv) > 3 else 4
    stack = bench_stack.Stack("sign", build)
    harness = stack.harness
    try:
        pki = stack.identity()
        pdf10 = stack.contract10()
        stack.database()
        server = stack.start(stack.config(database={"pool_size": 8}, server={"threads": 2}))
        orgs = {o["slug"]: o for o in pki.orgs}
        tok = {}
        for slug in ("buyer", "supplier"):
            crt, key = pki.org_cert(slug, "rsa")
            st, _, _, doc = harness.api_login(server, crt, key)
            assert st == 200, doc
            tok[slug] = doc["token"]

        def call(slug, method, path, body=None):
            h = {"Authorization": "Bearer " + tok[slug]}
            if body is None and method == "POST":
                body, h["Content-Type"] = b"", "application/json"
            return server.request(method, path, body=body, headers=h, timeout=120)

        with open(pdf10, "rb") as f:
            b64pdf = base64.b64encode(f.read()).decode()
        numbers = []
        for _ in range(total):
            st, _, _, doc = call("buyer", "POST", "/api/v1/contracts", {
                "name": "Bench", "pdf_base64": b64pdf, "parties": [
                    {"credit_code": orgs["supplier"]["credit_code"], "role": "signer"}]})
            assert st == 201, doc
            n = doc["number"]
            assert call("buyer", "POST", "/api/v1/contracts/%s/send" % n)[0] == 200
            assert call("supplier", "POST", "/api/v1/contracts/%s/receive" % n)[0] == 200
            numbers.append(n)
        crt, key = pki.org_cert("supplier", "rsa")
        cert_b64 = base64.b64encode(harness.der_of(crt)).decode()
        placements = [{"mode": "normal", "page": 1, "x": 400, "y": 120},
                      {"mode": "date", "page": 1, "x": 400, "y": 60}]
        prep_ms, done_ms, timed = [], [], [0.0]
        lock = threading.Lock()
        errors = []

        def worker(mine):
            for n in mine:
                t0 = time.perf_counter()
                st, _, _, doc = call("supplier", "POST",
                                     "/api/v1/contracts/%s/signing-sessions" % n,
                                     {"certificate": cert_b64, "placements": placements})
                t1 = time.perf_counter()
                if st != 201:
                    errors.append(doc)
                    return
                sig = harness.openssl_sign(key, base64.b64decode(doc["to_be_signed"]))
                t2 = time.perf_counter()
                st, _, _, res = call("supplier", "POST", "/api/v1/signing-sessions/%s/complete"
                                     % doc["session"],
                                     {"signature": base64.b64encode(sig).decode()})
                t3 = time.perf_counter()
                if st != 200:
                    errors.append(res)
                    return
                with lock:
                    prep_ms.append((t1 - t0) * 1000)
                    done_ms.append((t3 - t2) * 1000)

        threads = [threading.Thread(target=worker, args=(numbers[i::clients],))
                   for i in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        if errors:
            print("bench_sign: errors: %s" % errors[:3], file=sys.stderr)
            return 1
        # Wall time minus the clients' signing, which stands for the token.
        print("bench_sign: %d signings of a 10-page contract (%d bytes), %d clients, "
              "%d cores" % (len(done_ms), os.path.getsize(pdf10), clients, os.cpu_count()))
        print("  complete signings/s: %.1f (wall %.2f s, token signing included)"
              % (len(done_ms) / wall, wall))
        print("  prepare  ms: p50 %.1f  p99 %.1f" % (pct(prep_ms, 50), pct(prep_ms, 99)))
        print("  complete ms: p50 %.1f  p99 %.1f" % (pct(done_ms, 50), pct(done_ms, 99)))
        print("openssl speed -seconds 1 sha256 rsa2048 ecdsap256 (the physical floor):")
        print(openssl_speed())
        return 0
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
