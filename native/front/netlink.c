#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A netlink socket belongs to the namespace its creator was in at socket()
 * time, for its whole life: so enter the container's, make the socket, and
 * come straight back. We are single-threaded, so nothing else runs in the
 * container's namespace meanwhile; failing to come back leaves us in the
 * wrong namespace for good, which is not survivable. */
static int socket_in(pid_t pid)
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
	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
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

/* Waits for the ACK of `seq`: its error field is the answer. Only the
 * kernel's (port 0) count: anything else in the namespace could write to us. */
static int await_ack(int sock, uint32_t seq)
{
	uint8_t buf[8192] __attribute__((aligned(4)));

	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof from;
		ssize_t got = recvfrom(sock, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (fromlen < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue;
		/* Signed, as NLMSG_NEXT counts it down: a last message whose length is
		 * not a multiple of 4 ends the walk instead of wrapping it. */
		int n = (int)got;

		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
				errno = EPROTO;
				return -1;
			}
			int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (e == 0)
				return 0;
			errno = -e;
			return -1;
		}
	}
}

int rr_netlink_in(pid_t pid, const uint8_t *msg, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int one = 1;
	struct nlmsghdr *h;
	uint8_t *copy;
	int sock, rc = -1, err;

	/* One whole request that asks for an ACK: anything else is not ours to send. */
	if (len < sizeof *h || len > 65536) {
		errno = EINVAL;
		return -1;
	}
	if (!(copy = malloc(len)))
		return -1;
	memcpy(copy, msg, len);
	h = (struct nlmsghdr *)copy;
	if (h->nlmsg_len != len || !(h->nlmsg_flags & NLM_F_REQUEST) || !(h->nlmsg_flags & NLM_F_ACK)) {
		free(copy);
		errno = EINVAL;
		return -1;
	}
	h->nlmsg_seq = 1;
	h->nlmsg_pid = 0;
	if ((sock = socket_in(pid)) < 0) {
		err = errno;
		free(copy);
		errno = err;
		return -1;
	}
	/* The kernel answers at once; a bound wait keeps a wedged namespace from hanging the run. */
	/* NETLINK_CAP_ACK: an error ACK without our request echoed in it, so a
	 * large refused request still fits the buffer and its errno is read. */
	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
	    setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) == 0) {
		ssize_t sent = sendto(sock, copy, len, 0, (struct sockaddr *)&kernel, sizeof kernel);

		if (sent == (ssize_t)len)
			rc = await_ack(sock, 1);
		else if (sent >= 0)
			errno = EIO;
	}
	err = errno;
	(void)close(sock);
	free(copy);
	errno = err;
	return rc;
}
