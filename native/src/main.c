/* zoo-shim --plan-fd P --sync-fd S [monitor options]
 *
 * Monitor options, for a detached container (docs/design/engine.md):
 *   --log PATH --log-max-size BYTES --log-max-files N
 *   --console-fd FD        the TTY op's console socket: the pty master arrives here
 *   --attach-socket PATH   clients of the container's terminal connect here
 *   --stdin                the container's stdin is a pipe fed by attach clients (-i without -t)
 *   --health-interval MS --health-command ARGV... ;   run ARGV every MS while the container runs
 *   --exit-file PATH       the wait status and time, once the container is gone
 *   --exit-command ARGV... (last) executed in the monitor's place after that
 *
 * Reads and validates the plan, joins namespaces, clones the container's
 * first process and stays as its monitor. The protocol is in
 * docs/design/sync-protocol.md, the plan in docs/design/plan-format.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "clone.h"
#include "monitor.h"
#include "plan.h"
#include "sealed_exe.h"
#include "sync.h"
#include "util.h"

static int parse_fd(const char *s, int *fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		return -1;
	*fd = (int)v;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = n;
	return 0;
}

struct shim_args {
	int plan_fd, sync_fd;
	int console_fd;
	int with_stdin;
	const char *attach_path;
	struct zoo_logfile log;
	struct zoo_health health;
	/* Where the ";" after the health command was: parsing puts a NULL there
	 * (the command's argv end), the sealed re-exec needs the ";" back. */
	char **health_end;
	struct zoo_finish finish;
};

static int parse_args(int argc, char **argv, struct shim_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		uint64_t n;

		if (strcmp(opt, "--health-command") == 0) {
			/* ARGV up to a ";" of its own. */
			int end = i + 1;

			while (end < argc && strcmp(argv[end], ";") != 0)
				end++;
			if (end == argc || end == i + 1)
				return -1;
			argv[end] = NULL;
			a->health_end = argv + end;
			a->health.cmd = argv + i + 1;
			i = end;
			continue;
		}
		if (strcmp(opt, "--stdin") == 0) {
			a->with_stdin = 1;
			continue;
		}
		if (strcmp(opt, "--exit-command") == 0) {
			if (i + 1 == argc)
				return -1;
			a->finish.exit_cmd = argv + i + 1;
			break;
		}
		if (++i == argc)
			return -1;
		if (strcmp(opt, "--plan-fd") == 0 && parse_fd(argv[i], &a->plan_fd) == 0)
			continue;
		if (strcmp(opt, "--sync-fd") == 0 && parse_fd(argv[i], &a->sync_fd) == 0)
			continue;
		if (strcmp(opt, "--log") == 0 && argv[i][0] == '/') {
			a->log.path = argv[i];
			continue;
		}
		if (strcmp(opt, "--log-max-size") == 0 && parse_u64(argv[i], &n) == 0) {
			a->log.max_size = n;
			continue;
		}
		if (strcmp(opt, "--log-max-files") == 0 && parse_u64(argv[i], &n) == 0 && n >= 1 && n <= 1000) {
			a->log.max_files = (unsigned)n;
			continue;
		}
		if (strcmp(opt, "--health-interval") == 0 && parse_u64(argv[i], &n) == 0 && n >= 10) {
			a->health.interval_ms = n;
			continue;
		}
		if (strcmp(opt, "--console-fd") == 0 && parse_fd(argv[i], &a->console_fd) == 0)
			continue;
		if (strcmp(opt, "--attach-socket") == 0 && argv[i][0]) {
			a->attach_path = argv[i];
			continue;
		}
		if (strcmp(opt, "--exit-file") == 0 && argv[i][0] == '/') {
			a->finish.exit_file = argv[i];
			continue;
		}
		return -1;
	}
	if (a->health.cmd && !a->health.interval_ms)
		return -1;
	return a->plan_fd >= 0 && a->sync_fd >= 0 && a->plan_fd != a->sync_fd ? 0 : -1;
}

static int sync_fd_usable(int fd)
{
	int type;
	socklen_t len = sizeof type;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -1;
	if (type != SOCK_SEQPACKET) {
		errno = EPROTOTYPE;
		return -1;
	}
	return 0;
}

/* signalfd instead of handlers: forwarded signals and SIGCHLD become
 * readable events in the one poll() loop. */
static int setup_signals(sigset_t *orig, int *sigfd)
{
	static const int sigs[] = { SIGCHLD, ZOO_FORWARDED_SIGNALS };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t mask;

	if (sigemptyset(&mask) < 0 || sigemptyset(&dfl.sa_mask) < 0)
		return -1;
	for (size_t i = 0; i < ZOO_ARRAY_LEN(sigs); i++) {
		/* An inherited SIG_IGN would discard the signal before signalfd
		 * saw it, and for SIGCHLD would reap our children behind our back. */
		if (sigaction(sigs[i], &dfl, NULL) < 0 || sigaddset(&mask, sigs[i]) < 0)
			return -1;
	}
	/* A vanished reader of stderr must not kill the monitor. The child puts
	 * every disposition back to SIG_DFL, so this never reaches the container. */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	if (sigemptyset(&ign.sa_mask) < 0 || sigaction(SIGPIPE, &ign, NULL) < 0)
		return -1;
	if (sigprocmask(SIG_BLOCK, &mask, orig) < 0)
		return -1;
	*sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return *sigfd < 0 ? -1 : 0;
}

/* Everything between a valid plan and a running monitor. */
static int launch(struct zoo_plan *plan, int ts, const struct shim_args *args)
{
	struct zoo_shim s = {
		.ts = ts,
		.ts_open = true,
		.child_sock = -1,
		.sigfd = -1,
		.options = plan->options,
		.log = args->log,
		.attach = { .console = args->console_fd, .path = args->attach_path },
		.health = args->health,
		.finish = args->finish,
	};
	const struct zoo_setns *failed;
	sigset_t orig;
	int sv[2];
	pid_t pid, shim_pid = getpid();

	/* A detached container gets a session of its own, away from the caller's
	 * terminal; EPERM means we already lead a process group (spawned detached). */
	if (!(plan->options & ZOO_OPT_FOREGROUND) && setsid() < 0 && errno != EPERM) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, "setsid");
		return 1;
	}
	s.pgrp = getpgrp();
	if (setup_signals(&orig, &s.sigfd) < 0) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, "signalfd");
		return 1;
	}
	s.orig_mask = orig;
	if (zoo_attach_open(&s.attach, args->with_stdin) < 0) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, s.attach.path);
		return 1;
	}
	if (s.attach.console >= 0 && zoo_set_cloexec(s.attach.console) < 0) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, "console fd");
		return 1;
	}
	/* The container's stdout and stderr become pipes to us (fds 1 and 2 until clone). */
	if (s.log.path && zoo_log_open(&s.log) < 0) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, s.log.path);
		return 1;
	}
	/* Orphans of a container without its own pid namespace come to us to be
	 * reaped instead of to the host's init. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, "PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	if (zoo_join_namespaces(plan, &failed) < 0) {
		zoo_report(ts, ZOO_STAGE_SETNS, -1, errno, failed ? failed->path : NULL);
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, "socketpair");
		return 1;
	}
	pid = zoo_clone(plan->clone_flags, plan->cgroup_fd);
	if (pid == 0) {
		struct zoo_child_args a = {
			.plan = plan,
			.sock = sv[1],
			.shim_pid = shim_pid,
			.orig_mask = &orig,
			.close_fds = { ts, s.sigfd, sv[0], plan->cgroup_fd },
		};
		zoo_child_main(&a);
	}
	if (pid < 0) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, "clone");
		(void)close(sv[0]);
		(void)close(sv[1]);
		return 1;
	}
	/* Our copy of the child's end must go, or execve's EOF never shows. */
	if (close(sv[1]) < 0 || (plan->cgroup_fd >= 0 && close(plan->cgroup_fd) < 0)) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, "close");
		/* Blocked in its first recv; nothing to salvage. */
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return 1;
	}
	if (s.log.path && zoo_log_release_writers() < 0) {
		zoo_report(ts, ZOO_STAGE_CLONE, -1, errno, "/dev/null");
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return 1;
	}
	s.child = pid;
	s.child_sock = sv[0];
	/* The monitor keeps nothing of the plan; give its memory back. */
	zoo_plan_free(plan);
	return zoo_monitor(&s);
}

int main(int argc, char **argv)
{
	struct shim_args args = { .plan_fd = -1, .sync_fd = -1, .console_fd = -1, .log = { .fd = -1, .max_files = 1 } };
	int plan_fd, sync_fd;
	struct zoo_plan plan;
	struct zoo_plan_error perr = { .index = -1 };
	int rc;

	if (parse_args(argc, argv, &args) < 0) {
		zoo_log("zoo-shim: usage: zoo-shim --plan-fd FD --sync-fd FD [--log PATH [--log-max-size N] [--log-max-files N]] [--console-fd FD] [--attach-socket PATH] [--stdin] [--health-interval MS --health-command ARGV... ;] [--exit-file PATH] [--exit-command ARGV...]");
		return 2;
	}
	plan_fd = args.plan_fd;
	sync_fd = args.sync_fd;
	if (sync_fd_usable(sync_fd) < 0) {
		zoo_log("zoo-shim: --sync-fd %d: %s", sync_fd, strerror(errno));
		return 1;
	}
	/* First, while the plan and sync fds are still inherited by an exec:
	 * with the arguments as we were given them. */
	if (args.health_end)
		*args.health_end = (char *)";";
	rc = zoo_exec_sealed_copy(argv);
	if (args.health_end)
		*args.health_end = NULL;
	if (rc < 0) {
		zoo_report(sync_fd, ZOO_STAGE_SYNC, -1, errno, "re-executing from a sealed copy of zoo-shim");
		return 1;
	}
	/* Neither fd may leak into the container. */
	if (zoo_set_cloexec(sync_fd) < 0) {
		zoo_report(sync_fd, ZOO_STAGE_SYNC, -1, errno, "sync fd");
		return 1;
	}
	if (prctl(PR_SET_NAME, "zoo-shim", 0, 0, 0) < 0) {
		zoo_report(sync_fd, ZOO_STAGE_SYNC, -1, errno, "PR_SET_NAME");
		return 1;
	}
	if (zoo_plan_load(plan_fd, &plan, &perr) < 0) {
		zoo_report(sync_fd, ZOO_STAGE_PLAN, perr.index, errno, perr.why);
		zoo_plan_free(&plan);
		return 1;
	}
	if (close(plan_fd) < 0) {
		zoo_report(sync_fd, ZOO_STAGE_PLAN, -1, errno, "plan fd");
		zoo_plan_free(&plan);
		return 1;
	}
	rc = launch(&plan, sync_fd, &args);
	zoo_plan_free(&plan);
	return rc;
}
