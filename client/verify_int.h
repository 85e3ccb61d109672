/*
 * verify_int.h: `sealpact verify` (client/verify.c), offline: links pdf/ and
 * crypto/ directly, no server.
 */
#pragma once

/*
 * sealpact verify FILE [--json] [--trust-roots PEM]... [--cacert PEM]...
 *                 [--intermediate PEM]... [--crl FILE]... [--tsa-trust PEM]
 * default_roots (may be NULL) is the global --cacert. Returns the exit
 * status: 0 valid and fully covered, 1 invalid or disallowed changes (or an
 * unreadable PDF), 2 indeterminate, 3 no signature, 64 usage error.
 * Main thread only.
 */
int client_cmd_verify(const char *default_roots, int argc, char **argv);
