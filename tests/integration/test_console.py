"""Issue 11: the reviewers' web console (/console), served from the binary with
a strict Content-Security-Policy, and worked end to end in a real browser:
Debian's chromium, headless, driven by playwright-core
(tests/support/console_browser.js). Organizations apply through the API; the
reviewer logs in with a password, lists and filters the queue, claims, views
the scan inline, previews the generated seal, approves with a validity
period, and rejects with a reason; the test then checks what the server
recorded, as the applicant sees it."""

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import ServerTestCase, api_login, bearer, create_reviewer

CONSOLE = os.path.join(harness.SOURCE_DIR, "server", "console", "review")
DRIVER = os.path.join(harness.SOURCE_DIR, "tests", "support", "console_browser.js")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PLAYWRIGHT = os.path.join(harness.SOURCE_DIR, "deploy", "npm", "node_modules", "playwright-core")

PKI = None


setUpModule, tearDownModule = harness.module_pki(__name__, tokens=False)


class Pages(ServerTestCase):
    tls = False

    def test_console_is_served_from_the_binary_with_a_strict_policy(self):
        st, hdrs, page, _ = self.server.request("GET", "/console")
        self.assertEqual(st, 200)
        self.assertEqual(hdrs["content-type"], "text/html; charset=utf-8")
        csp = [d.strip() for d in hdrs["content-security-policy"].split(";")]
        for want in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                     "img-src 'self' blob: data:", "connect-src 'self'", "object-src 'none'",
                     "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"):
            self.assertIn(want, csp)
        self.assertNotIn("unsafe", hdrs["content-security-policy"])
        self.assertNotIn("http", hdrs["content-security-policy"])
        self.assertEqual(hdrs["x-frame-options"], "DENY")
        self.assertEqual(hdrs["x-content-type-options"], "nosniff")
        # No inline script or style, nothing from another origin.
        scripts = re.findall(rb"<script([^>]*)>(.*?)</script>", page, re.S)
        self.assertEqual(len(scripts), 1)
        self.assertEqual(scripts[0][1].strip(), b"")
        self.assertRegex(scripts[0][0], rb'src="/console/console\.js"')
        self.assertNotIn(b"<style", page)
        self.assertNotRegex(page, rb"\sstyle=")
        self.assertNotRegex(page, rb"\son[a-z]+=")
        self.assertNotRegex(page, rb"(src|href)=\"(https?:)?//")
        for name, ctype in (("index.html", "text/html; charset=utf-8"),
                            ("console.js", "text/javascript; charset=utf-8"),
                            ("console.css", "text/css; charset=utf-8")):
            st, hdrs, data, _ = self.server.request("GET", "/console/" + name)
            self.assertEqual(st, 200, name)
            self.assertEqual(hdrs["content-type"], ctype)
            self.assertIn("frame-ancestors 'none'", hdrs["content-security-policy"])
            with open(os.path.join(CONSOLE, name), "rb") as f:
                self.assertEqual(data, f.read(), name)
        # The script never turns text into markup.
        with open(os.path.join(CONSOLE, "console.js")) as f:
            js = f.read()
        self.assertNotRegex(js, r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(")

    def test_no_other_file_is_reachable(self):
        for path in ("/console/README.md", "/console/..%2fopenapi.yaml", "/console/%2e%2e",
                     "/console/..", "/console/INDEX.HTML", "/console/console.js%00",
                     "/console/reference.js", "/console/review", "/console/openapi.json"):
            st, hdrs, _, _ = self.server.request("GET", path)
            self.assertIn(st, (400, 404), path)
            self.assertEqual(hdrs["content-type"], "application/problem+json", path)
            self.assertNotIn("content-security-policy", hdrs, path)


def png_of_pdf(pdf_bytes, directory):
    """The stamped form as a colour scan would be: the PDF rendered to PNG."""
    src = os.path.join(directory, "form.pdf")
    with open(src, "wb") as f:
        f.write(pdf_bytes)
    harness.run(["pdftoppm", "-png", "-r", "60", "-singlefile", src,
                 os.path.join(directory, "scan")])
    with open(os.path.join(directory, "scan.png"), "rb") as f:
        return f.read()


class ReviewInChromium(ServerTestCase):
    tls = False

    def setUp(self):
        self.server_extra = {"trust": PKI.trust_config(),
                             "seals": {"maker_cert": PKI.path("sealmaker.crt"),
                                       "maker_key": PKI.path("sealmaker.key")}}
        super().setUp()
        self.members = []
        for i in (0, 1):
            crt, key = PKI.org_cert(PKI.orgs[i]["slug"], "ec")
            st, _, _, doc = api_login(self.server, crt, key)
            self.assertEqual(st, 200, doc)
            self.members.append(doc["token"])
        for user, pw in (("rev1", "first reviewer pw 1"), ("rev2", "second reviewer pw 2")):
            p = create_reviewer(self.server, user, pw)
            self.assertEqual(p.returncode, 0, p.stderr)

    def member(self, i, method, path, body=None, want=None, headers=None):
        h = bearer(self.members[i])
        h.update(headers or {})
        resp = self.server.request(method, path, body=body, headers=h)
        if want is not None:
            self.assertEqual(resp[0], want, (method, path, resp[3]))
        return resp

    def apply(self, i, name, kind="contract", scan="png"):
        """An application submitted for review with a scan of its own form."""
        _, _, _, a = self.member(i, "POST", "/api/v1/seal-applications",
                                 {"name": name, "type": kind}, 201)
        _, hdrs, form, _ = self.member(i, "GET", "/api/v1/seal-applications/%s/form" % a["id"],
                                       want=200)
        self.assertEqual(hdrs["content-type"], "application/pdf")
        body = png_of_pdf(form, self.tmp) if scan == "png" else form
        ctype = "image/png" if scan == "png" else "application/pdf"
        self.member(i, "PUT", "/api/v1/seal-applications/%s/scan" % a["id"], body, 200,
                    {"Content-Type": ctype})
        self.member(i, "POST", "/api/v1/seal-applications/%s/submit" % a["id"], want=200)
        return a["id"]

    def reviewer_token(self, user, pw):
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login",
                                            body={"username": user, "password": pw})
        self.assertEqual(st, 200, doc)
        return doc["token"]

    def browse(self, steps):
        plan = {"base": self.server.url, "chromium": CHROMIUM, "username": "rev1",
                "password": "first reviewer pw 1", "steps": steps}
        # CONSOLE_SCREENSHOT=FILE.png keeps a picture of the page after the last step,
        # for a person to look at; the test does not need it.
        if os.environ.get("CONSOLE_SCREENSHOT"):
            plan["screenshot"] = os.environ["CONSOLE_SCREENSHOT"]
        path = os.path.join(self.tmp, "plan.json")
        with open(path, "w") as f:
            json.dump(plan, f)
        p = subprocess.run(["node", DRIVER, path], capture_output=True, text=True, timeout=240,
                           env=harness.clean_env({"HOME": self.tmp}))
        self.assertEqual(p.returncode, 0, "the browser run failed:\n%s\n%s"
                         % (p.stderr[-4000:], self.server.log()[-3000:]))
        return json.loads(p.stdout.strip().splitlines()[-1])

    def test_reviewer_rejects_and_approves_in_the_browser(self):
        self.assertTrue(os.path.exists(CHROMIUM), "chromium is missing (deploy/deps.sh test)")
        self.assertTrue(os.path.isdir(PLAYWRIGHT), "playwright-core is missing (deploy/npm.sh)")
        first = self.apply(0, "采购合同专用章")
        odd = self.apply(1, "<img src=x onerror=alert(1)>章", kind="official", scan="pdf")
        held = self.apply(1, "物流专用章")
        uploaded = self.apply(0, "采购公章", kind="official")
        own_png = os.path.join(self.tmp, "own-seal.png")
        harness.run(["python3", os.path.join(harness.SOURCE_DIR, "deploy", "seal.py"), own_png,
                     "200"])
        # Another reviewer holds one claim: the console must say no, visibly.
        rev2 = self.reviewer_token("rev2", "second reviewer pw 2")
        st, _, _, doc = self.server.request("POST", "/api/v1/review/applications/%s/claim" % held,
                                            headers=bearer(rev2))
        self.assertEqual(st, 200, doc)
        # A draft nobody submitted is not in the queue.
        _, _, _, draft = self.member(0, "POST", "/api/v1/seal-applications",
                                     {"name": "草稿章", "type": "official"}, 201)

        org0 = PKI.orgs[0]["name"]
        obs = self.browse([
            {"do": "login_wrong", "password": "not the password"},
            {"do": "login"},
            {"do": "queue", "expect_ids": [first, odd, held, uploaded], "ordered": True,
             "absent_ids": [draft["id"]]},
            {"do": "queue", "q": org0, "expect_ids": [first, uploaded], "absent_ids": [odd, held]},
            {"do": "queue"},
            {"do": "literal_text", "id": odd, "text": "<img src=x onerror=alert(1)>章"},
            {"do": "cells", "id": held},
            {"do": "claim_refused", "id": held},
            {"do": "reject", "id": odd, "reason": "扫描件不清晰 / the scan is unreadable",
             "scan": "pdf"},
            {"do": "claim_release", "id": first},
            {"do": "approve", "id": first, "code": "1101080001", "from": "2026-01-01",
             "until": "2029-12-31"},
            {"do": "approve", "id": uploaded, "png": own_png, "until": "2030-06-30"},
            {"do": "queue", "status": "approved", "expect_ids": [first, uploaded],
             "absent_ids": [odd]},
            {"do": "queue", "status": "rejected", "expect_ids": [odd], "absent_ids": [first]},
            {"do": "queue", "expect_ids": [held], "absent_ids": [first, odd, uploaded]},
        ])
        steps = {s["do"] + ":" + str(s.get("id")): s for s in obs["steps"]}
        self.assertIn("invalid_credentials", steps["login_wrong:None"]["message"])
        self.assertEqual(steps["reject:%s" % odd]["scan"]["kind"], "pdf")
        # What a reviewer reads: the status as the filter names it, and times that say
        # their zone (each browser shows its own; the server's are UTC)
        cells = steps["cells:%s" % held]
        zoned = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|GMT[+\u2212-]\d+(:\d\d)?)$"
        self.assertEqual(cells["cells"][4], "under review", cells)
        self.assertEqual(cells["status"], "under review", cells)
        self.assertRegex(cells["cells"][0], zoned)
        self.assertRegex(cells["submitted"], zoned)
        self.assertRegex(cells["cells"][5], r"^rev2 until " + zoned[1:], cells)
        self.assertFalse(cells["placeholder_cut"], "the search box cuts its own hint")
        self.assertGreater(steps["approve:%s" % first]["scan"]["w"], 100)

        # What the applicants see: the rejection with its reason, the seal issued.
        _, _, _, a = self.member(1, "GET", "/api/v1/seal-applications/%s" % odd, want=200)
        self.assertEqual(a["status"], "rejected")
        self.assertEqual(a["review_note"], "扫描件不清晰 / the scan is unreadable")
        _, _, _, a = self.member(0, "GET", "/api/v1/seal-applications/%s" % first, want=200)
        self.assertEqual(a["status"], "approved")
        seal_id = steps["approve:%s" % first]["seal_id"]
        self.assertEqual(a["seal_id"], seal_id)
        _, _, _, seal = self.member(0, "GET", "/api/v1/seals/%s" % seal_id, want=200)
        self.assertEqual(seal["status"], "approved")
        self.assertTrue(seal["valid_from"].startswith("2026-01-01"), seal)
        self.assertTrue(seal["valid_until"].startswith("2029-12-31"), seal)
        _, hdrs, png, _ = self.member(0, "GET", "/api/v1/seals/%s/image" % seal_id, want=200)
        self.assertEqual(hdrs["content-type"], "image/png")
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        # The uploaded picture is the seal's, byte for byte.
        seal_id = steps["approve:%s" % uploaded]["seal_id"]
        _, _, _, seal = self.member(0, "GET", "/api/v1/seals/%s" % seal_id, want=200)
        self.assertEqual(seal["image_source"], "uploaded")
        self.assertTrue(seal["valid_until"].startswith("2030-06-30"), seal)
        _, _, got, _ = self.member(0, "GET", "/api/v1/seals/%s/image" % seal_id, want=200)
        with open(own_png, "rb") as f:
            self.assertEqual(got, f.read())
        # The claim another reviewer holds is untouched.
        st, _, _, doc = self.server.request("GET", "/api/v1/review/applications/%s" % held,
                                            headers=bearer(rev2))
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["status"], "under_review")
        self.assertIsNotNone(doc["claim"])
        self.assertNotEqual(doc["claim"]["reviewer"], "rev1")

    def test_another_organizations_markup_is_shown_as_text(self):
        """sec44: what an applicant names (its certificate's O, its seal's name) is
        shown to the reviewer as the text it is: no element, no entity decoded."""
        self.assertTrue(os.path.exists(CHROMIUM), "chromium is missing (deploy/deps.sh test)")
        self.assertTrue(os.path.isdir(PLAYWRIGHT), "playwright-core is missing (deploy/npm.sh)")
        org = "<b onmouseover>Evil &lt;i&gt; Co"
        crt, key = PKI.issue("markup", "/O=%s/organizationIdentifier=%s/CN=Mal"
                             % (org, PKI.orgs[2]["credit_code"]))
        st, _, _, doc = api_login(self.server, crt, key)
        self.assertEqual((st, doc["organization"]["name"]), (200, org), doc)
        self.members.append(doc["token"])
        seal = "<svg onload=alert(1)>&amp;章"
        odd = self.apply(2, seal)
        obs = self.browse([{"do": "login"}, {"do": "queue", "expect_ids": [odd]},
                           {"do": "literal_text", "id": odd, "text": seal, "org": org}])
        self.assertEqual(obs["steps"][-1]["child_elements"], 0)

    def test_long_names_keep_the_layout(self):
        """An organization whose certificate names it with 64 letters and no
        space (the most X.520 allows), applying for a seal of 40 (the longest
        taken): its row and its detail wrap within the page, which never
        scrolls sideways (sec36; the queue's cells did not wrap: 752 px over)."""
        self.assertTrue(os.path.exists(CHROMIUM), "chromium is missing (deploy/deps.sh test)")
        self.assertTrue(os.path.isdir(PLAYWRIGHT), "playwright-core is missing (deploy/npm.sh)")
        crt, key = PKI.issue("longname", "/O=%s/organizationIdentifier=%s/CN=Long"
                             % ("W" * 64, PKI.orgs[2]["credit_code"]))
        st, _, _, doc = api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        self.members.append(doc["token"])
        long_one = self.apply(2, "W" * 40)
        obs = self.browse([{"do": "login"}, {"do": "queue", "expect_ids": [long_one]},
                           {"do": "fits", "id": long_one}])
        steps = {s["do"]: s for s in obs["steps"]}
        self.assertEqual((steps["fits"]["queue_over"], steps["fits"]["detail_over"]), (0, 0))


if __name__ == "__main__":
    unittest.main()
