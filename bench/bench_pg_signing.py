#!/usr/bin/env python3
"""bench_pg_signing.py: PostgreSQL's own CPU per signing, without the server (issue 14).

    bench/bench_pg_signing.py [BUILD_DIR] [SIGNINGS] [MODE]

A throwaway cluster with migrations/ applied; SIGNINGS contracts of the 10-page
fixture, sent and received by one signer. pgbench (one client, BENCH_PGCLIENTS=N for N; extended
protocol: each statement prepared once per connection, then bound and
executed, as db/ sends its fixed statements since pg23; BENCH_PGBENCH_MODE=
extended sends them unnamed, parsed and planned at every call, as before) then runs,
per signing, the statements the server sends for prepare and complete:

  MODE split:    auth_credential_lookup, signing_prepare_load,
                 signing_session_create, auth_credential_lookup,
                 signing_session_claim, signing_session_complete_verified
  MODE combined: auth_member + signing_prepare_load_seal, signing_session_create,
                 auth_member + signing_session_claim, signing_session_complete_verified
                 (migration 014: the credential checked in the request's own statement)
  MODE parts:    combined with the document in parts, as db/signing.c asks since 017:
                 auth_member + signing_prepare_check + the revisions' updates,
                 signing_session_create, auth_member + signing_session_claim_head + the
                 updates, signing_session_complete_verified (the parts are detoasted, as
                 sending them does), in db/signing.c's words with no held revision (a
                 process whose document cache is cold)
  MODE held:     parts as the server sends them in steady state (the default when 017 is
                 there): its document cache holds revision 0 since the upload
                 (server/api/contracts.c), so prepare's load and the claim name it ($4..$6:
                 seq, length, SHA-256) and get only what was stored after it: no update at
                 prepare; and the completion sends no claim at all (the process that
                 prepared holds what it returns, done35): one statement checks what the
                 claim checked and stores (signing_session_complete_held, migration 035);
                 and since 036 prepare sends no load either: the process holds the member
                 session too, and prepare is signing_session_create_held, the load's checks
                 and the create in one statement
  MODE held2:    held as before 036: the held load, then signing_session_create

and prints the CPU time of PostgreSQL's processes per signing (from /proc,
the backend and everything the postmaster reaped meanwhile), which is steadier
than wall-clock time on a shared machine, and the WAL bytes written per
signing (pg_current_wal_lsn before and after). BENCH_PGFUNCS=1 adds the
per-function table (track_functions; it costs time itself). The update and
the report are fixed bytes of realistic size (a 19 KB update: objects, a 6 KB
compressed image, the 9930-character /Contents; a 3 KB report). On a shared
machine CPU time grows with contention: compare the best of several runs.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

SETUP = r"""
CREATE TABLE bench_blob (delta bytea, signed bytea, attrs bytea, chain bytea, cert bytea,
	report text, tok text);
-- an update as prepare stores it (objects, a compressed seal image, the
-- zeroed /Contents) and as completion stores it (/Contents filled with the CMS)
INSERT INTO bench_blob
SELECT head || img || convert_to(repeat('0', 9930), 'UTF8') || tail,
	head || img || convert_to(encode(cms, 'hex'), 'UTF8') || tail,
	decode(repeat('31', 300), 'hex'), decode(repeat('ab', 2400), 'hex'),
	decode(repeat('cd', 900), 'hex'), repeat('{"signature":"valid"}', 150),
	repeat('a', 64)
FROM (SELECT convert_to(repeat('12 0 obj << /Type /Annot /Subtype /Widget /FT /Sig '
		'/Rect [400 120 520 240] /P 3 0 R /F 132 /AP << /N 13 0 R >> >> endobj ', 30), 'UTF8')
		AS head,
	(SELECT string_agg(sha256(int4send(i)), ''::bytea) FROM generate_series(1, 200) i) AS img,
	(SELECT string_agg(sha256(int4send(-i)), ''::bytea) FROM generate_series(1, 155) i) AS cms,
	convert_to(repeat('xref 0 1 0000000000 65535 f trailer << /Size 20 >> ', 20), 'UTF8')
		AS tail) x;
INSERT INTO organizations (name, credit_code) VALUES ('Buyer', '91110000000000001A'),
	('Supplier', '91110000000000002B');
INSERT INTO users (kind, organization_id, name) SELECT 'member', id, name FROM organizations;
INSERT INTO certificates (organization_id, user_id, fingerprint, subject, issuer, serial,
	not_before, not_after, der)
SELECT u.organization_id, u.id, encode(sha256(b.cert || int8send(u.id)), 'hex'), 'CN=' || u.name,
	'CN=CA', to_hex(u.id), now() - interval '1 day', now() + interval '1 year',
	b.cert || int8send(u.id)
FROM users u, bench_blob b;
INSERT INTO sessions (token_hash, user_id, organization_id, kind, certificate_id, expires_at)
SELECT CASE WHEN u.organization_id = 2 THEN repeat('a', 64) ELSE repeat('b', 64) END, u.id,
	u.organization_id, 'member', c.id, now() + interval '1 day'
FROM users u JOIN certificates c ON c.user_id = u.id;
-- each contract with its revision 0 as the server's document cache holds it
CREATE TABLE bench_todo (id bigint PRIMARY KEY, n bigint, hlen bigint, hsha text);
CREATE SEQUENCE bench_seq;
SELECT set_config('bench.pdf', :'pdf', false), set_config('bench.count', :'count', false);
DO $$
DECLARE
	pdf bytea := pg_read_binary_file(current_setting('bench.pdf'));
	n bigint;
BEGIN
	FOR i IN 1..current_setting('bench.count')::integer LOOP
		n := 1000000000000000000 + i;
		PERFORM contract_create(n, 1, 1, 'Bench ' || i, NULL, NULL,
			'[{"credit_code": "91110000000000002B", "role": "signer", "routing_order": 1}]',
			pdf, encode(sha256(pdf), 'hex'), 10, NULL, '127.0.0.1', 'bench');
		PERFORM contract_send(n, 1, 1, '127.0.0.1', 'bench');
		PERFORM contract_receive(n, 2, 2, '127.0.0.1', 'bench');
		INSERT INTO bench_todo SELECT i, n, r.length, r.sha256 FROM revisions r
		WHERE r.contract_number = n AND r.seq = 0;
	END LOOP;
END $$;
VACUUM ANALYZE;
"""

# What the server sends (db/auth.c, db/signing.c), the documents measured by length
# so that pgbench's text output does not dominate (the server reads them binary).
HEAD = r"""
SELECT n, hlen, hsha FROM bench_todo WHERE id = (SELECT nextval('bench_seq')) \gset
"""
CREATE = r"""
SELECT signing_session_create(:n, :organization_id, :user_id, :base_seq, d.delta, 1000,
	9930, d.attrs, 'sha256WithRSAEncryption', d.chain, '[{"page": 1, "rect": [1, 2, 3, 4]}]',
	600, c.der, 'CN=Supplier', 'CN=CA', c.serial, now() - interval '1 day',
	now() + interval '1 year', '127.0.0.1', 'bench')->>'session' AS sid,
	octet_length(d.delta) AS ulen
FROM bench_blob d, certificates c WHERE c.user_id = :user_id \gset
"""
# db/signing.c's CREATE since done35: the claim's last_signer after the session's JSON
CREATE_NOW = CREATE.replace(r"""->>'session' AS sid,""", r"""->>'session' AS sid,
	NOT EXISTS (SELECT 1 FROM parties p WHERE p.contract_number = :n AND p.role = 'signer'
	AND p.organization_id <> :organization_id AND p.status NOT IN ('signed', 'sent'))
	AS last_signer,""")
# the completion in one trip (db_signing_session_complete_held): the credential's hash, the
# session's contract and base as prepare wrote them, the held revision's length and SHA-256
# (revision 0: no report), last_signer NULL (B-T)
COMPLETE_HELD = r"""
SELECT length(signing_session_complete_held(repeat('a', 64), :sid, :organization_id,
	:user_id, :n, :base_seq, :hlen, :hsha, NULL, d.signed, :doclen + length(d.signed),
	repeat('e', 64), now(), d.report, NULL, NULL, '127.0.0.1', 'bench', NULL)::text)
FROM bench_blob d;
"""
COMPLETE = r"""
SELECT length(signing_session_complete_verified(:sid, :organization_id, :user_id, d.signed,
	:doclen + length(d.signed), repeat('e', 64), now(), d.report, NULL, NULL, '127.0.0.1',
	'bench')::text) FROM bench_blob d;
"""
SPLIT = HEAD + r"""
SELECT kind, credential_id, user_id, organization_id, certificate_id, credit_code
FROM auth_credential_lookup(repeat('a', 64), false) \gset
SELECT base_seq, length(document) AS doclen FROM signing_prepare_load(:n, :organization_id) \gset
""" + CREATE + r"""
SELECT kind, credential_id, user_id, organization_id, certificate_id, credit_code
FROM auth_credential_lookup(repeat('a', 64), false) \gset
SELECT s.contract_number, s.base_seq, length(s.document) AS claimlen, s.orig_len,
	(SELECT v.verification FROM revisions v WHERE v.contract_number = s.contract_number
	 AND v.seq = s.base_seq) FROM signing_session_claim(:sid, :organization_id) s \gset
""" + COMPLETE
COMBINED = HEAD + r"""
SELECT a.kind, a.user_id, a.organization_id, a.credit_code, l.base_seq,
	length(l.document) AS doclen
FROM auth_member(repeat('a', 64)) a,
	signing_prepare_load_seal(:n, a.organization_id, NULL) l \gset
""" + CREATE + r"""
SELECT a.kind, a.user_id, a.organization_id, s.contract_number, s.base_seq,
	length(s.document) AS claimlen, s.orig_len,
	(SELECT v.verification FROM revisions v WHERE v.contract_number = s.contract_number
	 AND v.seq = s.base_seq)
FROM auth_member(repeat('a', 64)) a, signing_session_claim(:sid, a.organization_id) s \gset
""" + COMPLETE
# db/signing.c's statements of prepare's load (PREP_COLS, PREP_FROM, AUTH_COLS) and of the
# claim (CLAIM_COLS, CLAIM_PARTS), word for word but for the byte columns, given as their
# detoasted lengths; HELD is the held revision's seq, length and SHA-256 ($4..$6), the
# report's length ($6 of the claim) NULL: the cache has no report for revision 0; and the
# session's update length ($7), which the process that prepared holds (claim33): the
# update is not sent (NULL in PARTS: a cold process).
PREP = r"""
SELECT l.base_seq, length(d.delta || ''::bytea),
	length(CASE WHEN (d.seq IS NULL OR d.seq = coalesce(h.seq, -1) + 1) THEN l.seal_png END),
	CASE WHEN (d.seq IS NULL OR d.seq = coalesce(h.seq, -1) + 1) THEN l.seal_info::text END,
	l.base_length AS doclen, coalesce(h.seq, -1), h.length, h.sha256, b.sha256,
	a.kind, a.credential_id, a.user_id, a.organization_id, a.certificate_id, a.credit_code
FROM auth_member(repeat('a', 64)) a CROSS JOIN LATERAL
	signing_prepare_check(:n::bigint, a.organization_id, NULL::bigint) l
	JOIN revisions b ON b.contract_number = :n::bigint AND b.seq = l.base_seq
	LEFT JOIN revisions h ON h.contract_number = :n::bigint AND h.seq = @HSEQ@::integer
	AND h.seq <= l.base_seq AND h.length = @HLEN@::bigint AND h.sha256 = @HSHA@
	LEFT JOIN revisions d ON d.contract_number = :n::bigint
	AND d.seq > coalesce(h.seq, -1) AND d.seq <= l.base_seq ORDER BY d.seq \gset
"""
CLAIM = r"""
SELECT sum(length(part)), min(orig_len), length(min(report)), bool_or(vheld), min(kind)
FROM (SELECT s.contract_number, s.base_seq, d.part || ''::bytea AS part, s.orig_len,
	s.contents_off, s.contents_len,
	length(CASE WHEN d.seq = coalesce(h.seq, -1) + 1 THEN s.signed_attrs END), s.algorithm,
	length(CASE WHEN d.seq = coalesce(h.seq, -1) + 1 THEN s.chain END),
	length(CASE WHEN d.seq = coalesce(h.seq, -1) + 1 THEN s.cert_der END),
	s.tsa_serial, s.last_signer, s.archive_serial,
	CASE WHEN d.seq = coalesce(h.seq, -1) + 1 AND NOT coalesce(h.seq = s.base_seq
		AND octet_length((SELECT v.verification FROM revisions v
		WHERE v.contract_number = s.contract_number AND v.seq = s.base_seq)) = NULL::bigint,
		false) THEN (SELECT v.verification FROM revisions v
		WHERE v.contract_number = s.contract_number AND v.seq = s.base_seq) END AS report,
	CASE WHEN d.seq = coalesce(h.seq, -1) + 1 THEN coalesce(h.seq = s.base_seq
		AND octet_length((SELECT v.verification FROM revisions v
		WHERE v.contract_number = s.contract_number AND v.seq = s.base_seq)) = NULL::bigint,
		false) END AS vheld,
	coalesce(h.seq, -1), h.length, h.sha256,
	a.kind, a.credential_id, a.user_id, a.organization_id, a.certificate_id, a.credit_code
FROM auth_member(repeat('a', 64)) a CROSS JOIN LATERAL
	signing_session_claim_head(:sid::uuid, a.organization_id, @ULEN@::bigint) s
	LEFT JOIN revisions h ON h.contract_number = s.contract_number AND h.seq = @HSEQ@::integer
	AND h.seq <= s.base_seq AND h.length = @HLEN@::bigint AND h.sha256 = @HSHA@
	CROSS JOIN LATERAL (SELECT r.seq, r.delta FROM revisions r WHERE r.contract_number =
	s.contract_number AND r.seq > coalesce(h.seq, -1) AND r.seq <= s.base_seq
	UNION ALL SELECT s.base_seq + 1, s.delta) d (seq, part) ORDER BY d.seq) x \gset
"""


def held(script, on):
    """The statements with the held revision's parameters, or with NULLs (none held)."""
    for k, v in (("@HSEQ@", "0"), ("@HLEN@", ":hlen"), ("@HSHA@", ":hsha"), ("@ULEN@", ":ulen")):
        script = script.replace(k, v if on else "NULL")
    return script


# The one-trip prepare (migration 036, server/api/signing.c prep_held_try): the process
# holds revision 0 (the upload), the member session of the token (organization 2, user 2,
# as a load found it) and no seal (the demo seal), so prepare is db/signing.c's
# db_signing_session_create_held alone: the load's checks and the create in one statement,
# with the claim's last_signer after it as CREATE_NOW's.
CREATE_HELD = r"""
\set organization_id 2
\set user_id 2
\set base_seq 0
SELECT signing_session_create_held(repeat('a', 64), '91110000000000002B', :hlen::bigint,
	:hsha, NULL::bytea, NULL, :n::bigint, :organization_id::bigint, :user_id::bigint,
	:base_seq::integer, d.delta, 1000, 9930, d.attrs, 'sha256WithRSAEncryption', d.chain,
	'[{"page": 1, "rect": [1, 2, 3, 4]}]', 600, c.der, 'CN=Supplier', 'CN=CA', c.serial,
	now() - interval '1 day', now() + interval '1 year', '127.0.0.1', 'bench',
	NULL::bigint)->>'session' AS sid,
	NOT EXISTS (SELECT 1 FROM parties p WHERE p.contract_number = :n AND p.role = 'signer'
	AND p.organization_id <> :organization_id AND p.status NOT IN ('signed', 'sent'))
	AS last_signer, octet_length(d.delta) AS ulen, :hlen::bigint AS doclen
FROM bench_blob d, certificates c WHERE c.user_id = :user_id \gset
"""
PARTS = HEAD + held(PREP, False) + CREATE_NOW + held(CLAIM, False) + COMPLETE
# held2: the held load then the create, as before 036 (and as a process without the member
# session or the seal yet sends them)
HELD2 = HEAD + held(PREP, True) + CREATE_NOW + COMPLETE_HELD
HELD = HEAD + CREATE_HELD + COMPLETE_HELD


def cpu_ticks(pid):
    """utime+stime+cutime+cstime of pid, plus utime+stime of its live children."""
    def stat(p):
        with open("/proc/%d/stat" % p) as f:
            return f.read().rsplit(")", 1)[1].split()
    s = stat(pid)
    total = sum(int(x) for x in s[11:15])
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                c = stat(int(d))
            except OSError:
                continue
            if int(c[1]) == pid:
                total += int(c[11]) + int(c[12])
    return total


def main(argv):
    build = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "build")
    count = int(argv[2]) if len(argv) > 2 else 300
    mode = argv[3] if len(argv) > 3 else None
    tmp = tempfile.mkdtemp(prefix="sealpact-bench-pg.")
    os.environ["SEALPACT_SOURCE_DIR"] = ROOT
    os.environ["SEALPACT_BUILD_DIR"] = build
    os.environ["SEALPACT_TEST_PGDIR"] = os.path.join(tmp, "pg")
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import harness
    subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), "start",
                    os.path.join(tmp, "pg")], check=True, capture_output=True)
    db = None
    try:
        db = harness.Database()
        db.migrate()
        pdf = os.path.join(tmp, "contract10.pdf")
        harness.run(["qpdf", os.path.join(ROOT, "tests", "fixtures", "contracts",
                                          "contract30.pdf"), "--pages", ".", "1-10", "--", pdf])
        os.chmod(tmp, 0o755)
        os.chmod(pdf, 0o644)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-v", "pdf=" + pdf, "-v",
                        "count=%d" % (count + 20), db.url], input=SETUP, text=True,
                       check=True, stdout=subprocess.DEVNULL)
        if mode is None:
            mode = "held" if db.query("SELECT to_regproc('signing_prepare_check') IS NOT NULL") \
                == "t" else "combined"
        script = {"split": SPLIT, "combined": COMBINED, "parts": PARTS, "held": HELD,
                  "held2": HELD2}[mode]
        with open(os.path.join(tmp, "sign.sql"), "w") as f:
            f.write(script)
        if os.environ.get("BENCH_PGFUNCS"):
            db.query("ALTER DATABASE %s SET track_functions = 'all'" % db.name)
        # BENCH_PGCLIENTS=N: N concurrent clients (as the server's pool under load)
        clients = int(os.environ.get("BENCH_PGCLIENTS", "1"))
        pgbench = ["pgbench", "-n", "-M", os.environ.get("BENCH_PGBENCH_MODE", "prepared"),
                   "-c", str(clients), "-j", str(min(clients, 2)), "-f",
                   os.path.join(tmp, "sign.sql"), db.url]
        # warm-up (plans cached, catalogs read), not counted
        subprocess.run(pgbench + ["-t", str(20 // clients)], check=True,
                       stdout=subprocess.DEVNULL)
        # the run's WAL into recycled segments, as on a server that has been running
        db.query("CHECKPOINT")
        db.query("SELECT pg_stat_reset()")
        db.query("SELECT pg_stat_reset_shared('wal')")
        pm = int(open(os.path.join(open(os.path.join(tmp, "pg", "datadir")).read().strip(),
                                   "postmaster.pid")).readline())
        hz = os.sysconf("SC_CLK_TCK")
        w0 = db.query("SELECT pg_current_wal_lsn()")
        t0 = cpu_ticks(pm)
        count -= count % clients
        # BENCH_PERF=FILE: perf record the whole machine over the measured run
        rec = None
        if os.environ.get("BENCH_PERF"):
            # BENCH_PERF_G=1: with call graphs (dwarf)
            g = ["--call-graph", "dwarf,16384"] if os.environ.get("BENCH_PERF_G") else []
            rec = subprocess.Popen(["perf", "record", "-a", "-F", "999"] + g +
                                   ["-o", os.environ["BENCH_PERF"]], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            time.sleep(1)
        p = subprocess.run(pgbench + ["-t", str(count // clients)], check=True,
                           capture_output=True, text=True)
        t1 = cpu_ticks(pm)
        if rec is not None:
            rec.send_signal(2)
            rec.wait()
        wal = int(db.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '%s')" % w0))
        tps = [ln for ln in p.stdout.splitlines() if ln.startswith("tps")]
        print("bench_pg_signing: mode %s, %d signings, %d client%s, %s statements" % (
            mode, count, clients, "s" if clients > 1 else "",
            os.environ.get("BENCH_PGBENCH_MODE", "prepared")))
        print("  PostgreSQL CPU per signing: %.2f ms  (%s)" % (
            (t1 - t0) * 1000.0 / hz / count, tps[0] if tps else "?"))
        fpi = db.query("SELECT wal_fpi, wal_records FROM pg_stat_wal").split("|")
        print("  WAL bytes per signing: %d (%.1f records, %.2f full-page images)" % (
            wal // count, int(fpi[1]) / count, int(fpi[0]) / count))
        if os.environ.get("BENCH_PGFUNCS"):
            print(db.query("SELECT format('    %%-36s %%8s %%8s %%6s', funcname, "
                           "round((self_time / %d)::numeric, 3), "
                           "round((total_time / %d)::numeric, 3), calls) FROM "
                           "pg_stat_user_functions ORDER BY self_time DESC LIMIT 25"
                           % (count, count)))
        return 0
    finally:
        if db is not None:
            db.drop()
        subprocess.run(["bash", os.path.join(ROOT, "tests", "support", "pgtmp.sh"), "stop",
                        os.path.join(tmp, "pg")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
