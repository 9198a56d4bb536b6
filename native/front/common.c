#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

bool rr_tracing;

int rr_read_all(int fd, size_t max, uint8_t **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);

	if (!buf)
		return -1;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			/* One byte past max tells "too big" from "exactly max". */
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
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(buf);
		errno = E2BIG;
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

int rr_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void rr_trace(const char *fmt, ...)
{
	char line[RR_WHY + 64];
	va_list ap;
	int n;

	if (!rr_tracing)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	/* One write: the line is not interleaved with the container's output. */
	(void)rr_write_all(2, line, (size_t)n);
}

int rr_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}
