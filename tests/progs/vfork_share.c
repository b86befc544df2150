/* A vfork child shares its parent's memory until it execs or exits: what it writes there (a
   global, the parent's stack frame, the heap, an anonymous mmap) is what the parent then reads.
   glibc's posix_spawn relies on it to report a failed exec (args->err in the parent's frame).
   Run natively and under elfemu; the output must be the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
volatile int global_var = 1;
static char big_bss[1 << 20];

static const char *ename(int e) {
    static char buf[16];
    if (e == 0) return "0";
    if (e == ENOENT) return "ENOENT";
    if (e == EACCES) return "EACCES";
    snprintf(buf, sizeof buf, "%d", e);
    return buf;
}

static int reap(pid_t pid) {
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static void vfork_writes(void) {
    volatile int local = 2;
    char *heap = malloc(100000);
    char *anon = mmap(NULL, 1 << 22, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(heap + 50000, "parent");
    anon[0] = 'p';
    pid_t pid = vfork();
    if (pid == 0) {
        global_var = 42;
        local = 7;
        strcpy(heap + 50000, "child");
        anon[0] = 'c';
        anon[3 << 20] = 'x';  /* a page the parent never touched */
        big_bss[777777] = 'b';
        _exit(3);
    }
    int status = reap(pid);
    printf("vfork: status=%d global=%d local=%d heap=%s anon=%c%c bss=%c\n", status, global_var, local,
           heap + 50000, anon[0], anon[3 << 20], big_bss[777777]);
    free(heap);
    munmap(anon, 1 << 22);
}

static void vfork_exec_error(void) {
    volatile int err = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {"nonexistent-elfemu-prog", NULL};
        execve("/nonexistent/elfemu-prog", argv, environ);
        err = errno;
        _exit(127);
    }
    int status = reap(pid);
    printf("vfork exec error: status=%d err=%s\n", status, ename(err));
}

static void vfork_exec_ok(void) {
    volatile int before = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        before = 5;
        char *argv[] = {"true", NULL};
        execve("/bin/true", argv, environ);
        _exit(127);
    }
    int status = reap(pid);
    printf("vfork exec ok: status=%d before=%d\n", status, before);
}

static void vfork_killed(void) {
    volatile int mark = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        mark = 9;
        kill(getpid(), SIGTERM);
        _exit(1);
    }
    int status = reap(pid);
    printf("vfork killed: status=%d mark=%d\n", status, mark);
}

static void vfork_then_fork(void) {
    volatile int a = 0, b = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        a = 1;
        pid_t inner = fork();
        if (inner == 0) _exit(0);
        waitpid(inner, NULL, 0);
        b = 2;
        _exit(0);
    }
    int status = reap(pid);
    printf("vfork then fork: status=%d a=%d b=%d\n", status, a, b);
}

static void spawn(const char *what, int use_path, const char *file) {
    pid_t pid = -1;
    char *argv[] = {(char *)file, NULL};
    int rc = use_path ? posix_spawnp(&pid, file, NULL, NULL, argv, environ)
                      : posix_spawn(&pid, file, NULL, NULL, argv, environ);
    int status = rc == 0 ? reap(pid) : -1;
    printf("%s %s: rc=%s status=%d\n", what, file, ename(rc), status);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    vfork_writes();
    vfork_exec_error();
    vfork_exec_ok();
    vfork_killed();
    vfork_then_fork();
    spawn("posix_spawnp", 1, "nonexistent-elfemu-prog");
    spawn("posix_spawn", 0, "/nonexistent/elfemu-prog");
    spawn("posix_spawn", 0, "/etc/passwd");
    spawn("posix_spawn", 0, "/bin/true");
    spawn("posix_spawnp", 1, "false");
    int rc = 0;
    for (int i = 0; i < 20; i++) rc |= posix_spawnp(&(pid_t){0}, "nonexistent-elfemu-prog", NULL, NULL,
                                                   (char *[]){"x", NULL}, environ) != ENOENT;
    printf("20 spawns of a missing program: %s\n", rc ? "some did not fail" : "all ENOENT");
    printf("system: %d\n", WEXITSTATUS(system("exit 5")));
    FILE *f = popen("echo popen works", "r");
    char line[64] = "";
    if (f && fgets(line, sizeof line, f)) printf("popen: %s", line);
    printf("pclose: %d\n", f ? pclose(f) : -1);
    return 0;
}
