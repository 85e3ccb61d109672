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

struct client;
struct client_response;
struct sp_errinfo;

/*
 * A client for cli->server with the caller's bearer: SEALPACT_API_KEY (an
 * organization API key), else the session `sealpact login` saved. Returns 0 and *out
 * (client_free()), or the exit status after printing why (cmd names the
 * command in the message).
 */
int client_cli_open(const struct client_cli *cli, const char *cmd, struct client **out);

/* A failed transfer: prints "sealpact: CMD: why", returns the exit status. */
int client_cli_transport(const char *cmd, const struct sp_errinfo *ei);

/* The server said no: prints the problem as one line, returns 1. */
int client_cli_said_no(const char *cmd, const struct client_response *resp);

/* `sealpact seal ...` (seals.c): argv[0] is "seal"; returns the exit status. */
int client_cmd_seal(const struct client_cli *cli, int argc, char **argv);

#endif /* SP_CLIENT_CONTRACTS_INT_H */
