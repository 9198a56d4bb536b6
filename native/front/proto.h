/* TypeScript's side of the sync protocol (docs/design/sync-protocol.md):
 * packets go through src/sync.h (zoo_send, zoo_recv_past_reset), shared
 * with zoo-shim; here is what only this side encodes and decodes. */
#ifndef RR_PROTO_H
#define RR_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "sync.h"

/* What TypeScript puts in one CLEANUP / SETUP_DONE list (encodeOrphanList):
 * the shim reads packets of at most ZOO_MSG_MAX (4120) bytes. */
#define RR_LIST_MAX 4000u

/* The list payload: u32 count, then strs (u32 length with the NUL, bytes).
 * Entries that would take it past RR_LIST_MAX are left out, as TS does. */
uint32_t rr_list(const char *const *items, size_t n, uint8_t *buf);

/* "ERROR stage N index I: object: strerror" from an ERROR message. */
void rr_describe_error(const struct zoo_msg *m, char *why, size_t n);

#endif
