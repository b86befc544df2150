/* fs_eintr.c -- blocking descriptor calls and signals: without SA_RESTART a handled signal
 * ends a blocked read or FIFO open with EINTR; with SA_RESTART the read is restarted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static int pfd[2];
static volatile int hits;

static void on_alarm(int s)
{
    (void)s;
    if (++hits == 2 && write(pfd[1], "!", 1) != 1) _exit(3);
}

static void arm(int restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 50000}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void)
{
    struct itimerval it = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
    char c;
    if (pipe(pfd)) return 1;
    arm(0);
    long r = read(pfd[0], &c, 1);
    printf("read without SA_RESTART: %ld %s\n", r, r < 0 && errno == EINTR ? "EINTR" : "?");
    disarm();
    hits = 0;
    arm(1);
    r = read(pfd[0], &c, 1);
    disarm();
    printf("read with SA_RESTART: %ld '%c' after %d signals\n", r, r == 1 ? c : '?', hits);
    mkfifo("fifo", 0600);
    hits = 0;
    arm(0);
    int fd = open("fifo", O_RDONLY);
    printf("open fifo: %d %s\n", fd, fd < 0 && errno == EINTR ? "EINTR" : "?");
    disarm();
    unlink("fifo");
    return 0;
}
