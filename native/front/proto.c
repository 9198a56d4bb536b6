#define _GNU_SOURCE
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common.h"

int rr_send(int fd, uint32_t type, const void *payload, uint32_t len)
{
	uint8_t hdr[8];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof hdr },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	rr_put_u32(hdr, type);
	rr_put_u32(hdr + 4, len);
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != sizeof hdr + len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int rr_send_i32(int fd, uint32_t type, int32_t v)
{
	uint8_t p[4];

	rr_put_u32(p, (uint32_t)v);
	return rr_send(fd, type, p, sizeof p);
}

int rr_recv(int fd, struct rr_msg *m, int *resets)
{
	uint8_t buf[8 + RR_MSG_MAX];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	for (;;) {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET && (*resets)++ == 0)
			continue;
		if (errno == ECONNRESET)
			return 0;
		return -1;
	}
	if (n == 0)
		return 0;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n < 8 || rr_u32(buf + 4) != (size_t)n - 8) {
		errno = EPROTO;
		return -1;
	}
	m->type = rr_u32(buf);
	m->len = (uint32_t)n - 8;
	memcpy(m->payload, buf + 8, m->len);
	return 1;
}

uint32_t rr_list(const char *const *items, size_t n, uint8_t *buf)
{
	uint32_t off = 4, count = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t len = (uint32_t)strlen(items[i]) + 1;

		if ((uint64_t)off + 4 + len > RR_LIST_MAX)
			break;
		rr_put_u32(buf + off, len);
		memcpy(buf + off + 4, items[i], len);
		off += 4 + len;
		count++;
	}
	rr_put_u32(buf, count);
	return off;
}

void rr_describe_error(const struct rr_msg *m, char *why, size_t n)
{
	static const char *const stages[] = { "?", "plan", "setns", "clone", "sync", "op", "exec" };
	uint32_t stage, olen;
	int32_t index, err;
	const char *object = "";

	if (m->len < 16) {
		(void)snprintf(why, n, "zoo-shim sent a short ERROR");
		return;
	}
	stage = rr_u32(m->payload);
	index = (int32_t)rr_u32(m->payload + 4);
	err = (int32_t)rr_u32(m->payload + 8);
	olen = rr_u32(m->payload + 12);
	if (olen > 0 && 16 + (size_t)olen == m->len && m->payload[16 + olen - 1] == '\0')
		object = (const char *)m->payload + 16;
	(void)snprintf(why, n, "zoo-shim: %s (index %d) %s: %s", stage < RR_ARRAY_LEN(stages) ? stages[stage] : "?",
		       index, object, strerror(err));
}
