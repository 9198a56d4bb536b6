/* A container's directory may hold anything it wrote: symlinks to anywhere,
 * trees deeper than we have fds or stack for, and (should something have
 * gone wrong) a mount still on it. Everything here is relative to an fd we
 * opened with O_NOFOLLOW, so no symlink is ever followed, and every
 * directory is checked to be on our mount before we go in.
 *
 * The walk is a loop, not a recursion: it holds the directory it is in (and
 * for a moment the one it moves to), and remembers for each level above only
 * which directory it was and the name that led down from it. Going back up
 * is by "..", which a rename underneath could make somewhere else entirely:
 * the walk checks it is where it came from before touching anything there. */
#define _GNU_SOURCE
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
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

/* A directory by identity: all we keep of the levels above us. */
struct dir_id {
	uint32_t major, minor;
	uint64_t ino;
};

static struct dir_id id_of(const struct statx *st)
{
	return (struct dir_id){ st->stx_dev_major, st->stx_dev_minor, st->stx_ino };
}

static int same_id(struct dir_id a, struct dir_id b)
{
	return a.major == b.major && a.minor == b.minor && a.ino == b.ino;
}

struct level {
	struct dir_id id;
	char *name; /* its entry in the level above (NULL for the top) */
	/* While we are below it: whether its pass had done anything, and its
	 * stream if we still hold it. */
	int did;
	DIR *dir;
};

/* Streams held open above the level we are in. */
#define HELD 2

struct walk {
	struct statx top;
	struct level *lv; /* lv[0] is the top, lv[depth] where we are */
	size_t depth, cap;
	/* Directories we went into and could not remove (a mount or a failure
	 * inside): a level is read again until a pass does nothing, and going
	 * into these again would be doing something forever. */
	struct dir_id *kept;
	size_t nkept, capkept;
	int first; /* the first failure's errno */
};

static void note(struct walk *w, int err)
{
	if (!w->first)
		w->first = err;
}

static int is_kept(const struct walk *w, struct dir_id id)
{
	for (size_t i = 0; i < w->nkept; i++)
		if (same_id(w->kept[i], id))
			return 1;
	return 0;
}

/* 0, or -1 (ENOMEM): without room to remember it, the walk would go into
 * it again each time it came back to its level, and must stop. */
static int keep(struct walk *w, struct dir_id id)
{
	if (w->nkept == w->capkept) {
		size_t cap = w->capkept ? w->capkept * 2 : 8;
		struct dir_id *k = realloc(w->kept, cap * sizeof *k);

		if (!k) {
			note(w, ENOMEM);
			return -1;
		}
		w->kept = k;
		w->capkept = cap;
	}
	w->kept[w->nkept++] = id;
	return 0;
}

/* One level down, into `name` (identity `id`). 0, or -1 (ENOMEM). */
static int push(struct walk *w, const char *name, struct dir_id id)
{
	char *copy;

	if (w->depth + 1 == w->cap) {
		size_t cap = w->cap * 2;
		struct level *lv = realloc(w->lv, cap * sizeof *lv);

		if (!lv)
			return -1;
		w->lv = lv;
		w->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -1;
	w->depth++;
	w->lv[w->depth] = (struct level){ .id = id, .name = copy };
	return 0;
}

enum visit { V_LEFT, V_REMOVED, V_DOWN };

/* One entry of the directory `dfd`: removed if it can go at once, or opened
 * (*sub, *id) to be emptied first (V_DOWN). V_LEFT: w->first says why,
 * unless it went away by itself. */
static enum visit visit(struct walk *w, int dfd, const char *name, int *sub, struct dir_id *id)
{
	struct statx st, got;
	int fd;

	if (stat_at(dfd, name, 0, &st) < 0)
		goto failed;
	if (!S_ISDIR(st.stx_mode)) {
		/* A symlink goes itself; a file bind-mounted here refuses (EBUSY). */
		if (unlinkat(dfd, name, 0) < 0)
			goto failed;
		return V_REMOVED;
	}
	if (other_mount(&w->top, &st)) {
		note(w, EBUSY);
		return V_LEFT;
	}
	*id = id_of(&st);
	if (is_kept(w, *id))
		return V_LEFT;
	/* An empty one goes without costing an open and a read. */
	if (unlinkat(dfd, name, AT_REMOVEDIR) == 0)
		return V_REMOVED;
	if (errno != ENOTEMPTY && errno != EEXIST)
		goto failed;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto failed;
	/* What we opened is what we checked: nothing mounted or swapped in between. */
	errno = 0;
	if (stat_at(fd, "", AT_EMPTY_PATH, &got) < 0 || !same_id(id_of(&got), *id) || other_mount(&w->top, &got)) {
		note(w, errno ? errno : EBUSY);
		(void)close(fd);
		return V_LEFT;
	}
	*sub = fd;
	return V_DOWN;
failed:
	if (errno != ENOENT)
		note(w, errno);
	return V_LEFT;
}

/* From the level we are in (`d`, closed here) to the one above, after
 * removing the one we leave if it is empty: the level above's stream (where
 * its pass was if we held it, else at its start), or NULL to stop the walk.
 * Unless we still hold it, the level above is reached by "..", which must
 * be the directory we came down from; and the name we came down by must
 * still lead to where we were. If not, something was renamed underneath,
 * and ".." may be outside the tree. */
static DIR *up(struct walk *w, DIR *d)
{
	struct level *child = &w->lv[w->depth], *parent = &w->lv[w->depth - 1];
	DIR *pd = parent->dir;
	struct statx st;
	int fd;

	if (pd) {
		parent->dir = NULL;
		fd = dirfd(pd);
		(void)closedir(d);
	} else {
		fd = openat(dirfd(d), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		(void)closedir(d);
		if (fd < 0) {
			note(w, errno);
			return NULL;
		}
		errno = 0;
		if (stat_at(fd, "", AT_EMPTY_PATH, &st) < 0 || !same_id(id_of(&st), parent->id) ||
		    other_mount(&w->top, &st)) {
			note(w, errno ? errno : ESTALE);
			goto stop;
		}
	}
	if (stat_at(fd, child->name, 0, &st) < 0) {
		/* Gone already: nothing to remove. */
		if (errno != ENOENT) {
			note(w, errno);
			goto stop;
		}
	} else if (!same_id(id_of(&st), child->id)) {
		note(w, ESTALE);
		goto stop;
	} else if (unlinkat(fd, child->name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		/* Something in it stays (w->first says what): so does it. */
		note(w, errno);
		if (keep(w, child->id) < 0)
			goto stop;
	}
	free(child->name);
	child->name = NULL;
	w->depth--;
	if (!pd) {
		pd = fdopendir(fd);
		if (!pd) {
			note(w, errno);
			(void)close(fd);
			return NULL;
		}
		/* A new pass: a position from another open of the directory
		 * is not to be trusted (ext4, sought to its end in a new open,
		 * reads nothing even from its start again). */
		parent->did = 0;
	}
	return pd;
stop:
	if (pd)
		(void)closedir(pd);
	else
		(void)close(fd);
	return NULL;
}

/* Empties the directory open at `fd` (consumed), the top of the walk. Each
 * level is read in passes until one does nothing, as whether readdir still
 * shows entries after the ones removed under it is up to the file system.
 * Coming back up, a pass goes on where it was in the stream we held, if we
 * still hold it (a wide directory is not read again for each subdirectory
 * with no more than HELD levels in it); a level reached by ".." starts a
 * new pass. */
static void empty_dir(struct walk *w, int fd)
{
	DIR *d = fdopendir(fd);
	int did = 0; /* this level's pass removed something or went down */

	if (!d) {
		note(w, errno);
		(void)close(fd);
		return;
	}
	for (;;) {
		struct dirent *de;
		struct dir_id id;
		int sub = -1;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				note(w, errno);
			if (did) {
				rewinddir(d);
				did = 0;
				continue;
			}
			if (w->depth == 0)
				break;
			d = up(w, d);
			if (!d)
				return;
			did = w->lv[w->depth].did;
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		switch (visit(w, dirfd(d), de->d_name, &sub, &id)) {
		case V_LEFT:
			continue;
		case V_REMOVED:
			did = 1;
			continue;
		case V_DOWN:
			break;
		}
		w->lv[w->depth].did = 1;
		if (push(w, de->d_name, id) < 0) {
			note(w, ENOMEM);
			(void)close(sub);
			continue;
		}
		/* Held: the fds open stay HELD + 2 (this one, and ".." or a
		 * subdirectory being opened) however deep we go. */
		w->lv[w->depth - 1].dir = d;
		if (w->depth > HELD && w->lv[w->depth - 1 - HELD].dir) {
			(void)closedir(w->lv[w->depth - 1 - HELD].dir);
			w->lv[w->depth - 1 - HELD].dir = NULL;
		}
		d = fdopendir(sub);
		if (!d) {
			/* We are in it, and without a DIR to read cannot tell
			 * when to go back up. */
			note(w, errno);
			(void)close(sub);
			return;
		}
		did = 0;
	}
	(void)closedir(d);
}

int rr_empty_tree(const char *path)
{
	struct walk w = { .first = 0 };
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	errno = 0;
	if (stat_at(fd, "", AT_EMPTY_PATH, &w.top) < 0 ||
	    ((w.top.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (w.top.stx_attributes & STATX_ATTR_MOUNT_ROOT))) {
		/* A mount on it: what is inside is the mount's, not ours. */
		int err = errno ? errno : EBUSY;

		(void)close(fd);
		errno = err;
		return -1;
	}
	w.cap = 64;
	w.lv = malloc(w.cap * sizeof *w.lv);
	if (!w.lv) {
		(void)close(fd);
		errno = ENOMEM;
		return -1;
	}
	w.lv[0] = (struct level){ .id = id_of(&w.top) };
	empty_dir(&w, fd);
	/* A walk that stopped below the top leaves its levels' names and the
	 * streams it held. */
	for (size_t i = 0; i <= w.depth; i++) {
		free(w.lv[i].name);
		if (w.lv[i].dir)
			(void)closedir(w.lv[i].dir);
	}
	free(w.lv);
	free(w.kept);
	if (w.first) {
		errno = w.first;
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
