#define _GNU_SOURCE
#include "proto.h"

#include <stdio.h>
#include <string.h>

#include "common.h"

uint32_t rr_list(const char *const *items, size_t n, uint8_t *buf)
{
	uint32_t off = 4, count = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t len = (uint32_t)strlen(items[i]) + 1;

		if ((uint64_t)off + 4 + len > RR_LIST_MAX)
			break;
		zoo_put_u32(buf + off, len);
		memcpy(buf + off + 4, items[i], len);
		off += 4 + len;
		count++;
	}
	zoo_put_u32(buf, count);
	return off;
}

void rr_describe_error(const struct zoo_msg *m, char *why, size_t n)
{
	uint32_t stage, olen;
	int32_t index, err;
	const char *object = "";

	if (m->len < 16) {
		(void)snprintf(why, n, "zoo-shim sent a short ERROR");
		return;
	}
	stage = zoo_get_u32(m->payload);
	index = (int32_t)zoo_get_u32(m->payload + 4);
	err = (int32_t)zoo_get_u32(m->payload + 8);
	olen = zoo_get_u32(m->payload + 12);
	if (olen > 0 && 16 + (size_t)olen == m->len && m->payload[16 + olen - 1] == '\0')
		object = (const char *)m->payload + 16;
	(void)snprintf(why, n, "zoo-shim: %s (index %d) %s: %s", zoo_stage_name(stage),
		       index, object, strerror(err));
}
