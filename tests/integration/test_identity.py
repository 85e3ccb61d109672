"""Issue 3, end to end: login with SoftHSM2 tokens (RSA, ECDSA) and an SM2 key
through the real `sealpact` client, every refusal with its own code and nothing
created, logout, reviewer accounts with lockout, and API keys."""

import base64
import json
import os
import stat
import subprocess
import tempfile
import time
import unittest

import harness
from harness import (ServerTestCase, api_challenge, api_login, bearer,
                     create_reviewer, identity_counts)

PKI = None


def run_on_pty(cmd, env, answers, timeout=120):
    """Run cmd with a pseudo-terminal as its controlling terminal and stdio,
    typing each answer once its prompt shows. Returns (exit status, output)."""
    import fcntl
    import pty
    import select
    import termios
    master, slave = pty.openpty()

    def controlling_tty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                         preexec_fn=controlling_tty)
    os.close(slave)
    out, pending = b"", list(answers)
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if pending and out.count(pending[0][0]) >= 1:
            prompt, answer = pending.pop(0)
            out = out.replace(prompt, b"<" + prompt.strip() + b">", 1)
            os.write(master, (answer + "\n").encode())
        if p.poll() is not None and not r:
            break
    os.close(master)
    try:
        return p.wait(10), out
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait(), out


setUpModule, tearDownModule = harness.module_pki(__name__)


class IdentityCase(ServerTestCase):

    auth_extra = {"login_max_failures": 3, "login_lockout_s": 60}

    def setUp(self):
        self.server_extra = {"trust": PKI.trust_config(), "auth": dict(self.auth_extra)}
        super().setUp()
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)

    def cli(self, *args, env=None, input=None):
        e = dict(os.environ)
        e.update({"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, "xdg")})
        e.pop("SEALPACT_PIN", None)
        e.update(PKI.token_env())
        e.update(env or {})
        return subprocess.run([harness.SEALPACT, "--server", self.server.url, "--cacert",
                               self.server.cafile] + list(args), capture_output=True,
                              text=True, env=e, input=input, timeout=60)

    def session_file(self):
        return os.path.join(self.home, "xdg", "sealpact", "session.json")

    def saved_token(self):
        with open(self.session_file()) as f:
            return json.load(f)["token"]


class TokenLogin(IdentityCase):

    def login_token(self, label, **kw):
        return self.cli("login", "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token", label,
                        "--key-id", "01", **kw)

    def test_rsa_token_login_whoami_logout(self):
        org = PKI.orgs[0]
        p = self.login_token(org["slug"] + "-rsa", env={"SEALPACT_PIN": harness.TOKEN_PIN})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(org["credit_code"], p.stdout)
        st = os.stat(self.session_file())
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.session_file())).st_mode), 0o700)
        token = self.saved_token()
        self.assertEqual(self.db.query("SELECT host(ip) FROM sessions"), "127.0.0.1")
        self.assertEqual(self.db.query("SELECT token_hash FROM sessions"),
                         __import__("hashlib").sha256(token.encode()).hexdigest())
        self.assertEqual(self.db.query("SELECT name || '|' || credit_code FROM organizations"),
                         org["name"] + "|" + org["credit_code"])
        p = self.cli("whoami", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        who = json.loads(p.stdout)
        self.assertEqual(who["kind"], "member")
        self.assertEqual(who["organization"]["credit_code"], org["credit_code"])
        p = self.cli("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(self.session_file()))
        # The token is refused once logged out.
        resp = self.server.request("GET", "/api/v1/auth/whoami", headers=bearer(token))
        doc = self.assertProblem(resp, 401, "unauthorized")
        self.assertIn("Bearer", resp[1].get("www-authenticate", ""))
        p = self.cli("whoami")
        self.assertNotEqual(p.returncode, 0)

    def test_ecdsa_token_login_with_pin_file_and_second_login_reuses_org(self):
        org = PKI.orgs[1]
        pinf = os.path.join(self.tmp, "pin")
        with open(pinf, "w") as f:
            f.write(harness.TOKEN_PIN + "\n")
        p = self.cli("login", "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token",
                     org["slug"] + "-ec", "--pin-file", pinf)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.cli("login", "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token",
                     org["slug"] + "-ec", "--pin-file", pinf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(identity_counts(self.db), "1|1|1|2")
        p = self.cli("whoami")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(org["name"], p.stdout)

    def test_pin_prompt_on_a_terminal_does_not_echo(self):
        org = PKI.orgs[0]
        e = dict(os.environ)
        e.update({"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, "xdg")})
        e.pop("SEALPACT_PIN", None)
        e.update(PKI.token_env())
        rc, out = run_on_pty([harness.SEALPACT, "--server", self.server.url, "--cacert",
                              self.server.cafile, "login", "--module",
                              "/usr/lib/softhsm/libsofthsm2.so", "--token", org["slug"] + "-ec"],
                             e, [(b"Token PIN: ", harness.TOKEN_PIN)])
        self.assertEqual(rc, 0, out)
        self.assertNotIn(harness.TOKEN_PIN.encode(), out)
        self.assertIn(b"logged in as", out)

    def test_wrong_pin_is_refused_on_the_client(self):
        p = self.login_token(PKI.orgs[0]["slug"] + "-ec", env={"SEALPACT_PIN": "000000"})
        self.assertEqual(p.returncode, 1)
        self.assertIn("PIN", p.stderr)
        self.assertEqual(identity_counts(self.db), "0|0|0|0")

    def test_sm2_login_with_pem_key(self):
        org = PKI.orgs[2]
        crt, key = PKI.org_cert(org["slug"], "sm2")
        p = self.cli("login", "--key", key, "--cert", crt)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.cli("whoami", "--json")
        self.assertEqual(json.loads(p.stdout)["organization"]["credit_code"], org["credit_code"])

    def test_three_algorithms_of_one_org_are_one_user_each_cert(self):
        org = PKI.orgs[0]
        for alg in ("rsa", "ec", "sm2"):
            crt, key = PKI.org_cert(org["slug"], alg)
            if alg == "sm2":
                p = self.cli("login", "--key", key, "--cert", crt)
                self.assertEqual(p.returncode, 0, p.stderr)
            else:
                st, _, _, doc = api_login(self.server, crt, key)
                self.assertEqual(st, 200, doc)
                self.assertEqual(doc["organization"]["credit_code"], org["credit_code"])
        self.assertEqual(self.db.query("SELECT count(*) FROM organizations"), "1")
        self.assertEqual(self.db.query("SELECT count(*) FROM certificates"), "3")


class Refusals(IdentityCase):
    """Each refusal has its own code and creates nothing."""

    def refused(self, resp, status, code):
        self.assertProblem(resp, status, code)
        self.assertEqual(identity_counts(self.db), "0|0|0|0")

    def bad(self, name):
        return PKI.path("bad", name + ".crt"), PKI.path("bad", name + ".key")

    def test_untrusted_issuer(self):
        self.refused(api_login(self.server, *self.bad("untrusted")), 401, "untrusted_issuer")

    def test_expired(self):
        self.refused(api_login(self.server, *self.bad("expired")), 401, "cert_expired")

    def test_not_yet_valid(self):
        self.refused(api_login(self.server, *self.bad("notyet")), 401, "cert_not_yet_valid")

    def test_revoked_by_ocsp(self):
        # The responder says so, not the CRL: a server without the issuing CA's CRL
        # (the root's only, which speaks for the CA itself) learns it from OCSP alone.
        self.server.stop()
        self.server_extra["trust"] = PKI.trust_config(crls=[PKI.path("root-crl.pem")])
        self.server = harness.Server(self.tmp, self.db.url, tls=self.tls,
                                     extra=self.server_extra)
        self.addCleanup(self.server.stop)
        self.server.start()
        self.refused(api_login(self.server, *self.bad("revoked")), 401, "cert_revoked")

    def test_wrong_key_usage(self):
        self.refused(api_login(self.server, *self.bad("wrongku")), 401, "bad_key_usage")

    def test_tampered_certificate(self):
        self.refused(api_login(self.server, *self.bad("tampered")), 401, "cert_signature_invalid")

    def test_signature_by_another_key(self):
        crt, _ = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        _, other = PKI.org_cert(PKI.orgs[1]["slug"], "ec")
        self.refused(api_login(self.server, crt, other, sign_key=other), 401, "bad_signature")

    def test_malformed_credit_code(self):
        code = PKI.orgs[0]["credit_code"]
        wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
        crt, key = PKI.issue("badcode", "/O=Bad Code Ltd/organizationIdentifier=%s/CN=Bob" % wrong)
        self.refused(api_login(self.server, crt, key), 401, "malformed_credit_code")
        crt, key = PKI.issue("nocode", "/O=No Code Ltd/CN=Bob")
        self.refused(api_login(self.server, crt, key), 401, "malformed_credit_code")

    def test_names_with_control_or_bidi_characters(self):
        """The certificate's O and CN become the organization's and the user's
        names everywhere (lists, the console, the seal's text, evidence): a
        right-to-left override (U+202E) would have "Acme\u202egnp.exe" shown
        as "Acmeexe.png", a newline split a log line. Refused as the names
        the API takes are (sec36); nothing is created."""
        code = PKI.orgs[0]["credit_code"]
        before = identity_counts(self.db)
        for i, (o, cn) in enumerate((("Acme\u202egnp.exe Ltd", "Bob"),
                                     ("Acme Ltd", "Bob\u2066Admin"),
                                     ("Acme\u0085Ltd", "Bob"))):
            crt, key = PKI.issue("bidi%d" % i, "/O=%s/organizationIdentifier=%s/CN=%s"
                                 % (o, code, cn))
            with self.subTest(o=o, cn=cn):
                self.refused(api_login(self.server, crt, key), 400, "malformed_certificate")
        self.assertEqual(identity_counts(self.db), before)

    def test_replayed_nonce(self):
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        ch = api_challenge(self.server)
        st, _, _, doc = api_login(self.server, crt, key, challenge=ch)
        self.assertEqual(st, 200, doc)
        before = identity_counts(self.db)
        self.assertProblem(api_login(self.server, crt, key, challenge=ch), 401, "challenge_used")
        self.assertEqual(identity_counts(self.db), before)

    def test_replayed_nonce_first_login_creates_nothing_twice(self):
        # A nonce replayed by someone else (other org) is refused and creates no org.
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "rsa")
        crt2, key2 = PKI.org_cert(PKI.orgs[1]["slug"], "rsa")
        ch = api_challenge(self.server)
        self.assertEqual(api_login(self.server, crt, key, challenge=ch)[0], 200)
        self.assertProblem(api_login(self.server, crt2, key2, challenge=ch), 401, "challenge_used")
        self.assertEqual(identity_counts(self.db), "1|1|1|1")

    def test_expired_nonce(self):
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        # One the database issued (its tag is sound) that expired a second ago: its
        # expiry, whole seconds, is the next whole second after now plus a TTL of -1.
        ch = self.db.query("SELECT encode(challenge, 'base64') FROM auth_challenge_issue(-1)")
        self.refused(api_login(self.server, crt, key, challenge=ch), 401, "challenge_expired")

    def test_unknown_nonce(self):
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        ch = base64.b64encode(os.urandom(32)).decode()
        self.refused(api_login(self.server, crt, key, challenge=ch), 401, "challenge_unknown")

    def test_malformed_input(self):
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        ch = api_challenge(self.server)
        cases = [
            {},
            {"certificate": "!!!", "challenge": ch, "signature": "AAAA"},
            {"certificate": "AAAA", "challenge": ch, "signature": "AAAA"},
            {"certificate": base64.b64encode(b"x" * 100).decode(), "challenge": ch,
             "signature": "AAAA"},
            {"certificate": "AAAA", "challenge": "AAAA", "signature": "AAAA"},
            {"certificate": "AAAA", "challenge": ch, "signature": "AAAA", "extra": 1},
            {"certificate": "AAAA", "challenge": ch, "signature": "AAAA", "chain": "x"},
            {"certificate": "AAAA", "challenge": ch, "signature": 5},
        ]
        for body in cases:
            resp = self.server.request("POST", "/api/v1/auth/login", body=body)
            self.assertEqual(resp[0], 400, (body, resp[3]))
            self.assertIn(resp[3]["code"], ("invalid", "malformed_certificate"))
        resp = api_login(self.server, crt, key, extra={"algorithm": "sha256WithRSAEncryption"})
        self.assertProblem(resp, 400, "alg_mismatch")
        self.assertEqual(identity_counts(self.db), "0|0|0|0")

    def test_bearer_parsing_is_strict(self):
        for h in ["Bearer", "Bearer ", "Basic abc", "Bearer a b", "Bearer " + "a" * 200,
                  "Bearer abc\x01", "bearer nope"]:
            resp = self.server.request("GET", "/api/v1/auth/whoami", headers={"Authorization": h})
            self.assertProblem(resp, 401, "unauthorized")
        self.assertProblem(self.server.request("GET", "/api/v1/auth/whoami"), 401, "unauthorized")


class Reviewers(IdentityCase):

    def test_create_login_lockout(self):
        p = create_reviewer(self.server, "alice", "correct horse battery", name="Alice Li")
        self.assertEqual(p.returncode, 0, p.stderr)
        stored = self.db.query("SELECT password_hash FROM reviewer_credentials")
        self.assertRegex(stored, r"^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")
        self.assertNotIn("correct", stored)
        # Same username again: refused, nothing added.
        p = create_reviewer(self.server, "alice", "another password")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("taken", p.stderr)
        p = create_reviewer(self.server, "bob", "short")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.db.query("SELECT count(*) FROM users"), "1")

        ok = {"username": "alice", "password": "correct horse battery"}
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login", body=ok)
        self.assertEqual(st, 200, doc)
        st, _, _, who = self.server.request("GET", "/api/v1/auth/whoami", headers=bearer(doc["token"]))
        self.assertEqual(st, 200, who)
        self.assertEqual(who["kind"], "reviewer")
        self.assertEqual(who["user"]["username"], "alice")
        self.assertIsNone(who["organization"])

        # Unknown user and wrong password answer alike.
        bad = {"username": "alice", "password": "wrong"}
        self.assertProblem(self.server.request("POST", "/api/v1/auth/reviewer-login",
                                               body={"username": "nobody", "password": "x"}),
                           401, "invalid_credentials")
        self.assertProblem(self.server.request("POST", "/api/v1/auth/reviewer-login", body=bad),
                           401, "invalid_credentials")
        self.assertProblem(self.server.request("POST", "/api/v1/auth/reviewer-login", body=bad),
                           401, "invalid_credentials")
        # The third failure (login_max_failures: 3) locks the account.
        resp = self.server.request("POST", "/api/v1/auth/reviewer-login", body=bad)
        self.assertProblem(resp, 429, "login_locked")
        self.assertGreater(int(resp[1]["retry-after"]), 0)
        # Locked: even the right password is refused, with Retry-After.
        resp = self.server.request("POST", "/api/v1/auth/reviewer-login", body=ok)
        self.assertProblem(resp, 429, "login_locked")
        self.assertLessEqual(int(resp[1]["retry-after"]), 60)
        self.assertEqual(self.db.query("SELECT count(*) FROM sessions"), "1")
        # Once the lockout is over the right password works again.
        self.db.query("UPDATE reviewer_credentials SET locked_until = now() - interval '1 s'")
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/reviewer-login", body=ok)
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.db.query("SELECT failed_count FROM reviewer_credentials"), "0")
        # Logout revokes the reviewer's session.
        st, _, _, _ = self.server.request("POST", "/api/v1/auth/logout", headers=bearer(doc["token"]))
        self.assertEqual(st, 200)
        self.assertProblem(self.server.request("GET", "/api/v1/auth/whoami",
                                               headers=bearer(doc["token"])), 401, "unauthorized")

    def test_create_reviewer_prompts_twice_without_echo(self):
        rc, out = run_on_pty([harness.SEALPACTD, "-c", self.server.cfg, "admin", "create-reviewer",
                              "--username", "dora"], self.server.env,
                             [(b"Password: ", "dora's secret pw"),
                              (b"Password again: ", "dora's secret pw")])
        self.assertEqual(rc, 0, out)
        self.assertNotIn(b"secret", out)
        self.assertEqual(self.db.query("SELECT username FROM reviewer_credentials"), "dora")
        rc, out = run_on_pty([harness.SEALPACTD, "-c", self.server.cfg, "admin", "create-reviewer",
                              "--username", "eve"], self.server.env,
                             [(b"Password: ", "first password"),
                              (b"Password again: ", "other password")])
        self.assertNotEqual(rc, 0, out)
        self.assertIn(b"differ", out)
        self.assertEqual(self.db.query("SELECT count(*) FROM reviewer_credentials"), "1")

    def test_malformed_reviewer_login(self):
        for body in [{}, {"username": "a"}, {"username": 1, "password": "x"},
                     {"username": "a", "password": "x", "more": 1},
                     {"username": "", "password": "x"}]:
            self.assertProblem(self.server.request("POST", "/api/v1/auth/reviewer-login",
                                                   body=body), 400, "invalid")


class LoginThrottles(IdentityCase):
    """Reviewer logins are throttled per account and per client address, in
    PostgreSQL: a second server process on the same database sees the same state."""

    auth_extra = {"login_max_failures": 3, "login_backoff_s": 30, "login_lockout_s": 120,
                  "ip_max_failures": 5}

    def login(self, username, password, server=None):
        return (server or self.server).request("POST", "/api/v1/auth/reviewer-login",
                                               body={"username": username, "password": password})

    def second_server(self):
        tmp = os.path.join(self.tmp, "second")
        os.makedirs(tmp)
        other = harness.Server(tmp, self.db.url, tls=self.tls, extra=self.server_extra)
        self.addCleanup(other.stop)
        other.start()
        return other

    def test_made_up_names_slow_the_address_but_never_lock_the_reviewer(self):
        p = create_reviewer(self.server, "carol", "carol's password")
        self.assertEqual(p.returncode, 0, p.stderr)
        for i in range(5):
            self.assertProblem(self.login("made-up-%d" % i, "guess"), 401, "invalid_credentials")
        # The address is slowed down: made-up names are refused, with the wait, by every
        # server process; each is a failure of the address as a wrong password is
        # (sec42: counted or not, it told made-up names from real ones), so the sixth
        # doubles the block.
        resp = self.login("made-up-9", "guess")
        self.assertProblem(resp, 429, "rate_limited")
        self.assertTrue(30 < int(resp[1]["retry-after"]) <= 60, resp[1])
        other = self.second_server()
        self.assertProblem(self.login("made-up-10", "guess", other), 429, "rate_limited")
        # The real reviewer, behind the same address (a shared NAT): not locked, and the
        # right password works, on either process.
        self.assertEqual(self.db.query(
            "SELECT failed_count || ':' || (locked_until IS NULL) FROM reviewer_credentials"),
            "0:true")
        st, _, _, doc = self.login("carol", "carol's password")
        self.assertEqual(st, 200, doc)
        st, _, _, doc = self.login("carol", "carol's password", other)
        self.assertEqual(st, 200, doc)
        # A wrong password for her from the blocked address gets the same 429 as a made-up
        # name (no hint which names exist), and counts against her account as usual.
        resp = self.login("carol", "wrong")
        self.assertProblem(resp, 429, "rate_limited")
        self.assertEqual(self.db.query("SELECT failed_count FROM reviewer_credentials"), "1")
        self.assertEqual(self.db.query("SELECT count(*) FROM sessions"), "2")
        # The block doubles with each further failure (30 s, 60 s, 120 s), capped at
        # login_lockout_s (120): made-up-10 and her wrong password were the 7th and 8th.
        wait = self.db.query("SELECT ceil(extract(epoch FROM blocked_until - now())) "
                             "FROM login_address_throttle")
        self.assertTrue(60 < float(wait) <= 120, wait)

    def test_wrong_passwords_lock_the_account_with_backoff(self):
        p = create_reviewer(self.server, "dave", "dave's password")
        self.assertEqual(p.returncode, 0, p.stderr)
        other = self.second_server()
        for _ in range(2):
            self.assertProblem(self.login("dave", "wrong"), 401, "invalid_credentials")
        # The third wrong password (login_max_failures: 3) locks for login_backoff_s ...
        resp = self.login("dave", "wrong", other)
        self.assertProblem(resp, 429, "login_locked")
        self.assertEqual(resp[1]["retry-after"], "30")
        # ... on every process, even for the right password.
        resp = self.login("dave", "dave's password")
        self.assertProblem(resp, 429, "login_locked")
        self.assertTrue(0 < int(resp[1]["retry-after"]) <= 30)
        # Once the lock is over, the next wrong password locks for twice as long, then
        # four times, up to login_lockout_s (120).
        for want in ("60", "120", "120"):
            self.db.query("UPDATE reviewer_credentials SET locked_until = now() - interval '1 s'")
            resp = self.login("dave", "wrong")
            self.assertProblem(resp, 429, "login_locked")
            self.assertEqual(resp[1]["retry-after"], want)
        self.assertEqual(self.db.query("SELECT count(*) FROM sessions"), "0")
        # After the lock, the right password works and resets the count.
        self.db.query("UPDATE reviewer_credentials SET locked_until = now() - interval '1 s'")
        st, _, _, doc = self.login("dave", "dave's password", other)
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.db.query("SELECT failed_count FROM reviewer_credentials"), "0")
        # Failures on dave were counted against the address too (7 so far, over 5):
        # made-up names from it are slowed, dave is not locked by them.
        self.assertProblem(self.login("made-up", "x"), 429, "rate_limited")
        self.assertEqual(self.db.query("SELECT locked_until IS NULL OR locked_until < now() "
                                       "FROM reviewer_credentials"), "t")


class ChallengesStarveNoOne(IdentityCase):
    """Anyone may ask for login challenges. Until 049 each was a row and at
    most auth.max_challenges were outstanding over every client alike: one
    client asking as fast as it could blocked every login with 503. Now a
    challenge is kept nowhere until a login answers it, so there is nothing
    to use up (and no per-address limit to throttle everyone behind a proxy)."""
    auth_extra = {"max_challenges": 100}

    def test_one_client_asking_for_many_blocks_no_other_login(self):
        first = api_challenge(self.server)
        for _ in range(300):
            api_challenge(self.server)
        # Nothing is stored for a challenge nobody answered.
        self.assertEqual(self.db.query("SELECT count(*) FROM auth_challenges"), "0")
        # Another client still gets a challenge and logs in with it.
        crt, key = PKI.org_cert(PKI.orgs[1]["slug"], "rsa")
        st, _, _, doc = api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        # One asked long before still logs in, once.
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        st, _, _, doc = api_login(self.server, crt, key, challenge=first)
        self.assertEqual(st, 200, doc)
        self.assertProblem(api_login(self.server, crt, key, challenge=first), 401,
                           "challenge_used")
        self.assertEqual(self.db.query("SELECT count(*) FROM auth_challenges"), "2")

    def test_a_challenge_changed_in_any_byte_is_unknown(self):
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        raw = bytearray(base64.b64decode(api_challenge(self.server)))
        for i in (0, 7, 8, 15, 16, 31):  # expiry, random part, tag
            forged = bytearray(raw)
            forged[i] ^= 1
            with self.subTest(byte=i):
                self.assertProblem(api_login(self.server, crt, key,
                                             challenge=base64.b64encode(forged).decode()),
                                   401, "challenge_unknown")
        # The untouched one still logs in.
        st, _, _, doc = api_login(self.server, crt, key,
                                  challenge=base64.b64encode(raw).decode())
        self.assertEqual(st, 200, doc)


class SessionBoundToCertificate(IdentityCase):

    auth_extra = {"session_ttl_s": 2592000}

    def test_session_ends_with_the_certificate(self):
        org = PKI.orgs[0]
        crt, key = PKI.issue("oneday", "/O=%s/organizationIdentifier=%s/CN=Short"
                             % (org["name"], org["credit_code"]), days=1)
        st, _, _, doc = api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.db.query(
            "SELECT s.expires_at <= c.not_after AND s.expires_at > now() + interval '23 hours'"
            " FROM sessions s JOIN certificates c ON c.id = s.certificate_id"), "t")
        # A certificate valid for longer gets the configured 30 days.
        crt, key = PKI.org_cert(org["slug"], "rsa")
        st, _, _, doc = api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.db.query(
            "SELECT max(expires_at) > now() + interval '29 days' FROM sessions"), "t")


class NoTrustConfigured(ServerTestCase):

    def test_login_says_the_server_cannot_check_certificates(self):
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        self.assertProblem(api_login(self.server, crt, key), 503, "trust_not_configured")
        self.assertEqual(identity_counts(self.db), "0|0|0|0")
        self.assertIn("trust store unusable", self.server.log())
        # Everything else still works.
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)


class ApiKeys(IdentityCase):

    def member_token(self, i=0):
        crt, key = PKI.org_cert(PKI.orgs[i]["slug"], "ec")
        st, _, _, doc = api_login(self.server, crt, key)
        self.assertEqual(st, 200, doc)
        return doc["token"]

    def test_lifecycle(self):
        tok = self.member_token()
        st, _, _, doc = self.server.request("POST", "/api/v1/api-keys", body={"name": "ERP"},
                                            headers=bearer(tok))
        self.assertEqual(st, 201, doc)
        key = doc["key"]
        self.assertTrue(key.startswith("spk_" + doc["prefix"]))
        self.assertEqual(len(key), 4 + 8 + 43)
        # Stored hashed only.
        self.assertEqual(self.db.query("SELECT key_hash FROM api_keys"),
                         __import__("hashlib").sha256(key.encode()).hexdigest())
        self.assertEqual(self.db.query("SELECT count(*) FROM api_keys WHERE key_hash LIKE '%%%s%%'"
                                       % doc["prefix"]), "0")
        # The key authenticates as its organization.
        st, _, _, who = self.server.request("GET", "/api/v1/auth/whoami", headers=bearer(key))
        self.assertEqual(st, 200, who)
        self.assertEqual(who["kind"], "api_key")
        self.assertEqual(who["organization"]["credit_code"], PKI.orgs[0]["credit_code"])
        # Listed without the secret.
        st, _, raw, lst = self.server.request("GET", "/api/v1/api-keys", headers=bearer(tok))
        self.assertEqual(st, 200)
        self.assertEqual(lst["total"], 1)
        self.assertEqual(lst["items"][0]["prefix"], doc["prefix"])
        self.assertNotIn(key[12:].encode(), raw)
        self.assertIsNotNone(lst["items"][0]["last_used_at"])
        # An API key cannot manage keys, another org cannot see or revoke it.
        self.assertProblem(self.server.request("GET", "/api/v1/api-keys", headers=bearer(key)),
                           403, "forbidden")
        other = self.member_token(1)
        st, _, _, lst2 = self.server.request("GET", "/api/v1/api-keys", headers=bearer(other))
        self.assertEqual((st, lst2["total"], lst2["items"]), (200, 0, []))
        self.assertProblem(self.server.request("DELETE", "/api/v1/api-keys/%d" % doc["id"],
                                               headers=bearer(other)), 404, "not_found")
        # Revoke: the key stops working at once.
        st, _, _, _ = self.server.request("DELETE", "/api/v1/api-keys/%d" % doc["id"],
                                          headers=bearer(tok))
        self.assertEqual(st, 204)
        self.assertProblem(self.server.request("GET", "/api/v1/auth/whoami", headers=bearer(key)),
                           401, "unauthorized")
        self.assertProblem(self.server.request("DELETE", "/api/v1/api-keys/%d" % doc["id"],
                                               headers=bearer(tok)), 404, "not_found")
        st, _, _, lst = self.server.request("GET", "/api/v1/api-keys", headers=bearer(tok))
        self.assertIsNotNone(lst["items"][0]["revoked_at"])

    def test_a_key_may_carry_an_expiry(self):
        # Keys never expired: a key leaked from a retired system worked until
        # someone remembered to revoke it. Now a key may say when it ends.
        tok = self.member_token()
        ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
        st, _, _, doc = self.server.request(
            "POST", "/api/v1/api-keys", body={"name": "ERP", "expires_at": ends},
            headers=bearer(tok))
        self.assertEqual(st, 201, doc)
        self.assertEqual(doc["expires_at"], ends)
        key = doc["key"]
        self.assertEqual(self.server.request("GET", "/api/v1/auth/whoami",
                                             headers=bearer(key))[0], 200)
        st, _, _, lst = self.server.request("GET", "/api/v1/api-keys", headers=bearer(tok))
        self.assertEqual(lst["items"][0]["expires_at"], ends)
        # Without one it never ends, as before.
        st, _, _, doc = self.server.request("POST", "/api/v1/api-keys", body={"name": "BI"},
                                            headers=bearer(tok))
        self.assertEqual(st, 201, doc)
        self.assertIsNone(doc["expires_at"])
        # Once its time passed, the key is refused like a revoked one.
        self.db.query("UPDATE api_keys SET created_at = now() - interval '2 days',"
                      " expires_at = now() - interval '1 second' WHERE name = 'ERP'")
        self.assertProblem(self.server.request("GET", "/api/v1/auth/whoami",
                                               headers=bearer(key)), 401)
        self.assertEqual(self.server.request("GET", "/api/v1/auth/whoami",
                                             headers=bearer(doc["key"]))[0], 200)
        # An expiry that is not a future RFC 3339 time is 400, and creates nothing.
        keys = self.db.query("SELECT count(*) FROM api_keys")
        past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        for bad in (past, "tomorrow", "2030-01-01", 1893456000, "2030-02-30T00:00:00Z"):
            with self.subTest(expires_at=bad):
                self.assertProblem(self.server.request(
                    "POST", "/api/v1/api-keys", body={"name": "X", "expires_at": bad},
                    headers=bearer(tok)), 400, "invalid")
        self.assertEqual(self.db.query("SELECT count(*) FROM api_keys"), keys)

    def test_revocation_is_audited_and_scoped_to_the_organization(self):
        tok = self.member_token()
        ua = {"User-Agent": "erp-admin/2.1 (audit)"}
        st, _, _, doc = self.server.request("POST", "/api/v1/api-keys", body={"name": "ERP"},
                                            headers=dict(bearer(tok), **ua))
        self.assertEqual(st, 201, doc)
        self.assertEqual(self.db.query(
            "SELECT host(ip) || '|' || user_agent || '|' || (details->>'prefix') "
            "FROM org_audit_events WHERE action = 'api_key.created'"),
            "127.0.0.1|erp-admin/2.1 (audit)|" + doc["prefix"])
        # Another organization's revocation: the same 404 as an unknown key, the key
        # keeps working, and nothing is recorded.
        other = self.member_token(1)
        events = self.db.query("SELECT count(*) FROM org_audit_events")
        self.assertProblem(self.server.request(
            "DELETE", "/api/v1/api-keys/%d" % doc["id"],
            headers=dict(bearer(other), **{"User-Agent": "intruder/1"})), 404, "not_found")
        self.assertEqual(self.db.query("SELECT revoked_at IS NULL FROM api_keys"), "t")
        self.assertEqual(self.db.query("SELECT count(*) FROM org_audit_events"), events)
        self.assertEqual(self.server.request("GET", "/api/v1/auth/whoami",
                                             headers=bearer(doc["key"]))[0], 200)
        # The owner revokes: one event of the owner's organization, with who, the
        # caller's address and User-Agent.
        st, _, _, _ = self.server.request("DELETE", "/api/v1/api-keys/%d" % doc["id"],
                                          headers=dict(bearer(tok), **ua))
        self.assertEqual(st, 204)
        self.assertEqual(self.db.query(
            "SELECT a.organization_id = k.organization_id, a.actor_user_id = k.created_by, "
            "a.object_type, host(a.ip), a.user_agent, a.details->>'prefix' "
            "FROM org_audit_events a JOIN api_keys k ON k.id::text = a.object_id "
            "WHERE a.action = 'api_key.revoked'"),
            "t|t|api_key|127.0.0.1|erp-admin/2.1 (audit)|" + doc["prefix"])
        # Revoking again changes and records nothing.
        self.assertProblem(self.server.request("DELETE", "/api/v1/api-keys/%d" % doc["id"],
                                               headers=bearer(tok)), 404, "not_found")
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM org_audit_events WHERE action = 'api_key.revoked'"), "1")
        # Each organization's trail is an intact hash chain.
        self.assertEqual(self.db.query(
            "SELECT bool_and(v.valid) FROM organizations o, org_audit_chain_verify(o.id) v"), "t")

    def test_logins_and_logout_record_address_and_user_agent(self):
        crt, key = PKI.org_cert(PKI.orgs[0]["slug"], "ec")
        challenge = api_challenge(self.server)
        sig = harness.openssl_sign(key, base64.b64decode(challenge))
        body = {"certificate": base64.b64encode(harness.der_of(crt)).decode(),
                "challenge": challenge, "signature": base64.b64encode(sig).decode()}
        # A User-Agent is kept as printable ASCII, at most 256 characters.
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/login", body=body,
                                            headers={"User-Agent": "caf\u00e9/1 " + "x" * 300})
        self.assertEqual(st, 200, doc)
        row = self.db.query(
            "SELECT a.organization_id, a.actor_user_id, a.object_id, host(a.ip), a.user_agent "
            "FROM org_audit_events a WHERE a.action = 'session.login'").split("|")
        self.assertEqual(row[:4], [str(doc["organization"]["id"]), str(doc["user"]["id"]),
                                   self.db.query("SELECT id FROM sessions"), "127.0.0.1"])
        self.assertEqual(row[4], ("caf?/1 " + "x" * 300)[:256])
        st, _, _, _ = self.server.request("POST", "/api/v1/auth/logout",
                                          headers=dict(bearer(doc["token"]),
                                                       **{"User-Agent": "cli/9"}))
        self.assertEqual(st, 200)
        self.assertEqual(self.db.query(
            "SELECT organization_id || '|' || host(ip) || '|' || user_agent "
            "FROM org_audit_events WHERE action = 'session.logout'"),
            "%d|127.0.0.1|cli/9" % doc["organization"]["id"])
        # Reviewers: success and counted failures go to the platform's trail.
        p = create_reviewer(self.server, "rita", "rita's password")
        self.assertEqual(p.returncode, 0, p.stderr)
        for pw, want in (("wrong", 401), ("rita's password", 200)):
            st, _, _, _ = self.server.request(
                "POST", "/api/v1/auth/reviewer-login",
                body={"username": "rita", "password": pw}, headers={"User-Agent": "console/4"})
            self.assertEqual(st, want)
        self.assertEqual(self.db.query(
            "SELECT string_agg(action || ':' || host(ip) || ':' || user_agent, ',' ORDER BY seq) "
            "FROM org_audit_events WHERE organization_id IS NULL"),
            "login.failed:127.0.0.1:console/4,session.login:127.0.0.1:console/4")
        self.assertEqual(self.db.query("SELECT valid FROM org_audit_chain_verify(NULL)"), "t")

    def test_bad_input(self):
        tok = self.member_token()
        for body in [{}, {"name": ""}, {"name": "   "}, {"name": 5}, {"name": "x" * 500},
                     {"name": "a", "b": 1}]:
            self.assertProblem(self.server.request("POST", "/api/v1/api-keys", body=body,
                                                   headers=bearer(tok)), 400, "invalid")
        # A line break (like any control or bidi character) has its own code.
        self.assertProblem(self.server.request("POST", "/api/v1/api-keys", body={"name": "a\nb"},
                                               headers=bearer(tok)), 400, "control_character")
        self.assertProblem(self.server.request("GET", "/api/v1/api-keys?page=0",
                                               headers=bearer(tok)), 400, "invalid")
        self.assertProblem(self.server.request("DELETE", "/api/v1/api-keys/abc",
                                               headers=bearer(tok)), 404, "not_found")
        self.assertEqual(self.db.query("SELECT count(*) FROM api_keys"), "0")


if __name__ == "__main__":
    unittest.main()
