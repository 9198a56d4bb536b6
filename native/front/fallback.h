/* The Bun path: everything the cache does not know, and every replay that
 * fails before STARTED, ends in the Bun executable (ZOO_REPLAY_BUN_NAME,
 * `zoo-bun`) next to us, started as `zoo` or `zoo-runtime` (it picks its
 * front door from argv[0]). */
#ifndef RR_FALLBACK_H
#define RR_FALLBACK_H

#include <signal.h>
#include <stddef.h>

/* The directory of our executable (malloc'd), or NULL. */
char *rr_exe_dir(void);

/* "<dir>/zoo-bun" into out; -1 (ENAMETOOLONG) if it does not fit. */
int rr_bun_path(const char *dir, char *out, size_t n);

/* execv("<dir>/zoo-bun", argv) with `mask` as the signal mask; argv[0] is
 * kept if its base name is `zoo` or `zoo-runtime`, else made "zoo-runtime". Does not return: a failed exec says so in one line and exits 127. */
__attribute__((noreturn)) void rr_exec_bun(const char *dir, char **argv, const sigset_t *mask);

#endif
