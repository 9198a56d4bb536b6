#define _GNU_SOURCE
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int zoo_init_fork(int sock)
{
	sigset_t all, old;
	pid_t pid;
	int status = 0;

	/* Blocked before fork, so nothing is lost between fork and sigwaitinfo;
	 * the command gets the mask back before it execs. */
	if (sigfillset(&all) < 0 || sigprocmask(SIG_SETMASK, &all, &old) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (pid == 0)
		return sigprocmask(SIG_SETMASK, &old, NULL);
	(void)close(sock);
	(void)prctl(PR_SET_NAME, "zoo-init", 0, 0, 0);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* Stop signals would only stop us: the command gets them. */
			(void)kill(pid, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);

			if (p <= 0)
				break;
			if (p == pid)
				status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
			if (p == pid) {
				/* The rest of the namespace dies with us. */
				_exit(status);
			}
		}
	}
}
