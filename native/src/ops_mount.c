/* Mount-table ops. TS chooses every flag (propagation, remounts for bind
 * flags, pivot_root(".", ".")); these are thin on purpose. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inroot.h"
#include "ops.h"

int op_mount(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	struct zoo_target t;
	int r, saved;

	if (zoo_path_target(ctx, op->u.mount.target, &t) < 0)
		return -1;
	r = mount(op->u.mount.source, t.path, op->u.mount.fstype, (unsigned long)op->u.mount.flags, op->u.mount.data);
	saved = errno;
	zoo_target_close(&t);
	errno = saved;
	return r;
}

int op_umount(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	return umount2(op->u.umount.path, (int)op->u.umount.flags);
}

int op_pivot_root(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	zoo_root_close(ctx);
	/* No glibc wrapper. */
	return (int)syscall(SYS_pivot_root, op->u.pivot.new_root, op->u.pivot.put_old);
}

/* Hide a path from the container: /dev/null over a file, an empty read-only
 * tmpfs over a directory. A path that does not exist has nothing to hide. */
int op_mask_path(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	struct stat st;
	const char *path = op->u.str;

	(void)ctx;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode))
		return mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	return mount("/dev/null", path, NULL, MS_BIND, NULL);
}

/* Make a path read-only. A bind mount only takes MS_RDONLY on a remount; the
 * recursive bind keeps whatever is mounted below the path visible rather than
 * uncovering what it hides. A path that does not exist has nothing to protect. */
int op_readonly_path(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	const char *path = op->u.str;

	(void)ctx;
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : -1;
	return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL);
}
