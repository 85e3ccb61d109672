"""Issue 11, the seal desk over the API: apply -> form -> scan -> submit -> claim ->
reject -> modify -> resubmit -> approve (generated round seal, GB/T 38540 SESeal)
-> install -> sign with the seal -> change -> the old seal is refused, the new
one works; concurrent claims (exactly one reviewer wins); every access rule;
bad input that changes nothing."""

import base64
import json
import os
import struct
import subprocess
import tempfile
import unittest
import zlib

import harness
from harness import (ServerTestCase, api_login, create_reviewer, der_of,
                     openssl_sign, run)

PKI = None
SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")


setUpModule, tearDownModule = harness.module_pki(__name__, tokens=False)


# An 8 x 8 grey JPEG (Ghostscript's jpeggray device, its ICC profile left out): chromium
# shows it as 8x8.
JPEG_8X8 = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000ffdb004300080606070605080707070909080a0c140d0c0b"
    "0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e3334"
    "32ffc0000b080008000801011100ffc4001f0000010501010101010100000000000000000102030405060708"
    "090a0bffc400b5100002010303020403050504040000017d0102030004110512213141061351610722711432"
    "8191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a43444546474849"
    "4a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3"
    "a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9ea"
    "f1f2f3f4f5f6f7f8f9faffda0008010100003f00effe197c4dff00858dfda9ff00128fecff00b0795ff2f3e6"
    "efdfbffd85c6367bf5afffd9")


def png(w, h, transparent=True, filler=b""):
    """An RGBA PNG: a red disc, the rest transparent (or opaque white); filler
    adds an ancillary chunk of that many bytes (a large file)."""
    rows = []
    r2 = (min(w, h) / 2.0 - 2) ** 2
    for y in range(h):
        row = bytearray(b"\x00")
        for x in range(w):
            inside = (x - w / 2.0) ** 2 + (y - h / 2.0) ** 2 <= r2
            if inside:
                row += b"\xd0\x10\x10\xff"
            else:
                row += b"\x00\x00\x00\x00" if transparent else b"\xff\xff\xff\xff"
        rows.append(bytes(row))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
    if filler:
        out += chunk(b"zTXt", b"x" * len(filler))
    return out + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")


class SealCase(ServerTestCase):
    tls = True

    def setUp(self):
        self.server_extra = {
            "trust": PKI.trust_config(),
            "tsa": {"mode": "builtin", "cert": PKI.path("tsa.crt"), "key": PKI.path("tsa.key"),
                    "chain": PKI.path("chain.pem"), "trust": PKI.path("root.pem")},
            # Production-like: no demo seal; seals come from the desk.
            "seals": {"maker_cert": PKI.path("sealmaker.crt"),
                      "maker_key": PKI.path("sealmaker.key"), "claim_ttl": 600},
        }
        super().setUp()
        self.orgs = {o["slug"]: o for o in PKI.orgs}
        self.tokens = {}
        for slug in ("buyer", "supplier", "logistics"):
            crt, key = PKI.org_cert(slug, "rsa")
            st, _, _, doc = api_login(self.server, crt, key)
            self.assertEqual(st, 200, doc)
            self.tokens[slug] = doc["token"]
        self.reviewers = []

    # ---- helpers -------------------------------------------------------------------

    def reviewer(self, name):
        p = create_reviewer(self.server, name, "correct horse battery " + name)
        self.assertEqual(p.returncode, 0, p.stderr)
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login", body={
            "username": name, "password": "correct horse battery " + name})
        self.assertEqual(st, 200, doc)
        self.tokens[name] = doc["token"]
        return name

    def call(self, who, method, path, body=None, headers=None):
        h = {"Authorization": "Bearer " + self.tokens[who]}
        h.update(headers or {})
        return self.server.request(method, path, body=body, headers=h, timeout=60)

    def ok(self, who, method, path, body=None, status=200, headers=None):
        st, hdrs, data, doc = self.call(who, method, path, body, headers)
        self.assertEqual(st, status, doc if doc is not None else data[:200])
        return doc if doc is not None else (hdrs, data)

    def apply(self, who="supplier", name="供应商有限公司合同专用章", kind="contract", replaces=None):
        body = {"name": name, "type": kind}
        if replaces is not None:
            body["replaces_seal_id"] = replaces
        return self.ok(who, "POST", "/api/v1/seal-applications", body, status=201)

    def scan(self, app_id, data, who="supplier", ctype="application/octet-stream"):
        return self.call(who, "PUT", "/api/v1/seal-applications/%s/scan" % app_id, data,
                         {"Content-Type": ctype})

    def submitted(self, who="supplier", **kw):
        app = self.apply(who, **kw)
        st, _, _, doc = self.scan(app["id"], png(200, 100, transparent=False), who, "image/png")
        self.assertEqual(st, 200, doc)
        doc = self.ok(who, "POST", "/api/v1/seal-applications/%s/submit" % app["id"])
        self.assertEqual(doc["status"], "under_review")
        return doc

    def validity(self, days_from=-1, days_until=365):
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        f = lambda d: (now + datetime.timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"valid_from": f(days_from), "valid_until": f(days_until)}

    def approve(self, rev, app_id, image="generated", code=None, **validity):
        body = self.validity(**validity)
        body["image"] = image
        if code:
            body["code"] = code
        return self.call(rev, "POST", "/api/v1/review/applications/%s/approve" % app_id, body)

    def issued(self, rev, app_id, image="generated"):
        self.ok(rev, "POST", "/api/v1/review/applications/%s/claim" % app_id)
        st, _, _, doc = self.approve(rev, app_id, image)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["status"], "approved")
        return doc["seal_id"]

    def contract(self, signer="supplier"):
        with open(SHORT, "rb") as f:
            pdf = f.read()
        doc = self.ok("buyer", "POST", "/api/v1/contracts", {
            "name": "采购合同", "pdf_base64": base64.b64encode(pdf).decode(),
            "parties": [{"credit_code": self.orgs[signer]["credit_code"], "role": "signer"}]},
            status=201)
        n = doc["number"]
        self.ok("buyer", "POST", "/api/v1/contracts/%s/send" % n, b"",
                headers={"Content-Type": "application/json"})
        self.ok(signer, "POST", "/api/v1/contracts/%s/receive" % n, b"",
                headers={"Content-Type": "application/json"})
        return n

    def prepare(self, who, n, seal):
        crt, _ = PKI.org_cert(who, "rsa")
        return self.call(who, "POST", "/api/v1/contracts/%s/signing-sessions" % n, {
            "certificate": base64.b64encode(der_of(crt)).decode(),
            "chain": [base64.b64encode(der_of(PKI.path("ca.pem"))).decode()],
            "placements": [{"mode": "normal", "seal": seal, "page": 1, "x": 400, "y": 120}]})

    def sign(self, who, n, seal):
        st, _, _, prep = self.prepare(who, n, seal)
        self.assertEqual(st, 201, prep)
        _, key = PKI.org_cert(who, "rsa")
        sig = openssl_sign(key, base64.b64decode(prep["to_be_signed"]))
        doc = self.ok(who, "POST", "/api/v1/signing-sessions/%s/complete" % prep["session"],
                      {"signature": base64.b64encode(sig).decode()})
        return prep, doc

    def status(self, app_id):
        return self.db.query("SELECT status FROM seals WHERE id = %s" % int(app_id))

    def audit(self, app_id):
        return self.db.query("SELECT string_agg(action, ',' ORDER BY id) FROM org_audit_events "
                             "WHERE object_type = 'seal' AND object_id = '%s'" % app_id)


class SealFlow(SealCase):

    def test_whole_flow_apply_review_install_sign_change(self):
        rev = self.reviewer("alice")
        app = self.apply()
        self.assertEqual(app["status"], "draft")
        self.assertEqual(app["organization"]["credit_code"], self.orgs["supplier"]["credit_code"])
        self.assertIsNone(app["scan"])
        self.assertNotIn("claim", app)  # a member's view has no claim
        sid = app["id"]

        # The application form: a PDF that qpdf accepts, with the filled-in text.
        hdrs, form = self.ok("supplier", "GET", "/api/v1/seal-applications/%s/form" % sid)
        self.assertEqual(hdrs["content-type"], "application/pdf")
        self.assertIn("attachment", hdrs["content-disposition"])
        path = os.path.join(self.tmp, "form.pdf")
        with open(path, "wb") as f:
            f.write(form)
        self.assertEqual(subprocess.run(["qpdf", "--check", path], capture_output=True).returncode, 0)
        text = run(["pdftotext", path, "-"]).stdout
        self.assertIn(self.orgs["supplier"]["credit_code"], text)
        self.assertIn("供应商有限公司合同专用章", text)

        # Submit without a scan: refused, nothing changes.
        self.assertProblem(self.call("supplier", "POST",
                                     "/api/v1/seal-applications/%s/submit" % sid),
                           409, "scan_missing")
        self.assertEqual(self.status(sid), "draft")
        # The stamped form, scanned as a PDF (type by content, not by header).
        st, _, _, doc = self.scan(sid, form)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["scan"]["content_type"], "application/pdf")
        scan_bytes = doc["scan"]["bytes"]
        doc = self.ok("supplier", "POST", "/api/v1/seal-applications/%s/submit" % sid)
        self.assertEqual(doc["status"], "under_review")

        # The queue, oldest first, filterable; the reviewer claims and looks.
        q = self.ok(rev, "GET", "/api/v1/review/applications?status=under_review&q=%E4%BE%9B%E5%BA%94")
        self.assertEqual([a["id"] for a in q["items"]], [sid])
        self.assertIsNone(q["items"][0]["claim"])
        self.assertEqual(self.ok(rev, "GET", "/api/v1/review/applications?q=nobody")["items"], [])
        self.assertProblem(self.call(rev, "GET", "/api/v1/review/applications/%s/scan" % sid),
                           409, "claim_required")
        claim = self.ok(rev, "POST", "/api/v1/review/applications/%s/claim" % sid)
        self.assertEqual(claim["application_id"], sid)
        self.assertEqual(claim["reviewer"], "alice")
        got = self.ok(rev, "GET", "/api/v1/review/applications/%s" % sid)
        self.assertTrue(got["claim"]["mine"])
        hdrs, data = self.ok(rev, "GET", "/api/v1/review/applications/%s/scan" % sid)
        # (a PDF scan is stored as a contract upload is, rewritten: sec51)
        self.assertEqual(len(data), scan_bytes)
        with open(path, "wb") as f:
            f.write(data)
        self.assertIn("供应商有限公司合同专用章", run(["pdftotext", path, "-"]).stdout)
        self.assertEqual(hdrs["content-type"], "application/pdf")
        self.assertEqual(hdrs["x-content-type-options"], "nosniff")

        # Reject with a reason; the applicant modifies and resubmits.
        doc = self.ok(rev, "POST", "/api/v1/review/applications/%s/reject" % sid,
                      {"reason": "印章名称与实物不符"})
        self.assertEqual(doc["status"], "rejected")
        self.assertEqual(doc["review_note"], "印章名称与实物不符")
        self.assertIsNone(doc["claim"])
        mine = self.ok("supplier", "GET", "/api/v1/seal-applications/%s" % sid)
        self.assertEqual(mine["review_note"], "印章名称与实物不符")
        doc = self.ok("supplier", "PATCH", "/api/v1/seal-applications/%s" % sid,
                      {"name": "供应商有限公司 合同专用章"})
        self.assertEqual(doc["status"], "draft")
        self.assertEqual(doc["name"], "供应商有限公司 合同专用章")
        self.ok("supplier", "POST", "/api/v1/seal-applications/%s/submit" % sid)

        # Approve with the generated round seal (previewed first).
        self.ok(rev, "POST", "/api/v1/review/applications/%s/claim" % sid)
        hdrs, preview = self.ok(rev, "POST",
                                "/api/v1/review/applications/%s/seal-preview" % sid,
                                {"code": "1101080012345"})
        self.assertEqual(hdrs["content-type"], "image/png")
        self.assertEqual(preview[:8], b"\x89PNG\r\n\x1a\n")
        st, _, _, doc = self.approve(rev, sid, code="1101080012345")
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["status"], "approved")
        seal = doc["seal_id"]
        self.assertEqual(seal, sid)

        seals = self.ok("supplier", "GET", "/api/v1/seals")
        self.assertEqual(seals["total"], 1)
        s = seals["items"][0]
        self.assertEqual((s["id"], s["status"], s["usable"], s["image_source"], s["code"]),
                         (seal, "approved", True, "generated", "1101080012345"))
        crt, _ = PKI.org_cert("supplier", "rsa")
        self.assertEqual(s["certificate"]["fingerprint"],
                         __import__("hashlib").sha256(der_of(crt)).hexdigest())
        hdrs, image = self.ok("supplier", "GET", "/api/v1/seals/%s/image" % seal)
        self.assertEqual(image, preview)  # the same drawing as the preview
        hdrs, seseal = self.ok("supplier", "GET", "/api/v1/seals/%s/seseal" % seal)
        self.assertEqual(hdrs["content-type"], "application/octet-stream")
        self.assertEqual(base64.b64decode(hdrs["x-seal-maker-certificate"]),
                         der_of(PKI.path("sealmaker.crt")))
        # The SESeal, read by an independent parser: version 4 "ES" header, the
        # seal's name, the bound organization certificate, the picture, SM2-with-SM3.
        f = os.path.join(self.tmp, "seal.der")
        with open(f, "wb") as out:
            out.write(seseal)
        asn = run(["openssl", "asn1parse", "-inform", "DER", "-in", f, "-i"]).stdout
        self.assertIn(":ES", asn)
        self.assertIn(":SM2-with-SM3", asn)  # OID 1.2.156.10197.1.501
        self.assertIn("UTF8STRING", asn)
        self.assertIn(der_of(crt), seseal)
        self.assertIn(image, seseal)
        self.assertIn("供应商有限公司 合同专用章".encode(), seseal)
        doc = self.ok("supplier", "POST", "/api/v1/seals/%s/installed" % seal)
        self.assertEqual(doc["status"], "installed")
        self.assertEqual(self.ok("supplier", "GET", "/api/v1/seals/%s" % seal)["status"],
                         "installed")

        # Sign with the seal: the appearance is the seal's picture, the seal is
        # recorded with the signature and shown in the verification report.
        n = self.contract()
        prep, done = self.sign("supplier", n, seal)
        self.assertEqual(prep["seal"]["id"], seal)
        self.assertEqual(self.db.query("SELECT seal_id FROM revisions WHERE contract_number = %s "
                                       "AND seq = 1" % n), seal)
        rep = self.ok("supplier", "GET", "/api/v1/contracts/%s/verification" % n)
        sig = rep["signatures"][0]
        # B-LTA by default: the DSS and the document timestamp after it are allowed
        self.assertEqual(sig["verdict"], "valid_with_allowed_changes", sig)
        self.assertEqual(sig["level"], "pades_b_lta", sig)
        self.assertEqual(sig["seal"]["id"], seal)
        self.assertEqual(sig["seal"]["name"], "供应商有限公司 合同专用章")
        self.assertEqual(sig["seal"]["type"], "contract")
        self.assertEqual(sig["seal"]["valid_until"], s["valid_until"])
        hdrs, pdf = self.ok("supplier", "GET", "/api/v1/contracts/%s/document" % n)
        self.assertGreater(pdf.count(b"/SMask"), 0)  # the transparent seal picture

        # Change the seal: a new application replacing it; approval revokes the old.
        chg = self.submitted(replaces=seal, name="供应商有限公司合同专用章（2）")
        self.assertEqual(chg["replaces_seal_id"], seal)
        self.assertProblem(self.call("supplier", "POST", "/api/v1/seal-applications",
                                     {"name": "again", "type": "contract",
                                      "replaces_seal_id": seal}), 409, "seal_change_pending")
        new = self.issued(rev, chg["id"], image=base64.b64encode(png(240, 240)).decode())
        old = self.ok("supplier", "GET", "/api/v1/seals/%s" % seal)
        self.assertEqual((old["status"], old["replaced_by"]), ("revoked", new))
        self.assertEqual(self.ok("supplier", "GET", "/api/v1/seals/%s" % new)["image_source"],
                         "uploaded")
        n2 = self.contract()
        self.assertProblem(self.prepare("supplier", n2, seal), 409, "seal_revoked")
        self.sign("supplier", n2, int(new))  # an integer id works as well

        # Every step is an audit event, in the organization's chain and the platform's.
        self.assertEqual(self.audit(sid).split(","), [
            "seal.applied", "seal.scan_uploaded", "seal.submitted", "seal.claimed",
            "seal.rejected", "seal.rejected", "seal.modified", "seal.submitted",
            "seal.claimed", "seal.approved", "seal.approved", "seal.installed", "seal.revoked"])
        for org in ("(SELECT id FROM organizations WHERE credit_code = '%s')"
                    % self.orgs["supplier"]["credit_code"], "NULL"):
            self.assertEqual(self.db.query("SELECT valid FROM org_audit_chain_verify(%s)" % org),
                             "t")

    def test_cancel_and_release(self):
        rev = self.reviewer("alice")
        draft = self.apply()
        self.assertEqual(self.ok("supplier", "POST", "/api/v1/seal-applications/%s/cancel"
                                 % draft["id"])["status"], "cancelled")
        self.assertProblem(self.call("supplier", "POST", "/api/v1/seal-applications/%s/submit"
                                     % draft["id"]), 409, "wrong_state")
        app = self.submitted()
        self.ok(rev, "POST", "/api/v1/review/applications/%s/claim" % app["id"])
        st, _, _, _ = self.call(rev, "DELETE", "/api/v1/review/applications/%s/claim" % app["id"])
        self.assertEqual(st, 204)
        self.assertProblem(self.call(rev, "DELETE", "/api/v1/review/applications/%s/claim"
                                     % app["id"]), 409, "claim_required")
        # Modifying under review ends a claim; cancelling a submitted one works too.
        self.ok(rev, "POST", "/api/v1/review/applications/%s/claim" % app["id"])
        self.ok("supplier", "PATCH", "/api/v1/seal-applications/%s" % app["id"], {"type": "official"})
        self.assertProblem(self.call(rev, "POST", "/api/v1/review/applications/%s/reject"
                                     % app["id"], {"reason": "x"}), 404)
        lst = self.ok("supplier", "GET", "/api/v1/seal-applications?page=1&page_size=10")
        self.assertEqual(lst["total"], 2)
        self.assertEqual(lst["items"][0]["type"], "official")
        self.assertEqual(self.ok("supplier", "POST", "/api/v1/seal-applications/%s/cancel"
                                 % app["id"])["status"], "cancelled")

    def test_queue_pages_with_cursor_oldest_first(self):
        rev = self.reviewer("alice")
        ids = [self.submitted(name="章%d" % i)["id"] for i in range(5)]
        seen, cursor = [], None
        while True:
            path = "/api/v1/review/applications?limit=2" + ("&cursor=" + cursor if cursor else "")
            page = self.ok(rev, "GET", path)
            seen += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, ids)
        self.assertProblem(self.call(rev, "GET", "/api/v1/review/applications?cursor=x"), 400)
        self.assertProblem(self.call(rev, "GET", "/api/v1/review/applications?status=draft"), 400)


class ConcurrentClaims(SealCase):

    def test_parallel_claims_exactly_one_wins(self):
        names = [self.reviewer("r%d" % i) for i in range(6)]
        for round_ in range(3):
            app = self.submitted(name="并发%d" % round_)
            res = harness.parallel(len(names), lambda i: self.call(
                names[i], "POST", "/api/v1/review/applications/%s/claim" % app["id"]))
            wins = [i for i, r in enumerate(res) if r[0] == 200]
            self.assertEqual(len(wins), 1, [(r[0], r[3]) for r in res])
            for i, r in enumerate(res):
                if i != wins[0]:
                    self.assertEqual((r[0], r[3]["code"]), (409, "claim_held"))
            holder = names[wins[0]]
            self.assertEqual(self.db.query("SELECT seal_user_name(claimed_by) FROM seals WHERE "
                                           "id = %s" % app["id"]), holder)
            # Only the holder acts; the others are refused and nothing changes.
            other = names[(wins[0] + 1) % len(names)]
            self.assertProblem(self.call(other, "POST", "/api/v1/review/applications/%s/reject"
                                         % app["id"], {"reason": "no"}), 409, "claim_required")
            self.assertProblem(self.approve(other, app["id"]), 409, "claim_required")
            self.assertEqual(self.status(app["id"]), "under_review")
            # An expired claim is free for the next reviewer.
            self.db.query("UPDATE seals SET claim_expires_at = now() - interval '1 second' "
                          "WHERE id = %s" % app["id"])
            self.ok(other, "POST", "/api/v1/review/applications/%s/claim" % app["id"])
            self.assertProblem(self.call(holder, "POST", "/api/v1/review/applications/%s/reject"
                                         % app["id"], {"reason": "no"}), 409, "claim_required")


class AccessRules(SealCase):

    def test_organizations_see_only_their_own(self):
        app = self.apply("supplier")
        for path in ("", "/form"):
            self.assertProblem(self.call("logistics", "GET", "/api/v1/seal-applications/%s%s"
                                         % (app["id"], path)), 404, "not_found")
        self.assertProblem(self.call("logistics", "PATCH", "/api/v1/seal-applications/%s"
                                     % app["id"], {"name": "mine"}), 404)
        st, _, _, doc = self.scan(app["id"], png(150, 150), "logistics")
        self.assertEqual((st, doc["code"]), (404, "not_found"))
        self.assertEqual(self.ok("logistics", "GET", "/api/v1/seal-applications")["total"], 0)
        self.assertEqual(self.status(app["id"]), "draft")

    def test_members_cannot_review_and_reviewers_cannot_apply_or_sign(self):
        rev = self.reviewer("alice")
        app = self.submitted()
        for method, path, body in (
                ("GET", "/api/v1/review/applications", None),
                ("GET", "/api/v1/review/applications/%s" % app["id"], None),
                ("POST", "/api/v1/review/applications/%s/claim" % app["id"], None),
                ("POST", "/api/v1/review/applications/%s/reject" % app["id"], {"reason": "x"})):
            self.assertProblem(self.call("supplier", method, path, body), 403, "forbidden")
        self.assertProblem(self.call(rev, "POST", "/api/v1/seal-applications",
                                     {"name": "x", "type": "official"}), 403, "forbidden")
        self.assertProblem(self.call(rev, "GET", "/api/v1/seals"), 403, "forbidden")
        n = self.contract()
        self.assertProblem(self.prepare_as(rev, n), 403, "forbidden")
        self.assertEqual(self.status(app["id"]), "under_review")
        # A draft is not the platform's to see.
        d = self.apply()
        self.assertProblem(self.call(rev, "GET", "/api/v1/review/applications/%s" % d["id"]),
                           404)

    def prepare_as(self, who, n):
        crt, _ = PKI.org_cert("supplier", "rsa")
        return self.call(who, "POST", "/api/v1/contracts/%s/signing-sessions" % n, {
            "certificate": base64.b64encode(der_of(crt)).decode(),
            "placements": [{"mode": "normal", "seal": "1", "page": 1, "x": 400, "y": 120}]})

    def test_seals_in_signing_own_approved_valid(self):
        rev = self.reviewer("alice")
        logistics_seal = self.issued(rev, self.submitted("logistics", name="物流章")["id"])
        n = self.contract("supplier")
        # Another organization's seal is an unknown one (its existence is not
        # told), as is a number no seal has, and none (no demo seal here).
        self.assertProblem(self.prepare("supplier", n, logistics_seal), 422, "seal_not_found")
        self.assertProblem(self.prepare("supplier", n, "999999"), 422, "seal_not_found")
        self.assertProblem(self.prepare("supplier", n, "default"), 422, "seal_not_found")
        # Not approved yet.
        pending = self.submitted("supplier")
        self.assertProblem(self.prepare("supplier", n, pending["id"]), 409, "seal_not_approved")
        seal = self.issued(rev, pending["id"])
        # Expired, and not yet valid (set in the database: the API refuses to issue them).
        self.db.query("UPDATE seals SET valid_until = now() - interval '1 hour', valid_from = "
                      "now() - interval '2 days' WHERE id = %s" % seal)
        self.assertProblem(self.prepare("supplier", n, seal), 409, "seal_expired")
        self.db.query("UPDATE seals SET valid_from = now() + interval '1 day', valid_until = "
                      "now() + interval '2 days' WHERE id = %s" % seal)
        self.assertProblem(self.prepare("supplier", n, seal), 409, "seal_not_yet_valid")
        self.db.query("UPDATE seals SET valid_from = now() - interval '1 day' WHERE id = %s"
                      % seal)
        # Two seals in one signature: refused.
        crt, _ = PKI.org_cert("supplier", "rsa")
        self.assertProblem(self.call("supplier", "POST",
                                     "/api/v1/contracts/%s/signing-sessions" % n, {
                                         "certificate": base64.b64encode(der_of(crt)).decode(),
                                         "placements": [
                                             {"mode": "normal", "seal": seal, "page": 1,
                                              "x": 400, "y": 120},
                                             {"mode": "normal", "seal": logistics_seal,
                                              "page": 1, "x": 200, "y": 120}]}),
                           422, "placement_seal")
        self.assertEqual(int(self.db.query("SELECT count(*) FROM signing_sessions")), 0)
        # Revoked between prepare and completion: the completion is refused.
        st, _, _, prep = self.prepare("supplier", n, seal)
        self.assertEqual(st, 201, prep)
        self.db.query("UPDATE seals SET status = 'revoked', revoked_at = now() WHERE id = %s"
                      % seal)
        _, key = PKI.org_cert("supplier", "rsa")
        sig = openssl_sign(key, base64.b64decode(prep["to_be_signed"]))
        self.assertProblem(self.call("supplier", "POST", "/api/v1/signing-sessions/%s/complete"
                                     % prep["session"],
                                     {"signature": base64.b64encode(sig).decode()}),
                           409, "seal_revoked")
        self.assertEqual(int(self.db.query("SELECT count(*) FROM revisions WHERE "
                                           "contract_number = %s" % n)), 1)

    def test_a_seal_signs_only_with_the_certificate_it_was_issued_for(self):
        """The supplier applied with its RSA token's session, so the seal was
        issued for that certificate (and its SESeal lists it). A colleague's
        token of the same organization (its EC certificate) may not sign under
        it: 403, nothing stored, not even the new certificate; the RSA token
        still can, through both prepare paths (the load's and the held one)."""
        rev = self.reviewer("alice")
        seal = self.issued(rev, self.submitted("supplier")["id"])
        n = self.contract("supplier")
        certs = int(self.db.query("SELECT count(*) FROM certificates"))
        crt, _ = PKI.org_cert("supplier", "ec")
        body = {"certificate": base64.b64encode(der_of(crt)).decode(),
                "chain": [base64.b64encode(der_of(PKI.path("ca.pem"))).decode()],
                "placements": [{"mode": "normal", "seal": seal, "page": 1, "x": 400, "y": 120}]}
        for _ in range(2):  # the second one may go the held path
            st, _, _, doc = self.call("supplier", "POST",
                                      "/api/v1/contracts/%s/signing-sessions" % n, body)
            self.assertEqual(st, 403, doc)
            self.assertEqual(doc["code"], "seal_other_certificate")
            self.assertIn("seal %s is bound to another certificate" % seal, doc["detail"])
        self.assertEqual(int(self.db.query("SELECT count(*) FROM signing_sessions")), 0)
        self.assertEqual(int(self.db.query("SELECT count(*) FROM certificates")), certs)
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM audit_events WHERE action = 'signing.prepared'"), "0")
        # Without a seal the EC certificate may sign (an invisible signature).
        body["placements"] = []
        st, _, _, doc = self.call("supplier", "POST",
                                  "/api/v1/contracts/%s/signing-sessions" % n, body)
        self.assertEqual(st, 201, doc)
        # The token the seal was issued for signs with it.
        prep, done = self.sign("supplier", n, seal)
        self.assertEqual(done["seq"], 1, done)


class BadInput(SealCase):

    def test_bad_input_changes_nothing(self):
        rev = self.reviewer("alice")
        # Names: over 40 characters, blank, not a string; unknown type or member.
        for body in ({"name": "章" * 41, "type": "official"}, {"name": "   ", "type": "official"},
                     {"name": 7, "type": "official"}):
            self.assertProblem(self.call("supplier", "POST", "/api/v1/seal-applications", body),
                               400, "seal_name_invalid")
        self.assertProblem(self.call("supplier", "POST", "/api/v1/seal-applications",
                                     {"name": "x", "type": "personal"}), 400, "invalid")
        self.assertEqual(int(self.db.query("SELECT count(*) FROM seals")), 0)
        app = self.apply(name="章" * 40)
        # Scans: not PDF/PNG/JPEG whatever the header says, empty, over 10 MiB.
        st, _, _, doc = self.scan(app["id"], b"MZ\x90\x00 an executable", ctype="image/png")
        self.assertEqual((st, doc["code"]), (415, "scan_type"))
        st, _, _, doc = self.scan(app["id"], b"<html>%PDF-1.7</html>", ctype="application/pdf")
        self.assertEqual((st, doc["code"]), (415, "scan_type"))
        st, _, _, doc = self.scan(app["id"], b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024),
                                  ctype="image/jpeg")
        self.assertEqual((st, doc["code"]), (413, "scan_too_large"))
        # A picture the reviewer's browser would decode to gigabytes (sec36): 40,000 x
        # 40,000 pixels in a few bytes of PNG or JPEG header (6.4 GB as RGBA).
        ihdr = b"IHDR" + struct.pack(">IIBBBBB", 40000, 40000, 8, 6, 0, 0, 0)
        bomb_png = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr
                    + struct.pack(">I", zlib.crc32(ihdr)) + b"\x00" * 64)
        bomb_jpeg = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
                     b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", 40000, 40000)
                     + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01" + b"\x00" * 64)
        # sec46: bytes before a marker, which libjpeg (and so a browser) skips with a
        # warning, hid the frame header from the count.
        sof = bomb_jpeg.index(b"\xff\xc0")
        stray = bomb_jpeg[:sof] + b"\x00" + bomb_jpeg[sof:]
        stuffed = bomb_jpeg[:sof] + b"\xff\x00" + bomb_jpeg[sof:]
        for bomb in (bomb_png, bomb_jpeg, stray, stuffed):
            st, _, _, doc = self.scan(app["id"], bomb)
            self.assertEqual((st, doc["code"]), (413, "scan_too_large"), doc)
            self.assertIn("40000x40000", doc["detail"])
        self.assertIsNone(self.ok("supplier", "GET", "/api/v1/seal-applications/%s"
                                  % app["id"])["scan"])
        # sec47: a picture the reviewer's browser cannot show (chromium: a broken image) is
        # no scan: a JPEG without a frame header before its scan data or its end, or with a
        # height of 0 (DNL), and a PNG whose first chunk is not IHDR, or 0 pixels wide.
        sof = JPEG_8X8.index(b"\xff\xc0")
        no_sof = JPEG_8X8[:sof] + JPEG_8X8[sof + 2 + JPEG_8X8[sof + 3]:]
        height0 = JPEG_8X8[:sof + 5] + b"\x00\x00" + JPEG_8X8[sof + 7:]
        no_sos = JPEG_8X8[:JPEG_8X8.index(b"\xff\xda")] + b"\xff\xd9"
        ihdr0 = b"IHDR" + struct.pack(">IIBBBBB", 0, 100, 8, 6, 0, 0, 0)
        png0 = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr0
                + struct.pack(">I", zlib.crc32(ihdr0)) + png(200, 200)[33:])
        for bad in (b"\xff\xd8\xff\xe0" + b"jpeg" * 10, no_sof, height0, no_sos,
                    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, png0):
            st, _, _, doc = self.scan(app["id"], bad)
            self.assertEqual((st, doc.get("code")), (415, "scan_type"), bad[:40])
            self.assertIn("no frame a browser can show", doc["detail"])
        self.assertIsNone(self.ok("supplier", "GET", "/api/v1/seal-applications/%s"
                                  % app["id"])["scan"])
        st, _, _, doc = self.scan(app["id"], JPEG_8X8)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["scan"]["content_type"], "image/jpeg")
        self.ok("supplier", "POST", "/api/v1/seal-applications/%s/submit" % app["id"])
        self.ok(rev, "POST", "/api/v1/review/applications/%s/claim" % app["id"])
        aid = app["id"]
        # Pictures: huge, opaque, not a PNG, too large in bytes; validity: expired, reversed.
        for image, code in ((png(1100, 1030), "seal_image_dimensions"),
                            (png(100, 100), "seal_image_dimensions"),
                            (png(200, 200, transparent=False), "seal_image_opaque"),
                            (b"GIF89a" + b"\x00" * 100, "seal_not_png"),
                            (png(200, 200, filler=b"x" * (1024 * 1024 + 1)), "seal_too_large")):
            self.assertProblem(self.approve(rev, aid, image=base64.b64encode(image).decode()),
                               400, code)
        self.assertProblem(self.approve(rev, aid, image="not base64!"), 400, "invalid")
        self.assertProblem(self.approve(rev, aid, days_from=-30, days_until=-1), 400,
                           "validity_expired")
        self.assertProblem(self.approve(rev, aid, days_from=10, days_until=5), 400,
                           "validity_invalid")
        self.assertProblem(self.approve(rev, aid, days_from=0, days_until=3700), 400,
                           "validity_invalid")
        self.assertProblem(self.approve(rev, aid, code="有"), 400, "invalid")
        self.assertProblem(self.call(rev, "POST", "/api/v1/review/applications/%s/reject" % aid,
                                     {"reason": ""}), 400)
        self.assertEqual(self.status(aid), "under_review")
        self.assertIsNone(self.db.query("SELECT seseal FROM seals WHERE id = %s" % aid) or None)
        # A name at the limit issues a seal.
        st, _, _, doc = self.approve(rev, aid)
        self.assertEqual(st, 200, doc)


class FontNotAFont(ServerTestCase):
    """A CJK font file that opens but is no font: 503 font_unavailable, and the
    answer does not name the operator's file (the log does)."""

    def setUp(self):
        self.font = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts",
                                 "short.pdf")
        self.server_extra = {"trust": PKI.trust_config(), "seals": {"cjk_font": self.font}}
        super().setUp()

    def test_form_says_503_without_the_path(self):
        crt, key = PKI.org_cert("supplier", "rsa")
        st, _, _, doc = api_login(self.server, crt, key)
        h = {"Authorization": "Bearer " + doc["token"]}
        st, _, _, app = self.server.request("POST", "/api/v1/seal-applications",
                                            body={"name": "章", "type": "official"}, headers=h)
        self.assertEqual(st, 201, app)
        doc = self.assertProblem(self.server.request(
            "GET", "/api/v1/seal-applications/%s/form" % app["id"], headers=h), 503,
            "font_unavailable")
        self.assertNotIn("short.pdf", json.dumps(doc))
        self.assertNotIn("/fixtures/", json.dumps(doc))


class NoSealMaker(ServerTestCase):
    """Without seals.maker_*, approvals say why (503) and change nothing; without a
    readable CJK font, the form says so (503)."""

    def setUp(self):
        self.server_extra = {"trust": PKI.trust_config(),
                             "seals": {"cjk_font": "/nonexistent/NotoSansCJK.ttc"}}
        super().setUp()

    def test_approve_without_maker(self):
        crt, key = PKI.org_cert("supplier", "rsa")
        st, _, _, doc = api_login(self.server, crt, key)
        tok = doc["token"]
        h = {"Authorization": "Bearer " + tok}
        st, _, _, app = self.server.request("POST", "/api/v1/seal-applications",
                                            body={"name": "章", "type": "official"}, headers=h)
        self.assertEqual(st, 201, app)
        self.assertProblem(self.server.request("GET", "/api/v1/seal-applications/%s/form"
                                               % app["id"], headers=h), 503, "font_unavailable")
        st, _, _, _ = self.server.request("PUT", "/api/v1/seal-applications/%s/scan" % app["id"],
                                          body=open(SHORT, "rb").read(),
                                          headers=dict(h, **{"Content-Type": "application/pdf"}))
        self.assertEqual(st, 200)
        self.server.request("POST", "/api/v1/seal-applications/%s/submit" % app["id"],
                            body=b"", headers=dict(h, **{"Content-Type": "application/json"}))
        self.assertEqual(create_reviewer(self.server, "bob", "correct horse battery").returncode, 0)
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login", body={
            "username": "bob", "password": "correct horse battery"})
        rh = {"Authorization": "Bearer " + doc["token"]}
        self.server.request("POST", "/api/v1/review/applications/%s/claim" % app["id"],
                            headers=dict(rh, **{"Content-Type": "application/json"}), body=b"")
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc)
        body = {"valid_from": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "valid_until": (now + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "image": "generated"}
        self.assertProblem(self.server.request("POST", "/api/v1/review/applications/%s/approve"
                                               % app["id"], body=body, headers=rh),
                           503, "seal_maker_not_configured")
        self.assertEqual(self.db.query("SELECT status FROM seals"), "under_review")


if __name__ == "__main__":
    unittest.main()
