#!/usr/bin/env python3
# make_corpus_xref.py DIR: the seeds of fuzz_xref_merged: small files of 2-4 revisions
# whose sections are plain tables (LF and CRLF entries), as sign.c appends them.
import hashlib, sys, os
out = sys.argv[1]
def base(eol=b'\n'):
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>',
            b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
            b'<< /Length 8 >>\nstream\n0 0 m S\n\nendstream']
    d = b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(d)); d += b'%d 0 obj\n%s\nendobj\n' % (i, o)
    x = len(d)
    d += b'xref\n0 5\n0000000000 65535 f' + (b'\r\n' if eol == b'\r\n' else b' \n')
    for o in offs:
        d += b'%010d 00000 n' % o + (b'\r\n' if eol == b'\r\n' else b' \n')
    d += b'trailer\n<< /Size 5 /Root 1 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] >>\nstartxref\n%d\n%%%%EOF\n' % x
    return d, x, 5
def update(d, prev, size, changes, info=False):
    offs = {}
    for num, body in changes:
        offs[num] = len(d); d += b'%d 0 obj\n%s\nendobj\n' % (num, body)
    x = len(d)
    d += b'xref\n'
    nums = sorted(offs)
    # subsections of consecutive numbers
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1: j += 1
        d += b'%d %d\n' % (nums[i], j - i + 1)
        for n in nums[i:j + 1]: d += b'%010d 00000 n \n' % offs[n]
        i = j + 1
    size = max([size] + [n + 1 for n in nums])
    d += b'trailer\n<< /Size %d /Root 1 0 R%s /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (size, b' /Info 6 0 R' if info else b'', prev, x)
    return d, x, size
def put(d):
    open(os.path.join(out, hashlib.sha1(d).hexdigest()[:16]), 'wb').write(d)
for eol in (b'\n', b'\r\n'):
    d, x, s = base(eol)
    d, x, s = update(d, x, s, [(6, b'<< /Producer (sealpact) >>')], info=True)
    put(d)
    d, x, s = update(d, x, s, [(3, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>'), (7, b'<< /Foo (bar) >>')], info=True)
    put(d)
    d, x, s = update(d, x, s, [(1, b'<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>'), (4, b'<< /Length 11 >>\nstream\n1 1 m 2 2 l\nendstream'), (9, b'(nine)')], info=True)
    put(d)
