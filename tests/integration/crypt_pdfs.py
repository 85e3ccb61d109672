"""Files with an /Encrypt written by hand (sec35): the standard handler's /O,
/U, /P and /ID of a file qpdf encrypted with the empty user password (V4 R4,
128-bit: the file key and the password check do not depend on the crypt
filters), put on another file's unencrypted objects: /Identity crypt filters,
and an /Encrypt written in an object stream (ISO 32000-1 7.5.7 forbids it)."""
import re
import subprocess
import zlib


def _classic(src, out):
    subprocess.run(["qpdf", "--object-streams=disable", "--decode-level=none", src, out],
                   check=True)
    with open(out, "rb") as f:
        return f.read()


def _xref_table(d):
    """(offset of "xref", {num: offset}, size, trailer dict bytes) of a file qpdf
    wrote with one classic section."""
    x = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", d).group(1))
    m = re.match(rb"xref\s+0\s+(\d+)\s+", d[x:])
    size, p = int(m.group(1)), x + m.end()
    offs = {}
    for n in range(size):
        e = d[p + 20 * n:p + 20 * n + 18]
        if e[17:18] == b"n":
            offs[n] = int(e[:10])
    t = d.index(b"trailer", p)
    tr = d[t + 7:d.index(b"startxref", t)].strip()
    return x, offs, size, tr


def _key(enc_pdf, name):
    return re.search(rb"/" + name + rb"\s*(<[0-9a-fA-F]+>|-?\d+)", enc_pdf).group(1)


def standard_params(src, tmp):
    """/O, /U, /P and /ID (bytes as written) of src encrypted by qpdf (AESV2, empty user
    password, classic xref so the dictionary is readable in the bytes)."""
    enc = tmp + "/std.pdf"
    subprocess.run(["qpdf", "--object-streams=disable", "--encrypt", "", "owner", "128",
                    "--use-aes=y", "--", src, enc], check=True)
    # as qpdf unparses them (binary strings in hex), not as written (a literal string
    # may hold any byte)
    tr = subprocess.run(["qpdf", "--show-object=trailer", enc], check=True,
                        capture_output=True).stdout
    num = re.search(rb"/Encrypt (\d+) 0 R", tr).group(1).decode()
    d = subprocess.run(["qpdf", "--show-object=" + num, enc], check=True,
                       capture_output=True).stdout
    ids = re.search(rb"/ID\s*\[\s*(<[0-9a-fA-F]*>)\s*(<[0-9a-fA-F]*>)\s*\]", tr)
    return _key(d, b"O"), _key(d, b"U"), _key(d, b"P"), ids.group(1) + b" " + ids.group(2)


def with_encrypt(src, tmp, filters, in_objstm=False):
    """src's objects unencrypted under a V4 /Encrypt whose crypt filters are `filters`
    (the dictionary's /CF, /StmF and /StrF entries): meant for /Identity ones. With
    in_objstm, the /Encrypt dictionary is written in an object stream and the file's
    cross-references are a stream (ISO 32000-1 7.5.7 forbids that)."""
    o, u, p, ids = standard_params(src, tmp)
    d = _classic(src, tmp + "/plain.pdf")
    x, offs, size, tr = _xref_table(d)
    root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", tr).group(1)
    info = re.search(rb"/Info\s+(\d+\s+\d+\s+R)", tr)
    enc = (b"<< /Filter /Standard /V 4 /R 4 /Length 128 /P %s /O %s /U %s %s >>" %
           (p, o, u, filters))
    out = bytearray(d[:x])
    e = size
    trailer = b"/Root %s %s/ID [%s] /Encrypt %d 0 R" % (
        root, (b"/Info " + info.group(1) + b" ") if info else b"", ids, e)
    if not in_objstm:
        offs[e] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (e, enc)
        xo = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (size + 1)
        for n in range(1, size + 1):
            out += (b"%010d 00000 n \n" % offs[n]) if n in offs else b"0000000000 65535 f \n"
        out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (size + 1, trailer, xo)
        return bytes(out)
    # object e in object stream e + 1, the xref stream e + 2
    head = b"%d 0 " % e
    body = zlib.compress(head + enc)
    offs[e + 1] = len(out)
    out += (b"%d 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n"
            b"stream\n" % (e + 1, len(head), len(body)) + body + b"\nendstream\nendobj\n")
    offs[e + 2] = len(out)
    rows = bytearray()
    for n in range(size + 3):
        if n == e:
            rows += bytes([2]) + (e + 1).to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif n in offs:
            rows += bytes([1]) + offs[n].to_bytes(4, "big") + (0).to_bytes(2, "big")
        else:
            rows += bytes([0]) + (0).to_bytes(4, "big") + (65535 if n == 0 else 0).to_bytes(2, "big")
    xs = zlib.compress(bytes(rows))
    xo = offs[e + 2]
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] %s /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % (e + 2, size + 3, trailer, len(xs)) + xs +
            b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xo)
    return bytes(out)
