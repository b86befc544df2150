/* Calls every vDSO entry the way a program does (through libc) and prints only facts that are
 * the same natively and under elfemu: which calls succeed, that clocks never go backwards over
 * a busy loop and a sleep, that the clocks agree with each other, resolutions. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts))
		return -1;
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_REALTIME_COARSE,
				   CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW, CLOCK_TAI};
static const char *names[] = {"REALTIME", "MONOTONIC", "REALTIME_COARSE", "MONOTONIC_COARSE",
			      "BOOTTIME", "MONOTONIC_RAW", "TAI"};
#define N (sizeof(clocks) / sizeof(clocks[0]))

int main(void)
{
	long long first[N], last[N];
	int backwards[N] = {0};
	for (unsigned i = 0; i < N; i++)
		first[i] = last[i] = ns(clocks[i]);
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < 20000; k++)
			for (unsigned i = 0; i < N; i++) {
				long long now = ns(clocks[i]);
				backwards[i] |= now < last[i];
				last[i] = now;
			}
		if (round == 0)
			usleep(50000);
	}
	for (unsigned i = 0; i < N; i++) {
		struct timespec res;
		int r = clock_getres(clocks[i], &res);
		printf("%s: ok=%d monotonic=%d advanced=%d getres=%d res_le_10ms=%d\n", names[i], first[i] > 0,
		       !backwards[i], last[i] - first[i] >= 50000000, r, r == 0 && res.tv_sec == 0 && res.tv_nsec <= 10000000);
	}
	long long mono = ns(CLOCK_MONOTONIC), boot = ns(CLOCK_BOOTTIME), raw = ns(CLOCK_MONOTONIC_RAW);
	long long real = ns(CLOCK_REALTIME), coarse = ns(CLOCK_REALTIME_COARSE), real2 = ns(CLOCK_REALTIME);
	printf("boottime >= monotonic: %d\n", boot >= mono);
	printf("raw within 1s of monotonic: %d\n", raw - mono < 1000000000LL && mono - raw < 1000000000LL);
	printf("coarse <= realtime after it: %d, coarse within 20ms: %d\n", coarse <= real2, real - coarse < 20000000);

	struct timeval tv;
	int g = gettimeofday(&tv, NULL);
	long long tv_ns = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL, after = ns(CLOCK_REALTIME);
	printf("gettimeofday=%d usec_ok=%d close_to_realtime=%d\n", g, tv.tv_usec >= 0 && tv.tv_usec < 1000000,
	       tv_ns <= after && after - tv_ns < 5000000);
	time_t t1, t0 = time(&t1);
	printf("time: same=%d close=%d\n", t0 == t1, after / 1000000000LL - t0 <= 1 && after / 1000000000LL >= t0);

	int cpu = sched_getcpu();  /* musl: the vDSO's getcpu; glibc: rseq's cpu_id, else the vDSO */
	printf("sched_getcpu_valid=%d\n", cpu >= 0 && cpu < sysconf(_SC_NPROCESSORS_CONF));
	struct timespec bad;
	printf("bad clock: %d\n", clock_gettime(1234, &bad));
	return 0;
}
