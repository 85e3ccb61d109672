"""Issue 6, end to end: challenge/response signing with SoftHSM2 tokens through the
real `sealpact sign`, the built-in TSA (also at POST /tsa), PAdES B-T judged by
pdfsig and qpdf, and every way a completion must fail while storing nothing."""

import base64
import json
import hashlib
import os
import re
import subprocess
import shutil
import tempfile
import threading
import time
import unittest

import harness
from harness import ServerTestCase, der_of, openssl_sign, run

PKI = None
SEAL = None
NSSDIR = None
JAVA = None  # the module's JVM for the Java checks (java_check)
MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")
LONG = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "contract30.pdf")


_pki_up, _pki_down = harness.module_pki(__name__, seal=True, nss=True)


def setUpModule(private_pki=False, tokens=True):
    _pki_up(private=private_pki, tokens=tokens)


def tearDownModule():
    global JAVA
    if JAVA is not None:
        JAVA.close()
        JAVA = None
    _pki_down()


def pdfsig(path):
    p = subprocess.run(["pdfsig", "-nssdir", "sql:" + NSSDIR, path], capture_output=True,
                       text=True)
    return p.stdout + p.stderr


def java_check(kind, path):
    """tests/support/WorldSigner.java's check-itext or check-pdfbox: iText 5's, or
    PDFBox's and BouncyCastle's, verification of every signature and document
    timestamp in path, one line each; or check-lta, LtaCheck.java's. All in one JVM
    of the module's (harness.JavaJudge)."""
    global JAVA
    if JAVA is None:
        JAVA = harness.JavaJudge(PKI.dir)
    return JAVA.run("check-" + kind, path)


def all_signatures(text):
    """pdfsig's report per signature field: poppler 22 lists a field with several
    widgets (/Kids, each with /V) once per widget, so keep one per field name."""
    out = {}
    for part in re.split(r"\nSignature #\d+:", "\n" + text)[1:]:
        m = re.search(r"Signature Field Name: (\S+)", part)
        out.setdefault(m.group(1) if m else len(out), part)
    return list(out.values())


def contents_room(path):
    """The DER bytes the last signature's /Contents holds: its ByteRange's gap."""
    with open(path, "rb") as f:
        br = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", f.read())
    a, b, c, _ = (int(x) for x in br[-1])
    return (c - (a + b) - 2) // 2


def signatures(text):
    """The signers' signatures (poppler 22 calls a B-LTA document timestamp's
    ETSI.RFC3161 type "unknown" and cannot check it: sealpact verify does)."""
    return [p for p in all_signatures(text) if "Signature Type: unknown" not in p]


def doc_timestamps(text):
    return [p for p in all_signatures(text) if "Signature Type: unknown" in p]


class SigningCase(ServerTestCase):
    tls = True
    signing_extra = {}  # more signing.* keys for a test class

    def setUp(self):
        self.server_extra = {
            "trust": PKI.trust_config(),
            "tsa": {"mode": "builtin", "cert": PKI.path("tsa.crt"), "key": PKI.path("tsa.key"),
                    "chain": PKI.path("chain.pem"), "trust": PKI.path("root.pem")},
            "signing": dict({"default_seal_image": SEAL, "session_ttl_s": 600},
                            **self.signing_extra),
        }
        self.more_settings(self.server_extra)
        super().setUp()
        self.orgs = {o["slug"]: o for o in PKI.orgs}
        self.homes = {}
        self.tokens = {}
        with open(SHORT, "rb") as f:
            self.pdf = f.read()

    def more_settings(self, extra):
        """A test class's server settings beyond these, added to extra before the
        server starts (not a restart with them: a second sealpactd a test)."""

    # ---- helpers -------------------------------------------------------------------

    def cli(self, slug, *args):
        home = self.homes.setdefault(slug, os.path.join(self.tmp, "home-" + slug))
        os.makedirs(home, exist_ok=True)
        e = dict(os.environ)
        e.update({"HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "xdg"),
                  "SEALPACT_PIN": harness.TOKEN_PIN})
        e.update(PKI.token_env())
        return subprocess.run([harness.SEALPACT, "--server", self.server.url, "--cacert",
                               self.server.cafile] + list(args), capture_output=True,
                              text=True, env=e, timeout=120)

    def login(self, slug, alg):
        p = self.cli(slug, "login", "--module", MODULE, "--token", "%s-%s" % (slug, alg),
                     "--key-id", "01")
        self.assertEqual(p.returncode, 0, p.stderr)
        import json
        with open(os.path.join(self.homes[slug], "xdg", "sealpact", "session.json")) as f:
            self.tokens[slug] = json.load(f)["token"]

    def login_api(self, slug, alg):
        crt, key = PKI.org_cert(slug, alg)
        st, _, _, doc = harness.api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        self.tokens[slug] = doc["token"]

    def call(self, slug, method, path, body=None, server=None):
        h = {"Authorization": "Bearer " + self.tokens[slug]}
        if body is None and method == "POST":
            body, h["Content-Type"] = b"", "application/json"
        server = server or self.server
        # never give up before the server's own deadline would answer (a test that
        # raises it, e.g. test_evidence's ReadingBudget at 120 s, gave up at 60 s on
        # a loaded machine and left a 499 in the log)
        return server.request(method, path, body=body, headers=h,
                              timeout=max(60, getattr(server, "deadline", 30) + 30))

    def create(self, parties, pdf=None):
        body = {"name": "Supply contract", "pdf_base64": base64.b64encode(pdf or self.pdf).decode(),
                "parties": [{"credit_code": self.orgs[s]["credit_code"], "role": "signer",
                             "routing_order": o} for s, o in parties]}
        st, _, _, doc = self.call("buyer", "POST", "/api/v1/contracts", body)
        self.assertEqual(st, 201, doc)
        n = doc["number"]
        st, _, _, doc = self.call("buyer", "POST", "/api/v1/contracts/%s/send" % n)
        self.assertEqual(st, 200, doc)
        return n

    def act(self, slug, n, action, status=200):
        st, _, _, doc = self.call(slug, "POST", "/api/v1/contracts/%s/%s" % (n, action))
        self.assertEqual(st, status, doc)
        return doc

    def revisions(self, n):
        return int(self.db.query("SELECT count(*) FROM revisions WHERE contract_number = %s" % n))

    def download(self, slug, n, seq=None):
        path = "/api/v1/contracts/%s/document" % n if seq is None else \
            "/api/v1/contracts/%s/revisions/%d/document" % (n, seq)
        st, _, data, _ = self.call(slug, "GET", path)
        self.assertEqual(st, 200)
        f = os.path.join(self.tmp, "%s-%s.pdf" % (n, seq))
        with open(f, "wb") as out:
            out.write(data)
        return f

    def prepare(self, slug, n, alg="rsa", placements=None):
        crt, _ = PKI.org_cert(slug, alg)
        body = {"certificate": base64.b64encode(der_of(crt)).decode(),
                "chain": [base64.b64encode(der_of(PKI.path("ca.pem"))).decode()],
                "placements": placements if placements is not None else
                [{"mode": "normal", "seal": "default", "page": 1, "x": 400, "y": 120}]}
        return self.call(slug, "POST", "/api/v1/contracts/%s/signing-sessions" % n, body)

    def prepared(self, slug, n, alg="rsa", **kw):
        st, _, _, doc = self.prepare(slug, n, alg, **kw)
        self.assertEqual(st, 201, doc)
        return doc

    def complete(self, slug, session, sig, server=None):
        return self.call(slug, "POST", "/api/v1/signing-sessions/%s/complete" % session,
                         {"signature": base64.b64encode(sig).decode()}, server=server)

    def token_sign(self, slug, alg, prep):
        _, key = PKI.org_cert(slug, alg)
        return openssl_sign(key, base64.b64decode(prep["to_be_signed"]))

    def counts(self, server=None):
        """Completions that skipped their claim (035): (stored in one trip, taken back to
        the claim's path), once the process has reserved TSA serials for them (at
        start-up, in the background)."""
        deadline = time.time() + 60  # the reservation is a database trip: a loaded machine's
        while True:
            st, _, body, _ = (server or self.server).metrics()
            self.assertEqual(st, 200)
            m = re.search(r'^sealpact_tsa_serials_reserved (\d+)$', body.decode(), re.M)
            self.assertIsNotNone(m, body)
            if int(m.group(1)) > 0 or time.time() > deadline:
                break
            time.sleep(0.05)
        got = []
        for result in ("stored", "fell_back"):
            m = re.search(r'^sealpact_signing_completions_one_trip_total\{result="%s"\} '
                          r'(\d+)$' % result, body.decode(), re.M)
            self.assertIsNotNone(m, body)
            got.append(int(m.group(1)))
        return tuple(got)

    def refs_lookups(self, cache="revision_refs"):
        st, _, body, _ = self.server.metrics()
        self.assertEqual(st, 200)
        got = {}
        for result in ("hit", "miss"):
            m = re.search(r'^sealpact_cache_lookups_total\{cache="%s",result="%s"\} '
                          r'(\d+)$' % (cache, result), body.decode(), re.M)
            self.assertIsNotNone(m, body)
            got[result] = int(m.group(1))
        return got

    def other(self, name, **signing):
        """A second server process on the same database, plain HTTP, with these
        signing.* keys over the test's (e.g. document_cache_mb=0)."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        extra = json.loads(json.dumps(self.server_extra))
        extra["signing"].update(signing)
        srv = harness.Server(d, self.db.url, tls=False, extra=extra)
        self.addCleanup(srv.stop)
        return srv.start()


class ThreeParties(SigningCase):

    def test_rsa_then_ecdsa_tokens_to_completed_pdfsig_and_qpdf(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login(slug, alg)
        with open(LONG, "rb") as f:
            n = self.create([("supplier", 1), ("logistics", 2)], pdf=f.read())
        # Out of turn: the second signer cannot prepare yet.
        st, _, _, doc = self.prepare("logistics", n, "ec")
        self.assertEqual(st, 409, doc)
        self.assertEqual(doc["code"], "out_of_turn")

        self.act("supplier", n, "receive")
        p = self.cli("supplier", "sign", n, "--module", MODULE, "--token", "supplier-rsa",
                     "--key-id", "01", "--normal", "1,400,120", "--multi", "2-3,450,700",
                     "--date", "1,400,60")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("sha256WithRSAEncryption", p.stdout)
        self.assertRegex(p.stdout, r"#1 normal\s+page 1: ")
        self.assertRegex(p.stdout, r"#2 multi\s+page 3: ")
        # The rectangles come before the signing result (the PIN is asked in between).
        self.assertLess(p.stdout.index("Seal placements"), p.stdout.index("Signed: revision 1"))
        self.assertEqual(self.revisions(n), 2)
        # what it prints is the completion's own: it asks for that alone (Prefer:
        # return=minimal), not for the contract document
        done = [e for e in self.server.log_lines()
                if e.get("route") == "/api/v1/signing-sessions/{id}/complete"]
        self.assertEqual(done[-1]["status"], 200, done)
        self.assertLess(done[-1]["bytes"], 512, done)
        self.act("supplier", n, "send")

        self.act("logistics", n, "receive")
        p = self.cli("logistics", "sign", n, "--module", MODULE, "--token", "logistics-ec",
                     "--key-id", "01", "--keyword", "乙方（盖章）,1", "--seam", "1-4,400")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("ecdsa-with-SHA256", p.stdout)
        self.assertIn("slice 4 of 4", p.stdout)
        doc = self.act("logistics", n, "send")
        self.assertEqual(doc["status"], "completed")
        self.assertEqual(self.revisions(n), 3)

        final = self.download("buyer", n)
        rep = pdfsig(final)
        sigs = signatures(rep)
        self.assertEqual(len(sigs), 2, rep)
        for s in sigs:
            self.assertIn("Signature is Valid.", s, rep)
            self.assertIn("ETSI.CAdES.detached", s, rep)
            # poppler 22 says "Unknown issue" when it cannot reach an OCSP responder;
            # the trust of the chain is judged by openssl below in that case.
            self.assertTrue("Certificate is Trusted." in s or "Unknown issue" in s, rep)
        self.assertIn("Not total document signed", sigs[0], rep)
        # B-LTA by default: a DSS and a document timestamp follow the last signature.
        self.assertIn("Not total document signed", sigs[1], rep)
        dts = doc_timestamps(rep)
        self.assertEqual(len(dts), 1, rep)
        self.assertIn("Total document signed", dts[0], rep)
        for slug, alg in (("supplier", "rsa"), ("logistics", "ec")):
            crt, _ = PKI.org_cert(slug, alg)
            run(["openssl", "verify", "-CAfile", PKI.path("root.pem"), "-untrusted",
                 PKI.path("ca.pem"), crt])
        # The first signature read alone at its own revision is still valid,
        first = signatures(pdfsig(self.download("buyer", n, 1)))
        self.assertEqual(len(first), 1)
        self.assertIn("Signature is Valid.", first[0])
        # followed by its DSS (PAdES B-LT): validation data only
        self.assertIn("Not total document signed", first[0])
        q = subprocess.run(["qpdf", "--check", final], capture_output=True, text=True)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)
        # Audit: each completion is recorded.
        self.assertEqual(int(self.db.query(
            "SELECT count(*) FROM audit_events WHERE contract_number = %s AND action = "
            "'signing.completed'" % n)), 2)


class StoredVerification(SigningCase):
    """Completion keeps each revision's verification report; the contract's
    verification answers from it, and the answer is the fresh one. At B-T
    here; StoredVerificationLTA: at B-LTA."""
    tls = False
    signing_extra = {"level": "B-T"}

    def verification(self, n, query=""):
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s/verification%s" % (n, query))
        self.assertEqual(st, 200, doc)
        return doc

    def test_stored_report_is_the_fresh_report(self):
        signers = (("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa"))
        for slug, alg in signers:
            self.login_api(slug, alg)
        n = self.create([(slug, i + 1) for i, (slug, _) in enumerate(signers)])
        for k, (slug, alg) in enumerate(signers, start=1):
            self.act(slug, n, "receive")
            reads = self.refs_lookups("revision_reads")
            prep = self.prepared(slug, n, alg)
            # prepare's DocMDP check takes the earlier signatures as the completion that
            # stored the base read them: one lookup, a hit after the first signing (the
            # upload has no signatures read); and it opens the base with the pages and the
            # form's facts kept for its bytes (by the upload's create, then by each
            # completion, carried over its update): two hits, so no walk to keep them after;
            # and the base's reads count for the room check, which the completion that
            # stored it left (at the upload: a miss, counted then and left for the completion);
            # and the base's merged cross-reference entries, which the completion that stored
            # it left, through which a date stamp finds the font an earlier update wrote (at
            # the upload, one section: a miss)
            got = self.refs_lookups("revision_reads")
            self.assertEqual((got["hit"] - reads["hit"], got["miss"] - reads["miss"]),
                             (5, 0) if k > 1 else (2, 3), "prepare of signing %d" % k)
            before, reads = self.refs_lookups(), self.refs_lookups("revision_reads")
            st, _, _, doc = self.complete(slug, prep["session"], self.token_sign(slug, alg, prep))
            self.assertEqual(st, 200, doc)
            # the earlier signatures as the completion that stored the base read them (none
            # at the upload), its page list, its signed-field count, its form's facts
            # (the engine lists the new revision's fields from them, carried over the
            # update) and its revisions (only the update's section is walked), and the
            # base's reads count the prepare used (extended for the next prepare), and its
            # merged cross-reference entries (only the update's section is read for the
            # new revision's table): all hits after the first signing; at the first, the
            # pages, the form's facts (the create's) and the reads count (the prepare's)
            # hit, the signatures, the count, the revisions and the merged entries (an
            # upload has one section: none) miss
            got = self.refs_lookups("revision_reads")
            self.assertEqual((got["hit"] - reads["hit"], got["miss"] - reads["miss"]),
                             (7, 0) if k > 1 else (3, 4), "completion of signing %d" % k)
            # what the base refers to came from the process cache, the first signing's
            # too (the upload's normalization put it there): the base was not walked
            after = self.refs_lookups()
            self.assertEqual((after["hit"] - before["hit"], after["miss"] - before["miss"]),
                             (1, 0), "signing %d" % k)
            # kept with the revision, about exactly its bytes
            stored = self.db.query("SELECT verification FROM revisions WHERE contract_number = "
                                   "%s AND seq = %d" % (n, k))
            self.assertTrue(stored, "revision %d has no stored report" % k)
            length = int(self.db.query("SELECT length FROM revisions WHERE contract_number = "
                                       "%s AND seq = %d" % (n, k)))
            self.assertEqual(json.loads(stored)["size"], length)
            self.act(slug, n, "send")
            # field by field: the stored report is what verifying the file now says
            kept, fresh = self.verification(n), self.verification(n, "?fresh=true")
            self.assertEqual(kept, fresh)
            self.assertEqual(len(kept["signatures"]), k)
            self.assertEqual(kept["verdict"], "valid" if k == 1 else "valid_with_allowed_changes",
                             kept)
            for i, sig in enumerate(kept["signatures"]):
                self.assertEqual(sig["verdict"], "valid" if sig["revision"] == k + 1
                                 else "valid_with_allowed_changes", sig)
                self.assertTrue(sig["checks"]["signature"])
                self.assertTrue(sig["checks"]["timestamp"])
                self.assertIsNotNone(sig["signer"])
                if sig["revision"] < k + 1:
                    self.assertGreater(sig["changes"]["allowed"], 0, sig)
        # each completion skipped its claim (prepared here with the same credential): the
        # reports above are those of completions in one trip
        self.assertEqual(self.counts(), (3, 0))
        # the answer comes from the stored report (a marker put into it shows), and
        # fresh=true does not use it
        self.db.query("UPDATE revisions SET verification = jsonb_set(verification::jsonb, "
                      "'{message}', '\"stored marker\"')::text WHERE contract_number = %s "
                      "AND seq = 3" % n)
        self.assertEqual(self.verification(n)["message"], "stored marker")
        self.assertEqual(self.verification(n, "?fresh=false")["message"], "stored marker")
        self.assertNotEqual(self.verification(n, "?fresh=true")["message"], "stored marker")
        # a report about other bytes than the file's is not used
        self.db.query("UPDATE revisions SET verification = (SELECT verification FROM revisions "
                      "WHERE contract_number = %s AND seq = 2) WHERE contract_number = %s "
                      "AND seq = 3" % (n, n))
        self.assertEqual(len(self.verification(n)["signatures"]), 3)
        st, _, _, doc = self.call("buyer", "GET",
                                  "/api/v1/contracts/%s/verification?fresh=yes" % n)
        self.assertEqual(st, 400, doc)
        self.assertEqual(doc["code"], "invalid")


class DocumentCache(SigningCase):
    """Each process keeps the stored documents it created, completed or loaded
    (signing.document_cache_mb) and asks PostgreSQL only for the updates after
    the one it holds. Two processes share one database, one restarts, one
    holds a revision the database no longer matches: every signing stores the
    same bytes and verification a cache-less process would."""
    tls = False

    def lookups(self, server, cache="documents"):
        st, _, body, _ = server.metrics()
        self.assertEqual(st, 200)
        got = {}
        for result in ("hit", "miss"):
            m = re.search(r'^sealpact_cache_lookups_total\{cache="%s",result="%s"\} '
                          r'(\d+)$' % (cache, result), body.decode(), re.M)
            self.assertIsNotNone(m, body)
            got[result] = int(m.group(1))
        return got

    def held_bytes(self, server):
        """What the process's document cache counts, by part (/metrics)."""
        st, _, body, _ = server.metrics()
        self.assertEqual(st, 200)
        return {m.group(1): int(m.group(2)) for m in re.finditer(
            r'^sealpact_doc_cache_bytes\{part="([a-z_]+)"\} (\d+)$', body.decode(), re.M)}

    def test_a_parse_kept_while_a_signer_is_left(self):
        """qpdf's parse of a signed revision is kept for the next signer's prepare and
        claim, counted as twice the document; the last signature's is not kept (nobody
        signs that contract again), and the entry then counts its document and report."""
        a = self.server
        for slug, alg in (("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa")):
            self.login_api(slug, alg)
        with open(LONG, "rb") as f:
            upload = f.read()
        n = self.create([("supplier", 1), ("logistics", 2)], upload)
        self.done = []
        # revision 0, held since the create: the upload as stored
        stored = int(self.db.query("SELECT length FROM revisions WHERE contract_number = %s "
                                   "AND seq = 0" % n))
        b0 = self.held_bytes(a)
        self.assertEqual(b0["limit"], 512 << 20, "the default bound")
        first = self.sign("supplier", "rsa", n, a, a)
        b1 = self.held_bytes(a)
        self.assertEqual(b1["document"] - b0["document"], first["length"] - stored)
        self.assertEqual(b1["parse"] - b0["parse"], 2 * first["length"])
        self.assertGreater(b1["report"], b0["report"])
        last = self.sign("logistics", "ec", n, a, a)
        b2 = self.held_bytes(a)
        self.assertEqual(b2["document"] - b0["document"], last["length"] - stored)
        self.assertEqual(b2["parse"], b0["parse"])
        self.assertGreater(b2["report"], b1["report"])
        st, _, _, got = self.call("supplier", "GET", "/api/v1/contracts/%s" % n)
        self.assertEqual(got["status"], "completed", got)
        # the last signature's revision is held as one no signer opens again, and the
        # other per-object caches say what they hold: the seal picture encoded, the
        # signers' certificates decoded, each within its bound
        st, _, body, _ = a.metrics()
        text = body.decode()
        seg = {m.group(1): int(m.group(2)) for m in re.finditer(
            r'^sealpact_doc_cache_segment_bytes\{segment="([a-z]+)"\} (\d+)$', text, re.M)}
        self.assertEqual(sum(seg.values()), sum(v for k, v in b2.items() if k != "limit"))
        self.assertGreaterEqual(seg["done"], last["length"])
        held = {(m.group(1), m.group(2)): int(m.group(3)) for m in re.finditer(
            r'^sealpact_cache_bytes\{cache="([a-z_]+)",part="([a-z]+)"\} (\d+)$', text, re.M)}
        entries = {m.group(1): int(m.group(2)) for m in re.finditer(
            r'^sealpact_cache_entries\{cache="([a-z_]+)"\} (\d+)$', text, re.M)}
        for cache in ("seal_images", "certificates"):
            self.assertGreaterEqual(entries[cache], 1, text)
            self.assertGreater(held[(cache, "held")], 0, text)
            self.assertLessEqual(held[(cache, "held")], held[(cache, "limit")])

    def test_a_member_s_certificate_decoded_once(self):
        """The certificate a member logs in with is decoded once in the process and kept:
        the member's prepare finds it decoded (issue 14: OpenSSL 3 decodes a certificate's
        public key slowly, and each signer's first prepare decoded it a second time)."""
        a = self.server

        def held():
            st, _, body, _ = a.metrics()
            self.assertEqual(st, 200)
            m = re.search(r'^sealpact_cache_entries\{cache="certificates"\} (\d+)$',
                          body.decode(), re.M)
            self.assertIsNotNone(m, body)
            return int(m.group(1))

        e0 = held()
        self.login_api("buyer", "rsa")
        self.login_api("supplier", "rsa")
        self.assertEqual(held(), e0 + 2, "each member's certificate kept at its login")
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        self.prepare_at("supplier", "rsa", n, a)
        self.assertEqual(held(), e0 + 2, "the prepare decoded no certificate again")

    def sign(self, slug, alg, n, prep_at, done_at):
        self.act(slug, n, "receive")
        prep = self.prepare_at(slug, alg, n, prep_at)
        st, _, _, doc = self.complete(slug, prep["session"], self.token_sign(slug, alg, prep),
                                      server=done_at)
        self.assertEqual(st, 200, doc)
        self.done.append(doc["seq"])
        self.act(slug, n, "send")
        # what the signer got back is what is stored, and the stored bytes are whole
        row = self.db.query("SELECT length || ' ' || sha256 FROM revisions WHERE "
                            "contract_number = %s AND seq = %d" % (n, doc["seq"])).split()
        self.assertEqual((int(row[0]), row[1]), (doc["length"], doc["sha256"]))
        data = self.fetch(n, doc["seq"])
        self.assertEqual(len(data), doc["length"])
        self.assertEqual(hashlib.sha256(data).hexdigest(), doc["sha256"])
        return doc

    def fetch(self, n, seq, server=None):
        st, _, data, _ = self.call("buyer", "GET", "/api/v1/contracts/%s/revisions/%d/document"
                                   % (n, seq), server=server)
        self.assertEqual(st, 200)
        return data

    def prepare_at(self, slug, alg, n, server):
        crt, _ = PKI.org_cert(slug, alg)
        body = {"certificate": base64.b64encode(der_of(crt)).decode(),
                "chain": [base64.b64encode(der_of(PKI.path("ca.pem"))).decode()],
                "placements": [{"mode": "normal", "seal": "default", "page": 1, "x": 400,
                                "y": 120}]}
        st, _, _, prep = self.call(slug, "POST", "/api/v1/contracts/%s/signing-sessions" % n,
                                   body, server=server)
        self.assertEqual(st, 201, prep)
        return prep

    def abort_at(self, slug, prep, server):
        st, _, _, doc = self.call(slug, "DELETE", "/api/v1/signing-sessions/%s" % prep["session"],
                                  server=server)
        self.assertEqual(st, 200, doc)

    def test_two_processes_a_restart_and_a_mismatch(self):
        a = self.server
        b = self.other("b", document_cache_mb=64)
        off = self.other("off", document_cache_mb=0)
        for slug, alg in (("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa")):
            self.login_api(slug, alg)
        with open(LONG, "rb") as f:
            n = self.create([("supplier", 1), ("logistics", 2), ("buyer", 3)], f.read())
        self.done = []
        # 1: prepared and completed where the upload was created: both found revision 0;
        # the claim found the session's update its prepare kept (PostgreSQL left it out)
        h0, u0 = self.lookups(a), self.lookups(a, "session_updates")
        self.sign("supplier", "rsa", n, a, a)
        h1, u1 = self.lookups(a), self.lookups(a, "session_updates")
        self.assertEqual((h1["hit"] - h0["hit"], h1["miss"] - h0["miss"]), (2, 0))
        self.assertEqual((u1["hit"] - u0["hit"], u1["miss"] - u0["miss"]), (1, 0))
        # 2: the other process holds nothing: its prepare loads everything and keeps it,
        # its claim (the session noted at prepare) finds it, and the update
        h0, u0 = self.lookups(b), self.lookups(b, "session_updates")
        self.sign("logistics", "ec", n, b, b)
        h1, u1 = self.lookups(b), self.lookups(b, "session_updates")
        self.assertEqual((h1["hit"] - h0["hit"], h1["miss"] - h0["miss"]), (1, 1))
        self.assertEqual((u1["hit"] - u0["hit"], u1["miss"] - u0["miss"]), (1, 0))
        # 3a: the first process holds revision 1: the statement sends revision 2's update
        # alone, and the process keeps revision 2 for the next
        self.act("buyer", n, "receive")
        h0 = self.lookups(a)
        self.abort_at("buyer", self.prepare_at("buyer", "rsa", n, a), a)
        h1 = self.lookups(a)
        self.assertEqual((h1["hit"] - h0["hit"], h1["miss"] - h0["miss"]), (1, 0))
        # 3b: a superuser's edit makes the stored revision 2 differ from what is held
        # (another digest): the statement sends everything and the entry goes
        sha2 = self.db.query("SELECT sha256 FROM revisions WHERE contract_number = %s AND "
                             "seq = 2" % n)
        edit = ("ALTER TABLE revisions DISABLE TRIGGER revisions_immutable; UPDATE revisions "
                "SET sha256 = '%s' WHERE contract_number = %s AND seq = 2; ALTER TABLE "
                "revisions ENABLE TRIGGER revisions_immutable")
        self.db.query(edit % ("0" * 64, n))
        self.abort_at("buyer", self.prepare_at("buyer", "rsa", n, a), a)
        self.db.query(edit % (sha2, n))
        h0 = self.lookups(a)
        self.abort_at("buyer", self.prepare_at("buyer", "rsa", n, a), a)
        h1 = self.lookups(a)
        self.assertEqual((h1["hit"] - h0["hit"], h1["miss"] - h0["miss"]), (0, 1),
                         "the mismatched entry was dropped")
        # 3c: after a restart nothing is held; prepared there, completed in the first
        # process (the session is not noted there, nor its update: the claim sends
        # everything, and the completion stores what it would have)
        b.stop()
        b.start()
        h0 = self.lookups(b)
        prep = self.prepare_at("buyer", "rsa", n, b)
        self.assertEqual(self.lookups(b)["miss"] - h0["miss"], 1)
        u0 = self.lookups(a, "session_updates")
        st, _, _, doc = self.complete("buyer", prep["session"],
                                      self.token_sign("buyer", "rsa", prep), server=a)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["seq"], 3)
        u1 = self.lookups(a, "session_updates")
        self.assertEqual((u1["hit"] - u0["hit"], u1["miss"] - u0["miss"]), (0, 1))
        self.act("buyer", n, "send")
        st, _, _, got = self.call("buyer", "GET", "/api/v1/contracts/%s" % n)
        self.assertEqual(got["status"], "completed", got)
        # every revision is the document a process without the cache serves, with the
        # stored length and digest, and the stored bytes verify as that process
        # verifies them afresh
        for seq in range(0, 4):
            data = self.fetch(n, seq)
            self.assertEqual(data, self.fetch(n, seq, server=off), "revision %d" % seq)
            row = self.db.query("SELECT length || ' ' || sha256 FROM revisions WHERE "
                                "contract_number = %s AND seq = %d" % (n, seq)).split()
            self.assertEqual((len(data), hashlib.sha256(data).hexdigest()),
                             (int(row[0]), row[1]), "revision %d" % seq)
        # the contract's verification in the first process reads the document it holds
        # (the revision its completion stored): the same answer as without the cache
        h0 = self.lookups(a)
        st, _, _, kept = self.call("buyer", "GET", "/api/v1/contracts/%s/verification" % n)
        self.assertEqual(st, 200, kept)
        st, _, _, fresh_a = self.call("buyer", "GET", "/api/v1/contracts/%s/verification"
                                      "?fresh=true" % n)
        self.assertEqual(st, 200, fresh_a)
        self.assertEqual(self.lookups(a)["hit"] - h0["hit"], 2)
        st, _, _, fresh = self.call("buyer", "GET", "/api/v1/contracts/%s/verification"
                                    "?fresh=true" % n, server=off)
        self.assertEqual(st, 200, fresh)
        self.assertEqual(kept, fresh)
        self.assertEqual(fresh_a, fresh)
        self.assertEqual(len(kept["signatures"]), 4)  # three signers, the B-LTA timestamp
        self.assertIn(kept["verdict"], ("valid", "valid_with_allowed_changes"), kept)
        path = os.path.join(self.tmp, "final.pdf")
        with open(path, "wb") as f:
            f.write(self.fetch(n, 3))
        sigs = signatures(pdfsig(path))
        self.assertEqual(len(sigs), 3)
        for sig in sigs:
            self.assertIn("Signature is Valid.", sig)


class StoredVerificationLTA(SigningCase):
    """At B-LTA (a DSS after every signature, a document timestamp from the
    last signer) completion keeps each revision's report too, the appended
    DSS and document timestamp merged in, and it is what a fresh verification
    reports: field by field, levels and changes included."""
    tls = False
    signing_extra = {"level": "B-LTA"}

    def verification(self, n, query=""):
        st, _, _, doc = self.call("buyer", "GET", "/api/v1/contracts/%s/verification%s" % (n, query))
        self.assertEqual(st, 200, doc)
        return doc

    def test_stored_report_is_the_fresh_report_at_b_lta(self):
        signers = (("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa"))
        for slug, alg in signers:
            self.login_api(slug, alg)
        n = self.create([(slug, i + 1) for i, (slug, _) in enumerate(signers)])
        for k, (slug, alg) in enumerate(signers, start=1):
            self.act(slug, n, "receive")
            prep = self.prepared(slug, n, alg)
            reads = self.refs_lookups("revision_reads")
            st, _, _, doc = self.complete(slug, prep["session"], self.token_sign(slug, alg, prep))
            self.assertEqual(st, 200, doc)
            # as at B-T (the earlier signatures, pages, count, form's facts, revisions
            # and merged entries), and the earlier signatures for the DSS update, the
            # /VRI keys the completion that stored the base hashed (not hashed again) and
            # the /VRI keys of the base's DSS (the engine does not read it again), and
            # that DSS as the
            # verification of the base read it (the DSS update decodes only what the
            # signature's update adds): all hits after the first signing; at the first,
            # the pages, the form's facts and the prepare's reads count hit, the rest is
            # not asked for or misses (the upload is verified whole)
            got = self.refs_lookups("revision_reads")
            self.assertEqual((got["hit"] - reads["hit"], got["miss"] - reads["miss"]),
                             (11, 0) if k > 1 else (3, 7), "completion of signing %d" % k)
            stored = self.db.query("SELECT verification FROM revisions WHERE contract_number = "
                                   "%s AND seq = %d" % (n, k))
            self.assertTrue(stored, "revision %d has no stored report" % k)
            length = int(self.db.query("SELECT length FROM revisions WHERE contract_number = "
                                       "%s AND seq = %d" % (n, k)))
            self.assertEqual(json.loads(stored)["size"], length)
            self.act(slug, n, "send")
            kept, fresh = self.verification(n), self.verification(n, "?fresh=true")
            self.assertEqual(kept, fresh)
            sigs = [s for s in kept["signatures"] if not s["doc_timestamp"]]
            self.assertEqual(len(sigs), k)
            for sig in sigs:
                self.assertTrue(sig["checks"]["signature"], sig)
                self.assertTrue(sig["checks"]["timestamp"], sig)
                # every signature has its DSS; the last signer's document timestamp
                # makes them all B-LTA
                self.assertEqual(sig["level"], "pades_b_lta" if k == len(signers)
                                 else "pades_b_lt", sig)
                self.assertEqual(sig["verdict"], "valid_with_allowed_changes", sig)
                self.assertGreater(sig["changes"]["allowed"], 0, sig)
            self.assertEqual(len(kept["signatures"]) - len(sigs), 1 if k == len(signers) else 0)
        # in one trip each, the last signer's with its document timestamp (the claim's
        # last_signer as the prepare's statement said it, compared where it stored)
        self.assertEqual(self.counts(), (3, 0))
        # the last answer came from the stored report
        self.db.query("UPDATE revisions SET verification = jsonb_set(verification::jsonb, "
                      "'{message}', '\"stored marker\"')::text WHERE contract_number = %s "
                      "AND seq = 3" % n)
        self.assertEqual(self.verification(n)["message"], "stored marker")


class Failures(SigningCase):

    def setUp(self):
        super().setUp()
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login(slug, alg)

    def test_wrong_and_tampered_signature_values_store_nothing(self):
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n)
        self.assertEqual(prep["algorithm"], "sha256WithRSAEncryption")
        self.assertEqual(len(prep["rects"]), 1)
        other = openssl_sign(PKI.org_cert("supplier", "rsa")[1], b"something else")
        st, _, _, doc = self.complete("supplier", prep["session"], other)
        self.assertEqual((st, doc["code"]), (422, "bad_signature"), doc)
        good = self.token_sign("supplier", "rsa", prep)
        bad = bytearray(good)
        bad[len(bad) // 2] ^= 0x01
        st, _, _, doc = self.complete("supplier", prep["session"], bytes(bad))
        self.assertEqual((st, doc["code"]), (422, "bad_signature"), doc)
        st, _, _, doc = self.call("supplier", "POST", "/api/v1/signing-sessions/%s/complete"
                                  % prep["session"], {"signature": "not base64!"})
        self.assertEqual(st, 400, doc)
        self.assertEqual(self.revisions(n), 1)
        # A byte of the stored update tampered with. The update is written once (034):
        # the statement is refused.
        tamper = ("UPDATE signing_sessions SET delta = set_byte(delta, 40, get_byte(delta, 40) "
                  "# 1) WHERE id = '%s'" % prep["session"])
        with self.assertRaises(RuntimeError) as refused:
            self.db.query(tamper)
        self.assertIn("update is written once", str(refused.exception))
        # A superuser who turns the rule off does it; completed in a process that does not
        # hold the update it sent at prepare (this one, restarted), which gets the stored
        # bytes from PostgreSQL: the new revision fails verification.
        self.db.query("ALTER TABLE signing_sessions DISABLE TRIGGER signing_sessions_delta_once; "
                      + tamper + "; ALTER TABLE signing_sessions ENABLE TRIGGER "
                      "signing_sessions_delta_once")
        self.server.stop()
        self.server.start()
        st, _, body, doc = self.complete("supplier", prep["session"], good)
        self.assertEqual(st, 500, body)
        self.assertEqual(doc["code"], "verification_failed", doc)
        self.assertEqual(self.revisions(n), 1)
        # The session is still usable with a fresh prepare; the party is not signed.
        party = self.db.query("SELECT p.status FROM parties p JOIN organizations o ON "
                              "o.id = p.organization_id WHERE contract_number = %s AND "
                              "o.credit_code = '%s'" % (n, self.orgs["supplier"]["credit_code"]))
        self.assertEqual(party, "received")

    def test_replay_expired_aborted_sessions(self):
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        expired = self.prepared("supplier", n)
        aborted = self.prepared("supplier", n)
        prep = self.prepared("supplier", n)
        self.db.query("UPDATE signing_sessions SET created_at = now() - interval '2 hours', "
                      "expires_at = now() - interval '1 hour' WHERE id = '%s'"
                      % expired["session"])
        st, _, _, doc = self.complete("supplier", expired["session"],
                                      self.token_sign("supplier", "rsa", expired))
        self.assertEqual((st, doc["code"]), (410, "session_expired"), doc)
        st, _, _, doc = self.call("supplier", "DELETE", "/api/v1/signing-sessions/%s"
                                  % aborted["session"])
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.complete("supplier", aborted["session"],
                                      self.token_sign("supplier", "rsa", aborted))
        self.assertEqual((st, doc["code"]), (409, "session_used"), doc)
        self.assertEqual(self.revisions(n), 1)
        sig = self.token_sign("supplier", "rsa", prep)
        st, _, _, doc = self.complete("supplier", prep["session"], sig)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["seq"], 1)
        self.assertEqual(self.revisions(n), 2)
        st, _, _, doc = self.complete("supplier", prep["session"], sig)
        self.assertEqual((st, doc["code"]), (409, "session_used"), doc)
        self.assertEqual(self.revisions(n), 2)
        # Another organization cannot see or use the session.
        st, _, _, doc = self.complete("logistics", prep["session"], sig)
        self.assertEqual(st, 404, doc)

    def test_no_signature_is_stored_after_the_deadline(self):
        """sec37: the deadline was kept by the expiry sweep alone (200 contracts a
        second, each initiator's earliest deadlines first), and the signing
        statements looked at the status only: behind a backlog of due contracts a
        counterparty's signature was stored past the contract's deadline (200).
        Storing a signature now checks the deadline itself."""
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n)
        # the initiator's own 4,000 contracts due since yesterday: some 20 s of sweeps
        # (another organization's backlog no longer delays this one's: test_workflow)
        self.db.query(
            "INSERT INTO contracts (number, name, initiator_org_id, initiator_user_id, deadline, "
            "status, page_count, sha256, sent_at) SELECT number + g, name, initiator_org_id, "
            "initiator_user_id, now() - interval '1 day', status, page_count, sha256, sent_at "
            "FROM contracts, generate_series(1, 4000) g WHERE number = %s" % n)
        self.db.query("UPDATE contracts SET deadline = now() - interval '1 second' "
                      "WHERE number = %s" % n)
        st, _, _, doc = self.complete("supplier", prep["session"],
                                      self.token_sign("supplier", "rsa", prep))
        self.assertEqual((st, doc.get("code")), (409, "wrong_state"), doc)
        self.assertIn("deadline", doc["detail"])
        self.assertEqual(self.revisions(n), 1)

    def test_stale_session_after_a_parallel_signature(self):
        n = self.create([("supplier", 1), ("logistics", 1)])
        self.act("supplier", n, "receive")
        self.act("logistics", n, "receive")
        a = self.prepared("supplier", n)
        b = self.prepared("logistics", n, "ec")
        self.assertEqual(b["algorithm"], "ecdsa-with-SHA256")
        st, _, _, doc = self.complete("supplier", a["session"], self.token_sign("supplier", "rsa", a))
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.complete("logistics", b["session"],
                                      self.token_sign("logistics", "ec", b))
        self.assertEqual((st, doc["code"]), (409, "stale_revision"), doc)
        self.assertEqual(self.revisions(n), 2)
        # Prepared again on revision 1, it goes through.
        b = self.prepared("logistics", n, "ec")
        st, _, _, doc = self.complete("logistics", b["session"],
                                      self.token_sign("logistics", "ec", b))
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.revisions(n), 3)
        sigs = signatures(pdfsig(self.download("buyer", n)))
        self.assertEqual(len(sigs), 2)
        for s in sigs:
            self.assertIn("Signature is Valid.", s)

    def test_sm2_certificate_of_the_same_organization(self):
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n, "sm2")
        self.assertEqual(prep["algorithm"], "SM2-with-SM3")
        _, key = PKI.org_cert("supplier", "sm2")
        sig = openssl_sign(key, base64.b64decode(prep["to_be_signed"]), sm2=True)
        st, _, _, doc = self.complete("supplier", prep["session"], sig)
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.revisions(n), 2)
        # The new certificate is now one of the organization's.
        self.assertEqual(int(self.db.query(
            "SELECT count(*) FROM certificates c JOIN organizations o ON o.id = c.organization_id"
            " WHERE o.credit_code = '%s'" % self.orgs["supplier"]["credit_code"])), 2)

    def test_open_sessions_are_bounded_per_party(self):
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        for _ in range(20):
            self.prepared("supplier", n, placements=[])
        st, _, _, doc = self.prepare("supplier", n, placements=[])
        self.assertEqual(st, 409, doc)
        self.assertIn("20 open signing sessions", doc["detail"])
        first = self.db.query("SELECT id FROM signing_sessions ORDER BY created_at LIMIT 1")
        st, _, _, doc = self.call("supplier", "DELETE", "/api/v1/signing-sessions/%s" % first)
        self.assertEqual(st, 200, doc)
        self.prepared("supplier", n, placements=[])

    def test_prepare_drops_sessions_expired_an_hour_ago(self):
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        for _ in range(20):
            self.prepared("supplier", n, placements=[])
        ids = self.db.query("SELECT string_agg(id::text, ',' ORDER BY created_at) "
                            "FROM signing_sessions").split(",")
        # five expired two hours ago, five ten minutes ago: neither is counted
        for few, ago in ((ids[:5], "2 hours"), (ids[5:10], "10 minutes")):
            self.db.query("UPDATE signing_sessions SET created_at = now() - interval '3 hours', "
                          "expires_at = now() - interval '%s' WHERE id IN (%s)"
                          % (ago, ",".join("'%s'" % i for i in few)))
        self.prepared("supplier", n, placements=[])
        # the prepare dropped the five that expired more than an hour ago
        left = self.db.query("SELECT string_agg(id::text, ',' ORDER BY created_at) "
                             "FROM signing_sessions").split(",")
        self.assertEqual(len(left), 16)
        self.assertFalse(set(ids[:5]) & set(left))
        self.assertTrue(set(ids[5:]) <= set(left))
        for _ in range(9):
            self.prepared("supplier", n, placements=[])
        st, _, _, doc = self.prepare("supplier", n, placements=[])
        self.assertEqual(st, 409, doc)
        self.assertIn("20 open signing sessions", doc["detail"])
        self.assertEqual(self.db.query("SELECT count(*) FROM signing_sessions"), "25")

    def test_prepare_refusals_change_nothing(self):
        n = self.create([("supplier", 1)])
        st, _, _, doc = self.prepare("supplier", n)
        # The turn rule (migrations/005): a pending party receives before it signs.
        self.assertEqual((st, doc["code"]), (409, "wrong_state"), doc)
        self.assertIn("receive the contract before signing it", doc["detail"])
        self.act("supplier", n, "receive")
        # Another organization's certificate.
        crt, _ = PKI.org_cert("logistics", "ec")
        body = {"certificate": base64.b64encode(der_of(crt)).decode(), "placements": []}
        st, _, _, doc = self.call("supplier", "POST", "/api/v1/contracts/%s/signing-sessions" % n,
                                  body)
        self.assertEqual((st, doc["code"]), (422, "certificate_not_yours"), doc)
        for bad, code in (([{"mode": "normal", "page": 9, "x": 1, "y": 1}], None),
                          ([{"mode": "nope"}], "placement_mode"),
                          ([{"mode": "normal", "seal": 42, "page": 1, "x": 100, "y": 100}],
                           "seal_not_found"),
                          ([{"mode": "keyword", "keyword": "不存在的词"}], None)):
            st, _, _, doc = self.prepare("supplier", n, placements=bad)
            self.assertEqual(st, 422, doc)
            if code:
                self.assertEqual(doc["code"], code, doc)
        # Integers out of range are refused as such, never cast: 2^32 + 1 is not page 1.
        for bad, what in (([{"mode": "normal", "page": 4294967297, "x": 100, "y": 100}], "page"),
                          ([{"mode": "normal", "page": 0, "x": 100, "y": 100}], "page"),
                          ([{"mode": "date", "page": -4294967295, "x": 100, "y": 100}], "page"),
                          ([{"mode": "keyword", "keyword": "Signature", "occurrence": 0}],
                           "occurrence"),
                          ([{"mode": "keyword", "keyword": "Signature",
                             "occurrence": 4294967297}], "occurrence")):
            st, _, _, doc = self.prepare("supplier", n, placements=bad)
            self.assertEqual((st, doc["code"]), (422, "invalid"), doc)
            self.assertIn(what, doc["detail"])
        # A key twice, as on every other route (sec37: the last one was taken, where a
        # proxy or a log reads the first): 400 malformed_json.
        crt, _ = PKI.org_cert("supplier", "rsa")
        cert = base64.b64encode(der_of(crt)).decode()
        raw = ('{"certificate": "%s", "placements": [{"mode": "normal", "seal": "default", '
               '"page": 1, "x": 100, "y": 100}], "placements": []}' % cert).encode()
        st, _, _, doc = self.server.request(
            "POST", "/api/v1/contracts/%s/signing-sessions" % n, body=raw,
            headers={"Authorization": "Bearer " + self.tokens["supplier"],
                     "Content-Type": "application/json"})
        self.assertEqual((st, doc["code"]), (400, "malformed_json"), doc)
        self.assertIn("duplicate", doc["detail"])
        self.assertEqual(int(self.db.query("SELECT count(*) FROM signing_sessions")), 0)
        self.assertEqual(self.revisions(n), 1)


class OneTripIn(SigningCase):
    """Prepare and complete check the bearer credential in the statement that loads the
    contract or claims the session (migration 014, auth_member): every answer is the one
    auth_then() gives, in the same order, and nothing is claimed or stored for a caller
    that may not act."""

    def raw(self, token, method, path, body, ctype="application/json"):
        h = {"Content-Type": ctype}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        return self.server.request(method, path, body=body, headers=h, timeout=60)

    def test_credential_checked_with_the_session(self):
        for slug in ("buyer", "supplier", "logistics"):
            self.login_api(slug, "rsa")
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        st, _, _, doc = self.call("supplier", "POST", "/api/v1/api-keys", {"name": "erp"})
        self.assertEqual(st, 201, doc)
        api_key = doc["key"]
        crt, key = PKI.org_cert("supplier", "rsa")
        st, _, _, doc = harness.api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        gone = doc["token"]
        st, _, _, doc = self.raw(gone, "POST", "/api/v1/auth/logout", b"")
        self.assertEqual(st, 200, doc)
        p = harness.create_reviewer(self.server, "rev", "reviewer password 1")
        self.assertEqual(p.returncode, 0, p.stderr)
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login", body={
            "username": "rev", "password": "reviewer password 1"})
        self.assertEqual(st, 200, doc)
        reviewer = doc["token"]
        unknown = "A" * 43
        refused = ((None, 401), (unknown, 401), (gone, 401), (api_key, 403), (reviewer, 403))

        def expect(token, want, method, path, body):
            st, hdrs, _, doc = self.raw(token, method, path, body)
            self.assertEqual(st, want, (token, path, doc))
            if want == 401:
                self.assertEqual(doc["code"], "unauthorized")
                self.assertIn("Bearer", hdrs.get("www-authenticate", ""))
            elif want == 403:
                self.assertEqual((doc["code"], doc["detail"]),
                                 ("forbidden", "This credential may not use this operation."))
            return doc

        crt, _ = PKI.org_cert("supplier", "rsa")
        body = json.dumps({"certificate": base64.b64encode(der_of(crt)).decode(),
                           "placements": [{"mode": "date", "page": 1, "x": 400,
                                           "y": 120}]}).encode()
        prep_path = "/api/v1/contracts/%s/signing-sessions" % n
        # The credential is judged before the body, and before the contract.
        for token, want in refused:
            expect(token, want, "POST", prep_path, body)
            expect(token, want, "POST", prep_path, b"{not json")
            expect(token, want, "POST", "/api/v1/contracts/1/signing-sessions", body)
        doc = expect(self.tokens["supplier"], 400, "POST", prep_path, b"{not json")
        self.assertEqual(doc["code"], "malformed_json")
        # Another organization: the contract is not there for it.
        doc = expect(self.tokens["logistics"], 404, "POST", prep_path, body)
        self.assertEqual(doc["detail"], "no such contract")
        self.assertEqual(int(self.db.query("SELECT count(*) FROM signing_sessions")), 0)

        prep = self.prepared("supplier", n)
        sig = self.token_sign("supplier", "rsa", prep)
        done_path = "/api/v1/signing-sessions/%s/complete" % prep["session"]
        done_body = json.dumps({"signature": base64.b64encode(sig).decode()}).encode()
        for token, want in refused:
            expect(token, want, "POST", done_path, done_body)
            expect(token, want, "POST", done_path, b"[")
        # A session of another organization is answered like one that does not exist.
        for slug in ("logistics", "buyer"):
            doc = expect(self.tokens[slug], 404, "POST", done_path, done_body)
            self.assertEqual(doc["detail"], "no such signing session")
        # Nothing was claimed: the session's own organization completes it once.
        st, _, _, doc = self.complete("supplier", prep["session"], sig)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["seq"], 1)
        st, _, _, doc = self.complete("supplier", prep["session"], sig)
        self.assertEqual((st, doc["code"]), (409, "session_used"), doc)
        self.assertEqual(self.revisions(n), 2)
        self.assertEqual(self.db.query("SELECT valid FROM audit_chain_verify(%s)" % n), "t")


class SealsOnPage(SigningCase):
    """A seal, date stamp or seam slice reaching past the visible page is refused (never
    moved), by the API with nothing stored, and by `sealpact sign` before the PIN."""

    def test_api_refuses_boxes_off_the_page(self):
        self.login_api("buyer", "rsa")
        self.login_api("supplier", "rsa")
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        # short.pdf: one A4 page, 595.3 x 841.9 points.
        for bad, where in (
                ([{"mode": "normal", "seal": "default", "page": 1, "x": 10, "y": 10}],
                 "the seal -49.5,-49.5 - 69.5,69.5"),
                ([{"mode": "date", "page": 1, "x": 590, "y": 5}], "the date stamp"),
                ([{"mode": "multi", "seal": "default", "pages": "1", "x": 300, "y": 800}],
                 "the seal"),
                ([{"mode": "keyword", "seal": "default", "keyword": "乙方（盖章）", "dy": 900}],
                 "the seal"),
                ([{"mode": "normal", "seal": "default", "page": 1, "x": 300, "y": 400},
                  {"mode": "date", "page": 1, "x": 300, "y": 837}], "placement 2: ")):
            st, _, _, doc = self.prepare("supplier", n, placements=bad)
            self.assertEqual((st, doc.get("code")), (422, "placement_outside"), doc)
            self.assertIn(where, doc["detail"])
            self.assertIn("outside page 1, whose visible box is 0,0 - 595.3,841.9",
                          doc["detail"])
        self.assertEqual(int(self.db.query("SELECT count(*) FROM signing_sessions")), 0)
        self.assertEqual(self.revisions(n), 1)
        # Touching the edge exactly is on the page (42 mm seal: 59.53 points each side).
        self.prepared("supplier", n, placements=[
            {"mode": "normal", "seal": "default", "page": 1, "x": 59.6, "y": 841.8 - 59.6}])

    def test_client_refuses_before_the_pin(self):
        self.login_api("buyer", "rsa")
        self.login("supplier", "rsa")
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        # No PIN is available at all: a refusal must come before the client asks for it.
        p = self.cli("supplier", "sign", n, "--module", MODULE, "--token", "supplier-rsa",
                     "--key-id", "01", "--pin-file", os.path.join(self.tmp, "no-pin"),
                     "--normal", "1,10,10")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("placement_outside", p.stderr)
        self.assertIn("outside page 1, whose visible box is 0,0 - 595.3,841.9", p.stderr)
        self.assertNotIn("PIN", p.stderr)
        self.assertNotIn("no-pin", p.stderr)
        self.assertNotIn("Seal placements", p.stdout)
        self.assertEqual(int(self.db.query("SELECT count(*) FROM signing_sessions")), 0)
        # Offline: the same refusal from the same resolver, before the PIN and the output.
        out = os.path.join(self.tmp, "off.pdf")
        e = dict(os.environ)
        e.update(PKI.token_env())
        e.pop("SEALPACT_PIN", None)
        p = subprocess.run([harness.SEALPACT, "sign", "--offline", SHORT, out, "--module", MODULE,
                            "--token", "supplier-rsa", "--key-id", "01", "--pin-file",
                            os.path.join(self.tmp, "no-pin"), "--date", "1,590,5"],
                           capture_output=True, text=True, env=e, timeout=60)
        self.assertEqual(p.returncode, 65, p.stdout + p.stderr)  # the document refuses it
        self.assertIn("placement 1: the date stamp", p.stderr)
        self.assertIn("outside page 1, whose visible box is 0,0 - 595.3,841.9", p.stderr)
        self.assertNotIn("Seal placements", p.stdout)
        self.assertFalse(os.path.exists(out))
        # In range, the client shows the rectangle it will sign before asking for the PIN.
        p = self.cli("supplier", "sign", n, "--module", MODULE, "--token", "supplier-rsa",
                     "--key-id", "01", "--normal", "1,60,60")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("#1 normal  page 1: 0.5,0.5 - 119.5,119.5", p.stdout)


class ConcurrentComplete(SigningCase):

    def setUp(self):
        super().setUp()
        for slug in ("buyer", "supplier"):
            self.login_api(slug, "rsa")

    def test_two_concurrent_completes_of_one_session_store_once(self):
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n)
        sig = self.token_sign("supplier", "rsa", prep)
        self.assertEqual(self.revisions(n), 1)
        gate = threading.Barrier(2)

        def one(_):
            gate.wait(timeout=30)
            st, _, _, doc = self.complete("supplier", prep["session"], sig)
            return st, doc

        # Both requests are in flight together: each claims the session and has a
        # worker build and check a signed revision; the row lock of
        # signing_session_complete lets exactly one store it.
        (st1, won), (st2, lost) = sorted(harness.parallel(2, one), key=lambda x: x[0])
        self.assertEqual(st1, 200, won)
        self.assertEqual((st2, lost["code"]), (409, "session_used"), lost)
        self.assertEqual(won["seq"], 1)
        self.assertEqual(self.revisions(n), 2)
        self.assertEqual(self.db.query("SELECT state FROM signing_sessions WHERE id = '%s'"
                                       % prep["session"]), "completed")
        # The update is stored once (the revision), and its /Contents placeholder
        # is sized for this signer's CMS, not a fixed 16 KiB: RSA-2048 with the
        # chain and the built-in TSA's token takes about 5 KB.
        self.assertEqual(self.db.query(
            "SELECT delta IS NULL AND (contents_len - 2) / 2 BETWEEN 3000 AND 9000 "
            "FROM signing_sessions WHERE id = '%s'" % prep["session"]), "t")
        self.assertEqual(int(self.db.query(
            "SELECT count(*) FROM audit_events WHERE contract_number = %s AND "
            "action = 'signing.completed'" % n)), 1)
        # The audit event records where the request came from.
        self.assertEqual(self.db.query(
            "SELECT host(ip) FROM audit_events WHERE contract_number = %s AND "
            "action = 'signing.completed'" % n), "127.0.0.1")
        # The stored file is the winner's, and it verifies.
        f = self.download("buyer", n)
        with open(f, "rb") as fh:
            self.assertEqual(hashlib.sha256(fh.read()).hexdigest(), won["sha256"])
        rep = pdfsig(f)
        sigs = signatures(rep)
        self.assertEqual(len(sigs), 1, rep)
        self.assertIn("Signature is Valid.", sigs[0], rep)
        run(["qpdf", "--check", f])


    def test_completion_updates_the_session_in_place(self):
        # 022: no index of signing_sessions names a column the completion changes
        # (state, finished_at, the dropped prepared update), so its UPDATE is HOT:
        # the completed row is a heap-only tuple on the prepared row's page and
        # no index got an entry for it. The session still answers as before.
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n)
        st, _, _, doc = self.complete("supplier", prep["session"],
                                      self.token_sign("supplier", "rsa", prep))
        self.assertEqual(st, 200, doc)
        self.db.query("CREATE EXTENSION IF NOT EXISTS pageinspect")
        tid = "(s.ctid::text::point)"
        self.assertEqual(self.db.query(
            "SELECT s.state || '|' || (s.delta IS NULL) || '|' || "
            "((i.t_infomask2 & 32768) <> 0) FROM signing_sessions s, "
            "heap_page_items(get_raw_page('signing_sessions', %s[0]::integer)) i "
            "WHERE s.id = '%s' AND i.lp = %s[1]::integer" % (tid, prep["session"], tid)),
            "completed|true|true")
        # single use, as before
        st, _, _, doc = self.complete("supplier", prep["session"],
                                      self.token_sign("supplier", "rsa", prep))
        self.assertEqual((st, doc["code"]), (409, "session_used"), doc)


class OneTripOut(SigningCase):
    """A completion in the process that prepared the session, with the credential that
    prepared it, skips the claim (migration 035): the work runs at once and one statement
    checks what the claim checked and stores. Whenever a check does not hold, or the work
    fails, the claim's path runs after all: every answer, its code and its words are the
    ones that path gives, and nothing is stored twice or for nothing. At B-T;
    OneTripOutLTA: the claim's last_signer, which B-LTA's work depends on."""
    tls = False
    signing_extra = {"level": "B-T"}

    def setUp(self):
        super().setUp()
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)

    def received(self, *slugs):
        n = self.create([(s, 1) for s in slugs])
        for s in slugs:
            self.act(s, n, "receive")
        return n

    def expect(self, slug, prep, status, code, detail=None, server=None, sig=None):
        st, _, _, doc = self.complete(slug, prep["session"],
                                      sig or self.token_sign(slug, "rsa", prep), server=server)
        self.assertEqual((st, doc.get("code")), (status, code), doc)
        if detail is not None:
            self.assertEqual(doc["detail"], detail, doc)
        return doc

    def stored_as_replied(self, n, doc):
        row = self.db.query("SELECT length || ' ' || sha256 FROM revisions WHERE "
                            "contract_number = %s AND seq = %d" % (n, doc["seq"])).split()
        self.assertEqual((int(row[0]), row[1]), (doc["length"], doc["sha256"]))

    def test_one_trip_and_every_way_back(self):
        # stored in one trip: one statement after the prepare's (no claim), the reply and
        # the stored revision as the claim's path gives them, the audit chain whole
        n = self.received("supplier")
        prep = self.prepared("supplier", n)
        c0 = self.counts()
        doc = self.expect("supplier", prep, 200, None)
        self.assertEqual(self.counts(), (c0[0] + 1, c0[1]))
        self.assertEqual((doc["seq"], doc["session"]), (1, prep["session"]))
        self.assertEqual(doc["contract"]["number"], n)
        self.stored_as_replied(n, doc)
        self.assertEqual(self.revisions(n), 2)
        self.assertEqual(self.db.query("SELECT valid FROM audit_chain_verify(%s)" % n), "t")
        self.assertEqual(self.db.query(
            "SELECT string_agg(action, ',' ORDER BY id) FROM audit_events WHERE "
            "contract_number = %s AND action IN ('party.signed', 'signing.completed')" % n),
            "party.signed,signing.completed")
        sigs = signatures(pdfsig(self.download("buyer", n)))
        self.assertEqual(len(sigs), 1)
        self.assertIn("Signature is Valid.", sigs[0])
        # the same session again: this process holds revision 1 now, not the session's
        # base: the claim's path, which says it was used
        self.expect("supplier", prep, 409, "session_used",
                    "this signing session was already completed (single use)")
        self.assertEqual(self.counts(), (c0[0] + 1, c0[1]))

        # a wrong signature value: the work fails, the claim's path answers 422 and the
        # session stays usable, in one trip still
        n = self.received("supplier")
        prep = self.prepared("supplier", n)
        c0 = self.counts()
        other = openssl_sign(PKI.org_cert("supplier", "rsa")[1], b"something else")
        self.expect("supplier", prep, 422, "bad_signature", sig=other)
        self.assertEqual(self.counts(), (c0[0], c0[1] + 1))
        self.expect("supplier", prep, 200, None)
        self.assertEqual(self.counts(), (c0[0] + 1, c0[1] + 1))
        self.assertEqual(self.revisions(n), 2)

        # aborted, expired: as the claim words them
        n = self.received("supplier")
        aborted = self.prepared("supplier", n)
        expired = self.prepared("supplier", n)
        st, _, _, doc = self.call("supplier", "DELETE", "/api/v1/signing-sessions/%s"
                                  % aborted["session"])
        self.assertEqual(st, 200, doc)
        c0 = self.counts()
        self.expect("supplier", aborted, 409, "session_used", "this signing session was aborted")
        self.db.query("UPDATE signing_sessions SET created_at = now() - interval '2 hours', "
                      "expires_at = now() - interval '1 hour' WHERE id = '%s'"
                      % expired["session"])
        doc = self.expect("supplier", expired, 410, "session_expired")
        self.assertRegex(doc["detail"], r"^this signing session expired at \S+; prepare again$")
        self.assertEqual(self.counts(), (c0[0], c0[1] + 2))
        self.assertEqual(self.revisions(n), 1)

        # the credential that prepared is logged out, or its certificate revoked on the
        # platform, before the completion: 401 as the claim answers it, nothing stored
        for how in ("logout", "revoke"):
            n = self.received("supplier")
            crt, key = PKI.org_cert("supplier", "rsa")
            st, _, _, login = harness.api_login(self.server, crt, key)
            self.assertEqual(st, 200, login)
            keep = self.tokens["supplier"]
            self.tokens["supplier"] = login["token"]
            prep = self.prepared("supplier", n)
            if how == "logout":
                st, _, _, doc = self.call("supplier", "POST", "/api/v1/auth/logout")
                self.assertEqual(st, 200, doc)
            else:
                self.db.query("UPDATE certificates SET revoked_at = now() WHERE id = "
                              "(SELECT certificate_id FROM sessions WHERE revoked_at IS NULL "
                              "ORDER BY id DESC LIMIT 1)")
            c0 = self.counts()
            self.expect("supplier", prep, 401, "unauthorized",
                        "The credential is unknown, expired or revoked.")
            self.assertEqual(self.counts(), (c0[0], c0[1] + 1))
            self.assertEqual(self.revisions(n), 1)
            self.tokens["supplier"] = keep
            if how == "revoke":
                self.db.query("UPDATE certificates SET revoked_at = NULL")
                self.login_api("supplier", "rsa")
            # another credential of the same member completes it: the claim's path
            c0 = self.counts()
            self.expect("supplier", prep, 200, None)
            self.assertEqual(self.counts(), c0)

        # another organization: answered as a session that does not exist (its token is
        # not the one that prepared: the claim's path, no work done)
        n = self.received("supplier")
        prep = self.prepared("supplier", n)
        c0 = self.counts()
        self.expect("logistics", prep, 404, "not_found", "no such signing session",
                    sig=self.token_sign("supplier", "rsa", prep))
        self.assertEqual(self.counts(), c0)
        self.expect("supplier", prep, 200, None)

    def test_another_process_and_another_signers_revision(self):
        d = os.path.join(self.tmp, "b")
        os.makedirs(d)
        b = harness.Server(d, self.db.url, tls=False, extra=self.server_extra)
        self.addCleanup(b.stop)
        b.start()
        # prepared here, completed on the other process: the claim's path there
        n = self.received("supplier")
        prep = self.prepared("supplier", n)
        ca, cb = self.counts(), self.counts(b)
        doc = self.expect("supplier", prep, 200, None, server=b)
        self.stored_as_replied(n, doc)
        self.assertEqual((self.counts(), self.counts(b)), (ca, cb))
        # two signers in parallel on revision 0, both prepared here; the other signs on
        # the other process, so this one still holds revision 0: the statement finds
        # another revision landed, and the claim's path says so
        n = self.received("supplier", "logistics")
        a = self.prepared("supplier", n)
        other = self.prepared("logistics", n, "ec")
        st, _, _, doc = self.complete("logistics", other["session"],
                                      self.token_sign("logistics", "ec", other), server=b)
        self.assertEqual(st, 200, doc)
        ca = self.counts()
        self.expect("supplier", a, 409, "stale_revision",
                    "another revision landed since this session was prepared; prepare again")
        self.assertEqual(self.counts(), (ca[0], ca[1] + 1))
        self.assertEqual(self.revisions(n), 2)
        # prepared again on revision 1, loaded here without the report stored with it
        # (the other process stored both): the claim's path, which sends the report
        a = self.prepared("supplier", n)
        doc = self.expect("supplier", a, 200, None)
        self.assertEqual(doc["seq"], 2)
        self.assertEqual(self.counts(), (ca[0], ca[1] + 1))
        self.stored_as_replied(n, doc)
        sigs = signatures(pdfsig(self.download("buyer", n)))
        self.assertEqual(len(sigs), 2)
        for s in sigs:
            self.assertIn("Signature is Valid.", s)
        self.assertEqual(self.db.query("SELECT valid FROM audit_chain_verify(%s)" % n), "t")

    def test_racing_completions_store_once(self):
        n = self.received("supplier")
        prep = self.prepared("supplier", n)
        sig = self.token_sign("supplier", "rsa", prep)
        c0 = self.counts()
        gate = threading.Barrier(2)

        def one(_):
            gate.wait(timeout=30)
            st, _, _, doc = self.complete("supplier", prep["session"], sig)
            return st, doc

        (st1, won), (st2, lost) = sorted(harness.parallel(2, one), key=lambda x: x[0])
        self.assertEqual(st1, 200, won)
        self.assertEqual((st2, lost["code"], lost["detail"]),
                         (409, "session_used",
                          "this signing session was already completed (single use)"), lost)
        self.assertEqual(self.revisions(n), 2)
        # one stored in one trip; the other found it used in the statement (and took the
        # claim's path) or under the completion's lock (as the claim's path's would)
        c1 = self.counts()
        self.assertEqual(c1[0], c0[0] + 1)
        self.assertIn(c1[1], (c0[1], c0[1] + 1))
        self.assertEqual(int(self.db.query(
            "SELECT count(*) FROM audit_events WHERE contract_number = %s AND "
            "action = 'signing.completed'" % n)), 1)

    def test_a_session_s_inputs_are_written_once(self):
        n = self.received("supplier")
        prep = self.prepared("supplier", n)
        for col, val in (("signed_attrs", "'\\x01'::bytea"), ("base_seq", "1"),
                         ("contents_off", "contents_off + 1"), ("algorithm", "'SM2-with-SM3'"),
                         ("chain", "''::bytea")):
            with self.assertRaises(RuntimeError) as refused:
                self.db.query("UPDATE signing_sessions SET %s = %s WHERE id = '%s'"
                              % (col, val, prep["session"]))
            self.assertIn("inputs are written once", str(refused.exception))
        self.expect("supplier", prep, 200, None)


class OneTripOutLTA(SigningCase):
    """At B-LTA the last signer's completion adds a document timestamp (the claim's
    last_signer): in one trip it is the one the prepare's statement saw, which the
    statement that stores compares again; when it changed meanwhile, the claim's path."""
    tls = False
    signing_extra = {"level": "B-LTA"}

    def test_last_signer_as_prepared_or_the_claims_path(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)
        n = self.create([("supplier", 1), ("logistics", 2)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n)
        # the other signer's party is no longer waiting (an operator's edit): the claim
        # would say last signer now, so the work done on "not the last" is not stored
        self.db.query("UPDATE parties SET status = 'sent' WHERE contract_number = %s AND "
                      "organization_id = (SELECT id FROM organizations WHERE credit_code = "
                      "'%s')" % (n, self.orgs["logistics"]["credit_code"]))
        c0 = self.counts()
        st, _, _, doc = self.complete("supplier", prep["session"],
                                      self.token_sign("supplier", "rsa", prep))
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.counts(), (c0[0], c0[1] + 1))
        # as the claim's path does for a last signer: a document timestamp after it
        self.assertEqual(len(doc_timestamps(pdfsig(self.download("buyer", n)))), 1)
        self.assertIsNotNone(self.db.query(
            "SELECT archive_until FROM contracts WHERE number = %s" % n) or None)


class MinimalReply(SigningCase):
    """A completion with Prefer: return=minimal (RFC 7240, migration 040) answers the
    completion alone, without the contract document (every party, revision and audit
    event), and says so (Preference-Applied); what it checks and stores, its refusals and
    the audit trail are the default's. In one trip and on the claim's path; any other
    preference, or none, gets the whole answer."""
    tls = False
    signing_extra = {"level": "B-T"}
    algs = {"supplier": "rsa", "logistics": "ec"}
    path = "/api/v1/signing-sessions/%s/complete"
    own = {"session", "seq", "sha256", "length", "timestamp"}

    def setUp(self):
        super().setUp()
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)

    def done(self, slug, prep, prefer=None, server=None, sig=None):
        h = {"Authorization": "Bearer " + self.tokens[slug]}
        if prefer is not None:
            h["Prefer"] = prefer
        sig = sig or self.token_sign(slug, self.algs[slug], prep)
        return (server or self.server).request(
            "POST", self.path % prep["session"],
            body={"signature": base64.b64encode(sig).decode()}, headers=h, timeout=60)

    def done_raw(self, slug, prep, prefers):
        """The completion with one Prefer header per item of prefers, in that order
        (http.client's own request() takes a header once)."""
        import apicheck
        body = json.dumps({"signature": base64.b64encode(
            self.token_sign(slug, self.algs[slug], prep)).decode()}).encode()
        h = {"Authorization": "Bearer " + self.tokens[slug],
             "Content-Type": "application/json"}
        c = self.server.connection(60)
        try:
            c.putrequest("POST", self.path % prep["session"])
            for k, v in list(h.items()) + [("Content-Length", str(len(body)))]:
                c.putheader(k, v)
            for v in prefers:
                c.putheader("Prefer", v)
            c.endheaders(body)
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()
        apicheck.check_exchange("POST", self.path % prep["session"], h, body, r.status, hdrs,
                                data)
        return r.status, hdrs, json.loads(data)

    def completed_event(self, n, seq):
        return self.db.query("SELECT details->>'timestamp' FROM audit_events WHERE "
                             "contract_number = %s AND action = 'signing.completed' AND "
                             "(details->>'seq')::int = %d" % (n, seq))

    def minimal(self, n, prep, st, hdrs, doc, seq):
        """doc is the completion alone, as stored."""
        self.assertEqual(st, 200, doc)
        self.assertEqual(hdrs.get("preference-applied"), "return=minimal")
        self.assertEqual(set(doc), self.own)
        self.assertEqual((doc["session"], doc["seq"]), (prep["session"], seq))
        row = self.db.query("SELECT length || ' ' || sha256 FROM revisions WHERE "
                            "contract_number = %s AND seq = %d" % (n, seq)).split()
        self.assertEqual((int(row[0]), row[1]), (doc["length"], doc["sha256"]))
        self.assertEqual(doc["timestamp"], self.completed_event(n, seq))

    def test_the_completion_alone_stores_as_the_whole_answer(self):
        n = self.create([("supplier", 1), ("logistics", 1)])
        self.act("supplier", n, "receive")
        self.act("logistics", n, "receive")
        # in one trip (the process that prepared completes it)
        prep = self.prepared("supplier", n)
        c0 = self.counts()
        st, hdrs, _, doc = self.done("supplier", prep, "return=minimal")
        self.minimal(n, prep, st, hdrs, doc, 1)
        self.assertEqual(self.counts(), (c0[0] + 1, c0[1]))
        # the whole answer when asked for, or by default: the contract as it stands
        prep = self.prepared("logistics", n, "ec")
        st, hdrs, _, whole = self.done("logistics", prep, "return=representation")
        self.assertEqual(st, 200, whole)
        self.assertNotIn("preference-applied", hdrs)
        self.assertEqual(set(whole), self.own | {"contract"})
        self.assertEqual(whole["timestamp"], self.completed_event(n, 2))
        contract = whole["contract"]
        self.assertEqual([r["seq"] for r in contract["revisions"]], [0, 1, 2])
        self.assertEqual(sorted(p["status"] for p in contract["parties"]), ["signed", "signed"])
        # both signings wrote the same rows and events, the audit chain whole
        self.assertEqual(self.db.query(
            "SELECT string_agg(action, ',' ORDER BY id) FROM audit_events WHERE "
            "contract_number = %s AND action IN ('party.signed', 'signing.completed')" % n),
            "party.signed,signing.completed,party.signed,signing.completed")
        self.assertEqual(self.db.query("SELECT valid FROM audit_chain_verify(%s)" % n), "t")
        self.assertEqual(self.db.query(
            "SELECT string_agg((verification IS NOT NULL)::text, ',' ORDER BY seq) FROM "
            "revisions WHERE contract_number = %s AND seq > 0" % n), "true,true")
        # the answer is the document as the completion left it, its own last event
        # counted (056): the completing organization's GET says the same
        st, _, _, now = self.call("logistics", "GET", "/api/v1/contracts/%s" % n)
        self.assertEqual(st, 200, now)
        self.assertEqual(now, contract)
        trail = harness.audit_trail(self, lambda p: self.call("buyer", "GET", p), n)
        self.assertEqual(len(trail), now["audit_count"])
        self.assertEqual((trail[-2]["action"], trail[-1]["action"]),
                         ("party.signed", "signing.completed"))

        # no preference, another one, or one that is not return=minimal: the whole answer
        for prefer in (None, "respond-async", "return=full", "return=minimal junk"):
            n = self.create([("supplier", 1)])
            self.act("supplier", n, "receive")
            prep = self.prepared("supplier", n)
            st, hdrs, _, doc = self.done("supplier", prep, prefer)
            self.assertEqual(st, 200, doc)
            self.assertNotIn("preference-applied", hdrs)
            self.assertEqual(doc["contract"]["number"], n, prefer)

    def test_the_claims_path_refusals_and_several_headers(self):
        # the claim's path: another process completes the session
        b = self.other("b")
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n)
        st, hdrs, _, doc = self.done("supplier", prep, "respond-async, RETURN=\"minimal\"; x=1",
                                     server=b)
        self.minimal(n, prep, st, hdrs, doc, 1)
        # refusals are what they are without it: problem details, no Preference-Applied
        st, hdrs, _, doc = self.done("supplier", prep, "return=minimal")
        self.assertEqual((st, doc["code"]), (409, "session_used"), doc)
        self.assertEqual(doc["detail"], "this signing session was already completed (single use)")
        self.assertNotIn("preference-applied", hdrs)
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n)
        other = openssl_sign(PKI.org_cert("supplier", "rsa")[1], b"something else")
        st, hdrs, _, doc = self.done("supplier", prep, "return=minimal", sig=other)
        self.assertEqual((st, doc["code"]), (422, "bad_signature"), doc)
        self.assertNotIn("preference-applied", hdrs)
        self.assertEqual(self.revisions(n), 1)
        # several Prefer headers: the first return preference among them counts
        st, hdrs, doc = self.done_raw("supplier", prep, ["respond-async", "return=minimal"])
        self.minimal(n, prep, st, hdrs, doc, 1)
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n)
        st, hdrs, doc = self.done_raw("supplier", prep,
                                      ["return=representation", "return=minimal"])
        self.assertEqual(st, 200, doc)
        self.assertNotIn("preference-applied", hdrs)
        self.assertEqual(doc["contract"]["number"], n)


class BuiltinTSA(SigningCase):

    def query(self, name):
        data = os.path.join(self.tmp, name + ".txt")
        with open(data, "w") as f:
            f.write(name)
        q = os.path.join(self.tmp, name + ".tsq")
        run(["openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", q])
        with open(q, "rb") as f:
            return data, q, f.read()

    def stamp(self, name):
        data, q, body = self.query(name)
        st, hdrs, resp, _ = self.server.request("POST", "/tsa", body=body, headers={
            "Content-Type": "application/timestamp-query"})
        self.assertEqual(st, 200)
        self.assertEqual(hdrs["content-type"], "application/timestamp-reply")
        r = os.path.join(self.tmp, name + ".tsr")
        with open(r, "wb") as f:
            f.write(resp)
        run(["openssl", "ts", "-verify", "-queryfile", q, "-in", r, "-CAfile",
             PKI.path("root.pem"), "-untrusted", PKI.path("chain.pem")])
        text = run(["openssl", "ts", "-reply", "-in", r, "-text"]).stdout
        return int(re.search(r"Serial number: (0x[0-9A-Fa-f]+|\d+)", text).group(1), 0)

    def test_serials_unique_across_restarts(self):
        a = self.stamp("one")
        b = self.stamp("two")
        self.assertGreater(b, a)
        self.server.stop()
        self.server = harness.Server(self.tmp, self.db.url, extra=self.server_extra)
        self.addCleanup(self.server.stop)
        self.server.start()
        c = self.stamp("three")
        self.assertGreater(c, b)

    def test_refusals(self):
        st, _, _, doc = self.server.request("POST", "/tsa", body=b"x" * 10,
                                            headers={"Content-Type": "text/plain"})
        self.assertEqual(st, 415)
        st, _, _, doc = self.server.request("POST", "/tsa", body=b"x" * 20000, headers={
            "Content-Type": "application/timestamp-query"})
        self.assertEqual(st, 413)
        # Garbage gets a TSA rejection (status not granted), not a crash.
        st, _, resp, _ = self.server.request("POST", "/tsa", body=b"\x30\x03\x02\x01\x05",
                                             headers={"Content-Type":
                                                      "application/timestamp-query"})
        self.assertEqual(st, 200)
        r = os.path.join(self.tmp, "bad.tsr")
        with open(r, "wb") as f:
            f.write(resp)
        text = run(["openssl", "ts", "-reply", "-in", r, "-text"]).stdout
        self.assertIn("Status: Rejected.", text)


class ExternalTSA(SigningCase):
    """tsa.mode external: another sealpactd's POST /tsa is the external TSA; with no
    reachable TSA the signing fails and nothing is stored."""
    tls = False

    def with_tsa(self, url):
        tmp = tempfile.mkdtemp(dir=self.tmp)
        extra = dict(self.server_extra)
        extra["tsa"] = {"mode": "external", "url": url, "timeout_ms": 3000,
                        "trust": PKI.path("root.pem")}
        srv = harness.Server(tmp, self.db.url, tls=False, extra=extra)
        self.addCleanup(srv.stop)
        return srv.start()

    def test_external_tsa_and_none_reachable(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "ec")):
            self.login_api(slug, alg)
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        port = harness.refused_port(self)
        down = self.with_tsa("http://127.0.0.1:%d/tsa" % port)
        prep = self.prepared("supplier", n, "ec")
        st, _, _, doc = self.complete("supplier", prep["session"],
                                      self.token_sign("supplier", "ec", prep), server=down)
        self.assertEqual((st, doc["code"]), (502, "timestamp_failed"), doc)
        # The signer is not told where the platform's TSA is (the log is).
        self.assertNotIn(str(port), doc["detail"])
        self.assertNotIn("127.0.0.1", doc["detail"])
        self.assertIn(str(port), down.log())
        self.assertEqual(self.revisions(n), 1)
        ext = self.with_tsa(self.server.url + "/tsa")
        st, _, _, doc = self.complete("supplier", prep["session"],
                                      self.token_sign("supplier", "ec", prep), server=ext)
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.revisions(n), 2)
        sigs = signatures(pdfsig(self.download("buyer", n)))
        self.assertEqual(len(sigs), 1)
        self.assertIn("Signature is Valid.", sigs[0])


class Offline(unittest.TestCase):

    def test_offline_sign_with_and_without_timestamp(self):
        # The test's own directory (the client makes none): removed whatever happens.
        tmp = tempfile.mkdtemp(prefix="sealpact-off.")
        self.addCleanup(shutil.rmtree, tmp, True)
        out = os.path.join(tmp, "out.pdf")
        crt, key = PKI.org_cert("supplier", "ec")
        e = dict(os.environ)
        e.update(PKI.token_env())
        # Whatever temporary files the client makes, it removes.
        e["TMPDIR"] = os.path.join(tmp, "t")
        os.mkdir(e["TMPDIR"])
        base = [harness.SEALPACT, "sign", "--offline", SHORT, out, "--key", key, "--cert", crt,
                "--seal", SEAL, "--keyword", "乙方（盖章）", "--date", "1,450,80"]
        p = subprocess.run(base, capture_output=True, text=True, env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("WITHOUT a timestamp", p.stdout)
        self.assertIn("Signature is Valid.", pdfsig(out))
        # The /Contents placeholder is sized for this signer's CMS, not a fixed
        # 16 KiB: an EC certificate without a chain or a token takes ~1 KB.
        self.assertLess(contents_room(out), 2048)
        p = subprocess.run(base + ["--tsa-cert", PKI.path("tsa.crt"), "--tsa-key",
                                   PKI.path("tsa.key"), "--tsa-trust", PKI.path("root.pem"),
                                   "--chain", PKI.path("chain.pem")],
                           capture_output=True, text=True, env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("timestamp 20", p.stdout)
        rep = pdfsig(out)
        self.assertIn("Signature is Valid.", rep)
        self.assertIn("Total document signed", rep)
        self.assertTrue("Certificate is Trusted." in rep or "Unknown issue" in rep, rep)
        # a token's room is reserved (its size is known only after the placeholder)
        self.assertTrue(8192 < contents_room(out) < 12288, contents_room(out))
        # A token signs offline too (PIN from the environment).
        e["SEALPACT_PIN"] = harness.TOKEN_PIN
        p = subprocess.run([harness.SEALPACT, "sign", "--offline", SHORT, out, "--module", MODULE,
                            "--token", "buyer-rsa", "--key-id", "01", "--date", "1,300,300"],
                           capture_output=True, text=True, env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Signature is Valid.", pdfsig(out))
        q = subprocess.run(["qpdf", "--check", out], capture_output=True, text=True)
        self.assertEqual(q.returncode, 0, q.stdout)
        self.assertEqual(os.listdir(e["TMPDIR"]), [])


class TerminalHelp(unittest.TestCase):
    """What `sealpact help sign` and the offline signer tell a user, no server needed."""

    def sign(self, *extra, env=None):
        tmp = tempfile.mkdtemp(prefix="sealpact-help.")
        self.addCleanup(shutil.rmtree, tmp, True)
        crt, key = PKI.org_cert("supplier", "ec")
        cmd = [harness.SEALPACT, "sign", "--offline", SHORT, os.path.join(tmp, "o.pdf"), "--key",
               key, "--cert", crt, "--seal", SEAL] + list(extra)
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)

    def test_help_sign_says_units_centre_origin_and_occurrences(self):
        p = subprocess.run([harness.SEALPACT, "help", "sign"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        h = p.stdout
        for words in ("PDF points", "X,Y is the CENTRE", "bottom-left corner of the page as it "
                      "is shown", "count across the WHOLE document", "reading order",
                      "--invisible", "date_seal_zone", "--date-zone ZONE"):
            self.assertIn(words, h.replace("\n", " "))
        for example in ("--normal 1,400,120", "--multi 1-3,450,700", "--seam all,400",
                        "--keyword 乙方（盖章）,1", "--date 1,400,60", "sign N --invisible"):
            self.assertIn("sealpact sign N " + example.replace("sign N ", ""), h)

    def test_no_placement_needs_invisible(self):
        p = self.sign()
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("no seal placement", p.stderr)
        self.assertIn("--invisible", p.stderr)
        p = self.sign("--invisible", "--normal", "1,300,300")
        self.assertEqual(p.returncode, 64)
        self.assertIn("exclude each other", p.stderr)
        p = self.sign("--invisible")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("none: an invisible signature", p.stdout)

    def test_bad_keyword_occurrence_is_said_plainly(self):
        p = self.sign("--keyword", "乙方（盖章）,99")
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn("page range", p.stderr)
        self.assertIn('occurrences "99": keyword "乙方（盖章）" occurs 1 time in the whole '
                      'document (counted across all pages', p.stderr)
        self.assertIn("give numbers within 1..1", p.stderr)

    def test_date_seal_zone(self):
        p = self.sign("--date", "1,450,80")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Date seal and signing time in Asia/Shanghai (UTC+08:00)", p.stdout)
        p = self.sign("--date", "1,450,80", "--date-zone", "UTC")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Date seal and signing time in UTC (UTC+00:00)", p.stdout)
        # The zone reaches the file: the signature's /M time carries its offset.
        for zone, mark in (("Pacific/Kiritimati", b"+14'00'"), ("Pacific/Pago_Pago", b"-11'00'")):
            tmp = tempfile.mkdtemp(prefix="sealpact-zone.")
            self.addCleanup(shutil.rmtree, tmp, True)
            out = os.path.join(tmp, "z.pdf")
            crt, key = PKI.org_cert("supplier", "ec")
            run([harness.SEALPACT, "sign", "--offline", SHORT, out, "--key", key, "--cert", crt,
                 "--seal", SEAL, "--date", "1,450,80", "--date-zone", zone])
            with open(out, "rb") as f:
                self.assertRegex(f.read(), rb"/M \(D:\d{14}" + re.escape(mark) + rb"\)")
        p = self.sign("--date", "1,450,80", "--date-zone", "Mars/Olympus")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('unknown time zone "Mars/Olympus"', p.stderr)
        p = subprocess.run([harness.SEALPACT, "sign", "1234567890123456789", "--date", "1,1,1",
                            "--date-zone", "UTC"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 64)
        self.assertIn("--date-zone are for --offline", p.stderr)

    def test_softhsm_without_conf_says_what_to_set(self):
        e = {k: v for k, v in os.environ.items() if k != "SOFTHSM2_CONF"}
        e["SEALPACT_PIN"] = harness.TOKEN_PIN
        tmp = tempfile.mkdtemp(prefix="sealpact-hsm.")
        self.addCleanup(shutil.rmtree, tmp, True)
        p = subprocess.run([harness.SEALPACT, "sign", "--offline", SHORT,
                            os.path.join(tmp, "o.pdf"), "--module", MODULE, "--token",
                            "buyer-rsa", "--date", "1,300,300"], capture_output=True, text=True,
                           env=e, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no token labelled buyer-rsa is present", p.stderr)
        self.assertIn("SOFTHSM2_CONF is not set", p.stderr)
        self.assertIn("export SOFTHSM2_CONF=", p.stderr)

    def test_whoami_all_lists_profiles_and_marks_the_current_one(self):
        import json
        xdg = tempfile.mkdtemp(prefix="sealpact-prof.")
        self.addCleanup(shutil.rmtree, xdg, True)
        for prof, who in (("buyer", "示例采购有限公司 (91310000MA1FL8TQ3X)"),
                          ("supplier", "示例供应有限公司 (91440300MA5DC1XQ8X)")):
            d = os.path.join(xdg, "sealpact", "profiles", prof)
            os.makedirs(d, mode=0o700)
            path = os.path.join(d, "session.json")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                json.dump({"server": "https://127.0.0.1:8443", "token": "t-" + prof,
                           "expires_at": "2030-01-01T00:00:00Z", "who": who}, f)
        e = dict(os.environ, XDG_CONFIG_HOME=xdg)
        e.pop("SEALPACT_PROFILE", None)
        p = subprocess.run([harness.SEALPACT, "--profile", "supplier", "whoami", "--all"],
                           capture_output=True, text=True, env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\n\* supplier +示例供应有限公司 \(91440300MA5DC1XQ8X\) +"
                                   r"https://127.0.0.1:8443 +2030-01-01T00:00:00Z\n")
        self.assertRegex(p.stdout, r"\n  buyer +示例采购有限公司")
        self.assertIn("2 profiles logged in", p.stdout)
        self.assertNotIn("t-buyer", p.stdout)
        e["SEALPACT_PROFILE"] = "buyer"
        p = subprocess.run([harness.SEALPACT, "whoami", "--all"], capture_output=True, text=True,
                           env=e)
        self.assertRegex(p.stdout, r"\n\* buyer ")

    def test_bad_profile_name(self):
        p = subprocess.run([harness.SEALPACT, "--profile", "../x", "whoami"], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 64)
        self.assertIn("--profile", p.stderr)


class OfflineAndServerAgree(SigningCase):
    """The same offline-signed file, verified here and by POST /api/v1/verify: each says
    which trust it used, and the terminal says what to add to match the server."""

    def test_trust_is_named_and_names_are_text(self):
        tmp = tempfile.mkdtemp(prefix="sealpact-agree.")
        self.addCleanup(shutil.rmtree, tmp, True)
        out = os.path.join(tmp, "o.pdf")
        crt, key = PKI.org_cert("supplier", "ec")
        # Signed without --chain (and without a timestamp): the file lacks the issuing CA.
        run([harness.SEALPACT, "sign", "--offline", SHORT, out, "--key", key, "--cert", crt,
             "--seal", SEAL, "--date", "1,450,80"])
        p = subprocess.run([harness.SEALPACT, "verify", out, "--trust-roots", PKI.path("root.pem")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("untrusted_issuer", p.stdout)
        self.assertIn("Trust used (this machine's files, not the server's):", p.stdout)
        self.assertIn("  roots: " + PKI.path("root.pem"), p.stdout)
        self.assertIn("  intermediates: none", p.stdout)
        self.assertIn("Hint:", p.stdout)
        self.assertIn("--intermediate PEM", p.stdout)
        # The TSA's name is UTF-8 text, not escapes.
        ts = os.path.join(tmp, "ts.pdf")
        run([harness.SEALPACT, "sign", "--offline", SHORT, ts, "--key", key, "--cert", crt,
             "--seal", SEAL, "--date", "1,450,80", "--tsa-cert", PKI.path("tsa.crt"),
             "--tsa-key", PKI.path("tsa.key"), "--tsa-trust", PKI.path("root.pem"), "--chain",
             PKI.path("chain.pem")])
        p = subprocess.run([harness.SEALPACT, "verify", ts, "--trust-roots", PKI.path("root.pem"),
                            "--tsa-trust", PKI.path("root.pem")], capture_output=True, text=True)
        self.assertRegex(p.stdout, r"timestamp: [a-z]+, \S+ by .*sealpact 开发")
        self.assertNotIn("\\x", p.stdout)
        self.assertNotIn("Hint:", p.stdout)
        # With the intermediate the server is configured with, the chain is trusted here too.
        p = subprocess.run([harness.SEALPACT, "verify", out, "--trust-roots", PKI.path("root.pem"),
                            "--intermediate", PKI.path("ca.pem"), "--crl", PKI.path("crl.pem"),
                            "--crl", PKI.path("root-crl.pem"), "--json"], capture_output=True,
                           text=True)
        import json
        local = json.loads(p.stdout)
        self.assertEqual(local["trust"]["source"], "local")
        self.assertEqual(local["trust"]["intermediates"], [PKI.path("ca.pem")])
        self.assertNotIn("untrusted_issuer", p.stdout)
        with open(out, "rb") as f:
            st, _, _, doc = self.server.request("POST", "/api/v1/verify", body=f.read(),
                                                headers={"Content-Type": "application/pdf"})
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["trust"]["source"], "server")
        self.assertEqual((doc["trust"]["roots"], doc["trust"]["intermediates"]), (1, 1))
        self.assertIn("trust.intermediates", doc["trust"]["note"])
        self.assertNotIn("untrusted_issuer", json.dumps(doc))

    def test_online_placement_messages(self):
        for slug in ("buyer", "supplier"):
            self.login(slug, "rsa")
        n = self.create([("supplier", 1)])
        self.act("supplier", n, "receive")
        p = self.cli("supplier", "sign", n, "--module", MODULE, "--token", "supplier-rsa",
                     "--key-id", "01")
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("--invisible", p.stderr)
        p = self.cli("supplier", "sign", n, "--module", MODULE, "--token", "supplier-rsa",
                     "--key-id", "01", "--keyword", "乙方（盖章）,99")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('occurrences "99": keyword "乙方（盖章）" occurs 1 time in the whole '
                      'document', p.stderr)
        self.assertNotIn("page range", p.stderr)
        self.assertEqual(self.revisions(n), 1)

    def test_bad_date_seal_zone_stops_startup(self):
        srv = harness.Server(self.tmp, self.db.url, extra={"signing": {"date_seal_zone": "Nowhere/X"}})
        with self.assertRaises(RuntimeError) as cm:
            srv.start()
        srv.stop()
        self.assertIn("date_seal_zone", str(cm.exception))

    def test_unreadable_default_seal_stops_startup(self):
        # the demo seal's picture is read once, at start-up: a path that cannot be read
        # stops it there, not at the first prepare
        missing = os.path.join(self.tmp, "no-such-seal.png")
        srv = harness.Server(self.tmp, self.db.url,
                             extra={"signing": {"default_seal_image": missing}})
        with self.assertRaises(RuntimeError) as cm:
            srv.start()
        srv.stop()
        self.assertIn("default_seal_image", str(cm.exception))


class OfflineHttpsTSA(SigningCase):
    """`sign --offline --tsa https://...` trusts the CA given with --cacert (global or after
    `sign`) for the TSA, as the online calls do; without it the TLS check refuses the TSA."""

    def test_cacert_verifies_an_https_tsa(self):
        out = os.path.join(self.tmp, "off.pdf")
        crt, key = PKI.org_cert("supplier", "ec")
        e = dict(os.environ)
        e.pop("SEALPACT_CACERT", None)
        args = ["sign", "--offline", SHORT, out, "--key", key, "--cert", crt, "--date",
                "1,300,300", "--tsa", self.server.url + "/tsa", "--tsa-trust",
                PKI.path("root.pem")]
        p = subprocess.run([harness.SEALPACT] + args, capture_output=True, text=True, env=e,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("timestamp", p.stderr)
        self.assertIn("certificate", p.stderr.lower())
        self.assertFalse(os.path.exists(out))
        for argv in ([harness.SEALPACT, "--cacert", self.server.cafile] + args,
                     [harness.SEALPACT] + args[:1] + ["--cacert", self.server.cafile] + args[1:]):
            p = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("timestamp 20", p.stdout)
            rep = pdfsig(out)
            self.assertIn("Signature is Valid.", rep)
            self.assertIn("Total document signed", rep)
            os.unlink(out)


if __name__ == "__main__":
    unittest.main()
