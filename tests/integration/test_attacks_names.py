"""sec43: organizations whose names show alike. A certificate's O names its
organization in every list, on every contract and in the reviewers'
console; 052 refused characters shown as nothing, but a Cyrillic letter in
a Latin name, full-width letters, another case or spacing, or a decomposed
accent still registered a second organization that a bank's clerk could not
tell from the first. Names are now stored in NFC and compared by a key
(NFKC, the UTS #39 confusable skeleton, case folded, spaces collapsed): the
login that would register a look-alike is 409 organization_name_taken and
creates nothing; the organization itself logs in as before."""

import unittest
import urllib.parse

import harness
from harness import bearer
import test_attacks
from test_attacks import AttackCase
from test_workflow import credit_code


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class LookAlikeOrganizations(AttackCase):

    def cert(self, n, o, cn="Bob"):
        return test_attacks.PKI.issue("names%d%s" % (n, cn), "/O=%s/organizationIdentifier=%s/CN=%s"
                                      % (o, credit_code(n), cn))

    def login_as(self, n, o, cn="Bob"):
        return harness.api_login(self.server, *self.cert(n, o, cn))

    def test_a_look_alike_of_a_registered_name_does_not_register(self):
        st, _, _, doc = self.login_as(701, "BuyerCo Ltd")
        self.assertEqual((st, doc["organization"]["name"]), (200, "BuyerCo Ltd"), doc)
        before = self.counts()
        for n, o in enumerate(("\u0412uyerCo Ltd",       # Cyrillic capital Ve for B
                               "BuyerC\u043e Ltd",       # Cyrillic small o
                               "\uff22\uff55\uff59\uff45\uff52\uff23\uff4f \uff2c\uff54\uff44",
                               "BUYERCO LTD", "buyerco ltd", "BuyerCo  Ltd", "BuyerCo\u00a0Ltd",
                               " BuyerCo Ltd", "BuyerCo Ltd\u3000"), start=702):
            with self.subTest(o=o):
                doc = self.assertProblem(self.login_as(n, o), 409, "organization_name_taken")
                self.assertIn("registered already", doc["detail"])
        self.assertEqual(self.counts(), before)
        # The organization itself, with another certificate, logs in as before; a name
        # that only looks different registers.
        st, _, _, doc = self.login_as(701, "BuyerCo Ltd", cn="Alice")
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.login_as(720, "BuyerCo Trading Ltd")
        self.assertEqual((st, doc["organization"]["name"]), (200, "BuyerCo Trading Ltd"), doc)

    def test_names_are_stored_in_nfc(self):
        st, _, _, doc = self.login_as(731, "Cafe\u0301 Co", cn="Ame\u0301lie")
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["organization"]["name"], "Caf\u00e9 Co")
        self.assertEqual(self.db.query(
            "SELECT name FROM organizations WHERE credit_code = '%s'" % credit_code(731)),
            "Caf\u00e9 Co")
        self.assertEqual(self.db.query(
            "SELECT u.name FROM users u JOIN organizations o ON o.id = u.organization_id "
            "WHERE o.credit_code = '%s'" % credit_code(731)), "Am\u00e9lie")
        doc = self.assertProblem(self.login_as(732, "Caf\u00e9 Co"), 409,
                                 "organization_name_taken")

    def test_look_alikes_at_once_register_one(self):
        names = ["Seller Co", "S\u0435ller Co", "SELLER CO", "\uff33eller Co"]
        certs = [self.cert(740 + i, o) for i, o in enumerate(names)]
        got = harness.parallel(4, lambda i: harness.api_login(self.server, *certs[i])[0])
        self.assertEqual(sorted(got), [200, 409, 409, 409], got)



class DisplayTextInNfc(AttackCase):
    """sec44: what one organization names and another reads (a contract's name, its
    parties' names, a rejection's reason, a seal application's name, an API key's
    name) is stored in one normalization form, NFC: "é" typed as e + U+0301 and as
    U+00E9 are the same text, the same bytes, and search and comparisons agree."""

    DEC, NFC = "Cafe\u0301 \u212b \u5408\u540c", "Caf\u00e9 \u00c5 \u5408\u540c"

    def test_display_text_is_stored_in_nfc(self):
        self.login("buyer")
        self.login("supplier")
        code = self.orgs["supplier"]["credit_code"]
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts", {
            "name": self.DEC, "pdf_base64": self.pdf_b64(),
            "parties": [{"credit_code": code, "role": "signer", "name": self.DEC}]})
        self.assertEqual(st, 201, c)
        path = "/api/v1/contracts/%s" % c["number"]
        st, _, _, doc = self.call("buyer", "GET", path)
        self.assertEqual(doc["name"], self.NFC)
        self.assertEqual(self.db.query("SELECT name FROM contracts"), self.NFC)
        st, _, _, doc = self.call("buyer", "PATCH", path, {"name": "v2 " + self.DEC})
        self.assertEqual((st, doc.get("name")), (200, "v2 " + self.NFC), doc)
        # Searched for as typed either way, it is found.
        for typed in (self.DEC, self.NFC):
            st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts?tab=drafts&q=" +
                                      urllib.parse.quote(typed.split(" ")[0]))
            self.assertEqual((st, [i["number"] for i in doc["items"]]), (200, [c["number"]]),
                             typed)
        st, _, _, app = self.call("supplier", "POST", "/api/v1/seal-applications",
                                  {"name": self.DEC, "type": "contract"})
        self.assertEqual((st, app.get("name")), (201, self.NFC), app)
        st, _, _, key = self.call("buyer", "POST", "/api/v1/api-keys", {"name": self.DEC})
        self.assertEqual(st, 201, key)
        self.assertEqual(self.db.query("SELECT name FROM api_keys"), self.NFC)
        # The party's name as the initiator wrote it (the first certificate renames the row).
        st, _, _, doc = self.call("buyer", "POST", path + "/send")
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.call("supplier", "POST", path + "/reject", {"reason": self.DEC})
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.call("buyer", "GET", path)
        got = [p.get("reject_reason") for p in doc["parties"] if p.get("reject_reason")]
        self.assertEqual(got, [self.NFC], doc["parties"])


class PartyListNames(AttackCase):
    """sec45: a party list names an organization that has not registered yet by its credit
    code and a name the initiator writes, which the contract shows until that organization
    logs in. The contract is bound to the code: a look-alike registering later does not
    receive it (held). The name was never compared: a contract could show the name of a
    registered organization for another code. Now refused as a login's look-alike is."""

    def create(self, parties, name="Parties"):
        return self.call("buyer", "POST", "/api/v1/contracts", {
            "name": name, "pdf_base64": self.pdf_b64(), "parties": parties})

    def test_a_registered_organizations_name_for_another_code_is_refused(self):
        self.login("buyer")
        supplier = self.login("supplier")["organization"]
        cert = test_attacks.PKI.issue("party760", "/O=Northwind Traders Ltd/"
                                      "organizationIdentifier=%s/CN=Bob" % credit_code(760))
        self.assertEqual(harness.api_login(self.server, *cert)[0], 200)
        before = self.counts()
        for nm in (supplier["name"], "Northwind Traders Ltd", "NORTHWIND TRADERS LTD",
                   "N\u043erthwind Traders Ltd", "Northwind  Traders Ltd"):
            with self.subTest(name=nm):
                doc = self.assertProblem(self.create([{"credit_code": credit_code(761),
                                                       "name": nm}]),
                                         409, "organization_name_taken")
                self.assertIn(credit_code(761), doc["detail"])
        self.assertEqual(self.counts(), before)
        # Keys a client sends are not taken for the server's.
        doc = self.assertProblem(self.create([{
            "credit_code": credit_code(761), "name": supplier["name"], "name_key": "x",
            "name_key2": "y"}]), 409, "organization_name_taken")
        # The registered organization itself, named anything, and another name: created.
        st, _, _, c = self.create([{"credit_code": supplier["credit_code"], "name": "Whatever"},
                                   {"credit_code": credit_code(762), "name": "Real Party Co",
                                    "role": "cc"}])
        self.assertEqual(st, 201, c)
        self.assertEqual([p["name"] for p in c["parties"]], [supplier["name"], "Real Party Co"])
        # A look-alike of the party's guessed name registers later (another code; the row
        # of a party list reserves no name), and does not receive the contract.
        cert = test_attacks.PKI.issue("party763", "/O=REAL PARTY CO/organizationIdentifier=%s"
                                      "/CN=Eve" % credit_code(763))
        st, _, _, eve = harness.api_login(self.server, *cert)
        self.assertEqual(st, 200, eve)
        self.call("buyer", "POST", "/api/v1/contracts/%s/send" % c["number"])
        h = harness.bearer(eve["token"])
        for tab in ("todo", "cc"):
            st, _, _, doc = self.server.request("GET", "/api/v1/contracts?tab=" + tab, headers=h)
            self.assertEqual((st, doc["total"]), (200, 0), doc)
        st, _, _, doc = self.server.request("GET", "/api/v1/contracts/" + c["number"], headers=h)
        self.assertEqual(st, 404, doc)


class KeysOfOrganizationsRegisteredBefore054(AttackCase):
    """sec45: organizations registered before migration 054 (062 for the second key) had
    no name keys until their next login, and a look-alike registered beside them in
    between. `sealpactd migrate` now keys them (ICU, in batches, one round trip each)."""

    def cert(self, n, o):
        return test_attacks.PKI.issue("old%d" % n, "/O=%s/organizationIdentifier=%s/CN=Bob"
                                      % (o, credit_code(n)))

    def login_as(self, n, o):
        return harness.api_login(self.server, *self.cert(n, o))

    def keys(self):
        return self.db.query("SELECT name, name_key IS NOT NULL, name_key2 IS NOT NULL "
                             "FROM organizations ORDER BY id")

    def test_migrate_keys_them_and_a_look_alike_is_refused(self):
        for n, o in ((741, "Legacy Trading Co"), (742, "Twin Co"), (743, "Other Co")):
            st, _, _, doc = self.login_as(n, o)
            self.assertEqual(st, 200, doc)
        # As before 054: no keys. Another organization that registered then as "TWIN CO"
        # (a look-alike nothing refused), and a party list's row (no certificate: the
        # name its initiator wrote).
        self.db.query("UPDATE organizations SET name_key = NULL, name_key2 = NULL")
        self.db.query("INSERT INTO organizations (name, credit_code) VALUES ('TWIN CO', '%s'), "
                      "('Guessed Name Co', '%s')" % (credit_code(744), credit_code(745)))
        self.db.query("INSERT INTO certificates (organization_id, fingerprint, subject, issuer, "
                      "serial, not_before, not_after, der) SELECT o.id, encode(sha256("
                      "convert_to(o.name, 'UTF8')), 'hex'), 'O=TWIN CO', 'CN=x', '1', now(), "
                      "now() + interval '1 day', convert_to(o.name, 'UTF8') "
                      "FROM organizations o WHERE o.name = 'TWIN CO'")
        out = self.db.migrate().stdout
        self.assertIn("name keys computed for 3 organizations registered before", out)
        twin = self.db.query("SELECT id FROM organizations WHERE name = 'TWIN CO'")
        self.assertIn("1 organization left without name keys: each name shows like another "
                      "organization's (ids %s)" % twin, out)
        self.assertEqual(self.keys().splitlines(), [
            "Legacy Trading Co|t|t", "Twin Co|t|t", "Other Co|t|t", "TWIN CO|f|f",
            "Guessed Name Co|f|f"])
        # A look-alike of each keyed one is refused, and nothing is created.
        before = self.counts()
        for n, o in ((751, "LEGACY TRADING CO"), (752, "Legacy Trad\u0456ng Co"),
                     (753, "twin co")):
            with self.subTest(o=o):
                self.assertProblem(self.login_as(n, o), 409, "organization_name_taken")
        self.assertEqual(self.counts(), before)
        # The keyed organizations log in as before; the next run has nothing to do.
        self.assertEqual(self.login_as(741, "Legacy Trading Co")[0], 200)
        keys = self.db.query("SELECT name, name_key, name_key2 FROM organizations ORDER BY id")
        out = self.db.migrate().stdout
        self.assertNotIn("name keys computed", out)
        self.assertIn("(ids %s)" % twin, out)
        self.assertEqual(self.db.query("SELECT name, name_key, name_key2 FROM organizations "
                                       "ORDER BY id"), keys)


class PartyNamesPerContract(AttackCase):
    """sec46: the first initiator to name an unregistered organization chose the name every
    contract showed for it, other initiators' included, until it registered: one initiator
    could make another's contract show a party name of its choosing, and a later list needed
    no name (nor was its name compared with registered ones). Now each contract shows the
    name its own initiator gave until the organization registers, then the registered one."""

    X_BUYER, X_SUPPLIER = "Acme Trading Co", "Acme Trading Co \u2014 pay to 6222 0000 1111"

    def create(self, slug, parties):
        return self.call(slug, "POST", "/api/v1/contracts", {
            "name": "Names", "pdf_base64": self.pdf_b64(), "parties": parties})

    def shown(self, h, number, code):
        st, _, _, doc = self.server.request("GET", "/api/v1/contracts/" + number, headers=h)
        self.assertEqual(st, 200, doc)
        return [p["name"] for p in doc["parties"] if p["credit_code"] == code]

    def test_each_contract_shows_its_own_initiators_name_until_registration(self):
        self.login("buyer")
        supplier = self.login("supplier")["organization"]
        x = credit_code(770)
        # The supplier names it first, with text of its choosing; then the buyer.
        st, _, _, b = self.create("supplier", [{"credit_code": x, "name": self.X_SUPPLIER}])
        self.assertEqual(st, 201, b)
        st, _, _, a = self.create("buyer", [{"credit_code": x, "name": self.X_BUYER}])
        self.assertEqual(st, 201, a)
        self.assertEqual([p["name"] for p in a["parties"]], [self.X_BUYER])
        buyer, sup = bearer(self.tokens["buyer"]), bearer(self.tokens["supplier"])
        self.assertEqual(self.shown(buyer, a["number"], x), [self.X_BUYER])
        self.assertEqual(self.shown(sup, b["number"], x), [self.X_SUPPLIER])
        # A later list must name it too (it would show another initiator's text), and its
        # name is compared with registered organizations' as a first list's is.
        before = self.counts()
        doc = self.assertProblem(self.create("supplier", [{"credit_code": x}]), 400, "invalid")
        self.assertIn("give its name", doc["detail"])
        self.assertProblem(self.create("supplier", [{"credit_code": x,
                                                     "name": supplier["name"].upper()}]),
                           409, "organization_name_taken")
        self.assertEqual(self.counts(), before)
        # Both sent; the organization registers: each contract shows its certificate's name,
        # to it and to the initiators, and it received both.
        for slug, c in (("buyer", a), ("supplier", b)):
            st, _, _, doc = self.call(slug, "POST", "/api/v1/contracts/%s/send" % c["number"])
            self.assertEqual(st, 200, doc)
        self.assertEqual(self.shown(sup, b["number"], x), [self.X_SUPPLIER])
        cert = test_attacks.PKI.issue("party770", "/O=Acme Registered Ltd/"
                                      "organizationIdentifier=%s/CN=Bob" % x)
        st, _, _, acme = harness.api_login(self.server, *cert)
        self.assertEqual(st, 200, acme)
        h = bearer(acme["token"])
        for c, initiator in ((a, buyer), (b, sup)):
            for who in (h, initiator):
                self.assertEqual(self.shown(who, c["number"], x), ["Acme Registered Ltd"])
        st, _, _, doc = self.server.request("GET", "/api/v1/contracts?tab=todo", headers=h)
        self.assertEqual((st, doc["total"]), (200, 2), doc)
        # A list made after it registered shows its registered name whatever it says.
        st, _, _, c = self.create("buyer", [{"credit_code": x, "name": "Anything"}])
        self.assertEqual((st, [p["name"] for p in c["parties"]]), (201, ["Acme Registered Ltd"]))


if __name__ == "__main__":
    unittest.main()
