/* A minimal seccomp agent for notify.test.ts:
 *
 *   agent SOCKET STATE_FILE VALUE
 *
 * Listens on SOCKET, takes one connection, and expects one message: the
 * container process state (written to STATE_FILE) with the listener fd as
 * SCM_RIGHTS. Then answers every notified syscall with VALUE as its return
 * value, until the container's processes are gone, and prints how many it
 * answered and the last syscall number. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
    fprintf(stderr, "agent: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    static char buf[1 << 16];
    char control[CMSG_SPACE(sizeof(int))];
    int notify = -1, answered = 0, last = -1;

    if (argc != 4 || strlen(argv[1]) >= sizeof addr.sun_path) {
        fprintf(stderr, "usage: agent SOCKET STATE_FILE VALUE\n");
        return 2;
    }
    strcpy(addr.sun_path, argv[1]);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 1) < 0) return die("listen");
    printf("ready\n");
    fflush(stdout);
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) return die("accept");
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) return die("recvmsg");
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) memcpy(&notify, CMSG_DATA(cm), sizeof notify);
    if (notify < 0) {
        errno = EBADMSG;
        return die("no fd in the message");
    }
    FILE *f = fopen(argv[2], "w");
    if (!f || fwrite(buf, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) return die("state file");
    close(c);
    close(ls);

    for (;;) {
        struct pollfd p = { .fd = notify, .events = POLLIN };
        if (poll(&p, 1, 30000) <= 0) return die("poll (timed out?)");
        if (p.revents & POLLHUP) break; /* no process uses the filter any more */
        struct seccomp_notif req;
        struct seccomp_notif_resp resp;
        memset(&req, 0, sizeof req);
        if (ioctl(notify, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
            if (errno == EINTR || errno == ENOENT) continue;
            return die("NOTIF_RECV");
        }
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.val = atoll(argv[3]);
        last = req.data.nr;
        /* ENOENT: the process died while we looked. */
        if (ioctl(notify, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) answered++;
        else if (errno != ENOENT) return die("NOTIF_SEND");
    }
    printf("answered=%d nr=%d\n", answered, last);
    return 0;
}
