"""Issue 11: the seed's whole seal flow from the terminal, with a SoftHSM2
token: `sealpact seal apply` -> download the form -> upload the scan and
submit -> a reviewer rejects -> modify and resubmit -> approved with the
generated seal -> `sealpact seal install` on the token (checked with
pkcs11-tool, an independent PKCS#11 client) -> `sealpact sign` a contract
with that seal -> `sealpact seal change` -> the old seal is refused, the new
one works. Also: bad input and a tampered seal package change nothing."""

import base64
import datetime
import json
import os
import re
import subprocess
import unittest

import harness
from harness import ServerTestCase, bearer, create_reviewer, run

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")
REVIEWER = ("desk", "seal desk password 1")

PKI = None


setUpModule, tearDownModule = harness.module_pki(__name__)


def rfc3339(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class SealFlow(ServerTestCase):
    tls = True

    def setUp(self):
        self.server_extra = {
            "trust": PKI.trust_config(),
            "tsa": {"mode": "builtin", "cert": PKI.path("tsa.crt"), "key": PKI.path("tsa.key"),
                    "chain": PKI.path("chain.pem"), "trust": PKI.path("root.pem")},
            "seals": {"maker_cert": PKI.path("sealmaker.crt"),
                      "maker_key": PKI.path("sealmaker.key")},
        }
        super().setUp()
        self.orgs = {o["slug"]: o for o in PKI.orgs}
        self.homes = {}
        p = create_reviewer(self.server, *REVIEWER)
        self.assertEqual(p.returncode, 0, p.stderr)
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login",
                                            body={"username": REVIEWER[0],
                                                  "password": REVIEWER[1]})
        self.assertEqual(st, 200, doc)
        self.reviewer = doc["token"]

    # ---- helpers -------------------------------------------------------------------

    def cli(self, slug, *args, ok=True, pin=True):
        home = self.homes.setdefault(slug, os.path.join(self.tmp, "home-" + slug))
        os.makedirs(home, exist_ok=True)
        e = harness.clean_env({"HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "xdg")})
        if pin:
            e["SEALPACT_PIN"] = harness.TOKEN_PIN
        e.update(PKI.token_env())
        p = subprocess.run([harness.SEALPACT, "--server", self.server.url, "--cacert",
                            self.server.cafile] + list(args), capture_output=True, text=True,
                           env=e, timeout=120, stdin=subprocess.DEVNULL)
        if ok is True:
            self.assertEqual(p.returncode, 0, "%s\n%s%s" % (args, p.stdout, p.stderr))
        elif ok is not None:
            self.assertEqual(p.returncode, ok, "%s\n%s%s" % (args, p.stdout, p.stderr))
        return p

    def token_opts(self, label):
        return ["--module", MODULE, "--token", label, "--key-id", "01"]

    def login(self, slug, alg="rsa"):
        self.cli(slug, "login", *self.token_opts("%s-%s" % (slug, alg)))
        with open(os.path.join(self.homes[slug], "xdg", "sealpact", "session.json")) as f:
            return json.load(f)["token"]

    def review(self, method, path, body=None):
        return self.server.request(method, "/api/v1/review/applications" + path, body=body,
                                   headers=bearer(self.reviewer))

    def review_ok(self, method, path, body=None, want=200):
        st, _, _, doc = self.review(method, path, body)
        self.assertEqual(st, want, (method, path, doc))
        return doc

    def token_objects(self, label):
        """The data objects on a token, as pkcs11-tool (OpenSC) lists them."""
        p = subprocess.run(["pkcs11-tool", "--module", MODULE, "--token-label", label,
                            "--list-objects", "--type", "data"], capture_output=True,
                           text=True, env=harness.clean_env(PKI.token_env()), timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def scan_of(self, app_id, slug, name):
        """Download the form with the CLI and 'scan' it: rendered to PNG."""
        form = os.path.join(self.tmp, "form-%s.pdf" % app_id)
        out = self.cli(slug, "seal", "form", app_id, "-o", form).stdout
        self.assertIn("saved the application form", out)
        with open(form, "rb") as f:
            self.assertEqual(f.read(5), b"%PDF-")
        p = subprocess.run(["qpdf", "--check", form], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        base = os.path.join(self.tmp, name)
        run(["pdftoppm", "-png", "-r", "50", "-singlefile", form, base])
        return base + ".png"

    def app_id(self, out):
        m = re.search(r"^application:\s+(\d+)$", out, re.M)
        self.assertIsNotNone(m, out)
        return m.group(1)

    def approve(self, app_id):
        now = datetime.datetime.now(datetime.timezone.utc)
        self.review_ok("POST", "/%s/claim" % app_id)
        doc = self.review_ok("POST", "/%s/approve" % app_id, {
            "valid_from": rfc3339(now - datetime.timedelta(days=1)),
            "valid_until": rfc3339(now + datetime.timedelta(days=730)), "image": "generated"})
        self.assertEqual(doc["status"], "approved")
        return doc["seal_id"]

    def contract_for_supplier(self, buyer):
        with open(SHORT, "rb") as f:
            pdf = f.read()
        body = {"name": "Seal contract", "pdf_base64": base64.b64encode(pdf).decode(),
                "parties": [{"credit_code": self.orgs["supplier"]["credit_code"],
                             "role": "signer", "routing_order": 1}]}
        st, _, _, doc = self.server.request("POST", "/api/v1/contracts", body=body,
                                            headers=bearer(buyer))
        self.assertEqual(st, 201, doc)
        n = doc["number"]
        h = dict(bearer(buyer), **{"Content-Type": "application/json"})
        st, _, _, doc = self.server.request("POST", "/api/v1/contracts/%s/send" % n, body=b"",
                                            headers=h)
        self.assertEqual(st, 200, doc)
        self.cli("supplier", "receive", n)
        return n

    def sign(self, n, seal_id, ok=True):
        return self.cli("supplier", "sign", n, *self.token_opts("supplier-rsa"), "--normal",
                        "1,400,120", "--seal", seal_id, ok=ok)

    def revisions(self, n):
        return int(self.db.query("SELECT count(*) FROM revisions WHERE contract_number = %s" % n))

    # ---- the flow --------------------------------------------------------------------

    def test_apply_review_install_sign_change(self):
        self.login("supplier")
        crt, key = PKI.org_cert("buyer", "ec")
        st, _, _, doc = harness.api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        buyer = doc["token"]

        # Bad input first: a clear message, a non-zero exit, nothing created.
        p = self.cli("supplier", "seal", "apply", "--name", "章" * 41, "--type", "contract",
                     ok=1)
        self.assertIn("seal_name_invalid", p.stderr)
        p = self.cli("supplier", "seal", "apply", "--name", "x", "--type", "round", ok=64)
        self.assertIn("--type", p.stderr)
        p = self.cli("supplier", "seal", "show", "12x", ok=64)
        self.assertEqual(self.db.query("SELECT count(*) FROM seals"), "0")

        # An application can be withdrawn; it then goes nowhere.
        out = self.cli("supplier", "seal", "apply", "--name", "作废章", "--type",
                       "official").stdout
        gone = self.app_id(out)
        self.assertIn("is cancelled", self.cli("supplier", "seal", "cancel", gone).stdout)
        p = self.cli("supplier", "seal", "submit", gone, ok=1)
        self.assertIn("wrong_state", p.stderr)
        self.assertRegex(self.cli("supplier", "seal", "show", gone).stdout,
                         r"status:\s+cancelled")

        # Apply, form, scan, submit.
        out = self.cli("supplier", "seal", "apply", "--name", "供应商合同专用章", "--type",
                       "contract").stdout
        app = self.app_id(out)
        self.assertRegex(out, r"status:\s+draft")
        junk = os.path.join(self.tmp, "scan.txt")
        with open(junk, "w") as f:
            f.write("not a scan\n")
        p = self.cli("supplier", "seal", "upload", app, junk, "--submit", ok=65)
        self.assertIn("not a PDF, PNG or JPEG", p.stderr)
        scan = self.scan_of(app, "supplier", "scan1")
        out = self.cli("supplier", "seal", "upload", app, scan, "--submit").stdout
        self.assertIn("uploaded: image/png", out)
        self.assertIn("is under_review", out)

        # The reviewer rejects; the applicant reads why.
        self.review_ok("POST", "/%s/claim" % app)
        self.review_ok("POST", "/%s/reject" % app, {"reason": "印章名称与扫描件不符"})
        out = self.cli("supplier", "seal", "show", app).stdout
        self.assertRegex(out, r"status:\s+rejected")
        self.assertIn("印章名称与扫描件不符", out)

        # Modify and resubmit; the reviewer approves with the generated seal.
        out = self.cli("supplier", "seal", "modify", app, "--name", "供应商合同专用章",
                       "--scan", scan, "--submit").stdout
        self.assertIn("is draft", out)
        self.assertIn("is under_review", out)
        seal = self.approve(app)

        out = self.cli("supplier", "seal", "list", "--module", MODULE, "--token",
                       "supplier-rsa").stdout
        self.assertIn("On the token (0)", out)
        self.assertRegex(out, r"seal %s\s+供应商合同专用章\s+contract\s+approved" % seal)

        # A tampered package is refused and nothing is stored.
        good = self.db.query("SELECT encode(seseal, 'hex') FROM seals WHERE id = %s" % seal)
        self.db.query("UPDATE seals SET seseal = set_byte(seseal, length(seseal) / 2, "
                      "get_byte(seseal, length(seseal) / 2) # 1) WHERE id = %s" % seal)
        p = self.cli("supplier", "seal", "install", seal, *self.token_opts("supplier-rsa"),
                     ok=1)
        self.assertIn("refused, nothing was stored", p.stderr)
        self.assertNotIn("sealpact-seal", self.token_objects("supplier-rsa"))
        self.db.query("UPDATE seals SET seseal = decode('%s', 'hex') WHERE id = %s"
                      % (good, seal))
        # A token whose certificate the seal does not bind: refused too.
        p = self.cli("supplier", "seal", "install", seal, *self.token_opts("supplier-ec"),
                     ok=1)
        self.assertIn("does not bind the certificate on this token", p.stderr)
        self.assertNotIn("sealpact-seal", self.token_objects("supplier-ec"))
        # A wrong PIN stores nothing either.
        pinfile = os.path.join(self.tmp, "wrong.pin")
        with open(pinfile, "w") as f:
            f.write("000000\n")
        p = self.cli("supplier", "seal", "install", seal, *self.token_opts("supplier-rsa"),
                     "--pin-file", pinfile, pin=False, ok=1)
        self.assertIn("refused the PIN", p.stderr)
        st, _, _, doc = self.server.request("GET", "/api/v1/seals/%s" % seal,
                                            headers=bearer(self.supplier_token()))
        self.assertEqual(doc["status"], "approved")

        # Install: on the token (pkcs11-tool sees it), installed on the server.
        out = self.cli("supplier", "seal", "install", seal,
                       *self.token_opts("supplier-rsa")).stdout
        self.assertIn("installed seal %s" % seal, out)
        self.assertIn("status on the server: installed", out)
        objs = self.token_objects("supplier-rsa")
        self.assertIn("sealpact-seal", objs)
        self.assertRegex(objs, r"label:\s+'?%s'?" % seal)
        out = self.cli("supplier", "seal", "list", "--module", MODULE, "--token",
                       "supplier-rsa").stdout
        self.assertIn("On the token (1)", out)
        self.assertRegex(out, r"seal %s\s+供应商合同专用章\s+contract\s+valid " % seal)
        self.assertRegex(out, r"seal %s\s+供应商合同专用章\s+contract\s+installed" % seal)
        # Installing again replaces the copy; still one object.
        self.cli("supplier", "seal", "install", seal, *self.token_opts("supplier-rsa"))
        self.assertEqual(self.token_objects("supplier-rsa").count("sealpact-seal"), 1)

        # Sign a contract with the seal; the verification names it.
        n = self.contract_for_supplier(buyer)
        self.sign(n, seal)
        self.assertEqual(self.revisions(n), 2)
        st, _, _, doc = self.server.request("GET", "/api/v1/contracts/%s/verification" % n,
                                            headers=bearer(buyer))
        self.assertEqual(st, 200, doc)
        self.assertIn('"id": "%s"' % seal, json.dumps(doc, ensure_ascii=False))

        # Change the seal: the new one is approved, the old one revoked.
        out = self.cli("supplier", "seal", "change", seal).stdout
        app2 = self.app_id(out)
        self.assertRegex(out, r"replaces:\s+seal %s" % seal)
        scan2 = self.scan_of(app2, "supplier", "scan2")
        self.cli("supplier", "seal", "upload", app2, scan2, "--submit")
        seal2 = self.approve(app2)
        self.assertNotEqual(seal2, seal)
        out = self.cli("supplier", "seal", "list").stdout
        self.assertRegex(out, r"seal %s\s+\S+\s+contract\s+revoked" % seal)
        self.assertRegex(out, r"seal %s\s+\S+\s+contract\s+approved" % seal2)
        # The token still holds the old seal; the list says the server revoked it.
        doc = json.loads(self.cli("supplier", "seal", "list", "--json", "--module", MODULE,
                                  "--token", "supplier-rsa").stdout)
        self.assertEqual([(t["id"], t["server_status"]) for t in doc["token"]],
                         [(seal, "revoked")])
        self.assertEqual({x["id"]: x["status"] for x in doc["seals"]},
                         {seal: "revoked", seal2: "approved"})

        # The old seal is refused (nothing stored); the new one works.
        n2 = self.contract_for_supplier(buyer)
        p = self.sign(n2, seal, ok=1)
        self.assertIn("seal_revoked", p.stderr)
        self.assertEqual(self.revisions(n2), 1)
        self.cli("supplier", "seal", "install", seal2, *self.token_opts("supplier-rsa"))
        self.sign(n2, seal2)
        self.assertEqual(self.revisions(n2), 2)

    def supplier_token(self):
        with open(os.path.join(self.homes["supplier"], "xdg", "sealpact", "session.json")) as f:
            return json.load(f)["token"]


if __name__ == "__main__":
    unittest.main()
