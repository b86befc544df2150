/* Decoding details strace gets right: O_TMPFILE in open flags and F_GETFL's answer (it shares a bit
   with O_DIRECTORY), and prctl's task names (at most 15 bytes shown, "..." when no NUL, -s applies). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void) {
    int fd = open("/tmp", O_RDWR | O_EXCL | O_TMPFILE, 0600);
    fcntl(fd, F_GETFL);
    close(fd);
    close(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    char name[16];
    prctl(PR_SET_NAME, "averylongname-abcdefgh");
    prctl(PR_GET_NAME, name);
    prctl(PR_SET_NAME, "short");
    return 0;
}
