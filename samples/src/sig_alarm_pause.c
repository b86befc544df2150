/* sig_alarm_pause.c -- alarm(1) asks the kernel for SIGALRM in 1 s;
 * pause() sleeps until a signal handler has run (it then returns -1/EINTR). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_alarm(int sig)
{
    const char msg[] = "alarm fired\n";
    (void)sig;
    write(1, msg, sizeof msg - 1);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    printf("alarm(1), pause()\n");
    fflush(stdout);
    alarm(1);
    int r = pause();
    int e = errno;
    printf("pause returned %d (%s)\n", r, e == EINTR ? "EINTR" : strerror(e));
    return 0;
}
