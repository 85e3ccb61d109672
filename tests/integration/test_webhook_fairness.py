"""sec32: one organization's slow webhook receivers cannot hold back another
organization's deliveries.

Deliveries were claimed oldest first for everybody, eight at a time, and the
next eight only once the slowest of them ended: an organization with twenty
webhooks at a receiver that answers after the POST's timeout (a tarpit)
queued twenty deliveries per contract it sent, and a second organization's
delivery waited behind all of them. Now (migration 033) a claim takes the
oldest due delivery of each organization that has none in flight: the second
organization's delivery goes out in the next claim. The victim's wait, with
and without the tarpit queue, is printed."""

import http.server
import threading
import time
import unittest

from test_webhooks import Receiver
from test_workflow import WorkflowCase

TARPIT_S = 3.0
HOOKS = 20  # the most one organization may register


class Tarpit:
    """Answers each POST after TARPIT_S seconds."""

    def __init__(self):
        self.count = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.count += 1
                time.sleep(TARPIT_S)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


class WebhookFairness(WorkflowCase):
    server_extra = {"webhooks": {"allow_hosts": "127.0.0.1", "allow_http": "true"}}

    def register(self, org, url):
        st, _, _, doc = self.call(org, "POST", "/api/v1/webhooks", {"url": url})
        self.assertEqual(st, 201, doc)

    def send_own(self, org):
        """A contract org sends to itself as its one signer: one 'sent' event."""
        st, _, _, c = self.create(org=org, parties=[{"credit_code": org.code, "role": "signer"}])
        self.assertEqual(st, 201, c)
        st, _, _, doc = self.call(org, "POST", "/api/v1/contracts/%s/send" % c["number"], b"",
                                  {"Content-Type": "application/json"})
        self.assertEqual(st, 200, doc)

    def victim_wait(self, rx, timeout=120):
        """Seconds from the victim's send to its delivery."""
        before = len(rx.got)
        t0 = time.time()
        self.send_own(self.s1)
        while len(rx.got) == before:
            self.assertLess(time.time() - t0, timeout, "the victim's delivery never came")
            time.sleep(0.05)
        return time.time() - t0

    def test_a_tarpit_organization_does_not_hold_back_another_ones_deliveries(self):
        rx = Receiver()
        self.addCleanup(rx.stop)
        pit = Tarpit()
        self.addCleanup(pit.stop)
        self.register(self.s1, rx.url)
        quiet = self.victim_wait(rx)
        for _ in range(HOOKS):
            self.register(self.x, "http://127.0.0.1:%d/hook" % pit.port)
        self.send_own(self.x)  # twenty deliveries of TARPIT_S each
        deadline = time.time() + 10
        while pit.count == 0 and time.time() < deadline:
            time.sleep(0.05)
        busy = self.victim_wait(rx)
        print("\nvictim's webhook delivery: quiet %.2f s; behind %d deliveries to a %.0f s "
              "tarpit: %.2f s" % (quiet, HOOKS, TARPIT_S, busy))
        # about one tarpit answer (the batch in flight), not the tarpit's queue
        self.assertLess(busy, 2 * TARPIT_S + quiet + 1.0)


if __name__ == "__main__":
    unittest.main()
