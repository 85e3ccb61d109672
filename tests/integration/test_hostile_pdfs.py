"""sec31: what one hostile PDF within the upload limit costs the running
server. Each file (hostile_pdfs.py, generated here, never committed) goes to
the endpoint that parses it; the answer is a clear 422 pdf_limit that stores
nothing, or the usual answer, and the request stays within 2 s of the
server's CPU (twice that in the sanitizer build) and 256 MiB of its peak RSS
(VmHWM, reset before the request) while /healthz keeps answering. `sealpact verify` answers such a file as
unreadable (exit 4) within the same bounds."""

import base64
import json
import os
import subprocess
import threading
import time
import unittest

import harness
import hostile_pdfs
from harness import ServerTestCase, api_login, bearer

PKI = None
SEAL = None
CPU_S = 2.0
RSS_MB = 256


setUpModule, tearDownModule = harness.module_pki(__name__, tokens=False, seal=True)



class Hostile(ServerTestCase):
    tls = False

    def setUp(self):
        # The request's and its upload's deadlines as long as the client's (120 s):
        # with the sanitizer build on a loaded machine an upload of one of these
        # files passed the default 30 s (504), and the 24 MB one the 20 s the
        # head and body may take (closed without an answer). What a request may
        # cost is the CPU bound's to say.
        self.server_extra = {"trust": PKI.trust_config(),
                             "signing": {"default_seal_image": SEAL, "session_ttl_s": 600},
                             "server": {"request_timeout_ms": 120000,
                                        "read_timeout_ms": 120000}}
        super().setUp()
        self.tokens = {}

    def login(self, slug):
        crt, key = PKI.org_cert(slug, "ec")
        st, _, _, doc = api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        self.tokens[slug] = doc["token"]

    def costs(self, fn):
        """fn() under watch: (its result, server CPU s, peak RSS growth MB,
        worst /healthz latency s)."""
        pid = self.server.proc.pid
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        rss0 = hostile_pdfs.hwm_mb(pid)
        worst = [0.0]
        stop = threading.Event()

        def poll():
            while not stop.is_set():
                t = time.time()
                st, _, _, _ = self.server.request("GET", "/healthz", timeout=60)
                worst[0] = max(worst[0], time.time() - t)
                stop.wait(0.05)

        th = threading.Thread(target=poll)
        c0 = hostile_pdfs.cpu_s(pid)
        th.start()
        try:
            out = fn()
        finally:
            stop.set()
            th.join()
        return out, hostile_pdfs.cpu_s(pid) - c0, hostile_pdfs.hwm_mb(pid) - rss0, worst[0]

    def assertBounded(self, name, cpu, rss, health, limit=CPU_S, asan=2, asan_rss=1):
        # the margins, in the log of a run that passed too
        print("\n%s: %.2f s of the server's CPU, peak RSS +%.0f MB, /healthz within %.2f s"
              % (name, cpu, rss, health))
        # What these files cost before their limits: 1.5 to 17 s of CPU, 330 MB to
        # 6 GB; now at most 1.1 s under AddressSanitizer, whose code runs two to
        # three times slower (CPU time, which another process's load hardly moves).
        cpu_s = limit * (asan if harness.sanitized(self.server.proc.pid) else 1)
        self.assertLess(cpu, cpu_s, "%s: %.2f s of the server's CPU" % (name, cpu))
        rss_mb = RSS_MB * (asan_rss if harness.sanitized(self.server.proc.pid) else 1)
        self.assertLess(rss, rss_mb, "%s: peak RSS grew %.0f MB" % (name, rss))
        # A /healthz stuck behind the parse waits as long as it (seconds, before);
        # 0.5 s was seen with the whole suite running under AddressSanitizer.
        self.assertLess(health, 2.0, "%s: /healthz waited %.2f s" % (name, health))

    def assertLimit(self, got):
        st, hdrs, _, doc = got
        self.assertEqual(st, 422, doc)
        self.assertEqual(hdrs.get("content-type"), "application/problem+json")
        self.assertEqual((doc["code"], doc["type"]), ("pdf_limit", "urn:sealpact:problem:pdf_limit"),
                         doc)
        return doc

    def verify(self, pdf):
        return self.server.request("POST", "/api/v1/verify", body=pdf,
                                   headers={"Content-Type": "application/pdf"}, timeout=120)

    def upload(self, pdf, parties=None):
        body = {"name": "Hostile", "pdf_base64": base64.b64encode(pdf).decode()}
        if parties:
            body["parties"] = parties
        return self.server.request("POST", "/api/v1/contracts", body=body,
                                   headers=bearer(self.tokens["buyer"]), timeout=120)

    def cli_verify(self, name, pdf, limit=CPU_S, asan=2, asan_rss=1):
        path = os.path.join(self.tmp, name + ".pdf")
        with open(path, "wb") as f:
            f.write(pdf)
        p = subprocess.run(["/usr/bin/time", "-f", "TIME %U %S %M", harness.SEALPACT, "verify",
                            path], capture_output=True, text=True, timeout=120,
                           env=harness.clean_env())
        u, s, m = [x for x in p.stderr.splitlines() if x.startswith("TIME ")][-1].split()[1:]
        # (the CLI is the same build as the server under test)
        cpu_s = limit * (asan if harness.sanitized(self.server.proc.pid) else 1)
        self.assertLess(float(u) + float(s), cpu_s, "%s: sealpact verify CPU" % name)
        rss_mb = RSS_MB * (asan_rss if harness.sanitized(self.server.proc.pid) else 1)
        self.assertLess(int(m) / 1024, rss_mb, "%s: sealpact verify peak RSS" % name)
        return p

    def contracts(self):
        return self.db.query("SELECT count(*) FROM contracts")

    def test_decompression_bombs_in_xref_and_object_streams(self):
        """An xref stream and an object stream that inflate to 512 MiB (2 MB
        files): qpdf inflated them whole (6 GB of RSS for 2 GiB, before).
        Verify, upload and the CLI refuse them before qpdf reads them."""
        self.login("buyer")
        for name in ("xref_stream_bomb", "objstm_bomb"):
            pdf = getattr(hostile_pdfs, name)(512 << 20)
            with self.subTest(name=name, endpoint="verify"):
                got, cpu, rss, hz = self.costs(lambda: self.verify(pdf))
                self.assertLimit(got)
                self.assertBounded(name, cpu, rss, hz)
            with self.subTest(name=name, endpoint="upload"):
                got, cpu, rss, hz = self.costs(lambda: self.upload(pdf))
                self.assertLimit(got)
                self.assertBounded(name, cpu, rss, hz)
            with self.subTest(name=name, endpoint="cli"):
                self.assertEqual(self.cli_verify(name, pdf).returncode, 4)
        self.assertEqual(self.contracts(), "0")

    def test_revisions_over_one_big_table_have_a_reading_budget(self):
        """100 updates over a table of 300,000 entries (6 MB): each revision
        the verifier opened read the whole table again (12 s of a worker,
        cut only by the 30 s deadline, sec35). Verify and the CLI now answer
        pdf_limit before opening any; a signed upload (kept, revisions and
        all, for every later verification) is refused too; 20 updates over
        it are still verified."""
        self.login("buyer")
        for name in ("big_then_updates", "signed_big_then_updates"):
            pdf = hostile_pdfs.build(name)
            with self.subTest(name=name, endpoint="verify"):
                got, cpu, rss, hz = self.costs(lambda: self.verify(pdf))
                doc = self.assertLimit(got)
                self.assertIn("cross-reference entries", doc["detail"])
                self.assertBounded(name, cpu, rss, hz)
            with self.subTest(name=name, endpoint="cli"):
                self.assertEqual(self.cli_verify(name, pdf).returncode, 4)
        got, cpu, rss, hz = self.costs(lambda: self.upload(
            hostile_pdfs.build("signed_big_then_updates")))
        doc = self.assertLimit(got)
        self.assertIn("cross-reference entries", doc["detail"])
        self.assertBounded("signed_big_then_updates upload", cpu, rss, hz)
        self.assertEqual(self.contracts(), "0")
        st, _, _, doc = self.verify(hostile_pdfs.big_then_updates(k=20))
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["signatures"], [], doc)

    def test_a_claimed_4m_object_xref_is_refused_before_qpdf_reads_it(self):
        """An xref stream of 4,000,000 entries (/Size at PDF_DOC_MAX_OBJECTS,
        35 KB deflated): qpdf built its table (300 MB) before the /Size cap
        was checked. Refused from the stream's row count."""
        self.login("buyer")
        pdf = hostile_pdfs.xref_stream_4m()
        for endpoint, call in (("verify", self.verify), ("upload", self.upload)):
            with self.subTest(endpoint=endpoint):
                got, cpu, rss, hz = self.costs(lambda: call(pdf))
                doc = self.assertLimit(got)
                self.assertIn("cross-reference entries", doc["detail"])
                self.assertBounded("xref_stream_4m", cpu, rss, hz)
        self.assertEqual(self.cli_verify("xref_stream_4m", pdf).returncode, 4)
        self.assertEqual(self.contracts(), "0")

    def test_huge_arrays_are_refused_before_qpdf_builds_them(self):
        """Millions of array items (a font's /W, a /Kids of references, a
        /ByteRange) cost qpdf a few hundred bytes each: 0.5 to 1.9 GB before."""
        self.login("buyer")
        for name in ("font_huge_w", "huge_kids_distinct", "sig_huge_byterange"):
            pdf = hostile_pdfs.build(name)
            for endpoint, call in (("verify", self.verify), ("upload", self.upload)):
                with self.subTest(name=name, endpoint=endpoint):
                    got, cpu, rss, hz = self.costs(lambda: call(pdf))
                    doc = self.assertLimit(got)
                    self.assertIn("array items", doc["detail"])
                    self.assertBounded(name, cpu, rss, hz)
            with self.subTest(name=name, endpoint="cli"):
                self.assertEqual(self.cli_verify(name, pdf).returncode, 4)
        self.assertEqual(self.contracts(), "0")

    def test_objects_hidden_in_stream_data_of_a_damaged_file(self):
        """sec32: qpdf reconstructs a file without usable cross-references by
        reading every line that starts "N G obj", inside stream data too: a
        page tree of 4M kids written there (24 MB) took 1.5 s and 330 MB
        past the byte scan, which skips stream data. The same file with a
        small tree (what a damaged file legitimately is) still reads."""
        pdf = hostile_pdfs.build("hidden_in_stream")
        got, cpu, rss, hz = self.costs(lambda: self.verify(pdf))
        doc = self.assertLimit(got)
        self.assertIn("array items", doc["detail"])
        self.assertBounded("hidden_in_stream", cpu, rss, hz)
        self.assertEqual(self.cli_verify("hidden_in_stream", pdf).returncode, 4)
        st, _, _, doc = self.verify(hostile_pdfs.hidden_in_stream(2))
        self.assertEqual((st, doc.get("verdict")), (200, "no_signature"), doc)

    def test_many_updates_and_a_big_xref_table_still_verify(self):
        """What a long-lived file legitimately has (10,000 incremental
        updates, a classic xref table of 500,000 entries) is read as before."""
        for name, pdf in (("updates_10k", hostile_pdfs.updates_10k()),
                          ("xref_table_huge", hostile_pdfs.xref_table_huge(500000))):
            with self.subTest(name=name):
                got, cpu, rss, hz = self.costs(lambda: self.verify(pdf))
                st, _, _, doc = got
                self.assertEqual((st, doc["verdict"]), (200, "no_signature"), doc)
                self.assertBounded(name, cpu, rss, hz)

    def keyword(self, name, pdf, keyword="a", occurrence=1):
        """The supplier's prepare with a keyword placement on a contract of pdf."""
        supplier = [o for o in PKI.orgs if o["slug"] == "supplier"][0]
        st, _, _, c = self.upload(pdf, [{"credit_code": supplier["credit_code"],
                                         "role": "signer"}])
        self.assertEqual(st, 201, c)
        n = c["number"]
        for slug, act in (("buyer", "send"), ("supplier", "receive")):
            st, _, _, doc = self.server.request("POST", "/api/v1/contracts/%s/%s" % (n, act),
                                                body=b"", headers=dict(
                                                    bearer(self.tokens[slug]),
                                                    **{"Content-Type": "application/json"}))
            self.assertEqual(st, 200, doc)
        crt, _ = PKI.org_cert("supplier", "ec")
        body = {"certificate": base64.b64encode(harness.der_of(crt)).decode(),
                "chain": [base64.b64encode(harness.der_of(PKI.path("ca.pem"))).decode()],
                "placements": [{"mode": "keyword", "seal": "default", "keyword": keyword,
                                "occurrence": occurrence}]}
        return self.costs(lambda: self.server.request(
            "POST", "/api/v1/contracts/%s/signing-sessions" % n, body=body,
            headers=bearer(self.tokens["supplier"]), timeout=120))

    def test_many_updates_over_many_pages_have_a_work_budget(self):
        """500 updates over 3,000 pages (565 KB): the verifier opened each
        revision and walked the whole newer one at each update, over a
        minute of a worker's CPU (sec48). Verify and the CLI now answer
        pdf_limit once server.max_verify_work is spent; 40 updates over 3,000
        pages are still verified, and refused under the least budget the
        configuration takes (a revision opened with the page list of the one
        before costs a unit a page, not a walk's 16: 300 pages went under
        it)."""
        pdf = hostile_pdfs.build("pages_then_updates")
        got, cpu, rss, hz = self.costs(lambda: self.verify(pdf))
        doc = self.assertLimit(got)
        # the configured budget, and a unit every 4 bytes of the file
        self.assertIn("budget of %d units of work" % (1000000 + len(pdf) // 4),
                      doc["detail"])
        # The budget is worth 1.2 to 1.5 s of one idle core, and 2.1 s was seen
        # with the suite's other tests beside it (CPU time grows with the
        # neighbours' use of the caches): 4 s. Its work is mostly the verifier's
        # own walks, C code that AddressSanitizer slows far more than qpdf's
        # parsing (not instrumented): 8.22 s under deploy/test.sh --sanitize.
        # Before the budget it was over a minute without the sanitizer. Its
        # walks allocate and free qpdf handles by the million: AddressSanitizer
        # keeps what is freed in its quarantine (256 MB) and pads each block, so
        # the server grew 578 MB there against 40 to 46 MB without.
        self.assertBounded("pages_then_updates", cpu, rss, hz, limit=4.0, asan=4, asan_rss=3)
        self.assertEqual(
            self.cli_verify("pages_then_updates", pdf, limit=4.0, asan=4, asan_rss=3).returncode,
            4)
        small = hostile_pdfs.pages_then_updates(pages=3000, k=40)
        st, _, _, doc = self.verify(small)
        self.assertEqual((st, doc.get("signatures")), (200, []), doc)
        # the budget is the configuration's: at its least, the small file is over it
        self.server.stop()
        tmp = os.path.join(self.tmp, "low")
        os.mkdir(tmp)
        self.server = harness.Server(tmp, self.db.url, tls=False, extra={
            "server": {"max_verify_work": 10000}})
        self.addCleanup(self.server.stop)
        self.server.start()
        doc = self.assertLimit(self.verify(small))
        self.assertIn("budget of %d units of work" % (10000 + len(small) // 4),
                      doc["detail"])

    def test_signature_fields_sharing_one_big_signature_are_bounded(self):
        """1,000 signature fields whose /V all name one signature dictionary
        with a /Contents of 1 MB (a 2.1 MB file, review49): each field's
        read copies the whole /Contents (pdf/sig_fields.c sig_read), some
        1 GB of peak RSS for `sealpact verify` on ce392b7 (250 fields: 261
        MB), while the work budget counts 16 units a field. Verify and the
        CLI stay within the usual bounds, whatever their verdict."""
        pdf = hostile_pdfs.build("shared_sig_big_contents")
        got, cpu, rss, hz = self.costs(lambda: self.verify(pdf))
        st, _, _, doc = got
        self.assertIn(st, (200, 422), doc)
        if st == 422:
            self.assertLimit(got)
        self.assertBounded("shared_sig_big_contents", cpu, rss, hz)
        self.assertIn(self.cli_verify("shared_sig_big_contents", pdf).returncode, (1, 2, 4))

    def test_signature_fields_sharing_one_signature_hash_its_range_once(self):
        """review50: 1,000 signature fields whose /V all name one real
        signature (a CMS of some 1.5 KB, so the work budget's charge for
        the values read, 7229f94, is small) whose second byte range covers
        24 MB: each field is verified on its own, and each verification
        hashes that range again (crypto/verify_ranges.c ranges_digest: only
        the first range's running digest is shared), 24 GB of SHA-256 that
        no budget counts. review51: 200 fields naming one Ed25519 signature
        without signed attributes (adbe.pkcs7.detached, as Java and
        node-forge signers make them) whose first range covers the 24 MB:
        crypto/verify_cms.c eddsa_bare_verify copies both ranges into one
        message and runs Ed25519 (SHA-512) over it for each field, while
        7de912d charges the second range only. review52: 400 fields
        naming a SHA-256 signature with signed attributes over the 24 MB
        first range, after four signatures (each between the stream and the
        shared one, over its own bytes) whose digests are SHA-224, SHA-384,
        SHA-512 and SHA3-256 (an RSA key: OpenSSL 3.0's cms signs SHA-3
        with no EC key): the running digests have VERIFY_HASHER_MDS (4) slots, so
        prefix_at() answers NULL for a fifth algorithm and ranges_digest()
        hashes the 24 MB afresh for every field, while contents_charge()
        and 571adf9 charge none of it. Verify and the CLI stay within the
        usual bounds, whatever their verdict."""
        msg = os.path.join(self.tmp, "review50_range.bin")

        def sign(data, md="sha256", kind="ec"):
            c, k = PKI.org_cert("logistics", kind)
            with open(msg, "wb") as f:
                f.write(data)
            return subprocess.run(["openssl", "cms", "-sign", "-binary", "-cades", "-md",
                                   md, "-nosmimecap", "-outform", "DER", "-signer", c,
                                   "-inkey", k, "-in", msg], capture_output=True,
                                  check=True).stdout

        ed_key, ed_crt = os.path.join(self.tmp, "ed.key"), os.path.join(self.tmp, "ed.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout",
                        ed_key, "-out", ed_crt, "-outform", "DER", "-days", "30", "-subj",
                        "/CN=review51 Ed25519 signer"], capture_output=True, check=True)
        with open(ed_crt, "rb") as f:
            ed_der = f.read()

        def ed_sign(data):
            with open(msg, "wb") as f:
                f.write(data)
            return hostile_pdfs.eddsa_noattr_cms(data, ed_der, lambda d: subprocess.run(
                ["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", ed_key, "-in", msg],
                capture_output=True, check=True).stdout)

        for name, make in (
                ("shared_sig_wide_range", lambda: hostile_pdfs.shared_sig_wide_range(sign)),
                ("shared_eddsa_wide_first_range", lambda: hostile_pdfs.shared_sig_wide_range(
                    ed_sign, nfields=200, first=True, subfilter=b"adbe.pkcs7.detached")),
                ("shared_sig_wide_first_range_fifth_digest",
                 lambda: hostile_pdfs.shared_sig_wide_range(
                     sign, nfields=400, first=True, fillers=[
                         sign(b"filler", md, kind) for md, kind in (
                             ("sha224", "ec"), ("sha384", "ec"), ("sha512", "ec"),
                             ("sha3-256", "rsa"))]))):
            with self.subTest(name=name):
                pdf = make()
                got, cpu, rss, hz = self.costs(lambda: self.verify(pdf))
                st, _, _, doc = got
                self.assertIn(st, (200, 422), doc)
                if st == 422:
                    self.assertLimit(got)
                # PureEdDSA joins both ranges in one buffer per field (24 MB each, freed
                # at once); AddressSanitizer's quarantine keeps the freed ones: 341 MB
                self.assertBounded(name, cpu, rss, hz, asan_rss=2)
                self.assertIn(self.cli_verify(name, pdf, asan_rss=2).returncode, (0, 1, 2, 4))

    def test_upload_actions_walk_is_bounded(self):
        """review50: an upload whose page holds 5,000 annotations, each with
        the twenty triggers of an /AA naming one GoTo action whose /Next lists
        it 40 times (a 1.5 MB file): pdf/active.c judged each trigger's chain
        anew (32 items each, 3.2 M in all: 3.6 s of CPU) and checked its step budget only
        between annotations and at the end. review51: 6,400 such annotations
        whose triggers all name one array of fifteen GoTo actions written as
        direct dictionaries (1.6 MB, triggers_sharing_one_array): the walk
        remembers an indirect action's verdict (fff13f5), not an array's, and
        a direct action has no number to remember it by, so each of the
        128,000 triggers judges the fifteen again (4 M steps, just under the
        walk's budget). Stored or refused, the upload stays within the usual
        bounds."""
        self.login("buyer")
        for name in ("triggers_sharing_one_chain", "triggers_sharing_one_array"):
            with self.subTest(name=name):
                pdf = hostile_pdfs.build(name)
                got, cpu, rss, hz = self.costs(lambda: self.upload(pdf))
                st, _, _, doc = got
                self.assertIn(st, (201, 422), doc)
                if st == 422:
                    self.assertLimit(got)
                # 100,000 small direct dictionaries in qpdf's heap: 55 MB at peak for
                # the whole rewrite in a plain build (a driver on libsp_pdf.a), 570 MB
                # under AddressSanitizer, whose malloc pads and quarantines qpdf's
                # objects too, and its allocator costs qpdf's 128,000 small dictionaries
                # time as well (4.07 s of CPU once on a loaded machine)
                self.assertBounded(name, cpu, rss, hz, asan=3, asan_rss=3)

    def test_keyword_search_has_a_document_budget(self):
        """The keyword locator over 200 pages sharing one content stream of
        400,000 text operators (11 s and 2.6 GB before, cut by the request
        timeout), a form drawn 8^11 times, a page of 3M characters: 422
        pdf_limit. A direct font selected 500,000 times is read once (17 s
        before): sealed at its first occurrence."""
        self.login("buyer")
        self.login("supplier")
        for name in ("text_ops_pages", "form_xobjects", "text_ops"):
            with self.subTest(name=name):
                got, cpu, rss, hz = self.keyword(name, hostile_pdfs.build(name))
                self.assertLimit(got)
                self.assertBounded(name, cpu, rss, hz)
        got, cpu, rss, hz = self.keyword("direct_font_big", hostile_pdfs.build("direct_font_big"))
        st, _, _, doc = got
        self.assertEqual((st, len(doc["rects"])), (201, 1), doc)
        self.assertBounded("direct_font_big", cpu, rss, hz)
        self.assertEqual(self.db.query("SELECT count(*) FROM signing_sessions"), "1")

    def test_content_filters_qpdf_decodes_are_bounded_first(self):
        """A content stream the locator leaves to qpdf's decoder (Flate with
        /DecodeParms, RunLength, chains) was decoded whole before its size
        was looked at: 256 MiB of Flate with a predictor of 1 (4.8 GB for 2
        GiB, cut by the request timeout, before) is 422 pdf_limit within
        the bounds; the same filters on real content still find the keyword,
        in each of the three streams (as before)."""
        self.login("buyer")
        self.login("supplier")
        got, cpu, rss, hz = self.keyword("content_bomb_parms",
                                         hostile_pdfs.content_bomb_parms(256 << 20))
        doc = self.assertLimit(got)
        self.assertIn("may decode to more than", doc["detail"])
        self.assertBounded("content_bomb_parms", cpu, rss, hz)
        got, cpu, rss, hz = self.keyword("content_chains", hostile_pdfs.content_chains(),
                                         keyword="Seal", occurrence="all")
        st, _, _, doc = got
        self.assertEqual(st, 201, doc)
        self.assertEqual(len(doc["rects"]), 3, doc)


if __name__ == "__main__":
    unittest.main()
