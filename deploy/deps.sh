#!/usr/bin/env bash
# deps.sh: install the Debian 12 packages sealpact needs.
#
#   deploy/deps.sh run    what building and running the server needs
#   deploy/deps.sh test   that, plus what the test suite and benchmarks need
#   deploy/deps.sh cluster   run, plus the engines of deploy/cluster.sh (Patroni,
#                            etcd, PgBouncer, HAProxy); "test" includes them, since
#                            integration.test_cluster runs that cluster
#   deploy/deps.sh test --no-npm   the Debian packages only: deploy/test.sh runs
#                            deploy/npm.sh itself, beside the build (on a fresh
#                            clone `npm ci` takes a minute and a half, mostly waiting)
#
# Installs only what is missing (so a prepared machine needs no network), as
# root or through sudo.
set -euo pipefail

run_pkgs=(
  build-essential cmake pkg-config ca-certificates curl openssl python3 acl procps
  libevent-dev libssl-dev libpq-dev postgresql libcurl4-openssl-dev
  libqpdf-dev qpdf libyaml-dev libjansson-dev libp11-dev libp11-kit-dev libpng-dev zlib1g-dev
  softhsm2 opensc check libsubunit-dev libharfbuzz-dev fonts-noto-cjk libjemalloc-dev
  poppler-data libicu-dev
)
test_pkgs=(
  poppler-utils libnss3-tools mupdf-tools wrk clang libclang-rt-14-dev clang-format
  python3-jsonschema python3-yaml jq nodejs chromium
  default-jdk-headless libitext5-java libpdfbox2-java libbcpkix-java
  ghostscript python3-reportlab fonts-wqy-microhei fonts-arphic-gbsn00lp
)
cluster_pkgs=(
  patroni python3-etcd etcd-server etcd-client pgbouncer haproxy util-linux
)

want=("${run_pkgs[@]}")
npm=yes
[ "${2:-}" = "--no-npm" ] && npm=no
case "${1:-run}" in
test) want+=("${test_pkgs[@]}" "${cluster_pkgs[@]}") ;;
cluster) want+=("${cluster_pkgs[@]}") ;;
esac

# One dpkg-query for all of them (one a package was half a CPU second of every
# deploy/run.sh, which the suite runs five times). It exits 1 when dpkg has
# never heard of one of them (a fresh machine): under pipefail that ended the
# script at this line, silently, with nothing installed.
installed=" $({ dpkg-query -W -f='${Package}:${Status}\n' "${want[@]}" 2>/dev/null || true; } |
  sed -n 's/^\([^:]*\):install ok installed$/\1/p' | tr '\n' ' ') "
missing=()
for p in "${want[@]}"; do
  [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
# The npm tools of the test suite (the OpenAPI linter, the reference renderer):
# deploy/npm.sh, after the Debian packages (it needs node and npm).
npm_tools() {
  [ "${1:-run}" = "test" ] && [ "$npm" = yes ] || return 0
  bash "$(dirname "$0")/npm.sh"
}

if [ ${#missing[@]} -eq 0 ]; then
  npm_tools "${1:-run}"
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's nodejs ships npm as a package of its own; NodeSource's bundles it.
if [ "${1:-run}" = "test" ] && ! command -v npm >/dev/null; then
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
npm_tools "${1:-run}"
