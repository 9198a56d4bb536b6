/* Paths below the rootfs, resolved inside it (the CVE-2021-30465 class).
 *
 * Before pivot_root the child walks paths in the host's tree: a mount target
 * "<rootfs>/evil/x" follows an image's symlink evil -> / (or ../../..) out to
 * the host. Here every such path is opened with openat2(RESOLVE_IN_ROOT)
 * against a descriptor of the rootfs, so symlinks and ".." are interpreted as
 * if the rootfs were "/", and the op then acts on that descriptor (mounts go
 * through its /proc/self/fd magic link), not on a path that could be swapped
 * in between. Paths outside the rootfs (mount sources, the rootfs itself) are
 * the host's by design and are used as given. */
#define _GNU_SOURCE
#include "inroot.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* The part of `path` strictly below the rootfs ("" for the rootfs itself
 * given with a trailing slash), or NULL when it is not below it. */
static const char *below_root(const struct zoo_child_ctx *ctx, const char *path)
{
	const char *root = ctx->plan->rootfs;
	size_t n;

	if (!root || ctx->root_done)
		return NULL;
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (strncmp(path, root, n) != 0 || path[n] != '/')
		return NULL;
	while (path[n] == '/')
		n++;
	return path + n;
}

static int root_fd(struct zoo_child_ctx *ctx)
{
	/* Opened on first use, after the rootfs has been mounted on its directory. */
	if (ctx->root_fd < 0)
		ctx->root_fd = open(ctx->plan->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return ctx->root_fd;
}

static int open_in_root(struct zoo_child_ctx *ctx, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int rfd = root_fd(ctx);

	if (rfd < 0)
		return -1;
	return (int)syscall(SYS_openat2, rfd, *rel ? rel : ".", &how, sizeof how);
}

int zoo_path_open(struct zoo_child_ctx *ctx, const char *path, int flags, mode_t mode)
{
	const char *rel = below_root(ctx, path);

	if (!rel)
		return open(path, flags | O_CLOEXEC, mode);
	return open_in_root(ctx, rel, flags, mode);
}

int zoo_path_parent(struct zoo_child_ctx *ctx, const char *path, struct zoo_parent *out)
{
	const char *rel = below_root(ctx, path);
	size_t len;
	char *slash;

	out->dirfd = AT_FDCWD;
	out->name = path;
	if (!rel)
		return 0;
	len = strlen(rel);
	while (len > 0 && rel[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof out->buf) {
		/* The rootfs itself has no parent inside it. */
		errno = len ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	memcpy(out->buf, rel, len);
	out->buf[len] = '\0';
	slash = strrchr(out->buf, '/');
	if (slash) {
		*slash = '\0';
		out->name = slash + 1;
	} else {
		out->name = out->buf;
	}
	out->dirfd = open_in_root(ctx, slash ? out->buf : "", O_PATH | O_DIRECTORY, 0);
	return out->dirfd < 0 ? -1 : 0;
}

void zoo_parent_close(struct zoo_parent *p)
{
	if (p->dirfd >= 0)
		(void)close(p->dirfd);
	p->dirfd = AT_FDCWD;
}

int zoo_path_target(struct zoo_child_ctx *ctx, const char *path, struct zoo_target *out)
{
	const char *rel = below_root(ctx, path);

	out->fd = -1;
	out->path = path;
	if (!rel)
		return 0;
	out->fd = open_in_root(ctx, rel, O_PATH, 0);
	if (out->fd < 0)
		return -1;
	(void)snprintf(out->buf, sizeof out->buf, "/proc/self/fd/%d", out->fd);
	out->path = out->buf;
	return 0;
}

void zoo_target_close(struct zoo_target *t)
{
	if (t->fd >= 0)
		(void)close(t->fd);
	t->fd = -1;
}

/* Whether `name` in `dir` is a symlink whose target, resolved in the rootfs
 * (`path`: the same entry from the rootfs), does not exist. */
static bool dangling(struct zoo_child_ctx *ctx, int dir, const char *name, const char *path)
{
	struct stat st;
	int fd;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
		return false;
	fd = open_in_root(ctx, path, O_PATH, 0);
	if (fd >= 0) {
		(void)close(fd);
		return false;
	}
	return errno == ENOENT;
}

/* The path that replaces buf when its component `p` (ending at `end`, NULL if
 * last) is a symlink to `link`: the link's target in the rootfs, then the
 * components after `p`. */
static int follow(char *buf, const char *p, const char *end, const char *link)
{
	char next[PATH_MAX];
	const char *rest = end ? end + 1 : "";
	int n;

	if (link[0] == '/')
		n = snprintf(next, sizeof next, "%s%s%s", link + strspn(link, "/"), *rest ? "/" : "", rest);
	else
		n = snprintf(next, sizeof next, "%.*s%s%s%s", (int)(p - buf), buf, link, *rest ? "/" : "", rest);
	if (n < 0 || (size_t)n >= sizeof next) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, next, (size_t)n + 1);
	return 0;
}

int zoo_mkdir_in_root(struct zoo_child_ctx *ctx, const char *path, mode_t mode, bool parents, bool exist_ok,
		      bool *handled)
{
	const char *rel = below_root(ctx, path);
	char buf[PATH_MAX], link[PATH_MAX];
	int dir, saved, links = 0;
	size_t len;

	*handled = rel != NULL;
	if (!rel)
		return 0;
	len = strlen(rel);
	if (len >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, rel, len + 1);
restart:
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '/')
		buf[--len] = '\0';
	if (len == 0) /* the rootfs itself exists */
		return exist_ok ? 0 : (errno = EEXIST, -1);
	dir = open_in_root(ctx, "", O_PATH | O_DIRECTORY, 0);
	if (dir < 0)
		return -1;
	/* One component at a time: mkdirat never follows the last component,
	 * and each prefix is re-resolved from the rootfs, so a symlink met on the
	 * way is followed inside it, never out of it. */
	for (char *p = buf, *end;; p = end + 1) {
		bool last;
		int next;

		end = strchr(p, '/');
		last = end == NULL;
		if (!last)
			*end = '\0';
		if (*p && strcmp(p, ".") != 0 && (last || parents)) {
			if (mkdirat(dir, p, mode) < 0) {
				ssize_t n;

				if (errno != EEXIST)
					goto fail;
				/* As runc (MkdirAll after resolving in the root): a symlink
				 * to nothing gets its target made, inside the rootfs. */
				if (parents && dangling(ctx, dir, p, buf)) {
					if (++links > 40) {
						errno = ELOOP;
						goto fail;
					}
					n = readlinkat(dir, p, link, sizeof link - 1);
					if (n < 0)
						goto fail;
					link[n] = '\0';
					if (!last)
						*end = '/';
					(void)close(dir);
					if (follow(buf, p, last ? NULL : end, link) < 0)
						return -1;
					goto restart;
				}
				if (last && !exist_ok)
					goto fail;
			}
		}
		if (last)
			break;
		next = open_in_root(ctx, buf, O_PATH | O_DIRECTORY, 0);
		*end = '/';
		if (next < 0)
			goto fail;
		(void)close(dir);
		dir = next;
	}
	return close(dir);
fail:
	saved = errno;
	(void)close(dir);
	errno = saved;
	return -1;
}

void zoo_root_close(struct zoo_child_ctx *ctx)
{
	if (ctx->root_fd >= 0)
		(void)close(ctx->root_fd);
	ctx->root_fd = -1;
	/* After pivot_root the rootfs is "/": plain paths cannot leave it. */
	ctx->root_done = true;
}
