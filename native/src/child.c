/* The child: waits for GO, runs the ops in plan order, then execs. Every
 * failure is sent to the shim as an ERROR message and ends the child with
 * _exit(1): stdio and atexit belong to the shim's image, not to us. */
#define _GNU_SOURCE
#include "child.h"
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ops.h"
#include "sync.h"
#include "util.h"

__attribute__((noreturn)) static void child_fail(struct zoo_child_ctx *ctx, uint32_t stage, int32_t index,
						  const char *object)
{
	int err = errno;

	/* If the shim is gone nobody is listening; the exit says enough. */
	(void)zoo_send_error(ctx->sock, stage, index, err, object);
	_exit(1);
}

int zoo_child_arm_pdeathsig(struct zoo_child_ctx *ctx)
{
	pid_t ppid;

	/* A dead shim cannot relay errors or exit statuses: die with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -1;
	/* The shim may have died before the prctl. Outside our pid namespace the
	 * parent reads as 0; that case is covered by EOF on the socket. */
	ppid = getppid();
	if (ppid != 0 && ppid != ctx->shim_pid)
		_exit(1);
	return 0;
}

/* Signals: the container starts with the mask the shim was given and every
 * disposition at its default (SIG_IGN would survive execve). */
static int reset_signals(const sigset_t *orig_mask)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	if (sigemptyset(&sa.sa_mask) < 0)
		return -1;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || (sig > SIGSYS && sig < SIGRTMIN))
			continue;
		if (sigaction(sig, &sa, NULL) < 0)
			return -1;
	}
	return sigprocmask(SIG_SETMASK, orig_mask, NULL);
}

static const char *op_label(uint16_t type)
{
	switch (type) {
	case ZOO_OP_RLIMIT:
		return "setrlimit";
	case ZOO_OP_UNSHARE:
		return "unshare";
	case ZOO_OP_SETGROUPS:
		return "setgroups";
	case ZOO_OP_SETGID:
		return "setgid";
	case ZOO_OP_SETUID:
		return "setuid";
	case ZOO_OP_CAPS:
		return "capabilities";
	case ZOO_OP_NO_NEW_PRIVS:
		return "no_new_privs";
	case ZOO_OP_SECCOMP:
		return "seccomp filter";
	case ZOO_OP_UMASK:
		return "umask";
	case ZOO_OP_PERSONALITY:
		return "personality";
	case ZOO_OP_TIME_NS:
		return "time namespace";
	case ZOO_OP_CLOSE_FDS:
		return "inherited file descriptors";
	default:
		return NULL;
	}
}

static int run_op(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	switch (op->type) {
	case ZOO_OP_MOUNT:
		return op_mount(ctx, op);
	case ZOO_OP_MKDIR:
		return op_mkdir(ctx, op);
	case ZOO_OP_DEVICE:
		return op_device(ctx, op);
	case ZOO_OP_SYMLINK:
		return op_symlink(ctx, op);
	case ZOO_OP_CHDIR:
		return op_chdir(ctx, op);
	case ZOO_OP_PIVOT_ROOT:
		return op_pivot_root(ctx, op);
	case ZOO_OP_UMOUNT:
		return op_umount(ctx, op);
	case ZOO_OP_SETHOSTNAME:
		return op_sethostname(ctx, op);
	case ZOO_OP_SETDOMAINNAME:
		return op_setdomainname(ctx, op);
	case ZOO_OP_RLIMIT:
		return op_rlimit(ctx, op);
	case ZOO_OP_UNSHARE:
		return op_unshare(ctx, op);
	case ZOO_OP_CHROOT:
		return op_chroot(ctx, op);
	case ZOO_OP_SETGROUPS:
		return op_setgroups(ctx, op);
	case ZOO_OP_SETGID:
		return op_setgid(ctx, op);
	case ZOO_OP_SETUID:
		return op_setuid(ctx, op);
	case ZOO_OP_CAPS:
		return op_caps(ctx, op);
	case ZOO_OP_NO_NEW_PRIVS:
		return op_no_new_privs(ctx, op);
	case ZOO_OP_SECCOMP:
		return op_seccomp(ctx, op);
	case ZOO_OP_UMASK:
		return op_umask(ctx, op);
	case ZOO_OP_PERSONALITY:
		return op_personality(ctx, op);
	case ZOO_OP_TIME_NS:
		return op_time_ns(ctx, op);
	case ZOO_OP_WRITE_FILE:
		return op_write_file(ctx, op);
	case ZOO_OP_MASK_PATH:
		return op_mask_path(ctx, op);
	case ZOO_OP_READONLY_PATH:
		return op_readonly_path(ctx, op);
	case ZOO_OP_WAIT_START:
		return op_wait_start(ctx, op);
	case ZOO_OP_CLOSE_FDS:
		return op_close_fds(ctx, op);
	case ZOO_OP_TTY:
		return op_tty(ctx, op);
	case ZOO_OP_SECCOMP_LISTENER:
		return op_seccomp_listener(ctx, op);
	default:
		/* The plan was validated; this is a shim bug. */
		errno = EINVAL;
		return -1;
	}
}

static void wait_for_go(struct zoo_child_ctx *ctx)
{
	struct zoo_msg m;
	int r = zoo_recv(ctx->sock, &m, 0);

	/* EOF: the shim died or was told to ABORT; there is no one to report to. */
	if (r == 0)
		_exit(1);
	if (r < 0)
		child_fail(ctx, ZOO_STAGE_SYNC, -1, "GO from the shim");
	if (m.type != ZOO_CHILD_MSG_GO) {
		errno = EPROTO;
		child_fail(ctx, ZOO_STAGE_SYNC, -1, "GO from the shim");
	}
}

void zoo_child_main(const struct zoo_child_args *args)
{
	const struct zoo_plan *plan = args->plan;
	struct zoo_child_ctx ctx = {
		.plan = plan,
		.sock = args->sock,
		.shim_pid = args->shim_pid,
		.root_fd = -1,
		.listener_sock = -1,
	};

	for (size_t i = 0; i < ZOO_ARRAY_LEN(args->close_fds); i++)
		if (args->close_fds[i] >= 0 && close(args->close_fds[i]) < 0)
			child_fail(&ctx, ZOO_STAGE_CLONE, -1, "closing the shim's file descriptors");
	if (zoo_child_arm_pdeathsig(&ctx) < 0)
		child_fail(&ctx, ZOO_STAGE_CLONE, -1, "PR_SET_PDEATHSIG");
	if (reset_signals(args->orig_mask) < 0)
		child_fail(&ctx, ZOO_STAGE_CLONE, -1, "signal dispositions");
	if (prctl(PR_SET_NAME, plan->process_name ? plan->process_name : "zoo-init", 0, 0, 0) < 0)
		child_fail(&ctx, ZOO_STAGE_CLONE, -1, "PR_SET_NAME");
	/* Read while the host's /proc is still ours to read. */
	ctx.cap_last = zoo_cap_last();

	wait_for_go(&ctx);

	for (size_t i = 0; i < plan->nops; i++) {
		const struct zoo_op *op = &plan->ops[i];

		ctx.object = op->object ? op->object : op_label(op->type);
		/* The start fifo comes right before exec: a missing command fails
		 * `create`, not a `start` that no one would hear fail. */
		if (op->type == ZOO_OP_WAIT_START && i + 1 < plan->nops && plan->ops[i + 1].type == ZOO_OP_EXEC &&
		    zoo_exec_lookup(&plan->ops[i + 1]) < 0) {
			ctx.object = plan->ops[i + 1].object ? plan->ops[i + 1].object : op_label(ZOO_OP_EXEC);
			child_fail(&ctx, ZOO_STAGE_EXEC, (int32_t)i + 1, ctx.object);
		}
		if (op->type == ZOO_OP_EXEC) {
			if ((plan->options & ZOO_OPT_INIT) && zoo_init_fork(ctx.sock) < 0)
				child_fail(&ctx, ZOO_STAGE_EXEC, (int32_t)i, "fork for --init");
			op_exec(&ctx, op);
			child_fail(&ctx, ZOO_STAGE_EXEC, (int32_t)i, ctx.object);
		}
		if (run_op(&ctx, op) < 0)
			child_fail(&ctx, ZOO_STAGE_OP, (int32_t)i, ctx.object);
	}
	/* Only a plan without ops gets here (tests of the protocol). */
	_exit(0);
}
