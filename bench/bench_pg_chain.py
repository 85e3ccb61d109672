#!/usr/bin/env python3
"""bench_pg_chain.py: PostgreSQL's CPU for a contract's k-th signing, k = 1..SIGNERS (issue 14).

    bench/bench_pg_chain.py [CONTRACTS] [SIGNERS] [MIGRATIONS_DIR]

A throwaway cluster with MIGRATIONS_DIR (default migrations/) applied by psql;
CONTRACTS contracts (+6 to warm the session up, not counted) of the 10-page
fixture, each with SIGNERS signers in one routing group, sent. Then for
k = 1..SIGNERS the k-th signer of every contract runs, through one psql
session, the statements the server sends for one signing: receive,
prepare's load (auth_member joined), signing_session_create, the claim
(auth_member joined), signing_session_complete_verified, send. Before 017 the
load and the claim return the document whole (signing_prepare_load_seal,
signing_session_claim); with 017 they return it in parts, as db/signing.c asks.

It prints, per k, the median over the contracts of each statement's CPU time
in the backend (/proc/self/schedstat around the statement, so the figures hold
on a shared machine where wall-clock times do not) and their sum; a VACUUM
before each k (not counted) stands for autovacuum. Documents and
JSON answers are measured by length, not printed; the parts are detoasted (as
sending them does). The update and the report are fixed bytes of realistic
size, as bench_pg_signing.py's; with BENCH_CHAIN_REPORT=FILE (a contract's
last stored report, revisions.verification) the k-th completion stores the
first bytes of FILE, as many as a k-th report has (they grow as bench_load.py
prints: 1089 bytes at k = 1, 57503 at k = 20, ~196 more per signature each
time), so that its writing grows with k as the server's does.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
WARM = 6

SETUP = r"""
CREATE TABLE bench_blob (delta bytea, signed bytea, attrs bytea, chain bytea, cert bytea,
	report text);
INSERT INTO bench_blob
SELECT head || img || convert_to(repeat('0', 9930), 'UTF8') || tail,
	head || img || convert_to(encode(cms, 'hex'), 'UTF8') || tail,
	decode(repeat('31', 300), 'hex'), decode(repeat('ab', 2400), 'hex'),
	decode(repeat('cd', 900), 'hex'), repeat('{"signature":"valid"}', 150)
FROM (SELECT convert_to(repeat('12 0 obj << /Type /Annot /Subtype /Widget /FT /Sig '
		'/Rect [400 120 520 240] /P 3 0 R /F 132 /AP << /N 13 0 R >> >> endobj ', 30), 'UTF8')
		AS head,
	(SELECT string_agg(sha256(int4send(i)), ''::bytea) FROM generate_series(1, 200) i) AS img,
	(SELECT string_agg(sha256(int4send(-i)), ''::bytea) FROM generate_series(1, 155) i) AS cms,
	convert_to(repeat('xref 0 1 0000000000 65535 f trailer << /Size 20 >> ', 20), 'UTF8')
		AS tail) x;
INSERT INTO organizations (name, credit_code)
SELECT 'Org ' || i, '91110000' || lpad(i::text, 9, '0') || 'A' FROM generate_series(0, %(S)d) i;
INSERT INTO users (kind, organization_id, name) SELECT 'member', id, name FROM organizations;
INSERT INTO certificates (organization_id, user_id, fingerprint, subject, issuer, serial,
	not_before, not_after, der)
SELECT u.organization_id, u.id, encode(sha256(b.cert || int8send(u.id)), 'hex'), 'CN=' || u.name,
	'CN=CA', to_hex(u.id), now() - interval '1 day', now() + interval '1 year',
	b.cert || int8send(u.id)
FROM users u, bench_blob b;
INSERT INTO sessions (token_hash, user_id, organization_id, kind, certificate_id, expires_at)
SELECT encode(sha256(int8send(u.organization_id)), 'hex'), u.id, u.organization_id, 'member',
	c.id, now() + interval '1 day' FROM users u JOIN certificates c ON c.user_id = u.id;
SELECT set_config('bench.pdf', :'pdf', false);
DO $$
DECLARE
	pdf bytea := pg_read_binary_file(current_setting('bench.pdf'));
	parties jsonb;
BEGIN
	SELECT jsonb_agg(jsonb_build_object('credit_code', credit_code, 'role', 'signer',
		'routing_order', 1)) INTO parties FROM organizations WHERE id > 1;
	FOR i IN 1..%(M)d LOOP
		PERFORM contract_create(1000000000000000000 + i, 1, 1, 'Bench ' || i, NULL, NULL,
			parties, pdf, encode(sha256(pdf), 'hex'), 10, NULL, '127.0.0.1', 'bench');
		PERFORM contract_send(1000000000000000000 + i, 1, 1, '127.0.0.1', 'bench');
	END LOOP;
END $$;
VACUUM ANALYZE;
"""

CPU = "SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint AS t0 \\gset"
SPENT = "SELECT '@%s ' || (split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint - :t0);"

# What db/signing.c sends with 017 (the document in parts), and before it.
LOAD_PARTS = ("SELECT min(l.base_seq) AS base_seq, sum(length(d.delta || ''::bytea)) AS doclen "
              "FROM auth_member('%(tok)s') a, signing_prepare_check(%(n)d, a.organization_id, "
              "NULL) l, revisions d WHERE d.contract_number = %(n)d AND d.seq <= l.base_seq \\gset")
LOAD_WHOLE = ("SELECT l.base_seq, length(l.document) AS doclen FROM auth_member('%(tok)s') a, "
              "signing_prepare_load_seal(%(n)d, a.organization_id, NULL) l \\gset")
CLAIM_PARTS = ("SELECT sum(length(d.part || ''::bytea)), min(s.orig_len), "
               "length(min((SELECT v.verification FROM revisions v WHERE v.contract_number = "
               "s.contract_number AND v.seq = s.base_seq))) FROM auth_member('%(tok)s') a, "
               "signing_session_claim_head(:'sid', a.organization_id) s, LATERAL (SELECT r.seq, "
               "r.delta FROM revisions r WHERE r.contract_number = s.contract_number AND r.seq <= "
               "s.base_seq UNION ALL SELECT s.base_seq + 1, s.delta) d (seq, part);")
CLAIM_WHOLE = ("SELECT length(s.document), s.orig_len, length((SELECT v.verification FROM "
               "revisions v WHERE v.contract_number = s.contract_number AND v.seq = s.base_seq)) "
               "FROM auth_member('%(tok)s') a, signing_session_claim(:'sid', a.organization_id) s;")
STEPS = [
    ("receive", "SELECT length(contract_receive(%(n)d, %(org)d, %(org)d, '127.0.0.1', "
                "'bench')::text);"),
    ("load", None),
    ("create", "SELECT signing_session_create(%(n)d, %(org)d, %(org)d, :base_seq, d.delta, 1000, "
               "9930, d.attrs, 'sha256WithRSAEncryption', d.chain, '[{\"page\": 1, \"rect\": [1, "
               "2, 3, 4]}]', 600, c.der, 'CN=x', 'CN=CA', c.serial, now() - interval '1 day', "
               "now() + interval '1 year', '127.0.0.1', 'bench')->>'session' AS sid "
               "FROM bench_blob d, certificates c WHERE c.organization_id = %(org)d \\gset"),
    ("claim", None),
    ("complete", "SELECT length(signing_session_complete_verified(:'sid', %(org)d, %(org)d, "
                 "d.signed, :doclen + length(d.signed), repeat('e', 64), now(), %(report)s, "
                 "NULL, NULL, '127.0.0.1', 'bench')::text) FROM bench_blob d;"),
    ("send", "SELECT length(contract_send(%(n)d, %(org)d, %(org)d, '127.0.0.1', 'bench')::text);"),
]


def psql(url, sql, extra=()):
    p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"] + list(extra) + [url],
                       input=sql, text=True, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    return p.stdout


def bench_db_start(pgdir, what="start"):
    """A throwaway PostgreSQL (tests/support/pgtmp.sh) in pgdir, started or stopped."""
    subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), what, pgdir],
                   check=what == "start", capture_output=True)


def bench_db(tmp, pgdir, mig):
    """Database bench of the PostgreSQL in pgdir with the migrations of mig, and the
    10-page contract in tmp: (its URL, the contract's path)."""
    url = open(os.path.join(pgdir, "url")).read().strip()
    psql(url, "CREATE DATABASE bench")
    url = re.sub(r"/[^/]*$", "/bench", url)
    for f in sorted(os.listdir(mig)):
        if re.match(r"^\d{3}_.*\.sql$", f):
            psql(url, open(os.path.join(mig, f)).read(), ["-1"])
    pdf = os.path.join(tmp, "contract10.pdf")
    subprocess.run(["qpdf", os.path.join(ROOT, "tests", "fixtures", "contracts",
                                         "contract30.pdf"), "--pages", ".", "1-10", "--", pdf],
                   check=True)
    os.chmod(tmp, 0o755)
    os.chmod(pdf, 0o644)
    return url, pdf


def main(argv):
    m = int(argv[1]) if len(argv) > 1 else 8
    s = int(argv[2]) if len(argv) > 2 else 20
    mig = os.path.abspath(argv[3]) if len(argv) > 3 else os.path.join(ROOT, "migrations")
    tmp = tempfile.mkdtemp(prefix="sealpact-bench-chain.")
    pgdir = os.path.join(tmp, "pg")
    bench_db_start(pgdir)
    try:
        url, pdf = bench_db(tmp, pgdir, mig)
        psql(url, SETUP % {"S": s, "M": m + WARM}, ["-v", "pdf=" + pdf])
        grown = os.environ.get("BENCH_CHAIN_REPORT")
        if grown:
            with open(grown) as f:
                # one report per k, stored uncompressed: reading it costs about what
                # receiving it as a parameter does, not a decompression
                psql(url, "CREATE TABLE bench_report (k integer PRIMARY KEY, report text); "
                          "ALTER TABLE bench_report ALTER COLUMN report SET STORAGE EXTERNAL; "
                          "INSERT INTO bench_report SELECT k, left(:'r', 1089 * k + 98 * k * "
                          "(k - 1)) FROM generate_series(1, %d) k" % s,
                     ["-v", "r=" + f.read().strip()])
        parts = psql(url, "SELECT to_regproc('signing_prepare_check') IS NOT NULL").strip() == "t"
        load = LOAD_PARTS if parts else LOAD_WHOLE
        claim = CLAIM_PARTS if parts else CLAIM_WHOLE
        steps = [(n, sql or (load if n == "load" else claim)) for n, sql in STEPS]
        # One session, as a pooled server connection: the first WARM contracts
        # run every step too but are not counted (PL/pgSQL compiles its
        # functions and plans its statements anew for the first calls of a session).
        script = []
        for k in range(1, s + 1):
            org = k + 1
            tok = psql(url, "SELECT encode(sha256(int8send(%d::bigint)), 'hex')" % org).strip()
            # what autovacuum does on a live system: the rows every step updates
            # (contracts, parties, audit_heads, list_counts) would otherwise carry
            # ever longer chains of dead versions in this tight loop
            script.append("VACUUM ANALYZE;")
            for i in range(1, m + WARM + 1):
                v = {"n": 1000000000000000000 + i, "org": org, "tok": tok,
                     "report": ("(SELECT report FROM bench_report WHERE k = %d)" % k)
                     if grown else "d.report"}
                for name, sql in steps:
                    script += [CPU, sql % v, SPENT % ("%d:%d:%s" % (k, i, name))]
        rows = {}
        for ln in psql(url, "\n".join(script) + "\n").splitlines():
            if ln.startswith("@"):
                tag, ns = ln[1:].split()
                k, i, name = tag.split(":")
                if int(i) > WARM:
                    rows.setdefault(int(k), {}).setdefault(name, []).append(int(ns) / 1e6)
        names = [n for n, _ in STEPS]
        print("bench_pg_chain: %s, %d contracts of %d signers%s; PostgreSQL CPU ms per statement "
              "(median), k-th signing" % (os.path.relpath(mig, ROOT), m, s,
                                          ", reports growing with k" if grown else ""))
        print("  k " + "".join("%10s" % x for x in names) + "     total")
        for k in sorted(rows):
            med = [statistics.median(rows[k][x]) for x in names]
            print("%3d " % k + "".join("%10.3f" % x for x in med) + "%10.3f" % sum(med))
        doc = psql(url, "SELECT length(contract_json(%d, 1)::text), (SELECT count(*) FROM "
                        "audit_events WHERE contract_number = %d)"
                        % ((1000000000000000000 + m + WARM,) * 2)).strip().split("|")
        print("  the contract's answer after %d signings: %s bytes, %s audit events"
              % (s, doc[0], doc[1]))
        return 0
    finally:
        bench_db_start(pgdir, "stop")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
