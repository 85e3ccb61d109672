"""Contracts shaped as other writers shape them, made here by hand (qpdf --check
clean), sealed and signed twice by `sealpact sign --offline`: page /Contents arrays
sharing one stream across pages (a header, as Word and Acrobat share it), /Rotate 90,
270 and 180 with /UserUnit 2 and 3, annotations whose appearance has /N, /D and /R
states (a link; a check box's on and off states), and a form with a calculated field
(/CO, a /C action). Both signatures valid for us, pdfsig and qpdf; the seals red
where put on the plain page; the shared stream and the appearance states left as
they were. Guards: no fix was needed (world50)."""

import os
import shutil
import subprocess
import tempfile
import unittest

import pdf_tags
import test_world_writers as ww
from harness import run


def setUpModule():
    ww.setUpModule()


def tearDownModule():
    ww.tearDownModule()


def write_pdf(objs, out, header=b"%PDF-1.7"):
    """objs ({number: dictionary bytes, or (dictionary body, stream data)}) as a PDF
    file with a cross-reference table, the catalog object 1."""
    b = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
    offs = {}
    for n in sorted(objs):
        offs[n] = len(b)
        o = objs[n]
        if isinstance(o, tuple):
            d, data = o
            b += b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (n, d, len(data)) + data + b"\nendstream\nendobj\n"
        else:
            b += b"%d 0 obj\n%s\nendobj\n" % (n, o)
    x = len(b)
    m = max(objs) + 1
    b += b"xref\n0 %d\n0000000000 65535 f \n" % m
    for n in range(1, m):
        b += b"%010d 00000 n \n" % offs[n] if n in offs else b"0000000000 65535 f \n"
    b += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (m, x)
    open(out, "wb").write(b)

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def text(s, y=700):
    return b"BT /F1 14 Tf 72 %d Td (%s) Tj ET" % (y, s)


def shared_rotate_unit(out):
    """Four pages whose /Contents arrays share object 4 (a blue header)."""
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [10 0 R 11 0 R 12 0 R 13 0 R] /Count 4 /Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 595 842] >>",
            3: FONT, 4: (b"", b"0 0 1 rg 36 800 523 20 re f " + text(b"HEADER shared by every page", 780))}
    pages = [(b"", b"page one"), (b"/Rotate 90 /UserUnit 2", b"page two rotated 90 unit 2"),
             (b"/Rotate 270", b"page three rotated 270"), (b"/Rotate 180 /UserUnit 3", b"page four rotated 180 unit 3")]
    for i, (extra, t) in enumerate(pages):
        objs[10 + i] = b"<< /Type /Page /Parent 2 0 R /Contents [4 0 R %d 0 R] %s >>" % (20 + i, extra)
        objs[20 + i] = (b"", text(t, 600))
    write_pdf(objs, out)


def ap_states(out):
    """A link with /N /D /R appearances and a check box with /Yes and /Off states."""
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> >>",
            2: b"<< /Type /Pages /Kids [10 0 R] /Count 1 >>", 3: FONT,
            4: (b"/Type /XObject /Subtype /Form /BBox [0 0 100 40]", b"0 1 0 rg 0 0 100 40 re f"),
            5: (b"/Type /XObject /Subtype /Form /BBox [0 0 100 40]", b"1 1 0 rg 0 0 100 40 re f"),
            6: (b"/Type /XObject /Subtype /Form /BBox [0 0 100 40]", b"0 1 1 rg 0 0 100 40 re f"),
            7: b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (agree) /V /Off /AS /Off /Rect [72 500 92 520] /P 10 0 R /F 4 /MK << /CA (4) >> /AP << /N << /Yes 8 0 R /Off 9 0 R >> /D << /Yes 8 0 R /Off 9 0 R >> >> >>",
            8: (b"/Type /XObject /Subtype /Form /BBox [0 0 20 20]", b"0 0 0 RG 2 2 16 16 re S 4 4 m 16 16 l S"),
            9: (b"/Type /XObject /Subtype /Form /BBox [0 0 20 20]", b"0 0 0 RG 2 2 16 16 re S"),
            11: b"<< /Type /Annot /Subtype /Link /Rect [72 600 172 640] /P 10 0 R /F 4 /Border [0 0 0] /A << /S /URI /URI (https://example.com/) >> /AP << /N 4 0 R /D 5 0 R /R 6 0 R >> >>",
            10: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 12 0 R /Annots [11 0 R 7 0 R] >>",
            12: (b"", text(b"annotations with appearance states"))}
    write_pdf(objs, out)


def calculated(out):
    """Fields a and b and their sum, calculated by a /C action (/CO)."""
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R 6 0 R 7 0 R] /CO [7 0 R] /DA (/Helv 10 Tf 0 g) /DR << /Font << /Helv 3 0 R >> >> >> >>",
            2: b"<< /Type /Pages /Kids [10 0 R] /Count 1 >>", 3: FONT,
            5: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (a) /V (2) /Rect [72 600 172 620] /P 10 0 R /F 4 /AP << /N 8 0 R >> >>",
            6: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (b) /V (3) /Rect [72 560 172 580] /P 10 0 R /F 4 /AP << /N 9 0 R >> >>",
            7: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (sum) /V (5) /Ff 1 /Rect [72 520 172 540] /P 10 0 R /F 4 /AP << /N 11 0 R >> /AA << /C << /S /JavaScript /JS (event.value = Number(this.getField\\(\"a\"\\).value) + Number(this.getField\\(\"b\"\\).value);) >> >> >>",
            8: (b"/Type /XObject /Subtype /Form /BBox [0 0 100 20] /Resources << /Font << /Helv 3 0 R >> >>", b"/Tx BMC BT /Helv 10 Tf 2 6 Td (2) Tj ET EMC"),
            9: (b"/Type /XObject /Subtype /Form /BBox [0 0 100 20] /Resources << /Font << /Helv 3 0 R >> >>", b"/Tx BMC BT /Helv 10 Tf 2 6 Td (3) Tj ET EMC"),
            11: (b"/Type /XObject /Subtype /Form /BBox [0 0 100 20] /Resources << /Font << /Helv 3 0 R >> >>", b"/Tx BMC BT /Helv 10 Tf 2 6 Td (5) Tj ET EMC"),
            10: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 12 0 R /Annots [5 0 R 6 0 R 7 0 R] >>",
            12: (b"", text(b"calculated: a + b = sum"))}
    write_pdf(objs, out)


class Shapes(ww.Checks, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sealpact-shapes.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def signed_twice(self, make, first, second):
        """make's file signed by the buyer (placements first) then the supplier
        (second): both valid for us, pdfsig and qpdf; the final file's path."""
        src, one, two = self.path("src.pdf"), self.path("one.pdf"), self.path("two.pdf")
        make(src)
        q = subprocess.run(["qpdf", "--check", src], capture_output=True, text=True)
        self.assertEqual(q.returncode, 0, q.stdout)
        ww.sign(src, one, "buyer", *first)
        self.assertValid(one, 1)
        ww.sign(one, two, "supplier", *second)
        rep = self.assertValid(two, 2)
        self.assertEqual([s["verdict"] for s in rep["signatures"]],
                         ["valid_with_allowed_changes", "valid"], rep)
        # the normal seal at 400,200 on page 1 (unrotated): red there, not before
        self.assertLess(ww.red_share(src, 1, (370, 170, 430, 230), self.dir), 0.02)
        self.assertGreater(ww.red_share(two, 1, (340, 140, 460, 260), self.dir), 0.08)
        return src, two

    def test_shared_contents_rotated_user_units(self):
        src, two = self.signed_twice(
            shared_rotate_unit,
            ["--normal", "1,400,200", "--seam", "all,400", "--date", "2,150,100"],
            ["--normal", "4,200,300", "--date", "3,300,100", "--multi", "2-3,250,500"])
        for page in (10, 11, 12, 13):
            self.assertEqual(pdf_tags.object_text(two, page)[:-2].split("/Contents ")[1]
                             .split("]")[0], pdf_tags.object_text(src, page)
                             .split("/Contents ")[1].split("]")[0])
        self.assertEqual(pdf_tags.object_text(two, 4), pdf_tags.object_text(src, 4))

    def test_appearance_states(self):
        src, two = self.signed_twice(ap_states, ["--normal", "1,400,200", "--date", "1,150,100"],
                                     ["--normal", "1,300,350"])
        for num in (7, 11):
            self.assertEqual(pdf_tags.object_text(two, num), pdf_tags.object_text(src, num))

    def test_calculated_fields(self):
        src, two = self.signed_twice(calculated, ["--normal", "1,400,200", "--date", "1,150,100"],
                                     ["--normal", "1,300,350"])
        for num in (5, 6, 7):
            self.assertEqual(pdf_tags.object_text(two, num), pdf_tags.object_text(src, num))
        root = run(["qpdf", "--show-object=trailer", two]).stdout.split("/Root ")[1].split()[0]
        self.assertIn("/CO [ 7 0 R ]", pdf_tags.object_text(two, int(root)))


if __name__ == "__main__":
    unittest.main()


class ShapesThroughTheServer(ww.ServerSigning, ww.harness.ServerTestCase):
    """The shapes uploaded (rewritten by the server's normalization) and signed through
    the signing protocol by two organizations: keyword, seam, normal, multi and date
    seals; valid for us, pdfsig, qpdf and POST /api/v1/verify."""

    def test_shapes(self):
        for name, make in (("shared_rotate_unit", shared_rotate_unit), ("ap_states", ap_states),
                           ("calculated", calculated)):
            with self.subTest(shape=name):
                src = os.path.join(self.tmp, name + ".pdf")
                make(src)
                last = ww.pages(src)
                n = self.upload(src, "采购合同 (%s)" % name)
                # a seam and a multi-page seal where there are pages for them
                word = {"shared_rotate_unit": "page one", "ap_states": "annotations",
                        "calculated": "calculated"}[name]
                self.sign_rects("supplier", n, [
                    {"mode": "keyword", "seal": "default", "keyword": word},
                    {"mode": "date", "page": last, "x": 150, "y": 100}] + ([
                    {"mode": "seam", "seal": "default", "pages": "1-%d" % last, "y": 400}]
                    if last > 1 else []))
                self.sign_rects("logistics", n, [
                    {"mode": "normal", "seal": "default", "page": 1, "x": 400, "y": 200}] + ([
                    {"mode": "multi", "seal": "default", "pages": "1-%d" % last, "x": 250,
                     "y": 300}] if last > 1 else []))
                data = self.ok(200, self.call("buyer", "GET",
                                              "/api/v1/contracts/%s/document" % n))
                final = os.path.join(self.tmp, name + "-final.pdf")
                with open(final, "wb") as f:
                    f.write(data)
                self.assertValid(final, 3)
                self.assertGreater(ww.red_share(final, 1, (340, 140, 460, 260), self.tmp), 0.08)
                doc = self.ok(200, self.server.request("POST", "/api/v1/verify", body=data,
                                                       headers={"Content-Type":
                                                                "application/pdf"},
                                                       timeout=60))
                self.assertEqual(doc["verdict"], "valid_with_allowed_changes", doc)
