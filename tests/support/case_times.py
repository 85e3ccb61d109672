#!/usr/bin/env python3
"""case_times.py: where an integration test module's time goes, case by case.

    cd tests/integration && SEALPACT_BUILD_DIR=... SEALPACT_TEST_PGDIR=... \\
        SEALPACT_TEST_PKIDIR=... python3 ../support/case_times.py MODULE

Runs MODULE (unittest name: test_deploy, test_ltv.Renewal...) and prints, for
each test case and for each gap between two (setUpModule, setUpClass and
their tear-downs), seconds of wall clock and of CPU: this process's and its
children's that have been waited for (the servers a case stops, the programs
it runs; not daemons such as the suite's PostgreSQL). Longest first, then the
total and the result. On a shared machine the wall clock measures the
neighbours too; the CPU seconds are the test's own.
"""
import os
import sys
import time
import unittest


def cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class TimedResult(unittest.TextTestResult):
    rows = []
    last = None

    def startTest(self, test):
        now = time.time(), cpu()
        TimedResult.rows.append(("(before it: set-up, tear-down)",) + tuple(
            a - b for a, b in zip(now, TimedResult.last)))
        self.began = now
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        now = time.time(), cpu()
        TimedResult.rows.append((test.id(),) + tuple(a - b for a, b in zip(now, self.began)))
        TimedResult.last = now


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: case_times.py MODULE")
    sys.path.insert(0, os.getcwd())
    start = TimedResult.last = time.time(), cpu()
    suite = unittest.defaultTestLoader.loadTestsFromName(sys.argv[1])
    with open(os.devnull, "w") as quiet:
        res = unittest.TextTestRunner(stream=quiet, resultclass=TimedResult,
                                      verbosity=0).run(suite)
    end = time.time(), cpu()
    rows = TimedResult.rows + [("(after the last: tear-down)",) + tuple(
        a - b for a, b in zip(end, TimedResult.last))]
    print("   wall     cpu")
    for name, wall, used in sorted(rows, key=lambda r: -r[1]):
        if wall >= 0.05:
            print("%7.2f %7.2f  %s" % (wall, used, name))
    print("total %.2f s wall, %.2f s cpu: %d run, %d failures, %d errors, %d skipped"
          % (end[0] - start[0], end[1] - start[1], res.testsRun, len(res.failures),
             len(res.errors), len(res.skipped)))
    for test, tb in res.failures + res.errors:
        print("FAILED %s\n%s" % (test.id(), tb))
    sys.exit(0 if res.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
