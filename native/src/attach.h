/* A detached container's terminal, held by its monitor: the child sends the
 * pty's master over a console socket (the TTY op); the monitor writes what
 * the master says to the log and to every client of the attach socket, and
 * what clients send to the master. Client → monitor frames: one type byte,
 * a u16 length (little-endian), the payload: 'd' input bytes, 'r' a window
 * size (u16 rows, u16 cols), 'e' end of input (closes a stdin pipe). Monitor →
 * client: the terminal's output, raw. Without a terminal (-i), input goes to
 * the container's stdin pipe and output is only in the log. */
#ifndef ZOO_ATTACH_H
#define ZOO_ATTACH_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "logfile.h"

#define ZOO_ATTACH_CLIENTS 8
#define ZOO_ATTACH_POLLFDS (3 + ZOO_ATTACH_CLIENTS)

struct zoo_attach_client {
	int fd;
	size_t len;
	uint8_t buf[3 + 65535];
};

struct zoo_attach {
	int stdin_w; /* -i without a terminal: the write end of the container's stdin pipe, -1 if none or closed */
	int console; /* where the master arrives; -1 when none or received */
	int master; /* -1 until received, and after EIO */
	int listen; /* -1 without --attach-socket */
	const char *path; /* the attach socket, removed at the end */
	struct zoo_attach_client *clients[ZOO_ATTACH_CLIENTS];
};

/* Listens on a->path (unix stream) when set; a->console is the inherited console socket or -1.
 * with_stdin: a pipe becomes fd 0 (for the child to inherit). */
int zoo_attach_open(struct zoo_attach *a, int with_stdin);
/* Fills p[0..ZOO_ATTACH_POLLFDS); fds not in use are -1. */
void zoo_attach_pollfds(const struct zoo_attach *a, struct pollfd *p);
/* Acts on what poll reported for those fds. */
void zoo_attach_events(struct zoo_attach *a, const struct pollfd *p, struct zoo_logfile *log);
/* The container is gone: the rest of the master's output, then every client's EOF. */
void zoo_attach_close(struct zoo_attach *a, struct zoo_logfile *log);

#endif
