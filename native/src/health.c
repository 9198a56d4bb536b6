#define _GNU_SOURCE
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int zoo_health_timeout(struct zoo_health *h)
{
	uint64_t now;

	if (!h->cmd)
		return -1;
	now = now_ms();
	if (!h->next_ms)
		h->next_ms = now + h->interval_ms;
	if (h->running)
		return (int)(h->interval_ms < 1000 ? h->interval_ms : 1000);
	return h->next_ms <= now ? 0 : (int)(h->next_ms - now > 3600000 ? 3600000 : h->next_ms - now);
}

void zoo_health_tick(struct zoo_health *h, const sigset_t *orig_mask)
{
	uint64_t now = now_ms();
	pid_t pid;

	if (!h->cmd || h->running || now < h->next_ms)
		return;
	h->next_ms = now + h->interval_ms;
	pid = fork();
	if (pid < 0) {
		zoo_log("zoo-shim: health check: fork: %s", strerror(errno));
		return;
	}
	if (pid > 0) {
		h->running = pid;
		return;
	}
	/* None of the monitor's fds (the container's lock among them) and
	 * none of its signal state go to the check. */
	(void)syscall(SYS_close_range, 3U, ~0U, 0U);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	(void)sigprocmask(SIG_SETMASK, orig_mask, NULL);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	(void)sigemptyset(&dfl.sa_mask);
	(void)sigaction(SIGPIPE, &dfl, NULL);
	execv(h->cmd[0], h->cmd);
	_exit(127);
}

int zoo_health_reaped(struct zoo_health *h, pid_t pid)
{
	if (!h->running || pid != h->running)
		return 0;
	h->running = 0;
	return 1;
}
