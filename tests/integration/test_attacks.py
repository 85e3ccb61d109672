"""An attacker's review of the running server (sec29): what a hostile
organization, or anyone on the network, sends that earlier tests did not.
Each answer to bad input is a 4xx problem+json that names no SQL, and
changes nothing; an organization's name is the one its certificate carries,
not the one another organization wrote first."""

import base64
import json
import os
import socket
import unittest

import harness
from harness import ServerTestCase, api_login, bearer

PKI = None
SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")

# What PostgreSQL's own messages look like; none may reach a client.
SQL_WORDS = ("byte sequence", "encoding", "UTF8", "violates", "constraint", "relation",
             "syntax", "column", "permission denied", "type ")


setUpModule, tearDownModule = harness.module_pki(__name__, tokens=False)


def raw_exchange(server, data, timeout=10):
    """Raw bytes on a fresh plain connection (the header bytes http.client
    will not send); returns (status, headers, body) of the one answer."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs, body[:int(hdrs.get("content-length", "0"))]


class AttackCase(ServerTestCase):
    tls = False
    extra = {}  # configuration sections beside the trust

    def setUp(self):
        self.server_extra = dict(self.extra, trust=PKI.trust_config())
        super().setUp()
        self.orgs = {o["slug"]: o for o in PKI.orgs}
        self.tokens = {}

    def login(self, slug):
        crt, key = PKI.org_cert(slug, "ec")
        st, _, _, doc = api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        self.tokens[slug] = doc["token"]
        return doc

    def call(self, slug, method, path, body=None, headers=None):
        h = bearer(self.tokens[slug])
        h.update(headers or {})
        return self.server.request(method, path, body=body, headers=h)

    def raw(self, slug, method, path, extra=b"", body=b""):
        req = (b"%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s"
               b"Content-Length: %d\r\nConnection: close\r\n\r\n"
               % (method.encode(), path.encode() if isinstance(path, str) else path,
                  self.tokens[slug].encode(), extra, len(body)))
        return raw_exchange(self.server, req + body)

    def assertCleanProblem(self, got, status, code=None, detail=None):
        st, hdrs, body = got
        self.assertEqual(st, status, body)
        self.assertEqual(hdrs.get("content-type"), "application/problem+json", body)
        doc = json.loads(body)
        self.assertEqual(doc["status"], status)
        if code is not None:
            self.assertEqual(doc["code"], code, doc)
        if detail is not None:
            self.assertEqual(doc["detail"], detail, doc)
        for w in SQL_WORDS:
            self.assertNotIn(w, doc.get("detail", ""), doc)
        return doc

    def pdf_b64(self):
        with open(SHORT, "rb") as f:
            return base64.b64encode(f.read()).decode()

    def supplier_to_sign(self, name):
        """A contract of the buyer's, sent, that the supplier received: its number."""
        self.login("buyer")
        self.login("supplier")
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts", {
            "name": name, "pdf_base64": self.pdf_b64(),
            "parties": [{"credit_code": self.orgs["supplier"]["credit_code"],
                         "role": "signer"}]})
        self.assertEqual(st, 201, c)
        for slug, action in (("buyer", "send"), ("supplier", "receive")):
            st, _, _, doc = self.call(slug, "POST",
                                      "/api/v1/contracts/%s/%s" % (c["number"], action))
            self.assertEqual(st, 200, doc)
        return c["number"]

    def counts(self):
        return self.db.query("SELECT (SELECT count(*) FROM contracts), (SELECT count(*) FROM "
                             "webhooks), (SELECT count(*) FROM idempotency_keys), (SELECT "
                             "count(*) FROM audit_events), (SELECT count(*) FROM organizations)")


class Attacks(AttackCase):

    def test_query_strings_are_text_before_they_reach_sql(self):
        """A list filter with a byte that is not UTF-8, or a NUL that would cut
        the filter short, is refused by the server, not by PostgreSQL: the
        answer never carries the database's message."""
        self.login("buyer")
        for q in ("q=%ff", "initiator=%C3%28", "business_type=%ed%a0%80", "q=a%00b",
                  "tab=todo&q=%00", "initiator=%f4%90%80%80"):
            with self.subTest(q=q):
                self.assertCleanProblem(self.raw("buyer", "GET", "/api/v1/contracts?" + q),
                                        400, "invalid")
        # Text that is UTF-8 still filters (and finds nothing here).
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts?tab=initiated&q=%E5%90%88")
        self.assertEqual((st, doc["total"]), (200, 0), doc)

    def test_a_query_parameter_given_twice_is_refused(self):
        """sec38: a parameter given twice (?tab=todo&tab=drafts) was read as its
        first value where a proxy, a log or a WAF in front may read the last; a
        part without '=' made every parameter silently ignored. Each is 400 on
        every route that reads the query; names compare decoded and without
        case, as the routes find them."""
        self.login("buyer")
        want = "The query string must give each parameter once, as name=value."
        for path in ("/api/v1/contracts?tab=todo&tab=drafts",
                     "/api/v1/contracts?tab=drafts&page_size=1&page_size=100",
                     "/api/v1/contracts?tab=drafts&TAB=todo",
                     "/api/v1/contracts?tab=drafts&t%61b=todo",
                     "/api/v1/contracts?tab=drafts&page",
                     "/api/v1/contracts?=drafts",
                     "/api/v1/contracts/1/verification?fresh=false&fresh=true",
                     "/api/v1/api-keys?page=1&page=2",
                     "/api/v1/seal-applications?page_size=5&page_size=6",
                     "/api/v1/seals?status=active&status=revoked"):
            with self.subTest(path=path):
                self.assertCleanProblem(self.raw("buyer", "GET", path), 400, "invalid", want)
        # A '%' without two hex digits: readers in front keep it, drop it or refuse
        # it; so does this server (it took it literally).
        want = ("The query string has a '%' without two hex digits after it "
                "(write a '%' itself as %25).")
        for path in ("/api/v1/contracts?tab=drafts&q=100%", "/api/v1/contracts?tab=drafts&q=%zz",
                     "/api/v1/seals?status=active%2"):
            with self.subTest(path=path):
                self.assertCleanProblem(self.raw("buyer", "GET", path), 400, "invalid", want)
        # Each once (an empty part is nothing) still lists.
        for path in ("/api/v1/contracts?tab=drafts&page_size=1&",
                     "/api/v1/contracts?tab=drafts&q=100%25",
                     "/api/v1/contracts?t%61b=drafts&q=a+b"):
            st, _, _, doc = self.call("buyer", "GET", path)
            self.assertEqual((st, doc["total"]), (200, 0), doc)

    def test_idempotency_key_that_is_not_ascii_is_refused_before_sql(self):
        """Idempotency-Key is 1..128 printable ASCII characters: anything else
        (a byte over 0x7f, a space) is the same 400 from every route, stores
        nothing and names no SQL."""
        self.login("buyer")
        before = self.counts()
        create = json.dumps({"name": "Idempotent", "pdf_base64": self.pdf_b64()}).encode()
        hook = json.dumps({"url": "https://hooks.example.com/x"}).encode()
        want = "Idempotency-Key must be 1..128 printable ASCII characters"
        for key in (b"\xff\xfe", b"caf\xc3\xa9", b"a b", b"k" * 129):
            for path, body in (("/api/v1/contracts", create), ("/api/v1/webhooks", hook)):
                with self.subTest(key=key, path=path):
                    got = self.raw("buyer", "POST", path, b"Content-Type: application/json\r\n"
                                   b"Idempotency-Key: " + key + b"\r\n", body)
                    self.assertCleanProblem(got, 400, "invalid", want)
        self.assertEqual(self.counts(), before)
        # A printable key still works, and its replay answers the same contract.
        h = {"Idempotency-Key": "order-42"}
        st, _, _, first = self.call("buyer", "POST", "/api/v1/contracts",
                                    {"name": "Idempotent", "pdf_base64": self.pdf_b64()}, h)
        self.assertEqual(st, 201, first)
        st, _, _, again = self.call("buyer", "POST", "/api/v1/contracts",
                                    {"name": "Idempotent", "pdf_base64": self.pdf_b64()}, h)
        self.assertEqual((st, again["number"]), (201, first["number"]), again)

    def test_a_second_authorization_header_is_refused(self):
        """Two Authorization headers (or Content-Types) are two claims: a proxy
        in front may read the other one. Refused like two Content-Lengths."""
        self.login("buyer")
        self.login("supplier")
        for extra in (b"Authorization: Bearer %s\r\n" % self.tokens["supplier"].encode(),
                      b"authorization: Bearer nonsense\r\n",
                      b"Content-Type: application/json\r\nContent-Type: application/pdf\r\n"):
            with self.subTest(extra=extra[:40]):
                self.assertCleanProblem(self.raw("buyer", "GET", "/api/v1/auth/whoami", extra),
                                        400, "malformed_request")
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/auth/whoami")
        self.assertEqual((st, doc["organization"]["credit_code"]),
                         (200, self.orgs["buyer"]["credit_code"]))

    def test_the_certificate_names_the_organization_not_whoever_named_it_first(self):
        """An initiator names a party that has not registered yet and makes up
        its name. When that organization logs in with its certificate, it is
        called what its certificate says everywhere (its own whoami, the
        initiator's view of the contract), not what the initiator wrote; a
        registered organization's name is never taken from a party list."""
        self.login("buyer")
        victim = self.orgs["supplier"]
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "Bait", "pdf_base64": self.pdf_b64(),
            "parties": [{"credit_code": victim["credit_code"], "name": "Forged Holdings",
                         "role": "signer"}]})
        self.assertEqual(st, 201, c)
        self.assertEqual([p["name"] for p in c["parties"]], ["Forged Holdings"])
        who = self.login("supplier")
        self.assertEqual(who["organization"]["name"], victim["name"], who)
        st, _, _, doc = self.call("supplier", "GET", "/api/v1/auth/whoami")
        self.assertEqual(doc["organization"]["name"], victim["name"], doc)
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/" + c["number"])
        self.assertEqual([p["name"] for p in doc["parties"]], [victim["name"]], doc)
        # Once registered, another party list cannot rename it either.
        st, _, _, c2 = self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "Bait 2", "pdf_base64": self.pdf_b64(),
            "parties": [{"credit_code": victim["credit_code"], "name": "Forged Again",
                         "role": "signer"}]})
        self.assertEqual(st, 201, c2)
        self.assertEqual([p["name"] for p in c2["parties"]], [victim["name"]])
        # Logging in again keeps the name (the first certificate named it).
        self.assertEqual(self.login("supplier")["organization"]["name"], victim["name"])


class PrepareAbortLoops(AttackCase):
    """A signer's prepare is an event of the contract's audit trail, which
    every party's GET /contracts/{n} answers whole, every evidence report
    prints and audit/verify re-checks. Prepared and aborted (or let expire)
    over and over, it grew that trail, for every party, at the database's
    pace. Now a party prepares at most 100 times in any 24 hours per
    contract; one more is 429 rate_limited and records nothing. sec41: the
    prepares are counted from those audit events, which stay: 049 counted the
    party's signing sessions, and the store drops the ones that expired an
    hour ago, so a signer letting its sessions expire fell out of the count."""

    def test_prepares_whose_sessions_were_dropped_still_count(self):
        n = self.supplier_to_sign("Expired loops")
        crt = PKI.org_cert("supplier", "ec")[0]
        prep = {"certificate": base64.b64encode(harness.der_of(crt)).decode(),
                "chain": [base64.b64encode(harness.der_of(PKI.path("ca.pem"))).decode()],
                "placements": [{"mode": "date", "page": 1, "x": 400, "y": 100}]}
        path = "/api/v1/contracts/%s/signing-sessions" % n
        st, _, _, doc = self.call("supplier", "POST", path, prep)
        self.assertEqual(st, 201, doc)
        st, _, _, doc = self.call("supplier", "DELETE",
                                  "/api/v1/signing-sessions/%s" % doc["session"])
        self.assertEqual(st, 200, doc)
        # 150 prepares yesterday (they count no more) and 98 more in the last
        # hours, whose sessions expired and were dropped (036's store deletes
        # a party's open sessions an hour past their expiry): only their
        # audit events are left, as the loop left them.
        self.db.query(
            "INSERT INTO audit_events (contract_number, actor_org_id, actor_user_id, action,"
            " object_type, object_id, at)"
            " SELECT contract_number, organization_id, user_id, 'signing.prepared', 'contract',"
            " contract_number::text, now() - g * interval '1 minute'"
            "   - CASE WHEN g > 98 THEN interval '1 day' ELSE interval '0' END"
            " FROM signing_sessions, generate_series(1, 248) g")
        self.db.query("DELETE FROM signing_sessions")
        st, _, _, doc = self.call("supplier", "POST", path, prep)  # the 100th of the day
        self.assertEqual(st, 201, doc)
        before = self.counts()
        sessions = self.db.query("SELECT count(*) FROM signing_sessions")
        doc = self.assertProblem(self.call("supplier", "POST", path, prep), 429, "rate_limited")
        self.assertIn("prepared a signing of this contract 100 times", doc["detail"])
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.db.query("SELECT count(*) FROM signing_sessions"), sessions)
        # The chain with the events is still whole.
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual((st, doc["valid"]), (200, True), doc)


class SendCap(AttackCase):
    """sec41: any organization could send any number of contracts into
    another's to-do list (a credit code is public). An organization sends at
    most contracts.max_sent_per_day contracts in any 24 hours; one more is 429
    rate_limited, the draft stays a draft and nothing is recorded."""
    extra = {"contracts": {"max_sent_per_day": 3}}

    def draft(self, slug, name):
        st, _, _, c = self.call(slug, "POST", "/api/v1/contracts", {
            "name": name, "pdf_base64": self.pdf_b64(),
            "parties": [{"credit_code": self.orgs["supplier"]["credit_code"],
                         "role": "signer"}]})
        self.assertEqual(st, 201, c)
        return c["number"]

    def todo(self):
        st, _, _, doc = self.call("supplier", "GET", "/api/v1/contracts?tab=todo")
        self.assertEqual(st, 200, doc)
        return doc["total"]

    def test_the_sends_past_the_cap_are_refused_and_record_nothing(self):
        for slug in ("buyer", "supplier", "logistics"):
            self.login(slug)
        drafts = [self.draft("buyer", "Spam %d" % i) for i in range(4)]
        for n in drafts[:3]:
            st, _, _, doc = self.call("buyer", "POST", "/api/v1/contracts/%s/send" % n)
            self.assertEqual(st, 200, doc)
        self.assertEqual(self.todo(), 3)
        before = self.counts()
        doc = self.assertProblem(self.call("buyer", "POST",
                                           "/api/v1/contracts/%s/send" % drafts[3]),
                                 429, "rate_limited")
        self.assertIn("sent 3 contracts in the last 24 hours", doc["detail"])
        self.assertIn("the next at", doc["detail"])
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.todo(), 3)
        st, _, _, c = self.call("buyer", "GET", "/api/v1/contracts/%s" % drafts[3])
        self.assertEqual((st, c["status"]), (200, "draft"), c)
        # The cap is the sender's: another organization still sends.
        st, _, _, doc = self.call("logistics", "POST",
                                  "/api/v1/contracts/%s/send" % self.draft("logistics", "Other"))
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.todo(), 4)
        # A day later the buyer sends again.
        self.db.query("UPDATE contracts SET sent_at = sent_at - interval '1 day'"
                      " WHERE sent_at IS NOT NULL")
        st, _, _, doc = self.call("buyer", "POST", "/api/v1/contracts/%s/send" % drafts[3])
        self.assertEqual((st, doc["status"]), (200, "signing"), doc)

    def test_sends_at_once_count_each_other(self):
        """Each send holds only its own contract's row: without a lock on the
        organization, sends at once would each count the others' as not yet
        sent and all pass."""
        self.login("buyer")
        self.login("supplier")
        drafts = [self.draft("buyer", "At once %d" % i) for i in range(8)]
        got = harness.parallel(8, lambda i: self.call(
            "buyer", "POST", "/api/v1/contracts/%s/send" % drafts[i])[0])
        self.assertEqual(sorted(got), [200] * 3 + [429] * 5, got)
        self.assertEqual(self.db.query("SELECT count(*) FROM contracts WHERE sent_at IS NOT NULL"),
                         "3")
        self.assertEqual(self.todo(), 3)


class MetricsGate(AttackCase):
    """sec41: /metrics told anyone who asked the routes in use, the load, the
    pool and the caches' sizes. It answers only the bearer of the token whose
    SHA-256 server.metrics_token_sha256 holds; without that key it is no
    route, as an unknown path."""

    def test_metrics_need_the_metrics_token(self):
        self.login("buyer")
        for h in ({}, {"Authorization": "Bearer wrong-token"},
                  {"Authorization": "Bearer " + harness.METRICS_TOKEN + "x"},
                  {"Authorization": "Basic " + harness.METRICS_TOKEN},
                  bearer(self.tokens["buyer"])):
            with self.subTest(h=h):
                st, hdrs, body, doc = self.server.request("GET", "/metrics", headers=h)
                self.assertEqual((st, doc and doc["code"]), (401, "unauthorized"), body)
                self.assertEqual(hdrs["www-authenticate"], 'Bearer realm="metrics"')
                self.assertNotIn(b"sealpact_", body)
        st, hdrs, body, _ = self.server.metrics()
        self.assertEqual(st, 200, body)
        self.assertIn(b"sealpact_http_requests_total", body)

    def test_without_a_token_configured_metrics_are_no_route(self):
        d = os.path.join(self.tmp, "open")
        os.makedirs(d)
        srv = harness.Server(d, self.db.url, tls=False,
                             extra={"server": {"metrics_token_sha256": None}})
        self.addCleanup(srv.stop)
        srv.start()
        unknown = srv.request("GET", "/no-such-path")
        for h in ({}, harness.METRICS_AUTH):
            st, _, body, doc = srv.request("GET", "/metrics", headers=h)
            self.assertEqual((st, doc["code"], doc["detail"]),
                             (404, "not_found", unknown[3]["detail"]), body)
            self.assertNotIn(b"sealpact_", body)

    def test_a_token_hash_that_is_not_one_stops_start_up(self):
        d = os.path.join(self.tmp, "bad")
        os.makedirs(d)
        srv = harness.Server(d, self.db.url, tls=False,
                             extra={"server": {"metrics_token_sha256": harness.METRICS_TOKEN}})
        self.addCleanup(srv.stop)
        with self.assertRaises(RuntimeError) as cm:
            srv.start()
        self.assertIn("server.metrics_token_sha256: not 64 hex digits", str(cm.exception))


class UnreachableResponder(AttackCase):
    """The platform's own OCSP responder (trust.ocsp_url) cannot be reached
    and no CRL answers: a login or a signature is refused as 503, and the
    answer does not tell the caller where the responder is (the log does)."""

    def test_revocation_unknown_names_no_address(self):
        n = self.supplier_to_sign("Revocation")
        port = harness.refused_port(self)
        d = os.path.join(self.tmp, "down")
        os.makedirs(d)
        down = harness.Server(d, self.db.url, tls=False, extra={"trust": PKI.trust_config(
            crls=[], ocsp_url="http://127.0.0.1:%d/ocsp" % port)})
        self.addCleanup(down.stop)
        down.start()
        crt, key = PKI.org_cert("supplier", "ec")
        st, _, _, doc = api_login(down, crt, key)
        self.assertEqual(st, 503, doc)
        self.assertNotIn(str(port), doc["detail"])
        self.assertNotIn("127.0.0.1", doc["detail"])
        st, _, _, doc = down.request("POST", "/api/v1/contracts/%s/signing-sessions" % n, body={
            "certificate": base64.b64encode(harness.der_of(crt)).decode(),
            "chain": [base64.b64encode(harness.der_of(PKI.path("ca.pem"))).decode()],
            "placements": []}, headers=bearer(self.tokens["supplier"]))
        self.assertEqual(st, 503, doc)
        self.assertNotIn(str(port), doc["detail"])
        self.assertNotIn("127.0.0.1", doc["detail"])
        self.assertIn(str(port), down.log())
        self.assertEqual(self.db.query("SELECT count(*) FROM signing_sessions"), "0")
        # Anyone's verification of a file signed elsewhere (no revocation
        # evidence in it): the report says the status is unknown, not where
        # the responder is.
        signed = os.path.join(self.tmp, "offline.pdf")
        key = PKI.org_cert("supplier", "ec")[1]
        harness.run([harness.SEALPACT, "sign", "--offline", SHORT, signed, "--key", key,
                     "--cert", crt, "--date", "1,450,80", "--chain", PKI.path("chain.pem"),
                     "--tsa-cert", PKI.path("tsa.crt"), "--tsa-key", PKI.path("tsa.key"),
                     "--tsa-trust", PKI.path("root.pem")])
        with open(signed, "rb") as f:
            st, _, data, doc = down.request("POST", "/api/v1/verify", body=f.read(),
                                            headers={"Content-Type": "application/pdf"})
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["verdict"], "indeterminate", doc)
        self.assertIn("revocation", data.decode())
        self.assertNotIn(str(port), data.decode())
        self.assertNotIn("127.0.0.1", data.decode())


if __name__ == "__main__":
    unittest.main()
