#ifndef ZOO_CLONE_H
#define ZOO_CLONE_H

#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

/* setns() into every SETNS record, in order. On failure *failed is the record. */
int zoo_join_namespaces(const struct zoo_plan *plan, const struct zoo_setns **failed);

/* fork-like clone into new namespaces (and the cgroup when cgroup_fd >= 0):
 * returns 0 in the child, the child's pid in the parent, -1 with errno. */
pid_t zoo_clone(uint64_t ns_flags, int cgroup_fd);

#endif
