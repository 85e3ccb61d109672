#!/usr/bin/env python3
"""bench_storage.py: what a 10 MB contract signed 10 times costs in the
database and as a file (issue 14: < 10.55 MB both ways), through the real
sealpactd (built-in TSA, RSA-2048 signers, a seal and a date seal each).

    bench/bench_storage.py [BUILD_DIR] [SIGNERS] [MEGABYTES]

Ten organizations (the development PKI's three and seven more issued by its
CA) are signers of one contract, in one routing group; each receives,
prepares, signs (openssl stands for the token), completes and sends. Then it
prints the size of each stored update, the final file (the document the API
serves), the bytes the database holds for the contract's revisions and
signing sessions (logical: octet_length; on disk: pg_column_size, after
TOAST compression) and the verification of the final file. Python standard
library only; a throwaway PostgreSQL.
"""
import base64
import os
import sys

import bench_stack

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(body17):
    """GB 32100-2015: the check character after 17 (as deploy/pki.sh computes it)."""
    s = sum(ALPHA.index(c) * w for c, w in zip(body17, WEIGHTS))
    return body17 + ALPHA[(31 - s % 31) % 31]


def issue_rsa(harness, pki, work, i):
    """An RSA-2048 organization certificate from the development CA, like pki.sh's."""
    code = credit_code("91310000%09d" % (7000 + i))
    name = "Storage Org %d" % i
    key, csr, crt, ext = (os.path.join(work, "org%d.%s" % (i, x)) for x in ("key", "csr", "crt",
                                                                             "ext"))
    with open(ext, "w") as f:
        f.write("keyUsage=critical,digitalSignature,nonRepudiation\n"
                "basicConstraints=critical,CA:FALSE\n")
    harness.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", key])
    harness.run(["openssl", "req", "-new", "-key", key, "-utf8", "-out", csr, "-subj",
                 "/C=CN/O=%s/organizationIdentifier=%s/CN=signer %d" % (name, code, i)])
    harness.run(["openssl", "x509", "-req", "-in", csr, "-CA", pki.path("ca.pem"), "-CAkey",
                 pki.path("ca.key"), "-CAcreateserial", "-days", "30", "-sha256", "-extfile",
                 ext, "-out", crt])
    return {"slug": "org%d" % i, "credit_code": code, "crt": crt, "key": key}


def big_pdf(harness, work, megabytes):
    """The 10-page fixture with an incompressible attachment: megabytes * 10^6 bytes."""
    pdf10 = os.path.join(work, "contract10.pdf")
    harness.run(["qpdf", os.path.join(ROOT, "tests", "fixtures", "contracts", "contract30.pdf"),
                 "--pages", ".", "1-10", "--", pdf10])
    blob = os.path.join(work, "annex.bin")
    target = int(megabytes * 1000000)
    with open(blob, "wb") as f:
        f.write(os.urandom(max(1, target - os.path.getsize(pdf10) - 2000)))
    out = os.path.join(work, "contract.pdf")
    harness.run(["qpdf", pdf10, "--add-attachment", blob, "--key=annex", "--", out])
    return out


def main(argv):
    build = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "build")
    nsigners = int(argv[2]) if len(argv) > 2 else 10
    megabytes = float(argv[3]) if len(argv) > 3 else 10.0
    stack = bench_stack.Stack("storage", build)
    harness, tmp = stack.harness, stack.tmp
    try:
        pki = stack.identity()
        pdf = big_pdf(harness, tmp, megabytes)
        db = stack.database()
        server = stack.start(stack.config(database={"pool_size": 4}, server={"threads": 2}))
        orgs = []
        for o in pki.orgs:
            crt, key = pki.org_cert(o["slug"], "rsa")
            orgs.append({"slug": o["slug"], "credit_code": o["credit_code"], "crt": crt,
                         "key": key})
        buyer = orgs.pop(0)
        while len(orgs) < nsigners:
            orgs.append(issue_rsa(harness, pki, tmp, len(orgs)))
        signers = orgs[:nsigners]
        tok = {}
        for o in [buyer] + signers:
            st, _, _, doc = harness.api_login(server, o["crt"], o["key"])
            assert st == 200, doc
            tok[o["slug"]] = doc["token"]

        def call(slug, method, path, body=None, raw=False):
            h = {"Authorization": "Bearer " + tok[slug]}
            if body is None and method == "POST":
                body, h["Content-Type"] = b"", "application/json"
            r = server.request(method, path, body=body, headers=h, timeout=300)
            return r

        with open(pdf, "rb") as f:
            b64pdf = base64.b64encode(f.read()).decode()
        st, _, _, doc = call(buyer["slug"], "POST", "/api/v1/contracts", {
            "name": "Storage", "pdf_base64": b64pdf, "parties": [
                {"credit_code": o["credit_code"], "role": "signer", "routing_order": 1}
                for o in signers]})
        assert st == 201, doc
        n = doc["number"]
        assert call(buyer["slug"], "POST", "/api/v1/contracts/%s/send" % n)[0] == 200
        base = int(db.query("SELECT length FROM revisions WHERE contract_number = %s AND seq = 0"
                            % n))
        placements = [{"mode": "normal", "page": 1, "x": 400, "y": 120},
                      {"mode": "date", "page": 1, "x": 400, "y": 60}]
        print("bench_storage: a %d-byte contract (normalized), %d RSA-2048 signers, built-in TSA"
              % (base, len(signers)))
        for k, o in enumerate(signers):
            s = o["slug"]
            assert call(s, "POST", "/api/v1/contracts/%s/receive" % n)[0] == 200
            st, _, _, prep = call(s, "POST", "/api/v1/contracts/%s/signing-sessions" % n, {
                "certificate": base64.b64encode(harness.der_of(o["crt"])).decode(),
                "placements": placements})
            assert st == 201, prep
            sig = harness.openssl_sign(o["key"], base64.b64decode(prep["to_be_signed"]))
            st, _, _, res = call(s, "POST", "/api/v1/signing-sessions/%s/complete"
                                 % prep["session"], {"signature": base64.b64encode(sig).decode()})
            assert st == 200, res
            assert call(s, "POST", "/api/v1/contracts/%s/send" % n)[0] == 200
            upd = int(db.query("SELECT octet_length(delta) FROM revisions WHERE contract_number"
                               " = %s AND seq = %d" % (n, k + 1)))
            cms = int(db.query("SELECT (contents_len - 2) / 2 FROM signing_sessions WHERE id = "
                               "'%s'" % prep["session"]))
            print("  signature %2d: update %6d bytes (placeholder %5d DER bytes)" % (k + 1, upd,
                                                                                    cms))
        st, _, body, _ = call(buyer["slug"], "GET", "/api/v1/contracts/%s/document" % n)
        assert st == 200 and body.startswith(b"%PDF-"), st
        final = len(body)
        logical = int(db.query(
            "SELECT (SELECT coalesce(sum(octet_length(delta)), 0) FROM revisions WHERE "
            "contract_number = %s) + (SELECT coalesce(sum(octet_length(delta)), 0) FROM "
            "signing_sessions WHERE contract_number = %s)" % (n, n)))
        disk = int(db.query(
            "SELECT (SELECT coalesce(sum(pg_column_size(delta)), 0) FROM revisions WHERE "
            "contract_number = %s) + (SELECT coalesce(sum(pg_column_size(delta)), 0) FROM "
            "signing_sessions WHERE contract_number = %s)" % (n, n)))
        sessions = int(db.query("SELECT coalesce(sum(octet_length(delta)), 0) FROM "
                                "signing_sessions WHERE contract_number = %s" % n))
        st, _, _, ver = call(buyer["slug"], "GET", "/api/v1/contracts/%s/verification" % n)
        verdicts = sorted({s.get("verdict") for s in ver.get("signatures", [])}) if st == 200 \
            else ["HTTP %d" % st]
        limit = base * 1.055
        print("  file:     %10d bytes = %.3f MB (base %.3f MB + %d bytes) %s" % (
            final, final / 1e6, base / 1e6, final - base,
            "< 1.055 x base" if final < limit else "NOT < 1.055 x base"))
        print("  database: %10d bytes logical = %.3f MB (revision deltas; session copies %d) %s"
              % (logical, logical / 1e6, sessions,
                 "< 1.055 x base" if logical < limit else "NOT < 1.055 x base"))
        print("  database: %10d bytes on disk (pg_column_size, after TOAST compression)" % disk)
        print("  verification of the final file: %d signatures, verdicts %s" % (
            len(ver.get("signatures", [])) if st == 200 else 0, ", ".join(map(str, verdicts))))
        return 0 if final < limit and logical < limit else 1
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
