/* pin.c: reading a token PIN for login and signing, one way for every command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"

static int
strip_line(char *s)
{
	size_t n = strcspn(s, "\r\n");

	s[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* The PIN from $SEALPACT_PIN, --pin-file, or the terminal without echo. */
int
client_pin_read(const char *pin_file, char *pin, size_t n, struct sp_errinfo *ei)
{
	struct termios old, noecho;
	const char *env = getenv("SEALPACT_PIN");
	FILE *f;
	int fd, rc = -1;

	if (pin_file != NULL) {
		if ((f = fopen(pin_file, "r")) == NULL)
			return sp_err(ei, SP_ERR_IO, "cannot open %s: %s", pin_file,
				      strerror(errno));
		rc = fgets(pin, (int)n, f) != NULL ? strip_line(pin) : -1;
		fclose(f);
		return rc == 0 ? SP_OK : sp_err(ei, SP_ERR_INVALID, "%s holds no PIN", pin_file);
	}
	if (env != NULL && *env != '\0') {
		if (strlen(env) >= n)
			return sp_err(ei, SP_ERR_INVALID, "SEALPACT_PIN is too long");
		snprintf(pin, n, "%s", env);
		return SP_OK;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY)) < 0 || (f = fdopen(fd, "r+")) == NULL) {
		if (fd >= 0)
			close(fd);
		return sp_err(ei, SP_ERR_INVALID,
			      "no terminal for the PIN prompt: set SEALPACT_PIN or pass "
			      "--pin-file");
	}
	/* Echo off before the prompt shows: a PIN typed at once is neither
	 * echoed nor flushed away. */
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0) {
			fputs("Token PIN: ", f);
			fflush(f);
			rc = fgets(pin, (int)n, f) != NULL ? strip_line(pin) : -1;
			(void)tcsetattr(fd, TCSANOW, &old);
		}
	}
	fputc('\n', f);
	fclose(f);
	return rc == 0 ? SP_OK : sp_err(ei, SP_ERR_INVALID, "no PIN entered");
}
