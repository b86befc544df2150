/* exec_sigactions.c -- what execve leaves of the signal actions (Linux flush_signal_handlers):
 * caught -> SIG_DFL, ignored stays ignored, flags/mask/restorer cleared. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void h(int s) {}
int main(int argc, char **argv) {
    struct sigaction sa, old;
    if (argc > 1) {
        for (int s = 1; s < 32; s++) { if (s == 9 || s == 19) continue; sigaction(s, NULL, &old);
            printf("%d: h=%s flags=%#lx mask=%d\n", s, old.sa_handler == SIG_IGN ? "IGN" : old.sa_handler == SIG_DFL ? "DFL" : "fn", (unsigned long)old.sa_flags, sigismember(&old.sa_mask, 3)); }
        return 0;
    }
    memset(&sa, 0, sizeof sa); sa.sa_handler = h; sa.sa_flags = SA_RESTART; sigaddset(&sa.sa_mask, 3); sigaction(SIGINT, &sa, 0);
    sa.sa_handler = SIG_IGN; sa.sa_flags = SA_RESTART | SA_NODEFER; sigaction(SIGQUIT, &sa, 0);
    sa.sa_handler = SIG_DFL; sa.sa_flags = SA_SIGINFO; sigaction(SIGUSR1, &sa, 0);
    execl("/proc/self/exe", "sa", "child", (char *)0);
    return 1;
}
