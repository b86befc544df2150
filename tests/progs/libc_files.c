/* File-system walking and temporary files through libc: realpath, ftw/nftw, glob, mkstemp, tmpfile,
   fmemopen, open_memstream, getpwnam/getgrgid (musl only), scandir, fopen modes, ungetc, fseek. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int seen;
static int visit(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st; seen++;
    printf("nftw %d %d %s\n", flag, f->level, path);
    return 0;
}
static int visit_old(const char *path, const struct stat *st, int flag) { (void)path; (void)st; (void)flag; seen++; return 0; }
static int alpha(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

int main(void) {
    char dir[] = "libcfilesXXXXXX";
    if (!mkdtemp(dir)) return 1;
    char top[PATH_MAX];
    if (!getcwd(top, sizeof top) || chdir(dir)) return 1;
    mkdir("a", 0755); mkdir("a/b", 0700);
    FILE *f = fopen("a/one.txt", "w"); fputs("one\ntwo\nthree\n", f); fclose(f);
    f = fopen("a/b/two.c", "w"); fprintf(f, "%d\n", 2); fclose(f);
    symlink("one.txt", "a/ln");
    char rp[PATH_MAX];
    printf("realpath=%s\n", realpath("a/b/../ln", rp) ? strstr(rp, dir) + strlen(dir) : "null");
    errno = 0; printf("realpath missing=%s errno=%d\n", realpath("a/nope", rp) ? "?" : "null", errno);
    nftw("a", visit, 8, FTW_PHYS);  /* order is readdir order: sort later */
    seen = 0; ftw("a", visit_old, 4); printf("ftw saw %d\n", seen);
    glob_t g; int rc = glob("a/*", GLOB_MARK, NULL, &g);
    printf("glob rc=%d n=%zu", rc, g.gl_pathc); for (size_t i = 0; i < g.gl_pathc; i++) printf(" %s", g.gl_pathv[i]); printf("\n"); globfree(&g);
    printf("glob nomatch=%d\n", glob("zz*", 0, NULL, &g) == GLOB_NOMATCH);
    struct dirent **list; int n = scandir("a", &list, NULL, alpha);
    printf("scandir %d:", n); for (int i = 0; i < n; i++) { printf(" %s", list[i]->d_name); free(list[i]); } printf("\n"); free(list);
    char tmpl[] = "tmpXXXXXX"; int fd = mkstemp(tmpl);
    printf("mkstemp fd=%d len=%zu\n", fd, strlen(tmpl)); write(fd, "xyz", 3); struct stat st; fstat(fd, &st); printf("size=%lld mode=%o\n", (long long)st.st_size, st.st_mode & 0777); close(fd); unlink(tmpl);
    FILE *t = tmpfile(); fputs("tmpfile data", t); rewind(t); char buf[64]; fgets(buf, sizeof buf, t); printf("tmpfile=%s\n", buf); fclose(t);
    char mem[] = "fmem contents\nline2\n"; FILE *m = fmemopen(mem, strlen(mem), "r"); fgets(buf, sizeof buf, m); printf("fmemopen=%s", buf); fclose(m);
    char *ms; size_t msz; FILE *o = open_memstream(&ms, &msz); fprintf(o, "%d-%s", 42, "memstream"); fclose(o); printf("open_memstream=%s %zu\n", ms, msz); free(ms);
    f = fopen("a/one.txt", "r+"); fseek(f, 4, SEEK_SET); int c = fgetc(f); ungetc('X', f); printf("fgetc=%c ftell=%ld next=%c\n", c, ftell(f), fgetc(f));
    fseek(f, 0, SEEK_END); fputs("four\n", f); fclose(f);
    f = fopen("a/one.txt", "a+"); fputs("five\n", f); rewind(f); int lines = 0; while (fgets(buf, sizeof buf, f)) lines++; printf("lines=%d\n", lines); fclose(f);
#ifndef __GLIBC__  /* static glibc's NSS loads shared libnss_* and may crash natively (it did, env-dependent) */
    struct passwd *pw = getpwnam("root"); printf("getpwnam root uid=%d dir=%s\n", pw ? (int)pw->pw_uid : -1, pw ? pw->pw_dir : "?");
    pw = getpwuid(0); printf("getpwuid 0 = %s\n", pw ? pw->pw_name : "null");
    struct group *gr = getgrgid(0); printf("getgrgid 0 = %s\n", gr ? gr->gr_name : "null");
    printf("getpwnam nosuch=%s\n", getpwnam("nosuchuserxyz") ? "found" : "null");
#endif
    printf("access=%d %d\n", access("a/one.txt", R_OK | W_OK), access("a/none", F_OK));
    rename("a/one.txt", "a/uno.txt"); printf("renamed exists=%d\n", access("a/uno.txt", F_OK) == 0);
    printf("remove=%d %d\n", remove("a/uno.txt"), remove("a/b/two.c"));
    unlink("a/ln"); rmdir("a/b"); rmdir("a"); chdir(top); printf("rmdir=%d\n", rmdir(dir));
    return 0;
}
