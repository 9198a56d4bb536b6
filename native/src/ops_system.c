/* Per-process and per-namespace settings, and the two ops that talk to the
 * world outside the child: WAIT_START and CLOSE_FDS. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"
#include "sync.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

int op_sethostname(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	return sethostname(op->u.str, strlen(op->u.str));
}

int op_setdomainname(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	return setdomainname(op->u.str, strlen(op->u.str));
}

static const char *const rlimit_names[] = {
	"RLIMIT_CPU",	 "RLIMIT_FSIZE",   "RLIMIT_DATA",   "RLIMIT_STACK",	"RLIMIT_CORE",	 "RLIMIT_RSS",
	"RLIMIT_NPROC",	 "RLIMIT_NOFILE",  "RLIMIT_MEMLOCK", "RLIMIT_AS",	"RLIMIT_LOCKS",	 "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

int op_rlimit(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	/* rlim_t is 64-bit and RLIM_INFINITY is all ones: the plan's u64 as is. */
	struct rlimit rl = { .rlim_cur = op->u.rlimit.soft, .rlim_max = op->u.rlimit.hard };

	if (op->u.rlimit.resource < ZOO_ARRAY_LEN(rlimit_names))
		ctx->object = rlimit_names[op->u.rlimit.resource];
	return setrlimit((int)op->u.rlimit.resource, &rl);
}

int op_unshare(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	return unshare((int)op->u.unshare_flags);
}

/* A time namespace with clock offsets. clone(CLONE_NEWTIME) would put us in
 * it at once, and the kernel freezes a namespace's offsets when its first
 * process enters; unshare() only makes it our children's, so the offsets can
 * still be written (through /proc/self, which names its time_for_children),
 * and setns() then moves this single-threaded process itself in. */
int op_time_ns(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	char text[128];
	int fd, n;

	ctx->object = "unshare(CLONE_NEWTIME)";
	if (unshare(CLONE_NEWTIME) < 0)
		return -1;
	n = snprintf(text, sizeof text, "monotonic %lld %u\nboottime %lld %u\n",
		     (long long)op->u.timens.monotonic_secs, op->u.timens.monotonic_nsecs,
		     (long long)op->u.timens.boottime_secs, op->u.timens.boottime_nsecs);
	if (n < 0 || (size_t)n >= sizeof text) {
		errno = EOVERFLOW;
		return -1;
	}
	ctx->object = "/proc/self/timens_offsets";
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* The kernel takes every line of one write or none of them. */
	if (zoo_write_all(fd, text, (size_t)n) < 0) {
		int err = errno;

		(void)close(fd);
		errno = err;
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	ctx->object = "/proc/self/ns/time_for_children";
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (setns(fd, CLONE_NEWTIME) < 0) {
		int err = errno;

		(void)close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

/* `create` leaves the container here until `start` opens the fifo for reading.
 * CREATED goes out first: once we block, only the fifo can wake us. */
int op_wait_start(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	int fd;

	if (zoo_send(ctx->sock, ZOO_MSG_CREATED, NULL, 0) < 0) {
		ctx->object = "CREATED to the shim";
		return -1;
	}
	do
		fd = open(op->u.str, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	return close(fd);
}

static int cloexec_from_proc(unsigned int first)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int saved = 0;

	if (!dir)
		return -1;
	for (;;) {
		char *end;
		long fd;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			saved = errno;
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		fd = strtol(de->d_name, &end, 10);
		if (*end || fd < (long)first || fd > INT_MAX || fd == dirfd(dir))
			continue;
		if (zoo_set_cloexec((int)fd) < 0) {
			saved = errno;
			break;
		}
	}
	if (closedir(dir) < 0 && !saved)
		saved = errno;
	errno = saved;
	return saved ? -1 : 0;
}

/* O_CLOEXEC rather than close: fds stay usable until execve (our socket to
 * the shim among them) and a failed execve still has them. */
int op_close_fds(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	unsigned long first = 3UL + op->u.id;

	ctx->object = "inherited file descriptors";
	if (first > INT_MAX)
		return 0;
	if (syscall(SYS_close_range, (unsigned int)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	/* ENOSYS before 5.9; EINVAL before CLOSE_RANGE_CLOEXEC (5.11). */
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
	return cloexec_from_proc((unsigned int)first);
}
