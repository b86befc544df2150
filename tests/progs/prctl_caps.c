/* prctl_caps.c -- the capability, securebits, keepcaps, timerslack and THP options, as strace prints them. */
#include <sys/prctl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
int main(void){ int v = -1;
 prctl(PR_CAPBSET_READ, 21); prctl(PR_CAPBSET_READ, 99); prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 13, 0, 0);
 prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); prctl(PR_CAP_AMBIENT, 9, 0, 0, 0); prctl(PR_GET_SECUREBITS); prctl(PR_GET_KEEPCAPS);
 prctl(PR_SET_KEEPCAPS, 1); prctl(PR_SET_KEEPCAPS, 0); prctl(PR_CAPBSET_DROP, 200); prctl(PR_GET_CHILD_SUBREAPER, &v); prctl(PR_GET_TIMERSLACK);
 prctl(PR_SET_TIMERSLACK, 50000); prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0); prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS); prctl(PR_GET_SECUREBITS);
 prctl(PR_SET_SECUREBITS, 0); prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0); prctl(PR_SET_DUMPABLE, 1); return 0; }
