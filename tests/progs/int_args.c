/* 32-bit arguments with garbage in the upper half of the register, and values at the ends of
   their C types: the kernel reads an int, an unsigned int or a umode_t from the 64-bit register
   (include/linux/syscalls.h, __SC_CAST), so the upper bits must not change the result. One
   family per block (mknod, pipe2, wait4, waitid, fcntl); one line per call: name and result. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HIGH 0xdead00000000UL  /* what a sloppy caller leaves above a 32-bit argument */

static void show(const char *what, long ret) {
    if (ret < 0)
        printf("%-26s -1 errno %d\n", what, errno);
    else
        printf("%-26s %ld\n", what, ret);
}

int main(void) {
    /* mknod: mode is a umode_t (16 bits), dev an unsigned int */
    show("mknod mode all ones", syscall(SYS_mknod, "node", -1L, -1L));
    show("mknod fifo high bits", syscall(SYS_mknod, "node", HIGH | S_IFIFO | 0600, HIGH));
    struct stat st;
    show("mknod made a fifo", stat("node", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0600);
    unlink("node");
    show("mknodat bad type", syscall(SYS_mknodat, AT_FDCWD, "node", 0xffff0000UL | 0170600, 0L));

    /* pipe2: flags is an int */
    int fds[2];
    show("pipe2 flags all ones", syscall(SYS_pipe2, fds, -1L));
    show("pipe2 flags high bits", syscall(SYS_pipe2, fds, HIGH | O_NONBLOCK));
    show("pipe2 got O_NONBLOCK", (fcntl(fds[0], F_GETFL) & O_NONBLOCK) != 0);
    show("pipe2 bad pointer", syscall(SYS_pipe2, (void *)8, 0L));

    /* wait4 and waitid: pid_t and int options, with one child alive (blocked on a pipe) */
    int go[2];
    if (pipe(go))
        return 2;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        _exit(read(go[0], &c, 1) == 1 ? 7 : 8);
    }
    show("wait4 options all ones", syscall(SYS_wait4, -1L, 0L, -1L, 0L));
    show("wait4 pid huge", syscall(SYS_wait4, 0x7fffffffffffL, 0L, (long)WNOHANG, 0L));
    show("wait4 pid INT_MIN", syscall(SYS_wait4, (long)-2147483648L, 0L, (long)WNOHANG, 0L));
    siginfo_t si;
    show("waitid all ones", syscall(SYS_waitid, -1L, -1L, &si, -1L, 0L));
    show("waitid id huge", syscall(SYS_waitid, (long)P_PID, 0x7fffffffffffL, &si, (long)WEXITED, 0L));
    si.si_pid = 1;
    show("waitid high bits", syscall(SYS_waitid, HIGH | P_ALL, HIGH, &si, HIGH | WEXITED | WNOHANG, 0L));
    show("waitid nothing yet", si.si_pid);
    if (write(go[1], "x", 1) != 1)
        return 3;
    int status = 0;
    show("wait4 pid high bits", syscall(SYS_wait4, HIGH | (unsigned)pid, &status, HIGH, 0L) == pid);
    show("wait4 status", WEXITSTATUS(status));
    show("wait4 no children", syscall(SYS_wait4, -1L, 0L, HIGH, 0L));

    /* fcntl: cmd is an unsigned int, the struct flock is 32 bytes */
    int fd = open("lockfile", O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x1234, .l_len = 0x5678};
    show("fcntl F_SETLK high cmd", syscall(SYS_fcntl, fd, HIGH | F_SETLK, &fl));
    show("fcntl F_GETLK", syscall(SYS_fcntl, fd, F_GETLK, &fl));
    show("fcntl F_GETLK l_type", fl.l_type);
    show("fcntl F_SETLK bad ptr", syscall(SYS_fcntl, fd, F_SETLK, (void *)8));
    show("fcntl F_SETFL all ones", syscall(SYS_fcntl, fd, F_SETFL, -1L) >= 0);
    show("fcntl F_DUPFD negative", syscall(SYS_fcntl, fd, F_DUPFD, -1L));
    show("fcntl F_DUPFD high bits", syscall(SYS_fcntl, fd, F_DUPFD, HIGH | 10) >= 10);
    show("fcntl unknown cmd", syscall(SYS_fcntl, fd, 0x7fffffffL, 0L));
    show("fcntl fd high bits", syscall(SYS_fcntl, HIGH | fd, F_GETFD, 0L));
    unlink("lockfile");
    return 0;
}
