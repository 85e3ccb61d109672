"""A /Contents gap read "with white space among its digits" costs what the
signature's own /Contents costs, once per gap.

structure() (crypto/verify.c) tries that reading (verify_gap_spaced_hex) for
every signature whose gap is not twice its /Contents long. The gap's length
is the file's to say, not tied to the /Contents, and signature fields that
share one signature dictionary (or dictionaries whose /ByteRange name the same
gap) each asked for the same scan again: a 30 MiB file with 1,000 such fields
cost `sealpact verify` 160 s of CPU (the same file with one byte of its gap
not white space 0.09 s), and the anonymous POST /api/v1/verify held a worker
until the request's deadline. Now a gap with more white space than digits is
not read that way, and a run of signatures with the same gap and value reads
it once. Here: 100 fields over an 8 MiB gap, and 200 fields sharing one
spaced 3 MiB gap, through the anonymous POST /api/v1/verify, the server's CPU
time measured."""

import os
import tempfile
import unittest

import harness
import hostile_pdfs
from harness import ServerTestCase


def signed_looking(path, nfields, gap_fill, gap_mib, gap=None, contents=b"<3000>"):
    """A one-page PDF whose nfields signature fields share one signature
    dictionary, its /ByteRange's gap a stream's data: '<', gap_mib MiB of
    gap_fill, '>' (or gap itself); its /Contents contents."""
    gap = gap or b"<" + gap_fill * (gap_mib << 20) + b">"
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = {}

    def emit(num, data):
        offs[num] = len(body)
        body.extend(b"%d 0 obj\n" % num + data + b"\nendobj\n")

    fields = b" ".join(b"%d 0 R" % (10 + i) for i in range(nfields))
    emit(1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [" + fields
         + b"] /SigFlags 3 >> >>")
    emit(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    emit(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
    offs[4] = len(body)
    body.extend(b"4 0 obj\n<< /Length %d >>\nstream\n" % len(gap))
    br1 = len(body)
    body.extend(gap + b"\nendstream\nendobj\n")
    br2 = br1 + len(gap)
    sig = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
           b"/ByteRange [0 %010d %010d %010d] /Contents " + contents + b" >>")
    emit(5, sig % (br1, br2, 0))
    for i in range(nfields):
        emit(10 + i, b"<< /FT /Sig /T (s%d) /V 5 0 R >>" % i)
    size = 10 + nfields
    xref = len(body)
    body.extend(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for n in range(1, size):
        body.extend(b"%010d 00000 n \n" % offs[n] if n in offs else b"0000000000 65535 f \n")
    body.extend(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                % (size, xref))
    s = sig % (br1, br2, len(body) - br2)
    at = offs[5] + len(b"5 0 obj\n")
    body[at:at + len(s)] = s
    with open(path, "wb") as f:
        f.write(bytes(body))


class GapScan(ServerTestCase):
    tls = False
    # the bound these tests assert is the server's CPU; its wall-clock deadline is
    # left to the client's 120 s (the sanitizer build on a loaded machine passed
    # the default 30 s with 1.5 s of CPU spent). The work budget is the most the
    # configuration takes: these files' fields share one value, each copy of it
    # counted (7229f94), and at the default budget 200 fields over one 1 MiB
    # /Contents are refused pdf_limit (test_hostile_pdfs) before any gap is read,
    # while what is measured here is the gap scan itself
    server_extra = {"server": {"request_timeout_ms": 120000, "max_verify_work": 1000000000}}

    def verify_cpu(self, path):
        """POST /api/v1/verify of path: (status, the report, the server's CPU seconds)."""
        with open(path, "rb") as f:
            body = f.read()
        pid = self.server.proc.pid
        before = hostile_pdfs.cpu_s(pid)
        st, _, _, doc = self.server.request("POST", "/api/v1/verify", body=body,
                                            headers={"Content-Type": "application/pdf"},
                                            timeout=120)
        return st, doc, hostile_pdfs.cpu_s(pid) - before

    def test_a_long_white_space_gap_costs_what_any_other_bad_gap_costs(self):
        asan = harness.sanitized(self.server.proc.pid)
        with tempfile.TemporaryDirectory(prefix="sp-gap-cost.") as tmp:
            plain = os.path.join(tmp, "x.pdf")
            spaced = os.path.join(tmp, "ws.pdf")
            signed_looking(plain, 100, b"x", 8)
            signed_looking(spaced, 100, b" ", 8)
            st1, doc1, cpu1 = self.verify_cpu(plain)
            st2, doc2, cpu2 = self.verify_cpu(spaced)
        print("\n100 fields, an 8 MiB gap: %.2f s of CPU with 'x' in it, %.2f s with "
              "white space" % (cpu1, cpu2))
        # both are no signature's /Contents: refused alike
        for st, doc in ((st1, doc1), (st2, doc2)):
            self.assertEqual(st, 200, doc)
            self.assertEqual(doc["signatures"][0]["reasons"][0], "gap_not_contents", doc)
        self.assertLess(cpu2, 3.0 if asan else 1.0,
                        "a white-space gap cost %.2f s of CPU (an 'x' one %.2f s)"
                        % (cpu2, cpu1))

    def test_fields_sharing_one_dictionary_read_its_spaced_gap_once(self):
        """Within any bound on the gap's length (here: one space after each
        digit pair of a 1 MiB /Contents, a 3 MiB gap), fields sharing one
        dictionary scan the same gap once each: the strict reading of the
        same value without the spaces costs a fraction (its comparison is a
        block compare, not a call per byte)."""
        asan = harness.sanitized(self.server.proc.pid)
        n = 1 << 20
        value = b"30" + b"00" * (n - 1)
        spaced_gap = b"<" + b" ".join(value[i:i + 2] for i in range(0, len(value), 2)) + b">"
        with tempfile.TemporaryDirectory(prefix="sp-gap-cost.") as tmp:
            strict = os.path.join(tmp, "strict.pdf")
            spaced = os.path.join(tmp, "spaced.pdf")
            # the dictionary's own /Contents is the gap (a stream's data here, so it
            # is written again where the dictionary is: the same value)
            signed_looking(strict, 200, None, 0, gap=b"<" + value + b">",
                           contents=b"<" + value + b">")
            signed_looking(spaced, 200, None, 0, gap=spaced_gap, contents=b"<" + value + b">")
            st1, doc1, cpu1 = self.verify_cpu(strict)
            st2, doc2, cpu2 = self.verify_cpu(spaced)
        print("\n200 fields, one 1 MiB /Contents: %.2f s of CPU for its gap as written, "
              "%.2f s spaced" % (cpu1, cpu2))
        # the same verdict either way: the gap is no gap of the dictionary's own
        # /Contents key (it is a stream's data), and both readings say so
        self.assertEqual((st1, st2), (200, 200), (doc1, doc2))
        self.assertEqual(doc1["signatures"][0]["reasons"], doc2["signatures"][0]["reasons"])
        self.assertLess(cpu2, 3.0 if asan else 1.0,
                        "the spaced gap cost %.2f s of CPU (as written %.2f s)" % (cpu2, cpu1))


if __name__ == "__main__":
    unittest.main()
