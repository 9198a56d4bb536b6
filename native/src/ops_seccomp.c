/* no_new_privs and the seccomp filter: TS puts them last, just before EXEC. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"

int op_no_new_privs(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)op;
	ctx->object = "no_new_privs";
	/* PRIVILEGE: from here execve can no longer grant privileges (setuid bits,
	 * file capabilities), for this process and every descendant; it cannot be
	 * undone. It also lets an unprivileged process load a seccomp filter. */
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int op_seccomp(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	struct sock_fprog prog = { .len = op->u.seccomp.count, .filter = op->u.seccomp.filter };
	long r;

	ctx->object = "seccomp filter";
	/* PRIVILEGE: every later syscall of the child, its execve included, and of
	 * the whole container goes through this filter; it cannot be removed. */
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, op->u.seccomp.flags, &prog);
	/* prctl() knows no flags, so it is only a fallback for a flag-less filter.
	 * A listener fd (SECCOMP_FILTER_FLAG_NEW_LISTENER) is O_CLOEXEC already. */
	if (r < 0 && errno == ENOSYS && op->u.seccomp.flags == 0)
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
	return r < 0 ? -1 : 0;
}
