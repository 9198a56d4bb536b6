#define _GNU_SOURCE
#include "finish.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"
#include "util.h"

int zoo_write_exit_file(const char *path, int status)
{
	char tmp[PATH_MAX], text[64];
	struct timespec ts;
	int fd, n;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = snprintf(text, sizeof text, "%d %lld.%09ld\n", status, (long long)ts.tv_sec, ts.tv_nsec);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (zoo_write_all(fd, text, (size_t)n) < 0) {
		(void)close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	/* Readers see the whole record or none. */
	return rename(tmp, path);
}

void zoo_exec_exit_command(char **argv, const sigset_t *orig_mask)
{
	static const int sigs[] = { SIGPIPE, SIGCHLD, ZOO_FORWARDED_SIGNALS };
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	/* A blocked mask and ignored signals survive execve: the exit command
	 * must start as any process would. The subreaper bit survives it too. */
	(void)sigemptyset(&dfl.sa_mask);
	for (size_t i = 0; i < ZOO_ARRAY_LEN(sigs); i++)
		(void)sigaction(sigs[i], &dfl, NULL);
	(void)sigprocmask(SIG_SETMASK, orig_mask, NULL);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	execv(argv[0], argv);
	zoo_log("zoo-shim: exit command %s: %s", argv[0], strerror(errno));
}
