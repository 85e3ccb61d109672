/* pin.c: reading a token PIN for login and signing, one way for every command. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "client.h"

/*
 * The terminal whose echo the prompt turned off, and how it was: a signal
 * that ends the program at the prompt (Ctrl-C, a kill) puts it back first,
 * or the user's shell was left typing blind.
 */
static volatile sig_atomic_t echo_fd = -1;
static struct termios echo_old;
static const int echo_sigs[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP };

static void
echo_restore(int sig)
{
	int e = errno;

	if (echo_fd >= 0)
		(void)tcsetattr(echo_fd, TCSAFLUSH, &echo_old);
	errno = e;
	/* SA_RESETHAND made the default action this signal's again: it ends us once
	   the handler returns, as it would have */
	(void)raise(sig);
}

/*
 * The first line of f into pin (n bytes): 0, or -1 when there is none, or -2
 * when it does not fit (never cut short: a token counts a wrong PIN, and
 * locks after a few). f is unbuffered, so no stdio buffer keeps a copy.
 */
static int
read_line(FILE *f, char *pin, size_t n)
{
	size_t len;
	int c;

	if (fgets(pin, (int)n, f) == NULL)
		return -1;
	len = strlen(pin);
	if (len > 0 && len + 1 == n && pin[len - 1] != '\n' && (c = fgetc(f)) != EOF && c != '\n' &&
	    c != '\r') {
		sp_wipe(pin, n);
		return -2;
	}
	pin[strcspn(pin, "\r\n")] = '\0';
	return pin[0] != '\0' ? 0 : -1;
}

/* The PIN from the terminal, echo off from before the prompt shows until the line is read. */
static int
prompt(FILE *f, int fd, char *pin, size_t n)
{
	struct sigaction sa, old[SP_ARRAY_LEN(echo_sigs)];
	struct termios noecho;
	size_t i;
	int rc = -1;

	if (tcgetattr(fd, &echo_old) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_restore;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < SP_ARRAY_LEN(echo_sigs); i++)
		sigaddset(&sa.sa_mask, echo_sigs[i]);
	for (i = 0; i < SP_ARRAY_LEN(echo_sigs); i++)
		(void)sigaction(echo_sigs[i], &sa, &old[i]);
	echo_fd = fd;
	noecho = echo_old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	/* Echo off before the prompt shows: a PIN typed at once is neither
	 * echoed nor flushed away. */
	if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0) {
		fputs("Token PIN: ", f);
		fflush(f);
		rc = read_line(f, pin, n);
		(void)tcsetattr(fd, TCSANOW, &echo_old);
	}
	echo_fd = -1;
	for (i = 0; i < SP_ARRAY_LEN(echo_sigs); i++)
		(void)sigaction(echo_sigs[i], &old[i], NULL);
	return rc;
}

/* The PIN from --pin-file, $SEALPACT_PIN (then taken out of the environment), or
 * the terminal without echo. */
int
client_pin_read(const char *pin_file, char *pin, size_t n, struct sp_errinfo *ei)
{
	const char *env = getenv("SEALPACT_PIN");
	FILE *f;
	int fd, rc = -1;

	if (pin_file != NULL) {
		if ((f = fopen(pin_file, "r")) == NULL)
			return sp_err(ei, SP_ERR_IO, "cannot open %s: %s", pin_file,
				      strerror(errno));
		setvbuf(f, NULL, _IONBF, 0);
		rc = read_line(f, pin, n);
		fclose(f);
		if (rc == -2)
			return sp_err(ei, SP_ERR_INVALID,
				      "the PIN in %s is too long (at most %zu bytes)", pin_file,
				      n - 1);
		return rc == 0 ? SP_OK : sp_err(ei, SP_ERR_INVALID, "%s holds no PIN", pin_file);
	}
	if (env != NULL && *env != '\0') {
		size_t len = strlen(env);

		if (len < n)
			memcpy(pin, env, len + 1);
		/* Gone from the environment once read: /proc/PID/environ shows the
		 * initial strings in place, and a token module's helper process
		 * would inherit them. The variable's text is the environ string
		 * itself, so it is wiped where it lies before it is unlinked. */
		OPENSSL_cleanse((char *)env, len);
		unsetenv("SEALPACT_PIN");
		return len < n ? SP_OK : sp_err(ei, SP_ERR_INVALID, "SEALPACT_PIN is too long");
	}
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY)) < 0 || (f = fdopen(fd, "r+")) == NULL) {
		if (fd >= 0)
			close(fd);
		return sp_err(ei, SP_ERR_INVALID,
			      "no terminal for the PIN prompt: set SEALPACT_PIN or pass "
			      "--pin-file");
	}
	setvbuf(f, NULL, _IONBF, 0);
	rc = prompt(f, fd, pin, n);
	fputc('\n', f);
	fclose(f);
	if (rc == -2)
		return sp_err(ei, SP_ERR_INVALID, "the PIN typed is too long (at most %zu bytes)",
			      n - 1);
	return rc == 0 ? SP_OK : sp_err(ei, SP_ERR_INVALID, "no PIN entered");
}
