#define _GNU_SOURCE
#include "await_cgroup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define POLL_MS 5
#define CGROUP_FILE_MAX 65536

/* 1: the unified hierarchy's path ends with "/" suffix; 0: not (yet); -1: unreadable. */
static int moved(const char *suffix)
{
	size_t slen = strlen(suffix), len, off = 0, n;
	uint8_t *buf;
	const char *line;
	int found = 0;

	if (rr_read_small("/proc/self/cgroup", CGROUP_FILE_MAX, &buf, &len) < 0)
		return -1;
	while (!found && (line = rr_next_line(buf, len, &off, &n))) {
		/* "0::<path>": hierarchy 0, no controllers listed, is cgroup v2's. */
		if (n > 3 && memcmp(line, "0::", 3) == 0) {
			const char *path = line + 3;
			size_t plen = n - 3;

			/* A whole last component (or components): "/a.scope" is not ".../xa.scope". */
			found = plen > slen && path[plen - slen - 1] == '/' && memcmp(path + plen - slen, suffix, slen) == 0;
		}
	}
	free(buf);
	return found;
}

static long long now_ms(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t) < 0)
		return -1;
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int rr_await_cgroup(const char *suffix, uint32_t timeout_ms)
{
	long long start = now_ms();

	if (start < 0)
		return -1;
	for (;;) {
		struct timespec t = { 0, POLL_MS * 1000000L };
		long long now;
		int r = moved(suffix);

		if (r != 0)
			return r > 0 ? 0 : -1;
		if ((now = now_ms()) < 0)
			return -1;
		if (now - start >= (long long)timeout_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		while (nanosleep(&t, &t) < 0 && errno == EINTR)
			;
	}
}
