#!/bin/sh
# make_corpus.sh: regenerate the seed corpora of the fuzz targets from the
# contract fixtures (tests/fixtures/contracts): decoded page content streams
# (corpus/content), ToUnicode CMaps (corpus/cmap) and the smaller PDFs
# themselves (corpus/pdf_open). Needs qpdf, poppler-utils and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fix="$here/../fixtures/contracts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$here/corpus/content" "$here/corpus/cmap" "$here/corpus/pdf_open"
for f in contract30 short mixed; do
	qpdf --qdf --object-streams=disable "$fix/$f.pdf" "$tmp/$f.qdf"
done
python3 - "$tmp" "$here/corpus" <<'PY'
import re, sys, hashlib
tmp, out = sys.argv[1], sys.argv[2]
def put(kind, data):
    open('%s/%s/%s' % (out, kind, hashlib.sha1(data).hexdigest()[:16]), 'wb').write(data)
for f in ('contract30', 'short', 'mixed'):
    raw = open('%s/%s.qdf' % (tmp, f), 'rb').read()
    npages = 0
    for m in re.finditer(rb'%% Contents for page (\d+)\n%% Original object ID: [^\n]*\n\d+ 0 obj\n<<.*?>>\nstream\n(.*?)endstream', raw, re.S):
        page = int(m.group(1))
        if page <= 3:  # a few pages each: they repeat
            put('content', m.group(2)[:65536])
    for m in re.finditer(rb'stream\n(/CIDInit.*?)endstream', raw, re.S):
        put('cmap', m.group(1))
PY
cp "$fix/short.pdf" "$fix/mixed.pdf" "$here/corpus/pdf_open/"
# one page of the CID-font contract, small enough for -max_len
pdftocairo -pdf -f 2 -l 2 "$fix/contract30.pdf" "$here/corpus/pdf_open/contract30-p2.pdf"
# owner-password encryptions (the empty user password: read, scanned and keyed by
# pdf/crypt.c): AES-256 R6 with object streams (decrypted by the scan), R5,
# AES-128, RC4 40
qpdf --object-streams=generate --encrypt '' owner 256 -- "$fix/short.pdf" \
	"$here/corpus/pdf_open/short-aes256-objstm.pdf"
qpdf --encrypt '' owner 256 --force-R5 -- "$fix/short.pdf" "$here/corpus/pdf_open/short-r5.pdf"
qpdf --object-streams=generate --encrypt '' owner 128 --use-aes=y -- "$fix/short.pdf" \
	"$here/corpus/pdf_open/short-aes128-objstm.pdf"
qpdf --allow-weak-crypto --encrypt '' owner 40 -- "$fix/short.pdf" \
	"$here/corpus/pdf_open/short-rc4-40.pdf"
ls "$here"/corpus/* | wc -l
