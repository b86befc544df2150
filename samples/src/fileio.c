/* fileio.c -- file descriptors and the file-related system calls:
 * open/write/lseek/read/pread/fstat/rename/unlink, then the same file
 * through stdio (fopen/fprintf/fgets).
 *
 * usage: fileio [DIR]   (DIR must exist; default: a fresh
 *        /tmp/elfemu-fileio-<pid> that is created and removed again).
 * Nothing path- or pid-dependent is printed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    _exit(1);
}

int main(int argc, char **argv)
{
    char dir[256], path[512], path2[512], buf[128];
    int own_dir = argc < 2;

    if (own_dir) {
        snprintf(dir, sizeof dir, "/tmp/elfemu-fileio-%d", (int)getpid());
        if (mkdir(dir, 0700) != 0)
            die("mkdir");
    } else {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    }
    snprintf(path, sizeof path, "%s/data.txt", dir);
    snprintf(path2, sizeof path2, "%s/renamed.txt", dir);

    /* --- raw system calls --- */
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("open");
    const char *lines[] = { "first line\n", "second line\n", "third line\n" };
    for (int i = 0; i < 3; i++) {
        ssize_t n = write(fd, lines[i], strlen(lines[i]));
        printf("write %d -> %zd\n", i, n);
    }

    off_t pos = lseek(fd, 0, SEEK_CUR);
    printf("lseek(0, SEEK_CUR) = %ld\n", (long)pos);
    pos = lseek(fd, 0, SEEK_SET);
    printf("lseek(0, SEEK_SET) = %ld\n", (long)pos);

    ssize_t n = read(fd, buf, 10);
    buf[n < 0 ? 0 : n] = '\0';
    printf("read(10) = %zd \"%s\"\n", n, buf);

    n = pread(fd, buf, 6, 11);          /* "second" -- offset unchanged */
    buf[n < 0 ? 0 : n] = '\0';
    printf("pread(6, off 11) = %zd \"%s\"\n", n, buf);
    printf("offset after pread = %ld\n", (long)lseek(fd, 0, SEEK_CUR));

    struct stat st;
    if (fstat(fd, &st) != 0)
        die("fstat");
    printf("fstat size = %ld, regular file: %s, mode = %o\n", (long)st.st_size,
           S_ISREG(st.st_mode) ? "yes" : "no", (unsigned)(st.st_mode & 0777));

    n = read(fd, buf, 0);
    printf("read(0) = %zd\n", n);
    lseek(fd, 0, SEEK_END);
    n = read(fd, buf, sizeof buf);
    printf("read at EOF = %zd\n", n);
    printf("close = %d\n", close(fd));

    /* --- rename --- */
    printf("rename = %d\n", rename(path, path2));
    printf("old name exists: %s\n", access(path, F_OK) == 0 ? "yes" : "no");
    printf("new name exists: %s\n", access(path2, F_OK) == 0 ? "yes" : "no");

    /* --- stdio on top of the same file --- */
    FILE *f = fopen(path2, "a");
    if (!f)
        die("fopen a");
    fprintf(f, "appended by fprintf %d\n", 42);
    fclose(f);

    f = fopen(path2, "r");
    if (!f)
        die("fopen r");
    int lineno = 0;
    while (fgets(buf, sizeof buf, f))
        printf("fgets %d: %s", ++lineno, buf);
    fclose(f);

    /* --- unlink --- */
    printf("unlink = %d\n", unlink(path2));
    errno = 0;
    int r = open(path2, O_RDONLY);
    printf("open after unlink = %d (%s)\n", r, r < 0 ? strerror(errno) : "?");

    if (own_dir && rmdir(dir) != 0)
        die("rmdir");
    return 0;
}
