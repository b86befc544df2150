/* Extended attributes: set, get (size query and value), list, remove; errors as the kernel gives. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

static void show(const char *what, long r) {
    printf("%s -> %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

int main(int argc, char **argv) {
    const char *f = argc > 1 ? argv[1] : "xattr.file";
    FILE *fp = fopen(f, "w");
    fputs("data\n", fp);
    fclose(fp);
    char buf[256] = {0};
    show("set user.elfemu", setxattr(f, "user.elfemu", "state machine", 13, 0));
    show("set XATTR_CREATE again", setxattr(f, "user.elfemu", "x", 1, XATTR_CREATE));
    show("get size", getxattr(f, "user.elfemu", NULL, 0));
    long n = getxattr(f, "user.elfemu", buf, sizeof buf);
    show("get", n);
    if (n > 0) printf("value=%.*s\n", (int)n, buf);
    show("get too small", getxattr(f, "user.elfemu", buf, 2));
    show("get missing", getxattr(f, "user.none", buf, sizeof buf));
    show("lget security.selinux", lgetxattr(f, "security.selinux", buf, sizeof buf));
    n = listxattr(f, buf, sizeof buf);
    show("list", n);
    for (long i = 0; i < n; i += strlen(buf + i) + 1) printf("name=%s\n", buf + i);
    show("remove", removexattr(f, "user.elfemu"));
    show("remove again", removexattr(f, "user.elfemu"));
    show("get bad name ptr", getxattr(f, (const char *)1, buf, sizeof buf));
    return 0;
}
