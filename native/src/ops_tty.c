/* TTY: the container's terminal, made the way runc makes it. The pty comes
 * from the /dev/ptmx the process will see (the plan puts this op after
 * pivot_root, so it is the container's devpts instance, not the host's); the
 * process keeps the slave as its controlling terminal and stdio, and the
 * master goes to whoever listens on the console socket (SCM_RIGHTS). The op
 * runs before capabilities are dropped and before seccomp, so neither can
 * refuse an ioctl here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "ops.h"
#include "util.h"

/* Pty slaves are character devices with majors 136..143 (UNIX98_PTY_SLAVE_MAJOR). */
#define PTS_MAJOR_FIRST 136u
#define PTS_MAJOR_LAST 143u

/* The slave by its name in the container's /dev/pts, as runc and crun open
 * it (TIOCGPTPEER would do without the name, but valgrind cannot follow that
 * ioctl). The node must be the pty slave with our number, not something else
 * that was put there. */
static int open_slave(int master)
{
	unsigned int n;
	char path[32];
	struct stat st;
	int fd;

	if (ioctl(master, TIOCGPTN, &n) < 0)
		return -1;
	(void)snprintf(path, sizeof path, "/dev/pts/%u", n);
	fd = open(path, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < PTS_MAJOR_FIRST ||
	    major(st.st_rdev) > PTS_MAJOR_LAST || (minor(st.st_rdev) + (major(st.st_rdev) - PTS_MAJOR_FIRST) * 256u) != n) {
		(void)close(fd);
		errno = ENOTTY;
		return -1;
	}
	return fd;
}

/* One byte stream message ("/dev/ptmx", as runc sends the name) carrying the fd. */
static int send_fd(int sock, int fd)
{
	static const char name[] = "/dev/ptmx";

	return zoo_send_fd(sock, fd, name, sizeof name - 1);
}

static int close_keep_errno(int fd, int ret)
{
	int saved = errno;

	if (fd < 0)
		return ret;
	if (close(fd) < 0 && ret == 0)
		return -1; /* close's errno */
	errno = saved;
	return ret;
}

int op_tty(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	int master = -1, slave = -1, unlock = 0, ret = -1;
	int sock = op->u.tty.sock;

	ctx->object = "/dev/ptmx";
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		goto out;
	ctx->object = "unlocking the pty";
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		goto out;
	ctx->object = "the pty's slave";
	slave = open_slave(master);
	if (slave < 0)
		goto out;
	if (op->u.tty.rows || op->u.tty.cols) {
		struct winsize ws = { .ws_row = (unsigned short)op->u.tty.rows,
				      .ws_col = (unsigned short)op->u.tty.cols };

		ctx->object = "the terminal size";
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			goto out;
	}
	/* A new session, so that the slave can become its controlling terminal:
	 * the child is not a group leader (it shares the shim's group). */
	ctx->object = "setsid";
	if (setsid() < 0)
		goto out;
	ctx->object = "the pty as controlling terminal";
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		goto out;
	ctx->object = "the pty as stdio";
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0)
			goto out;
	ctx->object = "the console socket";
	if (send_fd(sock, master) < 0)
		goto out;
	ret = 0;
out:
	ret = close_keep_errno(master, ret);
	if (slave > 2)
		ret = close_keep_errno(slave, ret);
	/* The receiver has its own copy of the master; ours and the socket go. */
	return close_keep_errno(sock, ret);
}
