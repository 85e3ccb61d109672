#!/usr/bin/env bash
# fuzz.sh: build the libFuzzer targets and run each for a while.
#
#   deploy/fuzz.sh [SECONDS [TARGET...]]
#   FUZZ_SEED=N deploy/fuzz.sh ...   (libFuzzer's -seed; default 0: random)
#   deploy/fuzz.sh --build-only [SECONDS [TARGET...]]   (build, do not run)
#
# SECONDS per target (default 300), TARGET names from tests/fuzz/fuzz_TARGET.c
# (default: all), run in parallel, one per core. Needs clang (deploy/deps.sh
# test). The targets build in build-fuzz/, where only tests/fuzz and the code it
# fuzzes (common/, pdf/, crypto/) are compiled, instrumented and with
# ASan/UBSan. deploy/test.sh runs this with 5 seconds and a fixed seed (a
# regression gate: the same code fuzzes alike on every run, so that a failure
# is the change's and not a draw; some 90 % of what a 10-second run covers
# beyond the corpus it covers in its first 5, suite41's measurement); this,
# with a random seed, is the long run that looks for what nobody found yet.
# Findings (crash-*, leak-*, timeout-*) are written to tests/fuzz/; the exit
# status is non-zero if any target found one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# --build-only: deploy/test.sh builds the targets in the background while the
# unit and integration tests run, and runs them after (the build is then done).
build_only=no
[ "${1:-}" = "--build-only" ] && { build_only=yes; shift; }
secs=${1:-300}
[ $# -gt 0 ] && shift
case $secs in
'' | *[!0-9]*) echo "usage: deploy/fuzz.sh [SECONDS [TARGET...]]" >&2; exit 2 ;;
esac
command -v clang >/dev/null || { echo "fuzz.sh: clang is required (deploy/deps.sh test)" >&2; exit 1; }

targets=()
if [ $# -gt 0 ]; then
  for t in "$@"; do
    [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "fuzz.sh: no tests/fuzz/fuzz_$t.c" >&2; exit 2; }
    targets+=("$t")
  done
else
  for f in tests/fuzz/fuzz_*.c; do t=$(basename "$f" .c); targets+=("${t#fuzz_}"); done
fi

seed=${FUZZ_SEED:-0}
case $seed in
'' | *[!0-9]*) echo "fuzz.sh: FUZZ_SEED must be a number" >&2; exit 2 ;;
esac
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEALPACT_FUZZ=ON \
  -Dfuzz_time="$secs" -Dfuzz_seed="$seed" >/dev/null
builds=()
for t in "${targets[@]}"; do builds+=(--target "fuzz_$t"); done
cmake --build build-fuzz -j"$(nproc)" "${builds[@]}"
[ "$build_only" = yes ] && exit 0

regex="^fuzz\\.($(IFS='|'; echo "${targets[*]}"))\$"
echo "fuzz.sh: ${#targets[@]} target(s), ${secs} s each, $(nproc) at a time, seed ${seed} (0: random)" >&2
ctest --test-dir build-fuzz --output-on-failure -L fuzz -R "$regex" -j"$(nproc)"
