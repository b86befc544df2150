/* Scheduling, priorities, capabilities and memory policies: the calls elfemu passes to the host.
 * Prints only what is the same natively and under elfemu. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* linux/capability.h, which musl-gcc has no copy of */
#define _LINUX_CAPABILITY_VERSION_1 0x19980330
#define _LINUX_CAPABILITY_VERSION_3 0x20080522
struct __user_cap_header_struct { uint32_t version; int pid; };
struct __user_cap_data_struct { uint32_t effective, permitted, inheritable; };

struct attr { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t prio; uint64_t rt, dl, period;
              uint32_t umin, umax; };

static long sc(long nr, long a, long b, long c, long d, long e) {
    long r = syscall(nr, a, b, c, d, e);
    return r < 0 ? -errno : r;
}

int main(void) {
    printf("raw getpriority: %ld\n", sc(SYS_getpriority, PRIO_PROCESS, 0, 0, 0, 0));
    printf("setpriority(5): %ld\n", sc(SYS_setpriority, PRIO_PROCESS, 0, 5, 0, 0));
    printf("raw getpriority: %ld\n", sc(SYS_getpriority, PRIO_PROCESS, getpid(), 0, 0, 0));
    errno = 0;
    printf("libc getpriority: %d errno=%d\n", getpriority(PRIO_PROCESS, 0), errno);
    printf("bad which: %ld\n", sc(SYS_getpriority, 7, 0, 0, 0, 0));
    printf("no such pid: %ld\n", sc(SYS_getpriority, PRIO_PROCESS, 0x3fffffff, 0, 0, 0));

    struct sched_param sp = {0};
    printf("sched_getscheduler: %ld\n", sc(SYS_sched_getscheduler, 0, 0, 0, 0, 0));
    printf("sched_getparam: %ld prio=%d\n", sc(SYS_sched_getparam, 0, (long)&sp, 0, 0, 0), sp.sched_priority);
    printf("sched_getparam bad: %ld\n", sc(SYS_sched_getparam, 0, 16, 0, 0, 0));
    printf("sched_setscheduler BATCH: %ld\n", sc(SYS_sched_setscheduler, 0, SCHED_BATCH, (long)&sp, 0, 0));
    printf("sched_getscheduler: %ld\n", sc(SYS_sched_getscheduler, 0, 0, 0, 0, 0));
    printf("sched_setparam: %ld\n", sc(SYS_sched_setparam, 0, (long)&sp, 0, 0, 0));
    sp.sched_priority = 5;
    printf("sched_setparam 5: %ld\n", sc(SYS_sched_setparam, 0, (long)&sp, 0, 0, 0));
    sp.sched_priority = 0;
    printf("sched_setscheduler OTHER: %ld\n", sc(SYS_sched_setscheduler, 0, SCHED_OTHER, (long)&sp, 0, 0));
    for (int pol = 0; pol <= 7; pol++)
        printf("policy %d: max %ld min %ld\n", pol, sc(SYS_sched_get_priority_max, pol, 0, 0, 0, 0),
               sc(SYS_sched_get_priority_min, pol, 0, 0, 0, 0));
    struct timespec ts = {9, 9};
    long r = sc(SYS_sched_rr_get_interval, 0, (long)&ts, 0, 0, 0);
    printf("sched_rr_get_interval: %ld %s\n", r, ts.tv_sec != 9 ? "filled" : "untouched");

    struct attr at;
    memset(&at, 0xee, sizeof at);
    r = sc(SYS_sched_getattr, 0, (long)&at, 48, 0, 0);
    printf("sched_getattr(48): %ld size=%u policy=%u nice=%d tail=%x\n", r, at.size, at.policy, at.nice, at.umin);
    memset(&at, 0, sizeof at);
    r = sc(SYS_sched_getattr, 0, (long)&at, sizeof at, 0, 0);
    printf("sched_getattr: %ld size=%u policy=%u nice=%d umax=%u\n", r, at.size, at.policy, at.nice, at.umax);
    printf("sched_getattr small: %ld\n", sc(SYS_sched_getattr, 0, (long)&at, 8, 0, 0));
    at.size = 48; at.nice = 6; at.policy = SCHED_OTHER;
    printf("sched_setattr nice 6: %ld\n", sc(SYS_sched_setattr, 0, (long)&at, 0, 0, 0));
    printf("getpriority now: %d\n", getpriority(PRIO_PROCESS, 0));
    at.size = 8;
    printf("sched_setattr small: %ld size=%u\n", sc(SYS_sched_setattr, 0, (long)&at, 0, 0, 0), at.size);

    printf("ioprio_get: %ld\n", sc(SYS_ioprio_get, 1, 0, 0, 0, 0));
    printf("ioprio_set BE/7: %ld\n", sc(SYS_ioprio_set, 1, 0, (2 << 13) | 7, 0, 0));
    printf("ioprio_get: %ld\n", sc(SYS_ioprio_get, 1, 0, 0, 0, 0));
    printf("ioprio_set bad: %ld\n", sc(SYS_ioprio_set, 1, 0, (5 << 13) | 7, 0, 0));
    unsigned cpu = 999, node = 999;
    r = sc(SYS_getcpu, (long)&cpu, (long)&node, 0, 0, 0);
    printf("getcpu: %ld %s\n", r, cpu < 999 ? "cpu" : "none");

    struct __user_cap_header_struct h = {0, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    printf("capget probe: %ld version=%#x\n", sc(SYS_capget, (long)&h, 0, 0, 0, 0), h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = 0;
    printf("capget v3: %ld eff0=%#x perm1=%#x\n", sc(SYS_capget, (long)&h, (long)d, 0, 0, 0), d[0].effective,
           d[1].permitted);
    h.version = _LINUX_CAPABILITY_VERSION_1;
    memset(d, 0, sizeof d);
    printf("capget v1: %ld eff0=%#x d1=%#x\n", sc(SYS_capget, (long)&h, (long)d, 0, 0, 0), d[0].effective,
           d[1].effective);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    sc(SYS_capget, (long)&h, (long)d, 0, 0, 0);
    d[0].inheritable = d[0].permitted & 1;
    printf("capset: %ld\n", sc(SYS_capset, (long)&h, (long)d, 0, 0, 0));
    printf("capget bad: %ld\n", sc(SYS_capget, (long)&h, 8, 0, 0, 0));
    printf("capset other pid: %ld\n", sc(SYS_capset, (long)&(struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, 1},
                                          (long)d, 0, 0, 0));

    int mode = -1;
    unsigned long nodes[2] = {0, 0};
    r = sc(SYS_get_mempolicy, (long)&mode, (long)nodes, 128, 0, 0);
    printf("get_mempolicy: %ld mode=%d\n", r, mode);
    for (int maxnode = 0; maxnode < 3; maxnode++) { /* an empty mask still counts as a mask */
        nodes[0] = 7;
        r = sc(SYS_get_mempolicy, (long)&mode, (long)nodes, maxnode, 0, 0);
        printf("get_mempolicy maxnode %d: %ld %lx\n", maxnode, r, nodes[0]);
    }
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    page[0] = 1;
    r = sc(SYS_get_mempolicy, (long)&mode, 0, 0, (long)page, 2 /* MPOL_F_ADDR */);
    printf("get_mempolicy addr: %ld mode=%d\n", r, mode);
    r = sc(SYS_get_mempolicy, (long)&mode, 0, 0, (long)page, 3 /* MPOL_F_NODE|MPOL_F_ADDR */);
    printf("get_mempolicy node: %ld node=%d\n", r, mode);
    printf("get_mempolicy unmapped: %ld\n", sc(SYS_get_mempolicy, (long)&mode, 0, 0, 0x10000, 2));
    nodes[0] = 1;
    printf("set_mempolicy PREFERRED: %ld\n", sc(SYS_set_mempolicy, 1, (long)nodes, 64, 0, 0));
    r = sc(SYS_get_mempolicy, (long)&mode, (long)nodes, 128, 0, 0);
    printf("get_mempolicy: %ld mode=%d nodes=%lx\n", r, mode, nodes[0]);
    printf("set_mempolicy DEFAULT: %ld\n", sc(SYS_set_mempolicy, 0, 0, 0, 0, 0));
    printf("mbind BIND: %ld\n", syscall(SYS_mbind, page, 8192, 2, nodes, 64, 0) < 0 ? -errno : 0L);
    r = sc(SYS_get_mempolicy, (long)&mode, 0, 0, (long)page, 2);
    printf("get_mempolicy after mbind: %ld mode=%d\n", r, mode);
    printf("mbind unmapped: %ld\n", syscall(SYS_mbind, 0x10000, 4096, 0, 0, 0, 0) < 0 ? -errno : 0L);
    printf("mbind bad mode: %ld\n", syscall(SYS_mbind, page, 4096, 9, 0, 0, 0) < 0 ? -errno : 0L);

    long q = sc(SYS_membarrier, 0, 0, 0, 0, 0);
    printf("membarrier query: %s\n", q > 0 ? "ok" : "fail");
    printf("membarrier private before register: %ld\n", sc(SYS_membarrier, 8, 0, 0, 0, 0));
    printf("membarrier register private: %ld\n", sc(SYS_membarrier, 16, 0, 0, 0, 0));
    printf("membarrier private: %ld\n", sc(SYS_membarrier, 8, 0, 0, 0, 0));
    printf("membarrier global: %ld\n", sc(SYS_membarrier, 1, 0, 0, 0, 0));
    printf("membarrier bad: %ld\n", sc(SYS_membarrier, 3, 0, 0, 0, 0));
    return 0;
}
