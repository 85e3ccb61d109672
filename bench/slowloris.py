"""slowloris.py HOST PORT N SECONDS: hold up to N slow connections to HOST:PORT
from 127.0.0.2 for SECONDS, then exit by itself. Loopback only (refuses any
other HOST). Each connection sends a request line, then one header line every
5 s, never finishing its head; a connection the server closes is reopened
after 1 s. The last line printed sums up what was held and refused."""

import errno
import selectors
import socket
import sys
import time

host, port, n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
if not host.startswith("127."):
    sys.exit("slowloris: loopback targets only")
sel = selectors.DefaultSelector()
slots = [None] * n          # socket or None
next_at = [0.0] * n         # when to (re)connect or send the next line
first = [True] * n          # the request line is still to be sent
opened = closed = 0
end = time.time() + seconds
peak = 0


def close(i):
    global closed
    s = slots[i]
    try:
        sel.unregister(s)
    except (KeyError, ValueError):
        pass
    s.close()
    slots[i] = None
    next_at[i] = time.time() + 1.0
    closed += 1


while time.time() < end:
    now = time.time()
    live = 0
    for i in range(n):
        s = slots[i]
        if s is None:
            if now < next_at[i]:
                continue
            s = socket.socket()
            s.setblocking(False)
            try:
                s.bind(("127.0.0.2", 0))
                err = s.connect_ex((host, port))
            except OSError:
                s.close()
                next_at[i] = now + 1.0
                continue
            if err not in (0, errno.EINPROGRESS):
                s.close()
                next_at[i] = now + 1.0
                continue
            slots[i] = s
            sel.register(s, selectors.EVENT_READ, i)
            opened += 1
            next_at[i] = now + 0.05
            first[i] = True
            live += 1
            continue
        live += 1
        if now >= next_at[i]:
            try:
                s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" if first[i] else b"X-a: b\r\n")
                first[i] = False
                next_at[i] = now + 5.0
            except BlockingIOError:
                next_at[i] = now + 0.5
            except OSError:
                close(i)
    peak = max(peak, live)
    for key, _ in sel.select(timeout=0.2):
        i = key.data
        try:
            if slots[i].recv(4096) == b"":
                close(i)
        except BlockingIOError:
            pass
        except OSError:
            close(i)
print("held at most %d connections; opened %d, dropped by the server %d" % (peak, opened, closed))
