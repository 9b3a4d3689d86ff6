/* SPDX-License-Identifier: Apache-2.0 */
/* bench_floor.c - `make bench`: casescribe_save and casescribe_verify
 * against the floor of their mandated work (floor.h), measured in the same
 * run: ROUNDS interleaved rounds, each printing nothing; then the median of
 * the per-round ratios. Not a test: nothing here asserts a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "casescribe.h"
#include "floor.h"

#define ROUNDS 7
#define SLICE 0.3 /* seconds per measurement per round */
#define MAX_LAT 200000

static double clock_of(clockid_t which)
{
    struct timespec ts;
    clock_gettime(which, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_of(CLOCK_MONOTONIC);
}

/* The process's CPU time: on a shared, loaded machine the wall-clock rates
 * also measure the other processes; the CPU time per operation does not. */
static double cpu(void)
{
    return clock_of(CLOCK_PROCESS_CPUTIME_ID);
}

/* The typical five-section visit record of bench_save. */
static void die(const char *what)
{
    fprintf(stderr, "bench_floor: %s: %s\n", what, casescribe_last_error());
    exit(1);
}

/* One home: the library's context and the floor, on the same store. */
struct home {
    char path[64];
    casescribe_ctx *ctx;
    floor_ctx *floor;
    char *lib_last, *floor_last; /* the latest version of the next-version chains */
};

static void home_setup(struct home *h, uint32_t flags)
{
    snprintf(h->path, sizeof(h->path), "/tmp/cs-floor-XXXXXX");
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = mkdtemp(h->path);
    opts.flags = flags;
    if (opts.home == NULL || casescribe_ctx_open(&h->ctx, &opts) != CASESCRIBE_OK ||
        casescribe_keygen(NULL, h->ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(h->ctx, "bench-admin", "cin-north", "ai-draft", "on") != CASESCRIBE_OK)
        die("cannot set up a home");
    if (floor_open(&h->floor, h->path, (flags & CASESCRIBE_OPEN_NO_SYNC) != 0) != 0)
        exit(1);
}

static void home_close(struct home *h)
{
    free(h->lib_last);
    free(h->floor_last);
    floor_close(h->floor);
    casescribe_ctx_close(h->ctx);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", h->path);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_floor: could not remove %s\n", h->path);
}

enum what { LIB_SAVE, FLOOR_SAVE, FLOOR_SAVE_INDEX, LIB_VERIFY, FLOOR_VERIFY, LIB_NEXT, FLOOR_NEXT, FLOOR_NEXT_INDEX };

static uint8_t *lib_save(struct home *h, const char *xml, size_t *len)
{
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    uint8_t *out = NULL;
    if (casescribe_save(&out, len, h->ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)) != CASESCRIBE_OK)
        die("save");
    return out;
}

static uint8_t *floor_save_one(struct home *h, const char *xml, size_t *len)
{
    uint8_t *out = NULL;
    if (floor_save(h->floor, "sw-017", (const uint8_t *)xml, strlen(xml), &out, len) != 0)
        exit(1);
    return out;
}

/* One operation of kind w; the record saved last is kept in *keep. */
static void run_one(struct home *h, enum what w, const char *record, long i)
{
    char xml[4096];
    size_t len = 0;
    uint8_t *out = NULL;
    if (w == LIB_SAVE || w == FLOOR_SAVE || w == FLOOR_SAVE_INDEX) {
        bench_visit_form(xml, sizeof(xml), w == LIB_SAVE ? "L" : "F", i);
        floor_set_index_rows(h->floor, w == FLOOR_SAVE_INDEX);
        out = w == LIB_SAVE ? lib_save(h, xml, &len) : floor_save_one(h, xml, &len);
    } else if (w == LIB_VERIFY) {
        if (casescribe_verify(NULL, h->ctx, "xml", (const uint8_t *)record, strlen(record)) != CASESCRIBE_OK)
            die("verify");
    } else if (w == FLOOR_VERIFY) {
        if (floor_verify(h->floor, (const uint8_t *)record, strlen(record)) != 0)
            exit(1);
    } else {
        char **last = w == LIB_NEXT ? &h->lib_last : &h->floor_last;
        floor_set_index_rows(h->floor, w == FLOOR_NEXT_INDEX);
        out = w == LIB_NEXT ? lib_save(h, *last, &len) : floor_save_one(h, *last, &len);
        free(*last);
        *last = (char *)out;
        out = NULL;
    }
    free(out);
}

struct measure {
    double rate;   /* per second */
    double p99;    /* microseconds */
    double cpu_us; /* CPU time per operation */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct measure measure(struct home *h, enum what w, const char *record)
{
    static long next_id;
    static double lat[MAX_LAT];
    long n = 0;
    double t0 = now(), c0 = cpu(), t;
    do {
        double s0 = now();
        run_one(h, w, record, next_id++);
        if (n < MAX_LAT)
            lat[n] = (now() - s0) * 1e6;
        n++;
    } while ((t = now() - t0) < SLICE);
    long kept = n < MAX_LAT ? n : MAX_LAT;
    qsort(lat, (size_t)kept, sizeof(double), cmp_double);
    struct measure m = {(double)n / t, lat[(long)((double)kept * 0.99)], (cpu() - c0) * 1e6 / (double)n};
    return m;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A fresh process: open the home, save one record; prints ms. */
static int first_save(const char *home)
{
    double t0 = now(), c0 = cpu();
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    casescribe_ctx *ctx = NULL;
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK)
        die("open");
    double t1 = now(), c1 = cpu();
    char xml[4096];
    bench_visit_form(xml, sizeof(xml), "FIRST", 1);
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    uint8_t *out = NULL;
    size_t len = 0;
    if (casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)) != CASESCRIBE_OK)
        die("first save");
    double t2 = now(), c2 = cpu();
    printf("%.3f %.3f %.3f %.3f\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3, (c1 - c0) * 1e3, (c2 - c1) * 1e3);
    casescribe_free(out);
    casescribe_ctx_close(ctx);
    return 0;
}

/* Runs `self --first-save HOME` on a home with only its key and policy. */
static void fresh_process(const char *self, double *open_ms, double *save_ms, double *cpu_open, double *cpu_save)
{
    char path[] = "/tmp/cs-floor-first-XXXXXX", cmd[512];
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = mkdtemp(path);
    casescribe_ctx *ctx = NULL;
    if (opts.home == NULL || casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK ||
        casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(ctx, "bench-admin", "cin-north", "ai-draft", "on") != CASESCRIBE_OK)
        die("cannot set up a home");
    casescribe_ctx_close(ctx);
    snprintf(cmd, sizeof(cmd), "%s --first-save %s", self, path);
    FILE *p = popen(cmd, "r");
    if (p == NULL || fscanf(p, "%lf %lf %lf %lf", open_ms, save_ms, cpu_open, cpu_save) != 4)
        die("fresh process");
    pclose(p);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_floor: could not remove %s\n", path);
}

enum ratio {
    R_SAVE,
    R_P99,
    R_VERIFY,
    R_NEXT,
    R_DURABLE,
    R_INDEX_US,
    R_SAVE_VS_INDEXED, /* ratios, and the index's us */
    US_SAVE,
    US_FLOOR,
    US_FLOOR_INDEX,
    US_P99,
    US_FLOOR_P99,
    US_VERIFY,
    US_FLOOR_VERIFY,
    US_NEXT,
    US_FLOOR_NEXT,
    US_DURABLE,
    US_FLOOR_DURABLE, /* microseconds per operation */
    C_SAVE,
    C_VERIFY,
    C_NEXT,
    C_DURABLE, /* ratios of CPU time per operation */
    CU_SAVE,
    CU_FLOOR,
    CU_FLOOR_INDEX,
    CU_VERIFY,
    CU_FLOOR_VERIFY,
    CU_NEXT,
    CU_FLOOR_NEXT,
    CU_DURABLE,
    CU_FLOOR_DURABLE,
    R_NEXT_VS_INDEXED,
    R_DURABLE_VS_INDEXED, /* against the floor with the index */
    R_COUNT
};

static double us(struct measure m)
{
    return 1e6 / m.rate;
}

static void round_once(struct home *fast, struct home *durable, const char *record, double r[R_COUNT])
{
    struct measure ls = measure(fast, LIB_SAVE, NULL), fs = measure(fast, FLOOR_SAVE, NULL);
    struct measure fi = measure(fast, FLOOR_SAVE_INDEX, NULL);
    struct measure fv = measure(fast, FLOOR_VERIFY, record), lv = measure(fast, LIB_VERIFY, record);
    struct measure fn = measure(fast, FLOOR_NEXT, NULL), ln = measure(fast, LIB_NEXT, NULL);
    struct measure ld = measure(durable, LIB_SAVE, NULL), fd = measure(durable, FLOOR_SAVE, NULL);
    struct measure fni = measure(fast, FLOOR_NEXT_INDEX, NULL), fdi = measure(durable, FLOOR_SAVE_INDEX, NULL);
    r[R_NEXT_VS_INDEXED] = ln.rate / fni.rate;
    r[R_DURABLE_VS_INDEXED] = ld.rate / fdi.rate;
    r[R_SAVE] = ls.rate / fs.rate;
    r[R_P99] = ls.p99 / fs.p99;
    r[R_VERIFY] = lv.rate / fv.rate;
    r[R_NEXT] = ln.rate / fn.rate;
    r[R_DURABLE] = ld.rate / fd.rate;
    r[R_INDEX_US] = (1e6 / fi.rate - 1e6 / fs.rate); /* the index rows' cost per save */
    r[R_SAVE_VS_INDEXED] = ls.rate / fi.rate;
    double per_op[] = {us(ls), us(fs), us(fi), ls.p99, fs.p99, us(lv), us(fv), us(ln), us(fn), us(ld), us(fd)};
    memcpy(&r[US_SAVE], per_op, sizeof(per_op));
    r[C_SAVE] = fs.cpu_us / ls.cpu_us;
    r[C_VERIFY] = fv.cpu_us / lv.cpu_us;
    r[C_NEXT] = fn.cpu_us / ln.cpu_us;
    r[C_DURABLE] = fd.cpu_us / ld.cpu_us;
    double cpu_per_op[] = {ls.cpu_us, fs.cpu_us, fi.cpu_us, lv.cpu_us, fv.cpu_us,
                           ln.cpu_us, fn.cpu_us, ld.cpu_us, fd.cpu_us};
    memcpy(&r[CU_SAVE], cpu_per_op, sizeof(cpu_per_op));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--first-save") == 0)
        return first_save(argv[2]);
    struct home fast = {0}, durable = {0};
    home_setup(&fast, CASESCRIBE_OPEN_NO_SYNC);
    home_setup(&durable, 0);
    size_t len = 0;
    char xml[4096];
    bench_visit_form(xml, sizeof(xml), "LN", 0);
    fast.lib_last = (char *)lib_save(&fast, xml, &len);
    bench_visit_form(xml, sizeof(xml), "FN", 0);
    fast.floor_last = (char *)floor_save_one(&fast, xml, &len);
    bench_visit_form(xml, sizeof(xml), "V", 0);
    char *record = (char *)lib_save(&fast, xml, &len);
    for (int w = LIB_SAVE; w <= FLOOR_SAVE_INDEX; w++) /* warm-up */
        measure(&fast, (enum what)w, NULL);

    double r[R_COUNT][ROUNDS], one[R_COUNT], fresh_open[ROUNDS], fresh_save[ROUNDS], fresh_total[ROUNDS];
    double cpu_open[ROUNDS], cpu_save[ROUNDS], cpu_total[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        round_once(&fast, &durable, record, one);
        for (int i = 0; i < R_COUNT; i++)
            r[i][k] = one[i];
        fresh_process(argv[0], &fresh_open[k], &fresh_save[k], &cpu_open[k], &cpu_save[k]);
        fresh_total[k] = fresh_open[k] + fresh_save[k];
        cpu_total[k] = cpu_open[k] + cpu_save[k];
    }
    printf("casescribe %s against the floor of its mandated work (tests/bench/floor.h), %d interleaved rounds, "
           "medians of per-round ratios; typical 5-section form (%zu-byte stamped record)\n",
           casescribe_version(), ROUNDS, strlen(record));
    printf("  save (no fsync) vs floor save           %.2f x   (cpu %.2f x; goal >= 0.85; %.0f us vs %.0f us)\n",
           median(r[R_SAVE], ROUNDS), median(r[C_SAVE], ROUNDS), median(r[US_SAVE], ROUNDS),
           median(r[US_FLOOR], ROUNDS));
    printf("  save p99 vs floor p99                   %.2f x   (goal <= 1.5; %.0f us vs %.0f us)\n",
           median(r[R_P99], ROUNDS), median(r[US_P99], ROUNDS), median(r[US_FLOOR_P99], ROUNDS));
    printf("  verify vs floor verify                  %.2f x   (cpu %.2f x; goal >= 0.90; %.0f us vs %.0f us)\n",
           median(r[R_VERIFY], ROUNDS), median(r[C_VERIFY], ROUNDS), median(r[US_VERIFY], ROUNDS),
           median(r[US_FLOOR_VERIFY], ROUNDS));
    printf("  next-version save vs its floor          %.2f x   (cpu %.2f x; goal >= 0.85; %.0f us vs %.0f us)\n",
           median(r[R_NEXT], ROUNDS), median(r[C_NEXT], ROUNDS), median(r[US_NEXT], ROUNDS),
           median(r[US_FLOOR_NEXT], ROUNDS));
    printf("  durable save vs floor + durability      %.2f x   (cpu %.2f x; goal >= 0.90; %.0f us vs %.0f us)\n",
           median(r[R_DURABLE], ROUNDS), median(r[C_DURABLE], ROUNDS), median(r[US_DURABLE], ROUNDS),
           median(r[US_FLOOR_DURABLE], ROUNDS));
    printf("  fresh process: open + first save        %.2f ms  (open %.2f, first save %.2f; goal <= 10)\n"
           "                 the same in CPU time     %.2f ms  (open %.2f, first save %.2f)\n",
           median(fresh_total, ROUNDS), median(fresh_open, ROUNDS), median(fresh_save, ROUNDS),
           median(cpu_total, ROUNDS), median(cpu_open, ROUNDS), median(cpu_save, ROUNDS));
    printf(
        "  CPU us per operation, library / floor: save %.0f / %.0f (floor with the index %.0f), verify %.0f / %.0f,\n"
        "  next version %.0f / %.0f, durable save %.0f / %.0f\n",
        median(r[CU_SAVE], ROUNDS), median(r[CU_FLOOR], ROUNDS), median(r[CU_FLOOR_INDEX], ROUNDS),
        median(r[CU_VERIFY], ROUNDS), median(r[CU_FLOOR_VERIFY], ROUNDS), median(r[CU_NEXT], ROUNDS),
        median(r[CU_FLOOR_NEXT], ROUNDS), median(r[CU_DURABLE], ROUNDS), median(r[CU_FLOOR_DURABLE], ROUNDS));
    printf("  index share (issue 18, engineer \"index\"): its rows and laundering reads cost %.0f us per save in the\n"
           "  floor (%.0f us with them). Against the floor WITH the index: save (no fsync) %.2f x, next version\n"
           "  %.2f x, durable save %.2f x\n",
           median(r[R_INDEX_US], ROUNDS), median(r[US_FLOOR_INDEX], ROUNDS), median(r[R_SAVE_VS_INDEXED], ROUNDS),
           median(r[R_NEXT_VS_INDEXED], ROUNDS), median(r[R_DURABLE_VS_INDEXED], ROUNDS));
    casescribe_free(record);
    home_close(&fast);
    home_close(&durable);
    return 0;
}
