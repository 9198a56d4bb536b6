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

/* A LEASE's undo: holding the lock, dir/file and dir go if the file still
 * holds exactly content; otherwise (a neighbour joined meanwhile) both stay. */
void rr_lease_undo(const char *lock, const char *dir, const char *file, const char *content);

/* RELEASE: holding the lock, dir/file and dir go if the file still holds
 * exactly content. Otherwise, the lock dropped, <our dir>/zoo-bun runs with
 * args (NUL-terminated templates back to back, filled from v; argv[0]
 * "zoo-bun"), our environment and stdio and `mask` as its signal mask, and
 * must exit 0. -1 with errno, and `detail` set when the helper failed. */
int rr_release(const char *lock, const char *dir, const char *file, const char *content, const uint8_t *args,
	       size_t args_len, const struct rr_vars *v, const sigset_t *mask, char *detail, size_t n);

#endif
