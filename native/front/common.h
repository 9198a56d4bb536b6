/* Small helpers of the front door (zoo-runtime): little-endian loads, whole
 * file reads, the trace line. Self-contained: nothing here is shared with
 * zoo-shim, which the front door only talks to. */
#ifndef RR_COMMON_H
#define RR_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RR_WHY 512 /* room for a one-line reason */

static inline uint16_t rr_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint32_t rr_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void rr_put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof v);
}

/* Read fd to EOF into a fresh malloc'd buffer; more than max bytes is E2BIG. */
int rr_read_all(int fd, size_t max, uint8_t **out, size_t *len);

/* write(2) until every byte is out. */
int rr_write_all(int fd, const void *buf, size_t len);

/* ZOO_RUN_CACHE_TRACE=1: one line on stderr saying which way the run went. */
extern bool rr_tracing;
void rr_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf into a reason buffer; always returns -1 for `return rr_why(...)`. */
int rr_why(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
