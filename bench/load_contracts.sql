-- load_contracts.sql: the benchmarks' data set (bench_lists.sh, bench_slowloris.sh).
--   psql -v n=COUNT -f bench/load_contracts.sql
-- COUNT contracts over 200 initiators, one in 50 initiated by the bench
-- supplier, which is the signer of every contract (cc of one in 7), in the
-- mix of statuses a busy platform has; and a member session of the supplier
-- whose bearer token is "bench-token" (inserted with SQL: no login needed).

INSERT INTO organizations (name, credit_code)
SELECT 'Initiator ' || i, '91110000' || lpad(i::text, 9, '0') || 'A' FROM generate_series(1, 200) i;
INSERT INTO organizations (name, credit_code) VALUES ('Bench Supplier', '91310000000000001B'),
  ('Bench Copy', '91310000000000002B');
INSERT INTO contracts (number, name, business_type, initiator_org_id, status, page_count, sha256,
                       created_at, sent_at)
SELECT 1000000000000000000 + (i::bigint << 22),
       (ARRAY['Steel supply', 'Coal purchase', 'Office lease', 'Software licence', 'Freight'])[i % 5 + 1]
         || ' #' || i,
       CASE WHEN i % 3 = 0 THEN 'purchase' ELSE 'e-contract' END,
       CASE WHEN i % 50 = 1 THEN 201 ELSE i % 200 + 1 END,  -- 201: the supplier
       CASE WHEN i % 10 = 0 THEN 'draft' WHEN i % 10 < 8 THEN 'signing'
            WHEN i % 10 = 8 THEN 'completed' ELSE 'rejected' END,
       1, repeat('0', 64),
       timestamptz '2026-01-01' + i * interval '2 minutes',
       timestamptz '2026-01-01' + i * interval '2 minutes'
FROM generate_series(1, :n) i;
INSERT INTO parties (contract_number, organization_id, role, routing_order, status, reject_reason)
SELECT c.number, (SELECT id FROM organizations WHERE credit_code = '91310000000000001B'), 'signer', 1,
       CASE c.status WHEN 'signing' THEN 'pending' WHEN 'completed' THEN 'sent'
            WHEN 'rejected' THEN 'rejected' ELSE 'waiting' END,
       CASE WHEN c.status = 'rejected' THEN 'bench' END
FROM contracts c;
INSERT INTO parties (contract_number, organization_id, role)
SELECT c.number, (SELECT id FROM organizations WHERE credit_code = '91310000000000001B'), 'cc'
FROM contracts c WHERE c.number % 7 = 0;
INSERT INTO users (kind, organization_id, name)
SELECT 'member', id, 'bench user' FROM organizations WHERE credit_code = '91310000000000001B';
INSERT INTO certificates (organization_id, user_id, fingerprint, subject, issuer, serial,
                          not_before, not_after, der)
SELECT u.organization_id, u.id, encode(sha256('\x0102'::bytea), 'hex'), 'CN=bench', 'CN=bench CA',
       '01', now() - interval '1 day', now() + interval '1 day', '\x0102'::bytea
FROM users u WHERE u.name = 'bench user';
INSERT INTO sessions (token_hash, user_id, organization_id, kind, certificate_id, expires_at)
SELECT encode(sha256('bench-token'::bytea), 'hex'), c.user_id, c.organization_id, 'member', c.id,
       now() + interval '1 day'
FROM certificates c WHERE c.subject = 'CN=bench';
ANALYZE;
