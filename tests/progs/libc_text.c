/* printf floats, qsort, strtod, locale, time formatting, number parsing: pure libc paths. */
#define _GNU_SOURCE
#include <stddef.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <inttypes.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int icmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(void) {
    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "apple2"};
    qsort(words, 7, sizeof *words, cmp);
    for (int i = 0; i < 7; i++) printf("%s%c", words[i], i == 6 ? '\n' : ' ');
    double v[] = {3.5, -1e300, 2.25, 1e-310, 0.0, -0.0, 1.0 / 3};
    qsort(v, 7, sizeof *v, icmp);
    for (int i = 0; i < 7; i++) printf("%.17g %a %e\n", v[i], v[i], v[i]);
    printf("[%10.4f] [%-10.2e] [%+g] [%G] [%#x] [%#o] [%05d] [%.3s] [%*d]\n", M_PI, 12345.678, 1e-5, 1e20, 255, 8, -42, "abcdef", 6, 7);
    printf("%f %f %f %g\n", INFINITY, -INFINITY, NAN, 100000.0);
    printf("%" PRId64 " %" PRIu64 " %" PRIx64 " %zu %td %jd\n", INT64_MIN, UINT64_MAX, (uint64_t)0xdeadbeefcafe, sizeof(long double), (ptrdiff_t)-3, (intmax_t)12);
    printf("%Lf %.20Lg\n", 1.0L / 3, 2.0L / 3);
    char *end; printf("%.10g %ld %lu %lld %g\n", strtod("  -12.5e3xyz", &end), strtol("0x1f", NULL, 0), strtoul("777", NULL, 8), atoll("-9000000000"), strtod("inf", NULL));
    printf("rest=%s\n", end);
    printf("%.6f %.6f %.6f %.6f %.6f\n", sin(1.0), exp(2.5), log10(12345.0), pow(2.0, 0.5), fmod(10.5, 3.0));
    printf("locale C: %s\n", setlocale(LC_ALL, "C"));
    char *l = setlocale(LC_ALL, "C.UTF-8");
    printf("locale C.UTF-8: %s\n", l ? "ok" : "null");
    wchar_t wbuf[16]; size_t n = mbstowcs(wbuf, "h\xc3\xa9llo", 16);
    printf("mbstowcs=%zu wcwidth=%d\n", n, wcwidth(L'x'));
    setlocale(LC_ALL, "C");
    time_t t = 1234567890; struct tm tm; gmtime_r(&t, &tm);
    char buf[200]; strftime(buf, sizeof buf, "%a %A %b %B %c %d %H %I %j %m %M %p %S %U %w %W %x %X %y %Y %%", &tm);
    printf("%s\n", buf);
    strftime(buf, sizeof buf, "%F %T %e %C %g %G %V %u %s %z", &tm); printf("%s\n", buf);
    printf("asctime: %s", asctime(&tm));
    struct tm parsed = {0}; char *r = strptime("2001-02-03 04:05:06", "%Y-%m-%d %H:%M:%S", &parsed);
    printf("strptime: %d %d %d rest='%s' timegm=%lld\n", parsed.tm_year, parsed.tm_mon, parsed.tm_mday, r, (long long)timegm(&parsed));
    setenv("TZ", "UTC", 1); tzset(); struct tm lt; localtime_r(&t, &lt); printf("mktime=%lld tz=%s\n", (long long)mktime(&lt), tzname[0]);
    char s[64]; snprintf(s, 5, "%s", "truncated"); printf("snprintf=%s ret=%d\n", s, snprintf(NULL, 0, "%d", 123456));
    int a, b; char w[10]; printf("sscanf=%d", sscanf("12 0x1f word", "%d %x %9s", &a, &b, w)); printf(" %d %d %s\n", a, b, w);
    return 0;
}
