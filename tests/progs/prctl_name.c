#include <stdio.h>
#include <sys/prctl.h>
#include <signal.h>
int main(){ char n[16]; prctl(PR_SET_NAME,"worker-7"); prctl(PR_GET_NAME,n); printf("%s\n",n);
 FILE*f=fopen("/proc/self/comm","r"); char b[32]; fgets(b,32,f); printf("comm=%s",b);
 int s=-1; prctl(PR_SET_PDEATHSIG,SIGTERM); prctl(PR_GET_PDEATHSIG,&s); printf("pdeath=%d dumpable=%d bad=%d\n",s,prctl(PR_GET_DUMPABLE),prctl(9999)); return 0;}
