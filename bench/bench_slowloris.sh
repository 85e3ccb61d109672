#!/usr/bin/env bash
# bench_slowloris.sh: p99 latency of /healthz and of the to-do list for a
# well-behaved client, without and then with 10,000 slow connections held
# open from another process.
#
#   bench/bench_slowloris.sh [BUILD_DIR] [SECONDS]
#
# In a throwaway PostgreSQL cluster it loads 5,000 contracts (the supplier's
# session inserted with SQL, as bench_lists.sh does), starts sealpactd (plain
# HTTP on loopback, default limits) and measures each URL with wrk (2
# threads, 8 connections, SECONDS each, default 8). Then, twice, the
# attacker bench/slowloris.py (at nice 19: it stands for another machine)
# opens 10,000 connections from 127.0.0.2 (the measuring client is
# 127.0.0.1), each sending one header line every 5 s and reopening a
# connection the server drops after 60 s ("hold") or 2 s ("churn"); it stops
# by itself after its time budget. The same measurement runs while it holds
# its connections; the server's connection counters come from /metrics.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-$src/build}
secs=${2:-8}
sealpactd=$build/server/sealpactd
[ -x "$sealpactd" ] || { echo "bench_slowloris: build sealpactd first ($sealpactd)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench_slowloris: wrk is not installed" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 10300 ] || { echo "bench_slowloris: needs 10,300 descriptors (ulimit -Hn)" >&2; exit 2; }

work=$(mktemp -d /tmp/sealpact-bench-slow.XXXXXX)
srv_pid=
loris_pid=
cleanup() {
  [ -n "$loris_pid" ] && kill "$loris_pid" 2>/dev/null && wait "$loris_pid" 2>/dev/null || true
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null || true
  bash "$src/tests/support/pgtmp.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$src/tests/support/pgtmp.sh" start "$work/pg" >/dev/null
base=$(cat "$work/pg/url")
psql -X -q "$base" -c "CREATE DATABASE bench"
url=${base%/*}/bench
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$url" -c "$1"; }
SEALPACT_DATABASE_URL=$url SEALPACT_SERVER_TLS=false SEALPACT_MIGRATIONS_DIR=$src/migrations \
  "$sealpactd" migrate >/dev/null

echo "== loading 5,000 contracts"
psql -X -q -v ON_ERROR_STOP=1 -v n=5000 "$url" -f "$src/bench/load_contracts.sql"
q "VACUUM ANALYZE"

# /metrics answers the bearer of this token only (server.metrics_token_sha256)
metrics_token=$(openssl rand -hex 32)
cat >"$work/sealpact.yaml" <<EOF
server:
  host: 127.0.0.1
  port: 0
  tls: false
  threads: 2
  metrics_token_sha256: $(printf %s "$metrics_token" | sha256sum | cut -d' ' -f1)
database:
  url: "$url"
  pool_size: 8
log:
  level: info
  access_log: false
EOF
"$sealpactd" -c "$work/sealpact.yaml" serve >"$work/sealpactd.log" 2>&1 &
srv_pid=$!
port=
for _ in $(seq 100); do
  port=$(grep -o "\"port\": *[0-9]*" "$work/sealpactd.log" | head -1 | grep -o "[0-9]*$" || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/sealpactd.log" >&2; exit 1; }

cat >"$work/auth.lua" <<'EOF'
wrk.headers["Authorization"] = "Bearer bench-token"
EOF
p99() { # URL -> "p99_ms req/s [errors]"
  wrk -t2 -c8 -d"${secs}s" --latency -s "$work/auth.lua" "$1" >"$work/wrk.out" 2>&1
  python3 - "$work/wrk.out" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
err = re.search(r"Socket errors: .*", t)
v, u = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", t, re.M).groups()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
note = ("_non2xx=%s" % bad.group(1) if bad else "") + ("_errors" if err else "")
print("%.2f %.0f%s" % (float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u], rps, note))
EOF
}
health="http://127.0.0.1:$port/healthz"
todo="http://127.0.0.1:$port/api/v1/contracts?tab=todo"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer bench-token" "$todo")
[ "$code" = 200 ] || { echo "FAIL: the to-do list answered $code" >&2; exit 1; }

cpu() { awk '{print $14 + $15}' "/proc/$srv_pid/stat"; } # server CPU ticks
hz=$(getconf CLK_TCK)
echo "== unloaded"
h0=$(p99 "$health"); t0=$(p99 "$todo")
rows=()
# hold: the attacker reopens a dropped connection after 60 s (10,000 sockets
# sit on the server or are refused once); churn: after 2 s (up to 5,000 new
# connections a second from the attacker).
for mode in hold:60 churn:2; do
  name=${mode%%:*}; again=${mode##*:}
  echo "== 10,000 slow connections from 127.0.0.2 ($name)"
  nice -n 19 python3 "$here/slowloris.py" 127.0.0.1 "$port" 10000 $((secs * 2 + 20)) "$again" \
    >"$work/loris.log" 2>&1 &
  loris_pid=$!
  sleep 10 # let it open its connections
  c0=$(cpu)
  h1=$(p99 "$health"); t1=$(p99 "$todo")
  c1=$(cpu)
  curl -s -H "Authorization: Bearer $metrics_token" "http://127.0.0.1:$port/metrics" | grep '^sealpact_connections' >"$work/metrics.$name" || true
  wait "$loris_pid" || true
  loris_pid=
  rows+=("$name|$h1|$t1|$(tail -1 "$work/loris.log")|$(( (c1 - c0) * 100 / hz ))")
  sleep 3
done
printf '\n%-8s %-34s %18s %18s %8s\n' "attack" "URL (p99 ms, req/s)" "unloaded" "attacked" "ratio"
for row in "${rows[@]}"; do
  IFS='|' read -r name h1 t1 summary cpums <<<"$row"
  for r in "GET /healthz|$h0|$h1" "GET /api/v1/contracts?tab=todo|$t0|$t1"; do
    IFS='|' read -r url a b <<<"$r"
    python3 -c 'import sys; a, b = float(sys.argv[3].split()[0]), float(sys.argv[4].split()[0]); print("%-8s %-34s %18s %18s %7.2fx" % (sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], b / a))' "$name" "$url" "$a" "$b"
  done
  echo "         attacker: $summary; server CPU during the measurement: ${cpums}0 ms"
  sed 's/^/         /' "$work/metrics.$name"
done
