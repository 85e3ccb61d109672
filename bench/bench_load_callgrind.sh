#!/bin/bash
# bench_load_callgrind.sh: the exact instructions sealpactd spends per completed
# signing under bench/bench_load.py's load (every thread: the event loop's HTTP,
# TLS, JSON and libpq work and the workers' prepare and completion), where
# timings on a shared machine are not exact (issue 14).
#
#   bench/bench_load_callgrind.sh [BUILD_DIR] [SIGNINGS (60)] [CLIENTS (4)]
#
# bench_load.py with sealpactd run under valgrind --tool=callgrind, its
# counters zeroed before the timed run and dumped after it (BENCH_CG_RUN), the
# chain left at 2 signers; BENCH_LEVEL as bench_load.py's (B-T if unset),
# BENCH_WARMUP as its (default here 2 per pooled connection). Prints the
# run's instructions per signing in millions; BENCH_CG_KEEP=DIR keeps the
# dumps there for callgrind_annotate (the run's is the one whose "desc:
# Trigger" says "run").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-60}
clients=${3:-4}
tmp=$(mktemp -d /tmp/sp-load-cg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cg=${BENCH_CG_KEEP:-$tmp/cg}
mkdir -p "$cg" "$tmp/b/server"
# a build dir whose sealpactd is the real one under callgrind
for f in "$build"/*; do [ "$(basename "$f")" = server ] || ln -s "$f" "$tmp/b/"; done
for f in "$build"/server/*; do [ "$(basename "$f")" = sealpactd ] || ln -s "$f" "$tmp/b/server/"; done
cat >"$tmp/b/server/sealpactd" <<EOS
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$cg/cg.%p "$build/server/sealpactd" "\$@"
EOS
chmod +x "$tmp/b/server/sealpactd"
BENCH_CG_RUN=1 BENCH_CHAIN_REPLY=whole BENCH_LEVEL=${BENCH_LEVEL:-B-T} BENCH_WARMUP=${BENCH_WARMUP:-16} \
	python3 "$root/bench/bench_load.py" "$tmp/b" "$n" "$clients" 2 >"$tmp/load.log" 2>&1 ||
	{ cat "$tmp/load.log"; exit 1; }
grep -q "stored report == ?fresh=true verification: 3 of 3" "$tmp/load.log" ||
	{ cat "$tmp/load.log"; exit 1; }
run=$(grep -l '^desc: Trigger: dump run' "$cg"/cg.* | head -1)
ir=$(grep -m1 '^summary' "$run" | cut -d' ' -f2)
echo "bench_load_callgrind: $n signings at ${BENCH_LEVEL:-B-T}, $clients clients: sealpactd's"
echo "instructions per signing (callgrind, every thread): $(awk -v i="$ir" -v n="$n" 'BEGIN { printf "%.2f M", i / n / 1e6 }')"
