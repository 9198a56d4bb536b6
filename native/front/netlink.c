#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "zoo_replay.h"

/* A netlink socket belongs to the namespace its creator was in at socket()
 * time, for its whole life: so enter the container's, make the socket, and
 * come straight back. We are single-threaded, so nothing else runs in the
 * container's namespace meanwhile; failing to come back leaves us in the
 * wrong namespace for good, which is not survivable. */
static int socket_in(pid_t pid, int protocol)
{
	char path[64];
	int self, target, sock, err;

	(void)snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	if ((self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((target = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err = errno;
		(void)close(self);
		errno = err;
		return -1;
	}
	/* Privilege change: into the container's network namespace. */
	if (setns(target, CLONE_NEWNET) < 0) {
		err = errno;
		(void)close(target);
		(void)close(self);
		errno = err;
		return -1;
	}
	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	err = errno;
	/* And back to ours. */
	if (setns(self, CLONE_NEWNET) < 0) {
		dprintf(2, "zoo: cannot return to the host network namespace: %s\n", strerror(errno));
		abort();
	}
	(void)close(target);
	(void)close(self);
	errno = err;
	return sock;
}

#define ACK_MS 5000

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* The kernel's next datagram whole, however big: a GET's answer may be larger
 * than any fixed buffer, and a cut one could hide the ACK or end in a torn
 * header. -1 with EAGAIN when nothing (more) is queued. */
static ssize_t recv_whole(int sock, uint8_t **buf, size_t *cap)
{
	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof from;
		/* MSG_PEEK|MSG_TRUNC: the datagram's real length, left queued. */
		ssize_t want = recv(sock, *buf, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);

		if (want < 0)
			return -1;
		if ((size_t)want > *cap) {
			uint8_t *bigger = realloc(*buf, (size_t)want);

			if (!bigger)
				return -1;
			*buf = bigger;
			*cap = (size_t)want;
		}
		ssize_t got = recvfrom(sock, *buf, *cap, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fromlen);

		if (got < 0)
			return -1;
		/* Only the kernel's (port 0) count: anything else could write to us. */
		if (fromlen < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue;
		/* MSG_TRUNC makes got the real length: never more than the peek said, but checked. */
		if ((size_t)got > *cap) {
			errno = EMSGSIZE;
			return -1;
		}
		return got;
	}
}

/* Waits up to ACK_MS for the ACK of `seq`: its error field is the answer.
 * Other replies with our seq (a GET's answer) are passed over. A dump is
 * never ACKed once it started: its NLMSG_DONE (an int error, as the ACK's)
 * ends it instead. */
static int await_ack(int sock, uint32_t seq, int dump, uint32_t ok_errno, const struct rr_nl_expect *expect)
{
	int answered = 0;
	struct timespec deadline;
	size_t cap = 8192;
	uint8_t *buf = malloc(cap);
	int rc = -1, err = 0;

	if (!buf)
		return -1;
	if (clock_gettime(CLOCK_MONOTONIC, &deadline) < 0)
		goto out;
	deadline.tv_sec += ACK_MS / 1000;
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		long left = ms_left(&deadline);
		int r;

		if (left <= 0) {
			err = ETIMEDOUT;
			goto out;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			continue;
		ssize_t got = recv_whole(sock, &buf, &cap);

		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0)
			goto fail;
		/* Signed, as NLMSG_NEXT counts it down: a last message whose length is
		 * not a multiple of 4 ends the walk instead of wrapping it. */
		int n = (int)got;

		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			int e;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			else if (dump && h->nlmsg_type == NLMSG_DONE && h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				memcpy(&e, NLMSG_DATA(h), sizeof e);
			else if (h->nlmsg_type == NLMSG_ERROR || (dump && h->nlmsg_type == NLMSG_DONE))
				e = -EPROTO; /* too short to say */
			else {
				/* The answer: a value later requests were built on (an ifindex) must be as recorded. */
				if (expect->off && !answered++) {
					uint32_t v;

					if (h->nlmsg_len < (uint64_t)expect->off + 4)
						goto stale;
					memcpy(&v, (const uint8_t *)h + expect->off, 4);
					if (v != expect->val)
						goto stale;
				}
				continue;
			}
			if (expect->off && !answered && e == 0)
				goto stale;
			if (e == 0 || (ok_errno && e == -(int)ok_errno))
				rc = 0;
			else
				err = e < 0 ? -e : EPROTO;
			goto out;
		}
	}
stale:
	err = ESTALE;
	goto out;
fail:
	err = errno;
out:
	free(buf);
	errno = err;
	return rc;
}

int rr_netlink(pid_t pid, uint32_t where, uint32_t protocol, uint32_t ok_errno, const struct rr_nl_expect *expect,
	       uint8_t *msg, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int one = 1;
	struct nlmsghdr h;
	int sock, rc = -1, err;

	/* One whole request that asks for an ACK: anything else is not ours to send. */
	if (len < sizeof h || len > 65536) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&h, msg, sizeof h);
	if (h.nlmsg_len != len || !(h.nlmsg_flags & NLM_F_REQUEST) || !(h.nlmsg_flags & NLM_F_ACK)) {
		errno = EINVAL;
		return -1;
	}
	sock = where == ZOO_NL_HOST ? socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, (int)protocol)
				    : socket_in(pid, (int)protocol);
	if (sock < 0)
		return -1;
	/* NETLINK_CAP_ACK: an error ACK without our request echoed in it (a
	 * smaller datagram; its errno is all we read). */
	if (setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) == 0) {
		/* Our sequence number, and port 0: the kernel fills in ours. */
		h.nlmsg_seq = 1;
		h.nlmsg_pid = 0;
		memcpy(msg, &h, sizeof h);
		ssize_t sent = sendto(sock, msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel);

		if (sent == (ssize_t)len)
			rc = await_ack(sock, 1, (h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP, ok_errno, expect);
		else if (sent >= 0)
			errno = EIO;
	}
	err = errno;
	(void)close(sock);
	errno = err;
	return rc;
}
