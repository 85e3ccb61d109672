#!/usr/bin/env bash
# bench_lists_pg.sh: PostgreSQL's own CPU time per list statement.
#
#   BENCH_REUSE=DIR bench/bench_lists_pg.sh [BUILD_DIR] [RUNS] [ROUNDS]
#
# On a directory kept by bench_lists.sh (BENCH_KEEP=1), it starts sealpactd
# with every statement logged with its parameters, asks each list of
# bench_lists.sh once, takes the list statement the server sent for it from
# PostgreSQL's log, and runs that statement RUNS (200) times in one session,
# ROUNDS (3) times: it prints the backend's time on a core per execution
# (/proc/PID/schedstat), the lowest and the median of the rounds. Wall-clock
# latency on a machine other work shares includes the time spent waiting for a
# core; this does not, so it compares two versions of a statement or an index
# where bench_lists.sh's p99 cannot. The statements run as the server planned
# them (parameters in place as literals: the same custom plan).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-$src/build}
runs=${2:-200}
rounds=${3:-3}
work=${BENCH_REUSE:-}
sealpactd=$build/server/sealpactd
[ -n "$work" ] && [ -f "$work/pg/url" ] && [ -f "$work/sealpact.yaml" ] ||
  { echo "bench_lists_pg: BENCH_REUSE must name a directory kept by bench_lists.sh" >&2; exit 2; }
[ -x "$sealpactd" ] || { echo "bench_lists_pg: build sealpactd first ($sealpactd)" >&2; exit 2; }
base=$(cat "$work/pg/url")
url=${base%/*}/bench
pglog=$(cat "$work/pg/datadir")/server.log
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$url" -c "$1"; }

SEALPACT_DATABASE_URL=$url SEALPACT_SERVER_TLS=false SEALPACT_MIGRATIONS_DIR=$src/migrations \
  "$sealpactd" migrate >/dev/null
. "$here/lists_queries.sh"
lists_queries q

log=$work/sealpactd.pg.log
srv_pid=
stop() { [ -z "$srv_pid" ] || { kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null || true; }; }
trap 'stop; q "ALTER DATABASE bench RESET log_min_duration_statement" >/dev/null 2>&1 || true' EXIT
q "ALTER DATABASE bench SET log_min_duration_statement = 0"
lines_before=$(wc -l <"$pglog")
: >"$log"
"$sealpactd" -c "$work/sealpact.yaml" serve >"$log" 2>&1 &
srv_pid=$!
port=
for _ in $(seq 100); do
  port=$(grep -o '"port": *[0-9]*' "$log" | head -1 | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; exit 1; }
mkdir -p "$work/statements"
i=0
for qs in "${todo_queries[@]}" "${other_queries[@]}"; do
  i=$((i + 1))
  mark=$(wc -l <"$pglog")
  curl -sf -o /dev/null -H "Authorization: Bearer bench-token" \
    "http://127.0.0.1:$port/api/v1/contracts?$qs"
  sleep 0.2
  # The list statement (WITH ...) and its parameters, as literals.
  tail -n +"$((mark + 1))" "$pglog" | python3 -c '
import re, sys
lines = sys.stdin.read().splitlines()
for k, l in enumerate(lines):
    m = re.search(r"execute <unnamed>: (WITH .*)$", l)
    if not m:
        continue
    sql = m.group(1)
    d = lines[k + 1] if k + 1 < len(lines) else ""
    p = re.search(r"DETAIL:  parameters: (.*)$", d)
    vals = dict(re.findall(r"\$(\d+) = (\x27(?:[^\x27]|\x27\x27)*\x27|NULL)", p.group(1))) if p else {}
    for n in sorted(vals, key=int, reverse=True):
        sql = sql.replace("$" + n, vals[n])
    print(sql + ";")
    break
' >"$work/statements/$i.sql"
  [ -s "$work/statements/$i.sql" ] || { echo "bench_lists_pg: no statement for ?$qs" >&2; exit 1; }
  echo "$qs" >"$work/statements/$i.query"
done
stop
srv_pid=
q "ALTER DATABASE bench RESET log_min_duration_statement"

# One session per round: 5 runs to warm its caches, then RUNS between two
# readings of the backend's schedstat (nanoseconds on a core).
cpu_per_run() { # file -> ms
  { echo 'SELECT pg_backend_pid() AS pid \gset'
    echo '\setenv PID :pid'
    echo '\o /dev/null'
    for _ in 1 2 3 4 5; do cat "$1"; done
    echo '\o'
    echo '\! cut -d" " -f1 /proc/$PID/schedstat'
    echo '\o /dev/null'
    for _ in $(seq "$runs"); do cat "$1"; done
    echo '\o'
    echo '\! cut -d" " -f1 /proc/$PID/schedstat'; } >"$work/statements/run.sql"
  psql -X -q -A -t -v ON_ERROR_STOP=1 "$url" -f "$work/statements/run.sql" |
    grep -E '^[0-9]+$' | tail -2 | tr '\n' ' ' |
    awk -v n="$runs" '{printf "%.3f\n", ($2 - $1) / n / 1e6}'
}
echo "== PostgreSQL CPU ms per list statement (backend on-CPU time, $runs runs x $rounds rounds)"
printf '%-72s %8s %8s\n' "query" "lowest" "median"
for k in $(seq "$i"); do
  f=$work/statements/$k.sql
  vals=$(for _ in $(seq "$rounds"); do cpu_per_run "$f"; done | sort -n)
  lo=$(head -1 <<<"$vals")
  med=$(sed -n "$(((rounds + 1) / 2))p" <<<"$vals")
  printf '%-72s %8s %8s\n' "$(cut -c1-72 "${f%.sql}.query")" "$lo" "$med"
done
