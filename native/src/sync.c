#define _GNU_SOURCE
#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "util.h"

int zoo_send(int fd, uint32_t type, const void *payload, uint32_t len)
{
	uint8_t hdr[ZOO_MSG_HEADER];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof hdr },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	zoo_put_u32(hdr, type);
	zoo_put_u32(hdr + 4, len);
	/* MSG_NOSIGNAL: a vanished TS is an EPIPE to handle, not a SIGPIPE. */
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

int zoo_send_i32(int fd, uint32_t type, int32_t v)
{
	uint8_t p[4];

	zoo_put_u32(p, (uint32_t)v);
	return zoo_send(fd, type, p, sizeof p);
}

int zoo_send_error(int fd, uint32_t stage, int32_t index, int32_t err, const char *object)
{
	uint8_t p[16 + ZOO_OBJECT_MAX];
	uint32_t n = 0;

	if (object) {
		size_t len = strnlen(object, ZOO_OBJECT_MAX - 1);

		memcpy(p + 16, object, len);
		p[16 + len] = '\0';
		n = (uint32_t)len + 1;
	}
	zoo_put_u32(p, stage);
	zoo_put_u32(p + 4, (uint32_t)index);
	zoo_put_u32(p + 8, (uint32_t)err);
	zoo_put_u32(p + 12, n);
	return zoo_send(fd, ZOO_MSG_ERROR, p, 16 + n);
}

int zoo_send_msg(int fd, const struct zoo_msg *m)
{
	return zoo_send(fd, m->type, m->payload, m->len);
}

/* resets: NULL (a reset is an error), or see zoo_recv_past_reset. */
static int recv_packet(int fd, struct zoo_msg *m, int flags, int *resets)
{
	uint8_t buf[ZOO_MSG_MAX];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	for (;;) {
		n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != ECONNRESET || !resets)
			return -1;
		/* The first reset comes ahead of what the peer sent before it
		 * exited; a later one is the end of it. */
		if ((*resets)++ > 0)
			return 0;
	}
	if (n == 0)
		return 0;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n < ZOO_MSG_HEADER ||
	    zoo_get_u32(buf + 4) != (size_t)n - ZOO_MSG_HEADER) {
		errno = EPROTO;
		return -1;
	}
	m->type = zoo_get_u32(buf);
	m->len = (uint32_t)n - ZOO_MSG_HEADER;
	memcpy(m->payload, buf + ZOO_MSG_HEADER, m->len);
	return 1;
}

int zoo_recv(int fd, struct zoo_msg *m, int flags)
{
	return recv_packet(fd, m, flags, NULL);
}

int zoo_recv_past_reset(int fd, struct zoo_msg *m, int *resets)
{
	return recv_packet(fd, m, 0, resets);
}

int zoo_msg_i32(const struct zoo_msg *m, int32_t *v)
{
	if (m->len != 4) {
		errno = EPROTO;
		return -1;
	}
	*v = (int32_t)zoo_get_u32(m->payload);
	return 0;
}

const char *zoo_stage_name(uint32_t stage)
{
	static const char *const names[] = { "?", "plan", "setns", "clone", "sync", "op", "exec" };

	return stage < ZOO_ARRAY_LEN(names) ? names[stage] : "?";
}

void zoo_report(int ts, uint32_t stage, int32_t index, int err, const char *object)
{
	if (zoo_send_error(ts, stage, index, err, object) == 0)
		return;
	zoo_log("zoo-shim: %s%s%s: %s", zoo_stage_name(stage), object ? " " : "", object ? object : "", strerror(err));
}
