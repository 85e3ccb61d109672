#!/usr/bin/env bash
# pgtmp.sh: the test suite's throwaway PostgreSQL (a CTest fixture).
#
#   pgtmp.sh start DIR   a new cluster on a free port; writes DIR/url (libpq URL)
#                        and DIR/datadir; the data lives in a fresh /tmp directory
#                        so an unprivileged owner can reach it wherever the tree is
#   pgtmp.sh stop DIR    stop it and remove everything it made
#
# Tests that need a database read DIR/url (DIR is $SEALPACT_TEST_PGDIR) and
# create their own database inside the cluster (the integration harness copies
# one it migrated once, naming the cluster in DIR/migrated.lock). The cluster is pgcluster.sh's
# --fast one (no fsync), unless SEALPACT_TEST_PG_DURABLE=1 (benchmarks: the
# settings a deployment runs with, fsync and synchronous commit on).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pgc="$here/../../deploy/pgcluster.sh"
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pgtmp.sh start|stop DIR" >&2; exit 2; }

# A port free now, at random below the ephemeral range (harness.free_port's
# reasons: one that bind(0) handed out could meanwhile be taken as the source
# port of a connection, or handed to someone else's bind(0)).
free_port() {
  python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import harness; print(harness.free_port())' \
    "$here/../integration"
}

case "$cmd" in
start)
  [ -f "$dir/datadir" ] && "$0" stop "$dir"
  mkdir -p "$dir"
  base=$(mktemp -d /tmp/sealpact-pg.XXXXXX)
  chmod 755 "$base"
  echo "$base/data" >"$dir/datadir"
  fast=--fast
  [ "${SEALPACT_TEST_PG_DURABLE:-}" = 1 ] && fast=
  # someone may have taken the port meanwhile: another one, twice more
  for try in 1 2 3; do
    port=$(free_port)
    if bash "$pgc" start "$base/data" "$port" $fast 2>"$base/start.err"; then
      break
    fi
    if [ $try = 3 ] || ! grep -q "already in use" "$base/start.err"; then
      cat "$base/start.err" >&2
      exit 1
    fi
  done
  rm -f "$base/start.err"
  cp "$base/data.url" "$dir/url"
  echo "PostgreSQL for tests at $(cat "$dir/url")"
  ;;
stop)
  [ -f "$dir/datadir" ] || exit 0
  data=$(cat "$dir/datadir")
  bash "$pgc" stop "$data" || true
  rm -rf "$(dirname "$data")" "$dir/datadir" "$dir/url" "$dir/migrated.lock"
  ;;
*)
  echo "usage: pgtmp.sh start|stop DIR" >&2; exit 2 ;;
esac
