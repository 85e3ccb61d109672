"""review44: the daily budgets (054) against an idempotent retry.

057 fixed this for contract creation: a client that retries while its first
attempt is still in the database must get the first attempt's answer, not a
refusal that counts the first attempt against the retry. 054's
webhook_create_capped has the same order 052's contract_create_capped had:
it looks for the stored Idempotency-Key first and takes the organization's
advisory lock (54) after, inside org_day_budget. Both attempts see no key,
both wait for the lock; once the first commits, the second counts the
first's 'webhook.created' and, at the budget's last registration, is refused
429 rate_limited where it would have been the replay (before 054, 043's row
lock made it wait and wf_idem_begin answered the replay). The interleaving
is made certain as in test_caps_replay: a psql session holds the lock while
both attempts arrive and lets it go once both wait for it."""

import unittest

import harness
import test_attacks
from test_attacks import AttackCase


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


class WebhookRetryAtTheBudget(AttackCase):
    extra = {"webhooks": {"max_created_per_day": 1, "allow_hosts": "127.0.0.1",
                          "allow_http": "true"}}

    def test_a_retry_with_the_same_key_gets_the_replay_not_rate_limited(self):
        self.login("buyer")
        org = int(self.db.query("SELECT id FROM organizations WHERE credit_code = '%s'"
                                % self.orgs["buyer"]["credit_code"]))

        def attempt():
            return self.call("buyer", "POST", "/api/v1/webhooks",
                             {"url": "http://127.0.0.1:9/retried"},
                             {"Idempotency-Key": "hook-retry-1"})

        # both attempts are past their key check and wait for the organization (054's lock)
        results = harness.concurrent_behind_lock(self.db, 54, org, [attempt, attempt])
        got = [(st, doc.get("id"), doc.get("code")) for st, _, _, doc in results]
        self.assertEqual(int(self.db.query(
            "SELECT count(*) FROM webhooks WHERE organization_id = %d" % org)), 1)
        # one request, one webhook, one answer: the retry gets the first's webhook
        self.assertEqual([g[0] for g in got], [201, 201], got)
        self.assertEqual(got[0][1], got[1][1], got)


if __name__ == "__main__":
    unittest.main()
