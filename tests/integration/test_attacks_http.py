"""sec43: what an outside attacker, or another organization, sends at the
HTTP layer and in what a download is called."""

import re
import unittest
import urllib.parse

import test_attacks
from test_attacks import AttackCase


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class DownloadNames(AttackCase):
    """A contract's name (up to 200 characters, another organization's
    words) names its download in Content-Disposition's filename*. A long
    CJK name was cut inside a character: the filename* was not UTF-8, and a
    browser dropped it or showed it garbled. Quotes, CR/LF and bidi
    overrides never reach the header."""

    def download_name(self, name):
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts",
                                {"name": name, "pdf_base64": self.pdf_b64()})
        self.assertEqual(st, 201, c)
        st, hdrs, _, _ = self.call("buyer", "GET", "/api/v1/contracts/%s/document" % c["number"])
        self.assertEqual(st, 200)
        cd = hdrs["content-disposition"]
        self.assertNotRegex(cd, r"[\r\n\x00-\x1f\x7f]")
        self.assertEqual(cd.count('"'), 2, cd)
        m = re.search(r"filename\*=UTF-8''([A-Za-z0-9%._~-]+)$", cd)
        self.assertIsNotNone(m, cd)
        # strict UTF-8, as a browser decodes it
        return urllib.parse.unquote_to_bytes(m.group(1)).decode("utf-8"), c["number"]

    def test_a_long_name_is_cut_between_characters(self):
        self.login("buyer")
        for name in ("合" * 200, "a" + "合" * 199, "ab" + "合" * 198, "😀" * 200,
                     "é" * 200):
            with self.subTest(name=name[:3]):
                got, _ = self.download_name(name)
                self.assertTrue(got.endswith(".pdf"), got)
                self.assertTrue(name.startswith(got[:-4]), got)
                self.assertGreater(len(got), 40, got)

    def test_quotes_and_slashes_are_encoded(self):
        self.login("buyer")
        got, number = self.download_name('a"b;c\\d/e.pdf')
        self.assertEqual(got, 'a"b;c\\d/e.pdf.pdf')
        for bad in ("x\r\nSet-Cookie: a=b", "x\u202egnp.exe", "x\x1by"):
            with self.subTest(name=bad):
                st, _, _, doc = self.call("buyer", "POST", "/api/v1/contracts",
                                          {"name": bad, "pdf_base64": self.pdf_b64()})
                self.assertEqual((st, doc["code"]), (400, "control_character"), doc)


if __name__ == "__main__":
    unittest.main()
