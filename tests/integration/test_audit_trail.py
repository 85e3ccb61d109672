"""A contract's audit trail, paged (migrations/050, issue 14).

The contract document (GET /api/v1/contracts/{number}, every workflow answer,
the completion's default answer) carried every event of the contract's audit
trail, ~5 more with each signing: 83 % of the 20th completion's 39.7 KB, and
any reader got the whole trail at once. It now carries the trail's length
(`audit_count`) and where to read it (`audit_url`); GET
/api/v1/contracts/{number}/audit pages the events oldest first, keyset-paged
as the review queue (`limit` 1..100, 20 by default; `cursor` the previous
page's `next_cursor`; `has_more`), readable by exactly those who may read the
contract (404 for anyone else, as for the contract).

Set-up as test_workflow.py (organizations by SQL, extra events appended by
wf_audit as a step appends them); the completion's answer through the real
signing path as test_signing.py.
"""

import json
import re
import unittest

import harness
import test_reply_json
import test_signing
import test_workflow as wf


def setUpModule():
    test_signing.setUpModule()


def tearDownModule():
    test_signing.tearDownModule()


def grow(db, number, org, events):
    """events more evidence requests of org on the contract's trail, each appended by
    wf_audit (the chain trigger gives it its seq and hash) as the evidence step does."""
    db.query("SELECT wf_audit(%s, %d, NULL, 'contract.evidence_requested', "
             "jsonb_build_object('i', i), NULL, NULL) FROM generate_series(1, %d) i"
             % (number, org, events))


class TrailPaged(wf.WorkflowCase):
    cli = wf.TestWorkflowCli.cli  # the terminal with SEALPACT_API_KEY standing in for a login

    def sent(self, extra=0):
        """A sent contract the first signer received: 3 events, and `extra` more."""
        n = self.created()["number"]
        self.act(self.a, n, "send")
        self.act(self.s1, n, "receive")
        grow(self.db, n, self.s1.id, extra)
        return n

    def test_pages_hold_every_event_once_in_order_and_the_chain_links(self):
        n = self.sent(40)
        doc = self.detail(self.s1, n)
        self.assertNotIn("audit", doc)
        self.assertEqual(doc["audit_url"], "/api/v1/contracts/%s/audit" % n)
        self.assertEqual(doc["audit_count"], 43)
        # without a limit: the first 20, oldest first
        st, _, _, page = self.call(self.s1, "GET", doc["audit_url"])
        self.assertEqual(st, 200, page)
        self.assertEqual([e["seq"] for e in page["items"]], list(range(1, 21)))
        self.assertTrue(page["has_more"])
        self.assertIsNotNone(page["next_cursor"])
        # any page size gives the same events, each once, in order (harness.audit_trail)
        events = self.trail(self.s1, n, 7)
        self.assertEqual(len(events), 43)
        self.assertEqual([e["action"] for e in events[:3]],
                         ["contract.created", "contract.sent", "party.received"])
        for limit in (1, 20, 42, 43, 100):
            self.assertEqual(self.trail(self.s1, n, limit), events, limit)
        # every party reads the same trail
        for org in (self.a, self.s2, self.cc):
            self.assertEqual(self.trail(org, n, 9), events)
        # each event is the table's, and links to the one before it, across every
        # page boundary: its prev_hash is the hash the previous event shows
        rows = self.db.query(
            "SELECT string_agg(seq || ' ' || encode(hash, 'hex') || ' ' || "
            "encode(prev_hash, 'hex') || ' ' || action, E'\\n' ORDER BY seq) "
            "FROM audit_events WHERE contract_number = %s" % n).splitlines()
        self.assertEqual(len(rows), 43)
        prev = "00" * 32
        for e, row in zip(events, rows):
            seq, h, p, action = row.split()
            self.assertEqual((e["seq"], e["hash"], e["action"], p), (int(seq), h, action, prev))
            prev = e["hash"]
        st, _, _, v = self.call(self.cc, "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual(st, 200, v)
        self.assertEqual((v["valid"], v["events"]), (True, 43), v)
        # a step later the document counts one more, and the trail ends with it
        self.act(self.s1, n, "reject", {"reason": "price"})
        self.assertEqual(self.detail(self.a, n)["audit_count"], 44)
        last = self.trail(self.a, n, 43)
        self.assertEqual(last[:43], events)
        self.assertEqual((last[43]["action"], last[43]["details"]),
                         ("contract.rejected", {"reason": "price"}))

    def test_the_terminal_shows_a_trail_longer_than_a_page(self):
        n = self.sent(130)
        show = self.cli(self.s1, "show", n).stdout
        trail = show[show.index("audit trail:"):]
        seqs = [int(s) for s in re.findall(r"\n +(\d+)  \d{4}-", trail)]
        self.assertEqual(seqs, list(range(1, 134)), trail[-400:])
        for ev in self.trail(self.s1, n):
            self.assertRegex(trail, r"\n +%d  %s  %s" % (ev["seq"], re.escape(ev["at"]),
                                                        ev["action"]))

    def test_only_who_may_read_the_contract_reads_its_trail(self):
        n = self.created()["number"]

        def both(org):
            return (self.call(org, "GET", "/api/v1/contracts/%s" % n),
                    self.call(org, "GET", "/api/v1/contracts/%s/audit" % n))

        # a draft: its initiator only, as the contract; a party and an outsider get
        # the contract's own 404
        self.assertEqual([e["action"] for e in self.trail(self.a, n)], ["contract.created"])
        for org in (self.s1, self.cc, self.x):
            contract, audit = both(org)
            self.assertEqual(self.assertProblem(audit, 404, "not_found")["detail"],
                             self.assertProblem(contract, 404, "not_found")["detail"])
        self.act(self.a, n, "send")
        for org in (self.a, self.s1, self.s2, self.cc):
            self.assertEqual(len(self.trail(org, n)), 2, org.code)
        contract, audit = both(self.x)
        self.assertEqual(self.assertProblem(audit, 404, "not_found")["detail"],
                         self.assertProblem(contract, 404, "not_found")["detail"])
        # a contract that does not exist reads the same
        missing = str(int(n) + 1)
        self.assertProblem(self.call(self.a, "GET", "/api/v1/contracts/%s/audit" % missing),
                           404, "not_found")
        # without credentials
        st, _, _, _ = self.server.request("GET", "/api/v1/contracts/%s/audit" % n)
        self.assertEqual(st, 401)

    def test_a_bad_cursor_or_limit_is_400_and_bounds_hold(self):
        n = self.sent(5)
        for q in ("cursor=abc", "cursor=0", "cursor=-1", "cursor=%2B3", "cursor=1.5",
                  "cursor=", "cursor=" + "9" * 25, "limit=0", "limit=101",
                  "limit=x", "limit=-1", "limit=", "limit=1e2", "limit=%2B5",
                  "limit=99999999999999999999"):
            doc = self.assertProblem(
                self.call(self.s1, "GET", "/api/v1/contracts/%s/audit?%s" % (n, q)), 400,
                "invalid")
            self.assertIn(q.split("=")[0], doc["detail"], q)
        # the bounds themselves
        st, _, _, page = self.call(self.s1, "GET", "/api/v1/contracts/%s/audit?limit=1" % n)
        self.assertEqual((st, len(page["items"]), page["has_more"]), (200, 1, True), page)
        st, _, _, page = self.call(self.s1, "GET", "/api/v1/contracts/%s/audit?limit=100" % n)
        self.assertEqual((st, len(page["items"]), page["has_more"], page["next_cursor"]),
                         (200, 8, False, None), page)
        # a page never holds more than 100 events
        grow(self.db, n, self.s1.id, 150)
        st, _, _, page = self.call(self.s1, "GET", "/api/v1/contracts/%s/audit?limit=100" % n)
        self.assertEqual((st, len(page["items"]), page["has_more"]), (200, 100, True))
        self.assertEqual(len(self.trail(self.s1, n)), 158)
        # past the end: an empty last page
        st, _, _, page = self.call(self.s1, "GET",
                                   "/api/v1/contracts/%s/audit?cursor=158" % n)
        self.assertEqual((st, page), (200, {"items": [], "next_cursor": None,
                                            "has_more": False}))


class CompletionAnswer(test_signing.SigningCase):
    """The completion's default answer (the contract document) no longer grows with the
    trail: only by the entry of the revision it adds."""
    tls = False
    signing_extra = {"level": "B-T"}

    def setUp(self):
        super().setUp()
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)

    def signed(self, slug, alg, n):
        self.act(slug, n, "receive")
        prep = self.prepared(slug, n, alg)
        st, _, data, doc = self.complete(slug, prep["session"], self.token_sign(slug, alg, prep))
        self.assertEqual(st, 200, doc)
        return data, doc["contract"]

    def test_the_completion_answer_does_not_grow_with_the_trail(self):
        n = self.create([("supplier", 1), ("logistics", 2)])
        data1, first = self.signed("supplier", "rsa", n)
        self.act("supplier", n, "send")
        # a long trail before the next signing: 200 more events (evidence requests)
        grow(self.db, n, self.orgs_id("logistics"), 200)
        data2, second = self.signed("logistics", "ec", n)
        self.assertNotIn("audit", second)
        self.assertGreaterEqual(second["audit_count"], first["audit_count"] + 200)
        # the document as the completion left it: its own last event counted (056)
        trail = harness.audit_trail(self, lambda p: self.call("logistics", "GET", p), n)
        self.assertEqual(second["audit_count"], len(trail))
        self.assertEqual(trail[-1]["action"], "signing.completed")
        # the second answer is the first's and one more revision (and two parties' new
        # states), not the 200 events: a few hundred bytes
        added = len(json.dumps(second["revisions"][-1]))
        self.assertEqual(len(second["revisions"]), len(first["revisions"]) + 1)
        self.assertLess(len(data2) - len(data1), added + 300,
                        (len(data1), len(data2), added))

    def orgs_id(self, slug):
        return int(self.db.query("SELECT id FROM organizations WHERE credit_code = '%s'"
                                 % self.orgs[slug]["credit_code"]))


class MigrationWithData(unittest.TestCase):
    """050 applied to a database whose contracts, and a stored idempotent answer, were
    written before it."""

    def test_documents_count_the_trail_and_stored_answers_follow(self):
        db = harness.Database()
        self.addCleanup(db.drop)
        migrate = test_reply_json.TestMigrationWithData.migrate_to
        migrate(self, db, 49)
        codes = [wf.credit_code(i) for i in (21, 22, 23)]
        db.query("INSERT INTO organizations (name, credit_code) VALUES ('A', '%s'), ('B', '%s'), "
                 "('C', '%s'); INSERT INTO users (kind, organization_id, name) SELECT 'member', "
                 "id, name FROM organizations" % tuple(codes))
        ids = [int(x) for x in db.query(
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM organizations").split(",")]
        users = {int(o): int(u) for o, u in (ln.split("|") for ln in db.query(
            "SELECT organization_id, id FROM users").splitlines())}
        a, b = ids[0], ids[1]
        pdf = b"%PDF-1.4\n% a stand-in document\n"
        parties = json.dumps([{"credit_code": codes[1], "role": "signer", "routing_order": 1},
                              {"credit_code": codes[2], "role": "cc"}])
        numbers = (1000000000000000201, 1000000000000000202)
        create = ("SELECT contract_create(%d, %d, %d, 'C', NULL, NULL, '%s', '\\x%s', "
                  "encode(sha256('\\x%s'::bytea), 'hex'), 1, 'key-%d', '192.0.2.1', 'ua')")
        for n in numbers:
            db.query(create % (n, a, users[a], parties, pdf.hex(), pdf.hex(), n))
        n = numbers[0]
        db.query("SELECT contract_send(%d, %d, %d, NULL); SELECT contract_receive(%d, %d, %d, "
                 "NULL)" % (n, a, users[a], n, b, users[b]))
        docs = ("SELECT json_agg(contract_json(n, o) ORDER BY n, o) FROM unnest(ARRAY[%d, %d]) n, "
                "unnest(ARRAY[%s, NULL]::bigint[]) o" % (numbers + (",".join(map(str, ids)),)))
        before = json.loads(db.query(docs))
        self.assertEqual(len(before[0]["audit"]), 3)
        migrate(self, db, 999)
        after = json.loads(db.query(docs))
        self.assertEqual(len(after), len(before))
        for old, new in zip(before, after):
            want = {k: v for k, v in old.items() if k != "audit"}
            want.update(audit_count=len(old["audit"]),
                        audit_url="/api/v1/contracts/%s/audit" % old["number"])
            self.assertEqual(new, want)
            page = json.loads(db.query("SELECT contract_audit_json(%s, 0, 100)" % old["number"]))
            self.assertEqual(page, {"items": old["audit"], "next_cursor": None,
                                    "has_more": False})
        # the stored answer of a creation, replayed: the new document as it was then
        replay = json.loads(db.query(create % (n, a, users[a], parties, pdf.hex(), pdf.hex(),
                                               n)))
        self.assertTrue(replay["idempotent_replay"])
        self.assertNotIn("audit", replay)
        self.assertEqual((replay["audit_count"], replay["audit_url"], replay["status"]),
                         (1, "/api/v1/contracts/%d/audit" % n, "draft"))


if __name__ == "__main__":
    unittest.main()
