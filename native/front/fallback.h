/* The Bun path: everything the cache does not know, and every replay that
 * fails before STARTED, ends in the Bun executable `zoo` next to us, started
 * as `zoo-runtime` (it picks its front door from argv[0]). */
#ifndef RR_FALLBACK_H
#define RR_FALLBACK_H

#include <signal.h>

/* The directory of our executable (malloc'd), or NULL. */
char *rr_exe_dir(void);

/* execv("<dir>/zoo", argv with argv[0] = "zoo-runtime") with `mask` as the
 * signal mask. Does not return: a failed exec says so in one line and exits 127. */
__attribute__((noreturn)) void rr_exec_bun(const char *dir, char **argv, const sigset_t *mask);

#endif
