#!/usr/bin/env bash
# openapi_lint.sh SOURCE_DIR: lint openapi.yaml with Redocly CLI (deploy/npm.sh
# installs it) and the ruleset redocly.yaml; fails on any problem, warning or
# error, and when the tool is not installed. Runs offline.
set -euo pipefail
src=${1:?usage: openapi_lint.sh SOURCE_DIR}
redocly=$src/deploy/npm/node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
  echo "openapi_lint: Redocly CLI is not installed: run deploy/npm.sh (or deploy/deps.sh test)" >&2
  exit 1
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
out=$(cd "$src" && "$redocly" lint openapi.yaml --config redocly.yaml --format=stylish 2>&1) || {
  printf '%s\n' "$out"
  exit 1
}
printf '%s\n' "$out" | grep -v -e '║' -e '╔' -e '╚' -e '^$'
# "valid" with warnings still exits 0: count them.
if printf '%s\n' "$out" | grep -Eq '^ +[0-9]+:[0-9]+ +(warning|error) '; then
  echo "openapi_lint: the description has warnings" >&2
  exit 1
fi
printf '%s\n' "$out" | grep -q 'Your API description is valid'
