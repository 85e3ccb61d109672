#!/usr/bin/env bash
# pkitmp.sh: the test suite's shared development PKI (a CTest fixture).
#
#   pkitmp.sh start DIR   deploy/pki.sh in DIR/pki whose certificates name an
#                         OCSP responder on a free port, deploy/tokens.sh in
#                         DIR/tokens, and that responder (ocsp_responder.sh);
#                         DIR/seal.png a seal picture (deploy/seal.py, 120 px);
#                         DIR/port holds the port, DIR/ready says all is made
#   pkitmp.sh stop DIR    stop the responder and remove everything
#
# Each integration test module made its own PKI, tokens and responder: some 90
# openssl processes, 3 to 4 CPU seconds, a dozen times a run, for files that are
# the same every time but for the port in the certificates' OCSP and CRL URLs.
# A module reads this one instead (harness.IdentityPKI): the PKI and the
# responder are read-only to it, and it copies the tokens (signing may write
# to a token). A module that stops or replaces the responder, or that counts
# its requests, still makes its own (IdentityPKI(private=True)).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deploy="$here/../../deploy"
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pkitmp.sh start|stop DIR" >&2; exit 2; }

free_port() {
  python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import harness; print(harness.free_port())' \
    "$here/../integration"
}

case "$cmd" in
start)
  "$0" stop "$dir"
  mkdir -p "$dir"
  # The certificates name the responder's port, drawn before it binds it:
  # should another program take it meanwhile, the whole PKI again on another.
  for try in 1 2 3; do
    port=$(free_port)
    rm -rf "$dir/pki" "$dir/tokens"
    bash "$deploy/pki.sh" --base-url "http://127.0.0.1:$port" "$dir/pki" 2>"$dir/pki.log" ||
      { cat "$dir/pki.log" >&2; exit 1; }
    bash "$deploy/tokens.sh" "$dir/pki" "$dir/tokens" >"$dir/tokens.log" 2>&1 ||
      { cat "$dir/tokens.log" >&2; exit 1; }
    bash "$here/ocsp_responder.sh" start "$dir" "$dir/pki" "$port" 2>"$dir/ocsp.err" && break
    [ $try = 3 ] && { cat "$dir/ocsp.err" >&2; exit 1; }
  done
  # the seal picture the modules sign with (IdentityPKI.seal): 0.5 CPU s of
  # Python each, the same every time
  python3 "$deploy/seal.py" "$dir/seal.png" 120
  echo "$port" >"$dir/port"
  touch "$dir/ready"
  echo "development PKI for tests in $dir (OCSP responder on port $port)"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  bash "$here/ocsp_responder.sh" stop "$dir" || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: pkitmp.sh start|stop DIR" >&2; exit 2 ;;
esac
