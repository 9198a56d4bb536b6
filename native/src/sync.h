/* Packets on the two SEQPACKET sockets: u32 type, u32 length, payload.
 * The front door (front/) speaks TS's side of the same protocol with these.
 * TS<->shim uses the ZOO_MSG_* IDs of zoo_plan.h. The shim<->child socket
 * reuses ZOO_MSG_CREATED and ZOO_MSG_ERROR (relayed to TS as they are) and
 * adds the two private messages below, which never leave the shim. */
#ifndef ZOO_SYNC_H
#define ZOO_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "zoo_plan.h"

#define ZOO_CHILD_MSG_GO 0x100 /* shim->child: run the ops */
#define ZOO_CHILD_MSG_EXECING 0x101 /* child->shim: every op done, execve is next */

#define ZOO_MSG_HEADER 8u
#define ZOO_OBJECT_MAX 4096u /* longer objects are cut; PATH_MAX is the useful size */
#define ZOO_MSG_MAX (ZOO_MSG_HEADER + 16u + ZOO_OBJECT_MAX)

struct zoo_msg {
	uint32_t type;
	uint32_t len;
	uint8_t payload[ZOO_MSG_MAX - ZOO_MSG_HEADER];
};

int zoo_send(int fd, uint32_t type, const void *payload, uint32_t len);
int zoo_send_i32(int fd, uint32_t type, int32_t v);
int zoo_send_error(int fd, uint32_t stage, int32_t index, int32_t err, const char *object);
/* Forward a received message as it is. */
int zoo_send_msg(int fd, const struct zoo_msg *m);

/* 1: a message; 0: EOF; -1: error (EPROTO for a malformed or oversized packet,
 * EAGAIN with MSG_DONTWAIT). */
int zoo_recv(int fd, struct zoo_msg *m, int flags);

/* zoo_recv for the front door, whose shim may exit with messages of ours
 * unread: that resets the connection, which the kernel reports once ahead of
 * what the shim sent before; *resets counts the resets, a second one is EOF. */
int zoo_recv_past_reset(int fd, struct zoo_msg *m, int *resets);

/* Reads the i32 payload of a message that must carry exactly one. */
int zoo_msg_i32(const struct zoo_msg *m, int32_t *v);

/* "plan", "setns", ... for an ERROR's stage; "?" for one unknown. */
const char *zoo_stage_name(uint32_t stage);

/* Send ERROR to TS; if TS cannot hear it, say it on stderr instead. */
void zoo_report(int ts, uint32_t stage, int32_t index, int err, const char *object);

#endif
