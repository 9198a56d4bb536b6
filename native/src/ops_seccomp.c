/* no_new_privs, the seccomp filter, and handing a user-notification listener
 * to a seccomp agent. TS puts the filter last, just before EXEC. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "ops.h"
#include "util.h"

int op_no_new_privs(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)op;
	ctx->object = "no_new_privs";
	/* PRIVILEGE: from here execve can no longer grant privileges (setuid bits,
	 * file capabilities), for this process and every descendant; it cannot be
	 * undone. It also lets an unprivileged process load a seccomp filter. */
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The state the agent gets: the parts TS wrote, joined by our pid as the
 * runtime sees it. Before pivot_root /proc is still the host's procfs, whose
 * "self" link names that pid (the container's own /proc would say 1). */
static char *build_state(char **parts)
{
	char pid[24];
	size_t len = 0, plen;
	ssize_t n;
	char *out, *p;

	n = readlink("/proc/self", pid, sizeof pid - 1);
	if (n <= 0)
		return NULL;
	pid[n] = '\0';
	plen = (size_t)n;
	for (char **s = parts; *s; s++)
		len += strlen(*s) + plen;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	p = out;
	for (char **s = parts; *s; s++) {
		size_t l = strlen(*s);

		memcpy(p, *s, l);
		p += l;
		if (s[1]) {
			memcpy(p, pid, plen);
			p += plen;
		}
	}
	*p = '\0';
	return out;
}

/* Connects to the agent's socket now, while its host path is reachable (the
 * filter, and so the listener fd, only exists after pivot_root). */
int op_seccomp_listener(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = op->u.listener.path;
	int fd, saved;

	if (strlen(path) >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (ctx->listener_sock >= 0) {
		errno = EEXIST;
		return -1;
	}
	ctx->listener_state = build_state(op->u.listener.parts);
	if (!ctx->listener_state) {
		ctx->object = "the container state for the seccomp agent";
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	ctx->listener_sock = fd;
	return 0;
}

/* One message, as the runtime-spec describes for listenerPath: the state
 * JSON as data and the listener fd as SCM_RIGHTS. */
static int send_listener(struct zoo_child_ctx *ctx, int listener)
{
	return zoo_send_fd(ctx->listener_sock, listener, ctx->listener_state, strlen(ctx->listener_state));
}

int op_seccomp(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	struct sock_fprog prog = { .len = op->u.seccomp.count, .filter = op->u.seccomp.filter };
	long r;
	int saved, rc = 0;

	ctx->object = "seccomp filter";
	/* PRIVILEGE: every later syscall of the child, its execve included, and of
	 * the whole container goes through this filter; it cannot be removed. */
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, op->u.seccomp.flags, &prog);
	/* prctl() knows no flags, so it is only a fallback for a flag-less filter. */
	if (r < 0 && errno == ENOSYS && op->u.seccomp.flags == 0)
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
	if (r < 0)
		return -1;
	if (!(op->u.seccomp.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return 0;
	/* r is the listener (O_CLOEXEC): the agent gets its own copy. Without an
	 * agent (a process exec'd into the container) it is only closed, and the
	 * kernel answers that filter's notified syscalls with ENOSYS. */
	ctx->object = "handing the seccomp listener to the agent";
	if (ctx->listener_sock >= 0 && (r > INT_MAX || send_listener(ctx, (int)r) < 0))
		rc = -1;
	saved = errno;
	(void)close((int)r);
	if (ctx->listener_sock >= 0)
		(void)close(ctx->listener_sock);
	ctx->listener_sock = -1;
	free(ctx->listener_state);
	ctx->listener_state = NULL;
	errno = saved;
	return rc;
}
