"""sec42: what round twelve left open. An organization's drafts are bounded
(live ones, their bytes, creations a day), POST /tsa has a per-address rate
limit, the evidence route answers a contract's own 404 before saying what
the server lacks, the review queue's q counts characters as its message
says, and a list's q finds % and _ as themselves."""

import base64
import os
import subprocess
import time
import unittest

import harness
from harness import create_reviewer
import test_attacks
from test_attacks import AttackCase

FIXTURES = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts")


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class CapsCase(AttackCase):

    def create(self, slug, name, pdf=None, headers=None):
        return self.call(slug, "POST", "/api/v1/contracts",
                         {"name": name, "pdf_base64": pdf or self.pdf_b64()}, headers)

    def drafts(self, slug="buyer"):
        return int(self.db.query(
            "SELECT count(*) FROM contracts WHERE status = 'draft' AND initiator_org_id = "
            "(SELECT id FROM organizations WHERE credit_code = '%s')"
            % self.orgs[slug]["credit_code"]))


class DraftCount(CapsCase):
    """An organization holds at most contracts.max_drafts drafts: one more is
    409 draft_limit and stores nothing; another organization is not held
    back; a deleted (or sent) draft makes room; a replay of a stored
    Idempotency-Key still answers."""
    extra = {"contracts": {"max_drafts": 3}}

    def test_the_draft_past_the_cap_is_refused_and_stores_nothing(self):
        self.login("buyer")
        self.login("supplier")
        made = []
        for i in range(3):
            st, _, _, c = self.create("buyer", "Draft %d" % i,
                                      headers={"Idempotency-Key": "d%d" % i})
            self.assertEqual(st, 201, c)
            made.append(c["number"])
        before = self.counts()
        doc = self.assertProblem(self.create("buyer", "One more"), 409, "draft_limit")
        self.assertIn("has 3 drafts", doc["detail"])
        self.assertEqual(self.counts(), before)
        # A replay of a stored key is no new draft: it answers as before.
        st, _, _, again = self.create("buyer", "Draft 0", headers={"Idempotency-Key": "d0"})
        self.assertEqual((st, again["number"]), (201, made[0]), again)
        # The cap is the organization's.
        st, _, _, c = self.create("supplier", "Theirs")
        self.assertEqual(st, 201, c)
        # A deleted draft makes room.
        st, _, _, doc = self.call("buyer", "DELETE", "/api/v1/contracts/%s" % made[0])
        self.assertEqual(st, 204, doc)
        st, _, _, c = self.create("buyer", "Room again")
        self.assertEqual(st, 201, c)
        self.assertEqual(self.drafts(), 3)

    def test_drafts_at_once_count_each_other(self):
        """Without a lock on the organization, creations at once would each
        count the others' drafts as not yet there and all pass."""
        self.login("buyer")
        got = harness.parallel(8, lambda i: self.create("buyer", "At once %d" % i)[0])
        self.assertEqual(sorted(got), [201] * 3 + [409] * 5, got)
        self.assertEqual(self.drafts(), 3)


class DraftBytes(CapsCase):
    """The uploads of an organization's drafts hold at most
    contracts.max_draft_bytes together, the new one included."""
    extra = {"contracts": {"max_draft_bytes": "1 MiB"}}

    def test_the_upload_past_the_byte_budget_is_refused(self):
        self.login("buyer")
        with open(os.path.join(FIXTURES, "contract30.pdf"), "rb") as f:
            big = base64.b64encode(f.read()).decode()
        st, _, _, c = self.create("buyer", "Big 0", big)
        self.assertEqual(st, 201, c)
        size = int(self.db.query("SELECT length FROM revisions WHERE contract_number = %s"
                                 % c["number"]))
        fit = (1 << 20) // size
        self.assertGreater(fit, 1)
        for i in range(1, fit):
            st, _, _, c = self.create("buyer", "Big %d" % i, big)
            self.assertEqual(st, 201, c)
        before = self.counts()
        doc = self.assertProblem(self.create("buyer", "Big one more", big), 409, "draft_limit")
        self.assertIn("would pass the 1048576 allowed", doc["detail"])
        self.assertEqual(self.counts(), before)
        # A smaller upload that still fits is taken.
        room = (1 << 20) - fit * size
        st, _, _, c = self.create("buyer", "Small")
        self.assertEqual(st, 201 if room >= 8870 // 2 else 409, c)


class DraftsCreatedPerDay(CapsCase):
    """Deleting a draft frees its bytes, not its two audit events: a
    create-then-delete loop grew audit_events without end. An organization
    creates at most contracts.max_created_per_day drafts in any 24 hours,
    deleted ones included; one more is 429 rate_limited and stores nothing."""
    extra = {"contracts": {"max_created_per_day": 4}}

    def test_create_then_delete_loops_are_bounded(self):
        self.login("buyer")
        # Creations of yesterday count no more (the audit trail is append-only:
        # they are written as the loop would have left them).
        self.db.query(
            "INSERT INTO audit_events (contract_number, actor_org_id, action, object_type,"
            " object_id, at) SELECT 1000 + g, o.id, 'contract.created', 'contract',"
            " (1000 + g)::text, now() - interval '1 day' - g * interval '1 minute'"
            " FROM organizations o, generate_series(1, 10) g WHERE o.credit_code = '%s'"
            % self.orgs["buyer"]["credit_code"])
        for i in range(4):
            st, _, _, c = self.create("buyer", "Loop %d" % i)
            self.assertEqual(st, 201, c)
            st, _, _, doc = self.call("buyer", "DELETE", "/api/v1/contracts/%s" % c["number"])
            self.assertEqual(st, 204, doc)
        self.assertEqual(self.drafts(), 0)
        before = self.counts()
        doc = self.assertProblem(self.create("buyer", "Loop 4"), 429, "rate_limited")
        self.assertIn("created 4 contracts in the last 24 hours", doc["detail"])
        self.assertIn("the next at", doc["detail"])
        self.assertEqual(self.counts(), before)
        # Another organization still creates.
        self.login("supplier")
        st, _, _, c = self.create("supplier", "Theirs")
        self.assertEqual(st, 201, c)


class TsaRate(CapsCase):
    """POST /tsa (no login) gave one address as many timestamps as the
    workers could make; now tsa.max_per_minute, then 429 with Retry-After."""

    def setUp(self):
        pki = test_attacks.PKI
        self.extra = {"tsa": {"mode": "builtin", "cert": pki.path("tsa.crt"),
                              "key": pki.path("tsa.key"), "chain": pki.path("chain.pem"),
                              "trust": pki.path("root.pem"), "max_per_minute": 3}}
        super().setUp()

    def test_timestamps_past_the_minute_limit_are_429(self):
        query = subprocess.run(["openssl", "ts", "-query", "-data", "/dev/null", "-sha256",
                                "-cert"], capture_output=True, check=True).stdout
        self.assertTrue(query)
        h = {"Content-Type": "application/timestamp-query"}
        for _ in range(3):
            st, _, data, _ = self.server.request("POST", "/tsa", body=query, headers=h)
            self.assertEqual(st, 200, data)
        st, hdrs, _, doc = self.server.request("POST", "/tsa", body=query, headers=h)
        self.assertEqual((st, doc["code"]), (429, "rate_limited"), doc)
        self.assertGreaterEqual(int(hdrs["retry-after"]), 1)
        self.assertLessEqual(int(hdrs["retry-after"]), 60)


class EvidenceOrder(CapsCase):
    """Without an evidence key the report route answered 503
    evidence_not_configured to anyone, before it looked for the contract:
    a non-party (or a number that does not exist) gets the contract's 404
    first; a party still learns the server cannot make reports."""

    def test_a_non_party_gets_404_before_the_503(self):
        self.login("buyer")
        self.login("logistics")
        st, _, _, c = self.create("buyer", "Evidence")
        self.assertEqual(st, 201, c)
        path = "/api/v1/contracts/%s/evidence" % c["number"]
        for slug, number in (("logistics", c["number"]), ("buyer", "1999999999999999999")):
            with self.subTest(slug=slug):
                self.assertProblem(self.call(slug, "GET", "/api/v1/contracts/%s/evidence"
                                             % number), 404, "not_found")
        self.assertProblem(self.call("buyer", "GET", path), 503, "evidence_not_configured")


class ListText(CapsCase):
    """A list's q is text, not a LIKE pattern: % and _ are found as
    themselves, in short searches and in ones the trigram index serves."""

    def test_percent_and_underscore_are_literal(self):
        self.login("buyer")
        names = ["Rebate 50% off", "Rebate 500 units", "Lot a_b", "Lot axb", "Lot a%b"]
        for name in names:
            st, _, _, c = self.create("buyer", name)
            self.assertEqual(st, 201, c)

        def found(q):
            st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts?tab=drafts&q=" + q)
            self.assertEqual(st, 200, doc)
            return sorted(i["name"] for i in doc["items"])

        self.assertEqual(found("50%25"), ["Rebate 50% off"])
        self.assertEqual(found("%25"), ["Lot a%b", "Rebate 50% off"])
        self.assertEqual(found("a_b"), ["Lot a_b"])
        self.assertEqual(found("_"), ["Lot a_b"])
        self.assertEqual(found("t+a_"), ["Lot a_b"])
        self.assertEqual(found("a%25b"), ["Lot a%b"])
        self.assertEqual(found("%5C"), [])


class ReviewQueueText(CapsCase):
    """The review queue's q said "1-100 printable characters" and allowed
    200 bytes: 101 ASCII letters passed, 70 Chinese characters (210 bytes)
    did not. Now it counts characters, as the message says."""

    def test_q_counts_characters(self):
        p = create_reviewer(self.server, "rev1", "correct horse battery")
        self.assertEqual(p.returncode, 0, p.stderr)
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login", {
            "username": "rev1", "password": "correct horse battery"})
        self.assertEqual(st, 200, doc)
        h = harness.bearer(doc["token"])

        def ask(q):
            return self.server.request("GET", "/api/v1/review/applications?q=" + q, headers=h)

        st, _, _, doc = ask("%E4%BE%9B" * 100)  # 100 characters, 300 bytes
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["items"], [], doc)
        doc = self.assertProblem(ask("a" * 101), 400, "invalid")
        self.assertEqual(doc["detail"], "q must be 1-100 printable characters")
        doc = self.assertProblem(ask("%E4%BE%9B" * 101), 400, "invalid")


class LoginNamesHidden(CapsCase):
    """A reviewer login answered an unknown username the same 401 and the
    same scrypt as a wrong password, but only a real account was locked:
    after login_max_failures wrong passwords, a real name answered 429
    login_locked, a made-up one 401 again. And from a blocked address a
    made-up name was refused before hashing, a real one after: the time told
    them apart. Now a made-up name is counted and locked as an account is,
    and hashed whatever the address's state."""
    extra = {"auth": {"login_max_failures": 3, "ip_max_failures": 7}}

    def login(self, username, password="wrong"):
        t0 = time.monotonic()
        st, hdrs, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login",
                                               body={"username": username,
                                                     "password": password})
        return (st, doc.get("code"), "retry-after" in hdrs), time.monotonic() - t0

    def test_a_made_up_name_is_answered_as_a_real_one(self):
        p = create_reviewer(self.server, "alice", "correct horse battery")
        self.assertEqual(p.returncode, 0, p.stderr)
        real = [self.login("alice")[0] for _ in range(4)]
        made_up = [self.login("nobody-at-all")[0] for _ in range(4)]
        want = [(401, "invalid_credentials", False)] * 2 + [(429, "login_locked", True)] * 2
        self.assertEqual(real, want)
        self.assertEqual(made_up, want)
        # Six failures counted on the address (not the attempts while locked); the
        # seventh blocks it. Then fresh names, real or not, get the same 429, after
        # the same scrypt.
        p = create_reviewer(self.server, "bob", "another battery staple")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.login("bob")[0], (401, "invalid_credentials", False))
        made_up = self.login("nobody-else")
        real = self.login("bob")
        self.assertEqual(real[0], (429, "rate_limited", True))
        self.assertEqual(made_up[0], real[0])
        # A real account's scrypt takes tens of milliseconds or more; a refusal
        # before hashing took a few.
        self.assertGreater(made_up[1], real[1] / 4, (made_up[1], real[1]))
        # The right password still logs in from the blocked address.
        self.assertEqual(self.login("bob", "another battery staple")[0][0], 200)


class LookAlikeNames(CapsCase):
    """An organization's and a user's names come from the certificate, and
    control and bidi characters were refused there; characters shown as
    nothing were not, so "Buyer\u200bCo" (a zero-width space) showed as
    another organization's "BuyerCo" in every list and on every seal, with a
    credit code of its own. Refused at login as the API refuses them in the
    names it takes; nothing is created."""

    def test_invisible_characters_in_the_certificate_names_are_refused(self):
        pki = test_attacks.PKI
        code = pki.orgs[2]["credit_code"]
        before = self.counts()
        for i, (o, cn) in enumerate((("Buyer\u200bCo", "Bob"), ("\ufeffBuyer Co", "Bob"),
                                     ("Buyer Co", "Bo\u2060b"), ("Buyer\u3164Co", "Bob"))):
            crt, key = pki.issue("lookalike%d" % i, "/O=%s/organizationIdentifier=%s/CN=%s"
                                 % (o, code, cn))
            with self.subTest(o=o, cn=cn):
                got = harness.api_login(self.server, crt, key)
                doc = self.assertProblem(got, 400, "malformed_certificate")
                self.assertIn("invisible", doc["detail"])
        self.assertEqual(self.counts(), before)
        # A visible name of the same organization logs in.
        crt, key = pki.issue("visible", "/O=Buyer Co/organizationIdentifier=%s/CN=Bob" % code)
        st, _, _, doc = harness.api_login(self.server, crt, key)
        self.assertEqual((st, doc["organization"]["name"]), (200, "Buyer Co"), doc)


class OpenSealApplications(CapsCase):
    """Any member could apply for seals without end, each application with
    room for a 10 MiB scan and each submitted one in the one queue every
    reviewer works. An organization has at most seals.max_open_applications
    open (draft, under review, rejected); one more is 409 application_limit
    and stores nothing."""
    extra = {"seals": {"max_open_applications": 3}}

    def apply(self, slug, name):
        return self.call(slug, "POST", "/api/v1/seal-applications",
                         {"name": name, "type": "contract"})

    def test_the_application_past_the_cap_is_refused(self):
        self.login("supplier")
        self.login("logistics")
        ids = []
        for i in range(3):
            st, _, _, doc = self.apply("supplier", "供应商合同专用章%d" % i)
            self.assertEqual(st, 201, doc)
            ids.append(doc["id"])
        seals = self.db.query("SELECT count(*) FROM seals")
        events = self.db.query("SELECT count(*) FROM org_audit_events")
        doc = self.assertProblem(self.apply("supplier", "供应商合同专用章9"), 409,
                                 "application_limit")
        self.assertIn("has 3 open seal applications", doc["detail"])
        self.assertEqual(self.db.query("SELECT count(*) FROM seals"), seals)
        self.assertEqual(self.db.query("SELECT count(*) FROM org_audit_events"), events)
        # Another organization's are its own.
        st, _, _, doc = self.apply("logistics", "物流合同专用章")
        self.assertEqual(st, 201, doc)
        # A cancelled application is not open.
        st, _, _, doc = self.call("supplier", "POST",
                                  "/api/v1/seal-applications/%s/cancel" % ids[0], b"",
                                  {"Content-Type": "application/json"})
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.apply("supplier", "供应商合同专用章9")
        self.assertEqual(st, 201, doc)


class SealApplicationsPerDay(CapsCase):
    """A cancelled application keeps its scan: apply, upload 10 MiB, cancel,
    over and over, stored without end (the open cap never saw it). An
    organization applies at most seals.max_applications_per_day times in
    any 24 hours; one more is 429 rate_limited and stores nothing."""
    extra = {"seals": {"max_applications_per_day": 3}}

    def test_apply_cancel_loops_are_bounded(self):
        self.login("supplier")
        for i in range(3):
            st, _, _, doc = self.call("supplier", "POST", "/api/v1/seal-applications",
                                      {"name": "供应商合同专用章%d" % i, "type": "contract"})
            self.assertEqual(st, 201, doc)
            st, _, _, doc = self.call("supplier", "POST",
                                      "/api/v1/seal-applications/%s/cancel" % doc["id"], b"",
                                      {"Content-Type": "application/json"})
            self.assertEqual(st, 200, doc)
        seals = self.db.query("SELECT count(*) FROM seals")
        st, hdrs, _, doc = self.call("supplier", "POST", "/api/v1/seal-applications",
                                     {"name": "供应商合同专用章9", "type": "contract"})
        self.assertEqual((st, doc["code"]), (429, "rate_limited"), doc)
        self.assertIn("applied for seals 3 times in the last 24 hours", doc["detail"])
        self.assertIn("the next at", doc["detail"])
        self.assertEqual(self.db.query("SELECT count(*) FROM seals"), seals)


if __name__ == "__main__":
    unittest.main()
