/* NETLINK host op: one rtnetlink request, built by TypeScript, sent from
 * inside the container's network namespace (lo up for --network none). */
#ifndef RR_NETLINK_H
#define RR_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 0, or -1 with errno (the kernel's answer when it refused the request). */
int rr_netlink_in(pid_t pid, const uint8_t *msg, size_t len);

#endif
