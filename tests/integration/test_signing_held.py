"""A prepare in one database trip (migration 036, issue 14): a process that holds the
contract's latest revision, a recent member session of the token and the seal builds
the update first and stores the session with one statement that checks what the load
checks. Every way that statement, or the worker, can find something else answers
exactly as a process that always loads first (one without a document cache): a key
revoked after a first signing, a seal revoked, replaced or changed, another revision
landed, out of turn, a withdrawn contract, another organization, a placement refused."""

import base64
import hashlib
import os
import re
import threading

import harness
from harness import der_of, run
import test_signing as ts
from test_signing import SigningCase


def setUpModule():
    ts.setUpModule()


def tearDownModule():
    ts.tearDownModule()


class PrepareHeld(SigningCase):
    tls = False

    def held(self, server=None):
        st, _, body, _ = (server or self.server).metrics()
        self.assertEqual(st, 200)
        got = []
        for result in ("one_trip", "fallback"):
            m = re.search(r'^sealpact_signing_prepares_held_total\{result="%s"\} (\d+)$'
                          % result, body.decode(), re.M)
            self.assertIsNotNone(m, body)
            got.append(int(m.group(1)))
        return tuple(got)

    def body(self, slug, seal=None, placements=None):
        crt, _ = ts.PKI.org_cert(slug, "rsa")
        return {"certificate": base64.b64encode(der_of(crt)).decode(),
                "chain": [base64.b64encode(der_of(ts.PKI.path("ca.pem"))).decode()],
                "placements": placements or [
                    {"mode": "normal", "seal": seal if seal is not None else "default",
                     "page": 1, "x": 400, "y": 120},
                    {"mode": "date", "page": 1, "x": 400, "y": 60}]}

    def prep(self, slug, n, server=None, **kw):
        return self.call(slug, "POST", "/api/v1/contracts/%s/signing-sessions" % n,
                         self.body(slug, **kw), server=server)

    def abort(self, slug, doc):
        st, _, _, got = self.call(slug, "DELETE", "/api/v1/signing-sessions/%s" % doc["session"])
        self.assertEqual(st, 200, got)

    def warm(self, slug, n, **kw):
        """A prepare that stores (and is aborted): the process holds the member session
        (and the seal) for the next one."""
        st, _, _, doc = self.prep(slug, n, **kw)
        self.assertEqual(st, 201, doc)
        self.abort(slug, doc)
        return doc

    def same_answer(self, slug, n, want, path, **kw):
        """The prepare here answers what a process that loads first answers (status,
        code, detail, WWW-Authenticate), storing nothing: in one trip when the load's
        checks refuse it, by the load after (fallback) when something else was held or
        the worker refused. Either way the try forgets the member session: the next
        prepare loads (warm() again)."""
        before = self.held()
        sessions = self.db.query("SELECT count(*) FROM signing_sessions")
        st, hdrs, _, doc = self.prep(slug, n, **kw)
        st2, hdrs2, _, doc2 = self.prep(slug, n, server=self.off, **kw)
        self.assertEqual(st, want, doc)
        self.assertEqual((st, doc.get("code"), doc.get("detail")),
                         (st2, doc2.get("code"), doc2.get("detail")))
        self.assertEqual(hdrs.get("www-authenticate"), hdrs2.get("www-authenticate"))
        self.assertEqual(hdrs.get("retry-after"), hdrs2.get("retry-after"))
        self.assertEqual(self.held(), (before[0] + (path == "one_trip"),
                                       before[1] + (path == "fallback")), path)
        self.assertEqual(self.db.query("SELECT count(*) FROM signing_sessions"), sessions)
        return doc

    def seal_of(self, slug, png, name):
        """An approved seal of slug's organization (as a reviewer's approval leaves it)."""
        with open(png, "rb") as f:
            hexpng = f.read().hex()
        return self.db.query(
            "INSERT INTO seals (organization_id, name, type, image_png, valid_from, "
            "valid_until, certificate_id, status, seseal, image_source, approved_at) "
            "SELECT o.id, '%s', 'contract', decode('%s', 'hex'), now() - interval '1 day', "
            "now() + interval '1 year', (SELECT min(c.id) FROM certificates c WHERE "
            "c.organization_id = o.id), 'approved', '\\x01'::bytea, 'generated', now() "
            "FROM organizations o WHERE o.credit_code = '%s' RETURNING id"
            % (name, hexpng, self.orgs[slug]["credit_code"]))

    def contract(self, *signers):
        """A contract of the buyer's, sent, the first signer's received (held here: the
        upload was created here)."""
        n = self.create([(s, i + 1) for i, s in enumerate(signers)])
        self.act(signers[0], n, "receive")
        return n

    def prepared_events(self, n):
        return self.db.query(
            "SELECT string_agg(format('%%s %%s %%s %%s %%s', action, actor_org_id, "
            "actor_user_id, ip, (SELECT string_agg(k, ',' ORDER BY k) FROM "
            "jsonb_object_keys(details) k)), ';' ORDER BY seq) FROM audit_events WHERE "
            "contract_number = %s AND action = 'signing.prepared'" % n).split(";")

    def test_one_trip(self):
        """The second prepare of a member, of a contract and seal this process holds,
        takes one trip, answers as the first (a load's) did, writes the same audit
        event, and completes into a revision that verifies."""
        self.off = self.other("off", document_cache_mb=0)
        for slug in ("buyer", "supplier"):
            self.login_api(slug, "rsa")
        seal = self.seal_of("supplier", ts.SEAL, "Supplier contract seal")
        n = self.contract("supplier")
        self.assertEqual(self.held(), (0, 0))
        st, _, _, first = self.prep("supplier", n, seal=seal)
        self.assertEqual(st, 201, first)
        self.assertEqual(self.held(), (0, 0), "nothing held of the member: a load")
        st, _, _, doc = self.prep("supplier", n, seal=seal)
        self.assertEqual(st, 201, doc)
        self.assertEqual(self.held(), (1, 0), "the second prepare took one trip")
        self.assertEqual(list(doc), list(first))
        for k in ("seal", "algorithm", "rects", "base_seq", "certificate_id",
                  "certificate_subject", "date_seal_zone"):
            self.assertEqual(doc[k], first[k], k)
        self.assertEqual(doc["seal"]["id"], seal)
        ev = self.prepared_events(n)
        self.assertEqual(len(ev), 2)
        self.assertEqual(ev[0], ev[1])
        # a process without the document cache never takes it
        st, _, _, cold = self.prep("supplier", n, server=self.off, seal=seal)
        self.assertEqual(st, 201, cold)
        self.assertEqual(list(cold), list(first))
        self.assertEqual(self.held(self.off), (0, 0))
        self.abort("supplier", first)
        self.abort("supplier", cold)
        st, _, _, done = self.complete("supplier", doc["session"],
                                       self.token_sign("supplier", "rsa", doc))
        self.assertEqual(st, 200, done)
        self.assertEqual(done["seq"], 1)
        self.assertEqual(self.db.query(
            "SELECT seal_id FROM revisions WHERE contract_number = %s AND seq = 1" % n), seal)
        st, _, _, v = self.call("buyer", "GET", "/api/v1/contracts/%s/verification" % n)
        self.assertEqual(st, 200, v)
        st, _, _, v2 = self.call("buyer", "GET", "/api/v1/contracts/%s/verification" % n,
                                 server=self.off)
        self.assertEqual(v, v2)
        self.assertEqual(self.db.query("SELECT valid FROM audit_chain_verify(%s)" % n), "t")

    def test_every_fallback_answers_as_a_load(self):
        self.off = self.other("off", document_cache_mb=0)
        for slug in ("buyer", "supplier", "logistics"):
            self.login_api(slug, "rsa")
        seal = self.seal_of("supplier", ts.SEAL, "Supplier contract seal")

        # Out of turn: logistics is second on n (its member session held from a prepare
        # of another contract, n held since its upload).
        m = self.contract("logistics")
        self.warm("logistics", m)
        n = self.contract("supplier", "logistics")
        self.assertEqual(self.same_answer("logistics", n, 409, "one_trip")["code"], "out_of_turn")
        # Another organization's contract: not there for it.
        k = self.contract("buyer")
        self.warm("logistics", m)
        self.assertEqual(self.same_answer("logistics", k, 404, "one_trip")["detail"], "no such contract")
        # A placement the worker refuses: refused after the load, as always.
        self.warm("logistics", m)
        self.assertEqual(self.same_answer(
            "logistics", m, 422, "fallback", placements=[{"mode": "keyword", "seal": "default",
                                              "keyword": "no such words here"}])["code"],
            "keyword_not_found")

        # Another revision landed: the supplier signs n in another process; this one
        # still holds the upload, falls back, prepares on revision 1 and keeps it; the
        # next prepare is one trip again.
        p = self.other("p2")
        st, _, _, d1 = self.prep("supplier", n, server=p)
        self.assertEqual(st, 201, d1)
        st, _, _, done = self.complete("supplier", d1["session"],
                                       self.token_sign("supplier", "rsa", d1), server=p)
        self.assertEqual((st, done.get("seq")), (200, 1), done)
        self.act("supplier", n, "send")
        self.act("logistics", n, "receive")
        self.warm("logistics", m)
        before = self.held()
        st, _, _, d2 = self.prep("logistics", n)
        self.assertEqual((st, d2.get("base_seq")), (201, 1), d2)
        self.assertEqual(self.held(), (before[0], before[1] + 1))
        st, _, _, d3 = self.prep("logistics", n)
        self.assertEqual((st, d3.get("base_seq")), (201, 1), d3)
        self.assertEqual(self.held(), (before[0] + 1, before[1] + 1))
        self.abort("logistics", d2)
        self.abort("logistics", d3)

        # The seal: its facts changed, its picture changed, replaced, revoked.
        c = self.contract("supplier")
        self.warm("supplier", c, seal=seal)
        self.db.query("UPDATE seals SET name = 'Renamed seal' WHERE id = %s" % seal)
        before = self.held()
        st, _, _, doc = self.prep("supplier", c, seal=seal)
        self.assertEqual(st, 201, doc)
        self.assertEqual(doc["seal"]["name"], "Renamed seal", "the stored facts, not the held")
        self.assertEqual(self.held(), (before[0], before[1] + 1))
        self.abort("supplier", doc)
        other_png = os.path.join(self.tmp, "seal2.png")
        run(["python3", os.path.join(harness.SOURCE_DIR, "deploy", "seal.py"), other_png, "90"])
        self.warm("supplier", c, seal=seal)
        with open(other_png, "rb") as f:
            self.db.query("UPDATE seals SET image_png = decode('%s', 'hex') WHERE id = %s"
                          % (f.read().hex(), seal))
        before = self.held()
        st, _, _, doc = self.prep("supplier", c, seal=seal)
        self.assertEqual(st, 201, doc)
        self.assertEqual(self.held(), (before[0], before[1] + 1), "another picture: a load")
        self.abort("supplier", doc)
        self.warm("supplier", c, seal=seal)
        seal2 = self.seal_of("supplier", other_png, "Supplier seal 2")
        self.db.query("UPDATE seals SET status = 'revoked', revoked_at = now(), "
                      "replaced_by = %s WHERE id = %s" % (seal2, seal))
        doc = self.same_answer("supplier", c, 409, "one_trip", seal=seal)
        self.assertEqual(doc["code"], "seal_revoked")
        self.assertIn("replaced by seal %s" % seal2, doc["detail"])
        self.warm("supplier", c, seal=seal2)
        self.db.query("UPDATE seals SET status = 'revoked', revoked_at = now() WHERE id = %s"
                      % seal2)
        self.assertEqual(self.same_answer("supplier", c, 409, "one_trip", seal=seal2)["code"],
                         "seal_revoked")

        # The contract withdrawn by its initiator.
        self.warm("supplier", c)
        st, _, _, got = self.call("buyer", "POST", "/api/v1/contracts/%s/cancel" % c)
        self.assertEqual(st, 200, got)
        self.same_answer("supplier", c, 409, "one_trip")

        # The key revoked after a first signing: the member session ends (logout); then
        # the certificate a new one logged in with is revoked on the platform.
        e = self.contract("supplier")
        self.warm("supplier", e)
        st, _, _, got = self.call("supplier", "POST", "/api/v1/auth/logout")
        self.assertEqual(st, 200, got)
        self.assertEqual(self.same_answer("supplier", e, 401, "one_trip")["code"], "unauthorized")
        self.login_api("supplier", "rsa")
        self.warm("supplier", e)
        self.warm("supplier", e)
        self.db.query("UPDATE certificates SET revoked_at = now() WHERE organization_id = "
                      "(SELECT id FROM organizations WHERE credit_code = '%s')"
                      % self.orgs["supplier"]["credit_code"])
        self.assertEqual(self.same_answer("supplier", e, 401, "one_trip")["code"], "unauthorized")

        for num in (n, m, k, c, e):
            self.assertEqual(self.db.query("SELECT valid FROM audit_chain_verify(%s)" % num),
                             "t", num)

    def test_create_refusals_after_the_checks(self):
        """After the load's checks the one statement is the create: its refusal of a 21st
        open session of a party is the create's; the worker's refusal of another
        organization's certificate comes after the load, as always."""
        self.off = self.other("off", document_cache_mb=0)
        for slug in ("buyer", "supplier"):
            self.login_api(slug, "rsa")
        n = self.contract("supplier")
        opened = []
        for i in range(20):
            st, _, _, doc = self.prep("supplier", n)
            self.assertEqual(st, 201, doc)
            opened.append(doc)
        self.assertEqual(self.held(), (19, 0))
        doc = self.same_answer("supplier", n, 409, "one_trip")
        self.assertEqual(doc["detail"],
                         "this party has 20 open signing sessions; complete or abort one")
        for doc in opened:
            self.abort("supplier", doc)
        # the logistics organization's certificate presented by the supplier's member: the
        # worker refuses it (it would name another organization at the create, too)
        self.warm("supplier", n)
        crt, _ = ts.PKI.org_cert("logistics", "rsa")
        body = self.body("supplier")
        body["certificate"] = base64.b64encode(der_of(crt)).decode()
        before = self.held()
        st, _, _, doc = self.call("supplier", "POST", "/api/v1/contracts/%s/signing-sessions"
                                  % n, body)
        st2, _, _, doc2 = self.call("supplier", "POST",
                                    "/api/v1/contracts/%s/signing-sessions" % n, body,
                                    server=self.off)
        self.assertEqual((st, doc.get("code"), doc.get("detail")),
                         (st2, doc2.get("code"), doc2.get("detail")))
        self.assertEqual((st, doc["code"]), (422, "certificate_not_yours"), doc)
        self.assertEqual(self.held(), (before[0], before[1] + 1), "the worker refused it")
        self.assertEqual(self.db.query("SELECT valid FROM audit_chain_verify(%s)" % n), "t")


class RoomAfterHeld(SigningCase):
    """A completion writes its update where the held revision ends, in the room after it,
    and the stored revision stays on that buffer (server/state/doc_cache.c): the room is
    lent to one completion at a time. Two parallel signers completing at once on the same
    held revision: one stores, the other is told another revision landed; prepared again
    on the stored one, its completion writes in the room the first left. Every stored
    revision is what was replied, its bytes whole, its verification the fresh one, for
    B-T and B-LT (the DSS update written in the room too)."""
    tls = False
    signing_extra = {"level": "B-LT"}

    def received(self, *slugs):
        n = self.create([(s, 1) for s in slugs])
        for s in slugs:
            self.act(s, n, "receive")
        return n

    def stored_whole(self, n, doc):
        row = self.db.query("SELECT length || ' ' || sha256 FROM revisions WHERE "
                            "contract_number = %s AND seq = %d" % (n, doc["seq"])).split()
        self.assertEqual((int(row[0]), row[1]), (doc["length"], doc["sha256"]))
        st, _, data, _ = self.call("buyer", "GET", "/api/v1/contracts/%s/revisions/%d/document"
                                   % (n, doc["seq"]))
        self.assertEqual(st, 200)
        self.assertEqual(hashlib.sha256(data).hexdigest(), doc["sha256"])

    def test_parallel_signers_on_one_held_revision(self):
        for slug, alg in (("buyer", "rsa"), ("supplier", "rsa"), ("logistics", "ec")):
            self.login_api(slug, alg)
        algs = {"supplier": "rsa", "logistics": "ec"}
        for _ in range(3):
            n = self.received("supplier", "logistics")
            preps = {s: self.prepared(s, n, algs[s]) for s in algs}
            sigs = {s: self.token_sign(s, algs[s], preps[s]) for s in algs}
            gate = threading.Barrier(2)

            def one(slug):
                gate.wait(timeout=30)
                st, _, _, doc = self.complete(slug, preps[slug]["session"], sigs[slug])
                return slug, st, doc

            got = sorted(harness.parallel(2, lambda i: one(("supplier", "logistics")[i])),
                         key=lambda x: x[1])
            (won, st1, doc1), (lost, st2, doc2) = got
            self.assertEqual(st1, 200, doc1)
            self.assertEqual((st2, doc2.get("code")), (409, "stale_revision"), doc2)
            self.assertEqual(doc1["seq"], 1)
            self.stored_whole(n, doc1)
            # the other signer again, on the revision just stored here
            prep = self.prepared(lost, n, algs[lost])
            st, _, _, doc = self.complete(lost, prep["session"],
                                          self.token_sign(lost, algs[lost], prep))
            self.assertEqual(st, 200, doc)
            self.assertEqual(doc["seq"], 2)
            self.stored_whole(n, doc)
            st, _, _, kept = self.call("buyer", "GET", "/api/v1/contracts/%s/verification" % n)
            self.assertEqual(st, 200, kept)
            st, _, _, fresh = self.call("buyer", "GET",
                                        "/api/v1/contracts/%s/verification?fresh=true" % n)
            self.assertEqual(st, 200, fresh)
            self.assertEqual(kept, fresh)
            self.assertEqual(len(fresh["signatures"]), 2, fresh)
            for sig in fresh["signatures"]:
                self.assertIn(sig["verdict"], ("valid", "valid_with_allowed_changes"), sig)
                self.assertTrue(sig["checks"]["signature"], sig)
            self.assertEqual(self.db.query("SELECT valid FROM audit_chain_verify(%s)" % n),
                             "t")


    def test_one_buffer_for_every_signer_left(self):
        """The first completion here leaves room after the document for the updates of
        every signer still to come (as signing_session_create's statement, or the claim,
        counted them), so each later completion writes in it and none copies the whole
        document into a larger buffer (issue 14: the 11th and 20th of 20 signings each
        paid that copy). The buffer (/metrics: document + room) stays the one the first
        completion made, while every stored revision is whole and verifies."""
        algs = (("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa"))
        for slug, alg in algs:
            self.login_api(slug, alg)
        n = self.create([(s, i + 1) for i, (s, _) in enumerate(algs)])
        buffers = []
        for slug, alg in algs:
            self.act(slug, n, "receive")
            prep = self.prepared(slug, n, alg)
            st, _, _, doc = self.complete(slug, prep["session"],
                                          self.token_sign(slug, alg, prep))
            self.assertEqual(st, 200, doc)
            self.stored_whole(n, doc)
            st, _, body, _ = self.server.metrics()
            self.assertEqual(st, 200)
            held = {m.group(1): int(m.group(2)) for m in re.finditer(
                r'^sealpact_doc_cache_bytes\{part="([a-z_]+)"\} (\d+)$', body.decode(), re.M)}
            buffers.append((doc["seq"], held["document"] + held["room"]))
            self.act(slug, n, "send")
        first = buffers[0][1]
        self.assertEqual(buffers, [(k + 1, first) for k in range(len(algs))],
                         "the document was copied into a larger buffer by a later signer")
        st, _, _, fresh = self.call("buyer", "GET",
                                    "/api/v1/contracts/%s/verification?fresh=true" % n)
        self.assertEqual(st, 200, fresh)
        self.assertEqual(len(fresh["signatures"]), len(algs), fresh)
        for sig in fresh["signatures"]:
            self.assertIn(sig["verdict"], ("valid", "valid_with_allowed_changes"), sig)


class RoomAfterHeldBT(RoomAfterHeld):
    signing_extra = {"level": "B-T"}
