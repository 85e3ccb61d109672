#!/bin/sh
# needed.sh PROGRAM LIB...: PROGRAM's whole tree of shared libraries (what the
# dynamic loader maps at every start) contains none of LIB... — e.g. sealpact
# must not load libcurl or libp11 before a command needs them (client/lazy/).
set -eu
prog=$1
shift
tree=$(ldd "$prog") || { echo "needed.sh: ldd $prog failed" >&2; exit 1; }
bad=0
for lib in "$@"; do
	if printf '%s\n' "$tree" | grep -q "^[[:space:]]*$lib"; then
		echo "$prog loads $lib at start-up:" >&2
		bad=1
	fi
done
if [ "$bad" -ne 0 ]; then
	printf '%s\n' "$tree" >&2
	exit 1
fi
echo "$prog: $(printf '%s\n' "$tree" | wc -l) shared objects at start-up, none of: $*"
