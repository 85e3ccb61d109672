"""The contract document every state change answers with (migrations 017, 038; issue 14).

017 renders each audit event's JSON once, when the event is inserted
(audit_events.trail), and builds the contract as json text instead of jsonb.
These tests hold the answers to what 014 answered: the replies of the
workflow steps, GET of the contract and 014's contract_json (run from the
text of migrations/014 in a temporary function) carry the same document,
event by event; the chain still verifies, and a rendering that no longer
matches its event is caught by /audit/verify. TestMigrationWithData applies
017 to a database that already has contracts and checks the events written
before it got their rendering; and 038 (each party's and revision's entry
stored with its row) to one with a 19-signature contract and a rejected one,
checking every caller's document byte for byte before and after it. Both
migrate up to 049: 050 (test_audit_trail.py) replaced the document's trail by
its length and URL, and these tests read 014's events through GET .../audit.

Set-up as test_workflow.py (organizations and sessions by SQL, signatures
stored through party_mark_signed()).
"""

import json
import os
import re
import shutil
import tempfile
import unittest

import harness
import test_workflow as wf
from harness import SOURCE_DIR

MIGRATIONS = os.path.join(SOURCE_DIR, "migrations")


def contract_json_014():
    """014's contract_json as a temporary function pg_temp.contract_json_014."""
    with open(os.path.join(MIGRATIONS, "014_one_trip.sql")) as f:
        text = f.read()
    m = re.search(r"CREATE OR REPLACE FUNCTION contract_json\(.*?\n\$\$;", text, re.S)
    return m.group(0).replace("FUNCTION contract_json(", "FUNCTION pg_temp.contract_json_014(")


def same_as_014(db, number, orgs):
    """Whether contract_json is 014's document for each organization (as jsonb), but
    for the trail (050): 014's "audit" is now "audit_count" (its length) and
    "audit_url", and the events GET .../audit pages (contract_audit_json) are 014's."""
    return db.query(contract_json_014() + "; SELECT bool_and(contract_json(%s, o)::jsonb = "
                    "(d - 'audit') || jsonb_build_object('audit_count', "
                    "jsonb_array_length(d -> 'audit'), 'audit_url', '/api/v1/contracts/' || "
                    "(d ->> 'number') || '/audit') AND contract_audit_json(%s, 0, 100)::jsonb "
                    "-> 'items' = d -> 'audit') FROM unnest(ARRAY[%s]::bigint[]) o, "
                    "pg_temp.contract_json_014(%s, o) d"
                    % (number, number, ",".join(str(o) for o in orgs), number))


class TestReplyJson(wf.WorkflowCase):
    def test_replies_get_and_014_carry_the_same_trail(self):
        orgs = [self.a, self.s1, self.s2, self.cc]
        n = self.created()["number"]
        replies = [(self.a, self.act(self.a, n, "send"))]
        for s in (self.s1, self.s2):
            replies.append((s, self.act(s, n, "receive")))
            replies.append((s, self.sign(s, n)))
            replies.append((s, self.act(s, n, "send")))
            # The reply of the last step is the contract as GET shows it now, whole.
            self.assertEqual(self.detail(s, n), replies[-1][1])
        self.assertEqual(replies[-1][1]["status"], "completed")
        get = {o.code: self.detail(o, n) for o in orgs}
        trail = self.trail(self.a, n)
        self.assertEqual(len(trail), 10)
        self.assertEqual([e["seq"] for e in trail], list(range(1, 11)))
        # Each reply counts the trail as it stood, its last event the replying
        # organization's own step.
        counts = [doc["audit_count"] for _, doc in replies]
        self.assertEqual(counts, sorted(set(counts)), counts)
        for org, doc in replies:
            self.assertEqual(doc["audit_url"], "/api/v1/contracts/%s/audit" % n)
            self.assertEqual(trail[doc["audit_count"] - 1]["actor"], org.code, counts)
        # Every organization sees the same trail; 014's document is the same for each.
        for o in orgs:
            self.assertEqual(get[o.code]["audit_count"], 10)
            self.assertEqual(self.trail(o, n, limit=3), trail)
        self.assertEqual(same_as_014(self.db, n, [o.id for o in orgs]), "t")
        # Each event as the table holds it: its hash, actor, time and details.
        rows = self.db.query(
            "SELECT json_agg(json_build_object('seq', a.seq, 'hash', encode(a.hash, 'hex'), "
            "'actor', o.credit_code, 'details', a.details, 'action', a.action) ORDER BY a.seq) "
            "FROM audit_events a LEFT JOIN organizations o ON o.id = a.actor_org_id "
            "WHERE a.contract_number = %s" % n)
        for e, r in zip(trail, json.loads(rows)):
            self.assertEqual({k: e[k] for k in r}, r)
        st, _, _, v = self.call(self.cc, "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual(st, 200, v)
        self.assertEqual((v["valid"], v["events"]), (True, 10), v)
        # The document is json text as PostgreSQL made it: each event once, compact.
        text = self.db.query("SELECT contract_json(%s, %d)::text" % (n, self.a.id))
        self.assertEqual(json.loads(text), get[self.a.code])
        self.assertNotIn("\n", text)

    def test_rendering_that_differs_from_its_event_is_caught(self):
        n = self.created()["number"]
        self.act(self.a, n, "send")
        self.act(self.s1, n, "receive")
        # The rendering is as append-only as the event.
        with self.assertRaises(RuntimeError) as e:
            self.db.query("UPDATE audit_events SET trail = '{}' WHERE contract_number = %s" % n)
        self.assertIn("append-only", str(e.exception))
        # A superuser bypassing the trigger: the hash still matches the event, the trail
        # shown does not, and the re-check says so at that event.
        self.db.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_immutable; "
                      "UPDATE audit_events SET trail = jsonb_set(trail::jsonb, '{action}', "
                      "'\"contract.cancelled\"')::json WHERE contract_number = %s AND seq = 2; "
                      "ALTER TABLE audit_events ENABLE TRIGGER audit_events_immutable" % n)
        self.assertEqual(self.trail(self.a, n)[1]["action"], "contract.cancelled")
        st, _, _, v = self.call(self.a, "GET", "/api/v1/contracts/%s/audit/verify" % n)
        self.assertEqual(st, 200, v)
        self.assertEqual((v["valid"], v["first_bad_seq"]), (False, 2), v)
        self.assertIn("trail", v["reason"])

    def test_credit_code_cannot_change(self):
        n = self.created()["number"]
        self.act(self.a, n, "send")
        with self.assertRaises(RuntimeError) as e:
            self.db.query("UPDATE organizations SET credit_code = '%s' WHERE id = %d"
                          % (wf.credit_code(77), self.s1.id))
        self.assertIn("credit code cannot change", str(e.exception))
        # Its name may change; the trail names organizations by code.
        self.db.query("UPDATE organizations SET name = 'Renamed' WHERE id = %d" % self.a.id)
        self.assertEqual(self.detail(self.a, n)["initiator"]["name"], "Renamed")
        self.assertEqual(same_as_014(self.db, n, [self.a.id]), "t")


class TestMigrationWithData(unittest.TestCase):
    """017 and 038 applied to a database whose contracts were written before them (up
    to 049: the document as it was until 050)."""

    def migrate_to(self, db, last):
        tmp = tempfile.mkdtemp(prefix="sealpact-mig.")
        self.addCleanup(shutil.rmtree, tmp, True)
        for f in sorted(os.listdir(MIGRATIONS)):
            if f.endswith(".sql") and int(f[:3]) <= last:
                shutil.copy(os.path.join(MIGRATIONS, f), tmp)
        harness.run([harness.SEALPACTD, "migrate"], env=harness.clean_env({
            "SEALPACT_DATABASE_URL": db.url, "SEALPACT_SERVER_TLS": "false",
            "SEALPACT_MIGRATIONS_DIR": tmp}))

    def test_existing_events_get_their_rendering(self):
        db = harness.Database()
        self.addCleanup(db.drop)
        self.migrate_to(db, 16)
        codes = [wf.credit_code(i) for i in (11, 12, 13)]
        db.query("INSERT INTO organizations (name, credit_code) VALUES ('A', '%s'), ('B', '%s'), "
                 "('C', '%s'); INSERT INTO users (kind, organization_id, name) SELECT 'member', "
                 "id, name FROM organizations" % tuple(codes))
        pdf = b"%PDF-1.4\n% a stand-in document\n"
        parties = json.dumps([{"credit_code": codes[1], "role": "signer", "routing_order": 1},
                              {"credit_code": codes[2], "role": "cc"}])
        ids = db.query("SELECT string_agg(id::text, ',' ORDER BY id) FROM organizations").split(",")
        a, b = int(ids[0]), int(ids[1])
        for i, n in enumerate((1000000000000000001, 1000000000000000002)):
            db.query("SELECT contract_create(%d, %d, %d, 'C%d', NULL, NULL, '%s', '\\x%s', "
                     "encode(sha256('\\x%s'::bytea), 'hex'), 1, NULL, '192.0.2.1', 'ua \"q\"')"
                     % (n, a, a, i, parties, pdf.hex(), pdf.hex()))
            db.query("SELECT contract_send(%d, %d, %d, NULL); "
                     "SELECT contract_receive(%d, %d, %d, NULL)" % (n, a, a, n, b, b))
        before = db.query("SELECT json_agg(contract_json(n, o) ORDER BY n, o) FROM "
                          "unnest(ARRAY[1000000000000000001, 1000000000000000002]) n, "
                          "unnest(ARRAY[%s]::bigint[]) o" % ",".join(ids))
        self.migrate_to(db, 49)
        self.assertEqual(db.query("SELECT count(*) FILTER (WHERE trail IS NULL) || '/' || count(*) "
                                  "FROM audit_events"), "0/6")
        after = db.query("SELECT json_agg(contract_json(n, o) ORDER BY n, o) FROM "
                         "unnest(ARRAY[1000000000000000001, 1000000000000000002]) n, "
                         "unnest(ARRAY[%s]::bigint[]) o" % ",".join(ids))
        self.assertEqual(json.loads(after), json.loads(before))
        self.assertEqual(db.query("SELECT bool_and(v.valid) FROM unnest(ARRAY["
                                  "1000000000000000001, 1000000000000000002]) n, "
                                  "audit_chain_verify(n) v"), "t")
        # New events are rendered by the chain trigger, old and new in one trail.
        db.query("SELECT contract_reject(1000000000000000001, %d, %d, 'no', NULL)" % (b, b))
        doc = json.loads(db.query("SELECT contract_json(1000000000000000001, %d)" % a))
        self.assertEqual([e["action"] for e in doc["audit"]],
                         ["contract.created", "contract.sent", "party.received",
                          "contract.rejected"])
        self.assertEqual(doc["audit"][3]["details"], {"reason": "no"})
        self.assertEqual(db.query("SELECT valid FROM audit_chain_verify(1000000000000000001)"), "t")

    def test_stored_entries_keep_the_document(self):
        """038 on a database with a 19-signature contract and a rejected one: each contract's
        document, for every caller, is the same text byte for byte after it, and after
        further signings, a rejection and a renamed organization it is 028's text."""
        db = harness.Database()
        self.addCleanup(db.drop)
        self.migrate_to(db, 37)
        # names json must escape: quotes, a backslash, a control character, CJK
        names = ["Init \"A\" \\ 发起方"] + ["签署方 %d \"q\"\t" % i for i in range(1, 21)] + ["CC"]
        codes = [wf.credit_code(100 + i) for i in range(len(names))]
        db.query("INSERT INTO organizations (name, credit_code) SELECT * FROM unnest(%s, %s); "
                 "INSERT INTO users (kind, organization_id, name) SELECT 'member', id, name "
                 "FROM organizations" % (sql_array(names), sql_array(codes)))
        ids = [int(x) for x in db.query("SELECT string_agg(id::text, ',' ORDER BY id) "
                                        "FROM organizations").split(",")]
        users = {int(o): int(u) for o, u in (ln.split("|") for ln in db.query(
            "SELECT organization_id, id FROM users").splitlines())}
        a, signers = ids[0], ids[1:21]
        pdf = b"%PDF-1.4\n% a stand-in document\n"
        big, small = 1000000000000000101, 1000000000000000102

        def create(n, parties):
            db.query("SELECT contract_create(%d, %d, %d, 'C %d', NULL, NULL, '%s', '\\x%s', "
                     "encode(sha256('\\x%s'::bytea), 'hex'), 1, NULL, '192.0.2.1', 'ua'); "
                     "SELECT contract_send(%d, %d, %d, NULL)"
                     % (n, a, users[a], n, json.dumps(parties), pdf.hex(), pdf.hex(), n, a,
                        users[a]))

        def sign(n, org):
            seq, length = db.query("SELECT seq || ' ' || length FROM revisions WHERE "
                                   "contract_number = %d ORDER BY seq DESC LIMIT 1"
                                   % n).split()
            delta = ("\n%% signature %s\n" % org).encode()
            db.query("SELECT contract_receive(%d, %d, %d, NULL); SELECT party_mark_signed(%d, "
                     "%d, %d, %d, '\\x%s', %d, '%s', %d, NULL); SELECT contract_send(%d, %d, %d, "
                     "NULL)" % (n, org, users[org], n, org, users[org], int(seq) + 1, delta.hex(),
                                int(length) + len(delta), "%064x" % (int(seq) + 1), 1, n, org,
                                users[org]))

        create(big, [{"credit_code": c, "role": "signer", "routing_order": 1}
                     for c in codes[1:21]] + [{"credit_code": codes[21], "role": "cc"}])
        for org in signers[:19]:
            sign(big, org)
        create(small, [{"credit_code": codes[1], "role": "signer", "routing_order": 1},
                       {"credit_code": codes[2], "role": "signer", "routing_order": 2}])
        sign(small, signers[0])
        db.query("SELECT contract_receive(%d, %d, %d, NULL); SELECT contract_reject(%d, %d, %d, "
                 "'不同意 \"价格\" \\ x', NULL)" % (small, signers[1], users[signers[1]], small,
                                                  signers[1], users[signers[1]]))
        docs = ("SELECT string_agg(contract_json(n, o)::text, E'\\n' ORDER BY n, o) FROM "
                "unnest(ARRAY[%d, %d]) n, unnest(ARRAY[%s, NULL]::bigint[]) o"
                % (big, small, ",".join(map(str, ids))))
        before = db.query(docs)
        self.assertEqual(len(json.loads(before.split("\n")[0])["revisions"]), 20)
        self.migrate_to(db, 49)
        self.assertEqual(db.query(docs), before)
        self.assertEqual(db.query("SELECT (SELECT count(*) FROM parties WHERE listed IS NULL) + "
                                  "(SELECT count(*) FROM revisions WHERE listed IS NULL)"), "0")
        # written after 038: a 20th signature, a renamed organization; as 028 renders them
        sign(big, signers[19])
        db.query("UPDATE organizations SET name = 'Renamed \"%s\"' WHERE id = %d"
                 % (codes[3], signers[2]))
        with open(os.path.join(MIGRATIONS, "028_signing_fewer_statements.sql")) as f:
            m = re.search(r"CREATE OR REPLACE FUNCTION contract_json\(.*?\n\$\$;", f.read(), re.S)
        old = m.group(0).replace("FUNCTION contract_json(", "FUNCTION pg_temp.contract_json_028(")
        same = db.query(old + "; SELECT count(*) FILTER (WHERE contract_json(n, o)::text = "
                        "pg_temp.contract_json_028(n, o)::text) || '/' || count(*) FROM "
                        "unnest(ARRAY[%d, %d]) n, unnest(ARRAY[%s, NULL]::bigint[]) o"
                        % (big, small, ",".join(map(str, ids))))
        self.assertEqual(same, "%d/%d" % (2 * (len(ids) + 1), 2 * (len(ids) + 1)))
        doc = json.loads(db.query("SELECT contract_json(%d, %d)" % (big, signers[2])))
        self.assertEqual(len(doc["revisions"]), 21)
        me = [p for p in doc["parties"] if p["is_me"]]
        self.assertEqual([p["name"] for p in me], ['Renamed "%s"' % codes[3]])


def sql_array(values):
    """A text[] literal of values, each quoted for SQL."""
    return "ARRAY[%s]::text[]" % ", ".join("'%s'" % v.replace("'", "''") for v in values)


if __name__ == "__main__":
    unittest.main()
