#!/usr/bin/env bash
# pgcluster.sh: a private PostgreSQL cluster for sealpact (development and tests).
#
#   pgcluster.sh start DATADIR PORT [--fast]   initdb on first use, start, wait until ready
#   pgcluster.sh stop DATADIR                  fast shutdown (no-op when not running)
#   pgcluster.sh url DATADIR                   print the libpq URL of a started cluster
#   pgcluster.sh own DIR                       as root: make DIR the unprivileged owner's
#                                              (for data that another supervisor starts,
#                                              e.g. Patroni in deploy/cluster.sh)
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# unprivileged system user "sealpact" (created on demand). The superuser role
# is "sealpact" with trust authentication on 127.0.0.1 and the socket only:
# the cluster is private to this machine. --fast turns fsync off (tests).
set -euo pipefail

die() { echo "pgcluster: $*" >&2; exit 1; }

pgbin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  echo "$d"
}

# Run a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u sealpact -- "$@"
  else
    "$@"
  fi
}

ensure_owner() {
  local dir=$1 d
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id sealpact >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sealpact
  fi
  chown sealpact: "$dir"
  chmod 700 "$dir"
  # The owner must be able to reach the data directory; grant traversal
  # (not listing) on ancestors it cannot enter, by ACL so nothing else changes.
  d=$(dirname "$dir")
  while [ "$d" != "/" ]; do
    if ! runuser -u sealpact -- test -x "$d"; then
      command -v setfacl >/dev/null || die "$d is not traversable by user sealpact and setfacl is missing (apt-get install acl)"
      setfacl -m u:sealpact:x "$d"
    fi
    d=$(dirname "$d")
  done
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pgcluster.sh start|stop|url|own DATADIR [PORT] [--fast]"
case "$cmd" in
start)
  port=${3:-}; fast=${4:-}
  [[ "$port" =~ ^[0-9]+$ ]] || die "start needs a numeric PORT"
  bin=$(pgbin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  ensure_owner "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir" -U sealpact -A trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 ||
      { cat "$dir.initdb.log" >&2; die "initdb failed"; }
    rm -f "$dir.initdb.log"
  fi
  opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200"
  # Checkpoints by time, not by WAL volume: at the default max_wal_size (1 GB)
  # 300 signings a second (~23 KB of WAL each, more with the full-page
  # images every checkpoint brings) forced a checkpoint every two minutes or
  # sooner, and after each one the first change to every page logs the
  # whole page again. 15 minutes bounds crash recovery to replaying at most
  # that much WAL; max_wal_size is a soft cap on pg_wal, not preallocated.
  # wal_init_zero stays on: a zero-filled new segment has its blocks allocated
  # before WAL goes into it, so a commit's fdatasync on ext4 does not also wait
  # for block allocations. --fast (tests, benchmarks: no full-page writes, no
  # fsync) keeps the defaults, so that pg_wal stays small on /tmp.
  [ "$fast" = "--fast" ] || opts="$opts -c checkpoint_timeout=15min -c max_wal_size=4GB"
  [ "$fast" = "--fast" ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    echo "pgcluster: already running in $dir" >&2
  else
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null ||
      { tail -n 20 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  echo "postgresql://sealpact@127.0.0.1:$port/postgres" >"$dir/../$(basename "$dir").url"
  ;;
stop)
  [ -f "$dir/PG_VERSION" ] || exit 0
  bin=$(pgbin)
  if as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
  fi
  ;;
url)
  cat "$dir/../$(basename "$dir").url"
  ;;
own)
  mkdir -p "$dir"
  ensure_owner "$(cd "$dir" && pwd)"
  ;;
*)
  die "unknown command $cmd"
  ;;
esac
