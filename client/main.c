/*
 * main.c: the sealpact command line, the signing terminal.
 *
 *   sealpact [--server URL] [--cacert FILE] [--timeout SECONDS] COMMAND [ARGS]
 *
 * Commands are rows of commands[] below: a later command is one function and
 * one row. Exit status (global_help says it to the user): 0 success, 1 the
 * server said no (or is not ready), 64 usage error (EX_USAGE), 66 no input
 * (EX_NOINPUT), 69 the server cannot be reached (EX_UNAVAILABLE), 70 internal
 * error (EX_SOFTWARE), 73 cannot write (EX_CANTCREAT), 76 a senseless answer
 * (EX_PROTOCOL), 78 a damaged session file (EX_CONFIG). `sign --offline` has
 * its own for each cause (sign_offline.c, step_exit; the README's table).
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "client.h"
#include "contracts_int.h"
#include "login_int.h"
#include "sign_int.h"
#include "verify_int.h"

/* Global options, after the environment and the command line are read. */
struct cli {
	const char *server; /* base URL of sealpactd */
	const char *cafile; /* CA bundle that verifies the server, NULL = system */
	long timeout_s;
};

struct command {
	const char *name;
	const char *args;    /* usage after the command name */
	const char *summary; /* one line for --help */
	const char *help;    /* the rest of `sealpact help NAME` */
	/* argv[0] is the command name; returns the exit status. A command that
	 * takes options parses them with getopt_long after setting optind = 0. */
	int (*run)(const struct cli *cli, int argc, char **argv);
};

static int cmd_health(const struct cli *cli, int argc, char **argv);
static int cmd_help(const struct cli *cli, int argc, char **argv);
static int cmd_version(const struct cli *cli, int argc, char **argv);
static int
cmd_login(const struct cli *cli, int argc, char **argv)
{
	return client_cmd_login(cli->server, cli->cafile, cli->timeout_s, argc, argv);
}
static int
cmd_logout(const struct cli *cli, int argc, char **argv)
{
	return client_cmd_logout(cli->server, cli->cafile, cli->timeout_s, argc, argv);
}
static int
cmd_whoami(const struct cli *cli, int argc, char **argv)
{
	return client_cmd_whoami(cli->server, cli->cafile, cli->timeout_s, argc, argv);
}
static int
cmd_sign(const struct cli *cli, int argc, char **argv)
{
	return client_cmd_sign(cli->server, cli->cafile, cli->timeout_s, argc, argv);
}
static int
cmd_contracts(const struct cli *cli, int argc, char **argv)
{
	struct client_cli c = { cli->server, cli->cafile, cli->timeout_s };
	return client_cmd_contracts(&c, argc, argv);
}

static int
cmd_seal(const struct cli *cli, int argc, char **argv)
{
	struct client_cli c = { cli->server, cli->cafile, cli->timeout_s };
	return client_cmd_seal(&c, argc, argv);
}

static int
cmd_verify(const struct cli *cli, int argc, char **argv)
{
	return client_cmd_verify(cli->cafile, argc, argv);
}

static const struct command commands[] = {
	{ "health", "", "check that the server is up and ready",
	  "GET /healthz and /readyz and print both statuses. Exits 0 when both answer\n"
	  "200, 1 when the server answers otherwise (e.g. 503: its database is\n"
	  "unreachable), 69 when the server cannot be reached.\n",
	  cmd_health },
	{ "login",
	  "[--module SO] [--token LABEL] [--key-id HEX] [--pin-file F] | --key PEM --cert PEM",
	  "log in with the key on a USB token (or a development PEM key)",
	  "Asks the server for a challenge, signs it with the token's key and keeps the\n"
	  "session in $XDG_CONFIG_HOME/sealpact/session.json (~/.config/...), mode 0600.\n"
	  "  --module SO        PKCS#11 module (env SEALPACT_PKCS11_MODULE)\n"
	  "  --token LABEL      token label (env SEALPACT_TOKEN); --serial S by serial\n"
	  "  --key-id HEX       the key's CKA_ID (env SEALPACT_KEY_ID); --key-label L\n"
	  "  --pin-file F       read the PIN from F; else SEALPACT_PIN; else a prompt\n"
	  "  --key PEM --cert PEM  a development key and certificate (also SM2)\n",
	  cmd_login },
	{ "logout", "", "end the saved session",
	  "Ends the session on the server and removes the saved session file. Not\n"
	  "logged in (or the session already ended on the server): nothing to end,\n"
	  "exit 0 with a note.\n",
	  cmd_logout },
	{ "whoami", "[--json | --all]", "show who the saved session is (--all: every profile)",
	  "--json prints the server's answer (kind, user, organization, certificate) as\n"
	  "JSON. --all lists every profile with a saved session: its organization, server and\n"
	  "expiry, from the files alone; '*' marks the one in use. A profile is chosen\n"
	  "with --profile NAME (before the command) or SEALPACT_PROFILE, e.g.\n"
	  "  sealpact --profile supplier login --token supplier-rsa ...\n"
	  "  sealpact --profile supplier list --tab todo\n",
	  cmd_whoami },
	{ "create",
	  "FILE --name N [--business-type T] [--deadline TIME] [--signer "
	  "PARTY[:ORDER][:NAME]]... [--cc PARTY[:NAME]]... [--idempotency-key K] [--send]",
	  "create a draft contract from a PDF (and send it with --send)",
	  "Prints the new contract's 19-digit number. PARTY is an organization's\n"
	  "18-character credit code, or an alias from the alias file (SEALPACT_ALIASES,\n"
	  "else $XDG_CONFIG_HOME/sealpact/aliases.tsv: lines ALIAS<TAB>NAME<TAB>CODE,\n"
	  "the format of the development setup's var/pki/orgs.tsv, so 'supplier' names\n"
	  "the demo supplier). NAME is needed for an organization that has never logged\n"
	  "in (an alias supplies it). Equal ORDERs sign in parallel. T is a business\n"
	  "type's code or display name (e.g. purchase or 采购). TIME is an RFC 3339 time\n"
	  "with a zone (e.g. 2026-12-31T18:00:00+08:00): a contract not signed by then\n"
	  "expires. --idempotency-key K: a retry with the same K creates nothing new\n"
	  "and prints the same number. --send needs a signer and is checked before\n"
	  "anything is created.\n",
	  cmd_contracts },
	{ "edit",
	  "NUMBER [--name N] [--business-type T] [--deadline TIME] "
	  "[--signer PARTY[:ORDER][:NAME]]... [--cc PARTY[:NAME]]...",
	  "change a draft (only what you pass; parties given replace all parties)",
	  "The values are as for create ('sealpact help create').\n", cmd_contracts },
	{ "delete", "NUMBER", "delete a draft you created", "", cmd_contracts },
	{ "list",
	  "[--tab todo|initiated|signed|cc|drafts] [--status S] [--business-type T] [--q TEXT] "
	  "[--initiator NAME|CODE] [--from TIME] [--to TIME] [--page N] [--page-size N] [--json]",
	  "list contracts (the five tabs, with filters)",
	  "--tab picks the list (todo when not given): todo, what waits for you to\n"
	  "receive, sign or send (待我办理); initiated, what you sent out (我发起的);\n"
	  "signed, what you signed (我签署的); cc, what is copied to you (抄送我的);\n"
	  "drafts, your drafts (我的草稿).\n"
	  "S is draft, signing, completed, rejected, cancelled or expired; T is a\n"
	  "business type's code or display name; --q finds TEXT in the name or the\n"
	  "number; --initiator keeps an initiator's contracts, by its name or credit\n"
	  "code. --from and --to bound the time the contract was created, as RFC 3339\n"
	  "times (e.g. 2026-01-01T00:00:00Z). Ten rows a page unless --page-size (1..100).\n"
	  "--json prints the server's page as JSON (ASCII, every other character\n"
	  "escaped).\n",
	  cmd_contracts },
	{ "show", "NUMBER", "show a contract: parties, statuses, revisions, audit trail", "",
	  cmd_contracts },
	{ "send", "NUMBER", "send a draft, or hand a signed contract to the next signers", "",
	  cmd_contracts },
	{ "receive", "NUMBER | --all", "receive a pending contract (or all of them)", "",
	  cmd_contracts },
	{ "reject", "NUMBER REASON", "reject a contract with a reason everyone sees",
	  "A REASON of several words goes in quotes: reject N \"the price changed\".\n",
	  cmd_contracts },
	{ "cancel", "NUMBER", "cancel a contract you initiated while it is being signed", "",
	  cmd_contracts },
	{ "download", "NUMBER [REVISION] -o FILE", "save the latest (or one revision's) PDF",
	  "REVISION is a revision's number as 'sealpact show' lists them; without it\n"
	  "the latest. The file is written whole or not at all. The old form\n"
	  "'download NUMBER FILE [REVISION]' still works and prints a note.\n",
	  cmd_contracts },
	{ "evidence", "NUMBER -o FILE",
	  "save the signed evidence report (出证报告) of a finished contract",
	  "For a completed, rejected, cancelled or expired contract you are a party of:\n"
	  "a PDF in Chinese and English with the contract's hashes (SHA-256, SM3), the\n"
	  "parties, every signature with its certificate, seal, timestamp, level and\n"
	  "verification result, and the audit trail with its hash chain, signed by the\n"
	  "platform (PAdES B-LTA) with the signed contract attached. Each request is\n"
	  "recorded in the contract's audit trail. Check it with 'sealpact verify FILE';\n"
	  "'pdfdetach -save 1 FILE' extracts the contract. The file is written whole or\n"
	  "not at all: a refusal leaves nothing behind.\n",
	  cmd_contracts },
	{ "sign",
	  "NUMBER (PLACEMENT... | --invisible) [--seal ID] [token options] | --offline IN.pdf "
	  "-o OUT.pdf "
	  "(PLACEMENT... | --invisible) [token options] [--seal PNG] [--chain PEM] [--reason "
	  "TEXT] [--tsa URL | --tsa-cert PEM "
	  "--tsa-key PEM] [--tsa-trust PEM] [--date-zone ZONE] [--level B-B|B-T|B-LT|B-LTA "
	  "--trust-roots PEM [--crl FILE]... [--ocsp FILE]... [--ocsp-allow HOSTS]]",
	  "sign a contract (or a local PDF) with the key on your token",
	  "Where the seals go (flags repeat; at least one, or --invisible):\n"
	  "  --normal P,X,Y     one seal on page P\n"
	  "  --multi PAGES,X,Y  the same seal on each page of PAGES (1-3,5 or all)\n"
	  "  --seam PAGES,Y     a seam seal (骑缝章) cut across the right edges of PAGES\n"
	  "  --keyword TEXT[,OCCURRENCES]  a seal centred on each occurrence of TEXT\n"
	  "  --date P,X,Y       the signing date (YYYY-MM-DD) as text on page P\n"
	  "  --field NAME       the seal in the empty signature field NAME the document\n"
	  "                     has (a certifier's: DocMDP P=2 permits signing it), alone\n"
	  "  --invisible        no seal on the page: the signature is only in the file\n"
	  "Units are PDF points (1/72 inch; an A4 page is 595 x 842). X,Y is the CENTRE\n"
	  "of the seal, measured from the bottom-left corner of the page as it is shown\n"
	  "(after its crop box and rotation). Pages count from 1. Keyword occurrences\n"
	  "count across the WHOLE document in reading order (page 1 first), not per\n"
	  "page: \"乙方（盖章）,2\" is the second occurrence anywhere; \"1,3\", \"2-4\" and\n"
	  "\"all\" (the default) work as page ranges do.\n"
	  "Examples:\n"
	  "  sealpact sign N --normal 1,400,120        page 1, centre 400 pt right, 120 up\n"
	  "  sealpact sign N --multi 1-3,450,700       pages 1 to 3 at the same spot\n"
	  "  sealpact sign N --seam all,400            a seam seal 400 pt up every page\n"
	  "  sealpact sign N --keyword 乙方（盖章）,1  on the first occurrence of the text\n"
	  "  sealpact sign N --date 1,400,60           the date on page 1\n"
	  "  sealpact sign N --invisible               a signature with no seal shown\n"
	  "Online, --seal ID puts your organization's seal ID on the page (an approved\n"
	  "or installed seal, valid now: 'sealpact seal list'); without it the server's\n"
	  "development demo seal, where it has one. Offline, --seal PNG is the picture,\n"
	  "--chain PEM the CA certificates to embed with yours, --reason TEXT the\n"
	  "signature's /Reason.\n"
	  "The resolved seal rectangles are printed before the PIN is asked. Token\n"
	  "options as for login (--module, --token, --key-id, --pin-file; or --key PEM\n"
	  "--cert PEM). Online the server adds the timestamp and writes the date in its\n"
	  "configured zone (signing.date_seal_zone); offline --tsa URL gets a timestamp\n"
	  "(without it the file has none, and it says so) and --date-zone ZONE (an IANA\n"
	  "name, default Asia/Shanghai) picks the date's zone. An https TSA is verified\n"
	  "against --cacert (global, or after sign).\n"
	  "Offline PAdES level (--level): B-B (no timestamp), B-T (the default with a\n"
	  "TSA), B-LT (then a /DSS with the certificates and revocation data of the\n"
	  "signer's and the TSA's chains, built to --trust-roots: OCSP from each\n"
	  "certificate's AIA responder, which must be at a public address unless\n"
	  "--ocsp-allow names it, else the --crl files; --ocsp FILE adds a DER OCSP\n"
	  "response you fetched), B-LTA (and a document timestamp over everything).\n",
	  cmd_sign },
	{ "seal", "apply|change|form|upload|submit|modify|cancel|show|list|install ...",
	  "apply for your organization's electronic seal, install it on the token",
	  "The seal's life from the terminal (a logged-in member; IDs are the numbers\n"
	  "the commands print):\n"
	  "  seal apply --name NAME --type official|contract\n"
	  "                     apply for a seal: NAME must equal the physical seal's\n"
	  "                     name; official is 公章, contract is 合同专用章\n"
	  "  seal change SEAL_ID [--name NAME] [--type T]\n"
	  "                     apply for a seal that replaces SEAL_ID once approved\n"
	  "                     (the old seal is then revoked)\n"
	  "  seal form APP_ID -o FILE.pdf\n"
	  "                     download the application form: print it, stamp it with\n"
	  "                     the physical seal, scan it in colour\n"
	  "  seal upload APP_ID SCAN [--submit]\n"
	  "                     upload the scan (PDF, PNG or JPEG, at most 10 MiB);\n"
	  "                     --submit also submits it for review\n"
	  "  seal submit APP_ID  submit a draft with its scan for review\n"
	  "  seal modify APP_ID [--name NAME] [--type T] [--scan SCAN] [--submit]\n"
	  "                     change an application under review or rejected (it goes\n"
	  "                     back to draft); --submit resubmits it\n"
	  "  seal cancel APP_ID  withdraw an application\n"
	  "  seal show APP_ID    an application: status, scan, the reviewer's note, seal\n"
	  "  seal list [--json] [--module SO] [--token LABEL]\n"
	  "                     the seals on the token (with a module) and on the server,\n"
	  "                     with status and validity, and the applications\n"
	  "  seal install SEAL_ID [--module SO] [--token LABEL] [--key-id HEX]\n"
	  "               [--pin-file F] [--maker-cert PEM]\n"
	  "                     download an approved seal (GB/T 38540 SESeal), check the\n"
	  "                     platform's signature (against --maker-cert or\n"
	  "                     SEALPACT_SEAL_MAKER_CERT when given, else the certificate\n"
	  "                     the server names), that it binds the certificate on this\n"
	  "                     token and is not expired; store it on the token (a public\n"
	  "                     PKCS#11 data object, application \"sealpact-seal\", label\n"
	  "                     SEAL_ID; the PIN is asked without echo) and tell the\n"
	  "                     server it is installed. A seal that fails a check is not\n"
	  "                     stored. Token options as for login (SEALPACT_PKCS11_MODULE,\n"
	  "                     SEALPACT_TOKEN, SEALPACT_KEY_ID, SEALPACT_PIN).\n"
	  "Exit status: 0 done, 1 the server or the token said no (the reason is\n"
	  "printed), 64 usage, 65 a scan that is no PDF/PNG/JPEG, 66 unreadable file,\n"
	  "69 server unreachable, 73 cannot write the form.\n",
	  cmd_seal },
	{ "verify",
	  "FILE [--json] [--trust-roots PEM]... [--intermediate PEM]... [--crl F]... [--tsa-trust "
	  "PEM] [--at TIME]",
	  "verify every signature of a PDF offline",
	  "Integrity, trust (chain to --trust-roots/--cacert at the timestamp's time),\n"
	  "timestamps and what changed after each signature. Exit 0 every signature\n"
	  "valid and the whole file signed (--json verdict \"valid\" or\n"
	  "\"valid_with_allowed_changes\"), 1 invalid, only with proof: digest, signature\n"
	  "value, disallowed change, broken revision chain (\"invalid\"), 2 indeterminate:\n"
	  "cannot decide, e.g. untrusted root, unsupported algorithm or structure, unsigned\n"
	  "last revision (\"indeterminate\"), 3 no signature (\"no_signature\"), 4 the\n"
	  "file cannot be parsed (\"unreadable\"). Each signature's \"level\" is pades_b,\n"
	  "pades_b_t, pades_b_lt (revocation data embedded in a later /DSS), pades_b_lta\n"
	  "(and a document timestamp over it) or not_pades (sound, not PAdES baseline:\n"
	  "adbe.pkcs7 or adbe.x509.rsa_sha1, or a CMS without ESS or with signing-time,\n"
	  "or no /M). After a certification, DocMDP P=2 permits filling in form fields\n"
	  "that no FieldMDP lock covers, P=3 also annotations; P=1 nothing. Revocation is\n"
	  "answered from the file's /DSS first, without network. --at TIME (RFC 3339,\n"
	  "e.g. 2040-01-01T00:00:00Z) moves the verification clock: a signature without\n"
	  "a timestamp is checked then, timestamps are checked against it.\n"
	  "--intermediate PEM adds CA certificates to build the chains with, --crl F a\n"
	  "CRL (DER or PEM) to answer revocation with, --tsa-trust PEM the roots the\n"
	  "timestamps must chain to (else the --trust-roots); each of these and\n"
	  "--trust-roots repeats, up to 32 files.\n",
	  cmd_verify },
	{ "help", "[COMMAND]", "show help for sealpact or for one command", "", cmd_help },
	{ "version", "", "print the version", "", cmd_version },
};

static const char global_help[] =
	"Global options (before the command):\n"
	"  --server URL       sealpactd base URL (env SEALPACT_SERVER, "
	"default " CLIENT_DEFAULT_SERVER ")\n"
	"  --cacert FILE      PEM CA certificates that verify the server's (and an offline\n"
	"                     --tsa https URL's) TLS certificate\n"
	"                     (env SEALPACT_CACERT; default the system store; verification\n"
	"                     is always on)\n"
	"  --timeout SECONDS  per-request deadline, 1..3600 (default 30)\n"
	"  --profile NAME     act as one of several organizations: each profile keeps its\n"
	"                     own session (env SEALPACT_PROFILE; 'sealpact whoami --all'\n"
	"                     lists them)\n"
	"  -h, --help         this help\n"
	"  -V, --version      print the version\n"
	"\n"
	"A command that writes a file (download, evidence, seal form, sign --offline)\n"
	"names it with -o FILE (or --output FILE) and writes it whole or not at all.\n"
	"\n"
	"The commands that call the server send the session 'sealpact login' saved;\n"
	"SEALPACT_API_KEY, when set, is sent instead (an organization API key, for\n"
	"scripts; login, logout, whoami and sign use the session).\n"
	"\n"
	"Exit status: 0 done; 1 the server said no (its reason is printed); 64 a\n"
	"usage error; 66 a file cannot be read; 69 the server cannot be reached; 70 an\n"
	"internal error; 73 a file cannot be written; 76 the server's answer makes no\n"
	"sense; 78 the saved session is damaged. verify, seal and sign --offline say\n"
	"theirs in 'sealpact help COMMAND'.\n";

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sealpact [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < SP_ARRAY_LEN(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n%s\nRun 'sealpact help COMMAND' for a command's details.\n", global_help);
}

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < SP_ARRAY_LEN(commands); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

static void
command_help(const struct command *cmd, FILE *f)
{
	fprintf(f, "usage: sealpact [OPTIONS] %s%s%s\n\n%s.\n", cmd->name, cmd->args[0] ? " " : "",
		cmd->args, cmd->summary);
	if (cmd->help[0] != '\0')
		fprintf(f, "\n%s", cmd->help);
}

/* The exit status for a failed transfer: unreachable vs. our own problem. */
static int
transport_exit(int code)
{
	switch (code) {
	case SP_ERR_INVALID:
		return EX_USAGE;
	case SP_ERR_NOMEM:
	case SP_ERR_INTERNAL:
		return EX_SOFTWARE;
	default:
		return EX_UNAVAILABLE;
	}
}

static void
transport_error(const struct sp_errinfo *ei)
{
	fprintf(stderr, "sealpact: error: cannot reach the server: %s\n", ei->msg);
	if (ei->code == SP_ERR_CRYPTO)
		fprintf(stderr, "sealpact: hint: pass the server's CA with --cacert FILE "
				"(or SEALPACT_CACERT)\n");
}

static int
client_open(const struct cli *cli, struct client **out)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	if (client_new(cli->server, cli->cafile, cli->timeout_s, out, &ei) != SP_OK) {
		fprintf(stderr, "sealpact: %s\n", ei.msg);
		return transport_exit(ei.code);
	}
	return 0;
}

static int
cmd_health(const struct cli *cli, int argc, char **argv)
{
	static const char *const paths[] = { "/healthz", "/readyz" };
	struct client *c = NULL;
	struct client_response resp;
	struct sp_errinfo ei;
	char line[512];
	size_t i;
	int rc, all_ok = 1;

	if (argc > 1)
		return client_usage("health", "unexpected argument '%s'", argv[1]);
	if ((rc = client_open(cli, &c)) != 0)
		return rc;
	client_response_init(&resp, 64 * 1024);
	for (i = 0; i < SP_ARRAY_LEN(paths); i++) {
		sp_errinfo_init(&ei);
		if (client_request(c, "GET", paths[i], NULL, 0, NULL, NULL, &resp, &ei) != SP_OK) {
			transport_error(&ei);
			rc = transport_exit(ei.code);
			goto out;
		}
		if (resp.status == 200) {
			printf("%s %s: 200 OK\n", c->base_url, paths[i]);
		} else {
			client_error_format(&resp, line, sizeof(line));
			printf("%s %s: %s\n", c->base_url, paths[i], line);
			all_ok = 0;
		}
	}
	rc = all_ok ? 0 : 1;
out:
	client_response_cleanup(&resp);
	client_free(c);
	return rc;
}

static int
cmd_help(const struct cli *cli, int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (argc > 2)
		return client_usage("help", "unexpected argument '%s'", argv[2]);
	if ((cmd = command_find(argv[1])) == NULL)
		return client_usage(NULL, "help: unknown command '%s'", argv[1]);
	command_help(cmd, stdout);
	return 0;
}

static int
cmd_version(const struct cli *cli, int argc, char **argv)
{
	if (argc > 1)
		return client_usage("version", "unexpected argument '%s'", argv[1]);
	printf("sealpact %s (%s)\n", SEALPACT_VERSION, curl_version());
	return 0;
}

static int
parse_timeout(const char *s, long *out)
{
	int64_t v;

	if (sp_parse_i64(s, 1, CLIENT_MAX_TIMEOUT_S, &v) != SP_OK)
		return -1;
	*out = (long)v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { CLIENT_DEFAULT_SERVER, NULL, CLIENT_DEFAULT_TIMEOUT_S };
	const struct command *cmd;
	const char *env;
	int ch;

	if ((env = getenv("SEALPACT_SERVER")) != NULL && *env != '\0')
		cli.server = env;
	if ((env = getenv("SEALPACT_CACERT")) != NULL && *env != '\0')
		cli.cafile = env;
	/* "+": stop at the command name; what follows is the command's. */
	while ((ch = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			cli.server = optarg;
			break;
		case 'c':
			cli.cafile = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &cli.timeout_s) != 0)
				return client_usage(NULL,
						    "--timeout: '%s' is not a number of seconds in "
						    "1..3600",
						    optarg);
			break;
		case 'p':
			/* The session code reads the environment: one source of truth. */
			if (client_profile_check(optarg) != 0)
				return client_usage(NULL,
						    "--profile: '%s' is not 1..%d of a-z, 0-9, "
						    "'-', "
						    "'_'",
						    optarg, CLIENT_PROFILE_MAX);
			if (setenv("SEALPACT_PROFILE", optarg, 1) != 0)
				return EX_OSERR;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return cmd_version(&cli, 1, argv);
		default:
			return client_option_error(NULL, ch, argv);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((cmd = command_find(argv[optind])) == NULL)
		return client_usage(NULL, "unknown command '%s'", argv[optind]);
	if (argc - optind > 1 &&
	    (strcmp(argv[optind + 1], "--help") == 0 || strcmp(argv[optind + 1], "-h") == 0)) {
		command_help(cmd, stdout);
		return 0;
	}
	return cmd->run(&cli, argc - optind, argv + optind);
}
