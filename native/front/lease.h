/* LEASE and RELEASE host ops: a bridge network's lease file, taken and given
 * back as TypeScript does it (src/net/bridge/leases.ts), under the network's
 * lock file (docs/design/run-cache.md, "Engine runs"). */
#ifndef RR_LEASE_H
#define RR_LEASE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "fill.h"

/* Holding flock(lock): mkdir(dir, 0700), which must make it (EEXIST: the
 * network has other containers), then dir/file holds content (written as
 * dir/.file.tmp and renamed). 0, or -1 with errno and nothing of ours left. */
int rr_lease(const char *lock, const char *dir, const char *file, const char *content);

/* The helper's argv for RELEASE and a LEASE's undo: "zoo-bun", then each of
 * `args` (NUL-terminated templates back to back) filled from v. NULL with
 * errno; free with rr_helper_argv_free. */
char **rr_helper_argv(const uint8_t *args, size_t len, const struct rr_vars *v);
void rr_helper_argv_free(char **argv);

/* A LEASE's undo: holding the lock, dir/file and dir go if the file still
 * holds exactly content; otherwise (a neighbour joined meanwhile and lists
 * us) the lock is dropped and the helper `argv` runs, as RELEASE's would, so
 * the lease does not outlive the run: the Bun path that follows keeps our
 * pid, so the lease would look alive for all of its run. `argv` NULL: left. */
void rr_lease_undo(const char *lock, const char *dir, const char *file, const char *content, char *const *argv,
		   const sigset_t *mask);

/* RELEASE: holding the lock, dir/file and dir go if the file still holds
 * exactly content. Otherwise, the lock dropped, <our dir>/zoo-bun runs with
 * args (NUL-terminated templates back to back, filled from v; argv[0]
 * "zoo-bun"), our environment and stdio and `mask` as its signal mask, and
 * must exit 0. -1 with errno, and `detail` set when the helper failed. */
int rr_release(const char *lock, const char *dir, const char *file, const char *content, const uint8_t *args,
	       size_t args_len, const struct rr_vars *v, const sigset_t *mask, char *detail, size_t n);

#endif
