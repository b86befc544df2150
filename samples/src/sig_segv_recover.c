/* sig_segv_recover.c -- SIGSEGV can be caught.  The SA_SIGINFO handler
 * gets the faulting address in si_addr and escapes with siglongjmp()
 * (returning would re-run the faulting instruction forever). */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf env;
static void *volatile fault_addr = (void *)1;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)ctx;
    fault_addr = si->si_addr;
    siglongjmp(env, 1);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    if (sigsetjmp(env, 1) == 0) {       /* 1: also save/restore signal mask */
        printf("reading NULL\n");
        fflush(stdout);
        int v = *(volatile int *)0;
        printf("unreachable: %d\n", v);
        return 1;
    }
    printf("recovered\n");
    printf("si_addr == NULL: %s\n", fault_addr == NULL ? "yes" : "no");

    /* the mask was restored, so a second fault is caught again */
    if (sigsetjmp(env, 1) == 0) {
        int v = *(volatile int *)0;
        printf("unreachable: %d\n", v);
        return 1;
    }
    printf("recovered again\n");
    return 0;
}
