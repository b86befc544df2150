/* System V shared memory, semaphores and message queues: across fork, with blocking calls that a
 * signal interrupts. Prints only what is the same natively and under elfemu. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };
struct msg { long type; char text[64]; };

/* The result, and errno's text when it failed (errno read after the call, not before) */
#define SHOW(label, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%s: %ld%s%s\n", label, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

static void on_alarm(int sig) { (void)sig; }

static void show_maps(const char *what) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8], name[128] = "";
        unsigned long off;
        sscanf(line, "%lx-%lx %7s %lx %*s %*s %127[^\n]", &lo, &hi, perms, &off, name);
        if (strstr(name, "SYSV")) printf("%s: %lu bytes %s %08lx %.6s...%s\n", what, hi - lo, perms, off, name,
                                         strstr(name, " (deleted)") ? " (deleted)" : "");
    }
    fclose(f);
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART; /* SysV IPC waits are never restarted */
    sigaction(SIGALRM, &sa, NULL);

    int shm = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    char *a = shmat(shm, NULL, 0);
    printf("shmat: %s\n", a == (void *)-1 ? strerror(errno) : "ok");
    strcpy(a, "parent wrote this");
    char *b = shmat(shm, NULL, SHM_RDONLY);
    printf("second view: %s\n", b);
    show_maps("maps");
    struct shmid_ds ds;
    shmctl(shm, IPC_STAT, &ds);
    printf("segsz=%zu nattch=%lu mode=%o\n", ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        shmctl(shm, IPC_STAT, &ds);
        printf("child nattch=%lu\n", (unsigned long)ds.shm_nattch);
        fflush(stdout);
        strcpy(a + 5000, "child wrote this");
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("parent reads: %s\n", b + 5000);
    SHOW("shmdt mid", shmdt(a + 4096));
    printf("shmdt: %d\n", shmdt(b));
    errno = 0;
    SHOW("shmat bad id", shmat(-1, NULL, 0));
    SHOW("shmat unaligned", shmat(shm, a + 1, 0));
    SHOW("shmat onto itself", shmat(shm, a, 0));
    char *r = shmat(shm, a + 100, SHM_RND | SHM_REMAP);
    printf("shmat SHM_RND|SHM_REMAP: %s %s\n", r == a ? "same place" : "elsewhere", r == a ? r : "");
    SHOW("shmat onto a mapping", shmat(shm, (void *)&ds, 0));
    show_maps("after shmdt");
    shmctl(shm, IPC_RMID, NULL);
    printf("after IPC_RMID: %s\n", a);
    shmdt(a);
    show_maps("after last shmdt");

    int sem = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    unsigned short vals[3] = {1, 2, 3}, got[3] = {0};
    printf("SETALL: %d\n", semctl(sem, 0, SETALL, (union semun){.array = vals}));
    printf("SETVAL: %d\n", semctl(sem, 2, SETVAL, (union semun){.val = 7}));
    semctl(sem, 0, GETALL, (union semun){.array = got});
    printf("GETALL: %u %u %u GETVAL: %d\n", got[0], got[1], got[2], semctl(sem, 1, GETVAL));
    struct semid_ds sds;
    semctl(sem, 0, IPC_STAT, (union semun){.buf = &sds});
    printf("nsems=%lu\n", (unsigned long)sds.sem_nsems);
    struct sembuf ops[2] = {{0, -1, 0}, {1, +1, SEM_UNDO}};
    printf("semop: %d\n", semop(sem, ops, 2));
    ops[0].sem_flg = IPC_NOWAIT;
    SHOW("semop IPC_NOWAIT", semop(sem, ops, 1));
    struct timespec ts = {0, 20000000};
    ops[0].sem_flg = 0;
    SHOW("semtimedop", semtimedop(sem, ops, 1, &ts));
    alarm(1);
    SHOW("semop interrupted", semop(sem, ops, 1));
    fflush(stdout);
    if ((c = fork()) == 0) {
        struct sembuf up = {0, 1, 0};
        usleep(100000);
        semop(sem, &up, 1);
        _exit(0);
    }
    printf("semop woken by child: %d\n", semop(sem, ops, 1));
    waitpid(c, NULL, 0);
    printf("GETPID is self: %d\n", semctl(sem, 0, GETPID) == getpid());
    SHOW("semop bad", semop(sem, (void *)16, 1));
    static struct sembuf many[100000]; /* zeroed: the trace prints the first 32 of them */
    SHOW("semop E2BIG", semop(sem, many, 100000));
    printf("IPC_RMID: %d\n", semctl(sem, 0, IPC_RMID));

    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct msg m = {2, "second type"}, in;
    msgsnd(q, &m, strlen(m.text) + 1, 0);
    m.type = 1;
    strcpy(m.text, "first type, long text");
    msgsnd(q, &m, strlen(m.text) + 1, 0);
    struct msqid_ds qs;
    msgctl(q, IPC_STAT, &qs);
    printf("qnum=%lu cbytes=%lu\n", (unsigned long)qs.msg_qnum, (unsigned long)qs.__msg_cbytes);
    memset(&in, 0, sizeof in);
    printf("msgrcv type 2: %zd %s\n", msgrcv(q, &in, sizeof in.text, 2, 0), in.text);
    SHOW("msgrcv small", msgrcv(q, &in, 4, 0, 0));
    memset(&in, 0, sizeof in);
    printf("msgrcv MSG_NOERROR: %zd %s\n", msgrcv(q, &in, 5, 0, MSG_NOERROR), in.text);
    SHOW("msgrcv empty", msgrcv(q, &in, sizeof in.text, 0, IPC_NOWAIT));
    alarm(1);
    SHOW("msgrcv interrupted", msgrcv(q, &in, sizeof in.text, 0, 0));
    fflush(stdout);
    if ((c = fork()) == 0) {
        struct msg cm = {5, "from the child"};
        usleep(100000);
        msgsnd(q, &cm, sizeof cm.text, 0);
        _exit(0);
    }
    memset(&in, 0, sizeof in);
    ssize_t n = msgrcv(q, &in, sizeof in.text, -10, 0);
    printf("msgrcv from child: %zd type=%ld %s\n", n, in.type, in.text);
    waitpid(c, NULL, 0);
    SHOW("msgsnd bad", msgsnd(q, (void *)16, 8, 0));
    printf("msgctl IPC_RMID: %d\n", msgctl(q, IPC_RMID, NULL));
    SHOW("msgsnd removed", msgsnd(q, &m, 8, 0));
    return 0;
}
