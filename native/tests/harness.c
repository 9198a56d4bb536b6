#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *shim_path = "build/zoo-shim";
char **shim_wrapper;
char **shim_extra_args;

static void child_die(const char *what)
{
	dprintf(2, "harness child: %s: %s\n", what, strerror(errno));
	_exit(127);
}

void shim_argv(char **argv)
{
	int n = 0;

	for (char **w = shim_wrapper; w && *w && n < 20; w++)
		argv[n++] = *w;
	argv[n++] = (char *)shim_path;
	argv[n++] = "--plan-fd";
	argv[n++] = "50";
	argv[n++] = "--sync-fd";
	argv[n++] = "51";
	for (char **a = shim_extra_args; a && *a && n < 60; a++)
		argv[n++] = *a;
	argv[n] = NULL;
}

int shim_spawn_fd(struct shim *s, int pfd, int extra_fd)
{
	int sv[2], out;
	pid_t pid;

	memset(s, 0, sizeof *s);
	s->sock = s->out = -1;
	out = memfd_create("zoo-out", MFD_CLOEXEC);
	if (out < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("spawn setup");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		char *argv[64];
		int devnull;

		if (dup2(pfd, PLAN_FD) < 0 || dup2(sv[1], SYNC_FD) < 0 || dup2(out, 1) < 0)
			child_die("dup2");
		if (extra_fd >= 0 && dup2(extra_fd, EXTRA_FD) < 0)
			child_die("dup2 extra");
		/* fds 3 and 4 stand for the caller's preserved fds. */
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 3) < 0 || dup2(devnull, 4) < 0)
			child_die("dev/null");
		shim_argv(argv);
		execvp(argv[0], argv);
		child_die(argv[0]);
	}
	close(pfd);
	close(sv[1]);
	s->pid = pid;
	s->sock = sv[0];
	s->out = out;
	return 0;
}

int shim_spawn_raw(struct shim *s, const void *plan, size_t len, int extra_fd)
{
	int pfd = memfd_create("zoo-plan", MFD_CLOEXEC);

	/* Written through the same fd: the shim must rewind it. */
	if (pfd < 0 || write(pfd, plan, len) != (ssize_t)len) {
		perror("plan memfd");
		return -1;
	}
	return shim_spawn_fd(s, pfd, extra_fd);
}

int shim_spawn(struct shim *s, const struct penc *plan, int extra_fd)
{
	return shim_spawn_raw(s, plan->buf, plan->len, extra_fd);
}

int shim_recv(struct shim *s, struct msg *m, int timeout_ms)
{
	struct pollfd p = { .fd = s->sock, .events = POLLIN };
	uint8_t buf[8 + sizeof m->payload];
	int r;
	ssize_t n;

	do
		r = poll(&p, 1, timeout_ms * time_scale);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	n = recv(s->sock, buf, sizeof buf, 0);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n < 8)
		return -1;
	memcpy(&m->type, buf, 4);
	memcpy(&m->len, buf + 4, 4);
	if (m->len != (uint32_t)n - 8)
		return -1;
	memcpy(m->payload, buf + 8, m->len);
	return 1;
}

int shim_send(struct shim *s, uint32_t type, const void *payload, uint32_t len)
{
	uint8_t buf[8 + 4096];

	if (len > sizeof buf - 8) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(buf, &type, 4);
	memcpy(buf + 4, &len, 4);
	if (len)
		memcpy(buf + 8, payload, len);
	return send(s->sock, buf, 8 + len, MSG_NOSIGNAL) == (ssize_t)(8 + len) ? 0 : -1;
}

int shim_send_i32(struct shim *s, uint32_t type, int32_t v)
{
	return shim_send(s, type, &v, 4);
}

int shim_wait(struct shim *s, int timeout_ms)
{
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	long waited = 0, limit = (long)timeout_ms * time_scale;

	if (s->reaped)
		return s->status;
	for (;;) {
		pid_t p = waitpid(s->pid, &s->status, WNOHANG);

		if (p == s->pid) {
			s->reaped = true;
			return s->status;
		}
		if (p < 0 && errno != EINTR)
			return -1;
		if (waited >= limit) {
			fprintf(stderr, "# shim %d did not exit in %d ms, killing it\n", s->pid, timeout_ms);
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &s->status, 0);
			s->reaped = true;
			return -1;
		}
		nanosleep(&tick, NULL);
		waited += 5;
	}
}

const char *shim_output(struct shim *s)
{
	ssize_t n = pread(s->out, s->output, sizeof s->output - 1, 0);

	s->output[n > 0 ? n : 0] = '\0';
	return s->output;
}

void shim_cleanup(struct shim *s)
{
	if (s->pid > 0 && !s->reaped) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &s->status, 0);
		s->reaped = true;
	}
	if (s->sock >= 0)
		close(s->sock);
	if (s->out >= 0)
		close(s->out);
	s->sock = s->out = -1;
}

int32_t msg_i32(const struct msg *m, size_t off)
{
	int32_t v = 0;

	if (off + 4 <= m->len)
		memcpy(&v, m->payload + off, 4);
	return v;
}

int msg_error(const struct msg *m, struct err *e)
{
	uint32_t n;

	if (m->type != ZOO_MSG_ERROR || m->len < 16)
		return -1;
	memcpy(&e->stage, m->payload, 4);
	memcpy(&e->index, m->payload + 4, 4);
	memcpy(&e->err, m->payload + 8, 4);
	memcpy(&n, m->payload + 12, 4);
	if (m->len != 16 + n || (n && m->payload[16 + n - 1] != '\0'))
		return -1;
	e->object = n ? (const char *)m->payload + 16 : NULL;
	return 0;
}

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	if (close(fd) < 0 || n != (ssize_t)strlen(text))
		return -1;
	return 0;
}
