/* sendmsg/recvmsg over a socketpair: scattered iovecs, an SCM_RIGHTS descriptor, truncation. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void) {
    int sv[2], pipefd[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) || pipe(pipefd)) return 1;
    char a[] = "state ", b[] = "machine";
    struct iovec out[2] = {{a, 6}, {b, 7}};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
    struct msghdr m = {0};
    m.msg_iov = out; m.msg_iovlen = 2;
    m.msg_control = ctl.buf; m.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pipefd[1], sizeof(int));
    printf("sendmsg -> %zd\n", sendmsg(sv[0], &m, 0));

    char x[4] = {0}, y[32] = {0};
    struct iovec in[2] = {{x, 4}, {y, sizeof y}};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } rctl;
    struct msghdr r = {0};
    r.msg_iov = in; r.msg_iovlen = 2;
    r.msg_control = rctl.buf; r.msg_controllen = sizeof rctl.buf;
    ssize_t n = recvmsg(sv[1], &r, 0);
    printf("recvmsg -> %zd [%.4s|%s] controllen=%zu flags=%d\n", n, x, y, (size_t)r.msg_controllen, r.msg_flags);
    struct cmsghdr *rc = CMSG_FIRSTHDR(&r);
    int passed = -1;
    if (rc && rc->cmsg_type == SCM_RIGHTS) memcpy(&passed, CMSG_DATA(rc), sizeof(int));
    printf("got a descriptor: %s\n", passed >= 0 ? "yes" : "no");
    write(passed, "through the passed fd\n", 22);
    char back[64] = {0};
    read(pipefd[0], back, sizeof back - 1);
    printf("pipe says: %s", back);

    sendmsg(sv[0], &(struct msghdr){.msg_iov = out, .msg_iovlen = 2}, 0);
    char small[5] = {0};
    struct iovec one = {small, 4};
    struct msghdr t = {.msg_iov = &one, .msg_iovlen = 1};
    n = recvmsg(sv[1], &t, 0);
    printf("truncated recvmsg -> %zd [%s] MSG_TRUNC=%d\n", n, small, !!(t.msg_flags & MSG_TRUNC));
    return 0;
}
