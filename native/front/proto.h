/* TypeScript's side of the sync protocol (docs/design/sync-protocol.md):
 * one SEQPACKET packet per message, u32 type, u32 length, payload. */
#ifndef RR_PROTO_H
#define RR_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "zoo_plan.h"

#define RR_MSG_MAX 8192u
/* What TypeScript puts in one CLEANUP / SETUP_DONE list (encodeOrphanList):
 * the shim reads packets of at most 4120 bytes. */
#define RR_LIST_MAX 4000u

struct rr_msg {
	uint32_t type, len;
	uint8_t payload[RR_MSG_MAX];
};

int rr_send(int fd, uint32_t type, const void *payload, uint32_t len);
int rr_send_i32(int fd, uint32_t type, int32_t v);

/* 1: a message; 0: EOF; -1: error (EPROTO: a malformed packet). A shim that
 * exits with our messages unread resets the connection, which the kernel
 * reports once ahead of what the shim sent before: *resets counts that. */
int rr_recv(int fd, struct rr_msg *m, int *resets);

/* The list payload: u32 count, then strs (u32 length with the NUL, bytes).
 * Entries that would take it past RR_LIST_MAX are left out, as TS does. */
uint32_t rr_list(const char *const *items, size_t n, uint8_t *buf);

/* "ERROR stage N index I: object: strerror" from an ERROR message. */
void rr_describe_error(const struct rr_msg *m, char *why, size_t n);

#endif
