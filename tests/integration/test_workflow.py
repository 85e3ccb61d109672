"""Contract workflow (issue 4): drafts, send/receive/reject/cancel/expire, routing
order, the five lists, documents with ETag, audit chain, idempotency, errors
that change nothing, and concurrency.

Test setup: organizations, members, certificates and sessions are inserted
with SQL into the identity tables of migrations/002 (a session's token_hash is
the hex SHA-256 of the bearer token), so every request still goes through the
server's real auth_then(). A signer's signature is stored by the signing step
(issue 5); these tests call its SQL entry point party_mark_signed() directly
through psql, appending a small incremental update to the latest revision.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import time
import unittest
import uuid

from harness import SEALPACT, SOURCE_DIR, ServerTestCase, audit_trail, parallel

FIXTURE = os.path.join(SOURCE_DIR, "tests", "fixtures", "contracts", "short.pdf")
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(n):
    """A valid unified social credit code (GB 32100-2015) numbered n."""
    body = "91110000" + "%09d" % n
    s = sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS))
    return body + ALPHABET[(31 - s % 31) % 31]



# Each tab's rows, written independently of db/lists.c, to hold its totals against.
TAB_ROWS = {
    "todo": "SELECT 1 FROM parties p JOIN contracts c ON c.number = p.contract_number WHERE "
            "p.organization_id = %(org)d AND p.role = 'signer' AND p.status IN "
            "('pending', 'received', 'signed') AND c.status = 'signing'",
    "signed": "SELECT 1 FROM parties p WHERE p.organization_id = %(org)d AND p.role = 'signer' "
              "AND p.status IN ('signed', 'sent')",
    "cc": "SELECT 1 FROM parties p JOIN contracts c ON c.number = p.contract_number WHERE "
          "p.organization_id = %(org)d AND p.role = 'cc' AND c.status <> 'draft'",
    "initiated": "SELECT 1 FROM contracts WHERE initiator_org_id = %(org)d AND status <> 'draft'",
    "drafts": "SELECT 1 FROM contracts WHERE initiator_org_id = %(org)d AND status = 'draft'",
}

class Org:
    """An organization with a member, the member's certificate and a session (the
    bearer token), inserted with SQL. Org(case, n, name) makes one; Org.many() makes
    several in one psql call (each call costs a process and a connection: a
    setUp's five organizations took 20 of them, some 3 s of every test)."""

    def __init__(self, case, n, name, make=True):
        self.code = credit_code(n)
        self.name = name
        self.token = "tok_" + uuid.uuid4().hex
        if make:
            self.made(case.db.query(self.sql()).split())

    def sql(self):
        """One statement: the four rows, answering "org_id user_id certificate_id"."""
        der = os.urandom(64).hex()
        return (
            "WITH o AS (INSERT INTO organizations (name, credit_code) VALUES ('%s', '%s') "
            "ON CONFLICT (credit_code) DO UPDATE SET name = EXCLUDED.name RETURNING id), "
            "u AS (INSERT INTO users (kind, organization_id, name) SELECT 'member', o.id, "
            "'member of %s' FROM o RETURNING id, organization_id), "
            "c AS (INSERT INTO certificates (organization_id, user_id, fingerprint, subject, "
            "issuer, serial, not_before, not_after, der) SELECT u.organization_id, u.id, "
            "encode(sha256('\\x%s'::bytea), 'hex'), 'CN=%s', 'CN=test CA', '%s', now() - "
            "interval '1 day', now() + interval '1 year', '\\x%s' FROM u "
            "RETURNING id, user_id, organization_id), "
            "s AS (INSERT INTO sessions (token_hash, user_id, organization_id, kind, "
            "certificate_id, expires_at) SELECT '%s', c.user_id, c.organization_id, 'member', "
            "c.id, now() + interval '1 hour' FROM c RETURNING 1) "
            "SELECT c.organization_id || ' ' || c.user_id || ' ' || c.id FROM c, s;"
            % (self.name, self.code, self.name, der, self.code, uuid.uuid4().hex[:16], der,
               hashlib.sha256(self.token.encode()).hexdigest()))

    def made(self, ids):
        self.id, self.user, self.cert = (int(v) for v in ids)

    @classmethod
    def many(cls, case, specs):
        """Org(case, n, name) for each (n, name) of specs, in one psql call."""
        orgs = [cls(case, n, name, make=False) for n, name in specs]
        rows = case.db.query("\n".join(o.sql() for o in orgs)).splitlines()
        case.assertEqual(len(rows), len(orgs), rows)
        for o, row in zip(orgs, rows):
            o.made(row.split())
        return orgs

    def auth(self, extra=None):
        h = {"Authorization": "Bearer " + self.token}
        h.update(extra or {})
        return h


class WorkflowCase(ServerTestCase):
    tls = False

    def setUp(self):
        super().setUp()
        self.a, self.s1, self.s2, self.cc, self.x = Org.many(self, (
            (1, "Initiator Co"), (2, "Signer One"), (3, "Signer Two"), (4, "Copy Co"),
            (5, "Outsider")))
        with open(FIXTURE, "rb") as f:
            self.pdf = f.read()

    def call(self, org, method, path, body=None, headers=None):
        return self.server.request(method, path, body=body, headers=org.auth(headers))

    def create(self, org=None, name="Supply contract", parties=None, pdf=None, **kw):
        body = {"name": name, "pdf_base64": base64.b64encode(pdf or self.pdf).decode()}
        if parties is None:
            parties = [{"credit_code": self.s1.code, "role": "signer", "routing_order": 1},
                       {"credit_code": self.s2.code, "role": "signer", "routing_order": 2},
                       {"credit_code": self.cc.code, "role": "cc"}]
        body["parties"] = parties
        headers = kw.pop("headers", None)
        body.update(kw)
        return self.call(org or self.a, "POST", "/api/v1/contracts", body, headers)

    def created(self, **kw):
        st, _, _, doc = self.create(**kw)
        self.assertEqual(st, 201, doc)
        return doc

    def act(self, org, number, action, body=None, status=200):
        st, _, _, doc = self.call(org, "POST", "/api/v1/contracts/%s/%s" % (number, action),
                                  body if body is not None else ({} if action == "reject" else None),
                                  {"Content-Type": "application/json"} if body is not None else None)
        self.assertEqual(st, status, doc)
        return doc

    def detail(self, org, number):
        st, _, _, doc = self.call(org, "GET", "/api/v1/contracts/%s" % number)
        self.assertEqual(st, 200, doc)
        return doc

    def trail(self, org, number, limit=100):
        """The contract's audit trail as org reads it, every page (harness.audit_trail)."""
        return audit_trail(self, lambda p: self.call(org, "GET", p), number, limit)

    def party(self, doc, org, role="signer"):
        return [p for p in doc["parties"] if p["credit_code"] == org.code and p["role"] == role][0]

    def sign(self, org, number):
        """What the signing step does when it stores a signature (see module doc)."""
        st, _, data, _ = self.call(org, "GET", "/api/v1/contracts/%s/document" % number)
        self.assertEqual(st, 200)
        seq = int(self.db.query("SELECT max(seq) FROM revisions WHERE contract_number = %s" % number))
        delta = b"\n%% signature of " + org.code.encode() + b"\n"
        full = data + delta
        return json.loads(self.db.query(
            "SELECT party_mark_signed(%s, %d, %d, %d, '\\x%s', %d, '%s', %d, NULL)"
            % (number, org.id, org.user, seq + 1, delta.hex(), len(full),
               hashlib.sha256(full).hexdigest(), org.cert)))

    def snapshot(self, number):
        return self.db.query(
            "SELECT (SELECT row_to_json(c)::text FROM contracts c WHERE number = %s) || "
            "(SELECT coalesce(json_agg(p ORDER BY id)::text, '') FROM parties p "
            "WHERE contract_number = %s) || (SELECT count(*) FROM audit_events "
            "WHERE contract_number = %s) || (SELECT count(*) FROM revisions "
            "WHERE contract_number = %s)" % (number, number, number, number))

    def listing(self, org, query):
        st, _, _, doc = self.call(org, "GET", "/api/v1/contracts?" + query)
        self.assertEqual(st, 200, doc)
        return doc


class TestWorkflow(WorkflowCase):
    def test_sequential_signers_to_completed(self):
        c = self.created()
        n = c["number"]
        self.assertIsInstance(n, str)
        self.assertEqual(len(n), 19)
        self.assertEqual(c["status"], "draft")
        self.assertEqual(c["business_type"], "e-contract")
        self.assertEqual(c["page_count"], 1)
        # Parties do not see a draft.
        self.assertEqual(self.call(self.s1, "GET", "/api/v1/contracts/" + n)[0], 404)
        self.assertEqual([i["number"] for i in self.listing(self.a, "tab=drafts")["items"]], [n])

        d = self.act(self.a, n, "send")
        self.assertEqual(d["status"], "signing")
        self.assertEqual(self.party(d, self.s1)["status"], "pending")
        self.assertEqual(self.party(d, self.s2)["status"], "waiting")
        # Lists: S1 has it to do, S2 not yet, CC sees it, A initiated it.
        self.assertEqual(self.listing(self.s1, "tab=todo")["total"], 1)
        self.assertEqual(self.listing(self.s2, "tab=todo")["total"], 0)
        self.assertEqual(self.listing(self.cc, "tab=cc")["items"][0]["number"], n)
        self.assertEqual(self.listing(self.a, "tab=initiated")["total"], 1)
        self.assertEqual(self.listing(self.a, "tab=drafts")["total"], 0)

        d = self.act(self.s1, n, "receive")
        self.assertEqual(self.party(d, self.s1)["status"], "received")
        self.assertTrue(d["document_url"].endswith("/document"))
        d = self.sign(self.s1, n)
        self.assertEqual(self.party(d, self.s1)["status"], "signed")
        self.assertEqual(self.listing(self.s1, "tab=signed")["total"], 1)
        d = self.act(self.s1, n, "send")
        self.assertEqual(self.party(d, self.s1)["status"], "sent")
        self.assertEqual(self.party(d, self.s2)["status"], "pending")
        self.assertEqual(d["status"], "signing")
        self.assertEqual(self.listing(self.s1, "tab=todo")["total"], 0)
        self.assertEqual(self.listing(self.s2, "tab=todo")["total"], 1)

        self.act(self.s2, n, "receive")
        self.sign(self.s2, n)
        d = self.act(self.s2, n, "send")
        self.assertEqual(d["status"], "completed")
        self.assertIsNotNone(d["completed_at"])
        self.assertEqual([r["seq"] for r in d["revisions"]], [0, 1, 2])
        actions = [e["action"] for e in self.trail(self.a, n)]
        self.assertEqual(actions, ["contract.created", "contract.sent", "party.received",
                                   "party.signed", "party.sent", "contract.routed",
                                   "party.received", "party.signed", "party.sent",
                                   "contract.completed"])
        st, _, _, v = self.call(self.cc, "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual(st, 200, v)
        self.assertTrue(v["valid"])
        self.assertEqual(v["events"], 10)
        # Repeats change nothing and succeed.
        before = self.snapshot(n)
        self.act(self.s2, n, "send")
        self.act(self.s1, n, "receive")
        self.assertEqual(self.snapshot(n), before)

    def test_parallel_group_needs_every_signer(self):
        c = self.created(parties=[{"credit_code": self.s1.code, "role": "signer"},
                                  {"credit_code": self.s2.code, "role": "signer"}])
        n = c["number"]
        self.act(self.a, n, "send")
        for o in (self.s1, self.s2):
            self.act(o, n, "receive")
            self.sign(o, n)
        self.assertEqual(self.act(self.s1, n, "send")["status"], "signing")
        self.assertEqual(self.act(self.s2, n, "send")["status"], "completed")

    def test_reject_everyone_sees_the_reason(self):
        n = self.created()["number"]
        self.act(self.a, n, "send")
        self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/reject" % n,
                                     {"reason": "  "}), 400)
        d = self.act(self.s1, n, "reject", {"reason": "价格条款有误"})
        self.assertEqual(d["status"], "rejected")
        for o in (self.a, self.s1, self.s2, self.cc):
            doc = self.detail(o, n)
            self.assertEqual(doc["reject_reason"], "价格条款有误")
            self.assertEqual(doc["status"], "rejected")
        self.assertProblem(self.call(self.s2, "POST", "/api/v1/contracts/%s/receive" % n), 409)
        self.assertProblem(self.call(self.a, "POST", "/api/v1/contracts/%s/cancel" % n), 409,
                           "wrong_state")
        self.assertEqual(self.listing(self.s1, "tab=todo")["total"], 0)

    def test_cancel_by_initiator_only(self):
        n = self.created()["number"]
        self.assertProblem(self.call(self.a, "POST", "/api/v1/contracts/%s/cancel" % n), 409)
        self.act(self.a, n, "send")
        before = self.snapshot(n)
        self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/cancel" % n), 403)
        self.assertEqual(self.snapshot(n), before)
        self.assertEqual(self.act(self.a, n, "cancel")["status"], "cancelled")
        self.assertEqual(self.act(self.a, n, "cancel")["status"], "cancelled")
        self.assertEqual(self.detail(self.cc, n)["status"], "cancelled")
        self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/receive" % n), 409)

    def test_expire_at_the_deadline(self):
        # Far enough ahead that a loaded machine still creates and sends before it.
        deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 6))
        n = self.created(deadline=deadline)["number"]
        self.act(self.a, n, "send")
        end = time.time() + 30
        while time.time() < end and self.detail(self.a, n)["status"] != "expired":
            time.sleep(0.3)
        d = self.detail(self.s2, n)
        self.assertEqual(d["status"], "expired")
        self.assertEqual(self.trail(self.s2, n)[-1]["action"], "contract.expired")
        self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/receive" % n), 409)

    def test_expiry_sweeps_take_turns_between_initiators(self):
        """sec37: the sweep took the earliest deadlines first, 200 a second, so one
        organization's backlog of due contracts (4,000 here: some 20 s of sweeps)
        delayed every other's expiry, its webhook event and its status, by as long.
        It now takes each initiator's earliest in turn: another's due contract is in
        the first sweep."""
        n = self.created(deadline=time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)))["number"]
        self.act(self.a, n, "send")
        self.db.query(
            "INSERT INTO contracts (number, name, initiator_org_id, initiator_user_id, deadline, "
            "status, page_count, sha256, sent_at) SELECT number + g, name, %d, %d, "
            "now() - interval '1 day', status, page_count, sha256, sent_at "
            "FROM contracts, generate_series(1, 4000) g WHERE number = %s"
            % (self.x.id, self.x.user, n))
        self.db.query("UPDATE contracts SET deadline = now() - interval '1 second' "
                      "WHERE number = %s" % n)
        t0 = time.time()
        while time.time() < t0 + 30 and self.detail(self.a, n)["status"] != "expired":
            time.sleep(0.2)
        took = time.time() - t0
        left = int(self.db.query("SELECT count(*) FROM contracts WHERE status = 'signing'"))
        print("\nexpired after %.1f s, %d of the backlog still due" % (took, left))
        self.assertEqual(self.detail(self.a, n)["status"], "expired")
        # in the first sweeps, while most of the backlog is still due
        self.assertGreater(left, 2000)

    def test_expiry_sweeps_share_work(self):
        """Several processes' sweeps (SKIP LOCKED) expire each contract exactly once."""
        nums = [self.created(name="e%d" % i, deadline=time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)))["number"] for i in range(6)]
        for n in nums:
            self.act(self.a, n, "send")
        self.db.query("UPDATE contracts SET deadline = now() - interval '1 second' "
                      "WHERE number IN (%s)" % ",".join(nums))
        counts = parallel(4, lambda i: int(self.db.query("SELECT contract_expire_due(100)")))
        end = time.time() + 10
        while time.time() < end and self.db.query(
                "SELECT count(*) FROM contracts WHERE status = 'expired'") != "6":
            time.sleep(0.2)
        self.assertLessEqual(sum(counts), 6)
        self.assertEqual(self.db.query("SELECT count(*) FROM audit_events "
                                       "WHERE action = 'contract.expired'"), "6")

    def test_errors_answer_and_change_nothing(self):
        n = self.created()["number"]
        before = self.snapshot(n)
        # A party cannot touch a draft; an outsider never sees the contract.
        for o, action in ((self.s1, "send"), (self.x, "send"), (self.x, "cancel")):
            self.assertProblem(self.call(o, "POST", "/api/v1/contracts/%s/%s" % (n, action)), 404,
                               "not_found")
        self.assertEqual(self.snapshot(n), before)
        self.act(self.a, n, "send")
        before = self.snapshot(n)
        self.assertProblem(self.call(self.x, "GET", "/api/v1/contracts/" + n), 404)
        self.assertProblem(self.call(self.x, "POST", "/api/v1/contracts/%s/receive" % n), 404)
        self.assertProblem(self.call(self.x, "GET", "/api/v1/contracts/%s/document" % n), 404)
        self.assertProblem(self.call(self.s2, "POST", "/api/v1/contracts/%s/receive" % n), 409,
                           "out_of_turn")
        self.assertProblem(self.call(self.s2, "POST", "/api/v1/contracts/%s/reject" % n,
                                     {"reason": "no"}), 409, "out_of_turn")
        self.assertProblem(self.call(self.cc, "POST", "/api/v1/contracts/%s/receive" % n), 403)
        self.assertProblem(self.call(self.cc, "POST", "/api/v1/contracts/%s/reject" % n,
                                     {"reason": "no"}), 403)
        self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/send" % n), 409,
                           "wrong_state")
        self.assertProblem(self.call(self.a, "PATCH", "/api/v1/contracts/" + n, {"name": "x"}), 409)
        self.assertProblem(self.call(self.a, "DELETE", "/api/v1/contracts/" + n), 409)
        self.assertProblem(self.call(self.a, "GET", "/api/v1/contracts/123"), 404)
        self.assertProblem(self.server.request("POST", "/api/v1/contracts/%s/send" % n), 401)
        self.assertEqual(self.snapshot(n), before)

    def test_concurrent_sends_and_receives(self):
        n = self.created()["number"]
        res = parallel(6, lambda i: self.call(self.a, "POST", "/api/v1/contracts/%s/send" % n)[0])
        self.assertEqual(res, [200] * 6)
        res = parallel(6, lambda i: self.call(self.s1, "POST",
                                              "/api/v1/contracts/%s/receive" % n)[0])
        self.assertEqual(res, [200] * 6)
        self.assertEqual(self.db.query(
            "SELECT action || ':' || count(*) FROM audit_events WHERE contract_number = %s "
            "GROUP BY action ORDER BY action" % n).split(),
            ["contract.created:1", "contract.sent:1", "party.received:1"])
        self.sign(self.s1, n)
        res = parallel(4, lambda i: self.call(self.s1, "POST", "/api/v1/contracts/%s/send" % n)[0])
        self.assertEqual(res, [200] * 4)
        self.assertEqual(self.db.query("SELECT count(*) FROM audit_events WHERE contract_number "
                                       "= %s AND action = 'contract.routed'" % n), "1")

    def test_receive_all(self):
        nums = [self.created(name="c%d" % i)["number"] for i in range(3)]
        for n in nums:
            self.act(self.a, n, "send")
        st, _, _, doc = self.call(self.s1, "POST", "/api/v1/contracts/receive-all")
        self.assertEqual(st, 200, doc)
        self.assertEqual(sorted(doc["received"]), sorted(nums))
        st, _, _, doc = self.call(self.s1, "POST", "/api/v1/contracts/receive-all")
        self.assertEqual(doc["received"], [])
        self.assertEqual({i["my_status"] for i in self.listing(self.s1, "tab=todo")["items"]},
                         {"received"})

    def test_drafts_edit_and_delete(self):
        n = self.created()["number"]
        st, _, _, d = self.call(self.a, "PATCH", "/api/v1/contracts/" + n,
                                {"name": "Renamed", "business_type": "purchase",
                                 "parties": [{"credit_code": credit_code(77), "name": "New Party",
                                              "role": "signer"}]})
        self.assertEqual(st, 200, d)
        self.assertEqual(d["name"], "Renamed")
        self.assertEqual(d["business_type"], "purchase")
        self.assertEqual([(p["credit_code"], p["name"]) for p in d["parties"]],
                         [(credit_code(77), "New Party")])
        # An unregistered party needs a name; a bad check character is refused.
        self.assertProblem(self.call(self.a, "PATCH", "/api/v1/contracts/" + n,
                                     {"parties": [{"credit_code": credit_code(78)}]}), 400)
        bad = credit_code(79)[:-1] + ("0" if credit_code(79)[-1] != "0" else "1")
        self.assertProblem(self.call(self.a, "PATCH", "/api/v1/contracts/" + n,
                                     {"parties": [{"credit_code": bad, "name": "B"}]}), 400)
        self.assertProblem(self.call(self.s1, "DELETE", "/api/v1/contracts/" + n), 404)
        st, _, _, _ = self.call(self.a, "DELETE", "/api/v1/contracts/" + n)
        self.assertEqual(st, 204)
        self.assertProblem(self.call(self.a, "GET", "/api/v1/contracts/" + n), 404)
        self.assertEqual(self.db.query("SELECT action FROM audit_events WHERE contract_number = %s "
                                       "ORDER BY seq DESC LIMIT 1" % n), "contract.deleted")

    def test_strict_deadlines_integers_and_keys(self):
        """Only RFC 3339 deadlines with a zone, in the future and at most 10 years ahead;
        routing orders and paging in range; duplicate JSON keys refused. Nothing is
        created by a refused request."""
        count = self.db.query("SELECT count(*) FROM contracts")
        for bad in ("tomorrow", "infinity", "99999-01-01", "2030-01-01", "2030-01-01T10:00:00",
                    "2030-02-30T10:00:00Z", "2030-01-01T24:00:00Z", "2030-01-01 10:00:00Z",
                    "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z", 1767225600):
            resp = self.create(deadline=bad)
            self.assertProblem(resp, 400, "invalid")
            self.assertIn("deadline", resp[3]["detail"])
        for order in (0, 1001, 4294967297, 1.5, "1"):
            resp = self.create(parties=[{"credit_code": self.s1.code, "role": "signer",
                                         "routing_order": order}])
            self.assertProblem(resp, 400, "invalid")
            self.assertIn("routing_order", resp[3]["detail"])
        raw = ('{"name": "a", "name": "b", "pdf_base64": "%s"}'
               % base64.b64encode(self.pdf).decode()).encode()
        resp = self.server.request("POST", "/api/v1/contracts", raw,
                                   self.a.auth({"Content-Type": "application/json"}))
        self.assertProblem(resp, 400, "malformed_json")
        self.assertIn("duplicate", resp[3]["detail"])
        self.assertEqual(self.db.query("SELECT count(*) FROM contracts"), count)
        # A zone offset and fractions are fine; the instant is what is stored.
        soon = time.gmtime(time.time() + 86400)
        n = self.created(deadline=time.strftime("%Y-%m-%dT%H:%M:%S.250+08:00", soon))["number"]
        self.assertEqual(self.db.query(
            "SELECT deadline = '%s'::timestamptz FROM contracts WHERE number = %s"
            % (time.strftime("%Y-%m-%dT%H:%M:%S.250+08:00", soon), n)), "t")
        # The same checks on an edit, and on an edit body with a duplicate key.
        before = self.snapshot(n)
        for bad in ("tomorrow", "infinity", "99999-01-01T00:00:00Z"):
            self.assertProblem(self.call(self.a, "PATCH", "/api/v1/contracts/" + n,
                                         {"deadline": bad}), 400, "invalid")
        resp = self.server.request("PATCH", "/api/v1/contracts/" + n,
                                   b'{"name": "x", "name": "y"}',
                                   self.a.auth({"Content-Type": "application/json"}))
        self.assertProblem(resp, 400, "malformed_json")
        self.assertEqual(self.snapshot(n), before)
        # Paging and time filters of the lists.
        for q in ("page=4294967297", "page=0", "page=-1", "page_size=101", "page=1e3",
                  "created_from=tomorrow", "created_from=2026-13-01T00:00:00Z",
                  "created_to=2026-01-01T00:00:00"):
            self.assertProblem(self.call(self.a, "GET", "/api/v1/contracts?tab=drafts&" + q),
                               400, "invalid")

    def xfa_form(self, dynamic):
        """The fixture as an XFA form (qpdf's JSON round trip), static or dynamic."""
        path = os.path.join(self.tmp, "xfa.json")
        subprocess.run(["qpdf", "--json-output=2", FIXTURE, path], check=True)
        with open(path) as f:
            j = json.load(f)
        objs = j["qpdf"][1]
        root = objs["obj:" + objs["trailer"]["value"]["/Root"]]["value"]
        n = max(int(k.split()[0][4:]) for k in objs if k.startswith("obj:")) + 1
        objs["obj:%d 0 R" % n] = {"stream": {"dict": {}, "data": base64.b64encode(
            b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>").decode()}}
        root["/AcroForm"] = {"/Fields": [], "/XFA": "%d 0 R" % n}
        if dynamic:
            root["/NeedsRendering"] = True
        with open(path, "w") as f:
            json.dump(j, f)
        out = os.path.join(self.tmp, "xfa.pdf")
        subprocess.run(["qpdf", "--json-input", path, out], check=True)
        with open(out, "rb") as f:
            return f.read()

    def form_needing_appearances(self, drawn):
        """The fixture with a text field whose value is 1000 EUR, its AcroForm asking
        viewers to draw the fields (/NeedAppearances true); drawn: the widget has its
        appearance."""
        path = os.path.join(self.tmp, "na.json")
        subprocess.run(["qpdf", "--json-output=2", FIXTURE, path], check=True)
        with open(path) as f:
            j = json.load(f)
        objs = j["qpdf"][1]
        root = objs["obj:" + objs["trailer"]["value"]["/Root"]]["value"]
        n = max(int(k.split()[0][4:]) for k in objs if k.startswith("obj:")) + 1
        page = objs["obj:" + objs["obj:" + root["/Pages"]]["value"]["/Kids"][0]]["value"]
        page["/Annots"] = ["%d 0 R" % n]
        objs["obj:%d 0 R" % n] = {"value": {
            "/Type": "/Annot", "/Subtype": "/Widget", "/FT": "/Tx", "/T": "u:amount",
            "/V": "u:1000 EUR", "/Rect": [300, 100, 450, 120],
            "/P": objs["obj:" + root["/Pages"]]["value"]["/Kids"][0]}}
        if drawn:
            objs["obj:%d 0 R" % n]["value"]["/AP"] = {"/N": "%d 0 R" % (n + 1)}
            objs["obj:%d 0 R" % (n + 1)] = {"stream": {"dict": {
                "/Type": "/XObject", "/Subtype": "/Form", "/BBox": [0, 0, 150, 20]},
                "data": base64.b64encode(b"0 g 0 0 150 20 re f").decode()}}
        root["/AcroForm"] = {"/Fields": ["%d 0 R" % n], "/NeedAppearances": True}
        with open(path, "w") as f:
            json.dump(j, f)
        out = os.path.join(self.tmp, "na.pdf")
        subprocess.run(["qpdf", "--json-input", path, out], check=True)
        with open(out, "rb") as f:
            return f.read()

    def test_upload_quirks(self):
        """What careless writers and web servers leave around a PDF that every viewer
        opens is stored without it; a form asking viewers to draw a field it has no
        appearance for (Adobe Reader and poppler then draw no seal) is refused."""
        for pdf, gone in ((b"Content-Type: application/pdf\r\n\r\n" + self.pdf,
                           b"Content-Type"),
                          (self.pdf + b"<html><body>" + b"<p>download complete</p>" * 60
                           + b"</body></html>\n", b"download complete")):
            d = self.created(pdf=pdf)
            st, _, stored, _ = self.call(self.a, "GET",
                                         "/api/v1/contracts/%s/document" % d["number"])
            self.assertEqual(st, 200)
            self.assertTrue(stored.startswith(b"%PDF-"))
            self.assertNotIn(gone, stored)
        st, _, _, d = self.create(pdf=self.form_needing_appearances(False))
        self.assertEqual((st, d["code"]), (422, "pdf_need_appearances"), d)
        self.assertIn('field "amount" has a value but no appearance', d["detail"])
        d = self.created(pdf=self.form_needing_appearances(True))
        st, _, stored, _ = self.call(self.a, "GET", "/api/v1/contracts/%s/document" % d["number"])
        self.assertEqual(st, 200)
        self.assertNotIn(b"/NeedAppearances", stored)

    def test_upload_refusals(self):
        st, _, _, d = self.create(pdf=b"hello, not a pdf")
        self.assertEqual((st, d["code"]), (422, "pdf_unreadable"), d)
        enc = os.path.join(self.tmp, "enc.pdf")
        subprocess.run(["qpdf", "--encrypt", "u", "o", "256", "--", FIXTURE, enc], check=True)
        with open(enc, "rb") as f:
            st, _, _, d = self.create(pdf=f.read())
        self.assertEqual((st, d["code"]), (422, "pdf_encrypted"), d)
        st, _, _, d = self.create(pdf=self.pdf[:len(self.pdf) // 2])
        self.assertEqual(st, 422, d)
        self.assertIn(d["code"], ("pdf_damaged", "pdf_unreadable"))
        st, _, _, d = self.call(self.a, "POST", "/api/v1/contracts", {"name": "x",
                                                                     "pdf_base64": "!!!"})
        self.assertEqual(st, 400, d)
        st, _, _, d = self.call(self.a, "POST", "/api/v1/contracts", b"%PDF-1.4",
                                {"Content-Type": "application/pdf"})
        self.assertEqual(st, 415, d)
        self.assertEqual(self.db.query("SELECT count(*) FROM contracts"), "0")
        # A dynamic XFA form (pages that only an XFA renderer fills) is refused; a
        # static one is stored as a plain AcroForm, its XFA gone.
        st, _, _, d = self.create(pdf=self.xfa_form(True))
        self.assertEqual((st, d["code"]), (422, "pdf_xfa_dynamic"), d)
        self.assertEqual(self.db.query("SELECT count(*) FROM contracts"), "0")
        d = self.created(pdf=self.xfa_form(False))
        st, _, stored, _ = self.call(self.a, "GET", "/api/v1/contracts/%s/document" % d["number"])
        self.assertEqual(st, 200)
        self.assertNotIn(b"/XFA", stored)
        self.assertNotIn(b"<xdp:xdp", stored)
        # Every cross-reference offset off (a careless writer's comment after the
        # header), its end there: repaired by the upload's rewrite, stored undamaged.
        head = self.pdf.index(b"\n") + 1
        shifted = self.pdf[:head] + b"%% written by hand\n" + self.pdf[head:]
        path = os.path.join(self.tmp, "shifted.pdf")
        with open(path, "wb") as f:
            f.write(shifted)
        self.assertNotEqual(subprocess.run(["qpdf", "--check", path],
                                           capture_output=True).returncode, 0)
        d = self.created(pdf=shifted)
        st, _, stored, _ = self.call(self.a, "GET", "/api/v1/contracts/%s/document" % d["number"])
        self.assertEqual(st, 200)
        with open(path, "wb") as f:
            f.write(stored)
        q = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)

    def test_normalized_once_and_deterministic(self):
        # An incremental update appended to the fixture disappears in the rewrite.
        shadow = self.pdf + b"\n% hidden material\n"
        a = self.created(pdf=shadow)
        b = self.created(pdf=self.pdf)
        self.assertEqual(a["sha256"], b["sha256"])
        st, _, data, _ = self.call(self.a, "GET", "/api/v1/contracts/%s/document" % a["number"])
        self.assertNotIn(b"hidden material", data)
        out = os.path.join(self.tmp, "stored.pdf")
        with open(out, "wb") as f:
            f.write(data)
        self.assertEqual(subprocess.run(["qpdf", "--check", out], capture_output=True).returncode, 0)

    def test_idempotency_key(self):
        h = {"Idempotency-Key": "create-" + uuid.uuid4().hex}
        body = {"name": "Once", "pdf_base64": base64.b64encode(self.pdf).decode(), "parties": []}
        r1 = self.call(self.a, "POST", "/api/v1/contracts", body, h)
        r2 = self.call(self.a, "POST", "/api/v1/contracts", body, h)
        self.assertEqual((r1[0], r2[0]), (201, 201))
        self.assertEqual(r1[3]["number"], r2[3]["number"])
        self.assertTrue(r2[3].get("idempotent_replay"))
        self.assertEqual(self.db.query("SELECT count(*) FROM contracts"), "1")
        body["name"] = "Other"
        self.assertProblem(self.call(self.a, "POST", "/api/v1/contracts", body, h), 409,
                           "idempotency_key_reused")
        # Keys belong to an organization: another one may use the same key.
        self.assertEqual(self.call(self.s1, "POST", "/api/v1/contracts", body, h)[0], 201)

    def test_documents_with_etag(self):
        n = self.created(name="供货合同 2026")["number"]
        st, h, data, _ = self.call(self.a, "GET", "/api/v1/contracts/%s/document" % n)
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/pdf")
        sha = hashlib.sha256(data).hexdigest()
        self.assertEqual(h["etag"], '"%s"' % sha)
        self.assertIn("attachment;", h["content-disposition"])
        self.assertIn("filename*=UTF-8''", h["content-disposition"])
        st, h2, data2, _ = self.call(self.a, "GET", "/api/v1/contracts/%s/document" % n,
                                     headers={"If-None-Match": h["etag"]})
        self.assertEqual((st, data2), (304, b""))
        self.act(self.a, n, "send")
        self.act(self.s1, n, "receive")
        self.sign(self.s1, n)
        st, h3, latest, _ = self.call(self.s1, "GET", "/api/v1/contracts/%s/document" % n)
        self.assertTrue(latest.startswith(data))
        self.assertNotEqual(h3["etag"], h["etag"])
        st, _, r0, _ = self.call(self.cc, "GET", "/api/v1/contracts/%s/revisions/0/document" % n)
        self.assertEqual((st, r0), (200, data))
        self.assertProblem(self.call(self.a, "GET", "/api/v1/contracts/%s/revisions/9/document"
                                     % n), 404)

    def test_audit_tamper_detected(self):
        n = self.created()["number"]
        self.act(self.a, n, "send")
        with self.assertRaises(RuntimeError) as e:
            self.db.query("UPDATE audit_events SET details = '{\"x\":1}' WHERE contract_number = %s"
                          % n)
        self.assertIn("append-only", str(e.exception))
        # A superuser bypassing the trigger is caught by re-verification.
        self.db.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_immutable; "
                      "UPDATE audit_events SET details = '{\"x\":1}' WHERE contract_number = %s "
                      "AND seq = 1; ALTER TABLE audit_events ENABLE TRIGGER audit_events_immutable"
                      % n)
        st, _, _, v = self.call(self.a, "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual(st, 200, v)
        self.assertFalse(v["valid"])
        self.assertEqual(v["first_bad_seq"], 1)

    def test_lists_and_filters(self):
        made = []
        for i, (name, bt) in enumerate([("Steel supply", "e-contract"), ("Coal supply", "purchase"),
                                        ("Office lease", "e-contract"), ("Steel frame", "purchase")]):
            made.append(self.created(name=name, business_type=bt)["number"])
        for n in made[:3]:
            self.act(self.a, n, "send")
        # Newest first everywhere.
        self.assertEqual([i["number"] for i in self.listing(self.s1, "tab=todo")["items"]],
                         list(reversed(made[:3])))
        self.assertEqual(self.listing(self.s1, "tab=todo&q=steel")["total"], 1)
        self.assertEqual(self.listing(self.s1, "tab=todo&q=supply")["total"], 2)
        self.assertEqual(self.listing(self.s1, "tab=todo&q=" + made[1][-8:])["items"][0]["number"],
                         made[1])
        self.assertEqual(self.listing(self.s1, "tab=todo&business_type=purchase")["total"], 1)
        self.assertEqual(self.listing(self.s1, "tab=todo&initiator=initiator%20co")["total"], 3)
        self.assertEqual(self.listing(self.s1, "tab=todo&initiator=" + self.a.code[:10])["total"], 3)
        self.assertEqual(self.listing(self.s1, "tab=todo&initiator=nobody")["total"], 0)
        self.assertEqual(self.listing(self.a, "tab=initiated&status=signing")["total"], 3)
        self.assertEqual(self.listing(self.a, "tab=drafts")["items"][0]["number"], made[3])
        self.assertEqual(self.listing(self.a, "tab=initiated&created_from=2000-01-01T00:00:00Z&"
                                              "created_to=2001-01-01T00:00:00Z")["total"], 0)
        self.assertEqual(self.listing(self.a, "tab=initiated&created_from=2000-01-01T00:00:00Z")
                         ["total"], 3)
        page = self.listing(self.s1, "tab=todo&page=2&page_size=2")
        self.assertEqual((page["total"], [i["number"] for i in page["items"]]), (3, [made[0]]))
        self.assertEqual(self.listing(self.s1, "tab=todo&page=9")["items"], [])
        self.assertEqual(self.listing(self.s1, "tab=todo&page=9")["total"], 3)
        self.assertEqual(self.listing(self.s1, "q=50%25")["total"], 0)
        # has_more and keyset paging: the page after the last number shown, same order.
        first = self.listing(self.s1, "tab=todo&page_size=2")
        self.assertEqual((first["has_more"], first["total"], first["total_exact"]), (True, 3, True))
        rest = self.listing(self.s1, "tab=todo&page_size=2&after=" + first["items"][-1]["number"])
        self.assertEqual([i["number"] for i in rest["items"]], [made[0]])
        self.assertEqual((rest["has_more"], rest["total"]), (False, 3))
        self.assertProblem(self.call(self.s1, "GET", "/api/v1/contracts?tab=todo&page=2&after="
                                     + made[0]), 400)
        self.assertProblem(self.call(self.s1, "GET", "/api/v1/contracts?tab=todo&after=12"), 400)
        # The unfiltered totals are kept by triggers (011): they equal a count of the rows.
        for org in (self.a, self.s1, self.s2, self.cc):
            for tab in ("todo", "initiated", "signed", "cc", "drafts"):
                got = self.listing(org, "tab=" + tab)
                self.assertEqual(got["total"], int(self.db.query(
                    "SELECT count(*) FROM (%s) x" % TAB_ROWS[tab] % {"org": org.id})), tab)
        for bad in ("tab=mine", "page_size=101", "page=0", "status=done",
                    "created_from=yesterday"):
            self.assertProblem(self.call(self.s1, "GET", "/api/v1/contracts?" + bad), 400)
        # Every list query walks an index, never a sequential scan over contracts.
        self.db.query("ANALYZE")


    def test_list_text_search_rare_and_common(self):
        """db/lists.c answers a text search from the first 12,000 rows of the tab when
        they hold enough matches, and otherwise from the tab's trigram index (015):
        both give what a plain ILIKE over the caller's own rows gives."""
        # 12,100 contracts sent to s1 (the newest all "Freight"), then the 30 oldest
        # "Rare Lease" ones, half of them purchases, and 20 "Rare Lease" ones
        # sent to the outsider only.
        self.db.query(
            "INSERT INTO contracts (number, name, business_type, initiator_org_id, status, "
            "page_count, sha256, created_at, sent_at) SELECT 1000000000000000000 + "
            "(i::bigint << 22), CASE WHEN i <= 50 THEN 'Rare Lease #' ELSE 'Freight #' END || i, "
            "CASE WHEN i %% 2 = 0 THEN 'purchase' ELSE 'e-contract' END, %d, 'signing', 1, "
            "repeat('0', 64), timestamptz '2020-01-01' + i * interval '1 minute', "
            "timestamptz '2020-01-01' + i * interval '1 minute' FROM generate_series(1, 12150) i"
            % self.a.id)
        self.db.query(
            "INSERT INTO parties (contract_number, organization_id, role, routing_order, status) "
            "SELECT number, CASE WHEN number < 1000000000000000000 + (51::bigint << 22) AND "
            "number >= 1000000000000000000 + (31::bigint << 22) THEN %d ELSE %d END, 'signer', 1, "
            "'pending' FROM contracts WHERE number < 1000000000000000000 + (12151::bigint << 22)"
            % (self.x.id, self.s1.id))
        self.db.query("ANALYZE")

        def expect(org, like, extra=""):
            return self.db.query(
                "SELECT c.number FROM parties p JOIN contracts c ON c.number = p.contract_number "
                "WHERE p.organization_id = %d AND p.role = 'signer' AND p.status IN ('pending', "
                "'received', 'signed') AND c.status = 'signing' AND (c.name ILIKE '%s' OR "
                "c.number::text LIKE '%s') %s ORDER BY c.created_at DESC, c.number DESC"
                % (org.id, like, like, extra)).split()

        rare = expect(self.s1, "%rare lease%")
        self.assertEqual(len(rare), 30)
        got = self.listing(self.s1, "tab=todo&q=RARE%20lease")
        self.assertEqual((got["total"], got["total_exact"], got["has_more"]), (30, True, True))
        self.assertEqual([i["number"] for i in got["items"]], rare[:10])
        # The next pages by keyset and by page number, through the same path.
        nxt = self.listing(self.s1, "tab=todo&q=rare%20lease&after=" + rare[9])
        self.assertEqual([i["number"] for i in nxt["items"]], rare[10:20])
        self.assertEqual((nxt["total"], nxt["has_more"]), (30, True))
        last = self.listing(self.s1, "tab=todo&q=rare%20lease&page=3")
        self.assertEqual(([i["number"] for i in last["items"]], last["has_more"]),
                         (rare[20:], False))
        # Another filter on top; a contract's number (digits search the number too).
        pur = expect(self.s1, "%rare lease%", "AND c.business_type = 'purchase'")
        got = self.listing(self.s1, "tab=todo&q=rare&business_type=purchase&page_size=100")
        self.assertEqual(([i["number"] for i in got["items"]], got["total"]), (pur, 15))
        got = self.listing(self.s1, "tab=todo&q=" + rare[-1][-12:])
        self.assertEqual([i["number"] for i in got["items"]], expect(self.s1, "%" + rare[-1][-12:] + "%"))
        self.assertIn(rare[-1], [i["number"] for i in got["items"]])
        # The outsider sees its own 20 and none of s1's; s1 none of the outsider's.
        mine = self.listing(self.x, "tab=todo&q=lease&page_size=100")
        self.assertEqual([i["number"] for i in mine["items"]], expect(self.x, "%lease%"))
        self.assertEqual(mine["total"], 20)
        self.assertFalse(set(i["number"] for i in mine["items"]) & set(rare))
        # Two characters have no trigram: the walk alone finds them, through the whole tab.
        two = self.listing(self.s1, "tab=todo&q=Le&page_size=100")
        self.assertEqual(([i["number"] for i in two["items"]], two["total"]), (rare, 30))
        # Nothing matches: no walk through the whole tab, and an exact zero.
        none = self.listing(self.s1, "tab=todo&q=nowhere")
        self.assertEqual((none["total"], none["total_exact"], none["items"]), (0, True, []))
        # A common word: counted as far as the cap, from the first rows.
        common = self.listing(self.s1, "tab=todo&q=freight")
        self.assertEqual((common["total"], common["total_exact"], common["has_more"]),
                         (1000, False, True))
        self.assertEqual([i["number"] for i in common["items"]], expect(self.s1, "%freight%")[:10])
        # Keyset from the newest contract: 12,000 rows without a match, then the index.
        deep = self.listing(self.s1, "tab=todo&q=rare%20lease&after=" + common["items"][0]["number"])
        self.assertEqual(([i["number"] for i in deep["items"]], deep["total"]), (rare[:10], 30))

    def test_list_initiator_filter_few_and_many(self):
        """db/lists.c reads an initiator filter that names at most 16 organizations from
        each one's rows (the first page's worth each, merged), and one that names more
        by a walk of the tab: both give every match, newest first, counted to the cap."""
        self.db.query(
            "INSERT INTO organizations (name, credit_code) SELECT 'Maker ' || i, "
            "'91440000' || lpad(i::text, 9, '0') || 'M' FROM generate_series(1, 20) i")
        # 20 makers, maker k initiating 3 * k contracts to s1, interleaved in time.
        self.db.query(
            "INSERT INTO contracts (number, name, business_type, initiator_org_id, status, "
            "page_count, sha256, created_at, sent_at) SELECT 1000000000000000000 + "
            "(j::bigint << 22), 'Order ' || j, 'e-contract', o.id, 'signing', 1, repeat('0', 64), "
            "timestamptz '2021-01-01' + j * interval '1 minute', timestamptz '2021-01-01' + "
            "j * interval '1 minute' FROM (SELECT row_number() OVER () AS j, k FROM "
            "generate_series(1, 20) k, generate_series(1, 3 * k) r ORDER BY r, k) s JOIN "
            "organizations o ON o.name = 'Maker ' || s.k")
        self.db.query(
            "INSERT INTO parties (contract_number, organization_id, role, routing_order, status) "
            "SELECT number, %d, 'signer', 1, 'pending' FROM contracts WHERE name LIKE 'Order %%'"
            % self.s1.id)
        self.db.query("ANALYZE")

        def expect(like):
            return self.db.query(
                "SELECT c.number FROM contracts c JOIN organizations o ON o.id = "
                "c.initiator_org_id WHERE o.name ILIKE '%%%s%%' AND c.name LIKE 'Order %%' "
                "ORDER BY c.created_at DESC, c.number DESC" % like).split()

        # "Maker 1" names 11 makers (1, 10..19), "Maker" all 20, "Maker 20" one.
        for like, n in (("Maker 1", 3 * (1 + sum(range(10, 20)))), ("Maker", 630), ("Maker 20", 60)):
            want = expect(like)
            self.assertEqual(len(want), n)
            q = "tab=todo&initiator=" + like.replace(" ", "%20")
            got = self.listing(self.s1, q + "&page_size=100")
            self.assertEqual(([i["number"] for i in got["items"]], got["total"],
                              got["total_exact"], got["has_more"]), (want[:100], n, True, n > 100))
            page = self.listing(self.s1, q + "&page=3&page_size=7")
            self.assertEqual([i["number"] for i in page["items"]], want[14:21])
            nxt = self.listing(self.s1, q + "&page_size=100&after=" + want[99 if n > 100 else 9])
            self.assertEqual([i["number"] for i in nxt["items"]],
                             want[100:200] if n > 100 else want[10:110])
        # With the creation-time range and a short text (no trigram; digits: the number too).
        # (the range's rows read once: in the comprehension's condition, psql ran once
        # for each of the 330 rows, most of the test's minutes on a loaded machine)
        in_range = set(self.db.query(
            "SELECT number FROM contracts WHERE created_at >= '2021-01-01T03:00:00Z' AND "
            "(name LIKE '%7%' OR number::text LIKE '%7%')").split())
        want = [x for x in expect("Maker 1") if x in in_range]
        got = self.listing(self.s1, "tab=todo&initiator=Maker%201&q=7&page_size=100&"
                           "created_from=2021-01-01T03:00:00Z")
        self.assertEqual(([i["number"] for i in got["items"]], got["total"]), (want[:100], len(want)))

    def test_list_text_search_organization_key(self):
        """018: the trigram index's organization key narrows a text search only for an
        organization that holds less than half of the tab; one that holds most of it is
        searched without the key, its organization checked on each row instead. Either
        way a list holds the caller's rows only, all of them, in order."""
        # 3,000 contracts: s1 a signer on 2,950, the outsider on the 50 whose i ends in 7.
        self.db.query(
            "INSERT INTO contracts (number, name, business_type, initiator_org_id, status, "
            "page_count, sha256, created_at, sent_at) SELECT 1000000000000000000 + "
            "(i::bigint << 22), 'Lot #' || i, 'e-contract', %d, 'signing', 1, repeat('0', 64), "
            "timestamptz '2020-01-01' + i * interval '1 minute', "
            "timestamptz '2020-01-01' + i * interval '1 minute' FROM generate_series(1, 3000) i"
            % self.a.id)
        self.db.query(
            "INSERT INTO parties (contract_number, organization_id, role, routing_order, status) "
            "SELECT number, CASE WHEN (number - 1000000000000000000) >> 22 BETWEEN 1 AND 500 AND "
            "((number - 1000000000000000000) >> 22) %% 10 = 7 THEN %d ELSE %d END, 'signer', 1, "
            "'pending' FROM contracts WHERE name LIKE 'Lot #%%'" % (self.x.id, self.s1.id))
        self.db.query("ANALYZE")
        key = {org: self.db.query("SELECT list_text_org_key(%d, 'todo', 'parties_todo_idx')"
                                  % org.id).strip() for org in (self.s1, self.x)}
        self.assertEqual(key, {self.s1: "f", self.x: "t"})

        def expect(org, digits):
            return self.db.query(
                "SELECT c.number FROM parties p JOIN contracts c ON c.number = p.contract_number "
                "WHERE p.organization_id = %d AND p.role = 'signer' AND c.status = 'signing' AND "
                "(c.name ILIKE '%%%s%%' OR c.number::text LIKE '%%%s%%') ORDER BY c.created_at "
                "DESC, c.number DESC" % (org.id, digits, digits)).split()

        theirs = expect(self.x, "")
        self.assertEqual(len(theirs), 50)
        # Digits of one of the outsider's numbers: its list finds it (with the key), s1's
        # (without the key) holds only s1's own matches and not the outsider's row.
        digits = theirs[0][-7:]
        for org in (self.s1, self.x):
            got = self.listing(org, "tab=todo&page_size=100&q=" + digits)
            want = expect(org, digits)
            self.assertEqual(([i["number"] for i in got["items"]], got["total"],
                              got["total_exact"]), (want[:100], len(want), True), org.name)
        self.assertNotIn(theirs[0], expect(self.s1, digits))
        # The function itself returns the caller's rows only, with or without the key.
        for org in (self.s1, self.x):
            self.assertEqual(self.db.query(
                "SELECT count(*) FILTER (WHERE organization_id <> %d) || ' ' || count(*) FROM "
                "list_text_parties(%d, 'todo', '%%%s%%', true)" % (org.id, org.id, digits[-3:])),
                "0 %d" % len(expect(org, digits[-3:])))
        self.assertIn(theirs[0], [i["number"] for i in
                                  self.listing(self.x, "tab=todo&q=" + digits)["items"]])
        # A name in both: each sees its own, all of them, the next page by keyset too.
        for org, n in ((self.s1, 2950), (self.x, 50)):
            got = self.listing(org, "tab=todo&q=lot%20%23&page_size=100")
            self.assertEqual((got["total"], got["total_exact"]), (min(n, 1000), n <= 1000))
            want = self.db.query(
                "SELECT p.contract_number FROM parties p WHERE p.organization_id = %d AND "
                "p.c_name LIKE 'Lot #%%' ORDER BY p.c_created_at DESC, p.contract_number DESC "
                "LIMIT 200" % org.id).split()
            self.assertEqual([i["number"] for i in got["items"]], want[:100])
            nxt = self.listing(org, "tab=todo&q=lot%20%23&page_size=100&after="
                               + got["items"][-1]["number"])
            self.assertEqual([i["number"] for i in nxt["items"]], want[100:200])
        # A number's digits that only the outsider's rows hold: s1 gets an exact zero.
        # (expect(self.s1, n[-9:]) for each of the 50 in one psql run, not 50; the one
        # used checked by expect() itself)
        only = self.db.query(
            "SELECT t.n FROM unnest(ARRAY[%s]::bigint[]) WITH ORDINALITY t(n, i) WHERE NOT "
            "EXISTS (SELECT 1 FROM parties p JOIN contracts c ON c.number = p.contract_number "
            "WHERE p.organization_id = %d AND p.role = 'signer' AND c.status = 'signing' AND "
            "(c.name ILIKE '%%' || right(t.n::text, 9) || '%%' OR c.number::text LIKE '%%' || "
            "right(t.n::text, 9) || '%%')) ORDER BY t.i" % (",".join(theirs), self.s1.id)).split()
        self.assertTrue(only)
        self.assertEqual(expect(self.s1, only[0][-9:]), [])
        none = self.listing(self.s1, "tab=todo&q=" + only[0][-9:])
        self.assertEqual((none["total"], none["total_exact"], none["items"]), (0, True, []))

    def test_list_business_type_index_and_text_functions(self):
        """020: the to-do tab's business-type index gives the rows and the totals a plain
        query over the caller's rows gives (alone, with a text, deep pages, keyset), and
        the tabs' text functions, now with plans kept per session, return each tab's
        matching rows, with and without the organization's key."""
        # 2,400 contracts from a to s1 (signed on one in 5, cc on one in 7), names and
        # types interleaved; 60 from the outsider to itself and a few drafts of each.
        self.db.query(
            "INSERT INTO contracts (number, name, business_type, initiator_org_id, status, "
            "page_count, sha256, created_at, sent_at) SELECT 1000000000000000000 + "
            "(i::bigint << 22), CASE WHEN i %% 2 = 0 THEN 'Steel supply #' ELSE 'Coal order #' "
            "END || i, CASE WHEN i %% 3 = 0 THEN 'purchase' ELSE 'e-contract' END, CASE WHEN i "
            "> 2400 THEN %d ELSE %d END, CASE WHEN i %% 40 = 0 THEN 'draft' ELSE 'signing' END, "
            "1, repeat('0', 64), timestamptz '2022-01-01' + i * interval '1 minute', "
            "timestamptz '2022-01-01' + i * interval '1 minute' FROM generate_series(1, 2460) i"
            % (self.x.id, self.a.id))
        self.db.query(
            "INSERT INTO parties (contract_number, organization_id, role, routing_order, status) "
            "SELECT number, CASE WHEN initiator_org_id = %d THEN %d ELSE %d END, 'signer', 1, "
            "CASE WHEN status = 'draft' THEN 'waiting' WHEN number %% 5 = 0 THEN 'signed' "
            "ELSE 'pending' END FROM contracts WHERE name LIKE '%%#%%'"
            % (self.x.id, self.x.id, self.s1.id))
        self.db.query(
            "INSERT INTO parties (contract_number, organization_id, role) SELECT number, %d, "
            "'cc' FROM contracts WHERE name LIKE '%%#%%' AND number %% 7 = 0 AND "
            "initiator_org_id = %d" % (self.s1.id, self.a.id))
        self.db.query("ANALYZE")

        def todo(extra):
            return self.db.query(
                "SELECT c.number FROM parties p JOIN contracts c ON c.number = p.contract_number "
                "WHERE p.organization_id = %d AND p.role = 'signer' AND p.status IN ('pending', "
                "'received', 'signed') AND c.status = 'signing' %s ORDER BY c.created_at DESC, "
                "c.number DESC" % (self.s1.id, extra)).split()

        for bt, q, extra in (("purchase", "", "AND c.business_type = 'purchase'"),
                             ("e-contract", "", "AND c.business_type = 'e-contract'"),
                             ("e-contract", "supply", "AND c.business_type = 'e-contract' AND "
                              "c.name ILIKE '%supply%'"),
                             ("purchase", "coal", "AND c.business_type = 'purchase' AND "
                              "c.name ILIKE '%coal%'")):
            want = todo(extra)
            self.assertGreater(len(want), 300)
            base = "tab=todo&status=signing&business_type=%s&q=%s" % (bt, q)
            got = self.listing(self.s1, base + "&page_size=100")
            self.assertEqual(([i["number"] for i in got["items"]], got["total"],
                              got["total_exact"], got["has_more"]),
                             (want[:100], min(len(want), 1000), len(want) <= 1000, True), base)
            page = self.listing(self.s1, base + "&page=3&page_size=20")
            self.assertEqual([i["number"] for i in page["items"]], want[40:60], base)
            nxt = self.listing(self.s1, base + "&page_size=100&after=" + want[99])
            self.assertEqual([i["number"] for i in nxt["items"]], want[100:200], base)
            self.assertEqual(nxt["total"], got["total"], base)
        # The index serves that walk in the tab's order (in this small table only once a
        # sequential or bitmap scan and a sort are ruled out; not so at 100,000 contracts).
        plan = self.db.query(
            "SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN SELECT "
            "contract_number FROM parties t WHERE t.organization_id = %d AND "
            "t.role = 'signer' AND t.status IN ('pending', 'received', 'signed') AND t.c_status = "
            "'signing' AND t.c_business_type = 'purchase' ORDER BY t.c_created_at DESC, "
            "t.contract_number DESC LIMIT 1001" % self.s1.id)
        self.assertIn("Scan using parties_todo_btype_idx", plan)
        self.assertNotIn("Sort", plan)

        # Each tab's text function against a plain query of the tab, for the organization
        # that holds most of the tab (no key) and one that holds few (the key).
        tabs = {
            "todo": ("parties", "organization_id = %d AND role = 'signer' AND status IN "
                     "('pending', 'received', 'signed') AND c_status = 'signing'",
                     "c_name_lc", "contract_number"),
            "signed": ("parties", "organization_id = %d AND role = 'signer' AND status IN "
                       "('signed', 'sent')", "c_name_lc", "contract_number"),
            "cc": ("parties", "organization_id = %d AND role = 'cc' AND c_status <> 'draft'",
                   "c_name_lc", "contract_number"),
            "initiated": ("contracts", "initiator_org_id = %d AND status <> 'draft'", "name_lc",
                          "number"),
            "drafts": ("contracts", "initiator_org_id = %d AND status = 'draft'", "name_lc",
                       "number"),
        }
        seen = set()
        likes = (("%supply%", "false"), ("%24%", "true"), ("%24%", "false"),
                 ("%nowhere%", "true"))
        for tab, (table, cond, name, number) in tabs.items():
            for org in (self.s1, self.a, self.x):
                # one psql run for the tab's rows, the key and every (plain query,
                # function) pair, each answer a line (a run each: 130 of them, most
                # of the test's time on a loaded machine)
                fn = "list_text_parties" if table == "parties" else "list_text_contracts"
                parts = ["SELECT 0, (SELECT count(*) FROM %s WHERE %s)::text"
                         % (table, cond % org.id),
                         "SELECT 1, left(list_text_org_key(%d, '%s', '%s_%s_idx')::text, 1)"
                         % (org.id, tab, table, tab)]
                for i, (like, num) in enumerate(likes):
                    parts.append(
                        "SELECT %d, coalesce((SELECT string_agg(%s::text, ' ' ORDER BY %s) "
                        "FROM %s WHERE %s AND (%s LIKE '%s'%s)), '')"
                        % (2 + 2 * i, number, number, table, cond % org.id, name, like,
                           " OR %s::text LIKE '%s'" % (number, like) if num == "true" else ""))
                    parts.append(
                        "SELECT %d, coalesce((SELECT string_agg(%s::text, ' ' ORDER BY %s) "
                        "FROM %s(%d, '%s', '%s', %s)), '')"
                        % (3 + 2 * i, number, number, fn, org.id, tab, like, num))
                out = dict(line.split("|", 1) for line in self.db.query(
                    " UNION ALL ".join(parts) + " ORDER BY 1").splitlines())
                if int(out["0"]) == 0:
                    continue
                seen.add((tab, out["1"]))
                for i, (like, num) in enumerate(likes):
                    self.assertEqual(out[str(3 + 2 * i)], out[str(2 + 2 * i)],
                                     (tab, org.name, like, num))
        # Both ways were taken in a party tab and in a contract tab.
        self.assertTrue({("todo", "t"), ("todo", "f"), ("initiated", "t"),
                         ("initiated", "f")} <= seen, seen)
        with self.assertRaises(RuntimeError) as e:
            self.db.query("SELECT * FROM list_text_parties(%d, 'drafts', '%%a%%', false)"
                          % self.s1.id)
        self.assertIn("no tab", str(e.exception))

    def test_list_text_search_paths_same_rows(self):
        """db/lists.c answers a text search by one of three paths: the walk of the tab's
        first rows (a word common among the newest rows, enough matches there), the
        trigram index after a walk that did not fill the count (common among the newest,
        rare further down), or the trigram index without a walk (the probe of the newest
        rows found too few: 023 turned its verdict into the walk's LIMIT). Each path,
        with each filter, on the first page, a later page and by keyset, gives the rows
        and totals of a plain query over the caller's tab."""
        # 12,600 contracts from a (one in 4 from the outsider as initiator) to s1, more
        # than the walk's 12,000 rows: "Steel" in every second name (the walk fills the
        # count), "Medium" in the 300 newest and 30 of the oldest (the walk runs and
        # falls short: only the index finds the old ones), "Rare" in 20 of the oldest
        # (no walk).
        self.db.query(
            "INSERT INTO contracts (number, name, business_type, initiator_org_id, status, "
            "page_count, sha256, created_at, sent_at) SELECT 1000000000000000000 + "
            "(i::bigint << 22), CASE WHEN i %% 2 = 0 THEN 'Steel bar #' ELSE 'Coal #' END || "
            "CASE WHEN i > 12300 OR i BETWEEN 110 AND 139 THEN ' Medium' WHEN i %% 50 = 3 "
            "AND i < 1000 THEN ' Rare' "
            "ELSE '' END || i, CASE WHEN i %% 3 = 0 THEN 'purchase' ELSE 'e-contract' END, "
            "CASE WHEN i %% 4 = 0 THEN %d ELSE %d END, 'signing', 1, repeat('0', 64), "
            "timestamptz '2023-01-01' + i * interval '1 minute', "
            "timestamptz '2023-01-01' + i * interval '1 minute' FROM generate_series(1, 12600) i"
            % (self.x.id, self.a.id))
        self.db.query(
            "INSERT INTO parties (contract_number, organization_id, role, routing_order, status) "
            "SELECT number, %d, 'signer', 1, CASE WHEN number %% 5 = 0 THEN 'received' ELSE "
            "'pending' END FROM contracts WHERE name LIKE '%%#%%'" % self.s1.id)
        self.db.query("ANALYZE")
        # An organization with no rows in a tab keeps the trigram index's key (023 as 018).
        self.assertEqual(self.db.query("SELECT list_text_org_key(%d, 'signed', "
                                       "'parties_signed_idx')" % self.x.id).strip(), "t")

        def expect(like, extra):
            return self.db.query(
                "SELECT c.number FROM parties p JOIN contracts c ON c.number = p.contract_number "
                "JOIN organizations o ON o.id = c.initiator_org_id WHERE p.organization_id = %d "
                "AND p.role = 'signer' AND p.status IN ('pending', 'received', 'signed') AND "
                "c.status = 'signing' AND (c.name ILIKE '%s' OR c.number::text LIKE '%s') %s "
                "ORDER BY c.created_at DESC, c.number DESC"
                % (self.s1.id, like, like, extra)).split()

        filters = (("", ""), ("&status=signing", ""),
                   ("&status=completed&business_type=purchase", "AND c.status = 'completed'"),
                   ("&business_type=purchase", "AND c.business_type = 'purchase'"),
                   ("&initiator=outsider", "AND o.name ILIKE '%outsider%'"),
                   ("&created_from=2023-01-01T10:00:00Z&created_to=2023-01-02T20:00:00Z",
                    "AND c.created_at BETWEEN '2023-01-01T10:00:00Z' AND '2023-01-02T20:00:00Z'"))
        digits = expect("%rare%", "")[3][-6:]
        sizes = {}
        for q in ("steel", "medium", "rare", digits):
            for fq, extra in filters:
                want = expect("%" + q + "%", extra)
                sizes[(q, fq)] = len(want)
                base = "tab=todo&q=%s%s" % (q, fq)
                got = self.listing(self.s1, base + "&page_size=25")
                self.assertEqual(([i["number"] for i in got["items"]], got["total"],
                                  got["total_exact"], got["has_more"]),
                                 (want[:25], min(len(want), 1000), len(want) <= 1000,
                                  len(want) > 25), base)
                page = self.listing(self.s1, base + "&page=3&page_size=25")
                self.assertEqual([i["number"] for i in page["items"]], want[50:75], base)
                if len(want) > 25:
                    nxt = self.listing(self.s1, base + "&page_size=25&after=" + want[24])
                    self.assertEqual(([i["number"] for i in nxt["items"]], nxt["total"]),
                                     (want[25:50], got["total"]), base)
        # The data set reaches every path: a count past the cap, a walk that fell short
        # (300 newest, 30 past the walk), a rare word, and a filter that leaves nothing.
        self.assertEqual(sizes[("steel", "")], 6300)
        self.assertEqual(sizes[("medium", "")], 330)
        self.assertEqual(sizes[("rare", "")], 20)
        self.assertGreater(sizes[(digits, "")], 0)
        self.assertIn(0, sizes.values())
        # The initiator's tab (contracts, not parties) by the same paths.
        for q in ("steel", "medium", "rare", digits):
            want = self.db.query(
                "SELECT number FROM contracts WHERE initiator_org_id = %d AND status <> 'draft' "
                "AND (name ILIKE '%%%s%%' OR number::text LIKE '%%%s%%') ORDER BY created_at "
                "DESC, number DESC" % (self.a.id, q, q)).split()
            for extra, lo in (("&page_size=25", 0), ("&page=3&page_size=25", 50)):
                got = self.listing(self.a, "tab=initiated&q=" + q + extra)
                self.assertEqual(([i["number"] for i in got["items"]], got["total"],
                                  got["total_exact"]),
                                 (want[lo:lo + 25], min(len(want), 1000), len(want) <= 1000), q)

    def test_list_text_find_every_tab(self):
        """027: a text search's probe and walk run in list_text_find with kept plans, one
        written out per tab. In each tab (signed, cc, drafts here; todo and initiated
        above), a word common among the newest rows (the walk fills the count), one that
        is common only among the newest (the walk falls short: the trigram index), a rare
        one (no walk) and digits of a number give the rows and totals of a plain query
        over the caller's tab, on the first page and a later one, with a filter too; so
        does an initiator filter (list_initiators_page)."""
        # 3,000 contracts from a: s1 a signer who signed (signed), x a copy (cc); and
        # 2,000 drafts of a's.
        self.db.query(
            "INSERT INTO contracts (number, name, business_type, initiator_org_id, status, "
            "page_count, sha256, created_at, sent_at) SELECT 1000000000000000000 + "
            "(i::bigint << 22), CASE WHEN i %% 2 = 0 THEN 'Steel bar #' ELSE 'Coal #' END || "
            "CASE WHEN i > 2800 OR i BETWEEN 10 AND 19 THEN ' Medium' WHEN i %% 50 = 3 "
            "AND i < 1000 THEN ' Rare' ELSE '' END || i, CASE WHEN i %% 3 = 0 THEN "
            "'purchase' ELSE 'e-contract' END, %d, CASE WHEN i > 3000 THEN 'draft' ELSE "
            "'signing' END, 1, repeat('0', 64), timestamptz '2023-01-01' + i * interval "
            "'1 minute', CASE WHEN i <= 3000 THEN timestamptz '2023-01-01' + i * interval "
            "'1 minute' END FROM generate_series(1, 5000) i" % self.a.id)
        self.db.query(
            "INSERT INTO parties (contract_number, organization_id, role, routing_order, status) "
            "SELECT number, %d, 'signer', 1, CASE WHEN number %% 3 = 0 THEN 'sent' ELSE "
            "'signed' END FROM contracts WHERE name LIKE '%%#%%' AND status = 'signing'"
            % self.s1.id)
        self.db.query(
            "INSERT INTO parties (contract_number, organization_id, role) SELECT number, %d, "
            "'cc' FROM contracts WHERE name LIKE '%%#%%' AND status = 'signing'" % self.x.id)
        self.db.query("ANALYZE")
        digits = self.db.query("SELECT number::text FROM contracts WHERE name LIKE '%% Rare%%' "
                               "ORDER BY number LIMIT 1").strip()[-6:]
        tabs = (("signed", self.s1, "status = 'signing'"), ("cc", self.x, "status = 'signing'"),
                ("drafts", self.a, "status = 'draft'"))
        for tab, org, cond in tabs:
            for q in ("steel", "medium", "rare", digits):
                for fq, extra in (("", ""), ("&business_type=purchase",
                                             "AND business_type = 'purchase'")):
                    want = self.db.query(
                        "SELECT number FROM contracts WHERE initiator_org_id = %d AND %s AND "
                        "name LIKE '%%#%%' AND (name ILIKE '%%%s%%' OR number::text LIKE "
                        "'%%%s%%') %s ORDER BY created_at DESC, number DESC"
                        % (self.a.id, cond, q, q, extra)).split()
                    base = "tab=%s&q=%s%s" % (tab, q, fq)
                    for extra_q, lo in (("&page_size=25", 0), ("&page=3&page_size=25", 50)):
                        got = self.listing(org, base + extra_q)
                        self.assertEqual(([i["number"] for i in got["items"]], got["total"],
                                          got["total_exact"], got["has_more"]),
                                         (want[lo:lo + 25], min(len(want), 1000),
                                          len(want) <= 1000, len(want) > lo + 25), base)
            # 027: an initiator filter without a text (list_initiators_page): a's rows,
            # or none for an initiator that is no one's, with another filter too.
            want = self.db.query(
                "SELECT number FROM contracts WHERE initiator_org_id = %d AND %s AND name LIKE "
                "'%%#%%' AND business_type = 'purchase' ORDER BY created_at DESC, number DESC"
                % (self.a.id, cond)).split()
            for fq, rows in (("&initiator=Initiator%20Co", want), ("&initiator=nobody", [])):
                for extra_q, lo in (("&page_size=25", 0), ("&page=3&page_size=25", 50)):
                    base = "tab=%s&business_type=purchase%s%s" % (tab, fq, extra_q)
                    got = self.listing(org, base)
                    self.assertEqual(([i["number"] for i in got["items"]], got["total"],
                                      got["total_exact"], got["has_more"]),
                                     (rows[lo:lo + 25], min(len(rows), 1000),
                                      len(rows) <= 1000, len(rows) > lo + 25), base)

    def test_list_page_json_same_bytes(self):
        """027: list_page_json writes the page's text itself, the bytes the jsonb it built
        before printed (keys in jsonb's order, its spacing, its escaping), for names with
        quotes, backslashes, control characters and non-ASCII text, with and without a
        deadline, completion, display name or my_status."""
        org = self.db.query(
            "INSERT INTO organizations (name, credit_code) VALUES (E'Org \"q\" \\\\ "
            "\\t\\n\\u0001 é 中文 😀 </script>', '91110000000000999X') RETURNING id").strip()
        self.db.query(
            "INSERT INTO contracts (number, name, business_type, initiator_org_id, status, "
            "page_count, sha256, created_at, sent_at, deadline, completed_at) SELECT "
            "2000000000000000000 + k, E'N \"a\" \\\\b\\\\ \\b\\f\\n\\r\\t "
            "\\u0001\\u001f\\u007f é 中文 😀 \\u2028 </>' || k, CASE WHEN k %% 2 = 0 "
            "THEN 'purchase' ELSE 'custom-x' END, %s, CASE WHEN k = 3 THEN 'completed' WHEN "
            "k = 4 THEN 'draft' ELSE 'signing' END, 1, repeat('0', 64), now() - k * interval "
            "'1 second', CASE WHEN k <> 4 THEN now() END, CASE WHEN k %% 2 = 1 THEN now() + "
            "interval '3 days' END, CASE WHEN k = 3 THEN now() END FROM generate_series(1, 5) k"
            % org)
        old = (
            "coalesce((SELECT jsonb_agg(jsonb_build_object('number', c.number::text, 'name', "
            "c.name, 'business_type', c.business_type, 'business_type_name', "
            "coalesce(bt.display_name, c.business_type), 'status', c.status, 'initiator', "
            "jsonb_build_object('name', io.name, 'credit_code', io.credit_code), 'created_at', "
            "wf_ts(c.created_at), 'sent_at', wf_ts(c.sent_at), 'deadline', wf_ts(c.deadline), "
            "'completed_at', wf_ts(c.completed_at), 'my_status', x.mine) ORDER BY x.k) FROM "
            "unnest(%s, %s) WITH ORDINALITY x (n, mine, k) JOIN contracts c ON c.number = x.n "
            "JOIN organizations io ON io.id = c.initiator_org_id LEFT JOIN business_types bt "
            "ON bt.code = c.business_type), '[]')::text")
        for ns, ms in (("ARRAY(SELECT number FROM contracts WHERE number > 2000000000000000000 "
                        "ORDER BY number DESC)", "ARRAY['pending', NULL, E'x\"\\\\', 'sent', "
                        "'signed']"), ("'{}'::bigint[]", "'{}'::text[]"),
                       ("ARRAY[2000000000000000002, 1]::bigint[]", "ARRAY[NULL, 'x']")):
            got = self.db.query("SELECT list_page_json(%s, %s) = %s, list_page_json(%s, %s)"
                                % (ns, ms, old % (ns, ms), ns, ms))
            self.assertTrue(got.startswith("t"), got)

    def test_turn_rule_one_for_every_step(self):
        """migrations/005: receive needs pending, reject pending or received, signing
        (prepare and complete alike) received, send signed; waiting is out of turn."""
        n = self.created()["number"]
        self.act(self.a, n, "send")
        before = self.snapshot(n)
        # S2's routing group has not come up: every step is out of turn.
        for action, body in (("receive", None), ("reject", {"reason": "no"}), ("send", None)):
            self.assertProblem(self.call(self.s2, "POST", "/api/v1/contracts/%s/%s" % (n, action),
                                         body), 409, "out_of_turn")
        with self.assertRaises(RuntimeError) as e:
            self.db.query("SELECT base_seq FROM signing_prepare_load(%s, %d)" % (n, self.s2.id))
        self.assertIn("it is not your turn yet", str(e.exception))
        with self.assertRaises(RuntimeError) as e:
            self.sign(self.s2, n)
        self.assertIn("it is not your turn yet", str(e.exception))
        # S1 is pending: signing before receiving is refused, at prepare and at complete.
        with self.assertRaises(RuntimeError) as e:
            self.db.query("SELECT base_seq FROM signing_prepare_load(%s, %d)" % (n, self.s1.id))
        self.assertIn("receive the contract before signing it", str(e.exception))
        with self.assertRaises(RuntimeError) as e:
            self.sign(self.s1, n)
        self.assertIn("receive the contract before signing it", str(e.exception))
        doc = self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/send" % n),
                                 409, "wrong_state")
        self.assertIn("sign before sending", doc["detail"])
        self.assertEqual(self.snapshot(n), before)
        # Received: prepare and complete both go through; then it is signed, not rejectable.
        self.act(self.s1, n, "receive")
        self.assertEqual(self.db.query("SELECT base_seq FROM signing_prepare_load(%s, %d)"
                                       % (n, self.s1.id)), "0")
        self.sign(self.s1, n)
        self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/reject" % n,
                                     {"reason": "too late"}), 409, "wrong_state")
        # A received party may still reject.
        m = self.created(name="second")["number"]
        self.act(self.a, m, "send")
        self.act(self.s1, m, "receive")
        self.assertEqual(self.act(self.s1, m, "reject", {"reason": "no"})["status"], "rejected")

    def test_audit_events_carry_ip_and_user_agent(self):
        ua = "sealpact-it/1.0 (合同)"
        n = self.created(headers={"User-Agent": ua.encode()})["number"]
        self.call(self.a, "POST", "/api/v1/contracts/%s/send" % n,
                  headers={"User-Agent": ua.encode()})
        # A long one is cut to 256 bytes at a character boundary; bytes that are not
        # UTF-8 become '?'.
        st, _, _, doc = self.call(self.s1, "POST", "/api/v1/contracts/%s/receive" % n,
                                  headers={"User-Agent": "\u00e9".encode() * 200})
        self.assertEqual(st, 200, doc)
        self.sign(self.s1, n)  # through psql: no address, no user agent
        st, _, _, doc = self.call(self.s1, "POST", "/api/v1/contracts/%s/send" % n,
                                  headers={"User-Agent": b"bad\xff\xfeua"})
        self.assertEqual(st, 200, doc)
        rows = [r.split("|") for r in self.db.query(
            "SELECT action, coalesce(host(ip), '-'), coalesce(user_agent, '-') FROM audit_events "
            "WHERE contract_number = %s ORDER BY seq" % n).splitlines()]
        self.assertEqual(rows[0], ["contract.created", "127.0.0.1", ua])
        self.assertEqual(rows[1], ["contract.sent", "127.0.0.1", ua])
        self.assertEqual(rows[2], ["party.received", "127.0.0.1", "\u00e9" * 128])
        self.assertEqual(rows[3], ["party.signed", "-", "-"])
        self.assertEqual(rows[4], ["party.sent", "127.0.0.1", "bad??ua"])
        self.assertEqual(rows[5], ["contract.routed", "127.0.0.1", "bad??ua"])
        st, _, _, v = self.call(self.a, "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual(st, 200, v)
        self.assertTrue(v["valid"], v)
        self.assertEqual(v["events"], 6)
        # An event without a user agent is hashed exactly as before migration 005, so
        # chains written before it still verify.
        self.assertEqual(self.db.query(
            "SELECT bool_and(hash = sha256(prev_hash || convert_to(jsonb_build_array("
            "contract_number, seq, actor_org_id, actor_user_id, action, object_type, object_id, "
            "host(ip), to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
            "details)::text, 'UTF8'))) FROM audit_events WHERE contract_number = %s "
            "AND user_agent IS NULL" % n), "t")
        # Tampering with the user agent is caught.
        self.db.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_immutable; "
                      "UPDATE audit_events SET user_agent = 'forged' WHERE contract_number = %s "
                      "AND seq = 2; ALTER TABLE audit_events ENABLE TRIGGER audit_events_immutable"
                      % n)
        st, _, _, v = self.call(self.a, "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual((v["valid"], v["first_bad_seq"]), (False, 2), v)


def signed_pdf():
    """A one-page PDF whose AcroForm has a signature field with a value (/V)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
            b"<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] "
            b"/P 3 0 R /V 5 0 R >>",
            b"<< /Type /Sig /Filter /Adobe.PPKLite /ByteRange [0 0 0 0] /Contents <00> >>",
            b"(unreferenced, kept because the file is signed)"]
    out = b"%PDF-1.7\n"
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % x for x in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


class TestUploadLimits(WorkflowCase):
    server_extra = {"server": {"max_body_bytes": "4 KiB", "max_upload_bytes": "8 KiB"}}

    def test_signed_upload_kept_and_size_capped(self):
        pdf = signed_pdf()
        d = self.created(pdf=pdf, parties=[])
        st, _, data, _ = self.call(self.a, "GET", "/api/v1/contracts/%s/document" % d["number"])
        self.assertEqual((st, data), (200, pdf))
        self.assertEqual(d["sha256"], hashlib.sha256(pdf).hexdigest())
        big = pdf + b"%" + b"x" * 9000 + b"\n"
        st, _, _, doc = self.create(pdf=big, parties=[])
        self.assertEqual(st, 413, doc)
        self.assertEqual(self.db.query("SELECT count(*) FROM contracts"), "1")


# Text that would drive a terminal or reorder it: ESC sequences, BEL, a line break
# followed by a fake status line, DEL, C1 CSI (U+009B), RLO, LRI.
HOSTILE = ["Supply\x1b[2J\x1b[H", "ring\x07", "two\nSigned: revision 9", "del\x7f",
           "csi\u009b31m", "\u202eexe.fdp", "iso\u2066x\u2069"]


class TestControlCharacters(WorkflowCase):
    """Names and reasons are shown on other organizations' terminals: control and bidi
    characters are refused (400 control_character) and nothing changes."""

    def test_names_reasons_urls_refused(self):
        for bad in HOSTILE:
            self.assertProblem(self.create(name=bad), 400, "control_character")
            self.assertProblem(self.create(business_type=bad), 400, "control_character")
            self.assertProblem(self.create(parties=[{"credit_code": credit_code(80),
                                                     "name": bad, "role": "signer"}]),
                               400, "control_character")
        self.assertEqual(self.db.query("SELECT count(*) FROM contracts"), "0")
        st, _, _, doc = self.create(name="two\nlines")
        self.assertIn("U+000A at byte 3", doc["detail"])
        # A draft keeps its name; a rejection needs a printable reason.
        n = self.created(parties=[{"credit_code": self.s1.code, "role": "signer"}])["number"]
        before = self.snapshot(n)
        for bad in HOSTILE:
            self.assertProblem(self.call(self.a, "PATCH", "/api/v1/contracts/" + n,
                                         {"name": bad}), 400, "control_character")
            self.assertProblem(self.call(self.a, "PATCH", "/api/v1/contracts/" + n, {
                "parties": [{"credit_code": credit_code(81), "name": bad, "role": "signer"}]}),
                400, "control_character")
        self.assertEqual(self.snapshot(n), before)
        self.act(self.a, n, "send")
        self.act(self.s1, n, "receive")
        before = self.snapshot(n)
        for bad in HOSTILE:
            self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/reject" % n,
                                         {"reason": bad}), 400, "control_character")
        self.assertEqual(self.snapshot(n), before)
        # Printable text of any script still goes through.
        self.act(self.s1, n, "reject", {"reason": "价格不对 (price) — ok"})
        for bad in HOSTILE:
            self.assertProblem(self.call(self.a, "POST", "/api/v1/api-keys", {"name": bad}),
                               400, "control_character")
            self.assertProblem(self.call(self.a, "POST", "/api/v1/webhooks",
                                         {"url": "https://hooks.example/" + bad}),
                               400, "control_character")
        self.assertEqual(self.db.query("SELECT count(*) FROM api_keys"), "0")
        self.assertEqual(self.db.query("SELECT count(*) FROM webhooks"), "0")


    def test_invisible_characters_refused(self):
        """sec38: a name with a character shown as nothing (zero-width space or
        joiner, soft hyphen, BOM, a filler, a tag) looks like another name in a list
        or the reviewers' console and is another string to every comparison: refused
        like a control character, from every field another organization reads."""
        invisible = ["Acme\u200bLtd", "soft\u00adhyphen", "bom\ufeff", "word\u2060joiner",
                     "filler\u3164", "tag\U000e0041", "zwj\u200d"]
        for bad in invisible:
            with self.subTest(bad=bad):
                self.assertProblem(self.create(name=bad), 400, "control_character")
                self.assertProblem(self.create(parties=[{"credit_code": credit_code(80),
                                                         "name": bad, "role": "signer"}]),
                                   400, "control_character")
                self.assertProblem(self.call(self.a, "POST", "/api/v1/api-keys", {"name": bad}),
                                   400, "control_character")
        self.assertEqual(self.db.query("SELECT count(*) FROM contracts"), "0")
        self.assertEqual(self.db.query("SELECT count(*) FROM api_keys"), "0")
        st, _, _, doc = self.create(name="Acme\u200bLtd")
        self.assertIn("invisible character (U+200B at byte 4)", doc["detail"])
        n = self.created(parties=[{"credit_code": self.s1.code, "role": "signer"}])["number"]
        self.act(self.a, n, "send")
        self.act(self.s1, n, "receive")
        before = self.snapshot(n)
        self.assertProblem(self.call(self.s1, "POST", "/api/v1/contracts/%s/reject" % n,
                                     {"reason": "price\u200b"}), 400, "control_character")
        self.assertEqual(self.snapshot(n), before)
        # Visible text of any script, its spaces included, still goes through.
        self.assertEqual(self.created(name="采购合同 Ltd.\u3000二期")["name"], "采购合同 Ltd.\u3000二期")


class TestWorkflowCli(WorkflowCase):
    """The sealpact commands, with SEALPACT_API_KEY standing in for a saved login."""

    def cli(self, org, *args, ok=True):
        env = dict(os.environ, SEALPACT_API_KEY=org.token, XDG_CONFIG_HOME=self.tmp)
        p = subprocess.run([SEALPACT, "--server", self.server.url] + list(args), env=env,
                           capture_output=True, text=True, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_create_list_show_receive_reject_download(self):
        out = self.cli(self.a, "create", FIXTURE, "--name", "CLI 合同", "--business-type",
                       "purchase", "--signer", self.s1.code + ":1", "--signer",
                       credit_code(90) + ":2:Later Signer", "--cc", self.cc.code, "--send")
        n = out.stdout.split()[0]
        self.assertEqual(len(n), 19)
        self.assertIn(n, self.cli(self.s1, "list", "--tab", "todo", "--business-type",
                                  "purchase", "--q", "CLI").stdout)
        self.assertIn("total 0", self.cli(self.s1, "list", "--tab", "todo", "--q", "nothing").stdout)
        self.assertIn("total 1", self.cli(self.cc, "list", "--tab", "cc").stdout)
        show = self.cli(self.a, "show", n).stdout
        self.assertIn("Later Signer", show)
        self.assertIn("signing", show)
        self.assertIn("received 1", self.cli(self.s1, "receive", "--all").stdout)
        pdf = os.path.join(self.tmp, "c.pdf")
        self.cli(self.s1, "download", n, "-o", pdf)
        with open(pdf, "rb") as f:
            self.assertTrue(f.read().startswith(b"%PDF-"))
        p = self.cli(self.cc, "reject", n, "no", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("403", p.stderr)
        self.assertIn("rejected", self.cli(self.s1, "reject", n, "价格不对").stdout)
        self.assertIn("价格不对", self.cli(self.cc, "show", n).stdout)
        self.assertEqual(self.cli(self.a, "cancel", n, ok=False).returncode, 1)
        self.assertEqual(self.cli(self.a, "show", "12", ok=False).returncode, 64)
        n2 = self.cli(self.a, "create", FIXTURE, "--name", "Second", "--signer",
                      self.s1.code).stdout.split()[0]
        self.assertIn("signing", self.cli(self.a, "send", n2).stdout)
        self.assertIn("signing", self.cli(self.s1, "receive", n2).stdout)
        self.assertIn("cancelled", self.cli(self.a, "cancel", n2).stdout)

    def test_list_and_show_neutralize_what_others_wrote(self):
        n = self.created(parties=[{"credit_code": self.s1.code, "role": "signer"}])["number"]
        self.act(self.a, n, "send")
        self.act(self.s1, n, "receive")
        self.act(self.s1, n, "reject", {"reason": "price"})
        # Written past the API, as an older server or a direct database edit could have.
        evil = ("E'Supply\\x1b[2J\\x1b[H\\x07\\nSigned: revision 9 \\x7f"
                "\\u009b31m\\u202eevil\\u2066x'")
        self.db.query("UPDATE contracts SET name = %s WHERE number = %s" % (evil, n))
        self.db.query("UPDATE organizations SET name = %s WHERE id = %d" % (evil, self.a.id))
        self.db.query("UPDATE parties SET reject_reason = %s WHERE contract_number = %s"
                      % (evil, n))
        clean = "Supply?[2J?[H??Signed: revision 9 ??31m?evil?x"
        outputs = {"list": self.cli(self.a, "list", "--tab", "initiated").stdout,
                   "show": self.cli(self.s1, "show", n).stdout,
                   "show by initiator": self.cli(self.a, "show", n).stdout}
        for what, out in outputs.items():
            self.assertIn(n, out, what)
            self.assertIn(clean, out, what)
            bad = [c for c in out if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f
                   or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]
            self.assertEqual(bad, [], what)
            self.assertFalse(any(line.startswith("Signed:") for line in out.splitlines()), what)
        self.assertEqual(outputs["list"].count(clean), 2)  # the name and the initiator
        self.assertIn("rejected:      " + clean, outputs["show"])
        self.assertIn("initiator:     " + clean, outputs["show"])

    def count(self, sql):
        return int(self.db.query(sql))

    def test_send_without_signer_creates_nothing(self):
        before = self.count("SELECT count(*) FROM contracts")
        p = self.cli(self.a, "create", FIXTURE, "--name", "No signer", "--cc", self.cc.code,
                     "--send", ok=False)
        self.assertEqual(p.returncode, 64)
        self.assertIn("--send needs at least one --signer (nothing was created)", p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(self.count("SELECT count(*) FROM contracts"), before)

    def test_edit_and_delete_a_draft(self):
        n = self.cli(self.a, "create", FIXTURE, "--name", "Draft one", "--signer",
                     self.s1.code).stdout.split()[0]
        out = self.cli(self.a, "edit", n, "--name", "Draft renamed", "--business-type", "销售",
                       "--signer", self.s2.code + ":1", "--cc", self.cc.code).stdout
        self.assertIn("name:          Draft renamed", out)
        self.assertIn("business type: 销售 (sales)", out)
        self.assertIn(self.s2.code, out)
        self.assertNotIn(self.s1.code, out)
        d = self.detail(self.a, n)
        self.assertEqual((d["name"], d["business_type"], d["business_type_name"]),
                         ("Draft renamed", "sales", "销售"))
        p = self.cli(self.a, "edit", n, ok=False)
        self.assertEqual(p.returncode, 64)
        self.assertIn("nothing to change", p.stderr)
        p = self.cli(self.s1, "delete", n, ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(n + " deleted", self.cli(self.a, "delete", n).stdout)
        self.assertEqual(self.count("SELECT count(*) FROM contracts WHERE number = %s" % n), 0)
        p = self.cli(self.a, "show", n, ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("404", p.stderr)

    def test_business_types_by_display_name(self):
        n = self.cli(self.a, "create", FIXTURE, "--name", "采购一", "--business-type", "采购",
                     "--signer", self.s1.code, "--send").stdout.split()[0]
        d = self.detail(self.a, n)
        self.assertEqual((d["business_type"], d["business_type_name"]), ("purchase", "采购"))
        self.assertIn("business type: 采购 (purchase)", self.cli(self.a, "show", n).stdout)
        for bt in ("采购", "purchase"):
            out = self.cli(self.s1, "list", "--tab", "todo", "--business-type", bt).stdout
            self.assertIn(n, out)
            self.assertIn("采购", out)
        items = self.listing(self.s1, "tab=todo&business_type=%E9%87%87%E8%B4%AD")["items"]
        self.assertEqual([(i["business_type"], i["business_type_name"]) for i in items],
                         [("purchase", "采购")])
        self.assertNotIn(n, self.cli(self.s1, "list", "--tab", "todo", "--business-type",
                                     "销售").stdout)
        p = self.cli(self.a, "create", FIXTURE, "--name", "x", "--business-type", "不存在",
                     ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("unknown business type", p.stderr)
        self.assertIn("采购 (purchase)", p.stderr)

    def test_parties_by_alias(self):
        aliases = os.path.join(self.tmp, "aliases.tsv")
        with open(aliases, "w", encoding="utf-8") as f:
            f.write("signer1\tSigner One\t%s\nlater\t后来的签署方\t%s\n" % (self.s1.code,
                                                                           credit_code(91)))
        env = dict(os.environ, SEALPACT_API_KEY=self.a.token, XDG_CONFIG_HOME=self.tmp,
                   SEALPACT_ALIASES=aliases)
        p = subprocess.run([SEALPACT, "--server", self.server.url, "create", FIXTURE, "--name",
                            "By alias", "--signer", "signer1:1", "--signer", "later:2", "--cc",
                            self.cc.code], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = self.detail(self.a, p.stdout.split()[0])
        self.assertEqual([(x["credit_code"], x["name"], x["routing_order"]) for x in d["parties"]
                          if x["role"] == "signer"],
                         [(self.s1.code, "Signer One", 1), (credit_code(91), "后来的签署方", 2)])

    def test_pages_audit_trail_cc_status_and_receive_hint(self):
        made = [self.cli(self.a, "create", FIXTURE, "--name", "Page %d" % i, "--signer",
                         self.s1.code, "--cc", self.cc.code, "--send").stdout.split()[0]
                for i in range(3)]
        out = self.cli(self.s1, "list", "--tab", "todo", "--page-size", "2").stdout
        self.assertIn("page 1 of 2, total 3 (--page N for more)", out)
        out = self.cli(self.s1, "list", "--tab", "todo", "--page-size", "2", "--page", "2").stdout
        self.assertIn("page 2 of 2, total 3\n", out)
        p = self.cli(self.s1, "receive", ok=False)
        self.assertEqual(p.returncode, 64)
        self.assertIn("--all", p.stderr)
        n = made[0]
        show = self.cli(self.cc, "show", n).stdout
        self.assertRegex(show, r"cc +#\d+ +notified +%s" % self.cc.code)
        self.act(self.s1, n, "receive")
        self.sign(self.s1, n)
        self.act(self.s1, n, "send")
        show = self.cli(self.cc, "show", n).stdout
        self.assertRegex(show, r"cc +#\d+ +completed +%s" % self.cc.code)
        # The audit trail the API returns, event by event.
        trail = show[show.index("audit trail:"):]
        audit = self.trail(self.a, n)
        self.assertGreaterEqual(len(audit), 4)
        for ev in audit:
            self.assertRegex(trail, r"\n +%d  %s  %s" % (ev["seq"], re.escape(ev["at"]),
                                                        ev["action"]))


if __name__ == "__main__":
    unittest.main()
