/* ETXTBSY: a running program's file cannot be opened for writing (Linux's write denial on the
   file a process executes; fs/exec.c). Its own file, through every way in; a program another
   process runs (a child that exec'd a copy), until that child is gone; and the files that stay
   writable: the same program not running, a non-executable file. Prints one line per call:
   what it is and the result (0 or the errno's name). Run in a scratch directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *result(int ret) {
    static char buf[32];
    if (ret >= 0)
        return "0";
    if (errno == ETXTBSY)
        return "ETXTBSY";
    snprintf(buf, sizeof buf, "errno %d", errno);
    return buf;
}

static void try_open(const char *what, const char *path, int flags) {
    int fd = open(path, flags, 0755);
    printf("%-28s %s\n", what, result(fd));
    if (fd >= 0)
        close(fd);
}

static void copy_file(const char *from, const char *to) {
    char buf[65536];
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            break;
    close(in);
    close(out);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "wait") == 0) { /* the exec'd copy: ready, then wait for the word */
        char c;
        if (write(1, "r", 1) != 1 || read(0, &c, 1) != 1)
            return 1;
        return 0;
    }
    try_open("own O_WRONLY", argv[0], O_WRONLY);
    try_open("own O_RDWR", argv[0], O_RDWR);
    try_open("own O_RDONLY|O_TRUNC", argv[0], O_RDONLY | O_TRUNC);
    try_open("own O_RDONLY", argv[0], O_RDONLY);
    printf("%-28s %s\n", "own creat", result(creat(argv[0], 0755)));
    printf("%-28s %s\n", "own truncate", result(truncate(argv[0], 0)));

    copy_file(argv[0], "copy");
    try_open("copy not running", "copy", O_WRONLY);
    int to_child[2], from_child[2];
    if (pipe(to_child) || pipe(from_child))
        return 2;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        execl("./copy", "./copy", "wait", (char *)0);
        _exit(127);
    }
    char c;
    if (read(from_child[0], &c, 1) != 1)
        return 3;
    try_open("copy run by child", "copy", O_WRONLY);
    try_open("copy O_CREAT|O_EXCL", "copy", O_WRONLY | O_CREAT | O_EXCL);
    printf("%-28s %s\n", "copy truncate", result(truncate("copy", 0)));
    if (write(to_child[1], "x", 1) != 1)
        return 4;
    int status;
    waitpid(pid, &status, 0);
    printf("child status %d\n", status);
    try_open("copy after child", "copy", O_WRONLY | O_TRUNC);

    int fd = open("data", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    close(fd);
    try_open("non-executable file", "data", O_RDWR | O_TRUNC);
    return 0;
}
