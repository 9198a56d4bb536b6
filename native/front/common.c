#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool rr_tracing;
const char *rr_door = "zoo-runtime";

void rr_trace(const char *fmt, ...)
{
	va_list ap;

	if (!rr_tracing)
		return;
	va_start(ap, fmt);
	zoo_vlog(fmt, ap);
	va_end(ap);
}

int rr_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

int rr_read_small(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	/* O_NONBLOCK: a cgroup file is never a fifo, but a path could name one. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc, err;

	if (fd < 0)
		return -1;
	rc = zoo_read_all(fd, max, buf, len);
	err = errno;
	(void)close(fd);
	errno = err;
	return rc;
}

const char *rr_next_line(const uint8_t *buf, size_t len, size_t *off, size_t *n)
{
	const char *line = (const char *)buf + *off;
	const uint8_t *nl;

	if (*off >= len)
		return NULL;
	nl = memchr(buf + *off, '\n', len - *off);
	*n = nl ? (size_t)(nl - (buf + *off)) : len - *off;
	*off += *n + 1;
	return line;
}
