"""sec43: the date-times the API takes (a draft's deadline, the lists'
created_from and created_to, an API key's expires_at) at their edges. The
server checked them and then handed the string to PostgreSQL, which judged
some differently: an offset past 15:59 (RFC 3339 allows up to 23:59) was
refused in PostgreSQL's words, a time that is a year-10000 instant in UTC was
taken and answered back in a form that is no RFC 3339 date-time, and second
60 counted as second 59 where PostgreSQL stores the next minute. Now every
refusal is a 400 that says what is wrong, and what is taken means one
instant to both."""

import datetime
import unittest

import test_attacks
from test_attacks import AttackCase


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class Times(AttackCase):

    def setUp(self):
        super().setUp()
        self.login("buyer")
        self.year = datetime.datetime.now(datetime.timezone.utc).year + 1

    def draft(self, deadline):
        return self.call("buyer", "POST", "/api/v1/contracts",
                         {"name": "Times", "pdf_base64": self.pdf_b64(), "deadline": deadline})

    def test_deadlines_at_the_edges(self):
        y = self.year
        taken = {
            # the leap second 23:59:60 UTC is the next day's first second, as stored
            "%d-06-30T23:59:60Z" % y: "%d-07-01T00:00:00.000Z" % y,
            "%d-07-01T07:59:60+08:00" % y: "%d-07-01T00:00:00.000Z" % y,
            "%d-06-30T12:00:00+14:00" % y: "%d-06-29T22:00:00.000Z" % y,
            "%d-06-30T12:00:00-12:00" % y: "%d-07-01T00:00:00.000Z" % y,
            "%d-06-30T12:00:00.1234567890Z" % y: "%d-06-30T12:00:00.123Z" % y,
        }
        for given, stored in taken.items():
            with self.subTest(deadline=given):
                st, _, _, c = self.draft(given)
                self.assertEqual((st, c.get("deadline")), (201, stored), c)
        refused = {
            "%d-06-30T12:00:60Z" % y: "second 60",
            "%d-06-30T24:00:00Z" % y: "not a time of day",
            "%d-06-30T12:00:00+16:00" % y: "offset",
            "%d-06-30T12:00:00+14:01" % y: "offset",
            "%d-06-30T12:00:00-23:59" % y: "offset",
            "0000-01-01T00:00:00Z": "before 1970",
            "%d-02-30T12:00:00Z" % y: "not a day",
            "%d-06-30T12:00:00" % y: "without a zone",
        }
        before = self.counts()
        for given, why in refused.items():
            with self.subTest(deadline=given):
                doc = self.assertCleanProblem(self.raw_json("POST", "/api/v1/contracts", {
                    "name": "Times", "pdf_base64": self.pdf_b64(), "deadline": given}),
                    400, "invalid")
                self.assertIn("deadline must be an RFC 3339 time", doc["detail"])
                self.assertIn(why, doc["detail"])
        self.assertEqual(self.counts(), before)

    def test_list_filters_at_the_edges(self):
        for given in ("9999-12-31T23:59:59Z", "1970-01-01T00:00:00+14:00",
                      "2027-01-01T00:00:00.1234567890-12:00"):
            with self.subTest(created_from=given):
                st, _, _, doc = self.call("buyer", "GET",
                                          "/api/v1/contracts?tab=initiated&created_from=" +
                                          given.replace("+", "%2B"))
                self.assertEqual(st, 200, doc)
        for given, why in (("2027-01-01T00:00:00+16:00", "offset"),
                           ("9999-12-31T23:59:59-14:00", "after 9999-12-31T23:59:59Z"),
                           ("2027-01-01T10:00:60Z", "second 60")):
            with self.subTest(created_to=given):
                doc = self.assertCleanProblem(self.raw(
                    "buyer", "GET", "/api/v1/contracts?tab=initiated&created_to=" +
                    given.replace("+", "%2B")), 400, "invalid")
                self.assertIn("created_to must be an RFC 3339 time", doc["detail"])
                self.assertIn(why, doc["detail"])

    def test_key_expiry_past_year_9999_is_refused(self):
        keys = self.db.query("SELECT count(*) FROM api_keys")
        for given, why in (("9999-12-31T23:59:59-14:00", "after 9999-12-31T23:59:59Z"),
                           ("2099-01-01T00:00:00+15:00", "offset")):
            with self.subTest(expires_at=given):
                doc = self.assertCleanProblem(self.raw_json("POST", "/api/v1/api-keys", {
                    "name": "far", "expires_at": given}), 400, "invalid")
                self.assertIn(why, doc["detail"])
        self.assertEqual(self.db.query("SELECT count(*) FROM api_keys"), keys)
        st, _, _, doc = self.call("buyer", "POST", "/api/v1/api-keys",
                                  {"name": "last", "expires_at": "9999-12-31T23:59:59Z"})
        self.assertEqual((st, doc.get("expires_at")), (201, "9999-12-31T23:59:59Z"), doc)

    def raw_json(self, method, path, doc):
        import json
        body = json.dumps(doc).encode()
        return self.raw("buyer", method, path, b"Content-Type: application/json\r\n", body)


if __name__ == "__main__":
    unittest.main()
