/*
 * support_ports.h: ports for the unit tests that start a server or need
 * one where nothing answers. "Bind port 0, close, hand the number on" is a
 * race: the kernel may give that port to another test's bind(0), or to any
 * outgoing connection as its source port, before the server binds it (ctest
 * -j4 makes thousands of connections). The same rules as the integration
 * harness's free_port() and refused_port() (tests/integration/harness.py).
 */
#ifndef SEALPACT_TEST_SUPPORT_PORTS_H
#define SEALPACT_TEST_SUPPORT_PORTS_H

/* A port for a program told its port before it binds (PostgreSQL, openssl ocsp):
   free now, at random below the ephemeral range, where neither of those happens;
   two tests drawing the same at once is what is left. Exits 2 when none is free. */
int test_port_free(void);

/* A port where nothing answers while *fd is open: a loopback socket bound to it and
   not listening (a connection is refused at once, and no server can take the
   port). Close *fd when done. Exits 2 on failure. */
int test_port_refused(int *fd);

/* A listening loopback socket on a port the kernel chose (*fd; a server that takes
   a listening socket serves on it): its port. Exits 2 on failure. */
int test_port_listening(int *fd);

#endif
