/* A container's directory may hold anything it wrote: symlinks to anywhere,
 * deep trees, and (should something have gone wrong) a mount still on it.
 * Everything here is relative to an fd we opened with O_NOFOLLOW, so no
 * symlink is ever followed, and every directory is checked to be on our
 * mount before we go in. */
#define _GNU_SOURCE
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/stat.h>

/* statx(2) by system call: musl 1.2.3 has no wrapper. Its mount ID and its
 * "root of a mount" attribute see a bind mount from the same file system,
 * which st_dev does not. */
static int stat_at(int dfd, const char *name, int flags, struct statx *st)
{
	return (int)syscall(SYS_statx, dfd, name, flags | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC,
			    STATX_TYPE | STATX_INO | STATX_MNT_ID, st);
}

/* Another mount than the one `top` is on. */
static int other_mount(const struct statx *top, const struct statx *st)
{
	if (st->stx_dev_major != top->stx_dev_major || st->stx_dev_minor != top->stx_dev_minor)
		return 1;
	if ((st->stx_mask & STATX_MNT_ID) && (top->stx_mask & STATX_MNT_ID) && st->stx_mnt_id != top->stx_mnt_id)
		return 1;
	return (st->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (st->stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static void note(int *first, int err)
{
	if (!*first)
		*first = err;
}

/* Removes one entry of the directory `dfd` (recursively). 1: removed; 0:
 * not (*first says why, unless it went away by itself). */
static int remove_entry(int dfd, const char *name, const struct statx *top, int *first);

/* Empties the directory open at `fd` (consumed). *first: the first failure.
 * Passes until one removes nothing: whether readdir still shows entries
 * after the ones removed under it is up to the file system. */
static void empty_dir(int fd, const struct statx *top, int *first)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int removed;

	if (!d) {
		note(first, errno);
		(void)close(fd);
		return;
	}
	do {
		removed = 0;
		rewinddir(d);
		for (;;) {
			errno = 0;
			de = readdir(d);
			if (!de) {
				if (errno)
					note(first, errno);
				break;
			}
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				removed += remove_entry(dirfd(d), de->d_name, top, first);
		}
	} while (removed);
	(void)closedir(d);
}

static int remove_entry(int dfd, const char *name, const struct statx *top, int *first)
{
	struct statx st, got;
	int sub;

	if (stat_at(dfd, name, 0, &st) < 0)
		goto failed;
	if (!S_ISDIR(st.stx_mode)) {
		/* A symlink goes itself; a file bind-mounted here refuses (EBUSY). */
		if (unlinkat(dfd, name, 0) < 0)
			goto failed;
		return 1;
	}
	if (other_mount(top, &st)) {
		note(first, EBUSY);
		return 0;
	}
	sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		goto failed;
	/* What we opened is what we checked: nothing mounted or swapped in between. */
	errno = 0;
	if (stat_at(sub, "", AT_EMPTY_PATH, &got) < 0 || got.stx_ino != st.stx_ino || other_mount(top, &got)) {
		note(first, errno ? errno : EBUSY);
		(void)close(sub);
		return 0;
	}
	empty_dir(sub, top, first);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		goto failed;
	return 1;
failed:
	if (errno != ENOENT)
		note(first, errno);
	return 0;
}

int rr_empty_tree(const char *path)
{
	struct statx top;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), first = 0;

	if (fd < 0)
		return -1;
	errno = 0;
	if (stat_at(fd, "", AT_EMPTY_PATH, &top) < 0 ||
	    ((top.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (top.stx_attributes & STATX_ATTR_MOUNT_ROOT))) {
		/* A mount on it: what is inside is the mount's, not ours. */
		int err = errno ? errno : EBUSY;

		(void)close(fd);
		errno = err;
		return -1;
	}
	empty_dir(fd, &top, &first);
	if (first) {
		errno = first;
		return -1;
	}
	return 0;
}

int rr_rmtree_all(const char *path)
{
	if (rr_empty_tree(path) < 0)
		return errno == ENOENT ? 0 : -1;
	return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
}
