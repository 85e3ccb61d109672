#!/usr/bin/env python3
"""bench_evidence.py: what an evidence report (出证报告) costs, through the real
sealpactd (HTTPS, the built-in TSA, the OCSP responder of the development PKI) against
a throwaway PostgreSQL: a 10-page contract signed by three parties (PAdES B-LTA by
default), then GET /api/v1/contracts/{number}/evidence ROUNDS times, one at a time.

    bench/bench_evidence.py [BUILD_DIR] [ROUNDS]

Prints the report's size, the contract's size, and the request's time (p50, p90, max):
one database call (which also records the request), hashing (SHA-256, SM3), verifying
the three signatures, composing the report with its CJK font subset and seal pictures,
the evidence key's PAdES signature with its timestamp, the DSS and the document
timestamp. The client, the server, PostgreSQL and the responder share the machine's
cores, so the figures are a floor. Python standard library only.
"""
import base64
import os
import sys
import time

import bench_stack
from bench_stack import pct

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))



def main(argv):
    build = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "build")
    rounds = int(argv[2]) if len(argv) > 2 else 10
    stack = bench_stack.Stack("evidence", build)
    harness = stack.harness
    try:
        pki = stack.identity()
        pdf10 = stack.contract10()
        stack.database()
        server = stack.start(stack.config(
            evidence={"cert": pki.path("evidence.crt"), "key": pki.path("evidence.key"),
                      "chain": pki.path("chain.pem")},
            server={"threads": 2}))
        orgs = {o["slug"]: o for o in pki.orgs}
        signers = [("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa")]
        tok = {}
        for slug, alg in signers:
            crt, key = pki.org_cert(slug, alg)
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
        st, _, _, doc = call("buyer", "POST", "/api/v1/contracts", {
            "name": "出证基准 Evidence bench", "pdf_base64": b64pdf, "parties": [
                {"credit_code": orgs[s]["credit_code"], "role": "signer", "routing_order": i + 1}
                for i, (s, _) in enumerate(signers)]})
        assert st == 201, doc
        n = doc["number"]
        assert call("buyer", "POST", "/api/v1/contracts/%s/send" % n)[0] == 200
        for i, (slug, alg) in enumerate(signers):
            crt, key = pki.org_cert(slug, alg)
            assert call(slug, "POST", "/api/v1/contracts/%s/receive" % n)[0] == 200
            st, _, _, prep = call(slug, "POST", "/api/v1/contracts/%s/signing-sessions" % n, {
                "certificate": base64.b64encode(harness.der_of(crt)).decode(),
                "chain": [base64.b64encode(harness.der_of(pki.path("ca.pem"))).decode()],
                "placements": [{"mode": "normal", "seal": "default", "page": 1,
                                "x": 150 + 150 * i, "y": 120}]})
            assert st == 201, prep
            sig = harness.openssl_sign(key, base64.b64decode(prep["to_be_signed"]))
            st, _, _, doc = call(slug, "POST", "/api/v1/signing-sessions/%s/complete"
                                 % prep["session"], {"signature": base64.b64encode(sig).decode()})
            assert st == 200, doc
            assert call(slug, "POST", "/api/v1/contracts/%s/send" % n)[0] == 200
        st, _, contract, _ = call("buyer", "GET", "/api/v1/contracts/%s/document" % n)
        assert st == 200
        ms, sizes = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            st, _, data, doc = call("buyer", "GET", "/api/v1/contracts/%s/evidence" % n)
            t1 = time.perf_counter()
            assert st == 200, doc
            ms.append((t1 - t0) * 1000)
            sizes.append(len(data))
        print("bench_evidence: %d reports of a 10-page contract with 3 signatures "
              "(PAdES B-LTA, %d bytes), %d cores" % (rounds, len(contract), os.cpu_count()))
        print("  report bytes: %d (%d of them the attached contract; %d the report itself)"
              % (sizes[-1], len(contract), sizes[-1] - len(contract)))
        print("  report ms: p50 %.0f  p90 %.0f  max %.0f" % (pct(ms, 50), pct(ms, 90), max(ms)))
        return 0
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
