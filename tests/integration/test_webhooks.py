"""Webhooks (issue 4): registration with a secret shown once, events queued in
the transition's transaction, signed deliveries (HMAC-SHA256 over
"timestamp.body", header Sealpact-Signature: t=...,v1=...), retries with
backoff after a failing receiver, and the delivery log.

A small receiver (http.server in a thread) plays the organization's system
and verifies every signature it gets. Test setup as in test_workflow.py.
"""

import hashlib
import hmac
import http.server
import json
import threading
import time
import unittest

import apicheck
import harness
from test_workflow import WorkflowCase


class Receiver:
    def __init__(self, fail_first=0):
        self.got = []
        self.fail_left = fail_first
        self.secret = None
        self.contract_errors = []  # deliveries the API description does not allow
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sig = self.headers.get("Sealpact-Signature", "")
                try:
                    apicheck.check_webhook(dict(self.headers), body)
                except apicheck.ContractError as e:
                    outer.contract_errors.append(str(e))
                outer.got.append((sig, body))
                if outer.fail_left > 0:
                    outer.fail_left -= 1
                    self.send_response(500)
                else:
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        # Port 0: the kernel's free port, which no parallel test can take between
        # looking it up and binding it.
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def verified(self, secret):
        """The bodies whose signature checks with secret, as JSON."""
        if self.contract_errors:
            raise apicheck.ContractError("\n".join(self.contract_errors))
        out = []
        for sig, body in self.got:
            parts = dict(p.split("=", 1) for p in sig.split(","))
            mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + body,
                           hashlib.sha256).hexdigest()
            if hmac.compare_digest(mac, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300:
                out.append(json.loads(body))
        return out


class TestWebhooks(WorkflowCase):
    # The receiver runs on 127.0.0.1 over plain HTTP: exactly the internal
    # receiver the allow list and allow_http exist for.
    server_extra = {"webhooks": {"allow_hosts": "127.0.0.1", "allow_http": "true"}}

    def wait_for(self, pred, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return True
            time.sleep(0.2)
        return False

    def register(self, org, url):
        st, _, _, doc = self.call(org, "POST", "/api/v1/webhooks", {"url": url})
        self.assertEqual(st, 201, doc)
        self.assertRegex(doc["secret"], "^[0-9a-f]{64}$")
        return doc

    def test_signed_delivery_of_each_event(self):
        rx = Receiver()
        self.addCleanup(rx.stop)
        hook = self.register(self.s1, rx.url)
        # The secret is shown once: the list does not carry it.
        st, _, _, lst = self.call(self.s1, "GET", "/api/v1/webhooks")
        self.assertEqual([w["id"] for w in lst["items"]], [hook["id"]])
        self.assertNotIn("secret", lst["items"][0])
        self.assertProblem(self.call(self.s1, "POST", "/api/v1/webhooks", {"url": "ftp://x"}), 400)

        n = self.created()["number"]
        self.act(self.a, n, "send")
        self.act(self.s1, n, "receive")
        self.sign(self.s1, n)
        self.act(self.s1, n, "send")
        self.act(self.s2, n, "reject", {"reason": "wrong price"})
        want = ["sent", "received", "signed", "rejected"]
        self.assertTrue(self.wait_for(lambda: len(rx.got) >= len(want)), rx.got)
        events = rx.verified(hook["secret"])
        self.assertEqual(len(events), len(rx.got), "every delivery carries a valid signature")
        self.assertEqual(sorted(e["event"] for e in events), sorted(want))
        self.assertTrue(all(e["contract_number"] == n for e in events))
        rej = [e for e in events if e["event"] == "rejected"][0]
        self.assertEqual(rej["details"]["reason"], "wrong price")
        # A forged signature does not verify.
        self.assertEqual(rx.verified("0" * 64), [])
        st, _, _, log = self.call(self.s1, "GET", "/api/v1/webhooks/%s/deliveries" % hook["id"])
        self.assertEqual(st, 200, log)
        self.assertTrue(self.wait_for(lambda: all(
            d["status"] == "delivered" for d in self.call(
                self.s1, "GET", "/api/v1/webhooks/%s/deliveries" % hook["id"])[3]["items"])))
        # Another organization cannot read this log or delete this webhook.
        self.assertEqual(self.call(self.a, "GET", "/api/v1/webhooks/%s/deliveries"
                                   % hook["id"])[0], 404)
        self.assertEqual(self.call(self.a, "DELETE", "/api/v1/webhooks/%s" % hook["id"])[0], 404)
        self.assertEqual(self.call(self.s1, "DELETE", "/api/v1/webhooks/%s" % hook["id"])[0], 204)
        self.assertEqual(self.call(self.s1, "GET", "/api/v1/webhooks")[3]["items"], [])

    def test_retry_with_backoff_then_delivered(self):
        rx = Receiver(fail_first=2)
        self.addCleanup(rx.stop)
        hook = self.register(self.a, rx.url)
        n = self.created()["number"]
        self.act(self.a, n, "cancel", status=409)  # a draft: no event
        self.act(self.a, n, "send")
        self.assertTrue(self.wait_for(lambda: len(rx.got) >= 3, timeout=30), rx.got)
        path = "/api/v1/webhooks/%s/deliveries" % hook["id"]
        self.assertTrue(self.wait_for(
            lambda: self.call(self.a, "GET", path)[3]["items"][0]["status"] == "delivered"))
        d = self.call(self.a, "GET", path)[3]["items"][0]
        self.assertEqual(d["event"], "sent")
        self.assertEqual(d["attempts"], 3)
        self.assertEqual([a["http_status"] for a in d["log"]], [500, 500, 204])
        # The log is neutral: "failed", never what the receiver said.
        self.assertEqual([a["error"] for a in d["log"]], ["failed", "failed", None])
        at = [time.mktime(time.strptime(a["at"][:19], "%Y-%m-%dT%H:%M:%S")) for a in d["log"]]
        # Backoff: 2 s after the first failure, 4 s after the second.
        self.assertGreaterEqual(at[1] - at[0], 1)
        self.assertGreaterEqual(at[2] - at[1], 3)
        # Every try carried the same event id (receivers deduplicate on it).
        self.assertEqual(len({json.loads(b)["id"] for _, b in rx.got}), 1)

    def test_removal_is_audited_and_scoped_to_the_organization(self):
        ua = {"User-Agent": "hooks-admin/3"}
        st, _, _, hook = self.call(self.s1, "POST", "/api/v1/webhooks",
                                   {"url": "http://127.0.0.1:9/x"}, ua)
        self.assertEqual(st, 201, hook)
        self.assertEqual(self.db.query(
            "SELECT organization_id || '|' || actor_user_id || '|' || host(ip) || '|' || "
            "user_agent FROM org_audit_events WHERE action = 'webhook.created'"),
            "%d|%d|127.0.0.1|hooks-admin/3" % (self.s1.id, self.s1.user))
        # Another organization: the same 404 as a missing webhook, nothing changes,
        # nothing is recorded.
        events = self.db.query("SELECT count(*) FROM org_audit_events")
        self.assertProblem(self.call(self.a, "DELETE", "/api/v1/webhooks/%s" % hook["id"],
                                     None, {"User-Agent": "intruder/1"}), 404, "not_found")
        self.assertEqual(self.db.query("SELECT deleted_at IS NULL FROM webhooks WHERE id = %s"
                                       % hook["id"]), "t")
        self.assertEqual(self.db.query("SELECT count(*) FROM org_audit_events"), events)
        self.assertEqual([w["id"] for w in self.call(self.s1, "GET", "/api/v1/webhooks")[3]["items"]],
                         [hook["id"]])
        # The owner removes it: one event with who, the address and the User-Agent.
        self.assertEqual(self.call(self.s1, "DELETE", "/api/v1/webhooks/%s" % hook["id"],
                                   None, ua)[0], 204)
        self.assertEqual(self.db.query(
            "SELECT organization_id || '|' || actor_user_id || '|' || object_id || '|' || "
            "host(ip) || '|' || user_agent || '|' || (details->>'url') "
            "FROM org_audit_events WHERE action = 'webhook.deleted'"),
            "%d|%d|%s|127.0.0.1|hooks-admin/3|http://127.0.0.1:9/x"
            % (self.s1.id, self.s1.user, hook["id"]))
        # Removing it again is a 404 and records nothing more.
        self.assertProblem(self.call(self.s1, "DELETE", "/api/v1/webhooks/%s" % hook["id"]),
                           404, "not_found")
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM org_audit_events WHERE action = 'webhook.deleted'"), "1")
        self.assertEqual(self.db.query("SELECT valid FROM org_audit_chain_verify(%d)"
                                       % self.s1.id), "t")

    def test_idempotent_registration(self):
        h = {"Idempotency-Key": "hook-1"}
        r1 = self.call(self.a, "POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x"}, h)
        r2 = self.call(self.a, "POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x"}, h)
        self.assertEqual((r1[0], r2[0]), (201, 201))
        self.assertEqual(r1[3]["id"], r2[3]["id"])
        self.assertEqual(len(self.call(self.a, "GET", "/api/v1/webhooks")[3]["items"]), 1)
        # The secret is shown once: the replay answers without it, and says so.
        self.assertRegex(r1[3]["secret"], "^[0-9a-f]{64}$")
        self.assertNotIn("secret_shown_once", r1[3])
        self.assertNotIn("secret", r2[3])
        self.assertIs(r2[3]["secret_shown_once"], True)
        self.assertIs(r2[3]["idempotent_replay"], True)
        self.assertEqual(r2[3]["url"], "http://127.0.0.1:9/x")
        # ... and the stored idempotency record never held it.
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM idempotency_keys WHERE response::text LIKE '%%%s%%'"
            % r1[3]["secret"]), "0")
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM idempotency_keys WHERE response ? 'secret'"), "0")

    def test_a_key_reused_with_another_receiver_registers_nothing(self):
        # sec44: the same Idempotency-Key with another URL is not a replay of the first.
        h = {"Idempotency-Key": "hook-2"}
        r1 = self.call(self.a, "POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x"}, h)
        self.assertEqual(r1[0], 201, r1[3])
        self.assertProblem(self.call(self.a, "POST", "/api/v1/webhooks",
                                     {"url": "http://127.0.0.1:9/elsewhere"}, h),
                           409, "idempotency_key_reused")
        items = self.call(self.a, "GET", "/api/v1/webhooks")[3]["items"]
        self.assertEqual([w["url"] for w in items], ["http://127.0.0.1:9/x"])

    def test_only_members_register_and_remove(self):
        st, _, _, key = self.call(self.a, "POST", "/api/v1/api-keys", {"name": "erp"})
        self.assertEqual(st, 201, key)
        sys_auth = {"Authorization": "Bearer " + key["key"]}
        hook = self.register(self.a, "http://127.0.0.1:9/x")
        # An API key (the organization's systems) may read, not register or remove.
        self.assertProblem(self.server.request("POST", "/api/v1/webhooks",
                                               {"url": "http://127.0.0.1:9/y"}, sys_auth),
                           403, "forbidden")
        self.assertProblem(self.server.request("DELETE", "/api/v1/webhooks/%s" % hook["id"],
                                               None, sys_auth), 403, "forbidden")
        st, _, _, lst = self.server.request("GET", "/api/v1/webhooks", None, sys_auth)
        self.assertEqual((st, [w["id"] for w in lst["items"]]), (200, [hook["id"]]))
        st, _, _, log = self.server.request("GET", "/api/v1/webhooks/%s/deliveries" % hook["id"],
                                            None, sys_auth)
        self.assertEqual(st, 200, log)
        self.assertEqual(self.db.query("SELECT count(*) FROM webhooks WHERE deleted_at IS NULL"),
                         "1")



class TestWebhookLimit(WorkflowCase):
    """sec39: at most 20 webhooks per organization, registrations at once
    included: each counted the live ones before any other had committed, so 60
    at once over 16 database connections left 24 or 25, and every event is one
    delivery per webhook."""
    server_extra = {"webhooks": {"allow_hosts": "127.0.0.1", "allow_http": "true"},
                    "database": {"pool_size": 16}}

    def test_twenty_webhooks_however_many_register_at_once(self):
        got = harness.parallel(60, lambda i: self.call(
            self.a, "POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/h%d" % i}))
        self.assertEqual(sorted(set(g[0] for g in got)), [201, 409], [g[3] for g in got][:3])
        self.assertEqual(sum(g[0] == 201 for g in got), 20)
        self.assertEqual(self.db.query("SELECT count(*) FROM webhooks WHERE deleted_at IS NULL"),
                         "20")
        self.assertEqual(len(self.call(self.a, "GET", "/api/v1/webhooks")[3]["items"]), 20)
        refused = [g[3] for g in got if g[0] == 409][0]
        self.assertEqual(refused["detail"], "an organization has at most 20 webhooks")

class TestWebhookAddressPolicy(WorkflowCase):
    """The default configuration: https only, public addresses only."""

    FORBIDDEN = [
        "https://127.0.0.1/hook", "https://127.0.0.1:5432/", "https://localhost/hook",
        "https://LOCALHOST./hook", "https://hooks.localhost/", "https://0.0.0.0/",
        "https://127.1/", "https://2130706433/", "https://0x7f.1/", "https://0x7f000001/",
        "https://0177.0.0.1/", "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.8/", "https://172.16.5.4/", "https://192.168.0.1/",
        "https://100.64.1.1/", "https://224.0.0.1/", "https://255.255.255.255/",
        "https://[::1]/", "https://[::]/", "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/", "https://[fd00::1]/", "https://[fe80::1]/",
        "https://postgres/", "https://metadata/",
    ]
    MALFORMED = [
        "http://hooks.example.com/x", "ftp://hooks.example.com/", "https://user@127.0.0.1/",
        "https://hooks.example.com@127.0.0.1/", "https://u:p@hooks.example.com/",
        "https://hooks.example.com:0/", "https://hooks.example.com:70000/",
        "https://256.0.0.1/", "https://1.2.3.4.5/", "https://hooks.exa mple.com/",
        "https://h\u00e9.example/", "hooks.example.com", "",
    ]

    def test_registration_refusals(self):
        for url in self.FORBIDDEN:
            resp = self.call(self.a, "POST", "/api/v1/webhooks", {"url": url})
            self.assertProblem(resp, 400, "url_forbidden")
            self.assertIn("allow_hosts", resp[3]["detail"])
        for url in self.MALFORMED:
            self.assertProblem(self.call(self.a, "POST", "/api/v1/webhooks", {"url": url}),
                               400, "url_invalid")
        self.assertProblem(self.call(self.a, "POST", "/api/v1/webhooks",
                                     {"url": "https://hooks.example.com/", "x": 1}), 400,
                           "invalid")
        # Nothing was stored or audited.
        self.assertEqual(self.db.query("SELECT count(*) FROM webhooks"), "0")
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM org_audit_events WHERE action = 'webhook.created'"), "0")
        # A public https receiver is accepted.
        st, _, _, doc = self.call(self.a, "POST", "/api/v1/webhooks",
                                  {"url": "https://hooks.example.com:8443/sealpact?x=1"})
        self.assertEqual(st, 201, doc)


class TestWebhookConnectTimeCheck(WorkflowCase):
    """A name that resolves to 127.0.0.1 at delivery: refused when the connection
    is opened, whatever was registered. The API refuses "localhost" itself, so the
    registration is made in SQL here; it stands for a public name whose DNS answer
    changed since (rebinding)."""

    server_extra = {"webhooks": {"allow_http": "true"}}

    def test_refused_at_connect_and_logged_neutrally(self):
        rx = Receiver()
        self.addCleanup(rx.stop)
        url = "http://localhost:%d/hook" % rx.port
        self.assertProblem(self.call(self.a, "POST", "/api/v1/webhooks", {"url": url}), 400,
                           "url_forbidden")
        hid = json.loads(self.db.query(
            "SELECT webhook_create(%d, %d, '%s', '%s', NULL)::text"
            % (self.a.id, self.a.user, url, "ab" * 32)))["id"]
        n = self.created()["number"]
        self.act(self.a, n, "send")
        path = "/api/v1/webhooks/%s/deliveries" % hid
        end = time.time() + 20
        log = []
        while time.time() < end:
            items = self.call(self.a, "GET", path)[3]["items"]
            log = items[0]["log"] if items else []
            if log:
                break
            time.sleep(0.2)
        self.assertTrue(log, "no attempt was recorded")
        self.assertEqual((log[0]["error"], log[0]["http_status"]), ("refused", None))
        time.sleep(0.5)
        self.assertEqual(rx.got, [], "the receiver on 127.0.0.1 must never be reached")
        # It was the connection that was refused (the address localhost resolved
        # to), not the URL: the operators' log says so.
        self.assertIn("refused to connect to a non-public address of localhost",
                      self.server.log())


class TestWebhookRedirectNotFollowed(WorkflowCase):
    """sec44: a receiver that answers with a redirect (to an address the sender
    would never have been let to register) is a failed delivery; the redirect is
    not followed, whatever its target."""

    server_extra = {"webhooks": {"allow_http": "true", "allow_hosts": "127.0.0.1"}}

    def test_a_redirect_is_a_failure_not_a_hop(self):
        target = Receiver()
        self.addCleanup(target.stop)

        class Redirect(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(307)
                self.send_header("Location", target.url)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        st, _, _, hook = self.call(self.a, "POST", "/api/v1/webhooks",
                                   {"url": "http://127.0.0.1:%d/hook" % httpd.server_address[1]})
        self.assertEqual(st, 201, hook)
        n = self.created()["number"]
        self.act(self.a, n, "send")
        path = "/api/v1/webhooks/%s/deliveries" % hook["id"]
        end, log = time.time() + 20, []
        while time.time() < end and not log:
            items = self.call(self.a, "GET", path)[3]["items"]
            log = items[0]["log"] if items else []
            time.sleep(0.2)
        self.assertTrue(log, "no attempt was recorded")
        self.assertEqual((log[0]["error"], log[0]["http_status"]), ("failed", 307))
        time.sleep(0.5)
        self.assertEqual(target.got, [], "the redirect was followed")


class TestWebhookAllowedByName(WorkflowCase):
    server_extra = {"webhooks": {"allow_hosts": "localhost", "allow_http": "true"}}

    def test_allowlisted_name_is_delivered(self):
        rx = Receiver()
        self.addCleanup(rx.stop)
        st, _, _, hook = self.call(self.a, "POST", "/api/v1/webhooks",
                                   {"url": "http://localhost:%d/hook" % rx.port})
        self.assertEqual(st, 201, hook)
        # The name is allowed, not every internal address.
        self.assertProblem(self.call(self.a, "POST", "/api/v1/webhooks",
                                     {"url": "http://127.0.0.1:%d/hook" % rx.port}), 400,
                           "url_forbidden")
        n = self.created()["number"]
        self.act(self.a, n, "send")
        end = time.time() + 20
        while time.time() < end and not rx.got:
            time.sleep(0.2)
        self.assertEqual([e["event"] for e in rx.verified(hook["secret"])], ["sent"])


LEASE_BASE_S, LEASE_MAX = 2, 8  # server/jobs/webhook_delivery.c BACKOFF_BASE_S, MAX_ATTEMPTS


class WebhookLease(unittest.TestCase):
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
            self.id, attempt, status, "NULL" if status < 300 else "'failed'", LEASE_BASE_S,
            LEASE_MAX))

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
        self.db.query("UPDATE webhook_deliveries SET attempts = %d" % (LEASE_MAX - 1))
        self.assertEqual(self.claim(), [(int(self.id), LEASE_MAX)])
        self.assertEqual(self.done(LEASE_MAX, 500), "failed")
        self.assertEqual(self.db.query("SELECT status FROM webhook_deliveries"), "failed")


if __name__ == "__main__":
    unittest.main()
