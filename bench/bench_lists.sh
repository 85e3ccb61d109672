#!/usr/bin/env bash
# bench_lists.sh: the lists over HTTP with 100,000 (or COUNT) contracts.
#
#   bench/bench_lists.sh [BUILD_DIR] [SECONDS_PER_QUERY] [COUNT]
#
# In a throwaway PostgreSQL cluster (tests/support/pgtmp.sh) it migrates a
# database, generates COUNT contracts with generate_series (one supplier is
# a signer on every sent one, 70% of them still to do), starts sealpactd and:
#   1. runs each list query once with auto_explain on and prints its plan,
#      failing if any plan has a sequential scan over contracts;
#   2. drives the to-do list with each filter, a deep page by keyset
#      ("after") and the other tabs through wrk (--latency), once with one
#      connection (a request's own latency: p50, p99, requests per second,
#      and the CPU time per request of sealpactd and of all PostgreSQL
#      processes, and their sum, from /proc: the figure least disturbed by
#      other work on the machine) and
#      once with BENCH_CONNECTIONS (16 by default: p99 with queueing on this
#      machine's cores, and the throughput).
# The session of the supplier is inserted with SQL (as the integration tests do).
#
# BENCH_KEEP=1 keeps the cluster and its work directory (printed at the end);
# BENCH_REUSE=DIR runs on such a kept directory instead of generating again
# (minutes at 1,000,000): it applies the migrations added since, then
# measures; COUNT is then only a label. Stop a kept cluster with
# tests/support/pgtmp.sh stop DIR/pg.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-$src/build}
secs=${2:-5}
count=${3:-100000}
sealpactd=$build/server/sealpactd
[ -x "$sealpactd" ] || { echo "bench_lists: build sealpactd first ($sealpactd)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench_lists: wrk is not installed" >&2; exit 2; }

reuse=${BENCH_REUSE:-}
if [ -n "$reuse" ]; then
  work=$reuse
  [ -f "$work/pg/url" ] || { echo "bench_lists: $work is not a kept bench directory" >&2; exit 2; }
else
  work=$(mktemp -d /tmp/sealpact-bench-lists.XXXXXX)
fi
srv_pid=
stop_all() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null || true; }
cleanup() {
  stop_all
  bash "$src/tests/support/pgtmp.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
if [ -n "${BENCH_KEEP:-}" ] || [ -n "$reuse" ]; then
  trap 'stop_all; echo "kept: $work (BENCH_REUSE=$work)"' EXIT
else
  trap cleanup EXIT
fi

[ -n "$reuse" ] || bash "$src/tests/support/pgtmp.sh" start "$work/pg" >/dev/null
base=$(cat "$work/pg/url")
pgdata=$(cat "$work/pg/datadir")
pglog=$pgdata/server.log
[ -n "$reuse" ] || psql -X -q "$base" -c "CREATE DATABASE bench"
url=${base%/*}/bench
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$url" -c "$1"; }

t0=$(date +%s.%N)
SEALPACT_DATABASE_URL=$url SEALPACT_SERVER_TLS=false SEALPACT_MIGRATIONS_DIR=$src/migrations \
  "$sealpactd" migrate >/dev/null
[ -z "$reuse" ] || printf 'migrated the kept database in %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"

if [ -z "$reuse" ]; then
  echo "== generating $count contracts"
  t0=$(date +%s.%N)
  psql -X -q -v ON_ERROR_STOP=1 -v n="$count" "$url" -f "$src/bench/load_contracts.sql"
  q "VACUUM ANALYZE"
  t1=$(date +%s.%N)
  printf 'loaded %s contracts, %s parties in %.1f s\n' "$(q 'SELECT count(*) FROM contracts')" \
    "$(q 'SELECT count(*) FROM parties')" "$(echo "$t1 - $t0" | bc)"
else
  q "VACUUM ANALYZE"
  printf 'reusing %s contracts, %s parties\n' "$(q 'SELECT count(*) FROM contracts')" \
    "$(q 'SELECT count(*) FROM parties')"
fi

start_server() {
  cat >"$work/sealpact.yaml" <<EOF
server:
  host: 127.0.0.1
  port: 0
  tls: false
  threads: 2
database:
  url: "$url"
  pool_size: 8
log:
  level: info
  access_log: false
EOF
  # A log per start: a stopped server's last lines must not give its port.
  # Emptied here, before the server starts: with BENCH_REUSE the file may hold
  # an earlier run's port, and the background start empties it only later.
  starts=$((${starts:-0} + 1))
  log=$work/sealpactd.$starts.log
  : >"$log"
  "$sealpactd" -c "$work/sealpact.yaml" serve >"$log" 2>&1 &
  srv_pid=$!
  for _ in $(seq 100); do
    port=$(grep -o "\"port\": *[0-9]*" "$log" | head -1 | grep -o "[0-9]*$" || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  cat "$log" >&2
  exit 1
}
stop_server() { kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true; srv_pid=; }

auth="Authorization: Bearer bench-token"
. "$here/lists_queries.sh"
lists_queries q

echo
echo "== EXPLAIN of each list query (auto_explain of the server's own statements)"
psql -X -q "$url" -c "ALTER DATABASE bench SET session_preload_libraries = 'auto_explain'" \
  -c "ALTER DATABASE bench SET auto_explain.log_min_duration = 0" \
  -c "ALTER DATABASE bench SET auto_explain.log_analyze = on"
lines_before=$(wc -l <"$pglog")
start_server
for qs in "${todo_queries[@]}" "${other_queries[@]}"; do
  code=$(curl -s -o "$work/out.json" -w '%{http_code}' -H "$auth" "http://127.0.0.1:$port/api/v1/contracts?$qs")
  total=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["total"], "exact" if d["total_exact"] else "at least", "has_more" if d["has_more"] else "")' "$work/out.json")
  echo "GET ?$qs -> $code, total $total"
done
stop_server
psql -X -q "$url" -c "ALTER DATABASE bench RESET ALL"
tail -n +"$((lines_before + 1))" "$pglog" | grep -v 'auth_credential_lookup\|SELECT 1' >"$work/plans.log" || true
sed -n '/Query Text: WITH /,/^[0-9-]* [0-9:.]* UTC .*LOG:/p' "$work/plans.log" | \
  grep -E 'Query Text|Scan|Join|Loop|Limit|Aggregate|Execution|Planning|rows=' | \
  grep -vE '^\s*$' | sed 's/^.*LOG:  duration/-- duration/' | cut -c1-160
if grep -q 'Seq Scan on contracts' "$work/plans.log"; then
  awk '/Query Text/ {q=$0} /Seq Scan on contracts/ {print q; print $0}' "$work/plans.log" | cut -c1-400 >&2
  echo "FAIL: a list query scans contracts sequentially" >&2
  exit 1
fi
echo "OK: no sequential scan on contracts in $(grep -c 'Query Text: WITH ' "$work/plans.log" || true) list plans"

echo
# Each query twice: with one connection (a request's own latency, and the CPU
# time per request of sealpactd and of all PostgreSQL processes, from /proc)
# and with BENCH_CONNECTIONS (16 by default: queueing on this machine's cores,
# and the throughput).
conns=${BENCH_CONNECTIONS:-16}
echo "== wrk: $count contracts, ${secs}s per query and run; 1 connection, then $conns"
cat >"$work/auth.lua" <<'EOF'
wrk.headers["Authorization"] = "Bearer bench-token"
EOF
# CPU seconds (user + system) of sealpactd, then of the postmaster and its children.
cpu_s() {
  python3 - "$srv_pid" "$(head -1 "$pgdata/postmaster.pid")" <<'EOF'
import os, sys
srv, pm = int(sys.argv[1]), int(sys.argv[2])
hz = os.sysconf("SC_CLK_TCK")
server = pg = 0
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        f = open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    pid, ppid = int(d), int(f[1])
    if pid == srv:
        server += int(f[11]) + int(f[12])
    elif pid == pm or ppid == pm:
        pg += int(f[11]) + int(f[12])
print(server / hz, pg / hz)
EOF
}
run_wrk() { # connections query -> $work/wrk.out
  wrk -t"$(($1 < 2 ? 1 : 2))" -c"$1" -d"${secs}s" --latency -s "$work/auth.lua" \
    "http://127.0.0.1:$port/api/v1/contracts?$2" >"$work/wrk.out" 2>&1
  non2xx=$(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$work/wrk.out" | grep -o '[0-9]*$' || echo 0)
  [ "$non2xx" = 0 ] || { cat "$work/wrk.out" >&2; echo "FAIL: errors during the run" >&2; exit 1; }
}
wrk_figures() { # -> "p50 p99 req/s requests"
  python3 - "$work/wrk.out" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
def ms(p):
    v, u = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, t, re.M).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
n = int(re.search(r"(\d+) requests in", t).group(1))
print("%.2f %.2f %.0f %d" % (ms(50), ms(99), rps, n))
EOF
}
start_server
printf '%-64s %8s %8s %7s %8s %6s %6s | %8s %7s\n' "" "1 conn" "" "" "CPU ms" "per" "req" \
  "$conns conn" ""
printf '%-64s %8s %8s %7s %8s %6s %6s | %8s %7s\n' "query" "p50 ms" "p99 ms" "req/s" "total" "srv" \
  "pg" "p99 ms" "req/s"
for qs in "${todo_queries[@]}" "${other_queries[@]}"; do
  read -r s0 g0 <<<"$(cpu_s)"
  run_wrk 1 "$qs"
  read -r s1 g1 <<<"$(cpu_s)"
  read -r p50 p99 rps n <<<"$(wrk_figures)"
  cpu=$(echo "scale=3; ($s1 - $s0 + $g1 - $g0) * 1000 / $n" | bc)
  scpu=$(echo "scale=3; ($s1 - $s0) * 1000 / $n" | bc)
  gcpu=$(echo "scale=3; ($g1 - $g0) * 1000 / $n" | bc)
  if [ "$conns" != 1 ]; then
    run_wrk "$conns" "$qs"
    read -r _ np99 nrps _ <<<"$(wrk_figures)"
  else
    np99=-
    nrps=-
  fi
  printf '%-64s %8s %8s %7s %8.3f %6.3f %6.3f | %8s %7s\n' "${qs:0:64}" "$p50" "$p99" "$rps" "$cpu" \
    "$scpu" "$gcpu" "$np99" "$nrps"
done
stop_server
