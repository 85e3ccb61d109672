"""sec50: sessions and tokens, round twenty-one. A reviewer's password could
only be chosen at creation: one that leaked could not be changed, and the
sessions opened with it could not be ended, short of SQL by hand.
`sealpactd admin set-reviewer-password` sets a new one and ends every
session the reviewer holds (068 reviewer_password_set, one statement)."""

import subprocess
import unittest

import harness
from harness import create_reviewer
import test_attacks
from test_attacks import AttackCase


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class ReviewerPasswordSet(AttackCase):

    def set_password(self, username, password):
        return subprocess.run([harness.SEALPACTD, "-c", self.server.cfg, "admin",
                               "set-reviewer-password", "--username", username],
                              input=password + "\n", capture_output=True, text=True,
                              env=self.server.env)

    def login(self, username, password):
        return self.server.request("POST", "/api/v1/auth/reviewer-login",
                                   {"username": username, "password": password})

    def queue(self, token):
        return self.server.request("GET", "/api/v1/review/applications",
                                   headers=harness.bearer(token))[0]

    def test_a_new_password_ends_the_sessions_of_the_old_one(self):
        p = create_reviewer(self.server, "rev-leaked", "correct horse battery")
        self.assertEqual(p.returncode, 0, p.stderr)
        tokens = []
        for _ in range(2):  # the reviewer's console, and whoever has the password too
            st, _, _, doc = self.login("rev-leaked", "correct horse battery")
            self.assertEqual(st, 200, doc)
            tokens.append(doc["token"])
        self.assertEqual([self.queue(t) for t in tokens], [200, 200])
        p = self.set_password("rev-leaked", "staple battery horse correct")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("2 session(s) ended", p.stdout)
        self.assertEqual([self.queue(t) for t in tokens], [401, 401])
        self.assertEqual(self.login("rev-leaked", "correct horse battery")[0], 401)
        st, _, _, doc = self.login("rev-leaked", "staple battery horse correct")
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.queue(doc["token"]), 200)

    def test_bad_input_changes_nothing(self):
        p = create_reviewer(self.server, "rev-kept", "correct horse battery")
        self.assertEqual(p.returncode, 0, p.stderr)
        st, _, _, doc = self.login("rev-kept", "correct horse battery")
        self.assertEqual(st, 200, doc)
        p = self.set_password("nobody-here", "staple battery horse correct")
        self.assertEqual((p.returncode, p.stderr.strip()),
                         (1, "sealpactd: admin: no reviewer 'nobody-here'"))
        p = self.set_password("rev-kept", "short")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("at least 8 characters", p.stderr)
        self.assertEqual(self.queue(doc["token"]), 200)
        self.assertEqual(self.login("rev-kept", "correct horse battery")[0], 200)


if __name__ == "__main__":
    unittest.main()
