/* Per-syscall cost under seccomp filters, for bench/seccomp.ts.
 *
 *   seccomp-loop N                      N calls each of getppid and close(-1), ns/call
 *   seccomp-loop compare N ROUNDS F...  the same in a fresh child per filter file F
 *                                       ("-": none), round after round, so every
 *                                       filter sees the same machine; prints
 *                                       "F getppid close" per child
 *   seccomp-loop dump PID FILE          the newest filter of process PID (as
 *                                       loaded by its runtime) into FILE
 *
 * Raw syscall(2), so libc caches nothing. getppid is number 110 on x86_64
 * (deep in a filter's tree), close is 3. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double per_call(long nr, long arg, long n)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) syscall(nr, arg);
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
}

static int measure(const char *label, long n)
{
    per_call(SYS_getppid, 0, n / 10); /* warm-up */
    double g = per_call(SYS_getppid, 0, n);
    double c = per_call(SYS_close, -1, n);
    printf("%s %.1f %.1f\n", label, g, c);
    return 0;
}

static int load(const char *file)
{
    static struct sock_filter f[BPF_MAXINSNS];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, f, sizeof f);
    close(fd);
    if (n <= 0 || n % 8) return errno = EINVAL, -1;
    struct sock_fprog prog = { .len = (unsigned short)(n / 8), .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int compare(long n, int rounds, int nf, char **files)
{
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < nf; i++) {
            pid_t p = fork();
            if (p == 0) {
                if (strcmp(files[i], "-") != 0 && load(files[i]) < 0) { perror(files[i]); _exit(1); }
                _exit(measure(files[i], n));
            }
            int st;
            if (p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) return 1;
        }
    }
    return 0;
}

static int dump(pid_t pid, const char *file)
{
    static struct sock_filter f[BPF_MAXINSNS];
    int st;
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || waitpid(pid, &st, __WALL) < 0) {
        perror("ptrace");
        return 1;
    }
    long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, f);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    if (n <= 0) { perror("PTRACE_SECCOMP_GET_FILTER"); return 1; }
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, f, (size_t)n * 8) != n * 8 || close(fd) < 0) { perror(file); return 1; }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 5 && strcmp(argv[1], "compare") == 0) return compare(atol(argv[2]), atoi(argv[3]), argc - 4, argv + 4);
    if (argc == 4 && strcmp(argv[1], "dump") == 0) return dump(atoi(argv[2]), argv[3]);
    if (argc == 2) return measure("loop", atol(argv[1]));
    fprintf(stderr, "usage: seccomp-loop N | compare N ROUNDS FILTER... | dump PID FILE\n");
    return 2;
}
