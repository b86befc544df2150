/* Odds and ends: getopt_long, uname, sysconf, getrlimit, environ, random with seed, bsearch,
   hsearch, regcomp/regexec, iconv-free string ops, getline, strsignal/strerror, qsort_r-free sorting. */
#define _GNU_SOURCE
#include <getopt.h>
#include <regex.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <errno.h>
#include <fnmatch.h>

static int ic(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(int argc, char **argv) {
    static struct option opts[] = {{"name", required_argument, 0, 'n'}, {"verbose", no_argument, 0, 'v'}, {0, 0, 0, 0}};
    int c; while ((c = getopt_long(argc, argv, "n:vx", opts, NULL)) != -1) printf("opt %c %s\n", c, optarg ? optarg : "-");
    for (int i = optind; i < argc; i++) printf("arg %s\n", argv[i]);
    struct utsname u; uname(&u); printf("sysname=%s machine=%s\n", u.sysname, u.machine);
    printf("pagesize=%ld clk_tck=%ld open_max>0=%d nproc>0=%d\n", sysconf(_SC_PAGESIZE), sysconf(_SC_CLK_TCK), sysconf(_SC_OPEN_MAX) > 0, sysconf(_SC_NPROCESSORS_ONLN) > 0);
    struct rlimit rl; getrlimit(RLIMIT_STACK, &rl); printf("stack rlimit>0=%d\n", rl.rlim_cur > 0);
    srand(12345); printf("rand %d %d\n", rand(), rand());
    srandom(7); printf("random %ld\n", random());
    unsigned short xs[3] = {1, 2, 3}; printf("nrand48 %ld\n", nrand48(xs));
    int arr[] = {1, 3, 5, 7, 9, 11}; int key = 7; int *f = bsearch(&key, arr, 6, sizeof(int), ic); printf("bsearch idx=%ld\n", f ? (long)(f - arr) : -1L);
    hcreate(16); ENTRY e = {"k1", "v1"}; hsearch(e, ENTER); ENTRY *r = hsearch((ENTRY){"k1", NULL}, FIND); printf("hsearch %s\n", r ? (char *)r->data : "null"); hdestroy();
    regex_t re; regcomp(&re, "([a-z]+)@([a-z]+)\\.com", REG_EXTENDED); regmatch_t m[3];
    if (regexec(&re, "mail bob@example.com now", 3, m, 0) == 0) printf("regex %.*s %.*s\n", (int)(m[1].rm_eo - m[1].rm_so), "mail bob@example.com now" + m[1].rm_so, (int)(m[2].rm_eo - m[2].rm_so), "mail bob@example.com now" + m[2].rm_so);
    regfree(&re);
    printf("fnmatch %d %d\n", fnmatch("*.c", "x.c", 0), fnmatch("a?c", "abd", 0) == FNM_NOMATCH);
    FILE *fp = fopen("/proc/self/cmdline", "r"); char *line = NULL; size_t cap = 0; ssize_t n = getdelim(&line, &cap, 0, fp); printf("cmdline argv0 len>0=%d\n", n > 0); fclose(fp); free(line);
    printf("strerror %s | %s\n", strerror(ENOENT), strsignal(SIGSEGV));
    char *tok, *save, s[] = "a,b;;c"; for (tok = strtok_r(s, ",;", &save); tok; tok = strtok_r(NULL, ",;", &save)) printf("tok %s\n", tok);
    char *dup = strndup("abcdef", 3); printf("strndup %s memmem %s\n", dup, (char *)memmem("hello world", 11, "wor", 3)); free(dup);
    void *big = malloc(64 << 20); memset(big, 1, 64 << 20); printf("big malloc ok %d\n", ((char *)big)[12345678]); free(big);
    void *al; int arc = posix_memalign(&al, 4096, 100); printf("posix_memalign=%d aligned=%d\n", arc, ((unsigned long)al & 4095) == 0); free(al);
    char *cwd = getcwd(NULL, 0); printf("getcwd ok %d\n", cwd != NULL); free(cwd);
    printf("isatty(0)=%d ttyname=%s\n", isatty(0), ttyname(0) ? "tty" : "none");
    return 0;
}
