"""sec47: outbound requests that a certificate names. An initiator may upload a contract
that already carries a signature (kept byte for byte). Its certificate is the uploader's
choice, and so are its AIA (OCSP) and CRL distribution point URLs. When a party then
signs, the completion gathers the revocation evidence of every signature in the file for
its /DSS (PAdES B-LT), and asks each chain's OCSP responder: the server must not be made
to reach its own network that way (DESIGN section 7), unless trust.allow_hosts names the
host (the test PKI's responder on 127.0.0.1 is allowed; the trap below is 127.0.0.2)."""

import http.server
import os
import subprocess
import threading
import unittest

import harness
import test_signing
from test_signing import SigningCase

SIGNER = os.path.join(harness.SOURCE_DIR, "tests", "support", "objstm_signer.py")


def setUpModule():
    test_signing.setUpModule(tokens=False)


def tearDownModule():
    test_signing.tearDownModule()


class Trap(http.server.BaseHTTPRequestHandler):
    """An internal service: records what reaches it."""
    seen = []

    def answer(self):
        Trap.seen.append((self.command, self.path))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


class UrlCase(SigningCase):

    def setUp(self):
        super().setUp()
        Trap.seen = []
        self.trap = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Trap)
        threading.Thread(target=self.trap.serve_forever, daemon=True).start()
        self.addCleanup(self.trap.server_close)
        self.addCleanup(self.trap.shutdown)

    def uploader_signed_pdf(self, url=None):
        """A contract signed by a certificate of the uploader's own CA whose OCSP and
        CRL URLs name url (the trap), the CA's certificate beside it in the CMS."""
        d, url = self.tmp, url or "http://127.0.0.2:%d" % self.trap.server_address[1]

        def ssl(*args):
            subprocess.run(["openssl"] + list(args), check=True, capture_output=True)

        ext = os.path.join(d, "leaf.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,"
                    "nonRepudiation\nauthorityInfoAccess=OCSP;URI:%s/ocsp\n"
                    "crlDistributionPoints=URI:%s/crl\n" % (url, url))
        ca, cakey, leaf, key = (os.path.join(d, n) for n in ("ca.pem", "ca.key", "leaf.pem",
                                                              "leaf.key"))
        ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", cakey, "-out", ca, "-days", "30", "-subj", "/CN=Uploader CA")
        ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", leaf + ".csr", "-subj", "/CN=Uploader")
        ssl("x509", "-req", "-in", leaf + ".csr", "-CA", ca, "-CAkey", cakey,
            "-CAcreateserial", "-out", leaf, "-days", "30", "-extfile", ext)
        out = os.path.join(d, "presigned.pdf")
        subprocess.run(["python3", SIGNER, out, leaf, key, ca], check=True)
        with open(out, "rb") as f:
            return f.read()

    def signed_by_supplier(self, pdf):
        """The contract pdf, sent to the supplier, signed by it; its file."""
        self.login_api("buyer", "rsa")
        self.login_api("supplier", "rsa")
        n = self.create([("supplier", 1)], pdf=pdf)
        self.act("supplier", n, "receive")
        prep = self.prepared("supplier", n, "rsa")
        st, _, _, doc = self.complete("supplier", prep["session"],
                                      self.token_sign("supplier", "rsa", prep))
        self.assertEqual(st, 200, doc)
        with open(self.download("supplier", n), "rb") as f:
            return f.read()


class CertificateUrls(UrlCase):

    def test_a_signed_upload_s_urls_do_not_reach_internal_addresses(self):
        data = self.signed_by_supplier(self.uploader_signed_pdf())
        self.assertEqual(Trap.seen, [])
        # The allowed responder (the test PKI's) still answered for the signer's chain.
        self.assertIn(b"/OCSPs", data)


class UnanchoredChains(UrlCase):
    """An uploaded signature whose chain the trust store does not anchor: its responder is
    not asked at all, even at an allowed address. Its answer would prove nothing, and a
    responder that never answers cost each completion ocsp_timeout_ms (3.09 s against
    0.10 s, one such signature; each signature one more)."""

    def setUp(self):
        super().setUp()
        self.allowed = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trap)
        threading.Thread(target=self.allowed.serve_forever, daemon=True).start()
        self.addCleanup(self.allowed.server_close)
        self.addCleanup(self.allowed.shutdown)

    def test_an_unanchored_chain_s_responder_is_not_asked(self):
        self.signed_by_supplier(self.uploader_signed_pdf(
            "http://127.0.0.1:%d" % self.allowed.server_address[1]))
        self.assertEqual(Trap.seen, [])


if __name__ == "__main__":
    unittest.main()
