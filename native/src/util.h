/* Small helpers shared by the shim, its child and the front door (front/). */
#ifndef ZOO_UTIL_H
#define ZOO_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ZOO_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Little-endian loads and stores; plan payloads are not aligned. */
static inline uint32_t zoo_get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint64_t zoo_get_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint16_t zoo_get_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void zoo_put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof v);
}

/* Read fd to EOF into a fresh malloc'd buffer; more than max bytes is E2BIG. */
int zoo_read_all(int fd, size_t max, uint8_t **out, size_t *out_len);

/* write(2) until every byte is out (EINTR and short writes retried). */
int zoo_write_all(int fd, const void *buf, size_t len);

int zoo_set_cloexec(int fd);

/* One message on a unix socket: `len` bytes of data carrying `fd` as
 * SCM_RIGHTS (EINTR retried; a short send is EMSGSIZE). */
int zoo_send_fd(int sock, int fd, const void *data, size_t len);

/* One line to stderr: the last resort when the sync socket is unusable. */
void zoo_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void zoo_vlog(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
