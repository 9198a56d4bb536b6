#define _GNU_SOURCE
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

int zoo_attach_open(struct zoo_attach *a, int with_stdin)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	a->master = a->listen = a->stdin_w = -1;
	if (with_stdin) {
		int p[2];

		/* The read end becomes fd 0 without O_CLOEXEC (dup2), for the child. */
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		if (dup2(p[0], 0) < 0 || close(p[0]) < 0) {
			(void)close(p[1]);
			return -1;
		}
		a->stdin_w = p[1];
	}
	for (size_t i = 0; i < ZOO_ATTACH_CLIENTS; i++)
		a->clients[i] = NULL;
	if (!a->path)
		return 0;
	if (strlen(a->path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, a->path);
	a->listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->listen < 0)
		return -1;
	/* A socket left by an earlier run of this container. */
	if (unlink(a->path) < 0 && errno != ENOENT)
		return -1;
	if (bind(a->listen, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(a->path, 0600) < 0 || listen(a->listen, 4) < 0)
		return -1;
	return 0;
}

void zoo_attach_pollfds(const struct zoo_attach *a, struct pollfd *p)
{
	p[0] = (struct pollfd){ .fd = a->console, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = a->master, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = a->listen, .events = POLLIN };
	for (size_t i = 0; i < ZOO_ATTACH_CLIENTS; i++)
		p[3 + i] = (struct pollfd){ .fd = a->clients[i] ? a->clients[i]->fd : -1, .events = POLLIN };
}

static void drop_client(struct zoo_attach *a, size_t i)
{
	(void)close(a->clients[i]->fd);
	free(a->clients[i]);
	a->clients[i] = NULL;
}

static void receive_master(struct zoo_attach *a)
{
	char data[32], control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
	ssize_t n = recvmsg(a->console, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
		memcpy(&a->master, CMSG_DATA(c), sizeof(int));
		if (fcntl(a->master, F_SETFL, O_NONBLOCK) < 0)
			zoo_log("zoo-shim: pty master: %s", strerror(errno));
	}
	/* One fd is all the child sends; EOF or garbage ends it too. */
	(void)close(a->console);
	a->console = -1;
}

static void broadcast(struct zoo_attach *a, const char *buf, size_t n)
{
	for (size_t i = 0; i < ZOO_ATTACH_CLIENTS; i++) {
		/* A client that cannot keep up loses output rather than stall the container. */
		if (a->clients[i] && send(a->clients[i]->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
			drop_client(a, i);
	}
}

/* 0: more may come; -1: the master is done (EIO once every slave is closed). */
static int read_master(struct zoo_attach *a, struct zoo_logfile *log)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(a->master, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			(void)close(a->master);
			a->master = -1;
			return -1;
		}
		zoo_log_feed(log, &log->out, buf, (size_t)n);
		broadcast(a, buf, (size_t)n);
	}
}

static void accept_client(struct zoo_attach *a)
{
	int fd = accept4(a->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (size_t i = 0; i < ZOO_ATTACH_CLIENTS; i++) {
		if (a->clients[i])
			continue;
		a->clients[i] = malloc(sizeof *a->clients[i]);
		if (!a->clients[i])
			break;
		a->clients[i]->fd = fd;
		a->clients[i]->len = 0;
		return;
	}
	(void)close(fd);
}

static void frame(struct zoo_attach *a, uint8_t type, const uint8_t *p, size_t n)
{
	if (a->stdin_w >= 0 && type == 'd') {
		/* A container that does not read blocks here, as a pipe's writer would. */
		(void)zoo_write_all(a->stdin_w, p, n);
		return;
	}
	if (a->stdin_w >= 0 && type == 'e') {
		(void)close(a->stdin_w);
		a->stdin_w = -1;
		return;
	}
	if (a->master < 0)
		return;
	if (type == 'd') {
		/* Input the pty cannot take now is dropped, as a full terminal would. */
		(void)zoo_write_all(a->master, p, n);
	} else if (type == 'r' && n == 4) {
		struct winsize ws = { .ws_row = (unsigned short)(p[0] | p[1] << 8), .ws_col = (unsigned short)(p[2] | p[3] << 8) };

		/* The kernel sends SIGWINCH to the terminal's foreground group. */
		(void)ioctl(a->master, TIOCSWINSZ, &ws);
	}
}

static void read_client(struct zoo_attach *a, size_t i)
{
	struct zoo_attach_client *c = a->clients[i];
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		drop_client(a, i);
		return;
	}
	c->len += (size_t)n;
	size_t off = 0;
	while (c->len - off >= 3) {
		size_t len = (size_t)c->buf[off + 1] | (size_t)c->buf[off + 2] << 8;

		if (c->len - off < 3 + len)
			break;
		frame(a, c->buf[off], c->buf + off + 3, len);
		off += 3 + len;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

void zoo_attach_events(struct zoo_attach *a, const struct pollfd *p, struct zoo_logfile *log)
{
	if (p[0].fd >= 0 && p[0].revents)
		receive_master(a);
	if (p[1].fd >= 0 && p[1].revents)
		(void)read_master(a, log);
	if (p[2].fd >= 0 && p[2].revents)
		accept_client(a);
	for (size_t i = 0; i < ZOO_ATTACH_CLIENTS; i++)
		if (p[3 + i].fd >= 0 && p[3 + i].revents && a->clients[i] && a->clients[i]->fd == p[3 + i].fd)
			read_client(a, i);
}

void zoo_attach_close(struct zoo_attach *a, struct zoo_logfile *log)
{
	if (a->master >= 0) {
		(void)read_master(a, log);
		if (a->master >= 0)
			(void)close(a->master);
		a->master = -1;
	}
	for (size_t i = 0; i < ZOO_ATTACH_CLIENTS; i++)
		if (a->clients[i])
			drop_client(a, i);
	if (a->console >= 0)
		(void)close(a->console);
	a->console = -1;
	if (a->stdin_w >= 0)
		(void)close(a->stdin_w);
	a->stdin_w = -1;
	if (a->listen >= 0) {
		(void)close(a->listen);
		(void)unlink(a->path);
	}
	a->listen = -1;
}
