/* named_pipe.c -- a FIFO is a pipe with a name in the file system, so
 * unrelated processes can use it.  open() blocks until both a reader and a
 * writer have it open.
 *
 *   named_pipe read         (terminal 1) create the FIFO, print what arrives
 *   named_pipe write MSG    (terminal 2) send MSG
 * Path: $FIFO_PATH, default /tmp/my_pipe.  The reader removes the FIFO. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *path = getenv("FIFO_PATH");
    if (!path || !*path)
        path = "/tmp/my_pipe";
    if (argc < 2 || (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "write") != 0)
        || (strcmp(argv[1], "write") == 0 && argc < 3)) {
        fprintf(stderr, "usage: %s read | write MSG\n", argv[0]);
        return 2;
    }
    if (mkfifo(path, 0666) != 0 && errno != EEXIST) {
        perror("mkfifo");
        return 1;
    }
    if (strcmp(argv[1], "write") == 0) {
        int fd = open(path, O_WRONLY);  /* blocks until a reader opens */
        if (fd < 0) {
            perror("open");
            return 1;
        }
        ssize_t n = write(fd, argv[2], strlen(argv[2]));
        printf("Wrote %zd bytes\n", n);
        close(fd);
        return n < 0;
    }
    int fd = open(path, O_RDONLY);      /* blocks until a writer opens */
    if (fd < 0) {
        perror("open");
        return 1;
    }
    char buf[4096];
    ssize_t n, total = 0;
    while (total < (ssize_t)sizeof buf - 1
           && (n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = '\0';
    printf("Got: %s\n", buf);
    close(fd);
    unlink(path);
    return 0;
}
