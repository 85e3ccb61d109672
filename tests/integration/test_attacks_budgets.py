"""sec43: the loops round thirteen left open. Each request below appends an
audit event that stays (and the last two a row that stays), so one member
repeating it grew the database at its pace: a draft PATCHed again and
again, a seal application's scan uploaded again and again (or the
application modified), a webhook registered and removed, an API key created
and revoked. Each is now a budget of the organization in any 24 hours; one
more is 429 rate_limited, saying when the next is allowed, and changes
nothing. Removing a webhook and revoking a key are never refused."""

import base64
import http.client
import json
import os
import unittest

import harness
import test_attacks
from test_attacks import AttackCase

SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class BudgetCase(AttackCase):

    def org_events(self, slug, action):
        return int(self.db.query(
            "SELECT count(*) FROM org_audit_events WHERE action = '%s' AND organization_id = "
            "(SELECT id FROM organizations WHERE credit_code = '%s')"
            % (action, self.orgs[slug]["credit_code"])))

    def refused(self, resp, what):
        doc = self.assertProblem(resp, 429, "rate_limited")
        self.assertIn("this organization %s 3 times in the last 24 hours" % what, doc["detail"])
        self.assertIn("the next at", doc["detail"])
        return doc

    def a_day_later(self):
        for table in ("audit_events", "org_audit_events"):
            self.db.query("ALTER TABLE %s DISABLE TRIGGER USER" % table)
            self.db.query("UPDATE %s SET at = at - interval '1 day'" % table)
            self.db.query("ALTER TABLE %s ENABLE TRIGGER USER" % table)


class DraftEdits(BudgetCase):
    extra = {"contracts": {"max_edits_per_day": 3}}

    def test_patch_loops_are_bounded(self):
        self.login("buyer")
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts",
                                {"name": "Draft", "pdf_base64": self.pdf_b64()})
        self.assertEqual(st, 201, c)
        path = "/api/v1/contracts/%s" % c["number"]
        for i in range(3):
            st, _, _, doc = self.call("buyer", "PATCH", path, {"name": "Draft %d" % i})
            self.assertEqual((st, doc.get("name")), (200, "Draft %d" % i), doc)
        before = self.counts()
        self.refused(self.call("buyer", "PATCH", path, {"name": "One more"}), "edited drafts")
        self.assertEqual(self.counts(), before)
        st, _, _, doc = self.call("buyer", "GET", path)
        self.assertEqual(doc["name"], "Draft 2")
        self.a_day_later()
        st, _, _, doc = self.call("buyer", "PATCH", path, {"name": "Next day"})
        self.assertEqual((st, doc.get("name")), (200, "Next day"), doc)

    def test_edits_at_once_count_each_other(self):
        self.login("buyer")
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts",
                                {"name": "Draft", "pdf_base64": self.pdf_b64()})
        self.assertEqual(st, 201, c)
        got = harness.parallel(8, lambda i: self.call(
            "buyer", "PATCH", "/api/v1/contracts/%s" % c["number"], {"name": "At once %d" % i})[0])
        self.assertEqual(sorted(got), [200] * 3 + [429] * 5, got)


class SealApplicationChanges(BudgetCase):
    extra = {"seals": {"max_changes_per_day": 3}}

    def test_scan_and_modify_loops_are_bounded(self):
        self.login("supplier")
        st, _, _, app = self.call("supplier", "POST", "/api/v1/seal-applications",
                                  {"name": "供应商合同专用章", "type": "contract"})
        self.assertEqual(st, 201, app)
        with open(SHORT, "rb") as f:
            scan = f.read()
        path = "/api/v1/seal-applications/%s" % app["id"]
        for _ in range(2):
            st, _, _, doc = self.call("supplier", "PUT", path + "/scan", scan,
                                      {"Content-Type": "application/pdf"})
            self.assertEqual(st, 200, doc)
        st, _, _, doc = self.call("supplier", "PATCH", path, {"name": "供应商合同专用章2"})
        self.assertEqual(st, 200, doc)
        before = (self.org_events("supplier", "seal.scan_uploaded"),
                  self.org_events("supplier", "seal.modified"))
        what = "modified seal applications or uploaded their scans"
        self.refused(self.call("supplier", "PUT", path + "/scan", scan,
                               {"Content-Type": "application/pdf"}), what)
        self.refused(self.call("supplier", "PATCH", path, {"name": "供应商合同专用章3"}), what)
        self.assertEqual((self.org_events("supplier", "seal.scan_uploaded"),
                          self.org_events("supplier", "seal.modified")), before)
        st, _, _, doc = self.call("supplier", "GET", path)
        self.assertEqual(doc["name"], "供应商合同专用章2")


class WebhookRegistrations(BudgetCase):
    extra = {"webhooks": {"max_created_per_day": 3, "allow_hosts": "127.0.0.1",
                          "allow_http": "true"}}

    def test_register_remove_loops_are_bounded_and_removal_is_not(self):
        self.login("buyer")
        ids = []
        for i in range(3):
            st, _, _, doc = self.call("buyer", "POST", "/api/v1/webhooks",
                                      {"url": "http://127.0.0.1:9/hook%d" % i},
                                      {"Idempotency-Key": "hook%d" % i})
            self.assertEqual(st, 201, doc)
            ids.append(doc["id"])
        for i in ids:
            st, _, _, doc = self.call("buyer", "DELETE", "/api/v1/webhooks/%s" % i)
            self.assertIn(st, (200, 204), doc)
        before = (self.counts(), self.org_events("buyer", "webhook.created"))
        self.refused(self.call("buyer", "POST", "/api/v1/webhooks",
                               {"url": "http://127.0.0.1:9/again"}), "registered webhooks")
        self.assertEqual((self.counts(), self.org_events("buyer", "webhook.created")), before)
        # A replay of a stored Idempotency-Key is no new registration.
        st, _, _, doc = self.call("buyer", "POST", "/api/v1/webhooks",
                                  {"url": "http://127.0.0.1:9/hook0"}, {"Idempotency-Key": "hook0"})
        self.assertEqual((st, doc.get("id")), (201, ids[0]), doc)


class ApiKeyCreations(BudgetCase):
    extra = {"auth": {"max_api_keys_per_day": 3}}

    def test_create_revoke_loops_are_bounded_and_revoking_is_not(self):
        self.login("buyer")
        ids = []
        for i in range(3):
            st, _, _, doc = self.call("buyer", "POST", "/api/v1/api-keys", {"name": "k%d" % i})
            self.assertEqual(st, 201, doc)
            ids.append(doc["id"])
        st, _, _, doc = self.call("buyer", "DELETE", "/api/v1/api-keys/%s" % ids[0])
        self.assertIn(st, (200, 204), doc)
        keys = self.db.query("SELECT count(*) FROM api_keys")
        before = self.org_events("buyer", "api_key.created")
        self.refused(self.call("buyer", "POST", "/api/v1/api-keys", {"name": "k9"}),
                     "created API keys")
        self.assertEqual(self.db.query("SELECT count(*) FROM api_keys"), keys)
        self.assertEqual(self.org_events("buyer", "api_key.created"), before)
        # A key that leaked is revoked whatever the budget says.
        st, _, _, doc = self.call("buyer", "DELETE", "/api/v1/api-keys/%s" % ids[1])
        self.assertIn(st, (200, 204), doc)
        self.a_day_later()
        st, _, _, doc = self.call("buyer", "POST", "/api/v1/api-keys", {"name": "k10"})
        self.assertEqual(st, 201, doc)



class MemberLogins(BudgetCase):
    """sec44: each login of a member is a 'session.login' event (and a session row)
    that stays; a member (or a script with its key) logging in again and again grew
    them at the database's pace. auth.max_logins_per_day bounds the organization's."""
    extra = {"auth": {"max_logins_per_day": 3}}

    def test_login_loops_are_bounded_per_organization(self):
        for _ in range(3):
            self.login("buyer")
        sessions = self.db.query("SELECT count(*) FROM sessions")
        before = self.org_events("buyer", "session.login")
        crt, key = self.pki_cert("buyer")
        challenge = harness.api_challenge(self.server)
        self.refused(harness.api_login(self.server, crt, key, challenge=challenge),
                     "logged in")
        self.assertEqual(self.db.query("SELECT count(*) FROM sessions"), sessions)
        self.assertEqual(self.org_events("buyer", "session.login"), before)
        # The refused login did not use its challenge up, and another organization
        # is not held back.
        self.login("supplier")
        self.a_day_later()
        st, _, _, doc = harness.api_login(self.server, crt, key, challenge=challenge)
        self.assertEqual(st, 200, doc)

    def pki_cert(self, slug):
        return test_attacks.PKI.org_cert(slug, "ec")


class LoginsFrom(BudgetCase):
    """Logins of the buyer's members from chosen addresses."""

    def member(self, cn):
        o = self.orgs["buyer"]
        return test_attacks.PKI.issue("member-" + cn, "/O=%s/organizationIdentifier=%s/CN=%s"
                                      % (o["name"], o["credit_code"], cn))

    def login_from(self, source, cert, challenge=None, header=b""):
        """A login whose connection comes from the loopback address source, header (a
        balancer's PROXY line) sent first on it."""
        crt, key = cert
        challenge = challenge or harness.api_challenge(self.server)
        sig = harness.openssl_sign(key, base64.b64decode(challenge))
        body = json.dumps({"certificate": base64.b64encode(harness.der_of(crt)).decode(),
                           "challenge": challenge,
                           "signature": base64.b64encode(sig).decode()}).encode()
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30,
                                       source_address=(source, 0))
        if header:
            c.connect()
            c.sock.sendall(header)
        try:
            c.request("POST", "/api/v1/auth/login", body=body,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data, json.loads(data)
        finally:
            c.close()

    def ok(self, source, cert):
        st, _, _, doc = self.login_from(source, cert)
        self.assertEqual(st, 200, doc)

    def refused_as(self, resp, who, n):
        doc = self.assertProblem(resp, 429, "rate_limited")
        self.assertIn("%s logged in %d times in the last 24 hours" % (who, n), doc["detail"])
        self.assertIn("the next at", doc["detail"])

    def stored(self):
        return (self.db.query("SELECT count(*) FROM sessions"),
                self.org_events("buyer", "session.login"))


class MemberLoginsApart(LoginsFrom):
    """sec46: 059's budget counted an organization's member logins together, so one member
    (or whoever holds one member's token and PIN) logging in again and again locked every
    other member out for a day. Now a member has a budget of its own and the members at one
    client address one of theirs, both within the organization's ceiling, which still stops
    many members or addresses together."""
    extra = {"auth": {"max_logins_per_day": 6, "max_member_logins_per_day": 2,
                      "max_address_logins_per_day": 4}}

    def test_one_member_does_not_use_up_the_others_logins(self):
        alice, bob, carol, dave = (self.member(n) for n in ("Alice", "Bob", "Carol", "Dave"))
        self.ok("127.0.0.1", alice)
        self.ok("127.0.0.1", alice)
        before = self.stored()
        challenge = harness.api_challenge(self.server)
        self.refused_as(self.login_from("127.0.0.1", alice, challenge), "this member", 2)
        self.refused_as(self.login_from("127.0.0.2", alice), "this member", 2)
        self.assertEqual(self.stored(), before)
        # The other members still log in, from that address up to its budget.
        self.ok("127.0.0.1", bob)
        self.ok("127.0.0.1", bob)
        before = self.stored()
        self.refused_as(self.login_from("127.0.0.1", carol),
                        "this organization's members at this address", 4)
        self.assertEqual(self.stored(), before)
        self.ok("127.0.0.2", carol)
        self.ok("127.0.0.2", carol)
        # The organization's ceiling: six logins of three members at two addresses.
        before = self.stored()
        self.refused_as(self.login_from("127.0.0.3", dave), "this organization", 6)
        self.assertEqual(self.stored(), before)
        # A day later the refused login's challenge is still good.
        self.a_day_later()
        st, _, _, doc = self.login_from("127.0.0.1", alice, challenge)
        self.assertEqual(st, 200, doc)


class AddressLoginsBy64(LoginsFrom):
    """sec47: the members at one address share a budget, and an IPv6 address is its /64
    (what one host is commonly given): the addresses a client names behind the balancer
    (PROXY TCP6), and the IPv4 clients of a server listening on "::", which the kernel
    hands over as ::ffff:a.b.c.d, each an address of its own."""
    extra = {"server": {"host": "::", "trusted_proxies": "127.0.0.1"},
             "auth": {"max_logins_per_day": 100, "max_member_logins_per_day": 100,
                      "max_address_logins_per_day": 2}}

    def v6(self, address):
        return ("PROXY TCP6 %s 2001:db8::1 40000 8080\r\n" % address).encode()

    def test_an_ipv6_64_is_one_address(self):
        alice = self.member("Alice")
        who = "this organization's members at this address"
        st, _, _, doc = self.login_from("127.0.0.1", alice, header=self.v6("2001:db8:1:2::10"))
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.login_from("127.0.0.1", alice,
                                        header=self.v6("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        self.assertEqual(st, 200, doc)
        before = self.stored()
        self.refused_as(self.login_from("127.0.0.1", alice, header=self.v6("2001:db8:1:2::99")),
                        who, 2)
        self.assertEqual(self.stored(), before)
        # The next /64 (and the one before) each have their own.
        for a in ("2001:db8:1:3::10", "2001:db8:1:1:ffff:ffff:ffff:ffff"):
            st, _, _, doc = self.login_from("127.0.0.1", alice, header=self.v6(a))
            self.assertEqual(st, 200, (a, doc))
        ips = self.db.query("SELECT string_agg(host(ip), ' ' ORDER BY id) FROM org_audit_events "
                            "WHERE action = 'session.login'")
        self.assertEqual(ips.split(), ["2001:db8:1:2::10", "2001:db8:1:2:ffff:ffff:ffff:ffff",
                                       "2001:db8:1:3::10", "2001:db8:1:1:ffff:ffff:ffff:ffff"])

    def test_ipv4_clients_of_a_dual_stack_listener_are_apart(self):
        alice = self.member("Alice")
        self.ok("127.0.0.2", alice)
        self.ok("127.0.0.2", alice)
        self.refused_as(self.login_from("127.0.0.2", alice),
                        "this organization's members at this address", 2)
        # Another IPv4 client is another address, not the same "::/64".
        self.ok("127.0.0.3", alice)
        ips = self.db.query("SELECT string_agg(host(ip), ' ' ORDER BY id) FROM org_audit_events "
                            "WHERE action = 'session.login'")
        self.assertEqual(ips.split(), ["127.0.0.2", "127.0.0.2", "127.0.0.3"])


if __name__ == "__main__":
    unittest.main()
