/* What a foreground shim cleans up when the zoo process that owns the run
 * goes away: TS lists the directories (cgroups, the rootfs mount point) in
 * SETUP_DONE; the shim never decides what to remove, it only removes them. */
#ifndef ZOO_ORPHAN_H
#define ZOO_ORPHAN_H

#include <stdint.h>

#include "sync.h"

struct zoo_orphan {
	uint32_t len; /* 0: nothing to remove */
	uint8_t list[ZOO_MSG_MAX - ZOO_MSG_HEADER];
};

/* Validates and keeps SETUP_DONE's payload: u32 count, then count strs. */
int zoo_orphan_set(struct zoo_orphan *o, const uint8_t *payload, uint32_t len);

/* rmdir(2) each directory in list order, retrying EBUSY while the last
 * processes of the container's PID namespace are being released. */
void zoo_orphan_cleanup(const struct zoo_orphan *o);

#endif
