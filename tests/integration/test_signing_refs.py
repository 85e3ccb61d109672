"""What a stored revision refers to, stored with it (migration 067): a completion in a
process that does not hold the base's set (a restart, another process: processes are
stateless) reads the set the completion that stored the base packed, with the claim,
instead of walking the whole base with qpdf; a stored set that is not for the base's
very bytes is refused and the base walked, and the signing goes on as before. Since
migration 070 the upload's set (revision 0) is stored too, by the statement that creates
the contract (UploadRefs)."""

import base64
import re

from harness import der_of

import test_signing as ts
from test_signing import SigningCase


def setUpModule():
    ts.setUpModule()


def tearDownModule():
    ts.tearDownModule()


class RefsCase(SigningCase):
    """What the cases share: the counters, the stored sets, a contract of three signers."""
    tls = False
    signing_extra = {"level": "B-T"}

    def stored(self, server):
        st, _, body, _ = server.metrics()
        self.assertEqual(st, 200)
        got = {}
        for result in ("used", "refused"):
            m = re.search(r'^sealpact_signing_base_refs_stored_total\{result="%s"\} (\d+)$'
                          % result, body.decode(), re.M)
            self.assertIsNotNone(m, body)
            got[result] = int(m.group(1))
        return got

    def refs_held(self, server):
        """Entries of server's revision_refs cache, and its lookups (hit, miss)."""
        st, _, body, _ = server.metrics()
        self.assertEqual(st, 200)
        text = body.decode()
        got = []
        for pat in (r'^sealpact_cache_entries\{cache="revision_refs"\} (\d+)$',
                    r'^sealpact_cache_lookups_total\{cache="revision_refs",result="hit"\} (\d+)$',
                    r'^sealpact_cache_lookups_total\{cache="revision_refs",result="miss"\} '
                    r'(\d+)$'):
            m = re.search(pat, text, re.M)
            self.assertIsNotNone(m, pat)
            got.append(int(m.group(1)))
        return tuple(got)

    def refs_of(self, n, seq):
        """revisions.refs of (n, seq) as bytes (None: NULL)."""
        v = self.db.query("SELECT encode(refs, 'hex') FROM revisions WHERE contract_number = "
                          "%s AND seq = %d" % (n, seq))
        return bytes.fromhex(v) if v else None

    def set_refs(self, n, seq, value):
        """An operator's edit of a stored revision's set (revisions_immutable off for it)."""
        self.db.query("ALTER TABLE revisions DISABLE TRIGGER revisions_immutable; UPDATE "
                      "revisions SET refs = '\\x%s'::bytea WHERE contract_number = %s AND "
                      "seq = %d; ALTER TABLE revisions ENABLE TRIGGER revisions_immutable"
                      % (value.hex(), n, seq))
        self.assertEqual(self.refs_of(n, seq), value)

    def sign(self, slug, alg, n, prep_at, done_at):
        """Received, prepared at prep_at, completed at done_at, sent: the completion's
        reply, with (stored counts, refs cache) of done_at before and after it."""
        self.act(slug, n, "receive")
        return self.complete_at(slug, alg, n, self.prepared_at(slug, alg, n, prep_at), done_at)

    def complete_at(self, slug, alg, n, prep, done_at):
        """The completion of prep at done_at, then sent: sign()'s answer."""
        before = (self.stored(done_at), self.refs_held(done_at))
        st, _, _, doc = self.complete(slug, prep["session"], self.token_sign(slug, alg, prep),
                                      server=done_at)
        self.assertEqual(st, 200, doc)
        after = (self.stored(done_at), self.refs_held(done_at))
        self.act(slug, n, "send")
        return doc, before, after

    def prepared_at(self, slug, alg, n, server):
        st, _, _, doc = self.prepare(slug, n, alg) if server is self.server else \
            self.prepare_on(slug, n, alg, server)
        self.assertEqual(st, 201, doc)
        return doc

    def prepare_on(self, slug, n, alg, server):
        crt, _ = ts.PKI.org_cert(slug, alg)
        body = {"certificate": base64.b64encode(der_of(crt)).decode(),
                "chain": [base64.b64encode(der_of(ts.PKI.path("ca.pem"))).decode()],
                "placements": [{"mode": "normal", "seal": "default", "page": 1, "x": 400,
                                "y": 120}]}
        return self.call(slug, "POST", "/api/v1/contracts/%s/signing-sessions" % n, body,
                         server=server)

    def restart(self, server):
        server.stop()
        server.start()

    def assert_stored_for(self, n, seq, sha256):
        """(n, seq) stores a set packed for sha256 (its bytes' SHA-256), and small."""
        v = self.refs_of(n, seq)
        self.assertIsNotNone(v, "revision %d stored no references" % seq)
        self.assertEqual(v[:4], b"SPR1")
        self.assertEqual(v[4:36].hex(), sha256, "bound to the stored bytes")
        self.assertLess(len(v), 256, v)

    def assert_read_stored(self, doc, before, after):
        """sign()'s answer where the completing process held nothing: its cache missed and
        the stored set was used (the base not walked). The completion's reply."""
        self.assertEqual((after[1][1] - before[1][1], after[1][2] - before[1][2]), (0, 1),
                         "the completing process's cache held nothing")
        self.assertEqual((after[0]["used"] - before[0]["used"],
                          after[0]["refused"] - before[0]["refused"]), (1, 0))
        return doc

    def signed_after_restart(self, slug, alg, n, server):
        """server restarted, then n received, prepared and completed there: the prepare
        loaded the base and kept its stored set, which the completion found in the
        cache. The completion's reply."""
        self.restart(server)
        self.assertEqual(self.refs_held(server), (0, 0, 0))
        self.act(slug, n, "receive")
        prep = self.prepared_at(slug, alg, n, server)
        self.assertEqual(self.refs_held(server), (1, 0, 0), "the prepare kept the stored set")
        st, _, _, doc = self.complete(slug, prep["session"], self.token_sign(slug, alg, prep),
                                      server=server)
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.refs_held(server)[1:], (1, 0), "the completion found it")
        return doc

    def assert_three_valid(self, n):
        """n verified fresh: its three signers' signatures each valid (with allowed
        changes), and at B-LTA the last signer's document timestamp besides."""
        st, _, _, rep = self.call("buyer", "GET", "/api/v1/contracts/%s/verification?fresh=true"
                                  % n)
        self.assertEqual(st, 200, rep)
        self.assertEqual(len([s for s in rep["signatures"] if not s["doc_timestamp"]]), 3, rep)
        for s in rep["signatures"]:
            self.assertIn(s["verdict"], ("valid", "valid_with_allowed_changes"), rep)

    def contract(self):
        signers = (("supplier", "rsa"), ("logistics", "ec"), ("buyer", "rsa"))
        for slug, alg in signers:
            self.login_api(slug, alg)
        return self.create([(slug, i + 1) for i, (slug, _) in enumerate(signers)])


class StoredRefs(RefsCase):
    def test_a_fresh_process_reads_the_set_stored_with_the_base(self):
        a, b = self.server, self.other("b")
        n = self.contract()
        # the upload's, stored at its creation (070): see UploadRefs
        self.assertEqual(self.refs_of(n, 0)[:4], b"SPR1")
        doc, _, _ = self.sign("supplier", "rsa", n, a, a)
        # stored with revision 1, bound to its bytes, and small
        self.assert_stored_for(n, 1, doc["sha256"])

        # completed in a process that holds nothing (the claim's path): its cache misses,
        # the claim's set is used
        doc = self.assert_read_stored(*self.sign("logistics", "ec", n, a, b))
        self.assertEqual(self.refs_of(n, 2)[4:36].hex(), doc["sha256"])

        # prepared and completed in a restarted process (in one trip or not): the prepare
        # loaded the base and its set, which the completion finds in the cache
        doc = self.signed_after_restart("buyer", "rsa", n, a)
        self.assertEqual(self.stored(a), {"used": 0, "refused": 0})
        self.assertEqual(self.refs_of(n, 3)[4:36].hex(), doc["sha256"])

    def test_a_stored_set_not_for_the_base_is_walked(self):
        a, b = self.server, self.other("b")
        n = self.contract()
        self.sign("supplier", "rsa", n, a, a)
        r1 = self.refs_of(n, 1)
        # another revision's set (well formed, bound to other bytes)
        other = r1[:4] + bytes([r1[4] ^ 1]) + r1[5:]
        self.set_refs(n, 1, other)
        self.restart(a)
        self.act("logistics", n, "receive")
        prep = self.prepared_at("logistics", "ec", n, a)
        self.assertEqual(self.refs_held(a)[0], 0, "the prepare kept a set for other bytes")
        doc, before, after = self.complete_at("logistics", "ec", n, prep, b)
        self.assertEqual((after[0]["used"] - before[0]["used"],
                          after[0]["refused"] - before[0]["refused"]), (0, 1))
        self.assertTrue(any(e.get("msg") == "the base's stored references were refused"
                            and e.get("seq") == 1 for e in b.log_lines()), "no warning logged")
        # the walk's set is stored with revision 2, for its bytes
        r2 = self.refs_of(n, 2)
        self.assertEqual(r2[4:36].hex(), doc["sha256"])

        # a set cut by a byte: not whole
        self.set_refs(n, 2, r2[:-1])
        self.restart(b)
        doc, before, after = self.sign("buyer", "rsa", n, a, b)
        self.assertEqual((after[0]["used"] - before[0]["used"],
                          after[0]["refused"] - before[0]["refused"]), (0, 1))
        self.assertEqual(self.refs_of(n, 3)[4:36].hex(), doc["sha256"])
        # and the contract is what it would be without the edits
        self.assert_three_valid(n)


class UploadRefs(RefsCase):
    """The upload's set (revision 0), stored by the statement that creates the contract
    (migration 070): the first signature's completion in a process that did not create
    the contract reads it instead of walking the upload."""

    def upload_sha(self, n):
        return self.db.query("SELECT sha256 FROM revisions WHERE contract_number = %s AND "
                             "seq = 0" % n)

    def test_the_first_completion_in_a_fresh_process_reads_the_uploads_set(self):
        a, b = self.server, self.other("b")
        n = self.contract()
        self.assert_stored_for(n, 0, self.upload_sha(n))
        # prepared where the contract was created, completed in b, which holds nothing:
        # its cache misses and the stored set is used (the upload is not walked)
        doc = self.assert_read_stored(*self.sign("supplier", "rsa", n, a, b))
        self.assertEqual(self.refs_of(n, 1)[4:36].hex(), doc["sha256"])

        # a restarted process prepares the first signature of another contract: the
        # prepare keeps the upload's stored set, which its completion finds
        doc = self.signed_after_restart("supplier", "rsa", self.contract(), a)
        self.assertEqual(self.stored(a), {"used": 0, "refused": 0})

    def test_a_stored_upload_set_not_for_its_bytes_is_walked(self):
        a, b = self.server, self.other("b")
        n = self.contract()
        r0 = self.refs_of(n, 0)
        # another upload's set (well formed, bound to other bytes)
        self.set_refs(n, 0, r0[:4] + bytes([r0[4] ^ 1]) + r0[5:])
        doc, before, after = self.sign("supplier", "rsa", n, a, b)
        self.assertEqual((after[0]["used"] - before[0]["used"],
                          after[0]["refused"] - before[0]["refused"]), (0, 1))
        self.assertTrue(any(e.get("msg") == "the base's stored references were refused"
                            and e.get("seq") == 0 for e in b.log_lines()), "no warning logged")
        self.assertEqual(self.refs_of(n, 1)[4:36].hex(), doc["sha256"])
        # the signing goes on, and the contract is what it would be without the edit
        self.sign("logistics", "ec", n, a, b)
        self.sign("buyer", "rsa", n, a, b)
        self.assert_three_valid(n)


class StoredRefsLTA(StoredRefs):
    """The same at B-LTA: each stored revision ends with its DSS (and the last with a
    document timestamp), and the set stored is of those very bytes."""
    signing_extra = {"level": "B-LTA"}
