"""review44: organizations whose names show alike, past sec43's key.

The key (server/api/names.c) is NFKC, the UTS #39 skeleton, then case
folded: the skeleton maps the capital I to "l" and leaves the small i, so
the capitals of a name with a small i fold to another key, and a name in
capitals registers beside the registered one ("another case" is refused for
"BuyerCo Ltd" by test_attacks_names). And a character shown as nothing that
052's list does not refuse (a variation selector) or one shown as a space
that is not white space to ICU (the braille blank U+2800) is kept in the key.
Each such login registers a second organization; it must be 409
organization_name_taken and create nothing, as the look-alikes sec43 tried
are."""

import unittest

import harness
import test_attacks
from test_attacks import AttackCase
from test_workflow import credit_code


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class MoreLookAlikes(AttackCase):

    def login_as(self, n, o):
        cert = test_attacks.PKI.issue("alike%d" % n, "/O=%s/organizationIdentifier=%s/CN=Bob"
                                      % (o, credit_code(n)))
        return harness.api_login(self.server, *cert)

    def registered(self, n, o):
        st, _, _, doc = self.login_as(n, o)
        self.assertEqual((st, doc["organization"]["name"]), (200, o), doc)

    def test_look_alikes_do_not_register(self):
        self.registered(801, "International Trade Co")
        self.registered(802, "Seller Ltd")
        before = self.counts()
        for n, o in enumerate(("INTERNATIONAL TRADE CO",   # capitals: I is l, i is i
                               "Seller\ufe0f Ltd",          # variation selector 16
                               "Seller\u2800Ltd"),          # braille blank for the space
                              start=803):
            with self.subTest(o=o):
                self.assertProblem(self.login_as(n, o), 409, "organization_name_taken")
        self.assertEqual(self.counts(), before)


if __name__ == "__main__":
    unittest.main()
