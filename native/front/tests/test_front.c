/* End-to-end tests of the front door, zoo-runtime (docs/design/run-cache.md).
 *
 * Each run happens in a scratch directory holding two copies of the front
 * door (`zoo-runtime` and `zoo`, its two doors) and, as the Bun executable
 * `zoo-bun` next to them, a copy of this program: run under that name it
 * writes its argv to argv.out and exits 42, which is the exec contract under
 * test (as the lease helper, `__zoo-release-lease ...`, to helper.out, and
 * exits 0, or 3 when told "fail"). Entries are encoded here (tests/planenc.c with
 * the magic "ZOOR") under a key computed here from the doc, written to
 * /run/zoo/cache/run/<fnv> and removed again; hits start the real zoo-shim.
 * Needs root.
 *
 *   ZOO_RUNTIME=path          the front door to test (default build/zoo-runtime)
 *   ZOO_SHIM=path             the zoo-shim entries name (default build/zoo-shim)
 *   ZOO_RUNTIME_WRAPPER=...   run the front door under this command (valgrind ...)
 *   ZOO_TEST_TIME_SCALE       multiply timeouts */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "planenc.h"
#include "tap.h"
#include "zoo_replay.h"

#define CACHE "/run/zoo/cache/run"
#define T_RUN 20000 /* ms a front door may take */

static const char *runtime_src = "build/zoo-runtime";
static char shim[PATH_MAX];
static char **wrapper;
static bool under_valgrind;
static char dir[64]; /* the scratch directory */
static char front[128]; /* dir/zoo-runtime */
static char zoo_front[128]; /* dir/zoo: the same front door, as the engine's door */
static const char *door = front; /* the one run_front starts */
static int front_stdin = -1; /* the front door's fd 0 (default /dev/null) */
static int second_sig; /* run_front sends it a while after `sig` */
static pid_t last_front; /* the pid of the front door run_front started last */
static char cgroup[256]; /* a v1 pids cgroup of this test run (prefix; + ID) */
static char cgroup2[256]; /* the same on cgroup v2 */
static bool made_cache[3]; /* /run/zoo, /run/zoo/cache, /run/zoo/cache/run made by us */

/* ---- the stand-in Bun executable ---- */

static int standin(int argc, char **argv)
{
	char path[PATH_MAX + 16], self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	FILE *f;

	if (n <= 0)
		return 2;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	/* The lease helper (RELEASE, a LEASE's undo) writes a file of its own: a
	 * fallback may exec the Bun path right after it. */
	bool helper = argc > 4 && strcmp(argv[1], "__zoo-release-lease") == 0;
	snprintf(path, sizeof path, "%s/%s", self, helper ? "helper.out" : "argv.out");
	f = fopen(path, "we");
	if (!f)
		return 2;
	for (int i = 0; i < argc; i++)
		fprintf(f, "%s\n", argv[i]);
	/* argv[4] names the network's lock, which must be free by now. */
	if (helper) {
		int lfd = open(argv[4], O_RDONLY | O_CLOEXEC);

		fprintf(f, "lock %s\n", lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) == 0 ? "free" : "held");
		if (lfd >= 0)
			close(lfd);
	}
	/* Which fds reached the Bun path: none of the front door's. */
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int dfd = d ? dirfd(d) : -1;
	fprintf(f, "fds:");
	while (d && (de = readdir(d))) {
		char link[PATH_MAX + 32], target[PATH_MAX];
		ssize_t k;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dfd || atoi(de->d_name) == fileno(f))
			continue;
		/* valgrind's --log-file fd outlives its exec (--trace-children=no): not the front door's. */
		snprintf(link, sizeof link, "/proc/self/fd/%s", de->d_name);
		k = readlink(link, target, sizeof target - 1);
		target[k > 0 ? k : 0] = '\0';
		if (strstr(target, "/build/valgrind/log.front."))
			continue;
		fprintf(f, " %s", de->d_name);
	}
	fprintf(f, "\n");
	if (d)
		closedir(d);
	fclose(f);
	if (helper)
		return strcmp(argv[2], "fail") == 0 ? 3 : 0;
	return 42;
}

static bool is_standin(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n <= 0)
		return false;
	self[n] = '\0';
	return strcmp(strrchr(self, '/'), "/zoo-bun") == 0;
}

/* ---- files ---- */

static int copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	struct stat st;
	off_t off = 0;

	if (in < 0 || fstat(in, &st) < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		return -1;
	while (off < st.st_size)
		if (sendfile(out, in, &off, (size_t)(st.st_size - off)) <= 0)
			return -1;
	close(in);
	return close(out);
}

static int put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	return close(fd);
}

static int read_text(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	k = read(fd, buf, n - 1);
	close(fd);
	if (k < 0)
		return -1;
	buf[k] = '\0';
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries of the scratch dir starting with prefix (the root mount points). */
static int count_prefix(const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* ---- the key, as run-cache.md gives it ---- */

struct kb {
	char buf[16384];
	size_t len;
};

static void kf(struct kb *k, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;

	memcpy(k->buf + k->len, a, la);
	if (b)
		memcpy(k->buf + k->len + la, b, lb);
	k->len += la + lb;
	k->buf[k->len++] = '\0';
}

static const char *env_of(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (char **e = envp; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* args: argv[1..] of the front door (zoo-runtime: the ID last); envp: its
 * environment. `engine`: the `zoo` door's key (door=zoo, its variables,
 * idlen=64, every argument). The names are the doc's, not zoo_replay.h's:
 * a header that drifts from the doc fails here. */
static int make_key(struct kb *k, char *const *args, char **envp, bool engine)
{
	static const char *const runtime_names[] = { "ZOO_SHIM", "ZOO_CGROUP_PARENT", "XDG_RUNTIME_DIR",
						     "ZOO_SECCOMP_CACHE", "ZOO_DEBUG", "NOTIFY_SOCKET",
						     "LISTEN_FDS", NULL };
	static const char *const engine_names[] = { "ZOO_SHIM", "ZOO_CGROUP_PARENT", "XDG_RUNTIME_DIR",
						    "ZOO_SECCOMP_CACHE", "ZOO_DEBUG", "NOTIFY_SOCKET",
						    "LISTEN_FDS", "ZOO_ROOT", "ZOO_CGROUP_MANAGER",
						    "ZOO_NET_HELPER", "HOME", "PATH", "DBUS_SYSTEM_BUS_ADDRESS", NULL };
	char path[256], num[128];
	struct stat st;
	int n = 0;

	k->len = 0;
	snprintf(path, sizeof path, "%s/zoo-bun", dir);
	if (stat(path, &st) < 0)
		return -1;
	kf(k, "zoo-run-cache/1", NULL);
	if (engine)
		kf(k, "door=zoo", NULL);
	snprintf(num, sizeof num, "%llu:%llu:%lld:%lld", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (long long)st.st_size, (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
	kf(k, "exe=", num);
	kf(k, "uid=", "0");
	if (engine) {
		mode_t mask = umask(0);

		umask(mask);
		snprintf(num, sizeof num, "%04o", (unsigned)mask);
		kf(k, "umask=", num);
	}
	kf(k, "cwd=", dir);
	for (const char *const *name = engine ? engine_names : runtime_names; *name; name++) {
		const char *v = env_of(envp, *name);
		char f[64];

		snprintf(f, sizeof f, "env=%s%s", *name, v ? "=" : "");
		kf(k, f, v);
	}
	while (args[n])
		n++;
	snprintf(num, sizeof num, "%zu", engine ? (size_t)64 : strlen(args[n - 1]));
	kf(k, "idlen=", num);
	for (int i = 0; i < (engine ? n : n - 1); i++)
		kf(k, "arg=", args[i]);
	return 0;
}

static uint64_t fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* ---- the front door's environment and its run ---- */

struct env {
	char *v[16];
	int n;
};

static void env_init(struct env *e)
{
	static const char *const pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };

	e->n = 0;
	e->v[e->n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	e->v[e->n++] = "ZOO_RUN_CACHE_TRACE=1";
	for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
		static char buf[3][512];
		const char *v = getenv(pass[i]);

		if (v) {
			snprintf(buf[i], sizeof buf[i], "%s=%s", pass[i], v);
			e->v[e->n++] = buf[i];
		}
	}
	e->v[e->n] = NULL;
}

static void env_add(struct env *e, char *kv)
{
	e->v[e->n++] = kv;
	e->v[e->n] = NULL;
}

struct result {
	int status; /* wait status of the front door */
	char out[16384], err[16384];
};

/* Runs dir/zoo-runtime ARGS in dir. `ready`: once stdout holds it, send `sig`. */
static int run_front(char **args, struct env *env, struct result *r, const char *ready, int sig)
{
	char *argv[64];
	int n = 0, out = memfd_create("out", MFD_CLOEXEC), err = memfd_create("err", MFD_CLOEXEC), sent = 0;
	pid_t pid;
	long waited = 0;

	memset(r, 0, sizeof *r);
	unlink(strcat(strcpy(r->out, dir), "/argv.out"));
	unlink(strcat(strcpy(r->out, dir), "/helper.out"));
	r->out[0] = '\0';
	for (char **w = wrapper; w && *w; w++)
		argv[n++] = *w;
	argv[n++] = (char *)door;
	for (char **a = args; *a; a++)
		argv[n++] = *a;
	argv[n] = NULL;
	if (out < 0 || err < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	last_front = pid; /* a wrapper (valgrind) runs the front door in this same process */
	if (pid == 0) {
		int null = front_stdin >= 0 ? front_stdin : open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (chdir(dir) < 0 || null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		/* Whatever this test inherited is not the front door's to pass on. */
		for (int fd = 3; fd < 1024; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		execvpe(argv[0], argv, env->v);
		_exit(127);
	}
	for (;;) {
		pid_t p = waitpid(pid, &r->status, WNOHANG);

		if (p == pid)
			break;
		if (ready && !sent) {
			char buf[4096];
			ssize_t k = pread(out, buf, sizeof buf - 1, 0);

			buf[k > 0 ? k : 0] = '\0';
			if (strstr(buf, ready)) {
				kill(pid, sig);
				sent = 1;
			}
		} else if (sent && second_sig && ++sent == 1 + 60 * time_scale) {
			/* 300 ms (scaled): time enough for the first to have been forwarded. */
			kill(pid, second_sig);
		}
		if (waited > (long)T_RUN * time_scale) {
			fprintf(stderr, "#   front door %d timed out, killing it\n", pid);
			kill(pid, SIGKILL);
			waitpid(pid, &r->status, 0);
			close(out);
			close(err);
			return -1;
		}
		usleep(5000);
		waited += 5;
	}
	ssize_t k = pread(out, r->out, sizeof r->out - 1, 0);
	r->out[k > 0 ? k : 0] = '\0';
	k = pread(err, r->err, sizeof r->err - 1, 0);
	r->err[k > 0 ? k : 0] = '\0';
	close(out);
	close(err);
	return 0;
}

static bool exited(const struct result *r, int code)
{
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == code)
		return true;
	fprintf(stderr, "#   wait status 0x%x, wanted exit %d\n#   stdout: %s\n#   stderr: %s\n", r->status, code,
		r->out, r->err);
	return false;
}

/* The stand-in ran with our argv[0] (it names zoo-runtime already), these arguments, and stdio only. */
static bool fell_back(const struct result *r, char **args)
{
	char want[4096], got[4096], path[128];

	if (!exited(r, 42))
		return false;
	snprintf(want, sizeof want, "%s\n", door);
	for (char **a = args; *a; a++)
		strcat(strcat(want, *a), "\n");
	strcat(want, "fds: 0 1 2\n");
	snprintf(path, sizeof path, "%s/argv.out", dir);
	if (read_text(path, got, sizeof got) < 0 || strcmp(got, want) != 0) {
		fprintf(stderr, "#   the Bun path got:\n%s#   wanted:\n%s", got, want);
		return false;
	}
	return true;
}

/* No process of ours left: as a subreaper we would have inherited any orphan. */
static bool no_strays(void)
{
	int st;
	pid_t p = waitpid(-1, &st, WNOHANG);

	if (p < 0 && errno == ECHILD)
		return true;
	fprintf(stderr, "#   a stray process: waitpid says %d\n", p);
	return false;
}

/* ---- entries ---- */

struct entry {
	struct penc e;
	char path[128]; /* where it was written */
	bool engine; /* under the `zoo` door's key */
};

static void en_init(struct entry *en)
{
	pe_init(&en->e);
	en->path[0] = '\0';
	en->engine = false;
}

static void en_str(struct entry *en, uint16_t type, const char *s)
{
	pe_begin(&en->e, type);
	pe_str(&en->e, s);
	pe_end(&en->e);
}

static void en_blob(struct entry *en, uint16_t type, const void *p, uint32_t n)
{
	pe_begin(&en->e, type);
	pe_blob(&en->e, p, n);
	pe_end(&en->e);
}

static void en_guard_file(struct entry *en, const char *path, const char *content)
{
	pe_begin(&en->e, ZOO_RR_GUARD_FILE);
	pe_str(&en->e, path);
	pe_blob(&en->e, content, (uint32_t)strlen(content));
	pe_end(&en->e);
}

static void en_guard_stat(struct entry *en, uint32_t kind, const char *path)
{
	pe_begin(&en->e, ZOO_RR_GUARD_STAT);
	pe_u32(&en->e, kind);
	pe_str(&en->e, path);
	pe_end(&en->e);
}

/* The op's fields in zoo_replay.h order: u32s first, then strs. */
static void en_op(struct entry *en, uint16_t type, uint32_t phase, int nu, const uint32_t *u, const char *s1,
		  const char *s2)
{
	pe_begin(&en->e, type);
	pe_u32(&en->e, phase);
	for (int i = 0; i < nu; i++)
		pe_u32(&en->e, u[i]);
	pe_str(&en->e, s1);
	if (s2)
		pe_str(&en->e, s2);
	pe_end(&en->e);
}

/* The plan template: built with stand-in bytes (0x01 for the ID, 0x02 for
 * the token, 0x03 for the short ID), whose runs become the sites, as
 * TypeScript does it. */
static void en_plan(struct entry *en, const struct penc *plan, size_t idlen)
{
	static const uint32_t kinds[] = { 0, ZOO_SITE_ID, ZOO_SITE_TOKEN, ZOO_SITE_ID_SHORT };

	en_blob(en, ZOO_RR_PLAN, plan->buf, (uint32_t)plan->len);
	for (size_t i = 0; i < plan->len;) {
		uint8_t b = plan->buf[i];
		size_t want = b == 1 ? idlen : b == 2 ? ZOO_REPLAY_TOKEN_LEN : b == 3 ? ZOO_REPLAY_SHORT_ID_LEN : 0,
		       run = 1;

		while (i + run < plan->len && plan->buf[i + run] == b)
			run++;
		/* A lone 0x01 or 0x02 is a byte of some number, not a stand-in. */
		if (want && run % want == 0) {
			for (size_t k = 0; k < run; k += want) {
				pe_begin(&en->e, ZOO_RR_PLAN_SITE);
				pe_u32(&en->e, (uint32_t)(i + k));
				pe_u32(&en->e, kinds[b]);
				pe_end(&en->e);
			}
		}
		i += run;
	}
}

/* Finishes the entry and writes it where the front door looks for this run. */
static int en_write(struct entry *en, char *const *args, char **envp, mode_t mode)
{
	struct kb k;
	int fd;

	if (make_key(&k, args, envp, en->engine) < 0)
		return -1;
	en_blob(en, ZOO_RR_KEY, k.buf, (uint32_t)k.len);
	pe_finish(&en->e);
	memcpy(en->e.buf, "ZOOR", 4);
	snprintf(en->path, sizeof en->path, "%s/%016" PRIx64, CACHE, fnv(k.buf, k.len));
	fd = open(en->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(en->path);
		en->path[0] = '\0';
		return -1;
	}
	if (write(fd, en->e.buf, en->e.len) != (ssize_t)en->e.len || fchmod(fd, mode) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Removes the written entry; may be called again. */
static void en_free(struct entry *en)
{
	if (en->path[0])
		unlink(en->path);
	en->path[0] = '\0';
	pe_free(&en->e);
}

/* ---- a container: busybox in a small rootfs ---- */

#define ID_MARK "\x01I"
#define TOK_MARK "\x01T"

struct box {
	bool engine; /* a `zoo run`: the front door makes the ID, so id is "" */
	char id[64];
	char image[64]; /* engine: the test's name in the arguments */
	char *args[8];
	char bundle[128], config[160], rootfs[160];
	char state_root[128], state[192], fifo[256], mnt[160], pidfile[128], cg[320];
	/* templates */
	char t_state[192], t_fifo[256], t_mnt[160], t_json[256], t_cg[320], t_cgprocs[352], t_pidsmax[352];
	char cg2[320], t_cg2[320]; /* cgroup v2, for DEVICE_BPF */
};

static int make_rootfs(void)
{
	static const char *const applets[] = { "sh", "cat", "echo", "hostname", "grep", "sleep", "true", "ls", "tr" };
	char p[256], bin[256];

	snprintf(p, sizeof p, "%s/rootfs", dir);
	if (mkdir(p, 0755) < 0)
		return -1;
	for (const char *const *s = (const char *const[]){ "bin", "proc", "state", "ctr", NULL }; *s; s++) {
		snprintf(p, sizeof p, "%s/rootfs/%s", dir, *s);
		if (mkdir(p, 0755) < 0)
			return -1;
	}
	snprintf(bin, sizeof bin, "%s/rootfs/bin/busybox", dir);
	if (copy_file("/usr/bin/busybox", bin, 0755) < 0)
		return -1;
	for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++) {
		snprintf(p, sizeof p, "%s/rootfs/bin/%s", dir, applets[i]);
		if (symlink("busybox", p) < 0)
			return -1;
	}
	snprintf(p, sizeof p, "%s/config.json", dir);
	return put_file(p, "{\"ociVersion\":\"1.0.2\"}\n");
}

static void box_init(struct box *b, const char *name)
{
	memset(b, 0, sizeof *b);
	snprintf(b->id, sizeof b->id, "%s-%d", name, getpid());
	snprintf(b->bundle, sizeof b->bundle, "%s", dir);
	snprintf(b->config, sizeof b->config, "%s/config.json", dir);
	snprintf(b->rootfs, sizeof b->rootfs, "%s/rootfs", dir);
	snprintf(b->state_root, sizeof b->state_root, "%s/state", dir);
	snprintf(b->state, sizeof b->state, "%s/%s", b->state_root, b->id);
	snprintf(b->fifo, sizeof b->fifo, "%s/exec.fifo", b->state);
	snprintf(b->pidfile, sizeof b->pidfile, "%s/pidfile", dir);
	snprintf(b->cg, sizeof b->cg, "%s-%s", cgroup, b->id);
	snprintf(b->t_state, sizeof b->t_state, "%s/" ID_MARK, b->state_root);
	snprintf(b->t_fifo, sizeof b->t_fifo, "%s/exec.fifo", b->t_state);
	snprintf(b->t_mnt, sizeof b->t_mnt, "%s/mnt." TOK_MARK, dir);
	snprintf(b->t_json, sizeof b->t_json, "%s/state.json", b->t_state);
	snprintf(b->t_cg, sizeof b->t_cg, "%s-" ID_MARK, cgroup);
	snprintf(b->cg2, sizeof b->cg2, "%s-%s", cgroup2, b->id);
	snprintf(b->t_cg2, sizeof b->t_cg2, "%s-" ID_MARK, cgroup2);
	snprintf(b->t_cgprocs, sizeof b->t_cgprocs, "%s/cgroup.procs", b->t_cg);
	snprintf(b->t_pidsmax, sizeof b->t_pidsmax, "%s/pids.max", b->t_cg);
	b->args[0] = "run";
	b->args[1] = "-b";
	b->args[2] = b->bundle;
	b->args[3] = b->id;
	b->args[4] = NULL;
}

/* A `zoo run` box: the paths are templates only (the ID is ours to learn);
 * the arguments (all in the key) name the test, so the entry is its own. */
static void box_init_engine(struct box *b, const char *name)
{
	box_init(b, name);
	b->engine = true;
	b->args[0] = "run";
	b->args[1] = "--rm";
	snprintf(b->image, sizeof b->image, "%s", b->id);
	b->args[2] = b->image; /* name-pid: an image name as far as the key goes */
	b->args[3] = "sh";
	b->args[4] = NULL;
	b->id[0] = '\0';
	snprintf(b->state, sizeof b->state, "%s/", b->state_root);
	snprintf(b->cg, sizeof b->cg, "%s-", cgroup);
	snprintf(b->cg2, sizeof b->cg2, "%s-", cgroup2);
}

struct box_opts {
	bool newpid;
	bool newnet; /* a network namespace of its own (lo down until a NETLINK op brings it up) */
	const char *script;
	const char *exec_path; /* default /bin/busybox */
	const char *child_write; /* a CHILD-phase WRITE to this path (that fails) */
	bool bpf; /* a cgroup v2 directory with a device program attached */
	const char *teardown_fail; /* a TEARDOWN rmdir of this (absent) path */
	bool bad_plan;
	bool no_lock; /* the fifo's fd gets a low number: the spawn must not clobber it */
	bool self_bind; /* the rootfs bound onto itself, as TypeScript plans a bundle's: no token, no mount point */
	uint32_t flags; /* a FLAGS record with these (an engine box adds ZOO_RF_ENGINE_ID); NO_CREATED: no WAIT_START, no START */
	bool ctr; /* a container directory <dir>/ctr.<ID> (MKDIR, must be new) bound at /ctr, where the shim makes shim/deeper */
	/* More ops, just before the TEARDOWN ones (RMTREE_ALL, OOM_NOTE). */
	void (*extra)(struct entry *en, const struct box *b, const char *arg);
	const char *extra_arg;
};

/* The plan, with `id` and `tok` as given (stand-ins or real values). */
static void box_plan(struct penc *p, const struct box *b, const struct box_opts *o, const char *id, const char *tok,
		     const char *shortid)
{
	char mnt[192], st[1400], sub[256];
	const char *argv[] = { "sh", "-c", o->script, NULL };
	const char *envp[] = { "PATH=/bin", NULL };

	if (o->self_bind)
		snprintf(mnt, sizeof mnt, "%s", b->rootfs);
	else
		snprintf(mnt, sizeof mnt, "%s/mnt.%s", dir, tok);
	snprintf(st, sizeof st, "%s/%s", b->state_root, id);
	pe_init(p);
	pe_clone(p, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (o->newpid ? CLONE_NEWPID : 0) |
			    (o->newnet ? CLONE_NEWNET : 0));
	pe_options(p, ZOO_OPT_FOREGROUND | ZOO_OPT_WAIT_SETUP);
	pe_begin(p, ZOO_REC_ROOTFS);
	pe_str(p, mnt);
	pe_end(p);
	pe_mount(p, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	pe_mount(p, b->rootfs, mnt, NULL, MS_BIND | MS_REC, NULL);
	snprintf(sub, sizeof sub, "%s/state", mnt);
	pe_mount(p, st, sub, NULL, MS_BIND, NULL);
	snprintf(sub, sizeof sub, "%s/proc", mnt);
	pe_mount(p, "proc", sub, "proc", 0, NULL);
	if (o->ctr) {
		char ctr[1200];

		snprintf(ctr, sizeof ctr, "%s/ctr.%s", dir, id);
		snprintf(sub, sizeof sub, "%s/ctr", mnt);
		pe_mount(p, ctr, sub, NULL, MS_BIND, NULL);
	}
	/* `zoo run` names the host after the short ID. */
	pe_path_op(p, ZOO_OP_SETHOSTNAME, b->engine ? shortid : id);
	pe_path_op(p, ZOO_OP_CHDIR, mnt);
	pe_begin(p, ZOO_OP_PIVOT_ROOT);
	pe_str(p, ".");
	pe_str(p, ".");
	pe_end(p);
	pe_begin(p, ZOO_OP_UMOUNT);
	pe_u32(p, MNT_DETACH);
	pe_str(p, ".");
	pe_end(p);
	pe_path_op(p, ZOO_OP_CHDIR, "/");
	if (o->ctr) {
		/* What the replay did not make: its undo must remove it all the same. */
		pe_mkdir(p, "/ctr/shim/deeper", 0755, ZOO_MKDIR_PARENTS);
		pe_write_file(p, "/ctr/shim/deeper/file", "x", ZOO_WRITE_CREATE);
	}
	if (!(o->flags & ZOO_RF_NO_CREATED))
		pe_path_op(p, ZOO_OP_WAIT_START, "/proc/self/fd/5");
	pe_exec(p, o->exec_path ? o->exec_path : "/bin/busybox", argv, envp);
	pe_finish(p);
	if (o->bad_plan)
		p->buf[4] = 9; /* a plan version no shim reads */
}

static const char json_tmpl[] = "{\"id\":\"" ID_MARK "\",\"pid\":\x01P,\"shim\":\x01S,\"ps\":\"\x01p\",\"ss\":\"\x01s\","
				"\"created\":\"\x01" "C\",\"root\":\"%s/mnt." TOK_MARK "\"}";

/* What an engine box's container finds in /state/state.json. */
static const char engine_json[] = "{\"id\":\"" ID_MARK "\",\"short\":\"\x01i\",\"pid\":\x01P}";

static int box_entry(struct entry *en, const struct box *b, const struct box_opts *o, char **envp)
{
	struct penc plan;
	char idmark[1025], tokmark[ZOO_REPLAY_TOKEN_LEN + 1], shortmark[ZOO_REPLAY_SHORT_ID_LEN + 1], json[512],
		cg[4096], t_ctr[256];
	size_t idlen = b->engine ? 64 : strlen(b->id);
	uint32_t flags = o->flags | (b->engine ? ZOO_RF_ENGINE_ID : 0);

	memset(idmark, 1, idlen);
	idmark[idlen] = '\0';
	memset(tokmark, 2, ZOO_REPLAY_TOKEN_LEN);
	tokmark[ZOO_REPLAY_TOKEN_LEN] = '\0';
	memset(shortmark, 3, ZOO_REPLAY_SHORT_ID_LEN);
	shortmark[ZOO_REPLAY_SHORT_ID_LEN] = '\0';
	snprintf(t_ctr, sizeof t_ctr, "%s/ctr." ID_MARK, dir);
	en_init(en);
	en->engine = b->engine;
	if (flags) {
		pe_begin(&en->e, ZOO_RR_FLAGS);
		pe_u32(&en->e, flags);
		pe_end(&en->e);
	}
	en_str(en, ZOO_RR_SHIM, shim);
	box_plan(&plan, b, o, idmark, tokmark, shortmark);
	en_plan(en, &plan, idlen);
	pe_free(&plan);
	en_guard_file(en, b->config, "{\"ociVersion\":\"1.0.2\"}\n");
	if (read_text("/proc/self/cgroup", cg, sizeof cg) < 0)
		return -1;
	en_guard_file(en, "/proc/self/cgroup", cg);
	en_guard_stat(en, ZOO_GUARD_DIR, b->rootfs);
	en_guard_stat(en, ZOO_GUARD_ABSENT, "/nonexistent-zoo-front-test");
	en_str(en, ZOO_RR_CLEANUP, b->t_cg);
	if (!o->self_bind)
		en_str(en, ZOO_RR_CLEANUP, b->t_mnt);

	en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0711, ZOO_RMKDIR_EXIST_OK }, b->state_root, NULL);
	en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0711, 0 }, b->t_state, NULL);
	if (!o->no_lock)
		en_op(en, ZOO_RR_LOCK, ZOO_PHASE_PREPARE, 0, NULL, b->t_state, NULL);
	en_op(en, ZOO_RR_MKFIFO, ZOO_PHASE_PREPARE, 1, (uint32_t[]){ 0622 }, b->t_fifo, NULL);
	en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0755, 0 }, b->t_cg, NULL);
	if (o->ctr)
		en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0700, 0 }, t_ctr, NULL);
	if (o->bpf)
		en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0755, 0 }, b->t_cg2, NULL);
	en_op(en, ZOO_RR_WRITE, ZOO_PHASE_PREPARE, 0, NULL, b->t_pidsmax, "64");
	en_op(en, ZOO_RR_OPEN, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ O_PATH, 5 }, b->t_fifo, NULL);
	if (!o->self_bind)
		en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_SPAWNED, 2, (uint32_t[]){ 0700, 0 }, b->t_mnt, NULL);
	en_op(en, ZOO_RR_WRITE, ZOO_PHASE_CHILD, 0, NULL, b->t_cgprocs, "\x01P");
	if (o->child_write)
		en_op(en, ZOO_RR_WRITE, ZOO_PHASE_CHILD, 0, NULL, o->child_write, "\x01P");
	if (b->engine)
		snprintf(json, sizeof json, "%s", engine_json);
	else
		snprintf(json, sizeof json, json_tmpl, dir);
	/* Without CREATED nothing may run after SETUP_DONE: the command runs by then. */
	uint32_t created = o->flags & ZOO_RF_NO_CREATED ? ZOO_PHASE_CHILD : ZOO_PHASE_CREATED;

	if (o->bpf) {
		/* r0 = 1 (allow), exit */
		static const uint8_t allow[16] = { 0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 };

		pe_begin(&en->e, ZOO_RR_DEVICE_BPF);
		pe_u32(&en->e, created);
		pe_str(&en->e, b->t_cg2);
		pe_blob(&en->e, allow, sizeof allow);
		pe_end(&en->e);
	}
	en_op(en, ZOO_RR_REPLACE, created, 1, (uint32_t[]){ 0600 }, b->t_json, json);
	en_op(en, ZOO_RR_REPLACE, created, 1, (uint32_t[]){ 0644 }, b->pidfile, "\x01P");
	if (!(o->flags & ZOO_RF_NO_CREATED))
		en_op(en, ZOO_RR_START, ZOO_PHASE_CREATED, 0, NULL, b->t_fifo, NULL);
	if (!o->no_lock) {
		en_op(en, ZOO_RR_UNLOCK, created, 0, NULL, b->t_state, NULL);
		en_op(en, ZOO_RR_LOCK, ZOO_PHASE_TEARDOWN, 0, NULL, b->t_state, NULL);
	}
	if (o->extra)
		o->extra(en, b, o->extra_arg);
	if (o->ctr)
		en_op(en, ZOO_RR_RMTREE_ALL, ZOO_PHASE_TEARDOWN, 0, NULL, t_ctr, NULL);
	en_op(en, ZOO_RR_RMDIR, ZOO_PHASE_TEARDOWN, 1,
	      (uint32_t[]){ ZOO_RRMDIR_RETRY_BUSY | ZOO_RRMDIR_ENOENT_OK }, b->t_cg, NULL);
	if (!o->self_bind)
		en_op(en, ZOO_RR_RMDIR, ZOO_PHASE_TEARDOWN, 1, (uint32_t[]){ 0 }, b->t_mnt, NULL);
	if (o->bpf)
		en_op(en, ZOO_RR_RMDIR, ZOO_PHASE_TEARDOWN, 1, (uint32_t[]){ ZOO_RRMDIR_RETRY_BUSY }, b->t_cg2, NULL);
	if (o->teardown_fail)
		en_op(en, ZOO_RR_RMDIR, ZOO_PHASE_TEARDOWN, 1, (uint32_t[]){ 0 }, o->teardown_fail, NULL);
	en_op(en, ZOO_RR_RMTREE, ZOO_PHASE_TEARDOWN, 0, NULL, b->t_state, NULL);
	return en_write(en, b->args, envp, 0600);
}

/* Entries of `path` whose names start with `prefix`. */
static int count_in(const char *path, const char *prefix)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* An engine box's cgroups: the test's prefix, then the ID. */
static int engine_cgroups(const struct box *b)
{
	return count_in("/sys/fs/cgroup/pids", strrchr(b->cg, '/') + 1) +
	       count_in("/sys/fs/cgroup/unified", strrchr(b->cg2, '/') + 1);
}

/* Nothing of the run left on the host; `root`: the state root either (a fallback made it). */
static bool box_gone(const struct box *b, bool root)
{
	bool ok = true;

	if (b->engine) {
		/* The ID is unknown here: nothing may be left under the prefixes. */
		if ((root && exists(b->state_root)) || count_in(b->state_root, "") != 0 || engine_cgroups(b) != 0 ||
		    count_prefix("ctr.") != 0) {
			fprintf(stderr, "#   left behind: state %d, cgroups %d, ctr.* %d\n", count_in(b->state_root, ""),
				engine_cgroups(b), count_prefix("ctr."));
			ok = false;
		}
		return ok && count_prefix("mnt.") == 0;
	}
	if (exists(b->state) || (root && exists(b->state_root))) {
		fprintf(stderr, "#   %s left behind\n", exists(b->state) ? b->state : b->state_root);
		ok = false;
	}
	if (exists(b->cg) || exists(b->cg2)) {
		fprintf(stderr, "#   %s left behind\n", exists(b->cg) ? b->cg : b->cg2);
		ok = false;
	}
	if (count_prefix("mnt.") != 0) {
		fprintf(stderr, "#   a root mount point left behind\n");
		ok = false;
	}
	return ok;
}

static void box_cleanup(const struct box *b)
{
	char cmd[1024];

	rmdir(b->cg);
	rmdir(b->cg2);
	if (b->engine) {
		snprintf(cmd, sizeof cmd, "rmdir %s* %s* 2>/dev/null", b->cg, b->cg2);
		if (system(cmd) != 0) {
			/* Nothing there to remove: the usual case. */
		}
	}
	unlink(b->pidfile);
	snprintf(cmd, sizeof cmd, "rm -rf %s %s/mnt.* %s/ctr.*", b->state_root, dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# %s failed\n", cmd);
}

/* ---- one test's run: its container, entry, environment and result ---- */

struct fixture {
	struct box b;
	struct entry en; /* written by fx_entry, or by hand */
	struct env env;
	struct result r; /* of the last fx_run */
};

static void fx_init(struct fixture *f, const char *name)
{
	box_init(&f->b, name);
	env_init(&f->env);
	memset(&f->en, 0, sizeof f->en);
}

/* The box's entry for the current environment, at the name the front door looks up. */
static bool fx_entry(struct fixture *f, const struct box_opts *o)
{
	return box_entry(&f->en, &f->b, o, f->env.v) == 0;
}

/* The front door on the box's arguments; `ready` and `sig` as for run_front. */
static bool fx_run(struct fixture *f, const char *ready, int sig)
{
	return run_front(f->b.args, &f->env, &f->r, ready, sig) == 0;
}

/* A run that ends on the Bun path (a miss or a fallback). */
/* Nothing of the run left: its files and cgroups, and no process of it
 * (each check says what it found). */
static bool fx_all_gone(const struct fixture *f)
{
	return box_gone(&f->b, false) && no_strays();
}

/* stderr says a hit on this fixture's entry, and nothing else. */
static bool fx_said_hit(const struct fixture *f)
{
	char want[512];

	snprintf(want, sizeof want, "run cache: hit %s\n", f->en.path);
	return strcmp(f->r.err, want) == 0;
}

static bool fx_fell_back(struct fixture *f)
{
	return fx_run(f, NULL, 0) && fell_back(&f->r, f->b.args);
}

/* After a fallback: nothing of the run left, the state root neither, no process. */
static bool fx_undone(const struct fixture *f)
{
	return box_gone(&f->b, true) && no_strays();
}

/* The same for a `zoo run` through the zoo door. */
static void fx_init_engine(struct fixture *f, const char *name)
{
	fx_init(f, name);
	box_init_engine(&f->b, name);
	door = zoo_front;
}

static void fx_done(struct fixture *f)
{
	box_cleanup(&f->b);
	en_free(&f->en);
	door = front;
}

/* ---- tests ---- */

static int t_not_a_run(void)
{
	struct env env;
	struct result r;
	char *a1[] = { "--version", NULL };
	char *a2[] = { "run", "-b", dir, "bad/id", NULL };
	char *a3[] = { "state", "x", NULL };
	char *a4[] = { "run", "..", NULL };
	char runc[128] = "", path[128], got[4096];
	int rc = -1;

	env_init(&env);
	CHECK(run_front(a1, &env, &r, NULL, 0) == 0, "run");
	CHECK(fell_back(&r, a1), "--version");
	CHECK(strcmp(r.err, "run cache: miss (not a run)\n") == 0, "stderr %s", r.err);
	CHECK(run_front(a2, &env, &r, NULL, 0) == 0 && fell_back(&r, a2), "bad id");
	CHECK(strstr(r.err, "run cache: miss (no valid container ID last)"), "stderr %s", r.err);
	CHECK(run_front(a3, &env, &r, NULL, 0) == 0 && fell_back(&r, a3), "state");
	CHECK(run_front(a4, &env, &r, NULL, 0) == 0 && fell_back(&r, a4), "..");
	/* Under another name (a `runc` link): the runtime's door, and Bun is told so. */
	snprintf(runc, sizeof runc, "%s/runc", dir);
	CHECK(symlink("zoo-runtime", runc) == 0, "symlink");
	door = runc;
	CHECK(run_front(a1, &env, &r, NULL, 0) == 0 && exited(&r, 42), "as runc");
	snprintf(path, sizeof path, "%s/argv.out", dir);
	CHECK(read_text(path, got, sizeof got) == 0 && strncmp(got, "zoo-runtime\n--version\n", 22) == 0, "argv %s", got);
	rc = 0;
out:
	door = front;
	unlink(runc);
	return rc;
}

static int t_no_entry(void)
{
	struct fixture f;
	int rc = -1;

	fx_init(&f, "none");
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(strcmp(f.r.err, "run cache: miss (no entry)\n") == 0, "stderr %s", f.r.err);
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* An entry the front door may use but whose guard fails: it got that far. */
static int t_trust(void)
{
	struct fixture f;
	int rc = -1;

	fx_init(&f, "trust");
	en_init(&f.en);
	en_str(&f.en, ZOO_RR_SHIM, shim);
	en_blob(&f.en, ZOO_RR_PLAN, "", 0);
	en_guard_stat(&f.en, ZOO_GUARD_ABSENT, f.b.rootfs);
	CHECK(en_write(&f.en, f.b.args, f.env.v, 0644) == 0, "write");
	CHECK(fx_fell_back(&f), "0644");
	CHECK(strstr(f.r.err, "run cache: miss (") && strstr(f.r.err, "not trusted"), "stderr %s", f.r.err);
	CHECK(chmod(f.en.path, 0600) == 0 && chown(f.en.path, 65534, 65534) == 0, "chown");
	CHECK(fx_fell_back(&f), "owner");
	CHECK(strstr(f.r.err, "not trusted (owner 65534"), "stderr %s", f.r.err);
	CHECK(chown(f.en.path, 0, 0) == 0 && chmod(f.en.path, 0600) == 0, "chown back");
	CHECK(fx_fell_back(&f), "trusted");
	CHECK(strstr(f.r.err, "miss (guard ") && strstr(f.r.err, "is a directory"), "stderr %s", f.r.err);
	/* ZOO_RUN_CACHE=off: not even looked at. */
	env_add(&f.env, "ZOO_RUN_CACHE=off");
	CHECK(fx_fell_back(&f), "off");
	CHECK(strcmp(f.r.err, "run cache: miss (ZOO_RUN_CACHE=off)\n") == 0, "stderr %s", f.r.err);
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* Entries that must be misses: a guard, the key, the framing, a marker. */
static int t_guards_and_invalid(void)
{
	struct fixture f;
	struct box_opts o = { .script = "exit 3" };
	int rc = -1;

	fx_init(&f, "guard");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(put_file(f.b.config, "{\"ociVersion\":\"1.0.3\"}\n") == 0, "config");
	CHECK(fx_fell_back(&f), "guard");
	CHECK(strstr(f.r.err, "run cache: miss (guard ") && strstr(f.r.err, "config.json: changed"), "stderr %s",
	      f.r.err);
	CHECK(!exists(f.b.state_root), "the state root was made");
	CHECK(put_file(f.b.config, "{\"ociVersion\":\"1.0.2\"}\n") == 0, "config");
	/* The same entry under another environment: another file name, a miss. */
	env_add(&f.env, "ZOO_DEBUG=1");
	CHECK(fx_fell_back(&f), "env");
	CHECK(strcmp(f.r.err, "run cache: miss (no entry)\n") == 0, "stderr %s", f.r.err);
	en_free(&f.en);

	/* Tampered entries at the right name. */
	for (int k = 0; k < 4; k++) {
		env_init(&f.env);
		CHECK(fx_entry(&f, &o), "write");
		int fd = open(f.en.path, O_RDWR | O_CLOEXEC);
		CHECK(fd >= 0, "open");
		uint8_t *buf = f.en.e.buf;
		const char *want;
		size_t len = f.en.e.len;
		if (k == 0) {
			buf[16] = 0x77; /* the first record's type */
			want = "unknown type 0x0077";
		} else if (k == 1) {
			buf[len - 5] ^= 1; /* a byte of the key */
			want = "is for another key";
		} else if (k == 2) {
			buf[18] = 1; /* reserved */
			want = "reserved field is not 0";
		} else {
			/* An unknown marker: 0x01 'I' becomes 0x01 'Q' in the state dir template. */
			uint8_t *m = memmem(buf, len, "/" ID_MARK, 3);
			CHECK(m, "marker");
			m[2] = 'Q';
			want = "an unknown marker";
		}
		CHECK(pwrite(fd, buf, len, 0) == (ssize_t)len && close(fd) == 0, "rewrite");
		CHECK(fx_fell_back(&f), "case %d", k);
		CHECK(strstr(f.r.err, "run cache: miss (") && strstr(f.r.err, want), "case %d: stderr %s", k, f.r.err);
		CHECK(!exists(f.b.state_root), "case %d: the state root was made", k);
		en_free(&f.en);
	}
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* The state.json the container printed: pid, shim pid, token; checks the markers' values. */
static bool check_json(const char *text, const struct box *b, int *pid, char *tok)
{
	char want[256];
	int shim_pid;
	char ps[32], ss[32], created[64];
	const char *j = strstr(text, "{\"id\":\"");

	snprintf(want, sizeof want, "{\"id\":\"%s\",", b->id);
	if (!j || strncmp(j, want, strlen(want)) != 0)
		goto bad;
	j += strlen(want);
	if (sscanf(j, "\"pid\":%d,\"shim\":%d,\"ps\":\"%31[0-9]\",\"ss\":\"%31[0-9]\",\"created\":\"%63[^\"]\"", pid,
		   &shim_pid, ps, ss, created) != 5)
		goto bad;
	/* toISOString: 2026-11-30T08:31:46.874Z */
	if (strlen(created) != 24 || created[4] != '-' || created[10] != 'T' || created[19] != '.' || created[23] != 'Z')
		goto bad;
	snprintf(want, sizeof want, "\"root\":\"%s/mnt.", dir);
	j = strstr(j, want);
	if (!j || *pid <= 1 || shim_pid <= 1 || shim_pid == *pid)
		goto bad;
	j += strlen(want);
	for (int i = 0; i < 8; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", j[i]))
			goto bad;
	if (strncmp(j + 8, "\"}", 2) != 0)
		goto bad;
	memcpy(tok, j, 8);
	tok[8] = '\0';
	return true;
bad:
	fprintf(stderr, "#   state.json as the container saw it: %s\n", text);
	return false;
}

static int t_hit(void)
{
	struct fixture f;
	struct box_opts o = {
		.newpid = true,
		.script = "hostname; cat /state/state.json; echo; grep pids /proc/self/cgroup; echo $$; "
			  "echo fds: $(ls /proc/self/fd | tr '\\n' ' '); exit 7",
		.bpf = true,
	};
	char want[512], pidtext[32], tok[16], line[256];
	int rc = -1, pid;

	fx_init(&f, "hit");
	/* A consulted variable, set: it is part of the key. */
	env_add(&f.env, "XDG_RUNTIME_DIR=/run/user/0");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 7), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	snprintf(want, sizeof want, "%s\n", f.b.id);
	CHECK(strncmp(f.r.out, want, strlen(want)) == 0, "hostname (the ID site): %s", f.r.out);
	CHECK(check_json(f.r.out, &f.b, &pid, tok), "state.json");
	/* The CHILD write put the container in the cgroup; PID 1 of its namespace. */
	snprintf(line, sizeof line, ":pids:%s\n1\n", strrchr(f.b.cg, '/'));
	CHECK(strstr(f.r.out, line), "cgroup or pid: %s", f.r.out);
	/* stdio, ls's own directory fd, and the fifo at its slot: nothing else of
	 * the front door's or the shim's (valgrind's log fd would be one more). */
	CHECK(under_valgrind || strstr(f.r.out, "\nfds: 0 1 2 3 5\n"), "fds: %s", f.r.out);
	CHECK(read_text(f.b.pidfile, pidtext, sizeof pidtext) == 0 && atoi(pidtext) == pid, "pid file %s", pidtext);
	CHECK(!exists(f.b.pidfile) || (unlink(f.b.pidfile) == 0), "pid file");
	CHECK(box_gone(&f.b, false), "leftovers");
	CHECK(kill(pid, 0) < 0 && errno == ESRCH, "container %d still there", pid);
	CHECK(no_strays(), "strays");
	CHECK(!exists(strcat(strcpy(line, dir), "/argv.out")), "the Bun path ran too");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* The plan TypeScript writes for a bundle: the rootfs bound onto itself and
 * pivoted into, so no token site, no mount point made or removed. */
static int t_hit_self_bind(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .script = "hostname; ls /bin/busybox; exit 3", .self_bind = true };
	char want[512], p[256];
	int rc = -1;

	fx_init(&f, "self");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 3), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	snprintf(want, sizeof want, "%s\n/bin/busybox\n", f.b.id);
	CHECK(strcmp(f.r.out, want) == 0, "stdout %s", f.r.out);
	CHECK(!exists(f.b.pidfile) || (unlink(f.b.pidfile) == 0), "pid file");
	CHECK(box_gone(&f.b, false), "leftovers");
	snprintf(p, sizeof p, "%s/bin/busybox", f.b.rootfs);
	CHECK(exists(p), "the rootfs lost %s", p);
	CHECK(no_strays(), "strays");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* A host op fails after the container exists: everything made is undone. */
static int t_host_op_fails(void)
{
	struct fixture f;
	char nope[256];
	struct box_opts o = { .newpid = true, .script = "echo should-not-run", .child_write = nope };
	int rc = -1;

	snprintf(nope, sizeof nope, "%s/nope/file", dir);
	fx_init(&f, "opfail");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "fallback");
	snprintf(nope, sizeof nope, "run cache: fallback (write %s/nope/file: No such file or directory)\n", dir);
	CHECK(strstr(f.r.err, "run cache: hit ") && strstr(f.r.err, nope), "stderr %s", f.r.err);
	CHECK(!strstr(f.r.out, "should-not-run"), "the command ran");
	CHECK(!exists(f.b.pidfile), "pid file");
	CHECK(fx_undone(&f), "leftovers");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* The shim reports an ERROR (exec of a missing command, after start; a
 * plan it refuses, before it read our CLEANUP): fallback, all undone. */
static int t_shim_error(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .script = "true", .exec_path = "/bin/not-there" };
	int rc = -1;

	fx_init(&f, "error");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(strstr(f.r.err, "run cache: fallback (zoo-shim: exec") && strstr(f.r.err, "/bin/not-there: No such file"),
	      "stderr %s", f.r.err);
	CHECK(!exists(f.b.pidfile), "the pid file REPLACE wrote is still there");
	CHECK(fx_undone(&f), "leftovers");
	en_free(&f.en);

	o = (struct box_opts){ .newpid = true, .script = "true", .bad_plan = true };
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(strstr(f.r.err, "run cache: fallback (zoo-shim: plan"), "stderr %s", f.r.err);
	CHECK(fx_undone(&f), "leftovers");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* SIGTERM to the front door reaches the container, which dies of it: 128+15.
 * A teardown op that fails is reported, and the exit code stays. */
static int t_signal(void)
{
	struct fixture f;
	char absent[128], want[512];
	struct box_opts o = { .script = "echo ready; exec sleep 100", .teardown_fail = absent, .no_lock = true };
	int rc = -1;

	snprintf(absent, sizeof absent, "%s/absent", dir);
	fx_init(&f, "signal");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, "ready", SIGTERM), "run");
	CHECK(exited(&f.r, 128 + SIGTERM), "exit code");
	snprintf(want, sizeof want, "run cache: hit %s\nzoo-runtime: delete %s: rmdir %s: No such file or directory\n",
		 f.en.path, f.b.id, absent);
	CHECK(strcmp(f.r.err, want) == 0, "stderr %s", f.r.err);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* The zoo door: only `zoo run ...` is looked up; Bun gets argv[0] as given
 * (it picks its door by it). An entry is for one door only. */
static int t_engine_door(void)
{
	struct fixture f;
	struct result r;
	char *a1[] = { "--version", NULL };
	char *a2[] = { "run", NULL };
	char *a3[] = { "ps", "-a", NULL };
	struct box_opts o = { .script = "exit 3" };
	int rc = -1;

	fx_init_engine(&f, "door");
	CHECK(run_front(a1, &f.env, &r, NULL, 0) == 0 && fell_back(&r, a1), "--version");
	CHECK(strcmp(r.err, "run cache: miss (not a run)\n") == 0, "stderr %s", r.err);
	CHECK(run_front(a2, &f.env, &r, NULL, 0) == 0 && fell_back(&r, a2), "run alone");
	CHECK(strcmp(r.err, "run cache: miss (not a run)\n") == 0, "stderr %s", r.err);
	CHECK(run_front(a3, &f.env, &r, NULL, 0) == 0 && fell_back(&r, a3), "ps");
	CHECK(fx_fell_back(&f), "no entry");
	CHECK(strcmp(f.r.err, "run cache: miss (no entry)\n") == 0, "stderr %s", f.r.err);

	/* An engine entry without ENGINE_ID, at the engine key's name. */
	CHECK(fx_entry(&f, &o), "write");
	{
		int fd = open(f.en.path, O_RDWR | O_CLOEXEC);
		uint8_t *flags = memmem(f.en.e.buf, f.en.e.len, "\x04\0\0\0\x04\0\0\0\x01\0\0\0", 12);

		CHECK(fd >= 0 && flags, "the FLAGS record");
		flags[8] = 0;
		CHECK(pwrite(fd, f.en.e.buf, f.en.e.len, 0) == (ssize_t)f.en.e.len && close(fd) == 0, "rewrite");
	}
	CHECK(fx_fell_back(&f), "no ENGINE_ID");
	CHECK(strstr(f.r.err, "run cache: miss (invalid entry") && strstr(f.r.err, "not for `zoo run`"), "stderr %s",
	      f.r.err);
	CHECK(box_gone(&f.b, true), "leftovers");
	en_free(&f.en);

	/* A runtime entry with ENGINE_ID. */
	door = front;
	box_init(&f.b, "door");
	o.flags = ZOO_RF_ENGINE_ID;
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "ENGINE_ID at zoo-runtime");
	CHECK(strstr(f.r.err, "run cache: miss (invalid entry") && strstr(f.r.err, "for `zoo run`"), "stderr %s",
	      f.r.err);
	CHECK(box_gone(&f.b, true), "leftovers");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

static bool is_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* A `zoo run` replayed: the ID is 64 hex digits of ours, the plan's ID and
 * short-ID sites and the REPLACE's I and i markers all got it. */
static int t_engine_hit(void)
{
	struct fixture f;
	struct box_opts o = {
		.newpid = true,
		.script = "hostname; cat /state/state.json; echo; grep pids /proc/self/cgroup; exit 5",
	};
	char host[16], id[80], shortid[16], line[256], pidtext[32], ids[2][80];
	int rc = -1, pid = 0;

	for (int k = 0; k < 2; k++) {
		fx_init_engine(&f, "engine");
		CHECK(fx_entry(&f, &o), "write");
		CHECK(fx_run(&f, NULL, 0), "run");
		CHECK(exited(&f.r, 5), "exit code");
		CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
		CHECK(sscanf(f.r.out, "%15s\n{\"id\":\"%79[^\"]\",\"short\":\"%15[^\"]\",\"pid\":%d}", host, id, shortid,
			     &pid) == 4,
		      "stdout %s", f.r.out);
		CHECK(strlen(id) == 64 && is_hex(id, 64), "ID %s", id);
		CHECK(strlen(host) == 12 && strncmp(host, id, 12) == 0, "hostname (short-ID site) %s, ID %s", host, id);
		CHECK(strcmp(shortid, host) == 0, "the i marker gave %s", shortid);
		snprintf(line, sizeof line, ":pids:/zoo-front-test-%d-%s\n", getpid(), id);
		CHECK(strstr(f.r.out, line), "the cgroup (I marker in a path): %s", f.r.out);
		CHECK(read_text(f.b.pidfile, pidtext, sizeof pidtext) == 0 && atoi(pidtext) == pid && pid > 1,
		      "pid file %s", pidtext);
		CHECK(fx_all_gone(&f), "leftovers or strays");
		CHECK(!exists(strcat(strcpy(line, dir), "/argv.out")), "the Bun path ran too");
		memcpy(ids[k], id, sizeof id);
		fx_done(&f);
	}
	CHECK(strcmp(ids[0], ids[1]) != 0, "the same ID twice: %s", ids[0]);
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* NO_CREATED: a plan without WAIT_START, so STARTED follows SETUP_DONE; the
 * CREATED-phase ops (the pid file) run right after SETUP_DONE. */
static void extra_created_op(struct entry *en, const struct box *b, const char *arg)
{
	(void)arg;
	en_op(en, ZOO_RR_REPLACE, ZOO_PHASE_CREATED, 1, (uint32_t[]){ 0644 }, b->pidfile, "\x01P");
}

static int t_no_created(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .script = "hostname; exit 4", .flags = ZOO_RF_NO_CREATED };
	char pidtext[32];
	int rc = -1;

	fx_init_engine(&f, "nocreated");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 4), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(strlen(f.r.out) == 13 && is_hex(f.r.out, 12), "hostname %s", f.r.out);
	CHECK(read_text(f.b.pidfile, pidtext, sizeof pidtext) == 0 && atoi(pidtext) > 1, "pid file %s", pidtext);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	CHECK(!exists(f.b.pidfile) || unlink(f.b.pidfile) == 0, "pid file");
	fx_done(&f);

	/* Anything after SETUP_DONE would run beside the command: such an entry is invalid. */
	o.extra = extra_created_op;
	fx_init_engine(&f, "nocreated-op");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(strstr(f.r.err, "a CREATED-phase op in an entry without CREATED"), "stderr %s", f.r.err);
	CHECK(box_gone(&f.b, true), "leftovers");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* RAISE: the container died of SIGTERM, so does the front door. Without a
 * terminal, FOREGROUND forwards SIGINT still (nothing else would send it). */
static int t_raise(void)
{
	struct fixture f;
	struct box_opts o = { .script = "echo ready; exec sleep 100", .no_lock = true, .flags = ZOO_RF_RAISE };
	int rc = -1;

	fx_init(&f, "raise");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, "ready", SIGTERM), "run");
	CHECK(WIFSIGNALED(f.r.status) && WTERMSIG(f.r.status) == SIGTERM, "wait status 0x%x, stderr %s", f.r.status,
	      f.r.err);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	en_free(&f.en);

	o.flags = ZOO_RF_FOREGROUND;
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, "ready", SIGINT), "run");
	CHECK(exited(&f.r, 128 + SIGINT), "SIGINT without a terminal");
	CHECK(fx_all_gone(&f), "leftovers or strays");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* FOREGROUND with a terminal on fd 0: SIGINT is the terminal's to send (it
 * reaches the container's group by itself), so ours is not forwarded; the
 * SIGTERM after it is, and the container dies of that. */
static int t_foreground_tty(void)
{
	struct fixture f;
	struct box_opts o = { .script = "echo ready; exec sleep 100", .no_lock = true, .flags = ZOO_RF_FOREGROUND };
	int rc = -1, master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), slave = -1;

	fx_init(&f, "fgtty");
	CHECK(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0, "pty: %s", strerror(errno));
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(slave >= 0, "pty slave: %s", strerror(errno));
	CHECK(fx_entry(&f, &o), "write");
	front_stdin = slave;
	second_sig = SIGTERM;
	CHECK(fx_run(&f, "ready", SIGINT), "run");
	CHECK(exited(&f.r, 128 + SIGTERM), "SIGINT was forwarded (or SIGTERM was not)");
	CHECK(fx_all_gone(&f), "leftovers or strays");
	rc = 0;
out:
	front_stdin = -1;
	second_sig = 0;
	if (slave >= 0)
		close(slave);
	if (master >= 0)
		close(master);
	fx_done(&f);
	return rc;
}

static void extra_rmtree_all(struct entry *en, const struct box *b, const char *arg)
{
	(void)b;
	en_op(en, ZOO_RR_RMTREE_ALL, ZOO_PHASE_TEARDOWN, 0, NULL, arg, NULL);
}

/* RMTREE_ALL: a nested tree with symlinks out of it goes; what they point
 * to stays. A mount inside (a bind mount from the same file system, which
 * st_dev alone would miss) fails it and is left with what it shows. */
static int t_rmtree_all(void)
{
	struct fixture f;
	char tree[128], outside[128], p[320], want[1024], text[64];
	struct box_opts o = { .script = "exit 0", .no_lock = true, .extra = extra_rmtree_all, .extra_arg = tree };
	int rc = -1, mounted = 0;

	snprintf(tree, sizeof tree, "%s/tree", dir);
	snprintf(outside, sizeof outside, "%s/outside", dir);
	fx_init(&f, "rmtree");
	CHECK(mkdir(outside, 0755) == 0 && mkdir(tree, 0755) == 0, "mkdir");
	snprintf(p, sizeof p, "%s/keep", outside);
	CHECK(put_file(p, "kept") == 0, "keep");
	snprintf(p, sizeof p, "%s/a/b/c", tree);
	CHECK(mkdir(strcat(strcpy(want, tree), "/a"), 0755) == 0 && mkdir(strcat(want, "/b"), 0755) == 0 &&
		      mkdir(p, 0700) == 0,
	      "nested");
	CHECK(put_file(strcat(p, "/file"), "x") == 0, "file");
	snprintf(p, sizeof p, "%s/a/to-dir", tree);
	CHECK(symlink(outside, p) == 0, "symlink to a dir");
	snprintf(p, sizeof p, "%s/a/b/to-file", tree);
	snprintf(want, sizeof want, "%s/keep", outside);
	CHECK(symlink(want, p) == 0, "symlink to a file");
	snprintf(p, sizeof p, "%s/a/b/fifo", tree);
	CHECK(mkfifo(p, 0600) == 0, "fifo");
	snprintf(p, sizeof p, "%s/top", tree);
	CHECK(put_file(p, "y") == 0, "top file");

	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 0), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(!exists(tree), "%s still there", tree);
	snprintf(p, sizeof p, "%s/keep", outside);
	CHECK(read_text(p, text, sizeof text) == 0 && strcmp(text, "kept") == 0, "the symlinks' target: %s", text);
	CHECK(box_gone(&f.b, false), "leftovers");

	/* Again, with outside bound onto tree/m/mnt. */
	snprintf(p, sizeof p, "%s/m/mnt", tree);
	CHECK(mkdir(tree, 0755) == 0 && mkdir(strcat(strcpy(want, tree), "/m"), 0755) == 0 && mkdir(p, 0755) == 0,
	      "mkdir");
	CHECK(mount(outside, p, NULL, MS_BIND, NULL) == 0, "bind mount: %s", strerror(errno));
	mounted = 1;
	snprintf(want, sizeof want, "%s/other", tree);
	CHECK(put_file(want, "z") == 0, "other");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 0), "exit code");
	/* EBUSY: glibc and musl word it differently. */
	snprintf(want, sizeof want, "run cache: hit %s\nzoo-runtime: delete %s: remove %s: ", f.en.path, f.b.id, tree);
	CHECK(strncmp(f.r.err, want, strlen(want)) == 0 && strstr(f.r.err, "esource busy\n"), "stderr %s", f.r.err);
	snprintf(want, sizeof want, "%s/keep", p);
	CHECK(read_text(want, text, sizeof text) == 0 && strcmp(text, "kept") == 0, "through the mount: %s", text);
	snprintf(want, sizeof want, "%s/other", tree);
	CHECK(!exists(want), "the rest of the tree stays");
	rc = 0;
out:
	if (mounted)
		(void)umount2(p, MNT_DETACH);
	snprintf(want, sizeof want, "rm -rf %s %s", tree, outside);
	if (system(want) != 0)
		fprintf(stderr, "# %s failed\n", want);
	fx_done(&f);
	return rc;
}

static void extra_oom(struct entry *en, const struct box *b, const char *arg)
{
	char path[256];

	(void)b;
	snprintf(path, sizeof path, "%s/events-v2", arg);
	en_op(en, ZOO_RR_OOM_NOTE, ZOO_PHASE_TEARDOWN, 0, NULL, path, "zoo: the container " ID_MARK " ran out of memory\n");
	snprintf(path, sizeof path, "%s/oom-control-v1", arg);
	en_op(en, ZOO_RR_OOM_NOTE, ZOO_PHASE_TEARDOWN, 0, NULL, path, "not this one\n");
	snprintf(path, sizeof path, "%s/missing", arg);
	en_op(en, ZOO_RR_OOM_NOTE, ZOO_PHASE_TEARDOWN, 0, NULL, path, "nor this one\n");
}

/* A NETLINK op: the request and its (offset, kind) site pairs. */
static void en_netlink(struct entry *en, uint32_t phase, uint32_t where, uint32_t protocol, uint32_t ok_errno,
		       const uint32_t expect[2], const void *msg, uint32_t len, const uint32_t *sites, uint32_t nsites)
{
	pe_begin(&en->e, ZOO_RR_NETLINK);
	pe_u32(&en->e, phase);
	pe_u32(&en->e, where);
	pe_u32(&en->e, protocol);
	pe_u32(&en->e, ok_errno);
	pe_u32(&en->e, expect ? expect[0] : 0);
	pe_u32(&en->e, expect ? expect[1] : 0);
	pe_blob(&en->e, msg, len);
	pe_u32(&en->e, nsites * 8);
	for (uint32_t i = 0; i < 2 * nsites; i++)
		pe_u32(&en->e, sites[i]);
	pe_end(&en->e);
}

/* RTM_NEWLINK for ifindex `index`, IFF_UP set (or cleared), asking for an ACK;
 * the seq and pid fields hold junk the front door must overwrite. */
static void link_msg(uint8_t m[32], int32_t index, bool up)
{
	struct nlmsghdr h = { .nlmsg_len = 32, .nlmsg_type = RTM_NEWLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			      .nlmsg_seq = 777, .nlmsg_pid = 12345 };
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = up ? IFF_UP : 0,
			       .ifi_change = IFF_UP };

	memcpy(m, &h, sizeof h);
	memcpy(m + sizeof h, &i, sizeof i);
}

static void extra_netlink(struct entry *en, const struct box *b, const char *arg)
{
	uint8_t m[32];

	(void)b;
	/* lo is 1 in every namespace; "missing" asks for a link that is not there. */
	link_msg(m, strcmp(arg, "missing") == 0 ? 4242 : 1, true);
	en_netlink(en, ZOO_PHASE_CHILD, ZOO_NL_CONTAINER, NETLINK_ROUTE, 0, NULL, m, sizeof m, NULL, 0);
}

/* NETLINK: sent in the container's namespace (its lo comes up, ours is not
 * touched); a request the kernel refuses is a fallback with nothing left. */
static int t_netlink(void)
{
	struct fixture f;
	struct box_opts o = { .script = "cat /sys/class/net/lo/flags 2>/dev/null || ip -o link show lo; exit 3",
			      .no_lock = true, .newnet = true, .extra = extra_netlink, .extra_arg = "lo" };
	int rc = -1;

	fx_init(&f, "netlink");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 3), "exit code");
	CHECK(strstr(f.r.out, "LOOPBACK,UP") != NULL, "lo is not up inside: %s", f.r.out);
	CHECK(box_gone(&f.b, false), "leftovers");
	fx_done(&f);

	o.extra_arg = "missing";
	fx_init(&f, "netlink-bad");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(fx_fell_back(&f), "a refused request falls back");
	CHECK(strstr(f.r.err, "netlink request in the container's network namespace") != NULL, "why: %s", f.r.err);
	CHECK(fx_undone(&f), "undone");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* OOM_NOTE: "oom_kill 1" says it; "oom_kill 0" after "oom_kill_disable 1" does not, nor a missing file. */
static int t_oom_note(void)
{
	struct fixture f;
	struct box_opts o = { .script = "exit 137", .no_lock = true, .extra = extra_oom, .extra_arg = dir };
	char p[256], want[512];
	int rc = -1;

	fx_init(&f, "oom");
	snprintf(p, sizeof p, "%s/events-v2", dir);
	CHECK(put_file(p, "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n") == 0, "events");
	snprintf(p, sizeof p, "%s/oom-control-v1", dir);
	CHECK(put_file(p, "oom_kill_disable 1\nunder_oom 0\noom_kill 0\n") == 0, "oom_control");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 137), "exit code");
	snprintf(want, sizeof want, "run cache: hit %s\nzoo: the container %s ran out of memory\n", f.en.path, f.b.id);
	CHECK(strcmp(f.r.err, want) == 0, "stderr %s", f.r.err);
	CHECK(box_gone(&f.b, false), "leftovers");
	rc = 0;
out:
	snprintf(p, sizeof p, "%s/events-v2", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/oom-control-v1", dir);
	unlink(p);
	fx_done(&f);
	return rc;
}

static void extra_undo(struct entry *en, const struct box *b, const char *arg)
{
	char path[256];

	(void)b;
	(void)arg;
	snprintf(path, sizeof path, "%s/ctr." ID_MARK "/sub", dir);
	en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0700, 0 }, path, NULL);
	snprintf(path, sizeof path, "%s/ctr." ID_MARK "/sub/config.json", dir);
	en_op(en, ZOO_RR_REPLACE, ZOO_PHASE_PREPARE, 1, (uint32_t[]){ 0600 }, path, "{}");
	snprintf(path, sizeof path, "%s/ctr." ID_MARK "/fifo", dir);
	en_op(en, ZOO_RR_MKFIFO, ZOO_PHASE_PREPARE, 1, (uint32_t[]){ 0600 }, path, NULL);
}

/* A forced failure (the command is not there, after the shim made
 * directories and a file in the container directory): the undo leaves no
 * file and no directory of the run, the shim's included. */
static int t_undo_all(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .script = "true", .exec_path = "/bin/not-there", .ctr = true,
			      .extra = extra_undo };
	int rc = -1;

	fx_init_engine(&f, "undo");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(strstr(f.r.err, "run cache: fallback (zoo-shim: exec") && strstr(f.r.err, "/bin/not-there: No such file"),
	      "stderr %s", f.r.err);
	CHECK(!exists(f.b.pidfile), "the pid file REPLACE wrote is still there");
	CHECK(fx_undone(&f), "leftovers");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* ---- D-Bus: messages as the spec marshals them, and a fake bus ---- */

struct dmsg {
	uint8_t b[2048];
	size_t n;
	bool big;
};

static void dm_pad(struct dmsg *m, size_t a)
{
	while (m->n % a)
		m->b[m->n++] = 0;
}

static void dm_u32(struct dmsg *m, uint32_t v)
{
	dm_pad(m, 4);
	for (int i = 0; i < 4; i++)
		m->b[m->n++] = (uint8_t)(m->big ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void dm_str(struct dmsg *m, const char *s)
{
	dm_u32(m, (uint32_t)strlen(s));
	memcpy(m->b + m->n, s, strlen(s) + 1);
	m->n += strlen(s) + 1;
}

static void dm_sig(struct dmsg *m, const char *s)
{
	m->b[m->n++] = (uint8_t)strlen(s);
	memcpy(m->b + m->n, s, strlen(s) + 1);
	m->n += strlen(s) + 1;
}

/* A header field: a struct (code, variant of one basic type). */
static void dm_field(struct dmsg *m, uint8_t code, char type, const char *s, uint32_t u)
{
	char sig[2] = { type, '\0' };

	dm_pad(m, 8);
	m->b[m->n++] = code;
	dm_sig(m, sig);
	if (type == 'u')
		dm_u32(m, u);
	else if (type == 'g')
		dm_sig(m, s);
	else
		dm_str(m, s);
}

struct dhdr {
	bool big;
	uint8_t type, flags;
	uint32_t serial, reply_serial;
	const char *path, *iface, *member, *errname, *dest, *sig;
	bool odd_field; /* one with a code no client knows and a "(ai)" value: skipped by its signature */
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A whole message into out; the body was marshalled from its offset 0 in
 * the same byte order (the body starts 8-aligned, so alignment agrees). */
static size_t dbus_message(uint8_t *out, const struct dhdr *h, const struct dmsg *body)
{
	struct dmsg m = { .big = h->big };
	size_t fields, end;

	m.b[0] = h->big ? 'B' : 'l';
	m.b[1] = h->type;
	m.b[2] = h->flags;
	m.b[3] = 1;
	m.n = 16;
	if (h->path)
		dm_field(&m, 1, 'o', h->path, 0);
	if (h->iface)
		dm_field(&m, 2, 's', h->iface, 0);
	if (h->odd_field) {
		dm_pad(&m, 8);
		m.b[m.n++] = 200;
		dm_sig(&m, "(ai)");
		dm_pad(&m, 8);
		dm_u32(&m, 8);
		dm_u32(&m, 1);
		dm_u32(&m, 2);
	}
	if (h->member)
		dm_field(&m, 3, 's', h->member, 0);
	if (h->errname)
		dm_field(&m, 4, 's', h->errname, 0);
	if (h->reply_serial)
		dm_field(&m, 5, 'u', NULL, h->reply_serial);
	if (h->dest)
		dm_field(&m, 6, 's', h->dest, 0);
	if (h->sig && *h->sig)
		dm_field(&m, 8, 'g', h->sig, 0);
	fields = m.n - 16;
	dm_pad(&m, 8);
	memcpy(m.b + m.n, body->b, body->n);
	m.n += body->n;
	end = m.n;
	m.n = 4;
	dm_u32(&m, (uint32_t)body->n);
	dm_u32(&m, h->serial);
	dm_u32(&m, (uint32_t)fields);
	memcpy(out, m.b, end);
	return end;
}

#define STAND_SHORT "SSSSSSSSSSSS"
#define STAND_ID "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"

/* What a `zoo run` under systemd sends, with stand-ins at the sites: Hello,
 * then a StartTransientUnit look-alike (unit name with the short ID, mode,
 * our pid in an array, a description with the ID), big-endian if `big`.
 * Sites into `sites`. */
static size_t bus_calls_in(uint8_t *out, uint8_t *sites, size_t *sites_len, size_t *pid_off, bool big)
{
	struct dmsg none = { .big = false }, body = { .big = big };
	struct dhdr hello = { .type = 1, .serial = 1, .path = "/org/freedesktop/DBus", .iface = "org.freedesktop.DBus",
			      .member = "Hello", .dest = "org.freedesktop.DBus" };
	struct dhdr start = { .big = big, .type = 1, .serial = 2, .path = "/org/freedesktop/systemd1",
			      .iface = "org.freedesktop.systemd1.Manager", .member = "StartTransientUnit",
			      .dest = "org.freedesktop.systemd1", .sig = "ssaus" };
	const struct { const char *text; size_t len; uint32_t kind; } stand[] = {
		{ STAND_SHORT, 12, ZOO_SITE_ID_SHORT },
		{ STAND_ID, 64, ZOO_SITE_ID },
		{ "\xee\xee\xee\xee", 4, ZOO_SITE_SELF_PID },
	};
	size_t n;

	n = dbus_message(out, &hello, &none);
	dm_str(&body, "zoo-" STAND_SHORT ".scope");
	dm_str(&body, "fail");
	dm_u32(&body, 4); /* the array's length in bytes: one pid */
	dm_u32(&body, 0xeeeeeeee);
	dm_str(&body, "zoo " STAND_ID);
	n += dbus_message(out + n, &start, &body);
	*sites_len = 0;
	for (size_t i = 0; i < sizeof stand / sizeof stand[0]; i++) {
		uint8_t *p = memmem(out, n, stand[i].text, stand[i].len);
		uint32_t pair[2] = { (uint32_t)(p - out), stand[i].kind };

		memcpy(sites + *sites_len, pair, sizeof pair);
		*sites_len += sizeof pair;
		if (stand[i].kind == ZOO_SITE_SELF_PID)
			*pid_off = (size_t)(p - out);
	}
	return n;
}

static size_t bus_calls(uint8_t *out, uint8_t *sites, size_t *sites_len, size_t *pid_off)
{
	return bus_calls_in(out, sites, sites_len, pid_off, false);
}

struct bus {
	pid_t pid;
	char sock[108], got[160], auth[160]; /* sock: a sun_path */
	const char *fail_member; /* the call naming it gets an ERROR */
	const char *scope_base; /* as systemd: after the reply, the pid at pid_off moves to <scope_base><unit name> */
	size_t pid_off;
};

/* 1: n bytes; 0: EOF before any; -1: otherwise. */
static int read_exact(int fd, void *p, size_t n)
{
	size_t k = 0;

	while (k < n) {
		ssize_t r = read(fd, (uint8_t *)p + k, n - k);

		if (r == 0)
			return k == 0 ? 0 : -1;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		k += (size_t)r;
	}
	return 1;
}

static int append_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		return -1;
	return close(fd);
}

static int send_msg(int fd, const struct dhdr *h, const char *arg)
{
	struct dmsg body = { .big = h->big };
	uint8_t out[4096];
	size_t n;

	if (arg)
		dm_str(&body, arg);
	n = dbus_message(out, h, &body);
	return write(fd, out, n) == (ssize_t)n ? 0 : -1;
}

/* After the reply to the call holding the pid: what systemd's job does a
 * little later, so the front door has to wait for it. */
static void bus_move(const struct bus *b, const uint8_t *msg, size_t total, size_t pid_at)
{
	char path[320], pid[16];
	const uint8_t *unit = memmem(msg, total, "zoo-", 4);

	if (!unit || (size_t)(msg + total - unit) < 22)
		_exit(8);
	usleep(30000);
	snprintf(path, sizeof path, "%s%.22s", b->scope_base, (const char *)unit);
	if (mkdir(path, 0755) < 0)
		_exit(9);
	snprintf(path + strlen(path), sizeof path - strlen(path), "/cgroup.procs");
	snprintf(pid, sizeof pid, "%u", le32(msg + pid_at));
	if (put_file(path, pid) < 0)
		_exit(10);
}

/* The fake bus: one connection. The auth line and every message it gets
 * go to files; each call gets a signal first, a reply to some other call,
 * then its own reply (or an ERROR), in alternating byte orders. */
static __attribute__((noreturn)) void bus_serve(int lfd, const struct bus *b)
{
	static const char ok[] = "OK 0123456789abcdef0123456789abcdef\r\n";
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	uint8_t msg[8192];
	size_t n = 0, off = 0;
	int c = -1, idx = 0;

	if (poll(&p, 1, T_RUN * time_scale) <= 0 || (c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		_exit(3);
	while (n < 2 || memcmp(msg + n - 2, "\r\n", 2) != 0) {
		if (n >= 256 || read_exact(c, msg + n, 1) != 1)
			_exit(4);
		n++;
	}
	if (append_file(b->auth, msg, n) < 0 || write(c, ok, sizeof ok - 1) != (ssize_t)(sizeof ok - 1) ||
	    read_exact(c, msg, 7) != 1 || memcmp(msg, "BEGIN\r\n", 7) != 0)
		_exit(5);
	for (;;) {
		int r = read_exact(c, msg, 16);
		size_t total;
		uint32_t serial;

		if (r == 0)
			break;
		total = 16 + ((le32(msg + 12) + 7) & ~7u) + le32(msg + 4);
		if (r < 0 || msg[0] != 'l' || total > sizeof msg || read_exact(c, msg + 16, total - 16) != 1 ||
		    append_file(b->got, msg, total) < 0)
			_exit(6);
		serial = le32(msg + 8);
		struct dhdr sig = { .type = 4, .flags = 1, .serial = 100 + (uint32_t)idx, .path = "/org/freedesktop/DBus",
				    .iface = "org.freedesktop.DBus", .member = "NameAcquired", .sig = "s",
				    .odd_field = true };
		struct dhdr other = { .big = true, .type = 2, .serial = 200 + (uint32_t)idx, .reply_serial = serial + 1000,
				      .sig = "s" };
		struct dhdr reply = { .big = idx % 2 == 1, .type = 2, .serial = 300 + (uint32_t)idx,
				      .reply_serial = serial, .sig = "s" };
		struct dhdr error = { .big = true, .type = 3, .serial = 300 + (uint32_t)idx, .reply_serial = serial,
				      .errname = "org.freedesktop.systemd1.UnitExists", .sig = "s" };
		bool fail = b->fail_member && memmem(msg, total, b->fail_member, strlen(b->fail_member));

		if (send_msg(c, &sig, ":1.42") < 0 || send_msg(c, &other, "not yours") < 0 ||
		    send_msg(c, fail ? &error : &reply, fail ? "Unit zoo-x.scope already exists." : ":1.42") < 0)
			_exit(7);
		if (b->scope_base && b->pid_off >= off && b->pid_off < off + total)
			bus_move(b, msg, total, b->pid_off - off);
		off += total;
		idx++;
	}
	_exit(0);
}

/* Its paths, for the entry: written before the bus starts, which needs the entry's pid_off. */
static void bus_init(struct bus *b)
{
	memset(b, 0, sizeof *b);
	snprintf(b->sock, sizeof b->sock, "%s/bus.sock", dir);
	snprintf(b->got, sizeof b->got, "%s/bus.got", dir);
	snprintf(b->auth, sizeof b->auth, "%s/bus.auth", dir);
	unlink(b->sock);
	unlink(b->got);
	unlink(b->auth);
}

static int bus_start(struct bus *b)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int lfd;

	snprintf(a.sun_path, sizeof a.sun_path, "%s", b->sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4) < 0)
		return -1;
	b->pid = fork();
	if (b->pid == 0)
		bus_serve(lfd, b);
	close(lfd);
	return b->pid > 0 ? 0 : -1;
}

/* The fake bus's exit code once the front door hung up (killed if it does not end). */
static int bus_wait(struct bus *b)
{
	int st = 0;
	long waited = 0;

	if (b->pid <= 0)
		return -1;
	while (waitpid(b->pid, &st, WNOHANG) == 0) {
		if (waited > (long)T_RUN * time_scale) {
			kill(b->pid, SIGKILL);
			waitpid(b->pid, &st, 0);
			break;
		}
		usleep(5000);
		waited += 5;
	}
	b->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void bus_done(struct bus *b)
{
	if (b->pid > 0) {
		kill(b->pid, SIGKILL);
		waitpid(b->pid, NULL, 0);
		b->pid = 0;
	}
	unlink(b->sock);
	unlink(b->got);
	unlink(b->auth);
}

static struct bus the_bus;
static char scope_base[160]; /* <cgroup v2>/zoo-front-dbus-<pid>. : the fake systemd's scopes */

/* The DBUS op; arg "scope": then what zoo run does after it: wait for the
 * move, make the leaf `supervisor` (KEEP) and put ourselves (F) in it. */
static void extra_dbus(struct entry *en, const struct box *b, const char *arg)
{
	uint8_t msgs[4096], sites[64];
	size_t n, sites_len;
	char path[320];

	(void)b;
	n = bus_calls(msgs, sites, &sites_len, &the_bus.pid_off);
	pe_begin(&en->e, ZOO_RR_DBUS);
	pe_u32(&en->e, ZOO_PHASE_PREPARE);
	pe_str(&en->e, the_bus.sock);
	pe_blob(&en->e, msgs, (uint32_t)n);
	pe_blob(&en->e, sites, (uint32_t)sites_len);
	pe_end(&en->e);
	if (!arg || strcmp(arg, "scope") != 0)
		return;
	pe_begin(&en->e, ZOO_RR_AWAIT_CGROUP);
	pe_u32(&en->e, ZOO_PHASE_PREPARE);
	pe_u32(&en->e, 5000);
	snprintf(path, sizeof path, "%szoo-\x01i.scope", strrchr(scope_base, '/') + 1);
	pe_str(&en->e, path);
	pe_end(&en->e);
	snprintf(path, sizeof path, "%szoo-\x01i.scope/supervisor", scope_base);
	en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0755, ZOO_RMKDIR_KEEP }, path, NULL);
	strcat(path, "/cgroup.procs");
	en_op(en, ZOO_RR_WRITE, ZOO_PHASE_PREPARE, 0, NULL, path, "\x01" "F");
}

/* Removes the fake systemd's scopes (the front door has left them). */
static void scopes_cleanup(void)
{
	char cmd[512];

	for (int i = 0; i < 100; i++) {
		snprintf(cmd, sizeof cmd, "rmdir %s*/supervisor %s* 2>/dev/null", scope_base, scope_base);
		if (system(cmd) == 0)
			return;
		usleep(10000);
	}
}

/* DBUS on a fake bus that moves us like systemd: auth as uid 0, both calls
 * with their sites filled (the short ID, the ID, our pid), a signal and a
 * reply to another call passed over, replies in both byte orders; then
 * AWAIT_CGROUP sees the move, the KEEP leaf gets us (F), the container
 * runs in it. */
static int t_dbus(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .script = "hostname; grep '^0::' /proc/self/cgroup; exit 6",
			      .extra = extra_dbus, .extra_arg = "scope" };
	uint8_t tmpl[4096], sites[64], got[8192];
	size_t n, sites_len, pid_off, got_len = 0;
	char want[512], host[16] = "", auth[64], path[320];
	int rc = -1, fd;
	ssize_t k;

	fx_init_engine(&f, "dbus");
	bus_init(&the_bus);
	the_bus.scope_base = scope_base;
	CHECK(fx_entry(&f, &o), "write");
	CHECK(bus_start(&the_bus) == 0, "the fake bus: %s", strerror(errno));
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(bus_wait(&the_bus) == 0, "the fake bus failed");
	CHECK(exited(&f.r, 6), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(sscanf(f.r.out, "%15s", host) == 1 && strlen(host) == 12 && is_hex(host, 12), "hostname: %s", f.r.out);
	snprintf(want, sizeof want, "%s\n0::/%szoo-%s.scope/supervisor\n", host, strrchr(scope_base, '/') + 1, host);
	CHECK(strcmp(f.r.out, want) == 0, "stdout %s, wanted %s", f.r.out, want);
	/* What the bus got: the template, its sites filled with this run's values. */
	CHECK(read_text(the_bus.auth, auth, sizeof auth) == 0 && memcmp(auth, "\0AUTH EXTERNAL 30\r\n", 19) == 0,
	      "auth line %s", auth + 1);
	fd = open(the_bus.got, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "%s: %s", the_bus.got, strerror(errno));
	k = read(fd, got, sizeof got);
	close(fd);
	got_len = k > 0 ? (size_t)k : 0;
	n = bus_calls(tmpl, sites, &sites_len, &pid_off);
	CHECK(got_len == n, "the bus got %zu bytes, not %zu", got_len, n);
	for (size_t i = 0; i < sites_len; i += 8) {
		uint32_t off = le32(sites + i), kind = le32(sites + i + 4);
		size_t len = kind == ZOO_SITE_ID ? 64 : kind == ZOO_SITE_ID_SHORT ? 12 : 4;

		if (kind == ZOO_SITE_ID)
			CHECK(memcmp(got + off, host, 12) == 0 && is_hex((char *)got + off, 64), "ID site: %.64s",
			      (char *)got + off);
		else if (kind == ZOO_SITE_ID_SHORT)
			CHECK(memcmp(got + off, host, 12) == 0, "short-ID site: %.12s", (char *)got + off);
		else
			CHECK(le32(got + off) == (uint32_t)last_front, "pid site %u, the front door %d", le32(got + off),
			      (int)last_front);
		memcpy(tmpl + off, got + off, len);
	}
	CHECK(memcmp(tmpl, got, n) == 0, "bytes other than the sites differ");
	/* KEEP: the leaf stays after the run, for systemd to remove with the scope. */
	snprintf(path, sizeof path, "%szoo-%s.scope/supervisor", scope_base, host);
	CHECK(exists(path), "%s is gone", path);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	rc = 0;
out:
	bus_done(&the_bus);
	scopes_cleanup();
	fx_done(&f);
	return rc;
}

/* The bus answers the StartTransientUnit with an ERROR: a fallback that
 * names it, with nothing of the run left. */
static int t_dbus_error(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .script = "echo should-not-run", .extra = extra_dbus };
	char want[512];
	int rc = -1;

	fx_init_engine(&f, "dbus-error");
	bus_init(&the_bus);
	the_bus.fail_member = "StartTransientUnit";
	CHECK(fx_entry(&f, &o), "write");
	CHECK(bus_start(&the_bus) == 0, "the fake bus: %s", strerror(errno));
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(bus_wait(&the_bus) == 0, "the fake bus failed");
	snprintf(want, sizeof want,
		 "run cache: fallback (D-Bus calls on %s: org.freedesktop.systemd1.UnitExists: Unit zoo-x.scope already "
		 "exists.)\n",
		 the_bus.sock);
	CHECK(strstr(f.r.err, "run cache: hit ") && strstr(f.r.err, want), "stderr %s", f.r.err);
	CHECK(!strstr(f.r.out, "should-not-run"), "the command ran");
	CHECK(fx_undone(&f), "leftovers");
	/* No bus at all: a fallback too. */
	bus_done(&the_bus);
	CHECK(fx_fell_back(&f), "fallback");
	snprintf(want, sizeof want, "run cache: fallback (D-Bus calls on %s: No such file or directory)\n", the_bus.sock);
	CHECK(strstr(f.r.err, want), "stderr %s", f.r.err);
	CHECK(fx_undone(&f), "leftovers");
	rc = 0;
out:
	bus_done(&the_bus);
	fx_done(&f);
	return rc;
}

static void extra_await_keep(struct entry *en, const struct box *b, const char *arg)
{
	char path[256];

	(void)b;
	(void)arg;
	snprintf(path, sizeof path, "%s/kept", dir);
	en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0755, ZOO_RMKDIR_KEEP }, path, NULL);
	snprintf(path, sizeof path, "%s/plain", dir);
	en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0755, 0 }, path, NULL);
	pe_begin(&en->e, ZOO_RR_AWAIT_CGROUP);
	pe_u32(&en->e, ZOO_PHASE_PREPARE);
	pe_u32(&en->e, 50);
	pe_str(&en->e, "never-\x01i.scope");
	pe_end(&en->e);
}

/* AWAIT_CGROUP that never sees its suffix: ETIMEDOUT after its 50 ms, a
 * fallback; the undo leaves the KEEP directory and removes the plain one. */
static int t_await_keep(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .script = "echo should-not-run", .extra = extra_await_keep };
	char kept[128], plain[128], want[256];
	struct timespec t0, t1;
	long ms;
	int rc = -1;

	snprintf(kept, sizeof kept, "%s/kept", dir);
	snprintf(plain, sizeof plain, "%s/plain", dir);
	fx_init(&f, "await");
	CHECK(fx_entry(&f, &o), "write");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(fx_fell_back(&f), "fallback");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	snprintf(want, sizeof want, "run cache: fallback (wait for the cgroup never-%.12s.scope: ", f.b.id);
	CHECK(strstr(f.r.err, want) && strstr(f.r.err, "timed out)\n"), "stderr %s", f.r.err);
	CHECK(ms >= 50, "gave up after %ld ms", ms);
	CHECK(exists(kept), "the KEEP directory was removed");
	CHECK(!exists(plain), "the plain directory is still there");
	CHECK(fx_undone(&f), "leftovers");
	rc = 0;
out:
	rmdir(kept);
	rmdir(plain);
	fx_done(&f);
	return rc;
}

static void extra_self_pid(struct entry *en, const struct box *b, const char *arg)
{
	char self[256];

	en_op(en, ZOO_RR_REPLACE, ZOO_PHASE_PREPARE, 1, (uint32_t[]){ 0644 }, arg, "\x01" "F");
	/* In the state directory, the container's /state: it reads our stat while we run. */
	snprintf(self, sizeof self, "%s/self", b->t_state);
	en_op(en, ZOO_RR_REPLACE, ZOO_PHASE_PREPARE, 1, (uint32_t[]){ 0644 }, self, "\x01" "F \x01" "f");
	en_op(en, ZOO_RR_REPLACE, ZOO_PHASE_TEARDOWN, 1, (uint32_t[]){ 0644 }, arg, "front \x01" "F, shim \x01S");
}

/* The F marker: the front door's own pid, in PREPARE as in TEARDOWN; f its
 * start time, which the container (our pid namespace) reads from our stat. */
static int t_self_pid(void)
{
	struct fixture f;
	char file[128], text[64], want[64];
	struct box_opts o = { .script = "set -- $(cat /state/self); echo \"$1 $2\"; set -- $(cat /proc/$1/stat); "
					"echo \"${22}\"; exit 0",
			      .no_lock = true, .extra = extra_self_pid, .extra_arg = file };
	int rc = -1, shim_pid = 0, fpid = 0;
	char fstart[32] = "", stat22[32] = "";

	snprintf(file, sizeof file, "%s/front.pid", dir);
	fx_init(&f, "selfpid");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 0), "exit code");
	snprintf(want, sizeof want, "front %d, shim ", (int)last_front);
	CHECK(read_text(file, text, sizeof text) == 0 && strncmp(text, want, strlen(want)) == 0, "%s: %s, wanted %s",
	      file, text, want);
	shim_pid = atoi(text + strlen(want));
	CHECK(shim_pid > 0 && shim_pid != (int)last_front, "the shim's pid %d", shim_pid);
	CHECK(sscanf(f.r.out, "%d %31s\n%31s", &fpid, fstart, stat22) == 3, "stdout %s", f.r.out);
	CHECK(fpid == (int)last_front, "F in the state directory %d, front door %d", fpid, (int)last_front);
	CHECK(strcmp(fstart, stat22) == 0 && atoll(fstart) > 0, "f %s, field 22 of our stat %s", fstart, stat22);
	CHECK(box_gone(&f.b, false), "leftovers");
	rc = 0;
out:
	unlink(file);
	fx_done(&f);
	return rc;
}


/* ---- netlink requests as TypeScript builds them, with their sites ---- */

struct nlb {
	uint8_t b[512] __attribute__((aligned(4)));
	uint32_t n;
	uint32_t sites[16]; /* (offset, kind) pairs */
	uint32_t nsites;
	uint32_t nest[4];
	int depth;
	uint32_t expect[2]; /* the answer's u32 at [0] must be [1]; [0] 0: no check */
};

/* Header and family header (ifinfomsg or nfgenmsg); seq and port hold junk to be overwritten. */
static void nl_begin(struct nlb *m, uint16_t type, uint16_t flags, const void *fam, uint32_t famlen)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags,
			      .nlmsg_seq = 99, .nlmsg_pid = 4321 };

	memset(m, 0, sizeof *m);
	memcpy(m->b, &h, sizeof h);
	memcpy(m->b + sizeof h, fam, famlen);
	m->n = NLMSG_ALIGN(sizeof h + famlen);
}

/* An attribute; `kind` non-zero: its payload is a site of that kind. */
static void nl_attr(struct nlb *m, uint16_t type, const void *p, uint16_t len, uint32_t kind, uint32_t site_at)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	memcpy(m->b + m->n, &a, sizeof a);
	memcpy(m->b + m->n + NLA_HDRLEN, p, len);
	if (kind) {
		m->sites[2 * m->nsites] = m->n + NLA_HDRLEN + site_at;
		m->sites[2 * m->nsites + 1] = kind;
		m->nsites++;
	}
	m->n += NLA_ALIGN(a.nla_len);
}

static void nl_str(struct nlb *m, uint16_t type, const char *s)
{
	nl_attr(m, type, s, (uint16_t)(strlen(s) + 1), 0, 0);
}

/* A link name "<prefix><12 bytes of short ID>": the site fills them. */
static void nl_name_site(struct nlb *m, uint16_t type, const char *prefix)
{
	char name[IFNAMSIZ];

	snprintf(name, sizeof name, "%s%.12s", prefix, "############");
	nl_attr(m, type, name, (uint16_t)(strlen(name) + 1), ZOO_SITE_ID_SHORT, (uint32_t)strlen(prefix));
}

static void nl_nest(struct nlb *m, uint16_t type)
{
	struct nlattr a = { .nla_type = type };

	m->nest[m->depth++] = m->n;
	memcpy(m->b + m->n, &a, sizeof a);
	m->n += NLA_HDRLEN;
}

static void nl_end_nest(struct nlb *m)
{
	uint32_t at = m->nest[--m->depth];
	uint16_t len = (uint16_t)(m->n - at);

	memcpy(m->b + at, &len, sizeof len);
}

static void en_nl(struct entry *en, uint32_t phase, uint32_t where, uint32_t protocol, uint32_t ok_errno,
		  struct nlb *m)
{
	struct nlmsghdr h;

	memcpy(&h, m->b, sizeof h);
	h.nlmsg_len = m->n;
	memcpy(m->b, &h, sizeof h);
	en_netlink(en, phase, where, protocol, ok_errno, m->expect, m->b, m->n, m->sites, m->nsites);
}

static const struct ifinfomsg any_link = { .ifi_family = AF_UNSPEC };

static char big_link[IFNAMSIZ]; /* a bridge of the test's with 80 altnames of 123 characters */

/* A bridge with so many altnames that a GET's answer is over 8 KiB. */
static int make_big_link(void)
{
	char path[128], cmd[256];
	FILE *f;

	snprintf(big_link, sizeof big_link, "zb%d", getpid());
	snprintf(path, sizeof path, "%s/altnames", dir);
	if (!(f = fopen(path, "we")))
		return -1;
	fprintf(f, "link add %s type bridge\n", big_link);
	for (int i = 0; i < 80; i++)
		fprintf(f, "link property add dev %s altname %0120d%03d\n", big_link, 0, i);
	if (fclose(f) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, "PATH=$PATH:/usr/sbin:/sbin ip -batch %s", path);
	return system(cmd) == 0 ? 0 : -1;
}

static void drop_big_link(void)
{
	char cmd[96];

	snprintf(cmd, sizeof cmd, "PATH=$PATH:/usr/sbin:/sbin ip link del %s", big_link);
	if (big_link[0] && system(cmd) != 0)
		fprintf(stderr, "# %s failed\n", cmd);
	big_link[0] = '\0';
}

/* A bridge "zt<short ID>" made from our namespace in PREPARE and deleted in
 * TEARDOWN (twice: the second finds it gone, ENODEV, its ok errno); a GET of
 * it and of lo in CHILD, whose answers come before the ACKs. "strict": a
 * DELLINK of a missing link without the ok errno, which falls back. */
static void extra_nl_host(struct entry *en, const struct box *b, const char *arg)
{
	struct nlb m;

	(void)b;
	nl_begin(&m, RTM_DELLINK, 0, &any_link, sizeof any_link);
	nl_name_site(&m, IFLA_IFNAME, "zx");
	en_nl(en, ZOO_PHASE_PREPARE, ZOO_NL_HOST, NETLINK_ROUTE, strcmp(arg, "strict") == 0 ? 0 : ENODEV, &m);
	nl_begin(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &any_link, sizeof any_link);
	nl_name_site(&m, IFLA_IFNAME, "zt");
	nl_nest(&m, IFLA_LINKINFO);
	nl_str(&m, IFLA_INFO_KIND, "bridge");
	nl_end_nest(&m);
	en_nl(en, ZOO_PHASE_PREPARE, ZOO_NL_HOST, NETLINK_ROUTE, 0, &m);
	nl_begin(&m, RTM_GETLINK, 0, &any_link, sizeof any_link);
	nl_name_site(&m, IFLA_IFNAME, "zt");
	en_nl(en, ZOO_PHASE_CHILD, ZOO_NL_HOST, NETLINK_ROUTE, 0, &m);
	nl_begin(&m, RTM_GETLINK, 0, &any_link, sizeof any_link);
	nl_str(&m, IFLA_IFNAME, "lo");
	en_nl(en, ZOO_PHASE_CREATED, ZOO_NL_HOST, NETLINK_ROUTE, 0, &m);
	/* An answer bigger than 8 KiB (its altnames) before the ACK. */
	nl_begin(&m, RTM_GETLINK, 0, &any_link, sizeof any_link);
	nl_str(&m, IFLA_IFNAME, big_link);
	en_nl(en, ZOO_PHASE_CHILD, ZOO_NL_HOST, NETLINK_ROUTE, 0, &m);
	/* A dump (every link, the big one too, in several datagrams): no ACK, its DONE ends it. */
	nl_begin(&m, RTM_GETLINK, NLM_F_DUMP, &any_link, sizeof any_link);
	en_nl(en, ZOO_PHASE_CHILD, ZOO_NL_HOST, NETLINK_ROUTE, 0, &m);
	for (int i = 0; i < 2; i++) {
		nl_begin(&m, RTM_DELLINK, 0, &any_link, sizeof any_link);
		nl_name_site(&m, IFLA_IFNAME, "zt");
		en_nl(en, ZOO_PHASE_TEARDOWN, ZOO_NL_HOST, NETLINK_ROUTE, ENODEV, &m);
	}
}

static bool link_exists(const char *prefix, const char *shortid)
{
	char name[IFNAMSIZ + 8];

	snprintf(name, sizeof name, "%s%.12s", prefix, shortid);
	return if_nametoindex(name) != 0;
}

/* The host's links named "<prefix><12 characters>" (a short ID) when a test
 * starts, so that a failed one can remove the links its run left behind
 * (NETLINK has no undo) and no others. */
struct links {
	unsigned idx[256];
	int n;
};

static void links_of(struct links *l, const char *prefix)
{
	struct if_nameindex *all = if_nameindex();

	l->n = 0;
	for (struct if_nameindex *i = all; i && i->if_index && l->n < 256; i++)
		if (strncmp(i->if_name, prefix, strlen(prefix)) == 0 && strlen(i->if_name) == strlen(prefix) + 12)
			l->idx[l->n++] = i->if_index;
	if (all)
		if_freenameindex(all);
}

static void drop_new_links(const struct links *before, const char *prefix)
{
	struct links now;

	links_of(&now, prefix);
	for (int i = 0; i < now.n; i++) {
		bool old = false;
		char name[IF_NAMESIZE], cmd[96];

		for (int j = 0; j < before->n; j++)
			old = old || before->idx[j] == now.idx[i];
		if (old || !if_indextoname(now.idx[i], name))
			continue;
		fprintf(stderr, "#   removing %s, left behind\n", name);
		snprintf(cmd, sizeof cmd, "PATH=$PATH:/usr/sbin:/sbin ip link del %s", name);
		if (system(cmd) != 0)
			fprintf(stderr, "# %s failed\n", cmd);
	}
}

/* NETLINK from our namespace: a bridge named by an ID_SHORT site made,
 * found by GETs, deleted; ok errnos; without one a refusal falls back. */
static int t_netlink_host(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .script = "hostname; exit 6", .extra = extra_nl_host, .extra_arg = "" };
	char host[32] = "";
	int rc = -1;
	struct links before;

	links_of(&before, "zt");
	fx_init_engine(&f, "nlhost");
	CHECK(make_big_link() == 0, "ip -batch: a bridge with altnames");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 6), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(sscanf(f.r.out, "%31s", host) == 1 && strlen(host) == 12, "hostname %s", f.r.out);
	CHECK(!link_exists("zt", host), "zt%s is still there", host);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	fx_done(&f);

	o.extra_arg = "strict";
	fx_init_engine(&f, "nlhost-strict");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "a refused request falls back");
	CHECK(strstr(f.r.err, "run cache: fallback (netlink request in the host network namespace: No such device)"),
	      "stderr %s", f.r.err);
	CHECK(fx_undone(&f), "undone");
	rc = 0;
out:
	/* The big link first: glibc's if_nameindex stops at an answer that big. */
	drop_big_link();
	drop_new_links(&before, "zt");
	fx_done(&f);
	return rc;
}

/* A veth pair made from our namespace whose peer goes into the container's,
 * named by its pid (a CHILD_PID site in IFLA_NET_NS_PID). */
static void extra_nl_veth(struct entry *en, const struct box *b, const char *arg)
{
	struct nlb m;
	uint32_t pid = 0;

	(void)b;
	(void)arg;
	nl_begin(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &any_link, sizeof any_link);
	nl_name_site(&m, IFLA_IFNAME, "zv");
	nl_nest(&m, IFLA_LINKINFO);
	nl_str(&m, IFLA_INFO_KIND, "veth");
	nl_nest(&m, IFLA_INFO_DATA);
	nl_nest(&m, VETH_INFO_PEER);
	memcpy(m.b + m.n, &any_link, sizeof any_link);
	m.n += NLMSG_ALIGN(sizeof any_link);
	nl_str(&m, IFLA_IFNAME, "zoopeer0");
	nl_attr(&m, IFLA_NET_NS_PID, &pid, sizeof pid, ZOO_SITE_CHILD_PID, 0);
	nl_end_nest(&m);
	nl_end_nest(&m);
	nl_end_nest(&m);
	en_nl(en, ZOO_PHASE_CHILD, ZOO_NL_HOST, NETLINK_ROUTE, 0, &m);
	nl_begin(&m, RTM_DELLINK, 0, &any_link, sizeof any_link);
	nl_name_site(&m, IFLA_IFNAME, "zv");
	en_nl(en, ZOO_PHASE_TEARDOWN, ZOO_NL_HOST, NETLINK_ROUTE, ENODEV, &m);
}

static int t_netlink_child_pid(void)
{
	struct fixture f;
	struct box_opts o = { .newpid = true, .newnet = true, .script = "hostname; cat /proc/net/dev; exit 0",
			      .extra = extra_nl_veth };
	char host[32] = "";
	int rc = -1;
	struct links before;

	links_of(&before, "zv");
	fx_init_engine(&f, "nlveth");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 0), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(sscanf(f.r.out, "%31s", host) == 1 && strlen(host) == 12, "hostname %s", f.r.out);
	CHECK(strstr(f.r.out, "zoopeer0:"), "the peer is not in the container: %s", f.r.out);
	CHECK(!link_exists("zv", host), "zv%s is still there", host);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	rc = 0;
out:
	drop_new_links(&before, "zv");
	fx_done(&f);
	return rc;
}

/* NETLINK_NETFILTER: a GETTABLE of a table that is not there is ENOENT. */
static void extra_nl_nft(struct entry *en, const struct box *b, const char *arg)
{
	struct nfgenmsg g = { .nfgen_family = NFPROTO_INET, .version = NFNETLINK_V0 };
	struct nlb m;
	char table[64];

	(void)b;
	snprintf(table, sizeof table, "zoo-front-none-%d", getpid());
	nl_begin(&m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, 0, &g, sizeof g);
	nl_str(&m, NFTA_TABLE_NAME, table);
	en_nl(en, ZOO_PHASE_PREPARE, ZOO_NL_HOST, NETLINK_NETFILTER, (uint32_t)atoi(arg), &m);
}

/* The entry `extra` writes with `hit_arg` is a hit (exit 0, nothing left);
 * with `miss_arg` a fallback whose trace says `why`, everything undone. */
static int hit_then_fallback(const char *name, void (*extra)(struct entry *, const struct box *, const char *),
			     const char *hit_arg, const char *miss_arg,
			     const char *why)
{
	struct fixture f;
	char arg[32], name2[64];
	struct box_opts o = { .script = "exit 0", .extra = extra, .extra_arg = arg };
	int rc = -1;

	snprintf(arg, sizeof arg, "%s", hit_arg);
	fx_init(&f, name);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 0), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	fx_done(&f);

	snprintf(arg, sizeof arg, "%s", miss_arg);
	snprintf(name2, sizeof name2, "%s-fb", name);
	fx_init(&f, name2);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "no fallback");
	CHECK(strstr(f.r.err, why), "stderr %s", f.r.err);
	CHECK(fx_undone(&f), "undone");
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* GETTABLE of a missing table: ENOENT is success as the ok errno, else a fallback. */
static int t_netlink_netfilter(void)
{
	char ok[16];

	snprintf(ok, sizeof ok, "%d", ENOENT);
	return hit_then_fallback("nlnft", extra_nl_nft, ok, "0",
				 "run cache: fallback (netlink request in the host network namespace: No such file");
}

/* arg "N": a GETLINK of lo in the container whose answer must say ifindex N. */
static void extra_nl_expect(struct entry *en, const struct box *b, const char *arg)
{
	struct nlb m;

	(void)b;
	nl_begin(&m, RTM_GETLINK, 0, &any_link, sizeof any_link);
	nl_str(&m, IFLA_IFNAME, "lo");
	m.expect[0] = NLMSG_HDRLEN + offsetof(struct ifinfomsg, ifi_index);
	m.expect[1] = (uint32_t)atoi(arg);
	en_nl(en, ZOO_PHASE_CHILD, ZOO_NL_CONTAINER, NETLINK_ROUTE, 0, &m);
}

/* An answer other than the recorded one (an interface at another index) is a
 * fallback, before later requests are sent with the old index. */
static int t_netlink_expect(void)
{
	return hit_then_fallback("nlexpect", extra_nl_expect, "1", "2",
				 "run cache: fallback (netlink request in the container's network namespace: Stale file handle");
}

/* ---- LEASE and RELEASE: a bridge network's lease file ---- */

#define LEASE_CONTENT "F=\x01" "F f=\x01" "f P=\x01P I=\x01I\n"

struct lease_paths {
	char lock[128], ldir[128], file[256], t_file[256];
};

static void lease_paths(struct lease_paths *l, const char *id)
{
	snprintf(l->lock, sizeof l->lock, "%s/leases.lock", dir);
	snprintf(l->ldir, sizeof l->ldir, "%s/lease.d", dir);
	snprintf(l->file, sizeof l->file, "%s/%s.json", l->ldir, id);
	snprintf(l->t_file, sizeof l->t_file, "%s/" ID_MARK ".json", l->ldir);
}

static void en_lease(struct entry *en, uint16_t type, uint32_t phase, const struct lease_paths *l, const void *args,
		     uint32_t args_len)
{
	pe_begin(&en->e, type);
	pe_u32(&en->e, phase);
	pe_str(&en->e, l->lock);
	pe_str(&en->e, l->ldir);
	pe_str(&en->e, ID_MARK ".json");
	pe_str(&en->e, LEASE_CONTENT);
	pe_blob(&en->e, args, args_len);
	pe_end(&en->e);
}

/* arg: which ops follow the CHILD-phase LEASE. "keep": none (the lease
 * stays, the test reads it); "later": an op that fails; "changed": a WRITE
 * over the lease, then one that fails; "release": a RELEASE; "release
 * changed" / "release fail": the WRITE, then a RELEASE whose helper is
 * told "br0" / "fail". Every run also writes F to /state/fpid. */
static void extra_lease(struct entry *en, const struct box *b, const char *arg)
{
	struct lease_paths l;
	char fpid[256], args[512];
	int n;

	lease_paths(&l, "");
	snprintf(fpid, sizeof fpid, "%s/fpid", b->t_state);
	en_op(en, ZOO_RR_REPLACE, ZOO_PHASE_CHILD, 1, (uint32_t[]){ 0644 }, fpid, "\x01" "F");
	n = snprintf(args, sizeof args, "__zoo-release-lease%c%s%c" ID_MARK "%c%s", 0, strstr(arg, "fail") ? "fail" : "br0",
		     0, 0, l.lock);
	en_lease(en, ZOO_RR_LEASE, ZOO_PHASE_CHILD, &l, args, (uint32_t)n + 1);
	if (strstr(arg, "changed") || strstr(arg, "fail"))
		en_op(en, ZOO_RR_WRITE, ZOO_PHASE_CHILD, 0, NULL, l.t_file, "X");
	if (strcmp(arg, "later") == 0 || strcmp(arg, "changed") == 0)
		en_op(en, ZOO_RR_WRITE, ZOO_PHASE_CHILD, 0, NULL, "/nonexistent-zoo-front/x", "1");
	if (strncmp(arg, "release", 7) == 0)
		en_lease(en, ZOO_RR_RELEASE, ZOO_PHASE_TEARDOWN, &l, args, (uint32_t)n + 1);
}

#define LEASE_SCRIPT "p=$(cat /state/fpid); set -- $(cat /proc/$p/stat); echo \"$p ${22} $$\"; exit 7"

/* LEASE: the file with F, f, P and I filled, in a directory of mode 0700. */
static int t_lease(void)
{
	struct fixture f;
	struct box_opts o = { .script = LEASE_SCRIPT, .extra = extra_lease, .extra_arg = "keep" };
	struct lease_paths l;
	char text[256], want[256], start[32] = "";
	int rc = -1, fpid = 0, pid = 0;
	struct stat st;

	fx_init(&f, "lease");
	lease_paths(&l, f.b.id);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 7), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(sscanf(f.r.out, "%d %31s %d", &fpid, start, &pid) == 3 && fpid == (int)last_front, "stdout %s", f.r.out);
	snprintf(want, sizeof want, "F=%d f=%s P=%d I=%s\n", fpid, start, pid, f.b.id);
	CHECK(read_text(l.file, text, sizeof text) == 0 && strcmp(text, want) == 0, "%s holds %s, wanted %s", l.file,
	      text, want);
	CHECK(stat(l.ldir, &st) == 0 && (st.st_mode & 07777) == 0700, "%s: mode %o", l.ldir, st.st_mode);
	CHECK(count_in(l.ldir, "") == 1, "more than the lease in %s", l.ldir);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	rc = 0;
out:
	unlink(l.file);
	rmdir(l.ldir);
	unlink(l.lock);
	fx_done(&f);
	return rc;
}

/* LEASE on a network with neighbours (its directory exists): EEXIST, a
 * fallback, their directory untouched; a later failure gives the lease
 * back; a lease changed meanwhile is not ours to touch: the helper (the
 * stand-in here, which leaves it) gives it back as TypeScript would. */
static int t_lease_fallbacks(void)
{
	struct fixture f;
	struct box_opts o = { .script = LEASE_SCRIPT, .extra = extra_lease, .extra_arg = "keep" };
	struct lease_paths l;
	char p[256], text[512], want[512], helper[256];
	int rc = -1;
	struct stat st;

	snprintf(helper, sizeof helper, "%s/helper.out", dir);
	fx_init(&f, "lease-eexist");
	lease_paths(&l, f.b.id);
	snprintf(p, sizeof p, "%s/neighbour.json", l.ldir);
	CHECK(mkdir(l.ldir, 0755) == 0 && put_file(p, "theirs") == 0, "neighbour");
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(strstr(f.r.err, "run cache: fallback (lease in ") && strstr(f.r.err, ": File exists)"), "stderr %s",
	      f.r.err);
	CHECK(stat(l.ldir, &st) == 0 && (st.st_mode & 07777) == 0755, "their directory: mode %o", st.st_mode);
	CHECK(count_in(l.ldir, "") == 1 && read_text(p, text, sizeof text) == 0 && strcmp(text, "theirs") == 0,
	      "their directory changed");
	CHECK(fx_undone(&f), "undone");
	unlink(p);
	rmdir(l.ldir);
	fx_done(&f);

	o.extra_arg = "later";
	fx_init(&f, "lease-later");
	lease_paths(&l, f.b.id);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(strstr(f.r.err, "run cache: fallback (write /nonexistent-zoo-front/x"), "stderr %s", f.r.err);
	CHECK(!exists(l.file) && !exists(l.ldir), "the lease was not given back");
	CHECK(!exists(helper), "the helper ran for a lease still as written");
	CHECK(fx_undone(&f), "undone");
	fx_done(&f);

	o.extra_arg = "changed";
	fx_init(&f, "lease-changed");
	lease_paths(&l, f.b.id);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_fell_back(&f), "fallback");
	CHECK(read_text(l.file, text, sizeof text) == 0 && strncmp(text, "X=", 2) == 0, "the changed lease: %s", text);
	CHECK(count_in(l.ldir, "") == 1, "%s", l.ldir);
	/* A neighbour joined: the helper gives the lease back as TypeScript does, before the Bun path keeps our pid. */
	snprintf(want, sizeof want, "zoo-bun\n__zoo-release-lease\nbr0\n%s\n%s\nlock free\nfds: 0 1 2\n", f.b.id,
		 l.lock);
	CHECK(read_text(helper, text, sizeof text) == 0 && strcmp(text, want) == 0, "the helper got:\n%s#   wanted:\n%s",
	      text, want);
	CHECK(fx_undone(&f), "undone");
	rc = 0;
out:
	unlink(l.file);
	rmdir(l.ldir);
	unlink(l.lock);
	fx_done(&f);
	return rc;
}

/* RELEASE: an unchanged lease goes with its directory and no helper; a
 * changed one runs zoo-bun with the filled arguments, the lock free; a
 * failing helper is one teardown line, the exit code still the container's. */
static int t_release(void)
{
	struct fixture f;
	struct box_opts o = { .script = LEASE_SCRIPT, .extra = extra_lease, .extra_arg = "release" };
	struct lease_paths l;
	char p[256], text[1024], want[1024];
	int rc = -1;

	snprintf(p, sizeof p, "%s/helper.out", dir);
	fx_init(&f, "release");
	lease_paths(&l, f.b.id);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 7), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(!exists(l.file) && !exists(l.ldir), "the lease is still there");
	CHECK(!exists(p), "the helper ran");
	CHECK(fx_all_gone(&f), "leftovers or strays");
	fx_done(&f);

	o.extra_arg = "release changed";
	fx_init(&f, "release-changed");
	lease_paths(&l, f.b.id);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 7), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	snprintf(want, sizeof want, "zoo-bun\n__zoo-release-lease\nbr0\n%s\n%s\nlock free\nfds: 0 1 2\n", f.b.id,
		 l.lock);
	CHECK(read_text(p, text, sizeof text) == 0 && strcmp(text, want) == 0, "the helper got:\n%s#   wanted:\n%s", text,
	      want);
	CHECK(exists(l.file), "the changed lease is the helper's to remove");
	CHECK(fx_all_gone(&f), "leftovers or strays");
	unlink(l.file);
	rmdir(l.ldir);
	fx_done(&f);

	o.extra_arg = "release fail";
	fx_init(&f, "release-fail");
	lease_paths(&l, f.b.id);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 7), "exit code");
	snprintf(want, sizeof want, "run cache: hit %s\nzoo-runtime: delete %s: release the lease in %s: %s/zoo-bun exited with 3\n",
		 f.en.path, f.b.id, l.ldir, dir);
	CHECK(strcmp(f.r.err, want) == 0, "stderr %s#   wanted %s", f.r.err, want);
	CHECK(fx_all_gone(&f), "leftovers or strays");
	rc = 0;
out:
	unlink(p);
	unlink(l.file);
	rmdir(l.ldir);
	unlink(l.lock);
	fx_done(&f);
	return rc;
}

static void extra_invalid(struct entry *en, const struct box *b, const char *arg)
{
	uint8_t msgs[4096], sites[64];
	size_t n, sites_len, pid_off;
	int k = atoi(arg);

	(void)b;
	/* Case 6: the pid's message big-endian; the front door writes it little-endian. */
	n = bus_calls_in(msgs, sites, &sites_len, &pid_off, k == 6);
	if (k == 0) {
		en_op(en, ZOO_RR_MKDIR, ZOO_PHASE_PREPARE, 2, (uint32_t[]){ 0755, 4 }, "/nonexistent-zoo", NULL);
		return;
	}
	if (k == 1)
		memcpy(sites + 8, sites, 8); /* the short-ID site twice */
	if (k == 2)
		n -= 1; /* the last message cut short */
	pe_begin(&en->e, ZOO_RR_DBUS);
	pe_u32(&en->e, k == 3 ? ZOO_PHASE_CHILD : ZOO_PHASE_PREPARE);
	pe_str(&en->e, k == 4 ? "" : "/nonexistent-zoo");
	pe_blob(&en->e, msgs, (uint32_t)n);
	pe_blob(&en->e, sites, (uint32_t)(k == 5 ? sites_len - 4 : sites_len));
	pe_end(&en->e);
}

/* Entries with these ops wrong are invalid: misses, nothing done. */
static int t_dbus_invalid(void)
{
	static const char *const why[] = { "unknown mkdir flags", "D-Bus sites that overlap",
					   "a D-Bus message that is not a whole one",
					   "an op in a phase where it cannot run", "an empty socket path",
					   "D-Bus sites that are not (offset, kind) pairs",
					   "a pid site in a big-endian D-Bus message" };
	struct fixture f;
	char arg[16];
	struct box_opts o = { .script = "exit 0", .extra = extra_invalid, .extra_arg = arg };
	int rc = -1;

	fx_init_engine(&f, "dbus-invalid");
	for (int k = 0; k < 7; k++) {
		snprintf(arg, sizeof arg, "%d", k);
		CHECK(fx_entry(&f, &o), "write");
		CHECK(fx_fell_back(&f), "case %d", k);
		CHECK(strstr(f.r.err, "run cache: miss (invalid entry") && strstr(f.r.err, why[k]), "case %d: stderr %s", k,
		      f.r.err);
		CHECK(box_gone(&f.b, true), "case %d: leftovers", k);
		en_free(&f.en);
	}
	rc = 0;
out:
	fx_done(&f);
	return rc;
}


/* Bridge ops that are wrong, one per case: the entry is invalid. */
static void extra_bridge_invalid(struct entry *en, const struct box *b, const char *arg)
{
	static const char good_args[] = "__zoo-release-lease\0br0\0\x01I";
	int k = atoi(arg);
	struct lease_paths l;
	struct nlb m;

	(void)b;
	lease_paths(&l, "");
	nl_begin(&m, RTM_GETLINK, 0, &any_link, sizeof any_link);
	nl_name_site(&m, IFLA_IFNAME, "zt");
	switch (k) {
	case 0:
		en_nl(en, ZOO_PHASE_PREPARE, ZOO_NL_HOST, 5, 0, &m);
		return;
	case 1:
		en_nl(en, ZOO_PHASE_PREPARE, 2, NETLINK_ROUTE, 0, &m);
		return;
	case 2:
		en_nl(en, ZOO_PHASE_PREPARE, ZOO_NL_CONTAINER, NETLINK_ROUTE, 0, &m);
		return;
	case 3:
	case 4:
	case 5:
		if (k == 3)
			m.sites[1] = ZOO_SITE_CHILD_PID;
		if (k == 4)
			m.sites[1] = ZOO_SITE_TOKEN;
		if (k == 5)
			m.sites[0] = 8; /* over the header's seq */
		en_nl(en, k == 3 ? ZOO_PHASE_SPAWNED : ZOO_PHASE_CHILD, ZOO_NL_HOST, NETLINK_ROUTE, 0, &m);
		return;
	case 6:
		en_lease(en, ZOO_RR_LEASE, ZOO_PHASE_PREPARE, &l, NULL, 0);
		return;
	case 7:
		en_lease(en, ZOO_RR_RELEASE, ZOO_PHASE_CHILD, &l, good_args, sizeof good_args);
		return;
	case 8:
		en_lease(en, ZOO_RR_RELEASE, ZOO_PHASE_TEARDOWN, &l, good_args, sizeof good_args - 1);
		return;
	case 9:
		en_lease(en, ZOO_RR_RELEASE, ZOO_PHASE_TEARDOWN, &l, "a\0\0b", 5);
		return;
	case 10:
		en_lease(en, ZOO_RR_RELEASE, ZOO_PHASE_TEARDOWN, &l, "a\0\x01Z", 5);
		return;
	case 11:
		en_lease(en, ZOO_RR_RELEASE, ZOO_PHASE_TEARDOWN, &l, "", 0);
		return;
	}
	/* 12: a lease file name with a slash; 13: empty content. */
	pe_begin(&en->e, ZOO_RR_LEASE);
	pe_u32(&en->e, ZOO_PHASE_CHILD);
	pe_str(&en->e, l.lock);
	pe_str(&en->e, l.ldir);
	pe_str(&en->e, k == 12 ? "sub/" ID_MARK : ID_MARK);
	pe_str(&en->e, k == 12 ? "x" : "");
	pe_blob(&en->e, good_args, sizeof good_args);
	pe_end(&en->e);
}

static int t_bridge_invalid(void)
{
	static const char *const why[] = { "a netlink protocol other than route and netfilter",
					   "an unknown netlink namespace",
					   "an op in a phase where it cannot run",
					   "a container-pid site before the container exists",
					   "unknown netlink site kind",
					   "a netlink site past the message or in its header",
					   "an op in a phase where it cannot run",
					   "an op in a phase where it cannot run",
					   "helper arguments that are not NUL-terminated strings",
					   "an empty helper argument",
					   "an unknown marker",
					   "helper arguments that are not NUL-terminated strings",
					   "a lease file name that is not a name",
					   "an empty lease string" };
	struct fixture f;
	char arg[16];
	struct box_opts o = { .script = "exit 0", .extra = extra_bridge_invalid, .extra_arg = arg };
	int rc = -1;

	fx_init_engine(&f, "bridge-invalid");
	for (int k = 0; k < (int)(sizeof why / sizeof why[0]); k++) {
		snprintf(arg, sizeof arg, "%d", k);
		CHECK(fx_entry(&f, &o), "write");
		CHECK(fx_fell_back(&f), "case %d", k);
		CHECK(strstr(f.r.err, "run cache: miss (invalid entry") && strstr(f.r.err, why[k]), "case %d: stderr %s", k,
		      f.r.err);
		CHECK(box_gone(&f.b, true), "case %d: leftovers", k);
		en_free(&f.en);
	}
	rc = 0;
out:
	fx_done(&f);
	return rc;
}

/* ---- RMTREE_ALL: trees deeper and wider than a recursion could take ---- */

/* `levels` directories "d", one in the other under `top`, made step by step
 * (the path outgrows PATH_MAX); every `every` levels (0: none) a file and
 * symlinks to `outside` and to its file keep. The deepest holds a file.
 * The deepest's fd, or -1. */
static int make_chain(const char *top, int levels, int every, const char *outside)
{
	char target[256];
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), next, file;

	snprintf(target, sizeof target, "%s/keep", outside);
	for (int i = 0; fd >= 0 && i < levels; i++) {
		if (every && i % every == 0) {
			file = openat(fd, "file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (file < 0 || close(file) < 0 || symlinkat(outside, fd, "to-dir") < 0 ||
			    symlinkat(target, fd, "to-file") < 0)
				goto fail;
		}
		if (mkdirat(fd, "d", 0755) < 0)
			goto fail;
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -1;
	file = openat(fd, "last", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (file >= 0 && close(file) == 0)
		return fd;
fail:
	close(fd);
	return -1;
}

/* fx_run with the front door limited to `nofile` fds: the child run_front
 * forks lowers its limit with sh, which then execs the wrapper or the front
 * door. Not in a child of ours: under valgrind, a process cannot lower its
 * own limit (valgrind keeps its fds above the one it started with, and
 * asserts when it can no longer). */
static bool fx_run_nofile(struct fixture *f, int nofile)
{
	char limit[64], *argv[32], **saved = wrapper;
	int n = 0;
	bool ok;

	snprintf(limit, sizeof limit, "ulimit -n %d && exec \"$@\"", nofile);
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = limit;
	argv[n++] = "sh";
	for (char **w = saved; w && *w; w++)
		argv[n++] = *w;
	argv[n] = NULL;
	wrapper = argv;
	ok = fx_run(f, NULL, 0);
	wrapper = saved;
	return ok;
}

/* RMTREE_ALL: 5000 levels (a path twice PATH_MAX), with files and symlinks
 * out of it on the way, goes with 64 fds; what the symlinks point to stays. */
static int t_rmtree_all_deep(void)
{
	struct fixture f;
	char tree[128], outside[128], p[320], text[64];
	struct box_opts o = { .script = "exit 0", .no_lock = true, .extra = extra_rmtree_all, .extra_arg = tree };
	int rc = -1, fd;

	snprintf(tree, sizeof tree, "%s/deep", dir);
	snprintf(outside, sizeof outside, "%s/deep-outside", dir);
	fx_init(&f, "rmdeep");
	snprintf(p, sizeof p, "%s/keep", outside);
	CHECK(mkdir(outside, 0755) == 0 && put_file(p, "kept") == 0 && mkdir(tree, 0755) == 0, "mkdir");
	fd = make_chain(tree, 5000, 700, outside);
	CHECK(fd >= 0, "the chain: %s", strerror(errno));
	close(fd);
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run_nofile(&f, 64), "run with 64 fds");
	CHECK(exited(&f.r, 0), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(!exists(tree), "%s still there", tree);
	CHECK(read_text(p, text, sizeof text) == 0 && strcmp(text, "kept") == 0, "the symlinks' target: %s", text);
	CHECK(box_gone(&f.b, false), "leftovers");
	rc = 0;
out:
	snprintf(p, sizeof p, "rm -rf %s %s", tree, outside);
	if (system(p) != 0)
		fprintf(stderr, "# %s failed\n", p);
	fx_done(&f);
	return rc;
}

/* RMTREE_ALL: a directory of 4000 entries (files, symlinks out, empty
 * directories, and directories with a file and a directory in them). */
static int t_rmtree_all_wide(void)
{
	struct fixture f;
	char tree[128], outside[128], p[320], text[64];
	struct box_opts o = { .script = "exit 0", .no_lock = true, .extra = extra_rmtree_all, .extra_arg = tree };
	int rc = -1;

	snprintf(tree, sizeof tree, "%s/wide", dir);
	snprintf(outside, sizeof outside, "%s/wide-outside", dir);
	fx_init(&f, "rmwide");
	snprintf(p, sizeof p, "%s/keep", outside);
	CHECK(mkdir(outside, 0755) == 0 && put_file(p, "kept") == 0 && mkdir(tree, 0755) == 0, "mkdir");
	for (int i = 0; i < 1000; i++) {
		snprintf(p, sizeof p, "%s/file%d", tree, i);
		CHECK(put_file(p, "x") == 0, "%s", p);
		snprintf(p, sizeof p, "%s/link%d", tree, i);
		CHECK(symlink(i % 2 ? outside : strcat(strcpy(text, "../wide-outside"), "/keep"), p) == 0, "%s", p);
		snprintf(p, sizeof p, "%s/empty%d", tree, i);
		CHECK(mkdir(p, 0755) == 0, "%s", p);
		snprintf(p, sizeof p, "%s/full%d", tree, i);
		CHECK(mkdir(p, 0755) == 0 && put_file(strcat(p, "/f"), "y") == 0, "%s", p);
		snprintf(p, sizeof p, "%s/full%d/sub", tree, i);
		CHECK(mkdir(p, 0700) == 0, "%s", p);
	}
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 0), "exit code");
	CHECK(fx_said_hit(&f), "stderr %s", f.r.err);
	CHECK(!exists(tree), "%s still there", tree);
	snprintf(p, sizeof p, "%s/keep", outside);
	CHECK(read_text(p, text, sizeof text) == 0 && strcmp(text, "kept") == 0, "the symlinks' target: %s", text);
	CHECK(box_gone(&f.b, false), "leftovers");
	rc = 0;
out:
	snprintf(p, sizeof p, "rm -rf %s %s", tree, outside);
	if (system(p) != 0)
		fprintf(stderr, "# %s failed\n", p);
	fx_done(&f);
	return rc;
}

/* The stand-in for someone renaming things under the walk: at the first
 * open of the marked directory, `from` becomes `to`, and only then may the
 * open go on. 0 if it did. */
static int mover(int fan, const char *from, const char *to)
{
	struct fanotify_event_metadata ev;
	struct fanotify_response allow;
	int moved;

	if (read(fan, &ev, sizeof ev) != (ssize_t)sizeof ev || !(ev.mask & FAN_OPEN_PERM))
		return 1;
	moved = rename(from, to);
	allow = (struct fanotify_response){ .fd = ev.fd, .response = FAN_ALLOW };
	if (write(fan, &allow, sizeof allow) != (ssize_t)sizeof allow)
		return 1;
	close(ev.fd);
	return moved == 0 ? 0 : 1;
}

/* RMTREE_ALL: tree/d/d/d/d moves to jail/j0/.../j5/d while the walk is at
 * the bottom of tree/d/... (12 levels). Coming back up by "..", the walk
 * would reach j5, not tree/d/d/d, and empty j5, j4, j3 and j2 as if they
 * were that and its parents: it must stop there (ESTALE), each j's victim
 * file still there. The move happens at a set moment: the walk's open of
 * the deepest directory waits on a fanotify permission event for it. */
static int t_rmtree_all_moved(void)
{
	struct fixture f;
	char tree[128], jail[128], p[256], from[320], to[320], cmd[1024];
	struct box_opts o = { .script = "exit 0", .no_lock = true, .extra = extra_rmtree_all, .extra_arg = tree };
	int rc = -1, fan = -1, bottom = -1, st;
	pid_t pid = -1;

	snprintf(tree, sizeof tree, "%s/moved", dir);
	snprintf(jail, sizeof jail, "%s/jail", dir);
	fx_init(&f, "rmmoved");
	CHECK(mkdir(tree, 0755) == 0, "mkdir");
	CHECK(mkdir(jail, 0755) == 0, "mkdir");
	strcpy(p, jail);
	for (int i = 0; i < 6; i++) {
		snprintf(p + strlen(p), sizeof p - strlen(p), "/j%d", i);
		snprintf(from, sizeof from, "%s/victim", p);
		CHECK(mkdir(p, 0755) == 0 && put_file(from, "v") == 0, "%s", from);
	}
	snprintf(to, sizeof to, "%s/d", p);
	snprintf(from, sizeof from, "%s/d/d/d/d", tree);
	bottom = make_chain(tree, 12, 0, jail);
	CHECK(bottom >= 0, "the chain: %s", strerror(errno));
	fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC);
	if (fan < 0 && (errno == ENOSYS || errno == EPERM || errno == EINVAL)) {
		printf("# SKIP fanotify: %s\n", strerror(errno));
		rc = SKIP;
		goto out;
	}
	CHECK(fan >= 0, "fanotify_init: %s", strerror(errno));
	CHECK(fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_ONDIR, bottom, NULL) == 0, "fanotify_mark: %s",
	      strerror(errno));
	CHECK(fx_entry(&f, &o), "write");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		_exit(mover(fan, from, to));
	close(fan);
	fan = -1;
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(waitpid(pid, &st, 0) == pid, "wait");
	pid = -1;
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the move (0x%x)", st);
	while (strlen(p) > strlen(jail)) {
		snprintf(from, sizeof from, "%s/victim", p);
		CHECK(exists(from), "%s gone", from);
		*strrchr(p, '/') = '\0';
	}
	CHECK(exited(&f.r, 0), "exit code");
	snprintf(cmd, sizeof cmd, "run cache: hit %s\nzoo-runtime: delete %s: remove %s: ", f.en.path, f.b.id, tree);
	CHECK(strncmp(f.r.err, cmd, strlen(cmd)) == 0 && strstr(f.r.err, "tale file handle\n"), "stderr %s", f.r.err);
	snprintf(from, sizeof from, "%s/d/d/d", tree);
	CHECK(exists(from) && exists(to), "the walk went on");
	CHECK(box_gone(&f.b, false), "leftovers");
	rc = 0;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (fan >= 0)
		close(fan);
	if (bottom >= 0)
		close(bottom);
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", tree, jail);
	if (system(cmd) != 0)
		fprintf(stderr, "# %s failed\n", cmd);
	fx_done(&f);
	return rc;
}

/* RMTREE_ALL: a bind mount 40 levels down (below the streams the walk
 * holds, so it comes back up by ".." to directories it must keep) is left
 * with the chain leading to it, and the op fails with EBUSY; the files and
 * symlinks on the way go. */
static int t_rmtree_all_deep_mount(void)
{
	struct fixture f;
	char tree[128], outside[128], mnt[256], p[320], want[512], text[64];
	struct box_opts o = { .script = "exit 0", .no_lock = true, .extra = extra_rmtree_all, .extra_arg = tree };
	int rc = -1, fd, mounted = 0;

	snprintf(tree, sizeof tree, "%s/deepmnt", dir);
	snprintf(outside, sizeof outside, "%s/deepmnt-outside", dir);
	fx_init(&f, "rmdeepmnt");
	snprintf(p, sizeof p, "%s/keep", outside);
	CHECK(mkdir(outside, 0755) == 0 && put_file(p, "kept") == 0 && mkdir(tree, 0755) == 0, "mkdir");
	fd = make_chain(tree, 40, 7, outside);
	CHECK(fd >= 0, "the chain: %s", strerror(errno));
	close(fd);
	strcpy(mnt, tree);
	for (int i = 0; i < 40; i++)
		strcat(mnt, "/d");
	strcat(mnt, "/mnt");
	CHECK(mkdir(mnt, 0755) == 0, "mkdir %s", mnt);
	CHECK(mount(outside, mnt, NULL, MS_BIND, NULL) == 0, "bind mount: %s", strerror(errno));
	mounted = 1;
	CHECK(fx_entry(&f, &o), "write");
	CHECK(fx_run(&f, NULL, 0), "run");
	CHECK(exited(&f.r, 0), "exit code");
	snprintf(want, sizeof want, "run cache: hit %s\nzoo-runtime: delete %s: remove %s: ", f.en.path, f.b.id, tree);
	CHECK(strncmp(f.r.err, want, strlen(want)) == 0 && strstr(f.r.err, "esource busy\n"), "stderr %s", f.r.err);
	snprintf(want, sizeof want, "%s/keep", mnt);
	CHECK(read_text(want, text, sizeof text) == 0 && strcmp(text, "kept") == 0, "through the mount: %s", text);
	strcpy(want, mnt);
	strcpy(strrchr(want, '/'), "/last");
	CHECK(!exists(want), "%s stays", want);
	snprintf(want, sizeof want, "%s/file", tree);
	CHECK(!exists(want), "%s stays", want);
	snprintf(want, sizeof want, "%s/d/d/d/d/d/d/d/to-dir", tree);
	CHECK(!exists(want), "%s stays", want);
	CHECK(box_gone(&f.b, false), "leftovers");
	rc = 0;
out:
	if (mounted)
		(void)umount2(mnt, MNT_DETACH);
	snprintf(want, sizeof want, "rm -rf %s %s", tree, outside);
	if (system(want) != 0)
		fprintf(stderr, "# %s failed\n", want);
	fx_done(&f);
	return rc;
}

static const struct test tests[] = {
	{ "not a run: the Bun path with the same arguments; argv[0] zoo-runtime for a runc link", t_not_a_run },
	{ "no entry: a miss", t_no_entry },
	{ "entry not trusted (mode, owner), ZOO_RUN_CACHE=off", t_trust },
	{ "guards, key, framing, markers: misses", t_guards_and_invalid },
	{ "hit: a container from a busybox rootfs, host ops, exit code", t_hit },
	{ "hit: the rootfs bound onto itself, no token site, no mount point", t_hit_self_bind },
	{ "a host op fails: fallback, everything undone", t_host_op_fails },
	{ "ERROR from the shim: fallback, everything undone", t_shim_error },
	{ "signals forwarded, 128+signal, teardown failure reported", t_signal },
	{ "zoo door: Bun at once but for run; an entry for one door only", t_engine_door },
	{ "zoo door: hit, the ID made here, ID and short-ID sites and markers", t_engine_hit },
	{ "NO_CREATED: STARTED right after SETUP_DONE", t_no_created },
	{ "RAISE: dies of the container's signal; FOREGROUND without a terminal", t_raise },
	{ "FOREGROUND with a terminal: SIGINT not forwarded, SIGTERM is", t_foreground_tty },
	{ "RMTREE_ALL: nested tree, symlinks not followed, a mount inside", t_rmtree_all },
	{ "OOM_NOTE: oom_kill 1 says it, 0 and a missing file do not", t_oom_note },
	{ "undo after a failure: no file or directory left, the shim's too", t_undo_all },
	{ "NETLINK: lo up in the container's namespace; a refused request falls back", t_netlink },
	{ "DBUS: a fake bus gets the calls with sites filled; AWAIT_CGROUP, KEEP leaf, F", t_dbus },
	{ "DBUS: an ERROR reply or no bus falls back, naming it; all undone", t_dbus_error },
	{ "AWAIT_CGROUP times out: fallback; a KEEP directory stays, a plain one goes", t_await_keep },
	{ "F and f markers: the front door's own pid and start time", t_self_pid },
	{ "DBUS, MKDIR flags: invalid entries are misses", t_dbus_invalid },
	{ "NETLINK from the host: a bridge by a short-ID site, GETs (one answer over 8 KiB, a dump), ok errno ENODEV; without it a fallback", t_netlink_host },
	{ "NETLINK CHILD_PID site: a veth peer moved into the container", t_netlink_child_pid },
	{ "NETLINK_NETFILTER: GETTABLE of a missing table, ENOENT ok or a fallback", t_netlink_netfilter },
	{ "NETLINK: the answer must hold the recorded ifindex, or a fallback", t_netlink_expect },
	{ "LEASE: the lease file with F, f, P, I filled, its directory 0700", t_lease },
	{ "LEASE: neighbours (EEXIST) fall back untouched; undo after a later failure; a changed lease goes to the helper", t_lease_fallbacks },
	{ "RELEASE: unchanged goes; changed runs zoo-bun with the args, lock free; a failing helper is one line", t_release },
	{ "NETLINK, LEASE, RELEASE: invalid entries are misses", t_bridge_invalid },
	{ "RMTREE_ALL: 5000 levels with files and symlinks, 64 fds", t_rmtree_all_deep },
	{ "RMTREE_ALL: 4000 entries in one directory", t_rmtree_all_wide },
	{ "RMTREE_ALL: a directory moved out from under the walk stops it", t_rmtree_all_moved },
	{ "RMTREE_ALL: a mount 40 levels down: EBUSY, left with the chain to it", t_rmtree_all_deep_mount },
};

static int mkdir_cache(void)
{
	static const char *const parts[] = { "/run/zoo", "/run/zoo/cache", CACHE };

	for (int i = 0; i < 3; i++) {
		if (mkdir(parts[i], 0700) == 0)
			made_cache[i] = true;
		else if (errno != EEXIST)
			return -1;
	}
	return 0;
}

static void rmdir_cache(void)
{
	static const char *const parts[] = { "/run/zoo", "/run/zoo/cache", CACHE };

	/* Only what we made, and only if empty: others may be using it. */
	for (int i = 2; i >= 0; i--)
		if (made_cache[i])
			(void)rmdir(parts[i]);
}

int main(int argc, char **argv)
{
	const char *env;
	char src[PATH_MAX], self[PATH_MAX], cmd[256];
	struct wrapper w;
	int failed;

	if (is_standin())
		return standin(argc, argv);
	tap_setup();
	if ((env = getenv("ZOO_RUNTIME")))
		runtime_src = env;
	if (!realpath((env = getenv("ZOO_SHIM")) ? env : "build/zoo-shim", shim) || access(shim, X_OK) < 0) {
		fprintf(stderr, "zoo-shim: %s\n", strerror(errno));
		return 2;
	}
	wrapper = wrapper_from_env(&w, "ZOO_RUNTIME_WRAPPER");
	under_valgrind = w.valgrind;
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	/* Orphans come to us: a process the front door left behind shows. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || !realpath(runtime_src, src) ||
	    readlink("/proc/self/exe", self, sizeof self - 1) <= 0) {
		perror("setup");
		return 2;
	}
	self[readlink("/proc/self/exe", self, sizeof self - 1)] = '\0';
	snprintf(dir, sizeof dir, "/tmp/zoo-front-test.XXXXXX");
	snprintf(cgroup, sizeof cgroup, "/sys/fs/cgroup/pids/zoo-front-test-%d", getpid());
	snprintf(cgroup2, sizeof cgroup2, "/sys/fs/cgroup/unified/zoo-front-test-%d", getpid());
	snprintf(scope_base, sizeof scope_base, "/sys/fs/cgroup/unified/zoo-front-dbus-%d.", getpid());
	if (!mkdtemp(dir) || chmod(dir, 0755) < 0 || mkdir_cache() < 0) {
		perror("scratch");
		return 2;
	}
	snprintf(front, sizeof front, "%s/zoo-runtime", dir);
	snprintf(zoo_front, sizeof zoo_front, "%s/zoo", dir);
	snprintf(cmd, sizeof cmd, "%s/zoo-bun", dir);
	if (copy_file(src, front, 0755) < 0 || copy_file(src, zoo_front, 0755) < 0 || copy_file(self, cmd, 0755) < 0 ||
	    make_rootfs() < 0) {
		perror("scratch files");
		return 2;
	}
	printf("# front door: %s%s%s, shim %s\n", wrapper ? getenv("ZOO_RUNTIME_WRAPPER") : "", wrapper ? " " : "", src,
	       shim);
	failed = tap_run(tests, sizeof tests / sizeof tests[0], argc > 1 ? argv[1] : NULL);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# %s failed\n", cmd);
	rmdir_cache();
	wrapper_free(&w);
	return failed ? 1 : 0;
}
