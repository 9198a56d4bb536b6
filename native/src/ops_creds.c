/* Identity ops. Order-robustness with CAPS (see ops_caps.c): SETUID keeps the
 * permitted set across the uid switch and restores what CAPS asked for, so
 * TS may place CAPS before or after SETUID. */
#define _GNU_SOURCE
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ops.h"

int op_setgroups(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	ctx->object = "setgroups";
	/* PRIVILEGE: the supplementary groups become exactly the plan's list. */
	return setgroups(op->u.groups.count, op->u.groups.gids);
}

int op_setgid(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	ctx->object = "setgid";
	/* PRIVILEGE: real, effective and saved gid all become the container's,
	 * so nothing can switch back. */
	if (setresgid(op->u.id, op->u.id, op->u.id) < 0)
		return -1;
	return zoo_child_arm_pdeathsig(ctx);
}

int op_setuid(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	ctx->object = "setuid";
	/* PRIVILEGE: KEEPCAPS keeps the permitted set when uid 0 goes away, so the
	 * CAPS op decides what survives, not the uid switch. execve resets it. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -1;
	/* PRIVILEGE: real, effective and saved uid all become the container's.
	 * The kernel clears the effective and ambient sets here even with
	 * KEEPCAPS; a CAPS op that ran before gets them back below. */
	if (setresuid(op->u.id, op->u.id, op->u.id) < 0)
		return -1;
	if (ctx->caps_set && zoo_caps_restore(ctx) < 0)
		return -1;
	return zoo_child_arm_pdeathsig(ctx);
}
