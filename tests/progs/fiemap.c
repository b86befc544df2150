/* FS_IOC_FIEMAP: the kernel writes extents after the 32-byte header, as many as fm_extent_count
   allows (GNU man's pipeline children do this). Prints what it can compare natively. */
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void) {
    char name[] = "fiemapXXXXXX";
    int fd = mkstemp(name);
    char block[4096];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 64; i++) {  /* holes between written blocks: several extents */
        pwrite(fd, block, sizeof block, (off_t)i * 3 * 4096);
    }
    fsync(fd);
    size_t n = 32;
    struct fiemap *fm = calloc(1, sizeof *fm + n * sizeof(struct fiemap_extent));
    fm->fm_length = ~0ULL;
    fm->fm_flags = FIEMAP_FLAG_SYNC;
    fm->fm_extent_count = n;
    int rc = ioctl(fd, FS_IOC_FIEMAP, fm);
    printf("rc=%d", rc);
    if (rc == 0) {
        printf(" mapped>0=%d first.logical=%llu", fm->fm_mapped_extents > 0,
               fm->fm_mapped_extents ? (unsigned long long)fm->fm_extents[0].fe_logical : 0ULL);
    }
    fm->fm_extent_count = 0;  /* count only */
    rc = ioctl(fd, FS_IOC_FIEMAP, fm);
    printf(" count-only rc=%d\n", rc);
    printf("bad pointer rc=%d\n", ioctl(fd, FS_IOC_FIEMAP, (void *)16));
    unlink(name);
    return 0;
}
