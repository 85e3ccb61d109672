#!/usr/bin/env bash
# format.sh: apply or check the house style (.clang-format) on the C sources.
#
#   deploy/format.sh                  rewrite the files that are not formatted
#   deploy/format.sh --check          list them and exit 1 if there are any
#   deploy/format.sh [--check] FILE...  only these files (other than *.c and *.h: skipped)
#
# The files are every *.c and *.h of the tree except build directories, var/,
# tests/fixtures/ (third-party and generated inputs) and the data tables
# listed in `keep` below. The style is pinned to clang-format 14 (other
# versions format some constructs differently); CLANG_FORMAT names the binary.
# CTest runs the check as style.clang_format (label style).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Tables laid out as data, one entry a line: formatting them would only hurt.
keep=(pdf/font_tables.c)

check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
case "${1:-}" in -*) echo "usage: deploy/format.sh [--check] [FILE...]" >&2; exit 2 ;; esac

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
  cf=clang-format
  command -v clang-format-14 >/dev/null && cf=clang-format-14
fi
command -v "$cf" >/dev/null || { echo "format.sh: $cf not found (apt-get install clang-format)" >&2; exit 2; }
ver=$("$cf" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
[ "$ver" = 14 ] || echo "format.sh: warning: $cf is version ${ver:-unknown}, the style is tuned for 14" >&2

files=()
if [ $# -gt 0 ]; then
  # Only C sources: a list such as `git diff --name-only` also names CMake,
  # Python and PDF files, which clang-format would happily mangle.
  for f in "$@"; do
    case "$f" in *.c | *.h) [ -f "$f" ] && files+=("$f") ;; esac
  done
  [ ${#files[@]} -gt 0 ] || exit 0
else
  while IFS= read -r f; do
    f=${f#./}
    for k in "${keep[@]}"; do [ "$f" = "$k" ] && continue 2; done
    files+=("$f")
  done < <(find . \( -path './build*' -o -path ./var -o -path ./.git -o -path ./tests/fixtures \) -prune \
    -o -type f \( -name '*.c' -o -name '*.h' \) -print | LC_ALL=C sort)
fi

# One clang-format for all the files (--dry-run names each file it would
# change): one process a file, with a cmp each, was 19 CPU s of the suite's
# style.clang_format, this is 4.5.
bad=()
out=$("$cf" --style=file --dry-run -Werror "${files[@]}" 2>&1) && rc=0 || rc=$?
while IFS= read -r f; do
  [ -n "$f" ] && bad+=("$f")
done < <(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' <<<"$out" | uniq)
if [ $rc -ne 0 ] && [ ${#bad[@]} -eq 0 ]; then
  printf '%s\n' "$out" >&2
  echo "format.sh: $cf failed" >&2
  exit 2
fi

if [ $check -eq 1 ]; then
  [ ${#bad[@]} -eq 0 ] && exit 0
  printf '%s\n' "${bad[@]}"
  echo "format.sh: ${#bad[@]} of ${#files[@]} files are not formatted; run deploy/format.sh" >&2
  exit 1
fi
for f in "${bad[@]}"; do
  "$cf" --style=file -i "$f"
  echo "formatted $f"
done
