#!/usr/bin/env bash
# ocsp_responder.sh: a real OCSP responder (`openssl ocsp`) on loopback for the
# tests, answering from the development PKI's CA database (deploy/pki.sh).
#
#   ocsp_responder.sh start DIR PKIDIR PORT [CERT KEY]
#                                             start it in the background; its pid
#                                             goes to DIR/ocsp.pid, its log to
#                                             DIR/ocsp.log; returns once it answers.
#                                             CERT/KEY sign the responses instead of
#                                             PKIDIR/ocsp.{crt,key} (tests of
#                                             responders that must not be believed)
#   ocsp_responder.sh stop DIR                stop the one started with DIR
#
# openssl 3.0 takes only a port number, so it listens on all interfaces.
# Responses are signed by PKIDIR/ocsp.crt (a delegated responder, EKU
# OCSPSigning) and carry nextUpdate = now + 5 minutes.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
usage() { echo "usage: ocsp_responder.sh start DIR PKIDIR PORT | stop DIR" >&2; exit 2; }
if [ -z "$cmd" ] || [ -z "$dir" ]; then usage; fi

stop() {
  [ -f "$dir/ocsp.pid" ] || return 0
  pid=$(cat "$dir/ocsp.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/ocsp.pid"
}

case "$cmd" in
start)
  pki=${3:-}; port=${4:-}
  rsigner=${5:-$pki/ocsp.crt}; rkey=${6:-$pki/ocsp.key}
  if [ -z "$pki" ] || [ -z "$port" ]; then usage; fi
  for f in "$pki/index.txt" "$pki/ca.pem" "$rsigner" "$rkey"; do
    [ -f "$f" ] || { echo "ocsp_responder.sh: $f missing (run deploy/pki.sh)" >&2; exit 1; }
  done
  mkdir -p "$dir"
  stop
  openssl ocsp -index "$pki/index.txt" -port "$port" -rsigner "$rsigner" \
    -rkey "$rkey" -CA "$pki/ca.pem" -ignore_err -nmin 5 >"$dir/ocsp.log" 2>&1 &
  echo $! >"$dir/ocsp.pid"
  # Ready once a real request gets a signed answer (not just an open port).
  for _ in $(seq 1 100); do
    if openssl ocsp -issuer "$pki/ca.pem" -cert "$pki/ocsp.crt" -url "http://127.0.0.1:$port/ocsp" \
      -VAfile "$rsigner" -timeout 2 >/dev/null 2>&1; then
      exit 0
    fi
    if ! kill -0 "$(cat "$dir/ocsp.pid")" 2>/dev/null; then
      echo "ocsp_responder.sh: responder exited:" >&2
      cat "$dir/ocsp.log" >&2
      rm -f "$dir/ocsp.pid"
      exit 1
    fi
    sleep 0.1
  done
  echo "ocsp_responder.sh: no answer on port $port" >&2
  stop
  exit 1
  ;;
stop) stop ;;
*) usage ;;
esac
