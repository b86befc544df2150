/* posix_timers.c -- timer_create & co.: a signalling timer's siginfo (SI_TIMER, value, overrun),
 * gettime after expiry, the kernel's default sigevent, overrun, delete twice, bad arguments,
 * a SIGEV_NONE timer. Compared natively vs elfemu, output and strace lines. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
static volatile int hits; static volatile int code, tid_ok, val, ovr;
static timer_t t1;
static void on_alrm(int s, siginfo_t *si, void *c) { hits++; code = si->si_code; val = si->si_value.sival_int; ovr = si->si_overrun; }
int main(void) {
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = on_alrm; sa.sa_flags = SA_SIGINFO; sigaction(SIGALRM, &sa, 0);
    struct sigevent ev; memset(&ev, 0, sizeof ev); ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGALRM; ev.sigev_value.sival_int = 77;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t1)) { perror("timer_create"); return 1; }
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    timer_settime(t1, 0, &its, 0);
    while (!hits) pause();
    printf("hits=%d code=%d value=%d overrun=%d\n", hits, code, val, ovr);
    struct itimerspec cur; timer_gettime(t1, &cur); printf("after: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    timer_t t2; if (timer_create(CLOCK_REALTIME, NULL, &t2)) perror("t2"); printf("t2 id %ld\n", (long)t2);
    printf("overrun %d\n", timer_getoverrun(t1));
    int d1 = timer_delete(t1); int d2 = timer_delete(t1); printf("delete %d, again %d errno %d\n", d1, d2, errno);
    struct sigevent bad; memset(&bad, 0, sizeof bad); bad.sigev_notify = 99; timer_t t3;
    printf("bad notify: %d errno %d\n", timer_create(CLOCK_REALTIME, &bad, &t3), errno);
    printf("bad clock: %d errno %d\n", timer_create(12345, NULL, &t3), errno);
    struct sigevent none; memset(&none, 0, sizeof none); none.sigev_notify = SIGEV_NONE;
    timer_create(CLOCK_MONOTONIC, &none, &t3); its.it_value.tv_sec = 5; its.it_value.tv_nsec = 0; timer_settime(t3, 0, &its, 0);
    timer_gettime(t3, &cur); printf("none timer armed: %d\n", cur.it_value.tv_sec >= 4);
    return 0;
}
