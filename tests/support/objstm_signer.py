"""objstm_signer.py OUT CERT KEY [CERTFILE]: a one-page contract whose signature dictionary is
stored in an (uncompressed) object stream, listed by a cross-reference stream, signed
over its /ByteRange with `openssl cms` (adbe.pkcs7.detached): a writer that puts
every dictionary it can into object streams, the signature's too. ISO 32000-2 7.5.7
excludes only streams, generation numbers other than 0, the encryption dictionary
and /Length values of object streams from them; the /Contents string is then in the
file's bytes as written, and the gap is exactly that string. CERTFILE's certificates
(the signer's issuers) go into the CMS beside the signer's."""
import os
import struct
import subprocess
import sys
import tempfile

HEXLEN = 8192


def build():
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R] "
            b"/Contents 6 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 "
            b"/BaseFont /Helvetica >> >> >> >>"),
        4: (b"<< /FT /Sig /T (Signature1) /V 5 0 R /Type /Annot /Subtype /Widget "
            b"/Rect [0 0 0 0] /F 132 /P 3 0 R >>"),
    }
    content = b"BT /F1 24 Tf 72 700 Td (A contract, its signature in an object stream) Tj ET"
    sig = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
           b"/M (D:20261206120000Z) /ByteRange [0 0000000000 0000000000 0000000000] "
           b"/Contents <" + b"0" * HEXLEN + b"> >>")
    head = b"5 0 "
    f = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    off = {}
    for n in sorted(objs):
        off[n] = len(f)
        f += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
    off[6] = len(f)
    f += b"6 0 obj\n<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream\nendobj\n"
    off[7] = len(f)
    f += (b"7 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n"
          % (len(head), len(head) + len(sig)) + head + sig + b"\nendstream\nendobj\n")
    off[8] = len(f)
    rows = struct.pack(">BIH", 0, 0, 65535)
    for n in range(1, 9):
        # object 5: the first (index 0) of object stream 7
        rows += struct.pack(">BIH", 2, 7, 0) if n == 5 else struct.pack(">BIH", 1, off[n], 0)
    f += (b"8 0 obj\n<< /Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
          % len(rows) + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % off[8])
    return f


def main():
    out, cert, key = sys.argv[1:4]
    more = ["-certfile", sys.argv[4]] if len(sys.argv) > 4 else []
    f = build()
    a = f.index(b"/Contents <") + 10
    b = a + HEXLEN + 2
    br = b"[0 %010d %010d %010d]" % (a, b, len(f) - b)
    j = f.index(b"[0 0000000000 0000000000 0000000000]")
    f[j:j + len(br)] = br
    with tempfile.TemporaryDirectory() as t:
        with open(os.path.join(t, "in"), "wb") as g:
            g.write(bytes(f[:a]) + bytes(f[b:]))
        subprocess.run(["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-nosmimecap",
                        "-in", os.path.join(t, "in"), "-signer", cert, "-inkey", key,
                        "-outform", "DER", "-out", os.path.join(t, "sig")] + more, check=True)
        with open(os.path.join(t, "sig"), "rb") as g:
            h = g.read().hex().upper().encode()
    assert len(h) <= HEXLEN
    f[a + 1:a + 1 + len(h)] = h
    with open(out, "wb") as g:
        g.write(f)


if __name__ == "__main__":
    main()
