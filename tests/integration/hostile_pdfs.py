"""Hostile PDFs (sec31), each within the upload limit and built to make one
request cost as much CPU time or memory as the parser allows: huge claimed
cross-reference tables, long revision chains, deep nesting, decompression
bombs, huge arrays. Generated, never committed: test_hostile_pdfs.py and
bench/hostile_pdfs.py build them here.

Every builder returns the file's bytes. `build(name)` names them."""

import os
import zlib


def cpu_s(pid):
    """A process's CPU seconds (user + system) from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hwm_mb(pid):
    """A process's peak resident memory (VmHWM) in MB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _doc(objs, root=1, extra_trailer=b"", header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"):
    """A classic file: objs maps number -> body bytes (without "N 0 obj")."""
    out = bytearray(header)
    offs = {}
    for n in sorted(objs):
        offs[n] = len(out)
        out += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
    size = max(objs) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for n in range(1, size):
        out += (b"%010d 00000 n \n" % offs[n]) if n in offs else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        size, root, extra_trailer, xref)
    return bytes(out), offs, xref


def _stream(dict_body, data, compress=True, level=9):
    if compress:
        data = zlib.compress(data, level)
        dict_body += b" /Filter /FlateDecode"
    return b"<< %s /Length %d >>\nstream\n" % (dict_body, len(data)) + data + b"\nendstream"


def _bomb(decoded, chunk=1 << 20, byte=b"\0"):
    """Deflate of `decoded` bytes of one byte value (a zlib stream)."""
    return _bomb_stream(b"", decoded, chunk, byte)


def _bomb_stream(prefix, decoded, chunk=1 << 20, byte=b"\0"):
    """A zlib stream of prefix then `decoded` bytes of one byte value, deflated
    a chunk at a time with a full flush after each: after a full flush the
    compressor starts afresh, so every whole chunk deflates to the same bytes,
    compressed once and repeated (deflating 2 GiB at level 9 was 10 to 20 CPU
    s a file). The Adler-32 of the run is arithmetic (65521 is its modulus)."""
    raw = lambda: zlib.compressobj(9, zlib.DEFLATED, -15)
    z = raw()
    head = z.compress(prefix) + z.flush(zlib.Z_FULL_FLUSH) if prefix else b""
    whole, last = divmod(decoded, chunk)
    if last == 0 and whole > 0:
        whole, last = whole - 1, chunk
    z = raw()
    one = z.compress(byte * chunk) + z.flush(zlib.Z_FULL_FLUSH) if whole else b""
    z = raw()
    tail = z.compress(byte * last) + z.flush()
    a0 = zlib.adler32(prefix)
    a, b = a0 & 0xFFFF, a0 >> 16
    d, n = byte[0], decoded
    b = (b + n * a + d * n * (n + 1) // 2) % 65521
    a = (a + n * d) % 65521
    return b"\x78\xda" + head + one * whole + tail + ((b << 16) | a).to_bytes(4, "big")


def _base(contents=b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET", more=None, page_extra=b"",
          compress=True):
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
           b"/Resources << /Font << /F1 5 0 R >> >> %s>>" % page_extra,
        4: _stream(b"", contents, compress),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    objs.update(more or {})
    return objs


def plain():
    return _doc(_base())[0]


# ---- cross-reference tables and revision chains ----

def xref_stream_4m(n=3999999):
    """An xref stream that lists n + 1 objects (/Size PDF_DOC_MAX_OBJECTS),
    every entry in use and pointing at the same object: 35 KB deflated."""
    objs = _base()
    body, offs, _ = _doc(objs)
    end = body.index(b"xref\n")
    out = bytearray(body[:end])
    xoff = len(out)
    row = b"\x01" + offs[5].to_bytes(4, "big") + b"\x00"
    rows = bytearray()
    rows += b"\x00\x00\x00\x00\x00\xff"
    for i in range(1, 6):
        rows += b"\x01" + offs[i].to_bytes(4, "big") + b"\x00"
    data = zlib.compress(bytes(rows) + row * (n - 6), 9)
    out += b"%d 0 obj\n" % n
    out += (b"<< /Type /XRef /Size %d /W [1 4 1] /Root 1 0 R /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % (n + 1, len(data)))
    out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xoff
    # the stream itself is object n: its entry (the last) is fixed to point at it
    return _fix_xref_self(bytes(out), n, xoff, rows, row)


def _fix_xref_self(buf, n, xoff, rows, row):
    # the last row should point at the xref stream: rebuild with it (same length)
    all_rows = bytes(rows) + row * (n - 6) + b"\x01" + xoff.to_bytes(4, "big") + b"\x00"
    data = zlib.compress(all_rows, 9)
    head = buf[:xoff]
    out = head + b"%d 0 obj\n" % n
    out += (b"<< /Type /XRef /Size %d /W [1 4 1] /Root 1 0 R /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % (n + 1, len(data)))
    out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xoff
    return out


def xref_table_huge(n=1500000):
    """A classic table of n in-use entries (30 MB), all at one object."""
    body, offs, _ = _doc(_base())
    end = body.index(b"xref\n")
    out = bytearray(body[:end])
    xoff = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % n
    for i in range(1, 6):
        out += b"%010d 00000 n \n" % offs[i]
    out += (b"%010d 00000 n \n" % offs[5]) * (n - 6)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xoff)
    return bytes(out)


def updates_10k(k=10000):
    """k incremental updates, each rewriting the page's content stream."""
    body, offs, xref = _doc(_base())
    out = bytearray(body)
    prev = xref
    for i in range(k):
        o = len(out)
        s = b"BT /F1 12 Tf 72 720 Td (Rev %d) Tj ET" % i
        out += b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(s), s)
        x = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \n4 1\n%010d 00000 n \n"
                b"trailer\n<< /Size 6 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
                % (o, prev, x))
        prev = x
    return bytes(out)


def prev_chain(k=300000):
    """k empty xref sections chained by /Prev (no objects changed)."""
    body, offs, xref = _doc(_base())
    out = bytearray(body)
    prev = xref
    for _ in range(k):
        x = len(out)
        out += b"xref\n0 0\ntrailer\n<</Size 6/Root 1 0 R/Prev %d>>\n" % prev
        prev = x
    out += b"startxref\n%d\n%%%%EOF\n" % prev
    return bytes(out)


def prev_loop():
    """Two xref sections whose /Prev point at each other."""
    body, offs, xref = _doc(_base())
    out = bytearray(body)
    a = len(out)
    b_text = b"xref\n0 0\ntrailer\n<</Size 6/Root 1 0 R/Prev %010d>>\n"
    out += b_text % 0  # placeholder, patched below
    b = len(out)
    out += b_text % a
    out[a:b] = b_text % b
    out += b"startxref\n%d\n%%%%EOF\n" % b
    return bytes(out)


def xref_stream_updates(k=10000):
    """k incremental updates with xref streams (each a deflated stream)."""
    body, offs, xref = _doc(_base())
    out = bytearray(body)
    prev = xref
    for i in range(k):
        o = len(out)
        s = b"BT /F1 12 Tf 72 720 Td (Rev %d) Tj ET" % i
        out += b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(s), s)
        x = len(out)
        num = 6 + i
        rows = b"\x01" + o.to_bytes(4, "big") + b"\x00" + b"\x01" + x.to_bytes(4, "big") + b"\x00"
        data = zlib.compress(rows)
        out += (b"%d 0 obj\n<< /Type /XRef /Size %d /Index [4 1 %d 1] /W [1 4 1] /Root 1 0 R "
                b"/Prev %d /Filter /FlateDecode /Length %d >>\nstream\n" % (num, num + 1, num,
                                                                          prev, len(data)))
        out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % x
        prev = x
    return bytes(out)


# ---- nesting and huge arrays ----

def deep_arrays(depth=1000000):
    return _doc(_base(page_extra=b"/Deep " + b"[" * depth + b"]" * depth + b" "))[0]


def deep_dicts(depth=500000):
    return _doc(_base(page_extra=b"/Deep " + b"<</A " * depth + b">>" * depth + b" "))[0]


def huge_kids(n=2000000):
    """A /Kids array of n references to the one page (the tree walk's cap
    must stop it; qpdf still reads the array)."""
    objs = _base()
    objs[2] = b"<< /Type /Pages /Kids [" + b"3 0 R " * n + b"] /Count %d >>" % n
    return _doc(objs)[0]


def huge_kids_distinct(n=1500000):
    """/Kids of n references to distinct objects that do not exist."""
    objs = _base()
    objs[2] = (b"<< /Type /Pages /Kids [3 0 R " + b"".join(b"%d 0 R " % (100 + i) for i in range(n))
               + b"] /Count 1 >>")
    return _doc(objs)[0]


def hidden_in_stream(n=4000000):
    """sec32: a damaged file (no xref, no startxref) whose page tree is
    written again inside a stream's data with /Kids of n references: qpdf
    reconstructs the file by reading every line that starts "N G obj",
    stream data included, and the later "2 0 obj" wins; the byte scan
    skipped stream data (24 MB took 1.5 s and 330 MB, 30 MB 2.3 s and 399 MB)."""
    inner = b"2 0 obj\n<< /Type /Pages /Count 1 /Kids [" + b"3 0 R " * n + b"] >>\nendobj\n"
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
            b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
            b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
            + b"4 0 obj\n<< /Length " + str(len(inner)).encode() + b" >>\nstream\n" + inner +
            b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Size 5 >>\n%%EOF\n")


def shared_kids(depth=13):
    """A page tree that is a DAG: each level's two kids are the same node,
    2^depth leaf visits of one page."""
    objs = _base()
    first = 10
    objs[2] = b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count %d >>" % (first, first, 2 ** depth)
    for d in range(depth - 1):
        n = first + d
        kid = n + 1
        objs[n] = b"<< /Type /Pages /Parent 2 0 R /Kids [%d 0 R %d 0 R] /Count %d >>" % (
            kid, kid, 2 ** (depth - 1 - d))
    last = first + depth - 1
    objs[last] = b"<< /Type /Pages /Parent 2 0 R /Kids [3 0 R 3 0 R] /Count 2 >>"
    return _doc(objs)[0]


def many_pages_big_kids(n=10000):
    """n distinct pages (the cap), each with a big shared resource dict."""
    objs = _base()
    kids = []
    for i in range(n):
        objs[100 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                         b"/Resources << /Font << /F1 5 0 R >> >> >>")
        kids.append(b"%d 0 R" % (100 + i))
    objs[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % n
    return _doc(objs)[0]


# ---- object streams ----

def objstm_huge(n=1000000):
    """One object stream holding n tiny objects (a deflated header of n
    pairs); an xref stream lists every one."""
    objs = _base()
    body, offs, _ = _doc(objs)
    end = body.index(b"xref\n")
    out = bytearray(body[:end])
    first = 10
    header = bytearray()
    content = bytearray()
    for i in range(n):
        header += b"%d %d " % (first + i, len(content))
        content += b"[1] "
    data = zlib.compress(bytes(header) + bytes(content), 9)
    sn = first + n
    so = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        sn, n, len(header), len(data))
    out += data + b"\nendstream\nendobj\n"
    xn = sn + 1
    xoff = len(out)
    rows = bytearray(b"\x00\x00\x00\x00\x00\xff")
    for i in range(1, first):
        rows += (b"\x01" + offs[i].to_bytes(4, "big") + b"\x00") if i in offs else b"\x00" * 6
    for i in range(n):
        rows += b"\x02" + sn.to_bytes(4, "big") + (i & 0xff).to_bytes(1, "big")
    # /W [1 4 1] cannot hold the index past 255: use 3 bytes for field 3
    rows = bytearray(b"\x00\x00\x00\x00\x00\x00\xff\xff")
    for i in range(1, first):
        rows += (b"\x01" + offs[i].to_bytes(4, "big") + b"\x00\x00\x00") if i in offs else b"\x00" * 8
    for i in range(n):
        rows += b"\x02" + sn.to_bytes(4, "big") + i.to_bytes(3, "big")
    rows += b"\x01" + so.to_bytes(4, "big") + b"\x00\x00\x00"
    rows += b"\x01" + xoff.to_bytes(4, "big") + b"\x00\x00\x00"
    data = zlib.compress(bytes(rows), 9)
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 3] /Root 1 0 R /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % (xn, xn + 1, len(data)))
    out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xoff
    return bytes(out)


def objstm_bomb(decoded=2 << 30):
    """An object stream whose data inflates to `decoded` bytes of spaces."""
    objs = _base()
    body, offs, _ = _doc(objs)
    end = body.index(b"xref\n")
    out = bytearray(body[:end])
    data = _bomb(decoded, byte=b" ")
    sn = 10
    so = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % (
        sn, len(data))
    out += data + b"\nendstream\nendobj\n"
    xn = 12
    xoff = len(out)
    rows = bytearray(b"\x00\x00\x00\x00\x00\xff")
    for i in range(1, 10):
        rows += (b"\x01" + offs[i].to_bytes(4, "big") + b"\x00") if i in offs else b"\x00" * 6
    rows += b"\x01" + so.to_bytes(4, "big") + b"\x00"
    rows += b"\x02" + sn.to_bytes(4, "big") + b"\x00"
    rows += b"\x01" + xoff.to_bytes(4, "big") + b"\x00"
    data = zlib.compress(bytes(rows), 9)
    # object 6 (in the stream) is the page's /Annots, so that it is read
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Root 1 0 R /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % (xn, xn + 1, len(data)))
    out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xoff
    return bytes(out)


def xref_stream_bomb(decoded=2 << 30):
    """An xref stream whose data inflates to `decoded` bytes (/W [1 4 1] rows
    of zeros: free entries)."""
    body, offs, _ = _doc(_base())
    end = body.index(b"xref\n")
    out = bytearray(body[:end])
    xoff = len(out)
    rows = bytearray(b"\x00\x00\x00\x00\x00\xff")
    for i in range(1, 6):
        rows += b"\x01" + offs[i].to_bytes(4, "big") + b"\x00"
    rows += b"\x01" + xoff.to_bytes(4, "big") + b"\x00"
    data = _bomb_stream(bytes(rows), decoded)
    out += (b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 1] /Root 1 0 R /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % len(data))
    out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xoff
    return bytes(out)


# ---- decompression bombs in page content, fonts, images ----

def content_bomb(decoded=4 << 30):
    """The page's content stream inflates to `decoded` bytes of spaces."""
    data = _bomb(decoded, byte=b" ")
    objs = _base()
    objs[4] = b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
    return _doc(objs)[0]


def content_bomb_parms(decoded=2 << 30):
    """content_bomb with /DecodeParms (a predictor of 1: none), which the
    text locator left to qpdf's decoder."""
    data = _bomb(decoded, byte=b" ")
    objs = _base()
    objs[4] = (b"<< /Filter /FlateDecode /DecodeParms << /Predictor 1 >> /Length %d >>\nstream\n"
               % len(data) + data + b"\nendstream")
    return _doc(objs)[0]


def content_bomb_runlength(decoded=1 << 30):
    """A RunLengthDecode content stream: 2 bytes for 128 spaces (64:1)."""
    data = b"\x81 " * (decoded // 128) + b"\x80"
    objs = _base()
    objs[4] = b"<< /Filter /RunLengthDecode /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
    return _doc(objs)[0]


def content_chains(words=b"Hello Seal here"):
    """One page of three content streams with what the text locator leaves
    to qpdf's decoder: [/ASCII85Decode /FlateDecode], [/ASCIIHexDecode
    /FlateDecode] and Flate with a predictor of 1: a keyword is found in
    each (not a hostile file: what must keep working)."""
    import base64
    ops = [b"BT /F1 12 Tf 72 %d Td (%s %d) Tj ET" % (700 - 40 * i, words, i) for i in range(3)]
    a85 = base64.a85encode(zlib.compress(ops[0])) + b"~>"
    ahx = zlib.compress(ops[1]).hex().encode() + b">"
    fl = zlib.compress(ops[2])
    objs = _base()
    objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [4 0 R 6 0 R 7 0 R] "
               b"/Resources << /Font << /F1 5 0 R >> >> >>")
    objs[4] = (b"<< /Filter [/ASCII85Decode /FlateDecode] /Length %d >>\nstream\n" % len(a85)
               + a85 + b"\nendstream")
    objs[6] = (b"<< /Filter [/ASCIIHexDecode /FlateDecode] /Length %d >>\nstream\n" % len(ahx)
               + ahx + b"\nendstream")
    objs[7] = (b"<< /Filter /FlateDecode /DecodeParms << /Predictor 1 >> /Length %d >>\nstream\n"
               % len(fl) + fl + b"\nendstream")
    return _doc(objs)[0]


def image_bomb(decoded=4 << 30):
    """An image XObject whose samples inflate to `decoded` bytes."""
    data = _bomb(decoded)
    w = 65536
    h = decoded // (w * 3)
    objs = _base(contents=b"q 100 0 0 100 0 0 cm /Im1 Do Q",
                 page_extra=b"")
    objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>")
    objs[6] = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
               b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(data))
               + data + b"\nendstream")
    return _doc(objs)[0]


def tounicode_bomb(decoded=2 << 30):
    """A Type0 font whose /ToUnicode CMap inflates to `decoded` bytes."""
    data = _bomb(decoded, byte=b" ")
    objs = _base(contents=b"BT /F1 12 Tf 72 720 Td <0041> Tj ET")
    objs[5] = (b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H "
               b"/DescendantFonts [7 0 R] /ToUnicode 6 0 R >>")
    objs[6] = b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
    objs[7] = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry "
               b"(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 >>")
    objs[8] = (b"<< /Type /FontDescriptor /FontName /X /Flags 4 /FontBBox [0 0 1000 1000] "
               b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>")
    return _doc(objs)[0]


def font_huge_w(n=2000000):
    """A CID font with a /W array of n widths."""
    objs = _base(contents=b"BT /F1 12 Tf 72 720 Td <0041> Tj ET")
    objs[5] = (b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H "
               b"/DescendantFonts [7 0 R] >>")
    objs[7] = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry "
               b"(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /W [1 ["
               + b"500 " * n + b"]] >>")
    objs[8] = (b"<< /Type /FontDescriptor /FontName /X /Flags 4 /FontBBox [0 0 1000 1000] "
               b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>")
    return _doc(objs)[0]


def font_w_ranges(n=1000000):
    """A /W array of n ranges "c1 c2 w", each over the whole 16-bit space."""
    objs = _base(contents=b"BT /F1 12 Tf 72 720 Td <0041> Tj ET")
    objs[5] = (b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H "
               b"/DescendantFonts [7 0 R] >>")
    objs[7] = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry "
               b"(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /W ["
               + b"0 65535 500 " * n + b"] >>")
    objs[8] = (b"<< /Type /FontDescriptor /FontName /X /Flags 4 /FontBBox [0 0 1000 1000] "
               b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>")
    return _doc(objs)[0]


# ---- what the keyword locator reads ----

def text_ops(n=3000000):
    """n tiny text-showing operators (deflated: a few hundred KiB)."""
    ops = b"BT /F1 12 Tf 72 720 Td " + b"(a) Tj " * n + b"ET"
    return _doc(_base(contents=ops))[0]


def text_ops_pages(pages=200, n=400000):
    """pages pages that share one content stream of n operators."""
    ops = b"BT /F1 12 Tf 72 720 Td " + b"(a) Tj " * n + b"ET"
    objs = _base(contents=ops)
    kids = []
    for i in range(pages):
        objs[100 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                         b"/Resources << /Font << /F1 5 0 R >> >> >>")
        kids.append(b"%d 0 R" % (100 + i))
    objs[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % pages
    return _doc(objs)[0]


def text_operands(n=3000000):
    """Millions of numbers before one operator, then Tf (operand floods)."""
    ops = b"BT /F1 12 Tf 72 720 Td " + b"1 " * n + b"(a) Tj ET"
    return _doc(_base(contents=ops))[0]


def form_xobjects(depth=12, fan=8):
    """Form XObjects each drawing the next one `fan` times: fan^depth runs."""
    objs = _base(contents=b"/X0 Do")
    objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> /XObject << /X0 10 0 R >> >> >>")
    for d in range(depth):
        n = 10 + d
        if d == depth - 1:
            body = b"BT /F1 12 Tf 72 720 Td " + b"(a) Tj " * 1000 + b"ET"
            res = b"/Font << /F1 5 0 R >>"
        else:
            body = b"/X0 Do " * fan
            res = b"/XObject << /X0 %d 0 R >>" % (n + 1)
        objs[n] = _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << %s >>"
                          % res, body)
    return _doc(objs)[0]


def inline_images(n=500000):
    """n small inline images in the content stream."""
    ops = b"BT /F1 12 Tf 72 720 Td (a) Tj ET " + (
        b"q BI /W 4 /H 4 /CS /G /BPC 8 ID " + b"EIEIEIEIEIEIEIEI" + b"\nEI Q ") * n
    return _doc(_base(contents=ops))[0]


def inline_image_big(size=20 << 20):
    """One inline image whose data (no EI anywhere) fills the stream."""
    ops = b"BT /F1 12 Tf 72 720 Td (a) Tj ET q BI /W 1 /H 1 /CS /G /BPC 8 ID " + b"E" * size + b"\nEI Q"
    return _doc(_base(contents=ops))[0]


def tounicode_huge(n=1000000):
    """A ToUnicode CMap of many bfrange blocks (deflated)."""
    lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
             b"1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    for b in range(n // 100):
        lines.append(b"100 beginbfrange")
        lines.append(b"".join(b"<%04X> <%04X> <%04X>\n" % (i % 65536, i % 65536, 0x4e00)
                              for i in range(b * 100, b * 100 + 100)))
        lines.append(b"endbfrange")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    cmap = b"\n".join(lines)
    objs = _base(contents=b"BT /F1 12 Tf 72 720 Td " + b"<0041> Tj " * 1000 + b"ET")
    objs[5] = (b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H "
               b"/DescendantFonts [7 0 R] /ToUnicode 6 0 R >>")
    objs[6] = _stream(b"", cmap)
    objs[7] = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry "
               b"(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 >>")
    objs[8] = (b"<< /Type /FontDescriptor /FontName /X /Flags 4 /FontBBox [0 0 1000 1000] "
               b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>")
    return _doc(objs)[0]


def many_fonts(n=4000, uses=200):
    """n distinct fonts each with a ToUnicode of 200000 ranges would be too
    big; n fonts used `uses` times each, every one a fresh object."""
    res = b" ".join(b"/F%d %d 0 R" % (i, 1000 + i) for i in range(n))
    ops = b"BT " + b"".join(b"/F%d 12 Tf (a) Tj " % (i % n) for i in range(n * uses // 10)) + b"ET"
    objs = _base(contents=ops)
    objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << %s >> >> >>" % res)
    for i in range(n):
        objs[1000 + i] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    return _doc(objs)[0]


# ---- signatures ----

def _sig_doc(nsigs, contents_hex, byterange=None, update_per_sig=False):
    objs = _base()
    fields = []
    for i in range(nsigs):
        f = 100 + 2 * i
        v = f + 1
        fields.append(b"%d 0 R" % f)
        objs[f] = (b"<< /FT /Sig /T (S%d) /V %d 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] "
                   b"/P 3 0 R >>" % (i, v))
        br = byterange if byterange is not None else b"[0 1 2 3]"
        objs[v] = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                   b"/ByteRange %s /Contents <%s> >>" % (br, contents_hex))
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] /SigFlags 3 >> >>" % (
        b" ".join(fields))
    body, offs, _ = _doc(objs)
    return body, offs


def many_sigs_big_contents(nsigs=1000, contents=16000):
    """nsigs signature fields, each /Contents of `contents` bytes of zeros and
    a /ByteRange over the whole file but its own /Contents."""
    hexc = b"30" + b"0" * (2 * contents - 2)
    body, offs = _sig_doc(nsigs, hexc)
    # patch each /ByteRange to cover the whole file around its /Contents
    out = bytearray(body)
    pos = 0
    tag = b"/ByteRange [0 1 2 3]"
    for i in range(nsigs):
        p = out.index(tag, pos)
        c = out.index(b"/Contents <", p) + len(b"/Contents ")
        e = out.index(b">", c) + 1
        br = b"/ByteRange [0 %d %d %d]" % (c, e, len(out) - e)
        if len(br) > len(tag):
            # the byte range is longer than the placeholder: pad the placeholder first
            raise ValueError("placeholder too short")
        out[p:p + len(tag)] = br + b" " * (len(tag) - len(br))
        pos = e
    return bytes(out)


def many_sigs_wide(nsigs=1000, contents=16000):
    """As many_sigs_big_contents, with room for real /ByteRange numbers."""
    hexc = b"30" + b"0" * (2 * contents - 2)
    br = b"[0 0000000000 0000000000 0000000000]"
    body, offs = _sig_doc(nsigs, hexc, byterange=br)
    out = bytearray(body)
    pos = 0
    for i in range(nsigs):
        p = out.index(b"/ByteRange " + br, pos)
        c = out.index(b"/Contents <", p) + len(b"/Contents ")
        e = out.index(b">", c) + 1
        nb = b"[0 %d %d %d]" % (c, e, len(out) - e)
        nb = nb + b" " * (len(br) - len(nb))
        q = p + len(b"/ByteRange ")
        out[q:q + len(br)] = nb
        pos = e
    return bytes(out)


def shared_sig_big_contents(nfields=1000, contents=1000000):
    """nfields signature fields whose /V all name one signature dictionary,
    its /Contents `contents` bytes (the most a signature may have,
    PDF_SIG_CONTENTS_MAX) and its /ByteRange over the whole file but them:
    a file of some 2 MB."""
    objs = _base()
    br = b"[0 0000000000 0000000000 0000000000]"
    for i in range(nfields):
        objs[100 + i] = (b"<< /FT /Sig /T (S%d) /V 99 0 R /Type /Annot /Subtype /Widget "
                         b"/Rect [0 0 0 0] /P 3 0 R >>" % i)
    objs[99] = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                b"/ByteRange %s /Contents <30%s> >>" % (br, b"0" * (2 * contents - 2)))
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] /SigFlags 3 >> >>" % (
        b" ".join(b"%d 0 R" % (100 + i) for i in range(nfields)))
    out = bytearray(_doc(objs)[0])
    p = out.index(b"/ByteRange " + br) + len(b"/ByteRange ")
    c = out.index(b"/Contents <", p) + len(b"/Contents ")
    e = out.index(b">", c) + 1
    nb = b"[0 %d %d %d]" % (c, e, len(out) - e)
    out[p:p + len(br)] = nb + b" " * (len(br) - len(nb))
    return bytes(out)


def shared_sig_wide_range(sign, nfields=1000, pad=24 << 20, room=4096, first=False,
                          subfilter=b"ETSI.CAdES.detached"):
    """nfields signature fields whose /V all name one real signature (sign(data):
    the DER CMS over its byte range, made by the caller) of a small /Contents,
    its second byte range over `pad` bytes of a stream after it (review50): each
    field is verified on its own, and each verification hashes that range again
    (the first range's running digest is shared, the second's is not). With
    first, the stream comes before the signature, in its first range
    (review51)."""
    objs = _base()
    br = b"[0 0000000000 0000000000 0000000000]"
    for i in range(nfields):
        objs[100 + i] = (b"<< /FT /Sig /T (S%d) /V 99 0 R /Type /Annot /Subtype /Widget "
                         b"/Rect [0 0 0 0] /P 3 0 R >>" % i)
    objs[99] = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /%s "
                b"/ByteRange %s /Contents <%s> >>" % (subfilter, br, b"0" * (2 * room)))
    big = 50 if first else 100 + nfields
    objs[big] = _stream(b"", b"%" * pad, compress=False)
    objs[1] = (b"<< /Type /Catalog /Pages 2 0 R /PieceInfo << /Padding << /Private %d 0 R >> >> "
               b"/AcroForm << /Fields [%s] /SigFlags 3 >> >>" % (
                   big, b" ".join(b"%d 0 R" % (100 + i) for i in range(nfields))))
    out = bytearray(_doc(objs)[0])
    p = out.index(b"/ByteRange " + br) + len(b"/ByteRange ")
    c = out.index(b"/Contents <", p) + len(b"/Contents ")
    e = out.index(b">", c) + 1
    nb = b"[0 %d %d %d]" % (c, e, len(out) - e)
    out[p:p + len(br)] = nb + b" " * (len(br) - len(nb))
    der = sign(bytes(out[:c]) + bytes(out[e:])).hex().encode()
    assert len(der) <= 2 * room, "the CMS does not fit"
    out[c + 1:c + 1 + len(der)] = der
    return bytes(out)


def _der(tag, body):
    n = len(body)
    head = bytes([n]) if n < 0x80 else (
        bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big"))
    return bytes([tag]) + head + body


def _der_body(e):
    """The contents of one DER element e."""
    n = e[1]
    return e[2 + (n & 0x7f if n & 0x80 else 0):]


def _der_items(b):
    """The elements of DER contents b, each whole."""
    out, i = [], 0
    while i < len(b):
        n, j = b[i + 1], i + 2
        if n & 0x80:
            n, j = int.from_bytes(b[j:j + (n & 0x7f)], "big"), j + (n & 0x7f)
        out.append(b[i:j + n])
        i = j + n
    return out


def eddsa_noattr_cms(data, cert_der, ed25519_sign):
    """A CMS SignedData whose one SignerInfo has no signed attributes and an
    Ed25519 signature over data itself (RFC 8419 §3.1: PureEdDSA over the
    content), as a Java or node-forge signer makes one and OpenSSL 3.0's cms
    -sign cannot; ed25519_sign(data) gives the 64-byte value."""
    tbs = _der_items(_der_body(_der_items(_der_body(cert_der))[0]))
    if tbs[0][0] == 0xa0:  # the version
        tbs = tbs[1:]
    serial, issuer = tbs[0], tbs[2]
    sha512 = _der(0x30, _der(0x06, bytes.fromhex("608648016503040203")))
    si = _der(0x30, _der(0x02, b"\x01") + _der(0x30, issuer + serial) + sha512 +
              _der(0x30, _der(0x06, bytes.fromhex("2b6570"))) + _der(0x04, ed25519_sign(data)))
    sd = _der(0x30, _der(0x02, b"\x01") + _der(0x31, sha512) +
              _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010701"))) +
              _der(0xa0, cert_der) + _der(0x31, si))
    return _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010702")) + _der(0xa0, sd))


# the triggers of an /AA dictionary, ISO 32000-2 Tables 197-199
_TRIGGERS = (b"E", b"X", b"D", b"U", b"Fo", b"Bl", b"PO", b"PC", b"PV", b"PI", b"O", b"C",
             b"K", b"F", b"V", b"WC", b"WS", b"DS", b"WP", b"DP")


def triggers_sharing_one_chain(annots=5000, fan=40):
    """A page of `annots` link annotations, each with all twenty triggers of ISO
    32000-2 Tables 197-199 in its /AA, each naming one GoTo action whose /Next
    lists it `fan` times (review50): the upload's walk of actions
    (pdf/active.c) judged every trigger's chain anew, up to 32 items each
    (3.2 M items for 100,000 triggers), and counted its steps only at the
    next annotation or at the end."""
    trig = b" ".join(b"/%s 6 0 R" % t for t in _TRIGGERS)
    more = {6: b"<< /S /GoTo /D [3 0 R /Fit] /Next [" + b"6 0 R " * fan + b"] >>"}
    for i in range(annots):
        more[7 + i] = b"<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /AA << " + trig + b" >> >>"
    refs = b" ".join(b"%d 0 R" % (7 + i) for i in range(annots))
    return _doc(_base(more=more, page_extra=b"/Annots [" + refs + b"] "))[0]


def triggers_sharing_one_array(annots=6400, items=15):
    """triggers_sharing_one_chain's page, whose twenty triggers of each /AA
    name one array of `items` GoTo actions, each a direct dictionary (review51):
    pdf/active.c remembers its verdict on an indirect action (fff13f5) but not
    on an array, and a direct action has no number to remember it by, so
    every trigger judges the array's items again (31 steps a trigger, 4 M for
    the 1.6 MB file, under the walk's budget of PDF_DOC_MAX_OBJECTS)."""
    trig = b"".join(b"/%s 6 0 R" % t for t in _TRIGGERS)
    more = {6: b"[" + b"<</S/GoTo/D 7 0 R>>" * items + b"]", 7: b"[3 0 R /Fit]"}
    for i in range(annots):
        more[8 + i] = b"<</Subtype/Link/Rect[0 0 1 1]/AA<<" + trig + b">>>>"
    refs = b" ".join(b"%d 0 R" % (8 + i) for i in range(annots))
    return _doc(_base(more=more, page_extra=b"/Annots [" + refs + b"] "))[0]


def sig_huge_byterange(n=2000000):
    """One signature whose /ByteRange has n numbers."""
    br = b"[" + b"0 1 " * (n // 2) + b"]"
    return _sig_doc(1, b"3000", byterange=br)[0]


def sig_byterange_many_gaps(n=1000000):
    """One signature whose /ByteRange is n (offset, length) pairs each over the
    whole file (n x the file hashed if nobody checks the shape first)."""
    br = b"[" + b"0 100 " * (n // 2) + b"]"
    return _sig_doc(1, b"3000", byterange=br)[0]


def direct_font_big(n=200000, uses=500000):
    """A direct font dictionary with a /Widths of n items, selected `uses`
    times by Tf (a direct font is known by its text)."""
    font = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 0 /LastChar 255 "
            b"/Widths [" + b"500 " * n + b"] >>")
    ops = b"BT 72 720 Td " + b"/F1 1 Tf " * uses + b"(a) Tj ET"
    objs = _base(contents=ops)
    objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 %s >> >> >>" % font)
    return _doc(objs)[0]


def big_then_updates(n=300000, k=100):
    """A classic table of n entries, then k small incremental updates: a
    verifier that reads each revision on its own parses the big table k
    times (12 s for 6 MB, sec35)."""
    return _updates_on(xref_table_huge(n), n, k)


def signed_big_then_updates(n=300000, k=100):
    """big_then_updates whose first revision has a signature field with a
    value (its other entries free): an upload kept as it is, revisions and
    all (sec36)."""
    body, offs = _sig_doc(1, b"3000")
    out = bytearray(body[:body.index(b"xref\n")])
    xoff = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % n
    for i in range(1, n):
        out += (b"%010d 00000 n \n" % offs[i]) if i in offs else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xoff)
    return _updates_on(bytes(out), n, k)


def signed_big_then_info_updates(sign, n=300000, k=50, room=8192):
    """signed_big_then_updates whose signature is a real one (sign(data):
    the DER CMS over its byte range, made by the caller) and whose k updates
    change only the document information (an allowed change): a kept upload
    the platform's signers can go on signing, each of whose revisions reads
    the n-entry table again (sec37)."""
    br0 = b"[0 0000000000 0000000000 0000000000]"
    body, offs = _sig_doc(1, b"0" * (2 * room), byterange=br0)
    out = bytearray(body[:body.index(b"xref\n")])
    xoff = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % n
    for i in range(1, n):
        out += (b"%010d 00000 n \n" % offs[i]) if i in offs else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xoff)
    c = out.index(b"/Contents <") + len(b"/Contents ")
    e = out.index(b">", c) + 1
    p = out.index(br0)
    out[p:p + len(br0)] = b"[0 %010d %010d %010d]" % (c, e, len(out) - e)
    der = sign(bytes(out[:c]) + bytes(out[e:])).hex().encode()
    assert len(der) <= 2 * room, "the CMS does not fit"
    out[c + 1:c + 1 + len(der)] = der
    prev = xoff
    for i in range(k):
        o = len(out)
        out += b"%d 0 obj\n<< /Title (Rev %d) >>\nendobj\n" % (n - 1, i)
        x = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n"
                b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /Prev %d >>\n"
                b"startxref\n%d\n%%%%EOF\n" % (n - 1, o, n, n - 1, prev, x))
        prev = x
    return bytes(out)


def info_updates_on(doc, k):
    """k incremental updates of doc (whose last section is a classic table),
    each setting the document information to a new object: allowed changes."""
    tail = doc[doc.rindex(b"trailer"):]
    size = int(tail.split(b"/Size", 1)[1].split()[0])
    root = tail.split(b"/Root", 1)[1].split(b"R", 1)[0].strip()
    prev = int(doc.rsplit(b"startxref", 1)[1].split()[0])
    out = bytearray()
    for i in range(k):
        o = len(doc) + len(out)
        out += b"%d 0 obj\n<< /Title (Later %d) >>\nendobj\n" % (size, i)
        x = len(doc) + len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n"
                b"trailer\n<< /Size %d /Root %s R /Info %d 0 R /Prev %d >>\n"
                b"startxref\n%d\n%%%%EOF\n" % (size, o, size + 1, root, size, prev, x))
        prev = x
    return bytes(out)


def _updates_on(base, n, k):
    """k updates of object 4 (the page's content) on base, whose /Size is n."""
    out = bytearray(base)
    prev = int(base.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    for i in range(k):
        o = len(out)
        s = b"BT /F1 12 Tf 72 720 Td (Rev %d) Tj ET" % i
        out += b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(s), s)
        x = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \n4 1\n%010d 00000 n \n"
                b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
                % (o, n, prev, x))
        prev = x
    return bytes(out)


def pages_then_updates(pages=3000, k=500):
    """A file of `pages` distinct small pages, then k updates each adding a new
    /Info object (sec48): the verifier opens each revision (qpdf reads every
    page) and walks the whole newer one at each update for the references a
    new object may fill, pages x updates in all: 565 KB held a worker for
    over a minute."""
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [%s] /Count %d >>"
               % (b" ".join(b"%d 0 R" % (10 + i) for i in range(pages)), pages),
            4: _stream(b"", b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET", False),
            5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    for i in range(pages):
        objs[10 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                        b"/Resources << /Font << /F1 5 0 R >> >> >>")
    body, _, prev = _doc(objs)
    out = bytearray(body)
    size = 10 + pages
    for i in range(k):
        o = len(out)
        out += b"%d 0 obj\n<< /Producer (update %d) >>\nendobj\n" % (size, i)
        x = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n"
                b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /Prev %d >>\n"
                b"startxref\n%d\n%%%%EOF\n" % (size, o, size + 1, size, prev, x))
        size += 1
        prev = x
    return bytes(out)


def cheap_ops(mib=60):
    """One page of `mib` MiB of operators that draw nothing (under the
    locator's 64 MiB document budget), then one "a": every keyword search
    runs all of it, and finds the keyword (sec35)."""
    ops = b"BT /F1 12 Tf 72 720 Td " + b"0 0 m " * (mib * 1024 * 1024 // 6) + b"(a) Tj ET"
    return _doc(_base(contents=ops))[0]


BUILDERS = {
    "plain": plain,
    "hidden_in_stream": hidden_in_stream,
    "xref_stream_4m": xref_stream_4m,
    "xref_table_huge": xref_table_huge,
    "updates_10k": updates_10k,
    "xref_stream_updates": xref_stream_updates,
    "prev_chain": prev_chain,
    "prev_loop": prev_loop,
    "deep_arrays": deep_arrays,
    "deep_dicts": deep_dicts,
    "huge_kids": huge_kids,
    "huge_kids_distinct": huge_kids_distinct,
    "shared_kids": shared_kids,
    "many_pages": many_pages_big_kids,
    "objstm_huge": objstm_huge,
    "objstm_bomb": objstm_bomb,
    "xref_stream_bomb": xref_stream_bomb,
    "content_bomb": content_bomb,
    "image_bomb": image_bomb,
    "content_bomb_parms": content_bomb_parms,
    "content_bomb_runlength": content_bomb_runlength,
    "content_chains": content_chains,
    "tounicode_bomb": tounicode_bomb,
    "font_huge_w": font_huge_w,
    "font_w_ranges": font_w_ranges,
    "text_ops": text_ops,
    "text_ops_pages": text_ops_pages,
    "text_operands": text_operands,
    "form_xobjects": form_xobjects,
    "inline_images": inline_images,
    "inline_image_big": inline_image_big,
    "tounicode_huge": tounicode_huge,
    "many_fonts": many_fonts,
    "direct_font_big": direct_font_big,
    "cheap_ops": cheap_ops,
    "big_then_updates": big_then_updates,
    "signed_big_then_updates": signed_big_then_updates,
    "pages_then_updates": pages_then_updates,
    "many_sigs": many_sigs_wide,
    "shared_sig_big_contents": shared_sig_big_contents,
    "triggers_sharing_one_chain": triggers_sharing_one_chain,
    "triggers_sharing_one_array": triggers_sharing_one_array,
    "sig_huge_byterange": sig_huge_byterange,
    "sig_byterange_gaps": sig_byterange_many_gaps,
}


def build(name):
    return BUILDERS[name]()
