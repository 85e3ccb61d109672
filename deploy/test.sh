#!/usr/bin/env bash
# test.sh: install what the tests need, build, and run the whole suite.
#
#   deploy/test.sh
#
# One build with AddressSanitizer + UndefinedBehaviorSanitizer and -Werror
# (build-test/), then CTest: unit tests (Check), integration tests (the real
# sealpactd and sealpact binaries against a throwaway PostgreSQL started as a
# CTest fixture, SoftHSM2 tokens, pdfsig and qpdf --check as independent
# judges), and short libFuzzer runs when clang is present (build-fuzz/).
# The exit status is the suite's. Temporary files live under the build
# directories and /tmp/sealpact-*, and are removed by the tests.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)

bash deploy/deps.sh test

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/support/lsan.supp}

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEALPACT_SANITIZE=ON -DSEALPACT_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs"

status=0
ctest --test-dir build-test --output-on-failure -j"$jobs" --timeout 1200 || status=$?

if [ -f tests/fuzz/CMakeLists.txt ] && command -v clang >/dev/null; then
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEALPACT_FUZZ=ON >/dev/null
  # Only the fuzzers: the rest of the tree was built and tested above.
  fuzzers=()
  for f in tests/fuzz/fuzz_*.c; do fuzzers+=(--target "$(basename "$f" .c)"); done
  cmake --build build-fuzz -j"$jobs" "${fuzzers[@]}"
  ctest --test-dir build-fuzz --output-on-failure -L fuzz || status=$?
fi
exit $status
