"""sec51: what an organization's seal application scan carries to the reviewer who
opens it. The console offers a PDF scan as a download, which the reviewer opens in a
desktop viewer: it runs what a contract's parties are kept from (an /OpenAction script,
a page's /Launch, a link that submits a form).
  - an unsigned PDF scan with such actions is stored without them (the contract
    upload's normalization, pdf_upload_normalize), and whatever a polyglot hides
    after the PDF's end goes with the rewrite;
  - a signed one, which cannot be rewritten, is 422 pdf_active_content, and a
    "PDF" that is none is 422 pdf_unreadable: nothing stored either way;
  - the reviewer's download is an attachment with a name the server chose, never
    sniffed."""

import os
import subprocess
import unittest

import test_seals
from test_attacks_active import active_pdf
from test_seals import SealCase

SHORT = os.path.join(test_seals.harness.SOURCE_DIR, "tests", "fixtures", "contracts",
                     "short.pdf")


def setUpModule():
    test_seals.setUpModule()


def tearDownModule():
    test_seals.tearDownModule()


class PdfScans(SealCase):

    def reviewed(self, data):
        """The scan data uploaded to a new application, submitted, claimed and fetched
        by a reviewer: (application, headers, the bytes the reviewer gets)."""
        rev = self.reviewer("alice")
        app = self.apply()
        st, _, _, doc = self.scan(app["id"], data, ctype="application/pdf")
        self.assertEqual(st, 200, doc)
        self.ok("supplier", "POST", "/api/v1/seal-applications/%s/submit" % app["id"])
        self.ok(rev, "POST", "/api/v1/review/applications/%s/claim" % app["id"])
        hdrs, got = self.ok(rev, "GET", "/api/v1/review/applications/%s/scan" % app["id"])
        self.assertEqual(doc["scan"], {"content_type": "application/pdf", "bytes": len(got)})
        return app, hdrs, got

    def test_a_pdf_scan_runs_nothing_in_the_reviewers_viewer(self):
        app, hdrs, got = self.reviewed(active_pdf())
        for word in (b"JavaScript", b"amount", b"app.alert", b"Launch", b"calc.exe",
                     b"SubmitForm", b"collector"):
            self.assertFalse(word in got,
                             "the scan the reviewer downloads still carries %s" % word)
        path = os.path.join(self.tmp, "scan.pdf")
        with open(path, "wb") as f:
            f.write(got)
        p = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(hdrs["content-type"], "application/pdf")
        self.assertEqual(hdrs["x-content-type-options"], "nosniff")
        self.assertEqual(hdrs.get("content-disposition"),
                         'attachment; filename="scan-%s.pdf"' % app["id"])

    def test_what_a_polyglot_hides_after_the_pdf_is_not_stored(self):
        with open(SHORT, "rb") as f:
            pdf = f.read()
        page = b"\n<html><body><script>fetch('/api/v1/review/applications')</script></html>\n"
        _, _, got = self.reviewed(pdf + page)
        self.assertFalse(b"<script>" in got, "the scan the reviewer downloads still carries "
                         "the page appended to it (%d bytes)" % len(got))

    def test_a_signed_pdf_scan_with_a_script_is_refused_and_nothing_stored(self):
        app = self.apply()
        events = self.audit(app["id"])
        st, hdrs, _, doc = self.scan(app["id"], active_pdf(signed=True),
                                     ctype="application/pdf")
        self.assertEqual((st, hdrs.get("content-type")), (422, "application/problem+json"), doc)
        self.assertEqual(doc["code"], "pdf_active_content", doc)
        self.assertIn("JavaScript action in the document's open action", doc["detail"])
        self.assertIsNone(self.ok("supplier", "GET",
                                  "/api/v1/seal-applications/%s" % app["id"])["scan"])
        self.assertEqual(self.audit(app["id"]), events)

    def test_a_pdf_scan_that_is_no_pdf_is_refused(self):
        app = self.apply()
        st, _, _, doc = self.scan(app["id"], b"%PDF-1.7\n<html><script>alert(1)</script></html>",
                                  ctype="application/pdf")
        self.assertEqual((st, doc.get("code")), (422, "pdf_unreadable"), doc)
        self.assertIsNone(self.ok("supplier", "GET",
                                  "/api/v1/seal-applications/%s" % app["id"])["scan"])


if __name__ == "__main__":
    unittest.main()
