/* Health checks of a detached container: every interval the monitor starts
 * the health command (zoo's `container healthcheck`, which runs the check in
 * the container and records the result), one at a time. The monitor only
 * keeps time; what a check is and what it means is zoo's business. */
#ifndef ZOO_HEALTH_H
#define ZOO_HEALTH_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

struct zoo_health {
	char **cmd; /* NULL: no health checks */
	uint64_t interval_ms;
	uint64_t next_ms; /* CLOCK_MONOTONIC time of the next run */
	pid_t running; /* the check in progress, 0 if none */
};

/* poll()'s timeout: -1 without checks, else the ms until the next one is due. */
int zoo_health_timeout(struct zoo_health *h);
/* Starts the command when it is due and none is running. */
void zoo_health_tick(struct zoo_health *h, const sigset_t *orig_mask);
/* A reaped pid: 1 if it was the check. */
int zoo_health_reaped(struct zoo_health *h, pid_t pid);

#endif
