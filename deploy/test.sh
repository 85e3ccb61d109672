#!/usr/bin/env bash
# test.sh: install what the tests need, build, and run the whole suite.
#
#   deploy/test.sh              the README's test command (CI's .ci/run)
#   deploy/test.sh --sanitize   the same suite on an AddressSanitizer +
#                               UndefinedBehaviorSanitizer build
#
# One build with -Werror (build-test/; build-sanitize/ with --sanitize), then
# CTest: unit tests (Check), integration tests (the real sealpactd and
# sealpact binaries against a throwaway PostgreSQL started as a CTest
# fixture, SoftHSM2 tokens, pdfsig and qpdf --check as independent judges),
# and, when clang is present, every libFuzzer target for 5 seconds under
# ASan + UBSan (deploy/fuzz.sh 5; `deploy/fuzz.sh [SECONDS]` is the long
# fuzz run).
#
# Why the default build is not the sanitized one: the suite is bound by CPU
# on two cores, and under ASan + UBSan our processes take 2.2 to 5 times the
# CPU (unit tests 191 against 85 CPU s, test_evidence 92 against 36;
# bench/suite_cpu.py), which put the command at 15 minutes against its 10.
# The parsers that read what attackers send (pdf/, crypto/, the reports) are
# fuzzed under ASan + UBSan in every run; --sanitize runs everything else
# under them too, and is run before each release.
#
# The caller's SEALPACT_* variables do not reach the programs under test.
# The exit status is the suite's. Temporary files live under the build
# directories and in /dev/shm when it is a tmpfs with room, else /tmp
# (tests/support/scratch.sh: the suite's PostgreSQL among them), and are
# removed by the tests.
set -euo pipefail

sanitize=OFF
dir=build-test
case "${1:-}" in
--sanitize) sanitize=ON dir=build-sanitize ;;
"") ;;
*)
  echo "usage: deploy/test.sh [--sanitize]" >&2
  exit 64
  ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$SECONDS
jobs=$(nproc)
elapsed() { printf '%dm%02ds' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)); }

# The Debian packages first (the build needs them); the npm tools, which only
# some tests need, install while the code compiles (on a fresh clone `npm ci`
# is a minute or more, most of it waiting on the network and the disk).
bash deploy/deps.sh test --no-npm

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/support/lsan.supp}

# The executables link with gold (binutils, as ld is): some 70 of them, each
# with the sanitizer runtime and the debug information of the libraries it
# pulls in; bfd took 0.58 CPU s to link test_server_http, gold 0.21.
# Debug information at -g1 (functions and line tables, no local variables):
# what a sanitizer's report prints (function, file, line, inlined frames)
# and no more; four of the largest sources took 8.7 CPU s to compile at -g1,
# 11.4 at -g (gcc 12, -O2 with ASan/UBSan, mean of two runs, busy machine).
# (The ASan/UBSan options above only matter to --sanitize and the fuzzers.)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEALPACT_SANITIZE=$sanitize -DSEALPACT_WERROR=ON \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=gold >/dev/null
bash deploy/npm.sh >"$dir"/npm.log 2>&1 &
npm_pid=$!
cmake --build "$dir" -j"$jobs"
wait "$npm_pid" || { cat "$dir"/npm.log >&2; echo "test.sh: deploy/npm.sh failed" >&2; exit 1; }
echo "test.sh: built in $(elapsed)" >&2

# The fuzzers compile (build-fuzz/, clang) while the tests run, at the lowest
# priority: they take the cores the tests leave idle while they wait. In a
# process group of their own (setsid), to be given their full share when the
# tests are done, and stopped if this script is.
fuzz=no
if [ -f tests/fuzz/CMakeLists.txt ] && command -v clang >/dev/null; then
  fuzz=yes
  FUZZ_SEED=1 setsid -w nice -n 19 bash deploy/fuzz.sh --build-only 5 >"$dir"/fuzz-build.log 2>&1 &
  fuzz_pid=$!
  trap 'kill -- -"$fuzz_pid" 2>/dev/null || true' EXIT
fi

# Most of a test's time is spent waiting on servers, PostgreSQL and sleeps, not
# on a core: twice as many tests as cores keeps the machine busy.
status=0
ctest --test-dir "$dir" --output-on-failure -j"$((jobs * 2))" --timeout 1200 || status=$?
echo "test.sh: unit and integration tests done at $(elapsed)" >&2

if [ $fuzz = yes ]; then
  # (raising a priority needs root, as CI runs this; otherwise it stays at 19)
  renice -n 0 -g "$fuzz_pid" >/dev/null 2>&1 || true
  fuzz_built=yes
  wait "$fuzz_pid" || fuzz_built=no
  trap - EXIT
  if [ $fuzz_built = yes ]; then
    FUZZ_SEED=1 bash deploy/fuzz.sh 5 || status=$?
  else
    cat "$dir"/fuzz-build.log >&2
    echo "test.sh: the fuzzers did not build" >&2
    status=1
  fi
fi
echo "test.sh: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(elapsed)" >&2
exit $status
