#!/usr/bin/env bash
# pgtmp.sh: the test suite's throwaway PostgreSQL (a CTest fixture).
#
#   pgtmp.sh start DIR [--memory]
#                        a new cluster on a free port; writes DIR/url (libpq URL)
#                        and DIR/datadir; the data lives in a fresh /tmp directory
#                        so an unprivileged owner can reach it wherever the tree
#                        is; with --memory (the test suite's fixture) in
#                        scratch.sh's directory instead (/dev/shm if it has room)
#   pgtmp.sh stop DIR    stop it and remove everything it made
#
# Tests that need a database read DIR/url (DIR is $SEALPACT_TEST_PGDIR) and
# create their own database inside the cluster (the integration harness copies
# one it migrated once, naming the cluster in DIR/migrated.lock). The cluster is pgcluster.sh's
# --fast one (no fsync), unless SEALPACT_TEST_PG_DURABLE=1 (benchmarks: the
# settings a deployment runs with, fsync and synchronous commit on).
#
# Why memory (scratch.sh: /dev/shm when it has room): each integration test
# case gets a database copied from a migrated template, some 600 relations,
# and drops it. On this machine's ext4 (mounted with discard) a CREATE
# DATABASE took 0.50 s, 0.19 s of it its backend's CPU; on tmpfs 0.07 s and
# 0.02 (mean of 5, a loaded machine), and the kernel's journal and discard
# work, charged to no test, goes too. The cluster is thrown away at the end
# and runs without fsync anyway: nothing is lost by keeping it in memory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pgc="$here/../../deploy/pgcluster.sh"
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pgtmp.sh start DIR [--memory] | stop DIR" >&2; exit 2; }

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
  parent=/tmp
  if [ "${3:-}" = --memory ] && [ "${SEALPACT_TEST_PG_DURABLE:-}" != 1 ]; then
    parent=$(bash "$here/scratch.sh")
  fi
  base=$(mktemp -d "$parent/sealpact-pg.XXXXXX")
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
  echo "usage: pgtmp.sh start DIR [--memory] | stop DIR" >&2; exit 2 ;;
esac
