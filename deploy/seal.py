#!/usr/bin/env python3
"""seal.py: draw the demo red round seal (PNG, RGBA with a transparent
background) used as signing.default_seal_image until an organization has an
approved seal: an outer ring, an inner thin ring and a five-pointed star,
anti-aliased by 4x4 supersampling. Python standard library only.

    deploy/seal.py OUT.png [SIZE]      (SIZE in pixels, default 240)
"""
import math
import struct
import sys
import zlib

RED = (218, 37, 29)


def star_points(cx, cy, r_out):
    """The five-pointed star centred at cx, cy (y down): its ten vertices."""
    r_in = r_out * 0.382
    pts = []
    for k in range(10):
        r = r_out if k % 2 == 0 else r_in
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def star_contains(px, py, pts):
    """Point-in-polygon for the star's vertices pts."""
    inside = False
    j = len(pts) - 1
    for i in range(len(pts)):
        xi, yi = pts[i]
        xj, yj = pts[j]
        if (yi > py) != (yj > py) and px < (xj - xi) * (py - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def coverage(x, y, size, star):
    c = size / 2.0
    d = math.hypot(x - c, y - c)
    outer = size * 0.48
    if outer - size * 0.05 <= d <= outer:
        return True
    if size * 0.36 <= d <= size * 0.375:
        return True
    # (beyond the star's outer radius no point is in it: the polygon test is
    # for the points within, 1 in 7 of the image)
    if d > size * 0.2 * 1.000001:
        return False
    return star_contains(x, y, star)


def draw(size):
    ss = 4
    rows = []
    # the star's vertices once, not for each of the 16 samples of every pixel
    # (which was most of the 11 CPU s a 240-pixel seal took)
    star = star_points(size / 2.0, size / 2.0, size * 0.2)
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            n = 0
            for sy in range(ss):
                for sx in range(ss):
                    if coverage(x + (sx + 0.5) / ss, y + (sy + 0.5) / ss, size, star):
                        n += 1
            alpha = round(255 * n / (ss * ss))
            row += bytes((RED[0], RED[1], RED[2], alpha))
        rows.append(bytes(row))
    return b"".join(rows)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(size):
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(draw(size), 9)) + chunk(b"IEND", b""))


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 64
    size = int(argv[2]) if len(argv) == 3 else 240
    if not 32 <= size <= 4096:
        sys.stderr.write("seal.py: SIZE must be 32..4096\n")
        return 64
    with open(argv[1], "wb") as f:
        f.write(png(size))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
