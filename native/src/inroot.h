/* Op paths below the plan's ROOTFS resolved inside it (see inroot.c). Each
 * helper falls back to the plain path when the path is not below the rootfs,
 * so callers need one code path. */
#ifndef ZOO_INROOT_H
#define ZOO_INROOT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "ops.h"

/* open(2) of a path; below the rootfs, with RESOLVE_IN_ROOT. Always O_CLOEXEC. */
int zoo_path_open(struct zoo_child_ctx *ctx, const char *path, int flags, mode_t mode);

/* For *at() calls on the last component: the directory (AT_FDCWD when the
 * path is not below the rootfs) and the name within it. */
struct zoo_parent {
	int dirfd;
	const char *name;
	char buf[PATH_MAX];
};
int zoo_path_parent(struct zoo_child_ctx *ctx, const char *path, struct zoo_parent *out);
void zoo_parent_close(struct zoo_parent *p);

/* A path to hand to mount(2): the path itself, or /proc/self/fd/N of the
 * resolved descriptor, which mount follows to exactly that directory. */
struct zoo_target {
	int fd;
	const char *path;
	char buf[32];
};
int zoo_path_target(struct zoo_child_ctx *ctx, const char *path, struct zoo_target *out);
void zoo_target_close(struct zoo_target *t);

/* mkdir (-p with `parents`) below the rootfs; *handled is false when the path
 * is not below it and the caller should use mkdir(2). */
int zoo_mkdir_in_root(struct zoo_child_ctx *ctx, const char *path, mode_t mode, bool parents, bool exist_ok,
		      bool *handled);

/* At pivot_root: the rootfs becomes "/", paths need no more care. */
void zoo_root_close(struct zoo_child_ctx *ctx);

#endif
