/*
 * verify_int.h: `sealpact verify` (client/verify.c), offline: links pdf/ and
 * crypto/ directly, no server.
 */
#pragma once

/*
 * sealpact verify FILE [--json] [--trust-roots PEM]... [--cacert PEM]...
 *                 [--intermediate PEM]... [--crl FILE]... [--tsa-trust PEM]
 * default_roots (may be NULL) is the global --cacert. Returns the exit
 * status: 0 valid and fully covered, 1 invalid (proven: digest, signature
 * value, disallowed change, broken revision chain), 2 indeterminate, 3 no
 * signature, 4 unreadable (not a PDF the verifier can parse; never
 * "invalid" for that reason), 64 usage error.
 * Main thread only.
 */
#define CLIENT_VERIFY_EXIT_UNREADABLE 4
int client_cmd_verify(const char *default_roots, int argc, char **argv);
