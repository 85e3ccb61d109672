"""Issue 15, end to end: the evidence report (出证报告). A three-party contract completes;
its report, fetched through the API and through `sealpact evidence`, is a PDF signed by
the platform's evidence key at PAdES B-LTA that `sealpact verify`, pdfsig and qpdf accept,
whose attachment is byte for byte the contract's document, and whose text names the
contract number, every party's credit code and every audit hash. Each request is an
audit event; an organization that is not a party gets 404, an unfinished contract 409,
and a server without an evidence key says so (503) and records nothing."""

import base64
import datetime
import hashlib
import json
import os
import re
import subprocess
import tempfile
import unittest

import shutil

import harness
import hostile_pdfs
import test_signing
from test_ltv import LtvCase, verify
from test_seals import png
from test_signing import pdfsig, signatures


def setUpModule():
    test_signing.setUpModule()


def tearDownModule():
    test_signing.tearDownModule()


def PKI():
    return test_signing.PKI


def pdftotext(path):
    p = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True)
    return p.stdout


class EvidenceCase(LtvCase):

    def more_settings(self, extra):
        super().more_settings(extra)
        extra["evidence"] = {"cert": PKI().path("evidence.crt"), "key": PKI().path("evidence.key"),
                             "chain": PKI().path("chain.pem")}
        extra["seals"] = {"maker_cert": PKI().path("sealmaker.crt"),
                          "maker_key": PKI().path("sealmaker.key")}

    def keep(self, path, name):
        """EVIDENCE_KEEP_DIR: where to leave a copy of a report (for looking at it)."""
        d = os.environ.get("EVIDENCE_KEEP_DIR")
        if d:
            os.makedirs(d, exist_ok=True)
            shutil.copy(path, os.path.join(d, name))

    def issue_seal(self, slug):
        """An electronic seal from the seal desk: apply, scan, submit, a reviewer approves."""
        if not hasattr(self, "reviewer_token"):
            p = harness.create_reviewer(self.server, "rev1", "correct horse battery rev1")
            self.assertEqual(p.returncode, 0, p.stderr)
            st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login", body={
                "username": "rev1", "password": "correct horse battery rev1"})
            self.assertEqual(st, 200, doc)
            self.reviewer_token = doc["token"]
        name = self.orgs[slug]["name"][:8] + "合同专用章"
        st, _, _, app = self.call(slug, "POST", "/api/v1/seal-applications",
                                  {"name": name, "type": "contract"})
        self.assertEqual(st, 201, app)
        h = {"Authorization": "Bearer " + self.tokens[slug], "Content-Type": "image/png"}
        st, _, _, doc = self.server.request("PUT", "/api/v1/seal-applications/%s/scan" % app["id"],
                                            body=png(200, 100, transparent=False), headers=h)
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.call(slug, "POST", "/api/v1/seal-applications/%s/submit" % app["id"])
        self.assertEqual(st, 200, doc)
        h = {"Authorization": "Bearer " + self.reviewer_token}
        path = "/api/v1/review/applications/%s" % app["id"]
        st, _, _, doc = self.server.request("POST", path + "/claim", body=b"",
                                            headers=dict(h, **{"Content-Type": "application/json"}))
        self.assertEqual(st, 200, doc)
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        at = lambda d: (now + datetime.timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ")
        st, _, _, doc = self.server.request("POST", path + "/approve", headers=h, body={
            "valid_from": at(-1), "valid_until": at(365), "image": "generated"}, timeout=60)
        self.assertEqual(st, 200, doc)
        return doc["seal_id"]

    def three_party_sealed(self):
        """three_party(), each signer placing its own issued seal."""
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)
        signers = [("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa")]
        seals = {slug: self.issue_seal(slug) for slug, _ in signers}
        n = self.create([(s, i + 1) for i, (s, _) in enumerate(signers)])
        for i, (slug, alg) in enumerate(signers):
            self.act(slug, n, "receive")
            prep = self.prepared(slug, n, alg, placements=[
                {"mode": "normal", "seal": seals[slug], "page": 1, "x": 150 + 150 * i,
                 "y": 120}])
            st, _, _, doc = self.complete(slug, prep["session"], self.token_sign(slug, alg, prep))
            self.assertEqual(st, 200, doc)
            self.act(slug, n, "send")
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s" % n)
        self.assertEqual(doc["status"], "completed", doc)
        return n

    def evidence(self, slug, n):
        return self.call(slug, "GET", "/api/v1/contracts/%s/evidence" % n)

    def requests_recorded(self, n):
        return int(self.db.query(
            "SELECT count(*) FROM audit_events WHERE contract_number = %s AND "
            "action = 'contract.evidence_requested'" % n))


class Report(EvidenceCase):

    def test_completed_contract_report_verifies_and_carries_the_contract(self):
        n = self.three_party_sealed()
        st, hdrs, data, _ = self.evidence("buyer", n)
        self.assertEqual(st, 200, data[:300])
        self.assertEqual(hdrs.get("content-type"), "application/pdf")
        self.assertIn("evidence-%s.pdf" % n, hdrs.get("content-disposition", ""))
        self.assertTrue(data.startswith(b"%PDF-"))
        report = os.path.join(self.tmp, "report.pdf")
        with open(report, "wb") as f:
            f.write(data)
        self.keep(report, "completed-report.pdf")
        self.assertEqual(self.requests_recorded(n), 1)

        # sealpact verify: the report's own signature, valid at B-LTA
        p = verify(report)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rep = json.loads(p.stdout)
        self.assertIn(rep["verdict"], ("valid", "valid_with_allowed_changes"), rep)
        sigs = [s for s in rep["signatures"] if not s["doc_timestamp"]]
        self.assertEqual(len(sigs), 1, rep)
        self.assertEqual(sigs[0]["level"], "pades_b_lta", rep)
        self.assertIn("sealpact Dev Evidence", sigs[0]["signer"]["subject"], rep)
        self.assertTrue(sigs[0]["checks"]["chain"], rep)
        self.assertEqual(len([s for s in rep["signatures"] if s["doc_timestamp"]]), 1, rep)
        # pdfsig and qpdf, the independent judges
        ps = signatures(pdfsig(report))
        self.assertEqual(len(ps), 1, ps)
        self.assertIn("Signature is Valid.", ps[0])
        q = subprocess.run(["qpdf", "--check", report], capture_output=True, text=True)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)

        # the attachment is the contract's document, byte for byte
        contract = self.download("buyer", n)
        out = os.path.join(self.tmp, "attached.pdf")
        p = subprocess.run(["pdfdetach", "-save", "1", "-o", out, report],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, "rb") as a, open(contract, "rb") as b:
            self.assertEqual(a.read(), b.read())

        # the text: the number, every party's credit code, every audit hash
        text = pdftotext(report)
        self.assertIn(n, text)
        for slug in ("buyer", "supplier", "logistics"):
            self.assertIn(self.orgs[slug]["credit_code"], text)
        # each signature shows its seal: three seal pictures (and the attached file's none)
        p = subprocess.run(["pdfimages", "-list", report], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreaterEqual(len([l for l in p.stdout.splitlines()[2:] if " image " in l]),
                                3, p.stdout)
        self.assertIn("合同专用章", text.replace(" ", ""))
        self.assertEqual(text.count("PAdES B-LTA"), 4, text)  # 3 signatures + the archive
        self.assertIn("电子合同出证报告", text)
        trail = harness.audit_trail(self, lambda p: self.call("buyer", "GET", p), n)
        flat = text.replace("\n", " ")
        for ev in trail:
            self.assertIn(ev["hash"], flat, ev)
        # the report shows its own request, the last event of the trail
        self.assertEqual(trail[-1]["action"], "contract.evidence_requested")
        self.assertIn("contract.evidence_requested", flat)

        # a party fetches it with the terminal too; each request is an audit event
        self.login("supplier", "rsa")
        out2 = os.path.join(self.tmp, "cli-report.pdf")
        p = self.cli("supplier", "evidence", n, "-o", out2)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(out2, p.stdout)
        p = verify(out2)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.requests_recorded(n), 2)
        # a chain of events that still verifies
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual(st, 200, doc)
        self.assertTrue(doc["valid"], doc)


class Refusals(EvidenceCase):

    def test_outsider_404_unfinished_409_and_cli_errors(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)
        n = self.create([("supplier", 1)])
        # in progress: 409 contract_not_final, nothing recorded
        st, _, _, doc = self.evidence("buyer", n)
        self.assertEqual(st, 409, doc)
        self.assertEqual(doc["code"], "contract_not_final", doc)
        self.assertEqual(self.requests_recorded(n), 0)
        self.sign_all(n, [("supplier", "rsa")])
        # an organization that is not a party: 404, as for a contract that does not exist
        st, _, _, doc = self.evidence("logistics", n)
        self.assertEqual(st, 404, doc)
        self.assertEqual(doc["code"], "not_found", doc)
        st, _, _, doc = self.evidence("buyer", "1999999999999999999")
        self.assertEqual(st, 404, doc)
        self.assertEqual(self.requests_recorded(n), 0)
        # unauthenticated
        st, _, _, doc = self.server.request("GET", "/api/v1/contracts/%s/evidence" % n)
        self.assertEqual(st, 401, doc)
        # the terminal: a clear message and a non-zero exit, no file
        self.login("logistics", "ec")
        out = os.path.join(self.tmp, "nope.pdf")
        p = self.cli("logistics", "evidence", n, "-o", out)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not_found", p.stderr)
        self.assertFalse(os.path.exists(out))
        p = self.cli("logistics", "evidence", n)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("-o", p.stderr)
        # a rejected contract has a report too
        n2 = self.create([("supplier", 1)])
        self.act("supplier", n2, "receive")
        st, _, _, doc = self.call("supplier", "POST", "/api/v1/contracts/%s/reject" % n2,
                                  {"reason": "价格不符"})
        self.assertEqual(st, 200, doc)
        st, hdrs, data, _ = self.evidence("supplier", n2)
        self.assertEqual(st, 200, data[:300])
        report = os.path.join(self.tmp, "rejected.pdf")
        with open(report, "wb") as f:
            f.write(data)
        p = verify(report)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("价格不符", re.sub(r"\s+", "", pdftotext(report)))


class RequestsBounded(EvidenceCase):

    def test_a_party_cannot_grow_the_shared_audit_trail_at_will(self):
        """sec39: each report request is an event of the contract's audit
        trail, which every party's contract view answers whole and every
        later report prints and re-checks; a party (a cc party here) asked
        as often as it liked. An organization has evidence.max_reports_per_day
        (10) reports of a contract in any 24 hours, its members and API keys
        together; one more is 429 rate_limited and records nothing. Another
        party's reports are its own."""
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts", {
            "name": "Evidence bounded", "pdf_base64": base64.b64encode(self.pdf).decode(),
            "parties": [{"credit_code": self.orgs["supplier"]["credit_code"], "role": "signer"},
                        {"credit_code": self.orgs["logistics"]["credit_code"], "role": "cc"}]})
        self.assertEqual(st, 201, c)
        n = c["number"]
        self.act("buyer", n, "send")
        self.sign_all(n, [("supplier", "rsa")])
        trail = self.call("supplier", "GET", "/api/v1/contracts/%s" % n)[3]["audit_count"]
        for i in range(10):
            st, _, data, _ = self.evidence("logistics", n)
            self.assertEqual(st, 200, (i, data[:300]))
        st, hdrs, data, doc = self.evidence("logistics", n)
        self.assertEqual((st, hdrs.get("content-type")), (429, "application/problem+json"),
                         data[:40])
        self.assertEqual(doc["code"], "rate_limited", doc)
        self.assertIn("10 times in the last 24 hours", doc["detail"])
        st, _, _, key = self.call("logistics", "POST", "/api/v1/api-keys", {"name": "erp"})
        self.assertEqual(st, 201, key)
        st, _, _, doc = self.server.request("GET", "/api/v1/contracts/%s/evidence" % n,
                                            headers={"Authorization": "Bearer " + key["key"]})
        self.assertEqual((st, doc["code"]), (429, "rate_limited"), doc)
        self.assertEqual(self.requests_recorded(n), 10)
        st, _, _, doc = self.call("supplier", "GET", "/api/v1/contracts/%s" % n)
        self.assertEqual(doc["audit_count"], trail + 10, doc)
        events = harness.audit_trail(self, lambda p: self.call("supplier", "GET", p), n)
        self.assertEqual(len(events), trail + 10)
        self.assertEqual(sum(e["action"] == "contract.evidence_requested"
                             for e in events[trail:]), 10, events[trail:])
        # the signer's organization still has its own
        st, _, data, _ = self.evidence("supplier", n)
        self.assertEqual(st, 200, data[:300])
        self.assertEqual(self.requests_recorded(n), 11)
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertTrue(doc["valid"], doc)


def cms_sign(data):
    """A detached CAdES signature of data by the logistics organization (trusted):
    another writer's signature on an upload."""
    crt, key = PKI().org_cert("logistics", "rsa")
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return harness.run(["openssl", "cms", "-sign", "-binary", "-cades", "-md", "sha256",
                            "-nosmimecap", "-outform", "DER", "-signer", crt, "-inkey", key,
                            "-certfile", PKI().path("ca.pem"), "-in", f.name],
                           text=False).stdout


class ReadingBudget(EvidenceCase):
    """sec37: the verifier reads at most 16M cross-reference entries per
    verification (sec36), and every revision a signing appends reads every
    stored section again. An upload kept just within the budget (51
    revisions over a 300,000-entry table) took its first signature (B-LTA:
    the signature, a DSS) and its second, stored by reusing the first
    completion's reads; then its fresh verification was 422 and its evidence
    report 500. Now the signing that would leave the contract unverifiable is
    refused at prepare (422 pdf_limit) and the contract stays verifiable; a
    contract beyond the budget anyway (stored before) gets the 422 of its
    fresh verification from the evidence report too, never a 500."""

    def more_settings(self, extra):
        super().more_settings(extra)
        # a full verification of this file is some 6 s of the worker's CPU: 20 s and
        # more on a loaded machine (the default deadline is 30 s), and with the
        # sanitizer build on a loaded CI machine its first completion passed 120 s
        # (5.4 s of the server's CPU: the rest waiting for a core, for PostgreSQL
        # storing the revision, for the OCSP responder). The deadlines only end a
        # hang (the configuration's most: the client waits as long, call()); what
        # a signing may cost is not this test's to say.
        extra["server"] = {"request_timeout_ms": 600000, "read_timeout_ms": 600000}

    def test_a_signing_that_would_leave_the_contract_unverifiable_is_refused(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa")):
            self.login_api(slug, alg)
        pdf = hostile_pdfs.signed_big_then_info_updates(cms_sign, 300000, 50)
        n = self.create([("supplier", 1), ("buyer", 2)], pdf=pdf)
        self.assertEqual(self.revisions(n), 1)
        self.sign_all(n, [("supplier", "rsa")])
        fresh = "/api/v1/contracts/%s/verification?fresh=true" % n
        st, _, _, doc = self.call("buyer", "GET", fresh)
        self.assertEqual((st, doc.get("verdict")), (200, "valid_with_allowed_changes"), doc)
        # the last signer's signature, DSS and document timestamp would take it past
        self.act("buyer", n, "receive")
        st, _, _, doc = self.prepare("buyer", n)
        self.assertEqual((st, doc.get("code")), (422, "pdf_limit"), doc)
        self.assertIn("would no longer be verifiable", doc["detail"])
        self.assertEqual(self.db.query("SELECT count(*) FROM signing_sessions WHERE "
                                       "contract_number = %s" % n), "1")
        # a contract beyond the budget all the same (stored before this check): its
        # evidence report is the 422 its fresh verification is
        self.act("buyer", n, "cancel")
        doc_now = self.db.query("SELECT encode(revision_document(%s, 1), 'hex')" % n)
        full = bytes.fromhex(doc_now)
        more = hostile_pdfs.info_updates_on(full, 6)
        self.db.query("ALTER TABLE revisions DISABLE TRIGGER revisions_immutable; "
                      "UPDATE revisions SET delta = delta || '\\x%s'::bytea, length = %d, "
                      "sha256 = '%s' WHERE contract_number = %s AND seq = 1; "
                      "ALTER TABLE revisions ENABLE TRIGGER revisions_immutable"
                      % (more.hex(), len(full) + len(more),
                         hashlib.sha256(full + more).hexdigest(), n))
        self.restart()  # what this process holds of the contract is the stored bytes before
        st, _, _, doc = self.call("buyer", "GET", fresh)
        self.assertEqual((st, doc.get("code")), (422, "pdf_limit"), doc)
        st, _, _, doc = self.evidence("buyer", n)
        self.assertEqual((st, doc.get("code")), (422, "pdf_limit"), doc)
        self.assertIn("cross-reference entries", doc["detail"])


class WorkBudget(EvidenceCase):
    """sec48's work budget (server.max_verify_work) is the operator's: POST
    /api/v1/verify, the contract's verification and its completions take it
    from the configuration, and a contract beyond it gets the 422 of its fresh
    verification from the evidence report too (sec37). The report's own
    verification (server/api/evidence.c) leaves opts.max_work 0, the built-in
    1,000,000 (review49): a server configured to the least budget answered the
    fresh verification of a 1,000-page contract signed twice 422 over "its
    budget of 61697 units of work" (10,000 and a unit every 4 bytes), and its
    evidence report 200. The contract's pages are in object streams (10 KB
    for 1,000 pages), so every revision is opened with a walk of its pages,
    16 units a page, far past the least budget's allowance for the bytes."""

    def test_the_evidence_report_keeps_the_configured_work_budget(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa")):
            self.login_api(slug, alg)
        with tempfile.TemporaryDirectory(prefix="sp-evidence-budget.") as tmp:
            plain, packed = os.path.join(tmp, "plain.pdf"), os.path.join(tmp, "packed.pdf")
            with open(plain, "wb") as f:
                f.write(hostile_pdfs.pages_then_updates(pages=1000, k=0))
            subprocess.run(["qpdf", "--object-streams=generate", plain, packed], check=True)
            with open(packed, "rb") as f:
                pdf = f.read()
        n = self.create([("supplier", 1), ("buyer", 2)], pdf=pdf)
        self.sign_all(n, [("supplier", "rsa"), ("buyer", "rsa")])
        fresh = "/api/v1/contracts/%s/verification?fresh=true" % n
        st, _, _, doc = self.call("buyer", "GET", fresh)
        self.assertEqual(st, 200, doc)
        # the least budget the configuration takes
        self.server_extra.setdefault("server", {})["max_verify_work"] = 10000
        self.restart()
        st, _, _, doc = self.call("buyer", "GET", fresh)
        self.assertEqual((st, doc.get("code")), (422, "pdf_limit"), doc)
        self.assertIn("budget of", doc["detail"])
        st, _, data, doc = self.evidence("buyer", n)
        self.assertEqual((st, (doc or {}).get("code")), (422, "pdf_limit"),
                         "the evidence report verified the contract beyond the configured "
                         "budget: %d %s" % (st, data[:80]))


class NotConfigured(LtvCase):

    def test_without_an_evidence_key_503_and_nothing_recorded(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa")):
            self.login_api(slug, alg)
        n = self.create([("supplier", 1)])
        self.sign_all(n, [("supplier", "rsa")])
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s/evidence" % n)
        self.assertEqual(st, 503, doc)
        self.assertEqual(doc["code"], "evidence_not_configured", doc)
        self.assertEqual(int(self.db.query(
            "SELECT count(*) FROM audit_events WHERE contract_number = %s AND "
            "action = 'contract.evidence_requested'" % n)), 0)


if __name__ == "__main__":
    unittest.main()
