#!/usr/bin/env bash
# bench_http.sh: requests/s and p50/p99 latency of sealpactd over HTTPS, for
# /healthz (no database) and /readyz (one database query per request), with
# wrk from Debian, against a throwaway PostgreSQL.
#
#   bench/bench_http.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
#
# Prints one line per route and server.workers setting. wrk and the server
# share the machine's cores, so the figures are a floor, not a ceiling.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
secs=${2:-10}
conns=${3:-64}
command -v wrk >/dev/null || { echo "bench_http: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$build/server/sealpactd" ] || { echo "bench_http: build sealpactd first ($build)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/sealpact-bench.XXXXXX)
srv_pid=""
cleanup() {
  [ -n "$srv_pid" ] && kill -TERM "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null || true
  bash "$root/tests/support/pgtmp.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

bash "$root/tests/support/pgtmp.sh" start "$tmp/pg" >/dev/null
pgurl=$(cat "$tmp/pg/url")
psql -X -q "$pgurl" -c "CREATE DATABASE bench"
dburl=${pgurl%/*}/bench
SEALPACT_DATABASE_URL=$dburl SEALPACT_SERVER_TLS=false SEALPACT_MIGRATIONS_DIR=$root/migrations \
  "$build/server/sealpactd" migrate >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" \
  -out "$tmp/tls.crt" -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null

printf 'cores: %s  (%s)\n' "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
printf 'wrk: %s threads, %s connections, %ss per run, HTTPS with keep-alive\n' 2 "$conns" "$secs"
printf '%-8s %-9s %12s %10s %10s %8s\n' workers route 'requests/s' p50 p99 errors

for workers in 1 "$(nproc)"; do
  cat >"$tmp/sealpact.yaml" <<YAML
server:
  host: 127.0.0.1
  port: 0
  tls: true
  tls_cert: $tmp/tls.crt
  tls_key: $tmp/tls.key
  workers: $workers
  threads: 2
database:
  url: "$dburl"
  pool_size: 8
log:
  level: info
  access_log: false
YAML
  : >"$tmp/server.log"
  "$build/server/sealpactd" -c "$tmp/sealpact.yaml" serve >"$tmp/server.log" 2>&1 &
  srv_pid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(grep -m1 '"listening"' "$tmp/server.log" | sed -n 's/.*"port": *\([0-9]*\).*/\1/p' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$tmp/server.log" >&2; exit 1; }
  for route in /healthz /readyz; do
    out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "https://127.0.0.1:$port$route")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errs=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | paste -sd';' || true)
    printf '%-8s %-9s %12s %10s %10s %8s\n' "$workers" "$route" "$rps" "$p50" "$p99" "${errs:-0}"
  done
  kill -TERM "$srv_pid"; wait "$srv_pid" || true; srv_pid=""
done
