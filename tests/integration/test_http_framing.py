"""Malformed HTTP framing, sent with raw sockets to the real server: every case
is answered with problem+json and the connection is closed; evhttp's HTML
pages never reach the client."""

import json
import re
import socket
import ssl
import time
import unittest

import harness
from harness import ServerTestCase


def exchange(server, raw, tls=False, timeout=10):
    """Send raw bytes on a fresh connection; return everything read until the
    server closes (it must close within timeout: at once, not at the 15 s idle
    limit; the seconds are a loaded machine's)."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    if tls:
        ctx = ssl.create_default_context(cafile=server.cafile)
        s = ctx.wrap_socket(s, server_hostname="localhost")
    data = b""
    try:
        s.sendall(raw)
        t0 = time.time()
        while time.time() - t0 < timeout:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
        else:
            raise AssertionError("the server kept the connection open: %r" % data[:200])
    finally:
        s.close()
    return data


def responses(data):
    """[(status, headers, body)] of the HTTP responses in data."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        out.append((status, hdrs, rest[:n]))
        data = rest[n:]
    return out


class Framing(ServerTestCase):
    tls = False
    server_extra = {"server": {"max_header_bytes": "2 KiB", "max_body_bytes": "4 KiB",
                               "max_upload_bytes": "8 KiB"}}

    def refused(self, raw, status, code, tls=False):
        data = exchange(self.server, raw, tls=tls)
        rs = responses(data)
        self.assertEqual(len(rs), 1, data)
        st, hdrs, body = rs[0]
        self.assertEqual(st, status, data)
        self.assertEqual(hdrs.get("content-type"), "application/problem+json", data)
        self.assertEqual(hdrs.get("connection"), "close")
        doc = json.loads(body)
        self.assertEqual(doc["status"], status)
        self.assertEqual(doc["code"], code, doc)
        self.assertTrue(doc.get("detail"))
        self.assertNotIn(b"<HTML", data.upper())
        return doc

    def test_oversize_head_is_431(self):
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n",
                     431, "headers_too_large")
        # Many small headers add up the same way.
        many = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 40) for i in range(80))
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n",
                     431, "headers_too_large")

    def test_oversize_request_line_is_414(self):
        self.refused(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long")

    def test_content_length_bad_duplicate_or_conflicting(self):
        base = b"POST /api/v1/auth/challenge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        for cl in (b"Content-Length: 2\r\nContent-Length: 3\r\n",
                   b"Content-Length: 2\r\nContent-Length: 2\r\n",
                   b"Content-Length: 2, 2\r\n",
                   b"Content-Length: -1\r\n",
                   b"Content-Length: +2\r\n",
                   b"Content-Length: 0x10\r\n",
                   b"Content-Length:\r\n"):
            self.refused(base + cl + b"\r\n{}", 400, "malformed_request")

    def test_transfer_encoding_is_refused(self):
        base = b"POST /api/v1/auth/challenge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        for te in (b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                   b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
                   b"Transfer-Encoding: gzip, chunked\r\n\r\nzz",
                   b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n"):
            self.refused(base + te, 411, "length_required")

    def test_http11_without_host_and_with_two_hosts(self):
        self.refused(b"GET /healthz HTTP/1.1\r\n\r\n", 400, "malformed_request")
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
                     "malformed_request")
        # HTTP/1.0 needs no Host.
        rs = responses(exchange(self.server, b"GET /healthz HTTP/1.0\r\n\r\n"))
        self.assertEqual(rs[0][0], 200)

    def test_malformed_lines(self):
        for raw in (b"GET /healthz\r\nHost: x\r\n\r\n",
                    b"GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
                    b"GET /he\x00z HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n"):
            self.refused(raw, 400, "malformed_request")

    def test_a_fragment_in_the_target_is_refused(self):
        # A fragment is the client's own (RFC 9110 7.1): a target carrying one
        # came from a broken or hostile client, and readers in front disagree on
        # it (kept, cut at '#', refused). It was served as if the '#' were not
        # there; now refused like any other byte a target cannot hold.
        for target in (b"/healthz#x", b"/healthz?a=1#x", b"/healthz#", b"/api/v1/auth/whoami#/x"):
            self.refused(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                         400, "malformed_request")
        # '%23' is a '#' in a query value, not a fragment: still served.
        rs = responses(exchange(self.server, b"GET /healthz?a=%23 HTTP/1.1\r\nHost: x\r\n"
                                b"Connection: close\r\n\r\n"))
        self.assertEqual(rs[0][0], 200, rs)

    def test_a_bare_lf_ends_no_line(self):
        """sec38: a line of the head that ends in LF without CR was a line to us and
        to evhttp, but inside one header's value to a proxy that ends lines at CRLF
        only (RFC 9112 2.2 lets a recipient take either): 'X: a<LF>Content-Length: 2'
        is one header there and a body length here, and the bytes after the head
        are the next request to one of the two. Refused like a bare CR."""
        post = (b"POST /api/v1/auth/challenge HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\n")
        for raw in (b"GET /healthz HTTP/1.1\nHost: x\n\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\n",
                    b"\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                    post + b"X: a\nContent-Length: 2\r\n\r\n{}",
                    post + b"Content-Length: 2\n\n{}"):
            with self.subTest(raw=raw):
                self.refused(raw, 400, "malformed_request")

    def test_a_method_no_route_takes_is_501_problem(self):
        """sec39: a method token evhttp does not parse (WebDAV's, a lowercase
        get, any extension) was answered with evhttp's HTML 501 page, not
        problem+json, and a CONNECT's connection stayed open after its 501
        (Connection: close or not). Each is the framer's 501 not_implemented,
        and the connection closes."""
        for method in (b"PROPFIND", b"get", b"Get", b"BREW", b"M-SEARCH", b"TRACE", b"CONNECT"):
            with self.subTest(method=method):
                doc = self.refused(method + b" /healthz HTTP/1.1\r\nHost: x\r\n"
                                   b"Connection: close\r\n\r\n", 501, "not_implemented")
                self.assertEqual(doc["detail"], "This method is not supported.")

    def test_unknown_http_version_is_505(self):
        self.refused(b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported")

    def test_body_over_every_cap_is_413_problem(self):
        self.refused(b"POST /api/v1/auth/challenge HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 99999999\r\n\r\n{",
                     413, "payload_too_large")

    def test_bad_pipelined_request_closes_after_the_good_one(self):
        data = exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                     b"GET /healthz HTTP/1.1\r\n\r\n")
        rs = responses(data)
        self.assertEqual(rs[0][0], 200)
        self.assertEqual(rs[0][1].get("connection"), "close")
        self.assertLessEqual(len(rs), 1, data)

    def test_a_response_to_head_has_no_content(self):
        """sec35: HEAD is answered with the GET's head, Content-Length included,
        and no content (RFC 9110 9.3.2). Before, the body followed: on a kept
        alive connection the next response then began with it, as a client or
        a proxy pooling connections reads it (one response's bytes taken for
        the start of the next)."""
        data = exchange(self.server, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                     b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                     + harness.METRICS_TOKEN.encode() + b"\r\n\r\n"
                                     b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                     b"Connection: close\r\n\r\n")
        heads = data.split(b"\r\n\r\n")
        self.assertEqual(len(heads), 4, data)  # three heads, then the GET's body
        self.assertTrue(heads[0].startswith(b"HTTP/1.1 200 "), data)
        self.assertIn(b"Content-Length: 15\r\n", heads[0] + b"\r\n")
        self.assertTrue(heads[1].startswith(b"HTTP/1.1 200 "), data)
        self.assertTrue(heads[2].startswith(b"HTTP/1.1 200 "), data)
        self.assertEqual(heads[3], b'{"status":"ok"}')

    def test_sound_requests_still_served_and_counted(self):
        rs = responses(exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                             b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                             b"Connection: close\r\n\r\n"))
        self.assertEqual([r[0] for r in rs], [200, 200])
        # Content-Type: application/json exactly; a charset parameter is fine.
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/login", body=b"{}",
                                            headers={"Content-Type": "application/jsonx"})
        self.assertEqual(st, 415, doc)
        st, _, _, doc = self.server.request("POST", "/api/v1/auth/login", body=b"{}",
                                            headers={"Content-Type":
                                                     "application/json; charset=utf-8"})
        self.assertNotEqual(st, 415, doc)
        self.refused(b"GET /healthz HTTP/1.1\r\n\r\n", 400, "malformed_request")
        st, _, body, _ = self.server.metrics()
        m = re.search(rb'sealpact_connections_closed_total\{reason="bad_framing"\} (\d+)', body)
        self.assertGreaterEqual(int(m.group(1)), 1)


class FramingOverTls(ServerTestCase):
    server_extra = {"server": {"max_header_bytes": "2 KiB"}}

    def test_tls_framing_errors_are_problems_too(self):
        Framing.refused(self, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096 +
                        b"\r\n\r\n", 431, "headers_too_large", tls=True)
        Framing.refused(self, b"GET /healthz HTTP/1.1\r\n\r\n", 400, "malformed_request",
                        tls=True)
        rs = responses(exchange(self.server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                             b"Connection: close\r\n\r\n", tls=True))
        self.assertEqual(rs[0][0], 200)


if __name__ == "__main__":
    unittest.main()
