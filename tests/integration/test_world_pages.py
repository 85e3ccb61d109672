"""Contracts as other tools reshape them, sealed with every seal kind and signed by
`sealpact sign --offline` (the server's pdf/ and crypto/ code). Each is the xelatex
contract (tests/fixtures/writers) made over at test time by a tool other than its
writer:

- MuPDF's mutool (tests/support/world_pages.js): every /MediaBox moved off 0 0 with
  the content, a /CropBox inside the /MediaBox, /UserUnit 2, the last page A3
  among A4 ones, /Rotate 90 and the /MediaBox on the page tree's root only, three
  incremental updates as an editor saves them (each with its /Prev);
- MuPDF's mutool too: every page's /Resources merged on the page tree's root, with
  the /MediaBox and /Rotate 180; a linearized file edited by an incremental update
  (its first-page cross-reference section and hints stale);
- qpdf: linearized, object streams with a cross-reference stream, a PDF 2.0 header;
- by hand: an update that deletes the /Info object (a free entry), one whose
  trailer leaves /Info to an older trailer (neither brought back by our updates);
- by hand, as writers leave them: a hybrid-reference update (Word's: a table for
  the old readers, /XRefStm for an object in an object stream), an AcroForm with an
  unsigned signature field and /NeedAppearances true, the same with an XFA stream.

The buyer seals 甲方（盖章） by keyword, a seam seal across both pages, a normal
seal on page 1, a multi-page seal on both and a date; the supplier 乙方（盖章） and
a date. Checked as a person would: each seal's rectangle seal-red in pdftoppm's
picture of what a viewer shows (the crop box; poppler draws /UserUnit pages in
units), none there before; each date stamp's new ink upright (wider than tall)
inside its rectangle; the keyword seals' centres on their keywords in poppler's
words; both signatures valid for us, pdfsig, qpdf --check, PDFBox and iText.

An object numbered 7,999,999 (ISO 32000-1 Annex C allows 8,388,607) is past
PDF_DOC_MAX_OBJECTS: refused offline and at upload, saying the cap.

A file whose cross-reference offsets are wrong (qpdf repairs it) is refused offline
with what to do, not signed: readers repair a damaged file each in their own way,
and a signature added to it incrementally would sit on what one reader rebuilt (an
upload to the server is rewritten whole, repaired, before anyone signs it:
test_workflow, test_pdf_normalize)."""

import base64
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness
import pdf_tags
import test_world_writers as ww
from harness import run

XELATEX = os.path.join(ww.FIX, "xelatex.pdf")
PAGES_JS = os.path.join(harness.SOURCE_DIR, "tests", "support", "world_pages.js")
JAVA = None


def setUpModule():
    global JAVA
    ww.setUpModule()
    JAVA = harness.JavaJudge(ww.PKI.dir)


def tearDownModule():
    if JAVA is not None:
        JAVA.close()
    ww.tearDownModule()


def sign(src, out, slug, *placements):
    """sealpact sign --offline (ww.sign's), every rectangle it printed:
    [(mode, page, x0, y0, x1, y1)] in points, bottom-left origin of what is shown."""
    crt, key = ww.PKI.org_cert(slug, "rsa")
    p = run([harness.SEALPACT, "sign", "--offline", src, out, "--key", key, "--cert", crt,
             "--seal", ww.SEAL, "--tsa-cert", ww.PKI.path("tsa.crt"), "--tsa-key",
             ww.PKI.path("tsa.key"), "--tsa-trust", ww.PKI.path("root.pem"), "--chain",
             ww.PKI.path("chain.pem")] + list(placements))
    return [(m.group(1), int(m.group(2))) + tuple(float(m.group(i)) for i in range(3, 7))
            for m in re.finditer(r"#\d+ (\w+)\s+page (\d+): ([\d.]+),([\d.]+) - ([\d.]+),"
                                 r"([\d.]+)", p.stdout)]


def hybrid(src, out):
    """src (a cross-reference table) plus an update as Word writes one: a table for
    the old readers, and its trailer's /XRefStm a stream listing the new /Info, in
    an object stream (ISO 32000-2 §7.5.8.4)."""
    with open(src, "rb") as f:
        data = bytearray(f.read())
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    size = int(re.findall(rb"/Size (\d+)", data)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", data)[-1]
    ostm, info, xstm = size, size + 1, size + 2
    head = b"%d 0 " % info
    body = head + "<< /Title <FEFF91C78D2D5408540C> /Producer (hybrid) >>".encode()
    at_ostm = len(data)
    data += (b"%d 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n"
             % (ostm, len(head), len(body)) + body + b"\nendstream\nendobj\n")
    rows = bytes([2]) + ostm.to_bytes(4, "big") + bytes(2)
    at_xstm = len(data)
    data += (b"%d 0 obj\n<< /Type /XRef /Size %d /Index [%d 1] /W [1 4 2] /Length %d >>\n"
             b"stream\n" % (xstm, xstm + 1, info, len(rows)) + rows + b"\nendstream\nendobj\n")
    at_xref = len(data)
    data += (b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n"
             b"trailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d /XRefStm %d >>\n"
             b"startxref\n%d\n%%%%EOF\n" % (ostm, at_ostm, xstm, at_xstm, xstm + 1, root, info,
                                            prev, at_xstm, at_xref))
    with open(out, "wb") as f:
        f.write(data)


def form(src, out, drawn, xfa):
    """src with an AcroForm as form tools leave one: an unsigned signature field
    and a text field with a value on page 2, /NeedAppearances true; drawn: the
    text field has its appearance (else only its value); xfa: "static", an XFA
    stream too (the pages are the document), "dynamic", and the catalog's
    /NeedsRendering (the pages are a placeholder only Adobe's viewers replace)."""
    js = out + ".js"
    with open(js, "w") as f:
        f.write("""
var doc = new PDFDocument(scriptArgs[0]), page = doc.findPage(1);
var helv = doc.addObject({Type: "Font", Subtype: "Type1", BaseFont: "Helvetica",
  Encoding: "WinAnsiEncoding"});
var sig = doc.addObject({FT: "Sig", T: doc.newString("sig-supplier"), Type: "Annot",
  Subtype: "Widget", Rect: [300, 480, 420, 600], F: 4, P: page});
var tx = doc.addObject({FT: "Tx", T: doc.newString("amount"), V: doc.newString("100,000"),
  Type: "Annot", Subtype: "Widget", Rect: [100, 700, 250, 720], F: 4, P: page,
  DA: doc.newString("/Helv 10 Tf 0 g")});
if (scriptArgs[2] === "drawn")
  tx.put("AP", {N: doc.addStream("/Tx BMC q BT /Helv 10 Tf 0 g 2 6 Td (100,000) Tj ET Q EMC",
    {Type: "XObject", Subtype: "Form", BBox: [0, 0, 150, 20],
     Resources: {Font: {Helv: helv}}})});
var annots = doc.newArray(); annots.push(sig); annots.push(tx); page.put("Annots", annots);
var fields = doc.newArray(); fields.push(sig); fields.push(tx);
var f = {Fields: fields, NeedAppearances: true, DA: doc.newString("/Helv 0 Tf 0 g"),
  DR: {Font: {Helv: helv}}};
if (scriptArgs[3] !== "-")
  f.XFA = doc.addStream('<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/></xdp:xdp>', {});
if (scriptArgs[3] === "dynamic")
  doc.getTrailer().get("Root").put("NeedsRendering", true);
doc.getTrailer().get("Root").put("AcroForm", doc.addObject(f));
doc.save(scriptArgs[1], "garbage");
""")
    run(["mutool", "run", js, src, out, "drawn" if drawn else "-", xfa or "-"])


def damage_xref(src, out):
    """src (a classic cross-reference table) with every offset of its last table 5
    bytes short, as a careless editor leaves it: qpdf reconstructs it."""
    with open(src, "rb") as f:
        data = f.read()
    at = data.rindex(b"\nxref\n") + 1
    tail = re.sub(rb"(\d{10}) (\d{5}) n", lambda m: b"%010d %s n" % (
        max(int(m.group(1)) - 5, 0), m.group(2)), data[at:])
    with open(out, "wb") as f:
        f.write(data[:at] + tail)


def classic_contract(out):
    """The contract with a classic cross-reference table (qpdf's) written to out: its
    trailer's text, page 1's object number and dictionary text."""
    run(["qpdf", "--object-streams=disable", XELATEX, out])
    trailer = run(["qpdf", "--show-object=trailer", out]).stdout
    page = int(re.search(r"page 1: (\d+) 0 R", run(["qpdf", "--show-pages", out]).stdout)
               .group(1))
    return out, trailer, page, pdf_tags.object_text(out, page)


def high_numbered(classic, out):
    """The contract (written to classic) with an update drawing on page 1 with a
    stream numbered 7,999,999, written to out."""
    _, _, page, text = classic_contract(classic)
    cont = re.search(r"/Contents (\[[^\]]*\]|\d+ 0 R)", text).group(1)
    pdf_tags.append_update(classic, out, {
        page: text.replace("/Contents " + cont,
                           "/Contents [ %s 7999999 0 R ]" % cont.strip("[] ")).encode(),
        7999999: b"<< /Length 8 >>\nstream\nq 0 g Q\nendstream"})


class PageChecks(ww.Checks):
    """What both kinds of test check of a reshaped contract; self.dir is the test's
    directory."""

    def reshaped(self, kind):
        out = self.path(kind + ".pdf")
        run(["mutool", "run", PAGES_JS, kind, XELATEX, out])
        return out

    def assertJudges(self, path, nsigs):
        """PDFBox (with BouncyCastle) and iText verify every signature; the last
        one covers the whole file for iText."""
        for kind in ("pdfbox", "itext"):
            rc, text = JAVA.run("check-" + kind, path)
            lines = [x for x in text.splitlines() if " verify=" in x]
            self.assertEqual(len(lines), nsigs, text)
            for x in lines:
                self.assertIn("verify=true", x, text)
            if kind == "itext":
                self.assertIn("whole=true", lines[-1], text)

    def assertDrawn(self, before, after, rects, unit):
        """Each seal's rectangle seal-red in after's picture, not in before's; each
        date's new ink upright inside its rectangle. rects in points, unit the
        pages' /UserUnit (poppler draws in units)."""
        for mode, page, x0, y0, x1, y1 in rects:
            r = (x0 / unit, y0 / unit, x1 / unit, y1 / unit)
            if mode == "date":
                ink = ww.new_ink_box(before, after, page, r, self.dir)
                self.assertIsNotNone(ink, (mode, page, r))
                self.assertGreater(ink[2] - ink[0], 2 * (ink[3] - ink[1]), (ink, r))
                continue
            # (a seam slice is a strip at the page's edge: thinner red)
            want = 0.03 if mode == "seam" else 0.08
            self.assertGreater(ww.red_share(after, page, r, self.dir), want, (mode, page, r))
            inner = ((x0 + x1) / 2 - 6, (y0 + y1) / 2 - 6, (x0 + x1) / 2 + 6, (y0 + y1) / 2 + 6)
            if mode != "seam":
                self.assertLess(ww.red_share(before, page, [v / unit for v in inner],
                                             self.dir), 0.02, (mode, page, r))

    def assertOnKeyword(self, src, rect, keyword, unit):
        """The keyword seal's centre inside poppler's box of the word holding the
        keyword (the crop box's coordinates, top-left origin; in units)."""
        _, page, x0, y0, x1, y1 = rect
        out = run(["pdftotext", "-cropbox", "-bbox", "-f", str(page), "-l", str(page), src,
                   "-"]).stdout
        height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', out).group(1))
        cx, cy = (x0 + x1) / 2 / unit, height - (y0 + y1) / 2 / unit
        boxes = [tuple(float(v) for v in m.groups()[:4]) for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
            r'([^<]*)</word>', out) if keyword in m.group(5)]
        self.assertTrue(any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes),
                        (keyword, cx, cy, boxes))



class WorldPages(PageChecks, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sealpact-pages.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def sign_all(self, src, unit=1, normal=(150, 700), multi=(450, 500), keyword=True):
        """The buyer: keyword, seam over every page, normal on page 1, multi on
        every page, date on the last; the supplier: keyword and date. Both valid
        for every judge, every seal where it was put."""
        n = ww.pages(src)
        one, two = self.path("one.pdf"), self.path("two.pdf")
        r1 = sign(src, one, "buyer", "--keyword", "甲方（盖章）", "--seam", "all,400",
                  "--normal", "1,%d,%d" % normal, "--multi", "all,%d,%d" % multi,
                  "--date", "%d,150,60" % n)
        self.assertEqual([r[0] for r in r1].count("seam"), n, r1)
        self.assertEqual([r[0] for r in r1].count("multi"), n, r1)
        self.assertValid(one, 1)
        r2 = sign(one, two, "supplier", "--keyword", "乙方（盖章）", "--date", "%d,420,60" % n)
        rep = self.assertValid(two, 2)
        self.assertEqual(rep["signatures"][0]["verdict"], "valid_with_allowed_changes")
        self.assertJudges(two, 2)
        self.assertDrawn(src, one, r1, unit)
        self.assertDrawn(one, two, r2, unit)
        if keyword:
            self.assertOnKeyword(src, [r for r in r1 if r[0] == "keyword"][0], "甲方（盖章）",
                                 unit)
            self.assertOnKeyword(src, [r for r in r2 if r[0] == "keyword"][0], "乙方（盖章）",
                                 unit)
        return r1, r2

    def test_media_box_off_origin(self):
        r1, _ = self.sign_all(self.reshaped("offset"))
        # where a viewer shows the page, as on the original
        self.assertIn(("normal", 1, 90.5, 640.5, 209.5, 759.5), r1)

    def test_crop_box(self):
        # the shown part is 520 x 650: the seals inside it, the seam on its edge
        r1, _ = self.sign_all(self.reshaped("crop"), normal=(150, 500), multi=(400, 400))
        self.assertIn(("seam", 1, 460.5, 340.5, 520.0, 459.5), r1)

    def test_user_unit(self):
        # /UserUnit 2: placements in points (what Acrobat shows), the update in units
        r1, _ = self.sign_all(self.reshaped("userunit"), unit=2)
        self.assertIn(("normal", 1, 90.5, 640.5, 209.5, 759.5), r1)

    def test_mixed_page_sizes(self):
        # the seam's slices each on its page's right edge, the A3 one's at 842
        r1, _ = self.sign_all(self.reshaped("mixed"))
        seams = sorted((r[1], r[4]) for r in r1 if r[0] == "seam")
        self.assertEqual(seams, [(1, 595.3), (2, 842.0)])

    def test_rotate_and_media_box_inherited(self):
        # shown landscape (841.9 x 595.3); poppler's words of a turned page are not
        # in shown coordinates: the keyword seals' centres checked by test_world_writers
        # test_tools_rotated_cropped_inherited; here that they are red where printed
        self.sign_all(self.reshaped("inherit"), normal=(150, 400), multi=(450, 300),
                      keyword=False)

    def test_resources_inherited(self):
        # fonts and images named only by the page tree's root (with the /MediaBox and
        # /Rotate 180): the keyword found through them, every seal red where placed
        self.sign_all(self.reshaped("resources"), normal=(150, 400), multi=(450, 300),
                      keyword=False)

    def test_incremental_updates(self):
        src = self.reshaped("incremental")
        self.assertEqual(len(re.findall(rb"startxref", open(src, "rb").read())), 4)
        self.sign_all(src)

    def test_qpdf_structures(self):
        for name, how in (("linearized", ["--linearize"]),
                          ("object streams", ["--object-streams=generate"]),
                          ("PDF 2.0", ["--force-version=2.0"])):
            with self.subTest(name):
                src = self.path("qpdf.pdf")
                run(["qpdf"] + how + [XELATEX, src])
                self.sign_all(src)
                if name == "PDF 2.0":
                    with open(self.path("two.pdf"), "rb") as f:
                        self.assertEqual(f.read(8), b"%PDF-2.0")

    def test_hybrid_reference(self):
        classic, src = self.path("classic.pdf"), self.path("hybrid.pdf")
        run(["qpdf", "--object-streams=disable", XELATEX, classic])
        hybrid(classic, src)
        self.assertIn("采购合同", run(["pdfinfo", src]).stdout)
        self.sign_all(src)
        # the new /Info only the stream lists is still the document's
        self.assertIn("采购合同", run(["pdfinfo", self.path("two.pdf")]).stdout)

    def test_forms(self):
        # every field with a value drawn: signed, the seals drawn by every viewer
        # (the update leaves /NeedAppearances out: form_drawn.c)
        for xfa in (None, "static"):
            with self.subTest(xfa=xfa):
                src = self.path("form.pdf")
                form(XELATEX, src, True, xfa)
                self.sign_all(src)
                with open(self.path("two.pdf"), "rb") as f:
                    tail = f.read()[os.path.getsize(src):]
                self.assertNotIn(b"/NeedAppearances true", tail)

    def refused(self, src, *want):
        """sealpact sign --offline of src fails, saying each of want, and writes nothing."""
        crt, key = ww.PKI.org_cert("buyer", "rsa")
        p = subprocess.run([harness.SEALPACT, "sign", "--offline", src, self.path("out.pdf"),
                            "--key", key, "--cert", crt, "--seal", ww.SEAL, "--keyword",
                            "甲方（盖章）"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        for w in want:
            self.assertIn(w, p.stderr)
        self.assertFalse(os.path.exists(self.path("out.pdf")))

    def test_form_with_undrawn_value_refused(self):
        """A field's value with no appearance under /NeedAppearances true: poppler
        (pdftoppm) and Adobe Reader then draw every field themselves, and no
        signature's appearance: signed, not one seal showed (ISO 32000-1 Table 218:
        "construct appearance streams ... for all widget annotations"). Refused
        offline as at upload (pdf_need_appearances), naming the field; it was
        signed, its seals invisible."""
        src = self.path("form.pdf")
        form(XELATEX, src, False, None)
        self.refused(src, '"amount" has a value but no appearance')

    def test_dynamic_xfa_refused(self):
        """A dynamic XFA form (/NeedsRendering): Adobe's viewers show the form,
        every other one the pages, a placeholder. Refused offline as at upload
        (pdf_xfa_dynamic); it was signed, its seal on a page Adobe's viewers do
        not show."""
        src = self.path("form.pdf")
        form(XELATEX, src, True, "dynamic")
        self.refused(src, "dynamic XFA form")

    def test_updates_that_delete_before_signing(self):
        """An update that deletes the /Info object (a free entry, its trailer without
        /Info), and one whose trailer leaves /Info out while an older trailer names
        it: signed twice, valid for every judge, and the newest trailer's word kept
        (no /Info brought back)."""
        classic, trailer, page, text = classic_contract(self.path("classic.pdf"))
        info = int(re.search(r"/Info (\d+) 0 R", trailer).group(1))
        for name, objects, free in (("freed", {}, [info]), ("older", {page: text.encode()}, [])):
            with self.subTest(name):
                src = self.path(name + ".pdf")
                pdf_tags.append_update(classic, src, objects, free=free, drop=["Info"])
                self.assertNotIn("Title:", run(["pdfinfo", src]).stdout)
                self.sign_all(src)
                two = self.path("two.pdf")
                self.assertNotIn("/Info", run(["qpdf", "--show-object=trailer", two]).stdout)
                self.assertNotIn("Title:", run(["pdfinfo", two]).stdout)

    def test_linearized_then_edited(self):
        # an editor's incremental update to a linearized file (page 1 gains a line): the
        # first-page cross-reference section and hint tables are stale, every reader
        # goes by the last section; ours is the same, the line kept under the seals
        lin, src = self.path("linearized.pdf"), self.path("edited.pdf")
        run(["qpdf", "--linearize", XELATEX, lin])
        js = self.path("edit.js")
        with open(js, "w") as f:
            f.write("""
var doc = new PDFDocument(scriptArgs[0]), page = doc.findPage(0);
var a = doc.newArray(), c = page.get("Contents");
if (c.isArray()) for (var i = 0; i < c.length; i++) a.push(c.get(i)); else a.push(c);
a.push(doc.addStream("q 0 0 1 RG 4 w 60 60 m 300 60 l S Q", {}));
page.put("Contents", a);
doc.save(scriptArgs[1], "incremental");
""")
        run(["mutool", "run", js, lin, src])
        self.assertIn("not linearized", run(["qpdf", "--show-linearization", src]).stdout)
        self.sign_all(src)
        pages = run(["qpdf", "--show-pages", self.path("two.pdf")]).stdout
        self.assertEqual(len(re.findall(r"^    \d+ 0 R$", pages.split("page 2")[0], re.M)), 2,
                         pages)

    def test_object_numbers_past_the_cap_refused(self):
        # an object numbered 7,999,999 (ISO 32000-1 Annex C allows 8,388,607): past
        # PDF_DOC_MAX_OBJECTS (4,000,000), refused offline saying so; an upload is
        # refused the same way (test_world_pages ReshapedThroughTheServer)
        src = self.path("high.pdf")
        high_numbered(self.path("classic.pdf"), src)
        self.assertEqual(subprocess.run(["qpdf", "--check", src], capture_output=True)
                         .returncode, 0)
        self.refused(src, "trailer /Size 8000000 exceeds the cap of 4000000 objects")

    def test_damaged_cross_reference_refused(self):
        classic, bad = self.path("classic.pdf"), self.path("damaged.pdf")
        run(["qpdf", "--object-streams=disable", XELATEX, classic])
        damage_xref(classic, bad)
        q = subprocess.run(["qpdf", "--check", bad], capture_output=True, text=True)
        self.assertIn("reconstruct", q.stdout + q.stderr)
        self.refused(bad, "damaged", "qpdf")


class ReshapedThroughTheServer(PageChecks, ww.ServerSigning, harness.ServerTestCase):
    """Reshaped contracts uploaded (the upload's rewrite keeps their pages' boxes,
    units and sizes) and signed through the signing protocol by two organizations
    with every seal kind: the server's document (B-LTA) checked as the offline ones
    are, and by POST /api/v1/verify."""

    def signed_through(self, src, kind, unit=1, normal=(150, 700), multi=(450, 500),
                       keyword=True):
        """src uploaded and signed by two organizations with every seal kind: the
        server's document (B-LTA) checked as the offline ones are, and by POST
        /api/v1/verify."""
        n = self.upload(src, "采购合同 (%s)" % kind)
        s1 = self.sign_rects("supplier", n, [
            {"mode": "keyword", "seal": "default", "keyword": "甲方（盖章）"},
            {"mode": "seam", "seal": "default", "pages": "all", "y": 400},
            {"mode": "normal", "seal": "default", "page": 1, "x": normal[0], "y": normal[1]},
            {"mode": "multi", "seal": "default", "pages": "all", "x": multi[0], "y": multi[1]},
            {"mode": "date", "page": 2, "x": 150, "y": 60}])
        s2 = self.sign_rects("logistics", n, [
            {"mode": "keyword", "seal": "default", "keyword": "乙方（盖章）"},
            {"mode": "date", "page": 2, "x": 420, "y": 60}])
        data = self.ok(200, self.call("buyer", "GET", "/api/v1/contracts/%s/document" % n))
        final = self.path(kind + "-final.pdf")
        with open(final, "wb") as f:
            f.write(data)
        # the two signatures and the server's document timestamp
        rep = self.assertValid(final, 3)
        self.assertEqual([x["level"] for x in rep["signatures"][:2]], ["pades_b_lta"] * 2)
        self.assertJudges(final, 3)
        self.assertDrawn(src, final, s1 + s2, unit)
        if keyword:
            self.assertOnKeyword(src, [r for r in s1 if r[0] == "keyword"][0],
                                 "甲方（盖章）", unit)
            self.assertOnKeyword(src, [r for r in s2 if r[0] == "keyword"][0],
                                 "乙方（盖章）", unit)
        doc = self.ok(200, self.server.request("POST", "/api/v1/verify", body=data, headers={
            "Content-Type": "application/pdf"}, timeout=60))
        self.assertEqual(doc["verdict"], "valid_with_allowed_changes", doc)
        return s1, s2

    def test_reshaped_contracts(self):
        for kind, unit in (("offset", 1), ("userunit", 2), ("mixed", 1), ("incremental", 1)):
            with self.subTest(kind):
                self.signed_through(self.reshaped(kind), kind, unit)

    def test_cropped_and_turned_contracts(self):
        """A /CropBox inside the /MediaBox (the seam on the crop box's edge, as offline:
        test_crop_box) and /Rotate 90 with the /MediaBox on the page tree's root (red
        where printed; poppler's words of a turned page are not in shown
        coordinates), through the upload's rewrite."""
        s1, _ = self.signed_through(self.reshaped("crop"), "crop", normal=(150, 500),
                                    multi=(400, 400))
        # (the session's rectangles unrounded, the CLI's to a tenth of a point)
        self.assertIn(("seam", 1, 460.5, 340.5, 520.0, 459.5),
                      [r[:2] + tuple(round(v, 1) for v in r[2:]) for r in s1])
        self.signed_through(self.reshaped("inherit"), "inherit", normal=(150, 400),
                            multi=(450, 300), keyword=False)

    def test_qpdf_structures(self):
        """Linearized, object streams with a cross-reference stream, PDF 2.0 (qpdf's),
        uploaded: the rewrite keeps the object streams and the version."""
        for name, how in (("linearized", ["--linearize"]),
                          ("objstm", ["--object-streams=generate"]),
                          ("pdf20", ["--force-version=2.0"])):
            with self.subTest(name):
                src = self.path(name + ".pdf")
                run(["qpdf"] + how + [XELATEX, src])
                self.signed_through(src, name)
                with open(self.path(name + "-final.pdf"), "rb") as f:
                    final = f.read()
                if name == "pdf20":
                    self.assertEqual(final[:8], b"%PDF-2.0")

    def test_object_numbers_past_the_cap_refused(self):
        # refused at upload as offline (422 pdf_limit, saying the cap), nothing stored
        src = self.path("high.pdf")
        high_numbered(self.path("classic.pdf"), src)
        with open(src, "rb") as f:
            pdf = f.read()
        before = self.ok(200, self.call("buyer", "GET", "/api/v1/contracts"))["total"]
        doc = self.ok(422, self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "high", "pdf_base64": base64.b64encode(pdf).decode(),
            "parties": [{"credit_code": self.orgs["supplier"]["credit_code"],
                         "role": "signer", "routing_order": 1}]}))
        self.assertEqual(doc["code"], "pdf_limit", doc)
        self.assertIn("exceeds the cap of 4000000 objects", doc["detail"], doc)
        self.assertEqual(self.ok(200, self.call("buyer", "GET", "/api/v1/contracts"))["total"],
                         before)

    def test_forms_and_damaged_cross_reference(self):
        """An AcroForm with filled fields and an unsigned signature field (every value
        drawn), and a file whose cross-reference offsets are wrong: the one refused
        offline, uploaded here is rewritten whole, repaired by qpdf, before anyone
        signs it, so every reader reads the same signed file."""
        src = self.path("form.pdf")
        form(XELATEX, src, True, None)
        self.signed_through(src, "form")
        classic, bad = self.path("classic.pdf"), self.path("damaged.pdf")
        run(["qpdf", "--object-streams=disable", XELATEX, classic])
        damage_xref(classic, bad)
        self.signed_through(bad, "damaged")

if __name__ == "__main__":
    unittest.main()
