#!/usr/bin/env bash
# isolated.sh: run a test program without the caller's settings for the
# programs under test.
#
#   isolated.sh COMMAND [ARG...]
#
# Removes every exported SEALPACT_* variable (sealpactd reads
# SEALPACT_<SECTION>_<KEY>, the client SEALPACT_SERVER, _TOKEN, _PIN...) and
# SOFTHSM2_CONF, then execs COMMAND. A developer's exported
# SEALPACT_SERVER_PORT would otherwise make a test server share the port of a
# running one (SO_REUSEPORT). The suite's own variables, which CTest sets for
# every test, are kept: SEALPACT_SOURCE_DIR, SEALPACT_BUILD_DIR and
# SEALPACT_TEST_* (SEALPACT_TEST_PGDIR, SEALPACT_TEST_KEEP_TMP). Tests that
# need a setting pass it to the program themselves.
#
# Unless the caller set TMPDIR, it becomes scratch.sh's directory (/dev/shm
# when it has room): the unit tests' directories (support_tmp.c) and their
# programs' files are made and removed in memory.
#
# SEALPACT_TEST_WRAP, when set, is a command the program runs under (split at
# blanks), e.g. the unit tests under valgrind (deploy/lint.sh --valgrind):
#   SEALPACT_TEST_WRAP="valgrind --error-exitcode=99" ctest -L unit
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: isolated.sh COMMAND [ARG...]" >&2; exit 2; }
[ -n "${TMPDIR:-}" ] || TMPDIR=$(bash "$(dirname "$0")/scratch.sh")
export TMPDIR
for v in $(compgen -e); do
  case $v in
  SEALPACT_SOURCE_DIR | SEALPACT_BUILD_DIR | SEALPACT_TEST_*) ;;
  SEALPACT_* | SOFTHSM2_CONF) unset "$v" ;;
  esac
done
# shellcheck disable=SC2086 # the wrapper's words are split on purpose
exec ${SEALPACT_TEST_WRAP:-} "$@"
