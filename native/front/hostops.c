#define _GNU_SOURCE
#include "hostops.h"
#include "await_cgroup.h"
#include "dbus.h"
#include "lease.h"
#include "netlink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "rmtree.h"
#include "zoo_replay.h"

int rr_host_init(struct rr_host *h, const struct rr_entry *e, const sigset_t *mask)
{
	size_t n = e->nops + 1;

	memset(h, 0, sizeof *h);
	h->orig_mask = *mask;
	h->made = calloc(n, sizeof *h->made);
	h->locks = calloc(n, sizeof *h->locks);
	h->slots = calloc(n, sizeof *h->slots);
	return h->made && h->locks && h->slots ? 0 : -1;
}

static int remember(struct rr_host *h, int kind, const char *path)
{
	char *copy = strdup(path);

	if (!copy)
		return -1;
	h->made[h->nmade].kind = kind;
	h->made[h->nmade].path = copy;
	h->nmade++;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* rmdir; EBUSY (a dead PID namespace's last tasks still leaving a cgroup)
 * is retried for about a second when asked. */
static int remove_dir(const char *path, int retry_busy)
{
	for (int i = 0;; i++) {
		if (rmdir(path) == 0)
			return 0;
		if (errno != EBUSY || !retry_busy || i >= 100)
			return -1;
		sleep_ms(10);
	}
}

/* RMTREE: every entry of the directory must go (a subdirectory fails), then the directory. */
static int rmtree(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		int err = errno;

		(void)close(fd);
		errno = err;
		return -1;
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
			rc = -1;
			break;
		}
		errno = 0;
	}
	if (rc == 0 && errno)
		rc = -1;
	{
		int err = errno;

		(void)closedir(d);
		errno = err;
	}
	return rc < 0 ? -1 : rmdir(path);
}

static int write_once(const char *path, const char *content)
{
	size_t len = strlen(content);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	/* One write(2): a cgroup file takes one value per write. */
	do
		n = write(fd, content, len);
	while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n != len) {
		n = -1;
		errno = EIO;
	}
	if (n < 0) {
		int err = errno;

		(void)close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

static int replace(struct rr_host *h, const char *path, const char *content, uint32_t mode)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	int fd, err;

	if (!tmp)
		return -1;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	if (zoo_write_all(fd, content, strlen(content)) < 0) {
		err = errno;
		(void)close(fd);
		errno = err;
		goto fail_unlink;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		goto fail_unlink;
	free(tmp);
	return remember(h, RR_MADE_FILE, path);
fail_unlink:
	err = errno;
	(void)unlink(tmp);
	errno = err;
fail:
	err = errno;
	free(tmp);
	errno = err;
	return -1;
}

static int device_bpf(const char *dir, const uint8_t *insns, uint32_t len)
{
	static const char license[] = "Apache-2.0";
	union bpf_attr attr;
	int prog, cg, rc, err;

	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insn_cnt = len / 8;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.license = (uint64_t)(uintptr_t)license;
	attr.expected_attach_type = BPF_CGROUP_DEVICE;
	memcpy(attr.prog_name, "zoo_devices", sizeof "zoo_devices");
	prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	if (prog < 0)
		return -1;
	if (fcntl(prog, F_SETFD, FD_CLOEXEC) < 0) {
		err = errno;
		(void)close(prog);
		errno = err;
		return -1;
	}
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		err = errno;
		(void)close(prog);
		errno = err;
		return -1;
	}
	memset(&attr, 0, sizeof attr);
	attr.target_fd = (uint32_t)cg;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	/* The attachment holds the program until the cgroup goes. */
	rc = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr);
	err = errno;
	(void)close(cg);
	(void)close(prog);
	errno = err;
	return rc;
}

static int alive(const struct rr_host *h)
{
	char now[32];

	if (kill(h->container, 0) < 0 && errno == ESRCH)
		return 0;
	/* The same process, not a new one with a recycled pid. */
	return rr_start_time(h->container, now, sizeof now) == 0 && strcmp(now, h->container_start) == 0;
}

/* What `start` does: a reader on the fifo until the container's writer has
 * come and gone (POLLHUP); CREATED comes before its open, so it may not be
 * there yet. Gives up once the container is gone. */
static int start(const struct rr_host *h, const char *fifo)
{
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC), err;

	if (fd < 0)
		return -1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, 50);

		if (r < 0 && errno != EINTR)
			goto fail;
		if (r > 0 && (p.revents & POLLHUP))
			break;
		if (!alive(h)) {
			errno = ESRCH;
			goto fail;
		}
	}
	if (close(fd) < 0)
		return -1;
	return unlink(fifo);
fail:
	err = errno;
	(void)close(fd);
	errno = err;
	return -1;
}

/* Closes the lock held on `path`'s directory: the same inode, whatever the name. */
static int unlock(struct rr_host *h, const char *path)
{
	struct stat want, got;

	if (stat(path, &want) < 0)
		return -1;
	for (size_t i = 0; i < h->nlocks; i++) {
		if (fstat(h->locks[i], &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
			continue;
		(void)close(h->locks[i]);
		h->locks[i] = h->locks[--h->nlocks];
		return 0;
	}
	errno = ENOLCK;
	return -1;
}

/* Whether a memory.events (v2) or memory.oom_control (v1) counts an OOM kill. */
static int oom_killed(const char *path, int *killed)
{
	static const char key[] = "oom_kill ";
	uint8_t *buf;
	size_t len, off = 0, n;
	const char *line;

	*killed = 0;
	if (rr_read_small(path, 65536, &buf, &len) < 0)
		return errno == ENOENT ? 0 : -1;
	while ((line = rr_next_line(buf, len, &off, &n))) {
		/* "oom_kill N", not "oom_kill_disable N" (v1); any non-zero N. */
		if (n > sizeof key - 1 && memcmp(line, key, sizeof key - 1) == 0) {
			size_t k = sizeof key - 1, digits = 0;
			int nonzero = 0;

			for (; k < n && line[k] >= '0' && line[k] <= '9'; k++, digits++)
				nonzero |= line[k] != '0';
			if (digits && k == n && nonzero)
				*killed = 1;
		}
	}
	free(buf);
	return 0;
}

static int oom_note(const char *file, const char *message)
{
	int killed;

	if (oom_killed(file, &killed) < 0)
		return -1;
	/* The message is TS's line as it would print it, newline included. */
	if (killed)
		(void)zoo_write_all(2, message, strlen(message));
	return 0;
}

static const char *op_name(uint16_t type)
{
	switch (type) {
	case ZOO_RR_MKDIR: return "mkdir";
	case ZOO_RR_LOCK: return "lock";
	case ZOO_RR_MKFIFO: return "mkfifo";
	case ZOO_RR_OPEN: return "open";
	case ZOO_RR_WRITE: return "write";
	case ZOO_RR_REPLACE: return "write";
	case ZOO_RR_DEVICE_BPF: return "device program for";
	case ZOO_RR_RMDIR: return "rmdir";
	case ZOO_RR_RMTREE: return "remove";
	case ZOO_RR_START: return "start";
	case ZOO_RR_UNLOCK: return "unlock";
	case ZOO_RR_RMTREE_ALL: return "remove";
	case ZOO_RR_OOM_NOTE: return "read";
	case ZOO_RR_NETLINK: return "netlink request in";
	case ZOO_RR_DBUS: return "D-Bus calls on";
	case ZOO_RR_AWAIT_CGROUP: return "wait for the cgroup";
	case ZOO_RR_LEASE: return "lease in";
	case ZOO_RR_RELEASE: return "release the lease in";
	}
	return "?";
}

/* The DBUS op on this run's copy of the messages. */
static int dbus_calls(const struct rr_op *op, const char *path, const struct rr_vars *v, char *detail, size_t n)
{
	uint8_t *msgs = rr_fill_call_sites(op, v);
	int rc, err;

	if (!msgs)
		return -1;
	rc = rr_dbus_calls(path, msgs, op->blob_len, detail, n);
	err = errno;
	free(msgs);
	errno = err;
	return rc;
}

/* The NETLINK op on this run's copy of the request. */
static int netlink(const struct rr_host *h, const struct rr_op *op, const struct rr_vars *v)
{
	uint8_t *msg = rr_fill_call_sites(op, v);
	int rc, err;

	if (!msg)
		return -1;
	rc = rr_netlink(h->container, op->where, op->protocol, op->ok_errno,
			&(struct rr_nl_expect){ op->expect_off, op->expect_val }, msg, op->blob_len);
	err = errno;
	free(msg);
	errno = err;
	return rc;
}

/* A lease taken goes in the undo log with what it wrote, so that a fallback
 * gives it back only if it is still ours as written. */
static int remember_lease(struct rr_host *h, const char *lock, const char *dir, const char *file, const char *content,
			  const struct rr_op *op, const struct rr_vars *v)
{
	struct rr_made *m = &h->made[h->nmade];

	m->kind = RR_MADE_LEASE;
	m->path = strdup(dir);
	m->lock = strdup(lock);
	m->file = strdup(file);
	m->content = strdup(content);
	m->argv = rr_helper_argv(op->blob, op->blob_len, v);
	h->nmade++;
	if (m->path && m->lock && m->file && m->content && m->argv)
		return 0;
	errno = ENOMEM;
	return -1;
}

/* LEASE and RELEASE: their lock and file templates filled here, the dir (path) and content by the caller. */
static int lease_op(struct rr_host *h, const struct rr_op *op, const char *dir, const char *content,
		    const struct rr_vars *v, char *detail, size_t n)
{
	char *lock = rr_expand(op->lock, v), *file = lock ? rr_expand(op->file, v) : NULL;
	int rc = -1, err;

	if (!file)
		goto out;
	if (op->type == ZOO_RR_RELEASE)
		rc = rr_release(lock, dir, file, content, op->blob, op->blob_len, v, &h->orig_mask, detail, n);
	else if ((rc = rr_lease(lock, dir, file, content)) == 0 && (rc = remember_lease(h, lock, dir, file, content, op, v)) < 0) {
		/* Not in the log whole, so the undo skips it: given back now, still ours as written. */
		err = errno;
		rr_lease_undo(lock, dir, file, content, NULL, &h->orig_mask);
		errno = err;
	}
out:
	err = errno;
	free(lock);
	free(file);
	errno = err;
	return rc;
}

/* -1 with errno, and `detail` set when it says more than errno (D-Bus). */
static int run_op(struct rr_host *h, const struct rr_op *op, const char *path, const char *content,
		  const struct rr_vars *v, char *detail, size_t n)
{
	int fd;

	switch (op->type) {
	case ZOO_RR_MKDIR:
		/* KEEP: we will be in it (a cgroup of systemd's scope), which removes it with the scope. */
		if (mkdir(path, op->mode) == 0)
			return op->flags & ZOO_RMKDIR_KEEP ? 0
			       : remember(h, op->flags & ZOO_RMKDIR_EXIST_OK ? RR_MADE_SHARED_DIR : RR_MADE_OWN_DIR, path);
		/* An existing directory is not ours: a fallback leaves it. */
		return errno == EEXIST && (op->flags & ZOO_RMKDIR_EXIST_OK) ? 0 : -1;
	case ZOO_RR_LOCK:
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		h->locks[h->nlocks++] = fd;
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR)
				return -1;
		return 0;
	case ZOO_RR_UNLOCK:
		return unlock(h, path);
	case ZOO_RR_MKFIFO:
		if (mknod(path, S_IFIFO | op->mode, 0) < 0)
			return -1;
		if (remember(h, RR_MADE_FILE, path) < 0)
			return -1;
		/* Past the umask: the container's process may be any uid. */
		return chmod(path, op->mode);
	case ZOO_RR_OPEN:
		fd = open(path, (int)op->flags | O_CLOEXEC);
		if (fd < 0)
			return -1;
		h->slots[h->nslots].fd = fd;
		h->slots[h->nslots].slot = op->slot;
		h->nslots++;
		return 0;
	case ZOO_RR_WRITE:
		return write_once(path, content);
	case ZOO_RR_REPLACE:
		return replace(h, path, content, op->mode);
	case ZOO_RR_DEVICE_BPF:
		return device_bpf(path, op->blob, op->blob_len);
	case ZOO_RR_RMDIR:
		if (remove_dir(path, op->flags & ZOO_RRMDIR_RETRY_BUSY) == 0)
			return 0;
		return errno == ENOENT && (op->flags & ZOO_RRMDIR_ENOENT_OK) ? 0 : -1;
	case ZOO_RR_RMTREE:
		return rmtree(path) == 0 || errno == ENOENT ? 0 : -1;
	case ZOO_RR_RMTREE_ALL:
		return rr_rmtree_all(path);
	case ZOO_RR_OOM_NOTE:
		return oom_note(path, content);
	case ZOO_RR_NETLINK:
		return netlink(h, op, v);
	case ZOO_RR_LEASE:
	case ZOO_RR_RELEASE:
		return lease_op(h, op, path, content, v, detail, n);
	case ZOO_RR_START:
		return start(h, path);
	case ZOO_RR_DBUS:
		return dbus_calls(op, path, v, detail, n);
	case ZOO_RR_AWAIT_CGROUP:
		return rr_await_cgroup(path, op->timeout_ms);
	}
	errno = EINVAL;
	return -1;
}

int rr_run_phase(struct rr_host *h, const struct rr_entry *e, uint32_t phase, const struct rr_vars *v, int teardown,
		 char *why, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < e->nops; i++) {
		const struct rr_op *op = &e->ops[i];
		char *path, *content = NULL, detail[RR_WHY / 2] = "";
		int r, err;

		if (op->phase != phase)
			continue;
		path = rr_expand(op->path, v);
		if (path && op->content)
			content = rr_expand(op->content, v);
		if (!path || (op->content && !content)) {
			err = errno;
			free(path);
			rr_why(why, n, "op %zu: expanding a template: %s", i, strerror(err));
			if (!teardown)
				return -1;
			rc = -1;
			continue;
		}
		r = run_op(h, op, path, content, v, detail, sizeof detail);
		err = errno;
		if (r < 0) {
			rr_why(why, n, "%s %s: %s", op_name(op->type), path, detail[0] ? detail : strerror(err));
			if (teardown)
				dprintf(2, "%s: delete %s: %s\n", rr_door, v->id, why);
		}
		free(path);
		free(content);
		if (r < 0) {
			if (!teardown)
				return -1;
			rc = -1;
		}
	}
	return rc;
}

void rr_undo(struct rr_host *h)
{
	for (size_t i = h->nmade; i-- > 0;) {
		const struct rr_made *m = &h->made[i];

		if (m->kind == RR_MADE_OWN_DIR) {
			/* A directory that had to be new (its name has the ID): all in
			 * it is this run's (files REPLACE wrote, a fifo, whatever the
			 * shim made there). A mount on it or inside it is left, and
			 * then so is the directory. */
			(void)rr_empty_tree(m->path);
			(void)remove_dir(m->path, 1);
		} else if (m->kind == RR_MADE_LEASE) {
			if (m->path && m->lock && m->file && m->content && m->argv)
				rr_lease_undo(m->lock, m->path, m->file, m->content, m->argv, &h->orig_mask);
		} else if (m->kind == RR_MADE_SHARED_DIR) {
			/* EXIST_OK, new this time (a state root): another run may have
			 * put its own directory there since; removed only if empty. */
			(void)remove_dir(m->path, 1);
		} else {
			(void)unlink(m->path);
		}
	}
}

void rr_host_release(struct rr_host *h)
{
	for (size_t i = 0; i < h->nlocks; i++)
		(void)close(h->locks[i]);
	for (size_t i = 0; i < h->nslots; i++)
		(void)close(h->slots[i].fd);
	for (size_t i = 0; i < h->nmade; i++) {
		free(h->made[i].path);
		free(h->made[i].lock);
		free(h->made[i].file);
		free(h->made[i].content);
		rr_helper_argv_free(h->made[i].argv);
	}
	free(h->made);
	free(h->locks);
	free(h->slots);
	memset(h, 0, sizeof *h);
}
