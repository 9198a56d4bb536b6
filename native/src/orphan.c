#define _GNU_SOURCE
#include "orphan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Calls fn for each string; returns -1 (EPROTO) on a malformed list. */
static int each(const uint8_t *p, uint32_t len, void (*fn)(const char *))
{
	uint32_t off = 4, count, i;

	if (len < 4)
		goto bad;
	count = zoo_get_u32(p);
	for (i = 0; i < count; i++) {
		uint32_t n;

		if (len - off < 4)
			goto bad;
		n = zoo_get_u32(p + off);
		off += 4;
		if (n == 0 || n > len - off || p[off + n - 1] != '\0' || memchr(p + off, '\0', n) != p + off + n - 1)
			goto bad;
		if (fn)
			fn((const char *)p + off);
		off += n;
	}
	if (off != len)
		goto bad;
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

int zoo_orphan_set(struct zoo_orphan *o, const uint8_t *payload, uint32_t len)
{
	if (len > sizeof o->list || each(payload, len, NULL) < 0) {
		errno = EPROTO;
		return -1;
	}
	memcpy(o->list, payload, len);
	o->len = len;
	return 0;
}

int zoo_orphan_add_helper(struct zoo_orphan *o, pid_t pid)
{
	int fd;

	if (o->nhelpers >= ZOO_ORPHAN_HELPERS) {
		errno = EMFILE;
		return -1;
	}
	/* pidfds are always close-on-exec. */
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno == ESRCH)
		return 0;
	if (fd < 0 && errno != ENOSYS)
		return -1;
	o->helpers[o->nhelpers].fd = fd;
	o->helpers[o->nhelpers].pid = pid;
	o->nhelpers++;
	return 0;
}

/* TS's scratch dirs hold a file or two (a pid file, a generated resolv.conf);
 * cgroup dirs hold control files that cannot be unlinked, and need not be. */
static void unlink_files(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		(void)close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_type != DT_DIR)
			(void)unlinkat(fd, e->d_name, 0);
	(void)closedir(d);
}

static void remove_dir(const char *path)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };

	/* A v1 cgroup stays busy until every task of the dead PID namespace is
	 * gone; as their subreaper the shim collects them while it waits. */
	for (int tries = 0; tries < 500; tries++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return;
		if (errno == ENOTEMPTY && tries == 0) {
			unlink_files(path);
			continue;
		}
		if (errno != EBUSY && errno != ENOTEMPTY)
			break;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		(void)nanosleep(&tick, NULL);
	}
	zoo_log("zoo-shim: cannot remove %s: %s", path, strerror(errno));
}

void zoo_orphan_cleanup(const struct zoo_orphan *o)
{
	for (unsigned i = 0; i < o->nhelpers; i++) {
		if (o->helpers[i].fd < 0) {
			(void)kill(o->helpers[i].pid, SIGKILL);
			continue;
		}
		(void)syscall(SYS_pidfd_send_signal, o->helpers[i].fd, SIGKILL, NULL, 0);
		(void)close(o->helpers[i].fd);
	}
	if (o->len)
		(void)each(o->list, o->len, remove_dir);
}
