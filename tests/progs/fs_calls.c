/* fs_calls.c -- the file-system and descriptor system calls, one check per line.
 * Run in an empty directory; prints only facts that are the same on every run (results,
 * errno names, sizes, modes), so native and emulated output can be compared byte for byte. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

static const char *en(int e)
{
    switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(EBADF) E(EFAULT) E(EEXIST) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENOTTY)
    E(ERANGE) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENAMETOOLONG) E(EACCES) E(ESPIPE) E(EXDEV)
#undef E
    default: return "E?";
    }
}

#define SHOW(expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%-58s = %ld %s\n", #expr, r_, r_ < 0 ? en(errno) : ""); } while (0)

/* struct statx's first fields (musl's headers may lack it); the kernel writes 256 bytes. */
struct sx { unsigned mask, blksize; unsigned long long attributes; unsigned nlink, uid, gid;
            unsigned short mode, pad; unsigned long long ino, size; char rest[208]; };
#define SX_MODE 0x2
#define SX_SIZE 0x200
#define SX_BASIC 0x7ff

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (write(fd, text, strlen(text)) < 0) perror("write");
    close(fd);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    char buf[512], *names[64];
    int n = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0) break;
        for (long off = 0; off < got;) {
            struct { unsigned long ino; long off; unsigned short reclen; unsigned char type; char name[]; } *d =
                (void *)(buf + off);
            if (n < 64) names[n++] = strdup(d->name);
            off += d->reclen;
        }
    }
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", path);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
    lseek(fd, 0, SEEK_SET);
    long again = syscall(SYS_getdents64, fd, buf, sizeof buf);
    printf("rewind then getdents64 > 0: %d\n", again > 0);
    lseek(fd, 0, SEEK_SET);
    SHOW(syscall(SYS_getdents64, fd, buf, 8)); /* too small for one entry */
    SHOW(syscall(SYS_getdents64, fd, (void *)8, 512));
    SHOW(syscall(SYS_getdents64, 1, buf, sizeof buf));
    close(fd);
}

static void basics(void)
{
    char buf[64];
    SHOW(syscall(SYS_write, 1, (void *)1, 5));
    SHOW(syscall(SYS_read, 0, (void *)1, 5));
    SHOW(syscall(1000));
    SHOW(syscall(SYS_open, (char *)1, O_RDONLY));
    SHOW(stat("f1", (struct stat *)8));
    SHOW(close(-1));
    SHOW(read(77, buf, 4));
    SHOW(fstat(-5, (struct stat *)buf));
    SHOW(lseek(0, 0, 99));
}

static void opening(void)
{
    SHOW(open("f1", O_WRONLY | O_CREAT | O_EXCL, 0640));
    SHOW(open("f1", O_WRONLY | O_CREAT | O_EXCL, 0640));
    SHOW(open("nosuch", O_RDONLY));
    SHOW(open(".", O_WRONLY));
    SHOW(open("f1/x", O_RDONLY));
    SHOW(open("f1", O_RDONLY | O_DIRECTORY));
    SHOW(close(3));
    SHOW(creat("f2", 0600));
    SHOW(dup(3));
    SHOW(dup2(3, 10));
    SHOW(dup3(3, 3, 0));
    SHOW(dup3(3, 11, O_CLOEXEC));
    SHOW(fcntl(11, F_GETFD));
    SHOW(fcntl(3, F_DUPFD, 20));
    SHOW(fcntl(3, F_DUPFD_CLOEXEC, 5));
    SHOW(fcntl(3, F_GETFL) & O_ACCMODE);
    SHOW(fcntl(3, F_SETFL, O_APPEND | O_NONBLOCK));
    SHOW(fcntl(3, F_GETFL) & (O_APPEND | O_NONBLOCK));
    SHOW(fcntl(3, 12345));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    SHOW(fcntl(3, F_SETLK, &fl));
    fl.l_type = F_RDLCK;
    SHOW(fcntl(3, F_GETLK, &fl));
    SHOW(fl.l_type == F_UNLCK);
    SHOW(close(4) + close(10) + close(11) + close(20) + close(5));
    SHOW(ioctl(3, FIOCLEX));
    SHOW(fcntl(3, F_GETFD));
    SHOW(ioctl(3, FIONCLEX));
    SHOW(fcntl(3, F_GETFD));
    struct termios t;
    SHOW(ioctl(3, TCGETS, &t));
    SHOW(ioctl(3, 0x12345678, 0));
    SHOW(close(3));
}

static void io(void)
{
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char a[] = "hello ", b[] = "vector ", c[] = "world\n", buf[64] = {0};
    struct iovec w[3] = {{a, 6}, {b, 7}, {c, 6}};
    SHOW(writev(fd, w, 3));
    SHOW(syscall(SYS_writev, fd, w, -1));
    SHOW(lseek(fd, 0, SEEK_CUR));
    SHOW(lseek(fd, -6, SEEK_END));
    SHOW(lseek(fd, -100, SEEK_SET));
    SHOW(pwrite(fd, "HELLO", 5, 0));
    SHOW(pread(fd, buf, 12, 0));
    printf("pread: %s\n", buf);
    SHOW(syscall(SYS_pread64, fd, buf, 4, -1L));
    char r1[4], r2[8];
    struct iovec r[2] = {{r1, 4}, {r2, 8}};
    lseek(fd, 0, SEEK_SET);
    SHOW(readv(fd, r, 2));
    printf("readv: %.4s|%.8s\n", r1, r2);
    SHOW(syscall(SYS_readv, fd, (struct iovec *)8, 1));
    SHOW(ftruncate(fd, 3));
    struct stat st;
    fstat(fd, &st);
    printf("size after ftruncate: %ld\n", (long)st.st_size);
    SHOW(truncate("data", 100));
    stat("data", &st);
    printf("size after truncate: %ld blocks>=0: %d\n", (long)st.st_size, st.st_blocks >= 0);
    SHOW(fsync(fd));
    SHOW(fdatasync(fd));
    int p[2];
    SHOW(pipe(p));
    SHOW(write(p[1], "abcdef", 6));
    int avail = -1;
    SHOW(ioctl(p[0], FIONREAD, &avail));
    printf("FIONREAD: %d\n", avail);
    SHOW(lseek(p[0], 0, SEEK_SET));
    SHOW(fcntl(p[0], F_GETPIPE_SZ) > 0);
    off_t off = 1;
    SHOW(sendfile(p[1], fd, &off, 50));
    printf("sendfile offset now %ld\n", (long)off);
    SHOW(read(p[0], buf, sizeof buf));
    int out = open("copy", O_RDWR | O_CREAT | O_TRUNC, 0644);
    loff_t in_off = 0;
    long cfr = copy_file_range(fd, &in_off, out, NULL, 100, 0);
    printf("copy_file_range ok: %d in_off=%ld\n", cfr == 100 || (cfr < 0 && errno == EXDEV), (long)in_off);
    close(out);
    close(p[0]);
    close(p[1]);
    close(fd);
}

static void status(void)
{
    struct stat st, lst, fst;
    symlink("data", "ln");
    SHOW(stat("ln", &st));
    SHOW(lstat("ln", &lst));
    printf("stat: reg=%d size=%ld mode=%o nlink=%ld | lstat: lnk=%d size=%ld\n", S_ISREG(st.st_mode),
           (long)st.st_size, st.st_mode & 07777, (long)st.st_nlink, S_ISLNK(lst.st_mode), (long)lst.st_size);
    SHOW(fstatat(AT_FDCWD, "ln", &fst, AT_SYMLINK_NOFOLLOW));
    printf("fstatat nofollow is link: %d\n", S_ISLNK(fst.st_mode));
    int fd = open("data", O_RDONLY);
    SHOW(fstatat(fd, "", &fst, AT_EMPTY_PATH));
    printf("AT_EMPTY_PATH same inode: %d\n", fst.st_ino == st.st_ino);
    SHOW(fstatat(fd, "", &fst, 0));
    SHOW(fstatat(fd, "x", &fst, 0));
    struct sx sx;
    SHOW(syscall(332, AT_FDCWD, "ln", 0, SX_SIZE | SX_MODE, &sx));
    printf("statx size=%llu mode=%o same ino: %d\n", (unsigned long long)sx.size, sx.mode & 07777,
           sx.ino == st.st_ino);
    SHOW(syscall(332, AT_FDCWD, "ln", AT_SYMLINK_NOFOLLOW, SX_BASIC, &sx));
    printf("statx nofollow link: %d\n", S_ISLNK(sx.mode));
    SHOW(access("data", R_OK | W_OK));
    SHOW(access("nosuch", F_OK));
    SHOW(faccessat(AT_FDCWD, "ln", X_OK, AT_EACCESS) == 0 || errno == EACCES);
    SHOW(syscall(SYS_faccessat2, AT_FDCWD, "ln", F_OK, AT_SYMLINK_NOFOLLOW));
    char lb[64] = {0};
    SHOW(readlink("ln", lb, sizeof lb));
    SHOW(readlink("ln", lb, 2));
    printf("readlink short: %.2s\n", lb);
    SHOW(readlink("data", lb, sizeof lb));
    SHOW(syscall(SYS_readlink, "ln", lb, 0));
    SHOW(syscall(SYS_readlink, "nosuch", (char *)8, 10));
    SHOW(syscall(SYS_readlink, "ln", (char *)8, 10));
    SHOW(readlinkat(AT_FDCWD, "ln", lb, sizeof lb));
    SHOW(chmod("data", 0612));
    stat("data", &st);
    printf("mode after chmod: %o\n", st.st_mode & 07777);
    SHOW(fchmod(fd, 0644));
    SHOW(fchmodat(AT_FDCWD, "data", 0640, 0));
    SHOW(chown("data", -1, -1));
    SHOW(lchown("ln", -1, -1));
    SHOW(fchown(fd, getuid(), -1));
    SHOW(umask(022));
    SHOW(umask(077));
    SHOW(umask(022));
    struct timespec ts[2] = {{981173106, 5}, {981173106, 123456789}};
    SHOW(utimensat(AT_FDCWD, "data", ts, 0));
    stat("data", &st);
    printf("mtime=%ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = 1000000000;
    ts[1].tv_nsec = 0;
    SHOW(futimens(fd, ts));
    fstat(fd, &st);
    printf("mtime=%ld atime kept: %d\n", (long)st.st_mtim.tv_sec, st.st_atim.tv_sec == 981173106);
    SHOW(utimensat(AT_FDCWD, "ln", NULL, AT_SYMLINK_NOFOLLOW));
    struct statfs sf1, sf2;
    SHOW(statfs(".", &sf1));
    SHOW(fstatfs(fd, &sf2));
    printf("statfs same type: %d\n", sf1.f_type == sf2.f_type);
    close(fd);
}

static void dirs(void)
{
    char cwd[PATH_MAX], small[2];
    SHOW(getcwd(small, sizeof small) == NULL);
    printf("errno %s\n", en(errno));
    SHOW(mkdir("d", 0755));
    SHOW(mkdir("d", 0755));
    SHOW(mkdirat(AT_FDCWD, "d/e", 0700));
    put("d/file", "x\n");
    SHOW(rmdir("d"));
    SHOW(unlink("d"));
    SHOW(link("d/file", "d/hard"));
    SHOW(symlink("file", "d/soft"));
    SHOW(symlinkat("nowhere", AT_FDCWD, "d/dangling"));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    SHOW(linkat(dfd, "file", dfd, "hard2", 0));
    SHOW(renameat(dfd, "hard2", AT_FDCWD, "moved"));
    SHOW(syscall(SYS_renameat2, AT_FDCWD, "moved", dfd, "file", 1 /* RENAME_NOREPLACE */));
    SHOW(rename("moved", "d/e/moved"));
    SHOW(unlinkat(dfd, "e", AT_REMOVEDIR));
    SHOW(unlinkat(dfd, "e/moved", 0));
    SHOW(unlinkat(dfd, "e", AT_REMOVEDIR));
    list_dir("d");
    SHOW(chdir("d"));
    SHOW(getcwd(cwd, sizeof cwd) != NULL);
    printf("cwd ends with /d: %d\n", strcmp(cwd + strlen(cwd) - 2, "/d") == 0);
    SHOW(access("hard", F_OK));
    SHOW(chdir("nosuch"));
    SHOW(chdir(".."));
    SHOW(fchdir(dfd));
    SHOW(access("soft", F_OK));
    SHOW(access("dangling", F_OK));
    SHOW(fchdir(-1));
    SHOW(chdir(".."));
    close(dfd);
    SHOW(rmdir("d"));
}

static void self(const char *argv0)
{
    char exe[PATH_MAX] = {0}, real[PATH_MAX], path[64], buf[8192];
    SHOW(readlink("/proc/self/exe", exe, sizeof exe) > 0);
    realpath(argv0, real);
    printf("exe is argv0: %d\n", strcmp(exe, real) == 0);
    snprintf(path, sizeof path, "/proc/%d/exe", getpid());
    char exe2[PATH_MAX] = {0};
    readlink(path, exe2, sizeof exe2);
    printf("/proc/PID/exe is argv0: %d\n", strcmp(exe2, real) == 0);
    struct stat s1, s2;
    stat("/proc/self/exe", &s1);
    stat(argv0, &s2);
    printf("stat exe same inode: %d\n", s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
    int fd = open("/proc/self/exe", O_RDONLY);
    SHOW(read(fd, buf, 4));
    printf("exe magic ok: %d\n", memcmp(buf, "\177ELF", 4) == 0);
    close(fd);
    SHOW(open("/proc/self/maps", O_RDONLY));
    long n = read(3, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("maps has exe: %d, [stack]: %d\n", strstr(buf, real) != NULL, strstr(buf, "[stack]") != NULL);
    struct stat ms;
    SHOW(fstat(3, &ms));
    SHOW(lseek(3, 0, SEEK_SET));
    char first[32];
    SHOW(read(3, first, 8) == 8 && memcmp(first, buf, 8) == 0);
    SHOW(write(3, "x", 1));
    close(3);
    fd = open("/proc/self/cmdline", O_RDONLY);
    n = read(fd, buf, sizeof buf);
    printf("cmdline: %ld bytes, starts with argv0: %d\n", n, strcmp(buf, argv0) == 0);
    close(fd);
    fd = open("/proc/self/auxv", O_RDONLY);
    unsigned long av[512];
    n = read(fd, av, sizeof av);
    int pg = 0, entry = 0;
    for (long i = 0; i + 1 < n / 8; i += 2) {
        if (av[i] == AT_PAGESZ) pg = av[i + 1] == 4096;
        if (av[i] == AT_ENTRY) entry = av[i + 1] == getauxval(AT_ENTRY);
    }
    printf("auxv: pagesz %d entry %d ends with AT_NULL %d\n", pg, entry, av[n / 8 - 2] == 0);
    close(fd);
    fd = open("/proc/self/environ", O_RDONLY);
    n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    int found = 0;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1)
        found |= strcmp(p, "FS_CALLS_MARK=42") == 0;
    printf("environ has marker: %d\n", found);
    close(fd);
    fd = open("/proc/self/stat", O_RDONLY);
    n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    char want[64];
    const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
    snprintf(want, sizeof want, "%d (%.15s) ", getpid(), base);
    printf("stat line names us: %d\n", strncmp(buf, want, strlen(want)) == 0);
    close(fd);
    fd = open("/proc/self/comm", O_RDONLY);
    n = read(fd, buf, sizeof buf);
    printf("comm: %.*s", (int)n, buf);
    close(fd);
    SHOW(close(open("/proc/self/maps", O_WRONLY)));
    SHOW(readlink("/proc/self/fd/0", buf, sizeof buf) > 0);
}

static void ranges(void)
{
    int a = open("data", O_RDONLY), b = open("data", O_RDONLY);
    SHOW(a);
    SHOW(syscall(SYS_close_range, 3, ~0U, 0));
    SHOW(fcntl(a, F_GETFD));
    SHOW(fcntl(b, F_GETFD));
    SHOW(syscall(SYS_close_range, 5, 3, 0));
    SHOW(write(1, "", 0));
}

int main(int argc, char **argv)
{
    (void)argc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    basics();
    opening();
    io();
    status();
    dirs();
    self(argv[0]);
    ranges();
    return 0;
}
