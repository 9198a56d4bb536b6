#define _GNU_SOURCE
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static int open_file(struct zoo_logfile *l)
{
	struct stat st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return -1;
	if (fstat(l->fd, &st) < 0)
		return -1;
	l->size = (uint64_t)st.st_size;
	return 0;
}

int zoo_log_open(struct zoo_logfile *l)
{
	int out[2], err[2];

	l->out.fd = l->err.fd = -1;
	l->out.name = "stdout";
	l->err.name = "stderr";
	if (open_file(l) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	if (pipe2(err, O_CLOEXEC | O_NONBLOCK) < 0) {
		(void)close(out[0]);
		(void)close(out[1]);
		return -1;
	}
	l->out.fd = out[0];
	l->err.fd = err[0];
	/* The container writes blocking: only our read ends are non-blocking.
	 * dup2 leaves the new fds without O_CLOEXEC, so the child inherits them. */
	if (fcntl(out[1], F_SETFL, 0) < 0 || fcntl(err[1], F_SETFL, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) {
		(void)close(out[1]);
		(void)close(err[1]);
		return -1;
	}
	if (close(out[1]) < 0 || close(err[1]) < 0)
		return -1;
	return 0;
}

int zoo_log_release_writers(void)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (null < 0)
		return -1;
	if (dup2(null, 1) < 0 || dup2(null, 2) < 0) {
		(void)close(null);
		return -1;
	}
	return close(null);
}

/* log → log.1 → ... → log.(max_files-1); one file only: start it again. */
static void rotate(struct zoo_logfile *l)
{
	char from[PATH_MAX], to[PATH_MAX];

	(void)close(l->fd);
	l->fd = -1;
	if (l->max_files <= 1) {
		if (truncate(l->path, 0) < 0 && errno != ENOENT)
			zoo_log("zoo-shim: truncating %s: %s", l->path, strerror(errno));
	}
	for (unsigned i = l->max_files - 1; i >= 1 && l->max_files > 1; i--) {
		if (i == 1)
			(void)snprintf(from, sizeof from, "%s", l->path);
		else
			(void)snprintf(from, sizeof from, "%s.%u", l->path, i - 1);
		(void)snprintf(to, sizeof to, "%s.%u", l->path, i);
		/* An older file that is not there yet is fine. */
		if (rename(from, to) < 0 && errno != ENOENT)
			zoo_log("zoo-shim: rotating %s: %s", from, strerror(errno));
	}
	if (open_file(l) < 0)
		zoo_log("zoo-shim: reopening %s: %s", l->path, strerror(errno));
}

static void write_line(struct zoo_logfile *l, const char *stream, const char *text, size_t len, bool partial)
{
	struct timespec ts;
	struct tm tm;
	char head[80];
	size_t hlen;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm))
		return;
	hlen = strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
	hlen += (size_t)snprintf(head + hlen, sizeof head - hlen, ".%09ldZ %s %c ", ts.tv_nsec, stream, partial ? 'P' : 'F');
	if (l->max_size && l->size > 0 && l->size + hlen + len + 1 > l->max_size)
		rotate(l);
	if (l->fd < 0)
		return;
	struct iovec iov[3] = {
		{ .iov_base = head, .iov_len = hlen },
		{ .iov_base = (void *)text, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	/* One writev per line with O_APPEND: a reader never sees half a line
	 * unless the disk is full, and then there is nothing better to do. */
	ssize_t n;
	do
		n = writev(l->fd, iov, 3);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		l->size += (uint64_t)n;
}

/* Every complete line in the buffer; a full buffer without a newline is a partial line. */
static void emit(struct zoo_logfile *l, struct zoo_log_stream *s, bool flush)
{
	size_t start = 0;

	for (size_t i = 0; i < s->len; i++) {
		if (s->buf[i] != '\n')
			continue;
		write_line(l, s->name, s->buf + start, i - start, false);
		start = i + 1;
	}
	if (start < s->len && (flush || (start == 0 && s->len == sizeof s->buf))) {
		write_line(l, s->name, s->buf + start, s->len - start, true);
		start = s->len;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
}

void zoo_log_feed(struct zoo_logfile *l, struct zoo_log_stream *s, const char *buf, size_t n)
{
	if (!l->path)
		return;
	while (n > 0) {
		size_t k = sizeof s->buf - s->len < n ? sizeof s->buf - s->len : n;

		memcpy(s->buf + s->len, buf, k);
		s->len += k;
		buf += k;
		n -= k;
		emit(l, s, false);
	}
}

void zoo_log_read(struct zoo_logfile *l, struct zoo_log_stream *s)
{
	for (;;) {
		ssize_t n;

		if (s->fd < 0)
			return;
		n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			emit(l, s, true);
			(void)close(s->fd);
			s->fd = -1;
			return;
		}
		s->len += (size_t)n;
		emit(l, s, false);
	}
}

void zoo_log_close(struct zoo_logfile *l)
{
	zoo_log_read(l, &l->out);
	zoo_log_read(l, &l->err);
	/* EAGAIN with the container gone: whatever is left is a partial line. */
	emit(l, &l->out, true);
	emit(l, &l->err, true);
	if (l->out.fd >= 0)
		(void)close(l->out.fd);
	if (l->err.fd >= 0)
		(void)close(l->err.fd);
	if (l->fd >= 0)
		(void)close(l->fd);
	l->out.fd = l->err.fd = l->fd = -1;
}
