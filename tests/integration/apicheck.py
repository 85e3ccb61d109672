"""The API contract held against reality: every exchange of the integration
tests is checked against the OpenAPI description (openapi.yaml, as the build
converts it to JSON: <build>/server/openapi.json).

- Server.request() (harness.py) calls check_exchange() with the request and
  the response: the route must be described, the request body must fit the
  operation's request schema (unless the test sends a malformed one on
  purpose, see check_exchange()), the status must be one the operation lists,
  the Content-Type one its response lists and a JSON body must fit the
  response schema. A mismatch raises ContractError, which fails the test.
- Server.stop() calls check_log() with the server's access log: every request
  any client made (the `sealpact` terminal, raw sockets, urllib) must have a
  described method, route and status.
- Every exchange is recorded as (method, route pattern, status) into
  <build>/openapi-coverage/<module>.<pid>.jsonl; tests/support/openapi_coverage.py
  (a CTest test run after the whole integration suite) lists the described
  operations that no test exercised.

Python's jsonschema (Debian's python3-jsonschema, deploy/deps.sh test) does
the schema checks with the 2020-12 dialect OpenAPI 3.1 uses.
"""

import json
import os
import re
import sys
import threading

import jsonschema

SOURCE_DIR = os.environ.get("SEALPACT_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("SEALPACT_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
SPEC_JSON = os.path.join(BUILD_DIR, "server", "openapi.json")
COVERAGE_DIR = os.path.join(BUILD_DIR, "openapi-coverage")

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class ContractError(AssertionError):
    """An exchange that the description does not allow."""


class Contract:
    def __init__(self, path=SPEC_JSON):
        with open(path) as f:
            self.doc = json.load(f)
        self.routes = []
        for pattern, item in self.doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(pattern)) + "$"
            self.routes.append((re.compile(rx), pattern, item))
        # A literal segment wins over a parameter (receive-all vs {number}).
        self.routes.sort(key=lambda t: t[1].count("{"))
        registry_schema = dict(self.doc.get("components", {}))
        self._root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                      "components": registry_schema}

    def operation(self, method, path):
        """(route pattern, operation object) or (pattern, None) when the route is
        described but not the method, or (None, None)."""
        path = path.split("?", 1)[0]
        for rx, pattern, item in self.routes:
            if rx.match(path):
                return pattern, item.get(method.lower())
        return None, None

    def operation_by_route(self, method, route):
        item = self.doc["paths"].get(route)
        return item.get(method.lower()) if item is not None else None

    def resolve(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            node = self.doc
            for part in ref.lstrip("#/").split("/"):
                node = node[part]
            obj = node
        return obj

    def validate(self, schema, value, what):
        root = dict(self._root)
        root.update({"$ref": "#/$defs/target", "$defs": {"target": schema}})
        v = jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())
        errors = sorted(v.iter_errors(value), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            raise ContractError("%s does not fit the description: %s at %s\n%s"
                                % (what, e.message, "/".join(map(str, e.absolute_path)) or "/",
                                   json.dumps(value)[:2000]))

    def responses_of(self, op):
        return {k: self.resolve(v) for k, v in op.get("responses", {}).items()}


_contract = None
_lock = threading.Lock()
_seen = set()


def contract():
    global _contract
    with _lock:
        if _contract is None:
            _contract = Contract()
        return _contract


def _module():
    main = sys.modules.get("__main__")
    argv = getattr(sys, "argv", [])
    for a in argv[1:]:
        if a.startswith("test_"):
            return a.split(".")[0]
    return os.path.splitext(os.path.basename(getattr(main, "__file__", "") or "tests"))[0]


def record(method, route, status, source):
    key = (method.upper(), route, int(status), source)
    with _lock:
        if key in _seen:
            return
        _seen.add(key)
        os.makedirs(COVERAGE_DIR, exist_ok=True)
        with open(os.path.join(COVERAGE_DIR, "%s.%d.jsonl" % (_module(), os.getpid())), "a") as f:
            f.write(json.dumps({"method": key[0], "route": route, "status": key[2],
                                "source": source}) + "\n")


def _media(ctype):
    return (ctype or "").split(";")[0].strip().lower()


def check_exchange(method, path, req_headers, req_body, status, resp_headers, resp_body):
    """Check one exchange made by Server.request(); raises ContractError."""
    c = contract()
    route, op = c.operation(method, path)
    where = "%s %s -> %d" % (method, path.split("?", 1)[0], status)
    if route is None:
        # Routing answers for paths that are no route: 404 from the router.
        if status == 404:
            record(method, "(no route)", status, "request")
            return
        raise ContractError("%s: the path is not described" % where)
    if op is None:
        if status == 405:
            record(method, route, status, "request")
            return
        raise ContractError("%s: the method is not described for %s" % (where, route))
    _check_operation(c, op, where, req_headers, req_body, status, resp_headers, resp_body)
    # Only an exchange the description allows counts as exercising the route.
    record(method, route, status, "request")


def _check_operation(c, op, where, req_headers, req_body, status, resp_headers, resp_body):
    # The request: a JSON body that the tests built as valid must fit the
    # schema; a request that the server refused with a 4xx may be the test's
    # deliberate bad input, so it is only checked when it was accepted.
    rb = op.get("requestBody")
    if rb is not None and status < 400 and req_body is not None:
        rb = c.resolve(rb)
        media = _media(req_headers.get("Content-Type") or req_headers.get("content-type"))
        content = rb.get("content", {})
        if media not in content and "*/*" not in content:
            raise ContractError("%s: request Content-Type %r is not described (%s)"
                                % (where, media, ", ".join(content)))
        if media == "application/json" and "schema" in content.get(media, {}):
            try:
                value = json.loads(req_body)
            except ValueError:
                raise ContractError("%s: the request body is not JSON" % where)
            c.validate(content[media]["schema"], value, where + " request body")
    resps = c.responses_of(op)
    resp = resps.get(str(status))
    if resp is None:
        raise ContractError("%s: status %d is not described (described: %s)"
                            % (where, status, ", ".join(sorted(resps))))
    for name, h in (resp.get("headers") or {}).items():
        h = c.resolve(h)
        if h.get("required") and name.lower() not in resp_headers:
            raise ContractError("%s: header %s is required by the description" % (where, name))
    content = resp.get("content")
    media = _media(resp_headers.get("content-type"))
    if not content:
        if resp_body:
            raise ContractError("%s: a body (%s) where the description has none"
                                % (where, media))
        return
    if media not in content:
        raise ContractError("%s: Content-Type %r is not described (%s)"
                            % (where, media, ", ".join(content)))
    schema = content[media].get("schema")
    if schema is None:
        return
    if media in ("application/json", "application/problem+json"):
        try:
            value = json.loads(resp_body)
        except ValueError:
            raise ContractError("%s: the response body is not JSON" % where)
        c.validate(schema, value, where + " response body")


def check_webhook(headers, body):
    """Check one webhook delivery as a receiver got it (the description's
    `webhooks`): its headers and its JSON payload. Raises ContractError."""
    c = contract()
    op = c.doc["webhooks"]["webhookEvent"]["post"]
    lower = {k.lower(): v for k, v in headers.items()}
    for prm in op.get("parameters", []):
        prm = c.resolve(prm)
        if prm["in"] != "header":
            continue
        v = lower.get(prm["name"].lower())
        if v is None:
            if prm.get("required"):
                raise ContractError("webhook delivery without header %s" % prm["name"])
            continue
        c.validate(prm["schema"], v, "webhook header " + prm["name"])
    media = _media(lower.get("content-type"))
    content = c.resolve(op["requestBody"])["content"]
    if media not in content:
        raise ContractError("webhook delivery with Content-Type %r" % media)
    try:
        value = json.loads(body)
    except ValueError:
        raise ContractError("webhook delivery whose body is not JSON")
    c.validate(content[media]["schema"], value, "webhook payload")
    record("POST", "(webhook)", 200, "webhook")


def check_log(lines):
    """Check the access log entries of a server (every client's requests):
    method, route and status must be described. Returns the violations."""
    c = contract()
    bad = []
    for e in lines:
        if e.get("msg") != "request" or "route" not in e or "status" not in e:
            continue
        method, route, status = e.get("method", ""), e["route"], int(e["status"])
        if not route.startswith("/"):
            # Answers before routing (no route, bad framing) carry a label, not a pattern.
            record(method, "(%s)" % route, status, "log")
            continue
        op = c.operation_by_route(method, route)
        if op is None:
            if status != 405:
                bad.append("%s %s -> %d: not described" % (method, route, status))
            continue
        if str(status) not in op.get("responses", {}):
            bad.append("%s %s -> %d: status not described" % (method, route, status))
            continue
        record(method, route, status, "log")
    return bad
