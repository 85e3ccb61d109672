"""openapi_coverage.py BUILD_DIR SOURCE_DIR: after the integration suite, list
the operations of openapi.yaml that no integration test exercised.

Each test module's harness recorded what it saw, (method, route pattern,
status), into BUILD_DIR/openapi-coverage/<module>.<pid>.jsonl (apicheck.py):
the exchanges it validated and the server's access log of every client. An
operation counts as exercised when some exchange of it got a described
answer other than 5xx. Exits 1 when any is left, or when no record exists
(the suite did not run).
"""

import glob
import json
import os
import sys


def main():
    build, source = sys.argv[1], sys.argv[2]
    with open(os.path.join(build, "server", "openapi.json")) as f:
        spec = json.load(f)
    described = set()
    for route, item in spec["paths"].items():
        for m in item:
            if m in ("get", "put", "post", "delete", "patch"):
                described.add((m.upper(), route))
    files = glob.glob(os.path.join(build, "openapi-coverage", "*.jsonl"))
    modules = sorted({os.path.basename(f).split(".")[0] for f in files})
    expected = sorted(os.path.splitext(os.path.basename(f))[0] for f in
                      glob.glob(os.path.join(source, "tests", "integration", "test_*.py")))
    seen = {}
    for path in files:
        with open(path) as f:
            for line in f:
                e = json.loads(line)
                if e["status"] < 500:
                    seen.setdefault((e["method"], e["route"]), set()).add(e["status"])
    missing_modules = sorted(set(expected) - set(modules))
    if missing_modules:
        print("openapi_coverage: no record from %s (did the integration suite run?)"
              % ", ".join(missing_modules))
        return 1
    left = sorted(described - set(seen))
    for method, route in sorted(described & set(seen)):
        print("exercised %-6s %-55s %s" % (method, route,
                                           " ".join(map(str, sorted(seen[(method, route)])))))
    if left:
        print("\nunexercised operations (%d):" % len(left))
        for method, route in left:
            print("  %s %s" % (method, route))
        return 1
    print("\nall %d operations exercised by %d test modules" % (len(described), len(modules)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
