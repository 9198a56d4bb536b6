#ifndef ZOO_CHILD_H
#define ZOO_CHILD_H

#include <signal.h>
#include <sys/types.h>

#include "plan.h"

struct zoo_child_args {
	const struct zoo_plan *plan;
	int sock; /* the child's end of the shim<->child socketpair */
	pid_t shim_pid;
	const sigset_t *orig_mask; /* the mask the shim was started with */
	int close_fds[4]; /* shim-only fds to drop; -1 for unused slots */
};

/* The container's first process from clone until execve. Never returns. */
__attribute__((noreturn)) void zoo_child_main(const struct zoo_child_args *args);

#endif
