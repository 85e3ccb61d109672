"""Issue 15, end to end: long-term validation. Contracts completed on the server are
PAdES B-LTA by default (a /DSS after each signature, a document timestamp after the
last); with the server and the OCSP responder gone and the verification clock past
every certificate's expiry, `sealpact verify` still finds every signature valid at its
timestamp's time from the embedded evidence; the renewal job adds a second document
timestamp exactly once and the file still verifies with sealpact, pdfsig and qpdf."""

import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import harness
import test_signing
from test_signing import SigningCase, doc_timestamps, java_check, pdfsig, signatures

FAR = "2100-01-01T00:00:00Z"  # after every certificate of the development PKI


def setUpModule():
    # a PKI of this module's own: its tests stop and replace the OCSP responder
    # (no tokens: its signers sign with their keys' files, token_sign)
    test_signing.setUpModule(private_pki=True, tokens=False)


def tearDownModule():
    test_signing.tearDownModule()


def PKI():
    return test_signing.PKI


def verify(path, *extra):
    return subprocess.run([harness.SEALPACT, "verify", path, "--trust-roots",
                           PKI().path("root.pem"), "--intermediate", PKI().path("ca.pem"),
                           "--json"] + list(extra), capture_output=True, text=True, timeout=120)


def lta_check(path):
    """tests/support/LtaCheck.java (PDFBox and BouncyCastle): whether each signature,
    and each document timestamp but the newest, has its chains' revocation answers in
    a DSS that a later document timestamp covers; one line each (in the module's JVM)."""
    return java_check("lta", path)


class LtvCase(SigningCase):

    def restart(self, **signing):
        """The server again, with more signing settings (same database)."""
        self.server.stop()
        self.server_extra["signing"].update(signing)
        self.server = harness.Server(self.tmp, self.db.url, tls=True, extra=self.server_extra)
        self.addCleanup(self.server.stop)
        self.server.start()

    def sign_all(self, n, signers):
        for slug, alg in signers:
            self.act(slug, n, "receive")
            prep = self.prepared(slug, n, alg)
            st, _, _, doc = self.complete(slug, prep["session"], self.token_sign(slug, alg, prep))
            self.assertEqual(st, 200, doc)
            self.act(slug, n, "send")

    def three_party(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)
        signers = [("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa")]
        n = self.create([(s, i + 1) for i, (s, _) in enumerate(signers)])
        self.sign_all(n, signers)
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s" % n)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["status"], "completed", doc)
        return n

    def check_file(self, path, n_sigs, n_doc_ts, at=None, judges=True):
        """Our verifier's report of path (at a time, if given), and unless judges is
        False the independent judges'. They take no time to judge at: a file they
        have judged once, a test asks only our verifier about again."""
        extra = ("--at", at) if at else ()
        p = verify(path, *extra)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rep = json.loads(p.stdout)
        self.assertIn(rep["verdict"], ("valid", "valid_with_allowed_changes"), rep)
        self.assertTrue(rep["last_revision_signed"], rep)
        sigs = [s for s in rep["signatures"] if not s["doc_timestamp"]]
        dts = [s for s in rep["signatures"] if s["doc_timestamp"]]
        self.assertEqual((len(sigs), len(dts)), (n_sigs, n_doc_ts), rep)
        for s in sigs:
            self.assertIn(s["verdict"], ("valid", "valid_with_allowed_changes"), s)
            self.assertEqual(s["level"], "pades_b_lta", s)
            self.assertTrue(s["checks"]["chain"], s)
            # revocation came from the file, and the chain was judged when it was stamped
            self.assertTrue(s["revocation_embedded"], s)
            self.assertEqual(s["checked_at"], s["timestamp"]["time"], s)
        for d in dts:
            self.assertIn(d["verdict"], ("valid", "valid_with_allowed_changes"), d)
        if not judges:
            return
        # the independent judges
        rep = pdfsig(path)
        ps = signatures(rep)
        self.assertEqual(len(ps), n_sigs, rep)
        for s in ps:
            self.assertIn("Signature is Valid.", s, rep)
        self.assertEqual(len(doc_timestamps(rep)), n_doc_ts, rep)
        # PDFBox with BouncyCastle checks what pdfsig cannot: the document timestamps
        rc, out = java_check("pdfbox", path)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.count(" signature ETSI.CAdES.detached verify=true"), n_sigs, out)
        self.assertEqual(out.count(" doc-timestamp ETSI.RFC3161 verify=true"), n_doc_ts, out)
        # iText 5 checks the RSA signatures and their timestamps' imprints (it does not
        # know CMS's ecdsa-with-SHA256 identifier: our EC signers and TSA it skips)
        rc, out = java_check("itext", path)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("verify=false", out)
        self.assertEqual(out.count(" signature ") + out.count(" doc-timestamp ") +
                         out.count(" unsupported-algorithm"), n_sigs + n_doc_ts, out)
        self.assertGreaterEqual(out.count("verify=true timestamp=true"), 1, out)
        # and a third judges the long-term part: every signature, and every document
        # timestamp but the newest, has its revocation data under a later timestamp
        rc, out = lta_check(path)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.count(" covered=true"), n_sigs + n_doc_ts - 1, out)
        self.assertEqual(out.count(" covered=newest"), 1, out)
        q = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)


class Completion(LtvCase):

    def test_three_parties_complete_as_b_lta_and_verify_offline_after_expiry(self):
        n = self.three_party()
        f = self.download("buyer", n)
        with open(f, "rb") as fh:
            data = fh.read()
        # three DSS updates and one document timestamp, after the last signature
        self.assertEqual(len(re.findall(rb"/Type /DSS", data)), 3)
        self.assertEqual(len(re.findall(rb"/Type /DocTimeStamp", data)), 1)
        self.assertIn(b"/ETSI.RFC3161", data)
        self.check_file(f, 3, 1)
        # each stored revision knows where its signature's own update ends (the DSS follows)
        rows = self.db.query("SELECT signed_length < length FROM revisions WHERE "
                             "contract_number = %s AND seq > 0 ORDER BY seq" % n)
        self.assertEqual(rows.split(), ["t", "t", "t"])
        # each stored revision's digest is its bytes' (the completion hashes the long-term
        # data's file on from the base's digest, not the whole file again)
        for seq in (1, 2, 3):
            with open(self.download("buyer", n, seq), "rb") as fh:
                got = hashlib.sha256(fh.read()).hexdigest()
            self.assertEqual(got, self.db.query(
                "SELECT sha256 FROM revisions WHERE contract_number = %s AND seq = %d"
                % (n, seq)).strip())
        # the revision that the first signer's completion stored is B-LT: its DSS after it
        p = verify(self.download("buyer", n, 1))
        rep = json.loads(p.stdout)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual([s["level"] for s in rep["signatures"]], ["pades_b_lt"], rep)
        rc, out = lta_check(self.download("buyer", n, 1))  # B-LT is not B-LTA
        self.assertEqual(rc, 1, out)
        self.assertIn("covered=false no document timestamp after it", out)

        # Server and OCSP responder gone; the clock past every certificate's expiry.
        self.server.stop()
        subprocess.run(["bash", harness.OCSP_SH, "stop", PKI().dir], capture_output=True)
        PKI().responder = False
        try:
            self.check_file(f, 3, 1, at=FAR, judges=False)  # they judged f above
        finally:
            subprocess.run(["bash", harness.OCSP_SH, "start", PKI().dir, PKI().pki,
                            str(PKI().ocsp_port)], capture_output=True)
            PKI().responder = True

        # a broken archive timestamp is reported as invalid
        i = data.rindex(b"/ETSI.RFC3161")
        j = data.index(b"/Contents <", i) + len(b"/Contents <")
        k = data.index(b">", j)
        hexstr = data[j:k].rstrip(b"0")
        pos = j + len(hexstr) - 40  # inside the TSA's signature value
        flipped = b"1" if data[pos:pos + 1] != b"1" else b"2"
        bad = data[:pos] + flipped + data[pos + 1:]
        bf = os.path.join(self.tmp, "broken.pdf")
        with open(bf, "wb") as fh:
            fh.write(bad)
        p = verify(bf)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        rep = json.loads(p.stdout)
        dts = [s for s in rep["signatures"] if s["doc_timestamp"]]
        self.assertEqual(dts[0]["verdict"], "invalid", rep)
        self.assertEqual(rep["verdict"], "invalid", rep)


class Levels(LtvCase):

    def test_b_t_level_adds_nothing(self):
        self.restart(level="B-T")
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa")):
            self.login_api(slug, alg)
        n = self.create([("supplier", 1)])
        self.sign_all(n, [("supplier", "rsa")])
        with open(self.download("buyer", n), "rb") as fh:
            data = fh.read()
        self.assertNotIn(b"/DSS", data)
        self.assertNotIn(b"/DocTimeStamp", data)


class Offline(unittest.TestCase):
    """`sealpact sign --offline --level`: the same levels without a server."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sealpact-ltv.")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def sign(self, src, out, slug, alg, *extra):
        pki = PKI()
        crt, key = pki.org_cert(slug, alg)
        return subprocess.run([harness.SEALPACT, "sign", "--offline", src, out, "--key", key,
                               "--cert", crt, "--invisible", "--tsa-cert", pki.path("tsa.crt"),
                               "--tsa-key", pki.path("tsa.key"), "--tsa-trust",
                               pki.path("root.pem"), "--chain", pki.path("chain.pem")]
                              + list(extra), capture_output=True, text=True, timeout=120)

    def level_of(self, path, at=None):
        p = verify(path, *(("--at", at) if at else ()))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rep = json.loads(p.stdout)
        return [(s["level"], s["revocation_embedded"]) for s in rep["signatures"]
                if not s["doc_timestamp"]], rep

    def test_levels_offline(self):
        pki = PKI()
        src = test_signing.SHORT
        lt = os.path.join(self.tmp, "lt.pdf")
        allow = "127.0.0.1"
        # OCSP alone: the AIA responder answers for the signer and the TSA, nobody for
        # the issuing CA (the root runs no responder, and the test responder serves no
        # CRL at the CA's distribution point): B-T, also under a document timestamp, as
        # the independent judge says
        p = self.sign(src, lt, "supplier", "rsa", "--level", "B-LTA", "--trust-roots",
                      pki.path("root.pem"), "--ocsp-allow", allow)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(lt, "rb") as f:
            data = f.read()
        self.assertIn(b"/OCSPs", data)  # the AIA responder answered
        self.assertEqual(self.level_of(lt, FAR)[0], [("pades_b_t", True)])
        rc, out = lta_check(lt)
        self.assertEqual(rc, 1, out)
        self.assertIn("no revocation answer for", out)
        self.assertIn("Issuing CA", out)
        # with the root's CRL for the issuing CA: B-LT
        p = self.sign(src, lt, "supplier", "rsa", "--level", "B-LT", "--trust-roots",
                      pki.path("root.pem"), "--ocsp-allow", allow, "--crl",
                      pki.path("root-crl.pem"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("PAdES B-LT", p.stdout)
        with open(lt, "rb") as f:
            data = f.read()
        self.assertIn(b"/OCSPs", data)
        self.assertIn(b"/CRLs", data)
        self.assertEqual(self.level_of(lt, FAR)[0], [("pades_b_lt", True)])

        lta = os.path.join(self.tmp, "lta.pdf")
        p = self.sign(lt, lta, "logistics", "ec", "--level", "B-LTA", "--trust-roots",
                      pki.path("root.pem"), "--ocsp-allow", allow, "--crl",
                      pki.path("root-crl.pem"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        levels, rep = self.level_of(lta, FAR)
        self.assertEqual(levels, [("pades_b_lta", True), ("pades_b_lta", True)], rep)
        # the independent judge of test_ltv's server files says no to validation data
        # of certificates only (no responder asked, no CRL given)
        bare = os.path.join(self.tmp, "bare.pdf")
        p = self.sign(src, bare, "supplier", "rsa", "--level", "B-LTA", "--trust-roots",
                      pki.path("root.pem"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rc, out = lta_check(bare)
        self.assertEqual(rc, 1, out)
        self.assertIn("covered=false (signer: no revocation answer", out)
        self.assertEqual(subprocess.run(["qpdf", "--check", lta],
                                        capture_output=True).returncode, 0)

        # The AIA responder is on loopback: without --ocsp-allow it is not asked, and
        # the --crl files answer instead.
        crl = os.path.join(self.tmp, "crl.pdf")
        p = self.sign(src, crl, "supplier", "rsa", "--level", "B-LT", "--trust-roots",
                      pki.path("root.pem"), "--crl", pki.path("crl.pem"), "--crl",
                      pki.path("root-crl.pem"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(crl, "rb") as f:
            data = f.read()
        self.assertNotIn(b"/OCSPs", data)
        self.assertIn(b"/CRLs", data)
        self.assertEqual(self.level_of(crl, FAR)[0], [("pades_b_lt", True)])

        # No OCSP answer (a plain web server on the responder's port) and no --crl: the
        # CRL distribution point's CRL is fetched (GET), under the same address policy,
        # the issuing CA's too (the root's CRL, deploy/pki.sh's BASE/root-crl.der).
        subprocess.run(["bash", harness.OCSP_SH, "stop", pki.dir], capture_output=True)
        pki.responder = False
        web = subprocess.Popen(["python3", "-m", "http.server", str(pki.ocsp_port), "--bind",
                                "127.0.0.1", "--directory", pki.pki],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    urllib.request.urlopen("http://127.0.0.1:%d/crl.der" % pki.ocsp_port,
                                           timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            dp = os.path.join(self.tmp, "dp.pdf")
            p = self.sign(src, dp, "supplier", "rsa", "--level", "B-LT", "--trust-roots",
                          pki.path("root.pem"), "--ocsp-allow", allow)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            with open(dp, "rb") as f:
                data = f.read()
            self.assertNotIn(b"/OCSPs", data)
            self.assertIn(b"/CRLs", data)
            self.assertEqual(self.level_of(dp, FAR)[0], [("pades_b_lt", True)])
            # loopback is not asked without --ocsp-allow: certificates only, no answer
            p = self.sign(src, dp, "supplier", "rsa", "--level", "B-LT", "--trust-roots",
                          pki.path("root.pem"))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            with open(dp, "rb") as f:
                data = f.read()
            self.assertNotIn(b"/CRLs", data)
            self.assertNotIn(b"/OCSPs", data)
            self.assertEqual(self.level_of(dp)[0], [("pades_b_t", False)])
        finally:
            web.terminate()
            web.wait()
            subprocess.run(["bash", harness.OCSP_SH, "start", pki.dir, pki.pki,
                            str(pki.ocsp_port)], capture_output=True)
            pki.responder = True

        # B-T is the default with a TSA; a level without what it needs is refused
        bt = os.path.join(self.tmp, "bt.pdf")
        p = self.sign(src, bt, "supplier", "rsa")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.level_of(bt)[0], [("pades_b_t", False)])
        p = self.sign(src, bt, "supplier", "rsa", "--level", "B-LT")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--trust-roots", p.stderr)
        p = self.sign(src, bt, "supplier", "rsa", "--level", "B-XL")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--level", p.stderr)


class FlakyTSA(http.server.BaseHTTPRequestHandler):
    """An external TSA in front of a real one that answers 503 while `down` is above
    0 (each answer takes one off; -1: always), counting the requests."""
    target = None
    down = 0
    requests = 0

    def do_POST(self):
        cls = type(self)
        cls.requests += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if cls.down != 0:
            cls.down -= 1 if cls.down > 0 else 0
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        req = urllib.request.Request(cls.target, data=body, headers={
            "Content-Type": "application/timestamp-query"})
        with urllib.request.urlopen(req, timeout=10) as r:
            out = r.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


class Renewal(LtvCase):

    def more_settings(self, extra):
        super().more_settings(extra)
        # The horizon beyond the TSA certificate's expiry: every contract is due by it.
        # Renewing starts once the test's contracts are made (renewing()).
        extra["signing"].update(archive_horizon_days=36500, archive_interval_s=0)
        # the rounds' debug lines (rounds()) are what the tests wait on, not sleeps
        extra["log"] = {"level": "debug"}

    def renewing(self, interval=1, second=True, **signing):
        self.restart(archive_interval_s=interval, **signing)
        if not second:
            return
        # A second process on the same database races for the same contracts.
        tmp2 = os.path.join(self.tmp, "second")
        os.makedirs(tmp2)
        self.second = harness.Server(tmp2, self.db.url, tls=True, extra=self.server_extra)
        self.addCleanup(self.second.stop)
        self.second.start()

    @staticmethod
    def rounds(srv):
        """What srv's archive rounds logged so far, in order: each round's start, a
        renewal stored, a claim that found nothing due (all of its work done)."""
        return [l["msg"] for l in srv.log_lines() if l.get("msg") in (
            "archive round", "archive timestamp renewed", "archive round: nothing due")]

    def idle(self, *servers):
        """Until each of servers has twice found nothing due after now: whatever it
        claimed (a renewal, or one that gains nothing and gives its contract back) is
        done, and a claim that began before now is not the one counted."""
        def idles(srv):
            return self.rounds(srv).count("archive round: nothing due")
        had = [idles(srv) for srv in servers]
        deadline = time.time() + 60
        while any(idles(srv) < h + 2 for srv, h in zip(servers, had)):
            self.assertLess(time.time(), deadline, "the archive rounds never went idle")
            time.sleep(0.1)

    def expiring(self, *numbers):
        """As if each contract's newest document timestamp came from a TSA certificate
        that expires tomorrow: a document timestamp from the TSA at hand (whose
        certificate outlives it) then proves longer, and the contract is due."""
        self.db.query("UPDATE contracts SET archive_until = now() + interval '1 day', "
                      "archive_next_at = NULL WHERE number IN (%s)"
                      % ", ".join(str(n) for n in numbers))

    def test_renewal_adds_a_second_document_timestamp_once(self):
        n = self.three_party()
        self.expiring(n)
        self.renewing()
        deadline = time.time() + 60
        while self.revisions(n) < 5 and time.time() < deadline:
            time.sleep(0.5)
        self.assertEqual(self.revisions(n), 5)
        # further rounds of both processes find nothing due: exactly once
        self.idle(self.server, self.second)
        self.assertEqual(self.revisions(n), 5)
        self.assertEqual(self.db.query(
            "SELECT archive FROM revisions WHERE contract_number = %s AND seq = 4" % n), "t")
        self.assertEqual(int(self.db.query(
            "SELECT count(*) FROM audit_events WHERE contract_number = %s AND "
            "action = 'contract.archive_timestamped'" % n)), 1)
        f = self.download("buyer", n)
        self.check_file(f, 3, 2)
        self.check_file(f, 3, 2, at=FAR, judges=False)
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s" % n)
        self.assertEqual(doc["revisions"][-1]["signed_by"], None, doc)
        renewed = [l for srv in (self.server, self.second) for l in srv.log_lines()
                   if "archive timestamp renewed" in l.get("msg", "")]
        self.assertEqual(len(renewed), 1, renewed)

        # A day later the TSA still signs with the same certificate: a new document
        # timestamp would prove no longer than the newest, so none is added (ltv39:
        # every day added a DSS and a document timestamp, some 10 KB, for nothing).
        size = len(open(f, "rb").read())
        for _ in range(2):  # the day passes twice
            self.db.query("UPDATE contracts SET archive_next_at = now() - interval '1 s' "
                          "WHERE number = %s" % n)
            self.idle(self.server, self.second)
        self.assertEqual(self.revisions(n), 5)
        self.assertEqual(len(open(self.download("buyer", n), "rb").read()), size)
        self.assertEqual(int(self.db.query(
            "SELECT count(*) FROM audit_events WHERE contract_number = %s AND "
            "action = 'contract.archive_timestamped'" % n)), 1)

    def test_an_ocsp_outage_leaves_the_validation_data_for_a_retry(self):
        """ltv39: with the OCSP responder down and no CRL to stand in, a renewal wrote the
        newest document timestamp's /VRI entry without any revocation answer for its TSA
        certificate and stored it; no later renewal looks at a signature with a /VRI
        entry again, so the file never became B-LTA for it. Now the renewal waits for
        the responder (a retry with backoff) and then writes the answer."""
        n = self.three_party()
        self.expiring(n)
        subprocess.run(["bash", harness.OCSP_SH, "stop", PKI().dir], capture_output=True)
        PKI().responder = False
        try:
            self.server_extra["trust"] = PKI().trust_config(crls=[])
            self.renewing(second=False)
            # until the renewal failed (the fix) or stored without the answer (ltv39)
            deadline = time.time() + 30
            while (self.revisions(n) < 5 and self.db.query(
                    "SELECT archive_failures FROM contracts WHERE number = %s" % n) == "0"
                   and time.time() < deadline):
                time.sleep(0.2)
            self.assertEqual(self.revisions(n), 4)
            self.assertGreaterEqual(int(self.db.query(
                "SELECT archive_failures FROM contracts WHERE number = %s" % n)), 1)
        finally:
            subprocess.run(["bash", harness.OCSP_SH, "start", PKI().dir, PKI().pki,
                            str(PKI().ocsp_port)], capture_output=True)
            PKI().responder = True
        # the responder is back; its backoff over, the contract is renewed whole
        self.db.query("UPDATE contracts SET archive_next_at = now() WHERE number = %s" % n)
        deadline = time.time() + 30
        while self.revisions(n) < 5 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.revisions(n), 5)
        self.check_file(self.download("buyer", n), 3, 2)

    def test_an_ocsp_outage_at_completion_leaves_the_signature_for_the_renewal(self):
        """ltv40: a completion whose revocation service failed (the responder down, no CRL
        to stand in) wrote the signature's /VRI entry without the answer, and no later
        update looks at a signature with an entry again (the renewal then timestamped a
        file whose signature has no revocation data under it). Now the completion stores
        the signed revision at B-T and the renewal adds the data once the responder
        answers."""
        self.server_extra["trust"] = PKI().trust_config(crls=[])
        self.restart()
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa")):
            self.login_api(slug, alg)
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n, "rsa")
        subprocess.run(["bash", harness.OCSP_SH, "stop", PKI().dir], capture_output=True)
        PKI().responder = False
        try:
            st, _, _, doc = self.complete("supplier", prep["session"],
                                          self.token_sign("supplier", "rsa", prep))
            self.assertEqual(st, 200, doc)
            self.act("supplier", n, "send")
            with open(self.download("buyer", n), "rb") as fh:
                data = fh.read()
            # no /VRI entry without its answer: the signed revision as it was signed
            self.assertFalse(b"/VRI" in data, "a /VRI entry without its answer")
            self.assertFalse(b"/DocTimeStamp" in data, "a document timestamp over it")
            self.assertEqual(self.revisions(n), 2)
        finally:
            subprocess.run(["bash", harness.OCSP_SH, "start", PKI().dir, PKI().pki,
                            str(PKI().ocsp_port)], capture_output=True)
            PKI().responder = True
        # the responder is back: the renewal adds the signature's data and a timestamp (the
        # CRLs back too: OCSP answers for the signer and the TSA, the root's CRL for the CA)
        self.server_extra["trust"] = PKI().trust_config()
        self.renewing(second=False)
        deadline = time.time() + 30
        while self.revisions(n) < 3 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.revisions(n), 3)
        self.check_file(self.download("buyer", n), 1, 1)

    def test_a_tsa_outage_leaves_the_contract_for_a_retry_and_the_round_goes_on(self):
        """ltv39: a renewal the TSA failed kept its contract's 600 s lease and ended the
        process's round until the next (archive_interval_s: an hour by default), so one
        TSA error held back every other due contract for an interval. Now the failed
        contract is retried after a backoff of its own (60 s, doubled per failure in a
        row) and the round goes on after a short pause."""
        n = self.three_party()
        other = str(int(n) - 1)  # a second due contract of the buyer, claimed first (lower number)
        self.db.query(
            "INSERT INTO contracts (number, name, initiator_org_id, status, page_count, sha256, "
            "sent_at, completed_at, archive_until) SELECT number - 1, name, initiator_org_id, "
            "status, page_count, sha256, sent_at, completed_at, archive_until "
            "FROM contracts WHERE number = %s" % n)
        self.db.query(
            "INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
            "certificate_id, seal_id, signed_length, verification, archive) SELECT %s, seq, "
            "delta, length, sha256, party_id, certificate_id, seal_id, signed_length, "
            "verification, archive FROM revisions WHERE contract_number = %s" % (other, n))
        self.expiring(n, other)
        # the renewing process's TSA: a plain sealpactd's built-in one, behind FlakyTSA
        tmp = tempfile.mkdtemp(dir=self.tmp)
        tsa = harness.Server(tmp, self.db.url, tls=False, extra=dict(self.server_extra))
        self.addCleanup(tsa.stop)
        FlakyTSA.target = tsa.start().url + "/tsa"
        FlakyTSA.down = 1  # the first request fails
        FlakyTSA.requests = 0
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyTSA)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        self.server_extra["tsa"] = {"mode": "external", "timeout_ms": 3000,
                                    "url": "http://127.0.0.1:%d/tsa" % httpd.server_port,
                                    "trust": PKI().path("root.pem")}
        interval = 10  # the round's next tick is this long after the failed renewal
        self.renewing(interval=interval, second=False)
        deadline = time.time() + interval + 30
        while FlakyTSA.requests == 0 and time.time() < deadline:
            time.sleep(0.2)
        failed_at = time.time()
        while self.revisions(n) < 5 and time.time() < deadline:
            time.sleep(0.2)
        took = time.time() - failed_at
        print("\nthe other contract renewed %.1f s after the TSA failed one" % took)
        self.assertEqual(self.revisions(n), 5)
        self.assertEqual(self.revisions(other), 4)
        # not at the next round: renewed after the pause, before the round's next tick
        self.assertEqual([m for m in self.rounds(self.server) if m != "archive round: nothing due"]
                         [:2], ["archive round", "archive timestamp renewed"])
        # the failed contract waits for its own retry, about a minute, not the lease
        self.assertEqual(self.db.query(
            "SELECT archive_next_at BETWEEN now() + interval '20 s' AND now() + interval '90 s' "
            "FROM contracts WHERE number = %s" % other), "t")
        self.assertEqual(FlakyTSA.requests, 2)  # one each: the TSA was not hammered
        f = self.download("buyer", n)
        self.check_file(f, 3, 2)

    def test_renewals_take_turns_between_organizations(self):
        """sec38: the claim took the earliest archive_until, then the lowest number,
        and archive_until is the TSA certificate's notAfter, the same for every
        contract it stamped: one organization's backlog of older contracts went
        before another's, and each one the renewal cannot extend (here its upload
        is no PDF, as a contract beyond the reading budget is refused) ended the
        round until the next (an hour by default, a second here) with its lease
        (600 s) keeping it from the next claim only. Now the organizations take
        turns and such a contract's failure does not end the round: another
        organization's contract is renewed among the first."""
        n = self.three_party()  # none renewed while the backlog is made
        sup = self.db.query("SELECT id FROM organizations WHERE credit_code = '%s'"
                            % self.orgs["supplier"]["credit_code"])
        # 120 older completed contracts of the supplier, as urgent as the buyer's:
        # every other one the renewal can extend (the buyer's signed revisions), the
        # others it cannot
        self.db.query(
            "INSERT INTO contracts (number, name, initiator_org_id, status, page_count, sha256, "
            "sent_at, completed_at, archive_until) SELECT number - g, name, %s, status, "
            "page_count, sha256, sent_at, completed_at, archive_until "
            "FROM contracts, generate_series(1, 120) g WHERE number = %s" % (sup, n))
        for seq in range(self.revisions(n)):
            self.db.query(
                "INSERT INTO revisions (contract_number, seq, delta, length, sha256, party_id, "
                "certificate_id, seal_id, signed_length, verification) SELECT %s - g, seq, "
                "delta, length, sha256, party_id, certificate_id, seal_id, signed_length, "
                "verification FROM revisions, generate_series(2, 120, 2) g "
                "WHERE contract_number = %s AND seq = %d" % (n, n, seq))
        self.db.query(
            "INSERT INTO revisions (contract_number, seq, delta, length, sha256) "
            "SELECT %s - g, 0, 'not a pdf'::bytea, 9, encode(sha256('not a pdf'), 'hex') "
            "FROM generate_series(1, 119, 2) g" % n)
        self.expiring(*[int(n) - g for g in range(121)])
        self.renewing(second=False)
        t0 = time.time()
        while self.revisions(n) < 5 and time.time() < t0 + 60:
            time.sleep(0.2)
        took = time.time() - t0
        theirs = int(self.db.query(  # renewed before the buyer's
            "SELECT count(*) FROM revisions r JOIN contracts c ON c.number = r.contract_number "
            "WHERE r.archive AND c.initiator_org_id = %s AND r.created_at < (SELECT created_at "
            "FROM revisions WHERE contract_number = %s AND seq = 4)" % (sup, n)))
        print("\nbuyer's renewed after %.1f s, %d of the supplier's 60 before" % (took, theirs))
        self.assertEqual(self.revisions(n), 5)
        self.assertLess(theirs, 10)
        # and the ones it cannot extend do not stop the rounds: the supplier's other 60
        # follow at once, not one a round
        count = ("SELECT count(*) FROM revisions r JOIN contracts c ON c.number = "
                 "r.contract_number WHERE r.archive AND c.initiator_org_id = %s" % sup)
        t0 = time.time()
        while int(self.db.query(count)) < 60 and time.time() < t0 + 30:
            time.sleep(0.2)
        print("the supplier's 60 renewed %.1f s later" % (time.time() - t0))
        self.assertEqual(int(self.db.query(count)), 60)


if __name__ == "__main__":
    unittest.main()
