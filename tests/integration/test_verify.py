"""Issue 7, end to end: `sealpact verify` offline (text, --json, exit codes) on files
signed by `sealpact sign --offline`, agreeing with pdfsig; POST /api/v1/verify (no
login, content type, 422, per-IP rate limit); GET /api/v1/contracts/{number}/verification
on a contract signed through the signing protocol (visible only to its parties)."""

import base64
import json
import os
import subprocess
import unittest

import harness
from harness import ServerTestCase, api_login, der_of, openssl_sign, run

PKI = None
SEAL = None
NSSDIR = None
WORK = None
SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")


_pki_up, tearDownModule = harness.module_pki(__name__, tokens=False, seal=True, nss=True)


def setUpModule():
    global WORK
    _pki_up()
    WORK = PKI.dir


def sign_offline(src, out, slug, alg, ts=True):
    crt, key = PKI.org_cert(slug, alg)
    cmd = [harness.SEALPACT, "sign", "--offline", src, out, "--key", key, "--cert", crt,
           "--seal", SEAL, "--date", "1,450,80"]
    if ts:
        cmd += ["--tsa-cert", PKI.path("tsa.crt"), "--tsa-key", PKI.path("tsa.key"),
                "--tsa-trust", PKI.path("root.pem"), "--chain", PKI.path("chain.pem")]
    run(cmd)
    return out


def verify(path, *extra):
    cmd = [harness.SEALPACT, "verify", path, "--trust-roots", PKI.path("root.pem"),
           "--intermediate", PKI.path("ca.pem")] + list(extra)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def pdfsig_valid(path):
    p = subprocess.run(["pdfsig", "-nssdir", "sql:" + NSSDIR, path], capture_output=True,
                       text=True)
    return (p.stdout + p.stderr).count("Signature is Valid.")


class Offline(unittest.TestCase):

    def test_signed_tampered_unsigned_and_usage(self):
        one = sign_offline(SHORT, os.path.join(WORK, "one.pdf"), "supplier", "rsa")
        two = sign_offline(one, os.path.join(WORK, "two.pdf"), "logistics", "ec")
        for path, n in ((one, 1), (two, 2)):
            p = verify(path)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("Verdict: VALID", p.stdout)
            # the independent judge agrees on the valid set
            self.assertEqual(pdfsig_valid(path), n)
            p = verify(path, "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            doc = json.loads(p.stdout)
            self.assertEqual(len(doc["signatures"]), n)
            self.assertTrue(doc["last_revision_signed"])
            for s in doc["signatures"]:
                self.assertIn(s["verdict"], ("valid", "valid_with_allowed_changes"))
                self.assertTrue(s["checks"]["timestamp"])
                self.assertTrue(s["checks"]["chain"])
        self.assertEqual(doc["signatures"][0]["verdict"], "valid_with_allowed_changes")
        self.assertEqual(doc["signatures"][1]["verdict"], "valid")

        # one signed byte changed: invalid, exit 1
        with open(one, "rb") as f:
            data = bytearray(f.read())
        i = data.index(b"/MediaBox")
        data[i + 1:i + 2] = b"X"
        bad = os.path.join(WORK, "bad.pdf")
        with open(bad, "wb") as f:
            f.write(bytes(data))
        p = verify(bad, "--json")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("digest_mismatch", json.loads(p.stdout)["signatures"][0]["reasons"])

        # an unsigned trailing update: indeterminate, exit 2, said so
        with open(one, "rb") as f:
            data = f.read()
        p = verify(one, "--json")
        upd = os.path.join(WORK, "trailing.pdf")
        start = data.rindex(b"startxref")
        prev = int(data[start + 9:].split()[0])
        size = int(data[data.rindex(b"/Size"):].split()[1].rstrip(b"/>"))
        obj = b"%d 0 obj\n<< /Title (changed) >>\nendobj\n" % size
        root = data[data.rindex(b"/Root"):].split()[1:3]
        body = data + obj
        xref = len(body)
        body += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (size, len(data))
        body += b"trailer\n<< /Size %d /Root %s %s R /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
            size + 1, root[0], root[1], size, prev, xref)
        with open(upd, "wb") as f:
            f.write(body)
        p = verify(upd)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("Last revision signed: no", p.stdout)

        # no signature, untrusted, usage
        p = verify(SHORT)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        self.assertIn("no verifiable signature", p.stdout)
        p = subprocess.run([harness.SEALPACT, "verify", one], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("untrusted_issuer", p.stdout)
        p = subprocess.run([harness.SEALPACT, "verify"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 64)
        p = subprocess.run([harness.SEALPACT, "verify", one, "--bogus"], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 64)


def handmade_pdf(objs):
    """A PDF with a classic xref table from object bodies (object i + 1 = objs[i])."""
    out = b"%PDF-1.7\n"
    offs = []
    for i, body in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i + 1, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)
    return out


def certified_pdf(objs, slug):
    """handmade_pdf(objs), its one "@SIG@" (in a signature dictionary) made a
    /ByteRange and a /Contents that slug's RSA certificate signs as the openssl
    CLI does (adbe.pkcs7.detached), with its CA in the CMS: a certifier's file."""
    hexlen = 16384
    ph = b"/ByteRange [0 0000000000 0000000000 0000000000] /Contents <" + b"0" * hexlen + b">"
    pdf = handmade_pdf([o.replace(b"@SIG@", ph) for o in objs])
    c = pdf.index(b"/Contents <" + b"0" * 16) + 10
    e = c + hexlen + 2
    pdf = pdf.replace(b"[0 0000000000 0000000000 0000000000]",
                      b"[0 %010d %010d %010d]" % (c, e, len(pdf) - e), 1)
    crt, key = PKI.org_cert(slug, "rsa")
    tbs, p7s = os.path.join(WORK, "cert_tbs.bin"), os.path.join(WORK, "cert_tbs.p7s")
    with open(tbs, "wb") as f:
        f.write(pdf[:c] + pdf[e:])
    run(["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", tbs, "-signer", crt,
         "-inkey", key, "-certfile", PKI.path("ca.pem"), "-outform", "DER", "-out", p7s])
    with open(p7s, "rb") as f:
        der = f.read().hex().upper().encode()
    assert len(der) <= hexlen
    return pdf[:c + 1] + der + pdf[c + 1 + len(der):]


class World(unittest.TestCase):

    def test_linearized_signed_twice(self):
        lin = os.path.join(WORK, "lin.pdf")
        run(["qpdf", "--linearize", SHORT, lin])
        one = sign_offline(lin, os.path.join(WORK, "lin1.pdf"), "supplier", "rsa")
        two = sign_offline(one, os.path.join(WORK, "lin2.pdf"), "logistics", "ec")
        for path, n in ((one, 1), (two, 2)):
            p = verify(path, "--json")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            doc = json.loads(p.stdout)
            self.assertEqual(doc["verdict"], "valid" if n == 1 else "valid_with_allowed_changes")
            self.assertEqual([s["level"] for s in doc["signatures"]], ["pades_b_t"] * n)
            self.assertEqual(pdfsig_valid(path), n)
            self.assertEqual(subprocess.run(["qpdf", "--check", path],
                                            capture_output=True).returncode, 0)

    def test_unreadable_is_not_invalid(self):
        junk = os.path.join(WORK, "junk.pdf")
        with open(junk, "wb") as f:
            f.write(b"%PDF-1.7\nthis is not a PDF at all\n")
        p = verify(junk, "--json")
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertEqual(json.loads(p.stdout)["verdict"], "unreadable")
        self.assertIn("unreadable", p.stderr)
        p = subprocess.run([harness.SEALPACT, "help", "verify"], capture_output=True, text=True)
        self.assertIn("4 the", p.stdout + p.stderr)

    def test_certified_p2_signed_offline_into_its_empty_field(self):
        """sign --offline --field NAME: the seal in the certifier's empty field; the
        certification and ours valid for us and pdfsig; a field another signature's
        FieldMDP lock covers is refused, nothing written."""
        for lock, refused in ((b"", None), (b" << /Type /SigRef /TransformMethod /FieldMDP "
                                            b"/TransformParams << /Type /TransformParams "
                                            b"/Action /Include /Fields [(Buyer)] /V /1.2 >> >>",
                                            "field_locked")):
            src = os.path.join(WORK, "field%d.pdf" % bool(lock))
            out = os.path.join(WORK, "field%d-signed.pdf" % bool(lock))
            with open(src, "wb") as f:
                f.write(certified_pdf([
                    b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 6 0 R] "
                    b"/SigFlags 3 >> /Perms << /DocMDP 5 0 R >> >>",
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    b"/Annots [4 0 R 6 0 R] >>",
                    b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) "
                    b"/Rect [0 0 0 0] /F 132 /P 3 0 R /V 5 0 R >>",
                    b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
                    b"/M (D:20261201120000Z) /Reference [<< /Type /SigRef /TransformMethod "
                    b"/DocMDP /TransformParams << /Type /TransformParams /P 2 /V /1.2 >> >>"
                    + lock + b"] @SIG@ >>",
                    b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Buyer) /F 4 /P 3 0 R "
                    b"/Rect [350 100 550 240] >>"], "buyer"))
            crt, key = PKI.org_cert("supplier", "rsa")
            p = subprocess.run([harness.SEALPACT, "sign", "--offline", src, out, "--key", key,
                                "--cert", crt, "--seal", SEAL, "--field", "Buyer",
                                "--chain", PKI.path("chain.pem")],
                               capture_output=True, text=True, timeout=60)
            if refused:
                self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn('"Buyer" is locked by signature "Certification"', p.stderr)
                self.assertFalse(os.path.exists(out))
                continue
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("#1 field   page 1: 350.0,100.0 - 550.0,240.0", p.stdout)
            v = verify(out, "--json")
            rep = json.loads(v.stdout)
            self.assertEqual(sorted((s["field"], s["verdict"]) for s in rep["signatures"]),
                             [("Buyer", "valid"),
                              ("Certification", "valid_with_allowed_changes")], rep)
            self.assertEqual(pdfsig_valid(out), 2)

    def test_certified_p1_is_not_signed(self):
        sig = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
               b"/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams "
               b"<< /Type /TransformParams /P %d /V /1.2 >> >>] /ByteRange [0 1 2 3] "
               b"/Contents <3000> >>")
        # P=1 refuses any signature; P=2 a visible one (a new visible signature widget is a
        # change it does not permit, as our verifier and pyHanko read it), not an invisible one
        for p_value, how, refused in ((1, ["--date", "1,450,80"], "P=1"),
                                      (2, ["--date", "1,450,80"], "P=2"),
                                      (2, ["--invisible"], None)):
            src = os.path.join(WORK, "certified%d.pdf" % p_value)
            out = os.path.join(WORK, "certified%d-signed.pdf" % p_value)
            with open(src, "wb") as f:
                f.write(handmade_pdf([
                    b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] "
                    b"/SigFlags 3 >> /Perms << /DocMDP 5 0 R >> >>",
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R] >>",
                    b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) "
                    b"/Rect [0 0 0 0] /F 132 /P 3 0 R /V 5 0 R >>",
                    sig % p_value]))
            crt, key = PKI.org_cert("supplier", "rsa")
            p = subprocess.run([harness.SEALPACT, "sign", "--offline", src, out, "--key", key,
                                "--cert", crt] + how, capture_output=True, text=True,
                               timeout=60)
            if refused:
                self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn(refused, p.stderr)
                self.assertIn("Certification" if p_value == 1 else "without placements",
                              p.stderr)
                self.assertFalse(os.path.exists(out))
            else:
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class Api(ServerTestCase):
    tls = False

    def setUp(self):
        self.server_extra = {
            "trust": PKI.trust_config(),
            "tsa": {"mode": "builtin", "cert": PKI.path("tsa.crt"), "key": PKI.path("tsa.key"),
                    "chain": PKI.path("chain.pem"), "trust": PKI.path("root.pem")},
            "signing": {"default_seal_image": SEAL, "session_ttl_s": 600},
        }
        super().setUp()

    def post_pdf(self, data, ct="application/pdf"):
        return self.server.request("POST", "/api/v1/verify", body=data,
                                   headers={"Content-Type": ct}, timeout=60)

    def test_anonymous_verify(self):
        signed = sign_offline(SHORT, os.path.join(self.tmp, "s.pdf"), "supplier", "ec")
        with open(signed, "rb") as f:
            st, _, _, doc = self.post_pdf(f.read())
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["verdict"], "valid", doc)
        self.assertEqual(doc["signatures"][0]["signature_algorithm"], "ecdsa-with-SHA256")
        with open(SHORT, "rb") as f:
            st, _, _, doc = self.post_pdf(f.read())
        self.assertEqual(st, 200)
        self.assertEqual(doc["verdict"], "no_signature")
        self.assertProblem(self.post_pdf(b"not a pdf"), 422)
        self.assertProblem(self.post_pdf(b"%PDF-1.7", "text/plain"), 415,
                           "unsupported_media_type")

    def test_rate_limit(self):
        codes = [self.post_pdf(b"%PDF-1.4 nothing")[0] for _ in range(32)]
        self.assertEqual(codes[:30], [422] * 30)
        self.assertEqual(codes[30:], [429, 429])

    def members(self, *slugs):
        """Each organization of slugs logged in with its RSA certificate: a
        call(slug, method, path, body=None) as that member."""
        tokens = {}
        for slug in slugs:
            crt, key = PKI.org_cert(slug, "rsa")
            st, _, _, doc = api_login(self.server, crt, key)
            self.assertEqual(st, 200, doc)
            tokens[slug] = doc["token"]

        def call(slug, method, path, body=None):
            h = {"Authorization": "Bearer " + tokens[slug]}
            if body is None and method == "POST":
                body, h["Content-Type"] = b"", "application/json"
            return self.server.request(method, path, body=body, headers=h, timeout=60)
        return call

    def received(self, call, name, pdf):
        """pdf uploaded by the buyer as contract name with the supplier its one
        signer, sent, and received by the supplier: the contract's number."""
        orgs = {o["slug"]: o for o in PKI.orgs}
        st, _, _, doc = call("buyer", "POST", "/api/v1/contracts", {
            "name": name, "pdf_base64": base64.b64encode(pdf).decode(),
            "parties": [{"credit_code": orgs["supplier"]["credit_code"], "role": "signer",
                         "routing_order": 1}]})
        self.assertEqual(st, 201, doc)
        n = doc["number"]
        self.assertEqual(call("buyer", "POST", "/api/v1/contracts/%s/send" % n)[0], 200)
        self.assertEqual(call("supplier", "POST", "/api/v1/contracts/%s/receive" % n)[0], 200)
        return n

    def test_contract_verification(self):
        call = self.members("buyer", "supplier", "logistics")

        with open(SHORT, "rb") as f:
            pdf = f.read()
        n = self.received(call, "Verified", pdf)
        crt, key = PKI.org_cert("supplier", "rsa")
        st, _, _, prep = call("supplier", "POST", "/api/v1/contracts/%s/signing-sessions" % n, {
            "certificate": base64.b64encode(der_of(crt)).decode(),
            "chain": [base64.b64encode(der_of(PKI.path("ca.pem"))).decode()],
            "placements": [{"mode": "normal", "seal": "default", "page": 1, "x": 400,
                            "y": 120}]})
        self.assertEqual(st, 201, prep)
        sig = openssl_sign(key, base64.b64decode(prep["to_be_signed"]))
        st, _, _, doc = call("supplier", "POST", "/api/v1/signing-sessions/%s/complete" %
                             prep["session"], {"signature": base64.b64encode(sig).decode()})
        self.assertEqual(st, 200, doc)
        for slug in ("buyer", "supplier"):
            st, _, _, doc = call(slug, "GET", "/api/v1/contracts/%s/verification" % n)
            self.assertEqual(st, 200, doc)
            # B-LTA by default: the DSS and the document timestamp are allowed additions
            self.assertEqual(doc["verdict"], "valid_with_allowed_changes", doc)
            self.assertTrue(doc["last_revision_signed"], doc)
            self.assertEqual([s["doc_timestamp"] for s in doc["signatures"]], [False, True])
            self.assertEqual(doc["signatures"][0]["level"], "pades_b_lta", doc)
            self.assertTrue(doc["signatures"][0]["revocation_embedded"], doc)
            self.assertTrue(doc["signatures"][0]["checks"]["timestamp"])
            self.assertEqual(doc["signatures"][1]["verdict"], "valid", doc)
        # not a party: as if it did not exist
        self.assertProblem(call("logistics", "GET", "/api/v1/contracts/%s/verification" % n),
                           404)
        st, _, _, _ = self.server.request("GET", "/api/v1/contracts/%s/verification" % n)
        self.assertEqual(st, 401)

    def test_certified_p2_takes_no_visible_seal(self):
        """A contract certified with DocMDP P=2 (filling in forms and signing): a seal is
        refused at the prepare, 422 docmdp_no_visible, nothing stored; without placements
        (an invisible signature) it is prepared."""
        call = self.members("buyer", "supplier")

        pdf = handmade_pdf([
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> "
            b"/Perms << /DocMDP 5 0 R >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R] >>",
            b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) "
            b"/Rect [0 0 0 0] /F 132 /P 3 0 R /V 5 0 R >>",
            b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
            b"/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams "
            b"<< /Type /TransformParams /P 2 /V /1.2 >> >>] /ByteRange [0 1 2 3] "
            b"/Contents <3000> >>"])
        n = self.received(call, "Certified", pdf)
        crt, _ = PKI.org_cert("supplier", "rsa")
        body = {"certificate": base64.b64encode(der_of(crt)).decode(),
                "chain": [base64.b64encode(der_of(PKI.path("ca.pem"))).decode()],
                "placements": [{"mode": "date", "page": 1, "x": 300, "y": 100}]}
        path = "/api/v1/contracts/%s/signing-sessions" % n
        st, _, _, doc = call("supplier", "POST", path, body)
        self.assertEqual((st, doc.get("code")), (422, "docmdp_no_visible"), doc)
        self.assertIn("sign it without placements", doc["detail"])
        body["placements"] = []
        st, _, _, doc = call("supplier", "POST", path, body)
        self.assertEqual(st, 201, doc)
        # the invisible signature's one widget, zero-sized
        self.assertEqual([(r["x0"], r["x1"]) for r in doc["rects"]], [(0.0, 0.0)], doc)

    def test_certified_p2_signed_into_its_empty_field(self):
        """A contract certified with DocMDP P=2 whose certifier placed an empty
        signature field "Buyer" for the next party: a field placement signs into it,
        the seal in the field's box (what P=2 permits, where a new seal is 422
        docmdp_no_visible); a field it lacks is 422 field_not_found, a field
        placement with another 422 placement_field; the completion stores it, and
        the new signature is the field's value, valid."""
        call = self.members("buyer", "supplier")

        pdf = certified_pdf([
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 6 0 R] /SigFlags 3 >> "
            b"/Perms << /DocMDP 5 0 R >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R 6 0 R] >>",
            b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) "
            b"/Rect [0 0 0 0] /F 132 /P 3 0 R /V 5 0 R >>",
            b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
            b"/M (D:20261201120000Z) /Reference [<< /Type /SigRef /TransformMethod /DocMDP "
            b"/TransformParams << /Type /TransformParams /P 2 /V /1.2 >> >>] @SIG@ >>",
            b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Buyer) /F 4 /P 3 0 R "
            b"/Rect [350 100 550 240] >>"], "buyer")
        n = self.received(call, "Certified with a field", pdf)
        crt, key = PKI.org_cert("supplier", "rsa")
        body = {"certificate": base64.b64encode(der_of(crt)).decode(),
                "chain": [base64.b64encode(der_of(PKI.path("ca.pem"))).decode()]}
        path = "/api/v1/contracts/%s/signing-sessions" % n
        for pl, code in (([{"mode": "field", "seal": "default", "field": "Seller"}],
                          "field_not_found"),
                         ([{"mode": "field", "seal": "default", "field": "Buyer"},
                           {"mode": "date", "page": 1, "x": 300, "y": 100}], "placement_field"),
                         ([{"mode": "normal", "seal": "default", "page": 1, "x": 200, "y": 400}],
                          "docmdp_no_visible")):
            st, _, _, doc = call("supplier", "POST", path, dict(body, placements=pl))
            self.assertEqual((st, doc.get("code")), (422, code), doc)
        # the refusal of a new seal says where one may go
        self.assertIn('or into its empty signature field "Buyer" (placement mode field)',
                      doc["detail"])
        st, _, _, prep = call("supplier", "POST", path, dict(body, placements=[
            {"mode": "field", "seal": "default", "field": "Buyer"}]))
        self.assertEqual(st, 201, prep)
        self.assertEqual([(r["mode"], r["page"], r["x0"], r["y0"], r["x1"], r["y1"])
                          for r in prep["rects"]], [("field", 1, 350, 100, 550, 240)], prep)
        sig = openssl_sign(key, base64.b64decode(prep["to_be_signed"]))
        st, _, _, doc = call("supplier", "POST", "/api/v1/signing-sessions/%s/complete" %
                             prep["session"], {"signature": base64.b64encode(sig).decode()})
        self.assertEqual(st, 200, doc)
        st, _, _, doc = call("buyer", "GET", "/api/v1/contracts/%s/verification" % n)
        self.assertEqual(st, 200, doc)
        by_field = {s["field"]: s for s in doc["signatures"]}
        self.assertEqual(by_field["Buyer"]["verdict"], "valid_with_allowed_changes", doc)
        # the certification holds: filling its empty field is signing, which P=2 permits
        self.assertEqual(by_field["Certification"]["verdict"], "valid_with_allowed_changes", doc)

    def test_form_field_on_two_pages_and_one_that_asks_for_a_certificate(self):
        """A form with two signature fields: "Seller", whose seed values constrain
        the signer's certificate (/SV /Cert with a required /Issuer: 422
        field_unsupported naming /Cert, and nothing changes), and "Buyer", one field
        shown on two pages (a kid widget on page 1 and on page 2, shown at 90
        degrees): signed into, a rectangle per widget where each page shows it, the
        completion stored, the signature the field's value and valid. (The first
        was refused as "more than one widget".)"""
        call = self.members("buyer", "supplier")

        pdf = handmade_pdf([
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R 8 0 R] "
            b"/SigFlags 1 >> >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [6 0 R 8 0 R] >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate 90 "
            b"/Annots [7 0 R] >>",
            b"<< /FT /Sig /T (Buyer) /Kids [6 0 R 7 0 R] >>",
            b"<< /Type /Annot /Subtype /Widget /Parent 5 0 R /F 4 /P 3 0 R "
            b"/Rect [350 100 550 240] >>",
            b"<< /Type /Annot /Subtype /Widget /Parent 5 0 R /F 4 /P 4 0 R "
            b"/Rect [350 100 550 240] >>",
            b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Seller) /F 4 /P 3 0 R "
            b"/Rect [60 100 260 240] /SV << /Cert << /Issuer [<3082>] /Ff 2 >> >> >>"])
        n = self.received(call, "A form on two pages", pdf)
        crt, key = PKI.org_cert("supplier", "rsa")
        body = {"certificate": base64.b64encode(der_of(crt)).decode(),
                "chain": [base64.b64encode(der_of(PKI.path("ca.pem"))).decode()]}
        path = "/api/v1/contracts/%s/signing-sessions" % n
        before = call("buyer", "GET", "/api/v1/contracts/%s" % n)[3]
        st, _, _, doc = call("supplier", "POST", path, dict(body, placements=[
            {"mode": "field", "seal": "default", "field": "Seller"}]))
        self.assertEqual((st, doc.get("code")), (422, "field_unsupported"), doc)
        self.assertIn("(/Cert)", doc["detail"])
        self.assertEqual(call("buyer", "GET", "/api/v1/contracts/%s" % n)[3], before)
        st, _, _, prep = call("supplier", "POST", path, dict(body, placements=[
            {"mode": "field", "seal": "default", "field": "Buyer"}]))
        self.assertEqual(st, 201, prep)
        self.assertEqual([(r["mode"], r["page"], r["x0"], r["y0"], r["x1"], r["y1"])
                          for r in prep["rects"]],
                         [("field", 1, 350, 100, 550, 240), ("field", 2, 100, 62, 240, 262)],
                         prep)
        sig = openssl_sign(key, base64.b64decode(prep["to_be_signed"]))
        st, _, _, doc = call("supplier", "POST", "/api/v1/signing-sessions/%s/complete" %
                             prep["session"], {"signature": base64.b64encode(sig).decode()})
        self.assertEqual(st, 200, doc)
        st, _, _, doc = call("buyer", "GET", "/api/v1/contracts/%s/verification" % n)
        self.assertEqual(st, 200, doc)
        # the last signer's: then the document timestamp (B-LTA)
        self.assertEqual([(s["field"], s["verdict"], s["doc_timestamp"])
                          for s in doc["signatures"]],
                         [("Buyer", "valid_with_allowed_changes", False),
                          ("Signature3", "valid", True)], doc)


if __name__ == "__main__":
    unittest.main()
