/*
 * contracts_int.h: the workflow commands of the sealpact CLI (contracts.c).
 */
#ifndef SP_CLIENT_CONTRACTS_INT_H
#define SP_CLIENT_CONTRACTS_INT_H

/* The global options a command needs (copied from main.c's struct cli). */
struct client_cli {
	const char *server;
	const char *cafile;
	long timeout_s;
};

/*
 * Run one of create, list, show, send, receive [--all], reject, cancel,
 * download (argv[0] names it). Returns the exit status: 0, 1 when the server
 * said no, 64 usage, 66 no input file, 69 unreachable, 70 internal, 73 cannot
 * write, 78 bad session file. Main thread.
 */
int client_cmd_contracts(const struct client_cli *cli, int argc, char **argv);

#endif /* SP_CLIENT_CONTRACTS_INT_H */
