#!/usr/bin/env bash
# npm.sh: install the npm tools the build's tests use, pinned by
# deploy/npm/package-lock.json, into deploy/npm/node_modules:
#   @redocly/cli   lints openapi.yaml (CTest openapi.lint, ruleset redocly.yaml)
#   redoc          the reference renderer; server/console/api/redoc.standalone.js
#                  is its bundle, vendored (CTest openapi.redoc_vendored checks it)
#   playwright-core drives Debian's chromium in the console's browser test
#                  (tests/integration/test_console.py); it downloads no browser
#   @signpdf/*, pdf-lib  the JavaScript signers the verifier is tried against
#                  (tests/integration/test_world_writers.py, tests/support/npm_signer.js)
#   @pdf-lib/fontkit     pdf-lib's font engine: a CJK contract pdf-lib writes
#                  with an embedded TrueType subset (npm_signer.js cjk-contract)
# Needs node and npm (deploy/deps.sh test installs them). Installs only when
# something is missing or the lock file changed, so once installed it needs no
# network; the tools run offline (telemetry and update checks off, see
# tests/support/openapi_lint.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")/npm" && pwd)
stamp=$here/node_modules/.sealpact-lock.sha256
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -x "$here/node_modules/.bin/redocly" ] && [ -f "$here/node_modules/redoc/bundles/redoc.standalone.js" ] &&
   [ -f "$here/node_modules/playwright-core/package.json" ] &&
   [ -f "$here/node_modules/@signpdf/signpdf/package.json" ] && [ -f "$here/node_modules/pdf-lib/package.json" ] &&
   [ -f "$here/node_modules/@pdf-lib/fontkit/package.json" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm.sh: npm is missing (deploy/deps.sh test)" >&2; exit 1; }
echo "npm.sh: installing $(cd "$here" && node -e 'const p=require("./package.json");console.log(Object.entries(p.devDependencies).map(([k,v])=>k+"@"+v).join(" "))')" >&2
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
