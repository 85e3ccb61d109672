# lists_queries.sh: the list requests bench_lists.sh and bench_lists_pg.sh
# measure (sourced). lists_queries Q sets todo_queries (the to-do list with
# each filter) and other_queries (the other tabs, a text search in one, and a
# deep page by keyset); Q runs one SQL statement on the bench database and
# prints its result (the keyset's contract number: 5,000 rows down the to-do
# list).
lists_queries() {
  local from=2026-03-01T00:00:00Z to=2026-04-01T00:00:00Z deep
  todo_queries=(
    "tab=todo"
    "tab=todo&q=steel"
    "tab=todo&q=4711"
    "tab=todo&business_type=purchase"
    "tab=todo&initiator=Initiator%2042"
    "tab=todo&initiator=91110000000000042"
    "tab=todo&created_from=$from&created_to=$to"
    "tab=todo&status=signing&business_type=e-contract&q=supply&page=3&page_size=20"
  )
  other_queries=("tab=signed" "tab=cc" "tab=initiated" "tab=drafts" "tab=signed&q=lease")
  deep=$("$1" "SELECT contract_number::text FROM parties p JOIN organizations o
    ON o.id = p.organization_id WHERE o.credit_code = '91310000000000001B' AND p.role = 'signer'
    AND p.status IN ('pending', 'received', 'signed') AND p.c_status = 'signing'
    ORDER BY contract_number DESC OFFSET 5000 LIMIT 1")
  other_queries+=("tab=todo&after=$deep")
}
