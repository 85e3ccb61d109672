"""Contracts as the world writes them, sealed and signed by `sealpact sign --offline`
(the server's pdf/ and crypto/ code): Chromium's Skia (--print-to-pdf of an HTML
contract), reportlab (a WenQuanYi TrueType subset; STSong-Light, not embedded, also
in vertical writing),
Ghostscript's pdfwrite (-dPDFSETTINGS=/prepress re-distilling), LibreOffice Writer
(its own document, and a Word .docx through its import filter) and xelatex with ctex (tests/fixtures/writers: too heavy to install in CI). Each is
signed twice, with a keyword seal on 甲方（盖章） then 乙方（盖章）, a seam seal and
two date seals, and checked as a person would: the seal's centre inside poppler's
box of the words, seal-red pixels there in pdftoppm's picture (none before),
`sealpact verify` and pdfsig valid, `qpdf --check` clean. And the JavaScript
signers (@signpdf with its plain placeholder, pdf-lib; tests/support/npm_signer.js),
and a contract pdf-lib makes with @pdf-lib/fontkit embedding a CJK TrueType subset:
their signatures valid for us as for pdfsig, ours after theirs leaving theirs valid."""

import base64
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import crypt_pdfs
import harness
from harness import run

PKI = None
SEAL = None
NSSDIR = None
NPM_ROOT = None  # the npm signers' RSA root (.pem, .key)
FIX = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "writers")
NPM = os.path.join(harness.SOURCE_DIR, "deploy", "npm", "node_modules")
SIGNER = os.path.join(harness.SOURCE_DIR, "tests", "support", "npm_signer.js")
CHROMIUM = shutil.which("chromium") or "chromium"


_pki_up, tearDownModule = harness.module_pki(__name__, tokens=False, seal=True, nss=True)


def setUpModule():
    global NPM_ROOT
    _pki_up()
    NPM_ROOT = os.path.join(PKI.dir, "npm-root")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
         NPM_ROOT + ".key", "-out", NPM_ROOT + ".pem", "-days", "30", "-subj",
         "/CN=npm signers root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
         "keyUsage=critical,keyCertSign,cRLSign"])


def pages(path):
    out = run(["pdfinfo", path]).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def sign(src, out, slug, *placements):
    """Sign offline with a timestamp; returns the keyword seals' rectangles
    [(page, x0, y0, x1, y1)] the client printed (bottom-left origin, points)."""
    crt, key = PKI.org_cert(slug, "rsa")
    p = run([harness.SEALPACT, "sign", "--offline", src, out, "--key", key, "--cert", crt,
             "--seal", SEAL, "--tsa-cert", PKI.path("tsa.crt"), "--tsa-key",
             PKI.path("tsa.key"), "--tsa-trust", PKI.path("root.pem"), "--chain",
             PKI.path("chain.pem")] + list(placements))
    text = p.stdout + p.stderr
    return [(int(m.group(1)),) + tuple(float(m.group(i)) for i in range(2, 6))
            for m in re.finditer(r"keyword page (\d+): ([\d.]+),([\d.]+) - ([\d.]+),([\d.]+)",
                                 text)]


def verify_json(path):
    p = subprocess.run([harness.SEALPACT, "verify", path, "--json", "--trust-roots",
                        PKI.path("root.pem"), "--trust-roots", NPM_ROOT + ".pem",
                        "--intermediate", PKI.path("ca.pem"),
                        "--tsa-trust", PKI.path("root.pem")],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, json.loads(p.stdout)


def poppler_words(path, page):
    """pdftotext's words of a page: (text, xmin, ymin, xmax, ymax) top-left origin, and
    the page's height."""
    out = run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), path, "-"]).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', out).group(1))
    words = [(m.group(5), float(m.group(1)), float(m.group(2)), float(m.group(3)),
              float(m.group(4)))
             for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                                  r'yMax="([\d.]+)">([^<]*)</word>', out)]
    return words, height


def red_share(path, page, rect, workdir):
    """The share of seal-red pixels in rect (points, bottom-left origin) of the page
    rendered by pdftoppm at 60 dpi (its crop box: what a viewer shows)."""
    base = os.path.join(workdir, "render")
    run(["pdftoppm", "-cropbox", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile",
         path, base])
    with open(base + ".ppm", "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():]
    s = 60 / 72
    x0, x1 = int(rect[0] * s), int(rect[2] * s)
    y0, y1 = int(h - rect[3] * s), int(h - rect[1] * s)
    red = total = 0
    for y in range(max(y0, 0), min(y1, h)):
        for x in range(max(x0, 0), min(x1, w)):
            r, g, b = px[3 * (y * w + x):3 * (y * w + x) + 3]
            total += 1
            red += r > 150 and g < 120 and b < 120
    return red / max(total, 1)


def ink_box(path, page, rect, workdir):
    """The bounding box (points, bottom-left origin) of the dark pixels inside rect of
    the page rendered by pdftoppm in grey at 72 dpi, or None when there are none."""
    base = os.path.join(workdir, "ink")
    run(["pdftoppm", "-r", "72", "-gray", "-f", str(page), "-l", str(page), "-singlefile",
         path, base])
    with open(base + ".pgm", "rb") as f:
        data = f.read()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():]
    xs, ys = [], []
    for y in range(max(int(h - rect[3]), 0), min(int(h - rect[1]), h)):
        for x in range(max(int(rect[0]), 0), min(int(rect[2]), w)):
            if px[y * w + x] < 128:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return (min(xs), h - max(ys) - 1, max(xs) + 1, h - min(ys))


def gray_pixels(path, page, workdir, name):
    """page of path rendered by pdftoppm in grey at 72 dpi, its crop box: (width,
    height, bytes)"""
    base = os.path.join(workdir, name)
    run(["pdftoppm", "-cropbox", "-r", "72", "-gray", "-f", str(page), "-l", str(page),
         "-singlefile", path, base])
    with open(base + ".pgm", "rb") as f:
        data = f.read()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
    return int(m.group(1)), int(m.group(2)), data[m.end():]


def new_ink_box(before, after, page, rect, workdir):
    """The bounding box (points, bottom-left origin) of the pixels inside rect dark in
    after's picture of the page and not in before's (what was drawn there), or None."""
    w, h, a = gray_pixels(after, page, workdir, "after")
    w0, h0, b = gray_pixels(before, page, workdir, "before")
    assert (w, h) == (w0, h0)
    xs, ys = [], []
    for y in range(max(int(h - rect[3]), 0), min(int(h - rect[1]), h)):
        for x in range(max(int(rect[0]), 0), min(int(rect[2]), w)):
            if a[y * w + x] < 128 <= b[y * w + x]:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return (min(xs), h - max(ys) - 1, max(xs) + 1, h - min(ys))


def page_edit(src, out, page, angle, crop, inherit, objstm):
    """src with its page `page` shown at angle and cropped to crop (None: not) by
    qpdf --update-from-json; inherit: that /Rotate and the page's /Resources moved
    to the page tree's root (the other pages' /Rotate 0 their own), else its own;
    objstm: qpdf's --object-streams."""
    # --warning-exit-0: pdfunite's /Size is one short of its highest object
    doc = json.loads(run(["qpdf", "--warning-exit-0", "--json=2", "--json-stream-data=none",
                          src]).stdout)
    objs = doc["qpdf"][1]
    refs = [p["object"] for p in
            json.loads(run(["qpdf", "--warning-exit-0", "--json=2", "--json-key=pages",
                            src]).stdout)["pages"]]
    pages = {r: objs["obj:" + r]["value"] for r in refs}
    pg = pages[refs[page - 1]]
    root = pg["/Parent"]
    tree = objs["obj:" + root]["value"]
    if crop:
        pg["/CropBox"] = crop
    if inherit:
        tree["/Rotate"] = angle
        tree["/Resources"] = pg.pop("/Resources")
        pg.pop("/Rotate", None)
        for r, d in pages.items():
            if d is not pg:
                d["/Rotate"] = 0
    else:
        pg["/Rotate"] = angle
    upd = dict(("obj:" + r, {"value": d}) for r, d in pages.items())
    upd["obj:" + root] = {"value": tree}
    with open(out + ".json", "w") as f:
        json.dump({"qpdf": [doc["qpdf"][0], upd]}, f)
    run(["qpdf", "--warning-exit-0", "--update-from-json=" + out + ".json",
         "--object-streams=" + objstm, src, out])


def shown(x, y, angle, box):
    """A point of default user space where a page whose visible box is box, shown at
    angle (clockwise), displays it: bottom-left origin of what is shown."""
    x, y = x - box[0], y - box[1]
    w, h = box[2] - box[0], box[3] - box[1]
    return {0: (x, y), 90: (y, w - x), 180: (w - x, h - y), 270: (h - y, x)}[angle]


def pdfa_problems(path, part=2):
    """What a PDF/A-2b validator (ISO 19005-2; veraPDF's rules, as far as the objects
    and bytes tell without rendering) would reject in the file at path: the claim
    (XMP pdfaid part 2, conformance B), the header's binary
    comment, the trailer's /ID, nothing after the last %%EOF but one end of line,
    "stream"/"endstream" each on a line of its own, annotations printable, not hidden
    and with an appearance of /N alone (6.3), fonts embedded (6.2.11.4), direct ones
    in a resource dictionary too, images without /Interpolate, /Alternates or /OPI and
    a device colour space the output intent's profile matches (6.2.4.3), no
    /NeedAppearances (6.4.1), no signature /Reference with digests of its own
    (6.4.2); and the colour operators of page contents and forms: an RGB colour
    (rg, RG) only under an RGB output intent, a CMYK one (k, K) only under a CMYK
    one (6.2.4.3). A file without an output intent may use neither (its colours
    ICC-based): the standard asks an intent only of a file that draws in a device
    space. part 1: the claim PDF/A-1b instead, and what ISO 19005-1 forbids beyond:
    transparency (6.4: a soft mask other than /None, a transparency group, a
    constant alpha other than 1.0 in a graphics state or an annotation, a blend mode
    other than Normal or Compatible) and the PDF 1.5 structures (6.1.4 and its
    PDF 1.4 basis: cross-reference streams, object streams)."""
    with open(path, "rb") as f:
        data = f.read()
    doc = json.loads(run(["qpdf", "--json=2", "--json-stream-data=inline", path]).stdout)
    objs = doc["qpdf"][1]
    bad = []

    def get(ref):
        o = objs.get("obj:" + ref) if isinstance(ref, str) and ref.endswith(" R") else None
        if o is None:
            return ref
        return o["stream"]["dict"] if "stream" in o else o.get("value")

    def embedded(fd):
        fd = get(fd) or {}
        return any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))

    trailer = objs["trailer"]["value"]
    root = get(trailer["/Root"])
    if "/ID" not in trailer:
        bad.append("no /ID in the trailer")
    if not re.match(rb"%PDF-1\.[0-7]\r?\n%[\x80-\xff]{4}", data):
        bad.append("no binary comment after the header")
    if not re.search(rb"%%EOF(\r\n|\r|\n)?$", data):
        bad.append("bytes after the last %%EOF")
    for m in re.finditer(rb"stream(\r\n|\n|\r)?", data):
        if data[m.start() - 3:m.start()] == b"end":
            if data[m.start() - 4:m.start() - 3] not in (b"\n", b"\r"):
                bad.append("endstream at %d not on a line of its own" % m.start())
        elif m.group(1) not in (b"\r\n", b"\n"):
            bad.append("stream at %d not followed by an end of line" % m.start())
    meta = ""
    if "/Metadata" in root:
        meta = run(["qpdf", "--show-object=" + root["/Metadata"].split()[0],
                    "--filtered-stream-data", path]).stdout
    # as elements (LibreOffice) or attributes (Ghostscript): both are XMP
    if not re.search(r"pdfaid:part(>|=['\"])%d" % part, meta) or \
            not re.search(r"pdfaid:conformance(>|=['\"])B", meta):
        bad.append("the XMP claims no PDF/A-%db" % part)
    if part == 1 and re.search(rb"/Type\s*/(XRef|ObjStm)(?![^\s\[\]()<>/])", data):
        bad.append("a cross-reference or object stream in a PDF/A-1 file")
    intents = [get(i) for i in get(root.get("/OutputIntents", [])) or []]
    n = [get(get(i["/DestOutputProfile"])["/N"]) for i in intents
         if get(i.get("/S")) == "/GTS_PDFA1" and "/DestOutputProfile" in i]
    device = {3: "/DeviceRGB", 4: "/DeviceCMYK", 1: "/DeviceGray"}.get(n[0] if n else 0)
    form = get(root.get("/AcroForm", {})) or {}
    if get(form.get("/NeedAppearances")) is True:
        bad.append("/NeedAppearances true")

    def check(key, d):
        t = d.get("/Subtype")
        if d.get("/Type") == "/Annot" or t == "/Widget":
            f = get(d.get("/F", 0))
            if not f & 4 or f & (1 | 2 | 32 | 256):
                bad.append("%s: annotation flags %s" % (key, f))
            rect = [get(v) for v in get(d.get("/Rect", [0, 0, 0, 0]))]
            ap = get(d.get("/AP"))
            if rect[0] != rect[2] and rect[1] != rect[3] and (
                    not isinstance(ap, dict) or set(ap) != {"/N"}):
                bad.append("%s: appearance %s" % (key, ap))
        if t == "/Image" and get(d.get("/ImageMask")) is not True:
            if get(d.get("/Interpolate")) is True or "/Alternates" in d or "/OPI" in d:
                bad.append("%s: image keys" % key)
            cs = get(d.get("/ColorSpace"))
            if cs in ("/DeviceRGB", "/DeviceCMYK") and cs != device:
                bad.append("%s: %s under a %s output intent" % (key, cs, device))
        if d.get("/Type") == "/Font" and t not in ("/Type0", "/Type3") and \
                not embedded(d.get("/FontDescriptor")):
            bad.append("%s: font %s not embedded" % (key, d.get("/BaseFont")))
        if d.get("/Type") == "/Font" and t == "/Type0":
            for df in get(d.get("/DescendantFonts", [])):
                if not embedded((get(df) or {}).get("/FontDescriptor")):
                    bad.append("%s: font %s not embedded" % (key, d.get("/BaseFont")))
        if part == 1:
            if "/SMask" in d and get(d["/SMask"]) != "/None":
                bad.append("%s: a soft mask" % key)
            if get(d.get("/S")) == "/Transparency":
                bad.append("%s: a transparency group" % key)
            for k in ("/CA", "/ca"):
                if k in d and get(d[k]) not in (1, 1.0):
                    bad.append("%s: %s %s" % (key, k, get(d[k])))
            if "/BM" in d and get(d["/BM"]) not in ("/Normal", "/Compatible"):
                bad.append("%s: blend mode %s" % (key, get(d["/BM"])))
        if d.get("/Type") == "/Sig":
            for r in get(d.get("/Reference", [])) or []:
                if any(k in (get(r) or {}) for k in ("/DigestLocation", "/DigestMethod",
                                                     "/DigestValue")):
                    bad.append("%s: a /Reference with digests" % key)

    def dicts(v, depth=0):
        """v and the dictionaries inside it, direct ones too"""
        if isinstance(v, dict) and depth < 32:
            yield v
            for x in v.values():
                yield from dicts(x, depth + 1)
        elif isinstance(v, list) and depth < 32:
            for x in v:
                yield from dicts(x, depth + 1)

    # the operators with their operands, so that no string's bytes pass for one
    ops = {"/DeviceRGB": rb"(?:[-+\d.]+\s+){3}(?:rg|RG)(?![^\s\[\]()<>/])",
           "/DeviceCMYK": rb"(?:[-+\d.]+\s+){4}[kK](?![^\s\[\]()<>/])"}
    contents = set()
    for key, o in objs.items():
        v = o.get("value")
        if isinstance(v, dict) and v.get("/Type") == "/Page":
            c = get(v.get("/Contents"))
            contents.update(c if isinstance(c, list) else [v.get("/Contents")])
    for key, o in objs.items():
        if key.startswith("obj:"):
            for d in dicts(o["stream"]["dict"] if "stream" in o else o.get("value")):
                check(key, d)
            if "stream" in o and (o["stream"]["dict"].get("/Subtype") == "/Form" or
                                  key[4:] in contents):
                raw = base64.b64decode(o["stream"].get("data", ""))
                for cs, op in ops.items():
                    if cs != device and re.search(op, raw):
                        bad.append("%s: %s colour under a %s output intent" % (key, cs, device))
    return bad


class Checks:
    """What both kinds of test check; self.dir is the test's directory."""

    def path(self, name):
        return os.path.join(self.dir, name)

    def assertValid(self, path, nsigs):
        """Every signature valid for us and for pdfsig, the file sound for qpdf."""
        code, rep = verify_json(path)
        self.assertEqual(code, 0, rep)
        self.assertIn(rep["verdict"], ("valid", "valid_with_allowed_changes"), rep)
        self.assertEqual(len(rep["signatures"]), nsigs, rep)
        for s in rep["signatures"]:
            self.assertIn(s["verdict"], ("valid", "valid_with_allowed_changes"), s)
        p = subprocess.run(["pdfsig", "-nssdir", "sql:" + NSSDIR, path], capture_output=True,
                           text=True)
        # a block per widget; poppler 22 checks no document timestamp ("unknown" type),
        # and lists a signature field left empty
        blocks = [b for b in p.stdout.split("Signature #")[1:]
                  if "Signature Type: unknown" not in b and "field is not signed" not in b]
        self.assertGreaterEqual(len(blocks), nsigs - sum(s["doc_timestamp"]
                                                         for s in rep["signatures"]), p.stdout)
        for b in blocks:
            self.assertIn("Signature Validation: Signature is Valid.", b, p.stdout)
        q = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)
        # exit 3: warnings only; @signpdf's update leaves a blank line before "xref"
        self.assertIn(q.returncode, (0, 3), q.stdout + q.stderr)
        self.assertNotIn("ERROR", q.stdout + q.stderr)
        return rep

    def assertSealOn(self, before, after, seal, keyword):
        """The keyword seal's centre is the keyword's in poppler's box of the word
        holding it (full-width characters, so each is the word's width over its length:
        within half a character), and its rectangle is seal-red in after's picture,
        not in before's."""
        page, x0, y0, x1, y1 = seal
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        words, height = poppler_words(before, page)
        hits = [w for w in words if keyword in w[0]]
        self.assertTrue(hits, "poppler finds no %s on page %d: %s" % (keyword, page, words))

        def centred(w):
            cw = (w[3] - w[1]) / len(w[0])
            want = w[1] + cw * (w[0].index(keyword) + len(keyword) / 2)
            return abs(cx - want) < cw / 2 and height - w[4] <= cy <= height - w[2]
        self.assertTrue(any(centred(w) for w in hits),
                        "%s: seal centre %.1f,%.1f not the keyword's in %s" % (keyword, cx, cy,
                                                                              hits))
        inner = (cx - 15, cy - 15, cx + 15, cy + 15)
        self.assertLess(red_share(before, page, inner, self.dir), 0.02)
        self.assertGreater(red_share(after, page, (x0, y0, x1, y1), self.dir), 0.08)

    def chromium_contract(self):
        """fixtures/writers/contract.html printed by headless chromium: made once for
        the module (some 3 s of a loaded machine's clock a print), read-only to the
        tests that sign it (into their own files)."""
        out = os.path.join(PKI.dir, "chromium.pdf")
        if not os.path.exists(out):
            made = self.path("chromium.pdf")
            run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                 "--no-pdf-header-footer", "--user-data-dir=" + self.path("profile"),
                 "--print-to-pdf=" + made, "file://" + os.path.join(FIX, "contract.html")],
                timeout=120)
            shutil.move(made, out)
        self.assertIn("Skia/PDF", run(["pdfinfo", out]).stdout)
        return out


    def gs_pdfa1b(self):
        """fixtures/writers/libreoffice.pdf made PDF/A-1b by Ghostscript's pdfwrite
        (sRGB output intent, its PDFA_def.ps), in the test's directory."""
        lib = sorted(glob.glob("/usr/share/ghostscript/*/lib/PDFA_def.ps"))[-1]
        icc = "/usr/share/color/icc/ghostscript/"
        with open(lib) as f:
            ps = f.read().replace("(srgb.icc)", "(%ssrgb.icc)" % icc)
        with open(self.path("PDFA_def.ps"), "w") as f:
            f.write(ps)
        out = self.path("gs_pdfa1b.pdf")
        run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dPDFA=1", "-dPDFACompatibilityPolicy=1",
             "-sColorConversionStrategy=RGB", "-sDEVICE=pdfwrite", "-dNOOUTERSAVE",
             "--permit-file-read=" + icc, "-o", out, self.path("PDFA_def.ps"),
             os.path.join(FIX, "libreoffice.pdf")])
        return out


class WorldWriters(Checks, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sealpact-writers.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def sign_twice(self, src):
        """Party one seals 甲方（盖章）, the seam and a date; party two 乙方（盖章）
        and a date. Both signatures valid, each seal on its keyword."""
        n = pages(src)
        one, two = self.path("one.pdf"), self.path("two.pdf")
        s1 = sign(src, one, "buyer", "--keyword", "甲方（盖章）", "--seam", "all,400",
                  "--date", "%d,150,60" % n)
        self.assertEqual(len(s1), 1, s1)
        self.assertValid(one, 1)
        s2 = sign(one, two, "supplier", "--keyword", "乙方（盖章）", "--date", "%d,420,60" % n)
        self.assertEqual(len(s2), 1, s2)
        rep = self.assertValid(two, 2)
        self.assertEqual(rep["signatures"][0]["verdict"], "valid_with_allowed_changes")
        self.assertSealOn(src, two, s1[0], "甲方（盖章）")
        self.assertSealOn(src, two, s2[0], "乙方（盖章）")

    def test_chromium(self):
        # Skia's ToUnicode names glyphs Noto CJK shares with Kangxi radicals by the
        # radical (U+2F45 for 方, U+2F04 for 乙): found as the ideographs
        self.sign_twice(self.chromium_contract())

    def test_reportlab_truetype(self):
        out = self.path("reportlab_ttf.pdf")
        run(["/usr/bin/python3", os.path.join(FIX, "reportlab_contract.py"), "ttf", out])
        self.sign_twice(out)

    def test_reportlab_stsong(self):
        # STSong-Light not embedded, UniGB-UCS2-H; its descriptor's /MissingWidth 500
        # is not a CIDFont's width (DW 1000 is)
        out = self.path("reportlab_cid.pdf")
        run(["/usr/bin/python3", os.path.join(FIX, "reportlab_contract.py"), "cid", out])
        self.sign_twice(out)

    def test_libreoffice(self):
        self.sign_twice(os.path.join(FIX, "libreoffice.pdf"))

    def test_libreoffice_pdfa2b(self):
        # LibreOffice's PDF/A-2b export (sRGB output intent): signed twice with seals
        # (DeviceRGB pictures with a soft mask: transparency, which PDF/A-2 permits)
        # and dates, it is still what it claims to be, as far as its objects tell
        src = os.path.join(FIX, "libreoffice_pdfa2b.pdf")
        self.assertEqual(pdfa_problems(src), [])
        self.sign_twice(src)
        self.assertEqual(pdfa_problems(self.path("two.pdf")), [])

    def test_ghostscript_pdfa2b_cmyk(self):
        # Ghostscript's PDF/A-2b with a CMYK output intent (make_cmyk.sh): no RGB may
        # be drawn in it, so the seals and the date stamps are drawn in DeviceCMYK
        src = os.path.join(FIX, "ghostscript_pdfa2b_cmyk.pdf")
        self.assertEqual(pdfa_problems(src), [])
        self.sign_twice(src)
        self.assertEqual(pdfa_problems(self.path("two.pdf")), [])

    def test_ghostscript_pdfa2b_icc(self):
        # Ghostscript's PDF/A-2b with every colour ICC-based and no output intent
        # (make_cmyk.sh): no device colour may be drawn in it, so the seals and the
        # date stamps are drawn in an ICC-based sRGB space the update carries
        src = os.path.join(FIX, "ghostscript_pdfa2b_icc.pdf")
        self.assertEqual(pdfa_problems(src), [])
        self.sign_twice(src)
        self.assertEqual(pdfa_problems(self.path("two.pdf")), [])

    def test_ghostscript_pdfa1b(self):
        # PDF/A-1 allows no transparency, so the seals are masked by a 1-bit stencil,
        # not a soft mask, and the updates keep to PDF 1.4's cross-reference tables
        src = self.gs_pdfa1b()
        self.assertEqual(pdfa_problems(src, 1), [])
        self.sign_twice(src)
        self.assertEqual(pdfa_problems(self.path("two.pdf"), 1), [])

    def test_reportlab_vertical(self):
        # vertical writing (UniGB-UCS2-V): each keyword a column; the seal centred on
        # the column's ink across it, over the keyword's cells down it (poppler's
        # pdftotext reads the -V CMap's vertical forms, ︵ for （, and puts a vertical
        # glyph's box right of its centre line: the picture is the judge here)
        src = self.path("vertical.pdf")
        run(["/usr/bin/python3", os.path.join(FIX, "reportlab_contract.py"), "vertical", src])
        one, two = self.path("one.pdf"), self.path("two.pdf")
        s1 = sign(src, one, "buyer", "--keyword", "甲方（盖章）", "--date", "1,150,60")
        self.assertValid(one, 1)
        s2 = sign(one, two, "supplier", "--keyword", "乙方（盖章）")
        rep = self.assertValid(two, 2)
        self.assertEqual(rep["signatures"][0]["verdict"], "valid_with_allowed_changes")
        for seal in (s1[0], s2[0]):
            page, x0, y0, x1, y1 = seal
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            # the keyword's ink, in the source, in a band down the seal's centre (the
            # columns are 40 to 54 points apart): a column centred on the seal, taller
            # than wide, the keyword's six cells of 14 points from the top line down
            ink = ink_box(src, page, (cx - 20, y0, cx + 20, y1), self.dir)
            self.assertIsNotNone(ink, seal)
            self.assertLess(abs((ink[0] + ink[2]) / 2 - cx), 3, (ink, seal))
            self.assertGreater(ink[3] - ink[1], 2 * (ink[2] - ink[0]), (ink, seal))
            self.assertGreater(ink[3] - ink[1], 70, (ink, seal))
            self.assertLess(abs(ink[3] - (842 - 72)), 3, (ink, seal))
            self.assertLess(abs((ink[1] + ink[3]) / 2 - cy), 20, (ink, seal))
            self.assertGreater(red_share(two, page, (x0, y0, x1, y1), self.dir), 0.08)

    def test_libreoffice_docx(self):
        # a Word document through LibreOffice's import filter (tests/fixtures/writers/
        # contract_docx.py): 宋体 substituted by Noto Sans CJK JP, exported as Type 1
        # (CFF) subsets; the signature block a borderless table on page 3
        self.sign_twice(os.path.join(FIX, "libreoffice_docx.pdf"))

    def test_tools_rotated_cropped_inherited(self):
        # the LibreOffice contract through poppler's pdfseparate and pdfunite (which
        # write a /Size one short of the highest object) and qpdf: the signing page
        # shown at 90 (inherited from the page tree with its resources, cropped, object
        # streams), 180 (inherited, uncropped) and 270 degrees (its own, cropped, no
        # object streams). Each keyword seal centred on its keyword where the rotated
        # and cropped page shows it, red there; the date stamp drawn upright (wider
        # than tall) around the point asked; both signatures valid
        for i in (1, 2):
            run(["pdfseparate", "-f", str(i), "-l", str(i), os.path.join(FIX, "libreoffice.pdf"),
                 self.path("p%d.pdf" % i)])
        src = self.path("united.pdf")
        run(["pdfunite", self.path("p1.pdf"), self.path("p2.pdf"), src])
        words, height = poppler_words(src, 2)
        media = [0, 0, 595.3039370079, 841.8897637795]
        for angle, crop, inherit, objstm in ((90, [40, 60, 560, 800], 1, "generate"),
                                             (180, None, 1, "generate"),
                                             (270, [40, 60, 560, 800], 0, "disable")):
            with self.subTest(angle=angle):
                turned = self.path("turned%d.pdf" % angle)
                page_edit(src, turned, 2, angle, crop, inherit, objstm)
                one, two = self.path("one%d.pdf" % angle), self.path("two%d.pdf" % angle)
                s1 = sign(turned, one, "buyer", "--keyword", "甲方（盖章）", "--seam", "all,400")
                s2 = sign(one, two, "supplier", "--keyword", "乙方（盖章）")
                rep = self.assertValid(two, 2)
                self.assertEqual(rep["signatures"][0]["verdict"], "valid_with_allowed_changes")
                for seal, kw in ((s1, "甲方（盖章）"), (s2, "乙方（盖章）")):
                    self.assertEqual(len(seal), 1, seal)
                    page, x0, y0, x1, y1 = seal[0]
                    w = [w for w in words if kw in w[0]][0]
                    cw = (w[3] - w[1]) / len(w[0])
                    want = shown(w[1] + cw * (w[0].index(kw) + len(kw) / 2),
                                 height - (w[2] + w[4]) / 2, angle, crop or media)
                    self.assertLess(abs((x0 + x1) / 2 - want[0]), 3, (kw, seal, want))
                    self.assertLess(abs((y0 + y1) / 2 - want[1]), 3, (kw, seal, want))
                    inner = (want[0] - 15, want[1] - 15, want[0] + 15, want[1] + 15)
                    self.assertLess(red_share(turned, 2, inner, self.dir), 0.02)
                    self.assertGreater(red_share(two, 2, inner, self.dir), 0.08)
                # the date stamp alone (a seal may cover the corner asked)
                dated = self.path("dated%d.pdf" % angle)
                sign(turned, dated, "buyer", "--date", "2,100,40")
                ink = new_ink_box(turned, dated, 2, (40, 20, 160, 60), self.dir)
                self.assertIsNotNone(ink)
                self.assertGreater(ink[2] - ink[0], 2.5 * (ink[3] - ink[1]), ink)
                self.assertLess(abs((ink[0] + ink[2]) / 2 - 100), 3, ink)
                self.assertLess(abs((ink[1] + ink[3]) / 2 - 40), 3, ink)

    def test_ghostscript_prepress(self):
        out = self.path("gs.pdf")
        run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
             "-dPDFSETTINGS=/prepress", "-o", out, os.path.join(FIX, "libreoffice.pdf")])
        self.assertIn("GPL Ghostscript", run(["pdfinfo", out]).stdout)
        self.sign_twice(out)

    def test_xelatex_ctex(self):
        # FandolSong: an embedded Identity-H CFF CIDFont of Adobe-GB1, no /ToUnicode
        self.sign_twice(os.path.join(FIX, "xelatex.pdf"))

    def npm_sign(self, mode, src, out):
        p12 = self.path("npm.p12")
        if not os.path.exists(p12):
            # RSA throughout: node-forge reads no EC certificate (the PKI's CAs are EC)
            root, crt, key = NPM_ROOT, self.path("npm.crt"), self.path("npm.key")
            ext = self.path("npm.ext")
            with open(ext, "w") as f:
                f.write("keyUsage=critical,digitalSignature,nonRepudiation\n"
                        "basicConstraints=critical,CA:FALSE\n")
            run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj",
                 "/O=示例供应有限公司/CN=王五", "-utf8", "-out", crt + ".csr"])
            run(["openssl", "x509", "-req", "-in", crt + ".csr", "-CA", root + ".pem", "-CAkey",
                 root + ".key", "-CAcreateserial", "-days", "30", "-sha256", "-extfile", ext,
                 "-out", crt])
            run(["openssl", "pkcs12", "-export", "-inkey", key, "-in", crt, "-certfile",
                 root + ".pem", "-passout", "pass:world", "-out", p12])
        env = harness.clean_env({"NODE_PATH": NPM})
        run(["node", SIGNER, mode, src, out, p12, "world"], env=env, timeout=120)

    def test_npm_signers_then_ours(self):
        src = self.chromium_contract()
        for mode in ("plain", "pdflib"):
            with self.subTest(mode=mode):
                theirs, ours = self.path(mode + ".pdf"), self.path(mode + "_ours.pdf")
                self.npm_sign(mode, src, theirs)
                rep = self.assertValid(theirs, 1)
                self.assertEqual(rep["signatures"][0]["subfilter"], "adbe.pkcs7.detached")
                self.assertEqual(rep["signatures"][0]["level"], "not_pades")
                seals = sign(theirs, ours, "buyer", "--keyword", "甲方（盖章）", "--seam",
                             "all,400")
                self.assertEqual(len(seals), 1, seals)
                rep = self.assertValid(ours, 2)
                self.assertEqual(rep["signatures"][0]["verdict"], "valid_with_allowed_changes")
                self.assertSealOn(src, ours, seals[0], "甲方（盖章）")

    def test_pdflib_fontkit_cjk(self):
        # pdf-lib with @pdf-lib/fontkit embedding AR PL SungtiL GB (a TrueType subset:
        # CIDFontType2, Identity-H, /ToUnicode, no subset tag in its name), as JavaScript
        # services make contracts
        src = self.path("pdflib_cjk.pdf")
        run(["node", SIGNER, "cjk-contract", src, "/usr/share/fonts/truetype/arphic-gbsn00lp/"
             "gbsn00lp.ttf"], env=harness.clean_env({"NODE_PATH": NPM}), timeout=120)
        self.assertIn("pdf-lib", run(["pdfinfo", src]).stdout)
        self.assertIn("CID TrueType", run(["pdffonts", src]).stdout)
        self.sign_twice(src)

    def test_npm_signer_after_ours(self):
        # @signpdf's plain placeholder finds the AcroForm to extend by the text
        # "/Type /AcroForm" (an optional key): without it, it wrote a broken update
        src = self.chromium_contract()
        ours, theirs = self.path("ours.pdf"), self.path("ours_plain.pdf")
        sign(src, ours, "buyer", "--keyword", "甲方（盖章）", "--seam", "all,400")
        self.npm_sign("plain", ours, theirs)
        rep = self.assertValid(theirs, 2)
        self.assertEqual(rep["signatures"][0]["verdict"], "valid_with_allowed_changes")
        self.assertEqual(rep["signatures"][1]["subfilter"], "adbe.pkcs7.detached")


class ServerSigning(Checks):
    """A test server with the PKI's trust and the built-in TSA, the three
    organizations logged in, and the signing protocol run as a client runs it
    (mixed into a harness.ServerTestCase)."""
    tls = False

    def setUp(self):
        self.server_extra = {
            "trust": PKI.trust_config(),
            "tsa": {"mode": "builtin", "cert": PKI.path("tsa.crt"), "key": PKI.path("tsa.key"),
                    "chain": PKI.path("chain.pem"), "trust": PKI.path("root.pem")},
            "signing": {"default_seal_image": SEAL, "session_ttl_s": 600},
        }
        super().setUp()
        self.dir = self.tmp
        self.orgs = {o["slug"]: o for o in PKI.orgs}
        self.tokens = {}
        for slug in ("buyer", "supplier", "logistics"):
            st, _, _, doc = harness.api_login(self.server, *PKI.org_cert(slug, "rsa"))
            self.assertEqual(st, 200, doc)
            self.tokens[slug] = doc["token"]

    def call(self, slug, method, path, body=None):
        h = {"Authorization": "Bearer " + self.tokens[slug]}
        if body is None and method == "POST":
            body, h["Content-Type"] = b"", "application/json"
        return self.server.request(method, path, body=body, headers=h, timeout=60)

    def ok(self, want, resp):
        st, _, data, doc = resp
        self.assertEqual(st, want, doc)
        return doc if doc is not None else data

    def sign_rects(self, slug, n, placements):
        """Receive, prepare with placements, sign the attributes, complete, send;
        returns every rectangle as the session gave it: [(mode, page, x0, y0, x1,
        y1)]."""
        self.ok(200, self.call(slug, "POST", "/api/v1/contracts/%s/receive" % n))
        crt, key = PKI.org_cert(slug, "rsa")
        prep = self.ok(201, self.call(slug, "POST", "/api/v1/contracts/%s/signing-sessions" % n, {
            "certificate": base64.b64encode(harness.der_of(crt)).decode(),
            "chain": [base64.b64encode(harness.der_of(PKI.path("ca.pem"))).decode()],
            "placements": placements}))
        sig = harness.openssl_sign(key, base64.b64decode(prep["to_be_signed"]))
        self.ok(200, self.call(slug, "POST", "/api/v1/signing-sessions/%s/complete"
                               % prep["session"], {"signature": base64.b64encode(sig).decode()}))
        self.ok(200, self.call(slug, "POST", "/api/v1/contracts/%s/send" % n))
        return [(r["mode"], r["page"], r["x0"], r["y0"], r["x1"], r["y1"])
                for r in prep["rects"]]

    def upload(self, src, name):
        """src created as a draft by the buyer with the supplier then logistics as
        signers, and sent: its number."""
        with open(src, "rb") as f:
            pdf = f.read()
        doc = self.ok(201, self.call("buyer", "POST", "/api/v1/contracts", {
            "name": name, "pdf_base64": base64.b64encode(pdf).decode(),
            "parties": [{"credit_code": self.orgs[s]["credit_code"], "role": "signer",
                         "routing_order": o} for s, o in (("supplier", 1), ("logistics", 2))]}))
        self.ok(200, self.call("buyer", "POST", "/api/v1/contracts/%s/send" % doc["number"]))
        return doc["number"]


class ThroughTheServer(ServerSigning, harness.ServerTestCase):
    """The same contracts uploaded through the API and signed through the signing
    protocol by two organizations (keyword, seam and date seals), then checked as the
    offline ones are, and by POST /api/v1/verify."""

    def sign(self, slug, n, placements):
        """sign_rects' keyword seals: [(page, x0, y0, x1, y1)]."""
        return [r[1:] for r in self.sign_rects(slug, n, placements) if r[0] == "keyword"]

    def signed_through(self, src, name):
        """src uploaded, sealed and signed by two organizations (keyword, seam and
        date seals), checked as the offline ones are and by POST /api/v1/verify: the
        final file's path."""
        last = pages(src)
        n = self.upload(src, "采购合同 (%s)" % name)
        s1 = self.sign("supplier", n, [
            {"mode": "keyword", "seal": "default", "keyword": "甲方（盖章）"},
            {"mode": "seam", "seal": "default", "pages": "1-%d" % last, "y": 400},
            {"mode": "date", "page": last, "x": 150, "y": 60}])
        s2 = self.sign("logistics", n, [
            {"mode": "keyword", "seal": "default", "keyword": "乙方（盖章）"},
            {"mode": "date", "page": last, "x": 420, "y": 60}])
        self.assertEqual((len(s1), len(s2)), (1, 1))
        data = self.ok(200, self.call("buyer", "GET", "/api/v1/contracts/%s/document" % n))
        final = os.path.join(self.tmp, name + "-final.pdf")
        with open(final, "wb") as f:
            f.write(data)
        self.assertFinal(src, final, data, s1, s2)
        return final

    def assertFinal(self, src, final, data, s1, s2):
        """final (bytes data) holds the two signatures and the server's document
        timestamp (B-LTA), each seal on its keyword of src, valid for us, pdfsig, qpdf
        and POST /api/v1/verify."""
        rep = self.assertValid(final, 3)
        self.assertEqual([x["level"] for x in rep["signatures"][:2]], ["pades_b_lta"] * 2)
        self.assertSealOn(src, final, s1[0], "甲方（盖章）")
        self.assertSealOn(src, final, s2[0], "乙方（盖章）")
        doc = self.ok(200, self.server.request("POST", "/api/v1/verify", body=data, headers={
            "Content-Type": "application/pdf"}, timeout=60))
        self.assertEqual(doc["verdict"], "valid_with_allowed_changes", doc)

    def test_chromium_and_xelatex_contracts(self):
        for name, src in (("chromium", None), ("xelatex", os.path.join(FIX, "xelatex.pdf"))):
            with self.subTest(writer=name):
                self.signed_through(src or self.chromium_contract(), name)

    def test_pdfa_contracts(self):
        """PDF/A uploads (Ghostscript's PDF/A-1b, LibreOffice's PDF/A-2b), rewritten by
        the server's normalization, signed by two organizations, then given the
        server's DSS and document timestamp: still what they claim to be, as far as
        their objects tell (pdfa_problems)."""
        for name, src, part in (("gs-pdfa1b", self.gs_pdfa1b(), 1),
                                ("lo-pdfa2b", os.path.join(FIX, "libreoffice_pdfa2b.pdf"), 2)):
            with self.subTest(writer=name):
                self.assertEqual(pdfa_problems(src, part), [])
                self.assertEqual(pdfa_problems(self.signed_through(src, name), part), [])

    def test_owner_password_contracts(self):
        """A contract with an owner password only (as Word and WPS "restrict editing"
        export it: AES-256, AES-128, RC4-128) is uploaded, sealed on its keywords and
        signed by two organizations in its own encryption: the final file opens with
        the empty password, keeps /Encrypt, and is valid for us, pdfsig, qpdf and
        POST /api/v1/verify. One whose permissions forbid signing is refused (422)."""
        src = os.path.join(FIX, "xelatex.pdf")
        for how in (["--encrypt", "", "owner", "256", "--"],
                    ["--encrypt", "", "owner", "128", "--use-aes=y", "--"],
                    ["--allow-weak-crypto", "--encrypt", "", "owner", "128", "--use-aes=n",
                     "--"]):
            with self.subTest(encryption=" ".join(how[:6])):
                enc = os.path.join(self.tmp, "encrypted.pdf")
                run(["qpdf"] + how + [src, enc])
                n = self.upload(enc, "采购合同 (加密)")
                s1 = self.sign("supplier", n, [
                    {"mode": "keyword", "seal": "default", "keyword": "甲方（盖章）"}])
                s2 = self.sign("logistics", n, [
                    {"mode": "keyword", "seal": "default", "keyword": "乙方（盖章）"},
                    {"mode": "date", "page": pages(src), "x": 420, "y": 60}])
                data = self.ok(200, self.call("buyer", "GET", "/api/v1/contracts/%s/document" % n))
                final = os.path.join(self.tmp, "encrypted-final.pdf")
                with open(final, "wb") as f:
                    f.write(data)
                self.assertIn(b"/Encrypt", data)
                self.assertIn("User password = \n",
                              run(["qpdf", "--show-encryption", final]).stdout + "\n")
                self.assertFinal(src, final, data, s1, s2)
        run(["qpdf", "--encrypt", "", "owner", "256", "--annotate=n", "--form=n", "--", src, enc])
        with open(enc, "rb") as f:
            st, _, _, doc = self.call("buyer", "POST", "/api/v1/contracts", {
                "name": "x", "pdf_base64": base64.b64encode(f.read()).decode(),
                "parties": [{"credit_code": self.orgs["supplier"]["credit_code"],
                             "role": "signer", "routing_order": 1}]})
        self.assertEqual((st, doc["code"]), (422, "pdf_signing_not_permitted"), doc)
        self.assertIn("bit 4", doc["detail"])

    def test_identity_crypt_filters(self):
        """sec35: a file encrypted with the /Identity crypt filters for strings
        and streams (V4: nothing is enciphered, /Encrypt carries the
        permissions) is uploaded, sealed on its keyword and signed; the final
        file keeps /Encrypt and is valid for us, pdfsig, qpdf and POST
        /api/v1/verify. A named crypt filter with /CFM /None (the security
        handler decrypts by itself: qpdf reads it as an unknown method) is
        refused at upload as pdf_encrypted (the verifier, which writes nothing,
        reports what it reads as before); an /Encrypt written in an object
        stream is refused at upload and by POST /api/v1/verify."""
        src = os.path.join(FIX, "xelatex.pdf")
        pdf = crypt_pdfs.with_encrypt(src, self.tmp, b"/StmF /Identity /StrF /Identity")
        doc = self.ok(201, self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "采购合同 (Identity)", "pdf_base64": base64.b64encode(pdf).decode(),
            "parties": [{"credit_code": self.orgs["supplier"]["credit_code"], "role": "signer",
                         "routing_order": 1}]}))
        n = doc["number"]
        self.ok(200, self.call("buyer", "POST", "/api/v1/contracts/%s/send" % n))
        s1 = self.sign("supplier", n, [{"mode": "keyword", "seal": "default",
                                        "keyword": "甲方（盖章）"}])
        data = self.ok(200, self.call("buyer", "GET", "/api/v1/contracts/%s/document" % n))
        final = os.path.join(self.tmp, "identity-final.pdf")
        with open(final, "wb") as f:
            f.write(data)
        self.assertIn(b"/Identity", data)
        self.assertIn("User password = \n",
                      run(["qpdf", "--show-encryption", final]).stdout + "\n")
        self.assertValid(final, 2)
        self.assertSealOn(src, final, s1[0], "甲方（盖章）")
        doc = self.ok(200, self.server.request("POST", "/api/v1/verify", body=data, headers={
            "Content-Type": "application/pdf"}, timeout=60))
        self.assertEqual(doc["verdict"], "valid_with_allowed_changes", doc)
        named_none = (b"/CF << /StdCF << /AuthEvent /DocOpen /CFM /None /Length 16 >> >> "
                      b"/StmF /StdCF /StrF /StdCF")
        for name, bad, verify in (
                ("named /CFM /None", crypt_pdfs.with_encrypt(src, self.tmp, named_none), 200),
                ("/Encrypt in an object stream", crypt_pdfs.with_encrypt(
                    src, self.tmp, b"/StmF /Identity /StrF /Identity", in_objstm=True), 422)):
            with self.subTest(name):
                st, _, _, doc = self.call("buyer", "POST", "/api/v1/contracts", {
                    "name": "x", "pdf_base64": base64.b64encode(bad).decode(),
                    "parties": [{"credit_code": self.orgs["supplier"]["credit_code"],
                                 "role": "signer", "routing_order": 1}]})
                self.assertEqual((st, doc["code"]), (422, "pdf_encrypted"), doc)
                st, _, _, doc = self.server.request("POST", "/api/v1/verify", body=bad, headers={
                    "Content-Type": "application/pdf"}, timeout=60)
                self.assertEqual(st, verify, doc)
                if verify == 422:
                    self.assertEqual(doc["code"], "pdf_encrypted", doc)
                    self.assertIn("object stream", doc["detail"])


if __name__ == "__main__":
    unittest.main()
