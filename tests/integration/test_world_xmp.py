"""XMP metadata rewritten after a signature (an editor's or an LTV tool's update:
ISO 32000-2 §12.8.2.2 and pyHanko's policy allow a metadata update): the new
packet must be well-formed XML (pyHanko's MetadataUpdateRule refuses one that
does not parse) and, in a PDF/A file, keep the claim the signed revision made
(pdfaid:part and pdfaid:conformance, unfiltered: ISO 19005-2 §6.6.2.1, §6.6.4):
a PDF/A contract cannot stop claiming PDF/A silently. The verification report
names the change either way."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zlib

import pdf_tags
import test_world_writers as ww
from harness import run

PDFA = os.path.join(ww.FIX, "libreoffice_pdfa2b.pdf")


def setUpModule():
    ww.setUpModule()


def tearDownModule():
    ww.tearDownModule()


def stream(data, extra=b""):
    return b"<< /Type /Metadata /Subtype /XML%s /Length %d >>\nstream\n%s\nendstream" % (
        extra, len(data), data)


class XmpAfterSigning(ww.Checks, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sealpact-xmp.")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.one = self.path("one.pdf")
        ww.sign(PDFA, self.one, "buyer", "--keyword", "甲方（盖章）", "--date", "2,150,60")
        self.assertValid(self.one, 1)
        root = pdf_tags.object_text(self.one, int(re.search(
            r"/Root (\d+) 0 R", run(["qpdf", "--show-object=trailer", self.one]).stdout).group(1)))
        self.root_text = root
        self.root = int(re.search(r"/Root (\d+)", run(["qpdf", "--show-object=trailer",
                                                       self.one]).stdout).group(1))
        self.md = int(re.search(r"/Metadata (\d+) 0 R", root).group(1))
        self.xmp = subprocess.run(["qpdf", "--show-object=%d" % self.md, "--raw-stream-data",
                                   self.one], capture_output=True, check=True).stdout
        self.assertIn(b"<pdfaid:part>2</pdfaid:part>", self.xmp)
        self.size = int(re.search(r"/Size (\d+)", run(["qpdf", "--show-object=trailer",
                                                       self.one]).stdout).group(1))

    def verdict(self, objects):
        """one.pdf with objects rewritten in one update: the signature's verdict and
        the changes' descriptions."""
        out = self.path("changed.pdf")
        pdf_tags.append_update(self.one, out, objects)
        q = subprocess.run(["qpdf", "--check", out], capture_output=True, text=True)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)
        _, rep = ww.verify_json(out)
        s = rep["signatures"][0]
        return s["verdict"], [c["what"] for c in s["changes"]["objects"]]

    def test_packet_rewritten_keeping_the_claim(self):
        new = self.xmp.replace(b"</rdf:RDF>", b"<rdf:Description rdf:about='' xmlns:xmp="
                               b"'http://ns.adobe.com/xap/1.0/' xmp:MetadataDate="
                               b"'2026-12-07T10:00:00+08:00'/></rdf:RDF>")
        self.assertNotEqual(new, self.xmp)
        v, what = self.verdict({self.md: stream(new)})
        self.assertEqual(v, "valid_with_allowed_changes", what)
        self.assertEqual(what, ["XMP metadata (still claiming PDF/A-2B)"])

    def test_packets_refused(self):
        cases = {
            "not well-formed": (stream(self.xmp.replace(b"</rdf:RDF>", b"")),
                                "XMP metadata that is not well-formed XML"),
            "claim dropped": (stream(re.sub(rb"<pdfaid:part>2</pdfaid:part>", b"", self.xmp)),
                              "XMP metadata: the document claims PDF/A-?B instead of "
                              "PDF/A-2B"),
            "claim changed": (stream(self.xmp.replace(b"<pdfaid:conformance>B<",
                                                      b"<pdfaid:conformance>A<")),
                              "XMP metadata: the document claims PDF/A-2A instead of "
                              "PDF/A-2B"),
            "compressed": (stream(zlib.compress(self.xmp), b" /Filter /FlateDecode"),
                           "XMP metadata: the document claims PDF/A-2B (in a compressed "
                           "packet) instead of PDF/A-2B"),
        }
        for name, (obj, want) in cases.items():
            with self.subTest(packet=name):
                v, what = self.verdict({self.md: obj})
                self.assertEqual(v, "invalid", what)
                self.assertEqual(what, [want])

    def test_catalog_naming_another_packet(self):
        # the catalog names a new packet that claims nothing: refused as the same
        # packet rewritten; one that keeps the claim stands
        num = self.size
        root = self.root_text.encode()
        new_root = re.sub(rb"/Metadata \d+ 0 R", b"/Metadata %d 0 R" % num, root)
        plain = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf=" \
                b"'http://www.w3.org/1999/02/22-rdf-syntax-ns#'/></x:xmpmeta>"
        v, what = self.verdict({self.root: new_root, num: stream(plain)})
        self.assertEqual(v, "invalid", what)
        self.assertIn("catalog (/Root) changed (XMP metadata: the document claims no PDF/A "
                      "conformance instead of PDF/A-2B)", what)
        v, what = self.verdict({self.root: new_root, num: stream(self.xmp)})
        self.assertEqual(v, "valid_with_allowed_changes", what)


if __name__ == "__main__":
    unittest.main()


class XmpVerifiedByTheServer(ww.ServerSigning, ww.harness.ServerTestCase):
    """POST /api/v1/verify names the metadata change as sealpact verify does."""

    def test_verify_api_names_the_change(self):
        one = os.path.join(self.tmp, "one.pdf")
        ww.sign(PDFA, one, "buyer", "--keyword", "甲方（盖章）")
        trailer = run(["qpdf", "--show-object=trailer", one]).stdout
        root = pdf_tags.object_text(one, int(re.search(r"/Root (\d+)", trailer).group(1)))
        md = int(re.search(r"/Metadata (\d+) 0 R", root).group(1))
        xmp = subprocess.run(["qpdf", "--show-object=%d" % md, "--raw-stream-data", one],
                             capture_output=True, check=True).stdout
        out = os.path.join(self.tmp, "changed.pdf")
        pdf_tags.append_update(one, out, {md: stream(xmp.replace(b"</rdf:RDF>", b""))})
        with open(out, "rb") as f:
            data = f.read()
        doc = self.ok(200, self.server.request("POST", "/api/v1/verify", body=data, headers={
            "Content-Type": "application/pdf"}, timeout=60))
        s = doc["signatures"][0]
        self.assertEqual(s["verdict"], "invalid", doc)
        self.assertEqual([c["what"] for c in s["changes"]["objects"]],
                         ["XMP metadata that is not well-formed XML"], doc)
