"""sec46: what an outside attacker tried in round seventeen, against a running server, and
held: each test asserts the answer a user would check, so a change that breaks it fails.
  - JSON nested 10,000 deep, to an anonymous route and a member's: 400 malformed_json,
    nothing stored, the server still answers;
  - another organization's contract reached through what its own list or document gave
    out: an audit cursor, a document's ETag in If-None-Match (no 304 for what one cannot
    see), each answered as a contract that does not exist;
  - webhook receivers written in the address forms earlier rounds did not list (NAT64,
    its local-use prefix, 6to4, IPv4-compatible, mapped in hexadecimal or written out, a
    trailing dot, a zone id, a Teredo address): refused at registration, nothing stored;
  - a party list of 101 parties, and names with bidi overrides or zero-width characters
    (contract name, party name): 400, nothing stored."""

import unittest

import harness
import test_attacks
from test_attacks import AttackCase
from test_workflow import credit_code


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class Probes(AttackCase):

    def third(self):
        """A third organization's member session (no contract of the buyer's names it)."""
        crt, key = test_attacks.PKI.issue("probe-third", "/O=Third Probe Co/"
                                          "organizationIdentifier=%s/CN=Eve" % credit_code(790))
        st, _, _, doc = harness.api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        return harness.bearer(doc["token"])

    def test_json_nested_ten_thousand_deep_is_refused(self):
        self.login("buyer")
        before = self.counts()
        deep = b"[" * 10000 + b"]" * 10000
        obj = b'{"a":' * 10000 + b"1" + b"}" * 10000
        for body in (deep, obj):
            st, hdrs, raw = self.raw("buyer", "POST", "/api/v1/contracts",
                                     b"Content-Type: application/json\r\n", body)
            self.assertCleanProblem((st, hdrs, raw), 400, "malformed_json")
            resp = self.server.request("POST", "/api/v1/auth/login", body=body,
                                       headers={"Content-Type": "application/json"})
            self.assertProblem(resp, 400, "malformed_json")
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)

    def test_what_a_contract_gave_out_does_not_reach_it_for_another(self):
        self.login("buyer")
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "Probe", "pdf_base64": self.pdf_b64(),
            "parties": [{"credit_code": self.orgs["supplier"]["credit_code"],
                         "name": "Supplier"}]})
        self.assertEqual(st, 201, c)
        path = "/api/v1/contracts/" + c["number"]
        st, hdrs, _, _ = self.call("buyer", "GET", path + "/document")
        self.assertEqual(st, 200)
        etag = hdrs["etag"]
        # The initiator's own conditional request: 304 (the tag works as described).
        st, _, _, _ = self.call("buyer", "GET", path + "/document",
                                headers={"If-None-Match": etag})
        self.assertEqual(st, 304)
        st, _, _, page = self.call("buyer", "GET", path + "/audit?limit=1")
        self.assertEqual(st, 200, page)
        eve = self.third()
        missing = "/api/v1/contracts/%d" % (int(c["number"]) + 1)
        cursor = page["next_cursor"] or "1"
        for tail, h in (("/document", {"If-None-Match": etag}),
                        ("/document", {"If-None-Match": "*"}),
                        ("/audit?limit=1&cursor=1", {}), ("/audit?cursor=" + cursor, {}),
                        ("/revisions/0/document", {"If-None-Match": etag})):
            with self.subTest(tail=tail, h=h):
                got = self.server.request("GET", path + tail, headers=dict(eve, **h))
                doc = self.assertProblem(got, 404, "not_found")
                ref = self.assertProblem(self.server.request("GET", missing + tail,
                                                             headers=dict(eve, **h)),
                                         404, "not_found")
                self.assertEqual((doc["title"], doc["detail"]), (ref["title"], ref["detail"]))
                self.assertNotIn("etag", got[1])

    def test_webhook_receivers_in_other_address_forms_are_refused(self):
        self.login("buyer")
        before = self.counts()
        for url in ("https://[64:ff9b::7f00:1]/", "https://[64:ff9b::a9fe:a9fe]/",
                    "https://[64:ff9b:1::a00:1]/", "https://[2002:7f00:1::1]/",
                    "https://[::127.0.0.1]/", "https://[0:0:0:0:0:ffff:7f00:1]/",
                    "https://[::ffff:7f00:1]/", "https://[::ffff:0:7f00:1]/", "https://0/",
                    "https://127.0.0.1./", "https://[fe80::1%25eth0]/", "https://[2001::1]/",
                    "https://[::ffff:10.0.0.1]:443/", "https://[fc00::]/"):
            with self.subTest(url=url):
                doc = self.assertProblem(self.call("buyer", "POST", "/api/v1/webhooks",
                                                   {"url": url}), 400)
                self.assertIn(doc["code"], ("url_forbidden", "url_invalid"), doc)
        self.assertEqual(self.counts(), before)

    def test_party_lists_too_long_or_with_hidden_text_are_refused(self):
        self.login("buyer")
        before = self.counts()
        many = [{"credit_code": credit_code(800 + i), "name": "Party %d" % i} for i in range(101)]
        self.assertProblem(self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "Many", "pdf_base64": self.pdf_b64(), "parties": many}), 400, "invalid")
        for text in ("Pay \u202e0001\u202c EUR", "Acme\u200bLtd", "Acme \u2066Ltd\u2069",
                     "Acme\ufeffLtd", "Acme\u061cLtd"):
            for where in ("name", "party"):
                body = {"name": text if where == "name" else "Hidden",
                        "pdf_base64": self.pdf_b64(),
                        "parties": [{"credit_code": credit_code(799),
                                     "name": text if where == "party" else "Party"}]}
                with self.subTest(text=text, where=where):
                    self.assertProblem(self.call("buyer", "POST", "/api/v1/contracts", body),
                                       400, "control_character")
        self.assertEqual(self.counts(), before)
        # 100 parties are a contract.
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "Hundred", "pdf_base64": self.pdf_b64(), "parties": many[:100]})
        self.assertEqual((st, len(c.get("parties", []))), (201, 100), c)


if __name__ == "__main__":
    unittest.main()
