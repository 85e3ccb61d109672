#!/bin/bash
# bench_chain_callgrind.sh: the exact instructions sealpactd's worker spends on
# each signing of one contract signed by SIGNERS (20) in turn (issue 14: the
# k-th signing against the 1st), through the real server at a PAdES level.
#
#   bench/bench_chain_callgrind.sh [BUILD_DIR] [LEVEL (B-LTA)] [SIGNERS (20)]
#
# bench/bench_load.py's chain (one contract, BENCH_COLD) with sealpactd run
# under valgrind --tool=callgrind, dumping at the entry and exit of each
# prepare's and completion's worker job (signing_prep_work, done_work): each job is one
# dump, so its instructions are exact whatever else shares the machine. Prints
# them per k in millions; BENCH_CG_KEEP=DIR keeps the dumps there for
# callgrind_annotate (the k-th completion is the k-th "dump-after=done_work").
# Takes a few minutes: the server runs some 50 times slower.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
level=${2:-B-LTA}
signers=${3:-20}
tmp=$(mktemp -d /tmp/sp-chain-cg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cg=${BENCH_CG_KEEP:-$tmp/cg}
mkdir -p "$cg" "$tmp/b/server"
# a build dir whose sealpactd is the real one under callgrind
for f in "$build"/*; do [ "$(basename "$f")" = server ] || ln -s "$f" "$tmp/b/"; done
for f in "$build"/server/*; do [ "$(basename "$f")" = sealpactd ] || ln -s "$f" "$tmp/b/server/"; done
cat >"$tmp/b/server/sealpactd" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$cg/cg.%p \
  --dump-before=signing_prep_work --dump-after=signing_prep_work --dump-before=done_work \
  --dump-after=done_work "$build/server/sealpactd" "\$@"
EOF
chmod +x "$tmp/b/server/sealpactd"
# the server runs some 50 times slower: its start and its requests get the longest deadline
BENCH_START_TIMEOUT=600 BENCH_REQUEST_TIMEOUT_MS=600000 BENCH_COLD=1 BENCH_CHAIN_REPLY=whole BENCH_CHAIN_CONTRACTS=1 BENCH_LEVEL=$level \
	python3 "$root/bench/bench_load.py" "$tmp/b" 2 1 "$signers" >"$tmp/load.log" 2>&1 ||
	{ cat "$tmp/load.log"; exit 1; }
grep -q "stored report == ?fresh=true verification: 1 of 1" "$tmp/load.log" ||
	{ cat "$tmp/load.log"; exit 1; }
# the last SIGNERS jobs of each kind are the chain's, in order
jobs() {
	for f in $(cd "$cg" && ls cg.*.* | sort -t. -k3n); do
		grep -q "^desc: Trigger: --dump-after=$1\$" "$cg/$f" &&
			grep -m1 '^summary' "$cg/$f" | cut -d' ' -f2
	done | tail -n "$signers" | awk '{ printf " %6.1f", $1 / 1e6 }'
}
echo "bench_chain_callgrind: one contract signed by $signers in turn at $level, sealpactd's"
echo "worker instructions (millions, callgrind) per signing k = 1..$signers:"
echo "  prepare: $(jobs signing_prep_work)"
echo "  complete:$(jobs done_work)"
