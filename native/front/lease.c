#define _GNU_SOURCE
#include "lease.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "fallback.h"
#include "zoo_replay.h"

extern char **environ;

/* The lock TypeScript takes: the file is shared by every run on the network
 * and outlives them, so it is made if missing and never removed. Closing
 * the fd drops the lock. */
static int lock_take(const char *lock)
{
	int fd = open(lock, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600), err;

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		err = errno;
		(void)close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* "<dir>/<prefix><file><suffix>", malloc'd. */
static char *in_dir(const char *dir, const char *prefix, const char *file, const char *suffix)
{
	char *s;

	return asprintf(&s, "%s/%s%s%s", dir, prefix, file, suffix) < 0 ? NULL : s;
}

/* Whether the file holds exactly `content`: one byte more is read, so a file
 * that grew differs; a file that cannot be read is not ours to judge. */
static int holds(const char *path, const char *content)
{
	size_t want = strlen(content), len;
	uint8_t *data;
	int same;

	if (rr_read_small(path, want + 1, &data, &len) < 0)
		return 0;
	same = len == want && memcmp(data, content, len) == 0;
	free(data);
	return same;
}

static int write_file(const char *tmp, const char *path, const char *content)
{
	/* 0666 through the umask, as TypeScript's writeFileSync. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666), err;

	if (fd < 0)
		return -1;
	if (zoo_write_all(fd, content, strlen(content)) < 0) {
		err = errno;
		(void)close(fd);
		errno = err;
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return rename(tmp, path);
}

int rr_lease(const char *lock, const char *dir, const char *file, const char *content)
{
	char *tmp = in_dir(dir, ".", file, ".tmp"), *path = in_dir(dir, "", file, "");
	int fd = -1, rc = -1, err;

	if (!tmp || !path)
		goto out;
	if ((fd = lock_take(lock)) < 0)
		goto out;
	/* The directory exists exactly while the network has leases: one that is
	 * there already means neighbours, whose hosts files only TypeScript rewrites. */
	if (mkdir(dir, 0700) < 0)
		goto out;
	rc = write_file(tmp, path, content);
	if (rc < 0) {
		/* Still under the lock: the directory is ours alone. */
		err = errno;
		(void)unlink(tmp);
		(void)rmdir(dir);
		errno = err;
	}
out:
	err = errno;
	if (fd >= 0)
		(void)close(fd);
	free(tmp);
	free(path);
	errno = err;
	return rc;
}

/* Under the lock, the file holding only our lease: it goes, then a temporary
 * file a crash left (TypeScript writes the same name; nobody is writing one
 * now), then the directory. ENOTEMPTY: something else is in it, which the
 * next Bun run on the network deals with. */
static int drop(const char *path, const char *dir, const char *file)
{
	char *tmp = in_dir(dir, ".", file, ".tmp");

	if (unlink(path) < 0) {
		free(tmp);
		return -1;
	}
	if (tmp)
		(void)unlink(tmp);
	free(tmp);
	return rmdir(dir) == 0 || errno == ENOENT || errno == ENOTEMPTY ? 0 : -1;
}

static int run_helper(char *const *argv, const sigset_t *mask, char *detail, size_t n);

/* RELEASE and a LEASE's undo alike: holding the lock, the lease goes if the
 * file is still as written. Otherwise a neighbour came or went: only
 * TypeScript rewrites the network's JSON and everyone's hosts files, and it
 * takes the lock itself, so the lock is dropped first and the helper `argv`
 * runs (NULL: the lease is left). */
static int give_back(const char *lock, const char *dir, const char *file, const char *content, char *const *argv,
		     const sigset_t *mask, char *detail, size_t n)
{
	char *path = in_dir(dir, "", file, "");
	int fd, rc, err;

	if (!path)
		return -1;
	if ((fd = lock_take(lock)) < 0) {
		err = errno;
		free(path);
		errno = err;
		return -1;
	}
	if (holds(path, content)) {
		rc = drop(path, dir, file);
		err = errno;
		(void)close(fd);
		free(path);
		errno = err;
		return rc;
	}
	(void)close(fd);
	free(path);
	return argv ? run_helper(argv, mask, detail, n) : 0;
}

void rr_lease_undo(const char *lock, const char *dir, const char *file, const char *content, char *const *argv,
		   const sigset_t *mask)
{
	char detail[256];

	/* Nothing to report it to: the Bun path that follows says what it must. */
	(void)give_back(lock, dir, file, content, argv, mask, detail, sizeof detail);
}

char **rr_helper_argv(const uint8_t *args, size_t len, const struct rr_vars *v)
{
	const char *p = (const char *)args, *end = p + len;
	size_t n = 0, i = 1;
	char **argv;

	for (const char *q = p; q < end; q += strlen(q) + 1)
		n++;
	if (!(argv = calloc(n + 2, sizeof *argv)))
		return NULL;
	argv[0] = (char *)ZOO_REPLAY_BUN_NAME;
	for (; p < end; p += strlen(p) + 1, i++) {
		if (!(argv[i] = rr_expand(p, v))) {
			int err = errno;

			while (--i > 0)
				free(argv[i]);
			free(argv);
			errno = err;
			return NULL;
		}
	}
	return argv;
}

void rr_helper_argv_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 1; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Runs the Bun executable beside us and waits: 0 when it exited 0. */
static int run_helper(char *const *argv, const sigset_t *mask, char *detail, size_t n)
{
	char *dir = rr_exe_dir(), path[PATH_MAX];
	posix_spawnattr_t attr;
	pid_t pid;
	int status, err;

	if (!dir)
		return -1;
	err = rr_bun_path(dir, path, sizeof path);
	free(dir);
	if (err < 0)
		return -1;
	/* Our stdio and environment; every other fd of ours is O_CLOEXEC. The
	 * signals we hold blocked for the container are the helper's to take. */
	if ((err = posix_spawnattr_init(&attr)) != 0) {
		errno = err;
		return -1;
	}
	err = posix_spawnattr_setsigmask(&attr, mask);
	if (err == 0)
		err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (err == 0)
		err = posix_spawn(&pid, path, NULL, &attr, argv, environ);
	(void)posix_spawnattr_destroy(&attr);
	if (err != 0) {
		errno = err;
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		(void)snprintf(detail, n, "%s exited with %d", path, WEXITSTATUS(status));
	else
		(void)snprintf(detail, n, "%s was killed by signal %d", path, WTERMSIG(status));
	errno = ECHILD;
	return -1;
}

int rr_release(const char *lock, const char *dir, const char *file, const char *content, const uint8_t *args,
	       size_t args_len, const struct rr_vars *v, const sigset_t *mask, char *detail, size_t n)
{
	char **argv = rr_helper_argv(args, args_len, v);
	int rc, err;

	if (!argv)
		return -1;
	rc = give_back(lock, dir, file, content, argv, mask, detail, n);
	err = errno;
	rr_helper_argv_free(argv);
	errno = err;
	return rc;
}
