"""Clients behind a TCP balancer (HAProxy `send-proxy-v2`, as deploy/cluster.sh runs it),
end to end on the real server over TLS: the PROXY protocol header of a balancer in
server.trusted_proxies names the client, which the per-address throttles, the per-address
connection cap, the access log and the audit trail then see; a header from any other peer,
or a malformed one, closes the connection and names nobody. The parser itself:
tests/unit/test_server_proxy.c; tests/fuzz/fuzz_proxy_header.c fuzzes it."""

import http.client
import json
import os
import socket
import ssl
import struct
import time
import unittest

import harness
from harness import Endpoint, ServerTestCase, api_login

PKI = None


setUpModule, tearDownModule = harness.module_pki(__name__, tokens=False)


SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(client, port=40000, cmd=1):
    """HAProxy's version 2 header for a TCP client at client:port (cmd 0: LOCAL)."""
    if cmd == 0:
        return SIG + bytes([0x20, 0x00]) + struct.pack(">H", 0)
    body = (socket.inet_aton(client) + socket.inet_aton("127.0.0.1") +
            struct.pack(">HH", port, 8443))
    return SIG + bytes([0x21, 0x11]) + struct.pack(">H", len(body)) + body


def v1(client, port=40000):
    return ("PROXY TCP4 %s 127.0.0.1 %d 8443\r\n" % (client, port)).encode()


class Proxied(http.client.HTTPSConnection):
    """HTTPS to the server from source, the header sent first on the bare socket."""

    def __init__(self, server, header, source="127.0.0.1"):
        super().__init__("127.0.0.1", server.port, timeout=30,
                         context=ssl.create_default_context(cafile=server.cafile))
        self.header, self.source = header, source

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout,
                                        source_address=(self.source, 0))
        if self.header:
            sock.sendall(self.header)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Behind(Endpoint):
    """The server as a client behind the balancer reaches it: harness requests (and their
    check against the API description) through Proxied."""

    def __init__(self, server, header, source="127.0.0.1"):
        super().__init__(server.port, server.cafile)
        self.header, self.source = header, source

    def connection(self, timeout=30):
        return Proxied(self, self.header, self.source)


def tsa(server, header, source="127.0.0.1"):
    """POST /tsa without a query: 415 while the address's timestamps last, then 429."""
    return Behind(server, header, source).request("POST", "/tsa", body=b"x")[0]


def refused(server, header, source="127.0.0.1"):
    """True when the server closes the connection instead of handshaking after header."""
    try:
        c = Proxied(server, header, source)
        c.request("GET", "/healthz")
        c.getresponse().read()
        c.close()
        return False
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
            http.client.RemoteDisconnected, OSError):
        return True


def closed(server):
    st, _, body, _ = server.metrics()
    m = {}
    for line in body.decode().splitlines():
        if line.startswith("sealpact_connections_closed_total{"):
            k, v = line.rsplit(" ", 1)
            m[k.split('"')[1]] = int(float(v))
    return m


class BehindTheBalancer(ServerTestCase):

    def setUp(self):
        self.server_extra = {
            "server": {"trusted_proxies": "127.0.0.1, 10.9.0.0/16",
                       "max_connections_per_ip": 2},
            "tsa": {"max_per_minute": 2},
            "trust": PKI.trust_config(),
        }
        super().setUp()

    def test_clients_behind_the_balancer_are_throttled_apart(self):
        # Two clients behind the balancer: each has its own two timestamps a minute.
        a, b = v2("192.0.2.10"), v1("192.0.2.11")
        self.assertEqual([tsa(self.server, a) for _ in range(3)], [415, 415, 429])
        self.assertEqual([tsa(self.server, b) for _ in range(3)], [415, 415, 429])
        # The balancer's own connections (no header: its health check, an operator's curl)
        # and its LOCAL check are the balancer's address, which the clients did not use up.
        self.assertEqual(tsa(self.server, b""), 415)
        self.assertEqual(tsa(self.server, v2(None, cmd=0)), 415)
        self.assertEqual(tsa(self.server, b""), 429)
        # The access log names the clients.
        remotes = [l.get("remote") for l in self.server.log_lines() if l.get("msg") == "request"
                   and l.get("path") == "/tsa"]
        self.assertEqual(remotes.count("192.0.2.10"), 3, remotes)
        self.assertEqual(remotes.count("192.0.2.11"), 3, remotes)
        self.assertEqual(remotes.count("127.0.0.1"), 3, remotes)

    def test_a_header_from_an_untrusted_peer_names_nobody(self):
        # 127.0.0.2 is no balancer: its header is not read, TLS refuses the bytes.
        before = tsa(self.server, v2("192.0.2.20"))
        self.assertTrue(refused(self.server, v2("192.0.2.20"), source="127.0.0.2"))
        self.assertTrue(refused(self.server, v1("192.0.2.20"), source="127.0.0.2"))
        # Nothing was counted for the client it named, and the peer itself is served.
        self.assertEqual((before, tsa(self.server, v2("192.0.2.20"))), (415, 415))
        self.assertEqual(tsa(self.server, b"", source="127.0.0.2"), 415)
        remotes = {l.get("remote") for l in self.server.log_lines() if l.get("msg") == "request"}
        self.assertIn("127.0.0.2", remotes)

    def test_a_malformed_header_closes_the_connection(self):
        base = closed(self.server).get("proxy_header", 0)
        bad = [
            v2("192.0.2.30")[:12] + b"\x31\x11" + v2("192.0.2.30")[14:],  # version 3
            SIG + b"\x21\x11\x04\x01" + b"\x00" * 16,  # longer than the server reads
            b"PROXY TCP4 192.0.2.30 127.0.0.1 99999 8443\r\n",
            b"PROXY TCP4 192.0.2.30  127.0.0.1 1 8443\r\n",
            b"PROXY " + b"A" * 120,
        ]
        for h in bad:
            self.assertTrue(refused(self.server, h), h)
        self.assertEqual(closed(self.server).get("proxy_header", 0) - base, len(bad))
        # A header trickled in byte by byte, then TLS: read whole, served.
        c = Proxied(self.server, b"")
        sock = socket.create_connection(("127.0.0.1", self.server.port), 10)
        for i in range(len(v2("192.0.2.31"))):
            sock.sendall(v2("192.0.2.31")[i:i + 1])
            time.sleep(0.01)
        c.sock = c._context.wrap_socket(sock, server_hostname="127.0.0.1")
        c.request("POST", "/tsa", body=b"x")
        self.assertEqual(c.getresponse().status, 415)
        c.close()
        self.assertIn("192.0.2.31", {l.get("remote") for l in self.server.log_lines()})

    def test_connection_cap_counts_each_client(self):
        # max_connections_per_ip 2: three clients through one balancer are three addresses.
        conns = [Proxied(self.server, v2("192.0.2.%d" % i)) for i in (40, 41, 42)]
        for c in conns:
            c.request("GET", "/healthz")
            self.assertEqual(c.getresponse().read() and 200, 200)
        # A third connection of one client is past its cap.
        more = [Proxied(self.server, v2("192.0.2.40")) for _ in range(2)]
        more[0].request("GET", "/healthz")
        more[0].getresponse().read()
        with self.assertRaises((ConnectionResetError, ssl.SSLError, OSError,
                                http.client.RemoteDisconnected)):
            more[1].request("GET", "/healthz")
            more[1].getresponse().read()
        for c in conns + more:
            c.close()

    def test_a_balancers_connections_waiting_for_their_header_count_for_nobody(self):
        # Clients that connect through the balancer and send nothing (a balancer that
        # sends the header with the first data, as AWS's NLB does): their connections wait
        # for a header and are nobody's yet. max_connections_per_ip 2: they used to count
        # for the balancer's own address, and past two of them every other client behind
        # the balancer was reset at once.
        waiting = [socket.create_connection(("127.0.0.1", self.server.port), 10)
                   for _ in range(4)]
        try:
            time.sleep(0.3)
            self.assertEqual(tsa(self.server, v2("192.0.2.50")), 415)
            self.assertEqual(tsa(self.server, v1("192.0.2.51")), 415)
        finally:
            for s in waiting:
                s.close()

    def test_the_header_is_due_soon_after_the_connection(self):
        # server.proxy_header_timeout_ms (default 2000): a connection from the balancer
        # that has not sent its whole header by then is closed, silent or trickling;
        # before, a silent one stayed keepalive_idle_ms (15 s) and one that had begun
        # its header read_timeout_ms (20 s).
        base = closed(self.server).get("proxy_header", 0)
        silent = socket.create_connection(("127.0.0.1", self.server.port), 10)
        begun = socket.create_connection(("127.0.0.1", self.server.port), 10)
        begun.sendall(v1("192.0.2.60")[:12])
        t0 = time.monotonic()
        for s in (silent, begun):
            s.settimeout(10)
            try:
                self.assertEqual(s.recv(1), b"")
            except ConnectionResetError:
                pass
        took = time.monotonic() - t0
        silent.close()
        begun.close()
        self.assertLess(took, 4.0)
        self.assertEqual(closed(self.server).get("proxy_header", 0) - base, 2)
        # a header in time, then the request: served
        self.assertEqual(tsa(self.server, v2("192.0.2.61")), 415)

    def test_audit_trail_names_the_client(self):
        org = PKI.orgs[0]
        d = os.path.join(PKI.pki, "orgs", org["slug"])
        st, _, _, doc = api_login(Behind(self.server, v2("203.0.113.5")),
                                  os.path.join(d, "ec.crt"), os.path.join(d, "ec.key"))
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.db.query("SELECT host(ip) FROM org_audit_events "
                                       "WHERE action = 'session.login'"), "203.0.113.5")



class TrustedProxiesSetting(unittest.TestCase):

    def test_a_malformed_list_stops_start_up_naming_the_item(self):
        tmp = harness.tempfile.mkdtemp(prefix="sealpact-it.")
        self.addCleanup(harness.shutil.rmtree, tmp, True)
        for bad, words in (("10.0.0.1/8", "bits set past the prefix"),
                           ("127.0.0.1, proxy.example", "not an IPv4 or IPv6 address"),
                           ("::1/129", "prefix length")):
            srv = harness.Server(tmp, "postgresql://nobody@127.0.0.1:9/none", tls=False,
                                 extra={"server": {"trusted_proxies": bad}})
            with self.assertRaises(RuntimeError) as cm:
                srv.start(timeout=20)
            self.assertIn("server.trusted_proxies", str(cm.exception))
            self.assertIn(words, str(cm.exception))
            srv._log.close()


if __name__ == "__main__":
    unittest.main()
