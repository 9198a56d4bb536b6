/* Helpers of the front door (zoo-runtime) alone: the trace line and the
 * reason buffer. The loads, stores and whole-fd reads and writes it shares
 * with zoo-shim come from src/util.h, included here for every front file. */
#ifndef RR_COMMON_H
#define RR_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define RR_WHY 512 /* room for a one-line reason */

/* The name we were started as, for our messages: "zoo" (the engine's
 * door) or "zoo-runtime" (the runtime's, and any other name, a `runc` link). */
extern const char *rr_door;

/* ZOO_RUN_CACHE_TRACE=1: one line on stderr saying which way the run went. */
extern bool rr_tracing;
void rr_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf into a reason buffer; always returns -1 for `return rr_why(...)`. */
int rr_why(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A small file (a /proc or cgroup file) whole, into a fresh malloc'd buffer;
 * -1 with errno (ENOENT when it is not there, E2BIG past max). */
int rr_read_small(const char *path, size_t max, uint8_t **buf, size_t *len);

/* The line at *off of buf, without its '\n', its length in *n; *off moves past
 * it. NULL once *off reaches len. */
const char *rr_next_line(const uint8_t *buf, size_t len, size_t *off, size_t *n);

#endif
