"""The draft caps (052) against an idempotent retry.

A client that retries a creation while the first attempt is still in the
database (a timeout on a large upload, say) sends the same body with the same
key, and must get the first attempt's contract: one request, one draft, one
answer. 052's contract_create_capped looked for the stored key before it took
the organization's advisory lock, so both attempts saw none; the second waited
for the lock and, once the first committed, counted the first's draft and was
refused 409 draft_limit (057 takes the lock first). The interleaving is made
certain here by holding the organization's advisory lock (the one the caps
take) from a psql session while the two attempts arrive, and letting it go
once both wait for it."""

import unittest

import harness
import test_attacks
from test_attacks_caps import CapsCase


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class RetryAtTheCap(CapsCase):
    extra = {"contracts": {"max_drafts": 1}}

    def test_a_retry_with_the_same_key_gets_the_replay_not_draft_limit(self):
        self.login("buyer")
        org = int(self.db.query("SELECT id FROM organizations WHERE credit_code = '%s'"
                                % self.orgs["buyer"]["credit_code"]))

        def attempt():
            return self.create("buyer", "Retried", headers={"Idempotency-Key": "retry-1"})

        # both attempts are past their key check and wait for the organization (052's lock)
        results = harness.concurrent_behind_lock(self.db, 52, org, [attempt, attempt])
        got = [(st, doc.get("number"), doc.get("code")) for st, _, _, doc in results]
        self.assertEqual(self.drafts(), 1)
        # one request, one draft, one answer: the retry gets the first's contract
        self.assertEqual([g[0] for g in got], [201, 201], got)
        self.assertEqual(got[0][1], got[1][1], got)


if __name__ == "__main__":
    unittest.main()
