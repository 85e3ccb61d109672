/* support_ports.c: see support_ports.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "support_ports.h"

static int
ephemeral_low(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	int low = 32768;

	if (f != NULL) {
		if (fscanf(f, "%d", &low) != 1)
			low = 32768;
		fclose(f);
	}
	return low;
}

/* A loopback socket bound to port (0: the kernel's choice); -1 if it is taken. */
static int
bound(int port, int *got)
{
	struct sockaddr_in a;
	socklen_t n = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0) {
		perror("socket");
		exit(2);
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &n) != 0) {
		close(s);
		return -1;
	}
	*got = ntohs(a.sin_port);
	return s;
}

int
test_port_free(void)
{
	int high = ephemeral_low(), low = high > 21024 ? high - 20000 : 1024, i, s, port;
	static unsigned seed;

	if (seed == 0)
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	for (i = 0; i < 200; i++) {
		if ((s = bound(low + (int)(rand_r(&seed) % (unsigned)(high - low)), &port)) < 0)
			continue;
		close(s);
		return port;
	}
	fprintf(stderr, "test_port_free: no free port below %d\n", high);
	exit(2);
}

int
test_port_refused(int *fd)
{
	int port;

	if ((*fd = bound(0, &port)) < 0) {
		perror("test_port_refused");
		exit(2);
	}
	return port;
}

int
test_port_listening(int *fd)
{
	int port;

	if ((*fd = bound(0, &port)) < 0 || listen(*fd, 128) != 0) {
		perror("test_port_listening");
		exit(2);
	}
	return port;
}
