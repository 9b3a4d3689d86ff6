/* SPDX-License-Identifier: Apache-2.0 */
/* clockshift.c - for tests/e2e/doctor.sh, as LD_PRELOAD: moves the wall
 * clock (clock_gettime, gettimeofday, time) by $CS_CLOCK_OFFSET seconds, so
 * that a home can be given a last commit in the future and doctor run
 * with the real clock. Not part of the library or the command. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long offset(void)
{
    const char *s = getenv("CS_CLOCK_OFFSET");
    return s != NULL ? atol(s) : 0;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    static int (*real)(clockid_t, struct timespec *);
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
    int rc = real(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        ts->tv_sec += offset();
    return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    static int (*real)(struct timeval *restrict, void *restrict);
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "gettimeofday");
    int rc = real(tv, tz);
    if (rc == 0 && tv != NULL)
        tv->tv_sec += offset();
    return rc;
}

time_t time(time_t *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t != NULL)
        *t = ts.tv_sec;
    return ts.tv_sec;
}
