"""review39: a webhook attempt that ends after its lease ran out.

webhook_claim leases a delivery and counts the attempt; once the lease runs
out, a later claim takes the delivery again (attempt 2). The late end of
attempt 1 used to rewrite the row attempt 2 holds: its lease cleared and the
next attempt due after attempt 1's backoff, so a third claim took the event
while attempt 2's POST was still running (two concurrent POSTs of one event,
and 033's one-in-flight-per-organization rule broken). Migration 046: a
failure changes the delivery only while it is the latest claim's; a 2xx
delivers whichever attempt it ends. Run on the SQL functions the delivery
job calls (db/webhooks.c), with the job's backoff base and limit."""

import unittest

import harness

BASE_S, MAX = 2, 8  # server/jobs/webhook_delivery.c BACKOFF_BASE_S, MAX_ATTEMPTS


class WebhookLease(unittest.TestCase):
    def setUp(self):
        self.db = harness.Database.migrated()
        self.addCleanup(self.db.drop)
        q = self.db.query
        q("INSERT INTO organizations (name, credit_code) VALUES ('Hook Co', '91440300MA5FXXXX0A')")
        q("INSERT INTO webhooks (organization_id, url, secret) SELECT id, "
          "'https://receiver.example/hook', repeat('ab', 32) FROM organizations")
        self.id = q("INSERT INTO webhook_deliveries (webhook_id, event_id, event, "
                    "contract_number, payload) SELECT id, gen_random_uuid(), 'sent', "
                    "1000000000000000001, '{}' FROM webhooks RETURNING id")

    def claim(self):
        """The claimed (id, attempt) pairs, as the delivery job claims them."""
        out = self.db.query("SELECT id || ' ' || attempt FROM webhook_claim(8, 60)")
        return [tuple(int(v) for v in line.split()) for line in out.splitlines()]

    def lease_runs_out(self):
        self.db.query("UPDATE webhook_deliveries SET locked_until = now() - interval '1 second'")

    def done(self, attempt, status):
        return self.db.query("SELECT webhook_attempt_done(%s, %d, %d, %s, 10, %d, %d)" % (
            self.id, attempt, status, "NULL" if status < 300 else "'failed'", BASE_S, MAX))

    def row(self):
        return self.db.query("SELECT status, attempts, locked_until > now(), "
                             "next_attempt_at <= now() FROM webhook_deliveries")

    def test_a_late_failure_leaves_the_later_claim_alone(self):
        self.assertEqual(self.claim(), [(int(self.id), 1)])
        self.lease_runs_out()
        self.assertEqual(self.claim(), [(int(self.id), 2)])
        held = self.db.query("SELECT locked_until FROM webhook_deliveries")
        self.done(1, 500)  # attempt 1 ends, late
        # attempt 2 still holds its lease: nothing to claim, however long its POST runs
        self.assertEqual(self.db.query("SELECT locked_until FROM webhook_deliveries"), held)
        self.assertEqual(self.row(), "pending|2|t|t")
        self.db.query("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 hour'")
        self.assertEqual(self.claim(), [])
        # attempt 1 is in the delivery log all the same
        self.assertEqual(self.db.query(
            "SELECT string_agg(attempt || ':' || http_status, ',' ORDER BY attempt) "
            "FROM webhook_attempts"), "1:500")
        # attempt 2's own failure backs off from attempt 2, as before
        self.assertEqual(self.done(2, 503), "pending")
        self.assertEqual(self.db.query(
            "SELECT locked_until IS NULL, next_attempt_at - now() > interval '3 seconds' "
            "FROM webhook_deliveries"), "t|t")

    def test_a_late_success_still_delivers(self):
        self.claim()
        self.lease_runs_out()
        self.claim()
        self.assertEqual(self.done(1, 204), "delivered")
        self.assertEqual(self.db.query("SELECT status FROM webhook_deliveries"), "delivered")
        self.done(2, 500)  # the later attempt's failure changes nothing
        self.assertEqual(self.db.query("SELECT status, last_http_status FROM webhook_deliveries"),
                         "delivered|204")

    def test_the_last_attempt_fails_the_delivery(self):
        self.db.query("UPDATE webhook_deliveries SET attempts = %d" % (MAX - 1))
        self.assertEqual(self.claim(), [(int(self.id), MAX)])
        self.assertEqual(self.done(MAX, 500), "failed")
        self.assertEqual(self.db.query("SELECT status FROM webhook_deliveries"), "failed")


if __name__ == "__main__":
    unittest.main()
