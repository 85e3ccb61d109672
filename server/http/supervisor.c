/*
 * supervisor.c: `server.workers: N` > 1. The parent creates the one listening
 * socket of the port (without SO_REUSEPORT, so a port another process holds
 * stops start-up instead of being shared with it), forks N children that
 * inherit it and accept from it independently, and then only supervises: it restarts a child that crashed, forwards SIGTERM
 * and SIGINT, and exits once every child has exited. It never creates an
 * event base, so nothing of libevent crosses a fork.
 *
 * Child i is worker i for its whole life (a restarted child keeps the index
 * of the one it replaces), so it numbers contracts on node server.node_id + i
 * and no two live processes share a node.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "http_int.h"

#define MAX_WORKERS 256
#define RESTART_BACKOFF_S 1

struct child {
	pid_t pid;
	time_t started;
};

static pid_t
spawn(const struct config *cfg, int port, int listen_fd, int idx, const sigset_t *oldmask)
{
	pid_t pid = fork();
	sigset_t mask;

	if (pid != 0)
		return pid;
	mask = *oldmask;

	/*
	 * Child: die with the parent; take signals through the event loop again.
	 * SIGTERM and SIGINT stay blocked until server_run() has its handlers,
	 * so a shutdown that arrives during start-up drains instead of killing.
	 */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	_exit(server_serve(cfg, port, listen_fd, idx, NULL));
}

int
supervisor_run(const struct config *cfg)
{
	struct child kids[MAX_WORKERS];
	int n = cfg->server.workers, i, alive = 0, stopping = 0, failed = 0;
	int resfd = -1, port = 0;
	sigset_t set, oldmask;
	struct sp_errinfo ei;

	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	sp_errinfo_init(&ei);
	/*
	 * Check the TLS, trust and TSA files and the node ids once here, so that
	 * a bad configuration stops start-up with 78 before any child exists.
	 */
	if (server_config_check(cfg, &ei) != SP_OK) {
		log_event(LOG_ERROR, NULL, "start-up failed", "{s:s,s:s}", "error",
			  sp_errname(ei.code), "detail", ei.msg);
		return 78;
	}
	/* The one listening socket of the port; every child accepts from it. */
	if (server_socket_bind(cfg->server.host, cfg->server.port, 1, &resfd, &port, &ei) !=
	    SP_OK) {
		log_event(LOG_ERROR, NULL, "start-up failed", "{s:s}", "detail", ei.msg);
		return 71;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &oldmask);
	memset(kids, 0, sizeof(kids));
	for (i = 0; i < n; i++) {
		kids[i].pid = spawn(cfg, port, resfd, i, &oldmask);
		kids[i].started = time(NULL);
		if (kids[i].pid < 0) {
			log_event(LOG_ERROR, NULL, "fork failed", "{s:s}", "error",
				  strerror(errno));
			failed = 1;
			break;
		}
		alive++;
	}
	log_event(LOG_INFO, NULL, "supervising workers", "{s:i,s:i,s:i}", "workers", alive, "port",
		  port, "pid", (int)getpid());
	if (failed) {
		stopping = 1;
		for (i = 0; i < n; i++)
			if (kids[i].pid > 0)
				kill(kids[i].pid, SIGTERM);
	}
	while (alive > 0) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si), status;
		pid_t pid;

		if (sig < 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping)
				log_event(LOG_INFO, NULL, "stopping workers", "{s:s}", "signal",
					  sig == SIGTERM ? "SIGTERM" : "SIGINT");
			stopping = 1;
			/* No restart will need it: let the port close with the last child. */
			if (resfd >= 0) {
				close(resfd);
				resfd = -1;
			}
			for (i = 0; i < n; i++)
				if (kids[i].pid > 0)
					kill(kids[i].pid, sig);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			int startup = WIFEXITED(status) &&
				      (WEXITSTATUS(status) == 71 || WEXITSTATUS(status) == 78);

			for (i = 0; i < n && kids[i].pid != pid; i++)
				;
			if (i == n)
				continue;
			kids[i].pid = 0;
			alive--;
			if (stopping || startup) {
				if (!clean)
					failed = 1;
				if (startup && !stopping) {
					/* A child that cannot start will not start on retry either. */
					log_event(LOG_ERROR, NULL,
						  "worker failed to start; stopping", "{s:i}",
						  "pid", (int)pid);
					stopping = 1;
					for (int k = 0; k < n; k++)
						if (kids[k].pid > 0)
							kill(kids[k].pid, SIGTERM);
				}
				continue;
			}
			log_event(LOG_ERROR, NULL, "worker exited; restarting", "{s:i,s:i,s:i}",
				  "pid", (int)pid, "status",
				  WIFEXITED(status) ? WEXITSTATUS(status) : -1, "signal",
				  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
			/* A crash loop should not spin the machine. */
			if (time(NULL) - kids[i].started < RESTART_BACKOFF_S)
				sleep(RESTART_BACKOFF_S);
			kids[i].pid = spawn(cfg, port, resfd, i, &oldmask);
			kids[i].started = time(NULL);
			if (kids[i].pid > 0)
				alive++;
		}
	}
	if (resfd >= 0)
		close(resfd);
	log_event(failed ? LOG_ERROR : LOG_INFO, NULL, "all workers stopped", "{s:b}", "clean",
		  !failed);
	return failed ? 1 : 0;
}
