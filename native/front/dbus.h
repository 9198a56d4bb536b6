/* DBUS host op: D-Bus method calls that TypeScript recorded (the transient
 * systemd scope of `zoo run`), sent on one connection to a bus socket, each
 * answered before the next. A client of the wire protocol only: no
 * introspection, no names, no file descriptors. */
#ifndef RR_DBUS_H
#define RR_DBUS_H

#include <stddef.h>
#include <stdint.h>

#define RR_DBUS_MAX_MESSAGE (1u << 20) /* ours and the bus's: more is a protocol error */
#define RR_DBUS_TIMEOUT_MS 10000       /* the whole op: connect, auth, every call */

/* Whether `msgs` is one or more complete method calls, each expecting a
 * reply, with a non-zero serial, back to back to the last byte. 0, or -1
 * and *bad says what is wrong. For the entry's template and for the
 * filled-in copy alike. */
int rr_dbus_check_calls(const uint8_t *msgs, size_t len, const char **bad);

/* Whether the message of the checked `msgs` that holds byte `off` is
 * little-endian (a SELF_PID site is filled little-endian). */
int rr_dbus_little_endian_at(const uint8_t *msgs, size_t len, size_t off);

/* Connects to the unix socket `path`, authenticates (EXTERNAL, our euid),
 * sends each message of `msgs` (checked with rr_dbus_check_calls) and waits
 * for its METHOD_RETURN, skipping everything else. 0, or -1 with errno; then
 * `detail`, if not empty, says more than errno can (the bus's ERROR name and
 * text, a refused authentication). */
int rr_dbus_calls(const char *path, const uint8_t *msgs, size_t len, char *detail, size_t n);

#endif
