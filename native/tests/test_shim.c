/* End-to-end tests of zoo-shim: real namespaces, mounts, capabilities and
 * signals on this machine (needs root and user namespaces).
 *
 *   test_shim [NAME-SUBSTRING]
 *   ZOO_SHIM=path        the shim to test (default build/zoo-shim)
 *   ZOO_SHIM_WRAPPER=... run the shim under this command (valgrind ...)
 *   ZOO_TEST_TIME_SCALE  multiply timeouts (slow wrappers)
 *   ZOO_TEST_RSS_MAX_KB  VmRSS budget of a monitoring shim; 0: only report it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define T_MSG 10000 /* ms to wait for a message */
#define T_EXIT 10000 /* ms to wait for the shim to exit */

static bool under_valgrind;
static long rss_max_kb = 1024;
static char tmpdir[64]; /* per-run scratch names */

static const char *msg_name(uint32_t t)
{
	static const char *n[] = { "?",	    "CHILD_PID", "SETUP_DONE", "STARTED", "ERROR",
				   "EXIT", "SIGNAL",    "CREATED",    "ABORT" };
	return t < sizeof n / sizeof n[0] ? n[t] : "?";
}

/* Receive one message of the given type; says what came instead. */
static bool expect(struct shim *s, struct msg *m, uint32_t type)
{
	int r = shim_recv(s, m, T_MSG);
	struct err e;

	if (r == 1 && m->type == type)
		return true;
	if (r == 0)
		fprintf(stderr, "#   wanted %s, got EOF\n", msg_name(type));
	else if (r < 0)
		fprintf(stderr, "#   wanted %s, got nothing (timeout)\n", msg_name(type));
	else if (msg_error(m, &e) == 0)
		fprintf(stderr, "#   wanted %s, got ERROR stage %u index %d: %s: %s\n", msg_name(type), e.stage,
			e.index, e.object ? e.object : "(null)", strerror(e.err));
	else
		fprintf(stderr, "#   wanted %s, got %s (%u bytes)\n", msg_name(type), msg_name(m->type), m->len);
	return false;
}

/* CHILD_PID, STARTED, EXIT, shim exit 0; *status is the container's wait status. */
static bool run_to_exit(struct shim *s, int *status, pid_t *child)
{
	struct msg m;

	if (!expect(s, &m, ZOO_MSG_CHILD_PID))
		return false;
	if (child)
		*child = msg_i32(&m, 0);
	if (!expect(s, &m, ZOO_MSG_STARTED) || !expect(s, &m, ZOO_MSG_EXIT))
		return false;
	*status = msg_i32(&m, 0);
	int st = shim_wait(s, T_EXIT);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "#   shim wait status 0x%x\n", st);
		return false;
	}
	return true;
}

/* Expect CHILD_PID (if started) and then one ERROR; shim exits 1. */
static bool run_to_error(struct shim *s, bool started, struct msg *m, struct err *e)
{
	if (started && !expect(s, m, ZOO_MSG_CHILD_PID))
		return false;
	if (!expect(s, m, ZOO_MSG_ERROR) || msg_error(m, e) < 0)
		return false;
	struct msg extra;
	int r = shim_recv(s, &extra, T_MSG);
	if (r != 0) {
		fprintf(stderr, "#   wanted EOF after ERROR, got %s\n", r < 0 ? "timeout" : msg_name(extra.type));
		return false;
	}
	int st = shim_wait(s, T_EXIT);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1) {
		fprintf(stderr, "#   shim wait status 0x%x, wanted exit 1\n", st);
		return false;
	}
	return true;
}

static bool write_maps(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
	if (write_file(path, "0 0 65536\n") < 0)
		return false;
	snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
	return write_file(path, "0 0 65536\n") == 0;
}

static bool wait_output(struct shim *s, const char *needle)
{
	for (int i = 0; i < 1000 * time_scale; i++) {
		if (strstr(shim_output(s), needle))
			return true;
		usleep(5000);
	}
	return false;
}

static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int c = 40;

	if (f) {
		if (fscanf(f, "%d", &c) != 1)
			c = 40;
		fclose(f);
	}
	return c;
}

/* What this test process may hand out: root here may lack some capabilities. */
static uint64_t all_caps(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long prm = 0, bnd = 0, v;
	char line[128];

	if (f) {
		while (fgets(line, sizeof line, f)) {
			if (sscanf(line, "CapPrm: %llx", &v) == 1)
				prm = v;
			if (sscanf(line, "CapBnd: %llx", &v) == 1)
				bnd = v;
		}
		fclose(f);
	}
	return prm & bnd & ((2ULL << cap_last()) - 1);
}

#define SHIM_INIT { .pid = -1, .sock = -1, .out = -1 }

/* Run the plan `e` (the child started) to its ERROR and check the report:
 * stage, op index, errno and object; `quiet`: the command printed nothing. */
static int fails_at(struct penc *e, uint32_t stage, int index, int err, const char *object, bool quiet)
{
	struct shim s = SHIM_INIT;
	struct msg m;
	struct err er;
	int rc = -1;

	CHECK(shim_spawn(&s, e, -1) == 0, "spawn");
	CHECK(run_to_error(&s, true, &m, &er), "error");
	CHECK(er.stage == stage && er.index == index && er.err == err && er.object && strcmp(er.object, object) == 0,
	      "stage %u index %d errno %s object %s", er.stage, er.index, strerror(er.err), er.object);
	CHECK(!quiet || shim_output(&s)[0] == '\0', "output %s", s.output);
	rc = 0;
out:
	shim_cleanup(&s);
	return rc;
}

/* ---- plan validation ---- */

struct bad_plan {
	const char *name;
	int32_t index;
	void (*build)(struct penc *e);
};

static void bp_magic(struct penc *e)
{
	pe_sh(e, "true");
	pe_finish(e);
	e->buf[0] ^= 0xff;
}

static void bp_past_end(struct penc *e)
{
	pe_clone(e, 0);
	pe_sh(e, "true");
	pe_finish(e);
	/* EXEC (record 1) claims more bytes than the plan has. */
	uint32_t big = 4096;
	memcpy(e->buf + 16 + 16 + 4, &big, 4);
}

static void bp_no_nul(struct penc *e)
{
	pe_options(e, 0);
	pe_begin(e, ZOO_OP_CHDIR);
	pe_u32(e, 4);
	pe_raw(e, "/tmp", 4); /* 4 bytes, no NUL */
	pe_end(e);
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_embedded_nul(struct penc *e)
{
	pe_begin(e, ZOO_OP_CHDIR);
	pe_u32(e, 6);
	pe_raw(e, "/t\0mp", 6);
	pe_end(e);
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_trailing(struct penc *e)
{
	pe_name(e, "x");
	pe_begin(e, ZOO_OP_SETUID);
	pe_u32(e, 1000);
	pe_u32(e, 0); /* left over */
	pe_end(e);
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_unknown(struct penc *e)
{
	pe_clone(e, 0);
	pe_options(e, 0);
	pe_begin(e, 0x0199);
	pe_end(e);
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_last_not_exec(struct penc *e)
{
	pe_path_op(e, ZOO_OP_CHDIR, "/");
	pe_path_op(e, ZOO_OP_CHDIR, "/tmp");
	pe_options(e, 0);
	pe_finish(e);
}

static void bp_op_after_exec(struct penc *e)
{
	pe_sh(e, "true");
	pe_path_op(e, ZOO_OP_CHDIR, "/");
	pe_finish(e);
}

static void bp_dup_clone(struct penc *e)
{
	pe_clone(e, 0);
	pe_clone(e, CLONE_NEWNS);
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_clone_vm(struct penc *e)
{
	pe_clone(e, CLONE_VM);
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_total_size(struct penc *e)
{
	pe_sh(e, "true");
	pe_finish(e);
	uint32_t t = (uint32_t)e->len + 4;
	memcpy(e->buf + 8, &t, 4);
}

static void bp_count_short(struct penc *e)
{
	pe_clone(e, 0);
	pe_sh(e, "true");
	pe_finish(e);
	uint32_t c = 1; /* two records present */
	memcpy(e->buf + 12, &c, 4);
}

static void bp_required_str(struct penc *e)
{
	pe_mount(e, "proc", NULL, "proc", 0, NULL); /* target absent */
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_empty_argv(struct penc *e)
{
	const char *argv[] = { NULL };
	pe_exec(e, "/bin/true", argv, NULL);
	pe_finish(e);
}

static void bp_padding(struct penc *e)
{
	pe_name(e, "ab"); /* 4 + 3 bytes: one padding byte */
	pe_sh(e, "true");
	pe_finish(e);
	e->buf[16 + 8 + 7] = 1;
}

static void bp_seccomp_len(struct penc *e)
{
	uint8_t prog[16] = { 0 };

	pe_begin(e, ZOO_OP_SECCOMP);
	pe_u32(e, 0);
	pe_u32(e, 3); /* 3 instructions, 2 present */
	pe_raw(e, prog, sizeof prog);
	pe_end(e);
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_bad_cgroup_fd(struct penc *e)
{
	pe_cgroup_fd(e, 999);
	pe_sh(e, "true");
	pe_finish(e);
}

static void bp_time_nsecs(struct penc *e)
{
	pe_time_ns(e, 0, 0, 1, 1000000000);
	pe_sh(e, "true");
	pe_finish(e);
}

static const struct bad_plan bad_plans[] = {
	{ "bad magic", -1, bp_magic },
	{ "record past the end", 1, bp_past_end },
	{ "string without NUL", 1, bp_no_nul },
	{ "string with an inner NUL", 0, bp_embedded_nul },
	{ "bytes left in a payload", 1, bp_trailing },
	{ "unknown record type", 2, bp_unknown },
	{ "last op not EXEC", 1, bp_last_not_exec },
	{ "op after EXEC", 1, bp_op_after_exec },
	{ "CLONE twice", 1, bp_dup_clone },
	{ "CLONE_VM in CLONE", 0, bp_clone_vm },
	{ "total_size mismatch", -1, bp_total_size },
	{ "record_count too small", 1, bp_count_short },
	{ "required string absent", 0, bp_required_str },
	{ "EXEC without argv", 0, bp_empty_argv },
	{ "non-zero padding", 0, bp_padding },
	{ "seccomp count vs bytes", 0, bp_seccomp_len },
	{ "cgroup fd not open", 0, bp_bad_cgroup_fd },
	{ "TIME_NS nanosecs of a second or more", 0, bp_time_nsecs },
};

static int t_malformed_plans(void)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof bad_plans / sizeof bad_plans[0]; i++) {
		const struct bad_plan *b = &bad_plans[i];
		struct shim s = SHIM_INIT;
		struct penc e;
		struct msg m;
		struct err er;
		bool ok = false;

		pe_init(&e);
		b->build(&e);
		if (shim_spawn(&s, &e, -1) == 0 && run_to_error(&s, false, &m, &er)) {
			ok = er.stage == ZOO_STAGE_PLAN && er.index == b->index && er.err != 0 && er.object;
			if (!ok)
				fprintf(stderr, "#   %s: stage %u index %d (wanted %d) errno %d: %s\n", b->name, er.stage,
					er.index, b->index, er.err, er.object ? er.object : "(null)");
			ok = ok && shim_output(&s)[0] == '\0';
		} else {
			fprintf(stderr, "#   %s: no PLAN error\n", b->name);
		}
		failed += !ok;
		shim_cleanup(&s);
		pe_free(&e);
	}
	return failed ? -1 : 0;
}

static int t_plan_from_pipe(void)
{
	/* The plan fd may be a pipe: no lseek, read to EOF. */
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status, p[2] = { -1, -1 };

	pe_init(&e);
	pe_sh(&e, "echo piped");
	pe_finish(&e);
	CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
	CHECK(write(p[1], e.buf, e.len) == (ssize_t)e.len, "write");
	close(p[1]);
	p[1] = -1;
	CHECK(shim_spawn_fd(&s, p[0], -1) == 0, "spawn");
	p[0] = -1;
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	CHECK(strcmp(shim_output(&s), "piped\n") == 0, "output %s", s.output);
	rc = 0;
out:
	if (p[0] >= 0)
		close(p[0]);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_usage_and_bad_sync_fd(void)
{
	int rc = -1;
	pid_t pid;
	int st;

	/* Not a socket: the one case where stderr is the only channel. */
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);
		char *argv[32];

		if (fd < 0 || dup2(fd, 50) < 0 || dup2(fd, 51) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		shim_argv(argv);
		execvp(argv[0], argv);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "wait");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status 0x%x", st);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(shim_path, shim_path, "--plan-fd", NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "wait");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status 0x%x", st);
	rc = 0;
out:
	return rc;
}

/* ---- the container lifecycle ---- */

static int t_userns_hostname_pid1(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;
	pid_t child;

	pe_init(&e);
	pe_clone(&e, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET);
	pe_options(&e, ZOO_OPT_WAIT_SETUP);
	pe_path_op(&e, ZOO_OP_SETHOSTNAME, "zoo");
	pe_sh(&e, "hostname; echo $$");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	child = msg_i32(&m, 0);
	CHECK(msg_i32(&m, 4) == s.pid, "shim pid %d != %d", msg_i32(&m, 4), s.pid);
	CHECK(write_maps(child), "maps: %s", strerror(errno));
	CHECK(shim_send(&s, ZOO_MSG_SETUP_DONE, NULL, 0) == 0, "SETUP_DONE");
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	CHECK(msg_i32(&m, 0) == child, "STARTED pid");
	CHECK(expect(&s, &m, ZOO_MSG_EXIT), "EXIT");
	CHECK(WIFEXITED(msg_i32(&m, 0)) && WEXITSTATUS(msg_i32(&m, 0)) == 0, "status 0x%x", msg_i32(&m, 0));
	CHECK(strcmp(shim_output(&s), "zoo\n1\n") == 0, "output \"%s\"", s.output);
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_exit_code(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;

	pe_init(&e);
	pe_sh(&e, "exit 42");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42, "status 0x%x", status);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_no_ops(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;

	pe_init(&e);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	/* Nothing to exec: no STARTED, straight to EXIT(0). */
	CHECK(expect(&s, &m, ZOO_MSG_EXIT), "EXIT");
	CHECK(msg_i32(&m, 0) == 0, "status 0x%x", msg_i32(&m, 0));
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_killed_from_outside(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;
	pid_t child;

	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID);
	pe_sh(&e, "sleep 30");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	child = msg_i32(&m, 0);
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	CHECK(kill(child, SIGKILL) == 0, "kill");
	CHECK(expect(&s, &m, ZOO_MSG_EXIT), "EXIT");
	CHECK(WIFSIGNALED(msg_i32(&m, 0)) && WTERMSIG(msg_i32(&m, 0)) == SIGKILL, "status 0x%x", msg_i32(&m, 0));
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int exec_error(const char *path, const char *pathenv, int want_errno)
{
	struct penc e;
	int rc = -1;
	const char *argv[] = { path, NULL };
	const char *envp[] = { pathenv, NULL };

	pe_init(&e);
	pe_path_op(&e, ZOO_OP_CHDIR, "/");
	pe_exec(&e, path, argv, pathenv ? envp : NULL);
	pe_finish(&e);
	CHECK(fails_at(&e, ZOO_STAGE_EXEC, 1, want_errno, path, false) == 0, "exec %s", path);
	rc = 0;
out:
	pe_free(&e);
	return rc;
}

static int t_exec_errors(void)
{
	char dir[128], file[160], pathenv[200];
	int rc = -1, fd;

	if (exec_error("/nonexistent/zoo-bin", NULL, ENOENT) < 0)
		return -1;
	if (exec_error("zoo-no-such-cmd", "PATH=/bin:/usr/bin", ENOENT) < 0)
		return -1;
	/* A non-executable match in PATH: EACCES beats the later ENOENT. */
	snprintf(dir, sizeof dir, "%s-path", tmpdir);
	snprintf(file, sizeof file, "%s/zoo-noexec", dir);
	snprintf(pathenv, sizeof pathenv, "PATH=%s:/bin", dir);
	CHECK(mkdir(dir, 0755) == 0, "mkdir");
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && close(fd) == 0, "create");
	rc = exec_error("zoo-noexec", pathenv, EACCES);
out:
	unlink(file);
	rmdir(dir);
	return rc;
}

static int t_exec_path_search(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;
	const char *argv[] = { "echo", "found", NULL };
	const char *envp[] = { "PATH=/nonexistent:/usr/bin:/bin", NULL };

	pe_init(&e);
	pe_exec(&e, "echo", argv, envp);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(status == 0 && strcmp(shim_output(&s), "found\n") == 0, "0x%x %s", status, s.output);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_mount_error(void)
{
	struct penc e;
	int rc = -1;

	pe_init(&e);
	pe_clone(&e, CLONE_NEWNS);
	pe_u32_op(&e, ZOO_OP_UMASK, 022); /* op 0 */
	pe_name(&e, "zoo-mount-test"); /* a setup record does not count as an op */
	pe_mount(&e, "proc", "/nonexistent-zoo/proc", "proc", 0, NULL); /* op 1 */
	pe_sh(&e, "echo should-not-run");
	pe_finish(&e);
	CHECK(fails_at(&e, ZOO_STAGE_OP, 1, ENOENT, "/nonexistent-zoo/proc", true) == 0, "mount");
	rc = 0;
out:
	pe_free(&e);
	return rc;
}

static int t_mkdir_eexist(void)
{
	struct penc e;
	int rc = -1;

	pe_init(&e);
	pe_mkdir(&e, "/tmp", 0755, ZOO_MKDIR_PARENTS | ZOO_MKDIR_EXIST_OK);
	pe_mkdir(&e, "/tmp", 0755, 0);
	pe_sh(&e, "true");
	pe_finish(&e);
	CHECK(fails_at(&e, ZOO_STAGE_OP, 1, EEXIST, "/tmp", false) == 0, "mkdir");
	rc = 0;
out:
	pe_free(&e);
	return rc;
}

static int abort_or_hangup(bool hangup)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1, r;
	pid_t child;

	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID);
	pe_options(&e, ZOO_OPT_WAIT_SETUP);
	pe_sh(&e, "echo should-not-run");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	child = msg_i32(&m, 0);
	CHECK(kill(child, 0) == 0, "child not there");
	if (hangup) {
		close(s.sock);
		s.sock = -1;
	} else {
		CHECK(shim_send(&s, ZOO_MSG_ABORT, NULL, 0) == 0, "ABORT");
		r = shim_recv(&s, &m, T_MSG);
		CHECK(r == 0, "wanted EOF, got %d", r);
	}
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 1, "shim 0x%x", s.status);
	/* The shim reaped it before exiting: the pid is gone. */
	CHECK(kill(child, 0) < 0 && errno == ESRCH, "child %d still there", child);
	CHECK(shim_output(&s)[0] == '\0', "output %s", s.output);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_abort_before_go(void)
{
	return abort_or_hangup(false);
}

static int t_ts_eof_before_go(void)
{
	return abort_or_hangup(true);
}

static int t_ts_eof_after_go(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;

	pe_init(&e);
	pe_sh(&e, "sleep 0.3; echo still-here");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	close(s.sock);
	s.sock = -1;
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	CHECK(strcmp(shim_output(&s), "still-here\n") == 0, "output %s", s.output);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

/* SETUP_DONE's payload: u32 count, then strs (u32 length with NUL, bytes). */
static uint32_t orphan_list(uint8_t *buf, const char **paths, uint32_t n)
{
	uint32_t off = 4;

	memcpy(buf, &n, 4);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = (uint32_t)strlen(paths[i]) + 1;

		memcpy(buf + off, &len, 4);
		memcpy(buf + off + 4, paths[i], len);
		off += 4 + len;
	}
	return off;
}

static int t_foreground_orphan_cleanup(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;
	pid_t child;
	char top[] = "/tmp/zoo-shim-test-orphan.XXXXXX", inner[64];
	const char *paths[2] = { inner, top };
	uint8_t list[256];
	uint32_t len;

	CHECK(mkdtemp(top) != NULL, "mkdtemp");
	snprintf(inner, sizeof inner, "%s/inner", top);
	CHECK(mkdir(inner, 0700) == 0, "mkdir");
	len = orphan_list(list, paths, 2);
	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID);
	pe_options(&e, ZOO_OPT_WAIT_SETUP | ZOO_OPT_FOREGROUND);
	pe_sh(&e, "sleep 100 & sleep 100");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	child = msg_i32(&m, 0);
	CHECK(shim_send(&s, ZOO_MSG_SETUP_DONE, list, len) == 0, "SETUP_DONE");
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	/* TS dies: the foreground container must go, and the listed dirs with it. */
	close(s.sock);
	s.sock = -1;
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	CHECK(kill(child, 0) < 0 && errno == ESRCH, "child %d still there", child);
	CHECK(access(inner, F_OK) < 0 && access(top, F_OK) < 0, "dirs left behind");
	rc = 0;
out:
	(void)rmdir(inner);
	(void)rmdir(top);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_cleanup_before_go(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;
	pid_t child;
	char dir[] = "/tmp/zoo-shim-test-cleanup.XXXXXX";
	const char *paths[1] = { dir };
	uint8_t list[128];
	uint32_t len;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	len = orphan_list(list, paths, 1);
	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID);
	pe_options(&e, ZOO_OPT_WAIT_SETUP);
	pe_sh(&e, "echo should-not-run");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	child = msg_i32(&m, 0);
	CHECK(shim_send(&s, ZOO_MSG_CLEANUP, list, len) == 0, "CLEANUP");
	/* TS dies in the middle of setup: even a detached run must not leave
	 * the half-made container or what TS named. */
	close(s.sock);
	s.sock = -1;
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 1, "shim 0x%x", s.status);
	CHECK(kill(child, 0) < 0 && errno == ESRCH, "child %d still there", child);
	CHECK(access(dir, F_OK) < 0 && errno == ENOENT, "%s left behind", dir);
	CHECK(shim_output(&s)[0] == '\0', "output %s", s.output);
	rc = 0;
out:
	(void)rmdir(dir);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_helper_killed_with_orphan(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;
	pid_t child, helper = -1;
	char dir[] = "/tmp/zoo-shim-test-helper.XXXXXX", file[96];
	const char *paths[1] = { dir };
	uint8_t list[128];
	uint32_t len;
	int fd;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(file, sizeof file, "%s/pid-file", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "create %s", file);
	close(fd);
	len = orphan_list(list, paths, 1);
	/* A stand-in for pasta: a process the shim did not start. */
	helper = fork();
	CHECK(helper >= 0, "fork");
	if (helper == 0) {
		execl("/bin/sleep", "sleep", "100", (char *)NULL);
		_exit(127);
	}
	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID);
	pe_options(&e, ZOO_OPT_WAIT_SETUP | ZOO_OPT_FOREGROUND);
	pe_sh(&e, "sleep 100");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	child = msg_i32(&m, 0);
	CHECK(shim_send_i32(&s, ZOO_MSG_HELPER, helper) == 0, "HELPER");
	CHECK(shim_send(&s, ZOO_MSG_SETUP_DONE, list, len) == 0, "SETUP_DONE");
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	close(s.sock);
	s.sock = -1;
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	CHECK(kill(child, 0) < 0 && errno == ESRCH, "child %d still there", child);
	{
		int st;
		pid_t w = waitpid(helper, &st, 0);

		CHECK(w == helper && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "helper not killed (0x%x)", st);
		helper = -1;
	}
	CHECK(access(dir, F_OK) < 0 && errno == ENOENT, "%s left behind", dir);
	rc = 0;
out:
	if (helper > 0) {
		kill(helper, SIGKILL);
		waitpid(helper, NULL, 0);
	}
	(void)unlink(file);
	(void)rmdir(dir);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_setup_done_bad_list(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	struct err er;
	int rc = -1;
	uint8_t bad[12] = { 2, 0, 0, 0, 4, 0, 0, 0, 'a', 'b', 'c', 'd' }; /* no NUL, count says 2 */

	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID);
	pe_options(&e, ZOO_OPT_WAIT_SETUP | ZOO_OPT_FOREGROUND);
	pe_sh(&e, "echo should-not-run");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	CHECK(shim_send(&s, ZOO_MSG_SETUP_DONE, bad, sizeof bad) == 0, "SETUP_DONE");
	CHECK(expect(&s, &m, ZOO_MSG_ERROR) && msg_error(&m, &er) == 0, "ERROR");
	CHECK(er.stage == ZOO_STAGE_SYNC && er.err == EPROTO, "stage %u errno %d", er.stage, er.err);
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 1, "shim 0x%x", s.status);
	CHECK(shim_output(&s)[0] == '\0', "output %s", s.output);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int signal_test(bool via_ts)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1, st;

	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID); /* as PID 1 only a trapped signal gets through */
	pe_sh(&e, "trap 'echo got-signal; exit 7' TERM USR1; echo ready; while :; do sleep 0.05; done");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	CHECK(wait_output(&s, "ready"), "no ready: %s", s.output);
	if (via_ts)
		CHECK(shim_send_i32(&s, ZOO_MSG_SIGNAL, SIGTERM) == 0, "SIGNAL");
	else
		CHECK(kill(s.pid, SIGUSR1) == 0, "kill shim");
	CHECK(expect(&s, &m, ZOO_MSG_EXIT), "EXIT");
	st = msg_i32(&m, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "status 0x%x", st);
	CHECK(strstr(shim_output(&s), "got-signal"), "output %s", s.output);
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_signal_message(void)
{
	return signal_test(true);
}

static int t_signal_to_shim(void)
{
	return signal_test(false);
}

static int t_process_names(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1, status;
	char path[64], comm[32] = "";
	pid_t child;

	for (int round = 0; round < 2; round++) {
		const char *want = round ? "zoo-init\n" : "zoo-test-name\n";

		pe_init(&e);
		pe_options(&e, ZOO_OPT_WAIT_SETUP);
		if (!round)
			pe_name(&e, "zoo-test-name");
		pe_exec(&e, "/bin/true", (const char *[]){ "true", NULL }, NULL);
		pe_finish(&e);
		CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
		CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
		child = msg_i32(&m, 0);
		snprintf(path, sizeof path, "/proc/%d/comm", child);
		for (int i = 0; i < 400 * time_scale; i++) {
			FILE *f = fopen(path, "re");
			if (f) {
				if (!fgets(comm, sizeof comm, f))
					comm[0] = '\0';
				fclose(f);
			}
			if (strcmp(comm, want) == 0)
				break;
			usleep(5000);
		}
		CHECK(strcmp(comm, want) == 0, "child comm %s", comm);
		snprintf(path, sizeof path, "/proc/%d/comm", s.pid);
		FILE *f = fopen(path, "re");
		CHECK(f && fgets(comm, sizeof comm, f), "shim comm");
		fclose(f);
		CHECK(strcmp(comm, "zoo-shim\n") == 0, "shim comm %s", comm);
		CHECK(shim_send(&s, ZOO_MSG_SETUP_DONE, NULL, 0) == 0, "SETUP_DONE");
		CHECK(expect(&s, &m, ZOO_MSG_STARTED) && expect(&s, &m, ZOO_MSG_EXIT), "run");
		status = msg_i32(&m, 0);
		CHECK(status == 0, "status 0x%x", status);
		CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
		shim_cleanup(&s);
		pe_free(&e);
	}
	return 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_foreground_pgrp(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;
	pid_t child;

	for (int fg = 0; fg < 2; fg++) {
		pe_init(&e);
		pe_options(&e, fg ? ZOO_OPT_FOREGROUND : 0);
		pe_sh(&e, "sleep 5");
		pe_finish(&e);
		CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
		CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
		child = msg_i32(&m, 0);
		CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
		if (fg)
			CHECK(getpgid(child) == getpgrp() && getsid(child) == getsid(0), "fg: pgid %d sid %d",
			      getpgid(child), getsid(child));
		else
			CHECK(getsid(child) == s.pid, "detached: sid %d, shim %d", getsid(child), s.pid);
		CHECK(shim_send_i32(&s, ZOO_MSG_SIGNAL, SIGKILL) == 0, "SIGNAL");
		CHECK(expect(&s, &m, ZOO_MSG_EXIT), "EXIT");
		CHECK(WIFSIGNALED(msg_i32(&m, 0)), "status 0x%x", msg_i32(&m, 0));
		CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
		shim_cleanup(&s);
		pe_free(&e);
	}
	return 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

/* ---- ops ---- */

static int t_caps_bounding(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;
	char want[64];
	uint64_t keep = all_caps() & ~(1ULL << 21); /* CAP_SYS_ADMIN */

	pe_init(&e);
	pe_caps(&e, keep, keep, keep, 0, 0);
	pe_sh(&e, "grep -E '^Cap(Bnd|Eff)' /proc/self/status");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(status == 0, "status 0x%x", status);
	snprintf(want, sizeof want, "CapBnd:\t%016llx\n", (unsigned long long)keep);
	CHECK(strstr(shim_output(&s), want), "output %s", s.output);
	snprintf(want, sizeof want, "CapEff:\t%016llx\n", (unsigned long long)keep);
	CHECK(strstr(s.output, want), "output %s", s.output);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

/* CAPS before or after SETUID ends with the same sets. */
static int t_caps_setuid_order(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;
	const uint64_t nbs = 1ULL << 10, setid = (1ULL << 6) | (1ULL << 7);
	const uint64_t bnd = all_caps() & ~(1ULL << 21);
	char want[64];

	for (int caps_first = 0; caps_first < 2; caps_first++) {
		uint64_t set = caps_first ? nbs | setid : nbs;

		pe_init(&e);
		pe_u32_op(&e, ZOO_OP_SETGID, 1000);
		if (caps_first)
			pe_caps(&e, bnd, set, set, set, nbs);
		pe_u32_op(&e, ZOO_OP_SETUID, 1000);
		if (!caps_first)
			pe_caps(&e, bnd, set, set, set, nbs);
		pe_sh(&e, "grep -E '^(Uid|Gid|Cap[A-Za-z]+):' /proc/self/status");
		pe_finish(&e);
		CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
		CHECK(run_to_exit(&s, &status, NULL), "run (caps_first=%d)", caps_first);
		CHECK(status == 0, "status 0x%x", status);
		shim_output(&s);
		CHECK(strstr(s.output, "Uid:\t1000\t1000\t1000\t1000\n"), "uid: %s", s.output);
		CHECK(strstr(s.output, "Gid:\t1000\t1000\t1000\t1000\n"), "gid: %s", s.output);
		snprintf(want, sizeof want, "CapInh:\t%016llx\n", (unsigned long long)set);
		CHECK(strstr(s.output, want), "caps_first=%d want %s got %s", caps_first, want, s.output);
		/* After execve as uid 1000 only the ambient set is left. */
		CHECK(strstr(s.output, "CapPrm:\t0000000000000400\n"), "caps_first=%d %s", caps_first, s.output);
		CHECK(strstr(s.output, "CapEff:\t0000000000000400\n"), "caps_first=%d %s", caps_first, s.output);
		CHECK(strstr(s.output, "CapAmb:\t0000000000000400\n"), "caps_first=%d %s", caps_first, s.output);
		snprintf(want, sizeof want, "CapBnd:\t%016llx\n", (unsigned long long)bnd);
		CHECK(strstr(s.output, want), "caps_first=%d %s", caps_first, s.output);
		shim_cleanup(&s);
		pe_free(&e);
	}
	return 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_seccomp_mkdir(void)
{
#if defined(__x86_64__)
	const uint32_t arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	const uint32_t arch = AUDIT_ARCH_AARCH64;
#endif
#ifdef __NR_mkdir
	const uint32_t nr_mkdir = __NR_mkdir;
#else
	const uint32_t nr_mkdir = __NR_mkdirat;
#endif
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mkdirat, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr_mkdir, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	uint8_t prog[sizeof f / sizeof f[0] * 8];
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;
	char dir[128], script[256];
	struct stat st;

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		memcpy(prog + i * 8, &f[i].code, 2);
		prog[i * 8 + 2] = f[i].jt;
		prog[i * 8 + 3] = f[i].jf;
		memcpy(prog + i * 8 + 4, &f[i].k, 4);
	}
	snprintf(dir, sizeof dir, "%s-seccomp", tmpdir);
	snprintf(script, sizeof script, "mkdir %s 2>&1; echo rc=$?", dir);
	pe_init(&e);
	pe_begin(&e, ZOO_OP_NO_NEW_PRIVS);
	pe_end(&e);
	pe_seccomp(&e, 0, prog, sizeof f / sizeof f[0]);
	pe_sh(&e, script);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(status == 0, "status 0x%x", status);
	CHECK(strstr(shim_output(&s), "Operation not permitted") && strstr(s.output, "rc=1"), "output %s", s.output);
	CHECK(stat(dir, &st) < 0 && errno == ENOENT, "%s exists", dir);
	rc = 0;
out:
	rmdir(dir);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

/* ROOTFS: paths below it resolve inside it, so an image's symlinks to / and
 * .. cannot point MKDIR, WRITE_FILE, SYMLINK or MOUNT at the host. */
static int t_rootfs_in_root(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;
	char root[128], p[4][256], host[128], script[1024], want[512];
	const char *mark = strrchr(tmpdir, '/') + 1;
	struct stat st;

	/* Debian 12's valgrind does not know openat2(2) (ENOSYS); ASan covers this. */
	if (under_valgrind)
		return SKIP;
	snprintf(root, sizeof root, "%s-root", tmpdir);
	snprintf(host, sizeof host, "/tmp/%s-escaped", mark);
	CHECK(mkdir(root, 0755) == 0, "mkdir");
	CHECK(symlink("/", strcat(strcpy(p[0], root), "/abs")) == 0, "symlink");
	CHECK(symlink("../../../../..", strcat(strcpy(p[0], root), "/up")) == 0, "symlink");
	/* Symlinks to nothing: their targets are made, inside the rootfs (as runc). */
	snprintf(p[0], sizeof p[0], "/tmp/%s-escaped/dl-target", mark);
	CHECK(symlink(p[0], strcat(strcpy(p[1], root), "/dl")) == 0, "symlink");
	snprintf(p[0], sizeof p[0], "../../../../tmp/%s-escaped/dl2-target", mark);
	CHECK(symlink(p[0], strcat(strcpy(p[1], root), "/dl2")) == 0, "symlink");
	snprintf(p[0], sizeof p[0], "%s/abs/tmp/%s-escaped/dir", root, mark);
	snprintf(p[1], sizeof p[1], "%s/up/tmp/%s-escaped/file", root, mark);
	snprintf(p[2], sizeof p[2], "%s/abs/tmp/%s-escaped/link", root, mark);
	snprintf(p[3], sizeof p[3], "%s/up/tmp/%s-escaped/dir", root, mark);
	pe_init(&e);
	pe_clone(&e, CLONE_NEWNS);
	pe_begin(&e, ZOO_REC_ROOTFS);
	pe_str(&e, root);
	pe_end(&e);
	pe_mount(&e, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	pe_mkdir(&e, p[0], 0755, ZOO_MKDIR_PARENTS);
	pe_write_file(&e, p[1], "inside\n", ZOO_WRITE_CREATE);
	pe_symlink(&e, "file", p[2]);
	pe_mount(&e, "tmpfs", p[3], "tmpfs", 0, "mode=700");
	snprintf(p[1], sizeof p[1], "%s/dl/sub", root);
	pe_mkdir(&e, p[1], 0755, ZOO_MKDIR_PARENTS);
	snprintf(p[1], sizeof p[1], "%s/dl2", root);
	pe_mkdir(&e, p[1], 0755, ZOO_MKDIR_PARENTS | ZOO_MKDIR_EXIST_OK);
	snprintf(script, sizeof script,
		 "[ -e %s ] && echo LEAKED; cd %s/tmp/%s-escaped && cat link && stat -c %%a dir && "
		 "grep -c ' %s/tmp/%s-escaped/dir ' /proc/self/mountinfo && ls -d dl-target/sub dl2-target",
		 host, root, mark, root, mark);
	pe_sh(&e, script);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(status == 0, "status 0x%x: %s", status, s.output);
	snprintf(want, sizeof want, "inside\n700\n1\ndl-target/sub\ndl2-target\n");
	CHECK(strcmp(shim_output(&s), want) == 0, "output:\n%s", s.output);
	CHECK(stat(host, &st) < 0 && errno == ENOENT, "%s exists on the host", host);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	snprintf(script, sizeof script, "rm -rf %s %s", root, host);
	if (system(script) != 0)
		rc = -1;
	return rc;
}

/* SECCOMP_LISTENER + a filter with NEW_LISTENER: one message on the agent's
 * socket, the state joined by the child's pid, the listener as SCM_RIGHTS. */
static int t_seccomp_listener(void)
{
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char control[CMSG_SPACE(sizeof(int))], buf[256], link[64], path[64], want[64];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status, ls = -1, c = -1, got = -1;
	pid_t child = 0;
	ssize_t n;

	/* valgrind does not know seccomp(2), and a listener needs its flags. */
	if (under_valgrind)
		return SKIP;
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s-agent", tmpdir);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(ls, 1) == 0, "listen");
	pe_init(&e);
	pe_begin(&e, ZOO_OP_SECCOMP_LISTENER);
	pe_str(&e, addr.sun_path);
	pe_u32(&e, 3);
	pe_str(&e, "{\"pid\":");
	pe_str(&e, ",\"again\":");
	pe_str(&e, "}");
	pe_end(&e);
	pe_begin(&e, ZOO_OP_NO_NEW_PRIVS);
	pe_end(&e);
	pe_seccomp(&e, SECCOMP_FILTER_FLAG_NEW_LISTENER, f, 1);
	pe_exec(&e, "/bin/true", (const char *[]){ "true", NULL }, NULL);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, &child), "run");
	CHECK(status == 0, "status 0x%x: %s", status, s.output);
	c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	CHECK(c >= 0, "accept");
	n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
	CHECK(n > 0, "recvmsg");
	buf[n] = '\0';
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&got, CMSG_DATA(cm), sizeof got);
	snprintf(want, sizeof want, "{\"pid\":%d,\"again\":%d}", (int)child, (int)child);
	CHECK(strcmp(buf, want) == 0, "state %s, want %s", buf, want);
	CHECK(got >= 0, "no fd");
	snprintf(path, sizeof path, "/proc/self/fd/%d", got);
	n = readlink(path, link, sizeof link - 1);
	CHECK(n > 0, "readlink");
	link[n] = '\0';
	CHECK(strstr(link, "seccomp"), "fd is %s", link);
	rc = 0;
out:
	if (got >= 0)
		close(got);
	if (c >= 0)
		close(c);
	if (ls >= 0)
		close(ls);
	unlink(addr.sun_path);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_wait_start(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1, fd = -1;
	char fifo[128];
	pid_t child;

	snprintf(fifo, sizeof fifo, "%s-fifo", tmpdir);
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
	pe_init(&e);
	pe_path_op(&e, ZOO_OP_WAIT_START, fifo);
	pe_exec(&e, "/bin/echo", (const char *[]){ "echo", "started", NULL }, NULL);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	child = msg_i32(&m, 0);
	CHECK(expect(&s, &m, ZOO_MSG_CREATED), "CREATED");
	CHECK(msg_i32(&m, 0) == child, "CREATED pid");
	/* Blocked in open() until someone reads. */
	CHECK(shim_recv(&s, &m, 300) < 0, "got %s while waiting for start", msg_name(m.type));
	CHECK(shim_output(&s)[0] == '\0', "ran early: %s", s.output);
	fd = open(fifo, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open fifo");
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	CHECK(expect(&s, &m, ZOO_MSG_EXIT) && msg_i32(&m, 0) == 0, "EXIT");
	CHECK(strcmp(shim_output(&s), "started\n") == 0, "output %s", s.output);
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	unlink(fifo);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_device_fallback_userns(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;
	char dir[128], dev[160], script[1024];

	snprintf(dir, sizeof dir, "%s-dev", tmpdir);
	snprintf(dev, sizeof dev, "%s/null", dir);
	snprintf(script, sizeof script,
		 "test -c %s && echo char; echo x > %s && echo wrote; stat -c %%t:%%T %s; grep -c ' %s ' /proc/self/mountinfo",
		 dev, dev, dev, dev);
	CHECK(mkdir(dir, 0755) == 0, "mkdir");
	pe_init(&e);
	pe_clone(&e, CLONE_NEWUSER | CLONE_NEWNS);
	pe_options(&e, ZOO_OPT_WAIT_SETUP);
	pe_mount(&e, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	pe_mount(&e, "tmpfs", dir, "tmpfs", 0, "mode=755");
	pe_device(&e, dev, S_IFCHR | 0666, 1, 3, 0, 0, "/dev/null");
	pe_sh(&e, script);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	CHECK(write_maps(msg_i32(&m, 0)), "maps");
	CHECK(shim_send(&s, ZOO_MSG_SETUP_DONE, NULL, 0) == 0, "SETUP_DONE");
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	CHECK(expect(&s, &m, ZOO_MSG_EXIT) && msg_i32(&m, 0) == 0, "EXIT 0x%x: %s", msg_i32(&m, 0),
	      shim_output(&s));
	/* A bind mount, not a node: mknod was refused in the user namespace. */
	CHECK(strcmp(shim_output(&s), "char\nwrote\n1:3\n1\n") == 0, "output %s", s.output);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	rmdir(dir);
	return rc;
}

static int t_fs_ops(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;
	char d[128], p[16][192], script[512], want[512];

	snprintf(d, sizeof d, "%s-ops", tmpdir);
	CHECK(mkdir(d, 0755) == 0, "mkdir");
	const char *names[] = { "x/y/z", "a", "a/b", "a/file", "a/secret", "a/link", "a/null", "a/missing" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		snprintf(p[i], sizeof p[i], "%s/%s", d, names[i]);
	pe_init(&e);
	pe_clone(&e, CLONE_NEWNS);
	pe_mount(&e, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	pe_mount(&e, "tmpfs", d, "tmpfs", 0, "mode=755");
	pe_mkdir(&e, p[0], 0750, ZOO_MKDIR_PARENTS);
	pe_mkdir(&e, p[0], 0750, ZOO_MKDIR_PARENTS | ZOO_MKDIR_EXIST_OK);
	pe_mkdir(&e, p[1], 0755, 0);
	pe_mkdir(&e, p[2], 0755, 0);
	pe_write_file(&e, p[3], "hello\n", ZOO_WRITE_CREATE);
	pe_write_file(&e, p[4], "secret\n", ZOO_WRITE_CREATE);
	pe_symlink(&e, "file", p[5]);
	pe_device(&e, p[6], S_IFCHR | 0666, 1, 3, 1, 2, NULL);
	pe_path_op(&e, ZOO_OP_MASK_PATH, p[4]);
	pe_path_op(&e, ZOO_OP_MASK_PATH, p[2]);
	pe_path_op(&e, ZOO_OP_MASK_PATH, p[7]);
	pe_path_op(&e, ZOO_OP_READONLY_PATH, p[3]);
	pe_path_op(&e, ZOO_OP_READONLY_PATH, p[7]);
	pe_path_op(&e, ZOO_OP_CHDIR, d);
	pe_u32_op(&e, ZOO_OP_UMASK, 077);
	/* Not NOFILE: valgrind keeps its hard limit for itself. */
	pe_rlimit(&e, RLIMIT_CORE, 512, 1024);
	snprintf(script, sizeof script,
		 "pwd; cat a/link; cat a/secret; echo '[masked]'; stat -c '%%F %%a %%u %%g %%t:%%T' a/null; "
		 "ls -A a/b | wc -l; touch a/b/x 2>/dev/null || echo ro; echo x >> a/file 2>/dev/null || echo rofile; "
		 "awk '/^Max core file size/ {print $5, $6}' /proc/self/limits; umask; "
		 "stat -c %%a x x/y x/y/z");
	pe_sh(&e, script);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(status == 0, "status 0x%x", status);
	snprintf(want, sizeof want,
		 "%s\nhello\n[masked]\ncharacter special file 666 1 2 1:3\n0\nro\nrofile\n512 1024\n0077\n750\n750\n750\n", d);
	CHECK(strcmp(shim_output(&s), want) == 0, "output:\n%s", s.output);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	rmdir(d);
	return rc;
}

static int t_close_fds(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;
	const char *script = "for f in 3 4 50 51; do if [ -e /proc/self/fd/$f ]; then echo $f:open; "
			     "else echo $f:closed; fi; done";

	for (int with = 0; with < 2; with++) {
		pe_init(&e);
		if (with)
			pe_u32_op(&e, ZOO_OP_CLOSE_FDS, 1);
		pe_sh(&e, script);
		pe_finish(&e);
		CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
		CHECK(run_to_exit(&s, &status, NULL), "run");
		CHECK(status == 0, "status 0x%x", status);
		/* The plan and sync fds never reach the container. */
		CHECK(strcmp(shim_output(&s), with ? "3:open\n4:closed\n50:closed\n51:closed\n"
						   : "3:open\n4:open\n50:closed\n51:closed\n") == 0,
		      "with=%d output %s", with, s.output);
		shim_cleanup(&s);
		pe_free(&e);
	}
	return 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_setns(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	struct err er;
	int rc = -1, status, ready[2] = { -1, -1 };
	char path[64], c;
	pid_t helper = -1;

	CHECK(pipe2(ready, O_CLOEXEC) == 0, "pipe");
	helper = fork();
	if (helper == 0) {
		if (unshare(CLONE_NEWUTS) < 0 || sethostname("zoo-setns", 9) < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	CHECK(helper > 0 && read(ready[0], &c, 1) == 1, "helper");
	snprintf(path, sizeof path, "/proc/%d/ns/uts", helper);
	pe_init(&e);
	pe_setns(&e, CLONE_NEWUTS, path);
	pe_sh(&e, "hostname");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(status == 0 && strcmp(shim_output(&s), "zoo-setns\n") == 0, "0x%x output %s", status, s.output);
	shim_cleanup(&s);
	pe_free(&e);

	pe_init(&e);
	pe_setns(&e, CLONE_NEWUTS, path);
	pe_setns(&e, CLONE_NEWNET, "/nonexistent/ns/net");
	pe_sh(&e, "true");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_error(&s, false, &m, &er), "error");
	CHECK(er.stage == ZOO_STAGE_SETNS && er.index == -1 && er.err == ENOENT &&
		      strcmp(er.object, "/nonexistent/ns/net") == 0,
	      "stage %u index %d errno %s", er.stage, er.index, strerror(er.err));
	rc = 0;
out:
	if (helper > 0) {
		kill(helper, SIGKILL);
		waitpid(helper, NULL, 0);
	}
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

/* clone3-only features: under valgrind clone3 is ENOSYS and the shim must
 * say so instead of silently dropping them. */
static int clone3_only(struct penc *e, int extra_fd, const char *want_output, bool substring)
{
	struct shim s = SHIM_INIT;
	struct msg m;
	struct err er;
	int rc = -1, status;

	CHECK(shim_spawn(&s, e, extra_fd) == 0, "spawn");
	if (under_valgrind) {
		CHECK(run_to_error(&s, false, &m, &er), "error");
		CHECK(er.stage == ZOO_STAGE_CLONE && er.err == ENOSYS, "stage %u errno %s", er.stage,
		      strerror(er.err));
	} else {
		CHECK(run_to_exit(&s, &status, NULL), "run");
		CHECK(status == 0, "status 0x%x", status);
		shim_output(&s);
		CHECK(substring ? strstr(s.output, want_output) != NULL : strcmp(s.output, want_output) != 0,
		      "output %s", s.output);
	}
	rc = 0;
out:
	shim_cleanup(&s);
	return rc;
}

static int t_clone_into_cgroup(void)
{
	const char *root = NULL;
	char dir[192], want[128];
	struct penc e;
	int rc = -1, fd = -1;

	if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0)
		root = "/sys/fs/cgroup/unified";
	else if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		root = "/sys/fs/cgroup";
	if (!root) {
		fprintf(stderr, "#   no cgroup v2 hierarchy\n");
		return SKIP;
	}
	snprintf(dir, sizeof dir, "%s/zoo-shim-test-%d", root, getpid());
	snprintf(want, sizeof want, "0::/zoo-shim-test-%d\n", getpid());
	pe_init(&e);
	CHECK(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0, "open");
	pe_cgroup_fd(&e, EXTRA_FD);
	pe_exec(&e, "/bin/cat", (const char *[]){ "cat", "/proc/self/cgroup", NULL }, NULL);
	pe_finish(&e);
	rc = clone3_only(&e, fd, want, true);
out:
	if (fd >= 0)
		close(fd);
	rmdir(dir);
	pe_free(&e);
	return rc;
}

static int t_newtime(void)
{
	char own[64] = "";
	struct penc e;
	int rc;
	ssize_t n = readlink("/proc/self/ns/time", own, sizeof own - 1);

	if (n < 0) {
		fprintf(stderr, "#   no time namespaces\n");
		return SKIP;
	}
	own[n] = '\0';
	strcat(own, "\n");
	pe_init(&e);
	pe_clone(&e, CLONE_NEWTIME);
	pe_exec(&e, "/bin/readlink", (const char *[]){ "readlink", "/proc/self/ns/time", NULL }, NULL);
	pe_finish(&e);
	/* Different from ours. */
	rc = clone3_only(&e, -1, own, false);
	pe_free(&e);
	return rc;
}

/* TIME_NS: the offsets are in place before the command runs, and the
 * command's own clocks (boottime through /proc/uptime) show them. */
static int t_time_ns(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;
	double up = 0;
	const char *out, *want = "monotonic -1 500\nboottime 864000000 7\n";

	if (access("/proc/self/timens_offsets", F_OK) < 0) {
		fprintf(stderr, "#   no time namespaces\n");
		return SKIP;
	}
	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID);
	pe_time_ns(&e, -1, 500, 864000000, 7);
	pe_sh(&e, "tr -s ' ' </proc/self/timens_offsets; cat /proc/uptime; readlink /proc/self/ns/time "
		  "/proc/self/ns/time_for_children | uniq | wc -l");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	out = shim_output(&s);
	CHECK(status == 0 && strncmp(out, want, strlen(want)) == 0, "0x%x output %s", status, out);
	/* Ten thousand days of boottime, and one namespace for us and our children. */
	CHECK(sscanf(out + strlen(want), "%lf", &up) == 1 && up >= 864000000.0 && strstr(out, "\n1\n"),
	      "output %s", out);
	shim_cleanup(&s);
	pe_free(&e);

	/* Before boot: the kernel refuses it, and the error names the file. */
	pe_init(&e);
	pe_u32_op(&e, ZOO_OP_UMASK, 022);
	pe_time_ns(&e, 0, 0, -2000000000, 0);
	pe_sh(&e, "echo should-not-run");
	pe_finish(&e);
	CHECK(fails_at(&e, ZOO_STAGE_OP, 1, ERANGE, "/proc/self/timens_offsets", true) == 0, "time_ns");
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static long vm_rss_kb(pid_t pid)
{
	char path[64], line[128];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int t_monitor_rss(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1;
	long kb;

	pe_init(&e);
	pe_clone(&e, CLONE_NEWPID | CLONE_NEWNS);
	pe_exec(&e, "/bin/sleep", (const char *[]){ "sleep", "5", NULL }, NULL);
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID) && expect(&s, &m, ZOO_MSG_STARTED), "start");
	usleep(100 * 1000);
	kb = vm_rss_kb(s.pid);
	fprintf(stderr, "# monitoring shim VmRSS: %ld kB (budget %ld kB)\n", kb, rss_max_kb);
	CHECK(kb > 0 && (rss_max_kb == 0 || kb < rss_max_kb), "VmRSS %ld kB", kb);
	CHECK(shim_send_i32(&s, ZOO_MSG_SIGNAL, SIGKILL) == 0, "SIGNAL");
	CHECK(expect(&s, &m, ZOO_MSG_EXIT) && WTERMSIG(msg_i32(&m, 0)) == SIGKILL, "EXIT");
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

/* The master end of a pty, received with SCM_RIGHTS the way a console-socket
 * listener gets it; -1 if none came. */
static int recv_master(int sock, char *name, size_t name_len)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = name, .iov_len = name_len - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			     .msg_controllen = sizeof control };
	struct cmsghdr *c;
	struct pollfd p = { .fd = sock, .events = POLLIN };
	ssize_t n;
	int fd;

	if (poll(&p, 1, T_MSG * time_scale) != 1)
		return -1;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	name[n] = '\0';
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

/* Everything the pty's master yields until the slave side is gone (EIO). */
static size_t read_master(int master, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, T_MSG * time_scale) != 1)
			break;
		n = read(master, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

static int t_tty(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	struct err er;
	int rc = -1, status, sv[2] = { -1, -1 }, master = -1;
	char name[64], out[4096];

	/* A devpts instance of the container's own, as the OCI default mounts
	 * make one: the pty must come from it, not from the host's. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	pe_init(&e);
	pe_clone(&e, CLONE_NEWNS);
	pe_mount(&e, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	pe_mount(&e, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
	pe_mount(&e, "/dev/pts/ptmx", "/dev/ptmx", NULL, MS_BIND, NULL);
	pe_begin(&e, ZOO_OP_TTY);
	pe_u32(&e, EXTRA_FD);
	pe_u32(&e, 24);
	pe_u32(&e, 80);
	pe_end(&e);
	pe_sh(&e, "tty; stty size; ls /dev/pts | tr '\\n' ' '; echo; "
		  "[ -e /proc/self/fd/52 ] && echo socket-leaked; "
		  "test \"$(cat /proc/self/stat | cut -d' ' -f6)\" = $$ && echo session-leader; exit 3");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, sv[1]) == 0, "spawn");
	close(sv[1]);
	sv[1] = -1;
	master = recv_master(sv[0], name, sizeof name);
	CHECK(master >= 0, "no master fd on the console socket");
	CHECK(strcmp(name, "/dev/ptmx") == 0, "message %s", name);
	read_master(master, out, sizeof out);
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3, "status 0x%x", status);
	CHECK(strcmp(out, "/dev/pts/0\r\n24 80\r\n0 ptmx \r\nsession-leader\r\n") == 0, "pty output %s", out);
	CHECK(shim_output(&s)[0] == '\0', "stdout reached the shim's: %s", s.output);
	shim_cleanup(&s);
	pe_free(&e);

	/* The plan names an fd that is not open: refused before anything runs. */
	pe_init(&e);
	pe_begin(&e, ZOO_OP_TTY);
	pe_u32(&e, 77);
	pe_u32(&e, 0);
	pe_u32(&e, 0);
	pe_end(&e);
	pe_sh(&e, "echo ran");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_error(&s, false, &m, &er), "error");
	CHECK(er.stage == ZOO_STAGE_PLAN && er.index == 0 && er.err == EBADF, "stage %u index %d errno %d", er.stage,
	      er.index, er.err);
	rc = 0;
out:
	if (master >= 0)
		close(master);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static int t_exit_on_start(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	struct msg m;
	int rc = -1, st = -1;
	pid_t child = -1;

	/* Stand in for conmon: the process must come to us once the shim is gone. */
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "subreaper");
	pe_init(&e);
	pe_options(&e, ZOO_OPT_EXIT_ON_START);
	pe_sh(&e, "sleep 0.3; exit 7");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(expect(&s, &m, ZOO_MSG_CHILD_PID), "CHILD_PID");
	child = msg_i32(&m, 0);
	CHECK(expect(&s, &m, ZOO_MSG_STARTED), "STARTED");
	CHECK(shim_recv(&s, &m, T_MSG) == 0, "wanted EOF after STARTED, got type %u", m.type);
	CHECK(WIFEXITED(shim_wait(&s, T_EXIT)) && WEXITSTATUS(s.status) == 0, "shim 0x%x", s.status);
	CHECK(kill(child, 0) == 0, "the process did not outlive the shim");
	CHECK(waitpid(child, &st, 0) == child, "the process was not reparented to us: %s", strerror(errno));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "status 0x%x", st);
	child = -1;
	rc = 0;
out:
	if (child > 0 && kill(child, SIGKILL) == 0)
		(void)waitpid(child, NULL, 0);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}


static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* A detached container's monitor: the log in lines with timestamps and
 * streams, rotated by size; the exit file; the exit command in its place. */
static int t_monitor_log_exit(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	char dir[] = "/tmp/zoo-shim-test-log-XXXXXX", log[96], log1[96], log2[96], exitf[96], cmdf[96], script[160], buf[4096], all[8192];
	int rc = -1, status;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(log, sizeof log, "%s/log", dir);
	snprintf(log1, sizeof log1, "%s/log.1", dir);
	snprintf(log2, sizeof log2, "%s/log.2", dir);
	snprintf(exitf, sizeof exitf, "%s/exit", dir);
	snprintf(cmdf, sizeof cmdf, "%s/cmd", dir);
	snprintf(script, sizeof script, "echo \"$0 $1\" > %s/cmd", dir);
	char *args[] = { "--log", log, "--log-max-size", "300", "--log-max-files", "2", "--exit-file", exitf,
			 "--exit-command", "/bin/sh", "-c", script, "done", "ok", NULL };
	shim_extra_args = args;
	pe_init(&e);
	pe_sh(&e, "i=0; while [ $i -lt 20 ]; do echo line $i; i=$((i+1)); done; echo err >&2; printf tail; exit 3");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	/* The shim exits with the exit command's status (sh: 0). */
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3, "status 0x%x", status);
	CHECK(read_text(exitf, buf, sizeof buf) == 0 && strncmp(buf, "768 ", 4) == 0, "exit file: %s", buf);
	CHECK(read_text(cmdf, buf, sizeof buf) == 0 && strcmp(buf, "done ok\n") == 0, "exit command: %s", buf);
	CHECK(access(log2, F_OK) < 0, "only two log files");
	CHECK(read_text(log1, all, sizeof all) == 0, "log.1");
	CHECK(read_text(log, buf, sizeof buf) == 0, "log");
	CHECK(strlen(all) <= 300 && strlen(buf) <= 300, "rotated at 300 bytes: %zu, %zu", strlen(all), strlen(buf));
	strncat(all, buf, sizeof all - strlen(all) - 1);
	/* 2026-11-30T03:10:00.123456789Z stdout F line 19 */
	CHECK(strstr(all, "Z stdout F line 19\n") != NULL, "last stdout line: %s", all);
	CHECK(strstr(all, "Z stderr F err\n") != NULL, "stderr: %s", all);
	CHECK(strstr(buf, "Z stdout P tail\n") != NULL, "partial last line: %s", buf);
	CHECK(strstr(all, "line 0\n") == NULL, "the oldest lines rotated away");
	CHECK(buf[4] == '-' && buf[10] == 'T' && buf[19] == '.' && buf[29] == 'Z' && buf[30] == ' ', "timestamp: %s", buf);
	rc = 0;
out:
	shim_extra_args = NULL;
	shim_cleanup(&s);
	pe_free(&e);
	unlink(log);
	unlink(log1);
	unlink(exitf);
	unlink(cmdf);
	rmdir(dir);
	return rc;
}


/* --init: the child stays as the command's parent, reaps, and exits with its status. */
static int t_init(void)
{
	struct shim s = SHIM_INIT;
	struct penc e;
	int rc = -1, status;

	pe_init(&e);
	pe_options(&e, ZOO_OPT_INIT);
	pe_sh(&e, "cat /proc/$PPID/comm; (sleep 0.1 &); sleep 0.3; kill -0 $PPID && exit 5");
	pe_finish(&e);
	CHECK(shim_spawn(&s, &e, -1) == 0, "spawn");
	CHECK(run_to_exit(&s, &status, NULL), "run");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5, "status 0x%x", status);
	CHECK(strcmp(shim_output(&s), "zoo-init\n") == 0, "output: %s", shim_output(&s));
	rc = 0;
out:
	shim_cleanup(&s);
	pe_free(&e);
	return rc;
}

static const struct test tests[] = {
	{ "malformed plans are PLAN errors with the record index", t_malformed_plans },
	{ "plan from a pipe", t_plan_from_pipe },
	{ "bad usage and unusable sync fd", t_usage_and_bad_sync_fd },
	{ "user+pid+uts namespaces: hostname and PID 1", t_userns_hostname_pid1 },
	{ "exit code passes through EXIT", t_exit_code },
	{ "plan without ops", t_no_ops },
	{ "SIGKILL from outside shows in EXIT", t_killed_from_outside },
	{ "exec errors: ENOENT, PATH search, EACCES", t_exec_errors },
	{ "exec searches the plan's PATH", t_exec_path_search },
	{ "failing mount names its op index and target", t_mount_error },
	{ "mkdir without EXIST_OK", t_mkdir_eexist },
	{ "ABORT before GO", t_abort_before_go },
	{ "TS hangs up before GO", t_ts_eof_before_go },
	{ "TS hangs up after GO", t_ts_eof_after_go },
	{ "foreground: TS gone after GO kills and cleans up", t_foreground_orphan_cleanup },
	{ "SETUP_DONE with a malformed cleanup list", t_setup_done_bad_list },
	{ "CLEANUP then TS gone before GO: child killed, dirs removed", t_cleanup_before_go },
	{ "foreground orphan: HELPER killed, scratch dir with a file removed", t_helper_killed_with_orphan },
	{ "SIGNAL message is forwarded", t_signal_message },
	{ "signal to the shim is forwarded", t_signal_to_shim },
	{ "process names", t_process_names },
	{ "foreground keeps the process group", t_foreground_pgrp },
	{ "CAPS drops CAP_SYS_ADMIN from the bounding set", t_caps_bounding },
	{ "CAPS and SETUID in either order", t_caps_setuid_order },
	{ "seccomp filter", t_seccomp_mkdir },
	{ "ROOTFS: symlinks to / and .. resolve inside the rootfs", t_rootfs_in_root },
	{ "SECCOMP_LISTENER: state and listener fd to the agent", t_seccomp_listener },
	{ "WAIT_START blocks until the fifo is read", t_wait_start },
	{ "DEVICE falls back to a bind mount in a user namespace", t_device_fallback_userns },
	{ "filesystem ops", t_fs_ops },
	{ "CLOSE_FDS and fd hygiene", t_close_fds },
	{ "SETNS", t_setns },
	{ "CLONE_INTO_CGROUP", t_clone_into_cgroup },
	{ "CLONE_NEWTIME", t_newtime },
	{ "TIME_NS: offsets set before the process enters its time namespace", t_time_ns },
	{ "EXIT_ON_START: the shim leaves the process to the caller's subreaper", t_exit_on_start },
	{ "TTY: a pty from the container's devpts, master on the console socket", t_tty },
	{ "monitor RSS", t_monitor_rss },
	{ "--init: the child as PID 1 of the command", t_init },
	{ "monitor log, rotation, exit file, exit command", t_monitor_log_exit },
};

int main(int argc, char **argv)
{
	const char *env;
	struct wrapper w;
	int failed;

	tap_setup();
	if ((env = getenv("ZOO_SHIM")))
		shim_path = env;
	shim_wrapper = wrapper_from_env(&w, "ZOO_SHIM_WRAPPER");
	under_valgrind = w.valgrind;
	if ((env = getenv("ZOO_TEST_RSS_MAX_KB")))
		rss_max_kb = atol(env);
	if (access(shim_path, X_OK) < 0) {
		fprintf(stderr, "%s: %s\n", shim_path, strerror(errno));
		return 2;
	}
	snprintf(tmpdir, sizeof tmpdir, "/tmp/zoo-shim-test-%d", getpid());
	printf("# shim: %s%s%s\n", shim_wrapper ? getenv("ZOO_SHIM_WRAPPER") : "", shim_wrapper ? " " : "", shim_path);
	failed = tap_run(tests, sizeof tests / sizeof tests[0], argc > 1 ? argv[1] : NULL);
	wrapper_free(&w);
	return failed ? 1 : 0;
}
