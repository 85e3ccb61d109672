"""Tagged contracts (PDF/A-2a/3a, PDF/UA, LibreOffice's tagged export) stay tagged
when we sign them: each seal, seam slice and date stamp is a widget of the
signature field, and PDF/UA-1 §7.18 and PDF/A-2a ask each in the structure tree
(ISO 32000-2 §14.7): a /Form element naming it by an object reference, its
/StructParent key in the /ParentTree, /TU or /Alt saying what it is, /Tabs /S on
its page. pdf_tags.tag_problems walks the tree as a validator does; pdfinfo
-struct (poppler) lists the elements too. Our verifier and pdfsig accept the
tags as the signature field's own additions, while an update that rewrites the
tree otherwise (an element given text for readers, paragraphs dropped from the
tree, the tab order changed) leaves no signature valid."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import pdf_tags
import test_world_writers as ww
from harness import run

TAGGED = os.path.join(ww.FIX, "libreoffice_pdfa2b.pdf")


def setUpModule():
    ww.setUpModule()


def tearDownModule():
    ww.tearDownModule()


def org_name(slug):
    return [o["name"] for o in ww.PKI.orgs if o["slug"] == slug][0]


class Tagged(ww.Checks, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sealpact-tagged.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def signed_twice(self, src):
        """The buyer seals 甲方（盖章）, a seam across every page, a normal seal and
        a date; the supplier 乙方（盖章） and a date. Tags checked after each."""
        n = ww.pages(src)
        self.assertEqual(pdf_tags.tag_problems(src), [])
        one, two = self.path("one.pdf"), self.path("two.pdf")
        ww.sign(src, one, "buyer", "--keyword", "甲方（盖章）", "--seam", "all,400",
                "--normal", "1,400,200", "--date", "%d,150,60" % n)
        self.assertEqual(pdf_tags.tag_problems(one), [])
        self.assertValid(one, 1)
        ww.sign(one, two, "supplier", "--keyword", "乙方（盖章）", "--date", "%d,420,60" % n)
        self.assertEqual(pdf_tags.tag_problems(two), [])
        rep = self.assertValid(two, 2)
        self.assertEqual(rep["signatures"][0]["verdict"], "valid_with_allowed_changes")
        return one, two

    def test_libreoffice_tagged_signed_twice(self):
        one, two = self.signed_twice(TAGGED)
        # still PDF/A-2b as far as the objects tell (the tags draw nothing)
        self.assertEqual(ww.pdfa_problems(two), [])
        forms, doc = pdf_tags.tree_objects(two)
        # the buyer: keyword, 2 seam slices, normal, date; the supplier: keyword, date
        self.assertEqual(len(forms), 7, forms)
        self.assertTrue(all(f["/P"] == "%d 0 R" % doc for f in forms.values()), forms)
        alts = sorted(f["/Alt"] for f in forms.values())
        self.assertEqual(len([a for a in alts if "Date of signing: " in a]), 2, alts)
        for slug, count in (("buyer", 4), ("supplier", 1)):
            self.assertEqual(alts.count("u:Electronic seal of " + org_name(slug)), count, alts)
        # poppler reads the tree as we wrote it: a Form element per widget
        struct = run(["pdfinfo", "-struct", two]).stdout
        self.assertEqual(len(re.findall(r"^\s+Form\n\s+Object \d+ 0$", struct, re.M)), 7,
                         struct)

    def test_chromium_long_contract(self):
        # Chromium tags what it prints (Skia: one /Document element, a flat
        # /ParentTree): a 700-clause contract's /Document lists 703 paragraphs, each
        # kept when our elements are appended to it, and read past by the verifier
        html = self.path("long.html")
        with open(html, "w") as f:
            f.write("<html lang=zh><body><h1>采购合同</h1>%s<p>甲方（盖章）</p>"
                    "<p>乙方（盖章）</p></body></html>"
                    % "".join("<p>第%d条 本条款的内容。</p>" % i for i in range(700)))
        src = self.path("long.pdf")
        run([ww.CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--no-pdf-header-footer", "--user-data-dir=" + self.path("profile"),
             "--print-to-pdf=" + src, "file://" + html], timeout=120)
        _, doc = pdf_tags.tree_objects(src)
        before = len(pdf_tags.load(src)["obj:%d 0 R" % doc]["value"]["/K"])
        self.assertGreater(before, 700)
        _, two = self.signed_twice(src)
        kids = pdf_tags.load(two)["obj:%d 0 R" % doc]["value"]["/K"]
        forms, _ = pdf_tags.tree_objects(two)
        # keyword, 30 seam slices, normal and date; keyword and date
        self.assertEqual(len(forms), 35)
        self.assertEqual(len(kids), before + 35)

    def test_encrypted_tagged_contract(self):
        # an owner password only (as Word exports "restrict editing"): the element's
        # /Alt and the field's /TU are strings, encrypted as the file's are
        # the second signer seals page 1, which the first left without annotations:
        # its update gives that page /Tabs /S, after the first signature
        enc = self.path("encrypted.pdf")
        run(["qpdf", "--encrypt", "", "owner", "256", "--", TAGGED, enc])
        one, two = self.path("one.pdf"), self.path("two.pdf")
        ww.sign(enc, one, "buyer", "--keyword", "甲方（盖章）", "--date", "2,150,60")
        self.assertEqual(pdf_tags.tag_problems(one), [])
        self.assertValid(one, 1)
        ww.sign(one, two, "supplier", "--normal", "1,400,200")
        self.assertEqual(pdf_tags.tag_problems(two), [])
        rep = self.assertValid(two, 2)
        self.assertEqual(rep["signatures"][0]["verdict"], "valid_with_allowed_changes")
        forms, _ = pdf_tags.tree_objects(two)
        alts = [f["/Alt"] for f in forms.values()]
        for slug in ("buyer", "supplier"):
            self.assertIn("u:Electronic seal of " + org_name(slug), alts)
        with open(two, "rb") as f:
            self.assertNotIn(b"Electronic seal", f.read())

    def test_hostile_tree_changes_are_not_valid(self):
        """After both signatures, an update that changes the tree beyond tags added
        for new signature fields: no signature stays valid."""
        _, two = self.signed_twice(TAGGED)
        forms, doc = pdf_tags.tree_objects(two)
        first = min(forms)
        elem = pdf_tags.object_text(two, first)
        doc_text = pdf_tags.object_text(two, doc)
        page = re.search(r"/Pg (\d+) 0 R", elem).group(1)
        page_text = pdf_tags.object_text(two, int(page))
        cases = {
            # a seal's element given text a screen reader speaks for it
            "actual text": {first: elem[:-2].encode() + b" /ActualText (Pay 900 EUR) >>"},
            # the contract's first paragraph taken out of the tree
            "paragraph dropped": {doc: re.sub(r"/K \[ \d+ 0 R ", "/K [ ",
                                              doc_text).encode()},
            # the page's tab order changed from the tree's to rows
            "tab order": {int(page): page_text.replace("/Tabs /S", "/Tabs /R").encode()},
        }
        for name, objects in cases.items():
            with self.subTest(change=name):
                for num, body in objects.items():
                    self.assertNotEqual(body.decode(), pdf_tags.object_text(two, num))
                out = self.path("hostile.pdf")
                pdf_tags.append_update(two, out, objects)
                code, rep = ww.verify_json(out)
                self.assertNotEqual(code, 0, rep)
                self.assertEqual([s["verdict"] for s in rep["signatures"]],
                                 ["invalid", "invalid"], rep)
                p = subprocess.run(["qpdf", "--check", out], capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_parent_tree_key_of_a_page_taken_is_not_valid(self):
        """review51: after both signatures, an update puts a pair before the
        /ParentTree's pair for a sealed page's /StructParents key, under the
        same key, mapping it to a new /Form element of a seal's widget whose
        /Alt says "Pay 900 EUR". A number tree's keys are sorted and each
        names one value (ISO 32000-2 §7.9.7); readers differ on which of two
        they take (pdf.js's NameOrNumberTree.get binary-searches /Nums and may
        land on either, its getAll keeps the last), and a page whose key names
        no array has no structure for its marked content (struct_tree.js):
        what the tree says of the signed page changes. diff_tags.c
        items_grow() takes any pair it did not have for an added tag, whatever
        its key. No signature stays valid."""
        _, two = self.signed_twice(TAGGED)
        objs = pdf_tags.load(two)

        def value(ref):
            return objs["obj:" + ref]["value"]

        root = value(objs["trailer"]["value"]["/Root"])
        sroot_ref = root["/StructTreeRoot"]
        tree_ref = value(sroot_ref)["/ParentTree"]
        self.assertTrue(tree_ref.endswith(" R"), tree_ref)
        tree_num = int(tree_ref.split()[0])
        forms, doc = pdf_tags.tree_objects(two)
        elem = forms[min(forms)]
        widget, page = elem["/K"]["/Obj"], elem["/Pg"]
        key = value(page)["/StructParents"]
        text = pdf_tags.object_text(two, tree_num)
        pair = re.search(r"[\[\]] (%d \[)" % key, text[text.index("/Nums"):])
        self.assertIsNotNone(pair, (key, text[:300]))
        size = int(re.search(r"/Size (\d+)",
                             run(["qpdf", "--show-object=trailer", two]).stdout).group(1))
        new = b"<< /Type /StructElem /S /Form /P %d 0 R /Pg %s /K << /Type /OBJR /Obj %s " \
              b"/Pg %s >> /Alt (Pay 900 EUR) >>" % (doc, page.encode(), widget.encode(),
                                                    page.encode())
        at = text.index("/Nums") + pair.start(1)
        taken = (text[:at] + "%d %d 0 R " % (key, size) + text[at:]).encode()
        out = self.path("taken.pdf")
        pdf_tags.append_update(two, out, {tree_num: taken, size: new})
        code, rep = ww.verify_json(out)
        self.assertEqual([s["verdict"] for s in rep["signatures"]], ["invalid", "invalid"],
                         "a page's /StructParents key %d mapped anew: %s" % (
                             key, [(s["verdict"], [c["what"] for c in s["changes"]["objects"]])
                                   for s in rep["signatures"]]))

    def test_tab_order_of_an_untagged_document_stays(self):
        # /Tabs /S orders a page's annotations by a structure tree: added to a page of
        # a document without one, after a signature, it is a change like any other
        one = self.path("one.pdf")
        ww.sign(os.path.join(ww.FIX, "xelatex.pdf"), one, "buyer", "--normal", "1,400,200")
        self.assertValid(one, 1)
        objs = pdf_tags.load(one)
        page = [int(k[4:].split()[0]) for k, o in objs.items() if k.startswith("obj:") and
                isinstance(o.get("value"), dict) and o["value"].get("/Type") == "/Page" and
                "/Annots" in o["value"]][0]
        text = pdf_tags.object_text(one, page)
        self.assertNotIn("/Tabs", text)
        out = self.path("tabs.pdf")
        pdf_tags.append_update(one, out, {page: text[:-2].encode() + b" /Tabs /S >>"})
        _, rep = ww.verify_json(out)
        self.assertEqual(rep["signatures"][0]["verdict"], "invalid", rep)


class TaggedThroughTheServer(ww.ServerSigning, ww.harness.ServerTestCase):
    """The tagged contract uploaded, rewritten by the server's normalization, signed
    by two organizations and given the server's document timestamp: every widget
    tagged, still PDF/A-2b, valid for us, pdfsig, qpdf and POST /api/v1/verify."""

    def test_tagged_contract(self):
        n = self.upload(TAGGED, "采购合同 (tagged)")
        self.sign_rects("supplier", n, [
            {"mode": "keyword", "seal": "default", "keyword": "甲方（盖章）"},
            {"mode": "seam", "seal": "default", "pages": "1-2", "y": 400},
            {"mode": "date", "page": 2, "x": 150, "y": 60}])
        self.sign_rects("logistics", n, [
            {"mode": "keyword", "seal": "default", "keyword": "乙方（盖章）"}])
        data = self.ok(200, self.call("buyer", "GET", "/api/v1/contracts/%s/document" % n))
        final = os.path.join(self.tmp, "tagged-final.pdf")
        with open(final, "wb") as f:
            f.write(data)
        self.assertEqual(pdf_tags.tag_problems(final), [])
        self.assertEqual(ww.pdfa_problems(final), [])
        rep = self.assertValid(final, 3)
        self.assertEqual([x["level"] for x in rep["signatures"][:2]], ["pades_b_lta"] * 2)
        forms, _ = pdf_tags.tree_objects(final)
        alts = [f["/Alt"] for f in forms.values()]
        # 4 widgets of the supplier, 1 of logistics, the document timestamp's
        self.assertEqual(len(forms), 6, alts)
        self.assertIn("u:Document timestamp", alts)
        self.assertIn("u:Electronic seal of " + org_name("logistics"), alts)
        doc = self.ok(200, self.server.request("POST", "/api/v1/verify", body=data, headers={
            "Content-Type": "application/pdf"}, timeout=60))
        self.assertEqual(doc["verdict"], "valid_with_allowed_changes", doc)


if __name__ == "__main__":
    unittest.main()
