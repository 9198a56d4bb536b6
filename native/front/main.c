/* zoo and zoo-runtime, the front door (docs/design/run-cache.md).
 *
 * For a `zoo-runtime run` or `zoo run` that TypeScript cached, replay what
 * it did: the host ops, the sync protocol's TS side to an unchanged
 * zoo-shim, the teardown. Anything else, and any failure before the
 * container's command started, goes to the Bun executable `zoo-bun` next to
 * us, with the same arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "sealed_exe.h"
#include "entry.h"
#include "fallback.h"
#include "fill.h"
#include "hostops.h"
#include "key.h"
#include "proto.h"
#include "zoo_replay.h"

#define CACHE_DIR "/run/zoo/cache/run"
#define PLAN_SLOT 3
#define SYNC_SLOT 4

/* What `run` forwards to the container while it runs; the last three come
 * from the terminal to its whole foreground group, the container included. */
static const int forwarded[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGQUIT, SIGWINCH };

struct replay {
	int argc;
	char **argv;
	int engine; /* the `zoo` door: we make the ID */
	const char *id;
	char engine_id[ZOO_REPLAY_ENGINE_ID_LEN + 1];
	sigset_t orig;
	struct rr_entry e;
	struct rr_host h;
	struct rr_vars v;
	int plan_fd, sock, sigfd;
	pid_t shim;
	int shim_status, shim_reaped, resets;
	int died_of; /* the container's fatal signal, for ZOO_RF_RAISE */
	char why[RR_WHY];
};

static const char *msg_name(uint32_t t)
{
	static const char *const names[] = { "?", "CHILD_PID", "SETUP_DONE", "STARTED", "ERROR", "EXIT",
					     "SIGNAL", "CREATED", "ABORT", "CLEANUP", "HELPER" };
	return t < ZOO_ARRAY_LEN(names) ? names[t] : "an unknown message";
}

static int wait_shim(struct replay *r)
{
	if (r->shim <= 0 || r->shim_reaped)
		return 0;
	while (waitpid(r->shim, &r->shim_status, 0) < 0)
		if (errno != EINTR)
			return -1;
	r->shim_reaped = 1;
	return 0;
}

/* The next message must be `type` with a payload of `len` bytes. */
static int expect(struct replay *r, struct zoo_msg *m, uint32_t type, uint32_t len, const char *what)
{
	int got = zoo_recv_past_reset(r->sock, m, &r->resets);

	if (got < 0)
		return rr_why(r->why, sizeof r->why, "sync socket while %s: %s", what, strerror(errno));
	if (got == 0)
		return rr_why(r->why, sizeof r->why, "zoo-shim exited while %s", what);
	if (m->type == ZOO_MSG_ERROR) {
		rr_describe_error(m, r->why, sizeof r->why);
		return -1;
	}
	if (m->type != type || m->len != len)
		return rr_why(r->why, sizeof r->why, "zoo-shim sent %s (%u bytes) while %s", msg_name(m->type), m->len,
			      what);
	return 0;
}

/* The CLEANUP / SETUP_DONE list, templates filled in. */
static int send_list(struct replay *r, uint32_t type)
{
	uint8_t buf[RR_LIST_MAX];
	char **items = calloc(r->e.ncleanup + 1, sizeof *items);
	uint32_t len;
	int rc = -1;
	size_t i;

	if (!items)
		return rr_why(r->why, sizeof r->why, "out of memory");
	for (i = 0; i < r->e.ncleanup; i++)
		if (!(items[i] = rr_expand(r->e.cleanup[i], &r->v)))
			break;
	if (i < r->e.ncleanup) {
		rr_why(r->why, sizeof r->why, "cleanup list: %s", strerror(errno));
	} else {
		len = rr_list((const char *const *)items, r->e.ncleanup, buf);
		if (zoo_send(r->sock, type, buf, len) < 0)
			rr_why(r->why, sizeof r->why, "sending %s: %s", msg_name(type), strerror(errno));
		else
			rc = 0;
	}
	for (i = 0; i < r->e.ncleanup; i++)
		free(items[i]);
	free(items);
	return rc;
}

/* In the child before execve: sources to fds above every target first, so
 * that no dup2 onto a target closes a source still to be placed. */
static __attribute__((noreturn)) void exec_shim(struct replay *r, int shim_end, int err_fd)
{
	int top = SYNC_SLOT, plan, sync_fd, e;
	char *argv[] = { (char *)r->e.shim, "--plan-fd", "3", "--sync-fd", "4", NULL };
	char *envp[] = { NULL };

	for (size_t i = 0; i < r->h.nslots; i++)
		if ((int)r->h.slots[i].slot > top)
			top = (int)r->h.slots[i].slot;
	if ((plan = fcntl(r->plan_fd, F_DUPFD_CLOEXEC, top + 1)) < 0 ||
	    (sync_fd = fcntl(shim_end, F_DUPFD_CLOEXEC, top + 1)) < 0)
		goto fail;
	for (size_t i = 0; i < r->h.nslots; i++)
		if ((r->h.slots[i].fd = fcntl(r->h.slots[i].fd, F_DUPFD_CLOEXEC, top + 1)) < 0)
			goto fail;
	if (dup2(plan, PLAN_SLOT) < 0 || dup2(sync_fd, SYNC_SLOT) < 0)
		goto fail;
	for (size_t i = 0; i < r->h.nslots; i++)
		if (dup2(r->h.slots[i].fd, (int)r->h.slots[i].slot) < 0)
			goto fail;
	if (sigprocmask(SIG_SETMASK, &r->orig, NULL) < 0)
		goto fail;
	/* zoo-shim runs only from a sealed copy of itself (the CVE-2019-5736
	 * class) and re-executes into one unless it already is: started from
	 * one here, it is exec'd once instead of twice. */
	int self = open(r->e.shim, O_RDONLY | O_CLOEXEC), mem = self < 0 ? -1 : zoo_sealed_memfd(self);
	if (mem >= 0)
		(void)syscall(SYS_execveat, mem, "", argv, envp, AT_EMPTY_PATH);
	/* A script (a test's ZOO_SHIM wrapper) cannot run from a close-on-exec fd: the file then. */
	execve(r->e.shim, argv, envp);
fail:
	e = errno;
	(void)zoo_write_all(err_fd, &e, sizeof e);
	_exit(127);
}

/* fd 3 the plan, fd 4 the sync socket, each OPEN at its slot, our stdio,
 * an empty environment. The first CLEANUP is queued already. */
static int spawn_shim(struct replay *r, int shim_end)
{
	int pipefd[2], err = 0;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return rr_why(r->why, sizeof r->why, "pipe: %s", strerror(errno));
	r->shim = fork();
	if (r->shim < 0) {
		err = errno;
		(void)close(pipefd[0]);
		(void)close(pipefd[1]);
		return rr_why(r->why, sizeof r->why, "fork: %s", strerror(err));
	}
	if (r->shim == 0)
		exec_shim(r, shim_end, pipefd[1]);
	(void)close(pipefd[1]);
	/* EOF: the exec closed the pipe; an errno: it failed. */
	do
		n = read(pipefd[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	(void)close(pipefd[0]);
	if (n == 0)
		return 0;
	(void)wait_shim(r);
	return rr_why(r->why, sizeof r->why, "starting %s: %s", r->e.shim, n == sizeof err ? strerror(err) : "failed");
}

static int block_signals(struct replay *r)
{
	sigset_t set;

	if (sigemptyset(&set) < 0)
		return -1;
	for (size_t i = 0; i < ZOO_ARRAY_LEN(forwarded); i++)
		if (sigaddset(&set, forwarded[i]) < 0)
			return -1;
	/* Until STARTED they wait; a fallback unblocks them before the exec. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return r->sigfd < 0 ? -1 : 0;
}

/* Everything up to STARTED; -1 means fall back (r->why). */
static int setup(struct replay *r)
{
	struct zoo_msg m;
	int sv[2], rc;
	pid_t pid, shim_pid;

	if (block_signals(r) < 0)
		return rr_why(r->why, sizeof r->why, "signals: %s", strerror(errno));
	if (rr_make_token(r->v.token, sizeof r->v.token) < 0)
		return rr_why(r->why, sizeof r->why, "getrandom: %s", strerror(errno));
	/* `zoo run` names its container itself, before anything is made. */
	if (r->engine && rr_make_engine_id(r->engine_id, sizeof r->engine_id) < 0)
		return rr_why(r->why, sizeof r->why, "getrandom: %s", strerror(errno));
	rr_vars_id(&r->v, r->id);
	if (rr_vars_self(&r->v) < 0)
		return rr_why(r->why, sizeof r->why, "/proc/self/stat: %s", strerror(errno));
	if (rr_host_init(&r->h, &r->e, &r->orig) < 0)
		return rr_why(r->why, sizeof r->why, "out of memory");
	if (rr_run_phase(&r->h, &r->e, ZOO_PHASE_PREPARE, &r->v, 0, r->why, sizeof r->why) < 0)
		return -1;
	r->plan_fd = rr_plan_fd(&r->e, &r->v);
	if (r->plan_fd < 0)
		return rr_why(r->why, sizeof r->why, "plan memfd: %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return rr_why(r->why, sizeof r->why, "socketpair: %s", strerror(errno));
	r->sock = sv[0];
	/* Queued before the shim runs: should we die before CHILD_PID, it still
	 * finds the list (sync-protocol.md). */
	rc = send_list(r, ZOO_MSG_CLEANUP);
	if (rc == 0)
		rc = spawn_shim(r, sv[1]);
	(void)close(sv[1]);
	if (rc < 0)
		return -1;
	/* The root mount point, now that a shim holds the list naming it. */
	if (rr_run_phase(&r->h, &r->e, ZOO_PHASE_SPAWNED, &r->v, 0, r->why, sizeof r->why) < 0)
		return -1;
	if (expect(r, &m, ZOO_MSG_CHILD_PID, 8, "creating the container") < 0)
		return -1;
	pid = (pid_t)(int32_t)zoo_get_u32(m.payload);
	shim_pid = (pid_t)(int32_t)zoo_get_u32(m.payload + 4);
	if (pid <= 0 || shim_pid <= 0)
		return rr_why(r->why, sizeof r->why, "CHILD_PID %d, shim %d", (int)pid, (int)shim_pid);
	if (rr_vars_child(&r->v, pid, shim_pid) < 0)
		return rr_why(r->why, sizeof r->why, "/proc/%d/stat: %s", (int)pid, strerror(errno));
	r->h.container = pid;
	memcpy(r->h.container_start, r->v.pid_start, sizeof r->h.container_start);
	if (rr_run_phase(&r->h, &r->e, ZOO_PHASE_CHILD, &r->v, 0, r->why, sizeof r->why) < 0)
		return -1;
	if (send_list(r, ZOO_MSG_CLEANUP) < 0 || send_list(r, ZOO_MSG_SETUP_DONE) < 0)
		return -1;
	/* A plan without WAIT_START has the command run at once: no CREATED. */
	if (!(r->e.flags & ZOO_RF_NO_CREATED) && expect(r, &m, ZOO_MSG_CREATED, 4, "creating the container") < 0)
		return -1;
	if (rr_run_phase(&r->h, &r->e, ZOO_PHASE_CREATED, &r->v, 0, r->why, sizeof r->why) < 0)
		return -1;
	return expect(r, &m, ZOO_MSG_STARTED, 4, "starting the command");
}

/* Forwards our signals until EXIT; its raw wait status, or -1 without one. */
static int forward_until_exit(struct replay *r)
{
	struct zoo_msg m;
	/* A FOREGROUND shim is in our process group: a terminal on fd 0 has
	 * sent its keyboard signals and SIGWINCH to the container already (as
	 * TS's waitForExit with sharesTerminal). */
	int terminal = (r->e.flags & ZOO_RF_FOREGROUND) && isatty(0);

	for (;;) {
		struct pollfd p[2] = { { .fd = r->sock, .events = POLLIN }, { .fd = r->sigfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (read(r->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
			int sig = (int)si.ssi_signo;

			/* Otherwise all seven, as TS's `run` (waitForExit with
			 * sharesTerminal false): a runtime is signalled by its caller. */
			if (terminal && (sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH))
				continue;
			(void)zoo_send_i32(r->sock, ZOO_MSG_SIGNAL, sig);
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		int got = zoo_recv_past_reset(r->sock, &m, &r->resets);
		if (got <= 0)
			return -1;
		if (m.type == ZOO_MSG_EXIT && m.len == 4)
			return (int)zoo_get_u32(m.payload);
	}
}

static int exit_code(struct replay *r, int status)
{
	int low = status & 0x7f;

	if (low == 0)
		return (status >> 8) & 0xff;
	if (low != 0x7f) {
		r->died_of = low;
		return 128 + low;
	}
	return 128 + ((status >> 8) & 0xff);
}

/* As TS's dieBySignal: the container's signal ends us too, without a core
 * file of ours; a signal whose default does not kill leaves 128+N. */
static int die_of(int sig)
{
	struct rlimit none = { 0, 0 };
	sigset_t set;

	(void)setrlimit(RLIMIT_CORE, &none);
	(void)signal(sig, SIG_DFL);
	if (sigemptyset(&set) == 0 && sigaddset(&set, sig) == 0)
		(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)kill(getpid(), sig);
	return 128 + sig;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* Back to where we started: the shim stopped, what we made removed, our fds closed. */
static void abandon(struct replay *r)
{
	if (r->shim > 0 && !r->shim_reaped) {
		/* ABORT kills a child the shim holds; our hangup does the rest. */
		if (r->sock >= 0)
			(void)zoo_send(r->sock, ZOO_MSG_ABORT, NULL, 0);
		close_fd(&r->sock);
		(void)wait_shim(r);
	}
	rr_undo(&r->h);
	rr_host_release(&r->h);
	close_fd(&r->plan_fd);
	close_fd(&r->sock);
	close_fd(&r->sigfd);
}

static int run_entry(struct replay *r)
{
	int status, code;

	if (setup(r) < 0)
		return -1;
	/* The command runs: from here on, no way back. */
	close_fd(&r->plan_fd);
	status = forward_until_exit(r);
	(void)wait_shim(r);
	if (status < 0)
		dprintf(2, "%s: zoo-shim exited (status %d) while waiting for the container\n", rr_door,
			r->shim_status);
	(void)rr_run_phase(&r->h, &r->e, ZOO_PHASE_TEARDOWN, &r->v, 1, r->why, sizeof r->why);
	/* As `run`: a teardown failure is reported, the exit code stays the container's. */
	code = status < 0 ? 1 : exit_code(r, status);
	rr_host_release(&r->h);
	close_fd(&r->sock);
	close_fd(&r->sigfd);
	return code;
}

/* 0: a usable entry in r->e; -1: a miss (r->why). */
static int find_entry(struct replay *r, const char *dir, char *file, size_t file_len)
{
	uint8_t *key;
	size_t key_len, idlen;
	char name[32];
	int rc = -1;

	if ((r->engine ? rr_precheck_engine : rr_precheck)(r->argc, r->argv, r->why, sizeof r->why) < 0)
		return -1;
	if (geteuid() != 0)
		return rr_why(r->why, sizeof r->why, "not root");
	/* Ours to make for `zoo run`, the last argument for zoo-runtime. */
	idlen = r->engine ? ZOO_REPLAY_ENGINE_ID_LEN : strlen(r->id);
	if (rr_key(dir, r->engine, r->argc, r->argv, idlen, &key, &key_len, r->why, sizeof r->why) < 0)
		return -1;
	(void)snprintf(name, sizeof name, "%016" PRIx64, rr_fnv1a(key, key_len));
	(void)snprintf(file, file_len, "%s/%s", CACHE_DIR, name);
	if (rr_entry_read(CACHE_DIR, name, &r->e, r->why, sizeof r->why) < 0)
		goto out;
	if (rr_entry_parse(&r->e, idlen, r->why, sizeof r->why) < 0) {
		char inner[RR_WHY];

		memcpy(inner, r->why, sizeof inner);
		rr_why(r->why, sizeof r->why, "invalid entry %s: %s", name, inner);
		goto out;
	}
	/* The keys differ already; this holds even if they did not. */
	if (!(r->e.flags & ZOO_RF_ENGINE_ID) != !r->engine) {
		rr_why(r->why, sizeof r->why, "invalid entry %s: %s", name,
		       r->engine ? "not for `zoo run` (no ENGINE_ID)" : "for `zoo run` (ENGINE_ID)");
		goto out;
	}
	if (r->e.key_len != key_len || memcmp(r->e.key, key, key_len) != 0) {
		rr_why(r->why, sizeof r->why, "entry %s is for another key", name);
		goto out;
	}
	rc = rr_guards_hold(&r->e, r->why, sizeof r->why);
out:
	free(key);
	return rc;
}

int main(int argc, char **argv)
{
	struct replay r = { .argc = argc, .argv = argv, .plan_fd = -1, .sock = -1, .sigfd = -1 };
	const char *trace = getenv("ZOO_RUN_CACHE_TRACE");
	const char *name = argc > 0 && argv[0] ? argv[0] : "", *base = strrchr(name, '/');
	char file[256], *dir;
	int code, raise_sig;

	base = base ? base + 1 : name;
	/* Our name picks the door, as it does for the Bun executable. */
	r.engine = strcmp(base, "zoo") == 0;
	rr_door = r.engine ? "zoo" : "zoo-runtime";
	rr_tracing = trace && strcmp(trace, "1") == 0;
	if (sigprocmask(SIG_SETMASK, NULL, &r.orig) < 0 || !(dir = rr_exe_dir())) {
		dprintf(2, "%s: /proc/self/exe: %s\n", rr_door, strerror(errno));
		return 127;
	}
	if (r.engine)
		r.id = r.engine_id; /* made in setup(), just before PREPARE */
	else
		r.id = argc > 1 ? argv[argc - 1] : "";
	r.v.id = r.id;
	if (find_entry(&r, dir, file, sizeof file) < 0) {
		rr_trace("run cache: miss (%s)", r.why);
		rr_entry_free(&r.e);
		rr_exec_bun(dir, argv, &r.orig);
	}
	rr_trace("run cache: hit %s", file);
	code = run_entry(&r);
	if (code < 0) {
		abandon(&r);
		rr_trace("run cache: fallback (%s)", r.why);
		rr_entry_free(&r.e);
		rr_exec_bun(dir, argv, &r.orig);
	}
	raise_sig = r.e.flags & ZOO_RF_RAISE;
	rr_entry_free(&r.e);
	free(dir);
	if (r.died_of && raise_sig)
		return die_of(r.died_of);
	return code;
}
