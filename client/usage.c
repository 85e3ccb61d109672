/*
 * usage.c: the one shape of a usage error on the terminal. Every command
 * used to print its own (four helpers, and getopt's messages under the
 * command's bare name or the binary's whole path, some with no hint and one
 * with the message twice); now each is
 *     sealpact: CMD: what was wrong
 *     Run 'sealpact help CMD' for usage.
 * and exit 64, so that a script or a user reads every one the same way.
 */
#include "client.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

int
client_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("sealpact: ", stderr);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		/* "seal apply" has its help under "seal" */
		fprintf(stderr, "\nRun 'sealpact help %.*s' for usage.\n", (int)strcspn(cmd, " "),
			cmd);
	else
		fputs("\nRun 'sealpact --help' for usage.\n", stderr);
	return EX_USAGE;
}

int
client_option_error(const char *cmd, int ch, char *const argv[])
{
	/* getopt_long has stepped past the option (a long one, or a short one
	   that ended its word), so argv[optind - 1] is it as typed; a short one
	   is named by optopt, as it may sit inside a word ("-xo"). After an
	   unknown first letter of a word ("--json -xq") getopt stays inside that
	   word, argv[optind], and argv[optind - 1] is the word before (review50) */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const char *cur = optind > 0 ? argv[optind] : NULL;
	int short_ok = optopt > 0 && optopt < 128 && isgraph(optopt);
	int in_word = short_ok && cur != NULL && cur[0] == '-' && cur[1] != '-' && cur[1] != '\0' &&
		      strchr(cur + 1, optopt) != NULL;
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *name = short_ok && (strncmp(arg, "--", 2) != 0 || in_word) ? shortopt : arg;

	if (ch == ':')
		return client_usage(cmd, "option '%s' needs a value", name);
	return client_usage(cmd, "unknown option '%s'", name);
}

void
client_output_deprecated(const char *cmd, const char *now)
{
	fprintf(stderr,
		"sealpact: %s: note: the output file as an argument is deprecated; write "
		"'sealpact %s'\n",
		cmd, now);
}

int
client_output_opt(const char *cmd, int argc, char **argv, const char **out)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	int ch;

	*out = NULL;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		if (ch != 'o')
			return client_option_error(cmd, ch, argv);
		if (*optarg == '\0')
			return client_usage(cmd, "-o wants a file name");
		*out = optarg;
	}
	return 0;
}

static int
number_ok(const char *n)
{
	size_t i;

	if (n == NULL || strlen(n) != 19)
		return 0;
	for (i = 0; i < 19; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	return 1;
}

/* ("show 12" said "give the 19-digit contract number", as if none had been given) */
int
client_number_arg(const char *cmd, int n, char *const *args, const char *what)
{
	if (n < 1)
		return client_usage(cmd, "give %s", what);
	if (!number_ok(args[0]))
		return client_usage(cmd,
				    "'%s' is not a contract number (19 digits, as 'sealpact "
				    "list' shows them)",
				    args[0]);
	return 0;
}
