/*
 * support_pg.h: a database of a test's own in the suite's throwaway
 * PostgreSQL cluster (the CTest fixture `pg`, tests/support/pgtmp.sh, which
 * writes its URL to $SEALPACT_TEST_PGDIR/url). Four tests wrote it out.
 */
#ifndef SEALPACT_TEST_SUPPORT_PG_H
#define SEALPACT_TEST_SUPPORT_PG_H

#include <stddef.h>

/*
 * A new empty database PREFIX_<pid>_<seconds>: its name in name (name_n
 * bytes) and its URL in url (url_n bytes). A failed Check assertion when the
 * cluster is not there (run it through ctest) or refuses the database.
 */
void test_pg_db_new(const char *prefix, char *name, size_t name_n, char *url, size_t url_n);

/* Drops database name, its sessions ended (nothing when name is ""). */
void test_pg_db_drop(const char *name);

#endif
