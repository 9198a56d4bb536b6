/* Filesystem ops run inside the container's mount namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "inroot.h"
#include "ops.h"
#include "util.h"

static int mkdir_one(const char *path, mode_t mode, bool exist_ok)
{
	if (mkdir(path, mode) == 0)
		return 0;
	return errno == EEXIST && exist_ok ? 0 : -1;
}

int op_mkdir(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	const char *path = op->u.mkdir.path;
	mode_t mode = op->u.mkdir.mode & 07777;
	bool exist_ok = op->u.mkdir.flags & ZOO_MKDIR_EXIST_OK;
	bool parents = op->u.mkdir.flags & ZOO_MKDIR_PARENTS;
	char buf[PATH_MAX];
	size_t len = strlen(path);
	bool handled;
	int r;

	r = zoo_mkdir_in_root(ctx, path, mode, parents, exist_ok, &handled);
	if (handled)
		return r;
	if (!parents)
		return mkdir_one(path, mode, exist_ok);
	if (len >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	/* Like mkdir -p: every missing ancestor, an existing one is fine. A
	 * non-directory ancestor makes the next mkdir fail with ENOTDIR. */
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		if (mkdir_one(buf, mode, true) < 0)
			return -1;
		*p = '/';
	}
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	return mkdir_one(buf, mode, exist_ok);
}

int op_device(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	struct zoo_parent at;
	struct zoo_target t = { .fd = -1 };
	int fd, saved, r = -1;

	if (zoo_path_parent(ctx, op->u.device.path, &at) < 0)
		return -1;
	if (mknodat(at.dirfd, at.name, op->u.device.mode, makedev(op->u.device.major, op->u.device.minor)) == 0) {
		/* The mode is the device's, not the umask's. */
		if (fchmodat(at.dirfd, at.name, op->u.device.mode & 07777, 0) == 0)
			r = fchownat(at.dirfd, at.name, op->u.device.uid, op->u.device.gid, AT_SYMLINK_NOFOLLOW);
		goto out;
	}
	if (errno != EPERM || !op->u.device.fallback)
		goto out;
	/* A user namespace may not mknod: bind the host's node instead. */
	fd = openat(at.dirfd, at.name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0 || close(fd) < 0)
		goto out;
	if (zoo_path_target(ctx, op->u.device.path, &t) < 0)
		goto out;
	r = mount(op->u.device.fallback, t.path, NULL, MS_BIND, NULL);
	if (r < 0)
		ctx->object = op->u.device.fallback;
out:
	saved = errno;
	zoo_target_close(&t);
	zoo_parent_close(&at);
	errno = saved;
	return r;
}

int op_symlink(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	struct zoo_parent at;
	int r, saved;

	if (zoo_path_parent(ctx, op->u.symlink.linkpath, &at) < 0)
		return -1;
	r = symlinkat(op->u.symlink.target, at.dirfd, at.name);
	saved = errno;
	zoo_parent_close(&at);
	errno = saved;
	return r;
}

int op_chdir(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	char cwd[PATH_MAX];

	(void)ctx;
	if (chdir(op->u.str) < 0)
		return -1;
	/* A directory fd of the host still open here (an inherited or preserved
	 * fd, reached as /proc/self/fd/N) would put the process's cwd outside
	 * its root: the CVE-2024-21626 class. The kernel then cannot name the
	 * cwd from the root, and getcwd fails with ENOENT. */
	if (getcwd(cwd, sizeof cwd) == NULL) {
		if (errno == ENOENT)
			errno = EXDEV;
		return -1;
	}
	/* Older libcs hand the kernel's "(unreachable)/..." back as success. */
	if (cwd[0] != '/') {
		errno = EXDEV;
		return -1;
	}
	return 0;
}

int op_chroot(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	/* --no-pivot's way in: like pivot_root, later paths are the rootfs's own. */
	zoo_root_close(ctx);
	return chroot(op->u.str);
}

int op_write_file(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	int flags = O_WRONLY | O_NOCTTY;
	int fd, saved;

	if (op->u.write.flags & ZOO_WRITE_CREATE)
		flags |= O_CREAT;
	fd = zoo_path_open(ctx, op->u.write.path, flags, 0644);
	if (fd < 0)
		return -1;
	if (zoo_write_all(fd, op->u.write.data, op->u.write.len) < 0) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	/* close() reports deferred write errors (NFS, /proc/sys). */
	return close(fd);
}

int op_umask(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	umask((mode_t)op->u.id);
	return 0;
}

int op_personality(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	/* personality(2) returns the previous persona, or -1 with errno. */
	return personality((unsigned long)op->u.id) == -1 ? -1 : 0;
}
