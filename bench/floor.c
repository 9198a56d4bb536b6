/*
 * The floor for starting a container: what any runtime must at least do.
 * One clone3() into new user, mount, pid, uts, ipc and network namespaces,
 * the parent writes an identity uid/gid map, the child chroots into ROOTFS
 * and execs CMD, the parent waits. Optionally the child is born in a cgroup
 * v2 directory (CLONE_INTO_CGROUP) or is moved there by writing its pid to
 * cgroup.procs before it may go on, which is what a runtime does without
 * CLONE_INTO_CGROUP. Exits with CMD's status.
 *
 *   floor [--cgroup-into DIR | --cgroup-procs DIR] ROOTFS CMD [ARG...]
 *
 * Built by bench/runtime.sh with cc -O2; compared there in one hyperfine run
 * with zoo-runtime, crun, runc and bwrap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The kernel's struct clone_args up to the cgroup field (CLONE_ARGS_SIZE_VER2). */
struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static void die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  size_t n = strlen(text);
  if (write(fd, text, n) != (ssize_t)n) die(path);
  if (close(fd) != 0) die(path);
}

static void usage(void) {
  fprintf(stderr, "usage: floor [--cgroup-into DIR | --cgroup-procs DIR] ROOTFS CMD [ARG...]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *into = NULL, *procs = NULL;
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "--cgroup-into") == 0) into = argv[i + 1], i += 2;
  else if (i + 1 < argc && strcmp(argv[i], "--cgroup-procs") == 0) procs = argv[i + 1], i += 2;
  if (argc - i < 2) usage();
  const char *rootfs = argv[i];
  char **cmd = argv + i + 1;

  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) die("pipe2");
  struct clone_args_v2 args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
  args.exit_signal = SIGCHLD;
  int cgfd = -1;
  if (into) {
    cgfd = open(into, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) die(into);
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)cgfd;
  }

  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) die("clone3");
  if (pid == 0) {
    /* Wait until the parent has written the id maps (and moved us). */
    char c;
    if (close(sync[1]) != 0) _exit(125);
    if (read(sync[0], &c, 1) != 1) _exit(125);
    if (chroot(rootfs) != 0 || chdir("/") != 0) {
      perror("floor: chroot");
      _exit(125);
    }
    execv(cmd[0], cmd);
    perror("floor: exec");
    _exit(127);
  }
  if (cgfd >= 0 && close(cgfd) != 0) die("close");
  if (close(sync[0]) != 0) die("close");

  char path[64], text[64];
  snprintf(path, sizeof path, "/proc/%ld/uid_map", pid);
  write_file(path, "0 0 4294967295\n");
  snprintf(path, sizeof path, "/proc/%ld/gid_map", pid);
  write_file(path, "0 0 4294967295\n");
  if (procs) {
    char file[4096];
    if (snprintf(file, sizeof file, "%s/cgroup.procs", procs) >= (int)sizeof file) usage();
    snprintf(text, sizeof text, "%ld\n", pid);
    write_file(file, text);
  }
  if (write(sync[1], "x", 1) != 1) die("write");
  if (close(sync[1]) != 0) die("close");

  int status;
  while (waitpid((pid_t)pid, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
