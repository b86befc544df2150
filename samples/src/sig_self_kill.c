/* sig_self_kill.c -- a signal with the default disposition kills us.
 *
 *   sig_self_kill [term]   raise(SIGTERM)          -> killed by signal 15
 *   sig_self_kill usr1     kill(getpid(), SIGUSR1) -> killed by signal 10
 *   sig_self_kill handled  handler installed for SIGUSR1, then kill();
 *                          the handler prints, program exits 0 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void handler(int sig)
{
    /* only async-signal-safe calls in a handler */
    const char msg[] = "handler: caught SIGUSR1\n";
    (void)sig;
    write(1, msg, sizeof msg - 1);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "term";
    printf("mode %s\n", mode);
    fflush(stdout);

    if (strcmp(mode, "term") == 0) {
        raise(SIGTERM);
    } else if (strcmp(mode, "usr1") == 0) {
        kill(getpid(), SIGUSR1);
    } else if (strcmp(mode, "handled") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = handler;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        kill(getpid(), SIGUSR1);        /* delivered before kill() returns */
        printf("back in main, exiting 0\n");
        return 0;
    } else {
        fprintf(stderr, "usage: %s [term|usr1|handled]\n", argv[0]);
        return 2;
    }
    printf("still alive?!\n");
    return 1;
}
