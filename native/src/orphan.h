/* What a foreground shim cleans up when the zoo process that owns the run
 * goes away: TS lists the directories (cgroups, an overlay's mount point) in
 * SETUP_DONE; the shim never decides what to remove, it only removes them. */
#ifndef ZOO_ORPHAN_H
#define ZOO_ORPHAN_H

#include <stdint.h>
#include <sys/types.h>

#include "sync.h"

#define ZOO_ORPHAN_HELPERS 8

struct zoo_orphan {
	uint32_t len; /* 0: nothing to remove */
	uint8_t list[ZOO_MSG_MAX - ZOO_MSG_HEADER];
	unsigned nhelpers;
	/* A pidfd, so a recycled pid is never killed by mistake; without pidfds
	 * (kernel < 5.3, or valgrind) fd is -1 and the bare pid is used. */
	struct {
		int fd;
		pid_t pid;
	} helpers[ZOO_ORPHAN_HELPERS];
};

/* Validates and keeps SETUP_DONE's payload: u32 count, then count strs. */
int zoo_orphan_set(struct zoo_orphan *o, const uint8_t *payload, uint32_t len);

/* Pins a helper process TS started (a network helper) by pidfd. A helper
 * that is already gone is fine; more than ZOO_ORPHAN_HELPERS is EMFILE. */
int zoo_orphan_add_helper(struct zoo_orphan *o, pid_t pid);

/* SIGKILLs the pinned helpers, then rmdir(2)s each directory in list order
 * (after unlinking plain files TS left in its own scratch directories), retrying EBUSY while the last
 * processes of the container's PID namespace are being released. */
void zoo_orphan_cleanup(const struct zoo_orphan *o);

#endif
