#define _GNU_SOURCE
#include "fallback.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "zoo_replay.h"

char *rr_exe_dir(void)
{
	char buf[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash) {
		errno = ENOENT;
		return NULL;
	}
	*slash = '\0';
	return strdup(slash == buf ? "/" : buf);
}

int rr_bun_path(const char *dir, char *out, size_t n)
{
	int k = snprintf(out, n, "%s%s" ZOO_REPLAY_BUN_NAME, dir, strcmp(dir, "/") == 0 ? "" : "/");

	if (k < 0 || (size_t)k >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

void rr_exec_bun(const char *dir, char **argv, const sigset_t *mask)
{
	char path[PATH_MAX];
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;

	base = base ? base + 1 : argv[0];
	/* A path cut short fails the exec below, which says so. */
	(void)rr_bun_path(dir, path, sizeof path);
	/* The Bun executable picks its front door by argv[0]'s base name. Started
	 * as `zoo`, it is the engine's door as given. Otherwise kept as given when
	 * it already says zoo-runtime (ps shows what was run), replaced when we
	 * were started under another name (a `runc` link). */
	if (!base || (strcmp(base, "zoo") != 0 && strcmp(base, "zoo-runtime") != 0))
		argv[0] = (char *)"zoo-runtime";
	/* Signals that came while we held them blocked are the Bun path's now
	 * (or end us here, as they would have ended it). */
	if (sigprocmask(SIG_SETMASK, mask, NULL) == 0)
		execv(path, argv);
	dprintf(2, "%s: %s: %s\n", rr_door, path, strerror(errno));
	_exit(127);
}
