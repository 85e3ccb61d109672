/* support_shell.c: see support_shell.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "support_shell.h"

int
test_run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}
