#!/usr/bin/env bash
# lint.sh: the static-analysis sweep, run the same way every time.
#
#   deploy/lint.sh              every C file of the tree
#   deploy/lint.sh FILE...      those files only (paths from the tree's root)
#   deploy/lint.sh --valgrind [BUILD_DIR [CTEST_ARG...]]
#                               the unit tests under valgrind's memcheck
#                               (BUILD_DIR built already: build/ by default;
#                               e.g. -R 'test_pdf' -j1 to narrow it)
#
# cppcheck (--enable=warning,performance,portability) and clang-tidy (the
# checks in .clang-tidy, with the reasons for those left out) over each C
# source, with the flags and include paths it is compiled with: a
# configure-only build directory (build-lint/, clang, the libFuzzer targets
# on, so tests/fuzz is swept too) exports compile_commands.json, of which
# each source keeps its first entry (the fuzzers compile pdf/ and crypto/ a
# second time). A finding that is not a bug carries a one-line NOLINT or
# cppcheck-suppress with the reason, or its check is left out in .clang-tidy.
#
# Not part of deploy/test.sh, and not clean yet (see the last sweep's note):
# clang-tidy's analyzer takes 3 to 8 CPU seconds a file (2.7 s each for
# jobs/archive.c, pdf/crypt.c, crypto/tsa.c; 7.4 s each for six of common/,
# config/ and crypto/), some 25 CPU minutes for the tree's 310 files;
# cppcheck about 85 CPU seconds (gcc 12's machine, clang-tidy 14, cppcheck
# 2.10; measured with time(1) on a shared, loaded machine).
# Output: one line a finding (file:line: ...), then a count. The exit
# status is 0 when neither tool reports anything, 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=build-lint
jobs=$(nproc)

# The unit tests under memcheck: any error it reports (an invalid read or
# write, a jump on an uninitialized value, memory definitely or indirectly
# lost) fails the test. Check runs each case in a child of its own, which
# valgrind follows; its time limits are stretched for valgrind's slowdown
# (some 30 times). Tests labelled novalgrind (tests/CMakeLists.txt says why)
# are left out. Some 2 CPU hours for the 90-odd unit tests; not part of
# deploy/test.sh. Under a loaded machine a test that waits on a peer with a
# deadline of its own (TLS handshakes in test_client_http, test_crypto_ts_fetch)
# can miss it: a failure with no memcheck report in its output is timing.
if [ "${1:-}" = --valgrind ]; then
  export SEALPACT_TEST_WRAP="env CK_TIMEOUT_MULTIPLIER=40 valgrind --quiet --error-exitcode=99
    --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect"
  bdir=${2:-build}
  shift $(($# < 2 ? $# : 2))
  exec ctest --test-dir "$bdir" -L unit -LE novalgrind --output-on-failure -j"$jobs" \
    --timeout 14400 "$@"
fi

CC=clang cmake -S . -B "$dir" -DSEALPACT_FUZZ=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
db="$dir/lint"
mkdir -p "$db"
python3 - "$dir/compile_commands.json" "$db/compile_commands.json" "$@" <<'EOF'
import json, os, subprocess, sys
src, dst, only = sys.argv[1], sys.argv[2], sys.argv[3:]
tree = only or subprocess.run(["git", "ls-files", "*.c"], capture_output=True, text=True,
                              check=True).stdout.split()
want = {os.path.abspath(f) for f in tree}
seen, out = set(), []
for e in json.load(open(src)):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if f in want and f not in seen:
        seen.add(f)
        out.append(e)
missing = sorted(want - seen)
if missing:
    sys.exit("lint.sh: not in any build: " + " ".join(missing))
json.dump(out, open(dst, "w"), indent=1)
EOF

out="$dir/lint/out"
rm -rf "$out"
mkdir -p "$out"

# cppcheck: the system headers are not read (their macros confuse it more
# than they help; deploy/lint.cfg has what it must know of them); missing
# ones are not findings. readdir() is not flagged: readdir_r() is deprecated
# (glibc 2.24), and readdir() on a stream of the caller's own is thread-safe.
cppcheck --project="$db/compile_commands.json" --enable=warning,performance,portability \
  --library=posix --library=openssl --library=deploy/lint.cfg --inline-suppr \
  --suppress=missingIncludeSystem --suppress=missingInclude --suppress=readdirCalled -q -j"$jobs" \
  --template='{file}:{line}: cppcheck {severity} [{id}]: {message}' 2>"$out/cppcheck" || true

# clang-tidy: one process a file, each writing its own report.
python3 -c 'import json,sys; print("\n".join(e["file"] for e in json.load(open(sys.argv[1]))))' \
  "$db/compile_commands.json" |
  xargs -P"$jobs" -I{} sh -c 'clang-tidy -p "$1" --quiet "$2" >"$3/tidy.$(echo "$2" | tr / _)" 2>/dev/null || true' \
    sh "$db" {} "$out"

# A finding in a header is reported by each file that includes it: once here.
# (grep finds nothing in a clean sweep: under pipefail its status 1 ended
# the script there, with no count and exit 1, as if it had found something.)
{
  sed "s|^$root/||" "$out/cppcheck"
  cat "$out"/tidy.* 2>/dev/null | { grep -E '^/.*: (warning|error): ' || true; } |
    sed "s|^$root/||"
} | sort -u -t: -k1,1 -k2,2n -k3 >"$out/all"
cat "$out/all"
n=$(wc -l <"$out/all")
echo "lint.sh: $n findings" >&2
[ "$n" -eq 0 ]
