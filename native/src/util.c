#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int zoo_read_all(int fd, size_t max, uint8_t **out, size_t *out_len)
{
	size_t cap = 4096, len = 0;
	struct stat st;
	uint8_t *buf;

	/* A regular file (a plan in a memfd, a cache entry) is read into one
	 * buffer of its size: each doubling is a realloc, and with it an mmap
	 * and a munmap, which are not cheap on a paravirtualised host. The
	 * extra byte lets the read that finds the end need no more room. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (size_t)st.st_size < max)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);

	if (!buf)
		return -1;
	for (;;) {
		if (len == cap) {
			/* One byte past max is enough to tell "too big" from "exactly max". */
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			uint8_t *nbuf;

			if (ncap <= cap) {
				free(buf);
				errno = E2BIG;
				return -1;
			}
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				free(buf);
				return -1;
			}
			buf = nbuf;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		errno = E2BIG;
		return -1;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

int zoo_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int zoo_set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -1;
	if (flags & FD_CLOEXEC)
		return 0;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

void zoo_vlog(const char *fmt, va_list ap)
{
	char line[640];
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	/* One write: the line is not interleaved with a container's output; and
	 * nothing is left to tell anyone if stderr is gone too. */
	(void)!zoo_write_all(STDERR_FILENO, line, (size_t)n);
}

void zoo_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zoo_vlog(fmt, ap);
	va_end(ap);
}

int zoo_send_fd(int sock, int fd, const void *data, size_t len)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
	struct cmsghdr *cm;
	ssize_t n;

	memset(control, 0, sizeof control);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}
