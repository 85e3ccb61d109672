#!/usr/bin/env bash
# scratch.sh: print where the test suite keeps its throwaway files: /dev/shm
# when it is a tmpfs with 2 GiB free, else /tmp.
#
# On this machine's ext4, mounted with discard, making and removing files
# costs many times what it does in memory (pgtmp.sh: a CREATE DATABASE took
# 0.50 s on it, 0.07 s on tmpfs), and nothing the tests make outlives them. A
# container's /dev/shm (64 MiB) is too small for the suite's PostgreSQL.
# pgtmp.sh --memory puts the suite's cluster there, isolated.sh a unit test's
# TMPDIR, and harness.py every temporary directory of an integration test.
set -euo pipefail
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] &&
  [ $(($(stat -f -c '%a * %S' /dev/shm))) -ge $((2 << 30)) ]; then
  echo /dev/shm
else
  echo /tmp
fi
