#!/usr/bin/env bash
# run.sh: set up everything and run sealpactd on its embedded default.
#
#   deploy/run.sh               install, build, prepare var/, run in the foreground
#   deploy/run.sh --background  the same, but return once the server is ready and print its URL
#   deploy/run.sh --stop        stop the server and the PostgreSQL cluster it started
#
# Once the server is ready it prints (on stderr, and into var/guide.txt) what
# to paste next with this machine's real values: var/env.sh (the terminal on
# PATH, SEALPACT_SERVER, SEALPACT_CACERT, SOFTHSM2_CONF, the PKCS#11 module,
# SEALPACT_ALIASES = var/pki/orgs.tsv so that "supplier" names the demo
# supplier), every organization's credit code, a login per organization in its
# own profile, and a contract signed by two of them and verified.
#
# The embedded default lives under var/ at the top of the tree: a private
# PostgreSQL cluster (var/pg, owned by an unprivileged user when run as root),
# a development PKI (var/pki: CAs, demo organizations, TSA, OCSP, the server's
# TLS certificate) and SoftHSM2 demo tokens (var/tokens). Nothing outside the
# tree is touched except Debian packages (deploy/deps.sh) and, as root, the
# system user "sealpact" that owns the cluster.
#
# Environment: SEALPACT_CONFIG (default config/sealpact.yaml, else
# config/sealpact.example.yaml), SEALPACT_PG_PORT (default 5433),
# SEALPACT_VAR_DIR (default var/; the example config's paths are redirected
# there), SEALPACT_BUILD_DIR (default build/), and any
# SEALPACT_<SECTION>_<KEY> override, e.g. SEALPACT_SERVER_PORT=9443.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
var=${SEALPACT_VAR_DIR:-$root/var}
build=${SEALPACT_BUILD_DIR:-$root/build}
pgport=${SEALPACT_PG_PORT:-5433}
mode=${1:-foreground}

log() { echo "run.sh: $*" >&2; }

stop_all() {
  if [ -f "$var/sealpactd.pid" ]; then
    pid=$(cat "$var/sealpactd.pid")
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping sealpactd ($pid)"
      kill -TERM "$pid"
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$var/sealpactd.pid"
  fi
  if [ -d "$var/pg" ]; then
    log "stopping PostgreSQL"
    bash "$root/deploy/pgcluster.sh" stop "$var/pg"
  fi
}

case "$mode" in
--stop) stop_all; exit 0 ;;
--background|foreground) ;;
-h|--help) sed -n '2,28p' "$0"; exit 0 ;;
*) log "unknown option $mode"; exit 64 ;;
esac

bash "$root/deploy/deps.sh" run

log "building"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target sealpactd sealpact >/dev/null

mkdir -p "$var"
if [ -x "$root/deploy/pki.sh" ] || [ -f "$root/deploy/pki.sh" ]; then
  bash "$root/deploy/pki.sh" "$var/pki" >/dev/null
fi
# The demo seal image: every organization's default until it has an approved seal.
if [ ! -f "$var/pki/seal.png" ]; then
  python3 "$root/deploy/seal.py" "$var/pki/seal.png"
fi
if [ -f "$root/deploy/tokens.sh" ] && [ ! -d "$var/tokens" ]; then
  bash "$root/deploy/tokens.sh" "$var/pki" "$var/tokens" >"$var/tokens.txt"
fi

bash "$root/deploy/pgcluster.sh" start "$var/pg" "$pgport"
# The server reaches its private cluster over the cluster's Unix socket (in its
# data directory), not TCP on 127.0.0.1: per signing PostgreSQL spent ~0.35 ms and
# sealpactd ~0.08 ms less CPU (bench/bench_load.py, which connects the same way).
pgconn="host='$var/pg' port=$pgport user=sealpact"
if [ "$(psql -X -A -t "$pgconn dbname=postgres" -c "SELECT 1 FROM pg_database WHERE datname = 'sealpact'")" != "1" ]; then
  psql -X -q "$pgconn dbname=postgres" -c "CREATE DATABASE sealpact"
fi
export SEALPACT_DATABASE_URL=${SEALPACT_DATABASE_URL:-"$pgconn dbname=sealpact"}

config=${SEALPACT_CONFIG:-}
if [ -z "$config" ]; then
  config="$root/config/sealpact.yaml"
  [ -f "$config" ] || config="$root/config/sealpact.example.yaml"
fi
export SEALPACT_MIGRATIONS_DIR="$root/migrations"
# The example config names ../var/...; a var/ elsewhere is named by overrides.
if [ "$var" != "$root/var" ]; then
  export SEALPACT_SERVER_TLS_CERT=${SEALPACT_SERVER_TLS_CERT:-$var/pki/server-chain.pem}
  export SEALPACT_SERVER_TLS_KEY=${SEALPACT_SERVER_TLS_KEY:-$var/pki/server.key}
  export SEALPACT_TRUST_ROOTS=${SEALPACT_TRUST_ROOTS:-$var/pki/root.pem}
  export SEALPACT_TRUST_INTERMEDIATES=${SEALPACT_TRUST_INTERMEDIATES:-$var/pki/ca.pem}
  export SEALPACT_TRUST_CRLS=${SEALPACT_TRUST_CRLS:-$var/pki/crl.pem}
  export SEALPACT_TSA_CERT=${SEALPACT_TSA_CERT:-$var/pki/tsa.crt}
  export SEALPACT_TSA_KEY=${SEALPACT_TSA_KEY:-$var/pki/tsa.key}
  export SEALPACT_TSA_CHAIN=${SEALPACT_TSA_CHAIN:-$var/pki/chain.pem}
  export SEALPACT_TSA_TRUST=${SEALPACT_TSA_TRUST:-$var/pki/root.pem}
  export SEALPACT_SIGNING_DEFAULT_SEAL_IMAGE=${SEALPACT_SIGNING_DEFAULT_SEAL_IMAGE:-$var/pki/seal.png}
  export SEALPACT_SEALS_MAKER_CERT=${SEALPACT_SEALS_MAKER_CERT:-$var/pki/sealmaker.crt}
  export SEALPACT_SEALS_MAKER_KEY=${SEALPACT_SEALS_MAKER_KEY:-$var/pki/sealmaker.key}
  export SEALPACT_EVIDENCE_CERT=${SEALPACT_EVIDENCE_CERT:-$var/pki/evidence.crt}
  export SEALPACT_EVIDENCE_KEY=${SEALPACT_EVIDENCE_KEY:-$var/pki/evidence.key}
  export SEALPACT_EVIDENCE_CHAIN=${SEALPACT_EVIDENCE_CHAIN:-$var/pki/chain.pem}
fi

log "migrating"
"$build/server/sealpactd" -c "$config" migrate >&2

if [ -f "$var/sealpactd.pid" ] && kill -0 "$(cat "$var/sealpactd.pid")" 2>/dev/null; then
  log "sealpactd is already running ($(cat "$var/sealpactd.pid")); deploy/run.sh --stop first"
  exit 1
fi

# guide URL: what a new user pastes next, with this machine's real values;
# also written to var/env.sh (the exports) and var/guide.txt (all of it).
guide() {
  local url=$1 module=${SEALPACT_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
  local pdf="$root/tests/fixtures/contracts/short.pdf" slug name code
  cat >"$var/env.sh" <<EOF
# Made by deploy/run.sh: the development server's settings for the sealpact terminal.
export SEALPACT_SERVER=$url
export SEALPACT_CACERT=$var/pki/root.pem
export SOFTHSM2_CONF=$var/tokens/softhsm2.conf
export SEALPACT_PKCS11_MODULE=$module
export SEALPACT_KEY_ID=01
export SEALPACT_ALIASES=$var/pki/orgs.tsv
export PATH="$build/client:\$PATH"
EOF
  {
    echo
    echo "== sealpact development server: $url (DEVELOPMENT ONLY) =="
    echo "Log: $var/sealpactd.log   CA: $var/pki/root.pem   stop: deploy/run.sh --stop"
    echo
    echo "Organizations (alias, credit code, name); --signer and --cc take the alias or the code:"
    while IFS=$'\t' read -r slug name code; do
      [ -n "$slug" ] && printf '  %-10s %s  %s\n' "$slug" "$code" "$name"
    done <"$var/pki/orgs.tsv"
    echo
    echo "1. Set up this shell (the terminal on PATH, the server, its CA, the demo tokens):"
    echo "     . $var/env.sh"
    echo "   which is:"
    sed -n 's/^export /     export /p' "$var/env.sh"
    echo
    echo "2. Log in once per organization, each in its own profile (token PIN: 123456):"
    while IFS=$'\t' read -r slug name code; do
      [ -n "$slug" ] && echo "     sealpact --profile $slug login --token $slug-rsa"
    done <"$var/pki/orgs.tsv"
    echo "     sealpact whoami --all"
    echo
    echo "3. The buyer sends a contract; the supplier, then logistics, sign it:"
    echo "     n=\$(sealpact --profile buyer create $pdf --name 采购合同 --business-type 采购 \\"
    echo "          --signer supplier:1 --signer logistics:2 --send)"
    echo "     sealpact --profile supplier list --tab todo"
    echo "     sealpact --profile supplier receive \$n"
    echo "     sealpact --profile supplier sign \$n --token supplier-rsa --keyword 乙方（盖章）,1 --date 1,450,80"
    echo "     sealpact --profile supplier send \$n"
    echo "     sealpact --profile logistics receive \$n"
    echo "     sealpact --profile logistics sign \$n --token logistics-rsa --normal 1,150,120"
    echo "     sealpact --profile logistics send \$n"
    echo "     sealpact --profile buyer show \$n"
    echo
    echo "4. Download it and verify it here (offline, against the development CA):"
    echo "     sealpact --profile buyer download \$n -o signed.pdf"
    echo "     sealpact verify signed.pdf --intermediate $var/pki/ca.pem"
    echo
    echo "More: sealpact --help, sealpact help sign, and the README's client section."
  } | tee "$var/guide.txt" >&2
}

# wait_ready PID: the "listening" log line, then /readyz; prints the URL.
wait_ready() {
  local pid=$1 line port scheme url="" cacert=()
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$var/sealpactd.log" >&2; log "sealpactd exited"; return 1; }
    line=$(grep -m1 '"listening"' "$var/sealpactd.log" || true)
    if [ -n "$line" ]; then
      port=$(sed -n 's/.*"port": *\([0-9]*\).*/\1/p' <<<"$line")
      scheme=$(sed -n 's/.*"scheme": *"\([a-z]*\)".*/\1/p' <<<"$line")
      url="${scheme:-https}://127.0.0.1:$port"
      break
    fi
    sleep 0.1
  done
  [ -n "$url" ] || { log "sealpactd did not start listening; see $var/sealpactd.log"; return 1; }
  [ -f "$var/pki/root.pem" ] && cacert=(--cacert "$var/pki/root.pem")
  for _ in $(seq 1 100); do
    if curl -fsS "${cacert[@]}" "$url/readyz" >/dev/null 2>&1; then
      echo "$url"
      return 0
    fi
    sleep 0.1
  done
  log "sealpactd listens at $url but /readyz did not answer 200; see $var/sealpactd.log"
  return 1
}

: >"$var/sealpactd.log"
if [ "$mode" = foreground ]; then
  log "starting sealpactd (Ctrl-C to stop; PostgreSQL keeps running, deploy/run.sh --stop stops it)"
  # The log goes to the terminal and to var/sealpactd.log (where the URL is read from).
  "$build/server/sealpactd" -c "$config" serve > >(tee -a "$var/sealpactd.log") 2>&1 &
  pid=$!
  echo "$pid" >"$var/sealpactd.pid"
  stopping=""
  trap 'stopping=1; kill -TERM "$pid" 2>/dev/null' INT TERM
  if url=$(wait_ready "$pid"); then guide "$url"; fi
  st=0
  wait "$pid" || st=$?
  # Ctrl-C ends that wait at once (status 130): wait again for sealpactd's own exit.
  if [ -n "$stopping" ]; then st=0; wait "$pid" || st=$?; fi
  rm -f "$var/sealpactd.pid"
  exit "$st"
fi

nohup "$build/server/sealpactd" -c "$config" serve >>"$var/sealpactd.log" 2>&1 &
echo $! >"$var/sealpactd.pid"
url=$(wait_ready "$(cat "$var/sealpactd.pid")") || exit 1
log "sealpactd is ready at $url"
guide "$url"
echo "$url"
exit 0
