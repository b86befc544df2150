/* proc_self.c -- /proc/self: the kernel's view of this process.
 * /proc/self/exe is a symlink to the executable; /proc/self/maps lists the
 * memory mappings (the text mapping is backed by that same file, and there
 * is a [stack]).  Only yes/no facts are printed, no addresses. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    char exe[PATH_MAX], real[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) {
        perror("readlink /proc/self/exe");
        return 1;
    }
    exe[n] = '\0';
    int have_real = realpath(argv[0], real) != NULL;
    printf("exe matches argv[0]: %s\n",
           have_real && strcmp(exe, real) == 0 ? "yes" : "no");

    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        perror("fopen /proc/self/maps");
        return 1;
    }
    /* line: start-end perms offset dev inode [path] */
    char line[PATH_MAX + 256];
    int text_names_exe = 0, have_stack = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char perms[8] = "";
        int pathpos = 0;
        if (sscanf(line, "%*s %7s %*s %*s %*s %n", perms, &pathpos) < 1)
            continue;
        const char *path = pathpos ? line + pathpos : "";
        if (strncmp(perms, "r-x", 3) == 0 && strcmp(path, exe) == 0)
            text_names_exe = 1;
        if (strcmp(path, "[stack]") == 0)
            have_stack = 1;
    }
    fclose(f);
    printf("text mapping names exe: %s\n", text_names_exe ? "yes" : "no");
    printf("[stack] mapping present: %s\n", have_stack ? "yes" : "no");
    return 0;
}
