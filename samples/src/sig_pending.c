/* sig_pending.c -- a blocked signal is not lost: it stays pending until
 * it is unblocked, and is delivered right then (before sigprocmask
 * returns). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    const char msg[] = "handled\n";
    (void)sig;
    handled = 1;
    write(1, msg, sizeof msg - 1);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("SIGUSR1 blocked\n");

    raise(SIGUSR1);
    printf("raised, handler ran yet: %s\n", handled ? "yes" : "no");

    sigpending(&pend);
    printf("pending: %s\n", sigismember(&pend, SIGUSR1) ? "yes" : "no");
    fflush(stdout);                     /* keep order with the handler's write() */

    sigprocmask(SIG_UNBLOCK, &set, NULL);   /* delivered here */
    printf("unblocked, handler ran: %s\n", handled ? "yes" : "no");
    sigpending(&pend);
    printf("pending: %s\n", sigismember(&pend, SIGUSR1) ? "yes" : "no");
    return 0;
}
