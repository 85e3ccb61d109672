"""The API description (openapi.yaml): served as the repository has it, complete
against the route table and the problem-code tables, its reference pages served
safely, and the README's curl example run as written against a real server.
(Every exchange of every integration test is also checked against it: harness.py
and apicheck.py.)"""

import json
import os
import re
import subprocess
import unittest
from unittest import mock

import yaml

import apicheck
import harness
from harness import IdentityPKI, ServerTestCase

SPEC_YAML = os.path.join(harness.SOURCE_DIR, "openapi.yaml")
CONSOLE = os.path.join(harness.SOURCE_DIR, "server", "console", "api")
README = os.path.join(harness.SOURCE_DIR, "README.md")
SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")
METHODS = ("get", "put", "post", "delete", "patch")


def spec():
    with open(SPEC_YAML) as f:
        return yaml.safe_load(f)


def source(*parts):
    with open(os.path.join(harness.SOURCE_DIR, *parts)) as f:
        return f.read()


class Description(unittest.TestCase):
    """The description against the server's own tables (no server needed)."""

    def test_every_route_of_the_route_table_is_described_and_nothing_else(self):
        table = set()
        for methods, pattern in re.findall(r'\{\s*((?:HTTP_[A-Z]+\s*\|?\s*)+),\s*"([^"]+)"',
                                           source("server", "api", "routes.c")):
            for m in re.findall(r"HTTP_([A-Z]+)", methods):
                table.add((m, pattern))
        self.assertGreater(len(table), 30)
        described = {(m.upper(), p) for p, item in spec()["paths"].items()
                     for m in item if m in METHODS}
        self.assertEqual(sorted(table - described), [], "routes without a description")
        self.assertEqual(sorted(described - table), [], "described routes the server lacks")

    def test_every_problem_code_of_the_server_is_in_the_description(self):
        codes = set(re.findall(r'\[P_[A-Z_]+\] = \{ \d+, "([a-z_]+)" \}',
                               source("server", "http", "problem.c")))
        self.assertIn("idempotency_key_reused", codes)
        codes |= set(re.findall(r'\{ "[0-9A-Z]{2,5}", SP_ERR_[A-Z]+, "([a-z_]+)"',
                                source("db", "errors.c")))
        codes |= set(re.findall(r'#define CRYPTO_REASON_[A-Z_]+ "([a-z_]+)"',
                                source("crypto", "crypto.h")))
        # never answered: a completion in one trip that meets it takes the claim's path,
        # which answers (server/api/signing_complete.c done_fallback, migration 035)
        codes -= {"claim_needed"}
        # never answered either: a prepare in one trip that meets it prepares again from the
        # load, which answers (server/api/signing.c prep_fallback, migration 036)
        codes -= {"prepare_held_stale"}
        enum = set(spec()["components"]["schemas"]["ProblemCode"]["enum"])
        self.assertEqual(sorted(codes - enum), [], "problem codes missing from ProblemCode")

    def test_contract_numbers_are_strings(self):
        s = spec()["components"]["schemas"]
        self.assertEqual(s["ContractNumber"]["type"], "string")
        self.assertEqual(s["Contract"]["properties"]["number"]["$ref"],
                         "#/components/schemas/ContractNumber")
        self.assertEqual(s["WebhookPayload"]["properties"]["contract_number"]["$ref"],
                         "#/components/schemas/ContractNumber")


class Validator(unittest.TestCase):
    """The harness's check refuses what the description does not allow."""

    PROBLEM = {"type": "urn:sealpact:problem:not_found", "title": "Not Found", "status": 404,
               "code": "not_found", "detail": "no such contract", "request_id": "r1"}

    def setUp(self):
        # Made-up exchanges must not count as exercising a route.
        patcher = mock.patch.object(apicheck, "record", lambda *a: None)
        patcher.start()
        self.addCleanup(patcher.stop)

    def check(self, method, path, status, body, ctype="application/json"):
        apicheck.check_exchange(method, path, {}, None, status, {"content-type": ctype},
                                json.dumps(body).encode())

    def test_described_answers_pass(self):
        self.check("GET", "/healthz", 200, {"status": "ok"})
        self.check("GET", "/api/v1/contracts/123", 404, self.PROBLEM,
                   "application/problem+json")

    def test_undescribed_answers_fail(self):
        bad = [
            ("GET", "/healthz", 418, {"status": "ok"}, "application/json"),
            ("GET", "/healthz", 200, {"status": "fine"}, "application/json"),
            ("GET", "/healthz", 200, {"status": "ok"}, "text/plain"),
            ("GET", "/api/v1/nope", 200, {}, "application/json"),
            ("PUT", "/healthz", 200, {"status": "ok"}, "application/json"),
            ("GET", "/api/v1/contracts/123", 404, dict(self.PROBLEM, code="gone_fishing"),
             "application/problem+json"),
            ("GET", "/api/v1/contracts/123", 404, dict(self.PROBLEM, code="wrong_state"),
             "application/problem+json"),
            ("GET", "/api/v1/contracts/123", 404, {"code": "not_found"},
             "application/problem+json"),
            ("POST", "/api/v1/contracts/receive-all", 200, {"received": [1386827782719537152]},
             "application/json"),
            ("GET", "/api/v1/auth/whoami", 200, {"kind": "member", "user": {"id": 1, "name": "x"},
                                                 "secret": "leak"}, "application/json"),
        ]
        for method, path, status, body, ctype in bad:
            with self.assertRaises(apicheck.ContractError, msg=(method, path, status, body)):
                self.check(method, path, status, body, ctype)

    def test_access_log_statuses_are_checked(self):
        lines = [{"msg": "request", "method": "GET", "route": "/readyz", "status": 503},
                 {"msg": "request", "method": "GET", "route": "/readyz", "status": 302},
                 {"msg": "request", "method": "POST", "route": "/healthz", "status": 200}]
        self.assertEqual(apicheck.check_log(lines),
                         ["GET /readyz -> 302: status not described",
                          "POST /healthz -> 200: not described"])


class Served(ServerTestCase):
    tls = False

    def test_served_description_equals_the_repository_file(self):
        st, hdrs, data, doc = self.server.request("GET", "/api/v1/openapi.json")
        self.assertEqual(st, 200)
        self.assertEqual(hdrs["content-type"], "application/json")
        self.assertEqual(doc, spec())
        # And the JSON the harness checks against is the same document.
        with open(os.path.join(harness.BUILD_DIR, "server", "openapi.json"), "rb") as f:
            self.assertEqual(data, f.read())

    def test_reference_pages_are_served_from_the_binary_with_a_strict_policy(self):
        st, hdrs, page, _ = self.server.request("GET", "/console/api")
        self.assertEqual(st, 200)
        self.assertEqual(hdrs["content-type"], "text/html; charset=utf-8")
        csp = hdrs["content-security-policy"]
        self.assertIn("default-src 'self'", csp)
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-eval", csp)
        self.assertNotIn("http", csp)
        self.assertEqual(hdrs["x-content-type-options"], "nosniff")
        # No inline script and nothing from another origin: every script is a file of ours.
        scripts = re.findall(rb"<script([^>]*)>(.*?)</script>", page, re.S)
        self.assertEqual(len(scripts), 2)
        for attrs, body in scripts:
            self.assertEqual(body.strip(), b"")
            self.assertRegex(attrs, rb'src="/console/api/[a-z.]+\.js"')
        self.assertNotRegex(page, rb"(src|href)=\"(https?:)?//")
        for name, ctype in (("redoc.standalone.js", "text/javascript; charset=utf-8"),
                            ("reference.js", "text/javascript; charset=utf-8"),
                            ("reference.css", "text/css; charset=utf-8"),
                            ("index.html", "text/html; charset=utf-8")):
            st, hdrs, data, _ = self.server.request("GET", "/console/api/" + name)
            self.assertEqual(st, 200, name)
            self.assertEqual(hdrs["content-type"], ctype)
            self.assertIn("default-src 'self'", hdrs["content-security-policy"])
            with open(os.path.join(CONSOLE, name), "rb") as f:
                self.assertEqual(data, f.read(), name)

    def test_no_other_file_is_reachable(self):
        for path in ("/console/api/README.md", "/console/api/redoc.LICENSE",
                     "/console/api/..%2f..%2fopenapi.yaml", "/console/api/%2e%2e",
                     "/console/api/..", "/console/api/.%2Findex.html",
                     "/console/api/index.html%00", "/console/api/INDEX.HTML",
                     "/console/api/openapi.json", "/console/api/index.html/x",
                     "/console/../api/v1/openapi.json", "/console/api/../../etc/passwd"):
            st, hdrs, data, doc = self.server.request("GET", path)
            self.assertIn(st, (400, 404), path)
            self.assertEqual(hdrs["content-type"], "application/problem+json", path)
            self.assertNotIn("content-security-policy", hdrs, path)


PKI = None
SEAL = None


class ReadmeExample(ServerTestCase):
    """The README's curl example, extracted and run with bash as written."""

    @classmethod
    def setUpClass(cls):
        global PKI, SEAL
        PKI = IdentityPKI(tokens=False)
        SEAL = PKI.seal()

    @classmethod
    def tearDownClass(cls):
        if PKI is not None:
            PKI.close()

    def setUp(self):
        self.server_extra = {
            "trust": PKI.trust_config(),
            "tsa": {"mode": "builtin", "cert": PKI.path("tsa.crt"), "key": PKI.path("tsa.key"),
                    "chain": PKI.path("chain.pem"), "trust": PKI.path("root.pem")},
            "signing": {"default_seal_image": SEAL},
        }
        super().setUp()

    def example(self):
        with open(README) as f:
            text = f.read()
        m = re.search(r"<!-- example: curl-end-to-end -->\n```bash\n(.*?)\n```", text, re.S)
        self.assertIsNotNone(m, "the README has no curl example")
        return m.group(1)

    def test_readme_curl_example_runs_end_to_end(self):
        script = os.path.join(self.tmp, "example.sh")
        with open(script, "w") as f:
            f.write(self.example() + "\n")
        env = harness.clean_env({"SP": self.server.url, "CACERT": self.server.cafile,
                                 "PKI": PKI.pki, "PDF": SHORT})
        p = subprocess.run(["bash", script], cwd=self.tmp, env=env, capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = re.search(r"^contract (\d+): completed$", p.stdout, re.M)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        # B-LTA by default: the DSS and the document timestamp are allowed additions
        self.assertRegex(p.stdout, r"(?m)^verdict: valid_with_allowed_changes$")
        # What the example downloaded is the server's latest revision, signed once.
        n = m.group(1)
        self.assertEqual(self.db.query("SELECT status FROM contracts WHERE number = %s" % n),
                         "completed")
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM revisions WHERE contract_number = %s" % n), "2")
        with open(os.path.join(self.tmp, "signed.pdf"), "rb") as f:
            signed = f.read()
        self.assertTrue(signed.startswith(b"%PDF-"))
        # the signature and the document timestamp after it
        self.assertEqual(signed.count(b"/ByteRange"), 2)
        self.assertEqual(signed.count(b"/Type /DocTimeStamp"), 1)


if __name__ == "__main__":
    unittest.main()
