/* AWAIT_CGROUP host op: systemd moves us into the scope it made for us
 * (DBUS, StartTransientUnit with our pid) when its job runs, not when it
 * answers the call; this waits for that move to be visible. */
#ifndef RR_AWAIT_CGROUP_H
#define RR_AWAIT_CGROUP_H

#include <stdint.h>

/* Until the "0::" line of /proc/self/cgroup ends with "/" `suffix`,
 * looking every 5 ms. 0, or -1 with errno (ETIMEDOUT after timeout_ms). */
int rr_await_cgroup(const char *suffix, uint32_t timeout_ms);

#endif
