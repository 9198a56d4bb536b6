/* Filesystem ops run inside the container's mount namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

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
	char buf[PATH_MAX];
	size_t len = strlen(path);

	(void)ctx;
	if (!(op->u.mkdir.flags & ZOO_MKDIR_PARENTS))
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
	const char *path = op->u.device.path;
	int fd;

	if (mknod(path, op->u.device.mode, makedev(op->u.device.major, op->u.device.minor)) == 0) {
		/* The mode is the device's, not the umask's. */
		if (chmod(path, op->u.device.mode & 07777) < 0)
			return -1;
		return chown(path, op->u.device.uid, op->u.device.gid);
	}
	if (errno != EPERM || !op->u.device.fallback)
		return -1;
	/* A user namespace may not mknod: bind the host's node instead. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (close(fd) < 0)
		return -1;
	if (mount(op->u.device.fallback, path, NULL, MS_BIND, NULL) < 0) {
		int saved = errno;

		ctx->object = op->u.device.fallback;
		errno = saved;
		return -1;
	}
	return 0;
}

int op_symlink(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	return symlink(op->u.symlink.target, op->u.symlink.linkpath);
}

int op_chdir(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	return chdir(op->u.str);
}

int op_chroot(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	(void)ctx;
	return chroot(op->u.str);
}

int op_write_file(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	int flags = O_WRONLY | O_NOCTTY | O_CLOEXEC;
	int fd, saved;

	(void)ctx;
	if (op->u.write.flags & ZOO_WRITE_CREATE)
		flags |= O_CREAT;
	fd = open(op->u.write.path, flags, 0644);
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
