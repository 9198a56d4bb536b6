/* The ops the child runs after GO. Each returns 0, or -1 with errno set; an op
 * may point ctx->object at something more precise than the op's own path. */
#ifndef ZOO_OPS_H
#define ZOO_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

struct zoo_child_ctx {
	const struct zoo_plan *plan;
	int sock; /* to the shim; O_CLOEXEC, so execve closes it */
	pid_t shim_pid;
	int cap_last; /* highest capability the kernel knows */
	/* The sets the last CAPS op asked for, so SETUID can restore them. */
	bool caps_set;
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_ambient;
	const char *object;
	/* The plan's ROOTFS, opened on first use (inroot.c); -1 until then. */
	int root_fd;
	bool root_done; /* pivot_root happened: paths are the container's own */
	/* SECCOMP_LISTENER: connected socket to the agent and the state to send
	 * with the listener fd; -1/NULL without one. */
	int listener_sock;
	char *listener_state;
};

/* ops_mount.c */
int op_mount(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_umount(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_pivot_root(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_mask_path(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_readonly_path(struct zoo_child_ctx *ctx, const struct zoo_op *op);

/* ops_fs.c */
int op_mkdir(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_device(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_symlink(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_chdir(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_chroot(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_write_file(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_umask(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_personality(struct zoo_child_ctx *ctx, const struct zoo_op *op);

/* ops_system.c */
int op_sethostname(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_setdomainname(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_rlimit(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_unshare(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_time_ns(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_wait_start(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_close_fds(struct zoo_child_ctx *ctx, const struct zoo_op *op);

/* ops_creds.c */
int op_setgroups(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_setgid(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_setuid(struct zoo_child_ctx *ctx, const struct zoo_op *op);

/* ops_caps.c */
int op_caps(struct zoo_child_ctx *ctx, const struct zoo_op *op);
/* Re-apply the last CAPS op's sets (after setresuid cleared effective and ambient). */
int zoo_caps_restore(struct zoo_child_ctx *ctx);
int zoo_cap_last(void);

/* ops_seccomp.c */
int op_no_new_privs(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_seccomp(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int op_seccomp_listener(struct zoo_child_ctx *ctx, const struct zoo_op *op);

/* ops_tty.c */
int op_tty(struct zoo_child_ctx *ctx, const struct zoo_op *op);

/* ops_exec.c: returns only on failure. */
int op_exec(struct zoo_child_ctx *ctx, const struct zoo_op *op);
int zoo_exec_lookup(const struct zoo_op *op);

/* child.c: the parent-death signal is reset by every credential change. */
int zoo_child_arm_pdeathsig(struct zoo_child_ctx *ctx);

#endif
