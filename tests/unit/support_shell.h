/*
 * support_shell.h: a shell command the unit tests run (openssl, certutil,
 * softhsm2-util), its text formatted as printf's. Three tests wrote it out.
 */
#ifndef SEALPACT_TEST_SUPPORT_SHELL_H
#define SEALPACT_TEST_SUPPORT_SHELL_H

/* system() of the formatted command (at most 4 KiB): its wait status. */
int test_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
