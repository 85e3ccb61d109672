"""A HEAD request with a body is refused, and nothing after it runs.

evhttp reads no body for HEAD (libevent's evhttp_method_may_have_body) and
parses what follows as the next request, where the framer
(server/http/framing.c) passed a Content-Length body after any head. A request
hidden in a HEAD's body was then never seen by the framer: none of its checks
(Transfer-Encoding refused with 411, two Content-Lengths, bare LF, two
Authorization headers, ...) ran on it, and one request on the wire got two
answers; a proxy in front that forwards the HEAD's body as a body (RFC 9112
frames a request by its Content-Length whatever the method) would hand the
second answer to the next client of a reused connection. And the HEAD's
declared length was taken from the process's body budget
(server.max_inflight_body_bytes) and, no body following, kept until the
connection closed: two idle keep-alive connections that each sent one HEAD
head held 16 MiB of it, and every upload meanwhile was refused 503
server_busy. RFC 9110 9.3.2 gives a HEAD body no meaning: 400, and the
connection closes."""

import socket
import time
import unittest

from harness import ServerTestCase


def exchange(server, data, timeout=5):
    """data on a fresh plain connection; every byte the server sends until it closes."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return out


def statuses(out):
    return [int(line.split()[1]) for line in out.split(b"\r\n")
            if line.startswith(b"HTTP/1.1 ")]


class HeadBody(ServerTestCase):
    tls = False

    def test_a_head_requests_body_is_never_run_as_a_request(self):
        # what the framer refuses on its own (411: Transfer-Encoding), on a path
        # no route has (404 if it runs)
        hidden = (b"GET /smuggled HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"0\r\n\r\n")
        alone = statuses(exchange(self.server, hidden))
        self.assertEqual(alone, [411], "the framer refuses it when it sees it")
        head = (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                % len(hidden))
        last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        got = statuses(exchange(self.server, head + hidden + last))
        # the HEAD's body refused, the connection closed: nothing after it runs
        self.assertEqual(got, [400], got)


class HeadBudget(ServerTestCase):
    tls = False
    server_extra = {"server": {"max_upload_bytes": "8 MiB",
                               "max_inflight_body_bytes": "16 MiB",
                               "read_timeout_ms": 60000}}

    def upload_status(self):
        body = b"%" * (8 << 20)
        head = (b"POST /api/v1/contracts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Content-Type: application/pdf\r\nContent-Length: %d\r\n\r\n" % len(body))
        out = exchange(self.server, head + body, timeout=20)
        return statuses(out)

    def test_head_requests_do_not_hold_the_body_budget(self):
        # an 8 MiB upload alone: the route's own refusal (not a multipart body)
        self.assertEqual(self.upload_status(), [415])
        idle = []
        self.addCleanup(lambda: [s.close() for s in idle])
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
            s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                      % (8 << 20))
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
            self.assertTrue(answer.startswith(b"HTTP/1.1 "), answer[:100])
            idle.append(s)
        time.sleep(0.3)
        # the two answered HEADs hold no body: an upload still goes through
        self.assertEqual(self.upload_status(), [415])


if __name__ == "__main__":
    unittest.main()
