/* The container's log, written by its monitor: stdout and stderr come in on
 * two pipes and go out as lines of "<RFC 3339 UTC, ns> <stream> <F|P> <text>"
 * (the CRI log format: F ends a line, P is part of one), with size-based
 * rotation (log, log.1, ... log.N-1). */
#ifndef ZOO_LOGFILE_H
#define ZOO_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZOO_LOG_LINE_MAX 16384

struct zoo_log_stream {
	int fd; /* pipe read end, -1 once at EOF */
	const char *name;
	size_t len;
	char buf[ZOO_LOG_LINE_MAX];
};

struct zoo_logfile {
	const char *path; /* NULL: no log */
	int fd;
	uint64_t size;
	uint64_t max_size; /* 0: no rotation */
	unsigned max_files;
	struct zoo_log_stream out, err;
};

/* Opens the log and makes the pipes; their write ends become fds 1 and 2. */
int zoo_log_open(struct zoo_logfile *l);
/* After clone: our copies of the write ends go, so the pipes see EOF once the container's are gone. */
int zoo_log_release_writers(void);
/* Reads what the stream has (non-blocking) and writes whole lines; EOF flushes and closes. */
void zoo_log_read(struct zoo_logfile *l, struct zoo_log_stream *s);
/* Bytes from elsewhere (a pty's master) into stream `s`, as if read from its pipe. */
void zoo_log_feed(struct zoo_logfile *l, struct zoo_log_stream *s, const char *buf, size_t n);
/* Drains both streams to EAGAIN or EOF and closes everything. */
void zoo_log_close(struct zoo_logfile *l);

#endif
