"""sec44: every route of the API description with an object in its path, walked by an
outsider. The buyer owns a contract (sent to the supplier, with its revisions, audit
trail and verification), a webhook and an API key; the supplier owns a signing session
on that contract and a seal application. A third organization (logistics), with its
member session and with its API key, calls each operation openapi.yaml lists for those
paths (GET, POST, PUT, PATCH, DELETE, with a plausible body) on the others' objects:
no answer is a success, and each is the answer the same call gets for an object that
does not exist (same status, same code), so that nothing tells whether it exists; and
nothing changed. test_authz.py holds the role matrix; this walks what it left out."""

import base64
import os
import re
import unittest

import yaml

import harness
import test_attacks
from test_attacks import AttackCase

SHORT = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")
# Paths whose parameter names a file compiled into the server, not anyone's object.
NOT_OBJECTS = re.compile(r"^/console/")


def setUpModule():
    test_attacks.setUpModule()


def tearDownModule():
    test_attacks.tearDownModule()


def operations():
    with open(os.path.join(harness.SOURCE_DIR, "openapi.yaml")) as f:
        spec = yaml.safe_load(f)
    for path, item in spec["paths"].items():
        if "{" not in path or NOT_OBJECTS.match(path):
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                yield method.upper(), path


class OutsiderWalk(AttackCase):
    extra = {"webhooks": {"allow_hosts": "127.0.0.1", "allow_http": "true"}}

    def setUp(self):
        super().setUp()
        for slug in ("buyer", "supplier", "logistics"):
            self.login(slug)
        n = self.supplier_to_sign("Walked contract")
        crt = test_attacks.PKI.org_cert("supplier", "ec")[0]
        st, _, _, sess = self.call("supplier", "POST", "/api/v1/contracts/%s/signing-sessions" % n,
                                   {"certificate": base64.b64encode(harness.der_of(crt)).decode(),
                                    "placements": [{"mode": "date", "page": 1, "x": 400,
                                                    "y": 100}]})
        self.assertEqual(st, 201, sess)
        st, _, _, hook = self.call("buyer", "POST", "/api/v1/webhooks",
                                   {"url": "http://127.0.0.1:9/hook"})
        self.assertEqual(st, 201, hook)
        st, _, _, key = self.call("buyer", "POST", "/api/v1/api-keys", {"name": "erp"})
        self.assertEqual(st, 201, key)
        st, _, _, app = self.call("supplier", "POST", "/api/v1/seal-applications",
                                  {"name": "供应商合同专用章", "type": "contract"})
        self.assertEqual(st, 201, app)
        st, _, _, own = self.call("logistics", "POST", "/api/v1/api-keys", {"name": "mine"})
        self.assertEqual(st, 201, own)
        self.tokens["logistics_key"] = own["key"]
        # Another's object, and one that does not exist, for each path parameter.
        self.real = {"number": n, "seq": "0", "session": sess["session"], "webhook": hook["id"],
                     "api-key": key["id"], "application": app["id"], "seal": app["id"]}
        self.missing = {"number": str(int(n) + 7), "seq": "0", "session": "6f1c2a3b-0000-4000-8000-000000000000",
                        "webhook": "999999", "api-key": "999999", "application": "999999",
                        "seal": "999999"}

    def fill(self, path, ids):
        kind = {"api-keys": "api-key", "webhooks": "webhook", "signing-sessions": "session",
                "seal-applications": "application", "applications": "application",
                "seals": "seal"}

        def one(m):
            if m.group(1) != "id":
                return str(ids[m.group(1)])
            prev = path[:m.start()].rstrip("/").rsplit("/", 1)[-1]
            return str(ids[kind[prev]])
        return re.sub(r"\{(\w+)\}", one, path)

    def body(self, method, path):
        """A body the operation could take: ownership, not validation, decides."""
        if method == "PUT" and path.endswith("/scan"):
            with open(SHORT, "rb") as f:
                return f.read(), {"Content-Type": "application/pdf"}
        if method not in ("POST", "PATCH"):
            return None, {}
        plausible = {"reject": {"reason": "no"}, "complete": {"signature": "AAAA"},
                     "signing-sessions": {"certificate": "AAAA", "placements": []},
                     "approve": {"valid_until": "2030-01-01"}, "reject-app": {"reason": "no"}}
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if method == "PATCH":
            return {"name": "renamed"}, {}
        return plausible.get(last, {}), {}

    def snapshot(self):
        return self.db.query(
            "SELECT (SELECT string_agg(number || status || name, ',' ORDER BY number) FROM "
            "contracts), (SELECT string_agg(status, ',') FROM parties), (SELECT count(*) FROM "
            "revisions), (SELECT string_agg(id || coalesce(deleted_at::text, '-'), ',') FROM "
            "webhooks), (SELECT string_agg(id || coalesce(revoked_at::text, '-'), ',') FROM "
            "api_keys), (SELECT string_agg(status || name, ',') FROM seals), "
            "(SELECT string_agg(state, ',') FROM signing_sessions)")

    def test_an_outsider_learns_and_changes_nothing(self):
        # The objects walked are real: their owners read them.
        for slug, path in (("buyer", "/api/v1/contracts/{number}"),
                           ("buyer", "/api/v1/contracts/{number}/revisions/{seq}/document"),
                           ("buyer", "/api/v1/webhooks/{id}/deliveries"),
                           ("buyer", "/api/v1/contracts/{number}/audit"),
                           ("supplier", "/api/v1/seal-applications/{id}")):
            st, _, _, doc = self.call(slug, "GET", self.fill(path, self.real))
            self.assertEqual(st, 200, (path, doc))
        before = self.snapshot()
        walked, seen = 0, {}
        for who in ("logistics", "logistics_key"):
            for method, path in operations():
                body, headers = self.body(method, path)
                h = harness.bearer(self.tokens[who])
                h.update(headers)
                real = self.server.request(method, self.fill(path, self.real), body=body,
                                           headers=h)
                missing = self.server.request(method, self.fill(path, self.missing), body=body,
                                              headers=h)
                walked += 1
                seen[real[0]] = seen.get(real[0], 0) + 1
                with self.subTest(who=who, method=method, path=path):
                    self.assertGreaterEqual(real[0], 400, real[3])
                    self.assertEqual((real[0], (real[3] or {}).get("code")),
                                     (missing[0], (missing[3] or {}).get("code")),
                                     "another's object is told from a missing one: %s / %s"
                                     % (real[3], missing[3]))
        self.assertGreater(walked, 40)
        # Most calls reached the object's owner check (404), not only a body's validation.
        print("outsider answers by status:", sorted(seen.items()), flush=True)
        self.assertGreater(seen.get(404, 0), walked // 2, seen)
        self.assertEqual(self.snapshot(), before)



class ConditionalChanges(AttackCase):
    """sec44: two members editing one draft. The server issues no entity tag for a
    contract (only documents carry one), so an If-Match naming one can never hold: a
    change sent with it must not be made (RFC 9110 13.1.1: 412), where it was made
    as if unconditional and the editor who asked to be stopped overwrote the other's
    change. If-Match: * (the contract exists) holds."""

    def test_if_match_that_cannot_hold_changes_nothing(self):
        self.login("buyer")
        st, _, _, c = self.call("buyer", "POST", "/api/v1/contracts",
                                {"name": "Draft", "pdf_base64": self.pdf_b64()})
        self.assertEqual(st, 201, c)
        path = "/api/v1/contracts/%s" % c["number"]
        st, _, _, doc = self.call("buyer", "PATCH", path, {"name": "Theirs"})
        self.assertEqual(st, 200, doc)
        for tag in ('"%s"' % c.get("updated_at", "v1"), 'W/"1"', '"a", "b"'):
            doc = self.assertProblem(self.call("buyer", "PATCH", path, {"name": "Mine"},
                                               {"If-Match": tag}), 412, "precondition_failed")
            self.assertIn("If-Match", doc["detail"])
        self.assertProblem(self.call("buyer", "DELETE", path, None, {"If-Match": '"x"'}), 412,
                           "precondition_failed")
        st, _, _, doc = self.call("buyer", "GET", path)
        self.assertEqual(doc["name"], "Theirs")
        st, _, _, doc = self.call("buyer", "PATCH", path, {"name": "Mine"}, {"If-Match": "*"})
        self.assertEqual((st, doc.get("name")), (200, "Mine"), doc)


if __name__ == "__main__":
    unittest.main()
