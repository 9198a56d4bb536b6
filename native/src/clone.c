/* clone3 first: it is the only way to get CLONE_INTO_CGROUP (the child never
 * runs outside its cgroup) and CLONE_NEWTIME. clone(2) is the fallback for
 * kernels, seccomp profiles and valgrind that answer clone3 with ENOSYS.
 *
 * Both are called fork-style, without a new stack: the child gets a
 * copy-on-write copy of the parent's stack and returns from syscall() like
 * from fork(). The shim is single-threaded, so nothing but our own code runs
 * in the child before execve. */
#define _GNU_SOURCE
#include "clone.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* The kernel ABI of struct clone_args (linux/sched.h), spelled out so the
 * shim builds against older headers too. */
struct zoo_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64 /* what 5.3 understands */
#define CLONE_ARGS_SIZE_VER2 88 /* with .cgroup, 5.7 */

int zoo_join_namespaces(const struct zoo_plan *plan, const struct zoo_setns **failed)
{
	for (size_t i = 0; i < plan->nsetns; i++) {
		const struct zoo_setns *ns = &plan->setns[i];
		int fd, r, saved;

		*failed = ns;
		fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		r = setns(fd, ns->nstype);
		saved = errno;
		if (close(fd) < 0 && r == 0)
			return -1;
		if (r < 0) {
			errno = saved;
			return -1;
		}
	}
	*failed = NULL;
	return 0;
}

pid_t zoo_clone(uint64_t ns_flags, int cgroup_fd)
{
	struct zoo_clone_args args;
	size_t size = CLONE_ARGS_SIZE_VER0;
	long r;

	memset(&args, 0, sizeof args);
	args.flags = ns_flags;
	args.exit_signal = SIGCHLD;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
		size = CLONE_ARGS_SIZE_VER2;
	}
	r = syscall(SYS_clone3, &args, size);
	if (r >= 0 || errno != ENOSYS)
		return (pid_t)r;
	/* clone(2) has no cgroup argument, and its low byte is the exit signal,
	 * where CLONE_NEWTIME (0x80) would be read as signal 128. */
	if (cgroup_fd >= 0 || (ns_flags & CLONE_NEWTIME)) {
		errno = ENOSYS;
		return -1;
	}
	return (pid_t)syscall(SYS_clone, (unsigned long)ns_flags | SIGCHLD, NULL, NULL, NULL, 0UL);
}
