#!/usr/bin/env bash
# cluster.sh: sealpact scaled out on one machine, on loopback, with the engines
# operators already run (deploy/PRODUCTION.md describes the same across machines).
#
#   deploy/cluster.sh up [--nodes N] [--direct K] [--fast]   start everything, print the URL
#   deploy/cluster.sh status                                  what runs, who is the primary
#   deploy/cluster.sh down                                    stop everything, remove the state
#
#   etcd ─── Patroni pg1 ─ PostgreSQL (primary)  ──streaming, synchronous──┐
#        └── Patroni pg2 ─ PostgreSQL (replica)  <─────────────────────────┘
#   HAProxy "pg": TCP to whichever PostgreSQL answers Patroni's GET /primary
#   PgBouncer (transaction pooling) -> HAProxy "pg"
#   sealpactd node 1..N (node ids 1..N): database.url = PgBouncer; the last K
#     nodes (--direct K) use the multi-host conninfo with
#     target_session_attrs=read-write instead, so both ways are exercised
#   HAProxy "api": HTTPS (TLS passthrough) balanced over the nodes, GET /readyz checks
#
# Every port is a free one picked at "up"; everything lives under the state
# directory: SEALPACT_CLUSTER_DIR (default var/cluster). It holds cluster.env
# (ports, URLs, process ids, paths: sourced by tests and the benchmark) and
# each component's configuration and log. As root, etcd, Patroni, PostgreSQL
# and PgBouncer run as the unprivileged user "sealpact" (deploy/pgcluster.sh
# creates it); sealpactd and HAProxy run as the caller.
#
# Patroni timings are short (ttl 8 s, loop_wait 1 s, retry_timeout 3 s) so a
# failover takes seconds on loopback, yet a leader starved of CPU for a couple
# of seconds on a busy machine keeps its key; synchronous_mode keeps
# acknowledged commits on the replica that Patroni promotes, and pg_rewind lets
# a former primary rejoin as a replica. --fast turns fsync off (tests:
# a killed process, not a lost machine, so the page cache survives).
#
# Environment: SEALPACT_CLUSTER_DIR, SEALPACT_BUILD_DIR (default build/),
# SEALPACT_CLUSTER_PKI (a deploy/pki.sh directory to use instead of making one
# under the state directory), and any SEALPACT_<SECTION>_<KEY> override, which
# reaches every node.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
S=${SEALPACT_CLUSTER_DIR:-$root/var/cluster}
build=${SEALPACT_BUILD_DIR:-$root/build}
pgc="$root/deploy/pgcluster.sh"
# Debian installs pgbouncer and haproxy in /usr/sbin, outside a user's PATH.
PATH=$PATH:/usr/sbin:/sbin

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# Free ports below Linux's ephemeral range (32768-60999): a port the kernel
# hands out for bind(0) is just as likely to be taken next by another
# program's outgoing connection before our daemon binds it (seen with the
# test suite running beside the cluster). All of them are drawn at once and
# are distinct: drawn one by one, two daemons were once given the same port
# (PgBouncer could not listen, and migrate reached the standby through it).
free_ports() {
  python3 -c '
import random, socket, sys
want, got = int(sys.argv[1]), []
for _ in range(200 * want):
    if len(got) == want:
        break
    p = random.randrange(20000, 32000)
    if p in got:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    got.append(p)
if len(got) < want:
    raise SystemExit("no %d free ports in 20000-31999" % want)
print(" ".join(map(str, got)))
' "$1"
}

# Run a command as the owner of the database side (exec, so $! is its pid).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    exec setpriv --reuid=sealpact --regid=sealpact --init-groups "$@"
  fi
  exec "$@"
}

# start NAME LOGFILE [--owner] CMD...: a daemon in the background, its pid in $S/run/NAME.pid.
start() {
  local name=$1 logf=$2 owner=""
  shift 2
  if [ "$1" = --owner ]; then owner=1; shift; fi
  if [ -n "$owner" ]; then
    (as_owner "$@") </dev/null >>"$logf" 2>&1 &
  else
    ("$@") </dev/null >>"$logf" 2>&1 &
  fi
  echo $! >"$S/run/$name.pid"
}

alive() { [ -f "$S/run/$1.pid" ] && kill -0 "$(cat "$S/run/$1.pid")" 2>/dev/null; }

# wait_for SECONDS WHAT CMD...: until CMD succeeds.
wait_for() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$what did not come up in ${secs}s"
}

# The end of every log, before a failed "up" removes them.
dump_logs() {
  local f
  for f in "$S"/*.log "$S"/*/*.log "$S"/*/*.out; do
    [ -s "$f" ] || continue
    echo "---- ${f#"$S"/} (last lines)" >&2
    tail -n 8 "$f" >&2
  done
}

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# The role Patroni reports on its REST API: 200 on /primary only for the leader.
is_primary() { curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$1/primary"; }

patroni_yaml() {
  local i=$1 pgport=$2 rest=$3 fast=$4 dir="$S/pg$1"
  cat <<EOF
scope: sealpact
name: pg$i
log:
  dir: $dir
  # ERROR: HAProxy's checks end with a reset, which Patroni logs as a WARNING each time.
  level: ERROR
restapi:
  listen: 127.0.0.1:$rest
  connect_address: 127.0.0.1:$rest
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    ttl: 8
    loop_wait: 1
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 200
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_log_hints: "on"
        wal_keep_size: 64MB
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
postgresql:
  listen: 127.0.0.1:$pgport
  connect_address: 127.0.0.1:$pgport
  data_dir: $dir/data
  bin_dir: $(pgbin)
  pgpass: $dir/pgpass
  # The replica's clone must not wait for a spread checkpoint (minutes).
  basebackup:
    - checkpoint: fast
  authentication:
    superuser:
      username: sealpact
      password: sealpact
    replication:
      username: replicator
      password: replicator
  parameters:
    unix_socket_directories: $dir
$([ "$fast" = 1 ] && printf '    fsync: "off"\n    full_page_writes: "off"\n')
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
EOF
}

node_yaml() {
  local i=$1 port=$2 url=$3 pki=$4
  cat <<EOF
server:
  host: 127.0.0.1
  port: $port
  tls: true
  tls_cert: $pki/server-chain.pem
  tls_key: $pki/server.key
  threads: 2
  workers: 1
  node_id: $i
  public_url: $API_URL
  # HAProxy "api" connects from here and names each client (send-proxy-v2)
  trusted_proxies: 127.0.0.1
database:
  url: "$url"
  pool_size: 8
  query_timeout_ms: 5000
  connect_timeout_ms: 1000
log:
  level: info
trust:
  roots:
    - $pki/root.pem
  intermediates:
    - $pki/ca.pem
  crls:
    - $pki/crl.pem
    - $pki/root-crl.pem
  ocsp: false
  require_revocation: true
tsa:
  mode: builtin
  cert: $pki/tsa.crt
  key: $pki/tsa.key
  chain: $pki/chain.pem
  trust: $pki/root.pem
signing:
  default_seal_image: $pki/seal.png
EOF
}

haproxy_cfg() {
  local i
  cat <<EOF
global
  maxconn 4000
  log stderr format short local0 warning
defaults
  log global
  timeout connect 1s
  timeout client 120s
  timeout server 120s
  timeout check 1s
# PostgreSQL: only the server whose Patroni answers 200 on /primary is up; a
# server marked down has its sessions cut, so nobody keeps writing to an old
# primary.
listen pg
  bind 127.0.0.1:$HAPG_PORT
  mode tcp
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 300ms fall 2 rise 1 on-marked-down shutdown-sessions
EOF
  for i in 1 2; do
    echo "  server pg$i 127.0.0.1:$(eval echo \$PG${i}_PORT) check port $(eval echo \$REST${i}_PORT)"
  done
  cat <<EOF
# The API: TLS passes through to the nodes (each terminates it with the same
# certificate); a node is in rotation while its /readyz answers 200. A node
# taken out (its database unreachable) finishes what it has in flight: its
# connections are not cut, unlike the database's above. Each connection to a
# node starts with the PROXY protocol header (v2, before TLS; the checks send
# it as LOCAL), which names the client to nodes that trust this balancer
# (server.trusted_proxies): their per-address limits count clients.
listen api
  bind 127.0.0.1:$API_PORT
  mode tcp
  balance roundrobin
  option redispatch
  retries 3
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 300ms fall 2 rise 1 check-ssl verify none send-proxy-v2
EOF
  for ((i = 1; i <= NODES; i++)); do
    echo "  server n$i 127.0.0.1:$(eval echo \$NODE${i}_PORT) check"
  done
}

up() {
  local nodes=3 direct=0 fast=0 i pki pgbouncer_url direct_url url
  while [ $# -gt 0 ]; do
    case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --direct) direct=$2; shift 2 ;;
    --fast) fast=1; shift ;;
    *) die "unknown option $1" ;;
    esac
  done
  [[ "$nodes" =~ ^[1-9]$ ]] || die "--nodes takes 1..9"
  [[ "$direct" =~ ^[0-9]$ ]] && [ "$direct" -le "$nodes" ] || die "--direct takes 0..--nodes"
  for b in etcd patroni pgbouncer haproxy setpriv curl psql; do
    command -v "$b" >/dev/null || die "$b is missing (deploy/deps.sh cluster)"
  done
  [ -x "$build/server/sealpactd" ] || die "no $build/server/sealpactd (build first, or set SEALPACT_BUILD_DIR)"
  if [ -f "$S/cluster.env" ] || [ -d "$S/run" ]; then
    die "a cluster is already up in $S (deploy/cluster.sh down first)"
  fi
  mkdir -p "$S/run"
  # A failed start leaves nothing running behind it.
  trap 'st=$?; if [ $st -ne 0 ]; then dump_logs; log "up failed: stopping what started"; down; fi' EXIT
  S=$(cd "$S" && pwd)
  chmod 755 "$S"

  pki=${SEALPACT_CLUSTER_PKI:-}
  if [ -z "$pki" ]; then
    pki="$S/pki"
    bash "$root/deploy/pki.sh" "$pki" >/dev/null
  fi
  [ -f "$pki/seal.png" ] || python3 "$root/deploy/seal.py" "$pki/seal.png"

  NODES=$nodes
  local ports
  read -r -a ports <<<"$(free_ports $((9 + nodes)))" || die "no free ports"
  [ "${#ports[@]}" -eq $((9 + nodes)) ] || die "no free ports"
  ETCD_PORT=${ports[0]}; ETCD_PEER=${ports[1]}
  PG1_PORT=${ports[2]}; PG2_PORT=${ports[3]}; REST1_PORT=${ports[4]}; REST2_PORT=${ports[5]}
  HAPG_PORT=${ports[6]}; BOUNCER_PORT=${ports[7]}; API_PORT=${ports[8]}
  for ((i = 1; i <= nodes; i++)); do eval "NODE${i}_PORT=${ports[8 + i]}"; done
  API_URL="https://127.0.0.1:$API_PORT"

  # etcd: one member, the DCS Patroni keeps its leader key in.
  bash "$pgc" own "$S/etcd"
  start etcd "$S/etcd.log" --owner etcd --name sealpact-etcd --data-dir "$S/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-cluster "sealpact-etcd=http://127.0.0.1:$ETCD_PEER" \
    --heartbeat-interval 100 --election-timeout 1000
  wait_for 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  # Patroni: pg1 first (it bootstraps), then pg2 (it clones pg1 and follows).
  for i in 1 2; do
    bash "$pgc" own "$S/pg$i"
    patroni_yaml "$i" "$(eval echo \$PG${i}_PORT)" "$(eval echo \$REST${i}_PORT)" "$fast" >"$S/pg$i/patroni.yml"
    chmod 644 "$S/pg$i/patroni.yml"
  done
  start patroni1 "$S/pg1/patroni.out" --owner patroni "$S/pg1/patroni.yml"
  wait_for 90 "the PostgreSQL primary (Patroni pg1)" is_primary "$REST1_PORT"
  start patroni2 "$S/pg2/patroni.out" --owner patroni "$S/pg2/patroni.yml"
  # Synchronous standby: a commit the primary acknowledges is on pg2 too.
  wait_for 90 "the synchronous replica (Patroni pg2)" curl -fsS -o /dev/null --max-time 1 \
    "http://127.0.0.1:$REST2_PORT/sync"

  direct_url="postgresql://sealpact@127.0.0.1:$PG1_PORT,127.0.0.1:$PG2_PORT/sealpact?target_session_attrs=read-write&connect_timeout=2"
  psql -X -q "postgresql://sealpact@127.0.0.1:$PG1_PORT/postgres" -c "CREATE DATABASE sealpact" >/dev/null

  # HAProxy: the primary's port for PgBouncer, the API for clients.
  haproxy_cfg >"$S/haproxy.cfg"
  haproxy -c -q -f "$S/haproxy.cfg" || die "haproxy rejected $S/haproxy.cfg"
  start haproxy "$S/haproxy.log" haproxy -db -f "$S/haproxy.cfg"

  # PgBouncer, transaction pooling, in front of HAProxy's primary port.
  bash "$pgc" own "$S/pgbouncer"
  printf '"sealpact" ""\n' >"$S/pgbouncer/userlist.txt"
  cat >"$S/pgbouncer/pgbouncer.ini" <<EOF
[databases]
sealpact = host=127.0.0.1 port=$HAPG_PORT dbname=sealpact user=sealpact
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $S/pgbouncer/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 40
; fail fast while there is no primary: sealpactd's pool reconnects by itself
server_connect_timeout = 2
server_login_retry = 1
query_wait_timeout = 5
server_check_delay = 1
logfile = $S/pgbouncer/pgbouncer.log
EOF
  chmod 644 "$S/pgbouncer/pgbouncer.ini" "$S/pgbouncer/userlist.txt"
  start pgbouncer "$S/pgbouncer/pgbouncer.out" --owner pgbouncer "$S/pgbouncer/pgbouncer.ini"
  pgbouncer_url="postgresql://sealpact@127.0.0.1:$BOUNCER_PORT/sealpact"
  wait_for 30 "PgBouncer through HAProxy" psql -X -q -A -t "$pgbouncer_url" -c "SELECT 1"

  # Migrations through PgBouncer like everything else: the runner's locks are
  # transaction-scoped (db/migrate.c), so none stays behind on a pooled connection.
  SEALPACT_DATABASE_URL=$pgbouncer_url SEALPACT_SERVER_TLS=false \
    SEALPACT_MIGRATIONS_DIR="$root/migrations" "$build/server/sealpactd" migrate >"$S/migrate.log" 2>&1 ||
    { cat "$S/migrate.log" >&2; die "migrate failed"; }

  for ((i = 1; i <= nodes; i++)); do
    url=$pgbouncer_url
    [ "$i" -gt $((nodes - direct)) ] && url=$direct_url
    node_yaml "$i" "$(eval echo \$NODE${i}_PORT)" "$url" "$pki" >"$S/node$i.yaml"
    start "node$i" "$S/node$i.log" "$build/server/sealpactd" -c "$S/node$i.yaml" serve
  done

  {
    echo "STATE_DIR=$S"
    echo "PKI=$pki"
    echo "NODES=$nodes"
    echo "DIRECT=$direct"
    echo "API_URL=$API_URL"
    echo "API_PORT=$API_PORT"
    echo "ETCD_PORT=$ETCD_PORT"
    echo "PG1_PORT=$PG1_PORT"
    echo "PG2_PORT=$PG2_PORT"
    echo "REST1_PORT=$REST1_PORT"
    echo "REST2_PORT=$REST2_PORT"
    echo "HAPG_PORT=$HAPG_PORT"
    echo "BOUNCER_PORT=$BOUNCER_PORT"
    echo "BOUNCER_URL='$pgbouncer_url'"
    echo "DIRECT_URL='$direct_url'"
    for ((i = 1; i <= nodes; i++)); do echo "NODE${i}_PORT=$(eval echo \$NODE${i}_PORT)"; done
  } >"$S/cluster.env"

  for ((i = 1; i <= nodes; i++)); do
    wait_for 30 "sealpactd node $i" curl -fsS --cacert "$pki/root.pem" \
      "https://127.0.0.1:$(eval echo \$NODE${i}_PORT)/readyz"
  done
  wait_for 30 "the balancer" curl -fsS --cacert "$pki/root.pem" "$API_URL/readyz"
  log "up: $nodes sealpactd nodes behind $API_URL (CA $pki/root.pem); state in $S"
  echo "$API_URL"
  trap - EXIT
}

status() {
  local i name st=0 role
  [ -f "$S/cluster.env" ] || { log "no cluster in $S"; return 3; }
  # shellcheck disable=SC1091
  . "$S/cluster.env"
  for name in etcd patroni1 patroni2 haproxy pgbouncer $(seq -f 'node%g' 1 "$NODES"); do
    if alive "$name"; then printf '%-10s running (pid %s)\n' "$name" "$(cat "$S/run/$name.pid")"
    else printf '%-10s DOWN\n' "$name"; st=1; fi
  done
  for i in 1 2; do
    role=$(curl -fsS --max-time 1 "http://127.0.0.1:$(eval echo \$REST${i}_PORT)/patroni" 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("role","?"), d.get("state","?"))' 2>/dev/null || echo unreachable)
    printf 'pg%s        127.0.0.1:%s  %s\n' "$i" "$(eval echo \$PG${i}_PORT)" "$role"
  done
  for ((i = 1; i <= NODES; i++)); do
    printf 'node%s /readyz %s\n' "$i" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$PKI/root.pem" \
      "https://127.0.0.1:$(eval echo \$NODE${i}_PORT)/readyz" || true)"
  done
  echo "$API_URL"
  return $st
}

down() {
  local name pid i j
  [ -d "$S" ] || return 0
  # Nodes first (SIGTERM: they finish in-flight requests), the database side last.
  for name in $(cd "$S/run" 2>/dev/null && ls node*.pid 2>/dev/null | sed 's/\.pid$//') \
    haproxy pgbouncer patroni2 patroni1 etcd; do
    [ -f "$S/run/$name.pid" ] || continue
    pid=$(cat "$S/run/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$S/run/$name.pid"
  done
  # A PostgreSQL whose Patroni was killed (a failure test) outlives it.
  for i in 1 2; do
    if [ -f "$S/pg$i/data/postmaster.pid" ]; then
      pid=$(head -n 1 "$S/pg$i/data/postmaster.pid")
      kill -0 "$pid" 2>/dev/null && kill -QUIT "$pid" 2>/dev/null || true
      for ((j = 0; j < 100; j++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  rm -rf "$S"
  log "down: removed $S"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
up) up "$@" ;;
down) down ;;
status) status ;;
*) sed -n '2,34p' "$0" >&2; exit 64 ;;
esac
