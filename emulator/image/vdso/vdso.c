/* elfemu's vDSO: the time calls glibc and musl look up through AT_SYSINFO_EHDR.
 *
 * elfemu writes the vvar page (below this image, see vdso.lds) once at exec: a TSC reading
 * and each clock's value at that reading, plus the host's ns-per-tick as a 32.32 fixed-point
 * multiplier. Unicorn's rdtsc returns the host's TSC, so a clock is base + ticks * mult, read
 * without a syscall, as Linux's vDSO does. Any other clock, or an invalid vvar, makes the real
 * syscall, which elfemu handles (and `elfemu trace` shows) as before.
 * Build: gcc -shared -nostdlib -fPIC -O2 -fno-asynchronous-unwind-tables -Wl,-T,vdso.lds.
 */
typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;

#define NCLOCKS 12

struct vvar {            /* layout shared with __init__.py (VVAR_FORMAT) */
	u32 valid;       /* 1: the fields below may be used */
	u32 clocks;      /* bit n set: base[n] holds clock n */
	u64 tsc0;        /* TSC reading the bases belong to */
	u64 mult;        /* ns per TSC tick << 32 */
	s64 coarse_res;  /* clock_getres of the _COARSE clocks, ns */
	u32 cpu, node;   /* what getcpu reports */
	s64 base[NCLOCKS]; /* clock n's value at tsc0, ns */
};

struct timespec { s64 tv_sec; s64 tv_nsec; };
struct timeval { s64 tv_sec; s64 tv_usec; };
struct timezone { int tz_minuteswest; int tz_dsttime; };

extern const struct vvar vvar_page __attribute__((visibility("hidden")));

#define NSEC 1000000000L
enum { REALTIME_COARSE = 5, MONOTONIC_COARSE = 6 };
enum { NR_gettimeofday = 96, NR_time = 201, NR_clock_gettime = 228, NR_clock_getres = 229, NR_getcpu = 309 };

static inline long sys3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile ("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile ("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline int has_clock(const volatile struct vvar *v, int clock)
{
	return v->valid && (unsigned)clock < NCLOCKS && (v->clocks >> clock & 1);
}

/* ns of `clock` now, or -1 when the syscall must answer. */
static inline s64 now_ns(const volatile struct vvar *v, int clock)
{
	u64 t;

	if (!has_clock(v, clock))
		return -1;
	t = rdtsc();
	if (t < v->tsc0)
		return -1;
	return v->base[clock] + (s64)(((unsigned __int128)(t - v->tsc0) * v->mult) >> 32);
}

int __vdso_clock_gettime(int clock, struct timespec *ts)
{
	s64 ns = now_ns(&vvar_page, clock);

	if (ns < 0)
		return sys3(NR_clock_gettime, clock, (long)ts, 0);
	ts->tv_sec = ns / NSEC;
	ts->tv_nsec = ns % NSEC;
	return 0;
}

int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz)
{
	s64 ns = now_ns(&vvar_page, 0);  /* CLOCK_REALTIME */

	if (ns < 0)
		return sys3(NR_gettimeofday, (long)tv, (long)tz, 0);
	if (tv) {
		tv->tv_sec = ns / NSEC;
		tv->tv_usec = ns % NSEC / 1000;
	}
	if (tz) {
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

long __vdso_time(long *t)
{
	s64 ns = now_ns(&vvar_page, 0);  /* CLOCK_REALTIME */
	long sec;

	if (ns < 0)
		return sys3(NR_time, (long)t, 0, 0);
	sec = ns / NSEC;
	if (t)
		*t = sec;
	return sec;
}

long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	const volatile struct vvar *v = &vvar_page;

	if (!v->valid)
		return sys3(NR_getcpu, (long)cpu, (long)node, (long)unused);
	if (cpu)
		*cpu = v->cpu;
	if (node)
		*node = v->node;
	return 0;
}

int __vdso_clock_getres(int clock, struct timespec *res)
{
	const volatile struct vvar *v = &vvar_page;
	s64 ns;

	if (!has_clock(v, clock))
		return sys3(NR_clock_getres, clock, (long)res, 0);
	ns = clock == REALTIME_COARSE || clock == MONOTONIC_COARSE ? v->coarse_res : 1;
	if (res) {
		res->tv_sec = ns / NSEC;
		res->tv_nsec = ns % NSEC;
	}
	return 0;
}

/* The unprefixed names Linux's vDSO exports too. */
int clock_gettime(int, struct timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval *, struct timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
