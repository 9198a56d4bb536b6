/* NETLINK host op: one netlink request (rtnetlink or nfnetlink), built by
 * TypeScript, sent from the container's network namespace or from ours. */
#ifndef RR_NETLINK_H
#define RR_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the answer to a request (its first reply that is not the ACK) must
 * hold: the u32 `val`, host order, at byte `off` of the message (from its
 * nlmsghdr). `off` 0: no check. */
struct rr_nl_expect {
	uint32_t off, val;
};

/* Sends `msg` (the caller's copy, sites filled; its seq and port are
 * overwritten) on a `protocol` socket made in `pid`'s network namespace
 * (ZOO_NL_CONTAINER) or ours (ZOO_NL_HOST), and waits for its ACK. 0, or
 * -1 with errno (the kernel's answer when it refused the request, unless
 * that is `ok_errno`; ESTALE when the answer is not the one expected). */
int rr_netlink(pid_t pid, uint32_t where, uint32_t protocol, uint32_t ok_errno, const struct rr_nl_expect *expect,
	       uint8_t *msg, size_t len);

#endif
