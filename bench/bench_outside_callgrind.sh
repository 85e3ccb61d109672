#!/bin/bash
# bench_outside_callgrind.sh: the exact instructions of verifying a 10-page
# contract (contract30.pdf's first ten pages, RSA-2048 + TSA, signed through the
# real path by bench_chain) from outside, with 1, 5 and 20 signatures (POST
# /api/v1/verify, public verify, `sealpact verify`: nothing handed on), and of
# each completion with sealpactd's refs cache cold (BENCH_CHAIN_REFS=cold: the
# engine is not handed what the base refers to, as in another process or after a
# restart) next to it warm, and cold with the set stored with the base
# (BENCH_CHAIN_REFS=stored: migration 067's revisions.refs, read with the claim,
# and from the first completion on, 070's of the upload).
#
#   bench/bench_outside_callgrind.sh [BUILD_DIR] [SIGNERS (20)] [OUTSIDE (1,5,20)]
#
# Prints millions of instructions (callgrind, exact whatever the load);
# BENCH_CG_KEEP=DIR keeps the dumps for callgrind_annotate (each names its part:
# "outside 5", "complete 3").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
signers=${2:-20}
outside=${3:-1,5,20}
tmp=$(mktemp -d /tmp/sp-outside-cg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cg=${BENCH_CG_KEEP:-$tmp/cg}
mkdir -p "$cg"
qpdf "$root/tests/fixtures/contracts/contract30.pdf" --pages . 1-10 -- "$tmp/contract10.pdf"
python3 "$root/deploy/seal.py" "$tmp/seal.png" 120 >/dev/null
run() { # $1: warm, cold or stored
	BENCH_CHAIN_NOW=1 BENCH_CHAIN_CG=1 BENCH_CHAIN_REFS=$1 BENCH_CHAIN_OUTSIDE=$outside \
		valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$cg/$1.%p" \
		"$build/bench/bench_chain" "$tmp/contract10.pdf" "$tmp/seal.png" "$signers" 1 \
		>"$tmp/$1.log" 2>&1 || { cat "$tmp/$1.log"; exit 1; }
}
# the instructions of each dump named "$2 K", K ascending, in millions
parts() {
	for f in "$cg/$1".*.*; do
		d=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
		case "$d" in "$2 "*) echo "${d#"$2 "} $(grep -m1 '^summary' "$f" | cut -d' ' -f2)" ;; esac
	done | sort -n | awk '{ printf " %d:%.2f", $1, $2 / 1e6 }'
}
run warm
run cold
run stored
echo "bench_outside_callgrind: contract30.pdf pages 1-10 signed $signers times (bench_chain),"
echo "instructions in millions (callgrind), k:count"
echo "  verified from outside:$(parts warm outside)"
echo "  completion, refs cache warm:$(parts warm complete)"
echo "  completion, refs cache cold:$(parts cold complete)"
echo "  completion, refs cache cold, the set stored with the base read:$(parts stored complete)"
